"""Compiling a scenario: with every uncertain input chosen, the engine's inputs.

A scenario and a choice of its uncertain inputs become the engine's
:class:`~sim.engine.Partnership` (the partners), :class:`~sim.engine.Schedule` (weekly
exogenous inputs built from the dated timeline) and registry parameter values. Inputs not
chosen take their default (the range's default, else its midpoint); weeks and staff are
rounded to whole numbers. Deliveries slip by ``delivery_delay_weeks``: go-lives of partners
without prior use, and go-live, interface and functionality-upgrade events. The
``[colocation]`` table's pair (``colocation.pair``, rounded) co-locates its two councils.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from pydantic import BaseModel

from sim.engine import FloatArray, InterfaceState, Partnership, Schedule
from sim.names import slug
from sim.params import PARAMETERS, resolve
from sim.scenarios.checks import is_anchored
from sim.scenarios.schema import (
    ALL,
    COLOCATION_INPUTS,
    EVENT_AMOUNT_FIELDS,
    PARTNER_NUMBER_FIELDS,
    PartnerSpec,
    ScenarioSpec,
)
from sim.scenarios.uncertain import UncertainInput, choose, uncertain_inputs
from sim.scenarios.values import Given, Span
from sim.timeline import TimedEvent, build_schedule, week_of

_DELAYED_EVENTS = ("interface_live", "functionality_upgrade")
"""Event types (besides go-lives) that slip by the delivery delay."""


@dataclass(frozen=True)
class CompiledScenario:
    """A scenario with every uncertain input chosen: what the engine runs.

    Attributes
    ----------
    name : str
        The scenario's name.
    start_date : date
        First day of week 0.
    partnership : Partnership
        The partners and their staff positions.
    schedule : Schedule
        Weekly exogenous inputs, partner arrays of shape (T, A).
    parameters : dict of str to float
        Every registry parameter's value (defaults where the scenario sets none).
    inputs : dict of str to float
        The value used for each of the scenario's uncertain inputs (weeks for dates).
    """

    name: str
    start_date: date
    partnership: Partnership
    schedule: Schedule
    parameters: dict[str, float]
    inputs: dict[str, float]

    def __repr__(self) -> str:
        """One line: name, partners and weeks, and how many values were chosen."""
        weeks, partners = self.schedule.live.shape
        return (
            f"<CompiledScenario {self.name!r}: {partners} partners, {weeks} weeks from "
            f"{self.start_date}; {len(self.parameters)} parameters, {len(self.inputs)} inputs>"
        )


Memo = dict[tuple[tuple[str, float], ...], Any]
"""Compiled parts by the values of the inputs they read."""


@dataclass
class CompiledParts:
    """Partnerships and timelines compiled so far, by the values of the inputs each reads.

    A memo for compiling many variants of one scenario (the rows of a design): a variant that
    changes only partner numbers reuses the timeline of one compiled before, and one that
    changes only dates or events reuses its partnership, as the same objects, so that engine
    batches share them too. Keep one per scenario.
    """

    partnerships: Memo = field(default_factory=dict)
    schedules: Memo = field(default_factory=dict)


_PARTNERSHIP_FIELDS = tuple(name for name in PARTNER_NUMBER_FIELDS if name != "assurance")
"""Partner numbers the partnership reads (assurance is part of the timeline)."""


@dataclass(frozen=True)
class _Picker:
    """Reads a value: the chosen input when one is given, else the scenario's own value."""

    chosen: Mapping[str, float]
    start: date

    def number(self, name: str, value: Given[Any] | Span[Any]) -> float:
        """Return the number input ``name`` takes, stated as ``value``."""
        if isinstance(value, Given):
            return float(value.value)
        chosen = self.chosen.get(name)
        return float(value.midpoint() if chosen is None else chosen)

    def week(self, name: str, value: Given[Any] | Span[Any]) -> int:
        """Return the week (from the start date) input ``name`` takes, stated as ``value``."""
        if isinstance(value, Given):
            raw: Any = value.value
        elif name in self.chosen:
            return math.floor(self.chosen[name] + 0.5)
        else:
            raw = value.midpoint()
        return week_of(raw, self.start) if isinstance(raw, date) else int(raw)

    def whole(self, name: str, value: Given[Any] | Span[Any]) -> int:
        """Return the whole number input ``name`` takes as ``value`` (rounded as weeks are)."""
        return math.floor(self.number(name, value) + 0.5)


