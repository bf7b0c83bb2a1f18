"""From a run's identity to engine inputs, and runs advanced together in engine batches.

The step every way of running shares (:func:`sim.run.run`, the sweep runner's workers, the
dashboard): turning a run's identity and given inputs into engine inputs
(:class:`RunInputs`, which draws the run's parameter set when the scenario has a posterior)
and advancing runs that can share an engine batch together (:func:`batch_key`,
:func:`simulate_prepared`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.engine import Partnership, Schedule, Trajectory, concatenate, simulate, stack_parameters
from sim.params import PARAMETERS
from sim.seeds import run_seed

if TYPE_CHECKING:
    from sim.posterior import Posterior
    from sim.scenarios import CompiledScenario, Scenario


_Split = tuple[tuple[tuple[str, float], ...], dict[str, float]]
"""A run's structural inputs (sorted name, value pairs) and its registry parameters."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """One run's engine inputs.

    Attributes
    ----------
    row, replicate : int
        The run's identity (its seeds are ``run_seed(seed, row, replicate)``).
    compiled : CompiledScenario
        The scenario compiled at the run's structural inputs (dates, staff, events).
    parameters : dict of str to float
        Every registry parameter's value for the run.
    draw : int or None
        The posterior set the run drew, or None.
    values : dict of str to float
        The inputs the run was given or drew (the rest are the scenario's defaults).
    """

    row: int
    replicate: int
    compiled: CompiledScenario
    parameters: dict[str, float]
    draw: int | None
    values: dict[str, float]


class RunInputs:
    """Engine inputs for runs of one scenario in an experiment seeded ``seed``.

    A run's inputs are the values given for it (a design row, ``run(values=...)``), then, when
    the scenario has a posterior and ``posterior`` is true, the set it draws
    (:meth:`sim.posterior.Posterior.draw`) for the inputs not given, then the scenario's
    defaults. The scenario is compiled once per distinct set of structural inputs (inputs
    other than registry parameters); a compile that fails fails every run that needs it.
    """

    def __init__(self, scenario: Scenario, seed: int, *, posterior: bool = True) -> None:
        # Not imported above: a scenario's machinery (pydantic schemas) loads when one is used.
        from sim.scenarios import CompiledParts

        self.scenario = scenario
        self.seed = seed
        self.posterior: Posterior | None = scenario.posterior if posterior else None
        self._compiled: dict[tuple[tuple[str, float], ...], CompiledScenario | Exception] = {}
        self._parts = CompiledParts()
        self._last: tuple[Mapping[str, float], dict[str, float], _Split] | None = None

    def prepare(self, row: int, replicate: int, given: Mapping[str, float]) -> Prepared:
        """Return the engine inputs of run ``(row, replicate)`` given ``given``.

        Raises
        ------
        Exception
            Whatever compiling the scenario at the run's structural inputs raised
            (:class:`~sim.scenarios.ScenarioError` for a value outside its range).
        """
        values, draw = dict(given), None
        if self.posterior is not None:
            values, draw = self.posterior.run_values(given, self.seed, row, replicate)
        key, chosen = self._split_values(given, values)
        made = self._compiled.get(key)
        if made is None:
            try:
                made = self.scenario.compile(dict(key), self._parts)
            except Exception as exc:  # remembered: every run needing this compile fails alike
                made = exc
            self._compiled[key] = made
        if isinstance(made, Exception):
            raise made
        parameters = dict(made.parameters)
        parameters.update(chosen)
        return Prepared(row, replicate, made, parameters, draw, values)

    def _split_values(self, given: Mapping[str, float], values: dict[str, float]) -> _Split:
        """Split a run's values into its structural inputs (sorted) and registry parameters.

        Worked out once for the replicates of a design row: runs given the same mapping
        (the same object, unchanged) with no posterior draw have the same values.
        """
        last = self._last
        if self.posterior is None and last is not None and given is last[0] and values == last[1]:
            return last[2]
        structural = tuple(sorted((k, v) for k, v in values.items() if k not in PARAMETERS))
        split = (structural, {k: v for k, v in values.items() if k in PARAMETERS})
        self._last = (given, dict(values), split)
        return split


def batch_key(partnership: Partnership, schedule: Schedule) -> str:
    """Return a key equal for runs that can share one engine batch.

    Runs can share a batch when they have the same partners and the same number of weeks;
    their staff, caseloads and other partner fields may differ (:func:`sim.engine.simulate`
    takes one partnership per run).
    """
    return repr((partnership.names, schedule.n_weeks))


def simulate_prepared(runs: Sequence[Prepared], seed: int) -> Trajectory:
    """Advance ``runs`` (all with one :func:`batch_key`) as one engine batch.

    Each run brings its own compiled partnership and timeline; runs of one compiled scenario
    share its preparation (:func:`sim.engine.simulate`). Each run's outputs depend only on its
    inputs and ``run_seed(seed, row, replicate)``.
    """
    params = stack_parameters([r.parameters for r in runs])
    seeds = [run_seed(seed, r.row, r.replicate) for r in runs]
    partnerships = [r.compiled.partnership for r in runs]
    schedules = [r.compiled.schedule for r in runs]
    return simulate(partnerships, schedules, params, seeds)


def batch_groups(runs: Sequence[Prepared]) -> list[list[int]]:
    """Group the positions of ``runs`` into as few engine batches as :func:`batch_key` allows.

    Groups are in order of first appearance.
    """
    groups: defaultdict[str, list[int]] = defaultdict(list)
    keys: dict[int, str] = {}  # one key per compiled scenario: runs share them
    for i, r in enumerate(runs):
        made = r.compiled
        if id(made) not in keys:
            keys[id(made)] = batch_key(made.partnership, made.schedule)
        groups[keys[id(made)]].append(i)
    return list(groups.values())


def simulate_in_order(runs: Sequence[Prepared], seed: int) -> Trajectory:
    """Advance ``runs`` in as few batches as :func:`batch_key` allows.

    Returns their outputs in the order given.
    """
    groups = batch_groups(runs)
    if len(groups) == 1:
        return simulate_prepared(runs, seed)
    parts = [simulate_prepared([runs[i] for i in group], seed) for group in groups]
    return concatenate(parts).select(np.argsort([i for group in groups for i in group]))
