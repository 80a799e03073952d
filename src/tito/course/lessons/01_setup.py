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
# # Module 01 — Setup: randomness you can replay, numbers you can trust
#
# Every later module measures something: seconds, bytes, FLOPs, accuracy. A measurement is only
# worth something if you can **repeat** it and if you know **what it ran on**. This module builds
# the two tools that make that possible: seeded random number generators and a system report.

# %% [markdown]
# ## 1. Why now
#
# Two runs of the "same" experiment, with randomness nobody controls:

# %%
import time

import numpy as np

for run in range(2):
    weights = np.random.default_rng().standard_normal(3)  # a fresh, unseeded generator
    print(f"run {run}: initial weights {np.round(weights, 4)}")

# %% [markdown]
# The initial weights differ, so the trained models differ, so the accuracy you report cannot be
# reproduced by anyone — including you tomorrow. Timings have the same problem from another side:

# %%
a = np.ones((256, 256), dtype=np.float32)
start = time.perf_counter()
a @ a
print(f"one 256x256 matmul took {1e3 * (time.perf_counter() - start):.3f} ms")

# %% [markdown]
# Is that fast? It depends on the CPU, the number of cores, and which BLAS library NumPy calls.
# Without that context the number means nothing.

# %% [markdown]
# ## 2. The idea
#
# **A pseudo-random generator is a deterministic machine.** It holds a state (for NumPy's default
# PCG64, 128 bits plus an increment); each draw updates the state and outputs bits that *look*
# random. Fix the starting state (the *seed*) and the whole stream is fixed:

# %%
first = np.random.default_rng(42).standard_normal(4)
second = np.random.default_rng(42).standard_normal(4)
print(first)
print(second)
print("identical:", np.array_equal(first, second))

# %% [markdown]
# The state can be saved and restored, which is how a checkpoint resumes training with exactly the
# dropout masks and shuffles it would have seen:

# %%
rng = np.random.default_rng(0)
rng.standard_normal(10)  # advance a little
saved = rng.bit_generator.state  # a dict: the whole future of this stream
after = rng.standard_normal(3)
rng.bit_generator.state = saved
print("replayed after restore:", np.array_equal(after, rng.standard_normal(3)))

# %% [markdown]
# Two design rules follow, and TinyTorch (like PyTorch) obeys both:
#
# - **One global generator, seeded by `manual_seed(seed)`**, for the common case: one call at the
#   top of a script makes the whole run repeat.
# - **Separate `Generator` objects** for streams that must not disturb each other. If the data
#   shuffler drew from the same stream as weight initialisation, adding one layer would change the
#   order of your data.
#
# A **system report** is the other half: Python and NumPy versions, the BLAS library (the code
# that actually multiplies matrices), the OS, the CPU and its core count. Every benchmark in this
# course prints it first.

# %% [markdown]
# ## 3. Build it
#
# Open your workspace's `tinytorch` package and write the bodies marked for module 01:
#
# | file | function | what it must do |
# |------|----------|-----------------|
# | `tinytorch/random.py` | `Generator.manual_seed` | reject non-integer seeds (and `bool`) with a `TypeError`; remember the seed; make `self.rng` a fresh NumPy generator seeded with it; return `self` |
# | `tinytorch/random.py` | `manual_seed` | seed NumPy's legacy global state too (for code that uses `np.random.*`), then reseed the global `default_generator` and return it |
# | `tinytorch/system.py` | `system_report` | return a dict with at least Python and NumPy versions, the BLAS library (`blas_info()`), the OS, the machine, the processor and the CPU count |
#
# Every random choice in TinyTorch goes through these generators, so until `Generator.manual_seed`
# works even `import tinytorch` cannot create its global generator. Check your work with
# `tito module test 1`.

# %% [markdown]
# ## 4. Measure it
#
# With your module 01 in place, the framework imports and replays itself:

# %%
import tinytorch as tt
from tinytorch.system import format_report

tt.manual_seed(0)
a = tt.randn(3)
tt.manual_seed(0)
b = tt.randn(3)
print(a, b, "equal:", a.equal(b))

# %% [markdown]
# A private `Generator` leaves the global stream alone:

# %%
tt.manual_seed(0)
expected = tt.randn(2)
tt.manual_seed(0)
tt.randn(5, generator=tt.Generator(123))  # draws from its own stream
print("global stream undisturbed:", tt.randn(2).equal(expected))

