"""Module 04 — `Parameter`: a tensor that a `Module` treats as one of its learnable weights.

Assigning a Parameter to a module attribute (`self.weight = Parameter(...)`) registers it, so
`module.parameters()` finds it and an optimizer can update it. Otherwise it is an ordinary Tensor.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinytorch.tensor import Tensor, tensor


class Parameter(Tensor):
    """A learnable tensor: `requires_grad=True` by default.

    Built from a Tensor it shares that tensor's memory (no copy), like PyTorch; built from other
    data it converts it like `tinytorch.tensor` (Python floats become float32).
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=np.float32)
        array = data.data if isinstance(data, Tensor) else tensor(data).data
        Tensor.__init__(self, np.empty(0, dtype=array.dtype))  # sets every slot; then share the array
        self.data = array
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
