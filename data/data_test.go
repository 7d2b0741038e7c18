package data

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestNames(t *testing.T) {
	got := Names()
	want := []string{"fashion-mnist", "mnist", "synthetic"}
	if !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
	for _, name := range got {
		_, err := Load(name, t.TempDir())
		if errors.Is(err, fs.ErrNotExist) {
			continue // a known name whose files are absent
		}
		if err != nil {
			t.Errorf("Load(%q): %v", name, err)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name     string
		want     string
		notExist bool
	}{
		{"x", `unknown dataset "x": use one of fashion-mnist, mnist, synthetic`, false},
		{"MNIST", `unknown dataset "MNIST": use one of fashion-mnist, mnist, synthetic`, false},
		{"", `unknown dataset "": use one of fashion-mnist, mnist, synthetic`, false},
		{"mnist", fmt.Sprintf(`dataset mnist not found: %s does not exist; run "gradbench data mnist" or "make data" (or pass --data-dir)`,
			filepath.Join(dir, "mnist", "train-images-idx3-ubyte(.gz)")), true},
		{"fashion-mnist", fmt.Sprintf(`dataset fashion-mnist not found: %s does not exist; run "gradbench data fashion-mnist" or "make data-fashion" (or pass --data-dir)`,
			filepath.Join(dir, "fashion-mnist", "train-images-idx3-ubyte(.gz)")), true},
	} {
		d, err := Load(tc.name, dir)
		if d != nil || err == nil {
			t.Errorf("Load(%q) = %v, %v; want an error", tc.name, d, err)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("Load(%q) error:\n got %s\nwant %s", tc.name, err, tc.want)
		}
		if errors.Is(err, fs.ErrNotExist) != tc.notExist {
			t.Errorf("Load(%q): errors.Is(err, fs.ErrNotExist) = %t, want %t", tc.name, !tc.notExist, tc.notExist)
		}
	}
}

// writeSplits writes a train split (testImages/testLabels) and a 2-example
// test split into dir/name, gzip-compressed or raw.
func writeSplits(t *testing.T, dir, name string, compress bool, skip string) {
	t.Helper()
	files := map[string][]byte{
		"train-images-idx3-ubyte": testImages,
		"train-labels-idx1-ubyte": testLabels,
		"t10k-images-idx3-ubyte":  encodeIDX([]int{2, 2, 2}, []byte{10, 20, 30, 40, 50, 60, 70, 80}),
		"t10k-labels-idx1-ubyte":  encodeIDX([]int{2}, []byte{3, 1}),
	}
	for base, b := range files {
		if base == skip {
			continue
		}
		if compress {
			writeFile(t, dir, filepath.Join(name, base+".gz"), gzipBytes(t, b))
		} else {
			writeFile(t, dir, filepath.Join(name, base), b)
		}
	}
}

func TestLoadMissingOneFile(t *testing.T) {
	dir := t.TempDir()
	writeSplits(t, dir, "mnist", true, "t10k-labels-idx1-ubyte")
	_, err := Load("mnist", dir)
	want := fmt.Sprintf(`dataset mnist not found: %s does not exist; run "gradbench data mnist" or "make data" (or pass --data-dir)`,
		filepath.Join(dir, "mnist", "t10k-labels-idx1-ubyte(.gz)"))
	if err == nil || err.Error() != want {
		t.Errorf("got error %v, want %s", err, want)
	}
}

func TestLoadRoundTrip(t *testing.T) {
	const tol = 1e-7
	for _, tc := range []struct {
		name     string
		compress bool
		decoy    bool // also write raw files with other content, which Load must ignore
	}{
		{"mnist", true, false},
		{"mnist", false, false},
		{"fashion-mnist", true, false},
		{"fashion-mnist", false, false},
		{"mnist", true, true},
	} {
		dir := t.TempDir()
		writeSplits(t, dir, tc.name, tc.compress, "")
		if tc.decoy {
			for _, base := range fileBases {
				writeFile(t, dir, filepath.Join(tc.name, base), []byte("decoy"))
			}
		}
		d, err := Load(tc.name, dir)
		if err != nil {
			t.Errorf("%s gzip=%t decoy=%t: %v", tc.name, tc.compress, tc.decoy, err)
			continue
		}
		if d.Name != tc.name || d.Classes != 10 {
			t.Errorf("got Name %q Classes %d, want %q 10", d.Name, d.Classes, tc.name)
		}
		for _, sc := range []struct {
			split  string
			s      *Set
			pixels []byte
			labels []uint8
		}{
			{"train", d.Train, testPixels, []uint8{0, 5, 9}},
			{"test", d.Test, []byte{10, 20, 30, 40, 50, 60, 70, 80}, []uint8{3, 1}},
		} {
			s := sc.s
			if s.N != len(sc.labels) || s.Dim != 4 || len(s.Pixels) != s.N*s.Dim {
				t.Errorf("%s %s: N=%d Dim=%d len(Pixels)=%d, want N=%d Dim=4", tc.name, sc.split, s.N, s.Dim, len(s.Pixels), len(sc.labels))
				continue
			}
			if !slices.Equal(s.Labels, sc.labels) {
				t.Errorf("%s %s: labels %v, want %v", tc.name, sc.split, s.Labels, sc.labels)
			}
			if !slices.Equal(s.Pixels, sc.pixels) {
				t.Errorf("%s %s: pixels %v, want %v", tc.name, sc.split, s.Pixels, sc.pixels)
			}
			img := make([]float32, s.Dim)
			s.Scale(img, 0)
			for i, p := range sc.pixels[:s.Dim] {
				if want := float64(p) / 255; math.Abs(float64(img[i])-want) > tol {
					t.Errorf("%s %s: scaled pixel %d = %v, want %v", tc.name, sc.split, i, img[i], want)
				}
			}
		}
	}
}

func TestLoadSplitErrorNamesSplit(t *testing.T) {
	dir := t.TempDir()
	writeSplits(t, dir, "mnist", false, "")
	bad := writeFile(t, dir, filepath.Join("mnist", "t10k-labels-idx1-ubyte"), encodeIDX([]int{2}, []byte{3, 200}))
	_, err := Load("mnist", dir)
	checkOneLine(t, err, []string{bad}, []string{"dataset mnist test split", "label 200 at index 1"})
}

func TestImageSubset(t *testing.T) {
	s := &Set{
		Pixels: []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8},
		Labels: []uint8{7, 8, 9},
		N:      3,
		Dim:    3,
	}
	for i := range s.N {
		if got, want := s.Image(i), s.Pixels[3*i:3*i+3]; !slices.Equal(got, want) || cap(got) != 3 {
			t.Errorf("Image(%d) = %v (cap %d), want %v (cap 3)", i, got, cap(got), want)
		}
	}
	for _, tc := range []struct{ n, want int }{{-1, 0}, {0, 0}, {2, 2}, {3, 3}, {100, 3}} {
		sub := s.Subset(tc.n)
		if sub.N != tc.want || sub.Dim != 3 || len(sub.Pixels) != 3*tc.want || len(sub.Labels) != tc.want {
			t.Errorf("Subset(%d): N=%d Dim=%d len(Pixels)=%d len(Labels)=%d, want N=%d", tc.n, sub.N, sub.Dim, len(sub.Pixels), len(sub.Labels), tc.want)
		}
	}
	sub := s.Subset(2)
	sub.Pixels[0] = 42
	if s.Pixels[0] != 42 {
		t.Errorf("Subset does not share memory with its Set")
	}
	// Appending to a subset must not overwrite the parent's later examples.
	sub.Labels = append(sub.Labels, 0)
	if s.Labels[2] != 9 {
		t.Errorf("append to Subset's labels overwrote the parent")
	}
}

