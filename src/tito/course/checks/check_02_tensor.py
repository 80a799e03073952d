"""Module 02 check: dtype promotion, reshape with -1, matmul, reductions and the naive matmul kernel.

Every expected value is computed with NumPy (or written out by hand), never with tinytorch itself.
Only forward computations are used: gradients are module 06.
"""

from __future__ import annotations

import numpy as np

import tinytorch
from tinytorch import ops
from tinytorch.backend import naive
from tito.course.checks._helpers import (
    assert_close,
    assert_dtype,
    assert_equal,
    assert_raises,
    assert_shape,
    exercise,
    fail,
)

RESULT_TYPE = exercise("result_type")
INFER_SHAPE = exercise("_infer_shape")
MATMUL = exercise("matmul")
MATMUL2D = exercise("matmul2d")
SUM = exercise("Sum.forward")
MEAN = exercise("Mean.forward")
MAX = exercise("Max.forward")

RNG = np.random.default_rng(2)
X34 = RNG.standard_normal((3, 4)).astype(np.float32)  # a (3, 4) matrix with distinct entries
X234 = RNG.standard_normal((2, 3, 4)).astype(np.float32)


def _t(array: np.ndarray) -> tinytorch.Tensor:
    return tinytorch.tensor(array)


def _message_names(error: BaseException, ex, what: str, *shapes: tuple) -> None:
    """The error message must mention each of `shapes`, written like a Python tuple."""
    for shape in shapes:
        if str(tuple(shape)) not in str(error):
            fail(f"{what}: the error message must name the shape {tuple(shape)}", ex,
                 expected=f"a message containing {tuple(shape)}", got=str(error))


# ---------------------------------------------------------------------------------- result_type


def test_result_type_float_beats_integer():
    got = tinytorch.tensor([1, 2]) + tinytorch.tensor([0.5, 1.5])
    assert_dtype(got, np.float32, RESULT_TYPE, "int64 tensor + float32 tensor")
    assert_close(got, [1.5, 3.5], RESULT_TYPE, "int64 tensor + float32 tensor")


def test_result_type_wider_float_wins_between_tensors_with_dims():
    a = tinytorch.tensor([1.0, 2.0], dtype=tinytorch.float32)
    b = tinytorch.tensor([0.25, 0.5], dtype=tinytorch.float64)
    assert_dtype(a + b, np.float64, RESULT_TYPE, "float32 (2,) + float64 (2,)")
    i32 = tinytorch.tensor([1, 2], dtype=tinytorch.int32)
    assert_dtype(i32 + tinytorch.tensor([3, 4]), np.int64, RESULT_TYPE, "int32 (2,) + int64 (2,)")
    flags = tinytorch.tensor([True, False])
    assert_dtype(flags + i32, np.int32, RESULT_TYPE, "bool (2,) + int32 (2,)")


def test_result_type_zero_dim_tensor_does_not_widen():
    x = tinytorch.tensor([1.0, 2.0, 3.0], dtype=tinytorch.float32)
    two = tinytorch.tensor(2.0, dtype=tinytorch.float64)  # 0-d
    assert_dtype(x * two, np.float32, RESULT_TYPE, "float32 (3,) * float64 0-d tensor")
    assert_dtype(two * x, np.float32, RESULT_TYPE, "float64 0-d tensor * float32 (3,)")
    assert_close(two * x, [2.0, 4.0, 6.0], RESULT_TYPE, "float64 0-d tensor * float32 (3,)")


def test_result_type_zero_dim_tensor_of_higher_category_still_wins():
    ints = tinytorch.tensor([1, 2, 3])
    half = tinytorch.tensor(0.5, dtype=tinytorch.float64)  # 0-d, but floating beats integer
    assert_dtype(ints * half, np.float64, RESULT_TYPE, "int64 (3,) * float64 0-d tensor")


# --------------------------------------------------------------------------------- _infer_shape


