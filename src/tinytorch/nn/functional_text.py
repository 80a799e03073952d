"""Functional forms for text models: embedding lookup, scaled dot-product attention, layer norm.

Each is one fused `Function` (modules 12-14): the forward computes the whole formula on arrays
and the backward applies its closed-form derivative, instead of recording a dozen small
operations. That saves time (fewer temporaries, no graph walk through each step) and memory (one
saved array per step instead of many). The wrappers below check their arguments and record the
graph; `tinytorch.nn.functional` re-exports them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tinytorch import backend
from tinytorch.autograd.function import Function
from tinytorch.random import default_rng
from tinytorch.tensor import Tensor, _apply

# ---------------------------------------------------------------------------------------------
# Module 12 — embedding: a table lookup whose gradient is a scatter-add
# ---------------------------------------------------------------------------------------------


class EmbeddingFunction(Function):
    """out = weight[indices];  d/dweight: each row gets the sum of the gradients of its lookups."""

    def forward(self, weight: np.ndarray, indices: np.ndarray, padding_idx: int | None = None) -> np.ndarray:
        self.weight_shape, self.indices, self.padding_idx = weight.shape, indices, padding_idx
        # BEGIN SOLUTION 12
        return weight[indices]  # (*indices.shape, D)
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        """Scatter-add without a Python loop: sort the lookups so equal ids sit together, then
        sum each run of equal ids with one `np.add.reduceat`. Measured on GPT-sized lookups (2048 ids
        of a 65-row table, 128 wide) it takes 0.3 ms where `np.add.at` takes 2.3 ms."""
        # BEGIN SOLUTION 12
        ids = self.indices.reshape(-1)  # (N,)
        rows = grad.reshape(ids.size, grad.shape[-1])  # (N, D)
        out = np.zeros(self.weight_shape, dtype=grad.dtype)  # (V, D)
        if ids.size:
            order = np.argsort(ids, kind="stable")
            sorted_ids = ids[order]
            starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])  # first of each run
            out[sorted_ids[starts]] = np.add.reduceat(rows[order], starts, axis=0)
        if self.padding_idx is not None:
            out[self.padding_idx] = 0  # the padding row never learns
        return (out,)
        # END SOLUTION


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of `weight` (V, D) picked by the integer ids in `input` (any shape) -> (*input.shape, D)."""
    ids = input.data if isinstance(input, Tensor) else np.asarray(input)
    if ids.dtype.kind not in "iu":
        raise TypeError(
            f"embedding: indices must be an integer tensor (int64), got dtype {ids.dtype}; "
            "convert token ids with .long()"
        )
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be a (num_embeddings, embedding_dim) table, got shape {weight.shape}")
    num = weight.shape[0]
    if ids.size and (ids.min() < 0 or ids.max() >= num):
        bad = ids.min() if ids.min() < 0 else ids.max()
        raise IndexError(f"embedding: index {int(bad)} is out of range for a table of {num} rows (valid: 0..{num - 1})")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    return _apply(EmbeddingFunction, weight, indices=ids, padding_idx=padding_idx)


# ---------------------------------------------------------------------------------------------
# Module 13 — scaled dot-product attention
# ---------------------------------------------------------------------------------------------