// checkReal checks a real dataset loaded from ../datasets.
func checkReal(t *testing.T, name, target string, firstLabel uint8) {
	d, err := Load(name, filepath.Join("..", "datasets"))
	if errors.Is(err, fs.ErrNotExist) {
		if os.Getenv("CI") != "" { // CI fetches both datasets first
			t.Fatalf("%s not found in ../datasets: run `make %s` (%v)", name, target, err)
		}
		t.Skipf("%s not found in ../datasets: run `make %s` to test against it (%v)", name, target, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []struct {
		split string
		s     *Set
		n     int
	}{{"train", d.Train, 60000}, {"test", d.Test, 10000}} {
		s := sc.s
		if s.N != sc.n || s.Dim != 784 || len(s.Pixels) != s.N*784 || len(s.Labels) != s.N {
			t.Fatalf("%s %s: N=%d Dim=%d len(Pixels)=%d len(Labels)=%d, want N=%d Dim=784", name, sc.split, s.N, s.Dim, len(s.Pixels), len(s.Labels), sc.n)
		}
		var counts [10]int
		for _, l := range s.Labels {
			counts[l]++
		}
		sum := 0
		for c, k := range counts {
			sum += k
			// Every class has roughly a tenth of the examples (MNIST: 8.9% to 11.2%).
			if f := float64(k) / float64(s.N); f < 0.08 || f > 0.125 {
				t.Errorf("%s %s: class %d has %d examples (%.3f of all)", name, sc.split, c, k, f)
			}
		}
		if sum != sc.n {
			t.Errorf("%s %s: label counts sum to %d, want %d", name, sc.split, sum, sc.n)
		}
		lo, hi := uint8(255), uint8(0)
		for _, v := range s.Pixels {
			lo, hi = min(lo, v), max(hi, v)
		}
		if lo != 0 || hi != 255 {
			t.Errorf("%s %s: pixels span [%v, %v], want [0, 1]", name, sc.split, lo, hi)
		}
	}
	if d.Train.Labels[0] != firstLabel {
		t.Errorf("%s: first training label is %d, want %d", name, d.Train.Labels[0], firstLabel)
	}
}

func TestRealMNIST(t *testing.T) {
	checkReal(t, "mnist", "data", 5)
}

func TestRealFashionMNIST(t *testing.T) {
	checkReal(t, "fashion-mnist", "data-fashion", 9) // 9 is "ankle boot"
}
