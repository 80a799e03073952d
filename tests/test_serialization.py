"""Checkpoints: round trips, interop with the `safetensors` package, clear errors, atomic writes."""

from __future__ import annotations

import json
import math
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.numpy

from tinytorch import serialization
from tinytorch.serialization import CheckpointError, load, save
from tinytorch.tensor import Tensor

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int8", "uint8", "bool"]


def sample(dtype: str, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """A deterministic array of `dtype` and `shape` with varied values (negatives where allowed)."""
    values = np.asarray(np.random.default_rng(seed).integers(-100, 100, size=shape))
    if dtype == "bool":
        return values > 0
    if dtype == "uint8":
        return np.abs(values).astype(dtype)
    return np.asarray(values / 7 if dtype.startswith("float") else values).astype(dtype)


def assert_same(expected: Any, actual: Any, where: str = "obj") -> None:
    """Exact structural equality: same types (dict/list/tuple/Tensor/ndarray), dtypes, shapes, values."""
    assert type(actual) is type(expected), f"{where}: {type(actual).__name__} != {type(expected).__name__}"
    if isinstance(expected, dict):
        assert list(actual) == list(expected), f"{where}: keys {list(actual)} != {list(expected)}"
        for key in expected:
            assert type(key) is type(next(k for k in actual if k == key))
            assert_same(expected[key], actual[key], f"{where}[{key!r}]")
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected), where
        for i, (e, a) in enumerate(zip(expected, actual)):
            assert_same(e, a, f"{where}[{i}]")
    elif isinstance(expected, (Tensor, np.ndarray, np.generic)):
        e = expected.data if isinstance(expected, Tensor) else np.asarray(expected)
        a = actual.data if isinstance(actual, Tensor) else np.asarray(actual)
        assert a.dtype == e.dtype and a.shape == e.shape, f"{where}: {a.dtype}{a.shape} != {e.dtype}{e.shape}"
        np.testing.assert_array_equal(a, e, err_msg=where)
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(actual), where
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def checkpoint() -> dict[str, Any]:
    """A training checkpoint shaped like PyTorch's: model and optimizer state dicts plus plain values."""
    model = {f"fc1.{dtype}": Tensor._from_array(sample(dtype, (3, 4), i)) for i, dtype in enumerate(DTYPES)}
    model.update({f"scalar.{dtype}": Tensor._from_array(sample(dtype, ())) for dtype in DTYPES})
    model.update({f"empty.{dtype}": Tensor._from_array(sample(dtype, (0, 3))) for dtype in DTYPES})
    optimizer = {
        "state": {0: {"step": 3, "exp_avg": Tensor._from_array(sample("float32", (3, 4)))},
                  1: {"step": 3, "exp_avg": Tensor._from_array(sample("float32", (4,)))}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1], "amsgrad": False,
                          "foreach": None, "name": "default"}],
    }
    return {"model": model, "optimizer": optimizer, "epoch": 3, "best_loss": 0.1 + 0.2,
            "nan": float("nan"), "inf": -float("inf"), "mask": sample("bool", (5,)),
            "accuracy": np.float32(0.75), "count": np.int64(12), "nested": [(1, "a"), [None, True], {}],
            "unicode key ✓": "värde", "": "empty key"}


def write_raw(path: Path, header: dict[str, Any], data: bytes = b"") -> Path:
    """Write a safetensors-shaped file by hand, to build broken files byte by byte."""
    head = json.dumps(header).encode("utf-8")
    path.write_bytes(len(head).to_bytes(8, "little") + head + data)
    return path


# ---------------------------------------------------------------- round trips

def test_round_trip_nested_structure_every_dtype(tmp_path: Path) -> None:
    obj = checkpoint()
    save(obj, tmp_path / "ckpt.safetensors")
    assert_same(obj, load(tmp_path / "ckpt.safetensors"))


@pytest.mark.parametrize("obj", [
    Tensor._from_array(np.arange(6.0).reshape(2, 3)), np.arange(4), [], {}, 5, "text", None, (1.5,)])
def test_round_trip_top_level_values(tmp_path: Path, obj: Any) -> None:
    save(obj, tmp_path / "x.safetensors")
    assert_same(obj, load(str(tmp_path / "x.safetensors")))


def test_loaded_arrays_are_writable_copies(tmp_path: Path) -> None:
    save({"w": Tensor._from_array(np.zeros((2, 2), np.float32)), "a": np.ones(3)}, tmp_path / "c.safetensors")
    out = load(tmp_path / "c.safetensors")
    out["w"].data[0, 0] = 1.0
    out["a"][0] = 5.0
    assert isinstance(out["w"], Tensor) and isinstance(out["a"], np.ndarray)


def test_non_contiguous_and_big_endian_arrays(tmp_path: Path) -> None:
    transposed = np.arange(12, dtype=np.float32).reshape(3, 4).T
    big_endian = np.arange(5, dtype=">i4")
    save({"t": transposed, "b": big_endian}, tmp_path / "c.safetensors")
    out = load(tmp_path / "c.safetensors")
    np.testing.assert_array_equal(out["t"], transposed)
    np.testing.assert_array_equal(out["b"], big_endian)
    assert out["b"].dtype == np.dtype("<i4")


