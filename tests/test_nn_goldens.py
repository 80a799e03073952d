"""Activations, Linear and every loss against PyTorch, from goldens made by scripts/make_goldens_nn.py.

Each case is run in float64 (tight tolerance) and float32 (the default dtype, loose tolerance):
the value, and the gradient of sum(value * upstream) with respect to the input.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn.functional as F
from goldens_util import load_packed
from tinytorch import nn
from tinytorch.testing import assert_close

TOLERANCE = {np.float64: dict(rtol=1e-9, atol=1e-10), np.float32: dict(rtol=2e-4, atol=2e-5)}

ACTIVATIONS = load_packed("nn_activations.npz")
LOSSES = load_packed("nn_losses.npz")
LAYERS = load_packed("nn_layers.npz")


@pytest.mark.parametrize("golden", [ACTIVATIONS, LOSSES, LAYERS], ids=["activations", "losses", "layers"])
def test_goldens_come_from_the_pinned_torch(golden: tuple) -> None:
    assert golden[2] == "2.13.0"


def run(fn, x: np.ndarray, upstream: np.ndarray, dtype: type, **kwargs) -> tuple[tt.Tensor, tt.Tensor]:
    t = tt.tensor(x.astype(dtype), requires_grad=True)
    out = fn(t, **kwargs)
    (out * tt.tensor(upstream.astype(dtype))).sum().backward()
    return out, t.grad


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", ACTIVATIONS[0], ids=lambda c: c["name"])
def test_activation_matches_pytorch(case: dict, dtype: type) -> None:
    a, name = ACTIVATIONS[1], case["name"]
    out, grad = run(getattr(F, case["fn"]), a[f"{name}__input"], a[f"{name}__upstream"], dtype, **case["kwargs"])
    assert out.dtype == dtype
    assert_close(out, a[f"{name}__output"], msg=f"{name} forward", **TOLERANCE[dtype])
    assert_close(grad, a[f"{name}__grad"], msg=f"{name} gradient", **TOLERANCE[dtype])


def _module_for(fn: str, kwargs: dict) -> nn.Module:
    modules = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
               "gelu": nn.GELU, "silu": nn.SiLU, "softmax": nn.Softmax, "log_softmax": nn.LogSoftmax}
    return modules[fn](**kwargs)


@pytest.mark.parametrize("case", ACTIVATIONS[0], ids=lambda c: c["name"])
def test_activation_module_matches_its_function(case: dict) -> None:
    x = tt.tensor(ACTIVATIONS[1][f"{case['name']}__input"])
    module = _module_for(case["fn"], case["kwargs"])
    assert_close(module(x), ACTIVATIONS[1][f"{case['name']}__output"], rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mlp_output_loss_and_every_gradient_match_pytorch(dtype: type) -> None:
    a = LAYERS[1]
    lin1, lin2 = nn.Linear(3, 5, dtype=dtype), nn.Linear(5, 2, dtype=dtype)
    lin1.load_state_dict({"weight": a["w1"], "bias": a["b1"]})
    lin2.load_state_dict({"weight": a["w2"], "bias": a["b2"]})
    model = nn.Sequential(lin1, nn.Tanh(), lin2)
    x = tt.tensor(a["x"].astype(dtype), requires_grad=True)
    out = model(x)
    loss = F.cross_entropy(out, tt.tensor(a["target"]))
    loss.backward()
    tol = TOLERANCE[dtype]
    assert_close(out, a["output"], msg="output", **tol)
    assert_close(loss, a["loss"], msg="loss", **tol)
    for got, key in ((x.grad, "grad_x"), (lin1.weight.grad, "grad_w1"), (lin1.bias.grad, "grad_b1"),
                     (lin2.weight.grad, "grad_w2"), (lin2.bias.grad, "grad_b2")):
        assert got.dtype == dtype
        assert_close(got, a[key], msg=key, **tol)


def test_linear_on_a_3d_input_matches_pytorch() -> None:
    a = LAYERS[1]
    lin = nn.Linear(3, 5, dtype=np.float64)
    lin.load_state_dict({"weight": a["w1"], "bias": a["b1"]})
    out, grad_x = run(lin, a["x3d"], a["upstream3d"], np.float64)
    assert out.shape == (2, 4, 5)
    assert_close(out, a["output3d"], rtol=1e-9, atol=1e-10)
    assert_close(grad_x, a["grad_x3d"], rtol=1e-9, atol=1e-10)
    assert_close(lin.weight.grad, a["grad_w1_3d"], rtol=1e-9, atol=1e-10)
    assert_close(lin.bias.grad, a["grad_b1_3d"], rtol=1e-9, atol=1e-10)


def _loss_call(case: dict, arrays: dict[str, np.ndarray], dtype: type):
    name = case["name"]
    extra = {}
    for key in ("weight", "pos_weight"):
        if key in case["arrays"]:
            extra[key] = tt.tensor(arrays[f"{name}__{key}"].astype(dtype))
    target = arrays[f"{name}__target"]
    target = tt.tensor(target) if target.dtype.kind == "i" else tt.tensor(target.astype(dtype))
    fn = getattr(F, case["fn"])
    return lambda x: fn(x, target, **case["kwargs"], **extra)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", LOSSES[0], ids=lambda c: c["name"])
def test_loss_value_and_input_gradient_match_pytorch(case: dict, dtype: type) -> None:
    a, name = LOSSES[1], case["name"]
    out, grad = run(_loss_call(case, a, dtype), a[f"{name}__input"], a[f"{name}__upstream"], dtype)
    assert out.dtype == dtype, f"{name}: the loss should keep the input's dtype"
    tol = dict(TOLERANCE[dtype])
    if name.startswith("bce_") and dtype == np.float32:
        tol["rtol"] = 1e-3  # the gradient at p = 0 or 1 is ~1e12 and amplifies rounding
    assert_close(out, a[f"{name}__output"], msg=f"{name} value", **tol)
    assert_close(grad, a[f"{name}__grad"], msg=f"{name} gradient", **tol)


LOSS_MODULES = {"cross_entropy": nn.CrossEntropyLoss, "nll_loss": nn.NLLLoss, "mse_loss": nn.MSELoss,
                "l1_loss": nn.L1Loss, "binary_cross_entropy": nn.BCELoss,
                "binary_cross_entropy_with_logits": nn.BCEWithLogitsLoss}


@pytest.mark.parametrize("case", LOSSES[0][::7], ids=lambda c: c["name"])
def test_loss_module_matches_pytorch(case: dict) -> None:
    a, name = LOSSES[1], case["name"]
    extra = {key: tt.tensor(a[f"{name}__{key}"]) for key in ("weight", "pos_weight") if key in case["arrays"]}
    module = LOSS_MODULES[case["fn"]](**case["kwargs"], **extra)
    target = a[f"{name}__target"]
    out = module(tt.tensor(a[f"{name}__input"]), tt.tensor(target))
    assert_close(out, a[f"{name}__output"], rtol=1e-9, atol=1e-10)
