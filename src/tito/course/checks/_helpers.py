"""Assertion helpers for graded checks: failures a student can act on.

A check file `checks/check_NN_slug.py` is an ordinary pytest module that `tito module test NN`
runs against the student's workspace (and CI against the reference). Write it like this:

    import tinytorch
    from tito.course.checks._helpers import assert_close, assert_shape, exercise

    ADD = exercise("Tensor.__add__")  # an exercise of the manifest; fails loudly on a typo

    def test_add_broadcasts_a_row():
        a = tinytorch.tensor([[1.0, 2.0], [3.0, 4.0]])
        got = a + tinytorch.tensor([10.0, 20.0])
        assert_shape(got, (2, 2), ADD, "a + b with shapes (2, 2) and (2,)")
        assert_close(got, [[11.0, 22.0], [13.0, 24.0]], ADD, "a + b with shapes (2, 2) and (2,)")

A failure then reads, in `tito module test`:

    a + b with shapes (2, 2) and (2,): wrong values
      expected: [[11. 22.] [13. 24.]]
      got:      [[11. 12.] [23. 24.]]
      look at:  tinytorch/tensor.py: Tensor.__add__ (module 02)

Rules for checks (CI enforces the first three for every module):
- The reference passes; blanking this module's regions makes the check fail; and the check passes
  with every LATER module still blank: only use code of modules <= NN (a check that reaches ahead
  fails students for work they have not been asked to do).
- Cover every exercise of the module: blanking any single one must make some test fail.
- Never skip, never catch NotImplementedError: a skipped test counts as a failure, and
  NotImplementedError is how tito tells a student which function is still blank.
- Import the student's code as `tinytorch` at the top of the file; tito guarantees it is theirs.
- Seed any randomness (`tinytorch.manual_seed`, `numpy.random.default_rng(0)`); stay fast (< 5 s).
- Name each test after the behaviour it checks (`test_sum_over_axis_keeps_dims`): the name is
  the first thing the student sees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np

from tito.manifest import Exercise, load_manifest

_MANIFEST = load_manifest()


def exercise(qualname: str, file: str | None = None) -> Exercise:
    """The manifest's exercise `qualname` (e.g. "Tensor.__add__"); pass `file` if the name repeats."""
    return _MANIFEST.find_exercise(qualname, file)


def as_array(value: Any) -> np.ndarray:
    """A Tensor's `.data`, or anything else NumPy can turn into an array."""
    data = getattr(value, "data", value)
    return data if isinstance(data, np.ndarray) else np.asarray(data)


def _show(value: Any) -> str:
    if value is None:
        return "None (did the function forget to return?)"
    if isinstance(value, np.ndarray) or hasattr(value, "data"):
        array = as_array(value)
        text = np.array2string(array, precision=5, threshold=40, separator=" ").replace("\n", "\n            ")
        return f"{text}  (shape {array.shape}, {array.dtype})"
    return repr(value)


def fail(what: str, ex: Exercise, *, expected: Any = None, got: Any = None, why: str = "") -> NoReturn:
    """Raise the standard failure: what was tried, expected vs got, and the function to look at."""
    lines = [f"{what}: {why}" if why else what]
    if expected is not None or got is not None:
        lines += [f"  expected: {_show(expected)}", f"  got:      {_show(got)}"]
    lines.append(f"  look at:  {ex.describe()}")
    raise AssertionError("\n".join(lines))


def assert_close(got: Any, expected: Any, ex: Exercise, what: str, *, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """`got` (a Tensor, array or number) equals `expected` to tolerance, with the same shape."""
    if got is None:
        fail(what, ex, expected=expected, got=got, why="nothing returned")
    actual, wanted = as_array(got), np.asarray(expected)
    if actual.shape != wanted.shape:
        fail(what, ex, expected=expected, got=got, why=f"wrong shape {actual.shape}, expected {wanted.shape}")
    if not np.allclose(actual, wanted, rtol=rtol, atol=atol, equal_nan=True):
        where = ""
        if wanted.ndim:
            worst = np.unravel_index(
                np.argmax(np.abs(actual.astype(np.float64) - wanted.astype(np.float64))), wanted.shape
            )
            where = f" (largest difference at index {tuple(int(i) for i in worst)})"
        fail(what, ex, expected=expected, got=got, why=f"wrong values{where}")


def assert_equal(got: Any, expected: Any, ex: Exercise, what: str) -> None:
    """Exact equality, for integers, booleans, strings, shapes and lists."""
    if isinstance(expected, np.ndarray) or hasattr(got, "data"):
        actual, wanted = as_array(got), np.asarray(expected)
        if actual.shape != wanted.shape or not np.array_equal(actual, wanted):
            fail(what, ex, expected=expected, got=got, why="not equal")
    elif got != expected:
        fail(what, ex, expected=expected, got=got, why="not equal")


def assert_shape(got: Any, shape: Sequence[int], ex: Exercise, what: str) -> None:
    if got is None:
        fail(what, ex, expected=tuple(shape), got=None, why="nothing returned")
    actual = tuple(getattr(got, "shape", np.shape(got)))
    if actual != tuple(shape):
        fail(what, ex, expected=tuple(shape), got=actual, why="wrong shape")


def assert_dtype(got: Any, dtype: Any, ex: Exercise, what: str) -> None:
    actual = getattr(got, "dtype", None)
    if actual is None or np.dtype(actual) != np.dtype(dtype):
        fail(what, ex, expected=np.dtype(dtype), got=actual, why="wrong dtype")


def assert_raises(error: type[BaseException], call: Callable[[], Any], ex: Exercise, what: str) -> BaseException:
    """`call()` raises `error` (and not NotImplementedError: that means the exercise is blank)."""
    try:
        call()
    except NotImplementedError:
        raise
    except error as raised:
        return raised
    except Exception as other:
        fail(what, ex, why=f"raised {type(other).__name__}: {other}, expected {error.__name__}")
    fail(what, ex, why=f"no {error.__name__} was raised")


def grad_of(t: Any, ex: Exercise, what: str) -> np.ndarray:
    """The array of `t.grad`; fails naming `ex` if no gradient arrived."""
    if t.grad is None:
        fail(f"{what}: no gradient arrived (.grad is None)", ex, expected="a gradient", got=None)
    return t.grad.data


def numeric_grad(f: Callable[[np.ndarray], np.ndarray], a: np.ndarray, grad: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of sum(f(a) * grad) with respect to each entry of a (a is changed and restored)."""
    out = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        old = a[index]
        a[index] = old + h
        up = (f(a) * grad).sum()
        a[index] = old - h
        down = (f(a) * grad).sum()
        a[index] = old
        out[index] = (up - down) / (2 * h)
    return out
