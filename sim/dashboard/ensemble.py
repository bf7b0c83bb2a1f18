"""The ensemble view: many runs of the current setting against many runs of the reference.

When a lever, the scenario, the seed or the posterior switch changes, the panel runs
:data:`REPLICATES` replicates of the new setting on the array engine (one batch, in a
background thread) and draws the median and the 90% band of each :data:`MEASURES` entry week
by week, over the same band for the reference (the Sentinel replay as written). Replicate ``r``
of either uses seed ``run_seed(seed, 0, r)``, so the two differ by the setting, not by luck
(common random numbers).

What the band is: the spread from the model's own randomness (which cases arrive, who records
them, staff turnover, when interfaces are built) at the chosen values. For a scenario with a
posterior (``sentinel_calibrated``) with its switch on, each replicate also draws its parameter
set from it, as ``sharesim run`` does, so the band includes what the evidence leaves uncertain
about those parameters; a lever moved away from the scenario's value is no longer drawn. The
scenario's other uncertain inputs (go-live dates, staff numbers, ...) stay at their defaults.
See ``docs/dashboard.md``.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import altair as alt
import numpy as np
import pandas as pd
import solara
from numpy.typing import NDArray

from sim import palette
from sim.benefit import hours_per_week, mean_latency, weekly_latency
from sim.dashboard.choices import REPLAY, Catalog, DashboardInputError, Settings
from sim.dashboard.help import PanelHeading
from sim.dashboard.levers import LEVERS, lever_label
from sim.dashboard.recent import Recent
from sim.dashboard.state import PageState
from sim.dashboard.vega import WHEN, Figure, Spec, dated_chart, fill, styled
from sim.engine import Trajectory, share_of
from sim.metrics import FINAL_YEAR_WEEKS
from sim.params import PARAMETERS
from sim.run_inputs import RunInputs, simulate_in_order
from sim.scenarios import ScenarioError

REPLICATES = 64
"""Runs per setting: enough for the 5% and 95% quantiles to rest on about three runs each."""

BAND = (0.05, 0.5, 0.95)
"""Quantiles drawn: the 90% band and the median."""

DEBOUNCE_S = 0.15
"""Wait this long after a change before running: a slider being dragged sends many values."""

ENSEMBLE_HEIGHT = 190
"""Height in pixels of the ensemble chart's plotting area."""

WORKING = frozenset(
    {solara.ResultState.STARTING, solara.ResultState.WAITING, solara.ResultState.RUNNING}
)
"""States of a panel's background computation still under way (the panel says it is working)."""

CACHE_SIZE = 32
"""Settings whose results a session keeps (a lever moved back is redrawn at once)."""


@dataclass(frozen=True)
class Measure:
    """A partnership-wide output the ensemble shows week by week, with a summary per run.

    Attributes
    ----------
    key : str
        Its name in a :class:`Band`.
    axis : str
        The chart's y-axis title, with the unit.
    weekly : callable
        Runs' outputs (B runs) to the measure per run and week (B, T), in the axis's unit.
    final : callable
        Runs' outputs to the measure per run over the last year (B,), in the axis's unit.
    summary : str
        What :attr:`final` is, in words, for the caption.
    label : str
        Its name on the panel's switch between measures.
    unit : str
        Written after a number of it in the caption (``"%"``, ``" days"``).
    domain : tuple of float, optional
        Fixed ends of the y axis (None: fitted to the data).
    """

    key: str
    axis: str
    weekly: Callable[[Trajectory], NDArray[np.float64]]
    final: Callable[[Trajectory], NDArray[np.float64]]
    summary: str
    label: str
    unit: str
    domain: tuple[float, float] | None = None


def _final_year_share(trajectory: Trajectory) -> NDArray[np.float64]:
    handled, recorded = trajectory.last_weeks(FINAL_YEAR_WEEKS)
    return 100.0 * share_of(recorded.sum(axis=1), handled.sum(axis=1))


RECORDING_SHARE = Measure(
    key="recording_share",
    axis="Cases recorded, all partners (%)",
    weekly=lambda trajectory: 100.0 * trajectory.partnership_share,
    final=_final_year_share,
    summary="Cases recorded in the last year of the run",
    label="Recording",
    unit="%",
    domain=(0.0, 100.0),
)

