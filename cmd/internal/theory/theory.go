package theory

import (
	"encoding/json"
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
	"github.com/gradbench/gradbench/plots"
	"github.com/urfave/cli/v2"
)

// Command returns the theory command; usage marks an error as the user's
// (exit code 2).
func Command(usage func(error) error) *cli.Command {
	return &cli.Command{
		Name:  "theory",
		Usage: "print the mean-field theory of signal propagation (q*, c*, χ₁, ξ_c, ξ_∇, 6ξ_c, critical σ_w², phase)",
		Description: "For W ~ N(0, σ_w²/fan_in) and b ~ N(0, σ_b²) (--init gaussian), the fixed points of the " +
			"length and correlation maps and the depth scales of Poole et al. 2016 and Schoenholz et al. 2017: " +
			"networks deeper than about 6ξ_c do not train. --sigma-w2 FROM:TO:STEP prints a table over the range " +
			"(for each --act, a comma-separated list or all) and --out FILE.png draws χ₁ and ξ_c over it (also FILE.svg). " +
			"xi_grad is negative in the chaotic phase: gradients grow by e every |ξ_∇| layers. " +
			"In --json, an infinite value is null and its key is listed in \"infinite\".",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "act", Value: "tanh", Usage: "activation, or a comma-separated list or all with a --sigma-w2 range"},
			&cli.Float64Flag{Name: "leaky-slope", Value: graph.DefaultLeakySlope, Usage: "negative-side slope of leakyrelu"},
			&cli.StringFlag{Name: "sigma-w2", Value: "1", Usage: "weight variance σ_w², or a range FROM:TO:STEP"},
			&cli.Float64Flag{Name: "sigma-b2", Value: 0.05, Usage: "bias variance σ_b² (0.05 as in Schoenholz et al.)"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON instead of text"},
			&cli.StringFlag{Name: "out", Usage: "with a --sigma-w2 range: write the figure of χ₁ and ξ_c to this .png (and .svg)"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usage(fmt.Errorf("unexpected argument %q: theory takes flags only", c.Args().First()))
			}
			req, err := parse(c.String("act"), c.Float64("leaky-slope"), c.String("sigma-w2"), c.Float64("sigma-b2"), c.String("out"))
			if err != nil {
				return usage(err)
			}
			return req.run(c.App.Writer, c.Bool("json"))
		},
	}
}

// request is a parsed theory command.
type request struct {
	acts   []string
	slope  float64
	sw2    []float64
	ranged bool
	sb2    float64
	out    string
}

// ParseRange parses σ_w² as one number or FROM:TO:STEP (FROM, FROM+STEP,
// … up to TO within rounding), each positive; at most 10,000 values.
func ParseRange(s string) (values []float64, ranged bool, err error) {
	parts := strings.Split(s, ":")
	nums := make([]float64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false, fmt.Errorf("--sigma-w2 %q: %q is not a finite number (want X or FROM:TO:STEP, as 0.5:4:0.25)", s, p)
		}
		nums[i] = v
	}
	switch len(nums) {
	case 1:
		if nums[0] <= 0 {
			return nil, false, fmt.Errorf("--sigma-w2 %v: must be positive", nums[0])
		}
		return nums, false, nil
	case 3:
	default:
		return nil, false, fmt.Errorf("--sigma-w2 %q: want X or FROM:TO:STEP, as 0.5:4:0.25", s)
	}
	from, to, step := nums[0], nums[1], nums[2]
	switch {
	case from <= 0:
		return nil, false, fmt.Errorf("--sigma-w2 %q: FROM %v must be positive", s, from)
	case to < from:
		return nil, false, fmt.Errorf("--sigma-w2 %q: TO %v is below FROM %v", s, to, from)
	case step <= 0:
		return nil, false, fmt.Errorf("--sigma-w2 %q: STEP %v must be positive", s, step)
	case (to-from)/step >= 10000:
		return nil, false, fmt.Errorf("--sigma-w2 %q: more than 10000 values; take a larger STEP", s)
	}
	for i := 0; ; i++ {
		v := from + float64(i)*step
		if v > to+step*1e-9 {
			break
		}
		values = append(values, v)
	}
	return values, true, nil
}

