"""Sweep runner: throughput on 2 workers against the engine alone, and memory against size.

Run: ``.venv/bin/python benchmarks/bench_sweep.py`` (or ``make bench``); ``--quick`` for a
smaller budget. Prints a table and writes ``results/benchmarks/sweep.json``.

Figures
-------
engine_runs_per_second
    The engine alone in this process: ``simulate`` on batches of 64 runs of the Sentinel
    replay (no metrics, no files).
runner_runs_per_second
    ``sim.sweep.run_plan`` on 2 worker processes (compile, simulate, summary metrics,
    Parquet, atomic commits), steady state: from the first committed chunk to the last.
    ``runner_end_to_end_runs_per_second`` includes starting the pool.
throughput_ratio
    runner / (2 x engine); target at least 0.8. Wall-clock figures need the two cores to
    themselves: the load average is recorded with them.
runner_over_engine_2_processes
    The runner against the bare engine in 2 processes measured just before it
    (``pipelines.engine_rate_on_workers``): the runner's own cost under whatever else the
    machine is doing; its share of the engine's rate on the same workers.
cpu_efficiency
    Engine CPU seconds per run over the runner's (workers in the steady state plus the
    coordinator): the share of the runner's work that is simulation. Unlike the wall-clock
    ratio it does not depend on what else the machine is doing; the wall-clock ratio on an
    idle machine is about this figure.
peak_mib_small, peak_mib_large, memory_ratio
    Peak resident memory of the coordinator plus its workers (sampled every 20 ms) for a
    sweep of N runs and of 10 N runs; target ratio below 1.5.

Rates are the best of three measurements (the least disturbed by other work on the machine).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
from pipelines import SCENARIO, WORKERS, engine_rate_on_workers
from record import record

from sim.engine import simulate, stack_parameters
from sim.scenarios import Scenario
from sim.seeds import run_seed
from sim.sweep import SweepProgress, make_plan, run_plan

BATCH = 64
REPLICATES = 16
REPEATS = 3
"""Every rate is the best of this many measurements: the one least disturbed by other work."""


def _design(runs: int) -> pd.DataFrame:
    """A parameter sweep of ``runs / REPLICATES`` points over double_keying_cost."""
    rows = max(1, runs // REPLICATES)
    return pd.DataFrame(
        {"double_keying_cost": [0.3 + 2.7 * i / max(rows - 1, 1) for i in range(rows)]}
    )


def engine_rate(runs: int) -> dict[str, float]:
    """Runs per second (wall) and CPU seconds per run of the engine alone, in batches of
    :data:`BATCH`."""
    compiled = Scenario.load(SCENARIO).compile()
    params = stack_parameters([compiled.parameters] * BATCH)
    simulate(compiled.partnership, compiled.schedule, params, [run_seed(0, 0, 0)] * BATCH)
    best, cpu = 0.0, float("inf")
    done = (runs // BATCH) * BATCH
    for repeat in range(REPEATS):
        start, start_cpu = time.perf_counter(), time.process_time()
        for batch in range(runs // BATCH):
            seeds = [run_seed(repeat, batch, r) for r in range(BATCH)]
            simulate(compiled.partnership, compiled.schedule, params, seeds)
        best = max(best, done / (time.perf_counter() - start))
        cpu = min(cpu, (time.process_time() - start_cpu) / done)
    return {"rate": best, "cpu_per_run": cpu}


def _worker_cpu() -> dict[int, float]:
    """CPU seconds so far of each process-pool worker of this process."""
    seconds = {}
    for child in psutil.Process().children():
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                times = child.cpu_times()
                seconds[child.pid] = times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return seconds


def runner_rate(runs: int) -> dict[str, float]:
    """Runs per second of the sweep runner on 2 workers (steady state and end to end) and its
    CPU seconds per run in the steady state (workers) and overall (coordinator)."""
    plan = make_plan([SCENARIO], _design(runs), replicates=REPLICATES, seed=1)
    commits: list[tuple[float, int, dict[int, float]]] = []

    def record(progress: SweepProgress) -> None:
        if progress.done > progress.resumed:
            commits.append((time.perf_counter(), progress.done, _worker_cpu()))

    with tempfile.TemporaryDirectory() as scratch:
        start, start_cpu = time.perf_counter(), time.process_time()
        run_plan(plan, Path(scratch) / "sweep", executor="process", workers=WORKERS,
                 progress=record)  # fmt: skip
        end, coordinator_cpu = time.perf_counter(), time.process_time() - start_cpu
    (first_time, first_done, first_cpu), (last_time, last_done, last_cpu) = commits[0], commits[-1]
    worker_cpu = sum(last_cpu[pid] - first_cpu.get(pid, 0.0) for pid in last_cpu)
    return {
        "runs": plan.total,
        "steady": (last_done - first_done) / (last_time - first_time),
        "end_to_end": plan.total / (end - start),
        "worker_cpu_per_run": worker_cpu / (last_done - first_done),
        "coordinator_cpu_per_run": coordinator_cpu / plan.total,
    }


_MEMORY_SCRIPT = textwrap.dedent(
    """
    import sys
    import pandas as pd
    from sim.sweep import make_plan, run_plan
    runs, replicates, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rows = max(1, runs // replicates)
    design = pd.DataFrame({"double_keying_cost": [0.3 + 2.7 * i / max(rows - 1, 1)
                                                  for i in range(rows)]})
    plan = make_plan(["sentinel_replay"], design, replicates=replicates, seed=2)
    run_plan(plan, out, executor="process", workers=2)
    """
)


def peak_memory_mib(runs: int) -> float:
    """Peak summed RSS (MiB) of a sweep process and its workers, sampled every 20 ms."""
    with tempfile.TemporaryDirectory() as scratch:
        process = subprocess.Popen(
            [sys.executable, "-c", _MEMORY_SCRIPT, str(runs), str(REPLICATES),
             str(Path(scratch) / "sweep")],
            cwd=Path(__file__).resolve().parents[1],
        )  # fmt: skip
        root = psutil.Process(process.pid)
        peak = 0
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                total = 0
                try:
                    for member in [root, *root.children(recursive=True)]:
                        total += member.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
                peak = max(peak, total)
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        code = process.wait()
        stop.set()
        sampler.join()
        if code:
            raise RuntimeError(f"the memory sweep of {runs} runs exited with {code}")
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller budgets (about 30 s)")
    args = parser.parse_args()
    throughput_runs = 2048 if args.quick else 8192
    memory_runs = 512 if args.quick else 2048

    engine = engine_rate(2048 if args.quick else 4096)
    parallel = engine_rate_on_workers(WORKERS, throughput_runs)
    runner = max((runner_rate(throughput_runs) for _ in range(REPEATS)), key=lambda r: r["steady"])
    cpu_per_run = runner["worker_cpu_per_run"] + runner["coordinator_cpu_per_run"]
    small = peak_memory_mib(memory_runs)
    large = peak_memory_mib(10 * memory_runs)
    figures = {
        "scenario": SCENARIO,
        "workers": WORKERS,
        "engine_batch": BATCH,
        "engine_runs_per_second": round(engine["rate"], 1),
        "runner_runs": runner["runs"],
        "runner_runs_per_second": round(runner["steady"], 1),
        "runner_end_to_end_runs_per_second": round(runner["end_to_end"], 1),
        "throughput_ratio": round(runner["steady"] / (WORKERS * engine["rate"]), 3),
        "throughput_ratio_end_to_end": round(runner["end_to_end"] / (WORKERS * engine["rate"]), 3),
        "throughput_target": 0.8,
        "engine_2_processes_runs_per_second": round(parallel, 1),
        "runner_over_engine_2_processes": round(runner["steady"] / parallel, 3),
        "engine_cpu_ms_per_run": round(1e3 * engine["cpu_per_run"], 3),
        "runner_worker_cpu_ms_per_run": round(1e3 * runner["worker_cpu_per_run"], 3),
        "runner_coordinator_cpu_ms_per_run": round(1e3 * runner["coordinator_cpu_per_run"], 3),
        "cpu_efficiency": round(engine["cpu_per_run"] / cpu_per_run, 3),
        "memory_runs_small": memory_runs,
        "memory_runs_large": 10 * memory_runs,
        "peak_mib_small": round(small, 1),
        "peak_mib_large": round(large, 1),
        "memory_ratio": round(large / small, 3),
        "memory_target": 1.5,
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    record("sweep", figures)


if __name__ == "__main__":
    main()
