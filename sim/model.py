"""The Mesa model: the engine's state hosted for notebooks, ``mesa.batch_run`` and the dashboard.

:class:`SharingModel` holds one run of the array engine (a batch of one). Its ``Partner`` and
``Staff`` agents (``sim/agents/``) are thin views: their attributes read and write rows of the
engine's arrays, so stepping the model and running :func:`sim.engine.simulate` with the same
seed give identical outputs.

>>> model = SharingModel("sentinel_replay", rng=42, double_keying_cost=0.5)
>>> model.run_model()
>>> model.datacollector.get_agenttype_vars_dataframe(Partner).loc[156].shape[0]
11
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from types import MappingProxyType
from typing import Protocol

import mesa
import numpy as np

from sim import engine
from sim.agents import Partner, Staff
from sim.arrays import Outputs, allocate
from sim.errors import InputError
from sim.params import check_value
from sim.scenarios import Scenario
from sim.seeds import fresh_seed

DEFAULT_SCENARIO = "sentinel_replay"
"""The scenario a model runs when none is named: the replay of the Sentinel implementation."""

type RNG = (
    int
    | np.integer
    | Sequence[int]
    | np.random.SeedSequence
    | np.random.Generator
    | np.random.BitGenerator
)
"""What ``rng`` takes, as :class:`mesa.Model` defines it (besides None)."""


class Compiled(Protocol):
    """What a compiled scenario provides (``Scenario.compile()``): the engine's inputs."""

    @property
    def name(self) -> str:
        """The scenario's name."""
        ...

    @property
    def start_date(self) -> date:
        """The first day of week 0."""
        ...

    @property
    def partnership(self) -> engine.Partnership:
        """The partners and their staff positions."""
        ...

    @property
    def schedule(self) -> engine.Schedule:
        """The weekly exogenous inputs."""
        ...

    @property
    def parameters(self) -> Mapping[str, float]:
        """Every registry parameter's value."""
        ...


type ScenarioLike = Scenario | str | os.PathLike[str] | Compiled
"""A scenario's name, a scenario file, a :class:`~sim.scenarios.Scenario` or a compiled one."""


class WeeklyCollector(mesa.DataCollector):
    """Mesa's data collector, with rows indexed by the whole number of weeks run.

    Mesa keys its records by ``model.time``, a float; a week is a whole number, and
    ``batch_run``'s ``Step`` column and the frames' ``Step`` index read better as one.
    """

    def collect(self, model: SharingModel) -> None:
        """Collect every reporter under week ``model.week``.

        See :meth:`mesa.DataCollector.collect`.
        """
        super().collect(model)
        # Mesa 3.5 offers no way to choose the key, so the record just made is re-keyed (its
        # layout is Mesa's; tests/test_model.py checks the frames and batch_run's rows).
        time, week = model.time, model.week
        if self._collection_steps:
            self._collection_steps[-1] = week
        if time in self._agent_records:
            rows = self._agent_records.pop(time)
            self._agent_records[week] = [(week, *row[1:]) for row in rows]
        if time in self._agenttype_records:
            by_type = self._agenttype_records.pop(time)
            self._agenttype_records[week] = {
                kind: [(week, *row[1:]) for row in rows] for kind, rows in by_type.items()
            }


def check_levers(levers: Mapping[str, object]) -> dict[str, float]:
    """Return ``levers`` as registry parameter values, each checked.

    Raises
    ------
    InputError
        On one line: an unknown name (with a suggestion) or a value outside the registry's range.
    """
    if "seed" in levers:
        raise InputError("SharingModel: the seed is rng= (as for mesa.Model), not seed=")
    return {name: check_value(name, value, where="SharingModel") for name, value in levers.items()}


def engine_inputs(
    scenario: ScenarioLike, levers: Mapping[str, float]
) -> tuple[Compiled, dict[str, float]]:
    """Return ``scenario`` compiled and every parameter's value with ``levers`` (checked) set.

    A scenario with a posterior is compiled at its point estimate (the defaults).

    Raises
    ------
    InputError
        If the scenario cannot be found or read.
    """
    if isinstance(scenario, str | os.PathLike):
        scenario = Scenario.load(os.fspath(scenario))
    if isinstance(scenario, Scenario):
        compiled = scenario.replace(**levers).compile()
        return compiled, dict(compiled.parameters)
    return scenario, {**scenario.parameters, **levers}


