"""Where does it tip: one lever swept across its range, its response curve and tipping point.

On request, the panel runs :data:`REPLICATES` replicates at each of :data:`LEVELS` values of
the lever across the parameter registry's range, with the page's other settings (scenario,
seed, the other levers, the posterior switch), as one engine batch. Replicate ``r`` at every
level uses seed ``run_seed(seed, 0, r)`` (common random numbers, as ``sharesim run`` and the
ensemble use), so the curve moves with the lever, not with luck. The curve and its tipping
point are :mod:`sim.tipping`'s: the median and the 90% interval of the runs at each level, and
the largest jump between adjacent levels with its bootstrap interval. See
``docs/dashboard.md``.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd
import solara
from numpy.typing import NDArray

from sim import palette
from sim.dashboard.choices import Catalog, DashboardInputError, Settings, slider_step
from sim.dashboard.ensemble import CACHE_SIZE, MEASURES, RECORDING_SHARE, WORKING, Measure
from sim.dashboard.help import PanelHeading
from sim.dashboard.levers import LEVERS, lever_label
from sim.dashboard.recent import Recent
from sim.dashboard.state import PageState
from sim.dashboard.vega import Figure, Spec, fill, named_data, styled
from sim.params import PARAMETERS
from sim.run_inputs import RunInputs, simulate_in_order
from sim.scenarios import ScenarioError
from sim.tipping import SHARP, Jump, largest_jump, response

LEVELS = 9
"""Values of the lever swept, evenly spread over its registry range, ends included."""

REPLICATES = 16
"""Runs at each level: a few hundred runs in all, about a second of engine time."""

CURVE_HEIGHT = 190
"""Height in pixels of the response curve's plotting area."""

BUTTON = "Where does it tip?"
"""The button that runs the sweep."""


def sweep_levels(lever: str, count: int = LEVELS) -> tuple[float, ...]:
    """Return ``count`` values of ``lever`` from the low to the high end of its registry range.

    Evenly spread, each on its slider's grid (so a level reads as a slider position).
    """
    param = PARAMETERS[lever]
    step = slider_step(param)
    raw = np.linspace(param.low, param.high, count)
    snapped = np.minimum(param.low + np.round((raw - param.low) / step) * step, param.high)
    return tuple(float(round(v, 10)) for v in dict.fromkeys(snapped))


def swept_settings(catalog: Catalog, settings: Settings, lever: str) -> Settings:
    """Return ``settings`` with ``lever`` at its scenario's value.

    The sweep sets that lever itself, so where the slider stands does not change the sweep:
    settings differing only in it share one sweep.
    """
    written = catalog.lever_values(settings.scenario, LEVERS)
    values = {**settings.lever_values, lever: written[lever]}
    return Settings.checked(catalog, settings.scenario, settings.seed, values, settings.posterior)


@dataclass(frozen=True)
class Sweep:
    """The runs of one lever's sweep, summarised per run for every :data:`MEASURES` entry.

    Attributes
    ----------
    lever : str
        The lever swept (a registry name).
    levels : tuple of float
        Its values, increasing.
    outputs : dict of str to float array (levels, replicates)
        Each measure's per-run summary (:attr:`Measure.final`), by :attr:`Measure.key`.
    settings : Settings
        The settings swept (the lever at its scenario's value: :func:`swept_settings`).
    seconds : float
        Time the engine took.
    """

    lever: str
    levels: tuple[float, ...]
    outputs: dict[str, NDArray[np.float64]]
    settings: Settings
    seconds: float

    @property
    def replicates(self) -> int:
        """Runs at each level."""
        return int(next(iter(self.outputs.values())).shape[1])

    @property
    def runs(self) -> int:
        """Runs in all."""
        return len(self.levels) * self.replicates

    def frame(self, measure: Measure = RECORDING_SHARE) -> pd.DataFrame:
        """One row per run: the lever's value (column named after it) and ``measure``."""
        values = self.outputs[measure.key]
        return pd.DataFrame(
            {
                self.lever: np.repeat(self.levels, values.shape[1]),
                measure.key: values.ravel(),
            }
        )

    def curve(self, measure: Measure = RECORDING_SHARE) -> pd.DataFrame:
        """Return the response curve of ``measure``: ``level``, ``median``, ``low``, ``high``."""
        return response(self.frame(measure), self.lever, measure.key, by=())

    def jump(self, measure: Measure = RECORDING_SHARE) -> Jump | None:
        """Return the largest jump of ``measure``'s curve between adjacent levels."""
        return largest_jump(self.levels, list(self.outputs[measure.key]))


