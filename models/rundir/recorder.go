package rundir

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gradbench/gradbench/metrics"
)

// Recorder appends a run's measurements to CSV files in a directory: the
// sink models.Train records through. Every record is written with one
// system call as soon as it is made, so the files stay complete and
// parseable if the run stops at any point, and a resumed run continues
// from the sizes (Offsets) its checkpoint recorded.
type Recorder struct {
	metrics, grads, epochs, stats, hist *os.File
	buf                                 bytes.Buffer
	// statsV1 writes act_stats.csv in its six-column format, for a run
	// resumed from before the file had out_rms and delta_rms.
	statsV1 bool
}

// CSV headers.
const (
	metricsHeader = "step,epoch,loss,batch_acc,grad_norm,grad_norm_clipped,elapsed_s\n"
	gradsHeader   = "step,layer,param,l2\n"
	epochsHeader  = "epoch,step,train_loss,test_loss,test_accuracy\n"
	statsHeader   = "step,layer,pre_mean,pre_std,saturated,dead,out_rms,delta_rms\n"
	// statsHeaderV1 is act_stats.csv's header before out_rms and
	// delta_rms: a run recorded so is resumed in that format.
	statsHeaderV1 = "step,layer,pre_mean,pre_std,saturated,dead\n"
	histHeader    = "step,layer,param,log10_lo,log10_hi,count\n"
)

// Offsets are the sizes of a Recorder's files at one moment, by file name.
type Offsets map[string]int64

// Offsets returns the current size of every file the recorder writes.
func (r *Recorder) Offsets() (Offsets, error) {
	o := Offsets{}
	for name, f := range r.files() {
		st, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("offsets: %w", err)
		}
		o[name] = st.Size()
	}
	return o, nil
}

func (r *Recorder) files() map[string]*os.File {
	return map[string]*os.File{MetricsFile: r.metrics, GradNormsFile: r.grads, EpochsFile: r.epochs, StatsFile: r.stats, GradHistFile: r.hist}
}

// recorderFile is one file of a Recorder.
type recorderFile struct {
	f      **os.File
	name   string
	header string
	// optional files may be missing from a checkpoint written before
	// they existed: a resumed run starts them afresh.
	optional bool
}

func (r *Recorder) table() []recorderFile {
	return []recorderFile{
		{&r.metrics, MetricsFile, metricsHeader, false},
		{&r.grads, GradNormsFile, gradsHeader, false},
		{&r.epochs, EpochsFile, epochsHeader, false},
		{&r.stats, StatsFile, statsHeader, false},
		{&r.hist, GradHistFile, histHeader, true},
	}
}

// Reopen continues the recording in dir from the moment offsets were
// taken: each file is cut back to its recorded size and appended to. A
// file missing or shorter than its offset is an error, and then no file is
// changed. A file that offsets do not name and that came after the
// checkpoint's version (grad_hist.csv) is started afresh. Files are
// checked (CheckFiles) before any is cut, and never opened through a
// symbolic link.
func Reopen(dir string, offsets Offsets) (*Recorder, error) {
	r := &Recorder{}
	files := r.table()
	if err := CheckFiles(dir, Files()...); err != nil {
		return nil, err
	}
	for _, n := range files {
		path := filepath.Join(dir, n.name)
		off, ok := offsets[n.name]
		if !ok && n.optional {
			continue
		}
		st, err := os.Stat(path)
		switch {
		case !ok:
			return nil, fmt.Errorf("resume: the checkpoint records no position for %s", n.name)
		case err != nil:
			return nil, fmt.Errorf("resume: %w", err)
		case st.Size() < off:
			return nil, fmt.Errorf("resume: %s has %d bytes but the checkpoint was taken at %d: the file was cut short", path, st.Size(), off)
		}
	}
	for _, n := range files {
		path := filepath.Join(dir, n.name)
		off, ok := offsets[n.name]
		if !ok {
			fh, err := createFile(path, n.header)
			if err != nil {
				r.Close()
				return nil, fmt.Errorf("resume: %w", err)
			}
			*n.f = fh
			continue
		}
		if n.name == StatsFile {
			header, err := firstLine(path)
			if err != nil {
				r.Close()
				return nil, fmt.Errorf("resume: %w", err)
			}
			r.statsV1 = header == statsHeaderV1
		}
		f, err := openNoFollow(path, os.O_WRONLY|os.O_APPEND)
		if err == nil {
			*n.f = f
			err = f.Truncate(off)
		}
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("resume: %w", err)
		}
	}
	return r, nil
}