class ScaledDotProductAttention(Function):
    """out = softmax(q k^T * scale + mask) v, in one node.

    q: (..., L, E), k: (..., S, E), v: (..., S, Ev) -> out: (..., L, Ev). `mask` is additive
    (0 where a query may look, -inf where it may not), broadcastable to the scores (..., L, S).
    `dropout_mask` (0 or 1 / (1 - p)) multiplies the attention weights: P' = P * M.
    Backward, with P the softmax, dO the incoming gradient and O the output:
        dV = P'^T dO;   dP = (dO V^T) * M;   dS = P * (dP - rowsum(dO * O));
        dQ = dS K * scale;   dK = dS^T (Q * scale).
    (rowsum(dO * O) equals rowsum(dP * P), and is cheaper: (L, Ev) per row block instead of (L, S).)
    """

    def forward(self, q: np.ndarray, k: np.ndarray, v: np.ndarray, scale: float,
                mask: np.ndarray | None = None, dropout_mask: np.ndarray | None = None) -> np.ndarray:
        self.scale, self.dropout_mask = scale, dropout_mask
        matmul = backend.get().matmul
        # BEGIN SOLUTION 13
        q_scaled = q * np.asarray(scale, dtype=q.dtype)  # (..., L, E): cheaper than scaling the (L, S) scores
        scores = matmul(q_scaled, np.swapaxes(k, -1, -2))  # (..., L, S)
        if mask is not None:
            scores += mask
        peak = scores.max(axis=-1, keepdims=True)  # (..., L, 1)
        if mask is not None:
            peak[np.isneginf(peak)] = 0  # a query whose keys are all masked: weights 0, not NaN
        scores -= peak
        probs = np.exp(scores, out=scores)  # softmax in the scores' own buffer
        total = probs.sum(axis=-1, keepdims=True)
        if mask is not None:
            total[total == 0] = 1
        probs /= total
        weights = probs if dropout_mask is None else probs * dropout_mask  # P'
        out = matmul(weights, v)  # (..., L, Ev)
        self.q_scaled, self.k, self.v, self.probs, self.weights, self.out = q_scaled, k, v, probs, weights, out
        return out
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
        matmul = backend.get().matmul
        # BEGIN SOLUTION 13
        grad_v = matmul(np.swapaxes(self.weights, -1, -2), grad) if self.needs_grad(2) else None  # (..., S, Ev)
        grad_scores = matmul(grad, np.swapaxes(self.v, -1, -2))  # dP': (..., L, S)
        if self.dropout_mask is not None:
            grad_scores *= self.dropout_mask  # dP
        grad_scores -= (grad * self.out).sum(axis=-1, keepdims=True)  # dP - rowsum(dO * O)
        grad_scores *= self.probs  # dS, in place
        grad_q = grad_k = None
        if self.needs_grad(0):
            grad_q = matmul(grad_scores, self.k)  # (..., L, E)
            grad_q *= np.asarray(self.scale, dtype=grad_q.dtype)
        if self.needs_grad(1):
            grad_k = matmul(np.swapaxes(grad_scores, -1, -2), self.q_scaled)  # (..., S, E)
        return grad_q, grad_k, grad_v
        # END SOLUTION


def causal_mask(query_len: int, key_len: int, offset: int = 0) -> np.ndarray:
    """Bool (L, S) mask, True where query i may attend key j: j <= i + offset.

    offset 0 is PyTorch's `is_causal` (top-left aligned); with `offset = S - L` the last query
    sees every key, which is what a query at absolute position `offset + i` needs when the keys
    of `offset` earlier positions come from a cache.
    """
    return np.tril(np.ones((query_len, key_len), dtype=bool), k=offset)


def _additive_mask(attn_mask: Tensor | np.ndarray, dtype: np.dtype, op: str) -> np.ndarray:
    """A bool mask (True = take part) or a float mask (added to the scores) as an additive float mask."""
    mask = attn_mask.data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
    if mask.dtype == np.bool_:
        return np.where(mask, np.asarray(0, dtype), np.asarray(-np.inf, dtype))
    if mask.dtype.kind != "f":
        raise TypeError(f"{op}: attn_mask must be bool (True = take part) or float (added to the scores), "
                        f"got dtype {mask.dtype}")
    return mask.astype(dtype, copy=False)


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | np.ndarray | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    return_weights: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """softmax(query key^T * scale + mask) value, with PyTorch's conventions.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev).
    - `attn_mask` bool: True means "this query may attend this key" (False positions are removed);
      float: added to the scores (use -inf to remove). Broadcastable to (..., L, S).
    - `is_causal=True`: query i attends keys 0..i (lower-triangular); do not pass attn_mask too.
    - `scale` defaults to 1 / sqrt(E). `dropout_p` drops attention weights (always applied when
      > 0, as in PyTorch: pass `dropout_p=0.0` in evaluation).
    - A query whose keys are all masked gets output 0 (not NaN), as in PyTorch.
    With `return_weights=True` also returns the attention weights (..., L, S), detached from the
    graph: they are for inspection and plotting, not for a loss.
    """
    op = "scaled_dot_product_attention"
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise ValueError(f"{op}: query, key and value need at least 2 dims (..., seq, features), got shapes "
                         f"{query.shape}, {key.shape}, {value.shape}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{op}: query (..., L, E) {query.shape}, key (..., S, E) {key.shape} and value "
                         f"(..., S, Ev) {value.shape} do not fit together")
    if not query.dtype == key.dtype == value.dtype or query.dtype.kind != "f":
        raise TypeError(f"{op}: query, key and value must share one floating dtype, got {query.dtype}, "
                        f"{key.dtype}, {value.dtype}")
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"{op}: dropout_p must be in [0, 1), got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{op}: give attn_mask or is_causal=True, not both")
    dtype = query.dtype
    length, keys = query.shape[-2], key.shape[-2]
    mask = None
    try:
        scores_shape = np.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2]) + (length, keys)
    except ValueError:
        raise ValueError(f"{op}: the batch dims of query {query.shape}, key {key.shape} and value {value.shape} "
                         "do not broadcast together") from None
    if is_causal:
        mask = _additive_mask(causal_mask(length, keys), dtype, op)
    elif attn_mask is not None:
        mask = _additive_mask(attn_mask, dtype, op)
        if not _broadcasts_to(mask.shape, scores_shape):
            raise ValueError(f"{op}: attn_mask of shape {mask.shape} does not broadcast to the attention weights' "
                             f"shape {scores_shape} (..., L, S)")
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    dropout_mask = None
    if dropout_p > 0.0:
        keep = default_rng().random(scores_shape, dtype=np.float32) >= dropout_p
        dropout_mask = keep * np.asarray(1.0 / (1.0 - dropout_p), dtype=dtype)
    node = ScaledDotProductAttention()  # _apply calls the factory it is given: ours returns this node,
    out = _apply(lambda: node, query, key, value, scale=scale, mask=mask, dropout_mask=dropout_mask)  # to read .weights
    if return_weights:
        return out, Tensor._from_array(node.weights)
    return out


