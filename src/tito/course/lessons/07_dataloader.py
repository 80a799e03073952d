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
# # Module 07 — DataLoader: from files on disk to shuffled batches, fast
#
# Training reads every example of a dataset, epoch after epoch, in a new random order, in batches.
# This module builds the `Dataset` and `DataLoader` that do it, the readers for the binary formats
# MNIST and CIFAR-10 are stored in, and transforms that augment a whole batch at once — and measures
# what each way of loading costs next to the training step it feeds.

# %% [markdown]
# ## 1. Why now
#
# Module 06 computed gradients on one random batch made up on the spot. Real data is a set of
# images, here the 1437 handwritten digits (8x8, uint8) shipped with TinyTorch. The obvious way to
# feed them to the network: shuffle the indices, and for each batch fetch the samples one by one,
# each converted to a float tensor on the way, and stack them.

# %%
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

import tinytorch as tt
from tinytorch import nn
from tinytorch.data import DataLoader, Digits, TensorDataset, default_collate, read_cifar_binary, read_idx
from tinytorch.data import transforms as T
from tinytorch.nn import functional as F
from tinytorch.system import best_time


tt.manual_seed(0)
normalize = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])  # uint8 (8, 8, 1) -> float32 (1, 8, 8)
digits = Digits(train=True, transform=normalize)  # .data uint8 (1437, 8, 8), .targets int64 (1437,)
B = 64


def load_epoch_by_sample() -> list[tuple[tt.Tensor, tt.Tensor]]:
    """One epoch of batches, built sample by sample in Python."""
    order = np.random.default_rng(0).permutation(len(digits))
    batches = []
    for start in range(0, len(digits), B):
        samples = [digits[int(i)] for i in order[start:start + B]]  # each (float32 (1, 8, 8), int)
        images = tt.stack([image for image, _ in samples])  # (B, 1, 8, 8)
        labels = tt.tensor([label for _, label in samples])  # (B,)
        batches.append((images, labels))
    return batches


model = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def train_epoch(net: nn.Module, batches: Iterable[tuple[tt.Tensor, tt.Tensor]], lr: float = 0.1) -> None:
    """Forward, backward and a plain gradient step on each batch (module 06's loop)."""
    for images, labels in batches:
        loss = F.cross_entropy(net(images), labels)
        for p in net.parameters():
            p.grad = None
        loss.backward()
        with tt.no_grad():
            for p in net.parameters():
                p -= lr * p.grad


batches = load_epoch_by_sample()
t_load, t_train = best_time(load_epoch_by_sample, repeat=3), best_time(lambda: train_epoch(model, batches), repeat=2)
print(f"one epoch, {len(batches)} batches of {B}: loading {1e3 * t_load:.1f} ms, training {1e3 * t_train:.1f} ms")
print(f"loading is {t_load / (t_load + t_train):.0%} of the epoch")

# %% [markdown]
# For a small model the loop can spend more time *preparing* numbers than learning from them: each
# sample costs a Python call, a tuple, a transpose, a conversion and a normalisation, and all of it
# is paid again every epoch. The arithmetic is trivial; the per-sample overhead is not. What is
# missing is a way to build a whole batch in a handful of array operations.

# %% [markdown]
# ## 2. The idea
#
# **A dataset** is anything with a length and a way to get sample i: `len(ds)`, `ds[i]`.
# `TensorDataset(x, y)` serves row i of tensors already in memory. **A batch** is B samples stacked
# along a new first axis: images `(B, C, H, W)`, labels `(B,)`. `default_collate` turns a list of
# samples into that, field by field:

# %%
samples = [(tt.randn(1, 8, 8), 3), (tt.randn(1, 8, 8), 7)]
images, labels = default_collate(samples)
print("collated:", images.shape, images.dtype, labels.shape, labels.dtype, labels)

