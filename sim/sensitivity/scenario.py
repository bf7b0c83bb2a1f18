"""Sensitivity analysis of a scenario: its uncertain inputs as factors, its runs on the sweep.

The runs go through the sweep runner (:func:`sim.sweep.run_design`: durable, resumable,
local or on Dask).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.engine import Trajectory
from sim.execution import Execution
from sim.metrics import summary_metrics
from sim.provenance import scenario_reference
from sim.scenarios import Scenario
from sim.sensitivity.analysis import Subject, morris_analysis, sobol_analysis
from sim.sensitivity.factors import Factor, Level, narrow, scenario_factors
from sim.sensitivity.methods import (
    DEFAULT_OUTPUTS,
    InputSet,
    MorrisSettings,
    SensitivityError,
    ShapleySettings,
    SobolSettings,
)
from sim.sensitivity.result import SensitivityResult
from sim.sensitivity.shapley_analysis import shapley_analysis
from sim.sweep import ProgressCallback, run_design
from sim.sweep.executors import Executors


def scenario_outputs(scenario: Scenario) -> tuple[str, ...]:
    """Every summary metric a run of ``scenario`` reports (``sim.metrics.summary_metrics``)."""
    a = len(scenario.partner_names)
    whole = np.zeros((0, 1, a), dtype=np.int64)
    real = np.zeros((0, 1, a))
    # An empty batch is enough: the metric columns depend only on the partner names.
    empty_batch = Trajectory(
        names=scenario.partner_names,
        handled=whole,
        recorded=whole,
        buy_in=real,
        interface=whole,
        attitude=real,
        pressure=np.zeros((0, 1)),
        latency_days=real,
        sharing_hours=real,
        saved_hours=real,
        views=np.zeros((0, a, a)),
    )
    return tuple(summary_metrics(empty_batch).columns)


def scenario_subject(scenario: Scenario) -> Subject:
    """Return ``scenario`` as the subject of an analysis: its name, outputs and provenance."""
    return Subject(
        scenario.name,
        scenario_outputs(scenario),
        {
            "scenario": scenario.name,
            "scenario_origin": scenario_reference(scenario),
            "scenario_hash": scenario.content_hash(),
            "partners": list(scenario.partner_names),
        },
    )


@dataclass(frozen=True)
class ScenarioEvaluator:
    """Runs designs of one scenario on the sweep runner (:func:`sim.sweep.run_design`).

    Attributes
    ----------
    scenario : Scenario
        The scenario every design row is a variant of.
    execution : Execution
        Executor, workers, scheduler, chunk size.
    out : Path, optional
        Folder of durable results; an interrupted analysis rerun with the same folder
        resumes, running only what is missing. A temporary folder when omitted.
    progress : callable, optional
        Called with a :class:`sim.sweep.SweepProgress` after each chunk of runs.
    pool : Executors, optional
        Workers already started from ``execution`` and kept by the caller, so that they
        start while the design is drawn (:func:`analyse`); the sweep starts its own without.
    """

    scenario: Scenario
    execution: Execution = field(default_factory=Execution)
    out: Path | str | None = None
    progress: ProgressCallback | None = None
    pool: Executors | None = None

    def __call__(self, design: pd.DataFrame, *, replicates: int, seed: int) -> pd.DataFrame:
        """Run every row of ``design`` ``replicates`` times; one row per run."""
        return run_design(
            self.scenario,
            design,
            replicates=replicates,
            seed=seed,
            out=self.out,
            execution=self.execution,
            progress=self.progress,
            pool=self.pool,
        )


def factors_of(
    scenario: Scenario,
    inputs: Sequence[str] | InputSet = "all",
    bounds: Mapping[str, tuple[float, float]] | None = None,
) -> tuple[Factor, ...]:
    """Return the factors of an analysis of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        Whose uncertain inputs are varied.
    inputs : "all", "parameters" or list of str
        Every uncertain input, only the registry's uncertain parameters, or the named
        inputs (a category name stands for all its inputs).
    bounds : mapping, optional
        Narrower ``(low, high)`` for some inputs, inside their ranges.
    """
    if inputs == "all":
        factors = scenario_factors(scenario)
    elif inputs == "parameters":
        factors = scenario_factors(scenario, scenario_inputs=False)
    elif isinstance(inputs, str):
        raise SensitivityError(
            f"inputs must be 'all', 'parameters' or a list of names, got {inputs!r}"
        )
    else:
        factors = scenario_factors(scenario, list(inputs))
    return narrow(factors, bounds or {})


def analysis_pool(
    execution: Execution, settings: SobolSettings | MorrisSettings | ShapleySettings
) -> Executors:
    """Return the workers of an analysis, to start with ``with``.

    One pool for every stage: its workers start (and import the model) while the design is
    drawn and planned, run the model, then estimate a Sobol analysis's outputs side by side;
    for that they import the estimators as they start, while they would wait anyway, rather
    than at the first estimate, after the runs.
    """
    imports = ("sim.sensitivity.analysis",) if isinstance(settings, SobolSettings) else ()
    return Executors(execution, imports)


def analyse(
    scenario: Scenario | str,
    factors: Sequence[Factor] | None,
    settings: SobolSettings | MorrisSettings | ShapleySettings,
    *,
    seed: int,
    execution: Execution | None = None,
    out: Path | str | None = None,
    progress: ProgressCallback | None = None,
) -> SensitivityResult:
    """Run a Sobol, Shapley or Morris analysis of a scenario on the sweep runner.

    Parameters
    ----------
    factors : sequence of Factor, optional
        What to vary (:func:`factors_of`); every uncertain input when omitted.
    settings : SobolSettings, ShapleySettings or MorrisSettings
        The analysis and its sizes. A Shapley analysis draws the scenario's posterior
        inputs jointly (:func:`sim.sensitivity.dependence.fit_posterior`).

    ``scenario``, ``seed``, ``execution``, ``out`` and ``progress`` are as for :func:`sobol`.
    """
    resolved = Scenario.of(scenario)
    chosen = factors_of(resolved) if factors is None else tuple(factors)
    subject = scenario_subject(resolved)
    options = execution or Execution()
    with analysis_pool(options, settings) as pool:
        evaluate = ScenarioEvaluator(resolved, options, out, progress, pool)
        if isinstance(settings, ShapleySettings):
            return shapley_analysis(
                chosen, evaluate, settings, seed=seed, posterior=resolved.posterior, subject=subject
            )
        if isinstance(settings, SobolSettings):
            return sobol_analysis(
                chosen, evaluate, settings, seed=seed, subject=subject, executor=pool
            )
        return morris_analysis(chosen, evaluate, settings, seed=seed, subject=subject)


def sobol(
    scenario: Scenario | str,
    *,
    seed: int,
    n: int = SobolSettings.n,
    replicates: int = SobolSettings.replicates,
    level: Level = SobolSettings.level,
    inputs: Sequence[str] | InputSet = "all",
    outputs: Sequence[str] = DEFAULT_OUTPUTS,
    second_order: bool = SobolSettings.second_order,
    bootstrap: int = SobolSettings.bootstrap,
    confidence: float = SobolSettings.confidence,
    execution: Execution | None = None,
    out: Path | str | None = None,
    progress: ProgressCallback | None = None,
) -> SensitivityResult:
    """Sobol indices of a scenario's outputs, by framework category or per input.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or the name or path of a scenario file.
    seed : int
        Non-negative seed of the design, the runs and the bootstrap.
    n : int
        Base points, a power of two; the design has ``n (k + 2)`` rows (``k`` = 6 categories
        for the grouped analysis of every input), each run ``replicates`` times.
    replicates : int
        Runs per design row; indices are computed on their mean and the share of variance
        that is run-to-run noise is reported beside them.
    level : {"category", "parameter"}
        Grouped by the six framework categories, or one index per input.
    inputs : "all", "parameters" or list of str
        Every uncertain input of the scenario, only registry parameters, or the named inputs
        (category names stand for all their inputs). Narrow ranges with :func:`factors_of`
        and :func:`analyse`.
    outputs : list of str
        Summary metrics (``sim.metrics``), with ``*`` patterns for per-partner columns.
    second_order : bool
        Also estimate second-order indices.
    bootstrap : int
        Bootstrap resamples for the intervals.
    confidence : float
        Coverage of the intervals.
    execution : Execution, optional
        Executor, workers, scheduler, chunk size (a local process pool by default).
    out : Path or str, optional
        Folder of the runs: rerun with the same folder to resume an interrupted analysis.
    progress : callable, optional
        Called with a :class:`sim.sweep.SweepProgress` after each chunk of runs.

    Examples
    --------
    >>> result = sobol("sentinel_replay", n=1024, seed=3)   # doctest: +SKIP
    >>> result.ranking("share_final_year")                  # doctest: +SKIP
    """
    settings = SobolSettings(
        n=n,
        replicates=replicates,
        level=level,
        outputs=tuple(outputs),
        second_order=second_order,
        bootstrap=bootstrap,
        confidence=confidence,
    )
    return _analyse(scenario, inputs, settings, seed, execution, out, progress)


def shapley(
    scenario: Scenario | str,
    *,
    seed: int,
    n_outer: int = ShapleySettings.n_outer,
    n_inner: int = ShapleySettings.n_inner,
    n_variance: int = ShapleySettings.n_variance,
    replicates: int = ShapleySettings.replicates,
    assignments: Sequence[str] = ShapleySettings.assignments,
    inputs: Sequence[str] | InputSet = "all",
    outputs: Sequence[str] = DEFAULT_OUTPUTS,
    bootstrap: int = ShapleySettings.bootstrap,
    confidence: float = ShapleySettings.confidence,
    execution: Execution | None = None,
    out: Path | str | None = None,
    progress: ProgressCallback | None = None,
) -> SensitivityResult:
    """Shapley effects of a scenario's framework categories, its posterior's inputs joint.

    Parameters
    ----------
    n_outer, n_inner, n_variance : int
        Sizes of the design (:class:`ShapleySettings`): per assignment it has
        ``n_variance + 62 n_outer n_inner`` rows for the six categories.
    assignments : list of str
        Assignments of inputs to categories (:data:`sim.sensitivity.factors.ASSIGNMENTS`),
        each analysed with its own design; blocks that fix the same inputs under several
        are run once (:mod:`sim.sensitivity.shapley_design`).

    The other parameters are as for :func:`sobol`.
    """
    settings = ShapleySettings(
        n_outer=n_outer,
        n_inner=n_inner,
        n_variance=n_variance,
        replicates=replicates,
        assignments=tuple(assignments),
        outputs=tuple(outputs),
        bootstrap=bootstrap,
        confidence=confidence,
    )
    return _analyse(scenario, inputs, settings, seed, execution, out, progress)


def morris(
    scenario: Scenario | str,
    *,
    seed: int,
    trajectories: int = MorrisSettings.trajectories,
    levels: int = MorrisSettings.levels,
    replicates: int = MorrisSettings.replicates,
    level: Level = MorrisSettings.level,
    inputs: Sequence[str] | InputSet = "all",
    outputs: Sequence[str] = DEFAULT_OUTPUTS,
    bootstrap: int = MorrisSettings.bootstrap,
    confidence: float = MorrisSettings.confidence,
    execution: Execution | None = None,
    out: Path | str | None = None,
    progress: ProgressCallback | None = None,
) -> SensitivityResult:
    """Morris screening of a scenario's outputs, per input or by framework category.

    Parameters
    ----------
    trajectories : int
        One-at-a-time paths; the design has ``trajectories (k + 1)`` rows.
    levels : int
        Grid levels per input (even).

    The other parameters are as for :func:`sobol`.
    """
    settings = MorrisSettings(
        trajectories=trajectories,
        levels=levels,
        replicates=replicates,
        level=level,
        outputs=tuple(outputs),
        bootstrap=bootstrap,
        confidence=confidence,
    )
    return _analyse(scenario, inputs, settings, seed, execution, out, progress)


def _analyse(
    scenario: Scenario | str,
    inputs: Sequence[str] | InputSet,
    settings: SobolSettings | MorrisSettings | ShapleySettings,
    seed: int,
    execution: Execution | None,
    out: Path | str | None,
    progress: ProgressCallback | None,
) -> SensitivityResult:
    """Analyse ``scenario`` over ``inputs`` as ``settings`` say (for sobol, shapley, morris)."""
    resolved = Scenario.of(scenario)
    return analyse(
        resolved,
        factors_of(resolved, inputs),
        settings,
        seed=seed,
        execution=execution,
        out=out,
        progress=progress,
    )
