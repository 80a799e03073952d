"""Module 05 check: the losses' forward values, reductions, options and numerical stability.

Expected values are computed in float64 NumPy from the textbook formulas (log-softmax, logaddexp),
never with tinytorch itself. Only forward passes: the gradients of the losses are module 06.
"""

from __future__ import annotations

import numpy as np

import tinytorch
from tinytorch import nn
from tinytorch.nn import functional as F
from tito.course.checks._helpers import assert_close, assert_shape, exercise

MSE = exercise("mse_loss")
CROSS_ENTROPY = exercise("CrossEntropy.forward")
NLL = exercise("nll_loss")
BCE = exercise("BinaryCrossEntropy.forward")
BCE_LOGITS = exercise("BinaryCrossEntropyWithLogits.forward")

RNG = np.random.default_rng(5)
LOGITS = (RNG.standard_normal((6, 4)) * 2).astype(np.float32)  # (N, C)
LABELS = np.array([0, 3, 1, 1, 2, 3])
CLASS_WEIGHT = np.array([1.0, 2.0, 0.5, 3.0], dtype=np.float32)


def _t(values, dtype=None) -> tinytorch.Tensor:
    return tinytorch.tensor(np.asarray(values), dtype=dtype)


def _log_softmax(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _picked(log_p: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return log_p[np.arange(len(labels)), labels]


# ------------------------------------------------------------------------------------- mse_loss


def test_mse_loss_mean_sum_and_none():
    prediction = np.array([[1.0, 2.0], [3.0, -1.0]], dtype=np.float32)
    target = np.array([[0.0, 2.5], [1.0, 1.0]], dtype=np.float32)
    squares = (prediction - target) ** 2  # [[1, 0.25], [4, 4]]
    assert_close(F.mse_loss(_t(prediction), _t(target)), squares.mean(), MSE, "mse_loss(x, y) (mean of 1, 0.25, 4, 4)")
    assert_close(F.mse_loss(_t(prediction), _t(target), reduction="sum"), squares.sum(), MSE,
                 "mse_loss(x, y, reduction='sum')")
    got = F.mse_loss(_t(prediction), _t(target), reduction="none")
    assert_shape(got, (2, 2), MSE, "mse_loss(x, y, reduction='none')")
    assert_close(got, squares, MSE, "mse_loss(x, y, reduction='none')")
    assert_close(nn.MSELoss()(_t(prediction), _t(target)), squares.mean(), MSE, "nn.MSELoss()(x, y)")


# ---------------------------------------------------------------------------- CrossEntropy.forward


def test_cross_entropy_forward_is_mean_negative_log_softmax_of_the_target():
    expected = -_picked(_log_softmax(LOGITS), LABELS)  # (6,)
    got = F.cross_entropy(_t(LOGITS), _t(LABELS))
    assert_shape(got, (), CROSS_ENTROPY, "cross_entropy((6, 4) logits, (6,) labels)")
    assert_close(got, expected.mean(), CROSS_ENTROPY, "cross_entropy((6, 4) logits, (6,) labels)", rtol=1e-5)
    assert_close(F.cross_entropy(_t(LOGITS), _t(LABELS), reduction="sum"), expected.sum(), CROSS_ENTROPY,
                 "cross_entropy(..., reduction='sum')", rtol=1e-5)
    assert_close(F.cross_entropy(_t(LOGITS), _t(LABELS), reduction="none"), expected, CROSS_ENTROPY,
                 "cross_entropy(..., reduction='none')", rtol=1e-5)


def test_cross_entropy_forward_with_class_weights_divides_by_the_total_weight():
    per_row = -_picked(_log_softmax(LOGITS), LABELS) * CLASS_WEIGHT[LABELS]
    got = F.cross_entropy(_t(LOGITS), _t(LABELS), weight=_t(CLASS_WEIGHT))
    assert_close(got, per_row.sum() / CLASS_WEIGHT[LABELS].sum(), CROSS_ENTROPY,
                 "cross_entropy(..., weight=[1, 2, 0.5, 3]): sum of w[y]·loss / sum of w[y]", rtol=1e-5)
    assert_close(F.cross_entropy(_t(LOGITS), _t(LABELS), weight=_t(CLASS_WEIGHT), reduction="none"), per_row,
                 CROSS_ENTROPY, "cross_entropy(..., weight=..., reduction='none')", rtol=1e-5)


def test_cross_entropy_forward_skips_ignored_rows():
    labels = LABELS.copy()
    labels[[1, 4]] = -100
    keep = labels != -100
    expected = -_picked(_log_softmax(LOGITS[keep]), labels[keep])
    got = F.cross_entropy(_t(LOGITS), _t(labels))
    assert_close(got, expected.mean(), CROSS_ENTROPY, "cross_entropy with rows 1 and 4 labelled ignore_index=-100",
                 rtol=1e-5)
    none = F.cross_entropy(_t(LOGITS), _t(labels), reduction="none")
    assert_close(none, np.where(keep, -_picked(_log_softmax(LOGITS), np.where(keep, labels, 0)), 0.0), CROSS_ENTROPY,
                 "cross_entropy(..., reduction='none') with ignored rows (their loss is 0)", rtol=1e-5)


def test_cross_entropy_forward_with_label_smoothing():
    s, classes = 0.1, LOGITS.shape[1]
    target = (1 - s) * np.eye(classes)[LABELS] + s / classes  # (6, 4) smoothed one-hot
    expected = -(target * _log_softmax(LOGITS)).sum(axis=1)
    got = F.cross_entropy(_t(LOGITS), _t(LABELS), label_smoothing=s)
    assert_close(got, expected.mean(), CROSS_ENTROPY, "cross_entropy(..., label_smoothing=0.1)", rtol=1e-5)


def test_cross_entropy_forward_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0]], dtype=np.float32)
    labels = np.array([0, 2])
    expected = -_picked(_log_softmax(logits), labels)  # [0, 1 + log(1 + e**-1)]
    got = F.cross_entropy(_t(logits), _t(labels), reduction="none")
    assert_close(got, expected, CROSS_ENTROPY, "cross_entropy of logits around ±1000 (subtract the row max)", rtol=1e-5)


