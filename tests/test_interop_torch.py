"""Checkpoints move between TinyTorch and PyTorch through safetensors (runs only where torch is installed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import safetensors.torch  # noqa: E402  (after the skip: safetensors.torch needs torch)

import tinytorch  # noqa: E402
from tinytorch.serialization import load, save  # noqa: E402
from tinytorch.tensor import Tensor  # noqa: E402


def torch_mlp(seed: int) -> "torch.nn.Sequential":
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))


def tiny_mlp(seed: int) -> "tinytorch.nn.Sequential":
    tinytorch.manual_seed(seed)
    nn = tinytorch.nn
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def test_tinytorch_state_dict_loads_into_the_equivalent_torch_model(tmp_path: Path) -> None:
    model = tiny_mlp(seed=0)
    save(model.state_dict(), tmp_path / "mlp.safetensors")

    net = torch_mlp(seed=1)  # different initial weights, replaced by the checkpoint's
    net.load_state_dict(safetensors.torch.load_file(str(tmp_path / "mlp.safetensors")))
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(tinytorch.tensor(x)).data, expected, rtol=1e-5, atol=1e-6)


def test_torch_state_dict_loads_into_the_equivalent_tinytorch_model(tmp_path: Path) -> None:
    net = torch_mlp(seed=2)
    safetensors.torch.save_file(net.state_dict(), str(tmp_path / "mlp.safetensors"))
    state = load(tmp_path / "mlp.safetensors")
    assert sorted(state) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert all(isinstance(t, Tensor) and t.data.dtype == np.float32 for t in state.values())

    model = tiny_mlp(seed=3)
    model.load_state_dict(state)
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(tinytorch.tensor(x)).data, expected, rtol=1e-5, atol=1e-6)


def test_every_dtype_reads_back_in_torch(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    arrays = {dtype: (rng.integers(-50, 50, size=(2, 3)) / 3).astype(dtype)
              for dtype in ["float32", "float64", "float16", "int64", "int32", "int8"]}
    arrays["uint8"] = rng.integers(0, 255, size=(2, 3)).astype(np.uint8)
    arrays["bool"] = rng.integers(0, 2, size=(4,)).astype(bool)
    arrays["scalar"] = np.array(2.5, dtype=np.float32)
    arrays["empty"] = np.zeros((0, 3), dtype=np.float32)
    save({"model": arrays, "epoch": 1}, tmp_path / "c.safetensors")
    loaded = safetensors.torch.load_file(str(tmp_path / "c.safetensors"))
    assert sorted(loaded) == sorted(f"model.{name}" for name in arrays)
    for name, array in arrays.items():
        tensor = loaded[f"model.{name}"]
        assert tuple(tensor.shape) == array.shape
        np.testing.assert_array_equal(tensor.numpy(), array)
        assert tensor.numpy().dtype == array.dtype
