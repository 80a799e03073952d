"""Modules 03-05: finite-difference gradient checks of every activation and loss, the fused
cross-entropy, argument errors, initialisers and gradient clipping."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch import nn
from tinytorch.nn import init
from tinytorch.testing import gradcheck

rng = np.random.default_rng(7)


def leaf(*shape: int, scale: float = 1.0, low: float | None = None, high: float | None = None) -> tt.Tensor:
    data = rng.uniform(low, high, shape) if low is not None else rng.standard_normal(shape) * scale
    return tt.tensor(data, dtype=tt.float64, requires_grad=True)


ACTIVATIONS = [
    ("relu", F.relu, {}), ("leaky_relu", F.leaky_relu, {"negative_slope": 0.2}), ("sigmoid", F.sigmoid, {}),
    ("tanh", F.tanh, {}), ("gelu", F.gelu, {}), ("gelu_tanh", F.gelu, {"approximate": "tanh"}),
    ("silu", F.silu, {}), ("softmax", F.softmax, {"dim": 1}), ("softmax0", F.softmax, {"dim": 0}),
    ("log_softmax", F.log_softmax, {"dim": -1}), ("log_softmax0", F.log_softmax, {"dim": 0}),
]


@pytest.mark.parametrize("name, fn, kwargs", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_gradient_matches_finite_differences(name: str, fn, kwargs: dict) -> None:
    x = leaf(3, 4, scale=2.0)
    x.data[np.abs(x.data) < 1e-3] = 0.5  # keep away from ReLU's kink
    gradcheck(lambda t: fn(t, **kwargs), [x], label=name)


def test_softmax_and_log_softmax_survive_huge_logits() -> None:
    x = tt.tensor([[1000.0, 0.0, -1000.0], [1e30, 1e30, 0.0]])
    assert np.isfinite(F.softmax(x, dim=1).data).all()
    np.testing.assert_allclose(F.softmax(x, dim=1).data, [[1, 0, 0], [0.5, 0.5, 0]], atol=1e-7)
    log_p = F.log_softmax(x, dim=1).data
    assert np.isfinite(log_p[0]).all() and log_p[0, 0] == 0.0
    with pytest.raises(IndexError, match=r"softmax: dim 2 is out of range for a tensor of shape \(2, 3\)"):
        F.softmax(x, dim=2)
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        F.gelu(x, approximate="fast")


def test_linear_gradients_match_finite_differences() -> None:
    x, w, b = leaf(2, 3, 4), leaf(5, 4), leaf(5)
    gradcheck(F.linear, [x, w, b], label="linear")
    gradcheck(lambda x, w: F.linear(x, w), [leaf(4), w], label="linear 1-d, no bias")


def test_linear_is_one_graph_node() -> None:
    layer = nn.Linear(3, 2)
    x = tt.randn(4, 3, requires_grad=True)
    out = layer(x)
    assert out.grad_fn.name == "LinearFunction" and out.grad_fn.inputs == (x, layer.weight, layer.bias)


def test_linear_agrees_on_the_naive_and_numpy_backends() -> None:
    layer = nn.Linear(5, 3)
    x = tt.randn(2, 4, 5)
    results = []
    for name in ("numpy", "naive"):
        with tt.backend.use(name):
            layer.zero_grad()
            out = layer(x)
            (out * out).sum().backward()
            results.append((out.data, layer.weight.grad.data, layer.bias.grad.data))
    for numpy_result, naive_result in zip(*results):
        np.testing.assert_allclose(naive_result, numpy_result, rtol=1e-5, atol=1e-6)


def test_linear_promotes_a_float64_input_like_matmul() -> None:
    layer = nn.Linear(3, 2)
    assert layer(tt.tensor(np.ones((4, 3)))).dtype == tt.float64
    assert layer(tt.ones(4, 3)).dtype == tt.float32


# ------------------------------------------------------------------------------ losses

def class_targets(shape: tuple[int, ...], n_classes: int, ignore: int | None = None) -> tt.Tensor:
    t = rng.integers(0, n_classes, shape)
    if ignore is not None and t.size > 1:
        t.reshape(-1)[::3] = ignore
    return tt.tensor(t)


CE_CASES = [
    ("2d", (5, 4), {}),
    ("2d weighted smoothed sum", (5, 4), {"weight": True, "label_smoothing": 0.3, "reduction": "sum"}),
    ("2d ignore none", (6, 4), {"ignore_index": -100, "reduction": "none"}),
    ("2d weighted ignore mean", (6, 4), {"weight": True, "ignore_index": 1, "label_smoothing": 0.1}),
    ("nd", (2, 4, 3), {"label_smoothing": 0.2}),
    ("nd weighted none", (2, 4, 3), {"weight": True, "reduction": "none"}),
    ("1d", (4,), {"weight": True}),
]


@pytest.mark.parametrize("name, shape, options", CE_CASES, ids=[c[0] for c in CE_CASES])
@pytest.mark.parametrize("soft", [False, True], ids=["indices", "probabilities"])
def test_cross_entropy_gradient_matches_finite_differences(name: str, shape: tuple, options: dict, soft: bool) -> None:
    options = dict(options)
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    weight = tt.tensor(rng.uniform(0.5, 2, n_classes)) if options.pop("weight", False) else None
    if soft:
        options.pop("ignore_index", None)
        p = rng.uniform(0, 1, shape)
        target = tt.tensor(p / p.sum(axis=0 if len(shape) == 1 else 1, keepdims=True))
    else:
        target_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
        target = class_targets(target_shape, n_classes, options.get("ignore_index"))
    gradcheck(lambda x: F.cross_entropy(x, target, weight=weight, **options), [leaf(*shape, scale=2)],
              label=f"cross_entropy {name}")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_other_losses_match_finite_differences(reduction: str) -> None:
    target = tt.tensor(rng.standard_normal((3, 4)))
    gradcheck(lambda x: F.mse_loss(x, target, reduction=reduction), [leaf(3, 4)], label="mse_loss")
    x = leaf(3, 4)
    x.data[np.abs(x.data - target.data) < 1e-3] += 0.1  # away from |x - t|'s kink
    gradcheck(lambda x: F.l1_loss(x, target, reduction=reduction), [x], label="l1_loss")
    labels = class_targets((5,), 4, ignore=-100)
    weight = tt.tensor(rng.uniform(0.5, 2, 4))
    gradcheck(lambda x: F.nll_loss(x, labels, weight=weight, reduction=reduction), [leaf(5, 4)], label="nll_loss")
    bits = tt.tensor(rng.integers(0, 2, (3, 4)).astype(np.float64))
    bit_weight = tt.tensor(rng.uniform(0.5, 2, 4))
    gradcheck(lambda p: F.binary_cross_entropy(p, bits, weight=bit_weight, reduction=reduction),
              [leaf(3, 4, low=0.05, high=0.95)], label="binary_cross_entropy")
    soft = tt.tensor(rng.uniform(0, 1, (3, 4)))
    pos_weight = tt.tensor(rng.uniform(0.5, 3, 4))
    gradcheck(lambda x: F.binary_cross_entropy_with_logits(x, soft, pos_weight=pos_weight, reduction=reduction),
              [leaf(3, 4, scale=3)], label="binary_cross_entropy_with_logits")


def test_cross_entropy_on_class_indices_is_one_fused_node() -> None:
    """The training step's loss: log-softmax, pick and mean in one Function, straight on the logits."""
    logits = tt.randn(8, 10, requires_grad=True)
    loss = F.cross_entropy(logits, tt.randint(0, 10, (8,)))
    assert loss.grad_fn.name == "CrossEntropy" and loss.grad_fn.inputs == (logits,)
    loss.backward()
    probs = F.softmax(logits.detach(), dim=1).data
    np.testing.assert_allclose(logits.grad.data.sum(axis=1), 0, atol=1e-7)  # softmax - onehot sums to 0
    assert (logits.grad.data < probs / 8 + 1e-7).all()


