"""Every differentiable op against central finite differences in float64 (cases: tests/op_cases.py)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch
from op_cases import CASES
from tinytorch.testing import assert_close, gradcheck


def inputs_of(name: str) -> list[tinytorch.Tensor]:
    case = CASES[name]
    return [tinytorch.tensor(x, requires_grad=spec.grad) for x, spec in zip(case.arrays(), case.inputs)]


@pytest.mark.parametrize("name", sorted(name for name, case in CASES.items() if case.smooth))
def test_gradient_matches_finite_differences(name: str) -> None:
    case = CASES[name]
    assert gradcheck(lambda *xs: case.fn(tinytorch, *xs), inputs_of(name), label=name)


# ---------------------------------------------------------------------------------------------
# The checkers themselves must be able to fail, and say where.
# ---------------------------------------------------------------------------------------------


def wrong_square(x: tinytorch.Tensor) -> tinytorch.Tensor:
    """x**2 with a backward that is off by one at element (1, 2): gradcheck must catch it."""
    from tinytorch import ops
    from tinytorch.tensor import _apply

    class WrongSquare(ops.Function):
        def forward(self, a: np.ndarray) -> np.ndarray:
            self.a = a
            return a * a

        def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
            local = 2 * self.a
            local[1, 2] += 1
            return (grad * local,)

    return _apply(WrongSquare, x)


def test_gradcheck_names_op_input_and_element() -> None:
    x = tinytorch.randn(2, 3, dtype=tinytorch.float64, requires_grad=True)
    y = tinytorch.randn(2, 3, dtype=tinytorch.float64, requires_grad=True)
    with pytest.raises(AssertionError) as failure:
        gradcheck(lambda a, b: a + wrong_square(b), [x, y], label="wrong_square")
    message = str(failure.value)
    assert "wrong_square" in message and "input 1" in message and "(1, 2)" in message
    assert "expected (numerical)" in message and "got (analytic)" in message


def test_gradcheck_uses_the_function_name_without_label() -> None:
    x = tinytorch.randn(2, 3, dtype=tinytorch.float64, requires_grad=True)
    with pytest.raises(AssertionError, match=r"gradcheck\(wrong_square\).*input 0"):
        gradcheck(wrong_square, [x])


def test_gradcheck_leaves_float32_inputs_untouched_and_checks_in_float64() -> None:
    x = tinytorch.randn(3, 2, requires_grad=True)
    before = x.data.copy()
    assert gradcheck(lambda t: (t * t).exp(), [x])
    assert x.grad is None and x.dtype == tinytorch.float32
    np.testing.assert_array_equal(x.data, before)


def test_gradcheck_rejects_inputs_without_grad_and_graphs_not_recorded() -> None:
    x = tinytorch.randn(3, dtype=tinytorch.float64)
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda t: t * 2, [x])
    y = tinytorch.randn(3, dtype=tinytorch.float64, requires_grad=True)
    with pytest.raises(AssertionError, match="does not require grad"):
        gradcheck(lambda t: t.detach() * 2, [y])


def test_assert_close_reports_the_worst_element() -> None:
    expected = np.zeros((2, 3))
    actual = expected.copy()
    actual[0, 1], actual[1, 2] = 1e-3, 5e-2
    with pytest.raises(AssertionError) as failure:
        assert_close(tinytorch.tensor(actual), expected, rtol=0, atol=1e-4, msg="layer 3")
    message = str(failure.value)
    assert message.startswith("layer 3: 2 of 6 elements differ")
    assert "worst at index (1, 2)" in message and "expected 0.0" in message and "got 0.05" in message


def test_assert_close_shapes_nans_and_default_tolerances() -> None:
    with pytest.raises(AssertionError, match=r"shape mismatch: got \(3,\), expected \(1, 3\)"):
        assert_close(np.ones(3), np.ones((1, 3)))
    assert_close(np.array([np.nan, np.inf, 1.0]), np.array([np.nan, np.inf, 1.0]))
    with pytest.raises(AssertionError):
        assert_close(np.array([np.nan]), np.array([1.0]))
    assert_close(np.float32(1.0) + np.float32(1e-6), 1.0)  # within float32 tolerance
    with pytest.raises(AssertionError):
        assert_close(np.float64(1.0) + 1e-6, 1.0)  # not within float64 tolerance
    with pytest.raises(AssertionError, match="1 of 2"):
        assert_close(np.array([1, 2]), np.array([1, 3]))  # integers compare exactly
