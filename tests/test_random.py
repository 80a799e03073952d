"""Seeding: `manual_seed` replays every random draw; a `Generator` is a stream of its own."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch
from tinytorch.random import default_rng


def draws(generator: tinytorch.Generator | None = None) -> list[list]:
    return [
        tinytorch.randn(3, 2, generator=generator).tolist(),
        tinytorch.rand(4, generator=generator).tolist(),
        tinytorch.randint(0, 100, (5,), generator=generator).tolist(),
        tinytorch.randperm(6, generator=generator).tolist(),
        tinytorch.randn(2, dtype=tinytorch.float64, generator=generator).tolist(),
    ]


def test_manual_seed_replays_every_draw() -> None:
    tinytorch.manual_seed(1234)
    first = draws()
    tinytorch.manual_seed(1234)
    assert draws() == first
    tinytorch.manual_seed(1235)
    assert draws() != first


def test_the_stream_is_numpy_pcg64_so_it_is_the_same_on_every_machine() -> None:
    tinytorch.manual_seed(7)
    expected = np.random.default_rng(7).standard_normal((2, 3), dtype=np.float32)
    np.testing.assert_array_equal(tinytorch.randn(2, 3).data, expected)
    assert tinytorch.random.default_generator.initial_seed() == 7


def test_manual_seed_also_seeds_numpys_legacy_global_state() -> None:
    tinytorch.manual_seed(3)
    first = np.random.rand(3)
    tinytorch.manual_seed(3)
    np.testing.assert_array_equal(np.random.rand(3), first)


def test_generators_are_independent_of_the_global_stream_and_of_each_other() -> None:
    tinytorch.manual_seed(0)
    global_only = draws()

    tinytorch.manual_seed(0)
    g1, g2 = tinytorch.Generator(42), tinytorch.Generator(42)
    from_g1 = draws(g1)
    assert draws() == global_only  # drawing from g1 did not move the global stream
    assert draws(g2) == from_g1  # same seed, same stream; g1's draws did not move g2
    assert draws(g1) != from_g1  # g1 moved on


def test_generator_seeding_and_state() -> None:
    g = tinytorch.Generator()
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    state = g.get_state()
    first = tinytorch.rand(3, generator=g).tolist()
    g.set_state(state)
    assert tinytorch.rand(3, generator=g).tolist() == first
    assert tinytorch.Generator().manual_seed(5).rng.random() == np.random.default_rng(5).random()
    with pytest.raises(TypeError, match="manual_seed: seed must be an int, got float"):
        g.manual_seed(1.5)


def test_default_rng_is_the_global_generators_numpy_generator() -> None:
    tinytorch.manual_seed(11)
    value = default_rng().random()
    tinytorch.manual_seed(11)
    assert tinytorch.rand(1, dtype=tinytorch.float64).item() == value
