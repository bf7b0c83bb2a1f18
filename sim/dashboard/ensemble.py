"""The ensemble view: many runs of the current setting against many runs of the replay.

When a lever, the scenario or the seed changes, the panel runs :data:`REPLICATES` replicates of
the new setting on the array engine (one batch, in a background thread) and draws the median
and the 90% band of the partnership's weekly recording share, over the same band for the
Sentinel replay as written. Replicate ``r`` of either uses seed ``run_seed(seed, 0, r)``, so the
two differ by the setting, not by luck (common random numbers).

What the band is: the spread from the model's own randomness (which cases arrive, who records
them, staff turnover, when interfaces are built) at the chosen values. For a scenario with a
posterior (``sentinel_calibrated``) each replicate also draws its parameter set from it, as
``sharesim run`` does, so the band includes what the evidence leaves uncertain about those
parameters; a lever moved away from the scenario's value is no longer drawn. The scenario's
other uncertain inputs (go-live dates, staff numbers, ...) stay at their defaults. See
``docs/dashboard.md``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date

import altair as alt
import numpy as np
import pandas as pd
import solara
from numpy.typing import NDArray

from sim.dashboard import palette
from sim.dashboard.charts import inline_table, look
from sim.dashboard.levers import LEVERS, Controls, lever_label
from sim.dashboard.settings import REPLAY, Catalog, Settings, SettingsError
from sim.engine import share_of
from sim.metrics import FINAL_YEAR_WEEKS
from sim.params import PARAMETERS
from sim.run import RunInputs, simulate_in_order
from sim.scenarios import ScenarioError

REPLICATES = 64
"""Runs per setting: enough for the 5% and 95% quantiles to rest on about three runs each."""

BAND = (0.05, 0.5, 0.95)
"""Quantiles drawn: the 90% band and the median."""

FINAL_WEEKS = FINAL_YEAR_WEEKS
"""The summary under the chart is the recording share over the last year of the run."""

DEBOUNCE_S = 0.15
"""Wait this long after a change before running: a slider being dragged sends many values."""

ENSEMBLE_HEIGHT = 170
"""Height in pixels of the ensemble chart's plotting area."""

CACHE_SIZE = 32
"""Settings whose results a session keeps (a lever moved back is redrawn at once)."""


@dataclass(frozen=True)
class Band:
    """Quantiles of the partnership's weekly recording share over the replicates of a setting.

    Attributes
    ----------
    low, median, high : float array (T,)
        5%, 50% and 95% quantiles per week, as a share (0..1).
    final : tuple of float
        (5%, 50%, 95%) quantiles of each run's share over its last :data:`FINAL_WEEKS` weeks.
    replicates : int
        Runs the quantiles are over.
    seconds : float
        Time the engine took.
    drawn : int
        How many inputs each run drew from the scenario's posterior (0: none).
    """

    low: NDArray[np.float64]
    median: NDArray[np.float64]
    high: NDArray[np.float64]
    final: tuple[float, float, float]
    replicates: int
    seconds: float
    drawn: int = 0

    @property
    def weeks(self) -> int:
        """Weeks in the run."""
        return int(self.median.shape[0])


def run_band(settings: Settings, replicates: int = REPLICATES) -> Band:
    """Run ``replicates`` replicates of ``settings`` on the engine and summarise them."""
    started = time.perf_counter()
    inputs = RunInputs(settings.with_levers(), settings.seed)
    try:
        runs = [inputs.prepare(0, r, {}) for r in range(replicates)]
    except ScenarioError as error:
        raise SettingsError(str(error)) from error
    trajectory = simulate_in_order(runs, settings.seed)
    share = trajectory.partnership_share
    low, median, high = np.quantile(share, BAND, axis=0)
    handled, recorded = trajectory.last_weeks(FINAL_WEEKS)
    final = np.quantile(share_of(recorded.sum(axis=1), handled.sum(axis=1)), BAND)
    return Band(
        low=low,
        median=median,
        high=high,
        final=(float(final[0]), float(final[1]), float(final[2])),
        replicates=replicates,
        seconds=time.perf_counter() - started,
        drawn=0 if inputs.posterior is None else len(inputs.posterior.inputs),
    )


