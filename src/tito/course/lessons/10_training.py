# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Module 10 — Training: the loop written once, measured, and made restartable
#
# Every model so far was trained by a loop written on the spot. This module writes it once, as a
# `Trainer`: the step at its heart, evaluation in the right mode, metrics a person can read,
# learning-rate schedules, checkpoints that resume a run exactly, and early stopping — then
# measures where an epoch's time goes and uses the Trainer to debug a model that does not learn.

# %% [markdown]
# ## 1. Why now
#
# A training loop has five lines that must all be there, in order. Here is the digits MLP trained
# with SGD and momentum, once correctly and once with `optimizer.zero_grad()` forgotten:

# %%
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

import tinytorch as tt
from tinytorch import nn, optim
from tinytorch.data import DataLoader, Digits, Subset, random_split
from tinytorch.data import transforms as T
from tinytorch.nn import functional as F
from tinytorch.train import (
    EarlyStopping,
    ModelCheckpoint,
    Trainer,
    accuracy,
    confusion_matrix,
    top_k_accuracy,
)

normalize = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])  # uint8 (8, 8, 1) -> float32 (1, 8, 8)
train_set, test_set = Digits(train=True, transform=normalize), Digits(train=False, transform=normalize)


def make_mlp() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 10))


for forget in (False, True):
    tt.manual_seed(0)
    model = make_mlp()
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loader = DataLoader(train_set, batch_size=64, shuffle=True, generator=tt.Generator(0))
    losses = []
    for epoch in range(2):
        total = 0.0
        for images, labels in loader:
            loss = F.cross_entropy(model(images), labels)
            if not forget:
                optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
        losses.append(total / len(train_set))
    print(f"{'zero_grad forgotten' if forget else 'correct loop':20s} mean loss per epoch:",
          [f"{value:.3f}" for value in losses])

# %% [markdown]
# Without `zero_grad` every step adds its gradient to all the previous ones, and the steps grow
# until the loss explodes — with no error message. Module 09 showed the same silence for a forgotten
# `model.eval()`. And a real run needs more around the loop: validation after each epoch, accuracy
# rather than loss, a schedule, checkpoints so that a crash at epoch 9 of 10 does not start over,
# and a rule for when to stop. Written anew in every script, some of it is always missing.

# %% [markdown]
# ## 2. The idea
#
# **The Trainer** takes the pieces and runs the loop:
#
#     trainer = Trainer(model, optimizer, loss_fn, scheduler=None, callbacks=[], grad_clip=None,
#                       metrics=("accuracy",))
#     history = trainer.fit(train_loader, epochs=10, val_loader=val_loader)
#     trainer.evaluate(test_loader)   # {"loss": ..., "accuracy": ...}
#
# `fit` runs epochs; an epoch is `training_step(inputs, targets)` on every batch — forward, loss,
# `zero_grad`, backward, optional gradient clipping, optimizer step — then `evaluate` on the
# validation set (in eval mode, under `no_grad`, and back to training mode after), then one
# scheduler step, then the callbacks. Each epoch adds a row of numbers to the `History`.
#
# **Metrics** are what a person reads; the loss is what the optimizer minimises. Accuracy is the
# fraction of argmax predictions equal to the label; top-k accuracy counts a prediction right when
# the label is among the k highest scores; the confusion matrix counts, for each true class (row),
# where its samples went (column):

# %%
logits = tt.tensor([[2.0, 1.0, 0.1], [0.2, 0.1, 3.0], [1.5, 1.6, 0.0], [0.1, 2.5, 0.3]])  # (4, 3)
labels = tt.tensor([0, 2, 0, 1])  # (4,)
print("predicted:", logits.argmax(dim=1).data, " labels:", labels.data)
print(f"accuracy {accuracy(logits, labels):.2f}   top-2 accuracy {top_k_accuracy(logits, labels, k=2):.2f}")
print("confusion matrix (row = true, column = predicted):\n", confusion_matrix(logits, labels))

