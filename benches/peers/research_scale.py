#!/usr/bin/env python3
"""PyTorch peer of the `research-scale` benchmark: one run of `train`, the same work in PyTorch.

The run: Fashion-MNIST classes A (+1) vs B (-1) from an MNIST-format folder, the first n
examples of the pair in file order, every input divided by the largest input norm among them
(as lowrank's loader scales them); the bias-free network 784 -> relu:W -> linear:W -> linear:W
-> 1 in float32, each weight drawn from N(0, 0.25/fan_in) (lowrank's default init,
gaussian:0.5); full-batch logistic loss R = mean ln(1 + e^(-y f(x))); the gradient-normalized
step w <- w - 0.1 g/||g|| (g over all weights; the direction of grad ln R, which lowrank
backpropagates). Like lowrank's trainer it computes the loss and gradient at every one of the
steps + 1 iterates and updates after all but the last.

At each logged step (before that step's update): sigma_1 of every layer by
torch.linalg.svdvals and ||W||_F (r = sigma_1/||W||_F), on the float32 weights as a researcher
would call it (--metric-dtype f64 computes them in float64, as lowrank does), plus the loss, the
accuracy and the minimum margin.

Timed phases (wall clock): setup (reading, decoding and scaling the data, building the
network), training (the loop less the metrics), metrics. Results are written as JSON with
--json, or printed. Needs `pip install torch numpy`. Not run by CI.

    python3 benches/peers/research_scale.py --width 512 --n 12000 --threads 2
"""

import argparse
import gzip
import json
import math
import os
import sys
import tempfile
import time

import numpy as np

IMAGES = "train-images-idx3-ubyte"
LABELS = "train-labels-idx1-ubyte"
INSTALL = ("install the Debian package (`sudo apt-get install dataset-fashion-mnist`) or point "
           "--data-dir at an MNIST-format folder holding Fashion-MNIST")


def find(folder, stem):
    """The file `stem` in `folder`: stem.gz, else stem; exits naming both when neither exists."""
    gz, plain = os.path.join(folder, stem + ".gz"), os.path.join(folder, stem)
    for path in (gz, plain):
        if os.path.isfile(path):
            return path
    sys.exit(f"{gz}: missing (nor {plain}); {INSTALL}")


