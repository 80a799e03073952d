"""Module 09 check: convolution and pooling kernels (both backends), their layers, BatchNorm, Dropout2d.

The expected values come from small NumPy formulas written here, in float64: a convolution is a
sum over its kernel's taps (each tap reads a strided slice of the padded input), pooling is the
maximum or mean over the same taps, and the gradients of those linear maps send each output's
gradient back through the same slices. BatchNorm's gradients are finite differences of its
formula. The kernels are checked on their own first (naive loops, then the numpy backend's
vectorised versions), so a wrong kernel is reported as that kernel and not as a wrong layer.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch
from tinytorch import nn
from tinytorch.backend import naive, numpy_backend
from tinytorch.nn import functional as F
from tito.course.checks._helpers import assert_close, assert_equal, assert_shape, exercise, fail, grad_of, numeric_grad

KERNEL_NAMES = ("conv2d_forward", "conv2d_backward", "max_pool2d_forward", "max_pool2d_backward",
                "avg_pool2d_forward", "avg_pool2d_backward")
NAIVE = {name: exercise(name, "backend/naive.py") for name in KERNEL_NAMES}
FAST = {name: exercise(name, "backend/numpy_backend.py") for name in KERNEL_NAMES[1:]}
FAST["conv2d_forward"] = exercise("_conv_nhwc", "backend/numpy_backend.py")  # conv2d_forward's arithmetic
BACKENDS = {"naive": (naive, NAIVE), "numpy": (numpy_backend, FAST)}

CONV_FORWARD = exercise("Conv2dFunction.forward")
CONV_BACKWARD = exercise("Conv2dFunction.backward")
CONV_LAYER = exercise("Conv2d.forward")
MAX_POOL_LAYER = exercise("MaxPool2d.forward")
AVG_POOL_LAYER = exercise("AvgPool2d.forward")
ADAPTIVE = exercise("adaptive_avg_pool2d")
BN_FORWARD = exercise("BatchNormFunction.forward")
BN_BACKWARD = exercise("BatchNormFunction.backward")
BN_LAYER = exercise("_BatchNorm.forward")
DROPOUT2D = exercise("dropout2d")

RNG = np.random.default_rng(9)
TOL = {"rtol": 1e-9, "atol": 1e-11}  # float64 throughout the kernel checks

# Convolutions: (x shape, w shape, stride, padding ((top, bottom), (left, right)), dilation, groups)
CONVS = {
    "3x3 kernel, padding 1": ((2, 3, 5, 5), (4, 3, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
    "stride (2, 1), uneven padding, dilation (1, 2), 2 groups": (
        (1, 4, 6, 7), (6, 2, 3, 2), (2, 1), ((1, 0), (2, 1)), (1, 2), 2),
    "stride 1, dilation (2, 1), uneven padding, 2 groups": (
        (2, 4, 5, 6), (4, 2, 2, 3), (1, 1), ((0, 1), (1, 1)), (2, 1), 2),
}
# Pooling: (x shape, kernel, stride, padding (rows, columns) on both sides)
POOLS = {
    "2x2 windows, stride 2 (the last column is left over)": ((2, 3, 4, 5), (2, 2), (2, 2), (0, 0)),
    "3x2 windows, stride (1, 2), padding 1 (overlapping)": ((1, 2, 4, 4), (3, 2), (1, 2), (1, 1)),
}
# Max pooling with more options: (x shape, kernel, stride, padding, dilation, ceil_mode)
MAX_POOLS = {
    "2x3 windows, dilation (2, 1), padding (0, 1)": ((2, 2, 6, 7), (2, 3), (1, 2), (0, 1), (2, 1), False),
    "2x2 windows, stride 2, padding 1, ceil mode (5 rows: 3 windows, a 4th would start on the padding)": (
        (1, 2, 5, 6), (2, 2), (2, 2), (1, 1), (1, 1), True),
    "2x2 windows, stride (2, 3), dilation 2, ceil mode (partial last windows)": (
        (2, 2, 7, 8), (2, 2), (2, 3), (0, 0), (2, 2), True),
}
ALL_MAX_POOLS = {**POOLS, **MAX_POOLS}
# Average pooling in ceil mode: (x shape, kernel, stride, padding)
CEIL_AVG_POOLS = {
    "3x3 windows, stride 2, padding 1, ceil mode": ((1, 2, 6, 7), (3, 3), (2, 2), (1, 1)),
    "2x3 windows, stride (2, 3), ceil mode, no padding": ((2, 1, 5, 7), (2, 3), (2, 3), (0, 0)),
}


def _describe(shapes: tuple, what: str) -> str:
    return f"{what} with x {shapes[0]}, w {shapes[1]}"


# ---------------------------------------------------------------------------------- references


def _taps(kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int], out: tuple[int, int]):
    """For each kernel tap (di, dj): the tap's number di * kw + dj and the (rows, columns) slices of
    the padded input that it reads for every output position."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out
    for di in range(kh):
        for dj in range(kw):
            rows = slice(di * dh, di * dh + sh * (ho - 1) + 1, sh)
            cols = slice(dj * dw, dj * dw + sw * (wo - 1) + 1, sw)
            yield di * kw + dj, di, dj, rows, cols


def _out_size(size: int, before: int, after: int, k: int, stride: int, dilation: int = 1) -> int:
    return (size + before + after - dilation * (k - 1) - 1) // stride + 1


def _pad(x: np.ndarray, padding, value: float = 0.0) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), *padding), constant_values=value)


def _conv_geometry(x_shape, w_shape, stride, padding, dilation):
    (top, bottom), (left, right) = padding
    return (_out_size(x_shape[2], top, bottom, w_shape[2], stride[0], dilation[0]),
            _out_size(x_shape[3], left, right, w_shape[3], stride[1], dilation[1]))


