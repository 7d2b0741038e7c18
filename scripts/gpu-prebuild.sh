#!/usr/bin/env bash
# Builds, on a machine without a GPU, the binaries that scripts/gpu-check.sh
# measures with on the GPU machine, so that the measurements do not depend on
# building against that machine's CUDA 13 first:
#
#   gradbench-cuda    the CUDA build (make gpu), against CUDA 12.x headers
#   graph-cuda.test   go test -c -tags cuda ./graph/: the finite-difference
#                     checks and the erf kernel's tests, run on the GPU
#   gradbench-cpu     the CPU build (pure Go, static)
#
# packed into bin/gpu-prebuilt/prebuilt.tar.xz (about 15 MB) with
# MANIFEST.txt (versions, GLIBC needs, libraries) and imports.txt (the
# driver, cuBLAS and cuDNN symbols the CUDA binaries import, which the check's
# preflight looks up in the GPU machine's libraries). Carry bin/gpu-prebuilt.
#
#   scripts/gpu-prebuild.sh
#
# Where the pieces come from (nothing is installed system-wide; everything
# lands in the cache folder, by default ~/.cache/gradbench-prebuild):
#   - CUDA 12.x headers and nvcc: Debian's nvidia-cuda-dev, nvidia-cuda-toolkit
#     and libcu++-dev from the suite PREBUILD_SUITE (default trixie: CUDA 12.4),
#     fetched with apt-get download through a private apt configuration (its
#     own sources list, lists, cache and an empty status file) that points at
#     the Debian mirror this machine's apt already uses, then unpacked with
#     dpkg -x / dpkg-deb. Only the downloads need the network: a second run
#     with the .debs in the cache is offline.
#   - cuDNN 9 headers: not in Debian. Put cudnn*.h of a cuDNN 9.x release in
#     CACHE/cudnn/include, or set CUDNN_INCLUDE to a folder holding them.
#     scripts/cuda/compat/cudnn.h covers what cuDNN 9 removed.
#   - link-time stubs for libcuda.so.1, libcublas.so.13 and libcudnn.so.9:
#     generated C files with one empty function for every cu*, cublas* and
#     cudnn* function those headers declare, compiled by gcc with the sonames
#     of the GPU machine's libraries (driver 580, CUDA 13, cuDNN 9). The
#     binaries load the real ones there; the run path names the folders where
#     that machine keeps them (CUDA_RPATH) and gpu-check.sh sets
#     LD_LIBRARY_PATH as well.
#
# Settings: GRADBENCH_PREBUILD_CACHE, PREBUILD_SUITE, PREBUILD_MIRROR (a Debian
# mirror URI, when this machine's apt sources name none), CUDNN_INCLUDE,
# CUDA_RPATH, CUBLAS_SONAME (libcublas.so.13), CUDNN_SONAME (libcudnn.so.9).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CACHE=${GRADBENCH_PREBUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gradbench-prebuild}
SUITE=${PREBUILD_SUITE:-trixie}
OUTDIR=$ROOT/bin/gpu-prebuilt
CUBLAS_SONAME=${CUBLAS_SONAME:-libcublas.so.13}
CUDNN_SONAME=${CUDNN_SONAME:-libcudnn.so.9}
SITE=/opt/torch/.venv/lib/python3.12/site-packages/nvidia
CUDA_RPATH=${CUDA_RPATH:-/usr/local/cuda/lib64:$SITE/cu13/lib:$SITE/cudnn/lib:/usr/local/nvidia/lib64}
PKGS=(nvidia-cuda-dev nvidia-cuda-toolkit libcu++-dev)
export GOTOOLCHAIN=local

say() { echo "gpu-prebuild: $*" >&2; }
die() {
	echo "gpu-prebuild: $*" >&2
	exit 1
}
for tool in apt-get dpkg-deb gcc go nm objdump readelf xz; do
	command -v $tool >/dev/null 2>&1 || die "$tool is needed and not on PATH"
done
mkdir -p "$CACHE/debs"

# 1. The .debs, through a private apt configuration.
have_debs() {
	local p
	for p in "${PKGS[@]}"; do
		compgen -G "$CACHE/debs/${p}_*.deb" >/dev/null || return 1
	done
}
if ! have_debs; then
	MIRROR=${PREBUILD_MIRROR:-}
	if [ -z "$MIRROR" ]; then
		# The first non-security Debian URI of this machine's own sources.
		MIRROR=$({
			cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/{for (i = 2; i <= NF; i++) print $i}'
			cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; break}}'
		} | grep -v -e security -e '^$' | grep -i debian | head -n1 || true)
	fi
	[ -n "$MIRROR" ] || die "no Debian mirror in this machine's apt sources; set PREBUILD_MIRROR to one"
	APT=$CACHE/apt
	mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/parts"
	: >"$APT/status"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main contrib non-free" >"$APT/sources.list"
	o=(-o "Dir::Etc::sourcelist=$APT/sources.list" -o "Dir::Etc::sourceparts=$APT/parts"
		-o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o "Dir::State::status=$APT/status"
		-o APT::Sandbox::User=root)
	say "apt-get update ($SUITE, private lists in $APT)"
	apt-get "${o[@]}" update -qq >&2 || die "apt-get update of $SUITE failed"
	say "apt-get download ${PKGS[*]} (about 1 GB, once)"
	(cd "$CACHE/debs" && apt-get "${o[@]}" download "${PKGS[@]}" >&2) || die "apt-get download failed"
