package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gzipBytes returns b gzip-compressed.
func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatalf("gzip: %v", err)
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("gzip: %v", err)
	}
	return buf.Bytes()
}

// writeFile writes b to dir/name and returns the path.
func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkOneLine fails t unless err is a one-line error naming every path
// and containing every substring in want.
func checkOneLine(t *testing.T, err error, paths []string, want []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want one containing %q", want)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	for _, p := range paths {
		if !strings.Contains(msg, p) {
			t.Errorf("error %q does not name the file %s", msg, p)
		}
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not contain %q", msg, w)
		}
	}
}

// Valid test split: 3 images of 2x2 pixels and their labels.
var (
	testPixels = []byte{0, 255, 128, 1, 2, 3, 4, 5, 250, 251, 252, 253}
	testImages = encodeIDX([]int{3, 2, 2}, testPixels)
	testLabels = encodeIDX([]int{3}, []byte{0, 5, 9})
)

func TestReadIDX(t *testing.T) {
	for _, compress := range []bool{false, true} {
		for _, tc := range []struct {
			name     string
			file     []byte
			wantDims []int
			wantData []byte
		}{
			{"images", testImages, []int{3, 2, 2}, testPixels},
			{"labels", testLabels, []int{3}, []byte{0, 5, 9}},
			{"empty 4d", encodeIDX([]int{0, 7, 1, 3}, nil), []int{0, 7, 1, 3}, nil},
		} {
			b := tc.file
			if compress {
				b = gzipBytes(t, b)
			}
			// The name never ends in .gz: compression is detected from content.
			path := writeFile(t, t.TempDir(), "x-idx-ubyte", b)
			dims, data, err := ReadIDX(path)
			if err != nil {
				t.Errorf("%s (gzip=%t): %v", tc.name, compress, err)
				continue
			}
			if !equal(dims, tc.wantDims) || !bytes.Equal(data, tc.wantData) {
				t.Errorf("%s (gzip=%t): got dims %v data %v, want %v %v", tc.name, compress, dims, data, tc.wantDims, tc.wantData)
			}
		}
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReadIDXMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope")
	_, _, err := ReadIDX(path)
	checkOneLine(t, err, []string{path}, nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
}

// header returns a raw IDX header with the given magic type and dims.
func header(typ byte, dims ...uint32) []byte {
	b := []byte{0, 0, typ, byte(len(dims))}
	for _, d := range dims {
		b = append(b, byte(d>>24), byte(d>>16), byte(d>>8), byte(d))
	}
	return b
}

func TestLoadSplitErrors(t *testing.T) {
	const (
		onImages = iota // the error must name the images file
		onLabels        // the error must name the labels file
		onBoth          // the error must name both files
	)
	for _, tc := range []struct {
		name           string
		images, labels []byte
		on             int
		want           []string
	}{
		{"empty file", nil, testLabels, onImages, []string{"truncated", "0 bytes"}},
		{"bad magic bytes", append([]byte{1, 2, 8, 3}, testImages[4:]...), testLabels, onImages, []string{"bad magic 01 02 08 03", "is this an IDX file?"}},
		{"bad magic zero dims", header(8), testLabels, onImages, []string{"bad magic 00 00 08 00"}},
		{"bad magic five dims", header(8, 1, 1, 1, 1, 1), testLabels, onImages, []string{"bad magic 00 00 08 05"}},
		{"bad type", append(header(0x0d, 3, 2, 2), make([]byte, 48)...), testLabels, onImages, []string{"unsupported data type 0x0d", "only unsigned byte (0x08)"}},
		{"bad labels magic", testImages, []byte("text file\n"), onLabels, []string{"bad magic"}},
		{"truncated header", header(8, 3, 2, 2)[:10], testLabels, onImages, []string{"truncated header", "need 16", "got 10"}},
		{"truncated images", testImages[:len(testImages)-2], testLabels, onImages, []string{"truncated", "3x2x2", "promise 12 data bytes, got 10"}},
		{"truncated labels", testImages, testLabels[:len(testLabels)-1], onLabels, []string{"truncated", "promise 3 data bytes, got 2"}},
		{"trailing bytes", append(append([]byte{}, testImages...), 7, 7), testLabels, onImages, []string{"2 trailing bytes", "12 data bytes"}},
		{"hostile header", append(header(8, 0xffffffff, 0xffff, 0xffff), 1, 2, 3), testLabels, onImages, []string{"truncated", "4294967295x65535x65535", "got 3"}},
		{"hostile header overflow", append(header(8, 0xffffffff, 0xffffffff, 0xffffffff), 1, 2, 3), testLabels, onImages, []string{"truncated", "more than 2^64", "got 3"}},
		{"hostile header beside zero", header(8, 0, 0xffffffff, 0xffffffff), testLabels, onImages, []string{"dim 4294967295 is larger than"}},
		{"images with 1 dim", testLabels, testLabels, onImages, []string{"images file has 1 dims", "want 3"}},
		{"labels with 3 dims", testImages, testImages, onLabels, []string{"labels file has 3 dims", "want 1"}},
		{"count mismatch", testImages, encodeIDX([]int{2}, []byte{1, 2}), onBoth, []string{"has 3 images", "has 2 labels"}},
		{"label out of range", testImages, encodeIDX([]int{3}, []byte{1, 10, 2}), onLabels, []string{"label 10 at index 1", "out of range [0, 10)"}},
		{"zero image size", encodeIDX([]int{3, 0, 2}, nil), testLabels, onImages, []string{"size 0x2"}},
	} {
		for _, compress := range []bool{false, true} {
			t.Run(tc.name+map[bool]string{false: "/raw", true: "/gzip"}[compress], func(t *testing.T) {
				images, labels := tc.images, tc.labels
				if compress {
					images, labels = gzipBytes(t, images), gzipBytes(t, labels)
				}
				dir := t.TempDir()
				ip := writeFile(t, dir, "train-images-idx3-ubyte", images)
				lp := writeFile(t, dir, "train-labels-idx1-ubyte", labels)
				s, err := LoadSplit(ip, lp)
				if s != nil {
					t.Errorf("got a Set with an error")
				}
				paths := map[int][]string{onImages: {ip}, onLabels: {lp}, onBoth: {ip, lp}}[tc.on]
				checkOneLine(t, err, paths, tc.want)
			})
		}
	}
}

func TestCorruptGzip(t *testing.T) {
	good := gzipBytes(t, testImages)
	badCRC := append([]byte{}, good...)
	badCRC[len(badCRC)-8] ^= 0xff // first byte of the CRC-32 trailer
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"bad header", []byte{0x1f, 0x8b, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"magic only", []byte{0x1f, 0x8b}},
		{"cut short", good[:len(good)/2]},
		{"no trailer", good[:len(good)-8]},
		{"bad checksum", badCRC},
		{"garbage body", append(append([]byte{}, good[:10]...), bytes.Repeat([]byte{0xff}, 40)...)},
	} {
		path := writeFile(t, t.TempDir(), "train-images-idx3-ubyte.gz", tc.file)
		_, _, err := ReadIDX(path)
		t.Run(tc.name, func(t *testing.T) {
			checkOneLine(t, err, []string{path}, []string{"corrupt gzip stream", "re-download"})
		})
	}
}

func FuzzReadIDX(f *testing.F) {
	f.Add(testImages)
	f.Add(testLabels)
	f.Add(gzipBytes(f, testImages))
	f.Add(encodeIDX([]int{0, 5}, nil))
	f.Add([]byte{})
	f.Add([]byte{0x1f, 0x8b})
	f.Add(header(8, 3, 2, 2))
	f.Add(header(8, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff))
	f.Add(header(8, 0, 0xffffffff))
	f.Add(header(0x0d, 1))
	f.Add(header(8, 1, 1, 1, 1, 1))
	f.Add(gzipBytes(f, header(8, 0xffffffff, 0xffff)))
	f.Fuzz(func(t *testing.T, b []byte) {
		dims, data, err := readIDX(bytes.NewReader(b), "fuzz")
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			return
		}
		if len(dims) < 1 || len(dims) > 4 {
			t.Fatalf("success with %d dims", len(dims))
		}
		size := 1
		for _, d := range dims {
			if d < 0 || d > maxIDXBytes {
				t.Fatalf("success with dim %d", d)
			}
			size *= d // may wrap only if another dim is 0, which zeroes it anyway
		}
		if len(data) != size {
			t.Fatalf("len(data) = %d, product of dims %v = %d", len(data), dims, size)
		}
	})
}
