package main

import (
	bin "encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The event-file reader below is the test's own: TFRecord framing, CRC-32C
// and protocol-buffer decoding are written from their specifications, not
// with the writer's code or libraries, so that a mistake in the writer is
// not repeated here.

// crc32c is CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by
// bit.
func crc32c(b []byte) uint32 {
	c := ^uint32(0)
	for _, x := range b {
		c ^= uint32(x)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0x82F63B78
			} else {
				c >>= 1
			}
		}
	}
	return ^c
}

// maskCRC is TFRecord's mask: rotate right by 15 bits, add 0xa282ead8.
func maskCRC(c uint32) uint32 { return (c>>15 | c<<17) + 0xa282ead8 }

// readRecords splits an event file into its records' data, checking both
// CRCs of every record and that nothing trails the last.
func readRecords(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for off := 0; off < len(b); {
		if len(b)-off < 12 {
			t.Fatalf("record at byte %d: %d bytes left, a header needs 12", off, len(b)-off)
		}
		n := bin.LittleEndian.Uint64(b[off:])
		if got, want := bin.LittleEndian.Uint32(b[off+8:]), maskCRC(crc32c(b[off:off+8])); got != want {
			t.Fatalf("record at byte %d: length CRC %#x, want %#x", off, got, want)
		}
		start := off + 12
		end := start + int(n)
		if end+4 > len(b) {
			t.Fatalf("record at byte %d: length %d runs past the end (%d bytes)", off, n, len(b))
		}
		if got, want := bin.LittleEndian.Uint32(b[end:]), maskCRC(crc32c(b[start:end])); got != want {
			t.Fatalf("record at byte %d: data CRC %#x, want %#x", off, got, want)
		}
		out = append(out, b[start:end])
		off = end + 4
	}
	return out
}

// pbField is one field of an encoded protocol buffer.
type pbField struct {
	num  int
	wire int
	u    uint64 // varint, fixed64 or fixed32
	b    []byte // length-delimited
}

func uvarint(b []byte) (uint64, int) {
	var x uint64
	for i := 0; i < len(b) && i < 10; i++ {
		x |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return x, i + 1
		}
	}
	return 0, 0
}

// parsePB splits an encoded message into its fields.
func parsePB(t *testing.T, b []byte) []pbField {
	t.Helper()
	var out []pbField
	for len(b) > 0 {
		key, n := uvarint(b)
		if n == 0 {
			t.Fatalf("bad field key in % x", b)
		}
		b = b[n:]
		f := pbField{num: int(key >> 3), wire: int(key & 7)}
		switch f.wire {
		case 0:
			f.u, n = uvarint(b)
			if n == 0 {
				t.Fatal("bad varint")
			}
			b = b[n:]
		case 1:
			f.u, b = bin.LittleEndian.Uint64(b), b[8:]
		case 5:
			f.u, b = uint64(bin.LittleEndian.Uint32(b)), b[4:]
		case 2:
			l, n := uvarint(b)
			if n == 0 || int(l) > len(b)-n {
				t.Fatalf("bad length %d", l)
			}
			f.b, b = b[n:n+int(l)], b[n+int(l):]
		default:
			t.Fatalf("unexpected wire type %d", f.wire)
		}
		out = append(out, f)
	}
	return out
}

type tbHisto struct {
	min, max, num, sum, sumSquares float64
	limits, counts                 []float64
}

type tbValue struct {
	tag    string
	simple *float32
	histo  *tbHisto
}

type tbEvent struct {
	wall    float64
	step    int64
	version string
	values  []tbValue
}

func packedDoubles(t *testing.T, b []byte) []float64 {
	if len(b)%8 != 0 {
		t.Fatalf("packed doubles of %d bytes", len(b))
	}
	var out []float64
	for i := 0; i < len(b); i += 8 {
		out = append(out, math.Float64frombits(bin.LittleEndian.Uint64(b[i:])))
	}
	return out
}

