"""Regenerate the PyTorch goldens for convolution, pooling and batch norm (module 09).

    python scripts/make_goldens_spatial.py          # write tests/goldens/spatial_*.npz
    python scripts/make_goldens_spatial.py --check  # recompute and compare with the committed files

Needs torch (the test suite does not: it only reads the .npz files). Everything is float64 so the
goldens are exact to rounding. Each file holds, per case `k`, the inputs (`k/x`, `k/weight`, ...),
the upstream gradient `k/grad_out`, torch's output `k/out` and gradients `k/grad_x`, ... (and the
indices `k/indices` of max pooling), and the case's settings as JSON text in `k/config`.
"""

from __future__ import annotations

import json
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from golden_common import parse_args, write_or_check

# (N, C, H, W, O, kernel, stride, padding, dilation, groups, bias)
CONV_CASES = [
    (2, 3, 7, 7, 4, 3, 1, 0, 1, 1, True),
    (2, 3, 7, 6, 4, 3, 1, 1, 1, 1, True),
    (2, 4, 8, 8, 6, 3, 2, 1, 1, 1, True),
    (1, 4, 9, 8, 4, (3, 2), (2, 1), (1, 0), 1, 1, False),
    (2, 2, 9, 9, 3, 3, 1, 2, 2, 1, True),
    (2, 4, 7, 7, 6, 3, 1, 1, 1, 2, True),
    (2, 4, 6, 6, 4, 3, 1, 1, 1, 4, False),  # depthwise
    (2, 3, 5, 5, 5, 1, 1, 0, 1, 1, True),  # 1x1
    (2, 3, 6, 7, 2, 3, 1, "same", 1, 1, True),
    (2, 3, 8, 8, 4, 4, 1, "same", 1, 1, True),  # even kernel: the extra padding goes bottom/right
    (2, 2, 8, 8, 3, 3, 1, "same", 2, 1, False),
    (1, 3, 7, 7, 3, 2, 3, "valid", 1, 1, True),
    (2, 6, 9, 9, 4, 3, 2, 1, 2, 2, True),
]