def _conv(x, w, stride, padding, dilation, groups) -> np.ndarray:
    """out[n, o, i, j] = sum over taps and the group's channels of padded x times w, in float64."""
    xp = _pad(x.astype(np.float64), padding)
    o, cg = w.shape[:2]
    og = o // groups
    ho, wo = _conv_geometry(x.shape, w.shape, stride, padding, dilation)
    out = np.zeros((x.shape[0], o, ho, wo))
    for g in range(groups):
        ins, outs = slice(g * cg, (g + 1) * cg), slice(g * og, (g + 1) * og)
        for _, di, dj, rows, cols in _taps(w.shape[2:], stride, dilation, (ho, wo)):
            out[:, outs] += np.einsum("nchw,oc->nohw", xp[:, ins, rows, cols], w[outs, :, di, dj])
    return out


def _conv_grads(grad, x, w, stride, padding, dilation, groups) -> tuple[np.ndarray, np.ndarray]:
    """d loss / d x and d loss / d w of `_conv`, for d loss / d out = grad: each tap's slice of the
    padded input receives grad times the tap's weights; the tap's weights receive grad times the slice."""
    xp = _pad(x.astype(np.float64), padding)
    grad_xp, grad_w = np.zeros_like(xp), np.zeros(w.shape)
    o, cg = w.shape[:2]
    og = o // groups
    for g in range(groups):
        ins, outs = slice(g * cg, (g + 1) * cg), slice(g * og, (g + 1) * og)
        for _, di, dj, rows, cols in _taps(w.shape[2:], stride, dilation, grad.shape[2:]):
            grad_w[outs, :, di, dj] += np.einsum("nohw,nchw->oc", grad[:, outs], xp[:, ins, rows, cols])
            grad_xp[:, ins, rows, cols] += np.einsum("nohw,oc->nchw", grad[:, outs], w[outs, :, di, dj])
    (top, _), (left, _) = padding
    return grad_xp[:, :, top:top + x.shape[2], left:left + x.shape[3]], grad_w


def _pool_out(size: int, k: int, stride: int, pad: int, dilation: int = 1, ceil_mode: bool = False) -> int:
    """PyTorch's number of pooling windows along one axis: rounded up in ceil mode, but then a last
    window that would start on the right padding is dropped."""
    span = size + 2 * pad - dilation * (k - 1) - 1
    out = -(-span // stride) + 1 if ceil_mode else span // stride + 1
    return out - 1 if ceil_mode and (out - 1) * stride >= size + pad else out


def _pool_pads(x_shape, kernel, stride, padding, dilation=(1, 1), ceil_mode=False):
    """((top, bottom), (left, right)) padding and output size (Ho, Wo): in ceil mode the bottom/right
    padding grows until the last window fits."""
    out = tuple(_pool_out(*a, ceil_mode) for a in zip(x_shape[2:], kernel, stride, padding, dilation))
    extra = [max(0, (o - 1) * s + d * (k - 1) + 1 - n - 2 * p)
             for o, s, d, k, n, p in zip(out, stride, dilation, kernel, x_shape[2:], padding)]
    return ((padding[0], padding[0] + extra[0]), (padding[1], padding[1] + extra[1])), out


def _pool_windows(x, kernel, stride, padding, value, dilation=(1, 1), ceil_mode=False):
    """Every tap's slice of the padded input stacked: (kh * kw, N, C, Ho, Wo), and the slices."""
    pads, out = _pool_pads(x.shape, kernel, stride, padding, dilation, ceil_mode)
    xp = _pad(x.astype(np.float64), pads, value)
    slices = [(rows, cols) for _, _, _, rows, cols in _taps(kernel, stride, dilation, out)]
    return np.stack([xp[:, :, rows, cols] for rows, cols in slices]), slices


def _spread(grads, slices, x_shape, pads) -> np.ndarray:
    """Add each tap's gradient (N, C, Ho, Wo) into the tap's slice of the padded input, then crop."""
    (top, bottom), (left, right) = pads
    grad_xp = np.zeros((x_shape[0], x_shape[1], x_shape[2] + top + bottom, x_shape[3] + left + right))
    for grad, (rows, cols) in zip(grads, slices):
        grad_xp[:, :, rows, cols] += grad
    return grad_xp[:, :, top:top + x_shape[2], left:left + x_shape[3]]


def _max_pool(x, kernel, stride, padding, dilation=(1, 1), ceil_mode=False) -> tuple[np.ndarray, np.ndarray]:
    """The maximum of each window and its tap number (np.argmax: the first one on ties)."""
    windows, _ = _pool_windows(x, kernel, stride, padding, -np.inf, dilation, ceil_mode)
    return windows.max(axis=0), windows.argmax(axis=0)


def _max_pool_grad(grad, x, kernel, stride, padding, dilation=(1, 1), ceil_mode=False) -> np.ndarray:
    windows, slices = _pool_windows(x, kernel, stride, padding, -np.inf, dilation, ceil_mode)
    winner = windows.argmax(axis=0)
    pads, _ = _pool_pads(x.shape, kernel, stride, padding, dilation, ceil_mode)
    return _spread([grad * (winner == t) for t in range(len(slices))], slices, x.shape, pads)


def _avg_count(x_shape, kernel, stride, padding, count_include_pad, ceil_mode=False):
    """What each window's sum is divided by, (Ho, Wo): the number of its elements inside the padded
    input (count_include_pad) or inside the input itself. (Only a ceil-mode window reaches past the
    padded input, and that part never counts.)"""
    counts = []
    for n, k, s, p in zip(x_shape[2:], kernel, stride, padding):
        starts = np.arange(_pool_out(n, k, s, p, 1, ceil_mode)) * s - p  # in input coordinates
        low, high = (-p, n + p) if count_include_pad else (0, n)
        counts.append(np.minimum(starts + k, high) - np.maximum(starts, low))
    return np.outer(*counts)


def _avg_pool(x, kernel, stride, padding, count_include_pad=True, ceil_mode=False) -> np.ndarray:
    windows, _ = _pool_windows(x, kernel, stride, padding, 0.0, (1, 1), ceil_mode)
    return windows.sum(axis=0) / _avg_count(x.shape, kernel, stride, padding, count_include_pad, ceil_mode)


def _avg_pool_grad(grad, x_shape, kernel, stride, padding, count_include_pad=True, ceil_mode=False) -> np.ndarray:
    share = grad / _avg_count(x_shape, kernel, stride, padding, count_include_pad, ceil_mode)
    _, slices = _pool_windows(np.zeros(x_shape), kernel, stride, padding, 0.0, (1, 1), ceil_mode)
    pads, _ = _pool_pads(x_shape, kernel, stride, padding, (1, 1), ceil_mode)
    return _spread([share] * len(slices), slices, x_shape, pads)


def _channels_last(a: np.ndarray) -> np.ndarray:
    """The same (N, C, H, W) values stored channels-last in memory, as numpy-backend outputs are."""
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def _leaf(a: np.ndarray) -> tinytorch.Tensor:
    return tinytorch.tensor(a, requires_grad=True)


# --------------------------------------------------------------------- the kernels, both backends


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CONVS)
def test_conv2d_forward_kernel(backend, case):
    kernels, names = BACKENDS[backend]
    x_shape, w_shape, *options = CONVS[case]
    x, w = RNG.standard_normal(x_shape), RNG.standard_normal(w_shape)
    got = kernels.conv2d_forward(x, w, *options)
    what = _describe(CONVS[case], f"{backend} conv2d_forward, {case},")
    assert_close(got, _conv(x, w, *options), names["conv2d_forward"], what, **TOL)


