"""Module 10 — showing training progress: a Rich bar per epoch, or one plain line per epoch.

    with EpochProgress() as progress:
        for epoch in range(1, epochs + 1):
            progress.start_epoch(epoch, epochs, total_batches=len(loader))
            for x, y in loader:
                ...
                progress.advance(samples=len(y), loss=loss.item())
            progress.end_epoch({"train_loss": 0.41, "val_accuracy": 0.93, "lr": 0.01, "time": 12.3})

In a terminal (or notebook) the running epoch has a bar with its loss and the throughput in
samples per second; when the epoch ends, the bar is replaced by the epoch's summary line. When the output is a file or a pipe (CI logs, `> run.log`) bars would only
print escape codes, so only the one-line summary of each epoch is written. `enabled=False` is silent.
The `Trainer` uses this; hand-written training loops can too.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

__all__ = ["EpochProgress", "format_logs"]


def format_logs(logs: dict[str, Any]) -> str:
    """`epoch 3/10  train_loss 0.4123  train_accuracy 85.21%  lr 1.00e-02  12.3s`: one epoch's numbers."""
    parts = []
    for key, value in logs.items():
        if key in ("epoch", "epochs") or value is None:
            continue
        if key == "time":
            parts.append(f"{value:.1f}s")
        elif key == "lr":
            parts.append(f"lr {value:.2e}")
        elif "accuracy" in key and isinstance(value, float):
            parts.append(f"{key} {value:.2%}")
        elif isinstance(value, float):
            parts.append(f"{key} {value:.4f}")
        else:
            parts.append(f"{key} {value}")
    head = f"epoch {logs['epoch']}/{logs['epochs']}" if "epochs" in logs else f"epoch {logs.get('epoch', '?')}"
    return "  ".join([head, *parts])


class EpochProgress:
    """Per-epoch progress: Rich bars in a terminal, summary lines otherwise, nothing if not `enabled`."""

    def __init__(self, enabled: bool = True, console: Console | None = None) -> None:
        self.console = console or Console()
        self.enabled = enabled
        self.live = enabled and (self.console.is_terminal or self.console.is_jupyter)
        self._progress: Progress | None = None
        self._task: Any = None
        self._epoch: tuple[int, int] = (0, 0)
        self._samples = 0
        self._start = 0.0

    def __enter__(self) -> "EpochProgress":
        if self.live:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]:.4f}"), TextColumn("{task.fields[rate]:>6.0f} samples/s"),
                TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                console=self.console,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def start_epoch(self, epoch: int, epochs: int, total_batches: int | None) -> None:
        self._epoch = (epoch, epochs)
        self._samples = 0
        self._start = time.perf_counter()
        if self._progress is not None:
            self._task = self._progress.add_task(f"epoch {epoch}/{epochs}", total=total_batches,
                                                 loss=float("nan"), rate=0.0)

    def advance(self, samples: int, loss: float) -> None:
        """One batch of `samples` done with this `loss`."""
        self._samples += samples
        if self._progress is not None:
            rate = self._samples / max(time.perf_counter() - self._start, 1e-9)
            self._progress.update(self._task, advance=1, loss=loss, rate=rate)

    @property
    def throughput(self) -> float:
        """Samples per second in the current epoch so far."""
        return self._samples / max(time.perf_counter() - self._start, 1e-9)

    def end_epoch(self, logs: dict[str, Any]) -> None:
        """Print the epoch's summary line (under its bar in a terminal)."""
        if not self.enabled:
            return
        epoch, epochs = self._epoch
        line = format_logs({"epoch": epoch, "epochs": epochs, **logs})
        if self._progress is not None:  # the finished bar gives way to its summary line
            self._progress.remove_task(self._task)
            self._progress.console.print(line, highlight=False)
        else:
            print(line, flush=True)
