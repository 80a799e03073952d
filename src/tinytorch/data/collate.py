"""Module 07 — collating: turning a list of samples into one batch.

A dataset hands out one sample at a time, e.g. `(image, label)` with an image `(C, H, W)` and an
int label. Training wants one batch: images `(B, C, H, W)` and labels `(B,)`. `default_collate`
regroups a list of samples into that, following the samples' structure (tuples, dicts, numbers)
the way PyTorch's `default_collate` does.

`default_convert` is for batches that are already stacked (a dataset's vectorised `__getitems__`
returns whole arrays): it only wraps the arrays inside as Tensors.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tinytorch.tensor import Tensor

__all__ = ["default_collate", "default_convert"]


def _is_namedtuple(obj: Any) -> bool:
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of B samples into one batch, field by field.

    - Tensors / ndarrays of one shape `S` -> one Tensor `(B, *S)`, dtype kept
    - bools -> bool Tensor `(B,)`; ints (Python or NumPy, e.g. labels) -> int64 Tensor `(B,)`;
      floats -> float32 Tensor `(B,)` (TinyTorch's default float; PyTorch would give float64)
    - strings -> a list of B strings
    - dicts -> a dict with each value collated; tuples / lists / namedtuples -> the same kind of
      sequence with each position collated, so B samples `(x, y)` become one pair `(X, Y)`

    Raises ValueError for an empty batch or samples that do not line up (different shapes or
    lengths), TypeError for a type it does not know how to stack.
    """
    # BEGIN SOLUTION 07
    if len(batch) == 0:
        raise ValueError("default_collate: got an empty batch (a list of 0 samples)")
    first = batch[0]
    if isinstance(first, (Tensor, np.ndarray)):
        arrays = [x.data if isinstance(x, Tensor) else np.asarray(x) for x in batch]
        shapes = sorted({a.shape for a in arrays})
        if len(shapes) > 1:
            raise ValueError(
                f"default_collate: cannot stack samples of different shapes {shapes}; "
                "make them one shape (crop, pad) or pass a collate_fn"
            )
        return Tensor._from_array(np.stack(arrays))  # (B, *S)
    if isinstance(first, (bool, np.bool_)):
        return Tensor._from_array(np.array(batch, dtype=np.bool_))
    if isinstance(first, numbers.Integral):  # int and every NumPy integer type
        return Tensor._from_array(np.array(batch, dtype=np.int64))
    if isinstance(first, numbers.Real):
        return Tensor._from_array(np.array(batch, dtype=np.float32))
    if isinstance(first, str):
        return list(batch)
    if isinstance(first, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, Sequence):
        lengths = sorted({len(sample) for sample in batch})
        if len(lengths) > 1:
            raise ValueError(f"default_collate: samples have different numbers of fields {lengths}")
        fields = [default_collate(list(column)) for column in zip(*batch)]
        if _is_namedtuple(first):
            return type(first)(*fields)
        return tuple(fields) if isinstance(first, tuple) else fields
    raise TypeError(
        f"default_collate: cannot batch samples of type {type(first).__name__}; expected Tensors, "
        "ndarrays, numbers, strings, or tuples/lists/dicts of those (or pass a collate_fn)"
    )
    # END SOLUTION


def default_convert(batch: Any) -> Any:
    """Wrap every ndarray inside an already-stacked batch as a Tensor (no copy, dtype kept)."""
    if isinstance(batch, Tensor):
        return batch
    if isinstance(batch, np.ndarray):
        return Tensor._from_array(batch)
    if isinstance(batch, Mapping):
        return {key: default_convert(value) for key, value in batch.items()}
    if _is_namedtuple(batch):
        return type(batch)(*(default_convert(value) for value in batch))
    if isinstance(batch, (tuple, list)):
        return type(batch)(default_convert(value) for value in batch)
    return batch