def run_sweep(
    catalog: Catalog,
    settings: Settings,
    lever: str,
    levels: tuple[float, ...] | None = None,
    replicates: int = REPLICATES,
) -> Sweep:
    """Run ``replicates`` replicates of ``settings`` at each of ``levels`` of ``lever``.

    ``levels`` defaults to :func:`sweep_levels`. One engine batch; run ``r`` at every level
    has the seed of replicate ``r`` of ``sharesim run`` with the same seed.
    """
    started = time.perf_counter()
    at = levels or sweep_levels(lever)
    inputs = RunInputs(settings.with_levers(catalog), settings.seed, posterior=settings.posterior)
    try:
        runs = [inputs.prepare(0, r, {lever: level}) for level in at for r in range(replicates)]
    except ScenarioError as error:
        raise DashboardInputError(str(error)) from error
    trajectory = simulate_in_order(runs, settings.seed)
    return Sweep(
        lever=lever,
        levels=at,
        outputs={m.key: m.final(trajectory).reshape(len(at), replicates) for m in MEASURES},
        settings=settings,
        seconds=time.perf_counter() - started,
    )


class SweepCache:
    """Sweeps of recently asked settings and levers, least recently used dropped first.

    One per browser session (thread-safe: the page's background thread fills it).
    """

    def __init__(self, catalog: Catalog, size: int = CACHE_SIZE) -> None:
        self._catalog = catalog
        self._sweeps: Recent[tuple[Settings, str], Sweep] = Recent(size)
        self.shown: Sweep | None = None
        """The sweep last drawn, kept on screen (marked) once the settings move on."""

    def peek(self, settings: Settings, lever: str) -> Sweep | None:
        """Return the sweep of ``lever`` at ``settings`` if it has been run, without running it."""
        return self._sweeps.get((swept_settings(self._catalog, settings, lever), lever))

    def sweep(self, settings: Settings, lever: str) -> Sweep:
        """Return the sweep of ``lever`` at ``settings``, running the engine only on a miss."""
        swept = swept_settings(self._catalog, settings, lever)
        known = self._sweeps.get((swept, lever))
        if known is not None:
            return known
        return self._sweeps.put((swept, lever), run_sweep(self._catalog, swept, lever))


# --- the chart and its words --------------------------------------------------------------------

CURVE_NUMBERS = ("level", "median", "low", "high")
"""Numeric columns of the curve's data."""


@functools.lru_cache(maxsize=CACHE_SIZE)
def curve_template(lever: str, measure: Measure) -> Spec:
    """Make the response curve chart without its data.

    The median (line and points) and the band of 90% of runs over the lever's range (blue),
    the largest jump's interval shaded (orange), the lever's value on the page (dashed grey).
    """
    param = PARAMETERS[lever]
    x_scale = alt.Scale(domain=[param.low, param.high], nice=False)
    x = alt.X("level:Q", title=lever_label(param), scale=x_scale)
    scale = alt.Scale(domain=list(measure.domain)) if measure.domain else alt.Undefined
    tooltip = [
        alt.Tooltip("level:Q", title=lever_label(param), format=".3~g"),
        alt.Tooltip("median:Q", title="Median", format=".3~g"),
        alt.Tooltip("low:Q", title="5% of runs below", format=".3~g"),
        alt.Tooltip("high:Q", title="5% of runs above", format=".3~g"),
    ]
    curve = alt.Chart(named_data("curve", CURVE_NUMBERS)).encode(x=x)
    band = curve.mark_area(opacity=0.3, color=palette.BLUE).encode(
        y=alt.Y("low:Q", title=measure.axis, scale=scale), y2="high:Q", tooltip=tooltip
    )
    line = curve.mark_line(color=palette.BLUE, strokeWidth=2.5, point=True).encode(
        y="median:Q", tooltip=tooltip
    )
    jump = (
        alt.Chart(named_data("jump", ("before", "after")))
        .mark_rect(color=palette.ORANGE, opacity=0.25)
        .encode(x=alt.X("before:Q", scale=x_scale), x2="after:Q")
    )
    yours = (
        alt.Chart(named_data("yours", ("value",)))
        .mark_rule(color=palette.GREY, strokeDash=[4, 3], strokeWidth=1.5)
        .encode(x=alt.X("value:Q", scale=x_scale))
    )
    chart = alt.layer(jump, band, line, yours).properties(width="container", height=CURVE_HEIGHT)
    return styled(chart)