def test_reshape_infers_one_minus_one():
    t = _t(X34)
    assert_shape(t.reshape(-1, 6), (2, 6), INFER_SHAPE, "tensor of shape (3, 4) .reshape(-1, 6)")
    assert_shape(t.reshape(2, -1, 2), (2, 3, 2), INFER_SHAPE, "tensor of shape (3, 4) .reshape(2, -1, 2)")
    assert_shape(t.reshape(-1), (12,), INFER_SHAPE, "tensor of shape (3, 4) .reshape(-1)")
    assert_close(t.reshape(4, -1), X34.reshape(4, 3), INFER_SHAPE, "tensor of shape (3, 4) .reshape(4, -1)")


def test_reshape_without_minus_one_keeps_the_shape_given():
    assert_shape(_t(X34).reshape(6, 2), (6, 2), INFER_SHAPE, "tensor of shape (3, 4) .reshape(6, 2)")


def test_reshape_rejects_a_size_that_does_not_divide():
    error = assert_raises(ValueError, lambda: _t(X34).reshape(5, -1), INFER_SHAPE,
                          "tensor of shape (3, 4) .reshape(5, -1) (12 elements do not split into rows of 5)")
    _message_names(error, INFER_SHAPE, "reshape(5, -1) of a (3, 4) tensor", (3, 4), (5, -1))


def test_reshape_rejects_a_wrong_element_count():
    error = assert_raises(ValueError, lambda: _t(X34).reshape(5, 2), INFER_SHAPE,
                          "tensor of shape (3, 4) .reshape(5, 2) (12 elements, not 10)")
    _message_names(error, INFER_SHAPE, "reshape(5, 2) of a (3, 4) tensor", (3, 4), (5, 2))


def test_reshape_rejects_two_minus_ones():
    error = assert_raises(ValueError, lambda: _t(X34).reshape(-1, -1), INFER_SHAPE,
                          "tensor of shape (3, 4) .reshape(-1, -1)")
    _message_names(error, INFER_SHAPE, "reshape(-1, -1)", (-1, -1))


# --------------------------------------------------------------------------------------- matmul


def test_matmul_of_two_matrices():
    b = RNG.standard_normal((4, 5)).astype(np.float32)
    got = _t(X34) @ _t(b)
    assert_shape(got, (3, 5), MATMUL, "(3, 4) @ (4, 5)")
    assert_close(got, X34.astype(np.float64) @ b, MATMUL, "(3, 4) @ (4, 5)", rtol=1e-4, atol=1e-5)


def test_matmul_with_vectors():
    v4 = np.array([1.0, -2.0, 0.5, 3.0], dtype=np.float32)
    v3 = np.array([2.0, 0.0, -1.0], dtype=np.float32)
    assert_close(_t(X34) @ _t(v4), X34 @ v4, MATMUL, "(3, 4) @ (4,)", rtol=1e-4, atol=1e-5)
    assert_close(_t(v3) @ _t(X34), v3 @ X34, MATMUL, "(3,) @ (3, 4)", rtol=1e-4, atol=1e-5)
    dot = _t(v4) @ _t(v4)
    assert_shape(dot, (), MATMUL, "(4,) @ (4,) (a dot product is 0-d)")
    assert_close(dot, 1.0 + 4.0 + 0.25 + 9.0, MATMUL, "(4,) @ (4,)")


def test_matmul_batched_and_broadcast():
    b = RNG.standard_normal((2, 4, 5)).astype(np.float32)
    assert_close(_t(X234) @ _t(b), np.matmul(X234, b), MATMUL, "(2, 3, 4) @ (2, 4, 5)", rtol=1e-4, atol=1e-5)
    shared = RNG.standard_normal((4, 2)).astype(np.float32)
    assert_close(_t(X234) @ _t(shared), np.matmul(X234, shared), MATMUL, "(2, 3, 4) @ (4, 2)", rtol=1e-4, atol=1e-5)
    left = RNG.standard_normal((2, 1, 3, 4)).astype(np.float32)
    right = RNG.standard_normal((5, 4, 2)).astype(np.float32)
    got = _t(left) @ _t(right)
    assert_shape(got, (2, 5, 3, 2), MATMUL, "(2, 1, 3, 4) @ (5, 4, 2) (batch dims broadcast)")
    assert_close(got, np.matmul(left, right), MATMUL, "(2, 1, 3, 4) @ (5, 4, 2)", rtol=1e-4, atol=1e-5)


