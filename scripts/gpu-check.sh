#!/usr/bin/env bash
# The GPU check: everything the CUDA build must show, in one go, on a
# machine with an NVIDIA GPU. Results go under $OUT (default
# runs/gpu-check); the last thing printed is the table of
# scripts/gpu_report.py, also written to $OUT/report.md.
#
#   scripts/gpu-check.sh [--dry-run] [PHASE...]
#
# Phases (default: all, in this order):
#   build    go build (the CPU binary, bin/gradbench-cpu) and make gpu (the
#            CUDA binary, bin/gradbench); gradbench info on the GPU
#   correct  go test -tags cuda ./graph/ on the GPU (finite differences of every
#            activation's gradients in float64, GELU's erf included; erf's own
#            kernel); then each activation trained 50 steps on MNIST with the same
#            seed and flags by both binaries, compared with gradbench diff
#   memory   1,000 GELU training steps on the GPU, sampling the process's device
#            memory (nvidia-smi) and resident host memory twice a second
#   speed    ms per step of gradbench bench on the GPU and the CPU and of
#            scripts/torch_reference.py on the GPU, widths 128, 1024, 4096,
#            depth 20, batches 128 and 1024
#
# Without Go on PATH it unpacks bin/gpu-bundle (scripts/gpu-bundle.sh) and
# builds offline from the vendored modules. --dry-run, for a machine without
# a GPU, runs every phase with the OpenBLAS CPU build in the GPU binary's
# place (make gpu is still built when a CUDA toolkit is found) so that the
# pipeline itself can be checked.
#
# Settings: OUT, SPEED_ACTS (default "relu gelu"), SPEED_WIDTHS (default
# "128 1024 4096"), SPEED_BATCHES (default "128 1024"), CPU_MAX_WIDTH
# (default 4096), SPEED_STEPS (GPU and PyTorch timed steps, default 10).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DRY=0
PHASES=()
for a in "$@"; do
	case $a in
	--dry-run) DRY=1 ;;
	build | correct | memory | speed) PHASES+=("$a") ;;
	*) echo "gpu-check: unknown argument $a (phases: build correct memory speed; --dry-run)" >&2; exit 2 ;;
	esac
