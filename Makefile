# gradbench: make run trains every activation on MNIST; make test runs the tests.
GO      ?= go
BIN     := bin/gradbench
RUNS    ?= runs
FLAGS   ?=

.PHONY: all build run data data-fashion test fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/gradbench

# The main job: activation curves, then one 20-layer network per activation
# on MNIST (CPU), with figures and report.html in $(RUNS)/compare.
run: build data
	$(BIN) curves --out $(RUNS)/curves
	$(BIN) compare --out $(RUNS)/compare $(FLAGS)

data:
	scripts/fetch-data.sh mnist

data-fashion:
	scripts/fetch-data.sh fashion-mnist

test: data
	$(GO) vet ./...
	$(GO) test ./...
	$(GO) test -race -run Concurrent ./models/ ./cmd/gradbench/

# Longer fuzzing than the seed corpora that make test runs.
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzReadIDX -fuzztime $(FUZZTIME) ./data/
	$(GO) test -run '^$$' -fuzz FuzzDecodeCheckpoint -fuzztime $(FUZZTIME) ./models/

clean:
	rm -rf bin runs
