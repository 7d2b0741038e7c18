package theory

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/gradbench/gradbench/graph"
	"github.com/gradbench/gradbench/metrics/meanfield"
	"github.com/gradbench/gradbench/models"
	"github.com/gradbench/gradbench/models/rundir"
	"github.com/gradbench/gradbench/plots"
	"github.com/urfave/cli/v2"
)

// usageError is bad input: exit code 2.
type usageError struct{ error }

// ExitCode returns 2, the exit code of bad input.
func (usageError) ExitCode() int { return 2 }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// noFixedPoint is the phase of a row where the length map has no fixed
// point q* (it grows without bound or does not converge).
const noFixedPoint = "no fixed point"

// maxPoints bounds a --sigma-w2 range.
const maxPoints = 10000

// Command returns the theory command.
func Command() *cli.Command {
	return &cli.Command{
		Name:  "theory",
		Usage: "mean-field theory at initialisation: q*, c*, χ₁, ξ_c, ξ_∇, the trainable depth 6ξ_c and the critical σ_w²",
		Description: "For W ~ N(0, σ_w²/fan_in) and b ~ N(0, σ_b²) (--init gaussian) computes by Gauss–Hermite " +
			"quadrature the fixed points q* and c* of the length and correlation maps, χ₁ = σ_w² E[φ′(√q* z)²] " +
			"(ordered below 1, chaotic above), ξ_c = −1/ln χ_c, ξ_∇ = −1/ln χ₁, the predicted maximum trainable depth " +
			"6ξ_c and the σ_w² where χ₁ = 1 (Poole et al. 2016, Schoenholz et al. 2017). relu and leakyrelu are " +
			"scale-invariant and computed in closed form. --sigma-w2 takes a value, a list (1,1.76,3) or a range " +
			"LO:HI:STEP; --out draws χ₁ and ξ_c over it.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "act", Value: "tanh", Usage: "activation(s), comma-separated, or all"},
			&cli.StringFlag{Name: "sigma-w2", Value: "1", Usage: "weight variance σ_w²: a value, a list A,B,C or a range LO:HI:STEP"},
			&cli.Float64Flag{Name: "sigma-b2", Value: 0, Usage: "bias variance σ_b²"},
			&cli.Float64Flag{Name: "leaky-slope", Value: graph.DefaultLeakySlope, Usage: "negative-side slope of leakyrelu"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON (an object for one activation and σ_w², else an array) instead of the table"},
			&cli.StringFlag{Name: "out", Usage: "also draw χ₁ and ξ_c against σ_w² into this PNG (and NAME_xi.png, with SVG copies)"},
		},
		Action: action,
	}
}

// Row is one activation at one (σ_w², σ_b²) as --json writes it;
// quantities that are infinite (ξ_c at the critical point, q* of a
// scale-invariant activation that diverges) are null, with Note saying why.
type Row struct {
	Act             string   `json:"act"`
	SigmaW2         float64  `json:"sigma_w2"`
	SigmaB2         float64  `json:"sigma_b2"`
	QStar           *float64 `json:"q_star"`
	CStar           *float64 `json:"c_star"`
	Chi1            *float64 `json:"chi1"`
	ChiC            *float64 `json:"chi_c"`
	XiC             *float64 `json:"xi_c"`
	XiGrad          *float64 `json:"xi_grad"`
	MaxDepth        *float64 `json:"max_depth"`
	CriticalSigmaW2 *float64 `json:"critical_sigma_w2"`
	Phase           string   `json:"phase"`
	ScaleInvariant  bool     `json:"scale_invariant"`
	Note            string   `json:"note,omitempty"`
}

