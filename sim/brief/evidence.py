"""What a brief says about one result folder, whatever command wrote it.

The question, the answer in one sentence with its interval, the levers, the tipping points, the
conditions, what is assumed rather than evidenced, and how far each conclusion holds.

The readers (:mod:`sim.brief.readers`) fill an :class:`Evidence` from a folder; the page
(:mod:`sim.brief.page`) lays one or two of them out on one A4 sheet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import pandas as pd

from sim.params import PARAMETERS

Kind = Literal["run", "compare", "sweep", "sensitivity", "calibrate"]
"""The result folders a brief reads (the ``kind`` in their manifests)."""

KINDS: tuple[str, ...] = get_args(Kind)

ASSUMPTION_COLUMNS = ("input", "category", "provenance", "source")


@dataclass(frozen=True)
class Evidence:
    """One result folder, as a brief reads it.

    Attributes
    ----------
    kind : Kind
        The command that wrote the folder.
    folder : Path
        Where it is.
    subject : str
        What was studied, in a few words (for the title).
    question : str
        The question the result answers.
    answer : str
        The answer in one sentence, with its interval.
    levers : list of str
        What moves sharing most (and the benefit outputs, where the result has them),
        strongest first, one sentence each.
    tipping : list of str
        Tipping points, one sentence each.
    conditions : list of str
        Where the outcome of interest holds (scenario discovery), one sentence each.
    limits : list of str
        How far each conclusion holds.
    assumptions : DataFrame
        The inputs that matter here whose values are assumed rather than evidenced:
        ``input``, ``category``, ``provenance``, ``source``.
    figure : Path or None
        The result's figure the brief shows (a file in the folder).
    tables : dict of str to DataFrame
        Full tables written as CSV beside the brief, by file name.
    screening : DataFrame
        A sensitivity analysis's verdict per factor on the headline output (``factor``,
        ``distinguishable``, ``statistic``, ``spread``): what a sweep is reconciled with.
    effects : DataFrame
        A sweep's largest jump per scenario and input on the headline output
        (:func:`sim.tipping.tipping_points` rows): what screening is reconciled with.
    scenarios : tuple of str
        The scenarios the result ran.
    """

    kind: Kind
    folder: Path
    subject: str
    question: str
    answer: str
    levers: list[str] = field(default_factory=list)
    tipping: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)
    assumptions: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(ASSUMPTION_COLUMNS))
    )
    figure: Path | None = None
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    screening: pd.DataFrame = field(default_factory=pd.DataFrame)
    effects: pd.DataFrame = field(default_factory=pd.DataFrame)
    scenarios: tuple[str, ...] = ()


def registry_assumptions(names: Iterable[str]) -> pd.DataFrame:
    """Select the registry parameters among ``names`` that no evidence pins.

    Those assumed or inferred, with category, provenance and source; other inputs are left out.
    """
    rows = [
        {
            "input": name,
            "category": PARAMETERS[name].category,
            "provenance": PARAMETERS[name].provenance,
            "source": PARAMETERS[name].source,
        }
        for name in dict.fromkeys(names)
        if name in PARAMETERS and PARAMETERS[name].provenance in ("assumed", "inferred")
    ]
    return pd.DataFrame(rows, columns=list(ASSUMPTION_COLUMNS))


def provenance_counts(factors: pd.DataFrame) -> str:
    """Count a factors table's inputs by provenance.

    ``121 uncertain inputs: 80 assumed, 30 inferred, 11 external`` (``provenance`` column; empty
    provenance counts as not recorded).
    """
    counts = factors["provenance"].fillna("").replace("", "not recorded").value_counts()
    parts = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    return f"{len(factors)} uncertain inputs: {parts}"
