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
# # Module 06 — Autograd: every gradient for the price of one more pass
#
# Training moves every weight a little downhill on the loss. That needs d(loss)/d(w) for every
# weight w, on every step. This module builds reverse-mode automatic differentiation: the graph
# of operations each tensor remembers, and the engine that walks it backwards.

# %% [markdown]
# ## 1. Why now
#
# Module 05 turned predictions into one number, the loss. Here is a small classifier (784 inputs,
# 256 hidden units, 10 classes) and its cross-entropy on a batch of 64, written out with tensor
# operations:

# %%
import sys
import time
from collections import Counter

import numpy as np

import tinytorch as tt
from tinytorch.nn import functional as F
from tinytorch.system import best_time

tt.manual_seed(0)
B, D, H, K = 64, 784, 256, 10  # batch, inputs, hidden units, classes
x = tt.randn(B, D)  # (B, D)
labels = tt.randint(0, K, (B,))  # (B,)
W1 = (tt.randn(D, H) * 0.05).requires_grad_()  # (D, H)
b1 = tt.zeros(H, requires_grad=True)  # (H,)
W2 = (tt.randn(H, K) * 0.05).requires_grad_()  # (H, K)
b2 = tt.zeros(K, requires_grad=True)  # (K,)
params = [W1, b1, W2, b2]


def forward(x: tt.Tensor, labels: tt.Tensor) -> tt.Tensor:
    hidden = (x @ W1 + b1).relu()  # (B, H)
    logits = hidden @ W2 + b2  # (B, K)
    log_probs = logits.log_softmax(dim=-1)  # (B, K)
    return -log_probs[tt.arange(len(x)), labels].mean()  # () cross-entropy


print("loss:", forward(x, labels).item())

# %% [markdown]
# Without autograd, the only way to get a gradient is to nudge each weight and watch the loss:
# d(loss)/dw ≈ (loss(w + h) − loss(w − h)) / 2h, two forward passes **per weight**.

# %%
def finite_difference(p: tt.Tensor, index: tuple[int, ...], h: float = 1e-2) -> float:
    with tt.no_grad():
        original = p.data[index]
        p.data[index] = original + h
        up = forward(x, labels).item()
        p.data[index] = original - h
        down = forward(x, labels).item()
        p.data[index] = original
    return (up - down) / (2 * h)


n_params = sum(p.numel() for p in params)
t_forward = best_time(lambda: forward(x, labels), repeat=10)
print(f"d loss / d W2[0, 0] ~ {finite_difference(W2, (0, 0)):.5f}")
print(f"{n_params:,} weights x 2 forwards x {1e3 * t_forward:.2f} ms = "
      f"{2 * n_params * t_forward / 60:.0f} minutes for ONE gradient")

# %% [markdown]
# Minutes per step, and training takes thousands of steps. Reverse-mode differentiation gets all
# of them in one backward pass that costs about as much as the forward.

# %% [markdown]
# ## 2. The idea
#
# **The graph.** When an input requires a gradient, every operation records a `Function` node:
# the result's `.grad_fn`. The node keeps its inputs (`.inputs`) and whatever its derivative
# will need (a product keeps both factors; `exp` keeps its output).

# %%
a = tt.tensor([1.0, 2.0], requires_grad=True)
c = (a * 3).exp().sum()
node = c.grad_fn
while node is not None:
    saved = {k: v.shape for k, v in vars(node).items() if isinstance(v, np.ndarray)}
    print(f"{node.name:6s} saved arrays: {saved}")
    parents = [t.grad_fn for t in node.inputs if t is not None and t.grad_fn is not None]
    node = parents[0] if parents else None

# %% [markdown]
# **The chain rule, backwards.** Start with d(loss)/d(loss) = 1 at the output. Each node receives
# d(loss)/d(its output) and returns d(loss)/d(each input) using only its local derivative. For a
# matrix product `out (n, m) = a (n, k) @ b (k, m)`:
#
# - grad_a = grad (n, m) @ bᵀ (m, k) → (n, k)
# - grad_b = aᵀ (k, n) @ grad (n, m) → (k, m)
#
# Two matrix products of the forward's size: that is why a backward costs about twice a forward
# (less when an input, like the data, needs no gradient and its product is skipped).
#
# **Broadcasting, backwards.** `b1 (H,)` was added to every one of B rows, so it influenced B
# outputs: its gradient is the **sum** over the stretched axis. **A tensor used twice** gets the
# sum of both contributions:

# %%
a = tt.tensor(3.0, requires_grad=True)
(a * a + a).backward()  # d/da (a² + a) = 2a + 1
print("d(a*a + a)/da at 3:", a.grad.item())

bias = tt.zeros(4, requires_grad=True)  # (4,)
(tt.ones(5, 4) + bias).sum().backward()  # broadcast over 5 rows
print("bias gradient (summed over 5 rows):", bias.grad)

# %% [markdown]
# **Order matters.** A node may send its gradient on only when *every* consumer of its output has
# contributed. Walking the graph recursively, path by path, repeats shared work: in
# `y = y + y` repeated d times there are 2^d paths but only d nodes.

