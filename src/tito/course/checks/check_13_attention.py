"""Module 13 check: splitting and merging heads, and scaled dot-product attention forward and backward.

Heads are compared with the feature slices they must hold. Attention is compared with
softmax(q k^T * scale + mask) v written out in float64 NumPy, on cases where the mask changes
the answer; its gradients with finite differences of that same NumPy formula.
"""

from __future__ import annotations

import math

import numpy as np

import tinytorch
from tinytorch.nn import MultiheadAttention
from tinytorch.nn.attention import merge_heads, split_heads
from tinytorch.nn.functional_text import ScaledDotProductAttention, scaled_dot_product_attention
from tinytorch.tensor import _apply
from tito.course.checks._helpers import assert_close, assert_shape, exercise, fail, numeric_grad

SPLIT = exercise("split_heads")
MERGE = exercise("merge_heads")
FORWARD = exercise("ScaledDotProductAttention.forward")
BACKWARD = exercise("ScaledDotProductAttention.backward")

RNG = np.random.default_rng(13)
Q = RNG.standard_normal((2, 3, 4))  # (B, L, E)
K = RNG.standard_normal((2, 5, 4))  # (B, S, E)
V = RNG.standard_normal((2, 5, 3))  # (B, S, Ev)
CAUSAL = np.tril(np.ones((3, 3), dtype=bool))  # query i sees keys 0..i
TOL = {"rtol": 1e-9, "atol": 1e-12}


