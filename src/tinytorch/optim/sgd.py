"""Module 08 — stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import Any, Callable, Iterable

import numpy as np

from tinytorch.tensor import Tensor

from .optimizer import Optimizer


class SGD(Optimizer):
    """p <- p - lr * v, where v is the gradient or its momentum-smoothed running sum.

    With momentum m:  v <- m * v + (1 - dampening) * g  (v = g on the first step), and Nesterov
    uses g + m * v instead of v. weight_decay adds weight_decay * p to g (an L2 penalty);
    maximize ascends instead of descends. Matches `torch.optim.SGD` step for step.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        self._check_non_negative(("learning rate", lr), ("momentum", momentum), ("weight_decay", weight_decay))
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum > 0 and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns the closure's loss if one is given."""
        loss = self._run_closure(closure)
        # BEGIN SOLUTION 08
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param, grad = p.data, p.grad.data
                if maximize:
                    grad = -grad                            # new arrays from here on: p.grad stays as it was
                if weight_decay != 0:
                    grad = grad + weight_decay * param
                if momentum != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        buf = grad.copy()                   # the first step starts the running sum at g
                        state["momentum_buffer"] = Tensor._from_array(buf)
                    else:
                        buf = state["momentum_buffer"].data
                        np.multiply(buf, momentum, out=buf)
                        if dampening != 0:
                            np.add(buf, (1 - dampening) * grad, out=buf)
                        else:
                            np.add(buf, grad, out=buf)
                    grad = grad + momentum * buf if nesterov else buf
                update = np.multiply(grad, lr, out=self._scratch(param))
                np.subtract(param, update, out=param)
        return loss
        # END SOLUTION