# %%
def count_paths(node) -> int:
    """Visits made by a backward that follows every path separately (no topological order)."""
    return 1 + sum(count_paths(t.grad_fn) for t in node.inputs if t is not None and t.grad_fn is not None)


y = tt.tensor(1.0, requires_grad=True)
for _ in range(16):
    y = y + y
print(f"nodes: {len(tt.autograd.topological_order(y.grad_fn))}   path-by-path visits: {count_paths(y.grad_fn):,}")

# %% [markdown]
# A **topological order** visits each node once, after all of its consumers. Computing it with an
# explicit stack rather than recursion also avoids Python's recursion limit
# (`sys.getrecursionlimit()` is 1000 by default), which a deep network or a long RNN would hit.

# %% [markdown]
# ## 3. Build it
#
# Write the bodies marked for module 06. The engine first:
#
# | file | function | what it must do |
# |------|----------|-----------------|
# | `tinytorch/autograd/engine.py` | `unbroadcast` | sum `grad` over the axes broadcasting added or stretched, so it gets the input's `shape` |
# | `tinytorch/autograd/engine.py` | `topological_order` | every Function reachable from `root`, each before the Functions that produced its inputs; iterative (a 100 000-node chain must work) |
# | `tinytorch/autograd/engine.py` | `accumulate` | add a gradient to what a tensor already received: pending for an inner node, `.grad` for a leaf, the captured result for `autograd.grad` |
# | `tinytorch/ops.py` | `Add.backward`, `Sub.backward`, `Mul.backward`, `Div.backward`, `Neg.backward`, `Pow.backward`, `Exp.backward`, `Log.backward`, `Sqrt.backward`, `Abs.backward` | the local derivative of each element-wise op (see its docstring), `None` for an input that needs no gradient |
# | `tinytorch/ops.py` | `ReLU.backward`, `LeakyReLU.backward`, `Sigmoid.backward`, `Tanh.backward`, `GELU.backward`, `SiLU.backward`, `Softmax.backward`, `LogSoftmax.backward` | the activations of module 03, differentiated from what their forward saved |
# | `tinytorch/ops.py` | `MatMul.backward` | grad @ bᵀ and aᵀ @ grad, including 1-D and batched operands |
# | `tinytorch/ops.py` | `Sum.backward`, `Mean.backward`, `Max.backward` | spread the gradient back over the reduced axes (the mean divides, the max picks the winners: `amax` splits ties, `max(dim)` gives all to the index it returns) |
# | `tinytorch/ops.py` | `Reshape.backward`, `Permute.backward`, `GetItem.backward`, `Cat.backward` | move the gradient back where the data came from (getitem adds where an index repeats) |
# | `tinytorch/nn/functional.py` | `LinearFunction.backward` | grad @ W, gradᵀ @ x summed over every leading dim, and the bias gradient as a sum over rows |
# | `tinytorch/nn/functional.py` | `CrossEntropy.backward`, `BinaryCrossEntropy.backward`, `BinaryCrossEntropyWithLogits.backward` | the closed forms in the docstrings (for cross-entropy: softmax minus the target distribution), scaled by the reduction |
#
# Check with `tito module test 6`; then `tito milestone run 2` trains a network on XOR with your
# gradients.

# %% [markdown]
# ## 4. Measure it
#
# ### The graph of one training step

# %%
def graph_stats(loss: tt.Tensor, leaves: list[tt.Tensor]) -> tuple[Counter, int, int]:
    """(nodes per type, bytes saved for backward, of which intermediate activations)."""
    nodes = tt.autograd.topological_order(loss.grad_fn)
    leaf_arrays = {id(t.data) for t in leaves}
    seen, saved, activations = set(), 0, 0
    for node in nodes:
        for value in vars(node).values():
            if isinstance(value, np.ndarray):
                owner = value if value.base is None else value.base  # count a view's buffer once
                if id(owner) in seen:
                    continue
                seen.add(id(owner))
                saved += owner.nbytes
                activations += 0 if id(owner) in leaf_arrays else owner.nbytes
    return Counter(node.name for node in nodes), saved, activations


loss = forward(x, labels)
kinds, saved, activations = graph_stats(loss, params + [x])
param_bytes = sum(p.nbytes() for p in params)
print(f"{sum(kinds.values())} Function nodes: {dict(kinds)}")
print(f"saved for backward: {saved:,} bytes, of which {activations:,} are intermediate activations")
print(f"parameters: {param_bytes:,} bytes")

# %% [markdown]
# Weights and the input are referenced, not copied; the intermediate activations exist only
# because a backward will need them. They grow with the batch, the parameters do not:

# %%
batches, activation_bytes = [16, 64, 256, 1024], []
for batch in batches:
    xb, yb = tt.randn(batch, D), tt.randint(0, K, (batch,))
    _, _, act = graph_stats(forward(xb, yb), params + [xb])
    activation_bytes.append(act)
    print(f"B = {batch:5d}: activations saved {act:>12,} bytes  ({act / batch:,.0f} per example)")

