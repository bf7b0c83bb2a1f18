"""Reading scenario files, resolving ``extends`` chains, checking them, writing them back.

Reading a file goes: bytes -> UTF-8 text -> TOML (``tomllib``) -> the top-level table
(:class:`~sim.scenarios.schema.ScenarioFile`) -> the parent chain -> partners, events and
parameters one table at a time -> the checks no single table can make (dates inside the run,
partner names that exist, one go-live per partner) -> a resolved
:class:`~sim.scenarios.schema.ScenarioSpec`.

Every problem becomes one :class:`ScenarioError` whose text is a single line: the file, the
field path (``partners[3].staff``, ``events[5].partner``) and the problem in plain words. When a
file has several problems the first is reported, followed by "(and N more)".
"""

from __future__ import annotations

import csv
import difflib
import importlib.resources
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib.resources.abc import Traversable
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from sim.errors import InputError
from sim.metrics import slug
from sim.params import PARAMETERS, ParameterError, check_value
from sim.scenarios.schema import (
    ALL,
    EVENT_AMOUNT_FIELDS,
    GO_LIVE_ANCHOR,
    ONE_PARTNER_TYPES,
    PARTNER_DATE_FIELDS,
    PARTNER_FIXED_FIELDS,
    PARTNER_OPTIONAL_FALSE,
    PARTNER_VALUE_FIELDS,
    VALUE_TAGS,
    DelayWeeks,
    Event,
    Given,
    Number,
    PartnerSpec,
    PosteriorSpec,
    ScenarioFile,
    ScenarioSpec,
    Span,
    StartDate,
    Value,
    Weeks,
)
from sim.timeline import EVENT_TYPES, PHASES, week_of, week_start

PACKAGE = "sim.scenarios"
"""Package whose ``*.toml`` files are the shipped scenarios."""

POSTERIOR_FILE_FIELDS = ("file", "source", "inputs", "weights", "sets")
"""Keys of a ``[posterior]`` table: ``source`` with either ``file`` or the three arrays."""

WEIGHT_COLUMN = "weight"
"""The column of a posterior file holding each set's weight."""


class ScenarioError(InputError):
    """A scenario file or value the model cannot accept (a ``ValueError``).

    Part of the project's bad-input family (:class:`sim.errors.InputError`), which the command
    line reports as one line. ``str(error)`` is one line,
    ``<file>: <field path>: <problem>``, plus "(and N more)" when there are further problems.

    Attributes
    ----------
    file : str
        The file (or scenario) the problem is in.
    path : str
        Field path such as ``partners[3].staff``; empty when the problem is the whole file.
    problem : str
        What is wrong, in plain words.
    more : int
        How many further problems were found.
    """

    def __init__(self, file: str, path: str, problem: str, more: int = 0) -> None:
        self.file = file
        self.path = path
        self.problem = problem
        self.more = more
        parts = [file, path, problem] if path else [file, problem]
        line = ": ".join(parts) + (f" (and {more} more)" if more else "")
        super().__init__(re.sub(r"[\r\n]+", " ", line))


