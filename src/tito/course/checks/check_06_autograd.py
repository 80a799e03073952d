"""Module 06 check: the backward engine and the gradient of every differentiable operation.

The engine (unbroadcast, topological order, accumulation) is checked first, on small Functions
defined here whose gradients are known, so an engine bug is reported as an engine bug and not as a
wrong derivative of some op. Then each op's backward is checked on its own: the output is seeded
with a random gradient G (no `.sum()` in between, so no other op's backward is involved) and the
input gradients are compared with the closed-form derivative computed in float64 NumPy.
"""

from __future__ import annotations

import math

import numpy as np

import tinytorch
from tinytorch import ops
from tinytorch.autograd import Function, topological_order, unbroadcast
from tinytorch.nn import functional as F
from tinytorch.tensor import _apply
from tito.course.checks._helpers import assert_close, assert_equal, assert_shape, exercise, fail

UNBROADCAST = exercise("unbroadcast")
TOPOLOGICAL = exercise("topological_order")
ACCUMULATE = exercise("accumulate")
ADD, SUB, MUL, DIV = (exercise(f"{op}.backward") for op in ("Add", "Sub", "Mul", "Div"))
NEG, POW, EXP, LOG = (exercise(f"{op}.backward") for op in ("Neg", "Pow", "Exp", "Log"))
SQRT, ABS = exercise("Sqrt.backward"), exercise("Abs.backward")
RELU, LEAKY_RELU = exercise("ReLU.backward"), exercise("LeakyReLU.backward")
SIGMOID, TANH = exercise("Sigmoid.backward"), exercise("Tanh.backward")
GELU, SILU = exercise("GELU.backward"), exercise("SiLU.backward")
SOFTMAX, LOG_SOFTMAX = exercise("Softmax.backward"), exercise("LogSoftmax.backward")
MATMUL = exercise("MatMul.backward")
SUM, MEAN, MAX = exercise("Sum.backward"), exercise("Mean.backward"), exercise("Max.backward")
RESHAPE, PERMUTE = exercise("Reshape.backward"), exercise("Permute.backward")
GETITEM, CAT = exercise("GetItem.backward"), exercise("Cat.backward")
LINEAR = exercise("LinearFunction.backward")
CROSS_ENTROPY = exercise("CrossEntropy.backward")
BCE = exercise("BinaryCrossEntropy.backward")
BCE_LOGITS = exercise("BinaryCrossEntropyWithLogits.backward")

RNG = np.random.default_rng(6)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((3, 4))
G = RNG.standard_normal((3, 4))  # the seed gradient d(loss)/d(output)
POSITIVE = RNG.uniform(0.5, 2.0, (3, 4))
TOL = {"rtol": 1e-7, "atol": 1e-9}


def _leaf(values) -> tinytorch.Tensor:
    return tinytorch.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def _grad(t: tinytorch.Tensor):
    return None if t.grad is None else t.grad.data


class Double(Function):
    """out = 2a (a Function of this check, so engine tests rely on no op of the course)."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        return 2 * a

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (2 * grad,)


class Join(Function):
    """out = a + b, broadcasting; each input gets the output's gradient, in the broadcast shape."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return grad, grad


def _direct_backward(function: type[Function], arrays: list[np.ndarray], seed: np.ndarray, ex, what: str,
                     **options) -> None:
    """Run `function`'s forward and backward on arrays, without the engine: one gradient per input,
    each of its input's shape (an op that moves data around must move the gradient back exactly)."""
    node = function()
    node.forward(*arrays, **options)
    node.inputs = tuple(object() for _ in arrays)  # every input wants a gradient
    grads = node.backward(seed)
    if grads is None or len(grads) != len(arrays):
        fail(f"{what}: backward must return one gradient per input", ex, expected=len(arrays),
             got=None if grads is None else len(grads))
    for i, (grad, array) in enumerate(zip(grads, arrays, strict=True)):
        assert_shape(grad, array.shape, ex, f"{what}: the gradient of input {i}")


def _double(t):
    return _apply(Double, t)


def _join(a, b):
    return _apply(Join, a, b)


# ------------------------------------------------------------------------------------ unbroadcast


