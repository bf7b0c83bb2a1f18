"""A headline conclusion and how far it holds: the share of resamples in which it is true.

A calibration report and a sensitivity brief state their conclusions this one way. Each
carries the share of bootstrap resamples (of a posterior's particles, or of a design's
draws) in which it holds; one that holds in fewer than :data:`FIRM_FROM` of them is worded
as open, so an analyst never reads a coin toss as a finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FIRM_FROM = 0.8
"""Share of resamples from which a conclusion is stated as found rather than open."""


@dataclass(frozen=True)
class Headline:
    """One conclusion and the share of resamples in which it holds."""

    text: str
    holds: float

    @property
    def firm(self) -> bool:
        """Whether it holds in at least :data:`FIRM_FROM` of the resamples."""
        return self.holds >= FIRM_FROM

    def line(self) -> str:
        """Return the conclusion as a Markdown bullet, worded as open when it is not firm."""
        # rounded down, so a conclusion worded as open never shows 80%
        share = f"holds in {math.floor(100 * self.holds)}% of resamples"
        if self.firm:
            return f"- {self.text} ({share})."
        return f"- **Open**: whether {self.text} ({share}; below {FIRM_FROM:.0%})."
