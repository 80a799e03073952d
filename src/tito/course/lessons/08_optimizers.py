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
# # Module 08 — Optimizers: better steps, and the memory they cost
#
# Autograd tells every weight which way is downhill; the optimizer decides how far to go. This
# module builds SGD with momentum and weight decay, RMSprop, Adam and AdamW, learning-rate
# schedules and gradient clipping — and measures what each one buys in steps and costs in memory.

# %% [markdown]
# ## 1. Why now
#
# So far the update was `w -= lr * w.grad`. Fit a linear model whose two input features have very
# different scales (standard deviations 1 and 10). The loss is a long, narrow valley:

# %%
import numpy as np

import tinytorch as tt
from tinytorch import nn, optim
from tinytorch.nn import functional as F
from tinytorch.system import best_time

tt.manual_seed(0)
X = tt.randn(256, 2) * tt.tensor([1.0, 10.0])  # (N, 2): features of scale 1 and 10
Y = X @ tt.tensor([[2.0], [-3.0]])  # (N, 1): the weights to find are (2, -3)


def plain_descent(lr: float, steps: int) -> list[float]:
    w = tt.zeros(2, 1, requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = F.mse_loss(X @ w, Y)
        losses.append(loss.item())
        w.grad = None
        loss.backward()
        with tt.no_grad():
            w -= lr * w.grad
    return losses


for lr in (0.0012, 0.009, 0.0105):
    losses = plain_descent(lr, steps=40)
    print(f"lr {lr:<7}: loss after 10 steps {losses[10]:10.3f}, after 40 {losses[-1]:12.3f}")

# %% [markdown]
# The steep direction (curvature ≈ 2·10² = 200) caps the learning rate at 2/200 = 0.01: just above
# it the loss grows at every step. Just below it, the flat direction (curvature ≈ 2) still moves
# only 2% of the way per step. One learning rate cannot suit both directions.

# %% [markdown]
# ## 2. The idea
#
# **Momentum** keeps a running sum of past gradients, v ← μv + g, and steps along it: p ← p − lr·v.
# Oscillations across the valley cancel out in v while the steady push along it accumulates, up to
# 1/(1 − μ) = 10 times for μ = 0.9. **Nesterov** momentum evaluates the push one step ahead
# (g + μv), which damps overshooting. **Weight decay** adds λp to the gradient (an L2 penalty).
#
# **Adaptive methods** give every weight its own step size. RMSprop divides the gradient by a
# running root-mean-square of its recent values; **Adam** does the same and also smooths the
# gradient itself:
#
#   m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²,   p ← p − lr · m̂ / (√v̂ + ε)
#
# where m̂ = m/(1 − β₁ᵗ) and v̂ = v/(1 − β₂ᵗ) undo the bias of starting m and v at zero. Each
# weight moves by about lr whatever its gradient's scale. **AdamW** applies weight decay directly
# to the weights (p ← p − lr·λp) instead of through the adaptive division, so every weight decays
# alike.
#
# **The cost:** the optimizer keeps state per parameter, of the parameter's shape. SGD keeps
# nothing, momentum one buffer, Adam two (m and v).
#
# **Schedules** change lr over training: large steps early, small at the end (step decay, cosine),
# often after a short warm-up. **Gradient clipping** rescales all gradients together when their
# joint norm exceeds a limit, so one bad batch cannot throw the weights far away.

# %% [markdown]
# ## 3. Build it
#
# Write the bodies marked for module 08:
#
# | file | function | what it must do |
# |------|----------|-----------------|
# | `tinytorch/optim/sgd.py` | `SGD.step` | for each parameter with a gradient: maximize, weight decay, momentum buffer (started at g; dampening), Nesterov, then p ← p − lr·v, in place |
# | `tinytorch/optim/rmsprop.py` | `RMSprop.step` | the running mean of g² (and of g when centered), the division by its root plus eps, momentum, in place |
# | `tinytorch/optim/adam.py` | `Adam.step` | the step count, m and v, bias correction, L2 or decoupled (AdamW) weight decay, amsgrad, in place |
# | `tinytorch/optim/lr_scheduler.py` | `StepLR.get_lr` | multiply the current lr by gamma every `step_size` epochs |
# | `tinytorch/optim/lr_scheduler.py` | `CosineAnnealingLR.get_lr` | eta_min + (base_lr − eta_min)·(1 + cos(π·t/T_max))/2 |
# | `tinytorch/nn/utils.py` | `clip_grad_norm_` | the joint norm of all gradients (any order, inf included); scale them in place when it exceeds `max_norm`; return the norm before clipping |
#
# Check with `tito module test 8`; then `tito milestone run 3` trains a multi-layer perceptron
# on handwritten digits, as in 1986.

# %% [markdown]
# ## 4. Measure it
#
# ### Steps to the bottom of the valley

# %%
def train(make_optimizer, steps: int = 300, tolerance: float = 1e-3) -> tuple[list[float], int | None]:
    """Loss per step, and the first step whose loss is below `tolerance` (None if never)."""
    w = tt.zeros(2, 1, requires_grad=True)
    optimizer = make_optimizer([w])
    losses = []
    for _ in range(steps):
        loss = F.mse_loss(X @ w, Y)
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses, next((i for i, value in enumerate(losses) if value < tolerance), None)


candidates = {
    "SGD lr=0.009": lambda p: optim.SGD(p, lr=0.009),
    "SGD momentum 0.9": lambda p: optim.SGD(p, lr=0.004, momentum=0.9),
    "SGD Nesterov 0.9": lambda p: optim.SGD(p, lr=0.004, momentum=0.9, nesterov=True),
    "RMSprop lr=0.05": lambda p: optim.RMSprop(p, lr=0.05),
    "Adam lr=0.2": lambda p: optim.Adam(p, lr=0.2),
}
curves = {}
for name, make in candidates.items():
    curves[name], reached = train(make)
    print(f"{name:17s} loss < 1e-3 after {reached if reached is not None else '> 300':>5} steps; "
          f"final loss {curves[name][-1]:.2e}")

# %% [markdown]
# ### The memory an optimizer keeps

# %%
def state_bytes(optimizer: optim.Optimizer) -> int:
    """Bytes of every tensor held in the optimizer's per-parameter state."""
    return sum(value.nbytes() for state in optimizer.state.values() for value in state.values()
               if isinstance(value, tt.Tensor))


model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
params = list(model.parameters())
param_bytes = sum(p.nbytes() for p in params)
xb, yb = tt.rand(128, 784), tt.randint(0, 10, (128,))
step_times = {}
for name, make in {
    "SGD": lambda: optim.SGD(params, lr=0.01),
    "SGD momentum": lambda: optim.SGD(params, lr=0.01, momentum=0.9),
    "Adam": lambda: optim.Adam(params, lr=1e-3),
    "Adam amsgrad": lambda: optim.Adam(params, lr=1e-3, amsgrad=True),
}.items():
    optimizer = make()
    optimizer.zero_grad()
    F.cross_entropy(model(xb), yb).backward()
    optimizer.step()  # the state is created on the first step
    step_times[name] = best_time(optimizer.step)
    held = state_bytes(optimizer)
    print(f"{name:13s} state {held:>10,} bytes = {held / param_bytes:.2f} x parameters; "
          f"training holds params + grads + state = {(2 * param_bytes + held) / param_bytes:.2f} x; "
          f"step {1e3 * step_times[name]:.2f} ms")

# %% [markdown]
# Adam's two buffers make it hold 2× the parameters on top of the weights and their gradients:
# 4× in all, before a single activation. For a 7-billion-parameter model in float32 that is
# 112 GB for weights, gradients and Adam state alone.
#
# ### Learning-rate schedules

# %%
def schedule(make_scheduler, epochs: int = 100, lr: float = 0.1) -> list[float]:
    """The lr used in each epoch under a scheduler stepped once per epoch."""
    optimizer = optim.SGD([tt.zeros(1, requires_grad=True)], lr=lr, momentum=0.9)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for _ in range(epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


schedules = {
    "StepLR(30, 0.1)": schedule(lambda o: optim.lr_scheduler.StepLR(o, step_size=30, gamma=0.1)),
    "Cosine(T_max=100)": schedule(lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=100)),
    "LinearLR warm-up": schedule(lambda o: optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=10)),
    "OneCycle(max 0.1)": schedule(lambda o: optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=100)),
}
epochs_shown = [0, 5, 10, 29, 30, 50, 75, 99]
print(f"{'epoch':18s}" + "".join(f"{e:>9d}" for e in epochs_shown))
for name, lrs in schedules.items():
    print(f"{name:18s}" + "".join(f"{lrs[e]:9.4f}" for e in epochs_shown))

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None  # plots are optional: the tables above say the same