# ---------------------------------------------------------------------------------------------
# Module 14 — layer normalisation
# ---------------------------------------------------------------------------------------------


class LayerNormFunction(Function):
    """out = (x - mean) / sqrt(var + eps) * weight + bias over the trailing dims that `weight` spans.

    The input is viewed as rows of N = weight.size numbers, one row per normalised group. With
    x_hat the normalised rows and rstd = 1 / sqrt(var + eps), the backward is
        dx = rstd * (g - mean(g) - x_hat * mean(g * x_hat)),  g = grad * weight  (means along a row);
        dweight = sum over rows of grad * x_hat;  dbias = sum over rows of grad.
    """

    def forward(self, x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
        self.shape, self.weight_shape, self.weight = x.shape, weight.shape, weight.reshape(-1)
        n = weight.size
        # BEGIN SOLUTION 14
        rows = x.reshape(-1, n)  # (M, N)
        centered = rows - rows.mean(axis=1, keepdims=True)
        var = np.einsum("ij,ij->i", centered, centered)[:, None] / n  # (M, 1), biased like PyTorch
        self.rstd = 1.0 / np.sqrt(var + np.asarray(eps, dtype=x.dtype))
        x_hat = centered
        x_hat *= self.rstd  # in place: centered becomes x_hat
        self.x_hat = x_hat
        out = x_hat * self.weight
        out += bias.reshape(-1)
        return out.reshape(self.shape)
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
        x_hat, n = self.x_hat, self.weight.size
        grad_rows = grad.reshape(-1, n)  # (M, N)
        # BEGIN SOLUTION 14
        grad_x = None
        if self.needs_grad(0):
            g = grad_rows * self.weight
            mean_g = g.mean(axis=1, keepdims=True)  # (M, 1)
            mean_g_x_hat = np.einsum("ij,ij->i", g, x_hat)[:, None] / n  # (M, 1)
            g -= mean_g
            g -= x_hat * mean_g_x_hat
            g *= self.rstd
            grad_x = g.reshape(self.shape)
        grad_weight = grad_bias = None
        if self.needs_grad(1):
            grad_weight = np.einsum("ij,ij->j", grad_rows, x_hat).reshape(self.weight_shape)
        if self.needs_grad(2):
            grad_bias = grad_rows.sum(axis=0).reshape(self.weight_shape)
        return grad_x, grad_weight, grad_bias
        # END SOLUTION


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing `normalized_shape` axes to mean 0 and variance 1, then scale and shift."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if input.shape[input.ndim - len(shape):] != shape or len(shape) > input.ndim:
        raise ValueError(f"layer_norm: normalized_shape {shape} must match the last dims of the input, "
                         f"got input of shape {input.shape}")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and param.shape != shape:
            raise ValueError(f"layer_norm: {name} has shape {param.shape}, expected normalized_shape {shape}")
    dtype = input.dtype
    weight = weight if weight is not None else Tensor._from_array(np.ones(shape, dtype=dtype))
    bias = bias if bias is not None else Tensor._from_array(np.zeros(shape, dtype=dtype))
    return _apply(LayerNormFunction, input, weight, bias, eps=eps)
