"""Charts of the live run: recording share, buy-in and interface stages per partner over time,
and the network of partners weighted by cross-agency views.

Each chart is a Vega-Lite template, written with Altair once per live model, plus data that
changes every week. The template's data sources are named; :func:`fill` puts this week's
tables in as CSV text. Building and checking an Altair chart takes tens of milliseconds, and
the page redraws every panel after each step, so only the data is rebuilt per week.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import altair as alt
import numpy as np
import pandas as pd
import solara
from solara.widgets import VegaLite

from sim.dashboard import palette
from sim.dashboard.levers import Controls
from sim.dashboard.live import ROLLING_WEEKS, DashboardModel

Spec = dict[str, Any]
"""A Vega-Lite specification."""

CHART_HEIGHT = 200
"""Height in pixels of the plotting area of a panel's chart."""

FONT_SIZE = 12
"""Axis label size in pixels: readable at 1280x800."""


def csv_text(frame: pd.DataFrame) -> str:
    """Return ``frame`` as CSV text, booleans written as 0 and 1.

    A chart's data travels inside its spec. As a list of row objects, every value of every row
    is walked and compared by the page's renderer on each redraw; one string is compared at
    once.
    """
    frame = frame.copy()
    for name in frame.columns:
        if frame[name].dtype == bool:
            frame[name] = frame[name].astype(np.int64)
    return str(frame.to_csv(index=False, float_format="%.6g", lineterminator="\n"))


def named_data(name: str, numbers: tuple[str, ...]) -> alt.Data:
    """A data source filled later by :func:`fill`; ``numbers`` are parsed as numbers."""
    return alt.Data(
        name=name, format=alt.DataFormat(type="csv", parse={n: "number" for n in numbers})
    )


def inline_table(frame: pd.DataFrame) -> alt.InlineData:
    """Return ``frame`` as inline chart data (CSV text, numeric columns parsed as numbers)."""
    numbers = [n for n in frame.columns if pd.api.types.is_numeric_dtype(frame[n])]
    return alt.InlineData(
        values=csv_text(frame),
        format=alt.DataFormat(type="csv", parse={n: "number" for n in numbers}),
    )


def fill(
    template: Spec, tables: Mapping[str, pd.DataFrame], subtitle: str | list[str] | None = None
) -> Spec:
    """Return a copy of ``template`` with its named data sources and (optionally) subtitle set.

    The template is not changed; the copy shares its unchanged parts.
    """
    spec = dict(template)
    datasets = dict(template.get("datasets", {}))
    datasets.update({name: csv_text(frame) for name, frame in tables.items()})
    spec["datasets"] = datasets
    if subtitle is not None:
        spec["title"] = {**template["title"], "subtitle": subtitle}
    return spec


EMBED_OPTIONS: dict[str, Any] = {
    "renderer": "svg",
    "actions": {"export": True, "source": False, "compiled": False, "editor": False},
}
"""How the page draws a chart (``vega-embed`` reads them from the spec's ``usermeta``): as SVG,
so that its text is real text (sharp, searchable, readable by screen readers), with the menu
offering only to save the picture (its other entries open websites)."""