if plt is not None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3))
    for name, losses in curves.items():
        left.semilogy(losses, label=name)
    left.set_xlabel("step")
    left.set_ylabel("loss")
    left.legend(fontsize=7)
    for name, lrs in schedules.items():
        right.plot(lrs, label=name)
    right.set_xlabel("epoch")
    right.set_ylabel("learning rate")
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig("08_optimizers.png", dpi=100)
    plt.close(fig)
    print("saved 08_optimizers.png")

# %% [markdown]
# ### Clipping one bad batch

# %%
model.zero_grad()
F.cross_entropy(model(xb * 100), yb).backward()  # inputs 100x too large: a bad batch
before = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
after = np.sqrt(sum(float((p.grad.data ** 2).sum()) for p in model.parameters()))
print(f"gradient norm {before.item():.1f} clipped to {after:.3f}; directions unchanged, only the length")

# %% [markdown]
# ## 5. In the real world
#
# - `torch.optim` has the same classes, options and state layout (`state_dict()` with `exp_avg`,
#   `exp_avg_sq`, `momentum_buffer`), so checkpoints of optimizer state resume training exactly.
#   Its implementations update all parameters of a group in a few large kernels
#   (`foreach=True`, or `fused=True` for Adam) instead of one small loop per tensor.
# - Optimizer state is why large models need so much memory: mixed-precision training with Adam
#   keeps about 16 bytes per parameter (half-precision weights and gradients, float32 master
#   weights, m and v). DeepSpeed's ZeRO splits those states across GPUs; 8-bit optimizers
#   quantise m and v.
# - AdamW with warm-up and cosine decay is the usual recipe for transformers; SGD with momentum
#   and step or cosine decay remains common for CNNs. Transformers are typically trained with
#   gradient clipping at a norm of 1.0.

