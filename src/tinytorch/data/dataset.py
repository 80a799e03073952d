"""Module 07 — datasets: a length and a way to get sample i.

`Dataset` is the contract: `len(ds)` samples, `ds[i]` returns sample i. `TensorDataset` serves
rows of arrays already in memory; `Subset` and `random_split` carve a dataset into parts (train /
validation).

The fast path. Building a batch sample by sample costs B Python calls plus a stack, which for
small images is most of the time spent. A dataset that can do better defines
`__getitems__(indices)` and returns the *whole batch* at once (one fancy-index per array, one call
of its transform); the DataLoader then calls that instead of `__getitem__` B times. Unlike
PyTorch, where `__getitems__` returns a list of samples that `collate_fn` then stacks, here it
returns the stacked batch itself: the point is to never build per-sample objects at all.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinytorch.data.collate import default_collate, default_convert
from tinytorch.data.transforms import apply_batch
from tinytorch.random import Generator, rng_of
from tinytorch.tensor import Tensor

__all__ = ["Dataset", "Subset", "TensorDataset", "fetch_batch", "random_split"]


class Dataset:
    """A map-style dataset: `len(ds)` samples, `ds[i]` is sample i. Subclasses define both."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


def fetch_batch(dataset: Any, indices: np.ndarray) -> Any:
    """The batch of samples `indices` of `dataset`, as Tensors.

    One vectorised `dataset.__getitems__(indices)` call if the dataset has one (its arrays are then
    wrapped as Tensors), otherwise `dataset[i]` for each index and `default_collate` to stack them.
    """
    # BEGIN SOLUTION 07
    if hasattr(dataset, "__getitems__"):
        return default_convert(dataset.__getitems__(indices))
    return default_collate([dataset[int(i)] for i in indices])
    # END SOLUTION


class TensorDataset(Dataset):
    """Sample i is row i of every tensor: `ds[i] == (t0[i], t1[i], ...)`, e.g. `(x[i], y[i])`.

    `transform`, if given, is applied to the first tensor's rows (the inputs): to one row in
    `__getitem__`, to a whole batch in `__getitems__` (one call if the transform is `batched`,
    which every transform in `tinytorch.data.transforms` is).
    """

    def __init__(self, *tensors: Tensor | np.ndarray, transform: Callable[[Any], Any] | None = None) -> None:
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        arrays = [t.data if isinstance(t, Tensor) else np.asarray(t) for t in tensors]
        sizes = [a.shape[0] if a.ndim > 0 else None for a in arrays]
        if None in sizes or len(set(sizes)) != 1:
            raise ValueError(
                "TensorDataset: every tensor needs the same first dimension (one row per sample), "
                f"got shapes {[a.shape for a in arrays]}"
            )
        self.tensors = tuple(Tensor._from_array(a) for a in arrays)
        self.transform = transform

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        """Row `index` of every tensor, each as a Tensor (the first one transformed)."""
        # BEGIN SOLUTION 07
        sample: list[Any] = [Tensor._from_array(np.asarray(t.data[index])) for t in self.tensors]
        if self.transform is not None:
            sample[0] = self.transform(sample[0])
        return tuple(sample)
        # END SOLUTION

    def __getitems__(self, indices: Sequence[int] | np.ndarray) -> tuple[Any, ...]:
        """Rows `indices` of every tensor with one fancy-index each: the batch `(B, ...)` directly."""
        # BEGIN SOLUTION 07
        rows = np.asarray(indices, dtype=np.int64)  # (B,)
        batch: list[Any] = [Tensor._from_array(t.data[rows]) for t in self.tensors]
        if self.transform is not None:
            batch[0] = apply_batch(self.transform, batch[0])
        return tuple(batch)
        # END SOLUTION


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order: `Subset(ds, idx)[i] == ds[idx[i]]`."""

    def __init__(self, dataset: Any, indices: Sequence[int] | np.ndarray) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)
        if self.indices.ndim != 1:
            raise ValueError(f"Subset: indices must be 1-D, got shape {self.indices.shape}")

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def __getitems__(self, indices: Sequence[int] | np.ndarray) -> Any:
        return fetch_batch(self.dataset, self.indices[np.asarray(indices, dtype=np.int64)])


def _split_sizes(n: int, lengths: Sequence[int | float]) -> list[int]:
    """Part sizes for `random_split`: ints used as given, fractions turned into counts."""
    if any(isinstance(x, float) for x in lengths):
        if any(x < 0 or x > 1 for x in lengths) or not math.isclose(sum(lengths), 1.0, abs_tol=1e-6):
            raise ValueError(f"random_split: fractions must be in [0, 1] and sum to 1, got {list(lengths)}")
        sizes = [math.floor(n * x) for x in lengths]
        for i in range(n - sum(sizes)):  # hand out the rounding remainder one by one, as PyTorch does
            sizes[i % len(sizes)] += 1
        return sizes
    if any(x < 0 for x in lengths) or sum(lengths) != n:
        raise ValueError(
            f"random_split: lengths {list(lengths)} sum to {sum(lengths)}, but the dataset has {n} samples "
            "(give non-negative ints that sum to the length, or fractions that sum to 1)"
        )
    return [int(x) for x in lengths]


def random_split(dataset: Any, lengths: Sequence[int | float],
                 generator: Generator | None = None) -> list[Subset]:
    """Split `dataset` into non-overlapping random `Subset`s of the given sizes.

    `lengths` are sample counts summing to `len(dataset)`, or fractions summing to 1
    (`random_split(ds, [0.8, 0.2])`). The same `generator` seed gives the same split.
    """
    sizes = _split_sizes(len(dataset), lengths)
    order = rng_of(generator).permutation(len(dataset))
    bounds = np.cumsum([0, *sizes])
    return [Subset(dataset, order[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:])]
