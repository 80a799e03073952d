"""TinyTorch: a deep-learning framework written from scratch on NumPy, shaped like PyTorch."""

from __future__ import annotations

from typing import Any

from . import autograd, backend, ops
from .autograd import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .random import Generator, manual_seed
from .serialization import CheckpointError, load, save
from .system import system_report
from .tensor import (
    Tensor,
    allclose,
    arange,
    bool_,
    cat,
    cdist,
    chunk,
    concatenate,
    einsum,
    empty,
    eye,
    float16,
    float32,
    float64,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    int8,
    int32,
    int64,
    is_tensor,
    linspace,
    logspace,
    matmul,
    maximum,
    meshgrid,
    minimum,
    numel,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    set_default_dtype,
    split,
    stack,
    tensor,
    uint8,
    where,
    zeros,
    zeros_like,
)

bool = bool_  # noqa: A001 - the dtype is called tinytorch.bool, as in PyTorch
float = float32  # noqa: A001
long = int64
double = float64
inference_mode = no_grad  # TinyTorch has no separate inference mode: not recording is all it does

__version__ = "0.1.0"


def _method_as_function(name: str):
    def function(t: Tensor, *args: Any, **kwargs: Any) -> Any:
        return getattr(t if isinstance(t, Tensor) else tensor(t), name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"tinytorch.{name}(t, ...) is t.{name}(...)."
    return function


for _name in ("exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "sum", "mean",
              "var", "std", "prod", "logsumexp", "argmax", "argmin", "max", "min", "amax", "amin",
              "reshape", "flatten", "transpose", "permute", "squeeze", "unsqueeze", "clamp", "clip", "pow",
              "softmax", "log_softmax", "square", "sign", "rsqrt", "log1p", "expm1", "erf", "log2", "exp2",
              "reciprocal", "floor", "ceil", "round", "lerp", "isnan", "isinf", "isfinite", "isclose", "cumsum",
              "cumprod", "norm", "trace", "mm", "bmm", "dot", "outer", "addmm", "sort", "argsort", "topk",
              "broadcast_to", "flip", "roll", "tril", "triu", "diag", "repeat_interleave", "gather", "scatter",
              "scatter_add", "index_select", "nonzero", "multinomial"):
    globals()[_name] = _method_as_function(_name)
del _name

# The layers above the tensor, importable as tinytorch.nn, tinytorch.optim, tinytorch.data
# (as in PyTorch); they import the names above, so they come last.
from . import data, nn, optim  # noqa: E402
