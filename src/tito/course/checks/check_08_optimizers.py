"""Module 08 check: gradient clipping, SGD, RMSprop, Adam/AdamW and two learning-rate schedules.

Gradients are set by hand (`p.grad = ...`) so every update can be followed step by step; the
expected parameters come from the update rules written out again here in float64 NumPy, from the
papers and PyTorch's documentation, never from tinytorch itself.
"""

from __future__ import annotations

import math

import numpy as np

import tinytorch
from tinytorch import nn, optim
from tinytorch.nn.utils import clip_grad_norm_
from tinytorch.optim.lr_scheduler import CosineAnnealingLR, StepLR
from tito.course.checks._helpers import assert_close, exercise, fail

CLIP = exercise("clip_grad_norm_")
SGD_STEP = exercise("SGD.step")
RMSPROP_STEP = exercise("RMSprop.step")
ADAM_STEP = exercise("Adam.step")
STEP_LR = exercise("StepLR.get_lr")
COSINE = exercise("CosineAnnealingLR.get_lr")

RNG = np.random.default_rng(8)
START = RNG.standard_normal((2, 3))
GRADS = [RNG.standard_normal((2, 3)) for _ in range(4)]  # the gradient of each of 4 steps
TOL = {"rtol": 1e-9, "atol": 1e-12}


def _param(values: np.ndarray = START) -> nn.Parameter:
    return nn.Parameter(tinytorch.tensor(np.array(values, dtype=np.float64)))


def _run(optimizer_cls, steps: int = len(GRADS), **options) -> list[np.ndarray]:
    """The parameter after each step of `optimizer_cls(**options)` fed GRADS."""
    p = _param()
    optimizer = optimizer_cls([p], **options)
    history = []
    for grad in GRADS[:steps]:
        p.grad = tinytorch.tensor(grad.copy())
        optimizer.step()
        history.append(p.data.copy())
    return history


def _compare(got: list[np.ndarray], expected: list[np.ndarray], ex, what: str) -> None:
    for step, (g, e) in enumerate(zip(got, expected, strict=True), start=1):
        assert_close(g, e, ex, f"{what}: the parameter after step {step}", **TOL)


# -------------------------------------------------------------------------------- clip_grad_norm_


def test_clip_grad_norm_scales_all_gradients_together():
    a, b = _param(np.zeros(2)), _param(np.zeros(3))
    a.grad = tinytorch.tensor(np.array([3.0, 4.0]))
    b.grad = tinytorch.tensor(np.array([0.0, 12.0, 0.0]))  # joint norm sqrt(9 + 16 + 144) = 13
    total = clip_grad_norm_([a, b], max_norm=1.0)
    assert_close(total, 13.0, CLIP, "clip_grad_norm_ returns the joint 2-norm before clipping")
    scale = 1.0 / (13.0 + 1e-6)
    assert_close(a.grad, np.array([3.0, 4.0]) * scale, CLIP, "a.grad after clip_grad_norm_(max_norm=1)", rtol=1e-6)
    assert_close(b.grad, np.array([0.0, 12.0, 0.0]) * scale, CLIP, "b.grad after clip_grad_norm_(max_norm=1)",
                 rtol=1e-6)


def test_clip_grad_norm_leaves_small_gradients_and_supports_inf_norm():
    a = _param(np.zeros(2))
    a.grad = tinytorch.tensor(np.array([0.3, -0.4]))
    assert_close(clip_grad_norm_([a], max_norm=1.0), 0.5, CLIP, "clip_grad_norm_ of a gradient of norm 0.5")
    assert_close(a.grad, [0.3, -0.4], CLIP, "a gradient smaller than max_norm is left alone")
    a.grad = tinytorch.tensor(np.array([0.5, -2.0]))
    assert_close(clip_grad_norm_([a], max_norm=1.0, norm_type=math.inf), 2.0, CLIP,
                 "clip_grad_norm_(norm_type=inf): the largest |entry|")
    assert_close(a.grad, np.array([0.5, -2.0]) / (2.0 + 1e-6), CLIP, "a.grad after inf-norm clipping", rtol=1e-6)


# -------------------------------------------------------------------------------------- SGD.step


def _sgd(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False):
    p, buf, history = START.copy(), None, []
    for grad in GRADS:
        g = (-grad if maximize else grad) + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
        history.append(p)
    return history


def test_sgd_step_plain():
    _compare(_run(optim.SGD, lr=0.1), _sgd(0.1), SGD_STEP, "SGD(lr=0.1)")


def test_sgd_step_with_momentum_keeps_a_running_buffer():
    _compare(_run(optim.SGD, lr=0.1, momentum=0.9), _sgd(0.1, momentum=0.9), SGD_STEP, "SGD(lr=0.1, momentum=0.9)")
    _compare(_run(optim.SGD, lr=0.1, momentum=0.9, dampening=0.5), _sgd(0.1, momentum=0.9, dampening=0.5),
             SGD_STEP, "SGD(lr=0.1, momentum=0.9, dampening=0.5)")


def test_sgd_step_nesterov_weight_decay_and_maximize():
    _compare(_run(optim.SGD, lr=0.05, momentum=0.8, nesterov=True), _sgd(0.05, momentum=0.8, nesterov=True),
             SGD_STEP, "SGD(lr=0.05, momentum=0.8, nesterov=True)")
    _compare(_run(optim.SGD, lr=0.1, weight_decay=0.01), _sgd(0.1, weight_decay=0.01), SGD_STEP,
             "SGD(lr=0.1, weight_decay=0.01)")
    _compare(_run(optim.SGD, lr=0.1, maximize=True), _sgd(0.1, maximize=True), SGD_STEP, "SGD(lr=0.1, maximize=True)")