def compile_scenario(
    spec: ScenarioSpec,
    origin: str,
    values: Mapping[str, float] | None = None,
    inputs: Mapping[str, UncertainInput] | None = None,
    parts: CompiledParts | None = None,
) -> CompiledScenario:
    """Return the engine inputs for ``spec`` with the given uncertain inputs.

    Parameters
    ----------
    spec : ScenarioSpec
        The resolved scenario.
    origin : str
        Where it was read from, for messages.
    values : mapping of str to float, optional
        Values for uncertain inputs or for any registry parameter.
    inputs : mapping, optional
        ``uncertain_inputs(spec)``, when the caller keeps it (it costs about as much as the
        rest of a compile); computed when omitted.
    parts : CompiledParts, optional
        Parts compiled before for other values of the same ``spec``, reused where the
        inputs they read are equal (and added to).

    Raises
    ------
    ScenarioError
        An unknown name (with a suggestion) or a value outside its range.
    """
    inputs = uncertain_inputs(spec) if inputs is None else inputs
    chosen = choose(inputs, values or {}, origin)
    pick = _Picker(chosen, spec.start)
    parameters = _parameters(spec, chosen, pick, origin)
    memo = CompiledParts() if parts is None else parts
    staffing = _partnership_inputs(tuple(p.name for p in spec.partners))
    structural = sorted((k, v) for k, v in chosen.items() if k not in PARAMETERS)
    own = tuple(item for item in structural if item[0] in staffing)
    if own not in memo.partnerships:
        numbers = _partner_numbers(spec.partners, pick, _PARTNERSHIP_FIELDS)
        memo.partnerships[own] = _partnership(spec.partners, numbers)
    timeline = tuple(item for item in structural if item[0] not in staffing)
    if timeline not in memo.schedules:
        assurance = _partner_numbers(spec.partners, pick, ("assurance",))["assurance"]
        memo.schedules[timeline] = _schedule(spec, pick, assurance)
    return CompiledScenario(
        name=spec.name,
        start_date=spec.start,
        partnership=memo.partnerships[own],
        schedule=memo.schedules[timeline],
        parameters=parameters,
        inputs={name: chosen.get(name, i.default) for name, i in inputs.items()},
    )


def _schedule(spec: ScenarioSpec, pick: _Picker, assurance: FloatArray) -> Schedule:
    """Return the weekly timeline: go-lives, events and co-locations, delays applied."""
    delay = (
        0
        if spec.delivery_delay_weeks is None
        else pick.week("delivery_delay_weeks", spec.delivery_delay_weeks)
    )
    go_live, timed = _partner_timeline(spec.partners, pick, delay)
    go_live |= _event_go_lives(spec, pick, delay)
    timed += _event_timeline(spec, pick, delay, go_live)
    timed += _colocation_timeline(spec, pick)
    schedule: Schedule = build_schedule(
        spec.n_weeks, len(spec.partners), timed, initial_assurance=assurance
    )
    return schedule


def _parameters(
    spec: ScenarioSpec, chosen: Mapping[str, float], pick: _Picker, origin: str
) -> dict[str, float]:
    """Every registry parameter: chosen, else as the scenario states it, else the default."""
    overrides = {name: pick.number(name, stated) for name, stated in spec.parameters.items()}
    overrides |= {name: number for name, number in chosen.items() if name in PARAMETERS}
    return resolve(overrides, where=origin)


@functools.lru_cache(maxsize=64)
def _partnership_inputs(names: tuple[str, ...]) -> frozenset[str]:
    """Return the names of the inputs the partnership of partners ``names`` reads."""
    return frozenset(f"{slug(name)}.{field}" for name in names for field in _PARTNERSHIP_FIELDS)


def _partner_numbers(
    partners: tuple[PartnerSpec, ...], pick: _Picker, fields: tuple[str, ...]
) -> dict[str, FloatArray]:
    """Each of the numeric partner ``fields`` as an array over partners."""
    prefixes = [slug(p.name) for p in partners]
    return {
        name: np.array(
            [
                pick.number(f"{prefix}.{name}", getattr(partner, name))
                for prefix, partner in zip(prefixes, partners, strict=True)
            ]
        )
        for name in fields
    }


def _partnership(
    partners: tuple[PartnerSpec, ...], numbers: Mapping[str, FloatArray]
) -> Partnership:
    return Partnership(
        names=tuple(p.name for p in partners),
        kinds=tuple(p.kind for p in partners),
        staff=np.rint(numbers["staff"]).astype(np.int64),
        caseload=numbers["caseload"].astype(np.float64),
        involvement=numbers["involvement"].astype(np.float64),
        bureaucracy=numbers["bureaucracy"].astype(np.float64),
        initial_buy_in=numbers["initial_buy_in"].astype(np.float64),
        initial_interface=np.array(
            [InterfaceState[p.interface.value.upper()] for p in partners], dtype=np.int64
        ),
        interface_allowed=np.array([p.interface_allowed.value for p in partners], dtype=bool),
        prior_use=np.array([p.prior_use.value for p in partners], dtype=bool),
        priority=np.array(
            [p.funder.value or p.contract_holder.value for p in partners], dtype=bool
        ),
    )


