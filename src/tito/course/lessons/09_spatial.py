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
# # Module 09 — Spatial: convolutions, pooling and batch norm, and what a convolution costs
#
# Images have a shape: neighbouring pixels belong together, and a stroke means the same thing
# wherever it appears. This module builds the layers that use that: `Conv2d`, which slides one small
# filter over the whole image; `MaxPool2d` and `AvgPool2d`, which shrink feature maps; and
# `BatchNorm2d`, which keeps each channel's activations at a trainable scale. You write each
# convolution and pooling kernel twice, as plain loops and vectorised; then the lesson times four
# ways of computing the same convolution and counts their FLOPs and bytes.

# %% [markdown]
# ## 1. Why now
#
# Module 08 trained an MLP on the digits. It sees an image as 64 unrelated numbers. Train it, then
# test it on the same test digits moved one and two pixels to the right:

# %%
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import tinytorch as tt
from tinytorch import nn, optim
from tinytorch.backend import naive, numpy_backend
from tinytorch.data import DataLoader, Digits
from tinytorch.data import transforms as T
from tinytorch.nn import functional as F
from tinytorch.system import best_time


tt.manual_seed(0)
normalize = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])  # pixels in [-1, 1], background -1
train_set, test_set = Digits(train=True, transform=normalize), Digits(train=False, transform=normalize)
x_test, y_test = test_set.__getitems__(np.arange(len(test_set)))  # (360, 1, 8, 8), (360,)


def shift_right(images: tt.Tensor, pixels: int) -> tt.Tensor:
    """(N, C, H, W) moved `pixels` columns to the right, background (-1) coming in on the left."""
    moved = np.full_like(images.data, -1.0)
    moved[..., pixels:] = images.data[..., :images.shape[-1] - pixels]
    return tt.tensor(moved)


