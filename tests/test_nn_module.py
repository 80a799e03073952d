"""Module 04: Module registration, traversal, modes, state_dict round trips, containers and repr."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tinytorch as tt
from tinytorch import nn


class Block(nn.Module):
    """A module with a parameter, a sub-module, a persistent and a non-persistent buffer."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(tt.ones(3))
        self.fc = nn.Linear(3, 2)
        self.register_buffer("count", tt.zeros(1))
        self.register_buffer("cache", tt.zeros(2), persistent=False)
        self.note = "plain attribute"

    def forward(self, x: tt.Tensor) -> tt.Tensor:
        return self.fc(x * self.scale)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(2, 4, bias=False))

    def forward(self, x: tt.Tensor) -> tt.Tensor:
        return self.head(self.block(x))


def test_setattr_registers_parameters_modules_and_buffers() -> None:
    block = Block()
    assert list(block._parameters) == ["scale"]
    assert list(block._modules) == ["fc"]
    assert list(block._buffers) == ["count", "cache"]
    assert block.note == "plain attribute" and "note" not in block._parameters
    assert isinstance(block.scale, nn.Parameter) and block.scale.requires_grad
    # a plain tensor attribute is not a parameter
    block.plain = tt.ones(2)
    assert "plain" not in dict(block.named_parameters())


def test_named_parameters_use_dotted_names_in_registration_order() -> None:
    names = [name for name, _ in Net().named_parameters()]
    assert names == ["block.scale", "block.fc.weight", "block.fc.bias", "head.1.weight"]
    assert [n for n, _ in Net().named_parameters(prefix="model")][0] == "model.block.scale"
    assert [n for n, _ in Net().block.named_parameters(recurse=False)] == ["scale"]


def test_shared_parameters_and_modules_are_listed_once() -> None:
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert len(list(model.named_parameters(remove_duplicate=False))) == 4
    assert [name for name, _ in model.named_modules()] == ["", "0", "1"]
    tied = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    tied[1].weight = tied[0].weight
    assert len(list(tied.parameters())) == 3  # two biases and the one shared weight


def test_buffers_children_and_modules() -> None:
    net = Net()
    assert [name for name, _ in net.named_buffers()] == ["block.count", "block.cache"]
    assert len(list(net.buffers())) == 2
    assert [name for name, _ in net.named_children()] == ["block", "head"]
    assert list(net.children()) == [net.block, net.head]
    assert [name for name, _ in net.named_modules()] == ["", "block", "block.fc", "head", "head.0", "head.1"]
    assert len(list(net.modules())) == 6
    assert net.get_submodule("head.1") is net.head[1]
    with pytest.raises(AttributeError, match="no submodule 'nope'"):
        net.get_submodule("head.nope")


def test_reassigning_and_deleting_keeps_the_registries_consistent() -> None:
    block = Block()
    block.scale = None  # a declared but absent parameter
    assert block.scale is None and "block.scale" not in dict(Net().named_parameters(prefix="x"))
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'scale'"):
        block.scale = tt.ones(3)
    block.count = tt.full((1,), 5.0)  # buffers may be replaced by tensors
    assert block.state_dict()["count"].item() == 5.0
    with pytest.raises(TypeError, match="as buffer 'count'"):
        block.count = 3.0
    block.fc = nn.Identity()  # a module replaced by another
    assert "fc.weight" not in block.state_dict()
    del block.fc
    assert "fc" not in block._modules
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'fc'"):
        block.fc


