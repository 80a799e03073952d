"""The Tensor: creation, dtypes and PyTorch's promotion rules, conversions, printing, comparisons,
in-place updates and indexing (with gradients)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch
from tinytorch import Tensor, tensor
from tinytorch.testing import assert_close

# ---------------------------------------------------------------------------------------------
# Creation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, dtype",
    [
        (1, tinytorch.int64),
        (1.5, tinytorch.float32),
        (True, tinytorch.bool),
        ([1, 2, 3], tinytorch.int64),
        ([[1.0, 2.0], [3.0, 4.0]], tinytorch.float32),
        ([1, 2.5], tinytorch.float32),  # a float anywhere makes the tensor floating point
        ([True, False], tinytorch.bool),
        (np.array([1, 2], dtype=np.int32), tinytorch.int32),  # arrays keep their dtype
        (np.array([1.0], dtype=np.float64), tinytorch.float64),
        (np.float64(2.0), tinytorch.float64),
    ],
)
def test_tensor_infers_dtype_like_torch(data: object, dtype: np.dtype) -> None:
    assert tensor(data).dtype == dtype


def test_tensor_copies_from_numpy_shares() -> None:
    array = np.zeros(3, dtype=np.float32)
    copied, shared = tensor(array), tinytorch.from_numpy(array)
    array[0] = 7
    assert copied.data[0] == 0 and shared.data[0] == 7
    assert tensor([1, 2], dtype=tinytorch.float64).dtype == tinytorch.float64
    assert tensor(tensor([1.0, 2.0])).tolist() == [1.0, 2.0]


def test_tensor_rejects_non_numeric_data() -> None:
    with pytest.raises(TypeError, match="tensor: cannot make a tensor"):
        tensor(["a", "b"])


def test_filled_creation_functions() -> None:
    assert tinytorch.zeros(2, 3).shape == (2, 3) and tinytorch.zeros((2, 3)).shape == (2, 3)
    assert tinytorch.zeros(2).dtype == tinytorch.float32
    assert tinytorch.ones(2, dtype=tinytorch.int64).tolist() == [1, 1]
    assert tinytorch.empty(4).shape == (4,)
    assert tinytorch.full((2, 2), 7).dtype == tinytorch.int64
    assert tinytorch.full((2,), 0.5).tolist() == [0.5, 0.5]
    assert tinytorch.full((1,), True).dtype == tinytorch.bool
    base = tinytorch.ones(2, 3, dtype=tinytorch.float64)
    assert tinytorch.zeros_like(base).dtype == tinytorch.float64 and tinytorch.zeros_like(base).shape == (2, 3)
    assert tinytorch.ones_like(base, dtype=tinytorch.int64).dtype == tinytorch.int64
    assert tinytorch.full_like(base, 3.0).tolist() == [[3.0] * 3] * 2
    assert tinytorch.zeros(2, requires_grad=True).requires_grad


def test_ranges_and_eye() -> None:
    assert tinytorch.arange(4).tolist() == [0, 1, 2, 3] and tinytorch.arange(4).dtype == tinytorch.int64
    assert tinytorch.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert tinytorch.arange(0, 1, 0.25).dtype == tinytorch.float32
    assert tinytorch.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    with pytest.raises(ValueError, match="arange: step must be non-zero"):
        tinytorch.arange(0, 1, 0)
    assert_close(tinytorch.linspace(0, 1, 5), np.linspace(0, 1, 5).astype(np.float32))
    assert tinytorch.linspace(0, 1, 5).dtype == tinytorch.float32
    assert tinytorch.eye(3).tolist() == np.eye(3).tolist() and tinytorch.eye(2, 3).shape == (2, 3)


def test_random_creation_shapes_and_dtypes() -> None:
    tinytorch.manual_seed(0)
    assert tinytorch.randn(2, 3).shape == (2, 3) and tinytorch.randn(2, 3).dtype == tinytorch.float32
    assert tinytorch.randn(4, dtype=tinytorch.float64).dtype == tinytorch.float64
    r = tinytorch.rand(1000)
    assert 0 <= r.min().item() and r.max().item() < 1
    i = tinytorch.randint(3, 7, (100,))
    assert i.dtype == tinytorch.int64 and 3 <= i.min().item() and i.max().item() < 7
    assert tinytorch.randint(5, size=(2, 2)).shape == (2, 2)
    assert sorted(tinytorch.randperm(6).tolist()) == list(range(6))
    base = tinytorch.zeros(2, 5, dtype=tinytorch.float64)
    assert tinytorch.randn_like(base).shape == (2, 5) and tinytorch.rand_like(base).dtype == tinytorch.float64


def test_requires_grad_only_for_floating_point() -> None:
    with pytest.raises(RuntimeError, match="only floating point tensors can require gradients"):
        tensor([1, 2], requires_grad=True)


# ---------------------------------------------------------------------------------------------
# dtypes and promotion (PyTorch's rules)
# ---------------------------------------------------------------------------------------------

F16, F32, F64 = tinytorch.float16, tinytorch.float32, tinytorch.float64
I8, I32, I64, U8, B = tinytorch.int8, tinytorch.int32, tinytorch.int64, tinytorch.uint8, tinytorch.bool


@pytest.mark.parametrize(
    "a, b, expected",
    [
        # both with dimensions: the wider type of the higher category
        ((I32, 1), (I64, 1), I64),
        ((F32, 1), (F64, 1), F64),
        ((I64, 1), (F16, 1), F16),
        ((U8, 1), (I8, 1), np.dtype("int16")),
        ((B, 1), (I32, 1), I32),
        # a 0-d tensor does not widen a dimensioned one of the same category ...
        ((F32, 1), (F64, 0), F32),
        ((I32, 1), (I64, 0), I32),
        # ... but a higher category wins, at the 0-d tensor's own width
        ((I32, 1), (F64, 0), F64),
        ((B, 1), (I64, 0), I64),
        # two 0-d tensors promote normally
        ((F32, 0), (F64, 0), F64),
    ],
)
def test_tensor_tensor_promotion(a: tuple, b: tuple, expected: np.dtype) -> None:
    def make(dtype: np.dtype, ndim: int) -> Tensor:
        return tensor(np.ones((2,) * ndim, dtype=dtype))

    x, y = make(*a), make(*b)
    assert (x + y).dtype == expected and (y + x).dtype == expected
    assert (x * y).dtype == expected


@pytest.mark.parametrize(
    "dtype, scalar, expected",
    [
        (I32, 2, I32),  # a Python int keeps an integer tensor's width
        (I32, 2.5, F32),  # a Python float makes it the default float
        (B, 2, I64),
        (B, True, B),
        (F16, 2.5, F16),  # same category: the tensor's dtype wins
        (F64, 2, F64),
        (U8, 3, U8),
    ],
)
def test_tensor_scalar_promotion(dtype: np.dtype, scalar: object, expected: np.dtype) -> None:
    x = tensor(np.ones(3, dtype=dtype))
    assert (x + scalar).dtype == expected and (scalar + x).dtype == expected


def test_true_division_of_integers_is_float32() -> None:
    a, b = tensor([1, 2, 3]), tensor([2, 4, 4])
    assert (a / b).dtype == tinytorch.float32 and (a / b).tolist() == [0.5, 0.5, 0.75]
    assert (a / 2).dtype == tinytorch.float32 and (1 / a).dtype == tinytorch.float32
    assert (tensor([True]) / tensor([True])).dtype == tinytorch.float32
    assert (tensor([1.0], dtype=tinytorch.float64) / 2).dtype == tinytorch.float64
    assert (a // 2).tolist() == [0, 1, 1] and (a % 2).tolist() == [1, 0, 1]


def test_default_dtype_can_be_changed_and_restored() -> None:
    try:
        tinytorch.set_default_dtype(tinytorch.float64)
        assert tensor(1.5).dtype == tinytorch.float64 and tinytorch.zeros(2).dtype == tinytorch.float64
        assert (tensor([1, 2]) / 2).dtype == tinytorch.float64
    finally:
        tinytorch.set_default_dtype(tinytorch.float32)
    assert tinytorch.get_default_dtype() == tinytorch.float32


def test_gradient_flows_through_a_dtype_cast() -> None:
    x = tensor([1.0, 2.0], requires_grad=True)
    y = (x.double() * tensor([3.0, 4.0], dtype=tinytorch.float64)).sum()
    y.backward()
    assert x.grad.dtype == tinytorch.float32 and x.grad.tolist() == [3.0, 4.0]


# ---------------------------------------------------------------------------------------------
# Attributes and conversions
# ---------------------------------------------------------------------------------------------


def test_shape_attributes() -> None:
    x = tinytorch.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.ndim == 3 and x.dim() == 3 and x.numel() == 24 and len(x) == 2
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert tinytorch.numel(x) == 24 and x.nbytes() == 96
    assert tensor(5.0).shape == () and tensor(5.0).ndim == 0
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(tensor(5.0))


def test_item_tolist_numpy() -> None:
    assert tensor(2.5).item() == 2.5 and isinstance(tensor(3).item(), int)
    assert tensor([[7]]).item() == 7
    with pytest.raises(ValueError, match="only one-element tensors"):
        tensor([1, 2]).item()
    assert tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    x = tensor([1.0, 2.0])
    assert x.numpy() is x.data
    with pytest.raises(RuntimeError, match="detach"):
        tensor([1.0], requires_grad=True).numpy()
    assert np.asarray(x).tolist() == [1.0, 2.0]
    assert float(tensor(2.5)) == 2.5 and int(tensor(3)) == 3


def test_every_result_holds_an_ndarray() -> None:
    """NumPy returns scalars from full reductions; `.data` must still be a (writeable) ndarray."""
    x = tensor([1.0, 2.0], requires_grad=True)
    for result in (x.sum(), x.mean(), x.max(), x.prod(), x[0], x @ x, x.sum() * x.sum(), x == 1.0):
        assert isinstance(result.data, np.ndarray), type(result.data)
    loss = x.sum() * 2
    loss.backward()
    (x[0] * 1).backward()
    assert isinstance(x.grad.data, np.ndarray) and x.grad.tolist() == [3.0, 2.0]


def test_detach_shares_memory_clone_copies() -> None:
    x = tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None and np.shares_memory(d.data, x.data)
    c = x.clone()
    assert c.requires_grad and not c.is_leaf and not np.shares_memory(c.data, x.data)
    with tinytorch.no_grad():
        c += 1
    assert x.tolist() == [1.0, 2.0]
    (c * tensor([3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]
    plain = tensor([1.0])
    assert not np.shares_memory(plain.clone().data, plain.data)


def test_to_and_dtype_shortcuts() -> None:
    x = tensor([1.5, 2.5])
    assert x.to("cpu") is x and x.to(tinytorch.float32) is x and x.cpu() is x
    assert x.to(tinytorch.float64).dtype == tinytorch.float64 and x.double().dtype == tinytorch.float64
    assert x.long().tolist() == [1, 2] and x.long().dtype == tinytorch.int64
    assert x.bool().tolist() == [True, True] and x.float().dtype == tinytorch.float32
    assert x.astype("float16").dtype == tinytorch.float16


@pytest.mark.parametrize(
    "make, text",
    [
        (lambda: tensor([1.0, 2.0, 3.0]), "tensor([1., 2., 3.])"),
        (lambda: tensor([1.5, 2.25]), "tensor([1.5000, 2.2500])"),
        (lambda: tensor(3.0), "tensor(3.)"),
        (lambda: tensor([[1, 2], [3, 4]]), "tensor([[1, 2],\n        [3, 4]])"),
        (lambda: tensor([True, False]), "tensor([ True, False])"),
        (lambda: tensor([1.0], dtype=tinytorch.float64), "tensor([1.], dtype=tinytorch.float64)"),
        (lambda: tensor([1, 2], dtype=tinytorch.int32), "tensor([1, 2], dtype=tinytorch.int32)"),
        (lambda: tensor([1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
        (lambda: tensor([1.0, 2.0], requires_grad=True) * 2, "tensor([2., 4.], grad_fn=<MulBackward>)"),
        (lambda: tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
        (lambda: tensor([2000.0, 1.0]), "tensor([2.0000e+03, 1.0000e+00])"),
        (lambda: tinytorch.zeros(0), "tensor([])"),
        (lambda: tinytorch.zeros(0, 3), "tensor([], size=(0, 3))"),
        (lambda: tinytorch.zeros(0, dtype=tinytorch.int64), "tensor([], dtype=tinytorch.int64)"),
    ],
)
def test_repr_like_torch(make: object, text: str) -> None:
    assert repr(make()) == text


# ---------------------------------------------------------------------------------------------
# Comparisons
# ---------------------------------------------------------------------------------------------


def test_comparisons_are_boolean_broadcasting_and_untracked() -> None:
    a = tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    b = tensor([[2.0], [1.0]])
    assert (a < b).tolist() == [[True, False, False], [False, False, False]]
    assert (a <= 2).tolist() == [[True, True, False]] and (a > 2).tolist() == [[False, False, True]]
    assert (a >= 2).tolist() == [[False, True, True]] and (a != 2).tolist() == [[True, False, True]]
    eq = a == b
    assert eq.dtype == tinytorch.bool and eq.shape == (2, 3) and not eq.requires_grad
    assert ((a > 1) & (a < 3)).tolist() == [[False, True, False]]
    assert ((a < 2) | (a > 2)).tolist() == [[True, False, True]] and (~(a > 2)).tolist() == [[True, True, False]]
    assert a.eq(tensor(1.0)).tolist() == [[True, False, False]]
    assert tensor([1, 2]).equal(tensor([1, 2])) and not tensor([1, 2]).equal(tensor([1, 3]))
    assert tinytorch.allclose(tensor([1.0, 2.0]), tensor([1.0, 2.0 + 1e-9]))
    assert bool(tensor([1]) == 1) and not bool(tensor(0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(tensor([1, 2]) == 1)


# ---------------------------------------------------------------------------------------------
# In-place updates
# ---------------------------------------------------------------------------------------------


def test_in_place_ops_modify_the_same_tensor() -> None:
    x = tensor([1.0, 2.0])
    memory = x.data
    x += 1
    x *= tensor([2.0, 3.0])
    x -= 0.5
    x /= 2
    assert x.tolist() == [1.75, 4.25] and x.data is memory


def test_in_place_on_a_leaf_requiring_grad_is_an_error() -> None:
    w = tensor([1.0, 2.0], requires_grad=True)
    for update in (lambda: w.__iadd__(1.0), lambda: w.__imul__(2.0), lambda: w.__isub__(1.0),
                   lambda: w.__itruediv__(2.0)):
        with pytest.raises(RuntimeError, match="a leaf tensor that requires grad cannot be modified in place"):
            update()
    with pytest.raises(RuntimeError, match="setitem: a leaf tensor that requires grad"):
        w[0] = 5.0
    with tinytorch.no_grad():  # what an optimizer does
        w -= 0.5 * tensor([2.0, 2.0])
        w[1] = 7.0
    assert w.tolist() == [0.0, 7.0] and w.requires_grad and w.is_leaf


def test_in_place_on_a_non_leaf_keeps_the_graph_right() -> None:
    x = tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    saved = y.data
    y *= y  # y = (3x)^2 -> dy/dx = 18x
    y += x  # + x       -> 18x + 1
    y.sum().backward()
    assert x.grad.tolist() == [19.0, 37.0]
    assert saved.tolist() == [3.0, 6.0]  # the array the first Mul saved was not overwritten


def test_in_place_errors_name_the_problem() -> None:
    ints = tensor([1, 2])
    with pytest.raises(RuntimeError, match="in-place add: result of int64 and float64 cannot be stored in int64"):
        ints += 1.5
    with pytest.raises(RuntimeError, match=r"shape \(3,\) does not broadcast to the tensor's shape \(2,\)"):
        x = tensor([1.0, 2.0])
        x += np.ones(3)
    expanded = tensor([1.0]).expand(3)
    with pytest.raises(RuntimeError, match="read-only"):
        expanded += 1


# ---------------------------------------------------------------------------------------------
# Indexing and assignment, with gradients
# ---------------------------------------------------------------------------------------------


def grad_of(x: Tensor, fn) -> np.ndarray:
    """d sum(fn(x) * w) / dx for w = 1, 2, 3, ... over fn(x)'s elements."""
    x.grad = None
    out = fn(x)
    weights = tensor(np.arange(1, out.numel() + 1, dtype=np.float64).reshape(out.shape))
    (out * weights).sum().backward()
    return x.grad.data


