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
# # Module 03 — Activations: the bend that makes depth worth having
#
# A network is matrix products with a simple non-linear function between them. This module
# builds those functions — ReLU, LeakyReLU, Sigmoid, Tanh, GELU, SiLU — and the softmax that turns
# scores into probabilities, written so that no input can make them overflow.

# %% [markdown]
# ## 1. Why now
#
# Module 02 ended with two matrix products collapsing into one. Ten do too: a stack of linear
# layers is one linear map, however deep.

# %%
import math

import numpy as np

import tinytorch as tt
from tinytorch.nn import functional as F
from tinytorch.system import best_time

tt.manual_seed(0)
layers = [tt.randn(16, 16) / 4 for _ in range(10)]  # ten (16, 16) "layers"
x = tt.randn(16)
deep = x
for W in layers:
    deep = W @ deep
collapsed = layers[0]
for W in layers[1:]:
    collapsed = W @ collapsed  # one (16, 16) matrix
print("10 layers == 1 matrix:", np.allclose(deep.data, (collapsed @ x).data, atol=1e-5))

# %% [markdown]
# And a linear map cannot represent even XOR. The best linear fit (least squares, with a bias)
# predicts 0.5 for every point:

# %%
points = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)  # (4, 2 inputs + bias)
xor = np.array([0, 1, 1, 0], dtype=np.float64)
weights, *_ = np.linalg.lstsq(points, xor, rcond=None)
print("best linear predictions for XOR:", np.round(points @ weights, 3))

# %% [markdown]
# ## 2. The idea
#
# Put a non-linear function f between the products: `f(W2 @ f(W1 @ x))` no longer collapses.
# The common choices are element-wise (shape in = shape out, e.g. (B, H) → (B, H)):
#
# | name | f(x) | used in |
# |------|------|---------|
# | ReLU | max(x, 0) | most CNNs |
# | LeakyReLU | x if x > 0 else a·x (a = 0.01) | GANs, where dead units hurt |
# | Sigmoid | 1 / (1 + e⁻ˣ) | gates, binary outputs |
# | Tanh | (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ) | RNNs |
# | GELU | x · Φ(x), Φ the standard normal CDF | BERT, GPT |
# | SiLU | x · sigmoid(x) | modern LLMs (inside SwiGLU) |

# %%
grid = tt.linspace(-3, 3, 7)
for name, fn in [("relu", F.relu), ("leaky_relu", F.leaky_relu), ("sigmoid", F.sigmoid),
                 ("tanh", F.tanh), ("gelu", F.gelu), ("silu", F.silu)]:
    print(f"{name:10s}", np.round(fn(grid).data, 3) + 0.0)  # + 0.0 turns -0.0 into 0.0

# %% [markdown]
# **Formulas that overflow.** The sigmoid as written computes e⁻ˣ, which is `inf` in float32 for
# x < −88.7. The result happens to survive (1 / inf = 0), but the same trick in softmax does not:

# %%
logits = np.array([1000.0, 1001.0, 1002.0], dtype=np.float32)  # (C,) large but ordinary scores
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp(logits) / np.exp(logits).sum()
print("naive softmax:", naive)

# %% [markdown]
# The fix uses an identity: softmax(x) = softmax(x − c) for any constant c, because e⁻ᶜ cancels
# between numerator and denominator. With c = max(x) every exponent is ≤ 0, so nothing overflows,
# and the largest term is exactly 1, so the sum is ≥ 1 and nothing divides by zero.
#
# **Log-softmax** has the opposite problem: log(softmax) of a very unlikely class is log(0).
# Write it as x − logsumexp(x), with logsumexp(x) = m + log Σ e^(x − m), m = max(x):

# %%
scores = np.array([0.0, -200.0], dtype=np.float32)
with np.errstate(divide="ignore"):
    print("log(softmax) naive :", np.log(np.exp(scores) / np.exp(scores).sum()))
print("x - logsumexp(x)   :", scores - (scores.max() + np.log(np.exp(scores - scores.max()).sum())))

# %% [markdown]
# The same care applies to the sigmoid: with e = e^(−|x|) (never above 1), sigmoid(x) is
# 1 / (1 + e) for x ≥ 0 and e / (1 + e) for x < 0. Both branches are exact; neither overflows.
#
# Each activation also saves what its backward (module 06) will need: ReLU a mask of the positive
# inputs, Sigmoid and Tanh their output, GELU and SiLU their input and an intermediate.

# %% [markdown]
# ## 3. Build it
#
# Write the forward passes marked for module 03 (the backward passes wait for module 06):
#
# | file | function | what it must do |
# |------|----------|-----------------|
# | `tinytorch/ops.py` | `ReLU.forward` | max(a, 0); save the mask of positive inputs in `self.positive` |
# | `tinytorch/ops.py` | `LeakyReLU.forward` | a, or `negative_slope`·a where a ≤ 0; save the per-element factor in `self.scale` (in a's dtype) |
# | `tinytorch/ops.py` | `Sigmoid.forward` | the two-branch formula above, never overflowing; save `self.out`; keep a's dtype |
# | `tinytorch/ops.py` | `Tanh.forward` | tanh(a); save `self.out` |
# | `tinytorch/ops.py` | `GELU.forward` | a·Φ(a) with Φ(a) = (1 + erf(a/√2)) / 2 using `_erf` (save `self.cdf`), or for `approximate="tanh"` 0.5·a·(1 + tanh(√(2/π)(a + 0.044715a³))) (save the tanh in `self.t`) |
# | `tinytorch/ops.py` | `SiLU.forward` | a·sigmoid(a), reusing the stable sigmoid; save `self.a` and the sigmoid in `self.s` |
# | `tinytorch/ops.py` | `Softmax.forward` | exp(a − max) / sum along `dim`; save `self.out` |
# | `tinytorch/ops.py` | `LogSoftmax.forward` | (a − max) − log(sum(exp(a − max))) along `dim`; save `self.out` |
#
# Check with `tito module test 3`.

