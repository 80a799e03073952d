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
# # Module 05 — Losses: one number for "how wrong", with a slope everywhere
#
# Training minimises a loss: a single number that falls as predictions improve, and changes
# smoothly with every weight so there is a direction to move in. This module builds mean squared
# error for regression and cross-entropy for classification, computed from raw scores (logits) so
# that no prediction, however confident and wrong, makes them overflow.

# %% [markdown]
# ## 1. Why now
#
# Module 04 showed that accuracy does not move when a weight moves. The textbook fix is the
# negative log-probability of the correct class, −log softmax(z)[y]. Written literally, it breaks
# on a confident mistake:

# %%
import numpy as np

import tinytorch as tt
from tinytorch import nn
from tinytorch.nn import functional as F
from tinytorch.system import best_time

logits = np.array([[0.0, 120.0]], dtype=np.float32)  # (B=1, C=2): very sure of class 1
label = 0  # but the answer is class 0
with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    print("softmax:", probs, " naive loss:", -np.log(probs[0, label]))

# %% [markdown]
# e¹²⁰ overflows float32, the probabilities become `nan`, and one such example turns the mean
# loss of the whole batch into `nan`. Training cannot recover from it.

# %% [markdown]
# ## 2. The idea
#
# **Mean squared error** for regression: prediction ŷ (B, D) and target y (B, D) of the same
# shape, loss = mean((ŷ − y)²), a scalar. Its slope with respect to ŷ is 2(ŷ − y)/N: large
# errors pull hard.
#
# **Cross-entropy from logits** for classification: logits z (B, C), integer targets y (B,).
# Substituting log softmax(z)_y = z_y − logsumexp(z) gives, per example,
#
#   loss = logsumexp(z) − z_y,   with logsumexp(z) = m + log Σ_c e^(z_c − m), m = max(z),
#
# which never forms a probability, so it never takes log(0) or overflows. `reduction="mean"`
# averages over the batch; `"sum"` adds; `"none"` keeps one loss per example (B,).

# %%
z = tt.tensor([[0.0, 120.0], [2.0, 1.0]])  # (B=2, C=2)
y = tt.tensor([0, 0])  # (B,) int64 class indices
print("per example:", F.cross_entropy(z, y, reduction="none"), " mean:", F.cross_entropy(z, y).item())

# %% [markdown]
# The first example costs exactly 120 = logsumexp − z_y: large, finite, and with a slope.
#
# **Binary cross-entropy** for yes/no targets t ∈ {0, 1}: −(t log p + (1 − t) log(1 − p)) with
# p = sigmoid(x). From the logit x directly it becomes max(x, 0) − x·t + log(1 + e^(−|x|)), again
# with no exponential of a positive number. `binary_cross_entropy` on probabilities exists too,
# and, like PyTorch, clamps each log at −100 so that p = 0 gives a large finite loss.
#
# **Why not MSE for classification?** With p = sigmoid(x), the slope of (p − 1)² is
# 2(p − 1)·p(1 − p), which vanishes when p ≈ 0: a confidently wrong model barely learns. The slope
# of BCE from logits is p − t, which stays near −1 until the mistake is fixed. Checked with finite
# differences (no autograd needed):

# %%
def slope(loss_of_x, x: float, h: float = 1e-3) -> float:
    return (loss_of_x(x + h) - loss_of_x(x - h)) / (2 * h)


def as_tensor(x: float) -> tt.Tensor:
    return tt.tensor([x], dtype=tt.float64)


target = tt.tensor([1.0], dtype=tt.float64)
for x in (-10.0, -2.0, 0.0, 2.0):
    mse = slope(lambda v: F.mse_loss(F.sigmoid(as_tensor(v)), target).item(), x)
    bce = slope(lambda v: F.binary_cross_entropy_with_logits(as_tensor(v), target).item(), x)
    print(f"logit {x:6.1f} (target 1): d MSE/dx = {mse:+.5f}   d BCE/dx = {bce:+.5f}")

# %% [markdown]
# ## 3. Build it
#
# Write the forward passes marked for module 05 (their backward passes are module 06):
#
# | file | function | what it must do |
# |------|----------|-----------------|
# | `tinytorch/nn/functional.py` | `mse_loss` | mean (or sum, or none) of (input − target)², from tensor operations |
# | `tinytorch/nn/functional.py` | `CrossEntropy.forward` | per row logsumexp(z) − z_y with the max subtracted; class `weight`, `ignore_index` and `label_smoothing` as in the docstring; "mean" divides by the total weight of the rows that count; save the softmax in `self.probs` for backward |
# | `tinytorch/nn/functional.py` | `nll_loss` | −input[i, y_i] for log-probabilities, with `weight` and `ignore_index`, from tensor operations |
# | `tinytorch/nn/functional.py` | `BinaryCrossEntropy.forward` | −(t log p + (1 − t) log(1 − p)) with each log clamped at −100, times `weight` if given |
# | `tinytorch/nn/functional.py` | `BinaryCrossEntropyWithLogits.forward` | the stable form from logits, with `pos_weight` scaling the positive term and `weight` the whole |
#
# Check with `tito module test 5`.

# %% [markdown]
# ## 4. Measure it
#
# ### Stability across logit scales

# %%
for scale in (1, 10, 100, 1000):
    z = tt.tensor([[0.0, float(scale)]])  # (1, 2), wrong and increasingly sure
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        e = np.exp(z.data)
        naive = float(-np.log(e[0, 0] / e.sum()))
    print(f"margin {scale:5d}: naive {naive:10.4f}   cross_entropy {F.cross_entropy(z, tt.tensor([0])).item():10.4f}")

