#!/usr/bin/env python3
"""Turns the results of scripts/gpu-check.sh into one Markdown report.

  python3 scripts/gpu_report.py OUT_DIR [--dry-run]

Reads OUT_DIR/env.txt, build.txt, info.txt, gotest-graph.txt,
runs/diff-ACT-N.json (gradbench diff), memory.csv and speed.jsonl, whichever
exist, and prints the report. The tolerances it judges by:

- CPU and GPU runs start from the same weights, so at step 1 the loss and
  every gradient norm must agree to float32 arithmetic: relative gap at most
  1e-5.
- Over the first 8 and 50 steps: at most 1e-4 and 1e-3 for sigmoid, tanh
  and GELU. The 20-layer ReLU and leaky-ReLU networks under Adam amplify a
  rounding difference about tenfold per step, so two CPU builds (gonum and
  OpenBLAS) already differ by 2e-2 and 0.4 in gradient norms within 8 steps
  and by 0.15 and 0.37 in loss by step 50; for those only step 1 is judged
  and the later gaps are reported.
- Memory: device memory may not grow by more than 16 MiB between the first
  sample from step 500 on and the last.
- Speed targets: the GPU faster than the CPU build from width 1024 up, and
  within 2x of PyTorch's eager mode at width 4096.
"""

import csv
import json
import os
import re
import sys

STEP1, STEP8, STEP50 = 1e-5, 1e-4, 1e-3
CHAOTIC = {"relu", "leakyrelu"}
ACTS = ["sigmoid", "tanh", "relu", "leakyrelu", "gelu"]


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def fmt(x):
    if x is None:
        return "–"
    if isinstance(x, str):
        return x
    if x != x:
        return "NaN"
    if x == 0:
        return "0"
    return f"{x:.2g}" if abs(x) < 0.01 or abs(x) >= 1000 else f"{x:.3g}"


def correctness(out, lines):
    rows, ok_all = [], True
    for act in ACTS:
        gaps = {}
        for n in (1, 8, 50):
            txt = read(os.path.join(out, "runs", f"diff-{act}-{n}.json"))
            if txt:
                d = json.loads(txt)
                gaps[n] = (d["loss"]["rel"], d["norm"]["rel"])
        if not gaps:
            continue
        verdict = "agree"
        checks = [(1, STEP1)] + ([] if act in CHAOTIC else [(8, STEP8), (50, STEP50)])
        for n, tol in checks:
            g = gaps.get(n)
            if g is None or not (g[0] <= tol and g[1] <= tol):
                verdict = "DIFFER"
        if verdict != "agree":
            ok_all = False
        if act in CHAOTIC and verdict == "agree":
            verdict = "agree at step 1 (later steps: reported only)"
        g1, g8, g50 = gaps.get(1, (None, None)), gaps.get(8, (None, None)), gaps.get(50, (None, None))
        rows.append(f"| {act} | {fmt(g1[0])} | {fmt(g1[1])} | {fmt(g8[0])} | {fmt(g8[1])} | {fmt(g50[0])} | {fmt(g50[1])} | {verdict} |")
    if rows:
        lines += ["", "### CPU build against CUDA build: same seed and flags, MNIST, 50 steps",
                  f"Largest relative gap |a−b|/max(|a|,|b|). Tolerances: step 1 ≤ {STEP1:g} for every activation; "
                  f"steps 1–8 ≤ {STEP8:g} and 1–50 ≤ {STEP50:g} for sigmoid, tanh and GELU. ReLU and leaky ReLU "
                  "amplify rounding differences about tenfold a step, so their later gaps are reported, not judged.", "",
                  "| act | loss, step 1 | norms, step 1 | loss, ≤8 | norms, ≤8 | loss, ≤50 | norms, ≤50 | verdict |",
                  "|---|---|---|---|---|---|---|---|"] + rows
    return ok_all if rows else None


def gotest(out, lines):
    txt = read(os.path.join(out, "gotest-graph.txt"))
    if txt is None or txt.startswith("skipped"):
        return None
    results = re.findall(r"^\s*--- (PASS|FAIL|SKIP): (\S+)", txt, re.M)
    rc = re.search(r"^rc (\d+)", txt, re.M)
    ok = rc is not None and rc.group(1) == "0"
    passed = sum(1 for r, _ in results if r == "PASS")
    failed = [n for r, n in results if r == "FAIL"]
    keys = [n for _, n in results if n.startswith(("TestErfOnGPU", "TestKernelsRegistered", "TestMLPGradients/gelu", "TestErf"))]
    lines += ["", f"### go test ./graph/ on the device: {'PASS' if ok else 'FAIL'} ({passed} passed"
              + (f", failed: {', '.join(failed)}" if failed else "") + ")",
              "Includes " + (", ".join(sorted(set(keys))) if keys else "no GPU-specific test (dry run)") + "."]
    return ok