# (function, input shape, kernel_size or output_size, keyword arguments): every function is torch's
# F.<function>; max pooling also returns its indices. "ties": a ReLU'd input, whole windows of zeros.
POOL_CASES = [
    ("max_pool2d", (2, 3, 8, 8), 2, {}),
    ("max_pool2d", (2, 3, 7, 9), 3, dict(stride=2, padding=1)),
    ("max_pool2d", (1, 2, 6, 6), (2, 3), dict(stride=(1, 2), padding=(1, 0))),
    ("max_pool2d", (2, 2, 6, 6), 2, dict(stride=1)),  # overlapping windows
    ("max_pool2d ties", (2, 3, 6, 6), 2, {}),
    ("max_pool2d", (2, 2, 8, 9), 3, dict(stride=1, padding=1, dilation=2)),
    ("max_pool2d", (1, 3, 7, 8), (2, 3), dict(stride=(1, 2), dilation=(2, 1))),
    ("max_pool2d", (2, 2, 7, 7), 2, dict(ceil_mode=True)),  # a last, partial window on each side
    ("max_pool2d", (1, 2, 5, 6), 2, dict(stride=2, padding=1, ceil_mode=True)),  # 3 rows: a 4th would start on padding
    ("max_pool2d ties", (2, 2, 7, 6), 3, dict(stride=2, dilation=2, ceil_mode=True)),
    ("max_pool2d", (1, 2, 3, 3), 4, dict(stride=2, ceil_mode=True)),  # window larger than the input
    ("avg_pool2d", (2, 3, 8, 8), 2, {}),
    ("avg_pool2d", (2, 3, 7, 7), 3, dict(stride=2, padding=1)),
    ("avg_pool2d", (2, 3, 7, 7), 3, dict(stride=2, padding=1, count_include_pad=False)),
    ("avg_pool2d", (1, 2, 6, 5), (3, 2), dict(stride=(2, 1), padding=(1, 1), count_include_pad=False)),
    ("avg_pool2d", (2, 2, 7, 7), 2, dict(ceil_mode=True)),
    ("avg_pool2d", (1, 2, 6, 7), 3, dict(stride=2, padding=1, ceil_mode=True)),  # the cut part does not count
    ("avg_pool2d", (1, 2, 6, 7), 3, dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("avg_pool2d", (2, 2, 6, 6), 3, dict(stride=2, padding=1, divisor_override=5)),
    ("avg_pool2d", (1, 2, 5, 7), (2, 3), dict(stride=2, padding=(1, 1), ceil_mode=True, divisor_override=2)),
    ("avg_pool2d", (1, 2, 3, 3), 4, dict(stride=2, ceil_mode=True)),  # window larger than the input
    ("max_pool1d", (2, 3, 11), 3, dict(stride=2, padding=1, dilation=2, ceil_mode=True)),
    ("avg_pool1d", (2, 3, 10), 4, dict(stride=3, padding=2, ceil_mode=True, count_include_pad=False)),
    ("adaptive_avg_pool2d", (2, 3, 7, 7), 1, {}),
    ("adaptive_avg_pool2d", (2, 3, 8, 6), (4, 3), {}),
    ("adaptive_avg_pool2d", (2, 3, 7, 5), (3, 2), {}),  # uneven, overlapping bins
    ("adaptive_avg_pool2d", (1, 2, 5, 6), (5, None), {}),
    ("adaptive_max_pool2d", (2, 3, 7, 7), 1, {}),
    ("adaptive_max_pool2d", (2, 3, 8, 6), (4, 3), {}),
    ("adaptive_max_pool2d ties", (2, 3, 7, 5), (3, 2), {}),  # uneven, overlapping bins
    ("adaptive_max_pool2d", (1, 2, 5, 6), (None, 4), {}),
    ("adaptive_max_pool2d", (1, 2, 3, 4), (5, 7), {}),  # more outputs than inputs: bins repeat elements
]

# (name, layer, input shape, momentum, affine, track_running_stats)
NORM_CASES = [
    ("bn2d", "BatchNorm2d", (4, 3, 5, 5), 0.1, True, True),
    ("bn2d_cumulative", "BatchNorm2d", (3, 2, 4, 4), None, True, True),
    ("bn2d_plain", "BatchNorm2d", (3, 2, 4, 4), 0.3, False, True),
    ("bn2d_untracked", "BatchNorm2d", (3, 2, 4, 4), 0.1, True, False),
    ("bn1d", "BatchNorm1d", (6, 4), 0.1, True, True),
    ("bn1d_seq", "BatchNorm1d", (4, 3, 5), 0.2, True, True),
]
NORM_STEPS = 3  # training steps before the evaluation pass


def _tensor(array: np.ndarray, grad: bool = True) -> torch.Tensor:
    return torch.tensor(array, dtype=torch.float64, requires_grad=grad)


def conv_goldens(rng: np.random.Generator) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for k, (n, c, h, w, o, kernel, stride, padding, dilation, groups, bias) in enumerate(CONV_CASES):
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        arrays = {"x": rng.standard_normal((n, c, h, w)), "weight": rng.standard_normal((o, c // groups, kh, kw))}
        if bias:
            arrays["bias"] = rng.standard_normal(o)
        t = {name: _tensor(a) for name, a in arrays.items()}
        y = F.conv2d(t["x"], t["weight"], t.get("bias"), stride, padding, dilation, groups)
        grad_out = rng.standard_normal(tuple(y.shape))
        y.backward(torch.tensor(grad_out))
        config = dict(kernel=kernel, stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias)
        out[f"{k}/config"] = np.array(json.dumps(config))
        out[f"{k}/grad_out"] = grad_out
        out[f"{k}/out"] = y.detach().numpy()
        for name, a in arrays.items():
            out[f"{k}/{name}"] = a
            out[f"{k}/grad_{name}"] = t[name].grad.numpy()
    return out


def pool_goldens(rng: np.random.Generator) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for k, (kind, shape, size, options) in enumerate(POOL_CASES):
        function, *ties = kind.split()
        x = rng.standard_normal(shape)
        if ties:
            x = np.maximum(x - 1.0, 0.0)  # most entries exactly 0
        t = _tensor(x)
        if function.startswith(("max", "adaptive_max")):
            y, indices = getattr(F, function)(t, size, **options, return_indices=True)
            out[f"{k}/indices"] = indices.numpy()
        else:
            y = getattr(F, function)(t, size, **options)
        grad_out = rng.standard_normal(tuple(y.shape))
        y.backward(torch.tensor(grad_out))
        out[f"{k}/config"] = np.array(json.dumps(dict(function=function, size=size, options=options)))
        out[f"{k}/x"], out[f"{k}/grad_out"] = x, grad_out
        out[f"{k}/out"], out[f"{k}/grad_x"] = y.detach().numpy(), t.grad.numpy()
    return out


def norm_goldens(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per case: NORM_STEPS training steps (output and gradients of each), the running statistics
    after them, then one evaluation pass (output and input gradient)."""
    out: dict[str, np.ndarray] = {}
    for name, layer_name, shape, momentum, affine, track in NORM_CASES:
        layer = getattr(torch.nn, layer_name)(shape[1], momentum=momentum, affine=affine,
                                              track_running_stats=track, dtype=torch.float64)
        if affine:  # start from non-trivial scale and shift so their role shows in the output
            with torch.no_grad():
                layer.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, shape[1])))
                layer.bias.copy_(torch.tensor(rng.standard_normal(shape[1])))
            out[f"{name}/weight"] = layer.weight.detach().numpy().copy()
            out[f"{name}/bias"] = layer.bias.detach().numpy().copy()
        config = dict(layer=layer_name, momentum=momentum, affine=affine, track_running_stats=track, steps=NORM_STEPS)
        out[f"{name}/config"] = np.array(json.dumps(config))
        for mode in [f"train{s}" for s in range(NORM_STEPS)] + ["eval"]:
            layer.train(mode != "eval")
            x = rng.standard_normal(shape) * 2.0 + 0.5
            t = _tensor(x)
            layer.zero_grad()
            y = layer(t)
            grad_out = rng.standard_normal(shape)
            y.backward(torch.tensor(grad_out))
            out[f"{name}/{mode}/x"], out[f"{name}/{mode}/grad_out"] = x, grad_out
            out[f"{name}/{mode}/out"], out[f"{name}/{mode}/grad_x"] = y.detach().numpy(), t.grad.numpy()
            if affine:
                out[f"{name}/{mode}/grad_weight"] = layer.weight.grad.numpy().copy()
                out[f"{name}/{mode}/grad_bias"] = layer.bias.grad.numpy().copy()
            if track and mode != "eval":
                out[f"{name}/{mode}/running_mean"] = layer.running_mean.numpy().copy()
                out[f"{name}/{mode}/running_var"] = layer.running_var.numpy().copy()
    return out


BUILDERS = {"spatial_conv": (conv_goldens, 9), "spatial_pool": (pool_goldens, 10), "spatial_norm": (norm_goldens, 11)}


def main() -> int:
    args = parse_args(__doc__)
    torch.use_deterministic_algorithms(True)
    warnings.filterwarnings("ignore", message="Using padding='same'")  # torch's note on its own speed
    files = {f"{stem}.npz": build(np.random.default_rng(seed)) for stem, (build, seed) in BUILDERS.items()}
    return write_or_check(files, args.check)


if __name__ == "__main__":
    sys.exit(main())