def test_cross_entropy_forward_with_spatial_dims_and_the_layer():
    logits = RNG.standard_normal((2, 3, 5)).astype(np.float32)  # (N, C, L)
    labels = RNG.integers(0, 3, size=(2, 5))
    rows = logits.transpose(0, 2, 1).reshape(-1, 3)
    expected = -_picked(_log_softmax(rows), labels.reshape(-1))
    got = F.cross_entropy(_t(logits), _t(labels), reduction="none")
    assert_shape(got, (2, 5), CROSS_ENTROPY, "cross_entropy((2, 3, 5) logits, (2, 5) labels, reduction='none')")
    assert_close(got, expected.reshape(2, 5), CROSS_ENTROPY, "cross_entropy((2, 3, 5) logits, (2, 5) labels)",
                 rtol=1e-5)
    layer = nn.CrossEntropyLoss(weight=_t(CLASS_WEIGHT))
    per_row = -_picked(_log_softmax(LOGITS), LABELS) * CLASS_WEIGHT[LABELS]
    assert_close(layer(_t(LOGITS), _t(LABELS)), per_row.sum() / CLASS_WEIGHT[LABELS].sum(), CROSS_ENTROPY,
                 "nn.CrossEntropyLoss(weight=...)(logits, labels)", rtol=1e-5)


# -------------------------------------------------------------------------------------- nll_loss


def test_nll_loss_picks_minus_the_target_log_probability():
    log_p = _log_softmax(LOGITS).astype(np.float32)
    expected = -_picked(log_p.astype(np.float64), LABELS)
    assert_close(F.nll_loss(_t(log_p), _t(LABELS)), expected.mean(), NLL, "nll_loss(log_softmax(x), y)", rtol=1e-5)
    assert_close(F.nll_loss(_t(log_p), _t(LABELS), reduction="sum"), expected.sum(), NLL,
                 "nll_loss(..., reduction='sum')", rtol=1e-5)
    assert_close(F.nll_loss(_t(log_p), _t(LABELS), reduction="none"), expected, NLL,
                 "nll_loss(..., reduction='none')", rtol=1e-5)


