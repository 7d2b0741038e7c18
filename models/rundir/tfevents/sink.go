package tfevents

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/rundir"
	"gorgonia.org/tensor"
)

// Prefix starts the name of every event file.
const Prefix = "events.out.tfevents."

// Buckets is the number of equal-width buckets of a histogram between the
// gradient's smallest and largest value, as tf.summary.histogram makes.
const Buckets = 30

// DefaultHistograms is about how many histograms of each layer a run
// writes when Options.HistEvery is 0.
const DefaultHistograms = 50

// Options set what a Sink writes.
type Options struct {
	// HistEvery writes the weight-gradient histograms at the first logged
	// step of every HistEvery steps (and at the first and last step); 0
	// chooses about DefaultHistograms per run (HistEveryFor).
	HistEvery int
	// LogEvery is the run's logging interval (config.Config.LogEvery):
	// histograms fall on logged steps.
	LogEvery int
	// TotalSteps is the number of steps of the whole run, for HistEvery
	// 0.
	TotalSteps int
}

// HistEveryFor returns the histogram interval that gives about
// DefaultHistograms histograms over total steps.
func HistEveryFor(total int) int {
	return max(1, (total+DefaultHistograms-1)/DefaultHistograms)
}

// Sink writes a run's measurements to its event file. It implements
// models.Sink; its methods are not safe for concurrent use.
type Sink struct {
	f         *os.File
	name      string
	histEvery int
	logEvery  int
	buf       []byte
}

// FileIn returns the name of the event file that offsets (a checkpoint's
// Sink offsets) record, "" when they record none.
func FileIn(offsets rundir.Offsets) string {
	for name := range offsets {
		if strings.HasPrefix(name, Prefix) {
			return name
		}
	}
	return ""
}

// Files returns the names of the event files in dir.
func Files(dir string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(dir, Prefix+"*"))
	if err != nil {
		return nil, err
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m, nil
}

