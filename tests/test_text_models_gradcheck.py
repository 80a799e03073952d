"""Finite-difference gradient checks (float64) for the text-model Functions and layers."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch
from tinytorch.nn.attention import MultiheadAttention
from tinytorch.nn.embedding import PositionalEmbedding
from tinytorch.nn.functional_text import (
    causal_mask,
    embedding,
    layer_norm,
    scaled_dot_product_attention,
)
from tinytorch.nn.transformer import TransformerBlock
from tinytorch.tensor import Tensor
from tinytorch.testing import gradcheck

RNG = np.random.default_rng(1234)


def leaf(*shape: int, scale: float = 1.0) -> Tensor:
    return Tensor(RNG.standard_normal(shape) * scale, requires_grad=True)


def test_embedding_gradcheck_with_repeats() -> None:
    """(padding_idx deliberately breaks the true gradient: the goldens check it against PyTorch.)"""
    ids = Tensor(np.array([[0, 2, 2, 4], [2, 1, 0, 2]]))
    gradcheck(lambda w: embedding(ids, w), [leaf(5, 3)], label="embedding")


@pytest.mark.parametrize("mask", [None, "causal", "bool", "float"])
def test_attention_gradcheck(mask: str | None) -> None:
    q, k, v = leaf(2, 2, 4, 3, scale=1.5), leaf(2, 2, 5, 3, scale=1.5), leaf(2, 2, 5, 2)
    attn_mask = None
    if mask == "bool":
        attn_mask = RNG.random((4, 5)) > 0.5
        attn_mask[:, 0] = True
    elif mask == "float":
        attn_mask = RNG.standard_normal((2, 1, 4, 5))
    gradcheck(lambda q, k, v: scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=mask == "causal"),
              [q, k, v], label=f"attention mask={mask}")


def test_attention_gradcheck_with_dropout() -> None:
    """Re-seeding inside fn gives every evaluation the same dropout mask."""
    def fn(q, k, v):
        tinytorch.manual_seed(7)
        return scaled_dot_product_attention(q, k, v, dropout_p=0.4)

    gradcheck(fn, [leaf(1, 2, 4, 3), leaf(1, 2, 4, 3), leaf(1, 2, 4, 3)], label="attention dropout")


def test_attention_gradcheck_with_cache_offset_mask() -> None:
    """Two new queries against five keys (three cached): the mask of cached decoding."""
    mask = causal_mask(2, 5, offset=3)
    gradcheck(lambda q, k, v: scaled_dot_product_attention(q, k, v, attn_mask=mask),
              [leaf(1, 2, 2, 3), leaf(1, 2, 5, 3), leaf(1, 2, 5, 3)], label="attention offset mask")


@pytest.mark.parametrize("shape, normalized", [((3, 5), (5,)), ((2, 3, 4), (3, 4))])
def test_layer_norm_gradcheck(shape: tuple, normalized: tuple) -> None:
    x, w, b = leaf(*shape, scale=2.0), leaf(*normalized), leaf(*normalized)
    gradcheck(lambda x, w, b: layer_norm(x, normalized, w, b), [x, w, b], label="layer_norm")
    gradcheck(lambda x: layer_norm(x, normalized), [leaf(*shape)], label="layer_norm without affine")


def test_multihead_attention_gradcheck() -> None:
    """Inputs only: the parameters' gradients are checked against PyTorch in test_text_models."""
    tinytorch.manual_seed(0)
    mha = MultiheadAttention(6, 2).double()
    padding = np.array([[False, False, True], [False, False, False]])
    gradcheck(lambda q, kv: mha(q, kv, kv, key_padding_mask=padding, need_weights=False)[0],
              [leaf(2, 4, 6), leaf(2, 3, 6)], label="MultiheadAttention")


def test_positional_embedding_gradcheck() -> None:
    layer = PositionalEmbedding(6, 3).double()
    gradcheck(lambda x: layer(x, offset=2), [leaf(2, 4, 3)], label="PositionalEmbedding")


def test_transformer_block_gradcheck() -> None:
    tinytorch.manual_seed(1)
    block = TransformerBlock(8, 2).double()
    gradcheck(block, [leaf(2, 5, 8)], label="TransformerBlock")