LATENCY = Measure(
    key="latency_days",
    axis="Days until partners learn of a case",
    weekly=weekly_latency,
    final=mean_latency,
    summary="Days until partners learned of a case in the last year (DOMAIN.md P13)",
    label="Latency",
    unit=" days",
)

HOURS_SAVED = Measure(
    key="saved_hours",
    axis="Staff hours a week saved, all partners",
    weekly=lambda trajectory: trajectory.saved_hours.sum(axis=2),
    final=lambda trajectory: hours_per_week(trajectory)[1].sum(axis=1),
    summary="Staff hours a week saved against e-mailing every case, last year (P5)",
    label="Hours saved",
    unit=" h",
)

MEASURES: tuple[Measure, ...] = (RECORDING_SHARE, LATENCY, HOURS_SAVED)
"""What the ensemble computes for every setting: what partners record, and what sharing buys
them. The chart shows one at a time (recording first); the panel switches between them."""


@dataclass(frozen=True)
class Quantiles:
    """5%, 50% and 95% quantiles over the replicates of a setting.

    Attributes
    ----------
    low, median, high : float array (T,)
        Per week, in the measure's unit.
    final : tuple of float
        (5%, 50%, 95%) quantiles of the measure's per-run summary.
    """

    low: NDArray[np.float64]
    median: NDArray[np.float64]
    high: NDArray[np.float64]
    final: tuple[float, float, float]


@dataclass(frozen=True)
class Band:
    """Every measure's quantiles over the replicates of one setting.

    Attributes
    ----------
    quantiles : dict of str to Quantiles
        By :attr:`Measure.key`.
    replicates : int
        Runs the quantiles are over.
    seconds : float
        Time the engine took.
    drawn : int
        How many inputs each run drew from the scenario's posterior (0: none).
    """

    quantiles: dict[str, Quantiles]
    replicates: int
    seconds: float
    drawn: int = 0

    def __getitem__(self, measure: Measure) -> Quantiles:
        """Return the band of ``measure``."""
        return self.quantiles[measure.key]

    @property
    def weeks(self) -> int:
        """Weeks in the run."""
        return int(next(iter(self.quantiles.values())).median.shape[0])


def quantiles(measure: Measure, trajectory: Trajectory) -> Quantiles:
    """Return the :data:`BAND` quantiles of ``measure`` over the runs of ``trajectory``."""
    low, median, high = np.nanquantile(measure.weekly(trajectory), BAND, axis=0)
    final = np.quantile(measure.final(trajectory), BAND)
    return Quantiles(low, median, high, (float(final[0]), float(final[1]), float(final[2])))


def run_band(catalog: Catalog, settings: Settings, replicates: int = REPLICATES) -> Band:
    """Run ``replicates`` replicates of ``settings`` on the engine and summarise them."""
    started = time.perf_counter()
    inputs = RunInputs(settings.with_levers(catalog), settings.seed, posterior=settings.posterior)
    try:
        runs = [inputs.prepare(0, r, {}) for r in range(replicates)]
    except ScenarioError as error:
        raise DashboardInputError(str(error)) from error
    trajectory = simulate_in_order(runs, settings.seed)
    return Band(
        quantiles={m.key: quantiles(m, trajectory) for m in MEASURES},
        replicates=replicates,
        seconds=time.perf_counter() - started,
        drawn=0 if inputs.posterior is None else len(inputs.posterior.inputs),
    )


class BandCache:
    """Bands of recently drawn settings, least recently used dropped first (thread-safe).

    One per browser session: the page's background threads read and fill it.
    """

    def __init__(self, catalog: Catalog, size: int = CACHE_SIZE) -> None:
        self._catalog = catalog
        self._bands: Recent[tuple[Settings, int], Band] = Recent(size)
        self.shown: Ensemble | None = None
        """The ensemble last drawn, kept on screen while the next one runs (even when the
        panel is rebuilt, as it is on a change of scenario)."""

    def band(self, settings: Settings, replicates: int = REPLICATES) -> Band:
        """Return the band of ``settings``, running the engine only on a miss."""
        key = (settings, replicates)
        known = self._bands.get(key)
        if known is not None:
            return known
        return self._bands.put(key, run_band(self._catalog, settings, replicates))


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
        First day of week 1 of the setting's scenario.
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

    @property
    def same(self) -> bool:
        """Whether the setting is the reference itself (its band then equals the reference's)."""
        return self.settings == self.reference


