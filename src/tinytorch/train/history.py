"""Module 10 — the training history: one row of numbers per epoch, saved as JSON, drawn as a PNG.

    history = trainer.fit(train_loader, epochs=10, val_loader=val_loader)
    history[-1]            # {"epoch": 10, "train_loss": 0.31, "val_accuracy": 0.87, "lr": 0.001, ...}
    history["val_loss"]    # [1.52, 1.21, ...] one value per epoch
    history.save("history.json")
    history.plot("curves.png")   # needs matplotlib: pip install "tinytorch[plot]"
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

__all__ = ["History"]


class History:
    """Per-epoch records (dicts of plain numbers), in order."""

    def __init__(self, records: list[dict[str, Any]] | None = None) -> None:
        self.records: list[dict[str, Any]] = [dict(r) for r in records or []]

    def append(self, record: dict[str, Any]) -> None:
        self.records.append(dict(record))

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, key: int | str) -> Any:
        """`history[i]` is epoch record i; `history["val_loss"]` is that column (None where missing)."""
        if isinstance(key, str):
            if not any(key in r for r in self.records):
                known = sorted({k for r in self.records for k in r})
                raise KeyError(f"History: no column {key!r}; the columns are {known}")
            return [r.get(key) for r in self.records]
        return self.records[key]

    def __repr__(self) -> str:
        return f"History({len(self.records)} epochs)"

    def state_dict(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.records]

    def load_state_dict(self, records: list[dict[str, Any]]) -> None:
        self.records = [dict(r) for r in records]

    def save(self, path: str | Path) -> None:
        """Write the records as a JSON list (one object per epoch)."""
        Path(path).write_text(json.dumps(self.records, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "History":
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def plot(self, path: str | Path, title: str | None = None) -> Path:
        """Save the loss curves (left) and the other metrics (right) against the epoch as a PNG."""
        try:  # a Figure drawn straight to a file: no pyplot, no window, no global backend change
            from matplotlib.figure import Figure
        except ImportError:
            raise ImportError("History.plot needs matplotlib, an optional extra of TinyTorch: "
                              "pip install 'tinytorch[plot]' (or pip install matplotlib)") from None

        epochs = self["epoch"]
        numeric = {k for r in self.records for k, v in r.items() if isinstance(v, (int, float))}
        losses = sorted(k for k in numeric if k.endswith("loss"))
        scores = sorted(k for k in numeric if k.endswith(("accuracy", "acc")))
        fig = Figure(figsize=(10, 4))
        axes = fig.subplots(1, 2)
        for ax, keys, label in ((axes[0], losses, "loss"), (axes[1], scores, "metric")):
            for key in keys:
                values = [math.nan if v is None else v for v in self[key]]
                ax.plot(epochs, values, marker="o", label=key)
            ax.set_xlabel("epoch")
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
            if keys:
                ax.legend()
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        path = Path(path)
        fig.savefig(path, dpi=100)
        return path
