#!/usr/bin/env bash
# Builds the CUDA binary of gradbench (make gpu): Gorgonia's TapeMachine with
# the cuda tag, its element-wise kernels and graph.Erf's kernel compiled to
# PTX with this machine's nvcc, linked against the toolkit's cuBLAS, cuDNN
# and the NVIDIA driver.
#
#   scripts/cuda/build.sh [OUTPUT]        build (default bin/gradbench)
#   scripts/cuda/build.sh --check         only find the toolkit and say what was found
#   eval "$(scripts/cuda/build.sh --env)" compile the kernels and set the cgo
#                                         variables and LD_LIBRARY_PATH, for
#                                         go test -tags cuda / go vet
#   scripts/cuda/build.sh --ptx DIR       only compile the kernels, into DIR (for
#                                         GRADBENCH_PTX_DIR: a binary built elsewhere
#                                         then uses this machine's nvcc's PTX)
#   scripts/cuda/build.sh --libpath       print the folders of cuBLAS, cuDNN and the
#                                         driver, colon-separated (for LD_LIBRARY_PATH)
#
# Settings (environment):
#   CUDA_HOME   toolkit root (default /usr/local/cuda; /usr for Debian's nvidia-cuda-toolkit)
#   CUDNN_HOME  cuDNN root when it is not under CUDA_HOME, /usr or Python's nvidia-cudnn wheel
#   GORGONIA_CUDA_SRC  Gorgonia's kernel sources when the module cache lacks them
#   CUDA_ARCH   virtual architecture of the PTX (default 75: JIT-compiled by the
#               driver for any GPU from Turing on; 90 for H100/H200 only)
#   GO          go command (default go)
#   CC          C compiler of cgo (default gcc)
#   CUDA_RPATH  colon-separated run path to link in instead of the folders the
#               libraries were found in (scripts/gpu-prebuild.sh: the GPU machine's)
#   GO_LDFLAGS  extra go build -ldflags (e.g. -s -w)
#
# A missing piece stops the build with one line naming it, exit status 2.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
GO=${GO:-go}
CUDA_ARCH=${CUDA_ARCH:-75}
MODE=build
OUT=bin/gradbench
case "${1:-}" in
--check) MODE=check ;;
--env) MODE=env ;;
--libpath) MODE=libpath ;;
--ptx)
	MODE=ptx
	[ -n "${2:-}" ] || { echo "make gpu: --ptx needs a folder" >&2; exit 2; }
	PTX_OUT=$2
	;;
-h | --help) sed -n '2,32p' "$0"; exit 0 ;;
"") ;;
*) OUT=$1 ;;
esac

die() {
	echo "make gpu: $*" >&2
	exit 2
}

