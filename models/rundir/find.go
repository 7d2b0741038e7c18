package rundir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/gradbench/gradbench/graph"
)

// Find returns dir if it holds a run, or the runs in its immediate
// subdirectories, in the canonical activation order.
func Find(dir string) ([]string, error) {
	if IsRun(dir) {
		return []string{dir}, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%s is not a run directory: %v", dir, PathCause(err))
	}
	var found []string
	for _, e := range entries {
		if e.IsDir() && IsRun(filepath.Join(dir, e.Name())) {
			found = append(found, filepath.Join(dir, e.Name()))
		}
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%s holds no run (no %s in it or its subdirectories): pass a directory that train or compare wrote", dir, SummaryFile)
	}
	return ByActivation(found), nil
}

// ByActivation sorts run directories by activation in graph.Canonical
// order, by their base names; other names follow in lexical order.
func ByActivation(dirs []string) []string {
	out := append([]string(nil), dirs...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := filepath.Base(out[i]), filepath.Base(out[j])
		ra, oka := graph.Rank(a)
		rb, okb := graph.Rank(b)
		switch {
		case oka && okb:
			return ra < rb
		case oka != okb:
			return oka
		}
		return a < b
	})
	return out
}

// PathCause strips the path from a *fs.PathError, for messages that name
// the path themselves; other errors are returned as they are.
func PathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
