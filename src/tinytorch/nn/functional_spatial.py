"""Functional forms for images (module 09): convolution, pooling, batch normalisation, channel dropout.

Images are (N, C, H, W), as in PyTorch; an unbatched (C, H, W) image is accepted too. The heavy
loops live in the backend (`tinytorch.backend.get()`): the `naive` one spells them out, the `numpy`
one vectorises them (both module 09). The Functions here check nothing and compute on arrays; the
wrappers below check their arguments, explain bad shapes, and record the graph.
`tinytorch.nn.functional` re-exports the wrappers.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from tinytorch import backend
from tinytorch.autograd.function import Function
from tinytorch.backend.naive import pool_geometry
from tinytorch.random import Generator, rng_of
from tinytorch.tensor import Tensor, _apply

IntPair = int | tuple[int, int]


def _two(value: IntPair | Sequence[int], what: str, op: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints as (rows, columns), each at least `minimum`."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise ValueError(f"{op}: {what} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in pair):
        raise ValueError(f"{op}: {what} must be >= {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _batched(input: Tensor, op: str) -> tuple[Tensor, bool]:
    """(N, C, H, W) as is, (C, H, W) as a batch of one; the flag says to drop the batch axis again."""
    if input.ndim == 4:
        return input, False
    if input.ndim == 3:
        return input.unsqueeze(0), True
    raise ValueError(f"{op}: expected a (N, C, H, W) batch or a (C, H, W) image, got shape {input.shape}")


def _check_window(op: str, shape: tuple[int, ...], padded: tuple[int, int], reach: tuple[int, int]) -> None:
    if padded[0] < reach[0] or padded[1] < reach[1]:
        raise ValueError(
            f"{op}: input of shape {shape} (spatial size {padded[0]}x{padded[1]} after padding) is smaller "
            f"than the kernel's reach {reach[0]}x{reach[1]}; use a larger input, more padding or a smaller kernel"
        )


# ---------------------------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------------------------


class Conv2dFunction(Function):
    """out[n, o] = bias[o] + sum over c and the window of x[n, c] * weight[o, c] (a cross-correlation).

    Inputs x (N, C, H, W), weight (O, C/groups, kh, kw), optionally bias (O,). The backend computes
    d x and d weight; d bias is the gradient summed over batch and positions.
    """

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, *,
                stride: tuple[int, int], padding: tuple[tuple[int, int], tuple[int, int]],
                dilation: tuple[int, int], groups: int) -> np.ndarray:
        self.kernels = backend.get()  # the backward must use the same backend as the forward
        self.x, self.weight, self.has_bias = x, weight, bias is not None
        self.options = (stride, padding, dilation, groups)
        # BEGIN SOLUTION 09
        out = self.kernels.conv2d_forward(x, weight, stride, padding, dilation, groups)  # (N, O, Ho, Wo)
        if bias is not None:
            out += bias.reshape(1, -1, 1, 1)
        return out
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        # BEGIN SOLUTION 09
        grad_x, grad_w = self.kernels.conv2d_backward(
            grad, self.x, self.weight, *self.options, input_grad=self.needs_grad(0), weight_grad=self.needs_grad(1)
        )
        if not self.has_bias:
            return grad_x, grad_w
        grad_b = grad.sum(axis=(0, 2, 3)) if self.needs_grad(2) else None  # (O,)
        return grad_x, grad_w, grad_b
        # END SOLUTION


def _conv_padding(padding: IntPair | str, kernel: tuple[int, int], stride: tuple[int, int],
                  dilation: tuple[int, int], op: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) from an int, a pair, "valid" (none) or "same" (output size =
    input size; an odd total goes to the bottom/right side, as in PyTorch)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding != "same":
            raise ValueError(f"{op}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
        if stride != (1, 1):
            raise ValueError(f"{op}: padding='same' needs stride 1 (got stride {stride}); pad explicitly instead")
        totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
        return tuple((t // 2, t - t // 2) for t in totals)  # type: ignore[return-value]
    ph, pw = _two(padding, "padding", op, minimum=0)
    return (ph, ph), (pw, pw)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntPair = 1,
           padding: IntPair | str = 0, dilation: IntPair = 1, groups: int = 1, *, op: str = "conv2d") -> Tensor:
    """2-D convolution (cross-correlation, like PyTorch): input (N, C, H, W) or (C, H, W), weight
    (O, C/groups, kh, kw), bias (O,) -> (N, O, Ho, Wo) with
    Ho = (H + pad_top + pad_bottom - dilation * (kh - 1) - 1) // stride + 1 (and the same for Wo).

    `op` names the caller in error messages (the layers pass their own description).
    """
    x, unbatched = _batched(input, op)
    if weight.ndim != 4:
        raise ValueError(f"{op}: weight must be (out_channels, in_channels / groups, kh, kw), got shape {weight.shape}")
    n, c, h, w = x.shape
    o, cg, kh, kw = weight.shape
    if not isinstance(groups, (int, np.integer)) or groups < 1 or c % groups or o % groups:
        raise ValueError(f"{op}: groups={groups} must be a positive int dividing both the input channels ({c}) "
                         f"and the output channels ({o})")
    if c != cg * groups:
        raise ValueError(f"{op}: expected input with {cg * groups} channels (weight {weight.shape}, groups={groups}), "
                         f"got input of shape {input.shape} with {c} channels")
    if bias is not None and bias.shape != (o,):
        raise ValueError(f"{op}: bias must have shape ({o},) for {o} output channels, got {bias.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != x.dtype:
            raise TypeError(f"{op}: input is {x.dtype} but {name} is {t.dtype}; convert one of them")
    stride = _two(stride, "stride", op)
    dilation = _two(dilation, "dilation", op)
    pads = _conv_padding(padding, (kh, kw), stride, dilation, op)
    reach = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    _check_window(op, input.shape, (h + sum(pads[0]), w + sum(pads[1])), reach)
    tensors = (x, weight) if bias is None else (x, weight, bias)
    out = _apply(Conv2dFunction, *tensors, stride=stride, padding=pads, dilation=dilation, groups=int(groups))
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int = 1,
           padding: int | str = 0, dilation: int = 1, groups: int = 1, *, op: str = "conv1d") -> Tensor:
    """1-D convolution: input (N, C, L) or (C, L), weight (O, C/groups, k) -> (N, O, Lo).
    Computed as a 2-D convolution over a height-1 image."""
    if input.ndim not in (2, 3) or weight.ndim != 3:
        raise ValueError(f"{op}: expected input (N, C, L) or (C, L) and weight (O, C/groups, k), "
                         f"got shapes {input.shape} and {weight.shape}")
    pad = padding if isinstance(padding, str) else (0, padding)
    out = conv2d(input.unsqueeze(-2), weight.unsqueeze(-2), bias, (1, stride), pad, (1, dilation), groups, op=op)
    return out.squeeze(-2)


# ---------------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------------


class MaxPool2dFunction(Function):
    """out = the maximum of each window; the gradient goes to the element that was the maximum."""

    def forward(self, x: np.ndarray, kernel_size: tuple[int, int], stride: tuple[int, int],
                padding: tuple[int, int], dilation: tuple[int, int], ceil_mode: bool) -> np.ndarray:
        self.kernels, self.x_shape = backend.get(), x.shape
        self.options = (kernel_size, stride, padding, dilation, ceil_mode)
        out, index = self.kernels.max_pool2d_forward(x, *self.options)  # index: the tap that won
        # a padding tap can only win in a window that reaches past the input and whose maximum is -inf
        if (padding != (0, 0) or ceil_mode) and np.isneginf(out).any():
            index = self._off_the_padding(index)
        self.index = index
        return out

    def _taps_to_positions(self, tap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The (row, column) that tap di * kw + dj of window (i, j) reads: row i * stride - pad +
        di * dilation, and the same for columns (int64, negative or past the edge on padding)."""
        (_, kw), (sh, sw), (ph, pw), (dh, dw), _ = self.options
        tap = tap.astype(np.int64)  # (N, C, Ho, Wo)
        ho, wo = tap.shape[2:]
        rows = (np.arange(ho) * sh - ph)[:, None] + (tap // kw) * dh
        cols = np.arange(wo) * sw - pw + (tap % kw) * dw
        return rows, cols

    def _off_the_padding(self, tap: np.ndarray) -> np.ndarray:
        """A padding tap wins only when the whole window is -inf (or misses the input, which
        dilation can do). PyTorch then takes the window's first tap at or after row 0 and column 0
        (which gets the gradient), so we do too."""
        (_, kw), (sh, sw), (ph, pw), (dh, dw), _ = self.options
        h, w = self.x_shape[2:]
        ho, wo = tap.shape[2:]
        row_start, col_start = np.arange(ho) * sh - ph, np.arange(wo) * sw - pw
        first_di = np.where(row_start < 0, -(row_start // dh), 0)  # (Ho,): ceil(-start / dilation) rows in
        first_dj = np.where(col_start < 0, -(col_start // dw), 0)  # (Wo,)
        rows, cols = self._taps_to_positions(tap)
        on_padding = (rows < 0) | (rows >= h) | (cols < 0) | (cols >= w)
        return np.where(on_padding, first_di[:, None] * kw + first_dj, tap).astype(tap.dtype)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (self.kernels.max_pool2d_backward(grad, self.index, self.x_shape, *self.options),)

    def flat_indices(self) -> np.ndarray:
        """Where each maximum is, as PyTorch's return_indices gives it: row * W + column in its
        (H, W) plane (int64). A window whose taps all miss the input has PyTorch's index all the
        same (see `_off_the_padding`): its first tap at or after row 0 and column 0, outside the plane."""
        rows, cols = self._taps_to_positions(self.index)
        return rows * self.x_shape[3] + cols


class AvgPool2dFunction(Function):
    """out = the mean of each window; every element of a window gets an equal share of its gradient."""

    def forward(self, x: np.ndarray, kernel_size: tuple[int, int], stride: tuple[int, int],
                padding: tuple[int, int], ceil_mode: bool, count_include_pad: bool,
                divisor_override: int | None) -> np.ndarray:
        self.kernels, self.x_shape = backend.get(), x.shape
        self.options = (kernel_size, stride, padding, count_include_pad, ceil_mode, divisor_override)
        return self.kernels.avg_pool2d_forward(x, *self.options)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (self.kernels.avg_pool2d_backward(grad, self.x_shape, *self.options),)


def _pool_args(input: Tensor, kernel_size: IntPair, stride: IntPair | None, padding: IntPair,
               dilation: IntPair, ceil_mode: bool, op: str) -> tuple[tuple[int, int], ...]:
    """kernel, stride (default: the kernel), padding and dilation as pairs, checked as PyTorch does:
    padding at most half the kernel, and at least one window."""
    kernel = _two(kernel_size, "kernel_size", op)
    stride = kernel if stride is None or stride == () else _two(stride, "stride", op)
    pad = _two(padding, "padding", op, minimum=0)
    dilation = _two(dilation, "dilation", op)
    if pad[0] > kernel[0] // 2 or pad[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {pad} must be at most half the kernel size {kernel}")
    _, out_size = pool_geometry(input.shape[-2:], kernel, stride, pad, dilation, bool(ceil_mode))
    if min(out_size) < 1:
        padded = (input.shape[-2] + 2 * pad[0], input.shape[-1] + 2 * pad[1])
        reach = (dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1)
        raise ValueError(
            f"{op}: input of shape {tuple(input.shape)} (spatial size {padded[0]}x{padded[1]} after padding) is "
            f"smaller than the kernel's reach {reach[0]}x{reach[1]}, so no window fits (output size "
            f"{out_size[0]}x{out_size[1]}); use a larger input, more padding or a smaller kernel"
        )
    return kernel, stride, pad, dilation


def max_pool2d(input: Tensor, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
               dilation: IntPair = 1, ceil_mode: bool = False, return_indices: bool = False,
               *, op: str = "max_pool2d") -> Tensor | tuple[Tensor, Tensor]:
    """Maximum over kh x kw windows moved by `stride` (default: the kernel size, so windows tile the
    image). Padding is implicit -inf, at most half the kernel; `dilation` spaces a window's taps;
    ceil_mode=True keeps a last, partial window (see `tinytorch.backend.naive.pool_geometry`).
    (N, C, H, W) -> (N, C, Ho, Wo); with return_indices=True also where each maximum is, as int64
    positions row * W + column in its (H, W) plane (PyTorch's convention)."""
    x, unbatched = _batched(input, op)
    kernel, stride, pad, dilation = _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode, op)
    node = MaxPool2dFunction()
    out = _apply(lambda: node, x, kernel_size=kernel, stride=stride, padding=pad, dilation=dilation,
                 ceil_mode=bool(ceil_mode))
    if not return_indices:
        return out.squeeze(0) if unbatched else out
    indices = Tensor._from_array(node.flat_indices())
    return (out.squeeze(0), indices.squeeze(0)) if unbatched else (out, indices)


def avg_pool2d(input: Tensor, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
               ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None,
               *, op: str = "avg_pool2d") -> Tensor:
    """Mean over kh x kw windows: each window's sum divided by its element count, zero padding
    included unless count_include_pad=False (the part of a ceil_mode window past the padded input
    never counts), or by divisor_override if given."""
    if divisor_override is not None and (not isinstance(divisor_override, (int, np.integer)) or divisor_override == 0):
        raise ValueError(f"{op}: divisor_override must be a non-zero int or None, got {divisor_override!r}")
    x, unbatched = _batched(input, op)
    kernel, stride, pad, _ = _pool_args(x, kernel_size, stride, padding, 1, ceil_mode, op)
    override = None if divisor_override is None else int(divisor_override)
    out = _apply(AvgPool2dFunction, x, kernel_size=kernel, stride=stride, padding=pad, ceil_mode=bool(ceil_mode),
                 count_include_pad=bool(count_include_pad), divisor_override=override)
    return out.squeeze(0) if unbatched else out


def _one_d(input: Tensor, op: str) -> Tensor:
    """(N, C, L) or (C, L) as a height-1 image (N, C, 1, L) or (C, 1, L), for the 2-d pooling."""
    if input.ndim not in (2, 3):
        raise ValueError(f"{op}: expected a (N, C, L) batch or a (C, L) sequence, got shape {input.shape}")
    return input.unsqueeze(-2)


def _single(value: int | Sequence[int] | None) -> tuple[int] | None:
    """A 1-d option given as an int or a one-element tuple (PyTorch accepts both), as a 1-tuple."""
    if value is None or isinstance(value, (tuple, list)):
        return value if value is None or len(value) != 1 else (value[0],)  # longer ones fail in _two
    return (value,)


def max_pool1d(input: Tensor, kernel_size: int, stride: int | None = None, padding: int = 0, dilation: int = 1,
               ceil_mode: bool = False, return_indices: bool = False,
               *, op: str = "max_pool1d") -> Tensor | tuple[Tensor, Tensor]:
    """Maximum over windows along L of (N, C, L) or (C, L): 2-d max pooling of a height-1 image.
    Indices are positions along L."""
    stride = _single(stride)
    result = max_pool2d(_one_d(input, op), (1, *_single(kernel_size)), None if stride is None else (1, *stride),
                        (0, *_single(padding)), (1, *_single(dilation)), ceil_mode, return_indices, op=op)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


def avg_pool1d(input: Tensor, kernel_size: int, stride: int | None = None, padding: int = 0,
               ceil_mode: bool = False, count_include_pad: bool = True, *, op: str = "avg_pool1d") -> Tensor:
    """Mean over windows along L of (N, C, L) or (C, L): 2-d average pooling of a height-1 image."""
    stride = _single(stride)
    return avg_pool2d(_one_d(input, op), (1, *_single(kernel_size)), None if stride is None else (1, *stride),
                      (0, *_single(padding)), ceil_mode, count_include_pad, op=op).squeeze(-2)


def _adaptive_bins(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    """(out, size) averaging matrix: row i averages input [floor(i * size / out), ceil((i + 1) * size / out))."""
    matrix = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        start, stop = (i * size) // out, -((-(i + 1) * size) // out)
        matrix[i, start:stop] = 1.0 / (stop - start)
    return matrix


def _adaptive_size(output_size: int | tuple[int | None, int | None], size: tuple[int, int],
                   op: str) -> tuple[int, int]:
    """The output size (oh, ow) of adaptive pooling; a None entry keeps that input size."""
    sizes = (output_size, output_size) if isinstance(output_size, (int, np.integer)) else tuple(output_size)
    if len(sizes) != 2 or any(s is not None and (not isinstance(s, (int, np.integer)) or s < 1) for s in sizes):
        raise ValueError(f"{op}: output_size must be a positive int or a pair of positive ints (or None), "
                         f"got {output_size!r}")
    return tuple(n if s is None else int(s) for s, n in zip(sizes, size))  # type: ignore[return-value]


def adaptive_avg_pool2d(input: Tensor, output_size: int | tuple[int | None, int | None],
                        *, op: str = "adaptive_avg_pool2d") -> Tensor:
    """Average pooling to a fixed output size (oh, ow), whatever the input size (PyTorch's bins:
    they may overlap or differ by one in size). output_size 1 is the global average over H and W.

    Averaging rows and columns are separate linear maps, so out = A_h @ x @ A_w^T with A_h (oh, H)
    and A_w (ow, W) averaging matrices; a None entry keeps that input size.
    """
    x, unbatched = _batched(input, op)
    n, c, h, w = x.shape
    oh, ow = _adaptive_size(output_size, (h, w), op)
    # BEGIN SOLUTION 09
    rows = Tensor._from_array(_adaptive_bins(h, oh, x.dtype).T)  # (H, oh)
    cols = Tensor._from_array(_adaptive_bins(w, ow, x.dtype).T)  # (W, ow)
    out = x.reshape(n * c * h, w) @ cols  # (N*C*H, ow): average along each row
    out = out.reshape(n, c, h, ow).transpose(2, 3).reshape(n * c * ow, h) @ rows  # (N*C*ow, oh)
    out = out.reshape(n, c, ow, oh).transpose(2, 3)  # (N, C, oh, ow)
    return out.squeeze(0) if unbatched else out
    # END SOLUTION


def _bin_members(size: int, out: int) -> np.ndarray:
    """(out, longest bin) input positions of each adaptive bin [floor(i * size / out),
    ceil((i + 1) * size / out)); a shorter bin repeats its last position (a repeat changes no maximum)."""
    starts = np.arange(out) * size // out
    stops = -(-np.arange(1, out + 1) * size // out)
    return np.minimum(starts[:, None] + np.arange((stops - starts).max()), stops[:, None] - 1)


class AdaptiveMaxPool2dFunction(Function):
    """out = the maximum of each adaptive bin; the gradient goes to the element that was the maximum
    (bins may overlap, so one element can receive the gradients of several outputs)."""

    def forward(self, x: np.ndarray, output_size: tuple[int, int]) -> np.ndarray:
        self.x_shape, (h, w) = x.shape, x.shape[2:]
        rows, cols = _bin_members(h, output_size[0]), _bin_members(w, output_size[1])  # (oh, bh), (ow, bw)
        bins = x[:, :, rows[:, None, :, None], cols[None, :, None, :]]  # (N, C, oh, ow, bh, bw): one copy
        bins = bins.reshape(bins.shape[:4] + (-1,))  # (N, C, oh, ow, bh*bw)
        best = bins.argmax(axis=-1)  # (N, C, oh, ow): the first maximum (or NaN) in row-major order
        row = rows[np.arange(output_size[0])[:, None], best // cols.shape[1]]
        col = cols[np.arange(output_size[1]), best % cols.shape[1]]
        self.index = row * w + col  # (N, C, oh, ow): positions in each (H, W) plane, as PyTorch's indices
        return np.take_along_axis(bins, best[..., None], axis=-1)[..., 0]

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        n, c, h, w = self.x_shape
        grad_x = np.zeros((n * c, h * w), dtype=grad.dtype)
        planes = np.arange(n * c).reshape(n, c, 1, 1)
        np.add.at(grad_x, (planes, self.index), grad)  # adds up when bins share their maximum
        return (grad_x.reshape(self.x_shape),)


def adaptive_max_pool2d(input: Tensor, output_size: int | tuple[int | None, int | None],
                        return_indices: bool = False,
                        *, op: str = "adaptive_max_pool2d") -> Tensor | tuple[Tensor, Tensor]:
    """Max pooling to a fixed output size (oh, ow), whatever the input size, over PyTorch's bins
    (as in `adaptive_avg_pool2d`). With return_indices=True also where each maximum is: int64
    positions row * W + column in its (H, W) plane."""
    x, unbatched = _batched(input, op)
    size = _adaptive_size(output_size, x.shape[2:], op)
    node = AdaptiveMaxPool2dFunction()
    out = _apply(lambda: node, x, output_size=size)
    if not return_indices:
        return out.squeeze(0) if unbatched else out
    indices = Tensor._from_array(node.index)
    return (out.squeeze(0), indices.squeeze(0)) if unbatched else (out, indices)


# ---------------------------------------------------------------------------------------------
# Batch normalisation
# ---------------------------------------------------------------------------------------------


class BatchNormFunction(Function):
    """out = (x - mean) / sqrt(var + eps) * weight + bias, per channel (axis 1).

    Training: mean and var are the batch statistics over every axis but 1 (var biased). With
    x_hat the normalised input, rstd = 1 / sqrt(var + eps) and g = grad * weight, the backward is
        dx = rstd * (g - mean(g) - x_hat * mean(g * x_hat)),  the means over the same axes;
    evaluation: mean and var are given constants, so dx = g * rstd.
    Both: dweight = sum(grad * x_hat), dbias = sum(grad), summed over every axis but 1.
    """

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float,
                mean: np.ndarray | None = None, var: np.ndarray | None = None) -> np.ndarray:
        self.axes = (0,) + tuple(range(2, x.ndim))  # every axis but the channels
        self.shape = (1, -1) + (1,) * (x.ndim - 2)  # how a (C,) vector broadcasts against x
        self.batch_stats = mean is None
        # BEGIN SOLUTION 09
        if self.batch_stats:
            mean = x.mean(axis=self.axes)
            var = x.var(axis=self.axes)  # biased: normalise with the batch's own spread
        self.mean, self.var = mean, var  # (C,): F.batch_norm updates the running statistics from them
        self.rstd = (1.0 / np.sqrt(var + np.asarray(eps, dtype=x.dtype))).astype(x.dtype, copy=False)
        self.x_hat = (x - mean.reshape(self.shape)) * self.rstd.reshape(self.shape)
        self.weight = weight
        return self.x_hat * weight.reshape(self.shape) + bias.reshape(self.shape)
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
        x_hat, axes, shape = self.x_hat, self.axes, self.shape
        # BEGIN SOLUTION 09
        grad_x = None
        if self.needs_grad(0):
            g = grad * self.weight.reshape(shape)
            if self.batch_stats:
                g = g - g.mean(axis=axes, keepdims=True) - x_hat * (g * x_hat).mean(axis=axes, keepdims=True)
            grad_x = g * self.rstd.reshape(shape)
        grad_weight = (grad * x_hat).sum(axis=axes) if self.needs_grad(1) else None
        grad_bias = grad.sum(axis=axes) if self.needs_grad(2) else None
        return grad_x, grad_weight, grad_bias
        # END SOLUTION


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5, *, op: str = "batch_norm") -> Tensor:
    """Normalise each channel (axis 1) of (N, C, ...) to mean 0, variance 1, then scale and shift.

    training=True uses the batch's statistics and, when running buffers are given, updates them in
    place: running = (1 - momentum) * running + momentum * batch, with the *unbiased* batch variance
    (as PyTorch). training=False normalises with the running statistics.
    """
    if input.ndim < 2:
        raise ValueError(f"{op}: expected input (N, C, ...) with at least 2 dims, got shape {input.shape}")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (c,):
            raise ValueError(f"{op}: expected input with {t.shape[0] if t.ndim == 1 else t.shape} channels "
                             f"(the size of {name}), got input of shape {input.shape} with {c} channels")
    count = input.numel() // max(c, 1)  # values per channel
    if training and count <= 1:
        raise ValueError(f"{op}: training needs more than one value per channel to compute a variance, "
                         f"got input of shape {input.shape}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError(f"{op}: evaluation (training=False) needs running_mean and running_var")
    dtype = input.dtype
    weight = weight if weight is not None else Tensor._from_array(np.ones(c, dtype=dtype))
    bias = bias if bias is not None else Tensor._from_array(np.zeros(c, dtype=dtype))
    if not training:
        return _apply(BatchNormFunction, input, weight, bias, eps=eps, mean=running_mean.data, var=running_var.data)
    node = BatchNormFunction()
    out = _apply(lambda: node, input, weight, bias, eps=eps)
    if running_mean is not None:
        running_mean.data *= 1 - momentum
        running_mean.data += momentum * node.mean
    if running_var is not None:
        running_var.data *= 1 - momentum
        running_var.data += momentum * node.var * (count / (count - 1))
    return out


# ---------------------------------------------------------------------------------------------
# Channel dropout
# ---------------------------------------------------------------------------------------------


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator: Generator | None = None) -> Tensor:
    """Zero whole channels of (N, C, H, W) (or (C, H, W)) with probability p, scaling the kept ones
    by 1 / (1 - p), in training only. Neighbouring pixels are strongly correlated, so dropping
    single pixels barely regularises a conv net; dropping a whole feature map does. `inplace` is
    accepted for PyTorch compatibility."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d: p must be a probability in [0, 1], got {p}")
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected (N, C, H, W) or (C, H, W), got shape {input.shape}")
    # BEGIN SOLUTION 09
    if not training or p == 0.0:
        return input
    mask_shape = input.shape[:-2] + (1, 1)  # one draw per channel, broadcast over H and W
    keep = rng_of(generator).random(mask_shape, dtype=np.float32) >= p
    scale = np.asarray(0.0 if p == 1.0 else 1.0 / (1.0 - p), dtype=input.dtype)
    return input * Tensor._from_array(keep.astype(input.dtype) * scale)
    # END SOLUTION
