"""Spatial gradients against central finite differences in float64, on both backends."""

from __future__ import annotations

import numpy as np
import pytest

from tinytorch import backend
from tinytorch.nn.functional_spatial import (
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    batch_norm,
    conv1d,
    conv2d,
    dropout2d,
    max_pool1d,
    max_pool2d,
)
from tinytorch.random import Generator
from tinytorch.tensor import Tensor
from tinytorch.testing import gradcheck

BACKENDS = ["numpy", "naive"]


def rand(*shape: int, seed: int = 0, grad: bool = True) -> Tensor:
    return Tensor(np.random.default_rng(seed).uniform(-1, 1, shape), requires_grad=grad)


CONV_CASES = {  # name: (input shape, weight shape, keyword arguments)
    "plain": ((2, 2, 5, 5), (3, 2, 3, 3), {}),
    "padded_strided": ((1, 2, 6, 5), (2, 2, 3, 2), dict(stride=(2, 1), padding=(1, 2))),
    "dilated_same": ((1, 2, 6, 6), (2, 2, 2, 2), dict(padding="same", dilation=2)),
    "groups": ((1, 4, 5, 5), (4, 2, 3, 3), dict(groups=2, padding=1)),
    "strided_groups": ((1, 3, 7, 7), (3, 1, 3, 3), dict(groups=3, stride=3, padding=1, dilation=2)),
}


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", sorted(CONV_CASES))
def test_conv2d_gradients(case: str, name: str) -> None:
    x_shape, w_shape, kwargs = CONV_CASES[case]
    x, w, b = rand(*x_shape, seed=1), rand(*w_shape, seed=2), rand(w_shape[0], seed=3)
    with backend.use(name):
        gradcheck(lambda x, w, b: conv2d(x, w, b, **kwargs), [x, w, b], label=f"conv2d {case} ({name})")


def test_conv2d_gradient_of_the_input_alone() -> None:
    x, w = rand(1, 2, 5, 5, seed=1), rand(2, 2, 3, 3, seed=2, grad=False)
    gradcheck(lambda x: conv2d(x, w, stride=2, padding=1), [x], label="conv2d, input only")


def test_conv1d_gradients() -> None:
    x, w, b = rand(2, 3, 7, seed=1), rand(4, 3, 3, seed=2), rand(4, seed=3)
    gradcheck(lambda x, w, b: conv1d(x, w, b, stride=2, padding=1), [x, w, b], label="conv1d")


@pytest.mark.parametrize("name", BACKENDS)
def test_pooling_gradients(name: str) -> None:
    # distinct values a good step apart: finite differences never cross a tie in max pooling
    values = np.random.default_rng(4).permutation(2 * 2 * 7 * 6).reshape(2, 2, 7, 6) / 10.0
    x = Tensor(values, requires_grad=True)
    with backend.use(name):
        gradcheck(lambda x: max_pool2d(x, 2), [x], label=f"max_pool2d ({name})")
        gradcheck(lambda x: max_pool2d(x, 3, stride=2, padding=1), [x], label=f"max_pool2d overlapping ({name})")
        gradcheck(lambda x: avg_pool2d(x, (3, 2), stride=(2, 1), padding=1), [x], label=f"avg_pool2d ({name})")
        gradcheck(lambda x: avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False), [x],
                  label=f"avg_pool2d count_include_pad=False ({name})")
        gradcheck(lambda x: adaptive_avg_pool2d(x, (3, 4)), [x], label=f"adaptive_avg_pool2d ({name})")


POOL_OPTION_CASES = {  # name: (function, keyword arguments); the input is (2, 2, 7, 6)
    "max dilated": (max_pool2d, dict(kernel_size=(3, 2), stride=1, padding=1, dilation=(2, 3))),
    "max ceil_mode": (max_pool2d, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    "max dilated ceil_mode": (max_pool2d, dict(kernel_size=2, stride=(2, 3), dilation=2, ceil_mode=True)),
    "avg ceil_mode": (avg_pool2d, dict(kernel_size=(2, 4), stride=(2, 3), padding=(1, 2), ceil_mode=True)),
    "avg ceil_mode real count": (avg_pool2d, dict(kernel_size=2, stride=2, padding=1, ceil_mode=True,
                                                  count_include_pad=False)),
    "avg divisor_override": (avg_pool2d, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                              divisor_override=4)),
    "adaptive max": (adaptive_max_pool2d, dict(output_size=(4, 5))),  # overlapping bins
}


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", sorted(POOL_OPTION_CASES))
def test_pooling_option_gradients(case: str, name: str) -> None:
    values = np.random.default_rng(5).permutation(2 * 2 * 7 * 6).reshape(2, 2, 7, 6) / 10.0  # no ties
    x = Tensor(values, requires_grad=True)
    function, kwargs = POOL_OPTION_CASES[case]
    with backend.use(name):
        gradcheck(lambda x: function(x, **kwargs), [x], label=f"{case} ({name})")


def test_one_dimensional_pooling_gradients() -> None:
    x = Tensor(np.random.default_rng(6).permutation(2 * 3 * 9).reshape(2, 3, 9) / 10.0, requires_grad=True)
    gradcheck(lambda x: max_pool1d(x, 3, stride=2, padding=1, dilation=2, ceil_mode=True), [x], label="max_pool1d")
    gradcheck(lambda x: avg_pool1d(x, 4, stride=3, padding=2, ceil_mode=True, count_include_pad=False), [x],
              label="avg_pool1d")


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 5), (3, 2, 4, 3)])
def test_batch_norm_gradients_in_training(shape: tuple[int, ...]) -> None:
    x, w, b = rand(*shape, seed=5), rand(shape[1], seed=6), rand(shape[1], seed=7)
    gradcheck(lambda x, w, b: batch_norm(x, None, None, w, b, training=True), [x, w, b],
              label=f"batch_norm training {shape}")


def test_batch_norm_gradients_in_evaluation() -> None:
    x, w, b = rand(3, 2, 4, 3, seed=5), rand(2, seed=6), rand(2, seed=7)
    mean, var = Tensor(np.array([0.3, -0.2])), Tensor(np.array([0.5, 2.0]))
    gradcheck(lambda x, w, b: batch_norm(x, mean, var, w, b, training=False), [x, w, b], label="batch_norm eval")


def test_dropout2d_gradient() -> None:
    x = rand(3, 4, 2, 2, seed=8)
    gradcheck(lambda x: dropout2d(x, 0.5, generator=Generator(3)), [x], label="dropout2d")
