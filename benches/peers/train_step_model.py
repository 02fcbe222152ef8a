"""The train-step workloads for the Python peers: architectures, seeded init and data, and a
NumPy float64 reference of the first steps that every peer's step is checked against.

A layer is ("dense", fan_in, fan_out, relu?) or ("res", width); a residual block is
h -> h + relu(h Y^T) U^T with two bias-free weights Y, U. Weights are [out, in], as in ours.
"""

import numpy as np

# name -> (layer list, examples, dtypes): the same networks as `benches/src/train/workload.rs`.
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
# Ours' step size (`workload::LEARNING_RATE`) and seed.
LR = 0.01
SEED = 2024


def init(name):
    """He-initialised weights N(0, 2/fan_in) (ours' `Init::He`), x [n, d] standard normal and
    labels in {-1, +1} drawn independently of x; float64, seeded, the same for every peer."""
    layers, n, _ = WORKLOADS[name]
    rng = np.random.default_rng(SEED)
    shapes = []
    for layer in layers:
        if layer[0] == "dense":
            shapes.append((layer[2], layer[1]))
        else:
            shapes += [(layer[1], layer[1])] * 2
    weights = [rng.normal(0.0, np.sqrt(2.0 / cols), (rows, cols)) for rows, cols in shapes]
    x = rng.normal(size=(n, layers[0][1]))
    y = np.where(rng.uniform(size=n) < 0.5, -1.0, 1.0)
    return weights, x, y


def _softplus(z):
    return np.logaddexp(0.0, z)


def _loss_and_grads(layers, weights, x, y):
    """The mean logistic loss and its gradient in every weight, by hand."""
    h, saved, k = x, [], 0
    for layer in layers:
        if layer[0] == "dense":
            out = h @ weights[k].T
            if layer[3]:
                out = np.maximum(out, 0.0)
            saved.append((h, out))
            k += 1
        else:
            z = np.maximum(h @ weights[k].T, 0.0)
            out = h + z @ weights[k + 1].T
            saved.append((h, z))
            k += 2
        h = out
    f = h[:, 0]
    n = len(y)
    loss = _softplus(-y * f).mean()
    g = (-y / (1.0 + np.exp(y * f)) / n)[:, None]
    grads = [None] * len(weights)
    for layer, (h_in, kept) in zip(reversed(layers), reversed(saved)):
        if layer[0] == "dense":
            k -= 1
            if layer[3]:
                g = g * (kept > 0)
            grads[k] = g.T @ h_in
            g = g @ weights[k]
        else:
            k -= 2
            grads[k + 1] = g.T @ kept
            gz = (g @ weights[k + 1]) * (kept > 0)
            grads[k] = gz.T @ h_in
            g = g + gz @ weights[k]
    return loss, grads


def reference_losses(name, steps):
    """The loss before each of the first `steps` gradient-descent steps from `init(name)`."""
    layers = WORKLOADS[name][0]
    weights, x, y = init(name)
    losses = []
    for _ in range(steps):
        loss, grads = _loss_and_grads(layers, weights, x, y)
        losses.append(float(loss))
        weights = [w - LR * g for w, g in zip(weights, grads)]
    return losses
