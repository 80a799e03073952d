"""Property tests (Hypothesis): broadcasting arithmetic and reductions on random shapes, forward
against NumPy and backward against gradients written out by hand."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinytorch
from tinytorch.autograd import unbroadcast
from tinytorch.testing import assert_close

SETTINGS = settings(max_examples=60, deadline=None)  # no deadline: the machine is shared


def sum_to_shape(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The gradient of broadcasting, by hand: add up the leading axes, then the axes that were 1."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g


def floats(shape: tuple[int, ...], nonzero: bool = False) -> st.SearchStrategy[np.ndarray]:
    elements = st.floats(-4, 4, allow_nan=False, allow_subnormal=False)
    if nonzero:
        elements = elements.filter(lambda v: abs(v) > 0.25)
    return hnp.arrays(np.float64, shape, elements=elements)


@st.composite
def operand_pairs(draw: st.DrawFn, nonzero_b: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two arrays of mutually broadcastable random shapes, and random weights of the result's shape."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4))
    a = draw(floats(shapes.input_shapes[0]))
    b = draw(floats(shapes.input_shapes[1], nonzero=nonzero_b))
    w = draw(floats(shapes.result_shape))
    return a, b, w


def run(op, a: np.ndarray, b: np.ndarray, w: np.ndarray):
    """out = op(a, b); backward of (out * w).sum(); returns out, da, db as arrays."""
    ta, tb = tinytorch.tensor(a, requires_grad=True), tinytorch.tensor(b, requires_grad=True)
    out = op(ta, tb)
    (out * tinytorch.tensor(w)).sum().backward()
    return out.data, ta.grad.data, tb.grad.data


@SETTINGS
@given(operand_pairs())
def test_unbroadcast_sums_the_copied_axes(case: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    a, _, w = case
    assert_close(unbroadcast(w, a.shape), sum_to_shape(w, a.shape))


@SETTINGS
@given(operand_pairs())
def test_add_sub_mul(case: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    a, b, w = case
    out, da, db = run(lambda x, y: x + y, a, b, w)
    assert_close(out, a + b)
    assert_close(da, sum_to_shape(w, a.shape))
    assert_close(db, sum_to_shape(w, b.shape))

    out, da, db = run(lambda x, y: x - y, a, b, w)
    assert_close(out, a - b)
    assert_close(da, sum_to_shape(w, a.shape))
    assert_close(db, sum_to_shape(-w, b.shape))

    out, da, db = run(lambda x, y: x * y, a, b, w)
    assert_close(out, a * b)
    assert_close(da, sum_to_shape(w * b, a.shape))
    assert_close(db, sum_to_shape(w * a, b.shape))


@SETTINGS
@given(operand_pairs(nonzero_b=True))
def test_div(case: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    a, b, w = case
    out, da, db = run(lambda x, y: x / y, a, b, w)
    assert_close(out, a / b)
    assert_close(da, sum_to_shape(w / b, a.shape))
    assert_close(db, sum_to_shape(-w * a / b**2, b.shape))


@SETTINGS
@given(operand_pairs())
def test_maximum_and_minimum_split_ties_evenly(case: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    a, b, w = case
    out, da, db = run(tinytorch.maximum, a, b, w)
    share = (a > b) + 0.5 * (a == b)  # PyTorch's convention: a tie sends half to each side
    assert_close(out, np.maximum(a, b))
    assert_close(da, sum_to_shape(w * share, a.shape))
    assert_close(db, sum_to_shape(w * (1 - share), b.shape))

    out, da, db = run(tinytorch.minimum, a, b, w)
    share = (a < b) + 0.5 * (a == b)
    assert_close(out, np.minimum(a, b))
    assert_close(da, sum_to_shape(w * share, a.shape))
    assert_close(db, sum_to_shape(w * (1 - share), b.shape))


@SETTINGS
@given(st.data())
def test_where(data: st.DataObject) -> None:
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=4, max_side=4))
    cond_shape, a_shape, b_shape = shapes.input_shapes
    cond = data.draw(hnp.arrays(np.bool_, cond_shape))
    a, b = data.draw(floats(a_shape)), data.draw(floats(b_shape))
    w = data.draw(floats(shapes.result_shape))
    out, da, db = run(lambda x, y: tinytorch.where(tinytorch.tensor(cond), x, y), a, b, w)
    assert_close(out, np.where(cond, a, b))
    assert_close(da, sum_to_shape(np.where(cond, w, 0.0), a.shape))
    assert_close(db, sum_to_shape(np.where(cond, 0.0, w), b.shape))


@st.composite
def reductions(draw: st.DrawFn, unique: bool = False) -> tuple[np.ndarray, int | tuple[int, ...] | None, bool]:
    """An array of 1-4 dims, and the dims to reduce: None, one (maybe negative) dim, or a tuple."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, max_side=4))
    elements = st.floats(-4, 4, allow_nan=False, allow_subnormal=False)
    x = draw(hnp.arrays(np.float64, shape, elements=elements, unique=unique))
    ndim = len(shape)
    dim = draw(st.one_of(
        st.none(),
        st.integers(-ndim, ndim - 1),
        st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple),
    ))
    return x, dim, draw(st.booleans())