# %% [markdown]
# **Callbacks** keep everything else out of the loop: the Trainer calls their hooks at fixed points
# (start of fit, end of each batch, end of each epoch). `EarlyStopping` watches a logged value such
# as `val_loss`: each epoch it either improves on the best so far (the counter `wait` goes back to
# 0) or not (`wait` grows); at `wait == patience` training stops.

# %%
stopper = EarlyStopping("val_loss", patience=2)
for epoch, value in enumerate([1.00, 0.80, 0.82, 0.79, 0.85, 0.90, 0.70], start=1):
    stop = stopper.should_stop(value)
    print(f"epoch {epoch}: val_loss {value:.2f}  best {stopper.best:.2f}  wait {stopper.wait}  stop: {stop}")
    if stop:
        break

# %% [markdown]
# **Checkpoints that resume exactly.** Saving the weights is not enough to continue a run as if it
# had never stopped. Momentum buffers and Adam's moments, the scheduler's position, the epoch and
# step counters, the history, the callbacks' state (early stopping's `best` and `wait`), and the
# states of the random generators (dropout, shuffling, augmentation) must all come back. A
# Trainer checkpoint is all of that, in one safetensors file:

# %%
tt.manual_seed(0)
model = make_mlp()
trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.05, momentum=0.9), nn.CrossEntropyLoss(), progress=False)
trainer.fit(DataLoader(train_set, batch_size=64, shuffle=True, generator=tt.Generator(0)), epochs=1)
state = trainer.state_dict()
print({key: type(value).__name__ for key, value in state.items()})
print("optimizer state per parameter:", sorted(state["optimizer"]["state"][0]))

# %% [markdown]
# ## 3. Build it
#
# Write the bodies marked for module 10:
#
# | file | function | what it must do |
# |------|----------|-----------------|
# | `tinytorch/train/trainer.py` | `Trainer.training_step` | forward, loss, `zero_grad`, backward, clip the gradients to `grad_clip` if set, optimizer step; return the loss as a float and the outputs detached |
# | `tinytorch/train/metrics.py` | `accuracy`, `confusion_matrix` | the fraction of argmax predictions equal to the labels, on the whole batch at once; the (C, C) counts of (true, predicted) pairs with one `np.bincount`, labels checked against C |
# | `tinytorch/train/callbacks.py` | `EarlyStopping.should_stop` | compare with `best` in the direction of `mode`, beyond `min_delta`: a new best resets `wait`, anything else increments it; stop when `wait` reaches `patience` |
#
# Check with `tito module test 10`; then `tito milestone run 5` trains an AlexNet-style network on
# CIFAR-10 with your Trainer, as in 2012.

# %% [markdown]
# ## 4. Measure it
#
# ### A run with the Trainer
#
# The MLP on the digits: SGD with momentum, a cosine schedule over 6 epochs, accuracy and top-3
# accuracy, the test set for validation:

# %%
def make_run(seed: int = 0, callbacks: tuple = (), epochs: int = 6) -> tuple[Trainer, DataLoader]:
    """A Trainer and its shuffled loader, everything random drawn from `seed`."""
    tt.manual_seed(seed)
    model = make_mlp()
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), scheduler=scheduler, callbacks=callbacks,
                      metrics=("accuracy", "top3_accuracy"), progress=False)
    return trainer, DataLoader(train_set, batch_size=64, shuffle=True, generator=tt.Generator(seed))


test_loader = DataLoader(test_set, batch_size=360)
trainer, train_loader = make_run()
history = trainer.fit(train_loader, epochs=6, val_loader=test_loader)
print(f"{'epoch':>5s} {'lr':>7s} {'train loss':>10s} {'train acc':>9s} {'val loss':>8s} {'val acc':>7s} "
      f"{'val top-3':>9s} {'time':>8s}")
for row in history.records:
    print(f"{row['epoch']:5d} {row['lr']:7.4f} {row['train_loss']:10.4f} {row['train_accuracy']:9.1%} "
          f"{row['val_loss']:8.4f} {row['val_accuracy']:7.1%} {row['val_top3_accuracy']:9.1%} "
          f"{1e3 * row['time']:6.1f}ms")