@pytest.mark.parametrize("backend", BACKENDS)
def test_conv2d_forward_kernel_keeps_float32(backend):
    kernels, names = BACKENDS[backend]
    x = RNG.standard_normal((1, 2, 4, 4)).astype(np.float32)
    w = RNG.standard_normal((3, 2, 2, 2)).astype(np.float32)
    got = kernels.conv2d_forward(x, w, (1, 1), ((0, 0), (0, 0)), (1, 1), 1)
    if got.dtype != np.float32:
        fail(f"{backend} conv2d_forward of float32 arrays must stay float32", names["conv2d_forward"],
             expected=np.dtype(np.float32), got=got.dtype)
    assert_close(got, _conv(x, w, (1, 1), ((0, 0), (0, 0)), (1, 1), 1), names["conv2d_forward"],
                 f"{backend} conv2d_forward of float32 (1, 2, 4, 4) and (3, 2, 2, 2)", rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CONVS)
def test_conv2d_backward_kernel(backend, case):
    kernels, names = BACKENDS[backend]
    x_shape, w_shape, *options = CONVS[case]
    x, w = RNG.standard_normal(x_shape), RNG.standard_normal(w_shape)
    grad = RNG.standard_normal((x_shape[0], w_shape[0], *_conv_geometry(x_shape, w_shape, *options[:3])))
    if backend == "numpy":
        grad = _channels_last(grad)  # the layout numpy-backend convolutions hand to the next layer
    got = kernels.conv2d_backward(grad, x, w, *options)
    if not isinstance(got, tuple) or len(got) != 2:
        fail(f"{backend} conv2d_backward must return (grad_x, grad_w)", names["conv2d_backward"], got=got)
    expected_x, expected_w = _conv_grads(grad, x, w, *options)
    what = _describe(CONVS[case], f"{backend} conv2d_backward, {case},")
    assert_close(got[0], expected_x, names["conv2d_backward"], f"{what}: d loss / d x", **TOL)
    assert_close(got[1], expected_w, names["conv2d_backward"], f"{what}: d loss / d w", **TOL)


@pytest.mark.parametrize("tile_bytes", [1, 3000])  # one output row per tile; a few rows or one image per tile
def test_numpy_conv2d_kernels_cut_into_small_tiles(tile_bytes, monkeypatch):
    monkeypatch.setattr(numpy_backend, "TILE_BYTES", tile_bytes)  # undone after this test
    for case, (x_shape, w_shape, *options) in CONVS.items():
        x, w = RNG.standard_normal((3, *x_shape[1:])), RNG.standard_normal(w_shape)  # 3 images
        what = _describe((x.shape, w_shape), f"numpy backend, im2col in tiles of {tile_bytes} bytes, {case},")
        got = numpy_backend.conv2d_forward(x, w, *options)
        assert_close(got, _conv(x, w, *options), FAST["conv2d_forward"], f"{what}: conv2d_forward", **TOL)
        grad = RNG.standard_normal(got.shape)
        grad_x, grad_w = numpy_backend.conv2d_backward(grad, x, w, *options)
        expected_x, expected_w = _conv_grads(grad, x, w, *options)
        assert_close(grad_x, expected_x, FAST["conv2d_backward"], f"{what}: d loss / d x", **TOL)
        assert_close(grad_w, expected_w, FAST["conv2d_backward"], f"{what}: d loss / d w", **TOL)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", ALL_MAX_POOLS)