func parse(act string, slope float64, sw2 string, sb2 float64, out string) (request, error) {
	r := request{slope: slope, sb2: sb2, out: out}
	var err error
	if r.sw2, r.ranged, err = ParseRange(sw2); err != nil {
		return r, err
	}
	if err := meanfield.Check(1, sb2); err != nil {
		return r, fmt.Errorf("--sigma-b2: %w", err)
	}
	if math.IsNaN(slope) || math.IsInf(slope, 0) {
		return r, fmt.Errorf("--leaky-slope %v: must be finite", slope)
	}
	if act == "all" {
		r.acts = graph.Names()
	} else {
		r.acts = strings.Split(act, ",")
	}
	for _, a := range r.acts {
		if _, err := graph.Lookup(a, slope); err != nil {
			return r, fmt.Errorf("--act: %w", err)
		}
	}
	if len(r.acts) > 1 && !r.ranged {
		return r, fmt.Errorf("--act %s: several activations need a --sigma-w2 range FROM:TO:STEP", act)
	}
	if out != "" {
		if !r.ranged {
			return r, fmt.Errorf("--out %s: the figure needs a --sigma-w2 range FROM:TO:STEP", out)
		}
		if filepath.Ext(out) != ".png" || filepath.Base(out) == ".png" {
			return r, fmt.Errorf("--out %s: must name a .png file (an .svg is written beside it)", out)
		}
	}
	return r, nil
}

// Point is one activation's mean-field result as theory prints it in JSON.
type Point struct {
	// Act, SigmaW2 and SigmaB2 say where the point is.
	Act     string  `json:"act"`
	SigmaW2 float64 `json:"sigma_w2"`
	SigmaB2 float64 `json:"sigma_b2"`
	// QStar … CriticalSigmaW2 are meanfield.Result's, nil when infinite.
	QStar           *float64 `json:"q_star"`
	CStar           *float64 `json:"c_star"`
	Chi1            *float64 `json:"chi1"`
	ChiC            *float64 `json:"chi_c"`
	XiC             *float64 `json:"xi_c"`
	XiGrad          *float64 `json:"xi_grad"`
	MaxDepth        *float64 `json:"max_depth"`
	CriticalSigmaW2 *float64 `json:"critical_sigma_w2"`
	// Phase is ordered, critical or chaotic; empty with Error.
	Phase string `json:"phase,omitempty"`
	// ScaleInvariant reports relu's and leakyrelu's closed forms.
	ScaleInvariant bool `json:"scale_invariant"`
	// Infinite lists the keys whose value is +Inf (null in JSON).
	Infinite []string `json:"infinite,omitempty"`
	// Note explains a degenerate case; Error is why a point of a range
	// could not be computed.
	Note  string `json:"note,omitempty"`
	Error string `json:"error,omitempty"`
}

func point(act string, r meanfield.Result, err error) Point {
	p := Point{Act: act, SigmaW2: r.SigmaW2, SigmaB2: r.SigmaB2, ScaleInvariant: r.ScaleInvariant, Note: r.Note}
	if err != nil {
		p.Error = err.Error()
		return p
	}
	p.Phase = string(r.Phase)
	for _, f := range []struct {
		key string
		dst **float64
		v   float64
	}{{"q_star", &p.QStar, r.QStar}, {"c_star", &p.CStar, r.CStar}, {"chi1", &p.Chi1, r.Chi1}, {"chi_c", &p.ChiC, r.ChiC},
		{"xi_c", &p.XiC, r.XiC}, {"xi_grad", &p.XiGrad, r.XiGrad}, {"max_depth", &p.MaxDepth, r.MaxDepth},
		{"critical_sigma_w2", &p.CriticalSigmaW2, r.CriticalSigmaW2}} {
		if math.IsInf(f.v, 0) || math.IsNaN(f.v) {
			p.Infinite = append(p.Infinite, f.key)
			continue
		}
		v := f.v
		*f.dst = &v
	}
	return p
}

