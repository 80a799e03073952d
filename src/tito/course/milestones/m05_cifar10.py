"""Milestone 05 — an AlexNet-style CNN learns CIFAR-10 (2012), trained by your Trainer.

Krizhevsky, Sutskever and Hinton's AlexNet won ImageNet 2012 with a deep stack of convolutions,
ReLUs and max-pooling, trained on GPUs with data augmentation and dropout. This script trains a
small network in that spirit on CIFAR-10 (32x32 colour images, 10 classes) on a CPU, with your
Trainer (module 10), convolutions (module 09), optimizer and LR schedule (module 08), and your
data pipeline with batch augmentation (module 07):

- full mode: 50 000 training images, 12 epochs; it must reach 75 % test accuracy on the 10 000
  test images, designed to take at most about 30 minutes on a 2-core laptop CPU;
- quick mode (`--quick`): the first 5 000 training and 1 000 test images, 4 epochs, about a
  minute; it must reach 35 % (chance is 10 %).

CIFAR-10 is read from DIR (`--data-dir DIR`, default $TINYTORCH_DATA): the binary batches
DIR/cifar-10-batches-bin/, or DIR/cifar10.npz, or DIR/cifar10_jpeg.npz (arrays x_train, y_train,
x_test, y_test). `--out DIR` keeps checkpoints (best and last), history.json and curves.png there;
`--resume` continues from DIR/last.safetensors exactly where it stopped.

What makes it fast enough for a CPU: 3x3 convolutions with BatchNorm (which allows a high learning
rate), channels 32-64-128-256 halved in resolution at every step, the one-cycle learning-rate
schedule (a short warm-up, then a long descent), and augmentation (random crops of the image
padded by 4 pixels, random left-right flips) done on whole batches at once.

    tito milestone run 5 -- --quick --data-dir ~/data
    tito milestone run 5 -- --data-dir ~/data --out runs/cifar10
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import tinytorch as tt
from tinytorch import nn, optim
from tinytorch.data import CIFAR10, DataLoader, Subset, data_root
from tinytorch.data import transforms as T
from tinytorch.train import ModelCheckpoint, Trainer, confusion_matrix

QUICK = {"threshold": 0.35, "epochs": 4, "train_size": 5_000, "test_size": 1_000, "max_lr": 0.1}
FULL = {"threshold": 0.75, "epochs": 12, "train_size": None, "test_size": None, "max_lr": 0.1}
BATCH_SIZE = 128
MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)  # per channel, over the training set


def conv_bn(in_channels: int, out_channels: int) -> list[nn.Module]:
    """3x3 convolution (no bias: BatchNorm's shift replaces it), BatchNorm, ReLU; keeps the size."""
    return [nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU()]


class CifarNet(nn.Module):
    """(N, 3, 32, 32) -> four conv blocks, each halving the size -> (N, 256, 2, 2) -> 10 class scores."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            *conv_bn(3, 32), nn.MaxPool2d(2),  # (N, 32, 16, 16)
            *conv_bn(32, 64), nn.MaxPool2d(2),  # (N, 64, 8, 8)
            *conv_bn(64, 128), nn.MaxPool2d(2),  # (N, 128, 4, 4)
            *conv_bn(128, 256), nn.MaxPool2d(2),  # (N, 256, 2, 2)
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(256 * 2 * 2, classes))

    def forward(self, x: tt.Tensor) -> tt.Tensor:
        return self.classifier(self.features(x))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 000 training images, 4 epochs, about a minute")
    parser.add_argument("--data-dir", type=Path, default=None, help="folder with CIFAR-10 (default: $TINYTORCH_DATA)")
    parser.add_argument("--epochs", type=int, default=None, help="override the number of epochs")
    parser.add_argument("--seed", type=int, default=2012)
    parser.add_argument("--out", type=Path, default=None, help="folder for checkpoints, history.json, curves.png")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/last.safetensors")
    args = parser.parse_args(argv)
    if args.resume and args.out is None:
        parser.error("--resume needs --out DIR (the folder holding last.safetensors)")
    config = QUICK if args.quick else FULL
    epochs = args.epochs or config["epochs"]
    tt.manual_seed(args.seed)

    augment = T.Compose([T.ToTensor(), T.RandomCrop(32, padding=4, generator=tt.Generator(args.seed + 1)),
                         T.RandomHorizontalFlip(generator=tt.Generator(args.seed + 2)), T.Normalize(MEAN, STD)])
    plain = T.Compose([T.ToTensor(), T.Normalize(MEAN, STD)])
    root = data_root(args.data_dir)
    try:
        train_set, test_set = CIFAR10(root, train=True, transform=augment), CIFAR10(root, train=False, transform=plain)
    except (FileNotFoundError, ValueError) as error:  # missing, or which archive is ambiguous
        print(f"ERROR: {error}")
        return 2
    if config["train_size"]:
        train_set = Subset(train_set, np.arange(config["train_size"]))
        test_set = Subset(test_set, np.arange(config["test_size"]))
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, generator=tt.Generator(args.seed),
                              prefetch=2)  # batches are cropped and flipped in a background thread
    test_loader = DataLoader(test_set, batch_size=500)

    model = CifarNet()
    optimizer = optim.SGD(model.parameters(), lr=config["max_lr"], momentum=0.9, nesterov=True, weight_decay=5e-4)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config["max_lr"], epochs=epochs,
                                              steps_per_epoch=len(train_loader), pct_start=0.25)
    callbacks = [ModelCheckpoint(args.out, monitor="val_accuracy")] if args.out else []
    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(label_smoothing=0.1), scheduler=scheduler,
                      scheduler_interval="step", callbacks=callbacks)

    n_params = sum(p.numel() for p in model.parameters())
    print(f"AlexNet-style CNN (2012) on CIFAR-10: {len(train_set)} train / {len(test_set)} test images, "
          f"{n_params} parameters, batch {BATCH_SIZE}")
    print(f"Threshold: {config['threshold']:.0%} test accuracy after {epochs} epochs (seed {args.seed})")
    start = time.perf_counter()
    resume_from = args.out / "last.safetensors" if args.resume else None
    history = trainer.fit(train_loader, epochs, val_loader=test_loader, resume_from=resume_from)
    elapsed = time.perf_counter() - start

    labels = np.concatenate([y.numpy() for _, y in test_loader])
    matrix = confusion_matrix(trainer.predict(test_loader), labels, num_classes=10)
    accuracy = float(np.trace(matrix) / matrix.sum())
    per_class = np.diag(matrix) / matrix.sum(axis=1)
    print("Per class: " + ", ".join(f"{name} {acc:.0%}" for name, acc in zip(CIFAR10.classes, per_class)))
    print(f"Test accuracy {accuracy:.2%} after {trainer.epoch} epochs; training took {elapsed / 60:.1f} min")
    if args.out:
        history.save(args.out / "history.json")
        try:
            history.plot(args.out / "curves.png", title="CIFAR-10")
        except ImportError as error:
            print(f"(no plot: {error})")
    if accuracy < config["threshold"]:
        print(f"FAILED: did not converge ({accuracy:.2%} < {config['threshold']:.0%}). Check Conv2d, BatchNorm2d "
              "and MaxPool2d backward passes, the optimizer and the learning-rate schedule.")
        return 1
    print(f"PASSED: the CNN classifies CIFAR-10 test images at {accuracy:.2%}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