def test_max_pool2d_forward_kernel(backend, case):
    kernels, names = BACKENDS[backend]
    x_shape, *options = ALL_MAX_POOLS[case]
    x = RNG.integers(-2, 1, x_shape).astype(np.float64)  # values -2, -1, 0: many ties, windows below 0
    out, index = kernels.max_pool2d_forward(x, *options)
    expected_out, expected_index = _max_pool(x, *options)
    what = f"{backend} max_pool2d_forward of x {x_shape} with values in {{-2, -1, 0}}, {case}"
    assert_close(out, expected_out, names["max_pool2d_forward"], f"{what}: the maxima", **TOL)
    assert_equal(np.asarray(index).astype(np.int64), expected_index, names["max_pool2d_forward"],
                 f"{what}: the tap of each maximum (row-major di * kw + dj, the first one on ties)")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", ALL_MAX_POOLS)
def test_max_pool2d_backward_kernel(backend, case):
    kernels, names = BACKENDS[backend]
    x_shape, *options = ALL_MAX_POOLS[case]
    x = RNG.integers(-2, 1, x_shape).astype(np.float64)
    _, index = _max_pool(x, *options)
    grad = RNG.standard_normal(index.shape)
    got = kernels.max_pool2d_backward(grad, index, x_shape, *options)
    assert_close(got, _max_pool_grad(grad, x, *options), names["max_pool2d_backward"],
                 f"{backend} max_pool2d_backward, {case}: each gradient goes to its window's maximum", **TOL)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", POOLS)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_forward_kernel(backend, case, count_include_pad):
    kernels, names = BACKENDS[backend]
    x_shape, *options = POOLS[case]
    x = RNG.standard_normal(x_shape)
    got = kernels.avg_pool2d_forward(x, *options, count_include_pad)
    assert_close(got, _avg_pool(x, *options, count_include_pad), names["avg_pool2d_forward"],
                 f"{backend} avg_pool2d_forward, {case}, count_include_pad={count_include_pad}", **TOL)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", POOLS)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_backward_kernel(backend, case, count_include_pad):
    kernels, names = BACKENDS[backend]
    x_shape, *options = POOLS[case]
    expected = _avg_pool(np.zeros(x_shape), *options, count_include_pad)
    grad = RNG.standard_normal(expected.shape)
    got = kernels.avg_pool2d_backward(grad, x_shape, *options, count_include_pad)
    assert_close(got, _avg_pool_grad(grad, x_shape, *options, count_include_pad), names["avg_pool2d_backward"],
                 f"{backend} avg_pool2d_backward, {case}, count_include_pad={count_include_pad}", **TOL)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CEIL_AVG_POOLS)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_kernels_in_ceil_mode(backend, case, count_include_pad):
    kernels, names = BACKENDS[backend]
    x_shape, *options = CEIL_AVG_POOLS[case]
    x = RNG.standard_normal(x_shape)
    what = f"{backend} avg_pool2d_forward, {case}, count_include_pad={count_include_pad}"
    expected = _avg_pool(x, *options, count_include_pad, True)
    got = kernels.avg_pool2d_forward(x, *options, count_include_pad, True)
    assert_close(got, expected, names["avg_pool2d_forward"],
                 f"{what} (the part of the last window past the padded input does not count)", **TOL)
    got = kernels.avg_pool2d_forward(x, *options, count_include_pad, True, 5)
    assert_close(got, expected * _avg_count(x_shape, *options, count_include_pad, True) / 5,
                 names["avg_pool2d_forward"], f"{what}, divisor_override=5: every window's sum / 5", **TOL)
    grad = RNG.standard_normal(expected.shape)
    got = kernels.avg_pool2d_backward(grad, x_shape, *options, count_include_pad, True)
    assert_close(got, _avg_pool_grad(grad, x_shape, *options, count_include_pad, True), names["avg_pool2d_backward"],
                 f"{backend} avg_pool2d_backward, {case}, count_include_pad={count_include_pad}", **TOL)
    got = kernels.avg_pool2d_backward(grad, x_shape, *options, count_include_pad, True, 5)
    share = grad * _avg_count(x_shape, *options, count_include_pad, True) / 5
    assert_close(got, _avg_pool_grad(share, x_shape, *options, count_include_pad, True), names["avg_pool2d_backward"],
                 f"{backend} avg_pool2d_backward, {case}, divisor_override=5: each share is the gradient / 5", **TOL)


# ------------------------------------------------------------------------------- Conv2dFunction

X = RNG.standard_normal((2, 4, 5, 6))
W = RNG.standard_normal((6, 2, 3, 2))  # 2 groups
B = RNG.standard_normal(6)
OPTIONS = {"stride": (2, 1), "padding": 1, "dilation": (1, 2), "groups": 2}
REF_OPTIONS = ((2, 1), ((1, 1), (1, 1)), (1, 2), 2)  # the same, as the kernels take them


def test_conv2d_function_forward_adds_the_bias():
    got = F.conv2d(tinytorch.tensor(X), tinytorch.tensor(W), tinytorch.tensor(B), **OPTIONS)
    expected = _conv(X, W, *REF_OPTIONS) + B[None, :, None, None]
    assert_close(got, expected, CONV_FORWARD, "F.conv2d(x (2, 4, 5, 6), w (6, 2, 3, 2), bias (6,), stride (2, 1), "
                 "padding 1, dilation (1, 2), groups 2)", **TOL)
    without = F.conv2d(tinytorch.tensor(X), tinytorch.tensor(W), None, **OPTIONS)
    assert_close(without, _conv(X, W, *REF_OPTIONS), CONV_FORWARD, "F.conv2d(..., bias=None)", **TOL)


