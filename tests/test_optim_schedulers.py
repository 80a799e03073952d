"""LR schedulers beyond their PyTorch sequences (those are in test_optim_goldens.py): the public names,
argument checks, saving (no code in a checkpoint), and resuming a Trainer with composed schedules."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

import tinytorch as tt
from tinytorch import nn, optim
from tinytorch.data import DataLoader, TensorDataset
from tinytorch.optim import lr_scheduler
from tinytorch.optim.lr_scheduler import (ChainedScheduler, ConstantLR, CosineAnnealingLR,
                                          CosineAnnealingWarmRestarts, ExponentialLR, LambdaLR, LinearLR,
                                          MultiplicativeLR, PolynomialLR, ReduceLROnPlateau, SequentialLR, StepLR)
from tinytorch.train import ModelCheckpoint, Trainer

# Every scheduler PyTorch 2.x has in torch.optim.lr_scheduler except CyclicLR.
TORCH_NAMES = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
               "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "SequentialLR", "ChainedScheduler",
               "ReduceLROnPlateau", "OneCycleLR", "CosineAnnealingWarmRestarts"]


def sgd(groups: int = 1) -> optim.Optimizer:
    return optim.SGD([{"params": [nn.Parameter(tt.zeros(1))], "lr": 0.1 / (i + 1)} for i in range(groups)],
                     lr=0.1, momentum=0.9)


def test_every_scheduler_is_exported_under_its_pytorch_name() -> None:
    assert sorted(lr_scheduler.__all__) == sorted(TORCH_NAMES)
    for name in TORCH_NAMES:
        assert issubclass(getattr(lr_scheduler, name), lr_scheduler.LRScheduler), name
    assert optim.lr_scheduler is lr_scheduler


def _other_optimizer_scheduler(opt: optim.Optimizer) -> SequentialLR:
    return SequentialLR(opt, [ExponentialLR(opt, 0.9), StepLR(sgd(), step_size=2)], milestones=[3])


BAD_ARGUMENTS: list[tuple[str, Callable[[optim.Optimizer], object], type, str]] = [
    ("sequential-milestones-length",
     lambda o: SequentialLR(o, [ExponentialLR(o, 0.9), StepLR(o, 2)], milestones=[3, 6]), ValueError,
     r"SequentialLR: expected 1 milestones \(one fewer than the 2 schedulers\), got 2: \[3, 6\]"),
    ("sequential-no-milestones", lambda o: SequentialLR(o, [ExponentialLR(o, 0.9), StepLR(o, 2)], milestones=[]),
     ValueError, r"SequentialLR: expected 1 milestones .* got 0: \[\]"),
    ("sequential-milestones-order",
     lambda o: SequentialLR(o, [ExponentialLR(o, 0.9), StepLR(o, 2), ConstantLR(o)], milestones=[6, 3]),
     ValueError, r"SequentialLR: milestones must be increasing integers, got \[6, 3\]"),
    ("sequential-milestones-float", lambda o: SequentialLR(o, [ExponentialLR(o, 0.9), StepLR(o, 2)], milestones=[2.5]),
     ValueError, r"SequentialLR: milestones must be increasing integers, got \[2.5\]"),
    ("sequential-empty", lambda o: SequentialLR(o, [], milestones=[]), ValueError,
     "SequentialLR: expects at least one scheduler, got none"),
    ("sequential-other-optimizer", _other_optimizer_scheduler, ValueError,
     r"SequentialLR: all schedulers must drive the same optimizer, but schedulers\[1\] \(StepLR\)"),
    ("sequential-plateau", lambda o: SequentialLR(o, [ExponentialLR(o, 0.9), ReduceLROnPlateau(o)], milestones=[3]),
     ValueError, r"SequentialLR: schedulers\[1\] is a ReduceLROnPlateau, which needs a metric"),
    ("sequential-not-a-scheduler", lambda o: SequentialLR(o, [ExponentialLR(o, 0.9), o], milestones=[3]),
     TypeError, r"SequentialLR: schedulers\[1\] is a SGD, not an LR scheduler"),
    ("sequential-composite-later",
     lambda o: SequentialLR(o, [ExponentialLR(o, 0.9), ChainedScheduler([StepLR(o, 2)])], milestones=[3]),
     ValueError, r"SequentialLR: schedulers\[1\] is a ChainedScheduler, which cannot restart at a milestone"),
    ("chained-empty", lambda o: ChainedScheduler([]), ValueError, "ChainedScheduler: expects at least one scheduler"),
    ("chained-other-optimizer", lambda o: ChainedScheduler([StepLR(o, 2), StepLR(sgd(), 2)]), ValueError,
     r"ChainedScheduler: all schedulers must drive the same optimizer, but schedulers\[1\]"),
    ("chained-given-optimizer", lambda o: ChainedScheduler([StepLR(o, 2)], optimizer=sgd()), ValueError,
     r"ChainedScheduler: all schedulers must drive the same optimizer, but schedulers\[0\]"),
    ("chained-plateau", lambda o: ChainedScheduler([StepLR(o, 2), ReduceLROnPlateau(o)]), ValueError,
     r"ChainedScheduler: schedulers\[1\] is a ReduceLROnPlateau"),
    ("lambda-count", lambda o: LambdaLR(o, [lambda e: 1.0] * 3), ValueError,
     r"LambdaLR: expected 2 lr_lambdas \(one per parameter group\), got 3"),
    ("lambda-not-callable", lambda o: LambdaLR(o, [lambda e: 1.0, 0.5]), TypeError,
     "LambdaLR: lr_lambda should be a function of the epoch, got float 0.5 for group 1"),
    ("lambda-not-an-optimizer", lambda o: LambdaLR([nn.Parameter(tt.zeros(1))], lambda e: 1.0), TypeError,
     "LambdaLR: list is not an Optimizer"),
    ("multiplicative-not-callable", lambda o: MultiplicativeLR(o, 0.95), TypeError,
     "MultiplicativeLR: lr_lambda should be a function of the epoch, got float 0.95"),
    ("constant-factor-large", lambda o: ConstantLR(o, factor=1.5), ValueError,
     r"ConstantLR: factor must be in \(0, 1\], got 1.5"),
    ("constant-factor-zero", lambda o: ConstantLR(o, factor=0.0), ValueError,
     r"ConstantLR: factor must be in \(0, 1\], got 0.0"),
    ("constant-total-iters", lambda o: ConstantLR(o, total_iters=-1), ValueError,
     "ConstantLR: total_iters must be a non-negative integer, got -1"),
    ("polynomial-total-iters", lambda o: PolynomialLR(o, total_iters=0), ValueError,
     "PolynomialLR: total_iters must be a positive integer, got 0"),
    ("polynomial-power", lambda o: PolynomialLR(o, power=-1.0), ValueError,
     "PolynomialLR: power must be >= 0, got -1.0"),
    ("warm-restarts-T_0", lambda o: CosineAnnealingWarmRestarts(o, T_0=0), ValueError,
     "CosineAnnealingWarmRestarts: T_0 must be a positive integer, got 0"),
    ("warm-restarts-T_0-float", lambda o: CosineAnnealingWarmRestarts(o, T_0=2.5), ValueError,
     "CosineAnnealingWarmRestarts: T_0 must be a positive integer, got 2.5"),
    ("warm-restarts-T_mult", lambda o: CosineAnnealingWarmRestarts(o, T_0=5, T_mult=0), ValueError,
     "CosineAnnealingWarmRestarts: T_mult must be an integer >= 1, got 0"),
    ("warm-restarts-T_mult-float", lambda o: CosineAnnealingWarmRestarts(o, T_0=5, T_mult=1.5), ValueError,
     "CosineAnnealingWarmRestarts: T_mult must be an integer >= 1, got 1.5"),
    ("warm-restarts-eta_min", lambda o: CosineAnnealingWarmRestarts(o, T_0=5, eta_min="0.1"), ValueError,
     "CosineAnnealingWarmRestarts: eta_min must be a number, got str '0.1'"),
    ("warm-restarts-negative-epoch", lambda o: CosineAnnealingWarmRestarts(o, T_0=5).step(-0.5), ValueError,
     "CosineAnnealingWarmRestarts: epoch must be >= 0, got -0.5"),
]


@pytest.mark.parametrize("build, error, message", [case[1:] for case in BAD_ARGUMENTS],
                         ids=[case[0] for case in BAD_ARGUMENTS])
def test_bad_arguments_name_the_scheduler_and_the_value(build: Callable, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        build(sgd(groups=2))


def test_sequential_lr_hands_over_at_the_milestone() -> None:
    """Warm-up for 3 epochs, then a cosine that starts from the full lr (its epoch 0), not where the
    warm-up left it, and whose own epoch counter starts at the milestone."""
    opt = sgd()
    sched = SequentialLR(opt, [LinearLR(opt, start_factor=0.5, total_iters=3), CosineAnnealingLR(opt, T_max=4)],
                         milestones=[3])
    lrs = [sched.get_last_lr()[0]]
    for _ in range(7):
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        assert opt.param_groups[0]["lr"] == lrs[-1]
    warmup = [0.1 * (0.5 + 0.5 * t / 3) for t in range(3)]
    cosine = [0.1 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    np.testing.assert_allclose(lrs, warmup + cosine, rtol=1e-12)


def test_chained_scheduler_multiplies_the_factors() -> None:
    opt = sgd()
    sched = ChainedScheduler([ConstantLR(opt, factor=0.1, total_iters=2), ExponentialLR(opt, gamma=0.9)])
    lrs = [sched.get_last_lr()[0]]
    for _ in range(4):
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    np.testing.assert_allclose(lrs, [0.01, 0.009, 0.1 * 0.9**2, 0.1 * 0.9**3, 0.1 * 0.9**4], rtol=1e-12)


def test_warm_restarts_per_batch_with_fractional_epochs() -> None:
    """step(epoch + i / iters) anneals within an epoch and restarts at T_0, T_0 (1 + T_mult), ..."""
    opt = sgd()
    sched = CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.01)
    expected = {0.5: 0.5 / 2, 1.75: 1.75 / 2, 2.0: 0.0, 3.0: 1 / 4, 5.5: 3.5 / 4, 6.0: 0.0, 13.0: 7 / 8}
    for epoch, fraction in expected.items():
        sched.step(epoch)
        assert sched.get_last_lr()[0] == pytest.approx(0.01 + 0.09 * (1 + math.cos(math.pi * fraction)) / 2)
        assert sched.last_epoch == math.floor(epoch)


class Warmup:
    """A callable object: unlike a function, its attributes go into the scheduler's state."""

    def __init__(self, steps: int) -> None:
        self.steps = steps

    def __call__(self, epoch: int) -> float:
        return min(1.0, (epoch + 1) / self.steps)


