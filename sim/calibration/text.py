"""Numbers and tables of a calibration as Markdown text (one way of writing them everywhere)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def fmt(value: object, digits: int = 3) -> str:
    """Write a number for a reader: ``digits`` significant digits, yes/no, ``-`` for NaN."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        if not math.isfinite(float(value)):
            return "-" if math.isnan(float(value)) else ("inf" if value > 0 else "-inf")
        return f"{float(value):.{digits}g}"
    return str(value)


def percent(share: float) -> str:
    """Write a share as a percentage: one decimal, or two significant digits below 1%."""
    if 0 < abs(share) < 0.01:
        return f"{100 * share:.2g}%"
    return f"{share:.1%}"


def table(frame: pd.DataFrame, digits: int = 3) -> str:
    """Write a frame as a Markdown table (its index first)."""
    cols = [frame.index.name or "", *map(str, frame.columns)]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for index, row in frame.iterrows():
        lines.append("| " + " | ".join([str(index), *(fmt(v, digits) for v in row)]) + " |")
    return "\n".join(lines)


def interval(low: float, high: float) -> str:
    """Write a target interval: a point, or ``[low, high]`` with open ends as infinities."""
    if low == high:
        return fmt(low)
    left = "-inf" if not math.isfinite(low) else fmt(low)
    right = "inf" if not math.isfinite(high) else fmt(high)
    return f"[{left}, {right}]"
