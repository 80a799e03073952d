"""Module 04 check: the Module system, Linear, Sequential, dropout and the weight initialisers.

Expected values are written out by hand or computed with NumPy from the layer's own weights; the
initialisers are checked by their bounds and spread on large tensors. Everything is a forward pass:
gradients are module 06.
"""

from __future__ import annotations

import math

import numpy as np

import tinytorch
from tinytorch import nn
from tinytorch.nn import functional as F
from tinytorch.nn import init
from tito.course.checks._helpers import (
    as_array,
    assert_close,
    assert_equal,
    assert_raises,
    assert_shape,
    exercise,
    fail,
)

SETATTR = exercise("Module.__setattr__")
NAMED_MODULES = exercise("Module.named_modules")
NAMED_MEMBERS = exercise("Module._named_members")
STATE_DICT = exercise("Module.state_dict")
FANS = exercise("_calculate_fan_in_and_fan_out")
XAVIER = exercise("xavier_uniform_")
KAIMING = exercise("kaiming_uniform_")
LINEAR_FUNCTION = exercise("LinearFunction.forward")
LINEAR_FORWARD = exercise("Linear.forward")
RESET = exercise("Linear.reset_parameters")
SEQUENTIAL = exercise("Sequential.forward")
DROPOUT = exercise("dropout")

RNG = np.random.default_rng(4)


class Cell(nn.Module):
    """A hand-made module: one Parameter, one sub-module, one buffer and a plain attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(tinytorch.ones(3))
        self.inner = nn.Tanh()
        self.register_buffer("steps", tinytorch.zeros(1))
        self.label = "cell"


def _fill(layer: nn.Linear) -> tuple[np.ndarray, np.ndarray | None]:
    """Give a Linear layer known weights (from NumPy); returns them as arrays."""
    weight = RNG.standard_normal(layer.weight.shape).astype(np.float32)
    layer.weight.data[...] = weight
    if layer.bias is None:
        return weight, None
    bias = RNG.standard_normal(layer.bias.shape).astype(np.float32)
    layer.bias.data[...] = bias
    return weight, bias


def _spread(values: np.ndarray, bound: float, ex, what: str) -> None:
    """Samples of U(-bound, bound): inside the bounds, reaching near them, std bound / sqrt(3)."""
    values = as_array(values).astype(np.float64).ravel()
    largest = float(np.abs(values).max())
    if largest > bound * (1 + 1e-6):
        fail(f"{what}: a value lies outside U(-{bound:.5f}, {bound:.5f})", ex, expected=bound, got=largest)
    if largest < 0.97 * bound:
        fail(f"{what}: the largest |value| should come close to the bound", ex, expected=bound, got=largest)
    std = float(values.std())
    if not 0.95 < std / (bound / math.sqrt(3)) < 1.05:
        fail(f"{what}: the standard deviation of U(-a, a) is a / sqrt(3)", ex, expected=bound / math.sqrt(3), got=std)


# ------------------------------------------------------------------------- Module.__setattr__


def test_setattr_registers_parameters_modules_and_keeps_plain_attributes():
    cell = Cell()
    assert_equal(list(cell._parameters), ["scale"], SETATTR, "Cell()._parameters after self.scale = Parameter(...)")
    assert_equal(list(cell._modules), ["inner"], SETATTR, "Cell()._modules after self.inner = nn.Tanh()")
    if "label" not in cell.__dict__ or cell.label != "cell":
        fail("self.label = 'cell' must stay an ordinary attribute", SETATTR, expected="cell",
             got=cell.__dict__.get("label"))
    if "scale" in cell.__dict__ or "inner" in cell.__dict__:
        fail("a registered Parameter or Module must live only in _parameters / _modules, not in __dict__",
             SETATTR, expected=[], got=[k for k in ("scale", "inner") if k in cell.__dict__])
    if cell.scale is not cell._parameters["scale"]:
        fail("cell.scale must return the registered Parameter", SETATTR, expected="the Parameter", got=cell.scale)


def test_setattr_none_clears_a_registered_parameter():
    cell = Cell()
    cell.scale = None
    assert_equal(list(cell._parameters), ["scale"], SETATTR, "the name stays registered after cell.scale = None")
    if cell._parameters["scale"] is not None:
        fail("cell.scale = None must set the registered parameter to None", SETATTR, expected=None,
             got=cell._parameters["scale"])


def test_setattr_rejects_a_tensor_for_a_parameter_name():
    cell = Cell()
    assert_raises(TypeError, lambda: setattr(cell, "scale", tinytorch.ones(3)), SETATTR,
                  "cell.scale = a plain Tensor (scale is a registered Parameter)")
    assert_raises(TypeError, lambda: setattr(cell, "inner", 3), SETATTR,
                  "cell.inner = 3 (inner is a registered sub-module)")


def test_setattr_updates_a_buffer():
    cell = Cell()
    fresh = tinytorch.ones(1)
    cell.steps = fresh
    if cell._buffers.get("steps") is not fresh:
        fail("cell.steps = tensor must replace the registered buffer", SETATTR, expected=fresh,
             got=cell._buffers.get("steps"))


# -------------------------------------------------------------------------- Module.named_modules


def test_named_modules_walks_depth_first_with_dotted_names():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Tanh(), nn.Linear(3, 1)))
    names = [name for name, _ in model.named_modules()]
    assert_equal(names, ["", "0", "1", "1.0", "1.1"], NAMED_MODULES,
                 "names of Sequential(Linear, Sequential(Tanh, Linear))")
    if dict(model.named_modules())["1.1"] is not model[1][1]:
        fail("named_modules()['1.1'] must be the inner Linear", NAMED_MODULES, expected=model[1][1],
             got=dict(model.named_modules())["1.1"])


def test_named_modules_lists_a_shared_module_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    names = [name for name, _ in model.named_modules()]
    assert_equal(names, ["", "0", "1"], NAMED_MODULES, "Sequential(shared, Tanh(), shared).named_modules()")


# ------------------------------------------------------------------------- Module._named_members


def test_named_parameters_of_a_nested_model():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Tanh(), nn.Linear(3, 1, bias=False)))
    names = [name for name, _ in model.named_parameters()]
    assert_equal(names, ["0.weight", "0.bias", "1.1.weight"], NAMED_MEMBERS,
                 "named_parameters() of Sequential(Linear(2, 3), Sequential(Tanh(), Linear(3, 1, bias=False)))")
    assert_equal(len(list(model.parameters())), 3, NAMED_MEMBERS, "len(list(model.parameters()))")


def test_named_parameters_lists_a_shared_weight_once():
    model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    model[1].weight = model[0].weight  # weight tying
    names = [name for name, _ in model.named_parameters()]
    assert_equal(names, ["0.weight", "0.bias", "1.bias"], NAMED_MEMBERS, "named_parameters() with a tied weight")
    everything = [name for name, _ in model.named_parameters(remove_duplicate=False)]
    assert_equal(everything, ["0.weight", "0.bias", "1.weight", "1.bias"], NAMED_MEMBERS,
                 "named_parameters(remove_duplicate=False) with a tied weight")


def test_named_buffers_and_non_recursive_parameters():
    model = nn.Sequential(Cell(), nn.Linear(3, 1))
    assert_equal([n for n, _ in model.named_buffers()], ["0.steps"], NAMED_MEMBERS,
                 "named_buffers() of Sequential(Cell(), Linear)")
    assert_equal([n for n, _ in model[0].named_parameters(recurse=False)], ["scale"], NAMED_MEMBERS,
                 "Cell().named_parameters(recurse=False)")
    assert_equal([n for n, _ in model.named_parameters(prefix="net")], ["net.0.scale", "net.1.weight", "net.1.bias"],
                 NAMED_MEMBERS, "named_parameters(prefix='net')")


# ---------------------------------------------------------------------------- Module.state_dict


def test_state_dict_names_parameters_and_persistent_buffers():
    model = nn.Sequential(Cell(), nn.Linear(3, 2))
    model[0].register_buffer("scratch", tinytorch.zeros(2), persistent=False)
    keys = list(model.state_dict())
    assert_equal(keys, ["0.scale", "0.steps", "1.weight", "1.bias"], STATE_DICT,
                 "state_dict() keys of Sequential(Cell(), Linear(3, 2)) (a non-persistent buffer is left out)")


def test_state_dict_is_detached_and_shares_memory():
    layer = nn.Linear(3, 2)
    state = layer.state_dict()
    weight = state.get("weight")
    if weight is None or weight.requires_grad:
        fail("state_dict()['weight'] must be detached (requires_grad False)", STATE_DICT, expected=False,
             got=None if weight is None else weight.requires_grad)
    if not np.shares_memory(as_array(weight), layer.weight.data):
        fail("state_dict()['weight'] must share memory with the layer's weight (no copy)", STATE_DICT,
             expected="a view of layer.weight.data", got="a copy")


# ------------------------------------------------------------------ _calculate_fan_in_and_fan_out


def test_fan_in_and_fan_out_of_linear_and_conv_weights():
    got = init._calculate_fan_in_and_fan_out(tinytorch.empty(5, 3))
    assert_equal(tuple(got), (3, 5), FANS, "fans of a Linear weight of shape (out=5, in=3)")
    got = init._calculate_fan_in_and_fan_out(tinytorch.empty(8, 4, 3, 3))
    assert_equal(tuple(got), (36, 72), FANS, "fans of a conv weight (8, 4, 3, 3): (4*3*3, 8*3*3)")
    assert_raises(ValueError, lambda: init._calculate_fan_in_and_fan_out(tinytorch.empty(4)), FANS,
                  "fans of a 1-D tensor")


# --------------------------------------------------------------------------------- initialisers


def test_xavier_uniform_bounds_and_spread():
    weight = tinytorch.empty(200, 300)
    returned = init.xavier_uniform_(weight, generator=tinytorch.Generator(0))
    if returned is not weight:
        fail("xavier_uniform_ must fill the tensor in place and return it", XAVIER,
             expected="the same tensor", got=returned)
    _spread(weight, math.sqrt(6 / (300 + 200)), XAVIER, "xavier_uniform_ of a (200, 300) weight")
    init.xavier_uniform_(weight, gain=2.0, generator=tinytorch.Generator(1))
    _spread(weight, 2.0 * math.sqrt(6 / 500), XAVIER, "xavier_uniform_(gain=2) of a (200, 300) weight")


def test_xavier_uniform_replays_with_a_seeded_generator():
    first = init.xavier_uniform_(tinytorch.empty(4, 5), generator=tinytorch.Generator(9)).data.copy()
    again = init.xavier_uniform_(tinytorch.empty(4, 5), generator=tinytorch.Generator(9))
    assert_close(again, first, XAVIER, "xavier_uniform_ with Generator(9), twice (draw from the generator given)")


def test_kaiming_uniform_bounds_for_each_mode_and_nonlinearity():
    weight = tinytorch.empty(100, 400)
    init.kaiming_uniform_(weight, generator=tinytorch.Generator(0))  # leaky_relu with a=0: gain sqrt(2)
    _spread(weight, math.sqrt(2) * math.sqrt(3 / 400), KAIMING, "kaiming_uniform_ of a (100, 400) weight (fan_in)")
    init.kaiming_uniform_(weight, mode="fan_out", nonlinearity="relu", generator=tinytorch.Generator(1))
    _spread(weight, math.sqrt(2) * math.sqrt(3 / 100), KAIMING,
            "kaiming_uniform_(mode='fan_out', nonlinearity='relu') of (100, 400)")
    init.kaiming_uniform_(weight, a=math.sqrt(5), generator=tinytorch.Generator(2))
    _spread(weight, math.sqrt(2 / 6) * math.sqrt(3 / 400), KAIMING, "kaiming_uniform_(a=sqrt(5)) of (100, 400)")


# ----------------------------------------------------------------------- LinearFunction.forward


def test_linear_function_forward_matches_x_times_w_transposed_plus_b():
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    w = RNG.standard_normal((2, 3)).astype(np.float32)
    b = np.array([0.5, -1.0], dtype=np.float32)
    got = F.linear(tinytorch.tensor(x), tinytorch.tensor(w), tinytorch.tensor(b))
    assert_shape(got, (4, 2), LINEAR_FUNCTION, "F.linear(x (4, 3), W (2, 3), b (2,))")
    assert_close(got, x.astype(np.float64) @ w.T + b, LINEAR_FUNCTION, "F.linear(x (4, 3), W (2, 3), b (2,))",
                 rtol=1e-5, atol=1e-5)


def test_linear_function_forward_keeps_leading_batch_dims():
    x = RNG.standard_normal((2, 5, 3)).astype(np.float32)
    w = RNG.standard_normal((4, 3)).astype(np.float32)
    got = F.linear(tinytorch.tensor(x), tinytorch.tensor(w))
    assert_shape(got, (2, 5, 4), LINEAR_FUNCTION, "F.linear(x (2, 5, 3), W (4, 3)) without bias")
    assert_close(got, np.einsum("bti,oi->bto", x.astype(np.float64), w), LINEAR_FUNCTION,
                 "F.linear(x (2, 5, 3), W (4, 3))", rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------- Linear.forward


def test_linear_forward_uses_weight_and_bias():
    layer = nn.Linear(3, 2)
    weight, bias = _fill(layer)
    x = RNG.standard_normal((5, 3)).astype(np.float32)
    got = layer(tinytorch.tensor(x))
    assert_close(got, x.astype(np.float64) @ weight.T + bias, LINEAR_FORWARD, "Linear(3, 2)(x of shape (5, 3))",
                 rtol=1e-5, atol=1e-5)


def test_linear_forward_without_bias():
    layer = nn.Linear(3, 2, bias=False)
    weight, _ = _fill(layer)
    x = RNG.standard_normal((5, 3)).astype(np.float32)
    assert_close(layer(tinytorch.tensor(x)), x.astype(np.float64) @ weight.T, LINEAR_FORWARD,
                 "Linear(3, 2, bias=False)(x of shape (5, 3))", rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------------- Linear.reset_parameters


def test_linear_reset_parameters_follows_pytorch_defaults():
    tinytorch.manual_seed(0)
    layer = nn.Linear(16, 3000)
    _spread(layer.weight, 1 / math.sqrt(16), RESET, "Linear(16, 3000).weight: U(-1/sqrt(16), 1/sqrt(16))")
    _spread(layer.bias, 1 / math.sqrt(16), RESET, "Linear(16, 3000).bias: U(-1/sqrt(16), 1/sqrt(16))")


def test_linear_reset_parameters_replays_after_manual_seed():
    tinytorch.manual_seed(5)
    first = nn.Linear(3, 4)
    tinytorch.manual_seed(5)
    again = nn.Linear(3, 4)
    assert_close(again.weight, first.weight.data, RESET, "Linear(3, 4).weight after manual_seed(5), twice")
    assert_close(again.bias, first.bias.data, RESET, "Linear(3, 4).bias after manual_seed(5), twice")


# ----------------------------------------------------------------------------- Sequential.forward


def test_sequential_forward_applies_layers_in_order():
    first, second = nn.Linear(3, 3), nn.Linear(3, 3)
    w1, b1 = _fill(first)
    w2, b2 = _fill(second)
    x = RNG.standard_normal((4, 3)).astype(np.float32)
    got = nn.Sequential(first, nn.Tanh(), second)(tinytorch.tensor(x))
    expected = np.tanh(x.astype(np.float64) @ w1.T + b1) @ w2.T + b2
    assert_close(got, expected, SEQUENTIAL, "Sequential(Linear(3, 3), Tanh(), Linear(3, 3))(x)", rtol=1e-5, atol=1e-5)


def test_sequential_forward_changes_widths():
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    assert_shape(model(tinytorch.ones(6, 3)), (6, 2), SEQUENTIAL,
                 "Sequential(Linear(3, 8), ReLU(), Linear(8, 2))(x (6, 3))")
    assert_close(nn.Sequential()(tinytorch.ones(2)), [1.0, 1.0], SEQUENTIAL, "an empty Sequential returns its input")


# -------------------------------------------------------------------------------------- dropout


def test_dropout_zeroes_about_p_and_scales_the_rest():
    x = tinytorch.ones(100, 100)
    for p in (0.2, 0.5):
        got = as_array(F.dropout(x, p=p, training=True, generator=tinytorch.Generator(0)))
        survivors = got[got != 0]
        assert_close(survivors, np.full(survivors.shape, 1 / (1 - p), np.float32), DROPOUT,
                     f"dropout(ones, p={p}): survivors are scaled by 1 / (1 - p)")
        dropped = 1 - survivors.size / got.size
        if abs(dropped - p) > 0.03:
            fail(f"dropout(ones (100, 100), p={p}): fraction of zeros", DROPOUT, expected=p, got=round(dropped, 4))


def test_dropout_is_the_identity_in_eval_and_for_p_zero():
    x = tinytorch.tensor(RNG.standard_normal((3, 4)).astype(np.float32))
    assert_close(F.dropout(x, p=0.5, training=False), x.data, DROPOUT, "dropout(x, p=0.5, training=False)")
    assert_close(F.dropout(x, p=0.0, training=True), x.data, DROPOUT, "dropout(x, p=0.0, training=True)")
    assert_close(F.dropout(x, p=1.0, training=True), np.zeros((3, 4)), DROPOUT, "dropout(x, p=1.0): all zero")
    layer = nn.Dropout(0.5)
    layer.eval()
    assert_close(layer(x), x.data, DROPOUT, "nn.Dropout(0.5) in eval mode")


def test_dropout_replays_with_a_seeded_generator():
    x = tinytorch.ones(8, 8)
    first = F.dropout(x, 0.5, generator=tinytorch.Generator(3)).data.copy()
    again = F.dropout(x, 0.5, generator=tinytorch.Generator(3))
    assert_close(again, first, DROPOUT, "dropout with Generator(3), twice (draw the mask from the generator given)")
