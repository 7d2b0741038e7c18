#!/usr/bin/env python3
"""PyTorch reference for gradbench's training step: speed, and gradients.

The network is the one gradbench trains: Linear(784, w), depth-1 more
hidden Linear(w, w) (so `depth` hidden layers in all, 20 by default, as
gradbench's --depth), each followed by the activation, then Linear(w, 10);
softmax cross-entropy, Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8), float32,
batch 128. GELU is the exact one, nn.GELU(approximate='none').
--residual and --norm layernorm build gradbench's blocks of the same
names: nn.LayerNorm(w, eps=1e-5) between every hidden Linear and its
activation, and h + act(...) for every hidden Linear(w, w) (the first
layer and the output layer stay plain).

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

Gradient check (--check CKPT...): each CKPT is a gradbench checkpoint
(models/checkpoint.go) taken before the first step, of a run whose
training split is exactly one batch (--train-size equal to --batch), so
the first batch is the first train-size MNIST images whatever their
order. The script builds the checkpoint's network, loads its parameters
(in ParamNames order), computes the first step's gradients on those
images and prints, per checkpoint, one JSON line
  {"checkpoint": CKPT, "loss": ..., "norms": [{"param": "layer 0 weight", "l2": ...}, ...]}
with every gradient's L2 norm (squares summed in float64), in the
checkpoint's parameter order. --data-dir is the folder holding mnist/.
models/torch_test.go drives it and compares with gradbench's step 1.

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
    p.add_argument("--residual", action="store_true", help="h + act(W h + b) for every hidden Linear(w, w)")
    p.add_argument("--norm", default="none", choices=["none", "layernorm"])
    p.add_argument("--check", nargs="+", metavar="CKPT", help="print the first step's gradient norms of these checkpoints")
    p.add_argument("--data-dir", default="datasets", help="folder holding mnist/ (with --check)")
    return p.parse_args()


def ints(text):
    return [int(x) for x in text.split(",") if x.strip()]


def make_net(torch, nn, act, depth, width, residual, norm, leaky_slope, in_dim=784, classes=10):
    """Returns gradbench's network as an nn.Module."""
    acts = {
        "relu": lambda: nn.ReLU(),
        "gelu": lambda: nn.GELU(approximate="none"),
        "sigmoid": lambda: nn.Sigmoid(),
        "tanh": lambda: nn.Tanh(),
        "leakyrelu": lambda: nn.LeakyReLU(leaky_slope),
    }

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            fans = [in_dim] + [width] * depth
            self.linears = nn.ModuleList(nn.Linear(fans[i], width) for i in range(depth))
            self.linears.append(nn.Linear(width, classes))
            self.norms = nn.ModuleList(nn.LayerNorm(width, eps=1e-5) for _ in range(depth)) if norm == "layernorm" else None
            self.acts = nn.ModuleList(acts[act]() for _ in range(depth))

        def forward(self, x):
            h = x
            for i in range(depth):
                z = self.linears[i](h)
                if self.norms is not None:
                    z = self.norms[i](z)
                a = self.acts[i](z)
                h = h + a if residual and i >= 1 else a
            return self.linears[depth](h)

        def named(self):
            """(gradbench name, tensor, transpose) of every parameter, in gradbench's order."""
            out = []
            for i, lin in enumerate(self.linears):
                out += [(f"layer {i} weight", lin.weight, True), (f"layer {i} bias", lin.bias, False)]
                if self.norms is not None and i < depth:
                    out += [(f"layer {i} ln_gain", self.norms[i].weight, False), (f"layer {i} ln_bias", self.norms[i].bias, False)]
            return out

    return Net()


