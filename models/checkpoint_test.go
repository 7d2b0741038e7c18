package models

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
)

func sampleCheckpoint() *Checkpoint {
	return &Checkpoint{
		Config:   config.Default(),
		State:    State{Epoch: 2, Batch: 7, EpochRNG: []byte{1, 2, 3}, EpochLoss: 1.5, EpochSteps: 7, Offsets: map[string]int64{"metrics.csv": 99}},
		Params:   [][]float64{{1, -2, math.Inf(1)}, {}, {3}},
		OptStep:  12,
		OptSlots: [][]float64{{0.5}, {0.25, 1e-300}},
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), rundir.CheckpointFile)
	ck := sampleCheckpoint()
	if err := WriteCheckpoint(path, ck); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	got.Params[1] = []float64{} // an empty array reads back empty, not nil
	if !reflect.DeepEqual(got, ck) {
		t.Errorf("round trip:\n%+v\nwant\n%+v", got, ck)
	}
}

func TestCheckpointBadFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), rundir.CheckpointFile)
	if err := WriteCheckpoint(path, sampleCheckpoint()); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	flip := bytes.Clone(good)
	flip[len(flip)-3] ^= 0xff
	version := bytes.Clone(good)
	version[8] = 9
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "bad magic"},
		{"not a checkpoint", []byte("step,epoch,loss\n1,1,2.3\n"), "bad magic"},
		{"header cut", good[:15], "truncated"},
		{"payload cut", good[:len(good)-10], "truncated"},
		{"extended", append(bytes.Clone(good), 0), "truncated or extended"},
		{"bit flip", flip, "checksum"},
		{"other version", version, "format version 9"},
	} {
		_, err := DecodeCheckpoint(tc.b)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// FuzzDecodeCheckpoint feeds arbitrary bytes, including ones with a valid
// header and checksum around a hostile payload, to the decoder: it must
// return an error or a checkpoint, never panic, and never allocate more
// than the input can hold.
func FuzzDecodeCheckpoint(f *testing.F) {
	var buf bytes.Buffer
	path := filepath.Join(f.TempDir(), rundir.CheckpointFile)
	if err := WriteCheckpoint(path, sampleCheckpoint()); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	f.Add(good)
	f.Add(good[:30])
	f.Add(buf.Bytes())
	// A payload claiming 2^32-1 arrays and one claiming a huge array.
	f.Add(withPayload([]byte{2, 0, 0, 0, '{', '}', 0xff, 0xff, 0xff, 0xff}))
	f.Add(withPayload([]byte{2, 0, 0, 0, '{', '}', 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}))
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodeCheckpoint(b)
		// Wrapping any payload in a valid header reaches the section parser.
		DecodeCheckpoint(withPayload(b))
	})
}

// TestOutputBytes checks the estimate against what a run really writes.
func TestOutputBytes(t *testing.T) {
	for _, norm := range config.Norms {
		testOutputBytes(t, norm)
	}
}

func testOutputBytes(t *testing.T, norm string) {
	ds := data.Synthetic(1, 512, 64)
	cfg := config.Default()
	cfg.Depth, cfg.Width, cfg.Batch, cfg.Epochs, cfg.Norm = 4, 32, 32, 2, norm
	dir := t.TempDir()
	if _, err := TrainInto(context.Background(), cfg, ds, dir, nil, Output{TensorBoard: true}); err != nil {
		t.Fatal(err)
	}
	var written int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		info, _ := e.Info()
		written += info.Size()
	}
	est := OutputBytes(cfg, ds.Train.N, ds.Train.Dim, ds.Classes)
	if est < written || est > 4*written {
		t.Errorf("norm %s: estimate %d bytes, run wrote %d", norm, est, written)
	}
}

// FuzzReadCheckpointFile writes arbitrary bytes, and a valid checkpoint
// with its header's payload length set from the input, as a file and reads
// it with ReadCheckpoint: the header must be checked against the file's
// size before the payload is read, and nothing must panic.
func FuzzReadCheckpointFile(f *testing.F) {
	path := filepath.Join(f.TempDir(), rundir.CheckpointFile)
	if err := WriteCheckpoint(path, sampleCheckpoint()); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	f.Add(good, uint64(0))
	f.Add(good[:20], uint64(1<<40))
	f.Add([]byte{}, uint64(5))
	f.Fuzz(func(t *testing.T, b []byte, n uint64) {
		dir := t.TempDir()
		p := filepath.Join(dir, "ck")
		os.WriteFile(p, b, 0o644)
		ReadCheckpoint(p)
		// A header that claims n payload bytes around a valid file.
		if len(good) > 20 {
			h := bytes.Clone(good)
			binary.LittleEndian.PutUint64(h[12:], n)
			os.WriteFile(p, h, 0o644)
			_, err := ReadCheckpoint(p)
			if n != uint64(len(good)-24) && (err == nil || !strings.Contains(err.Error(), "truncated or extended")) {
				t.Fatalf("header claims %d payload bytes, file has %d: error %v", n, len(good)-24, err)
			}
		}
	})
}