def test_unbroadcast_sums_added_and_stretched_axes():
    grad = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    assert_close(unbroadcast(grad, (3, 1)), grad.sum(axis=(0, 2)).reshape(3, 1), UNBROADCAST,
                 "unbroadcast(grad (2, 3, 4), (3, 1))")
    assert_close(unbroadcast(grad, (4,)), grad.sum(axis=(0, 1)), UNBROADCAST, "unbroadcast(grad (2, 3, 4), (4,))")
    assert_close(unbroadcast(grad, (2, 1, 4)), grad.sum(axis=1, keepdims=True), UNBROADCAST,
                 "unbroadcast(grad (2, 3, 4), (2, 1, 4))")
    assert_close(unbroadcast(grad, ()), grad.sum(), UNBROADCAST, "unbroadcast(grad (2, 3, 4), ()) (a 0-d input)")
    assert_close(unbroadcast(grad, (2, 3, 4)), grad, UNBROADCAST, "unbroadcast to the same shape")


# ------------------------------------------------------------------------------ topological_order


def test_topological_order_of_a_diamond_holds_each_node_once_consumers_first():
    x = _leaf([1.0, 2.0])
    y = _double(x)  # y is used twice below
    z = _join(y, _double(y))
    order = topological_order(z.grad_fn)
    assert_equal(len(order), 3, TOPOLOGICAL, "number of nodes in topological_order(z) for z = y + 2y, y = 2x")
    if order[0] is not z.grad_fn:
        fail("topological_order(root) must start with the root's own Function", TOPOLOGICAL,
             expected=z.grad_fn.name, got=[node.name for node in order])
    position = {id(node): i for i, node in enumerate(order)}
    if len(position) != 3 or position.get(id(y.grad_fn), -1) < position.get(id(z.grad_fn.inputs[1].grad_fn), 99):
        fail("y's Function must come after every Function that uses y (the Join and the second Double)",
             TOPOLOGICAL, expected="[Join, Double (of y), Double (of x)]", got=[node.name for node in order])


def test_topological_order_of_a_long_chain_needs_no_recursion():
    x = _leaf([1.0])
    t = x
    for _ in range(5000):  # far deeper than Python's recursion limit
        t = _apply(Join, t, tinytorch.tensor([0.0], dtype=tinytorch.float64))
    order = topological_order(t.grad_fn)
    assert_equal(len(order), 5000, TOPOLOGICAL, "len(topological_order(...)) of a chain of 5000 Functions")
    if order[0] is not t.grad_fn or order[-1].inputs[0] is not x:
        fail("the chain's order must run from the output back to the input", TOPOLOGICAL,
             expected="the last Function first", got="another order")


# ----------------------------------------------------------------------------------- accumulate


def test_accumulate_adds_the_gradients_of_a_tensor_used_twice():
    x = _leaf([1.0, -2.0, 3.0])
    _join(x, x).backward(np.ones(3))
    assert_close(_grad(x), [2.0, 2.0, 2.0], ACCUMULATE, "x.grad for z = x + x (x used twice)")


def test_accumulate_sums_into_an_inner_node_before_it_runs():
    x = _leaf([1.0, 2.0])
    y = _double(x)
    z = _join(y, _double(y))  # z = 2x + 4x
    z.backward(np.ones(2))
    assert_close(_grad(x), [6.0, 6.0], ACCUMULATE, "x.grad for z = y + 2y with y = 2x (y's two gradients add up)")


def test_accumulate_into_grad_across_backward_calls():
    x = _leaf([1.0, 2.0])
    _double(x).backward(np.ones(2))
    _double(x).backward(np.ones(2))
    assert_close(_grad(x), [4.0, 4.0], ACCUMULATE, "x.grad after two backward passes of 2x (gradients accumulate)")


def test_accumulate_for_autograd_grad_leaves_grad_alone():
    x = _leaf([1.0, 2.0])
    y = _double(x)
    (got,) = tinytorch.autograd.grad(_join(y, _double(y)), [x], grad_outputs=np.ones(2))
    assert_close(got, [6.0, 6.0], ACCUMULATE, "tinytorch.autograd.grad(y + 2y, [x]) with y = 2x")
    if x.grad is not None:
        fail("autograd.grad must not write x.grad", ACCUMULATE, expected=None, got=x.grad)


