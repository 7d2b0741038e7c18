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
# Both report the median wall time and the median CPU time (user + system
# of the whole process, its GC or thread pool included) of a step; the
# table shows both, since a loaded machine disturbs CPU time less.
# The two alternate, and swap which goes first every round; each
# configuration runs ROUNDS times and the table shows the median over rounds.
#
# Usage: scripts/bench-vs-pytorch.sh            (from anywhere in the repo)
#        QUICK=1 scripts/bench-vs-pytorch.sh    (widths 128 and 512, one thread,
#                                                3 rounds, fewer steps: < 3 min)
# Environment: ROUNDS (5), ACTS ("relu gelu"), WIDTHS ("128 512 1024"),
#   BLASES ("openblas gonum": the build make build gives first, OpenBLAS's,
#   then the pure-Go one; see the Makefile),
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
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	ROUNDS=${ROUNDS:-3}
	WIDTHS=${WIDTHS:-128 512}
	THREADS=${THREADS:-1}
fi
ROUNDS=${ROUNDS:-5}
ACTS=${ACTS:-relu gelu}
WIDTHS=${WIDTHS:-128 512 1024}
THREADS=${THREADS:-1 $(nproc)}
OUT=${OUT:-$(mktemp -d -t bench-vs-pytorch.XXXXXX)}
mkdir -p "$OUT"

# Timed steps per run, by width: enough for a median, few enough that a
# width-1024 gradbench step (about a second) keeps the whole run in minutes.
steps_for() {
	if [ "$QUICK" = 1 ]; then
		case $1 in 128) echo 15 ;; *) echo 5 ;; esac
		return
	fi
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
BLASES=${BLASES:-openblas gonum}
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
	apt-get -o DPkg::Lock::Timeout=600 update -qq
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need_pkgs[@]}" >&2
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
	cpu=$(awk '{for (i = 2; i <= NF; i++) if ($i == "median-cpu-ms/step") print $(i-1)}' <<<"$line")
	if [ -z "$ms" ] || [ -z "$cpu" ]; then
		echo "bench-vs-pytorch: no median-ms/step or median-cpu-ms/step in: $line" >&2
		exit 1
	fi
	printf '{"impl":"gradbench-%s","act":"%s","width":%s,"threads":%s,"steps":%s,"round":%s,"median_ms":%s,"median_cpu_ms":%s}\n' \
		"$blas" "$1" "$2" "$3" "$4" "$5" "$ms" "$cpu" | tee -a "$results"
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
cpu = collections.defaultdict(list)
for line in open(sys.argv[1]):
    d = json.loads(line)
    k = (d["act"], d["width"], d["threads"], d["impl"])
    runs[k].append(d["median_ms"])
    cpu[k].append(d.get("median_cpu_ms", float("nan")))
keys = sorted({k[:3] for k in runs}, key=lambda k: (k[2], k[0], k[1]))
order = {"gradbench-openblas": 0, "gradbench-gonum": 1}
impls = sorted({k[3] for k in runs if k[3] != "pytorch"}, key=lambda i: (order.get(i, 9), i))
short = lambda i: i.replace("gradbench-", "")
head = (["act", "width", "threads"] + [f"{short(i)} ms (cpu)" for i in impls] + ["pytorch ms (cpu)"] +
        [f"{short(i)}/pytorch wall (cpu)" for i in impls] + ["rounds"])
print("| " + " | ".join(head) + " |")
print("| " + " | ".join(["---"] + ["---:"] * (len(head) - 1)) + " |")
med = statistics.median
for act, width, threads in keys:
    pk = (act, width, threads, "pytorch")
    if not runs.get(pk) or not all(runs.get((act, width, threads, i)) for i in impls):
        continue
    pm, pc = med(runs[pk]), med(cpu[pk])
    gk = [(act, width, threads, i) for i in impls]
    cells = [act, str(width), str(threads)]
    cells += [f"{med(runs[k]):.1f} ({med(cpu[k]):.1f})" for k in gk] + [f"{pm:.1f} ({pc:.1f})"]
    cells += [f"{med(runs[k]) / pm:.2f} ({med(cpu[k]) / pc:.2f})" for k in gk]
    cells.append(str(min(len(runs[k]) for k in gk + [pk])))
    print("| " + " | ".join(cells) + " |")
EOF
echo "bench-vs-pytorch: raw results in $results" >&2
