"""Module 12 check: the sinusoidal position table and the embedding lookup with its scatter-add gradient.

The table is compared with its formula evaluated entry by entry; the lookup with NumPy indexing;
the gradient with `np.add.at`, which adds every lookup's gradient into its row, repeats included.
"""

from __future__ import annotations

import math

import numpy as np

import tinytorch
from tinytorch import nn
from tinytorch.nn import functional as F
from tinytorch.nn.embedding import sinusoidal_table
from tito.course.checks._helpers import assert_close, assert_dtype, assert_shape, exercise, grad_of

SINUSOIDAL = exercise("sinusoidal_table")
LOOKUP = exercise("EmbeddingFunction.forward")
SCATTER = exercise("EmbeddingFunction.backward")

RNG = np.random.default_rng(12)
TABLE = RNG.standard_normal((5, 4))  # 5 ids, vectors of 4
IDS = np.array([[3, 0, 3], [4, 3, 1]])  # (2, 3), id 3 three times, id 2 never


def _formula(max_len: int, d_model: int) -> np.ndarray:
    """PE[t, 2i] = sin(t / 10000^(2i / d)), PE[t, 2i + 1] = cos(t / 10000^(2i / d)), entry by entry."""
    table = np.zeros((max_len, d_model))
    for t in range(max_len):
        for column in range(d_model):
            i = column // 2
            angle = t / 10000 ** (2 * i / d_model)
            table[t, column] = math.sin(angle) if column % 2 == 0 else math.cos(angle)
    return table


# --------------------------------------------------------------------------- sinusoidal_table


def test_sinusoidal_table_follows_the_formula():
    got = sinusoidal_table(7, 6, np.float64)
    assert_shape(got, (7, 6), SINUSOIDAL, "sinusoidal_table(7, 6)")
    assert_close(got, _formula(7, 6), SINUSOIDAL, "sinusoidal_table(7, 6): sines in even columns, cosines in odd",
                 rtol=1e-9, atol=1e-12)


def test_sinusoidal_table_of_an_odd_width_and_its_dtype():
    assert_close(sinusoidal_table(4, 5, np.float64), _formula(4, 5), SINUSOIDAL,
                 "sinusoidal_table(4, 5): an odd width ends with a sine column", rtol=1e-9, atol=1e-12)
    default = sinusoidal_table(3, 4)
    assert_dtype(default, np.float32, SINUSOIDAL, "sinusoidal_table(3, 4) (float32 by default)")
    assert_close(default, _formula(3, 4), SINUSOIDAL, "sinusoidal_table(3, 4) in float32", rtol=1e-6, atol=1e-7)


def test_sinusoidal_encoding_adds_the_table_at_an_offset():
    layer = nn.SinusoidalPositionalEncoding(8, max_len=10)
    x = RNG.standard_normal((2, 3, 8)).astype(np.float32)
    got = layer(tinytorch.tensor(x), offset=4)
    assert_close(got, x + _formula(10, 8)[4:7], SINUSOIDAL,
                 "SinusoidalPositionalEncoding(8)(x (2, 3, 8), offset=4): x + PE[4:7]", rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------------------------- lookup


def test_embedding_looks_up_rows_for_ids_of_any_shape():
    got = F.embedding(tinytorch.tensor(IDS), tinytorch.tensor(TABLE))
    assert_shape(got, (2, 3, 4), LOOKUP, "F.embedding(ids (2, 3), weight (5, 4))")
    assert_close(got, TABLE[IDS], LOOKUP, "F.embedding(ids (2, 3), weight (5, 4))")
    one = F.embedding(tinytorch.tensor([2]), tinytorch.tensor(TABLE))
    assert_close(one, TABLE[[2]], LOOKUP, "F.embedding(ids [2], weight (5, 4))")


def test_embedding_layer_uses_its_weight():
    tinytorch.manual_seed(0)
    layer = nn.Embedding(5, 4)
    got = layer(tinytorch.tensor(IDS))
    assert_close(got, layer.weight.data[IDS], LOOKUP, "Embedding(5, 4)(ids (2, 3)): rows of its weight")
    assert_dtype(got, np.float32, LOOKUP, "Embedding(5, 4) output")


# ----------------------------------------------------------------------------------- gradient


def test_embedding_gradient_adds_every_lookup_into_its_row():
    weight = tinytorch.tensor(TABLE, requires_grad=True)
    out = F.embedding(tinytorch.tensor(IDS), weight)
    grad = RNG.standard_normal((2, 3, 4))
    out.backward(grad)
    expected = np.zeros_like(TABLE)
    np.add.at(expected, IDS, grad)  # id 3 gets three gradients, id 2 none
    assert_close(grad_of(weight, SCATTER, "F.embedding"), expected, SCATTER,
                 "F.embedding(ids [[3, 0, 3], [4, 3, 1]], weight (5, 4)).backward(G): weight.grad", rtol=1e-9)


def test_embedding_gradient_skips_the_padding_row():
    weight = tinytorch.tensor(TABLE, requires_grad=True)
    out = F.embedding(tinytorch.tensor(IDS), weight, padding_idx=3)
    grad = RNG.standard_normal((2, 3, 4))
    out.backward(grad)
    expected = np.zeros_like(TABLE)
    np.add.at(expected, IDS, grad)
    expected[3] = 0
    assert_close(grad_of(weight, SCATTER, "F.embedding(padding_idx=3)"), expected, SCATTER,
                 "F.embedding(ids, weight, padding_idx=3).backward(G): row 3 gets no gradient", rtol=1e-9)


def test_position_and_token_embeddings_train_together():
    tinytorch.manual_seed(1)
    tokens, positions = nn.Embedding(5, 4), nn.PositionalEmbedding(6, 4)
    out = positions(tokens(tinytorch.tensor(IDS)), offset=1)  # (2, 3, 4): positions 1, 2, 3
    grad = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    out.backward(grad)
    expected_tokens = np.zeros((5, 4))
    np.add.at(expected_tokens, IDS, grad)
    expected_positions = np.zeros((6, 4))
    expected_positions[1:4] = grad.sum(axis=0)  # each position is used once per sequence
    assert_close(grad_of(tokens.weight, SCATTER, "Embedding"), expected_tokens, SCATTER,
                 "Embedding(5, 4): weight.grad after positions(tokens(ids), offset=1).backward(G)", rtol=1e-5,
                 atol=1e-6)
    assert_close(grad_of(positions.weight, SCATTER, "PositionalEmbedding"), expected_positions, SCATTER,
                 "PositionalEmbedding(6, 4): weight.grad for positions 1..3", rtol=1e-5, atol=1e-6)
