package main

import (
	"strings"
	"testing"
)

// TestCompareProgressLog runs compare with stderr a pipe: plain progress
// lines per activation, and none under --quiet.
func TestCompareProgressLog(t *testing.T) {
	var flags []string
	for _, f := range small {
		if f != "--quiet" {
			flags = append(flags, f)
		}
	}
	_, stderr, code := run(t, append(append([]string{"compare"}, flags...), "--acts", "relu,tanh", "--jobs", "2", "--out", t.TempDir())...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"relu: step  1/32 (  3%)", "tanh: step 32/32 (100%)", "relu: step 32/32 (100%)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.ContainsAny(stderr, "\r\x1b") || strings.Count(stderr, "\n") > 2*11 {
		t.Errorf("stderr:\n%q", stderr)
	}
	_, stderr, _ = run(t, append(append([]string{"compare"}, small...), "--acts", "relu", "--out", t.TempDir())...)
	if stderr != "" {
		t.Errorf("--quiet: stderr %q", stderr)
	}
}
