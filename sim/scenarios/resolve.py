"""Resolving a scenario file: read it, give values provenance, merge ``extends``, check it.

Plain values take their table's provenance, and the ``extends`` chain is merged before the
result is checked.

Reading a file goes: bytes -> UTF-8 text -> TOML -> the top-level table
(:class:`~sim.scenarios.schema.ScenarioFile`) -> the parent chain -> partners, events and
parameters one table at a time -> the checks no single table can make
(:mod:`sim.scenarios.checks`) -> a resolved :class:`~sim.scenarios.schema.ScenarioSpec`.
Every problem is recorded with its field path; the first is raised as one
:class:`~sim.scenarios.problems.ScenarioError` line, followed by "(and N more problems)".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from pydantic import TypeAdapter, ValidationError

from sim.inputs import describe_value, did_you_mean, parse_toml, read_toml
from sim.names import slug
from sim.parameter import ParameterError
from sim.params import PARAMETERS, check_value
from sim.scenarios.behaviour import behaviour_parameters, behaviour_posterior
from sim.scenarios.checks import check_resolved
from sim.scenarios.locate import Location, locate
from sim.scenarios.origins import Origin, Resolved
from sim.scenarios.posterior_table import read_posterior
from sim.scenarios.problems import Problems, ScenarioError, home_hint
from sim.scenarios.schema import (
    COLOCATION_INPUTS,
    EVENT_AMOUNT_FIELDS,
    PARTNER_FIXED_FIELDS,
    PARTNER_OPTIONAL_FALSE,
    PARTNER_REMOVED_FIELDS,
    PARTNER_VALUE_FIELDS,
    TOP_FIXED_FIELDS,
    ColocationSpec,
    Event,
    PartnerSpec,
    PosteriorSpec,
    ScenarioFile,
    ScenarioSpec,
)
from sim.scenarios.toml import toml_value
from sim.scenarios.values import DelayWeeks, Given, Number, StartDate, Value, Weeks

_EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(Event)
_NUMBER_ADAPTER: TypeAdapter[Any] = TypeAdapter(Value[Number])
_TOP_ADAPTERS: Mapping[str, TypeAdapter[Any]] = MappingProxyType(
    {
        "start_date": TypeAdapter(Given[StartDate]),
        "weeks": TypeAdapter(Given[Weeks]),
        "delivery_delay_weeks": TypeAdapter(Value[DelayWeeks]),
    }
)

_NO_PROVENANCE = (
    "has no provenance: give provenance and source on its table, "
    'or write {{ value = {value}, provenance = "...", source = "..." }}'
)


def read_document(location: Location, text: str | None = None) -> dict[str, Any]:
    """Return the TOML table in ``location`` (or ``text``), refusing unreadable content.

    Raises
    ------
    ScenarioError
        The file cannot be read, is not UTF-8 text, is not valid TOML, or is empty.
    """
    if text is not None:
        document = parse_toml(text, location.label, ScenarioError)
    elif location.resource is None:
        raise ScenarioError.at(location.label, "", "nothing to read")
    else:
        document, _ = read_toml(location.resource, location.label, ScenarioError)
    if not document:
        raise ScenarioError.at(location.label, "", "the file is empty (no settings found)")
    return document


def annotate(
    table: Mapping[str, Any],
    fields: Iterable[str],
    path: str,
    problems: Problems,
    fixed_only: Iterable[str] = (),
) -> dict[str, Any]:
    """Return ``table`` with each value in ``fields`` given the table's provenance.

    A plain value (a number, date, text or true/false) stands for
    ``{ value = ..., provenance = <table provenance>, source = <table source> }``; an inline
    table without ``provenance`` or ``source`` takes the table's. Problems (no provenance
    anywhere, a range where none is allowed) are added to ``problems``.
    """
    out = dict(table)
    provenance = table.get("provenance")
    source = table.get("source")
    no_range = set(fixed_only)
    for name in fields:
        if name not in table:
            continue
        value = table[name]
        where = f"{path}.{name}" if path else name
        if not isinstance(value, dict):
            if provenance is None or source is None:
                problems.add(where, _NO_PROVENANCE.format(value=toml_value(value)))
                continue
            out[name] = {"value": value, "provenance": provenance, "source": source}
            continue
        if name in no_range and ({"low", "high"} & value.keys()):
            problems.add(where, "cannot be a range (only numbers and dates can be uncertain)")
            continue
        filled = {"provenance": provenance, "source": source} | value
        if filled["provenance"] is None or filled["source"] is None:
            shown = value.get("value", value.get("default", value.get("low", "...")))
            problems.add(where, _NO_PROVENANCE.format(value=toml_value(shown)))
            continue
        out[name] = filled
    return out


def resolve_location(location: Location, text: str | None = None) -> Resolved:
    """Read, resolve and check the scenario at ``location`` (or in ``text``).

    Raises
    ------
    ScenarioError
        For the first problem found (naming the file it is in).
    """
    return _resolve(location, text, ())


def _resolve(location: Location, text: str | None, chain: tuple[Location, ...]) -> Resolved:
    document = read_document(location, text)
    problems = Problems(location.label)
    try:
        head = ScenarioFile.model_validate(document)
    except ValidationError as exc:
        problems.add_validation(exc, "")
        problems.raise_first()
        raise AssertionError("unreachable") from exc
    if head.extends is not None:
        parent: Resolved | None = _resolve_linked(location, head.extends, chain, "extends")
    else:
        parent = None
        _check_without_parent(document, head, problems)
    behaviour = None
    if head.behaviour_from is not None:
        behaviour = _resolve_linked(location, head.behaviour_from, chain, "behaviour_from").spec
        _check_behaviour(behaviour, head, problems)

    top = _merge_top(location.label, document, parent, problems)
    partners, partner_origins = _merge_partners(location.label, head, parent, problems)
    events, event_origins = _merge_events(location.label, head, parent, problems)
    inherited = dict(parent.spec.parameters) if parent else {}
    if behaviour is not None and head.behaviour_from is not None:
        inherited |= behaviour_parameters(behaviour, head.behaviour_from)
    parameters = _merge_parameters(head, inherited, problems)
    if behaviour is not None and head.behaviour_from is not None:
        drawn = behaviour_posterior(behaviour, head.behaviour_from, parameters)
        restated = _restated(head, ())
        posterior = None if drawn is None else drawn.without(filter(restated, drawn.inputs))
    else:
        posterior = _merge_posterior(location, head, parent, problems)
    colocation, colocation_origin = _merge_colocation(location.label, head, parent, problems)
    problems.raise_first()
    try:
        spec = ScenarioSpec(
            name=head.name,
            description=head.description,
            start_date=top["start_date"][0],
            weeks=top["weeks"][0],
            delivery_delay_weeks=top.get("delivery_delay_weeks", (None, None))[0],
            parameters=parameters,
            partners=tuple(partners),
            events=tuple(events),
            posterior=posterior,
            colocation=colocation,
        )
    except ValidationError as exc:
        problems.add_validation(exc, "")
        problems.raise_first()
        raise AssertionError("unreachable") from exc
    origins = {name: origin for name, (_, origin) in top.items() if origin is not None}
    if colocation_origin is not None:
        origins["colocation"] = colocation_origin
    resolved = Resolved(spec, partner_origins, tuple(event_origins), origins)
    check_resolved(resolved, location.label)
    return resolved


def _resolve_linked(
    location: Location, reference: str, chain: tuple[Location, ...], field: str
) -> Resolved:
    """Resolve the scenario the file at ``location`` names in ``field``, refusing a cycle.

    ``field`` is ``extends`` or ``behaviour_from``.
    """
    linked = locate(reference, relative_to=location, field=field)
    links = (*chain, location)
    keys = [link.key for link in links]
    if linked.key in keys:
        names = [link.label for link in links][keys.index(linked.key) :]
        raise ScenarioError.at(
            location.label, field, f"circular {field}: {' -> '.join([*names, linked.label])}"
        )
    return _resolve(linked, None, links)


def _check_behaviour(behaviour: ScenarioSpec, head: ScenarioFile, problems: Problems) -> None:
    """Record why the scenario named in ``behaviour_from`` cannot give this file its behaviour."""
    if head.posterior is not None:
        problems.add(
            "posterior",
            "give either behaviour_from or a [posterior], not both (behaviour_from brings "
            "its scenario's posterior)",
        )
    elif behaviour.posterior is None:
        problems.add(
            "behaviour_from",
            f"{head.behaviour_from!r} has no posterior to take behaviour from (name a "
            "calibrated scenario, such as one `sharesim calibrate` writes)",
        )


def _check_without_parent(
    document: Mapping[str, Any], head: ScenarioFile, problems: Problems
) -> None:
    """Record what a file that extends nothing must give and may not use."""
    for name in ("start_date", "weeks"):
        if name not in document:
            problems.add(name, "missing (required in a scenario that does not extend another)")
    if head.all_partners is not None:
        problems.add("all_partners", "only used in a scenario that extends another")
    if head.remove_events:
        problems.add("remove_events", "only used in a scenario that extends another")
    if head.remove_colocation:
        problems.add("remove_colocation", "only used in a scenario that extends another")


def _merge_top(
    label: str, document: Mapping[str, Any], parent: Resolved | None, problems: Problems
) -> dict[str, tuple[Any, Origin | None]]:
    table = annotate(document, tuple(_TOP_ADAPTERS), "", problems, TOP_FIXED_FIELDS)
    out: dict[str, tuple[Any, Origin | None]] = {}
    if parent is not None:
        out["start_date"] = (parent.spec.start_date, parent.top.get("start_date"))
        out["weeks"] = (parent.spec.weeks, parent.top.get("weeks"))
        if parent.spec.delivery_delay_weeks is not None:
            out["delivery_delay_weeks"] = (
                parent.spec.delivery_delay_weeks,
                parent.top.get("delivery_delay_weeks"),
            )
    for name, adapter in _TOP_ADAPTERS.items():
        if not isinstance(table.get(name), dict):
            continue  # absent, or already reported
        try:
            out[name] = (adapter.validate_python(table[name]), Origin(label, name))
        except ValidationError as exc:
            problems.add_validation(exc, name)
    return out


def _merge_partners(
    label: str, head: ScenarioFile, parent: Resolved | None, problems: Problems
) -> tuple[list[PartnerSpec], dict[str, Origin]]:
    partners: dict[str, PartnerSpec] = {}
    origins: dict[str, Origin] = {}
    if parent is not None:
        partners = {p.name: p for p in parent.spec.partners}
        origins = dict(parent.partners)
        if head.all_partners is not None:
            _patch_every_partner(label, head.all_partners, partners, origins, problems)
    seen: dict[str, int] = {}
    for index, table in enumerate(head.partners):
        path = f"partners[{index}]"
        name = _partner_name(table, path, seen, problems)
        if name is None:
            continue
        seen[name] = index
        before = len(problems.found)
        _report_removed(table, path, problems)
        if len(problems.found) > before:
            continue
        if name in partners:
            patch = annotate(table, PARTNER_VALUE_FIELDS, path, problems, PARTNER_FIXED_FIELDS)
            merged = {
                **partners[name].model_dump(exclude_none=False),
                **{k: v for k, v in patch.items() if k not in ("provenance", "source")},
            }
        else:
            defaults = {flag: False for flag in PARTNER_OPTIONAL_FALSE if flag not in table}
            merged = annotate(
                {**table, **defaults}, PARTNER_VALUE_FIELDS, path, problems, PARTNER_FIXED_FIELDS
            )
        if len(problems.found) > before:
            continue  # the values could not be read; validating them would repeat it
        try:
            partners[name] = PartnerSpec.model_validate(merged)
            origins[name] = Origin(label, path)
        except ValidationError as exc:
            problems.add_validation(exc, path)
    return list(partners.values()), origins


def _partner_name(
    table: Mapping[str, Any], path: str, seen: Mapping[str, int], problems: Problems
) -> str | None:
    """Return the name of the partner ``table`` describes.

    None (recording why) if it has none or repeats an earlier table's.
    """
    name = table.get("name")
    if not isinstance(name, str):
        problems.add(
            f"{path}.name",
            "missing (required)"
            if name is None
            else f"must be text in quotes, got {describe_value(name)}",
        )
        return None
    if name in seen:
        problems.add(
            f"{path}.name", f"duplicate partner name {name!r} (also partners[{seen[name]}])"
        )
        return None
    return name


def _report_removed(table: Mapping[str, Any], path: str, problems: Problems) -> None:
    """Record each field of a partner ``table`` that partners no longer have, saying why."""
    for name, advice in PARTNER_REMOVED_FIELDS.items():
        if name in table:
            problems.add(f"{path}.{name}", advice)


def _patch_every_partner(
    label: str,
    patch_table: Mapping[str, Any],
    partners: dict[str, PartnerSpec],
    origins: dict[str, Origin],
    problems: Problems,
) -> None:
    """Apply ``all_partners`` to every inherited partner (in place)."""
    if "name" in patch_table:
        problems.add("all_partners.name", "cannot rename every partner")
    before = len(problems.found)
    _report_removed(patch_table, "all_partners", problems)
    if len(problems.found) > before:
        return
    patch = annotate(
        patch_table, PARTNER_VALUE_FIELDS, "all_partners", problems, PARTNER_FIXED_FIELDS
    )
    patch = {k: v for k, v in patch.items() if k not in ("name", "provenance", "source")}
    for name, partner in list(partners.items()):
        if len(problems.found) > before:
            break  # one report for the patch, not one per partner
        try:
            partners[name] = PartnerSpec.model_validate(
                {**partner.model_dump(exclude_none=False), **patch}
            )
            origins[name] = Origin(label, "all_partners")
        except ValidationError as exc:
            problems.add_validation(exc, "all_partners")


def _merge_events(
    label: str, head: ScenarioFile, parent: Resolved | None, problems: Problems
) -> tuple[list[Any], list[Origin]]:
    events: list[Any] = list(parent.spec.events) if parent else []
    origins: list[Origin] = list(parent.events) if parent else []
    parent_ids = [e.id for e in events if e.id is not None]
    for index, event_id in enumerate(head.remove_events):
        if event_id not in parent_ids:
            problems.add(
                f"remove_events[{index}]",
                f"no inherited event has id {event_id!r}{did_you_mean(event_id, parent_ids)}",
            )
    kept = [
        (e, o)
        for e, o in zip(events, origins, strict=True)
        if e.id is None or e.id not in head.remove_events
    ]
    events = [e for e, _ in kept]
    origins = [o for _, o in kept]

    own_ids: dict[str, int] = {}
    for index, table in enumerate(head.events):
        path = f"events[{index}]"
        before = len(problems.found)
        annotated = annotate(table, ("when", *EVENT_AMOUNT_FIELDS), path, problems)
        if len(problems.found) > before:
            continue
        try:
            event = _EVENT_ADAPTER.validate_python(annotated)
        except ValidationError as exc:
            problems.add_validation(exc, path, event=True)
            continue
        if event.id is not None:
            if event.id in own_ids:
                problems.add(
                    f"{path}.id",
                    f"duplicate event id {event.id!r} (also events[{own_ids[event.id]}])",
                )
                continue
            own_ids[event.id] = index
            inherited = [i for i, e in enumerate(events) if e.id == event.id]
            if inherited:
                events[inherited[0]] = event
                origins[inherited[0]] = Origin(label, path)
                continue
        events.append(event)
        origins.append(Origin(label, path))
    return events, origins


def _merge_parameters(
    head: ScenarioFile, inherited: Mapping[str, Any], problems: Problems
) -> dict[str, Any]:
    parameters: dict[str, Any] = dict(inherited)
    names = [k for k in head.parameters if k not in ("provenance", "source")]
    for name in names:
        if name not in PARAMETERS:
            try:
                check_value(name, 0.0)
            except ParameterError as exc:
                # A close parameter name is the likelier meaning; else, where the key belongs.
                hint = "" if did_you_mean(name, PARAMETERS) else home_hint(f"parameters.{name}")
                problems.add(f"parameters.{name}", str(exc) + hint)
    known = [name for name in names if name in PARAMETERS]
    table = annotate(head.parameters, known, "parameters", problems)
    for name in known:
        raw = table[name]
        path = f"parameters.{name}"
        if not isinstance(raw, dict):
            continue  # already reported: no provenance
        try:
            value = _NUMBER_ADAPTER.validate_python(raw)
        except ValidationError as exc:
            problems.add_validation(exc, path)
            continue
        ends = (
            {"": value.value}
            if isinstance(value, Given)
            else {".low": value.low, ".high": value.high, ".default": value.default}
        )
        ok = True
        for suffix, number in ends.items():
            if number is None:
                continue
            try:
                check_value(name, number)
            except ParameterError as exc:
                problems.add(path + suffix, str(exc))
                ok = False
        if ok:
            parameters[name] = value
    return parameters


def _merge_posterior(
    location: Location, head: ScenarioFile, parent: Resolved | None, problems: Problems
) -> PosteriorSpec | None:
    """Return the scenario's posterior: its own ``[posterior]``, else the parent's.

    The parent's without the inputs this file states anew (a value stated here wins over the
    parent's draws).
    """
    if head.posterior is not None:
        return read_posterior(location, head.posterior, problems)
    if parent is None or parent.spec.posterior is None:
        return None
    posterior = parent.spec.posterior
    restated = _restated(head, [p.name for p in parent.spec.partners])
    return posterior.without(name for name in posterior.inputs if restated(name))


def _merge_colocation(
    label: str, head: ScenarioFile, parent: Resolved | None, problems: Problems
) -> tuple[ColocationSpec | None, Origin | None]:
    """Return the scenario's ``[colocation]`` table and where it came from.

    Its own, else the parent's unless the file removes it (``remove_colocation = true``).
    """
    if head.remove_colocation:
        if head.colocation is not None:
            problems.add("colocation", "given with remove_colocation = true; keep one of them")
        elif parent is not None and parent.spec.colocation is None:
            problems.add("remove_colocation", "there is no inherited [colocation] table to remove")
        return None, None
    if head.colocation is None:
        if parent is None or parent.spec.colocation is None:
            return None, None
        return parent.spec.colocation, parent.top.get("colocation")
    table = dict(head.colocation)
    before = len(problems.found)
    annotated = annotate(table, ("pair",), "colocation", problems)
    when = table.get("when")
    if isinstance(when, list):
        fields = [f"when[{i}]" for i in range(len(when))]
        entries = annotate(
            {"provenance": table.get("provenance"), "source": table.get("source")}
            | dict(zip(fields, when, strict=True)),
            fields,
            "colocation",
            problems,
        )
        annotated["when"] = [entries[name] for name in fields]
    if len(problems.found) > before:
        return None, None
    try:
        return ColocationSpec.model_validate(annotated), Origin(label, "colocation")
    except ValidationError as exc:
        problems.add_validation(exc, "colocation")
        return None, None


def _restated(head: ScenarioFile, inherited: Sequence[str]) -> Callable[[str], bool]:
    """Whether an input is one this file states anew.

    A parameter it sets, a field of a partner it changes (or of every partner, with
    ``all_partners``), an event it replaces or removes, the delivery delay.
    """
    names = {str(k) for k in head.parameters}
    if head.delivery_delay_weeks is not None:
        names.add("delivery_delay_weeks")
    if head.colocation is not None or head.remove_colocation:
        names |= {f"colocation.{name}" for name in COLOCATION_INPUTS}
    changes = [(str(t.get("name", "")), t) for t in head.partners]
    changes += [(name, head.all_partners) for name in inherited if head.all_partners]
    for name, table in changes:
        for key in table:
            names |= {f"{slug(name)}.{key}", f"{slug(name)}.{key}_week"}
    events = {str(t.get("id")) for t in head.events} | set(head.remove_events)
    return lambda input_name: (
        input_name in names or any(input_name.startswith(f"events.{event}.") for event in events)
    )
