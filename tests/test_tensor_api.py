"""The wider Tensor API: results without gradients checked against NumPy, sampling, and the errors.

Every differentiable op here also has a case in tests/op_cases.py (finite differences and PyTorch
goldens); this file covers what those cannot: indices, masks, random draws and bad arguments.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch
from tinytorch.testing import assert_close

NAN, INF = float("nan"), float("inf")


def t(values: object, **kwargs: object) -> tinytorch.Tensor:
    return tinytorch.tensor(values, **kwargs)


# ---------------------------------------------------------------------------------------------
# Tests on values: masks, closeness, positions
# ---------------------------------------------------------------------------------------------


def test_isnan_isinf_isfinite_are_bool_masks_like_numpy() -> None:
    x = np.array([[0.0, NAN, 1.0], [INF, -INF, -2.5]], dtype=np.float32)
    for name in ("isnan", "isinf", "isfinite"):
        got = getattr(t(x), name)()
        assert got.dtype == tinytorch.bool and got.requires_grad is False
        np.testing.assert_array_equal(got.numpy(), getattr(np, name)(x))
    np.testing.assert_array_equal(tinytorch.isnan(t([1, 2])).numpy(), [False, False])  # integers are never NaN


def test_isclose_broadcasts_and_handles_nan_like_numpy() -> None:
    a = np.array([[1.0, 1.0 + 1e-7, NAN], [2.0, 2.1, 0.0]])
    b = np.array([1.0, 1.0, NAN])
    for equal_nan in (False, True):
        got = tinytorch.isclose(t(a), t(b), equal_nan=equal_nan)
        assert got.dtype == tinytorch.bool
        np.testing.assert_array_equal(got.numpy(), np.isclose(a, b, equal_nan=equal_nan))
    np.testing.assert_array_equal(t([1.0, 1.5]).isclose(1.0, atol=0.6).numpy(), [True, True])


def test_nonzero_lists_positions_in_row_major_order() -> None:
    x = np.array([[0, 3, 0], [1, 0, 2]])
    got = t(x).nonzero()
    assert got.dtype == tinytorch.int64 and got.shape == (3, 2)
    np.testing.assert_array_equal(got.numpy(), np.argwhere(x))
    rows, cols = tinytorch.nonzero(t(x), as_tuple=True)
    np.testing.assert_array_equal(t(x)[rows, cols].numpy(), [3, 1, 2])  # ready to index with
    assert t(5).nonzero().shape == (1, 0) and t([0.0, 0.0]).nonzero().shape == (0, 1)


# ---------------------------------------------------------------------------------------------
# Sorting: indices, ties, NaN
# ---------------------------------------------------------------------------------------------


def test_sort_and_argsort_match_numpy_stable_order() -> None:
    x = np.random.default_rng(0).integers(0, 4, size=(3, 7)).astype(np.float32)  # many ties
    for dim in (0, 1, -1):
        values, indices = t(x).sort(dim=dim)
        expected = np.argsort(x, axis=dim, kind="stable")
        assert indices.dtype == tinytorch.int64 and values.dtype == tinytorch.float32
        np.testing.assert_array_equal(indices.numpy(), expected)
        np.testing.assert_array_equal(values.numpy(), np.take_along_axis(x, expected, dim))
        np.testing.assert_array_equal(tinytorch.argsort(t(x), dim=dim).numpy(), expected)


def test_descending_sort_keeps_ties_in_their_original_order() -> None:
    result = t([1, 3, 3, 2, 3]).sort(descending=True)
    assert result.values.tolist() == [3, 3, 3, 2, 1]
    assert result.indices.tolist() == [1, 2, 4, 3, 0]
    assert t([True, False, True]).argsort(descending=True).tolist() == [0, 2, 1]


def test_nan_sorts_last_ascending_and_first_descending_like_pytorch() -> None:
    x = t([1.0, NAN, 3.0])
    assert x.sort().indices.tolist() == [0, 2, 1]
    assert x.sort(descending=True).indices.tolist() == [1, 2, 0]


def test_topk_picks_the_k_largest_or_smallest_with_indices() -> None:
    x = np.random.default_rng(1).standard_normal((4, 6))
    values, indices = tinytorch.topk(t(x), 3, dim=1)
    expected = np.argsort(-x, axis=1)[:, :3]
    np.testing.assert_array_equal(indices.numpy(), expected)
    np.testing.assert_array_equal(values.numpy(), np.take_along_axis(x, expected, 1))
    smallest = t(x).topk(2, dim=0, largest=False)
    np.testing.assert_array_equal(smallest.indices.numpy(), np.argsort(x, axis=0)[:2])
    assert t(x).topk(0).values.shape == (4, 0)


def test_sort_of_a_0d_tensor_is_itself() -> None:
    values, indices = t(2.5).sort()
    assert values.shape == () and values.item() == 2.5 and indices.item() == 0


# ---------------------------------------------------------------------------------------------
# dtypes of the new element-wise functions and scans
# ---------------------------------------------------------------------------------------------


def test_rounding_is_half_to_even_and_has_zero_gradient() -> None:
    x = t([-1.5, -0.5, 0.5, 1.5, 2.5, 2.7], requires_grad=True)
    y = x.round()
    assert y.tolist() == [-2.0, -0.0, 0.0, 2.0, 2.0, 3.0]
    (y * 3).sum().backward()
    assert x.grad.tolist() == [0.0] * 6
    assert tinytorch.floor(t([1.5, -1.5])).tolist() == [1.0, -2.0]
    assert tinytorch.ceil(t([1.5, -1.5])).tolist() == [2.0, -1.0]
    whole = t([1, -2]).floor()
    assert whole.dtype == tinytorch.int64 and whole.tolist() == [1, -2]


def test_functions_of_integers_give_float32_like_pytorch() -> None:
    for name in ("log1p", "expm1", "erf", "log2", "exp2", "reciprocal", "rsqrt"):
        got = getattr(tinytorch, name)(t([1, 2, 4]))
        assert got.dtype == tinytorch.float32, name
    assert_close(t([1, 2, 4]).log2(), np.array([0.0, 1.0, 2.0], dtype=np.float32))
    assert_close(t([1e-10]).log1p(), np.array([1e-10], dtype=np.float32), rtol=1e-6, atol=0)  # not 0: log1p is exact


def test_erf_of_a_0d_float64_tensor() -> None:
    """Regression: the float64 erf assigned into a NumPy scalar when given a 0-d tensor."""
    x = t(0.5, dtype=tinytorch.float64, requires_grad=True)
    y = x.erf()
    assert y.shape == () and abs(y.item() - 0.5204998778130465) < 1e-14  # math.erf(0.5)
    y.backward()
    assert abs(x.grad.item() - 2 / np.sqrt(np.pi) * np.exp(-0.25)) < 1e-14


def test_cumsum_and_cumprod_of_integers_and_bools_are_int64() -> None:
    assert t([True, False, True]).cumsum(0).dtype == tinytorch.int64
    counts = t(np.array([[1, 2], [3, 4]], dtype=np.int32))
    assert counts.cumsum(dim=0).dtype == tinytorch.int64
    assert counts.cumprod(dim=1).tolist() == [[1, 2], [3, 12]]
    assert t(3.0).cumsum(0).shape == ()


def test_norm_of_zero_has_zero_gradient_and_counts_nonzeros_for_p0() -> None:
    x = tinytorch.zeros(3, requires_grad=True)
    x.norm().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    assert t([[0.0, 2.0], [1.0, 0.0]]).norm(p=0, dim=1).tolist() == [1.0, 1.0]


def test_logspace_meshgrid_broadcast_to_and_inference_mode() -> None:
    assert_close(tinytorch.logspace(0, 3, 4), np.logspace(0, 3, 4, dtype=np.float32))
    assert_close(tinytorch.logspace(0, 3, 4, base=2.0), np.array([1, 2, 4, 8], dtype=np.float32))
    a, b = tinytorch.meshgrid(t([1, 2, 3]), t([4, 5]), indexing="xy")
    expected_a, expected_b = np.meshgrid([1, 2, 3], [4, 5], indexing="xy")
    np.testing.assert_array_equal(a.numpy(), expected_a)
    np.testing.assert_array_equal(b.numpy(), expected_b)
    assert [g.shape for g in tinytorch.meshgrid([t([1, 2, 3]), t([4, 5])])] == [(3, 2), (3, 2)]
    assert tinytorch.broadcast_to(t([1, 2]), (3, 2)).tolist() == [[1, 2]] * 3

    w = tinytorch.ones(2, requires_grad=True)
    with tinytorch.inference_mode():
        assert not (w * 2).requires_grad

    @tinytorch.inference_mode()
    def predict(x: tinytorch.Tensor) -> tinytorch.Tensor:
        return x * 2

    assert not predict(w).requires_grad and (w * 2).requires_grad


# ---------------------------------------------------------------------------------------------
# gather, scatter, index_select against NumPy
# ---------------------------------------------------------------------------------------------


def test_gather_and_scatter_add_match_numpy() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4))
    index = rng.integers(0, 4, size=(3, 5))  # repeats on purpose
    np.testing.assert_array_equal(t(x).gather(1, t(index)).numpy(), np.take_along_axis(x, index, 1))
    src = rng.standard_normal((3, 5))
    expected = x.copy()
    np.add.at(expected, (np.arange(3)[:, None], index), src)  # repeated positions add up
    assert_close(tinytorch.scatter_add(t(x), 1, t(index), t(src)), expected)


def test_scatter_writes_src_or_a_value() -> None:
    x = tinytorch.zeros(2, 3)
    index = t([[2, 0], [1, 1]])
    assert x.scatter(1, index, t([[1.0, 2.0], [3.0, 3.0]])).tolist() == [[2.0, 0.0, 1.0], [0.0, 3.0, 0.0]]
    assert x.scatter(1, index, 7.0).tolist() == [[7.0, 0.0, 7.0], [0.0, 7.0, 0.0]]
    assert x.scatter(1, index, value=7.0).tolist() == [[7.0, 0.0, 7.0], [0.0, 7.0, 0.0]]
    assert x.tolist() == [[0.0] * 3] * 2  # a copy: x is untouched


def test_scatter_add_with_a_larger_src_uses_and_differentiates_its_corner() -> None:
    src = tinytorch.ones(2, 3, dtype=tinytorch.float64, requires_grad=True)
    out = tinytorch.zeros(1, 2, dtype=tinytorch.float64).scatter_add(1, t([[1, 1]]), src)
    assert out.tolist() == [[0.0, 2.0]]
    out.sum().backward()
    assert src.grad.tolist() == [[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]


def test_index_select_and_repeat_interleave() -> None:
    x = np.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(t(x).index_select(1, t([3, 0, 3])).numpy(), x[:, [3, 0, 3]])
    np.testing.assert_array_equal(t(x).repeat_interleave(t([1, 0, 2]), dim=0).numpy(), np.repeat(x, [1, 0, 2], axis=0))
    np.testing.assert_array_equal(tinytorch.repeat_interleave(t(x), 2).numpy(), np.repeat(x, 2))


# ---------------------------------------------------------------------------------------------
# einsum against NumPy
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("equation, shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ba", [(2, 3)]),  # implicit output: alphabetical, so a transpose
    ("ij,ij", [(2, 3), (2, 3)]),  # implicit output: nothing left, a full contraction
    ("ii", [(3, 3)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,jk->...ik", [(2, 2, 3, 4), (4, 5)]),
    ("i...->...", [(3, 2, 4)]),
    ("Ab,bC->CA", [(2, 3), (3, 4)]),
])
def test_einsum_matches_numpy(equation: str, shapes: list[tuple[int, ...]]) -> None:
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
    got = tinytorch.einsum(equation, *[t(a) for a in arrays])
    assert got.dtype == tinytorch.float32
    assert_close(got, np.einsum(equation, *arrays))


@pytest.mark.parametrize("equation, shapes", [
    ("bij,bjk->bik", [(0, 2, 3), (0, 3, 1)]),  # an empty batch
    ("ij,ij->ij", [(2, 0), (2, 1)]),  # a size-1 axis broadcast to an empty one
    ("ij->", [(0, 1)]),
    ("iij->j", [(0, 0, 3)]),
])
def test_einsum_gradients_of_empty_operands_have_their_shapes(equation: str, shapes: list[tuple[int, ...]]) -> None:
    """Regression: the backward took the larger of 1 and 0 as an axis's size and crashed on empty axes."""
    operands = [tinytorch.ones(*shape, requires_grad=True) for shape in shapes]
    tinytorch.einsum(equation, *operands).sum().backward()
    for x in operands:
        assert x.grad.shape == x.shape and not x.grad.numpy().any()  # nothing reaches an empty axis's partner


