package rundir

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/models/config"
)

// RefusedError is a run directory that a run refuses to write, with
// nothing in it changed: another process holds it, one of its files
// cannot be written, or its checkpoint does not fit the run.
type RefusedError struct{ Err error }

func (e *RefusedError) Error() string { return e.Err.Error() }

// Unwrap returns the reason.
func (e *RefusedError) Unwrap() error { return e.Err }

// Refused wraps err in a *RefusedError (nil stays nil).
func Refused(err error) error {
	if err == nil {
		return nil
	}
	var r *RefusedError
	if errors.As(err, &r) {
		return err
	}
	return &RefusedError{Err: err}
}

// tmpMarker is in the name of every temporary file WriteFileAtomic makes:
// ".NAME.tmp" and a random suffix.
const tmpMarker = ".tmp"

// CheckFiles checks, changing nothing, that every named file of dir that
// exists can be replaced or appended to by a run: it must be a regular
// file, not a symbolic link (a run never writes through one), and open
// for writing (not immutable, not read-only). The error names the first
// that cannot, wrapped in a *RefusedError.
func CheckFiles(dir string, names ...string) error {
	for _, n := range names {
		path := filepath.Join(dir, n)
		st, err := os.Lstat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return Refused(err)
		case st.Mode()&os.ModeSymlink != 0:
			return Refused(fmt.Errorf("%s is a symbolic link: a run writes only its own files; remove the link", path))
		case !st.Mode().IsRegular():
			return Refused(fmt.Errorf("%s is not a regular file: remove it or choose another output directory", path))
		}
		f, err := openNoFollow(path, os.O_WRONLY)
		if err != nil {
			return Refused(fmt.Errorf("%s cannot be written (%v): a run would be left half-written; fix its permissions or choose another output directory", path, PathCause(err)))
		}
		f.Close()
	}
	return nil
}

// openNoFollow opens path with flag, never through a symbolic link.
func openNoFollow(path string, flag int) (*os.File, error) {
	return os.OpenFile(path, flag|syscall.O_NOFOLLOW, 0o644)
}

// CleanTemps removes the temporary files that atomic writes in dir
// killed half-way left behind. Call it with dir's Lock held, so that no
// write in progress loses its file.
func CleanTemps(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(n, ".") || !strings.Contains(n, tmpMarker) {
			continue
		}
		for _, f := range atomicFiles {
			if strings.HasPrefix(n, "."+f+tmpMarker) {
				if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
		}
	}
	return nil
}

// atomicFiles are the files of a run that WriteFileAtomic replaces.
var atomicFiles = []string{SummaryFile, CheckpointFile, JacobianFile}

// Files returns the names of the files a run writes in a directory
// besides its event file: the CSV files, summary.json, the checkpoint and
// the Jacobian spectrum.
func Files() []string {
	names := slices.Clone(atomicFiles)
	for _, f := range (&Recorder{}).table() {
		names = append(names, f.name)
	}
	return names
}

// CheckOffsets checks, changing nothing, that offsets (a checkpoint's) fit
// the CSV files in dir as they are: each file starts with its header, is
// at least as long as its offset, and the offset falls at the end of a
// row, so that a resumed run never splices a row mid-field. lastLogged is
// the step of the last row metrics.csv must hold at its offset (0: none)
// and epochs the number of rows of epochs.csv.
func CheckOffsets(dir string, offsets Offsets, lastLogged, epochs int) error {
	for _, f := range (&Recorder{}).table() {
		off, ok := offsets[f.name]
		if !ok {
			if f.optional {
				continue
			}
			return fmt.Errorf("the checkpoint records no position for %s", f.name)
		}
		path := filepath.Join(dir, f.name)
		fh, size, err := data.OpenRegular(path, -1)
		if err != nil {
			return err
		}
		defer fh.Close()
		h := int64(len(f.header))
		switch {
		case off < h:
			return fmt.Errorf("the checkpoint's position %d in %s is inside its %d-byte header", off, path, h)
		case size < off:
			return fmt.Errorf("%s has %d bytes but the checkpoint was taken at %d: the file was cut short", path, size, off)
		}
		head := make([]byte, h)
		if _, err := fh.ReadAt(head, 0); err != nil || string(head) != f.header {
			return fmt.Errorf("%s does not start with the header of %s", path, f.name)
		}
		// The row that ends at the offset.
		tail := make([]byte, min(off-h+1, 4096))
		if _, err := fh.ReadAt(tail, off-int64(len(tail))); err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		if tail[len(tail)-1] != '\n' {
			return fmt.Errorf("the checkpoint's position %d in %s is not at the end of a row: the file is not this run's", off, path)
		}
		row := tail[:len(tail)-1]
		if i := bytes.LastIndexByte(row, '\n'); i >= 0 {
			row = row[i+1:]
		}
		first, _, _ := strings.Cut(string(row), ",")
		switch f.name {
		case MetricsFile:
			if want := fmt.Sprint(lastLogged); (lastLogged == 0 && off != h) || (lastLogged > 0 && first != want) {
				return fmt.Errorf("%s ends at the checkpoint's position %d with step %q, but the checkpoint's last logged step is %d: the file is not this run's", path, off, first, lastLogged)
			}
		case EpochsFile:
			if want := fmt.Sprint(epochs); (epochs == 0 && off != h) || (epochs > 0 && first != want) {
				return fmt.Errorf("%s ends at the checkpoint's position %d with epoch %q, but the checkpoint has %d epochs: the file is not this run's", path, off, first, epochs)
			}
		}
	}
	return nil
}

// OtherRunError is a directory that holds a run of another configuration
// than the one that would replace it.
type OtherRunError struct {
	Dir    string
	Status string
	config.Mismatch
}

func (e *OtherRunError) Error() string {
	return fmt.Sprintf("%s holds a %s run of another configuration (its %s is %s, not %s)", e.Dir, e.Status, e.Field, e.Have, e.Want)
}

// CheckReplace checks that a new run of cfg may replace what dir holds:
// nothing, or a run of the same configuration (which it computes again).
// A run of another configuration is an *OtherRunError wrapped in a
// *RefusedError.
func CheckReplace(dir string, cfg config.Config) error {
	s, err := ReadSummary(dir)
	if err != nil {
		return nil // no run, or none that can be read: nothing to keep
	}
	if m := config.Diff(s.Config, cfg); m != nil {
		return Refused(&OtherRunError{Dir: dir, Status: s.Status, Mismatch: *m})
	}
	return nil
}
