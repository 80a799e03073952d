"""Every differentiable op, as named cases shared by the gradient checks and the PyTorch goldens.

A case is written once, PyTorch-style, as `fn(lib, *inputs)`: run with `lib=tinytorch` by the tests
and with `lib=torch` by `scripts/make_goldens.py`. That the same line runs on both libraries is
itself a check that the API is PyTorch-shaped. This module never imports torch.

Inputs are float64 (what gradient checks need) and kept away from kinks (0 for abs/relu, the bounds
of clamp, ties for max/min), where finite differences and PyTorch's conventions would disagree by
design rather than by bug. The kinks themselves are cases too, with `Fixed` inputs sitting on them
and `smooth=False`: they are checked against PyTorch's goldens only, which decide the convention.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class Input:
    """How to draw one input: a float64 array of `shape` (differentiable unless `grad=False`)."""

    shape: tuple[int, ...]
    low: float = -2.0
    high: float = 2.0
    nonzero: bool = False  # |x| >= 0.2: keeps abs, relu and friends away from their kink at 0
    grad: bool = True

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        x = rng.uniform(self.low, self.high, self.shape)
        if self.nonzero:
            x = np.where(x >= 0, 1, -1) * (0.2 + np.abs(x))
        return x


@dataclass(frozen=True)
class Const:
    """A fixed non-differentiable input: an index array, a boolean mask or a condition."""

    value: Any
    dtype: str

    grad = False

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        return np.array(self.value, dtype=self.dtype)


@dataclass(frozen=True)
class Fixed:
    """A differentiable input with given values: a tie or a kink, where PyTorch's convention decides."""

    value: Any

    grad = True

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        return np.array(self.value, dtype=np.float64)


@dataclass(frozen=True)
class Case:
    name: str
    inputs: tuple[Input | Const | Fixed, ...]
    fn: Callable[..., Any]  # fn(lib, *tensors) -> a tensor, or a tuple/list of tensors
    smooth: bool = True  # False: on a kink, so finite differences do not apply

    def arrays(self) -> list[np.ndarray]:
        """The inputs, drawn from a generator seeded by the case's name (adding a case moves no other)."""
        rng = np.random.default_rng(zlib.crc32(self.name.encode("utf-8")))
        return [spec.draw(rng) for spec in self.inputs]


def activation(lib: Any, name: str, x: Any, **options: Any) -> Any:
    """F.<name>(x) in PyTorch; the matching Function from tinytorch.ops in TinyTorch."""
    if lib.__name__ == "torch":
        return getattr(lib.nn.functional, name)(x, **options)
    from tinytorch import ops
    from tinytorch.tensor import _apply

    function = {"leaky_relu": ops.LeakyReLU, "gelu": ops.GELU, "silu": ops.SiLU}[name]
    return _apply(function, x, **options)


def pad(lib: Any, x: Any, widths: tuple[tuple[int, int], ...], value: float) -> Any:
    """Constant padding, (before, after) per axis: F.pad in PyTorch (last axis first), pad_array in TinyTorch."""
    if lib.__name__ == "torch":
        return lib.nn.functional.pad(x, [n for pair in reversed(widths) for n in pair], value=value)
    from tinytorch.tensor import pad_array

    return pad_array(x, widths, value)


def mask(shape: tuple[int, ...], seed: int) -> Const:
    """A fixed boolean mask with both values present."""
    value = np.random.default_rng(seed).random(shape) < 0.5
    value.flat[0], value.flat[-1] = True, False
    return Const(value.tolist(), "bool")