class BandCache:
    """Bands of recently drawn settings, least recently used dropped first (thread-safe).

    One per browser session: the page's background threads read and fill it.
    """

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._bands: OrderedDict[tuple[Settings, int], Band] = OrderedDict()
        self._lock = threading.Lock()
        self.shown: Ensemble | None = None
        """The ensemble last drawn, kept on screen while the next one runs (even when the
        panel is rebuilt, as it is on a change of scenario)."""

    def band(self, settings: Settings, replicates: int = REPLICATES) -> Band:
        """Return the band of ``settings``, running the engine only on a miss."""
        key = (settings, replicates)
        with self._lock:
            if key in self._bands:
                self._bands.move_to_end(key)
                return self._bands[key]
        band = run_band(settings, replicates)
        with self._lock:
            self._bands[key] = band
            while len(self._bands) > self._size:
                self._bands.popitem(last=False)
        return band


@dataclass(frozen=True)
class Ensemble:
    """The current setting's band against the reference band.

    Attributes
    ----------
    settings : Settings
        The setting drawn.
    reference : Settings
        The replay as written (same seed); the setting's own scenario as written when the
        replay is not on offer.
    setting_band, reference_band : Band
        Their bands.
    reference_label : str
        Legend text of the reference.
    changed : tuple of (str, float, float)
        Levers that differ from the scenario as written: name, value, scenario's value.
    start : date
        First day of week 0 of the setting's scenario.
    seconds : float
        Time from the request to the result (engine and cache).
    """

    settings: Settings
    reference: Settings
    setting_band: Band
    reference_band: Band
    reference_label: str
    changed: tuple[tuple[str, float, float], ...]
    start: date
    seconds: float


def reference_settings(catalog: Catalog, settings: Settings) -> tuple[Settings, str]:
    """Return the reference of ``settings`` and its legend text.

    The replay as written, for the replay and its counterfactuals (same partners); a scenario
    about other partners is compared with itself as written.
    """
    own = catalog.load(settings.scenario).partner_names
    same_partners = REPLAY in catalog.names and catalog.load(REPLAY).partner_names == own
    name = REPLAY if same_partners else settings.scenario
    values = catalog.lever_values(name, LEVERS)
    reference = Settings.checked(catalog, name, settings.seed, values)
    return reference, f"Reference: {name} as written"


def compute_ensemble(catalog: Catalog, settings: Settings, cache: BandCache) -> Ensemble:
    """Return the bands of ``settings`` and of its reference (from ``cache`` when there)."""
    started = time.perf_counter()
    reference, label = reference_settings(catalog, settings)
    written = catalog.lever_values(settings.scenario, LEVERS)
    changed = tuple((name, value, written[name]) for name, value in settings.moved(written).items())
    reference_band = cache.band(reference)
    setting_band = cache.band(settings) if settings != reference else reference_band
    return Ensemble(
        settings=settings,
        reference=reference,
        setting_band=setting_band,
        reference_band=reference_band,
        reference_label=label,
        changed=changed,
        start=catalog.load(settings.scenario).start_date,
        seconds=time.perf_counter() - started,
    )


def setting_label(ensemble: Ensemble) -> str:
    """Legend text of the current setting."""
    if ensemble.settings == ensemble.reference:
        return "Your setting: the same (levers as written)"
    if ensemble.changed:
        moved = len(ensemble.changed)
        return f"Your setting: {ensemble.settings.scenario}, {moved} lever{'s' * (moved > 1)} moved"
    return f"Your setting: {ensemble.settings.scenario} as written"


