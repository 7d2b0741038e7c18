package rundir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/gradbench/gradbench/data"
)

// LockFile is the file of a run directory that the process writing the
// run holds an exclusive flock(2) on. The kernel drops the lock when the
// process ends, however it ends, so a killed run never leaves its
// directory locked.
const LockFile = ".gradbench.lock"

// Lock is a run directory held by this process.
type Lock struct{ f *os.File }

// BusyError is a run directory another process holds.
type BusyError struct {
	Dir string
	// PID is the holder's process id, 0 if unknown.
	PID int
}

func (e *BusyError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("%s is in use by gradbench pid %d", e.Dir, e.PID)
	}
	return fmt.Sprintf("%s is in use by another gradbench", e.Dir)
}

// Acquire makes dir if needed and locks it for this process; a directory
// another process holds is a *BusyError (wrapped in a *RefusedError) and
// is left as it was. Release the lock with Release.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, Refused(fmt.Errorf("output directory %s cannot be made (%v): choose another output directory", dir, PathCause(err)))
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, Refused(fmt.Errorf("lock %s: %s cannot be opened (%v): remove it (gradbench makes its own) or choose another output directory", dir, path, PathCause(err)))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, Refused(&BusyError{Dir: dir, PID: Holder(dir)})
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Holder returns the process id recorded by the process that holds (or
// last held) dir's lock, 0 if none.
func Holder(dir string) int {
	b, err := data.ReadFile(filepath.Join(dir, LockFile), 64)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// Release unlocks the directory. The lock file stays: removing it would
// let two processes hold locks on two different files of one name.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// Probe reports, as Acquire would and changing nothing, whether another
// process holds dir: a *BusyError wrapped in a *RefusedError, nil when no
// process holds it (or it has no lock file).
func Probe(dir string) error {
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); errors.Is(err, syscall.EWOULDBLOCK) {
		return Refused(&BusyError{Dir: dir, PID: Holder(dir)})
	}
	return nil
}
