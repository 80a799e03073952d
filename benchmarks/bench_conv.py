"""Convolution speed: TinyTorch against PyTorch and a hand-written NumPy version, in one run.

    python benchmarks/run.py conv          # 1 thread and the default thread count, with ratios
    python benchmarks/bench_conv.py 1      # one thread count only (0 or none: the default), JSON line only

Workloads: Conv2d 64->64 3x3 padding 1 on 32x32 images, batch 32 (forward, forward + backward), and
one training step of a small CIFAR-sized CNN (batch 64 of 3x32x32: three 3x3 conv layers 3->32->64->128,
each followed by ReLU and 2x2 max-pooling, then Linear 2048->256, ReLU, Linear 256->10,
cross-entropy, Adam).
"""

from __future__ import annotations

from common import Case, cnn_train_step, emit, interleaved_medians, pin_threads_from_argv, torch_or_none

if __name__ == "__main__":
    pin_threads_from_argv()

import numpy as np  # noqa: E402

import tinytorch  # noqa: E402


def conv_layer(lib, x: np.ndarray, w: np.ndarray, g: np.ndarray):
    """Forward, and forward + backward, of a Conv2d 64->64 3x3 layer with weights `w` in `lib`
    (tinytorch or torch: the same code runs on both)."""
    conv = lib.nn.Conv2d(64, 64, 3, padding=1)
    with lib.no_grad():
        conv.weight[...] = lib.from_numpy(w)
    tx, tg = lib.tensor(x, requires_grad=True), lib.from_numpy(g)

    def forward() -> None:
        with lib.no_grad():
            conv(tx)

    def step() -> None:
        tx.grad = conv.weight.grad = conv.bias.grad = None
        conv(tx).backward(tg)

    return forward, step


def cases() -> list[Case]:
    torch = torch_or_none()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 64, 32, 32), dtype=np.float32)
    w = rng.standard_normal((64, 64, 3, 3), dtype=np.float32) * 0.05
    b = np.zeros(64, dtype=np.float32)
    g = rng.standard_normal((32, 64, 32, 32), dtype=np.float32)
    images = rng.standard_normal((64, 3, 32, 32), dtype=np.float32)
    labels = rng.integers(0, 10, 64)

    forward, step = {}, {}
    forward["tinytorch"], step["tinytorch"] = conv_layer(tinytorch, x, w, g)
    forward["numpy"] = lambda: numpy_conv(x, w, b)
    step["numpy"] = lambda: numpy_conv_backward(g, *numpy_conv(x, w, b)[1:])
    reference = NumpyCNN(rng)
    train = {"tinytorch": cnn_train_step(tinytorch, tinytorch.from_numpy(images), tinytorch.from_numpy(labels)),
             "numpy": lambda: reference.step(images, labels)}
    if torch is not None:
        forward["pytorch"], step["pytorch"] = conv_layer(torch, x, w, g)
        train["pytorch"] = cnn_train_step(torch, torch.from_numpy(images), torch.from_numpy(labels))

    name = "Conv2d 64->64 3x3 pad 1, 32x32, batch 32"
    return [
        Case(name + ", forward", interleaved_medians(forward), "batch"),
        Case(name + ", forward+backward", interleaved_medians(step), "batch"),
        Case("CNN train step (3 conv + 2 linear, Adam), batch 64 of 3x32x32", interleaved_medians(train), "step"),
    ]


# ---------------------------------------------------------------------------------------------
# The hand-written NumPy reference: what a careful NumPy programmer writes for the same work
# (im2col through sliding_window_view, kept from forward for backward; one matrix product per pass).
# ---------------------------------------------------------------------------------------------


def numpy_conv(x, w, b):
    """3x3 convolution, padding 1, stride 1: (N, C, H, W) -> (N, O, H, W); also returns what backward needs."""
    n, c, h, wd = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))  # (N, C, H, W, 3, 3)
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * h * wd, c * 9)  # im2col (N*H*W, C*9)
    out = (cols @ w.reshape(len(w), -1).T + b).reshape(n, h, wd, -1).transpose(0, 3, 1, 2)
    return out, cols, w


def numpy_conv_backward(g, cols, w):
    """d x (col2im: each window's gradient added back into place), d w and d b."""
    n, o, h, wd = g.shape
    c = w.shape[1]
    g_rows = g.transpose(0, 2, 3, 1).reshape(-1, o)  # (N*H*W, O)
    grad_w = (g_rows.T @ cols).reshape(w.shape)
    d_cols = (g_rows @ w.reshape(o, -1)).reshape(n, h, wd, c, 3, 3)
    grad_padded = np.zeros((n, c, h + 2, wd + 2), dtype=g.dtype)
    for i in range(3):
        for j in range(3):
            grad_padded[:, :, i : i + h, j : j + wd] += d_cols[..., i, j].transpose(0, 3, 1, 2)
    return grad_padded[:, :, 1:-1, 1:-1], grad_w, g_rows.sum(axis=0)


class NumpyCNN:
    """The benchmark's CNN with every forward, backward and Adam step written out in NumPy."""

    def __init__(self, rng) -> None:
        shapes = [(32, 3, 3, 3), (32,), (64, 32, 3, 3), (64,), (128, 64, 3, 3), (128,),
                  (2048, 256), (256,), (256, 10), (10,)]
        self.params = [(rng.standard_normal(s, dtype=np.float32) * 0.05) for s in shapes]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0

    def step(self, x, labels) -> None:
        p, saved, h = self.params, [], x
        for i in range(3):  # conv -> relu -> 2x2 max-pool
            out, cols, w = numpy_conv(h, p[2 * i], p[2 * i + 1])
            relu = np.maximum(out, 0)
            n, c, hh, ww = relu.shape
            blocks = relu.reshape(n, c, hh // 2, 2, ww // 2, 2)
            pooled = blocks.max(axis=(3, 5))
            saved.append((cols, w, relu > 0, blocks == pooled[:, :, :, None, :, None]))
            h = pooled
        flat = h.reshape(len(x), -1)
        hidden = np.maximum(flat @ p[6] + p[7], 0)
        logits = hidden @ p[8] + p[9]
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        d_logits = probs
        d_logits[np.arange(len(x)), labels] -= 1
        d_logits /= len(x)
        grads = [None] * 10
        grads[8], grads[9] = hidden.T @ d_logits, d_logits.sum(axis=0)
        d_hidden = (d_logits @ p[8].T) * (hidden > 0)
        grads[6], grads[7] = flat.T @ d_hidden, d_hidden.sum(axis=0)
        d_h = (d_hidden @ p[6].T).reshape(h.shape)
        for i in reversed(range(3)):
            cols, w, positive, winners = saved[i]
            d_relu = (winners * d_h[:, :, :, None, :, None]).reshape(positive.shape) * positive
            d_h, grads[2 * i], grads[2 * i + 1] = numpy_conv_backward(d_relu, cols, w)
        self.t += 1
        for param, grad, m, v in zip(p, grads, self.m, self.v):  # Adam, lr 1e-3
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad * grad
            param -= 1e-3 / (1 - 0.9**self.t) * m / (np.sqrt(v / (1 - 0.999**self.t)) + 1e-8)


if __name__ == "__main__":
    emit(cases())
