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
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from pydantic import TypeAdapter, ValidationError

from sim.engine import InterfaceState, Partnership, Schedule
from sim.params import PARAMETERS, Category, ParameterError, check_value, resolve
from sim.posterior import Posterior
from sim.scenarios.loader import (
    Location,
    Problems,
    ScenarioError,
    check_resolved,
    dump_toml,
    locate,
    read_headline,
    resolve_location,
    shipped_folder,
    shipped_names,
    slug,
    spec_origins,
)
from sim.scenarios.schema import (
    ALL,
    EVENT_AMOUNT_FIELDS,
    EVENT_INPUT_CATEGORY,
    GO_LIVE_ANCHOR,
    PARTNER_INPUT_CATEGORY,
    PARTNER_NUMBER_FIELDS,
    Given,
    Number,
    PartnerSpec,
    ScenarioSpec,
    Span,
    Value,
)
from sim.timeline import TimedEvent, build_schedule, week_of

__all__ = [
    "CompiledScenario",
    "Scenario",
    "ScenarioError",
    "ScenarioSpec",
    "list_scenarios",
    "slug",
]

REPLACE_SOURCE = "set with Scenario.replace"
"""Source recorded for a plain number given to :meth:`Scenario.replace`."""

_NUMBER_ADAPTER: TypeAdapter[Any] = TypeAdapter(Value[Number])


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
        The agencies and their staff positions.
    schedule : Schedule
        Weekly exogenous inputs, agency arrays of shape (T, A).
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


@dataclass(frozen=True, slots=True)
class _Input:
    """One uncertain input: its range, its default and its framework category."""

    low: float
    high: float
    default: float
    category: Category


