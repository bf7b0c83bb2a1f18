"""Two scenarios compared run by run.

Each replicate of both uses the same seeds (common random numbers), so each pair of runs differs by
the scenarios, not by luck, and the paired differences show what the second scenario changes.

Every difference is stated with the one headline statistic (:mod:`sim.headline`): the median
of the paired differences, with the interval holding 90% of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.headline import HIGH, LOW, Spread
from sim.names import HEADLINE, slug
from sim.run import RunResult

PARTNER_OUTPUTS = ("share_final_year", "buy_in_final")
"""Per-partner outputs whose paired differences a comparison reports."""

COLUMNS = (
    "first",
    "second",
    "difference",
    "low",
    "high",
    "mean_difference",
    "ci_low",
    "ci_high",
    "replicates",
)

CONFIDENCE = 0.95
"""Confidence level of the interval of the mean paired difference."""


@dataclass(frozen=True)
class Comparison:
    """Paired differences of two scenarios run with the same seeds (common random numbers).

    Attributes
    ----------
    first, second : str
        The scenarios' names: the baseline, and the one compared with it.
    table : DataFrame
        Per summary metric (index ``metric``; per-partner metrics included): the median of
        each scenario's runs (columns named after the scenarios; ``first`` and ``second``
        when both are the same scenario), the median paired
        difference (second - first) and the 5% and 95% quantiles of the paired differences
        (``low``, ``high``: where 90% of runs' differences fall); the mean paired difference
        with its 95% t-interval (``mean_difference``, ``ci_low``, ``ci_high``: how sure the
        average effect is, for telling two scenarios apart); and the number of pairs
        (``replicates``).
    partners : DataFrame
        The same for each partner's :data:`PARTNER_OUTPUTS` (index: the partner's full name
        and the output), in the partnership's order.
    """

    first: str
    second: str
    table: pd.DataFrame
    partners: pd.DataFrame

    def __repr__(self) -> str:
        """One line: the two scenarios, the pairs, and the final-year share's difference."""
        text = f"<Comparison {self.first!r} -> {self.second!r}: {self.replicates} pairs"
        if HEADLINE in self.table.index:
            row = self.table.loc[HEADLINE]
            change = Spread(row["difference"], row["low"], row["high"], self.replicates)
            text += f"; final-year share {change.text(HEADLINE, difference=True)}"
        return text + ">"

    @property
    def replicates(self) -> int:
        """Pairs of runs compared."""
        return int(self.table["replicates"].iloc[0]) if len(self.table) else 0


def paired_differences(first: np.ndarray, second: np.ndarray) -> dict[str, float]:
    """Return the medians of two paired samples and of their differences (second - first).

    The 5% and 95% quantiles of the differences (``low``, ``high``), their mean with its
    :data:`CONFIDENCE` t-interval (``ci_low``, ``ci_high``; NaN for one pair), and the pairs.
    """
    diff = second - first
    low, mid, high = np.quantile(diff, [LOW, 0.5, HIGH])
    mean = float(diff.mean())
    if len(diff) > 1:
        half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, len(diff) - 1) * stats.sem(diff))
    else:
        half = math.nan
    return {
        "first": float(np.median(first)),
        "second": float(np.median(second)),
        "difference": float(mid),
        "low": float(low),
        "high": float(high),
        "mean_difference": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "replicates": len(diff),
    }


def compare_results(
    first: RunResult, second: RunResult, metrics: pd.DataFrame, other: pd.DataFrame
) -> Comparison:
    """Compare per-replicate summary metrics of two scenarios run with the same seeds.

    The metrics are :func:`sim.metrics.summary_metrics`; replicate ``r`` of ``first`` is paired
    with replicate ``r`` of ``second``.
    """
    rows = {
        column: paired_differences(metrics[column].to_numpy(float), other[column].to_numpy(float))
        for column in metrics.columns
        if column in other.columns
    }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS))
    table.index.name = "metric"
    partners = []
    for name in first.trajectory.names:
        for output in PARTNER_OUTPUTS:
            column = f"{output}.{slug(name)}"
            if column in rows:
                partners.append({"partner": name, "output": output, **rows[column]})
    partner_table = pd.DataFrame(partners, columns=["partner", "output", *COLUMNS])
    # Columns take the scenarios' names, unless a scenario is compared with itself.
    same = first.scenario == second.scenario
    names = {} if same else {"first": first.scenario, "second": second.scenario}
    return Comparison(
        first.scenario,
        second.scenario,
        table.rename(columns=names),
        partner_table.set_index(["partner", "output"]).rename(columns=names),
    )


def scenario_columns(comparison: Comparison) -> tuple[str, str]:
    """Return the columns of the two scenarios' medians in the comparison's tables."""
    if comparison.first == comparison.second:
        return "first", "second"
    return comparison.first, comparison.second
