"""Side-by-side timing of the engine and the per-agent reference model, in one process.

Shared by the engine benchmark and the ratio-floor test, so both measure the same thing.
Every figure is the best of several repeats (the least disturbed by other work on the
machine); ratios compare figures measured in the same call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sim.engine import simulate, stack_parameters
from sim.reference import ReferenceModel
from sim.scenarios import CompiledScenario


def best_of(repeats: int, work: Callable[[], object]) -> float:
    """Shortest wall time of ``repeats`` calls of ``work``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def reference_run(compiled: CompiledScenario, seed: int) -> None:
    """One run of the per-agent reference model."""
    model = ReferenceModel(compiled.partnership, compiled.schedule, compiled.parameters, rng=seed)
    while model.running:
        model.step()


def engine_runs(compiled: CompiledScenario, batch: int, seed: int = 0) -> None:
    """``batch`` runs of the engine advanced as one batch."""
    params = stack_parameters([compiled.parameters] * batch)
    simulate(compiled.partnership, compiled.schedule, params, range(seed, seed + batch))


@dataclass(frozen=True)
class SpeedRatios:
    """Seconds per run of each model and the engine's speed-ups against the reference."""

    reference: float
    single: float
    batched: float
    batch_size: int

    @property
    def single_ratio(self) -> float:
        return self.reference / self.single

    @property
    def batched_ratio(self) -> float:
        return self.reference / self.batched


def measure(
    compiled: CompiledScenario,
    *,
    reference_repeats: int = 3,
    single_repeats: int = 20,
    batch_size: int = 64,
    batch_repeats: int = 3,
) -> SpeedRatios:
    """Time the reference, a single engine run and a batch of engine runs, side by side."""
    engine_runs(compiled, 1)  # compile (or load) the kernel before timing
    reference = best_of(reference_repeats, lambda: reference_run(compiled, 1))
    single = best_of(single_repeats, lambda: engine_runs(compiled, 1))
    batched = best_of(batch_repeats, lambda: engine_runs(compiled, batch_size)) / batch_size
    return SpeedRatios(reference, single, batched, batch_size)