def curve_chart(sweep: Sweep, measure: Measure, value: float) -> Spec:
    """Make the response curve of ``measure`` over ``sweep``, the page's lever ``value`` marked."""
    found = sweep.jump(measure)
    jump = pd.DataFrame(
        {"before": [found.before_level], "after": [found.after_level]}
        if found is not None
        else {"before": [], "after": []}
    )
    tables = {
        "curve": sweep.curve(measure)[list(CURVE_NUMBERS)],
        "jump": jump,
        "yours": pd.DataFrame({"value": [value]}),
    }
    return fill(curve_template(sweep.lever, measure), tables)


def number(value: float, unit: str = "") -> str:
    """Write ``value`` with about three significant figures (whole above 100), then ``unit``."""
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{text}{unit}"


def verdict(jump: Jump) -> str:
    """Say whether ``jump`` is a tipping point, and if not, which test it fails."""
    if jump.tipping:
        return (
            "A tipping point: the jump is real (its interval excludes zero and the runs at the "
            "different values surely differ), sharp and material."
        )
    reasons = []
    if jump.jump_low <= 0 <= jump.jump_high:
        reasons.append("its interval includes zero")
    elif not jump.sharpness >= SHARP:
        reasons.append("the step is not surely twice as steep as the curve on average")
    if jump.by_chance:
        reasons.append(
            f"the runs at the different values may not differ at all (p = {jump.p_value:.2g})"
        )
    return "Not a tipping point: " + ("; ".join(reasons) or "too small to matter") + "."


def describe(sweep: Sweep, measure: Measure) -> str:
    """Say where ``measure`` tips along the sweep: the interval, the jump and its interval."""
    jump = sweep.jump(measure)
    param = PARAMETERS[sweep.lever]
    if jump is None:
        return "One level only: no curve to read."
    unit = measure.unit
    # A difference of two shares in percent is in percentage points, not percent.
    moved = " points" if unit == "%" else unit
    return (
        f"Largest jump between {jump.before_level:g} and {jump.after_level:g} {param.unit} of "
        f"{lever_label(param).split(' (')[0].lower()}: the median moves from "
        f"{number(jump.before, unit)} to {number(jump.after, unit)}, by "
        f"{number(jump.jump, moved)} (90% interval {number(jump.jump_low, moved)} to "
        f"{number(jump.jump_high, moved)}). {verdict(jump)}"
    )


def sweep_caption(sweep: Sweep, measure: Measure) -> str:
    """Say what the chart shows and where its numbers come from."""
    return (
        f"{measure.summary}, at {len(sweep.levels)} values of the lever: median (line) and "
        f"90% of {sweep.replicates} runs at each (band), seed {sweep.settings.seed}; your other "
        f"settings as they are. Orange: the largest jump; dashed: your value. {sweep.runs} runs in "
        f"{sweep.seconds:.1f} s."
    )


