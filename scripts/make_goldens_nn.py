"""Regenerate the PyTorch goldens of modules 03-05 and 08 (activations, layers, losses, optimizers).

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

import numpy as np
import torch
import torch.nn.functional as F

from golden_common import parse_args, write_or_check

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
LAMBDAS = {
    "warmup_then_decay": lambda epoch: (epoch + 1) / 5 if epoch < 5 else 0.9 ** (epoch - 4),
    "inverse_sqrt": lambda epoch: 1 / math.sqrt(epoch + 1),
    "shrink": lambda epoch: 0.95,
    "halve_every_7": lambda epoch: 0.5 if epoch % 7 == 0 else 1.0,
}


# SequentialLR starting a ChainedScheduler steps the inner schedulers "before optimizer.step()";
# that is the behaviour being recorded, not a mistake in this script.
warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler.step\(\)` before")


def build_scheduler(opt: torch.optim.Optimizer, name: str, kwargs: dict):
    """A scheduler from its JSON description: lambdas by name, inner schedulers as [name, kwargs]."""
    kwargs = dict(kwargs)
    if "lr_lambda" in kwargs:
        names = kwargs["lr_lambda"]
        kwargs["lr_lambda"] = [LAMBDAS[n] for n in names] if isinstance(names, list) else LAMBDAS[names]
    if "schedulers" in kwargs:
        kwargs["schedulers"] = [build_scheduler(opt, *inner) for inner in kwargs["schedulers"]]
    return getattr(torch.optim.lr_scheduler, name)(optimizer=opt, **kwargs)


def schedulers() -> dict[str, np.ndarray]:
    """The lr (and momentum) of two parameter groups after construction and after each step
    (`step(epoch)` where a case lists its epochs)."""
    cases, arrays = [], {}
    for i, (name, opt_name, kwargs, steps, *epochs) in enumerate(SCHEDULER_CONFIGS):
        a, b = torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
        opt_kwargs = {"lr": 0.1, "momentum": 0.9} if opt_name == "SGD" else {"lr": 0.1}
        opt = getattr(torch.optim, opt_name)([{"params": [a]}, {"params": [b], "lr": 0.05}], **opt_kwargs)
        sched = build_scheduler(opt, name, kwargs)
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


if __name__ == "__main__":
    args = parse_args(__doc__)
    torch.manual_seed(0)
    files = {  # built in this order: they draw from one random stream
        "nn_activations.npz": activations(), "nn_layers.npz": layers(), "nn_losses.npz": losses(),
        "optim_updates.npz": optimizers(), "optim_clipping.npz": clipping(), "optim_schedulers.npz": schedulers(),
    }
    sys.exit(write_or_check(files, args.check))