def test_basic_indexing() -> None:
    data = np.arange(24.0).reshape(2, 3, 4)
    x = tensor(data, requires_grad=True)
    for index in [1, (0, 2), (slice(None), 1), (Ellipsis, -1), (slice(None), slice(0, 3, 2), 1), (None, 1)]:
        assert_close(x[index], data[index], msg=f"x[{index}]")
    g = grad_of(x, lambda t: t[1, :, 2])
    expected = np.zeros_like(data)
    expected[1, :, 2] = [1, 2, 3]
    assert_close(g, expected)


def test_integer_array_indexing_adds_gradients_of_repeats() -> None:
    data = np.arange(12.0).reshape(3, 4)
    x = tensor(data, requires_grad=True)
    index = tensor([2, 0, 2, 2])
    assert_close(x[index], data[[2, 0, 2, 2]])
    assert_close(x[[0, 0]], data[[0, 0]])  # a Python list is an index array too
    g = grad_of(x, lambda t: t[index])  # rows 2 (weights 1-4, 9-12, 13-16) and 0 (5-8)
    expected = np.zeros((3, 4))
    expected[0] = [5, 6, 7, 8]
    expected[2] = np.array([1, 2, 3, 4]) + [9, 10, 11, 12] + [13, 14, 15, 16]
    assert_close(g, expected)
    g = grad_of(x, lambda t: t[tensor([1, 1]), tensor([3, 3])])
    expected = np.zeros((3, 4))
    expected[1, 3] = 1 + 2
    assert_close(g, expected)