def test_einsum_promotes_dtypes() -> None:
    got = tinytorch.einsum("i,i->", t([1.0, 2.0]), t([3, 4]))
    assert got.dtype == tinytorch.float32 and got.item() == 11.0


# ---------------------------------------------------------------------------------------------
# multinomial
# ---------------------------------------------------------------------------------------------


def test_multinomial_is_reproducible_with_a_seed() -> None:
    probs = t([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]])
    first = probs.multinomial(5, replacement=True, generator=tinytorch.Generator(7))
    again = tinytorch.multinomial(probs, 5, replacement=True, generator=tinytorch.Generator(7))
    assert first.dtype == tinytorch.int64 and first.shape == (2, 5)
    assert first.tolist() == again.tolist()
    tinytorch.manual_seed(3)
    one = tinytorch.multinomial(probs, 2)
    tinytorch.manual_seed(3)
    assert tinytorch.multinomial(probs, 2).tolist() == one.tolist()


def test_multinomial_with_replacement_follows_the_probabilities() -> None:
    weights = np.array([1.0, 2.0, 3.0, 4.0, 0.0])  # unnormalised weights are fine, as in PyTorch
    draws = tinytorch.multinomial(t(weights), 20000, replacement=True, generator=tinytorch.Generator(0))
    assert draws.shape == (20000,)
    frequencies = np.bincount(draws.numpy(), minlength=5) / 20000
    np.testing.assert_allclose(frequencies, weights / weights.sum(), atol=0.015)  # ~5 standard errors
    assert frequencies[4] == 0.0


