"""Engine speed against the per-agent reference model, throughput on 2 processes, memory.

Run: ``.venv/bin/python benchmarks/bench_engine.py`` (or ``make bench``). Prints a table and
writes ``results/benchmarks/engine.json``.
"""

from __future__ import annotations

import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from record import record
from speed import engine_runs, measure

from sim.scenarios import Scenario

SCENARIO = "sentinel_replay"
PROCESSES = 2
RUNS_PER_TASK = 64
TASKS = 16


def _task(seed: int) -> int:
    engine_runs(Scenario.load(SCENARIO).compile(), RUNS_PER_TASK, seed)
    return RUNS_PER_TASK


def throughput(processes: int) -> float:
    """Runs per second with ``processes`` worker processes, each running batches of runs."""
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        list(pool.map(_task, range(processes)))  # start workers and compile before timing
        start = time.perf_counter()
        done = sum(pool.map(_task, range(0, TASKS * RUNS_PER_TASK, RUNS_PER_TASK)))
        return done / (time.perf_counter() - start)


def peak_memory_mib() -> dict[str, float]:
    """Peak resident memory of this process and of its largest child (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"coordinator_mib": round(own, 1), "largest_worker_mib": round(children, 1)}


def main() -> None:
    compiled = Scenario.load(SCENARIO).compile()
    ratios = measure(compiled)
    per_second = throughput(PROCESSES)
    memory = peak_memory_mib()
    figures = {
        "scenario": SCENARIO,
        "staff": compiled.partnership.n_staff,
        "agencies": compiled.partnership.n_agencies,
        "weeks": compiled.schedule.n_weeks,
        "reference_ms_per_run": round(ratios.reference * 1e3, 2),
        "engine_single_ms_per_run": round(ratios.single * 1e3, 3),
        "engine_batched_ms_per_run": round(ratios.batched * 1e3, 3),
        "batch_size": ratios.batch_size,
        "single_ratio": round(ratios.single_ratio, 1),
        "batched_ratio": round(ratios.batched_ratio, 1),
        "runs_per_second_1_process": round(1 / ratios.batched, 1),
        f"runs_per_second_{PROCESSES}_processes": round(per_second, 1),
        **memory,
    }
    record("engine", figures)


if __name__ == "__main__":
    main()
