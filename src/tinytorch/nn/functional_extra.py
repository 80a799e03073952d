"""More of `torch.nn.functional`, each function composed from tensor operations (teenygrad style).

Nothing here defines a Function of its own: every result is built from ops whose gradients already
exist (`where`, `clamp`, `exp`, `log`, `sum`, `reshape`, indexing, ...), so backward comes for free
and is exactly as trustworthy as those ops. Where PyTorch picks a particular gradient at a kink
(0 on hardtanh's edges, 0 and 1 for hardswish at -3 and 3), the `where` conditions pick the same.

Activations: elu, softplus, mish, hardtanh, relu6, hardsigmoid, hardswish, softsign, prelu.
Losses: smooth_l1_loss, huber_loss, kl_div, cosine_embedding_loss.
Normalisation: group_norm, rms_norm, instance_norm.
Similarities and shapes: cosine_similarity, normalize, pairwise_distance, one_hot, interpolate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tinytorch.tensor import Tensor, _as_tensor, arange, int64, maximum, where

# ---------------------------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------------------------


def _check_floating(input: Tensor, op: str) -> None:
    """The smooth activations are defined on floating-point tensors only (PyTorch raises for ints)."""
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got dtype {input.dtype}")


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (e**x - 1) otherwise: like ReLU, but negative inputs saturate at -alpha."""
    # e**x only of x <= 0: a large x would overflow in the branch that `where` throws away, and its
    # zero gradient times inf would still poison the backward with NaN
    _check_floating(input, "elu")
    negative = alpha * (input.clamp(max=0.0).exp() - 1)
    return where(input > 0, input, negative)


def _log1p_exp(z: Tensor) -> Tensor:
    """log(1 + e**z) for any z: max(z, 0) + log1p(e**-|z|) never overflows. (`maximum` splits the
    gradient at z = 0, which gives the correct 1/2 there together with |z|'s gradient 0.)"""
    return maximum(z, 0.0) + (-z.abs()).exp().log1p()


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e**(beta x)) / beta, a smooth ReLU; where beta x > threshold it returns x itself."""
    _check_floating(input, "softplus")
    z = input * beta
    return where(z > threshold, input, _log1p_exp(z) / beta)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)) (Misra 2019), a smooth, non-monotonic relative of SiLU."""
    _check_floating(input, "mish")
    return input * _log1p_exp(input).tanh()


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]; the gradient is 1 strictly inside and 0 on and beyond the edges.

    An integer tensor stays integer, clipped to the bounds truncated to ints (as PyTorch does).
    """
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    if input.dtype.kind == "b":
        raise TypeError("hardtanh: bool inputs are not supported")
    if input.dtype.kind in "iu":
        return input.clamp(int(min_val), int(max_val))
    inside = (input > min_val) & (input < max_val)
    return where(inside, input, input.clamp(min_val, max_val).detach())


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): ReLU capped at 6 (MobileNet), so activations stay small for low precision."""
    return hardtanh(input, 0.0, 6.0)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6: a piecewise-linear sigmoid, 0 below -3 and 1 above 3."""
    _check_floating(input, "hardsigmoid")
    return hardtanh(input + 3, 0.0, 6.0) / 6


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6 (MobileNetV3): 0 up to -3, x from 3 on, x (x + 3) / 6 between.

    Written piecewise so that the gradient at the kinks is PyTorch's: 0 at -3 and 1 at 3.
    """
    _check_floating(input, "hardswish")
    middle = input * (input + 3) / 6
    return where(input <= -3, 0.0, where(input < 3, middle, input))


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|), a tanh-like curve that approaches +-1 polynomially, not exponentially."""
    return input / (1 + input.abs())


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, weight * x otherwise, with a learned slope per channel (dim 1) or one shared slope."""
    _check_floating(input, "prelu")
    if weight.dtype != input.dtype:
        raise TypeError(f"prelu: input is {input.dtype} but weight is {weight.dtype}; convert one of them")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.ndim > 1 or weight.numel() not in (1, channels):
        raise ValueError(f"prelu: weight of shape {weight.shape} must hold 1 slope or one per channel "
                         f"({channels} for input of shape {input.shape})")
    if weight.numel() > 1:
        weight = weight.reshape((channels,) + (1,) * (input.ndim - 2))  # (C, 1, ...) against (N, C, ...)
    else:
        weight = weight.reshape(())  # one slope: the output keeps the input's shape, even a 0-dim one
    return where(input > 0, input, weight * input)


# ---------------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------------


