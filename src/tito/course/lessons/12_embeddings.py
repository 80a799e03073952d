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
# # Module 12 — Embeddings: a learned vector per token, and one per position
#
# Module 11 turned text into integer ids. A network needs vectors. This module builds the
# embedding table that turns each id into a learned vector, the gradient that trains it, and the
# two ways of telling a model where in the sequence a token stands — and measures why an embedding
# is a table lookup rather than the matrix product it is equivalent to.

# %% [markdown]
# ## 1. Why now
#
# Ids are names, not quantities, so the textbook input for a categorical value is a **one-hot**
# vector: V numbers, all zero but a single 1 at the id. A linear layer on it, `one_hot @ W` with
# W of shape (V, D), would turn every token into a D-vector. What does a language-model batch of
# one-hot vectors weigh?

# %%
import numpy as np

import tinytorch as tt
from tinytorch import nn
from tinytorch.models import GPT, GPTConfig
from tinytorch.nn.embedding import sinusoidal_table
from tinytorch.system import best_time


def one_hot(ids: np.ndarray, num_classes: int) -> np.ndarray:
    """(*ids.shape) int -> (*ids.shape, num_classes) float32, a single 1 per row."""
    out = np.zeros((*ids.shape, num_classes), dtype=np.float32)
    np.put_along_axis(out, ids[..., None], 1.0, axis=-1)
    return out


batch, context = 16, 1024
for vocab_size in (65, 4096, 50_257):
    print(f"one-hot batch ({batch}, {context}, {vocab_size:6,d}): {batch * context * vocab_size * 4 / 2**30:6.2f} GiB "
          f"of float32, of which {batch * context * 4 / 2**20:.2f} MiB are ones")

# %% [markdown]
# With GPT-2's vocabulary a batch is 3 GiB of zeros before the model has done anything, and the
# product with W multiplies every one of them. There must be a cheaper way to get the same numbers.

# %% [markdown]
# ## 2. The idea
#
# **A lookup is a one-hot product.** Row i of `one_hot @ W` is `W[id_i]`: the product only
# *selects* rows. An `Embedding(V, D)` stores W as its weight and indexes it:
# ids (B, T) → vectors (B, T, D).

# %%
tt.manual_seed(0)
emb = nn.Embedding(10, 4)  # V = 10 ids, D = 4
ids = tt.tensor([[2, 0, 2], [2, 1, 9]])  # (B, T) = (2, 3)
looked_up = emb(ids)  # (2, 3, 4)
product = one_hot(ids.data, 10) @ emb.weight.data  # (2, 3, 10) @ (10, 4)
print("shape:", looked_up.shape, "  same as one-hot @ W:", np.allclose(looked_up.data, product))

# %% [markdown]
# **The gradient is a scatter-add.** Since out = one_hot @ W, the gradient of W is
# one_hotᵀ @ grad: row v receives the **sum** of the gradients of every position that looked v
# up. Id 2 is used three times above, so its row gets three contributions; ids never used get zero.

# %%
upstream = tt.randn(2, 3, 4)  # d loss / d out, some made-up numbers
(looked_up * upstream).sum().backward()
rows = emb.weight.grad.data  # (10, 4)
print("row 2 gradient:             ", np.round(rows[2], 3))
print("sum of its three lookups':  ", np.round(upstream.data[0, 0] + upstream.data[0, 2] + upstream.data[1, 0], 3))
print("rows that received anything:", np.flatnonzero(np.abs(rows).sum(axis=1)))

# %% [markdown]
# The trap is NumPy's fancy-index assignment, which looks like a scatter-add and is not: with a
# repeated index, `g[ids] += x` writes each row once and the repeats overwrite each other.

# %%
flat_ids, flat_grad = ids.data.reshape(-1), upstream.data.reshape(-1, 4)
wrong = np.zeros((10, 4), dtype=np.float32)
wrong[flat_ids] += flat_grad  # buffered: row 2 keeps only one of its three contributions
right = np.zeros((10, 4), dtype=np.float32)
np.add.at(right, flat_ids, flat_grad)  # unbuffered: every contribution counts
print("g[ids] += x matches:", np.allclose(wrong, rows), "   np.add.at matches:", np.allclose(right, rows))

# %% [markdown]
# A word that appears five times in a batch would learn from one of its five uses: the loss still
# falls, slowly, and nothing crashes.
#
# **Positions.** An embedding depends on the token only. Everything that mixes positions by
# weighted sums (attention, module 13) is blind to order: "dog bites man" and "man bites dog" are
# the same bag of vectors.