mlp = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
optimizer = optim.Adam(mlp.parameters(), lr=3e-3)
loader = DataLoader(train_set, batch_size=64, shuffle=True, generator=tt.Generator(0))
for epoch in range(5):
    for images, labels in loader:
        loss = F.cross_entropy(mlp(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
with tt.no_grad():
    for pixels in (0, 1, 2):
        accuracy = (mlp(shift_right(x_test, pixels)).argmax(dim=1).data == y_test.data).mean()
        print(f"test digits shifted by {pixels} pixel(s): accuracy {accuracy:6.1%}")

# %% [markdown]
# Shifted by one pixel (a column of each 8x8 digit falls off the edge, the rest is intact) the
# accuracy collapses. Each of the MLP's weights belongs to one pixel position: what it learned about
# a stroke in column 3 says nothing about the same stroke in column 4. A layer that knows the input
# is an image should look for the same pattern everywhere.

# %% [markdown]
# ## 2. The idea
#
# **Convolution.** A filter of weights `(C, kh, kw)` is laid over every position of the input; at
# each position the products of weights and pixels under it are summed into one output value. O
# filters give O output channels:
#
#   out[n, o, i, j] = bias[o] + Σ_c Σ_di Σ_dj x[n, c, i·s + di, j·s + dj] · w[o, c, di, dj]
#
# with input `(N, C, H, W)`, weights `(O, C, kh, kw)`, output `(N, O, Ho, Wo)` and, per axis,
# Ho = (H + 2·padding − kh) // stride + 1. (Deep-learning "convolution" is a cross-correlation: the
# filter is not flipped.)
#
# You write the kernels twice: as loops in the **naive backend**, which say exactly what is
# computed, and vectorised in the default **numpy backend**, which is what your layers run on.
# The cells below switch to the naive backend to show your loops at work; section 4 times both.

# %%
conv = nn.Conv2d(1, 4, kernel_size=3, padding=1)  # weights (4, 1, 3, 3), bias (4,)
x = tt.randn(1, 1, 8, 8)  # (N, C, H, W)
with tt.backend.use("naive"):
    print(conv, "->", conv(x).shape, f"with {sum(p.numel() for p in conv.parameters())} parameters")
    print("stride 2:", nn.Conv2d(1, 4, 3, stride=2, padding=1)(x).shape,
          "  no padding:", nn.Conv2d(1, 4, 3)(x).shape)

# %% [markdown]
# **Weight sharing gives equivariance.** The same weights are used at every position, so shifting
# the input shifts the output and changes nothing else (away from the borders, where padding
# enters):

# %%
shifted = tt.tensor(np.concatenate([np.zeros((1, 1, 8, 1), np.float32), x.data[..., :-1]], axis=-1))
with tt.backend.use("naive"), tt.no_grad():
    out, out_shifted = conv(x), conv(shifted)  # (1, 4, 8, 8) each
interior = np.abs(out_shifted.data[..., 2:7] - out.data[..., 1:6]).max()
print(f"conv(shift(x)) vs shift(conv(x)) in the interior: max difference {interior}")
unaligned = np.abs(out_shifted.data - out.data).max()
print(f"conv(shift(x)) vs conv(x), unshifted:              max difference {unaligned:.2f}")

# %% [markdown]
# A 3x3 filter from 64 to 64 channels has 64·64·9 + 64 = 36 928 parameters whatever the image size;
# a Linear layer between two 32x32x64 feature maps would need 4.3 billion.
#
# **Pooling** summarises each window: `MaxPool2d(2)` keeps the largest of every 2x2 block (a
# feature was found *somewhere* here), `AvgPool2d(2)` their mean; both quarter the map and have no
# parameters. Their gradients differ: the max sends each gradient to the one winner of its window,
# the average shares it equally.

# %%
grid = tt.tensor([[[[1.0, 2, 0, 1], [4, 3, 1, 0], [0, 1, 5, 2], [2, 0, 3, 6]]]], requires_grad=True)  # (1, 1, 4, 4)
with tt.backend.use("naive"):
    for pool in (nn.MaxPool2d(2), nn.AvgPool2d(2)):
        grid.grad = None
        pooled = pool(grid)  # (1, 1, 2, 2)
        pooled.sum().backward()
        print(f"{type(pool).__name__}: {pooled.data[0, 0].tolist()}   gradient:\n{grid.grad.data[0, 0]}")

# %% [markdown]
# `AdaptiveAvgPool2d(1)` averages each whole channel to one number, `(N, C, H, W) -> (N, C, 1, 1)`:
# the end of most modern CNNs, since it accepts any image size.
#
# **Batch normalisation.** Deep stacks train badly when each layer's inputs drift in scale.
# `BatchNorm2d(C)` normalises every channel over the batch and all positions to mean 0 and
# variance 1, then applies a learned scale `weight` and shift `bias`:
#
#   y = (x − mean_c) / √(var_c + eps) · weight_c + bias_c
#
# In training it uses the batch's own statistics and keeps running averages of them,
# running ← (1 − momentum)·running + momentum·batch (momentum 0.1); in evaluation
# (`model.eval()`) it uses the running averages, so a prediction no longer depends on the rest of
# its batch.

# %%
bn = nn.BatchNorm2d(2)
data = tt.randn(16, 2, 4, 4) * tt.tensor([5.0, 0.5]).reshape(1, 2, 1, 1) + tt.tensor([3.0, -1.0]).reshape(1, 2, 1, 1)
y = bn(data)
print("batch mean per channel:", data.mean(dim=(0, 2, 3)).data.round(2), "-> after BN:",
      y.mean(dim=(0, 2, 3)).data.round(4), "std:", y.data.std(axis=(0, 2, 3)).round(3))
for step in range(1, 31):
    bn(tt.randn(16, 2, 4, 4) * tt.tensor([5.0, 0.5]).reshape(1, 2, 1, 1) + tt.tensor([3.0, -1.0]).reshape(1, 2, 1, 1))
    if step in (1, 10, 30):
        print(f"after {step + 1:2d} training batches: running_mean {bn.running_mean.data.round(2)}   "
              f"(1 - 0.9^{step + 1} = {1 - 0.9 ** (step + 1):.2f} of the way to (3, -1))")

# %% [markdown]
# Training mode makes an image's output depend on its companions in the batch; evaluation mode does
# not:

# %%
image = data[:1]  # (1, 2, 4, 4)
batch_a, batch_b = tt.cat([image, data[1:8]]), tt.cat([image, data[8:15] * 2])
for mode in ("train", "eval"):
    bn.train(mode == "train")
    difference = np.abs(bn(batch_a).data[0] - bn(batch_b).data[0]).max()
    print(f"{mode:5s} mode: the same image in two batches, outputs differ by up to {difference:.3f}")
bn.train()

# %% [markdown]
# **Channel dropout.** Neighbouring pixels are strongly correlated, so zeroing single pixels barely
# regularises a feature map; `Dropout2d(p)` zeroes whole channels instead (and scales the rest by
# 1/(1 − p)).

# %%
dropped = F.dropout2d(tt.ones(1, 8, 2, 2), p=0.5, training=True)
kept = dropped.data[0, :, 0, 0] > 0  # (8,): one decision per channel
print("channels kept:", kept.astype(int), " kept values:", np.unique(dropped.data[dropped.data > 0]))

# %% [markdown]
# ## 3. Build it
#
# Write the bodies marked for module 09:
#
# | file | function | what it must do |
# |------|----------|-----------------|
# | `tinytorch/backend/naive.py` | `conv2d_forward`, `conv2d_backward` | pad, then for each output position one `tensordot` of the window with the filters (per group); backward: at each position add gradᵀ·window to d w and grad·w to the window's place in d x, then crop the padding |
# | `tinytorch/backend/naive.py` | `max_pool2d_forward`, `max_pool2d_backward`, `avg_pool2d_forward`, `avg_pool2d_backward` | the max (and its position in the window, first on ties, −inf padding) or the mean (counting padding or not, or dividing by `divisor_override`) of each window, the window's taps `dilation` apart; the gradient to the winner, or shared over the window. Where the windows go, with `ceil_mode`'s extra padding, is given: `pool_geometry` |
# | `tinytorch/backend/numpy_backend.py` | `_conv_nhwc`, `conv2d_backward` | the same convolution without a loop over positions, channels-last: the window view (`_windows`) copied into an im2col matrix one cache-sized tile (`_tiles`) at a time, one matmul per tile and group; backward: d w as im2colᵀ·grad, d x at stride 1 as a convolution of the padded gradient with the flipped kernel, else added back tap by tap (col2im) |
# | `tinytorch/backend/numpy_backend.py` | `max_pool2d_forward`, `max_pool2d_backward`, `avg_pool2d_forward`, `avg_pool2d_backward` | the same pooling as a loop over the kh·kw taps (`_taps`), each a strided view of the whole padded input: a running maximum and the tap that won, or a running sum; backward: through each tap's view, the gradient of the outputs that tap won, or its share of every output's |
# | `tinytorch/nn/functional_spatial.py` | `Conv2dFunction.forward`, `Conv2dFunction.backward`, `adaptive_avg_pool2d`, `BatchNormFunction.forward`, `BatchNormFunction.backward`, `dropout2d` | call the backend's kernels and add the bias (its gradient: the sum over batch and positions); adaptive pooling as two averaging matrix products; batch norm with batch or given statistics and its closed-form backward; one keep-or-drop draw per channel |
# | `tinytorch/nn/conv.py` | `Conv2d.forward` | call `conv2d` with the layer's weights and options |
# | `tinytorch/nn/pooling.py` | `MaxPool2d.forward`, `AvgPool2d.forward` | call `max_pool2d` / `avg_pool2d` with the layer's options |
# | `tinytorch/nn/normalization.py` | `_BatchNorm.forward` | count the batch, choose the momentum (a cumulative average when it is None), use batch statistics in training and running ones in evaluation |
#
# Check with `tito module test 9`; then `tito milestone run 4` trains LeNet-5 on handwritten digits,
# as in 1998.

# %% [markdown]
# ## 4. Measure it
#
# ### The convolution ladder
#
# One convolution, four ways, on the same input: 8 images, 16 channels in, 32 out, 3x3, padding 1.
#
# 1. **Your naive kernel**: a Python loop over the Ho·Wo output positions, one small product each.
# 2. **Per tap**: a loop over the kh·kw = 9 positions inside the kernel; for each, the input shifted
#    by that offset, `(N, Ho, Wo, C)`, times that tap's weights `(C, O)`: 9 large matrix products.
# 3. **im2col**: copy every window into one row of a matrix `(N·Ho·Wo, C·kh·kw)`, then *one* matrix
#    product with the weights `(C·kh·kw, O)`.
# 4. **Your numpy backend kernel**: im2col in channels-last layout, where each window's numbers
#    are almost contiguous, built in tiles small enough to stay in the CPU's cache.

# %%
def conv_per_tap(x: np.ndarray, w: np.ndarray, pad: int) -> np.ndarray:
    """(N, C, H, W) * (O, C, kh, kw) -> (N, O, Ho, Wo), stride 1: one matmul per kernel tap."""
    o, _, kh, kw = w.shape
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))).transpose(0, 2, 3, 1)  # (N, Hp, Wp, C)
    n, hp, wp, _ = padded.shape
    ho, wo = hp - kh + 1, wp - kw + 1
    out = np.zeros((n, ho, wo, o), dtype=np.result_type(x, w))
    for i in range(kh):
        for j in range(kw):
            out += padded[:, i:i + ho, j:j + wo] @ w[:, :, i, j].T  # (N, Ho, Wo, C) @ (C, O)
    return out.transpose(0, 3, 1, 2)


