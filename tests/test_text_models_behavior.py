"""Embeddings, attention, LayerNorm, the transformer block and GPT: settings, errors, sampling and the cache hook."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import tinytorch
from tinytorch import optim
from tinytorch.models import GPT, GPTConfig, sample_next_token
from tinytorch.nn.attention import MultiheadAttention, plot_attention
from tinytorch.nn.embedding import (
    Embedding,
    PositionalEmbedding,
    SinusoidalPositionalEncoding,
    sinusoidal_table,
)
from tinytorch.nn.functional_text import (
    EmbeddingFunction,
    causal_mask,
    embedding,
    scaled_dot_product_attention,
)
from tinytorch.nn.layernorm import LayerNorm
from tinytorch.nn.transformer import TransformerBlock
from tinytorch.tensor import Tensor, cat
from tinytorch.testing import assert_close

RNG = np.random.default_rng(99)


def randn(*shape: int) -> Tensor:
    return Tensor(RNG.standard_normal(shape).astype(np.float32))


def tiny_gpt(**overrides) -> GPT:
    settings = {"vocab_size": 13, "block_size": 8, "n_layer": 2, "n_head": 2, "n_embd": 16, "dropout": 0.0, "bias": True}
    settings.update(overrides)
    tinytorch.manual_seed(0)
    return GPT(GPTConfig(**settings))


# ---------------------------------------------------------------------------------------------
# Embeddings (module 12)
# ---------------------------------------------------------------------------------------------


def test_embedding_init_is_standard_normal_with_a_zero_padding_row() -> None:
    tinytorch.manual_seed(0)
    layer = Embedding(500, 40, padding_idx=-1)
    assert layer.padding_idx == 499
    w = layer.weight.data
    assert w.dtype == np.float32 and w.shape == (500, 40)
    assert np.all(w[499] == 0)
    assert abs(w[:499].mean()) < 0.02 and abs(w[:499].std() - 1) < 0.02


def test_embedding_padding_row_never_learns() -> None:
    tinytorch.manual_seed(0)
    layer = Embedding(5, 3, padding_idx=0)
    opt = optim.AdamW(layer.parameters(), lr=0.1)
    for _ in range(3):
        loss = (layer(Tensor(np.array([[0, 1, 0, 2]]))) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        assert np.all(layer.weight.grad.data[0] == 0)
        opt.step()
    assert np.all(layer.weight.data[0] == 0)


def test_embedding_scatter_matches_np_add_at_on_many_repeats() -> None:
    ids = RNG.integers(0, 50, (64, 33))
    grad = RNG.standard_normal((64, 33, 8))
    fn = EmbeddingFunction()
    fn.forward(np.zeros((50, 8)), ids)
    expected = np.zeros((50, 8))
    np.add.at(expected, ids.reshape(-1), grad.reshape(-1, 8))
    np.testing.assert_allclose(fn.backward(grad)[0], expected, rtol=1e-12, atol=1e-12)


def test_embedding_with_no_indices() -> None:
    weight = Tensor(np.ones((4, 2), dtype=np.float32), requires_grad=True)
    out = embedding(Tensor(np.zeros((0, 3), dtype=np.int64)), weight)
    assert out.shape == (0, 3, 2)
    out.sum().backward()
    assert np.all(weight.grad.data == 0)


@pytest.mark.parametrize("bad, error, words", [
    (np.array([0, 5]), IndexError, "index 5 is out of range for a table of 5 rows"),
    (np.array([-1, 2]), IndexError, "index -1 is out of range"),
    (np.array([0.0, 1.0]), TypeError, "must be an integer tensor"),
])
def test_embedding_rejects_bad_indices(bad: np.ndarray, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        Embedding(5, 2)(Tensor(bad))


def test_embedding_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="padding_idx 5"):
        Embedding(5, 2, padding_idx=5)
    with pytest.raises(ValueError, match="must be positive"):
        Embedding(0, 2)


def test_sinusoidal_table_is_the_vaswani_formula() -> None:
    d = 7  # odd: the last column is a sine without a cosine partner
    table = sinusoidal_table(20, d, np.float64)
    for t in (0, 3, 19):
        for i in range(d):
            angle = t / 10000 ** ((i - i % 2) / d)
            assert table[t, i] == pytest.approx(math.sin(angle) if i % 2 == 0 else math.cos(angle), abs=1e-12)


def test_sinusoidal_encoding_is_a_buffer_added_at_an_offset() -> None:
    layer = SinusoidalPositionalEncoding(6, max_len=10)
    assert list(layer.parameters()) == [] and list(layer.state_dict()) == ["pe"]
    x = randn(2, 3, 6)
    assert_close(layer(x, offset=4), x.data + sinusoidal_table(10, 6)[4:7])
    with pytest.raises(ValueError, match="max_len=10"):
        layer(randn(1, 7, 6), offset=4)


def test_positional_embedding_adds_learned_rows_from_the_offset() -> None:
    layer = PositionalEmbedding(8, 4)
    x = Tensor(np.zeros((2, 3, 4), dtype=np.float32), requires_grad=True)
    out = layer(x, offset=5)
    assert_close(out, np.broadcast_to(layer.weight.data[5:8], (2, 3, 4)))
    out.sum().backward()
    assert np.all(layer.weight.grad.data[5:8] == 2) and np.all(layer.weight.grad.data[:5] == 0)
    with pytest.raises(ValueError, match="do not fit in max_len=8"):
        layer(x, offset=6)


# ---------------------------------------------------------------------------------------------
# Attention (module 13)
# ---------------------------------------------------------------------------------------------


def test_attention_weights_are_a_distribution_and_detached() -> None:
    q, k, v = randn(2, 3, 4, 5), randn(2, 3, 6, 5), randn(2, 3, 6, 2)
    q.requires_grad_()
    out, weights = scaled_dot_product_attention(q, k, v, return_weights=True)
    assert out.shape == (2, 3, 4, 2) and weights.shape == (2, 3, 4, 6)
    assert_close(weights.data.sum(-1), np.ones((2, 3, 4)), atol=1e-6)
    assert out.requires_grad and not weights.requires_grad


def test_attention_causal_weights_are_lower_triangular() -> None:
    _, weights = scaled_dot_product_attention(randn(1, 5, 4), randn(1, 5, 4), randn(1, 5, 4), is_causal=True,
                                              return_weights=True)
    assert np.all(np.triu(weights.data[0], 1) == 0)
    assert weights.data[0, 0, 0] == pytest.approx(1.0)


def test_attention_output_does_not_depend_on_masked_keys() -> None:
    q, k, v = randn(1, 3, 4), randn(1, 5, 4), randn(1, 5, 4)
    keep = np.array([True, True, False, True, False])
    out = scaled_dot_product_attention(q, k, v, attn_mask=keep)
    k.data[0, 2] += 100.0
    v.data[0, 4] -= 100.0
    assert_close(scaled_dot_product_attention(q, k, v, attn_mask=keep), out)


def test_attention_fully_masked_row_gives_zeros_not_nan() -> None:
    q, k, v = (Tensor(RNG.standard_normal((1, 3, 4)), requires_grad=True) for _ in range(3))
    mask = np.array([[True, False, True], [False, False, False], [True, True, True]])
    out = scaled_dot_product_attention(q, k, v, attn_mask=mask)
    out.sum().backward()
    assert np.all(out.data[0, 1] == 0) and np.isfinite(q.grad.data).all() and np.isfinite(k.grad.data).all()


def test_attention_dropout_zeroes_weights_and_keeps_the_mean() -> None:
    tinytorch.manual_seed(0)
    q, k = Tensor(np.zeros((1, 64, 4), np.float32)), Tensor(np.zeros((1, 64, 4), np.float32))
    v = Tensor(np.ones((1, 64, 1), np.float32))
    out, weights = scaled_dot_product_attention(q, k, v, dropout_p=0.25, return_weights=True)
    dropped = np.mean(weights.data == 0)
    assert 0.2 < dropped < 0.3
    assert abs(out.data.mean() - 1.0) < 0.05  # each output is a rescaled average of ones


def test_attention_errors_name_the_problem() -> None:
    q = randn(2, 4, 3)
    with pytest.raises(ValueError, match="not both"):
        scaled_dot_product_attention(q, q, q, attn_mask=np.ones((4, 4), bool), is_causal=True)
    with pytest.raises(ValueError, match="does not broadcast"):
        scaled_dot_product_attention(q, q, q, attn_mask=np.ones((3, 4), bool))
    with pytest.raises(ValueError, match="do not fit together"):
        scaled_dot_product_attention(q, randn(2, 4, 5), q)
    with pytest.raises(TypeError, match="bool"):
        scaled_dot_product_attention(q, q, q, attn_mask=np.ones((4, 4), np.int64))
    with pytest.raises(ValueError, match="dropout_p"):
        scaled_dot_product_attention(q, q, q, dropout_p=1.0)


def test_causal_mask_with_offset_lets_new_queries_see_the_cache() -> None:
    assert causal_mask(2, 4, offset=2).tolist() == [[True, True, True, False], [True, True, True, True]]
    assert causal_mask(3, 3).tolist() == np.tril(np.ones((3, 3), bool)).tolist()


def test_multihead_attention_shapes_and_options() -> None:
    tinytorch.manual_seed(0)
    mha = MultiheadAttention(8, 2)
    x = randn(3, 5, 8)
    out, weights = mha(x, x, x)
    assert out.shape == (3, 5, 8) and weights.shape == (3, 5, 5)
    out_none, none = mha(x, x, x, need_weights=False)
    assert none is None
    assert_close(out_none, out)
    _, per_head = mha(x, x, x, average_attn_weights=False)
    assert per_head.shape == (3, 2, 5, 5)
    single, single_weights = mha(x[0], x[0], x[0])  # unbatched (L, E)
    assert_close(single, out.data[0], atol=1e-6)
    assert_close(single_weights, weights.data[0], atol=1e-6)


def test_multihead_attention_is_causal_builds_the_causal_mask() -> None:
    tinytorch.manual_seed(0)
    mha = MultiheadAttention(8, 4)
    x = randn(2, 5, 8)
    explicit, _ = mha(x, x, x, attn_mask=np.triu(np.ones((5, 5), bool), 1))
    implicit, weights = mha(x, x, x, is_causal=True)
    assert_close(implicit, explicit)
    assert np.all(np.triu(weights.data, 1) == 0)


def test_multihead_attention_errors() -> None:
    with pytest.raises(ValueError, match="multiple of num_heads"):
        MultiheadAttention(10, 3)
    mha = MultiheadAttention(8, 2)
    x = randn(2, 4, 8)
    with pytest.raises(ValueError, match="key_padding_mask must have shape"):
        mha(x, x, x, key_padding_mask=np.zeros((2, 5), bool))
    with pytest.raises(ValueError, match="attn_mask must have shape"):
        mha(x, x, x, attn_mask=np.zeros((3, 4), bool))
    with pytest.raises(ValueError, match="embed_dim=8"):
        mha(randn(2, 4, 6), x, x)


def test_plot_attention_writes_a_png(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    weights = np.tril(np.ones((4, 4))) / np.arange(1, 5)[:, None]
    plot_attention(weights, tokens=list("abcd"), path=tmp_path / "attention.png")
    plot_attention(np.stack([weights, weights.T]), path=tmp_path / "heads.png")
    assert (tmp_path / "attention.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "heads.png").stat().st_size > 0


def test_plot_attention_without_matplotlib_says_how_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match="pip install"):
        plot_attention(np.eye(3))


# ---------------------------------------------------------------------------------------------
# LayerNorm and the transformer block (module 14)
# ---------------------------------------------------------------------------------------------


def test_layer_norm_normalises_each_row() -> None:
    x = Tensor(RNG.standard_normal((4, 6, 32)).astype(np.float32) * 5 + 3)
    y = LayerNorm(32)(x).data
    assert np.abs(y.mean(-1)).max() < 1e-5 and np.abs(y.var(-1) - 1).max() < 1e-3


def test_layer_norm_parameters_and_errors() -> None:
    assert [n for n, _ in LayerNorm(4).named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in LayerNorm(4, bias=False).named_parameters()] == ["weight"]
    assert list(LayerNorm(4, elementwise_affine=False).parameters()) == []
    with pytest.raises(ValueError, match="normalized_shape"):
        LayerNorm(5)(randn(2, 4))


def test_twelve_layer_transformer_backward() -> None:
    """A deep stack (PITFALLS 9): backward runs, and the first layer still gets a usable gradient."""
    model = tiny_gpt(n_layer=12, n_embd=16, n_head=2)
    idx = Tensor(RNG.integers(0, 13, (2, 8)))
    _, loss = model(idx, idx)
    loss.backward()
    first = model.transformer.h[0].attn.c_attn.weight.grad.data
    assert np.isfinite(first).all() and np.abs(first).max() > 1e-6


def test_every_gpt_parameter_gets_a_gradient() -> None:
    model = tiny_gpt(dropout=0.1)
    idx = Tensor(RNG.integers(0, 13, (4, 8)))
    _, loss = model(idx, Tensor(RNG.integers(0, 13, (4, 8))))
    loss.backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and np.abs(param.grad.data).max() > 0, f"{name} got no gradient"


def test_transformer_block_is_causal() -> None:
    """Changing a later token never changes an earlier position's output."""
    tinytorch.manual_seed(0)
    block = TransformerBlock(8, 2)
    x = randn(1, 6, 8)
    before = block(x).data.copy()
    x.data[0, 4] += 10.0
    after = block(x).data
    assert_close(after[0, :4], before[0, :4])
    assert np.abs(after[0, 4:] - before[0, 4:]).max() > 1e-3