// decodeEvent decodes a tensorflow.Event (event.proto: wall_time 1,
// step 2, file_version 3, summary 5; summary.proto: Summary.value 1,
// Value.tag 1, simple_value 2, histo 5; histogram.proto: min 1 … bucket 7).
func decodeEvent(t *testing.T, b []byte) tbEvent {
	var e tbEvent
	for _, f := range parsePB(t, b) {
		switch f.num {
		case 1:
			e.wall = math.Float64frombits(f.u)
		case 2:
			e.step = int64(f.u)
		case 3:
			e.version = string(f.b)
		case 5:
			for _, sv := range parsePB(t, f.b) {
				if sv.num != 1 {
					t.Fatalf("Summary field %d", sv.num)
				}
				var v tbValue
				for _, vf := range parsePB(t, sv.b) {
					switch vf.num {
					case 1:
						v.tag = string(vf.b)
					case 2:
						x := math.Float32frombits(uint32(vf.u))
						v.simple = &x
					case 5:
						h := &tbHisto{}
						for _, hf := range parsePB(t, vf.b) {
							d := math.Float64frombits(hf.u)
							switch hf.num {
							case 1:
								h.min = d
							case 2:
								h.max = d
							case 3:
								h.num = d
							case 4:
								h.sum = d
							case 5:
								h.sumSquares = d
							case 6:
								h.limits = packedDoubles(t, hf.b)
							case 7:
								h.counts = packedDoubles(t, hf.b)
							}
						}
						v.histo = h
					default:
						t.Fatalf("Value field %d", vf.num)
					}
				}
				e.values = append(e.values, v)
			}
		default:
			t.Fatalf("Event field %d", f.num)
		}
	}
	return e
}

// readEvents reads the one event file in dir.
func readEvents(t *testing.T, dir string) (string, []tbEvent) {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "events.out.tfevents.*"))
	if len(m) != 1 {
		t.Fatalf("%d event files in %s, want 1: %v", len(m), dir, m)
	}
	host, _ := os.Hostname()
	if name := filepath.Base(m[0]); !regexp.MustCompile(`^events\.out\.tfevents\.\d{10}\.` + regexp.QuoteMeta(host) + `$`).MatchString(name) {
		t.Errorf("event file name %q", name)
	}
	b, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	var evs []tbEvent
	for _, r := range readRecords(t, b) {
		evs = append(evs, decodeEvent(t, r))
	}
	if len(evs) == 0 || evs[0].version != "brain.Event:2" || len(evs[0].values) != 0 {
		t.Fatalf("first event %+v, want the file version brain.Event:2", evs)
	}
	return m[0], evs[1:]
}

// csvRows reads a CSV file into rows of fields, without its header.
func csvRows(t *testing.T, path string) [][]string {
	t.Helper()
	var out [][]string
	for _, l := range strings.Split(strings.TrimSpace(readFile(t, path)), "\n")[1:] {
		out = append(out, strings.Split(l, ","))
	}
	return out
}

func f32(t *testing.T, s string) float32 {
	t.Helper()
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return float32(x)
}

// tbRun is what an event file says, by step.
type tbRun struct {
	scalars map[int64]map[string]float32 // step -> tag -> value
	hists   map[int64]map[string]*tbHisto
	// order is the step of each summary event, in file order, per kind.
	scalarSteps, histSteps []int64
}

func collect(t *testing.T, evs []tbEvent) tbRun {
	t.Helper()
	r := tbRun{scalars: map[int64]map[string]float32{}, hists: map[int64]map[string]*tbHisto{}}
	for _, e := range evs {
		if e.wall < 1e9 {
			t.Errorf("event at step %d has wall time %v", e.step, e.wall)
		}
		kind := ""
		for _, v := range e.values {
			if v.tag == "test_loss" {
				kind = "epoch"
			}
			switch {
			case v.simple != nil && v.histo == nil:
				if r.scalars[e.step] == nil {
					r.scalars[e.step] = map[string]float32{}
				}
				if _, dup := r.scalars[e.step][v.tag]; dup {
					t.Errorf("step %d: %s written twice", e.step, v.tag)
				}
				r.scalars[e.step][v.tag] = *v.simple
				if kind == "" {
					kind = "scalar"
				}
			case v.histo != nil && v.simple == nil:
				if r.hists[e.step] == nil {
					r.hists[e.step] = map[string]*tbHisto{}
				}
				if _, dup := r.hists[e.step][v.tag]; dup {
					t.Errorf("step %d: histogram %s written twice", e.step, v.tag)
				}
				r.hists[e.step][v.tag] = v.histo
				kind = "histo"
			default:
				t.Errorf("step %d: value %q is neither a scalar nor a histogram", e.step, v.tag)
			}
		}
		switch kind {
		case "histo":
			r.histSteps = append(r.histSteps, e.step)
		case "scalar":
			r.scalarSteps = append(r.scalarSteps, e.step)
		}
	}
	return r
}