@solara.component
def TippingPanel(state: PageState, cache: SweepCache) -> None:
    """Show where the headline output tips along one lever, swept on request."""
    lever = state.swept.value
    shown_key = solara.use_reactive(RECORDING_SHARE.key)
    nothing: tuple[Settings, str] | None = None
    asked, set_asked = solara.use_state(nothing)
    try:
        settings: Settings | None = state.settings()
    except DashboardInputError:
        settings = None  # the ensemble panel says why; the sweep waits for valid settings

    def work(cancel: threading.Event) -> Sweep | None:
        del cancel  # one sweep is short; a newer request waits for it
        return None if asked is None else cache.sweep(*asked)

    result = solara.use_thread(work, dependencies=[asked], intrusive_cancel=False)
    ready = cache.peek(settings, lever) if settings is not None else None
    if ready is not None:
        cache.shown = ready
    sweep = cache.shown
    busy = result.state in WORKING
    by_key = {m.key: m for m in MEASURES}
    measure = by_key.get(shown_key.value, RECORDING_SHARE)
    with solara.Column(gap="4px", classes=["sharesim-panel", "sharesim-tipping"]):
        PanelHeading("tipping")
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Select(
                "Lever swept",
                value=lever_label(PARAMETERS[lever]),
                values=[lever_label(PARAMETERS[n]) for n in LEVERS],
                on_value=lambda label: state.swept.set(_lever_named(label)),
                classes=["sharesim-tipping-lever"],
            )
            with solara.ToggleButtonsSingle(
                value=shown_key, dense=True, classes=["sharesim-tipping-measures"]
            ):
                for each in MEASURES:
                    solara.Button(each.label, value=each.key, text=True)
            if ready is None:
                solara.Button(
                    BUTTON,
                    on_click=lambda: set_asked(None if settings is None else (settings, lever)),
                    disabled=busy or settings is None,
                    color="primary",
                    small=True,
                    classes=["sharesim-tipping-run"],
                )
        if result.error is not None:
            solara.Error(f"The sweep could not be run: {result.error}")
        if busy:
            solara.Text(
                f"Running {LEVELS} \u00d7 {REPLICATES} runs of your setting\u2026",
                classes=["sharesim-caption", "sharesim-tipping-busy"],
            )
        if sweep is None:
            if not busy:
                solara.Text(
                    f"Press \u201c{BUTTON}\u201d to sweep the lever across its range "
                    f"({LEVELS * REPLICATES} runs, about a second).",
                    classes=["sharesim-tipping-prompt"],
                )
            return
        if ready is None:
            solara.Text(
                stale_note(sweep, lever),
                classes=["sharesim-tipping-stale"],
            )
        TippingCurve(sweep, measure, state.levers[sweep.lever].value)


@solara.component
def TippingCurve(sweep: Sweep, measure: Measure, value: float) -> None:
    """Draw the curve of the sweep shown and say what it shows, with ``value`` marked on it.

    A component of its own, drawn only once there is a sweep to show, so that its hook runs
    on every render it is part of (the panel above returns early before any sweep).
    """
    # Redrawn on every lever move while shown: the curve and its bootstrap only when the
    # sweep, the output or the marked value change.
    spec, said = solara.use_memo(
        lambda: (curve_chart(sweep, measure, value), describe(sweep, measure)),
        [id(sweep), measure.key, value],
    )
    Figure(spec, classes=["sharesim-chart"])
    solara.Text(said, classes=["sharesim-tipping-result"])
    solara.Text(sweep_caption(sweep, measure), classes=["sharesim-caption"])


def stale_note(sweep: Sweep, lever: str) -> str:
    """Say that the curve shown is not the sweep of ``lever`` at the page's settings."""
    shown = lever_label(PARAMETERS[sweep.lever])
    if sweep.lever != lever:
        return (
            f"Shown: the sweep of {shown}. Press \u201c{BUTTON}\u201d to sweep "
            f"{lever_label(PARAMETERS[lever])}."
        )
    return (
        f"Swept with other settings than yours now: press \u201c{BUTTON}\u201d to sweep "
        f"{shown} with yours."
    )


def _lever_named(label: str) -> str:
    """Return the registry name of the lever whose label is ``label``."""
    return next(n for n in LEVERS if lever_label(PARAMETERS[n]) == label)