def test_engine_sums_broadcast_gradients_down_to_the_input_shape():
    a = _leaf(np.ones((2, 3)))
    b = _leaf([1.0, 2.0, 3.0])
    _join(a, b).backward(np.ones((2, 3)))
    assert_close(_grad(b), [2.0, 2.0, 2.0], UNBROADCAST, "b.grad for a (2, 3) + b (3,), seed ones")


# ------------------------------------------------------------------------- element-wise arithmetic


def test_add_backward():
    a, b = _leaf(A), _leaf(B)
    (a + b).backward(G)
    assert_close(_grad(a), G, ADD, "d(a + b)/da", **TOL)
    assert_close(_grad(b), G, ADD, "d(a + b)/db", **TOL)


def test_add_backward_with_a_broadcast_row():
    a, row = _leaf(A), _leaf(B[0])
    (a + row).backward(G)
    assert_close(_grad(row), G.sum(axis=0), ADD, "d(a (3, 4) + row (4,))/drow", **TOL)


def test_sub_backward():
    a, b = _leaf(A), _leaf(B)
    (a - b).backward(G)
    assert_close(_grad(a), G, SUB, "d(a - b)/da", **TOL)
    assert_close(_grad(b), -G, SUB, "d(a - b)/db", **TOL)


def test_mul_backward():
    a, b = _leaf(A), _leaf(B)
    (a * b).backward(G)
    assert_close(_grad(a), G * B, MUL, "d(a * b)/da = b", **TOL)
    assert_close(_grad(b), G * A, MUL, "d(a * b)/db = a", **TOL)


def test_div_backward():
    a, b = _leaf(A), _leaf(POSITIVE)
    (a / b).backward(G)
    assert_close(_grad(a), G / POSITIVE, DIV, "d(a / b)/da = 1 / b", **TOL)
    assert_close(_grad(b), -G * A / POSITIVE**2, DIV, "d(a / b)/db = -a / b**2", **TOL)


def test_neg_backward():
    a = _leaf(A)
    (-a).backward(G)
    assert_close(_grad(a), -G, NEG, "d(-a)/da", **TOL)


def test_pow_backward():
    a, b = _leaf(POSITIVE), _leaf(B)
    (a**b).backward(G)
    assert_close(_grad(a), G * B * POSITIVE ** (B - 1), POW, "d(a ** b)/da = b * a**(b - 1)", **TOL)
    assert_close(_grad(b), G * POSITIVE**B * np.log(POSITIVE), POW, "d(a ** b)/db = a**b * log(a)", **TOL)
    c = _leaf(A)
    (c**3).backward(G)
    assert_close(_grad(c), G * 3 * A**2, POW, "d(a ** 3)/da = 3 a**2", **TOL)


def test_exp_backward():
    a = _leaf(A)
    a.exp().backward(G)
    assert_close(_grad(a), G * np.exp(A), EXP, "d(exp(a))/da = exp(a)", **TOL)


def test_log_backward():
    a = _leaf(POSITIVE)
    a.log().backward(G)
    assert_close(_grad(a), G / POSITIVE, LOG, "d(log(a))/da = 1 / a", **TOL)


def test_sqrt_backward():
    a = _leaf(POSITIVE)
    a.sqrt().backward(G)
    assert_close(_grad(a), G / (2 * np.sqrt(POSITIVE)), SQRT, "d(sqrt(a))/da = 1 / (2 sqrt(a))", **TOL)


def test_abs_backward():
    a = _leaf(A)
    a.abs().backward(G)
    assert_close(_grad(a), G * np.sign(A), ABS, "d|a|/da = sign(a)", **TOL)


# ------------------------------------------------------------------------------------ activations


def test_relu_backward():
    a = _leaf(A)
    F.relu(a).backward(G)
    assert_close(_grad(a), G * (A > 0), RELU, "d relu(a)/da = 1 where a > 0, else 0", **TOL)


