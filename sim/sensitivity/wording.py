"""How a sensitivity brief writes its numbers: shares, intervals, plain numbers, tables."""

from __future__ import annotations

import math

import pandas as pd


def pct(value: float) -> str:
    """Return a share as a whole percentage (``n/a`` when not finite)."""
    return "n/a" if not math.isfinite(value) else f"{100 * value:.0f}%"


def interval(low: float, high: float) -> str:
    """Return an interval of shares as ``a% to b%``."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "interval not defined"
    return f"{pct(low)} to {pct(high)}"


def number(value: float, digits: int = 3) -> str:
    """Return a number with ``digits`` significant digits (``n/a`` when not finite)."""
    return "n/a" if not math.isfinite(value) else f"{value:.{digits}g}"


def markdown_table(frame: pd.DataFrame) -> str:
    """Return ``frame`` as a Markdown table (a ``|`` in a cell becomes ``/``)."""
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = [
        "| " + " | ".join(str(v).replace("|", "/") for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *rows])
