"""Screening before ABC: rule out the implausible part of the prior, history-matching style.

A space-filling wave (a Latin hypercube over every uncertain input) is run through the sweep
runner. For each design point and target the implausibility is

    I = (distance of the replicate-mean statistic outside the target interval)
        / sqrt(tolerance**2 + variance of the statistic across replicates)

which is Andrianakis et al.'s (2015) measure with the target's tolerance standing for the
observation error and model discrepancy, and the replicates' spread for the model's own
noise (the simulator is cheap here, so it replaces their emulator). A point is implausible
when its largest implausibility exceeds the cut-off (3, Pukelsheim's three-sigma rule). The
share of the wave that is implausible estimates how much of the prior volume the evidence
rules out; the non-implausible points become ABC's generation 0 and their bounding box its
prior support.

The same wave ranks inputs by how strongly each moves each target statistic (Spearman rank
correlation over the wave), which is how the calibrated inputs were chosen (docs/calibration.md)
and lets an analyst check that choice (Thiele et al. 2014).

References
----------
Andrianakis, I. et al. (2015). Bayesian history matching of complex infectious disease models
using emulation: a tutorial and a case study on HIV in Uganda. PLoS Comput Biol 11(1):
e1003968. doi:10.1371/journal.pcbi.1003968
Pukelsheim, F. (1994). The three sigma rule. The American Statistician 48(2), 88-91.
Thiele, J. C., Kurth, W. & Grimm, V. (2014). Facilitating parameter estimation and
sensitivity analysis of agent-based models: a cookbook using NetLogo and R. JASSS 17(3) 11.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from sim.calibration.statistics import excess
from sim.calibration.targets import TargetSet


def replicate_table(statistics: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """Statistics as an array (rows, replicates, components) from a long frame.

    The frame has ``row`` and ``replicate`` columns (rows ``0..n-1``, replicates
    ``0..R-1``); missing runs are NaN.
    """
    rows = int(statistics["row"].max()) + 1
    replicates = int(statistics["replicate"].max()) + 1
    cube = np.full((rows, replicates, len(columns)), np.nan)
    r = statistics["row"].to_numpy(dtype=np.int64)
    k = statistics["replicate"].to_numpy(dtype=np.int64)
    cube[r, k] = statistics[list(columns)].to_numpy(dtype=float)
    return cube


def _replicate_moments(cube: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance across replicates (axis 1), ignoring NaN.

    The mean is NaN (and the variance zero) where no replicate is defined.
    """
    defined = np.sum(~np.isnan(cube), axis=1)
    filled = np.nan_to_num(cube)
    mean = filled.sum(axis=1) / np.maximum(defined, 1)
    deviation = np.where(np.isnan(cube), 0.0, cube - mean[:, None, :])
    spread = (deviation**2).sum(axis=1) / np.maximum(defined - 1, 1)
    return np.where(defined > 0, mean, np.nan), spread


def implausibility(cube: np.ndarray, targets: TargetSet) -> pd.DataFrame:
    """Implausibility of every design row (rows) for every target component (columns).

    Parameters
    ----------
    cube : array (rows, replicates, components)
        Statistics, NaN where undefined (:func:`replicate_table`).
    targets : TargetSet
        The targets; their components give the columns.

    Returns
    -------
    DataFrame
        ``inf`` where a statistic is undefined in every replicate.
    """
    columns = targets.components()
    mean, spread = _replicate_moments(cube)
    # excess() measures in tolerances: outside distance / tolerance
    scaled = excess(pd.DataFrame(mean, columns=list(columns)), targets).to_numpy()
    tolerance = np.array(
        [t.tolerance for t in targets.targets for _ in t.components()], dtype=float
    )
    inflation = np.sqrt(1.0 + spread / tolerance**2)
    return pd.DataFrame(scaled / inflation, columns=list(columns))


def influence(design: pd.DataFrame, cube: np.ndarray, columns: tuple[str, ...]) -> pd.DataFrame:
    """Spearman rank correlation of each input (rows) with each statistic's replicate mean.

    Statistics are columns, correlations across the design; ``strongest`` is the largest
    absolute value per input.
    """
    means, _ = _replicate_moments(cube)
    table: dict[str, list[float]] = {}
    for k, column in enumerate(columns):
        y = means[:, k]
        ok = ~np.isnan(y)
        values = []
        for name in design.columns:
            x = design[name].to_numpy(dtype=float)[ok]
            if ok.sum() < 3 or np.ptp(x) == 0 or np.ptp(y[ok]) == 0:
                values.append(0.0)
            else:
                values.append(float(spearmanr(x, y[ok]).statistic))
        table[column] = values
    frame = pd.DataFrame(table, index=pd.Index(design.columns, name="input"))
    frame["strongest"] = frame.abs().max(axis=1)
    return frame.sort_values("strongest", ascending=False)


@dataclass(frozen=True)
class Screening:
    """The result of a screening wave.

    Attributes
    ----------
    design : DataFrame
        The wave's input values, one row per design point.
    statistics : array (rows, replicates, components)
        Target statistics of every run.
    implausibility : DataFrame
        Per design row and target component.
    cutoff : float
        Largest implausibility of a non-implausible point.
    """

    design: pd.DataFrame
    statistics: np.ndarray
    implausibility: pd.DataFrame
    cutoff: float

    @property
    def worst(self) -> np.ndarray:
        """Largest implausibility of each design row."""
        return self.implausibility.to_numpy().max(axis=1)

    @property
    def plausible(self) -> np.ndarray:
        """Design rows that are not ruled out."""
        return self.worst <= self.cutoff

    @property
    def ruled_out(self) -> float:
        """Share of the wave (an estimate of the share of prior volume) ruled out."""
        return float(1.0 - self.plausible.mean())

    def ruled_out_by(self) -> pd.Series:
        """Share of the wave each target component alone rules out."""
        return (self.implausibility > self.cutoff).mean()

    def support(self, inputs: tuple[str, ...]) -> dict[str, tuple[float, float]]:
        """Bounding box of the non-implausible points in ``inputs``.

        Raises
        ------
        ValueError
            When every point is implausible.
        """
        keep = self.design.loc[self.plausible, list(inputs)]
        if keep.empty:
            raise ValueError("every screening point is implausible")
        return {name: (float(keep[name].min()), float(keep[name].max())) for name in inputs}