A = Input((3, 4))
POS = Input((3, 4), 0.5, 2.0)  # log, sqrt, pow bases, divisors
NZ = Input((3, 4), nonzero=True)
X3 = Input((2, 3, 4))
TIES = Fixed([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
KINKS = Fixed([[-1.0, 0.0, 0.5], [0.0, 2.0, -3.0]])
ZERO_ROWS = Fixed([[0.0, 0.0, 0.0], [1.0, 0.0, -2.0], [0.5, -1.0, 3.0]])  # a zero vector, a zero element

_CASES = [
    # element-wise arithmetic and broadcasting
    Case("add", (A, A), lambda lib, a, b: a + b),
    Case("add_broadcast_row_col", (Input((3, 1)), Input((1, 4))), lambda lib, a, b: a + b),
    Case("add_broadcast_rank", (X3, Input((4,))), lambda lib, a, b: a + b),
    Case("add_scalar", (A,), lambda lib, a: a + 1.5),
    Case("radd_scalar", (A,), lambda lib, a: 2 + a),
    Case("add_0d", (A, Input(())), lambda lib, a, b: a + b),
    Case("sub", (A, A), lambda lib, a, b: a - b),
    Case("sub_broadcast", (Input((4,)), Input((2, 3, 1))), lambda lib, a, b: a - b),
    Case("rsub_scalar", (A,), lambda lib, a: 1.0 - a),
    Case("mul", (A, A), lambda lib, a, b: a * b),
    Case("mul_broadcast", (Input((2, 1, 4)), Input((3, 1))), lambda lib, a, b: a * b),
    Case("mul_scalar", (A,), lambda lib, a: a * -3.0),
    Case("mul_self", (A,), lambda lib, a: a * a),
    Case("div", (A, POS), lambda lib, a, b: a / b),
    Case("div_broadcast", (Input((2, 3, 4)), Input((3, 1), 0.5, 2.0)), lambda lib, a, b: a / b),
    Case("rdiv_scalar", (POS,), lambda lib, a: 2.0 / a),
    Case("neg", (A,), lambda lib, a: -a),
    Case("pow_tensor", (POS, A), lambda lib, a, b: a**b),
    Case("pow_tensor_broadcast", (POS, Input((4,))), lambda lib, a, b: a**b),
    Case("pow_scalar_int", (A,), lambda lib, a: a**3),
    Case("pow_scalar_float", (POS,), lambda lib, a: a**2.5),
    Case("pow_scalar_negative", (POS,), lambda lib, a: a**-1.5),
    Case("rpow_scalar", (A,), lambda lib, a: 2.0**a),
    Case("exp", (A,), lambda lib, a: a.exp()),
    Case("log", (POS,), lambda lib, a: a.log()),
    Case("sqrt", (POS,), lambda lib, a: a.sqrt()),
    Case("abs", (NZ,), lambda lib, a: a.abs()),
    Case("sin", (A,), lambda lib, a: a.sin()),
    Case("cos", (A,), lambda lib, a: a.cos()),
    Case("maximum", (A, A), lambda lib, a, b: lib.maximum(a, b)),
    Case("maximum_broadcast", (A, Input((4,))), lambda lib, a, b: lib.maximum(a, b)),
    Case("minimum", (A, A), lambda lib, a, b: lib.minimum(a, b)),
    Case("clamp", (A,), lambda lib, a: a.clamp(-0.5, 0.75)),
    Case("clamp_min", (A,), lambda lib, a: a.clamp(min=0.1)),
    Case("clamp_max", (A,), lambda lib, a: a.clamp(max=-0.3)),
    Case("clip", (A,), lambda lib, a: a.clip(-1.0, 1.0)),
    Case("square", (A,), lambda lib, a: a.square()),
    Case("rsqrt", (POS,), lambda lib, a: a.rsqrt()),
    Case("max_tensor", (A, A), lambda lib, a, b: a.max(b)),
    Case("min_tensor", (A, A), lambda lib, a, b: a.min(b)),
    Case("masked_fill", (A, mask((3, 4), 7)), lambda lib, a, m: a.masked_fill(m, -1.5)),
    Case("where", (mask((3, 4), 1), A, A), lambda lib, c, a, b: lib.where(c, a, b)),
    Case("where_broadcast", (mask((3, 1), 2), A, Input((4,))), lambda lib, c, a, b: lib.where(c, a, b)),
    # activations
    Case("tanh", (A,), lambda lib, a: a.tanh()),
    Case("sigmoid", (Input((3, 4), -8.0, 8.0),), lambda lib, a: a.sigmoid()),
    Case("relu", (NZ,), lambda lib, a: a.relu()),
    Case("leaky_relu", (NZ,), lambda lib, a: activation(lib, "leaky_relu", a, negative_slope=0.2)),
    Case("gelu", (Input((3, 4), -4.0, 4.0),), lambda lib, a: activation(lib, "gelu", a)),
    Case("gelu_tanh", (Input((3, 4), -4.0, 4.0),), lambda lib, a: activation(lib, "gelu", a, approximate="tanh")),
    Case("silu", (Input((3, 4), -4.0, 4.0),), lambda lib, a: activation(lib, "silu", a)),
    Case("softmax", (A,), lambda lib, a: a.softmax(dim=-1)),
    Case("softmax_dim0", (X3,), lambda lib, a: a.softmax(dim=0)),
    Case("softmax_huge", (A,), lambda lib, a: (a * 1e4).softmax(dim=1)),
    Case("log_softmax", (A,), lambda lib, a: a.log_softmax(dim=-1)),
    Case("log_softmax_dim1", (X3,), lambda lib, a: a.log_softmax(dim=1)),
    Case("log_softmax_huge", (A,), lambda lib, a: (a * 1e4).log_softmax(dim=1)),
    # matrix product
    Case("matmul_1d_1d", (Input((4,)), Input((4,))), lambda lib, a, b: a @ b),
    Case("matmul_1d_2d", (Input((4,)), Input((4, 3))), lambda lib, a, b: a @ b),
    Case("matmul_2d_1d", (Input((3, 4)), Input((4,))), lambda lib, a, b: a @ b),
    Case("matmul_2d_2d", (Input((3, 4)), Input((4, 5))), lambda lib, a, b: lib.matmul(a, b)),
    Case("matmul_batched", (Input((2, 3, 4)), Input((2, 4, 5))), lambda lib, a, b: a @ b),
    Case("matmul_batched_2d", (Input((2, 3, 4)), Input((4, 5))), lambda lib, a, b: a @ b),
    Case("matmul_2d_batched", (Input((3, 4)), Input((2, 4, 5))), lambda lib, a, b: a @ b),
    Case("matmul_broadcast_batch", (Input((2, 1, 3, 4)), Input((3, 4, 2))), lambda lib, a, b: a @ b),
    Case("matmul_batched_1d", (Input((2, 3, 4)), Input((4,))), lambda lib, a, b: a @ b),
    Case("matmul_1d_batched", (Input((4,)), Input((2, 4, 3))), lambda lib, a, b: a @ b),
    # reductions
    Case("sum", (X3,), lambda lib, a: a.sum()),
    Case("sum_dim", (X3,), lambda lib, a: a.sum(dim=1)),
    Case("sum_dims_keepdim", (X3,), lambda lib, a: a.sum(dim=(0, 2), keepdim=True)),
    Case("sum_neg_dim", (X3,), lambda lib, a: a.sum(dim=-1)),
    Case("mean", (X3,), lambda lib, a: a.mean()),
    Case("mean_dim_keepdim", (X3,), lambda lib, a: a.mean(dim=1, keepdim=True)),
    Case("mean_dims", (X3,), lambda lib, a: a.mean(dim=(0, -1))),
    Case("max", (X3,), lambda lib, a: a.max()),
    Case("max_dim", (X3,), lambda lib, a: a.max(dim=1).values),
    Case("max_dim_keepdim", (X3,), lambda lib, a: a.max(dim=-1, keepdim=True).values),
    Case("min", (X3,), lambda lib, a: a.min()),
    Case("min_dim", (X3,), lambda lib, a: a.min(dim=0).values),
    Case("min_dim_keepdim", (X3,), lambda lib, a: a.min(dim=2, keepdim=True).values),
    Case("prod", (Input((2, 3), 0.5, 1.5),), lambda lib, a: a.prod()),
    Case("prod_dim", (Input((2, 3, 4), 0.5, 1.5),), lambda lib, a: a.prod(dim=1)),
    Case("prod_dim_keepdim", (Input((2, 3, 4), 0.5, 1.5),), lambda lib, a: a.prod(dim=-1, keepdim=True)),
    Case("logsumexp_dim", (X3,), lambda lib, a: a.logsumexp(dim=1)),
    Case("logsumexp_keepdim", (X3,), lambda lib, a: a.logsumexp(dim=-1, keepdim=True)),
    Case("logsumexp_dims", (X3,), lambda lib, a: a.logsumexp(dim=(0, 2))),
    Case("logsumexp_huge", (A,), lambda lib, a: (a * 1e4).logsumexp(dim=1)),
    Case("var", (X3,), lambda lib, a: a.var()),
    Case("var_dim", (X3,), lambda lib, a: a.var(dim=1)),
    Case("var_dim_keepdim_biased", (X3,), lambda lib, a: a.var(dim=-1, keepdim=True, correction=0)),
    Case("var_dims", (X3,), lambda lib, a: a.var(dim=(0, 2))),
    Case("std", (X3,), lambda lib, a: a.std()),
    Case("std_dim", (X3,), lambda lib, a: a.std(dim=0)),
    Case("std_dim_keepdim_biased", (X3,), lambda lib, a: a.std(dim=2, keepdim=True, correction=0)),
    # shape
    Case("reshape", (A,), lambda lib, a: a.reshape(2, 6)),
    Case("reshape_infer", (X3,), lambda lib, a: a.reshape(-1, 3)),
    Case("view_flat", (X3,), lambda lib, a: a.view(-1)),
    Case("flatten", (X3,), lambda lib, a: a.flatten(1)),
    Case("permute", (X3,), lambda lib, a: a.permute(2, 0, 1)),
    Case("transpose", (X3,), lambda lib, a: a.transpose(0, 2)),
    Case("transpose_neg", (X3,), lambda lib, a: a.transpose(-1, -2)),
    Case("t", (A,), lambda lib, a: a.t()),
    Case("mT", (X3,), lambda lib, a: a.mT),
    Case("expand", (Input((3, 1)),), lambda lib, a: a.expand(2, 3, 4)),
    Case("expand_keep", (Input((1, 4)),), lambda lib, a: a.expand(3, -1)),
    Case("repeat", (Input((2, 3)),), lambda lib, a: a.repeat(2, 3)),
    Case("repeat_new_dims", (Input((2, 3)),), lambda lib, a: a.repeat(2, 1, 2)),
    Case("squeeze", (Input((2, 1, 3, 1)),), lambda lib, a: a.squeeze()),
    Case("squeeze_dim", (Input((2, 1, 3)),), lambda lib, a: a.squeeze(1)),
    Case("unsqueeze", (A,), lambda lib, a: a.unsqueeze(1)),
    Case("unsqueeze_neg", (A,), lambda lib, a: a.unsqueeze(-1)),
    Case("pad", (X3,), lambda lib, a: pad(lib, a, ((0, 0), (1, 2), (2, 0)), 0.5)),
    Case("clone", (A,), lambda lib, a: a.clone()),
    Case("T_2d", (A,), lambda lib, a: a.T),
    Case("expand_as", (Input((3, 1)), A), lambda lib, a, b: a.expand_as(b) * b),
    Case("view_as", (X3, Input((4, 6))), lambda lib, a, b: a.view_as(b) * b),
    # indexing
    Case("getitem_int", (X3,), lambda lib, a: a[1]),
    Case("getitem_slices", (X3,), lambda lib, a: a[:, 1:3, ::2]),
    Case("getitem_negative_ellipsis", (X3,), lambda lib, a: a[-1, ..., 0]),
    Case("getitem_none", (A,), lambda lib, a: a[None, 1:, 2]),
    Case("getitem_int_array_repeats", (A, Const([0, 2, 0, 1, 0], "int64")), lambda lib, a, i: a[i]),
    Case("getitem_int_array_dim1", (A, Const([3, 1, 3], "int64")), lambda lib, a, i: a[:, i]),
    Case("getitem_int_arrays_pair", (A, Const([0, 2, 2], "int64"), Const([1, 1, 3], "int64")),
         lambda lib, a, i, j: a[i, j]),
    Case("getitem_bool", (A, mask((3, 4), 3)), lambda lib, a, m: a[m]),
    Case("getitem_bool_rows", (A, mask((3,), 4)), lambda lib, a, m: a[m]),
    Case("setitem_basic", (A, Input((4,))), lambda lib, a, v: _set(a, 1, v)),
    Case("setitem_slice_broadcast", (A, Input((3, 1))), lambda lib, a, v: _set(a, (slice(None), slice(1, 3)), v)),
    Case("setitem_int_array", (A, Input((2, 4)), Const([2, 0], "int64")), lambda lib, a, v, i: _set(a, i, v)),
    Case("setitem_bool", (A, mask((3, 4), 5)), lambda lib, a, m: _set(a, m, 0.5)),
    Case("setitem_bool_tensor", (A, Input(()), mask((3, 4), 6)), lambda lib, a, v, m: _set(a, m, v)),
    # joining and splitting
    Case("cat", (A, Input((2, 4))), lambda lib, a, b: lib.cat([a, b])),
    Case("cat_dim1_three", (A, Input((3, 1)), Input((3, 2))), lambda lib, a, b, c: lib.cat([a, b, c], dim=1)),
    Case("cat_neg_dim", (X3, Input((2, 3, 2))), lambda lib, a, b: lib.cat([a, b], dim=-1)),
    Case("stack", (A, A, A), lambda lib, a, b, c: lib.stack([a, b, c])),
    Case("stack_last", (A, A), lambda lib, a, b: lib.stack([a, b], dim=-1)),
    Case("split_size", (Input((5, 3)),), lambda lib, a: a.split(2)),
    Case("split_sizes", (Input((3, 5)),), lambda lib, a: lib.split(a, [1, 4], dim=1)),
    Case("chunk", (Input((2, 7)),), lambda lib, a: a.chunk(3, dim=1)),
    # a composite: broadcasting and reuse through several ops
    Case("composite_mlp", (Input((4, 3)), Input((3, 5)), Input((5,)), Input((5, 2))),
         lambda lib, x, w1, b1, w2: ((x @ w1 + b1).tanh() @ w2).log_softmax(dim=-1)),
    Case("amax_dims", (X3,), lambda lib, a: a.amax(dim=(0, 2))),
    Case("amin_keepdim", (X3,), lambda lib, a: a.amin(dim=1, keepdim=True)),
    # more element-wise functions
    Case("log1p", (Input((3, 4), -0.5, 2.0),), lambda lib, a: a.log1p()),
    Case("expm1", (A,), lambda lib, a: a.expm1()),
    Case("erf", (Input((3, 4), -3.0, 3.0),), lambda lib, a: a.erf()),
    Case("log2", (POS,), lambda lib, a: a.log2()),
    Case("exp2", (A,), lambda lib, a: lib.exp2(a)),
    Case("reciprocal", (NZ,), lambda lib, a: a.reciprocal()),
    Case("floor_ceil_round", (Input((3, 4), -3.0, 3.0),), lambda lib, a: (a.floor(), lib.ceil(a), a.round())),
    Case("round_decimals", (A,), lambda lib, a: a.round(decimals=1)),
    Case("lerp", (A, A), lambda lib, a, b: a.lerp(b, 0.3)),
    Case("lerp_tensor_weight", (A, Input((4,)), Input((3, 4), 0.0, 1.0)), lambda lib, a, b, w: lib.lerp(a, b, w)),
    # scans
    Case("cumsum", (A,), lambda lib, a: a.cumsum(dim=1)),
    Case("cumsum_dim0", (X3,), lambda lib, a: lib.cumsum(a, 0)),
    Case("cumprod", (Input((3, 4), 0.5, 1.5),), lambda lib, a: a.cumprod(dim=1)),
    Case("cumprod_zeros", (Fixed([[2.0, 0.0, 3.0, -1.0], [0.5, 1.5, 0.0, 0.0], [0.0, 2.0, -1.0, 1.5]]),),
         lambda lib, a: a.cumprod(dim=1)),  # a polynomial: smooth even at 0, where dividing by a would fail
    Case("cumprod_dim0", (X3,), lambda lib, a: a.cumprod(dim=-3)),
    # norms
    Case("norm", (X3,), lambda lib, a: a.norm()),
    Case("norm_dim", (X3,), lambda lib, a: a.norm(dim=1)),
    Case("norm_fro_dims_keepdim", (X3,), lambda lib, a: lib.norm(a, "fro", dim=(0, 2), keepdim=True)),
    Case("norm_1", (Input((3, 4), nonzero=True),), lambda lib, a: a.norm(p=1, dim=-1)),
    Case("norm_inf", (NZ,), lambda lib, a: a.norm(p=float("inf"), dim=1)),
    Case("norm_neg_inf", (NZ,), lambda lib, a: a.norm(p=float("-inf"))),
    Case("norm_3", (NZ,), lambda lib, a: a.norm(p=3, dim=0)),
    Case("norm_half", (NZ,), lambda lib, a: a.norm(p=0.5, dim=1, keepdim=True)),
    Case("cdist", (Input((3, 4)), Input((5, 4))), lambda lib, a, b: lib.cdist(a, b)),
    Case("cdist_batched_p1", (Input((2, 3, 4)), Input((2, 2, 4))), lambda lib, a, b: lib.cdist(a, b, p=1.0)),
    # matrix products
    Case("mm", (A, Input((4, 5))), lambda lib, a, b: a.mm(b)),
    Case("bmm", (X3, Input((2, 4, 5))), lambda lib, a, b: lib.bmm(a, b)),
    Case("dot", (Input((4,)), Input((4,))), lambda lib, a, b: a.dot(b)),
    Case("outer", (Input((3,)), Input((4,))), lambda lib, a, b: lib.outer(a, b)),
    Case("addmm", (Input((3, 5)), A, Input((4, 5))), lambda lib, c, a, b: c.addmm(a, b)),
    Case("addmm_scaled_broadcast", (Input((5,)), A, Input((4, 5))),
         lambda lib, c, a, b: lib.addmm(c, a, b, beta=0.5, alpha=-2.0)),
    Case("trace", (Input((4, 4)),), lambda lib, a: a.trace()),
    Case("diag_of_matrix", (A,), lambda lib, a: (a.diag(), a.diag(1), lib.diag(a, -2))),
    Case("diag_from_vector", (Input((3,)),), lambda lib, a: (a.diag(), a.diag(-1))),
    Case("einsum_matmul", (A, Input((4, 5))), lambda lib, a, b: lib.einsum("ij,jk->ik", a, b)),
    Case("einsum_implicit", (A, Input((4, 5))), lambda lib, a, b: lib.einsum("ij,jk", a, b)),
    Case("einsum_batched_list", (X3, Input((2, 4, 5))), lambda lib, a, b: lib.einsum("bij,bjk->bik", [a, b])),
    Case("einsum_transpose_sum", (X3,), lambda lib, a: lib.einsum("bij->jb", a)),
    Case("einsum_trace", (Input((4, 4)),), lambda lib, a: lib.einsum("ii->", a)),
    Case("einsum_diagonal", (Input((4, 4)), Input((4,))), lambda lib, a, v: lib.einsum("ii,i->i", a, v)),
    Case("einsum_outer", (Input((3,)), Input((4,))), lambda lib, a, b: lib.einsum("i,j->ij", a, b)),
    Case("einsum_three", (Input((2, 3)), A, Input((4, 2))), lambda lib, a, b, c: lib.einsum("ij,jk,kl->il", a, b, c)),
    Case("einsum_ellipsis", (Input((2, 2, 3, 4)), Input((4, 5))),
         lambda lib, a, b: lib.einsum("...ij,...jk->...ik", a, b)),
    Case("einsum_broadcast_size1", (Input((3, 1)), Input((4, 5))), lambda lib, a, b: lib.einsum("ij,jk->ik", a, b)),
    # sorting: the gradient of each value goes to the element it came from (inputs have no ties)
    Case("sort", (A,), lambda lib, a: a.sort()),
    Case("sort_descending_dim0", (X3,), lambda lib, a: lib.sort(a, dim=0, descending=True)),
    Case("topk", (A,), lambda lib, a: a.topk(2)),
    Case("topk_smallest_dim0", (X3,), lambda lib, a: lib.topk(a, 2, dim=1, largest=False)),
    # more shape functions
    Case("flip", (X3,), lambda lib, a: a.flip(0, 2)),
    Case("flip_list", (A,), lambda lib, a: lib.flip(a, [1])),
    Case("roll", (A,), lambda lib, a: a.roll(1, 1)),
    Case("roll_dims", (X3,), lambda lib, a: lib.roll(a, (1, -2), (0, 2))),
    Case("roll_flat", (A,), lambda lib, a: a.roll(5)),
    Case("tril", (Input((4, 4)),), lambda lib, a: a.tril()),
    Case("tril_batched_offset", (X3,), lambda lib, a: lib.tril(a, -1)),
    Case("triu", (A,), lambda lib, a: a.triu(1)),
    Case("repeat_interleave", (A,), lambda lib, a: a.repeat_interleave(2, dim=1)),
    Case("repeat_interleave_counts", (A, Const([2, 0, 3], "int64")), lambda lib, a, r: a.repeat_interleave(r, dim=0)),
    Case("repeat_interleave_flat", (Input((2, 3)),), lambda lib, a: lib.repeat_interleave(a, 2)),
    Case("broadcast_to", (Input((3, 1)),), lambda lib, a: a.broadcast_to((2, 3, 4))),
    Case("meshgrid", (Input((3,)), Input((4,))), lambda lib, a, b: lib.meshgrid(a, b, indexing="ij")),
    Case("meshgrid_xy", (Input((3,)), Input((4,)), Input((2,))),
         lambda lib, a, b, c: lib.meshgrid(a, b, c, indexing="xy")),
    # gather / scatter: index tensors pick one element per position along a dim
    Case("gather", (A, Const([[3, 0, 0], [1, 1, 2], [0, 3, 2]], "int64")), lambda lib, a, i: a.gather(1, i)),
    Case("gather_dim0_smaller", (A, Const([[2, 0, 2], [2, 1, 0]], "int64")), lambda lib, a, i: lib.gather(a, 0, i)),
    Case("scatter_add", (A, Const([[3, 0, 0], [1, 1, 2]], "int64"), Input((2, 3))),
         lambda lib, a, i, src: a.scatter_add(1, i, src)),
    # src larger than index: only its top-left part is used (PyTorch's backward cannot give it a gradient)
    Case("scatter_add_larger_src", (A, Const([[2, 0, 2, 1], [2, 1, 0, 1]], "int64"), Input((3, 5), grad=False)),
         lambda lib, a, i, src: lib.scatter_add(a, 0, i, src)),
    Case("scatter", (A, Const([[3, 0], [1, 2], [0, 3]], "int64"), Input((3, 2))),
         lambda lib, a, i, src: a.scatter(1, i, src)),
    Case("scatter_value", (A, Const([[2, 0, 1, 1]], "int64")), lambda lib, a, i: lib.scatter(a, 0, i, -1.5)),
    Case("index_select", (X3, Const([2, 0, 2], "int64")), lambda lib, a, i: a.index_select(1, i)),
    Case("index_select_last", (A, Const([3, 3, 1], "int64")), lambda lib, a, i: lib.index_select(a, -1, i)),
    # on the kinks: PyTorch's conventions, checked against its goldens only
    *(Case(name, inputs, fn, smooth=False) for name, inputs, fn in [
        ("tie_max_all", (TIES,), lambda lib, a: a.max()),
        ("tie_max_dim", (TIES,), lambda lib, a: a.max(dim=1)),  # all to the returned (first) index
        ("tie_min_dim", (TIES,), lambda lib, a: a.min(dim=0).values),
        ("tie_amax_dim", (TIES,), lambda lib, a: a.amax(dim=1)),  # split evenly
        ("tie_amin_dims", (TIES,), lambda lib, a: a.amin(dim=(0, 1))),
        ("tie_maximum", (TIES, Fixed([[3.0, 1.0, 0.0], [2.0, 2.0, 1.0]])), lambda lib, a, b: lib.maximum(a, b)),
        ("kink_abs_relu_at_0", (KINKS,), lambda lib, a: a.abs() + a.relu() + lib.sign(a)),
        ("kink_clamp_bounds", (KINKS,), lambda lib, a: a.clamp(-1.0, 0.0)),
        ("kink_norm_zero_rows", (ZERO_ROWS,), lambda lib, a: lib.stack([a.norm(p=p, dim=1) for p in (3, 0.5, 1.5, -2, 0)])),
        ("kink_std_of_constant", (Fixed([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]),), lambda lib, a: a.std(dim=1)),
    ]),
]


def _set(a: Any, index: Any, value: Any) -> Any:
    """out = a copy of `a` with out[index] = value (a differentiable in-place write on a non-leaf)."""
    out = a * 1
    out[index] = value
    return out


CASES: dict[str, Case] = {case.name: case for case in _CASES}
assert len(CASES) == len(_CASES), "case names must be unique"