func newRow(act string, r meanfield.Result) Row {
	note := r.Note
	return Row{Act: act, SigmaW2: r.SigmaW2, SigmaB2: r.SigmaB2, QStar: rundir.Finite(r.QStar), CStar: rundir.Finite(r.CStar),
		Chi1: rundir.Finite(r.Chi1), ChiC: rundir.Finite(r.ChiC), XiC: rundir.Finite(r.XiC), XiGrad: rundir.Finite(r.XiGrad), MaxDepth: rundir.Finite(r.MaxDepth),
		CriticalSigmaW2: rundir.Finite(r.CriticalSigmaW2), Phase: string(r.Phase), ScaleInvariant: r.ScaleInvariant, Note: note}
}

// ParseValues reads a --sigma-w2 value: one number, a comma-separated
// list or a range LO:HI:STEP (both ends included), every value positive
// and finite.
func ParseValues(s string) ([]float64, error) {
	var vals []float64
	if parts := strings.Split(s, ":"); len(parts) == 3 {
		var b [3]float64
		for i, p := range parts {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("range %q: %q is not a finite number", s, p)
			}
			b[i] = v
		}
		if !(b[2] > 0) || b[1] < b[0] {
			return nil, fmt.Errorf("range %q: want LO:HI:STEP with LO <= HI and STEP > 0", s)
		}
		n := int(math.Floor((b[1]-b[0])/b[2]+1e-9)) + 1
		if n > maxPoints {
			return nil, fmt.Errorf("range %q: %d values, at most %d", s, n, maxPoints)
		}
		for i := range n {
			// Rounded to 12 digits: 0.5 + 6×0.05 is 0.8, not 0.8000000000000003.
			v, _ := strconv.ParseFloat(strconv.FormatFloat(b[0]+float64(i)*b[2], 'g', 12, 64), 64)
			vals = append(vals, v)
		}
	} else {
		for _, p := range strings.Split(s, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%q is not a finite number (want a value, A,B,C or LO:HI:STEP)", p)
			}
			vals = append(vals, v)
		}
	}
	for _, v := range vals {
		if !(v > 0) {
			return nil, fmt.Errorf("%v: must be positive", v)
		}
	}
	return vals, nil
}

func action(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("theory takes no arguments, got %q (see gradbench theory --help)", c.Args().First())
	}
	sw2, err := ParseValues(c.String("sigma-w2"))
	if err != nil {
		return usagef("--sigma-w2 %v", err)
	}
	sb2 := c.Float64("sigma-b2")
	if err := meanfield.Check(1, sb2); err != nil {
		return usagef("--sigma-b2: %v", err)
	}
	slope := c.Float64("leaky-slope")
	if math.IsNaN(slope) || math.IsInf(slope, 0) {
		return usagef("--leaky-slope %v: must be finite", slope)
	}
	names := strings.Split(c.String("act"), ",")
	if c.String("act") == "all" {
		names = graph.Canonical
	}
	acts := make([]meanfield.Activation, len(names))
	for i, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		names[i] = n
		if acts[i], err = models.MeanField(n, slope); err != nil {
			return usagef("--act: %v", err)
		}
	}
	out := c.String("out")
	if out != "" && !strings.HasSuffix(out, ".png") {
		return usagef("--out %q: must name a .png file", out)
	}
	rows := make([][]Row, len(names))
	for i, a := range acts {
		for _, x := range sw2 {
			r, err := meanfield.Solve(a, x, sb2)
			if errors.Is(err, meanfield.ErrUnbounded) || errors.Is(err, meanfield.ErrNoConvergence) {
				// No fixed point q*: a row of unknowns that says why.
				cr, err2 := meanfield.CriticalSigmaW2(a, sb2)
				if err2 != nil {
					cr = math.NaN() // null: no critical point found either
				}
				note := "q grows without bound: the length map has no fixed point q*"
				if errors.Is(err, meanfield.ErrNoConvergence) {
					note = "the length map did not converge to a fixed point q*"
				}
				rows[i] = append(rows[i], Row{Act: names[i], SigmaW2: x, SigmaB2: sb2, CriticalSigmaW2: rundir.Finite(cr),
					Phase: noFixedPoint, Note: note})
				continue
			}
			if err != nil {
				return fmt.Errorf("theory %s: %w", names[i], err)
			}
			rows[i] = append(rows[i], newRow(names[i], r))
		}
	}
	if out != "" {
		chi, xi := make([][]float64, len(names)), make([][]float64, len(names))
		for i := range rows {
			for _, r := range rows[i] {
				chi[i] = append(chi[i], val(r.Chi1))
				xi[i] = append(xi[i], val(r.XiC))
			}
		}
		name := strings.TrimSuffix(filepath.Base(out), ".png")
		if _, err := plots.Theory(filepath.Dir(out), name, names, sw2, chi, xi); err != nil {
			return err
		}
	}
	w := c.App.Writer
	if c.Bool("json") {
		return writeJSON(w, rows)
	}
	if err := Table(w, rows); err != nil {
		return err
	}
	if out != "" {
		fmt.Fprintf(w, "figures: %s, %s\n", out, filepath.Join(filepath.Dir(out), strings.TrimSuffix(filepath.Base(out), ".png")+"_xi.png"))
	}
	return nil
}

