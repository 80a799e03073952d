"""Module 14 — the transformer block: attention to mix positions, an MLP to think per position.

A pre-norm block (GPT-2) normalises *before* each sub-layer and adds the sub-layer's output back
onto its input (a residual connection):

    x = x + attention(LayerNorm(x))      # tokens exchange information (causal: only with the past)
    x = x + feed_forward(LayerNorm(x))   # each token transforms its own features

The residual path carries the signal (and the gradient) straight through the whole stack, which
is why dozens of these blocks still train. Parameter names follow nanoGPT (`c_attn`, `c_proj`,
`c_fc`, `ln_1`, `ln_2`), so its checkpoints have the same layout.
"""

from __future__ import annotations

from typing import Protocol

from tinytorch.tensor import Tensor

from . import functional as F
from .attention import merge_heads, split_heads
from .dropout import Dropout
from .functional_text import causal_mask, scaled_dot_product_attention
from .layernorm import LayerNorm
from .linear import Linear
from .module import Module


class LayerCache(Protocol):
    """What a key/value cache must offer one attention layer (module 16 builds one).

    `update(k, v)` receives this step's keys and values, (B, H, T, D) each, stores them after the
    ones already held, and returns all of them: (B, H, past + T, D).
    """

    def update(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]: ...


class CausalSelfAttention(Module):
    """Multi-head self-attention in which position t sees positions 0..t only.

    `c_attn` projects x to queries, keys and values at once (weight (3C, C), stacked q, k, v);
    `c_proj` mixes the heads' outputs back together.
    """

    def __init__(self, n_embd: int, n_head: int, dropout: float = 0.0, bias: bool = True) -> None:
        super().__init__()
        if n_embd % n_head:
            raise ValueError(f"CausalSelfAttention: n_embd ({n_embd}) must be divisible by n_head ({n_head})")
        self.n_embd, self.n_head, self.dropout = n_embd, n_head, dropout
        self.c_attn = Linear(n_embd, 3 * n_embd, bias=bias)
        self.c_proj = Linear(n_embd, n_embd, bias=bias)
        self.resid_dropout = Dropout(dropout)

    def forward(self, x: Tensor, cache: LayerCache | None = None) -> Tensor:
        """x (B, T, C) -> (B, T, C). With `cache`, x holds only the new positions and the keys and
        values of earlier ones come from the cache (see `LayerCache`)."""
        length, width = x.shape[1], self.n_embd
        weight, bias = self.c_attn.weight, self.c_attn.bias
        # Project with the three row blocks of c_attn's weight: the same numbers as one (3C, C)
        # matmul split afterwards, without slicing (and scattering back) a large activation.
        q, k, v = (
            split_heads(F.linear(x, weight[i * width:(i + 1) * width],
                                 None if bias is None else bias[i * width:(i + 1) * width]), self.n_head)
            for i in range(3)
        )  # (B, H, T, D) each
        dropout_p = self.dropout if self.training else 0.0
        if cache is None:
            y = scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
        else:
            k, v = cache.update(k, v)  # (B, H, past + T, D)
            past = k.shape[2] - length
            mask = causal_mask(length, k.shape[2], offset=past)  # new position i sees keys 0..past + i
            y = scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
        return self.resid_dropout(self.c_proj(merge_heads(y)))  # (B, T, C)

    def extra_repr(self) -> str:
        return f"n_embd={self.n_embd}, n_head={self.n_head}, dropout={self.dropout}"


class FeedForward(Module):
    """The position-wise MLP: Linear(C, hidden) -> GELU -> Linear(hidden, C) -> Dropout; hidden = 4C."""

    def __init__(self, n_embd: int, hidden: int | None = None, dropout: float = 0.0, bias: bool = True) -> None:
        super().__init__()
        hidden = 4 * n_embd if hidden is None else hidden
        self.c_fc = Linear(n_embd, hidden, bias=bias)
        self.c_proj = Linear(hidden, n_embd, bias=bias)
        self.dropout = Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x))))  # (B, T, C)


class TransformerBlock(Module):
    """Pre-norm transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x)). Shape (B, T, C) kept."""

    def __init__(self, n_embd: int, n_head: int, dropout: float = 0.0, bias: bool = True,
                 mlp_ratio: int = 4) -> None:
        super().__init__()
        self.ln_1 = LayerNorm(n_embd, bias=bias)
        self.attn = CausalSelfAttention(n_embd, n_head, dropout, bias)
        self.ln_2 = LayerNorm(n_embd, bias=bias)
        self.mlp = FeedForward(n_embd, mlp_ratio * n_embd, dropout, bias)

    def forward(self, x: Tensor, cache: LayerCache | None = None) -> Tensor:
        # BEGIN SOLUTION 14
        x = x + self.attn(self.ln_1(x), cache=cache)
        return x + self.mlp(self.ln_2(x))
        # END SOLUTION

