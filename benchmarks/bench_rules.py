"""What the interface decisions, co-location and benefit rules cost: the kernel against the
kernel before them, side by side in one process, and both against the random-number floor.

``benchmarks/baseline/kernel_v1.py`` is the kernel before those rules (interfaces moving
``none -> considering -> building -> live`` by constant hazards, co-location as a flat cost
relief, no benefit outputs), kept unchanged to time against. Both kernels run the replay at its
defaults through the same preparation (``sim.engine.prepare`` and ``initial_state``), one run
at a time: ``before``, ``rules`` (the kernel alone) and ``now`` (the kernel and the benefit
pass after it). ``floor`` is the project's one floor, the same run's random draws made alone
(``rng_floor.py``). Every item runs the same seed, round after round in turn so that a busy
machine slows them alike; each figure is the least CPU time of its rounds.

The engine's own ratio to the floor, a whole run as users make it (``sim.engine.simulate``:
parameters stacked and checked, the batch prepared, the benefit outputs), is reported by
``bench_engine.py`` (``speed.measure``) against the same floor. Here the kernel runs on a batch
prepared once, so ``now_over_floor`` is below that ratio by what one call's preparation costs.

The baseline kernel has no floor of its own: its draws (numpy's Poisson sampler, three
uniforms a partner) were never recorded draw by draw, so it is compared with the kernel now,
not with a floor.

Run: ``.venv/bin/python benchmarks/bench_rules.py`` (or ``make bench``). Prints a table and
writes ``results/benchmarks/rules.json``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from record import record
from rng_floor import draw, record_draws
from speed import best_in_turn

from sim import engine
from sim.arrays import Outputs, WeekOutput, allocate
from sim.params import PARAMETERS
from sim.scenarios import CompiledScenario, Scenario

SCENARIO = "sentinel_replay"
ROUNDS = 200
SEED = 0
BASELINE = Path(__file__).resolve().parent / "baseline" / "kernel_v1.py"

BASELINE_ONLY = {"imitation_weight": 0.01, "interface_build_rate": 0.02, "colocation_relief": 1.0}
"""Parameters of the baseline kernel that the registry no longer has, at their old defaults."""
BASELINE_DEFAULTS = {
    "interface_consider_rate": 0.01,
    "interface_buy_in_threshold": 0.6,
    "interface_build_weeks": 26.0,
}
"""Registry parameters whose defaults moved with the new rules, at their old defaults."""


def _baseline_kernel() -> Callable[..., None]:
    spec = importlib.util.spec_from_file_location("kernel_v1", BASELINE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Numba's cache finds a compiled function's globals through its module's name.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.advance  # type: ignore[no-any-return]


def _baseline_record(parameters: dict[str, float]) -> np.void:
    values = dict(parameters, **BASELINE_DEFAULTS, **BASELINE_ONLY)
    names = [*PARAMETERS, *BASELINE_ONLY]
    records = np.zeros(1, dtype=[(name, np.float64) for name in names])
    for name in names:
        records[name] = values[name]
    return records[0]


def _one_run(
    compiled: CompiledScenario, kernel: Callable[..., None], record: np.void, gained: bool
) -> Callable[[int], None]:
    """One replay run with ``kernel`` (and the benefit outputs after it when ``gained``)."""
    partnership, schedule = compiled.partnership, compiled.schedule
    params = engine.stack_parameters([compiled.parameters])
    batch = engine.prepare(partnership, schedule, params)

    def run(seed: int) -> None:
        rngs = engine.generators([seed])
        state = engine.initial_state(batch, rngs)
        weekly = allocate(Outputs, (1, schedule.n_weeks), partnership.sizes)
        per_staff = allocate(WeekOutput, (), partnership.sizes)
        kernel(
            rngs[0],
            0,
            schedule.n_weeks,
            record,
            batch.kernel_static,
            batch.kernel_schedules[0],
            engine._kernel_state(state, 0),
            engine._kernel_run(weekly, per_staff, 0),
        )
        if gained:
            engine.trajectory_of(partnership.names, weekly, state.views, schedule, params)

    return run


def main() -> None:
    compiled = Scenario.load(SCENARIO).compile()
    params = engine.stack_parameters([compiled.parameters])
    record_now = engine.prepare(compiled.partnership, compiled.schedule, params).records[0]
    draws = record_draws(compiled, SEED)
    work = {
        "before": _one_run(
            compiled, _baseline_kernel(), _baseline_record(compiled.parameters), gained=False
        ),
        "rules": _one_run(compiled, engine.advance, record_now, gained=False),
        "now": _one_run(compiled, engine.advance, record_now, gained=True),
        "floor": lambda seed: draw(draws),
    }
    best = best_in_turn({name: partial(run, SEED) for name, run in work.items()}, ROUNDS)
    figures = {f"{name}_ms": round(value * 1e3, 3) for name, value in best.items()}
    figures |= {
        "rules_over_before": round(best["rules"] / best["before"], 3),
        "now_over_before": round(best["now"] / best["before"], 3),
        "rules_over_floor": round(best["rules"] / best["floor"], 3),
        "now_over_floor": round(best["now"] / best["floor"], 3),
        "rounds": ROUNDS,
        "scenario": SCENARIO,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    record("rules", figures)


if __name__ == "__main__":
    main()
