# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 13 — Attention: every position reads from the others, at a quadratic price
#
# After module 12 each token is a vector that knows its own identity and position and nothing
# about its neighbours. Attention lets every position gather information from the others, with
# weights computed from the content itself. This module builds scaled dot-product attention, the
# causal mask that stops a language model from reading the future, and multi-head attention — and
# measures the cost that grows with the square of the sequence length.

# %% [markdown]
# ## 1. Why now
#
# The cheapest way to let position t see its past is to average the vectors 0..t: a
# lower-triangular matrix of weights 1/(t+1) times the (T, D) sequence.

# %%
import numpy as np

import tinytorch as tt
from tinytorch import nn
from tinytorch.nn import functional as F
from tinytorch.nn.attention import causal_mask, merge_heads, plot_attention, split_heads
from tinytorch.system import best_time

tt.manual_seed(0)
T, D = 5, 8
running_mean = np.tril(np.ones((T, T))) / np.arange(1, T + 1)[:, None]  # (T, T), row t averages 0..t
x = tt.randn(T, D)  # (T, D): the embeddings of some five-token sentence
mixed = tt.tensor(running_mean.astype(np.float32)) @ x  # (T, T) @ (T, D) -> (T, D)
print(np.round(running_mean, 2))
print("output 2 is the mean of inputs 0-2:", np.allclose(mixed.data[2], x.data[:3].mean(axis=0), atol=1e-6))

# %% [markdown]
# The vectors are mixed, but the weights are fixed numbers, the same for every sentence: in "the
# cat sat on it", "it" cannot choose to read "cat" more than "on". The weights have to depend on
# the content: position t should ask a question, every earlier position should offer an answer
# to match against, and the best matches should get the largest weights.

# %% [markdown]
# ## 2. The idea
#
# Each position emits three vectors, made by three learned linear maps of its embedding: a
# **query** q (what am I looking for?), a **key** k (what do I contain?) and a **value** v (what
# do I pass on if chosen). Then, for queries Q (L, E), keys K (S, E) and values V (S, Ev):
#
#   scores = Q Kᵀ / √E  (L, S)  →  + mask  →  weights = softmax over each row  →  out = weights V  (L, Ev)
#
# Step by step on 4 positions with E = 3:

# %%
g = tt.Generator(1)
q, k, v = tt.randn(4, 3, generator=g), tt.randn(4, 3, generator=g), tt.randn(4, 2, generator=g)
scores = (q @ k.T).data / np.sqrt(3)  # (4, 4): row i says how well query i matches each key
masked = scores + np.where(causal_mask(4, 4), 0.0, -np.inf)  # query i may only look at keys 0..i
weights = np.exp(masked - masked.max(axis=1, keepdims=True))
weights /= weights.sum(axis=1, keepdims=True)  # (4, 4): each row sums to 1, zeros above the diagonal
out = weights @ v.data  # (4, 2): each output row is a weighted average of value rows
print("scores\n", np.round(scores, 2))
print("weights (causal)\n", np.round(weights, 2))
reference, w = F.scaled_dot_product_attention(q, k, v, is_causal=True, return_weights=True)
print("same as F.scaled_dot_product_attention:", np.allclose(out, reference.data, atol=1e-6),
      np.allclose(weights, w.data, atol=1e-6))

# %% [markdown]
# **Attention is a soft lookup by content.** Give every character a query and a key equal to its
# one-hot code (times a sharpness factor): each position then attends to the earlier occurrences
# of its own character, wherever they are.

# %%
sentence = "to be or not to be"
letters = sorted(set(sentence))
codes = np.eye(len(letters), dtype=np.float32)[[letters.index(c) for c in sentence]] * 4  # (T, 12)
qk = tt.tensor(codes)
positions = tt.arange(len(sentence)).float().reshape(-1, 1)  # (T, 1): each value is its own position
found, lookup_weights = F.scaled_dot_product_attention(qk, qk, positions, is_causal=True, scale=1.0,
                                                       return_weights=True)
for t in (9, 13, 17):
    print(f"'{sentence[t]}' at {t:2d} reads from positions {np.flatnonzero(lookup_weights.data[t] > 0.2).tolist()}")

