// Package rundir owns a run directory: the names of its files, the one
// Summary schema that training writes to summary.json and that plot, diff,
// compare and sweep status read back, the crash-safe CSV Recorder (the
// first sink of models.Train), atomic file replacement, and Read, which
// reads a run back.
//
// A run directory holds:
//
//	metrics.csv     one row per logged step
//	grad_norms.csv  one row per logged step and parameter (layer, kind)
//	act_stats.csv   one row per logged step and hidden layer (pre-activations, output and error RMS)
//	epochs.csv      one row per epoch
//	grad_hist.csv   log10 |g| of each weight gradient, binned, at the first and last step
//	jacobian_spectrum.csv  singular values of the input–output Jacobian at initialisation
//	events.out.tfevents.*  the same measurements for TensorBoard (package tfevents)
//	summary.json    Summary
//	checkpoint.bin  models.Checkpoint
package rundir
