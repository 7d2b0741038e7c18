package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models"
	"github.com/gradbench/gradbench/plots"
	"github.com/urfave/cli/v2"
)

// Files of a sweep directory.
const (
	sweepFile    = "sweep.json"   // the grid and the run list
	sweepRunsDir = "runs"         // run NAME trains into runs/NAME
	sweepPIDFile = "sweep.pid"    // the local engine's process, while it runs
	sweepVersion = 1              // version of sweep.json
	maxSweepRuns = 10000          // the most runs a grid may expand to
	defaultSweep = "runs/sweep"   // --out when none is given
	sweepScript  = "sweep.sbatch" // the Slurm job-array script
	sweepLogs    = "logs"         // the Slurm tasks' output
)

func sweepCommand() *cli.Command {
	cmds := []*cli.Command{sweepStatusCommand(), sweepResubmitCommand(), sweepRunTaskCommand()}
	for _, c := range cmds {
		c.OnUsageError = onUsageError
	}
	return &cli.Command{
		Name:  "sweep",
		Usage: "train every combination of a grid of train settings (locally or as a Slurm job array)",
		UsageText: "gradbench sweep --grid FILE --out DIR [--dry-run] [--engine local|slurm] [--jobs N]\n" +
			"gradbench sweep status DIR\ngradbench sweep resubmit DIR",
		Description: "The grid is a TOML file whose keys are train's flags (act, depth, width, lr, seed, dataset, …);\n" +
			"a key may take one value or a list, and the runs are every combination of the lists.\n" +
			"See docs/sweeps.md.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "grid", Usage: "grid `FILE` (TOML): train flags, each a value or a list"},
			&cli.StringFlag{Name: "out", Value: defaultSweep, Usage: "sweep `DIR`: run NAME goes to DIR/runs/NAME"},
			&cli.BoolFlag{Name: "dry-run", Usage: "list the runs and their train command lines; train nothing"},
			&cli.StringFlag{Name: "engine", Value: "local", Usage: "local (train here, --jobs at once) or slurm (submit a job array)"},
			&cli.IntFlag{Name: "jobs", Value: runtime.NumCPU(), Usage: "local engine: runs trained at once"},
			&cli.IntFlag{Name: "checkpoint-every", Value: 200, Usage: "write each run's checkpoint every N steps"},
			&cli.BoolFlag{Name: "quiet", Usage: "no progress line"},
			&cli.StringFlag{Name: "partition", Usage: "slurm: partition (default: the cluster's)"},
			&cli.IntFlag{Name: "cpus-per-task", Value: 1, Usage: "slurm: CPUs of each task"},
			&cli.StringFlag{Name: "mem", Usage: "slurm: memory of each task, as sbatch --mem takes it (e.g. 2G)"},
			&cli.StringFlag{Name: "time", Usage: "slurm: time limit of each task, as sbatch --time takes it (e.g. 1:00:00)"},
		},
		Subcommands: cmds,
		Action:      sweep,
	}
}

// gridDim is one key of a grid with its values, as train's flag takes
// them.
type gridDim struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// sweepRun is one run of a sweep.
type sweepRun struct {
	Name string `json:"name"`
	// Dir is the run's directory, relative to the sweep directory.
	Dir    string        `json:"dir"`
	Config models.Config `json:"config"`
	// TrainArgs are gradbench train's flags that configure this run (all
	// of them); with --out they train the same run.
	TrainArgs []string `json:"train_args"`
}

// sweepSpec is the content of sweep.json.
type sweepSpec struct {
	Version int `json:"version"`
	// GridFile is the grid's path when the sweep was (last) started.
	GridFile string    `json:"grid_file"`
	Grid     []gridDim `json:"grid"`
	// Swept are the keys with more than one value: they name the runs.
	Swept           []string   `json:"swept"`
	CheckpointEvery int        `json:"checkpoint_every"`
	Runs            []sweepRun `json:"runs"`
	// Slurm is set once the sweep was submitted with --engine slurm.
	Slurm *slurmState `json:"slurm,omitempty"`
}

