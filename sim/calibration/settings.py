"""How a calibration runs: which inputs it fits, its budget and its seed.

The defaults are the standard calibration of the Sentinel replay (written out in the shipped
``calibration_sentinel`` experiment file, which a test keeps equal to them). An experiment file
is a TOML table of these fields; a bad one is one :class:`SettingsError` line.

Why these inputs (``STANDARD_INPUTS``)
--------------------------------------
A screening wave over all 121 uncertain inputs of ``sentinel_replay`` (Latin hypercube, 600
points) ranked every input by the largest Spearman correlation between it and any target
statistic. The registry parameters with ``|rho| >= 0.15`` are calibrated: baseline
motivation, workload, double keying, buy-in weight, functionality cost, legal risk,
co-location relief, imitation, norm and reciprocity weights, bureaucratic burden, habit
weight and interface build time. Two more are kept because the evidence is about them even
though they barely move the targets: ``interface_consider_rate`` (the registry cites P3 for
it) and ``decision_gain`` (it sets how sharply every decision responds). Everything else
(the other registry parameters, partner sizes, dates and event amounts) is a *nuisance*
input: with ``nuisance = "prior"`` each simulated parameter set draws it from its prior range,
so the posterior of the calibrated inputs averages over what we do not know about them rather
than conditioning on one guess. Every calibration's report lists the screening ranking again
so the choice can be checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.calibration.halving import Schedule
from sim.inputs import FileError, FileFormat, model_tables, read_toml, validation_problems
from sim.limits import MAX_SEED, runs_problem
from sim.params import unknown_parameter
from sim.shipped import EXPERIMENTS, find

NuisanceMode = Literal["prior", "defaults"]
"""How inputs that are not calibrated are set: drawn from their prior range for every
simulated parameter set (marginalised), or held at the scenario's defaults (conditioned)."""

STANDARD_INPUTS: tuple[str, ...] = (
    "decision_gain",
    "evaluation_decide_rate",
    "baseline_motivation",
    "buy_in_weight",
    "norm_weight",
    "reciprocity_weight",
    "habit_weight",
    "double_keying_cost",
    "functionality_cost",
    "legal_risk",
    "bureaucracy_burden",
    "workload_cost",
    "colocation_chasing",
    "interface_consider_rate",
    "interface_buy_in_threshold",
    "interface_success_pull",
    "interface_build_weeks",
)
"""The inputs the standard calibration fits (see the module docstring for why)."""


class SettingsError(FileError):
    """A calibration experiment file or setting that cannot be used."""


Count = Annotated[int, Field(ge=1, le=1_000_000)]
Share = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]


