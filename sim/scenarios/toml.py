"""Writing scenario files: the one TOML writer, escaping every string it writes.

:func:`dump_toml` writes a resolved scenario (no ``extends``) that loads back to an equal
one; :func:`extension_toml` writes a scenario that extends another, restating some parameters
and naming a posterior file (what ``sharesim calibrate`` writes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any

from sim.scenarios.schema import (
    EVENT_AMOUNT_FIELDS,
    PARTNER_VALUE_FIELDS,
    ColocationSpec,
    PartnerSpec,
    PosteriorSpec,
    ScenarioSpec,
)
from sim.scenarios.values import Given, Span

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

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _is_control(char: str) -> bool:
    return ord(char) < 0x20 or ord(char) == 0x7F


def toml_string(text: str) -> str:
    """Return ``text`` as a TOML basic string: quotes, backslashes, control characters escaped."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif _is_control(char):
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_key(name: str) -> str:
    """Return ``name`` as a TOML key: bare when it can be, quoted otherwise."""
    return name if _BARE_KEY.fullmatch(name) else toml_string(name)


def toml_value(value: object) -> str:
    """Return ``value`` as a TOML literal (bool, int, float, date, str)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return toml_string(value)
    return repr(value)


def toml_comment(text: str) -> list[str]:
    """Return ``text`` as comment lines (``#`` alone for an empty line).

    A control character TOML does not allow in a comment is shown escaped.
    """
    lines = [
        "".join(toml_string(c)[1:-1] if _is_control(c) and c != "\t" else c for c in line)
        for line in text.splitlines()
    ]
    return [f"# {line}" if line else "#" for line in lines]


def inline_table(items: Iterable[tuple[str, object]]) -> str:
    """Return ``{ key = value, ... }``."""
    return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in items) + " }"


def annotated_value(value: Given[Any] | Span[Any], table: tuple[str, str] | None = None) -> str:
    """Return a value with provenance as TOML.

    Bare when its provenance and source are its table's (``table``), else an inline table
    naming what differs.
    """
    if isinstance(value, Given):
        if table == (value.provenance, value.source):
            return toml_value(value.value)
        items: list[tuple[str, object]] = [("value", value.value)]
    else:
        items = [("low", value.low), ("high", value.high)]
        if value.default is not None:
            items.append(("default", value.default))
    if table is None or value.provenance != table[0]:
        items.append(("provenance", value.provenance))
    if table is None or value.source != table[1]:
        items.append(("source", value.source))
    return inline_table(items)


def dump_toml(spec: ScenarioSpec, comment: str = "", behaviour_from: str | None = None) -> str:
    """Return ``spec`` as scenario-file text that loads back to an equal spec.

    Plain values are written bare when their provenance and source equal their table's.
    With ``behaviour_from``, the file takes its behaviour from that calibrated scenario
    (:mod:`sim.scenarios.behaviour`), and loads back to ``spec`` with that behaviour added.
    """
    lines = toml_comment(comment)
    lines += [""] if lines and behaviour_from else []
    lines += [
        f"name = {toml_value(spec.name)}",
        f"description = {toml_value(spec.description)}",
        *([f"behaviour_from = {toml_value(behaviour_from)}"] if behaviour_from else []),
        f"start_date = {annotated_value(spec.start_date)}",
        f"weeks = {annotated_value(spec.weeks)}",
    ]
    if spec.delivery_delay_weeks is not None:
        lines.append(f"delivery_delay_weeks = {annotated_value(spec.delivery_delay_weeks)}")
    if spec.parameters:
        lines += ["", "[parameters]"]
        lines += [f"{toml_key(k)} = {annotated_value(v)}" for k, v in spec.parameters.items()]
    if spec.posterior is not None:
        lines += ["", *_posterior_lines(spec.posterior)]
    if spec.colocation is not None:
        lines += ["", *_colocation_lines(spec.colocation)]
    for partner in spec.partners:
        lines += ["", *_partner_lines(partner)]
    for event in spec.events:
        lines += ["", *_event_lines(event)]
    return "\n".join(lines) + "\n"


def extension_toml(
    name: str,
    description: str,
    extends: str,
    parameters: Mapping[str, Mapping[str, object]],
    posterior: Mapping[str, str] | None = None,
    comment: str = "",
) -> str:
    """Return a scenario file that extends another.

    Parameters
    ----------
    name, description : str
        The new scenario's name and one-line description.
    extends : str
        The scenario it extends (a shipped name or a path).
    parameters : mapping of str to mapping
        Parameters it sets, in order, each an inline table given as its keys and values in
        order (``low``, ``high``, ``default``, ``provenance``, ``source``).
    posterior : mapping of str to str, optional
        Its ``[posterior]`` table (``file`` and ``source``).
    comment : str
        Text of the comment the file starts with.
    """
    lines = toml_comment(comment)
    lines += [""] if lines else []
    lines += [
        f"name = {toml_value(name)}",
        f"description = {toml_value(description)}",
        f"extends = {toml_value(extends)}",
    ]
    if parameters:
        lines += ["", "[parameters]"]
        lines += [f"{toml_key(k)} = {inline_table(v.items())}" for k, v in parameters.items()]
    if posterior is not None:
        lines += ["", *posterior_file_lines(posterior)]
    return "\n".join(lines) + "\n"


def posterior_file_lines(posterior: Mapping[str, str]) -> list[str]:
    """Return a ``[posterior]`` table that names a posterior file (``file`` and ``source``)."""
    return ["[posterior]", *(f"{toml_key(k)} = {toml_value(v)}" for k, v in posterior.items())]


def _partner_lines(partner: PartnerSpec) -> list[str]:
    table = (partner.provenance, partner.source)
    lines = ["[[partners]]"]
    for name in ("name", "kind", "provenance", "source"):
        lines.append(f"{name} = {toml_value(getattr(partner, name))}")
    for name in PARTNER_VALUE_FIELDS:
        value = getattr(partner, name)
        if value is not None:
            lines.append(f"{name} = {annotated_value(value, table)}")
    return lines


def _event_lines(event: Any) -> list[str]:
    table = (event.provenance, event.source)
    lines = ["[[events]]"]
    if event.id is not None:
        lines.append(f"id = {toml_value(event.id)}")
    lines.append(f"type = {toml_value(event.type)}")
    for name in ("phase", "partner"):
        if hasattr(event, name):
            lines.append(f"{name} = {toml_value(getattr(event, name))}")
    lines.append(f"when = {annotated_value(event.when, table)}")
    if event.offset_weeks:
        lines.append(f"offset_weeks = {event.offset_weeks}")
    for name in EVENT_AMOUNT_FIELDS:
        if hasattr(event, name):
            lines.append(f"{name} = {annotated_value(getattr(event, name), table)}")
    if event.note:
        lines.append(f"note = {toml_value(event.note)}")
    lines += [
        f"provenance = {toml_value(event.provenance)}",
        f"source = {toml_value(event.source)}",
    ]
    return lines


def _colocation_lines(colocation: ColocationSpec) -> list[str]:
    table = (colocation.provenance, colocation.source)
    when = ", ".join(annotated_value(w, table) for w in colocation.when)
    councils = ", ".join(toml_value(c) for c in colocation.councils)
    return [
        "[colocation]",
        f"provenance = {toml_value(colocation.provenance)}",
        f"source = {toml_value(colocation.source)}",
        f"councils = [{councils}]",
        f"pair = {annotated_value(colocation.pair, table)}",
        f"when = [{when}]",
    ]


def _posterior_lines(posterior: PosteriorSpec) -> list[str]:
    def array(values: Iterable[object]) -> str:
        return "[" + ", ".join(toml_value(v) for v in values) + "]"

    return [
        "[posterior]",
        f"source = {toml_value(posterior.source)}",
        f"inputs = {array(posterior.inputs)}",
        f"weights = {array(posterior.weights)}",
        "sets = [",
        *(f"  {array(row)}," for row in posterior.sets),
        "]",
    ]