def test_lambda_state_saves_no_code_only_a_callable_objects_attributes(tmp_path: Path) -> None:
    opt = sgd(groups=2)
    sched = LambdaLR(opt, [lambda epoch: 0.9**epoch, Warmup(steps=4)])
    for _ in range(3):
        sched.step()
    tt.save({"scheduler": sched.state_dict()}, tmp_path / "ckpt.safetensors")
    saved = tt.load(tmp_path / "ckpt.safetensors")["scheduler"]
    assert saved["lr_lambdas"] == [None, {"steps": 4}] and saved["last_epoch"] == 3

    fresh = LambdaLR(sgd(groups=2), [lambda epoch: 0.9**epoch, Warmup(steps=99)])
    before = {key: (list(value) if isinstance(value, list) else value) for key, value in saved.items()}
    fresh.load_state_dict(saved)
    assert saved == before  # the caller's dict is left as it was
    assert fresh.lr_lambdas[1].steps == 4 and fresh.last_epoch == 3
    fresh.step()
    sched.step()
    assert fresh.get_last_lr() == sched.get_last_lr()


def test_loading_a_state_of_another_shape_says_so() -> None:
    opt = sgd()
    two = SequentialLR(opt, [ExponentialLR(opt, 0.9), StepLR(opt, 2)], milestones=[3])
    other = sgd()
    three = SequentialLR(other, [ExponentialLR(other, 0.9), StepLR(other, 2), ConstantLR(other)], milestones=[3, 5])
    with pytest.raises(ValueError, match="SequentialLR.load_state_dict: the saved state has 2 schedulers, "
                                         "this one has 3"):
        three.load_state_dict(two.state_dict())
    one_group = MultiplicativeLR(sgd(), lambda epoch: 0.9)
    with pytest.raises(ValueError, match="MultiplicativeLR.load_state_dict: the saved state has 1 lr_lambdas, "
                                         "this scheduler has 2"):
        MultiplicativeLR(sgd(groups=2), lambda epoch: 0.9).load_state_dict(one_group.state_dict())