def test_cross_entropy_is_stable_and_exact_for_huge_logits() -> None:
    logits = tt.tensor([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0]], requires_grad=True)
    loss = F.cross_entropy(logits, tt.tensor([1, 1]))
    np.testing.assert_allclose(loss.item(), 1e4 / 2)  # row 0 pays 1e4, row 1 pays 0
    loss.backward()
    assert np.isfinite(logits.grad.data).all()


def test_cross_entropy_ignores_rows_and_averages_by_weight() -> None:
    logits = tt.randn(4, 3)
    full = F.cross_entropy(logits, tt.tensor([0, 1, 2, 1]), reduction="none")
    masked = F.cross_entropy(logits, tt.tensor([0, -100, 2, -100]))
    np.testing.assert_allclose(masked.item(), (full.data[0] + full.data[2]) / 2, rtol=1e-6)
    assert np.isnan(F.cross_entropy(logits, tt.tensor([-100] * 4)).item())  # nothing counts: NaN, like PyTorch
    weight = tt.tensor([1.0, 2.0, 3.0])
    weighted = F.cross_entropy(logits, tt.tensor([0, 1, 2, 1]), weight=weight)
    expected = (full.data * np.array([1, 2, 3, 2])).sum() / 8
    np.testing.assert_allclose(weighted.item(), expected, rtol=1e-6)