def test_matmul_promotes_dtypes():
    ints = tinytorch.tensor([[1, 2], [3, 4]])
    floats = tinytorch.tensor([[0.5], [0.25]])
    got = ints @ floats
    assert_dtype(got, np.float32, MATMUL, "int64 (2, 2) @ float32 (2, 1)")
    assert_close(got, [[1.0], [2.5]], MATMUL, "int64 (2, 2) @ float32 (2, 1)")


def test_matmul_rejects_mismatched_inner_sizes():
    error = assert_raises(ValueError, lambda: _t(X34) @ _t(X34), MATMUL, "(3, 4) @ (3, 4)")
    _message_names(error, MATMUL, "(3, 4) @ (3, 4)", (3, 4))
    error = assert_raises(ValueError, lambda: _t(X234) @ _t(np.ones((2, 3, 5), np.float32)), MATMUL,
                          "(2, 3, 4) @ (2, 3, 5)")
    _message_names(error, MATMUL, "(2, 3, 4) @ (2, 3, 5)", (2, 3, 4), (2, 3, 5))


def test_matmul_rejects_zero_dim_operands():
    assert_raises(ValueError, lambda: tinytorch.matmul(tinytorch.tensor(2.0), _t(X34)), MATMUL,
                  "matmul of a 0-d tensor and a (3, 4) matrix")


def test_matmul_rejects_batch_dims_that_do_not_broadcast():
    error = assert_raises(ValueError, lambda: _t(X234) @ _t(np.ones((3, 4, 2), np.float32)), MATMUL,
                          "(2, 3, 4) @ (3, 4, 2): batch dims 2 and 3 do not broadcast")
    _message_names(error, MATMUL, "(2, 3, 4) @ (3, 4, 2)", (2,), (3,))


# ------------------------------------------------------------------------------------ matmul2d


def test_naive_matmul2d_multiplies_matrices():
    b = RNG.standard_normal((4, 2)).astype(np.float32)
    got = naive.matmul2d(X34, b)
    assert_shape(got, (3, 2), MATMUL2D, "naive.matmul2d of (3, 4) and (4, 2)")
    assert_close(got, X34.astype(np.float64) @ b, MATMUL2D, "naive.matmul2d of (3, 4) and (4, 2)",
                 rtol=1e-4, atol=1e-5)
    assert_dtype(got, np.float32, MATMUL2D, "naive.matmul2d of two float32 matrices")


def test_naive_matmul2d_of_integers_is_exact():
    a = np.arange(6).reshape(2, 3)
    b = np.arange(12).reshape(3, 4)
    got = naive.matmul2d(a, b)
    assert_equal(got, np.array([[20, 23, 26, 29], [56, 68, 80, 92]]), MATMUL2D, "naive.matmul2d of int (2, 3), (3, 4)")


