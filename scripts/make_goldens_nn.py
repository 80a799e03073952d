"""Regenerate the PyTorch goldens of modules 03-05 and 08 (activations, layers, losses, optimizers)
and of the layers beyond the course (nn/layers_extra.py, nn/functional_extra.py).

Needs PyTorch (`pip install -e .[golden]`); the test suite only reads the files with NumPy:

    python scripts/make_goldens_nn.py          # writes tests/goldens/nn_*.npz and optim_*.npz
    python scripts/make_goldens_nn.py --check  # recompute and compare with the committed files

Every case is computed in float64, so the tests can compare tightly in float64 and loosely in
float32. Each file holds a JSON list `cases` (name, function, options), and arrays named
`<case>__<what>` packed into one float64 vector `data` described by the JSON `index` (offset,
shape and dtype of each).
"""

from __future__ import annotations

import itertools
import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from golden_common import parse_args, write_or_check

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from scheduler_cases import LAMBDAS, build_scheduler  # noqa: E402

rng = np.random.default_rng(1234)
torch.set_default_dtype(torch.float64)


def pack(cases: list[dict], arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One golden file's arrays, every one packed into a single float64 vector (ints are exact in
    float64): hundreds of tiny arrays stored one per zip entry would cost more in headers than in data."""
    index, chunks, offset = {}, [], 0
    for key, value in arrays.items():
        value = np.asarray(value)
        index[key] = {"offset": offset, "shape": list(value.shape), "dtype": str(value.dtype)}
        chunks.append(value.astype(np.float64).reshape(-1))
        offset += value.size
    return {"cases": np.array(json.dumps(cases)), "index": np.array(json.dumps(index)),
            "data": np.concatenate(chunks), "torch_version": np.array(torch.__version__.split("+")[0])}


def grad_of(fn, x: np.ndarray, **kwargs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value of fn(x), a random upstream r (r = 1 for a scalar) and d(sum(value * r))/dx."""
    t = torch.tensor(x, requires_grad=True)
    out = fn(t, **kwargs)
    upstream = torch.tensor(rng.standard_normal(out.shape)) if out.dim() else torch.tensor(1.0)
    (out * upstream).sum().backward()
    return out.detach().numpy(), upstream.numpy(), t.grad.numpy()


# ------------------------------------------------------------------------------ activations

def activations() -> dict[str, np.ndarray]:
    cases, arrays = [], {}
    x = rng.standard_normal((3, 5)) * 3
    x_huge = x * 1000  # softmax must not overflow
    specs = [
        ("relu", {}), ("leaky_relu", {"negative_slope": 0.1}), ("sigmoid", {}), ("tanh", {}),
        ("gelu", {"approximate": "none"}), ("gelu", {"approximate": "tanh"}), ("silu", {}),
        ("softmax", {"dim": -1}), ("softmax", {"dim": 0}), ("log_softmax", {"dim": -1}), ("log_softmax", {"dim": 0}),
    ]
    for i, (fn, kwargs) in enumerate(specs):
        for label, data in (("x", x), ("huge", x_huge)):
            if label == "huge" and "softmax" not in fn:
                continue
            name = f"{fn}_{i}_{label}"
            out, upstream, grad = grad_of(getattr(F, fn), data, **kwargs)
            cases.append({"name": name, "fn": fn, "kwargs": kwargs})
            arrays.update({f"{name}__input": data, f"{name}__output": out, f"{name}__upstream": upstream,
                           f"{name}__grad": grad})
    return pack(cases, arrays)


# ------------------------------------------------------------------------------ layers

def layers() -> dict[str, np.ndarray]:
    """A 2-layer MLP with fixed weights: output, loss, every gradient, and a 3-D input to Linear."""
    arrays = {
        "x": rng.standard_normal((4, 3)), "w1": rng.standard_normal((5, 3)), "b1": rng.standard_normal(5),
        "w2": rng.standard_normal((2, 5)), "b2": rng.standard_normal(2), "target": np.array([0, 1, 1, 0]),
        "x3d": rng.standard_normal((2, 4, 3)),
    }
    x = torch.tensor(arrays["x"], requires_grad=True)
    lin1, lin2 = torch.nn.Linear(3, 5), torch.nn.Linear(5, 2)
    with torch.no_grad():
        for layer, w, b in ((lin1, "w1", "b1"), (lin2, "w2", "b2")):
            layer.weight.copy_(torch.tensor(arrays[w]))
            layer.bias.copy_(torch.tensor(arrays[b]))
    model = torch.nn.Sequential(lin1, torch.nn.Tanh(), lin2)
    out = model(x)
    loss = F.cross_entropy(out, torch.tensor(arrays["target"]))
    loss.backward()
    arrays.update(output=out.detach().numpy(), loss=loss.detach().numpy(), grad_x=x.grad.numpy(),
                  grad_w1=lin1.weight.grad.numpy(), grad_b1=lin1.bias.grad.numpy(),
                  grad_w2=lin2.weight.grad.numpy(), grad_b2=lin2.bias.grad.numpy())
    x3 = torch.tensor(arrays["x3d"], requires_grad=True)
    lin1.zero_grad()
    out3 = lin1(x3)
    upstream = torch.tensor(rng.standard_normal(out3.shape))
    (out3 * upstream).sum().backward()
    arrays.update(output3d=out3.detach().numpy(), upstream3d=upstream.numpy(), grad_x3d=x3.grad.numpy(),
                  grad_w1_3d=lin1.weight.grad.numpy(), grad_b1_3d=lin1.bias.grad.numpy())
    return pack([{"name": "mlp"}], arrays)