# %%
words = {"dog": 0, "bites": 1, "man": 2}
a = emb(tt.tensor([words[w] for w in ("dog", "bites", "man")])).sum(dim=0)
b = emb(tt.tensor([words[w] for w in ("man", "bites", "dog")])).sum(dim=0)
print("same summed vector for both sentences:", np.allclose(a.data, b.data))

# %% [markdown]
# So each position t gets a vector too, added to the token's: x_t = tok[id_t] + pos[t]. Two kinds:
#
# - **Learned** (GPT): a second table of shape (block_size, D), trained like the first. It cannot
#   go past block_size: there is no row for position 1025 of GPT-2.
# - **Sinusoidal** (the original Transformer, 2017): a fixed table, nothing to train,
#   PE[t, 2i] = sin(t·ωᵢ), PE[t, 2i+1] = cos(t·ωᵢ) with ωᵢ = 10000^(−2i/D): column pairs oscillate at
#   frequencies from 1 down to 1/10000 radian per position, like the hands of a clock.

# %%
pe = sinusoidal_table(64, 16)  # (max_len, D) = (64, 16)
print("table", pe.shape, "values in", (round(float(pe.min()), 3), round(float(pe.max()), 3)))
print("position 0:", np.round(pe[0, :6], 3), "  position 1:", np.round(pe[1, :6], 3))

# %% [markdown]
# Each column pair (sin tωᵢ, cos tωᵢ) is a point on a circle, and moving k positions ahead rotates
# it by the angle kωᵢ, whatever t is. Written as the complex number cos tωᵢ + i·sin tωᵢ, the
# rotation is a multiplication by e^(i·kωᵢ). So PE[t + k] is a *fixed* linear function of PE[t],
# and the dot product PE[t]·PE[t + k] = Σᵢ cos(kωᵢ) depends only on the offset k: relative
# position is easy to read from absolute encodings.

# %%
k = 5
omegas = 10000.0 ** (-np.arange(0, 16, 2) / 16)  # (D/2,) the frequency of each column pair
points = pe[:, 1::2] + 1j * pe[:, 0::2]  # (64, D/2): cos + i sin, one complex number per pair
print("PE[t + 5] is PE[t] rotated by 5 * omega, every pair, every t:",
      np.allclose(points[k:], points[:-k] * np.exp(1j * k * omegas), atol=1e-5))
print("PE[t] . PE[t + 5] for t = 0, 10, 40:", [round(float(pe[t] @ pe[t + k]), 4) for t in (0, 10, 40)])

# %% [markdown]
# ## 3. Build it
#
# Write the bodies marked for module 12:
#
# | file | function | what it must do |
# |------|----------|-----------------|
# | `tinytorch/nn/functional_text.py` | `EmbeddingFunction.forward` | the rows of `weight` picked by `indices` (any shape) → (*indices.shape, D) |
# | `tinytorch/nn/functional_text.py` | `EmbeddingFunction.backward` | a zero (V, D) gradient into which every lookup's gradient is *added* (repeated ids accumulate; see the trap above); the `padding_idx` row stays zero |
# | `tinytorch/nn/embedding.py` | `sinusoidal_table` | the (max_len, d_model) table above: sin in even columns, cos in odd ones, an odd d_model included |
#
# The modules `Embedding`, `PositionalEmbedding` and `SinusoidalPositionalEncoding` are given and
# call your functions. Check with `tito module test 12`.

# %% [markdown]
# ## 4. Measure it
#
# ### Lookup against one-hot product
#
# N = 1024 tokens, D = 64. The product does 2·N·V·D FLOPs (almost all multiplications by zero);
# the lookup copies N·D numbers whatever V is.

# %%
rng = tt.Generator(0).rng
N, D = 1024, 64
vocab_sizes, lookup_s, product_s = [256, 1024, 4096, 16384], [], []
for V in vocab_sizes:
    table = nn.Embedding(V, D)
    token_ids = tt.tensor(rng.integers(0, V, size=N))  # (N,)
    with tt.no_grad():
        lookup_s.append(best_time(lambda: table(token_ids)))
        product_s.append(best_time(lambda: tt.tensor(one_hot(token_ids.data, V)) @ table.weight, repeat=3))
        same = np.allclose(table(token_ids).data, (tt.tensor(one_hot(token_ids.data, V)) @ table.weight).data)
    print(f"V = {V:6,d}: one-hot {N * V * 4 / 2**20:5.1f} MiB, {2 * N * V * D / 1e6:7.1f} MFLOP, "
          f"{1e3 * product_s[-1]:7.2f} ms   lookup {1e3 * lookup_s[-1]:5.3f} ms   "
          f"({product_s[-1] / lookup_s[-1]:5.0f}x)  same result: {same}")

