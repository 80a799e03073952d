"""The NumPy backend: every kernel vectorised, handing the inner loops to BLAS."""

from __future__ import annotations

import numpy as np

NAME = "numpy"


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Matrix product with NumPy's matmul semantics (1-D promotion, broadcast batch dims)."""
    return np.matmul(a, b)