def read_checkpoint(path):
    """Returns the metadata and the parameter arrays of a gradbench checkpoint."""
    import struct
    import zlib
    with open(path, "rb") as f:
        b = f.read()
    if b[:8] != b"GBCKPT\0\1":
        raise SystemExit(f"{path}: not a gradbench checkpoint")
    version, n, crc = struct.unpack_from("<IQI", b, 8)
    payload = b[24:]
    if version != 2 or len(payload) != n or zlib.crc32(payload) != crc:
        raise SystemExit(f"{path}: version {version} or damaged; this script reads version 2")
    (mlen,) = struct.unpack_from("<I", payload, 0)
    meta = json.loads(payload[4:4 + mlen])
    off = 4 + mlen
    (count,) = struct.unpack_from("<I", payload, off)
    off += 4
    params = []
    for _ in range(count):
        (k,) = struct.unpack_from("<Q", payload, off)
        off += 8
        params.append(struct.unpack_from(f"<{k}d", payload, off))
        off += 8 * k
    return meta, params


def read_images(data_dir, n):
    """Returns the first n MNIST training images scaled to [0, 1] and their labels."""
    import gzip
    import struct

    def idx(base):
        for name in (base + ".gz", base):
            path = os.path.join(data_dir, "mnist", name)
            if os.path.exists(path):
                opener = gzip.open if name.endswith(".gz") else open
                with opener(path, "rb") as f:
                    return f.read()
        raise SystemExit(f"no {base} in {data_dir}/mnist: run make data")

    img, lab = idx("train-images-idx3-ubyte"), idx("train-labels-idx1-ubyte")
    _, count, rows, cols = struct.unpack_from(">IIII", img, 0)
    dim = rows * cols
    pixels = [list(img[16 + i * dim:16 + (i + 1) * dim]) for i in range(n)]
    labels = list(lab[8:8 + n])
    return pixels, labels


def check(args):
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    cache = {}
    for path in args.check:
        meta, params = read_checkpoint(path)
        c = meta["config"]
        if c["train_size"] != c["batch"] or c["dataset"] != "mnist":
            raise SystemExit(f"{path}: the run must train on mnist with --train-size equal to --batch")
        dt = {"float32": torch.float32, "float64": torch.float64}[c["dtype"]]
        net = make_net(torch, nn, c["act"], c["depth"], c["width"], c.get("residual", False), c.get("norm", "none"), c["leaky_slope"])
        net = net.to(dt)
        named = net.named()
        if [n for n, _, _ in named] != meta["param_names"]:
            raise SystemExit(f"{path}: parameters {meta['param_names'][:4]}... are not this network's {[n for n, _, _ in named][:4]}...")
        with torch.no_grad():
            for (name, t, transpose), values in zip(named, params):
                v = torch.tensor(values, dtype=torch.float64)
                if transpose:  # gradbench's weight is fan-in x fan-out, nn.Linear's fan-out x fan-in
                    v = v.reshape(t.shape[1], t.shape[0]).t()
                t.copy_(v.reshape(t.shape).to(dt))
        if c["batch"] not in cache:
            cache[c["batch"]] = read_images(args.data_dir, c["batch"])
        pixels, labels = cache[c["batch"]]
        # gradbench scales in float32 (byte / 255), then converts.
        x = (torch.tensor(pixels, dtype=torch.float32) / 255).to(dt)
        y = torch.tensor(labels, dtype=torch.long)
        net.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        norms = [{"param": name, "l2": torch.linalg.vector_norm(t.grad, dtype=torch.float64).item()} for name, t, _ in named]
        print(json.dumps({"checkpoint": path, "loss": loss.item(), "norms": norms}))
    return 0


def main():
    args = parse_args()
    if args.check:
        return check(args)
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

    in_dim, classes = 784, 10
    model = make_net(torch, nn, act, args.depth, width, args.residual, args.norm, args.leaky_slope).to(dev)
    linears = list(model.linears)
    # gradbench's "auto" initialisation: Xavier uniform for sigmoid and tanh,
    # He normal for the rest, biases zero (LayerNorm: gain 1, bias 0, its default).
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
        # The per-parameter gradient-norm read, before the optimiser step.
        total = 0.0
        for _, t, _ in model.named():
            s = torch.linalg.vector_norm(t.grad, dtype=torch.float64).item()
            total += s * s
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
        "residual": args.residual,
        "norm": args.norm,
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
