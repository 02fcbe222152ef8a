#!/usr/bin/env python3
"""Peers of the `train-step` benchmark: the same workloads, timed the same way, by eager
PyTorch, torch.compile or JAX (jax.jit on XLA CPU).

Each workload is a bias-free network trained full-batch with the logistic loss
ln(1 + e^(-y f(x))) and plain gradient descent; one step is forward, loss, backward and the
update. Before timing, the first steps' losses are checked against a NumPy float64 reference
from the same init, so a peer cannot time a step that computes something else; after timing, the
loss must have moved, so it cannot time a step that does not update. The first call (where
torch.compile and jax.jit compile) is timed apart; then come the warm-up steps and the samples;
the median and the spread of the per-step time are printed (and written as JSON with --json).
One process runs one peer at one thread count, pinned to that many cores before the framework
is imported. A peer that is not installed is reported as skipped (exit status 0). Not run by CI.

    python3 benches/peers/train_step.py --peer jax --threads 1 --json jax.json
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

# peer -> (module, install hint shown when the module cannot be imported).
PEERS = {
    "eager": ("train_step_torch", "PyTorch not installed: pip install torch"),
    "compile": ("train_step_torch", "PyTorch not installed: pip install torch"),
    "jax": ("train_step_jax", "JAX not installed: pip install 'jax[cpu]'"),
}
# Steps checked against the reference, and the relative tolerance per dtype.
CHECKED_STEPS = 3
TOLERANCE = {"f32": 1e-4, "f64": 1e-10}


def pin(threads):
    """Confines this process to `threads` of its allowed cores and tells the libraries so, before
    any of them is imported: OpenMP (PyTorch's and inductor's kernels) reads OMP_NUM_THREADS, XLA
    sizes its intra-op pool from the CPU affinity, and on one thread XLA_FLAGS'
    --xla_cpu_multi_thread_eigen=false also runs its Eigen ops on the calling thread instead of
    handing them to a pool."""
    allowed = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, allowed[:threads])
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ["MKL_NUM_THREADS"] = str(threads)
    if threads == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} --xla_cpu_multi_thread_eigen=false".strip()


def task_cpus():
    """The cores any thread of this process may run on, from each thread's Cpus_allowed_list
    (Linux; "?" elsewhere): the libraries' own threads included, which inherit the pinning only
    if they were started after it."""
    cpus = set()
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/status") as f:
                for line in f:
                    key, _, value = line.partition(":")
                    if key == "Cpus_allowed_list":
                        cpus |= set(parse_cpu_list(value.strip()))
    except OSError:
        return "?"
    return ",".join(str(c) for c in sorted(cpus))


def parse_cpu_list(text):
    """The cores of a list such as "0-3,8"."""
    cpus = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        cpus += range(int(first), int(last or first) + 1)
    return cpus


def thread_count():
    """Threads of this process (Linux), or 0 elsewhere."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0


def check(name, dtype, peer_step):
    """Exits with an error if the peer's first losses stray from the reference's."""
    from train_step_model import reference_losses

    want = reference_losses(name, CHECKED_STEPS)
    got = []
    for _ in range(CHECKED_STEPS):
        peer_step.step()
        got.append(peer_step.last_loss())
    for k, (g, w) in enumerate(zip(got, want)):
        if not abs(g - w) <= TOLERANCE[dtype] * abs(w):
            sys.exit(f"{name} {dtype}: loss before step {k} is {g}, the reference's {w}")


def time_workload(module, peer, name, dtype, samples, target_seconds):
    from train_step_model import WORKLOADS, init

    layers = WORKLOADS[name][0]
    weights, x, y = init(name)
    peer_step = module.PEERS[peer](layers, weights, x, y, dtype)
    start = time.perf_counter()
    check(name, dtype, peer_step)
    first_seconds = time.perf_counter() - start
    before = peer_step.last_loss()

    start = time.perf_counter()
    for _ in range(10):
        peer_step.step()
    once = (time.perf_counter() - start) / 10
    calls = max(1, int(target_seconds / max(once, 1e-9)))
    per_step, cpu_per_step = [], []
    process_cpu, wall = 0.0, 0.0
    for _ in range(samples):
        p = time.process_time()
        c = time.thread_time()
        t = time.perf_counter()
        for _ in range(calls):
            peer_step.step()
        elapsed = time.perf_counter() - t
        cpu_per_step.append((time.thread_time() - c) / calls)
        per_step.append(elapsed / calls)
        process_cpu += time.process_time() - p
        wall += elapsed
    if peer_step.last_loss() == before:
        sys.exit(f"{name} {dtype}: the loss did not move over the timed steps")
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
        # The checked steps, the first of which compiles (torch.compile, jax.jit).
        "first_steps_s": first_seconds,
        # CPU time of every thread of the process over wall time while sampling: how many cores
        # the peer really kept busy.
        "cores_used": process_cpu / wall if wall > 0 else 0.0,
    }


def write_json(path, doc):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, path)


def skip(args, note):
    """Reports the peer as skipped: a note, and exit status 0."""
    print(f"{args.peer}: skipped: {note}", flush=True)
    if args.json:
        write_json(args.json, {"peer": args.peer, "skipped": note})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", choices=sorted(PEERS), default="eager")
    parser.add_argument("--threads", type=int, default=1,
                        help="cores to pin to, and threads each library is told to use")
    parser.add_argument("--workload", action="append",
                        help="run only these workloads (repeatable); default all")
    parser.add_argument("--dtype", choices=["f32", "f64"], help="run only this dtype")
    parser.add_argument("--samples", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="few, short samples")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    if args.threads < 1:
        sys.exit("--threads must be at least 1")
    if args.samples < 1:
        sys.exit("--samples must be at least 1")
    pin(args.threads)
    module_name, hint = PEERS[args.peer]
    try:
        # The init and the reference need NumPy, whichever peer runs.
        import train_step_model
    except ImportError:
        return skip(args, "NumPy not installed: pip install numpy")
    try:
        module = __import__(module_name)
    except ImportError:
        return skip(args, hint)
    unknown = set(args.workload or []) - set(train_step_model.WORKLOADS)
    if unknown:
        sys.exit(f"no workload {sorted(unknown)}; the names are {list(train_step_model.WORKLOADS)}")
    module.set_threads(args.threads)
    samples, target = (min(args.samples, 5), 0.005) if args.quick else (args.samples, 0.03)
    results = []
    for name in args.workload or list(train_step_model.WORKLOADS):
        for dtype in train_step_model.WORKLOADS[name][2]:
            if args.dtype and dtype != args.dtype:
                continue
            r = time_workload(module, args.peer, name, dtype, samples, target)
            results.append(r)
            print(f"{args.peer} {module.version()} threads {args.threads} "
                  f"{name:>8} {dtype}: {r['median_us']:9.1f} us/step (min {r['min_us']:.1f}, "
                  f"max {r['max_us']:.1f}), {r['cores_used']:.2f} cores busy, "
                  f"first steps {r['first_steps_s']:.2f} s", flush=True)
    if args.json:
        write_json(args.json, {
            "peer": args.peer,
            "version": module.version(),
            "threads": args.threads,
            # Checked after the runs, when every library thread exists.
            "cpus": task_cpus(),
            "process_threads": thread_count(),
            "results": results,
        })


if __name__ == "__main__":
    main()