# ------------------------------------------------------------------------------ losses

def losses() -> dict[str, np.ndarray]:
    cases, arrays = [], {}
    n_classes = 5

    def add(name: str, fn: str, kwargs: dict, inputs: dict[str, np.ndarray], call) -> None:
        tensors = {k: torch.tensor(v) for k, v in inputs.items() if k != "input"}
        out, upstream, grad = grad_of(lambda x: call(x, tensors), inputs["input"])
        cases.append({"name": name, "fn": fn, "kwargs": kwargs, "arrays": sorted(inputs)})
        arrays.update({f"{name}__{k}": v for k, v in inputs.items()})
        arrays.update({f"{name}__output": out, f"{name}__upstream": upstream, f"{name}__grad": grad})

    reductions = ("mean", "sum", "none")
    class_weight = rng.uniform(0.5, 2.0, n_classes)
    shapes = {"2d": (4, n_classes), "nd": (2, n_classes, 3), "1d": (n_classes,)}

    def index_target(shape: tuple[int, ...], ignore: int | None) -> np.ndarray:
        t_shape = () if len(shape) == 1 else shape[:1] + shape[2:]
        t = rng.integers(0, n_classes, t_shape)
        if ignore is not None and t.ndim:
            t.reshape(-1)[::3] = ignore  # every third sample is ignored
        return t

    for (shape_name, shape), use_w, smooth, reduction, ignore in itertools.product(
            shapes.items(), (False, True), (0.0, 0.2), reductions, (None, -100, 2)):
        if shape_name == "1d" and ignore is not None:
            continue
        kwargs = {"reduction": reduction, "label_smoothing": smooth}
        if ignore is not None:
            kwargs["ignore_index"] = ignore
        inputs = {"input": rng.standard_normal(shape) * 2, "target": index_target(shape, ignore)}
        if use_w:
            inputs["weight"] = class_weight
        name = f"ce_idx_{shape_name}_w{int(use_w)}_s{smooth}_{reduction}_i{ignore}"
        add(name, "cross_entropy", kwargs, inputs,
            lambda x, t, kw=kwargs: F.cross_entropy(x, t["target"], weight=t.get("weight"), **kw))

    for (shape_name, shape), use_w, smooth, reduction in itertools.product(
            shapes.items(), (False, True), (0.0, 0.2), reductions):
        kwargs = {"reduction": reduction, "label_smoothing": smooth}
        probs = rng.uniform(0, 1, shape)
        probs /= probs.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)
        inputs = {"input": rng.standard_normal(shape) * 2, "target": probs}
        if use_w:
            inputs["weight"] = class_weight
        name = f"ce_prob_{shape_name}_w{int(use_w)}_s{smooth}_{reduction}"
        add(name, "cross_entropy", kwargs, inputs,
            lambda x, t, kw=kwargs: F.cross_entropy(x, t["target"], weight=t.get("weight"), **kw))

    # huge logits: the fused cross-entropy must stay finite
    inputs = {"input": rng.standard_normal((4, n_classes)) * 1e4, "target": index_target((4, n_classes), None)}
    add("ce_idx_huge", "cross_entropy", {"reduction": "mean"}, inputs,
        lambda x, t: F.cross_entropy(x, t["target"]))

    for (shape_name, shape), use_w, reduction, ignore in itertools.product(
            shapes.items(), (False, True), reductions, (None, -100)):
        if shape_name == "1d" and ignore is not None:
            continue
        kwargs = {"reduction": reduction} | ({"ignore_index": ignore} if ignore is not None else {})
        log_p = torch.log_softmax(torch.tensor(rng.standard_normal(shape)), dim=0 if len(shape) == 1 else 1)
        inputs = {"input": log_p.numpy(), "target": index_target(shape, ignore)}
        if use_w:
            inputs["weight"] = class_weight
        name = f"nll_{shape_name}_w{int(use_w)}_{reduction}_i{ignore}"
        add(name, "nll_loss", kwargs, inputs,
            lambda x, t, kw=kwargs: F.nll_loss(x, t["target"], weight=t.get("weight"), **kw))

    for fn in ("mse_loss", "l1_loss"):
        for reduction in reductions:
            inputs = {"input": rng.standard_normal((3, 4)), "target": rng.standard_normal((3, 4))}
            add(f"{fn}_{reduction}", fn, {"reduction": reduction}, inputs,
                lambda x, t, fn=fn, r=reduction: getattr(F, fn)(x, t["target"], reduction=r))

    for use_w, reduction in itertools.product((False, True), reductions):
        p = rng.uniform(0.01, 0.99, (3, 4))
        p[0, :2] = (0.0, 1.0)  # exact 0 and 1: the log is clamped at -100, the gradient stays finite
        inputs = {"input": p, "target": rng.integers(0, 2, (3, 4)).astype(np.float64)}
        if use_w:
            inputs["weight"] = rng.uniform(0.5, 2.0, (4,))
        add(f"bce_w{int(use_w)}_{reduction}", "binary_cross_entropy", {"reduction": reduction}, inputs,
            lambda x, t, r=reduction: F.binary_cross_entropy(x, t["target"], weight=t.get("weight"), reduction=r))

    for use_w, use_pw, reduction in itertools.product((False, True), (False, True), reductions):
        logits = rng.standard_normal((3, 4)) * 3
        logits[0, :2] = (100.0, -100.0)  # saturated logits stay finite
        inputs = {"input": logits, "target": rng.uniform(0, 1, (3, 4))}
        if use_w:
            inputs["weight"] = rng.uniform(0.5, 2.0, (3, 1))
        if use_pw:
            inputs["pos_weight"] = rng.uniform(0.5, 3.0, (4,))
        add(f"bcel_w{int(use_w)}_pw{int(use_pw)}_{reduction}", "binary_cross_entropy_with_logits",
            {"reduction": reduction}, inputs,
            lambda x, t, r=reduction: F.binary_cross_entropy_with_logits(
                x, t["target"], weight=t.get("weight"), pos_weight=t.get("pos_weight"), reduction=r))
    return pack(cases, arrays)


