package metrics

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// Stats are the activation statistics of one hidden layer at one logged
// step, over the training batch.
type Stats struct {
	Step, Layer int
	// Mean and Std are the mean and standard deviation of the layer's
	// pre-activations.
	Mean, Std float64
	// Saturated is the fraction of pre-activations where the activation's
	// derivative is below 5% of its maximum (sigmoid and tanh; 0 for the
	// others).
	Saturated float64
	// Dead is the fraction of units whose pre-activation is ≤ 0 for every
	// example of the batch (ReLU family and GELU; 0 for the others). For
	// ReLU those units output zero for the whole batch.
	Dead float64
}

// StatsFile is the file of per-layer activation statistics.
const StatsFile = "act_stats.csv"

const statsHeader = "step,layer,pre_mean,pre_std,saturated,dead\n"

// Info is the part of a run's summary.json that reports read back.
type Info struct {
	Config struct {
		Act     string  `json:"act"`
		Depth   int     `json:"depth"`
		Width   int     `json:"width"`
		Batch   int     `json:"batch"`
		Epochs  int     `json:"epochs"`
		LR      float64 `json:"lr"`
		Init    string  `json:"init"`
		Preset  string  `json:"preset"`
		Dtype   string  `json:"dtype"`
		Seed    uint64  `json:"seed"`
		Dataset string  `json:"dataset"`
		Opt     string  `json:"optimizer"`
	} `json:"config"`
	InitUsed       string   `json:"init_used"`
	Steps          int      `json:"steps"`
	FinalLoss      *float64 `json:"final_loss"`
	TestAccuracy   *float64 `json:"test_accuracy"`
	GradRatioFirst *float64 `json:"grad_ratio_first"`
	GradRatioLast  *float64 `json:"grad_ratio_last"`
	DivergedAtStep *int     `json:"diverged_at_step"`
	MsPerStep      float64  `json:"ms_per_step"`
	// PredictedGain is the mean-field backward gain per layer at
	// initialisation (see Theory).
	PredictedGain *float64 `json:"predicted_gain"`
}

// Run is a finished or interrupted run read back from its directory.
type Run struct {
	Dir  string
	Info Info
	// Steps are the logged steps in order, with their gradient norms.
	Steps  []Step
	Epochs []Epoch
	// Stats are the activation statistics, by logged step then layer.
	Stats []Stats
}

// ReadRun reads the run recorded in dir.
func ReadRun(dir string) (*Run, error) {
	r := &Run{Dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		return nil, fmt.Errorf("read run %s: %w", dir, err)
	}
	if err := json.Unmarshal(b, &r.Info); err != nil {
		return nil, fmt.Errorf("read run %s: %s: %w", dir, SummaryFile, err)
	}
	depth := r.Info.Config.Depth
	if depth < 1 {
		return nil, fmt.Errorf("read run %s: %s has depth %d", dir, SummaryFile, depth)
	}
	byStep := map[int]int{}
	err = readCSV(filepath.Join(dir, MetricsFile), 7, func(f []float64) error {
		s := Step{Step: int(f[0]), Epoch: int(f[1]), Loss: f[2], BatchAcc: f[3], Clipped: f[5], Elapsed: f[6],
			Norms: Norms{Global: f[4], Weight: make([]float64, depth+1), Bias: make([]float64, depth+1)}}
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
		switch rec[2] {
		case "weight":
			r.Steps[i].Norms.Weight[layer] = v
		case "bias":
			r.Steps[i].Norms.Bias[layer] = v
		default:
			return fmt.Errorf("row %v: param is neither weight nor bias", rec)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readCSV(filepath.Join(dir, EpochsFile), 5, func(f []float64) error {
		r.Epochs = append(r.Epochs, Epoch{Epoch: int(f[0]), Step: int(f[1]), TrainLoss: f[2], TestLoss: f[3], TestAccuracy: f[4]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Runs recorded without activation statistics have no act_stats.csv.
	if _, err := os.Stat(filepath.Join(dir, StatsFile)); errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	err = readCSV(filepath.Join(dir, StatsFile), 6, func(f []float64) error {
		r.Stats = append(r.Stats, Stats{Step: int(f[0]), Layer: int(f[1]), Mean: f[2], Std: f[3], Saturated: f[4], Dead: f[5]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// StatsAt returns the statistics of every hidden layer at a logged step.
func (r *Run) StatsAt(step int) []Stats {
	var out []Stats
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
	fh, err := os.Open(path)
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
