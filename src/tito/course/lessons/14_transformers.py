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
# # Module 14 — Transformers: the block, the GPT, and what a training step costs
#
# Modules 11-13 built the parts: tokens, embeddings, attention. This module assembles them into
# the transformer block — LayerNorm, attention, a feed-forward network, and residual connections —
# stacks the blocks into a GPT, trains it on Shakespeare for a few seconds, and samples text from
# it. Then it counts what the model costs: parameters, FLOPs per token, seconds per step.

# %% [markdown]
# ## 1. Why now
#
# Module 13 ended with attention layers that collapse the sequence when stacked. Adding a
# feed-forward network after each attention does not save it. Stack eight such layers, send a
# gradient back from the top, and look at what reaches each layer's weights:

# %%
import math
import time

import numpy as np

import tinytorch as tt
from tinytorch import nn, optim
from tinytorch.models import GPT, GPTConfig, sample_next_token
from tinytorch.system import best_time
from tinytorch.text import CharTokenizer, load_small_corpus


class PlainLayer(nn.Module):
    """Attention then a feed-forward network, with no residual connection and no normalisation."""

    def __init__(self, n_embd: int, n_head: int) -> None:
        super().__init__()
        self.attn = nn.CausalSelfAttention(n_embd, n_head)
        self.mlp = nn.FeedForward(n_embd)

    def forward(self, x: tt.Tensor) -> tt.Tensor:
        return self.mlp(self.attn(x))  # (B, T, C)


def depth_report(layers: list[nn.Module], name: str) -> None:
    """Run x through the layers, backpropagate a random signal, print the gradient each layer receives."""
    x = tt.randn(1, 16, 32)  # (B, T, C)
    for layer in layers:
        x = layer(x)
    (x * tt.randn(*x.shape)).sum().backward()
    grads = [np.linalg.norm(layer.attn.c_attn.weight.grad.data) for layer in layers]
    rows = x.data[0]  # (T, C)
    print(f"{name}: gradient norm of each layer's attention weights, first to last:")
    print("   ", " ".join(f"{g:.1e}" for g in grads))
    spread = np.linalg.norm(rows - rows.mean(axis=0), axis=1).mean()
    print(f"    positions' distance from their mean at the top: {spread:.4f}")


tt.manual_seed(0)
depth_report([PlainLayer(32, 4) for _ in range(8)], "plain stack")

# %% [markdown]
# The last layer gets a gradient of order 1, the first one about a hundred-millionth of it: the
# lower layers would never learn, and the sequence has still collapsed into one vector. Depth,
# the thing that makes networks powerful, is unusable as it stands.

# %% [markdown]
# ## 2. The idea
#
# **The residual stream.** Instead of replacing x by f(x), add: x ← x + f(x). The sum carries
# every position's own vector unchanged past the layer, and its derivative is 1 + f′(x): however
# small f′ gets, the gradient reaches the bottom through the "1". Think of x as a stream that runs
# from the embeddings to the output, which each layer reads from and writes a correction into.
#
# **LayerNorm.** Each layer should read its input at a predictable scale, whatever the stream has
# accumulated. LayerNorm rescales **each token's** C features to mean 0 and variance 1, then
# applies a learned gain and bias: y = (x − mean) / √(var + ε) · γ + β. BatchNorm (module 09)
# instead normalises each feature over **the batch**, which ties a token's output to the other
# sequences in the batch:

# %%
x = tt.randn(4, 6, 8)  # (B, T, C)
x_other = tt.tensor(x.data.copy())
x_other.data[1] *= 10.0  # change sequence 1 only
ln, bn = nn.LayerNorm(8), nn.BatchNorm1d(8)
with tt.no_grad():
    ln_moved = np.abs(ln(x_other).data[0] - ln(x).data[0]).max()
    bn_moved = np.abs(bn(x_other.reshape(24, 8)).data[:6] - bn(x.reshape(24, 8)).data[:6]).max()
    y = ln(x)
print(f"LayerNorm: per token mean {np.abs(y.data.mean(axis=-1)).max():.1e}, variance {y.data.var(axis=-1).mean():.3f}")
print(f"sequence 0's output moved by {ln_moved:.1e} under LayerNorm, by {bn_moved:.2f} under BatchNorm")

# %% [markdown]
# LayerNorm works the same on a batch of one and a sequence of one token — which is what
# generation runs — and needs no running statistics.
#
# **The pre-norm block** (GPT-2) normalises the input of each sub-layer, never the stream itself:
#
#     x = x + attn(ln_1(x))   # positions exchange information (causal)
#     x = x + mlp(ln_2(x))    # each position transforms its own features: C -> 4C -> GELU -> C
#
# The same depth test with these blocks:

# %%
tt.manual_seed(0)
depth_report([nn.TransformerBlock(32, 4) for _ in range(8)], "pre-norm residual blocks")

# %% [markdown]
# Every layer gets a gradient of the same order, and the positions stay distinct.
#
# **GPT** = token embedding + position embedding → n_layer blocks → a final LayerNorm → a linear
# layer to vocab_size logits, which shares its weight with the token embedding (weight tying).
# Trained to predict token t + 1 from tokens 0..t at every position at once: the causal mask
# makes all T predictions of a sequence one forward pass. Before training, every next token is
# equally likely, so the loss starts at ln(vocab_size):

# %%
text = load_small_corpus()
tokenizer = CharTokenizer.from_text(text)
data = np.array(tokenizer.encode(text), dtype=np.int64)
config = GPTConfig(vocab_size=tokenizer.vocab_size, block_size=24, n_layer=2, n_head=4, n_embd=32)
tt.manual_seed(0)
model = GPT(config)
print(model)
idx = tt.tensor(data[None, :24])  # (B, T) = (1, 24)
logits, loss = model(idx, tt.tensor(data[None, 1:25]))
print(f"logits {logits.shape} (B, T, V); loss {loss.item():.3f}, "
      f"ln({tokenizer.vocab_size}) = {math.log(tokenizer.vocab_size):.3f}")

# %% [markdown]
# **Sampling.** Generation turns the last position's logits into one token: divide by a
# **temperature** (< 1 sharpens the distribution, > 1 flattens it, 0 takes the most likely),
# optionally keep only the **top k** tokens, or the smallest set whose probability reaches
# **top p** (nucleus sampling), renormalise, and draw. Ten thousand draws from the same made-up
# logits over eight tokens:

# %%
toy_logits = tt.tensor(np.tile([3.0, 2.5, 2.0, 1.0, 0.5, 0.0, -1.0, -2.0], (10_000, 1)))  # (10000, V=8)
settings = {"temperature 1": {}, "temperature 0.5": {"temperature": 0.5}, "temperature 2": {"temperature": 2.0},
            "top_k 3": {"top_k": 3}, "top_p 0.9": {"top_p": 0.9}, "temperature 0": {"temperature": 0.0}}
for name, kwargs in settings.items():
    draws = sample_next_token(toy_logits, generator=tt.Generator(0), **kwargs).data[:, 0]  # (10000,)
    share = np.bincount(draws, minlength=8) / len(draws)
    print(f"{name:16s} " + " ".join(f"{p:4.0%}" for p in share) + f"   {np.count_nonzero(share)} tokens ever drawn")
same = sample_next_token(toy_logits[:20], generator=tt.Generator(42)).data
again = sample_next_token(toy_logits[:20], generator=tt.Generator(42)).data
print("same seed, same draws:", np.array_equal(same, again))

# %% [markdown]
# ## 3. Build it
#
# Write the bodies marked for module 14:
#
# | file | function | what it must do |
# |------|----------|-----------------|
# | `tinytorch/nn/functional_text.py` | `LayerNormFunction.forward` | normalise each row of N = weight.size numbers (biased variance, like PyTorch), scale and shift; keep x̂ and 1/σ for the backward |
# | `tinytorch/nn/functional_text.py` | `LayerNormFunction.backward` | dx = (1/σ)·(g − mean(g) − x̂·mean(g·x̂)) with g = grad·γ; dγ and dβ summed over rows |
# | `tinytorch/nn/transformer.py` | `TransformerBlock.forward` | the two pre-norm residual updates above, passing `cache` to the attention |
# | `tinytorch/models/gpt.py` | `GPT.forward` | embeddings of tokens and positions (from `start_pos`), dropout, the blocks, `ln_f`, `lm_head`; the mean cross-entropy when targets are given |
# | `tinytorch/models/gpt.py` | `sample_next_token` | temperature (0 = argmax), top-k, top-p, then one inverse-CDF draw per row from the generator |
#
# Check with `tito module test 14`. Then `tito milestone run 6 --quick` trains a character-level
# GPT on your code until it writes recognisable Shakespeare-shaped text (about a minute).

# %% [markdown]
# ## 4. Measure it
#
# ### Where the parameters are

# %%
groups: dict[str, int] = {}
for name, param in model.named_parameters():  # the tied lm_head weight is listed once, as wte
    if name.startswith("transformer.wte"):
        group = "token embedding (= lm_head)"
    elif name.startswith("transformer.wpe"):
        group = "position embedding"
    elif ".attn." in name:
        group = "attention (q, k, v, out)"
    elif ".mlp." in name:
        group = "feed-forward"
    else:
        group = "LayerNorms"
    groups[group] = groups.get(group, 0) + param.numel()