def _trainer(seed: int, tmp_path: Path) -> tuple[Trainer, DataLoader]:
    """A per-batch warm-up, then cosine warm restarts: 4 batches an epoch, milestone mid-epoch 2."""
    tt.manual_seed(seed)
    rng = np.random.default_rng(0)
    data = TensorDataset(rng.normal(size=(64, 4)).astype(np.float32), rng.integers(0, 3, size=64))
    loader = DataLoader(data, batch_size=16, shuffle=True, generator=tt.Generator(seed + 1))
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = SequentialLR(opt, [LinearLR(opt, start_factor=0.1, total_iters=6),
                               CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.001)], milestones=[6])
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=sched, scheduler_interval="step",
                      callbacks=[ModelCheckpoint(tmp_path, monitor="train_loss")], progress=False)
    return trainer, loader


def test_trainer_resumes_a_sequential_schedule_exactly(tmp_path: Path) -> None:
    straight, loader = _trainer(seed=5, tmp_path=tmp_path / "straight")
    straight.fit(loader, epochs=4)
    first, loader = _trainer(seed=5, tmp_path=tmp_path / "resumed")
    first.fit(loader, epochs=2)
    second, loader = _trainer(seed=77, tmp_path=tmp_path / "resumed")
    history = second.fit(loader, epochs=4, resume_from=tmp_path / "resumed" / "last.safetensors")
    assert len(set(history["lr"])) == 4  # the lr really moves between the epochs compared
    assert history["lr"] == straight.history["lr"]
    assert history["train_loss"] == straight.history["train_loss"]
    assert second.scheduler.get_last_lr() == straight.scheduler.get_last_lr()