class SharingModel(mesa.Model):
    """Partners and their staff deciding each week whether to record ASB cases.

    Parameters
    ----------
    scenario : str, path, Scenario or compiled scenario, default "sentinel_replay"
        A shipped scenario's name (``sim.scenarios.list_scenarios()``), a scenario file, a
        :class:`~sim.scenarios.Scenario`, or its ``compile()`` result. A scenario with a
        posterior runs at its point estimate.
    rng : int, SeedSequence, Generator or None
        As :class:`mesa.Model` takes it. The engine's random stream is
        ``numpy.random.default_rng(rng)``, exactly as :func:`sim.engine.simulate` seeds a run,
        so the same seed gives the engine's run bit for bit (``run(scenario, seed=s)``'s
        replicate ``r`` is ``rng=sim.seeds.run_seed(s, 0, r)``). None draws a fresh seed,
        kept in :attr:`seed`; a Generator is used as it is (and is Mesa's ``model.rng`` too).
    **levers : float
        Any registry parameter (``sim.params.PARAMETERS``) by name, e.g.
        ``double_keying_cost=0.5``; the rest keep the scenario's values.

    Raises
    ------
    InputError
        On one line, naming what is wrong: an unknown parameter (with a suggestion), a value
        outside its range, a scenario that cannot be found or read.

    Notes
    -----
    ``mesa.batch_run(SharingModel, parameters={"double_keying_cost": [0.5, 1.5], ...})`` grids
    over levers; its ``Step`` column is the week. The data collector records week 0 (the
    starting state) and every week after it; ``interface`` is the stage's name.
    """

    def __init__(
        self,
        scenario: ScenarioLike = DEFAULT_SCENARIO,
        rng: RNG | None = None,
        **levers: float,
    ) -> None:
        compiled, parameters = engine_inputs(scenario, check_levers(levers))
        seed = fresh_seed() if rng is None else rng
        super().__init__(rng=seed)
        self.seed = seed
        """What the engine's stream was seeded with: ``SharingModel(..., rng=model.seed)``
        repeats the run (unless it was a Generator)."""
        self.scenario_name = compiled.name
        self.start_date = compiled.start_date
        self.partnership = compiled.partnership
        self.schedule = compiled.schedule
        self.parameters: Mapping[str, float] = MappingProxyType(parameters)
        """Every registry parameter's value in this run."""
        self.batch = engine.prepare(
            self.partnership, self.schedule, engine.stack_parameters([self.parameters])
        )
        self.n_weeks = self.schedule.n_weeks
        self._streams = engine.generators([seed])  # type: ignore[list-item]
        self.state = engine.initial_state(self.batch, self._streams)
        self.last_week: engine.WeekOutput | None = None
        self._weeks: list[engine.WeekOutput] = []

        self.partners = [Partner(self, i) for i in range(self.partnership.n_partners)]
        self.staff = [
            Staff(self, j, self.partners[int(a)])
            for j, a in enumerate(self.partnership.staff_partner)
        ]
        self.datacollector = WeeklyCollector(
            model_reporters={
                "partnership_share": "partnership_share",
                "pressure": "pressure",
            },
            agenttype_reporters={
                Partner: {
                    "partner": "name",
                    "handled": "handled",
                    "recorded": "recorded",
                    "share": "share",
                    "buy_in": "buy_in",
                    "interface": "interface_stage",
                    "attitude": "mean_attitude",
                }
            },
        )
        self.datacollector.collect(self)

    @property
    def agencies(self) -> list[Partner]:
        """Deprecated name of :attr:`partners`."""
        warnings.warn(
            "SharingModel.agencies is now SharingModel.partners", DeprecationWarning, stacklevel=2
        )
        return self.partners

    def __repr__(self) -> str:
        """One line: scenario, seed, the week reached and last week's partnership share."""
        share = f"last week's share {self.partnership_share:.0%}" if self.week else "not stepped"
        return (
            f"<SharingModel {self.scenario_name!r}, seed {self.seed}: week {self.week} of "
            f"{self.n_weeks}, {len(self.partners)} partners, {len(self.staff)} staff; {share}>"
        )

    @property
    def week(self) -> int:
        """Weeks simulated so far (0 before the first step)."""
        return self.state.week

    def week_start(self, week: int | None = None) -> date:
        """Return the first day of the week after ``week`` weeks (default: the coming week)."""
        return self.start_date + timedelta(weeks=self.week if week is None else week)

    @property
    def pressure(self) -> float:
        """External pressure this week, 0..1."""
        return float(self.state.pressure[0])

    @property
    def partnership_share(self) -> float:
        """Share of all cases handled last week that were recorded on the shared system."""
        handled = int(self.state.handled[0].sum())
        return float(self.state.recorded[0].sum()) / handled if handled else 0.0

    def step(self) -> None:
        """Advance every agent one week with the engine's step function, then collect data."""
        if self.state.week >= self.n_weeks:
            self.running = False
            return
        self.state, self.last_week = engine.step(self.state, self.batch, self._streams)
        self._weeks.append(self.last_week)
        self.datacollector.collect(self)
        self.running = self.state.week < self.n_weeks

    def trajectory(self) -> engine.Trajectory:
        """Return the weeks run so far as the engine's :class:`~sim.engine.Trajectory` (one run).

        ``sim.run.partner_frame(model.trajectory())`` gives the tidy frame ``run()`` results
        hold; its ``week`` 0 is the first week run.
        """
        weekly = allocate(Outputs, (1, len(self._weeks)), self.partnership.sizes)
        if self._weeks:
            for name, values in weekly.items():
                values[0] = np.stack([getattr(week, name)[0] for week in self._weeks])
        return engine.trajectory_of(
            self.partnership.names, weekly, self.state.views.copy(), self.schedule, self.parameters
        )

    def views_network(self) -> np.ndarray:
        """Cumulative records of partner j viewed by partner i (A x A)."""
        return self.state.views[0].copy()
