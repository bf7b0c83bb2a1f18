"""Sensitivity analysis of a scenario: its uncertain inputs as factors, its runs on the
sweep runner (:func:`sim.sweep.run_design`: durable, resumable, local or on Dask)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.sensitivity.analysis import morris_analysis, sobol_analysis
from sim.sensitivity.factors import Factor, Level, scenario_factors
from sim.sensitivity.result import SensitivityResult
from sim.sensitivity.settings import (
    DEFAULT_OUTPUTS,
    Execution,
    InputSet,
    MorrisSettings,
    SensitivityError,
    SobolSettings,
)

if TYPE_CHECKING:
    from sim.scenarios import Scenario


def scenario_outputs(scenario: Scenario) -> tuple[str, ...]:
    """Every summary metric a run of ``scenario`` reports (``sim.metrics.summary_metrics``)."""
    from sim.engine import Trajectory
    from sim.metrics import summary_metrics

    a = len(scenario.partner_names)
    whole = np.zeros((0, 1, a), dtype=np.int64)
    real = np.zeros((0, 1, a))
    # An empty batch is enough: the metric columns depend only on the partner names.
    empty_batch = Trajectory(
        scenario.partner_names,
        whole,
        whole,
        real,
        whole,
        real,
        np.zeros((0, 1)),
        np.zeros((0, a, a)),
    )
    return tuple(summary_metrics(empty_batch).columns)


@dataclass(frozen=True)
class ScenarioEvaluator:
    """Runs designs of one scenario on the sweep runner (:func:`sim.sweep.run_design`).

    Attributes
    ----------
    scenario : Scenario
        The scenario every design row is a variant of.
    execution : Execution
        Executor, workers, durable results folder, progress.
    """

    scenario: Scenario
    execution: Execution = field(default_factory=Execution)

    def __call__(self, design: pd.DataFrame, *, replicates: int, seed: int) -> pd.DataFrame:
        """Run every row of ``design`` ``replicates`` times; one row per run."""
        from sim.sweep import run_design

        options = self.execution
        return run_design(
            self.scenario,
            design,
            replicates=replicates,
            seed=seed,
            out=options.out,
            executor=options.executor,
            workers=options.workers,
            scheduler=options.scheduler,
            chunk_size=options.chunk_size,
            progress=options.progress,
        )


def _scenario(scenario: Scenario | str) -> Scenario:
    from sim.scenarios import Scenario

    return Scenario.load(scenario) if isinstance(scenario, str) else scenario


def _factors_of(scenario: Scenario, inputs: Sequence[str] | InputSet) -> tuple[Factor, ...]:
    if inputs == "all":
        return scenario_factors(scenario)
    if inputs == "registry":
        return scenario_factors(scenario, scenario_inputs=False)
    if isinstance(inputs, str):
        raise SensitivityError(
            f"inputs must be 'all', 'registry' or a list of names, got {inputs!r}"
        )
    return scenario_factors(scenario, list(inputs))


def sobol(
    scenario: Scenario | str,
    *,
    seed: int,
    n: int = 1024,
    replicates: int = 5,
    level: Level = "category",
    inputs: Sequence[str] | InputSet = "all",
    outputs: Sequence[str] = DEFAULT_OUTPUTS,
    second_order: bool = False,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    execution: Execution | None = None,
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
    inputs : "all", "registry" or list of str
        Every uncertain input of the scenario, only registry parameters, or the named inputs
        (category names stand for all their inputs).
    outputs : list of str
        Summary metrics (``sim.metrics``), with ``*`` patterns for per-partner columns.
    second_order : bool
        Also estimate second-order indices.
    bootstrap : int
        Bootstrap resamples for the intervals.
    confidence : float
        Coverage of the intervals.
    execution : Execution, optional
        Executor, workers, durable results folder (to resume), progress.

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
    resolved = _scenario(scenario)
    return sobol_analysis(
        _factors_of(resolved, inputs),
        ScenarioEvaluator(resolved, execution or Execution()),
        settings,
        seed=seed,
        subject=resolved.name,
        available_outputs=scenario_outputs(resolved),
        provenance={"scenario": resolved.name, "scenario_hash": resolved.content_hash()},
    )


def morris(
    scenario: Scenario | str,
    *,
    seed: int,
    trajectories: int = 20,
    levels: int = 4,
    replicates: int = 5,
    level: Level = "parameter",
    inputs: Sequence[str] | InputSet = "all",
    outputs: Sequence[str] = DEFAULT_OUTPUTS,
    bootstrap: int = 1000,
    confidence: float = 0.95,
    execution: Execution | None = None,
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
    resolved = _scenario(scenario)
    return morris_analysis(
        _factors_of(resolved, inputs),
        ScenarioEvaluator(resolved, execution or Execution()),
        settings,
        seed=seed,
        subject=resolved.name,
        available_outputs=scenario_outputs(resolved),
        provenance={"scenario": resolved.name, "scenario_hash": resolved.content_hash()},
    )
