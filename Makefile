# gradbench: make run trains every activation on MNIST; make test runs the tests.
GO      ?= go
BIN     := bin/gradbench
RUNS    ?= runs
FLAGS   ?=

.PHONY: all build gpu gpu-env gpu-check gpu-bundle openblas openblas-deps test-openblas test-slurm test-torch run data data-fashion test fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/gradbench

# The main job: activation curves, then one 20-layer network per activation
# on MNIST (CPU), with figures and report.html in $(RUNS)/compare.
run: build data
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

# The GPU check (docs/gpu.md): build, correctness, memory and speed on an
# NVIDIA GPU, report in runs/gpu-check/report.md. gpu-bundle packs the Go
# toolchain and modules for a GPU machine without Go or network.
gpu-check: data
	scripts/gpu-check.sh

gpu-bundle:
	scripts/gpu-bundle.sh

# The OpenBLAS build: Gorgonia's matrix products go to OpenBLAS through cgo,
# 2-3x faster steps. Needs Debian's libopenblas-dev (make openblas-deps).
openblas:
	$(GO) build -tags openblas -o $(BIN) ./cmd/gradbench

openblas-deps:
	dpkg-query -W -f='$${Status}' libopenblas-dev 2>/dev/null | grep -q 'ok installed' || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas-dev)

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
test-torch: data
	GRADBENCH_TORCH=1 $(GO) test -count=1 -run TestTorchReference -v ./models/

data:
	scripts/fetch-data.sh mnist

data-fashion:
	scripts/fetch-data.sh fashion-mnist

test: data
	$(GO) vet ./...
	$(GO) test ./...
	$(GO) test -race -run Concurrent ./models/... ./cmd/gradbench/

# Longer fuzzing than the seed corpora that make test runs.
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzReadIDX -fuzztime $(FUZZTIME) ./data/
	$(GO) test -run '^$$' -fuzz FuzzDecodeCheckpoint -fuzztime $(FUZZTIME) ./models/

clean:
	rm -rf bin runs