def look(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """``chart`` with the dashboard's look: readable fonts, no frame, titles left-aligned,
    drawn as SVG."""
    return (
        chart.configure_axis(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE)
        .configure_legend(labelFontSize=FONT_SIZE - 1, titleFontSize=FONT_SIZE)
        .configure_title(fontSize=FONT_SIZE + 2, anchor="start", subtitleFontSize=FONT_SIZE - 1)
        .configure_view(stroke=None)
        # A white ground keeps the charts readable when the page is switched to dark.
        .properties(usermeta={"embedOptions": EMBED_OPTIONS}, background="white")
    )


def styled(chart: alt.TopLevelMixin) -> Spec:
    """Return ``chart`` with the dashboard's look (:func:`look`) as a checked spec."""
    spec: Spec = look(chart).to_dict()
    return spec


def week_axis(model: DashboardModel) -> alt.X:
    """The x axis of weeks: the whole run, titled with the date week 0 starts."""
    return alt.X(
        "week:Q",
        title=f"Weeks since {model.start_date:%d %b %Y} (weeks)",
        scale=alt.Scale(domain=[0, model.n_weeks], nice=False, zero=True),
    )


def partner_axis(model: DashboardModel) -> alt.Y:
    """The y axis of partners, in the scenario's order, every partner shown from week 0."""
    names = list(model.partnership.names)
    return alt.Y(
        "partner:N",
        sort=names,
        scale=alt.Scale(domain=names),
        title=None,
        axis=alt.Axis(labelLimit=170),
    )


def week_note(model: DashboardModel) -> str:
    """Where the live run is, for chart subtitles."""
    return f"Week {model.week} of {model.n_weeks}."


# --- recording share --------------------------------------------------------------------------

SHARE_NUMBERS = ("week", "end", "percent", "recorded", "handled", "live")
"""Numeric columns of the recording share chart's data."""


def share_template(model: DashboardModel) -> Spec:
    """Heatmap of each partner's recording share per week (viridis), grey before go-live."""
    base = alt.Chart(named_data("live", SHARE_NUMBERS)).encode(
        x=week_axis(model), x2="end:Q", y=partner_axis(model)
    )
    live = (
        base.transform_filter("datum.live == 1")
        .mark_rect()
        .encode(
            color=alt.Color(
                "percent:Q",
                title=f"Cases recorded, last {ROLLING_WEEKS} weeks (%)",
                scale=alt.Scale(scheme=palette.SEQUENTIAL, domain=[0, 100]),
                legend=alt.Legend(
                    orient="bottom", direction="horizontal", gradientLength=160, titleLimit=320
                ),
            ),
            tooltip=[
                alt.Tooltip("partner:N", title="Partner"),
                alt.Tooltip("week:Q", title="Week"),
                alt.Tooltip(
                    "percent:Q", title=f"Recorded, last {ROLLING_WEEKS} weeks (%)", format=".0f"
                ),
                alt.Tooltip("recorded:Q", title="Recorded this week (cases)"),
                alt.Tooltip("handled:Q", title="Handled this week (cases)"),
            ],
        )
    )
    waiting = (
        base.transform_filter("datum.live == 0")
        .mark_rect(color=palette.LIGHT_GREY)
        .encode(
            tooltip=[alt.Tooltip("partner:N", title="Partner"), alt.Tooltip("week:Q", title="Week")]
        )
    )
    chart = alt.layer(waiting, live).properties(
        width="container",
        height=CHART_HEIGHT,
        title=alt.TitleParams("Recording share by partner", subtitle=""),
    )
    return styled(chart)


def _weeks(frame: pd.DataFrame, **columns: object) -> pd.DataFrame:
    """A partner-by-week table for a heatmap: each row spans ``week`` to ``end``."""
    return pd.DataFrame(
        {"week": frame["week"], "end": frame["week"] + 1, "partner": frame["partner"], **columns}
    )


def share_spec(model: DashboardModel, template: Spec | None = None) -> Spec:
    """The recording share chart of ``model`` as it stands."""
    frame = model.history()
    table = _weeks(
        frame,
        percent=100.0 * frame["rolling_share"],
        recorded=frame["recorded"],
        handled=frame["handled"],
        live=frame["live"],
    )
    subtitle = "Share of ASB cases put on the shared system. Grey: not live yet."
    return fill(template or share_template(model), {"live": table}, subtitle)


# --- buy-in -----------------------------------------------------------------------------------

OTHERS = "Other partners"


def buy_in_template(model: DashboardModel, selected: str) -> Spec:
    """Lines of every partner's buy-in, ``selected`` in blue and thick, the others grey."""
    order = [selected, OTHERS]
    chart = (
        alt.Chart(named_data("live", ("week", "buy_in")))
        .mark_line()
        .encode(
            x=week_axis(model),
            y=alt.Y("buy_in:Q", title="Agency buy-in (0 to 1)", scale=alt.Scale(domain=[0, 1])),
            detail="partner:N",
            color=alt.Color(
                "picked:N",
                title=None,
                scale=alt.Scale(domain=order, range=[palette.BLUE, palette.GREY]),
                legend=alt.Legend(orient="bottom"),
            ),
            strokeWidth=alt.condition("datum.rank == 1", alt.value(3.0), alt.value(1.2)),
            order=alt.Order("rank:Q"),
            tooltip=[
                alt.Tooltip("partner:N", title="Partner"),
                alt.Tooltip("week:Q", title="Week"),
                alt.Tooltip("buy_in:Q", title="Buy-in", format=".2f"),
            ],
        )
        .properties(
            width="container",
            height=CHART_HEIGHT,
            title=alt.TitleParams("Agency buy-in", subtitle=""),
        )
    )
    return styled(chart)


def buy_in_spec(model: DashboardModel, selected: str, template: Spec | None = None) -> Spec:
    """The buy-in chart of ``model`` as it stands, ``selected`` picked out."""
    frame = model.history()
    picked = frame["partner"] == selected
    # The picked partner's line is drawn last, on top of the others.
    table = pd.DataFrame(
        {
            "week": frame["week"],
            "partner": frame["partner"],
            "buy_in": frame["buy_in"],
            "picked": np.where(picked, selected, OTHERS),
        }
    ).assign(rank=np.where(picked, 1, 0))
    subtitle = [
        "Commitment to the project, 0 (none) to 1 (full).",
        f"{selected} highlighted: pick a partner in the explanation panel.",
    ]
    return fill(template or buy_in_template(model, selected), {"live": table}, subtitle)


# --- interfaces -------------------------------------------------------------------------------


def interface_template(model: DashboardModel) -> Spec:
    """Each partner's interface stage (none, considering, building, live) week by week."""
    chart = (
        alt.Chart(named_data("live", ("week", "end")))
        .mark_rect()
        .encode(
            x=week_axis(model),
            x2="end:Q",
            y=partner_axis(model),
            color=alt.Color(
                "interface:N",
                title="Interface",
                scale=alt.Scale(
                    domain=list(palette.INTERFACE_NAMES),
                    range=[palette.INTERFACE_COLOURS[n] for n in palette.INTERFACE_NAMES],
                ),
                legend=alt.Legend(orient="bottom", direction="horizontal", columns=2),
            ),
            tooltip=[
                alt.Tooltip("partner:N", title="Partner"),
                alt.Tooltip("week:Q", title="Week"),
                alt.Tooltip("interface:N", title="Interface"),
            ],
        )
        .properties(
            width="container",
            height=CHART_HEIGHT,
            title=alt.TitleParams("Interface into the shared system", subtitle=""),
        )
    )
    return styled(chart)


def interface_spec(model: DashboardModel, template: Spec | None = None) -> Spec:
    """The interface chart of ``model`` as it stands."""
    frame = model.history()
    table = _weeks(frame, interface=frame["interface"])
    subtitle = "A live link from a partner's own system ends double keying."
    return fill(template or interface_template(model), {"live": table}, subtitle)


# --- network ----------------------------------------------------------------------------------

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


def network_tables(model: DashboardModel) -> tuple[pd.DataFrame, pd.DataFrame]:
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
            "interface": [palette.INTERFACE_NAMES[int(s)] for s in model.state.interface[0]],
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
        color=alt.Color(
            "interface:N",
            title="Interface",
            scale=alt.Scale(
                domain=list(palette.INTERFACE_NAMES),
                range=[palette.INTERFACE_COLOURS[n] for n in palette.INTERFACE_NAMES],
            ),
            legend=alt.Legend(orient="bottom", direction="horizontal", columns=2),
        ),
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
    chart = alt.layer(*layers).properties(
        width="container",
        height=CHART_HEIGHT,
        title=alt.TitleParams("Who looks at whose records", subtitle=""),
    )
    return styled(chart)


def network_spec(model: DashboardModel, template: Spec | None = None) -> Spec:
    """The network chart of ``model`` as it stands."""
    nodes, edges = network_tables(model)
    subtitle = (
        [
            f"Line width: records one partner viewed of the other's, weeks 0 to {model.week}.",
            "Circle size: ASB cases a week.",
        ]
        if len(edges)
        else ["No partner has viewed another's records yet:", "step or play the run."]
    )
    tables = {"nodes": nodes, "edges": edges} if len(edges) else {"nodes": nodes}
    return fill(template or network_template(len(edges) > 0), tables, subtitle)


# --- panels -----------------------------------------------------------------------------------


@solara.component
def Figure(spec: Spec, classes: list[str] | None = None) -> None:
    """A Vega-Lite chart (what ``solara.FigureAltair`` shows, from a ready spec)."""
    with solara.Column(classes=classes or [], style={"width": "100%"}):
        VegaLite.element(spec=spec)


@solara.component
def SharePanel(model: DashboardModel, controls: Controls) -> None:
    """Recording share per partner over time, with the live run's week counter and a note
    when the levers have moved since the live run was built."""
    controls.tick.get()
    template = solara.use_memo(lambda: share_template(model), [model])
    levers = {name: reactive.value for name, reactive in controls.levers.items()}
    stale = model.differs_from(levers, controls.seed.value)
    with solara.Column(gap="4px", classes=["sharesim-panel", "sharesim-share"]):
        solara.Text(
            f"Live run of {model.settings.scenario}: week {model.week} of {model.n_weeks} "
            f"(week starting {model.week_start():%d %b %Y})",
            classes=["sharesim-week"],
            style={"font-size": "15px", "font-weight": "bold"},
        )
        if model.needs_reset:
            solara.Text(
                "The previous run had finished: press Reset to start this one.",
                classes=["sharesim-needs-reset"],
                style={"font-size": "12px", "color": palette.VERMILLION},
            )
        elif stale:
            solara.Text(
                "Levers or seed changed since this run started: press Reset to run them live "
                "(the ensemble chart already uses them).",
                classes=["sharesim-stale"],
                style={"font-size": "12px", "color": palette.VERMILLION},
            )
        Figure(share_spec(model, template), classes=["sharesim-chart"])


@solara.component
def BuyInPanel(model: DashboardModel, controls: Controls) -> None:
    """Buy-in of every partner over time, the partner picked in the explanation highlighted."""
    controls.tick.get()
    names = list(model.partnership.names)
    selected = controls.partner.value if controls.partner.value in names else names[0]
    template = solara.use_memo(lambda: buy_in_template(model, selected), [model, selected])
    with solara.Column(classes=["sharesim-panel", "sharesim-buy-in"]):
        Figure(buy_in_spec(model, selected, template), classes=["sharesim-chart"])


@solara.component
def InterfacePanel(model: DashboardModel, controls: Controls) -> None:
    """Interface stage of every partner over time."""
    controls.tick.get()
    template = solara.use_memo(lambda: interface_template(model), [model])
    with solara.Column(classes=["sharesim-panel", "sharesim-interface"]):
        Figure(interface_spec(model, template), classes=["sharesim-chart"])


@solara.component
def NetworkPanel(model: DashboardModel, controls: Controls) -> None:
    """The partners as a network weighted by cross-agency views."""
    controls.tick.get()
    templates = solara.use_memo(
        lambda: {True: network_template(True), False: network_template(False)}, []
    )
    with_edges = bool(model.views_network().any())
    with solara.Column(classes=["sharesim-panel", "sharesim-network"]):
        Figure(network_spec(model, templates[with_edges]), classes=["sharesim-chart"])
