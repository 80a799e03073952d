"""Core benchmarks: the MLP training step, autograd overhead per tiny op, matmul per backend.

Each workload runs on TinyTorch, on PyTorch (when installed) and as hand-written NumPy (the limit
a NumPy framework can approach), in the same process.
"""

from __future__ import annotations

from common import Case, emit, interleaved_medians, pin_threads_from_argv, torch_or_none

if __name__ == "__main__":
    pin_threads_from_argv()

import numpy as np  # noqa: E402

import tinytorch as tt  # noqa: E402

BATCH, SIZES = 128, (784, 256, 128, 10)


def mlp_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((BATCH, SIZES[0]), dtype=np.float32), rng.integers(0, 10, BATCH)


def mlp_step(lib):
    """One training step of the MLP in `lib` (tinytorch or torch: the same code runs on both)."""
    x, y = mlp_data()
    lib.manual_seed(0)
    m = lib.nn
    model = m.Sequential(m.Linear(784, 256), m.ReLU(), m.Linear(256, 128), m.ReLU(), m.Linear(128, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    xt, yt = lib.from_numpy(x), lib.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = m.functional.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()

    return step


def numpy_mlp_step():
    """The same step written by hand: forward, backward and momentum SGD with no framework."""
    x, y = mlp_data()
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((i, o), dtype=np.float32) * np.float32(1 / np.sqrt(i)) for i, o in zip(SIZES, SIZES[1:])]
    biases = [np.zeros(o, np.float32) for o in SIZES[1:]]
    params = weights + biases
    velocity = [np.zeros_like(p) for p in params]
    onehot = np.eye(10, dtype=np.float32)[y]

    def step():
        h1 = np.maximum(x @ weights[0] + biases[0], 0)
        h2 = np.maximum(h1 @ weights[1] + biases[1], 0)
        logits = h2 @ weights[2] + biases[2]
        e = np.exp(logits - logits.max(1, keepdims=True))
        d3 = (e / e.sum(1, keepdims=True) - onehot) / np.float32(BATCH)
        d2 = (d3 @ weights[2].T) * (h2 > 0)
        d1 = (d2 @ weights[1].T) * (h1 > 0)
        grads = [x.T @ d1, h1.T @ d2, h2.T @ d3, d1.sum(0), d2.sum(0), d3.sum(0)]
        for p, v, g in zip(params, velocity, grads):
            v *= np.float32(0.9)
            v += g
            p -= np.float32(0.01) * v

    return step


CHAIN = 1000


def chain_step(lib):
    """A chain of CHAIN tiny multiplications, forward and backward, in `lib`."""
    x = lib.randn(8, requires_grad=True)

    def step():
        y = x
        for _ in range(CHAIN):
            y = y * 1.0001
        y.sum().backward()

    return step


def cases() -> list[Case]:
    torch = torch_or_none()
    mlp = {"tinytorch": mlp_step(tt), "numpy": numpy_mlp_step()}
    chain = {"tinytorch": chain_step(tt)}
    if torch is not None:
        mlp["pytorch"], chain["pytorch"] = mlp_step(torch), chain_step(torch)
    per_op = {name: seconds / CHAIN for name, seconds in interleaved_medians(chain, rounds=20).items()}

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((32, 32), dtype=np.float32), rng.standard_normal((32, 32), dtype=np.float32)
    kernels = {name: (lambda kernel=tt.backend.BACKENDS[name].matmul: kernel(a, b)) for name in ("naive", "numpy")}
    return [
        Case("MLP 784-256-128-10 train step, batch 128, SGD momentum", interleaved_medians(mlp, warmup=10, rounds=200)),
        Case(f"autograd overhead: {CHAIN} tiny mul ops, forward+backward", per_op, "op"),
        Case("matmul 32x32 @ 32x32: naive loops vs numpy backend", interleaved_medians(kernels, warmup=1, rounds=3)),
    ]


if __name__ == "__main__":
    emit(cases())