// valueKind is the kind of value a grid key takes.
type valueKind int

const (
	kindString valueKind = iota
	kindInt
	kindUint
	kindFloat
)

// gridKey is a key a grid may set: a flag of train that configures the
// run.
type gridKey struct {
	name string
	kind valueKind
}

// notInGrid names train's flags that a grid may not set, and why.
var notInGrid = map[string]string{
	"out":              "sweep trains run NAME in DIR/runs/NAME: give sweep --out DIR instead",
	"checkpoint-every": "it changes no number: give it to sweep as --checkpoint-every N",
	"quiet":            "sweep's runs print no progress line: give sweep --quiet",
	"cuda":             "sweep trains on the CPU",
	"resume":           "sweep resumes every unfinished run by itself",
}

// gridKeys returns the keys a grid may set, in the order train lists its
// flags: the order of the parts of a run's name.
func gridKeys() []gridKey {
	var keys []gridKey
	for _, f := range trainFlags() {
		name := f.Names()[0]
		if notInGrid[name] != "" {
			continue
		}
		switch f.(type) {
		case *cli.StringFlag:
			keys = append(keys, gridKey{name, kindString})
		case *cli.IntFlag:
			keys = append(keys, gridKey{name, kindInt})
		case *cli.Uint64Flag:
			keys = append(keys, gridKey{name, kindUint})
		case *cli.Float64Flag:
			keys = append(keys, gridKey{name, kindFloat})
		}
	}
	return keys
}

func keyNames(keys []gridKey) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.name
	}
	return strings.Join(names, ", ")
}

// parseGrid reads the grid in text (from the file named path): every key
// with its values, in gridKeys order.
func parseGrid(path, text string) ([]gridDim, error) {
	var raw map[string]any
	md, err := toml.Decode(text, &raw)
	if err != nil {
		return nil, usagef("grid %s: %s: fix the TOML syntax", path, oneLine(err.Error()))
	}
	keys := gridKeys()
	byName := map[string]gridKey{}
	for _, k := range keys {
		byName[k.name] = k
	}
	given := map[string]gridDim{}
	for _, key := range md.Keys() {
		if len(key) != 1 {
			continue // inside a table, which is refused below
		}
		k := key[0]
		name := strings.ReplaceAll(strings.ToLower(k), "_", "-")
		if why := notInGrid[name]; why != "" {
			return nil, usagef("grid %s: key %q cannot be swept: %s", path, k, why)
		}
		gk, ok := byName[name]
		if !ok {
			return nil, usagef("grid %s: unknown key %q: use train's flag names: %s", path, k, keyNames(keys))
		}
		if _, dup := given[name]; dup {
			return nil, usagef("grid %s: %s is given twice (as %s and another spelling): keep one", path, name, k)
		}
		items := []any{raw[k]}
		if list, ok := raw[k].([]any); ok {
			if len(list) == 0 {
				return nil, usagef("grid %s: %s = []: give at least one value", path, k)
			}
			items = list
		}
		dim := gridDim{Key: name}
		for _, item := range items {
			v, err := gridValue(gk, item)
			if err != nil {
				return nil, usagef("grid %s: %s: %v", path, k, err)
			}
			for _, w := range dim.Values {
				if w == v {
					return nil, usagef("grid %s: %s lists %s twice: remove one", path, k, v)
				}
			}
			dim.Values = append(dim.Values, v)
		}
		given[name] = dim
	}
	var dims []gridDim
	for _, k := range keys {
		if d, ok := given[k.name]; ok {
			dims = append(dims, d)
		}
	}
	return dims, nil
}

