"""Module 09 — `Dropout2d`: dropout of whole channels, the dropout that regularises conv nets."""

from __future__ import annotations

from tinytorch.nn.functional_spatial import dropout2d
from tinytorch.nn.module import Module
from tinytorch.tensor import Tensor


class Dropout2d(Module):
    """In training, zero each channel of (N, C, H, W) with probability p and scale the kept ones by
    1 / (1 - p), so the expected activation is unchanged; in evaluation, pass the input through."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout2d: p must be a probability in [0, 1], got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return dropout2d(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
