package models

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
)

// CheckpointVersion is the version of the checkpoint format this build
// reads and writes. Version 2 names the parameters and keeps the
// optimiser's slots in parameter order (version 1 had all weights, then
// all biases).
const CheckpointVersion = 2

var checkpointMagic = [8]byte{'G', 'B', 'C', 'K', 'P', 'T', 0, 1}

// maxCheckpoint bounds the size of a checkpoint file that is read.
const maxCheckpoint = 1 << 31

// Checkpoint is everything needed to continue a run exactly where it
// stopped: the configuration, the loop's position and generator state,
// the summary so far, the recorders' file sizes, the parameters and the
// optimiser state.
type Checkpoint struct {
	Config config.Config `json:"config"`
	State  State         `json:"state"`
	// ParamNames name the parameters of Params and OptSlots, in order:
	// "layer 0 weight", "layer 0 bias", ….
	ParamNames []string `json:"param_names"`
	// Params holds every parameter as float64 (exact for float32), in
	// ParamNames order.
	Params [][]float64 `json:"-"`
	// Opt is the optimiser's state: its step count and slot vectors.
	OptStep  int         `json:"opt_step"`
	OptSlots [][]float64 `json:"-"`
	// HistEvery is the interval of the run's TensorBoard histograms
	// (Output.HistEvery, resolved; 0 when it writes none), which a
	// resumed run keeps.
	HistEvery int `json:"hist_every,omitempty"`
}

// State is the training loop's position.
type State struct {
	// Epoch (from 1) and Batch (from 0) name the next batch to train.
	Epoch, Batch int
	// EpochRNG is the shuffle generator's state before the shuffle of
	// epoch RNGEpoch (0: no epoch shuffled yet).
	EpochRNG []byte
	RNGEpoch int
	// EpochLoss and EpochSteps accumulate this epoch's training loss.
	EpochLoss  float64
	EpochSteps int
	LastLoss   float64
	// Elapsed is the wall-clock training time before this process.
	Elapsed float64
	Summary rundir.Summary
	// Offsets are the sink's position at this point (Sink.Offsets).
	Offsets rundir.Offsets
}

// WriteCheckpoint writes ck to path atomically.
func WriteCheckpoint(path string, ck *Checkpoint) error {
	meta, err := json.Marshal(ck)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	var p bytes.Buffer
	binary.Write(&p, binary.LittleEndian, uint32(len(meta)))
	p.Write(meta)
	for _, group := range [][][]float64{ck.Params, ck.OptSlots} {
		binary.Write(&p, binary.LittleEndian, uint32(len(group)))
		for _, xs := range group {
			binary.Write(&p, binary.LittleEndian, uint64(len(xs)))
			binary.Write(&p, binary.LittleEndian, xs)
		}
	}
	return rundir.WriteFileAtomic(path, withPayload(p.Bytes()))
}

// ReadCheckpoint reads the checkpoint at path. A file that is not a
// checkpoint, of another format version, truncated or corrupt is an error
// that says which. The header is read and checked against the file's size
// first: a link to a device, or a file extended past what its header
// promises, is refused before its payload is read.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	f, size, err := data.OpenRegular(path, maxCheckpoint)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	defer f.Close()
	const header = 8 + 4 + 8 + 4
	head, err := data.ReadAtMost(io.LimitReader(f, header), header)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint %s: %w", path, err)
	}
	if len(head) == header && bytes.Equal(head[:8], checkpointMagic[:]) && binary.LittleEndian.Uint32(head[8:]) == CheckpointVersion {
		if n := binary.LittleEndian.Uint64(head[12:]); n != uint64(size-header) {
			return nil, fmt.Errorf("read checkpoint %s: truncated or extended: header promises %d payload bytes, file has %d", path, n, size-header)
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read checkpoint %s: %w", path, err)
	}
	b, err := data.ReadAtMost(f, size)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint %s: %w", path, err)
	}
	ck, err := DecodeCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint %s: %w", path, err)
	}
	return ck, nil
}

// DecodeCheckpoint parses a checkpoint file's bytes.
func DecodeCheckpoint(b []byte) (*Checkpoint, error) {
	const header = 8 + 4 + 8 + 4
	if len(b) > maxCheckpoint {
		return nil, fmt.Errorf("larger than %d bytes", maxCheckpoint)
	}
	if len(b) < 8 || !bytes.Equal(b[:8], checkpointMagic[:]) {
		return nil, errors.New("not a gradbench checkpoint (bad magic)")
	}
	if len(b) < header {
		return nil, fmt.Errorf("truncated: %d bytes, the header alone has %d", len(b), header)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != CheckpointVersion {
		return nil, fmt.Errorf("format version %d, this build reads version %d", v, CheckpointVersion)
	}
	n := binary.LittleEndian.Uint64(b[12:])
	payload := b[header:]
	if uint64(len(payload)) != n {
		return nil, fmt.Errorf("truncated or extended: header promises %d payload bytes, file has %d", n, len(payload))
	}
	if crc32.ChecksumIEEE(payload) != binary.LittleEndian.Uint32(b[20:]) {
		return nil, errors.New("corrupt: checksum mismatch")
	}
	r := &reader{b: payload}
	meta := r.bytes(int(r.u32()))
	ck := &Checkpoint{}
	if r.err == nil {
		if err := json.Unmarshal(meta, ck); err != nil {
			return nil, fmt.Errorf("corrupt metadata: %w", err)
		}
	}
	ck.Params = r.group()
	ck.OptSlots = r.group()
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d bytes after the last section", len(r.b))
	}
	if r.err != nil {
		return nil, fmt.Errorf("corrupt: %w", r.err)
	}
	return ck, nil
}

// reader consumes a payload, checking every length against the bytes left
// before allocating.
type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = fmt.Errorf("section of %d bytes, %d left", n, len(r.b))
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u32() uint32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *reader) group() [][]float64 {
	count := int(r.u32())
	if r.err != nil || count > len(r.b)/8 {
		if r.err == nil {
			r.err = fmt.Errorf("%d arrays claimed, %d bytes left", count, len(r.b))
		}
		return nil
	}
	out := make([][]float64, 0, count)
	for i := 0; i < count && r.err == nil; i++ {
		nb := r.bytes(8)
		if nb == nil {
			break
		}
		n := binary.LittleEndian.Uint64(nb)
		if n > uint64(len(r.b)/8) {
			r.err = fmt.Errorf("array of %d values, %d bytes left", n, len(r.b))
			break
		}
		raw := r.bytes(int(n) * 8)
		xs := make([]float64, n)
		for j := range xs {
			xs[j] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*j:]))
		}
		out = append(out, xs)
	}
	return out
}

// withPayload returns a checkpoint file around payload with a valid
// header and checksum.
func withPayload(payload []byte) []byte {
	var out bytes.Buffer
	out.Write(checkpointMagic[:])
	binary.Write(&out, binary.LittleEndian, uint32(CheckpointVersion))
	binary.Write(&out, binary.LittleEndian, uint64(len(payload)))
	binary.Write(&out, binary.LittleEndian, crc32.ChecksumIEEE(payload))
	out.Write(payload)
	return out.Bytes()
}

// Done reports whether the checkpoint's run has nothing left to train; a
// nil checkpoint has everything left.
func (ck *Checkpoint) Done() bool { return ck != nil && ck.State.Summary.Done() }