def _check_reduction(reduction: str, op: str, allowed: tuple[str, ...] = ("mean", "sum", "none")) -> None:
    if reduction not in allowed:
        names = ", ".join(repr(r) for r in allowed)
        raise ValueError(f"{op}: reduction must be one of {names}, got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """"mean" over every element, "sum", "batchmean" (sum / batch size) or "none"."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "batchmean":
        return loss.sum() / (loss.shape[0] if loss.ndim else 1)
    return loss


def _target_like(input: Tensor, target: Tensor | object, op: str) -> Tensor:
    """The target as a tensor of input's dtype and shape (a broadcast target is almost always a bug)."""
    target = _as_tensor(target, input.dtype)
    if target.shape != input.shape:
        raise ValueError(f"{op}: target shape {target.shape} differs from input shape {input.shape}; "
                         "broadcasting them would silently compare every input with every target")
    return target


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d**2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target).

    Quadratic near 0 (smooth gradients for small errors), linear far out (outliers pull no harder
    than L1). beta = 0 is exactly L1.
    """
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    diff = input - _target_like(input, target, "smooth_l1_loss")
    if diff.dtype.kind != "f":
        raise TypeError(f"smooth_l1_loss: expected a floating-point input or target, got dtype {diff.dtype}")
    size = diff.abs()
    if beta == 0:
        return _reduce(size, reduction)
    return _reduce(where(size < beta, 0.5 * diff * diff / beta, size - 0.5 * beta), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d**2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere: smooth_l1_loss times beta = delta.

    `weight` (the input's shape) scales each element's loss before the reduction.
    """
    _check_reduction(reduction, "huber_loss")
    _check_floating(input, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    diff = input - _target_like(input, target, "huber_loss")
    size = diff.abs()
    loss = where(size < delta, 0.5 * diff * diff, delta * (size - 0.5 * delta))
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError(f"huber_loss: weight of shape {weight.shape} must have the input's shape {input.shape}")
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input: Tensor, target: Tensor, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence sum target * (log target - input), with `input` log-probabilities.

    `target` holds probabilities (log-probabilities if `log_target`); a target of 0 adds 0. Use
    reduction="batchmean" for the true KL divergence per sample (the sum divided by the batch size);
    "mean" divides by the number of elements, as PyTorch does, which is not a KL divergence.
    """
    _check_reduction(reduction, "kl_div", ("mean", "batchmean", "sum", "none"))
    target = _target_like(input, target, "kl_div")
    if input.dtype.kind != "f" or target.dtype.kind != "f":
        raise TypeError(f"kl_div: expected floating-point input and target, got dtypes {input.dtype} and "
                        f"{target.dtype}")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = target > 0
        safe = where(positive, target, 1.0)  # log(1) = 0 where target is 0: no -inf, no NaN gradient
        loss = where(positive, target * safe.log(), 0.0) - target * input
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1.

    input1, input2: (N, D) or (D,); target: (N,) or () of 1 and -1. Pulls pairs labelled similar
    together and pushes dissimilar ones below `margin`. PyTorch's cosine here adds 1e-12 to each
    squared norm.
    """
    _check_reduction(reduction, "cosine_embedding_loss")
    if input1.shape != input2.shape or input1.ndim not in (1, 2):
        raise ValueError(f"cosine_embedding_loss: input1 {input1.shape} and input2 {input2.shape} must have "
                         "the same shape, (N, D) or (D,)")
    target = _as_tensor(target)
    if target.shape != input1.shape[:-1]:
        raise ValueError(f"cosine_embedding_loss: target of shape {target.shape} must have shape "
                         f"{input1.shape[:-1]} for inputs of shape {input1.shape}")
    eps = 1e-12
    dot = (input1 * input2).sum(dim=-1)
    norms = (((input1 * input1).sum(dim=-1) + eps) * ((input2 * input2).sum(dim=-1) + eps)).sqrt()
    cos = dot / norms
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp(min=0.0), 0.0)
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------


def _per_channel(param: Tensor | None, input: Tensor, name: str, op: str) -> Tensor | None:
    """A (C,) weight or bias reshaped to (C, 1, ...) so it broadcasts against (N, C, ...)."""
    if param is None:
        return None
    channels = input.shape[1]
    if param.ndim != 1:
        raise ValueError(f"{op}: {name} must be 1-D, one value per channel, got shape {param.shape}")
    if param.shape[0] != channels:
        raise ValueError(f"{op}: expected input with {param.shape[0]} channels (the size of {name}), "
                         f"got shape {input.shape}")
    return param.reshape((channels,) + (1,) * (input.ndim - 2))


