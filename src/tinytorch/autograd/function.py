"""Module 06 — the node of the autograd graph.

A `Function` is one differentiable operation. `forward` computes on NumPy arrays and saves what the
backward pass will need on `self`; `backward` receives d(loss)/d(output) and returns
d(loss)/d(input) for each input, as arrays of the inputs' broadcast shape (the engine reduces
broadcast gradients in one place). A Function never sees a Tensor: `tinytorch.tensor` wraps arrays
into tensors and links each output to the Function that produced it.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Function:
    """Base class of every differentiable operation."""

    # Set by the tensor layer when the graph is recorded: the input tensors (None where an input
    # needs no gradient), so the engine can walk from an output back to the leaves.
    inputs: tuple[Any, ...] = ()
    released = False

    def forward(self, *arrays: np.ndarray, **options: Any) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__}.forward")

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        raise NotImplementedError(f"{type(self).__name__}.backward")

    def needs_grad(self, index: int) -> bool:
        """Whether input `index` wants a gradient (lets backward skip needless work)."""
        return self.inputs[index] is not None

    def release(self) -> None:
        """Drop saved arrays and graph links once backward has used them, so memory is freed."""
        self.__dict__.clear()
        self.released = True

    @property
    def name(self) -> str:
        return type(self).__name__
