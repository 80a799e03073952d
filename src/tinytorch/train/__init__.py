"""Module 10 — training: the Trainer loop, metrics, callbacks, checkpoints and history.

    from tinytorch.train import Trainer, ModelCheckpoint, EarlyStopping
    trainer = Trainer(model, optimizer, nn.CrossEntropyLoss(), callbacks=[EarlyStopping("val_loss")])
    history = trainer.fit(train_loader, epochs=10, val_loader=val_loader)
"""

from tinytorch.train.callbacks import Callback, EarlyStopping, ModelCheckpoint
from tinytorch.train.history import History
from tinytorch.train.metrics import accuracy, confusion_matrix, get_metric, top_k_accuracy
from tinytorch.train.progress import EpochProgress
from tinytorch.train.trainer import Trainer

__all__ = ["Callback", "EarlyStopping", "EpochProgress", "History", "ModelCheckpoint", "Trainer", "accuracy",
           "confusion_matrix", "get_metric", "top_k_accuracy"]