def reference_settings(catalog: Catalog, settings: Settings) -> tuple[Settings, str]:
    """Return the reference of ``settings`` and its legend text.

    The replay as written, for the replay and its counterfactuals (same partners); a scenario
    about other partners is compared with itself as written.
    """
    own = catalog.load(settings.scenario).partner_names
    same_partners = REPLAY in catalog.names and catalog.load(REPLAY).partner_names == own
    name = REPLAY if same_partners else settings.scenario
    values = catalog.lever_values(name, LEVERS)
    reference = Settings.checked(catalog, name, settings.seed, values, settings.posterior)
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
    if ensemble.same:
        return "Your setting: the same (levers as written)"
    if ensemble.changed:
        moved = len(ensemble.changed)
        return f"Your setting: {ensemble.settings.scenario}, {moved} lever{'s' * (moved > 1)} moved"
    return f"Your setting: {ensemble.settings.scenario} as written"


def ensemble_frame(ensemble: Ensemble, measure: Measure = RECORDING_SHARE) -> pd.DataFrame:
    """Tidy weekly quantiles of both bands.

    Columns ``role`` (``reference`` or ``setting``), ``series`` (its legend text), ``week``
    (1 for the first week run), ``low``, ``median``, ``high``.
    """
    parts = []
    for role, label, band in (
        ("reference", ensemble.reference_label, ensemble.reference_band),
        ("setting", setting_label(ensemble), ensemble.setting_band),
    ):
        q = band[measure]
        parts.append(
            pd.DataFrame(
                {
                    "role": role,
                    "series": label,
                    "week": np.arange(1, band.weeks + 1),
                    "low": q.low,
                    "median": q.median,
                    "high": q.high,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


BAND_NUMBERS = ("low", "median", "high")
"""Numeric columns of the ensemble chart's data besides the week (:func:`ensemble_frame`)."""


@functools.lru_cache(maxsize=CACHE_SIZE)
def ensemble_template(
    start: date, weeks: int, reference: str, setting: str, measure: Measure
) -> Spec:
    """Make the ensemble chart without its data: median line and 90% band of ``measure``.

    Week by week, for the setting (filled, blue) and the reference (outlined, grey, drawn on
    top so it shows where the two are equal). Built once per legend and run length: building
    and checking a layered chart takes longer than running the engine.
    """
    colour = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=[reference, setting], range=[palette.GREY, palette.BLUE]),
        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=420),
    )
    scale = alt.Scale(domain=list(measure.domain)) if measure.domain else alt.Undefined
    y = alt.Y("low:Q", title=measure.axis, scale=scale)
    base = dated_chart("bands", BAND_NUMBERS, start, weeks).encode(color=colour)
    tooltip = [
        alt.Tooltip("series:N", title="Setting"),
        WHEN,
        alt.Tooltip("median:Q", title="Median", format=".0f"),
        alt.Tooltip("low:Q", title="5% of runs below", format=".0f"),
        alt.Tooltip("high:Q", title="5% of runs above", format=".0f"),
    ]
    mine = base.transform_filter("datum.role == 'setting'")
    theirs = base.transform_filter("datum.role == 'reference'")
    band = mine.mark_area(opacity=0.3).encode(y=y, y2="high:Q", tooltip=tooltip)
    line = mine.mark_line(strokeWidth=2.5).encode(y="median:Q", tooltip=tooltip)
    edges = [
        theirs.mark_line(strokeWidth=1.2, strokeDash=[2, 2]).encode(y=f"{edge}:Q")
        for edge in ("low", "high")
    ]
    median = theirs.mark_line(strokeWidth=2, strokeDash=[6, 3]).encode(
        y="median:Q", tooltip=tooltip
    )
    chart = alt.layer(band, line, *edges, median).properties(
        width="container", height=ENSEMBLE_HEIGHT
    )
    return styled(chart)


def ensemble_chart(ensemble: Ensemble, measure: Measure = RECORDING_SHARE) -> Spec:
    """Make the ensemble chart of ``ensemble`` (:func:`ensemble_template` with its bands)."""
    weeks = max(ensemble.reference_band.weeks, ensemble.setting_band.weeks)
    template = ensemble_template(
        ensemble.start, weeks, ensemble.reference_label, setting_label(ensemble), measure
    )
    return fill(template, {"bands": ensemble_frame(ensemble, measure)})


