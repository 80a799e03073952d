"""Compute backends: where the heavy arithmetic happens.

Model code never calls a kernel directly; it asks `get()` for the active backend. `naive` spells every
kernel out in loops so it can be read; `numpy` (the default) vectorises them. Both must agree.

    tinytorch.backend.use("naive")          # switch for the rest of the program
    with tinytorch.backend.use("naive"):    # or only inside the block
        ...
"""

from __future__ import annotations

from types import ModuleType

from . import naive, numpy_backend
from .memory import keep_freed_memory

keep_freed_memory()

BACKENDS: dict[str, ModuleType] = {"naive": naive, "numpy": numpy_backend}
_active: list[ModuleType] = [numpy_backend]


def get() -> ModuleType:
    """The active backend module (has `matmul`, and the kernels later modules add)."""
    return _active[0]


def current() -> str:
    return _active[0].NAME


class use:
    """Select a backend by name; works as a plain call and as a context manager."""

    def __init__(self, name: str) -> None:
        if name not in BACKENDS:
            raise ValueError(f"backend.use: unknown backend {name!r}; choose one of {sorted(BACKENDS)}")
        self._previous = _active[0]
        _active[0] = BACKENDS[name]

    def __enter__(self) -> "use":
        return self

    def __exit__(self, *exc: object) -> None:
        _active[0] = self._previous