# %% [markdown]
# **Why divide by √E.** The dot product of two random vectors with unit-variance entries has
# variance E. Large scores make the softmax nearly one-hot: every weight but one is ~0, and so is
# the gradient through them. Dividing by √E keeps the scores' variance at 1 whatever E is.

# %%
for E in (4, 64, 512):
    qs, ks = tt.randn(64, E), tt.randn(64, E)
    raw = F.softmax(qs @ ks.T, dim=-1).data.max(axis=-1).mean()
    scaled = F.softmax(qs @ ks.T / np.sqrt(E), dim=-1).data.max(axis=-1).mean()
    print(f"E = {E:3d}: largest weight per row, unscaled {raw:.2f}, scaled {scaled:.2f}")

# %% [markdown]
# **The causal mask.** A language model predicts token t + 1 from tokens 0..t; if position t could
# read position t + 1 it would copy the answer, learn nothing useful, and fail at generation time
# when the future does not exist. The test of a mask: change a *future* token, and no earlier
# output may move.

# %%
mha = nn.MultiheadAttention(embed_dim=8, num_heads=2)
x = tt.randn(1, 6, 8)  # (B, T, E)
x_changed = tt.tensor(x.data.copy())
x_changed.data[0, 3] += 1.0  # change the token at position 3 only
with tt.no_grad():
    before, _ = mha(x, x, x, is_causal=True)
    after, _ = mha(x_changed, x_changed, x_changed, is_causal=True)
print("causal: change per position", np.round(np.abs(after.data - before.data).max(axis=-1)[0], 3))

# %% [markdown]
# Positions 0-2 do not move; 3-5 do. Now the classic bug: `nn.MultiheadAttention` (like PyTorch's)
# reads a bool mask as True = **not** allowed, the opposite of `scaled_dot_product_attention`'s
# True = allowed. Hand it the wrong convention and attention sees only the future:

# %%
wrong_mask = tt.tensor(causal_mask(6, 6))  # True on and below the diagonal: "allowed" for SDPA
with tt.no_grad():
    before, _ = mha(x, x, x, attn_mask=wrong_mask)
    after, _ = mha(x_changed, x_changed, x_changed, attn_mask=wrong_mask)
print("wrong convention: change per position", np.round(np.abs(after.data - before.data).max(axis=-1)[0], 3))

# %% [markdown]
# The earlier positions now depend on position 3, the last one sees nothing at all, and a model
# trained like this still lowers its loss by copying the next token. Only a test like the one
# above catches it.
#
# **Multi-head attention.** One softmax per query picks one kind of match. H heads split the E
# features into H slices of E/H, attend in each slice independently, and concatenate the results:
# the same FLOPs for the projections, H different patterns. The split is a reshape and a
# transpose: (B, T, E) → (B, T, H, E/H) → (B, H, T, E/H), so the heads become a batch dimension.

# %%
x = tt.randn(2, 5, 12)  # (B, T, E)
heads = split_heads(x, num_heads=3)  # (B, H, T, E/H)
print("split:", x.shape, "->", heads.shape, "  merged back:", merge_heads(heads).shape,
      "  round trip exact:", np.array_equal(merge_heads(heads).data, x.data))
print("head 1 holds features 4..7:", np.array_equal(heads.data[:, 1], x.data[:, :, 4:8]))
mha = nn.MultiheadAttention(embed_dim=12, num_heads=3)
y, per_head = mha(x, x, x, is_causal=True, average_attn_weights=False)
print("MultiheadAttention:", x.shape, "->", y.shape, "  weights", per_head.shape, "(B, H, L, S)")

