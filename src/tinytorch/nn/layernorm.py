"""Module 14 — `LayerNorm`: normalise each token's features, so deep stacks of layers stay trainable.

BatchNorm (module 09) averages over the batch; a language model cannot (sequences differ in length
and generation runs one token at a time), so LayerNorm averages over each sample's own features:
y = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias. The computation is one fused Function,
`functional_text.LayerNormFunction`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinytorch.tensor import Tensor

from .functional_text import layer_norm
from .module import Module
from .parameter import Parameter


class LayerNorm(Module):
    """Normalise over the trailing `normalized_shape` dims; `weight` starts at 1 and `bias` at 0."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        dtype = np.dtype(dtype or np.float32)
        if elementwise_affine:
            self.weight = Parameter(np.ones(shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(np.zeros(shape, dtype=dtype))
        else:
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
