"""Switches that decide whether operations record a graph, and whether to hunt for NaNs."""

from __future__ import annotations

import functools
from typing import Any, Callable


class _Flags:
    grad_enabled = True
    anomaly = False


flags = _Flags()


def is_grad_enabled() -> bool:
    return flags.grad_enabled


class _SetFlag:
    """Base for context managers that set one flag and restore it; also usable as decorators."""

    attribute = ""
    value = True

    def __enter__(self) -> None:
        self._previous = getattr(flags, self.attribute)
        setattr(flags, self.attribute, self.value)

    def __exit__(self, *exc: object) -> None:
        setattr(flags, self.attribute, self._previous)

    def __call__(self, function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return function(*args, **kwargs)

        return wrapper


class no_grad(_SetFlag):
    """Do not record operations (inference, optimizer updates): saves memory and time."""

    attribute, value = "grad_enabled", False


class enable_grad(_SetFlag):
    """Record operations again inside a `no_grad` region."""

    attribute, value = "grad_enabled", True


class set_grad_enabled(_SetFlag):
    """Switch recording on or off: at once when called, and back again at the end of a `with` block."""

    attribute = "grad_enabled"

    def __init__(self, mode: bool) -> None:
        self.value = bool(mode)
        super().__enter__()  # takes effect now, so a plain `set_grad_enabled(False)` works, as in PyTorch

    def __enter__(self) -> None:
        pass  # already switched by __init__


class detect_anomaly(_SetFlag):
    """Raise as soon as an operation (forward or backward) produces NaN or Inf, naming it."""

    attribute, value = "anomaly", True
