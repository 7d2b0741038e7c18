package sweep

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
)

// notInGrid names train's flags, not settings of a run, that a grid may
// not set, and why.
var notInGrid = map[string]string{
	"out":              "sweep trains run NAME in DIR/runs/NAME: give sweep --out DIR instead",
	"checkpoint-every": "it changes no number: give it to sweep as --checkpoint-every N",
	"quiet":            "sweep's runs print no progress line: give sweep --quiet",
	"cuda":             "sweep trains on the CPU",
	"resume":           "sweep resumes every unfinished run by itself",
}

// ParseGrid reads the grid in text (from the file named path): every key
// with its values, in config.Fields order.
func ParseGrid(path, text string) ([]Dim, error) {
	var raw map[string]any
	md, err := toml.Decode(text, &raw)
	if err != nil {
		return nil, fmt.Errorf("grid %s: %s: fix the TOML syntax", path, oneLine(err.Error()))
	}
	given := map[string]Dim{}
	for _, key := range md.Keys() {
		if len(key) != 1 {
			continue // inside a table, which is refused below
		}
		k := key[0]
		name := strings.ReplaceAll(strings.ToLower(k), "_", "-")
		if why := notInGrid[name]; why != "" {
			return nil, fmt.Errorf("grid %s: key %q cannot be swept: %s", path, k, why)
		}
		f, ok := config.Lookup(name)
		if !ok {
			return nil, fmt.Errorf("grid %s: unknown key %q: use train's flag names: %s", path, k, strings.Join(config.Names(), ", "))
		}
		if _, dup := given[name]; dup {
			return nil, fmt.Errorf("grid %s: %s is given twice (as %s and another spelling): keep one", path, name, k)
		}
		items := []any{raw[k]}
		if list, ok := raw[k].([]any); ok {
			if len(list) == 0 {
				return nil, fmt.Errorf("grid %s: %s = []: give at least one value", path, k)
			}
			items = list
		}
		dim := Dim{Key: name}
		for _, item := range items {
			v, err := gridValue(f, item)
			if err != nil {
				return nil, fmt.Errorf("grid %s: %s: %v", path, k, err)
			}
			if slices.Contains(dim.Values, v) {
				return nil, fmt.Errorf("grid %s: %s lists %s twice: remove one", path, k, v)
			}
			dim.Values = append(dim.Values, v)
		}
		given[name] = dim
	}
	var dims []Dim
	for _, f := range config.Fields {
		if d, ok := given[f.Name]; ok {
			dims = append(dims, d)
		}
	}
	return dims, nil
}

// gridValue checks a decoded TOML value against the kind its field takes
// and returns it as Field.Set reads it.
func gridValue(f config.Field, v any) (string, error) {
	switch f.Kind() {
	case config.String:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return "", fmt.Errorf("want a string (in quotes), got %s", tomlText(v))
	case config.Int, config.Uint:
		n, ok := v.(int64)
		if !ok {
			return "", fmt.Errorf("want a whole number, got %s", tomlText(v))
		}
		if f.Kind() == config.Uint && n < 0 {
			return "", fmt.Errorf("want 0 or more, got %d", n)
		}
		if n != int64(int(n)) {
			return "", fmt.Errorf("%d is too large", n)
		}
		return strconv.FormatInt(n, 10), nil
	case config.Bool:
		if b, ok := v.(bool); ok {
			return strconv.FormatBool(b), nil
		}
		return "", fmt.Errorf("want true or false (no quotes), got %s", tomlText(v))
	}
	switch x := v.(type) {
	case int64:
		return formatFloat(float64(x)), nil
	case float64:
		return formatFloat(x), nil
	}
	return "", fmt.Errorf("want a number, got %s", tomlText(v))
}

func formatFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// tomlText shows a decoded TOML value in an error message.
func tomlText(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return formatFloat(x)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("%v", v)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// runName names the run with the given values of dims: key=value of each
// key with more than one value, in dims' order, joined by commas; "run"
// when nothing is swept. Characters other than letters, digits and
// ._+- in a value become '_'.
func runName(dims []Dim, values []string) string {
	var parts []string
	for i, d := range dims {
		if len(d.Values) > 1 {
			parts = append(parts, d.Key+"="+sanitize(values[i]))
		}
	}
	if len(parts) == 0 {
		return "run"
	}
	return strings.Join(parts, ",")
}

func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '.', r == '_', r == '+', r == '-':
			return r
		}
		return '_'
	}, s)
	if s == "" || s == "." || s == ".." {
		s = strings.Repeat("_", max(len(s), 1))
	}
	return s
}