@dataclass(frozen=True)
class Scenario:
    """An immutable, resolved scenario.

    Create one with :meth:`load`, :meth:`from_toml` or :meth:`from_spec`; every route checks
    it. Two scenarios are equal when their resolved content is equal (where they were read
    from does not matter).

    Attributes
    ----------
    spec : ScenarioSpec
        The resolved content (partners, events, parameters, each value with provenance).
    origin : str
        Where it was read from, for messages.
    """

    spec: ScenarioSpec
    origin: str = field(default="<scenario>", compare=False)

    def __post_init__(self) -> None:
        if self.posterior is not None:
            _check_posterior(self.posterior, self._inputs(), self.origin)

    # --- creating ---------------------------------------------------------------------

    @classmethod
    def load(cls, name_or_path: str | Path) -> Scenario:
        """Return the scenario named ``name_or_path`` (shipped) or in that file.

        Parameters
        ----------
        name_or_path : str or Path
            A bare name such as ``"sentinel_replay"`` loads a shipped scenario; a path (with a
            ``/`` or ending ``.toml``) loads that file. ``extends`` chains are resolved.

        Raises
        ------
        ScenarioError
            Naming the file, the field and the problem, on one line.
        """
        location = locate(name_or_path)
        return cls(resolve_location(location).spec, location.label)

    @classmethod
    def from_toml(cls, text: str, label: str = "<text>") -> Scenario:
        """Return the scenario written in ``text`` (a relative ``extends`` starts here)."""
        location = Location(label, f"text:{label}", None, Path.cwd())
        return cls(resolve_location(location, text).spec, label)

    @classmethod
    def from_spec(cls, spec: ScenarioSpec, label: str = "<spec>") -> Scenario:
        """Return a scenario built in code, after the same checks a file gets."""
        check_resolved(spec_origins(spec, label), label)
        return cls(spec, label)

    # --- reading ----------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The scenario's short name."""
        return self.spec.name

    @property
    def description(self) -> str:
        """One line saying what the scenario is."""
        return self.spec.description

    @property
    def start_date(self) -> date:
        """First day of week 0."""
        return self.spec.start_date.value

    @property
    def weeks(self) -> int:
        """Length of the run in weeks."""
        return self.spec.weeks.value

    @property
    def partner_names(self) -> tuple[str, ...]:
        """Partner names in array order."""
        return tuple(p.name for p in self.spec.partners)

    @cached_property
    def posterior(self) -> Posterior | None:
        """The joint distribution runs draw their uncertain inputs from, if the scenario has
        one (``[posterior]``; :mod:`sim.posterior`)."""
        spec = self.spec.posterior
        return None if spec is None else Posterior.from_spec(spec)

    def partner(self, name: str) -> PartnerSpec:
        """Return the partner called ``name``."""
        for partner in self.spec.partners:
            if partner.name == name:
                return partner
        raise ScenarioError(self.origin, "partners", f"no partner named {name!r}")

    # --- changing ---------------------------------------------------------------------

    def replace(
        self, **overrides: float | Given[float] | Span[float] | Mapping[str, Any]
    ) -> Scenario:
        """Return a copy with registry parameters set; this scenario is unchanged.

        Parameters
        ----------
        **overrides
            Parameter name to value: a number (recorded as ``assumed``, source
            ``"set with Scenario.replace"``), a :class:`Given` or :class:`Span`, or a mapping
            in the file's inline-table form. A parameter set here is no longer drawn from the
            scenario's posterior: the value given wins.

        Raises
        ------
        ScenarioError
            Unknown parameter (with a suggestion) or a value outside its registry range.
        """
        problems = Problems(self.origin)
        parameters: dict[str, Given[float] | Span[float]] = dict(self.spec.parameters)
        for name, raw in overrides.items():
            path = f"parameters.{name}"
            try:
                if isinstance(raw, Given | Span):
                    value = _NUMBER_ADAPTER.validate_python(raw.model_dump())
                elif isinstance(raw, Mapping):
                    value = _NUMBER_ADAPTER.validate_python(dict(raw))
                else:
                    value = _NUMBER_ADAPTER.validate_python(
                        {
                            "value": check_value(name, raw),
                            "provenance": "assumed",
                            "source": REPLACE_SOURCE,
                        }
                    )
                ends = (
                    [value.value]
                    if isinstance(value, Given)
                    else [value.low, value.high, value.default]
                )
                for number in ends:
                    if number is not None:
                        check_value(name, number)
            except ParameterError as exc:
                problems.add(path, str(exc))
                continue
            except ValidationError as exc:
                problems.add_validation(exc, path)
                continue
            parameters[name] = value
        problems.raise_first()
        posterior = self.spec.posterior
        spec = self.spec.model_copy(
            update={
                "parameters": MappingProxyType(parameters),
                "posterior": None if posterior is None else posterior.without(overrides),
            }
        )
        return Scenario(spec, self.origin)

    def without_posterior(self) -> Scenario:
        """Return a copy without a posterior: every run uses the inputs' defaults."""
        return Scenario(self.spec.model_copy(update={"posterior": None}), self.origin)

    # --- writing ----------------------------------------------------------------------

    def to_toml(self) -> str:
        """Return the resolved scenario as file text (no ``extends``); it loads back equal."""
        return dump_toml(self.spec, f"Resolved from {self.origin}; content {self.content_hash()}")

    def content_hash(self) -> str:
        """Return a stable SHA-256 hex digest of the resolved content (for manifests)."""
        content = self.spec.model_dump(mode="json")
        text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    # --- uncertain inputs -------------------------------------------------------------

    def _inputs(self) -> dict[str, _Input]:
        start = self.start_date
        inputs: dict[str, _Input] = {}
        for name, param in PARAMETERS.items():
            given = self.spec.parameters.get(name)
            if isinstance(given, Span):
                inputs[name] = _number_input(given, param.category)
            elif given is None and param.uncertain:
                inputs[name] = _Input(param.low, param.high, param.default, param.category)
        delay = self.spec.delivery_delay_weeks
        if isinstance(delay, Span):
            inputs["delivery_delay_weeks"] = _week_input(delay, start, "Project")
        for partner in self.spec.partners:
            prefix = slug(partner.name)
            for name in PARTNER_NUMBER_FIELDS:
                value = getattr(partner, name)
                if isinstance(value, Span):
                    category = PARTNER_INPUT_CATEGORY[name]
                    inputs[f"{prefix}.{name}"] = _number_input(value, category)
            for name in ("go_live", "colocation"):
                value = getattr(partner, name)
                if isinstance(value, Span):
                    category = PARTNER_INPUT_CATEGORY[f"{name}_week"]
                    inputs[f"{prefix}.{name}_week"] = _week_input(value, start, category)
        for event in self.spec.events:
            category = EVENT_INPUT_CATEGORY[event.type]
            if isinstance(event.when, Span):
                inputs[f"events.{event.id}.week"] = _week_input(event.when, start, category)
            for name in EVENT_AMOUNT_FIELDS:
                value = getattr(event, name, None)
                if isinstance(value, Span):
                    inputs[f"events.{event.id}.{name}"] = _number_input(value, category)
        return inputs

    def uncertain_inputs(self) -> dict[str, tuple[float, float]]:
        """Return every uncertain input's range, by stable name.

        Registry parameters the scenario does not pin (with their registry range, or the
        scenario's range when it gives one), then ``delivery_delay_weeks``, partner fields
        (``<slug>.<field>``; dates as ``<slug>.go_live_week`` in weeks) and event fields
        (``events.<id>.week`` and ``events.<id>.<amount field>``). A parameter the scenario
        sets to a single value is not listed (it is part of what the scenario says).
        """
        return {name: (i.low, i.high) for name, i in self._inputs().items()}

    def input_defaults(self) -> dict[str, float]:
        """Return the value :meth:`compile` uses for each uncertain input when none is given."""
        return {name: i.default for name, i in self._inputs().items()}

    def input_categories(self) -> dict[str, Category]:
        """Return each uncertain input's framework category (for grouped sensitivity analysis).

        Registry parameters keep their registry category; partner and event inputs take the
        category of what they describe (``sim.scenarios.schema.PARTNER_INPUT_CATEGORY``,
        ``EVENT_INPUT_CATEGORY``); ``delivery_delay_weeks`` is Project.
        """
        return {name: i.category for name, i in self._inputs().items()}

    # --- compiling --------------------------------------------------------------------

    def compile(self, values: Mapping[str, float] | None = None) -> CompiledScenario:
        """Return the engine inputs for this scenario with the given uncertain inputs.

        Parameters
        ----------
        values : mapping of str to float, optional
            Values for uncertain inputs (names from :meth:`uncertain_inputs`) or for any
            registry parameter. Inputs not given take their default (the range's default,
            else its midpoint). Week and staff inputs are rounded to whole numbers.

        Raises
        ------
        ScenarioError
            An unknown name (with a suggestion) or a value outside its range.
        """
        inputs = self._inputs()
        chosen = self._choose(inputs, values or {})
        pick = _Picker(chosen)

        overrides: dict[str, float] = {}
        for name, stated in self.spec.parameters.items():
            overrides[name] = pick.number(name, stated)
        for name, number in chosen.items():
            if name in PARAMETERS:
                overrides[name] = number
        parameters = resolve(overrides, where=self.origin)

        partners = self.spec.partners
        index = {p.name: i for i, p in enumerate(partners)}
        prefixes = [slug(p.name) for p in partners]
        start = self.start_date
        delay = (
            0
            if self.spec.delivery_delay_weeks is None
            else pick.week("delivery_delay_weeks", self.spec.delivery_delay_weeks, start)
        )

        numbers = {
            name: np.array(
                [
                    pick.number(f"{s}.{name}", getattr(p, name))
                    for s, p in zip(prefixes, partners, strict=True)
                ]
            )
            for name in PARTNER_NUMBER_FIELDS
        }
        partnership = Partnership(
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
        )

        go_live: dict[int, int] = {}
        timed: list[TimedEvent] = []
        for a, (prefix, partner) in enumerate(zip(prefixes, partners, strict=True)):
            shift = 0 if partner.prior_use.value else delay
            if partner.go_live is not None:
                go_live[a] = pick.week(f"{prefix}.go_live_week", partner.go_live, start) + shift
                timed.append(TimedEvent(go_live[a], "go_live", (a,)))
            if partner.colocation is not None:
                week = pick.week(f"{prefix}.colocation_week", partner.colocation, start)
                timed.append(TimedEvent(week, "colocation", (a,)))
        for event in self.spec.events:
            if event.type == "go_live":
                a = index[event.partner]
                shift = 0 if partners[a].prior_use.value else delay
                go_live[a] = pick.week(f"events.{event.id}.week", event.when, start) + shift

        for event in self.spec.events:
            partner_name: str | None = getattr(event, "partner", None)
            agencies: tuple[int, ...] = ()
            if partner_name == ALL:
                agencies = tuple(range(len(partners)))
            elif partner_name is not None:
                agencies = (index[partner_name],)
            amount = 0.0
            for name in EVENT_AMOUNT_FIELDS:
                size = getattr(event, name, None)
                if size is not None:
                    amount = pick.number(f"events.{event.id}.{name}", size)
            phase = getattr(event, "phase", None)
            if isinstance(event.when, Given) and event.when.value == GO_LIVE_ANCHOR:
                for a in agencies:
                    if a in go_live:
                        timed.append(
                            TimedEvent(
                                go_live[a] + event.offset_weeks, event.type, (a,), amount, phase
                            )
                        )
                continue
            if event.type == "go_live":
                timed.append(TimedEvent(go_live[agencies[0]], "go_live", agencies))
                continue
            week = pick.week(f"events.{event.id}.week", event.when, start)
            if event.type in ("interface_live", "functionality_upgrade"):
                week += delay
            timed.append(TimedEvent(week, event.type, agencies, amount, phase))

        schedule: Schedule = build_schedule(
            self.weeks, len(partners), timed, initial_assurance=numbers["assurance"]
        )
        return CompiledScenario(
            name=self.name,
            start_date=start,
            partnership=partnership,
            schedule=schedule,
            parameters=parameters,
            inputs={name: chosen.get(name, i.default) for name, i in inputs.items()},
        )

    def _choose(
        self, inputs: Mapping[str, _Input], values: Mapping[str, float]
    ) -> dict[str, float]:
        """Return ``values`` checked against ``inputs`` and the registry."""
        problems = Problems(self.origin)
        chosen: dict[str, float] = {}
        for name, value in values.items():
            path = f"values[{name!r}]"
            spec = inputs.get(name)
            if spec is None and name in PARAMETERS:
                try:
                    chosen[name] = check_value(name, value)
                except ParameterError as exc:
                    problems.add(path, str(exc))
                continue
            if spec is None:
                known = [*inputs, *PARAMETERS]
                hint = _close(name, known)
                problems.add(path, f"unknown input{hint}; see Scenario.uncertain_inputs()")
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.add(path, f"must be a number, got {type(value).__name__} {value!r}")
                continue
            number = float(value)
            if not math.isfinite(number) or not spec.low <= number <= spec.high:
                problems.add(path, f"{number:g} is outside its range [{spec.low:g}, {spec.high:g}]")
                continue
            chosen[name] = number
        problems.raise_first()
        return chosen