def _attention(q, k, v, scale=None, mask=None, dropout=None) -> np.ndarray:
    """softmax(q k^T * scale + mask) (times a dropout mask) v; `mask` additive, -inf where not allowed."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if mask is not None:
        scores = scores + mask
    peak = np.max(scores, axis=-1, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    e = np.exp(scores - peak)
    total = e.sum(axis=-1, keepdims=True)
    weights = e / np.where(total == 0, 1.0, total)
    if dropout is not None:
        weights = weights * dropout
    return weights @ v


def _additive(allowed: np.ndarray) -> np.ndarray:
    return np.where(allowed, 0.0, -np.inf)


def _leaves(*arrays: np.ndarray) -> list[tinytorch.Tensor]:
    return [tinytorch.tensor(a.copy(), requires_grad=True) for a in arrays]


def _check_grads(leaves, expected_fns, grad, what: str) -> None:
    for name, leaf, f, array in zip("qkv", leaves, expected_fns, (Q, K, V)):
        if leaf.grad is None:
            fail(f"{what}: {name}.grad is None", BACKWARD, expected="a gradient", got=None)
        expected = numeric_grad(f, array.copy(), grad)
        assert_close(leaf.grad, expected, BACKWARD, f"{what}: {name}.grad (against finite differences)",
                     rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------------------- split / merge


def test_split_heads_gives_each_head_its_slice_of_features():
    x = RNG.standard_normal((2, 3, 6))
    got = split_heads(tinytorch.tensor(x), 2)
    assert_shape(got, (2, 2, 3, 3), SPLIT, "split_heads(x (2, 3, 6), 2)")
    expected = np.stack([x[..., 0:3], x[..., 3:6]], axis=1)  # head h: features 3h .. 3h + 2
    assert_close(got, expected, SPLIT, "split_heads(x (2, 3, 6), 2): head h holds features 3h..3h+2", **TOL)
    assert_close(split_heads(tinytorch.tensor(x), 3), np.stack([x[..., 2 * h:2 * h + 2] for h in range(3)], axis=1),
                 SPLIT, "split_heads(x (2, 3, 6), 3)", **TOL)


def test_merge_heads_puts_the_heads_side_by_side():
    y = RNG.standard_normal((2, 3, 4, 2))  # (B, H, T, D)
    got = merge_heads(tinytorch.tensor(y))
    assert_shape(got, (2, 4, 6), MERGE, "merge_heads(y (2, 3, 4, 2))")
    expected = np.concatenate([y[:, 0], y[:, 1], y[:, 2]], axis=-1)  # (B, T, H * D)
    assert_close(got, expected, MERGE, "merge_heads(y (2, 3, 4, 2)): head h in features 2h..2h+1", **TOL)
    x = RNG.standard_normal((1, 5, 6))
    assert_close(merge_heads(split_heads(tinytorch.tensor(x), 3)), x, MERGE, "merge_heads(split_heads(x, 3)) == x",
                 **TOL)


# ------------------------------------------------------------------------------------ forward


def test_attention_forward_without_a_mask():
    got = scaled_dot_product_attention(*map(tinytorch.tensor, (Q, K, V)))
    assert_shape(got, (2, 3, 3), FORWARD, "attention(q (2, 3, 4), k (2, 5, 4), v (2, 5, 3))")
    assert_close(got, _attention(Q, K, V), FORWARD, "softmax(q k^T / sqrt(4)) v for q (2, 3, 4), k (2, 5, 4)", **TOL)
    got = scaled_dot_product_attention(*map(tinytorch.tensor, (Q, K, V)), scale=0.3)
    assert_close(got, _attention(Q, K, V, scale=0.3), FORWARD, "attention(..., scale=0.3)", **TOL)


def test_attention_forward_with_masks_that_change_the_answer():
    q, k, v = Q[:, :, :], K[:, :3], V[:, :3]  # 3 queries, 3 keys
    got = scaled_dot_product_attention(*map(tinytorch.tensor, (q, k, v)), is_causal=True)
    assert_close(got, _attention(q, k, v, mask=_additive(CAUSAL)), FORWARD,
                 "attention(is_causal=True): query i attends keys 0..i only", **TOL)
    assert_close(got[:, 0], v[:, 0], FORWARD, "attention(is_causal=True): the first query can only see the first value",
                 **TOL)
    allowed = np.array([[True, False, True, False, True], [False, True, True, True, False],
                        [True, True, True, True, True]])
    got = scaled_dot_product_attention(*map(tinytorch.tensor, (Q, K, V)), attn_mask=tinytorch.tensor(allowed))
    assert_close(got, _attention(Q, K, V, mask=_additive(allowed)), FORWARD,
                 "attention with a bool attn_mask (True = may attend)", **TOL)
    bias = RNG.standard_normal((3, 5))
    got = scaled_dot_product_attention(*map(tinytorch.tensor, (Q, K, V)), attn_mask=tinytorch.tensor(bias))
    assert_close(got, _attention(Q, K, V, mask=bias), FORWARD, "attention with a float attn_mask (added to the scores)",
                 **TOL)


def test_attention_forward_all_masked_query_and_large_scores():
    allowed = np.ones((3, 5), dtype=bool)
    allowed[1] = False  # query 1 may attend nothing
    got = scaled_dot_product_attention(*map(tinytorch.tensor, (Q, K, V)), attn_mask=allowed)
    assert_close(got, _attention(Q, K, V, mask=_additive(allowed)), FORWARD,
                 "attention where query 1's keys are all masked: its output is 0, not NaN", **TOL)
    big = Q * 1000  # scores around 1e3: exp overflows unless the row maximum is subtracted
    got = scaled_dot_product_attention(*map(tinytorch.tensor, (big, K, V)))
    assert_close(got, _attention(big, K, V), FORWARD, "attention of q * 1000 (scores in the thousands)", rtol=1e-7,
                 atol=1e-9)


def test_attention_forward_returns_its_weights_and_runs_on_both_backends():
    out, weights = scaled_dot_product_attention(*map(tinytorch.tensor, (Q, K, V)), return_weights=True)
    scores = Q @ np.swapaxes(K, -1, -2) / 2
    expected = np.exp(scores - scores.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    assert_close(weights, expected, FORWARD, "attention(..., return_weights=True): the weights, rows summing to 1",
                 **TOL)
    assert_close(out, expected @ V, FORWARD, "attention(..., return_weights=True): the output is weights @ v", **TOL)
    q4, k4, v4 = (RNG.standard_normal((1, 2, 3, 2)).astype(np.float32) for _ in range(3))  # (B, H, T, D)
    with tinytorch.backend.use("naive"):
        got = scaled_dot_product_attention(*map(tinytorch.tensor, (q4, k4, v4)), is_causal=True)
    assert_close(got, _attention(q4, k4, v4, mask=_additive(CAUSAL)), FORWARD,
                 "attention of float32 (1, 2, 3, 2) heads, is_causal=True, on the naive backend", rtol=1e-5, atol=1e-6)


def test_attention_forward_applies_a_dropout_mask_to_the_weights():
    keep = (RNG.random((2, 3, 5)) > 0.4) * 2.0  # 0 or 1 / (1 - 0.5)
    got = _apply(ScaledDotProductAttention, *map(tinytorch.tensor, (Q, K, V)), scale=0.5, mask=None,
                 dropout_mask=keep)
    assert_close(got, _attention(Q, K, V, dropout=keep), FORWARD, "ScaledDotProductAttention with a dropout mask M: "
                 "(softmax(q k^T * scale) * M) v", **TOL)


# ----------------------------------------------------------------------------------- backward


def test_attention_backward_matches_finite_differences():
    leaves = _leaves(Q, K, V)
    out = scaled_dot_product_attention(*leaves)
    grad = RNG.standard_normal(out.shape)
    out.backward(grad)
    fns = (lambda a: _attention(a, K, V), lambda a: _attention(Q, a, V), lambda a: _attention(Q, K, a))
    _check_grads(leaves, fns, grad, "attention(q, k, v).backward(G)")


def test_attention_backward_with_a_mask_and_a_scale():
    allowed = np.array([[True, False, True, False, True], [False, True, True, True, False],
                        [True, True, False, True, True]])
    mask = _additive(allowed)
    leaves = _leaves(Q, K, V)
    out = scaled_dot_product_attention(*leaves, attn_mask=allowed, scale=0.7)
    grad = RNG.standard_normal(out.shape)
    out.backward(grad)
    fns = (lambda a: _attention(a, K, V, 0.7, mask), lambda a: _attention(Q, a, V, 0.7, mask),
           lambda a: _attention(Q, K, a, 0.7, mask))
    _check_grads(leaves, fns, grad, "attention(q, k, v, attn_mask, scale=0.7).backward(G)")


def test_attention_backward_through_a_dropout_mask():
    keep = (RNG.random((2, 3, 5)) > 0.5) * 2.0
    leaves = _leaves(Q, K, V)
    out = _apply(ScaledDotProductAttention, *leaves, scale=0.5, mask=None, dropout_mask=keep)
    grad = RNG.standard_normal(out.shape)
    out.backward(grad)
    fns = (lambda a: _attention(a, K, V, 0.5, dropout=keep), lambda a: _attention(Q, a, V, 0.5, dropout=keep),
           lambda a: _attention(Q, K, a, 0.5, dropout=keep))
    _check_grads(leaves, fns, grad, "ScaledDotProductAttention with dropout mask M, backward(G)")


def test_multihead_attention_matches_the_formula_head_by_head():
    tinytorch.manual_seed(0)
    layer = MultiheadAttention(6, 2, dtype=tinytorch.float64)
    x = RNG.standard_normal((2, 3, 6))
    got, weights = layer(*(tinytorch.tensor(x),) * 3, is_causal=True, average_attn_weights=False)
    w_in, b_in = layer.in_proj_weight.data, layer.in_proj_bias.data
    q, k, v = (x @ w_in[i * 6:(i + 1) * 6].T + b_in[i * 6:(i + 1) * 6] for i in range(3))
    heads = [_attention(q[..., 3 * h:3 * h + 3], k[..., 3 * h:3 * h + 3], v[..., 3 * h:3 * h + 3],
                        mask=_additive(CAUSAL)) for h in range(2)]
    expected = np.concatenate(heads, axis=-1) @ layer.out_proj.weight.data.T + layer.out_proj.bias.data
    assert_close(got, expected, SPLIT, "MultiheadAttention(6, 2)(x, x, x, is_causal=True): each head on its own "
                 "3 features, outputs side by side", **TOL)
    assert_shape(weights, (2, 2, 3, 3), MERGE, "MultiheadAttention(..., average_attn_weights=False) weights")
