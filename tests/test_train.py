"""The Trainer (module 10): fit/evaluate/predict, schedulers, clipping, progress, and exact resume."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
from tinytorch import nn, optim
from tinytorch.data import DataLoader, Subset, TensorDataset
from tinytorch.data import transforms as T
from tinytorch.serialization import CheckpointError
from tinytorch.train import EarlyStopping, History, ModelCheckpoint, Trainer


def blobs(n: int = 240, seed: int = 0) -> TensorDataset:
    """Three Gaussian clusters in 4-D: an easy 3-class problem."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, size=n)
    centres = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], dtype=np.float32)
    x = centres[labels] + rng.normal(scale=0.7, size=(n, 4)).astype(np.float32)
    return TensorDataset(x, labels.astype(np.int64))


def small_model() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))


def make_trainer(seed: int = 0, callbacks=(), **kwargs) -> tuple[Trainer, DataLoader, DataLoader]:
    """A seeded model/optimizer/scheduler/loaders set; everything random drawn from `seed`."""
    tt.manual_seed(seed)
    model = small_model()
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)  # its state matters on resume
    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), scheduler=scheduler, callbacks=callbacks,
                      progress=False, **kwargs)
    train = DataLoader(blobs(), batch_size=32, shuffle=True, generator=tt.Generator(seed + 1))
    val = DataLoader(blobs(90, seed=1), batch_size=64)
    return trainer, train, val


def test_fit_learns_and_records_history() -> None:
    trainer, train, val = make_trainer()
    history = trainer.fit(train, epochs=5, val_loader=val)
    assert len(history) == 5 and trainer.epoch == 5 and trainer.step == 5 * len(train)
    assert history["epoch"] == [1, 2, 3, 4, 5]
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history[-1]["val_accuracy"] > 0.9
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05])  # the lr at each epoch's start
    assert set(history[0]) == {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "time"}
    result = trainer.evaluate(val)
    assert result["accuracy"] == pytest.approx(history[-1]["val_accuracy"])
    assert result["loss"] == pytest.approx(history[-1]["val_loss"])


def test_evaluate_and_predict_leave_the_model_and_grad_mode_as_they_were() -> None:
    trainer, train, val = make_trainer()
    trainer.model.train()
    x = val.dataset.tensors[0]
    first = trainer.predict(x, batch_size=7)  # eval mode: dropout off, so the same twice
    np.testing.assert_array_equal(first.data, trainer.predict(val).data)
    assert first.shape == (90, 3) and first.grad_fn is None
    trainer.evaluate(val)
    assert trainer.model.training and tt.is_grad_enabled()
    trainer.model.eval()
    trainer.evaluate(val)
    assert not trainer.model.training


def test_a_hand_written_loop_still_works_next_to_a_trainer() -> None:
    trainer, train, val = make_trainer()
    trainer.fit(train, epochs=1, val_loader=val)
    model = trainer.model
    optimizer = optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for x, y in train:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert all(np.isfinite(losses)) and model.training and tt.is_grad_enabled()


def test_step_scheduler_steps_once_per_batch() -> None:
    tt.manual_seed(0)
    model = small_model()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.9)
    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), scheduler=scheduler, scheduler_interval="step",
                      progress=False)
    loader = DataLoader(blobs(), batch_size=60)  # 4 batches
    history = trainer.fit(loader, epochs=2)
    assert history["lr"] == pytest.approx([0.1, 0.1 * 0.9**4])
    assert trainer.lr == pytest.approx(0.1 * 0.9**8)


def test_reduce_lr_on_plateau_gets_the_validation_loss() -> None:
    tt.manual_seed(0)
    model = small_model()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=0, threshold=10.0,
                                                     threshold_mode="abs")
    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), scheduler=scheduler, progress=False)
    history = trainer.fit(DataLoader(blobs(), batch_size=60), epochs=3, val_loader=DataLoader(blobs(90, seed=1)))
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.05])  # epoch 1 sets the best; no later one beats it by 10x
    assert scheduler.best == history["val_loss"][0]


def test_grad_clip_bounds_the_gradient_norm() -> None:
    trainer, train, _ = make_trainer(grad_clip=0.01)
    x, y = next(iter(train))
    trainer.training_step(x, y)
    norm = np.sqrt(sum(float((p.grad.data.astype(np.float64) ** 2).sum()) for p in trainer.model.parameters()))
    assert norm == pytest.approx(0.01, rel=1e-4)
    unclipped, _, _ = make_trainer()
    unclipped.training_step(x, y)
    assert np.sqrt(sum(float((p.grad.data ** 2).sum()) for p in unclipped.model.parameters())) > 0.1


