"""The stages of a calibration (screening, ABC generations, checks) on the sweep runner.

One durable folder each, holding each run's target statistics as the workers computed them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.problem import Problem
from sim.calibration.statistics import StageStatistics
from sim.execution import Execution
from sim.sweep import SweepProgress, run_design
from sim.sweep.executors import Executors


@dataclass(frozen=True)
class CalibrationProgress:
    """Where a running calibration stands (passed to a ``progress`` callable).

    Attributes
    ----------
    stage : str
        ``screening``, ``generation 3``, ``posterior predictive``, ``best fit, round 2``,
        ``point estimate`` or ``defaults``.
    done, total : int
        Runs of this stage finished and planned.
    epsilon : float or None
        Epsilon of the last finished generation.
    """

    stage: str
    done: int
    total: int
    epsilon: float | None


ProgressCallback = Callable[[CalibrationProgress], None]


@dataclass(frozen=True)
class StageResult:
    """Target statistics (and per-partner outputs) of one stage's runs, one row per run."""

    runs: pd.DataFrame
    quarterly: np.ndarray | None = None


@dataclass
class StageRunner:
    """Runs designs through :func:`sim.sweep.run_design`, one folder per stage.

    The workers compute each stage's statistics from the trajectories in memory
    (:class:`StageStatistics`); weekly trajectories are written only with ``trajectories``
    (for inspection: ``sim.store.read_trajectories`` on a stage's folder). With ``pool``
    (workers already started) every stage runs on those workers; without it each stage starts
    and stops its own as ``execution`` says.
    """

    problem: Problem
    folder: Path
    execution: Execution
    progress: ProgressCallback | None
    epsilon: float | None = None
    runs: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    trajectories: bool = False
    pool: Executors | None = None

    def stage(
        self,
        name: str,
        label: str,
        design: pd.DataFrame,
        replicates: int,
        seed: int,
        quarterly: bool = False,
    ) -> StageResult:
        """Run a stage (or reuse it when already done) and return its statistics."""
        started = time.perf_counter()
        statistics = StageStatistics(self.problem.statistics, quarterly)
        try:
            frame = run_design(
                self.problem.scenario,
                design,
                replicates=replicates,
                seed=seed,
                out=self.folder / "runs" / name,
                execution=self.execution,
                keep="trajectories" if self.trajectories else "summary",
                progress=self._forward(label, len(design) * replicates),
                statistics=statistics,
                pool=self.pool,
            )
            self.runs += len(frame)
            table, cube = statistics.unpack(frame, self.problem.inputs)
            return StageResult(table, cube)
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def _forward(self, label: str, total: int) -> Callable[[SweepProgress], None] | None:
        """Make the sweep's progress callable: each chunk's progress as this stage's."""
        callback = self.progress
        if callback is None:
            return None
        epsilon = self.epsilon
        callback(CalibrationProgress(label, 0, total, epsilon))

        def forward(status: SweepProgress) -> None:
            callback(CalibrationProgress(label, int(status.done), int(status.total), epsilon))

        return forward
