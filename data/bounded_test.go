package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestReadAtMost checks the bounded reader's results and that it holds
// no more than its limit of an endless stream.
func TestReadAtMost(t *testing.T) {
	for _, tc := range []struct {
		n, limit int
		tooLarge bool
	}{
		{0, 0, false}, {0, 5, false}, {5, 5, false}, {6, 5, true},
		{chunk, chunk, false}, {chunk + 1, chunk, true}, {3*chunk + 7, 4 * chunk, false},
	} {
		in := bytes.Repeat([]byte{7}, tc.n)
		got, err := ReadAtMost(bytes.NewReader(in), int64(tc.limit))
		var tl *TooLargeError
		if errors.As(err, &tl) != tc.tooLarge || (!tc.tooLarge && err != nil) {
			t.Errorf("%d bytes, limit %d: error %v, want too large %t", tc.n, tc.limit, err, tc.tooLarge)
		}
		if len(got) > tc.limit || !bytes.Equal(got, in[:len(got)]) {
			t.Errorf("%d bytes, limit %d: got %d bytes", tc.n, tc.limit, len(got))
		}
	}
	// An endless stream: refused after limit+1 bytes, holding about limit.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadAtMost(zeros{}, 8<<20)
	runtime.ReadMemStats(&after)
	var tl *TooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("endless stream: error %v, want a *TooLargeError", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3*(8<<20) {
		t.Errorf("endless stream with an 8 MiB limit: allocated %d bytes", alloc)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestOpenRegular checks that devices, directories and links to them are
// refused before a byte is read, and files over the limit by their size.
func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "zero-link")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path  string
		limit int64
		want  string
	}{
		{"/dev/zero", -1, "not a regular file (a character device)"},
		{link, -1, "not a regular file (a character device)"},
		{dir, -1, "not a regular file (a directory)"},
		{big, 99, "larger than the 99-byte limit"},
	} {
		_, err := ReadFile(tc.path, tc.limit)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("%s: error %v, want one naming it and containing %q", tc.path, err, tc.want)
		}
	}
	if b, err := ReadFile(big, 100); err != nil || len(b) != 100 {
		t.Errorf("a file at the limit: %d bytes, %v", len(b), err)
	}
}

// TestIDXGzipBomb checks that a gzip stream decompressing to far more
// than its header promises is refused holding about the header's size,
// not the stream's.
func TestIDXGzipBomb(t *testing.T) {
	const promised, delivered = 1 << 20, 64 << 20
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(encodeIDX([]int{promised}, nil))
	zero := make([]byte, 1<<20)
	for range delivered / len(zero) {
		zw.Write(zero)
	}
	zw.Close()
	path := filepath.Join(t.TempDir(), "bomb-idx1-ubyte.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := ReadIDX(path)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "trailing bytes") {
		t.Fatalf("gzip bomb (%d bytes compressed): error %v, want trailing bytes", buf.Len(), err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*promised {
		t.Errorf("gzip bomb promising %d bytes: allocated %d bytes", promised, alloc)
	}
	if _, _, err := ReadIDX("/dev/zero"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("/dev/zero: error %v, want not a regular file", err)
	}
}

// FuzzReadAtMost checks the bounded reader on any input and limit: it
// returns a prefix of the input of at most limit bytes, the whole input
// when it fits and a *TooLargeError when it does not, and reads no more
// than limit+1 bytes.
func FuzzReadAtMost(f *testing.F) {
	f.Add([]byte{}, uint16(0))
	f.Add([]byte("abc"), uint16(2))
	f.Add(bytes.Repeat([]byte{1}, 3*chunk), uint16(chunk-1))
	f.Fuzz(func(t *testing.T, b []byte, limit uint16) {
		cr := &countReader{r: bytes.NewReader(b)}
		got, err := ReadAtMost(cr, int64(limit))
		var tl *TooLargeError
		switch {
		case len(b) > int(limit) && !errors.As(err, &tl):
			t.Fatalf("%d bytes, limit %d: error %v, want a *TooLargeError", len(b), limit, err)
		case len(b) <= int(limit) && (err != nil || !bytes.Equal(got, b)):
			t.Fatalf("%d bytes, limit %d: got %d bytes, %v", len(b), limit, len(got), err)
		case len(got) > int(limit) || !bytes.Equal(got, b[:len(got)]):
			t.Fatalf("%d bytes, limit %d: got %d bytes, not a prefix within the limit", len(b), limit, len(got))
		case cr.n > int64(limit)+chunk+1:
			t.Fatalf("limit %d: read %d bytes", limit, cr.n)
		}
	})
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// FuzzReadIDXGzip feeds any bytes, gzip-compressed behind an IDX header
// of fuzzed dimensions, to the IDX reader: it must return data exactly
// as long as the header promises or an error, and never hold more of the
// decompressed stream than the header promises.
func FuzzReadIDXGzip(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4}, uint16(2), uint16(2))
	f.Add([]byte{}, uint16(0), uint16(5))
	f.Add(make([]byte, 4096), uint16(16), uint16(16))
	f.Fuzz(func(t *testing.T, body []byte, d0, d1 uint16) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(encodeIDX([]int{int(d0), int(d1)}, body))
		zw.Close()
		dims, data, err := readIDX(&buf, "fuzz")
		want := int(d0) * int(d1)
		switch {
		case err == nil && (len(dims) != 2 || len(data) != want || len(body) != want):
			t.Fatalf("dims %dx%d, %d body bytes: got dims %v and %d bytes", d0, d1, len(body), dims, len(data))
		case err != nil && len(body) == want:
			t.Fatalf("dims %dx%d, a body of exactly %d bytes: %v", d0, d1, want, err)
		case cap(data) > want+chunk+1:
			t.Fatalf("dims %dx%d: held %d bytes", d0, d1, cap(data))
		}
	})
}

// TestCheck checks the header-only dataset check a dry run makes.
func TestCheck(t *testing.T) {
	write := func(files map[string][]byte) string {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "mnist"), 0o755)
		for n, b := range files {
			os.WriteFile(filepath.Join(dir, "mnist", n), b, 0o644)
		}
		return dir
	}
	good := func() map[string][]byte {
		return map[string][]byte{
			"train-images-idx3-ubyte": encodeIDX([]int{2, 2, 2}, make([]byte, 8)),
			"train-labels-idx1-ubyte": encodeIDX([]int{2}, []byte{1, 2}),
			"t10k-images-idx3-ubyte":  encodeIDX([]int{1, 2, 2}, make([]byte, 4)),
			"t10k-labels-idx1-ubyte":  gzipBytes(t, encodeIDX([]int{1}, []byte{3})),
		}
	}
	missing, count, dims := good(), good(), good()
	delete(missing, "t10k-images-idx3-ubyte")
	count["train-labels-idx1-ubyte"] = encodeIDX([]int{3}, []byte{1, 2, 3})
	dims["t10k-images-idx3-ubyte"] = encodeIDX([]int{1}, []byte{1})
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  string
	}{
		{"good", good(), ""},
		{"missing", missing, "not found"},
		{"count mismatch", count, "has 2 images but"},
		{"images of one dim", dims, "1 dims"},
	} {
		err := Check("mnist", write(tc.files))
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
