"""Module 02 — the Tensor: an n-dimensional array that remembers how it was computed.

A `Tensor` holds a NumPy array in `.data`. Arithmetic on tensors runs a `Function` from
`tinytorch.ops` on the arrays and, when a gradient is wanted, links the result to that Function
(`.grad_fn`) so `backward()` can later walk the graph (module 06).
"""

from __future__ import annotations

import math
import string
from collections import namedtuple
from typing import Any, Iterable, Sequence

import numpy as np

from . import ops
from .autograd import engine
from .autograd.grad_mode import flags
from .random import Generator, rng_of

# dtypes are NumPy's own dtype objects
float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
int8 = np.dtype("int8")
uint8 = np.dtype("uint8")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
bool_ = np.dtype("bool")

_DEFAULT_FLOAT = [float32]
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}  # bool < integer < floating point

Shape = tuple[int, ...]
MinMax = namedtuple("MinMax", ["values", "indices"])
SortResult = namedtuple("SortResult", ["values", "indices"])  # what sort and topk return


def get_default_dtype() -> np.dtype:
    return _DEFAULT_FLOAT[0]


def set_default_dtype(dtype: Any) -> None:
    _DEFAULT_FLOAT[0] = np.dtype(dtype)


def _category(dtype: np.dtype) -> int:
    try:
        return _CATEGORY[dtype.kind]
    except KeyError:
        raise TypeError(f"tinytorch supports bool, integer and floating dtypes, not {dtype}") from None


def result_type(a: "Tensor", b: "Tensor") -> np.dtype:
    """The dtype of `a op b`, following PyTorch's promotion rules.

    A higher category (bool < int < float) wins; within one category the wider type wins, except
    that a 0-d tensor does not widen a tensor with dimensions (`x_f32 * tensor(2.0, f64)` is f32).
    """
    # BEGIN SOLUTION 02
    da, db = a.data.dtype, b.data.dtype
    if da == db:
        return da
    ca, cb = _category(da), _category(db)
    if ca != cb:
        return da if ca > cb else db
    if (a.data.ndim == 0) != (b.data.ndim == 0):
        return db if a.data.ndim == 0 else da
    return np.promote_types(da, db)
    # END SOLUTION


def _scalar_dtype(value: bool | int | float) -> np.dtype:
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (int, np.integer)):
        return int64
    if isinstance(value, (float, np.floating)):
        return _DEFAULT_FLOAT[0]
    raise TypeError(f"expected a Tensor or a Python number, got {type(value).__name__}")