# %% [markdown]
# **The fast path.** Fetching and converting B separate samples is what cost so much above. When
# all samples live in one array, the batch is *one* fancy-index: `data[indices]` gathers B rows in a
# single NumPy call. A dataset that can do this defines `__getitems__(indices)`, returning the stacked batch;
# the DataLoader then calls it once per batch instead of `ds[i]` B times.

# %%
x_all = tt.tensor(digits.data[:, None].astype(np.float32) / 255)  # (1437, 1, 8, 8)
y_all = tt.tensor(digits.targets)  # (1437,)
table = TensorDataset(x_all, y_all)
indices = np.array([5, 0, 42])
one_by_one = default_collate([table[int(i)] for i in indices])
all_at_once = table.__getitems__(indices)
print("same batch either way:", all(np.array_equal(a.data, b.data) for a, b in zip(one_by_one, all_at_once)))

# %% [markdown]
# **The DataLoader** turns a dataset into an iterator of batches: each epoch it draws a
# permutation of `range(len(ds))` (or keeps the order if `shuffle=False`), cuts it into slices of
# `batch_size` (the last one shorter, or dropped with `drop_last=True`) and fetches each slice.
#
# **Why shuffle.** Files are often stored class by class. Here are the digits sorted by label, as an
# image folder would list them:

# %%
by_class = np.argsort(digits.targets, kind="stable")
sorted_set = TensorDataset(x_all.data[by_class], y_all.data[by_class])
first = next(iter(DataLoader(sorted_set, batch_size=B)))[1]
shuffled = next(iter(DataLoader(sorted_set, batch_size=B, shuffle=True)))[1]
print("first batch, in file order:", np.bincount(first.data, minlength=10), "(count per digit)")
print("first batch, shuffled:     ", np.bincount(shuffled.data, minlength=10))

# %% [markdown]
# In file order every step pushes the weights toward one class, then the next: the gradient of a
# batch no longer estimates the gradient of the dataset. Shuffled batches are small random samples
# of the whole set.
#
# **Seeded randomness.** A `Generator` given to the loader makes the order reproducible; each epoch
# still draws a new permutation from it:

# %%
def first_labels(loader: DataLoader, epochs: int = 2) -> list[list[int]]:
    return [next(iter(loader))[1].data[:8].tolist() for _ in range(epochs)]


print("seed 0:        ", first_labels(DataLoader(table, batch_size=B, shuffle=True, generator=tt.Generator(0))))
print("seed 0 again:  ", first_labels(DataLoader(table, batch_size=B, shuffle=True, generator=tt.Generator(0))))
print("seed 1:        ", first_labels(DataLoader(table, batch_size=B, shuffle=True, generator=tt.Generator(1))))
print("batches per epoch:", len(DataLoader(table, batch_size=B)), "or, with drop_last,",
      len(DataLoader(table, batch_size=B, drop_last=True)),
      f"({len(table)} = {len(table) // B} x {B} + {len(table) % B})")

# %% [markdown]
# **Transforms** turn stored images into what the network wants. `ToTensor` takes uint8
# channels-last images `(H, W, C)` (how files store pixels) to float32 channels-first `(C, H, W)` in
# [0, 1] (how convolutions want them); `Normalize` subtracts a per-channel mean and divides by a
# std. **Augmentation** makes each epoch see slightly different images: `RandomCrop(size, padding)`
# shifts each image by a few pixels, `RandomHorizontalFlip` mirrors it. Every transform here takes
# one image `(C, H, W)` or a whole batch `(N, C, H, W)`, and a seeded transform draws its random
# numbers image by image in order, so a batch call gives exactly what N single calls would:

# %%
def augment(seed: int) -> T.Compose:
    return T.Compose([T.RandomCrop(8, padding=1, generator=tt.Generator(seed)),
                      T.RandomHorizontalFlip(generator=tt.Generator(seed + 1))])