# %% [markdown]
# ### One node or a chain, and how the cost grows with the classes
#
# `cross_entropy` runs as a single graph node. Composing it from `log_softmax` and `nll_loss`
# gives the same number through a chain of small nodes. Count both graphs (a small walk over
# `grad_fn.inputs`) and time them:

# %%
def graph_nodes_and_bytes(out: tt.Tensor) -> tuple[int, int]:
    """Function nodes behind `out` and the bytes of the arrays they saved (each buffer once)."""
    stack, seen_nodes, seen_arrays, saved = [out.grad_fn], set(), set(), 0
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        for value in vars(node).values():
            if isinstance(value, np.ndarray):
                owner = value if value.base is None else value.base
                if id(owner) not in seen_arrays:
                    seen_arrays.add(id(owner))
                    saved += owner.nbytes
        stack.extend(t.grad_fn for t in node.inputs if t is not None)
    return len(seen_nodes), saved


tt.manual_seed(0)
B = 64
classes, fused_times = [10, 1_000, 32_000], []
for C in classes:
    z = tt.randn(B, C, requires_grad=True)  # (B, C)
    y = tt.randint(0, C, (B,))  # (B,)
    fused = lambda: F.cross_entropy(z, y)
    composed = lambda: F.nll_loss(F.log_softmax(z, dim=1), y)
    assert abs(fused().item() - composed().item()) < 1e-3
    (n_f, b_f), (n_c, b_c) = graph_nodes_and_bytes(fused()), graph_nodes_and_bytes(composed())
    fused_times.append(best_time(fused))
    print(f"C = {C:6,d}: fused {n_f} node, {b_f:>10,} bytes saved, {1e3 * fused_times[-1]:6.2f} ms | "
          f"composed {n_c} nodes, {b_c:>10,} bytes, {1e3 * best_time(composed):6.2f} ms")

# %% [markdown]
# Both keep one (B, C) array for backward — the probabilities or the log-probabilities — so the
# memory is the same and grows linearly in C, like the time: every score is exponentiated. The
# number of nodes matters only while C is small and per-node overhead dominates. The single node
# earns its place in the backward pass, where it applies one closed-form rule (softmax minus
# one-hot, module 06) instead of stepping back through the chain.
#
# For a language model the "classes" are the vocabulary, and the batch is every token of every
# sequence:

# %%
batch, seq, vocab = 8, 1024, 50_257  # GPT-2's vocabulary
print(f"logits for {batch}x{seq} tokens over {vocab:,} words: "
      f"{batch * seq * vocab * 4 / 2**30:.2f} GiB in float32, and the softmax kept for backward as much again")

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None  # plots are optional: the tables above say the same

if plt is not None:
    margins = np.linspace(-6, 6, 121)
    bce = [F.binary_cross_entropy_with_logits(tt.tensor([m]), tt.tensor([1.0])).item() for m in margins]
    mse = [F.mse_loss(F.sigmoid(tt.tensor([m])), tt.tensor([1.0])).item() for m in margins]
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(margins, bce, label="BCE from logits")
    ax.plot(margins, mse, label="MSE on sigmoid")
    ax.set_xlabel("logit x (target 1)")
    ax.set_ylabel("loss")
    ax.legend()
    fig.tight_layout()
    fig.savefig("05_losses.png", dpi=100)
    plt.close(fig)
    print("saved 05_losses.png")

# %% [markdown]
# ## 5. In the real world
#
# - `torch.nn.functional.cross_entropy` takes logits and combines log-softmax with the negative
#   log-likelihood, exactly to avoid the overflow you saw; its `ignore_index=-100` default is how
#   padding tokens are left out of a language model's loss.
# - PyTorch's documentation recommends `BCEWithLogitsLoss` over a `Sigmoid` followed by `BCELoss`
#   for numerical stability, and `BCELoss` clamps its logs at −100, as here.
# - For large vocabularies the logits dominate training memory, as your estimate shows. Production
#   training code computes the loss in chunks of tokens, or fuses the last matrix product with the
#   cross-entropy so that the full (tokens, vocabulary) matrix is never stored.
# - Label smoothing (`label_smoothing=0.1`) mixes the one-hot target with a uniform one; it was
#   popularised by Inception-v3 and the original Transformer.

# %% [markdown]
# ## 6. Reflect
#
# 1. At which margin did the naive formula first fail on your machine, and why at that size for
#    float32?
# 2. From your table: how many bytes per example do both versions keep for C classes, and which
#    (B, C) array is it in each? Which version was faster at C = 10, and at C = 32 000?
# 3. Using your timing for C = 32 000, estimate the loss time for the GPT-2 batch above.
# 4. At logit −10 with target 1, how many times larger is the BCE slope than the MSE slope? What
#    does that mean for how fast each one fixes a confident mistake?

# %% [markdown]
# ## 7. What breaks next
#
# Every slope in this lesson came from finite differences: two loss evaluations per number.
# That was fine for one logit. A small MLP has hundreds of thousands of weights:

# %%
model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
xb, yb = tt.rand(64, 784), tt.randint(0, 10, (64,))
with tt.no_grad():
    seconds = best_time(lambda: F.cross_entropy(model(xb), yb))
n = sum(p.numel() for p in model.parameters())
print(f"{n:,} weights x 2 evaluations x {1e3 * seconds:.2f} ms = {2 * n * seconds:.0f} s for one gradient")

# %% [markdown]
# Module 06 computes all of them in a single backward pass through the graph that the forward
# already records.
