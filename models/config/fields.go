package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gradbench/gradbench/graph"
)

// Kind is the type of a setting's value.
type Kind int

// Kinds of setting.
const (
	String Kind = iota
	Int
	Uint
	Float
	Bool
)

// Field is one setting of a Config: its name (train's flag and a sweep
// grid's key), help text and check.
type Field struct {
	Name string
	// Help describes the setting for train --help, and Group is the
	// heading it is listed under there (Network, Training, Data, Output).
	Help, Group string
	// Env, if set, is an environment variable that gives the setting's
	// default.
	Env string
	// Locator is true for a setting that says where to find things and
	// changes no number (the data directory): a checkpoint may be resumed
	// with another value.
	Locator bool
	// ptr returns the address of the setting in c: a *string, *int,
	// *uint64, *float64 or *bool, which also gives the Kind.
	ptr func(c *Config) any
	// check returns why c's value is refused, "" when it is accepted.
	check func(c Config) string
}

// Fields are the settings of a Config, in the order train lists its flags
// and a sweep names its runs. This is the one table of settings: adding
// one is a Config field, an entry here and its check.
var Fields = []Field{
	{Name: "act", Group: "Network", Help: "activation: " + strings.Join(graph.Names(), ", "),
		ptr: func(c *Config) any { return &c.Act },
		check: func(c Config) string {
			if _, err := graph.Lookup(c.Act, c.LeakySlope); err != nil {
				return "unknown activation; use one of " + strings.Join(graph.Names(), ", ")
			}
			return ""
		}},
	{Name: "leaky-slope", Group: "Network", Help: "negative-side slope of leakyrelu",
		ptr: func(c *Config) any { return &c.LeakySlope }, check: func(c Config) string { return floatIn(c.LeakySlope, 0, 1) }},
	{Name: "depth", Group: "Network", Help: "number of hidden layers", ptr: func(c *Config) any { return &c.Depth }, check: func(c Config) string { return intIn(c.Depth, 1, MaxDepth) }},
	{Name: "width", Group: "Network", Help: "units per hidden layer", ptr: func(c *Config) any { return &c.Width }, check: func(c Config) string { return intIn(c.Width, 1, MaxWidth) }},
	{Name: "batch", Group: "Training", Help: "examples per training step", ptr: func(c *Config) any { return &c.Batch }, check: func(c Config) string { return atLeast1(c.Batch) }},
	{Name: "epochs", Group: "Training", Help: "passes over the training set", ptr: func(c *Config) any { return &c.Epochs }, check: func(c Config) string { return intIn(c.Epochs, 1, MaxEpochs) }},
	{Name: "lr", Group: "Training", Help: "learning rate", ptr: func(c *Config) any { return &c.LR },
		check: func(c Config) string {
			if !(c.LR > 0) {
				return "must be greater than 0"
			}
			return ""
		}},
	{Name: "optimizer", Group: "Training", Help: "optimiser: " + strings.Join(Optimizers, ", "),
		ptr: func(c *Config) any { return &c.Optimizer }, check: func(c Config) string { return oneOf(c.Optimizer, Optimizers, "optimizer") }},
	{Name: "init", Group: "Network", Help: "initialisation: " + strings.Join(Inits, ", "),
		ptr: func(c *Config) any { return &c.Init }, check: func(c Config) string { return oneOf(c.Init, Inits, "init") }},
	{Name: "sigma-w2", Group: "Network", Help: "weight variance σ_w² of --init gaussian (W ~ N(0, σ_w²/fan_in)) and orthogonal (√σ_w² × orthogonal); other inits ignore it",
		ptr: func(c *Config) any { return &c.SigmaW2 }, check: func(c Config) string { return variance(c.SigmaW2, false) }},
	{Name: "sigma-b2", Group: "Network", Help: "bias variance σ_b² of --init gaussian and orthogonal (b ~ N(0, σ_b²)); other inits ignore it",
		ptr: func(c *Config) any { return &c.SigmaB2 }, check: func(c Config) string { return variance(c.SigmaB2, true) }},
	{Name: "residual", Group: "Network", Help: "residual connections: every hidden width × width layer computes h + φ(W h + b)",
		ptr: func(c *Config) any { return &c.Residual }},
	{Name: "norm", Group: "Network", Help: "normalisation of each hidden layer's pre-activation: " + strings.Join(Norms, ", "),
		ptr: func(c *Config) any { return &c.Norm }, check: func(c Config) string { return oneOf(c.Norm, Norms, "norm") }},
	{Name: "preset", Group: "Training", Help: "start from a preset (" + strings.Join(PresetNames(), ", ") + "); other settings override it",
		ptr: func(c *Config) any { return &c.Preset },
		check: func(c Config) string {
			if c.Preset == "" {
				return ""
			}
			return oneOf(c.Preset, PresetNames(), "preset")
		}},
	{Name: "dtype", Group: "Network", Help: "float32 or float64", ptr: func(c *Config) any { return &c.Dtype }, check: func(c Config) string { return oneOf(c.Dtype, Dtypes, "dtype") }},
	{Name: "seed", Group: "Training", Help: "seed of initialisation and data order", ptr: func(c *Config) any { return &c.Seed }},
	{Name: "dataset", Group: "Data", Help: "dataset: mnist, fashion-mnist, synthetic", ptr: func(c *Config) any { return &c.Dataset }},
	{Name: "data-dir", Group: "Data", Help: "folder holding the datasets (make data fills it)", Env: "GRADBENCH_DATA", Locator: true,
		ptr: func(c *Config) any { return &c.DataDir }},
	{Name: "train-size", Group: "Data", Help: "use only the first N training examples (0: all)", ptr: func(c *Config) any { return &c.TrainSize }, check: func(c Config) string { return atLeast0(c.TrainSize) }},
	{Name: "test-size", Group: "Data", Help: "use only the first N test examples (0: all)", ptr: func(c *Config) any { return &c.TestSize }, check: func(c Config) string { return atLeast0(c.TestSize) }},
	{Name: "log-every", Group: "Output", Help: "record gradient norms every N steps", ptr: func(c *Config) any { return &c.LogEvery }, check: func(c Config) string { return atLeast1(c.LogEvery) }},
	{Name: "clip-norm", Group: "Training", Help: "clip the global gradient norm to X (0: off)", ptr: func(c *Config) any { return &c.ClipNorm },
		check: func(c Config) string {
			if c.ClipNorm < 0 {
				return "must be 0 (off) or positive"
			}
			return ""
		}},
}

