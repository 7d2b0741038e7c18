package main

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/gradbench/gradbench/models"
)

// TestMultiProgressConcurrent calls the compare progress line from several
// goroutines, as compare's jobs do. Run it under -race (CI does).
func TestMultiProgressConcurrent(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "progress")
	if err != nil {
		t.Fatal(err)
	}
	m := &multiProgress{bar: &progressLine{f: f}, steps: map[string]models.Progress{}}
	var wg sync.WaitGroup
	for _, act := range []string{"relu", "tanh", "gelu"} {
		update := m.update(act)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := 1; s <= 200; s++ {
				update(models.Progress{Step: s, Steps: 200, Loss: 1})
			}
		}()
	}
	wg.Wait()
	f.Close()
	b, _ := os.ReadFile(f.Name())
	if !strings.Contains(string(b), "relu") && !strings.Contains(string(b), "tanh") && !strings.Contains(string(b), "gelu") {
		t.Errorf("progress line never drawn: %q", b)
	}
	if (&multiProgress{}).update("relu") != nil {
		t.Error("progress without a terminal should be off")
	}
}
