"""Every seed rule: each random stream derives from the user's seed and what it is for.

What it is for is named by an identity (a run, a calibration stage, an ABC generation, a
bootstrap); a seed never depends on workers, order or time.

Streams are told apart by their ``SeedSequence`` spawn keys. A model run uses
``(row, replicate)`` and its posterior draw ``(row, replicate, 1)``; the other streams start
with a key of their own (:data:`CALIBRATION_RUNS`, :data:`CALIBRATION_DRAWS`,
:data:`ABC_PROPOSALS`, :data:`BOOTSTRAP`), far above any design row, so no two rules can give
the same stream. Changing a rule here changes results: the golden tests say so.
"""

from __future__ import annotations

import zlib

import numpy as np

POSTERIOR_STREAM = 1
"""Last spawn-key element of the stream that draws a run's posterior parameter set."""

CALIBRATION_RUNS = 7_010_001
"""First spawn-key element of the sweep seeds of calibration stages."""

CALIBRATION_DRAWS = 7_010_002
"""First spawn-key element of calibration design draws (nuisance inputs, posterior draws)."""

ABC_PROPOSALS = 7_010_003
"""First spawn-key element of the ABC-SMC algorithm's generators (proposals, resampling)."""

BOOTSTRAP = 0x5E45
"""First spawn-key element of the sensitivity analysis' bootstrap streams."""

SHAPLEY_DESIGN = 0x5A4D
"""First spawn-key element of the streams that draw a Shapley design's inputs."""


def fresh_seed() -> int:
    """Draw a seed for a run given none (``SharingModel(rng=None)``) from the OS's entropy.

    The one seed not derived from the user's: it is returned so that the run can be repeated
    with it.
    """
    return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]


def run_seed(seed: int, row: int = 0, replicate: int = 0) -> np.random.SeedSequence:
    """Return the seed of replicate ``replicate`` of row ``row`` in an experiment seeded ``seed``.

    ``sim.run.run(scenario, seed=s, replicates=n)`` uses row 0, so a sweep's first design
    row reproduces a plain run with the same seed.
    """
    entropy, key = _run(seed, row, replicate)
    return np.random.SeedSequence(entropy, spawn_key=key)


def _run(seed: int, row: int, replicate: int) -> tuple[int, tuple[int, int]]:
    """Return a run's entropy and spawn key, ``(seed, (row, replicate))``, checked."""
    if seed < 0 or row < 0 or replicate < 0:
        raise ValueError("seed, row and replicate must be non-negative integers")
    return int(seed), (int(row), int(replicate))


def draw_seed(seed: int, row: int = 0, replicate: int = 0) -> np.random.SeedSequence:
    """Return the seed of the posterior draw of run ``(row, replicate)`` (``sim.posterior``).

    A stream of its own, beside the model's ``run_seed(seed, row, replicate)``: drawing
    parameters does not change the random numbers the model sees.
    """
    entropy, key = _run(seed, row, replicate)
    return np.random.SeedSequence(entropy, spawn_key=(*key, POSTERIOR_STREAM))


def stage_seed(seed: int, stage: int) -> int:
    """Return the sweep seed of one calibration stage, from the calibration seed.

    Stage 0 is the screening, ``g`` ABC generation ``g``, 1000 the posterior predictive,
    1001 the point estimate, 1002 the scenario's defaults and ``1100 + r`` round ``r`` of the
    point estimate's selection. Each run inside the stage then uses ``run_seed(stage seed,
    row, replicate)``.
    """
    sequence = np.random.SeedSequence(seed, spawn_key=(CALIBRATION_RUNS, stage))
    return int(sequence.generate_state(1, dtype=np.uint32)[0])


def stage_draws_rng(seed: int, stage: int) -> np.random.Generator:
    """Return the generator of one calibration stage's design draws.

    Nuisance inputs and posterior resampling, from the calibration seed and the stage only.
    """
    sequence = np.random.SeedSequence(seed, spawn_key=(CALIBRATION_DRAWS, stage))
    return np.random.default_rng(sequence)


def abc_generation_rng(seed: int, generation: int) -> np.random.Generator:
    """Return the generator of one ABC-SMC generation's proposals, from seed and generation only."""
    sequence = np.random.SeedSequence(seed, spawn_key=(ABC_PROPOSALS, generation))
    return np.random.default_rng(sequence)


def bootstrap_rng(seed: int, *labels: str | int) -> np.random.Generator:
    """Return a bootstrap stream of a sensitivity analysis, named by what it is for.

    The labels say what it is for (output, level, sample size...), so adding an output or a
    convergence step never changes another's intervals. Text labels enter the spawn key as
    their CRC-32.
    """
    keys = [BOOTSTRAP] + [
        label if isinstance(label, int) else zlib.crc32(label.encode()) for label in labels
    ]
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=tuple(keys)))


def shapley_design_rng(seed: int, assignment: str) -> np.random.Generator:
    """Return the stream that draws a Shapley design under one assignment of inputs to groups.

    The assignment's name enters the spawn key as its CRC-32, so adding an assignment never
    changes another's design.
    """
    keys = (SHAPLEY_DESIGN, zlib.crc32(assignment.encode()))
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=keys))
