"""The autograd engine: order, accumulation, seeds, grad modes, freeing the graph, anomaly detection
and `tinytorch.autograd.grad`.

Nothing here asserts on wall time (the machine is shared): speed problems show up as structure
(a node run more than once) or as memory (a graph that is never freed).
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import tinytorch
from tinytorch import ops, tensor
from tinytorch.autograd import grad, topological_order


def count_backward_calls(monkeypatch: pytest.MonkeyPatch, *functions: type[ops.Function]) -> dict[str, int]:
    """Wrap each Function's backward to count how often the engine runs it."""
    counts = {f.__name__: 0 for f in functions}
    for function in functions:
        original = function.backward

        def counted(self, g, original=original, name=function.__name__):
            counts[name] += 1
            return original(self, g)

        monkeypatch.setattr(function, "backward", counted)
    return counts


# ---------------------------------------------------------------------------------------------
# Order and structure
# ---------------------------------------------------------------------------------------------


def test_a_100_000_node_chain_backward_needs_no_recursion() -> None:
    x = tensor([1.0, -2.0], requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y * 1.0
        y = y + 0.0
    loss = y.sum()
    assert len(topological_order(loss.grad_fn)) == 100_001
    loss.backward()  # a recursive walk would blow Python's ~1000-frame limit here
    assert x.grad.tolist() == [1.0, 1.0]


def test_a_shared_subgraph_is_computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    counts = count_backward_calls(monkeypatch, ops.Mul, ops.Add)
    x = tensor([1.0], dtype=tinytorch.float64, requires_grad=True)
    y = x
    for _ in range(40):  # 2**40 paths from the output to x: re-walking them would never finish
        a = y * 1.0
        y = a + a
    assert len(topological_order(y.grad_fn)) == 80  # each node once, though reached twice
    y.backward(tensor([1.0], dtype=tinytorch.float64))
    assert counts == {"Mul": 40, "Add": 40}
    assert x.grad.item() == 2.0**40


def test_topological_order_puts_every_node_before_its_inputs() -> None:
    x = tensor([1.0, 2.0], requires_grad=True)
    a = x.exp()
    b = a * x
    c = (a + b).sum() * b.sum()
    order = topological_order(c.grad_fn)
    position = {id(node): i for i, node in enumerate(order)}
    assert len(position) == len(order) == 6  # exp, mul, add, sum, sum, mul: each once
    for node in order:
        for t in node.inputs:
            if t is not None and t.grad_fn is not None:
                assert position[id(t.grad_fn)] > position[id(node)]


def test_a_tensor_used_twice_gets_the_sum_of_its_gradients() -> None:
    x = tensor([3.0], requires_grad=True)
    (x * x + x).backward(tensor([1.0]))
    assert x.grad.item() == 7.0


# ---------------------------------------------------------------------------------------------
# Seeds and accumulation
# ---------------------------------------------------------------------------------------------


def test_gradients_accumulate_across_backward_calls() -> None:
    x = tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [3.0 + 2.0, 3.0 + 4.0]
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_backward_on_a_non_scalar_needs_a_gradient() -> None:
    y = tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"backward: .*only for a scalar output.*shape \(2,\).*gradient="):
        y.backward()


def test_backward_with_an_explicit_gradient() -> None:
    x = tensor([1.0, 2.0, 3.0], requires_grad=True)
    seed = tensor([1.0, 0.0, -2.0])
    (x * x).backward(gradient=seed)
    assert x.grad.tolist() == [2.0, 0.0, -12.0]
    with pytest.raises(RuntimeError, match=r"backward: gradient has shape \(2,\) but the output has shape \(3,\)"):
        (x * 2).backward(tensor([1.0, 1.0]))


def test_grad_arrays_are_never_shared() -> None:
    """One backward can hand the same array to several leaves (a + b), or the caller's seed to a leaf."""
    a, b = tensor([1.0, 2.0], requires_grad=True), tensor([3.0, 4.0], requires_grad=True)
    seed = tensor([1.0, 1.0])
    (a + b).backward(seed)
    a.grad.data *= 10  # gradient clipping, say
    assert b.grad.tolist() == [1.0, 1.0] and seed.tolist() == [1.0, 1.0]


def test_backward_of_a_tensor_without_grad_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        tensor([1.0]).sum().backward()


