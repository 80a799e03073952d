"""Differentiable operations: each one a forward on arrays and its local derivative beside it.

Forward passes are module 02 (tensor) and 03 (activations); backward passes are module 06
(autograd). `backward(grad)` gets d(loss)/d(output) and returns one gradient per input, in the
input's broadcast shape (the engine sums broadcast axes away) or None where none is needed.
Backward passes never modify `grad` in place: the same array may flow to several inputs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import backend
from .autograd.engine import unbroadcast
from .autograd.function import Function

Index = Any  # anything NumPy accepts between [ ]


# ---------------------------------------------------------------------------------------------
# Element-wise arithmetic
# ---------------------------------------------------------------------------------------------


class Add(Function):
    """out = a + b;  d/da = 1, d/db = 1."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # BEGIN SOLUTION 06
        return grad, grad
        # END SOLUTION


class Sub(Function):
    """out = a - b;  d/da = 1, d/db = -1."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a - b

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        # BEGIN SOLUTION 06
        return grad, (-grad if self.needs_grad(1) else None)
        # END SOLUTION


class Mul(Function):
    """out = a * b;  d/da = b, d/db = a."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return a * b

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        # BEGIN SOLUTION 06
        grad_a = grad * self.b if self.needs_grad(0) else None
        grad_b = grad * self.a if self.needs_grad(1) else None
        return grad_a, grad_b
        # END SOLUTION


class Div(Function):
    """out = a / b;  d/da = 1 / b, d/db = -a / b**2."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return a / b

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        # BEGIN SOLUTION 06
        grad_a = grad / self.b if self.needs_grad(0) else None
        grad_b = -grad * self.a / (self.b * self.b) if self.needs_grad(1) else None
        return grad_a, grad_b
        # END SOLUTION


class Neg(Function):
    """out = -a;  d/da = -1."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        return -a

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        return (-grad,)
        # END SOLUTION


class Pow(Function):
    """out = a ** b;  d/da = b * a**(b-1), d/db = out * log(a)."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        self.out = a**b
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        # BEGIN SOLUTION 06
        grad_a = None
        if self.needs_grad(0):
            with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** -1 is inf, yet d(a**0)/da = 0
                grad_a = grad * np.where(self.b == 0, 0, self.b * self.a ** (self.b - 1))
        grad_b = None
        if self.needs_grad(1):
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_b = grad * self.out * np.where(self.a > 0, np.log(np.where(self.a > 0, self.a, 1)), 0)
        return grad_a, grad_b
        # END SOLUTION


class Exp(Function):
    """out = e**a;  d/da = out."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = np.exp(a)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        return (grad * self.out,)
        # END SOLUTION


class Log(Function):
    """out = ln(a);  d/da = 1 / a."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.log(a)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        return (grad / self.a,)
        # END SOLUTION


class Sqrt(Function):
    """out = sqrt(a);  d/da = 1 / (2 * out)."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = np.sqrt(a)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        return (grad / (2 * self.out),)
        # END SOLUTION


class StdSqrt(Sqrt):
    """std = sqrt(var);  where var is 0 the gradient is 0, as in PyTorch (not 0 * inf = NaN)."""

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.where(self.out > 0, grad / (2 * self.out), 0.0),)


class Abs(Function):
    """out = |a|;  d/da = sign(a) (0 at 0, like PyTorch)."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.abs(a)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        return (grad * np.sign(self.a),)
        # END SOLUTION


class Sin(Function):
    """out = sin(a);  d/da = cos(a)."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.sin(a)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * np.cos(self.a),)


class Cos(Function):
    """out = cos(a);  d/da = -sin(a)."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.cos(a)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (-grad * np.sin(self.a),)


class Log1p(Function):
    """out = ln(1 + a), exact for tiny a;  d/da = 1 / (1 + a)."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return np.log1p(a)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad / (1 + self.a),)


class Expm1(Function):
    """out = e**a - 1, exact for tiny a;  d/da = out + 1."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = np.expm1(a)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * (self.out + 1),)


class Erf(Function):
    """out = erf(a);  d/da = 2 / sqrt(pi) * e**(-a**2)."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return _erf(a)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * (2 / math.sqrt(math.pi)) * np.exp(-self.a * self.a),)


