"""Module 14 — GPT: a decoder-only transformer trained to predict the next token.

Radford et al. (2018) stacked transformer blocks with causal self-attention and trained them on
raw text: given tokens 0..t, predict token t + 1. Everything the model knows comes from that one
objective. This is the GPT-2 variant (pre-norm blocks, learned positions, GELU, a final LayerNorm,
the output layer sharing the token embedding's weights), laid out like nanoGPT so the parameter
names match its checkpoints.

Generation runs the model on the text so far, samples one token from the last position's
distribution (`sample_next_token`), appends it, and repeats.

The KV-cache hook (module 16). Without a cache every step recomputes the keys and values of the
whole prefix. `GPT.forward(idx, cache=..., start_pos=...)` lets a cache plug in without changing
the model: `cache` is a sequence with one `LayerCache` per block (see `tinytorch.nn.transformer`),
`idx` holds only tokens the cache has not seen, and `start_pos` is the position of idx's first
token. `generate(..., cache=...)` then feeds the prompt once and every new token alone, through
`forward_step`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tinytorch.autograd import no_grad
from tinytorch.nn import functional as F
from tinytorch.nn import init
from tinytorch.nn.dropout import Dropout
from tinytorch.nn.embedding import Embedding
from tinytorch.nn.layernorm import LayerNorm
from tinytorch.nn.linear import Linear
from tinytorch.nn.module import Module, ModuleDict, ModuleList
from tinytorch.nn.transformer import LayerCache, TransformerBlock
from tinytorch.random import Generator, rng_of
from tinytorch.tensor import Tensor, arange, cat


@dataclass
class GPTConfig:
    """The size of a GPT. The defaults are a small character-level model that trains on a laptop CPU."""

    vocab_size: int = 65
    block_size: int = 128  # the longest context the model can see (number of learned positions)
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = True  # biases in Linear and LayerNorm layers (GPT-2 has them)


class GPT(Module):
    """Token + position embeddings -> n_layer transformer blocks -> LayerNorm -> logits over the vocabulary."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        if config.n_embd % config.n_head:
            raise ValueError(f"GPT: n_embd ({config.n_embd}) must be divisible by n_head ({config.n_head})")
        self.config = config
        c = config
        self.transformer = ModuleDict({
            "wte": Embedding(c.vocab_size, c.n_embd),  # token embeddings
            "wpe": Embedding(c.block_size, c.n_embd),  # position embeddings
            "drop": Dropout(c.dropout),
            "h": ModuleList(TransformerBlock(c.n_embd, c.n_head, c.dropout, c.bias) for _ in range(c.n_layer)),
            "ln_f": LayerNorm(c.n_embd, bias=c.bias),
        })
        self.lm_head = Linear(c.n_embd, c.vocab_size, bias=False)
        # Weight tying: the output layer scores token v by the dot product with v's own embedding.
        # One (V, C) matrix learns from both ends, and the model has V * C fewer parameters.
        self.lm_head.weight = self.transformer.wte.weight
        self._init_weights()

    def _init_weights(self) -> None:
        """GPT-2's initialisation: weights N(0, 0.02), biases 0; the projections that write into the
        residual stream (`c_proj`) get std 0.02 / sqrt(2 n_layer), so the stream's variance does not
        grow with depth (each block adds two of them)."""
        residual_std = 0.02 / math.sqrt(2 * self.config.n_layer)
        for name, param in self.named_parameters():
            if name.endswith("c_proj.weight"):
                init.normal_(param, 0.0, residual_std)
            elif param.ndim == 2:  # Linear weights and embedding tables
                init.normal_(param, 0.0, 0.02)
            elif name.endswith("bias"):
                init.zeros_(param)

    def num_parameters(self, non_embedding: bool = True) -> int:
        """Number of parameters, the tied embedding counted once; by default without the position
        table (it does not scale with the model's depth, so papers leave it out)."""
        total = sum(p.numel() for p in self.parameters())
        return total - self.transformer.wpe.weight.numel() if non_embedding else total

    def forward(self, idx: Tensor, targets: Tensor | None = None, cache: Sequence[LayerCache] | None = None,
                start_pos: int = 0) -> tuple[Tensor, Tensor | None]:
        """idx (B, T) token ids -> (logits (B, T, vocab_size), mean cross-entropy against `targets` (B, T) or None).

        `cache` and `start_pos` are the KV-cache hook (see the module docstring).
        """
        batch, length = idx.shape
        if start_pos + length > self.config.block_size:
            raise ValueError(f"GPT: positions {start_pos}..{start_pos + length - 1} exceed block_size="
                             f"{self.config.block_size}; crop the context to its last {self.config.block_size} tokens")
        if cache is not None and len(cache) != self.config.n_layer:
            raise ValueError(f"GPT: cache must hold one LayerCache per block ({self.config.n_layer}), got {len(cache)}")
        # BEGIN SOLUTION 14
        t = self.transformer
        positions = arange(start_pos, start_pos + length)
        x = t.drop(t.wte(idx) + t.wpe(positions))  # (B, T, C) + (T, C)
        for i, block in enumerate(t.h):
            x = block(x, cache=None if cache is None else cache[i])  # (B, T, C)
        logits = self.lm_head(t.ln_f(x))  # (B, T, V)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(batch * length, -1), targets.reshape(batch * length))
        return logits, loss
        # END SOLUTION

    def forward_step(self, idx: Tensor, cache: Sequence[LayerCache] | None = None, start_pos: int = 0) -> Tensor:
        """Logits (B, V) for the token after idx (B, T): one step of generation.

        Without a cache idx is the whole (cropped) context; with one, only the tokens the cache has
        not seen yet, starting at position `start_pos`.
        """
        logits, _ = self(idx, cache=cache, start_pos=start_pos)
        return logits[:, -1, :]

    def generate(self, idx: Tensor, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, generator: Generator | None = None,
                 cache: Sequence[LayerCache] | None = None) -> Tensor:
        """Extend idx (B, T) by `max_new_tokens` sampled tokens -> (B, T + max_new_tokens).

        Runs in evaluation mode (no dropout) without recording gradients, and restores the mode
        afterwards. `temperature` 0 picks the most likely token; `top_k` / `top_p` restrict the
        choice (see `sample_next_token`). A seeded `generator` makes the result repeatable. With a
        (fresh) `cache` the prompt is processed once and each new token alone; the total length must
        then stay within block_size.
        """
        if idx.ndim != 2 or idx.dtype.kind not in "iu":
            raise ValueError(f"generate: idx must be (B, T) integer token ids, got shape {idx.shape} and dtype {idx.dtype}")
        block_size, was_training = self.config.block_size, self.training
        self.eval()
        try:
            with no_grad():
                seen = 0  # tokens already inside the cache
                for _ in range(max_new_tokens):
                    if cache is None:
                        logits = self.forward_step(idx[:, -block_size:])
                    else:
                        logits = self.forward_step(idx[:, seen:], cache=cache, start_pos=seen)
                        seen = idx.shape[1]
                    next_id = sample_next_token(logits, temperature, top_k, top_p, generator)  # (B, 1)
                    idx = cat([idx, next_id], dim=1)
        finally:
            self.train(was_training)
        return idx