def _affine(x: Tensor, input: Tensor, weight: Tensor | None, bias: Tensor | None, op: str) -> Tensor:
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and param.dtype != input.dtype:
            raise TypeError(f"{op}: input is {input.dtype} but {name} is {param.dtype}; convert one of them")
    weight, bias = _per_channel(weight, input, "weight", op), _per_channel(bias, input, "bias", op)
    if weight is not None:
        x = x * weight
    if bias is not None:
        x = x + bias
    return x


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise (N, C, *) over each group of C / num_groups channels and all positions, per sample.

    Like LayerNorm it never looks across the batch, so it works the same for batch size 1 (detection,
    segmentation); num_groups = 1 is LayerNorm over (C, *), num_groups = C is InstanceNorm.
    Biased variance, then a per-channel `weight` and `bias` (C,).
    """
    if input.ndim < 2:
        raise ValueError(f"group_norm: expected input of shape (N, C, *), got shape {input.shape}")
    _check_floating(input, "group_norm")
    channels = input.shape[1]
    if not isinstance(num_groups, int) or num_groups < 1 or channels % num_groups:
        raise ValueError(f"group_norm: {channels} channels of input {input.shape} are not divisible into "
                         f"num_groups={num_groups}")
    if input.numel() == num_groups:  # PyTorch's check: one value per group in the whole batch
        raise ValueError(f"group_norm: expected more than 1 value per group when training, got input of shape "
                         f"{input.shape} with num_groups={num_groups}")
    groups = input.reshape(input.shape[0], num_groups, -1)           # (N, G, C/G * positions)
    mean = groups.mean(dim=-1, keepdim=True)
    centered = groups - mean
    var = (centered * centered).mean(dim=-1, keepdim=True)           # biased, like PyTorch
    normed = (centered / (var + eps).sqrt()).reshape(input.shape)
    return _affine(normed, input, weight, bias, "group_norm")


def rms_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x**2) + eps) * weight over the trailing `normalized_shape` dims (Llama's norm).

    No mean is subtracted and there is no bias: cheaper than LayerNorm and as good in practice.
    eps=None uses the machine epsilon of the input's dtype, like PyTorch.
    """
    _check_floating(input, "rms_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or input.shape[input.ndim - len(shape):] != shape:
        raise ValueError(f"rms_norm: input of shape {input.shape} does not end in normalized_shape {shape}")
    if weight is not None and weight.shape != shape:
        raise ValueError(f"rms_norm: weight of shape {weight.shape} must have normalized_shape {shape}")
    eps = float(np.finfo(input.dtype).eps) if eps is None else eps
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    rms = ((input * input).mean(dim=dims, keepdim=True) + eps).sqrt()
    out = input / rms
    return out if weight is None else out * weight


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise (N, C, *) over the positions of each sample's channel separately (style transfer).

    With `use_input_stats` each (sample, channel) uses its own mean and biased variance, and given
    running statistics (C,) are moved towards the batch average of those (unbiased variance), in
    place; otherwise the running statistics normalise.
    """
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected input of shape (N, C, *) with positions, got shape {input.shape}")
    _check_floating(input, "instance_norm")
    dims = tuple(range(2, input.ndim))
    positions = math.prod(input.shape[2:])
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: use_input_stats=False needs running_mean and running_var")
        mean = _per_channel(running_mean, input, "running_mean", "instance_norm").detach()
        var = _per_channel(running_var, input, "running_var", "instance_norm").detach()
        return _affine((input - mean) / (var + eps).sqrt(), input, weight, bias, "instance_norm")
    if positions < 2:
        raise ValueError(f"instance_norm: expected more than 1 position per channel when using the input's "
                         f"statistics, got input of shape {input.shape}")
    mean = input.mean(dim=dims, keepdim=True)                       # (N, C, 1, ...)
    centered = input - mean
    var = (centered * centered).mean(dim=dims, keepdim=True)          # biased
    if running_mean is not None and running_var is not None:  # on the arrays: no graph
        for running, stat, scale in ((running_mean, mean, 1.0), (running_var, var, positions / (positions - 1))):
            batch = stat.data.reshape(input.shape[:2]).mean(axis=0) * scale   # (C,)
            running.data[...] = (1 - momentum) * running.data + momentum * batch
    return _affine(centered / (var + eps).sqrt(), input, weight, bias, "instance_norm")


# ---------------------------------------------------------------------------------------------
# Similarities, distances, one-hot
# ---------------------------------------------------------------------------------------------


def _check_dim(shape: tuple[int, ...], dim: int, op: str) -> int:
    ndim = max(len(shape), 1)
    if not -ndim <= dim < ndim:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor of shape {shape}")
    return dim % ndim


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1 . x2 / (max(|x1|, eps) max(|x2|, eps)) along `dim`, with x1 and x2 broadcast together.

    Each side is divided by its own norm first (results stay within [-1, 1]). As in PyTorch, the
    clamp at eps changes the value only: the gradient flows through the norm as if unclamped.
    """
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ValueError(f"cosine_similarity: x1 of shape {x1.shape} and x2 of shape {x2.shape} do not "
                         "broadcast together") from None
    dim = _check_dim(shape, dim, "cosine_similarity")
    if x1.dtype.kind != "f" and x2.dtype.kind != "f":
        raise TypeError(f"cosine_similarity: expected a floating-point x1 or x2, got dtypes {x1.dtype} and {x2.dtype}")
    dtype = np.result_type(x1.dtype, x2.dtype)  # an integer side takes the other's float dtype
    x1, x2 = x1.to(dtype).expand(shape), x2.to(dtype).expand(shape)

    def unit(x: Tensor) -> Tensor:
        norm = x.norm(2, dim, keepdim=True)
        return x / (norm + (norm.clamp(min=eps) - norm).detach())

    return (unit(x1) * unit(x2)).sum(dim=dim)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p, eps) along `dim`: unit vectors (e.g. embeddings before a dot product)."""
    dim = _check_dim(input.shape, dim, "normalize")
    return input / input.norm(p, dim, keepdim=True).clamp(min=eps)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim (eps keeps the gradient finite when x1 == x2)."""
    try:
        np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ValueError(f"pairwise_distance: x1 of shape {x1.shape} and x2 of shape {x2.shape} do not "
                         "broadcast together") from None
    if x1.dtype.kind != "f" and x2.dtype.kind != "f":
        raise TypeError(f"pairwise_distance: expected a floating-point x1 or x2, got dtypes {x1.dtype} and {x2.dtype}")
    return (x1 - x2 + eps).norm(p, -1, keepdim)


