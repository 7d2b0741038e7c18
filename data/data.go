package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// numClasses is the number of label classes of every dataset in this
// package.
const numClasses = 10

// Set is one split of a labelled image dataset.
type Set struct {
	// Pixels holds N*Dim bytes, row-major per image, as stored in the
	// file: 4× less memory than float values. Scale reads them into [0,1].
	Pixels []uint8
	Labels []uint8 // N labels in [0, Classes)
	N, Dim int     // number of examples, values per example (rows*cols)
	// Rows and Cols are the shape of an image read from IDX files; 0 for
	// data that is not images.
	Rows, Cols int
}

// Dataset is a train and a test split.
type Dataset struct {
	Name        string
	Classes     int // 10 for all three datasets
	Train, Test *Set
}

// Image returns the Dim pixels of image i. The slice shares memory with
// s.Pixels. Image panics if i is not in [0, N), like a slice index.
func (s *Set) Image(i int) []uint8 {
	return s.Pixels[i*s.Dim : (i+1)*s.Dim : (i+1)*s.Dim]
}

// Scale writes image i into dst as float32(pixel)/255, in [0,1]. dst must
// hold Dim values.
func (s *Set) Scale(dst []float32, i int) {
	for k, p := range s.Image(i) {
		dst[k] = float32(p) / 255
	}
}

// Subset returns a Set holding the first n examples of s, sharing memory
// with s. n is clipped to [0, N].
func (s *Set) Subset(n int) *Set {
	n = max(0, min(n, s.N))
	return &Set{
		Pixels: s.Pixels[: n*s.Dim : n*s.Dim],
		Labels: s.Labels[:n:n],
		N:      n,
		Dim:    s.Dim,
		Rows:   s.Rows,
		Cols:   s.Cols,
	}
}

// LoadSplit reads an images file (IDX3: n, rows, cols) and a labels file
// (IDX1: n) and checks them: both must hold the same number of examples,
// images must have a non-zero size and every label must be in
// [0, 10). Pixels are scaled by 1/255 into [0, 1].
func LoadSplit(imagesPath, labelsPath string) (*Set, error) {
	idims, pix, err := ReadIDX(imagesPath)
	if err != nil {
		return nil, err
	}
	if len(idims) != 3 {
		return nil, fmt.Errorf("read %s: images file has %d dims (%s), want 3 (n, rows, cols); is this a labels file?", imagesPath, len(idims), formatDims(idims))
	}
	ldims, labels, err := ReadIDX(labelsPath)
	if err != nil {
		return nil, err
	}
	if len(ldims) != 1 {
		return nil, fmt.Errorf("read %s: labels file has %d dims (%s), want 1 (n); is this an images file?", labelsPath, len(ldims), formatDims(ldims))
	}
	n, rows, cols := idims[0], idims[1], idims[2]
	// rows*cols can exceed the file only when n is 0; bound it to keep Dim
	// and the index arithmetic in Image from overflowing.
	if rows == 0 || cols == 0 || rows > maxIDXBytes/cols {
		return nil, fmt.Errorf("read %s: images have size %dx%d, want a non-empty image of at most %d pixels", imagesPath, rows, cols, maxIDXBytes)
	}
	dim := rows * cols
	if ldims[0] != n {
		return nil, fmt.Errorf("%s has %d images but %s has %d labels; the files must come from the same split", imagesPath, n, labelsPath, ldims[0])
	}
	for i, l := range labels {
		if l >= numClasses {
			return nil, fmt.Errorf("read %s: label %d at index %d is out of range [0, %d)", labelsPath, l, i, numClasses)
		}
	}
	return &Set{Pixels: pix, Labels: labels, N: n, Dim: dim, Rows: rows, Cols: cols}, nil
}

// fileBases are the canonical MNIST file names, without the .gz suffix.
var fileBases = [4]string{
	"train-images-idx3-ubyte",
	"train-labels-idx1-ubyte",
	"t10k-images-idx3-ubyte",
	"t10k-labels-idx1-ubyte",
}

// fetchTarget is the make target that downloads each file-backed dataset.
var fetchTarget = map[string]string{
	"fashion-mnist": "data-fashion",
	"mnist":         "data",
}

// Names lists the dataset names Load accepts, sorted.
func Names() []string {
	return []string{"fashion-mnist", "mnist", "synthetic"}
}

