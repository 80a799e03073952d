"""Regenerate the PyTorch goldens for every core op: tests/goldens/core_ops.npz.

For each case in tests/op_cases.py it stores, under "<case>/...":
    in<i>    the inputs (float64; index arrays and masks as int64/bool)
    out<j>   PyTorch's forward outputs
    w<j>     fixed random weights, one per output
    grad<i>  PyTorch's gradient of sum_j (out_j * w_j).sum() for every differentiable input
The test suite (tests/test_ops_golden.py) reads the file with NumPy alone and rebuilds each case with
TinyTorch, so torch is needed only here.

    python scripts/make_goldens.py           # write tests/goldens/core_ops.npz (needs torch)
    python scripts/make_goldens.py --check   # recompute; fail if the committed file differs
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

import numpy as np

from golden_common import parse_args, write_or_check

TORCH_VERSION = "2.13.0"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, argv)
    import torch

    if torch.__version__.split("+")[0] != TORCH_VERSION:
        print(f"warning: goldens are made with torch {TORCH_VERSION}; this is {torch.__version__}", file=sys.stderr)
    return write_or_check({"core_ops.npz": golden_arrays(torch)}, args.check, rtol=1e-12, atol=1e-12)


if __name__ == "__main__":
    sys.exit(main())
