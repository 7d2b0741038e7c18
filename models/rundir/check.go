package rundir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Existing returns path if it exists, else its nearest ancestor that
// does: the file system a directory yet to be made will be on.
func Existing(path string) string {
	p := filepath.Clean(path)
	for {
		if _, err := os.Stat(p); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return p
		}
		up := filepath.Dir(p)
		if up == p {
			return p
		}
		p = up
	}
}

// CheckDir reports why dir cannot be written as an output directory,
// without making it: dir, or the nearest ancestor that exists, must be a
// directory in which a file can be created (a probe file is made there
// and removed at once). A refusal then leaves nothing behind.
func CheckDir(dir string) error {
	p := Existing(dir)
	st, err := os.Stat(p)
	if err != nil {
		return PathCause(err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", p)
	}
	f, err := os.CreateTemp(p, ".write-check")
	if err != nil {
		return PathCause(err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// CheckFile reports why a file cannot be written at path (as --json
// writes one): path is a directory or not a regular file, its directory
// does not exist or cannot be written, or its directory is a run
// directory, whose files only its run writes. It creates nothing.
func CheckFile(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a directory: give a file name", path)
	} else if err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file: give another file name", path)
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("%s is not an existing directory", dir)
	}
	for _, n := range []string{SummaryFile, CheckpointFile, LockFile} {
		if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
			return fmt.Errorf("%s holds a run (it has %s), whose files only its run writes: give a file outside it", dir, n)
		}
	}
	return CheckDir(dir)
}
