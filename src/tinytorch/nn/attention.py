"""Module 13 — attention: every position reads from every other, weighted by how well they match.

`scaled_dot_product_attention` (in `functional_text`, re-exported here) is the kernel:
softmax(Q K^T / sqrt(d) + mask) V. `MultiheadAttention` runs it several times in parallel on
smaller slices of the features ("heads"), each free to look for something different, with the
same parameters and call signature as `torch.nn.MultiheadAttention` so weights can be copied
across. `plot_attention` draws the weights as a heat map.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tinytorch.tensor import Tensor, empty

from . import functional as F
from . import init
from .functional_text import _additive_mask, causal_mask, scaled_dot_product_attention
from .linear import Linear
from .module import Module
from .parameter import Parameter

__all__ = ["MultiheadAttention", "causal_mask", "merge_heads", "plot_attention", "scaled_dot_product_attention",
           "split_heads"]


def split_heads(x: Tensor, num_heads: int) -> Tensor:
    """(B, T, E) -> (B, H, T, E / H): head h gets features h * E/H ... (h + 1) * E/H - 1."""
    batch, length, features = x.shape
    # BEGIN SOLUTION 13
    return x.reshape(batch, length, num_heads, features // num_heads).transpose(1, 2)
    # END SOLUTION


def merge_heads(x: Tensor) -> Tensor:
    """(B, H, T, D) -> (B, T, H * D): the inverse of `split_heads`."""
    batch, heads, length, head_dim = x.shape
    # BEGIN SOLUTION 13
    return x.transpose(1, 2).reshape(batch, length, heads * head_dim)
    # END SOLUTION


class MultiheadAttention(Module):
    """Multi-head attention with PyTorch's parameters and forward signature.

    Parameters: `in_proj_weight` (3E, E) holding the query, key and value projections stacked in
    that order, `in_proj_bias` (3E,), and `out_proj` (a Linear(E, E)): a `torch.nn.MultiheadAttention`
    state dict loads as is. Only `batch_first` differs from PyTorch's default: it is True here, so
    inputs are (B, L, E); with batch_first=False they are (L, B, E). Unbatched (L, E) inputs work too.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 batch_first: bool = True, dtype: Any = None) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be a positive multiple of "
                             f"num_heads ({num_heads})")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        self.in_proj_weight = Parameter(empty(3 * embed_dim, embed_dim, dtype=dtype))
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's initialisation: Xavier-uniform projections, zero biases."""
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _project(self, x: Tensor, which: int) -> Tensor:
        """Query (0), key (1) or value (2) projection of x: one slice of the stacked in_proj weights."""
        rows = slice(which * self.embed_dim, (which + 1) * self.embed_dim)
        bias = None if self.in_proj_bias is None else self.in_proj_bias[rows]
        return F.linear(x, self.in_proj_weight[rows], bias)

    def _mask(self, attn_mask: Tensor | None, key_padding_mask: Tensor | None, is_causal: bool,
              batch: int, length: int, keys: int, dtype: np.dtype) -> np.ndarray | None:
        """One additive mask (B or 1, 1 or H, L, S) from PyTorch's two MultiheadAttention masks.

        Careful: here a bool True means "do NOT attend" (PyTorch's MultiheadAttention convention),
        the opposite of scaled_dot_product_attention's bool masks.
        """
        op = "MultiheadAttention"
        mask = None
        if attn_mask is None and is_causal:
            attn_mask = Tensor._from_array(~causal_mask(length, keys))
        if attn_mask is not None:
            m = attn_mask.data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
            m = _additive_mask(~m if m.dtype == np.bool_ else m, dtype, op)
            if m.shape == (length, keys):
                m = m[None, None]  # (1, 1, L, S)
            elif m.shape == (batch * self.num_heads, length, keys):
                m = m.reshape(batch, self.num_heads, length, keys)
            else:
                raise ValueError(f"{op}: attn_mask must have shape (L, S) = {(length, keys)} or "
                                 f"(B * num_heads, L, S) = {(batch * self.num_heads, length, keys)}, got {m.shape}")
            mask = m
        if key_padding_mask is not None:
            p = key_padding_mask.data if isinstance(key_padding_mask, Tensor) else np.asarray(key_padding_mask)
            if p.shape != (batch, keys):
                raise ValueError(f"{op}: key_padding_mask must have shape (B, S) = {(batch, keys)}, got {p.shape}")
            p = _additive_mask(~p if p.dtype == np.bool_ else p, dtype, op)[:, None, None, :]  # (B, 1, 1, S)
            mask = p if mask is None else mask + p
        return mask

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        """Attend from `query` (B, L, E) to `key` (B, S, E) / `value` (B, S, E) -> ((B, L, E), weights).

        - `key_padding_mask` (B, S): bool True = this key is padding, ignore it; or float, added.
        - `attn_mask` (L, S) or (B * num_heads, L, S): bool True = NOT allowed; or float, added.
        - `is_causal=True` without attn_mask builds the causal mask (PyTorch requires you to pass it).
        - weights: (B, L, S) averaged over heads, (B, H, L, S) with average_attn_weights=False,
          None with need_weights=False. They are detached (for inspection, not for a loss).
        """
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            key_padding_mask = None if key_padding_mask is None else _unsqueeze_mask(key_padding_mask)
        elif not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        if query.shape[-1] != self.embed_dim or key.shape[-1] != self.embed_dim or value.shape[-1] != self.embed_dim:
            raise ValueError(f"MultiheadAttention: query, key and value must end in embed_dim={self.embed_dim}, got "
                             f"{query.shape}, {key.shape}, {value.shape}")
        if key.shape[:2] != value.shape[:2] or query.shape[0] != key.shape[0]:
            raise ValueError(f"MultiheadAttention: key {key.shape} and value {value.shape} must share (B, S), "
                             f"and query {query.shape} the batch size")
        batch, length, keys = query.shape[0], query.shape[1], key.shape[1]
        mask = self._mask(attn_mask, key_padding_mask, is_causal, batch, length, keys, query.dtype)
        q = split_heads(self._project(query, 0), self.num_heads)  # (B, H, L, D)
        k = split_heads(self._project(key, 1), self.num_heads)  # (B, H, S, D)
        v = split_heads(self._project(value, 2), self.num_heads)  # (B, H, S, D)
        dropout_p = self.dropout if self.training else 0.0
        out, weights = scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p, return_weights=True)
        out = self.out_proj(merge_heads(out))  # (B, L, E)
        if unbatched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        w = weights.data.mean(axis=1) if average_attn_weights else weights.data  # (B, L, S) or (B, H, L, S)
        return out, Tensor._from_array(w[0] if unbatched else w)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, batch_first={self.batch_first}"


