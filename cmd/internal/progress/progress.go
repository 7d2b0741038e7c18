package progress

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gradbench/gradbench/models"
)

const (
	redrawEvery = 200 * time.Millisecond
	logEvery    = 30 * time.Second
)

// Runs shows the progress of runs. Its methods are safe for
// concurrent use and do nothing on a nil receiver.
type Runs struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	width func() int
	now   func() time.Time
	total int
	done  int
	// order are the names of the runs in training, in the order they
	// started; active holds their last progress.
	order  []string
	active map[string]models.Progress
	// drawn is the number of lines of the block on the terminal.
	drawn    int
	lastDraw time.Time
	// logged is each run's last plain line: when, and at which tenth.
	logged map[string]logMark
}

type logMark struct {
	at    time.Time
	tenth int
}

// New returns the progress of total runs on f: lines redrawn
// in place if f is a terminal, plain log lines otherwise.
func New(f *os.File, total int) *Runs {
	p := newProgress(f, total, false, nil)
	if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
		p.tty = true
		p.width = func() int {
			if w := termWidth(f); w > 0 {
				return w
			}
			if w, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && w > 0 {
				return w
			}
			return 80
		}
	}
	return p
}

func newProgress(w io.Writer, total int, tty bool, width func() int) *Runs {
	return &Runs{w: w, tty: tty, width: width, now: time.Now, total: total,
		active: map[string]models.Progress{}, logged: map[string]logMark{}}
}

// Update returns the progress callback of the run called name.
func (p *Runs) Update(name string) func(models.Progress) {
	if p == nil {
		return nil
	}
	return func(pr models.Progress) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if _, ok := p.active[name]; !ok {
			p.order = append(p.order, name)
		}
		p.active[name] = pr
		now := p.now()
		if !p.tty {
			p.logLine(name, pr, now)
			return
		}
		if now.Sub(p.lastDraw) >= redrawEvery || pr.Step == pr.Steps {
			p.lastDraw = now
			p.draw()
		}
	}
}

// logLine writes the plain line of run name when it passed another tenth
// of its steps, or logEvery after its last line.
func (p *Runs) logLine(name string, pr models.Progress, now time.Time) {
	if pr.Steps <= 0 {
		return
	}
	tenth := 10 * pr.Step / pr.Steps
	m, seen := p.logged[name]
	if seen && tenth <= m.tenth && now.Sub(m.at) < logEvery {
		return
	}
	p.logged[name] = logMark{at: now, tenth: max(tenth, m.tenth)}
	fmt.Fprintln(p.w, runLine(name, 0, pr, false))
}

// runLine formats one run's progress, its name padded to pad; compact
// drops the words for a narrow terminal.
func runLine(name string, pad int, pr models.Progress, compact bool) string {
	pct := 0
	if pr.Steps > 0 {
		pct = 100 * pr.Step / pr.Steps
	}
	eta := "?"
	if pr.Step > 0 {
		eta = duration(time.Duration(float64(pr.Elapsed) / float64(pr.Step) * float64(pr.Steps-pr.Step)))
	}
	if compact {
		return fmt.Sprintf("%-*s %d/%d %.3f %s", pad, name, pr.Step, pr.Steps, pr.Loss, eta)
	}
	return fmt.Sprintf("%-*s step %*d/%d (%3d%%)  epoch %d  loss %.4f  ETA %s", pad, name+":", len(strconv.Itoa(pr.Steps)), pr.Step, pr.Steps, pct, pr.Epoch, pr.Loss, eta)
}

// duration formats d as h:mm:ss or m:ss.
func duration(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// fit cuts s to at most width characters, marking a cut with "…".
func fit(s string, width int) string {
	if width < 1 {
		width = 1
	}
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:width-1]) + "…"
}

// lines returns the block of lines for a terminal of the given width.
func (p *Runs) lines(width int) []string {
	// The last column is left empty: some terminals wrap on writing it.
	w := width - 1
	var out []string
	if p.total > 1 {
		out = append(out, fit(fmt.Sprintf("%d/%d runs done, %d training", p.done, p.total, len(p.order)), w))
	}
	pad := 0
	for _, n := range p.order {
		pad = max(pad, utf8.RuneCountInString(n)+1)
	}
	pad = min(pad, max(8, w/3))
	for _, n := range p.order {
		l := runLine(n, pad, p.active[n], false)
		if utf8.RuneCountInString(l) > w {
			l = runLine(n, pad-1, p.active[n], true)
		}
		out = append(out, fit(l, w))
	}
	return out
}

// draw redraws the block in place: up to its first line, then each line
// cleared and written, then the rest of the screen cleared.
func (p *Runs) draw() {
	var b strings.Builder
	p.erase(&b)
	ls := p.lines(p.width())
	for _, l := range ls {
		b.WriteString(l)
		b.WriteString("\n")
	}
	p.drawn = len(ls)
	io.WriteString(p.w, b.String())
}

// erase writes the escape codes that move to the block's first line and
// clear it and everything below.
func (p *Runs) erase(b *strings.Builder) {
	if p.drawn > 0 {
		fmt.Fprintf(b, "\033[%dA", p.drawn)
	}
	b.WriteString("\r\033[J")
	p.drawn = 0
}

// Finish marks the run called name as ended.
func (p *Runs) Finish(name string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr, ok := p.active[name]; ok && !p.tty && p.logged[name].tenth < 10 {
		fmt.Fprintln(p.w, runLine(name, 0, pr, false))
	}
	delete(p.active, name)
	delete(p.logged, name)
	for i, n := range p.order {
		if n == name {
			p.order = append(p.order[:i], p.order[i+1:]...)
			break
		}
	}
	p.done++
	if p.tty && p.drawn > 0 {
		p.draw()
	}
}

// Clear removes the block from the terminal (before other output, and at
// the end).
func (p *Runs) Clear() {
	if p == nil || !p.tty || p.drawn == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	p.erase(&b)
	io.WriteString(p.w, b.String())
}

// Writer returns a writer to w that first clears the progress block,
// which the next update redraws below.
func (p *Runs) Writer(w io.Writer) io.Writer { return lineWriter{p, w} }

type lineWriter struct {
	bar *Runs
	w   io.Writer
}

func (l lineWriter) Write(b []byte) (int, error) {
	l.bar.Clear()
	return l.w.Write(b)
}
