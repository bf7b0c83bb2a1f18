"""The dashboard page's style: its CSS, in the project's colours (:mod:`sim.palette`)."""

from __future__ import annotations

from typing import Final

from sim.palette import BLUE, ORANGE, VERMILLION

SIDEBAR_WIDTH_PX = 340
"""Width of the sidebar: every lever fits a 1280x800 screen beside a chart wide enough to read."""

PAGE_CSS: Final = f"""
/* A narrower sidebar than Solara's 400 px leaves the charts room at 1280 px. */
.v-navigation-drawer {{
    min-width: {SIDEBAR_WIDTH_PX}px !important; max-width: {SIDEBAR_WIDTH_PX}px !important;
}}
.v-navigation-drawer__content > div > .v-sheet {{ padding: 8px 14px !important; }}
/* Panels take the height their content needs: the page scrolls, never a panel. */
.sharesim-main {{ padding: 0 4px 24px 4px; }}
.sharesim-panel {{ padding: 6px 8px; border: 1px solid #e0e0e0; border-radius: 6px;
    background: white; min-width: 0; }}
.sharesim-grid {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(400px, 1fr));
    gap: 10px; }}
/* The explanation and the two partner-by-week charts take a whole row; the others share. */
.sharesim-explain, .sharesim-share, .sharesim-interface {{ grid-column: 1 / -1; }}
.sharesim-explain-body {{ flex-wrap: wrap; padding: 0 !important; }}
.sharesim-explain-text {{ flex: 0 0 300px; padding: 0 !important; }}
.sharesim-explain-text > .v-input {{ flex: 0 0 auto; }}
.sharesim-explain-chart {{ flex: 1 1 420px; min-width: 0; padding: 0 !important; }}
.sharesim-title {{ font-size: 15px; font-weight: 600; }}
.sharesim-caption, .sharesim-probability, .sharesim-ensemble-caption {{ font-size: 12px; }}
.sharesim-caption {{ color: #444; }}
.sharesim-prompt {{ font-size: 13px; color: #333; background: #fff8e1;
    border-left: 3px solid {ORANGE}; padding: 4px 8px; }}
.sharesim-explain-stale, .sharesim-stale {{ font-size: 12px; background: #fdecea;
    border-left: 3px solid {VERMILLION}; padding: 4px 8px; }}
.sharesim-help {{ font-size: 12px; background: #f3f6fa; border-left: 3px solid {BLUE};
    padding: 6px 8px; }}
.sharesim-help-button {{ margin: -4px 0; }}
.sharesim-live-bar {{ border-top: 2px solid {BLUE}; padding-top: 6px; }}
.sharesim-week {{ font-size: 15px; font-weight: 600; }}
.sharesim-speed {{ width: 210px; }}
.sharesim-speed .v-input__slider .v-label {{ font-size: 12px; }}
/* Sidebar: the scenario's description, the levers as compact rows. */
.sharesim-description {{ font-size: 12px; color: #444; line-height: 1.35; }}
.sharesim-option-text {{ white-space: normal !important; font-size: 12px; }}
.sharesim-sidebar-heading {{ font-size: 14px; font-weight: 600; }}
.sharesim-levers, .sharesim-lever-label, .sharesim-scenario {{ padding: 0 !important; }}
.sharesim-lever {{ padding: 5px 0 0 0 !important; }}
.sharesim-lever-label {{ font-size: 12.5px; line-height: 1.2; flex-wrap: nowrap; }}
.sharesim-lever-value {{ font-weight: 600; white-space: nowrap; }}
.sharesim-lever-moved .sharesim-lever-value {{ color: {VERMILLION}; }}
.sharesim-slider {{ margin-top: -4px !important; }}
.sharesim-slider .v-slider {{ min-height: 22px; }}
/* The slider's label names it for screen readers; the line above shows it on screen. */
.sharesim-slider .v-input__slot > .v-label {{
    position: absolute !important; width: 1px; height: 1px; overflow: hidden;
    clip: rect(0 0 0 0); white-space: nowrap;
}}
.sharesim-seed, .sharesim-posterior {{ margin-top: 0 !important; }}
.sharesim-posterior .v-label {{ font-size: 12.5px; }}
"""
"""CSS of the page (Vuetify 2 class names, as the pinned ``ipyvuetify<3`` renders them)."""