class CalibrationSettings(BaseModel):
    """Budget, inputs and seed of a calibration.

    Attributes
    ----------
    scenario : str, optional
        Scenario to calibrate (name or path); the targets file's scenario when omitted.
    inputs : tuple of str
        Registry parameters to calibrate, each uncertain in the scenario (the scenario's
        other inputs, its dates, sizes and event amounts, are nuisance).
    nuisance : NuisanceMode
        How the scenario's other uncertain inputs are set.
    screening : int
        Points of the screening wave (Latin hypercube).
    screening_replicates : int
        Runs per screening point (at least 2 to estimate the model's noise).
    cutoff : float
        Implausibility above which a screening point is ruled out (3: three-sigma rule).
    particles : int
        Parameter sets per ABC generation after the first.
    generations : int
        Most ABC generations, counting generation 0 (the screening's survivors).
    replicates : int
        Runs per parameter set in ABC.
    quantile : float
        Each generation aims its epsilon at this quantile of the previous generation's
        accepted run distances.
    min_ess : float
        Share of a generation's particles its effective sample size may not fall below
        (epsilon is raised instead of collapsing the population).
    ess_fraction : float
        Stop once the pooled posterior at the floor has an effective sample size of this
        share of a generation's particles (or the generations run out).
    epsilon_floor : float
        Smallest epsilon in tolerances (1: "meets every target within its tolerance"); going
        lower would claim more precision than the tolerances give.
    defensive : float
        Share of each generation's proposals drawn from the (screened) prior rather than
        around the previous population; keeps importance weights bounded.
    kernel : {"diagonal", "local"}
        How proposals perturb the accepted particles: ``diagonal`` (box-truncated Gaussians,
        twice the weighted variance per parameter) or ``local`` (locally optimal covariances
        on the box, Filippi et al. 2013; :mod:`sim.calibration.kernels`).
    coordinate : float
        With the diagonal kernel, the most that a parameter's coordinate is drawn from its
        whole range instead of around the centre: each parameter's share is this times its
        population variance over its prior's (capped at 1), so a parameter the population
        spreads over its range is proposed from its range and one it pins down is perturbed
        locally.
    predictive : int
        Posterior draws in the posterior-predictive check.
    predictive_replicates : int
        Runs per posterior draw in that check.
    best_fit_candidates : int
        Most candidates for the point estimate: the posterior's distinct accepted sets (the
        heaviest ones when there are more).
    best_fit_replicates : int
        Runs per candidate in the first round of the point estimate's selection
        (:mod:`sim.calibration.best_fit`).
    best_fit_keep : float
        Share of a round's candidates that go on to the next round, in (0, 1).
    best_fit_growth : int
        Factor by which each round's runs per candidate grow.
    best_fit_finalists : int
        The selection ends with the round run by this many candidates or fewer; the one
        meeting every target most often over all its runs is the point estimate.
    point_replicates : int
        Runs of the calibrated scenario at its defaults (the point estimate), on seeds of
        their own: the point estimate's joint rate is measured on these, never on the runs
        that chose it.
    defaults_replicates : int
        Runs of the scenario at its own defaults (the uncalibrated replay), to compare the
        joint fit with.
    bootstrap : int
        Bootstrap resamples of the posterior's particles behind every Monte Carlo error and
        every "holds in x% of resamples" in the report.
    trajectories : bool
        Also write every run's weekly trajectories into its stage's folder (for inspection;
        the statistics never need them).
    seed : int
        Seed of everything: the designs, the algorithm and (through derived seeds) every run.
    not_identified_above : float
        A parameter whose posterior 90% interval is wider than this share of its prior 90%
        interval is reported as not identified by the targets.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    scenario: str | None = None
    inputs: Annotated[tuple[str, ...], Field(strict=False, min_length=1)] = STANDARD_INPUTS
    nuisance: NuisanceMode = "defaults"
    screening: Count = 1500
    screening_replicates: Annotated[int, Field(ge=2, le=100)] = 2
    cutoff: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 3.0
    particles: Count = 2500
    generations: Annotated[int, Field(ge=1, le=200)] = 150
    replicates: Annotated[int, Field(ge=1, le=100)] = 1
    quantile: Share = 0.3
    min_ess: Share = 0.002
    ess_fraction: Share = 0.2
    epsilon_floor: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 1.0
    defensive: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.2
    kernel: Literal["diagonal", "local"] = "diagonal"
    coordinate: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.9
    predictive: Count = 1000
    predictive_replicates: Annotated[int, Field(ge=1, le=100)] = 2
    best_fit_candidates: Count = 1000
    best_fit_replicates: Annotated[int, Field(ge=1, le=1000)] = 20
    best_fit_keep: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)] = 0.25
    best_fit_growth: Annotated[int, Field(ge=1, le=10)] = 2
    best_fit_finalists: Annotated[int, Field(ge=1, le=100)] = 3
    point_replicates: Annotated[int, Field(ge=1, le=10_000)] = 1000
    defaults_replicates: Annotated[int, Field(ge=1, le=10_000)] = 1000
    bootstrap: Annotated[int, Field(ge=10, le=10_000)] = 200
    trajectories: bool = False
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 1
    not_identified_above: Share = 0.8

    def __init__(self, **settings: Any) -> None:
        """Check every setting; a bad one is one line (``settings: <field>: <problem>``).

        Raises
        ------
        SettingsError
            An unknown setting (with the closest name) or a bad value, every problem kept.
        """
        try:
            super().__init__(**settings)
        except ValidationError as error:
            raise SettingsError.first("settings", validation_problems(error, FORMAT)) from None

    @field_validator("inputs")
    @classmethod
    def _registry_parameters(cls, inputs: tuple[str, ...]) -> tuple[str, ...]:
        unknown = next(filter(None, map(unknown_parameter, inputs)), None)
        if unknown is not None:
            raise ValueError(
                f"{unknown}; scenario inputs (dates, sizes, event amounts) are not calibrated "
                "but drawn from their ranges (nuisance)"
            )
        repeated = sorted({n for n in inputs if inputs.count(n) > 1})
        if repeated:
            raise ValueError(f"{repeated[0]!r} is listed twice")
        return inputs

    @property
    def planned_runs(self) -> int:
        """Most model runs the calibration can take.

        The screening wave, every ABC generation after the first (the first is the
        screening's plausible points), the posterior-predictive check, the point estimate's
        selection (over at most as many candidates as sets were accepted) and its runs.
        """
        return (
            self.screening * self.screening_replicates
            + self.particles * (self.generations - 1) * self.replicates
            + self.predictive * self.predictive_replicates
            + self.best_fit_runs
            + self.point_replicates
            + self.defaults_replicates
        )

    @property
    def best_fit_runs(self) -> int:
        """Most runs the point estimate's selection can take."""
        candidates = min(
            self.best_fit_candidates,
            self.screening + self.particles * (self.generations - 1),
        )
        return self.best_fit_schedule.runs(candidates)

    @property
    def best_fit_schedule(self) -> Schedule:
        """How the point estimate's selection narrows its candidates, round by round."""
        return Schedule(
            self.best_fit_replicates,
            self.best_fit_keep,
            self.best_fit_growth,
            self.best_fit_finalists,
        )

    def runs_counted(self) -> str:
        """How :attr:`planned_runs` is counted, stage by stage."""
        return (
            f"screening {self.screening:,} x {self.screening_replicates} + ABC "
            f"{self.particles:,} x {self.generations - 1} x {self.replicates} + predictive "
            f"{self.predictive:,} x {self.predictive_replicates} + best fit "
            f"{self.best_fit_runs:,} + point {self.point_replicates:,} + defaults "
            f"{self.defaults_replicates:,}"
        )


FORMAT = FileFormat(fields=model_tables({"": CalibrationSettings}))
"""How a calibration experiment file's validation errors read."""


def settings_from_mapping(
    data: dict[str, object], label: str, *, force: bool = False
) -> CalibrationSettings:
    """Validate settings given as a mapping (a parsed file, or CLI overrides).

    ``force`` accepts more runs than ``sim.limits.CONFIRM_RUNS_ABOVE`` (the command line's
    ``--yes``); never more than ``sim.limits.MAX_RUNS``.
    """
    try:
        settings = CalibrationSettings.model_validate(data)
    except ValidationError as error:
        raise SettingsError.first(label, validation_problems(error, FORMAT)) from None
    problem = runs_problem(settings.planned_runs, force, settings.runs_counted())
    if problem is not None:
        raise SettingsError.at(label, "", problem)
    return settings


def load_settings(path: str | Path, *, force: bool = False) -> CalibrationSettings:
    """Read a calibration experiment file (a TOML table of :class:`CalibrationSettings` fields).

    ``path`` is a shipped experiment's name (``"calibration_sentinel"``) or a file's path
    (:mod:`sim.shipped`); ``force`` is that of :func:`settings_from_mapping`.

    Raises
    ------
    SettingsError
        Missing file, bad TOML, an unknown setting, a bad value or too many runs: one line.
    """
    source, label = find(path, EXPERIMENTS, SettingsError)
    data, _ = read_toml(source, label, SettingsError, what="experiment file")
    return settings_from_mapping(data, label, force=force)
