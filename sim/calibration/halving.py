"""Successive halving: which of many noisy candidates succeeds most often.

Every candidate gets a few trials, the best share goes on to a round with more trials each,
and so on until a few finalists remain; the finalist with the highest success rate over all
its trials wins (Karnin et al. 2013; Jamieson & Talwalkar 2016). Pure: the trials are a
callable's, so the same counts always give the same choice.

References
----------
Karnin, Z., Koren, T. & Somekh, O. (2013). Almost optimal exploration in multi-armed
bandits. ICML, PMLR 28(3), 1238-1246.
Jamieson, K. & Talwalkar, A. (2016). Non-stochastic best arm identification and
hyperparameter optimization. AISTATS, PMLR 51, 240-248.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

Simulate = Callable[[int, np.ndarray, int], np.ndarray]
"""``simulate(round, candidates, replicates)``: how many of each candidate's runs met every
target."""


@dataclass(frozen=True)
class Schedule:
    """How successive halving narrows the candidates.

    Attributes
    ----------
    first : int
        Runs per candidate in the first round.
    keep : float
        Share of a round's candidates that go on to the next, in (0, 1).
    growth : int
        Factor by which each round's runs per candidate grow.
    finalists : int
        The selection stops after the round run by this many candidates or fewer.
    """

    first: int
    keep: float
    growth: int
    finalists: int

    def rounds(self, candidates: int) -> list[tuple[int, int]]:
        """Return each round's candidates and runs per candidate, for ``candidates`` sets."""
        out = []
        alive, replicates = candidates, self.first
        while alive > 0:
            out.append((alive, replicates))
            if alive <= self.finalists:
                break
            # at least one fewer each round, or a keep near 1 would never end
            alive = max(self.finalists, min(alive - 1, math.ceil(self.keep * alive)))
            replicates *= self.growth
        return out

    def runs(self, candidates: int) -> int:
        """Return the runs the selection takes over ``candidates`` sets."""
        return sum(alive * replicates for alive, replicates in self.rounds(candidates))


def successive_halving(candidates: int, simulate: Simulate, schedule: Schedule) -> pd.DataFrame:
    """Narrow ``candidates`` sets down to the one that meets every target most often.

    Parameters
    ----------
    candidates : int
        Number of candidate sets (numbered from 0).
    simulate : callable
        :data:`Simulate`: runs a round and counts each candidate's runs meeting every target.
    schedule : Schedule
        Runs per candidate and how many go on, round by round.

    Returns
    -------
    DataFrame
        One row per candidate: ``round`` (the last it ran in), ``runs``, ``met`` (runs
        meeting every target), ``rate`` (``met / runs``) and ``chosen`` (the one finalist with
        the highest rate; ties go to the lower number).
    """
    runs = np.zeros(candidates, dtype=np.int64)
    met = np.zeros(candidates, dtype=np.int64)
    last = np.zeros(candidates, dtype=np.int64)
    alive = np.arange(candidates)
    for number, (count, replicates) in enumerate(schedule.rounds(candidates)):
        alive = _best(alive, met, runs, count)
        met[alive] += np.asarray(simulate(number, alive, replicates), dtype=np.int64)
        runs[alive] += replicates
        last[alive] = number
    chosen = np.zeros(candidates, dtype=bool)
    if candidates:
        chosen[_best(alive, met, runs, 1)] = True
    rate = np.divide(met, runs, out=np.zeros(candidates), where=runs > 0)
    return pd.DataFrame({"round": last, "runs": runs, "met": met, "rate": rate, "chosen": chosen})


def _best(alive: np.ndarray, met: np.ndarray, runs: np.ndarray, count: int) -> np.ndarray:
    """Return the ``count`` candidates of ``alive`` with the highest rates, in order of number.

    Candidates not yet run rank equal; ties go to the lower number.
    """
    rate = np.divide(met[alive], runs[alive], out=np.zeros(len(alive)), where=runs[alive] > 0)
    order = np.lexsort((alive, -rate))
    return np.sort(alive[order[:count]])
