package rundir

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/config"
)

// TestStatsSignalColumns checks act_stats.csv's out_rms and delta_rms:
// written and read back, NaN for a file in the six-column format of
// earlier runs, and a run resumed from such a file continuing in its
// format, so that the file stays readable.
func TestStatsSignalColumns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	r, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := config.Default()
	c.Depth = 2
	if err := WriteJSON(filepath.Join(dir, SummaryFile), &Summary{Config: c}); err != nil {
		t.Fatal(err)
	}
	step := func(r *Recorder, n int) {
		t.Helper()
		if err := r.Step(metrics.Step{Step: n, Epoch: 1, Norms: norms(1, 1, 1, 1, 1, 1, 1)}); err != nil {
			t.Fatal(err)
		}
		st := []metrics.Stats{{Step: n, Layer: 0, Std: 1, OutRMS: 0.5, DeltaRMS: 2e-3}, {Step: n, Layer: 1, Std: 1, OutRMS: 0.25, DeltaRMS: 1e-3}}
		if err := r.Stats(st); err != nil {
			t.Fatal(err)
		}
	}
	step(r, 1)
	r.Close()
	b, _ := os.ReadFile(filepath.Join(dir, StatsFile))
	if want := "step,layer,pre_mean,pre_std,saturated,dead,out_rms,delta_rms\n1,0,0,1,0,0,0.5,0.002\n1,1,0,1,0,0,0.25,0.001\n"; string(b) != want {
		t.Errorf("act_stats.csv:\n%s\nwant\n%s", b, want)
	}
	run, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s := run.Stats[1]; s.OutRMS != 0.25 || s.DeltaRMS != 1e-3 {
		t.Errorf("read back %+v", s)
	}
	if f, d := SignalGains(run.StatsAt(1)); math.Abs(f-0.5) > 1e-15 || math.Abs(d-2) > 1e-15 {
		t.Errorf("signal gains %v, %v, want 0.5, 2", f, d)
	}
	row := run.Row()
	if row.ForwardStart != 0.5 || row.ErrorStart != 2 {
		t.Errorf("row gains %v, %v", row.ForwardStart, row.ErrorStart)
	}

	// A file of the earlier format reads with NaN and is resumed in it.
	old := "step,layer,pre_mean,pre_std,saturated,dead\n1,0,0,1,0,0\n1,1,0,1,0,0\n"
	if err := os.WriteFile(filepath.Join(dir, StatsFile), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	if run, err = Read(dir); err != nil {
		t.Fatal(err)
	}
	if s := run.Stats[0]; !math.IsNaN(s.OutRMS) || !math.IsNaN(s.DeltaRMS) || s.Std != 1 {
		t.Errorf("old format read as %+v", s)
	}
	if row := run.Row(); !math.IsNaN(row.ForwardStart) || row.Verdict.String() != "n/a" {
		t.Errorf("old format row: forward gain %v, verdict %q", row.ForwardStart, row.Verdict)
	}
	offsets := Offsets{}
	for _, name := range []string{MetricsFile, GradNormsFile, EpochsFile, StatsFile} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		offsets[name] = st.Size()
	}
	if r, err = Reopen(dir, offsets); err != nil {
		t.Fatal(err)
	}
	step(r, 2)
	r.Close()
	b, _ = os.ReadFile(filepath.Join(dir, StatsFile))
	if want := old + "2,0,0,1,0,0\n2,1,0,1,0,0\n"; string(b) != want {
		t.Errorf("resumed old-format act_stats.csv:\n%s\nwant\n%s", b, want)
	}
	if run, err = Read(dir); err != nil || len(run.Stats) != 4 {
		t.Errorf("resumed old format: %v, %d rows", err, len(run.Stats))
	}
	if !strings.HasPrefix(string(b), statsHeaderV1) {
		t.Error("header changed")
	}
}

// TestSpectrumFile checks jacobian_spectrum.csv written and read back
// exactly, and a malformed file refused.
func TestSpectrumFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	r, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	c := config.Default()
	c.Depth = 2
	if err := WriteJSON(filepath.Join(dir, SummaryFile), &Summary{Config: c}); err != nil {
		t.Fatal(err)
	}
	if run, err := Read(dir); err != nil || run.Jacobian != nil {
		t.Fatalf("no spectrum file: %v, %v", run.Jacobian, err)
	}
	sv := [][]float64{{3.5, 1, 1e-300, 0}, {2, 0.1}}
	if err := WriteSpectrum(dir, sv); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, JacobianFile)); !strings.HasPrefix(string(b), "example,index,sigma\n0,0,3.5\n") {
		t.Errorf("%s:\n%s", JacobianFile, b)
	}
	run, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Jacobian) != 2 || !slicesEqual(run.Jacobian[0], sv[0]) || !slicesEqual(run.Jacobian[1], sv[1]) {
		t.Errorf("read back %v, want %v", run.Jacobian, sv)
	}
	for _, bad := range []string{"example,index,sigma\n0,1,2\n", "example,index,sigma\n1,0,2\n", "example,index,sigma\n0,0,x\n"} {
		os.WriteFile(filepath.Join(dir, JacobianFile), []byte(bad), 0o644)
		if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), JacobianFile) {
			t.Errorf("%q: error %v", bad, err)
		}
	}
}

func slicesEqual(a, b []float64) bool {
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