def ensemble_frame(ensemble: Ensemble) -> pd.DataFrame:
    """Tidy weekly quantiles (in %) of both bands: ``series``, ``week``, ``low``, ``median``,
    ``high``."""
    parts = []
    for label, band in (
        (ensemble.reference_label, ensemble.reference_band),
        (setting_label(ensemble), ensemble.setting_band),
    ):
        parts.append(
            pd.DataFrame(
                {
                    "series": label,
                    "week": np.arange(band.weeks),
                    "low": 100.0 * band.low,
                    "median": 100.0 * band.median,
                    "high": 100.0 * band.high,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def ensemble_chart(ensemble: Ensemble) -> alt.TopLevelMixin:
    """Median line and 90% band of the weekly partnership recording share, both settings."""
    frame = ensemble_frame(ensemble)
    series = [ensemble.reference_label, setting_label(ensemble)]
    colours = [palette.GREY, palette.BLUE]
    colour = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=series, range=colours),
        legend=alt.Legend(
            orient="bottom", direction="vertical", labelLimit=420, symbolType="square"
        ),
    )
    weeks = max(ensemble.reference_band.weeks, ensemble.setting_band.weeks)
    x = alt.X(
        "week:Q",
        title=f"Weeks since {ensemble.start:%d %b %Y} (weeks)",
        scale=alt.Scale(domain=[0, weeks]),
    )
    base = alt.Chart(inline_table(frame)).encode(x=x, color=colour)
    tooltip = [
        alt.Tooltip("series:N", title="Setting"),
        alt.Tooltip("week:Q", title="Week"),
        alt.Tooltip("median:Q", title="Median (%)", format=".0f"),
        alt.Tooltip("low:Q", title="5% of runs below (%)", format=".0f"),
        alt.Tooltip("high:Q", title="5% of runs above (%)", format=".0f"),
    ]
    band = base.mark_area(opacity=0.28).encode(
        y=alt.Y(
            "low:Q",
            title="Cases recorded, all partners (%)",
            scale=alt.Scale(domain=[0, 100]),
        ),
        y2="high:Q",
        tooltip=tooltip,
    )
    line = base.mark_line(strokeWidth=2.5).encode(
        y="median:Q",
        strokeDash=alt.StrokeDash(
            "series:N", scale=alt.Scale(domain=series, range=[[6, 3], [1, 0]]), legend=None
        ),
        tooltip=tooltip,
    )
    chart = alt.layer(band, line).properties(width="container", height=ENSEMBLE_HEIGHT)
    return look(chart)


def _percent(values: tuple[float, float, float]) -> str:
    low, median, high = values
    return f"{median:.0%} (90% of runs: {low:.0%} to {high:.0%})"


def caption(ensemble: Ensemble) -> str:
    """What is drawn, and the last year's recording share of both settings, in words."""
    moves = "; ".join(
        f"{lever_label(PARAMETERS[name])} {written:g} \u2192 {value:g}"
        for name, value, written in ensemble.changed
    )
    return (
        f"Lines: median of {ensemble.setting_band.replicates} runs; bands: 90% of runs "
        f"(seed {ensemble.settings.seed}). "
        + (f"Levers moved: {moves}. " if moves else "")
        + (
            f"Each run of your setting draws {ensemble.setting_band.drawn} uncertain inputs "
            "from the scenario's posterior, so its band includes what the evidence leaves "
            "open about them. "
            if ensemble.setting_band.drawn
            else ""
        )
        + f"Cases recorded in the last year of the run: your setting "
        f"{_percent(ensemble.setting_band.final)}; reference "
        f"{_percent(ensemble.reference_band.final)}."
    )


@solara.component
def EnsemblePanel(controls: Controls, cache: BandCache) -> None:
    """The ensemble chart, redrawn in a background thread whenever the setting changes."""
    try:
        settings: Settings | None = controls.settings()
        problem = ""
    except SettingsError as error:
        settings, problem = None, str(error)

    def work(cancel: threading.Event) -> Ensemble | None:
        # A dragged slider sends a burst of values; only the last one is worth running. A
        # newer value sets `cancel` and starts a thread that waits for this one to end.
        if settings is None or cancel.wait(DEBOUNCE_S):
            return None
        return compute_ensemble(controls.catalog, settings, cache)

    # Not intrusive: stopping a thread mid-run means tracing every line it runs, which
    # slows the engine by half; a stale run costs at most one run's time instead.
    result = solara.use_thread(work, dependencies=[settings], intrusive_cancel=False)
    # Keep the last chart on screen while a newer setting runs (or after a cancelled one).
    if result.value is not None:
        cache.shown = result.value
    ensemble = cache.shown
    busy = result.state in (
        solara.ResultState.STARTING,
        solara.ResultState.WAITING,
        solara.ResultState.RUNNING,
    )
    with solara.Column(gap="4px", classes=["sharesim-panel", "sharesim-ensemble"]):
        solara.Text(
            "What the levers do: recording share across all partners",
            style={"font-size": "16px", "font-weight": "bold"},
        )
        if problem:
            solara.Error(problem, classes=["sharesim-input-error"])
        if result.error is not None:
            solara.Error(f"The ensemble could not be run: {result.error}")
        if ensemble is None:
            solara.Text(f"Running {REPLICATES} replicates of each setting\u2026")
            return
        solara.FigureAltair(ensemble_chart(ensemble))
        state = "updating" if busy else "ready"
        solara.Text(
            ("Updating\u2026 " if busy else "")
            + caption(ensemble)
            + f" Computed in {ensemble.seconds:.1f} s.",
            classes=["sharesim-ensemble-caption", f"sharesim-ensemble-{state}"],
            style={"font-size": "12px"},
        )