def conv_im2col(x: np.ndarray, w: np.ndarray, pad: int) -> tuple[np.ndarray, int]:
    """The same convolution as one matmul over the im2col matrix; also returns that matrix's bytes."""
    o, c, kh, kw = w.shape
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(padded, (kh, kw), axis=(2, 3))  # (N, C, Ho, Wo, kh, kw): a view, no copy
    n, _, ho, wo = windows.shape[:4]
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * kh * kw)  # the copy: (N*Ho*Wo, C*kh*kw)
    out = cols @ w.reshape(o, -1).T  # (N*Ho*Wo, O)
    return out.reshape(n, ho, wo, o).transpose(0, 3, 1, 2), cols.nbytes


def conv_flops(n: int, c: int, o: int, ho: int, wo: int, kh: int, kw: int) -> int:
    """A multiply and an add for every weight at every output position of every image."""
    return 2 * n * o * ho * wo * c * kh * kw


rng = np.random.default_rng(0)
N, C, O, K = 8, 16, 32, 3
weights = rng.standard_normal((O, C, K, K), dtype=np.float32) * 0.1
geometry = ((1, 1), (1, 1))  # ((top, bottom), (left, right)) padding, as the kernels take it
sides, timings = [8, 16, 32], {"naive kernel": [], "per tap": [], "im2col": [], "numpy backend": []}
for side in sides:
    x = rng.standard_normal((N, C, side, side), dtype=np.float32)
    reference = naive.conv2d_forward(x, weights, (1, 1), geometry, (1, 1), 1)
    methods = {
        "naive kernel": lambda: naive.conv2d_forward(x, weights, (1, 1), geometry, (1, 1), 1),
        "per tap": lambda: conv_per_tap(x, weights, 1),
        "im2col": lambda: conv_im2col(x, weights, 1)[0],
        "numpy backend": lambda: numpy_backend.conv2d_forward(x, weights, (1, 1), geometry, (1, 1), 1),
    }
    flops = conv_flops(N, C, O, side, side, K, K)
    print(f"input {x.shape}, {flops / 1e6:.1f} MFLOP:")
    for name, method in methods.items():
        agrees = np.allclose(method(), reference, atol=1e-4)
        seconds = best_time(method, repeat=5)
        timings[name].append(seconds)
        print(f"  {name:14s} {1e3 * seconds:8.3f} ms  {flops / seconds / 1e9:6.2f} GFLOP/s  "
              f"agrees with naive: {agrees}")