def test_cross_entropy_explains_bad_targets() -> None:
    logits = tt.randn(4, 10)
    with pytest.raises(ValueError, match=r"cross_entropy: target of shape \(4, 1\) and dtype float32 does not fit "
                                         r"input of shape \(4, 10\) and dtype float32"):
        F.cross_entropy(logits, tt.zeros(4, 1))
    with pytest.raises(ValueError, match=r"class-index targets need an integer dtype and shape \(4,\)"):
        F.cross_entropy(logits, tt.zeros(4))
    with pytest.raises(IndexError, match=r"cross_entropy: target value 10 is out of range for 10 classes \(input "
                                         r"shape \(4, 10\)\); class indices must lie in \[0, 9\]"):
        F.cross_entropy(logits, tt.tensor([1, 10, 2, 3]))
    with pytest.raises(IndexError, match="target value -1"):
        F.cross_entropy(logits, tt.tensor([1, -1, 2, 3]))
    with pytest.raises(ValueError, match=r"weight of shape \(3,\) must have one entry per class"):
        F.cross_entropy(logits, tt.tensor([1, 2, 2, 3]), weight=tt.ones(3))
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.cross_entropy(logits, tt.tensor([1, 2, 2, 3]), reduction="avg")
    with pytest.raises(ValueError, match="floating-point logits"):
        F.cross_entropy(tt.tensor([[1, 2]]), tt.tensor([0]))