// checkAgainstCSV checks that the event file of the run in dir holds
// exactly the values of its CSV files, with exactly the documented tags,
// and weight-gradient histograms at the steps histSteps.
func checkAgainstCSV(t *testing.T, dir string, histSteps []int64) tbRun {
	t.Helper()
	_, evs := readEvents(t, dir)
	r := collect(t, evs)
	want := map[int64]map[string]float32{}
	var logged []int64
	for _, row := range csvRows(t, filepath.Join(dir, "metrics.csv")) {
		step, _ := strconv.ParseInt(row[0], 10, 64)
		logged = append(logged, step)
		want[step] = map[string]float32{"loss": f32(t, row[2]), "batch_acc": f32(t, row[3]), "grad_norm/global": f32(t, row[4])}
	}
	weights := map[int64]map[int]float64{}
	for _, row := range csvRows(t, filepath.Join(dir, "grad_norms.csv")) {
		step, _ := strconv.ParseInt(row[0], 10, 64)
		layer, _ := strconv.Atoi(row[1])
		want[step][fmt.Sprintf("grad_norm/layer_%02d/%s", layer, row[2])] = f32(t, row[3])
		if row[2] == "weight" {
			if weights[step] == nil {
				weights[step] = map[int]float64{}
			}
			weights[step][layer], _ = strconv.ParseFloat(row[3], 64)
		}
	}
	for _, row := range csvRows(t, filepath.Join(dir, "epochs.csv")) {
		step, _ := strconv.ParseInt(row[1], 10, 64)
		if want[step] == nil {
			want[step] = map[string]float32{}
		}
		want[step]["test_loss"] = f32(t, row[3])
		want[step]["test_accuracy"] = f32(t, row[4])
	}
	if !slices.Equal(r.scalarSteps, logged) {
		t.Errorf("scalar events at steps %v, want the logged steps %v once each, in order", r.scalarSteps, logged)
	}
	for step, tags := range want {
		got := r.scalars[step]
		for tag, v := range tags {
			if g, ok := got[tag]; !ok || !(g == v || (math.IsNaN(float64(g)) && math.IsNaN(float64(v)))) {
				t.Errorf("step %d %s: event file %v (present %v), CSV %v", step, tag, g, ok, v)
			}
		}
		if len(got) != len(tags) {
			t.Errorf("step %d: %d tags in the event file, %d in the CSV files: %v", step, len(got), len(tags), got)
		}
	}
	if len(r.scalars) != len(want) {
		t.Errorf("scalars at %d steps, the CSV files have %d", len(r.scalars), len(want))
	}
	if !slices.Equal(r.histSteps, histSteps) {
		t.Errorf("histograms at steps %v, want %v", r.histSteps, histSteps)
	}
	for step, hs := range r.hists {
		if len(hs) != len(weights[step]) {
			t.Errorf("step %d: %d histograms for %d weight gradients", step, len(hs), len(weights[step]))
		}
		for layer, l2 := range weights[step] {
			h := hs[fmt.Sprintf("grad/layer_%02d/weight", layer)]
			if h == nil {
				t.Errorf("step %d: no histogram of layer %d", step, layer)
				continue
			}
			var n float64
			for _, c := range h.counts {
				n += c
			}
			if n != h.num || h.num < 1 || len(h.limits) != len(h.counts) || h.limits[len(h.limits)-1] != h.max || !(h.min <= h.max) ||
				!slices.IsSorted(h.limits) || h.limits[0] < h.min {
				t.Errorf("step %d layer %d: inconsistent histogram %+v", step, layer, h)
			}
			// The histogram holds the very values the norm was taken of.
			if math.Abs(math.Sqrt(h.sumSquares)-l2) > 1e-12*l2 {
				t.Errorf("step %d layer %d: √sum_squares %v, grad_norms.csv %v", step, layer, math.Sqrt(h.sumSquares), l2)
			}
		}
	}
	return r
}

// histogramSteps are the steps that carry histograms: the first, the
// last, and for each multiple k·every the first logged step after it.
func histogramSteps(logged []int64, every int64) []int64 {
	out := []int64{logged[0]}
	next := every + 1
	for _, s := range logged[1:] {
		if s >= next || s == logged[len(logged)-1] {
			out = append(out, s)
			for next <= s {
				next += every
			}
		}
	}
	return out
}