// Remove deletes the event files in dir: a new run replaces the files of
// the one before.
func Remove(dir string) error {
	names, err := Files(dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

func (o Options) sink() *Sink {
	every := o.HistEvery
	if every <= 0 {
		every = HistEveryFor(o.TotalSteps)
	}
	return &Sink{histEvery: every, logEvery: max(1, o.LogEvery)}
}

// Create replaces the event files in dir by a new one named for the
// current time and host, and writes its file-version event.
func Create(dir string, o Options) (*Sink, error) {
	if err := Remove(dir); err != nil {
		return nil, fmt.Errorf("tensorboard: %w", err)
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	now := time.Now()
	s := o.sink()
	s.name = fmt.Sprintf("%s%d.%s", Prefix, now.Unix(), strings.ReplaceAll(host, "/", "_"))
	s.f, err = os.OpenFile(filepath.Join(dir, s.name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, fmt.Errorf("tensorboard: %w", err)
	}
	if err := s.write(fileVersionEvent(wallTime(now))); err != nil {
		s.f.Close()
		return nil, fmt.Errorf("tensorboard: %w", err)
	}
	return s, nil
}

// Check reports whether the event file that offsets record in dir can be
// reopened at its offset; it changes nothing.
func Check(dir string, offsets rundir.Offsets) error {
	name := FileIn(offsets)
	if name == "" {
		return nil
	}
	path := filepath.Join(dir, name)
	if err := rundir.CheckFiles(dir, name); err != nil {
		return err
	}
	f, size, err := data.OpenRegular(path, -1)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	defer f.Close()
	off := offsets[name]
	if size < off {
		return fmt.Errorf("resume: %s has %d bytes but the checkpoint was taken at %d: the file was cut short", path, size, off)
	}
	// The offset must fall between two records: walk their lengths.
	var pos int64
	var n [8]byte
	for pos < off {
		if _, err := f.ReadAt(n[:], pos); err != nil {
			return fmt.Errorf("resume: %s: the record at byte %d: %w", path, pos, err)
		}
		pos += 8 + 4 + int64(binary.LittleEndian.Uint64(n[:])&(1<<40-1)) + 4
	}
	if pos != off {
		return fmt.Errorf("resume: the checkpoint's position %d in %s is inside a record: the file is not this run's", off, path)
	}
	return nil
}

// Reopen continues the event file that offsets record in dir: it is cut
// back to its recorded size and appended to, so that the events written
// after the checkpoint, which the resumed run writes again, are not
// there twice. When offsets record no event file (the run was started
// without one), Reopen creates one; it then holds the steps from the
// resumed one on.
func Reopen(dir string, offsets rundir.Offsets, o Options) (*Sink, error) {
	name := FileIn(offsets)
	if name == "" {
		return Create(dir, o)
	}
	if err := Check(dir, offsets); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|syscall.O_NOFOLLOW, 0)
	if err == nil {
		if err = f.Truncate(offsets[name]); err != nil {
			f.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	s := o.sink()
	s.f, s.name = f, name
	return s, nil
}

// Name returns the name of the event file.
func (s *Sink) Name() string { return s.name }

// Offsets returns the event file's name and size.
func (s *Sink) Offsets() (rundir.Offsets, error) {
	st, err := s.f.Stat()
	if err != nil {
		return nil, fmt.Errorf("offsets: %w", err)
	}
	return rundir.Offsets{s.name: st.Size()}, nil
}

// LayerTag returns the tag part that names a layer: layer_NN, two digits
// at least.
func LayerTag(layer int) string { return fmt.Sprintf("layer_%02d", layer) }

// Step writes one logged step's scalars.
func (s *Sink) Step(st metrics.Step) error {
	vals := [][]byte{
		scalarValue(Scalar{"loss", st.Loss}),
		scalarValue(Scalar{"batch_acc", st.BatchAcc}),
		scalarValue(Scalar{"grad_norm/global", st.Norms.Global}),
	}
	for _, p := range st.Norms.Params {
		vals = append(vals, scalarValue(Scalar{"grad_norm/" + LayerTag(p.Layer) + "/" + p.Kind, p.L2}))
	}
	return s.write(summaryEvent(wallTime(time.Now()), int64(st.Step), vals))
}

// Stats writes nothing: activation statistics are in act_stats.csv.
func (s *Sink) Stats([]metrics.Stats) error { return nil }

// Epoch writes one epoch's test accuracy and loss at its last step.
func (s *Sink) Epoch(e metrics.Epoch) error {
	vals := [][]byte{scalarValue(Scalar{"test_accuracy", e.TestAccuracy}), scalarValue(Scalar{"test_loss", e.TestLoss})}
	return s.write(summaryEvent(wallTime(time.Now()), int64(e.Step), vals))
}

// HistogramStep reports whether a histogram is written at logged step g:
// the first and last step, and the first logged step of each HistEvery
// steps. It depends on the step alone, so a resumed run writes the same
// histograms.
func (s *Sink) HistogramStep(g metrics.Grads) bool {
	if g.First || g.Last {
		return true
	}
	return (g.Step-1)/s.histEvery != (g.Step-1-s.logEvery)/s.histEvery
}

// Grads writes, on histogram steps, a histogram of each weight gradient.
func (s *Sink) Grads(g metrics.Grads) error {
	if !s.HistogramStep(g) {
		return nil
	}
	var vals [][]byte
	for _, p := range g.Params {
		if p.Kind != metrics.Weight {
			continue
		}
		h, ok, err := histogram(p.Grad)
		if err != nil {
			return fmt.Errorf("tensorboard: layer %d %s: %w", p.Layer, p.Kind, err)
		}
		if ok {
			vals = append(vals, histogramValue("grad/"+LayerTag(p.Layer)+"/"+p.Kind, h))
		}
	}
	if len(vals) == 0 {
		return nil
	}
	return s.write(summaryEvent(wallTime(time.Now()), int64(g.Step), vals))
}

// histogram returns the histogram of t's finite values in Buckets
// equal-width buckets between the smallest and the largest, and false
// when t has none.
func histogram(t tensor.Tensor) (Histogram, bool, error) {
	var xs []float64
	switch d := t.Data().(type) {
	case []float32:
		xs = make([]float64, 0, len(d))
		for _, x := range d {
			xs = append(xs, float64(x))
		}
	case []float64:
		xs = d
	default:
		return Histogram{}, false, fmt.Errorf("histogram: unsupported dtype %v", t.Dtype())
	}
	h := Histogram{Min: math.Inf(1), Max: math.Inf(-1)}
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		h.Min, h.Max = math.Min(h.Min, x), math.Max(h.Max, x)
		h.Num++
		h.Sum += x
		h.SumSquares += x * x
	}
	if h.Num == 0 {
		return h, false, nil
	}
	n := Buckets
	if h.Min == h.Max {
		n = 1
	}
	width := (h.Max - h.Min) / float64(n)
	h.Bucket = make([]float64, n)
	h.BucketLimit = make([]float64, n)
	for i := range n {
		h.BucketLimit[i] = h.Min + width*float64(i+1)
	}
	h.BucketLimit[n-1] = h.Max
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		i := n - 1
		if width > 0 {
			i = min(int((x-h.Min)/width), n-1)
		}
		h.Bucket[i]++
	}
	return h, true, nil
}

// write appends one event as a TFRecord with one system call; a write
// that fails part-way is cut back, so the file never ends in a partial
// record.
func (s *Sink) write(event []byte) error {
	s.buf = appendRecord(s.buf[:0], event)
	st, err := s.f.Stat()
	if err != nil {
		return fmt.Errorf("tensorboard: %w", err)
	}
	if _, err := s.f.Write(s.buf); err != nil {
		s.f.Truncate(st.Size())
		return fmt.Errorf("tensorboard: %w", err)
	}
	return nil
}

// Close closes the event file.
func (s *Sink) Close() error { return s.f.Close() }

// wallTime is t in seconds since the Unix epoch, as Event.wall_time.
func wallTime(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }
