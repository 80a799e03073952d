"""The naive and numpy backends agree on convolution and pooling, and a small CNN trains end to end.

Every parameter of the CNN must receive a non-zero gradient: a conv net whose convolutions never
learn can still look fine, because the classifier head learns on its own.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinytorch
from tinytorch import backend
from tinytorch.backend import naive, numpy_backend
from tinytorch.nn.activation import ReLU
from tinytorch.nn.conv import Conv2d
from tinytorch.nn.dropout2d import Dropout2d
from tinytorch.nn.linear import Flatten, Linear
from tinytorch.nn.module import Module, Sequential
from tinytorch.nn.normalization import BatchNorm2d
from tinytorch.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from tinytorch.testing import assert_close

# kernel, stride, padding ((top, bottom), (left, right)), dilation, groups
CONV_GRID = list(itertools.product(
    [(1, 1), (3, 3), (2, 3)], [(1, 1), (2, 1), (3, 3)], [((0, 0), (0, 0)), ((1, 1), (2, 2)), ((0, 1), (1, 0))],
    [(1, 1), (2, 1)], [1, 2],
))


def channels_last(x: np.ndarray) -> np.ndarray:
    """The same (N, C, H, W) values stored NHWC in memory, as numpy-backend convolutions return them."""
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


@pytest.mark.parametrize("kernel, stride, padding, dilation, groups", CONV_GRID)
def test_conv2d_backends_agree(kernel, stride, padding, dilation, groups) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 7, 6))
    w = rng.standard_normal((6, 4 // groups) + kernel)
    args = (stride, padding, dilation, groups)
    expected = naive.conv2d_forward(x, w, *args)
    grad = rng.standard_normal(expected.shape)
    expected_gx, expected_gw = naive.conv2d_backward(grad, x, w, *args)
    for layout in (lambda a: a, channels_last):
        assert_close(numpy_backend.conv2d_forward(layout(x), w, *args), expected)
        gx, gw = numpy_backend.conv2d_backward(layout(grad), layout(x), w, *args)
        assert_close(gx, expected_gx)
        assert_close(gw, expected_gw)
    only_w = numpy_backend.conv2d_backward(grad, x, w, *args, input_grad=False)
    assert only_w[0] is None
    assert_close(only_w[1], expected_gw)


@pytest.mark.parametrize("tile_bytes", [1, 5000, 25000, 2**40])  # 1 row, 3 rows, 2 images, all per tile
@pytest.mark.parametrize("stride, groups", [((1, 1), 1), ((2, 1), 1), ((1, 1), 2), ((2, 2), 2)])
def test_conv2d_numpy_tiles_give_the_same_result(tile_bytes: int, stride, groups, monkeypatch) -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4, 9, 7))
    w = rng.standard_normal((6, 4 // groups, 3, 2))
    args = (stride, ((1, 0), (2, 1)), (1, 2), groups)
    expected = naive.conv2d_forward(x, w, *args)
    grad = rng.standard_normal(expected.shape)
    expected_gx, expected_gw = naive.conv2d_backward(grad, x, w, *args)
    monkeypatch.setattr(numpy_backend, "TILE_BYTES", tile_bytes)
    assert_close(numpy_backend.conv2d_forward(x, w, *args), expected)
    gx, gw = numpy_backend.conv2d_backward(grad, x, w, *args)
    assert_close(gx, expected_gx)
    assert_close(gw, expected_gw)


POOL_WINDOWS = [  # kernel, stride, padding
    ((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)), ((3, 2), (1, 2), (1, 0)), ((2, 2), (1, 1), (0, 0)),
    ((3, 3), (3, 3), (1, 1)),
]


@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("dilation", [(1, 1), (2, 1)])
@pytest.mark.parametrize("kernel, stride, padding", POOL_WINDOWS)
def test_max_pooling_backends_agree(kernel, stride, padding, dilation, ceil_mode) -> None:
    rng = np.random.default_rng(1)
    x = np.maximum(rng.standard_normal((2, 3, 7, 8)), 0.0)  # ReLU'd: many ties at 0
    x[0, 0, 1, 1] = np.nan  # NaN propagates through max pooling, as in PyTorch
    options = (kernel, stride, padding, dilation, ceil_mode)
    out, index = naive.max_pool2d_forward(x, *options)
    grad = rng.standard_normal(out.shape)
    for layout in (lambda a: a, channels_last):
        got, got_index = numpy_backend.max_pool2d_forward(layout(x), *options)
        assert_close(got, out)
        assert np.array_equal(got_index, index)
        assert_close(numpy_backend.max_pool2d_backward(layout(grad), got_index, x.shape, *options),
                     naive.max_pool2d_backward(grad, index, x.shape, *options))


@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("kernel, stride, padding", POOL_WINDOWS)
def test_avg_pooling_backends_agree(kernel, stride, padding, ceil_mode) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 8))
    for include, divisor_override in itertools.product((True, False), (None, 3)):
        options = (kernel, stride, padding, include, ceil_mode, divisor_override)
        out = naive.avg_pool2d_forward(x, *options)
        grad = rng.standard_normal(out.shape)
        for layout in (lambda a: a, channels_last):
            assert_close(numpy_backend.avg_pool2d_forward(layout(x), *options), out)
            assert_close(numpy_backend.avg_pool2d_backward(layout(grad), x.shape, *options),
                         naive.avg_pool2d_backward(grad, x.shape, *options))


class SmallCNN(Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = Sequential(
            Conv2d(3, 8, 3, padding=1), BatchNorm2d(8), ReLU(), MaxPool2d(2),  # (N, 8, 4, 4)
            Conv2d(8, 8, 3, padding="same", groups=2), ReLU(), Dropout2d(0.1),
            AvgPool2d(2, stride=1), AdaptiveAvgPool2d(2),  # (N, 8, 2, 2)
        )
        self.head = Sequential(Flatten(), Linear(32, 3))

    def forward(self, x):
        return self.head(self.features(x))


def cross_entropy(logits, labels: np.ndarray):
    log_probs = logits.log_softmax(dim=-1)
    return -(log_probs * tinytorch.tensor(np.eye(3, dtype=np.float32)[labels])).sum() / len(labels)


@pytest.mark.parametrize("name", ["numpy", "naive"])
def test_every_cnn_parameter_gets_a_gradient(name: str) -> None:
    tinytorch.manual_seed(0)
    model = SmallCNN()
    x = tinytorch.randn(4, 3, 8, 8)
    with backend.use(name):
        cross_entropy(model(x), np.array([0, 1, 2, 1])).backward()
    for param_name, param in model.named_parameters():
        assert param.grad is not None, f"{param_name} received no gradient"
        assert np.abs(param.grad.data).max() > 0, f"{param_name} received an all-zero gradient"


def test_cnn_backends_give_the_same_gradients() -> None:
    grads = {}
    for name in ("numpy", "naive"):
        tinytorch.manual_seed(1)
        model = SmallCNN().double()
        x = tinytorch.randn(3, 3, 8, 8, dtype=tinytorch.float64)
        with backend.use(name):
            cross_entropy(model(x), np.array([2, 0, 1])).backward()
        grads[name] = {k: p.grad.data for k, p in model.named_parameters()}
    for key, value in grads["naive"].items():
        assert_close(grads["numpy"][key], value, msg=key)


def test_cnn_learns_and_its_convolutions_change() -> None:
    tinytorch.manual_seed(2)
    model = SmallCNN()
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 3, 24)
    images = rng.standard_normal((24, 3, 8, 8)).astype(np.float32) * 0.5
    images[np.arange(24), labels] += 1.0  # the label is the brightest colour channel
    x = tinytorch.tensor(images)
    first_conv = model.features[0].weight.data.copy()
    losses = []
    for _ in range(30):
        model.zero_grad()
        loss = cross_entropy(model(x), labels)
        loss.backward()
        losses.append(loss.item())
        with tinytorch.no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad
    assert losses[-1] < 0.5 * losses[0], f"loss did not fall: {losses[0]:.3f} -> {losses[-1]:.3f}"
    assert np.abs(model.features[0].weight.data - first_conv).max() > 1e-3
