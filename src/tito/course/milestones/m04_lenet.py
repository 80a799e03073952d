"""Milestone 04 — LeNet (1998): convolutions read handwritten digits.

LeCun, Bottou, Bengio and Haffner's LeNet-5 replaced the fully connected first layers of an MLP by
convolutions: small filters slid over the image share their weights across positions, and pooling
makes the features tolerant to small shifts. It read cheques in American banks. This script trains
it with your Conv2d, MaxPool2d and Flatten (module 09) and your optimizer (module 08):

- quick mode (`--quick`): the 8x8 digits shipped with TinyTorch, enlarged to 16x16 (each pixel
  becomes a 2x2 block), under a minute; it must reach 95 % test accuracy;
- full mode: MNIST (60 000 train / 10 000 test images 28x28); it must reach 99.0 % test accuracy,
  LeNet-5's published result (0.95 % error). Read from DIR/mnist.npz or DIR/mnist/
  (`--data-dir DIR`, default $TINYTORCH_DATA).

Modern changes to the 1998 recipe, for speed: ReLU instead of scaled tanh, max- instead of
average-pooling, cross-entropy instead of the RBF output layer, and Adam.

    tito milestone run 4 -- --quick
    tito milestone run 4 -- --data-dir ~/data
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import tinytorch as tt
from tinytorch import nn, optim
from tinytorch.data import MNIST, DataLoader, Digits
from tinytorch.data import transforms as T

from handwritten_loop import train_by_hand  # beside this script

QUICK = {"threshold": 0.95, "epochs": 10, "lr": 5e-3, "batch_size": 32}
FULL = {"threshold": 0.990, "epochs": 12, "lr": 2e-3, "batch_size": 64}


class LeNet5(nn.Module):
    """(N, 1, S, S) -> conv 5x5 (6) -> pool -> conv 5x5 (16) -> pool -> 120 -> 84 -> 10 class scores."""

    def __init__(self, image_size: int = 28, classes: int = 10) -> None:
        super().__init__()
        after = ((image_size // 2) - 4) // 2  # side after conv1 (padded: same size), pool, conv2 (-4), pool
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # (N, 6, S/2, S/2)
            nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),  # (N, 16, after, after)
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * after * after, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, classes),
        )

    def forward(self, x: tt.Tensor) -> tt.Tensor:
        return self.classifier(self.features(x))


def enlarge(images: tt.Tensor) -> tt.Tensor:
    """(N, C, H, W) -> (N, C, 2H, 2W): every pixel becomes a 2x2 block."""
    return tt.Tensor._from_array(np.repeat(np.repeat(images.data, 2, axis=-2), 2, axis=-1))


def load_data(quick: bool, data_dir: Path | None) -> tuple[object, object, str, int]:
    """Train and test datasets of normalised (N, 1, S, S) tensors, a description, and S."""
    if quick:
        transform = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,)), T.Lambda(enlarge, batched=True)])
        return (Digits(train=True, transform=transform), Digits(train=False, transform=transform),
                "8x8 digits enlarged to 16x16", 16)
    transform = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])  # MNIST's mean and std
    train = MNIST(root=data_dir, train=True, transform=transform)
    return train, MNIST(root=data_dir, train=False, transform=transform), "MNIST", 28


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="8x8 digits shipped with TinyTorch, under a minute (CI)")
    parser.add_argument("--data-dir", type=Path, default=None, help="folder with mnist.npz (default: $TINYTORCH_DATA)")
    parser.add_argument("--epochs", type=int, default=None, help="override the number of epochs")
    parser.add_argument("--seed", type=int, default=1998)
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    epochs = args.epochs or config["epochs"]
    tt.manual_seed(args.seed)

    try:
        train_set, test_set, name, size = load_data(args.quick, args.data_dir)
    except FileNotFoundError as error:
        print(f"ERROR: {error}\nQuick mode (--quick) needs no download: it uses the digits shipped with TinyTorch.")
        return 2
    train_loader = DataLoader(train_set, batch_size=config["batch_size"], shuffle=True,
                              generator=tt.Generator(args.seed))
    test_loader = DataLoader(test_set, batch_size=1000)
    model = LeNet5(image_size=size)
    optimizer = optim.Adam(model.parameters(), lr=config["lr"])
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_fn = nn.CrossEntropyLoss()

    n_params = sum(p.numel() for p in model.parameters())
    print(f"LeNet-5 (1998) on {name}: {len(train_set)} train / {len(test_set)} test images, {n_params} parameters")
    print(f"Threshold: {config['threshold']:.1%} test accuracy after {epochs} epochs (seed {args.seed})")
    start = time.perf_counter()
    accuracy = train_by_hand(model, loss_fn, optimizer, scheduler, train_loader, test_loader, epochs)
    elapsed = time.perf_counter() - start
    print(f"Test accuracy {accuracy:.2%} after {epochs} epochs in {elapsed:.1f}s")
    if accuracy < config["threshold"]:
        print(f"FAILED: did not converge ({accuracy:.2%} < {config['threshold']:.1%}). "
              "Check Conv2d and MaxPool2d, forward and backward.")
        return 1
    print(f"PASSED: LeNet-5 reads {name} at {accuracy:.2%}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