// expand returns every combination of the values of dims, the last key
// varying fastest: the runs of the grid, in a stable order.
func expand(dims []Dim) [][]string {
	combos := [][]string{nil}
	for _, d := range dims {
		var next [][]string
		for _, c := range combos {
			for _, v := range d.Values {
				next = append(next, append(slices.Clone(c), v))
			}
		}
		combos = next
	}
	return combos
}

// Configure returns the configuration train builds from the settings
// dims[i] = values[i]: the defaults, the preset, then the other settings;
// checked as train checks it.
func Configure(dims []Dim, values []string) (config.Config, error) {
	c := config.Default()
	for i, d := range dims {
		if d.Key == "preset" {
			if err := c.ApplyPreset(values[i]); err != nil {
				return c, err
			}
		}
	}
	for i, d := range dims {
		f, _ := config.Lookup(d.Key)
		if d.Key == "preset" {
			continue
		}
		if err := f.Set(&c, values[i]); err != nil {
			return c, err
		}
	}
	return c, c.Validate()
}

// TrainArgs returns train's flags that configure exactly c: the preset,
// if any, then every setting.
func TrainArgs(c config.Config) []string {
	var args []string
	if c.Preset != "" {
		args = append(args, "--preset", c.Preset)
	}
	for _, f := range config.Fields {
		switch {
		case f.Name == "preset":
		case f.Kind() == config.Bool:
			// A bool flag takes its value only in the same argument.
			args = append(args, "--"+f.Name+"="+f.Get(c))
		default:
			args = append(args, "--"+f.Name, f.Get(c))
		}
	}
	return args
}

// maxGrid bounds the size of a grid file.
const maxGrid = 1 << 20

// Build expands the grid in the file gridPath into a sweep's runs and
// checks each configuration as train would. A relative data directory is
// made absolute (from the current directory), so that Slurm tasks, which
// start elsewhere, find the data; a grid without one takes train's
// default (or GRADBENCH_DATA's).
func Build(gridPath string, checkpointEvery int) (*Spec, error) {
	text, err := data.ReadFile(gridPath, maxGrid)
	if err != nil {
		return nil, fmt.Errorf("grid %s cannot be read (%v): give the path of a TOML grid file", gridPath, rundir.PathCause(err))
	}
	dims, err := ParseGrid(gridPath, string(text))
	if err != nil {
		return nil, err
	}
	dd := slices.IndexFunc(dims, func(d Dim) bool { return d.Key == "data-dir" })
	ddGiven := dd >= 0
	if !ddGiven {
		def := config.Default().DataDir
		if env := os.Getenv("GRADBENCH_DATA"); env != "" {
			def = env
		}
		dims = append(dims, Dim{Key: "data-dir", Values: []string{def}})
		dd = len(dims) - 1
	}
	for i, v := range dims[dd].Values {
		abs, err := filepath.Abs(v)
		if err != nil {
			return nil, fmt.Errorf("grid %s: data-dir %s: %v", gridPath, v, err)
		}
		if slices.Contains(dims[dd].Values[:i], abs) {
			return nil, fmt.Errorf("grid %s: data-dir lists %s twice: remove one", gridPath, abs)
		}
		dims[dd].Values[i] = abs
	}
	n := 1
	for _, d := range dims {
		if n *= len(d.Values); n > MaxRuns {
			return nil, fmt.Errorf("grid %s expands to more than %d runs: shorten its lists", gridPath, MaxRuns)
		}
	}
	abs, _ := filepath.Abs(gridPath)
	spec := &Spec{Version: version, GridFile: abs, CheckpointEvery: checkpointEvery}
	for _, d := range dims {
		if len(d.Values) > 1 {
			spec.Swept = append(spec.Swept, d.Key)
		}
		// The grid as written (the data directory only if the file gave it).
		if d.Key != "data-dir" || ddGiven {
			spec.Grid = append(spec.Grid, d)
		}
	}
	names := map[string]int{}
	for _, values := range expand(dims) {
		name := runName(dims, values)
		if j, dup := names[name]; dup {
			return nil, fmt.Errorf("grid %s: runs %d and %d are both named %s (values that differ only in characters a directory name cannot hold): change one value", gridPath, j+1, len(spec.Runs)+1, name)
		}
		names[name] = len(spec.Runs)
		cfg, err := Configure(dims, values)
		if err != nil {
			return nil, fmt.Errorf("grid %s: %s%w", gridPath, runLabel(name), err)
		}
		spec.Runs = append(spec.Runs, Run{Name: name, Dir: filepath.Join(RunsDir, name), Config: cfg, TrainArgs: TrainArgs(cfg)})
	}
	return spec, nil
}

// runLabel returns "run NAME: " for an error about a run of a grid that
// has several, "" for the only run of a grid that sweeps nothing.
func runLabel(name string) string {
	if name == "run" {
		return ""
	}
	return "run " + name + ": "
}
