"""Summary metrics of runs: one value per run for every metric.

The numbers sweeps keep, sensitivity analysis explains and calibration compares with the
evidence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.benefit import hours_per_week, mean_latency, partner_latency
from sim.engine import (
    ENGAGED,
    PENDING,
    UNDECIDED,
    FloatArray,
    IntArray,
    InterfaceState,
    Trajectory,
    share_of,
)
from sim.names import slug

FINAL_YEAR_WEEKS = 52

ENGAGED_2012 = 4
"""Partners with an interface in view in 2012 (DOMAIN.md P3)."""
UNDECIDED_2014 = 1
"""Most partners still deciding in early 2014 (P10)."""
PENDING_2014 = 2
"""Partners decided to build, not live and working around in 2014 (P11)."""


def average_ranks(values: FloatArray) -> FloatArray:
    """Ranks 1..n of each row, ties sharing the mean of their ranks (as Spearman's rho needs).

    Ties are equal values, and every NaN ties with every other (as ``numpy.unique`` counts
    them). Written with numpy alone, for all rows at once: importing ``scipy.stats`` costs
    every sweep worker half a second, and ranking row by row cost a sweep worker a fortieth
    of a run's time.
    """
    x = np.atleast_2d(values)
    n = x.shape[1]
    order = np.argsort(x, axis=1, kind="stable")
    ordered = np.take_along_axis(x, order, axis=1)
    tied = (ordered[:, 1:] == ordered[:, :-1]) | (
        np.isnan(ordered[:, 1:]) & np.isnan(ordered[:, :-1])
    )
    position = np.arange(n)
    opens = np.ones(x.shape, dtype=bool)
    opens[:, 1:] = ~tied
    closes = np.ones(x.shape, dtype=bool)
    closes[:, :-1] = ~tied
    # Each sorted value's tie group runs from the last opening at or before it to the first
    # closing at or after it.
    first = np.maximum.accumulate(np.where(opens, position, 0), axis=1)
    last = np.minimum.accumulate(np.where(closes, position, n - 1)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty(x.shape, dtype=float)
    np.put_along_axis(ranks, order, (last + 1) - (last - first) / 2.0, axis=1)
    return ranks.reshape(np.shape(values))


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


def final_year_share(trajectory: Trajectory, final_weeks: int = FINAL_YEAR_WEEKS) -> np.ndarray:
    """Return each run's partnership-wide recording share over the last ``final_weeks`` weeks."""
    return _partnership_share(*trajectory.last_weeks(final_weeks))


def _partnership_share(handled: np.ndarray, recorded: np.ndarray) -> np.ndarray:
    """Return each run's share of cases recorded over partners, from counts (runs, partners)."""
    return share_of(recorded.sum(axis=1), handled.sum(axis=1))


def summary_metrics(trajectory: Trajectory, final_weeks: int = FINAL_YEAR_WEEKS) -> pd.DataFrame:
    """One row per run with the standard summary metrics (:func:`summary_columns`)."""
    return pd.DataFrame(summary_columns(trajectory, final_weeks))


def summary_columns(
    trajectory: Trajectory, final_weeks: int = FINAL_YEAR_WEEKS
) -> dict[str, np.ndarray]:
    """Return the standard summary metrics, each as an array of one value per run.

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
    latency_final_year
        Days until partners learn of a case, weighted by cases over the last ``final_weeks``
        weeks (DOMAIN.md P13).
    sharing_hours_final_year, saved_hours_final_year
        Staff hours a week spent on sharing and saved against e-mailing every case, summed
        over partners and averaged over the last ``final_weeks`` weeks (P5).
    share_final_year.<partner>, buy_in_final.<partner>, interface_final.<partner>,
    latency_final_year.<partner>, sharing_hours_final_year.<partner>,
    saved_hours_final_year.<partner>
        The same per partner (``<partner>`` is :func:`slug` of its name).
    """
    handled, recorded = trajectory.last_weeks(final_weeks)
    shares = share_of(recorded, handled)
    buy_in = trajectory.buy_in[:, -1]
    weeks = slice(max(trajectory.handled.shape[1] - final_weeks, 0), None)
    latency = partner_latency(trajectory, weeks)
    spent, saved = hours_per_week(trajectory, weeks)
    columns: dict[str, np.ndarray] = {
        "share_final_year": _partnership_share(handled, recorded),
        "share_mean": share_of(
            trajectory.recorded.sum(axis=(1, 2)), trajectory.handled.sum(axis=(1, 2))
        ),
        "buy_in_final": buy_in.mean(axis=1),
        "attitude_final": trajectory.attitude[:, -1].mean(axis=1),
        "interfaces_live": (trajectory.interface[:, -1] == InterfaceState.LIVE).sum(axis=1),
        "buy_in_share_correlation": rank_correlation(buy_in, shares),
        "latency_final_year": mean_latency(trajectory, weeks),
        "sharing_hours_final_year": spent.sum(axis=1),
        "saved_hours_final_year": saved.sum(axis=1),
    }
    for a, name in enumerate(trajectory.names):
        key = slug(name)
        columns[f"share_final_year.{key}"] = shares[:, a]
        columns[f"buy_in_final.{key}"] = buy_in[:, a]
        columns[f"interface_final.{key}"] = trajectory.interface[:, -1, a]
        columns[f"latency_final_year.{key}"] = latency[:, a]
        columns[f"sharing_hours_final_year.{key}"] = spent[:, a]
        columns[f"saved_hours_final_year.{key}"] = saved[:, a]
    return columns


def interface_positions(interface: IntArray, week_2012: int, week_2014: int) -> pd.DataFrame:
    """Return the 2012 and 2014 interface positions of every run (DOMAIN.md P3, P10, P11).

    Parameters
    ----------
    interface : int array (B, T, A)
        Interface stage per run, week and partner.
    week_2012, week_2014 : int
        The weeks the positions are read (the replay: 2012-07-02 and 2014-01-27, weeks 65
        and 147 from 2011-04-04).

    Returns
    -------
    DataFrame
        One row per run. ``engaged_2012``: partners considering, building, working around or
        live in ``week_2012`` (P3: 4). ``undecided_2014``, ``pending_2014``,
        ``workaround_2014``: partners with no decision (none or considering), decided to
        build but not live (building or working around), and working around, in
        ``week_2014``. ``position_2012``: exactly 4 engaged; ``position_2014``: at most one
        undecided, exactly two pending and both working around (P10, P11); ``both``: the two
        together.
    """
    early, late = interface[:, week_2012], interface[:, week_2014]
    engaged = np.isin(early, ENGAGED).sum(axis=1)
    undecided = np.isin(late, UNDECIDED).sum(axis=1)
    pending = np.isin(late, PENDING).sum(axis=1)
    workaround = (late == InterfaceState.WORKAROUND).sum(axis=1)
    position_2012 = engaged == ENGAGED_2012
    position_2014 = (
        (undecided <= UNDECIDED_2014) & (pending == PENDING_2014) & (workaround == PENDING_2014)
    )
    return pd.DataFrame(
        {
            "engaged_2012": engaged,
            "undecided_2014": undecided,
            "pending_2014": pending,
            "workaround_2014": workaround,
            "position_2012": position_2012,
            "position_2014": position_2014,
            "both": position_2012 & position_2014,
        }
    )


def positions_off(positions: pd.DataFrame) -> IntArray:
    """Return how many partners each run has out of the 2012 and 2014 positions, jointly.

    Parameters
    ----------
    positions : DataFrame
        :func:`interface_positions` of the runs.

    Returns
    -------
    int array (B,)
        ``|engaged_2012 - 4| + max(undecided_2014 - 1, 0) + |pending_2014 - 2| +
        |workaround_2014 - 2|``: 0 exactly when ``both`` holds, and each partner too many or
        too few on either date counts one (a graded miss, so a calibration sees how near a
        run came).
    """
    engaged = positions["engaged_2012"].to_numpy(dtype=np.int64)
    undecided = positions["undecided_2014"].to_numpy(dtype=np.int64)
    pending = positions["pending_2014"].to_numpy(dtype=np.int64)
    workaround = positions["workaround_2014"].to_numpy(dtype=np.int64)
    off: IntArray = (
        np.abs(engaged - ENGAGED_2012)
        + np.maximum(undecided - UNDECIDED_2014, 0)
        + np.abs(pending - PENDING_2014)
        + np.abs(workaround - PENDING_2014)
    )
    return off
