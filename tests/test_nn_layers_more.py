"""The layers and functions of nn/layers_extra.py and nn/functional_extra.py.

Against PyTorch through tests/goldens/nn_more.npz (scripts/make_goldens_nn.py): every function's
value and gradients (float64 tightly, float32 loosely), and every module's repr, initial state dict,
output, input and parameter gradients and updated buffers after loading PyTorch's weights. Then
finite-difference gradients in float64 away from kinks, container behaviour, and argument errors.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn.functional as F
from goldens_util import load_packed
from tinytorch import nn
from tinytorch.testing import assert_close, gradcheck

TOLERANCE = {np.float64: dict(rtol=1e-9, atol=1e-10), np.float32: dict(rtol=2e-4, atol=2e-5)}

CASES, ARRAYS, TORCH_VERSION = load_packed("nn_more.npz")
FUNCTION_CASES = [case for case in CASES if "fn" in case]
MODULE_CASES = [case for case in CASES if "module" in case]
CONTAINERS = next(case for case in CASES if case["name"] == "containers")

rng = np.random.default_rng(11)


def test_goldens_come_from_the_pinned_torch() -> None:
    assert TORCH_VERSION == "2.13.0"
    assert len(FUNCTION_CASES) > 100 and len(MODULE_CASES) > 30


# ------------------------------------------------------------------------------ goldens: functions


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", FUNCTION_CASES, ids=lambda c: c["name"])
def test_function_value_and_gradients_match_pytorch(case: dict, dtype: type) -> None:
    name, tol = case["name"], TOLERANCE[dtype]
    tensors = {}
    for arg, kind in case["arrays"].items():
        value = ARRAYS[f"{name}__{arg}"]
        value = value.astype(dtype) if value.dtype.kind == "f" else value
        tensors[arg] = tt.tensor(value, requires_grad=kind == "diff")
    out = getattr(F, case["fn"])(**tensors, **case["kwargs"])
    expected = ARRAYS[f"{name}__output"]
    if expected.dtype.kind != "f":
        assert out.dtype == tt.int64
        np.testing.assert_array_equal(out.data, expected)
        return
    assert out.dtype == dtype, f"{name}: the result should keep the input's dtype"
    assert_close(out, expected, msg=f"{name} value", **tol)
    (out * tt.tensor(ARRAYS[f"{name}__upstream"].astype(dtype))).sum().backward()
    grad_tol = dict(tol)
    if case["fn"] == "hardsigmoid" and dtype == np.float64:
        grad_tol["rtol"] = 1e-7  # PyTorch's CPU kernel scales the gradient by 1/6 rounded to float32
    for arg, kind in case["arrays"].items():
        if kind == "diff":
            assert_close(tensors[arg].grad, ARRAYS[f"{name}__grad_{arg}"], msg=f"{name} gradient of {arg}", **grad_tol)
        if kind == "state":
            assert_close(tensors[arg], ARRAYS[f"{name}__{arg}_after"], msg=f"{name} {arg} after the update", **tol)


# ------------------------------------------------------------------------------ goldens: modules


def _build(case: dict) -> nn.Module:
    return getattr(nn, case["module"])(*case["args"], **case["kwargs"])


@pytest.mark.parametrize("case", MODULE_CASES, ids=lambda c: f"{c['name']}_{c['module']}")
def test_module_repr_and_initial_state_match_pytorch(case: dict) -> None:
    module, name = _build(case), case["name"]
    expected_repr = case["repr"]
    if "reduction" in case["kwargs"]:  # TinyTorch's losses show a reduction other than "mean"; PyTorch's never do
        expected_repr = f"{case['module']}(reduction={case['kwargs']['reduction']!r})"
    assert repr(module) == expected_repr
    state = module.state_dict()
    assert list(state) == case["state"]
    for key, value in state.items():
        assert value.dtype == (tt.int64 if key == "num_batches_tracked" else tt.float32)
        expected = ARRAYS[f"{name}__init__{key}"].astype(value.dtype)
        np.testing.assert_array_equal(value.data, expected, err_msg=f"{name}: {key}")


@pytest.mark.parametrize("case", MODULE_CASES, ids=lambda c: f"{c['name']}_{c['module']}")
def test_module_with_pytorch_weights_matches_pytorch(case: dict) -> None:
    name, tol = case["name"], dict(TOLERANCE[np.float64])
    if case["module"] == "Hardsigmoid":
        tol["rtol"] = 1e-7  # PyTorch's CPU kernel scales the gradient by 1/6 rounded to float32
    module = _build(case).double()
    module.load_state_dict({key: ARRAYS[f"{name}__state__{key}"] for key in case["state"]})
    module.train(not case["eval"])
    inputs = []
    for j in range(case["inputs"]):
        value = ARRAYS[f"{name}__input{j}"]
        inputs.append(tt.tensor(value, requires_grad=value.dtype.kind == "f"))
    out = module(*inputs)
    assert_close(out, ARRAYS[f"{name}__output"], msg=f"{name} output", **tol)
    (out * tt.tensor(ARRAYS[f"{name}__upstream"])).sum().backward()
    for j, t in enumerate(inputs):
        if t.requires_grad:
            assert_close(t.grad, ARRAYS[f"{name}__grad_input{j}"], msg=f"{name} gradient of input {j}", **tol)
    params = dict(module.named_parameters())
    assert sorted(params) == sorted(key[len(f"{name}__grad__"):] for key in ARRAYS if key.startswith(f"{name}__grad__"))
    for key, param in params.items():
        assert_close(param.grad, ARRAYS[f"{name}__grad__{key}"], msg=f"{name} gradient of {key}", **tol)
    for key, value in module.state_dict().items():
        assert_close(value, ARRAYS[f"{name}__after__{key}"], msg=f"{name} {key} after the forward", **tol)


def test_parameter_containers_have_pytorchs_state_dict_keys() -> None:
    model = nn.Module()
    model.plist = nn.ParameterList([nn.Parameter(tt.ones(2, 3)), tt.zeros(4)])
    model.pdict = nn.ParameterDict({"scale": nn.Parameter(tt.ones(3)), "shift": tt.zeros(3)})
    assert {key: list(value.shape) for key, value in model.state_dict().items()} == CONTAINERS["state"]
    assert [key for key, _ in model.named_parameters()] == CONTAINERS["parameters"]


# ------------------------------------------------------------------------------ finite differences


def leaf(*shape: int, scale: float = 1.0, shift: float = 0.0) -> tt.Tensor:
    return tt.tensor(rng.standard_normal(shape) * scale + shift, dtype=tt.float64, requires_grad=True)


def off_kinks(x: tt.Tensor, kinks: tuple[float, ...], gap: float = 0.05) -> tt.Tensor:
    """Move every element at least `gap` away from each kink (finite differences straddle them)."""
    for kink in kinks:
        near = np.abs(x.data - kink) < gap
        x.data[near] = kink + 2 * gap
    return x


ACTIVATIONS = [
    ("elu", lambda x: F.elu(x, alpha=0.7), (0.0,)),
    ("softplus", lambda x: F.softplus(x, beta=1.5, threshold=3.0), (2.0,)),  # threshold / beta
    ("mish", F.mish, ()),
    ("hardtanh", lambda x: F.hardtanh(x, -1.5, 2.0), (-1.5, 2.0)),
    ("relu6", F.relu6, (0.0, 6.0)),
    ("hardsigmoid", F.hardsigmoid, (-3.0, 3.0)),
    ("hardswish", F.hardswish, (-3.0, 3.0)),
    ("softsign", F.softsign, (0.0,)),
]


@pytest.mark.parametrize("name, fn, kinks", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_gradient_matches_finite_differences(name: str, fn, kinks: tuple[float, ...]) -> None:
    gradcheck(fn, [off_kinks(leaf(4, 6, scale=3.0), kinks)], label=name)


def test_prelu_gradients_match_finite_differences() -> None:
    x = off_kinks(leaf(2, 3, 4), (0.0,))
    gradcheck(F.prelu, [x, leaf(3)], label="prelu per channel")
    gradcheck(F.prelu, [x, leaf(1)], label="prelu shared")


LOSSES = [
    ("smooth_l1", lambda x, t: F.smooth_l1_loss(x, t, beta=0.8)),
    ("smooth_l1_sum", lambda x, t: F.smooth_l1_loss(x, t, reduction="sum", beta=0.0)),
    ("huber", lambda x, t: F.huber_loss(x, t, delta=1.3)),
    ("huber_none", lambda x, t: F.huber_loss(x, t, reduction="none", delta=0.5)),
]


@pytest.mark.parametrize("name, fn", LOSSES, ids=[loss[0] for loss in LOSSES])
def test_regression_loss_gradients_match_finite_differences(name: str, fn) -> None:
    x, t = leaf(3, 4, scale=2.0), leaf(3, 4, scale=2.0)
    diff = np.abs(x.data - t.data)
    for edge in (0.0, 0.8, 1.3, 0.5):  # keep |input - target| off every beta / delta in use
        diff_near = np.abs(diff - edge) < 0.05
        x.data[diff_near] += 0.2
        diff = np.abs(x.data - t.data)
    gradcheck(fn, [x, t], label=name)


def test_weighted_huber_kl_and_cosine_embedding_gradients_match_finite_differences() -> None:
    x, t = leaf(3, 4, scale=3.0), leaf(3, 4, scale=3.0)
    gradcheck(lambda x, t, w: F.huber_loss(x, t, weight=w), [x, t, leaf(3, 4)], label="huber weight")
    log_p = leaf(4, 5).log_softmax(dim=1).detach().requires_grad_()
    probs = leaf(4, 5).softmax(dim=1).detach().requires_grad_()
    gradcheck(lambda x, t: F.kl_div(x, t, reduction="batchmean"), [log_p, probs], label="kl_div")
    gradcheck(lambda x, t: F.kl_div(x, t, reduction="none", log_target=True), [log_p, leaf(4, 5)], label="kl log")
    target = tt.tensor([1, -1, -1, 1, -1])
    gradcheck(lambda a, b: F.cosine_embedding_loss(a, b, target, margin=-0.9, reduction="sum"),
              [leaf(5, 3), leaf(5, 3)], label="cosine_embedding_loss")


def test_normalisation_gradients_match_finite_differences() -> None:
    x = leaf(2, 6, 3, shift=1.0)
    gradcheck(lambda x, w, b: F.group_norm(x, 3, w, b), [x, leaf(6), leaf(6)], label="group_norm")
    gradcheck(lambda x: F.group_norm(x, 1, eps=1e-3), [leaf(2, 4, 2, 2)], label="group_norm one group")
    gradcheck(lambda x, w: F.rms_norm(x, [3, 4], w), [leaf(2, 3, 4), leaf(3, 4)], label="rms_norm")
    gradcheck(lambda x: F.rms_norm(x, 5, eps=0.1), [leaf(3, 5)], label="rms_norm no weight")
    gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), [leaf(2, 3, 2, 3), leaf(3), leaf(3)],
              label="instance_norm")
    mean, var = tt.tensor(rng.standard_normal(3)), tt.tensor(rng.uniform(0.5, 2, 3))
    gradcheck(lambda x, w: F.instance_norm(x, mean, var, w, use_input_stats=False), [leaf(2, 3, 4), leaf(3)],
              label="instance_norm with running statistics")


def test_similarity_and_distance_gradients_match_finite_differences() -> None:
    gradcheck(lambda a, b: F.cosine_similarity(a, b, dim=1), [leaf(4, 5), leaf(4, 5)], label="cosine_similarity")
    gradcheck(lambda a, b: F.cosine_similarity(a, b, dim=-1), [leaf(3, 5), leaf(5)], label="cosine broadcast")
    for p in (2.0, 1.0, 3.0):
        x = off_kinks(leaf(3, 4), (0.0,))
        gradcheck(lambda x: F.normalize(x, p=p, dim=1), [x], label=f"normalize p={p}")
        a, b = leaf(4, 5), leaf(4, 5)
        off_kinks(a, ()).data[np.abs(a.data - b.data) < 0.05] += 0.2
        gradcheck(lambda a, b: F.pairwise_distance(a, b, p=p), [a, b], label=f"pairwise_distance p={p}")


@pytest.mark.parametrize("kwargs", [
    {"scale_factor": 2}, {"size": (5, 3)}, {"scale_factor": 1.5, "mode": "nearest-exact"},
    {"size": (5, 7), "mode": "bilinear"}, {"scale_factor": 2, "mode": "bilinear", "align_corners": True},
    {"size": (2, 3), "mode": "bilinear"},
], ids=str)
def test_interpolate_gradient_matches_finite_differences(kwargs: dict) -> None:
    gradcheck(lambda x: F.interpolate(x, **kwargs), [leaf(1, 2, 3, 4)], label=f"interpolate {kwargs}")


# ------------------------------------------------------------------------------ behaviour


def test_integer_nearest_upsampling_is_an_expand_whose_gradient_sums_each_block() -> None:
    x = leaf(2, 3, 4, 5)
    out = F.interpolate(x, scale_factor=(2, 3))
    assert out.shape == (2, 3, 8, 15)
    np.testing.assert_array_equal(out.data, x.data.repeat(2, axis=2).repeat(3, axis=3))
    upstream = rng.standard_normal(out.shape)
    (out * tt.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(x.grad.data, upstream.reshape(2, 3, 4, 2, 5, 3).sum(axis=(3, 5)), rtol=1e-12)
    assert F.interpolate(tt.randn(1, 1, 6, requires_grad=True), size=12).grad_fn.name == "Reshape"  # no gather


def test_group_norm_with_one_group_is_layer_norm_and_with_c_groups_is_instance_norm() -> None:
    x = leaf(2, 4, 3, 3)
    assert_close(F.group_norm(x, 1), F.layer_norm(x, (4, 3, 3)), rtol=1e-10, atol=1e-12)
    assert_close(F.group_norm(x, 4), F.instance_norm(x), rtol=1e-10, atol=1e-12)


def test_instance_norm_tracks_running_statistics_without_counting_batches() -> None:
    layer = nn.InstanceNorm2d(3, track_running_stats=True)
    x = tt.randn(4, 3, 5, 5) * 2 + 1
    layer(x)
    expected_mean = 0.1 * x.data.mean(axis=(2, 3)).mean(axis=0)
    np.testing.assert_allclose(layer.running_mean.data, expected_mean, rtol=1e-5)
    assert int(layer.num_batches_tracked.item()) == 0  # PyTorch's instance norm never counts
    layer.eval()
    out = layer(x)
    mean, var = layer.running_mean.data[:, None, None], layer.running_var.data[:, None, None]
    np.testing.assert_allclose(out.data, (x.data - mean) / np.sqrt(var + 1e-5), rtol=1e-5, atol=1e-5)


def test_unbatched_instance_norm_matches_a_batch_of_one() -> None:
    layer = nn.InstanceNorm1d(3, affine=True)
    x = tt.randn(3, 6)
    assert_close(layer(x), layer(x.unsqueeze(0))[0], rtol=1e-6, atol=1e-6)


def test_prelu_slopes_learn_and_convert_with_the_module() -> None:
    layer = nn.PReLU(3)
    assert layer.weight.shape == (3,) and np.all(layer.weight.data == np.float32(0.25))
    x = tt.tensor(-np.ones((2, 3, 4), dtype=np.float32))
    layer(x).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.data, np.full(3, -8.0, dtype=np.float32))
    layer.double()
    assert layer.weight.dtype == tt.float64 and layer(x.double()).dtype == tt.float64


def test_activation_reprs_show_inplace_like_pytorch() -> None:
    assert repr(nn.ReLU6(inplace=True)) == "ReLU6(inplace=True)"
    assert repr(nn.ELU(0.5, True)) == "ELU(alpha=0.5, inplace=True)"
    assert repr(nn.Mish(True)) == "Mish(inplace=True)"
    assert repr(nn.Hardtanh(-2, 3, True)) == "Hardtanh(min_val=-2, max_val=3, inplace=True)"
    assert repr(nn.Hardswish(True)) == "Hardswish()"
    assert repr(nn.Upsample(scale_factor=(2, 3))) == "Upsample(scale_factor=(2.0, 3.0), mode='nearest')"
    assert repr(nn.KLDivLoss(reduction="batchmean")) == "KLDivLoss(reduction='batchmean')"


def test_parameter_list_registers_indexes_and_converts_like_pytorch() -> None:
    plain = tt.ones(2)
    params = nn.ParameterList([nn.Parameter(tt.zeros(3)), plain])
    assert len(params) == 2 and isinstance(params[1], nn.Parameter) and params[1].requires_grad
    params[1].data[0] = 5.0
    assert plain.data[0] == 5.0  # a converted tensor shares its memory
    params.append(tt.ones(4))
    params += [tt.ones(1)]
    assert [p.shape for p in params] == [(3,), (2,), (4,), (1,)] and params[-1].shape == (1,)
    assert [p.shape for p in params[1:3]] == [(2,), (4,)] and isinstance(params[1:3], nn.ParameterList)
    params[0] = tt.full((5,), 2.0)
    assert params[0].shape == (5,) and list(params.state_dict()) == ["0", "1", "2", "3"]
    assert len(list(nn.Sequential(nn.Linear(2, 2), params).parameters())) == 6
    assert repr(nn.ParameterList([tt.ones(2, 3)])) == \
        "ParameterList(  (0): Parameter containing: [tinytorch.float32 of size 2x3])"
    two = repr(nn.ParameterList([tt.ones(2, 3), tt.ones(4, dtype=tt.float64)])).splitlines()
    assert two == ["ParameterList(", "    (0): Parameter containing: [tinytorch.float32 of size 2x3]",
                   "    (1): Parameter containing: [tinytorch.float64 of size 4]", ")"]
    with pytest.raises(IndexError, match="ParameterList: index 4 is out of range for 4 parameters"):
        params[4]
    with pytest.raises(TypeError, match="ParameterList: entries must be Parameters or Tensors, got float"):
        params.append(1.0)
    with pytest.raises(TypeError, match="should be called with an iterable, but got Tensor"):
        params.extend(tt.ones(3))
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        params(tt.ones(1))


def test_parameter_dict_registers_and_updates_like_pytorch() -> None:
    params = nn.ParameterDict({"a": tt.ones(2)})
    params["b"] = nn.Parameter(tt.zeros(3))
    params.update([("c", tt.ones(1))])
    assert list(params) == ["a", "b", "c"] and "b" in params and len(params) == 3
    assert isinstance(params["a"], nn.Parameter) and params.get("z") is None
    del params["b"]
    assert list(params.state_dict()) == ["a", "c"] and params.pop("c").shape == (1,)
    optimizer = tt.optim.SGD(params.parameters(), lr=0.5)
    (params["a"] * 2).sum().backward()
    optimizer.step()
    np.testing.assert_allclose(params["a"].data, [0.0, 0.0])
    with pytest.raises(KeyError, match='cannot contain "."'):
        params["a.b"] = tt.ones(1)


def test_parameter_dict_orders_keys_and_takes_another_parameter_dict_like_pytorch() -> None:
    # PyTorch 2.13 adds a plain dict in sorted key order; an OrderedDict, a ParameterDict or a list of
    # pairs keeps its own order (this decides the order of parameters() and so of an optimizer's state)
    assert list(nn.ParameterDict({"b": tt.ones(1), "a": tt.ones(1)})) == ["a", "b"]
    params = nn.ParameterDict(OrderedDict([("z", tt.ones(1)), ("y", tt.ones(1))]))
    params.update(nn.ParameterDict([("x", tt.ones(2)), ("w", tt.ones(2))]))
    params.update({"v": tt.ones(3), "u": tt.ones(3)})
    assert list(params) == ["z", "y", "x", "w", "u", "v"]
    assert [name for name, _ in params.named_parameters()] == list(params)


def test_unflatten_inverts_flatten_inside_a_sequential() -> None:
    model = nn.Sequential(nn.Linear(50, 50), nn.Unflatten(1, (2, 5, 5)))
    assert model(tt.randn(2, 50)).shape == (2, 2, 5, 5)
    x = tt.randn(3, 24)
    assert nn.Unflatten(-1, [2, -1, 3])(x).shape == (3, 2, 4, 3)
    assert_close(nn.Flatten()(nn.Unflatten(1, (4, 6))(x)), x, rtol=0, atol=0)


def test_nearest_interpolation_copies_integer_tensors_and_keeps_an_unchanged_size() -> None:
    labels = tt.tensor([[[[0, 1], [2, 3]]]])
    rows = [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]
    assert F.interpolate(labels, scale_factor=2).tolist() == [[rows]]
    x = tt.randn(1, 2, 3, 4)
    assert F.interpolate(x, size=(3, 4)) is x


def test_interpolate_with_a_scale_factor_keeps_pytorchs_same_size_and_doubling_shortcuts() -> None:
    # PyTorch 2.13: an axis whose size the factor leaves unchanged is copied by the linear modes and
    # by 2-d "nearest"; 2-d "nearest" also doubles an axis that doubles (out // 2), whatever the
    # factor. Its 1-d and 3-d "nearest" and "nearest-exact" use 1 / factor.
    x = tt.arange(6.0).reshape(1, 1, 3, 2)
    assert F.interpolate(x, scale_factor=1.3).tolist() == [[[[0, 1], [2, 3], [4, 5]]]]
    assert F.interpolate(x, scale_factor=(1.3, 2.3)).tolist() == [[[[0, 0, 1, 1], [2, 2, 3, 3], [4, 4, 5, 5]]]]
    assert F.interpolate(x, scale_factor=1.3, mode="nearest-exact").tolist() == [[[[0, 1], [2, 3], [2, 3]]]]
    assert F.interpolate(tt.arange(3.0).reshape(1, 1, 3), scale_factor=1.3).tolist() == [[[0, 0, 1]]]
    assert F.interpolate(tt.arange(2.0).reshape(1, 1, 2), scale_factor=2.3).tolist() == [[[0, 0, 0, 1]]]
    volume = tt.arange(3.0).reshape(1, 1, 1, 1, 3)
    assert F.interpolate(volume, scale_factor=1.3).flatten().tolist() == [0, 0, 1]
    assert_close(F.interpolate(x, scale_factor=(1.3, 1.6), mode="bilinear"),
                 tt.tensor([[[[0.0, 0.4375, 1.0], [2.0, 2.4375, 3.0], [4.0, 4.4375, 5.0]]]]), rtol=0, atol=1e-6)
    assert_close(F.interpolate(volume, scale_factor=1.3, mode="trilinear"), volume, rtol=0, atol=0)
    line = tt.arange(4.0).reshape(1, 1, 4)
    assert_close(F.interpolate(line, scale_factor=0.9, mode="linear"),  # 4 -> 3 uses 1 / 0.9
                 tt.tensor([[[1 / 18, 7 / 6, 41 / 18]]]), rtol=0, atol=1e-6)


def test_hardtanh_and_relu6_keep_integer_tensors_integer_with_truncated_bounds() -> None:
    x = tt.tensor([-4, -1, 0, 2, 7])
    for out, expected in ((F.hardtanh(x), [-1, -1, 0, 1, 1]), (F.hardtanh(x, -0.5, 2.5), [0, 0, 0, 2, 2]),
                          (F.hardtanh(x, -1.5, 2.9), [-1, -1, 0, 2, 2]), (nn.ReLU6()(x), [0, 0, 0, 2, 6])):
        assert out.dtype == tt.int64 and out.tolist() == expected


def test_mixed_integer_and_float_arguments_that_pytorch_accepts() -> None:
    assert F.smooth_l1_loss(tt.tensor([1, 2]), tt.tensor([1.0, 3.0])).item() == 0.25
    assert F.huber_loss(tt.tensor([1.0, 2.0]), tt.tensor([1, 4])).item() == 0.75
    assert_close(F.cosine_similarity(tt.tensor([[3, 4]]), tt.tensor([[4.0, 3.0]])), tt.tensor([0.96]))
    running_mean, running_var = tt.zeros(1, dtype=tt.float64), tt.ones(1, dtype=tt.float64)
    out = F.instance_norm(tt.tensor([[[1.0, 3.0]]]), running_mean, running_var)  # float32 input, float64 buffers
    assert out.dtype == tt.float32 and running_mean.dtype == tt.float64
    assert running_mean.item() == pytest.approx(0.2, abs=1e-7)


def test_prelu_takes_a_0_dim_input_and_keeps_its_shape() -> None:
    out = F.prelu(tt.tensor(-2.0), tt.tensor([0.25]))
    assert out.shape == () and out.item() == -0.5
    assert nn.PReLU()(tt.tensor([-4.0, 1.0])).tolist() == [-1.0, 1.0]


def test_one_hot_and_identity() -> None:
    assert F.one_hot(tt.tensor([2, 0]), 3).tolist() == [[0, 0, 1], [1, 0, 0]]
    x = tt.randn(2, 3)
    assert nn.Identity(7, key="ignored")(x) is x


# ------------------------------------------------------------------------------ errors


ERRORS = [
    (lambda: nn.GroupNorm(4, 6), ValueError, "GroupNorm: num_channels 6 is not divisible by num_groups 4"),
    (lambda: nn.GroupNorm(2, 6)(tt.randn(2, 5, 3)), ValueError,
     r"GroupNorm: expected input of shape \(N, 6, \*\), got shape \(2, 5, 3\)"),
    (lambda: F.group_norm(tt.randn(2, 5, 3), 1, tt.ones(6)), ValueError,
     r"group_norm: expected input with 6 channels \(the size of weight\), got shape \(2, 5, 3\)"),
    (lambda: F.group_norm(tt.randn(2, 6, 3), 4), ValueError,
     r"group_norm: 6 channels of input \(2, 6, 3\) are not divisible into num_groups=4"),
    (lambda: F.group_norm(tt.randn(6), 2), ValueError, r"group_norm: expected input of shape \(N, C, \*\)"),
    (lambda: F.rms_norm(tt.randn(2, 3), (4,)), ValueError,
     r"rms_norm: input of shape \(2, 3\) does not end in normalized_shape \(4,\)"),
    (lambda: F.rms_norm(tt.randn(2, 3), 3, tt.ones(4)), ValueError,
     r"rms_norm: weight of shape \(4,\) must have normalized_shape \(3,\)"),
    (lambda: nn.InstanceNorm2d(3, affine=True)(tt.randn(2, 4, 5, 5)), ValueError,
     r"InstanceNorm2d: expected input with 3 channels, got shape \(2, 4, 5, 5\)"),
    (lambda: nn.InstanceNorm2d(3)(tt.randn(2, 3)), ValueError,
     r"InstanceNorm2d: expected 4-D input \(N, C, ...\) or 3-D input without the batch dim, got shape \(2, 3\)"),
    (lambda: F.instance_norm(tt.randn(2, 3, 1)), ValueError, "expected more than 1 position per channel"),
    (lambda: F.instance_norm(tt.randn(2, 3, 4), use_input_stats=False), ValueError,
     "use_input_stats=False needs running_mean and running_var"),
    (lambda: nn.Hardtanh(1.0, -1.0), ValueError, r"Hardtanh: max_val \(-1.0\) must be greater than min_val \(1.0\)"),
    (lambda: F.hardtanh(tt.randn(3), 2.0, 1.0), ValueError, r"hardtanh: min_val \(2.0\) cannot be greater than"),
    (lambda: nn.PReLU(0), ValueError, "PReLU: num_parameters must be a positive int, got 0"),
    (lambda: F.prelu(tt.tensor([-4, 2]), tt.tensor([1])), TypeError,
     "prelu: expected a floating-point input, got dtype int64"),
    (lambda: F.elu(tt.tensor([-4, 2])), TypeError, "elu: expected a floating-point input, got dtype int64"),
    (lambda: nn.Softplus()(tt.tensor([1])), TypeError, "softplus: expected a floating-point input"),
    (lambda: nn.Mish()(tt.tensor([1])), TypeError, "mish: expected a floating-point input"),
    (lambda: nn.Hardsigmoid()(tt.tensor([1])), TypeError, "hardsigmoid: expected a floating-point input"),
    (lambda: nn.Hardswish()(tt.tensor([1])), TypeError, "hardswish: expected a floating-point input"),
    (lambda: F.hardtanh(tt.tensor([True, False])), TypeError, "hardtanh: bool inputs are not supported"),
    (lambda: nn.PReLU()(tt.randn(2, 3, dtype=tt.float64)), TypeError,
     "prelu: input is float64 but weight is float32; convert one of them"),
    (lambda: nn.GroupNorm(3, 3)(tt.randn(2, 3, 4, dtype=tt.float64)), TypeError,
     "group_norm: input is float64 but weight is float32; convert one of them"),
    (lambda: nn.InstanceNorm1d(3, affine=True)(tt.randn(2, 3, 4, dtype=tt.float64)), TypeError,
     "instance_norm: input is float64 but weight is float32"),
    (lambda: F.group_norm(tt.tensor([[[1, 2]]]), 1), TypeError, "group_norm: expected a floating-point input"),
    (lambda: F.rms_norm(tt.tensor([[1, 2]]), 2), TypeError, "rms_norm: expected a floating-point input"),
    (lambda: F.instance_norm(tt.tensor([[[1, 2]]])), TypeError, "instance_norm: expected a floating-point input"),
    (lambda: F.smooth_l1_loss(tt.tensor([1, 2]), tt.tensor([1, 3])), TypeError,
     "smooth_l1_loss: expected a floating-point input or target, got dtype int64"),
    (lambda: F.huber_loss(tt.tensor([1, 2]), tt.tensor([1.0, 3.0])), TypeError,
     "huber_loss: expected a floating-point input, got dtype int64"),
    (lambda: F.kl_div(tt.tensor([1.0, 2.0]), tt.tensor([1, 3])), TypeError,
     "kl_div: expected floating-point input and target, got dtypes float32 and int64"),
    (lambda: F.cosine_similarity(tt.tensor([[1, 2]]), tt.tensor([[1, 2]])), TypeError,
     "cosine_similarity: expected a floating-point x1 or x2, got dtypes int64 and int64"),
    (lambda: F.pairwise_distance(tt.tensor([[1, 2]]), tt.tensor([[1, 2]])), TypeError,
     "pairwise_distance: expected a floating-point x1 or x2"),
    (lambda: nn.PReLU(4)(tt.randn(2, 3, 5)), ValueError,
     r"prelu: weight of shape \(4,\) must hold 1 slope or one per channel \(3 for input of shape \(2, 3, 5\)\)"),
    (lambda: F.smooth_l1_loss(tt.randn(3), tt.randn(3), beta=-1.0), ValueError, "smooth_l1_loss: beta must be >= 0"),
    (lambda: F.smooth_l1_loss(tt.randn(3), tt.randn(3, 1)), ValueError,
     r"smooth_l1_loss: target shape \(3, 1\) differs from input shape \(3,\)"),
    (lambda: F.huber_loss(tt.randn(3), tt.randn(3), delta=0.0), ValueError, "huber_loss: delta must be > 0, got 0.0"),
    (lambda: F.huber_loss(tt.randn(3), tt.randn(3), weight=tt.ones(2)), ValueError,
     r"huber_loss: weight of shape \(2,\) must have the input's shape \(3,\)"),
    (lambda: nn.HuberLoss(reduction="batchmean"), ValueError,
     "HuberLoss: reduction must be 'mean', 'sum' or 'none', got 'batchmean'"),
    (lambda: F.kl_div(tt.randn(3), tt.rand(3), reduction="avg"), ValueError,
     "kl_div: reduction must be one of 'mean', 'batchmean', 'sum', 'none', got 'avg'"),
    (lambda: nn.KLDivLoss(reduction="avg"), ValueError, "KLDivLoss: reduction must be one of"),
    (lambda: F.cosine_embedding_loss(tt.randn(3, 4), tt.randn(3, 5), tt.ones(3)), ValueError,
     r"cosine_embedding_loss: input1 \(3, 4\) and input2 \(3, 5\) must have the same shape"),
    (lambda: F.cosine_embedding_loss(tt.randn(3, 4), tt.randn(3, 4), tt.ones(4)), ValueError,
     r"cosine_embedding_loss: target of shape \(4,\) must have shape \(3,\)"),
    (lambda: F.cosine_similarity(tt.randn(3, 4), tt.randn(2, 4)), ValueError,
     r"cosine_similarity: x1 of shape \(3, 4\) and x2 of shape \(2, 4\) do not broadcast together"),
    (lambda: F.cosine_similarity(tt.randn(3, 4), tt.randn(3, 4), dim=2), IndexError,
     r"cosine_similarity: dim 2 is out of range for a tensor of shape \(3, 4\)"),
    (lambda: F.pairwise_distance(tt.randn(3, 4), tt.randn(3, 5)), ValueError, "pairwise_distance: x1 of shape"),
    (lambda: F.one_hot(tt.tensor([0.0, 1.0])), TypeError, "one_hot: expected an int64 tensor of class indices"),
    (lambda: F.one_hot(tt.tensor([0, 3]), 3), ValueError, r"one_hot: class values must lie in \[0, 2\]"),
    (lambda: F.one_hot(tt.zeros(4, 0).long(), 0), ValueError,
     "one_hot: cannot infer num_classes from an empty tensor; pass num_classes >= 1, got 0"),
    (lambda: F.group_norm(tt.randn(1, 3), 3), ValueError,
     r"group_norm: expected more than 1 value per group when training, got input of shape \(1, 3\)"),
    (lambda: nn.GroupNorm(1, 1)(tt.randn(1, 1)), ValueError, "group_norm: expected more than 1 value per group"),
    (lambda: F.interpolate(tt.randn(1, 1, 4), size=3, recompute_scale_factor=True), ValueError,
     "interpolate: recompute_scale_factor=True is not meaningful with an explicit size"),
    (lambda: F.interpolate(tt.randn(2, 3), scale_factor=2), ValueError,
     r"interpolate: expected \(N, C, L\), \(N, C, H, W\) or \(N, C, D, H, W\) input, got shape \(2, 3\)"),
    (lambda: F.interpolate(tt.randn(1, 1, 4)), ValueError, "interpolate: give exactly one of size and scale_factor"),
    (lambda: F.interpolate(tt.randn(1, 1, 4), size=3, scale_factor=2), ValueError, "give exactly one of"),
    (lambda: F.interpolate(tt.randn(1, 1, 4, 4), size=(3,)), ValueError,
     r"interpolate: input of shape \(1, 1, 4, 4\) has 2 spatial dims, but size \(3,\) gives 1"),
    (lambda: F.interpolate(tt.randn(1, 1, 4), scale_factor=0.1), ValueError,
     r"interpolate: input and output sizes must be > 0, got input \(4,\) and output \(0,\)"),
    (lambda: F.interpolate(tt.randn(1, 1, 4), scale_factor=2, mode="bicubic"), NotImplementedError,
     "interpolate: mode 'bicubic' is not supported"),
    (lambda: F.interpolate(tt.randn(1, 1, 4), scale_factor=2, mode="bilinear"), ValueError,
     r"interpolate: mode 'bilinear' needs 4-D input, got shape \(1, 1, 4\)"),
    (lambda: F.interpolate(tt.randn(1, 1, 4), scale_factor=2, align_corners=True), ValueError,
     "align_corners can only be set with the linear modes"),
    (lambda: F.interpolate(tt.tensor([[[1, 2]]]), scale_factor=2, mode="linear"), TypeError,
     "interpolate: mode 'linear' needs a floating-point input, got dtype int64"),
    (lambda: F.interpolate(tt.randn(1, 1, 4), scale_factor=2, antialias=True), NotImplementedError,
     "antialias=True is not supported"),
    (lambda: nn.Unflatten(1, (2, 3.0)), TypeError, "Unflatten: unflattened_size must be a tuple or list of ints"),
    (lambda: nn.Unflatten(1, (4, 2))(tt.randn(3, 6)), ValueError,
     r"Unflatten: cannot split dim 1 of size 6 \(input shape \(3, 6\)\) into \(4, 2\)"),
    (lambda: nn.Unflatten(2, (2, 3))(tt.randn(3, 6)), IndexError,
     r"Unflatten: dim 2 is out of range for input of shape \(3, 6\)"),
]


@pytest.mark.parametrize("call, error, message", ERRORS, ids=[e[2][:50] for e in ERRORS])
def test_bad_arguments_raise_errors_naming_the_layer_and_the_values(call, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_instance_norm_without_affine_warns_on_a_channel_mismatch_like_pytorch() -> None:
    with pytest.warns(UserWarning, match=r"InstanceNorm1d: input of shape \(2, 4, 5\) has 4 channels, not"):
        out = nn.InstanceNorm1d(3)(tt.randn(2, 4, 5))
    assert out.shape == (2, 4, 5) and math.isfinite(float(out.abs().sum()))
