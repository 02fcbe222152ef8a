#!/usr/bin/env python3
"""PyTorch peer of the `train-step` benchmark: the same workloads, timed the same way.

Each workload is a bias-free network trained full-batch with the logistic loss
ln(1 + e^(-y f(x))) and plain gradient descent; one step is forward, loss, backward and the
update. Steps are timed after a warm-up, in several samples; the median and the spread of the
per-step time are printed (and written as JSON with --json). Not run by CI.

    python3 benches/peers/train_step.py --threads 1 --json torch.json
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import torch
import torch.nn.functional as F
from torch import nn

# name -> (layer list, examples, dtypes); a layer is ("dense", in, out, relu?) or ("res", width).
WORKLOADS = {
    "mlp784": ([("dense", 784, 512, True), ("dense", 512, 512, True),
                ("dense", 512, 512, True), ("dense", 512, 1, False)], 256, ["f32"]),
    "mlp20": ([("dense", 20, 100, True), ("dense", 100, 100, True),
               ("dense", 100, 100, True), ("dense", 100, 1, False)], 200, ["f32", "f64"]),
    "res20": ([("dense", 20, 100, True)] + [("res", 100)] * 4 + [("dense", 100, 1, False)],
              200, ["f32"]),
    "linear10": ([("dense", 10, 20, False), ("dense", 20, 20, False),
                  ("dense", 20, 20, False), ("dense", 20, 1, False)], 100, ["f64"]),
}
DTYPES = {"f32": torch.float32, "f64": torch.float64}
LR = 0.01


class Residual(nn.Module):
    """h -> h + U relu(Y h), bias-free."""

    def __init__(self, width):
        super().__init__()
        self.y = nn.Linear(width, width, bias=False)
        self.u = nn.Linear(width, width, bias=False)

    def forward(self, h):
        return h + self.u(torch.relu(self.y(h)))


def build(layers):
    modules = []
    for layer in layers:
        if layer[0] == "dense":
            _, fan_in, fan_out, relu = layer
            modules.append(nn.Linear(fan_in, fan_out, bias=False))
            if relu:
                modules.append(nn.ReLU())
        else:
            modules.append(Residual(layer[1]))
    return nn.Sequential(*modules)


def time_workload(name, dtype, samples, target_seconds):
    layers, n, _ = WORKLOADS[name]
    torch.manual_seed(0)
    model = build(layers).to(DTYPES[dtype])
    x = torch.randn(n, layers[0][1], dtype=DTYPES[dtype])
    y = torch.where(torch.rand(n) < 0.5, -1.0, 1.0).to(DTYPES[dtype])
    opt = torch.optim.SGD(model.parameters(), lr=LR)

    def step():
        opt.zero_grad()
        f = model(x).squeeze(1)
        loss = F.softplus(-y * f).mean()
        loss.backward()
        opt.step()

    start = time.perf_counter()
    for _ in range(10):
        step()
    once = (time.perf_counter() - start) / 10
    calls = max(1, int(target_seconds / max(once, 1e-9)))
    per_step, cpu_per_step = [], []
    for _ in range(samples):
        c = time.thread_time()
        t = time.perf_counter()
        for _ in range(calls):
            step()
        per_step.append((time.perf_counter() - t) / calls)
        cpu_per_step.append((time.thread_time() - c) / calls)
    med = statistics.median(per_step)
    return {
        "workload": name,
        "dtype": dtype,
        "median_us": med * 1e6,
        "min_us": min(per_step) * 1e6,
        "max_us": max(per_step) * 1e6,
        "cpu_us": statistics.median(cpu_per_step) * 1e6,
        "steps_per_s": 1.0 / med,
        "samples": samples,
        "steps_per_sample": calls,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS),
                        help="run only these workloads (repeatable); default all")
    parser.add_argument("--dtype", choices=sorted(DTYPES), help="run only this dtype")
    parser.add_argument("--samples", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="few, short samples")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    if args.threads < 1:
        sys.exit("--threads must be at least 1")
    torch.set_num_threads(args.threads)
    samples, target = (5, 0.005) if args.quick else (args.samples, 0.03)
    results = []
    for name in args.workload or list(WORKLOADS):
        for dtype in WORKLOADS[name][2]:
            if args.dtype and dtype != args.dtype:
                continue
            r = time_workload(name, dtype, samples, target)
            results.append(r)
            print(f"torch {torch.__version__} threads {args.threads} {name:>8} {dtype}: "
                  f"{r['median_us']:9.1f} us/step (min {r['min_us']:.1f}, max {r['max_us']:.1f})",
                  flush=True)
    if args.json:
        doc = {"torch": torch.__version__, "threads": args.threads, "results": results}
        folder = os.path.dirname(os.path.abspath(args.json))
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, indent=1)
        os.replace(tmp, args.json)


if __name__ == "__main__":
    main()