// gridValue checks a grid value against the kind its key takes and
// returns it as train's flag takes it.
func gridValue(k gridKey, v any) (string, error) {
	switch k.kind {
	case kindString:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return "", fmt.Errorf("want a string (in quotes), got %s", tomlText(v))
	case kindInt, kindUint:
		n, ok := v.(int64)
		if !ok {
			return "", fmt.Errorf("want a whole number, got %s", tomlText(v))
		}
		if k.kind == kindUint && n < 0 {
			return "", fmt.Errorf("want 0 or more, got %d", n)
		}
		if n != int64(int(n)) {
			return "", fmt.Errorf("%d is too large", n)
		}
		return strconv.FormatInt(n, 10), nil
	case kindFloat:
		switch x := v.(type) {
		case int64:
			return formatFloat(float64(x)), nil
		case float64:
			return formatFloat(x), nil
		}
		return "", fmt.Errorf("want a number, got %s", tomlText(v))
	}
	return "", fmt.Errorf("unsupported key")
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
func runName(dims []gridDim, values []string) string {
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

// expandGrid returns every combination of the values of dims, the last
// key varying fastest: the runs of the grid, in a stable order.
func expandGrid(dims []gridDim) [][]string {
	combos := [][]string{nil}
	for _, d := range dims {
		var next [][]string
		for _, c := range combos {
			for _, v := range d.Values {
				next = append(next, append(append([]string(nil), c...), v))
			}
		}
		combos = next
	}
	return combos
}

// gridConfig returns the configuration train would build from the flags
// key=value: defaults, the preset, then the flags.
func gridConfig(dims []gridDim, values []string) (models.Config, error) {
	fs := flag.NewFlagSet("grid", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, f := range trainFlags() {
		if err := f.Apply(fs); err != nil {
			return models.Config{}, err
		}
	}
	for i, d := range dims {
		if err := fs.Set(d.Key, values[i]); err != nil {
			return models.Config{}, usagef("%s %s: %v", d.Key, values[i], err)
		}
	}
	return configFrom(cli.NewContext(nil, fs, nil))
}

// buildSweep expands the grid in file gridPath into the sweep's runs and
// checks each configuration as train would. A relative data directory is
// made absolute (from the current directory), so that Slurm tasks, which
// start elsewhere, find the data.
func buildSweep(gridPath string, every int) (*sweepSpec, error) {
	text, err := os.ReadFile(gridPath)
	if err != nil {
		return nil, usagef("--grid %s cannot be read (%v): give the path of a TOML grid file", gridPath, unwrapPath(err))
	}
	dims, err := parseGrid(gridPath, string(text))
	if err != nil {
		return nil, err
	}
	// The data directory is always set, as train's default or
	// GRADBENCH_DATA would set it, and made absolute.
	dd := -1
	for i, d := range dims {
		if d.Key == "data-dir" {
			dd = i
		}
	}
	ddGiven := dd >= 0
	if !ddGiven {
		def := models.Default().DataDir
		if env := os.Getenv("GRADBENCH_DATA"); env != "" {
			def = env
		}
		dims = append(dims, gridDim{Key: "data-dir", Values: []string{def}})
		dd = len(dims) - 1
	}
	for i, v := range dims[dd].Values {
		abs, err := filepath.Abs(v)
		if err != nil {
			return nil, usagef("grid %s: data-dir %s: %v", gridPath, v, err)
		}
		if slices.Contains(dims[dd].Values[:i], abs) {
			return nil, usagef("grid %s: data-dir lists %s twice: remove one", gridPath, abs)
		}
		dims[dd].Values[i] = abs
	}
	n := 1
	for _, d := range dims {
		if n *= len(d.Values); n > maxSweepRuns {
			return nil, usagef("grid %s expands to more than %d runs: shorten its lists", gridPath, maxSweepRuns)
		}
	}
	combos := expandGrid(dims)
	abs, _ := filepath.Abs(gridPath)
	spec := &sweepSpec{Version: sweepVersion, GridFile: abs, CheckpointEvery: every}
	for _, d := range dims {
		if len(d.Values) > 1 {
			spec.Swept = append(spec.Swept, d.Key)
		}
	}
	// The grid as written (the data directory only if the file gave it).
	for _, d := range dims {
		if d.Key != "data-dir" || ddGiven {
			spec.Grid = append(spec.Grid, d)
		}
	}
	names := map[string]int{}
	for _, values := range combos {
		name := runName(dims, values)
		if j, dup := names[name]; dup {
			return nil, usagef("grid %s: runs %d and %d are both named %s (values that differ only in characters a directory name cannot hold): change one value", gridPath, j+1, len(spec.Runs)+1, name)
		}
		names[name] = len(spec.Runs)
		cfg, err := gridConfig(dims, values)
		if err != nil {
			return nil, usagef("grid %s: %s%v", gridPath, runLabel(name), err)
		}
		args, err := trainArgs(cfg)
		if err != nil {
			return nil, err
		}
		spec.Runs = append(spec.Runs, sweepRun{Name: name, Dir: filepath.Join(sweepRunsDir, name), Config: cfg, TrainArgs: args})
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

// trainArgs returns train's flags that configure exactly cfg: the preset,
// if any, then every setting.
func trainArgs(cfg models.Config) ([]string, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	var args []string
	if cfg.Preset != "" {
		args = append(args, "--preset", cfg.Preset)
	}
	for _, k := range gridKeys() {
		if k.name == "preset" {
			continue
		}
		v, ok := m[strings.ReplaceAll(k.name, "-", "_")]
		if !ok {
			return nil, fmt.Errorf("sweep: train flag --%s has no configuration field", k.name)
		}
		args = append(args, "--"+k.name, fmt.Sprint(v))
	}
	return args, nil
}

// sweepData loads every dataset the runs read and checks that each run's
// batch fits its training split: what can fail before training starts.
// It returns the datasets by dataset name and directory.
func sweepData(spec *sweepSpec) (map[[2]string]*data.Dataset, error) {
	sets := map[[2]string]*data.Dataset{}
	for _, r := range spec.Runs {
		key := [2]string{r.Config.Dataset, r.Config.DataDir}
		ds, ok := sets[key]
		if !ok {
			var err error
			if ds, err = data.Load(r.Config.Dataset, r.Config.DataDir); err != nil {
				return nil, usagef("grid %s: %s%v", spec.GridFile, runLabel(r.Name), err)
			}
			sets[key] = ds
		}
		if _, _, err := r.Config.Splits(ds); err != nil {
			return nil, usagef("grid %s: %s%v", spec.GridFile, runLabel(r.Name), err)
		}
	}
	return sets, nil
}

// readSpec reads dir/sweep.json. A missing file wraps os.ErrNotExist.
func readSpec(dir string) (*sweepSpec, error) {
	b, err := os.ReadFile(filepath.Join(dir, sweepFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, usageError{fmt.Errorf("%s is not a sweep directory (no %s): give the --out of gradbench sweep: %w", dir, sweepFile, err)}
	}
	if err != nil {
		return nil, usagef("%s: %v", filepath.Join(dir, sweepFile), unwrapPath(err))
	}
	var s sweepSpec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, usagef("%s is damaged (%v): start the sweep again in another directory", filepath.Join(dir, sweepFile), err)
	}
	if s.Version != sweepVersion {
		return nil, usagef("%s has version %d; this gradbench reads version %d", filepath.Join(dir, sweepFile), s.Version, sweepVersion)
	}
	for _, r := range s.Runs {
		if r.Name == "" || r.Dir == "" || filepath.IsAbs(r.Dir) || strings.HasPrefix(filepath.Clean(r.Dir), "..") {
			return nil, usagef("%s is damaged (run %q in %q): start the sweep again in another directory", filepath.Join(dir, sweepFile), r.Name, r.Dir)
		}
	}
	return &s, nil
}

// writeSpec writes dir/sweep.json atomically.
func writeSpec(dir string, s *sweepSpec) error {
	return metrics.WriteJSON(filepath.Join(dir, sweepFile), s)
}

// sameRuns returns "" if a and b list the same runs with the same
// configurations (the data directory aside), else what differs.
func sameRuns(a, b *sweepSpec) string {
	if len(a.Runs) != len(b.Runs) {
		return fmt.Sprintf("it has %d runs, the grid %d", len(a.Runs), len(b.Runs))
	}
	for i := range a.Runs {
		if a.Runs[i].Name != b.Runs[i].Name {
			return fmt.Sprintf("its run %d is %s, the grid's %s", i+1, a.Runs[i].Name, b.Runs[i].Name)
		}
		if d := configDiff(a.Runs[i].Config, b.Runs[i].Config); d != "" {
			return fmt.Sprintf("in run %s the grid's %s", a.Runs[i].Name, d)
		}
	}
	return ""
}

// runCheckpoint returns the checkpoint of run r in dir: nil if it has
// none, an error if it cannot be read or is from another configuration.
func runCheckpoint(dir string, r sweepRun) (*models.Checkpoint, error) {
	ck, err := models.ReadCheckpoint(filepath.Join(dir, models.CheckpointFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, usagef("run %s: %v: remove %s to train it again", r.Name, err, dir)
	}
	if d := configDiff(ck.Config, r.Config); d != "" {
		return nil, usagef("run %s in %s was configured differently (%s): remove it to train it again", r.Name, dir, strings.Replace(d, "differs from the run's", "of the grid differs from its", 1))
	}
	return ck, nil
}

// sweepFlags are the checked flags of the sweep command.
type sweepFlags struct {
	grid, out, engine string
	jobs, every       int
}

func sweep(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("unexpected argument %q: gradbench sweep --grid FILE --out DIR, or gradbench sweep status|resubmit DIR", c.Args().First())
	}
	f := sweepFlags{grid: c.String("grid"), out: c.String("out"), engine: c.String("engine"), jobs: c.Int("jobs"), every: c.Int("checkpoint-every")}
	switch {
	case f.grid == "":
		return usagef("sweep needs --grid FILE: a TOML file of train flags, each a value or a list (see docs/sweeps.md)")
	case f.out == "":
		return usagef("--out is empty: give the sweep's directory")
	case f.engine != "local" && f.engine != "slurm":
		return usagef("unknown --engine %q: use local or slurm", f.engine)
	case f.jobs < 1:
		return usagef("--jobs must be at least 1, got %d", f.jobs)
	case f.every < 0:
		return usagef("--checkpoint-every must be 0 or more, got %d", f.every)
	}
	var opts slurmOptions
	if f.engine == "slurm" {
		var err error
		if opts, err = slurmOptionsFrom(c); err != nil {
			return err
		}
	}
	spec, err := buildSweep(f.grid, f.every)
	if err != nil {
		return err
	}
	sets, err := sweepData(spec)
	if err != nil {
		return err
	}
	if c.Bool("dry-run") {
		printDryRun(os.Stdout, spec, f)
		return nil
	}
	// Nothing is written before everything is checked.
	old, err := readSpec(f.out)
	switch {
	case err == nil:
		if d := sameRuns(old, spec); d != "" {
			return usagef("%s holds another sweep (%s): choose another --out, or remove it", f.out, d)
		}
		spec.Slurm = old.Slurm
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	if pid := localSweepPID(f.out); pid > 0 {
		return usagef("a sweep (process %d) is already training in %s: wait for it to end or stop it", pid, f.out)
	}
	cks := make([]*models.Checkpoint, len(spec.Runs))
	var need int64
	for i, r := range spec.Runs {
		dir := filepath.Join(f.out, r.Dir)
		if cks[i], err = runCheckpoint(dir, r); err != nil {
			return err
		}
		if cks[i] == nil || !finished(cks[i]) {
			ds := sets[[2]string{r.Config.Dataset, r.Config.DataDir}]
			train, _, _ := r.Config.Splits(ds)
			need += models.OutputBytes(r.Config, train.N, train.Dim, ds.Classes) - dirBytes(dir, false)
		}
	}
	if err := checkWritable(f.out); err != nil {
		return err
	}
	if free := freeBytes(f.out); free >= 0 && free < need {
		return usagef("output %s has %s free but the sweep needs about %s: free some space or choose another --out", f.out, mib(free), mib(need))
	}
	if f.engine == "slurm" {
		return sweepSlurm(os.Stdout, spec, f.out, opts)
	}
	if active, err := slurmActive(spec); err == nil && len(active) > 0 {
		return usagef("Slurm tasks of this sweep are still queued or running (%s): wait for them (gradbench sweep status %s) or scancel them", strings.Join(active, ", "), f.out)
	}
	if err := writeSpec(f.out, spec); err != nil {
		return err
	}
	if err := sweepLocal(os.Stdout, spec, f, sets, cks, progressFor(c) != nil); err != nil {
		return err
	}
	return plotSweep(os.Stdout, f.out, f.out)
}

// printDryRun lists the runs of spec with their train command lines.
func printDryRun(w io.Writer, spec *sweepSpec, f sweepFlags) {
	width := 0
	for _, r := range spec.Runs {
		width = max(width, len(r.Name))
	}
	fmt.Fprintf(w, "%d runs in %s (dry run: nothing trained):\n", len(spec.Runs), filepath.Join(f.out, sweepRunsDir))
	for _, r := range spec.Runs {
		args := append([]string{"gradbench", "train"}, r.TrainArgs...)
		args = append(args, "--checkpoint-every", strconv.Itoa(f.every), "--quiet", "--out", filepath.Join(f.out, r.Dir))
		fmt.Fprintf(w, "%-*s  %s\n", width, r.Name, shellJoin(args))
	}
}

// shellJoin quotes args for a POSIX shell.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		safe := a != ""
		for _, r := range a {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=,:+@%", r)) {
				safe = false
			}
		}
		if safe {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

// localSweepPID returns the process id of a local sweep training in dir
// on this host, 0 if there is none.
func localSweepPID(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, sweepPIDFile))
	if err != nil {
		return 0
	}
	var pid int
	var host string
	if n, _ := fmt.Sscan(string(b), &pid, &host); n != 2 || pid <= 0 || pid == os.Getpid() {
		return 0
	}
	if h, _ := os.Hostname(); h != host {
		return 0
	}
	p, err := os.FindProcess(pid)
	if err != nil || p.Signal(syscall.Signal(0)) != nil {
		return 0
	}
	return pid
}

// sweepLocal trains the unfinished runs of spec in this process, f.jobs
// at once, from their checkpoints cks where they have one, and prints a
// line per run.
func sweepLocal(w io.Writer, spec *sweepSpec, f sweepFlags, sets map[[2]string]*data.Dataset, cks []*models.Checkpoint, progress bool) error {
	host, _ := os.Hostname()
	pidFile := filepath.Join(f.out, sweepPIDFile)
	if err := os.WriteFile(pidFile, fmt.Appendf(nil, "%d %s\n", os.Getpid(), host), 0o644); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	defer os.Remove(pidFile)

	var todo []int
	for i, r := range spec.Runs {
		if ck := cks[i]; ck != nil && finished(ck) {
			fmt.Fprintf(w, "%s: already %s after %d steps, skipped\n", r.Name, ck.State.Summary.Status, ck.State.Summary.Steps)
			continue
		}
		todo = append(todo, i)
	}
	if len(todo) == 0 {
		return nil
	}
	fmt.Fprintf(w, "training %d of %d runs, %d at once, into %s\n", len(todo), len(spec.Runs), min(f.jobs, len(todo)), filepath.Join(f.out, sweepRunsDir))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var bar *runsProgress
	if progress {
		bar = &runsProgress{line: newProgressLine(os.Stderr), total: len(todo), active: map[string]models.Progress{}}
	}
	var mu sync.Mutex
	errs := make([]error, len(spec.Runs))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(f.jobs, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				r := spec.Runs[i]
				cfg := r.Config
				if cks[i] != nil {
					cfg = cks[i].Config // equal but for the data directory
				}
				s, err := trainInto(ctx, cfg, sets[[2]string{r.Config.Dataset, r.Config.DataDir}], filepath.Join(f.out, r.Dir), cks[i], f.every, bar.update(r.Name))
				bar.finish(r.Name)
				mu.Lock()
				errs[i] = err
				if !errors.Is(err, context.Canceled) {
					bar.clear()
					fmt.Fprintln(w, runResult(r.Name, s, err))
				}
				mu.Unlock()
			}
		}()
	}
	for _, i := range todo {
		work <- i
	}
	close(work)
	wg.Wait()
	bar.clear()

	var failed []string
	var first error
	for i, err := range errs {
		switch {
		case err == nil || errors.Is(err, models.ErrDiverged):
		case errors.Is(err, context.Canceled):
			return exitError{fmt.Errorf("interrupted; finished runs are in %s; continue with: gradbench sweep --grid %s --out %s", filepath.Join(f.out, sweepRunsDir), f.grid, f.out), exitInterrupted}
		default:
			failed = append(failed, spec.Runs[i].Name)
			if first == nil {
				first = fmt.Errorf("%s: %w", spec.Runs[i].Name, err)
			}
		}
	}
	if first != nil {
		return fmt.Errorf("%d of %d runs failed (%s); first: %w", len(failed), len(todo), strings.Join(failed, " "), first)
	}
	return nil
}

// runResult describes how a run ended, in one line.
func runResult(name string, s *models.Summary, err error) string {
	switch {
	case errors.Is(err, models.ErrDiverged):
		return fmt.Sprintf("%s: diverged (%v)", name, err)
	case err != nil:
		return fmt.Sprintf("%s: failed: %v", name, err)
	}
	return fmt.Sprintf("%s: %d steps, final loss %s, test accuracy %s", name, s.Steps, fmtPtr(s.FinalLoss, "%.4f"), fmtPtr(s.TestAccuracy, "%.4f"))
}

// runsProgress shows, on a terminal, how many runs are done and the step
// of each run in training (compare's activations, a sweep's runs). Its methods do nothing on a nil receiver.
type runsProgress struct {
	mu     sync.Mutex
	line   *progressLine
	total  int
	done   int
	active map[string]models.Progress
}

func (p *runsProgress) update(name string) func(models.Progress) {
	if p == nil || p.line == nil {
		return nil
	}
	return func(pr models.Progress) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.active[name] = pr
		if time.Since(p.line.last) < 200*time.Millisecond {
			return
		}
		p.line.last = time.Now()
		parts := []string{fmt.Sprintf("%d/%d runs done", p.done, p.total)}
		for _, r := range slices.Sorted(maps.Keys(p.active)) {
			parts = append(parts, fmt.Sprintf("%s %d/%d", r, p.active[r].Step, p.active[r].Steps))
		}
		fmt.Fprintf(p.line.f, "\r\033[K%s", strings.Join(parts, " | "))
	}
}

func (p *runsProgress) finish(name string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.active, name)
	p.done++
}

