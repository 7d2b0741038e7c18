#!/usr/bin/env bash
# The GPU check: everything the CUDA build must show, in ONE call on a machine
# with an NVIDIA GPU, under an internal deadline, most valuable first:
#
#   preflight  OS, glibc, gcc, nvidia-smi, toolkit and wheel folders, ldconfig;
#              every driver, cuBLAS and cuDNN function the prebuilt CUDA
#              binaries import looked up in that machine's libraries
#   binaries   the prebuilt binaries (scripts/gpu-prebuild.sh, bin/gpu-prebuilt);
#              the Go bundle; PTX from this machine's nvcc (GRADBENCH_PTX_DIR);
#              make gpu against this machine's CUDA started in the background
#   info       gradbench info on the GPU: the driver starts, the kernels load,
#              the graph compiles, where each op runs
#   correct    the 5 activations trained 50 MNIST steps by the CPU and the GPU
#              binaries (same seed), compared with gradbench diff; the graph
#              package's tests on the GPU (finite differences of every
#              activation's gradients in float64, the erf kernel)
#   speed      ms per step: PyTorch eager on the GPU (one process, every
#              configuration), then gradbench bench on the GPU; widths 128,
#              1024, 4096, batches 128 and 1024, depth 20
#   memory     1,000 GELU steps on the GPU, device and host memory sampled
#   cpu        the CPU build's ms per step at widths 128 and 1024
#   native     make gpu against the machine's CUDA: if it built, info, 50 GELU
#              steps and a diff against the prebuilt binary's run
#   cpu4096    the CPU build at width 4096, with whatever time is left
#
# Every phase runs under its own timeout (its limit, cut to the time left
# before the deadline) and every command in it under another; a phase or
# command that fails or hangs is recorded with the first 40 lines of its
# standard error, and the next one runs. After every phase report.md is
# regenerated and results.tgz (everything measured so far) rewritten, so
# $OUT holds at most report.md, results.tgz and log.txt whatever happens.
#
#   scripts/gpu-check.sh [--dry-run] [PHASE...]
#
# Without Go on PATH the bundle (scripts/gpu-bundle.sh, bin/gpu-bundle)
# supplies one and the vendored modules. --dry-run, for a machine without a
# GPU, runs every phase with the CPU build in the GPU binary's place and
# PyTorch on the CPU, so that the pipeline itself can be checked.
#
# Settings: OUT (default runs/gpu-check), DEADLINE (seconds, default 540),
# WORK (default /tmp/gradbench-check), SPEED_ACTS (default "relu gelu"),
# SPEED_WIDTHS ("128 1024 4096"), SPEED_BATCHES ("128 1024"), SPEED_STEPS
# (GPU and PyTorch timed steps, default 10; half from width 4096),
# CPU_MAX_WIDTH (4096), NATIVE_TIMEOUT (make gpu, default 300 s).
set -uo pipefail
export GOTOOLCHAIN=local # before any go command: never a toolchain download

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SELF=$ROOT/scripts/gpu-check.sh
cd "$ROOT"
ALL_PHASES=(preflight binaries info correct speed memory cpu native cpu4096)
# The longest each phase may take (cut to what the deadline leaves).
declare -A CAP=([preflight]=60 [binaries]=90 [info]=150 [correct]=170 [speed]=200
	[memory]=100 [cpu]=120 [native]=100 [cpu4096]=600)
RESERVE=12 # seconds kept for the last report

has() { command -v "$1" >/dev/null 2>&1; }
now() { date +%s; }

