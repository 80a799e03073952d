"""Module 09 — `Dropout2d`: dropout of whole channels, the dropout that regularises conv nets."""

from __future__ import annotations

from tinytorch.nn.dropout import _DropoutNd
from tinytorch.nn.functional_spatial import dropout2d
from tinytorch.tensor import Tensor


class Dropout2d(_DropoutNd):
    """In training, zero each channel of (N, C, H, W) with probability p and scale the kept ones by
    1 / (1 - p), so the expected activation is unchanged; in evaluation, pass the input through."""

    def forward(self, input: Tensor) -> Tensor:
        return dropout2d(input, self.p, self.training)