def test_boolean_indexing() -> None:
    data = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])
    x = tensor(data, requires_grad=True)
    assert_close(x[x > 0], data[data > 0])
    assert_close(x[tensor([False, True])], data[[False, True]])
    g = grad_of(x, lambda t: t[t.detach() < 0])
    assert_close(g, np.array([[0.0, 1.0, 0.0], [2.0, 0.0, 3.0]]))


def test_assignment_basic_integer_and_boolean() -> None:
    x = tinytorch.zeros(3, 4)
    x[0] = 1.0
    x[1, 1:3] = tensor([2.0, 3.0])
    x[tensor([2, 2])] = 4.0
    x[x == 0] = -1.0
    assert x.tolist() == [[1, 1, 1, 1], [-1, 2, 3, -1], [4, 4, 4, 4]]


def test_assignment_gradients() -> None:
    a = tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    v = tensor([10.0, 20.0], requires_grad=True)
    y = a * 1
    y[:, 1] = v  # y[0, 1] = v[0], y[1, 1] = v[1]
    mask = tensor([[True, False, False], [False, False, True]])
    y[mask] = 0.0
    assert y.tolist() == [[0.0, 10.0, 2.0], [3.0, 20.0, 0.0]]
    (y * tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    assert a.grad.tolist() == [[0.0, 0.0, 3.0], [4.0, 0.0, 0.0]]  # overwritten places get nothing
    assert v.grad.tolist() == [2.0, 5.0]


def test_assignment_into_a_tensor_without_grad_records_the_value() -> None:
    buffer = tinytorch.zeros(2, 2)
    v = tensor([1.0, 2.0], requires_grad=True)
    buffer[1] = v * 3
    assert buffer.requires_grad and not buffer.is_leaf
    buffer.sum().backward()
    assert v.grad.tolist() == [3.0, 3.0]


def test_iteration_yields_rows() -> None:
    rows = list(tensor([[1, 2], [3, 4]]))
    assert [r.tolist() for r in rows] == [[1, 2], [3, 4]]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(tensor(1.0))
