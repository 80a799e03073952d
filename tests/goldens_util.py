"""Reading the PyTorch goldens (tests/goldens/*.npz, made by scripts/make_goldens*.py) with NumPy alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

GOLDENS = Path(__file__).resolve().parent / "goldens"


def load_arrays(name: str) -> dict[str, np.ndarray]:
    """Every array of the golden file `name`, by its key."""
    with np.load(GOLDENS / name, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def load_packed(name: str) -> tuple[list[dict], dict[str, np.ndarray], str]:
    """Cases, arrays and torch version of a file of scripts/make_goldens_nn.py (arrays packed in one vector)."""
    stored = load_arrays(name)
    cases, index, data = json.loads(str(stored["cases"])), json.loads(str(stored["index"])), stored["data"]
    arrays = {key: data[s["offset"]: s["offset"] + int(np.prod(s["shape"]))].reshape(s["shape"]).astype(s["dtype"])
              for key, s in index.items()}
    return cases, arrays, str(stored["torch_version"])


def load_cases(name: str) -> dict[str, dict]:
    """{case: {"config": dict, name: array, ...}} from a file keyed "<case>/<name>" (names may contain '/')."""
    cases: dict[str, dict] = {}
    for key, value in load_arrays(name).items():
        case, what = key.split("/", 1)
        cases.setdefault(case, {})[what] = json.loads(str(value)) if what == "config" else value
    return cases
