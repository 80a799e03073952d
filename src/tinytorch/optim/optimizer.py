"""Module 08 — the `Optimizer` base class: parameter groups, per-parameter state, saving and loading.

An optimizer holds `param_groups` (lists of parameters, each with its own options such as `lr`)
and `state` (per-parameter memory such as momentum buffers). `step()` reads each parameter's
`.grad` and updates the parameter's array in place: nothing is recorded in the autograd graph,
and the model, the optimizer and any scheduler keep pointing at the same tensors.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any, Callable, Iterable

import numpy as np

from tinytorch.autograd import enable_grad
from tinytorch.tensor import Tensor


class _RequiredParameter:
    """Marks an option that has no default: every parameter group must give it."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of optimizers: subclasses pass their `defaults` and write `step()`."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._work: dict[np.dtype, np.ndarray] = {}
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params should be an iterable of Tensors or dicts, "
                            "got a single Tensor (wrap it in a list)")
        if isinstance(params, set):
            raise TypeError(f"{type(self).__name__}: params must be an ordered collection (a list), not a set: "
                            "a set's order changes between runs, and so would the optimizer state's")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. a smaller lr for a pretrained body)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"add_param_group: a param group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("add_param_group: params must be an ordered collection (a list), not a set: "
                            "a set's order changes between runs, and so would the optimizer state's")
        params = list(params) if params is not None else []
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"add_param_group: can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("add_param_group: can't optimize a non-leaf Tensor (one computed from others)")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("add_param_group: a parameter group contains the same parameter twice")
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"add_param_group: the group does not give '{name}', which has no default")
            group.setdefault(name, default)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("add_param_group: some parameters appear in more than one parameter group")
        group["params"] = params
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of the last backward (they accumulate otherwise)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.data.fill(0)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.step")

    def _check_non_negative(self, *options: tuple[str, float]) -> None:
        """The constructors' argument check: each (name, value) must be >= 0."""
        for name, value in options:
            if value < 0.0:
                raise ValueError(f"{type(self).__name__}: invalid {name} {value} (must be >= 0)")

    @staticmethod
    def _run_closure(closure: Callable[[], Any] | None) -> Any:
        """`step(closure)`: re-evaluate the loss (with gradients on) before updating."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _scratch(self, like: np.ndarray) -> np.ndarray:
        """A work array shaped like `like`, reused across parameters and steps (one per dtype,
        as large as the largest parameter), so an update allocates no temporaries."""
        work = self._work.get(like.dtype)
        if work is None or work.size < like.size:
            work = self._work[like.dtype] = np.empty(like.size, dtype=like.dtype)
        return work[: like.size].reshape(like.shape)

    @staticmethod
    def _new_state(param: np.ndarray) -> Tensor:
        return Tensor._from_array(np.zeros_like(param))

    # ------------------------------------------------------------------ saving and loading

    def state_dict(self) -> dict[str, Any]:
        """PyTorch's layout: {"state": {index: {...}}, "param_groups": [{options..., "params": [index, ...]}]}.

        Parameters are named by their position across all groups, so the dict can be loaded into a
        fresh optimizer built over the same model. The state tensors are references, not copies.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: values for p, values in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state saved by `state_dict` (copied, and cast to each parameter's dtype)."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"load_state_dict: the saved state has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        by_index: dict[int, Tensor] = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"load_state_dict: saved parameter group {i} has {len(saved['params'])} "
                                 f"parameters, this optimizer's has {len(group['params'])}")
            by_index.update(zip((int(k) for k in saved["params"]), group["params"]))
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, values in state_dict["state"].items():
            param = by_index[int(key)]
            state[param] = {name: _copy_state(value, param, name) for name, value in values.items()}
        self.state = state
        self.param_groups = [
            {**copy.deepcopy({k: v for k, v in saved.items() if k != "params"}), "params": group["params"]}
            for saved, group in zip(saved_groups, self.param_groups)
        ]

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        return "\n".join(lines + [")"])


def _copy_state(value: Any, param: Tensor, name: str) -> Any:
    """A loaded state entry: tensors are copied; floating ones (except the step count) take the
    parameter's dtype, like PyTorch."""
    if isinstance(value, (Tensor, np.ndarray)):
        array = np.array(value.data if isinstance(value, Tensor) else value)
        if array.dtype.kind == "f" and name != "step":
            array = array.astype(param.dtype, copy=False)
        return Tensor._from_array(array)
    return copy.deepcopy(value)