class Step(Function):
    """out = floor, ceil or round of a;  d/da = 0 (a staircase is flat between its steps), as in PyTorch."""

    def forward(self, a: np.ndarray, how: str, decimals: int = 0) -> np.ndarray:
        self.shape = a.shape
        return np.round(a, decimals) if how == "round" else getattr(np, how)(a)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (np.zeros(self.shape, dtype=grad.dtype),)


class Maximum(Function):
    """out = max(a, b) element-wise; a tie sends half the gradient to each side (like PyTorch)."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return np.maximum(a, b)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        share_a = (self.a > self.b) + 0.5 * (self.a == self.b)
        share_a = share_a.astype(grad.dtype, copy=False)
        return grad * share_a, grad * (1 - share_a)


class Minimum(Maximum):
    """out = min(a, b) element-wise; min(a, b) = -max(-a, -b)."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = -a, -b
        return np.minimum(a, b)


class Clamp(Function):
    """out = a limited to [low, high];  d/da = 1 inside the range, 0 where clipped."""

    def forward(self, a: np.ndarray, low: float | None = None, high: float | None = None) -> np.ndarray:
        out = np.clip(a, low, high)
        self.inside = out == a
        return out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad * self.inside,)


class Where(Function):
    """out = a where condition else b;  the gradient goes to whichever side was chosen."""

    def forward(self, a: np.ndarray, b: np.ndarray, condition: np.ndarray) -> np.ndarray:
        self.condition = condition
        return np.where(condition, a, b)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        zero = np.zeros((), dtype=grad.dtype)
        grad_a = np.where(self.condition, grad, zero) if self.needs_grad(0) else None
        grad_b = np.where(self.condition, zero, grad) if self.needs_grad(1) else None
        return grad_a, grad_b


# ---------------------------------------------------------------------------------------------
# Activations (module 03 forward, module 06 backward)
# ---------------------------------------------------------------------------------------------


class ReLU(Function):
    """out = max(a, 0);  d/da = 1 where a > 0 else 0."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        # BEGIN SOLUTION 03
        self.positive = a > 0
        return a * self.positive
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        return (grad * self.positive,)
        # END SOLUTION


class LeakyReLU(Function):
    """out = a if a > 0 else slope * a;  d/da = 1 or slope."""

    def forward(self, a: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
        # BEGIN SOLUTION 03
        self.scale = np.where(a > 0, 1, negative_slope).astype(a.dtype)
        return a * self.scale
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        return (grad * self.scale,)
        # END SOLUTION


class Sigmoid(Function):
    """out = 1 / (1 + e**-a), computed without overflow;  d/da = out * (1 - out)."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        # BEGIN SOLUTION 03
        e = np.exp(-np.abs(a))  # never overflows: exponent <= 0
        self.out = np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        return self.out
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        return (grad * self.out * (1 - self.out),)
        # END SOLUTION


class Tanh(Function):
    """out = tanh(a);  d/da = 1 - out**2."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        # BEGIN SOLUTION 03
        self.out = np.tanh(a)
        return self.out
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        return (grad * (1 - self.out * self.out),)
        # END SOLUTION


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


class GELU(Function):
    """out = a * Phi(a) (exact, Phi the normal CDF) or its tanh approximation."""

    def forward(self, a: np.ndarray, approximate: str = "none") -> np.ndarray:
        self.a, self.approximate = a, approximate
        # BEGIN SOLUTION 03
        if approximate == "tanh":
            self.t = np.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * a * a * a))
            return 0.5 * a * (1 + self.t)
        self.cdf = 0.5 * (1 + _erf(a / math.sqrt(2)))
        return a * self.cdf
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        a = self.a
        # BEGIN SOLUTION 06
        if self.approximate == "tanh":
            inner_grad = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * a * a)
            return (grad * (0.5 * (1 + self.t) + 0.5 * a * (1 - self.t * self.t) * inner_grad),)
        pdf = np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
        return (grad * (self.cdf + a * pdf),)
        # END SOLUTION


def _erf(x: np.ndarray) -> np.ndarray:
    """The error function (NumPy has none, and SciPy is not a dependency).

    float32 (what models train in) uses Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7,
    computed in float32: cheap enough for every GELU of a transformer. float64 (what gradient checks
    use) is accurate to about 1e-15: the Taylor series below 3, the Numerical Recipes erfc fit above.
    """
    if x.dtype != np.float64:
        z = np.abs(x)
        t = 1 / (1 + 0.3275911 * z)
        poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
        return np.copysign(1 - poly * np.exp(-z * z), x)
    z = np.abs(x)
    t = 1 / (1 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (
            -0.82215223 + t * 0.17087277))))))))
    result = np.asarray(1 - t * np.exp(poly))  # an array even for a 0-d x, so it can be assigned into
    small = z < 3
    zs = z[small]
    term, total, square = zs.copy(), zs.copy(), zs * zs
    for n in range(1, 60):  # erf(z) = 2/sqrt(pi) * sum (-1)^n z^(2n+1) / (n! (2n+1))
        term = term * -square / n
        total = total + term / (2 * n + 1)
    result[small] = total * (2 / math.sqrt(math.pi))
    return np.copysign(result, x)


class SiLU(Function):
    """out = a * sigmoid(a);  d/da = s + a * s * (1 - s)."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        # BEGIN SOLUTION 03
        self.a = a
        self.s = Sigmoid().forward(a)
        return a * self.s
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        s = self.s
        return (grad * (s + self.a * s * (1 - s)),)
        # END SOLUTION