total = sum(groups.values())
for group, count in groups.items():
    print(f"{group:28s} {count:7,d}  {count / total:4.0%}")
print(f"{'total':28s} {total:7,d}  = model.num_parameters(non_embedding=False): "
      f"{model.num_parameters(non_embedding=False):,}")

# %% [markdown]
# Per block, attention holds 4·C² weights and the feed-forward network 8·C²: two thirds of a
# transformer's block parameters are in its MLPs.
#
# ### FLOPs per token
#
# Every weight of a matrix product does one multiply and one add per token: 2 FLOPs per weight
# forward. The backward computes two products of the same size (gradients of inputs and of
# weights): 4 more. So training costs about **6 FLOPs per weight per token**, with N the weights
# used in products (the blocks and the tied output layer; the embedding lookups cost nothing).
# Attention adds 4·T·C per token per layer forward (Q Kᵀ and weights·V over the T positions).

# %%
C, L, V, T = config.n_embd, config.n_layer, config.vocab_size, config.block_size
n_matmul = L * 12 * C**2 + V * C  # block weights + lm_head
forward_per_token = 2 * n_matmul + 4 * T * C * L
train_per_token = 3 * forward_per_token
print(f"N = {n_matmul:,} weights in products; per token: forward {forward_per_token:,} FLOPs, "
      f"training {train_per_token:,} = {train_per_token / n_matmul:.1f} x N")

# %% [markdown]
# ### A few seconds of training
#
# Random windows of 24 characters from the first 90 % of the text, 4 per batch, AdamW. For
# reference, a model that knows only how often each character occurs (no context at all) scores
# the entropy of the character frequencies.

# %%
split = int(0.9 * len(data))
train_data = data[:split]
frequencies = np.bincount(train_data, minlength=V) / len(train_data)
unigram = -(frequencies[frequencies > 0] * np.log(frequencies[frequencies > 0])).sum()
print(f"uniform guess ln(V) = {math.log(V):.3f}; character frequencies only = {unigram:.3f} nats")

batch_size, steps = 4, 400
rng = tt.Generator(0).rng
optimizer = optim.AdamW(model.parameters(), lr=5e-3)
losses, forward_s, backward_s, update_s = [], [], [], []
for step in range(steps):
    starts = rng.integers(0, len(train_data) - T - 1, size=batch_size)
    rows = starts[:, None] + np.arange(T)  # (B, T) positions in the text
    xb, yb = tt.tensor(train_data[rows]), tt.tensor(train_data[rows + 1])  # targets: shifted by one
    t0 = time.perf_counter()
    _, loss = model(xb, yb)
    t1 = time.perf_counter()
    optimizer.zero_grad()
    loss.backward()
    t2 = time.perf_counter()
    optimizer.step()
    t3 = time.perf_counter()
    losses.append(loss.item())
    forward_s.append(t1 - t0)
    backward_s.append(t2 - t1)
    update_s.append(t3 - t2)
    if step % 80 == 79:
        print(f"steps {step - 79:3d}-{step:3d}: mean loss {np.mean(losses[-80:]):.3f}")

# %% [markdown]
# The loss leaves ln(V) within a few steps (the model learns which characters are common), then
# goes below the frequencies-only line: it has started to use the context.
#
# ### Time per step, forward and backward

# %%
tokens = batch_size * T
fwd, bwd, upd = (float(np.median(s)) for s in (forward_s, backward_s, update_s))
print(f"median per step: forward {1e3 * fwd:.2f} ms   backward {1e3 * bwd:.2f} ms   AdamW update {1e3 * upd:.2f} ms")
print(f"{tokens} tokens per step: {tokens / (fwd + bwd + upd):,.0f} tokens/s; "
      f"{train_per_token * tokens / (fwd + bwd) / 1e9:.2f} GFLOP/s achieved in forward + backward")
print(f"backward / forward time: {bwd / fwd:.1f} (the FLOPs say 2.0)")
square = tt.randn(512, 512)
product_rate = 2 * 512**3 / best_time(lambda: square @ square, repeat=5)
print(f"for comparison, one 512 x 512 matrix product: {product_rate / 1e9:.2f} GFLOP/s")

# %% [markdown]
# At this size a step is a few hundred small operations, and each pays Python and NumPy overhead
# that has nothing to do with its FLOPs: compare the achieved rate with the single large product,
# and note that the backward/forward ratio is not the 2 the FLOPs predict (the forward also
# builds the graph; several backward products are skipped or fused). Overhead is a fixed cost per
# operation, so bigger matrices hide it: that is why GPUs are fed large batches.
#
# ### Sampling from the model

