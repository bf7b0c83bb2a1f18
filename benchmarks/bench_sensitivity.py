"""End-to-end speed and memory of the standard sensitivity analyses of the replay, against the
bare engine on the same workers.

Runs the standard grouped Sobol analysis (``experiments/sensitivity_sobol_grouped.toml``:
every uncertain input, grouped by the six framework categories, n = 1024, 5 replicates: 40,960
runs) and the standard Morris screening (``experiments/sensitivity_morris.toml``: 121 factors,
40 trajectories, 3 replicates: 14,640 runs) from scratch through the sweep runner on local
worker processes, analyses them and writes their tables, figures and brief, timing each
phase; samples the resident memory of this process and all its workers; and measures the
bare engine on the same workers just before and after each (``pipelines.py``), so that each
analysis's runs per second is reported as a share of the engine's. On a shared machine that
wall-clock share moves with the load; ``*_cpu_share_of_engine`` (the bare engine's CPU time
per run in this process over the analysis's, coordinator and workers together, start-up
included) moves much less.

Run: ``.venv/bin/python benchmarks/bench_sensitivity.py`` (``--n 64 --trajectories 4`` for a
quick look; ``--only sobol`` or ``--only morris``; ``--passes 5`` to run each analysis five
times in a row and report every pass with the median). Prints a table and writes
``results/benchmarks/sensitivity.json``. The machine may be shared: figures are as measured,
with the load average recorded beside them.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines import against_engine, cpu_seconds, engine_cpu_per_run
from record import record

if TYPE_CHECKING:
    import pandas as pd

    from sim.sensitivity import ScenarioEvaluator
    from sim.sensitivity.experiment_file import SensitivityExperiment

# Each worker of a spawned pool runs this script's imports again before its first task, so
# what only the coordinator needs (the analysis, its figures, psutil) is imported where it is
# used: the workers then start as those of ``sharesim sensitivity`` do.

EXPERIMENTS = {
    "sobol": Path("experiments/sensitivity_sobol_grouped.toml"),
    "morris": Path("experiments/sensitivity_morris.toml"),
}
SOBOL_TARGET_SECONDS = 65.0
"""The standard grouped Sobol analysis should finish within this, end to end, on 2 workers."""
SHARE_TARGET = 0.8
"""Each analysis should reach this share of the bare engine's rate on the same workers."""
MEMORY_LIMIT_MIB = 2048.0


class MemorySampler:
    """Largest total resident memory of this process and its descendants, sampled."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    continue
            self.peak_mib = max(self.peak_mib, total / 2**20)
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class TimedEvaluator:
    """The scenario's sweep-runner evaluator, with the wall time of its call recorded."""

    def __init__(self, inner: ScenarioEvaluator) -> None:
        self.inner = inner
        self.seconds = 0.0

    def __call__(self, design: pd.DataFrame, *, replicates: int, seed: int) -> pd.DataFrame:
        start = time.perf_counter()
        frame = self.inner(design, replicates=replicates, seed=seed)
        self.seconds = time.perf_counter() - start
        return frame


def _sized(experiment: SensitivityExperiment, args: argparse.Namespace) -> Any:
    """The experiment's settings, with the sizes given on the command line."""
    from sim.sensitivity import MorrisSettings, SobolSettings

    settings = experiment.settings
    if isinstance(settings, SobolSettings):
        return replace(
            settings, n=args.n or settings.n, replicates=args.replicates or settings.replicates
        )
    if isinstance(settings, MorrisSettings):
        return replace(
            settings,
            trajectories=args.trajectories or settings.trajectories,
            replicates=args.replicates or settings.replicates,
        )
    raise SystemExit(f"{experiment.path}: not a Sobol or Morris experiment")


