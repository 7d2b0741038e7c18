package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gradbench/gradbench/models"
	"github.com/urfave/cli/v2"
)

// progressLine draws a one-line progress report on a terminal.
type progressLine struct {
	f    *os.File
	last time.Time
}

// progressFor returns the progress line on stderr, nil under --quiet.
func progressFor(c *cli.Context) *progressLine {
	if c.Bool("quiet") {
		return nil
	}
	return newProgressLine(os.Stderr)
}

// newProgressLine returns a progress line on f, or nil when f is not a
// terminal.
func newProgressLine(f *os.File) *progressLine {
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return &progressLine{f: f}
}

func (p *progressLine) update(pr models.Progress) {
	if p == nil || (time.Since(p.last) < 200*time.Millisecond && pr.Step != pr.Steps) {
		return
	}
	p.last = time.Now()
	eta := time.Duration(float64(pr.Elapsed) / float64(pr.Step) * float64(pr.Steps-pr.Step)).Round(time.Second)
	fmt.Fprintf(p.f, "\rstep %d/%d  epoch %d  loss %.4f  ETA %v   ", pr.Step, pr.Steps, pr.Epoch, pr.Loss, eta)
}

func (p *progressLine) done() {
	if p != nil {
		fmt.Fprint(p.f, "\r\033[K")
	}
}

// runsProgress shows, on a terminal, how many runs are done and the step
// of each run in training (compare's activations, a sweep's runs). Its
// methods do nothing on a nil receiver.
type runsProgress struct {
	mu     sync.Mutex
	line   *progressLine
	total  int
	done   int
	active map[string]models.Progress
}

// newRunsProgress returns the progress of total runs on line, nil when
// line is nil.
func newRunsProgress(line *progressLine, total int) *runsProgress {
	if line == nil {
		return nil
	}
	return &runsProgress{line: line, total: total, active: map[string]models.Progress{}}
}

func (p *runsProgress) update(name string) func(models.Progress) {
	if p == nil {
		return nil
	}
	return func(pr models.Progress) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.active[name] = pr
		if time.Since(p.line.last) < 200*time.Millisecond {
			return
		}
		p.line.last = time.Now()
		parts := []string{fmt.Sprintf("%d/%d runs done", p.done, p.total)}
		for _, r := range slices.Sorted(maps.Keys(p.active)) {
			parts = append(parts, fmt.Sprintf("%s %d/%d", r, p.active[r].Step, p.active[r].Steps))
		}
		fmt.Fprintf(p.line.f, "\r\033[K%s", strings.Join(parts, " | "))
	}
}

func (p *runsProgress) finish(name string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.active, name)
	p.done++
}

func (p *runsProgress) clear() {
	if p != nil {
		p.line.done()
	}
}
