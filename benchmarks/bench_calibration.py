"""The standard calibration against the bare engine on the same workers, and the memory of the
ABC kernel density at several thousand particles.

Runs the standard calibration of the replay (``experiments/calibration_sentinel.toml``:
screening, ABC-SMC generations, posterior-predictive and point-estimate checks; about 10,000
runs) from scratch on local worker processes, between two measurements of the bare engine on
the same workers (``pipelines.py``), and reports its runs per second as a share of the
engine's. Then times :meth:`sim.calibration.kernels.Kernel.log_density` for 5,000 points around
2,500 centres in the calibration's 16 dimensions and reports the peak memory it allocates
(numpy's allocations, traced).

Run: ``.venv/bin/python benchmarks/bench_calibration.py`` (``--quick`` for a small
calibration). Prints a table and writes ``results/benchmarks/calibration.json``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
from pipelines import WORKERS, against_engine
from record import record

from sim.calibration import calibrate, load_settings
from sim.calibration.abc import Box
from sim.calibration.kernels import BLOCK_ELEMENTS, Kernel
from sim.execution import Execution

EXPERIMENT = Path("experiments/calibration_sentinel.toml")
QUICK = {"screening": 200, "particles": 100, "generations": 2, "predictive": 50}
"""Settings of ``--quick``: a small calibration, for a look at the plumbing."""
SHARE_TARGET = 0.8
DENSITY_POINTS, DENSITY_CENTRES, DENSITY_DIMENSIONS = 5_000, 2_500, 16


def calibration_figures(quick: bool, workers: int) -> dict[str, Any]:
    """Run the standard (or a quick) calibration; its rate against the bare engine's."""
    settings = load_settings(EXPERIMENT)
    if quick:
        settings = settings.model_copy(update=QUICK)
    done: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-calibration-") as scratch:

        def run() -> int:
            done["result"] = calibrate(
                settings=settings,
                out=Path(scratch) / "calibration",
                execution=Execution(executor="process", workers=workers),
            )
            return int(done["result"].runs)

        rate = against_engine("calibration", run, workers)
    result = done["result"]
    return {
        "calibration_settings": str(EXPERIMENT) + (" (quick)" if quick else ""),
        "calibration_particles": settings.particles,
        "calibration_generations_run": len(result.populations),
        **rate.figures(),
        "calibration_stage_seconds": {k: round(v, 1) for k, v in result.seconds.items()},
        "calibration_share_target": SHARE_TARGET,
    }


def kernel_density_figures() -> dict[str, Any]:
    """Time and peak traced memory of the kernel density at the sizes of a large calibration."""
    rng = np.random.default_rng(0)
    d = DENSITY_DIMENSIONS
    box = Box(tuple(f"x{i}" for i in range(d)), np.zeros(d), np.ones(d))
    weights = rng.random(DENSITY_CENTRES)
    kernel = Kernel(box, box.sample(rng, DENSITY_CENTRES), weights / weights.sum(), np.full(d, 0.1))
    points = box.sample(rng, DENSITY_POINTS)
    tracemalloc.start()
    start = time.perf_counter()
    kernel.log_density(points)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    whole_array = DENSITY_POINTS * DENSITY_CENTRES * d * 8
    return {
        "kernel_density_points": DENSITY_POINTS,
        "kernel_density_centres": DENSITY_CENTRES,
        "kernel_density_dimensions": d,
        "kernel_density_block_elements": BLOCK_ELEMENTS,
        "kernel_density_seconds": round(seconds, 2),
        "kernel_density_peak_mib": round(peak / 2**20, 1),
        "kernel_density_one_whole_array_mib": round(whole_array / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small calibration")
    parser.add_argument("--workers", type=int, default=WORKERS, help="worker processes")
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks"))
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    figures = {
        "workers": args.workers,
        **calibration_figures(args.quick, args.workers),
        **kernel_density_figures(),
        "load_average_1min_before": round(load_before, 2),
        "load_average_1min_after": round(os.getloadavg()[0], 2),
    }
    record("calibration", figures, args.out)


if __name__ == "__main__":
    main()
