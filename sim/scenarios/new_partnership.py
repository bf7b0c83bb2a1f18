"""A new partnership's scenario, generated from its partner table.

An analyst lists the partners in a spreadsheet (:mod:`sim.scenarios.partner_table`); this
module turns the table into a scenario file. Every value the table gives is the user's
(``provenance = "stated"``, the table's file and row as its source: plain values in the file);
every value it does not give is an uncertain input with the range of
:mod:`sim.scenarios.partner_defaults` and ``provenance = "assumed"``. The behaviour of staff
and partners (the registry's parameters) comes from a calibrated scenario
(``behaviour_from``, :mod:`sim.scenarios.behaviour`): by default the Sentinel calibration.

>>> from sim.scenarios import examples_folder, from_partner_table
>>> new = from_partner_table(examples_folder() / "harrowdale.partners.csv", "harrowdale")
>>> new.scenario.partner_names[0]
'Harrowdale Constabulary'

How each column becomes the schema's fields:

* ``name``, ``kind`` and the numbers (``staff``, ``caseload``, ...): the field of that name;
  a range ``3 to 10`` is the user's own range;
* ``go_live``: the field (a window is a range of dates); ``prior_use = yes`` means live from
  the start;
* ``colocated``: ``yes`` from the start, a date or window from then, ``no`` never,
  ``unknown`` (or blank) a week anywhere in the run, by default the last;
* ``own_system`` and ``interface_planned``: the interface at the start and whether one may be
  built. No own system (``none``): the shared system is the partner's case system, nothing is
  keyed twice (an interface ``live``). A planned interface with a date: an ``interface_live``
  event then; ``yes`` without one: ``considering`` from the start (the model's build rules
  decide when); ``no``: none, and none may be built; unknown: none yet, one may be built;
* the role flags: the field of that name (blank: no).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from sim.inputs import describe, validation_problems
from sim.limits import EARLIEST_START, MAX_WEEKS
from sim.names import slug
from sim.params import PARAMETERS
from sim.scenarios.checks import check_resolved
from sim.scenarios.locate import Location
from sim.scenarios.origins import spec_origins
from sim.scenarios.partner_defaults import (
    INTERFACE_UNKNOWN_WHY,
    OWN_SYSTEM_WHY,
    TRAINING,
    Assumed,
    assumed_number,
    colocation_window,
    go_live_window,
)
from sim.scenarios.partner_table import (
    NO,
    UNKNOWN,
    YES,
    Cell,
    PartnerRow,
    PartnerTable,
    PartnerTableError,
    read_partner_table,
)
from sim.scenarios.problems import ScenarioError
from sim.scenarios.resolve import resolve_location
from sim.scenarios.scenario import Scenario
from sim.scenarios.schema import (
    PARTNER_NUMBER_FIELDS,
    PARTNER_OPTIONAL_FALSE,
    PartnerSpec,
    ScenarioSpec,
)
from sim.scenarios.toml import dump_toml

DEFAULT_BEHAVIOUR = "sentinel_calibrated"
"""The calibrated scenario a new partnership takes its behaviour from unless told otherwise."""

DEFAULT_WEEKS = 156
"""Forecast length unless told otherwise: three years, as the Sentinel observation."""

NO_SYSTEM = "none"
"""What ``own_system`` says when the partner keeps no case system of its own."""

FIELD_COLUMNS: Mapping[str, str] = {
    **{field: field for field in PARTNER_NUMBER_FIELDS},
    **{flag: flag for flag in PARTNER_OPTIONAL_FALSE},
    "go_live": "go_live",
    "prior_use": "prior_use",
    "colocation": "colocated",
    "interface": "interface_planned",
    "interface_allowed": "interface_planned",
}
"""The column of the partner table each schema field is read from (tested to cover them)."""

PINNED: Mapping[str, Mapping[str, Any]] = {
    "caseload_scale": {
        "value": 1.0,
        "provenance": "assumed",
        "source": "Caseloads are the partner table's own figures; the calibrated "
        "caseload_scale corrected Leicestershire's guessed caseloads and does not transfer",
    }
}
"""Registry parameters a generated scenario sets, so no calibrated behaviour replaces them:
``caseload_scale`` (the table's caseloads are taken as given)."""

_ADAPTERS: Mapping[str, TypeAdapter[Any]] = {
    name: TypeAdapter(info.annotation)
    for name, info in PartnerSpec.model_fields.items()
    if info.annotation is not None
}
_NAME = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class NewPartnership:
    """A scenario generated from a partner table.

    Attributes
    ----------
    text : str
        The scenario file (write it as ``<name>.toml``).
    scenario : Scenario
        The scenario it loads as (behaviour resolved).
    stated : int
        Values the table gave (``provenance = "stated"``).
    assumed : int
        Values it did not give, assumed (most are uncertain inputs).
    """

    text: str
    scenario: Scenario
    stated: int
    assumed: int

    def __repr__(self) -> str:
        """One line: the scenario and how many values the table gave (``text`` is the file)."""
        values = f"{self.stated} values stated, {self.assumed} assumed"
        return f"<NewPartnership {self.scenario.name!r}: {self.scenario.outline()}; {values}>"


def from_partner_table(
    source: str | Path | Traversable | PartnerTable,
    name: str,
    *,
    start: date | None = None,
    weeks: int = DEFAULT_WEEKS,
    behaviour_from: str | None = DEFAULT_BEHAVIOUR,
    description: str | None = None,
    folder: Path | None = None,
) -> NewPartnership:
    """Return the scenario of the partnership in the partner table ``source``.

    Parameters
    ----------
    source : str, Path, Traversable or PartnerTable
        The partner table (a CSV file, ``docs/new-partnership.md``), or one already read.
    name : str
        The scenario's name (letters, digits, ``_`` and ``-``): its file is ``<name>.toml``.
    start : date, optional
        First day of week 0, the start of the project. Default: the Monday of the earliest
        go-live in the table.
    weeks : int
        Length of the forecast in weeks (1 to ``sim.limits.MAX_WEEKS``).
    behaviour_from : str or None
        The calibrated scenario whose behaviour (registry parameters and their posterior) the
        new one takes; None keeps the registry's defaults and ranges.
    description : str, optional
        The scenario's one-line description.
    folder : Path, optional
        The folder the file will be written to: a relative ``behaviour_from`` starts there
        and must stay inside it (default: the working directory).

    Raises
    ------
    PartnerTableError
        One line naming the table's row and column, for a value the scenario cannot hold.
    ScenarioError
        For a ``behaviour_from`` that cannot be used.
    """
    table = source if isinstance(source, PartnerTable) else read_partner_table(source)
    if not _NAME.fullmatch(name):
        raise PartnerTableError.at(
            table.file, "", f"the scenario name {name!r} may hold only letters, digits, _ and -"
        )
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_WEEKS:
        raise PartnerTableError.at(
            table.file, "", f"the forecast must be 1 to {MAX_WEEKS} weeks, got {weeks!r}"
        )
    spec = partnership_spec(table, name, start=start, weeks=weeks, description=description)
    text = dump_toml(spec, _comment(table, name, behaviour_from), behaviour_from)
    place = Path.cwd() if folder is None else folder
    label = str(place / f"{name}.toml")
    location = Location(label, f"new:{label}", None, place, place)
    scenario = Scenario(resolve_location(location, text).spec, label)
    values = [v for p in spec.partners for v in _values(p)]
    stated = sum(v.provenance == "stated" for v in values)
    return NewPartnership(text, scenario, stated, len(values) - stated)


def partnership_spec(
    table: PartnerTable,
    name: str,
    *,
    start: date | None = None,
    weeks: int = DEFAULT_WEEKS,
    description: str | None = None,
) -> ScenarioSpec:
    """Return the checked scenario content of ``table`` (before any behaviour is taken).

    Raises
    ------
    PartnerTableError
        One line naming the row and column of the first value the scenario cannot hold.
    """
    first_day = _start(table) if start is None else start
    # Every cell is checked before a missing start is reported: a table's own mistakes first.
    partners = tuple(_partner(table, row, first_day or EARLIEST_START, weeks) for row in table.rows)
    if first_day is None:
        raise PartnerTableError.at(
            table.file,
            "",
            "no go-live date to start the forecast from: give one for a partner, or a start "
            "date (--start)",
        )
    began = (
        "given when generating"
        if start
        else f"the Monday of the earliest go-live in {table.source_name}"
    )
    top_source = f"Week 0 {began}; the forecast's length chosen when generating"
    spec_data = {
        "name": name,
        "description": description
        or f"New partnership {name}: {len(partners)} partners from {table.source_name}.",
        "start_date": {"value": first_day, "provenance": "stated", "source": top_source},
        "weeks": {"value": weeks, "provenance": "stated", "source": top_source},
        "parameters": {key: value for key, value in PINNED.items() if key in PARAMETERS},
        "partners": partners,
        "events": (_training(), *_interface_events(table, first_day)),
    }
    try:
        spec = ScenarioSpec.model_validate(spec_data)
    except ValidationError as exc:
        where, problem = validation_problems(exc)[0]
        raise PartnerTableError.at(table.file, "", f"{where}: {problem}") from None
    try:
        check_resolved(spec_origins(spec, table.file), table.file)
    except ScenarioError as exc:
        raise _in_table(table, exc) from None
    return spec


def _start(table: PartnerTable) -> date | None:
    """Return the Monday of the earliest go-live the table gives (None if it gives none)."""
    days = [
        end
        for row in table.rows
        for end in _ends(row.cells.get("go_live"))
        if isinstance(end, date)
    ]
    if not days:
        return None
    first = min(days)
    return first - timedelta(days=first.weekday())


def _ends(cell: Cell) -> tuple[Any, ...]:
    return cell if isinstance(cell, tuple) else (cell,)


def _partner(table: PartnerTable, row: PartnerRow, start: date, weeks: int) -> PartnerSpec:
    """Return the partner of one row: the table's values as given, the rest assumed."""
    cells = row.cells
    kind = str(cells["kind"])
    stated = {"provenance": "stated", "source": f"{table.source_name} row {row.number}"}
    roles = [flag for flag in PARTNER_OPTIONAL_FALSE if cells.get(flag) == YES]
    fields: dict[str, Any] = {"name": row.name, "kind": kind, **stated}
    for field in PARTNER_NUMBER_FIELDS:
        cell = cells.get(field)
        fields[field] = (
            _assumed(assumed_number(field, kind, roles)) if cell is None else _given(cell, stated)
        )
    for flag in PARTNER_OPTIONAL_FALSE:
        fields[flag] = {"value": flag in roles, **stated}
    prior_use = cells.get("prior_use") == YES
    fields["prior_use"] = {"value": prior_use, **stated}
    fields["go_live"] = _go_live(cells.get("go_live"), prior_use, start, weeks, stated)
    colocation = _colocation(cells.get("colocated"), start, weeks, stated)
    if colocation is not None:
        fields["colocation"] = colocation
    fields |= _interface(table, row, stated)
    for field, value in fields.items():
        _check_field(table, row, field, value)
    return PartnerSpec.model_validate(fields)


def _given(cell: Cell, stated: Mapping[str, str]) -> dict[str, Any]:
    """Return a value the table gives: one value, or the user's own range."""
    if isinstance(cell, tuple):
        return {"low": cell[0], "high": cell[1], **stated}
    return {"value": cell, **stated}


def _assumed(assumed: Assumed, start: date | None = None) -> dict[str, Any]:
    """Return an assumed range (weeks become dates when ``start`` is given)."""
    ends: list[Any] = [assumed.low, assumed.high, assumed.default]
    if start is not None:
        ends = [start + timedelta(weeks=int(week)) for week in ends]
    return {
        "low": ends[0],
        "high": ends[1],
        "default": ends[2],
        "provenance": "assumed",
        "source": f"Assumed (not in the partner table): {assumed.why}",
    }


def _go_live(
    cell: Cell, prior_use: bool, start: date, weeks: int, stated: Mapping[str, str]
) -> dict[str, Any]:
    if cell is not None:
        return _given(cell, stated)
    if prior_use:
        return {"value": start, **stated}
    return _assumed(go_live_window(weeks), start)


def _colocation(
    cell: Cell, start: date, weeks: int, stated: Mapping[str, str]
) -> dict[str, Any] | None:
    if cell == NO:
        return None
    if cell == YES:
        return {"value": start, **stated}
    if cell is None or cell == UNKNOWN:
        return _assumed(colocation_window(weeks), start)
    return _given(cell, stated)


def _interface(table: PartnerTable, row: PartnerRow, stated: Mapping[str, str]) -> dict[str, Any]:
    """Return the interface at the start and whether one may be built.

    Read from the row's ``own_system`` and ``interface_planned``.
    """
    own, planned = row.cells.get("own_system"), row.cells.get("interface_planned")
    source = stated["source"]
    if own is not None and str(own).lower() == NO_SYSTEM:
        if planned not in (None, NO, UNKNOWN):
            raise table.error(
                row.where("interface_planned"),
                f"own_system is {NO_SYSTEM!r}: there is no system to build an interface from",
            )
        # Nothing to key twice: the shared system is the partner's own case system.
        live = {"value": "live", "provenance": "stated", "source": f"{source}: no own system"}
        return {"interface": live, "interface_allowed": {**live, "value": True}}
    state = "considering" if planned == YES else "none"
    if own is None:
        interface = {
            "value": state,
            "provenance": "assumed",
            "source": f"Assumed: {OWN_SYSTEM_WHY}",
        }
    else:
        interface = {
            "value": state,
            "provenance": "stated",
            "source": f"{source}: own system: {own}",
        }
    if planned is None or planned == UNKNOWN:
        allowed = {
            "value": True,
            "provenance": "assumed",
            "source": f"Assumed: {INTERFACE_UNKNOWN_WHY}",
        }
    else:
        allowed = {"value": planned != NO, **stated}
    return {"interface": interface, "interface_allowed": allowed}


def _check_field(table: PartnerTable, row: PartnerRow, field: str, value: Any) -> None:
    """Raise the table's one-line error if ``value`` is not a valid ``field``.

    Valid means within the schema's bounds; the error names the column it came from.
    """
    if field in ("name", "kind", "provenance", "source"):
        return
    try:
        _ADAPTERS[field].validate_python(value)
    except ValidationError as exc:
        detail = exc.errors()[0]
        end = next((str(p) for p in detail["loc"] if p in ("low", "high")), "")
        shown = f" (the {end} end of the range)" if end else ""
        where = row.where(FIELD_COLUMNS.get(field, field))
        raise table.error(where, describe(detail) + shown) from None


def _training() -> dict[str, Any]:
    """Return the training wave at each go-live."""
    coverage = _assumed(TRAINING)
    who = {"provenance": "assumed", "source": coverage["source"]}
    return {
        "id": "go_live_training",
        "type": "training",
        "partner": "all",
        "when": {"value": "go_live", **who},
        "coverage": coverage,
        **who,
    }


def _interface_events(table: PartnerTable, start: date) -> Iterator[dict[str, Any]]:
    """Return an ``interface_live`` event for each partner whose interface has a planned date."""
    for row in table.rows:
        planned = row.cells.get("interface_planned")
        if isinstance(planned, date | tuple):
            stated = {"provenance": "stated", "source": f"{table.source_name} row {row.number}"}
            yield {
                "id": f"{slug(row.name)}_interface",
                "type": "interface_live",
                "partner": row.name,
                "when": _given(planned, stated),
                **stated,
            }


_PARTNER_PATH = re.compile(r"^partners\[(\d+)\](?:\.(\w+))?")
_EVENT_PATH = re.compile(r"^events\[(\d+)\]")


def _in_table(table: PartnerTable, error: ScenarioError) -> PartnerTableError:
    """Return a scenario check's problem, placed at the table's row and column."""
    partner = _PARTNER_PATH.match(error.path)
    if partner is not None:
        row = table.rows[int(partner[1])]
        column = FIELD_COLUMNS.get(partner[2] or "", "")
        return table.error(row.where(column), error.problem)
    event = _EVENT_PATH.match(error.path)
    planned = [r for r in table.rows if isinstance(r.cells.get("interface_planned"), date | tuple)]
    if event is not None and 0 < int(event[1]) <= len(planned):
        return table.error(planned[int(event[1]) - 1].where("interface_planned"), error.problem)
    return table.error("", error.problem)


def _values(partner: PartnerSpec) -> Iterator[Any]:
    for field in FIELD_COLUMNS:
        value = getattr(partner, field)
        if value is not None:
            yield value


def _comment(table: PartnerTable, name: str, behaviour_from: str | None) -> str:
    behaviour = (
        f"Behaviour (the registry's parameters) is taken from {behaviour_from}: each run\n"
        "draws one set from its posterior. Partner facts and events are this table's."
        if behaviour_from
        else "Behaviour: the registry's defaults and ranges (no calibrated behaviour taken)."
    )
    return (
        f"{name}: generated from the partner table {table.source_name} "
        "(docs/new-partnership.md).\n\n"
        "Plain values are the table's (provenance stated, the table's row as source). Values\n"
        "the table did not give are ranges marked assumed, each saying why; they are the\n"
        "scenario's uncertain inputs (sharesim validate lists them).\n"
        f"{behaviour}\n"
        "To change a partner fact, edit the table and generate again, or write a scenario\n"
        f'that extends this one (extends = "{name}.toml") and says what differs.'
    )
