"""Backends: the naive (loops) and numpy kernels agree, and `backend.use` switches between them."""

from __future__ import annotations

import platform
import sys

import numpy as np
import pytest

import tinytorch
from op_cases import CASES
from tinytorch import backend
from tinytorch.backend import naive, numpy_backend
from tinytorch.testing import assert_close

MATMUL_CASES = sorted(name for name in CASES if name.startswith("matmul"))


def test_every_matmul_case_is_covered() -> None:
    assert len(MATMUL_CASES) == 10  # 1-D/2-D combinations, batched, broadcast batch


@pytest.mark.parametrize("name", MATMUL_CASES)
def test_naive_and_numpy_matmul_agree(name: str) -> None:
    a, b = CASES[name].arrays()
    expected = numpy_backend.matmul(a, b)
    got = naive.matmul(a, b)
    assert got.shape == expected.shape == np.matmul(a, b).shape
    assert_close(got, expected, rtol=1e-12, atol=1e-12)
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    assert naive.matmul(a32, b32).dtype == np.float32
    assert_close(naive.matmul(a32, b32), numpy_backend.matmul(a32, b32))
    ai, bi = np.round(a * 3).astype(np.int64), np.round(b * 3).astype(np.int64)
    np.testing.assert_array_equal(naive.matmul(ai, bi), np.matmul(ai, bi))


@pytest.mark.parametrize("name", MATMUL_CASES)
def test_forward_and_backward_agree_on_both_backends(name: str) -> None:
    arrays = CASES[name].arrays()
    results = {}
    for which in ("numpy", "naive"):
        with backend.use(which):
            a, b = (tinytorch.tensor(x, requires_grad=True) for x in arrays)
            out = a @ b
            (out * out).sum().backward()
            results[which] = (out.data, a.grad.data, b.grad.data)
    for got, expected in zip(results["naive"], results["numpy"]):
        assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_use_as_a_call_switches_for_the_rest_of_the_program() -> None:
    assert backend.current() == "numpy" and backend.get() is numpy_backend
    try:
        backend.use("naive")
        assert backend.current() == "naive" and backend.get() is naive
    finally:
        backend.use("numpy")
    assert backend.get() is numpy_backend


def test_use_as_a_context_manager_restores_the_previous_backend() -> None:
    with backend.use("naive") as chosen:
        assert isinstance(chosen, backend.use) and backend.current() == "naive"
        with backend.use("numpy"):
            assert backend.current() == "numpy"
        assert backend.current() == "naive"
    assert backend.current() == "numpy"
    with pytest.raises(RuntimeError):
        with backend.use("naive"):
            raise RuntimeError("boom")
    assert backend.current() == "numpy"


def test_the_naive_backend_really_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = naive.matmul2d

    def spy(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        calls.append((a.shape, b.shape))
        return original(a, b)

    monkeypatch.setattr(naive, "matmul2d", spy)
    with backend.use("naive"):
        tinytorch.ones(2, 3, 4) @ tinytorch.ones(4, 5)
    assert calls == [((3, 4), (4, 5))] * 2  # one 2-D product per batch entry


def test_unknown_backend_is_an_error_naming_the_choices() -> None:
    with pytest.raises(ValueError, match=r"backend.use: unknown backend 'cuda'; choose one of \['naive', 'numpy'\]"):
        backend.use("cuda")
    assert backend.current() == "numpy"


def test_allocator_keeps_freed_memory_on_linux_unless_switched_off(monkeypatch):
    from tinytorch.backend.memory import keep_freed_memory

    monkeypatch.setenv("TINYTORCH_KEEP_FREED_MEMORY", "0")
    assert keep_freed_memory() is False
    monkeypatch.delenv("TINYTORCH_KEEP_FREED_MEMORY")
    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        assert keep_freed_memory() is True
