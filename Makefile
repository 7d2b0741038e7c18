# gradbench: make run trains every activation on MNIST; make test runs the tests.
GO      ?= go
BIN     := bin/gradbench
ACTS    := sigmoid tanh relu leakyrelu gelu
RUNS    ?= runs
FLAGS   ?=

.PHONY: all build run data data-fashion test vet clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/gradbench

# The main job: one 20-layer network per activation on MNIST, CPU.
run: build data
	@for a in $(ACTS); do \
		$(BIN) train --act $$a --out $(RUNS)/$$a $(FLAGS) || exit $$?; \
	done

data:
	scripts/fetch-data.sh mnist

data-fashion:
	scripts/fetch-data.sh fashion-mnist

test: data
	$(GO) vet ./...
	$(GO) test ./...

clean:
	rm -rf bin runs
