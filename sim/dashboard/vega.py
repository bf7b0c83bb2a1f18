"""How the dashboard draws a chart: Vega-Lite specs with the page's look.

Data are filled in per week, and time axes are in calendar dates.

A chart is a template, written with Altair once, plus data that changes every week. The
template's data sources are named; :func:`fill` puts this week's tables in as CSV text.
Building and checking an Altair chart takes tens of milliseconds, and the page redraws every
panel after each step, so only the data is rebuilt per week.

Time: a run's weeks are numbered 1, 2, ... as Mesa counts steps (week ``n`` is the ``n``-th
week run, from ``start + 7 (n - 1)`` days). Data carry the week number only; the spec turns it
into dates (:func:`with_dates`), so every time axis reads in months and years and the tooltip
gives the week and the day it starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import solara
from solara.widgets import VegaLite

Spec = dict[str, Any]
"""A Vega-Lite specification."""

FONT_SIZE = 12
"""Axis label size in pixels: readable at 1280x800."""

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
"""The page draws with Vega-Lite 5 (the asset cache's ``vega-lite@5``); specs say so, or the
page warns that they were written for another version."""

EMBED_OPTIONS: dict[str, Any] = {
    "renderer": "svg",
    "actions": {"export": True, "source": False, "compiled": False, "editor": False},
}
"""How the page draws a chart (``vega-embed`` reads them from the spec's ``usermeta``): as SVG,
so that its text is real text (sharp, searchable, readable by screen readers), with the menu
offering only to save the picture (its other entries open websites)."""


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
    """Make a data source filled later by :func:`fill`; ``numbers`` are parsed as numbers."""
    return alt.Data(
        name=name, format=alt.DataFormat(type="csv", parse={n: "number" for n in numbers})
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


def look(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Give ``chart`` the dashboard's look.

    Readable fonts, no frame, titles left-aligned, drawn as SVG.
    """
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
    spec["$schema"] = VEGA_LITE_SCHEMA
    return spec


# --- time in calendar dates -----------------------------------------------------------------

WEEK_FIELD = "week"
"""The column holding a row's week number (1 for the first week run)."""


def _utc_day(start: date, offset: str) -> str:
    """Make a Vega expression for the UTC day ``offset`` (an expression in days) after ``start``."""
    return f"utc({start.year}, {start.month - 1}, {start.day} + {offset})"


def with_dates[C: alt.Chart](chart: C, start: date) -> C:
    """Give ``chart`` fields computed from :data:`WEEK_FIELD` for a run starting on ``start``.

    ``date`` (the week's first day), ``end`` (the next week's) and ``when`` (hover text such
    as "Week 12, from 20 Jun 2011").
    """
    week = f"datum.{WEEK_FIELD}"
    return chart.transform_calculate(
        date=_utc_day(start, f"7 * ({week} - 1)"),
        end=_utc_day(start, f"7 * {week}"),
    ).transform_calculate(when=f"'Week ' + {week} + ', from ' + utcFormat(datum.date, '%-d %b %Y')")


def utc_ms(day: date) -> int:
    """Milliseconds from the epoch to the start of ``day``, UTC (how Vega holds a date)."""
    return (day - date(1970, 1, 1)).days * 86_400_000


def date_scale(start: date, weeks: int) -> alt.Scale:
    """Make the time scale of a run of ``weeks`` weeks from ``start``, in UTC.

    Its domain is an expression: Vega-Lite 5 reads a literal domain given with both ``x`` and
    ``x2`` (a week's bar) as two domains, and computes an infinite extent for a run with no
    weeks yet; it warns about both.
    """
    end = start + timedelta(weeks=weeks)
    domain = alt.ExprRef(expr=f"[{utc_ms(start)}, {utc_ms(end)}]")
    return alt.Scale(type="utc", domain=domain, nice=False)


TICK_MONTHS = (1, 2, 3, 6, 12)
"""Month steps a time axis may tick at."""


def tick_months(weeks: int, most: int = 7) -> int:
    """Return the smallest step of :data:`TICK_MONTHS` giving at most ``most`` ticks."""
    months = weeks * 7 / 30.44
    return next((step for step in TICK_MONTHS if months / step <= most), TICK_MONTHS[-1])


def time_axis(start: date, weeks: int, title: str | None = None) -> alt.X:
    """Make the x axis of a run: calendar months from ``start`` for ``weeks`` weeks.

    UTC dates, so every browser shows the same days.
    """
    return alt.X(
        "date:T",
        title=title,
        scale=date_scale(start, weeks),
        axis=alt.Axis(
            format="%b %Y",
            labelOverlap=True,
            tickCount=alt.TimeIntervalStep(interval="month", step=tick_months(weeks)),
        ),
    )


def dated_chart(name: str, numbers: tuple[str, ...], start: date, weeks: int) -> alt.Chart:
    """Make a chart of the weekly data source ``name``, dated, on the run's time axis.

    ``numbers`` are the numeric columns besides :data:`WEEK_FIELD`; the chart has the fields
    of :func:`with_dates` and the x axis of :func:`time_axis` for ``weeks`` weeks from ``start``.
    """
    source = named_data(name, (WEEK_FIELD, *numbers))
    return with_dates(alt.Chart(source), start).encode(x=time_axis(start, weeks))


WHEN = alt.Tooltip("when:N", title="Week")
"""The tooltip entry naming a row's week and its first day."""


@solara.component
def Figure(spec: Spec, classes: list[str] | None = None) -> None:
    """Show a Vega-Lite chart (what ``solara.FigureAltair`` shows, from a ready spec)."""
    with solara.Column(classes=classes or [], style={"width": "100%"}):
        VegaLite.element(spec=spec)
