"""Module 07 — transforms: preprocessing and augmentation, for one image or a whole batch.

Images come off disk as uint8 arrays, channels last: `(H, W, C)`. `ToTensor` turns them into
float32 tensors in [0, 1], channels first: `(C, H, W)`, the layout convolutions want. Every other
transform here takes channels-first images, either one `(C, H, W)` or a batch `(N, C, H, W)`:

    train_tf = Compose([ToTensor(), RandomCrop(32, padding=4), RandomHorizontalFlip(),
                        Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))])

Why batches: augmenting 64 images with 64 Python calls costs more than the arithmetic itself.
The batch path does it in a few NumPy calls (a random crop of N images is one gather through a
sliding-window view), so loading plus augmentation stays a small part of a training step. The
datasets in `tinytorch.data` hand a whole batch to their `transform` when the DataLoader asks for
one (see `Dataset.__getitems__`); a transform declares it can take batches with `batched = True`.

Randomness: a random transform draws uniform floats from its `generator` (or the global one),
image by image in order. So one batch call uses the generator exactly like N single calls, and a
seeded transform gives the same images whether applied to a batch or to each image in turn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from tinytorch.data.collate import default_collate
from tinytorch.random import Generator, rng_of
from tinytorch.tensor import Tensor

__all__ = ["Compose", "Lambda", "Normalize", "RandomCrop", "RandomHorizontalFlip", "ToTensor",
           "Transform", "apply_batch"]

ArrayOrTensor = np.ndarray | Tensor


def _unwrap(x: ArrayOrTensor) -> tuple[np.ndarray, bool]:
    """The array behind `x`, and whether `x` was a Tensor (so the result can be one again)."""
    return (x.data, True) if isinstance(x, Tensor) else (np.asarray(x), False)


def _as_batch(x: ArrayOrTensor, op: str) -> tuple[np.ndarray, bool, bool]:
    """`x` as a batch `(N, C, H, W)`, whether it was a single image, and whether it was a Tensor."""
    array, is_tensor = _unwrap(x)
    if array.ndim not in (3, 4):
        raise ValueError(f"{op}: expected an image (C, H, W) or a batch (N, C, H, W), got shape {array.shape}")
    if array.shape[-1] in (1, 3, 4) and array.shape[-3] not in (1, 3, 4):
        raise ValueError(
            f"{op}: shape {array.shape} looks channels-last (H, W, C); put ToTensor() before it, "
            "which makes images channels-first (C, H, W)"
        )
    single = array.ndim == 3
    return (array[None] if single else array), single, is_tensor


def _restore(batch: np.ndarray, single: bool, is_tensor: bool) -> ArrayOrTensor:
    """Undo `_as_batch`: drop the batch axis of a single image, wrap as a Tensor if it was one."""
    out = batch[0] if single else batch
    return Tensor._from_array(out) if is_tensor else out


class Transform:
    """Base class. `transform(x)` accepts one sample or a batch of them (`batched = True`)."""

    batched: bool = True

    def __call__(self, x: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __call__")

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


class Compose(Transform):
    """Apply transforms in order. Takes batches only if every transform in it does."""

    def __init__(self, transforms: Iterable[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    @property
    def batched(self) -> bool:  # type: ignore[override]
        return all(getattr(t, "batched", False) for t in self.transforms)

    def __call__(self, x: Any) -> Any:
        for transform in self.transforms:
            x = transform(x)
        return x


class Lambda(Transform):
    """A function used as a transform. Pass `batched=True` only if it also handles a whole batch."""

    def __init__(self, fn: Callable[[Any], Any], batched: bool = False) -> None:
        self.fn = fn
        self.batched = batched

    def __call__(self, x: Any) -> Any:
        return self.fn(x)


def apply_batch(transform: Callable[[Any], Any], batch: ArrayOrTensor) -> Any:
    """Apply `transform` to a batch: in one call if it is `batched`, else item by item, stacked.

    The fallback keeps any per-sample function correct on the fast path (just not fast); items of
    a 1-D batch (labels) are passed as Python numbers, as `__getitem__` would pass them.
    """
    if getattr(transform, "batched", False):
        return transform(batch)
    array, is_tensor = _unwrap(batch)
    if array.ndim == 1:
        items: list[Any] = array.tolist()
    else:
        items = [Tensor._from_array(row) if is_tensor else row for row in array]
    return default_collate([transform(item) for item in items])


class ToTensor(Transform):
    """Channels-last image(s) -> channels-first float32 Tensor, uint8 scaled to [0, 1].

    `(H, W)` -> `(1, H, W)`; `(H, W, C)` -> `(C, H, W)`; a batch `(N, H, W, C)` -> `(N, C, H, W)`.
    A 3-D array is always read as one HWC image, so a batch of grayscale images must carry its
    channel axis, `(N, H, W, 1)` (the datasets here always hand images over that way).
    Non-uint8 input is converted to float32 without scaling, as in torchvision.
    """

    def __call__(self, pic: ArrayOrTensor) -> Tensor:
        # BEGIN SOLUTION 07
        array, _ = _unwrap(pic)
        if array.ndim == 2:
            array = array[:, :, None]  # (H, W, 1)
        if array.ndim not in (3, 4):
            raise ValueError(f"ToTensor: expected (H, W), (H, W, C) or (N, H, W, C), got shape {array.shape}")
        chw = np.moveaxis(array, -1, -3)  # (..., C, H, W), a view
        out = np.ascontiguousarray(chw, dtype=np.float32)  # one pass: reorder and convert
        if array.dtype == np.uint8:
            out /= 255.0
        return Tensor._from_array(out)
        # END SOLUTION


class Normalize(Transform):
    """Per channel: `(x - mean[c]) / std[c]`, for `(C, H, W)` or `(N, C, H, W)` float input."""

    def __init__(self, mean: Sequence[float] | float, std: Sequence[float] | float) -> None:
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float32))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float32))
        if self.mean.ndim != 1 or self.mean.shape != self.std.shape:
            raise ValueError(f"Normalize: mean {self.mean.shape} and std {self.std.shape} must be equal-length 1-D")
        if np.any(self.std == 0):
            raise ValueError(f"Normalize: std must be non-zero, got {self.std.tolist()}")

    def __call__(self, x: ArrayOrTensor) -> ArrayOrTensor:
        images, single, is_tensor = _as_batch(x, "Normalize")
        if len(self.mean) not in (1, images.shape[1]):
            raise ValueError(
                f"Normalize: {len(self.mean)} means/stds for images with {images.shape[1]} channels "
                f"(shape {images.shape[1:]})"
            )
        return _restore(self._normalize(images), single, is_tensor)

    def _normalize(self, images: np.ndarray) -> np.ndarray:
        """(N, C, H, W) -> (N, C, H, W): subtract each channel's mean, divide by its std."""
        # BEGIN SOLUTION 07
        mean = self.mean[:, None, None]  # (C, 1, 1): broadcasts over N, H and W
        std = self.std[:, None, None]
        return (images - mean) / std
        # END SOLUTION