# first_dir FILE DIR... prints the first DIR holding FILE (a glob allowed).
first_dir() {
	local f=$1 d
	shift
	for d in "$@"; do
		[ -n "$d" ] || continue
		# shellcheck disable=SC2086
		if compgen -G "$d/$f" >/dev/null 2>&1; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

# first_file GLOB DIR... prints the first file matching GLOB in the DIRs.
first_file() {
	local g=$1 d f
	shift
	for d in "$@"; do
		[ -n "$d" ] || continue
		for f in "$d"/$g; do
			if [ -e "$f" ]; then
				echo "$f"
				return 0
			fi
		done
	done
	return 1
}

# compile_kernels DIR: Gorgonia's element-wise modules (from its module
# source) and ours, compiled to PTX in DIR with the precision flags Gorgonia's
# own generator uses. GORGONIA_CUDA_SRC names them where the module source is
# not at hand (a vendored build; scripts/gpu-bundle.sh packs them).
compile_kernels() {
	local dir=$1 src name
	if [ -z "${GORGONIA_CUDA_SRC:-}" ]; then
		GORGONIA=$(cd "$ROOT" && GOFLAGS=-mod=mod "$GO" list -m -f '{{.Dir}}' gorgonia.org/gorgonia) ||
			die "cannot find the gorgonia.org/gorgonia module; run go mod download"
		GORGONIA_CUDA_SRC="$GORGONIA/cuda modules/src"
	fi
	[ -f "$GORGONIA_CUDA_SRC/elemunaryop.cu" ] || die "Gorgonia's kernel sources are not in $GORGONIA_CUDA_SRC; run go mod download or set GORGONIA_CUDA_SRC"
	rm -rf "$dir"
	mkdir -p "$dir"
	local flags=(-ptx "-arch=compute_$CUDA_ARCH" -fmad=false -ftz=false -prec-div=true -prec-sqrt=true -allow-unsupported-compiler)
	for src in "$GORGONIA_CUDA_SRC"/*.cu "$ROOT/graph/kernels/erf.cu"; do
		name=$(basename "$src" .cu)
		[ "$name" = erf ] && name=gradbench
		"$NVCC" "${flags[@]}" -o "$dir/$name.ptx" "$src" >&2 ||
			die "nvcc failed on $src (flags: ${flags[*]}); see the lines above"
	done
}

# Toolkit root: CUDA_HOME, else /usr/local/cuda, else wherever nvcc is.
if [ -z "${CUDA_HOME:-}" ]; then
	if [ -x /usr/local/cuda/bin/nvcc ]; then
		CUDA_HOME=/usr/local/cuda
	elif command -v nvcc >/dev/null 2>&1; then
		CUDA_HOME=$(cd "$(dirname "$(readlink -f "$(command -v nvcc)")")/.." && pwd)
		[ "$CUDA_HOME" = /usr/lib/nvidia-cuda-toolkit ] && CUDA_HOME=/usr
	else
		die "no CUDA toolkit: nvcc is not on PATH and /usr/local/cuda does not exist; install the CUDA toolkit (12.x or 13.x) or set CUDA_HOME"
	fi
fi
[ -d "$CUDA_HOME" ] || die "CUDA_HOME=$CUDA_HOME does not exist; set CUDA_HOME to the toolkit's root"

NVCC=$CUDA_HOME/bin/nvcc
[ -x "$NVCC" ] || NVCC=$(command -v nvcc || true)
[ -n "$NVCC" ] && [ -x "$NVCC" ] || die "nvcc not found in $CUDA_HOME/bin or on PATH; install the CUDA toolkit's compiler or set CUDA_HOME"
if [ "$MODE" = ptx ]; then
	compile_kernels "$PTX_OUT"
	echo "compiled $(ls "$PTX_OUT" | wc -l) PTX modules into $PTX_OUT: $("$NVCC" --version | sed -n 's/.*release \([0-9.]*\).*/nvcc \1/p'), compute_$CUDA_ARCH"
	exit 0
fi

ARCHDIR=$(uname -m)-linux
INC_DIRS=("$CUDA_HOME/include" "$CUDA_HOME/targets/$ARCHDIR/include" /usr/include "/usr/include/$(uname -m)-linux-gnu")
LIB_DIRS=("$CUDA_HOME/lib64" "$CUDA_HOME/lib" "$CUDA_HOME/targets/$ARCHDIR/lib" "/usr/lib/$(uname -m)-linux-gnu" /usr/lib64)

# Python's NVIDIA wheels (PyTorch's cuBLAS and cuDNN) as a last resort: every
# location of the nvidia namespace package, the one holding cuDNN first. CUDA
# 13 wheels put the toolkit's libraries under nvidia/cu13/{lib,include}, CUDA
# 12 wheels under nvidia/cublas/{lib,include}; cuDNN's are under nvidia/cudnn.
PY_NVIDIA=()
if command -v python3 >/dev/null 2>&1; then
	while IFS= read -r loc; do
		[ -n "$loc" ] && PY_NVIDIA+=("$loc")
	done < <(python3 - <<'EOF' 2>/dev/null || true
import importlib.util, os
spec = importlib.util.find_spec("nvidia")
locs = list(spec.submodule_search_locations) if spec and spec.submodule_search_locations else []
locs.sort(key=lambda l: not os.path.isdir(os.path.join(l, "cudnn")))
print("\n".join(locs))
EOF
)
fi
# wheel_dirs SUB... prints LOC/SUB for every wheel location and SUB.
wheel_dirs() {
	local loc sub
	for loc in ${PY_NVIDIA[@]+"${PY_NVIDIA[@]}"}; do
		for sub in "$@"; do echo "$loc/$sub"; done
	done
}
WHEEL_INC=() WHEEL_LIB=() WHEEL_CUDNN_INC=() WHEEL_CUDNN_LIB=()
while IFS= read -r d; do WHEEL_INC+=("$d"); done < <(wheel_dirs cu13/include cublas/include)
while IFS= read -r d; do WHEEL_LIB+=("$d"); done < <(wheel_dirs cu13/lib cublas/lib)
while IFS= read -r d; do WHEEL_CUDNN_INC+=("$d"); done < <(wheel_dirs cudnn/include cu13/include)
while IFS= read -r d; do WHEEL_CUDNN_LIB+=("$d"); done < <(wheel_dirs cudnn/lib cu13/lib)

CUDA_INC=$(first_dir cuda.h "${INC_DIRS[@]}") || die "cuda.h not found under $CUDA_HOME/include; install the CUDA toolkit headers (Debian: nvidia-cuda-dev) or set CUDA_HOME"
CUBLAS_INC=$(first_dir cublas_v2.h "$CUDA_INC" "${INC_DIRS[@]}" ${WHEEL_INC[@]+"${WHEEL_INC[@]}"}) || die "cublas_v2.h not found; install cuBLAS's headers (part of the CUDA toolkit) or set CUDA_HOME"
CUBLAS_LIB=$(first_file 'libcublas.so*' "${LIB_DIRS[@]}" ${WHEEL_LIB[@]+"${WHEEL_LIB[@]}"}) || die "libcublas.so not found under $CUDA_HOME/lib64; install cuBLAS (part of the CUDA toolkit)"

CUDNN_DIRS=("${CUDNN_HOME:+$CUDNN_HOME/include}" "${INC_DIRS[@]}" ${WHEEL_CUDNN_INC[@]+"${WHEEL_CUDNN_INC[@]}"})
CUDNN_INC=$(first_dir cudnn.h "${CUDNN_DIRS[@]}") || die "cudnn.h not found (looked in CUDNN_HOME, $CUDA_HOME/include, /usr/include and Python's nvidia-cudnn wheel); install cuDNN 8 or 9 or set CUDNN_HOME"
# libcudnn from where cudnn.h came from (that root's lib64 or lib, the
# multiarch folder for /usr/include) before any other place: a cudnn.h of one
# version with a libcudnn of another fails at run time.
CUDNN_ROOT=$(dirname "$CUDNN_INC")
case "$CUDNN_INC" in */include/*-linux-gnu) CUDNN_ROOT=$(dirname "$CUDNN_ROOT") ;; esac
CUDNN_LIB=$(first_file 'libcudnn.so*' "$CUDNN_ROOT/lib64" "$CUDNN_ROOT/lib" "$CUDNN_ROOT/lib/$(uname -m)-linux-gnu" "${CUDNN_HOME:+$CUDNN_HOME/lib64}" "${CUDNN_HOME:+$CUDNN_HOME/lib}" "${LIB_DIRS[@]}" ${WHEEL_CUDNN_LIB[@]+"${WHEEL_CUDNN_LIB[@]}"}) || die "libcudnn.so not found next to cudnn.h ($CUDNN_INC); install cuDNN's libraries or set CUDNN_HOME"

# The driver library: the installed driver's (ldconfig, LD_LIBRARY_PATH, the
# driver's own folder), else the toolkit's link stub (a binary linked against
# the stub still loads the driver's at run time).
LIBRARY_DIRS_FROM_ENV=${LD_LIBRARY_PATH:-}
LIBRARY_DIRS_FROM_ENV=${LIBRARY_DIRS_FROM_ENV//:/ }
CUDA_DRV=$({ ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true; } | awk '/libcuda\.so\.1 /{print $NF; exit}')
[ -n "$CUDA_DRV" ] || CUDA_DRV=$(first_file 'libcuda.so.1' ${LIBRARY_DIRS_FROM_ENV} /usr/local/nvidia/lib64 /usr/local/nvidia/lib) || CUDA_DRV=""
[ -n "$CUDA_DRV" ] || CUDA_DRV=$(first_file 'libcuda.so*' "$CUDA_HOME/lib64/stubs" "$CUDA_HOME/targets/$ARCHDIR/lib/stubs" "/usr/lib/$(uname -m)-linux-gnu/stubs" "${LIB_DIRS[@]}") ||
	die "libcuda.so not found: no NVIDIA driver is installed and the toolkit has no stubs/libcuda.so; install the driver or the full toolkit"

# The folders a binary needs at run time. cuDNN 9 loads its own sub-libraries
# (libcudnn_graph.so.9, ...) through the library path, so they go into
# LD_LIBRARY_PATH (--env, --libpath) as well as into the run path.
LIBPATH=""
for lib in "$CUBLAS_LIB" "$CUDNN_LIB" "$CUDA_DRV"; do
	d=$(dirname "$(readlink -f "$lib")")
	case "$d" in */stubs) continue ;; esac
	case ":$LIBPATH:" in *":$d:"*) ;; *) LIBPATH=${LIBPATH:+$LIBPATH:}$d ;; esac
