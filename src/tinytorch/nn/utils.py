"""Module 08 — gradient clipping: keep one bad batch from throwing the weights far away.

Both functions change `.grad` in place, between `loss.backward()` and `optimizer.step()`.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from tinytorch.tensor import Tensor


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[np.ndarray]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad.data for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so their joint norm is at most `max_norm`.

    The norm is taken over all gradients as if concatenated into one vector (norm_type=inf: the
    largest absolute entry). Returns that total norm, measured before clipping.
    """
    grads = _grads(parameters)
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return Tensor._from_array(np.zeros((), dtype=np.float32))
    # BEGIN SOLUTION 08
    if norm_type == math.inf:
        total = max(float(np.abs(g).max()) if g.size else 0.0 for g in grads)
    elif norm_type == 2.0:
        total = math.sqrt(sum(float(np.dot(g.ravel(), g.ravel())) for g in grads))
    else:
        total = sum(float((np.abs(g) ** norm_type).sum()) for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                           f"{total}; set error_if_nonfinite=False to clip anyway")
    clip_coef = max_norm / (total + 1e-6)
    if not clip_coef >= 1.0:  # NaN too: a NaN norm makes NaN gradients, as in PyTorch
        for g in grads:
            np.multiply(g, clip_coef, out=g, casting="unsafe")
    return Tensor._from_array(np.asarray(total, dtype=grads[0].dtype))
    # END SOLUTION


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