# ---------------------------------------------------------------------------------------------
# GPT (module 14)
# ---------------------------------------------------------------------------------------------


def test_gpt_ties_and_initialises_weights_like_gpt2() -> None:
    model = tiny_gpt(n_layer=4, n_embd=64, n_head=4, vocab_size=200)
    assert model.lm_head.weight is model.transformer.wte.weight
    names = [n for n, _ in model.named_parameters()]
    assert "lm_head.weight" not in names  # the shared matrix is counted (and optimised) once
    params = dict(model.named_parameters())
    assert abs(params["transformer.h.0.mlp.c_fc.weight"].data.std() - 0.02) < 0.002
    assert abs(params["transformer.h.0.mlp.c_proj.weight"].data.std() - 0.02 / math.sqrt(8)) < 0.001
    assert np.all(params["transformer.h.0.attn.c_attn.bias"].data == 0)
    assert np.all(params["transformer.ln_f.weight"].data == 1)
    assert model.num_parameters(non_embedding=False) == sum(p.numel() for p in model.parameters())
    assert model.num_parameters() == model.num_parameters(non_embedding=False) - 8 * 64


def test_gpt_loss_starts_near_uniform_and_rejects_long_inputs() -> None:
    model = tiny_gpt()
    idx = Tensor(RNG.integers(0, 13, (4, 8)))
    logits, loss = model(idx, Tensor(RNG.integers(0, 13, (4, 8))))
    assert logits.shape == (4, 8, 13)
    assert abs(loss.item() - math.log(13)) < 0.1  # small init: nearly uniform predictions
    assert model(idx)[1] is None
    with pytest.raises(ValueError, match="exceed block_size=8"):
        model(Tensor(RNG.integers(0, 13, (1, 9))))


