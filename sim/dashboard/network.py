"""The partners as a network: who looks at whose records in the live run.

Partners sit on a fixed circle (the same places every time), coloured by interface stage and
sized by caseload; a line's width is how many of each other's records two partners viewed.
"""

from __future__ import annotations

import math
from typing import Literal

import altair as alt
import numpy as np
import pandas as pd
import solara

from sim import palette
from sim.dashboard.charts import PROMPT, interface_colour
from sim.dashboard.help import PanelHeading
from sim.dashboard.state import PageState
from sim.dashboard.vega import FONT_SIZE, Figure, Spec, fill, named_data, styled
from sim.engine import INTERFACE_NAMES
from sim.model import SharingModel

NETWORK_HEIGHT = 220
"""Height in pixels of the network's plotting area."""

NODE_NUMBERS = ("x", "y", "label_x", "label_y", "caseload", "viewed", "seen")
"""Numeric columns of the network's nodes."""
EDGE_NUMBERS = ("x", "y", "x2", "y2", "views")
"""Numeric columns of the network's edges."""


Align = Literal["left", "center", "right"]
Baseline = Literal["top", "middle", "bottom"]

LABEL_PLACES: tuple[tuple[str, Align, Baseline], ...] = (
    ("left", "left", "middle"),
    ("right", "right", "middle"),
    ("top", "center", "bottom"),
    ("bottom", "center", "top"),
)
"""Where a node's label sits (right of, left of, above, below the node): the label's
``place`` in the data, and its text alignment and baseline."""

WRAP_AT = 14
"""Partner names longer than this are split over two lines in the network."""


def wrap_name(name: str) -> str:
    """Return ``name`` on two lines, split at the space nearest its middle, if it is long."""
    spaces = [i for i, char in enumerate(name) if char == " "]
    if len(name) <= WRAP_AT or not spaces:
        return name
    cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
    return f"{name[:cut]}\n{name[cut + 1 :]}"