def memory(out, lines):
    path = os.path.join(out, "memory.csv")
    if not os.path.exists(path):
        return None
    rows = []
    with open(path) as f:
        for r in csv.DictReader(f):
            try:
                step = int(r["step"])
            except ValueError:
                continue
            gpu = float(r["gpu_mib"]) if r["gpu_mib"] else None
            rows.append((float(r["elapsed_s"]), step, gpu, float(r["rss_mib"])))
    if not rows:
        lines += ["", "### Memory over 1,000 steps: no samples"]
        return False
    # Steady state: from half-way (step 500), after the evaluation graph,
    # cuBLAS's workspaces and Go's heap have reached their working size.
    late = [r for r in rows if r[1] >= 500] or rows
    first, last = late[0], late[-1]
    gpu_vals = [r[2] for r in late if r[2] is not None]
    ok = None
    if gpu_vals:
        growth = last[2] - first[2] if first[2] is not None and last[2] is not None else None
        ok = growth is not None and growth <= 16
        gpu_txt = f"{fmt(first[2])} MiB at step {first[1]} → {fmt(last[2])} MiB at step {last[1]} (max {fmt(max(gpu_vals))}, growth {fmt(growth)} MiB)"
    else:
        gpu_txt = "not sampled (no nvidia-smi)"
    rc = (read(os.path.join(out, "memory-rc.txt")) or "").strip()
    lines += ["", f"### Memory over 1,000 GELU steps ({len(rows)} samples, run {rc or 'rc ?'})",
              f"- device memory: {gpu_txt}" + ("" if ok is None else (" — flat" if ok else " — GROWS")),
              f"- host resident memory: {fmt(first[3])} MiB → {fmt(last[3])} MiB (max {fmt(max(r[3] for r in late))})"]
    return ok


def speed(out, lines):
    path = os.path.join(out, "speed.jsonl")
    if not os.path.exists(path):
        return None
    by = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            side = r["side"]
            by[(r["act"], r["width"], r["batch"], side)] = None if r.get("failed") else r.get("median_ms")
    keys = sorted({k[:3] for k in by}, key=lambda k: (k[0], k[1], k[2]))
    rows, ok, judged = [], True, False
    for act, w, b in keys:
        gpu, cpu, torch = by.get((act, w, b, "gpu")), by.get((act, w, b, "cpu")), by.get((act, w, b, "torch"))
        speedup = cpu / gpu if gpu and cpu else None
        ratio = gpu / torch if gpu and torch else None
        if w >= 1024 and speedup is not None:
            judged = True
            ok = ok and speedup > 1
        if w >= 4096 and ratio is not None:
            judged = True
            ok = ok and ratio <= 2
        rows.append(f"| {act} | {w} | {b} | {fmt(gpu)} | {fmt(cpu)} | {fmt(torch)} | {fmt(speedup)} | {fmt(ratio)} |")
    lines += ["", "### ms per step (median), depth 20: gradbench on the GPU and the CPU, PyTorch eager on the GPU",
              "Targets: CPU/GPU > 1 from width 1024; GPU/PyTorch ≤ 2 at width 4096.", "",
              "| act | width | batch | gradbench GPU | gradbench CPU | PyTorch GPU | CPU/GPU | GPU/PyTorch |",
              "|---|---|---|---|---|---|---|---|"] + rows
    return ok if judged else None


def main():
    if len(sys.argv) < 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    out, dry = sys.argv[1], "--dry-run" in sys.argv[2:]
    lines = ["## GPU check" + (" (DRY RUN: the OpenBLAS CPU build stood in for the GPU binary)" if dry else "")]
    env = read(os.path.join(out, "env.txt"))
    if env:
        lines += ["", "```", env.strip(), "```"]
    build = read(os.path.join(out, "build.txt"))
    if build:
        b = dict(l.split(" ", 1) for l in build.split("\n") if " " in l)
        made = read(os.path.join(out, "make-gpu.txt")) or ""
        last = made.strip().split("\n")[-1] if made.strip() else ""
        built = b.get("gpu_build_rc") == "0"
        lines += ["", f"make gpu: {'built' if built else 'FAILED'} in {b.get('gpu_build_s', '?')} s — {last}"]
        if not built:
            errs = [l for l in made.split("\n") if re.search(r"error|could not determine|undefined reference|not found", l)]
            lines += ["", "```"] + (errs[:20] or made.strip().split("\n")[-20:]) + ["```"]
    info = read(os.path.join(out, "info.txt"))
    if info:
        places = re.findall(r"^(gpu|cpu)\s+(\d+)\s+", info, re.M)
        g = sum(int(n) for w, n in places if w == "gpu")
        c = sum(int(n) for w, n in places if w == "cpu")
        lines += [f"gradbench info (GELU graph): {g} nodes on the GPU, {c} on the CPU (table in info.txt)"]
    verdicts = {
        "go test on the device": gotest(out, lines),
        "CPU and GPU agree": correctness(out, lines),
        "device memory flat": memory(out, lines),
        "speed targets": speed(out, lines),
    }
    lines += ["", "### Verdicts", ""]
    for k, v in verdicts.items():
        lines.append(f"- {k}: {'not run' if v is None else ('yes' if v else 'NO')}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
