"""The NumPy backend: every kernel vectorised, handing the inner loops to BLAS."""

from __future__ import annotations

import numpy as np

from .naive import pool_geometry

NAME = "numpy"


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Matrix product with NumPy's matmul semantics (1-D promotion, broadcast batch dims)."""
    return np.matmul(a, b)


# ---------------------------------------------------------------------------------------------
# Convolution and pooling (module 09: the vectorised kernels, after the naive loops)
#
# Arrays are NCHW at the interface, as in PyTorch. Inside, the kernels work channels-last (NHWC):
# then the kh*kw*C numbers under one window are (almost) contiguous, a window view reshapes into
# the im2col matrix with one copy, and one matrix product per group does all the arithmetic in
# BLAS. Outputs are returned as NCHW *views* of NHWC memory: element-wise layers keep that layout,
# and the next convolution's transposition back to NHWC costs nothing.
#
# `xp` is the array module. CuPy shares NumPy's API (including `as_strided`), so a GPU backend can
# reuse these kernels by swapping it.
# ---------------------------------------------------------------------------------------------

xp = np
Pair = tuple[int, int]
Padding = tuple[Pair, Pair]  # ((top, bottom), (left, right))


def _pad_nhwc(x: np.ndarray, padding: Padding, value: float = 0.0) -> np.ndarray:
    """(N, C, H, W) -> (N, H + top + bottom, W + left + right, C), one copy (none if no padding
    and `x` is already channels-last in memory). Negative padding crops."""
    (top, bottom), (left, right) = padding
    n, c, h, w = x.shape
    x = x[:, :, max(-top, 0) : h - max(-bottom, 0), max(-left, 0) : w - max(-right, 0)]
    top, bottom, left, right = (max(p, 0) for p in (top, bottom, left, right))
    channels_last = x.transpose(0, 2, 3, 1)
    if top == bottom == left == right == 0:
        return channels_last
    n, h, w, c = channels_last.shape
    padded = xp.full((n, h + top + bottom, w + left + right, c), value, dtype=x.dtype)
    padded[:, top : top + h, left : left + w] = channels_last
    return padded


def _windows(padded: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out_size: Pair) -> np.ndarray:
    """A view (N, Ho, Wo, kh, kw, C) of every kernel window of a padded NHWC array (no copy)."""
    sn, sh, sw, sc = padded.strides
    shape = (padded.shape[0], *out_size, *kernel, padded.shape[3])
    strides = (sn, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1], sc)
    return xp.lib.stride_tricks.as_strided(padded, shape, strides, writeable=False)


def _out_size(size: Pair, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair) -> Pair:
    return tuple(  # type: ignore[return-value]
        (n + lo + hi - d * (k - 1) - 1) // s + 1
        for n, k, s, (lo, hi), d in zip(size, kernel, stride, padding, dilation)
    )


# The im2col matrix is built one tile at a time, each tile small enough to still be in the CPU's
# cache when the matrix product reads it: 1-4 MB tiles ran 30 % faster than one whole-batch im2col
# (which is 9x the input for a 3x3 kernel), and memory no longer grows with the batch.
TILE_BYTES = 2**21