# %% [markdown]
# The naive kernel runs Ho·Wo iterations of Python, so doubling the image side multiplies its loop
# count by four, and each iteration's product is too small to keep the CPU busy. Per tap always runs
# 9 iterations, whatever the image; the work sits in 9 large products. im2col runs one product but
# first writes the window matrix, 9 times the size of the input (next section). Which of per-tap and
# im2col wins depends on whether that extra copy costs more than 9 separate products: compare your
# lines at 32x32. Your numpy backend kernel writes the same matrix, but one tile at a time, each
# read by its product while still in cache: compare its line with im2col's as the image grows.
#
# ### FLOPs and parameters: a convolution reuses every weight

# %%
layers = {  # name: (C, O, H = W of the output, kernel)
    "LeNet conv1 (28x28)": (1, 6, 28, 5),
    "CIFAR conv (32x32)": (64, 64, 32, 3),
    "VGG conv (224x224)": (64, 64, 224, 3),
}
for name, (c, o, side, k) in layers.items():
    params = o * c * k * k + o
    flops = conv_flops(1, c, o, side, side, k, k)
    print(f"{name:20s} {params:>7,} parameters  {flops / 1e6:9,.1f} MFLOP per image  "
          f"= {flops / (2 * params):>6,.0f} uses of each weight")