# --- where files are -------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """A scenario file: on disk, shipped with the package, or text with no file.

    Attributes
    ----------
    label : str
        How messages name it.
    key : str
        Identity used to detect an ``extends`` cycle.
    resource : Traversable or None
        The file to read (None for text given directly).
    base : Traversable or None
        Folder that a relative ``extends`` path starts from (None: the working directory).
    """

    label: str
    key: str
    resource: Traversable | None = None
    base: Traversable | None = None


def shipped_folder() -> Traversable:
    """Return the folder holding the shipped scenario files."""
    return importlib.resources.files(PACKAGE)


def shipped_names() -> list[str]:
    """Return the names of the shipped scenarios, sorted."""
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in shipped_folder().iterdir()
        if entry.name.endswith(".toml") and entry.is_file()
    )


def _looks_like_path(reference: str) -> bool:
    return "/" in reference or "\\" in reference or reference.endswith(".toml")


def locate(reference: str | Path, relative_to: Location | None = None) -> Location:
    """Return where the scenario ``reference`` is: a shipped name or a file path.

    Parameters
    ----------
    reference : str or Path
        A bare name (``"sentinel_replay"``) looks among the shipped scenarios; anything with a
        ``/`` or ending ``.toml`` is a path.
    relative_to : Location, optional
        The file whose ``extends`` this is; a relative path starts from its folder.

    Raises
    ------
    ScenarioError
        If there is no such shipped scenario or file.
    """
    label = relative_to.label if relative_to else str(reference)
    where = "extends" if relative_to else ""
    if isinstance(reference, Path) or _looks_like_path(reference):
        if (
            relative_to is not None
            and relative_to.base is not None
            and not Path(reference).is_absolute()
        ):
            resource: Traversable = relative_to.base.joinpath(str(reference))
        else:
            resource = Path(reference)
        if not resource.is_file():
            raise ScenarioError(label, where, f"no scenario file {str(reference)!r} (not found)")
        if isinstance(resource, Path):
            return Location(
                str(reference) if relative_to is None else os.path.normpath(resource),
                f"file:{resource.resolve()}",
                resource,
                resource.parent,
            )
        return Location(
            f"{PACKAGE.replace('.', '/')}/{reference}",
            f"shipped:{reference}",
            resource,
            relative_to.base if relative_to else None,
        )
    names = shipped_names()
    if reference not in names:
        hint = difflib.get_close_matches(reference, names, n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise ScenarioError(
            label,
            where,
            f"no shipped scenario named {reference!r}{suggestion}; shipped: {', '.join(names)}",
        )
    folder = shipped_folder()
    return Location(
        f"{PACKAGE.replace('.', '/')}/{reference}.toml",
        f"shipped:{reference}",
        folder.joinpath(f"{reference}.toml"),
        folder,
    )


# --- reading ----------------------------------------------------------------------------

_TOML_POSITION = re.compile(r"^(?P<msg>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)$")


def read_document(location: Location, text: str | None = None) -> dict[str, Any]:
    """Return the TOML table in ``location`` (or ``text``), refusing unreadable content.

    Raises
    ------
    ScenarioError
        The file cannot be read, is not UTF-8 text, is not valid TOML, or is empty.
    """
    if text is None:
        if location.resource is None:
            raise ScenarioError(location.label, "", "nothing to read")
        try:
            raw = location.resource.read_bytes()
        except OSError as exc:
            raise ScenarioError(
                location.label, "", f"cannot read the file ({exc.strerror})"
            ) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ScenarioError(
                location.label,
                f"byte {exc.start}",
                "not a UTF-8 text file (binary data or another encoding?)",
            ) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_POSITION.match(message)
        if match:
            path = f"line {match['line']}, column {match['col']}"
            message = match["msg"]
        else:
            path = ""
        raise ScenarioError(location.label, path, f"TOML syntax error: {message}") from None
    if not document:
        raise ScenarioError(location.label, "", "the file is empty (no settings found)")
    return document


# --- turning pydantic errors into one line ----------------------------------------------


@dataclass
class Problems:
    """Problems found in one file, in the order found."""

    file: str
    found: list[tuple[str, str]] = field(default_factory=list)

    def add(self, path: str, problem: str) -> None:
        """Record ``problem`` at ``path``."""
        self.found.append((path, problem))

    def add_validation(self, error: ValidationError, prefix: str, drop_first: bool = False) -> None:
        """Record each error of a pydantic validation under ``prefix``.

        ``drop_first`` drops the event type pydantic puts first in an event's error locations.
        """
        for detail in error.errors(include_url=False):
            loc = list(detail["loc"])
            if drop_first and loc and loc[0] in EVENT_TYPES:
                loc = loc[1:]
            loc = [part for part in loc if part not in VALUE_TAGS]
            if loc and loc[-1] == "value" and detail["type"] != "missing":
                loc = loc[:-1]  # `staff` reads better than `staff.value`, plain or not
            if detail["type"] == "extra_forbidden" and loc:
                unknown = str(loc[-1])
                hint = _did_you_mean(unknown, _FIELD_NAMES)
                self.add(join_path(prefix, loc), f"unknown field{hint}")
                continue
            if detail["type"] in ("union_tag_not_found", "union_tag_invalid"):
                loc = [*loc, "type"]
            self.add(join_path(prefix, loc), describe(detail))

    def raise_first(self) -> None:
        """Raise the first problem as a :class:`ScenarioError`, if there is one."""
        if self.found:
            path, problem = self.found[0]
            raise ScenarioError(self.file, path, problem, len(self.found) - 1)


def join_path(prefix: str, loc: Sequence[int | str]) -> str:
    """Return ``prefix`` followed by ``loc`` as ``a.b[3].c``."""
    text = prefix
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    hint = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


def _what(value: object) -> str:
    """Describe a value as a file author would see it."""
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int):
        return f"the whole number {value}"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


_FIELD_NAMES: frozenset[str] = frozenset(
    {
        *ScenarioFile.model_fields,
        *PartnerSpec.model_fields,
        "value",
        "low",
        "high",
        "default",
        "id",
        "type",
        "note",
        "when",
        "offset_weeks",
        "partner",
        "phase",
        *EVENT_AMOUNT_FIELDS,
        *POSTERIOR_FILE_FIELDS,
    }
)


def describe(detail: ErrorDetails) -> str:
    """Return a pydantic error as a plain-words problem."""
    kind = detail["type"]
    ctx: Mapping[str, Any] = detail.get("ctx") or {}
    got = detail.get("input")
    if kind == "missing":
        return "missing (required)"
    if kind == "int_type" or kind == "int_from_float":
        return f"must be a whole number, got {_what(got)}"
    if kind == "float_type":
        return f"must be a number, got {_what(got)}"
    if kind == "bool_type":
        return f"must be true or false, got {_what(got)}"
    if kind == "string_type":
        return f"must be text in quotes, got {_what(got)}"
    if kind == "date_type":
        return f"must be a date (YYYY-MM-DD), got {_what(got)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a table, got {_what(got)}"
    if kind in ("list_type", "tuple_type"):
        return f"must be an array, got {_what(got)}"
    if kind == "finite_number":
        return f"must be a finite number, got {got}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}, got {got}"
    if kind == "less_than_equal":
        return f"must be at most {ctx['le']}, got {got}"
    if kind == "greater_than":
        return f"must be more than {ctx['gt']}, got {got}"
    if kind == "less_than":
        return f"must be less than {ctx['lt']}, got {got}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        options = re.findall(r"'([^']*)'", expected)
        hint = _did_you_mean(str(got), options) if isinstance(got, str) else ""
        return f"must be one of {expected}, got {_what(got)}{hint}"
    if kind == "union_tag_invalid":
        tag = str(ctx.get("tag"))
        return (
            f"unknown event type {tag!r}{_did_you_mean(tag, EVENT_TYPES)}; "
            f"one of {', '.join(EVENT_TYPES)}"
        )
    if kind == "union_tag_not_found":
        return f"missing (required): one of {', '.join(EVENT_TYPES)}"
    if kind == "string_pattern_mismatch":
        return f"may only use letters, digits, _ and -, got {_what(got)}"
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)"
    if kind == "value_error":
        return str(detail["msg"]).removeprefix("Value error, ")
    return str(detail["msg"])


# --- plain values get their table's provenance ------------------------------------------

_NO_PROVENANCE = (
    "has no provenance: give provenance and source on its table, "
    'or write {{ value = {value}, provenance = "...", source = "..." }}'
)


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
        if isinstance(value, dict):
            if name in no_range and ({"low", "high"} & value.keys()):
                problems.add(
                    join_path(path, [name]),
                    "cannot be a range (only numbers and dates can be uncertain)",
                )
                continue
            filled = {"provenance": provenance, "source": source} | value
            if filled["provenance"] is None or filled["source"] is None:
                shown = value.get("value", value.get("default", value.get("low", "...")))
                problems.add(
                    join_path(path, [name]), _NO_PROVENANCE.format(value=_toml_value(shown))
                )
                continue
            out[name] = filled
            continue
        if provenance is None or source is None:
            problems.add(join_path(path, [name]), _NO_PROVENANCE.format(value=_toml_value(value)))
            continue
        out[name] = {"value": value, "provenance": provenance, "source": source}
    return out


# --- resolving a file and its parents ---------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Where a resolved piece of a scenario was written: a file and a path in it."""

    file: str
    path: str

    def render(self, top: str) -> str:
        """Return the path, naming the file too when it is not ``top``."""
        return self.path if self.file == top else f"{self.path} (in {self.file})"


