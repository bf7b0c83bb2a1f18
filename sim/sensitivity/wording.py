"""How a sensitivity brief writes its numbers: shares, intervals, plain numbers.

Tables are written by :func:`sim.pages.markdown_table`, as every report writes them.
"""

from __future__ import annotations

import math


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
