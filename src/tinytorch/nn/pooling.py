"""Module 09 — pooling layers: `MaxPool2d`, `AvgPool2d`, their 1-d forms and the adaptive ones.

Pooling shrinks feature maps (a 2x2 window with stride 2 quarters them), so later layers see a
larger part of the image for the same cost and small shifts of the input matter less. Pooling has
no parameters.
"""

from __future__ import annotations

from tinytorch.nn.functional_spatial import (
    IntPair,
    _single,
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from tinytorch.nn.module import Module
from tinytorch.tensor import Tensor


class MaxPool2d(Module):
    """The maximum of each kernel_size window, moved by `stride` (default: kernel_size); `dilation`
    spaces the window's taps, ceil_mode=True keeps a last partial window, return_indices=True also
    returns where each maximum is. (N, C, H, W) -> (N, C, Ho, Wo) with
    Ho = (H + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1 (rounded up in ceil mode)."""

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
                 dilation: IntPair = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        # BEGIN SOLUTION 09
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices, op=repr(self))
        # END SOLUTION

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """The mean of each kernel_size window, moved by `stride` (default: kernel_size). Zero padding
    counts towards the mean unless count_include_pad=False; divisor_override replaces the count."""

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        # BEGIN SOLUTION 09
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                          self.divisor_override, op=repr(self))
        # END SOLUTION

    def extra_repr(self) -> str:
        """PyTorch's three settings, then any other one that differs from its default."""
        text = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        if self.ceil_mode:
            text += ", ceil_mode=True"
        if not self.count_include_pad:
            text += ", count_include_pad=False"
        if self.divisor_override is not None:
            text += f", divisor_override={self.divisor_override}"
        return text


class MaxPool1d(MaxPool2d):
    """MaxPool2d along the last axis of (N, C, L) or (C, L); the same options, each one number."""

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices, op=repr(self))


class AvgPool1d(AvgPool2d):
    """AvgPool2d along the last axis of (N, C, L) or (C, L)."""

    def __init__(self, kernel_size: int | tuple[int], stride: int | tuple[int] | None = None,
                 padding: int | tuple[int] = 0, ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        # one-element tuples, as PyTorch stores them
        super().__init__(_single(kernel_size), _single(stride), _single(padding), ceil_mode, count_include_pad)

    def forward(self, input: Tensor) -> Tensor:
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                          op=repr(self))


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


class AdaptiveMaxPool2d(Module):
    """Max pooling to a fixed output size whatever the input size; return_indices=True also returns
    where each maximum is."""

    def __init__(self, output_size: int | tuple[int | None, int | None], return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        return adaptive_max_pool2d(input, self.output_size, self.return_indices, op=repr(self))

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
