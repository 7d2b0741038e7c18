// Package progress shows the progress of the runs a command trains (train's one, compare's
// activations, a sweep's runs). On a terminal it is a block of lines
// redrawn in place, at most every redrawEvery: a header with the runs done
// (when there are several), then one line per run in training with its
// step, loss and ETA, each cut to the terminal's width so that nothing
// wraps. Elsewhere (a CI log, a file) it is plain lines, one per run each
// time it passes another tenth of its steps or logEvery after its last
// line (and one at its first step), as Lightning and tqdm write to logs.
//
// It is the project's own (about 200 lines) rather than a progress-bar
// library such as vbauerster/mpb: what it draws is a few text lines, the
// plain-log mode is the half that matters in CI and those libraries do not
// have it, and the training loop already reports each step.
package progress
