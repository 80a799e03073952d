"""Module 08 — Adam and AdamW: a per-parameter step size from running moments of the gradient."""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable

import numpy as np

from tinytorch.tensor import Tensor

from .optimizer import Optimizer


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): move each weight by its smoothed gradient divided by the smoothed
    gradient size, so every weight takes steps of about `lr` whatever its gradient's scale.

        m <- b1 m + (1 - b1) g          v <- b2 v + (1 - b2) g**2
        p <- p - lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)

    (the 1 - b**t factors undo the bias of starting m and v at zero). weight_decay adds
    weight_decay * p to g (L2), or, with `decoupled_weight_decay` (AdamW), shrinks p directly by
    lr * weight_decay * p. amsgrad divides by the largest v so far. Matches `torch.optim.Adam`.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 amsgrad: bool = False, *, maximize: bool = False, decoupled_weight_decay: bool = False) -> None:
        self._check_non_negative(("learning rate", lr), ("eps", eps))
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{type(self).__name__}: invalid beta at index {i}: {beta} (must be in [0, 1))")
        self._check_non_negative(("weight_decay", weight_decay))
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns the closure's loss if one is given."""
        loss = self._run_closure(closure)
        # BEGIN SOLUTION 08
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param, grad = p.data, p.grad.data
                if group["maximize"]:
                    grad = -grad
                state = self.state[p]
                if not state:
                    state["step"] = Tensor._from_array(np.zeros((), dtype=np.float32))
                    state["exp_avg"] = self._new_state(param)
                    state["exp_avg_sq"] = self._new_state(param)
                    if amsgrad:
                        state["max_exp_avg_sq"] = self._new_state(param)
                state["step"].data += 1
                t = float(state["step"].data)
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        np.multiply(param, 1 - lr * weight_decay, out=param)
                    else:
                        grad = grad + weight_decay * param
                m, v, work = state["exp_avg"].data, state["exp_avg_sq"].data, self._scratch(param)
                np.multiply(m, beta1, out=m)                         # m <- b1 m + (1 - b1) g
                np.add(m, np.multiply(grad, 1 - beta1, out=work), out=m)
                np.multiply(v, beta2, out=v)                         # v <- b2 v + (1 - b2) g**2
                np.multiply(grad, grad, out=work)
                np.add(v, np.multiply(work, 1 - beta2, out=work), out=v)
                if amsgrad:
                    v = np.maximum(state["max_exp_avg_sq"].data, v, out=state["max_exp_avg_sq"].data)
                step_size = lr / (1 - beta1**t)
                denom = np.sqrt(v, out=work)                         # sqrt(v / (1 - b2**t)) + eps
                np.divide(denom, math.sqrt(1 - beta2**t), out=denom)
                np.add(denom, eps, out=denom)
                update = np.divide(m, denom, out=work)
                np.multiply(update, step_size, out=update)
                np.subtract(param, update, out=param)
        return loss
        # END SOLUTION


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): the decay shrinks the weights
    directly instead of passing through the adaptive step, so it regularises every weight alike.
    Default weight_decay 1e-2, like PyTorch."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