func (r request) run(w io.Writer, asJSON bool) error {
	var points []Point
	var curves []plots.TheoryCurve
	for _, a := range r.acts {
		act, err := models.MeanField(a, r.slope)
		if err != nil {
			return err
		}
		cv := plots.TheoryCurve{Act: a}
		for _, s := range r.sw2 {
			res, err := meanfield.Solve(act, s, r.sb2)
			if err != nil && !r.ranged {
				return fmt.Errorf("theory %s: %w", a, err)
			}
			points = append(points, point(a, res, err))
			chi, xi := math.NaN(), math.NaN()
			if err == nil {
				chi, xi = res.Chi1, res.XiC
			}
			cv.SigmaW2, cv.Chi1, cv.XiC = append(cv.SigmaW2, s), append(cv.Chi1, chi), append(cv.XiC, xi)
		}
		curves = append(curves, cv)
	}
	if r.out != "" {
		name := strings.TrimSuffix(filepath.Base(r.out), ".png")
		if err := plots.TheoryFigure(filepath.Dir(r.out), name, r.sb2, curves); err != nil {
			return err
		}
	}
	if asJSON {
		var v any = points
		if !r.ranged {
			v = points[0]
		}
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	if !r.ranged {
		return printPoint(w, points[0])
	}
	return printTable(w, points)
}

// num formats a value, ∞ for nil (infinite).
func num(v *float64) string {
	if v == nil {
		return "∞"
	}
	return strconv.FormatFloat(*v, 'g', 6, 64)
}

func printPoint(w io.Writer, p Point) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s at σ_w² = %g, σ_b² = %g\n", p.Act, p.SigmaW2, p.SigmaB2)
	for _, l := range []struct{ k, v string }{
		{"q*", num(p.QStar)}, {"c*", num(p.CStar)}, {"χ₁", num(p.Chi1)}, {"χ_c", num(p.ChiC)},
		{"ξ_c", num(p.XiC)}, {"ξ_∇", num(p.XiGrad)}, {"max depth 6ξ_c", num(p.MaxDepth)},
		{"critical σ_w²", num(p.CriticalSigmaW2)}, {"phase", p.Phase},
	} {
		fmt.Fprintf(tw, "  %s\t%s\n", l.k, l.v)
	}
	if p.ScaleInvariant {
		fmt.Fprintf(tw, "  scale-invariant\texact closed forms\n")
	}
	if p.Note != "" {
		fmt.Fprintf(tw, "  note\t%s\n", p.Note)
	}
	return tw.Flush()
}

func printTable(w io.Writer, points []Point) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "act\tσ_w²\tq*\tc*\tχ₁\tξ_c\tξ_∇\t6ξ_c\tcritical σ_w²\tphase\t")
	var errs []string
	for _, p := range points {
		if p.Error != "" {
			fmt.Fprintf(tw, "%s\t%g\t—\t—\t—\t—\t—\t—\t—\t—\t\n", p.Act, p.SigmaW2)
			errs = append(errs, fmt.Sprintf("%s at σ_w² %g: %s", p.Act, p.SigmaW2, p.Error))
			continue
		}
		fmt.Fprintf(tw, "%s\t%g\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", p.Act, p.SigmaW2, num(p.QStar), num(p.CStar),
			num(p.Chi1), num(p.XiC), num(p.XiGrad), num(p.MaxDepth), num(p.CriticalSigmaW2), p.Phase)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range errs {
		if _, err := fmt.Fprintln(w, "—", e); err != nil {
			return err
		}
	}
	return nil
}