def test_gpt_dropout_only_in_training() -> None:
    model = tiny_gpt(dropout=0.3)
    idx = Tensor(RNG.integers(0, 13, (2, 8)))
    assert np.abs(model(idx)[0].data - model(idx)[0].data).max() > 0
    model.eval()
    assert_close(model(idx)[0], model(idx)[0].data)


def test_generate_is_deterministic_for_a_seeded_generator() -> None:
    model = tiny_gpt()
    prompt = Tensor(np.array([[1, 2, 3], [4, 5, 6]]))
    a = model.generate(prompt, 20, generator=tinytorch.Generator(5))
    b = model.generate(prompt, 20, generator=tinytorch.Generator(5))
    c = model.generate(prompt, 20, generator=tinytorch.Generator(6))
    assert a.shape == (2, 23) and a.dtype == np.int64
    assert np.array_equal(a.data, b.data) and not np.array_equal(a.data, c.data)
    assert np.array_equal(a.data[:, :3], prompt.data)
    assert model.training  # generate restores the mode it found


def test_generate_greedy_matches_argmax_and_slides_past_the_block_size() -> None:
    model = tiny_gpt()
    idx = Tensor(np.array([[3]]))
    out = model.generate(idx, 12, temperature=0.0)  # 13 tokens > block_size 8: the context is cropped
    model.eval()
    expected = idx
    for _ in range(12):
        logits, _ = model(expected[:, -8:])
        expected = cat([expected, Tensor(logits.data[:, -1].argmax(-1)[:, None])], dim=1)
    assert np.array_equal(out.data, expected.data)
    assert np.array_equal(model.generate(idx, 12, top_k=1, generator=tinytorch.Generator(0)).data, out.data)
    assert np.array_equal(model.generate(idx, 12, top_p=1e-6, generator=tinytorch.Generator(0)).data, out.data)


