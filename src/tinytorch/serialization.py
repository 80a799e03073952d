"""Checkpoints: `save` and `load` in the safetensors format, written by hand with NumPy.

A safetensors file is  [8-byte little-endian header length N][N bytes of JSON header][raw data].
The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into
the data section) plus an optional "__metadata__" str -> str map. The data is little-endian, C order.

`save` accepts a nested structure (dicts, lists, tuples, Tensors, NumPy arrays, plain values). Every
array becomes one tensor named by its dotted path (`model.fc1.weight`), so a saved `state_dict()` is
readable by the `safetensors` package and by PyTorch. The structure itself (and the plain values)
goes into `__metadata__["tinytorch"]` as JSON, so `load` can rebuild it exactly.

Why not pickle (what `torch.save` uses)? Unpickling runs code named by the file: opening a checkpoint
from the internet could run anything. Loading a safetensors file only ever parses JSON and copies bytes.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from tinytorch.tensor import Tensor

FORMAT_VERSION = 1
METADATA_KEY = "tinytorch"

# safetensors dtype names <-> NumPy dtypes ("<" = little-endian, as the format requires).
DTYPES: dict[str, np.dtype] = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I8": np.dtype("i1"),
    "U8": np.dtype("u1"), "BOOL": np.dtype("bool"),
}
_NAMES = {dt: name for name, dt in DTYPES.items()}


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read (or an object that cannot be saved)."""


# ---------------------------------------------------------------- saving

