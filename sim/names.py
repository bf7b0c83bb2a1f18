"""Names.

The one rule that turns a partner's name into the form input and metric names use, and the one
mapping from column names to the headers people read.

Every report, brief, figure and command-line table takes its headers from :func:`header` and
its units from :func:`unit`, so ``share_final_year`` reads "final-year share" everywhere and
``share_final_year.hinckley_bosworth`` reads "final-year share, Hinckley & Bosworth" once
the partners' names are known. A column with no entry (a new output) reads as its words.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final


@functools.lru_cache(maxsize=4096)
def slug(name: str) -> str:
    """Lower-case ``name`` with every run of other characters as one ``_``.

    ``Hinckley & Bosworth`` -> ``hinckley_bosworth``: the form partner names take in metric
    and input names. Memoised (a pure function): compiling a scenario asks for the same few
    partners' slugs thousands of times.
    """
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


HEADLINE: Final = "share_final_year"
"""The headline output: the partnership-wide share of ASB cases recorded in the final year."""

HEADERS: Final = MappingProxyType(
    {
        # Summary metrics of a run (sim.metrics.summary_metrics).
        "share_final_year": "final-year share",
        "share_mean": "share over the whole run",
        "buy_in_final": "final buy-in",
        "attitude_final": "final staff attitude",
        "interfaces_live": "interfaces live at end",
        "buy_in_share_correlation": "buy-in/share correlation",
        "interface_final": "final interface stage",
        "share_after_interface_live": "share while the interface is live",
        "latency_final_year": "final-year latency",
        "sharing_hours_final_year": "final-year sharing hours",
        "saved_hours_final_year": "final-year saved hours",
        # A partner's summary over the final year (sim.run.partner_summary).
        "share": "final-year share",
        "share_p05": "5% of runs",
        "share_p95": "95% of runs",
        "buy_in": "final buy-in",
        "interface_live": "runs with a live interface",
        "handled_per_week": "cases a week",
        "latency_days": "latency (days)",
        "sharing_hours": "hours a week on sharing",
        "saved_hours": "hours a week saved",
        # Tables of the reports.
        "partner": "partner",
        "scenario": "scenario",
        "metric": "output",
        "median": "median",
        "low": "5% of runs",
        "high": "95% of runs",
        "difference": "difference (median)",
        "replicates": "runs",
        "jump": "jump",
        "jump_low": "jump, 5%",
        "jump_high": "jump, 95%",
    }
)
"""Column name -> the header a reader sees (lower case; a table or axis capitalises it)."""

STATE_ORDER: Final = (
    "share_final_year",
    "share_mean",
    "buy_in_final",
    "attitude_final",
    "interfaces_live",
    "buy_in_share_correlation",
)
"""Partnership-wide outputs that describe the partnership's state, in the order tables show
them. Any other partnership-wide output of a run (time to act on a case, staff hours
saved...) is a benefit of sharing."""

STATE_OUTPUTS: Final = frozenset(STATE_ORDER)

_UNITS: Final = (
    ("share", "share of cases, 0-1"),
    ("buy_in_share", "Spearman rho"),
    ("buy_in", "buy-in, 0-1"),
    ("attitude", "attitude, 0-1"),
    ("interfaces_live", "partners"),
    ("interface_final", "interface stage, 0-5"),
    ("latency", "days"),
    ("sharing_hours", "staff hours a week"),
    ("saved_hours", "staff hours a week"),
)

SHARES: Final = frozenset({"share_final_year", "share_mean", "share", "share_after_interface_live"})
"""Outputs that are shares of cases (0-1): written as percentages in sentences."""


def partner_names(names: Iterable[str]) -> dict[str, str]:
    """Slug -> full name of each partner (what :func:`header` needs to name partners)."""
    return {slug(name): name for name in names}


def header(column: str, partners: Mapping[str, str] | None = None) -> str:
    """Return the header of ``column``: ``share_final_year`` -> ``final-year share``.

    A per-partner column ``<metric>.<slug>`` reads ``<metric's header>, <partner>``, with the
    partner's full name when ``partners`` (:func:`partner_names`) knows it. A column with no
    entry in :data:`HEADERS` reads as its words (``staff_hours_saved`` -> ``staff hours
    saved``), so new outputs are readable before anyone names them.
    """
    base, _, partner = column.partition(".")
    text = HEADERS.get(base) or base.replace("_", " ")
    if not partner:
        return text
    known = partners or {}
    return f"{text}, {known.get(partner, partner.replace('_', ' '))}"


def unit(column: str) -> str:
    """Return the unit ``column`` is measured in, for axis labels.

    ``output units`` when unknown.
    """
    base = column.partition(".")[0]
    for start, text in _UNITS:
        if base.startswith(start):
            return text
    return "output units"


_TEXT_UNITS: Final = (
    ("latency", "days"),
    ("sharing_hours", "hours a week"),
    ("saved_hours", "hours a week"),
)


def text_unit(column: str) -> str:
    """Return the unit a sentence writes after a value of ``column`` (``days``), or ``""``."""
    base = column.partition(".")[0]
    return next((text for start, text in _TEXT_UNITS if base.startswith(start)), "")


def is_share(column: str) -> bool:
    """Whether ``column`` is a share of cases (0-1), written as a percentage in sentences."""
    return column.partition(".")[0] in SHARES


IDENTITY: Final = frozenset(
    {"scenario", "row", "replicate", "run_key", "error", "draw", "posterior_draw"}
)
"""Columns that say which run a row is, not what it produced."""


def benefit_outputs(outputs: Iterable[str]) -> list[str]:
    """Return the partnership-wide benefit outputs among the output columns ``outputs``.

    Every partnership-wide one that is not one of :data:`STATE_OUTPUTS` (whatever the model adds);
    identity columns (:data:`IDENTITY`) are never outputs.
    """
    return [c for c in outputs if "." not in c and c not in STATE_OUTPUTS and c not in IDENTITY]


def capitalised(text: str) -> str:
    """``text`` with its first letter in upper case (a header at the start of a line)."""
    return text[:1].upper() + text[1:]
