"""Milestone 02 — XOR (1969): what one layer cannot learn, and how a hidden layer fixes it.

Minsky and Papert showed in 1969 that a single-layer perceptron cannot compute XOR: no line
separates {(0,1), (1,0)} from {(0,0), (1,1)}. This script shows both halves of the story on your
own autograd (module 06): a single layer trained by gradient descent stays at or below 75 %,
while a network with one hidden layer reaches 100 %.

    tito milestone run 2
"""

from __future__ import annotations

import argparse
import sys

import tinytorch as tt
from tinytorch import nn
from tinytorch.nn import functional as F

INPUTS = tt.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
TARGETS = tt.tensor([[0.0], [1.0], [1.0], [0.0]])
SINGLE_LAYER_CEILING = 0.75  # the best any line can do on XOR
THRESHOLD = 1.0  # the hidden-layer network must classify all four points


def train(model: nn.Module, steps: int, lr: float) -> tuple[float, float]:
    """Plain gradient descent on binary cross-entropy; returns (final loss, accuracy)."""
    for _ in range(steps):
        loss = F.binary_cross_entropy_with_logits(model(INPUTS), TARGETS)
        model.zero_grad()
        loss.backward()
        with tt.no_grad():
            for p in model.parameters():
                p.data -= lr * p.grad.data
    with tt.no_grad():
        predictions = (model(INPUTS) > 0).float()
    return loss.item(), (predictions == TARGETS).float().mean().item()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="accepted for uniformity; the run is already quick")
    parser.add_argument("--seed", type=int, default=1969)
    args = parser.parse_args(argv)
    tt.manual_seed(args.seed)

    print("XOR (1969): inputs (0,0) (0,1) (1,0) (1,1) -> 0 1 1 0")
    loss, single = train(nn.Linear(2, 1), steps=2000, lr=0.5)
    print(f"Single layer  : accuracy {single:.0%} (loss {loss:.3f}) — no line separates XOR")
    loss, hidden = train(nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)), steps=2000, lr=0.5)
    print(f"Hidden layer  : accuracy {hidden:.0%} (loss {loss:.3f})")

    if single > SINGLE_LAYER_CEILING:
        print(f"FAILED: a single layer scored {single:.0%} > {SINGLE_LAYER_CEILING:.0%}, which is impossible; "
              "the evaluation is wrong (check comparisons and Linear).")
        return 1
    if hidden < THRESHOLD:
        print(f"FAILED: did not converge: the hidden-layer network reached {hidden:.0%} < {THRESHOLD:.0%}. "
              "Check the backward passes (tanh, matmul, broadcasting of the bias).")
        return 1
    print("PASSED: one hidden layer learns what a single layer cannot.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