def test_nll_loss_with_weights_and_ignored_rows():
    log_p = _log_softmax(LOGITS).astype(np.float32)
    labels = LABELS.copy()
    labels[2] = -1
    keep = labels != -1
    w = CLASS_WEIGHT[np.where(keep, labels, 0)] * keep
    per_row = -_picked(log_p.astype(np.float64), np.where(keep, labels, 0)) * w
    got = F.nll_loss(_t(log_p), _t(labels), weight=_t(CLASS_WEIGHT), ignore_index=-1)
    assert_close(got, per_row.sum() / w.sum(), NLL, "nll_loss(..., weight=[1, 2, 0.5, 3], ignore_index=-1)", rtol=1e-5)


# ---------------------------------------------------------------------- BinaryCrossEntropy.forward


def test_binary_cross_entropy_forward_values():
    p = np.array([0.9, 0.2, 0.6, 0.01], dtype=np.float32)
    t = np.array([1.0, 0.0, 0.0, 1.0], dtype=np.float32)
    p64 = p.astype(np.float64)
    expected = -(t * np.log(p64) + (1 - t) * np.log(1 - p64))
    assert_close(F.binary_cross_entropy(_t(p), _t(t)), expected.mean(), BCE, "binary_cross_entropy(p, t)", rtol=1e-5)
    weight = np.array([1.0, 2.0, 0.5, 0.0], dtype=np.float32)
    assert_close(F.binary_cross_entropy(_t(p), _t(t), weight=_t(weight), reduction="none"), expected * weight, BCE,
                 "binary_cross_entropy(p, t, weight=[1, 2, 0.5, 0], reduction='none')", rtol=1e-5)


def test_binary_cross_entropy_forward_clamps_each_log_at_minus_100():
    p = np.array([0.0, 1.0, 0.0, 1.0], dtype=np.float32)
    t = np.array([1.0, 0.0, 0.0, 1.0], dtype=np.float32)
    got = F.binary_cross_entropy(_t(p), _t(t), reduction="none")
    assert_close(got, [100.0, 100.0, 0.0, 0.0], BCE,
                 "binary_cross_entropy of certain predictions, p=[0, 1, 0, 1], t=[1, 0, 0, 1] (logs clamped at -100)")


# ------------------------------------------------------------ BinaryCrossEntropyWithLogits.forward


def _bce_logits(x: np.ndarray, t: np.ndarray, pos_weight: np.ndarray | float = 1.0) -> np.ndarray:
    x = x.astype(np.float64)
    return pos_weight * t * np.logaddexp(0, -x) + (1 - t) * np.logaddexp(0, x)


def test_binary_cross_entropy_with_logits_forward_values():
    x = np.array([[2.0, -1.0, 0.5], [-3.0, 0.0, 4.0]], dtype=np.float32)
    t = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.3]], dtype=np.float32)
    assert_close(F.binary_cross_entropy_with_logits(_t(x), _t(t)), _bce_logits(x, t).mean(), BCE_LOGITS,
                 "binary_cross_entropy_with_logits(x, t)", rtol=1e-5)
    weight = np.array([0.5, 1.0, 2.0], dtype=np.float32)
    assert_close(F.binary_cross_entropy_with_logits(_t(x), _t(t), weight=_t(weight), reduction="none"),
                 _bce_logits(x, t) * weight, BCE_LOGITS, "binary_cross_entropy_with_logits(x, t, weight=..., 'none')",
                 rtol=1e-5)


def test_binary_cross_entropy_with_logits_forward_with_pos_weight():
    x = np.array([[2.0, -1.0, 0.5], [-3.0, 0.0, 4.0]], dtype=np.float32)
    t = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    pos_weight = np.array([3.0, 0.5, 2.0], dtype=np.float32)
    got = F.binary_cross_entropy_with_logits(_t(x), _t(t), pos_weight=_t(pos_weight), reduction="none")
    assert_close(got, _bce_logits(x, t, pos_weight), BCE_LOGITS,
                 "binary_cross_entropy_with_logits(x, t, pos_weight=[3, 0.5, 2], reduction='none')", rtol=1e-5)


def test_binary_cross_entropy_with_logits_forward_is_stable_for_huge_logits():
    x = np.array([1000.0, -1000.0, 1000.0, -1000.0], dtype=np.float32)
    t = np.array([1.0, 0.0, 0.0, 1.0], dtype=np.float32)
    got = F.binary_cross_entropy_with_logits(_t(x), _t(t), reduction="none")
    assert_close(got, [0.0, 0.0, 1000.0, 1000.0], BCE_LOGITS,
                 "binary_cross_entropy_with_logits of logits ±1000 (never form e**1000)")
