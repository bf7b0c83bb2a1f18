"""Colours and page style of the dashboard: Okabe-Ito for categories, viridis for quantities.

Okabe & Ito (2008), "Color Universal Design": eight colours that stay distinct under the common
forms of colour-blindness. Viridis (a perceptually uniform, colour-blind-safe sequential scale)
is used for shares. Every colour-coded category is also labelled in a legend or on the chart.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from sim.engine import InterfaceState

BLACK: Final = "#000000"
ORANGE: Final = "#E69F00"
SKY_BLUE: Final = "#56B4E9"
BLUISH_GREEN: Final = "#009E73"
YELLOW: Final = "#F0E442"
BLUE: Final = "#0072B2"
VERMILLION: Final = "#D55E00"
REDDISH_PURPLE: Final = "#CC79A7"

GREY: Final = "#8C8C8C"
"""Neutral grey for reference material (the replay band, partners not picked out)."""

LIGHT_GREY: Final = "#DDDDDD"
"""Background grey: weeks before a partner goes live."""

SEQUENTIAL: Final = "viridis"
"""Vega scheme for quantities from 0 to 1 (recording share)."""

INTERFACE_NAMES: Final = tuple(state.name.lower() for state in InterfaceState)
"""Interface stages in order: none, considering, building, live."""

INTERFACE_COLOURS: Final = MappingProxyType(
    {"none": LIGHT_GREY, "considering": YELLOW, "building": ORANGE, "live": BLUE}
)
"""Colour of each interface stage: from no link (grey) to a live link (blue)."""

MOTIVATION: Final = BLUE
"""Terms that favour recording."""

COST: Final = VERMILLION
"""Terms that deter recording."""

PAGE_CSS: Final = """
/* Panels scroll inside their grid cell instead of spilling over the next one. */
.sharesim-panel { height: 100%; overflow-y: auto; overflow-x: hidden; padding: 2px 6px; }
/* Slider labels on their own line (room for the unit), every value shown above its thumb. */
.v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-input__slider .v-input__slot > .v-label {
    flex: 0 0 100%; max-width: 100%; white-space: normal; margin-bottom: 36px; font-size: 14px;
}
.v-slider__thumb-label-container { display: block !important; }
.v-slider__thumb-label { font-size: 11px; }
/* Mesa labels its pages "Page 0", "Page 1"; the dashboard has one page, so no tab bar. */
.v-tabs { display: none; }
"""
"""CSS of the page (Vuetify 2 class names, as the pinned ``ipyvuetify<3`` renders them)."""
