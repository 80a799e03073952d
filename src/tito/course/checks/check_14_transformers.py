"""Module 14 check: LayerNorm forward and backward, the pre-norm transformer block, GPT and sampling.

The block and the whole GPT are written out again here in float64 NumPy from their parameters
(LayerNorm, causal multi-head attention, a GELU MLP, residual connections, tied output weights),
with every parameter set to random values so that none of them can be skipped unnoticed.
LayerNorm's gradients are finite differences of its formula; sampling follows the documented draw
(one uniform number per row, inverse CDF) and is checked on many rows for the right frequencies.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytorch
from tinytorch import nn
from tinytorch.models import GPT, GPTConfig, sample_next_token
from tinytorch.nn import functional as F
from tinytorch.nn.transformer import TransformerBlock
from tito.course.checks._helpers import (
    assert_close,
    assert_dtype,
    assert_equal,
    assert_shape,
    exercise,
    fail,
    numeric_grad,
)

GPT_FORWARD = exercise("GPT.forward")
SAMPLE = exercise("sample_next_token")
LN_FORWARD = exercise("LayerNormFunction.forward")
LN_BACKWARD = exercise("LayerNormFunction.backward")
BLOCK = exercise("TransformerBlock.forward")

RNG = np.random.default_rng(14)
X = RNG.standard_normal((2, 3, 4)) * 3 + 1
W = RNG.standard_normal(4)
B = RNG.standard_normal(4)
EPS = 1e-5
TOL = {"rtol": 1e-7, "atol": 1e-9}
ERF = np.vectorize(math.erf)


def _ln(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, dims: int = 1) -> np.ndarray:
    """(x - mean) / sqrt(var + eps) * weight + bias over the last `dims` axes (biased variance)."""
    axes = tuple(range(-dims, 0))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * weight + bias


def _p(t) -> np.ndarray:
    return t.data.astype(np.float64)


def _linear(x: np.ndarray, layer) -> np.ndarray:
    return x @ _p(layer.weight).T + _p(layer.bias)


def _causal_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    """softmax(q k^T / sqrt(d) with key j > query i removed) v, for (B, T, d) arrays."""
    t = q.shape[1]
    scores = q @ np.swapaxes(k, 1, 2) / math.sqrt(q.shape[-1])
    scores = np.where(np.tril(np.ones((t, t), dtype=bool)), scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return weights / weights.sum(axis=-1, keepdims=True) @ v


def _block(block, x: np.ndarray) -> np.ndarray:
    """x + attention(ln_1(x)), then + mlp(ln_2(x)): a pre-norm GPT-2 block in NumPy."""
    c, heads = x.shape[-1], block.attn.n_head
    d = c // heads
    q, k, v = np.split(_linear(_ln(x, _p(block.ln_1.weight), _p(block.ln_1.bias)), block.attn.c_attn), 3, axis=-1)
    y = np.concatenate([_causal_attention(q[..., h * d:(h + 1) * d], k[..., h * d:(h + 1) * d],
                                          v[..., h * d:(h + 1) * d]) for h in range(heads)], axis=-1)
    x = x + _linear(y, block.attn.c_proj)
    hidden = _linear(_ln(x, _p(block.ln_2.weight), _p(block.ln_2.bias)), block.mlp.c_fc)
    return x + _linear(0.5 * hidden * (1 + ERF(hidden / math.sqrt(2))), block.mlp.c_proj)  # exact GELU


def _randomise(module: nn.Module, seed: int) -> None:
    """Every parameter random (LayerNorm weights too, which start at 1), so none can be skipped unseen."""
    rng = np.random.default_rng(seed)
    for p in module.parameters():
        p.data[...] = rng.normal(0.0, 0.5, p.shape)


# -------------------------------------------------------------------------------- LayerNorm


def test_layer_norm_normalises_the_last_dims():
    got = F.layer_norm(tinytorch.tensor(X), 4, tinytorch.tensor(W), tinytorch.tensor(B))
    assert_close(got, _ln(X, W, B), LN_FORWARD, "F.layer_norm(x (2, 3, 4), 4, weight, bias)", **TOL)
    got = F.layer_norm(tinytorch.tensor(X), (3, 4))
    assert_close(got, _ln(X, np.ones((3, 4)), np.zeros((3, 4)), dims=2), LN_FORWARD,
                 "F.layer_norm(x (2, 3, 4), (3, 4)) (over the last two dims)", **TOL)
    assert_close(F.layer_norm(tinytorch.tensor(np.full((2, 4), 7.0)), 4), np.zeros((2, 4)), LN_FORWARD,
                 "F.layer_norm of constant rows: 0, not NaN (eps keeps the division finite)", **TOL)


def test_layer_norm_module_keeps_float32():
    x = X.astype(np.float32)
    got = nn.LayerNorm(4)(tinytorch.tensor(x))
    assert_dtype(got, np.float32, LN_FORWARD, "LayerNorm(4) of float32 input")
    assert_close(got, _ln(X, np.ones(4), np.zeros(4)), LN_FORWARD, "LayerNorm(4) of float32 x (2, 3, 4)", rtol=1e-5,
                 atol=1e-5)


@pytest.mark.parametrize("shape", [(4,), (3, 4)])
def test_layer_norm_backward_matches_finite_differences(shape):
    dims = len(shape)
    w, b = RNG.standard_normal(shape), RNG.standard_normal(shape)
    x_t, w_t, b_t = (tinytorch.tensor(a.copy(), requires_grad=True) for a in (X, w, b))
    out = F.layer_norm(x_t, shape, w_t, b_t)
    grad = RNG.standard_normal(X.shape)
    out.backward(grad)
    what = f"F.layer_norm(x (2, 3, 4), {shape}, weight, bias).backward(G)"
    expected = {
        "x": numeric_grad(lambda a: _ln(a, w, b, dims), X.copy(), grad),
        "weight": numeric_grad(lambda a: _ln(X, a, b, dims), w.copy(), grad),
        "bias": numeric_grad(lambda a: _ln(X, w, a, dims), b.copy(), grad),
    }
    for name, leaf in (("x", x_t), ("weight", w_t), ("bias", b_t)):
        if leaf.grad is None:
            fail(f"{what}: {name}.grad is None", LN_BACKWARD, expected="a gradient", got=None)
        assert_close(leaf.grad, expected[name], LN_BACKWARD, f"{what}: {name}.grad (against finite differences)",
                     rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------- TransformerBlock


def test_transformer_block_is_pre_norm_with_residuals():
    tinytorch.manual_seed(0)
    block = TransformerBlock(8, 2).double()
    _randomise(block, 1)
    x = RNG.standard_normal((2, 4, 8))
    got = block(tinytorch.tensor(x))
    assert_shape(got, (2, 4, 8), BLOCK, "TransformerBlock(8, 2) of x (2, 4, 8)")
    assert_close(got, _block(block, x), BLOCK,
                 "TransformerBlock(8, 2): x + attn(ln_1(x)), then + mlp(ln_2(x)), in float64", rtol=1e-7, atol=1e-9)


def test_transformer_block_does_not_let_the_past_see_the_future():
    tinytorch.manual_seed(0)
    block = TransformerBlock(8, 2).double()
    _randomise(block, 2)
    x = RNG.standard_normal((1, 4, 8))
    changed = x.copy()
    changed[0, 3] += 5.0  # only the last position differs
    before, after = block(tinytorch.tensor(x)).data, block(tinytorch.tensor(changed)).data
    assert_close(after[:, :3], before[:, :3], BLOCK,
                 "TransformerBlock: positions 0..2 must not change when only position 3's input does", **TOL)


# ------------------------------------------------------------------------------------------ GPT

CONFIG = GPTConfig(vocab_size=7, block_size=6, n_layer=2, n_head=2, n_embd=8)


def _gpt() -> GPT:
    tinytorch.manual_seed(0)
    model = GPT(CONFIG).double()
    _randomise(model, 3)
    return model


def _gpt_logits(model: GPT, idx: np.ndarray, start_pos: int = 0) -> np.ndarray:
    t = model.transformer
    positions = np.arange(start_pos, start_pos + idx.shape[1])
    x = _p(t.wte.weight)[idx] + _p(t.wpe.weight)[positions]  # (B, T, C)
    for block in t.h:
        x = _block(block, x)
    return _ln(x, _p(t.ln_f.weight), _p(t.ln_f.bias)) @ _p(t.wte.weight).T  # tied output weights


IDX = np.array([[1, 5, 0, 6, 2], [3, 3, 4, 0, 1]])
TARGETS = np.array([[5, 0, 6, 2, 2], [3, 4, 0, 1, 6]])


def test_gpt_forward_logits():
    model = _gpt()
    logits, loss = model(tinytorch.tensor(IDX))
    assert_shape(logits, (2, 5, 7), GPT_FORWARD, "GPT(vocab 7, 2 layers, 2 heads, 8 wide) of idx (2, 5): logits")
    if loss is not None:
        fail("GPT(idx) without targets must return loss None", GPT_FORWARD, expected="None", got=loss)
    assert_close(logits, _gpt_logits(model, IDX), GPT_FORWARD,
                 "GPT logits: embeddings + positions, 2 pre-norm blocks, ln_f, tied output weights",
                 rtol=1e-7, atol=1e-9)
    later, _ = model(tinytorch.tensor(IDX[:, :3]), start_pos=2)
    assert_close(later, _gpt_logits(model, IDX[:, :3], start_pos=2), GPT_FORWARD,
                 "GPT(idx (2, 3), start_pos=2): positions 2, 3, 4", rtol=1e-7, atol=1e-9)


def test_gpt_forward_loss_is_the_mean_cross_entropy():
    model = _gpt()
    _, loss = model(tinytorch.tensor(IDX), tinytorch.tensor(TARGETS))
    logits = _gpt_logits(model, IDX).reshape(10, 7)
    log_probs = logits - logits.max(axis=1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(axis=1, keepdims=True))
    expected = -log_probs[np.arange(10), TARGETS.reshape(10)].mean()
    if loss is None:
        fail("GPT(idx, targets) must return the loss", GPT_FORWARD, expected=expected, got=None)
    assert_close(loss, expected, GPT_FORWARD, "GPT(idx (2, 5), targets (2, 5)): mean cross-entropy over 10 tokens",
                 rtol=1e-7, atol=1e-9)


def test_gpt_backward_reaches_every_parameter():
    model = _gpt()
    _, loss = model(tinytorch.tensor(IDX), tinytorch.tensor(TARGETS))
    loss.backward()
    silent = [name for name, p in model.named_parameters() if p.grad is None or not np.any(p.grad.data)]
    if silent:
        fail("GPT: after loss.backward() every parameter must have a non-zero gradient", GPT_FORWARD,
             expected="no parameter left out", got=silent)


# ------------------------------------------------------------------------------ sample_next_token

PROBS = np.array([0.5, 0.3, 0.15, 0.05])
LOGITS = np.log(PROBS)


def _frequencies(logits: np.ndarray, rows: int = 4000, **options) -> np.ndarray:
    """How often each token is drawn from `rows` copies of one row of logits."""
    batch = tinytorch.tensor(np.tile(logits, (rows, 1)))
    got = sample_next_token(batch, generator=tinytorch.Generator(21), **options)
    assert_shape(got, (rows, 1), SAMPLE, f"sample_next_token of ({rows}, {len(logits)}) logits")
    return np.bincount(got.data[:, 0], minlength=len(logits)) / rows


def _close_frequencies(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    if np.abs(got - expected).max() > 0.03:
        fail(f"{what}: the frequencies of the 4000 draws", SAMPLE, expected=np.round(expected, 3), got=np.round(got, 3))


def test_sample_with_temperature_zero_is_argmax():
    logits = RNG.standard_normal((3, 6))
    got = sample_next_token(tinytorch.tensor(logits), temperature=0.0)
    assert_shape(got, (3, 1), SAMPLE, "sample_next_token(logits (3, 6), temperature=0)")
    assert_dtype(got, np.int64, SAMPLE, "sample_next_token(...)")
    assert_equal(got.data[:, 0], logits.argmax(axis=1), SAMPLE, "sample_next_token(logits (3, 6), temperature=0)")


def test_sample_draws_by_inverse_cdf_from_the_generator():
    logits = RNG.standard_normal((5, 6))
    got = sample_next_token(tinytorch.tensor(logits), generator=tinytorch.Generator(5))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    u = np.random.default_rng(5).random((5, 1))  # one uniform number per row
    expected = np.array([np.flatnonzero(np.cumsum(row) > x)[0] for row, x in zip(probs, u[:, 0])])
    assert_equal(got.data[:, 0], expected, SAMPLE,
                 "sample_next_token(logits (5, 6), generator=Generator(5)): the first token whose cumulative "
                 "probability exceeds u")


def test_sample_temperature_reshapes_the_distribution():
    for temperature in (0.5, 2.0):
        scaled = np.exp(LOGITS / temperature)
        _close_frequencies(_frequencies(LOGITS, temperature=temperature), scaled / scaled.sum(),
                           f"sample_next_token(temperature={temperature}) of probabilities {PROBS.tolist()}")


def test_sample_top_k_keeps_the_k_most_likely_and_ties():
    _close_frequencies(_frequencies(LOGITS, top_k=2), np.array([0.625, 0.375, 0, 0]),
                       f"sample_next_token(top_k=2) of probabilities {PROBS.tolist()}")
    tied = np.log(np.array([0.2, 0.35, 0.35, 0.1]))
    _close_frequencies(_frequencies(tied, top_k=1), np.array([0, 0.5, 0.5, 0]),
                       "sample_next_token(top_k=1) of probabilities [0.2, 0.35, 0.35, 0.1] (ties with the k-th kept)")


def test_sample_top_p_keeps_the_nucleus():
    _close_frequencies(_frequencies(LOGITS, top_p=0.6), np.array([0.625, 0.375, 0, 0]),
                       f"sample_next_token(top_p=0.6) of probabilities {PROBS.tolist()}: tokens 0 and 1 reach 0.6")
    _close_frequencies(_frequencies(LOGITS, top_p=0.5), np.array([1.0, 0, 0, 0]),
                       f"sample_next_token(top_p=0.5) of probabilities {PROBS.tolist()}: token 0 alone reaches 0.5")
    _close_frequencies(_frequencies(LOGITS, top_p=0.05), np.array([1.0, 0, 0, 0]),
                       "sample_next_token(top_p=0.05): the most likely token is always kept")