# %% [markdown]
# The product's time grows with V; the lookup's does not.
#
# ### The backward: a dense gradient for a sparse update
#
# Take the tokens of real text. How many of the table's rows does one batch touch?

# %%
from tinytorch.text import BPETokenizer, load_small_corpus

text = load_small_corpus()[:60_000]
bpe = BPETokenizer.train(text, vocab_size=2048)
corpus_ids = np.array(bpe.encode(text))
batch_ids = tt.tensor(corpus_ids[: 8 * 128].reshape(8, 128))  # (B, T) = (8, 128), a batch of real tokens
table = nn.Embedding(bpe.vocab_size, D)
out = table(batch_ids)  # (8, 128, D)
grad_out = tt.randn(*out.shape)


def embedding_backward() -> None:
    table.weight.grad = None
    out.backward(grad_out, retain_graph=True)


def dense_backward() -> np.ndarray:
    return one_hot(batch_ids.data, bpe.vocab_size).reshape(-1, bpe.vocab_size).T @ grad_out.data.reshape(-1, D)


embedding_backward()
touched = int((np.abs(table.weight.grad.data).sum(axis=1) > 0).sum())
print(f"{batch_ids.numel()} tokens use {len(np.unique(batch_ids.data))} distinct ids: {touched} of "
      f"{bpe.vocab_size} rows get a gradient ({touched / bpe.vocab_size:.0%})")
print("scatter-add equals one_hot.T @ grad:", np.allclose(table.weight.grad.data, dense_backward(), atol=1e-5))
print(f"backward: scatter-add {1e3 * best_time(embedding_backward):.3f} ms   "
      f"one_hot.T @ grad {1e3 * best_time(dense_backward, repeat=3):.2f} ms")
print(f"the gradient array is still the whole table: {table.weight.grad.nbytes():,} bytes, "
      f"{1 - touched / bpe.vocab_size:.0%} of them zeros")

# %% [markdown]
# The scatter-add costs what the batch costs, but the gradient is stored dense, and an optimizer
# such as Adam then updates every row, used or not, with its two state tables of the same size
# (module 08).
#
# ### Learned against sinusoidal positions

# %%
learned = nn.PositionalEmbedding(max_len=128, embedding_dim=D)
fixed = nn.SinusoidalPositionalEncoding(d_model=D, max_len=4096)
print(f"learned:    {sum(p.numel() for p in learned.parameters()):,} trainable parameters")
print(f"sinusoidal: {sum(p.numel() for p in fixed.parameters()):,} trainable parameters "
      f"(a buffer of {fixed.pe.nbytes():,} bytes, or recomputed in "
      f"{1e3 * best_time(lambda: sinusoidal_table(4096, D)):.2f} ms)")
long_input = tt.zeros(1, 200, D)  # a sequence longer than the learned table
print("sinusoidal at T = 200:", fixed(long_input).shape)
try:
    learned(long_input)
except ValueError as error:
    print("learned at T = 200:", error)

# %% [markdown]
# ### How much of a GPT is embeddings?
#
# Count a GPT's parameters by hand: the token table V·D, the position table block_size·D, and per
# transformer block 12·D² + 13·D (module 14 builds it: attention 4·D² + 4·D, feed-forward
# 8·D² + 5·D, two LayerNorms 4·D), plus a final LayerNorm 2·D. The output layer reuses the token
# table (weight tying), so it adds nothing. Check the formula on a real model first:

# %%
def gpt_parameters(vocab_size: int, block_size: int, n_layer: int, n_embd: int) -> tuple[int, int]:
    """(embedding parameters, total parameters) of a GPT with tied input and output embeddings."""
    embeddings = vocab_size * n_embd + block_size * n_embd
    return embeddings, embeddings + n_layer * (12 * n_embd**2 + 13 * n_embd) + 2 * n_embd