def test_assigning_before_init_is_a_clear_error() -> None:
    class Forgetful(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter(tt.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Forgetful()


def test_register_buffer_rejects_bad_names_and_values() -> None:
    m = nn.Module()
    with pytest.raises(KeyError, match='cannot contain "."'):
        m.register_buffer("a.b", tt.ones(1))
    with pytest.raises(TypeError, match="Tensor or None expected"):
        m.register_buffer("x", np.ones(1))
    m.other = 1
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("other", tt.ones(1))


def test_train_and_eval_reach_every_submodule() -> None:
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="bool"):
        net.train("no")


def test_zero_grad_and_requires_grad() -> None:
    net = Net()
    net(tt.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_apply_visits_children_before_the_parent() -> None:
    seen = []
    Net().apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Block", "ReLU", "Linear", "Sequential", "Net"]


def test_state_dict_holds_parameters_and_persistent_buffers_detached() -> None:
    net = Net()
    state = net.state_dict()
    assert list(state) == ["block.scale", "block.count", "block.fc.weight", "block.fc.bias", "head.1.weight"]
    assert all(type(t) is tt.Tensor and not t.requires_grad for t in state.values())
    assert state["block.scale"].data is net.block.scale.data  # shares memory, like PyTorch
    keep = net.state_dict(keep_vars=True)
    assert keep["block.scale"] is net.block.scale


def test_load_state_dict_copies_in_place_and_reports_keys() -> None:
    source, target = Net(), Net()
    weight = target.block.fc.weight
    result = target.load_state_dict(source.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert target.block.fc.weight is weight  # same object: optimizers holding it stay valid
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    assert a.data is not b.data

    partial = dict(source.state_dict())
    del partial["head.1.weight"]
    partial["extra"] = tt.ones(1)
    result = target.load_state_dict(partial, strict=False)
    assert result.missing_keys == ["head.1.weight"] and result.unexpected_keys == ["extra"]


def test_load_state_dict_strict_errors_name_every_problem_and_change_nothing() -> None:
    net = Net()
    before = {k: v.data.copy() for k, v in net.state_dict().items()}
    bad = {k: tt.tensor(v.data + 1) for k, v in net.state_dict().items()}
    del bad["block.scale"]
    bad["block.fc.weight"] = tt.zeros(5, 5)
    bad["surplus"] = tt.zeros(1)
    with pytest.raises(RuntimeError) as error:
        net.load_state_dict(bad)
    message = str(error.value)
    assert 'Missing key(s) in state_dict: "block.scale"' in message
    assert 'Unexpected key(s) in state_dict: "surplus"' in message
    assert "size mismatch for block.fc.weight: copying a param with shape (5, 5) from checkpoint, " \
           "the shape in current model is (2, 3)" in message
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.data, before[k], err_msg=f"{k} changed by a failed load")
    with pytest.raises(RuntimeError, match="size mismatch"):  # shapes are checked even when not strict
        net.load_state_dict(bad, strict=False)


def test_load_state_dict_accepts_arrays_and_casts_to_the_model_dtype() -> None:
    lin = nn.Linear(2, 2)
    lin.load_state_dict({"weight": np.eye(2), "bias": np.array([1.0, 2.0])})
    assert lin.weight.dtype == tt.float32
    np.testing.assert_array_equal(lin.bias.data, [1.0, 2.0])


def test_to_double_converts_parameters_and_buffers_in_place() -> None:
    net = Net()
    param = net.block.fc.weight
    net.double()
    assert net.block.fc.weight is param and param.dtype == tt.float64
    assert net.block.count.dtype == tt.float64
    assert net(tt.randn(2, 3, dtype=tt.float64)).dtype == tt.float64
    net.to("cpu", dtype=tt.float32)
    assert param.dtype == tt.float32


def test_deepcopy_gives_an_independent_model() -> None:
    net = Net()
    twin = copy.deepcopy(net)
    twin.block.fc.weight.data += 1
    assert not np.array_equal(twin.block.fc.weight.data, net.block.fc.weight.data)
    assert isinstance(twin.block.fc.weight, nn.Parameter)
    assert [n for n, _ in twin.named_parameters()] == [n for n, _ in net.named_parameters()]


def test_repr_is_a_tree_like_pytorch() -> None:
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 2, bias=False))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=8, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Dropout(p=0.1, inplace=False)\n"
        "  (3): Linear(in_features=8, out_features=2, bias=False)\n"
        ")"
    )
    assert repr(Net()) == (
        "Net(\n"
        "  (block): Block(\n"
        "    (fc): Linear(in_features=3, out_features=2, bias=True)\n"
        "  )\n"
        "  (head): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Linear(in_features=2, out_features=4, bias=False)\n"
        "  )\n"
        ")"
    )
    assert repr(nn.GELU(approximate="tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.CrossEntropyLoss(reduction="sum")) == "CrossEntropyLoss(reduction='sum')"


def test_forward_must_be_defined() -> None:
    with pytest.raises(NotImplementedError, match="Module has no forward"):
        nn.Module()(tt.ones(1))


def test_forward_hooks_see_and_may_replace_inputs_and_outputs() -> None:
    lin = nn.Linear(2, 2)
    calls = []
    pre = lin.register_forward_pre_hook(lambda m, args: calls.append(("pre", args[0].shape)))
    post = lin.register_forward_hook(lambda m, args, out: out * 0)
    out = lin(tt.ones(3, 2))
    assert calls == [("pre", (3, 2))] and not out.data.any()
    pre.remove()
    post.remove()
    assert lin(tt.ones(3, 2)).data.any() and len(calls) == 1


def test_sequential_indexing_slicing_and_growth() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(model) == 3 and isinstance(model[-1], nn.Linear)
    head = model[1:]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is model[1]
    model.append(nn.Sigmoid())
    assert [n for n, _ in model.named_children()] == ["0", "1", "2", "3"]
    model[1] = nn.Tanh()
    assert isinstance(model[1], nn.Tanh)
    assert model(tt.ones(5, 2)).shape == (5, 1)
    with pytest.raises(IndexError, match="index 9 is out of range for 4 modules"):
        model[9]
    named = nn.Sequential({"enc": nn.Linear(2, 2), "act": nn.ReLU()})
    assert [n for n, _ in named.named_parameters()] == ["enc.weight", "enc.bias"]


def test_module_list_registers_its_members() -> None:
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(list(layers.parameters())) == 6
    layers.append(nn.Linear(2, 2))
    layers.insert(0, nn.ReLU())
    assert isinstance(layers[0], nn.ReLU) and len(layers) == 5
    del layers[0]
    assert [n for n, _ in layers.named_children()] == ["0", "1", "2", "3"]
    layers += [nn.Tanh()]
    assert isinstance(layers[-1], nn.Tanh)
    assert isinstance(layers[:2], nn.ModuleList)
    x = tt.ones(1, 2)
    for layer in layers:
        x = layer(x)
    assert x.shape == (1, 2)


def test_module_dict_registers_its_members() -> None:
    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})
    heads["c"] = nn.Linear(2, 2)
    assert list(heads) == ["a", "b", "c"] and "b" in heads and len(heads) == 3
    assert [n for n, _ in heads.named_parameters()][:2] == ["a.weight", "a.bias"]
    assert heads.pop("a") is not None and list(heads.keys()) == ["b", "c"]
    assert [type(m).__name__ for m in heads.values()] == ["Linear", "Linear"]


