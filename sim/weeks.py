"""Weeks and their calendar dates, side by side, on every axis and in every table.

The model counts weeks from a scenario's start date (week ``t`` begins on ``start + 7 t``,
:func:`sim.timeline.week_start`); readers think in dates. Axes get two-line tick labels (the
week over its month), tables and sentences ``week 52 (3 Apr 2012)``. Weekly counts too few
to read alone are summed over trailing weeks (:func:`trailing_sum`).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from sim.timeline import week_start

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WEEK_INPUT_SUFFIXES = ("go_live_week", ".week")
"""Input names whose values are weeks from the start date (a partner's go-live, an event)."""


def week_text(week: float, start: date | None) -> str:
    """``week 52 (3 Apr 2012)``; ``week 52`` when the start date is not known."""
    number = f"week {week:g}"
    if start is None:
        return number
    return f"{number} ({week_start(start, round(week)):%-d %b %Y})"


def is_week_input(name: str) -> bool:
    """Whether input ``name`` is a point in time counted in weeks from the start date."""
    return name.endswith(WEEK_INPUT_SUFFIXES)


def input_text(name: str, value: float, start: date | None) -> str:
    """Return an input's value for a sentence or a table: dates beside week inputs.

    Other values to three figures, never in exponent form below a million: a bound halfway
    between two Morris levels reads ``0.467``, not ``0.466667``; a caseload ``1500``.
    """
    if is_week_input(name):
        return week_text(value, start)
    return f"{float(f'{value:.3g}'):g}"


TRAILING_WEEKS = 4
"""Weeks a recording share is also read over: a small council handles a few cases a week,
and one week's share of three cases is mostly noise."""


def trailing_sum(values: NDArray, axis: int, weeks: int = TRAILING_WEEKS) -> NDArray:
    """Return ``values`` summed over the last ``weeks`` weeks along ``axis`` (fewer at the start).

    On counts the sums are exact, whatever the order they are added in.
    """
    totals = np.cumsum(values, axis=axis)
    along = np.moveaxis(totals, axis, 0)
    along[weeks:] = along[weeks:] - along[:-weeks]
    return totals


def tick_step(weeks: int) -> int:
    """Weeks between ticks: a quarter for a run of up to two years, else half a year."""
    return 13 if weeks <= 104 else 26


def date_axis(ax: Axes, start: date | None, weeks: int, every: int | None = None) -> None:
    """Label the x axis of ``ax`` (weeks from 0) with weeks and, under them, their months.

    A tick ``every`` weeks (by default :func:`tick_step`; small panels want 52).
    """
    ticks = list(range(0, weeks + 1, every or tick_step(weeks)))
    if start is None:
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.set_xlabel("week")
        return
    labels = [f"{t}\n{week_start(start, t):%b %Y}" for t in ticks]
    ax.set_xticks(ticks, labels)
    ax.set_xlabel(f"week (from {start:%-d %b %Y})")