def draws(logits: list[float], n: int = 4000, **options) -> np.ndarray:
    """Token counts of n independent draws (one row each) from the same logits."""
    batch = Tensor(np.tile(np.asarray(logits, dtype=np.float32), (n, 1)))
    ids = sample_next_token(batch, generator=tinytorch.Generator(0), **options).data[:, 0]
    assert ids.shape == (n,) and ids.dtype == np.int64
    return np.bincount(ids, minlength=len(logits))


def test_sampling_follows_the_softmax() -> None:
    logits = [2.0, 1.0, 0.0, -1.0]
    expected = np.exp(logits) / np.exp(logits).sum()
    assert np.abs(draws(logits) / 4000 - expected).max() < 0.03


def test_sampling_temperature_sharpens_and_flattens() -> None:
    logits = [2.0, 1.0, 0.0, -1.0]
    assert draws(logits, temperature=0.25)[0] > 3900
    flat = draws(logits, temperature=100.0) / 4000
    assert np.abs(flat - 0.25).max() < 0.04
    assert draws(logits, temperature=0.0)[0] == 4000


def test_sampling_top_k_and_top_p_restrict_the_choice() -> None:
    logits = list(np.log([0.5, 0.3, 0.15, 0.05]))
    top2 = draws(logits, top_k=2)
    assert top2[2:].sum() == 0 and abs(top2[0] / top2.sum() - 0.5 / 0.8) < 0.03
    assert draws(logits, top_p=0.8)[2:].sum() == 0  # 0.5 + 0.3 reach 0.8: the rest is cut
    assert draws(logits, top_p=0.81)[2] > 0 and draws(logits, top_p=0.81)[3] == 0
    assert draws(logits, top_k=10)[3] > 0  # k larger than the vocabulary keeps everything


