"""Module 10 — the Trainer: the training loop written once, with everything around it.

Every training script repeats the same loop — forward, loss, zero_grad, backward, step — wrapped
in the same chores: switching train/eval modes, averaging the loss, measuring accuracy on held-out
data, stepping the learning-rate schedule, showing progress, saving checkpoints, stopping early.
The Trainer does the chores; `training_step` is the loop's heart, and the part you write.

    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9), nn.CrossEntropyLoss(),
                      scheduler=sched, callbacks=[ModelCheckpoint("runs/mnist")], grad_clip=1.0)
    history = trainer.fit(train_loader, epochs=10, val_loader=test_loader)
    trainer.evaluate(test_loader)          # {"loss": 0.08, "accuracy": 0.975}
    trainer.predict(images)                # (N, C) outputs, in eval mode, without gradients

Conventions:
- `epochs` in `fit` is the total to reach, as `max_epochs` in other libraries: after resuming from
  a checkpoint of epoch 2, `fit(loader, epochs=4)` trains epochs 3 and 4.
- The scheduler steps once per epoch (`scheduler_interval="epoch"`, for StepLR, CosineAnnealingLR)
  or once per batch (`"step"`, for OneCycleLR and warm-up schedules). ReduceLROnPlateau steps per
  epoch with the epoch's `val_loss` (its `train_loss` without a val_loader). The `lr` logged for an
  epoch is the learning rate at its start.
- Metrics are averaged over the epoch weighted by batch size, which is exact for accuracy.
- Nothing global is changed: a hand-written loop next to a Trainer works as before.

Resuming exactly. A checkpoint (`save_checkpoint`, `ModelCheckpoint`) holds the model, the
optimizer (momentum, Adam moments), the scheduler, the epoch and step counters, the history, every
callback's state and the states of the random generators: the global one (dropout, initialisation)
and those the data loaders draw from (shuffling, augmentation). With all of them restored, 2 epochs
+ checkpoint + resume + 2 epochs gives the same numbers as 4 epochs in one go.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tinytorch import random as tt_random
from tinytorch.autograd import no_grad
from tinytorch.nn.utils import clip_grad_norm_
from tinytorch.optim.lr_scheduler import ReduceLROnPlateau
from tinytorch.random import Generator
from tinytorch.serialization import CheckpointError, load, save
from tinytorch.tensor import Tensor
from tinytorch.train.callbacks import Callback
from tinytorch.train.history import History
from tinytorch.train.metrics import Metric, get_metric
from tinytorch.train.progress import EpochProgress

__all__ = ["Trainer"]

CHECKPOINT_FORMAT = "tinytorch.train/1"


def _loader_generators(loader: Any) -> list[Generator]:
    """The Generators a data loader draws from: its own (shuffling) and its dataset's transforms'.

    Found by following the attributes `generator`, `dataset`, `transform`, `target_transform` and
    `transforms` (Compose); the global generator is left out (it is saved on its own).
    """
    found: list[Generator] = []

    def visit(obj: Any, depth: int) -> None:
        if obj is None or depth > 6:
            return
        if isinstance(obj, Generator):
            if obj is not tt_random.default_generator and all(g is not obj for g in found):
                found.append(obj)
            return
        if isinstance(obj, (Tensor, np.ndarray, str, bytes, int, float)):
            return
        if isinstance(obj, (list, tuple)):
            for item in obj:
                visit(item, depth + 1)
            return
        for name in ("generator", "dataset", "transform", "target_transform", "transforms"):
            visit(getattr(obj, name, None), depth + 1)

    visit(loader, 0)
    return found


class Trainer:
    """Train `model` with `optimizer` on `loss_fn(output, target)`; evaluate, predict, checkpoint, resume.

    - `scheduler`: an LR scheduler, stepped per `scheduler_interval` ("epoch" or "step").
    - `callbacks`: e.g. `ModelCheckpoint`, `EarlyStopping` (see `tinytorch.train.callbacks`).
    - `grad_clip`: if set, gradients are rescaled to this total norm before each step.
    - `metrics`: names ("accuracy", "top5_accuracy") or functions `fn(output, target) -> float`.
    - `progress`: a Rich bar per epoch in a terminal, a summary line per epoch otherwise; False: silent.
    """

    def __init__(self, model: Any, optimizer: Any, loss_fn: Callable[[Tensor, Tensor], Tensor],
                 scheduler: Any = None, callbacks: Iterable[Callback] = (), grad_clip: float | None = None,
                 metrics: Sequence[str | Metric] = ("accuracy",), progress: bool = True,
                 scheduler_interval: str = "epoch") -> None:
        if scheduler_interval not in ("epoch", "step"):
            raise ValueError(f"Trainer: scheduler_interval must be 'epoch' or 'step', got {scheduler_interval!r}")
        if grad_clip is not None and not grad_clip > 0:
            raise ValueError(f"Trainer: grad_clip must be a positive max norm or None, got {grad_clip!r}")
        if isinstance(scheduler, ReduceLROnPlateau) and scheduler_interval != "epoch":
            raise ValueError("Trainer: ReduceLROnPlateau reacts to a per-epoch metric; use scheduler_interval='epoch'")
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = loss_fn
        self.scheduler = scheduler
        self.scheduler_interval = scheduler_interval
        self.callbacks = list(callbacks)
        self.grad_clip = grad_clip
        self.metrics = dict(get_metric(m) for m in metrics)
        self.progress = progress
        self.epoch = 0  # epochs completed
        self.step = 0  # optimizer steps taken
        self.history = History()
        self.stop_training = False
        self._loaders: tuple[Any, ...] = ()
        self._pending_rng: dict[str, Any] | None = None  # restored by resume, applied when fit starts

    # ------------------------------------------------------------------ the loop

    def training_step(self, inputs: Tensor, targets: Tensor) -> tuple[float, Tensor]:
        """One optimisation step on one batch; returns (the loss as a float, the outputs detached).

        Forward the inputs through the model, compute the loss, clear the old gradients, backpropagate,
        clip the gradients to `self.grad_clip` (if set) with `clip_grad_norm_`, and step the optimizer.
        """
        # BEGIN SOLUTION 10
        outputs = self.model(inputs)
        loss = self.loss_fn(outputs, targets)
        self.optimizer.zero_grad()
        loss.backward()
        if self.grad_clip is not None:
            clip_grad_norm_(self.model.parameters(), self.grad_clip)
        self.optimizer.step()
        return loss.item(), outputs.detach()
        # END SOLUTION

    def train_epoch(self, loader: Iterable[Any], progress: EpochProgress | None = None) -> dict[str, float]:
        """One pass over `loader` in training mode: {"loss": mean loss, <metric>: mean value, ...}."""
        self.model.train()
        sums = dict.fromkeys(["loss", *self.metrics], 0.0)
        seen = 0
        for batch in loader:
            inputs, targets = self._unpack(batch)
            loss, outputs = self.training_step(inputs, targets)
            if not math.isfinite(loss):
                raise FloatingPointError(
                    f"Trainer: the loss became {loss} at epoch {self.epoch + 1}, step {self.step + 1}; "
                    "try a lower learning rate or gradient clipping (Trainer(..., grad_clip=1.0))")
            n = len(targets)
            seen += n
            sums["loss"] += loss * n
            for name, metric in self.metrics.items():
                sums[name] += metric(outputs, targets) * n
            self.step += 1
            if self.scheduler is not None and self.scheduler_interval == "step":
                self.scheduler.step()
            if progress is not None:
                progress.advance(n, loss)
            for callback in self.callbacks:
                callback.on_batch_end(self, self.step, loss)
        if seen == 0:
            raise ValueError("Trainer.train_epoch: the loader yielded no batches")
        return {name: total / seen for name, total in sums.items()}

    def evaluate(self, loader: Iterable[Any]) -> dict[str, float]:
        """Mean loss and metrics over `loader`, in eval mode and without building a graph."""
        was_training = self.model.training
        self.model.eval()
        sums = dict.fromkeys(["loss", *self.metrics], 0.0)
        seen = 0
        try:
            with no_grad():
                for batch in loader:
                    inputs, targets = self._unpack(batch)
                    outputs = self.model(inputs)
                    n = len(targets)
                    seen += n
                    sums["loss"] += self.loss_fn(outputs, targets).item() * n
                    for name, metric in self.metrics.items():
                        sums[name] += metric(outputs, targets) * n
        finally:
            self.model.train(was_training)
        if seen == 0:
            raise ValueError("Trainer.evaluate: the loader yielded no batches")
        return {name: total / seen for name, total in sums.items()}

    def predict(self, data: Any, batch_size: int = 256) -> Tensor:
        """The model's outputs for `data`, concatenated: a Tensor/array of inputs (cut into
        `batch_size` pieces) or a loader (of inputs, or of (inputs, targets) pairs)."""
        if isinstance(data, np.ndarray):
            data = Tensor._from_array(data)
        if isinstance(data, Tensor):
            batches: Iterable[Any] = (data[i:i + batch_size] for i in range(0, data.shape[0], batch_size))
        else:
            batches = (b[0] if isinstance(b, (tuple, list)) else b for b in data)
        was_training = self.model.training
        self.model.eval()
        try:
            with no_grad():
                outputs = [self.model(x).data for x in batches]
        finally:
            self.model.train(was_training)
        if not outputs:
            raise ValueError("Trainer.predict: no inputs (empty tensor or loader)")
        return Tensor._from_array(np.concatenate(outputs))

    def fit(self, train_loader: Any, epochs: int, val_loader: Any = None,
            resume_from: str | Path | None = None) -> History:
        """Train until `epochs` epochs are done in total (evaluating on `val_loader` after each);
        with `resume_from`, first restore that checkpoint and continue from it."""
        if resume_from is not None:
            self.resume(resume_from)
        self._loaders = (train_loader, val_loader)
        if self._pending_rng is not None:
            self._set_rng_states(self._pending_rng)
            self._pending_rng = None
        self.stop_training = False
        for callback in self.callbacks:
            callback.on_fit_start(self)
        with EpochProgress(self.progress) as progress:
            while self.epoch < epochs and not self.stop_training:
                self._run_epoch(train_loader, val_loader, epochs, progress)
        for callback in self.callbacks:
            callback.on_fit_end(self)
        return self.history

    def _run_epoch(self, train_loader: Any, val_loader: Any, epochs: int, progress: EpochProgress) -> None:
        epoch = self.epoch + 1
        for callback in self.callbacks:
            callback.on_epoch_start(self, epoch)
        lr = self.lr
        start = time.perf_counter()
        progress.start_epoch(epoch, epochs, _length(train_loader))
        logs: dict[str, Any] = {"epoch": epoch}
        logs.update({f"train_{k}": v for k, v in self.train_epoch(train_loader, progress).items()})
        if val_loader is not None:
            logs.update({f"val_{k}": v for k, v in self.evaluate(val_loader).items()})
        logs["lr"] = lr
        logs["time"] = time.perf_counter() - start
        self.epoch = epoch
        self.history.append(logs)
        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(logs.get("val_loss", logs["train_loss"]))
        elif self.scheduler is not None and self.scheduler_interval == "epoch":
            self.scheduler.step()
        for callback in self.callbacks:
            callback.on_epoch_end(self, logs)
        progress.end_epoch(logs)
        for callback in self.callbacks:
            callback.after_epoch(self, logs)

    @property
    def lr(self) -> float:
        """The learning rate of the optimizer's first parameter group."""
        return float(self.optimizer.param_groups[0]["lr"])

    @staticmethod
    def _unpack(batch: Any) -> tuple[Tensor, Tensor]:
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            raise TypeError(f"Trainer: each batch must be a pair (inputs, targets), got {type(batch).__name__}"
                            + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else ""))
        return batch[0], batch[1]

    # ------------------------------------------------------------------ checkpoints

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue training exactly where it stands."""
        loader_states = [g.get_state() for loader in self._loaders for g in _loader_generators(loader)]
        rng = self._pending_rng or {"global": tt_random.default_generator.get_state(), "loaders": loader_states}
        return {
            "format": CHECKPOINT_FORMAT,
            "epoch": self.epoch,
            "step": self.step,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "history": self.history.state_dict(),
            "callbacks": [callback.state_dict() for callback in self.callbacks],
            "rng": rng,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a `state_dict()`. The random generators are restored when `fit` next starts (it
        receives the loaders), so creating objects in between does not shift the random streams."""
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"Trainer: not a Trainer checkpoint (expected format {CHECKPOINT_FORMAT!r}); "
                                  "a bare model state_dict loads with model.load_state_dict(tinytorch.load(path))")
        if len(state["callbacks"]) != len(self.callbacks):
            raise CheckpointError(f"Trainer: the checkpoint holds the state of {len(state['callbacks'])} callbacks, "
                                  f"this Trainer has {len(self.callbacks)}; create it with the same callbacks")
        if (state["scheduler"] is None) != (self.scheduler is None):
            raise CheckpointError("Trainer: the checkpoint was written " + ("without" if state["scheduler"] is None
                                  else "with") + " a scheduler, this Trainer has " + ("one" if self.scheduler
                                  else "none") + "; create it the same way to resume")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        for callback, callback_state in zip(self.callbacks, state["callbacks"]):
            callback.load_state_dict(callback_state)
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        self.history.load_state_dict(state["history"])
        self._pending_rng = state["rng"]

    def save_checkpoint(self, path: str | Path) -> Path:
        """Write `state_dict()` to `path` (a safetensors file, via `tinytorch.save`)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        save(self.state_dict(), path)
        return path

    def resume(self, path: str | Path) -> "Trainer":
        """Load a checkpoint written by `save_checkpoint`/`ModelCheckpoint`; the next `fit` continues it."""
        self.load_state_dict(load(path))
        return self

    def _set_rng_states(self, rng: dict[str, Any]) -> None:
        states = rng["loaders"]
        generators = [g for loader in self._loaders for g in _loader_generators(loader)]
        if len(generators) != len(states):
            raise CheckpointError(f"Trainer: the checkpoint holds {len(states)} data-loader generator states, "
                                  f"but the loaders given to fit use {len(generators)} generators; "
                                  "build the loaders (and their transforms) the same way as for the saved run")
        for generator, generator_state in zip(generators, states):
            generator.set_state(generator_state)
        tt_random.default_generator.set_state(rng["global"])


def _length(loader: Any) -> int | None:
    try:
        return len(loader)
    except TypeError:
        return None
