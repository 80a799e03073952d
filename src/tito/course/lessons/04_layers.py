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
# # Module 04 — Layers: modules, parameters, and the right starting scale
#
# A model is a tree of layers, each owning its weights. This module builds the `Module` base class
# that finds, names, saves and switches every weight in that tree; the `Linear` layer; `Sequential`
# and `Dropout`; and the initialisers that give a deep network a starting point it can train from.

# %% [markdown]
# ## 1. Why now
#
# Module 03 ended with weights as loose tensors. A three-layer network that way:

# %%
import tinytorch as tt
from tinytorch import nn
from tinytorch.system import best_time

tt.manual_seed(0)
W1, b1 = tt.randn(784, 256), tt.zeros(256)
W2, b2 = tt.randn(256, 256), tt.zeros(256)
W3, b3 = tt.randn(256, 10), tt.zeros(10)


def mlp(x, W1, b1, W2, b2, W3, b3):  # every weight passed by hand, in the right order
    return (((x @ W1 + b1).relu() @ W2 + b2).relu()) @ W3 + b3


logits = mlp(tt.rand(32, 784), W1, b1, W2, b2, W3, b3)  # (32, 10)
print("logit std:", logits.std().item())

# %% [markdown]
# Two problems. The bookkeeping: saving, counting, updating or switching these weights to
# evaluation mode means listing all six by hand, and a bias left out of one list silently never
# trains. And the scale: with N(0, 1) weights each layer multiplies the signal's size by about
# √(fan_in / 2), so the logits come out in the thousands, and softmax of such logits is a one-hot
# vector whose gradient is almost zero.

# %% [markdown]
# ## 2. The idea
#
# **`Parameter`** is a tensor marked as learnable (`requires_grad=True`). **`Module`** watches its
# own attribute assignments (`__setattr__`): a Parameter or a sub-Module assigned to `self.x` is
# registered, so the tree can be walked later. Names follow the attribute path:

# %%
class TwoLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(4, 8)  # registered as a sub-module
        self.out = nn.Linear(8, 2)
        self.scale = nn.Parameter(tt.ones(2))  # registered as a parameter
        self.note = "not a tensor"  # a plain attribute

    def forward(self, x: tt.Tensor) -> tt.Tensor:  # (B, 4) -> (B, 2)
        return self.out(self.hidden(x).relu()) * self.scale


model = TwoLayer()
for name, p in model.named_parameters():
    print(f"{name:14s} {str(p.shape):10s} requires_grad={p.requires_grad}")

# %% [markdown]
# **`Linear(in, out)`** computes y = x Wᵀ + b with W of shape (out, in), PyTorch's layout:
# input (*, in) → output (*, out), every leading dimension a batch. It costs 2·in·out FLOPs per
# example and holds (in + 1)·out parameters. **`Sequential`** runs modules in order.
# **`Dropout(p)`** zeroes each element with probability p while training and scales the survivors
# by 1/(1 − p), so the expected value is unchanged and evaluation can pass inputs through as is.
#
# **Initialisation.** For y = Σᵢ wᵢxᵢ over fan_in independent terms with zero mean,
# Var(y) = fan_in · Var(w) · Var(x). To keep Var(y) = Var(x), choose Var(w) = 1 / fan_in; ReLU
# zeroes half its inputs, so it needs twice that (Kaiming/He: Var(w) = 2 / fan_in). Xavier/Glorot
# averages the forward and backward needs: Var(w) = 2 / (fan_in + fan_out). A uniform U(−a, a) has
# variance a²/3, which turns each variance into a bound.

# %% [markdown]
# ## 3. Build it
#
# Write the bodies marked for module 04:
#
# | file | function | what it must do |
# |------|----------|-----------------|
# | `tinytorch/nn/module.py` | `Module.__setattr__` | register a Parameter or Module assigned as an attribute; assigning `None` to a registered name clears it; a wrong type for a registered name is a `TypeError`; buffers stay up to date; anything else is a plain attribute |
# | `tinytorch/nn/module.py` | `Module.named_modules` | this module and all below it, depth first, with dotted names (`""` for self), each once |
# | `tinytorch/nn/module.py` | `Module._named_members` | (dotted name, tensor) for the parameters or buffers of every module, skipping `None` and repeats of a shared tensor |
# | `tinytorch/nn/module.py` | `Module.state_dict` | every parameter and persistent buffer by dotted name, detached, sharing memory with the model |
# | `tinytorch/nn/module.py` | `Sequential.forward` | feed the input through each module in order |
# | `tinytorch/nn/init.py` | `_calculate_fan_in_and_fan_out` | (fan_in, fan_out) of a weight: (in, out) for Linear's (out, in); a conv weight multiplies both by kh·kw |
# | `tinytorch/nn/init.py` | `xavier_uniform_` | fill with U(−a, a), a = gain·√(6 / (fan_in + fan_out)) |
# | `tinytorch/nn/init.py` | `kaiming_uniform_` | fill with U(−b, b), b = gain·√(3 / fan), the gain from `calculate_gain` |
# | `tinytorch/nn/linear.py` | `Linear.reset_parameters` | PyTorch's default: W by `kaiming_uniform_(a=√5)`, b ~ U(−1/√in, 1/√in) |
# | `tinytorch/nn/linear.py` | `Linear.forward` | call `F.linear` |
# | `tinytorch/nn/functional.py` | `LinearFunction.forward` | x @ Wᵀ + b for x of shape (*, in), as one graph node; save what backward needs |
# | `tinytorch/nn/functional.py` | `dropout` | identity when not training or p = 0; otherwise a keep-mask drawn from the generator, survivors scaled by 1/(1 − p) |
#
# Check with `tito module test 4`; then `tito milestone run 1` runs Rosenblatt's 1957
# perceptron on your `Linear`.