# ------------------------------------------------------------------------------ optimizers

OPTIMIZER_CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "maximize": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.2, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "maximize": True, "eps": 1e-4}),
]
STEPS = 6


def optimizers() -> dict[str, np.ndarray]:
    """Two parameters in two groups (the second with half the lr); fixed gradients for STEPS steps.
    The second parameter gets no gradient at step 3 (it must then be left alone)."""
    cases, arrays = [], {}
    p0, p1 = rng.standard_normal((3, 4)), rng.standard_normal(4)
    grads = [(rng.standard_normal((3, 4)), rng.standard_normal(4)) for _ in range(STEPS)]
    arrays["p0"], arrays["p1"] = p0, p1
    for k, (g0, g1) in enumerate(grads):
        arrays[f"grad{k}_0"], arrays[f"grad{k}_1"] = g0, g1
    for i, (name, kwargs) in enumerate(OPTIMIZER_CONFIGS):
        a, b = torch.tensor(p0, requires_grad=True), torch.tensor(p1, requires_grad=True)
        opt = getattr(torch.optim, name)([{"params": [a]}, {"params": [b], "lr": kwargs["lr"] / 2}], **kwargs)
        for k, (g0, g1) in enumerate(grads):
            a.grad = torch.tensor(g0)
            b.grad = None if k == 3 else torch.tensor(g1)
            opt.step()
            arrays[f"case{i}__step{k}_0"] = a.detach().numpy().copy()
            arrays[f"case{i}__step{k}_1"] = b.detach().numpy().copy()
        cases.append({"name": f"case{i}", "optimizer": name,
                      "kwargs": {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}})
    return pack(cases, arrays)


