"""Module 01 check: seeding replays randomness exactly, and the system report describes this machine.

Expected values come from NumPy and the standard library directly, never from tinytorch itself.
"""

from __future__ import annotations

import os
import platform

import numpy as np

import tinytorch
from tinytorch import random as tt_random
from tito.course.checks._helpers import assert_close, assert_equal, assert_raises, exercise, fail

GENERATOR_SEED = exercise("Generator.manual_seed")
GLOBAL_SEED = exercise("manual_seed")
REPORT = exercise("system_report")


# ------------------------------------------------------------------------- Generator.manual_seed


def test_generator_manual_seed_returns_the_generator_itself():
    generator = tinytorch.Generator(1)
    returned = generator.manual_seed(3)
    if returned is not generator:
        fail("Generator(1).manual_seed(3) must return the generator itself (so calls chain)", GENERATOR_SEED,
             expected="the same Generator object", got=returned)


def test_generator_draws_the_numpy_pcg64_stream_of_its_seed():
    got = tinytorch.Generator().manual_seed(42).rng.random(5)
    expected = np.random.default_rng(42).random(5)
    assert_close(got, expected, GENERATOR_SEED,
                 "Generator().manual_seed(42).rng.random(5) vs np.random.default_rng(42)")


def test_generator_reseeding_restarts_the_stream():
    generator = tinytorch.Generator(7)
    first = generator.rng.random(4)
    generator.rng.random(10)  # move the stream on
    generator.manual_seed(7)
    again = generator.rng.random(4)
    assert_close(again, first, GENERATOR_SEED, "draws after manual_seed(7) again (must repeat the first draws)")


def test_generator_remembers_its_seed():
    generator = tinytorch.Generator(0).manual_seed(1234)
    assert_equal(generator.initial_seed(), 1234, GENERATOR_SEED, "Generator().manual_seed(1234).initial_seed()")


def test_generator_accepts_numpy_integers():
    got = tinytorch.Generator().manual_seed(np.int64(5)).rng.random(2)
    assert_close(got, np.random.default_rng(5).random(2), GENERATOR_SEED, "manual_seed(np.int64(5))")


def test_generator_rejects_float_and_bool_seeds():
    assert_raises(TypeError, lambda: tinytorch.Generator(0).manual_seed(1.5), GENERATOR_SEED,
                  "Generator().manual_seed(1.5) must raise TypeError")
    assert_raises(TypeError, lambda: tinytorch.Generator(0).manual_seed(True), GENERATOR_SEED,
                  "Generator().manual_seed(True) must raise TypeError (a bool is not a seed)")


# ---------------------------------------------------------------------------------- manual_seed


def test_manual_seed_returns_the_global_generator():
    returned = tinytorch.manual_seed(11)
    if returned is not tt_random.default_generator:
        fail("tinytorch.manual_seed(11) must reseed and return the global generator "
             "(tinytorch.random.default_generator), not a new one", GLOBAL_SEED,
             expected="tinytorch.random.default_generator", got=returned)


def test_manual_seed_replays_tinytorch_randomness():
    tinytorch.manual_seed(7)
    first = tinytorch.rand(6).data.copy()
    tinytorch.manual_seed(7)
    again = tinytorch.rand(6).data
    assert_close(again, first, GLOBAL_SEED, "tinytorch.rand(6) after manual_seed(7), twice (must be equal)")
    tinytorch.manual_seed(7)
    expected = np.random.default_rng(7).random(3)
    assert_close(tt_random.default_rng().random(3), expected, GLOBAL_SEED,
                 "the global generator after manual_seed(7) vs np.random.default_rng(7)")


def test_manual_seed_also_seeds_numpy_legacy_global_state():
    tinytorch.manual_seed(2024)
    got = np.random.rand(3)
    expected = np.random.RandomState(2024).rand(3)
    assert_close(got, expected, GLOBAL_SEED, "np.random.rand(3) after tinytorch.manual_seed(2024)")


# -------------------------------------------------------------------------------- system_report


def test_system_report_names_python_numpy_and_the_cpu():
    report = tinytorch.system_report()
    if not isinstance(report, dict):
        fail("system_report() must return a dict", REPORT, expected="a dict", got=report)
    for key in ("python", "numpy", "blas", "os", "machine", "processor", "cpu_count"):
        if key not in report:
            fail(f"system_report() has no key {key!r}", REPORT, expected=key, got=sorted(report))


def test_system_report_values_describe_this_machine():
    report = tinytorch.system_report()
    assert_equal(report.get("python"), platform.python_version(), REPORT, "system_report()['python']")
    assert_equal(report.get("numpy"), np.__version__, REPORT, "system_report()['numpy']")
    assert_equal(report.get("machine"), platform.machine(), REPORT, "system_report()['machine']")
    assert_equal(report.get("cpu_count"), os.cpu_count() or 1, REPORT, "system_report()['cpu_count'] (an int)")
    assert_equal(report.get("blas"), tinytorch.system.blas_info(), REPORT, "system_report()['blas'] (use blas_info())")
