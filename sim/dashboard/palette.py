"""Colours and page style of the dashboard.

Categories take the project's Okabe-Ito colours (:mod:`sim.palette`, colour-blind-safe);
shares take viridis, a perceptually uniform sequential scale that is colour-blind-safe too.
Every colour-coded category is also named in a legend or on the chart.
"""

from __future__ import annotations

from typing import Final

from sim.engine import INTERFACE_NAMES
from sim.palette import BLACK, BLUE, GREY, INTERFACE_COLOURS, LIGHT_GREY, VERMILLION

__all__ = [
    "BLACK",
    "BLUE",
    "COST",
    "GREY",
    "INTERFACE_COLOURS",
    "INTERFACE_NAMES",
    "LIGHT_GREY",
    "MOTIVATION",
    "PAGE_CSS",
    "SEQUENTIAL",
    "VERMILLION",
]

SEQUENTIAL: Final = "viridis"
"""Vega scheme for quantities from 0 to 1 (recording share)."""

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
