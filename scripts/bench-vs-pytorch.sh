#!/usr/bin/env bash
# bench-vs-pytorch.sh: median ms per training step of gradbench (Gorgonia
# TapeMachine, pure-Go BLAS) against the same network in PyTorch, on the CPU.
# Not part of the tests or CI; see docs/perf-notes.md.
#
# Both sides time the same work per step, each step timed on its own and the
# median taken: forward, loss, backward, the per-layer gradient-norm read,
# Adam update. Network: 784 → 20 × (Linear(width) + act) → 10, batch 128,
# float32, Adam 1e-3.
#   gradbench: BenchmarkStep in models/bench_test.go, its median-ms/step
#              metric (one untimed warm-up step, then -test.benchtime Nx).
#   pytorch:   scripts/torch_reference.py (3 untimed warm-up steps).
# The two alternate, and swap which goes first every round; each
# configuration runs ROUNDS times and the table shows the median over rounds.
#
# Usage: scripts/bench-vs-pytorch.sh            (from anywhere in the repo)
# Environment: ROUNDS (3), ACTS ("relu gelu"), WIDTHS ("128 512 1024"),
#   BLASES ("gonum openblas": gradbench's pure-Go build and its -tags openblas
#   build, see the Makefile's openblas target),
#   THREADS ("1 $(nproc)"), OUT (a new temporary directory; raw results go
#   to $OUT/results.jsonl, the table to $OUT/table.txt).
#
# Needs Go and Debian's python3-torch and libopenblas0-pthread, which it
# installs with apt-get when missing (as root). Debian's torch is for the
# system Python, so it runs /usr/bin/python3, not whatever python3 is first
# on PATH (a pyenv Python, for instance).
set -euo pipefail

cd "$(dirname "$0")/.."
PY=/usr/bin/python3
ROUNDS=${ROUNDS:-3}
ACTS=${ACTS:-relu gelu}
WIDTHS=${WIDTHS:-128 512 1024}
THREADS=${THREADS:-1 $(nproc)}
OUT=${OUT:-$(mktemp -d -t bench-vs-pytorch.XXXXXX)}
mkdir -p "$OUT"

# Timed steps per run, by width: enough for a median, few enough that a
# width-1024 gradbench step (about a second) keeps the whole run in minutes.
steps_for() {
	case $1 in
	128) echo 30 ;;
	512) echo 12 ;;
	*) echo 6 ;;
	esac
}

need_pkgs=()
if ! [ -x "$PY" ] || ! "$PY" -c 'import torch' 2>/dev/null; then
	need_pkgs+=(python3-torch)
fi
BLASES=${BLASES:-gonum openblas}
for p in libopenblas0-pthread $([[ " $BLASES " == *" openblas "* ]] && echo libopenblas-dev); do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		need_pkgs+=("$p")
	fi
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench-vs-pytorch: need ${need_pkgs[*]}; run as root or: sudo apt-get install ${need_pkgs[*]}" >&2
		exit 1
	fi
	echo "bench-vs-pytorch: installing ${need_pkgs[*]}" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >&2
fi

echo "bench-vs-pytorch: building the models test binaries ($BLASES)" >&2
for blas in $BLASES; do
	if [ "$blas" = openblas ]; then
		go test -c -tags openblas -o "$OUT/models-$blas.test" ./models/
	else
		go test -c -o "$OUT/models-$blas.test" ./models/
	fi
done

results=$OUT/results.jsonl
: >"$results"

run_go() { # act width threads steps round
	local blas
	for blas in $BLASES; do
		run_go1 "$blas" "$@"
	done
}

run_go1() { # blas act width threads steps round
	local line ms blas=$1
	shift
	line=$(GOMAXPROCS=$3 OPENBLAS_NUM_THREADS=$3 "$OUT/models-$blas.test" -test.run '^$' \
		-test.bench "^BenchmarkStep\$/^$1\$/^width=$2\$" \
		-test.benchtime "${4}x" -test.cpu "$3" | grep '^BenchmarkStep/')
	ms=$(awk '{for (i = 2; i <= NF; i++) if ($i == "median-ms/step") print $(i-1)}' <<<"$line")
	if [ -z "$ms" ]; then
		echo "bench-vs-pytorch: no median-ms/step in: $line" >&2
		exit 1
	fi
	printf '{"impl":"gradbench-%s","act":"%s","width":%s,"threads":%s,"steps":%s,"round":%s,"median_ms":%s}\n' \
		"$blas" "$1" "$2" "$3" "$4" "$5" "$ms" | tee -a "$results"
}

run_torch() { # act width threads steps round
	OMP_NUM_THREADS=$3 OPENBLAS_NUM_THREADS=$3 "$PY" scripts/torch_reference.py \
		--act "$1" --width "$2" --threads "$3" --steps "$4" --warmup 3 |
		"$PY" -c 'import json, sys; d = json.loads(sys.stdin.read()); d["round"] = int(sys.argv[1]); print(json.dumps(d))' "$5" |
		tee -a "$results"
}

{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), nproc $(nproc)"
	echo "go: $(go version)"
	echo "torch: $("$PY" -c 'import torch; print(torch.__version__)')"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/env.txt" >&2

for round in $(seq 1 "$ROUNDS"); do
	for threads in $THREADS; do
		for act in $ACTS; do
			for width in $WIDTHS; do
				steps=$(steps_for "$width")
				if [ $((round % 2)) -eq 1 ]; then
					run_go "$act" "$width" "$threads" "$steps" "$round" >&2
					run_torch "$act" "$width" "$threads" "$steps" "$round" >&2
				else
					run_torch "$act" "$width" "$threads" "$steps" "$round" >&2
					run_go "$act" "$width" "$threads" "$steps" "$round" >&2
				fi
			done
		done
	done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/env.txt" >&2

"$PY" - "$results" <<'EOF' | tee "$OUT/table.txt"
import collections, json, statistics, sys

runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    d = json.loads(line)
    runs[(d["act"], d["width"], d["threads"], d["impl"])].append(d["median_ms"])
keys = sorted({k[:3] for k in runs}, key=lambda k: (k[2], k[0], k[1]))
impls = sorted({k[3] for k in runs if k[3] != "pytorch"})
head = ["act", "width", "threads"] + [f"{i} ms" for i in impls] + ["pytorch ms"] + [f"{i}/pytorch" for i in impls] + ["rounds"]
print("| " + " | ".join(head) + " |")
print("| " + " | ".join(["---"] + ["---:"] * (len(head) - 1)) + " |")
for act, width, threads in keys:
    p = runs.get((act, width, threads, "pytorch"), [])
    gs = [runs.get((act, width, threads, i), []) for i in impls]
    if not p or not all(gs):
        continue
    pm = statistics.median(p)
    gm = [statistics.median(g) for g in gs]
    cells = [act, str(width), str(threads)] + [f"{m:.1f}" for m in gm] + [f"{pm:.1f}"] + [f"{m / pm:.2f}" for m in gm]
    cells.append(str(min(len(x) for x in gs + [p])))
    print("| " + " | ".join(cells) + " |")
EOF
echo "bench-vs-pytorch: raw results in $results" >&2