if [ "${1:-}" != --phase ]; then
	# The main run: settings, then each phase in a process of its own.
	DRY=0
	PHASES=()
	for a in "$@"; do
		case $a in
		--dry-run) DRY=1 ;;
		-h | --help) sed -n '2,46p' "$0"; exit 0 ;;
		*)
			[[ " ${ALL_PHASES[*]} " == *" $a "* ]] || { echo "gpu-check: unknown argument $a (phases: ${ALL_PHASES[*]}; --dry-run)" >&2; exit 2; }
			PHASES+=("$a")
			;;
		esac
	done
	[ ${#PHASES[@]} -gt 0 ] || PHASES=("${ALL_PHASES[@]}")
	OUT=${OUT:-runs/gpu-check}
	mkdir -p "$OUT"
	OUT=$(cd "$OUT" && pwd)
	WORK=${WORK:-/tmp/gradbench-check}
	rm -rf "$WORK"
	mkdir -p "$WORK/phases" "$WORK/steps" "$WORK/runs" "$WORK/native"
	rm -f "$OUT/report.md" "$OUT/results.tgz" "$OUT/log.txt"
	export DRY OUT WORK LOG=$OUT/log.txt T0=$(now) DEADLINE=${DEADLINE:-540}
	export SPEED_ACTS=${SPEED_ACTS:-relu gelu} SPEED_WIDTHS=${SPEED_WIDTHS:-128 1024 4096}
	export SPEED_BATCHES=${SPEED_BATCHES:-128 1024} SPEED_STEPS=${SPEED_STEPS:-10}
	export CPU_MAX_WIDTH=${CPU_MAX_WIDTH:-4096} NATIVE_TIMEOUT=${NATIVE_TIMEOUT:-300}
	export BIN=${BIN_DIR:-/tmp/gradbench-bin}
	export GRADBENCH_DATA=${GRADBENCH_DATA:-$ROOT/datasets}
	export HOME=${HOME:-/tmp} GOCACHE=${GOCACHE:-/tmp/gradbench-gocache} GOPROXY=${GOPROXY:-off} GOSUMDB=off
	[ -n "${GOPATH:-}" ] || [ -d "$HOME" ] || export GOPATH=/tmp/gradbench-gopath
	: >"$WORK/state.sh"
	printf 'phase\tresult\tseconds\tlimit\trc\n' >"$WORK/phases.tsv"
	printf 'phase\tstep\tresult\tseconds\tlimit\trc\n' >"$WORK/steps.tsv"
fi

say() { echo "== $(date +%H:%M:%S) +$(($(now) - T0))s $*" | tee -a "$LOG"; }

# report: report.md from what is in WORK, and results.tgz of WORK, each
# written beside and moved into place, so that a cut-off run keeps the last.
report() {
	local dry=()
	[ "$DRY" = 1 ] && dry=(--dry-run)
	if ! python3 "$ROOT/scripts/gpu_report.py" "$WORK" "${dry[@]}" >"$OUT/.report.md.tmp" 2>>"$LOG"; then
		{
			echo "## GPU check (gpu_report.py failed: the raw phase table and the log's end)"
			echo '```'
			cat "$WORK/phases.tsv" "$WORK/steps.tsv"
			tail -n 60 "$LOG"
			echo '```'
		} >"$OUT/.report.md.tmp"
	fi
	mv -f "$OUT/.report.md.tmp" "$OUT/report.md"
	cp -f "$OUT/report.md" "$WORK/report.md"
	tar -C "$WORK" --exclude=checkpoint.bin -czf "$OUT/.results.tgz.tmp" . 2>>"$LOG" && mv -f "$OUT/.results.tgz.tmp" "$OUT/results.tgz"
	rm -f "$OUT/.results.tgz.tmp"
}

# run_phase NAME: NAME in a process of its own under timeout (its cap, cut to
# the time the deadline leaves), then the report.
run_phase() {
	local name=$1 left limit start rc result
	left=$((DEADLINE - ($(now) - T0) - RESERVE))
	if [ $left -lt 8 ]; then
		printf '%s\tskipped: no time left\t0\t0\t-\n' "$name" >>"$WORK/phases.tsv"
		say "phase $name skipped: no time left before the deadline"
		report
		return
	fi
	limit=${CAP[$name]}
	[ "$limit" -gt "$left" ] && limit=$left
	say "phase $name (limit ${limit}s, ${left}s left before the deadline)"
	start=$(now)
	PHASE=$name PHASE_END=$((start + limit - 3)) timeout -k 5 "$limit" bash "$SELF" --phase "$name" >>"$LOG" 2>"$WORK/phases/$name.err"
	rc=$?
	case $rc in
	0) result=ok ;;
	124 | 137) result="TIMED OUT" ;;
	*) result=FAILED ;;
	esac
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$result" $(($(now) - start)) "$limit" $rc >>"$WORK/phases.tsv"
	say "phase $name: $result in $(($(now) - start))s"
	if [ $rc != 0 ] && [ -s "$WORK/phases/$name.err" ]; then
		head -n 40 "$WORK/phases/$name.err" | sed "s/^/  $name stderr: /" | tee -a "$LOG"
	fi
	report
}

if [ "${1:-}" != --phase ]; then
	say "gpu-check: deadline ${DEADLINE}s, phases ${PHASES[*]}$([ "$DRY" = 1 ] && echo ', DRY RUN'); results in $OUT"
	for p in "${PHASES[@]}"; do
		run_phase "$p"
	done
	say "done in $(($(now) - T0))s"
	# A dry run leaves this checkout as it found it: without the vendor
	# folder it unpacked (go would build from it from then on).
	[ "$DRY" = 1 ] && grep -q '^VENDOR_UNPACKED=1' "$WORK/state.sh" && rm -rf vendor
	cat "$OUT/report.md"
	exit 0
