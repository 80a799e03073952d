"""Metrics (module 10): accuracy, top-k accuracy and the confusion matrix against loop-based references."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.train.metrics import accuracy, confusion_matrix, get_metric, top_k_accuracy


def _random_case(seed: int, n: int = 200, classes: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, classes)).astype(np.float32), rng.integers(0, classes, size=n)


def test_accuracy_counts_argmax_hits() -> None:
    logits = tt.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.5, 0.2, 0.9], [1.0, 0.0, 0.0]])
    labels = tt.tensor([0, 1, 1, 2])
    assert accuracy(logits, labels) == pytest.approx(0.5)
    assert accuracy(np.array([0, 1, 2, 2]), labels) == pytest.approx(0.75)  # labels (N,) as predictions


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_accuracy_and_top_k_match_a_loop(seed: int) -> None:
    scores, labels = _random_case(seed)
    assert accuracy(scores, labels) == pytest.approx(np.mean([s.argmax() == y for s, y in zip(scores, labels)]))
    for k in (1, 3, 7):
        expected = np.mean([y in np.argsort(-s)[:k] for s, y in zip(scores, labels)])
        assert top_k_accuracy(tt.tensor(scores), tt.tensor(labels), k=k) == pytest.approx(expected)
    assert top_k_accuracy(scores, labels, k=7) == 1.0


def test_confusion_matrix_matches_a_loop() -> None:
    scores, labels = _random_case(3, classes=5)
    expected = np.zeros((5, 5), dtype=np.int64)
    for s, y in zip(scores, labels):
        expected[y, s.argmax()] += 1
    matrix = confusion_matrix(tt.tensor(scores), tt.tensor(labels))
    np.testing.assert_array_equal(matrix, expected)
    assert matrix.sum() == len(labels)
    assert np.trace(matrix) / len(labels) == pytest.approx(accuracy(scores, labels))


def test_confusion_matrix_rows_are_true_classes() -> None:
    matrix = confusion_matrix(np.array([1, 1, 2]), np.array([0, 1, 2]), num_classes=4)
    assert matrix.shape == (4, 4)
    assert matrix[0, 1] == 1 and matrix[1, 1] == 1 and matrix[2, 2] == 1 and matrix.sum() == 3


def test_metric_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match=r"accuracy: target .* shape \(3,\)"):
        accuracy(np.zeros((3, 4)), np.zeros(5, dtype=np.int64))
    with pytest.raises(ValueError, match="integer class labels"):
        accuracy(np.zeros((3, 4)), np.zeros(3))
    with pytest.raises(ValueError, match="k must be between 1 and the number of classes 4"):
        top_k_accuracy(np.zeros((3, 4)), np.zeros(3, dtype=np.int64), k=5)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        confusion_matrix(np.array([0, 1]), np.array([0, 3]), num_classes=2)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        get_metric("f1")


def test_get_metric_names() -> None:
    scores, labels = _random_case(4)
    name, top3 = get_metric("top3_accuracy")
    assert name == "top3_accuracy" and top3(scores, labels) == pytest.approx(top_k_accuracy(scores, labels, 3))
    assert get_metric("accuracy") == ("accuracy", accuracy)

    def error_rate(output, target) -> float:
        return 1 - accuracy(output, target)

    assert get_metric(error_rate) == ("error_rate", error_rate)
