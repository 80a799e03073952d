"""Module 12 — embeddings: turning token ids and positions into vectors.

A language model sees integers (token ids). `Embedding` keeps one learned vector per id and looks
rows up; its gradient adds each lookup's gradient into the row it came from (an id used five times
in a batch gets five contributions). Attention itself ignores order, so positions get vectors too:
learned (`PositionalEmbedding`, GPT) or fixed sines and cosines (`SinusoidalPositionalEncoding`,
the original Transformer).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinytorch.random import Generator
from tinytorch.tensor import Tensor, arange

from . import init
from .functional_text import embedding
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """A lookup table of `num_embeddings` vectors of size `embedding_dim`, initialised N(0, 1).

    Input: integer ids of any shape (*); output (*, embedding_dim). `padding_idx` names an id whose
    row starts at zero and never receives a gradient (e.g. the padding token), like PyTorch.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 dtype: Any = None, generator: Generator | None = None) -> None:
        super().__init__()
        if num_embeddings <= 0 or embedding_dim <= 0:
            raise ValueError(f"Embedding: num_embeddings and embedding_dim must be positive, got "
                             f"{num_embeddings} and {embedding_dim}")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} must be within [-{num_embeddings}, "
                                 f"{num_embeddings - 1}] (num_embeddings={num_embeddings})")
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=np.dtype(dtype or np.float32)))
        self.reset_parameters(generator)

    def reset_parameters(self, generator: Generator | None = None) -> None:
        init.normal_(self.weight, 0.0, 1.0, generator=generator)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")


def _check_positions(op: str, length: int, offset: int, max_len: int) -> None:
    if offset < 0 or offset + length > max_len:
        raise ValueError(f"{op}: positions {offset}..{offset + length - 1} do not fit in max_len={max_len} "
                         f"(sequence length {length}, offset {offset}); build it with a larger max_len")


class PositionalEmbedding(Module):
    """Learned absolute positions (GPT): adds row t of a (max_len, embedding_dim) table to position t.

    forward(x) with x of shape (..., T, embedding_dim) returns x + weight[offset : offset + T];
    `offset` is the position of x's first element (non-zero when earlier positions were processed
    before, as in cached generation).
    """

    def __init__(self, max_len: int, embedding_dim: int, dtype: Any = None,
                 generator: Generator | None = None) -> None:
        super().__init__()
        self.max_len, self.embedding_dim = max_len, embedding_dim
        self.weight = Parameter(np.empty((max_len, embedding_dim), dtype=np.dtype(dtype or np.float32)))
        init.normal_(self.weight, 0.0, 1.0, generator=generator)

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        length = x.shape[-2]
        _check_positions("PositionalEmbedding", length, offset, self.max_len)
        return x + embedding(arange(offset, offset + length), self.weight)  # (..., T, D) + (T, D)

    def extra_repr(self) -> str:
        return f"{self.max_len}, {self.embedding_dim}"


def sinusoidal_table(max_len: int, d_model: int, dtype: Any = np.float32) -> np.ndarray:
    """The fixed encodings of Vaswani et al. (2017), shape (max_len, d_model):

        PE[t, 2i] = sin(t / 10000^(2i / d_model)),   PE[t, 2i + 1] = cos(t / 10000^(2i / d_model)).

    Each pair of columns is a rotation at its own frequency, so PE[t + k] is a fixed linear function
    of PE[t]: relative offsets are easy for attention to read.
    """
    # BEGIN SOLUTION 12
    position = np.arange(max_len, dtype=np.float64)[:, None]  # (max_len, 1)
    frequency = np.exp(np.arange(0, d_model, 2, dtype=np.float64) * (-math.log(10000.0) / d_model))  # (ceil(d/2),)
    angles = position * frequency  # (max_len, ceil(d/2))
    table = np.zeros((max_len, d_model), dtype=np.float64)
    table[:, 0::2] = np.sin(angles)
    table[:, 1::2] = np.cos(angles[:, : d_model // 2])
    return table.astype(dtype)
    # END SOLUTION


class SinusoidalPositionalEncoding(Module):
    """Fixed sine/cosine positions: forward(x) = x + PE[offset : offset + T] for x of shape (..., T, d_model).

    The table is a buffer: saved with the model, moved by `.to()`, but never trained.
    """

    def __init__(self, d_model: int, max_len: int = 5000, dtype: Any = None) -> None:
        super().__init__()
        self.d_model, self.max_len = d_model, max_len
        self.register_buffer("pe", Tensor._from_array(sinusoidal_table(max_len, d_model, np.dtype(dtype or np.float32))))

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        length = x.shape[-2]
        _check_positions("SinusoidalPositionalEncoding", length, offset, self.max_len)
        return x + Tensor._from_array(self.pe.data[offset: offset + length].astype(x.dtype, copy=False))

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}"
