"""Summary metrics of runs: the numbers sweeps keep, sensitivity analysis explains and
calibration compares with the evidence. One value per run for every metric."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine import FloatArray, InterfaceState, Trajectory, share_of
from sim.names import slug

FINAL_YEAR_WEEKS = 52


def average_ranks(values: FloatArray) -> FloatArray:
    """Ranks 1..n of each row, ties sharing the mean of their ranks (as Spearman's rho needs).

    Written with numpy alone: importing ``scipy.stats`` costs every sweep worker half a second.
    """
    ranks = np.empty(values.shape, dtype=float)
    for row, x in enumerate(np.atleast_2d(values)):
        _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
        ranks[row] = (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]
    return ranks


def rank_correlation(x: FloatArray, y: FloatArray) -> FloatArray:
    """Spearman correlation across partners, per run (rows); 0 where either is constant."""
    rx = average_ranks(x)
    ry = average_ranks(y)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    denominator = np.sqrt((rx**2).sum(axis=1) * (ry**2).sum(axis=1))
    return np.divide(
        (rx * ry).sum(axis=1), denominator, out=np.zeros(len(x)), where=denominator > 0
    )


def summary_metrics(trajectory: Trajectory, final_weeks: int = FINAL_YEAR_WEEKS) -> pd.DataFrame:
    """One row per run with the standard summary metrics.

    Columns
    -------
    share_final_year
        Partnership-wide recording share over the last ``final_weeks`` weeks.
    share_mean
        Partnership-wide recording share over the whole run.
    buy_in_final
        Mean partner buy-in in the last week.
    attitude_final
        Mean staff attitude (partner means averaged) in the last week.
    interfaces_live
        Number of partners with a live interface in the last week.
    buy_in_share_correlation
        Spearman rank correlation across partners of final buy-in and final-year share
        (DOMAIN.md P4).
    share_final_year.<partner>, buy_in_final.<partner>, interface_final.<partner>
        The same per partner (``<partner>`` is :func:`slug` of its name).
    """
    handled, recorded = trajectory.last_weeks(final_weeks)
    shares = share_of(recorded, handled)
    buy_in = trajectory.buy_in[:, -1]
    columns: dict[str, np.ndarray] = {
        "share_final_year": share_of(recorded.sum(axis=1), handled.sum(axis=1)),
        "share_mean": share_of(
            trajectory.recorded.sum(axis=(1, 2)), trajectory.handled.sum(axis=(1, 2))
        ),
        "buy_in_final": buy_in.mean(axis=1),
        "attitude_final": trajectory.attitude[:, -1].mean(axis=1),
        "interfaces_live": (trajectory.interface[:, -1] == InterfaceState.LIVE).sum(axis=1),
        "buy_in_share_correlation": rank_correlation(buy_in, shares),
    }
    for a, name in enumerate(trajectory.names):
        key = slug(name)
        columns[f"share_final_year.{key}"] = shares[:, a]
        columns[f"buy_in_final.{key}"] = buy_in[:, a]
        columns[f"interface_final.{key}"] = trajectory.interface[:, -1, a]
    return pd.DataFrame(columns)
