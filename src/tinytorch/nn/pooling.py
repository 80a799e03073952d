"""Module 09 — pooling layers: `MaxPool2d`, `AvgPool2d` and `AdaptiveAvgPool2d`.

Pooling shrinks feature maps (a 2x2 window with stride 2 quarters them), so later layers see a
larger part of the image for the same cost and small shifts of the input matter less. Pooling has
no parameters.
"""

from __future__ import annotations

from tinytorch.nn.functional_spatial import IntPair, adaptive_avg_pool2d, avg_pool2d, max_pool2d
from tinytorch.nn.module import Module
from tinytorch.tensor import Tensor


class MaxPool2d(Module):
    """The maximum of each kernel_size window, moved by `stride` (default: kernel_size).
    (N, C, H, W) -> (N, C, (H + 2 * padding - kernel) // stride + 1, ...)."""

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def forward(self, input: Tensor) -> Tensor:
        # BEGIN SOLUTION 09
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, op=repr(self))
        # END SOLUTION

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """The mean of each kernel_size window, moved by `stride` (default: kernel_size). Zero padding
    counts towards the mean unless count_include_pad=False."""

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
                 count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        # BEGIN SOLUTION 09
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.count_include_pad, op=repr(self))
        # END SOLUTION

    def extra_repr(self) -> str:
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        return text if self.count_include_pad else text + ", count_include_pad=False"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size whatever the input size: AdaptiveAvgPool2d(1) is the
    global average pool that ends most modern CNNs (N, C, H, W) -> (N, C, 1, 1)."""

    def __init__(self, output_size: int | tuple[int | None, int | None]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool2d(input, self.output_size, op=repr(self))

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