class RandomCrop(Transform):
    """Cut a random `size` window out of each image, after padding its borders with `fill`.

    `padding`: int (all sides), `(left/right, top/bottom)` or `(left, top, right, bottom)`, as in
    torchvision. `RandomCrop(32, padding=4)` on 32x32 images shifts each by up to 4 pixels: the
    standard CIFAR-10 augmentation.
    """

    def __init__(self, size: int | Sequence[int], padding: int | Sequence[int] | None = None,
                 fill: float = 0, generator: Generator | None = None) -> None:
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        if len(self.size) != 2 or min(self.size) < 1:
            raise ValueError(f"RandomCrop: size must be a positive int or (height, width), got {size!r}")
        pad = (0,) if padding is None else ((padding,) if isinstance(padding, int) else tuple(padding))
        if len(pad) == 1:
            pad = pad * 4
        elif len(pad) == 2:
            pad = (pad[0], pad[1], pad[0], pad[1])
        if len(pad) != 4 or min(pad) < 0:
            raise ValueError(f"RandomCrop: padding must be >= 0 and an int or a 2- or 4-tuple, got {padding!r}")
        self.padding = pad  # (left, top, right, bottom)
        self.fill = fill
        self.generator = generator

    def __call__(self, x: ArrayOrTensor) -> ArrayOrTensor:
        images, single, is_tensor = _as_batch(x, "RandomCrop")
        left, top, right, bottom = self.padding
        height, width = images.shape[2] + top + bottom, images.shape[3] + left + right
        if self.size[0] > height or self.size[1] > width:
            raise ValueError(
                f"RandomCrop: crop {self.size} is larger than the padded image ({height}, {width}) "
                f"(image {images.shape[2:]}, padding {self.padding})"
            )
        return _restore(self._crop(images), single, is_tensor)

    def _crop(self, images: np.ndarray) -> np.ndarray:
        """(N, C, H, W) -> (N, C, h, w): pad, draw one top-left corner per image, gather all windows.

        Corners come from `rng.random((N, 2))` (row, column per image), scaled to 0..H_pad-h.
        """
        # BEGIN SOLUTION 07
        n, c, h_in, w_in = images.shape
        left, top, right, bottom = self.padding
        h, w = self.size
        padded = np.full((n, c, h_in + top + bottom, w_in + left + right), self.fill, dtype=images.dtype)
        padded[:, :, top:top + h_in, left:left + w_in] = images
        u = rng_of(self.generator).random((n, 2))  # (N, 2) uniform in [0, 1)
        n_rows, n_cols = padded.shape[2] - h + 1, padded.shape[3] - w + 1  # possible corners
        rows = np.minimum((u[:, 0] * n_rows).astype(np.int64), n_rows - 1)  # (N,)
        cols = np.minimum((u[:, 1] * n_cols).astype(np.int64), n_cols - 1)  # (N,)
        windows = sliding_window_view(padded, (h, w), axis=(2, 3))  # (N, C, n_rows, n_cols, h, w), no copy
        return windows[np.arange(n), :, rows, cols]  # (N, C, h, w): window (rows[i], cols[i]) of image i
        # END SOLUTION


class RandomHorizontalFlip(Transform):
    """Mirror each image left-right with probability `p` (decided per image)."""

    def __init__(self, p: float = 0.5, generator: Generator | None = None) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p = p
        self.generator = generator

    def __call__(self, x: ArrayOrTensor) -> ArrayOrTensor:
        images, single, is_tensor = _as_batch(x, "RandomHorizontalFlip")
        return _restore(self._flip(images), single, is_tensor)

    def _flip(self, images: np.ndarray) -> np.ndarray:
        """(N, C, H, W) -> (N, C, H, W): image i reversed along W where a uniform draw u[i] < p."""
        # BEGIN SOLUTION 07
        flip = rng_of(self.generator).random(len(images)) < self.p  # (N,) bool
        return np.where(flip[:, None, None, None], images[..., ::-1], images)
        # END SOLUTION
