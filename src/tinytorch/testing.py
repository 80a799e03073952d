"""Checking numbers: gradients against finite differences, and results against a reference.

    from tinytorch.testing import assert_close, gradcheck

    x = tinytorch.randn(3, 4, dtype=tinytorch.float64, requires_grad=True)
    gradcheck(lambda t: t.tanh(), [x], label="tanh")   # AssertionError naming input and element
    assert_close(x.tanh(), np.tanh(x.data))            # AssertionError naming the worst element

Both raise `AssertionError` with a message that says where the numbers disagree, so a failing
test (or a course check) explains itself.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .autograd import engine
from .autograd.grad_mode import no_grad
from .tensor import Tensor

# Default tolerances per dtype, the same as torch.testing.assert_close: (rtol, atol).
_TOLERANCES = {
    np.dtype("float16"): (1e-3, 1e-5),
    np.dtype("float32"): (1.3e-6, 1e-5),
    np.dtype("float64"): (1e-7, 1e-7),
}


def _as_array(value: Any) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def assert_close(
    actual: Any,
    expected: Any,
    rtol: float | None = None,
    atol: float | None = None,
    msg: str = "",
) -> None:
    """Raise AssertionError unless `actual` and `expected` have the same shape and
    |actual - expected| <= atol + rtol * |expected| everywhere (NaN matches only NaN).

    Both may be Tensors, arrays or numbers. Without `rtol`/`atol` the tolerances follow the less
    precise floating dtype of the two, like `torch.testing.assert_close`; integers and booleans must
    match exactly. The message names the worst element: its index, the expected and the actual value.
    """
    got, want = _as_array(actual), _as_array(expected)
    prefix = f"{msg}: " if msg else ""
    if got.shape != want.shape:
        raise AssertionError(f"{prefix}shape mismatch: got {got.shape}, expected {want.shape}")
    floats = [d for d in (got.dtype, want.dtype) if d.kind == "f"]
    default_rtol, default_atol = max((_TOLERANCES.get(d, (1e-7, 1e-7)) for d in floats), default=(0.0, 0.0))
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    g, w = got.astype(np.float64), want.astype(np.float64)
    with np.errstate(invalid="ignore"):
        diff = np.abs(g - w)
        allowed = atol + rtol * np.abs(w)
        bad = ~((diff <= allowed) | (np.isnan(g) & np.isnan(w)) | (g == w))  # g == w: equal infinities
    if not bad.any():
        return
    excess = np.where(bad, np.nan_to_num(diff - allowed, nan=np.inf), -np.inf)
    worst = np.unravel_index(int(np.argmax(excess)), got.shape) if got.ndim else ()
    raise AssertionError(
        f"{prefix}{int(bad.sum())} of {bad.size} elements differ (rtol={rtol:g}, atol={atol:g}); "
        f"worst at index {tuple(int(i) for i in worst)}: expected {want[worst].item()!r}, got {got[worst].item()!r} "
        f"(|difference| {diff[worst]:.3g}, allowed {allowed[worst]:.3g})"
    )


def _outputs(result: Any) -> list[Tensor]:
    """The floating-point tensors among what `fn` returned (one tensor, or a tuple/list of them)."""
    items = result if isinstance(result, (tuple, list)) else [result]
    return [t for t in items if isinstance(t, Tensor) and t.dtype.kind == "f"]


def _weighted_sum(outputs: list[Tensor], weights: list[np.ndarray]) -> Any:
    """sum_j (out_j * w_j).sum(): one scalar whose gradient involves every output element."""
    total = None
    for out, w in zip(outputs, weights):
        term = (out * Tensor._from_array(w)).sum()
        total = term if total is None else total + term
    return total


def gradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    label: str | None = None,
) -> bool:
    """Compare autograd's gradient of `fn(*inputs)` with central finite differences, in float64.

    `fn` returns a tensor or a tuple/list of tensors; its outputs are reduced to one scalar
    L = sum_j (out_j * w_j).sum() with fixed random weights w_j, so every output element counts.
    For every input that requires grad, dL/dx from `backward` must match
    (L(x + eps) - L(x - eps)) / (2 eps) element by element, within atol + rtol * |numerical|.
    Inputs are copied to float64 first (the caller's tensors are not touched). Returns True, or raises
    AssertionError naming the op (`label`, else fn's name), the input index, the element index,
    the expected (numerical) and the got (analytic) value.
    """
    name = label or getattr(fn, "__name__", repr(fn))
    args: list[Any] = []
    wanted: list[int] = []
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad:
            args.append(Tensor(x.data.astype(np.float64), requires_grad=True))
            wanted.append(i)
        else:
            args.append(x)
    if not wanted:
        raise ValueError(f"gradcheck({name}): no input requires grad")

    outputs = _outputs(fn(*args))
    if not outputs:
        raise AssertionError(f"gradcheck({name}): fn returned no floating-point tensor")
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(out.shape) for out in outputs]
    loss = _weighted_sum(outputs, weights)
    if not loss.requires_grad:
        raise AssertionError(f"gradcheck({name}): the output does not require grad (the graph was not recorded)")
    leaves = [args[i] for i in wanted]
    analytic = engine.grad(loss, leaves, allow_unused=True)

    def loss_value() -> float:
        with no_grad():
            return float(_weighted_sum(_outputs(fn(*args)), weights).item())

    for i, x, got in zip(wanted, leaves, analytic):
        got = np.zeros(x.shape) if got is None else got.data.astype(np.float64)
        if got.shape != x.shape:
            raise AssertionError(f"gradcheck({name}): input {i} has shape {x.shape} but its gradient {got.shape}")
        flat = x.data.reshape(-1)  # a view: writing to it perturbs the input
        expected = np.empty(x.numel())
        for k in range(x.numel()):
            original = flat[k]
            flat[k] = original + eps
            plus = loss_value()
            flat[k] = original - eps
            minus = loss_value()
            flat[k] = original
            expected[k] = (plus - minus) / (2 * eps)
        expected = expected.reshape(x.shape)
        bad = ~(np.abs(got - expected) <= atol + rtol * np.abs(expected))
        if bad.any():
            worst = np.unravel_index(int(np.argmax(np.where(bad, np.abs(got - expected), -1))), x.shape)
            index = tuple(int(n) for n in worst)
            raise AssertionError(
                f"gradcheck({name}): gradient of input {i} (shape {x.shape}) is wrong at element {index} "
                f"({int(bad.sum())} of {bad.size} elements differ): expected (numerical) {expected[worst]:.8g}, "
                f"got (analytic) {got[worst]:.8g}"
            )
    return True
