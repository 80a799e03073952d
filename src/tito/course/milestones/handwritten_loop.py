"""The training loop written out by hand, shared by milestones 03 and 04.

Both unlock before module 10's Trainer, so they train with the loop every framework hides: per
batch forward, loss, zero_grad, backward, step; per epoch one LR-schedule step and a test pass.
Everything it calls is the student's own code.
"""

from __future__ import annotations

import time

import tinytorch as tt
from tinytorch import nn, optim
from tinytorch.data import DataLoader
from tinytorch.train.progress import EpochProgress


def test_accuracy(model: nn.Module, loader: DataLoader) -> float:
    """Fraction of correctly classified test images (eval mode, no graph)."""
    model.eval()
    correct = total = 0
    with tt.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(dim=1) == labels).sum().item()
            total += len(labels)
    model.train()
    return correct / total


def train_by_hand(model: nn.Module, loss_fn: nn.Module, optimizer: optim.Optimizer,
                  scheduler: optim.lr_scheduler.LRScheduler, train_loader: DataLoader,
                  test_loader: DataLoader, epochs: int) -> float:
    """Train for `epochs` with a progress display; return the last test accuracy."""
    samples = len(train_loader.dataset)
    with EpochProgress() as progress:
        for epoch in range(1, epochs + 1):
            progress.start_epoch(epoch, epochs, len(train_loader))
            epoch_start, loss_sum = time.perf_counter(), 0.0
            for images, labels in train_loader:
                loss = loss_fn(model(images), labels)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                loss_sum += loss.item() * len(labels)
                progress.advance(len(labels), loss.item())
            lr = optimizer.param_groups[0]["lr"]
            scheduler.step()
            accuracy = test_accuracy(model, test_loader)
            progress.end_epoch({"train_loss": loss_sum / samples, "test_accuracy": accuracy,
                                "lr": lr, "time": time.perf_counter() - epoch_start})
    return accuracy
