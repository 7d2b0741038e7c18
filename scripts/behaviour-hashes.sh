#!/usr/bin/env bash
# Prints the sha256 of every number-bearing file of a fixed set of small
# runs: one train per activation, a compare, an interrupted-and-resumed
# run and a two-run sweep. metrics.csv is hashed without its wall-clock
# column (elapsed_s). A refactor must leave this output unchanged:
#
#   scripts/behaviour-hashes.sh BIN > before.txt; (change); scripts/behaviour-hashes.sh BIN > after.txt
#   diff before.txt after.txt
set -euo pipefail
BIN=${1:-bin/gradbench}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
SMALL=(--dataset mnist --data-dir "$ROOT/datasets" --train-size 1280 --test-size 200 --depth 6 --width 32 --batch 64 --log-every 3 --quiet)
hashes() {
	local dir=$1 label=$2 f
	for f in grad_norms.csv act_stats.csv epochs.csv; do
		printf '%s %s/%s\n' "$(sha256sum <"$dir/$f" | cut -d' ' -f1)" "$label" "$f"
	done
	printf '%s %s/metrics.csv\n' "$(cut -d, -f1-6 <"$dir/metrics.csv" | sha256sum | cut -d' ' -f1)" "$label"
	# summary.json without its wall-clock fields.
	printf '%s %s/summary.json\n' "$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); [s.pop(k) for k in ("ms_per_step","wall_clock")]; print(json.dumps(s,sort_keys=True))' "$dir/summary.json" | sha256sum | cut -d' ' -f1)" "$label"
}
for a in sigmoid tanh relu leakyrelu gelu; do
	"$BIN" train --act "$a" "${SMALL[@]}" --out "$W/train-$a" >/dev/null
	hashes "$W/train-$a" "train-$a"
done
"$BIN" compare --acts relu,tanh --jobs 2 "${SMALL[@]}" --out "$W/compare" >/dev/null
for a in tanh relu; do hashes "$W/compare/$a" "compare/$a"; done
# Interrupted after a few steps (SIGINT), then resumed to the end.
"$BIN" train --act gelu "${SMALL[@]}" --epochs 3 --checkpoint-every 5 --out "$W/resumed" >/dev/null &
pid=$!
for _ in $(seq 200); do
	[ -s "$W/resumed/metrics.csv" ] && [ "$(wc -l <"$W/resumed/metrics.csv")" -gt 8 ] && break
	sleep 0.05
done
kill -INT "$pid" 2>/dev/null || true
wait "$pid" || true
"$BIN" train --resume "$W/resumed" --quiet >/dev/null
hashes "$W/resumed" resumed
cat >"$W/grid.toml" <<TOML
act = ["relu", "gelu"]
dataset = "mnist"
data-dir = "$ROOT/datasets"
train-size = 1280
test-size = 200
depth = 6
width = 32
batch = 64
log-every = 3
TOML
"$BIN" sweep --grid "$W/grid.toml" --out "$W/sweep" --jobs 2 --quiet >/dev/null
for r in act=relu act=gelu; do hashes "$W/sweep/runs/$r" "sweep/$r"; done