def test_regression_and_binary_losses_explain_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"mse_loss: target shape \(4, 1\) differs from input shape \(4,\)"):
        F.mse_loss(tt.zeros(4), tt.zeros(4, 1))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: all elements of input must be probabilities"):
        F.binary_cross_entropy(tt.tensor([0.5, 1.5]), tt.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(3,\) does not broadcast to input shape \(2, 4\)"):
        F.binary_cross_entropy_with_logits(tt.zeros(2, 4), tt.zeros(2, 4), pos_weight=tt.ones(3))


def test_bce_clamps_its_logs_and_bce_with_logits_never_overflows() -> None:
    p = tt.tensor([0.0, 1.0], requires_grad=True)
    loss = F.binary_cross_entropy(p, tt.tensor([1.0, 0.0]), reduction="sum")
    assert loss.item() == pytest.approx(200.0)  # each log clamped at -100
    loss.backward()
    assert np.isfinite(p.grad.data).all()
    x = tt.tensor([1000.0, -1000.0], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, tt.tensor([0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(loss.data, [1000.0, 1000.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0, -1.0])


def test_losses_keep_working_with_later_modules_forward_only() -> None:
    """Forward passes (module 05) run without recording anything under no_grad."""
    with tt.no_grad():
        loss = nn.CrossEntropyLoss(label_smoothing=0.1)(tt.randn(3, 4, requires_grad=True), tt.tensor([0, 1, 2]))
    assert loss.grad_fn is None and np.isfinite(loss.item())


# ------------------------------------------------------------------------------ init

def test_calculate_gain_and_fans() -> None:
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == math.sqrt(2 / 6)
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    assert init._calculate_fan_in_and_fan_out(tt.zeros(8, 3, 5, 5)) == (75, 200)
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions \(shape \(4,\)\)"):
        init.xavier_uniform_(tt.zeros(4))


@pytest.mark.parametrize("fn, kwargs, kind, scale", [
    (init.xavier_uniform_, {}, "uniform", math.sqrt(6 / (300 + 200))),
    (init.xavier_normal_, {"gain": 2.0}, "normal", 2 * math.sqrt(2 / (300 + 200))),
    (init.kaiming_uniform_, {"nonlinearity": "relu"}, "uniform", math.sqrt(2) * math.sqrt(3 / 200)),
    (init.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"}, "uniform", math.sqrt(2) * math.sqrt(3 / 300)),
    (init.kaiming_normal_, {"nonlinearity": "relu"}, "normal", math.sqrt(2 / 200)),
    (init.uniform_, {"a": -0.5, "b": 0.5}, "uniform", 0.5),
    (init.normal_, {"std": 0.02}, "normal", 0.02),
])
def test_initialisers_have_the_documented_distribution(fn, kwargs: dict, kind: str, scale: float) -> None:
    """`scale` is the bound of a uniform, the standard deviation of a normal."""
    w = tt.zeros(300, 200)
    assert fn(w, generator=tt.Generator(0), **kwargs) is w
    if kind == "uniform":
        assert np.abs(w.data).max() <= scale and np.abs(w.data).max() > 0.99 * scale
        assert abs(w.data.std() - scale / math.sqrt(3)) < 0.02 * scale
    else:
        assert abs(w.data.std() - scale) < 0.02 * scale
    again = fn(tt.zeros(300, 200), generator=tt.Generator(0), **kwargs)
    np.testing.assert_array_equal(again.data, w.data)


def test_constant_initialisers_write_in_place() -> None:
    p = nn.Parameter(tt.randn(2, 3))
    array = p.data
    init.zeros_(p)
    init.ones_(p)
    assert p.data is array and (array == 1).all()
    init.constant_(p, 0.25)
    assert (array == 0.25).all()
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_uniform_(p, mode="fan")


# ------------------------------------------------------------------------------ gradient clipping

def test_clip_grad_norm_scales_all_gradients_together() -> None:
    a, b = nn.Parameter(tt.zeros(2)), nn.Parameter(tt.zeros(1))
    a.grad, b.grad = tt.tensor([3.0, 0.0]), tt.tensor([4.0])
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(np.concatenate([a.grad.data, b.grad.data]), [0.6, 0.0, 0.8], rtol=1e-5)
    total = nn.utils.clip_grad_norm_([a, b], max_norm=10.0)  # below the limit: unchanged
    assert total.item() == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(a.grad.data, [0.6, 0.0], rtol=1e-5)
    a.grad = tt.tensor([np.inf, 0.0])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is inf"):
        nn.utils.clip_grad_norm_(a, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_clamps_each_entry_and_skips_missing_gradients() -> None:
    a, b = nn.Parameter(tt.zeros(3)), nn.Parameter(tt.zeros(1))
    a.grad = tt.tensor([-3.0, 0.2, 5.0])
    nn.utils.clip_grad_value_([a, b], 1.0)
    np.testing.assert_array_equal(a.grad.data, np.array([-1.0, 0.2, 1.0], dtype=np.float32))
    assert b.grad is None