def _check_posterior(posterior: Posterior, inputs: Mapping[str, _Input], origin: str) -> None:
    """Raise :class:`ScenarioError` unless every column of ``posterior`` is an uncertain input
    of the scenario and every value lies inside that input's range."""
    for j, name in enumerate(posterior.inputs):
        spec = inputs.get(name)
        if spec is None:
            hint = _close(name, list(inputs))
            raise ScenarioError(
                origin,
                f"posterior.inputs[{j}]",
                f"{name!r} is not an uncertain input of the scenario{hint}; "
                "see Scenario.uncertain_inputs()",
            )
        column = posterior.sets[:, j]
        outside = np.flatnonzero((column < spec.low) | (column > spec.high))
        if outside.size:
            i = int(outside[0])
            raise ScenarioError(
                origin,
                f"posterior.sets[{i}]",
                f"{name} = {column[i]:g} is outside its range [{spec.low:g}, {spec.high:g}]"
                + (f" (and {outside.size - 1} more sets)" if outside.size > 1 else ""),
            )


def _close(word: str, choices: list[str]) -> str:
    hint = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


def _number_input(value: Span[Any], category: Category) -> _Input:
    return _Input(float(value.low), float(value.high), float(value.midpoint()), category)


def _week_input(value: Span[Any], start: date, category: Category) -> _Input:
    def week(v: date | int) -> float:
        return float(week_of(v, start) if isinstance(v, date) else v)

    return _Input(week(value.low), week(value.high), week(value.midpoint()), category)


@dataclass(frozen=True)
class _Picker:
    """Reads a value: the chosen input when one is given, else the scenario's own value."""

    chosen: Mapping[str, float]

    def number(self, name: str, value: Given[Any] | Span[Any]) -> float:
        if isinstance(value, Given):
            return float(value.value)
        return float(self.chosen.get(name, value.midpoint()))

    def week(self, name: str, value: Given[Any] | Span[Any], start: date) -> int:
        if isinstance(value, Given):
            raw: Any = value.value
        elif name in self.chosen:
            return math.floor(self.chosen[name] + 0.5)
        else:
            raw = value.midpoint()
        return week_of(raw, start) if isinstance(raw, date) else int(raw)


def list_scenarios() -> list[tuple[str, str]]:
    """Return ``(name, description)`` of every shipped scenario, sorted by name."""
    folder = shipped_folder()
    return [(name, read_headline(folder.joinpath(f"{name}.toml"))[1]) for name in shipped_names()]
