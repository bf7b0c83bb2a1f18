"""The project's colours: one colour-blind-safe palette for every figure, chart and page.

Okabe & Ito (2008), "Color Universal Design": eight colours that stay distinct under the
common forms of colour-blindness; quantities from 0 to 1 take viridis. Every colour-coded
category is also named in a legend or on the chart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

from sim.engine import INTERFACE_NAMES
from sim.parameter import CATEGORIES

BLACK: Final = "#000000"
ORANGE: Final = "#E69F00"
SKY_BLUE: Final = "#56B4E9"
BLUISH_GREEN: Final = "#009E73"
YELLOW: Final = "#F0E442"
BLUE: Final = "#0072B2"
VERMILLION: Final = "#D55E00"
REDDISH_PURPLE: Final = "#CC79A7"
GREY: Final = "#8C8C8C"
LIGHT_GREY: Final = "#DDDDDD"

OKABE_ITO: Final = (ORANGE, SKY_BLUE, BLUISH_GREEN, YELLOW, BLUE, VERMILLION, REDDISH_PURPLE, BLACK)
"""The eight colours in their usual order, for series without a colour of their own."""


def _one_each(names: Iterable[str], colours: Iterable[str]) -> Mapping[str, str]:
    """Return a frozen mapping giving each of ``names`` its colour (the two in order, as many)."""
    return MappingProxyType(dict(zip(names, colours, strict=True)))


INTERFACE_COLOURS: Final = _one_each(
    INTERFACE_NAMES, (LIGHT_GREY, YELLOW, ORANGE, BLUE, REDDISH_PURPLE, GREY)
)
"""Colour of each interface stage: from no link (light grey) to a live link (blue); a manual
workaround while waiting in reddish purple, a decision against in grey."""

CATEGORY_COLOURS: Final = _one_each(
    CATEGORIES, (ORANGE, BLUE, BLUISH_GREEN, REDDISH_PURPLE, VERMILLION, SKY_BLUE)
)
"""One colour per framework category (sensitivity figures and briefs)."""

MOTIVATION: Final = BLUE
"""Terms of the recording decision that favour recording."""

COST: Final = VERMILLION
"""Terms of the recording decision that deter recording."""

SEQUENTIAL: Final = "viridis"
"""Vega scheme for quantities from 0 to 1 (recording share): perceptually uniform and
colour-blind-safe."""


def cycle(position: int) -> str:
    """Return the palette's colour for the ``position``-th series, repeating after eight."""
    return OKABE_ITO[position % len(OKABE_ITO)]