done
[ ${#PHASES[@]} -gt 0 ] || PHASES=(build correct memory speed)
OUT=${OUT:-runs/gpu-check}
mkdir -p "$OUT/runs"
OUT=$(cd "$OUT" && pwd)
LOG=$OUT/log.txt
SPEED_ACTS=${SPEED_ACTS:-relu gelu}
CPU_MAX_WIDTH=${CPU_MAX_WIDTH:-4096}
SPEED_STEPS=${SPEED_STEPS:-10}
SPEED_WIDTHS=${SPEED_WIDTHS:-128 1024 4096}
SPEED_BATCHES=${SPEED_BATCHES:-128 1024}
CPU=bin/gradbench-cpu
GPU=bin/gradbench
CUDA=--cuda
if [ $DRY = 1 ]; then
	GPU=bin/gradbench-standin
	CUDA=
fi
export GRADBENCH_DATA=${GRADBENCH_DATA:-$ROOT/datasets}

say() { echo "== $(date +%H:%M:%S) $*" | tee -a "$LOG"; }
has() { command -v "$1" >/dev/null 2>&1; }
phase() { [[ " ${PHASES[*]} " == *" $1 "* ]]; }

unpack() { # unpack ARCHIVE.tar.xz DIR
	if has xz; then
		tar -xJf "$1" -C "$2"
	else
		python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
	fi
}

# Go: the machine's if it is recent enough for go.mod, else the bundle's,
# offline from vendored modules.
need=$(awk '/^go /{print "go"$2}' go.mod)
if has go && [ "$(printf '%s\n%s\n' "$need" "$(go env GOVERSION)" | sort -V | head -n1)" != "$need" ]; then
	echo "gpu-check: $(go env GOVERSION) is older than go.mod's $need; using the bundle's toolchain" | tee -a "$LOG"
	PATH=$(echo "$PATH" | tr ':' '\n' | grep -vx "$(dirname "$(command -v go)")" | paste -sd:)
fi
if ! has go; then
	[ -f bin/gpu-bundle/go.tar.xz ] || { echo "gpu-check: no go on PATH and no bin/gpu-bundle (make it with scripts/gpu-bundle.sh)" >&2; exit 2; }
	mkdir -p /tmp/gradbench-go
	[ -x /tmp/gradbench-go/go/bin/go ] || unpack bin/gpu-bundle/go.tar.xz /tmp/gradbench-go
	export GOROOT=/tmp/gradbench-go/go PATH=/tmp/gradbench-go/go/bin:$PATH
fi
if [ -f bin/gpu-bundle/vendor.tar.xz ]; then
	[ -d vendor ] || unpack bin/gpu-bundle/vendor.tar.xz .
	export GOFLAGS=-mod=vendor GORGONIA_CUDA_SRC=$ROOT/bin/gpu-bundle/gorgonia-cuda-src
fi
export GOTOOLCHAIN=local GOPROXY=${GOPROXY:-off} GOSUMDB=off
export GOCACHE=${GOCACHE:-/tmp/gradbench-gocache}

if phase build; then
	say "environment"
	{
		echo "date: $(date -u +%FT%TZ)"
		echo "go: $(go version)"
		has nvidia-smi && nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader | sed 's/^/gpu: /'
		has nvcc && nvcc --version | tail -2 | sed 's/^/nvcc: /'
		python3 -c 'import torch; print("torch:", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())' 2>/dev/null
		echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
	} | tee "$OUT/env.txt"

	say "go build: the CPU binary"
	t0=$(date +%s)
	go build -o "$CPU" ./cmd/gradbench 2>&1 | tee -a "$LOG" || { echo "gpu-check: the CPU build failed" >&2; exit 1; }
	echo "cpu_build_s $(($(date +%s) - t0))" >"$OUT/build.txt"

	say "make gpu: the CUDA binary"
	t0=$(date +%s)
	GPU_OUT=bin/gradbench
	[ $DRY = 1 ] && GPU_OUT=bin/gradbench-cuda-dry
	if has make; then
		make --no-print-directory gpu BIN="$GPU_OUT" >"$OUT/make-gpu.txt" 2>&1
	else
		scripts/cuda/build.sh "$GPU_OUT" >"$OUT/make-gpu.txt" 2>&1
	fi
	rc=$?
	tail -3 "$OUT/make-gpu.txt" | tee -a "$LOG"
	echo "gpu_build_rc $rc" >>"$OUT/build.txt"
	echo "gpu_build_s $(($(date +%s) - t0))" >>"$OUT/build.txt"
	if [ $DRY = 1 ]; then
		say "dry run: the OpenBLAS CPU build stands in for the GPU binary"
		go build -tags openblas -o "$GPU" ./cmd/gradbench 2>&1 | tee -a "$LOG" || go build -o "$GPU" ./cmd/gradbench
	elif [ $rc != 0 ]; then
		# Keep going: PyTorch's numbers and the CPU build's still come, and
		# the report quotes the compiler's first errors.
		echo "gpu-check: make gpu failed; see $OUT/make-gpu.txt; the phases that need the CUDA binary are skipped" | tee -a "$LOG" >&2
		rm -f "$GPU"
	fi
	if [ -x "$GPU" ]; then
		$GPU info --act gelu --json "$OUT/info.json" >"$OUT/info.txt" 2>&1
		tee -a "$LOG" <"$OUT/info.txt"
	fi
fi
# gpu CMD...: runs the CUDA binary, or says why it cannot.
gpu() {
	if [ ! -x "$GPU" ]; then
		echo "gpu-check: no $GPU (make gpu did not build it); skipped: $*" >>"$LOG"
		return 1
	fi
	"$GPU" "$@"
}

if phase correct; then
	say "go test ./graph/ on the device (finite differences, erf kernel)"
	if [ $DRY = 1 ]; then
		go test -count=1 -v ./graph/ >"$OUT/gotest-graph.txt" 2>&1
	elif [ ! -x "$GPU" ]; then
		echo "skipped: make gpu did not build" >"$OUT/gotest-graph.txt"
		false
	else
		(eval "$(scripts/cuda/build.sh --env)" && go test -tags cuda -count=1 -v ./graph/) >"$OUT/gotest-graph.txt" 2>&1
	fi
	echo "rc $?" >>"$OUT/gotest-graph.txt"
	grep -E '^(--- |ok|FAIL|rc )' "$OUT/gotest-graph.txt" | tail -25 | tee -a "$LOG"

	for act in sigmoid tanh relu leakyrelu gelu; do
		say "$act: 50 steps on the CPU and on the GPU, same seed and flags"
		flags=(train --act "$act" --train-size 6400 --test-size 1000 --epochs 1 --log-every 1 --quiet)
		$CPU "${flags[@]}" --out "$OUT/runs/cpu-$act" >>"$LOG" 2>&1
		gpu "${flags[@]}" $CUDA --out "$OUT/runs/gpu-$act" >>"$LOG" 2>&1 || continue
		for n in 1 8 50; do
			$CPU diff --steps $n --rtol 1 --json "$OUT/runs/diff-$act-$n.json" "$OUT/runs/cpu-$act" "$OUT/runs/gpu-$act" >>"$LOG" 2>&1
		done
	done
fi

if phase memory; then
	say "memory: 1000 GELU steps on the GPU"
	rm -rf "$OUT/runs/mem-gelu"
	# The binary itself in the background (not through gpu, whose subshell
	# would be the process sampled).
	pid=
	[ -x "$GPU" ] && { "$GPU" train --act gelu --train-size 25600 --epochs 5 --test-size 1000 --log-every 10 --quiet $CUDA --out "$OUT/runs/mem-gelu" >>"$LOG" 2>&1 & pid=$!; }
	echo "elapsed_s,step,gpu_mib,rss_mib" >"$OUT/memory.csv"
	t0=$(date +%s%N)
	while [ -n "$pid" ] && kill -0 $pid 2>/dev/null; do
		gpu=
		has nvidia-smi && gpu=$(nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits 2>/dev/null | awk -F', *' -v p=$pid '$1==p{print $2}')
		rss=$(awk '/VmRSS/{printf "%.1f", $2/1024}' /proc/$pid/status 2>/dev/null)
		step=$(tail -n1 "$OUT/runs/mem-gelu/metrics.csv" 2>/dev/null | cut -d, -f1)
		ms=$((($(date +%s%N) - t0) / 1000000))
		[ -n "$rss" ] && echo "$((ms / 1000)).$(printf %03d $((ms % 1000))),${step:-0},${gpu:-},$rss" >>"$OUT/memory.csv"
		sleep 0.5
	done
	if [ -n "$pid" ]; then
		wait $pid
		echo "rc $?" >"$OUT/memory-rc.txt"
	else
		echo "skipped: make gpu did not build" >"$OUT/memory-rc.txt"
	fi
	tail -n 3 "$OUT/memory.csv" | tee -a "$LOG"
fi

if phase speed; then
	say "speed: ms per step, depth 20"
	SPEED=$OUT/speed.jsonl
	: >"$SPEED"
	# tagged SIDE appends the JSON line on stdin, marked with its side (gpu,
	# cpu or torch); failed SIDE records a run that failed or timed out.
	tagged() { sed -n "s/^{/{\"side\":\"$1\",/p" | grep . >>"$SPEED"; }
	failed() { echo "{\"side\":\"$1\",\"act\":\"$act\",\"width\":$width,\"batch\":$batch,\"failed\":true}" >>"$SPEED"; }
	for act in $SPEED_ACTS; do
		for width in $SPEED_WIDTHS; do
			for batch in $SPEED_BATCHES; do
				steps=$SPEED_STEPS
				[ $width -ge 4096 ] && steps=$((SPEED_STEPS / 2))
				say "$act width $width batch $batch"
				[ -x "$GPU" ] && timeout 300 $GPU bench --act $act --width $width --batch $batch --steps $steps --warmup 3 $CUDA 2>>"$LOG" | tagged gpu ||
					failed gpu
				if [ $width -le "$CPU_MAX_WIDTH" ]; then
					cs=3 cw=1
					[ $width -ge 1024 ] && cs=2
					[ $width -ge 4096 ] && cs=1
					timeout 300 $CPU bench --act $act --width $width --batch $batch --steps $cs --warmup $cw 2>>"$LOG" | tagged cpu ||
						failed cpu
				fi
				dev=cuda
				[ $DRY = 1 ] && dev=cpu
				timeout 300 python3 scripts/torch_reference.py --device $dev --act $act --width $width --batch $batch --steps $SPEED_STEPS --warmup 3 --threads "$(nproc)" 2>>"$LOG" | tagged torch ||
					failed torch
			done
		done
	done
fi

python3 scripts/gpu_report.py "$OUT" $([ $DRY = 1 ] && echo --dry-run) | tee "$OUT/report.md"