linear_params = 64 * 64 + 64
print(f"{'Linear(64, 64)':20s} {linear_params:>7,} parameters  {2 * 64 * 64 / 1e6:9,.3f} MFLOP per sample  "
      "= 1 use of each weight")

# %% [markdown]
# A convolution's cost is set by the output's size, not by its parameters: each weight is used once
# per output position. Few bytes of weights, many FLOPs, is what makes convolutions fast on hardware
# that computes far more quickly than it reads memory.
#
# ### The im2col buffer

# %%
for side in sides:
    x = rng.standard_normal((N, C, side, side), dtype=np.float32)
    _, buffer = conv_im2col(x, weights, 1)
    print(f"input {x.nbytes / 2**10:7.0f} KiB -> im2col matrix {buffer / 2**10:8.0f} KiB ({buffer / x.nbytes:.0f}x)")
vgg_bytes = 32 * 224 * 224 * 64 * 9 * 4  # batch 32, 64 channels, 224x224, 3x3, float32
print(f"a VGG layer at batch 32: input {32 * 64 * 224 * 224 * 4 / 2**30:.2f} GiB -> "
      f"im2col matrix {vgg_bytes / 2**30:.1f} GiB")

# %% [markdown]
# Every input value is copied into up to kh·kw rows. On small images the buffer is harmless; on a
# large layer it is gigabytes, written and read once per convolution.
#
# ### Forward and backward of the layer

# %%
def forward_backward_times(layer: nn.Module, x: tt.Tensor) -> tuple[float, float]:
    """Seconds for the layer's forward and for its backward, on the active backend."""
    t_forward = best_time(lambda: layer(x), repeat=3)
    out = layer(x)
    grad = tt.ones(*out.shape)
    return t_forward, best_time(lambda: out.backward(grad, retain_graph=True), repeat=3)


layer = nn.Conv2d(C, O, 3, padding=1)
x = tt.randn(N, C, 16, 16, requires_grad=True)
for backend in ("naive", "numpy"):
    with tt.backend.use(backend):  # the backward runs on the backend its forward used
        t_forward, t_backward = forward_backward_times(layer, x)
    print(f"Conv2d({C}, {O}, 3) on {tuple(x.shape)}, {backend} backend: forward {1e3 * t_forward:.2f} ms, "
          f"backward {1e3 * t_backward:.2f} ms ({t_backward / t_forward:.1f}x)")

# %% [markdown]
# The backward computes two results of a convolution's size, d x and d w (and the naive one adds
# each window's gradient back into place, position by position; at stride 1 the numpy one computes
# d x as one more convolution).
#
# ### Receptive field
#
# Each output of a 3x3 convolution sees 3x3 inputs; a second 3x3 layer on top sees 5x5; a stride-2
# pooling doubles the step between what later layers see. Per layer: r ← r + (k − 1)·j and
# j ← j·stride, starting from r = j = 1. The formula, checked by backpropagating from one output
# value through your layers and looking where the input gradient is non-zero:

# %%
stack = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1, bias=False), nn.Conv2d(1, 1, 3, padding=1, bias=False),
                      nn.AvgPool2d(2), nn.Conv2d(1, 1, 3, padding=1, bias=False),
                      nn.Conv2d(1, 1, 3, padding=1, bias=False))
receptive, jump = 1, 1
for module in stack:
    k, s = (3, 1) if isinstance(module, nn.Conv2d) else (2, 2)
    receptive, jump = receptive + (k - 1) * jump, jump * s
    if isinstance(module, nn.Conv2d):
        module.weight.data[...] = 1 / 9  # positive weights: no contribution cancels out
    print(f"after {type(module).__name__:9s} receptive field {receptive:2d}x{receptive:<2d} (step {jump})")

image = tt.zeros(1, 1, 32, 32, requires_grad=True)
stack(image)[0, 0, 8, 8].backward()  # one output value, at the middle of the (16, 16) map
reached = image.grad.data[0, 0]  # (32, 32)
rows, cols = np.nonzero(reached.any(axis=1))[0], np.nonzero(reached.any(axis=0))[0]
print(f"input gradient non-zero on rows {rows.min()}..{rows.max()}, columns {cols.min()}..{cols.max()}: "
      f"{len(rows)}x{len(cols)}")
