package rundir

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/gradbench/gradbench/metrics"
)

// JacobianFile holds the singular values of the run's input–output
// Jacobian at initialisation (models.Model.JacobianSpectrum).
const JacobianFile = "jacobian_spectrum.csv"

// jacobianHeader is JacobianFile's header: per example of the first
// batch, its singular values, largest first (index 0).
const jacobianHeader = "example,index,sigma\n"

// Spectrum is the summary.json description of the run's Jacobian
// spectrum at initialisation: J = ∂h_{depth−1}/∂h_0 over the depth−1
// hidden width × width layers, at each of the first Examples examples of
// the first batch; the statistics are over all their singular values σ
// pooled. Numbers that are not finite are null.
type Spectrum struct {
	Examples int `json:"examples"`
	Layers   int `json:"layers"`
	Values   int `json:"values"`
	// Unresolved counts the singular values too small for float64 to
	// tell from zero (below n·ε·max σ of their example's J): those of a
	// rank-deficient J (ReLU's zero slopes), or of a product of many
	// layers whose smallest directions die out.
	Unresolved int `json:"unresolved"`
	// MeanSq is the mean of σ²; Max, Min and Median are σ's; Std is σ's
	// standard deviation; Spread is Max / Min.
	MeanSq *float64 `json:"mean_sq"`
	Max    *float64 `json:"max"`
	Min    *float64 `json:"min"`
	Median *float64 `json:"median"`
	Std    *float64 `json:"std"`
	Spread *float64 `json:"spread"`
	// Log10Std is the standard deviation of log10 σ over the resolved
	// values: how many decades the spectrum spreads, 0 for isometry.
	Log10Std *float64 `json:"log10_std"`
}

// WriteSpectrum replaces dir's JacobianFile with the singular values sv,
// one slice per example.
func WriteSpectrum(dir string, sv [][]float64) error {
	var b bytes.Buffer
	b.WriteString(jacobianHeader)
	for k, s := range sv {
		for i, x := range s {
			fmt.Fprintf(&b, "%d,%d,%s\n", k, i, metrics.F(x))
		}
	}
	return WriteFileAtomic(filepath.Join(dir, JacobianFile), b.Bytes())
}

// readSpectrum reads a JacobianFile back, one slice per example.
func readSpectrum(path string) ([][]float64, error) {
	var sv [][]float64
	err := readCSVRecords(path, 3, func(rec []string) error {
		k, err1 := strconv.Atoi(rec[0])
		i, err2 := strconv.Atoi(rec[1])
		x, err3 := strconv.ParseFloat(rec[2], 64)
		if err1 != nil || err2 != nil || err3 != nil || k < 0 || k > len(sv) || i < 0 {
			return fmt.Errorf("bad row %v", rec)
		}
		if k == len(sv) {
			sv = append(sv, nil)
		}
		if i != len(sv[k]) {
			return fmt.Errorf("row %v out of order", rec)
		}
		sv[k] = append(sv[k], x)
		return nil
	})
	return sv, err
}