# %% [markdown]
# ## 4. Measure it
#
# ### Parameters, bytes and FLOPs of a model

# %%
model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
print(model)
n_params = sum(p.numel() for p in model.parameters())
param_bytes = sum(p.nbytes() for p in model.parameters())
flops = sum(2 * m.in_features * m.out_features for m in model.modules() if isinstance(m, nn.Linear))
print(f"{n_params:,} parameters = {param_bytes / 2**20:.2f} MiB in float32; "
      f"{flops / 1e6:.2f} MFLOPs per example (matrix products only)")
print("state_dict keys:", list(model.state_dict()))

# %% [markdown]
# ### Throughput grows with the batch, then stops growing

# %%
batches, throughput = [1, 8, 64, 512], []
with tt.no_grad():
    for batch in batches:
        xb = tt.rand(batch, 784)
        seconds = best_time(lambda: model(xb), repeat=10)
        throughput.append(batch / seconds)
        print(f"B = {batch:4d}: {1e3 * seconds:7.3f} ms per batch  {throughput[-1]:>10,.0f} examples/s  "
              f"{flops * batch / seconds / 1e9:6.2f} GFLOP/s")

# %% [markdown]
# At batch 1 every layer pays Python and dispatch overhead for very little arithmetic; larger
# batches amortise it until the matrix products run at the BLAS speed you measured in module 01.
#
# ### Signal size through depth, by initialisation

# %%
def activation_stds(init: str, depth: int = 12, width: int = 256) -> list[float]:
    """Std of the activations after each Linear+ReLU block, for one way of initialising."""
    h = tt.randn(512, width)  # (B, width), std 1
    stds = []
    with tt.no_grad():
        for _ in range(depth):
            layer = nn.Linear(width, width)  # PyTorch's default init
            if init == "normal(0, 1)":
                nn.init.normal_(layer.weight)
            elif init == "kaiming":
                nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)
            h = layer(h).relu()
            stds.append(h.std().item())
    return stds


curves = {init: activation_stds(init) for init in ("normal(0, 1)", "default", "kaiming")}
for init, stds in curves.items():
    print(f"{init:13s} layer 1: {stds[0]:10.3g}   layer 6: {stds[5]:10.3g}   layer 12: {stds[-1]:10.3g}")

# %% [markdown]
# N(0, 1) grows by about √(256/2) ≈ 11 per layer; PyTorch's default (`a=√5`, a variance of
# 1/(3·fan_in)) shrinks the signal by about √6 per ReLU layer; Kaiming keeps it steady. Twelve
# layers turn those factors into many orders of magnitude.

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None  # plots are optional: the table above says the same

if plt is not None:
    fig, ax = plt.subplots(figsize=(5, 3))
    for init, stds in curves.items():
        ax.semilogy(range(1, len(stds) + 1), stds, marker="o", label=init)
    ax.set_xlabel("layer")
    ax.set_ylabel("activation std")
    ax.legend()
    fig.tight_layout()
    fig.savefig("04_init_depth.png", dpi=100)
    plt.close(fig)
    print("saved 04_init_depth.png")

# %% [markdown]
# ### Dropout keeps the mean

# %%
drop = nn.Dropout(p=0.25)
ones = tt.ones(1000, 1000)
dropped = drop(ones)
print(f"training: {(dropped == 0).float().mean().item():.3f} zeroed, mean {dropped.mean().item():.3f}")
drop.eval()
print("evaluation: identity =", drop(ones).equal(ones))

# %% [markdown]
# ## 5. In the real world
#
# - `torch.nn.Module` registers parameters in `__setattr__` just like this, and `state_dict()` keys
#   (`0.weight`, `encoder.layers.3.attn.q_proj.bias`) are how checkpoints from one program load
#   into another.
# - `nn.Linear`'s default initialisation is `kaiming_uniform_(a=√5)`, which you measured
#   shrinking the signal; PyTorch keeps it because changing it would change every model that
#   relies on it. Code that cares initialises explicitly, as GPT-2 and ResNet implementations do.
# - The FLOP count you computed by hand is what `torch.utils.flop_counter.FlopCounterMode` counts
#   automatically; for a large language model, ~2 FLOPs per parameter per token for a forward is
#   the rule of thumb used to plan training budgets.

# %% [markdown]
# ## 6. Reflect
#
# 1. How many parameters and bytes does the MLP above hold? Which layer holds most of them, and
#    which dominates the FLOPs?
# 2. From your throughput table: how many times more examples per second at B = 512 than at
#    B = 1? What limits the small batches?
# 3. By what factor per layer did each initialisation change the std? Derive the factor for
#    PyTorch's default from Var(w) = 1/(3·fan_in).
# 4. Dropout scaled the survivors by 1/(1 − p). What would go wrong at evaluation time without it?

# %% [markdown]
# ## 7. What breaks next
#
# The model now produces 10 scores per example. To improve it we need one number saying how
# wrong the scores are — and "accuracy" will not do: nudge a weight and it does not move at all,
# so it has no slope to follow.

# %%
xb, yb = tt.rand(64, 784), tt.randint(0, 10, (64,))
with tt.no_grad():
    before = (model(xb).argmax(dim=1) == yb).float().mean().item()
    model[0].weight.data[0, 0] += 1e-3
    after = (model(xb).argmax(dim=1) == yb).float().mean().item()
print(f"accuracy before {before:.4f}, after nudging a weight {after:.4f}: change {after - before}")

# %% [markdown]
# Module 05 builds the smooth measures of error — mean squared error and cross-entropy — that
# change with every weight, and computes them without overflowing.
