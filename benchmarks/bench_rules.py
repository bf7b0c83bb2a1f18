"""What the interface decisions, co-location and benefit rules cost: the engine against the
engine before them, side by side in one process, and each against its random-number floor.

``benchmarks/baseline/kernel_v1.py`` is the kernel before those rules (interfaces moving
``none -> considering -> building -> live`` by constant hazards, co-location as a flat cost
relief, no benefit outputs), kept unchanged to time against. Both run the replay at its
defaults through the same preparation (``sim.engine.prepare`` and ``initial_state``), one run
at a time, interleaved round by round so that a busy machine slows both alike; the figures are
the fastest round of each. The floor is the same random draws alone in compiled code (the
uniforms, the training uniforms and the two Poisson counts per member of staff and week, by
numpy's Poisson sampler before and by the kernel's own, :func:`sim.kernel.poisson`, now).

Run: ``.venv/bin/python benchmarks/bench_rules.py`` (or ``make bench``). Prints a table and
writes ``results/benchmarks/rules.json``.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numba import njit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from record import record

from sim import engine
from sim.arrays import Outputs, WeekOutput, allocate
from sim.kernel import poisson
from sim.params import PARAMETERS
from sim.scenarios import CompiledScenario, Scenario

SCENARIO = "sentinel_replay"
ROUNDS = 200
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


@njit(cache=True)
def _draws(rng, n, uniforms, weeks, rate, training_weeks, inversion):  # type: ignore[no-untyped-def]
    """The random draws of one run alone: ``uniforms`` a week, ``n`` more in a training
    week, and two Poisson counts per member of staff a week (recorded and not), by the
    kernel's sampler (``inversion``) or numpy's."""
    total = 0.0
    for t in range(weeks):
        for _ in range(uniforms):
            total += rng.random()
        if training_weeks[t]:
            for _ in range(n):
                total += rng.random()
        for _ in range(2):
            for i in range(n):
                if inversion:
                    total += poisson(rng, rate[i] * 0.5)
                else:
                    total += rng.poisson(rate[i] * 0.5)
    return total


def _floor(compiled: CompiledScenario, per_partner: int, inversion: bool) -> Callable[[int], None]:
    p = compiled.partnership
    rate = np.asarray(p.caseload, float)[p.staff_partner] / np.asarray(p.staff)[p.staff_partner]
    training = np.asarray(compiled.schedule.training).any(axis=1)
    uniforms = p.n_staff + per_partner * p.n_partners

    def run(seed: int) -> None:
        _draws(
            np.random.default_rng(seed),
            p.n_staff,
            uniforms,
            compiled.schedule.n_weeks,
            rate,
            training,
            inversion,
        )

    return run


def main() -> None:
    compiled = Scenario.load(SCENARIO).compile()
    params = engine.stack_parameters([compiled.parameters])
    record_now = engine.prepare(compiled.partnership, compiled.schedule, params).records[0]
    work = {
        "before": _one_run(
            compiled, _baseline_kernel(), _baseline_record(compiled.parameters), gained=False
        ),
        "rules": _one_run(compiled, engine.advance, record_now, gained=False),
        "now": _one_run(compiled, engine.advance, record_now, gained=True),
        "floor_before": _floor(compiled, 3, inversion=False),
        "floor_now": _floor(compiled, 2, inversion=True),
    }
    for run in work.values():
        run(0)  # compile (or load) before timing
    seconds: dict[str, list[float]] = {name: [] for name in work}
    for round_ in range(ROUNDS):
        for name, run in work.items():
            start = time.perf_counter()
            run(round_ + 1)
            seconds[name].append(time.perf_counter() - start)
    best = {name: min(times) for name, times in seconds.items()}
    figures = {f"{name}_ms": round(value * 1e3, 3) for name, value in best.items()}
    figures |= {
        "rules_over_before": round(best["rules"] / best["before"], 3),
        "now_over_before": round(best["now"] / best["before"], 3),
        "before_over_floor": round(best["before"] / best["floor_before"], 3),
        "rules_over_floor": round(best["rules"] / best["floor_now"], 3),
        "now_over_floor": round(best["now"] / best["floor_now"], 3),
        "rounds": ROUNDS,
        "scenario": SCENARIO,
    }
    record("rules", figures)


if __name__ == "__main__":
    main()