@dataclass(frozen=True)
class Resolved:
    """A resolved scenario with where each partner, event and parameter came from."""

    spec: ScenarioSpec
    partners: Mapping[str, Origin]
    events: tuple[Origin, ...]
    top: Mapping[str, Origin]


_EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(Event)
_NUMBER_ADAPTER: TypeAdapter[Any] = TypeAdapter(Value[Number])
_TOP_ADAPTERS: Mapping[str, TypeAdapter[Any]] = MappingProxyType(
    {
        "start_date": TypeAdapter(Given[StartDate]),
        "weeks": TypeAdapter(Given[Weeks]),
        "delivery_delay_weeks": TypeAdapter(Value[DelayWeeks]),
    }
)
_TOP_VALUE_FIELDS = tuple(_TOP_ADAPTERS)
_TOP_FIXED_FIELDS = ("start_date", "weeks")


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

    parent: Resolved | None = None
    if head.extends is not None:
        parent_location = locate(head.extends, relative_to=location)
        keys = [link.key for link in (*chain, location)]
        if parent_location.key in keys:
            names = [link.label for link in (*chain, location)][keys.index(parent_location.key) :]
            raise ScenarioError(
                location.label,
                "extends",
                f"circular extends: {' -> '.join([*names, parent_location.label])}",
            )
        parent = _resolve(parent_location, None, (*chain, location))
    else:
        for name in ("start_date", "weeks"):
            if name not in document:
                problems.add(name, "missing (required in a scenario that does not extend another)")
        if head.all_partners is not None:
            problems.add("all_partners", "only used in a scenario that extends another")
        if head.remove_events:
            problems.add("remove_events", "only used in a scenario that extends another")

    top = _merge_top(location.label, document, parent, problems)
    partners, partner_origins = _merge_partners(location.label, head, parent, problems)
    events, event_origins = _merge_events(location.label, head, parent, problems)
    parameters = _merge_parameters(head, parent, problems)
    posterior = _merge_posterior(location, head, parent, problems)
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
        )
    except ValidationError as exc:
        problems.add_validation(exc, "")
        problems.raise_first()
        raise AssertionError("unreachable") from exc
    resolved = Resolved(
        spec,
        partner_origins,
        tuple(event_origins),
        {name: origin for name, (_, origin) in top.items() if origin is not None},
    )
    check_resolved(resolved, location.label)
    return resolved