def one_hot(input: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices (*) -> (*, num_classes) int64 rows of zeros with a 1 at each index.

    num_classes=-1 uses the largest index + 1.
    """
    if input.dtype != int64:
        raise TypeError(f"one_hot: expected an int64 tensor of class indices, got dtype {input.dtype}")
    labels = input.data
    if labels.size == 0 and num_classes < 1:
        raise ValueError(f"one_hot: cannot infer num_classes from an empty tensor; pass num_classes >= 1, "
                         f"got {num_classes}")
    if num_classes == -1:
        num_classes = int(labels.max()) + 1
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"one_hot: class values must lie in [0, {num_classes - 1}] for num_classes="
                         f"{num_classes}, got values from {labels.min()} to {labels.max()}")
    return (input.unsqueeze(-1) == arange(num_classes)).long()


# ---------------------------------------------------------------------------------------------
# Resizing
# ---------------------------------------------------------------------------------------------

_LINEAR_MODES = {"linear": 3, "bilinear": 4, "trilinear": 5}  # the input rank each mode takes


def _per_dim(value: float | Sequence[float], count: int, name: str, input: Tensor) -> tuple[float, ...]:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * count
    if len(values) != count:
        raise ValueError(f"interpolate: input of shape {input.shape} has {count} spatial dims, but {name} "
                         f"{value} gives {len(values)}")
    return values


def _gather(x: Tensor, axis: int, index: np.ndarray) -> Tensor:
    """x with `axis` indexed by `index`; a plain repeat of each element becomes a cheaper expand."""
    size, count = x.shape[axis], len(index)
    if count % size == 0 and np.array_equal(index, np.arange(count) // (count // size)):
        times = count // size
        if times == 1:
            return x
        expanded = x.unsqueeze(axis + 1)
        shape = expanded.shape[:axis + 1] + (times,) + expanded.shape[axis + 2:]
        return expanded.expand(shape).reshape(x.shape[:axis] + (count,) + x.shape[axis + 1:])
    return x[(slice(None),) * axis + (index,)]


def interpolate(input: Tensor, size: int | Sequence[int] | None = None,
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, L), (N, C, H, W) or (N, C, D, H, W) to `size` or by `scale_factor`.

    mode "nearest" copies the input element at floor(out_index * in / out) (PyTorch's legacy rule),
    "nearest-exact" the one at floor((out_index + 0.5) * in / out); "linear", "bilinear" and
    "trilinear" (for 3-D, 4-D and 5-D input) blend the two nearest elements per dim, treating pixels
    as areas (align_corners=False) or the corner pixels as fixed points (True). With a scale_factor
    the output size is floor(in * scale_factor), and the index rule uses 1 / scale_factor unless
    `recompute_scale_factor` asks for in / out. (`antialias` is accepted as False only.)
    """
    spatial = input.ndim - 2
    if spatial not in (1, 2, 3):
        raise ValueError(f"interpolate: expected (N, C, L), (N, C, H, W) or (N, C, D, H, W) input, got shape "
                         f"{input.shape}")
    linear = mode in _LINEAR_MODES
    if mode not in ("nearest", "nearest-exact") and not linear:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; use 'nearest', 'nearest-exact', "
                                  "'linear', 'bilinear' or 'trilinear'")
    if linear and _LINEAR_MODES[mode] != input.ndim:
        raise ValueError(f"interpolate: mode {mode!r} needs {_LINEAR_MODES[mode]}-D input, got shape {input.shape}")
    if linear and input.dtype.kind != "f":
        raise TypeError(f"interpolate: mode {mode!r} needs a floating-point input, got dtype {input.dtype}")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if align_corners is not None and not linear:
        raise ValueError(f"interpolate: align_corners can only be set with the linear modes, not {mode!r}")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if size is not None and recompute_scale_factor:
        raise ValueError("interpolate: recompute_scale_factor=True is not meaningful with an explicit size")
    in_sizes = input.shape[2:]
    if size is not None:
        out_sizes = tuple(int(n) for n in _per_dim(size, spatial, "size", input))
        scales: tuple[float | None, ...] = (None,) * spatial
    else:
        factors = _per_dim(scale_factor, spatial, "scale_factor", input)
        out_sizes = tuple(math.floor(n * f) for n, f in zip(in_sizes, factors))
        scales = (None,) * spatial if recompute_scale_factor else factors
    if min(out_sizes) < 1 or min(in_sizes) < 1:
        raise ValueError(f"interpolate: input and output sizes must be > 0, got input {in_sizes} and output "
                         f"{out_sizes}")
    out = input
    for axis, n_in, n_out, factor in zip(range(2, input.ndim), in_sizes, out_sizes, scales):
        if linear:
            # PyTorch copies an axis whose size does not change, whatever the scale_factor
            out = _linear_along(out, axis, n_in, n_out, None if n_out == n_in else factor, bool(align_corners))
        else:
            # PyTorch's 2-d "nearest" kernel copies an axis that keeps its size and doubles one that
            # doubles, whatever the scale_factor (its 1-d and 3-d kernels use the factor)
            if mode == "nearest" and spatial == 2 and n_out in (n_in, 2 * n_in):
                factor = None
            out = _gather(out, axis, _nearest_index(n_in, n_out, factor, exact=mode == "nearest-exact"))
    return out


