"""Module 10 check: accuracy, the confusion matrix, early stopping and the Trainer's training step.

Metrics are checked on predictions whose answers are counted by hand; early stopping on sequences
of scores whose stopping epoch is worked out in the comments; the training step on a linear model
under mean squared error, whose gradient is written out in NumPy: for y = x W^T + b and
L = mean((y - t)^2) over all N * O entries, dL/dy = 2 (y - t) / (N O), dW = dy^T x, db = sum(dy).
"""

from __future__ import annotations

import numpy as np

import tinytorch
from tinytorch import nn, optim
from tinytorch.data import DataLoader, TensorDataset
from tinytorch.train import EarlyStopping, Trainer, accuracy, confusion_matrix
from tito.course.checks._helpers import assert_close, assert_equal, assert_raises, exercise, fail

EARLY_STOPPING = exercise("EarlyStopping.should_stop")
ACCURACY = exercise("accuracy")
CONFUSION = exercise("confusion_matrix")
TRAINING_STEP = exercise("Trainer.training_step")

RNG = np.random.default_rng(10)

# 6 samples, 3 classes: the argmax of each row is 1, 0, 2, 2, 1, 0
SCORES = np.array([[0.1, 2.0, -1.0], [3.0, 0.5, 0.2], [0.0, 0.1, 0.9],
                   [-2.0, -1.0, -0.5], [0.3, 0.4, 0.35], [5.0, 4.0, 4.5]], dtype=np.float32)
LABELS = np.array([1, 0, 1, 2, 2, 0])  # right: samples 0, 1, 3, 5; wrong: 2 (said 2), 4 (said 1)


# ------------------------------------------------------------------------------------- accuracy


def test_accuracy_of_scores_is_the_fraction_of_right_argmaxes():
    got = accuracy(tinytorch.tensor(SCORES), tinytorch.tensor(LABELS))
    if not isinstance(got, float):
        fail("accuracy(...) must return a Python float", ACCURACY, expected="float", got=type(got).__name__)
    assert_close(got, 4 / 6, ACCURACY, "accuracy of 6 score rows, 4 of them right (Tensors)")
    assert_close(accuracy(SCORES, LABELS), 4 / 6, ACCURACY, "accuracy of 6 score rows, 4 right (NumPy arrays)")
    assert_close(accuracy(SCORES[:2], LABELS[:2]), 1.0, ACCURACY, "accuracy of 2 rows, both right")


def test_accuracy_of_label_predictions():
    assert_close(accuracy(np.array([0, 1, 1, 3]), np.array([0, 1, 2, 2])), 0.5, ACCURACY,
                 "accuracy(predicted labels [0, 1, 1, 3], labels [0, 1, 2, 2])")


def test_accuracy_rejects_mismatched_or_empty_batches():
    assert_raises(ValueError, lambda: accuracy(SCORES, LABELS[:4]), ACCURACY,
                  "accuracy of 6 score rows against 4 labels")
    assert_raises(ValueError, lambda: accuracy(np.zeros((0, 3)), np.zeros(0, dtype=np.int64)), ACCURACY,
                  "accuracy of an empty batch")


# ----------------------------------------------------------------------------- confusion_matrix


def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    got = confusion_matrix(tinytorch.tensor(SCORES), tinytorch.tensor(LABELS))
    expected = np.array([[2, 0, 0],   # true 0: samples 1, 5 both said 0
                         [0, 1, 1],   # true 1: sample 0 said 1, sample 2 said 2
                         [0, 1, 1]])  # true 2: sample 3 said 2, sample 4 said 1
    assert_equal(np.asarray(got), expected, CONFUSION, "confusion_matrix of 6 score rows (row = true, column = said)")


def test_confusion_matrix_sizes():
    got = confusion_matrix(np.array([0, 2, 2]), np.array([1, 2, 0]), num_classes=4)
    expected = np.zeros((4, 4), dtype=np.int64)
    expected[1, 0] = expected[2, 2] = expected[0, 2] = 1
    assert_equal(np.asarray(got), expected, CONFUSION,
                 "confusion_matrix(said [0, 2, 2], true [1, 2, 0], num_classes=4)")
    inferred = confusion_matrix(np.array([0, 1, 1]), np.array([1, 1, 0]))
    assert_equal(np.asarray(inferred), np.array([[0, 1], [1, 1]]), CONFUSION,
                 "confusion_matrix(said [0, 1, 1], true [1, 1, 0]): 2 classes from the largest label")