def test_multinomial_without_replacement_draws_each_category_once() -> None:
    generator = tinytorch.Generator(1)
    probs = t(np.tile([0.05, 0.05, 0.3, 0.6, 0.0], (200, 1)))
    draws = probs.multinomial(4, generator=generator).numpy()  # (200, 4)
    assert all(len(set(row)) == 4 for row in draws)
    assert not (draws == 4).any()  # probability 0 is never drawn
    first = np.bincount(draws[:, 0], minlength=5) / 200
    np.testing.assert_allclose(first, [0.05, 0.05, 0.3, 0.6, 0.0], atol=0.12)  # the first draw is a plain draw
    whole = tinytorch.multinomial(t([1.0, 1.0, 1.0]), 3, generator=generator).tolist()
    assert sorted(whole) == [0, 1, 2]


@pytest.mark.parametrize("probs, num_samples, replacement, message", [
    ([0.5, -0.1, 0.6], 1, True, "finite and non-negative, got -0.1"),
    ([0.5, NAN], 1, True, "finite and non-negative"),
    ([0.5, INF], 1, True, "finite and non-negative"),
    ([[0.5, 0.5], [0.0, 0.0]], 1, True, "row 1 of the probabilities sums to 0"),
    ([0.5, 0.5, 0.0], 3, False, "cannot draw 3 samples without replacement from 2 categories"),
    ([[[0.5]]], 1, True, "1-D or 2-D"),
    ([1, 2], 1, True, "floating point"),
    ([0.5, 0.5], 0, True, "num_samples must be at least 1"),
])
def test_multinomial_rejects_bad_probabilities(probs: object, num_samples: int, replacement: bool,
                                               message: str) -> None:
    with pytest.raises(ValueError, match="multinomial: .*" + message.replace("(", r"\(")):
        tinytorch.multinomial(t(probs), num_samples, replacement=replacement)


