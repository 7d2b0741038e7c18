#!/usr/bin/env python3
"""Records torch.optim.Adam's trajectory on a fixed problem, for
models/optim_test.go's TestAdamMatchesTorch.

Three float32 parameters of 7, 15 and 4 values start at
w0[j] = 0.1 * cos(1.7 * j + k); at step t (from 1) parameter k's gradient is
g[j] = sin(0.37 * (j + 1) * t + 0.11 * j) * scale[k], scale = 1, 1e-3, 30.
After 100 Adam steps (lr 1e-3, PyTorch's defaults) it writes the
parameters and both moments as float32 bit patterns to
models/testdata/adam_torch.json.

Usage: /usr/bin/python3 scripts/adam_torch_reference.py  (needs torch)
"""
import json
import math
import os
import struct

import torch

SIZES, SCALES, STEPS, LR = [7, 15, 4], [1.0, 1e-3, 30.0], 100, 1e-3


def bits(t):
    return [struct.unpack("<I", struct.pack("<f", float(x)))[0] for x in t.tolist()]


def main():
    torch.set_num_threads(1)
    params = [torch.tensor([0.1 * math.cos(1.7 * j + k) for j in range(n)], dtype=torch.float32, requires_grad=True)
              for k, n in enumerate(SIZES)]
    opt = torch.optim.Adam(params, lr=LR)
    for t in range(1, STEPS + 1):
        for k, p in enumerate(params):
            p.grad = torch.tensor([math.sin(0.37 * (j + 1) * t + 0.11 * j) * SCALES[k] for j in range(p.numel())],
                                  dtype=torch.float32)
        opt.step()
    out = {"torch": torch.__version__, "steps": STEPS, "lr": LR, "sizes": SIZES, "scales": SCALES,
           "params": [bits(p.detach()) for p in params],
           "exp_avg": [bits(opt.state[p]["exp_avg"]) for p in params],
           "exp_avg_sq": [bits(opt.state[p]["exp_avg_sq"]) for p in params]}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "testdata", "adam_torch.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