class Softmax(Function):
    """out = e**a / sum(e**a) along `dim`, shifted by the max so huge logits do not overflow.

    d/da: grad_in = out * (grad - sum(grad * out)).
    """

    def forward(self, a: np.ndarray, dim: int = -1) -> np.ndarray:
        self.dim = dim
        # BEGIN SOLUTION 03
        e = np.exp(a - a.max(axis=dim, keepdims=True))
        self.out = e / e.sum(axis=dim, keepdims=True)
        return self.out
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        out = self.out
        return (out * (grad - (grad * out).sum(axis=self.dim, keepdims=True)),)
        # END SOLUTION


class LogSoftmax(Function):
    """out = a - logsumexp(a) along `dim`;  grad_in = grad - softmax(a) * sum(grad)."""

    def forward(self, a: np.ndarray, dim: int = -1) -> np.ndarray:
        self.dim = dim
        # BEGIN SOLUTION 03
        shifted = a - a.max(axis=dim, keepdims=True)
        self.out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        return self.out
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        return (grad - np.exp(self.out) * grad.sum(axis=self.dim, keepdims=True),)
        # END SOLUTION


# ---------------------------------------------------------------------------------------------
# Matrix product
# ---------------------------------------------------------------------------------------------


class MatMul(Function):
    """out = a @ b (1-D, 2-D, batched, broadcast batch);  d/da = grad @ b^T, d/db = a^T @ grad."""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b = a, b
        return backend.get().matmul(a, b)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b, matmul = self.a, self.b, backend.get().matmul
        # BEGIN SOLUTION 06
        # Treat 1-D operands as matrices (a row for a, a column for b) so one rule covers all cases.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = grad
        if b.ndim == 1:  # restore the column axis first: for 1-D @ 1-D, grad is 0-d
            g = np.expand_dims(g, -1)
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        grad_a = grad_b = None
        if self.needs_grad(0):
            grad_a = matmul(g, np.swapaxes(b2, -1, -2))
            grad_a = grad_a.reshape(grad_a.shape[:-2] + (-1,)) if a.ndim == 1 else grad_a
        if self.needs_grad(1):
            grad_b = matmul(np.swapaxes(a2, -1, -2), g)
            grad_b = grad_b[..., 0] if b.ndim == 1 else grad_b
        return grad_a, grad_b
        # END SOLUTION