def test_colliding_dotted_names_both_survive(tmp_path: Path) -> None:
    obj = {"a.b": np.zeros(2), "a": {"b": np.ones(2)}, "__metadata__": np.full(2, 2.0)}
    save(obj, tmp_path / "c.safetensors")
    assert_same(obj, load(tmp_path / "c.safetensors"))


def test_header_is_padded_with_spaces_to_8_bytes(tmp_path: Path) -> None:
    for n in range(8):  # names of different lengths give every padding amount
        path = tmp_path / f"p{n}.safetensors"
        save({"x" * n: np.zeros(1, np.uint8)}, path)
        raw = path.read_bytes()
        size = int.from_bytes(raw[:8], "little")
        assert (8 + size) % 8 == 0
        head = raw[8:8 + size].decode("utf-8")
        assert head.rstrip(" ").endswith("}") and json.loads(head)


def test_saving_unsupported_values_fails_clearly_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.safetensors"
    for obj, message in [({"z": np.zeros(2, np.complex64)}, "complex64"), ({"s": {1, 2}}, "set"),
                         ({1.5: 0}, "float"), ({True: 0}, "bool"), ({"m": {"k": object()}}, "m.k")]:
        with pytest.raises(CheckpointError, match=message):
            save(obj, path)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- interop with the safetensors package

def test_state_dict_is_readable_by_safetensors(tmp_path: Path) -> None:
    state = {"fc1.weight": Tensor._from_array(sample("float32", (8, 4))),
             "fc1.bias": Tensor._from_array(sample("float32", (8,))),
             "steps": Tensor._from_array(sample("int64", ()))}
    save({"model": state, "epoch": 2}, tmp_path / "c.safetensors")
    loaded = safetensors.numpy.load_file(str(tmp_path / "c.safetensors"))
    assert sorted(loaded) == ["model.fc1.bias", "model.fc1.weight", "model.steps"]
    for name, tensor in state.items():
        assert_same(tensor.data, loaded[f"model.{name}"], name)


def test_every_dtype_is_readable_by_safetensors(tmp_path: Path) -> None:
    arrays = {dtype: sample(dtype, (2, 3)) for dtype in DTYPES}
    save(arrays, tmp_path / "c.safetensors")
    assert_same(arrays, dict(sorted(safetensors.numpy.load_file(str(tmp_path / "c.safetensors")).items(),
                                    key=lambda kv: DTYPES.index(kv[0]))))


def test_file_from_safetensors_loads_as_flat_dict_of_tensors(tmp_path: Path) -> None:
    arrays = {f"layer.{dtype}": sample(dtype, (3, 2)) for dtype in DTYPES}
    arrays["scalar"] = sample("float64", ())
    safetensors.numpy.save_file(arrays, str(tmp_path / "c.safetensors"), metadata={"format": "np"})
    out = load(tmp_path / "c.safetensors")
    assert set(out) == set(arrays)
    for name, array in arrays.items():
        assert isinstance(out[name], Tensor)
        assert_same(array, out[name].data, name)


# ---------------------------------------------------------------- broken and foreign files

def test_header_length_beyond_file_is_truncated(tmp_path: Path) -> None:
    path = tmp_path / "c.safetensors"
    save({"w": np.zeros(10)}, path)
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(CheckpointError, match="truncated") as info:
        load(path)
    assert str(path) in str(info.value)


def test_data_offsets_beyond_file_is_truncated(tmp_path: Path) -> None:
    path = tmp_path / "c.safetensors"
    save({"w": np.zeros(10)}, path)
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(CheckpointError, match="truncated.*'w' ends at data offset 80"):
        load(path)


@pytest.mark.parametrize("content", [
    pickle.dumps({"w": [1.0, 2.0]}, protocol=2), b"PK\x03\x04 zip archive bytes ..."])
def test_pickle_and_zip_files_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="not a safetensors file.*pickle/zip.*run arbitrary code"):
        load(path)


def test_real_zip_checkpoint_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as z:  # the layout of torch.save since PyTorch 1.6
        z.writestr("archive/data.pkl", pickle.dumps({"w": 1}))
    with pytest.raises(CheckpointError, match="pickle/zip"):
        load(path)