# %% [markdown]
# ## 3. Build it
#
# Write the bodies marked for module 13:
#
# | file | function | what it must do |
# |------|----------|-----------------|
# | `tinytorch/nn/attention.py` | `split_heads` | (B, T, E) → (B, H, T, E/H), head h holding features h·E/H … (h+1)·E/H − 1 |
# | `tinytorch/nn/attention.py` | `merge_heads` | (B, H, T, D) → (B, T, H·D), the exact inverse |
# | `tinytorch/nn/functional_text.py` | `ScaledDotProductAttention.forward` | scale, Q Kᵀ, add the mask, a stable softmax (a row whose keys are all masked gives weights 0, not NaN), dropout, times V; save what the backward needs |
# | `tinytorch/nn/functional_text.py` | `ScaledDotProductAttention.backward` | dV, then dS = P·(dP − rowsum(dO·O)), then dQ and dK, as in the docstring |
#
# `scaled_dot_product_attention` (the wrapper that checks shapes and builds masks) and
# `MultiheadAttention` are given. Check with `tito module test 13`.

# %% [markdown]
# ## 4. Measure it
#
# ### FLOPs: projections against the attention itself
#
# For a batch B, length T, width E: the four projections (q, k, v, out) cost 2·B·T·E² each,
# 8·B·T·E² in all, linear in T. The two products Q Kᵀ and weights·V cost 2·B·T²·E each,
# 4·B·T²·E in all: quadratic in T. They are equal at T = 2E.

# %%
E = 768
for T in (256, 1536, 8192, 131_072):
    projections, attention = 8 * T * E**2, 4 * T**2 * E
    print(f"E = {E}, T = {T:7,d}: projections {projections / 1e9:9.1f} GFLOP   attention {attention / 1e9:10.1f} GFLOP"
          f"   ({attention / (projections + attention):4.0%} of the layer)")

# %% [markdown]
# ### Time and bytes on your own attention
#
# One sequence, H = 4 heads of 16 features, causal, for T = 32 … 512. The attention weights are a
# (B, H, T, T) float32 array kept for the backward pass.

# %%
B, H, Dh = 1, 4, 16
lengths, forward_s, step_s, weight_bytes = [32, 64, 128, 256, 512], [], [], []
for T in lengths:
    q, k, v = (tt.randn(B, H, T, Dh, requires_grad=True) for _ in range(3))  # (B, H, T, Dh)
    out, w = F.scaled_dot_product_attention(q, k, v, is_causal=True, return_weights=True)
    weight_bytes.append(w.nbytes())

    def forward_only() -> None:
        with tt.no_grad():
            F.scaled_dot_product_attention(q, k, v, is_causal=True)

    def forward_backward() -> None:
        F.scaled_dot_product_attention(q, k, v, is_causal=True).sum().backward()

    forward_s.append(best_time(forward_only, repeat=3))
    step_s.append(best_time(forward_backward, repeat=2))
    print(f"T = {T:4d}: weights {weight_bytes[-1] / 2**10:8,.0f} KiB   forward {1e3 * forward_s[-1]:7.3f} ms   "
          f"forward + backward {1e3 * step_s[-1]:7.3f} ms   ({1e9 * step_s[-1] / (B * H * T * T):5.1f} ns per weight)")


def slope(xs: list[float], ys: list[float]) -> float:
    """The exponent p of a fit ys ~ xs^p: the slope of the line through the log-log points."""
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


print(f"log-log slope, T = 128..512: bytes {slope(lengths[2:], weight_bytes[2:]):.2f}   "
      f"forward time {slope(lengths[2:], forward_s[2:]):.2f}   forward + backward {slope(lengths[2:], step_s[2:]):.2f}")

# %% [markdown]
# The bytes grow exactly as T² (slope 2.00). The time grows at least as fast once the T² work
# outweighs each call's fixed cost: up to T = 128 the nanoseconds per weight fall (the overhead is
# shared by more weights); beyond, they can rise again, when the (T, T) arrays outgrow the CPU's
# caches and every pass over them goes to main memory, or when the matrix products switch to
# several threads. On a machine busy with other programs a multi-threaded product can stall and
# one point jumps: rerun the cell and compare.
#
# ### The weights at GPT sizes
#
# Training keeps one (B, H, T, T) array of weights per layer until the backward pass.

# %%
models = {  # name: (layers, heads, context, bytes per number)
    "GPT-2 small, float32": (12, 12, 1024, 4),
    "GPT-2 XL, float32": (48, 25, 1024, 4),
    "Llama 2 7B, float16": (32, 32, 4096, 2),
    "a 128k context, float16": (32, 32, 131_072, 2),
}
for name, (layers, heads, context, size) in models.items():
    per_sequence = layers * heads * context**2 * size
    print(f"{name:24s} T = {context:7,d}: {per_sequence / 2**30:12,.2f} GiB of attention weights per sequence")

