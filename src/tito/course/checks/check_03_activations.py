"""Module 03 check: the activation functions' forward passes, their values, dtypes and stability.

Expected values come from the formulas written out with NumPy and `math.erf`, never from tinytorch.
Only forward passes are used (gradients are module 06) and only functions, not `nn` layers (the
Module machinery is module 04).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

import tinytorch
from tinytorch.nn import functional as F
from tito.course.checks._helpers import assert_close, assert_dtype, assert_shape, exercise, fail

RELU = exercise("ReLU.forward")
LEAKY_RELU = exercise("LeakyReLU.forward")
SIGMOID = exercise("Sigmoid.forward")
TANH = exercise("Tanh.forward")
GELU = exercise("GELU.forward")
SILU = exercise("SiLU.forward")
SOFTMAX = exercise("Softmax.forward")
LOG_SOFTMAX = exercise("LogSoftmax.forward")

POINTS = np.array([-3.0, -1.5, -0.25, 0.0, 0.5, 2.0, 4.0])
HUGE = np.array([-1000.0, -100.0, 100.0, 1000.0], dtype=np.float32)
LOGITS = np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32)


def _t(values, dtype=tinytorch.float32) -> tinytorch.Tensor:
    return tinytorch.tensor(np.asarray(values), dtype=dtype)


def _no_warnings(call, ex, what: str):
    """Run `call()` with NumPy's overflow/invalid warnings turned into failures naming `ex`."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            return call()
        except RuntimeWarning as warning:
            fail(what, ex, why=f"NumPy warned '{warning}': an intermediate overflowed; rewrite it so it cannot")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.array([1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v)) for v in x.ravel()]
                    ).reshape(x.shape)


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# --------------------------------------------------------------------------------------- ReLU


def test_relu_zeroes_negatives_and_keeps_positives():
    got = F.relu(_t(POINTS))
    assert_close(got, [0.0, 0.0, 0.0, 0.0, 0.5, 2.0, 4.0], RELU, "relu([-3, -1.5, -0.25, 0, 0.5, 2, 4])")
    assert_dtype(got, np.float32, RELU, "relu of a float32 tensor")
    assert_close(_t(POINTS).relu(), np.maximum(POINTS, 0), RELU, "Tensor.relu()")


def test_relu_keeps_the_shape_of_a_matrix():
    got = F.relu(_t(LOGITS))
    assert_shape(got, (3, 4), RELU, "relu of a (3, 4) tensor")
    assert_close(got, np.maximum(LOGITS, 0), RELU, "relu of a (3, 4) tensor")


# ---------------------------------------------------------------------------------- LeakyReLU


def test_leaky_relu_scales_negatives_by_the_slope():
    expected = np.where(POINTS > 0, POINTS, 0.01 * POINTS)
    assert_close(F.leaky_relu(_t(POINTS)), expected, LEAKY_RELU, "leaky_relu(x) with the default slope 0.01")
    expected = np.where(POINTS > 0, POINTS, 0.2 * POINTS)
    assert_close(F.leaky_relu(_t(POINTS), 0.2), expected, LEAKY_RELU, "leaky_relu(x, negative_slope=0.2)")


def test_leaky_relu_keeps_the_input_dtype():
    assert_dtype(F.leaky_relu(_t(POINTS), 0.2), np.float32, LEAKY_RELU, "leaky_relu of a float32 tensor")
    assert_dtype(F.leaky_relu(_t(POINTS, tinytorch.float64)), np.float64, LEAKY_RELU,
                 "leaky_relu of a float64 tensor")


# ------------------------------------------------------------------------------------ Sigmoid


def test_sigmoid_values():
    got = F.sigmoid(_t(POINTS, tinytorch.float64))
    assert_close(got, _sigmoid(POINTS), SIGMOID, "sigmoid(x) for x in [-3, ..., 4] (float64)", rtol=1e-12, atol=1e-12)
    assert_close(_t(POINTS).sigmoid(), _sigmoid(POINTS), SIGMOID, "Tensor.sigmoid() (float32)")
    assert_dtype(_t(POINTS).sigmoid(), np.float32, SIGMOID, "sigmoid of a float32 tensor")


def test_sigmoid_of_huge_inputs_saturates_without_overflow():
    got = _no_warnings(lambda: F.sigmoid(_t(HUGE)), SIGMOID, "sigmoid([-1000, -100, 100, 1000])")
    assert_close(got, [0.0, 0.0, 1.0, 1.0], SIGMOID, "sigmoid([-1000, -100, 100, 1000])", atol=1e-30)


# --------------------------------------------------------------------------------------- Tanh


def test_tanh_values():
    expected = [math.tanh(v) for v in POINTS]
    assert_close(F.tanh(_t(POINTS, tinytorch.float64)), expected, TANH, "tanh(x) (float64)", rtol=1e-12, atol=1e-12)
    assert_close(_t(POINTS).tanh(), expected, TANH, "Tensor.tanh() (float32)")


