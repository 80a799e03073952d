"""The naive backend: every kernel as explicit loops, written to be read, not to be fast."""

from __future__ import annotations

import numpy as np

NAME = "naive"


def matmul2d(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, k) @ (k, m) -> (n, m), one multiply-add at a time."""
    # BEGIN SOLUTION 02
    n, k = a.shape
    m = b.shape[1]
    out = np.zeros((n, m), dtype=np.result_type(a, b))
    for i in range(n):
        for j in range(m):
            total = 0.0
            for p in range(k):
                total += a[i, p] * b[p, j]
            out[i, j] = total
    return out
    # END SOLUTION


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Matrix product with NumPy's matmul semantics (1-D promotion, broadcast batch dims)."""
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    a_b = np.broadcast_to(a2, batch + a2.shape[-2:])
    b_b = np.broadcast_to(b2, batch + b2.shape[-2:])
    out = np.empty(batch + (a2.shape[-2], b2.shape[-1]), dtype=np.result_type(a, b))
    for index in np.ndindex(*batch):
        out[index] = matmul2d(a_b[index], b_b[index])
    if a.ndim == 1:
        out = out[..., 0, :]
    if b.ndim == 1:
        out = out[..., 0]
    return out