def test_leaky_relu_backward():
    a = _leaf(A)
    F.leaky_relu(a, 0.1).backward(G)
    assert_close(_grad(a), G * np.where(A > 0, 1.0, 0.1), LEAKY_RELU, "d leaky_relu(a, 0.1)/da = 1 or 0.1", **TOL)


def test_sigmoid_backward():
    a = _leaf(A)
    F.sigmoid(a).backward(G)
    s = 1 / (1 + np.exp(-A))
    assert_close(_grad(a), G * s * (1 - s), SIGMOID, "d sigmoid(a)/da = s (1 - s)", **TOL)


def test_tanh_backward():
    a = _leaf(A)
    F.tanh(a).backward(G)
    assert_close(_grad(a), G * (1 - np.tanh(A) ** 2), TANH, "d tanh(a)/da = 1 - tanh(a)**2", **TOL)


def test_gelu_backward_exact_and_tanh():
    a = _leaf(A)
    F.gelu(a).backward(G)
    cdf = np.vectorize(lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2))))(A)
    pdf = np.exp(-0.5 * A**2) / math.sqrt(2 * math.pi)
    assert_close(_grad(a), G * (cdf + A * pdf), GELU, "d gelu(a)/da = Phi(a) + a phi(a)", rtol=1e-6, atol=1e-8)
    b = _leaf(A)
    F.gelu(b, approximate="tanh").backward(G)
    c = math.sqrt(2 / math.pi)
    t = np.tanh(c * (A + 0.044715 * A**3))
    expected = 0.5 * (1 + t) + 0.5 * A * (1 - t**2) * c * (1 + 3 * 0.044715 * A**2)
    assert_close(_grad(b), G * expected, GELU, "d gelu(a, approximate='tanh')/da", **TOL)


def test_silu_backward():
    a = _leaf(A)
    F.silu(a).backward(G)
    s = 1 / (1 + np.exp(-A))
    assert_close(_grad(a), G * (s + A * s * (1 - s)), SILU, "d (a sigmoid(a))/da = s + a s (1 - s)", **TOL)


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_softmax_backward_uses_the_full_jacobian():
    for dim in (1, 0):
        a = _leaf(A)
        F.softmax(a, dim=dim).backward(G)
        s, g = np.moveaxis(_softmax(A, dim), dim, -1), np.moveaxis(G, dim, -1)  # softmax along the last axis
        jacobian = np.einsum("...i,ij->...ij", s, np.eye(s.shape[-1])) - s[..., :, None] * s[..., None, :]
        expected = np.moveaxis(np.einsum("...ij,...i->...j", jacobian, g), -1, dim)
        assert_close(_grad(a), expected, SOFTMAX, f"d softmax(a, dim={dim})/da (Jacobian diag(s) - s sᵀ)", **TOL)


def test_log_softmax_backward():
    for dim in (1, 0):
        a = _leaf(A)
        F.log_softmax(a, dim=dim).backward(G)
        expected = G - _softmax(A, dim) * G.sum(axis=dim, keepdims=True)
        assert_close(_grad(a), expected, LOG_SOFTMAX, f"d log_softmax(a, dim={dim})/da = G - softmax * sum(G)", **TOL)


# --------------------------------------------------------------------------------------- matmul


def test_matmul_backward_of_matrices():
    square = RNG.standard_normal((4, 4))
    a, b = _leaf(A), _leaf(square)
    (a @ b).backward(G)
    assert_close(_grad(a), G @ square.T, MATMUL, "d(a @ b)/da = G @ bᵀ for a (3, 4), b (4, 4)", **TOL)
    assert_close(_grad(b), A.T @ G, MATMUL, "d(a @ b)/db = aᵀ @ G for a (3, 4), b (4, 4)", **TOL)
    wide = RNG.standard_normal((4, 2))
    _direct_backward(ops.MatMul, [A, wide], RNG.standard_normal((3, 2)), MATMUL, "ops.MatMul on (3, 4) @ (4, 2)")
    c, d = _leaf(A), _leaf(wide)
    seed = RNG.standard_normal((3, 2))
    (c @ d).backward(seed)
    assert_close(_grad(c), seed @ wide.T, MATMUL, "d(a @ b)/da for a (3, 4), b (4, 2)", **TOL)
    assert_close(_grad(d), A.T @ seed, MATMUL, "d(a @ b)/db for a (3, 4), b (4, 2)", **TOL)