def _flatten(obj: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    """Return the JSON tree describing `obj`; collect its arrays into `arrays` under dotted names."""
    if isinstance(obj, (Tensor, np.ndarray, np.generic)):
        kind = "tensor" if isinstance(obj, Tensor) else "ndarray" if isinstance(obj, np.ndarray) else "scalar"
        array = np.asarray(obj.data if isinstance(obj, Tensor) else obj)
        if array.dtype.newbyteorder("<") not in _NAMES:
            supported = ", ".join(str(dt) for dt in _NAMES)
            raise CheckpointError(f"save: '{path}' has dtype {array.dtype}, which safetensors cannot "
                                  f"store here (supported: {supported})")
        name, n = path or "tensor", 1
        while name in arrays or name == "__metadata__":  # {"a.b": x, "a": {"b": y}}: both are "a.b"
            name, n = f"{path or 'tensor'}~{n}", n + 1
        arrays[name] = array.astype(array.dtype.newbyteorder("<"), copy=False)
        return {kind: name}
    prefix = f"{path}." if path else ""
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if type(key) not in (str, int):  # bool is an int subclass: excluded by type(), not isinstance
                raise CheckpointError(f"save: dict key {key!r} at '{path}' is a {type(key).__name__}; "
                                      "only str and int keys can be saved")
            items.append([key, _flatten(value, f"{prefix}{key}", arrays)])
        return {"dict": items}  # [key, node] pairs: JSON keeps int keys as ints, order is kept
    if isinstance(obj, (list, tuple)):
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {kind: [_flatten(v, f"{prefix}{i}", arrays) for i, v in enumerate(obj)]}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    raise CheckpointError(f"save: cannot save '{path}' of type {type(obj).__name__}; expected dicts, "
                          "lists, tuples, Tensors, NumPy arrays, int, float, bool, str or None")


def save(obj: Any, path: str | os.PathLike) -> None:
    """Save `obj` (e.g. {"model": model.state_dict(), "epoch": 3}) to `path` as a safetensors file.

    The write is atomic: data goes to a temporary file in the same directory, is flushed to disk, and
    only then renamed over `path`, so a crash never leaves a half-written checkpoint under that name.
    """
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    tree = _flatten(obj, "", arrays)
    # Largest items first keeps every tensor aligned to its itemsize inside the 8-aligned data section.
    names = sorted(arrays, key=lambda k: -arrays[k].itemsize)
    header: dict[str, Any] = {"__metadata__": {METADATA_KEY: json.dumps({"version": FORMAT_VERSION,
                                                                          "tree": tree})}}
    offset = 0
    for name in names:
        a = arrays[name]
        header[name] = {"dtype": _NAMES[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-(8 + len(head)) % 8)  # pad with spaces so the data starts 8-byte aligned

    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(len(head).to_bytes(8, "little"))
            f.write(head)
            for name in names:
                f.write(arrays[name].tobytes(order="C"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- loading

def _read_header(data: bytes, file: str) -> tuple[dict[str, Any], int]:
    """Parse and check the header; return it and the byte position where the data section starts."""
    if len(data) < 9 or data[8:9] != b"{":
        hint = ""
        if data[:2] == b"PK" or data[:1] == b"\x80":
            hint = (" It looks like a pickle/zip checkpoint (e.g. from torch.save); TinyTorch refuses to "
                    "load those because unpickling can run arbitrary code.")
        raise CheckpointError(f"load: {file} is not a safetensors file.{hint}")
    n = int.from_bytes(data[:8], "little")
    if 8 + n > len(data):
        raise CheckpointError(f"load: {file} is truncated: its header claims {n} bytes but the file "
                              f"has only {len(data) - 8} after the length field")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"load: {file} has a header that is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"load: {file} has a header that is not a JSON object")
    return header, 8 + n


def _read_arrays(header: dict[str, Any], data: bytes, start: int, file: str) -> dict[str, np.ndarray]:
    """Check every tensor entry and copy its bytes into a writable array."""
    spans, arrays = [], {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype_name, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        except (TypeError, KeyError, ValueError):
            raise CheckpointError(f"load: {file}: entry '{name}' needs dtype, shape and "
                                  f"data_offsets [begin, end], got {info!r}") from None
        if dtype_name not in DTYPES:
            raise CheckpointError(f"load: {file}: tensor '{name}' has unsupported dtype {dtype_name!r} "
                                  f"(supported: {', '.join(DTYPES)})")
        dtype = DTYPES[dtype_name]
        if not isinstance(shape, list) or not all(type(x) is int and x >= 0 for x in [*shape, begin, end]):
            raise CheckpointError(f"load: {file}: tensor '{name}' has invalid shape {shape} or "
                                  f"data_offsets {[begin, end]}")
        if end < begin:
            raise CheckpointError(f"load: {file}: tensor '{name}' has data_offsets {[begin, end]} "
                                  "out of order (end before begin)")
        if end - begin != int(np.prod(shape)) * dtype.itemsize:
            raise CheckpointError(f"load: {file}: tensor '{name}' has data_offsets {[begin, end]} "
                                  f"({end - begin} bytes) but {dtype_name}{shape} needs "
                                  f"{int(np.prod(shape)) * dtype.itemsize} bytes")
        if start + end > len(data):
            raise CheckpointError(f"load: {file} is truncated: tensor '{name}' ends at data offset "
                                  f"{end} but the data section has {len(data) - start} bytes")
        spans.append((begin, end, name))
        arrays[name] = np.frombuffer(data, dtype, int(np.prod(shape)), start + begin).reshape(shape).copy()
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            raise CheckpointError(f"load: {file}: tensor '{name}' has data_offsets {[begin, end]}; "
                                  f"expected it to start at {position} (offsets overlap or leave gaps)")
        position = end
    if start + position != len(data):
        raise CheckpointError(f"load: {file} has {len(data) - start - position} bytes after its last tensor")
    return arrays


def _rebuild(node: Any, arrays: dict[str, np.ndarray], file: str) -> Any:
    """Inverse of `_flatten`: turn a JSON tree back into the saved structure."""
    try:
        (kind, value), = node.items()
        if kind in ("tensor", "ndarray", "scalar"):
            array = arrays[value]
            return Tensor._from_array(array) if kind == "tensor" else array if kind == "ndarray" else array[()]
        if kind == "dict":
            return {key: _rebuild(child, arrays, file) for key, child in value}
        if kind in ("list", "tuple"):
            items = [_rebuild(child, arrays, file) for child in value]
            return tuple(items) if kind == "tuple" else items
        if kind == "value":
            return value
    except (AttributeError, TypeError, ValueError, KeyError):
        pass
    raise CheckpointError(f"load: {file} has invalid TinyTorch metadata near {str(node)[:80]!r}")


def load(path: str | os.PathLike) -> Any:
    """Load a checkpoint written by `save`: the same structure, with Tensors where Tensors were saved.

    A safetensors file from another writer (no TinyTorch metadata) loads as a flat dict name -> Tensor.
    """
    file = str(path)
    data = Path(path).read_bytes()  # one read; arrays are copied out so they are writable
    header, start = _read_header(data, file)
    arrays = _read_arrays(header, data, start, file)
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict) or METADATA_KEY not in meta:
        return {name: Tensor._from_array(a) for name, a in arrays.items()}
    try:
        info = json.loads(meta[METADATA_KEY])
        version, tree = info["version"], info["tree"]
    except (TypeError, KeyError, json.JSONDecodeError):
        raise CheckpointError(f"load: {file} has invalid TinyTorch metadata") from None
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(f"load: {file} uses checkpoint format version {version!r}, newer than "
                              f"this TinyTorch supports ({FORMAT_VERSION}); upgrade TinyTorch to read it")
    return _rebuild(tree, arrays, file)
