"""Every core op against PyTorch: forward outputs and gradients from tests/goldens/core_ops.npz.

The goldens were made by scripts/make_goldens.py with torch; here they are read with NumPy alone and
each case is rebuilt by name with TinyTorch (the case table is tests/op_cases.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch
from goldens_util import load_arrays
from op_cases import CASES
from tinytorch.testing import assert_close


@pytest.fixture(scope="module")
def golden() -> dict[str, np.ndarray]:
    return load_arrays("core_ops.npz")


def test_every_case_has_a_golden_and_every_golden_a_case(golden: dict[str, np.ndarray]) -> None:
    stored = {key.split("/")[0] for key in golden if "/" in key}
    assert stored == set(CASES), (
        f"goldens out of date (run python scripts/make_goldens.py): missing {sorted(set(CASES) - stored)}, "
        f"stale {sorted(stored - set(CASES))}"
    )


def test_goldens_come_from_the_pinned_torch(golden: dict[str, np.ndarray]) -> None:
    assert str(golden["torch_version"]) == "2.13.0"


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_pytorch(name: str, golden: dict[str, np.ndarray]) -> None:
    case = CASES[name]
    arrays = [golden[f"{name}/in{i}"] for i in range(len(case.inputs))]
    for fresh, stored in zip(case.arrays(), arrays):  # the case table still draws the stored inputs
        np.testing.assert_array_equal(fresh, stored)
    inputs = [tinytorch.tensor(x, requires_grad=spec.grad) for x, spec in zip(arrays, case.inputs)]

    result = case.fn(tinytorch, *inputs)
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    assert len(outputs) == sum(key.startswith(f"{name}/out") for key in golden), f"{name}: number of outputs"
    loss = None
    for j, out in enumerate(outputs):
        expected = golden[f"{name}/out{j}"]
        assert out.dtype == expected.dtype, f"{name}: output {j} has dtype {out.dtype}, PyTorch {expected.dtype}"
        assert_close(out, expected, rtol=1e-9, atol=1e-10, msg=f"{name}: forward output {j}")
        term = (out * tinytorch.tensor(golden[f"{name}/w{j}"])).sum()
        loss = term if loss is None else loss + term
    loss.backward()

    for i, (x, spec) in enumerate(zip(inputs, case.inputs)):
        if spec.grad:
            assert x.grad is not None, f"{name}: input {i} received no gradient"
            assert_close(x.grad, golden[f"{name}/grad{i}"], rtol=1e-9, atol=1e-10, msg=f"{name}: gradient of input {i}")
