"""Module 07 — the DataLoader: from a dataset to a stream of shuffled batches.

    loader = DataLoader(train_set, batch_size=64, shuffle=True, generator=tinytorch.Generator(0))
    for epoch in range(epochs):
        for images, labels in loader:      # (64, C, H, W) and (64,) Tensors
            ...

Each epoch draws a fresh permutation of the indices (from `generator`, or the global one), cuts it
into batches and fetches them. A dataset with a vectorised `__getitems__` (TensorDataset, MNIST,
CIFAR10, ...) gets each batch in one call — with its transform applied to the whole batch —
instead of one call per sample; see `tinytorch.data.dataset`.

`prefetch=N` prepares up to N batches ahead in a background thread while the model computes on the
current one. NumPy releases the GIL in its copies and arithmetic, so the two can overlap — if a
core is free: the training step's matrix multiplies already use every core, and with the fast
path a CIFAR-10 batch of 64 takes about a millisecond, so measure before turning it on (it pays
off for slow, per-sample datasets). The order of batches does not change (the permutation is drawn
before the thread starts), but random transforms run in that thread: give them their own
`Generator` for runs that repeat exactly.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from tinytorch.data.dataset import fetch_batch
from tinytorch.random import Generator, rng_of

__all__ = ["DataLoader"]


class DataLoader:
    """Iterate over `dataset` in batches of `batch_size`.

    - `shuffle`: a new random order every epoch (reproducible with a seeded `generator`).
    - `drop_last`: skip the final batch if it is smaller than `batch_size`.
    - `collate_fn`: turns a list of samples into a batch. Default: the dataset's vectorised
      `__getitems__` if it has one, else `default_collate`. Passing one always fetches per sample.
    - `prefetch`: number of batches to prepare ahead in a background thread (0: none).
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 collate_fn: Callable[[list[Any]], Any] | None = None, generator: Generator | None = None,
                 prefetch: int = 0) -> None:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if not isinstance(prefetch, int) or prefetch < 0:
            raise ValueError(f"DataLoader: prefetch must be an int >= 0, got {prefetch!r}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.generator = generator
        self.prefetch = prefetch

    def __len__(self) -> int:
        """Number of batches per epoch."""
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _batch_indices(self) -> list[np.ndarray]:
        """The sample indices of every batch of one epoch, in order.

        `arange(n)`, or a fresh permutation when shuffling, cut into slices of `batch_size`; the
        last, shorter slice is left out when `drop_last`.
        """
        # BEGIN SOLUTION 07
        n = len(self.dataset)
        order = rng_of(self.generator).permutation(n) if self.shuffle else np.arange(n)
        stop = n - n % self.batch_size if self.drop_last else n
        return [order[start:start + self.batch_size] for start in range(0, stop, self.batch_size)]
        # END SOLUTION

    def _fetch(self, indices: np.ndarray) -> Any:
        if self.collate_fn is None:
            return fetch_batch(self.dataset, indices)
        return self.collate_fn([self.dataset[int(i)] for i in indices])

    def __iter__(self) -> Iterator[Any]:
        # The order is drawn here, in the caller's thread, so shuffling stays reproducible with prefetch.
        batches = (self._fetch(indices) for indices in self._batch_indices())
        if self.prefetch == 0:
            return batches
        return _PrefetchIterator(batches, self.prefetch)


class _Failure:
    """An exception raised in the prefetch thread, carried to the consumer to be raised there."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()  # marks the end of the epoch in the queue


def _put(out: queue.Queue, stop: threading.Event, item: Any) -> bool:
    """Put `item` on the bounded queue, waiting for room; give up (False) once `stop` is set."""
    while not stop.is_set():
        try:
            out.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


def _produce(batches: Iterable[Any], out: queue.Queue, stop: threading.Event) -> None:
    """Thread body: compute batches into `out`, then the end marker (or the exception raised)."""
    try:
        for batch in batches:
            if not _put(out, stop, batch):
                return
    except BaseException as error:  # noqa: BLE001 - every error is handed over to the consumer
        _put(out, stop, _Failure(error))
        return
    _put(out, stop, _END)


class _PrefetchIterator:
    """Iterates batches computed by a background thread, at most `depth` batches ahead.

    An exception in the thread is raised from `next()` with its original type and traceback.
    Dropping the iterator (or calling `close()`, which also waits) tells the thread to stop; it
    exits after the batch it is computing. The thread holds no reference to this object, so
    dropping the last reference to it is enough.
    """

    def __init__(self, batches: Iterable[Any], depth: int) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=_produce, args=(batches, self._queue, self._stop),
                                        name="tinytorch-prefetch", daemon=True)
        self._thread.start()

    def __iter__(self) -> _PrefetchIterator:
        return self

    def __next__(self) -> Any:
        if self._done:
            raise StopIteration
        item = self._queue.get()
        if item is _END or isinstance(item, _Failure):
            self.close()
            if isinstance(item, _Failure):
                raise item.error
            raise StopIteration
        return item

    def close(self) -> None:
        """Stop the background thread and wait for it to finish its current batch."""
        self._done = True
        self._stop.set()
        self._thread.join()

    def __del__(self) -> None:
        self._stop.set()  # no join here: __del__ may run at interpreter exit, when threads are frozen