# ---------------------------------------------------------------------------------------------
# Grad modes
# ---------------------------------------------------------------------------------------------


def test_no_grad_and_enable_grad_as_context_managers() -> None:
    x = tensor([1.0], requires_grad=True)
    with tinytorch.no_grad():
        assert not tinytorch.is_grad_enabled()
        y = x * 2
        with tinytorch.enable_grad():
            z = x * 2
        assert not tinytorch.is_grad_enabled()
    assert tinytorch.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None


def test_no_grad_and_enable_grad_as_decorators() -> None:
    @tinytorch.no_grad()
    def infer(t: tinytorch.Tensor) -> tinytorch.Tensor:
        return t * 2

    @tinytorch.enable_grad()
    def train(t: tinytorch.Tensor) -> tinytorch.Tensor:
        return t * 2

    x = tensor([1.0], requires_grad=True)
    assert not infer(x).requires_grad and infer.__name__ == "infer"
    with tinytorch.no_grad():
        assert train(x).requires_grad
    assert tinytorch.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception() -> None:
    with pytest.raises(ValueError):
        with tinytorch.no_grad():
            raise ValueError
    assert tinytorch.is_grad_enabled()


def test_set_grad_enabled_as_call_and_context_manager() -> None:
    try:
        tinytorch.set_grad_enabled(False)
        assert not tinytorch.is_grad_enabled()
    finally:
        tinytorch.set_grad_enabled(True)
    assert tinytorch.is_grad_enabled()
    with tinytorch.set_grad_enabled(False):
        assert not (tensor([1.0], requires_grad=True) * 2).requires_grad
    assert tinytorch.is_grad_enabled()


def test_requires_grad_() -> None:
    x = tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    with pytest.raises(RuntimeError, match="only floating point tensors"):
        tensor([1]).requires_grad_()
    y = tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        y.requires_grad_(False)


# ---------------------------------------------------------------------------------------------
# Freeing the graph
# ---------------------------------------------------------------------------------------------


