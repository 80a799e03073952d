"""Milestone 01 — Rosenblatt's perceptron (1957), on your own Tensor and Linear layer.

Rosenblatt's machine learned to separate two classes of points with a line, by nudging its weights
towards every point it got wrong. It needs no gradients: only tensors (module 02) and a Linear layer
(module 04). The perceptron convergence theorem promises it finds a separating line whenever one
exists; this script checks that promise on linearly separable data and fails loudly if it does not.

    tito milestone run 1
"""

from __future__ import annotations

import argparse
import sys

import tinytorch as tt
from tinytorch import nn

THRESHOLD = 1.0  # training accuracy the perceptron must reach (the data are separable)
MAX_EPOCHS = 100


def separable_points(n: int, generator: tt.Generator) -> tuple[tt.Tensor, tt.Tensor]:
    """Two Gaussian clouds on either side of the line x + 2y = 1, with a margin between them."""
    points = tt.randn(4 * n, 2, generator=generator) * 1.5
    side = points[:, 0] + 2 * points[:, 1] - 1
    keep = (side.abs() > 0.1).numpy()  # a margin makes the classes cleanly separable
    points, side = points[keep][:n], side[keep][:n]
    labels = tt.where(side > 0, 1.0, -1.0)  # (n,) in {-1, +1}
    return points, labels


def train_perceptron(points: tt.Tensor, labels: tt.Tensor, lr: float = 0.1) -> tuple[nn.Linear, int, float]:
    """Rosenblatt's rule: w += lr * y * x for every misclassified point, one epoch at a time."""
    neuron = nn.Linear(2, 1)
    accuracy = 0.0
    with tt.no_grad():
        for epoch in range(1, MAX_EPOCHS + 1):
            for x, y in zip(points, labels):
                prediction = 1.0 if neuron(x.reshape(1, 2)).item() > 0 else -1.0
                if prediction != y.item():
                    neuron.weight.data += lr * y.item() * x.data.reshape(1, 2)
                    neuron.bias.data += lr * y.item()
            scores = neuron(points).reshape(-1)
            accuracy = ((scores > 0) == (labels > 0)).float().mean().item()
            if accuracy >= THRESHOLD:
                return neuron, epoch, accuracy
    return neuron, MAX_EPOCHS, accuracy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="accepted for uniformity; the run is already quick")
    parser.add_argument("--seed", type=int, default=1957)
    args = parser.parse_args(argv)

    tt.manual_seed(args.seed)
    points, labels = separable_points(200, tt.Generator(args.seed))
    print(f"Perceptron (1957): {len(points)} points in 2-D, two linearly separable classes")
    print(f"Threshold: {THRESHOLD:.0%} training accuracy within {MAX_EPOCHS} epochs")
    neuron, epochs, accuracy = train_perceptron(points, labels)
    w, b = neuron.weight.data.reshape(-1), neuron.bias.data.item()
    print(f"After {epochs} epoch(s): accuracy {accuracy:.1%}; boundary {w[0]:+.2f}·x {w[1]:+.2f}·y {b:+.2f} = 0")
    if accuracy < THRESHOLD:
        print(f"FAILED: did not converge ({accuracy:.1%} < {THRESHOLD:.0%}). Check Linear.forward and Tensor matmul.")
        return 1
    print("PASSED: the perceptron separated the classes, as Rosenblatt's theorem promises.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
