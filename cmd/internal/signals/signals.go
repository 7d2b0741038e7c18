package signals

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

// Exit is the exit status of a command stopped by a signal, whichever
// of SIGINT, SIGTERM and SIGQUIT it was.
const Exit = 130

// Grace is how long a command may go on after the first signal before
// the process exits: time for a run to finish its step and write its
// checkpoint.
const Grace = 5 * time.Second

var (
	root, cancel = context.WithCancel(context.Background())
	caught       atomic.Value // the first signal, an os.Signal
)

// Install starts handling the signals; call it once, first thing in
// main. name prefixes the line printed when the process exits by itself.
func Install(name string) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT)
	go func() {
		s := <-ch
		caught.Store(s)
		cancel()
		select {
		case <-ch:
		case <-time.After(Grace):
		}
		fmt.Fprintf(os.Stderr, "%s: stopped by %v\n", name, s)
		os.Exit(Exit)
	}()
}

// Context returns the context that the first signal cancels.
func Context() context.Context { return root }

// Caught returns the first signal received, nil if none was.
func Caught() os.Signal {
	s, _ := caught.Load().(os.Signal)
	return s
}

// Err returns err, the result of a command, or an error naming the signal
// when a signal arrived during a command that then ended without one (in
// a phase that does not watch Context, such as writing figures): a
// command a signal stopped never reports success.
func Err(err error) error {
	if s := Caught(); s != nil && err == nil {
		return fmt.Errorf("stopped by %v", s)
	}
	return err
}
