"""The data pipeline's share of a CIFAR-10 training step.

One batch of 64 CIFAR-shaped images through the DataLoader with the standard augmentation
(ToTensor, RandomCrop(32, padding=4), RandomHorizontalFlip, Normalize), against one training step of
the benchmark CNN on that batch. The pixels are random: loading cost does not depend on content.
"""

from __future__ import annotations

from common import Case, cnn_train_step, emit, interleaved_medians, pin_threads_from_argv

if __name__ == "__main__":
    pin_threads_from_argv()

import numpy as np  # noqa: E402

import tinytorch as tt  # noqa: E402
from tinytorch.data import DataLoader, TensorDataset  # noqa: E402
from tinytorch.data import transforms as T  # noqa: E402

BATCH, IMAGES = 64, 10_000


def loader() -> DataLoader:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (IMAGES, 32, 32, 3), dtype=np.uint8)  # (N, H, W, C), as stored
    labels = rng.integers(0, 10, IMAGES)
    augment = T.Compose([T.ToTensor(), T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(),
                         T.Normalize((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))])
    dataset = TensorDataset(pixels, labels, transform=augment)
    return DataLoader(dataset, batch_size=BATCH, shuffle=True, drop_last=True, generator=tt.Generator(0))


def cases() -> list[Case]:
    batches = iter(())
    data = loader()

    def next_batch():
        nonlocal batches
        try:
            return next(batches)
        except StopIteration:
            batches = iter(data)
            return next(batches)

    train_step = cnn_train_step(tt, *next_batch())
    timings = interleaved_medians({"load": next_batch, "step": train_step}, rounds=10)
    load, step = timings["load"], timings["step"]
    share = load / (load + step)
    return [
        Case("data: CIFAR batch 64, crop+flip+normalize via DataLoader", {"tinytorch": load}, "batch",
             note=f"{share:.1%} of a training step (target ≤ 10 %)"),
        Case("CNN train step that batch feeds (Adam), batch 64", {"tinytorch": step}, "step"),
    ]


if __name__ == "__main__":
    emit(cases())
