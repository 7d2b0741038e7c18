package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMakeGPUMissingPieces runs make gpu's build script against toolkits
// that lack one piece each: every one stops with exit 2 and one line that
// names the missing piece.
func TestMakeGPUMissingPieces(t *testing.T) {
	script, err := filepath.Abs("../../scripts/cuda/build.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"/usr/include/cuda.h", "/usr/include/cudnn.h", "/usr/include/x86_64-linux-gnu/cudnn.h"} {
		if _, err := os.Stat(h); err == nil {
			t.Skipf("%s is installed system-wide: the script would find it", h)
		}
	}
	// A PATH with the tools the script uses and none it looks for (nvcc,
	// python3 and its NVIDIA wheels).
	tools := t.TempDir()
	for _, name := range []string{"bash", "dirname", "uname", "readlink", "awk", "sed", "cat"} {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Skipf("no %s: %v", name, err)
		}
		if err := os.Symlink(p, filepath.Join(tools, name)); err != nil {
			t.Fatal(err)
		}
	}
	// fake builds a toolkit root with the given files (empty, or an
	// executable nvcc that prints a version).
	fake := func(files ...string) string {
		root := t.TempDir()
		for _, f := range files {
			p := filepath.Join(root, f)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			body, mode := "", os.FileMode(0o644)
			if filepath.Base(f) == "nvcc" {
				body, mode = "#!/bin/sh\necho 'Cuda compilation tools, release 12.4, V12.4.131'\n", 0o755
			}
			if strings.HasSuffix(f, "cuda.h") {
				body = "#define CUDA_VERSION 12040\n"
			}
			if err := os.WriteFile(p, []byte(body), mode); err != nil {
				t.Fatal(err)
			}
		}
		return root
	}
	base := []string{"bin/nvcc", "include/cuda.h", "include/cublas_v2.h", "lib64/libcublas.so", "lib64/stubs/libcuda.so"}
	for _, c := range []struct {
		name  string
		home  string
		cudnn string
		want  string
	}{
		{"no toolkit", filepath.Join(t.TempDir(), "none"), "", "CUDA_HOME"},
		{"no nvcc", fake("include/cuda.h"), "", "nvcc not found"},
		{"no cuda.h", fake("bin/nvcc"), "", "cuda.h not found"},
		{"no cublas", fake("bin/nvcc", "include/cuda.h"), "", "cublas_v2.h not found"},
		{"no cudnn", fake(base...), "", "cudnn.h not found"},
		{"no cudnn library", fake(base...), fake("include/cudnn.h"), "libcudnn.so not found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command("bash", script, "--check")
			cmd.Env = []string{"PATH=" + tools, "CUDA_HOME=" + c.home, "CUDNN_HOME=" + c.cudnn}
			out, err := cmd.CombinedOutput()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 2 {
				t.Fatalf("err %v, want exit 2; output %q", err, out)
			}
			msg := strings.TrimSpace(string(out))
			if strings.Contains(msg, "\n") || !strings.Contains(msg, c.want) || !strings.HasPrefix(msg, "make gpu: ") {
				t.Errorf("output %q: want one line naming %q", msg, c.want)
			}
		})
	}
	// With every piece present, --check reports what it found.
	home := fake(base...)
	cudnn := fake("include/cudnn.h", "lib/libcudnn.so.9")
	cmd := exec.Command("bash", script, "--check")
	cmd.Env = []string{"PATH=" + tools, "CUDA_HOME=" + home, "CUDNN_HOME=" + cudnn}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "CUDA 12.4") || !strings.Contains(string(out), "libcudnn.so.9") {
		t.Errorf("complete fake toolkit: %v\n%s", err, out)
	}
}