def test_sampling_rejects_bad_options() -> None:
    logits = Tensor(np.zeros((1, 4), np.float32))
    for options in ({"temperature": -1.0}, {"top_k": 0}, {"top_p": 0.0}, {"top_p": 1.5}):
        with pytest.raises(ValueError):
            sample_next_token(logits, **options)


class ListCache:
    """The smallest cache the hook accepts (a stand-in for module 16's KV cache)."""

    def __init__(self) -> None:
        self.k: Tensor | None = None
        self.v: Tensor | None = None

    def update(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        self.k = k if self.k is None else cat([self.k, k], dim=2)
        self.v = v if self.v is None else cat([self.v, v], dim=2)
        return self.k, self.v


def test_cache_hook_gives_the_same_logits_and_samples() -> None:
    model = tiny_gpt().eval()
    idx = Tensor(RNG.integers(0, 13, (2, 7)))
    full, _ = model(idx)
    cache = [ListCache() for _ in range(2)]
    pieces = [model(idx[:, :4], cache=cache)[0], model(idx[:, 4:6], cache=cache, start_pos=4)[0],
              model(idx[:, 6:], cache=cache, start_pos=6)[0]]
    assert_close(cat(pieces, dim=1), full.data, atol=1e-5)
    prompt = idx[:, :3]
    plain = model.generate(prompt, 5, generator=tinytorch.Generator(1))
    cached = model.generate(prompt, 5, generator=tinytorch.Generator(1), cache=[ListCache(), ListCache()])
    assert np.array_equal(plain.data, cached.data)
    with pytest.raises(ValueError, match="one LayerCache per block"):
        model(idx, cache=[ListCache()])


def test_attention_agrees_on_both_backends() -> None:
    q, k, v = (Tensor(RNG.standard_normal((2, 2, 4, 3)), requires_grad=True) for _ in range(3))
    grads = []
    for name in ("numpy", "naive"):
        with tinytorch.backend.use(name):
            out = scaled_dot_product_attention(q, k, v, is_causal=True)
            out.backward(Tensor(np.ones(out.shape)))
        grads.append((out.data, q.grad.data, k.grad.data, v.grad.data))
        q.grad = k.grad = v.grad = None
    for a, b in zip(*grads):
        assert_close(a, b)


def test_gpt_checkpoint_round_trip_keeps_the_tied_weights(tmp_path) -> None:
    model = tiny_gpt()
    tinytorch.save(model.state_dict(), tmp_path / "gpt.safetensors")
    fresh = tiny_gpt(n_layer=2)
    fresh.transformer.wte.weight.data[...] = 0
    fresh.load_state_dict(tinytorch.load(tmp_path / "gpt.safetensors"))
    assert fresh.lm_head.weight is fresh.transformer.wte.weight
    idx = Tensor(RNG.integers(0, 13, (2, 8)))
    assert_close(fresh(idx)[0], model(idx)[0].data)
