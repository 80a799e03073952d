"""Milestone 03 — the multi-layer perceptron (1986) reads handwritten digits.

Rumelhart, Hinton and Williams showed in 1986 that backpropagation trains networks with hidden
layers: the hidden units learn their own features. This script trains such a network with your
autograd (module 06), data loader (module 07) and optimizer (module 08), written as a plain loop:

- quick mode (`--quick`): the 8x8 digits shipped with TinyTorch (1437 train / 360 test images),
  a few seconds; it must reach 95 % test accuracy;
- full mode: MNIST (60 000 train / 10 000 test images 28x28); it must reach 98 % test accuracy.
  MNIST is read from DIR/mnist.npz or DIR/mnist/ (`--data-dir DIR`, default $TINYTORCH_DATA).

Two modern changes to the 1986 recipe, for speed: ReLU hidden units instead of sigmoids, and the
cross-entropy loss instead of squared error. Momentum, which the 1986 paper introduced, stays.

    tito milestone run 3 -- --quick
    tito milestone run 3 -- --data-dir ~/data
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import tinytorch as tt
from tinytorch import nn, optim
from tinytorch.data import MNIST, DataLoader, Digits
from tinytorch.data import transforms as T

from handwritten_loop import train_by_hand  # beside this script

QUICK = {"threshold": 0.95, "epochs": 20, "hidden": (128, 64), "lr": 0.05, "batch_size": 32}
FULL = {"threshold": 0.98, "epochs": 12, "hidden": (512, 256), "lr": 0.05, "batch_size": 128}


class MLP(nn.Module):
    """Images (N, 1, H, W) -> flattened pixels -> Linear + ReLU hidden layers -> 10 class scores."""

    def __init__(self, inputs: int, hidden: tuple[int, ...], classes: int = 10) -> None:
        super().__init__()
        sizes = [inputs, *hidden]
        layers: list[nn.Module] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
        self.layers = nn.Sequential(*layers, nn.Linear(sizes[-1], classes))

    def forward(self, x: tt.Tensor) -> tt.Tensor:
        return self.layers(x.reshape(x.shape[0], -1))  # (N, 1, H, W) -> (N, H*W) -> (N, 10)


def load_data(quick: bool, data_dir: Path | None) -> tuple[object, object, str]:
    """Train and test datasets as normalised tensors (N, 1, H, W), and a description."""
    if quick:
        transform = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
        return Digits(train=True, transform=transform), Digits(train=False, transform=transform), "8x8 digits"
    transform = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])  # MNIST's mean and std
    train = MNIST(root=data_dir, train=True, transform=transform)
    return train, MNIST(root=data_dir, train=False, transform=transform), "MNIST"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="8x8 digits shipped with TinyTorch, seconds (CI)")
    parser.add_argument("--data-dir", type=Path, default=None, help="folder with mnist.npz (default: $TINYTORCH_DATA)")
    parser.add_argument("--epochs", type=int, default=None, help="override the number of epochs")
    parser.add_argument("--seed", type=int, default=1986)
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    epochs = args.epochs or config["epochs"]
    tt.manual_seed(args.seed)

    try:
        train_set, test_set, name = load_data(args.quick, args.data_dir)
    except FileNotFoundError as error:
        print(f"ERROR: {error}\nQuick mode (--quick) needs no download: it uses the digits shipped with TinyTorch.")
        return 2
    train_loader = DataLoader(train_set, batch_size=config["batch_size"], shuffle=True,
                              generator=tt.Generator(args.seed))
    test_loader = DataLoader(test_set, batch_size=1000)
    height, width = train_set.data.shape[1:3]
    model = MLP(height * width, config["hidden"])
    optimizer = optim.SGD(model.parameters(), lr=config["lr"], momentum=0.9)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()

    sizes = " -> ".join(str(s) for s in (height * width, *config["hidden"], 10))
    print(f"MLP (1986) on {name}: {len(train_set)} train / {len(test_set)} test images, layers {sizes}")
    print(f"Threshold: {config['threshold']:.0%} test accuracy after {epochs} epochs (seed {args.seed})")
    start = time.perf_counter()
    accuracy = train_by_hand(model, loss_fn, optimizer, scheduler, train_loader, test_loader, epochs)
    elapsed = time.perf_counter() - start
    print(f"Test accuracy {accuracy:.2%} after {epochs} epochs in {elapsed:.1f}s")
    if accuracy < config["threshold"]:
        print(f"FAILED: did not converge ({accuracy:.2%} < {config['threshold']:.0%}). "
              "Check your loss, its backward pass and the optimizer step.")
        return 1
    print(f"PASSED: hidden layers trained by backpropagation read {name} at {accuracy:.2%}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
