"""Every pipeline against the bare engine on the same workers.

A pipeline (the sweep runner, Morris screening, grouped Sobol, calibration) is measured by
its runs per second as a share of what the bare engine does on the same number of worker
processes, measured in the same script just before and just after the pipeline (their mean):
a share of 1 means the pipeline costs nothing beyond its simulations, and other work on the
machine slows the pipeline and its control alike.

Shared by ``bench_sweep.py``, ``bench_sensitivity.py`` and ``bench_calibration.py``.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from sim.engine import simulate, stack_parameters
from sim.scenarios import Scenario
from sim.seeds import run_seed

SCENARIO = "sentinel_replay"
WORKERS = 2
BATCH = 64
"""Runs per engine batch of the bare engine (as many as the sweep runner's default)."""


def _engine_batches(first: int, batches: int) -> int:
    """``batches`` engine batches of the replay in a worker process."""
    compiled = Scenario.load(SCENARIO).compile()
    params = stack_parameters([compiled.parameters] * BATCH)
    for batch in range(first, first + batches):
        seeds = [run_seed(1, batch, r) for r in range(BATCH)]
        simulate(compiled.partnership, compiled.schedule, params, seeds)
    return batches * BATCH


def engine_cpu_per_run(batches: int = 4) -> float:
    """CPU seconds per run of the bare engine in this process (best of ``batches`` batches)."""
    compiled = Scenario.load(SCENARIO).compile()
    params = stack_parameters([compiled.parameters] * BATCH)
    simulate(
        compiled.partnership, compiled.schedule, params, [run_seed(0, 0, r) for r in range(BATCH)]
    )
    best = float("inf")
    for batch in range(batches):
        start = time.process_time()
        seeds = [run_seed(1, batch, r) for r in range(BATCH)]
        simulate(compiled.partnership, compiled.schedule, params, seeds)
        best = min(best, (time.process_time() - start) / BATCH)
    return best


def cpu_seconds() -> float:
    """CPU seconds of this process and of its children that have ended (their pools closed)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    ended = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + ended.ru_utime + ended.ru_stime


def engine_rate_on_workers(workers: int = WORKERS, runs: int = 4096, repeats: int = 3) -> float:
    """Runs per second of the bare engine in ``workers`` worker processes (best of
    ``repeats``), started and warmed up before timing: what the machine gives that many
    processes right now, without any pipeline around the engine."""
    per_worker = max(1, runs // (BATCH * workers))
    best = 0.0
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        list(pool.map(_engine_batches, range(workers), [1] * workers))
        for _ in range(repeats):
            start = time.perf_counter()
            done = sum(pool.map(_engine_batches, range(workers), [per_worker] * workers))
            best = max(best, done / (time.perf_counter() - start))
    return best


@dataclass(frozen=True)
class PipelineRate:
    """A pipeline's runs per second beside the bare engine's on the same workers.

    Attributes
    ----------
    pipeline : str
        Its name (``runner``, ``morris``, ``sobol``, ``calibration``).
    runs : int
        Model runs it made.
    seconds : float
        Wall time of the pipeline, end to end (design, runs, analysis; not writing results).
    engine_runs_per_second : float
        The bare engine on the same workers: mean of the rates measured just before and just
        after the pipeline.
    workers : int
        Worker processes of both.
    """

    pipeline: str
    runs: int
    seconds: float
    engine_runs_per_second: float
    workers: int

    @property
    def runs_per_second(self) -> float:
        """The pipeline's runs per second, end to end."""
        return self.runs / self.seconds

    @property
    def share(self) -> float:
        """The pipeline's rate as a share of the bare engine's."""
        return self.runs_per_second / self.engine_runs_per_second

    def figures(self) -> dict[str, Any]:
        """The rate, the engine's and the share, keyed by the pipeline's name."""
        name = self.pipeline
        return {
            f"{name}_runs": self.runs,
            f"{name}_seconds": round(self.seconds, 1),
            f"{name}_runs_per_second": round(self.runs_per_second, 1),
            f"{name}_engine_runs_per_second": round(self.engine_runs_per_second, 1),
            f"{name}_share_of_engine": round(self.share, 3),
        }


def against_engine(
    pipeline: str, run: Callable[[], int], workers: int = WORKERS, engine_runs: int = 4096
) -> PipelineRate:
    """Run ``run`` (which returns the number of model runs it made) between two measurements
    of the bare engine on ``workers`` processes."""
    before = engine_rate_on_workers(workers, engine_runs)
    start = time.perf_counter()
    runs = run()
    seconds = time.perf_counter() - start
    after = engine_rate_on_workers(workers, engine_runs)
    return PipelineRate(pipeline, runs, seconds, (before + after) / 2, workers)