# %% [markdown]
# GPT-2 small already needs more than half a GiB per sequence, a batch of 16 about 9 GiB; a 4k
# context 32 GiB per sequence, and at 128k no machine holds them. Production kernels therefore
# never store the (T, T) weights at all (next section).

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None  # plots are optional: the numbers above say the same

if plt is not None:
    labels = [c if c != " " else "_" for c in sentence]
    fig = plot_attention(lookup_weights, tokens=labels, title="match the same character")
    fig.savefig("13_attention_weights.png", dpi=100, bbox_inches="tight")
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(lengths, step_s, marker="o", label="forward + backward time (s)")
    ax.plot(lengths, [b / 2**30 for b in weight_bytes], marker="o", label="weights (GiB)")
    ax.plot(lengths, [step_s[-1] * (t / lengths[-1]) ** 2 for t in lengths], linestyle="--", color="gray",
            label="slope 2")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(lengths, [str(t) for t in lengths])
    ax.set_xlabel("sequence length T")
    ax.legend()
    fig.tight_layout()
    fig.savefig("13_attention_scaling.png", dpi=100)
    plt.close(fig)
    print("saved 13_attention_weights.png and 13_attention_scaling.png")

# %% [markdown]
# ## 5. In the real world
#
# - `torch.nn.functional.scaled_dot_product_attention` has the same signature and conventions as
#   yours, and dispatches to fused kernels. **FlashAttention** (Dao et al., 2022) computes the
#   softmax block by block with a running maximum and sum ("online softmax"), so the (T, T)
#   weights are never stored: memory linear in T, and the backward recomputes the blocks it
#   needs. The FLOPs stay quadratic; the bytes, which you measured, do not.
# - Masks come in two conventions in PyTorch itself: `scaled_dot_product_attention` takes
#   True = attend, `nn.MultiheadAttention` and `nn.Transformer` take True = ignore. The bug you
#   ran above has shipped in real code.
# - Long-context models cut the T² in other ways: sliding-window attention (Mistral) lets each
#   token see only the last few thousand; grouped-query attention (Llama 2 70B, Llama 3) shares
#   one key/value head among several query heads, which shrinks the cache of module 16.

# %% [markdown]
# ## 6. Reflect
#
# 1. From your table: by what factor did the weights' bytes grow from T = 256 to 512? The time?
#    Why is the time's factor below 4 at small T?
# 2. At what length T do the attention products cost as much as the four projections of a layer
#    with E = 768? What fraction of the layer's FLOPs are attention at T = 8192?
# 3. How much memory would the attention weights of a batch of 8 GPT-2 small sequences take? How
#    does FlashAttention avoid it, and what does it pay instead?
# 4. The wrong mask still trains: the loss falls. Why is that worse than a crash?

# %% [markdown]
# ## 7. What breaks next
#
# Attention only averages values. Stack attention layers on their own and the averaging wins: the
# positions become copies of one another, and the signal shrinks.

# %%
tt.manual_seed(0)
x = tt.randn(1, 16, 64)  # (B, T, E)
layers = [nn.MultiheadAttention(64, 4) for _ in range(6)]
with tt.no_grad():
    for depth in range(7):
        rows = x.data[0]  # (T, E)
        spread = np.linalg.norm(rows - rows.mean(axis=0), axis=1).mean()
        print(f"after {depth} attention layers: distance of the positions from their mean {spread:9.6f}, "
              f"size of a position {np.linalg.norm(rows, axis=1).mean():8.5f}")
        if depth < len(layers):
            x, _ = layers[depth](x, x, x, is_causal=False, need_weights=False)

# %% [markdown]
# After two or three layers every position holds the same vector: the sequence has collapsed into one
# token. Module 14 adds what keeps a deep stack alive — a residual connection that carries each
# position's own vector around every layer, LayerNorm that keeps the scale in check, and a
# feed-forward network that transforms each position on its own — and assembles them into a GPT.