fi

# 2. Unpack: nvcc and its tools whole, only the headers of nvidia-cuda-dev
# (the rest is 2.5 GB of libraries).
TK=$CACHE/root
if [ ! -x "$TK/usr/lib/nvidia-cuda-toolkit/bin/nvcc" ] || [ ! -f "$TK/usr/include/cublas_v2.h" ] || [ ! -d "$TK/usr/include/nv" ]; then
	say "unpacking the .debs into $TK"
	rm -rf "$TK"
	mkdir -p "$TK"
	dpkg -x "$(ls "$CACHE"/debs/nvidia-cuda-toolkit_*.deb | tail -n1)" "$TK"
	dpkg -x "$(ls "$CACHE"/debs/libcu++-dev_*.deb | tail -n1)" "$TK"
	dpkg-deb --fsys-tarfile "$(ls "$CACHE"/debs/nvidia-cuda-dev_*.deb | tail -n1)" | tar -x -C "$TK" --wildcards './usr/include/*'
fi
# Debian's nvcc.profile is a link to /etc/nvcc.profile with absolute paths:
# one relative to nvcc itself instead.
rm -f "$TK/usr/lib/nvidia-cuda-toolkit/bin/nvcc.profile"
cat >"$TK/usr/lib/nvidia-cuda-toolkit/bin/nvcc.profile" <<'EOF'
NVVMIR_LIBRARY_DIR = $(_HERE_)/../libdevice
PATH += $(_HERE_):$(_HERE_)/../../../bin:
INCLUDES += "-I$(_HERE_)/../../../include" $(_SPACE_)
EOF

# cuDNN 9 headers.
CUDNN_INCLUDE=${CUDNN_INCLUDE:-$CACHE/cudnn/include}
[ -f "$CUDNN_INCLUDE/cudnn.h" ] && [ -f "$CUDNN_INCLUDE/cudnn_version.h" ] ||
	die "no cuDNN 9 headers in $CUDNN_INCLUDE (cudnn.h, cudnn_version.h, cudnn_graph.h, cudnn_ops.h, ...): Debian has none; put those of a cuDNN 9.x release there or set CUDNN_INCLUDE"
CUDNN_MAJOR=$(awk '{sub(/\r$/, "")} /#define CUDNN_MAJOR /{print $3}' "$CUDNN_INCLUDE/cudnn_version.h")
[ "$CUDNN_MAJOR" = 9 ] || die "$CUDNN_INCLUDE holds cuDNN $CUDNN_MAJOR headers; the GPU machine has cuDNN 9"

# 3. A toolkit root for scripts/cuda/build.sh: nvcc, the headers and the stubs.
HOME_CUDA=$CACHE/cuda-home
HOME_CUDNN=$CACHE/cudnn-home
rm -rf "$HOME_CUDA" "$HOME_CUDNN"
mkdir -p "$HOME_CUDA/bin" "$HOME_CUDA/lib64/stubs" "$HOME_CUDNN/lib64"
ln -s "$TK/usr/include" "$HOME_CUDA/include"
ln -s "$CUDNN_INCLUDE" "$HOME_CUDNN/include"
cat >"$HOME_CUDA/bin/nvcc" <<EOF
#!/bin/sh
exec "$TK/usr/lib/nvidia-cuda-toolkit/bin/nvcc" -ccbin "\${CXX:-g++}" "\$@"
EOF
chmod +x "$HOME_CUDA/bin/nvcc"
CUDA_VERSION=$(awk '/#define CUDA_VERSION /{v=$3; printf "%d.%d", v/1000, (v%1000)/10}' "$TK/usr/include/cuda.h")
case $CUDA_VERSION in 12.*) ;; *) die "the $SUITE headers are CUDA $CUDA_VERSION, not 12.x" ;; esac

# stub PREFIX SONAME OUT HEADER [-I...]: an empty function for every
# PREFIX... function that HEADER declares (after the preprocessor, so the
# _v2 names the header's macros select are the ones defined).
stub() {
	local prefix=$1 soname=$2 out=$3 header=$4
	shift 4
	local c=$CACHE/stub-${soname%%.so*}.c
	printf '#include <%s>\n' "$header" | gcc -E -P "$@" -x c - |
		grep -oE "\\b$prefix[A-Z][A-Za-z0-9_]*[[:space:]]*\\(" | sed 's/[[:space:](]*$//' | sort -u |
		awk '{print "void " $1 "(void) {}"}' >"$c"
	[ -s "$c" ] || die "no $prefix functions found in $header"
	gcc -shared -fPIC -nostdlib -Wl,-soname,"$soname" -o "$out" "$c"
	say "stub $soname: $(wc -l <"$c") functions from $header"
}
stub cu libcuda.so.1 "$HOME_CUDA/lib64/stubs/libcuda.so" cuda.h -I"$TK/usr/include"
stub cublas "$CUBLAS_SONAME" "$HOME_CUDA/lib64/$CUBLAS_SONAME" cublas_v2.h -I"$TK/usr/include"
stub cudnn "$CUDNN_SONAME" "$HOME_CUDNN/lib64/$CUDNN_SONAME" cudnn.h -I"$TK/usr/include" -I"$CUDNN_INCLUDE"

