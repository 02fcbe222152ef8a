"""PyTorch steps of the train-step peer: eager (nn.Module and optim.SGD, as a researcher writes
it) and torch.compile of the whole step (forward, loss, backward by torch.func and the update).

Imported only after the process is pinned to its cores, so the thread settings apply.
"""

import torch
import torch.nn.functional as F
from torch import nn

from train_step_model import LR

DTYPES = {"f32": torch.float32, "f64": torch.float64}


def version():
    return torch.__version__


def set_threads(threads):
    torch.set_num_threads(threads)


class Residual(nn.Module):
    """h -> h + U relu(Y h), bias-free."""

    def __init__(self, width):
        super().__init__()
        self.y = nn.Linear(width, width, bias=False)
        self.u = nn.Linear(width, width, bias=False)

    def forward(self, h):
        return h + self.u(torch.relu(self.y(h)))


def _module(layers, weights, dtype):
    modules = []
    for layer in layers:
        if layer[0] == "dense":
            _, fan_in, fan_out, relu = layer
            modules.append(nn.Linear(fan_in, fan_out, bias=False))
            if relu:
                modules.append(nn.ReLU())
        else:
            modules.append(Residual(layer[1]))
    model = nn.Sequential(*modules).to(DTYPES[dtype])
    with torch.no_grad():
        # parameters() walks the layers in order, Y before U, as `weights` lists them.
        for p, w in zip(model.parameters(), weights):
            p.copy_(torch.from_numpy(w))
    return model


class Eager:
    """nn.Sequential trained by optim.SGD, eagerly."""

    def __init__(self, layers, weights, x, y, dtype):
        self.model = _module(layers, weights, dtype)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.x = torch.from_numpy(x).to(DTYPES[dtype])
        self.y = torch.from_numpy(y).to(DTYPES[dtype])
        self.loss = None

    def step(self):
        self.opt.zero_grad()
        f = self.model(self.x).squeeze(1)
        loss = F.softplus(-self.y * f).mean()
        loss.backward()
        self.opt.step()
        self.loss = loss

    def last_loss(self):
        return self.loss.detach().item()


def _forward(layers, params, x):
    h, k = x, 0
    for layer in layers:
        if layer[0] == "dense":
            h = h @ params[k].T
            if layer[3]:
                h = torch.relu(h)
            k += 1
        else:
            h = h + torch.relu(h @ params[k].T) @ params[k + 1].T
            k += 2
    return h.squeeze(1)


class Compiled:
    """One torch.compile'd graph for the whole step: loss, its gradient by torch.func and the
    in-place update, with fullgraph=True so that nothing falls back to eager."""

    def __init__(self, layers, weights, x, y, dtype):
        self.params = [torch.from_numpy(w).to(DTYPES[dtype]) for w in weights]
        self.x = torch.from_numpy(x).to(DTYPES[dtype])
        self.y = torch.from_numpy(y).to(DTYPES[dtype])

        def loss_of(params, x, y):
            return F.softplus(-y * _forward(layers, params, x)).mean()

        def step(params, x, y):
            grads, loss = torch.func.grad_and_value(loss_of)(params, x, y)
            with torch.no_grad():
                for p, g in zip(params, grads):
                    p.sub_(g, alpha=LR)
            return loss

        self.compiled = torch.compile(step, fullgraph=True)
        self.loss = None

    def step(self):
        self.loss = self.compiled(self.params, self.x, self.y)

    def last_loss(self):
        return self.loss.detach().item()


PEERS = {"eager": Eager, "compile": Compiled}
