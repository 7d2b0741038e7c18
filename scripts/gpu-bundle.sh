#!/usr/bin/env bash
# Packs what a machine without Go and without network access needs to build
# gradbench (make build, make gpu) and run scripts/gpu-check.sh there:
#
#   bin/gpu-bundle/go.tar.xz          this Go toolchain, trimmed to the go
#                                     command, its compile, link, asm, cgo and vet
#                                     tools, and the standard packages gradbench
#                                     and its tests import (about 10 MB)
#   bin/gpu-bundle/vendor.tar.xz      go mod vendor: the packages of every module
#                                     the builds need, for go build -mod=vendor
#   bin/gpu-bundle/gorgonia-cuda-src/ Gorgonia's kernel sources (.cu), which
#                                     vendoring leaves out and make gpu compiles
#
# scripts/gpu-check.sh unpacks them when it finds no go on PATH. Usage:
#   scripts/gpu-bundle.sh    then carry bin/gpu-bundle and datasets/mnist
set -euo pipefail
export GOTOOLCHAIN=local # this Go, never a download

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bin/gpu-bundle
GOROOT=$(go env GOROOT)
GOOS_ARCH=$(go env GOOS)_$(go env GOARCH)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
rm -rf "$OUT"
mkdir -p "$OUT"
cd "$ROOT"

# Standard packages of every build and test (CPU, openblas, cuda). -e: on a
# clean clone the cuda build's embedded PTX (graph/kernels/ptx, compiled by
# make gpu) does not exist yet, which stops nothing here; any other error does.
for tags in "" openblas cuda; do
	go list -e -deps -test -tags "$tags" -f '{{if .Error}}{{.Error}}{{end}}' ./... |
		grep -v 'pattern kernels/ptx/\*\.ptx: no matching files found' >&2 && { echo "gpu-bundle: go list -tags '$tags' failed" >&2; exit 1; }
	go list -e -deps -test -tags "$tags" -f '{{if .Standard}}{{.ImportPath}}{{end}}' ./...
done | sort -u >"$TMP/std"

# Their source files (no tests, no testdata), the go command and its tools.
{
	echo go/VERSION
	echo go/go.env
	echo go/bin/go
	for t in compile link asm cgo vet; do echo "go/pkg/tool/$GOOS_ARCH/$t"; done
	(cd "$GOROOT/.." && find go/pkg/include -type f)
	echo go/src/go.mod
	[ -f "$GOROOT/src/vendor/modules.txt" ] && echo go/src/vendor/modules.txt
	while read -r p; do
		(cd "$GOROOT/.." && find "go/src/$p" -maxdepth 1 -type f ! -name '*_test.go')
	done <"$TMP/std"
} | sort -u >"$TMP/files"
tar -C "$GOROOT/.." -cf - -T "$TMP/files" | xz -T0 -9 >"$OUT/go.tar.xz"

# The modules, vendored.
go mod vendor -o "$TMP/vendor"
tar -C "$TMP" -cf - vendor | xz -T0 -9 >"$OUT/vendor.tar.xz"

# Gorgonia's kernel sources.
GORGONIA=$(go list -m -f '{{.Dir}}' gorgonia.org/gorgonia)
mkdir -p "$OUT/gorgonia-cuda-src"
cp "$GORGONIA/cuda modules/src"/*.cu "$OUT/gorgonia-cuda-src/"

go env GOVERSION >"$OUT/GOVERSION"
du -sh "$OUT"/* | sed 's/^/bundle  /'
du -sh "$OUT" | sed 's/^/bundle  /'
