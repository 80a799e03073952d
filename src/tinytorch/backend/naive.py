"""The naive backend: every kernel as explicit loops, written to be read, not to be fast."""

from __future__ import annotations

import numpy as np

NAME = "naive"


def matmul2d(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, k) @ (k, m) -> (n, m), one multiply-add at a time."""
    # BEGIN SOLUTION 02
    n, k = a.shape
    m = b.shape[1]
    out = np.zeros((n, m), dtype=np.result_type(a, b))
    for i in range(n):
        for j in range(m):
            total = 0.0
            for p in range(k):
                total += a[i, p] * b[p, j]
            out[i, j] = total
    return out
    # END SOLUTION


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Matrix product with NumPy's matmul semantics (1-D promotion, broadcast batch dims)."""
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    a_b = np.broadcast_to(a2, batch + a2.shape[-2:])
    b_b = np.broadcast_to(b2, batch + b2.shape[-2:])
    out = np.empty(batch + (a2.shape[-2], b2.shape[-1]), dtype=np.result_type(a, b))
    for index in np.ndindex(*batch):
        out[index] = matmul2d(a_b[index], b_b[index])
    if a.ndim == 1:
        out = out[..., 0, :]
    if b.ndim == 1:
        out = out[..., 0]
    return out


# ---------------------------------------------------------------------------------------------
# Convolution and pooling (module 09): a Python loop over output positions
#
# Each output position (i, j) is computed for the whole batch and every channel at once, with one
# small NumPy product per position: simple to read, fast enough for LeNet-sized images. (The numpy
# backend removes the loop over positions, also in module 09.)
#
# Shapes follow PyTorch: x (N, C, H, W), weights (O, C / groups, kh, kw), out (N, O, Ho, Wo).
# `stride` and `dilation` are (rows, columns); conv padding is ((top, bottom), (left, right)) and
# pool padding (rows, columns) on both sides. Output size per axis:
#     out = (size + pad_before + pad_after - dilation * (k - 1) - 1) // stride + 1
# (pooling in ceil mode rounds up instead: see `pool_geometry`).
# ---------------------------------------------------------------------------------------------


def pad2d(x: np.ndarray, padding: tuple[tuple[int, int], tuple[int, int]], value: float = 0.0) -> np.ndarray:
    """Surround the last two axes of (N, C, H, W) with `value`: ((top, bottom), (left, right))."""
    (top, bottom), (left, right) = padding
    n, c, h, w = x.shape
    padded = np.full((n, c, h + top + bottom, w + left + right), value, dtype=x.dtype)
    padded[:, :, top : top + h, left : left + w] = x
    return padded


