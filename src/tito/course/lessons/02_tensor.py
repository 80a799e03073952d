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
# # Module 02 — Tensor: storage, shapes, dtypes, and what each costs
#
# The `Tensor` is the one data structure of the framework: every weight, activation, gradient and
# batch is one. This module builds its arithmetic and measures what shapes, dtypes, views and
# matrix products cost in bytes and seconds.

# %% [markdown]
# ## 1. Why now
#
# Module 01 worked on raw NumPy arrays. Here is a quiet way they waste memory: multiply float32
# activations by a float64 scalar that arrived as a 0-d array (a loss scale, a learning rate read
# from a file).

# %%
import numpy as np

activations = np.ones((1000, 1000), dtype=np.float32)
scale = np.array(0.5)  # 0-d, float64
scaled = activations * scale
print(f"{activations.dtype} * 0-d {scale.dtype} -> {scaled.dtype}")
print(f"bytes: {activations.nbytes:,} -> {scaled.nbytes:,}")

# %% [markdown]
# NumPy promoted the whole result to float64 and doubled the memory. PyTorch's rule is different:
# a 0-d tensor does not widen a tensor that has dimensions. The framework needs its own `Tensor`
# type, with its own rules, and (from module 06 on) a memory of how each value was computed.

# %% [markdown]
# ## 2. The idea
#
# A `Tensor` wraps one NumPy array, `.data`: a flat buffer of bytes plus a **shape** (size of
# each dimension), a **dtype** (how to read the bytes) and **strides** (how many bytes to jump to
# move one step along each dimension).

# %%
import tinytorch as tt
from tinytorch.system import best_time

tt.manual_seed(0)
x = tt.randn(4, 6)  # (4, 6) float32
print(x.shape, x.dtype, "strides:", x.data.strides, "bytes:", x.nbytes())

# %% [markdown]
# Moving one row ahead skips 6 floats = 24 bytes; one column, 4 bytes. A **transpose** only swaps
# the strides: no number moves. It is a *view* of the same buffer. A slice is a view too. A
# reshape of a transposed tensor cannot be described by strides, so it must *copy*.

# %%
print("x.T strides:", x.T.data.strides)
print("x.T   shares memory with x:", np.shares_memory(x.data, x.T.data))
print("x[1:3] shares memory with x:", np.shares_memory(x.data, x[1:3].data))
print("x.T.reshape(-1) shares memory:", np.shares_memory(x.data, x.T.reshape(-1).data))

# %% [markdown]
# **Broadcasting** lines shapes up from the right; a dimension of size 1 (or a missing one) is
# stretched to match. `(B, 1) + (1, C) -> (B, C)`, with no copy of the inputs:

# %%
column = tt.arange(3).reshape(3, 1).float()  # (3, 1)
row = tt.arange(4).reshape(1, 4).float() * 10  # (1, 4)
print(column + row)  # (3, 4)

# %% [markdown]
# **Dtype promotion** (PyTorch's rule): the higher category wins (bool < integer < float); within
# a category the wider type wins, except that a 0-d tensor never widens one with dimensions.

# %%
f32 = tt.ones(3)
print((f32 + tt.ones(3, dtype=tt.float64)).dtype)  # float64: both have dimensions
print((f32 * tt.tensor(0.5, dtype=tt.float64)).dtype)  # float32: the 0-d one does not widen
print((tt.tensor([1, 2]) + 0.5).dtype)  # float32: float beats integer

# %% [markdown]
# **Matrix product**: `(n, k) @ (k, m) -> (n, m)`, each output element a dot product of length k:
# n·m·k multiplies and as many adds, so **2·n·m·k FLOPs**. Leading dimensions are a batch and
# broadcast: `(B, n, k) @ (k, m) -> (B, n, m)`.
#
# **Reductions** collapse dimensions: `sum(dim=1)` turns `(4, 6)` into `(4,)`, or `(4, 1)` with
# `keepdim=True` (handy, because `(4, 1)` still broadcasts against `(4, 6)`).