# %% [markdown]
# ## 6. Reflect
#
# 1. From your table: how many times fewer steps did momentum need than plain SGD? Relate it to
#    1/(1 − μ).
# 2. Why could Adam use lr = 0.2 when plain SGD diverged above 0.01?
# 3. How many bytes of state does Adam keep for this MLP? For GPT-2 small (124 M parameters)?
#    Which dominates a training step's memory at batch 1: parameters, gradients, optimizer state
#    or activations (use module 06's numbers)?
# 4. Which schedule gives the largest learning rate at epoch 5 and at epoch 75? Why warm up at all
#    when Adam's first steps use v̂ estimated from one gradient?

# %% [markdown]
# ## 7. What breaks next
#
# The MLP treats an image as a flat list of numbers. Shift a digit by one pixel and the input
# vector changes almost completely, and the parameter count explodes with image size:

# %%
image = np.zeros((28, 28), dtype=np.float32)
image[6:22, 12:16] = 1.0  # a crude "1"
shifted = np.roll(image, 2, axis=1)
overlap = float((image * shifted).sum() / (image * image).sum())
print(f"the same digit shifted by 2 pixels shares {overlap:.0%} of its 'on' pixels with the original")
for side in (28, 32, 224):
    print(f"{side}x{side}x3 image -> Linear to 1024 units: {side * side * 3 * 1024:>12,} weights")

# %% [markdown]
# Module 09 builds convolutions: small filters slid over the image, shared across positions, so
# a pattern is recognised wherever it appears, with a few thousand weights instead of millions.
