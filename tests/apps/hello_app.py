"""Smallest page that touches every front-end package the dashboard needs.

A button with a counter (Vuetify app, RequireJS, Font Awesome), Markdown (KaTeX, Mermaid), a
draggable grid (vue-grid-layout) and an Altair chart (Vega, Vega-Lite, Vega-Embed).
"""

import altair as alt
import pandas as pd
import solara

WEEKS = pd.DataFrame({"week": [1, 2, 3, 4, 5, 6], "recorded": [3, 5, 4, 7, 9, 12]})


@solara.component
def Page() -> None:
    clicks = solara.use_reactive(0)
    chart = (
        alt.Chart(WEEKS)
        .mark_line(point=True)
        .encode(x="week:Q", y="recorded:Q")
        .properties(width=320, height=200)
    )
    with solara.Column():
        solara.Markdown("## Offline check\nShare recorded, $s \\in [0, 1]$.")
        solara.Button(
            label=f"Clicked {clicks.value} times", on_click=lambda: clicks.set(clicks.value + 1)
        )
        solara.GridDraggable(
            items=[solara.Text("grid item")],
            grid_layout=[{"x": 0, "y": 0, "w": 4, "h": 2, "i": "0", "moved": False}],
        )
        solara.FigureAltair(chart)