# %%
print(x.sum(dim=1).shape, x.sum(dim=1, keepdim=True).shape, x.mean().shape)
print((x - x.mean(dim=1, keepdim=True)).mean(dim=1))  # rows centred: every mean is ~0

# %% [markdown]
# ## 3. Build it
#
# Write the bodies marked for module 02:
#
# | file | function | what it must do |
# |------|----------|-----------------|
# | `tinytorch/tensor.py` | `result_type` | the dtype of `a op b` by the rule above (category first; a 0-d tensor does not widen a tensor with dims; else `np.promote_types`) |
# | `tinytorch/tensor.py` | `_infer_shape` | resolve one `-1` in a reshape target; raise `ValueError` naming both shapes when the element counts disagree or two `-1` are given |
# | `tinytorch/tensor.py` | `matmul` | check both operands have a dimension and the inner sizes agree (and batch dims broadcast), with errors naming the shapes; promote dtypes; apply `ops.MatMul` |
# | `tinytorch/ops.py` | `Sum.forward` | sum over `dim` (None = all), honouring `keepdim` |
# | `tinytorch/ops.py` | `Mean.forward` | mean over `dim`, keeping the input dtype; store `self.count`, the number of elements averaged into each output |
# | `tinytorch/ops.py` | `Max.forward` | max over `dim`; store the result in `self.out` (module 06 needs it) |
# | `tinytorch/backend/naive.py` | `matmul2d` | `(n, k) @ (k, m)` with three explicit loops, one multiply-add at a time |
#
# Check with `tito module test 2`.

# %% [markdown]
# ## 4. Measure it
#
# ### Bytes per element

# %%
for dtype in (tt.float64, tt.float32, tt.float16, tt.int64, tt.int8, tt.bool):
    t = tt.zeros(1000, 1000, dtype=dtype)
    print(f"{str(dtype):8s} {t.dtype.itemsize} byte(s)/element   1000x1000 = {t.nbytes() / 2**20:5.2f} MiB")

# %% [markdown]
# A 7-billion-parameter model is 28 GB in float32 and 14 GB in float16: the dtype decides which
# machine can hold it. Module 17 goes down to 1 byte per weight.
#
# ### Views cost nothing; copies cost the bytes
#
# `best_time(fn, repeat)` (from `tinytorch.system`) runs `fn` several times and keeps the shortest
# wall time: the run the rest of the machine disturbed least. Every later lesson times with it.

# %%
for n in (256, 1024, 2048):
    m = tt.randn(n, n)
    view = best_time(lambda: m.T)
    copy = best_time(lambda: m.T.reshape(-1))
    print(f"n = {n:4d} ({m.nbytes() / 2**20:5.1f} MiB): transpose {1e6 * view:7.1f} us   "
          f"transpose + reshape {1e6 * copy:8.1f} us")

# %% [markdown]
# The view takes the same few microseconds at every size (it only builds a new header); the copy
# grows with n², like the bytes it moves.
#
# ### Broadcasting: free inputs, full-size output

# %%
B, C = 2048, 1024
batch = tt.randn(B, C)  # (B, C)
bias = tt.randn(C)  # (C,) broadcast over B rows
materialise = best_time(lambda: tt.tensor(np.tile(bias.data, (B, 1))))
bias_full = tt.tensor(np.tile(bias.data, (B, 1)))  # (B, C): the copy broadcasting avoids
print(f"bias {bias.nbytes():,} bytes; materialised {bias_full.nbytes():,} bytes, built in {1e3 * materialise:.2f} ms")
print(f"batch + bias      {1e3 * best_time(lambda: batch + bias, repeat=20):.2f} ms")
print(f"batch + bias_full {1e3 * best_time(lambda: batch + bias_full, repeat=20):.2f} ms")

# %% [markdown]
# Broadcasting saves the memory and the time of building the full-size bias. The addition itself
# costs about the same either way (NumPy's loop over a broadcast operand may even be a little
# slower than over two plain arrays: compare your two lines). The output is always full size:
# `(B, 1) + (1, C)` writes B·C elements from B + C inputs, and that write is what the time pays for.
#
# ### Matmul: FLOPs and time, naive loops vs NumPy
#
# `tinytorch.backend.use("naive")` routes every matmul through your three loops. Keep the sizes
# small: the loops run in Python.