class _Payload:
    """Unpickling this creates a file: proof that the loader never unpickles."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return open, (str(self.marker), "w")


def test_loading_a_malicious_pickle_runs_no_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(CheckpointError, match="pickle"):
        load(path)
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"", b"hello", b"just some text, no header here"])
def test_other_foreign_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="not a safetensors file") as info:
        load(path)
    assert "pickle" not in str(info.value)


def test_header_not_json(tmp_path: Path) -> None:
    head = b"{not json at all}"
    path = tmp_path / "c.safetensors"
    path.write_bytes(len(head).to_bytes(8, "little") + head)
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load(path)


@pytest.mark.parametrize("offsets,message", [
    ([[0, 8], [4, 12]], "expected it to start at 8.*overlap"),
    ([[8, 16], [0, 8], [8, 16]], "'c'.*expected it to start at 16.*overlap"),
    ([[0, 8], [12, 20]], "expected it to start at 8.*gaps"),
    ([[0, 8], [16, 8]], "out of order"),
])
def test_bad_offsets(tmp_path: Path, offsets: list[list[int]], message: str) -> None:
    header = {name: {"dtype": "F64", "shape": [1], "data_offsets": o} for name, o in zip("abc", offsets)}
    path = write_raw(tmp_path / "c.safetensors", header, bytes(max(end for _, end in offsets)))
    with pytest.raises(CheckpointError, match=message):
        load(path)


def test_offsets_that_do_not_match_shape(tmp_path: Path) -> None:
    path = write_raw(tmp_path / "c.safetensors", {"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}},
                     bytes(8))
    with pytest.raises(CheckpointError, match="F32\\[3\\] needs 12 bytes"):
        load(path)


def test_trailing_bytes_after_last_tensor(tmp_path: Path) -> None:
    path = write_raw(tmp_path / "c.safetensors", {"w": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}},
                     bytes(5))
    with pytest.raises(CheckpointError, match="3 bytes after its last tensor"):
        load(path)


@pytest.mark.parametrize("dtype", ["BF16", "F8_E4M3", "C64", "nonsense"])
def test_unsupported_dtype(tmp_path: Path, dtype: str) -> None:
    path = write_raw(tmp_path / "c.safetensors", {"w": {"dtype": dtype, "shape": [2], "data_offsets": [0, 4]}},
                     bytes(4))
    with pytest.raises(CheckpointError, match=f"unsupported dtype '{dtype}'.*supported: F64, F32"):
        load(path)


@pytest.mark.parametrize("entry", [{"dtype": "F32"}, {"dtype": "F32", "shape": 3, "data_offsets": [0, 4]},
                                   {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}, "w"])
def test_malformed_tensor_entries(tmp_path: Path, entry: Any) -> None:
    path = write_raw(tmp_path / "c.safetensors", {"w": entry}, bytes(4))
    with pytest.raises(CheckpointError, match="'w'"):
        load(path)


def test_newer_metadata_version_is_refused(tmp_path: Path) -> None:
    meta = {"tinytorch": json.dumps({"version": serialization.FORMAT_VERSION + 1, "tree": {"value": 1}})}
    path = write_raw(tmp_path / "c.safetensors", {"__metadata__": meta})
    with pytest.raises(CheckpointError, match="version 2, newer than .* supports \\(1\\)"):
        load(path)


@pytest.mark.parametrize("meta", ["not json", json.dumps({"version": 1}),
                                  json.dumps({"version": 1, "tree": {"tensor": "missing"}}),
                                  json.dumps({"version": 1, "tree": {"what": 1}})])
def test_invalid_tinytorch_metadata(tmp_path: Path, meta: str) -> None:
    path = write_raw(tmp_path / "c.safetensors", {"__metadata__": {"tinytorch": meta}})
    with pytest.raises(CheckpointError, match="invalid TinyTorch metadata"):
        load(path)


def test_checkpoint_error_is_a_value_error() -> None:
    assert issubclass(CheckpointError, ValueError)


# ---------------------------------------------------------------- atomic writes

class _CrashingFile:
    """Wraps a real file and raises on its third write: a crash in the middle of the tensor data."""

    def __init__(self, file: Any) -> None:
        self.file, self.writes = file, 0

    def __enter__(self) -> "_CrashingFile":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.file.close()

    def write(self, data: bytes) -> int:
        self.writes += 1
        if self.writes == 3:
            raise OSError("disk full (simulated)")
        return self.file.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.file, name)


def _crash_mid_write(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serialization, "open", lambda *a, **k: _CrashingFile(open(*a, **k)), raising=False)


def _crash_in(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    def crash(*args: Any) -> None:
        raise OSError(f"{name} failed (simulated)")
    monkeypatch.setattr(serialization.os, name, crash)


@pytest.mark.parametrize("crash", [_crash_mid_write, lambda m: _crash_in(m, "fsync"),
                                   lambda m: _crash_in(m, "replace")])
def test_crash_leaves_no_file_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               crash: Any) -> None:
    crash(monkeypatch)
    with pytest.raises(OSError, match="simulated"):
        save({"a": np.zeros(100), "b": np.ones(100)}, tmp_path / "c.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_crash_keeps_the_previous_checkpoint_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.safetensors"
    old = {"a": np.zeros(100), "b": np.ones(100), "epoch": 1}
    save(old, path)
    _crash_mid_write(monkeypatch)
    with pytest.raises(OSError, match="simulated"):
        save({"a": np.full(100, 7.0), "b": np.ones(100), "epoch": 2}, path)
    assert_same(old, load(path))
    assert [p.name for p in tmp_path.iterdir()] == ["c.safetensors"]


def test_overwrite_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.safetensors"
    save({"epoch": 1}, path)
    save({"epoch": 2}, path)
    assert load(path) == {"epoch": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["c.safetensors"]