// Lookup returns the field called name, and false if there is none.
func Lookup(name string) (Field, bool) {
	i := slices.IndexFunc(Fields, func(f Field) bool { return f.Name == name })
	if i < 0 {
		return Field{}, false
	}
	return Fields[i], true
}

// Names returns the names of the fields, in order.
func Names() []string {
	out := make([]string, len(Fields))
	for i, f := range Fields {
		out[i] = f.Name
	}
	return out
}

// Kind returns the type of the field's value.
func (f Field) Kind() Kind {
	var c Config
	switch f.ptr(&c).(type) {
	case *int:
		return Int
	case *uint64:
		return Uint
	case *float64:
		return Float
	case *bool:
		return Bool
	}
	return String
}

// JSON returns the field's key in summary.json and checkpoints.
func (f Field) JSON() string { return strings.ReplaceAll(f.Name, "-", "_") }

// Get returns the field's value in c as Set reads it: numbers in the
// shortest form that reads back to the same value.
func (f Field) Get(c Config) string {
	switch p := f.ptr(&c).(type) {
	case *string:
		return *p
	case *int:
		return strconv.Itoa(*p)
	case *uint64:
		return strconv.FormatUint(*p, 10)
	case *float64:
		return strconv.FormatFloat(*p, 'g', -1, 64)
	case *bool:
		return strconv.FormatBool(*p)
	}
	panic("config: field " + f.Name + " has no value")
}

