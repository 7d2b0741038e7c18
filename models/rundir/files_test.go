package rundir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLock checks that a held directory is refused with the holder's pid,
// that Probe sees it, and that Release frees it.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	var busy *BusyError
	var refused *RefusedError
	_, err = Acquire(dir)
	if !errors.As(err, &busy) || !errors.As(err, &refused) || busy.PID != os.Getpid() {
		t.Fatalf("second Acquire: %v, want a refused *BusyError naming pid %d", err, os.Getpid())
	}
	if err := Probe(dir); !errors.As(err, &busy) {
		t.Errorf("Probe of a held directory: %v", err)
	}
	l.Release()
	if err := Probe(dir); err != nil {
		t.Errorf("Probe after Release: %v", err)
	}
	l, err = Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l.Release()
}

// TestCheckFiles checks each kind of file a run must not write.
func TestCheckFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, MetricsFile), []byte(metricsHeader), 0o644)
	os.Symlink(filepath.Join(dir, MetricsFile), filepath.Join(dir, EpochsFile))
	os.Mkdir(filepath.Join(dir, StatsFile), 0o755)
	for _, tc := range []struct {
		name, want string
	}{
		{MetricsFile, ""},
		{GradNormsFile, ""}, // missing: created later
		{EpochsFile, "is a symbolic link"},
		{StatsFile, "is not a regular file"},
	} {
		err := CheckFiles(dir, tc.name)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestCleanTemps checks that only the temporaries of atomic writes go.
func TestCleanTemps(t *testing.T) {
	dir := t.TempDir()
	names := map[string]bool{".summary.json.tmp123": false, ".checkpoint.bin.tmp9": false, ".gradbench.lock": true, ".other.tmp1": true, "metrics.csv": true}
	for n := range names {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	if err := CleanTemps(dir); err != nil {
		t.Fatal(err)
	}
	for n, keep := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); (err == nil) != keep {
			t.Errorf("%s: kept %t, want %t", n, err == nil, keep)
		}
	}
}

// TestCheckOffsets checks offsets against the rows of the files.
func TestCheckOffsets(t *testing.T) {
	dir := t.TempDir()
	rows := map[string]string{
		MetricsFile:   metricsHeader + "1,1,2.3,0.1,1,1,0.1\n5,1,2.1,0.1,1,1,0.2\n",
		GradNormsFile: gradsHeader + "1,0,weight,0.5\n",
		EpochsFile:    epochsHeader + "1,8,2,2,0.5\n",
		StatsFile:     statsHeader,
	}
	good := Offsets{}
	for n, text := range rows {
		os.WriteFile(filepath.Join(dir, n), []byte(text), 0o644)
		good[n] = int64(len(text))
	}
	with := func(name string, off int64) Offsets {
		o := Offsets{}
		for k, v := range good {
			o[k] = v
		}
		o[name] = off
		return o
	}
	for _, tc := range []struct {
		name          string
		offsets       Offsets
		logged, epoch int
		want          string
	}{
		{"good", good, 5, 1, ""},
		{"mid-row", with(MetricsFile, good[MetricsFile]-2), 5, 1, "not at the end of a row"},
		{"an earlier row", with(MetricsFile, int64(len(metricsHeader)+len("1,1,2.3,0.1,1,1,0.1\n"))), 5, 1, `step "1"`},
		{"in the header", with(GradNormsFile, 3), 5, 1, "inside its"},
		{"past the end", with(EpochsFile, 1000), 5, 1, "cut short"},
		{"other epochs", good, 5, 2, "2 epochs"},
		{"no position", Offsets{MetricsFile: good[MetricsFile]}, 5, 1, "no position"},
	} {
		err := CheckOffsets(dir, tc.offsets, tc.logged, tc.epoch)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
