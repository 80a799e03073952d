"""Module 01 — randomness you can replay.

Every random choice in TinyTorch (initial weights, dropout masks, shuffling, sampling) draws from a
`Generator`. Seeding the global one with `manual_seed` makes a whole run repeat exactly.
"""

from __future__ import annotations

import numpy as np


class Generator:
    """A seedable source of randomness wrapping a NumPy `Generator` (PCG64)."""

    def __init__(self, seed: int | None = None) -> None:
        # Seeded directly, not through manual_seed, so importing the package never runs an exercise.
        self._seed = seed if seed is not None else int(np.random.SeedSequence().entropy % 2**63)
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> "Generator":
        """Restart the stream from `seed`; returns self so `Generator().manual_seed(0)` chains."""
        # BEGIN SOLUTION 01
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self
        # END SOLUTION

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state


default_generator = Generator(0)


def manual_seed(seed: int) -> Generator:
    """Seed the global generator (and NumPy's legacy global state, for code that uses it)."""
    # BEGIN SOLUTION 01
    np.random.seed(int(seed) % 2**32)
    return default_generator.manual_seed(seed)
    # END SOLUTION


def default_rng() -> np.random.Generator:
    """The NumPy generator behind the global `Generator`."""
    return default_generator.rng


def rng_of(generator: Generator | None) -> np.random.Generator:
    """The NumPy generator to draw from: the given one, or the global one."""
    return (generator or default_generator).rng