def test_matmul_backward_with_vectors_and_batches():
    v, m = _leaf(A[:, 0]), _leaf(A)
    seed = RNG.standard_normal(4)
    (v @ m).backward(seed)
    assert_close(_grad(v), A @ seed, MATMUL, "d(v @ m)/dv for v (3,), m (3, 4)", **TOL)
    assert_close(_grad(m), np.outer(A[:, 0], seed), MATMUL, "d(v @ m)/dm for v (3,), m (3, 4)", **TOL)
    batch = RNG.standard_normal((2, 3, 4))
    x, w = _leaf(batch), _leaf(B.T)  # (2, 3, 4) @ (4, 3)
    seed = RNG.standard_normal((2, 3, 3))
    (x @ w).backward(seed)
    assert_close(_grad(x), seed @ B, MATMUL, "d(x @ w)/dx for x (2, 3, 4), w (4, 3)", **TOL)
    assert_close(_grad(w), np.einsum("bij,bik->jk", batch, seed), MATMUL,
                 "d(x @ w)/dw for x (2, 3, 4), w (4, 3): summed over the batch", **TOL)


# ----------------------------------------------------------------------------------- reductions


def test_sum_backward_spreads_the_gradient_over_the_reduced_axes():
    x3 = RNG.standard_normal((2, 3, 4))
    seed = RNG.standard_normal((2, 4))
    _direct_backward(ops.Sum, [x3], seed, SUM, "ops.Sum over dim=1 of a (2, 3, 4) array", dim=1)
    a = _leaf(x3)
    a.sum(dim=1).backward(seed)
    assert_close(_grad(a), np.broadcast_to(seed[:, None, :], (2, 3, 4)), SUM, "d a.sum(dim=1)/da", **TOL)
    b = _leaf(x3)
    b.sum(dim=(0, 2), keepdim=True).backward(np.array([[[1.0], [2.0], [3.0]]]))
    expected = np.broadcast_to(np.array([1.0, 2.0, 3.0])[None, :, None], (2, 3, 4))
    assert_close(_grad(b), expected, SUM, "d a.sum(dim=(0, 2), keepdim=True)/da", **TOL)
    c = _leaf(x3)
    c.sum().backward()
    assert_close(_grad(c), np.ones((2, 3, 4)), SUM, "d a.sum()/da", **TOL)


def test_mean_backward_divides_by_the_count():
    x3 = RNG.standard_normal((2, 3, 4))
    a = _leaf(x3)
    seed = RNG.standard_normal(3)
    a.mean(dim=(0, 2)).backward(seed)
    assert_close(_grad(a), np.broadcast_to(seed[None, :, None] / 8, (2, 3, 4)), MEAN, "d a.mean(dim=(0, 2))/da", **TOL)
    b = _leaf(x3)
    b.mean().backward()
    assert_close(_grad(b), np.full((2, 3, 4), 1 / 24), MEAN, "d a.mean()/da", **TOL)


def test_max_backward_goes_to_the_winners_and_splits_ties():
    a = _leaf([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]])
    a.amax(dim=1).backward(np.array([4.0, 5.0]))
    assert_close(_grad(a), [[0.0, 2.0, 2.0], [5.0, 0.0, 0.0]], MAX, "d a.amax(dim=1)/da with a tie in row 0", **TOL)
    first = _leaf([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]])
    first.max(dim=1).values.backward(np.array([4.0, 5.0]))  # max(dim) returns index 1 for row 0: it alone gets 4
    assert_close(_grad(first), [[0.0, 4.0, 0.0], [5.0, 0.0, 0.0]], MAX, "d a.max(dim=1).values/da with a tie", **TOL)
    b = _leaf([[1.0, 7.0], [7.0, 2.0]])
    b.max().backward()
    assert_close(_grad(b), [[0.0, 0.5], [0.5, 0.0]], MAX, "d a.max()/da with two winners", **TOL)
    c = _leaf(A)
    c.max(dim=0, keepdim=True).values.backward(G[:1])
    assert_close(_grad(c), (A == A.max(axis=0, keepdims=True)) * G[:1], MAX, "d a.max(dim=0, keepdim=True)/da", **TOL)