# 4. The builds.
go mod download
STAGE=$CACHE/stage
rm -rf "$STAGE"
mkdir -p "$STAGE"
export CUDA_HOME=$HOME_CUDA CUDNN_HOME=$HOME_CUDNN CUDA_RPATH GO_LDFLAGS="-s -w"
# build.sh finds the toolkit, compiles the kernels with this nvcc (embedded
# in both CUDA binaries) and links against the stubs.
say "make gpu against CUDA $CUDA_VERSION headers and the stubs"
scripts/cuda/build.sh --check >&2
scripts/cuda/build.sh "$STAGE/gradbench-cuda" >&2
say "go test -c -tags cuda ./graph/"
(
	eval "$(scripts/cuda/build.sh --env)"
	go test -c -tags cuda -ldflags "-s -w" -o "$STAGE/graph-cuda.test" ./graph/
)
say "the CPU binary"
CGO_ENABLED=0 go build -ldflags "-s -w" -o "$STAGE/gradbench-cpu" ./cmd/gradbench
cp -r graph/kernels/ptx "$STAGE/ptx-embedded"

# 5. What they need from the GPU machine.
glibc_max() {
	local v
	v=$(objdump -T "$1" 2>/dev/null | grep -oE 'GLIBC_[0-9.]+' | sort -uV | tail -n1)
	echo "${v:-none (static)}"
}
{
	echo "built $(date -u +%FT%TZ) from $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo '+changes')"
	echo "go $(go env GOVERSION), $(gcc --version | sed -n 1p), glibc here $(ldd --version | sed -n '1s/.* //p')"
	echo "CUDA headers $CUDA_VERSION (Debian $SUITE: $(cd "$CACHE/debs" && ls nvidia-cuda-dev_*.deb | sed 's/_amd64.deb//')), cuDNN headers $(awk '{sub(/\r$/, "")} /#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) /{printf "%s%s", sep, $3; sep="."}' "$CUDNN_INCLUDE/cudnn_version.h")"
	echo "nvcc $("$HOME_CUDA/bin/nvcc" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p') for the embedded PTX ($(sed -n 's/^\.target //p' "$STAGE/ptx-embedded/gradbench.ptx"), ISA $(sed -n 's/^\.version //p' "$STAGE/ptx-embedded/gradbench.ptx"))"
	echo "run path $CUDA_RPATH"
	for b in gradbench-cuda graph-cuda.test gradbench-cpu; do
		f=$STAGE/$b
		needed=$(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd' ' -)
		echo "$b: $(du -h "$f" | cut -f1), needs ${needed:-nothing (static)}, GLIBC up to $(glibc_max "$f")"
	done
} >"$STAGE/MANIFEST.txt"
# imports.txt: LIBRARY SYMBOL for every driver, cuBLAS and cuDNN function the
# CUDA binaries import.
for b in gradbench-cuda graph-cuda.test; do
	nm -D --undefined-only "$STAGE/$b" | awk '{print $NF}'
done | sort -u | awk -v cublas="$CUBLAS_SONAME" -v cudnn="$CUDNN_SONAME" '
	/^cudnn[A-Z]/ {print cudnn, $1; next}
	/^cublas[A-Z]/ {print cublas, $1; next}
	/^cu[A-Z]/ {print "libcuda.so.1", $1}' >"$STAGE/imports.txt"
for lib in libcuda.so.1 "$CUBLAS_SONAME" "$CUDNN_SONAME"; do
	grep -q "^$lib " "$STAGE/imports.txt" || die "the CUDA binary imports nothing from $lib: the stubs did not link"
done
awk '{n[$1]++} END{for (l in n) printf "imports from %s: %d functions\n", l, n[l]}' "$STAGE/imports.txt" | sort >>"$STAGE/MANIFEST.txt"
# A binary needing a newer glibc than the GPU machine's would not start.
for b in gradbench-cuda graph-cuda.test; do
	v=$(glibc_max "$STAGE/$b")
	[ "$(printf '%s\n%s\n' "$v" GLIBC_2.35 | sort -V | tail -n1)" = GLIBC_2.35 ] ||
		die "$b needs $v; the GPU machine may have an older glibc"
done

# 6. The pack.
rm -rf "$OUTDIR"
mkdir -p "$OUTDIR"
tar -C "$STAGE" -cf - gradbench-cuda graph-cuda.test gradbench-cpu ptx-embedded | xz -T0 -9 >"$OUTDIR/prebuilt.tar.xz"
cp "$STAGE/MANIFEST.txt" "$STAGE/imports.txt" "$OUTDIR/"
cat "$OUTDIR/MANIFEST.txt" >&2
du -sh "$OUTDIR" | sed 's/^/gpu-prebuild: /' >&2