def test_naive_backend_matmul_agrees_with_numpy():
    b = RNG.standard_normal((2, 4, 5)).astype(np.float32)
    with tinytorch.backend.use("naive"):
        got = _t(X234) @ _t(b)
    assert_close(got, np.matmul(X234, b), MATMUL2D, "(2, 3, 4) @ (2, 4, 5) on the naive backend",
                 rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------------- reductions


def test_sum_over_everything_and_over_dims():
    t = _t(X234)
    assert_shape(t.sum(), (), SUM, "sum() of a (2, 3, 4) tensor")
    assert_close(t.sum(), X234.sum(dtype=np.float64), SUM, "sum() of a (2, 3, 4) tensor", rtol=1e-5, atol=1e-5)
    assert_close(t.sum(dim=1), X234.sum(axis=1), SUM, "sum(dim=1) of a (2, 3, 4) tensor", atol=1e-5)
    assert_close(t.sum(dim=-1), X234.sum(axis=-1), SUM, "sum(dim=-1) of a (2, 3, 4) tensor", atol=1e-5)
    assert_close(t.sum(dim=(0, 2)), X234.sum(axis=(0, 2)), SUM, "sum(dim=(0, 2)) of a (2, 3, 4) tensor", atol=1e-5)


def test_sum_keepdim_keeps_the_reduced_axis():
    got = _t(X234).sum(dim=1, keepdim=True)
    assert_shape(got, (2, 1, 4), SUM, "sum(dim=1, keepdim=True) of a (2, 3, 4) tensor")
    assert_close(got, X234.sum(axis=1, keepdims=True), SUM, "sum(dim=1, keepdim=True)", atol=1e-5)


def test_sum_of_integers_stays_integer():
    got = tinytorch.tensor([[1, 2, 3], [4, 5, 6]]).sum(dim=0)
    assert_equal(got, np.array([5, 7, 9]), SUM, "sum(dim=0) of an int64 (2, 3) tensor")
    assert_dtype(got, np.int64, SUM, "sum(dim=0) of an int64 (2, 3) tensor")


def test_mean_over_dims():
    t = _t(X234)
    assert_close(t.mean(), X234.astype(np.float64).mean(), MEAN, "mean() of a (2, 3, 4) tensor", atol=1e-6)
    assert_close(t.mean(dim=0), X234.mean(axis=0), MEAN, "mean(dim=0) of a (2, 3, 4) tensor", atol=1e-6)
    assert_close(t.mean(dim=(1, 2)), X234.mean(axis=(1, 2)), MEAN, "mean(dim=(1, 2)) of a (2, 3, 4) tensor",
                 atol=1e-6)
    got = t.mean(dim=2, keepdim=True)
    assert_shape(got, (2, 3, 1), MEAN, "mean(dim=2, keepdim=True) of a (2, 3, 4) tensor")
    assert_close(got, X234.mean(axis=2, keepdims=True), MEAN, "mean(dim=2, keepdim=True)", atol=1e-6)


def test_mean_keeps_the_input_dtype():
    for dtype in (np.float32, np.float64, np.float16):
        got = tinytorch.tensor(X34.astype(dtype)).mean(dim=1)
        assert_dtype(got, dtype, MEAN, f"mean(dim=1) of a {np.dtype(dtype)} tensor")


def test_mean_forward_records_how_many_elements_each_output_averages():
    for dim, keepdim, count in ((None, False, 24), (1, False, 3), ((0, 2), True, 8)):
        node = ops.Mean()
        node.forward(X234, dim=dim, keepdim=keepdim)
        assert_equal(getattr(node, "count", None), count, MEAN,
                     f"ops.Mean().forward(a (2, 3, 4) array, dim={dim}) must set self.count")


def test_max_over_everything_and_over_a_dim():
    t = _t(X234)
    assert_shape(t.max(), (), MAX, "max() of a (2, 3, 4) tensor")
    assert_close(t.max(), X234.max(), MAX, "max() of a (2, 3, 4) tensor")
    assert_close(t.max(dim=1).values, X234.max(axis=1), MAX, "max(dim=1).values of a (2, 3, 4) tensor")
    got = t.max(dim=-1, keepdim=True).values
    assert_shape(got, (2, 3, 1), MAX, "max(dim=-1, keepdim=True).values of a (2, 3, 4) tensor")
    assert_close(got, X234.max(axis=-1, keepdims=True), MAX, "max(dim=-1, keepdim=True).values")


def test_max_of_negative_numbers():
    got = tinytorch.tensor([[-3.0, -1.0, -2.0], [-7.0, -9.0, -8.0]]).max(dim=1).values
    assert_close(got, [-1.0, -7.0], MAX, "max(dim=1) of a tensor with only negative entries")


def test_max_forward_stores_its_result_for_backward():
    node = ops.Max()
    out = node.forward(X34, dim=0, keepdim=False)
    stored = getattr(node, "out", None)
    if stored is None:
        fail("ops.Max().forward(a (3, 4) array, dim=0) must store its result in self.out", MAX,
             expected=X34.max(axis=0), got=None)
    assert_close(stored, out, MAX, "ops.Max().forward(...): self.out must equal the returned result")