# %% [markdown]
# ### Forward, backward, and forward without a graph

# %%
def step() -> None:
    for p in params:
        p.grad = None
    forward(x, labels).backward()


def inference() -> None:
    with tt.no_grad():
        forward(x, labels)


t_forward = best_time(lambda: forward(x, labels), repeat=10)
t_step, t_nograd = best_time(step, repeat=10), best_time(inference, repeat=10)
t_backward = t_step - t_forward
print(f"forward (records graph) {1e3 * t_forward:6.3f} ms")
print(f"backward                {1e3 * t_backward:6.3f} ms  ({t_backward / t_forward:.1f}x the forward)")
print(f"forward under no_grad   {1e3 * t_nograd:6.3f} ms  (no nodes, nothing saved)")
print(f"one gradient: {1e3 * t_step:.2f} ms, vs {2 * n_params * t_forward / 60:.0f} minutes by finite differences")

# %% [markdown]
# ### One node or a chain, with the backward included
#
# Module 05 timed `F.cross_entropy` (one node) against `F.nll_loss(F.log_softmax(z))` (a chain)
# forward only. A training step also runs the backward:

# %%
for C in (10, 1_000, 32_000):
    z = tt.randn(64, C, requires_grad=True)  # (B, C) logits
    y = tt.randint(0, C, (64,))  # (B,)

    def fused() -> None:
        z.grad = None
        F.cross_entropy(z, y).backward()

    def chain() -> None:
        z.grad = None
        F.nll_loss(F.log_softmax(z, dim=1), y).backward()

    t_fused, t_chain = best_time(fused, repeat=10), best_time(chain, repeat=10)
    print(f"C = {C:6,d}: fused {1e3 * t_fused:7.2f} ms   chain {1e3 * t_chain:7.2f} ms   ({t_chain / t_fused:.1f}x)")

# %% [markdown]
# The chain's backward scatters the picked log-probabilities into a zero (B, C) array, then
# multiplies and sums its way back through log-softmax; the fused node writes softmax − one-hot
# in one pass over the (B, C) array it kept.
#
# ### A chain 100 000 operations deep
#
# A recursive engine would stop at depth ~1000. Yours is iterative:

# %%
x0 = tt.tensor(2.0, requires_grad=True)
start = time.perf_counter()
y = x0
for _ in range(100_000):
    y = y * 1.0
built = time.perf_counter() - start
start = time.perf_counter()
y.backward()
walked = time.perf_counter() - start
print(f"recursion limit {sys.getrecursionlimit()}; chain of 100,000 nodes: forward {built:.2f} s, "
      f"backward {walked:.2f} s ({1e6 * walked / 100_000:.1f} us per node); grad = {x0.grad.item()}")

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None  # plots are optional: the table above says the same

if plt is not None:
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(batches, [b / 2**20 for b in activation_bytes], marker="o", label="activations saved")
    ax.axhline(param_bytes / 2**20, color="gray", linestyle="--", label="parameters")
    ax.set_xlabel("batch size B")
    ax.set_ylabel("MiB")
    ax.legend()
    fig.tight_layout()
    fig.savefig("06_graph_memory.png", dpi=100)
    plt.close(fig)
    print("saved 06_graph_memory.png")

# %% [markdown]
# ## 5. In the real world
#
# - PyTorch builds the same graph (`t.grad_fn`, `grad_fn.next_functions`) and its C++ engine
#   walks it without recursion: it counts each node's dependencies first and runs a node when its
#   count drops to zero, which is a topological order computed on the fly.
# - What a node saves is visible (`grad_fn._saved_self`, `_saved_other`) and hookable:
#   `torch.autograd.graph.saved_tensors_hooks` can compress saved activations or move them to
#   CPU memory. Activation memory, not weights, limits the batch size of large models.
# - Activation checkpointing (`torch.utils.checkpoint`) saves only some activations and recomputes
#   the others during backward: more FLOPs, less memory — the trade your measurements price.
# - `torch.no_grad()` and `torch.inference_mode()` skip recording entirely, as here. The graph is
#   freed by backward unless `retain_graph=True`, as here.

# %% [markdown]
# ## 6. Reflect
#
# 1. From your numbers: how many bytes of activations does one example cost this network? At what
#    batch size would they exceed the parameters?
# 2. The backward took about how many times the forward? Which matrix products does it run, and
#    which one is skipped because `x` needs no gradient?
# 3. How many nodes and bytes does `no_grad` save during evaluation, and why is it safe there?
# 4. How many microseconds does each node of the deep chain cost? What part of that is arithmetic?

# %% [markdown]
# ## 7. What breaks next
#
# You now have every gradient, but everything above ran on one fixed batch made up on the spot.
# Real training streams thousands of examples, shuffled, in batches, each turned into tensors the
# same way. Module 07 builds the `Dataset` and `DataLoader` that feed the loop; module 08 then
# replaces the hand-written `w -= lr * w.grad` with optimizers that converge faster.
