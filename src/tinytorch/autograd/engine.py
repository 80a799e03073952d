"""Module 06 — reverse-mode automatic differentiation.

`backward` walks the graph from an output back to the leaves in topological order (every node
after all nodes that use its output), so each node runs once however many paths reach it. The walk
is iterative: a chain of 100 000 operations needs no recursion.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .function import Function
from .grad_mode import flags


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` down to `shape`: the gradient of broadcasting is a sum over the copied axes."""
    # BEGIN SOLUTION 06
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1
    )
    return grad.sum(axis=axes, keepdims=False).reshape(shape)
    # END SOLUTION


def topological_order(root: Function) -> list[Function]:
    """Every Function reachable from `root`, each after all the Functions that consume its output."""
    # BEGIN SOLUTION 06
    postorder: list[Function] = []
    seen: set[int] = set()
    stack: list[tuple[Function, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            postorder.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for tensor in node.inputs:
            if tensor is not None and tensor.grad_fn is not None and id(tensor.grad_fn) not in seen:
                stack.append((tensor.grad_fn, False))
    postorder.reverse()
    return postorder
    # END SOLUTION


_claimed: set[int] = set()


def claim(array: np.ndarray) -> bool:
    """True the first time an array is stored as a leaf's `.grad` in this backward pass.

    A backward may hand the very same array to two inputs (the gradient of a + b is grad for
    both); the second leaf must then take a copy, or an in-place change to one `.grad` (gradient
    clipping, say) would silently change the other.
    """
    if id(array) in _claimed:
        return False
    _claimed.add(id(array))
    return True


def _check_finite(array: np.ndarray, where: str) -> None:
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = "NaN" if np.isnan(array).any() else "Inf"
        raise RuntimeError(f"detect_anomaly: {where} produced {bad} (shape {array.shape})")


def run_backward(
    root: Any,
    grad: np.ndarray,
    retain_graph: bool = False,
    capture: list[Any] | None = None,
) -> list[np.ndarray | None] | None:
    """Propagate `grad` (d loss / d root) through the graph that produced `root`.

    Without `capture`, gradients accumulate into the `.grad` of every leaf that requires one. With
    `capture` (a list of tensors), nothing is written to `.grad`: the gradients with respect to those
    tensors are returned instead (this is `tinytorch.autograd.grad`).
    """
    _claimed.clear()
    captured: dict[int, np.ndarray] = {}
    wanted = {id(t): i for i, t in enumerate(capture)} if capture is not None else None
    if root.grad_fn is None:  # the root is itself a leaf
        if wanted is None:
            root._accumulate_grad(grad)
            return None
        captured[id(root)] = grad
        return [captured.get(id(t)) for t in capture]

    wanted_nodes = {id(t.grad_fn): id(t) for t in capture if t.grad_fn is not None} if capture else {}
    pending: dict[int, np.ndarray] = {id(root.grad_fn): grad}
    for node in topological_order(root.grad_fn):
        out_grad = pending.pop(id(node), None)
        if out_grad is None:
            continue
        if node.released:
            raise RuntimeError(
                f"backward: the graph through {node.name} was already freed by an earlier backward; "
                "pass retain_graph=True to the first backward to go through it twice"
            )
        if id(node) in wanted_nodes:
            captured[wanted_nodes[id(node)]] = out_grad
        inputs = node.inputs
        in_grads = node.backward(out_grad)
        if not retain_graph:
            node.release()
        for tensor, in_grad in zip(inputs, in_grads):
            if tensor is None or in_grad is None:
                continue
            if in_grad.shape != tensor.shape:
                in_grad = unbroadcast(in_grad, tensor.shape)
            if flags.anomaly:
                _check_finite(in_grad, f"the backward of {node.name}")
            accumulate(tensor, in_grad, pending, captured, wanted)
    if capture is not None:
        return [captured.get(id(t)) for t in capture]
    return None


def accumulate(
    tensor: Any,
    grad: np.ndarray,
    pending: dict[int, np.ndarray],
    captured: dict[int, np.ndarray],
    wanted: dict[int, int] | None,
) -> None:
    """Add `grad` to what `tensor` has received so far (a tensor used twice gets the sum)."""
    # BEGIN SOLUTION 06
    if tensor.grad_fn is not None:
        key = id(tensor.grad_fn)
        pending[key] = pending[key] + grad if key in pending else grad
    elif wanted is None:
        tensor._accumulate_grad(grad)
    elif id(tensor) in wanted:
        key = id(tensor)
        captured[key] = captured[key] + grad if key in captured else grad
    # END SOLUTION


class _Outputs(Function):
    """Joins several outputs under one root, so a single backward pass covers them all
    (separate passes would free a shared subgraph after the first)."""

    def __init__(self, seeds: list[np.ndarray]) -> None:
        self.seeds = seeds

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(self.seeds)


def refuse_create_graph(create_graph: bool, op: str) -> None:
    """Backward formulas run on NumPy arrays, not Tensors, so a gradient has no graph to differentiate."""
    if create_graph:
        raise NotImplementedError(
            f"{op}: create_graph=True (higher-order gradients) is not supported: TinyTorch's backward "
            "formulas run on NumPy arrays, so gradients are not themselves differentiable"
        )


def grad(
    outputs: Any | Iterable[Any],
    inputs: Any | Iterable[Any],
    grad_outputs: Any | None = None,
    retain_graph: bool = False,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Any, ...]:
    """Gradients of `outputs` with respect to `inputs`, returned instead of stored in `.grad`.

    `outputs` may be one tensor or a list (their gradients add up); `grad_outputs` gives
    d(loss)/d(output) for non-scalar outputs. Higher-order gradients are not supported.
    """
    refuse_create_graph(create_graph, "autograd.grad")
    from_tensor = type(outputs) if not isinstance(outputs, (list, tuple)) else type(outputs[0])
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError(f"autograd.grad: input of shape {t.shape} does not require grad")
    for i, output in enumerate(outputs):
        if not output.requires_grad:
            raise RuntimeError(f"autograd.grad: output {i} (shape {output.shape}) does not require grad")
    seeds = [output._seed_gradient(seed, "autograd.grad") for output, seed in zip(outputs, grad_outputs)]
    root, seed = outputs[0], seeds[0]
    if len(outputs) > 1:
        joint = _Outputs(seeds)
        joint.inputs = tuple(outputs)
        root, seed = from_tensor._from_array(np.zeros(())), np.zeros(())
        root.grad_fn = joint
    totals = run_backward(root, seed, retain_graph, capture=inputs)
    for t, g in zip(inputs, totals):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"autograd.grad: an input of shape {t.shape} was not used to compute the outputs "
                "(pass allow_unused=True to get None for it)"
            )
    # a copy in the input's dtype: the engine's arrays may be read-only views or the caller's seed
    return tuple(
        None if g is None else from_tensor._from_array(np.array(g, dtype=t.dtype)) for t, g in zip(inputs, totals)
    )
