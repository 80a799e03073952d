"""Optimizers, gradient clipping and LR schedulers against PyTorch (goldens by scripts/make_goldens_nn.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tinytorch as tt
from goldens_util import load_packed
from scheduler_cases import LAMBDAS, build_scheduler
from tinytorch import nn, optim
from tinytorch.testing import assert_close

UPDATES = load_packed("optim_updates.npz")
CLIPPING = load_packed("optim_clipping.npz")
SCHEDULERS = load_packed("optim_schedulers.npz")


@pytest.mark.parametrize("golden", [UPDATES, CLIPPING, SCHEDULERS], ids=["updates", "clipping", "schedulers"])
def test_goldens_come_from_the_pinned_torch(golden: tuple) -> None:
    assert golden[2] == "2.13.0"


def _kwargs(case: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in case["kwargs"].items()}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", UPDATES[0], ids=lambda c: f"{c['optimizer']}-{c['kwargs']}")
def test_optimizer_matches_pytorch_step_for_step(case: dict, dtype: type) -> None:
    """Two parameter groups (the second at half the lr); the second parameter has no gradient at step 3."""
    a = UPDATES[1]
    p0 = nn.Parameter(tt.tensor(a["p0"].astype(dtype)))
    p1 = nn.Parameter(tt.tensor(a["p1"].astype(dtype)))
    kwargs = _kwargs(case)
    opt = getattr(optim, case["optimizer"])([{"params": [p0]}, {"params": [p1], "lr": kwargs["lr"] / 2}], **kwargs)
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)
    for k in range(6):
        p0.grad = tt.tensor(a[f"grad{k}_0"].astype(dtype))
        p1.grad = None if k == 3 else tt.tensor(a[f"grad{k}_1"].astype(dtype))
        opt.step()
        assert p0.dtype == dtype and p1.dtype == dtype
        assert_close(p0, a[f"{case['name']}__step{k}_0"], msg=f"param 0 after step {k}", **tol)
        assert_close(p1, a[f"{case['name']}__step{k}_1"], msg=f"param 1 after step {k}", **tol)


@pytest.mark.parametrize("case", UPDATES[0], ids=lambda c: f"{c['optimizer']}-{c['kwargs']}")
def test_optimizer_state_dict_resumes_exactly(case: dict, tmp_path: Path) -> None:
    """Save after 3 steps, load into a fresh optimizer over copies of the parameters: the next
    steps are identical to an uninterrupted run."""
    a = UPDATES[1]
    kwargs = _kwargs(case)

    def make(params: list[nn.Parameter]) -> optim.Optimizer:
        return getattr(optim, case["optimizer"])([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.02}],
                                                 **kwargs)

    params = [nn.Parameter(tt.tensor(a["p0"])), nn.Parameter(tt.tensor(a["p1"]))]
    opt = make(params)

    def step(opt: optim.Optimizer, params: list[nn.Parameter], k: int) -> None:
        params[0].grad, params[1].grad = tt.tensor(a[f"grad{k}_0"]), tt.tensor(a[f"grad{k}_1"])
        opt.step()

    for k in range(3):
        step(opt, params, k)
    saved = _roundtrip(opt.state_dict(), tmp_path / "optimizer.safetensors")
    copies = [nn.Parameter(tt.tensor(p.data.copy())) for p in params]
    resumed = make(copies)
    resumed.load_state_dict(saved)
    for k in range(3, 6):
        step(opt, params, k)
        step(resumed, copies, k)
    for original, copy in zip(params, copies):
        assert_close(copy, original, rtol=0, atol=0)


def _roundtrip(state: dict, path: Path) -> dict:
    """Through a checkpoint file, as a training run would."""
    tt.save(state, path)
    return tt.load(path)


@pytest.mark.parametrize("case", CLIPPING[0], ids=lambda c: c["name"])
def test_gradient_clipping_matches_pytorch(case: dict) -> None:
    a = CLIPPING[1]
    params = [nn.Parameter(tt.zeros(*a[f"grad{j}"].shape, dtype=tt.float64)) for j in range(2)]
    for j, p in enumerate(params):
        p.grad = tt.tensor(a[f"grad{j}"])
    if case["fn"] == "clip_grad_norm_":
        total = nn.utils.clip_grad_norm_(params, case["max_norm"], case["norm_type"])
        assert_close(total, a[f"{case['name']}__total"], rtol=1e-12, atol=0)
    else:
        nn.utils.clip_grad_value_(params, case["clip_value"])
    for j, p in enumerate(params):
        assert_close(p.grad, a[f"{case['name']}__grad{j}"], rtol=1e-12, atol=1e-15)


# The functions of the epoch that LambdaLR/MultiplicativeLR cases name (as in the golden script).
@pytest.mark.parametrize("name", LAMBDAS)
def test_lambdas_are_the_ones_the_goldens_used(name: str) -> None:
    assert_close(np.array([LAMBDAS[name](epoch) for epoch in range(41)]), SCHEDULERS[1][f"lambda__{name}"],
                 rtol=0, atol=0)


def _scheduler(case: dict) -> tuple[optim.Optimizer, optim.lr_scheduler.LRScheduler]:
    params = [nn.Parameter(tt.zeros(2)), nn.Parameter(tt.zeros(2))]
    opt = getattr(optim, case["optimizer"])([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}],
                                            **case["opt_kwargs"])
    return opt, build_scheduler(optim.lr_scheduler, opt, case["scheduler"], case["kwargs"])


def _advance(case: dict, opt: optim.Optimizer, sched: optim.lr_scheduler.LRScheduler, k: int) -> None:
    """Step k (from 1): the optimizer, then the scheduler with the metric or the epoch the case gives."""
    opt.step()
    if case["scheduler"] == "ReduceLROnPlateau":
        sched.step(SCHEDULERS[1]["metrics"][k - 1])
    elif case.get("epochs") and case["epochs"][k - 1] is not None:
        sched.step(case["epochs"][k - 1])
    else:
        sched.step()


def _lr_and_momentum(opt: optim.Optimizer) -> tuple[list[float], list[float]]:
    return ([g["lr"] for g in opt.param_groups],
            [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups])


@pytest.mark.parametrize("case", SCHEDULERS[0], ids=lambda c: f"{c['scheduler']}-{c['kwargs']}")
def test_scheduler_sequence_matches_pytorch(case: dict) -> None:
    a = SCHEDULERS[1]
    opt, sched = _scheduler(case)
    lrs, momenta = [], []
    for k in range(case["steps"] + 1):
        if k:
            _advance(case, opt, sched, k)
        lr, momentum = _lr_and_momentum(opt)
        assert sched.get_last_lr() == lr
        lrs.append(lr)
        momenta.append(momentum)
    assert_close(np.array(lrs), a[f"{case['name']}__lr"], rtol=1e-12, atol=1e-15, msg="lr")
    assert_close(np.array(momenta), a[f"{case['name']}__momentum"], rtol=1e-12, atol=1e-15, msg="momentum")


@pytest.mark.parametrize("case", SCHEDULERS[0], ids=lambda c: f"{c['scheduler']}-{c['kwargs']}")
def test_scheduler_resumes_from_its_state_dict(case: dict, tmp_path: Path) -> None:
    """Halfway through, save optimizer and scheduler to a checkpoint and rebuild both: the rest of
    the sequence is unchanged."""
    a = SCHEDULERS[1]
    half = case["steps"] // 2
    opt, sched = _scheduler(case)
    for k in range(1, half + 1):
        _advance(case, opt, sched, k)
    saved = _roundtrip({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, tmp_path / "ckpt.safetensors")
    opt2, sched2 = _scheduler(case)
    opt2.load_state_dict(saved["optimizer"])
    sched2.load_state_dict(saved["scheduler"])
    for k in range(half + 1, case["steps"] + 1):
        _advance(case, opt2, sched2, k)
        assert_close(np.array(_lr_and_momentum(opt2)[0]), a[f"{case['name']}__lr"][k], rtol=1e-12, atol=1e-15,
                     msg=f"lr at step {k}")
