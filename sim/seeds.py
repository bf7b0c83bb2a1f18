"""Seeds derived from a run's identity, never from workers, order or time."""

from __future__ import annotations

import numpy as np


def run_seed(seed: int, row: int = 0, replicate: int = 0) -> np.random.SeedSequence:
    """The seed of replicate ``replicate`` of design row ``row`` in an experiment seeded ``seed``.

    ``sim.run.run(scenario, seed=s, replicates=n)`` uses row 0, so a sweep's first design
    row reproduces a plain run with the same seed.
    """
    if seed < 0 or row < 0 or replicate < 0:
        raise ValueError("seed, row and replicate must be non-negative integers")
    return np.random.SeedSequence(int(seed), spawn_key=(int(row), int(replicate)))


POSTERIOR_STREAM = 1
"""Last spawn-key element of the stream that draws a run's posterior parameter set."""


def draw_seed(seed: int, row: int = 0, replicate: int = 0) -> np.random.SeedSequence:
    """The seed of the posterior draw of run ``(row, replicate)`` (``sim.posterior``).

    A stream of its own, beside the model's ``run_seed(seed, row, replicate)``: drawing
    parameters does not change the random numbers the model sees.
    """
    if seed < 0 or row < 0 or replicate < 0:
        raise ValueError("seed, row and replicate must be non-negative integers")
    return np.random.SeedSequence(int(seed), spawn_key=(int(row), int(replicate), POSTERIOR_STREAM))
