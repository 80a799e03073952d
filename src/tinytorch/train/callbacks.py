"""Module 10 — callbacks: things that happen at fixed points of training, kept out of the loop.

The Trainer calls every callback's hooks in the order given:

    on_fit_start(trainer)            before the first epoch (after a resume, if any)
    on_epoch_start(trainer, epoch)
    on_batch_end(trainer, step, loss)
    on_epoch_end(trainer, logs)      logs = this epoch's record: train_loss, val_loss, lr, ...;
                                     decide things here (set trainer.stop_training = True to stop)
    after_epoch(trainer, logs)       once every on_epoch_end has run: write files here, so a
                                     checkpoint holds every callback's updated state
    on_fit_end(trainer)

A callback with state that must survive a restart (the best score so far, the patience counter)
defines `state_dict()` / `load_state_dict()`; checkpoints store it.

    EarlyStopping("val_loss", patience=3)             stop when val_loss stops improving
    ModelCheckpoint("runs/cifar", monitor="val_accuracy")   write last.safetensors and best.safetensors
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for type hints: the Trainer imports this module, not the other way round
    from tinytorch.train.trainer import Trainer

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint"]


class Callback:
    """Base class: every hook does nothing; override the ones you need."""

    def on_fit_start(self, trainer: "Trainer") -> None: ...

    def on_epoch_start(self, trainer: "Trainer", epoch: int) -> None: ...

    def on_batch_end(self, trainer: "Trainer", step: int, loss: float) -> None: ...

    def on_epoch_end(self, trainer: "Trainer", logs: dict[str, Any]) -> None: ...

    def after_epoch(self, trainer: "Trainer", logs: dict[str, Any]) -> None: ...

    def on_fit_end(self, trainer: "Trainer") -> None: ...

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


def _resolve_mode(monitor: str, mode: str, op: str) -> str:
    """'min' for losses, 'max' for accuracies when mode is 'auto'."""
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"{op}: mode must be 'min', 'max' or 'auto', got {mode!r}")
    return mode


def _monitored(logs: dict[str, Any], monitor: str, op: str) -> float:
    """The value of `monitor` in this epoch's logs, or an error that lists what can be monitored."""
    value = logs.get(monitor)
    if value is None:
        known = sorted(k for k, v in logs.items() if isinstance(v, (int, float)) and k not in ("epoch", "time"))
        hint = " (val_* values need fit(..., val_loader=...))" if monitor.startswith("val_") else ""
        raise ValueError(f"{op}: monitor {monitor!r} is not in this epoch's logs{hint}; available: {known}")
    return float(value)


class EarlyStopping(Callback):
    """Stop training when `monitor` has not improved by more than `min_delta` for `patience` epochs.

    Improving means falling for mode 'min' (losses) and rising for 'max' (accuracies); 'auto' picks
    from the name. The best value seen and the count of epochs without improvement are kept in
    `best` and `wait`.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 3, min_delta: float = 0.0, mode: str = "auto") -> None:
        if patience < 0 or min_delta < 0:
            raise ValueError(f"EarlyStopping: patience and min_delta must be >= 0, got {patience} and {min_delta}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = min_delta
        self.mode = _resolve_mode(monitor, mode, "EarlyStopping")
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait = 0
        self.stopped_epoch: int | None = None

    def should_stop(self, value: float) -> bool:
        """Record this epoch's `value`; True when it is time to stop.

        An improvement (beyond `min_delta`, in the direction of `mode`) becomes the new `best` and
        resets `wait` to 0; otherwise `wait` grows by one, and training stops once `wait` reaches
        `patience`.
        """
        # BEGIN SOLUTION 10
        improved = value < self.best - self.min_delta if self.mode == "min" else value > self.best + self.min_delta
        if improved:
            self.best = value
            self.wait = 0
            return False
        self.wait += 1
        return self.wait >= self.patience
        # END SOLUTION

    def on_epoch_end(self, trainer: "Trainer", logs: dict[str, Any]) -> None:
        if self.should_stop(_monitored(logs, self.monitor, "EarlyStopping")):
            self.stopped_epoch = logs["epoch"]
            trainer.stop_training = True

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "wait": self.wait, "stopped_epoch": self.stopped_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.wait, self.stopped_epoch = state["best"], state["wait"], state["stopped_epoch"]


class ModelCheckpoint(Callback):
    """Write checkpoints into `dirpath` after every epoch.

    - `last.safetensors`: the state after the latest epoch (if `save_last`), what `resume` continues from;
    - `best.safetensors`: the state at the best `monitor` value so far (if `save_best`);
    - `history.json`: the per-epoch history so far.

    A checkpoint holds everything `Trainer.resume` needs to continue exactly: model, optimizer and
    scheduler state, epoch and step counters, history, callback states and the random generators'
    states (see `Trainer.state_dict`).
    """

    def __init__(self, dirpath: str | Path, monitor: str = "val_loss", mode: str = "auto",
                 save_best: bool = True, save_last: bool = True) -> None:
        self.dirpath = Path(dirpath)
        self.monitor = monitor
        self.mode = _resolve_mode(monitor, mode, "ModelCheckpoint")
        self.save_best = save_best
        self.save_last = save_last
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None

    @property
    def best_path(self) -> Path:
        return self.dirpath / "best.safetensors"

    @property
    def last_path(self) -> Path:
        return self.dirpath / "last.safetensors"

    def on_fit_start(self, trainer: "Trainer") -> None:
        self.dirpath.mkdir(parents=True, exist_ok=True)

    def after_epoch(self, trainer: "Trainer", logs: dict[str, Any]) -> None:
        improved = False
        if self.save_best:
            value = _monitored(logs, self.monitor, "ModelCheckpoint")
            improved = value < self.best if self.mode == "min" else value > self.best
            if improved:
                self.best, self.best_epoch = value, logs["epoch"]
        if self.save_last:
            trainer.save_checkpoint(self.last_path)
        if improved:
            trainer.save_checkpoint(self.best_path)
        trainer.history.save(self.dirpath / "history.json")

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch = state["best"], state["best_epoch"]