config = GPTConfig(vocab_size=65, block_size=64, n_layer=2, n_head=4, n_embd=64)
model = GPT(config)
print("formula:", gpt_parameters(65, 64, 2, 64)[1], "  counted:", model.num_parameters(non_embedding=False))

sizes = {  # name: (vocab_size, block_size, n_layer, n_embd)
    "char-level, tiny": (65, 64, 2, 64),
    "char-level, 4x128": (65, 128, 4, 128),
    "GPT-2 small": (50_257, 1024, 12, 768),
    "GPT-2 medium": (50_257, 1024, 24, 1024),
    "GPT-2 XL": (50_257, 1024, 48, 1600),
}
for name, (V, T, L, C) in sizes.items():
    embeddings, total = gpt_parameters(V, T, L, C)
    print(f"{name:18s} {total / 1e6:8.2f} M parameters, "
          f"embeddings {embeddings / 1e6:6.2f} M ({embeddings / total:4.0%})")

# %% [markdown]
# The blocks grow with D² and the number of layers, the embeddings only with D: a third of GPT-2
# small is its token table, a twentieth of GPT-2 XL. In a character-level model the vocabulary is
# tiny and the embeddings are a few percent.

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None  # plots are optional: the numbers above say the same

if plt is not None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3))
    image = left.imshow(sinusoidal_table(128, 64).T, aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
    left.set_xlabel("position t")
    left.set_ylabel("dimension")
    left.set_title("sinusoidal encodings")
    fig.colorbar(image, ax=left)
    right.loglog(vocab_sizes, product_s, marker="o", label="one-hot @ W")
    right.loglog(vocab_sizes, lookup_s, marker="o", label="lookup W[ids]")
    right.set_xlabel("vocabulary size V")
    right.set_ylabel("seconds (N = 1024 tokens)")
    right.legend()
    fig.tight_layout()
    fig.savefig("12_embeddings.png", dpi=100)
    plt.close(fig)
    print("saved 12_embeddings.png")

# %% [markdown]
# ## 5. In the real world
#
# - `torch.nn.Embedding` is the same lookup; its GPU backward kernel sorts the indices and sums
#   runs of equal ids, as yours does. `Embedding(..., sparse=True)` returns a sparse gradient (only
#   the touched rows) for optimizers such as `torch.optim.SparseAdam` — the fix for the dense
#   gradient you measured. `padding_idx` freezes the padding row, as here.
# - Recommendation models (DLRM) hold embedding tables of billions of rows (one per user or
#   product), terabytes sharded over many machines: there, the embedding *is* the model and the
#   systems problem.
# - GPT-2 learns 1024 positions; the original Transformer used the sine table. Most open models
#   since (GPT-NeoX, Llama, Mistral) use **RoPE**: instead of adding a position vector, they
#   rotate the query and key vectors by the position's angles — the rotation you checked above,
#   applied inside attention, so the attention score depends on the offset between tokens.
# - Weight tying (Press and Wolf, 2017) shares the token table with the output layer, as GPT-2
#   does; Llama 2 unties them and pays V·D parameters twice.

# %% [markdown]
# ## 6. Reflect
#
# 1. From your timings: at what vocabulary size would the one-hot product of one batch take a
#    second on your machine? How long would the lookup take?
# 2. What fraction of the table's rows did your batch touch? What does Adam do to the other rows
#    on every step, and how many bytes of state does it keep for them?
# 3. A model trained with learned positions and block_size = 128 is given a prompt of 200 tokens.
#    What must the generation code do, and what does the model lose?
# 4. Using the formula: at what width D do a GPT's 12 blocks hold as many parameters as its
#    50,257-row token table?

# %% [markdown]
# ## 7. What breaks next
#
# Every vector now knows its token and its position, and nothing else. The vector for "bank" is
# the same in "the river bank" and "the bank account":

# %%
vocab = {"the": 0, "river": 1, "bank": 2, "account": 3}
river = emb(tt.tensor([vocab[w] for w in ("the", "river", "bank")]))  # (3, D)
money = emb(tt.tensor([vocab[w] for w in ("the", "bank", "account")]))  # (3, D)
print("'bank' gets the same vector in both sentences:", np.allclose(river.data[2], money.data[1]))

# %% [markdown]
# Meaning depends on the neighbours, so positions must exchange information. The cheapest mix —
# replace each vector by the average of those before it — uses the same weights whatever the
# words are. Module 13 builds attention, where each position decides from the content how much
# to read from every earlier one.