class Einsum(Function):
    """out = np.einsum("<in_0>,<in_1>,...-><output>", *operands) (explicit subscripts, one letter per axis).

    The gradient of operand k is itself an einsum: the output's gradient and the other operands,
    contracted to operand k's subscripts. Two details: a subscript that only operand k has (summed
    away, like j in "ij->i") copies the gradient along that axis (an einsum with a vector of ones),
    and a repeated subscript (a diagonal, like "ii->i") receives the gradient on the diagonal only.
    Size-1 axes broadcast like elsewhere: the engine sums the gradient back down to them.
    """

    def forward(self, *operands: np.ndarray, subscripts: tuple[str, ...], output: str) -> np.ndarray:
        self.operands, self.subscripts, self.output = operands, subscripts, output
        return np.asarray(np.einsum(",".join(subscripts) + "->" + output, *operands))

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        sizes: dict[str, int] = {}
        for spec, x in zip(self.subscripts, self.operands):
            for label, n in zip(spec, x.shape):
                sizes[label] = n if sizes.get(label, 1) == 1 else sizes[label]  # broadcast: 1 yields (even to 0)
        return tuple(self._gradient_of(k, grad, sizes) if self.needs_grad(k) else None
                     for k in range(len(self.operands)))

    def _gradient_of(self, k: int, grad: np.ndarray, sizes: dict[str, int]) -> np.ndarray:
        spec = self.subscripts[k]
        labels = "".join(dict.fromkeys(spec))  # operand k's subscripts, each once
        specs = [self.output] + [s for j, s in enumerate(self.subscripts) if j != k]
        arrays = [grad] + [x for j, x in enumerate(self.operands) if j != k]
        for label in labels:
            if label not in "".join(specs):  # summed away by operand k alone
                specs.append(label)
                arrays.append(np.ones(sizes[label], dtype=grad.dtype))
        g = np.einsum(",".join(specs) + "->" + labels, *arrays)
        g = np.broadcast_to(g, [sizes[label] for label in labels])  # size 1 where only operand k is longer
        if len(labels) == len(spec):
            return g
        full = np.zeros([sizes[label] for label in spec], dtype=g.dtype)  # repeated subscripts: a diagonal
        diagonal = tuple(np.arange(sizes[label]).reshape([-1 if q == labels.index(label) else 1
                                                          for q in range(len(labels))]) for label in spec)
        full[diagonal] = g
        return full


# ---------------------------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------------------------


def _expand_reduced(grad: np.ndarray, dim: int | tuple[int, ...] | None, keepdim: bool, shape) -> np.ndarray:
    """Put back the axes a reduction removed, so `grad` broadcasts against the input."""
    if dim is None:
        return np.reshape(grad, (1,) * len(shape))
    if not keepdim:
        dims = (dim,) if isinstance(dim, int) else dim
        grad = np.expand_dims(grad, tuple(d % len(shape) for d in dims))
    return grad


class Sum(Function):
    """out = sum of a over `dim`;  every input element gets the output's gradient."""

    def forward(self, a: np.ndarray, dim=None, keepdim: bool = False) -> np.ndarray:
        self.shape, self.dim, self.keepdim = a.shape, dim, keepdim
        # BEGIN SOLUTION 02
        return np.sum(a, axis=dim, keepdims=keepdim)
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        grad = _expand_reduced(grad, self.dim, self.keepdim, self.shape)
        return (np.broadcast_to(grad, self.shape),)
        # END SOLUTION


class Mean(Function):
    """out = mean of a over `dim`;  every input element gets grad / (number averaged)."""

    def forward(self, a: np.ndarray, dim=None, keepdim: bool = False) -> np.ndarray:
        self.shape, self.dim, self.keepdim = a.shape, dim, keepdim
        # BEGIN SOLUTION 02
        out = np.mean(a, axis=dim, keepdims=keepdim)
        self.count = a.size // max(out.size, 1) if a.size else 0
        return out.astype(a.dtype, copy=False)
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        grad = _expand_reduced(grad, self.dim, self.keepdim, self.shape)
        return (np.broadcast_to(grad / self.count, self.shape),)
        # END SOLUTION


class Max(Function):
    """out = max of a over `dim`;  the gradient goes to the winners: split evenly between ties, or,
    with `first_only` (max(dim), which also returns an index), all of it to the first winner."""

    def forward(self, a: np.ndarray, dim=None, keepdim: bool = False, first_only: bool = False) -> np.ndarray:
        self.a, self.dim, self.keepdim, self.first_only = a, dim, keepdim, first_only
        # BEGIN SOLUTION 02
        self.out = np.max(a, axis=dim, keepdims=keepdim)
        return self.out
        # END SOLUTION

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        out = _expand_reduced(self.out, self.dim, self.keepdim, self.a.shape)
        winners = self.a == out
        if self.first_only:  # the index max(dim) returns is the first winner's
            winners &= np.cumsum(winners, axis=self.dim) == 1
        count = winners.sum(axis=self.dim, keepdims=True)
        grad = _expand_reduced(grad, self.dim, self.keepdim, self.a.shape)
        return (grad * winners / count,)
        # END SOLUTION