def _unsqueeze_mask(mask: Tensor | np.ndarray) -> np.ndarray:
    return (mask.data if isinstance(mask, Tensor) else np.asarray(mask))[None]


def plot_attention(weights: Tensor | np.ndarray, tokens: Sequence[str] | None = None,
                   path: str | Path | None = None, title: str = "attention") -> Any:
    """Draw attention weights (L, S) — or (H, L, S), one panel per head — as a heat map.

    Rows are queries, columns keys; `tokens` labels both axes (self-attention). Saves a PNG to
    `path` if given and returns the matplotlib Figure. Needs matplotlib (`pip install tinytorch[plot]`).
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plot_attention needs matplotlib, an optional extra: pip install 'tinytorch[plot]' "
                          "(or pip install matplotlib)") from None
    w = np.asarray(weights.data if isinstance(weights, Tensor) else weights, dtype=np.float64)
    if w.ndim == 2:
        w = w[None]
    if w.ndim != 3:
        raise ValueError(f"plot_attention: weights must be (L, S) or (H, L, S), got shape {w.shape}")
    heads = w.shape[0]
    fig = Figure(figsize=(3.2 * heads + 0.8, 3.4))
    axes = fig.subplots(1, heads, squeeze=False)[0]
    for h, ax in enumerate(axes):
        image = ax.imshow(w[h], cmap="viridis", vmin=0.0, vmax=max(float(w.max()), 1e-12), aspect="auto")
        ax.set_title(title if heads == 1 else f"{title}: head {h}")
        ax.set_xlabel("key")
        ax.set_ylabel("query")
        if tokens is not None:
            ax.set_xticks(range(w.shape[2]), [str(t) for t in tokens][: w.shape[2]], rotation=90)
            ax.set_yticks(range(w.shape[1]), [str(t) for t in tokens][: w.shape[1]])
    fig.colorbar(image, ax=list(axes))
    if path is not None:
        fig.savefig(Path(path), dpi=120, bbox_inches="tight")
    return fig
