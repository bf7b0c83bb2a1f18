"""A scenario's uncertain inputs: their names, ranges, defaults and framework categories.

Inputs are named ``<parameter>`` (registry parameters), ``delivery_delay_weeks``,
``<partner slug>.<field>`` (``blaby.staff``, ``blaby.go_live_week``),
``events.<event id>.<field>`` (``events.upgrade_1.week``, ``events.upgrade_1.multiplier``) and
``colocation.<input>`` (``colocation.pair``, ``colocation.first_week``,
``colocation.second_week``). Dates are inputs in weeks from the start date; the co-located
pair is its number in the ``[colocation]`` table's list of pairs, rounded to a whole number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from sim.inputs import did_you_mean
from sim.names import slug
from sim.parameter import Category, ParameterError
from sim.params import PARAMETERS, check_value
from sim.posterior import Posterior
from sim.scenarios.problems import Problems, ScenarioError
from sim.scenarios.schema import (
    COLOCATION_INPUTS,
    EVENT_AMOUNT_FIELDS,
    EVENT_INPUT_CATEGORY,
    PARTNER_DATE_FIELDS,
    PARTNER_INPUT_CATEGORY,
    PARTNER_NUMBER_FIELDS,
    ScenarioSpec,
)
from sim.scenarios.values import Span
from sim.timeline import week_of


@dataclass(frozen=True, slots=True)
class UncertainInput:
    """One uncertain input: its range, its default and its framework category."""

    low: float
    high: float
    default: float
    category: Category


def uncertain_inputs(spec: ScenarioSpec) -> dict[str, UncertainInput]:
    """Return every uncertain input of the scenario ``spec``, by name.

    Registry parameters the scenario does not pin (with their registry range, or the
    scenario's range when it gives one), then ``delivery_delay_weeks``, partner fields and
    event fields that are ranges.
    """
    start = spec.start
    inputs: dict[str, UncertainInput] = {}
    for name, param in PARAMETERS.items():
        given = spec.parameters.get(name)
        if isinstance(given, Span):
            inputs[name] = _number_input(given, param.category)
        elif given is None and param.uncertain:
            inputs[name] = UncertainInput(param.low, param.high, param.default, param.category)
    delay = spec.delivery_delay_weeks
    if isinstance(delay, Span):
        inputs["delivery_delay_weeks"] = _week_input(delay, start, "Project")
    for partner in spec.partners:
        prefix = slug(partner.name)
        for name in PARTNER_NUMBER_FIELDS:
            value = getattr(partner, name)
            if isinstance(value, Span):
                inputs[f"{prefix}.{name}"] = _number_input(value, PARTNER_INPUT_CATEGORY[name])
        for name in PARTNER_DATE_FIELDS:
            value = getattr(partner, name)
            if isinstance(value, Span):
                category = PARTNER_INPUT_CATEGORY[f"{name}_week"]
                inputs[f"{prefix}.{name}_week"] = _week_input(value, start, category)
    for event in spec.events:
        category = EVENT_INPUT_CATEGORY[event.type]
        if isinstance(event.when, Span):
            inputs[f"events.{event.id}.week"] = _week_input(event.when, start, category)
        for name in EVENT_AMOUNT_FIELDS:
            value = getattr(event, name, None)
            if isinstance(value, Span):
                inputs[f"events.{event.id}.{name}"] = _number_input(value, category)
    colocation = spec.colocation
    if colocation is not None:
        category = PARTNER_INPUT_CATEGORY["colocation_week"]
        if isinstance(colocation.pair, Span):
            inputs["colocation.pair"] = _number_input(colocation.pair, category)
        for name, when in zip(COLOCATION_INPUTS[1:], colocation.when, strict=True):
            if isinstance(when, Span):
                inputs[f"colocation.{name}"] = _week_input(when, start, category)
    return inputs


def choose(
    inputs: Mapping[str, UncertainInput], values: Mapping[str, float], origin: str
) -> dict[str, float]:
    """Return ``values``, each checked to name an input or registry parameter in its range.

    Raises
    ------
    ScenarioError
        An unknown name (with a suggestion) or a value outside its range.
    """
    problems = Problems(origin)
    chosen: dict[str, float] = {}
    for name, value in values.items():
        spec = inputs.get(name)
        # The usual case first: a float for an input, within its range.
        if (
            spec is not None
            and type(value) is float
            and spec.low <= value <= spec.high
            and math.isfinite(value)
        ):
            chosen[name] = value
            continue
        if spec is None and name in PARAMETERS:
            try:
                chosen[name] = check_value(name, value)
            except ParameterError as exc:
                problems.add(_value_path(name), str(exc))
            continue
        if spec is None:
            hint = did_you_mean(name, [*inputs, *PARAMETERS])
            problems.add(_value_path(name), f"unknown input{hint}; see Scenario.uncertain_inputs()")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.add(
                _value_path(name), f"must be a number, got {type(value).__name__} {value!r}"
            )
            continue
        number = float(value)
        if not math.isfinite(number) or not spec.low <= number <= spec.high:
            problems.add(
                _value_path(name),
                f"{number:g} is outside its range [{spec.low:g}, {spec.high:g}]",
            )
            continue
        chosen[name] = number
    problems.raise_first()
    return chosen


def _value_path(name: str) -> str:
    """Where a chosen value stands, for a message (written only when there is one)."""
    return f"values[{name!r}]"


def check_posterior(
    posterior: Posterior, inputs: Mapping[str, UncertainInput], origin: str
) -> None:
    """Raise :class:`ScenarioError` unless the posterior fits the scenario's uncertain inputs.

    Every column of ``posterior`` must be an uncertain input of the scenario and every value
    lie inside that input's range.
    """
    for j, name in enumerate(posterior.inputs):
        spec = inputs.get(name)
        if spec is None:
            raise ScenarioError.at(
                origin,
                f"posterior.inputs[{j}]",
                f"{name!r} is not an uncertain input of the scenario"
                f"{did_you_mean(name, inputs)}; see Scenario.uncertain_inputs()",
            )
        column = posterior.sets[:, j]
        outside = np.flatnonzero((column < spec.low) | (column > spec.high))
        if outside.size:
            i = int(outside[0])
            raise ScenarioError.at(
                origin,
                f"posterior.sets[{i}]",
                f"{name} = {column[i]:g} is outside its range [{spec.low:g}, {spec.high:g}]"
                + (f" (and {outside.size - 1} more sets)" if outside.size > 1 else ""),
            )


def _number_input(value: Span[Any], category: Category) -> UncertainInput:
    return UncertainInput(float(value.low), float(value.high), float(value.midpoint()), category)


def _week_input(value: Span[Any], start: date, category: Category) -> UncertainInput:
    def week(v: date | int) -> float:
        return float(week_of(v, start) if isinstance(v, date) else v)

    return UncertainInput(week(value.low), week(value.high), week(value.midpoint()), category)