def test_tanh_of_huge_inputs_is_plus_or_minus_one():
    got = _no_warnings(lambda: F.tanh(_t(HUGE)), TANH, "tanh([-1000, -100, 100, 1000])")
    assert_close(got, [-1.0, -1.0, 1.0, 1.0], TANH, "tanh([-1000, -100, 100, 1000])")


# --------------------------------------------------------------------------------------- GELU


def test_gelu_exact_uses_the_normal_cdf():
    expected = [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in POINTS]
    assert_close(F.gelu(_t(POINTS, tinytorch.float64)), expected, GELU, "gelu(x) (exact, float64)",
                 rtol=1e-7, atol=1e-9)
    assert_close(F.gelu(_t(POINTS)), expected, GELU, "gelu(x) (exact, float32)", rtol=1e-5, atol=1e-6)


def test_gelu_tanh_approximation():
    c = math.sqrt(2 / math.pi)
    expected = [0.5 * v * (1 + math.tanh(c * (v + 0.044715 * v**3))) for v in POINTS]
    got = F.gelu(_t(POINTS, tinytorch.float64), approximate="tanh")
    assert_close(got, expected, GELU, "gelu(x, approximate='tanh') (float64)", rtol=1e-12, atol=1e-12)


def test_gelu_keeps_the_input_dtype():
    assert_dtype(F.gelu(_t(POINTS)), np.float32, GELU, "gelu of a float32 tensor")


# --------------------------------------------------------------------------------------- SiLU


def test_silu_is_x_times_sigmoid():
    expected = POINTS * _sigmoid(POINTS)
    assert_close(F.silu(_t(POINTS, tinytorch.float64)), expected, SILU, "silu(x) (float64)", rtol=1e-12, atol=1e-12)
    assert_dtype(F.silu(_t(POINTS)), np.float32, SILU, "silu of a float32 tensor")


def test_silu_of_huge_inputs_without_overflow():
    got = _no_warnings(lambda: F.silu(_t(HUGE)), SILU, "silu([-1000, -100, 100, 1000])")
    assert_close(got, [0.0, 0.0, 100.0, 1000.0], SILU, "silu([-1000, -100, 100, 1000])", atol=1e-30)


# ------------------------------------------------------------------------------------ Softmax


def test_softmax_rows_sum_to_one():
    got = F.softmax(_t(LOGITS), dim=-1)
    assert_close(got, _softmax(LOGITS, -1), SOFTMAX, "softmax of (3, 4) logits over dim=-1")
    assert_close(got.sum(dim=-1), np.ones(3), SOFTMAX, "the rows of softmax(dim=-1) must sum to 1")
    assert_dtype(got, np.float32, SOFTMAX, "softmax of float32 logits")


def test_softmax_over_the_first_dim():
    got = F.softmax(_t(LOGITS), dim=0)
    assert_close(got, _softmax(LOGITS, 0), SOFTMAX, "softmax of (3, 4) logits over dim=0")
    assert_close(_t(LOGITS).softmax(dim=0), _softmax(LOGITS, 0), SOFTMAX, "Tensor.softmax(dim=0)")


def test_softmax_of_huge_logits_does_not_overflow():
    logits = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]], dtype=np.float32)
    got = _no_warnings(lambda: F.softmax(_t(logits), dim=-1), SOFTMAX, "softmax([[1000, 1001, 1002], ...])")
    assert_close(got, _softmax(logits, -1), SOFTMAX, "softmax of logits around 1000 (subtract the max first)")


# --------------------------------------------------------------------------------- LogSoftmax


def test_log_softmax_is_log_of_softmax():
    got = F.log_softmax(_t(LOGITS), dim=-1)
    assert_close(got, np.log(_softmax(LOGITS, -1)), LOG_SOFTMAX, "log_softmax of (3, 4) logits over dim=-1")
    assert_dtype(got, np.float32, LOG_SOFTMAX, "log_softmax of float32 logits")


def test_log_softmax_over_the_first_dim():
    got = F.log_softmax(_t(LOGITS), dim=0)
    assert_close(got, np.log(_softmax(LOGITS, 0)), LOG_SOFTMAX, "log_softmax of (3, 4) logits over dim=0")
    assert_close(_t(LOGITS).log_softmax(0), np.log(_softmax(LOGITS, 0)), LOG_SOFTMAX, "Tensor.log_softmax(0)")


def test_log_softmax_of_huge_logits_stays_finite():
    logits = np.array([[1000.0, 0.0, -1000.0]], dtype=np.float32)
    got = _no_warnings(lambda: F.log_softmax(_t(logits), dim=-1), LOG_SOFTMAX, "log_softmax([[1000, 0, -1000]])")
    assert_close(got, [[0.0, -1000.0, -2000.0]], LOG_SOFTMAX, "log_softmax([[1000, 0, -1000]]) (never log(0))")
