"""Scenario discovery: the ranges of inputs under which an outcome of interest holds.

Given many runs (a sweep's design, a sensitivity sample) with their inputs and a yes/no outcome
per run (final-year share above 80%, latency under a week), PRIM, the patient rule induction
method (Friedman & Fisher 1999, doi:10.1023/A:1008894516817), finds boxes: ranges of a few
inputs inside which the outcome holds for most runs (*density*) and which hold most of the
runs where it holds (*coverage*). This is scenario discovery as Bryant & Lempert (2010,
doi:10.1016/j.techfore.2009.08.002) describe it; the algorithm is EMA Workbench's (Kwakkel
2017, doi:10.1016/j.envsoft.2017.06.054).

::

    from sim.discovery import discover
    holds = (frame["share_final_year"] > 0.8).rename("final-year share above 80%")
    for box in discover(frame, ["double_keying_cost", "functionality_cost"], holds):
        print(box.describe())
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.inputs import did_you_mean
from sim.weeks import input_text

if TYPE_CHECKING:
    from ema_workbench.analysis.prim import PrimBox


@dataclass(frozen=True)
class Box:
    """A box of input ranges found by PRIM, with how well it captures the outcome.

    Attributes
    ----------
    ranges : dict of str to (float, float)
        Each restricted input's range, lower and upper bound included; ``-inf`` or ``inf`` on a
        side the box leaves open (only the inputs the box restricts are listed).
    coverage : float
        Share of the runs where the outcome holds that fall in the box, in [0, 1].
    density : float
        Share of the runs in the box where the outcome holds, in [0, 1].
    mass : float
        Share of all runs that fall in the box, in [0, 1].
    outcome : str
        What the outcome says (``"final-year share above 80%"``), for :meth:`describe`.
    """

    ranges: dict[str, tuple[float, float]]
    coverage: float
    density: float
    mass: float
    outcome: str = "the outcome"

    def conditions(self, start: date | None = None, at_most: int | None = None) -> str:
        """Return the box's ranges in words: ``a at most 0.9 and b from 0.2 to 0.5``.

        A week input's values also give their dates when ``start`` (the first day of week 0)
        is known; a side the box leaves open is not named. With ``at_most``, only that many
        ranges are named (the first, which cut most) and the others are counted.
        """
        if not self.ranges:
            return "anywhere in the ranges sampled"
        named = list(self.ranges.items())[:at_most]
        words = " and ".join(_range_words(name, low, high, start) for name, (low, high) in named)
        more = len(self.ranges) - len(named)
        return f"{words} (and {more} more inputs narrowed less)" if more else words

    def describe(self, start: date | None = None, at_most: int | None = None) -> str:
        """One sentence: where the box is, its coverage, its density and its mass."""
        return (
            f"{self.conditions(start, at_most)}: {self.coverage:.0%} of the runs with "
            f"{self.outcome} fall here (coverage) and {self.density:.0%} of the runs here have it "
            f"(density); {self.mass:.0%} of all runs are here"
        )

    def contains(self, frame: pd.DataFrame) -> pd.Series:
        """Whether each row of ``frame`` (holding the box's inputs) lies in the box."""
        inside = pd.Series(True, index=frame.index)
        for name, (low, high) in self.ranges.items():
            inside &= frame[name].between(low, high)
        return inside


def _range_words(name: str, low: float, high: float, start: date | None) -> str:
    """Return one input's range in words, leaving out a side that is open (infinite)."""
    if math.isinf(low):
        return f"{name} at most {input_text(name, high, start)}"
    if math.isinf(high):
        return f"{name} at least {input_text(name, low, start)}"
    return f"{name} from {input_text(name, low, start)} to {input_text(name, high, start)}"


def discover(
    frame: pd.DataFrame,
    inputs: Sequence[str],
    outcome: pd.Series,
    *,
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    max_boxes: int = 3,
    significance: float = 0.05,
    label: str | None = None,
) -> list[Box]:
    """Find the boxes of input ranges where ``outcome`` holds (PRIM).

    Each box is the point of PRIM's peeling trajectory whose density is at least ``threshold``
    and whose coverage times density is largest (a box that is both pure and large). A
    restriction that is not significant (its quasi-p value, Bryant & Lempert 2010, above
    ``significance``) is then dropped, if the box stays dense enough, so a box names only the
    inputs that matter. Later boxes are found among the runs outside the earlier ones (PRIM's
    covering) and hold only those runs; coverage is always a share of all the runs where the
    outcome holds, mass a share of all runs. The search is deterministic.

    Parameters
    ----------
    frame : DataFrame
        One row per run, holding the ``inputs`` columns (numbers).
    inputs : sequence of str
        The columns a box may restrict.
    outcome : Series of bool
        Whether the outcome holds in each run, on ``frame``'s index.
    threshold : float
        Least density of a box, in (0, 1].
    peel_alpha, paste_alpha : float
        Share of the runs in a box that one peeling (pasting) step removes (adds), in (0, 0.5).
    mass_min : float
        Least share of all runs in a box, in (0, 1).
    max_boxes : int
        Most boxes returned (at least 1).
    significance : float
        Largest quasi-p value of a restriction that is kept, in (0, 1].
    label : str, optional
        What the outcome says, for :meth:`Box.describe` (default: ``outcome``'s name).

    Returns
    -------
    list of Box
        The boxes in the order found; empty when no box reaches ``threshold``.

    Raises
    ------
    InputError
        An unknown, repeated or non-numeric input column, an input with missing or infinite
        values, an outcome that is not True/False per row of ``frame``, one that holds in no
        run or in every run, or a setting out of its range (one line naming it).
    """
    names = [inputs] if isinstance(inputs, str) else list(inputs)
    x = _inputs(frame, names)
    y = _outcome(outcome, frame)
    what = label or (str(outcome.name) if outcome.name is not None else "the outcome")
    settings = _Settings(threshold, peel_alpha, paste_alpha, mass_min, max_boxes, significance)
    settings.check()
    if not y.any() or y.all():
        held = "none" if not y.any() else "all"
        raise InputError(
            f"discover: {what!r} holds in {held} of the {len(y)} runs; there is no condition to "
            "find"
        )
    # Positional column names: EMA Workbench drops a column called "scenario" on its own.
    coded = x.set_axis([f"x{i}" for i in range(len(names))], axis=1)
    found = _prim_boxes(coded, y, settings)
    return [
        Box(
            {names[int(code[1:])]: bounds for code, bounds in ranges.items()},
            coverage,
            density,
            mass,
            what,
        )
        for ranges, coverage, density, mass in found
    ]


def _inputs(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Return the input columns as floats, checked."""
    if not names:
        raise InputError("discover: give at least one input column")
    for i, name in enumerate(names):
        if name not in frame.columns:
            raise InputError(
                f"discover: unknown input column {name!r}"
                f"{did_you_mean(name, map(str, frame.columns))}"
            )
        if names.index(name) != i:
            raise InputError(f"discover: input column {name!r} is listed twice")
        column = frame[name]
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            raise InputError(
                f"discover: input column {name!r} holds {column.dtype}, not numbers; a box is "
                "a range of numbers"
            )
        if not np.isfinite(column.to_numpy(dtype=float, na_value=np.nan)).all():
            raise InputError(f"discover: input column {name!r} has missing or infinite values")
    return frame[names].astype(float).reset_index(drop=True)


def _outcome(outcome: pd.Series, frame: pd.DataFrame) -> np.ndarray:
    """Return the outcome as a bool array in ``frame``'s row order, checked."""
    if len(outcome) != len(frame) or not outcome.index.equals(frame.index):
        raise InputError(
            f"discover: the outcome has {len(outcome)} values on another index than the "
            f"{len(frame)} rows of the frame; give one per row, on the frame's index"
        )
    if not pd.api.types.is_bool_dtype(outcome) or outcome.isna().any():
        raise InputError(
            f"discover: the outcome must be True or False for each run (such as "
            f"frame['share_final_year'] > 0.8), got {outcome.dtype}"
            + (" with missing values" if outcome.isna().any() else "")
        )
    return outcome.to_numpy(dtype=bool)


@dataclass(frozen=True)
class _Settings:
    """The settings of one search (those of :func:`discover`)."""

    threshold: float
    peel_alpha: float
    paste_alpha: float
    mass_min: float
    max_boxes: int
    significance: float

    def check(self) -> None:
        """Raise an :class:`InputError` naming the first setting out of its range."""
        inside = {
            "threshold": 0 < self.threshold <= 1,
            "peel_alpha": 0 < self.peel_alpha < 0.5,
            "paste_alpha": 0 < self.paste_alpha < 0.5,
            "mass_min": 0 < self.mass_min < 1,
            "significance": 0 < self.significance <= 1,
        }
        for name, ok in inside.items():
            if not ok:
                value = getattr(self, name)
                raise InputError(f"discover: {name} = {value!r} is out of its range (see discover)")
        count = self.max_boxes
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise InputError(
                f"discover: max_boxes must be a whole number of at least 1, got {count!r}"
            )


Found = tuple[dict[str, tuple[float, float]], float, float, float]
"""A box's ranges (by coded column name), coverage, density and mass."""


def _prim_boxes(x: pd.DataFrame, y: np.ndarray, settings: _Settings) -> list[Found]:
    """Run PRIM on ``x`` and ``y`` and return the boxes chosen from its trajectories."""
    with warnings.catch_warnings():
        # EMA Workbench warns about optional extras it lacks when imported, and its pandas
        # calls raise pandas' deprecation warnings: neither concerns the boxes found.
        warnings.filterwarnings("ignore", module="ema_workbench")
        # Imported here: the workbench imports scikit-learn, statsmodels and seaborn, seconds
        # that only scenario discovery should pay.
        from ema_workbench.analysis.prim import Prim

        prim = Prim(
            x,
            y,
            peel_alpha=settings.peel_alpha,
            paste_alpha=settings.paste_alpha,
            mass_min=settings.mass_min,
        )
        found: list[Found] = []
        while len(found) < settings.max_boxes:
            box = prim.find_box()
            if box is None:  # every run lies in a box found already
                break
            chosen = _choose(box, settings)
            if chosen is None:
                break
            found.append(_found(box, chosen))
    return found


def _choose(box: PrimBox, settings: _Settings) -> int | None:
    """Return the index of the point of ``box``'s trajectory to keep.

    The point is taken without its insignificant restrictions; None when no point is dense
    enough.
    """
    threshold = settings.threshold
    trajectory = box.peeling_trajectory
    dense = trajectory[trajectory["density"] >= threshold]
    if dense.empty:
        return None
    chosen = int((dense["coverage"] * dense["density"]).idxmax())
    box.select(chosen)
    while weakest := _weakest_restriction(box.p_values[chosen], settings.significance):
        box.drop_restriction(weakest, chosen)
        dropped = len(box.peeling_trajectory) - 1
        if box.peeling_trajectory.at[dropped, "density"] < threshold:
            # Without it the box is not dense enough: keep the restriction after all.
            box.select(chosen)
            break
        chosen = dropped
    return chosen


def _weakest_restriction(p_values: dict[str, Any], significance: float) -> str | None:
    """Return the restricted input with the largest quasi-p value above ``significance``.

    None if there is none. ``p_values`` gives each restricted input's lower and upper side
    (-1 for an open side).
    """
    worst = {name: max(sides) for name, sides in p_values.items()}
    above = {name: p for name, p in worst.items() if p > significance}
    return max(above, key=lambda name: above[name]) if above else None


def _found(box: PrimBox, chosen: int) -> Found:
    """Return point ``chosen`` of ``box``'s trajectory: its ranges and statistics.

    The ranges are open on the sides the point does not restrict, and come in the order of how
    much of the input's sampled range they cut off, most first.
    """
    limits = box.box_lims[chosen]
    initial = box.prim.box_init
    cut: dict[str, tuple[float, tuple[float, float]]] = {}
    for name in limits.columns:
        low, high = float(limits.at[0, name]), float(limits.at[1, name])
        first, last = float(initial.at[0, name]), float(initial.at[1, name])
        lower, upper = low > first, high < last
        if lower or upper:
            share = 1.0 - (high - low) / (last - first) if last > first else 0.0
            cut[name] = (share, (low if lower else -math.inf, high if upper else math.inf))
    order = sorted(cut, key=lambda name: cut[name][0], reverse=True)
    ranges = {name: cut[name][1] for name in order}
    stats = box.peeling_trajectory.loc[chosen]
    return ranges, float(stats["coverage"]), float(stats["density"]), float(stats["mass"])
