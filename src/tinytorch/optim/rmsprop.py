"""Module 08 — RMSprop: divide each gradient by a running root-mean-square of its recent sizes."""

from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from tinytorch.tensor import Tensor

from .optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012), as in `torch.optim.RMSprop`:

        s <- alpha s + (1 - alpha) g**2                (centered: also a <- alpha a + (1 - alpha) g,
        p <- p - lr * g / (sqrt(s) + eps)               and s - a**2 replaces s under the root)

    With momentum m the step accumulates: b <- m b + g / (sqrt(s) + eps);  p <- p - lr b.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 *, maximize: bool = False) -> None:
        self._check_non_negative(("learning rate", lr), ("eps", eps), ("momentum", momentum),
                                 ("weight_decay", weight_decay), ("alpha", alpha))
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns the closure's loss if one is given."""
        loss = self._run_closure(closure)
        # BEGIN SOLUTION 08
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            weight_decay, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param, grad = p.data, p.grad.data
                if group["maximize"]:
                    grad = -grad
                state = self.state[p]
                if not state:
                    state["step"] = Tensor._from_array(np.zeros((), dtype=np.float32))
                    state["square_avg"] = self._new_state(param)
                    if momentum > 0:
                        state["momentum_buffer"] = self._new_state(param)
                    if centered:
                        state["grad_avg"] = self._new_state(param)
                state["step"].data += 1
                if weight_decay != 0:
                    grad = grad + weight_decay * param
                square_avg, work = state["square_avg"].data, self._scratch(param)
                np.multiply(square_avg, alpha, out=square_avg)       # s <- alpha s + (1 - alpha) g**2
                np.multiply(grad, grad, out=work)
                np.add(square_avg, np.multiply(work, 1 - alpha, out=work), out=square_avg)
                if centered:
                    grad_avg = state["grad_avg"].data               # a <- alpha a + (1 - alpha) g
                    np.multiply(grad_avg, alpha, out=grad_avg)
                    np.add(grad_avg, np.multiply(grad, 1 - alpha, out=work), out=grad_avg)
                    np.subtract(square_avg, np.multiply(grad_avg, grad_avg, out=work), out=work)
                    avg = np.sqrt(work, out=work)
                else:
                    avg = np.sqrt(square_avg, out=work)
                np.add(avg, eps, out=avg)
                update = np.divide(grad, avg, out=avg)               # g / (sqrt(s) + eps)
                if momentum > 0:
                    buf = state["momentum_buffer"].data
                    np.multiply(buf, momentum, out=buf)
                    np.add(buf, update, out=buf)
                    update = np.multiply(buf, lr, out=work)
                else:
                    np.multiply(update, lr, out=update)
                np.subtract(param, update, out=param)
        return loss
        # END SOLUTION