profile = reached[rows.min():rows.max() + 1, cols.min() + len(cols) // 2]
print("gradient along the middle column, relative to its peak:", (profile / profile.max()).round(2))

# %% [markdown]
# The receptive field is the region that *can* influence an output; the gradient profile shows how
# much each part does: the centre, reached by many paths, dominates, the edges barely count (the
# "effective" receptive field is smaller than the theoretical one).

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None  # plots are optional: the tables above say the same

if plt is not None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    for name, seconds in timings.items():
        left.loglog(sides, seconds, marker="o", label=name)
    left.set_xticks(sides, [str(side) for side in sides])
    left.minorticks_off()
    left.set_xlabel("image side (pixels)")
    left.set_ylabel("seconds per convolution")
    left.legend(fontsize=8)
    shown = right.imshow(reached, cmap="viridis")
    right.set_title("input gradient of one output value")
    fig.colorbar(shown, ax=right)
    fig.tight_layout()
    fig.savefig("09_spatial.png", dpi=100)
    plt.close(fig)
    print("saved 09_spatial.png")

# %% [markdown]
# ## 5. In the real world
#
# - PyTorch has the same layers with the same arguments and defaults (`nn.Conv2d(C, O, k, stride,
#   padding, dilation, groups)`, `nn.BatchNorm2d(C, eps=1e-5, momentum=0.1)`), and the same
#   initialisation. On CPU it calls oneDNN, on GPU cuDNN, which pick per layer among several
#   algorithms: im2col + GEMM, *implicit* GEMM (the windows are gathered on the fly, so the buffer you
#   measured is never written), FFT-based convolution and Winograd's, which computes a 3x3
#   convolution with about 2.25 times fewer multiplications. `torch.backends.cudnn.benchmark = True`
#   times them on the first batch and keeps the fastest.
# - Layout matters: PyTorch can keep activations channels-last (`memory_format=torch.channels_last`,
#   NHWC), for the reason your numpy backend does it — the numbers under one window sit together.
# - For inference, BatchNorm can be folded into the preceding convolution (its scale and shift become
#   part of the weights and bias), so it costs nothing. Forgetting `model.eval()` before evaluating is
#   a classic bug: the running statistics keep changing and predictions depend on the batch.
# - Modern CNNs replace large filters by stacks of 3x3 ones (same receptive field, fewer weights) and
#   end with global average pooling; depthwise convolutions (`groups = C`) cut FLOPs further.

# %% [markdown]
# ## 6. Reflect
#
# 1. From your ladder: by how much did each method's time grow from 8x8 to 32x32 (16 times the
#    FLOPs)? Which grows with the number of Python iterations, and which with the arithmetic alone?
# 2. How many bytes would the im2col matrix take for a 3x3 convolution with 128 channels on a batch
#    of 64 images 56x56? And the per-tap method?
# 3. The LeNet layer has 156 parameters and the VGG one 36 928. Which costs more per image, by how
#    much, and why is the parameter count a poor guide to a convolution's cost?
# 4. What is the receptive field of two 3x3 convolutions, a 2x2 pooling and three more 3x3
#    convolutions? Would a convolutional network, trained like the MLP above, recognise the digits
#    shifted by one pixel? What would help it further?

# %% [markdown]
# ## 7. What breaks next
#
# Every model above was trained or evaluated with a loop written on the spot, and each loop has to
# remember the modes. Evaluate a model with BatchNorm and Dropout as the training loop leaves it, in
# training mode:

# %%
tt.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Dropout(0.5),
                      nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))
with tt.no_grad():
    before = model[1].running_mean.data.copy()
    first, second = model(x_test[:64]), model(x_test[:64])
    changed = int((first.argmax(dim=1).data != second.argmax(dim=1).data).sum())
    print("the same images twice, predictions that differ:", changed)
    print("running mean changed by 'evaluating':", not np.array_equal(before, model[1].running_mean.data))
    model.eval()
    print("in eval mode, the same twice:", np.array_equal(model(x_test[:64]).data, model(x_test[:64]).data))

# %% [markdown]
# A forgotten `model.eval()` gives noisy scores and quietly changes the model it is measuring; a
# forgotten `zero_grad` adds up gradients; a run stopped at epoch 9 of 10 starts over. Module 10
# writes the training loop once, with evaluation, metrics, checkpoints that resume exactly and early
# stopping built in.
