#!/usr/bin/env python3
"""Turns the results of scripts/gpu-check.sh into one Markdown report.

  python3 scripts/gpu_report.py WORK_DIR [--dry-run]

Reads what the check has written to WORK_DIR so far, whichever files exist
(gpu-check.sh runs it after every phase, so a cut-off run still has a
report): phases.tsv and steps.tsv (each phase's and command's result, time
and limit; the first 40 lines of the standard error of each that failed, from
phases/NAME.err and steps/NAME.err), preflight.txt, symbols.txt,
binaries.txt, info.txt, info-ptx.txt, runs/diff-ACT-N.json (gradbench diff),
gotest-graph.txt, memory.csv, speed.jsonl and native/ (make gpu on the GPU
machine itself). It prints the report. The tolerances it judges by:

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


def tsv(path):
    txt = read(path)
    if not txt:
        return []
    rows = [l.split("\t") for l in txt.strip().split("\n")]
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:]]


def head_of(path, n=40):
    txt = read(path)
    if not txt or not txt.strip():
        return None
    body = txt.rstrip("\n").split("\n")
    # A Go program stopped by the check's SIGQUIT: from its first goroutine
    # of its own, where it hung, rather than the runtime's idle threads.
    if "SIGQUIT: quit" in body:
        for i, l in enumerate(body):
            if l.startswith("goroutine ") and not l.startswith("goroutine 0 "):
                return body[:2] + ["…"] + body[i:i + n - 3]
    return body[:n]


def places(txt):
    p = re.findall(r"^(gpu|cpu)\s+(\d+)\s+", txt or "", re.M)
    return sum(int(n) for w, n in p if w == "gpu"), sum(int(n) for w, n in p if w == "cpu")


def phases(out, lines):
    rows = tsv(os.path.join(out, "phases.tsv"))
    if not rows:
        return
    lines += ["", "| phase | result | seconds | limit |", "|---|---|---|---|"]
    lines += [f"| {r['phase']} | {r['result']} | {r['seconds']} | {r['limit']} |" for r in rows]


def preflight(out, lines):
    txt = read(os.path.join(out, "preflight.txt"))
    if txt:
        body = txt.strip().split("\n")
        lines += ["", "### Preflight", "", "```"] + body[:90] + (["…"] if len(body) > 90 else []) + ["```"]
    sym = read(os.path.join(out, "symbols.txt"))
    ok = None
    if sym:
        lines += ["", "Libraries the prebuilt CUDA binaries import from (every imported function looked up):", ""]
        lines += [f"- {l}" for l in sym.strip().split("\n")]
        checked = [l for l in sym.split("\n") if re.match(r"^lib\S+: ", l)]
        if checked:
            ok = all("exports all" in l for l in checked)
    return ok


def binaries(out, lines):
    txt = read(os.path.join(out, "binaries.txt"))
    if txt:
        lines += ["", "### Binaries", "", "```", txt.strip(), "```"]
    info = read(os.path.join(out, "info.txt"))
    started = None
    if info is not None:
        g, c = places(info)
        started = g + c > 0
        lines += [f"gradbench info (GELU graph): {g} nodes on the GPU, {c} on the CPU (table in info.txt)"
                  if started else "gradbench info: FAILED (see Failures)"]
    ptx = read(os.path.join(out, "info-ptx.txt"))
    if ptx is not None:
        g, c = places(ptx)
        lines += [f"with GRADBENCH_PTX_DIR (this machine's nvcc): {g} nodes on the GPU, {c} on the CPU" if g + c
                  else "with GRADBENCH_PTX_DIR (this machine's nvcc): FAILED"]
    return started


def native(out, lines):
    build = read(os.path.join(out, "native", "build.txt"))
    made = read(os.path.join(out, "native", "make-gpu.txt"))
    if build is None and made is None:
        return None
    b = dict(l.split(" ", 1) for l in (build or "").split("\n") if " " in l)
    rc = b.get("gpu_build_rc")
    built = rc == "0"
    last = made.strip().split("\n")[-1] if made and made.strip() else ""
    state = "built" if built else ("still building when the check needed it" if rc in (None, "still building") else f"FAILED (rc {rc})")
    lines += ["", "### make gpu on this machine (beside the prebuilt binaries)",
              f"make gpu: {state}" + (f" in {b['gpu_build_s']} s" if "gpu_build_s" in b else "") + (f" — {last}" if last else "")]
    if made and not built:
        errs = [l for l in made.split("\n") if re.search(r"error|could not determine|undefined reference|not found|make gpu:", l)]
        lines += ["", "```"] + (errs[:20] or made.strip().split("\n")[-20:]) + ["```"]
    info = read(os.path.join(out, "native", "info.txt"))
    if info is not None:
        g, c = places(info)
        lines += [f"- info: {g} nodes on the GPU, {c} on the CPU" if g + c else "- info: FAILED (see Failures)"]
    sym = read(os.path.join(out, "native", "symbols.txt"))
    if sym:
        lines += [f"- {l}" for l in sym.strip().split("\n")]
    d = read(os.path.join(out, "runs", "diff-native-gelu-50.json"))
    ref = (read(os.path.join(out, "native", "diff-ref.txt")) or "").strip()
    smoke = None
    if d:
        j = json.loads(d)
        loss, norm = j["loss"]["rel"], j["norm"]["rel"]
        smoke = loss <= STEP50 and norm <= STEP50
        lines += [f"- 50 GELU steps, {ref}: largest relative gap {fmt(loss)} in loss, {fmt(norm)} in norms"
                  + (" — agree" if smoke else " — DIFFER")]
    # Built, and its 50 GELU steps agree with the prebuilt binary's.
    return bool(built and smoke)


def failures(out, lines):
    shown = []
    for r in tsv(os.path.join(out, "phases.tsv")):
        if r["result"] != "ok":
            h = head_of(os.path.join(out, "phases", r["phase"] + ".err"))
            shown.append((f"phase {r['phase']}: {r['result']}" + ("" if r["rc"] == "-" else f" (rc {r['rc']}, {r['seconds']} s of {r['limit']})"), h))
    for r in tsv(os.path.join(out, "steps.tsv")):
        if r["result"] != "ok":
            h = head_of(os.path.join(out, "steps", r["step"] + ".err"))
            shown.append((f"{r['phase']} / {r['step']}: {r['result']}" + ("" if r["rc"] == "-" else f" (rc {r['rc']}, {r['seconds']} s of {r['limit']})"), h))
    if not shown:
        return
    lines += ["", "### Failures (first 40 lines of standard error)"]
    for title, h in shown:
        lines += ["", f"**{title}**"]
        if h:
            lines += ["```"] + h + ["```"]


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
              "Includes " + (", ".join(sorted(set(keys))) if keys else "no GPU-specific test") + "."]
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
    notes = (read(os.path.join(out, "speed-notes.txt")) or "").strip()
    lines += ["", "### ms per step (median), depth 20: gradbench on the GPU and the CPU, PyTorch eager on the GPU",
              "Targets: CPU/GPU > 1 from width 1024; GPU/PyTorch ≤ 2 at width 4096."
              + (" Note: " + "; ".join(notes.split("\n")) + "." if notes else ""), "",
              "| act | width | batch | gradbench GPU | gradbench CPU | PyTorch GPU | CPU/GPU | GPU/PyTorch |",
              "|---|---|---|---|---|---|---|---|"] + rows
    return ok if judged else None


def main():
    if len(sys.argv) < 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    out, dry = sys.argv[1], "--dry-run" in sys.argv[2:]
    lines = ["## GPU check" + (" (DRY RUN: the CPU build stood in for the GPU binary)" if dry else "")]
    phases(out, lines)
    libs = preflight(out, lines)
    started = binaries(out, lines)
    verdicts = {
        "the libraries export every function the prebuilt binaries import": libs,
        "the GPU binary starts (info)": started,
        "go test on the device": gotest(out, lines),
        "CPU and GPU agree": correctness(out, lines),
        "device memory flat": memory(out, lines),
        "speed targets": speed(out, lines),
        "make gpu on this machine builds and agrees": native(out, lines),
    }
    failures(out, lines)
    lines += ["", "### Verdicts", ""]
    for k, v in verdicts.items():
        lines.append(f"- {k}: {'not run' if v is None else ('yes' if v else 'NO')}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
