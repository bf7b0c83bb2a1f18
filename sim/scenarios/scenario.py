"""The :class:`Scenario`: an immutable, checked scenario, as a notebook user holds it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import TypeAdapter, ValidationError

from sim.parameter import Category, ParameterError
from sim.params import check_value
from sim.posterior import Posterior
from sim.scenarios.checks import check_resolved
from sim.scenarios.compile import CompiledParts, CompiledScenario, compile_scenario
from sim.scenarios.locate import Location, locate
from sim.scenarios.origins import spec_origins
from sim.scenarios.problems import Problems, ScenarioError
from sim.scenarios.resolve import resolve_location
from sim.scenarios.schema import PartnerSpec, ScenarioSpec
from sim.scenarios.toml import dump_toml
from sim.scenarios.uncertain import UncertainInput, check_posterior, uncertain_inputs
from sim.scenarios.values import Given, Number, Span, Value

REPLACE_SOURCE = "set with Scenario.replace"
"""Source recorded for a plain number given to :meth:`Scenario.replace`."""

_NUMBER_ADAPTER: TypeAdapter[Any] = TypeAdapter(Value[Number])


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
        """Check the posterior, if any, against the scenario's uncertain inputs."""
        if self.posterior is not None:
            check_posterior(self.posterior, self._inputs, self.origin)

    # --- creating ---------------------------------------------------------------------

    @classmethod
    def of(cls, scenario: Scenario | str | Path) -> Scenario:
        """Return ``scenario`` itself, or the scenario a name or path names (:meth:`load`).

        What every function taking "a scenario, or the name or path of a scenario file" calls.

        Raises
        ------
        TypeError
            When ``scenario`` is none of those (a number, a compiled scenario, ...).
        """
        if isinstance(scenario, Scenario):
            return scenario
        if not isinstance(scenario, str | Path):
            raise TypeError(
                "a scenario is a Scenario, or the name or path of a scenario file; got "
                f"{type(scenario).__name__}"
            )
        return cls.load(scenario)

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
        """Return the scenario written in ``text``.

        A relative ``extends`` starts in the working directory, and must stay inside it.
        """
        location = Location(label, f"text:{label}", None, Path.cwd(), Path.cwd())
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
        return self.spec.start

    @property
    def weeks(self) -> int:
        """Length of the run in weeks."""
        return self.spec.n_weeks

    @property
    def partner_names(self) -> tuple[str, ...]:
        """Partner names in array order."""
        return tuple(p.name for p in self.spec.partners)

    @cached_property
    def posterior(self) -> Posterior | None:
        """The joint distribution runs draw their uncertain inputs from, if the scenario has one.

        The scenario's ``[posterior]``; see :mod:`sim.posterior`.
        """
        spec = self.spec.posterior
        return None if spec is None else Posterior.from_spec(spec)

    def outline(self) -> str:
        """Return its size in words: partners, weeks from the start date, uncertain inputs.

        ``11 partners, 156 weeks from 2011-04-04, 131 uncertain inputs``, followed by its
        posterior's size when it has one.
        """
        posterior = self.posterior
        drawn = (
            ""
            if posterior is None
            else f", a posterior of {len(posterior):,} sets over {len(posterior.inputs)} of them"
        )
        return (
            f"{len(self.partner_names)} partners, {self.weeks} weeks from {self.start_date}, "
            f"{len(self._inputs)} uncertain inputs{drawn}"
        )

    def __repr__(self) -> str:
        """One line: name, where it was read from and :meth:`outline` (``spec`` holds it all)."""
        return f"<Scenario {self.name!r} from {self.origin}: {self.outline()}>"

    def partner(self, name: str) -> PartnerSpec:
        """Return the partner called ``name``."""
        for partner in self.spec.partners:
            if partner.name == name:
                return partner
        raise ScenarioError.at(self.origin, "partners", f"no partner named {name!r}")

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
            try:
                parameters[name] = _parameter_value(name, raw)
            except ParameterError as exc:
                problems.add(f"parameters.{name}", str(exc))
            except ValidationError as exc:
                problems.add_validation(exc, f"parameters.{name}")
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

    @cached_property
    def _inputs(self) -> dict[str, UncertainInput]:
        return uncertain_inputs(self.spec)

    def uncertain_inputs(self) -> dict[str, tuple[float, float]]:
        """Return every uncertain input's range, by stable name.

        Registry parameters the scenario does not pin (with their registry range, or the
        scenario's range when it gives one), then ``delivery_delay_weeks``, partner fields
        (``<slug>.<field>``; dates as ``<slug>.go_live_week`` in weeks) and event fields
        (``events.<id>.week`` and ``events.<id>.<amount field>``). A parameter the scenario
        sets to a single value is not listed (it is part of what the scenario says).
        """
        return {name: (i.low, i.high) for name, i in self._inputs.items()}

    def fixed_input(self, name: str, job: str) -> str:
        """Say that registry parameter ``name`` is one this scenario sets to a single value.

        ``'pressure_weight' is not uncertain in scenario 'sentinel_replay' (it sets one
        value), so there is nothing to <job>``: what an analysis naming it is told.
        """
        return (
            f"{name!r} is not uncertain in scenario {self.name!r} (it sets one value), so there "
            f"is nothing to {job}"
        )

    def input_defaults(self) -> dict[str, float]:
        """Return the value :meth:`compile` uses for each uncertain input when none is given."""
        return {name: i.default for name, i in self._inputs.items()}

    def input_categories(self) -> dict[str, Category]:
        """Return each uncertain input's framework category (for grouped sensitivity analysis).

        Registry parameters keep their registry category; partner and event inputs take the
        category of what they describe (``sim.scenarios.schema.PARTNER_INPUT_CATEGORY``,
        ``EVENT_INPUT_CATEGORY``); ``delivery_delay_weeks`` is Project.
        """
        return {name: i.category for name, i in self._inputs.items()}

    # --- compiling --------------------------------------------------------------------

    def compile(
        self, values: Mapping[str, float] | None = None, parts: CompiledParts | None = None
    ) -> CompiledScenario:
        """Return the engine inputs for this scenario with the given uncertain inputs.

        Parameters
        ----------
        values : mapping of str to float, optional
            Values for uncertain inputs (names from :meth:`uncertain_inputs`) or for any
            registry parameter. Inputs not given take their default (the range's default,
            else its midpoint). Week and staff inputs are rounded to whole numbers.
        parts : CompiledParts, optional
            A memo of partnerships and timelines compiled before for this scenario: equal
            parts are reused as the same objects (for compiling many variants, a design's rows).

        Raises
        ------
        ScenarioError
            An unknown name (with a suggestion) or a value outside its range.
        """
        return compile_scenario(self.spec, self.origin, values, self._inputs, parts)


def _parameter_value(
    name: str, raw: float | Given[float] | Span[float] | Mapping[str, Any]
) -> Given[float] | Span[float]:
    """Return the value ``raw`` given for parameter ``name``, checked against the registry.

    Raises
    ------
    ParameterError
        Unknown parameter, or a value outside its registry range.
    ValidationError
        A table that is not a value with provenance.
    """
    if isinstance(raw, Given | Span):
        value = _NUMBER_ADAPTER.validate_python(raw.model_dump())
    elif isinstance(raw, Mapping):
        value = _NUMBER_ADAPTER.validate_python(dict(raw))
    else:
        value = _NUMBER_ADAPTER.validate_python(
            {"value": check_value(name, raw), "provenance": "assumed", "source": REPLACE_SOURCE}
        )
    ends = [value.value] if isinstance(value, Given) else [value.low, value.high, value.default]
    for number in ends:
        if number is not None:
            check_value(name, number)
    return value