# ------------------------------------------------------------------------------- shape and indexing


def test_reshape_backward():
    seed = RNG.standard_normal((2, 6))
    _direct_backward(ops.Reshape, [A], seed, RESHAPE, "ops.Reshape of (3, 4) to (2, 6)", shape=(2, 6))
    a = _leaf(A)
    a.reshape(2, 6).backward(seed)
    assert_close(_grad(a), seed.reshape(3, 4), RESHAPE, "d a.reshape(2, 6)/da for a (3, 4) (row-major order)", **TOL)


def test_permute_backward_applies_the_inverse_permutation():
    x3 = RNG.standard_normal((2, 3, 4))
    seed = RNG.standard_normal((3, 4, 2))
    _direct_backward(ops.Permute, [x3], seed, PERMUTE, "ops.Permute of (2, 3, 4) by (1, 2, 0)", dims=(1, 2, 0))
    a = _leaf(x3)
    a.permute(1, 2, 0).backward(seed)
    assert_close(_grad(a), seed.transpose(2, 0, 1), PERMUTE, "d a.permute(1, 2, 0)/da for a (2, 3, 4)", **TOL)
    b = _leaf(A)
    b.T.backward(G.T)
    assert_close(_grad(b), G, PERMUTE, "d a.T/da", **TOL)


def test_getitem_backward_adds_where_an_index_repeats():
    a = _leaf([1.0, 2.0, 3.0, 4.0, 5.0])
    index = np.array([0, 2, 2, 4, 2])
    a[index].backward(np.array([1.0, 10.0, 100.0, 1000.0, 10000.0]))
    assert_close(_grad(a), [1.0, 0.0, 10110.0, 0.0, 1000.0], GETITEM, "d a[[0, 2, 2, 4, 2]]/da (index 2 three times)",
                 **TOL)
    b = _leaf(A)
    b[1:, ::2].backward(G[1:, ::2])
    expected = np.zeros((3, 4))
    expected[1:, ::2] = G[1:, ::2]
    assert_close(_grad(b), expected, GETITEM, "d a[1:, ::2]/da", **TOL)


def test_cat_backward_splits_the_gradient():
    seed = RNG.standard_normal((2, 7))
    _direct_backward(ops.Cat, [A[:2, :3], B[:2]], seed, CAT, "ops.Cat of (2, 3) and (2, 4) along dim=1", dim=1)
    a, b = _leaf(A[:2, :3]), _leaf(B[:2])
    tinytorch.cat([a, b], dim=1).backward(seed)
    assert_close(_grad(a), seed[:, :3], CAT, "d cat([a (2, 3), b (2, 4)], dim=1)/da", **TOL)
    assert_close(_grad(b), seed[:, 3:], CAT, "d cat([a (2, 3), b (2, 4)], dim=1)/db", **TOL)


# ---------------------------------------------------------------------------------------- linear


def test_linear_function_backward():
    x3 = RNG.standard_normal((2, 5, 3))
    w4 = RNG.standard_normal((4, 3))
    x, w, b = _leaf(x3), _leaf(w4), _leaf([0.1, 0.2, 0.3, 0.4])
    seed = RNG.standard_normal((2, 5, 4))
    F.linear(x, w, b).backward(seed)
    assert_close(_grad(x), seed @ w4, LINEAR, "d linear(x (2, 5, 3), W (4, 3), b)/dx = G @ W", **TOL)
    assert_close(_grad(w), np.einsum("bto,bti->oi", seed, x3), LINEAR,
                 "d linear/dW = Gᵀ @ x summed over every leading dim", **TOL)
    assert_close(_grad(b), seed.sum(axis=(0, 1)), LINEAR, "d linear/db = G summed over every leading dim", **TOL)


# ---------------------------------------------------------------------------------------- losses


LOGITS = RNG.standard_normal((6, 4)) * 2
LABELS = np.array([0, 3, 1, 1, 2, 3])
ONEHOT = np.eye(4)[LABELS]


