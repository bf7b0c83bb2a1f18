"""The point estimate: the posterior set most likely to meet every target at once.

A correct posterior spreads over every parameter set that fits at all, so a draw from it
meets every target jointly only as often as the average accepted set does. A single scenario
(a run with ``--no-posterior``, the dashboard's live run) needs the one set that reproduces
the patterns best: the maximum-fit set among the posterior's accepted sets.

Each distinct accepted set's chance of meeting every target in one run is estimated from
replicates, and the field is narrowed by successive halving (:mod:`sim.calibration.halving`)
down to a few finalists with several hundred runs each. Each round is a stage of its own on
the calibration's runner, seeded from ``(seed, BEST_FIT_STAGE + round)``, so the same seed
gives the same choice on any executor.

The chosen set's rate over the runs that chose it is biased upward (it won because its runs
went well): the rate reported for it comes from the point-estimate stage's own runs, on
seeds of their own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.abc import Sample
from sim.calibration.halving import successive_halving
from sim.calibration.problem import Problem
from sim.calibration.stages import StageRunner
from sim.calibration.statistics import meets
from sim.seeds import stage_seed

BEST_FIT_STAGE = 1100
"""Stage number of the selection's first round (round ``r`` is ``BEST_FIT_STAGE + r``)."""


def distinct_sets(sample: Sample, most: int) -> np.ndarray:
    """Return the rows of ``sample`` that are candidates: its distinct accepted sets.

    The first row of every distinct set, the ``most`` heaviest ones when there are more,
    in the sample's order.
    """
    _, first = np.unique(sample.particles, axis=0, return_index=True)
    rows = np.sort(first)
    if len(rows) > most:
        heaviest = np.argsort(-sample.weights[rows], kind="stable")[:most]
        rows = np.sort(rows[heaviest])
    return rows


def round_seed(seed: int, number: int) -> int:
    """Return the sweep seed of the selection's round ``number``."""
    return stage_seed(seed, BEST_FIT_STAGE + number)


def best_fit(problem: Problem, runner: StageRunner, sample: Sample) -> pd.DataFrame:
    """Choose the posterior's best-fitting set: successive halving over its distinct sets.

    Returns
    -------
    DataFrame
        :func:`successive_halving`'s table with the candidates' values of the calibrated
        inputs in front, one row per candidate.
    """
    settings = problem.settings
    inputs = list(problem.inputs)
    sets = pd.DataFrame(
        sample.particles[distinct_sets(sample, settings.best_fit_candidates)], columns=inputs
    )

    def simulate(number: int, alive: np.ndarray, replicates: int) -> np.ndarray:
        result = runner.stage(
            f"best_fit_{number:02d}",
            f"best fit, round {number}",
            sets.iloc[alive].reset_index(drop=True),
            replicates,
            round_seed(settings.seed, number),
        )
        runs = result.runs
        every = meets(runs, problem.targets).all(axis=1).to_numpy()
        rows = runs["row"].to_numpy(dtype=np.int64)
        return np.bincount(rows, weights=every, minlength=len(alive)).astype(np.int64)

    table = successive_halving(len(sets), simulate, settings.best_fit_schedule)
    return pd.concat([sets, table], axis=1)


def chosen_set(selection: pd.DataFrame, inputs: tuple[str, ...]) -> dict[str, float]:
    """Return the chosen set's calibrated values from a :func:`best_fit` table."""
    row = selection.loc[selection["chosen"]].iloc[0]
    return {name: float(row[name]) for name in inputs}