done
if [ "$MODE" = libpath ]; then
	echo "$LIBPATH"
	exit 0
fi

CUDA_VER=$(awk '/#define CUDA_VERSION /{v=$3; printf "%d.%d", v/1000, (v%1000)/10}' "$CUDA_INC/cuda.h")
CUDNN_VER=$({ cat "$CUDNN_INC"/cudnn_version.h "$CUDNN_INC"/cudnn.h 2>/dev/null || true; } | awk '{sub(/\r$/, "")} /#define CUDNN_MAJOR /{a=$3} /#define CUDNN_MINOR /{b=$3} /#define CUDNN_PATCHLEVEL /{c=$3} END{print (a == "" ? "unknown" : a"."b"."c)}')
NVCC_VER=$({ "$NVCC" --version || true; } | sed -n 's/.*release \([0-9.]*\).*/\1/p')
CC=${CC:-gcc}
GCC_VER=$({ "$CC" --version 2>/dev/null || echo "$CC: not found"; } | sed -n 1p)

if [ "$MODE" = check ]; then
	cat <<EOF
CUDA_HOME  $CUDA_HOME
nvcc       $NVCC ($NVCC_VER)
cuda.h     $CUDA_INC (CUDA $CUDA_VER)
cuBLAS     $CUBLAS_LIB
cuDNN      $CUDNN_INC, $CUDNN_LIB ($CUDNN_VER)
driver     $CUDA_DRV
libpath    $LIBPATH
gcc        $GCC_VER
PTX arch   compute_$CUDA_ARCH
EOF
	exit 0