// notFoundError reports a missing dataset file. It unwraps to
// fs.ErrNotExist so callers can test for it with errors.Is.
type notFoundError struct {
	name, path, target string
}

func (e *notFoundError) Error() string {
	return fmt.Sprintf("dataset %s not found: %s(.gz) does not exist; run %q or %q (or pass --data-dir)", e.name, e.path, "gradbench data "+e.name, "make "+e.target)
}

func (e *notFoundError) Unwrap() error { return fs.ErrNotExist }

// Load returns the dataset called name ("mnist", "fashion-mnist" or
// "synthetic") from dir.
//
// For mnist and fashion-mnist the files are
// dir/<name>/{train-images-idx3-ubyte,train-labels-idx1-ubyte,t10k-images-idx3-ubyte,t10k-labels-idx1-ubyte},
// each with or without a .gz suffix; the .gz file is preferred if both
// exist. A missing file gives an error that wraps fs.ErrNotExist.
// "synthetic" ignores dir and returns Synthetic(1, 2048, 512).
func Load(name, dir string) (*Dataset, error) {
	if name == "synthetic" {
		return Synthetic(1, 2048, 512), nil
	}
	target, ok := fetchTarget[name]
	if !ok {
		return nil, fmt.Errorf("unknown dataset %q: use one of %s", name, strings.Join(Names(), ", "))
	}
	var paths [4]string
	for i, base := range fileBases {
		p, err := findFile(filepath.Join(dir, name, base))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &notFoundError{name: name, path: filepath.Join(dir, name, base), target: target}
		}
		if err != nil {
			return nil, fmt.Errorf("dataset %s: %w", name, err)
		}
		paths[i] = p
	}
	train, err := LoadSplit(paths[0], paths[1])
	if err != nil {
		return nil, fmt.Errorf("dataset %s train split: %w", name, err)
	}
	test, err := LoadSplit(paths[2], paths[3])
	if err != nil {
		return nil, fmt.Errorf("dataset %s test split: %w", name, err)
	}
	if train.Rows != test.Rows || train.Cols != test.Cols {
		return nil, fmt.Errorf("dataset %s: train images are %d×%d but test images are %d×%d; the files must come from the same dataset", name, train.Rows, train.Cols, test.Rows, test.Cols)
	}
	return &Dataset{Name: name, Classes: numClasses, Train: train, Test: test}, nil
}

// findFile returns base+".gz" if it exists, else base if it exists, else an
// error wrapping fs.ErrNotExist.
func findFile(base string) (string, error) {
	for _, p := range []string{base + ".gz", base} {
		_, err := os.Stat(p)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return "", fs.ErrNotExist
}

// Check checks, reading only the IDX headers, that the dataset Load(name,
// dir) would read is there and that its headers agree (images of three
// dimensions, labels of one, as many of each): what a dry run can check
// without holding the data. Load checks the rest.
func Check(name, dir string) error {
	if name == "synthetic" {
		return nil
	}
	target, ok := fetchTarget[name]
	if !ok {
		return fmt.Errorf("unknown dataset %q: use one of %s", name, strings.Join(Names(), ", "))
	}
	var dims [4][]uint64
	for i, base := range fileBases {
		p, err := findFile(filepath.Join(dir, name, base))
		if errors.Is(err, fs.ErrNotExist) {
			return &notFoundError{name: name, path: filepath.Join(dir, name, base), target: target}
		}
		if err == nil {
			dims[i], err = readHeader(p)
		}
		if err != nil {
			return fmt.Errorf("dataset %s: %w", name, err)
		}
		if want := []int{3, 1}[i%2]; len(dims[i]) != want {
			return fmt.Errorf("dataset %s: read %s: %d dims (%s), want %d", name, p, len(dims[i]), formatDims(dims[i]), want)
		}
	}
	for i := 0; i < 4; i += 2 {
		if dims[i][0] != dims[i+1][0] {
			return fmt.Errorf("dataset %s: %s has %d images but %s has %d labels; the files must come from the same split", name, fileBases[i], dims[i][0], fileBases[i+1], dims[i+1][0])
		}
	}
	if dims[0][1] != dims[2][1] || dims[0][2] != dims[2][2] {
		return fmt.Errorf("dataset %s: train images are %d×%d but test images are %d×%d; the files must come from the same dataset", name, dims[0][1], dims[0][2], dims[2][1], dims[2][2])
	}
	return nil
}