def reduce_run(x: np.ndarray, fn):
    t = tinytorch.tensor(x, requires_grad=True)
    out = fn(t)
    w = np.random.default_rng(0).standard_normal(out.shape)
    (out * tinytorch.tensor(w)).sum().backward()
    return out.data, w, t.grad.data


def spread(w: np.ndarray, x: np.ndarray, dim, keepdim: bool) -> np.ndarray:
    """The output-shaped weights put back in the input's rank, ready to broadcast against x."""
    if dim is None:
        return w.reshape((1,) * x.ndim)
    if not keepdim:
        w = np.expand_dims(w, tuple(d % x.ndim for d in np.atleast_1d(dim)))
    return w


@SETTINGS
@given(reductions())
def test_sum_and_mean(case) -> None:
    x, dim, keepdim = case
    out, w, g = reduce_run(x, lambda t: t.sum(dim=dim, keepdim=keepdim))
    assert_close(out, np.sum(x, axis=dim, keepdims=keepdim))
    assert_close(g, np.broadcast_to(spread(w, x, dim, keepdim), x.shape))

    out, w, g = reduce_run(x, lambda t: t.mean(dim=dim, keepdim=keepdim))
    expected = np.mean(x, axis=dim, keepdims=keepdim)
    assert_close(out, expected)
    count = x.size // max(np.size(expected), 1)
    assert_close(g, np.broadcast_to(spread(w, x, dim, keepdim) / count, x.shape))


@SETTINGS
@given(reductions(unique=True))
def test_max_min_and_logsumexp(case) -> None:
    x, dim, keepdim = case
    if isinstance(dim, tuple):
        dim = dim[0]  # max/min reduce one dim (or all), as in PyTorch
    values = (lambda r: r) if dim is None else (lambda r: r.values)

    out, w, g = reduce_run(x, lambda t: values(t.max(dim=dim, keepdim=keepdim)))
    assert_close(out, np.max(x, axis=dim, keepdims=keepdim))
    winner = x == np.max(x, axis=dim, keepdims=True)  # unique values: one winner per slice
    assert_close(g, np.where(winner, spread(w, x, dim, keepdim), 0.0))

    out, w, g = reduce_run(x, lambda t: values(t.min(dim=dim, keepdim=keepdim)))
    assert_close(out, np.min(x, axis=dim, keepdims=keepdim))
    winner = x == np.min(x, axis=dim, keepdims=True)
    assert_close(g, np.where(winner, spread(w, x, dim, keepdim), 0.0))

    out, w, g = reduce_run(x, lambda t: t.logsumexp(dim=dim, keepdim=keepdim))
    peak = np.max(x, axis=dim, keepdims=True)
    lse = np.log(np.sum(np.exp(x - peak), axis=dim, keepdims=True)) + peak
    assert_close(out, lse if keepdim else np.squeeze(lse, axis=dim))
    assert_close(g, spread(w, x, dim, keepdim) * np.exp(x - lse))


@SETTINGS
@given(reductions())
def test_var(case) -> None:
    x, dim, keepdim = case
    out, w, g = reduce_run(x, lambda t: t.var(dim=dim, keepdim=keepdim, correction=0))
    mean = np.mean(x, axis=dim, keepdims=True)
    count = x.size // np.mean(x, axis=dim, keepdims=keepdim).size
    assert_close(out, np.var(x, axis=dim, keepdims=keepdim))
    assert_close(g, spread(w, x, dim, keepdim) * 2 * (x - mean) / count, atol=1e-9)
