"""Module 10 — metrics: how good are the predictions, in numbers a person reads.

The loss is what the optimizer minimises; a metric is what we report. Each function here takes the
model's `output` for a batch — logits or probabilities `(N, C)`, or class labels `(N,)` already
decided — and the true labels `target` `(N,)`, as Tensors or NumPy arrays, and works on the whole
batch at once with NumPy (no Python loop over samples):

    accuracy(logits, labels)              # 0.93: fraction of argmax(logits) == label
    top_k_accuracy(logits, labels, k=5)   # fraction whose label is among the 5 highest scores
    confusion_matrix(logits, labels)      # (C, C) counts: row = true class, column = predicted

`get_metric("accuracy")` turns the names the Trainer accepts (`"accuracy"`, `"top5_accuracy"`, ...)
into these functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from tinytorch.tensor import Tensor

__all__ = ["accuracy", "confusion_matrix", "get_metric", "predicted_labels", "top_k_accuracy"]

Metric = Callable[[Any, Any], float]


def _array(x: Any) -> np.ndarray:
    """The NumPy array behind a Tensor, array or list."""
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _labels(target: Any, n: int, op: str) -> np.ndarray:
    """`target` as integer class labels `(N,)`, checked against the N predictions."""
    labels = _array(target)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(f"{op}: target must be class labels of shape ({n},) to match the output, "
                         f"got shape {labels.shape}")
    if labels.dtype.kind not in "iub":
        raise ValueError(f"{op}: target must hold integer class labels, got dtype {labels.dtype}")
    return labels.astype(np.int64, copy=False)


def predicted_labels(output: Any) -> np.ndarray:
    """The predicted class of each sample: argmax over classes of `(N, C)` scores, or `(N,)` labels as given."""
    scores = _array(output)
    if scores.ndim == 2:
        return scores.argmax(axis=1)
    if scores.ndim == 1 and scores.dtype.kind in "iub":
        return scores.astype(np.int64, copy=False)
    raise ValueError(f"metrics: output must be class scores (N, C) or integer labels (N,), "
                     f"got shape {scores.shape} and dtype {scores.dtype}")


def accuracy(output: Any, target: Any) -> float:
    """The fraction of samples whose predicted class equals the label, in [0, 1].

    `output` is `(N, C)` scores (the prediction is the argmax) or `(N,)` labels; `target` is `(N,)`.
    """
    # BEGIN SOLUTION 10
    predictions = predicted_labels(output)  # (N,)
    labels = _labels(target, predictions.shape[0], "accuracy")
    if labels.shape[0] == 0:
        raise ValueError("accuracy: no samples (empty batch)")
    return float((predictions == labels).mean())
    # END SOLUTION


def top_k_accuracy(output: Any, target: Any, k: int = 5) -> float:
    """The fraction of samples whose label is among the `k` highest of its `(N, C)` scores.

    `np.argpartition` finds the k largest without sorting all C scores: O(C) per row, not O(C log C).
    """
    scores = _array(output)
    if scores.ndim != 2:
        raise ValueError(f"top_k_accuracy: output must be class scores (N, C), got shape {scores.shape}")
    n, classes = scores.shape
    if not 1 <= k <= classes:
        raise ValueError(f"top_k_accuracy: k must be between 1 and the number of classes {classes}, got {k}")
    labels = _labels(target, n, "top_k_accuracy")
    if n == 0:
        raise ValueError("top_k_accuracy: no samples (empty batch)")
    top = np.argpartition(scores, classes - k, axis=1)[:, classes - k:]  # (N, k) in any order
    return float((top == labels[:, None]).any(axis=1).mean())


def confusion_matrix(output: Any, target: Any, num_classes: int | None = None) -> np.ndarray:
    """Counts `(C, C)`: entry [i, j] is how many samples of true class i were predicted as class j.

    The diagonal holds the correct predictions; row i divided by its sum gives, per true class,
    where its samples went. `num_classes` defaults to the score width C of `(N, C)` outputs, or to
    the largest label seen + 1. Computed with one `np.bincount` over the pairs `true * C + predicted`.
    """
    # BEGIN SOLUTION 10
    predictions = predicted_labels(output)  # (N,)
    labels = _labels(target, predictions.shape[0], "confusion_matrix")
    scores = _array(output)
    if num_classes is None:
        seen = max(int(labels.max(initial=-1)), int(predictions.max(initial=-1))) + 1
        num_classes = scores.shape[1] if scores.ndim == 2 else seen
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"confusion_matrix: labels must lie in [0, {num_classes}), "
                         f"got values from {labels.min()} to {labels.max()}")
    if predictions.size and (predictions.min() < 0 or predictions.max() >= num_classes):
        raise ValueError(f"confusion_matrix: predicted classes must lie in [0, {num_classes}), "
                         f"got values from {predictions.min()} to {predictions.max()}")
    pairs = labels * num_classes + predictions  # (N,) one cell index per sample
    return np.bincount(pairs, minlength=num_classes * num_classes).reshape(num_classes, num_classes)
    # END SOLUTION


_TOP_K = re.compile(r"top(\d+)_accuracy")


def get_metric(metric: str | Metric) -> tuple[str, Metric]:
    """A metric's name and function: `"accuracy"`, `"top5_accuracy"` (any k), or your own callable.

    A callable `fn(output, target) -> float` is named after the function (`fn.__name__`).
    """
    if callable(metric):
        return getattr(metric, "__name__", type(metric).__name__), metric
    if metric == "accuracy":
        return "accuracy", accuracy
    match = _TOP_K.fullmatch(str(metric))
    if match:
        k = int(match[1])

        def top_k(output: Any, target: Any) -> float:
            return top_k_accuracy(output, target, k)

        return metric, top_k
    raise ValueError(f"unknown metric {metric!r}: use 'accuracy', 'top<k>_accuracy' (e.g. 'top5_accuracy') "
                     "or a function fn(output, target) -> float")