func val(p *float64) float64 {
	if p == nil {
		return math.Inf(1)
	}
	return *p
}

func writeJSON(w io.Writer, rows [][]Row) error {
	var v any
	if len(rows) == 1 && len(rows[0]) == 1 {
		v = rows[0][0]
	} else {
		var all []Row
		for _, rs := range rows {
			all = append(all, rs...)
		}
		v = all
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func cell(p *float64) string {
	if p == nil {
		return "inf"
	}
	return strconv.FormatFloat(*p, 'g', 6, 64)
}

// Table writes rows as an aligned table, then for each activation its
// critical σ_w² and the notes of degenerate cases.
func Table(w io.Writer, rows [][]Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "act\tsigma_w2\tsigma_b2\tq*\tc*\tchi1\txi_c\txi_grad\t6 xi_c\tphase\t")
	for _, rs := range rows {
		for _, r := range rs {
			cell := cell
			if r.Phase == noFixedPoint {
				cell = func(*float64) string { return "-" }
			}
			fmt.Fprintf(tw, "%s\t%g\t%g\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Act, r.SigmaW2, r.SigmaB2, cell(r.QStar), cell(r.CStar),
				cell(r.Chi1), cell(r.XiC), cell(r.XiGrad), cell(r.MaxDepth), r.Phase)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, rs := range rows {
		r := rs[0]
		fmt.Fprintf(w, "%s: critical sigma_w2 at sigma_b2 %g: %s (chi1 = 1)\n", r.Act, r.SigmaB2, cell(r.CriticalSigmaW2))
		// Each note once, with the σ_w² it applies to.
		var notes []string
		at := map[string][]string{}
		for _, r := range rs {
			if r.Note == "" {
				continue
			}
			if at[r.Note] == nil {
				notes = append(notes, r.Note)
			}
			at[r.Note] = append(at[r.Note], strconv.FormatFloat(r.SigmaW2, 'g', -1, 64))
		}
		if r.ScaleInvariant {
			fmt.Fprintf(w, "  %s is scale-invariant: closed forms, chi1 = sigma_w2 (1+slope^2)/2, q* degenerate unless chi1 < 1 with sigma_b2 > 0\n", r.Act)
		}
		for _, n := range notes {
			vs := at[n]
			if len(vs) > 4 {
				vs = []string{fmt.Sprintf("%s to %s (%d values)", vs[0], vs[len(vs)-1], len(vs))}
			}
			fmt.Fprintf(w, "  %s at sigma_w2 %s: %s\n", r.Act, strings.Join(vs, ", "), n)
		}
	}
	fmt.Fprintln(w, "xi_grad < 0 is the depth over which gradients grow e-fold (chi1 > 1); inf: the critical point")
	return nil
}