# %% [markdown]
# Training accuracy is averaged over an epoch while the weights change (and with dropout on), so in
# the first epochs it lags behind the validation accuracy, measured at the epoch's end. The confusion matrix says which
# mistakes remain:

# %%
outputs = trainer.predict(test_loader)  # (360, 10), eval mode, no graph
matrix = confusion_matrix(outputs, test_set.targets)
print(matrix)
errors = matrix - np.diag(np.diag(matrix))
true_class, predicted_class = np.unravel_index(errors.argmax(), errors.shape)
print(f"{errors.sum()} mistakes; the most frequent confusion: a {true_class} read as a {predicted_class} "
      f"({errors.max()} of the {matrix[true_class].sum()} {true_class}s)")

# %% [markdown]
# ### Where an epoch's time goes
#
# The same work as `training_step`, timed phase by phase over an epoch (the least disturbed of
# three): fetching the batch, forward (with the loss), backward (with `zero_grad`), and the
# optimizer step. For the MLP at three batch sizes, and for a small CNN on your module 09 kernels
# (the numpy backend's):

# %%
def make_cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 8, 4, 4)
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, 16, 2, 2)
                         nn.Flatten(), nn.Linear(64, 10))


def epoch_phases(model: nn.Module, loader: DataLoader, optimizer: optim.Optimizer) -> dict[str, float]:
    """Seconds spent in each phase of one epoch."""
    spent = dict.fromkeys(["data", "forward", "backward", "optimizer"], 0.0)
    batches = iter(loader)
    while True:
        start = time.perf_counter()
        batch = next(batches, None)
        if batch is None:
            return spent
        fetched = time.perf_counter()
        loss = F.cross_entropy(model(batch[0]), batch[1])
        forwarded = time.perf_counter()
        optimizer.zero_grad()
        loss.backward()
        backwarded = time.perf_counter()
        optimizer.step()
        stepped = time.perf_counter()
        for phase, seconds in zip(spent, (fetched - start, forwarded - fetched, backwarded - forwarded,
                                          stepped - backwarded)):
            spent[phase] += seconds


runs = {"MLP, batch 16": (make_mlp, 16), "MLP, batch 64": (make_mlp, 64), "MLP, batch 256": (make_mlp, 256),
        "CNN, batch 64": (make_cnn, 64)}
phase_table = {}
for name, (make, batch_size) in runs.items():
    tt.manual_seed(0)
    model = make()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=tt.Generator(0))
    epochs = [epoch_phases(model, loader, optimizer) for _ in range(3)]
    phase_table[name] = spent = {phase: min(e[phase] for e in epochs) for phase in epochs[0]}  # least disturbed
    epoch = Trainer(model, optimizer, nn.CrossEntropyLoss(), progress=False).fit(loader, epochs=1)[-1]["time"]
    total = sum(spent.values())
    shares = "  ".join(f"{phase} {seconds / total:4.0%}" for phase, seconds in spent.items())
    print(f"{name:15s} {len(loader):3d} steps  {1e3 * total:7.1f} ms/epoch: {shares}   "
          f"(the Trainer's epoch, with metrics: {1e3 * epoch:7.1f} ms)")

# %% [markdown]
# The optimizer step costs the same whatever the batch size, once per step: small batches pay it
# (and every other per-step overhead) more often. The convolutions make the CNN's forward and
# backward dominate everything else; for the small MLP, the fixed costs of Python are visible in
# every phase. The Trainer's bookkeeping (metrics, history) adds little on top of the same work.
#
# ### A checkpoint resumes exactly
#
# Run A: 6 epochs in one go (above). Run B: 3 epochs with a `ModelCheckpoint`, then a *new* Trainer,
# built from a different seed, resumed from the checkpoint and continued to 6 epochs. The dropout
# masks, the shuffling, the momentum and the schedule all continue where they stopped:

# %%
scratch = Path(tempfile.mkdtemp())  # checkpoints of this lesson, removed after the next section
folder = scratch / "resume"
first_half, loader = make_run(callbacks=(ModelCheckpoint(folder),))
first_half.fit(loader, epochs=3, val_loader=test_loader)
resumed, loader = make_run(seed=123, callbacks=(ModelCheckpoint(folder),))  # different weights, order, masks
resumed_history = resumed.fit(loader, epochs=6, val_loader=test_loader, resume_from=folder / "last.safetensors")
for epoch in (4, 5, 6):
    a, b = history[epoch - 1]["train_loss"], resumed_history[epoch - 1]["train_loss"]
    print(f"epoch {epoch}: train loss in one go {a:.10f}   after resuming {b:.10f}   identical: {a == b}")

checkpoint = folder / "last.safetensors"
param_bytes = sum(p.nbytes() for p in resumed.model.parameters())
momentum_bytes = sum(value.nbytes() for value in resumed.optimizer.state_dict()["state"].values()
                     for value in value.values() if isinstance(value, tt.Tensor))
print(f"checkpoint {checkpoint.stat().st_size:,} bytes: parameters {param_bytes:,} + momentum buffers "
      f"{momentum_bytes:,} + counters, history, generator states and the header")

# %% [markdown]
# ### Early stopping, and the best epoch kept
#
# With only 150 training images, a large MLP starts to memorise them: the training loss keeps
# falling while the validation loss turns back up. `EarlyStopping` ends the run `patience` epochs
# after the best validation loss, and `ModelCheckpoint` has kept that best epoch:

# %%
small_train, validation = random_split(train_set, [150, len(train_set) - 150], generator=tt.Generator(0))
tt.manual_seed(0)
model = nn.Sequential(nn.Flatten(), nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
stopper, keeper = EarlyStopping("val_loss", patience=3), ModelCheckpoint(scratch / "early")
trainer = Trainer(model, optim.Adam(model.parameters(), lr=1e-2), nn.CrossEntropyLoss(),
                  callbacks=[stopper, keeper], progress=False)
validation_loader = DataLoader(validation, batch_size=512)
overfit = trainer.fit(DataLoader(small_train, batch_size=32, shuffle=True, generator=tt.Generator(1)), epochs=50,
                      val_loader=validation_loader)
print("train loss:", [f"{v:.3f}" for v in overfit["train_loss"]])
print("val loss:  ", [f"{v:.3f}" for v in overfit["val_loss"]])
print(f"stopped after epoch {stopper.stopped_epoch} of 50; "
      f"best val_loss {keeper.best:.3f} at epoch {keeper.best_epoch}")
trainer.resume(keeper.best_path)
print(f"the best checkpoint restored: val_loss {trainer.evaluate(validation_loader)['loss']:.3f}")
shutil.rmtree(scratch)

# %% [markdown]
# ### Overfitting a tiny subset: a test for the whole pipeline
#
# Any working model can memorise 32 examples. If the training loss on them does not go to about 0,
# something in the pipeline is broken, and it shows in seconds rather than after a night of
# training. Here with a correct setup, and with a classic bug: the optimizer was given the
# parameters of *another* copy of the model (built twice, say, once before loading weights):

# %%
tiny = Subset(train_set, np.arange(32))
for bug in (False, True):
    tt.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    optimized = make_mlp() if bug else model
    trainer = Trainer(model, optim.Adam(optimized.parameters(), lr=1e-2), nn.CrossEntropyLoss(), progress=False)
    fitted = trainer.fit(DataLoader(tiny, batch_size=32), epochs=50)
    print(f"{'optimizer on another copy' if bug else 'correct':26s} loss {fitted['train_loss'][0]:.3f} -> "
          f"{fitted['train_loss'][-1]:.5f}, accuracy on the 32: {fitted['train_accuracy'][-1]:.0%}")

# %%
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None  # plots are optional: the tables above say the same

if plt is not None:
    history.plot("10_history.png", title="MLP on the digits: SGD, momentum 0.9, cosine schedule")
    print("saved 10_history.png")
    fig, ax = plt.subplots(figsize=(6, 3))
    bottom = np.zeros(len(phase_table))
    for phase in ("data", "forward", "backward", "optimizer"):
        shares = np.array([spent[phase] / sum(spent.values()) for spent in phase_table.values()])
        ax.barh(list(phase_table), shares, left=bottom, label=phase)
        bottom += shares
    ax.set_xlabel("share of the epoch")
    ax.legend(fontsize=8, ncols=4, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout()
    fig.savefig("10_epoch_phases.png", dpi=100)
    plt.close(fig)
    print("saved 10_epoch_phases.png")

# %% [markdown]
# ## 5. In the real world
#
# - PyTorch itself has no Trainer: every project writes its loop or uses a library that does.
#   PyTorch Lightning's `Trainer` has `fit`, `validate`, `test` and callbacks named as here
#   (`ModelCheckpoint`, `EarlyStopping` with `monitor`, `patience`, `mode`, `min_delta`); Hugging
#   Face `transformers` has its `Trainer`, Keras has `model.fit`.
# - A PyTorch checkpoint is a dict you assemble yourself: `model.state_dict()`,
#   `optimizer.state_dict()`, `scheduler.state_dict()`, the epoch, the gradient scaler for mixed
#   precision and the RNG states (`torch.get_rng_state()`, NumPy's, Python's). Lightning saves them
#   for you; resuming exactly in the *middle* of an epoch also needs the sampler's position.
# - `torch.save` writes pickles, and `torch.load` of an untrusted file could run code; PyTorch 2.6
#   made `weights_only=True` the default, and model hubs distribute weights as safetensors, the format
#   used here.
# - Metrics libraries (`torchmetrics`, `sklearn.metrics`) accumulate counts over batches, as the
#   Trainer does, because an average of per-batch accuracies is wrong when the last batch is smaller.
#   Histories go to TensorBoard or Weights & Biases rather than a JSON file.
# - Overfitting one batch is a standard first debugging step (Karpathy's "Recipe for Training
#   Neural Networks"); so is checking the loss at initialisation: ln(10) ≈ 2.303 for 10 classes.

# %% [markdown]
# ## 6. Reflect
#
# 1. From your phase table: what share of an epoch did the optimizer take at batch 16 and at batch
#    256? Why does it fall, and what does that suggest about very small batches?
# 2. For the CNN, forward and backward dominate: how many times faster would the epoch be if they
#    were 10x faster (module 15 is about making kernels faster) and nothing else changed? What would
#    dominate then?
# 3. Why did the resumed run need the generator states, and not only the weights and the optimizer?
#    Which of your numbers would differ if the dropout masks had not been restored?
# 4. In the early-stopping run, how many epochs after the best one did training go on, and why keep
#    a separate best checkpoint rather than the last one?

# %% [markdown]
# ## 7. What breaks next
#
# Everything so far was images: fixed-size arrays of numbers from the start. Text is a string. To
# feed it to a network it has to become a sequence of integer ids from a vocabulary — but ids of
# what? Take the docstrings of the TinyTorch modules loaded in this lesson as a small corpus:

# %%
corpus = "\n".join(module.__doc__ for name, module in sorted(sys.modules.items())
                   if name.startswith("tinytorch") and module.__doc__)
words = corpus.split()
half = len(words) // 2
seen = set(words[:half])
unseen = sum(word not in seen for word in words[half:]) / (len(words) - half)
print(f"{len(corpus):,} characters, {len(words):,} words")
print(f"characters as units: vocabulary {len(set(corpus)):5,}, a sequence of {len(corpus):,} ids")
print(f"words as units:      vocabulary {len(set(words)):5,}, a sequence of {len(words):,} ids")
print(f"words of the second half never seen in the first: {unseen:.0%} (no id for them)")
print("most common words:", Counter(words).most_common(5))

# %% [markdown]
# Characters give a tiny vocabulary but long sequences, each id carrying little meaning; words give
# short sequences but a vocabulary that never stops growing, and new text is full of words that
# have no id. Module 11 builds tokenizers between the two: byte-pair encoding learns frequent
# pieces of words from the text itself.
