"""Module 08: optimizer mechanics (groups, state, in-place updates, errors), schedulers' closed forms,
and an MLP that actually learns."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch import nn, optim
from tinytorch.optim import lr_scheduler

ALL = [
    (optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1, "maximize": True}),
    (optim.Adam, {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    (optim.AdamW, {"lr": 0.01}),
    (optim.RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
]


def params() -> list[nn.Parameter]:
    return [nn.Parameter(tt.randn(3, 4)), nn.Parameter(tt.randn(4))]


@pytest.mark.parametrize("cls, kwargs", ALL, ids=[f"{c.__name__}{k}" for c, k in ALL])
def test_step_updates_in_place_and_leaves_gradients_alone(cls, kwargs: dict) -> None:
    ps = params()
    arrays = [p.data for p in ps]
    before = [a.copy() for a in arrays]
    for p in ps:
        p.grad = tt.randn(*p.shape)
    grads = [p.grad.data.copy() for p in ps]
    opt = cls(ps, **kwargs)
    for _ in range(2):
        opt.step()
    for p, array, old, grad in zip(ps, arrays, before, grads):
        assert p.data is array, "the update must write into the parameter's own array"
        assert p.dtype == tt.float32 and not np.array_equal(array, old)
        np.testing.assert_array_equal(p.grad.data, grad, err_msg="step must not change .grad")
        assert p.grad_fn is None


@pytest.mark.parametrize("cls, kwargs", ALL, ids=[f"{c.__name__}{k}" for c, k in ALL])
def test_state_buffers_are_independent_of_the_gradients(cls, kwargs: dict) -> None:
    """A momentum buffer that aliased .grad would change when the next backward overwrites it."""
    p = nn.Parameter(tt.ones(3))
    opt = cls([p], **kwargs)
    p.grad = tt.ones(3)
    opt.step()
    saved = {k: v.data.copy() for k, v in opt.state[p].items()}
    p.grad.data[...] = 100.0
    for key, value in opt.state[p].items():
        np.testing.assert_array_equal(value.data, saved[key], err_msg=key)


def test_parameters_without_gradients_are_skipped() -> None:
    a, b = params()
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = tt.ones(3, 4)
    b_before = b.data.copy()
    opt.step()
    np.testing.assert_array_equal(b.data, b_before)
    assert b not in opt.state or not opt.state[b]


def test_zero_grad_sets_to_none_or_zero() -> None:
    ps = params()
    opt = optim.SGD(ps, lr=0.1)
    for p in ps:
        p.grad = tt.ones(*p.shape)
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in ps)
    opt.zero_grad()
    assert all(p.grad is None for p in ps)


def test_param_groups_take_defaults_and_their_own_options() -> None:
    a, b = params()
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0.0
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["params"] == [b]
    c = nn.Parameter(tt.zeros(2))
    opt.add_param_group({"params": [c], "lr": 0.01})
    assert opt.param_groups[2]["nesterov"] is False
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_bad_arguments_are_explained() -> None:
    a, b = params()
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="got a single Tensor"):
        optim.SGD(a, lr=0.1)
    with pytest.raises(TypeError, match="not a set"):
        optim.SGD({a, b}, lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([a * 2], lr=0.1)
    with pytest.raises(ValueError, match="invalid learning rate -1"):
        optim.Adam([a], lr=-1)
    with pytest.raises(ValueError, match="invalid beta at index 1: 1.0"):
        optim.Adam([a], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum > 0"):
        optim.SGD([a], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="invalid alpha -0.5"):
        optim.RMSprop([a], alpha=-0.5)


def test_state_dict_has_pytorchs_layout() -> None:
    a, b = params()
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = tt.ones(3, 4), tt.ones(4)
    opt.step()
    state = opt.state_dict()
    assert set(state) == {"state", "param_groups"}
    assert [g["params"] for g in state["param_groups"]] == [[0], [1]]
    assert state["param_groups"][1]["lr"] == 0.5 and state["param_groups"][0]["betas"] == (0.9, 0.999)
    assert set(state["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert state["state"][0]["step"].item() == 1.0 and state["state"][0]["exp_avg"].shape == (3, 4)


def test_load_state_dict_rejects_a_different_model() -> None:
    a, b = params()
    saved = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="saved parameter group 0 has 2 parameters, this optimizer's has 1"):
        optim.SGD([a], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="saved state has 1 parameter groups, this optimizer has 2"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(saved)


def test_loaded_state_is_a_copy_in_the_parameters_dtype() -> None:
    p = nn.Parameter(tt.ones(2))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = tt.ones(2)
    opt.step()
    saved = opt.state_dict()
    q = nn.Parameter(tt.ones(2, dtype=tt.float64))
    other = optim.SGD([q], lr=0.1, momentum=0.9)
    other.load_state_dict(saved)
    buffer = other.state[q]["momentum_buffer"]
    assert buffer.dtype == tt.float64 and buffer.data is not opt.state[p]["momentum_buffer"].data


def test_closure_is_evaluated_with_gradients_on() -> None:
    p = nn.Parameter(tt.tensor([1.0, -2.0]))
    opt = optim.SGD([p], lr=0.1)

    def closure() -> tt.Tensor:
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with tt.no_grad():
        loss = opt.step(closure)
    assert loss.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.data, [0.8, -1.6], rtol=1e-6)


def test_sgd_momentum_by_hand() -> None:
    """v1 = g, p1 = p0 - lr g; v2 = m v1 + g, p2 = p1 - lr v2."""
    p = nn.Parameter(tt.tensor([1.0]))
    opt = optim.SGD([p], lr=0.1, momentum=0.5)
    for _ in range(2):
        p.grad = tt.tensor([2.0])
        opt.step()
    assert p.item() == pytest.approx(1 - 0.1 * 2 - 0.1 * (0.5 * 2 + 2))


def test_adam_first_step_moves_every_weight_by_lr() -> None:
    """After bias correction, Adam's first step is lr * sign(g) whatever the gradient's scale."""
    p = nn.Parameter(tt.zeros(3))
    p.grad = tt.tensor([1e-2, -3.0, 1e3])
    optim.Adam([p], lr=0.01).step()
    np.testing.assert_allclose(p.data, [-0.01, 0.01, -0.01], rtol=1e-4)


def test_adamw_decays_weights_even_with_zero_gradient() -> None:
    p = nn.Parameter(tt.ones(2))
    p.grad = tt.zeros(2)
    optim.AdamW([p], lr=0.1, weight_decay=0.5).step()
    np.testing.assert_allclose(p.data, [0.95, 0.95])


def test_optimizer_repr_lists_each_group() -> None:
    text = repr(optim.SGD(params(), lr=0.1))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1" in text and text.endswith(")")


# ------------------------------------------------------------------------------ schedulers

def scheduled(lr: float = 0.1, **kwargs) -> optim.Optimizer:
    return optim.SGD([nn.Parameter(tt.zeros(1))], lr=lr, **kwargs)


def run(scheduler: lr_scheduler.LRScheduler, steps: int) -> list[float]:
    lrs = scheduler.get_last_lr()[:]
    for _ in range(steps):
        scheduler.optimizer.step()
        scheduler.step()
        lrs.extend(scheduler.get_last_lr())
    return lrs


def test_schedules_follow_their_closed_forms() -> None:
    assert run(lr_scheduler.StepLR(scheduled(), step_size=2, gamma=0.5), 5) == pytest.approx(
        [0.1 * 0.5 ** (t // 2) for t in range(6)])
    assert run(lr_scheduler.MultiStepLR(scheduled(), [1, 3], gamma=0.1), 4) == pytest.approx(
        [0.1, 0.01, 0.01, 0.001, 0.001])
    assert run(lr_scheduler.ExponentialLR(scheduled(), gamma=0.9), 4) == pytest.approx([0.1 * 0.9**t for t in range(5)])
    assert run(lr_scheduler.CosineAnnealingLR(scheduled(), T_max=4, eta_min=0.02), 4) == pytest.approx(
        [0.02 + 0.08 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)])
    assert run(lr_scheduler.LinearLR(scheduled(), start_factor=0.2, total_iters=4), 6) == pytest.approx(
        [0.1 * min(0.2 + 0.2 * t, 1.0) for t in range(7)])


def test_one_cycle_rises_to_max_lr_then_anneals_and_cycles_momentum() -> None:
    opt = scheduled(momentum=0.9)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.3)
    lrs, momenta = [opt.param_groups[0]["lr"]], [opt.param_groups[0]["momentum"]]
    for _ in range(9):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
        momenta.append(opt.param_groups[0]["momentum"])
    assert lrs[0] == pytest.approx(1.0 / 25) and lrs[2] == pytest.approx(1.0)
    assert lrs[-1] == pytest.approx(1.0 / 25 / 1e4)
    assert momenta[0] == pytest.approx(0.95) and momenta[2] == pytest.approx(0.85) and momenta[-1] == pytest.approx(0.95)
    with pytest.raises(ValueError, match="tried to step 11 times"):
        sched.step()
        sched.step()


def test_reduce_lr_on_plateau_waits_for_patience() -> None:
    opt = scheduled(lr=1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    for loss in (1.0, 0.5, 0.6, 0.6, 0.6, 0.7):
        sched.step(loss)
    assert sched.get_last_lr() == [0.25]  # two reductions: after the 2nd and 4th epochs without improvement


def test_scheduler_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)
    with pytest.raises(ValueError, match="step_size must be a positive integer"):
        lr_scheduler.StepLR(scheduled(), step_size=0)
    with pytest.raises(ValueError, match="give either total_steps or both epochs and steps_per_epoch"):
        lr_scheduler.OneCycleLR(scheduled(momentum=0.9), max_lr=0.1)
    with pytest.raises(ValueError, match="cycle_momentum needs an optimizer with momentum or betas"):
        lr_scheduler.OneCycleLR(optim.Optimizer([nn.Parameter(tt.zeros(1))], {"lr": 0.1}), max_lr=0.1, total_steps=5)
    with pytest.raises(KeyError, match="no 'initial_lr'"):
        lr_scheduler.ExponentialLR(scheduled(), gamma=0.9, last_epoch=3)
    with pytest.raises(ValueError, match="factor must be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(scheduled(), factor=2.0)


# ------------------------------------------------------------------------------ it learns

@pytest.mark.parametrize("cls, kwargs", [(optim.SGD, {"lr": 0.5, "momentum": 0.9}), (optim.Adam, {"lr": 0.05}),
                                         (optim.AdamW, {"lr": 0.05}), (optim.RMSprop, {"lr": 0.01})])
def test_an_mlp_learns_xor_with_every_optimizer(cls, kwargs: dict) -> None:
    tt.manual_seed(0)
    x = tt.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = tt.tensor([0, 1, 1, 0])
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    opt = cls(model.parameters(), **kwargs)
    first = None
    for _ in range(150):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < 0.05 * first, f"{cls.__name__} did not converge: {first:.3f} -> {loss.item():.3f}"
    assert (model(x).argmax(dim=1).data == y.data).all()
