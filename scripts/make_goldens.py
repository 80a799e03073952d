"""Regenerate the PyTorch goldens for every core op: tests/goldens/core_ops.npz.

For each case in tests/op_cases.py it stores, under "<case>/...":
    in<i>    the inputs (float64; index arrays and masks as int64/bool)
    out<j>   PyTorch's forward outputs
    w<j>     fixed random weights, one per output
    grad<i>  PyTorch's gradient of sum_j (out_j * w_j).sum() for every differentiable input
The test suite (tests/test_ops_golden.py) reads the file with NumPy alone and rebuilds each case with
TinyTorch, so torch is needed only here.

    python scripts/make_goldens.py           # write tests/goldens/core_ops.npz (needs torch)
    python scripts/make_goldens.py --check   # regenerate into a temp dir; fail if the committed file differs
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "goldens" / "core_ops.npz"
TORCH_VERSION = "2.13.0"
sys.path.insert(0, str(ROOT / "tests"))

from op_cases import CASES  # noqa: E402


def golden_arrays(torch) -> dict[str, np.ndarray]:
    """Run every case with PyTorch in float64; return the arrays to store, keyed "<case>/<what>"."""
    torch.manual_seed(0)
    arrays: dict[str, np.ndarray] = {"torch_version": np.array(torch.__version__.split("+")[0])}
    for name, case in CASES.items():
        inputs = case.arrays()
        tensors = [torch.tensor(x, requires_grad=spec.grad) for x, spec in zip(inputs, case.inputs)]
        result = case.fn(torch, *tensors)
        outputs = list(result) if isinstance(result, (tuple, list)) else [result]
        rng = np.random.default_rng(zlib.crc32(f"{name}/w".encode("utf-8")))
        weights = [rng.standard_normal(tuple(out.shape)) for out in outputs]
        loss = sum((out * torch.tensor(w)).sum() for out, w in zip(outputs, weights))
        loss.backward()
        for i, (x, t) in enumerate(zip(inputs, tensors)):
            arrays[f"{name}/in{i}"] = x
            if t.requires_grad:
                arrays[f"{name}/grad{i}"] = t.grad.numpy()
        for j, (out, w) in enumerate(zip(outputs, weights)):
            arrays[f"{name}/out{j}"] = out.detach().numpy()
            arrays[f"{name}/w{j}"] = w
    return arrays


def write(path: Path, arrays: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        np.savez_compressed(f, **arrays)


def compare(committed: Path, fresh: Path) -> list[str]:
    """Differences between two golden files: missing/extra keys, dtypes, shapes, values."""
    problems = []
    with np.load(committed, allow_pickle=False) as old, np.load(fresh, allow_pickle=False) as new:
        for key in sorted(set(old.files) ^ set(new.files)):
            problems.append(f"{key}: only in the {'committed' if key in old.files else 'regenerated'} file")
        for key in sorted(set(old.files) & set(new.files)):
            a, b = old[key], new[key]
            if a.dtype != b.dtype or a.shape != b.shape:
                problems.append(f"{key}: committed {a.dtype}{a.shape}, regenerated {b.dtype}{b.shape}")
            elif a.dtype.kind == "f" and not np.allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True):
                problems.append(f"{key}: values differ by up to {np.nanmax(np.abs(a - b)):.3g}")
            elif a.dtype.kind != "f" and not np.array_equal(a, b):
                problems.append(f"{key}: values differ")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="verify the committed goldens instead of writing them")
    args = parser.parse_args(argv)
    import torch

    if torch.__version__.split("+")[0] != TORCH_VERSION:
        print(f"warning: goldens are made with torch {TORCH_VERSION}; this is {torch.__version__}", file=sys.stderr)
    arrays = golden_arrays(torch)
    if not args.check:
        write(GOLDEN, arrays)
        print(f"wrote {len(CASES)} cases ({len(arrays)} arrays) to {GOLDEN.relative_to(ROOT)}")
        return 0
    if not GOLDEN.exists():
        print(f"{GOLDEN.relative_to(ROOT)} is missing; run python scripts/make_goldens.py", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / GOLDEN.name
        write(fresh, arrays)
        problems = compare(GOLDEN, fresh)
    if problems:
        print(f"{GOLDEN.relative_to(ROOT)} is out of date ({len(problems)} differences); "
              "run python scripts/make_goldens.py and commit the result:", file=sys.stderr)
        print("\n".join(f"  {p}" for p in problems[:40]), file=sys.stderr)
        return 1
    print(f"{GOLDEN.relative_to(ROOT)} matches PyTorch {torch.__version__} on {len(CASES)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
