"""Out-of-sample checks of a calibration: what it predicts of evidence it was not fitted to.

:func:`leave_one_target_out`: for each target, the calibration without it (rejection ABC
over the screening wave, whose runs are draws from the whole prior: a run is accepted when
it meets every *other* target within tolerance, the same floor the calibration stops at)
predicts the left-out statistic; the predictive interval is set against the evidence, and
the share of accepted runs meeting the left-out target against the prior's share.

:func:`output_checks`: outputs that are not targets (information latency, P13; staff hours
saved by an integrated partner, P5), from the posterior-predictive replay and the scenario's
defaults, against what the evidence says of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibration.joint import prior_runs
from sim.calibration.result import Calibration
from sim.calibration.statistics import distance, meets

INTEGRATED = ("charnwood", "melton")
"""Slugs of the partners with a CRM interface (DOMAIN.md P2), whose saved hours P5 bounds."""


def leave_one_target_out(result: Calibration) -> pd.DataFrame:
    """For each target component: its prediction by the calibration without its target.

    Returns
    -------
    DataFrame
        Index: component. ``target`` (its target's id), ``low``, ``high``, ``tolerance``
        (the evidence), ``accepted`` (prior runs meeting every other target), ``median``,
        ``q05``, ``q95`` (the left-out statistic over them), ``meets`` (share of them
        meeting the left-out target), ``prior_meets`` (share of all prior runs meeting it),
        ``covers`` (the 5-95% predictive interval reaches the target within tolerance).
    """
    targets = result.problem.targets
    runs = prior_runs(result)
    floor = result.problem.settings.epsilon_floor
    met = meets(runs, targets)
    rows = []
    for target in targets.targets:
        rest = targets.without(target.id)
        accepted = distance(runs, rest) <= floor
        low, high = target.interval
        for column in target.components():
            x = runs.loc[accepted, column].dropna().to_numpy(dtype=float)
            q05, q50, q95 = np.quantile(x, [0.05, 0.5, 0.95]) if x.size else (np.nan,) * 3
            rows.append(
                {
                    "component": column,
                    "target": target.id,
                    "low": low,
                    "high": high,
                    "tolerance": target.tolerance,
                    "accepted": int(accepted.sum()),
                    "median": float(q50),
                    "q05": float(q05),
                    "q95": float(q95),
                    "meets": float(met.loc[accepted, target.id].mean())
                    if accepted.any()
                    else float("nan"),
                    "prior_meets": float(met[target.id].mean()),
                    "covers": bool(
                        x.size and q95 >= low - target.tolerance and q05 <= high + target.tolerance
                    ),
                }
            )
    return pd.DataFrame(rows).set_index("component")


@dataclass(frozen=True)
class OutputCheck:
    """An output that is not a target, and what the evidence says of it.

    Attributes
    ----------
    id : str
        Names the check.
    columns : tuple of str
        Output columns of a run; the check reads their largest value.
    low, high : float
        The range the evidence supports.
    source, reading : str
        The evidence line and how it was read as this range.
    """

    id: str
    columns: tuple[str, ...]
    low: float
    high: float
    source: str
    reading: str


OUTPUT_CHECKS = (
    OutputCheck(
        "latency_final_year",
        ("latency_final_year",),
        0.0,
        7.0,
        "DOMAIN.md P13",
        "with the system partners learnt of a case the same day and chased missing updates "
        "within the week (before it: about a month): mean days in the final year at most 7",
    ),
    OutputCheck(
        "integrated_saved_hours",
        tuple(f"saved_hours_final_year.{p}" for p in INTEGRATED),
        0.0,
        10.0,
        "DOMAIN.md P5",
        "one integrated partner saved up to two hours a day of e-mails: the larger weekly "
        "saving of Charnwood and Melton in the final year between 0 and 10 hours (five days)",
    ),
)
"""The posterior-predictive checks on outputs not used as targets."""


def output_checks(result: Calibration) -> pd.DataFrame:
    """Each :data:`OUTPUT_CHECKS` entry for the posterior, the point estimate and the defaults.

    Returns
    -------
    DataFrame
        One row per (check, source): ``median``, ``q05``, ``q95`` and ``within`` (share of
        runs inside the evidence's range), with the range and source.
    """
    sources = {"posterior": result.predictive, "point": result.point, "defaults": result.defaults}
    rows = []
    for check in OUTPUT_CHECKS:
        for source, runs in sources.items():
            if runs.empty or not set(check.columns) <= set(runs.columns):
                continue
            x = runs[list(check.columns)].max(axis=1).dropna().to_numpy(dtype=float)
            if not x.size:
                continue
            q05, q50, q95 = np.quantile(x, [0.05, 0.5, 0.95])
            rows.append(
                {
                    "check": check.id,
                    "source": source,
                    "evidence": f"{check.low:g} to {check.high:g} ({check.source})",
                    "median": float(q50),
                    "q05": float(q05),
                    "q95": float(q95),
                    "within": float(np.mean((x >= check.low) & (x <= check.high))),
                }
            )
    return pd.DataFrame(rows).set_index(["check", "source"])