// TestTensorBoard trains through the CLI and reads the event file back.
func TestTensorBoard(t *testing.T) {
	dir := t.TempDir()
	// An event file of an earlier run in the directory is replaced.
	os.WriteFile(filepath.Join(dir, "events.out.tfevents.1.old"), []byte("stale"), 0o644)
	args := append(append([]string{"train"}, small...), "--act", "relu", "--epochs", "2", "--log-every", "3", "--hist-every", "7", "--out", dir)
	if _, stderr, code := run(t, args...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var logged []int64
	for _, row := range csvRows(t, filepath.Join(dir, "metrics.csv")) {
		s, _ := strconv.ParseInt(row[0], 10, 64)
		logged = append(logged, s)
	}
	if len(logged) != 22 || logged[len(logged)-1] != 64 {
		t.Fatalf("logged steps %v", logged)
	}
	hs := histogramSteps(logged, 7)
	if !slices.Equal(hs[:4], []int64{1, 10, 16, 22}) {
		t.Fatalf("the test's own histogram steps %v", hs)
	}
	checkAgainstCSV(t, dir, hs)

	// The default: about 50 histograms per run (of 32 steps: every step).
	def := t.TempDir()
	if _, stderr, code := run(t, append(append([]string{"train"}, small...), "--act", "tanh", "--out", def)...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var all []int64
	for s := int64(1); s <= 32; s++ {
		all = append(all, s)
	}
	checkAgainstCSV(t, def, histogramSteps(all, 1))

	// --tensorboard=false writes none, and removes the earlier run's.
	if _, stderr, code := run(t, append(append([]string{"train"}, small...), "--tensorboard=false", "--force", "--out", dir)...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "events.out.tfevents.*")); len(m) != 0 {
		t.Errorf("--tensorboard=false left %v", m)
	}
	_, stderr, code := run(t, append(append([]string{"train"}, small...), "--hist-every", "-1", "--out", t.TempDir())...)
	oneLineError(t, stderr, code, "--hist-every")
}

// TestTensorBoardResume kills a run with SIGKILL and SIGINT, resumes it
// each time, and checks that its event file holds every step once, with
// the values of an uninterrupted run.
func TestTensorBoardResume(t *testing.T) {
	ref := t.TempDir()
	args := append([]string{"train", "--log-every", "2", "--hist-every", "9"}, slow...)
	if _, stderr, code := run(t, append(args, "--out", ref)...); code != 0 {
		t.Fatalf("reference run: exit %d: %s", code, stderr)
	}
	var logged []int64
	for _, row := range csvRows(t, filepath.Join(ref, "metrics.csv")) {
		s, _ := strconv.ParseInt(row[0], 10, 64)
		logged = append(logged, s)
	}
	want := checkAgainstCSV(t, ref, histogramSteps(logged, 9))

	dir := t.TempDir()
	metricsFile := filepath.Join(dir, "metrics.csv")
	startAndKill(t, metricsFile, 30, syscall.SIGKILL, append(args, "--out", dir)...)
	name, _ := readEvents(t, dir)
	startAndKill(t, metricsFile, 70, syscall.SIGINT, "train", "--resume", dir, "--quiet")
	if _, stderr, code := run(t, "train", "--resume", dir, "--quiet"); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	sameRun(t, ref, dir)
	if again, _ := readEvents(t, dir); again != name {
		t.Errorf("the resumed run writes %s, not the run's %s", again, name)
	}
	got := checkAgainstCSV(t, dir, histogramSteps(logged, 9))
	for step, tags := range want.scalars {
		for tag, v := range tags {
			if g := got.scalars[step][tag]; g != v {
				t.Errorf("step %d %s: %v after resuming, %v uninterrupted", step, tag, g, v)
			}
		}
	}
	for step, hs := range want.hists {
		for tag, h := range hs {
			if g := got.hists[step][tag]; g == nil || !slices.Equal(g.counts, h.counts) || !slices.Equal(g.limits, h.limits) || g.sumSquares != h.sumSquares {
				t.Errorf("step %d %s: histogram differs after resuming", step, tag)
			}
		}
	}
}

// TestCRC32C checks the test's own checksum against CRC-32C's published
// check value.
func TestCRC32C(t *testing.T) {
	if c := crc32c([]byte("123456789")); c != 0xE3069283 {
		t.Errorf("crc32c = %#x, want 0xe3069283", c)
	}
}