def _merge_top(
    label: str, document: Mapping[str, Any], parent: Resolved | None, problems: Problems
) -> dict[str, tuple[Any, Origin | None]]:
    table = annotate(document, _TOP_VALUE_FIELDS, "", problems, _TOP_FIXED_FIELDS)
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


def _partner_dump(partner: PartnerSpec) -> dict[str, Any]:
    return partner.model_dump(exclude_none=False)


def _merge_partners(
    label: str, head: ScenarioFile, parent: Resolved | None, problems: Problems
) -> tuple[list[PartnerSpec], dict[str, Origin]]:
    partners: dict[str, PartnerSpec] = {}
    origins: dict[str, Origin] = {}
    if parent is not None:
        partners = {p.name: p for p in parent.spec.partners}
        origins = dict(parent.partners)
    if head.all_partners is not None and parent is not None:
        if "name" in head.all_partners:
            problems.add("all_partners.name", "cannot rename every partner")
        before = len(problems.found)
        patch = annotate(
            head.all_partners, PARTNER_VALUE_FIELDS, "all_partners", problems, PARTNER_FIXED_FIELDS
        )
        patch = {k: v for k, v in patch.items() if k not in ("name", "provenance", "source")}
        for name, partner in list(partners.items()):
            if len(problems.found) > before:
                break  # one report for the patch, not one per partner
            try:
                partners[name] = PartnerSpec.model_validate({**_partner_dump(partner), **patch})
                origins[name] = Origin(label, "all_partners")
            except ValidationError as exc:
                problems.add_validation(exc, "all_partners")

    seen: dict[str, int] = {}
    for index, table in enumerate(head.partners):
        path = f"partners[{index}]"
        raw_name = table.get("name")
        if not isinstance(raw_name, str):
            problems.add(
                f"{path}.name",
                "missing (required)"
                if raw_name is None
                else f"must be text in quotes, got {_what(raw_name)}",
            )
            continue
        name = raw_name
        if name in seen:
            problems.add(
                f"{path}.name", f"duplicate partner name {name!r} (also partners[{seen[name]}])"
            )
            continue
        seen[name] = index
        before = len(problems.found)
        if name in partners:
            patch = annotate(table, PARTNER_VALUE_FIELDS, path, problems, PARTNER_FIXED_FIELDS)
            merged = {
                **_partner_dump(partners[name]),
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


def _merge_events(
    label: str, head: ScenarioFile, parent: Resolved | None, problems: Problems
) -> tuple[list[Any], list[Origin]]:
    events: list[Any] = []
    origins: list[Origin] = []
    if parent is not None:
        events = list(parent.spec.events)
        origins = list(parent.events)
    parent_ids = [e.id for e in events if e.id is not None]
    for index, event_id in enumerate(head.remove_events):
        if event_id not in parent_ids:
            problems.add(
                f"remove_events[{index}]",
                f"no inherited event has id {event_id!r}{_did_you_mean(event_id, parent_ids)}",
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
            problems.add_validation(exc, path, drop_first=True)
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
    head: ScenarioFile, parent: Resolved | None, problems: Problems
) -> dict[str, Any]:
    parameters: dict[str, Any] = dict(parent.spec.parameters) if parent else {}
    names = [k for k in head.parameters if k not in ("provenance", "source")]
    for name in names:
        if name not in PARAMETERS:
            try:
                check_value(name, 0.0)
            except ParameterError as exc:
                problems.add(f"parameters.{name}", str(exc))
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


# --- the posterior ---------------------------------------------------------------------


def _merge_posterior(
    location: Location, head: ScenarioFile, parent: Resolved | None, problems: Problems
) -> PosteriorSpec | None:
    """The scenario's posterior: its own ``[posterior]``, else the parent's without the
    inputs this file states anew (a value stated here wins over the parent's draws)."""
    if head.posterior is not None:
        return _read_posterior(location, head.posterior, problems)
    if parent is None or parent.spec.posterior is None:
        return None
    posterior = parent.spec.posterior
    restated = _restated(head, [p.name for p in parent.spec.partners])
    return posterior.without(name for name in posterior.inputs if restated(name))


def _restated(head: ScenarioFile, inherited: Sequence[str]) -> Callable[[str], bool]:
    """Whether an input is one this file states anew: a parameter it sets, a field of a
    partner it changes (or of every partner, with ``all_partners``), an event it replaces or
    removes, the delivery delay."""
    names = {str(k) for k in head.parameters}
    if head.delivery_delay_weeks is not None:
        names.add("delivery_delay_weeks")
    changes = [(str(t.get("name", "")), t) for t in head.partners]
    changes += [(name, head.all_partners) for name in inherited if head.all_partners]
    for name, table in changes:
        for key in table:
            names |= {f"{slug(name)}.{key}", f"{slug(name)}.{key}_week"}
    events = {str(t.get("id")) for t in head.events} | set(head.remove_events)
    return lambda input_name: (
        input_name in names or any(input_name.startswith(f"events.{event}.") for event in events)
    )


def _read_posterior(
    location: Location, table: Mapping[str, Any], problems: Problems
) -> PosteriorSpec | None:
    unknown = [key for key in table if key not in POSTERIOR_FILE_FIELDS]
    for key in unknown:
        hint = _did_you_mean(key, POSTERIOR_FILE_FIELDS)
        problems.add(f"posterior.{key}", f"unknown field{hint}")
    if unknown:
        return None
    content = dict(table)
    if "file" in content:
        inline = [key for key in ("inputs", "weights", "sets") if key in content]
        if inline:
            problems.add(
                "posterior",
                f"give either file or inputs, weights and sets, not both (found file and "
                f"{', '.join(inline)})",
            )
            return None
        name = content.pop("file")
        if not isinstance(name, str) or not name.strip():
            problems.add("posterior.file", f"must be a file name, got {_what(name)}")
            return None
        try:
            content.update(read_posterior_table(_beside(location, name), name))
        except InputError as exc:
            problems.add("posterior.file", str(exc))
            return None
    try:
        return PosteriorSpec.model_validate(content)
    except ValidationError as exc:
        problems.add_validation(exc, "posterior")
        return None


def _beside(location: Location, name: str) -> Traversable:
    """The file ``name``, relative to the folder of the scenario file at ``location``."""
    if Path(name).is_absolute():
        return Path(name)
    if location.base is not None:
        return location.base.joinpath(name)
    return Path(name)


def read_posterior_table(resource: Traversable, name: str) -> dict[str, Any]:
    """Read a posterior CSV file: a ``weight`` column and one column per input.

    Returns the ``inputs``, ``weights`` and ``sets`` of a :class:`PosteriorSpec`.

    Raises
    ------
    InputError
        One line naming the file, and the line and column of the first bad value.
    """
    if not resource.is_file():
        raise InputError(f"no posterior file {name!r} (not found)")
    try:
        text = resource.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read {name} ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"{name} is not a UTF-8 text file") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(rows[0]):
        raise InputError(f"{name} is empty (a header line of column names is needed)")
    header = [cell.strip() for cell in rows[0]]
    if WEIGHT_COLUMN not in header:
        raise InputError(f"{name} has no {WEIGHT_COLUMN!r} column (header: {', '.join(header)})")
    at = header.index(WEIGHT_COLUMN)
    weights: list[float] = []
    sets: list[tuple[float, ...]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(f"{name} line {number}: {len(row)} values for {len(header)} columns")
        values = []
        for column, cell in zip(header, row, strict=True):
            try:
                value = float(cell)
            except ValueError:
                raise InputError(
                    f"{name} line {number}, column {column}: {cell.strip()!r} is not a number"
                ) from None
            if not math.isfinite(value):
                raise InputError(
                    f"{name} line {number}, column {column}: {cell.strip()} is not finite"
                )
            values.append(value)
        weights.append(values[at])
        sets.append(tuple(v for j, v in enumerate(values) if j != at))
    if not sets:
        raise InputError(f"{name} has a header but no rows of values")
    return {
        "inputs": tuple(c for j, c in enumerate(header) if j != at),
        "weights": tuple(weights),
        "sets": tuple(sets),
    }


# --- checks across tables ---------------------------------------------------------------


RESERVED_SLUGS = frozenset({"events"})
"""Slugs a partner cannot have (they name other kinds of input)."""


def week_bounds(value: Given[Any] | Span[Any], start: date) -> tuple[int, int]:
    """Return the earliest and latest week a date-or-week value can take."""
    ends = [value.value] if isinstance(value, Given) else [value.low, value.high]
    weeks = [week_of(v, start) if isinstance(v, date) else int(v) for v in ends]
    return min(weeks), max(weeks)


def _show(value: Given[Any] | Span[Any]) -> str:
    if isinstance(value, Given):
        return str(value.value)
    return f"range {value.low} to {value.high}"


def check_resolved(resolved: Resolved, top: str) -> None:
    """Raise :class:`ScenarioError` if the resolved scenario is inconsistent.

    Checks what no single table can: partner names and slugs unique, go-lives and other dates
    inside the run, events naming partners that exist, one go-live per partner, phases once
    each and in order, interfaces only where allowed, ranged events having an id.
    """
    spec = resolved.spec
    problems = Problems(top)
    start = spec.start_date.value
    n_weeks = spec.weeks.value
    end = week_start(start, n_weeks)

    def where_partner(name: str, field_name: str = "") -> str:
        origin = resolved.partners.get(name, Origin(top, "partners"))
        path = origin.path + (f".{field_name}" if field_name else "")
        return Origin(origin.file, path).render(top)

    def where_event(index: int, field_name: str = "") -> str:
        origin = resolved.events[index]
        path = origin.path + (f".{field_name}" if field_name else "")
        return Origin(origin.file, path).render(top)

    def in_run(value: Given[Any] | Span[Any], where: str, what: str) -> None:
        ends = [value.value] if isinstance(value, Given) else [value.low, value.high]
        for v in ends:
            if isinstance(v, date) and v < start:
                problems.add(where, f"{what} {v} is before the start date {start}")
                return
            week = week_of(v, start) if isinstance(v, date) else int(v)
            if week >= n_weeks:
                shown = v if isinstance(v, date) else f"week {v}"
                problems.add(
                    where,
                    f"{what} {shown} is after the end of the run "
                    f"(weeks 0 to {n_weeks - 1}, ending {end})",
                )
                return

    # partners
    slugs: dict[str, str] = {}
    for partner in spec.partners:
        s = slug(partner.name)
        if not s or s in RESERVED_SLUGS:
            problems.add(
                where_partner(partner.name, "name"),
                f"partner name {partner.name!r} gives the unusable input prefix {s!r}",
            )
        elif s in slugs:
            problems.add(
                where_partner(partner.name, "name"),
                f"partner names {slugs[s]!r} and {partner.name!r} both give the input "
                f"prefix {s!r}; rename one",
            )
        slugs[s] = partner.name
        for field_name in PARTNER_DATE_FIELDS:
            value = getattr(partner, field_name)
            if value is not None:
                in_run(value, where_partner(partner.name, field_name), field_name.replace("_", "-"))
        if not partner.interface_allowed.value and partner.interface.value != "none":
            problems.add(
                where_partner(partner.name, "interface"),
                f"is {partner.interface.value!r} but interface_allowed is false",
            )

    names = {p.name: p for p in spec.partners}
    go_live_by: dict[str, list[str]] = {p.name: [] for p in spec.partners}
    colocation_by: dict[str, list[str]] = {p.name: [] for p in spec.partners}
    for partner in spec.partners:
        if partner.go_live is not None:
            go_live_by[partner.name].append(where_partner(partner.name, "go_live"))
        if partner.colocation is not None:
            colocation_by[partner.name].append(where_partner(partner.name, "colocation"))

    # events
    ids: dict[str, int] = {}
    phases: list[tuple[int, str, tuple[int, int]]] = []
    for index, event in enumerate(spec.events):
        partner_name: str | None = getattr(event, "partner", None)
        if event.id is not None:
            if event.id in ids:
                problems.add(where_event(index, "id"), f"duplicate event id {event.id!r}")
            ids[event.id] = index
        elif _has_range(event):
            problems.add(
                where_event(index, "id"),
                "missing: an event with a range needs an id (its inputs are named "
                "events.<id>.<field>)",
            )
        if partner_name is not None:
            if partner_name == ALL and event.type in ONE_PARTNER_TYPES:
                problems.add(
                    where_event(index, "partner"),
                    f"a {event.type} event needs one partner, not {ALL!r}",
                )
                continue
            if partner_name != ALL and partner_name not in names:
                problems.add(
                    where_event(index, "partner"),
                    f"unknown partner {partner_name!r}{_did_you_mean(partner_name, names)}",
                )
                continue
        anchored = isinstance(event.when, Given) and event.when.value == GO_LIVE_ANCHOR
        if anchored:
            if partner_name is None or event.type == "go_live":
                problems.add(
                    where_event(index, "when"),
                    f"when = {GO_LIVE_ANCHOR!r} needs an event with a partner "
                    "(and not a go_live event)",
                )
                continue
        else:
            in_run(event.when, where_event(index, "when"), "date")
        if event.type == "go_live":
            go_live_by[cast(str, partner_name)].append(where_event(index))
        elif event.type == "colocation":
            colocation_by[cast(str, partner_name)].append(where_event(index))
        elif event.type == "interface_live":
            partner = names[cast(str, partner_name)]
            if not partner.interface_allowed.value:
                problems.add(
                    where_event(index, "partner"), f"{partner.name!r} has interface_allowed = false"
                )
        elif event.type == "phase" and not anchored:
            phases.append((index, event.phase, week_bounds(event.when, start)))

    for name, places in go_live_by.items():
        if not places:
            problems.add(
                where_partner(name, "go_live"),
                "missing: give go_live on the partner or a go_live event",
            )
        elif len(places) > 1:
            problems.add(places[1], f"go-live of {name!r} is already given at {places[0]}")
    for name, places in colocation_by.items():
        if len(places) > 1:
            problems.add(places[1], f"co-location of {name!r} is already given at {places[0]}")

    # go-live dependent checks need every go-live known
    go_live_weeks = _go_live_bounds(spec)
    for partner in spec.partners:
        bounds = go_live_weeks.get(partner.name)
        if partner.prior_use.value and bounds is not None and bounds != (0, 0):
            problems.add(
                where_partner(partner.name, "go_live"),
                "a partner with prior_use is live from week 0 (the start date)",
            )
    for index, event in enumerate(spec.events):
        if not (isinstance(event.when, Given) and event.when.value == GO_LIVE_ANCHOR):
            continue
        partner_name = getattr(event, "partner", None)
        targets = list(names) if partner_name == ALL else [partner_name]
        for target in targets:
            bounds = go_live_weeks.get(cast(str, target))
            if bounds is None:
                continue
            low, high = bounds[0] + event.offset_weeks, bounds[1] + event.offset_weeks
            if low < 0 or high >= n_weeks:
                problems.add(
                    where_event(index, "offset_weeks"),
                    f"puts the event for {target!r} at week {low if low < 0 else high}, "
                    f"outside the run (weeks 0 to {n_weeks - 1})",
                )
                break

    seen_phases: dict[str, int] = {}
    for index, phase, _ in phases:
        if phase in seen_phases:
            problems.add(
                where_event(index, "phase"),
                f"phase {phase!r} already starts at {where_event(seen_phases[phase])}",
            )
        seen_phases[phase] = index
    ordered = sorted(phases, key=lambda item: PHASES.index(item[1]))
    for (_, phase_a, (_, latest_a)), (index_b, phase_b, (earliest_b, _)) in pairwise(ordered):
        if phase_a != phase_b and earliest_b <= latest_a:
            problems.add(
                where_event(index_b, "when"),
                f"phase {phase_b!r} can start at week {earliest_b}, not after "
                f"phase {phase_a!r} (week {latest_a}); phases run in the order "
                f"{', '.join(PHASES)}",
            )

    if spec.delivery_delay_weeks is not None:
        _, latest = week_bounds(spec.delivery_delay_weeks, start)
        if latest > n_weeks:
            where = resolved.top.get("delivery_delay_weeks", Origin(top, "delivery_delay_weeks"))
            problems.add(
                where.render(top),
                f"{_show(spec.delivery_delay_weeks)} weeks is "
                f"longer than the run ({n_weeks} weeks)",
            )
    problems.raise_first()


def _has_range(event: Any) -> bool:
    return any(
        isinstance(getattr(event, name, None), Span) for name in ("when", *EVENT_AMOUNT_FIELDS)
    )


def _go_live_bounds(spec: ScenarioSpec) -> dict[str, tuple[int, int]]:
    """Return each partner's earliest and latest go-live week as written (before any delay)."""
    start = spec.start_date.value
    out: dict[str, tuple[int, int]] = {}
    for partner in spec.partners:
        if partner.go_live is not None:
            out[partner.name] = week_bounds(partner.go_live, start)
    for event in spec.events:
        if (
            event.type == "go_live"
            and event.partner in {p.name for p in spec.partners}
            and not (isinstance(event.when, Given) and event.when.value == GO_LIVE_ANCHOR)
        ):
            out.setdefault(event.partner, week_bounds(event.when, start))
    return out


def spec_origins(spec: ScenarioSpec, label: str) -> Resolved:
    """Return ``spec`` with origins pointing at its own positions (for built specs)."""
    return Resolved(
        spec,
        {p.name: Origin(label, f"partners[{i}]") for i, p in enumerate(spec.partners)},
        tuple(Origin(label, f"events[{i}]") for i in range(len(spec.events))),
        {name: Origin(label, name) for name in _TOP_VALUE_FIELDS},
    )


# --- writing ----------------------------------------------------------------------------

_ESCAPES: Mapping[str, str] = MappingProxyType(
    {
        '"': '\\"',
        "\\": "\\\\",
        "\b": "\\b",
        "\t": "\\t",
        "\n": "\\n",
        "\f": "\\f",
        "\r": "\\r",
    }
)


def _toml_string(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_value(value: object) -> str:
    """Return ``value`` as a TOML literal (bool, int, finite float, date, str)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return _toml_string(value)
    return repr(value)


def _annotated(value: Given[Any] | Span[Any], table: tuple[str, str] | None) -> str:
    if isinstance(value, Given):
        if table == (value.provenance, value.source):
            return _toml_value(value.value)
        items: list[tuple[str, object]] = [("value", value.value)]
    else:
        items = [("low", value.low), ("high", value.high)]
        if value.default is not None:
            items.append(("default", value.default))
    if table is None or value.provenance != table[0]:
        items.append(("provenance", value.provenance))
    if table is None or value.source != table[1]:
        items.append(("source", value.source))
    return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in items) + " }"


def dump_toml(spec: ScenarioSpec, comment: str = "") -> str:
    """Return ``spec`` as scenario-file text that loads back to an equal spec.

    Plain values are written bare when their provenance and source equal their table's.
    """
    lines = [f"# {line}" if line else "#" for line in comment.splitlines()]
    lines += [
        f"name = {_toml_value(spec.name)}",
        f"description = {_toml_value(spec.description)}",
        f"start_date = {_annotated(spec.start_date, None)}",
        f"weeks = {_annotated(spec.weeks, None)}",
    ]
    if spec.delivery_delay_weeks is not None:
        lines.append(f"delivery_delay_weeks = {_annotated(spec.delivery_delay_weeks, None)}")
    if spec.parameters:
        lines += ["", "[parameters]"]
        lines += [f"{name} = {_annotated(value, None)}" for name, value in spec.parameters.items()]
    if spec.posterior is not None:
        lines += ["", *_posterior_lines(spec.posterior)]
    for partner in spec.partners:
        table = (partner.provenance, partner.source)
        lines += ["", "[[partners]]"]
        for name in ("name", "kind", "provenance", "source"):
            lines.append(f"{name} = {_toml_value(getattr(partner, name))}")
        for name in PARTNER_VALUE_FIELDS:
            value = getattr(partner, name)
            if value is not None:
                lines.append(f"{name} = {_annotated(value, table)}")
    for event in spec.events:
        table = (event.provenance, event.source)
        lines += ["", "[[events]]"]
        if event.id is not None:
            lines.append(f"id = {_toml_value(event.id)}")
        lines.append(f"type = {_toml_value(event.type)}")
        for name in ("phase", "partner"):
            if hasattr(event, name):
                lines.append(f"{name} = {_toml_value(getattr(event, name))}")
        lines.append(f"when = {_annotated(event.when, table)}")
        if event.offset_weeks:
            lines.append(f"offset_weeks = {event.offset_weeks}")
        for name in EVENT_AMOUNT_FIELDS:
            if hasattr(event, name):
                lines.append(f"{name} = {_annotated(getattr(event, name), table)}")
        if event.note:
            lines.append(f"note = {_toml_value(event.note)}")
        lines += [
            f"provenance = {_toml_value(event.provenance)}",
            f"source = {_toml_value(event.source)}",
        ]
    return "\n".join(lines) + "\n"


def _posterior_lines(posterior: PosteriorSpec) -> list[str]:
    def array(values: Iterable[object]) -> str:
        return "[" + ", ".join(_toml_value(v) for v in values) + "]"

    return [
        "[posterior]",
        f"source = {_toml_value(posterior.source)}",
        f"inputs = {array(posterior.inputs)}",
        f"weights = {array(posterior.weights)}",
        "sets = [",
        *(f"  {array(row)}," for row in posterior.sets),
        "]",
    ]


def read_headline(resource: Traversable) -> tuple[str, str]:
    """Return a shipped file's name and description without resolving it."""
    document = tomllib.loads(resource.read_bytes().decode("utf-8-sig"))
    return str(document.get("name", "")), str(document.get("description", ""))
