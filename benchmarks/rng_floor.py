"""The engine's floor: the random draws of a run, made alone, in numba, from the same generator.

A run of the engine draws, every week: a uniform per member of staff and two per partner, a
uniform per member of staff in weeks with a training wave, a normal and a uniform per leaver,
and two Poissons per member of staff (recorded and unrecorded cases) whose means follow from
that week's decisions, by the kernel's own sampler (:func:`sim.kernel.poisson`: one uniform
a count below a mean of 10, numpy's sampler above, nothing at a mean of 0); its initial state
draws a normal and a uniform per member of staff.
:func:`record_draws` steps the engine through one run and notes those counts and means;
:func:`draw` makes exactly those draws, in the same order, from ``default_rng(seed)``, and does
nothing else. With the same seed it reproduces the engine's own draws (:func:`record_draws`
keeps the engine's recorded cases to check it), so its time is what the run would cost if the
model's rules were free: the engine's time over it is its overhead.

This is the project's one floor: the same draws, from the same generator and bit generator, by
the same sampler as the kernel, timed alone in compiled code in the process that times the
engine. ``speed.measure`` times it beside a whole engine run (``bench_engine.py`` reports the
ratio, ``tests/test_speed_ratio.py`` bounds it) and ``bench_rules.py`` beside the kernel alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from sim.engine import generators, initial_state, prepare, stack_parameters, step
from sim.kernel import poisson
from sim.scenarios import CompiledScenario


@dataclass(frozen=True)
class Draws:
    """The random draws of one engine run, week by week.

    Attributes
    ----------
    seed : int
        The run's seed.
    n_staff : int
        Members of staff ``N`` (the initial state draws a normal and a uniform for each).
    uniforms : int
        Uniforms drawn every week: one per member of staff and two per partner.
    training : bool array (T,)
        Weeks with a training wave: another uniform per member of staff.
    leavers : int array (T,)
        Leavers per week: a normal and a uniform each.
    recorded_means, unrecorded_means : float array (T, N)
        Means of the two Poissons drawn per member of staff each week.
    recorded : int array (T, N)
        The engine's recorded cases, to check that :func:`draw` makes the same draws.
    """

    seed: int
    n_staff: int
    uniforms: int
    training: np.ndarray
    leavers: np.ndarray
    recorded_means: np.ndarray
    unrecorded_means: np.ndarray
    recorded: np.ndarray

    @property
    def counts(self) -> dict[str, int]:
        """Draws of each kind in the run."""
        weeks = len(self.training)
        return {
            "uniform": self.n_staff
            + weeks * self.uniforms
            + int(self.training.sum()) * self.n_staff
            + int(self.leavers.sum()),
            "normal": self.n_staff + int(self.leavers.sum()),
            "poisson": 2 * self.recorded_means.size,
        }


def record_draws(compiled: CompiledScenario, seed: int) -> Draws:
    """Step the engine through one run of ``compiled`` and note every draw it makes."""
    partnership, schedule = compiled.partnership, compiled.schedule
    batch = prepare(partnership, schedule, stack_parameters([compiled.parameters]))
    rngs = generators([seed])
    state = initial_state(batch, rngs)
    # The kernel's Poisson means, computed in the kernel's order so they match to the bit.
    rate = batch.static.staff_rate * compiled.parameters["caseload_scale"]
    weeks, n = schedule.n_weeks, partnership.n_staff
    recorded_means, unrecorded_means = np.empty((weeks, n)), np.empty((weeks, n))
    recorded = np.empty((weeks, n), dtype=np.int64)
    leavers = np.empty(weeks, dtype=np.int64)
    for t in range(weeks):
        state, out = step(state, batch, rngs)
        probability = out.probability[0]
        recorded_means[t] = rate * probability
        unrecorded_means[t] = rate * (1.0 - probability)
        recorded[t] = out.staff_recorded[0]
        leavers[t] = int(np.sum(state.tenure[0] == 0))
    return Draws(
        seed=seed,
        n_staff=n,
        uniforms=n + 2 * partnership.n_partners,
        training=np.asarray(schedule.training > 0).any(axis=1),
        leavers=leavers,
        recorded_means=recorded_means,
        unrecorded_means=unrecorded_means,
        recorded=recorded,
    )


@njit(cache=True)
def _weekly_draws(rng, uniforms, training, leavers, recorded_means, unrecorded_means, recorded):  # type: ignore[no-untyped-def]
    total = 0.0
    weeks, n = recorded_means.shape
    for t in range(weeks):
        for _ in range(uniforms):
            total += rng.random()
        if training[t]:
            for _ in range(n):
                total += rng.random()
        for _ in range(leavers[t]):
            total += rng.standard_normal()
        for _ in range(leavers[t]):
            total += rng.random()
        for i in range(n):
            recorded[t, i] = poisson(rng, recorded_means[t, i])
        for i in range(n):
            total += poisson(rng, unrecorded_means[t, i])
    return total


def draw(draws: Draws) -> np.ndarray:
    """Make the run's draws from ``default_rng(seed)``; return the recorded-case Poissons (T, N).

    The initial state's draws are numpy's, as the engine makes them; the weekly ones are
    numba's, as the engine's kernel makes them.
    """
    rng = np.random.default_rng(draws.seed)
    rng.standard_normal(draws.n_staff)
    rng.random(draws.n_staff)
    recorded = np.empty(draws.recorded_means.shape, dtype=np.int64)
    _weekly_draws(
        rng,
        draws.uniforms,
        draws.training,
        draws.leavers,
        draws.recorded_means,
        draws.unrecorded_means,
        recorded,
    )
    return recorded