def clipping() -> dict[str, np.ndarray]:
    cases, arrays = [], {}
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    arrays["grad0"], arrays["grad1"] = grads
    for i, (max_norm, norm_type) in enumerate([(1.0, 2.0), (100.0, 2.0), (0.5, float("inf")), (2.0, 1.0), (1.0, 3.0)]):
        params = [torch.zeros(g.shape, requires_grad=True) for g in grads]
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g)
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
        cases.append({"name": f"norm{i}", "fn": "clip_grad_norm_", "max_norm": max_norm, "norm_type": norm_type})
        arrays[f"norm{i}__total"] = total.numpy()
        for j, p in enumerate(params):
            arrays[f"norm{i}__grad{j}"] = p.grad.numpy()
    params = [torch.zeros(g.shape, requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g)
    torch.nn.utils.clip_grad_value_(params, 0.5)
    cases.append({"name": "value", "fn": "clip_grad_value_", "clip_value": 0.5})
    for j, p in enumerate(params):
        arrays[f"value__grad{j}"] = p.grad.numpy()
    return pack(cases, arrays)


# ------------------------------------------------------------------------------ schedulers

SCHEDULER_CONFIGS = [
    ("StepLR", "SGD", {"step_size": 3, "gamma": 0.5}, 12),
    ("MultiStepLR", "SGD", {"milestones": [2, 5, 5, 9], "gamma": 0.3}, 12),
    ("ExponentialLR", "SGD", {"gamma": 0.9}, 10),
    ("CosineAnnealingLR", "SGD", {"T_max": 10, "eta_min": 0.001}, 25),
    ("CosineAnnealingLR", "SGD", {"T_max": 7}, 10),
    ("LinearLR", "SGD", {"start_factor": 0.25, "total_iters": 4}, 8),
    ("LinearLR", "SGD", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 5}, 8),
    ("OneCycleLR", "SGD", {"max_lr": [0.1, 0.3], "total_steps": 20}, 19),
    ("OneCycleLR", "SGD", {"max_lr": 0.2, "total_steps": 17, "anneal_strategy": "linear", "pct_start": 0.4}, 16),
    ("OneCycleLR", "SGD", {"max_lr": 0.2, "total_steps": 20, "three_phase": True}, 19),
    ("OneCycleLR", "Adam", {"max_lr": 0.05, "epochs": 3, "steps_per_epoch": 5, "div_factor": 10.0,
                            "final_div_factor": 100.0}, 14),
    ("OneCycleLR", "SGD", {"max_lr": 0.2, "total_steps": 12, "cycle_momentum": False}, 11),
    ("ReduceLROnPlateau", "SGD", {"patience": 2, "factor": 0.5, "cooldown": 1, "threshold": 0.05}, 14),
    ("ReduceLROnPlateau", "SGD", {"mode": "max", "patience": 1, "threshold_mode": "abs", "threshold": 0.1,
                                  "min_lr": [0.01, 0.02]}, 14),
    ("LambdaLR", "SGD", {"lr_lambda": "warmup_then_decay"}, 30),
    ("LambdaLR", "SGD", {"lr_lambda": ["warmup_then_decay", "inverse_sqrt"]}, 30),
    ("MultiplicativeLR", "SGD", {"lr_lambda": "shrink"}, 30),
    ("MultiplicativeLR", "SGD", {"lr_lambda": ["halve_every_7", "shrink"]}, 30),
    ("ConstantLR", "SGD", {}, 30),
    ("ConstantLR", "SGD", {"factor": 0.5, "total_iters": 4}, 30),
    ("PolynomialLR", "SGD", {}, 30),
    ("PolynomialLR", "SGD", {"total_iters": 20, "power": 2.0}, 30),
    ("PolynomialLR", "SGD", {"total_iters": 12, "power": 0.5}, 30),
    ("CosineAnnealingWarmRestarts", "SGD", {"T_0": 10}, 30),
    ("CosineAnnealingWarmRestarts", "SGD", {"T_0": 4, "T_mult": 2, "eta_min": 0.001}, 30),
    # stepped once per batch with a fractional epoch, as the PyTorch docs show
    ("CosineAnnealingWarmRestarts", "SGD", {"T_0": 3, "T_mult": 2, "eta_min": 0.01}, 40, [i / 4 for i in range(1, 41)]),
    ("CosineAnnealingWarmRestarts", "SGD", {"T_0": 2}, 30, [i / 3 for i in range(1, 31)]),
    # step(epoch) and step() interleaved (None = step())
    ("CosineAnnealingWarmRestarts", "SGD", {"T_0": 5, "T_mult": 3}, 12,
     [0.5, 1.25, None, None, 4.75, None, 20.5, None, 3.0, None, 65.0, None]),
    ("SequentialLR", "SGD", {"schedulers": [["LinearLR", {"start_factor": 0.1, "total_iters": 5}],
                                            ["CosineAnnealingLR", {"T_max": 25}]], "milestones": [5]}, 30),
    ("SequentialLR", "SGD", {"schedulers": [["ConstantLR", {"factor": 0.1, "total_iters": 2}],
                                            ["ExponentialLR", {"gamma": 0.9}],
                                            ["StepLR", {"step_size": 4, "gamma": 0.5}]], "milestones": [3, 12]}, 30),
    ("SequentialLR", "SGD", {"schedulers": [["LambdaLR", {"lr_lambda": "warmup_then_decay"}],
                                            ["MultiStepLR", {"milestones": [3, 8], "gamma": 0.5}],
                                            ["PolynomialLR", {"total_iters": 10, "power": 2.0}]],
                             "milestones": [6, 16]}, 30),
    ("SequentialLR", "SGD", {"schedulers": [["ChainedScheduler", {"schedulers": [
                                                ["LinearLR", {"start_factor": 0.2, "total_iters": 4}],
                                                ["ExponentialLR", {"gamma": 0.95}]]}],
                                            ["CosineAnnealingWarmRestarts", {"T_0": 6, "eta_min": 0.001}]],
                             "milestones": [8]}, 30),
    ("ChainedScheduler", "SGD", {"schedulers": [["ConstantLR", {"factor": 0.1, "total_iters": 2}],
                                                ["ExponentialLR", {"gamma": 0.9}]]}, 30),
    ("ChainedScheduler", "SGD", {"schedulers": [["LinearLR", {"start_factor": 0.2, "total_iters": 5}],
                                                ["StepLR", {"step_size": 7, "gamma": 0.5}],
                                                ["MultiplicativeLR", {"lr_lambda": "shrink"}]]}, 30),
    ("ChainedScheduler", "Adam", {"schedulers": [["LinearLR", {"start_factor": 0.25, "total_iters": 6}],
                                                 ["PolynomialLR", {"total_iters": 25, "power": 1.5}]]}, 30),
]
METRICS = [5.0, 4.0, 3.9, 3.95, 3.9, 3.8, 3.85, 3.9, 2.0, 2.1, 2.2, 2.3, 2.1, 2.2]
# The functions of the epoch that LambdaLR/MultiplicativeLR cases name. tests/test_optim_goldens.py
# defines the same ones and checks them against the values stored as `lambda__<name>`.
# SequentialLR starting a ChainedScheduler steps the inner schedulers "before optimizer.step()";
# that is the behaviour being recorded, not a mistake in this script.
warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler.step\(\)` before")


def schedulers() -> dict[str, np.ndarray]:
    """The lr (and momentum) of two parameter groups after construction and after each step
    (`step(epoch)` where a case lists its epochs)."""
    cases, arrays = [], {}
    for i, (name, opt_name, kwargs, steps, *epochs) in enumerate(SCHEDULER_CONFIGS):
        a, b = torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
        opt_kwargs = {"lr": 0.1, "momentum": 0.9} if opt_name == "SGD" else {"lr": 0.1}
        opt = getattr(torch.optim, opt_name)([{"params": [a]}, {"params": [b], "lr": 0.05}], **opt_kwargs)
        sched = build_scheduler(torch.optim.lr_scheduler, opt, name, kwargs)
        lrs, momenta = [], []
        for k in range(steps + 1):
            if k:
                opt.step()
                if name == "ReduceLROnPlateau":
                    sched.step(METRICS[k - 1])
                elif epochs and epochs[0][k - 1] is not None:
                    sched.step(epochs[0][k - 1])
                else:
                    sched.step()
            lrs.append([g["lr"] for g in opt.param_groups])
            momenta.append([g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups])
            assert sched.get_last_lr() == lrs[-1]
        cases.append({"name": f"case{i}", "scheduler": name, "optimizer": opt_name, "opt_kwargs": opt_kwargs,
                      "kwargs": kwargs, "steps": steps, **({"epochs": epochs[0]} if epochs else {})})
        arrays[f"case{i}__lr"] = np.array(lrs)
        arrays[f"case{i}__momentum"] = np.array(momenta)
    arrays["metrics"] = np.array(METRICS)
    for lambda_name, fn in LAMBDAS.items():
        arrays[f"lambda__{lambda_name}"] = np.array([fn(epoch) for epoch in range(41)])
    return pack(cases, arrays)


# ------------------------------------------------------------------------------ more layers

# A stream of its own, so adding cases here never shifts the files above.
more_rng = np.random.default_rng(4321)
# kl_div(reduction="mean") warns that it is not the true KL divergence; that value is recorded on purpose.
warnings.filterwarnings("ignore", message=r"reduction: 'mean' divides the total loss")


def kinked(shape: tuple[int, ...], points: tuple[float, ...], scale: float = 3.0) -> np.ndarray:
    """Random values with the activations' kinks planted at the front: PyTorch's gradient there is
    a convention (0 at hardtanh's edges, -0.5 and 1.5 for hardswish at -3 and 3) that must match."""
    x = more_rng.standard_normal(shape) * scale
    x.reshape(-1)[:len(points)] = points
    return x


def functional_cases() -> tuple[list[dict], dict[str, np.ndarray]]:
    """Each case calls F.<fn>(**arrays, **kwargs) with every array passed by its argument name.
    arrays maps a name to "diff" (a float input whose gradient is recorded), "const" (a float or
    integer input) or "state" (a buffer updated in place: its value afterwards is recorded too)."""
    cases, arrays = [], {}
    normal, uniform = more_rng.standard_normal, more_rng.uniform

    def add(name: str, fn: str, inputs: dict[str, tuple[str, np.ndarray]], **kwargs) -> None:
        tensors = {k: torch.tensor(v, requires_grad=kind == "diff") for k, (kind, v) in inputs.items()}
        out = getattr(F, fn)(**tensors, **kwargs)
        cases.append({"name": name, "fn": fn, "kwargs": kwargs, "arrays": {k: kind for k, (kind, _) in inputs.items()}})
        arrays.update({f"{name}__{k}": v for k, (_, v) in inputs.items()})
        arrays[f"{name}__output"] = out.detach().numpy()
        if out.dtype.is_floating_point:
            upstream = torch.tensor(more_rng.standard_normal(out.shape))
            (out * upstream).sum().backward()
            arrays[f"{name}__upstream"] = upstream.numpy()
        for k, (kind, _) in inputs.items():
            if kind == "diff":
                arrays[f"{name}__grad_{k}"] = tensors[k].grad.numpy()
            if kind == "state":
                arrays[f"{name}__{k}_after"] = tensors[k].numpy().copy()

    kinks = (-6.0, -3.0, -1.0, 0.0, 1.0, 3.0, 6.0, 20.0, 2.0)
    for fn, kwargs in [("elu", {}), ("elu", {"alpha": 0.5}), ("softplus", {}),
                       ("softplus", {"beta": 2.0, "threshold": 5.0}), ("mish", {}), ("hardtanh", {}),
                       ("hardtanh", {"min_val": -2.0, "max_val": 3.0}), ("relu6", {}), ("hardsigmoid", {}),
                       ("hardswish", {}), ("softsign", {})]:
        name = f"{fn}_{len(cases)}"
        add(name, fn, {"input": ("diff", kinked((4, 6), kinks))}, **kwargs)
    # 700 < threshold: e**(beta x) is huge but finite (PyTorch's own gradient turns NaN once it overflows)
    add("softplus_huge", "softplus", {"input": ("diff", np.array([-800.0, -40.0, 40.0, 700.0]))}, threshold=1000.0)
    add("elu_huge", "elu", {"input": ("diff", np.array([-800.0, -40.0, 40.0, 800.0]))})
    add("mish_huge", "mish", {"input": ("diff", np.array([-800.0, -40.0, 40.0, 800.0]))})
    add("prelu_shared", "prelu", {"input": ("diff", kinked((2, 3, 4), (0.0,))), "weight": ("diff", np.array([0.25]))})
    add("prelu_channels", "prelu", {"input": ("diff", kinked((2, 3, 4), (0.0,))),
                                    "weight": ("diff", more_rng.uniform(-0.5, 0.5, 3))})
    add("prelu_1d", "prelu", {"input": ("diff", kinked((5,), ())), "weight": ("diff", np.array([0.1]))})

    for reduction in ("mean", "sum", "none"):
        x, t = more_rng.standard_normal((3, 5)) * 2, more_rng.standard_normal((3, 5)) * 2
        x[0, :3] = t[0, :3] + (0.0, 1.0, -1.0)  # d = 0 and |d| = beta: PyTorch's gradient convention
        for beta in (1.0, 0.5, 0.0):
            add(f"smooth_l1_{reduction}_b{beta}", "smooth_l1_loss",
                {"input": ("diff", x), "target": ("diff", t)}, reduction=reduction, beta=beta)
        for delta in (1.0, 2.5):
            add(f"huber_{reduction}_d{delta}", "huber_loss", {"input": ("diff", x), "target": ("diff", t)},
                reduction=reduction, delta=delta)
        add(f"huber_w_{reduction}", "huber_loss", {"input": ("diff", x), "target": ("diff", t),
                                                   "weight": ("diff", more_rng.uniform(0.5, 2.0, (3, 5)))},
            reduction=reduction)
    log_p = torch.log_softmax(torch.tensor(more_rng.standard_normal((4, 5))), dim=1).numpy()
    probs = torch.softmax(torch.tensor(more_rng.standard_normal((4, 5))), dim=1).numpy()
    with_zeros = probs.copy()
    with_zeros[0, :2] = 0.0  # a target of 0 adds 0
    for reduction in ("mean", "batchmean", "sum", "none"):
        add(f"kl_{reduction}", "kl_div", {"input": ("diff", log_p), "target": ("diff", probs)}, reduction=reduction)
        add(f"kl_log_{reduction}", "kl_div", {"input": ("diff", log_p), "target": ("diff", np.log(probs))},
            reduction=reduction, log_target=True)
    add("kl_zeros", "kl_div", {"input": ("diff", log_p), "target": ("const", with_zeros)}, reduction="batchmean")
    for reduction in ("mean", "sum", "none"):
        for margin in (0.0, 0.3):
            add(f"cosemb_{reduction}_m{margin}", "cosine_embedding_loss",
                {"input1": ("diff", normal((6, 4))), "input2": ("diff", normal((6, 4))),
                 "target": ("const", np.array([1, -1, 1, -1, -1, 1]))}, margin=margin, reduction=reduction)
    add("cosemb_1d", "cosine_embedding_loss", {"input1": ("diff", more_rng.standard_normal(4)),
                                               "input2": ("diff", more_rng.standard_normal(4)),
                                               "target": ("const", np.array(-1))}, margin=-0.5)

    for shape, groups in (((2, 6, 5), 3), ((2, 4, 3, 3), 2), ((3, 4), 4), ((1, 6, 2, 2, 2), 1)):
        channels = shape[1]
        for affine in (True, False):
            inputs = {"input": ("diff", more_rng.standard_normal(shape) * 2 + 1)}
            if affine:
                inputs |= {"weight": ("diff", more_rng.uniform(0.5, 1.5, channels)),
                           "bias": ("diff", more_rng.standard_normal(channels))}
            add(f"group_norm_{len(shape)}d_g{groups}_a{int(affine)}", "group_norm", inputs, num_groups=groups, eps=1e-4)
    for shape, normalized, eps in (((3, 4), [4], None), ((2, 3, 4), [3, 4], 1e-5), ((2, 5), [5], 0.1)):
        add(f"rms_norm_{len(normalized)}_{eps}", "rms_norm",
            {"input": ("diff", normal(shape)), "weight": ("diff", uniform(0.5, 1.5, normalized))},
            normalized_shape=normalized, eps=eps)
    add("rms_norm_noweight", "rms_norm", {"input": ("diff", more_rng.standard_normal((2, 3)))}, normalized_shape=[3])
    for shape in ((2, 3, 5), (2, 3, 2, 3)):
        channels = shape[1]
        add(f"instance_norm_{len(shape)}d", "instance_norm",
            {"input": ("diff", normal(shape) * 2 + 1), "weight": ("diff", uniform(0.5, 1.5, channels)),
             "bias": ("diff", more_rng.standard_normal(channels))})
        add(f"instance_norm_{len(shape)}d_running", "instance_norm",
            {"input": ("diff", normal(shape) + 0.5), "running_mean": ("state", normal(channels)),
             "running_var": ("state", more_rng.uniform(0.5, 2.0, channels))}, momentum=0.2)
        add(f"instance_norm_{len(shape)}d_eval", "instance_norm",
            {"input": ("diff", normal(shape)), "running_mean": ("const", normal(channels)),
             "running_var": ("const", more_rng.uniform(0.5, 2.0, channels)),
             "weight": ("diff", uniform(0.5, 1.5, channels)), "bias": ("diff", normal(channels))},
            use_input_stats=False)

    for (s1, s2), dim in ((((4, 5), (4, 5)), 1), (((3, 5), (5,)), 1), (((2, 3, 4), (2, 1, 4)), -1), (((5,), (5,)), 0)):
        add(f"cossim_{len(s1)}_{len(s2)}_{dim}", "cosine_similarity",
            {"x1": ("diff", more_rng.standard_normal(s1)), "x2": ("diff", more_rng.standard_normal(s2))}, dim=dim)
    tiny = more_rng.standard_normal((3, 4)) * 1e-5  # norms below eps: the value is clamped, the gradient is not
    add("cossim_eps", "cosine_similarity", {"x1": ("diff", more_rng.standard_normal((3, 4))), "x2": ("diff", tiny)},
        dim=1, eps=1e-3)
    for p, dim in ((2.0, 1), (1.0, 0), (3.0, -1), (math.inf, 1)):
        add(f"normalize_p{p}_d{dim}", "normalize", {"input": ("diff", more_rng.standard_normal((3, 4)))}, p=p, dim=dim)
    add("normalize_eps", "normalize", {"input": ("diff", more_rng.standard_normal((3, 4)) * 1e-3)}, eps=0.01)
    for (s1, s2), p, keepdim in ((((4, 5), (4, 5)), 2.0, False), (((3, 5), (5,)), 1.0, True),
                                 (((2, 3, 4), (2, 3, 4)), 3.0, False), (((5,), (5,)), 2.0, False),
                                 (((4, 5), (4, 5)), math.inf, False)):
        add(f"pdist_{len(s1)}_{len(s2)}_p{p}_k{int(keepdim)}", "pairwise_distance",
            {"x1": ("diff", normal(s1)), "x2": ("diff", normal(s2))}, p=p, keepdim=keepdim)
    labels = np.array([[0, 3, 1], [2, 2, 0]])
    add("one_hot", "one_hot", {"input": ("const", labels)})
    add("one_hot_n", "one_hot", {"input": ("const", labels)}, num_classes=6)

    resize = [
        ((1, 2, 5), {"scale_factor": 2.0}), ((1, 2, 5), {"size": 12}), ((1, 2, 7), {"size": 3}),
        ((2, 2, 3, 4), {"scale_factor": 2.0}), ((2, 2, 3, 4), {"scale_factor": [3.0, 2.0]}),
        ((1, 2, 4, 5), {"size": [7, 3]}), ((1, 2, 4, 5), {"scale_factor": 1.7}),
        ((1, 2, 4, 5), {"scale_factor": 1.7, "recompute_scale_factor": True}),
        ((1, 1, 2, 3, 2), {"scale_factor": 2.0}),
        ((1, 2, 4, 5), {"size": [7, 3], "mode": "nearest-exact"}),
        ((1, 2, 5), {"scale_factor": 2.5, "mode": "nearest-exact"}),
        ((1, 2, 5), {"size": 8, "mode": "linear"}), ((1, 2, 5), {"size": 8, "mode": "linear", "align_corners": True}),
        ((1, 2, 9), {"size": 4, "mode": "linear"}),
        ((2, 2, 3, 4), {"scale_factor": 2.0, "mode": "bilinear"}),
        ((2, 2, 3, 4), {"size": [5, 7], "mode": "bilinear", "align_corners": True}),
        ((1, 2, 4, 5), {"scale_factor": 1.7, "mode": "bilinear"}),
        ((1, 2, 6, 6), {"size": [4, 3], "mode": "bilinear"}),
        ((1, 1, 2, 3, 2), {"size": [3, 4, 5], "mode": "trilinear"}),
        ((1, 1, 2, 3, 2), {"scale_factor": 2.0, "mode": "trilinear", "align_corners": True}),
    ]
    for shape, kwargs in resize:
        add(f"interp_{len(cases)}_{kwargs.get('mode', 'nearest')}", "interpolate",
            {"input": ("diff", more_rng.standard_normal(shape))}, **kwargs)
    return cases, arrays


# Module cases: [class name, args, kwargs, forward input arrays as (kind, shape or values)].
MODULES = [
    ("ELU", [], {"alpha": 0.7}, [("diff", (3, 4))]),
    ("Softplus", [], {"beta": 2.0, "threshold": 10.0}, [("diff", (3, 4))]),
    ("Mish", [], {}, [("diff", (3, 4))]),
    ("Hardtanh", [-2.0, 1.5], {}, [("diff", (3, 4))]),
    ("ReLU6", [], {}, [("diff", (3, 4))]),
    ("Hardsigmoid", [], {}, [("diff", (3, 4))]),
    ("Hardswish", [], {}, [("diff", (3, 4))]),
    ("Softsign", [], {}, [("diff", (3, 4))]),
    ("PReLU", [], {}, [("diff", (2, 3, 4))]),
    ("PReLU", [3], {"init": 0.1}, [("diff", (2, 3, 4))]),
    ("SmoothL1Loss", [], {"beta": 0.5}, [("diff", (3, 4)), ("const", (3, 4))]),
    ("HuberLoss", [], {"reduction": "sum", "delta": 2.0}, [("diff", (3, 4)), ("const", (3, 4))]),
    ("KLDivLoss", [], {"reduction": "batchmean"}, [("log_probs", (3, 4)), ("probs", (3, 4))]),
    ("KLDivLoss", [], {"reduction": "sum", "log_target": True}, [("log_probs", (3, 4)), ("log_probs", (3, 4))]),
    ("CosineEmbeddingLoss", [], {"margin": 0.2}, [("diff", (4, 3)), ("diff", (4, 3)), ("signs", (4,))]),
    ("GroupNorm", [2, 6], {}, [("diff", (2, 6, 3))]),
    ("GroupNorm", [3, 6], {"eps": 1e-3, "affine": False}, [("diff", (2, 6, 2, 2))]),
    ("GroupNorm", [1, 4], {"bias": False}, [("diff", (2, 4, 3))]),
    ("RMSNorm", [4], {}, [("diff", (2, 3, 4))]),
    ("RMSNorm", [[3, 4]], {"eps": 1e-5, "elementwise_affine": False}, [("diff", (2, 3, 4))]),
    ("InstanceNorm1d", [3], {}, [("diff", (2, 3, 5))]),
    ("InstanceNorm1d", [3], {"affine": True}, [("diff", (3, 5))]),
    ("InstanceNorm2d", [3], {"affine": True, "track_running_stats": True, "momentum": 0.3}, [("diff", (2, 3, 4, 4))]),
    ("InstanceNorm2d", [3], {"track_running_stats": True, "eval": True}, [("diff", (2, 3, 4, 4))]),
    ("InstanceNorm3d", [2], {"affine": True, "bias": False}, [("diff", (1, 2, 2, 3, 2))]),
    ("Unflatten", [1, [2, 3]], {}, [("diff", (4, 6))]),
    ("Unflatten", [-1, [2, -1]], {}, [("diff", (3, 2, 8))]),
    ("Identity", [54], {"unused": "argument"}, [("diff", (2, 3))]),
    ("Upsample", [], {"scale_factor": 2}, [("diff", (1, 2, 3, 3))]),
    ("Upsample", [[5, 4]], {"mode": "bilinear"}, [("diff", (1, 2, 3, 3))]),
    ("Upsample", [], {"scale_factor": 2.5, "mode": "bilinear", "align_corners": True}, [("diff", (1, 2, 3, 3))]),
    ("UpsamplingNearest2d", [], {"scale_factor": 3}, [("diff", (1, 1, 2, 3))]),
    ("UpsamplingBilinear2d", [[4, 5]], {}, [("diff", (1, 1, 2, 3))]),
    ("CosineSimilarity", [], {"dim": 0}, [("diff", (4, 3)), ("diff", (4, 3))]),
    ("PairwiseDistance", [], {"p": 1.0, "keepdim": True}, [("diff", (4, 3)), ("diff", (4, 3))]),
]


def module_cases() -> tuple[list[dict], dict[str, np.ndarray]]:
    """Each module's repr and initial state dict; then, with its parameters randomised, the output,
    the gradient of every input and parameter, and the state dict after the forward."""
    cases, arrays = [], {}
    for i, (cls, args, kwargs, forward) in enumerate(MODULES):
        name = f"module{i}"
        kwargs = dict(kwargs)
        evaluate = kwargs.pop("eval", False)
        module = getattr(torch.nn, cls)(*args, **kwargs)
        cases.append({"name": name, "module": cls, "args": args, "kwargs": kwargs, "eval": evaluate,
                      "repr": repr(module), "state": list(module.state_dict()), "inputs": len(forward)})
        for key, value in module.state_dict().items():
            arrays[f"{name}__init__{key}"] = value.numpy().copy()
        with torch.no_grad():
            for param in module.parameters():
                param.copy_(torch.tensor(more_rng.uniform(0.5, 1.5, param.shape)))
            for buffer_name, buffer in module.named_buffers():
                if buffer.dtype.is_floating_point:
                    buffer.copy_(torch.tensor(more_rng.uniform(0.5, 1.5, buffer.shape)))
        for key, value in module.state_dict().items():
            arrays[f"{name}__state__{key}"] = value.numpy().copy()
        module.train(not evaluate)
        inputs = []
        for j, (kind, shape) in enumerate(forward):
            if kind == "log_probs":
                value = torch.log_softmax(torch.tensor(more_rng.standard_normal(shape)), dim=-1).numpy()
            elif kind == "probs":
                value = torch.softmax(torch.tensor(more_rng.standard_normal(shape)), dim=-1).numpy()
            elif kind == "signs":
                value = more_rng.choice([-1, 1], shape)
            else:
                value = more_rng.standard_normal(shape) * 2
            arrays[f"{name}__input{j}"] = value
            inputs.append(torch.tensor(value, requires_grad=value.dtype.kind == "f"))
        out = module(*inputs)
        upstream = torch.tensor(more_rng.standard_normal(out.shape))
        (out * upstream).sum().backward()
        arrays[f"{name}__output"], arrays[f"{name}__upstream"] = out.detach().numpy(), upstream.numpy()
        for j, t in enumerate(inputs):
            if t.requires_grad:
                arrays[f"{name}__grad_input{j}"] = t.grad.numpy()
        for key, param in module.named_parameters():
            arrays[f"{name}__grad__{key}"] = param.grad.numpy()
        for key, value in module.state_dict().items():
            arrays[f"{name}__after__{key}"] = value.numpy().copy()
    # containers: the state dict keys of a model holding a ParameterList and a ParameterDict
    model = torch.nn.Module()
    model.plist = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2, 3)), torch.zeros(4)])
    model.pdict = torch.nn.ParameterDict({"scale": torch.nn.Parameter(torch.ones(3)), "shift": torch.zeros(3)})
    cases.append({"name": "containers", "state": {k: list(v.shape) for k, v in model.state_dict().items()},
                  "parameters": [k for k, _ in model.named_parameters()]})
    return cases, arrays


def more_nn() -> dict[str, np.ndarray]:
    functional, functional_arrays = functional_cases()
    modules, module_arrays = module_cases()
    return pack(functional + modules, functional_arrays | module_arrays)


if __name__ == "__main__":
    args = parse_args(__doc__)
    torch.manual_seed(0)
    files = {  # built in this order: they draw from one random stream
        "nn_activations.npz": activations(), "nn_layers.npz": layers(), "nn_losses.npz": losses(),
        "optim_updates.npz": optimizers(), "optim_clipping.npz": clipping(), "optim_schedulers.npz": schedulers(),
        "nn_more.npz": more_nn(),  # a random stream of its own
    }
    sys.exit(write_or_check(files, args.check))