def _tiles(n: int, rows: int, row_bytes: int):
    """Blocks of images [n0, n1) x output rows [h0, h1) whose im2col takes about TILE_BYTES (each
    output row's im2col takes `row_bytes`): whole images while one fits, else a few rows of one
    image. Each block also comes as a slice of the (N * Ho) image-row pairs, in which it is contiguous."""
    if rows * row_bytes <= TILE_BYTES:
        per = TILE_BYTES // (rows * row_bytes)
        blocks = ((n0, min(n, n0 + per), 0, rows) for n0 in range(0, n, per))
    else:
        per = max(1, TILE_BYTES // row_bytes)
        blocks = ((n0, n0 + 1, h0, min(rows, h0 + per)) for n0 in range(n) for h0 in range(0, rows, per))
    for n0, n1, h0, h1 in blocks:
        yield n0, n1, h0, h1, slice(n0 * rows + h0, (n1 - 1) * rows + h1)


def _conv_nhwc(padded: np.ndarray, w: np.ndarray, stride: Pair, dilation: Pair, groups: int) -> np.ndarray:
    """Correlate padded NHWC input with weights (O, C/groups, kh, kw): the (N, Ho, Wo, O) result."""
    # BEGIN SOLUTION 09
    n, hp, wp, c = padded.shape
    o, cg, kh, kw = w.shape
    og, k = o // groups, kh * kw * cg
    ho, wo = _out_size((hp, wp), (kh, kw), stride, ((0, 0), (0, 0)), dilation)
    windows = _windows(padded, (kh, kw), stride, dilation, (ho, wo))  # (N, Ho, Wo, kh, kw, C)
    w_mat = w.reshape(groups, og, cg, kh, kw).transpose(0, 3, 4, 2, 1).reshape(groups, k, og)
    out = xp.empty((n, ho, wo, o), dtype=xp.result_type(padded, w))
    out_rows = out.reshape(n * ho, wo, o)  # (image, output row) pairs in order
    for n0, n1, h0, h1, block in _tiles(n, ho, wo * k * padded.itemsize):
        for g in range(groups):
            cols = windows[n0:n1, h0:h1, :, :, :, g * cg : (g + 1) * cg].reshape(-1, k)  # im2col: one copy
            if groups == 1:
                xp.matmul(cols, w_mat[0], out=out_rows[block].reshape(-1, o))
            else:
                out_rows[block, :, g * og : (g + 1) * og] = (cols @ w_mat[g]).reshape(-1, wo, og)
    return out
    # END SOLUTION


def conv2d_forward(x: np.ndarray, w: np.ndarray, stride: Pair, padding: Padding, dilation: Pair,
                   groups: int) -> np.ndarray:
    """(N, C, H, W) correlated with (O, C/groups, kh, kw) -> (N, O, Ho, Wo)."""
    return _conv_nhwc(_pad_nhwc(x, padding), w, stride, dilation, groups).transpose(0, 3, 1, 2)


def conv2d_backward(grad: np.ndarray, x: np.ndarray, w: np.ndarray, stride: Pair, padding: Padding,
                    dilation: Pair, groups: int, input_grad: bool = True,
                    weight_grad: bool = True) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Gradients of conv2d_forward: (d loss / d x, d loss / d w) from d loss / d out (N, O, Ho, Wo).

    d w: every window times the gradient of the output it produced, summed over positions.
    d x: each output's gradient spread back over its window through the weights. At stride 1 that
    is itself a convolution (of the padded gradient with the flipped, transposed kernel); at larger
    strides the window gradients are added back into place tap by tap (col2im).
    """
    # BEGIN SOLUTION 09
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    og, k = o // groups, kh * kw * cg
    ho, wo = grad.shape[2:]
    grad_nhwc = xp.ascontiguousarray(grad.transpose(0, 2, 3, 1))  # (N, Ho, Wo, O); no copy if NHWC in memory
    grad_rows = grad_nhwc.reshape(n * ho, wo, o)
    grad_x = grad_w = None
    if weight_grad:
        windows = _windows(_pad_nhwc(x, padding), (kh, kw), stride, dilation, (ho, wo))
        gw = xp.zeros((groups, k, og), dtype=w.dtype)
        for n0, n1, h0, h1, block in _tiles(n, ho, wo * k * x.itemsize):
            for g in range(groups):
                cols = windows[n0:n1, h0:h1, :, :, :, g * cg : (g + 1) * cg].reshape(-1, k)  # (rows, K)
                gw[g] += cols.T @ grad_rows[block, :, g * og : (g + 1) * og].reshape(-1, og)
        grad_w = gw.reshape(groups, kh, kw, cg, og).transpose(0, 4, 3, 1, 2).reshape(o, cg, kh, kw)
    if input_grad and stride == (1, 1):
        # d x = grad (padded by the kernel's reach minus the forward padding) correlated with the
        # kernel flipped in space and with in/out channels swapped within each group.
        reach = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
        pad_back = tuple((r - lo, r - hi) for r, (lo, hi) in zip(reach, padding))
        w_back = w.reshape(groups, og, cg, kh, kw).transpose(0, 2, 1, 3, 4).reshape(c, og, kh, kw)[..., ::-1, ::-1]
        grad_padded = _pad_nhwc(grad_nhwc.transpose(0, 3, 1, 2), pad_back)
        grad_x = _conv_nhwc(grad_padded, w_back, (1, 1), dilation, groups).transpose(0, 3, 1, 2)
    elif input_grad:
        (top, bottom), (left, right) = padding
        grad_padded = xp.zeros((n, h + top + bottom, wd + left + right, c), dtype=grad.dtype)
        w_mat = w.reshape(groups, og, cg, kh * kw).transpose(0, 1, 3, 2).reshape(groups, og, k)
        for n0, n1, h0, h1, block in _tiles(n, ho, wo * k * grad.itemsize):
            for g in range(groups):
                cols = grad_rows[block, :, g * og : (g + 1) * og].reshape(-1, og) @ w_mat[g]  # (rows, K)
                cols = cols.reshape(n1 - n0, h1 - h0, wo, kh, kw, cg)
                for i in range(kh):  # col2im: add each tap's gradients back where the tap read
                    for j in range(kw):
                        top_row = h0 * stride[0] + i * dilation[0]
                        rows = slice(top_row, top_row + stride[0] * (h1 - h0 - 1) + 1, stride[0])
                        columns = slice(j * dilation[1], j * dilation[1] + stride[1] * (wo - 1) + 1, stride[1])
                        grad_padded[n0:n1, rows, columns, g * cg : (g + 1) * cg] += cols[:, :, :, i, j]
        grad_x = grad_padded[:, top : top + h, left : left + wd].transpose(0, 3, 1, 2)
    return grad_x, grad_w
    # END SOLUTION


def _taps(a: np.ndarray, kernel: Pair, stride: Pair, out_size: Pair, dilation: Pair = (1, 1)):
    """For each kernel offset (i, j): (i * kw + j, the strided view of `a` (N, C, H, W) that the
    offset reads for every output position). A pooling kernel is a loop over these kh*kw views."""
    (kh, kw), (sh, sw), (ho, wo), (dh, dw) = kernel, stride, out_size, dilation
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
            yield i * kw + j, a[:, :, rows, j * dw : j * dw + sw * (wo - 1) + 1 : sw]


def _pool_geometry(shape: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair, dilation: Pair = (1, 1),
                   ceil_mode: bool = False) -> tuple[Padding, Pair]:
    """Padding ((top, bottom), (left, right)) and output size (Ho, Wo) of pooling an (N, C, H, W)
    array: the naive backend's `pool_geometry` (ceil mode pads the bottom/right for the last window)."""
    return pool_geometry(shape[2:], kernel, stride, padding, dilation, ceil_mode)


def max_pool2d_forward(x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair = (1, 1),
                       ceil_mode: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Maximum of each window: (N, C, H, W) -> out (N, C, Ho, Wo), and the position of the maximum
    inside its window (row-major, the first one on ties, as in PyTorch) for the backward pass."""
    # BEGIN SOLUTION 09
    pads, out_size = _pool_geometry(x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    padded = _pad_nhwc(x, pads, value=-np.inf).transpose(0, 3, 1, 2)  # padding never wins
    out = index = None
    for t, tap in _taps(padded, kernel_size, stride, out_size, dilation):
        if out is None:
            out = xp.array(tap, order="K")
            index = xp.zeros(out.shape, dtype=np.min_scalar_type(kernel_size[0] * kernel_size[1] - 1))
            continue
        better = (tap > out) | xp.isnan(tap)  # NaN propagates, as in PyTorch
        xp.maximum(out, tap, out=out)
        xp.maximum(index, better * index.dtype.type(t), out=index)  # = t where better (index < t so far)
    return out, index
    # END SOLUTION


def max_pool2d_backward(grad: np.ndarray, index: np.ndarray, x_shape: tuple[int, ...], kernel_size: Pair,
                        stride: Pair, padding: Pair, dilation: Pair = (1, 1), ceil_mode: bool = False) -> np.ndarray:
    """Each output's gradient goes to the input element that was its window's maximum."""
    # BEGIN SOLUTION 09
    pads, out_size = _pool_geometry(x_shape, kernel_size, stride, padding, dilation, ceil_mode)
    n, c, h, w = x_shape
    (top, bottom), (left, right) = pads
    grad_padded = xp.zeros((n, h + top + bottom, w + left + right, c), dtype=grad.dtype).transpose(0, 3, 1, 2)
    reach = [d * (k - 1) + 1 for k, d in zip(kernel_size, dilation)]  # rows and columns one window spans
    overlapping = stride[0] < reach[0] or stride[1] < reach[1]
    for t, tap in _taps(grad_padded, kernel_size, stride, out_size, dilation):
        if overlapping:
            tap += grad * (index == t)
        else:  # each input element is in at most one window: write, no need to read and add
            xp.multiply(grad, index == t, out=tap)
    return grad_padded[:, :, top : top + h, left : left + w]
    # END SOLUTION


def _avg_divisor(x_shape: tuple[int, ...], kernel_size: Pair, stride: Pair, padding: Pair, ceil_mode: bool,
                 count_include_pad: bool, divisor_override: int | None, dtype: np.dtype) -> np.ndarray | float:
    """What each window's sum is divided by, as PyTorch: divisor_override if given, else the number
    of the window's elements inside the padded input (count_include_pad) or inside the input itself,
    shape (Ho, Wo) (a number when every window has the same, kh*kw). In ceil mode the part of the
    last window past the padded input never counts."""
    if divisor_override is not None:
        return float(divisor_override)
    pads, out_size = _pool_geometry(x_shape, kernel_size, stride, padding, (1, 1), ceil_mode)
    (top, bottom), (left, right) = pads
    whole = (bottom, right) == tuple(padding)  # no window runs past the padded input
    if whole and (count_include_pad or padding == (0, 0)):
        return float(kernel_size[0] * kernel_size[1])
    counted = padding if count_include_pad else (0, 0)  # the padding that counts
    h, w = x_shape[2] + 2 * counted[0], x_shape[3] + 2 * counted[1]
    outside = ((top - counted[0], bottom - counted[0]), (left - counted[1], right - counted[1]))
    inside = _pad_nhwc(xp.ones((1, 1, h, w), dtype=dtype), outside).transpose(0, 3, 1, 2)  # 1 where it counts
    return sum(tap for _, tap in _taps(inside, kernel_size, stride, out_size))[0, 0]


def avg_pool2d_forward(x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair,
                       count_include_pad: bool = True, ceil_mode: bool = False,
                       divisor_override: int | None = None) -> np.ndarray:
    """Mean of each window (zero padding counts as values unless count_include_pad=False)."""
    # BEGIN SOLUTION 09
    pads, out_size = _pool_geometry(x.shape, kernel_size, stride, padding, (1, 1), ceil_mode)
    padded = _pad_nhwc(x, pads).transpose(0, 3, 1, 2)
    total = None
    for _, tap in _taps(padded, kernel_size, stride, out_size):
        total = xp.array(tap, order="K") if total is None else xp.add(total, tap, out=total)
    return total / _avg_divisor(x.shape, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                divisor_override, x.dtype)
    # END SOLUTION


def avg_pool2d_backward(grad: np.ndarray, x_shape: tuple[int, ...], kernel_size: Pair, stride: Pair,
                        padding: Pair, count_include_pad: bool = True, ceil_mode: bool = False,
                        divisor_override: int | None = None) -> np.ndarray:
    """Every element of a window gets its output's gradient divided by the window's divisor."""
    # BEGIN SOLUTION 09
    pads, out_size = _pool_geometry(x_shape, kernel_size, stride, padding, (1, 1), ceil_mode)
    n, c, h, w = x_shape
    (top, bottom), (left, right) = pads
    share = grad / _avg_divisor(x_shape, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                divisor_override, grad.dtype)
    grad_padded = xp.zeros((n, h + top + bottom, w + left + right, c), dtype=grad.dtype).transpose(0, 3, 1, 2)
    for _, tap in _taps(grad_padded, kernel_size, stride, out_size):
        tap += share
    return grad_padded[:, :, top : top + h, left : left + w]
    # END SOLUTION