def test_metrics_can_be_named_or_functions() -> None:
    def error_rate(output, target) -> float:
        return float((output.data.argmax(1) != target.data).mean())

    trainer, train, val = make_trainer(metrics=("accuracy", "top2_accuracy", error_rate))
    history = trainer.fit(train, epochs=2, val_loader=val)
    last = history[-1]
    assert last["val_error_rate"] == pytest.approx(1 - last["val_accuracy"])
    assert last["val_top2_accuracy"] >= last["val_accuracy"]


def losses_of(history) -> list[float]:
    return history["train_loss"] + history["val_loss"]


def test_resume_continues_exactly(tmp_path) -> None:
    """4 epochs in one go == 2 epochs + checkpoint + resume into fresh objects + 2 epochs."""
    straight, train, val = make_trainer(seed=7)
    straight.fit(train, epochs=4, val_loader=val)

    first, train, val = make_trainer(seed=7, callbacks=[ModelCheckpoint(tmp_path, monitor="val_loss")])
    first.fit(train, epochs=2, val_loader=val)
    assert (tmp_path / "last.safetensors").exists() and (tmp_path / "history.json").exists()

    # Fresh objects from another seed, and the global generator moved on: only the checkpoint can line them up.
    second, train, val = make_trainer(seed=99, callbacks=[ModelCheckpoint(tmp_path, monitor="val_loss")])
    tt.randn(1000)
    history = second.fit(train, epochs=4, val_loader=val, resume_from=tmp_path / "last.safetensors")

    assert second.epoch == 4 and second.step == straight.step
    assert history["train_loss"] == straight.history["train_loss"]  # exactly, not approximately
    assert history["val_loss"] == straight.history["val_loss"]
    assert history["lr"] == straight.history["lr"]
    for a, b in zip(straight.model.parameters(), second.model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def augmented_cnn_trainer(seed: int, callbacks=()) -> tuple[Trainer, DataLoader]:
    """A small CNN fed random crops and flips made in a prefetch thread, with a per-step OneCycle schedule."""
    tt.manual_seed(seed)
    rng = np.random.default_rng(0)  # the data itself is the same for every seed
    images, labels = rng.normal(size=(64, 3, 8, 8)).astype(np.float32), rng.integers(0, 3, size=64)
    augment = T.Compose([T.RandomCrop(8, padding=2, generator=tt.Generator(seed + 1)),
                         T.RandomHorizontalFlip(generator=tt.Generator(seed + 2))])
    dataset = Subset(TensorDataset(images, labels, transform=augment), np.arange(48))
    loader = DataLoader(dataset, batch_size=16, shuffle=True, generator=tt.Generator(seed + 3), prefetch=2)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.3),
                          nn.Flatten(), nn.Linear(4 * 8 * 8, 3))
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05, epochs=4, steps_per_epoch=len(loader))
    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(label_smoothing=0.1), scheduler=scheduler,
                      scheduler_interval="step", callbacks=callbacks, progress=False)
    return trainer, loader


def test_resume_is_exact_with_augmentation_in_a_prefetch_thread(tmp_path) -> None:
    straight, loader = augmented_cnn_trainer(seed=3)
    straight.fit(loader, epochs=4)
    first, loader = augmented_cnn_trainer(seed=3, callbacks=[ModelCheckpoint(tmp_path, monitor="train_loss")])
    first.fit(loader, epochs=2)
    assert len(tt.load(tmp_path / "last.safetensors")["rng"]["loaders"]) == 3  # shuffling, crops, flips
    second, loader = augmented_cnn_trainer(seed=50, callbacks=[ModelCheckpoint(tmp_path, monitor="train_loss")])
    history = second.fit(loader, epochs=4, resume_from=tmp_path / "last.safetensors")
    assert history["train_loss"] == straight.history["train_loss"]
    assert history["lr"] == straight.history["lr"]
    for a, b in zip(straight.model.state_dict().values(), second.model.state_dict().values()):
        np.testing.assert_array_equal(a.data, b.data)  # parameters and BatchNorm running statistics


def test_resume_without_the_rng_state_would_differ(tmp_path) -> None:
    """The resume test above is only meaningful if the random streams matter: check that they do."""
    straight, train, val = make_trainer(seed=7)
    straight.fit(train, epochs=4, val_loader=val)
    first, train, val = make_trainer(seed=7)
    first.fit(train, epochs=2, val_loader=val)
    state = first.state_dict()
    state["rng"]["global"] = tt.Generator(123).get_state()
    second, train, val = make_trainer(seed=99)
    second.load_state_dict(state)
    second.fit(train, epochs=4, val_loader=val)
    assert second.history["train_loss"][:2] == straight.history["train_loss"][:2]
    assert second.history["train_loss"][2:] != straight.history["train_loss"][2:]