def test_a_second_backward_needs_retain_graph() -> None:
    x = tensor([2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="already freed.*retain_graph=True"):
        y.backward()

    z = (x * x).sum()
    x.grad = None
    z.backward(retain_graph=True)
    z.backward()
    assert x.grad.item() == 8.0


def test_saved_arrays_are_released_after_backward() -> None:
    x = tinytorch.randn(1000, requires_grad=True)
    e = (x * 2).exp()  # Exp saves its output for backward
    saved, node = weakref.ref(e.data), e.grad_fn
    loss = e.sum()
    del e
    gc.collect()
    assert saved() is not None  # the graph holds it until backward

    loss.backward()
    gc.collect()
    assert saved() is None
    assert node.released and node.inputs == ()


def test_retain_graph_keeps_saved_arrays() -> None:
    x = tinytorch.randn(10, requires_grad=True)
    e = x.exp()
    saved = weakref.ref(e.data)
    loss = e.sum()
    del e
    loss.backward(retain_graph=True)
    gc.collect()
    assert saved() is not None


def test_memory_does_not_grow_across_training_steps() -> None:
    gen = tinytorch.Generator(0)
    w1 = tinytorch.randn(64, 256, generator=gen, requires_grad=True)
    b1 = tinytorch.zeros(256, requires_grad=True)
    w2 = tinytorch.randn(256, 10, generator=gen, requires_grad=True)
    x = tinytorch.randn(128, 64, generator=gen)
    labels = tinytorch.randint(0, 10, (128,), generator=gen)

    def step() -> None:
        h = (x @ w1 + b1).relu()  # (128, 256): 128 KB per activation
        log_probs = (h @ w2).log_softmax(dim=-1)  # (128, 10)
        loss = -log_probs[tinytorch.arange(128), labels].mean()
        loss.backward()
        with tinytorch.no_grad():
            for p in (w1, b1, w2):
                p -= 1e-3 * p.grad
                p.grad = None

    for _ in range(5):  # let NumPy's allocation caches settle
        step()
    gc.collect()
    tracemalloc.start()
    try:
        step()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(50):
            step()
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # A graph kept alive per step would add several activations (>= 128 KB) each time: > 6 MB in 50 steps.
    assert growth < 512 * 1024, f"memory grew by {growth / 1024:.0f} KB over 50 steps"


# ---------------------------------------------------------------------------------------------
# Anomaly detection
# ---------------------------------------------------------------------------------------------


def test_detect_anomaly_names_the_op_producing_nan_in_forward() -> None:
    x = tensor([-1.0, 1.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        assert np.isnan(x.log().data[0])  # without detection, NaN just flows on
        with tinytorch.detect_anomaly():
            with pytest.raises(RuntimeError, match=r"detect_anomaly: the forward of Log produced NaN \(shape \(2,\)\)"):
                x.log()


def test_detect_anomaly_names_the_op_producing_nan_in_backward() -> None:
    x = tensor([0.0, 4.0], requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        with tinytorch.detect_anomaly():
            loss = (x.sqrt() * 0.0).sum()  # forward is finite; Sqrt's backward is 0 / 0 at x = 0
            with pytest.raises(RuntimeError, match="detect_anomaly: the backward of Sqrt produced NaN"):
                loss.backward()
    assert not tinytorch.autograd.grad_mode.flags.anomaly


# ---------------------------------------------------------------------------------------------
# tinytorch.autograd.grad
# ---------------------------------------------------------------------------------------------


def test_grad_of_leaves_leaves_dot_grad_alone() -> None:
    x = tensor([1.0, 2.0], requires_grad=True)
    w = tensor([3.0, 4.0], requires_grad=True)
    gx, gw = grad((x * w).sum(), [x, w])
    assert gx.tolist() == [3.0, 4.0] and gw.tolist() == [1.0, 2.0]
    assert x.grad is None and w.grad is None
    gx += 1  # returned gradients are ordinary, writeable tensors
    assert gx.tolist() == [4.0, 5.0]


def test_grad_with_respect_to_a_non_leaf() -> None:
    x = tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    gh, gx = grad((h * h).sum(), [h, x])
    assert gh.tolist() == [6.0, 12.0] and gx.tolist() == [18.0, 36.0]
    assert x.grad is None


def test_grad_of_several_outputs_adds_up_even_through_a_shared_graph() -> None:
    x = tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    (g,) = grad([h.sum(), (h * h).sum()], [x])  # 2 + 8x
    assert g.tolist() == [10.0, 18.0]
    y = x * x
    (g,) = grad([y, x.sum()], [x], grad_outputs=[tensor([1.0, 10.0]), None])
    assert g.tolist() == [2.0 + 1.0, 40.0 + 1.0]


def test_grad_allow_unused() -> None:
    x, unused = tensor([1.0], requires_grad=True), tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not used to compute the outputs.*allow_unused=True"):
        grad((x * 2).sum(), [x, unused])
    gx, gu = grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0] and gu is None


def test_grad_errors_and_retain_graph() -> None:
    x = tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="input of shape \\(2,\\) does not require grad"):
        grad((x * 2).sum(), [tensor([1.0, 2.0])])
    with pytest.raises(RuntimeError, match="only for a scalar output"):
        grad(x * 2, [x])
    y = (x * x).sum()
    (g1,) = grad(y, [x], retain_graph=True)
    (g2,) = grad(y, [x])
    assert g1.tolist() == g2.tolist() == [2.0, 4.0]
    with pytest.raises(RuntimeError, match="already freed"):
        grad(y, [x])


def test_leaf_gradients_never_share_memory():
    """Add hands the same array to both inputs; a view of it reaches a third leaf through reshape.

    In-place changes to one `.grad` (gradient clipping) must not leak into another."""
    a = tinytorch.randn(2, 3, requires_grad=True)
    b = tinytorch.randn(2, 3, requires_grad=True)
    c = tinytorch.randn(6, requires_grad=True)
    ((a + b) + c.reshape(2, 3)).sum().backward()
    grads = [a.grad.data, b.grad.data, c.grad.data]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not np.shares_memory(grads[i], grads[j]), (i, j)
    a.grad.data *= 0
    assert np.all(b.grad.data == 1) and np.all(c.grad.data == 1)


def test_higher_order_gradients_are_refused_clearly() -> None:
    x = tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"backward: create_graph=True \(higher-order gradients\)"):
        (x * x).sum().backward(create_graph=True)
    with pytest.raises(NotImplementedError, match=r"autograd.grad: create_graph=True"):
        grad((x * x).sum(), x, create_graph=True)