def _spread(values: tuple[float, float, float], unit: str) -> str:
    low, median, high = values
    return f"{median:.0f}{unit} (90% of runs: {low:.0f}{unit} to {high:.0f}{unit})"


def caption(ensemble: Ensemble, measure: Measure = RECORDING_SHARE) -> str:
    """Say in words what is drawn, and the last year's figure for both settings."""
    moves = "; ".join(
        f"{lever_label(PARAMETERS[name])} {written:g} \u2192 {value:g}"
        for name, value, written in ensemble.changed
    )
    drawn = ensemble.setting_band.drawn
    return (
        f"Lines: median of {ensemble.setting_band.replicates} runs; bands: 90% of runs "
        f"(seed {ensemble.settings.seed}). "
        + (f"Levers moved: {moves}. " if moves else "")
        + (
            f"Each run of your setting draws {drawn} uncertain inputs from the scenario's "
            "posterior, so its band includes what the evidence leaves open about them. "
            if drawn
            else ""
        )
        + (
            "The reference is your setting itself: its outline lies on your band. "
            if ensemble.same
            else ""
        )
        + f"{measure.summary}: your setting "
        f"{_spread(ensemble.setting_band[measure].final, measure.unit)}; "
        f"reference {_spread(ensemble.reference_band[measure].final, measure.unit)}."
    )


def posterior_note(catalog: Catalog, settings: Settings) -> str:
    """For a scenario with a posterior, whether the band includes it; else nothing."""
    if not catalog.has_posterior(settings.scenario):
        return ""
    if settings.posterior:
        return "Posterior on: each run draws its parameters from the calibration's posterior."
    return (
        "Posterior off: every run at the scenario's point estimate, so the band is chance "
        "alone. Switch it on in the sidebar to add what the evidence leaves open."
    )


@solara.component
def EnsemblePanel(state: PageState, cache: BandCache) -> None:
    """Show the ensemble chart, redrawn in a background thread whenever the setting changes."""
    try:
        settings: Settings | None = state.settings()
        problem = ""
    except DashboardInputError as error:
        settings, problem = None, str(error)

    def work(cancel: threading.Event) -> Ensemble | None:
        # A dragged slider sends a burst of values; only the last one is worth running. A
        # newer value sets `cancel` and starts a thread that waits for this one to end.
        if settings is None or cancel.wait(DEBOUNCE_S):
            return None
        return compute_ensemble(state.catalog, settings, cache)

    # Not intrusive: stopping a thread mid-run means tracing every line it runs, which
    # slows the engine by half; a stale run costs at most one run's time instead.
    result = solara.use_thread(work, dependencies=[settings], intrusive_cancel=False)
    shown_key = solara.use_reactive(RECORDING_SHARE.key)
    # Keep the last chart on screen while a newer setting runs (or after a cancelled one).
    if result.value is not None:
        cache.shown = result.value
    ensemble = cache.shown
    busy = result.state in WORKING
    with solara.Column(gap="4px", classes=["sharesim-panel", "sharesim-ensemble"]):
        PanelHeading("ensemble")
        if problem:
            solara.Error(problem, classes=["sharesim-input-error"])
        if result.error is not None:
            solara.Error(f"The ensemble could not be run: {result.error}")
        if ensemble is None:
            solara.Text(f"Running {REPLICATES} replicates of each setting\u2026")
            return
        by_key = {m.key: m for m in MEASURES}
        measure = by_key.get(shown_key.value, RECORDING_SHARE)
        with solara.ToggleButtonsSingle(value=shown_key, dense=True, classes=["sharesim-measures"]):
            for each in MEASURES:
                solara.Button(each.label, value=each.key, text=True)
        Figure(ensemble_chart(ensemble, measure), classes=["sharesim-chart"])
        state_class = "updating" if busy else "ready"
        solara.Text(
            ("Updating\u2026 " if busy else "")
            + caption(ensemble, measure)
            + f" Computed in {ensemble.seconds:.1f} s.",
            classes=["sharesim-ensemble-caption", f"sharesim-ensemble-{state_class}"],
        )
        note = posterior_note(state.catalog, ensemble.settings)
        if note:
            solara.Text(note, classes=["sharesim-caption", "sharesim-posterior-note"])