def test_conv2d_function_forward_on_the_naive_backend():
    with tinytorch.backend.use("naive"):
        got = F.conv2d(tinytorch.tensor(X), tinytorch.tensor(W), tinytorch.tensor(B), **OPTIONS)
    assert_close(got, _conv(X, W, *REF_OPTIONS) + B[None, :, None, None], CONV_FORWARD,
                 "F.conv2d with bias under tinytorch.backend.use('naive')", **TOL)


def test_conv2d_function_backward_gives_x_weight_and_bias_gradients():
    x, w, b = _leaf(X), _leaf(W), _leaf(B)
    out = F.conv2d(x, w, b, **OPTIONS)
    grad = RNG.standard_normal(out.shape)
    out.backward(grad)
    expected_x, expected_w = _conv_grads(grad, X, W, *REF_OPTIONS)
    what = "F.conv2d(x, w, b, stride (2, 1), padding 1, dilation (1, 2), groups 2).backward(G)"
    assert_close(grad_of(x, CONV_BACKWARD, what), expected_x, CONV_BACKWARD, f"{what}: x.grad", **TOL)
    assert_close(grad_of(w, CONV_BACKWARD, what), expected_w, CONV_BACKWARD, f"{what}: w.grad", **TOL)
    assert_close(grad_of(b, CONV_BACKWARD, what), grad.sum(axis=(0, 2, 3)), CONV_BACKWARD,
                 f"{what}: b.grad (G summed over batch and positions)", **TOL)


def test_conv2d_function_backward_without_bias_and_with_a_constant_input():
    x, w = tinytorch.tensor(X), _leaf(W)  # x needs no gradient
    out = F.conv2d(x, w, None, **OPTIONS)
    grad = RNG.standard_normal(out.shape)
    out.backward(grad)
    assert_close(grad_of(w, CONV_BACKWARD, "F.conv2d(x, w) without bias"), _conv_grads(grad, X, W, *REF_OPTIONS)[1],
                 CONV_BACKWARD, "F.conv2d(x, w) without bias, x a constant: w.grad", **TOL)
    with tinytorch.backend.use("naive"):
        x, w, b = _leaf(X), _leaf(W), _leaf(B)
        F.conv2d(x, w, b, **OPTIONS).backward(grad)
    assert_close(grad_of(x, CONV_BACKWARD, "on the naive backend"), _conv_grads(grad, X, W, *REF_OPTIONS)[0],
                 CONV_BACKWARD, "F.conv2d(x, w, b).backward(G) under tinytorch.backend.use('naive'): x.grad", **TOL)


# ------------------------------------------------------------------------------------- Conv2d


def test_conv2d_layer_applies_its_options():
    tinytorch.manual_seed(0)
    layer = nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2, dtype=tinytorch.float64)
    got = layer(tinytorch.tensor(X))
    expected = _conv(X, layer.weight.data, (2, 1), ((1, 1), (2, 2)), (1, 2), 2) + layer.bias.data[None, :, None, None]
    assert_shape(got, expected.shape, CONV_LAYER, f"{layer!r} of x (2, 4, 5, 6)")
    assert_close(got, expected, CONV_LAYER, f"{layer!r} of x (2, 4, 5, 6)", **TOL)


def test_conv2d_layer_same_padding_and_an_unbatched_image():
    tinytorch.manual_seed(1)
    layer = nn.Conv2d(4, 3, 3, padding="same", bias=False, dtype=tinytorch.float64)
    got = layer(tinytorch.tensor(X[0]))
    assert_shape(got, (3, 5, 6), CONV_LAYER, f"{layer!r} of one image (4, 5, 6)")
    assert_close(got, _conv(X[:1], layer.weight.data, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)[0], CONV_LAYER,
                 f"{layer!r} of one image (4, 5, 6)", **TOL)


def test_conv2d_layer_trains_its_weight_and_bias():
    tinytorch.manual_seed(2)
    layer = nn.Conv2d(4, 2, 2, dtype=tinytorch.float64)
    out = layer(tinytorch.tensor(X))
    grad = RNG.standard_normal(out.shape)
    out.backward(grad)
    expected_w = _conv_grads(grad, X, layer.weight.data, (1, 1), ((0, 0), (0, 0)), (1, 1), 1)[1]
    assert_close(grad_of(layer.weight, CONV_LAYER, f"{layer!r}"), expected_w, CONV_LAYER,
                 f"{layer!r}: weight.grad after backward(G)", **TOL)
    assert_close(grad_of(layer.bias, CONV_LAYER, f"{layer!r}"), grad.sum(axis=(0, 2, 3)), CONV_LAYER,
                 f"{layer!r}: bias.grad after backward(G)", **TOL)


# ------------------------------------------------------------------------------------ pooling layers

POOL_X = RNG.standard_normal((2, 3, 5, 6))