def analysis_figures(method: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one standard analysis from scratch; its phases, memory and share of the engine."""
    from sim.execution import Execution
    from sim.sensitivity import (
        ScenarioEvaluator,
        SobolSettings,
        morris_analysis,
        sobol_analysis,
    )
    from sim.sensitivity.experiment_file import load_sensitivity_experiment
    from sim.sensitivity.folder import write_result_folder
    from sim.sensitivity.scenario import analysis_pool, scenario_subject

    experiment = load_sensitivity_experiment(EXPERIMENTS[method])
    settings = _sized(experiment, args)
    scenario = experiment.scenario
    done: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix=f"bench-{method}-") as scratch:
        execution = Execution(executor="process", workers=args.workers)
        folder = Path(scratch) / "runs"

        def run() -> int:
            start, cpu = time.perf_counter(), cpu_seconds()
            # As sim.sensitivity.analyse does: one pool, started while the design is drawn,
            # that also estimates the Sobol indices of the outputs side by side.
            with analysis_pool(execution, settings) as pool:
                evaluator = TimedEvaluator(
                    ScenarioEvaluator(scenario, execution, folder, pool=pool)
                )
                common = {
                    "seed": experiment.seed,
                    "subject": scenario_subject(scenario),
                }
                if isinstance(settings, SobolSettings):
                    result = sobol_analysis(
                        experiment.factors, evaluator, settings, executor=pool, **common
                    )
                else:
                    result = morris_analysis(experiment.factors, evaluator, settings, **common)
                done["result"] = result
            done["seconds"] = time.perf_counter() - start
            done["runs"] = evaluator.seconds
            done["analysis"] = done["seconds"] - evaluator.seconds
            # The pool's idle workers exit in the background, as they do for the command line
            # while it writes the results; their CPU time counts once they have ended.
            for worker in multiprocessing.active_children():
                worker.join()
            done["cpu"] = cpu_seconds() - cpu
            return len(done["result"].runs)

        with MemorySampler() as memory:
            engine_cpu = engine_cpu_per_run()
            # End to end is until the analysis returns, without the wait for idle workers.
            rate = replace(against_engine(method, run, args.workers), seconds=done["seconds"])
            engine_cpu = (engine_cpu + engine_cpu_per_run()) / 2
            start = time.perf_counter()
            write_result_folder(done["result"], Path(scratch) / "written")
            writing = time.perf_counter() - start
    return {
        f"{method}_experiment": str(EXPERIMENTS[method]),
        f"{method}_factors": len(experiment.factors),
        f"{method}_replicates": settings.replicates,
        **rate.figures(),
        f"{method}_runs_seconds": round(done["runs"], 1),
        f"{method}_runs_phase_runs_per_second": round(rate.runs / done["runs"], 1),
        f"{method}_analysis_seconds": round(done["analysis"], 1),
        f"{method}_writing_seconds": round(writing, 1),
        f"{method}_peak_memory_mib_all_processes": round(memory.peak_mib, 1),
        f"{method}_cpu_ms_per_run": round(1e3 * done["cpu"] / rate.runs, 2),
        f"{method}_engine_cpu_ms_per_run": round(1e3 * engine_cpu, 2),
        f"{method}_cpu_share_of_engine": round(engine_cpu * rate.runs / done["cpu"], 3),
    }


PASS_FIGURES = ("seconds", "share_of_engine", "cpu_share_of_engine", "engine_runs_per_second")
"""What is reported for every pass when an analysis is run several times."""


def _timed_pass(method: str, args: argparse.Namespace) -> dict[str, Any]:
    """One pass of an analysis (:func:`analysis_figures`), with the load average after it."""
    figures = analysis_figures(method, args)
    figures[f"{method}_load_average_1min"] = round(os.getloadavg()[0], 2)
    return figures


def _over_passes(method: str, passes: list[dict[str, Any]]) -> dict[str, Any]:
    """Every pass's main figures and load, and the figures' median, least and greatest.

    On a shared machine one pass moves with the load on the host; several passes in a row
    show how far. The record's other figures (phases, memory) are the last pass's.
    """

    def each(name: str) -> list[Any]:
        return [p[f"{method}_{name}"] for p in passes]

    summary: dict[str, Any] = {f"{method}_passes": len(passes)}
    for name in PASS_FIGURES:
        values = each(name)
        summary[f"{method}_{name}_each_pass"] = values
        summary[f"{method}_{name}_median"] = round(statistics.median(values), 3)
        summary[f"{method}_{name}_range"] = [min(values), max(values)]
    summary[f"{method}_load_average_1min_each_pass"] = each("load_average_1min")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(EXPERIMENTS), help="one analysis only")
    parser.add_argument("--n", type=int, help="Sobol base points (default: the experiment's)")
    parser.add_argument("--trajectories", type=int, help="Morris trajectories (default: file's)")
    parser.add_argument("--replicates", type=int, help="replicates (default: the experiment's)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--passes",
        type=int,
        default=1,
        help="run each analysis this many times; report each pass and the median",
    )
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks"))
    args = parser.parse_args()
    if args.passes < 1:
        parser.error("--passes must be at least 1")

    load_before = os.getloadavg()[0]
    figures: dict[str, Any] = {"workers": args.workers}
    for method in [args.only] if args.only else list(EXPERIMENTS):
        passes = [_timed_pass(method, args) for _ in range(args.passes)]
        figures.update(passes[-1])
        if len(passes) > 1:
            figures.update(_over_passes(method, passes))
    if "sobol_seconds" in figures:
        figures["sobol_target_seconds"] = SOBOL_TARGET_SECONDS
    figures["share_target"] = SHARE_TARGET
    figures["memory_limit_mib"] = MEMORY_LIMIT_MIB
    figures["load_average_1min_before"] = round(load_before, 2)
    figures["load_average_1min_after"] = round(os.getloadavg()[0], 2)
    record("sensitivity", figures, args.out)


if __name__ == "__main__":
    main()
