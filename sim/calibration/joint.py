"""Fit judged jointly: the share of runs meeting every target at once, against three baselines.

Per target and for all targets together, the share of runs within tolerance under the prior
(the screening wave: parameter sets and nuisance inputs drawn from their whole ranges), at
the scenario's own defaults (the uncalibrated replay), under the posterior (the
posterior-predictive replay) and at the point estimate. A target the prior already meets in
most runs carries little information (:data:`UNINFORMATIVE_ABOVE`).

Whether the posterior, or the point estimate, fits jointly better than the defaults and the
prior is itself an estimate from a finite number of runs: :func:`joint_gain` gives the share
of bootstrap resamples of the runs in which it holds, and each rate's Monte Carlo error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.result import Calibration
from sim.calibration.statistics import meets
from sim.seeds import bootstrap_rng

UNINFORMATIVE_ABOVE = 0.8
"""Share of prior runs meeting a target above which the target is flagged uninformative."""

ALL_TARGETS = "all targets"
"""The row of :func:`pass_rates` for every target at once."""

SOURCES = ("prior", "defaults", "posterior", "point")
"""Which runs a rate is of: the screening wave, the scenario's defaults, the
posterior-predictive replay and the point estimate."""


def prior_runs(result: Calibration) -> pd.DataFrame:
    """Return the screening wave's runs as a table of target statistics (one row per run)."""
    cube = result.screening.statistics
    columns = list(result.problem.targets.components())
    return pd.DataFrame(cube.reshape(-1, cube.shape[2]), columns=columns)


def run_sets(result: Calibration) -> dict[str, pd.DataFrame]:
    """Every source's runs (:data:`SOURCES`), as tables of target statistics."""
    return {
        "prior": prior_runs(result),
        "defaults": result.defaults,
        "posterior": result.predictive,
        "point": result.point,
    }


def pass_rates(result: Calibration) -> pd.DataFrame:
    """Share of runs meeting each target, and all of them at once, per source.

    Returns
    -------
    DataFrame
        Index: target ids, then :data:`ALL_TARGETS`. Columns: one per source with runs
        (:data:`SOURCES`), ``runs_<source>`` counts, and ``uninformative`` (the prior meets
        the target in more than :data:`UNINFORMATIVE_ABOVE` of its runs).
    """
    targets = result.problem.targets
    columns: dict[str, object] = {}
    counts: dict[str, int] = {}
    for source, runs in run_sets(result).items():
        if runs.empty:
            continue
        met = meets(runs, targets)
        met[ALL_TARGETS] = met.all(axis=1)
        columns[source] = met.mean()
        counts[f"runs_{source}"] = len(runs)
    frame = pd.DataFrame(columns)
    frame.index.name = "target"
    frame["uninformative"] = frame["prior"] > UNINFORMATIVE_ABOVE
    frame.loc[ALL_TARGETS, "uninformative"] = False
    for name, count in counts.items():
        frame[name] = count
    return frame


def joint_resamples(result: Calibration, resamples: int | None = None) -> pd.DataFrame:
    """Bootstrap resamples of every source's joint rate (share of runs meeting every target).

    Each source's runs are resampled with replacement, the posterior's by posterior draw
    (a draw's replicates together), the others by run.

    Returns
    -------
    DataFrame
        One column per source of :data:`SOURCES` (NaN for a source without runs), one row
        per resample.
    """
    settings = result.problem.settings
    count = resamples or settings.bootstrap
    targets = result.problem.targets
    rng = bootstrap_rng(settings.seed, "calibration", "joint")
    joint = {s: meets(r, targets).all(axis=1).to_numpy() for s, r in run_sets(result).items()}
    draws = result.predictive["draw"].to_numpy()
    _, by_draw = np.unique(draws, return_inverse=True)
    per_draw = np.bincount(by_draw, weights=joint["posterior"].astype(float))
    size = np.bincount(by_draw).astype(float)

    def rate(values: np.ndarray) -> np.ndarray:
        if not values.size:
            return np.full(count, np.nan)
        picks = rng.integers(0, len(values), size=(count, len(values)))
        return values[picks].mean(axis=1)

    picks = rng.integers(0, len(per_draw), size=(count, len(per_draw)))
    out = {"posterior": per_draw[picks].sum(axis=1) / size[picks].sum(axis=1)}
    for source in ("defaults", "prior", "point"):
        out[source] = rate(joint[source].astype(float))
    return pd.DataFrame(out)[list(SOURCES)]


def joint_gain(result: Calibration, resamples: int | None = None) -> dict[str, float]:
    """How far the calibrated runs meet all targets more often than the baselines.

    From :func:`joint_resamples`.

    Returns
    -------
    dict
        ``over_defaults``, ``over_prior``: the share of resamples in which the posterior's
        joint rate exceeds that of the defaults, and of the prior; ``point_over_defaults``,
        ``point_over_prior``: the same for the point estimate's; ``error_<source>``: each
        source's Monte Carlo error (the resampled rates' standard deviation).
    """
    frame = joint_resamples(result, resamples)
    out = {}
    for name, source in (("over", "posterior"), ("point_over", "point")):
        for baseline in ("defaults", "prior"):
            beats = frame[source] > frame[baseline]
            out[f"{name}_{baseline}"] = (
                float(beats.mean()) if frame[baseline].notna().all() else 0.0
            )
    for source in SOURCES:
        out[f"error_{source}"] = float(frame[source].std(ddof=1))
    return out


def fit_holds(result: Calibration, resamples: int | None = None) -> pd.Series:
    """Per target component: share of bootstrap resamples whose median run meets the target.

    The posterior-predictive runs are resampled by draw (a draw's replicates together).
    """
    settings = result.problem.settings
    count = resamples or settings.bootstrap
    targets = result.problem.targets
    rng = bootstrap_rng(settings.seed, "calibration", "fit")
    runs = result.predictive
    _, by_draw = np.unique(runs["draw"].to_numpy(), return_inverse=True)
    members = [np.flatnonzero(by_draw == d) for d in range(by_draw.max() + 1)]
    picks = rng.integers(0, len(members), size=(count, len(members)))
    rows = [np.concatenate([members[d] for d in pick]) for pick in picks]
    out = {}
    for target in targets.targets:
        low, high = target.interval
        for column in target.components():
            x = runs[column].to_numpy(dtype=float)
            medians = np.array(
                [np.nanmedian(x[r]) if np.any(~np.isnan(x[r])) else np.nan for r in rows]
            )
            miss = np.maximum(np.maximum(low - medians, medians - high), 0.0)
            out[column] = float(np.mean(miss <= target.tolerance))
    return pd.Series(out, name="holds")
