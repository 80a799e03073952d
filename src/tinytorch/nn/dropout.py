"""Module 04 — `Dropout`: randomly silence units while training, so no unit can rely on another."""

from __future__ import annotations

from tinytorch.tensor import Tensor

from . import functional as F
from .module import Module


class _DropoutNd(Module):
    """What every dropout layer holds: the probability `p` (checked) and `inplace`."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: p has to be a probability between 0 and 1 (in [0, 1]), "
                             f"but got {p}")
        self.p, self.inplace = p, inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability p in training (scaling the rest by 1 / (1 - p)); identity in eval."""

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)