// Value returns the field's value in c as a string, int, uint64,
// float64 or bool.
func (f Field) Value(c Config) any {
	switch p := f.ptr(&c).(type) {
	case *string:
		return *p
	case *int:
		return *p
	case *uint64:
		return *p
	case *float64:
		return *p
	case *bool:
		return *p
	}
	return nil
}

// Set parses s as the field's kind and stores it in c. It checks only
// that s is a value of that kind; Validate checks the range.
func (f Field) Set(c *Config, s string) error {
	bad := func(want string) error {
		return &FieldError{Field: f.Name, Value: s, Reason: "want " + want}
	}
	switch p := f.ptr(c).(type) {
	case *string:
		*p = s
	case *int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return bad("a whole number")
		}
		*p = n
	case *uint64:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return bad("a whole number, 0 or more")
		}
		*p = n
	case *float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return bad("a number")
		}
		*p = x
	case *bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return bad("true or false")
		}
		*p = b
	}
	return nil
}

// SetValue stores v, a value of the field's kind (an int for Int and
// Uint fields, a bool for Bool ones), in c.
func (f Field) SetValue(c *Config, v any) error {
	switch p := f.ptr(c).(type) {
	case *string:
		s, ok := v.(string)
		if !ok {
			return &FieldError{Field: f.Name, Value: fmt.Sprint(v), Reason: "want a string"}
		}
		*p = s
		return nil
	}
	return f.Set(c, fmt.Sprint(v))
}

func atLeast1(n int) string {
	if n < 1 {
		return "must be at least 1"
	}
	return ""
}

func atLeast0(n int) string {
	if n < 0 {
		return "must be 0 (all) or positive"
	}
	return ""
}

// Bounds of the sizes a Config may give: past them a network's graph
// takes minutes to build (its build time grows with the square of the
// depth: 1,000 layers take about 10 s) or the count of its steps or
// parameters leaves int64. What fits in memory within them is
// models.CheckMemory's question.
const (
	MaxDepth  = 1000
	MaxWidth  = 1 << 16
	MaxEpochs = 1_000_000
)

func intIn(n, lo, hi int) string {
	if n < lo || n > hi {
		return fmt.Sprintf("must be between %d and %d", lo, hi)
	}
	return ""
}

func floatIn(x, lo, hi float64) string {
	if !(x >= lo && x <= hi) {
		return fmt.Sprintf("must be between %g and %g", lo, hi)
	}
	return ""
}

// variance checks an initialisation variance: in (0, MaxVariance], or
// [0, MaxVariance] when zero is allowed (Field.Check has refused a value
// that is not finite before).
func variance(x float64, zeroOK bool) string {
	switch {
	case zeroOK && x < 0:
		return "must be 0 or positive"
	case !zeroOK && !(x > 0):
		return "must be greater than 0"
	case x > MaxVariance:
		return fmt.Sprintf("must be at most %g", float64(MaxVariance))
	}
	return ""
}

// Check returns why c's value of the field is refused, as a *FieldError,
// nil when it is accepted. Every float must be finite, whatever the
// field's own check says: +Inf and NaN cannot be written to JSON, so a
// run would fail at its first checkpoint.
func (f Field) Check(c Config) error {
	why := ""
	if x, ok := f.Value(c).(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
		why = "must be a finite number"
	} else if f.check != nil {
		why = f.check(c)
	}
	if why == "" {
		return nil
	}
	return &FieldError{Field: f.Name, Value: f.Get(c), Reason: why}
}

func oneOf(v string, choices []string, what string) string {
	if slices.Contains(choices, v) {
		return ""
	}
	return fmt.Sprintf("unknown %s; use one of %s", what, strings.Join(choices, ", "))
}