def test_checkpoint_keeps_best_and_last(tmp_path) -> None:
    checkpoint = ModelCheckpoint(tmp_path, monitor="val_accuracy")
    trainer, train, val = make_trainer(callbacks=[checkpoint])
    history = trainer.fit(train, epochs=4, val_loader=val)
    best = int(np.argmax(history["val_accuracy"])) + 1  # first epoch with the highest accuracy
    assert checkpoint.best_epoch == best and checkpoint.best == max(history["val_accuracy"])
    assert tt.load(tmp_path / "best.safetensors")["epoch"] == best
    last = tt.load(tmp_path / "last.safetensors")
    assert last["epoch"] == 4 and last["history"] == history.state_dict()
    restored = small_model()
    restored.load_state_dict(last["model"])
    for a, b in zip(trainer.model.parameters(), restored.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_early_stopping_decision() -> None:
    stopper = EarlyStopping("val_loss", patience=2, min_delta=0.1)
    decisions = [stopper.should_stop(v) for v in [1.0, 0.8, 0.75, 0.72, 0.5, 0.45, 0.44]]
    # 0.75 and 0.72 are not 0.1 better than 0.8; 0.5 is; then 0.45, 0.44 are not.
    assert decisions == [False, False, False, True, False, False, True]
    rising = EarlyStopping("val_accuracy", patience=1)
    assert rising.mode == "max" and [rising.should_stop(v) for v in [0.5, 0.6, 0.6]] == [False, False, True]


def test_early_stopping_stops_fit() -> None:
    stopper = EarlyStopping("train_loss", patience=2, min_delta=10.0)  # no epoch can beat the first by 10
    trainer, train, _ = make_trainer(callbacks=[stopper])
    history = trainer.fit(train, epochs=10)
    assert len(history) == 3 and stopper.stopped_epoch == 3 and trainer.stop_training


def test_errors_name_the_problem(tmp_path) -> None:
    trainer, train, _ = make_trainer(callbacks=[ModelCheckpoint(tmp_path, monitor="val_loss")])
    with pytest.raises(ValueError, match=r"monitor 'val_loss' .* val_loader"):
        trainer.fit(train, epochs=1)
    trainer, _, _ = make_trainer()
    with pytest.raises(TypeError, match="pair"):
        trainer.fit([(tt.randn(2, 4),)], epochs=1)
    trainer.optimizer.param_groups[0]["lr"] = 1e30
    with pytest.raises(FloatingPointError, match="loss became"), np.errstate(all="ignore"):
        trainer.fit(DataLoader(blobs(), batch_size=32), epochs=3)
    trainer, train, _ = make_trainer()
    trainer.fit(train, epochs=1)
    trainer.save_checkpoint(tmp_path / "plain.safetensors")
    other, _, _ = make_trainer(callbacks=[EarlyStopping("train_loss")])
    with pytest.raises(CheckpointError, match="state of 0 callbacks"):
        other.resume(tmp_path / "plain.safetensors")
    tt.save(trainer.model.state_dict(), tmp_path / "weights.safetensors")
    with pytest.raises(CheckpointError, match="not a Trainer checkpoint"):
        other.resume(tmp_path / "weights.safetensors")
    with pytest.raises(ValueError, match="scheduler_interval"):
        Trainer(trainer.model, trainer.optimizer, nn.CrossEntropyLoss(), scheduler_interval="batch")


def test_progress_lines_when_not_a_terminal(capsys) -> None:
    trainer, train, val = make_trainer()
    trainer.progress = True  # pytest captures output: not a terminal, so one line per epoch, no bar
    trainer.fit(train, epochs=2, val_loader=val)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [["epoch", "1/2"], ["epoch", "2/2"]]
    assert "train_loss" in lines[0] and "val_accuracy" in lines[0] and "%" in lines[0]
    trainer.progress = False
    trainer.fit(train, epochs=3, val_loader=val)
    assert capsys.readouterr().out == ""


def test_history_json_and_plot(tmp_path, monkeypatch) -> None:
    trainer, train, val = make_trainer()
    history = trainer.fit(train, epochs=2, val_loader=val)
    history.save(tmp_path / "history.json")
    assert History.load(tmp_path / "history.json").records == history.records
    with pytest.raises(KeyError, match="no column 'val_f1'"):
        history["val_f1"]
    png = history.plot(tmp_path / "curves.png", title="blobs")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    monkeypatch.setitem(__import__("sys").modules, "matplotlib.figure", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install 'tinytorch\[plot\]'"):
        history.plot(tmp_path / "again.png")