def _partner_timeline(
    partners: tuple[PartnerSpec, ...], pick: _Picker, delay: int
) -> tuple[dict[int, int], list[TimedEvent]]:
    """Go-live weeks and events of the go-lives and co-locations given on partners."""
    go_live: dict[int, int] = {}
    timed: list[TimedEvent] = []
    for a, partner in enumerate(partners):
        prefix = slug(partner.name)
        shift = 0 if partner.prior_use.value else delay
        if partner.go_live is not None:
            go_live[a] = pick.week(f"{prefix}.go_live_week", partner.go_live) + shift
            timed.append(TimedEvent(go_live[a], "go_live", (a,)))
        if partner.colocation is not None:
            week = pick.week(f"{prefix}.colocation_week", partner.colocation)
            timed.append(TimedEvent(week, "colocation", (a,)))
    return go_live, timed


def _event_go_lives(spec: ScenarioSpec, pick: _Picker, delay: int) -> dict[int, int]:
    """Go-live weeks given by go_live events."""
    index = {p.name: a for a, p in enumerate(spec.partners)}
    go_live: dict[int, int] = {}
    for event in spec.events:
        if event.type == "go_live":
            a = index[event.partner]
            shift = 0 if spec.partners[a].prior_use.value else delay
            go_live[a] = pick.week(f"events.{event.id}.week", event.when) + shift
    return go_live


def _event_timeline(
    spec: ScenarioSpec, pick: _Picker, delay: int, go_live: Mapping[int, int]
) -> list[TimedEvent]:
    """Place the events of the timeline, each at its week with its partners and amount."""
    index = {p.name: a for a, p in enumerate(spec.partners)}
    timed: list[TimedEvent] = []
    for event in spec.events:
        partner_name: str | None = _field(event, "partner")
        partners: tuple[int, ...] = ()
        if partner_name == ALL:
            partners = tuple(range(len(spec.partners)))
        elif partner_name is not None:
            partners = (index[partner_name],)
        amount = _amount(event, pick)
        phase = _field(event, "phase")
        if is_anchored(event):
            timed += [
                TimedEvent(go_live[a] + event.offset_weeks, event.type, (a,), amount, phase)
                for a in partners
                if a in go_live
            ]
        elif event.type == "go_live":
            timed.append(TimedEvent(go_live[partners[0]], "go_live", partners))
        else:
            week = pick.week(f"events.{event.id}.week", event.when)
            week += delay if event.type in _DELAYED_EVENTS else 0
            timed.append(TimedEvent(week, event.type, partners, amount, phase))
    return timed


def _amount(event: Any, pick: _Picker) -> float:
    """Return the event's size (its one amount field), or 0 for an event without one."""
    amount = 0.0
    for name in EVENT_AMOUNT_FIELDS:
        size = _field(event, name)
        if size is not None:
            amount = pick.number(f"events.{event.id}.{name}", size)
    return amount


def _field(event: BaseModel, name: str) -> Any:
    """Return the event's field ``name``, or None when its type has no such field.

    Looked up among the type's fields first: asking a pydantic model for an attribute it
    lacks goes through its slow ``__getattr__``, thousands of times in a design's compiles.
    """
    return getattr(event, name) if name in _fields_of(type(event)) else None


@functools.cache
def _fields_of(kind: type[BaseModel]) -> frozenset[str]:
    """Return the field names of a pydantic model type (read once: the class attribute is slow)."""
    return frozenset(kind.model_fields)


def colocated_pair(councils: tuple[str, ...], pair: int) -> tuple[str, str]:
    """Pair number ``pair`` of ``councils``: ``itertools.combinations`` in list order."""
    return next(itertools.islice(itertools.combinations(councils, 2), pair, None))


def _colocation_timeline(spec: ScenarioSpec, pick: _Picker) -> list[TimedEvent]:
    """Return the co-locations of the ``[colocation]`` table's chosen pair (DOMAIN.md P7)."""
    table = spec.colocation
    if table is None:
        return []
    index = {p.name: a for a, p in enumerate(spec.partners)}
    pair = colocated_pair(table.councils, pick.whole("colocation.pair", table.pair))
    names = [f"colocation.{name}" for name in COLOCATION_INPUTS[1:]]
    return [
        TimedEvent(pick.week(name, when), "colocation", (index[council],))
        for council, name, when in zip(pair, names, table.when, strict=True)
    ]
