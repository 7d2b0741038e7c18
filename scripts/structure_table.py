#!/usr/bin/env python3
"""Step-1 gradient profiles of gradbench runs, as a Markdown table.

For each run directory (or compare directory, standing for the runs in it)
prints one row: the run's label (activation and structure), its test
accuracy, and at the first logged step (the network as initialised):

  W ratio   first-layer weight-gradient norm over the output layer's
            (summary.json's grad_ratio_first);
  W gain    per-layer gain of the hidden layers' weight-gradient norms
            (the report's "gain (start)");
  δ ratio   layer 0's bias-gradient norm over the last hidden layer's: a
            bias gradient is the batch sum of that layer's backpropagated
            error δ, so this ratio follows the error signal itself, without
            the forward activations a that the weight gradient aᵀδ carries;
  z growth  the last hidden layer's pre-activation standard deviation over
            the first's (act_stats.csv): how much the forward signal grows
            (with LayerNorm the pre-activation is LN's output, about 1 by
            construction at initialisation).

Usage: scripts/structure_table.py RUN_OR_COMPARE_DIR...
"""
import csv
import json
import os
import sys


# gradbench's report order of activations (graph.Canonical).
ORDER = ["sigmoid", "tanh", "relu", "leakyrelu", "gelu"]


def runs(paths):
    for p in paths:
        if os.path.exists(os.path.join(p, "summary.json")):
            yield p
            continue
        names = [d for d in os.listdir(p) if os.path.exists(os.path.join(p, d, "summary.json"))]
        for d in sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n)):
            yield os.path.join(p, d)


def label(c):
    parts = [c["act"]]
    if c.get("residual"):
        parts.append("residual")
    if c.get("norm", "none") != "none":
        parts.append(c["norm"])
    return "+".join(parts)


def fmt(x, f="%.3g"):
    return "n/a" if x is None else f % x


def row(d):
    s = json.load(open(os.path.join(d, "summary.json")))
    c = s["config"]
    depth, step = c["depth"], s["first_logged_step"]
    w, b = {}, {}
    with open(os.path.join(d, "grad_norms.csv")) as f:
        for r in csv.DictReader(f):
            if int(r["step"]) == step:
                {"weight": w, "bias": b}.get(r["param"], {})[int(r["layer"])] = float(r["l2"])
    std = {}
    with open(os.path.join(d, "act_stats.csv")) as f:
        for r in csv.DictReader(f):
            if int(r["step"]) == step:
                std[int(r["layer"])] = float(r["pre_std"])
    gain = (w[1] / w[depth - 1]) ** (1 / (depth - 2)) if depth >= 3 and w[depth - 1] > 0 else None
    delta = b[0] / b[depth - 1] if b.get(depth - 1) else None
    growth = std[depth - 1] / std[0] if std.get(0) else None
    return [label(c), str(depth), fmt(s["test_accuracy"], "%.4f"), fmt(s["grad_ratio_first"]), fmt(gain, "%.3f"), fmt(delta), fmt(growth)]


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    head = ["run", "depth", "test acc", "W ratio first/last", "W gain", "δ ratio first/last hidden", "z std last/first hidden"]
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    for d in runs(sys.argv[1:]):
        print("| " + " | ".join(row(d)) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