class Prod(Function):
    """out = product of a over `dim`;  d/da_i = product of the others (computed without dividing by 0)."""

    def forward(self, a: np.ndarray, dim: int | None = None, keepdim: bool = False) -> np.ndarray:
        self.a, self.dim, self.keepdim = a, dim, keepdim
        return np.prod(a, axis=dim, keepdims=keepdim)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        a = self.a.reshape(-1) if self.dim is None else np.moveaxis(self.a, self.dim, -1)
        # product of everything before and after each element: exclusive cumulative products
        ones = np.ones(a.shape[:-1] + (1,), dtype=a.dtype)
        before = np.concatenate([ones, np.cumprod(a[..., :-1], axis=-1)], axis=-1)
        after = np.flip(np.concatenate([ones, np.cumprod(np.flip(a, -1)[..., :-1], axis=-1)], axis=-1), -1)
        others = before * after
        others = others.reshape(self.a.shape) if self.dim is None else np.moveaxis(others, -1, self.dim)
        return (_expand_reduced(grad, self.dim, self.keepdim, self.a.shape) * others,)


class VectorNorm(Function):
    """out = (sum |a|**p) ** (1/p) over `dim`, for p other than 1, 2 and +-inf (built from other ops);
    p = 0 counts the non-zeros. d/da = sign(a) |a|**(p-1) / out**(p-1), taken as 0 where out is 0
    (and, for p < 1, where a is 0), and 0 for p = 0: PyTorch's conventions at the kinks."""

    def forward(self, a: np.ndarray, p: float, dim=None, keepdim: bool = False) -> np.ndarray:
        self.a, self.p, self.dim, self.keepdim = a, p, dim, keepdim
        if p == 0:
            return np.sum(a != 0, axis=dim, keepdims=keepdim).astype(a.dtype)
        with np.errstate(divide="ignore"):  # p < 0 with a zero element: inf, then 0, as in PyTorch
            self.out = np.sum(np.abs(a) ** p, axis=dim, keepdims=keepdim) ** (1 / p)
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        if self.p == 0:
            return (np.zeros_like(self.a),)
        out = _expand_reduced(self.out, self.dim, self.keepdim, self.a.shape)
        grad = _expand_reduced(grad, self.dim, self.keepdim, self.a.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            local = np.sign(self.a) * np.abs(self.a) ** (self.p - 1)
            if self.p < 1:
                local = np.where(self.a == 0, 0.0, local)
                return (local * grad * out ** (1 - self.p),)
            return (np.where(out == 0, 0.0, local * grad / out ** (self.p - 1)),)


class LogSumExp(Function):
    """out = log(sum(e**a)) over `dim`, shifted by the max;  d/da = softmax(a)."""

    def forward(self, a: np.ndarray, dim=None, keepdim: bool = False) -> np.ndarray:
        self.a, self.dim, self.keepdim = a, dim, keepdim
        peak = np.max(a, axis=dim, keepdims=True)
        peak = np.where(np.isfinite(peak), peak, 0)
        out = np.log(np.sum(np.exp(a - peak), axis=dim, keepdims=True)) + peak
        self.out = out
        return out if keepdim else _squeeze(out, dim)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        grad = _expand_reduced(grad, self.dim, self.keepdim, self.a.shape)
        return (grad * np.exp(self.a - self.out),)


def _squeeze(a: np.ndarray, dim) -> np.ndarray:
    return a.reshape(()) if dim is None else np.squeeze(a, axis=dim)


class CumSum(Function):
    """out_i = a_0 + ... + a_i along `dim`;  d/da_i = grad_i + ... + grad_last (a cumsum run backwards)."""

    def forward(self, a: np.ndarray, dim: int) -> np.ndarray:
        self.dim = dim
        return np.cumsum(a, axis=dim)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (np.flip(np.cumsum(np.flip(grad, self.dim), axis=self.dim), self.dim),)


class CumProd(Function):
    """out_j = a_0 * ... * a_j along `dim`;  d out_j / d a_i = the product of a_0..a_j without a_i (j >= i).

    Computed without dividing by a_i (which may be 0): grad_in_i = (a_0 * ... * a_(i-1)) * s_i, where
    s_i = grad_i + a_(i+1) * s_(i+1) runs backwards along `dim` (one step per position).
    """

    def forward(self, a: np.ndarray, dim: int) -> np.ndarray:
        self.a, self.dim = a, dim
        return np.cumprod(a, axis=dim)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        a, g = np.moveaxis(self.a, self.dim, 0), np.moveaxis(grad, self.dim, 0)  # scanned axis first
        before = np.concatenate([np.ones_like(a[:1]), np.cumprod(a[:-1], axis=0)])  # products of a_0..a_(i-1)
        s = g.copy()
        for i in range(len(g) - 2, -1, -1):
            s[i] += a[i + 1] * s[i + 1]
        return (np.moveaxis(before * s, 0, self.dim),)


# ---------------------------------------------------------------------------------------------
# Shape and indexing: the gradient is the inverse movement
# ---------------------------------------------------------------------------------------------


class Reshape(Function):
    """out = a with a new shape;  the gradient is reshaped back."""

    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        return (grad.reshape(self.shape),)
        # END SOLUTION


class Permute(Function):
    """out = a with axes reordered;  the gradient is permuted by the inverse order."""

    def forward(self, a: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
        self.dims = dims
        return np.transpose(a, dims)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        return (np.transpose(grad, np.argsort(self.dims)),)
        # END SOLUTION


class Expand(Function):
    """out = a broadcast to a larger shape (a view);  the engine sums the gradient back down."""

    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        return np.broadcast_to(a, shape)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad,)


class Repeat(Function):
    """out = a tiled `repeats` times per axis;  the gradient sums the tiles."""

    def forward(self, a: np.ndarray, repeats: tuple[int, ...]) -> np.ndarray:
        self.shape, self.repeats = a.shape, repeats
        return np.tile(a, repeats)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        shape = (1,) * (len(self.repeats) - len(self.shape)) + self.shape
        split = [n for pair in zip(self.repeats, shape) for n in pair]  # (r0, s0, r1, s1, ...)
        summed = grad.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return (summed.reshape(self.shape),)


class GetItem(Function):
    """out = a[index];  the gradient is scattered back, adding where an index repeats."""

    def forward(self, a: np.ndarray, index: Index) -> np.ndarray:
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        return a[index]

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        # BEGIN SOLUTION 06
        full = np.zeros(self.shape, dtype=grad.dtype)
        np.add.at(full, self.index, grad)
        return (full,)
        # END SOLUTION


class SetItem(Function):
    """out = a with out[index] = value;  a gets grad except at index, value gets grad[index]."""

    def forward(self, a: np.ndarray, value: np.ndarray, index: Index) -> np.ndarray:
        self.index, self.value_shape = index, value.shape
        out = a.copy()
        out[index] = value
        return out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        grad_a = None
        if self.needs_grad(0):
            grad_a = grad.copy()
            grad_a[self.index] = 0
        grad_value = None
        if self.needs_grad(1):
            picked = grad[self.index]
            grad_value = unbroadcast(picked, self.value_shape)
        return grad_a, grad_value


class ScatterAdd(Function):
    """out = a with `src` added at positions `index` (repeated positions add up);  d/da = 1, d/dsrc = grad[index]."""

    def forward(self, a: np.ndarray, src: np.ndarray, index: Index) -> np.ndarray:
        self.index = index
        out = a.copy()
        np.add.at(out, index, src)
        return out

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        return grad, (grad[self.index] if self.needs_grad(1) else None)


class Cat(Function):
    """out = the inputs joined along `dim`;  each input gets its slice of the gradient back."""

    def forward(self, *arrays: np.ndarray, dim: int = 0) -> np.ndarray:
        self.dim = dim
        self.bounds = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray, ...]:
        # BEGIN SOLUTION 06
        return tuple(np.split(grad, self.bounds, axis=self.dim))
        # END SOLUTION


class Pad(Function):
    """out = a with `value` added around it (`pad` is NumPy's ((before, after), ...) per axis)."""

    def forward(self, a: np.ndarray, pad: tuple[tuple[int, int], ...], value: float = 0.0) -> np.ndarray:
        self.crop = tuple(slice(lo, lo + n) for (lo, _), n in zip(pad, a.shape))
        return np.pad(a, pad, constant_values=value)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:
        return (grad[self.crop],)