func (p *runsProgress) clear() {
	if p != nil && p.line != nil {
		p.line.done()
	}
}

// runInfo is the part of a run's summary.json that sweep status reads.
type runInfo struct {
	Status         string   `json:"status"`
	Steps          int      `json:"steps"`
	StepsPerEpoch  int      `json:"steps_per_epoch"`
	TestAccuracy   *float64 `json:"test_accuracy"`
	DivergedAtStep *int     `json:"diverged_at_step"`
	Config         struct {
		Epochs int `json:"epochs"`
	} `json:"config"`
}

// readRunInfo reads the summary of the run in dir, nil if it has none.
func readRunInfo(dir string) *runInfo {
	b, err := os.ReadFile(filepath.Join(dir, metrics.SummaryFile))
	if err != nil {
		return nil
	}
	var ri runInfo
	if json.Unmarshal(b, &ri) != nil {
		return nil
	}
	return &ri
}

// done reports whether the run has nothing left to train.
func (ri *runInfo) done() bool {
	return ri != nil && (ri.Status == models.StatusFinished || ri.Status == models.StatusDiverged)
}

// progress returns "step S/T".
func (ri *runInfo) progress() string {
	return fmt.Sprintf("step %d/%d", ri.Steps, ri.StepsPerEpoch*ri.Config.Epochs)
}