batch = T.ToTensor()(digits.data[:16, :, :, None])  # (16, 8, 8, 1) uint8 -> (16, 1, 8, 8) float32
as_batch = augment(seed=7)(batch)
single = augment(seed=7)
as_singles = tt.stack([single(image) for image in batch])
print("ToTensor:", digits.data[:16, :, :, None].shape, "uint8 ->", tuple(batch.shape), batch.dtype)
print("batch call == 16 single calls:", np.array_equal(as_batch.data, as_singles.data))

# %% [markdown]
# A dataset applies its `transform` to one sample in `ds[i]` and to the whole batch in
# `__getitems__`, so the same transform object serves both paths.
#
# **Files.** Datasets come as binary files, read with NumPy alone (never `pickle`: loading data must
# not be able to run code):
#
# - **IDX** (MNIST): 4 magic bytes `00 00 <type> <ndim>` (type `0x08` = uint8), then `ndim` sizes as
#   big-endian uint32, then the values in C order. MNIST's training images: header 16 bytes, then
#   60 000 x 28 x 28 bytes.
# - **CIFAR-10 binary**: records of 3073 bytes — one label byte, then the 1024 red, 1024 green and
#   1024 blue values of a 32x32 image, row by row — 10 000 records per file.
#
# Here is the digits set written as an IDX file, and read back with your `read_idx`:

# %%
folder = Path(tempfile.mkdtemp())
images_u8 = digits.data  # (1437, 8, 8) uint8
header = bytes([0, 0, 0x08, images_u8.ndim]) + b"".join(n.to_bytes(4, "big") for n in images_u8.shape)
idx_path = folder / "digits-images-idx3-ubyte"
idx_path.write_bytes(header + images_u8.tobytes())
back = read_idx(idx_path, magic=2051)
print(f"header {header.hex(' ')}  ({len(header)} bytes)")
print(f"file {idx_path.stat().st_size:,} bytes = {len(header)} + {images_u8.size:,} pixels; read back "
      f"{back.shape} {back.dtype}, identical: {np.array_equal(back, images_u8)}")

# %% [markdown]
# And three CIFAR-style records (random pixels, to show the layout), read back as channels-last
# images:

# %%
rng = np.random.default_rng(0)
pixels = rng.integers(0, 256, (3, 3, 32, 32), dtype=np.uint8)  # (N, C, H, W): the order the file stores
records = np.concatenate([np.array([[4], [0], [9]], dtype=np.uint8), pixels.reshape(3, -1)], axis=1)  # (3, 3073)
cifar_path = folder / "three_records.bin"
cifar_path.write_bytes(records.tobytes())
cifar_images, cifar_labels = read_cifar_binary(cifar_path)
print(f"{cifar_path.stat().st_size:,} bytes = 3 x {records.shape[1]}; images {cifar_images.shape}, labels "
      f"{cifar_labels.tolist()}; pixel (red, row 0, col 1) round-trips: "
      f"{cifar_images[0, 0, 1, 0] == pixels[0, 0, 0, 1]}")
shutil.rmtree(folder)  # the two files were only for this demonstration

# %% [markdown]
# ## 3. Build it
#
# Write the bodies marked for module 07:
#
# | file | function | what it must do |
# |------|----------|-----------------|
# | `tinytorch/data/collate.py` | `default_collate` | stack B samples field by field: arrays/Tensors of one shape → `(B, ...)`, ints → int64 `(B,)`, floats → float32, bools, strings, and tuples/lists/dicts recursively; a clear error for an empty batch or mismatched shapes |
# | `tinytorch/data/dataloader.py` | `DataLoader._batch_indices` | the index slices of one epoch: `arange(n)` or a fresh permutation from the generator, cut into `batch_size` pieces, the short last one dropped with `drop_last` |
# | `tinytorch/data/dataset.py` | `fetch_batch`, `TensorDataset.__getitem__`, `TensorDataset.__getitems__` | one `__getitems__` call when the dataset has it, else `ds[i]` per index and `default_collate`; row i of every tensor (first one transformed); rows `indices` with one fancy-index each, the transform applied to the whole batch |
# | `tinytorch/data/datasets.py` | `read_idx` | parse the IDX header (magic, type byte, big-endian sizes), check the file's length against it, return the values reshaped (gzip already undone) |
# | `tinytorch/data/transforms.py` | `ToTensor.__call__`, `Normalize._normalize`, `RandomCrop._crop`, `RandomHorizontalFlip._flip` | HWC uint8 → CHW float32 in [0, 1] (one image or a batch); per-channel `(x − mean) / std` by broadcasting; pad, draw one corner per image, gather every window at once; mirror the images whose uniform draw is below `p` |
#
# Check with `tito module test 7`.

