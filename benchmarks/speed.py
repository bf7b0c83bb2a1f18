"""Side-by-side timing of the engine, its three anchors and its random-number floor, in one
process.

The anchors are what the engine is compared with: the per-agent reference model (the
executable specification, ``sim/reference.py``), the same rules in Mesa with one agent per
agency holding numpy arrays of its staff (``anchors/agency_mesa.py``: what a competent Mesa
user would write) and as whole-array numpy without Mesa (``anchors/whole_array.py``). The
floor is the engine's own random draws made alone (``rng_floor.py``).

Shared by the engine benchmark and the ratio-floor test, so both measure the same thing. The
models are timed in turn, round after round, and each figure is the best of its repeats (the
least disturbed by other work on the machine); ratios compare figures measured in the same
call. Times are this process's CPU time: every model here runs in one thread, and CPU time,
unlike wall time, does not count the waits for a core when other work shares the machine (a
long batch waits more often than a short run, which would bias the comparison).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from anchors import agency_mesa, whole_array
from rng_floor import Draws, draw, record_draws

from sim.engine import simulate, stack_parameters
from sim.reference import ReferenceModel
from sim.scenarios import CompiledScenario

ANCHORS = ("reference", "agency_mesa", "whole_array")
"""The models the engine is compared with, slowest first."""

REPEATS: Mapping[str, int] = {
    "reference": 3,
    "agency_mesa": 5,
    "whole_array": 10,
    "engine_single": 100,
    "engine_batched": 3,
    "rng_floor": 100,
}
"""Default repeats of each timing (each figure is the best of them). A run and its floor take
a few milliseconds each, so their ratio gets many repeats: the best of 20 still moved by 0.05
from one call to the next on a busy machine."""


def best_of(repeats: int, work: Callable[[], object]) -> float:
    """Least CPU time of this process over ``repeats`` calls of ``work``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return min(times)


def best_in_turn(
    work: Mapping[str, Callable[[], object]], rounds: int | Mapping[str, int]
) -> dict[str, float]:
    """Least CPU time of each of ``work``, called in turn, round after round, after a warm-up.

    ``rounds`` is one count for every call, or each call's own (a call with fewer rounds drops
    out of the turns when they are done). Taking turns spreads a burst of other work on the
    machine over every figure, where timing one after the other could put it all on one.
    """
    counts = rounds if isinstance(rounds, Mapping) else dict.fromkeys(work, rounds)
    for call in work.values():
        call()  # compile (or load) and warm before timing
    best = {name: float("inf") for name in work}
    for round_ in range(max(counts.values(), default=0)):
        for name, call in work.items():
            if round_ < counts[name]:
                best[name] = min(best[name], best_of(1, call))
    return best


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
class Timings:
    """Seconds per run of the engine, of each anchor and of the engine's random draws alone.

    Attributes
    ----------
    seconds : mapping of str to float
        ``reference``, ``agency_mesa``, ``whole_array``: one run of each anchor;
        ``engine_single``: one engine run alone; ``engine_batched``: a run in a batch of
        ``batch_size``; ``rng_floor``: the draws of the same run as ``engine_single``.
    batch_size : int
        Runs per engine batch.
    draws : mapping of str to int
        The run's draws by kind (uniform, normal, poisson).
    """

    seconds: Mapping[str, float]
    batch_size: int
    draws: Mapping[str, int]

    def speedup(self, anchor: str, batched: bool = False) -> float:
        """How many times faster than ``anchor`` an engine run is (alone or in a batch)."""
        return self.seconds[anchor] / self.seconds["engine_batched" if batched else "engine_single"]

    @property
    def single_ratio(self) -> float:
        """Speed-up of a single engine run against the reference."""
        return self.speedup("reference")

    @property
    def batched_ratio(self) -> float:
        """Speed-up of a batched engine run against the reference."""
        return self.speedup("reference", batched=True)

    @property
    def floor_ratio(self) -> float:
        """A single engine run's time over the time of its random draws alone."""
        return self.seconds["engine_single"] / self.seconds["rng_floor"]


def _work(
    compiled: CompiledScenario, batch_size: int, draws: Draws
) -> dict[str, Callable[[], object]]:
    """One run of each model, as a call to time."""
    partnership, schedule, params = compiled.partnership, compiled.schedule, compiled.parameters
    return {
        "reference": lambda: reference_run(compiled, 1),
        "agency_mesa": lambda: agency_mesa.simulate(partnership, schedule, params, 1),
        "whole_array": lambda: whole_array.simulate(partnership, schedule, params, 1),
        "engine_single": lambda: engine_runs(compiled, 1, draws.seed),
        "engine_batched": lambda: engine_runs(compiled, batch_size),
        "rng_floor": lambda: draw(draws),
    }


def measure(
    compiled: CompiledScenario,
    *,
    repeats: Mapping[str, int] = REPEATS,
    batch_size: int = 64,
) -> Timings:
    """Time every model on ``compiled``, in turn, round after round; keep each one's best.

    Models left out of ``repeats`` (or given 0) are not timed and read as NaN.
    """
    draws = record_draws(compiled, seed=0)
    work = _work(compiled, batch_size, draws)
    timed = {name: call for name, call in work.items() if repeats.get(name, 0) > 0}
    best = best_in_turn(timed, {name: repeats[name] for name in timed})
    best["engine_batched"] = best.get("engine_batched", float("nan")) / batch_size
    seconds = {name: best.get(name, float("nan")) for name in work}
    return Timings(seconds, batch_size, draws.counts)
