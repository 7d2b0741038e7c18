#!/usr/bin/env python3
"""PyTorch reference for gradbench's training step, for speed comparisons.

The network is the one gradbench trains: Linear(784, w), depth-1 more
hidden Linear(w, w) (so `depth` hidden layers in all, 20 by default, as
gradbench's --depth), each followed by the activation, then Linear(w, 10);
softmax cross-entropy, Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8), float32,
batch 128. GELU is the exact one, nn.GELU(approximate='none').

A timed step is what a logged gradbench step does: forward, loss, backward,
the per-layer gradient-norm read (torch.linalg.vector_norm of every weight
and bias gradient, squares summed in float64, plus the global norm), then
optimizer.step(). Inputs are random (torch.manual_seed), pixels in [0, 1].

With --device cuda the same network runs on the GPU in eager mode (the
reference of scripts/gpu-check.sh); the norm read's .item() calls make
each step wait for the GPU, as gradbench's read of the norms does.

It prints one JSON line, e.g.
  {"impl": "pytorch", "act": "relu", "width": 128, "threads": 1, "median_ms": 3.1, ...}

Grid mode (--grid) times every combination of --acts, --widths and --batches
in one process (one import of torch, one CUDA start-up), printing one JSON
line per configuration as soon as it is measured; a configuration that fails
(out of memory, say) prints a line with "failed": true and its error, and the
next one runs. --big-steps sets the timed steps from width 4096 on.

Usage:
  /usr/bin/python3 scripts/torch_reference.py --act relu --width 128 --threads 1
  python3 scripts/torch_reference.py --grid --device cuda --acts relu,gelu \
      --widths 128,1024,4096 --batches 128,1024 --steps 10

Needs torch; on Debian: apt-get install python3-torch libopenblas0-pthread
(then run it with /usr/bin/python3). Not part of the tests or CI.
"""

import argparse
import json
import os
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--act", default="relu", choices=["relu", "gelu", "sigmoid", "tanh", "leakyrelu"])
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--depth", type=int, default=20, help="hidden layers (Linear + activation), as gradbench --depth")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=30, help="timed steps")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--leaky-slope", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--grid", action="store_true", help="time every combination of --acts, --widths, --batches")
    p.add_argument("--acts", default="relu,gelu", help="grid: activations, comma-separated")
    p.add_argument("--widths", default="128,1024,4096", help="grid: widths, comma-separated")
    p.add_argument("--batches", default="128,1024", help="grid: batch sizes, comma-separated")
    p.add_argument("--big-steps", type=int, default=0, help="grid: timed steps from width 4096 on (0: --steps)")
    return p.parse_args()


def ints(text):
    return [int(x) for x in text.split(",") if x.strip()]


def main():
    args = parse_args()
    # Thread counts of the OpenMP runtime and of OpenBLAS are read when the
    # libraries load, so they are set before torch is imported.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import torch

    torch.set_num_threads(args.threads)
    if args.device == "cuda" and not torch.cuda.is_available():
        print("torch_reference.py: --device cuda, but torch sees no GPU", file=sys.stderr)
        return 2
    if not args.grid:
        print(json.dumps(measure(torch, args, args.act, args.width, args.batch, args.steps)))
        return 0
    failed = 0
    for width in ints(args.widths):
        for batch in ints(args.batches):
            for act in [a for a in args.acts.split(",") if a]:
                steps = args.big_steps if args.big_steps and width >= 4096 else args.steps
                try:
                    line = measure(torch, args, act, width, batch, steps)
                except Exception as e:  # out of memory, say: record it and go on
                    failed += 1
                    line = {"impl": "pytorch", "act": act, "width": width, "depth": args.depth, "batch": batch,
                            "failed": True, "error": f"{type(e).__name__}: {e}"[:300]}
                print(json.dumps(line), flush=True)
                if args.device == "cuda":
                    torch.cuda.empty_cache()
    return 1 if failed else 0


def measure(torch, args, act, width, batch, steps):
    """Times one configuration; returns its JSON line as a dict."""
    from torch import nn

    torch.manual_seed(args.seed)
    dev = torch.device(args.device)

    acts = {
        "relu": lambda: nn.ReLU(),
        "gelu": lambda: nn.GELU(approximate="none"),
        "sigmoid": lambda: nn.Sigmoid(),
        "tanh": lambda: nn.Tanh(),
        "leakyrelu": lambda: nn.LeakyReLU(args.leaky_slope),
    }
    in_dim, classes = 784, 10
    layers = []
    fan_in = in_dim
    for _ in range(args.depth):
        layers += [nn.Linear(fan_in, width), acts[act]()]
        fan_in = width
    layers.append(nn.Linear(fan_in, classes))
    model = nn.Sequential(*layers).to(dev)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    # gradbench's "auto" initialisation: Xavier uniform for sigmoid and tanh,
    # He normal for the rest, biases zero.
    with torch.no_grad():
        for lin in linears:
            if act in ("sigmoid", "tanh"):
                nn.init.xavier_uniform_(lin.weight)
            else:
                nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            lin.bias.zero_()

    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = nn.CrossEntropyLoss()

    # 8 distinct batches, cycled, like models/bench_test.go.
    nb = 8
    xs = torch.rand(nb, batch, in_dim, dtype=torch.float32).to(dev)
    ys = torch.randint(0, classes, (nb, batch)).to(dev)

    def sync():
        if args.device == "cuda":
            torch.cuda.synchronize()

    def step(i):
        x, y = xs[i % nb], ys[i % nb]
        opt.zero_grad(set_to_none=True)
        logits = model(x)
        loss = loss_fn(logits, y)
        loss.backward()
        loss_v = loss.item()
        correct = int((logits.argmax(1) == y).sum().item())
        # The per-layer gradient-norm read, before the optimiser step.
        total = 0.0
        norms = []
        for lin in linears:
            sw = torch.linalg.vector_norm(lin.weight.grad, dtype=torch.float64).item()
            sb = torch.linalg.vector_norm(lin.bias.grad, dtype=torch.float64).item()
            norms.append((sw, sb))
            total += sw * sw + sb * sb
        global_norm = total ** 0.5
        opt.step()
        return loss_v, correct, global_norm

    for i in range(args.warmup):
        step(i)
    times, cpus = [], []
    loss = gnorm = float("nan")
    for i in range(args.warmup, args.warmup + steps):
        sync()
        t0, c0 = time.perf_counter(), time.process_time()
        loss, _, gnorm = step(i)
        sync()
        times.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)

    return {
        "impl": "pytorch",
        "device": torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu",
        "act": act,
        "width": width,
        "depth": args.depth,
        "batch": batch,
        "threads": args.threads,
        "torch_threads": torch.get_num_threads(),
        "steps": steps,
        "median_ms": round(statistics.median(times), 3),
        "median_cpu_ms": round(statistics.median(cpus), 3),
        "min_ms": round(min(times), 3),
        "last_loss": loss,
        "last_global_norm": gnorm,
        "torch": torch.__version__,
    }


if __name__ == "__main__":
    sys.exit(main())
