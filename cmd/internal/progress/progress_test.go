package progress

import (
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gradbench/gradbench/models"
)

// screen replays what the progress wrote to a terminal: the escape codes
// it uses (cursor up, clear to the end of the screen, carriage return) on
// a list of lines, and fails on any other.
func screen(t *testing.T, out string) []string {
	t.Helper()
	var lines []string
	row := 0
	esc := regexp.MustCompile(`^\x1b\[(\d*)([AJ])`)
	for len(out) > 0 {
		switch {
		case out[0] == '\x1b':
			m := esc.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("unknown escape code in %q", out)
			}
			if m[2] == "A" {
				n := 1
				if m[1] != "" {
					n = atoi(m[1])
				}
				row -= n
				if row < 0 {
					t.Fatalf("cursor moved above the block")
				}
			} else {
				lines = lines[:row]
			}
			out = out[len(m[0]):]
		case out[0] == '\r':
			out = out[1:]
		default:
			i := strings.IndexAny(out, "\n\x1b\r")
			if i < 0 || out[i] != '\n' {
				t.Fatalf("a line without its newline: %q", out)
			}
			for len(lines) <= row {
				lines = append(lines, "")
			}
			lines[row] = out[:i]
			row++
			out = out[i+1:]
		}
	}
	return lines[:row]
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = 10*n + int(c-'0')
	}
	return n
}

// TestProgressTerminal draws three concurrent runs on 80- and
// 40-column terminals: one line per run and a header, none wider than the
// terminal, with step, loss and ETA, redrawn in place.
func TestProgressTerminal(t *testing.T) {
	for _, width := range []int{80, 40} {
		var b strings.Builder
		p := newProgress(&b, 5, true, func() int { return width })
		clock := time.Unix(0, 0)
		p.now = func() time.Time { return clock }
		names := []string{"depth=16,act=leakyrelu,seed=2", "act=tanh", "act=gelu"}
		for s := 1; s <= 100; s++ {
			clock = clock.Add(200 * time.Millisecond)
			for _, n := range names {
				p.Update(n)(models.Progress{Step: s, Steps: 468, Epoch: 1, Loss: 2.3 / float64(s), Elapsed: time.Duration(s) * 50 * time.Millisecond})
			}
		}
		p.draw() // the last updates, which came within redrawEvery
		lines := screen(t, b.String())
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "0/5 runs done, 3 training") {
			t.Fatalf("width %d: %q", width, lines)
		}
		for _, l := range lines {
			if n := utf8.RuneCountInString(l); n >= width {
				t.Errorf("width %d: line of %d columns: %q", width, n, l)
			}
		}
		if width == 80 && !regexp.MustCompile(`^act=tanh: +step 100/468 \( 21%\)  epoch 1  loss 0\.0230  ETA 0:18$`).MatchString(lines[2]) {
			t.Errorf("line %q", lines[2])
		}
		if width == 40 && !strings.Contains(lines[2], "100/468 0.023 0:18") {
			t.Errorf("compact line %q", lines[2])
		}
		p.Finish(names[1])
		lines = screen(t, b.String())
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "1/5 runs done, 2 training") || strings.Contains(strings.Join(lines, "\n"), "tanh") {
			t.Errorf("after a run ended: %q", lines)
		}
		lineWriter{p, &b}.Write([]byte("act=tanh: finished\n"))
		if lines = screen(t, b.String()); len(lines) != 1 || lines[0] != "act=tanh: finished" {
			t.Errorf("a log line replaces the block: %q", lines)
		}
	}
}

// TestProgressLog checks the plain lines written when stderr is no
// terminal: one per run at each tenth of its steps, or 30 s after its last
// line, and at its first step, with no escape code.
func TestProgressLog(t *testing.T) {
	var b strings.Builder
	p := newProgress(&b, 2, false, nil)
	clock := time.Unix(0, 0)
	p.now = func() time.Time { return clock }
	fast, slow := p.Update("relu"), p.Update("gelu")
	for s := 1; s <= 468; s++ {
		clock = clock.Add(10 * time.Millisecond)
		fast(models.Progress{Step: s, Steps: 468, Epoch: 1, Loss: 1, Elapsed: time.Duration(s) * 10 * time.Millisecond})
	}
	// A slow run: 1 step every 20 s, 40 steps of 1000.
	for s := 1; s <= 40; s++ {
		clock = clock.Add(20 * time.Second)
		slow(models.Progress{Step: s, Steps: 1000, Epoch: 1, Loss: 1, Elapsed: time.Duration(s) * 20 * time.Second})
	}
	p.Finish("relu")
	out := b.String()
	if strings.ContainsAny(out, "\r\x1b") {
		t.Errorf("escape codes in a log: %q", out)
	}
	relu, gelu := strings.Count(out, "relu: step"), strings.Count(out, "gelu: step")
	if relu != 11 || !strings.Contains(out, "relu: step   1/468 (  0%)") || !strings.Contains(out, "relu: step  47/468 ( 10%)") || !strings.Contains(out, "relu: step 468/468 (100%)") {
		t.Errorf("%d relu lines:\n%s", relu, out)
	}
	// The first step, then every 30 s: steps 3, 5, … 39 (each 40 s after
	// the last line).
	if gelu != 20 {
		t.Errorf("%d gelu lines, want 20:\n%s", gelu, out)
	}
}

// TestConcurrent calls the progress from several
// goroutines, as the local engine's jobs do.
func TestConcurrent(t *testing.T) {
	var b strings.Builder
	var mu sync.Mutex
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return b.Write(p) })
	p := newProgress(w, 3, true, func() int { return 80 })
	done := make(chan bool)
	for _, name := range []string{"act=relu", "act=tanh", "act=gelu"} {
		update := p.Update(name)
		go func() {
			for s := 1; s <= 200; s++ {
				update(models.Progress{Step: s, Steps: 200, Loss: 1})
			}
			p.Finish(name)
			done <- true
		}()
	}
	for range 3 {
		<-done
	}
	if !strings.Contains(b.String(), "runs done") {
		t.Errorf("progress never drawn: %q", b.String())
	}
	if p.done != 3 || len(p.active) != 0 || len(p.order) != 0 {
		t.Errorf("done %d, active %v", p.done, p.active)
	}
	var off *Runs
	if off.Update("x") != nil {
		t.Error("a nil progress should be off")
	}
	off.Finish("x")
	off.Clear()
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