# %% [markdown]
# ## 4. Measure it
#
# ### Per-sample fetching vs one fancy-index per batch
#
# The same loader, two paths: by default your DataLoader calls the dataset's `__getitems__` once per
# batch; passing `collate_fn=default_collate` makes it fetch `ds[i]` sample by sample and stack.
# Both on the digits with `ToTensor` and `Normalize` as the dataset's transform:

# %%
batch_sizes, per_sample_s, per_batch_s = [8, 32, 128, 512], [], []
for batch_size in batch_sizes:
    fast = DataLoader(digits, batch_size=batch_size)
    slow = DataLoader(digits, batch_size=batch_size, collate_fn=default_collate)
    per_batch_s.append(best_time(lambda: list(fast), repeat=5))
    per_sample_s.append(best_time(lambda: list(slow), repeat=2))
    print(f"batch {batch_size:4d}: per sample {1e3 * per_sample_s[-1]:7.2f} ms/epoch "
          f"({1e6 * per_sample_s[-1] / len(digits):5.1f} us/image)   one index per batch "
          f"{1e3 * per_batch_s[-1]:6.2f} ms/epoch ({1e6 * per_batch_s[-1] / len(digits):5.2f} us/image)   "
          f"{per_sample_s[-1] / per_batch_s[-1]:5.0f}x")

# %% [markdown]
# Per sample, the cost per image stays the same whatever the batch size: it is the Python work of
# one `ds[i]`, one transform call and one share of the stack. With one index per batch, the fixed
# cost of a batch (a few calls) is shared by all its images, so the cost per image falls as the
# batch grows, until the copying of the bytes themselves is all that is left.
#
# ### Bytes: what a dataset costs in memory

# %%
def in_units(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:7.1f} MiB" if n_bytes < 2**30 else f"{n_bytes / 2**30:7.1f} GiB"


print(f"digits here: {digits.data.nbytes:,} bytes as uint8 ({digits.data.itemsize} byte/pixel), "
      f"{x_all.nbytes():,} as float32")
formats = {  # name: (images, pixels per image, bytes per image in the file)
    "MNIST train (IDX)": (60_000, 28 * 28, "784"),
    "CIFAR-10 train (binary)": (50_000, 32 * 32 * 3, "3,073"),
    "ImageNet-1k train at 224x224": (1_281_167, 224 * 224 * 3, "JPEG"),
}
for name, (count, pixels_per_image, in_file) in formats.items():
    print(f"{name:29s} {in_file:>5s} B/image in the file   in memory: uint8 {in_units(count * pixels_per_image)}   "
          f"float32 {in_units(4 * count * pixels_per_image)}")

# %% [markdown]
# Keeping the images as uint8 and converting each batch as it is drawn (what `ToTensor` in the
# dataset's transform does) costs a quarter of the memory of converting the whole set up front.
# ImageNet does not fit in memory either way (hence compressed JPEG files decoded per sample, and
# the worker processes of section 5).
#
# ### Augmentation: one call per batch vs a loop over images
#
# The standard CIFAR-10 augmentation (shift by up to 4 pixels, mirror half the images), on a batch
# of 256 images 32x32x3, and on the 8x8 digits:

