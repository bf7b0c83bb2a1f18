"""Charts of the live run over time: recording share, buy-in and interface stage per partner.

Each chart is a template written once per live model, filled with the weeks run so far
(:mod:`sim.dashboard.vega`); every time axis is in calendar dates, the week on hover.
"""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import numpy as np
import pandas as pd
import solara

from sim import palette
from sim.dashboard.help import PanelHeading
from sim.dashboard.live import LiveRun
from sim.dashboard.state import PageState
from sim.dashboard.vega import WHEN, Figure, Spec, dated_chart, fill, styled
from sim.engine import INTERFACE_NAMES
from sim.model import SharingModel
from sim.weeks import TRAILING_WEEKS

CHART_HEIGHT = 200
"""Height in pixels of the plotting area of a panel's chart."""

PROMPT = "Nothing run yet: press Step or \u25b6 in the live run's bar above to run week by week."
"""What an empty chart of the live run says."""


def partner_axis(model: SharingModel) -> alt.Y:
    """Make the y axis of partners, in the scenario's order, every partner shown from week 0."""
    names = list(model.partnership.names)
    return alt.Y(
        "partner:N",
        sort=names,
        scale=alt.Scale(domain=names),
        title=None,
        axis=alt.Axis(labelLimit=170),
    )


def weekly_chart(model: SharingModel, numbers: tuple[str, ...]) -> alt.Chart:
    """Make a chart of the data source ``live`` (weeks of ``model``'s run), on its time axis."""
    return dated_chart("live", numbers, model.start_date, model.n_weeks)


def interface_colour(columns: int) -> alt.Color:
    """Colour by interface stage (none, considering, building, live).

    With a legend at the bottom in ``columns`` columns.
    """
    return alt.Color(
        "interface:N",
        title="Interface",
        scale=alt.Scale(
            domain=list(INTERFACE_NAMES),
            range=[palette.INTERFACE_COLOURS[n] for n in INTERFACE_NAMES],
        ),
        legend=alt.Legend(orient="bottom", direction="horizontal", columns=columns),
    )


def _weeks(frame: pd.DataFrame, **columns: object) -> pd.DataFrame:
    """Make a partner-by-week table: the week, the partner and ``columns``."""
    return pd.DataFrame({"week": frame["week"], "partner": frame["partner"], **columns})


@solara.component
def EmptyPrompt(week: int) -> None:
    """Says how to fill the live run's charts, before the first week is run."""
    if week == 0:
        solara.Text(PROMPT, classes=["sharesim-prompt"])


# --- recording share --------------------------------------------------------------------------

SHARE_NUMBERS = ("percent", "recorded", "handled", "live")
"""Numeric columns of the recording share chart's data (besides the week)."""