def test_confusion_matrix_rejects_labels_out_of_range():
    assert_raises(ValueError, lambda: confusion_matrix(SCORES, np.array([0, 1, 2, 3, 0, 1])), CONFUSION,
                  "confusion_matrix of (6, 3) scores with a label 3")


# ------------------------------------------------------------------------------- EarlyStopping


def _decisions(stopper: EarlyStopping, values: list[float]) -> list[bool]:
    return [bool(stopper.should_stop(v)) for v in values]


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    stopper = EarlyStopping("val_loss", patience=2)
    # 1.0 and 0.9 improve; 0.95 and 0.92 do not (best is 0.9): the second of them stops
    got = _decisions(stopper, [1.0, 0.9, 0.95, 0.92])
    assert_equal(got, [False, False, False, True], EARLY_STOPPING,
                 "EarlyStopping('val_loss', patience=2).should_stop for 1.0, 0.9, 0.95, 0.92")
    assert_close(stopper.best, 0.9, EARLY_STOPPING, "EarlyStopping.best after 1.0, 0.9, 0.95, 0.92")
    assert_equal(stopper.wait, 2, EARLY_STOPPING, "EarlyStopping.wait after two epochs without improvement")


def test_early_stopping_improvement_resets_the_wait():
    stopper = EarlyStopping("val_loss", patience=2)
    got = _decisions(stopper, [1.0, 1.1, 0.5, 0.6, 0.4, 0.45, 0.41])  # improvements at 0.5 and 0.4
    assert_equal(got, [False, False, False, False, False, False, True], EARLY_STOPPING,
                 "EarlyStopping(patience=2) for 1.0, 1.1, 0.5, 0.6, 0.4, 0.45, 0.41")
    assert_equal(EarlyStopping(patience=0).should_stop(3.0), False, EARLY_STOPPING,
                 "EarlyStopping(patience=0): the first value is an improvement")


def test_early_stopping_min_delta_and_mode_max():
    stopper = EarlyStopping("val_loss", patience=1, min_delta=0.1)
    got = _decisions(stopper, [1.0, 0.95])  # 0.95 is better, but not by more than 0.1
    assert_equal(got, [False, True], EARLY_STOPPING, "EarlyStopping(patience=1, min_delta=0.1) for 1.0, 0.95")
    accuracy_stopper = EarlyStopping("val_accuracy", patience=2)  # mode 'auto' -> 'max'
    got = _decisions(accuracy_stopper, [0.5, 0.7, 0.6, 0.8, 0.75, 0.79])
    assert_equal(got, [False, False, False, False, False, True], EARLY_STOPPING,
                 "EarlyStopping('val_accuracy', patience=2) (higher is better) for 0.5, 0.7, 0.6, 0.8, 0.75, 0.79")
    assert_close(accuracy_stopper.best, 0.8, EARLY_STOPPING, "EarlyStopping('val_accuracy').best")


# ---------------------------------------------------------------------------- Trainer.training_step

X = RNG.standard_normal((8, 3))
T = RNG.standard_normal((8, 2))


def _linear(seed: int = 0) -> nn.Linear:
    tinytorch.manual_seed(seed)
    return nn.Linear(3, 2, dtype=tinytorch.float64)


def _mse_step(w: np.ndarray, b: np.ndarray, lr: float, clip: float | None = None):
    """One SGD step of y = x W^T + b under mean squared error: (new W, new b, loss, y)."""
    y = X @ w.T + b
    dy = 2 * (y - T) / y.size
    dw, db = dy.T @ X, dy.sum(axis=0)
    if clip is not None:
        norm = np.sqrt((dw**2).sum() + (db**2).sum())
        scale = min(1.0, clip / (norm + 1e-6))
        dw, db = dw * scale, db * scale
    return w - lr * dw, b - lr * db, float(((y - T) ** 2).mean()), y