# %%
sizes = [8, 16, 32, 64]
naive_s, numpy_s = [], []
for n in sizes:
    a, b = tt.randn(n, n), tt.randn(n, n)
    with tt.backend.use("naive"):
        slow = a @ b
        naive_s.append(best_time(lambda: a @ b, repeat=2))
    fast = a @ b
    numpy_s.append(best_time(lambda: a @ b))
    assert np.allclose(slow.data, fast.data, atol=1e-4), "the backends disagree"
    flops = 2 * n**3
    print(f"n = {n:3d}  {flops:>9,d} FLOPs   naive {1e3 * naive_s[-1]:8.2f} ms "
          f"({flops / naive_s[-1] / 1e6:5.1f} MFLOP/s)   numpy {1e3 * numpy_s[-1]:6.3f} ms   "
          f"ratio {naive_s[-1] / numpy_s[-1]:7.0f}x")

# %% [markdown]
# Doubling n multiplies the naive time by about 2³ = 8: the cost is cubic, and each multiply-add
# pays the Python interpreter's overhead. NumPy hands the same arithmetic to BLAS.

# %%
growth = [later / earlier for earlier, later in zip(naive_s, naive_s[1:])]
print("naive time ratio per doubling of n:", [f"{g:.1f}x" for g in growth], "(the n^3 law says 8x)")

try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None  # plots are optional: the table above says the same

if plt is not None:
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.loglog(sizes, naive_s, marker="o", label="naive (Python loops)")
    ax.loglog(sizes, numpy_s, marker="o", label="numpy (BLAS)")
    ax.set_xlabel("matrix size n")
    ax.set_ylabel("seconds")
    ax.legend()
    fig.tight_layout()
    fig.savefig("02_matmul_backends.png", dpi=100)
    plt.close(fig)
    print("saved 02_matmul_backends.png")

# %% [markdown]
# ## 5. In the real world
#
# - A PyTorch tensor is the same idea: a storage, a size, a stride tuple and an offset. `t.T`,
#   slicing, `expand` (stride 0) and `view` share storage; `.contiguous()` copies only when the
#   strides demand it. `view` refuses a tensor whose strides do not allow it, while `reshape`
#   quietly copies — the difference you measured.
# - `torch.result_type` implements the promotion rule you wrote, with the same special case for
#   0-d tensors and Python scalars, precisely so mixed-precision code does not double its memory.
# - On CPU, `torch.matmul` calls a BLAS (MKL or OpenBLAS); on GPU, cuBLAS. Those libraries block
#   the loops to keep data in cache and use SIMD and all cores; module 15 looks inside.

# %% [markdown]
# ## 6. Reflect
#
# 1. From your numbers: how many bytes does a (4096, 4096) float32 tensor take? In float16?
# 2. Transposing took the same time at n = 256 and n = 2048, and the copy did not. Explain with
#    the strides you printed.
# 3. `(B, 1) + (1, C)` reads B + C numbers. How many does it write, and which one dominates the
#    time for B = C = 4096?
# 4. Extrapolate your naive timings with the n³ law: how long would a (512, 512) product take on
#    the naive backend? How long did NumPy take for it in module 01?

# %% [markdown]
# ## 7. What breaks next
#
# Matrix products alone cannot learn anything interesting: two of them in a row are one matrix
# product, because `W2 @ (W1 @ x) == (W2 @ W1) @ x`.

# %%
W1, W2, v = tt.randn(8, 4), tt.randn(3, 8), tt.randn(4)
print("two layers collapse into one:", np.allclose((W2 @ (W1 @ v)).data, ((W2 @ W1) @ v).data, atol=1e-5))

# %% [markdown]
# However deep you stack them, the network stays linear. Module 03 adds the non-linear
# activations that break the collapse, and finds that the textbook formulas for some of them
# overflow on ordinary inputs.
