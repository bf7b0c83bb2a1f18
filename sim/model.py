"""The Mesa model: the engine's state hosted for the dashboard and notebooks.

:class:`SharingModel` holds one run of the array engine (batch of one). Its ``Agency`` and
``Staff`` agents (``sim/agents/``) are thin views: their attributes read and write rows of
the engine's arrays, so stepping the model and running :func:`sim.engine.simulate` with the
same seed give identical outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import mesa
import numpy as np

from sim import engine
from sim.agents import Agency, Staff


class Compiled(Protocol):
    """What a compiled scenario provides: agencies, weekly schedule and parameter values."""

    @property
    def partnership(self) -> engine.Partnership: ...

    @property
    def schedule(self) -> engine.Schedule: ...

    @property
    def parameters(self) -> Mapping[str, float]: ...


class SharingModel(mesa.Model):
    """Agencies and their staff deciding each week whether to record ASB cases.

    Parameters
    ----------
    setup : Compiled
        A compiled scenario (``Scenario.compile()``) or anything with ``partnership``,
        ``schedule`` and ``parameters``.
    rng : int
        Seed of the run. The engine's stream is ``numpy.random.default_rng(rng)``, exactly as
        :func:`sim.engine.simulate` seeds a run with that seed.
    """

    def __init__(self, setup: Compiled, *, rng: int | np.random.SeedSequence) -> None:
        super().__init__(rng=rng if isinstance(rng, int) else None)
        self.partnership = setup.partnership
        self.schedule = setup.schedule
        self.parameters: dict[str, np.ndarray] = engine.stack_parameters([setup.parameters])
        self.batch = engine.prepare(self.partnership, self.schedule, self.parameters)
        self.n_weeks = self.schedule.n_weeks
        self._rngs = engine.generators([rng])
        self.state = engine.initial_state(self.batch, self._rngs)
        self.last_week: engine.WeekOutput | None = None

        self.agencies = [Agency(self, i) for i in range(self.partnership.n_agencies)]
        self.staff = [
            Staff(self, j, self.agencies[int(a)])
            for j, a in enumerate(self.partnership.staff_agency)
        ]
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "partnership_share": "partnership_share",
                "pressure": "pressure",
            },
            agenttype_reporters={
                Agency: {
                    "agency": "name",
                    "handled": "handled",
                    "recorded": "recorded",
                    "share": "share",
                    "buy_in": "buy_in",
                    "interface": "interface_code",
                    "attitude": "mean_attitude",
                }
            },
        )

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return self.state.week

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
        """Advance one week with the engine's step function, then collect data."""
        if self.state.week >= self.n_weeks:
            self.running = False
            return
        self.state, self.last_week = engine.step(self.state, self.batch, self._rngs)
        self.datacollector.collect(self)
        self.running = self.state.week < self.n_weeks

    def views_network(self) -> np.ndarray:
        """Cumulative records of agency j viewed by agency i (A x A)."""
        return self.state.views[0].copy()
