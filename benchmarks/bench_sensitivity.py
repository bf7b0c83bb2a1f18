"""End-to-end speed and memory of the standard grouped Sobol analysis of the replay.

Runs ``experiments/sensitivity_sobol_grouped.toml`` (every uncertain input, grouped by the six
framework categories, n = 1024, 5 replicates: 40,960 runs) from scratch through the sweep
runner on local worker processes, analyses it and writes tables, figures and the brief, timing
each phase; samples the resident memory of this process and all its workers; and times the
per-agent reference model against the engine on the replay in the same script.

Run: ``.venv/bin/python benchmarks/bench_sensitivity.py`` (``--n 64`` for a quick look).
Prints a table and writes ``results/benchmarks/sensitivity.json``. The machine may be shared:
figures are as measured, with the load average recorded beside them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from record import record
from speed import measure

from sim.sensitivity import Execution, ScenarioEvaluator, SobolSettings, sobol_analysis
from sim.sensitivity.experiment_file import load_sensitivity_experiment
from sim.sensitivity.folder import write_result_folder
from sim.sensitivity.scenario import scenario_outputs

EXPERIMENT = Path("experiments/sensitivity_sobol_grouped.toml")
TARGET_SECONDS = 600.0
AIM_SECONDS = 300.0
MEMORY_LIMIT_MIB = 2048.0


class MemorySampler:
    """Largest total resident memory of this process and its descendants, sampled."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, help="base points (default: the experiment's)")
    parser.add_argument("--replicates", type=int, help="replicates (default: the experiment's)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks"))
    args = parser.parse_args()

    experiment = load_sensitivity_experiment(EXPERIMENT)
    settings = experiment.settings
    if not isinstance(settings, SobolSettings):
        raise SystemExit(f"{EXPERIMENT} is not a Sobol experiment")
    settings = replace(
        settings,
        n=args.n or settings.n,
        replicates=args.replicates or settings.replicates,
    )
    scenario = experiment.scenario
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-sensitivity-") as scratch:
        evaluator = TimedEvaluator(
            ScenarioEvaluator(
                scenario,
                Execution(executor="process", workers=args.workers),
                out=Path(scratch) / "runs",
            )
        )
        with MemorySampler() as memory:
            start = time.perf_counter()
            result = sobol_analysis(
                experiment.factors,
                evaluator,
                settings,
                seed=experiment.seed,
                subject=scenario.name,
                available_outputs=scenario_outputs(scenario),
            )
            analysed = time.perf_counter()
            write_result_folder(result, Path(scratch) / "written")
            written = time.perf_counter()
    wall = written - start
    runs = len(result.runs)

    ratios = measure(scenario.compile())
    figures = {
        "experiment": str(EXPERIMENT),
        "scenario": scenario.name,
        "factors": len(experiment.factors),
        "groups": int(result.indices["factor"].nunique()),
        "n": settings.n,
        "replicates": settings.replicates,
        "outputs": len(result.outputs),
        "design_rows": len(result.design),
        "runs": runs,
        "workers": args.workers,
        "wall_seconds": round(wall, 1),
        "runs_seconds": round(evaluator.seconds, 1),
        "analysis_seconds": round(analysed - start - evaluator.seconds, 1),
        "writing_seconds": round(written - analysed, 1),
        "runs_per_second_end_to_end": round(runs / wall, 1),
        "runs_per_second_runner": round(runs / evaluator.seconds, 1),
        "peak_memory_mib_all_processes": round(memory.peak_mib, 1),
        "memory_limit_mib": MEMORY_LIMIT_MIB,
        "target_seconds": TARGET_SECONDS,
        "aim_seconds": AIM_SECONDS,
        "reference_ms_per_run": round(ratios.reference * 1e3, 2),
        "engine_single_ms_per_run": round(ratios.single * 1e3, 3),
        "engine_batched_ms_per_run": round(ratios.batched * 1e3, 3),
        "engine_vs_reference_single": round(ratios.single_ratio, 1),
        "engine_vs_reference_batched": round(ratios.batched_ratio, 1),
        "pipeline_vs_reference": round(ratios.reference / (wall / runs), 1),
        "ratio_goal": 50.0,
        "noise_share": {k: round(float(v), 4) for k, v in result.noise_share.items()},
        "load_average_1min_before": round(load_before, 2),
        "load_average_1min_after": round(os.getloadavg()[0], 2),
    }
    record("sensitivity", figures, args.out, hide={"noise_share"})
    top = result.ranking("share_final_year")[["rank", "factor", "S1", "ST", "distinguishable"]]
    print(top.to_string(index=False))


if __name__ == "__main__":
    main()