fi

# ---- Inside one phase (scripts/gpu-check.sh --phase NAME) ----
PHASE=$2
set -a # what the earlier phases found, exported for the commands below
# shellcheck disable=SC1091
. "$WORK/state.sh"
set +a
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-} LC_COLLATE=C

# state VAR VALUE: keeps VAR for the phases after this one.
state() {
	printf '%s=%q\n' "$1" "$2" >>"$WORK/state.sh"
	printf -v "$1" '%s' "$2"
	export "${1?}"
}

# step NAME SECONDS CMD...: CMD under its own timeout (cut to the phase's
# end), its standard error in steps/NAME.err, its result in steps.tsv. At
# the limit it gets SIGQUIT first: a Go program then prints where each of its
# goroutines is (a hang in a CUDA call shows up), then KILL 3 s later.
step() {
	local name=$1 t=$2 left start rc result
	shift 2
	left=$((PHASE_END - $(now)))
	[ "$t" -gt "$left" ] && t=$left
	if [ "$t" -lt 2 ]; then
		printf '%s\t%s\tskipped: no time left\t0\t0\t-\n' "$PHASE" "$name" >>"$WORK/steps.tsv"
		return 124
	fi
	start=$(now)
	if [ "$(type -t "$1")" = function ]; then
		# A function of this script: exported, run by a bash of its own.
		timeout -s QUIT -k 3 "$t" bash -c '"$@"' _ "$@" 2>"$WORK/steps/$name.err"
	else
		timeout -s QUIT -k 3 "$t" "$@" 2>"$WORK/steps/$name.err"
	fi
	rc=$?
	case $rc in
	0) result=ok ;;
	124 | 137) result="TIMED OUT" ;;
	*) result=FAILED ;;
	esac
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$PHASE" "$name" "$result" $(($(now) - start)) "$t" $rc >>"$WORK/steps.tsv"
	[ $rc = 0 ] || echo "gpu-check: $name: $result (rc $rc)" >&2
	return $rc
}

unpack() { # unpack ARCHIVE.tar.xz DIR
	if has xz; then
		tar -xJf "$1" -C "$2"
	else
		python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
	fi
}

# go_env: the machine's go if it is as recent as go.mod's, else the bundle's
# (unpacked by the binaries phase), offline from the vendored modules.
go_env() {
	local need v
	need=$(awk '/^go /{print "go"$2}' go.mod)
	if has go; then
		v=$(go env GOVERSION 2>/dev/null)
		if [ "$(printf '%s\n%s\n' "$need" "$v" | sort -V | head -n1)" != "$need" ]; then
			PATH=$(echo "$PATH" | tr ':' '\n' | grep -vx "$(dirname "$(command -v go)")" | paste -sd: -)
		fi
	fi
	if ! has go && [ -x /tmp/gradbench-go/go/bin/go ]; then
		export GOROOT=/tmp/gradbench-go/go PATH=/tmp/gradbench-go/go/bin:$PATH
	fi
	if [ -d vendor ] && [ -f bin/gpu-bundle/vendor.tar.xz ]; then
		export GOFLAGS=-mod=vendor GORGONIA_CUDA_SRC=$ROOT/bin/gpu-bundle/gorgonia-cuda-src
	fi
}
go_env

export -f unpack has
CUDA_FLAG=--cuda
[ "$DRY" = 1 ] && CUDA_FLAG=
# gpu ARGS...: the binary that stands for the GPU (with its PTX override).
gpu() {
	[ -n "${GPU:-}" ] || { echo "gpu-check: no working GPU binary" >&2; return 3; }
	env ${GPU_ENV:+"$GPU_ENV"} "$GPU" "$@"
}
export -f gpu
# tagged SIDE: the JSON lines on stdin into speed.jsonl, marked with SIDE.
tagged() { sed -n "s/^{/{\"side\":\"$1\",/p" >>"$WORK/speed.jsonl"; }
failed() { echo "{\"side\":\"$1\",\"act\":\"$2\",\"width\":$3,\"batch\":$4,\"failed\":true}" >>"$WORK/speed.jsonl"; }

