"""An outcome of interest and the conditions under which it holds.

An outcome such as final-year share at least 80%; scenario discovery over the runs of a sweep or
a sensitivity sample.

An outcome is written ``<output> >= <value>`` (or ``>``, ``<=``, ``<``), as on the command
line (``--outcome "share_final_year>=0.8"``). The conditions are boxes of input ranges found
by PRIM (:func:`sim.discovery.discover`), each with its coverage (the share of the runs with
the outcome that fall in the box) and density (the share of the runs in the box that have
it).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from sim.discovery import Box, discover
from sim.errors import InputError
from sim.inputs import did_you_mean
from sim.names import header, is_share

DEFAULT_OUTCOME = "share_final_year>=0.8"
"""The outcome a report looks for when none is given: most cases reach the shared system."""

MIN_RUNS = 20
"""Fewest runs scenario discovery is tried on (fewer cannot support a box)."""

_COMPARE: Mapping[str, Callable[[pd.Series, float], pd.Series]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}
_PATTERN = re.compile(
    r"^\s*([A-Za-z_][\w.]*)\s*(>=|<=|>|<)\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)\s*$"
)


class OutcomeError(InputError):
    """An outcome that cannot be read or does not fit the results: one line."""


@dataclass(frozen=True)
class Outcome:
    """An output compared with a threshold: ``share_final_year >= 0.8``."""

    output: str
    relation: str
    threshold: float

    def holds(self, frame: pd.DataFrame) -> pd.Series:
        """Per run (row of ``frame``): whether the outcome holds (False for a failed run)."""
        if self.output not in frame.columns:
            hint = did_you_mean(self.output, map(str, frame.columns))
            raise OutcomeError(f"outcome: the results have no output {self.output!r}{hint}")
        values = pd.to_numeric(frame[self.output], errors="coerce")
        return _COMPARE[self.relation](values, self.threshold).fillna(False).astype(bool)

    def describe(self) -> str:
        """``final-year share at least 80%``."""
        words = {">=": "at least", ">": "above", "<=": "at most", "<": "below"}[self.relation]
        value = f"{self.threshold:.0%}" if is_share(self.output) else f"{self.threshold:g}"
        return f"{header(self.output)} {words} {value}"

    def __str__(self) -> str:
        """Write the outcome as the command line takes it: ``share_final_year>=0.8``."""
        return f"{self.output}{self.relation}{self.threshold:g}"


def parse_outcome(text: str, outputs: Sequence[str] | None = None) -> Outcome:
    """Read ``<output> >= <value>``; with ``outputs``, the output must be one of them.

    Raises
    ------
    OutcomeError
        Text of another form, or an output that is not one of ``outputs`` (did you mean).
    """
    match = _PATTERN.match(text)
    if match is None:
        raise OutcomeError(
            f"outcome {text!r}: write it as OUTPUT>=VALUE (or >, <=, <), e.g. {DEFAULT_OUTCOME}"
        )
    output, relation, value = match.groups()
    if outputs is not None and output not in outputs:
        raise OutcomeError(f"outcome {text!r}: no output {output!r}{did_you_mean(output, outputs)}")
    return Outcome(output, relation, float(value))


@dataclass(frozen=True)
class Discovery:
    """What scenario discovery found in a set of runs: its boxes, or why it was not tried."""

    boxes: tuple[Box, ...] = ()
    note: str = ""
    """Why discovery was not tried (empty when it was)."""

    def lines(self, start: date | None = None, at_most: int | None = None) -> list[str]:
        """Return the boxes in words, one a line, or the reason there are none.

        ``start``, the first day of week 0, puts dates beside the weeks of week inputs;
        ``at_most`` names only that many ranges of a box (:meth:`sim.discovery.Box.conditions`).
        """
        if self.note:
            return [f"not tried: {self.note}"]
        if not self.boxes:
            return ["no box of input ranges stands out"]
        return [box.describe(start, at_most) for box in self.boxes]


def conditions(frame: pd.DataFrame, inputs: Sequence[str], outcome: Outcome) -> Discovery:
    """Return the boxes of input ranges under which ``outcome`` holds among the runs of ``frame``.

    Discovery is not tried (the :class:`Discovery` says why) on fewer than :data:`MIN_RUNS`
    runs, with no input that varies, or when the outcome holds in every run or in none.
    """
    holds = outcome.holds(frame)
    varied = [name for name in inputs if frame[name].nunique() > 1]
    if len(frame) < MIN_RUNS:
        return Discovery(note=f"{len(frame)} runs, fewer than {MIN_RUNS}")
    if not varied:
        return Discovery(note="no input varies")
    if holds.all() or not holds.any():
        return Discovery(
            note=f"{outcome.describe()} holds in {'every' if holds.all() else 'no'} run"
        )
    boxes = discover(
        frame[varied].reset_index(drop=True),
        varied,
        holds.reset_index(drop=True),
        label=outcome.describe(),
    )
    return Discovery(tuple(boxes))


def conditions_table(found: Mapping[str, Discovery]) -> pd.DataFrame:
    """Tidy table of the boxes found per group (scenario): one row per box and input range."""
    rows = [
        {
            "group": group,
            "box": number,
            "input": name,
            "low": low,
            "high": high,
            "coverage": box.coverage,
            "density": box.density,
            "mass": box.mass,
        }
        for group, discovery in found.items()
        for number, box in enumerate(discovery.boxes, start=1)
        for name, (low, high) in box.ranges.items()
    ]
    return pd.DataFrame(
        rows, columns=["group", "box", "input", "low", "high", "coverage", "density", "mass"]
    )
