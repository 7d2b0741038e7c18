package data

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// This file is the one bounded file-reading layer of the project: every
// file a user can name or copy in (IDX files, checkpoints, grids,
// summaries) is opened with OpenRegular and read with ReadAtMost, so that
// no input, however large or endless, makes a read hold more memory than
// the limit its caller derives from a header or a format.

// TooLargeError is a file or stream with more bytes than a reader allows.
type TooLargeError struct {
	Name  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than the %d-byte limit", e.Name, e.Limit)
}

// NotRegularError is a path that is not a regular file (a device such as
// /dev/zero, a FIFO, a directory), whether or not it is reached through a
// symbolic link.
type NotRegularError struct {
	Name string
	Mode os.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is not a regular file (%s)", e.Name, describeMode(e.Mode))
}

func describeMode(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "mode " + m.String()
}

// OpenRegular opens path for reading and returns it with its size. It
// refuses, before any byte is read, what is not a regular file (a
// *NotRegularError) and a file of more than limit bytes (a
// *TooLargeError); a negative limit allows any size.
func OpenRegular(path string, limit int64) (*os.File, int64, error) {
	// Non-blocking: opening a named pipe for reading would otherwise wait
	// for a writer, which may never come. Reads of a regular file ignore
	// the flag.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, &NotRegularError{Name: path, Mode: st.Mode()}
	}
	if limit >= 0 && st.Size() > limit {
		f.Close()
		return nil, 0, &TooLargeError{Name: path, Limit: limit}
	}
	return f, st.Size(), nil
}

// ReadFile reads the regular file path whole, refusing it as OpenRegular
// does before reading, and holding at most limit bytes should it grow
// while it is read.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, size, err := OpenRegular(path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := readAtMost(f, limit, size)
	var tl *TooLargeError
	if errors.As(err, &tl) {
		tl.Name = path
	}
	return b, err
}

// ReadAtMost reads r to its end and returns what it read. A stream of more
// than limit bytes is a *TooLargeError once limit+1 bytes were read: the
// memory held grows with the bytes that arrive, never beyond limit and one
// chunk, whatever the stream (a gzip bomb, /dev/zero) would deliver.
func ReadAtMost(r io.Reader, limit int64) ([]byte, error) {
	return readAtMost(r, limit, 0)
}

// chunk is the first allocation of readAtMost and the most it grows by
// beyond doubling.
const chunk = 64 << 10

// readAtMost is ReadAtMost with a hint of the size to expect.
func readAtMost(r io.Reader, limit, hint int64) ([]byte, error) {
	if limit < 0 {
		limit = 0
	}
	c := min(max(hint+1, chunk), limit+1)
	buf := make([]byte, 0, c)
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return buf[:limit], &TooLargeError{Name: "the stream", Limit: limit}
			}
			next := min(int64(2*cap(buf)), limit+1)
			grown := make([]byte, len(buf), next)
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return buf[:limit], &TooLargeError{Name: "the stream", Limit: limit}
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