# find_lib SONAME: the file the dynamic loader would take for SONAME.
find_lib() {
	local so=$1 d f
	[ -f "$WORK/lib-$so.path" ] && { cat "$WORK/lib-$so.path"; return; }
	f=$({ ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | awk -v s="$so" '$1 == s {print $NF; exit}')
	if [ -z "$f" ]; then
		for d in ${LD_LIBRARY_PATH//:/ } /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib $(wheel_dirs) \
			/usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64; do
			[ -e "$d/$so" ] && { f=$d/$so; break; }
		done
	fi
	[ -n "$f" ] || f=$(timeout 10 find /usr/local /opt /usr/lib -name "$so" -not -path '*/stubs/*' 2>/dev/null | head -n1)
	echo "$f" | tee "$WORK/lib-$so.path"
}
# wheel_dirs: the lib folders of Python's NVIDIA wheels (cu13 layout too).
wheel_dirs() {
	[ -f "$WORK/wheel-dirs.txt" ] || timeout 20 python3 - >"$WORK/wheel-dirs.txt" 2>/dev/null <<'EOF'
import importlib.util, os
spec = importlib.util.find_spec("nvidia")
for loc in (spec.submodule_search_locations if spec and spec.submodule_search_locations else []):
    for sub in sorted(os.listdir(loc)):
        lib = os.path.join(loc, sub, "lib")
        if os.path.isdir(lib):
            print(lib)
EOF
	cat "$WORK/wheel-dirs.txt"
}

# check_symbols IMPORTS: for each library named in IMPORTS (LIB SYMBOL
# lines), whether the machine's library exports every symbol.
check_symbols() {
	local lib path missing n
	for lib in $(awk '{print $1}' "$1" | sort -u); do
		path=$(find_lib "$lib")
		n=$(awk -v l="$lib" '$1 == l' "$1" | wc -l)
		if [ -z "$path" ]; then
			echo "$lib: NOT FOUND on this machine ($n functions imported)"
			continue
		fi
		awk -v l="$lib" '$1 == l {print $2}' "$1" | sort -u >"$WORK/imports-$lib.txt"
		if has nm; then
			nm -D --defined-only "$path" 2>/dev/null | awk '{print $NF}' | sed 's/@.*//' | sort -u >"$WORK/exports-$lib.txt"
		else
			python3 - "$path" "$WORK/imports-$lib.txt" >"$WORK/exports-$lib.txt" <<'EOF'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
for name in open(sys.argv[2]).read().split():
    if hasattr(lib, name):
        print(name)
EOF
		fi
		missing=$(comm -23 "$WORK/imports-$lib.txt" "$WORK/exports-$lib.txt" | paste -sd' ' -)
		if [ -z "$missing" ]; then
			echo "$lib: $(readlink -f "$path") exports all $n imported functions"
		else
			echo "$lib: $(readlink -f "$path") lacks $(echo "$missing" | wc -w) of $n imported functions: $missing"
		fi
	done
}

phase_preflight() {
	{
		echo "date: $(date -u +%FT%TZ)"
		echo "host: $(uname -srm); $(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2); $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
		echo "os: $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
		echo "glibc: $(getconf GNU_LIBC_VERSION 2>/dev/null || ldd --version 2>&1 | head -n1)"
		echo "gcc: $({ gcc --version 2>/dev/null || echo none; } | head -n1)"
		echo "go: $(has go && go version || echo "none on PATH")$([ -f bin/gpu-bundle/GOVERSION ] && echo "; bundle $(cat bin/gpu-bundle/GOVERSION)")"
		if has nvidia-smi; then
			timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader | sed 's/^/gpu: /'
		else
			echo "gpu: no nvidia-smi"
		fi
		[ -r /proc/driver/nvidia/version ] && head -n1 /proc/driver/nvidia/version | sed 's/^/driver: /'
		echo "nvcc: $(has nvcc && { command -v nvcc; nvcc --version | sed -n 's/.*release \([0-9.]*\).*/release \1/p'; } | paste -sd' ' - || echo "none on PATH")"
		echo "toolkits: $(ls -d /usr/local/cuda* 2>/dev/null | paste -sd' ' - || true)"
		echo "python3: $(command -v python3) $(python3 --version 2>&1)"
		timeout 30 python3 -c 'import torch; print("torch:", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), "|", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU seen")' 2>&1 | tail -n1
		echo "wheel lib folders: $(wheel_dirs | paste -sd' ' -)"
		echo "ldconfig -p (cuda, cublas, cudnn):"
		{ ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep -E 'libcuda\.so|libcublas(Lt)?\.so|libcudnn\.so' | sed 's/^\s*/  /'
		echo "make gpu would use (scripts/cuda/build.sh --check):"
		timeout 30 scripts/cuda/build.sh --check 2>&1 | sed 's/^/  /'
		if [ -f bin/gpu-prebuilt/MANIFEST.txt ]; then
			echo "prebuilt binaries (bin/gpu-prebuilt/MANIFEST.txt):"
			sed 's/^/  /' bin/gpu-prebuilt/MANIFEST.txt
		else
			echo "prebuilt binaries: none (run scripts/gpu-prebuild.sh and carry bin/gpu-prebuilt)"
		fi
	} >"$WORK/preflight.txt" 2>&1
	cat "$WORK/preflight.txt"
	# The run-time library path: the folders of the three libraries.
	local so f d lp=""
	for so in libcuda.so.1 libcublas.so.13 libcudnn.so.9; do
		f=$(find_lib "$so")
		[ -n "$f" ] || continue
		d=$(dirname "$(readlink -f "$f")")
		case ":$lp:" in *":$d:"*) ;; *) lp=${lp:+$lp:}$d ;; esac
	done
	state LD_LIBRARY_PATH "$lp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	export LD_LIBRARY_PATH
	{
		echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
		if [ -f bin/gpu-prebuilt/imports.txt ]; then
			check_symbols bin/gpu-prebuilt/imports.txt
		else
			echo "no bin/gpu-prebuilt/imports.txt: symbols not checked"
		fi
		need=$(sed -n 's/^gradbench-cuda: .*GLIBC up to GLIBC_\([0-9.]*\).*/\1/p' bin/gpu-prebuilt/MANIFEST.txt 2>/dev/null)
		have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
		if [ -n "$need" ] && [ -n "$have" ]; then
			if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" = "$need" ]; then
				echo "glibc: the prebuilt binaries need up to $need, this machine has $have"
			else
				echo "glibc: the prebuilt binaries need $need, this machine has only $have: they cannot start"
			fi
		fi
	} >"$WORK/symbols.txt" 2>&1
	cat "$WORK/symbols.txt"
}

phase_binaries() {
	mkdir -p "$BIN"
	local p=$BIN/prebuilt
	if [ -f bin/gpu-prebuilt/prebuilt.tar.xz ]; then
		rm -rf "$p" && mkdir -p "$p"
		step unpack-prebuilt 60 unpack bin/gpu-prebuilt/prebuilt.tar.xz "$p"
		cp bin/gpu-prebuilt/MANIFEST.txt "$WORK/prebuilt-MANIFEST.txt"
	fi
	# Go and the vendored modules, for make gpu and any build the prebuilt
	# binaries leave to do.
	if ! has go && [ -f bin/gpu-bundle/go.tar.xz ] && [ ! -x /tmp/gradbench-go/go/bin/go ]; then
		mkdir -p /tmp/gradbench-go
		step unpack-go 60 unpack bin/gpu-bundle/go.tar.xz /tmp/gradbench-go
	fi
	if [ -f bin/gpu-bundle/vendor.tar.xz ] && [ ! -d vendor ]; then
		step unpack-vendor 60 unpack bin/gpu-bundle/vendor.tar.xz . && state VENDOR_UNPACKED 1
	fi
	go_env
	echo "go: $(has go && go version || echo none)" >"$WORK/binaries.txt"

	# The CPU binary: the prebuilt one if it runs, else built here. A failed
	# build stops nothing: the GPU and PyTorch phases need no CPU binary.
	if [ -x "$p/gradbench-cpu" ] && "$p/gradbench-cpu" --help >/dev/null 2>&1; then
		state CPU "$p/gradbench-cpu"
	elif has go && step cpu-build 150 go build -o "$BIN/gradbench-cpu" ./cmd/gradbench; then
		state CPU "$BIN/gradbench-cpu"
	fi
	echo "cpu binary: ${CPU:-none}" >>"$WORK/binaries.txt"

	if [ "$DRY" = 1 ]; then
		# The CPU build stands in for the GPU binary; the graph tests run
		# with go test on the CPU.
		[ -n "${CPU:-}" ] && state GPU "$CPU"
		echo "gpu binary: ${GPU:-none} (DRY RUN: the CPU build stands in)" >>"$WORK/binaries.txt"
	elif [ -x "$p/gradbench-cuda" ]; then
		state GPU "$p/gradbench-cuda"
		state GTEST "$p/graph-cuda.test"
		echo "gpu binary: $GPU (prebuilt), graph tests: $GTEST" >>"$WORK/binaries.txt"
	fi

	# PTX from this machine's nvcc, for GRADBENCH_PTX_DIR.
	if scripts/cuda/build.sh --check >/dev/null 2>&1 || has nvcc; then
		step ptx-machine 60 scripts/cuda/build.sh --ptx "$WORK/ptx-machine" >>"$WORK/binaries.txt" &&
			state PTX_DIR "$WORK/ptx-machine"
	fi

	# make gpu against this machine's toolkit, in the background, beside the
	# prebuilt binaries (the native phase smoke-tests what it builds).
	if has go; then
		local par=$(($(nproc) / 3))
		[ $par -ge 1 ] || par=1
		echo "make gpu started in the background (-p $par, limit ${NATIVE_TIMEOUT}s)" >>"$WORK/binaries.txt"
		(
			start=$(now)
			GOFLAGS="${GOFLAGS:-} -p=$par" nice -n 10 timeout -k 5 "$NATIVE_TIMEOUT" scripts/cuda/build.sh "$BIN/gradbench-native" >"$WORK/native/make-gpu.txt" 2>&1
			rc=$?
			echo "gpu_build_rc $rc" >"$WORK/native/build.txt"
			echo "gpu_build_s $(($(now) - start))" >>"$WORK/native/build.txt"
		) </dev/null >/dev/null 2>&1 &
	else
		echo "make gpu not tried: no go" >>"$WORK/binaries.txt"
	fi
	cat "$WORK/binaries.txt"
	[ -n "${GPU:-}" ]
}

# wait_native SECONDS: waits for the background make gpu, at most SECONDS.
wait_native() {
	local until=$(($(now) + $1))
	while [ ! -f "$WORK/native/build.txt" ] && [ "$(now)" -lt $until ] && [ -f "$WORK/native/make-gpu.txt" ]; do
		sleep 2
	done
	grep -q '^gpu_build_rc 0$' "$WORK/native/build.txt" 2>/dev/null && [ -x "$BIN/gradbench-native" ]
}

phase_info() {
	[ -n "${GPU:-}" ] || { echo "gpu-check: no GPU binary (see the binaries phase)" >&2; return 1; }
	local ok=0
	if step info 40 gpu info --act gelu --json "$WORK/info.json" >"$WORK/info.txt"; then
		ok=1
	fi
	if [ -n "${PTX_DIR:-}" ] && [ "$DRY" = 0 ]; then
		if step info-ptx-machine 40 env GRADBENCH_PTX_DIR="$PTX_DIR" "$GPU" info --act gelu >"$WORK/info-ptx.txt" && [ $ok = 0 ]; then
			# The embedded PTX failed, this machine's loads: use it from now on.
			state GPU_ENV "GRADBENCH_PTX_DIR=$PTX_DIR"
			cp "$WORK/info-ptx.txt" "$WORK/info.txt"
			ok=1
		fi
	fi
	if [ $ok = 0 ] && [ "$DRY" = 0 ]; then
		# Neither: the binary make gpu builds on this machine, if it does.
		echo "gpu-check: the prebuilt GPU binary does not start; waiting for make gpu" >&2
		if wait_native $((PHASE_END - $(now) - 45)) && step info-native 40 "$BIN/gradbench-native" info --act gelu --json "$WORK/info.json" >"$WORK/info.txt"; then
			state GPU "$BIN/gradbench-native"
			state GPU_ENV ""
			state GTEST ""
			ok=1
		fi
	fi
	echo "gpu binary for the measurements: ${GPU:-none} ${GPU_ENV:-}" >>"$WORK/binaries.txt"
	cat "$WORK/info.txt"
	[ $ok = 1 ] || state GPU ""
	[ $ok = 1 ]
}

# use_native: when no prebuilt GPU binary started, the one make gpu built on
# this machine since, if it did and it starts.
use_native() {
	[ -z "${GPU:-}" ] && [ "$DRY" = 0 ] || return 0
	grep -q '^gpu_build_rc 0$' "$WORK/native/build.txt" 2>/dev/null && [ -x "$BIN/gradbench-native" ] || return 0
	if step "info-native-$PHASE" 40 "$BIN/gradbench-native" info --act gelu --json "$WORK/info.json" >"$WORK/info.txt"; then
		echo "gpu binary for the measurements from phase $PHASE on: $BIN/gradbench-native (make gpu here)" >>"$WORK/binaries.txt"
		state GPU "$BIN/gradbench-native"
		state GPU_ENV ""
		state GTEST ""
	fi
}

TRAIN_FLAGS=(--train-size 6400 --test-size 1000 --epochs 1 --log-every 1 --quiet)
phase_correct() {
	local act n pids=()
	use_native
	[ -n "${CPU:-}" ] || echo "gpu-check: no CPU binary: nothing to compare against" >&2
	# The CPU runs in the background, the GPU runs one at a time.
	for act in sigmoid tanh relu leakyrelu gelu; do
		[ -n "${CPU:-}" ] || break
		step "cpu-$act" 150 "$CPU" train --act "$act" "${TRAIN_FLAGS[@]}" --out "$WORK/runs/cpu-$act" >/dev/null &
		pids+=($!)
	done
	if [ -n "${GPU:-}" ]; then
		for act in sigmoid tanh relu leakyrelu gelu; do
			step "gpu-$act" 60 gpu train --act "$act" "${TRAIN_FLAGS[@]}" $CUDA_FLAG --out "$WORK/runs/gpu-$act" >/dev/null
		done
	fi
	[ ${#pids[@]} = 0 ] || wait "${pids[@]}"
	for act in sigmoid tanh relu leakyrelu gelu; do
		[ -f "$WORK/runs/cpu-$act/grad_norms.csv" ] && [ -f "$WORK/runs/gpu-$act/grad_norms.csv" ] || continue
		for n in 1 8 50; do
			step "diff-$act-$n" 20 "$CPU" diff --steps $n --rtol 1 --json "$WORK/runs/diff-$act-$n.json" "$WORK/runs/cpu-$act" "$WORK/runs/gpu-$act" >/dev/null
		done
	done
	# The graph package's tests on the GPU: the prebuilt test binary, else go
	# test -tags cuda; on a dry run go test on the CPU.
	local rc
	if [ "$DRY" = 1 ]; then
		step gotest 150 go test -vet=off -count=1 -v ./graph/ >"$WORK/gotest-graph.txt"
	elif [ -n "${GTEST:-}" ] && [ -x "$GTEST" ]; then
		step gotest 120 bash -c 'cd graph && exec env ${1:+"$1"} "$2" -test.v -test.count=1 -test.timeout 110s' _ "${GPU_ENV:-}" "$GTEST" >"$WORK/gotest-graph.txt"
	elif [ -n "${GPU:-}" ] && has go; then
		step gotest 150 bash -c 'eval "$(scripts/cuda/build.sh --env)" && go test -vet=off -tags cuda -count=1 -v ./graph/' >"$WORK/gotest-graph.txt"
	else
		echo "skipped: no GPU binary" >"$WORK/gotest-graph.txt"
		false
	fi
	rc=$?
	echo "rc $rc" >>"$WORK/gotest-graph.txt"
	grep -E '^(--- |ok|FAIL|PASS|rc )' "$WORK/gotest-graph.txt" | tail -n 25
	return $rc
}

phase_speed() {
	local act width batch steps t dev=cuda widths
	[ "$DRY" = 1 ] && dev=cpu
	use_native
	widths=$(echo "$SPEED_WIDTHS" | tr ' ' ',')
	# PyTorch first: one process for the whole grid.
	step torch-grid 150 python3 scripts/torch_reference.py --grid --device $dev --acts "$(echo "$SPEED_ACTS" | tr ' ' ',')" \
		--widths "$widths" --batches "$(echo "$SPEED_BATCHES" | tr ' ' ',')" --steps "$SPEED_STEPS" \
		--big-steps $((SPEED_STEPS / 2)) --warmup 3 --threads "$(nproc)" | tee -a "$WORK/torch-grid.jsonl" | tagged torch
	[ -n "${GPU:-}" ] || { echo "gpu-check: no GPU binary: gradbench's GPU side not measured" >&2; return 1; }
	for width in $SPEED_WIDTHS; do
		for batch in $SPEED_BATCHES; do
			for act in $SPEED_ACTS; do
				steps=$SPEED_STEPS t=45
				[ "$width" -ge 1024 ] && t=60
				[ "$width" -ge 4096 ] && steps=$((SPEED_STEPS / 2)) t=60
				step "gpu-bench-$act-$width-$batch" $t gpu bench --act "$act" --width "$width" --batch "$batch" --steps "$steps" --warmup 2 $CUDA_FLAG | tagged gpu ||
					failed gpu "$act" "$width" "$batch"
			done
		done
	done
}

phase_memory() {
	use_native
	[ -n "${GPU:-}" ] || { echo "gpu-check: no GPU binary" >&2; return 1; }
	local dir=$WORK/runs/mem-gelu pid t0 end ms gpu rss step rc
	# The binary itself in the background, so that its own pid is sampled;
	# killed at the phase's end.
	env ${GPU_ENV:+"$GPU_ENV"} "$GPU" train --act gelu --train-size 25600 --epochs 5 --test-size 1000 --log-every 10 --quiet $CUDA_FLAG \
		--out "$dir" >/dev/null 2>"$WORK/steps/memory.err" &
	pid=$!
	echo "elapsed_s,step,gpu_mib,rss_mib" >"$WORK/memory.csv"
	t0=$(date +%s%N)
	end=$((PHASE_END - 2))
	while kill -0 $pid 2>/dev/null; do
		if [ "$(now)" -ge $end ]; then
			kill $pid
			echo "gpu-check: memory: the run was stopped at the phase's limit" >&2
			break
		fi
		gpu=
		has nvidia-smi && gpu=$(timeout 5 nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits 2>/dev/null | awk -F', *' -v p=$pid '$1==p{print $2}')
		rss=$(awk '/VmRSS/{printf "%.1f", $2/1024}' /proc/$pid/status 2>/dev/null)
		step=$(tail -n1 "$dir/metrics.csv" 2>/dev/null | cut -d, -f1)
		[[ $step =~ ^[0-9]+$ ]] || step=0
		ms=$((($(date +%s%N) - t0) / 1000000))
		[ -n "$rss" ] && echo "$((ms / 1000)).$(printf %03d $((ms % 1000))),$step,${gpu:-},$rss" >>"$WORK/memory.csv"
		sleep 0.5
	done
	wait $pid
	rc=$?
	echo "rc $rc" >"$WORK/memory-rc.txt"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$PHASE" memory "$([ $rc = 0 ] && echo ok || echo FAILED)" $((($(date +%s%N) - t0) / 1000000000)) - $rc >>"$WORK/steps.tsv"
	tail -n 3 "$WORK/memory.csv"
	return $rc
}

# cpu_bench MIN MAX: the CPU build's ms per step at widths MIN..MAX.
cpu_bench() {
	[ -n "${CPU:-}" ] || { echo "gpu-check: no CPU binary" >&2; return 1; }
	local act width batch cs t
	if [ -f "$WORK/native/make-gpu.txt" ] && [ ! -f "$WORK/native/build.txt" ]; then
		echo "$PHASE: make gpu was still building in the background (niced) while the CPU build was timed" >>"$WORK/speed-notes.txt"
	fi
	for width in $SPEED_WIDTHS; do
		[ "$width" -ge "$1" ] && [ "$width" -le "$2" ] && [ "$width" -le "$CPU_MAX_WIDTH" ] || continue
		for batch in $SPEED_BATCHES; do
			for act in $SPEED_ACTS; do
				cs=3 t=60
				[ "$width" -ge 1024 ] && cs=2 t=90
				[ "$width" -ge 4096 ] && cs=1 t=300
				step "cpu-bench-$act-$width-$batch" $t "$CPU" bench --act "$act" --width "$width" --batch "$batch" --steps $cs --warmup 1 | tagged cpu ||
					failed cpu "$act" "$width" "$batch"
			done
		done
	done
}
phase_cpu() { cpu_bench 0 1024; }
phase_cpu4096() { cpu_bench 1025 1000000; }

phase_native() {
	[ -f "$WORK/native/make-gpu.txt" ] || { echo "gpu-check: make gpu was not started (see the binaries phase)" >&2; return 1; }
	if ! wait_native $((PHASE_END - $(now) - 70)); then
		[ -f "$WORK/native/build.txt" ] || echo "gpu_build_rc still building" >"$WORK/native/build.txt"
		echo "gpu-check: make gpu did not build (native/make-gpu.txt):" >&2
		grep -E 'error|make gpu:|undefined' "$WORK/native/make-gpu.txt" | head -n 20 >&2
		return 1
	fi
	local n=$BIN/gradbench-native
	step native-info 40 "$n" info --act gelu >"$WORK/native/info.txt"
	if [ -n "$(command -v nm)" ]; then
		nm -D --undefined-only "$n" | awk '{print $NF}' | awk '
			/^cudnn[A-Z]/ {print "libcudnn.so.9", $1; next}
			/^cublas[A-Z]/ {print "libcublas.so.13", $1; next}
			/^cu[A-Z]/ {print "libcuda.so.1", $1}' >"$WORK/native/imports.txt"
		check_symbols "$WORK/native/imports.txt" >"$WORK/native/symbols.txt"
	fi
	step native-gelu 60 "$n" train --act gelu "${TRAIN_FLAGS[@]}" $CUDA_FLAG --out "$WORK/runs/native-gelu" >/dev/null || return 1
	local ref=$WORK/runs/gpu-gelu
	[ -f "$ref/grad_norms.csv" ] || ref=$WORK/runs/cpu-gelu
	echo "native run compared with $(basename "$ref")" >"$WORK/native/diff-ref.txt"
	step native-diff 20 "${CPU:-$n}" diff --steps 50 --rtol 1 --json "$WORK/runs/diff-native-gelu-50.json" "$ref" "$WORK/runs/native-gelu" >"$WORK/native/diff.txt"
}

"phase_$PHASE"
