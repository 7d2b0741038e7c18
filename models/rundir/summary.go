package rundir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/config"
)

// Files of a run directory.
const (
	MetricsFile    = "metrics.csv"
	GradNormsFile  = "grad_norms.csv"
	EpochsFile     = "epochs.csv"
	StatsFile      = "act_stats.csv"
	GradHistFile   = "grad_hist.csv"
	SummaryFile    = "summary.json"
	CheckpointFile = "checkpoint.bin"
)

// Run statuses, in Summary.Status.
const (
	StatusRunning     = "running"
	StatusFinished    = "finished"
	StatusInterrupted = "interrupted"
	StatusDiverged    = "diverged"
)

// Summary is what a run writes to summary.json. Fields that may be
// undefined (a diverged run has no final loss) are null in JSON.
// MsPerStep and WallClock are wall-clock measurements; every other field
// depends only on the configuration and the data.
type Summary struct {
	Config        config.Config `json:"config"`
	Status        string        `json:"status"`
	InitUsed      string        `json:"init_used"`
	Dataset       string        `json:"dataset"`
	TrainExamples int           `json:"train_examples"`
	TestExamples  int           `json:"test_examples"`
	StepsPerEpoch int           `json:"steps_per_epoch"`
	Steps         int           `json:"steps"`
	// FinalLoss is the training loss of the last step.
	FinalLoss    *float64        `json:"final_loss"`
	TestAccuracy *float64        `json:"test_accuracy"`
	TestLoss     *float64        `json:"test_loss"`
	Epochs       []metrics.Epoch `json:"epochs"`
	// GradRatioFirst and GradRatioLast are the first-layer over
	// last-layer weight-gradient norm at the first and last logged step.
	FirstLoggedStep int      `json:"first_logged_step"`
	LastLoggedStep  int      `json:"last_logged_step"`
	GradRatioFirst  *float64 `json:"grad_ratio_first"`
	GradRatioLast   *float64 `json:"grad_ratio_last"`
	// PredictedGain is the mean-field per-layer backward gain at
	// initialisation (models.Model.PredictedGain), to compare with
	// metrics.Gain of the first step's norms.
	PredictedGain *float64 `json:"predicted_gain"`
	// PredictedGainNote says why PredictedGain is null for a network
	// with residual connections or LayerNorm (PlainOnly); empty otherwise.
	PredictedGainNote string `json:"predicted_gain_note,omitempty"`
	// ForwardGain and ErrorGain are the per-layer gains of the hidden
	// layers' output RMS (metrics.ForwardGain: below 1 the activations
	// shrink toward the output) and of their back-propagated error's RMS
	// (metrics.ErrorGain: below 1 the error shrinks toward the input) at
	// the first logged step, from act_stats.csv's out_rms and delta_rms;
	// LastHiddenRMS is the last hidden layer's output RMS there (what the
	// output layer sees). Null in runs recorded before they existed.
	ForwardGain   *float64 `json:"forward_gain"`
	ErrorGain     *float64 `json:"delta_gain"`
	LastHiddenRMS *float64 `json:"last_hidden_rms"`
	// JacobianSpectrum summarises the singular values of the
	// input–output Jacobian at initialisation, which JacobianFile lists;
	// null for a network of one hidden layer or with LayerNorm.
	JacobianSpectrum *Spectrum `json:"jacobian_spectrum"`
	// ClippedSteps counts the steps whose gradients were clipped.
	ClippedSteps   int    `json:"clipped_steps"`
	DivergedAtStep *int   `json:"diverged_at_step"`
	DivergedWhere  string `json:"diverged_where,omitempty"`
	DivergedReason string `json:"diverged_reason,omitempty"`
	// BLAS is the matrix-multiply library of the build (graph.BLAS): runs
	// give the same numbers byte for byte within one BLAS.
	BLAS string `json:"blas"`
	// Device is where the graphs ran: "cpu", or "cuda:0" and the GPU.
	Device    string  `json:"device"`
	MsPerStep float64 `json:"ms_per_step"`
	WallClock Wall    `json:"wall_clock"`
}

// PlainOnly is Summary.PredictedGainNote of a run whose network is not
// plain.
const PlainOnly = "the mean-field prediction covers the plain network only; this run has residual connections or LayerNorm"

// Wall holds a run's wall-clock fields.
type Wall struct {
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
}

// Done reports whether the run has nothing left to train: it finished or
// diverged.
func (s *Summary) Done() bool {
	return s != nil && (s.Status == StatusFinished || s.Status == StatusDiverged)
}

// TotalSteps is the number of steps the whole run takes.
func (s *Summary) TotalSteps() int { return s.StepsPerEpoch * s.Config.Epochs }

// maxSummary bounds the size of a summary.json that is read.
const maxSummary = 64 << 20

// ReadSummary reads the summary.json of the run in dir. A directory
// without one gives an error that wraps fs.ErrNotExist.
func ReadSummary(dir string) (*Summary, error) {
	b, err := data.ReadFile(filepath.Join(dir, SummaryFile), maxSummary)
	if err != nil {
		return nil, fmt.Errorf("read run %s: %w", dir, err)
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("read run %s: %s: %w", dir, SummaryFile, err)
	}
	return &s, nil
}

// IsRun reports whether dir holds a run (a summary.json).
func IsRun(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, SummaryFile))
	return !errors.Is(err, fs.ErrNotExist) && err == nil
}

// Bytes returns the size of the regular files in dir: the space a run
// that replaces them gives back.
func Bytes(dir string) int64 {
	var n int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
	}
	return n
}

// TreeBytes returns the size of the regular files in dir and its
// immediate subdirectories (the runs of a compare): the space runs that
// replace them give back.
func TreeBytes(dir string) int64 {
	n := Bytes(dir)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			n += Bytes(filepath.Join(dir, e.Name()))
		}
	}
	return n
}

// Finite returns a pointer to x, or nil where x is not finite: how
// summary.json (and every JSON the project writes) gives a number that
// may be infinite or NaN, as null.
func Finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}
