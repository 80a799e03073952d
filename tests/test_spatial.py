"""Convolution, pooling and batch norm against PyTorch goldens; the layers' settings and errors.

The goldens (tests/goldens/spatial_*.npz, float64) come from `scripts/make_goldens_spatial.py`;
every golden case runs on both backends.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytorch
from goldens_util import load_cases
from tinytorch import backend
from tinytorch.nn import functional as F
from tinytorch.nn.conv import Conv1d, Conv2d
from tinytorch.nn.dropout2d import Dropout2d
from tinytorch.nn.functional_spatial import batch_norm, conv2d
from tinytorch.nn.normalization import BatchNorm1d, BatchNorm2d
from tinytorch.nn.pooling import (
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from tinytorch.tensor import Tensor
from tinytorch.testing import assert_close

BACKENDS = ["numpy", "naive"]

CONV = load_cases("spatial_conv.npz")
POOL = load_cases("spatial_pool.npz")
NORM = load_cases("spatial_norm.npz")


def leaf(array: np.ndarray) -> Tensor:
    return Tensor(array, requires_grad=True)


def pair(value):
    return tuple(value) if isinstance(value, list) else value


# ---------------------------------------------------------------------------------------------
# Goldens
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", sorted(CONV, key=int))
def test_conv2d_matches_torch(case: str, name: str) -> None:
    c = CONV[case]
    cfg = c["config"]
    x, w = leaf(c["x"]), leaf(c["weight"])
    b = leaf(c["bias"]) if cfg["bias"] else None
    with backend.use(name):
        out = conv2d(x, w, b, pair(cfg["stride"]), pair(cfg["padding"]), pair(cfg["dilation"]), cfg["groups"])
        out.backward(Tensor(c["grad_out"]))
    label = f"conv2d {cfg} on {name}"
    assert_close(out, c["out"], msg=f"{label}: output")
    assert_close(x.grad, c["grad_x"], msg=f"{label}: d input")
    assert_close(w.grad, c["grad_weight"], msg=f"{label}: d weight")
    if b is not None:
        assert_close(b.grad, c["grad_bias"], msg=f"{label}: d bias")


def test_conv2d_float32_stays_float32_and_matches_torch() -> None:
    c = CONV["2"]
    cfg = c["config"]
    x, w, b = (leaf(c[k].astype(np.float32)) for k in ("x", "weight", "bias"))
    out = conv2d(x, w, b, cfg["stride"], cfg["padding"])
    out.backward(Tensor(c["grad_out"].astype(np.float32)))
    assert out.dtype == x.grad.dtype == w.grad.dtype == b.grad.dtype == tinytorch.float32
    assert_close(out, c["out"].astype(np.float32), rtol=1e-5, atol=1e-5)
    assert_close(w.grad, c["grad_weight"].astype(np.float32), rtol=1e-5, atol=1e-4)


POOL_FUNCTIONS = {"max_pool2d": F.max_pool2d, "avg_pool2d": F.avg_pool2d, "max_pool1d": F.max_pool1d,
                  "avg_pool1d": F.avg_pool1d, "adaptive_avg_pool2d": F.adaptive_avg_pool2d,
                  "adaptive_max_pool2d": F.adaptive_max_pool2d}


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", sorted(POOL, key=int))
def test_pooling_matches_torch(case: str, name: str) -> None:
    c = POOL[case]
    cfg = c["config"]
    x = leaf(c["x"])
    options = {key: pair(value) for key, value in cfg["options"].items()}
    with backend.use(name):
        if "indices" in c:
            out, indices = POOL_FUNCTIONS[cfg["function"]](x, pair(cfg["size"]), **options, return_indices=True)
            assert indices.dtype == tinytorch.int64 and not indices.requires_grad
            np.testing.assert_array_equal(indices.data, c["indices"], err_msg=f"{cfg} on {name}: indices")
        else:
            out = POOL_FUNCTIONS[cfg["function"]](x, pair(cfg["size"]), **options)
        out.backward(Tensor(c["grad_out"]))
    assert_close(out, c["out"], msg=f"{cfg} on {name}: output")
    assert_close(x.grad, c["grad_x"], msg=f"{cfg} on {name}: d input")


# Each pooling layer built from a golden case's settings, given positionally in PyTorch's order (for
# MaxPool2d it differs from F.max_pool2d's: return_indices comes before ceil_mode).
POOL_LAYERS = {
    "max_pool2d": lambda size, o: MaxPool2d(size, o.get("stride"), o.get("padding", 0), o.get("dilation", 1), True,
                                            o.get("ceil_mode", False)),
    "avg_pool2d": lambda size, o: AvgPool2d(size, o.get("stride"), o.get("padding", 0), o.get("ceil_mode", False),
                                            o.get("count_include_pad", True), o.get("divisor_override")),
    "max_pool1d": lambda size, o: MaxPool1d(size, o.get("stride"), o.get("padding", 0), o.get("dilation", 1), True,
                                            o.get("ceil_mode", False)),
    "avg_pool1d": lambda size, o: AvgPool1d(size, o.get("stride"), o.get("padding", 0), o.get("ceil_mode", False),
                                            o.get("count_include_pad", True)),
    "adaptive_avg_pool2d": lambda size, o: AdaptiveAvgPool2d(size),
    "adaptive_max_pool2d": lambda size, o: AdaptiveMaxPool2d(size, True),
}


@pytest.mark.parametrize("case", sorted(POOL, key=int))
def test_pooling_layers_match_torch(case: str) -> None:
    c = POOL[case]
    cfg = c["config"]
    layer = POOL_LAYERS[cfg["function"]](pair(cfg["size"]), {k: pair(v) for k, v in cfg["options"].items()})
    result = layer(Tensor(c["x"]))
    out = result[0] if "indices" in c else result
    assert_close(out, c["out"], msg=f"{layer!r}")
    if "indices" in c:
        np.testing.assert_array_equal(result[1].data, c["indices"], err_msg=f"{layer!r}: indices")


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", sorted(NORM))
def test_batch_norm_matches_torch_through_training_and_eval(case: str, name: str) -> None:
    c = NORM[case]
    cfg = c["config"]
    layer_class = {"BatchNorm1d": BatchNorm1d, "BatchNorm2d": BatchNorm2d}[cfg["layer"]]
    x0 = c["train0/x"]
    layer = layer_class(x0.shape[1], momentum=cfg["momentum"], affine=cfg["affine"],
                        track_running_stats=cfg["track_running_stats"], dtype=tinytorch.float64)
    if cfg["affine"]:
        layer.weight.data[...] = c["weight"]
        layer.bias.data[...] = c["bias"]
    with backend.use(name):
        for mode in [f"train{s}" for s in range(cfg["steps"])] + ["eval"]:
            layer.train(mode != "eval")
            layer.zero_grad()
            x = leaf(c[f"{mode}/x"])
            out = layer(x)
            out.backward(Tensor(c[f"{mode}/grad_out"]))
            label = f"{case} {mode}"
            assert_close(out, c[f"{mode}/out"], msg=f"{label}: output")
            assert_close(x.grad, c[f"{mode}/grad_x"], msg=f"{label}: d input")
            if cfg["affine"]:
                assert_close(layer.weight.grad, c[f"{mode}/grad_weight"], msg=f"{label}: d weight")
                assert_close(layer.bias.grad, c[f"{mode}/grad_bias"], msg=f"{label}: d bias")
            if f"{mode}/running_mean" in c:
                assert_close(layer.running_mean, c[f"{mode}/running_mean"], msg=f"{label}: running_mean")
                assert_close(layer.running_var, c[f"{mode}/running_var"], msg=f"{label}: running_var")
    if cfg["track_running_stats"]:
        assert int(layer.num_batches_tracked.item()) == cfg["steps"]


# ---------------------------------------------------------------------------------------------
# Layers: parameters, initialisation, modes, repr
# ---------------------------------------------------------------------------------------------


def test_conv2d_parameters_and_pytorch_default_init() -> None:
    tinytorch.manual_seed(0)
    layer = Conv2d(16, 32, kernel_size=(3, 5), groups=2)
    assert layer.weight.shape == (32, 8, 3, 5) and layer.bias.shape == (32,)
    assert layer.weight.dtype == layer.bias.dtype == tinytorch.float32
    bound = 1 / math.sqrt(8 * 3 * 5)  # fan_in = in/groups * kernel area
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.95 * bound  # uniform over the whole range, not narrower
    assert abs(layer.weight.data.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert [name for name, _ in Conv2d(1, 2, 3, bias=False).named_parameters()] == ["weight"]


@pytest.mark.parametrize("layer, text", [
    (lambda: Conv2d(3, 16, 3), "Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1))"),
    (lambda: Conv2d(3, 16, 3, stride=2, padding=1, bias=False),
     "Conv2d(3, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)"),
    (lambda: Conv2d(4, 8, (3, 1), padding="same", dilation=2, groups=4),
     "Conv2d(4, 8, kernel_size=(3, 1), stride=(1, 1), padding=same, dilation=(2, 2), groups=4)"),
    (lambda: Conv1d(4, 6, 5), "Conv1d(4, 6, kernel_size=(5,), stride=(1,))"),
    (lambda: MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    (lambda: MaxPool2d(3, 1, 1, 2, True, True),
     "MaxPool2d(kernel_size=3, stride=1, padding=1, dilation=2, ceil_mode=True)"),
    (lambda: AvgPool2d(2), "AvgPool2d(kernel_size=2, stride=2, padding=0)"),
    (lambda: AvgPool2d(3, 1, 1, count_include_pad=False),
     "AvgPool2d(kernel_size=3, stride=1, padding=1, count_include_pad=False)"),
    (lambda: AvgPool2d(3, 2, 1, True, divisor_override=4),
     "AvgPool2d(kernel_size=3, stride=2, padding=1, ceil_mode=True, divisor_override=4)"),
    (lambda: MaxPool1d(3), "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)"),
    (lambda: AvgPool1d(3, 2, 1), "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(1,))"),
    (lambda: AdaptiveAvgPool2d((2, 2)), "AdaptiveAvgPool2d(output_size=(2, 2))"),
    (lambda: AdaptiveMaxPool2d((2, None), return_indices=True), "AdaptiveMaxPool2d(output_size=(2, None))"),
    (lambda: BatchNorm2d(8), "BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"),
    (lambda: Dropout2d(0.2), "Dropout2d(p=0.2, inplace=False)"),
])
def test_repr_reads_like_pytorch(layer, text: str) -> None:
    assert repr(layer()) == text


@pytest.mark.parametrize("name", BACKENDS)
def test_output_shapes(name: str) -> None:
    x = tinytorch.randn(2, 3, 11, 10)
    with backend.use(name):
        assert Conv2d(3, 5, 3)(x).shape == (2, 5, 9, 8)
        assert Conv2d(3, 5, 3, stride=2, padding=1)(x).shape == (2, 5, 6, 5)
        assert Conv2d(3, 5, 4, padding="same")(x).shape == (2, 5, 11, 10)
        assert Conv2d(3, 6, 3, padding="same", dilation=3, groups=3)(x).shape == (2, 6, 11, 10)
        assert Conv2d(3, 5, 3)(x[0]).shape == (5, 9, 8)  # an unbatched (C, H, W) image
        assert Conv1d(3, 4, 3, padding="same")(tinytorch.randn(2, 3, 7)).shape == (2, 4, 7)
        assert MaxPool2d(2)(x).shape == (2, 3, 5, 5)
        assert MaxPool2d(3, stride=2, padding=1)(x).shape == (2, 3, 6, 5)
        assert AvgPool2d(2, stride=1)(x).shape == (2, 3, 10, 9)
        assert MaxPool2d(2, ceil_mode=True)(x).shape == (2, 3, 6, 5)
        assert MaxPool2d(3, stride=1, dilation=2)(x).shape == (2, 3, 7, 6)
        # ceil mode rounds 11 rows up to 7 windows, but the 7th would start on the bottom padding: 6
        assert AvgPool2d(2, stride=2, padding=1, ceil_mode=True)(x).shape == (2, 3, 6, 6)
        assert AdaptiveAvgPool2d(1)(x).shape == (2, 3, 1, 1)
        assert AdaptiveAvgPool2d((3, None))(x).shape == (2, 3, 3, 10)
        assert AdaptiveMaxPool2d((4, 3))(x).shape == (2, 3, 4, 3)
        assert MaxPool1d(2, ceil_mode=True)(tinytorch.randn(2, 3, 7)).shape == (2, 3, 4)
        assert AvgPool1d(3, stride=1, padding=1)(tinytorch.randn(3, 7)).shape == (3, 7)  # unbatched (C, L)


@pytest.mark.parametrize("name", BACKENDS)
def test_indices_of_an_unbatched_input_and_float32(name: str) -> None:
    x = tinytorch.randn(2, 3, 7, 6)
    with backend.use(name):
        for pool in (MaxPool2d(3, 2, 1, 1, True, True), AdaptiveMaxPool2d((3, 2), True)):
            out, indices = pool(x)
            one, one_indices = pool(x[1])
            assert out.dtype == tinytorch.float32 and indices.dtype == tinytorch.int64
            assert_close(one, out.data[1])
            np.testing.assert_array_equal(one_indices.data, indices.data[1])
            # each index points at the element that is the maximum, in its (H, W) plane
            planes = x.data.reshape(2, 3, -1)
            assert_close(out, np.take_along_axis(planes, indices.data.reshape(2, 3, -1), -1).reshape(out.shape))
        out, indices = MaxPool1d(2, return_indices=True)(x[0, 0])  # (C, L): positions along L
        assert out.shape == indices.shape == (7, 3)
        np.testing.assert_array_equal(indices.data, np.argmax(x.data[0, 0].reshape(7, 3, 2), -1) + [0, 2, 4])


@pytest.mark.parametrize("name", BACKENDS)
def test_windows_that_are_all_minus_infinity_point_at_pytorchs_element(name: str) -> None:
    # A window whose elements are all -inf (or that lies wholly on the padding) has no maximum of its
    # own; PyTorch 2.13 then reports its first tap at or after row 0 and column 0, never a padding one.
    with backend.use(name):
        _, indices = F.max_pool2d(tinytorch.full((1, 1, 3, 3), -math.inf), 3, 1, 1, return_indices=True)
        assert indices.tolist() == [[[[0, 0, 1], [0, 0, 1], [3, 3, 4]]]]
        _, indices = F.max_pool2d(tinytorch.arange(8.0).reshape(1, 1, 1, 8), 3, None, 1, 2, True, True)
        assert indices.tolist() == [[[[9, 10, 13]]]]  # dilation 2 taps only padding rows
        _, indices = F.max_pool1d(tinytorch.tensor([[[1.0, 2.0]]]), 2, None, 1, 3, True, True)
        assert indices.tolist() == [[[2]]]
        # ... and that element gets the window's gradient
        x = tinytorch.full((1, 1, 3, 3), -math.inf)
        x.data[0, 0, 2, 2] = 1.0
        x.requires_grad = True
        F.max_pool2d(x, 3, 1, 1).sum().backward()
        assert x.grad.tolist() == [[[[3, 1, 0], [1, 0, 0], [0, 0, 4]]]]


def test_adaptive_avg_pool_of_one_is_the_global_mean() -> None:
    x = tinytorch.randn(3, 4, 5, 7, dtype=tinytorch.float64)
    assert_close(AdaptiveAvgPool2d(1)(x), x.data.mean(axis=(2, 3), keepdims=True))


def test_batch_norm_eval_uses_running_statistics_not_the_batch() -> None:
    layer = BatchNorm2d(2, affine=False, dtype=tinytorch.float64)
    layer.running_mean.data[...] = [1.0, -2.0]
    layer.running_var.data[...] = [4.0, 0.25]
    layer.eval()
    x = tinytorch.randn(3, 2, 4, 4, dtype=tinytorch.float64)
    expected = (x.data - np.array([1.0, -2.0])[:, None, None]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5)[:, None, None]
    assert_close(layer(x), expected)
    assert_close(layer(x[:1]), expected[:1])  # a single example normalises the same way in eval
    assert int(layer.num_batches_tracked.item()) == 0  # eval does not count batches


def test_batch_norm_training_normalises_each_channel() -> None:
    x = tinytorch.randn(8, 3, 5, 5) * 3.0 + 2.0
    out = BatchNorm2d(3)(x).data
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0.0, atol=1e-5)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1.0, rtol=1e-3)


def test_batch_norm_state_dict_holds_the_running_statistics() -> None:
    keys = list(BatchNorm2d(4).state_dict())
    assert keys == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert list(BatchNorm1d(4, affine=False, track_running_stats=False).state_dict()) == []


def test_dropout2d_drops_whole_channels_in_training_only() -> None:
    tinytorch.manual_seed(0)
    layer = Dropout2d(0.25)
    x = tinytorch.ones(64, 32, 3, 3)
    out = layer(x).data
    per_channel = out.reshape(64, 32, 9)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # a channel is kept or dropped whole
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert abs((per_channel[:, :, 0] == 0).mean() - 0.25) < 0.03
    layer.eval()
    assert layer(x) is x
    assert np.all(Dropout2d(1.0)(x).data == 0)


def test_dropout2d_gradient_follows_the_mask() -> None:
    x = tinytorch.randn(4, 6, 2, 2, requires_grad=True)
    out = Dropout2d(0.5)(x)
    out.sum().backward()
    kept = out.data != 0
    assert_close(x.grad, np.where(kept, 2.0, 0.0).astype(np.float32))


# ---------------------------------------------------------------------------------------------
# Errors name the layer and the shapes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, words", [
    (lambda: Conv2d(3, 8, 3)(tinytorch.randn(2, 4, 9, 9)),
     ["Conv2d(3, 8", "3 channels", "(2, 4, 9, 9)"]),
    (lambda: Conv2d(3, 8, 5)(tinytorch.randn(1, 3, 4, 4)), ["Conv2d(3, 8", "(1, 3, 4, 4)", "smaller than the kernel"]),
    (lambda: Conv2d(3, 8, 3, dilation=3)(tinytorch.randn(1, 3, 6, 6)), ["reach 7x7"]),
    (lambda: Conv2d(3, 8, 3)(tinytorch.randn(3, 9, 9, 2, 1)), ["(N, C, H, W)", "(3, 9, 9, 2, 1)"]),
    (lambda: Conv2d(3, 8, 3, groups=2), ["groups=2", "in_channels (3)"]),
    (lambda: Conv2d(4, 6, 3, groups=4), ["groups=4", "out_channels (6)"]),
    (lambda: Conv2d(3, 8, 3, stride=2, padding="same"), ["padding='same'", "stride"]),
    (lambda: Conv2d(3, 8, 3, padding="full"), ["'full'"]),
    (lambda: conv2d(tinytorch.randn(1, 4, 5, 5), tinytorch.randn(6, 2, 3, 3), groups=3), ["groups=3"]),
    (lambda: conv2d(tinytorch.randn(1, 2, 5, 5), tinytorch.randn(3, 2, 3, 3, dtype=tinytorch.float64)),
     ["float32", "float64"]),
    (lambda: MaxPool2d(4)(tinytorch.randn(1, 2, 3, 3)), ["MaxPool2d(kernel_size=4", "(1, 2, 3, 3)"]),
    (lambda: MaxPool2d(2, padding=2)(tinytorch.randn(1, 2, 6, 6)), ["padding", "half"]),
    (lambda: MaxPool2d(4, stride=1, ceil_mode=True)(tinytorch.randn(1, 2, 3, 3)),
     ["MaxPool2d(kernel_size=4", "(1, 2, 3, 3)", "output size 0x0"]),
    (lambda: MaxPool2d(3, dilation=3)(tinytorch.randn(1, 2, 6, 6)), ["reach 7x7", "(1, 2, 6, 6)"]),
    (lambda: MaxPool2d(2, dilation=0)(tinytorch.randn(1, 2, 6, 6)), ["dilation", ">= 1"]),
    (lambda: AvgPool2d(2, divisor_override=0)(tinytorch.randn(1, 2, 6, 6)), ["divisor_override", "0"]),
    (lambda: MaxPool1d(2)(tinytorch.randn(1, 2, 6, 6)), ["MaxPool1d(kernel_size=2", "(N, C, L)", "(1, 2, 6, 6)"]),
    (lambda: AdaptiveMaxPool2d((0, 2))(tinytorch.randn(1, 1, 4, 4)), ["AdaptiveMaxPool2d", "output_size"]),
    (lambda: AvgPool2d(2)(tinytorch.randn(6, 6)), ["(N, C, H, W)", "(6, 6)"]),
    (lambda: AdaptiveAvgPool2d(0)(tinytorch.randn(1, 1, 4, 4)), ["output_size"]),
    (lambda: BatchNorm2d(3)(tinytorch.randn(2, 4, 5, 5)), ["BatchNorm2d(3", "3 channels", "(2, 4, 5, 5)"]),
    (lambda: BatchNorm2d(3)(tinytorch.randn(2, 3, 5)), ["BatchNorm2d(3", "(N, C, H, W)", "(2, 3, 5)"]),
    (lambda: BatchNorm1d(3)(tinytorch.randn(1, 3)), ["more than one value per channel", "(1, 3)"]),
    (lambda: batch_norm(tinytorch.randn(2, 3), None, None), ["running_mean"]),
    (lambda: Dropout2d(1.5), ["[0, 1]"]),
])
def test_errors_name_the_layer_and_the_shapes(call, words: list[str]) -> None:
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} missing from: {info.value}"
