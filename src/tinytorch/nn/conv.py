"""Module 09 — convolution layers: `Conv2d` (and `Conv1d`, the same layer over a sequence).

A convolution slides one small set of weights over the whole image, so a 3x3 layer from 64 to 64
channels has 36 928 parameters however large the image is, and a pattern learned in one corner is
recognised everywhere. The arithmetic lives in `functional_spatial.conv2d` and the backend kernels.
"""

from __future__ import annotations

import math

from tinytorch.nn import init
from tinytorch.nn.functional_spatial import IntPair, _two, conv1d, conv2d
from tinytorch.nn.module import Module
from tinytorch.nn.parameter import Parameter
from tinytorch.tensor import Tensor, get_default_dtype, zeros


class _ConvNd(Module):
    """What Conv1d and Conv2d share: the checks, the parameters, PyTorch's initialisation and repr."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple[int, ...], stride: tuple[int, ...],
                 padding: tuple[int, ...] | str, dilation: tuple[int, ...], groups: int, bias: bool,
                 dtype: object) -> None:
        super().__init__()
        name = type(self).__name__
        for what, value in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: {what} must be a positive int, got {value!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: groups={groups} must divide both in_channels ({in_channels}) "
                             f"and out_channels ({out_channels})")
        if padding == "same" and any(s != 1 for s in stride):
            raise ValueError(f"{name}: padding='same' needs stride 1, got stride {stride}")
        if isinstance(padding, str) and padding not in ("same", "valid"):
            raise ValueError(f"{name}: padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        dtype = dtype or get_default_dtype()
        self.weight = Parameter(zeros((out_channels, in_channels // groups) + kernel_size, dtype=dtype))
        self.bias = Parameter(zeros(out_channels, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight and bias uniform in +-1/sqrt(fan_in), fan_in = in/groups * kernel area
        (Kaiming-uniform with a = sqrt(5) works out to exactly that bound for the weight)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding not in ((0,) * len(self.kernel_size), "valid"):
            text += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.kernel_size):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv2d(_ConvNd):
    """2-D convolution: (N, C_in, H, W) -> (N, C_out, H_out, W_out), PyTorch's arguments and init.

    padding: an int, a pair, "valid" (none) or "same" (output as large as the input; stride 1).
    groups: channels split into `groups` independent convolutions (groups = C_in is depthwise).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair, stride: IntPair = 1,
                 padding: IntPair | str = 0, dilation: IntPair = 1, groups: int = 1, bias: bool = True,
                 dtype: object = None) -> None:
        name = type(self).__name__
        pad = padding if isinstance(padding, str) else _two(padding, "padding", name, minimum=0)
        super().__init__(in_channels, out_channels, _two(kernel_size, "kernel_size", name),
                         _two(stride, "stride", name), pad, _two(dilation, "dilation", name), groups, bias, dtype)

    def forward(self, input: Tensor) -> Tensor:
        # BEGIN SOLUTION 09
        return conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups,
                      op=repr(self))
        # END SOLUTION


class Conv1d(_ConvNd):
    """1-D convolution over sequences: (N, C_in, L) -> (N, C_out, L_out)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int | str = 0, dilation: int = 1, groups: int = 1, bias: bool = True,
                 dtype: object = None) -> None:
        name = type(self).__name__
        pad = padding if isinstance(padding, str) else (_two(padding, "padding", name, minimum=0)[0],)
        super().__init__(in_channels, out_channels, (_two(kernel_size, "kernel_size", name)[0],),
                         (_two(stride, "stride", name)[0],), pad, (_two(dilation, "dilation", name)[0],),
                         groups, bias, dtype)

    def forward(self, input: Tensor) -> Tensor:
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return conv1d(input, self.weight, self.bias, self.stride[0], padding, self.dilation[0], self.groups,
                      op=repr(self))