def window(i: int, j: int, kernel: tuple[int, int], stride: tuple[int, int],
           dilation: tuple[int, int] = (1, 1)) -> tuple[slice, slice]:
    """The rows and columns of the (padded) input that output position (i, j) reads."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    return slice(i * sh, i * sh + dh * (kh - 1) + 1, dh), slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)


def pool_geometry(size: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int],
                  padding: tuple[int, int], dilation: tuple[int, int] = (1, 1),
                  ceil_mode: bool = False) -> tuple[tuple[tuple[int, int], tuple[int, int]], tuple[int, int]]:
    """Where the pooling windows of a (H, W) input fall: ((top, bottom), (left, right)) padding and
    the output size (Ho, Wo).

    Per axis, out = (size + 2 * pad - reach) // stride + 1 windows, reach = dilation * (k - 1) + 1.
    ceil_mode=True rounds that division up, so a last, partial window covers the leftover rows, but
    (PyTorch's rule) only if it starts inside the input or its left padding. The bottom/right
    padding then grows by what that window needs past the padded input, so every window is whole.
    """
    pads, out = [], []
    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation):
        reach = d * (k - 1) + 1
        count = -(-(n + 2 * p - reach) // s) + 1 if ceil_mode else (n + 2 * p - reach) // s + 1
        if ceil_mode and (count - 1) * s >= n + p:  # the last window would start on the right padding
            count -= 1
        pads.append((p, max(p, (count - 1) * s + reach - n - p)))
        out.append(count)
    return (pads[0], pads[1]), (out[0], out[1])


def conv2d_forward(x: np.ndarray, w: np.ndarray, stride: tuple[int, int],
                   padding: tuple[tuple[int, int], tuple[int, int]], dilation: tuple[int, int],
                   groups: int) -> np.ndarray:
    """Cross-correlation: out[n, o, i, j] = sum over c, di, dj of window[n, c, di, dj] * w[o, c, di, dj].

    With `groups` groups, input channels [g * C/groups, (g + 1) * C/groups) feed only output
    channels [g * O/groups, (g + 1) * O/groups).
    """
    # BEGIN SOLUTION 09
    padded = pad2d(x, padding)
    n, c, hp, wp = padded.shape
    o, cg, kh, kw = w.shape
    (dh, dw), (sh, sw) = dilation, stride
    ho, wo = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    og = o // groups
    out = np.zeros((n, o, ho, wo), dtype=np.result_type(x, w))
    for g in range(groups):
        x_g = padded[:, g * cg : (g + 1) * cg]  # (N, cg, Hp, Wp): this group's input channels
        w_g = w[g * og : (g + 1) * og]  # (og, cg, kh, kw): this group's filters
        for i in range(ho):
            for j in range(wo):
                rows, cols = window(i, j, (kh, kw), stride, dilation)
                patch = x_g[:, :, rows, cols]  # (N, cg, kh, kw)
                out[:, g * og : (g + 1) * og, i, j] = np.tensordot(patch, w_g, axes=([1, 2, 3], [1, 2, 3]))
    return out
    # END SOLUTION


def conv2d_backward(grad: np.ndarray, x: np.ndarray, w: np.ndarray, stride: tuple[int, int],
                    padding: tuple[tuple[int, int], tuple[int, int]], dilation: tuple[int, int],
                    groups: int, input_grad: bool = True,
                    weight_grad: bool = True) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Gradients of conv2d_forward from grad = d loss / d out (N, O, Ho, Wo).

    Output (i, j) was patch . w, so its gradient g (N, og) adds g^T patch to d w and g w to the
    patch's place in d x (computed padded, then cropped back to x's shape).
    """
    # BEGIN SOLUTION 09
    padded = pad2d(x, padding)
    grad_padded = np.zeros_like(padded)
    grad_w = np.zeros_like(w)
    o, cg, kh, kw = w.shape
    ho, wo = grad.shape[2:]
    og = o // groups
    for g in range(groups):
        x_g = padded[:, g * cg : (g + 1) * cg]  # (N, cg, Hp, Wp)
        w_g = w[g * og : (g + 1) * og]  # (og, cg, kh, kw)
        for i in range(ho):
            for j in range(wo):
                rows, cols = window(i, j, (kh, kw), stride, dilation)
                g_ij = grad[:, g * og : (g + 1) * og, i, j]  # (N, og)
                grad_w[g * og : (g + 1) * og] += np.tensordot(g_ij, x_g[:, :, rows, cols], axes=([0], [0]))
                grad_padded[:, g * cg : (g + 1) * cg, rows, cols] += np.tensordot(g_ij, w_g, axes=([1], [0]))
    (top, _), (left, _) = padding
    grad_x = grad_padded[:, :, top : top + x.shape[2], left : left + x.shape[3]]
    return (grad_x if input_grad else None), (grad_w if weight_grad else None)
    # END SOLUTION


def max_pool2d_forward(x: np.ndarray, kernel_size: tuple[int, int], stride: tuple[int, int],
                       padding: tuple[int, int], dilation: tuple[int, int] = (1, 1),
                       ceil_mode: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Maximum of each window, and where in the window it was (row-major position di * kw + dj,
    the first one on ties, as PyTorch). Padding is -inf, so it is never the maximum; `pool_geometry`
    says how much there is and how many windows fit."""
    # BEGIN SOLUTION 09
    kh, kw = kernel_size
    pads, (ho, wo) = pool_geometry(x.shape[2:], kernel_size, stride, padding, dilation, ceil_mode)
    padded = pad2d(x, pads, value=-np.inf)
    n, c = x.shape[:2]
    out = np.zeros((n, c, ho, wo), dtype=x.dtype)
    index = np.zeros((n, c, ho, wo), dtype=np.int64)
    for i in range(ho):
        for j in range(wo):
            rows, cols = window(i, j, kernel_size, stride, dilation)
            patch = padded[:, :, rows, cols].reshape(n, c, kh * kw)  # (N, C, kh*kw)
            best = np.argmax(patch, axis=-1)  # (N, C); argmax also picks the first NaN
            index[:, :, i, j] = best
            out[:, :, i, j] = np.take_along_axis(patch, best[..., None], axis=-1)[..., 0]
    return out, index
    # END SOLUTION


def max_pool2d_backward(grad: np.ndarray, index: np.ndarray, x_shape: tuple[int, ...],
                        kernel_size: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int],
                        dilation: tuple[int, int] = (1, 1), ceil_mode: bool = False) -> np.ndarray:
    """Each output's gradient goes to the one input element that was its window's maximum."""
    # BEGIN SOLUTION 09
    kh, kw = kernel_size
    n, c, h, w = x_shape
    ((top, bottom), (left, right)), _ = pool_geometry((h, w), kernel_size, stride, padding, dilation, ceil_mode)
    grad_padded = np.zeros((n, c, h + top + bottom, w + left + right), dtype=grad.dtype)
    positions = np.arange(kh * kw)
    for i in range(grad.shape[2]):
        for j in range(grad.shape[3]):
            rows, cols = window(i, j, kernel_size, stride, dilation)
            winner = index[:, :, i, j, None] == positions  # (N, C, kh*kw), one True per window
            grad_padded[:, :, rows, cols] += (winner * grad[:, :, i, j, None]).reshape(n, c, kh, kw)
    return grad_padded[:, :, top : top + h, left : left + w]
    # END SOLUTION


def avg_pool2d_forward(x: np.ndarray, kernel_size: tuple[int, int], stride: tuple[int, int],
                       padding: tuple[int, int], count_include_pad: bool = True, ceil_mode: bool = False,
                       divisor_override: int | None = None) -> np.ndarray:
    """Mean of each window. Zero padding counts towards the mean unless count_include_pad=False,
    in which case only the window's real (unpadded) elements are averaged. In ceil mode the last
    window may run past the padded input: it is cut there, and what is cut does not count.
    divisor_override, if given, replaces the count."""
    # BEGIN SOLUTION 09
    ph, pw = padding
    _, (ho, wo) = pool_geometry(x.shape[2:], kernel_size, stride, padding, (1, 1), ceil_mode)
    padded = pad2d(x, ((ph, ph), (pw, pw)))
    real = pad2d(np.ones((1, 1) + x.shape[2:]), ((ph, ph), (pw, pw)))[0, 0]  # 1 where x is, 0 on padding
    n, c = x.shape[:2]
    out = np.zeros((n, c, ho, wo), dtype=x.dtype)
    for i in range(ho):
        for j in range(wo):
            rows, cols = window(i, j, kernel_size, stride)  # slicing cuts a window that runs past the end
            count = real[rows, cols].size if count_include_pad else real[rows, cols].sum()
            out[:, :, i, j] = padded[:, :, rows, cols].sum(axis=(2, 3)) / (divisor_override or count)
    return out
    # END SOLUTION


def avg_pool2d_backward(grad: np.ndarray, x_shape: tuple[int, ...], kernel_size: tuple[int, int],
                        stride: tuple[int, int], padding: tuple[int, int], count_include_pad: bool = True,
                        ceil_mode: bool = False, divisor_override: int | None = None) -> np.ndarray:
    """Every element of a window receives its output's gradient divided by the window's count.
    (The windows are grad's positions, so ceil_mode needs nothing more here.)"""
    # BEGIN SOLUTION 09
    ph, pw = padding
    n, c, h, w = x_shape
    grad_padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=grad.dtype)
    real = pad2d(np.ones((1, 1, h, w)), ((ph, ph), (pw, pw)))[0, 0]
    for i in range(grad.shape[2]):
        for j in range(grad.shape[3]):
            rows, cols = window(i, j, kernel_size, stride)  # cut at the end, as in the forward pass
            count = real[rows, cols].size if count_include_pad else real[rows, cols].sum()
            grad_padded[:, :, rows, cols] += grad[:, :, i, j, None, None] / (divisor_override or count)
    return grad_padded[:, :, ph : ph + h, pw : pw + w]
    # END SOLUTION
