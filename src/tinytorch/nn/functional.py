"""Functions behind the layers and losses (`torch.nn.functional`): activations, linear, dropout, losses.

Activations (module 03) are thin wrappers over the Functions in `tinytorch.ops`. `linear` (module 04)
and the losses (module 05) define their own fused Functions here: one graph node computing the
whole result, with a closed-form backward (module 06) instead of a chain of small nodes. Cross-entropy
over (N, C) logits runs as one node because it sits in every classifier's training step.
The image functions (module 09) and the text ones (modules 12-14) live in `functional_spatial` and
`functional_text` and are re-exported here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinytorch import backend, ops
from tinytorch.autograd import Function
from tinytorch.random import Generator, rng_of
from tinytorch.tensor import Tensor, _apply, result_type

# re-exported, so that F.conv2d, F.layer_norm, ... work as in PyTorch
from .functional_extra import (  # noqa: F401
    cosine_embedding_loss, cosine_similarity, elu, group_norm, hardsigmoid, hardswish, hardtanh, huber_loss,
    instance_norm, interpolate, kl_div, mish, normalize, one_hot, pairwise_distance, prelu, relu6, rms_norm,
    smooth_l1_loss, softplus, softsign,
)
from .functional_spatial import (  # noqa: F401
    adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool1d, avg_pool2d, batch_norm, conv1d, conv2d, dropout2d,
    max_pool1d, max_pool2d,
)
from .functional_text import embedding, layer_norm, scaled_dot_product_attention  # noqa: F401

_REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------------------------------------
# Activations (module 03)
# ---------------------------------------------------------------------------------------------


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0). `inplace` is accepted for PyTorch compatibility; a new tensor is always returned."""
    return _apply(ops.ReLU, input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    return _apply(ops.LeakyReLU, input, negative_slope=negative_slope)


def sigmoid(input: Tensor) -> Tensor:
    return _apply(ops.Sigmoid, input)


def tanh(input: Tensor) -> Tensor:
    return _apply(ops.Tanh, input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x); approximate="tanh" uses the tanh formula of the original GPT-2 code."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _apply(ops.GELU, input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    return _apply(ops.SiLU, input)


def _normalize_dim(input: Tensor, dim: int, op: str) -> int:
    ndim = max(input.ndim, 1)
    if not -ndim <= dim < ndim:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor of shape {input.shape}")
    return dim % ndim


def softmax(input: Tensor, dim: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim`; stable for huge logits (the max is subtracted first)."""
    return _apply(ops.Softmax, input, dim=_normalize_dim(input, dim, "softmax"))


def log_softmax(input: Tensor, dim: int = -1) -> Tensor:
    """log(softmax(x)) along `dim`, computed as x - logsumexp(x) so it never takes log(0)."""
    return _apply(ops.LogSoftmax, input, dim=_normalize_dim(input, dim, "log_softmax"))


# ---------------------------------------------------------------------------------------------
# Linear and dropout (module 04)
# ---------------------------------------------------------------------------------------------


class LinearFunction(Function):
    """out = x @ W^T + b for x of shape (*, in_features), W (out_features, in_features), b (out_features,).

    Backward: d/dx = grad @ W, d/dW = grad^T @ x (summed over every leading dim), d/db = sum of grad.
    """

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
        # BEGIN SOLUTION 04
        self.x, self.weight = x, weight
        x2 = x.reshape(-1, x.shape[-1])                # (M, in): all leading dims as one batch
        out = backend.get().matmul(x2, weight.T)        # (M, out)
        if bias is not None:
            out += bias                                 # out is a new array: add in place, no copy
        return out.reshape(x.shape[:-1] + (weight.shape[0],))
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        matmul = backend.get().matmul
        # BEGIN SOLUTION 06
        x, weight = self.x, self.weight
        g2 = grad.reshape(-1, weight.shape[0])                 # (M, out)
        grad_x = matmul(g2, weight).reshape(x.shape) if self.needs_grad(0) else None
        grad_w = matmul(g2.T, x.reshape(-1, x.shape[-1])) if self.needs_grad(1) else None
        grad_b = g2.sum(axis=0) if len(self.inputs) == 3 and self.needs_grad(2) else None
        return grad_x, grad_w, grad_b
        # END SOLUTION


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x @ W^T + b, the affine map of `nn.Linear`, as one graph node."""
    if input.ndim == 0 or weight.ndim != 2 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {input.shape} cannot be multiplied by a weight of shape "
                         f"{weight.shape}: the input's last dim must equal the weight's in_features "
                         f"({weight.shape[1] if weight.ndim == 2 else '?'})")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias of shape {bias.shape} does not match out_features={weight.shape[0]}")
    if bias is None:
        tensors: tuple[Tensor, ...] = (input, weight)
    else:
        tensors = (input, weight, bias)
    if any(t.dtype != weight.dtype for t in tensors):  # promote like matmul: float64 input -> float64 out
        dtype = result_type(input, weight)
        dtype = dtype if dtype.kind == "f" else np.dtype(np.float32)
        tensors = tuple(t if t.dtype == dtype else t.astype(dtype) for t in tensors)
    return _apply(LinearFunction, *tensors)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
            generator: Generator | None = None) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p), in training only.

    The scaling keeps the expected value of every element unchanged, so at evaluation time the
    layer can simply pass its input through. `inplace` is accepted for PyTorch compatibility.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    # BEGIN SOLUTION 04
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = rng_of(generator).random(input.shape, dtype=np.float32) >= p
    mask = keep.astype(input.dtype) * np.asarray(1.0 / (1.0 - p), dtype=input.dtype)
    return input * Tensor._from_array(mask)
    # END SOLUTION


# ---------------------------------------------------------------------------------------------
# Losses (module 05 forward, module 06 backward)
# ---------------------------------------------------------------------------------------------


def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_same_shape(input: Tensor, target: Tensor, op: str) -> None:
    if input.shape != target.shape:
        raise ValueError(f"{op}: target shape {target.shape} differs from input shape {input.shape}; "
                         "broadcasting them would silently compare every input with every target")


def _as_tensor(value: Any, like: Tensor) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor._from_array(np.asarray(value, dtype=like.dtype))


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error: mean((input - target)**2)."""
    _check_reduction(reduction, "mse_loss")
    target = _as_tensor(target, input)
    _check_same_shape(input, target, "mse_loss")
    # BEGIN SOLUTION 05
    diff = input - target
    return _reduce(diff * diff, reduction)
    # END SOLUTION


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean absolute error: mean(|input - target|)."""
    _check_reduction(reduction, "l1_loss")
    target = _as_tensor(target, input)
    _check_same_shape(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction)


class CrossEntropy(Function):
    """Cross-entropy of (M, C) logits against class indices, as one node.

    Row i's target distribution is q_i = (1 - s) w[y_i] onehot(y_i) + (s / C) w (label smoothing
    s, class weights w; all zero for an ignored row), and loss_i = -sum_c q_ic log softmax(x_i)_c.
    "mean" divides the sum by the total weight of the rows that count, like PyTorch.
    Backward: d loss_i / d x_i = softmax(x_i) * sum_c q_ic - q_i.
    """

    def forward(self, logits: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None,
                ignore_index: int = -100, label_smoothing: float = 0.0, reduction: str = "mean") -> np.ndarray:
        # BEGIN SOLUTION 05
        rows, n_classes = logits.shape
        dtype = logits.dtype
        valid = target != ignore_index                                   # (M,)
        picked_class = np.where(valid, target, 0) if not valid.all() else target
        shifted = logits - logits.max(axis=1, keepdims=True)            # (M, C), max 0 per row
        exp = np.exp(shifted)
        sum_exp = exp.sum(axis=1, keepdims=True)                         # (M, 1)
        log_sum_exp = np.log(sum_exp)[:, 0]                              # (M,)
        row_index = np.arange(rows)
        log_p_target = shifted[row_index, picked_class] - log_sum_exp   # (M,) log softmax at y
        if weight is None:
            target_weight = valid.astype(dtype)                          # (M,) 1 or 0 (ignored)
        else:
            target_weight = weight[picked_class] * valid
        losses = -(1.0 - label_smoothing) * target_weight * log_p_target
        if label_smoothing > 0:
            if weight is None:
                sum_log_p = shifted.sum(axis=1) - n_classes * log_sum_exp          # sum_c log p_c
            else:
                sum_log_p = shifted @ weight - weight.sum() * log_sum_exp         # sum_c w_c log p_c
            losses = losses - (label_smoothing / n_classes) * sum_log_p * valid
        self.probs = exp / sum_exp                                       # softmax, kept for backward
        self.row_index, self.picked_class, self.valid = row_index, picked_class, valid
        self.target_weight, self.weight = target_weight, weight
        self.label_smoothing, self.reduction = label_smoothing, reduction
        if reduction == "none":
            return losses.astype(dtype, copy=False)
        total = losses.sum()
        if reduction == "mean":
            self.total_weight = target_weight.sum()
            with np.errstate(invalid="ignore", divide="ignore"):  # every row ignored: NaN, like PyTorch
                total = total / self.total_weight
        return np.asarray(total, dtype=dtype)
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        smoothing, n_classes = self.label_smoothing, self.probs.shape[1]
        scale = grad                                                  # (M,) for "none", else a scalar
        if self.reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                scale = grad / self.total_weight
        pick = (1.0 - smoothing) * self.target_weight * scale        # weight of onehot(y) per row (M,)
        row_total = pick                                              # sum_c q_ic, times scale
        if smoothing > 0:
            class_weight_sum = n_classes if self.weight is None else self.weight.sum()
            spread = (smoothing / n_classes) * self.valid * scale     # (M,)
            row_total = pick + spread * class_weight_sum
        grad_logits = self.probs * np.reshape(row_total, (-1, 1))    # softmax * sum_c q_ic
        grad_logits[self.row_index, self.picked_class] -= pick       # - (1 - s) w[y] onehot(y)
        if smoothing > 0:
            spread_weight = 1.0 if self.weight is None else self.weight
            grad_logits -= np.reshape(spread, (-1, 1)) * spread_weight  # - (s / C) w
        return (grad_logits.astype(self.probs.dtype, copy=False),)
        # END SOLUTION


def _classes_last(input: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N * d1 * ..., C) and (C,) -> (1, C): one row of class scores per sample."""
    if input.ndim == 1:
        return input.reshape(1, -1)
    if input.ndim == 2:
        return input
    return input.permute(0, *range(2, input.ndim), 1).reshape(-1, input.shape[1])


def _check_class_targets(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int, op: str) -> None:
    """Class-index targets: integer dtype, the input's shape without the class dim, values in range."""
    n_classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    expected = () if input.ndim == 1 else input.shape[:1] + input.shape[2:]
    if target.dtype.kind not in "iu" or target.shape != expected:
        raise ValueError(
            f"{op}: target of shape {target.shape} and dtype {target.dtype} does not fit input of shape "
            f"{input.shape} and dtype {input.dtype}: class-index targets need an integer dtype and shape "
            f"{expected}; class-probability targets need a floating dtype and shape {input.shape}"
        )
    if weight is not None and weight.shape != (n_classes,):
        raise ValueError(f"{op}: weight of shape {weight.shape} must have one entry per class, shape ({n_classes},)")
    labels = target.data
    if labels.size and not 0 <= labels.min() <= labels.max() < n_classes:  # two reductions: the usual case
        bad = labels[(labels != ignore_index) & ((labels < 0) | (labels >= n_classes))]
        if bad.size:
            raise IndexError(
                f"{op}: target value {int(bad[0])} is out of range for {n_classes} classes (input shape "
                f"{input.shape}); class indices must lie in [0, {n_classes - 1}] or equal ignore_index={ignore_index}"
            )


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits and targets: log-softmax and negative log-likelihood in one.

    input: (N, C), (N, C, d1, ...) or (C,) unnormalised scores (logits).
    target: class indices (int64) of shape (N,), (N, d1, ...) or (); or class probabilities of the
    input's own shape (float). `weight` (C,) rescales each class; rows whose target is
    `ignore_index` count for nothing; `label_smoothing` mixes the target with the uniform
    distribution.
    """
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    if input.ndim == 0 or input.dtype.kind != "f":
        raise ValueError(f"cross_entropy: input must be floating-point logits with at least 1 dim, got "
                         f"shape {input.shape} and dtype {input.dtype}")
    target = target if isinstance(target, Tensor) else Tensor._from_array(np.asarray(target))
    if target.dtype.kind == "f" and target.shape == input.shape:
        return _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing)
    _check_class_targets(input, target, weight, ignore_index, "cross_entropy")
    logits = _classes_last(input)
    loss = _apply(CrossEntropy, logits, target=target.data.reshape(-1),
                  weight=None if weight is None else weight.data.astype(input.dtype, copy=False),
                  ignore_index=ignore_index, label_smoothing=label_smoothing, reduction=reduction)
    return loss.reshape(target.shape) if reduction == "none" else loss


def _cross_entropy_probabilities(input: Tensor, target: Tensor, weight: Tensor | None, reduction: str,
                                 label_smoothing: float) -> Tensor:
    """Soft targets: loss = -sum_c w_c t_c log softmax(x)_c per sample; "mean" averages over samples."""
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_dim]
    log_p = log_softmax(input, dim=class_dim)
    q = target.data
    if label_smoothing > 0:
        q = q * (1.0 - label_smoothing) + label_smoothing / n_classes
    if weight is not None:
        if weight.shape != (n_classes,):
            raise ValueError(f"cross_entropy: weight of shape {weight.shape} must have one entry per class, "
                             f"shape ({n_classes},)")
        q = q * weight.data.reshape((n_classes,) + (1,) * (input.ndim - class_dim - 1))
    losses = -(log_p * Tensor._from_array(q.astype(input.dtype, copy=False))).sum(dim=class_dim)
    return _reduce(losses, reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: -input[i, target_i] (input holds log-probabilities, e.g. log_softmax).

    Same shapes, `weight` and `ignore_index` as `cross_entropy`; "mean" divides by the total weight
    of the targets that count.
    """
    _check_reduction(reduction, "nll_loss")
    if input.ndim == 0:
        raise ValueError("nll_loss: input must have at least 1 dim (classes)")
    target = target if isinstance(target, Tensor) else Tensor._from_array(np.asarray(target))
    _check_class_targets(input, target, weight, ignore_index, "nll_loss")
    # BEGIN SOLUTION 05
    log_p = _classes_last(input)                        # (M, C)
    labels = target.data.reshape(-1)                                # (M,)
    valid = labels != ignore_index
    labels = np.where(valid, labels, 0)
    w = valid.astype(input.dtype) if weight is None else weight.data.astype(input.dtype)[labels] * valid
    losses = -log_p[np.arange(len(labels)), labels] * Tensor._from_array(w)   # (M,)
    if reduction == "none":
        return losses.reshape(target.shape)
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / Tensor._from_array(np.asarray(w.sum(), dtype=input.dtype))
    # END SOLUTION


def _check_binary(input: Tensor, target: Tensor, weight: Tensor | None, op: str) -> tuple[np.ndarray, np.ndarray | None]:
    if target.shape != input.shape:
        raise ValueError(f"{op}: target shape {target.shape} differs from input shape {input.shape}; "
                         "they must be the same")
    w = None if weight is None else _broadcast_weight(weight, input, "weight", op)
    return target.data.astype(input.dtype, copy=False), w


def _broadcast_weight(weight: Tensor | np.ndarray, input: Tensor, name: str, op: str) -> np.ndarray:
    """`weight` as an array of input's dtype; an error naming `name` if it does not broadcast to input."""
    w = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
    try:
        np.broadcast_shapes(w.shape, input.shape)
    except ValueError:
        raise ValueError(f"{op}: {name} of shape {w.shape} does not broadcast to input shape {input.shape}") from None
    return w.astype(input.dtype, copy=False)


_BCE_EPS = float(np.float32(1e-12))  # PyTorch's constant is the float32 nearest 1e-12


class BinaryCrossEntropy(Function):
    """loss = -w (t log p + (1 - t) log(1 - p)), each log clamped to >= -100 like PyTorch.

    Backward (PyTorch's formula, finite even at p = 0 or 1): w (p - t) / max(p (1 - p), 1e-12).
    """

    def forward(self, p: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
        self.p, self.target, self.weight = p, target, weight
        # BEGIN SOLUTION 05
        with np.errstate(divide="ignore"):  # log(0) = -inf, then clamped to -100
            log_p = np.maximum(np.log(p), -100)
            log_1mp = np.maximum(np.log(1 - p), -100)
        loss = -(target * log_p + (1 - target) * log_1mp)
        return loss if weight is None else loss * weight
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        p, target, weight = self.p, self.target, self.weight
        # BEGIN SOLUTION 06
        grad_p = grad * (p - target) / np.maximum(p * (1 - p), _BCE_EPS)
        return (grad_p if weight is None else grad_p * weight,)
        # END SOLUTION


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy between probabilities `input` (in [0, 1]) and targets of the same shape."""
    _check_reduction(reduction, "binary_cross_entropy")
    target = _as_tensor(target, input)
    t, w = _check_binary(input, target, weight, "binary_cross_entropy")
    if input.data.size and not ((input.data >= 0).all() and (input.data <= 1).all()):
        raise ValueError("binary_cross_entropy: all elements of input must be probabilities in [0, 1] "
                         f"(got min {input.data.min():.4g}, max {input.data.max():.4g}); for raw scores "
                         "use binary_cross_entropy_with_logits")
    return _reduce(_apply(BinaryCrossEntropy, input, target=t, weight=w), reduction)


class BinaryCrossEntropyWithLogits(Function):
    """BCE on logits x without forming sigmoid(x): with l = 1 + (pos_weight - 1) t,

    loss = w ((1 - t) x + l (log(1 + e**-|x|) + max(-x, 0))), never overflowing.
    Backward: w (l sigmoid(x) - pos_weight t).
    """

    def forward(self, x: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None,
                pos_weight: np.ndarray | None = None) -> np.ndarray:
        self.x, self.target, self.weight, self.pos_weight = x, target, weight, pos_weight
        # BEGIN SOLUTION 05
        softplus_neg_x = np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)    # log(1 + e**-x), stable
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * target
        loss = (1 - target) * x + log_weight * softplus_neg_x
        return loss if weight is None else loss * weight
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        x, target, weight, pos_weight = self.x, self.target, self.weight, self.pos_weight
        # BEGIN SOLUTION 06
        sig = ops.Sigmoid().forward(x)
        if pos_weight is None:
            local = sig - target
        else:
            local = (1 + (pos_weight - 1) * target) * sig - pos_weight * target
        grad_x = grad * local
        return (grad_x if weight is None else grad_x * weight,)
        # END SOLUTION


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid and binary cross-entropy in one, stable for any logit.

    `pos_weight` (broadcast along the last dim, one per class) scales the loss of positive targets:
    > 1 raises recall, < 1 raises precision.
    """
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    target = _as_tensor(target, input)
    t, w = _check_binary(input, target, weight, "binary_cross_entropy_with_logits")
    pw = None
    if pos_weight is not None:
        pw = _broadcast_weight(pos_weight, input, "pos_weight", "binary_cross_entropy_with_logits")
    return _reduce(_apply(BinaryCrossEntropyWithLogits, input, target=t, weight=w, pos_weight=pw), reduction)
