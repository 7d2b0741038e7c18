// Package tfevents writes a run's measurements as a TensorBoard event
// file, events.out.tfevents.<seconds>.<host>, in the run directory, so that
// `tensorboard --logdir` shows runs while they train and side by side
// afterwards.
//
// The file is a sequence of TFRecords (a little-endian uint64 length, the
// masked CRC-32C of those 8 bytes, the data, the masked CRC-32C of the
// data), each holding one tensorflow.Event protocol buffer, encoded here
// with google.golang.org/protobuf/encoding/protowire: the first holds the
// file version "brain.Event:2", the others a Summary of scalars
// (simple_value, float32) or of histograms (HistogramProto).
//
// Sink is the models.Train sink that writes it: per logged step the
// scalars loss, batch_acc, grad_norm/global and grad_norm/layer_NN/KIND
// (NN two digits, 00 nearest the input); per epoch test_accuracy and
// test_loss; every HistEvery steps, and at the first and last step, a
// histogram of each layer's weight gradient, grad/layer_NN/weight. Its
// Offsets name the file and its size, so a resumed run cuts it back to
// the checkpoint and appends: no step is lost or written twice.
//
// Event files hold wall-clock times (each event's wall_time and the file
// name), so unlike the CSV files they differ from run to run; the values
// they hold do not.
package tfevents
