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


def pin_threads(threads: int | None) -> None:
    """Set the BLAS thread count; must run before NumPy or torch is imported."""
    if threads:
        for name in THREAD_VARIABLES:
            os.environ[name] = str(threads)


def median_time(step: Callable[[], object], warmup: int = 3, repeat: int = 20, min_seconds: float = 0.5) -> float:
    """Median seconds per call of `step`, after `warmup` calls, over at least `repeat` calls."""
    for _ in range(warmup):
        step()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < repeat or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
        if len(times) >= 20 * repeat:
            break
    return statistics.median(times)


@dataclass
class Case:
    """One workload timed in several implementations (seconds per step, median)."""

    name: str
    seconds: dict[str, float] = field(default_factory=dict)  # implementation -> median seconds
    unit: str = "step"
    note: str = ""  # a derived figure worth printing beside the times (a share, a throughput)


def torch_or_none():
    try:
        import torch

        return torch
    except ImportError:
        return None


def emit(cases: list[Case]) -> None:
    """Print the cases as one JSON line for run.py."""
    print("BENCH-JSON " + json.dumps([asdict(c) for c in cases]))
    sys.stdout.flush()
