"""Factors of a sensitivity analysis: which inputs vary, over what range, in which category.

The registry gives every model parameter its framework category (``sim.params``). A scenario
adds uncertain inputs of its own (partner numbers, dates, event sizes); this module is the one
place that says which framework category each kind of scenario input belongs to, so grouped
indices answer the thesis's question for every input that varies (Cairns 2015, six
categories; ``shared/DOMAIN.md``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from sim.inputs import FileError, Problem, did_you_mean
from sim.names import slug
from sim.parameter import CATEGORIES, Category
from sim.params import PARAMETERS

if TYPE_CHECKING:
    from sim.scenarios import Scenario

Level = Literal["category", "parameter"]
"""Whether indices are per framework category (SALib groups) or per input."""

SCENARIO_INPUT_CATEGORY: Mapping[str, Category] = MappingProxyType(
    {
        # Partner numbers, named "<partner slug>.<field>".
        "staff": "Organisation",
        "caseload": "Organisation",  # workload
        "involvement": "Organisation",  # buy-in and involvement
        "initial_buy_in": "Organisation",
        "bureaucracy": "Organisation",
        "assurance": "Organisation",  # documentary assurance is the other channel of bureaucracy
        "go_live_week": "Project",  # timescales
        "colocation_week": "Organisation",  # co-location
        # Partnership-wide delay, and events by type ("events.<id>.<field>").
        "delivery_delay_weeks": "Project",
        "phase": "Project",
        "go_live": "Project",
        "training": "Individual",  # as training_relief in the registry
        "agreement": "Organisation",  # as assurance_relief
        "interface_live": "Technology",  # integration
        "colocation": "Organisation",
        "functionality_upgrade": "Technology",  # functionality and usability
        "pressure": "External Environment",  # high-profile failures
        "mandate": "Organisation",  # control, as mandate_weight
        "restructure": "Organisation",  # as turnover_rate
        # Which two councils co-located, and when ("colocation.<input>"; P7).
        "colocation.pair": "Organisation",
        "colocation.first_week": "Organisation",
        "colocation.second_week": "Organisation",
    }
)
"""Framework category of each kind of scenario input (DOMAIN.md, "The information sharing
framework"): partner fields by field name, events by event type."""


ASSIGNMENTS: Mapping[str, Mapping[str, Category]] = MappingProxyType(
    {
        # The registry's categories: the cost of double keying and of manual workarounds is
        # the sharing process (DOMAIN.md, Process), an interface's decision rules are
        # integration (Technology), and its delivery time is the project's timescale.
        "registry": MappingProxyType({}),
        # Everything about interfaces and their absence as Technology: double keying and
        # workarounds exist only because a partner has no interface (DOMAIN.md P2, P11), and
        # an interface's delivery is the technology arriving.
        "interfaces_as_technology": MappingProxyType(
            {
                "double_keying_cost": "Technology",
                "double_keying_minutes": "Technology",
                "workaround_rate": "Technology",
                "workaround_relief": "Technology",
                "interface_value_half_life": "Technology",
                "interface_build_weeks": "Technology",
            }
        ),
    }
)
"""Documented assignments of the interface-related inputs to framework categories.

Where the interface effect sits decides how large Technology looks, so a Shapley analysis
(:mod:`sim.sensitivity.shapley`) reports its answer under each assignment it names. An
input not named keeps its registry (or :data:`SCENARIO_INPUT_CATEGORY`) category."""


class FactorError(FileError):
    """An input that cannot be a factor: unknown name, or no range to vary it over.

    Names that are no uncertain input are each a problem at ``inputs[i]``.
    """


@dataclass(frozen=True, slots=True)
class Factor:
    """One input a sensitivity analysis varies uniformly over ``[low, high]``.

    Attributes
    ----------
    name : str
        Input name (registry parameter or scenario input such as ``"blaby.go_live_week"``).
    low, high : float
        Range, ``low < high``, in ``unit``.
    category : str
        Group label: a framework category for model inputs; any label for test functions.
    unit : str
        Unit of the values.
    provenance : str
        ``stated``, ``external``, ``inferred`` or ``assumed`` (empty when not known).
    """

    name: str
    low: float
    high: float
    category: str
    unit: str = ""
    provenance: str = ""

    def __post_init__(self) -> None:
        """Check that the range is not empty."""
        if not self.low < self.high:
            raise FactorError(
                f"factor {self.name!r} needs low < high, got [{self.low}, {self.high}]"
            )


def input_category(scenario: Scenario, name: str) -> Category:
    """Return the framework category of one of ``scenario``'s uncertain inputs.

    Parameters
    ----------
    scenario : Scenario
        The scenario the input belongs to (events are looked up by id for their type).
    name : str
        A registry parameter, ``delivery_delay_weeks``, ``<partner>.<field>`` or
        ``events.<id>.<field>``.
    """
    if name in PARAMETERS:
        return PARAMETERS[name].category
    if name in SCENARIO_INPUT_CATEGORY:
        return SCENARIO_INPUT_CATEGORY[name]
    parts = name.split(".")
    if parts[0] == "events" and len(parts) == 3:
        kinds = {event.id: event.type for event in scenario.spec.events}
        kind = kinds.get(parts[1])
        if kind is not None and kind in SCENARIO_INPUT_CATEGORY:
            return SCENARIO_INPUT_CATEGORY[kind]
    elif len(parts) == 2 and parts[1] in SCENARIO_INPUT_CATEGORY:
        return SCENARIO_INPUT_CATEGORY[parts[1]]
    raise FactorError(f"no framework category is known for input {name!r}")


def _unit(name: str) -> str:
    if name in PARAMETERS:
        return PARAMETERS[name].unit
    field = name.rsplit(".", 1)[-1]
    if field.endswith("week") or field.endswith("weeks"):
        return "weeks"
    return {
        "staff": "people",
        "caseload": "cases/week",
        "multiplier": "factor",
        "pair": "pair number",
    }.get(field, "fraction")


def _provenance(scenario: Scenario, name: str) -> str:
    """Provenance of an input: the scenario's range if it gives one, else the registry's."""
    spec = scenario.spec
    value: object = None
    parts = name.split(".")
    if name in PARAMETERS:
        value = spec.parameters.get(name)
        if value is None:
            return PARAMETERS[name].provenance
    elif name == "delivery_delay_weeks":
        value = spec.delivery_delay_weeks
    elif parts[0] == "colocation" and spec.colocation is not None:
        table = spec.colocation
        value = {
            "pair": table.pair,
            "first_week": table.when[0],
            "second_week": table.when[-1],
        }.get(parts[1])
    elif parts[0] == "events" and len(parts) == 3:
        for event in spec.events:
            if event.id == parts[1]:
                value = event.when if parts[2] == "week" else getattr(event, parts[2], None)
    elif len(parts) == 2:
        field = parts[1].removesuffix("_week")
        for partner in spec.partners:
            if slug(partner.name) == parts[0]:
                value = getattr(partner, field, None)
    return str(getattr(value, "provenance", ""))


def scenario_factors(
    scenario: Scenario,
    inputs: Sequence[str] | None = None,
    *,
    scenario_inputs: bool = True,
) -> tuple[Factor, ...]:
    """Return the factors of a sensitivity analysis of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        Its :meth:`~sim.scenarios.Scenario.uncertain_inputs` give names and ranges.
    inputs : sequence of str, optional
        A subset of those names (or category names, standing for every input in the
        category); when omitted, every input that can move recording (the registry's
        ``output_only`` benefit constants are left out: name them to vary them).
    scenario_inputs : bool
        When ``inputs`` is omitted, whether to include the scenario's own uncertain inputs
        (partner numbers, dates, events) besides registry parameters.

    Raises
    ------
    FactorError
        Every name that is no uncertain input (with a suggestion) and every repeated one.
    """
    ranges = scenario.uncertain_inputs()
    if inputs is None:
        names = [
            n
            for n in ranges
            if (scenario_inputs or n in PARAMETERS)
            and not (n in PARAMETERS and PARAMETERS[n].output_only)
        ]
    else:
        names, problems = _named(scenario, inputs, ranges)
        FactorError.raise_any("", problems)
    return tuple(
        Factor(
            name,
            float(ranges[name][0]),
            float(ranges[name][1]),
            input_category(scenario, name),
            _unit(name),
            _provenance(scenario, name),
        )
        for name in names
        if ranges[name][0] < ranges[name][1]
    )


def _named(
    scenario: Scenario, inputs: Sequence[str], ranges: Mapping[str, object]
) -> tuple[list[str], list[Problem]]:
    """Return the inputs ``inputs`` name (categories expanded) and a problem per bad name."""
    names: list[str] = []
    problems: list[Problem] = []
    for i, name in enumerate(inputs):
        if name in CATEGORIES:
            named = [n for n in ranges if input_category(scenario, n) == name]
        elif name in ranges:
            named = [name]
        else:
            problems.append(Problem(f"inputs[{i}]", _not_uncertain(scenario, name, ranges)))
            continue
        again = [n for n in named if n in names]
        if again:
            problems.append(Problem(f"inputs[{i}]", f"input {again[0]!r} is named more than once"))
        names += [n for n in named if n not in names]
    return names, problems


def _not_uncertain(scenario: Scenario, name: str, ranges: Mapping[str, object]) -> str:
    """Why ``name`` cannot be varied: the scenario pins it, or it is no input at all."""
    if name in PARAMETERS:
        return scenario.fixed_input(name, "vary")
    hint = did_you_mean(name, [*ranges, *CATEGORIES])
    return f"{name!r} is not an uncertain input of scenario {scenario.name!r}{hint}"


def unknown_assignment(assignment: str) -> str:
    """Return why ``assignment`` is not one of :data:`ASSIGNMENTS` (the name meant), or ``""``."""
    if assignment in ASSIGNMENTS:
        return ""
    return f"unknown assignment {assignment!r}{did_you_mean(assignment, ASSIGNMENTS)}"


def assign(factors: Sequence[Factor], assignment: str) -> tuple[Factor, ...]:
    """Return ``factors`` with their categories as the named assignment gives them.

    Raises
    ------
    FactorError
        An assignment that is not one of :data:`ASSIGNMENTS` (with a suggestion).
    """
    problem = unknown_assignment(assignment)
    if problem:
        raise FactorError(problem)
    moved = ASSIGNMENTS[assignment]
    return tuple(replace(f, category=moved[f.name]) if f.name in moved else f for f in factors)


def narrow(
    factors: Sequence[Factor], bounds: Mapping[str, tuple[float, float]]
) -> tuple[Factor, ...]:
    """Return ``factors`` with some ranges narrowed to ``bounds`` (name -> (low, high)).

    Raises
    ------
    FactorError
        Every name that is not a factor, and every pair of bounds outside its factor's range
        or not ordered, each at ``bounds.<name>``.
    """
    by_name = {f.name: f for f in factors}
    problems: list[Problem] = []
    for name, (low, high) in bounds.items():
        factor = by_name.get(name)
        if factor is None:
            suggestion = did_you_mean(name, by_name)
            problem = f"{name!r} is not one of the inputs varied{suggestion}"
        elif not factor.low <= low < high <= factor.high:
            problem = (
                f"[{low:g}, {high:g}] must be ordered and inside its range "
                f"[{factor.low:g}, {factor.high:g}]"
            )
        else:
            continue
        problems.append(Problem(f"bounds.{name}", problem))
    FactorError.raise_any("", problems)
    return tuple(
        replace(f, low=float(bounds[f.name][0]), high=float(bounds[f.name][1]))
        if f.name in bounds
        else f
        for f in factors
    )