# %%
cifar_like = tt.rand(256, 3, 32, 32)  # (N, C, H, W): the shape matters here, not the content
cifar_augment = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip()])
digit_batch = x_all[:256]  # (256, 1, 8, 8)
digit_augment = T.Compose([T.RandomCrop(8, padding=1)])
for name, images, transform in (("CIFAR 32x32x3", cifar_like, cifar_augment),
                                ("digits 8x8", digit_batch, digit_augment)):
    t_batch = best_time(lambda: transform(images), repeat=5)
    t_loop = best_time(lambda: tt.stack([transform(image) for image in images]), repeat=2)
    print(f"{name:14s} 256 images: one batch call {1e3 * t_batch:6.2f} ms   loop over images "
          f"{1e3 * t_loop:6.2f} ms   ({t_loop / t_batch:.0f}x)")

# %% [markdown]
# The crop of a whole batch is one padded copy and one gather through a sliding-window view; the
# loop pays Python's overhead 256 times. The bigger each image, the more the arithmetic itself
# weighs and the smaller the gap.
#
# ### The data pipeline's share of a training step
#
# Loading is worth optimising only if it is a noticeable part of a step. Two models, each timed
# over one epoch of batches of 64 digits (loading, then the training steps alone): the MLP from
# above, and a small convolutional network. Module 09 builds the
# real `Conv2d`; here a 3x3 convolution is written with the tensor operations you already have
# (nine shifted slices of the input, concatenated, times a weight matrix), so autograd handles it.