# ---------------------------------------------------------------------------------------------
# Errors name the op and the shapes or values at fault
# ---------------------------------------------------------------------------------------------

X = tinytorch.zeros(3, 4)


@pytest.mark.parametrize("call, error, message", [
    (lambda: X.gather(1, t([[0, 1, 2, 3, 0]] * 4)), ValueError,
     r"gather: index has shape \(4, 5\) but input has shape \(3, 4\).*except in dim 1"),
    (lambda: X.gather(1, t([0, 1])), ValueError, r"gather: index has shape \(2,\) but input has shape \(3, 4\)"),
    (lambda: X.gather(1, t([[0, 4]])), IndexError, "gather: index 4 is out of range for dim 1 of size 4"),
    (lambda: X.gather(0, t([[-1]])), IndexError, "gather: index -1 is out of range for dim 0 of size 3"),
    (lambda: X.gather(0, t([[0.0]])), TypeError, "gather: index must be an integer tensor"),
    (lambda: X.gather(2, t([[0]])), IndexError, "gather: dim 2 is out of range"),
    (lambda: X.scatter_add(0, t([[0, 1]]), t([1.0])), ValueError,
     r"scatter_add: index has shape \(1, 2\) but src has shape \(1,\)"),
    (lambda: X.scatter_add(0, t([[0]]), t([[1.0]], dtype=tinytorch.float64)), TypeError,
     "scatter_add: src has dtype float64 but self has float32"),
    (lambda: X.scatter(0, t([[3]]), 1.0), IndexError, "scatter: index 3 is out of range for dim 0 of size 3"),
    (lambda: X.scatter(0, t([[0]])), ValueError, "scatter: give exactly one of src"),
    (lambda: X.index_select(0, t([[0]])), ValueError, r"index_select: index must be 1-D, got shape \(1, 1\)"),
    (lambda: X.index_select(1, t([1, 7])), IndexError, "index_select: index 7 is out of range for dim 1 of size 4"),
    (lambda: X.mm(tinytorch.zeros(4)), ValueError, r"mm: expected 2-D tensors, got shapes \(3, 4\) and \(4,\)"),
    (lambda: X.mm(tinytorch.zeros(3, 4)), ValueError, r"mm: shapes \(3, 4\) and \(3, 4\) cannot be multiplied"),
    (lambda: tinytorch.bmm(tinytorch.zeros(2, 3, 4), tinytorch.zeros(3, 4, 5)), ValueError,
     r"bmm: shapes \(2, 3, 4\) and \(3, 4, 5\) cannot be multiplied"),
    (lambda: tinytorch.bmm(X, X), ValueError, "bmm: expected 3-D tensors"),
    (lambda: tinytorch.dot(tinytorch.zeros(3), tinytorch.zeros(4)), ValueError,
     r"dot: expected two 1-D tensors of the same size, got shapes \(3,\) and \(4,\)"),
    (lambda: tinytorch.outer(X, tinytorch.zeros(3)), ValueError,
     r"outer: expected two 1-D tensors, got shapes \(3, 4\)"),
    (lambda: tinytorch.zeros(2, 5).addmm(X, tinytorch.zeros(4, 5)), ValueError,
     r"addmm: input of shape \(2, 5\) does not broadcast to the product's shape \(3, 5\)"),
    (lambda: tinytorch.zeros(4).tril(), ValueError, r"tril: expected a tensor with at least 2 dims, got shape \(4,\)"),
    (lambda: tinytorch.zeros(2, 2, 2).diag(), ValueError, r"diag: expected a 1-D or 2-D tensor, got shape \(2, 2, 2\)"),
    (lambda: tinytorch.zeros(2, 2, 2).trace(), ValueError, "trace: expected a 2-D tensor"),
    (lambda: t([1, 2]).norm(), TypeError, "norm: expected a floating point tensor, got int64"),
    (lambda: X.norm(p="nuc"), ValueError, "norm: p='nuc' is not supported"),
    (lambda: tinytorch.zeros(0, 3).norm(-1, dim=0), ValueError, r"norm: the -1-norm of no elements is undefined"),
    (lambda: tinytorch.zeros(0, 1).norm(INF), ValueError, r"norm: the inf-norm of no elements is undefined"),
    (lambda: X.topk(5), ValueError, r"topk: k=5 is out of range for dim -1 of size 4 \(shape \(3, 4\)\)"),
    (lambda: X.sort(dim=2), IndexError, "sort: dim 2 is out of range"),
    (lambda: X.roll((1, 2), 0), ValueError, "roll: 2 shifts given for 1 dims"),
    (lambda: X.roll((1, 2)), ValueError, "roll: without dims, shifts must be one int"),
    (lambda: t(3.0).roll(1, 0), IndexError, "roll: dims 0 given for a 0-d tensor"),
    (lambda: X.repeat_interleave(t([1, 2]), dim=0), ValueError, "repeat_interleave: repeats must be one count or 3"),
    (lambda: X.flip(2), IndexError, "flip: dim 2 is out of range"),
    (lambda: X.broadcast_to((2, 5)), ValueError, r"broadcast_to: shape \(3, 4\) cannot be broadcast to \(2, 5\)"),
    (lambda: tinytorch.meshgrid(X, X), ValueError, r"meshgrid: expected 0-d or 1-D tensors, got shape \(3, 4\)"),
    (lambda: tinytorch.meshgrid(t([1]), indexing="yx"), ValueError, "meshgrid: indexing must be 'ij' or 'xy'"),
    (lambda: tinytorch.cdist(X, tinytorch.zeros(2, 3)), ValueError, r"cdist: .*got shapes \(3, 4\) and \(2, 3\)"),
])
def test_errors_name_the_op_and_what_is_wrong(call: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("equation, shapes, message", [
    ("ij,jk->ik", [(2, 3)], "names 2 operands but 1 tensors were given"),
    ("ijk->i", [(2, 3)], r"operand 0 has shape \(2, 3\) \(2 dims\) but subscripts 'ijk'"),
    ("ij,jk->ik", [(2, 3), (4, 5)], r"subscript 'j' has size 3 in operand 0 \(shape \(2, 3\)\) but 4 in operand 1"),
    ("ij->k", [(2, 3)], "output subscript 'k' is in no operand"),
    ("ij->ii", [(2, 3)], "output subscript 'i' appears twice"),
    ("i1->i", [(2, 3)], "subscripts must be letters"),
])
def test_einsum_errors_name_the_subscripts_and_shapes(equation: str, shapes: list[tuple[int, ...]],
                                                      message: str) -> None:
    with pytest.raises(ValueError, match="einsum: .*" + message):
        tinytorch.einsum(equation, *[tinytorch.zeros(*shape) for shape in shapes])


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "log1p", "erf"])
def test_element_wise_functions_of_integers_are_float32_like_torch(name: str) -> None:
    out = getattr(tinytorch.tensor([1, 4]), name)()
    assert out.dtype == np.float32, f"{name} of int64 gave {out.dtype}"
