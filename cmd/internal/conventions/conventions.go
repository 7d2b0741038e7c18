// Package conventions holds what makes gradbench's command line behave
// like its peers: a "did you mean" suggestion for a mistyped command,
// flags accepted after a command's arguments, typed placeholders in help,
// and the version string from the build information.
package conventions

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/gradbench/gradbench/graph"
	"github.com/urfave/cli/v2"
)

// Version describes this build from its build information: the module
// version (a tag when installed with go install …@version, "(devel)" for
// a local build), the VCS revision when the build recorded one, the Go
// version and the matrix-multiply library.
func Version() string {
	v := "(devel)"
	var rev, modified string
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if modified == "true" {
			rev += "-dirty"
		}
		v += " " + rev
	}
	return fmt.Sprintf("%s (%s, %s/%s, BLAS %s)", v, runtime.Version(), runtime.GOOS, runtime.GOARCH, graph.BLAS)
}

// Suggest returns the visible command whose name is nearest to name in
// edit distance, if that is at most a third of the name's length (and at
// least 1), or whose name name begins; "" when none is.
func Suggest(name string, cmds []*cli.Command) string {
	best, bestD := "", max(1, len(name)/3)+1
	for _, c := range cmds {
		if c.Hidden {
			continue
		}
		for _, n := range c.Names() {
			d := editDistance(strings.ToLower(name), n)
			if len(name) >= 2 && strings.HasPrefix(n, strings.ToLower(name)) {
				d = 1
			}
			if d < bestD {
				best, bestD = c.Name, d
			}
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein (optimal string alignment)
// distance between a and b: insertions, deletions, substitutions and
// transpositions of adjacent letters.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// Interspersed returns args with the flags of a command that takes
// positional arguments (diff, plot) moved before those arguments, so that
// "gradbench diff A B --steps 5" parses as "gradbench diff --steps 5 A B":
// urfave/cli stops reading flags at the first argument. A "--" ends the
// flags; what follows it is left as it is. Commands with subcommands are
// left alone.
func Interspersed(args []string, cmds []*cli.Command) []string {
	if len(args) < 3 {
		return args
	}
	var cmd *cli.Command
	for _, c := range cmds {
		if c.HasName(args[1]) {
			cmd = c
		}
	}
	if cmd == nil || len(cmd.Subcommands) > 0 {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
		}
	}
	var flags, rest []string
	tail := args[2:]
	for i := 0; i < len(tail); i++ {
		a := tail[i]
		switch {
		case a == "--":
			rest = append(rest, tail[i:]...)
			i = len(tail)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && takesValue[name] && i+1 < len(tail) {
				flags = append(flags, tail[i+1])
				i++
			}
		default:
			rest = append(rest, a)
		}
	}
	out := append([]string{args[0], args[1]}, flags...)
	return append(out, rest...)
}

// placeholders name the value of string flags in help; other string flags
// take a NAME.
var placeholders = map[string]string{
	"out": "DIR", "data-dir": "DIR", "resume": "DIR", "acts": "LIST", "json": "FILE", "grid": "FILE",
	"mem": "SIZE", "time": "TIME",
}

// TypedFlagStringer wraps urfave/cli's flag formatting so that a flag's
// value is shown by its type (INT, FLOAT, DIR, NAME …) rather than as
// "value".
func TypedFlagStringer(orig cli.FlagStringFunc) cli.FlagStringFunc {
	return func(f cli.Flag) string {
		s := orig(f)
		p := ""
		switch f.(type) {
		case *cli.IntFlag, *cli.Uint64Flag, *cli.Int64Flag, *cli.UintFlag:
			p = "INT"
		case *cli.Float64Flag:
			p = "FLOAT"
		case *cli.StringFlag:
			p = "NAME"
			if v, ok := placeholders[f.Names()[0]]; ok {
				p = v
			}
		}
		head, usage, ok := strings.Cut(s, "\t")
		if p == "" || !ok {
			return s
		}
		return strings.ReplaceAll(head, " value", " "+p) + "\t" + usage
	}
}