def test_sgd_step_skips_parameters_without_gradient():
    p, frozen = _param(), _param()
    opt = optim.SGD([p, frozen], lr=0.1)
    p.grad = tinytorch.tensor(GRADS[0].copy())
    opt.step()
    assert_close(frozen, START, SGD_STEP, "a parameter whose .grad is None must not change")
    assert_close(p, START - 0.1 * GRADS[0], SGD_STEP, "SGD(lr=0.1) one step")


def test_sgd_step_trains_a_linear_regression():
    tinytorch.manual_seed(0)
    x = tinytorch.tensor(RNG.standard_normal((32, 3)).astype(np.float32))
    y = x @ tinytorch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(150):
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    if loss.item() > 1e-4:
        fail("SGD(lr=0.1, momentum=0.9) on y = x @ [1, -2, 0.5] + 0.3 for 150 steps: the loss must fall near 0",
             SGD_STEP, expected="< 1e-4", got=loss.item())


# ---------------------------------------------------------------------------------- RMSprop.step


def _rmsprop(lr, alpha=0.99, eps=1e-8, momentum=0.0, centered=False):
    p, s, a, buf, history = START.copy(), np.zeros_like(START), np.zeros_like(START), np.zeros_like(START), []
    for g in GRADS:
        s = alpha * s + (1 - alpha) * g * g
        a = alpha * a + (1 - alpha) * g
        rms = np.sqrt(s - a * a) if centered else np.sqrt(s)
        step = g / (rms + eps)
        if momentum:
            buf = momentum * buf + step
            step = buf
        p = p - lr * step
        history.append(p)
    return history


def test_rmsprop_step():
    _compare(_run(optim.RMSprop, lr=0.01), _rmsprop(0.01), RMSPROP_STEP, "RMSprop(lr=0.01)")
    _compare(_run(optim.RMSprop, lr=0.01, alpha=0.9, momentum=0.5), _rmsprop(0.01, alpha=0.9, momentum=0.5),
             RMSPROP_STEP, "RMSprop(lr=0.01, alpha=0.9, momentum=0.5)")
    _compare(_run(optim.RMSprop, lr=0.01, centered=True), _rmsprop(0.01, centered=True), RMSPROP_STEP,
             "RMSprop(lr=0.01, centered=True)")


# ------------------------------------------------------------------------------------- Adam.step


def _adam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False, amsgrad=False):
    (b1, b2), p = betas, START.copy()
    m, v, v_max, history = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p), []
    for t, grad in enumerate(GRADS, start=1):
        g = grad
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = grad + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - b1**t)
        v_hat = (v_max if amsgrad else v) / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        history.append(p)
    return history


def test_adam_step_with_bias_correction():
    got = _run(optim.Adam, lr=0.01)
    assert_close(got[0], START - 0.01 * np.sign(GRADS[0]), ADAM_STEP,
                 "Adam(lr=0.01): the first step moves every weight by about lr (bias correction)", rtol=1e-5, atol=1e-7)
    _compare(got, _adam(0.01), ADAM_STEP, "Adam(lr=0.01)")
    _compare(_run(optim.Adam, lr=0.01, betas=(0.8, 0.9)), _adam(0.01, betas=(0.8, 0.9)), ADAM_STEP,
             "Adam(lr=0.01, betas=(0.8, 0.9))")


def test_adam_step_weight_decay_l2_and_decoupled():
    _compare(_run(optim.Adam, lr=0.01, weight_decay=0.1), _adam(0.01, weight_decay=0.1), ADAM_STEP,
             "Adam(lr=0.01, weight_decay=0.1) (L2: added to the gradient)")
    _compare(_run(optim.AdamW, lr=0.01, weight_decay=0.1), _adam(0.01, weight_decay=0.1, decoupled=True), ADAM_STEP,
             "AdamW(lr=0.01, weight_decay=0.1) (decoupled: p shrinks by lr * wd * p)")


def test_adam_step_amsgrad():
    _compare(_run(optim.Adam, lr=0.01, amsgrad=True), _adam(0.01, amsgrad=True), ADAM_STEP,
             "Adam(lr=0.01, amsgrad=True)")


# ---------------------------------------------------------------------------------- schedulers


def _lrs(scheduler_cls, epochs: int, lr: float = 1.0, **options) -> list[float]:
    opt = optim.SGD([_param()], lr=lr)
    scheduler = scheduler_cls(opt, **options)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(epochs):
        scheduler.step()
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


def test_step_lr_decays_every_step_size_epochs():
    got = _lrs(StepLR, 7, lr=1.0, step_size=3, gamma=0.5)
    expected = [1.0 * 0.5 ** (epoch // 3) for epoch in range(8)]
    assert_close(got, expected, STEP_LR, "StepLR(step_size=3, gamma=0.5): lr at epochs 0..7", rtol=1e-12)


def test_cosine_annealing_lr_follows_half_a_cosine():
    got = _lrs(CosineAnnealingLR, 10, lr=0.1, T_max=10, eta_min=0.001)
    expected = [0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(11)]
    assert_close(got, expected, COSINE, "CosineAnnealingLR(T_max=10, eta_min=0.001) from lr 0.1: epochs 0..10",
                 rtol=1e-12)