fi

compile_kernels "$ROOT/graph/kernels/ptx"

# Unversioned names for the linker (wheels ship only libcublas.so.13 and the
# like) and run paths so the binary finds the same libraries when it starts.
LINK_DIR=$ROOT/bin/cuda-link
rm -rf "$LINK_DIR"
mkdir -p "$LINK_DIR"
ln -s "$(readlink -f "$CUBLAS_LIB")" "$LINK_DIR/libcublas.so"
ln -s "$(readlink -f "$CUDNN_LIB")" "$LINK_DIR/libcudnn.so"
ln -s "$(readlink -f "$CUDA_DRV")" "$LINK_DIR/libcuda.so"
# DT_RPATH rather than DT_RUNPATH (--disable-new-dtags): it also applies to
# the libraries that cuDNN opens itself.
RPATH=" -Wl,--disable-new-dtags"
IFS=: read -r -a rdirs <<<"${CUDA_RPATH:-$LIBPATH}"
for d in ${rdirs[@]+"${rdirs[@]}"}; do
	[ -n "$d" ] && RPATH="$RPATH -Wl,-rpath,$d"
done

# gcc 14 turns what cu's C code does (an implicit declaration of
# handleCUDACB, int/pointer conversions) into errors: back to warnings.
RELAX="-Wno-error=implicit-function-declaration -Wno-error=int-conversion -Wno-error=incompatible-pointer-types -Wno-error=implicit-int"
"$CC" -Wno-error=return-mismatch -E -x c /dev/null >/dev/null 2>&1 && RELAX="$RELAX -Wno-error=return-mismatch"

export CGO_ENABLED=1
export CGO_CFLAGS="-I$ROOT/scripts/cuda/compat -I$CUDA_INC -I$CUBLAS_INC -I$CUDNN_INC -Wno-deprecated-declarations $RELAX ${CGO_CFLAGS:-}"
export CGO_LDFLAGS="-L$LINK_DIR$RPATH ${CGO_LDFLAGS:-}"
PKG=github.com/gradbench/gradbench/graph
if [ "$MODE" = env ]; then
	printf 'export CGO_ENABLED=1 CGO_CFLAGS=%q CGO_LDFLAGS=%q LD_LIBRARY_PATH=%q\n' "$CGO_CFLAGS" "$CGO_LDFLAGS" "$LIBPATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	exit 0
fi
LDFLAGS="-X '$PKG.cudaToolkit=$CUDA_VER' -X '$PKG.cudnnVersion=$CUDNN_VER' -X '$PKG.ptxArch=compute_$CUDA_ARCH' ${GO_LDFLAGS:-}"
mkdir -p "$(dirname "$OUT")"
cd "$ROOT"
"$GO" build -tags cuda -ldflags "$LDFLAGS" -o "$OUT" ./cmd/gradbench 2> >(grep -v -e 'warning: implicit declaration of function .handleCUDACB' -e 'In function .CallHostFunc' -e 'params.go:7:9' -e '^ *[0-9]* |' -e '^ *|' -e '^# gorgonia.org/cu$' >&2) ||
	die "go build -tags cuda failed; see the lines above"
echo "built $OUT: CUDA $CUDA_VER (nvcc $NVCC_VER), cuDNN $CUDNN_VER, PTX compute_$CUDA_ARCH, $GCC_VER"
