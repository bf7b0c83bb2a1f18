"""Engine speed against its three anchors and its random-number floor, throughput on 2
processes, memory, and the cost of drawing every run's inputs from a posterior
(``sentinel_calibrated``).

The anchors, timed side by side with the engine in this process (``speed.py``): the per-agent
reference model (the executable specification), an agency-level Mesa model with numpy arrays
of staff (what a competent Mesa user would write) and a whole-array numpy model without Mesa.
The floor is the same random draws as an engine run, made alone in numba from the same
generator: the engine's time over it is what its rules cost beyond drawing.

Run: ``.venv/bin/python benchmarks/bench_engine.py`` (or ``make bench``). Prints a table and
writes ``results/benchmarks/engine.json``.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from record import record
from speed import ANCHORS, engine_runs, measure

from sim.scenarios import Scenario

SCENARIO = "sentinel_replay"
POSTERIOR_SCENARIO = "sentinel_calibrated"
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


def posterior_cost(replicates: int = 256, rounds: int = 3) -> dict[str, float]:
    """Runs per second of ``sim.run.run`` on the calibrated scenario, drawing each run's set
    from its posterior against running all at its defaults, timed in alternation (median).

    Drawing costs the draw itself, a compile per distinct set and smaller engine batches
    (sets with other staff numbers cannot share one)."""
    from sim.run import run

    calibrated = Scenario.load(POSTERIOR_SCENARIO)
    run(calibrated, seed=0, replicates=8)  # compile the kernel before timing
    seconds: dict[bool, list[float]] = {True: [], False: []}
    for round_ in range(rounds):
        for drawn in (True, False):
            start = time.perf_counter()
            run(calibrated, seed=round_, replicates=replicates, posterior=drawn)
            seconds[drawn].append(time.perf_counter() - start)
    drawn, fixed = (sorted(seconds[k])[rounds // 2] for k in (True, False))
    return {
        "posterior_runs_per_second_drawn": round(replicates / drawn, 1),
        "posterior_runs_per_second_defaults": round(replicates / fixed, 1),
        "posterior_draw_slowdown": round(drawn / fixed, 2),
    }


def peak_memory_mib() -> dict[str, float]:
    """Peak resident memory of this process and of its largest child (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"coordinator_mib": round(own, 1), "largest_worker_mib": round(children, 1)}


def main() -> None:
    compiled = Scenario.load(SCENARIO).compile()
    load_before = os.getloadavg()[0]
    timings = measure(compiled)
    per_second = throughput(PROCESSES)
    drawing = posterior_cost()
    memory = peak_memory_mib()
    ms = {name: round(1e3 * seconds, 3) for name, seconds in timings.seconds.items()}
    figures = {
        "scenario": SCENARIO,
        "staff": compiled.partnership.n_staff,
        "partners": compiled.partnership.n_partners,
        "weeks": compiled.schedule.n_weeks,
        **{f"{name}_ms_per_run": ms[name] for name in ANCHORS},
        "engine_single_ms_per_run": ms["engine_single"],
        "engine_batched_ms_per_run": ms["engine_batched"],
        "batch_size": timings.batch_size,
        **{f"speedup_vs_{name}_single": round(timings.speedup(name), 1) for name in ANCHORS},
        **{
            f"speedup_vs_{name}_batched": round(timings.speedup(name, batched=True), 1)
            for name in ANCHORS
        },
        "rng_floor_ms_per_run": ms["rng_floor"],
        "draws_per_run": dict(timings.draws),
        "engine_over_rng_floor": round(timings.floor_ratio, 3),
        "engine_over_rng_floor_target": 1.2,
        "runs_per_second_1_process": round(1 / timings.seconds["engine_batched"], 1),
        f"runs_per_second_{PROCESSES}_processes": round(per_second, 1),
        **drawing,
        **memory,
        "load_average_1min_before": round(load_before, 2),
        "load_average_1min_after": round(os.getloadavg()[0], 2),
    }
    record("engine", figures)


if __name__ == "__main__":
    main()
