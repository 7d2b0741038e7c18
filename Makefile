# gradbench: make run trains every activation on MNIST; make test runs the tests.
GO      ?= go
BIN     := bin/gradbench
RUNS    ?= runs
FLAGS   ?=

.PHONY: all build build-go fast-deps gpu gpu-env gpu-check gpu-check-dry gpu-bundle gpu-prebuild gpu-carry openblas openblas-deps test-openblas test-slurm test-torch torch-deps run data data-fashion test fuzz clean

all: build

# make build gives the fastest binary this machine can have: the OpenBLAS
# build when OpenBLAS's development library links (make openblas-deps
# installs it), the pure-Go build otherwise. build-go is always pure Go.
CC ?= cc
HAVE_OPENBLAS = $(shell printf 'int main(void){return 0;}' | $(CC) -x c - -lopenblas -o /dev/null 2>/dev/null && echo yes)

build:
ifeq ($(HAVE_OPENBLAS),yes)
	$(GO) build -tags openblas -o $(BIN) ./cmd/gradbench
else
	@echo "make build: OpenBLAS not found, building with pure-Go matrix products (steps 2-3x slower); for the fast build run make openblas-deps (as root) and make build again"
	$(GO) build -o $(BIN) ./cmd/gradbench
endif

build-go:
	$(GO) build -o $(BIN) ./cmd/gradbench

# fast-deps installs OpenBLAS where it can (root with apt-get) and goes on
# without it elsewhere.
fast-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then $(MAKE) --no-print-directory openblas-deps || echo "make: OpenBLAS could not be installed; the pure-Go build is used"; fi

# The main job: activation curves, then one 20-layer network per activation
# on MNIST (CPU), with figures and report.html in $(RUNS)/compare.
run: fast-deps data
	$(MAKE) --no-print-directory build
	$(BIN) curves --out $(RUNS)/curves
	$(BIN) compare --out $(RUNS)/compare $(FLAGS)

# The CUDA build: bin/gradbench with -tags cuda, Gorgonia's TapeMachine on
# an NVIDIA GPU. Needs a CUDA toolkit 12.x or 13.x (CUDA_HOME, default
# /usr/local/cuda; /usr for Debian's nvidia-cuda-toolkit), cuDNN 8 or 9
# (CUDNN_HOME, or PyTorch's nvidia-cudnn wheel) and, to run, the driver.
# make gpu-env says what it finds. See scripts/cuda/build.sh.
gpu:
	scripts/cuda/build.sh $(BIN)

gpu-env:
	scripts/cuda/build.sh --check

# The GPU check (docs/gpu.md): one run, under a deadline, of every phase
# (preflight, binaries, correctness, speed, memory, ...) on an NVIDIA GPU;
# report in runs/gpu-check/report.md. gpu-check-dry runs it here with the CPU
# build standing in. gpu-carry makes what a GPU machine without Go or
# network needs: gpu-bundle (the Go toolchain and modules), gpu-prebuild (the
# CUDA, CUDA-test and CPU binaries, built here against CUDA 12 headers) and
# the MNIST data.
gpu-check: data
	scripts/gpu-check.sh

gpu-check-dry: data
	scripts/gpu-check.sh --dry-run

gpu-bundle:
	scripts/gpu-bundle.sh

gpu-prebuild:
	scripts/gpu-prebuild.sh

gpu-carry: gpu-bundle gpu-prebuild data
	@du -sh bin/gpu-bundle bin/gpu-prebuilt datasets/mnist

# The OpenBLAS build: Gorgonia's matrix products go to OpenBLAS through cgo,
# 2-3x faster steps. Needs Debian's libopenblas-dev (make openblas-deps).
openblas:
	$(GO) build -tags openblas -o $(BIN) ./cmd/gradbench

openblas-deps:
	dpkg-query -W -f='$${Status}' libopenblas-dev 2>/dev/null | grep -q 'ok installed' || \
		(apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq libopenblas-dev)

test-openblas: openblas-deps data
	$(GO) test -tags openblas ./graph/ ./models/... ./cmd/gradbench/

# The Slurm engine of gradbench sweep on a real one-node cluster (root;
# apt-get installs slurm-wlm and munge).
test-slurm: data
	scripts/slurm-test-cluster.sh start
	GRADBENCH_SLURM_TEST=1 $(GO) test -count=1 -timeout 20m -run TestSlurmCluster -v ./cmd/gradbench/; \
	  rc=$$?; scripts/slurm-test-cluster.sh stop; exit $$rc

# The first step's gradient norms against PyTorch (scripts/torch_reference.py
# --check): every activation, plain, residual, LayerNorm and both, float32
# and float64. make test skips it where no python3 imports torch; this
# target fails there instead (Debian: apt-get install python3-torch).
test-torch: torch-deps data
	GRADBENCH_TORCH=1 $(GO) test -count=1 -run TestTorchReference -v ./models/

# Debian's PyTorch for the system Python (scripts/torch_reference.py and
# adam_torch_reference.py run it as /usr/bin/python3).
torch-deps:
	/usr/bin/python3 -c 'import torch' 2>/dev/null || \
		(apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends python3-torch libopenblas0-pthread)

data:
	scripts/fetch-data.sh mnist

data-fashion:
	scripts/fetch-data.sh fashion-mnist

test: data
	$(GO) vet ./...
	$(GO) test ./...
	$(GO) test -race -run Concurrent ./models/... ./cmd/...

# Longer fuzzing than the seed corpora that make test runs: the IDX and
# checkpoint decoders and the bounded file-reading layer under them (the
# size bounds of ReadAtMost, gzip bounded by the IDX header, a checkpoint
# header checked against its file's size).
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzReadIDX$$' -fuzztime $(FUZZTIME) ./data/
	$(GO) test -run '^$$' -fuzz '^FuzzReadIDXGzip$$' -fuzztime $(FUZZTIME) ./data/
	$(GO) test -run '^$$' -fuzz '^FuzzReadAtMost$$' -fuzztime $(FUZZTIME) ./data/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeCheckpoint$$' -fuzztime $(FUZZTIME) ./models/
	$(GO) test -run '^$$' -fuzz '^FuzzReadCheckpointFile$$' -fuzztime $(FUZZTIME) ./models/

clean:
	rm -rf bin runs
