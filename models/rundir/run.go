package rundir

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/metrics"
)

// Run is a finished or interrupted run read back from its directory.
type Run struct {
	Dir     string
	Summary Summary
	// Steps are the logged steps in order, with their gradient norms.
	Steps  []metrics.Step
	Epochs []metrics.Epoch
	// Stats are the activation statistics, by logged step then layer.
	Stats []metrics.Stats
	// Jacobian holds the singular values of the input–output Jacobian at
	// initialisation, per example, largest first (JacobianFile; none for
	// runs recorded without it).
	Jacobian [][]float64
	// GradHist are the bins of log10 |g| of the weight gradients at the
	// first and last step, by step, then layer (none for runs recorded
	// before grad_hist.csv existed).
	GradHist []metrics.HistBin
}

// Read reads the run recorded in dir.
func Read(dir string) (*Run, error) {
	// A run another process is writing has half-written files: say so
	// rather than read them.
	if err := Probe(dir); err != nil {
		return nil, Refused(fmt.Errorf("read run %s: %v: read it when it has finished", dir, err))
	}
	s, err := ReadSummary(dir)
	if err != nil {
		return nil, err
	}
	r := &Run{Dir: dir, Summary: *s}
	depth := r.Summary.Config.Depth
	if depth < 1 {
		return nil, fmt.Errorf("read run %s: %s has depth %d", dir, SummaryFile, depth)
	}
	byStep := map[int]int{}
	err = readCSV(filepath.Join(dir, MetricsFile), 7, func(f []float64) error {
		s := metrics.Step{Step: int(f[0]), Epoch: int(f[1]), Loss: f[2], BatchAcc: f[3], Clipped: f[5], Elapsed: f[6],
			Norms: metrics.Norms{Global: f[4]}}
		byStep[s.Step] = len(r.Steps)
		r.Steps = append(r.Steps, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readCSVRecords(filepath.Join(dir, GradNormsFile), 4, func(rec []string) error {
		step, err1 := strconv.Atoi(rec[0])
		layer, err2 := strconv.Atoi(rec[1])
		v, err3 := strconv.ParseFloat(rec[3], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return fmt.Errorf("bad row %v", rec)
		}
		i, ok := byStep[step]
		if !ok || layer < 0 || layer > depth {
			return fmt.Errorf("row %v: no such step or layer", rec)
		}
		if rec[2] == "" {
			return fmt.Errorf("row %v: no parameter kind", rec)
		}
		n := &r.Steps[i].Norms
		n.Params = append(n.Params, metrics.Norm{Layer: layer, Kind: rec[2], L2: v})
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readCSV(filepath.Join(dir, EpochsFile), 5, func(f []float64) error {
		r.Epochs = append(r.Epochs, metrics.Epoch{Epoch: int(f[0]), Step: int(f[1]), TrainLoss: f[2], TestLoss: f[3], TestAccuracy: f[4]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Runs recorded without activation statistics have no act_stats.csv.
	if exists(filepath.Join(dir, StatsFile)) {
		// Runs recorded before out_rms and delta_rms existed have six
		// columns; theirs read as NaN.
		cols := 8
		if header, err := firstLine(filepath.Join(dir, StatsFile)); err == nil && header == statsHeaderV1 {
			cols = 6
		}
		err = readCSV(filepath.Join(dir, StatsFile), cols, func(f []float64) error {
			s := metrics.Stats{Step: int(f[0]), Layer: int(f[1]), Mean: f[2], Std: f[3], Saturated: f[4], Dead: f[5],
				OutRMS: math.NaN(), DeltaRMS: math.NaN()}
			if cols == 8 {
				s.OutRMS, s.DeltaRMS = f[6], f[7]
			}
			r.Stats = append(r.Stats, s)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if exists(filepath.Join(dir, GradHistFile)) {
		err = readCSVRecords(filepath.Join(dir, GradHistFile), 6, func(rec []string) error {
			step, err1 := strconv.Atoi(rec[0])
			layer, err2 := strconv.Atoi(rec[1])
			lo, err3 := strconv.ParseFloat(rec[3], 64)
			hi, err4 := strconv.ParseFloat(rec[4], 64)
			n, err5 := strconv.ParseInt(rec[5], 10, 64)
			if err := errors.Join(err1, err2, err3, err4, err5); err != nil || rec[2] == "" || n < 0 {
				return fmt.Errorf("bad row %v", rec)
			}
			r.GradHist = append(r.GradHist, metrics.HistBin{Step: step, Layer: layer, Kind: rec[2], Lo: lo, Hi: hi, Count: n})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if exists(filepath.Join(dir, JacobianFile)) {
		if r.Jacobian, err = readSpectrum(filepath.Join(dir, JacobianFile)); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// HistAt returns the gradient histogram bins of parameters of kind at
// step, by layer.
func (r *Run) HistAt(step int, kind string) []metrics.HistBin {
	var out []metrics.HistBin
	for _, b := range r.GradHist {
		if b.Step == step && b.Kind == kind {
			out = append(out, b)
		}
	}
	return out
}

// StatsAt returns the statistics of every hidden layer at a logged step.
func (r *Run) StatsAt(step int) []metrics.Stats {
	var out []metrics.Stats
	for _, s := range r.Stats {
		if s.Step == step {
			out = append(out, s)
		}
	}
	return out
}

// readCSV reads a CSV file with a header and n numeric columns.
func readCSV(path string, n int, row func([]float64) error) error {
	f := make([]float64, n)
	return readCSVRecords(path, n, func(rec []string) error {
		for i, s := range rec {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("column %d: %w", i+1, err)
			}
			f[i] = v
		}
		return row(f)
	})
}

func readCSVRecords(path string, n int, row func([]string) error) error {
	fh, _, err := data.OpenRegular(path, -1)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer fh.Close()
	cr := csv.NewReader(fh)
	cr.FieldsPerRecord = n
	if _, err := cr.Read(); err != nil {
		return fmt.Errorf("read %s: header: %w", path, err)
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err == nil {
			err = row(rec)
		}
		if err != nil {
			return fmt.Errorf("read %s line %d: %w", path, line, err)
		}
	}
}

// Row returns the run's line in a results table, named by the run's
// config.Label. The verdict is taken from the gain at the first logged
// step, where the network is as initialised.
func (r *Run) Row() metrics.Row {
	s := r.Summary
	row := metrics.Row{Act: s.Config.Label(), TestAccuracy: s.TestAccuracy, FinalLoss: s.FinalLoss,
		RatioStart: s.GradRatioFirst, RatioEnd: s.GradRatioLast, MsPerStep: s.MsPerStep,
		DivergedAt: s.DivergedAtStep, GainStart: math.NaN(), GainEnd: math.NaN(), Predicted: math.NaN()}
	if p := s.PredictedGain; p != nil {
		row.Predicted = *p
	}
	row.PlainOnly = s.Config.Structure() != ""
	if n := len(r.Steps); n > 0 {
		first, last := r.Steps[0], r.Steps[n-1]
		row.GainStart, row.GainEnd = metrics.Gain(first.Norms.Of(metrics.Weight)), metrics.Gain(last.Norms.Of(metrics.Weight))
		row.SaturatedStart, row.DeadStart = metrics.MeanStats(r.StatsAt(first.Step))
		row.SaturatedEnd, row.DeadEnd = metrics.MeanStats(r.StatsAt(last.Step))
	}
	row.ForwardStart, row.ErrorStart = math.NaN(), math.NaN()
	if len(r.Stats) > 0 {
		row.ForwardStart, row.ErrorStart = SignalGains(r.StatsAt(r.Stats[0].Step))
	}
	row.Verdict = metrics.JudgeSignal(row.GainStart, row.ForwardStart)
	return row
}

// SignalGains returns the forward gain (metrics.ForwardGain of the
// outputs' RMS) and the error gain (metrics.ErrorGain of the errors' RMS)
// of one logged step's statistics, hidden layer 0 first.
func SignalGains(stats []metrics.Stats) (forward, delta float64) {
	out, err := make([]float64, len(stats)), make([]float64, len(stats))
	for i, s := range stats {
		out[i], err[i] = s.OutRMS, s.DeltaRMS
	}
	return metrics.ForwardGain(out), metrics.ErrorGain(err)
}

// firstLine returns the first line of the regular file at path, with its
// newline, reading at most 4 KiB.
func firstLine(path string) (string, error) {
	fh, _, err := data.OpenRegular(path, -1)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	line, err := bufio.NewReader(io.LimitReader(fh, 4<<10)).ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return line, nil
}

// Diff compares the first steps logged steps of runs a and b (all the
// steps both logged when steps is 0): the loss and every parameter's
// gradient norm. The runs must have the same parameters and log the same
// steps.
func Diff(a, b *Run, steps int) (metrics.Diff, error) {
	var d metrics.Diff
	if steps < 0 {
		return d, fmt.Errorf("steps %d: must be 0 (all) or more", steps)
	}
	if a.Summary.Config.Depth != b.Summary.Config.Depth {
		return d, fmt.Errorf("%s has depth %d and %s depth %d: compare runs of one configuration", a.Dir, a.Summary.Config.Depth, b.Dir, b.Summary.Config.Depth)
	}
	n := min(len(a.Steps), len(b.Steps))
	if steps > 0 {
		n = min(n, steps)
	}
	if n == 0 {
		return d, fmt.Errorf("%s and %s have no logged step in common", a.Dir, b.Dir)
	}
	for i := range n {
		sa, sb := a.Steps[i], b.Steps[i]
		if sa.Step != sb.Step {
			return d, fmt.Errorf("logged step %d is step %d in %s and step %d in %s: run both with the same log-every", i+1, sa.Step, a.Dir, sb.Step, b.Dir)
		}
		if len(sa.Norms.Params) != len(sb.Norms.Params) {
			return d, fmt.Errorf("step %d has %d parameters in %s and %d in %s: compare runs of one configuration", sa.Step, len(sa.Norms.Params), a.Dir, len(sb.Norms.Params), b.Dir)
		}
		step := sa.Step
		d.Loss.Add(sa.Loss, sb.Loss, func() string { return fmt.Sprintf("step %d loss", step) })
		if i == 0 {
			d.FirstLoss = d.Loss
		}
		for k, pa := range sa.Norms.Params {
			pb := sb.Norms.Params[k]
			if pa.Layer != pb.Layer || pa.Kind != pb.Kind {
				return d, fmt.Errorf("step %d: parameter %d is layer %d %s in %s and layer %d %s in %s", step, k, pa.Layer, pa.Kind, a.Dir, pb.Layer, pb.Kind, b.Dir)
			}
			where := func() string { return fmt.Sprintf("step %d layer %d %s", step, pa.Layer, pa.Kind) }
			d.Norm.Add(pa.L2, pb.L2, where)
			if i == 0 {
				d.FirstNorm.Add(pa.L2, pb.L2, where)
			}
		}
		d.Steps++
	}
	return d, nil
}