def _nearest_index(n_in: int, n_out: int, factor: float | None, exact: bool) -> np.ndarray:
    """The input index each output position copies (PyTorch computes the scale in float32)."""
    scale = np.float32(1.0 / factor if factor else n_in / n_out)
    positions = np.arange(n_out, dtype=np.float32) + (np.float32(0.5) if exact else np.float32(0.0))
    return np.minimum(np.floor(positions * scale).astype(np.int64), n_in - 1)


def _linear_along(x: Tensor, axis: int, n_in: int, n_out: int, factor: float | None, align_corners: bool) -> Tensor:
    """Linear interpolation along one axis: out = x[i0] * (1 - t) + x[i1] * t per output position."""
    out_index = np.arange(n_out, dtype=np.float64)
    if align_corners:
        source = out_index * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        scale = 1.0 / factor if factor else n_in / n_out
        source = np.maximum((out_index + 0.5) * scale - 0.5, 0.0)
    low = np.minimum(np.floor(source).astype(np.int64), n_in - 1)
    high = np.minimum(low + 1, n_in - 1)
    shape = (n_out,) + (1,) * (x.ndim - axis - 1)       # the weights broadcast along the later dims
    t = Tensor._from_array((source - low).astype(x.dtype).reshape(shape))
    return _gather(x, axis, low) * (1 - t) + _gather(x, axis, high) * t