# %%
prompt = tt.tensor([tokenizer.encode("First Citizen:\n")])  # (1, 15)
for seed in (7, 7, 8):
    out = model.generate(prompt, max_new_tokens=60, temperature=0.8, top_k=10, generator=tt.Generator(seed))
    print(f"seed {seed}: {tokenizer.decode(out.data[0, prompt.shape[1]:].tolist())!r}")

# %% [markdown]
# The same seed gives the same text; another seed, another text. After 400 small steps the model
# has learned spaces, line breaks and which letters follow which; the milestone trains for real.

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None  # plots are optional: the numbers above say the same

if plt is not None:
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(losses, alpha=0.4, label="loss per step")
    ax.plot(np.arange(19, len(losses)), np.convolve(losses, np.ones(20) / 20, mode="valid"), label="mean of 20 steps")
    ax.axhline(math.log(V), color="gray", linestyle="--", label="ln(V): uniform")
    ax.axhline(unigram, color="gray", linestyle=":", label="character frequencies")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy (nats)")
    ax.legend(loc="center right", fontsize=8)
    fig.tight_layout()
    fig.savefig("14_gpt_loss.png", dpi=100)
    plt.close(fig)
    print("saved 14_gpt_loss.png")

# %% [markdown]
# ## 5. In the real world
#
# - This is GPT-2's architecture, parameter names included (`c_attn`, `c_proj`, `ln_1`, ...):
#   nanoGPT's `model.py` reads the same way, and GPT-2 small is this model with V = 50,257,
#   block_size = 1024, 12 layers and C = 768 (124 M parameters).
# - The original Transformer (2017) normalised *after* each residual addition (post-norm), which
#   is hard to train deep without a learning-rate warm-up (Xiong et al., 2020); GPT-2 moved to
#   pre-norm, as here. Llama replaces
#   LayerNorm by RMSNorm (no mean subtraction, no bias) and GELU by SwiGLU, and uses rotary
#   positions; the block's shape is unchanged.
# - Kaplan et al. (2020) and Chinchilla (2022) budget training compute as 6·N·tokens — the rule
#   you derived. Large training runs reach 30-50 % of the hardware's peak FLOP/s ("model FLOPs
#   utilisation") by fusing small operations into few large kernels: the overhead you measured is
#   the enemy there too.
# - Serving systems sample with the same temperature / top-k / top-p knobs; a seeded generator per
#   request is what makes an answer reproducible.

# %% [markdown]
# ## 6. Reflect
#
# 1. From your parameter table: which component holds the most parameters? Which would dominate
#    at C = 768 with 12 layers and V = 50,257?
# 2. How many FLOPs did your 400 training steps cost? By the 6·N rule, what would one pass over
#    10 billion tokens cost GPT-2 small (N ≈ 124 M), and how long at your achieved GFLOP/s?
# 3. Your backward took how many times the forward? Why is it not 2 at this size?
# 4. What does temperature 0 do to the variety of the samples? When would you want top-p rather
#    than top-k?

# %% [markdown]
# ## 7. What breaks next
#
# Generation calls the model once per new token, each time on the whole context. Time one call at
# growing context lengths (an untrained model with room for 256 positions; the weights do not
# change the cost):

# %%
long_model = GPT(GPTConfig(vocab_size=V, block_size=256, n_layer=2, n_head=4, n_embd=32)).eval()
context = tt.tensor(data[None, :256])  # (1, 256)
per_token = {}
with tt.no_grad():
    for length in (16, 32, 64, 128, 256):
        per_token[length] = best_time(lambda: long_model.forward_step(context[:, :length]), repeat=3)
        print(f"context {length:3d}: {1e3 * per_token[length]:6.2f} ms for the next token "
              f"({per_token[length] / per_token[16]:4.1f}x the cost at 16)")
    shorter = long_model(context[:, :100])[0]  # logits (1, 100, V)
    longer = long_model(context[:, :101])[0]  # one token appended
print("appending a token leaves the first 100 positions' logits unchanged:",
      np.allclose(shorter.data, longer.data[:, :100], atol=1e-5))

# %% [markdown]
# Past the fixed overhead, each new token costs more than the last, in proportion to the context
# (more on a busy machine, where a larger matrix product may stall on its threads). Generating
# 256 tokens this way processes 1 + 2 + … + 256 = 32,896 positions to produce 256 new ones. The
# check above shows it is waste: thanks to the causal mask, the earlier positions' keys, values
# and outputs do not change when a token is appended; only the new position is new. Module 16
# keeps each layer's keys and values in a **KV cache** (`GPT.forward` already takes a `cache`) so
# that every step computes just the new token.
