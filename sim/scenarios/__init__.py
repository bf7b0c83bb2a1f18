"""Scenarios: the replayed implementation and its counterfactuals, as files an analyst edits.

A scenario is a TOML file (format: ``docs/scenarios.md``) naming the partners, a dated
timeline of events and any parameter settings, each value with its provenance and source.
Uncertain values are ranges; they become named inputs that sensitivity analysis and
calibration vary. :meth:`Scenario.compile` turns a scenario and a choice of those inputs into
the engine's :class:`~sim.engine.Partnership`, :class:`~sim.engine.Schedule` and parameters.

>>> base = Scenario.load("sentinel_replay")
>>> better = base.replace(double_keying_cost=0.5)   # new object; base unchanged
>>> compiled = better.compile({"blaby.staff": 8})
>>> compiled.schedule.live.shape == (base.weeks, len(base.partner_names))
True

Uncertain inputs are named
``<parameter>`` (registry parameters), ``delivery_delay_weeks``,
``<partner slug>.<field>`` (``blaby.staff``, ``blaby.go_live_week``) and
``events.<event id>.<field>`` (``events.upgrade_1.week``, ``events.upgrade_1.multiplier``).

The package by job: :mod:`~sim.scenarios.schema` (the file format),
:mod:`~sim.scenarios.locate` (shipped names and paths), :mod:`~sim.scenarios.resolve`
(reading a file and merging its ``extends`` chain), :mod:`~sim.scenarios.checks` (what no
single table can check), :mod:`~sim.scenarios.posterior_table` (the ``[posterior]`` table and
its CSV), :mod:`~sim.scenarios.uncertain` (uncertain inputs), :mod:`~sim.scenarios.compile`
(engine inputs), :mod:`~sim.scenarios.toml` (writing files), :mod:`~sim.scenarios.problems`
(the error and its collector) and :mod:`~sim.scenarios.scenario` (the :class:`Scenario`).
"""

from __future__ import annotations

from sim.names import slug
from sim.scenarios.compile import CompiledScenario
from sim.scenarios.locate import list_scenarios
from sim.scenarios.problems import ScenarioError
from sim.scenarios.scenario import REPLACE_SOURCE, Scenario
from sim.scenarios.schema import ScenarioSpec

__all__ = [
    "REPLACE_SOURCE",
    "CompiledScenario",
    "Scenario",
    "ScenarioError",
    "ScenarioSpec",
    "list_scenarios",
    "slug",
]