// Create makes dir if needed and starts the run's CSV files in it,
// replacing earlier ones. Every file a run writes is checked
// (CheckFiles) before any is emptied, and none is opened through a
// symbolic link.
func Create(dir string) (*Recorder, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	if err := CheckFiles(dir, Files()...); err != nil {
		return nil, err
	}
	r := &Recorder{}
	for _, f := range r.table() {
		fh, err := createFile(filepath.Join(dir, f.name), f.header)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("create %s: %w", f.name, err)
		}
		*f.f = fh
	}
	return r, nil
}

// createFile creates or empties the append-only file path and writes
// header to it.
func createFile(path, header string) (*os.File, error) {
	fh, err := openNoFollow(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND)
	if err != nil {
		return nil, err
	}
	if err := write(fh, []byte(header)); err != nil {
		fh.Close()
		return nil, err
	}
	return fh, nil
}

// Step records one logged step in metrics.csv and grad_norms.csv.
func (r *Recorder) Step(s metrics.Step) error {
	F := metrics.F
	r.buf.Reset()
	fmt.Fprintf(&r.buf, "%d,%d,%s,%s,%s,%s,%.3f\n", s.Step, s.Epoch, F(s.Loss), F(s.BatchAcc), F(s.Norms.Global), F(s.Clipped), s.Elapsed)
	if err := write(r.metrics, r.buf.Bytes()); err != nil {
		return err
	}
	r.buf.Reset()
	for _, p := range s.Norms.Params {
		fmt.Fprintf(&r.buf, "%d,%d,%s,%s\n", s.Step, p.Layer, p.Kind, F(p.L2))
	}
	if err := write(r.grads, r.buf.Bytes()); err != nil {
		return err
	}
	return nil
}

// Stats records the activation statistics of one logged step in
// act_stats.csv: step,layer,pre_mean,pre_std,saturated,dead,out_rms,
// delta_rms (without the last two in a run resumed from before they
// existed).
func (r *Recorder) Stats(stats []metrics.Stats) error {
	F := metrics.F
	r.buf.Reset()
	for _, s := range stats {
		fmt.Fprintf(&r.buf, "%d,%d,%s,%s,%s,%s", s.Step, s.Layer, F(s.Mean), F(s.Std), F(s.Saturated), F(s.Dead))
		if !r.statsV1 {
			fmt.Fprintf(&r.buf, ",%s,%s", F(s.OutRMS), F(s.DeltaRMS))
		}
		r.buf.WriteByte('\n')
	}
	if err := write(r.stats, r.buf.Bytes()); err != nil {
		return err
	}
	return nil
}

// Grads records, at the run's first and last step, the distribution of
// log10 |g| of every weight gradient in grad_hist.csv (metrics.LogHist:
// one row per non-empty bin, exact zeros in a row of their own with both
// bounds -Inf). Other steps write nothing.
func (r *Recorder) Grads(g metrics.Grads) error {
	if !g.First && !g.Last {
		return nil
	}
	F := metrics.F
	r.buf.Reset()
	for _, p := range g.Params {
		if p.Kind != metrics.Weight {
			continue
		}
		bins, err := metrics.LogHist(p.Grad)
		if err != nil {
			return fmt.Errorf("layer %d %s: %w", p.Layer, p.Kind, err)
		}
		for _, b := range bins {
			fmt.Fprintf(&r.buf, "%d,%d,%s,%s,%s,%d\n", g.Step, p.Layer, p.Kind, F(b.Lo), F(b.Hi), b.Count)
		}
	}
	return write(r.hist, r.buf.Bytes())
}

// Epoch records one end-of-epoch evaluation in epochs.csv.
func (r *Recorder) Epoch(e metrics.Epoch) error {
	F := metrics.F
	line := fmt.Sprintf("%d,%d,%s,%s,%s\n", e.Epoch, e.Step, F(e.TrainLoss), F(e.TestLoss), F(e.TestAccuracy))
	if err := write(r.epochs, []byte(line)); err != nil {
		return err
	}
	return nil
}

// write appends b to f, an append-only file, with one system call. If the
// write fails part-way (a full disk), the file is cut back to where it
// was, so that it never ends in a partial row.
func write(f *os.File, b []byte) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Truncate(st.Size())
		return err // *PathError: names the file
	}
	return nil
}

// Close closes the files, returning the first error.
func (r *Recorder) Close() error {
	var first error
	for _, f := range r.files() {
		if f == nil {
			continue
		}
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