class Tensor:
    """An n-dimensional array with automatic differentiation."""

    __slots__ = ("data", "grad", "requires_grad", "grad_fn", "__weakref__", "__dict__")
    __array_ufunc__ = None  # make `np.float32(2) * t` call Tensor.__rmul__ instead of NumPy

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        self.data = _to_array(data, dtype)
        self.grad: Tensor | None = None
        self.grad_fn: ops.Function | None = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_array(cls, array: np.ndarray) -> "Tensor":
        """Wrap an array without copying or converting it (a NumPy scalar becomes a 0-d array).

        NumPy returns scalars, not arrays, from full reductions and 0-d arithmetic; `.data` must
        always be an ndarray (writeable, with `.flags`), so they are wrapped here, once.
        """
        t = object.__new__(cls)
        t.data, t.grad, t.grad_fn, t.requires_grad = np.asarray(array), None, None, False
        return t

    # ------------------------------------------------------------------ properties

    @property
    def shape(self) -> Shape:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def T(self) -> "Tensor":
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> "Tensor":
        return self.transpose(-2, -1)

    def size(self, dim: int | None = None) -> Shape | int:
        return self.shape if dim is None else self.shape[dim]

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return int(self.data.size)

    def nbytes(self) -> int:
        return int(self.data.nbytes)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # ------------------------------------------------------------------ conversion

    def item(self) -> bool | int | float:
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors convert to a Python number, got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError("numpy: call .detach().numpy() on a tensor that requires grad")
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    def detach(self) -> "Tensor":
        """The same data, cut from the graph (no copy)."""
        return Tensor._from_array(self.data)

    def clone(self) -> "Tensor":
        # astype copies: a clone never shares memory with the original, with or without a graph
        return _apply(Cast, self, dtype=self.dtype) if self.requires_grad else Tensor._from_array(self.data.copy())

    def to(self, dtype: Any = None, *args: Any, **kwargs: Any) -> "Tensor":
        """Convert the dtype (device arguments like "cpu" are accepted and ignored)."""
        if dtype is None or isinstance(dtype, str) and dtype in ("cpu",):
            return self
        return self.astype(dtype)

    def astype(self, dtype: Any) -> "Tensor":
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        return _apply(Cast, self, dtype=dtype)

    def float(self) -> "Tensor":
        return self.astype(float32)

    def double(self) -> "Tensor":
        return self.astype(float64)

    def long(self) -> "Tensor":
        return self.astype(int64)

    def bool(self) -> "Tensor":
        return self.astype(bool_)

    def cpu(self) -> "Tensor":
        return self

    def contiguous(self) -> "Tensor":
        return self

    # ------------------------------------------------------------------ autograd

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and self.dtype.kind != "f":
            raise RuntimeError(f"requires_grad_: only floating point tensors can require gradients, not {self.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_: cannot turn off gradients of a non-leaf tensor; use .detach()")
        self.requires_grad = requires_grad
        return self

    def backward(self, gradient: Any = None, retain_graph: bool = False, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf that requires a gradient."""
        engine.refuse_create_graph(create_graph, "backward")
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad and has no grad_fn")
        engine.run_backward(self, self._seed_gradient(gradient, "backward"), retain_graph)

    def _seed_gradient(self, gradient: Any, op: str) -> np.ndarray:
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"{op}: a gradient can be created implicitly only for a scalar output, but this "
                    f"tensor has shape {self.shape}; pass gradient= (d loss / d output) of that shape"
                )
            return np.ones(self.shape, dtype=self.dtype)
        # a copy: the seed may end up as a leaf's .grad, which must not alias the caller's array
        seed = np.array(gradient.data if isinstance(gradient, Tensor) else gradient, dtype=self.dtype)
        if seed.shape != self.shape:
            raise RuntimeError(f"{op}: gradient has shape {seed.shape} but the output has shape {self.shape}")
        return seed

    def _accumulate_grad(self, grad: np.ndarray) -> None:
        """Add a gradient into `.grad` (called by the engine for leaves)."""
        # Keep the array unless another leaf already holds its memory (a view counts as its owner):
        # `.grad` may later be changed in place, e.g. by gradient clipping.
        owner = grad if grad.base is None else grad.base
        if grad.dtype != self.dtype or not grad.flags.writeable or not engine.claim(owner):
            grad = np.array(grad, dtype=self.dtype)
        if self.grad is None:
            self.grad = Tensor._from_array(grad)
        else:
            self.grad.data = np.asarray(self.grad.data + grad)  # 0-d + 0-d gives a NumPy scalar

    # ------------------------------------------------------------------ arithmetic

    def __add__(self, other: Any) -> "Tensor":
        return _apply(ops.Add, *_pair(self, other, op="add"))

    def __radd__(self, other: Any) -> "Tensor":
        return _apply(ops.Add, *_pair(other, self, op="add"))

    def __sub__(self, other: Any) -> "Tensor":
        return _apply(ops.Sub, *_pair(self, other, op="sub"))

    def __rsub__(self, other: Any) -> "Tensor":
        return _apply(ops.Sub, *_pair(other, self, op="sub"))

    def __mul__(self, other: Any) -> "Tensor":
        return _apply(ops.Mul, *_pair(self, other, op="mul"))

    def __rmul__(self, other: Any) -> "Tensor":
        return _apply(ops.Mul, *_pair(other, self, op="mul"))

    def __truediv__(self, other: Any) -> "Tensor":
        return _apply(ops.Div, *_pair(self, other, true_division=True, op="div"))

    def __rtruediv__(self, other: Any) -> "Tensor":
        return _apply(ops.Div, *_pair(other, self, true_division=True, op="div"))

    def __floordiv__(self, other: Any) -> "Tensor":
        a, b = _pair(self, other, op="floor_divide")
        return Tensor._from_array(np.floor_divide(a.data, b.data))

    def __mod__(self, other: Any) -> "Tensor":
        a, b = _pair(self, other, op="remainder")
        return Tensor._from_array(np.remainder(a.data, b.data))

    def __pow__(self, exponent: Any) -> "Tensor":
        return _apply(ops.Pow, *_pair(self, exponent, op="pow"))

    def __rpow__(self, base: Any) -> "Tensor":
        return _apply(ops.Pow, *_pair(base, self, op="pow"))

    def __neg__(self) -> "Tensor":
        return _apply(ops.Neg, self)

    def __pos__(self) -> "Tensor":
        return self

    def __matmul__(self, other: Any) -> "Tensor":
        return matmul(self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return matmul(_as_tensor(other), self)

    def __iadd__(self, other: Any) -> "Tensor":
        return self._in_place(Tensor.__add__, np.add, other)

    def __isub__(self, other: Any) -> "Tensor":
        return self._in_place(Tensor.__sub__, np.subtract, other)

    def __imul__(self, other: Any) -> "Tensor":
        return self._in_place(Tensor.__mul__, np.multiply, other)

    def __itruediv__(self, other: Any) -> "Tensor":
        return self._in_place(Tensor.__truediv__, np.true_divide, other)

    def _in_place(self, op: Any, ufunc: np.ufunc, other: Any) -> "Tensor":
        """`self op= other`: modify self, keeping the graph correct if gradients are recorded."""
        other_requires = isinstance(other, Tensor) and other.requires_grad
        if not (flags.grad_enabled and (self.requires_grad or other_requires)):
            other_data = other.data if isinstance(other, Tensor) else other
            try:
                ufunc(self.data, other_data, out=self.data, casting="same_kind")
            except TypeError as error:  # NumPy's casting error is a TypeError
                raise RuntimeError(f"in-place {ufunc.__name__}: result of {self.dtype} and "
                                   f"{np.result_type(other_data)} cannot be stored in {self.dtype}") from error
            except ValueError as error:
                if not self.data.flags.writeable:
                    raise RuntimeError(f"in-place {ufunc.__name__}: this tensor's memory is read-only (an "
                                       "expanded view?); modify a .clone() instead") from error
                raise RuntimeError(f"in-place {ufunc.__name__}: shape {np.shape(other_data)} does not "
                                   f"broadcast to the tensor's shape {self.shape}") from error
            return self
        if self.is_leaf and self.requires_grad:
            raise RuntimeError(
                f"in-place {ufunc.__name__}: a leaf tensor that requires grad cannot be modified in place "
                "(wrap the update in `with tinytorch.no_grad():`)"
            )
        previous = Tensor._from_array(self.data)  # the old node, so the graph has no cycle
        previous.grad_fn, previous.requires_grad = self.grad_fn, self.requires_grad
        result = op(previous, previous if other is self else other)  # y *= y: both sides are the old y
        if result.shape != self.shape:
            raise RuntimeError(f"in-place {ufunc.__name__}: result shape {result.shape} differs from {self.shape}")
        self.data, self.grad_fn, self.requires_grad = result.data.astype(self.dtype, copy=False), result.grad_fn, True
        return self

    # ------------------------------------------------------------------ comparisons (no gradient)

    def _compare(self, other: Any, ufunc: np.ufunc) -> "Tensor":
        a, b = _pair(self, other, op=ufunc.__name__)
        return Tensor._from_array(_broadcast_op(ufunc, a.data, b.data, ufunc.__name__))

    def __eq__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __lt__(self, other: Any) -> "Tensor":
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> "Tensor":
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> "Tensor":
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> "Tensor":
        return self._compare(other, np.greater_equal)

    def __and__(self, other: Any) -> "Tensor":
        return self._compare(other, np.logical_and if self.dtype == bool_ else np.bitwise_and)

    def __or__(self, other: Any) -> "Tensor":
        return self._compare(other, np.logical_or if self.dtype == bool_ else np.bitwise_or)

    def __invert__(self) -> "Tensor":
        return Tensor._from_array(~self.data)

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"bool: the truth value of a tensor with shape {self.shape} is ambiguous")
        return bool(self.data)

    def eq(self, other: Any) -> "Tensor":
        return self == other

    def equal(self, other: "Tensor") -> bool:
        return self.shape == other.shape and bool(np.array_equal(self.data, other.data))

    def allclose(self, other: "Tensor", rtol: float = 1e-5, atol: float = 1e-8) -> bool:
        return bool(np.allclose(self.data, _as_tensor(other).data, rtol=rtol, atol=atol))

    # ------------------------------------------------------------------ element-wise functions

    def exp(self) -> "Tensor":
        return _apply(ops.Exp, _floating(self))

    def log(self) -> "Tensor":
        return _apply(ops.Log, _floating(self))

    def sqrt(self) -> "Tensor":
        return _apply(ops.Sqrt, _floating(self))

    def rsqrt(self) -> "Tensor":
        return 1 / self.sqrt()

    def abs(self) -> "Tensor":
        return _apply(ops.Abs, self)

    def sin(self) -> "Tensor":
        return _apply(ops.Sin, _floating(self))

    def cos(self) -> "Tensor":
        return _apply(ops.Cos, _floating(self))

    def tanh(self) -> "Tensor":
        return _apply(ops.Tanh, _floating(self))

    def sigmoid(self) -> "Tensor":
        return _apply(ops.Sigmoid, _floating(self))

    def relu(self) -> "Tensor":
        return _apply(ops.ReLU, self)

    def pow(self, exponent: Any) -> "Tensor":
        return self**exponent

    def square(self) -> "Tensor":
        return self * self

    def sign(self) -> "Tensor":
        return Tensor._from_array(np.sign(self.data))

    def clamp(self, min: float | None = None, max: float | None = None) -> "Tensor":
        if min is None and max is None:
            raise ValueError("clamp: give at least one of min and max")
        return _apply(ops.Clamp, self, low=min, high=max)

    clip = clamp

    def maximum(self, other: Any) -> "Tensor":
        return maximum(self, other)

    def minimum(self, other: Any) -> "Tensor":
        return minimum(self, other)

    def softmax(self, dim: int = -1) -> "Tensor":
        return _apply(ops.Softmax, self, dim=_check_dims(self, dim, "softmax"))

    def log_softmax(self, dim: int = -1) -> "Tensor":
        return _apply(ops.LogSoftmax, self, dim=_check_dims(self, dim, "log_softmax"))

    def masked_fill(self, mask: "Tensor", value: float) -> "Tensor":
        return where(mask, tensor(value, dtype=self.dtype), self)

    def log1p(self) -> "Tensor":
        """ln(1 + x), exact even where x is tiny (where log(1 + x) rounds 1 + x away)."""
        return _apply(ops.Log1p, _floating(self))

    def expm1(self) -> "Tensor":
        """e**x - 1, exact even where x is tiny."""
        return _apply(ops.Expm1, _floating(self))

    def erf(self) -> "Tensor":
        return _apply(ops.Erf, _floating(self))

    def log2(self) -> "Tensor":
        return _floating(self).log() / math.log(2)

    def exp2(self) -> "Tensor":
        return 2.0 ** _floating(self)

    def reciprocal(self) -> "Tensor":
        return 1 / self

    def floor(self) -> "Tensor":
        return self._step("floor")

    def ceil(self) -> "Tensor":
        return self._step("ceil")

    def round(self, decimals: int = 0) -> "Tensor":
        """Round half to even (2.5 -> 2, like PyTorch and NumPy); the gradient is 0."""
        return self._step("round", decimals)

    def _step(self, how: str, decimals: int = 0) -> "Tensor":
        if self.dtype.kind != "f":  # integers are already whole
            return Tensor._from_array(self.data.copy())
        return _apply(ops.Step, self, how=how, decimals=decimals)

    def lerp(self, end: Any, weight: Any) -> "Tensor":
        """Linear interpolation self + weight * (end - self): weight 0 gives self, 1 gives end."""
        return self + weight * (end - self)

    def isnan(self) -> "Tensor":
        return Tensor._from_array(np.isnan(self.data))

    def isinf(self) -> "Tensor":
        return Tensor._from_array(np.isinf(self.data))

    def isfinite(self) -> "Tensor":
        return Tensor._from_array(np.isfinite(self.data))

    def isclose(self, other: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> "Tensor":
        """Element-wise |self - other| <= atol + rtol * |other|, as a bool tensor."""
        a, b = _pair(self, other, op="isclose")
        return Tensor._from_array(np.isclose(a.data, b.data, rtol=rtol, atol=atol, equal_nan=equal_nan))

    # ------------------------------------------------------------------ reductions

    def sum(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        return _apply(ops.Sum, self, dim=_check_dims(self, dim, "sum"), keepdim=keepdim)

    def mean(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        if self.dtype.kind != "f":
            raise RuntimeError(f"mean: input dtype should be floating point, got {self.dtype}")
        return _apply(ops.Mean, self, dim=_check_dims(self, dim, "mean"), keepdim=keepdim)

    def var(self, dim: int | Sequence[int] | None = None, correction: int = 1, keepdim: bool = False,
            unbiased: bool | None = None) -> "Tensor":
        """Variance; `correction=1` divides by n - 1 (Bessel), like PyTorch."""
        if unbiased is not None:
            correction = int(unbiased)
        dims = _check_dims(self, dim, "var")
        count = self.numel() // max(1, _reduced_size(self.shape, dims))
        centered = self - self.mean(dim=dims, keepdim=True)
        return (centered * centered).sum(dim=dims, keepdim=keepdim) / max(count - correction, 0)

    def std(self, dim: int | Sequence[int] | None = None, correction: int = 1, keepdim: bool = False,
            unbiased: bool | None = None) -> "Tensor":
        """Standard deviation; a constant input has gradient 0 (PyTorch's convention)."""
        return _apply(ops.StdSqrt, self.var(dim, correction, keepdim, unbiased))

    def prod(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return _apply(ops.Prod, self, dim=_check_dims(self, dim, "prod"), keepdim=keepdim)

    def logsumexp(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        return _apply(ops.LogSumExp, self, dim=_check_dims(self, dim, "logsumexp"), keepdim=keepdim)

    def max(self, dim: int | None = None, keepdim: bool = False) -> "Tensor | MinMax":
        """The largest value; with `dim`, a (values, indices) pair like PyTorch, whose gradient goes
        to the returned index alone (the first of tied maxima)."""
        if isinstance(dim, Tensor):
            return maximum(self, dim)
        if dim is None:
            return self.amax(keepdim=keepdim)
        values = _apply(ops.Max, self, dim=_check_dims(self, dim, "max"), keepdim=keepdim, first_only=True)
        return MinMax(values, self.argmax(dim, keepdim))

    def min(self, dim: int | None = None, keepdim: bool = False) -> "Tensor | MinMax":
        if isinstance(dim, Tensor):
            return minimum(self, dim)
        if dim is None:
            return self.amin(keepdim=keepdim)
        values = -_apply(ops.Max, -self, dim=_check_dims(self, dim, "min"), keepdim=keepdim, first_only=True)
        return MinMax(values, self.argmin(dim, keepdim))

    def amax(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        """The largest value over `dim` (all dims by default); tied maxima share the gradient evenly."""
        return _apply(ops.Max, self, dim=_check_dims(self, dim, "amax"), keepdim=keepdim)

    def amin(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        return -(-self).amax(dim, keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return _arg_reduce(np.argmax, self, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return _arg_reduce(np.argmin, self, dim, keepdim)

    def all(self) -> "Tensor":
        return Tensor._from_array(np.array(self.data.all()))

    def any(self) -> "Tensor":
        return Tensor._from_array(np.array(self.data.any()))

    def cumsum(self, dim: int) -> "Tensor":
        """Running sums along `dim` (integers and bools sum as int64, like PyTorch)."""
        return self._scan(ops.CumSum, dim, "cumsum")

    def cumprod(self, dim: int) -> "Tensor":
        """Running products along `dim` (integers and bools multiply as int64, like PyTorch)."""
        return self._scan(ops.CumProd, dim, "cumprod")

    def _scan(self, function: type[ops.Function], dim: int, op: str) -> "Tensor":
        dim = _check_dims(self, dim, op)
        if self.ndim == 0:
            return self.reshape(1)._scan(function, 0, op).reshape(())
        return _apply(function, self if self.dtype.kind == "f" else self.astype(int64), dim=dim)

    def norm(self, p: float | str = "fro", dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        """The p-norm over `dim` (all elements by default): p = 2 or "fro" (Euclidean), 1, inf, -inf,
        0 (the number of non-zeros) or any other p. The norm of zeros has gradient 0, as in PyTorch."""
        if self.dtype.kind != "f":
            raise TypeError(f"norm: expected a floating point tensor, got {self.dtype}")
        dims = _check_dims(self, dim, "norm")
        if p in ("fro", 2):
            return _apply(ops.StdSqrt, (self * self).sum(dims, keepdim))  # sqrt whose gradient at 0 is 0
        if isinstance(p, str):
            raise ValueError(f"norm: p={p!r} is not supported; give a number, inf or 'fro'")
        reduced = range(self.ndim) if dims is None else (dims,) if isinstance(dims, int) else dims
        if (p < 0 or p == math.inf) and any(self.shape[d] == 0 for d in reduced):
            raise ValueError(f"norm: the {p}-norm of no elements is undefined (it has no identity); "
                             f"shape {self.shape}, dim {dim}")
        size = self.abs()
        if p == math.inf:
            return size.amax(dims, keepdim)
        if p == -math.inf:
            return size.amin(dims, keepdim)
        if p == 1:
            return size.sum(dims, keepdim)
        return _apply(ops.VectorNorm, self, p=p, dim=dims, keepdim=keepdim)

    def trace(self) -> "Tensor":
        """The sum of the main diagonal of a 2-D tensor."""
        if self.ndim != 2:
            raise ValueError(f"trace: expected a 2-D tensor, got shape {self.shape}")
        return self.diag().sum()

    # ------------------------------------------------------------------ matrix products

    def mm(self, mat2: "Tensor") -> "Tensor":
        """Product of two matrices (n, m) @ (m, p) -> (n, p); unlike matmul, no batches or vectors."""
        mat2 = _as_tensor(mat2)
        if self.ndim != 2 or mat2.ndim != 2:
            raise ValueError(f"mm: expected 2-D tensors, got shapes {self.shape} and {mat2.shape}")
        if self.shape[1] != mat2.shape[0]:
            raise ValueError(f"mm: shapes {self.shape} and {mat2.shape} cannot be multiplied "
                             f"({self.shape[1]} columns against {mat2.shape[0]} rows)")
        return matmul(self, mat2)

    def bmm(self, mat2: "Tensor") -> "Tensor":
        """Batched matrix product (b, n, m) @ (b, m, p) -> (b, n, p), with equal batch sizes (no broadcasting)."""
        mat2 = _as_tensor(mat2)
        if self.ndim != 3 or mat2.ndim != 3:
            raise ValueError(f"bmm: expected 3-D tensors (batch, rows, columns), got shapes {self.shape} "
                             f"and {mat2.shape}")
        if self.shape[0] != mat2.shape[0] or self.shape[2] != mat2.shape[1]:
            raise ValueError(f"bmm: shapes {self.shape} and {mat2.shape} cannot be multiplied: "
                             "(b, n, m) @ (b, m, p) needs equal b and m")
        return matmul(self, mat2)

    def dot(self, other: "Tensor") -> "Tensor":
        """The inner product of two 1-D tensors of the same size."""
        other = _as_tensor(other)
        if self.ndim != 1 or other.ndim != 1 or self.shape != other.shape:
            raise ValueError(f"dot: expected two 1-D tensors of the same size, got shapes {self.shape} "
                             f"and {other.shape}")
        return matmul(self, other)

    def outer(self, vec2: "Tensor") -> "Tensor":
        """out[i, j] = self[i] * vec2[j] for 1-D tensors: a broadcasting multiply."""
        vec2 = _as_tensor(vec2)
        if self.ndim != 1 or vec2.ndim != 1:
            raise ValueError(f"outer: expected two 1-D tensors, got shapes {self.shape} and {vec2.shape}")
        return self.unsqueeze(1) * vec2.unsqueeze(0)

    def addmm(self, mat1: "Tensor", mat2: "Tensor", beta: float = 1, alpha: float = 1) -> "Tensor":
        """beta * self + alpha * (mat1 @ mat2), with self broadcast to the product's shape (a layer's x @ W + b)."""
        product = _as_tensor(mat1).mm(mat2)
        if not _broadcasts_to(self.shape, product.shape):
            raise ValueError(f"addmm: input of shape {self.shape} does not broadcast to the product's "
                             f"shape {product.shape}")
        if alpha != 1:
            product = product * alpha
        if beta == 0:  # self is ignored, even NaN, as in PyTorch
            return product
        return (self if beta == 1 else self * beta) + product

    # ------------------------------------------------------------------ sorting

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> SortResult:
        """(values, indices): the values sorted along `dim` and where each came from. The gradient of a
        value goes to its source element. Always stable: equal values keep their order."""
        order, axis = _sort_order(self, dim, descending, "sort")
        return SortResult(self[_along(order, axis)], Tensor._from_array(order))

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> "Tensor":
        return Tensor._from_array(_sort_order(self, dim, descending, "argsort")[0])

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> SortResult:
        """(values, indices) of the k largest (or smallest) elements along `dim`, best first."""
        _need_dims(self, "topk")
        order, axis = _sort_order(self, dim, largest, "topk")
        if not 0 <= k <= self.shape[axis]:
            raise ValueError(f"topk: k={k} is out of range for dim {dim} of size {self.shape[axis]} "
                             f"(shape {self.shape})")
        order = order[(slice(None),) * axis + (slice(0, k),)]
        return SortResult(self[_along(order, axis)], Tensor._from_array(order))

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape: int | Sequence[int]) -> "Tensor":
        shape = _infer_shape(self, _shape_arg(shape))
        if shape == self.shape:
            return self
        return _apply(ops.Reshape, self, shape=shape)

    view = reshape

    def view_as(self, other: "Tensor") -> "Tensor":
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start_dim % self.ndim, end_dim % self.ndim
        return self.reshape(self.shape[:start] + (-1,) + self.shape[end + 1:])

    def permute(self, *dims: int | Sequence[int]) -> "Tensor":
        dims = _shape_arg(dims)
        if sorted(d % max(self.ndim, 1) for d in dims) != list(range(self.ndim)):
            raise ValueError(f"permute: {dims} is not a permutation of the {self.ndim} dims of shape {self.shape}")
        return _apply(ops.Permute, self, dims=tuple(d % self.ndim for d in dims))

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        if self.ndim < 2:
            return self
        dim0, dim1 = _check_dims(self, (dim0, dim1), "transpose")
        order = list(range(self.ndim))
        order[dim0], order[dim1] = order[dim1], order[dim0]
        return self.permute(*order)

    def t(self) -> "Tensor":
        return self.transpose(0, 1)

    def squeeze(self, dim: int | None = None) -> "Tensor":
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dim = _check_dims(self, dim, "squeeze")
        if self.ndim == 0 or self.shape[dim] != 1:
            return self
        return self.reshape(self.shape[:dim] + self.shape[dim + 1:])

    def unsqueeze(self, dim: int) -> "Tensor":
        if not -self.ndim - 1 <= dim <= self.ndim:
            raise IndexError(f"unsqueeze: dim {dim} out of range for a tensor with {self.ndim} dims")
        dim %= self.ndim + 1
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def expand(self, *shape: int | Sequence[int]) -> "Tensor":
        shape = _shape_arg(shape)
        shape = tuple(old if new == -1 else new for new, old in
                      zip(shape, (None,) * (len(shape) - self.ndim) + self.shape))
        if not _broadcasts_to(self.shape, shape):
            raise ValueError(f"expand: shape {self.shape} cannot be expanded to {shape}")
        return _apply(ops.Expand, self, shape=shape)

    def expand_as(self, other: "Tensor") -> "Tensor":
        return self.expand(other.shape)

    def repeat(self, *repeats: int | Sequence[int]) -> "Tensor":
        repeats = _shape_arg(repeats)
        if len(repeats) < self.ndim:
            raise ValueError(f"repeat: {len(repeats)} repeats given for a tensor with {self.ndim} dims")
        return _apply(ops.Repeat, self, repeats=repeats)

    def split(self, split_size: int | Sequence[int], dim: int = 0) -> tuple["Tensor", ...]:
        return split(self, split_size, dim)

    def chunk(self, chunks: int, dim: int = 0) -> tuple["Tensor", ...]:
        return chunk(self, chunks, dim)

    def broadcast_to(self, size: Sequence[int]) -> "Tensor":
        """A read-only view of self broadcast to `size` (-1 keeps a size)."""
        try:
            return self.expand(size)
        except ValueError:
            raise ValueError(f"broadcast_to: shape {self.shape} cannot be broadcast to {tuple(size)}") from None

    def flip(self, *dims: int | Sequence[int]) -> "Tensor":
        """The elements in reverse order along each of `dims`."""
        dims = _check_dims(self, _shape_arg(dims), "flip") or ()
        return self[tuple(slice(None, None, -1) if d in dims else slice(None) for d in range(self.ndim))]

    def roll(self, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> "Tensor":
        """Elements shifted by `shifts` along `dims`, wrapping around the end; without dims, over the
        flattened tensor (then reshaped back)."""
        if self.ndim == 0 and dims is not None:
            raise IndexError(f"roll: dims {dims} given for a 0-d tensor, which has no dims to roll along")
        if dims is None:
            if not isinstance(shifts, (int, np.integer)):
                raise ValueError(f"roll: without dims, shifts must be one int, got {shifts}")
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
        dims = _check_dims(self, (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims), "roll")
        if len(shifts) != len(dims):
            raise ValueError(f"roll: {len(shifts)} shifts given for {len(dims)} dims; give one shift per dim")
        out = self
        for shift, dim in zip(shifts, dims):
            source = (np.arange(self.shape[dim]) - shift) % max(self.shape[dim], 1)  # out[i] = in[i - shift]
            out = out[(slice(None),) * dim + (source,)]
        return out

    def tril(self, diagonal: int = 0) -> "Tensor":
        """The lower triangle of the last two dims (column <= row + diagonal), zeros elsewhere."""
        return self._triangle(np.tril, diagonal, "tril")

    def triu(self, diagonal: int = 0) -> "Tensor":
        """The upper triangle of the last two dims (column >= row + diagonal), zeros elsewhere."""
        return self._triangle(np.triu, diagonal, "triu")

    def _triangle(self, keep: Any, diagonal: int, op: str) -> "Tensor":
        if self.ndim < 2:
            raise ValueError(f"{op}: expected a tensor with at least 2 dims, got shape {self.shape}")
        mask = keep(np.ones(self.shape[-2:], dtype=bool), diagonal)  # (rows, columns)
        return where(mask, self, Tensor._from_array(np.zeros((), dtype=self.dtype)))

    def diag(self, diagonal: int = 0) -> "Tensor":
        """A 2-D tensor's diagonal (above the main one for diagonal > 0, below for < 0), or a square
        matrix with a 1-D tensor's values on that diagonal and zeros elsewhere."""
        if self.ndim == 2:
            length = np.diagonal(self.data, diagonal).shape[0]
            rows = np.arange(length) + max(-diagonal, 0)
            return self[rows, rows + diagonal]
        if self.ndim == 1:
            size = self.shape[0] + abs(diagonal)
            rows = np.arange(self.shape[0]) + max(-diagonal, 0)
            return _apply(ops.SetItem, zeros(size, size, dtype=self.dtype), self, index=(rows, rows + diagonal))
        raise ValueError(f"diag: expected a 1-D or 2-D tensor, got shape {self.shape}")

    def repeat_interleave(self, repeats: "int | Tensor", dim: int | None = None) -> "Tensor":
        """Each element repeated `repeats` times along `dim` (one count, or one per element); without
        dim, over the flattened tensor. [a, b].repeat_interleave(2) is [a, a, b, b]."""
        if dim is None:
            return self.flatten().repeat_interleave(repeats, 0)
        _need_dims(self, "repeat_interleave")
        dim = _check_dims(self, dim, "repeat_interleave")
        counts = np.asarray(repeats.data if isinstance(repeats, Tensor) else repeats)
        size = self.shape[dim]
        if counts.dtype.kind not in "iu" or counts.ndim > 1 or counts.size not in (1, size) or (counts < 0).any():
            raise ValueError(f"repeat_interleave: repeats must be one count or {size} counts (one per element along "
                             f"dim {dim}), as non-negative integers; got {counts.tolist()}")
        source = np.repeat(np.arange(size), np.broadcast_to(counts.reshape(-1), (size,)))
        return self[(slice(None),) * dim + (source,)]

    # ------------------------------------------------------------------ indexing

    def __getitem__(self, index: Any) -> "Tensor":
        return _apply(ops.GetItem, self, index=_index_arg(index))

    def __setitem__(self, index: Any, value: Any) -> None:
        index = _index_arg(index)
        value_t = value if isinstance(value, Tensor) else Tensor._from_array(np.asarray(value, dtype=self.dtype))
        if not (flags.grad_enabled and (self.requires_grad or value_t.requires_grad)):
            self.data[index] = value_t.data
            return
        if self.is_leaf and self.requires_grad:
            raise RuntimeError("setitem: a leaf tensor that requires grad cannot be modified in place")
        previous = Tensor._from_array(self.data)
        previous.grad_fn, previous.requires_grad = self.grad_fn, self.requires_grad
        result = _apply(ops.SetItem, previous, value_t.astype(self.dtype), index=index)
        self.data, self.grad_fn, self.requires_grad = result.data, result.grad_fn, True

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def gather(self, dim: int, index: "Tensor") -> "Tensor":
        """out[i][j] = self[index[i][j]][j] for dim 0 (likewise for any dim): one element picked per
        index position. The gradient goes back to the picked elements (repeats add up)."""
        return self[_index_along(self, dim, index, "gather")]

    def scatter_add(self, dim: int, index: "Tensor", src: "Tensor") -> "Tensor":
        """A copy of self with src[i][j] added at [index[i][j]][j] for dim 0 (likewise for any dim);
        repeated positions add up. gather's reverse: src's gradient is the gradient gathered at index."""
        position, src = self._scatter_source(dim, index, src, "scatter_add")
        return _apply(ops.ScatterAdd, self, src, index=position)

    def scatter(self, dim: int, index: "Tensor", src: Any = None, value: Any = None) -> "Tensor":
        """A copy of self with src[i][j] (or the number `value`) written at [index[i][j]][j] for dim 0
        (likewise for any dim). Where index repeats a position, one of the writes wins."""
        if src is not None and not isinstance(src, Tensor):  # scatter(dim, index, 0.5), as in PyTorch
            src, value = None, src
        if (src is None) == (value is None):
            raise ValueError("scatter: give exactly one of src (a tensor) and value (a number)")
        if src is None:
            position = _index_along(self, dim, index, "scatter")
            return _apply(ops.SetItem, self, Tensor._from_array(np.asarray(value, dtype=self.dtype)), index=position)
        position, src = self._scatter_source(dim, index, src, "scatter")
        return _apply(ops.SetItem, self, src, index=position)

    def _scatter_source(self, dim: int, index: Any, src: "Tensor", op: str) -> tuple[tuple, "Tensor"]:
        """The NumPy index of the positions written, and the part of src that is written (index's shape)."""
        src = _as_tensor(src)
        position = _index_along(self, dim, index, op)
        shape = np.shape(position[_check_dims(self, dim, op)])
        if src.ndim != len(shape) or any(n > m for n, m in zip(shape, src.shape)):
            raise ValueError(f"{op}: index has shape {shape} but src has shape {src.shape}: src needs as many dims "
                             "and at least the index's size in each")
        if src.dtype != self.dtype:
            raise TypeError(f"{op}: src has dtype {src.dtype} but self has {self.dtype}; they must match")
        if src.shape != shape:
            src = src[tuple(slice(0, n) for n in shape)]
        return position, src

    def index_select(self, dim: int, index: "Tensor") -> "Tensor":
        """The slices at positions `index` (1-D, repeats allowed) along `dim`."""
        _need_dims(self, "index_select")
        dim = _check_dims(self, dim, "index_select")
        positions = _integer_index(index, "index_select")
        if positions.ndim > 1:
            raise ValueError(f"index_select: index must be 1-D, got shape {positions.shape}")
        _check_index_range(positions, self.shape[dim], dim, "index_select")
        return self[(slice(None),) * dim + (positions.reshape(-1),)]

    def nonzero(self, as_tuple: bool = False) -> "Tensor | tuple[Tensor, ...]":
        """The positions of the non-zero elements in row-major order: an (n, ndim) int64 tensor, one row
        per element, or with `as_tuple` one 1-D tensor per dim (ready to index with)."""
        if as_tuple:
            return tuple(Tensor._from_array(i.astype(int64)) for i in np.nonzero(np.atleast_1d(self.data)))
        return Tensor._from_array(np.argwhere(self.data).astype(int64))

    # ------------------------------------------------------------------ sampling

    def multinomial(self, num_samples: int, replacement: bool = False, generator: Generator | None = None) -> "Tensor":
        """Category indices drawn with probability proportional to the (non-negative) weights in each row.

        self is (categories,) or (rows, categories); the result is (num_samples,) or (rows, num_samples)
        int64. Without replacement a category is drawn at most once per row: an exponential race, where
        each category's waiting time is Exp(1) / weight and the first `num_samples` to arrive win.
        """
        if self.ndim not in (1, 2) or self.dtype.kind != "f":
            raise ValueError(f"multinomial: expected a 1-D or 2-D floating point tensor of probabilities, "
                             f"got shape {self.shape} and dtype {self.dtype}")
        weights = self.data.astype(np.float64).reshape(-1, self.shape[-1])  # (rows, categories)
        if not np.isfinite(weights).all() or (weights < 0).any():
            bad = weights[~(np.isfinite(weights) & (weights >= 0))][0]
            raise ValueError(f"multinomial: probabilities must be finite and non-negative, got {bad}")
        totals = weights.sum(axis=1)
        if (totals <= 0).any():
            raise ValueError(f"multinomial: row {int(np.argmax(totals <= 0))} of the probabilities sums to 0")
        if num_samples < 1:
            raise ValueError(f"multinomial: num_samples must be at least 1, got {num_samples}")
        rng = rng_of(generator)
        if replacement:
            cdf = np.cumsum(weights, axis=1)  # (rows, categories), the last column is the row's total
            u = rng.random((len(weights), num_samples)) * totals[:, None]  # uniform in [0, total)
            picks = np.stack([np.searchsorted(row, draws, side="right") for row, draws in zip(cdf, u)])
            last = weights.shape[1] - 1 - np.argmax(weights[:, ::-1] > 0, axis=1)  # (rows,) last possible category
            picks = np.minimum(picks, last[:, None])  # in case u * total rounded up to the total
        else:
            possible = int((weights > 0).sum(axis=1).min())
            if num_samples > possible:
                raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement from "
                                 f"{possible} categories with non-zero probability")
            with np.errstate(divide="ignore"):
                arrival = rng.standard_exponential(weights.shape) / weights  # a weight of 0 never arrives
            picks = np.argsort(arrival, axis=1, kind="stable")[:, :num_samples]
        picks = picks.astype(int64)
        return Tensor._from_array(picks if self.ndim == 2 else picks[0])

    # ------------------------------------------------------------------ printing

    def __repr__(self) -> str:
        body = _format_array(self.data)
        extras = []
        if self.data.size == 0 and self.ndim != 1:
            extras.append(f"size={self.shape}")
        if self.dtype != _DEFAULT_FLOAT[0] and (self.data.size == 0 or self.dtype not in (int64, bool_)):
            extras.append(f"dtype=tinytorch.{self.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}Backward>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    def __format__(self, spec: str) -> str:
        return format(self.item(), spec) if self.data.size == 1 and spec else repr(self)


class Cast(ops.Function):
    """out = a converted to another dtype;  the gradient is converted back."""

    def forward(self, a: np.ndarray, dtype: np.dtype) -> np.ndarray:
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad.astype(self.dtype),)


# ---------------------------------------------------------------------------------------------
# Recording the graph
# ---------------------------------------------------------------------------------------------


def _apply(function: type[ops.Function], *inputs: Tensor, **options: Any) -> Tensor:
    """Run `function` on the inputs' arrays; link the result to it when a gradient is wanted."""
    node = function()
    out = node.forward(*[t.data for t in inputs], **options)
    result = Tensor._from_array(out)
    if flags.grad_enabled and any(t.requires_grad for t in inputs):
        node.inputs = tuple(t if t.requires_grad else None for t in inputs)
        result.grad_fn, result.requires_grad = node, out.dtype.kind == "f"
    if flags.anomaly:
        engine._check_finite(np.asarray(out), f"the forward of {node.name}")
    return result


def _as_tensor(value: Any, dtype: np.dtype | None = None) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return Tensor._from_array(np.asarray(value, dtype=dtype))


def _pair(a: Any, b: Any, true_division: bool = False, op: str = "broadcast") -> tuple[Tensor, Tensor]:
    """Both operands as tensors of the promoted dtype, with a clear error if shapes do not broadcast."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        dtype = a.data.dtype if a.data.dtype == b.data.dtype else result_type(a, b)
        if a.data.ndim and b.data.ndim and a.data.shape != b.data.shape:
            _check_broadcast(a.shape, b.shape, op)
    else:
        t, scalar = (a, b) if isinstance(a, Tensor) else (b, a)
        if not isinstance(scalar, (int, float, bool, np.number, np.bool_)):
            scalar = _as_tensor(scalar)
            a, b = (a, scalar) if isinstance(a, Tensor) else (scalar, b)
            return _pair(a, b, true_division, op)
        scalar_dtype = _scalar_dtype(scalar)
        dtype = t.dtype if _category(scalar_dtype) <= _category(t.dtype) else scalar_dtype
        wrapped = Tensor._from_array(np.asarray(scalar, dtype=dtype))
        a, b = (t, wrapped) if a is t else (wrapped, t)
    if true_division and dtype.kind != "f":
        dtype = _DEFAULT_FLOAT[0]
    return _cast(a, dtype), _cast(b, dtype)


def _cast(t: Tensor, dtype: np.dtype) -> Tensor:
    return t if t.data.dtype == dtype else t.astype(dtype)


def _check_broadcast(a: Shape, b: Shape, op: str = "broadcast") -> None:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {a} and {b} cannot be broadcast together (sizes must match or be 1, "
            "aligned from the last dimension)"
        ) from None


def _broadcast_op(ufunc: np.ufunc, a: np.ndarray, b: np.ndarray, name: str) -> np.ndarray:
    try:
        return ufunc(a, b)
    except ValueError:
        _check_broadcast(a.shape, b.shape, name)
        raise


def _to_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Turn Python data or an array into an ndarray, inferring dtypes like `torch.tensor`."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.array(data, dtype=np.dtype(dtype))
    array = np.array(data)
    if array.dtype.kind == "f" and not isinstance(data, np.ndarray) and not isinstance(data, np.floating):
        return array.astype(_DEFAULT_FLOAT[0])  # Python floats become the default float dtype
    if array.dtype.kind in "iu" and not isinstance(data, (np.ndarray, np.integer)):
        return array.astype(int64)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} of dtype {array.dtype}")
    return array


def _shape_arg(shape: tuple) -> tuple[int, ...]:
    """Accept both f(2, 3) and f((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def _infer_shape(t: Tensor, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Replace one -1 with the size that keeps the number of elements, or explain why not."""
    # BEGIN SOLUTION 02
    if shape.count(-1) > 1:
        raise ValueError(f"reshape: only one dimension can be -1, got {shape}")
    known = int(np.prod([n for n in shape if n != -1]))
    if -1 in shape:
        if known == 0 or t.numel() % known:
            raise ValueError(f"reshape: shape {shape} is invalid for a tensor of shape {t.shape} ({t.numel()} elements)")
        shape = tuple(t.numel() // known if n == -1 else n for n in shape)
    elif known != t.numel():
        raise ValueError(f"reshape: shape {shape} is invalid for a tensor of shape {t.shape} ({t.numel()} elements)")
    return shape
    # END SOLUTION


def _check_dims(t: Tensor, dim: int | Sequence[int] | None, op: str) -> int | tuple[int, ...] | None:
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    ndim = max(t.ndim, 1)
    for d in dims:
        if not -ndim <= d < ndim:
            raise IndexError(f"{op}: dim {d} is out of range for a tensor of shape {t.shape}")
    if t.ndim == 0:
        return None  # dim 0 or -1 of a 0-d tensor is its one element, as in PyTorch
    dims = tuple(int(d) % ndim for d in dims)
    return dims[0] if isinstance(dim, (int, np.integer)) else dims


def _need_dims(t: Tensor, op: str) -> None:
    if t.ndim == 0:
        raise ValueError(f"{op}: expected a tensor with at least 1 dimension, got a 0-d tensor")


def _reduced_size(shape: Shape, dims: int | tuple[int, ...] | None) -> int:
    if dims is None:
        return 1
    dims = (dims,) if isinstance(dims, int) else dims
    return int(np.prod([n for i, n in enumerate(shape) if i not in dims]))


def _arg_reduce(function: Any, t: Tensor, dim: int | None, keepdim: bool) -> Tensor:
    if dim is None:
        return Tensor._from_array(np.asarray(function(t.data), dtype=int64))
    dim = _check_dims(t, dim, function.__name__)
    return Tensor._from_array(function(t.data, axis=dim, keepdims=keepdim).astype(int64))


def _index_arg(index: Any) -> Any:
    """Tensors inside an index become arrays (int64 positions or a bool mask)."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _floating(t: Tensor) -> Tensor:
    """t itself if floating point, else t in the default float dtype (log1p of integers is float, as in PyTorch)."""
    return t if t.dtype.kind == "f" else t.astype(_DEFAULT_FLOAT[0])


def _broadcasts_to(shape: Shape, target: Shape) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def _sort_order(t: Tensor, dim: int, descending: bool, op: str) -> tuple[np.ndarray, int | None]:
    """The int64 indices that sort `t` along `dim`, and `dim` made non-negative (None for a 0-d tensor).

    Stable both ways: descending sorts the reversed array ascending and reverses back, so equal values
    stay in their original order (and NaN, which NumPy sorts last, comes first, as in PyTorch).
    """
    axis = _check_dims(t, dim, op)
    if axis is None:
        return np.zeros((), dtype=int64), None
    if not descending:
        return np.argsort(t.data, axis=axis, kind="stable").astype(int64), axis
    order = np.flip(np.argsort(np.flip(t.data, axis), axis=axis, kind="stable"), axis)
    return (t.shape[axis] - 1 - order).astype(int64), axis


def _along(index: np.ndarray, dim: int | None) -> tuple:
    """The NumPy index that picks, at each position of `index`, the element index[position] along `dim`
    and the same position along every other dim (gather's rule)."""
    if dim is None:
        return ()
    grids = [np.arange(n).reshape([-1 if k == d else 1 for k in range(index.ndim)]) for d, n in enumerate(index.shape)]
    grids[dim] = index
    return tuple(grids)


def _integer_index(index: Any, op: str) -> np.ndarray:
    positions = index.data if isinstance(index, Tensor) else np.asarray(index)
    if positions.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer tensor (int64), got dtype {positions.dtype}")
    return positions


def _check_index_range(positions: np.ndarray, size: int, dim: int, op: str) -> None:
    bad = (positions < 0) | (positions >= size)
    if bad.any():
        raise IndexError(f"{op}: index {positions[bad].flat[0]} is out of range for dim {dim} of size {size}")


def _index_along(t: Tensor, dim: int, index: Any, op: str) -> tuple:
    """Check `index` for gather/scatter along `dim` of `t`; return the NumPy index it stands for."""
    _need_dims(t, op)
    dim = _check_dims(t, dim, op)
    positions = _integer_index(index, op)
    if positions.ndim != t.ndim or any(n > m for d, (n, m) in enumerate(zip(positions.shape, t.shape)) if d != dim):
        raise ValueError(f"{op}: index has shape {positions.shape} but input has shape {t.shape}: index needs as "
                         f"many dims, and sizes no larger than the input's except in dim {dim}")
    _check_index_range(positions, t.shape[dim], dim, op)
    return _along(positions, dim)


def _format_array(array: np.ndarray) -> str:
    floating = array.dtype.kind == "f"
    values = array[np.isfinite(array)].astype(np.float64) if floating else array
    sizes = np.abs(values[values != 0])
    whole = floating and np.all(values == np.round(values)) and (  # PyTorch prints wide ranges in e-notation
        not sizes.size or (sizes.max() <= 1e8 and sizes.max() / sizes.min() <= 1000))
    return np.array2string(
        array,
        separator=", ",
        prefix="tensor(",
        precision=4,
        floatmode="fixed" if floating and not whole else "maxprec",
        threshold=1000,
        edgeitems=3,
        max_line_width=88,
    )


# ---------------------------------------------------------------------------------------------
# Functions over tensors (torch.*)
# ---------------------------------------------------------------------------------------------


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (a number, nested lists, an ndarray or a Tensor)."""
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (no copy, same dtype)."""
    return Tensor._from_array(array)


def _filled(shape: tuple, value: Any, dtype: Any, requires_grad: bool) -> Tensor:
    dtype = np.dtype(dtype) if dtype is not None else _scalar_dtype(value)
    return Tensor(np.full(_shape_arg(shape), value, dtype=dtype), requires_grad=requires_grad)


def zeros(*size: int | Sequence[int], dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _filled(size, 0.0, dtype, requires_grad)


def ones(*size: int | Sequence[int], dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _filled(size, 1.0, dtype, requires_grad)


def empty(*size: int | Sequence[int], dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size: Sequence[int], fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _filled((tuple(size),), fill_value, dtype, requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return full(t.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    if dtype is None:
        dtype = int64 if all(isinstance(v, (int, np.integer)) for v in (start, end, step)) else _DEFAULT_FLOAT[0]
    return Tensor(np.arange(start, end, step).astype(dtype), requires_grad=requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.linspace(start, end, steps), dtype=dtype or _DEFAULT_FLOAT[0], requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.eye(n, m), dtype=dtype or _DEFAULT_FLOAT[0], requires_grad=requires_grad)


def randn(*size: int | Sequence[int], dtype: Any = None, generator: Generator | None = None,
          requires_grad: bool = False) -> Tensor:
    """Samples from the standard normal distribution."""
    array = rng_of(generator).standard_normal(_shape_arg(size), dtype=np.dtype(dtype or _DEFAULT_FLOAT[0]))
    return Tensor(array, requires_grad=requires_grad)


def rand(*size: int | Sequence[int], dtype: Any = None, generator: Generator | None = None,
         requires_grad: bool = False) -> Tensor:
    """Samples from the uniform distribution on [0, 1)."""
    array = rng_of(generator).random(_shape_arg(size), dtype=np.dtype(dtype or _DEFAULT_FLOAT[0]))
    return Tensor(array, requires_grad=requires_grad)


def randint(low: int, high: int | None = None, size: Sequence[int] = (), dtype: Any = None,
            generator: Generator | None = None) -> Tensor:
    """Integers drawn uniformly from [low, high)."""
    if high is None:
        low, high = 0, low
    return Tensor(rng_of(generator).integers(low, high, size=tuple(size)), dtype=dtype or int64)


def randperm(n: int, generator: Generator | None = None) -> Tensor:
    return Tensor._from_array(rng_of(generator).permutation(n).astype(int64))


def randn_like(t: Tensor, generator: Generator | None = None) -> Tensor:
    return randn(t.shape, dtype=t.dtype, generator=generator)


def rand_like(t: Tensor, generator: Generator | None = None) -> Tensor:
    return rand(t.shape, dtype=t.dtype, generator=generator)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with PyTorch's rules: 1-D vectors, 2-D matrices, batched and broadcast batches."""
    a, b = _as_tensor(a), _as_tensor(b)
    # BEGIN SOLUTION 02
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both arguments need at least 1 dimension, got shapes {a.shape} and {b.shape}")
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} are not aligned: the last dim of the first "
            f"({inner_a}) must equal the {'only' if b.ndim == 1 else 'second-to-last'} dim of the second ({inner_b})"
        )
    if a.ndim > 2 and b.ndim > 2:
        _check_broadcast(a.shape[:-2], b.shape[:-2], "matmul (batch dimensions)")
    dtype = result_type(a, b)  # not _pair: matmul operands need not broadcast element-wise
    return _apply(ops.MatMul, _cast(a, dtype), _cast(b, dtype))
    # END SOLUTION


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` values from base**start to base**end, evenly spaced in the exponent."""
    return Tensor(np.power(base, np.linspace(start, end, steps)), dtype=dtype or _DEFAULT_FLOAT[0],
                  requires_grad=requires_grad)


def meshgrid(*tensors: Tensor | Sequence[Tensor], indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids: output k repeats 1-D tensor k along dim k ("ij"); "xy" swaps the first two
    dims, as in plotting (x varies along columns)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    tensors = [_as_tensor(t) for t in tensors]
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for i, t in enumerate(tensors):
        if t.ndim > 1:
            raise ValueError(f"meshgrid: expected 0-d or 1-D tensors, got shape {t.shape} for tensor {i}")
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(axes) >= 2:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(tensors)
    for t, axis in zip(tensors, axes):
        shape[axis] = t.numel()
    return tuple(t.reshape([-1 if k == axis else 1 for k in range(len(shape))]).expand(shape)
                 for t, axis in zip(tensors, axes))


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0) -> Tensor:
    """p-norm distances between every row of x1 (..., P, M) and every row of x2 (..., R, M): (..., P, R)."""
    x1, x2 = _as_tensor(x1), _as_tensor(x2)
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise ValueError(f"cdist: expected tensors (..., P, M) and (..., R, M) with the same M, "
                         f"got shapes {x1.shape} and {x2.shape}")
    return (x1.unsqueeze(-2) - x2.unsqueeze(-3)).norm(p, dim=-1)  # (..., P, R, M) -> (..., P, R)


def einsum(equation: str, *operands: Tensor | Sequence[Tensor]) -> Tensor:
    """Sums of products named by subscripts, as in NumPy and PyTorch: "ij,jk->ik" is a matrix
    product, "bij->bji" a transpose, "ii->" a trace. Without "->" the output keeps every subscript
    used exactly once, in alphabetical order; "..." stands for the leading (broadcast) dims.
    Differentiable in every operand."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    tensors = [_as_tensor(t) for t in operands]
    inputs, output = _einsum_subscripts(equation, tensors)
    dtype = tensors[0].dtype if tensors else _DEFAULT_FLOAT[0]
    for t in tensors[1:]:
        dtype = result_type(Tensor._from_array(np.empty(0, dtype)), t)
    return _apply(ops.Einsum, *[_cast(t, dtype) for t in tensors], subscripts=inputs, output=output)


def _einsum_subscripts(equation: str, tensors: list[Tensor]) -> tuple[tuple[str, ...], str]:
    """One explicit subscript string per operand and one for the output, "..." spelled out in spare letters."""
    lhs, arrow, rhs = equation.replace(" ", "").partition("->")
    written = lhs.split(",")
    if len(written) != len(tensors):
        raise ValueError(f"einsum: equation {equation!r} names {len(written)} operands but {len(tensors)} "
                         "tensors were given")
    letters = set(string.ascii_letters)
    spare = [c for c in string.ascii_letters if c not in equation]
    batch = "".join(spare[:max((t.ndim - len(w.replace("...", "")) for w, t in zip(written, tensors) if "..." in w),
                               default=0)])  # the letters "..." stands for, right-aligned like broadcasting
    inputs = []
    for i, (spec, t) in enumerate(zip(written, tensors)):
        named = spec.replace("...", "", 1)
        if not set(named) <= letters:
            raise ValueError(f"einsum: subscripts must be letters (and at most one '...'), got {spec!r} "
                             f"for operand {i}")
        full = spec.replace("...", batch[len(batch) - (t.ndim - len(named)):]) if t.ndim >= len(named) else named
        if len(full) != t.ndim:
            raise ValueError(f"einsum: operand {i} has shape {t.shape} ({t.ndim} dims) but subscripts {spec!r}")
        inputs.append(full)
    used = "".join(inputs)
    if arrow:
        output = rhs.replace("...", batch, 1)
        if not set(output) <= letters:
            raise ValueError(f"einsum: output subscripts must be letters (and at most one '...'), got {rhs!r}")
        for label in output:
            if output.count(label) > 1 or label not in used:
                problem = "appears twice" if output.count(label) > 1 else "is in no operand"
                raise ValueError(f"einsum: output subscript {label!r} {problem} in {equation!r}")
    else:
        output = batch + "".join(sorted(c for c in set(used) if used.count(c) == 1 and c not in batch))
    sizes: dict[str, tuple[int, int]] = {}  # label -> (size, operand that set it)
    for i, (spec, t) in enumerate(zip(inputs, tensors)):
        for label, n in zip(spec, t.shape):
            size, j = sizes.setdefault(label, (n, i))
            if n != size and 1 not in (n, size):
                raise ValueError(f"einsum: subscript {label!r} has size {size} in operand {j} (shape "
                                 f"{tensors[j].shape}) but {n} in operand {i} (shape {t.shape})")
            if size == 1:
                sizes[label] = (n, i)
    return tuple(inputs), output


def where(condition: Tensor, a: Any, b: Any) -> Tensor:
    """Element-wise choice: `a` where `condition` is true, else `b`."""
    a, b = _pair(a if isinstance(a, Tensor) or isinstance(b, Tensor) else Tensor(a), b, op="where")
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    _check_broadcast(cond.shape, np.broadcast_shapes(a.shape, b.shape), "where")
    return _apply(ops.Where, a, b, condition=cond.astype(bool))


def maximum(a: Tensor, b: Any) -> Tensor:
    return _apply(ops.Maximum, *_pair(a, b, op="maximum"))


def minimum(a: Tensor, b: Any) -> Tensor:
    return _apply(ops.Minimum, *_pair(a, b, op="minimum"))


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension."""
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    first = tensors[0]
    _need_dims(first, "cat")
    dim = _check_dims(first, dim, "cat")
    for i, t in enumerate(tensors[1:], start=1):
        if t.ndim != first.ndim or any(p != q for k, (p, q) in enumerate(zip(t.shape, first.shape)) if k != dim):
            raise ValueError(
                f"cat: tensor {i} has shape {t.shape} but tensor 0 has {first.shape}; all sizes must match "
                f"except in dimension {dim}"
            )
    dtype = first.dtype
    for t in tensors[1:]:
        dtype = result_type(Tensor._from_array(np.empty(0, dtype)), t)
    return _apply(ops.Cat, *[_cast(t, dtype) for t in tensors], dim=dim)


concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors of equal shape along a new dimension."""
    tensors = [_as_tensor(t) for t in tensors]
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    return cat([t.unsqueeze(dim) for t in tensors], dim=dim)


def split(t: Tensor, split_size: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of `split_size` along `dim` (the last may be smaller), or the given sizes."""
    _need_dims(t, "split")
    dim = _check_dims(t, dim, "split")
    length = t.shape[dim]
    if isinstance(split_size, int):
        sizes = [min(split_size, length - start) for start in range(0, length, split_size)]
    else:
        sizes = list(split_size)
        if sum(sizes) != length:
            raise ValueError(f"split: sizes {sizes} sum to {sum(sizes)}, but dim {dim} has size {length}")
    pieces, start = [], 0
    for size in sizes:
        index = (slice(None),) * dim + (slice(start, start + size),)
        pieces.append(t[index])
        start += size
    return tuple(pieces)


def chunk(t: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    _need_dims(t, "chunk")
    length = t.shape[_check_dims(t, dim, "chunk")]
    return split(t, max(1, -(-length // chunks)), dim)


def is_tensor(value: Any) -> bool:
    return isinstance(value, Tensor)


def numel(t: Tensor) -> int:
    return t.numel()


def allclose(a: Tensor, b: Tensor, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    return _as_tensor(a).allclose(b, rtol, atol)


def pad_array(t: Tensor, pad: Iterable[tuple[int, int]], value: float = 0.0) -> Tensor:
    """Pad every axis by (before, after) with `value` (differentiable)."""
    return _apply(ops.Pad, t, pad=tuple(tuple(p) for p in pad), value=value)