def sample_next_token(logits: Tensor, temperature: float = 1.0, top_k: int | None = None,
                      top_p: float | None = None, generator: Generator | None = None) -> Tensor:
    """Draw one token id per row of logits (B, V) -> (B, 1) int64.

    - temperature divides the logits: < 1 sharpens the distribution, > 1 flattens it, 0 is argmax.
    - top_k keeps the k most likely tokens (ties with the k-th are kept too).
    - top_p (nucleus sampling) keeps the most likely tokens until their total probability reaches
      top_p; the most likely token is always kept.
    The draw uses one uniform number per row from `generator` (or the global one): inverse-CDF sampling.
    """
    if temperature < 0:
        raise ValueError(f"sample_next_token: temperature must be >= 0, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"sample_next_token: top_k must be >= 1, got {top_k}")
    if top_p is not None and not 0.0 < top_p <= 1.0:
        raise ValueError(f"sample_next_token: top_p must be in (0, 1], got {top_p}")
    z = np.asarray(logits.data, dtype=np.float64)  # (B, V)
    rng = rng_of(generator)
    # BEGIN SOLUTION 14
    if temperature == 0:
        return Tensor._from_array(z.argmax(axis=-1)[:, None].astype(np.int64))
    z = z / temperature
    if top_k is not None:
        k = min(top_k, z.shape[-1])
        kth = np.partition(z, -k, axis=-1)[:, -k][:, None]  # (B, 1): the k-th largest logit
        z = np.where(z < kth, -np.inf, z)
    probs = np.exp(z - z.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)  # (B, V)
    if top_p is not None:
        order = np.argsort(-probs, axis=-1, kind="stable")  # most likely first
        sorted_probs = np.take_along_axis(probs, order, axis=-1)
        mass_before = np.cumsum(sorted_probs, axis=-1) - sorted_probs  # of the strictly more likely tokens
        drop = np.zeros(probs.shape, dtype=bool)
        np.put_along_axis(drop, order, mass_before >= top_p, axis=-1)
        probs = np.where(drop, 0.0, probs)
    cdf = np.cumsum(probs, axis=-1)  # (B, V), not normalised: the last column is the total
    u = rng.random((z.shape[0], 1)) * cdf[:, -1:]  # uniform in [0, total)
    return Tensor._from_array((cdf <= u).sum(axis=-1, keepdims=True).astype(np.int64))  # first index with cdf > u
    # END SOLUTION
