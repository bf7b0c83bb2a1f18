"""Malformed partner tables (the CSV ``sharesim new`` reads), one mistake at a time.

A valid base table (:data:`BASE`) gets one mutation certain to make it unusable: a cell its
column can never hold (wrong kind of value, out of the schema's bounds, an impossible date, a
backwards range, a date outside the forecast), an unknown, missing or doubled column, a
duplicate name, a row with too many cells, broken quoting, a line break in a cell, more rows
than a scenario may have, a file over the size limit, bytes that are not UTF-8. A cell's
mistake must be reported at its row and column (:attr:`Case.where`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from sim.limits import MAX_CASELOAD, MAX_FILE_BYTES, MAX_PARTNERS, MAX_STAFF
from sim.scenarios.partner_table import COLUMNS

HEADER = [
    "name",
    "kind",
    "staff",
    "caseload",
    "involvement",
    "bureaucracy",
    "go_live",
    "colocated",
    "own_system",
    "interface_planned",
    "prior_use",
    "funder",
]
BASE = [
    [
        "Northshire Police",
        "police",
        "40 to 60",
        "90",
        "",
        "0.7",
        "2026-01-05",
        "no",
        "records",
        "unknown",
        "",
        "yes",
    ],
    [
        "Eastvale Council",
        "district",
        "5",
        "12.5",
        "0.4",
        "",
        "2026-02-02 to 2026-04-27",
        "yes",
        "CRM",
        "2026-09-07",
        "no",
        "",
    ],
    ["Westmoor Council", "unitary", "", "", "", "0.2 to 0.5", "", "unknown", "none", "", "", "no"],
]
"""A valid table: three partners, some cells blank, some ranges (starting 2026-01-05)."""

Draw = Callable[[st.SearchStrategy[Any]], Any]

_TEXT = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\r\n\x00"), max_size=8
)
_NOT_A_NUMBER = st.sampled_from(["many", "3-5", "1,000", "£20", "nan", "inf", "1e400", "3 to x"])
_NOT_A_DATE = st.sampled_from(
    ["2026-02-30", "2026-13-01", "05/01/2026", "tomorrow", "2026-1-5", "2026-06-01 to 2026-01-05"]
)
_BAD: dict[str, st.SearchStrategy[str]] = {
    "name": st.sampled_from(["", "   ", "!!!", "events", "x" * 61, "a\x01b"]),
    "kind": st.sampled_from(["", "constabulary", "council", "Police Force", "0"]),
    "staff": st.one_of(
        _NOT_A_NUMBER,
        st.sampled_from(["0", "-3", "2.5", str(MAX_STAFF + 1), "10 to 2", "1 to 100001"]),
    ),
    "caseload": st.one_of(_NOT_A_NUMBER, st.sampled_from(["-1", str(MAX_CASELOAD * 10)])),
    "involvement": st.sampled_from(["1.5", "-0.1", "high", "0.2 to 1.2", "50%"]),
    "bureaucracy": st.sampled_from(["2", "-1", "low", "0.9 to 0.1"]),
    "go_live": st.one_of(_NOT_A_DATE, st.sampled_from(["2040-01-02", "yes"])),
    "colocated": st.one_of(_NOT_A_DATE, st.sampled_from(["maybe", "y", "true", "2025-01-06"])),
    "interface_planned": st.one_of(_NOT_A_DATE, st.sampled_from(["perhaps", "1", "2041-01-07"])),
    "prior_use": st.sampled_from(["maybe", "unknown", "1", "true"]),
    "funder": st.sampled_from(["maybe", "unknown", "x"]),
}
"""Values each column can never hold in :data:`BASE` (whatever row they land in)."""

assert set(_BAD) <= set(COLUMNS) and set(HEADER) <= set(COLUMNS)


@dataclass(frozen=True)
class Case:
    """One malformed table: its bytes, the mutation, and where the message must point."""

    kind: str
    data: bytes
    mutation: str
    where: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Case({self.mutation}, {self.data[:300]!r})"


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def base_table(header: list[str] = HEADER, rows: list[list[str]] = BASE) -> list[list[str]]:
    """A fresh copy of the base table (or of ``rows`` under ``header``), header first."""
    return [list(header), *(list(row) for row in rows)]


def _bad_cell(draw: Draw) -> Case:
    column = draw(st.sampled_from(sorted(_BAD)))
    index = draw(st.integers(0, len(BASE) - 1))
    value = draw(_BAD[column])
    table = base_table()
    table[index + 1][HEADER.index(column)] = value
    where = (f"row {index + 2}", f"column {column}")
    return Case("partners", csv_text(table).encode(), f"cell {column}[{index}] = {value!r}", where)


def _unknown(text: str) -> bool:
    """Whether ``text`` names no column, read as the reader reads headers."""
    name = re.sub(r"[\s-]+", "_", text.strip().lower())
    return bool(name) and name not in COLUMNS and ";" not in text


def _header(draw: Draw) -> Case:
    how = draw(st.sampled_from(["unknown", "missing", "twice", "blank"]))
    table = base_table()
    if how == "unknown":
        name = draw(st.sampled_from(["colour", "go_lve", "staf", "zz"]) | _TEXT.filter(_unknown))
        table[0].append(name)
        for row in table[1:]:
            row.append("")
        return Case("partners", csv_text(table).encode(), f"unknown column {name!r}", ("row 1",))
    if how == "missing":
        column = draw(st.sampled_from([c.name for c in COLUMNS.values() if c.required]))
        at = HEADER.index(column)
        table = [row[:at] + row[at + 1 :] for row in table]
        return Case("partners", csv_text(table).encode(), f"missing {column}", ("row 1", column))
    if how == "twice":
        column = draw(st.sampled_from(HEADER))
        table[0].append(column)
        for row in table[1:]:
            row.append("")
        return Case("partners", csv_text(table).encode(), f"{column} twice", ("row 1", column))
    table[0].append("")
    for row in table[1:]:
        row.append("1")
    return Case("partners", csv_text(table).encode(), "blank header", ("row 1",))


def _rows(draw: Draw) -> Case:
    how = draw(st.sampled_from(["duplicate", "same slug", "too many cells", "header only"]))
    table = base_table()
    if how == "duplicate":
        table.append(list(table[1]))
        return Case("partners", csv_text(table).encode(), how, ("row 5", "column name"))
    if how == "same slug":
        table.append([table[2][0].upper(), *table[2][1:]])
        return Case("partners", csv_text(table).encode(), how, ("row 5", "column name"))
    if how == "too many cells":
        index = draw(st.integers(1, len(BASE)))
        table[index].append("extra")
        return Case("partners", csv_text(table).encode(), how, (f"row {index + 1}",))
    return Case("partners", csv_text(table[:1]).encode(), how, ("row 2",))


def _text(draw: Draw) -> Case:
    text = csv_text(base_table())
    how = draw(st.sampled_from(["open quote", "line break", "semicolons", "empty", "nul"]))
    if how == "open quote":
        at = draw(st.integers(2, 4))
        lines = text.splitlines(keepends=True)
        lines[at - 1] = '"' + lines[at - 1]
        return Case("partners", "".join(lines).encode(), how, ())
    if how == "line break":
        table = base_table()
        table[2][8] = "two\nlines"
        return Case("partners", csv_text(table).encode(), how, ("row",))
    if how == "semicolons":
        return Case("partners", text.replace(",", ";").encode(), how, ("row 1",))
    if how == "nul":
        at = draw(st.integers(0, len(text)))
        return Case("partners", (text[:at] + "\x00" + text[at:]).encode(), how, ())
    return Case("partners", b"", how, ())


def _size(draw: Draw) -> Case:
    how = draw(st.sampled_from(["rows", "bytes"]))
    if how == "rows":
        rows = [[f"P{i}", *BASE[0][1:]] for i in range(MAX_PARTNERS + 1)]
        return Case("partners", csv_text(base_table(rows=rows)).encode(), "too many rows", ("row",))
    data = csv_text(base_table()).encode() + b"x" * MAX_FILE_BYTES
    return Case("partners", data, "over the size limit", ())


def _encoding(draw: Draw) -> Case:
    data = csv_text(base_table()).encode()
    how = draw(st.sampled_from(["byte", "utf-16", "latin-1"]))
    if how == "byte":
        at = draw(st.integers(0, len(data)))
        return Case("partners", data[:at] + bytes([draw(st.integers(0x80, 0xFF))]) + data[at:], how)
    if how == "latin-1":
        return Case(
            "partners", data.decode().replace("Eastvale", "Éastvale").encode("latin-1"), how
        )
    return Case("partners", data.decode().encode("utf-16"), how)


_MUTATIONS = {
    "cell": _bad_cell,
    "header": _header,
    "rows": _rows,
    "text": _text,
    "size": _size,
    "encoding": _encoding,
}


@st.composite
def malformed_table(draw: Draw) -> Case:
    """A partner table with one mistake (see the module docstring)."""
    how = draw(st.sampled_from(sorted(_MUTATIONS)))
    return _MUTATIONS[how](draw)