def test_parameter_is_a_float32_tensor_sharing_memory() -> None:
    data = tt.zeros(2, 2)
    p = nn.Parameter(data)
    assert isinstance(p, tt.Tensor) and p.requires_grad and p.data is data.data
    assert nn.Parameter([1.0, 2.0]).dtype == tt.float32
    assert not nn.Parameter(tt.ones(1), requires_grad=False).requires_grad
    assert repr(nn.Parameter(tt.ones(1))).startswith("Parameter containing:\ntensor(")
    assert type(p * 2) is tt.Tensor  # results of operations are plain tensors


def test_linear_default_init_matches_pytorch_bounds() -> None:
    """PyTorch's default: W and b both uniform in (-1/sqrt(in), 1/sqrt(in))."""
    tt.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > 0.95 * bound
    assert abs(layer.weight.data.std() - bound / np.sqrt(3)) < 0.01 * bound  # std of U(-b, b) is b / sqrt 3
    assert layer.weight.dtype == tt.float32
    tt.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(400, 300).weight.data, layer.weight.data)  # seeded: replayable


def test_flatten_identity_and_linear_on_batched_input() -> None:
    x = tt.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert nn.Identity(7, some="arg")(x) is x
    assert nn.Linear(5, 6)(x).shape == (2, 3, 4, 6)
    assert nn.Linear(5, 6)(tt.randn(5)).shape == (6,)
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 3, 4, 5\) .* in_features \(4\)"):
        nn.Linear(4, 6)(x)


def test_dropout_scales_kept_units_and_is_identity_in_eval() -> None:
    tt.manual_seed(0)
    layer = nn.Dropout(0.25)
    x = tt.ones(200, 100)
    y = layer(x)
    kept = y.data != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y.data[kept], 1 / 0.75)
    layer.eval()
    assert layer(x) is x
    assert not nn.Dropout(1.0)(x).data.any()
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_gradient_flows_only_through_kept_units() -> None:
    x = tt.ones(10, 10, requires_grad=True)
    y = nn.functional.dropout(x, 0.5, generator=tt.Generator(3))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)  # d(sum)/dx = mask / (1 - p) = y for x = 1
    again = nn.functional.dropout(tt.ones(10, 10), 0.5, generator=tt.Generator(3))
    np.testing.assert_array_equal(again.data, y.data)  # a generator makes the mask replayable
