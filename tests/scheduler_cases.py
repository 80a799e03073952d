"""The LR-scheduler descriptions shared by scripts/make_goldens_nn.py (run with torch) and
tests/test_optim_goldens.py (run with TinyTorch): named lambdas, and one builder that works on
either library's `lr_scheduler` module. This module never imports torch.
"""

from __future__ import annotations

import math
from typing import Any

LAMBDAS = {
    "warmup_then_decay": lambda epoch: (epoch + 1) / 5 if epoch < 5 else 0.9 ** (epoch - 4),
    "inverse_sqrt": lambda epoch: 1 / math.sqrt(epoch + 1),
    "shrink": lambda epoch: 0.95,
    "halve_every_7": lambda epoch: 0.5 if epoch % 7 == 0 else 1.0,
}


def build_scheduler(lr_scheduler: Any, opt: Any, name: str, kwargs: dict) -> Any:
    """A scheduler from its JSON description: lambdas by name, inner schedulers as [name, kwargs]."""
    kwargs = dict(kwargs)
    if "lr_lambda" in kwargs:
        names = kwargs["lr_lambda"]
        kwargs["lr_lambda"] = [LAMBDAS[n] for n in names] if isinstance(names, list) else LAMBDAS[names]
    if "schedulers" in kwargs:
        kwargs["schedulers"] = [build_scheduler(lr_scheduler, opt, *inner) for inner in kwargs["schedulers"]]
    return getattr(lr_scheduler, name)(optimizer=opt, **kwargs)