def test_max_pool2d_layer_applies_its_options():
    layer = nn.MaxPool2d((3, 2), stride=(1, 2), padding=1)
    got = layer(tinytorch.tensor(POOL_X))
    assert_close(got, _max_pool(POOL_X, (3, 2), (1, 2), (1, 1))[0], MAX_POOL_LAYER, f"{layer!r} of x (2, 3, 5, 6)",
                 **TOL)
    assert_close(nn.MaxPool2d(2)(tinytorch.tensor(POOL_X)), _max_pool(POOL_X, (2, 2), (2, 2), (0, 0))[0],
                 MAX_POOL_LAYER, "MaxPool2d(2) of x (2, 3, 5, 6) (stride defaults to the kernel size)", **TOL)
    layer = nn.MaxPool2d(2, stride=(2, 1), dilation=(1, 2), ceil_mode=True)
    assert_close(layer(tinytorch.tensor(POOL_X)), _max_pool(POOL_X, (2, 2), (2, 1), (0, 0), (1, 2), True)[0],
                 MAX_POOL_LAYER, f"{layer!r} of x (2, 3, 5, 6)", **TOL)
    layer = nn.MaxPool2d(3, stride=2, return_indices=True)
    got = layer(tinytorch.tensor(POOL_X))
    if not isinstance(got, tuple) or len(got) != 2:
        fail(f"{layer!r} must return (output, indices)", MAX_POOL_LAYER, got=type(got).__name__)
    maxima = np.take_along_axis(POOL_X.reshape(2, 3, -1), np.asarray(got[1].data).reshape(2, 3, -1), -1)
    assert_close(maxima.reshape(2, 3, 2, 2), _max_pool(POOL_X, (3, 3), (2, 2), (0, 0))[0], MAX_POOL_LAYER,
                 f"{layer!r} of x (2, 3, 5, 6): the elements its indices point at (row * W + column)", **TOL)


def test_max_pool2d_layer_gradient():
    x = _leaf(POOL_X)
    out = nn.MaxPool2d(3, stride=2, padding=1)(x)
    grad = RNG.standard_normal(out.shape)
    out.backward(grad)
    assert_close(grad_of(x, MAX_POOL_LAYER, "MaxPool2d(3, stride=2, padding=1)"),
                 _max_pool_grad(grad, POOL_X, (3, 3), (2, 2), (1, 1)), MAX_POOL_LAYER,
                 "MaxPool2d(3, stride=2, padding=1) of x (2, 3, 5, 6), backward(G): x.grad", **TOL)


def test_avg_pool2d_layer_applies_its_options():
    layer = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)
    got = layer(tinytorch.tensor(POOL_X))
    assert_close(got, _avg_pool(POOL_X, (3, 3), (2, 2), (1, 1), False), AVG_POOL_LAYER,
                 f"{layer!r} of x (2, 3, 5, 6)", **TOL)
    layer = nn.AvgPool2d((2, 3), padding=(1, 0))
    assert_close(layer(tinytorch.tensor(POOL_X)), _avg_pool(POOL_X, (2, 3), (2, 3), (1, 0)), AVG_POOL_LAYER,
                 f"{layer!r} of x (2, 3, 5, 6) (zero padding counted)", **TOL)
    layer = nn.AvgPool2d(2, ceil_mode=True)
    assert_close(layer(tinytorch.tensor(POOL_X)), _avg_pool(POOL_X, (2, 2), (2, 2), (0, 0), True, True), AVG_POOL_LAYER,
                 f"{layer!r} of x (2, 3, 5, 6) (the last row's windows are cut)", **TOL)
    layer = nn.AvgPool2d(2, divisor_override=3)
    assert_close(layer(tinytorch.tensor(POOL_X)), _avg_pool(POOL_X, (2, 2), (2, 2), (0, 0)) * 4 / 3, AVG_POOL_LAYER,
                 f"{layer!r} of x (2, 3, 5, 6) (window sums divided by 3)", **TOL)


def test_avg_pool2d_layer_gradient():
    x = _leaf(POOL_X)
    out = nn.AvgPool2d(2, stride=1)(x)
    grad = RNG.standard_normal(out.shape)
    out.backward(grad)
    assert_close(grad_of(x, AVG_POOL_LAYER, "AvgPool2d(2, stride=1)"),
                 _avg_pool_grad(grad, POOL_X.shape, (2, 2), (1, 1), (0, 0)), AVG_POOL_LAYER,
                 "AvgPool2d(2, stride=1) of x (2, 3, 5, 6), backward(G): x.grad", **TOL)


# ------------------------------------------------------------------------------ adaptive_avg_pool2d


def _adaptive(x: np.ndarray, oh: int, ow: int) -> np.ndarray:
    """PyTorch's bins: output i averages input [floor(i * H / oh), ceil((i + 1) * H / oh)), per axis."""
    h, w = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, r1 = (i * h) // oh, -(-((i + 1) * h) // oh)
            c0, c1 = (j * w) // ow, -(-((j + 1) * w) // ow)
            out[..., i, j] = x[..., r0:r1, c0:c1].mean(axis=(-2, -1))
    return out


def test_adaptive_avg_pool2d_bins_like_pytorch():
    x = tinytorch.tensor(POOL_X)
    assert_close(F.adaptive_avg_pool2d(x, (2, 4)), _adaptive(POOL_X, 2, 4), ADAPTIVE,
                 "adaptive_avg_pool2d(x (2, 3, 5, 6), (2, 4)) (bins overlap along W)", **TOL)
    assert_close(F.adaptive_avg_pool2d(x, (3, 3)), _adaptive(POOL_X, 3, 3), ADAPTIVE,
                 "adaptive_avg_pool2d(x (2, 3, 5, 6), (3, 3))", **TOL)
    assert_close(F.adaptive_avg_pool2d(x, 1), POOL_X.mean(axis=(2, 3), keepdims=True), ADAPTIVE,
                 "adaptive_avg_pool2d(x, 1): the global average", **TOL)
    assert_close(F.adaptive_avg_pool2d(x, (None, 2)), _adaptive(POOL_X, 5, 2), ADAPTIVE,
                 "adaptive_avg_pool2d(x (2, 3, 5, 6), (None, 2)): H kept", **TOL)
    assert_close(F.adaptive_avg_pool2d(tinytorch.tensor(POOL_X[0]), (2, 3)), _adaptive(POOL_X[0], 2, 3), ADAPTIVE,
                 "adaptive_avg_pool2d of one image (3, 5, 6) to (2, 3)", **TOL)