// plotSweep reads the finished runs of the sweep in dir and writes the
// sweep figures, the stop-depth table, the results table and the report
// into out; it prints the two tables to w.
func plotSweep(w io.Writer, dir, out string) error {
	spec, err := readSpec(dir)
	if err != nil {
		return err
	}
	var rows []metrics.Row
	var points []plots.SweepPoint
	var missing []string
	for _, r := range spec.Runs {
		rd := filepath.Join(dir, r.Dir)
		if !readRunInfo(rd).done() {
			missing = append(missing, r.Name)
			continue
		}
		run, err := metrics.ReadRun(rd)
		if err != nil {
			return fmt.Errorf("sweep %s: %w", dir, err)
		}
		row := metrics.Summarize(run)
		row.Act = r.Name
		rows = append(rows, row)
		points = append(points, plots.SweepPoint{Act: r.Config.Act, Group: sweepGroup(spec, r), Depth: r.Config.Depth,
			TestAccuracy: run.Info.TestAccuracy, GradRatioFirst: run.Info.GradRatioFirst})
	}
	if len(points) == 0 {
		return usagef("no run of the sweep in %s has finished yet: see gradbench sweep status %s", dir, dir)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	figs, err := plots.SweepFigures(points, out)
	if err != nil {
		return fmt.Errorf("figures: %w", err)
	}
	stop := plots.StopDepths(points)
	if err := plots.SweepReport(out, "gradbench sweep: training against depth", describeSweep(spec, missing), stop, rows, figs); err != nil {
		return err
	}
	fmt.Fprintf(w, "where each activation stops training (mean test accuracy below %g):\n%s\n", plots.StopBelow, plots.StopText(stop))
	fmt.Fprint(w, metrics.Text(rows))
	if len(missing) > 0 {
		fmt.Fprintf(w, "left out %d unfinished run(s): %s\n", len(missing), strings.Join(missing, " "))
	}
	fmt.Fprintf(w, "report: %s\n", filepath.Join(out, "report.html"))
	return nil
}

// sweepGroup names r's values of the swept keys other than the
// activation, the depth and the seed.
func sweepGroup(spec *sweepSpec, r sweepRun) string {
	var parts []string
	for _, k := range spec.Swept {
		if k == "act" || k == "depth" || k == "seed" {
			continue
		}
		for i := 0; i+1 < len(r.TrainArgs); i += 2 {
			if r.TrainArgs[i] == "--"+k {
				parts = append(parts, k+"="+r.TrainArgs[i+1])
			}
		}
	}
	return strings.Join(parts, ",")
}

// describeSweep returns the grid and the runs left out, for the report.
func describeSweep(spec *sweepSpec, missing []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "grid %s, %d runs:\n", spec.GridFile, len(spec.Runs))
	for _, d := range spec.Grid {
		fmt.Fprintf(&b, "  %s = %s\n", d.Key, strings.Join(d.Values, ", "))
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "not finished, left out: %s\n", strings.Join(missing, " "))
	}
	b.WriteString("Runs that differ in width, lr, init or another swept setting besides act, depth and seed are drawn in separate figures.\n")
	return b.String()
}

// isSweep reports whether dir holds a sweep.
func isSweep(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, sweepFile))
	return err == nil
}
