"""Scenarios: the replayed implementation and its counterfactuals, as files an analyst edits.

A scenario is a TOML file (format: ``docs/scenarios.md``) naming the partners, a dated
timeline of events and any parameter settings, each value with its provenance and source.
Uncertain values are ranges; they become named inputs that sensitivity analysis and
calibration vary. :meth:`Scenario.compile` turns a scenario and a choice of those inputs into
the engine's :class:`~sim.engine.Partnership`, :class:`~sim.engine.Schedule` and parameters.

>>> from sim.scenarios import Scenario
>>> base = Scenario.load("sentinel_replay")
>>> better = base.replace(double_keying_cost=0.5)   # new object; base unchanged
>>> compiled = better.compile({"blaby.staff": 8})
>>> compiled.schedule.live.shape == (base.weeks, len(base.partner_names))
True

Uncertain inputs are named
``<parameter>`` (registry parameters), ``delivery_delay_weeks``,
``<partner slug>.<field>`` (``blaby.staff``, ``blaby.go_live_week``) and
``events.<event id>.<field>`` (``events.upgrade_1.week``, ``events.upgrade_1.multiplier``).

A new partnership starts from a partner table (a CSV file):
``from_partner_table("partners.csv", "my_county")`` returns its scenario file's text and the
loaded :class:`Scenario`, with behaviour taken from the Sentinel calibration
(``docs/new-partnership.md``).

The package by job: :mod:`~sim.scenarios.schema` (the file format),
:mod:`~sim.scenarios.locate` (names, the user's scenario folders and paths),
:mod:`~sim.scenarios.resolve` (reading a file and merging its ``extends`` chain),
:mod:`~sim.scenarios.behaviour` (behaviour taken from a calibrated scenario),
:mod:`~sim.scenarios.checks` (what no single table can check),
:mod:`~sim.scenarios.posterior_table` (the ``[posterior]`` table and its CSV),
:mod:`~sim.scenarios.uncertain` (uncertain inputs), :mod:`~sim.scenarios.compile` (engine
inputs), :mod:`~sim.scenarios.toml` (writing files), :mod:`~sim.scenarios.error` (the error)
and :mod:`~sim.scenarios.problems` (its collector), :mod:`~sim.scenarios.scenario` (the
:class:`Scenario`),
:mod:`~sim.scenarios.partner_table` (reading a partner table),
:mod:`~sim.scenarios.partner_defaults` (what a new partnership assumes where its table is
silent) and :mod:`~sim.scenarios.new_partnership` (the scenario of a partner table). Each
public name here is imported from its module when first asked for, so that looking a scenario
up (:mod:`~sim.scenarios.locate`) loads nothing heavy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from sim.names import slug

if TYPE_CHECKING:
    from sim.scenarios.compile import CompiledParts, CompiledScenario
    from sim.scenarios.error import ScenarioError
    from sim.scenarios.locate import SCENARIOS_ENV, examples_folder, list_scenarios
    from sim.scenarios.new_partnership import NewPartnership, from_partner_table
    from sim.scenarios.partner_table import PartnerTableError, read_partner_table
    from sim.scenarios.scenario import REPLACE_SOURCE, Scenario
    from sim.scenarios.schema import ScenarioSpec

__all__ = [
    "REPLACE_SOURCE",
    "SCENARIOS_ENV",
    "CompiledParts",
    "CompiledScenario",
    "NewPartnership",
    "PartnerTableError",
    "Scenario",
    "ScenarioError",
    "ScenarioSpec",
    "examples_folder",
    "from_partner_table",
    "list_scenarios",
    "read_partner_table",
    "slug",
]

_HOMES = {
    "REPLACE_SOURCE": "scenario",
    "SCENARIOS_ENV": "locate",
    "CompiledParts": "compile",
    "CompiledScenario": "compile",
    "NewPartnership": "new_partnership",
    "PartnerTableError": "partner_table",
    "Scenario": "scenario",
    "ScenarioError": "error",
    "ScenarioSpec": "schema",
    "examples_folder": "locate",
    "from_partner_table": "new_partnership",
    "list_scenarios": "locate",
    "read_partner_table": "partner_table",
}
"""The module of this package each public name lives in."""


def __getattr__(name: str) -> object:
    """Import a public name from its module when it is first asked for (PEP 562).

    Finding a scenario by name (:mod:`sim.scenarios.locate`) then loads nothing heavy: the
    command line answers a misspelled name before the schemas, the engine or pandas load.
    """
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