def test_training_step_returns_the_loss_and_detached_outputs():
    model = _linear()
    w, b = model.weight.data.copy(), model.bias.data.copy()
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), progress=False)
    result = trainer.training_step(tinytorch.tensor(X), tinytorch.tensor(T))
    if not isinstance(result, tuple) or len(result) != 2:
        fail("Trainer.training_step must return (loss, outputs)", TRAINING_STEP, got=result)
    loss, outputs = result
    _, _, expected_loss, expected_y = _mse_step(w, b, 0.1)
    if not isinstance(loss, float):
        fail("Trainer.training_step: the loss must be a Python float (loss.item())", TRAINING_STEP, expected="float",
             got=type(loss).__name__)
    assert_close(loss, expected_loss, TRAINING_STEP, "Trainer.training_step on Linear(3, 2) + MSELoss: the loss",
                 rtol=1e-10)
    assert_close(outputs, expected_y, TRAINING_STEP, "Trainer.training_step: the outputs (before the step)",
                 rtol=1e-10)
    if outputs.requires_grad or outputs.grad_fn is not None:
        fail("Trainer.training_step: the outputs must be detached from the graph", TRAINING_STEP,
             expected="requires_grad False", got=f"requires_grad {outputs.requires_grad}")


def test_training_step_takes_one_optimizer_step_per_batch():
    model = _linear()
    w, b = model.weight.data.copy(), model.bias.data.copy()
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), progress=False)
    for step in (1, 2, 3):
        trainer.training_step(tinytorch.tensor(X), tinytorch.tensor(T))
        w, b, _, _ = _mse_step(w, b, 0.1)
        assert_close(model.weight, w, TRAINING_STEP,
                     f"Linear(3, 2).weight after {step} training steps of SGD(lr=0.1) (fresh gradients each step)",
                     rtol=1e-10, atol=1e-12)
        assert_close(model.bias, b, TRAINING_STEP, f"Linear(3, 2).bias after {step} training steps", rtol=1e-10,
                     atol=1e-12)


def test_training_step_clips_the_gradient_norm():
    model = _linear(1)
    w, b = model.weight.data.copy(), model.bias.data.copy()
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.5), nn.MSELoss(), grad_clip=0.05, progress=False)
    trainer.training_step(tinytorch.tensor(X), tinytorch.tensor(T))
    w, b, _, _ = _mse_step(w, b, 0.5, clip=0.05)
    assert_close(model.weight, w, TRAINING_STEP, "Linear(3, 2).weight after one step with grad_clip=0.05",
                 rtol=1e-8, atol=1e-10)
    assert_close(model.bias, b, TRAINING_STEP, "Linear(3, 2).bias after one step with grad_clip=0.05",
                 rtol=1e-8, atol=1e-10)


def test_fit_learns_separable_classes_and_stops_early():
    tinytorch.manual_seed(3)
    x = RNG.standard_normal((64, 2)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)  # two classes split by a line
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=tinytorch.Generator(0))
    model = nn.Linear(2, 2)
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.5), nn.CrossEntropyLoss(), progress=False)
    history = trainer.fit(loader, epochs=15)
    losses = history["train_loss"]
    if not losses[-1] < 0.5 * losses[0] or history["train_accuracy"][-1] < 0.9:
        fail("Trainer.fit on two linearly separable classes, 15 epochs: the loss must halve and accuracy pass 0.9",
             TRAINING_STEP, expected="loss < half the first epoch's, accuracy >= 0.9",
             got=f"losses {np.round(losses, 3).tolist()}, last accuracy {history['train_accuracy'][-1]:.3f}")
    stopper = EarlyStopping("train_loss", patience=1, min_delta=10.0)  # no epoch improves by 10: stop at epoch 2
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.5), nn.CrossEntropyLoss(), callbacks=[stopper],
                      progress=False)
    assert_equal(len(trainer.fit(loader, epochs=10)), 2, EARLY_STOPPING,
                 "Trainer.fit(epochs=10) with EarlyStopping('train_loss', patience=1, min_delta=10): epochs run")