def share_template(model: SharingModel) -> Spec:
    """Heatmap of each partner's recording share per week (viridis), grey before go-live."""
    base = weekly_chart(model, SHARE_NUMBERS).encode(x2="end:T", y=partner_axis(model))
    live = (
        base.transform_filter("datum.live == 1")
        .mark_rect()
        .encode(
            color=alt.Color(
                "percent:Q",
                title=f"Cases recorded, last {TRAILING_WEEKS} weeks (%)",
                scale=alt.Scale(scheme=palette.SEQUENTIAL, domain=[0, 100]),
                legend=alt.Legend(
                    orient="bottom", direction="horizontal", gradientLength=160, titleLimit=320
                ),
            ),
            tooltip=[
                alt.Tooltip("partner:N", title="Partner"),
                WHEN,
                alt.Tooltip(
                    "percent:Q", title=f"Recorded, last {TRAILING_WEEKS} weeks (%)", format=".0f"
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
            tooltip=[alt.Tooltip("partner:N", title="Partner"), WHEN],
        )
    )
    chart = alt.layer(waiting, live).properties(width="container", height=CHART_HEIGHT)
    return styled(chart)


def share_spec(run: LiveRun, template: Spec | None = None) -> Spec:
    """Make the recording share chart of ``run`` as it stands."""
    frame = run.history()
    table = _weeks(
        frame,
        percent=100.0 * frame["rolling_share"],
        recorded=frame["recorded"],
        handled=frame["handled"],
        live=frame["live"],
    )
    return fill(template or share_template(run.model), {"live": table})


# --- buy-in -----------------------------------------------------------------------------------

OTHERS = "Other partners"


def buy_in_template(model: SharingModel, selected: str) -> Spec:
    """Lines of every partner's buy-in, ``selected`` in blue and thick, the others grey."""
    order = [selected, OTHERS]
    chart = (
        weekly_chart(model, ("buy_in", "rank"))
        .mark_line()
        .encode(
            y=alt.Y("buy_in:Q", title="Partner buy-in (0 to 1)", scale=alt.Scale(domain=[0, 1])),
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
                WHEN,
                alt.Tooltip("buy_in:Q", title="Buy-in", format=".2f"),
            ],
        )
        .properties(width="container", height=CHART_HEIGHT)
    )
    return styled(chart)


def buy_in_spec(run: LiveRun, selected: str, template: Spec | None = None) -> Spec:
    """Make the buy-in chart of ``run`` as it stands, ``selected`` picked out."""
    frame = run.history()
    picked = frame["partner"] == selected
    # The picked partner's line is drawn last, on top of the others.
    table = _weeks(
        frame,
        buy_in=frame["buy_in"],
        picked=np.where(picked, selected, OTHERS),
        rank=np.where(picked, 1, 0),
    )
    return fill(template or buy_in_template(run.model, selected), {"live": table})


# --- interfaces -------------------------------------------------------------------------------


def interface_template(model: SharingModel) -> Spec:
    """Each partner's interface stage (none, considering, building, live) week by week."""
    chart = (
        weekly_chart(model, ())
        .mark_rect()
        .encode(
            x2="end:T",
            y=partner_axis(model),
            color=interface_colour(columns=4),
            tooltip=[
                alt.Tooltip("partner:N", title="Partner"),
                WHEN,
                alt.Tooltip("interface:N", title="Interface"),
            ],
        )
        .properties(width="container", height=CHART_HEIGHT)
    )
    return styled(chart)


def interface_spec(run: LiveRun, template: Spec | None = None) -> Spec:
    """Make the interface chart of ``run`` as it stands."""
    frame = run.history()
    table = _weeks(frame, interface=frame["interface"])
    return fill(template or interface_template(run.model), {"live": table})


# --- panels -----------------------------------------------------------------------------------


@solara.component
def RunChartPanel(key: str, caption: str, week: int, spec: Spec) -> None:
    """Show a panel of the live run over time.

    Its heading with help, a caption, the prompt while no week is run, and the chart.
    """
    with solara.Column(gap="2px", classes=["sharesim-panel", f"sharesim-{key}"]):
        PanelHeading(key)
        solara.Text(caption, classes=["sharesim-caption"])
        EmptyPrompt(week)
        Figure(spec, classes=["sharesim-chart"])


def partner_week_panel(
    key: str,
    caption: str,
    template_of: Callable[[SharingModel], Spec],
    spec_of: Callable[[LiveRun, Spec], Spec],
) -> Callable[[PageState, int], solara.Element]:
    """Make the component of a partner-by-week chart of the live run.

    The chart's template is built once per model; each step (a new ``tick``) fills in the
    weeks run.
    """

    @solara.component
    def Panel(state: PageState, tick: int) -> None:
        del tick  # a new value (the live run stepped) redraws the panel
        run = state.live.value
        template = solara.use_memo(lambda: template_of(run.model), [run.model])
        RunChartPanel(key, caption, run.model.week, spec_of(run, template))

    return Panel


SharePanel = partner_week_panel(
    "share",
    "Share of ASB cases put on the shared system. Grey: not live yet.",
    share_template,
    share_spec,
)
"""Recording share per partner over the live run."""

InterfacePanel = partner_week_panel(
    "interface",
    "A live link from a partner's own system ends double keying.",
    interface_template,
    interface_spec,
)
"""Interface stage of every partner over time."""


@solara.component
def BuyInPanel(state: PageState, tick: int) -> None:
    """Buy-in of every partner over time, the partner picked in the explanation highlighted."""
    del tick  # a new value (the live run stepped) redraws the panel
    run = state.live.value
    names = list(run.model.partnership.names)
    selected = state.partner.value if state.partner.value in names else names[0]
    template = solara.use_memo(lambda: buy_in_template(run.model, selected), [run.model, selected])
    RunChartPanel(
        "buy-in",
        f"Commitment to the project, 0 (none) to 1 (full). {selected} highlighted: pick a "
        "partner in the explanation panel.",
        run.model.week,
        buy_in_spec(run, selected, template),
    )