# %%
class TapConv(nn.Module):
    """A 3x3 convolution without padding, from slices and one matmul: (N, C, H, W) -> (N, O, H-2, W-2)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        fan_in = 9 * in_channels
        self.weight = nn.Parameter(tt.randn(fan_in, out_channels) * (2 / fan_in) ** 0.5)  # (9*C, O)

    def forward(self, x: tt.Tensor) -> tt.Tensor:
        n, _, h, w = x.shape
        taps = [x[:, :, i:i + h - 2, j:j + w - 2] for i in range(3) for j in range(3)]  # 9 x (N, C, H-2, W-2)
        cols = tt.cat(taps, dim=1).permute(0, 2, 3, 1).reshape(n * (h - 2) * (w - 2), -1)  # (N*(H-2)*(W-2), 9*C)
        return (cols @ self.weight).reshape(n, h - 2, w - 2, -1).permute(0, 3, 1, 2)  # (N, O, H-2, W-2)


cnn = nn.Sequential(TapConv(1, 16), nn.ReLU(), TapConv(16, 32), nn.ReLU(), nn.Flatten(), nn.Linear(32 * 4 * 4, 10))
fast_loader = DataLoader(digits, batch_size=B, shuffle=True)
slow_loader = DataLoader(digits, batch_size=B, shuffle=True, collate_fn=default_collate)
batches = list(fast_loader)  # one epoch, kept to time the training steps alone
load_fast = best_time(lambda: list(fast_loader), repeat=5) / len(batches)
load_slow = best_time(lambda: list(slow_loader), repeat=2) / len(batches)
for name, net in (("MLP", model), ("small CNN", cnn)):
    t_step = best_time(lambda: train_epoch(net, batches, lr=0.01), repeat=2) / len(batches)
    print(f"{name:9s} step {1e3 * t_step:6.2f} ms   + loading the batch per sample {1e3 * load_slow:5.2f} ms "
          f"({load_slow / (load_slow + t_step):4.0%} of the total)   or batched {1e3 * load_fast:5.3f} ms "
          f"({load_fast / (load_fast + t_step):4.1%})")

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None  # plots are optional: the tables above say the same

if plt is not None:
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.loglog(batch_sizes, [1e6 * s / len(digits) for s in per_sample_s], marker="o", label="ds[i] per sample")
    ax.loglog(batch_sizes, [1e6 * s / len(digits) for s in per_batch_s], marker="o", label="one index per batch")
    ax.set_xlabel("batch size")
    ax.set_ylabel("microseconds per image")
    ax.legend()
    fig.tight_layout()
    fig.savefig("07_loading.png", dpi=100)
    plt.close(fig)
    print("saved 07_loading.png")

# %% [markdown]
# ## 5. In the real world
#
# - `torch.utils.data` has the same pieces: `Dataset`, `TensorDataset`, `Subset`, `random_split`,
#   `DataLoader(batch_size, shuffle, drop_last, collate_fn, generator)`. Since PyTorch 2.0 a dataset
#   may define `__getitems__`; there it returns a list of samples that `collate_fn` still stacks,
#   while here it returns the stacked batch itself.
# - Real pipelines decode JPEG or PNG files one sample at a time in Python, which no fancy-index can
#   batch. PyTorch therefore runs `num_workers` separate *processes* (Python threads share one
#   interpreter lock), each building whole batches ahead (`prefetch_factor`), and copies them into
#   page-locked memory (`pin_memory=True`) so the transfer to the GPU can overlap with compute.
#   Each worker must draw different random numbers, or all of them apply the same "random"
#   augmentation: PyTorch seeds each worker's torch, `random` and NumPy generators from a base seed
#   and the worker's id, and `worker_init_fn` is there for any other generator.
# - torchvision's `transforms.v2` accept batched tensors; NVIDIA DALI and Kornia augment on the
#   GPU; FFCV and WebDataset store datasets in formats built for fast sequential reads. Data that
#   does not fit in memory is read through memory maps (`np.memmap`) or streamed from shards.
# - MNIST is still distributed in the IDX format of 1998, and the CIFAR "binary version" is the one
#   to read without `pickle` (the Python version is a pickle: unpickling a file can run code).

# %% [markdown]
# ## 6. Reflect
#
# 1. From your table: how many microseconds does one `ds[i]` cost, all included? How does the
#    batched path's cost per image change with the batch size, and what is left for very large
#    batches?
# 2. How much memory would CIFAR-10's training set take as float32, and how much as uint8? Where in
#    the pipeline should the conversion happen, and why?
# 3. For which of your two models does the loading path matter? Estimate the share of loading for
#    the MLP with per-sample loading if the images were 32x32x3 instead of 8x8.
# 4. `RandomHorizontalFlip` is standard for CIFAR-10. Why would it be a bad idea for digits?
#    Which augmentation would you choose for them instead?

# %% [markdown]
# ## 7. What breaks next
#
# The loop is fed; the update is still `p -= lr * p.grad`, and everything depends on lr. Two
# epochs on the digits, shuffled, with three learning rates:

# %%
test_set = Digits(train=False, transform=normalize)
x_test, y_test = test_set.__getitems__(np.arange(len(test_set)))  # (360, 1, 8, 8), (360,)
for lr in (0.003, 0.3, 3.0):
    tt.manual_seed(0)
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    loader = DataLoader(digits, batch_size=B, shuffle=True, generator=tt.Generator(0))
    for epoch in range(2):
        train_epoch(mlp, loader, lr=lr)
    with tt.no_grad():
        logits = mlp(x_test)  # (360, 10)
    loss, accuracy = F.cross_entropy(logits, y_test).item(), (logits.argmax(dim=1).data == y_test.data).mean()
    print(f"lr {lr:<5}: test loss {loss:6.3f}, test accuracy {accuracy:6.1%}")

# %% [markdown]
# Too small and the loss barely moves in two epochs; too large and the network diverges to chance
# level. One learning rate is shared by every weight, whatever the scale of its gradient. Module 08
# builds optimizers that remember past gradients (momentum) and adapt the step size per weight
# (Adam), and schedules that change the learning rate during training.
