"""The JAX step of the train-step peer: jax.jit of loss, jax.value_and_grad and the update, the
parameters donated so XLA updates them in place.

Imported only after the process is pinned to its cores and XLA_FLAGS is set, so the thread
settings apply; x64 is enabled here, before any array exists, for the f64 workloads.
"""

import jax
import jax.numpy as jnp

from train_step_model import LR

jax.config.update("jax_enable_x64", True)
DTYPES = {"f32": jnp.float32, "f64": jnp.float64}


def version():
    return jax.__version__


def set_threads(threads):
    """XLA sizes its pool from the process's CPU affinity, set before import; nothing to do."""


def _forward(layers, params, x):
    h, k = x, 0
    for layer in layers:
        if layer[0] == "dense":
            h = h @ params[k].T
            if layer[3]:
                h = jax.nn.relu(h)
            k += 1
        else:
            h = h + jax.nn.relu(h @ params[k].T) @ params[k + 1].T
            k += 2
    return h[:, 0]


class Jitted:
    """The whole step jitted; x and y are arguments, not constants, so XLA cannot fold them."""

    def __init__(self, layers, weights, x, y, dtype):
        self.params = [jnp.asarray(w, dtype=DTYPES[dtype]) for w in weights]
        self.x = jnp.asarray(x, dtype=DTYPES[dtype])
        self.y = jnp.asarray(y, dtype=DTYPES[dtype])

        def loss_of(params, x, y):
            return jax.nn.softplus(-y * _forward(layers, params, x)).mean()

        def step(params, x, y):
            loss, grads = jax.value_and_grad(loss_of)(params, x, y)
            return [p - LR * g for p, g in zip(params, grads)], loss

        self.jitted = jax.jit(step, donate_argnums=0)
        self.loss = None

    def step(self):
        self.params, self.loss = self.jitted(self.params, self.x, self.y)
        jax.block_until_ready(self.params)

    def last_loss(self):
        return float(self.loss)


PEERS = {"jax": Jitted}
