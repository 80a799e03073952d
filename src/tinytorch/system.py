"""Module 01 — a system report: what your code runs on.

Numbers in this course (time, memory, FLOPs) only mean something next to the machine that produced
them, so every benchmark prints this report first.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from typing import Any, Callable

import numpy as np


def blas_info() -> str:
    """Name and version of the BLAS library NumPy calls for matmul (or 'unknown')."""
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy without mode="dicts"
        return "unknown"


def system_report() -> dict[str, str | int]:
    """A dictionary describing the interpreter, NumPy, BLAS and the CPU."""
    # BEGIN SOLUTION 01
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "numpy": np.__version__,
        "blas": blas_info(),
        "os": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count() or 1,
        "executable": sys.executable,
    }
    # END SOLUTION


def format_report(report: dict[str, str | int] | None = None) -> str:
    """The report as aligned `key: value` lines."""
    report = report or system_report()
    width = max(map(len, report))
    return "\n".join(f"{key:<{width}} : {value}" for key, value in report.items())


def best_time(fn: Callable[[], Any], repeat: int = 5) -> float:
    """The shortest of `repeat` wall times of fn(), in seconds: the run the machine disturbed least."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best