# %% [markdown]
# This is the machine every number in your course will come from:

# %%
print(format_report())

# %% [markdown]
# ### How noisy is a timing?
#
# Run the same matrix product 30 times. The spread is the noise floor of every benchmark you will
# run: a "speed-up" smaller than it is not a speed-up.

# %%
def timings(fn, repeat: int) -> np.ndarray:
    """Wall time of each of `repeat` calls, in seconds."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return np.array(out)


x = np.random.default_rng(0).standard_normal((256, 256)).astype(np.float32)
t = timings(lambda: x @ x, repeat=30)
print(f"min {1e3 * t.min():.3f} ms   median {1e3 * np.median(t):.3f} ms   max {1e3 * t.max():.3f} ms")
print(f"max / min = {t.max() / t.min():.1f}x")

# %% [markdown]
# The first call is often the slowest (caches and thread pools warm up). That is why later modules
# report the **minimum** or the **median** of several runs, never a single one.
#
# ### What your machine can do
#
# A product of an (n, n) by an (n, n) matrix costs 2·n³ floating-point operations (n³ multiplies,
# n³ adds). Dividing by the time gives the FLOP rate your BLAS reaches: the ceiling every
# vectorised kernel in this course is compared with.

# %%
sizes = [8, 32, 128, 512]
gflops = []
for n in sizes:
    m = np.random.default_rng(n).standard_normal((n, n)).astype(np.float32)
    seconds = timings(lambda: m @ m, repeat=20).min()
    gflops.append(2 * n**3 / seconds / 1e9)
    print(f"n = {n:4d}: {1e3 * seconds:8.3f} ms  {gflops[-1]:7.1f} GFLOP/s  ({m.nbytes:>9,d} bytes per matrix)")

# %% [markdown]
# Tiny products are far below the peak: n = 8 is 1 024 FLOPs, fewer than the fixed cost of one
# call (Python, NumPy's dispatch, BLAS setup) could pay for. Keep this shape of curve in mind; it returns in every
# module about speed.

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None  # plots are optional: the table above says the same

if plt is not None:
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(sizes, gflops, marker="o")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("matrix size n")
    ax.set_ylabel("GFLOP/s")
    ax.set_title("float32 matmul on this machine")
    fig.tight_layout()
    fig.savefig("01_matmul_gflops.png", dpi=100)
    plt.close(fig)
    print("saved 01_matmul_gflops.png")

# %% [markdown]
# ## 5. In the real world
#
# - `torch.manual_seed(s)` seeds the CPU generator and every GPU's generator at once;
#   `torch.Generator` gives private streams, exactly as here. PyTorch's CPU generator is a
#   Mersenne Twister; NumPy's default (and so TinyTorch's) is PCG64, smaller and faster.
# - Seeding is not the whole story on a GPU: some kernels (atomic additions in parallel
#   reductions) add floats in a different order each run, and float addition is not associative.
#   `torch.use_deterministic_algorithms(True)` trades speed for bit-exact repeats.
# - `python -m torch.utils.collect_env` prints a system report; PyTorch's issue template asks for
#   it, because "it is slow" or "it is wrong" cannot be diagnosed without it.
#   `torch.__config__.show()` names the BLAS and the compiler flags, like `blas_info()` here.
# - DataLoader worker processes each need their own seed (derived from the base seed), or every
#   worker would apply the same "random" augmentation.

# %% [markdown]
# ## 6. Reflect
#
# 1. From your timings: how large was max / min? What is the smallest speed-up you would believe
#    from a single run of each version?
# 2. How many GFLOP/s did n = 64 reach compared to n = 512? Where does the time go for small n?
# 3. A friend's run of your seeded script gives different numbers. Name three things from the
#    system report that could explain it even though the seed is the same.
# 4. Why does `manual_seed` return the generator, and why does `Generator.manual_seed` return
#    `self`? (Hint: try `tt.Generator().manual_seed(0).rng.random()`.)

# %% [markdown]
# ## 7. What breaks next
#
# Everything above used raw NumPy arrays. An array knows its numbers, shape and dtype, but not
# where it came from: after `c = a @ b` nothing records that `c` depends on `a` and `b`. Training
# needs exactly that record to compute gradients. Module 02 builds the `Tensor`, the array that
# will learn to remember how it was computed — and measures what its shapes, dtypes and copies
# cost in bytes and time.
