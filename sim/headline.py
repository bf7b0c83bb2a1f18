"""The one headline statistic.

The median over runs, with the interval that holds the middle 90% of them (the 5% and 95%
quantiles), as the dashboard shows its ensemble.

Every report, brief and command-line table that states an output over runs states it this
way, in the same words: ``82% (90% of runs: 60% to 95%)``. Shares of cases are written as
percentages, and differences of shares in percentage points.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from sim.names import is_share, text_unit

LOW, HIGH = 0.05, 0.95
"""The quantiles bounding the interval: 90% of runs lie between them."""


@dataclass(frozen=True)
class Spread:
    """An output over runs: median, 5% and 95% quantiles, and how many runs."""

    median: float
    low: float
    high: float
    runs: int

    def text(self, column: str = "", *, difference: bool = False) -> str:
        """``82% (90% of runs: 60% to 95%)``; ``difference`` writes shares in points."""
        middle = (
            difference_text(self.median, column) if difference else value_text(self.median, column)
        )
        return f"{middle} ({self.interval(column, difference=difference)})"

    def interval(self, column: str = "", *, difference: bool = False) -> str:
        """``90% of runs: 60% to 95%``; ``one run`` or ``no runs`` where there is no interval."""
        if self.runs < 2:
            return "one run" if self.runs else "no runs"
        return f"90% of runs: {range_text(self.low, self.high, column, difference=difference)}"

    def cell(self, column: str = "", *, difference: bool = False) -> str:
        """Return the spread for a table cell: ``82% [60% to 95%]``, ``-30 [-38 to -22 points]``."""
        middle = _signed(self.median, column) if difference else value_text(self.median, column)
        return f"{middle} [{range_text(self.low, self.high, column, difference=difference)}]"


def spread(values: Iterable[float]) -> Spread:
    """Return the :class:`Spread` of ``values`` (NaN ignored; all NaN gives NaN)."""
    array = np.asarray(list(values), dtype=float)
    array = array[~np.isnan(array)]
    if array.size == 0:
        return Spread(math.nan, math.nan, math.nan, 0)
    low, mid, high = np.quantile(array, [LOW, 0.5, HIGH])
    return Spread(float(mid), float(low), float(high), int(array.size))


def value_text(value: float, column: str = "") -> str:
    """Return a value of ``column`` for a sentence: shares as percentages, others to 3 figures."""
    if not math.isfinite(value):
        return "n/a"
    if is_share(column):
        return f"{value:.0%}" if abs(value) >= 0.01 or value == 0 else f"{value:.1%}"
    unit = text_unit(column)
    return f"{value:.3g}" if not unit else f"{_quantity(value)} {unit}"


def _quantity(value: float) -> str:
    """Return a quantity with a unit to a sensible precision: ``0.08``, ``10.5``, ``133``."""
    decimals = 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0
    return f"{value:.{decimals}f}"


def _signed(value: float, column: str = "") -> str:
    """Return a difference without its unit.

    Percentage points for shares, else 3 figures; signed.
    """
    if not math.isfinite(value):
        return "n/a"
    if is_share(column):
        return f"{100 * value:+.0f}" if abs(value) >= 0.005 else f"{100 * value:+.1f}"
    return f"{value:+.3g}"


def difference_text(value: float, column: str = "") -> str:
    """Return a difference of ``column``'s values for a sentence.

    ``-30 points`` for shares, ``+2.5 days`` for a quantity with a unit, else ``+0.12``.
    """
    if is_share(column):
        return _signed(value, column) + " points"
    unit = text_unit(column)
    return _signed(value, column) + (f" {unit}" if unit and math.isfinite(value) else "")


def range_text(low: float, high: float, column: str = "", *, difference: bool = False) -> str:
    """Return an interval for a sentence: ``60% to 95%``; of differences, ``-38 to -22 points``."""
    if not difference:
        if text_unit(column) and math.isfinite(low) and math.isfinite(high):
            return f"{_quantity(low)} to {value_text(high, column)}"
        return f"{value_text(low, column)} to {value_text(high, column)}"
    return f"{_signed(low, column)} to {difference_text(high, column)}"


def final_year_sentence(values: Iterable[float]) -> str:
    """Return the headline of a scenario's runs.

    The partnership-wide final-year share, median and 90% of runs, in one sentence.
    """
    share = spread(values)
    median = f"median of {share.runs} runs; " if share.runs > 1 else ""
    return (
        f"Partnership-wide, {value_text(share.median, 'share')} of ASB cases reached the "
        f"shared system in the final year ({median}{share.interval('share')})."
    )