def network_tables(model: SharingModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the network's nodes and edges on a fixed circle (first partner at the top).

    Nodes: ``partner``, ``x``, ``y``, ``label`` and its position and ``place``, ``interface``,
    ``caseload`` (cases a week), ``viewed`` (partners' records it looked at) and ``seen`` (its
    records partners looked at). Edges: one per pair with any views, ``views`` both ways.
    """
    views = model.views_network()
    names = list(model.partnership.names)
    count = len(names)
    angle = math.pi / 2 - 2 * math.pi * np.arange(count) / count
    x, y = np.cos(angle), np.sin(angle)
    side = np.abs(x) > 0.2
    nodes = pd.DataFrame(
        {
            "partner": names,
            # Labels beside a node wrap onto two lines; above or below it there is room.
            "label": [wrap_name(n) if s else n for n, s in zip(names, side, strict=True)],
            "x": x,
            "y": y,
            "label_x": np.where(side, 1.12 * x, x),
            # Labels above and below the circle clear the node (the largest is about 0.15).
            "label_y": np.where(side, 1.12 * y, y + 0.28 * np.sign(y)),
            "place": np.where(
                side, np.where(x > 0, "left", "right"), np.where(y > 0, "top", "bottom")
            ),
            "interface": [INTERFACE_NAMES[int(s)] for s in model.state.interface[0]],
            "caseload": np.asarray(model.partnership.caseload, dtype=float),
            "viewed": views.sum(axis=1),
            "seen": views.sum(axis=0),
        }
    )
    pairs = views + views.T
    rows, cols = np.triu_indices(count, k=1)
    keep = pairs[rows, cols] > 0
    rows, cols = rows[keep], cols[keep]
    edges = pd.DataFrame(
        {
            "pair": [f"{names[i]} \u2194 {names[j]}" for i, j in zip(rows, cols, strict=True)],
            "x": x[rows],
            "y": y[rows],
            "x2": x[cols],
            "y2": y[cols],
            "views": pairs[rows, cols],
        },
        columns=["pair", *EDGE_NUMBERS],
    )
    return nodes, edges


def network_template(with_edges: bool = True) -> Spec:
    """Partners on a fixed circle, linked by how many of each other's records they viewed.

    Before anyone has viewed anything there are no edges (and no line-width legend).
    """
    hidden = alt.Axis(title=None, labels=False, ticks=False, grid=False, domain=False)
    x = alt.Scale(domain=[-2.2, 2.2], nice=False)
    y = alt.Scale(domain=[-1.45, 1.45], nice=False)
    edges = (
        alt.Chart(named_data("edges", EDGE_NUMBERS))
        .mark_rule(color=palette.BLACK, strokeCap="round", opacity=0.45)
        .encode(
            x=alt.X("x:Q", scale=x, axis=hidden),
            y=alt.Y("y:Q", scale=y, axis=hidden),
            x2="x2:Q",
            y2="y2:Q",
            strokeWidth=alt.StrokeWidth(
                "views:Q",
                title="Records viewed",
                scale=alt.Scale(range=[0.5, 8.0], zero=False),
                legend=alt.Legend(orient="bottom", format="~s", direction="horizontal"),
            ),
            tooltip=[
                alt.Tooltip("pair:N", title="Partners"),
                alt.Tooltip("views:Q", title="Records viewed (both ways)", format=",.0f"),
            ],
        )
    )
    point = alt.Chart(named_data("nodes", NODE_NUMBERS)).encode(
        x=alt.X("x:Q", scale=x, axis=hidden), y=alt.Y("y:Q", scale=y, axis=hidden)
    )
    nodes = point.mark_circle(opacity=1.0, stroke=palette.BLACK, strokeWidth=1).encode(
        color=interface_colour(columns=2),
        size=alt.Size("caseload:Q", scale=alt.Scale(range=[60, 600]), legend=None),
        tooltip=[
            alt.Tooltip("partner:N", title="Partner"),
            alt.Tooltip("interface:N", title="Interface"),
            alt.Tooltip("caseload:Q", title="ASB cases per week", format=",.0f"),
            alt.Tooltip("viewed:Q", title="Partners' records it viewed", format=",.0f"),
            alt.Tooltip("seen:Q", title="Its records partners viewed", format=",.0f"),
        ],
    )
    labels = [
        alt.Chart(named_data("nodes", NODE_NUMBERS))
        .transform_filter(f"datum.place == '{place}'")
        .mark_text(align=align, baseline=baseline, fontSize=FONT_SIZE - 1, lineBreak="\n")
        .encode(
            x=alt.X("label_x:Q", scale=x, axis=hidden),
            y=alt.Y("label_y:Q", scale=y, axis=hidden),
            text="label:N",
        )
        for place, align, baseline in LABEL_PLACES
    ]
    layers = [edges, nodes, *labels] if with_edges else [nodes, *labels]
    chart = alt.layer(*layers).properties(width="container", height=NETWORK_HEIGHT)
    return styled(chart)


def network_spec(model: SharingModel, template: Spec | None = None) -> Spec:
    """Make the network chart of ``model`` as it stands."""
    nodes, edges = network_tables(model)
    tables = {"nodes": nodes, "edges": edges} if len(edges) else {"nodes": nodes}
    return fill(template or network_template(len(edges) > 0), tables)


def network_caption(model: SharingModel) -> str:
    """Say what the lines and circles of ``model``'s network mean so far."""
    if model.week == 0:
        return PROMPT
    if not model.views_network().any():
        return f"No partner has viewed another's records in the first {model.week} weeks."
    return (
        f"Line width: records two partners viewed of each other's, from "
        f"{model.start_date:%-d %b %Y} to {model.week_start():%-d %b %Y}. "
        "Circle size: ASB cases a week."
    )


@solara.component
def NetworkPanel(state: PageState, tick: int) -> None:
    """Show the partners as a network weighted by cross-partner views."""
    del tick  # a new value (the live run stepped) redraws the panel
    model = state.live.value.model
    templates = solara.use_memo(
        lambda: {True: network_template(True), False: network_template(False)}, []
    )
    with_edges = bool(model.views_network().any())
    with solara.Column(gap="2px", classes=["sharesim-panel", "sharesim-network"]):
        PanelHeading("network")
        solara.Text(
            network_caption(model),
            classes=["sharesim-caption", *(["sharesim-prompt"] if model.week == 0 else [])],
        )
        Figure(network_spec(model, templates[with_edges]), classes=["sharesim-chart"])