def test_adaptive_avg_pool2d_gradient():
    x = _leaf(POOL_X)
    out = F.adaptive_avg_pool2d(x, (2, 4))
    grad = RNG.standard_normal(out.shape)
    out.backward(grad)
    expected = np.zeros_like(POOL_X)
    for i in range(2):
        for j in range(4):
            r0, r1, c0, c1 = (i * 5) // 2, -(-((i + 1) * 5) // 2), (j * 6) // 4, -(-((j + 1) * 6) // 4)
            expected[..., r0:r1, c0:c1] += grad[..., i, j, None, None] / ((r1 - r0) * (c1 - c0))
    assert_close(grad_of(x, ADAPTIVE, "adaptive_avg_pool2d"), expected, ADAPTIVE,
                 "adaptive_avg_pool2d(x (2, 3, 5, 6), (2, 4)).backward(G): x.grad", **TOL)


# ---------------------------------------------------------------------------------- batch norm

BN_X = RNG.standard_normal((3, 2, 2, 3)) * 2 + 1
BN_W = np.array([1.5, -0.5])
BN_B = np.array([0.25, 2.0])
EPS = 1e-5


def _bn(x, weight, bias, mean=None, var=None) -> np.ndarray:
    """(x - mean) / sqrt(var + eps) * weight + bias per channel; the batch's statistics if none given."""
    axes = (0, 2, 3)
    mean = x.mean(axis=axes) if mean is None else mean
    var = ((x - x.mean(axis=axes, keepdims=True)) ** 2).mean(axis=axes) if var is None else var
    shape = (1, -1, 1, 1)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + EPS) * weight.reshape(shape) + bias.reshape(shape)


def test_batch_norm_forward_training_uses_the_batch_statistics():
    running_mean, running_var = tinytorch.zeros(2, dtype=tinytorch.float64), tinytorch.ones(2, dtype=tinytorch.float64)
    got = F.batch_norm(tinytorch.tensor(BN_X), running_mean, running_var, tinytorch.tensor(BN_W),
                       tinytorch.tensor(BN_B), training=True, momentum=0.1, eps=EPS)
    assert_close(got, _bn(BN_X, BN_W, BN_B), BN_FORWARD, "F.batch_norm(x (3, 2, 2, 3), training=True)", rtol=1e-7,
                 atol=1e-9)
    mean, var = BN_X.mean(axis=(0, 2, 3)), BN_X.var(axis=(0, 2, 3), ddof=1)  # running var: unbiased
    assert_close(running_mean, 0.1 * mean, BN_FORWARD, "running_mean after one training batch (momentum 0.1)",
                 rtol=1e-7, atol=1e-9)
    assert_close(running_var, 0.9 + 0.1 * var, BN_FORWARD, "running_var after one training batch (momentum 0.1)",
                 rtol=1e-7, atol=1e-9)


