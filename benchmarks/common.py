"""Shared helpers for the benchmarks: thread pinning, robust timing, and the result format.

Each benchmark file defines `cases(threads)` returning a list of `Case`s; `run.py` runs every file in
a fresh subprocess per thread count (BLAS reads its thread count once, at import) and prints
medians and ratios. The machine may be shared and noisy, so we report medians, never single times.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def pin_threads_from_argv() -> None:
    """Set the BLAS thread count to argv[1] (0 or absent: the library default); must run before
    NumPy or torch is imported."""
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if threads:
        for name in THREAD_VARIABLES:
            os.environ[name] = str(threads)


SETTLE_SECONDS = 0.2  # threaded turns: idle worker threads stop spinning within this
TURN_SECONDS = 0.3  # threaded turns: calls per turn add up to at least this


def threaded() -> bool:
    """True unless the BLAS/OpenMP thread count was pinned to 1."""
    return os.environ.get("OMP_NUM_THREADS") != "1"


def interleaved_medians(
    steps: dict[str, Callable[[], object]], warmup: int = 2, rounds: int = 10, min_seconds: float = 1.0
) -> dict[str, float]:
    """Median seconds per call of each implementation.

    The implementations take turns, so a busy machine slows them all alike and the ratios stay
    fair. On one thread a turn is one call: at least `rounds` rounds, more (up to 200) until
    `min_seconds` have passed. With several threads a turn is a pause, one untimed call, then timed
    calls for at least TURN_SECONDS (three at least), for `rounds` rounds (12 at most): after each
    call the idle worker threads of OpenMP (PyTorch) and OpenBLAS (NumPy) keep spinning for a
    while and would take the cores from whichever library runs next. Alternated call by call at 2 threads, a 1.2 ms TinyTorch MLP
    step measured 3.8 ms.
    """
    for _ in range(warmup):
        for step in steps.values():
            step()
    times: dict[str, list[float]] = {name: [] for name in steps}

    def call(name: str) -> None:
        t0 = time.perf_counter()
        steps[name]()
        times[name].append(time.perf_counter() - t0)

    if threaded():
        for _ in range(min(rounds, 12)):
            for name in steps:
                time.sleep(SETTLE_SECONDS)
                steps[name]()  # untimed: wakes this library's sleeping threads and refills the caches
                turn_start, calls = time.perf_counter(), 0
                while calls < 3 or time.perf_counter() - turn_start < TURN_SECONDS:
                    call(name)
                    calls += 1
    else:
        start, done = time.perf_counter(), 0
        while done < rounds or (time.perf_counter() - start < min_seconds and done < 200):
            for name in steps:
                call(name)
            done += 1
    return {name: statistics.median(values) for name, values in times.items()}


@dataclass
class Case:
    """One workload timed in several implementations (seconds per step, median)."""

    name: str
    seconds: dict[str, float] = field(default_factory=dict)  # implementation -> median seconds
    unit: str = "step"
    note: str = ""  # a derived figure worth printing beside the times (a share, a throughput)


def torch_or_none():
    """PyTorch, on the thread count pinned for this run, or None where it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    if os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    return torch


def cnn_train_step(lib, images, labels) -> Callable[[], None]:
    """One Adam step of the benchmark CNN in `lib` (tinytorch or torch: the same code runs on both)
    on a batch of 3x32x32 images: three 3x3 conv layers 3->32->64->128, each with ReLU and 2x2
    max-pooling, then Linear 2048->256, ReLU, Linear 256->10, cross-entropy."""
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 32, 16, 16)
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 64, 8, 8)
        nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 128, 4, 4)
        nn.Flatten(), nn.Linear(2048, 256), nn.ReLU(), nn.Linear(256, 10),
    )
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)

    def step() -> None:
        opt.zero_grad()
        nn.functional.cross_entropy(model(images), labels).backward()
        opt.step()

    return step


def emit(cases: list[Case]) -> None:
    """Print the cases as one JSON line for run.py."""
    print("BENCH-JSON " + json.dumps([asdict(c) for c in cases]))
    sys.stdout.flush()