def read_idx(path, magic):
    """The dimensions and the unsigned-byte payload of an IDX file (gzipped or not)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    rank = magic & 0xFF
    header = 4 + 4 * rank
    if len(raw) < header or int.from_bytes(raw[:4], "big") != magic:
        sys.exit(f"{path}: not an IDX file of magic 0x{magic:08x}")
    dims = [int.from_bytes(raw[4 + 4 * d:8 + 4 * d], "big") for d in range(rank)]
    if len(raw) != header + math.prod(dims):
        sys.exit(f"{path}: the payload does not match its {'x'.join(map(str, dims))} header")
    return dims, np.frombuffer(raw, dtype=np.uint8, offset=header)


def load(folder, a, b, n):
    """The first n examples of classes a (+1) and b (-1), scaled to max ||x|| = 1 (float64)."""
    dims, pixels = read_idx(find(folder, IMAGES), 0x803)
    (count,), labels = read_idx(find(folder, LABELS), 0x801)
    if count != dims[0]:
        sys.exit(f"{folder}: {count} labels for {dims[0]} images")
    keep = np.flatnonzero((labels == a) | (labels == b))
    if n < 1 or n > len(keep):
        sys.exit(f"--n {n}: the pair {a} vs {b} has {len(keep)} examples")
    keep = keep[:n]
    x = pixels.reshape(dims[0], -1)[keep].astype(np.float64)
    largest = np.sqrt((x * x).sum(axis=1)).max()
    if largest == 0:
        sys.exit("every input is zero")
    x /= largest
    y = np.where(labels[keep] == a, 1.0, -1.0)
    return x, y


def schedule(steps, per_decade=20):
    """lowrank's default log schedule: 0 and round(10^(j/per_decade)) up to steps, and steps."""
    out, j = [0], 0
    while True:
        # Rounded half away from zero, as Rust's f64::round.
        step = int(math.floor(10 ** (j / per_decade) + 0.5))
        if step > steps:
            break
        if out[-1] != step:
            out.append(step)
        j += 1
    if out[-1] != steps:
        out.append(steps)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--classes", default="1,8", help="the two classes, A (+1) and B (-1)")
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--n", type=int, default=12000, help="the first n examples of the pair")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--log-steps", help="comma-separated steps to log at "
                        "[default: lowrank's log schedule, 20 per decade]")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--init-scale", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--metric-dtype", choices=["f32", "f64"], default="f32",
                        help="the dtype of the spectral metrics")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    if args.threads < 1 or args.width < 1 or args.steps < 1:
        sys.exit("--threads, --width and --steps must be at least 1")
    try:
        a, b = (int(c) for c in args.classes.split(","))
        logs = (sorted({int(s) for s in args.log_steps.split(",")}) if args.log_steps
                else schedule(args.steps))
    except ValueError as e:
        sys.exit(f"--classes / --log-steps: {e}")
    if logs and (logs[0] < 0 or logs[-1] > args.steps):
        sys.exit(f"--log-steps must lie in 0..={args.steps}")

    import torch

    torch.set_num_threads(args.threads)
    metric_dtype = {"f32": torch.float32, "f64": torch.float64}[args.metric_dtype]
    torch.manual_seed(args.seed)

    started = time.perf_counter()
    x64, y64 = load(args.data_dir, a, b, args.n)
    x = torch.from_numpy(x64).to(torch.float32)
    y = torch.from_numpy(y64).to(torch.float32)
    shapes = [(args.width, 784), (args.width, args.width), (args.width, args.width),
              (1, args.width)]
    weights = [(torch.randn(o, i) * (args.init_scale / math.sqrt(i))).requires_grad_()
               for o, i in shapes]
    setup = time.perf_counter() - started

    log_set = set(logs)
    metrics_seconds = 0.0
    final = {}
    loop_started = time.perf_counter()
    for step in range(args.steps + 1):
        h = torch.relu(x @ weights[0].T)
        h = h @ weights[1].T
        h = h @ weights[2].T
        f = (h @ weights[3].T).squeeze(1)
        margins = y * f
        loss = torch.nn.functional.softplus(-margins).mean()
        for w in weights:
            w.grad = None
        loss.backward()
        if step in log_set:
            t = time.perf_counter()
            with torch.no_grad():
                r = []
                for w in weights:
                    wm = w.detach().to(metric_dtype)
                    sigma1 = torch.linalg.svdvals(wm)[0]
                    r.append((sigma1 / torch.linalg.norm(wm)).item())
                final = {
                    "loss": loss.item(),
                    "accuracy": (margins > 0).to(torch.float64).mean().item(),
                    "min_margin": margins.min().item(),
                    "r": r,
                }
            metrics_seconds += time.perf_counter() - t
        if step == args.steps:
            break
        with torch.no_grad():
            norm = torch.sqrt(sum((w.grad.to(torch.float64) ** 2).sum() for w in weights))
            if norm > 0:
                scale = args.lr / norm.item()
                for w in weights:
                    w.add_(w.grad, alpha=-scale)
    loop = time.perf_counter() - loop_started

    doc = {
        "torch": torch.__version__,
        "threads": args.threads,
        "width": args.width,
        "n": args.n,
        "steps": args.steps,
        "metric_dtype": args.metric_dtype,
        "logged_steps": logs,
        "setup_seconds": setup,
        "training_seconds": loop - metrics_seconds,
        "metrics_seconds": metrics_seconds,
        "total_seconds": setup + loop,
        "final": final,
    }
    print(f"torch {torch.__version__} threads {args.threads} width {args.width} n {args.n}: "
          f"setup {setup:.3f} s, training {loop - metrics_seconds:.3f} s, "
          f"metrics {metrics_seconds:.3f} s, loss {final.get('loss', float('nan')):.4g}, "
          f"accuracy {final.get('accuracy', float('nan')):.4f}", file=sys.stderr, flush=True)
    if args.json:
        folder = os.path.dirname(os.path.abspath(args.json))
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, indent=1)
        os.replace(tmp, args.json)
    else:
        json.dump(doc, sys.stdout, indent=1)
        print()


if __name__ == "__main__":
    main()
