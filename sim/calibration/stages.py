"""The stages of a calibration (screening, ABC generations, checks) on the sweep runner.

One durable folder each, reduced to the target statistics.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.problem import Problem
from sim.calibration.statistics import partner_statistics, quarterly_share, trajectory_from_rows
from sim.durable import write_parquet
from sim.execution import Execution
from sim.store import read_trajectories
from sim.sweep import SweepProgress, run_design


@dataclass(frozen=True)
class CalibrationProgress:
    """Where a running calibration stands (passed to a ``progress`` callable).

    Attributes
    ----------
    stage : str
        ``screening``, ``generation 3``, ``predictive`` or ``point estimate``.
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
    """Runs designs through :func:`sim.sweep.run_design`, one folder per stage."""

    problem: Problem
    folder: Path
    execution: Execution
    progress: ProgressCallback | None
    epsilon: float | None = None
    runs: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

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
        try:
            frame = run_design(
                self.problem.scenario,
                design,
                replicates=replicates,
                seed=seed,
                out=self.folder / "runs" / name,
                execution=self.execution,
                keep="trajectories",
                progress=self._forward(label, len(design) * replicates),
            )
            self.runs += len(frame)
            cache = self.folder / "runs" / f"{name}.statistics.parquet"
            if cache.exists() and not quarterly:
                cached = pd.read_parquet(cache)
                if list(cached["run_key"]) == list(frame["run_key"]):
                    return StageResult(cached)
            result = self._statistics(name, frame, quarterly)
            write_parquet(cache, result.runs)
            return result
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def _statistics(self, name: str, frame: pd.DataFrame, quarterly: bool) -> StageResult:
        """Compute the target statistics of a stage's runs, read from its trajectories."""
        ok = frame[frame["error"].isna()].reset_index(drop=True)
        rows = read_trajectories(self.folder / "runs" / name, list(ok["run_key"]))
        trajectory = trajectory_from_rows(rows, ok, self.problem.scenario.partner_names)
        statistics = pd.concat(
            [
                ok[["row", "replicate", "run_key"]],
                self.problem.statistics(trajectory),
                partner_statistics(trajectory),
            ],
            axis=1,
        )
        # Failed runs keep their place with undefined statistics (infinitely far).
        result = frame[["row", "replicate", "run_key"]].merge(
            statistics, on=["row", "replicate", "run_key"], how="left"
        )
        return StageResult(result, quarterly_share(trajectory) if quarterly else None)

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