# %% [markdown]
# ## 4. Measure it
#
# ### Stability, on your code

# %%
big = tt.tensor([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])  # (2, 3)
print("softmax    :", F.softmax(big, dim=-1))
print("log_softmax:", F.log_softmax(big, dim=-1))
print("sigmoid at -1000, 0, 1000:", F.sigmoid(tt.tensor([-1000.0, 0.0, 1000.0])))

# %% [markdown]
# ### Time and memory per activation
#
# One million float32 inputs (4 MB). Each function reads them and writes 4 MB of output; the
# bytes "saved" are what its graph node keeps for the backward pass when the input requires a
# gradient (look inside the node with `vars(y.grad_fn)`).

# %%
N = 1_000_000
x = tt.randn(1000, N // 1000, requires_grad=True)  # (1000, 1000)
candidates = {
    "relu": F.relu, "leaky_relu": F.leaky_relu, "sigmoid": F.sigmoid, "tanh": F.tanh,
    "gelu": F.gelu, "gelu (tanh)": lambda t: F.gelu(t, approximate="tanh"), "silu": F.silu,
    "softmax": lambda t: F.softmax(t, dim=-1), "log_softmax": lambda t: F.log_softmax(t, dim=-1),
}
results = {}
for name, fn in candidates.items():
    seconds = best_time(lambda: fn(x))
    node = fn(x).grad_fn
    saved = sum(v.nbytes for v in vars(node).values() if isinstance(v, np.ndarray) and v is not x.data)
    results[name] = seconds
    print(f"{name:12s} {1e3 * seconds:7.2f} ms  {1e9 * seconds / N:6.2f} ns/element  "
          f"saves {saved / N:3.0f} bytes/element beyond the input")

# %% [markdown]
# ReLU is one comparison and one multiply; GELU evaluates a polynomial and an exponential per
# element. Both touch the same bytes, so the gap between them is arithmetic, not memory. The
# tanh approximation of GELU was introduced to be cheaper on GPUs: check whether it is cheaper
# here, and by how much it differs from the exact formula.

# %%
exact = F.gelu(x).data
approx = F.gelu(x, approximate="tanh").data
print(f"GELU tanh approximation: max |error| = {np.abs(exact - approx).max():.2e}, "
      f"time ratio approx / exact = {results['gelu (tanh)'] / results['gelu']:.2f}")

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None  # plots are optional: the printed values above say the same

if plt is not None:
    curve = tt.linspace(-4, 4, 200)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name in ("relu", "leaky_relu", "sigmoid", "tanh", "gelu", "silu"):
        ax.plot(curve.data, candidates[name](curve).data, label=name)
    ax.set_xlabel("x")
    ax.set_ylim(-1.5, 4)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig("03_activations.png", dpi=100)
    plt.close(fig)
    print("saved 03_activations.png")

# %% [markdown]
# ## 5. In the real world
#
# - PyTorch's activations are fused, vectorised kernels: one pass over memory per function. For
#   ReLU, the backward reads the *output* (positive where the input was positive), so no separate
#   mask is stored, and `nn.ReLU(inplace=True)` overwrites its input to save one more buffer.
# - `F.softmax` and `F.log_softmax` subtract the maximum exactly as here; `F.cross_entropy` fuses
#   log-softmax with the loss so the probabilities of the wrong classes are never rounded to 0.
# - `F.gelu(x, approximate="tanh")` exists for compatibility with models trained that way
#   (GPT-2's original code used it). Large language models today mostly use SiLU inside a gated
#   block (SwiGLU), which costs a third weight matrix per feed-forward layer.

# %% [markdown]
# ## 6. Reflect
#
# 1. From your table: which activation costs the most per element, and how many times ReLU?
#    In a layer with a (4096, 4096) matrix product, what fraction of the time would that be?
# 2. How many bytes per element does each activation keep for backward? For a batch of 64 with
#    4096 hidden units and 24 layers, how many MB is that for GELU versus ReLU?
# 3. Above which logit size does the naive float32 softmax produce `nan`? Why exactly there?
# 4. Was the tanh approximation of GELU faster on your machine? Give one reason a formula with
#    fewer "expensive" functions can still be slower in NumPy.

# %% [markdown]
# ## 7. What breaks next
#
# With activations, depth pays — but the weights are still loose tensors managed by hand, and
# their scale is a guess. Push a batch through 20 layers of `tanh(W @ h)` with weights drawn from
# N(0, 1), then with the scale divided by √fan_in:

# %%
h0 = tt.randn(256, 64)  # (features, batch)
for label, scale in [("N(0, 1)", 1.0), ("N(0, 1/fan_in)", 1 / math.sqrt(256))]:
    h = h0
    for _ in range(20):
        h = F.tanh((tt.randn(256, 256) * scale) @ h)
    saturated = (h.abs() > 0.99).float().mean().item()
    print(f"weights {label:15s}: after 20 layers std {h.std().item():.3f}, {saturated:.0%} of units saturated")

# %% [markdown]
# With N(0, 1) almost every unit ends up pinned at ±1, where tanh is flat and passes back no
# gradient. With 1/fan_in the units stay alive but the signal shrinks layer after layer (tanh
# needs a gain of 5/3 on top). Module 04 packages weights into `Module`s and `Linear` layers that
# count, name and initialise them at the right scale.