def test_cross_entropy_backward_is_softmax_minus_target():
    logits = _leaf(LOGITS)
    F.cross_entropy(logits, tinytorch.tensor(LABELS)).backward()
    assert_close(_grad(logits), (_softmax(LOGITS, 1) - ONEHOT) / 6, CROSS_ENTROPY,
                 "d cross_entropy(logits (6, 4), y)/dlogits = (softmax - onehot) / N", **TOL)
    seed = RNG.standard_normal(6)
    none = _leaf(LOGITS)
    F.cross_entropy(none, tinytorch.tensor(LABELS), reduction="none").backward(seed)
    assert_close(_grad(none), seed[:, None] * (_softmax(LOGITS, 1) - ONEHOT), CROSS_ENTROPY,
                 "d cross_entropy(..., reduction='none')/dlogits", **TOL)


def test_cross_entropy_backward_with_weights_ignored_rows_and_smoothing():
    weight = np.array([1.0, 2.0, 0.5, 3.0])
    labels = LABELS.copy()
    labels[2] = -100
    keep = (labels != -100)[:, None]
    w_rows = weight[np.where(keep[:, 0], labels, 0)] * keep[:, 0]
    logits = _leaf(LOGITS)
    F.cross_entropy(logits, tinytorch.tensor(labels), weight=tinytorch.tensor(weight)).backward()
    onehot = np.eye(4)[np.where(keep[:, 0], labels, 0)]
    expected = w_rows[:, None] * (_softmax(LOGITS, 1) - onehot) / w_rows.sum()
    assert_close(_grad(logits), expected, CROSS_ENTROPY,
                 "d cross_entropy(..., weight=[1, 2, 0.5, 3], row 2 ignored)/dlogits", **TOL)
    smooth = _leaf(LOGITS)
    F.cross_entropy(smooth, tinytorch.tensor(LABELS), label_smoothing=0.2).backward()
    target = 0.8 * ONEHOT + 0.2 / 4
    assert_close(_grad(smooth), (_softmax(LOGITS, 1) - target) / 6, CROSS_ENTROPY,
                 "d cross_entropy(..., label_smoothing=0.2)/dlogits", **TOL)


def test_binary_cross_entropy_backward():
    p = RNG.uniform(0.05, 0.95, (3, 4))
    t = (RNG.uniform(size=(3, 4)) > 0.5).astype(np.float64)
    probs = _leaf(p)
    F.binary_cross_entropy(probs, tinytorch.tensor(t), reduction="none").backward(G)
    assert_close(_grad(probs), G * (p - t) / (p * (1 - p)), BCE, "d bce(p, t)/dp = (p - t) / (p (1 - p))", **TOL)
    weight = RNG.uniform(size=4)
    weighted = _leaf(p)
    F.binary_cross_entropy(weighted, tinytorch.tensor(t), weight=tinytorch.tensor(weight), reduction="none").backward(G)
    assert_close(_grad(weighted), weight * G * (p - t) / (p * (1 - p)), BCE, "d bce(p, t, weight)/dp", **TOL)


def test_binary_cross_entropy_with_logits_backward():
    t = (RNG.uniform(size=(3, 4)) > 0.5).astype(np.float64)
    s = 1 / (1 + np.exp(-A))
    x = _leaf(A)
    F.binary_cross_entropy_with_logits(x, tinytorch.tensor(t), reduction="none").backward(G)
    assert_close(_grad(x), G * (s - t), BCE_LOGITS, "d bce_with_logits(x, t)/dx = sigmoid(x) - t", **TOL)
    pos_weight = np.array([3.0, 0.5, 2.0, 1.0])
    y = _leaf(A)
    F.binary_cross_entropy_with_logits(y, tinytorch.tensor(t), reduction="none",
                                       pos_weight=tinytorch.tensor(pos_weight)).backward(G)
    expected = G * ((1 + (pos_weight - 1) * t) * s - pos_weight * t)
    assert_close(_grad(y), expected, BCE_LOGITS, "d bce_with_logits(x, t, pos_weight=[3, 0.5, 2, 1])/dx", **TOL)