def test_batch_norm_forward_evaluation_uses_the_given_statistics():
    mean, var = np.array([0.5, -1.0]), np.array([4.0, 0.25])
    got = F.batch_norm(tinytorch.tensor(BN_X), tinytorch.tensor(mean), tinytorch.tensor(var), tinytorch.tensor(BN_W),
                       tinytorch.tensor(BN_B), training=False, eps=EPS)
    assert_close(got, _bn(BN_X, BN_W, BN_B, mean, var), BN_FORWARD,
                 "F.batch_norm(x, running_mean (0.5, -1), running_var (4, 0.25), training=False)", rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_backward_matches_finite_differences(training):
    mean, var = (None, None) if training else (np.array([0.5, -1.0]), np.array([4.0, 0.25]))
    x, w, b = _leaf(BN_X), _leaf(BN_W), _leaf(BN_B)
    running = (None, None) if training else (tinytorch.tensor(mean), tinytorch.tensor(var))
    out = F.batch_norm(x, *running, w, b, training=training, eps=EPS)
    grad = RNG.standard_normal(BN_X.shape)
    out.backward(grad)
    what = f"F.batch_norm(x (3, 2, 2, 3), training={training}).backward(G)"
    expected = {
        "x": numeric_grad(lambda a: _bn(a, BN_W, BN_B, mean, var), BN_X.copy(), grad),
        "weight": numeric_grad(lambda a: _bn(BN_X, a, BN_B, mean, var), BN_W.copy(), grad),
        "bias": numeric_grad(lambda a: _bn(BN_X, BN_W, a, mean, var), BN_B.copy(), grad),
    }
    for name, leaf in (("x", x), ("weight", w), ("bias", b)):
        assert_close(grad_of(leaf, BN_BACKWARD, what), expected[name], BN_BACKWARD,
                     f"{what}: {name}.grad (against finite differences)", rtol=1e-5, atol=1e-6)


def test_batch_norm2d_training_updates_the_running_statistics():
    layer = nn.BatchNorm2d(2, dtype=tinytorch.float64)
    first, second = BN_X, RNG.standard_normal((2, 2, 3, 2)) - 1
    out = layer(tinytorch.tensor(first))
    assert_close(out, _bn(first, np.ones(2), np.zeros(2)), BN_LAYER, "BatchNorm2d(2) in training mode", rtol=1e-7,
                 atol=1e-9)
    layer(tinytorch.tensor(second))
    m1, m2 = first.mean(axis=(0, 2, 3)), second.mean(axis=(0, 2, 3))
    v1, v2 = first.var(axis=(0, 2, 3), ddof=1), second.var(axis=(0, 2, 3), ddof=1)
    assert_close(layer.running_mean, 0.9 * 0.1 * m1 + 0.1 * m2, BN_LAYER,
                 "BatchNorm2d(2, momentum=0.1).running_mean after two batches", rtol=1e-7, atol=1e-9)
    assert_close(layer.running_var, 0.9 * (0.9 + 0.1 * v1) + 0.1 * v2, BN_LAYER,
                 "BatchNorm2d(2, momentum=0.1).running_var after two batches", rtol=1e-7, atol=1e-9)
    assert_equal(int(layer.num_batches_tracked.item()), 2, BN_LAYER, "BatchNorm2d.num_batches_tracked after 2 batches")
    layer.eval()
    got = layer(tinytorch.tensor(first))
    expected = _bn(first, np.ones(2), np.zeros(2), layer.running_mean.data, layer.running_var.data)
    assert_close(got, expected, BN_LAYER, "BatchNorm2d in eval mode normalises with the running statistics",
                 rtol=1e-7, atol=1e-9)
    assert_equal(int(layer.num_batches_tracked.item()), 2, BN_LAYER, "num_batches_tracked after an eval-mode call")


def test_batch_norm2d_cumulative_average_and_no_running_statistics():
    layer = nn.BatchNorm2d(2, momentum=None, dtype=tinytorch.float64)
    first, second = BN_X, RNG.standard_normal((2, 2, 3, 2)) - 1
    layer(tinytorch.tensor(first))
    layer(tinytorch.tensor(second))
    expected = (first.mean(axis=(0, 2, 3)) + second.mean(axis=(0, 2, 3))) / 2
    assert_close(layer.running_mean, expected, BN_LAYER,
                 "BatchNorm2d(momentum=None).running_mean after two batches: their equal-weight average",
                 rtol=1e-7, atol=1e-9)
    stateless = nn.BatchNorm2d(2, track_running_stats=False, dtype=tinytorch.float64).eval()
    assert_close(stateless(tinytorch.tensor(first)), _bn(first, np.ones(2), np.zeros(2)), BN_LAYER,
                 "BatchNorm2d(track_running_stats=False) in eval mode uses the batch's statistics",
                 rtol=1e-7, atol=1e-9)


# ------------------------------------------------------------------------------------ dropout2d


def _channel_masks(out: np.ndarray, x: np.ndarray) -> np.ndarray:
    """out / x per channel, checked to be constant over each channel's positions."""
    ratio = out / x
    return ratio.reshape(ratio.shape[:-2] + (-1,))


def test_dropout2d_zeroes_whole_channels_and_scales_the_rest():
    x = RNG.uniform(1.0, 2.0, (4, 6, 3, 3))
    got = F.dropout2d(tinytorch.tensor(x), p=0.25, training=True, generator=tinytorch.Generator(3)).data
    ratio = _channel_masks(got, x)
    if not np.allclose(ratio, ratio[..., :1]):
        fail("dropout2d(x (4, 6, 3, 3), p=0.25): every channel must be dropped or kept as a whole", DROPOUT2D,
             got=np.round(ratio[0], 3))
    factors = np.unique(np.round(ratio[..., 0], 9))
    if not set(factors) <= {0.0, round(1 / 0.75, 9)} or len(factors) != 2:
        fail("dropout2d(p=0.25): channels must be either 0 or scaled by 1 / (1 - p)", DROPOUT2D,
             expected=[0.0, 1 / 0.75], got=factors)


def test_dropout2d_drops_about_p_of_the_channels():
    x = np.ones((25, 40, 1, 2))  # 1000 channels
    got = F.dropout2d(tinytorch.tensor(x), p=0.3, training=True, generator=tinytorch.Generator(4)).data
    dropped = float((got[..., 0, 0] == 0).mean())
    if abs(dropped - 0.3) > 0.05:
        fail("dropout2d(p=0.3) over 1000 channels: the fraction dropped", DROPOUT2D, expected="0.3 +- 0.05",
             got=dropped)


def test_dropout2d_is_the_identity_in_evaluation_or_with_p_zero_and_zero_with_p_one():
    x = RNG.standard_normal((2, 3, 2, 2))
    assert_close(F.dropout2d(tinytorch.tensor(x), p=0.5, training=False), x, DROPOUT2D,
                 "dropout2d(x, p=0.5, training=False)")
    assert_close(F.dropout2d(tinytorch.tensor(x), p=0.0), x, DROPOUT2D, "dropout2d(x, p=0)")
    assert_close(F.dropout2d(tinytorch.tensor(x), p=1.0), np.zeros_like(x), DROPOUT2D, "dropout2d(x, p=1)")


def test_dropout2d_repeats_with_a_seeded_generator_and_passes_gradients():
    x = RNG.uniform(1.0, 2.0, (3, 4, 2, 2))
    first = F.dropout2d(tinytorch.tensor(x), p=0.5, generator=tinytorch.Generator(8)).data
    leaf = _leaf(x)
    out = F.dropout2d(leaf, p=0.5, generator=tinytorch.Generator(8))
    assert_close(out, first, DROPOUT2D, "dropout2d twice with generator=Generator(8): the same channels dropped")
    grad = RNG.standard_normal(x.shape)
    out.backward(grad)
    assert_close(grad_of(leaf, DROPOUT2D, "dropout2d"), grad * first / x, DROPOUT2D,
                 "dropout2d(x, p=0.5).backward(G): x.grad is G times the channel mask", rtol=1e-7, atol=1e-9)
    image = F.dropout2d(tinytorch.tensor(x[0]), p=0.5, generator=tinytorch.Generator(5)).data  # (C, H, W)
    ratio = (image / x[0]).reshape(4, -1)
    if not np.allclose(ratio, ratio[:, :1]):
        fail("dropout2d of one image (4, 2, 2): whole channels", DROPOUT2D, got=np.round(ratio, 3))
