"""Reading a partner table: the CSV file an analyst fills in to start a new partnership.

One row per partner, one column per fact (``docs/new-partnership.md`` lists them). The
reader checks the table's shape (a header of known columns, the required ones present, no
column twice, at most ``sim.limits.MAX_PARTNERS`` rows, names given and unique) and reads
each cell as what its column holds: text, a kind, a number or a range ``3 to 10``, a date
(``YYYY-MM-DD``) or a window ``2026-01-05 to 2026-03-30``, or a choice (``yes``, ``no``,
``unknown``; a date where the column also takes one). A blank cell is a fact the table does
not give. Every problem is one :class:`PartnerTableError` line naming the file, the row (the
header is row 1, as a spreadsheet numbers it), the partner and the column.

Which schema fields each column fills, and what a blank cell becomes, is
:mod:`sim.scenarios.new_partnership`'s job; the bounds of each value are the schema's.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

from sim.inputs import FileError, Problem, did_you_mean, read_text
from sim.limits import MAX_PARTNERS
from sim.names import slug
from sim.scenarios.checks import RESERVED_SLUGS
from sim.scenarios.schema import KINDS, PARTNER_NUMBER_FIELDS, PARTNER_OPTIONAL_FALSE

CellKind = Literal["text", "kind", "number", "date", "yes_no", "choice_or_date"]
"""What a column's cells hold."""

YES, NO, UNKNOWN = "yes", "no", "unknown"

type Number = int | float
type Cell = str | Number | date | tuple[Number, Number] | tuple[date, date] | None
"""A cell's value: text (also a kind or a choice), a number, a date, a range of numbers or
of dates, or None for a blank cell."""

MAX_NAME = 60
"""Longest partner name, in characters (a name names its inputs, ``<slug>.staff``, and its
events, ``<slug>_interface``, which may be 80 characters long)."""

_RANGE = re.compile(r"(?P<low>.+?)\s+to\s+(?P<high>.+)", re.IGNORECASE)
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Column:
    """One column of a partner table.

    Attributes
    ----------
    name : str
        The header (the schema's field name where the column fills one field).
    cell : CellKind
        What its cells hold.
    required : bool
        Whether the header must have it.
    meaning : str
        What it says, for the documentation and messages.
    """

    name: str
    cell: CellKind
    required: bool
    meaning: str


_NUMBER_MEANINGS: Mapping[str, str] = MappingProxyType(
    {
        "staff": "staff positions that will use the shared system (a whole number)",
        "caseload": "ASB cases the whole partner handles per week",
        "involvement": "involvement in the project, 0 to 1",
        "initial_buy_in": "the partner's buy-in at the start, 0 to 1",
        "bureaucracy": "formal procedure and documentation, 0 to 1",
        "assurance": "documentary assurance at the start (agreements, minuted decisions), 0 to 1",
    }
)


def _columns() -> tuple[Column, ...]:
    """Every column, built from the schema's partner fields (so a new field is a new column)."""
    numbers = [
        Column(
            field,
            "number",
            field in ("staff", "caseload"),
            _NUMBER_MEANINGS.get(field, f"the partner's {field.replace('_', ' ')}"),
        )
        for field in PARTNER_NUMBER_FIELDS
    ]
    roles = [
        Column(flag, "yes_no", False, f"role: {flag.replace('_', ' ')} (blank: no)")
        for flag in PARTNER_OPTIONAL_FALSE
    ]
    return (
        Column("name", "text", True, "the partner's name, unique in the table"),
        Column("kind", "kind", True, f"one of {', '.join(KINDS)}"),
        *numbers,
        Column("go_live", "date", False, "date, or window, it starts recording on the system"),
        Column(
            "colocated",
            "choice_or_date",
            False,
            "staff sit with partner staff: yes (from the start), no, unknown, or from a date "
            "or window",
        ),
        Column(
            "own_system",
            "text",
            False,
            "the case system it keeps using (none: it records on the shared system only)",
        ),
        Column(
            "interface_planned",
            "choice_or_date",
            False,
            "an interface from its own system is planned: yes, no, unknown, or the date or "
            "window it goes live",
        ),
        Column("prior_use", "yes_no", False, "it already uses the shared system (blank: no)"),
        *roles,
    )


COLUMNS: Mapping[str, Column] = MappingProxyType({c.name: c for c in _columns()})
"""The columns a partner table may have, by header, in documentation order."""


class PartnerTableError(FileError):
    """A partner table the model cannot use: one line naming the file, row and column."""


@dataclass(frozen=True)
class PartnerRow:
    """One partner's row.

    Attributes
    ----------
    number : int
        Its row number as a spreadsheet shows it (the header is row 1).
    cells : mapping of str to Cell
        Each column of the table to the cell's value (None when blank).
    """

    number: int
    cells: Mapping[str, Cell]

    @property
    def name(self) -> str:
        """The partner's name."""
        return str(self.cells["name"])

    def where(self, column: str = "") -> str:
        """``row 4 (Name), column staff``: where a problem is, as messages say it."""
        name = self.cells.get("name")
        place = f"row {self.number}" + (f" ({name})" if isinstance(name, str) else "")
        return f"{place}, column {column}" if column else place


@dataclass(frozen=True)
class PartnerTable:
    """A partner table as read: its file, its columns, its rows.

    Attributes
    ----------
    file : str
        How messages name the file (the path given).
    source_name : str
        The file's own name, which the scenario's sources quote (no folders: a scenario
        generated from it reads the same wherever the table was).
    columns : tuple of str
        The headers, in the file's order.
    rows : tuple of PartnerRow
        One per partner, in the file's order.
    """

    file: str
    source_name: str
    columns: tuple[str, ...]
    rows: tuple[PartnerRow, ...]

    def error(self, where: str, problem: str) -> PartnerTableError:
        """Return the one-line error for ``problem`` at ``where`` in this table."""
        return PartnerTableError.at(self.file, where, problem)


def read_partner_table(source: str | Path | Traversable, label: str | None = None) -> PartnerTable:
    """Read the partner table in ``source`` (a CSV file, UTF-8, comma-separated).

    Parameters
    ----------
    source : str, Path or Traversable
        The file (a path, or a file shipped inside the package).
    label : str, optional
        How messages name it (default: the path given).

    Raises
    ------
    PartnerTableError
        The file cannot be read, or what is wrong in it: every cell that cannot be read and
        every name that cannot be used, each with its row and column (the first in the text).
    """
    path = Path(source) if isinstance(source, str) else source
    label = str(source) if label is None else label
    text, _ = read_text(path, label, PartnerTableError, "partner table")
    return parse_partner_table(text, label, path.name)


def parse_partner_table(text: str, label: str, source_name: str | None = None) -> PartnerTable:
    """Read a partner table from ``text`` (see :func:`read_partner_table`).

    ``source_name`` is the file name the scenario's sources quote (default: ``label``).
    """
    records = _records(text, label)
    if not records:
        raise PartnerTableError.at(label, "", "the file is empty (a header row is needed)")
    header_number, header = records[0]
    columns = _header(header, label)
    blank = PartnerTable(label, source_name or label, columns, ())
    rows: list[PartnerRow] = []
    problems: list[Problem] = []  # of cells and names, every one told
    for number, record in records[1:]:
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(columns):
            raise blank.error(f"row {number}", f"{len(record)} cells for {len(columns)} columns")
        raw = dict(zip(columns, [*record, *[""] * (len(columns) - len(record))], strict=True))
        rows.append(_row(number, raw, problems))
        if len(rows) > MAX_PARTNERS:
            raise blank.error(
                f"row {number}", f"more than {MAX_PARTNERS} partners, the most a scenario has"
            )
    if not rows:
        raise blank.error(f"row {header_number + 1}", "no partners: the table has a header only")
    _check_names([row for row in rows if "name" in row.cells], problems)
    PartnerTableError.raise_any(label, problems)
    return PartnerTable(label, blank.source_name, columns, tuple(rows))


def _records(text: str, label: str) -> list[tuple[int, list[str]]]:
    """Return the CSV records of ``text`` with their row numbers."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            number = len(records) + 1
            if reader.line_num != number:
                raise PartnerTableError.at(
                    label, f"row {number}", "a cell holds a line break (one line per row)"
                )
            records.append((number, record))
    except csv.Error as exc:
        number = len(records) + 1
        raise PartnerTableError.at(
            label, f"row {number}", f"not a CSV row ({exc}); save the table as CSV"
        ) from None
    return records


def _header(cells: list[str], label: str) -> tuple[str, ...]:
    """Return the columns named by the header row, each known, none twice, every required one."""
    names = [re.sub(r"[\s-]+", "_", cell.strip().lower()) for cell in cells]
    if len(names) == 1 and ";" in names[0]:
        raise PartnerTableError.at(
            label, "row 1", "columns are separated by ';': save the table with commas (CSV)"
        )
    for index, name in enumerate(names, start=1):
        where = f"row 1, column {index}"
        if not name:
            raise PartnerTableError.at(label, where, "the column has no name")
        if name not in COLUMNS:
            raise PartnerTableError.at(
                label,
                f"row 1, column {name}",
                f"unknown column{did_you_mean(name, COLUMNS)}; columns: {', '.join(COLUMNS)}",
            )
        if name in names[: index - 1]:
            raise PartnerTableError.at(label, f"row 1, column {name}", "the column is there twice")
    missing = [c.name for c in COLUMNS.values() if c.required and c.name not in names]
    if missing:
        raise PartnerTableError.at(
            label,
            "row 1",
            f"missing required column {missing[0]!r} (required: "
            f"{', '.join(c.name for c in COLUMNS.values() if c.required)})",
        )
    return tuple(names)


def _row(number: int, raw: Mapping[str, str], problems: list[Problem]) -> PartnerRow:
    """One partner's row, every cell read as its column says; a problem for each that is not."""
    cells: dict[str, Cell] = {}
    # The name first, so messages about the other cells can name the partner.
    order = ["name", *(c for c in raw if c != "name")]
    for column in order:
        where = PartnerRow(number, cells).where(column)
        try:
            cells[column] = read_cell(COLUMNS[column], raw[column])
        except ValueError as exc:
            problems.append(Problem(where, str(exc)))
    return PartnerRow(number, MappingProxyType({c: cells[c] for c in raw if c in cells}))


def read_cell(column: Column, text: str) -> Cell:
    """Return the value of one cell of ``column`` (None when blank).

    Raises
    ------
    ValueError
        With what is wrong, in plain words.
    """
    text = text.strip()
    if not text:
        if column.name in ("name", "kind"):
            raise ValueError("blank (required)")
        return None
    if column.cell == "text":
        return _text(text, column)
    if column.cell == "kind":
        kind = text.lower()
        if kind not in KINDS:
            raise ValueError(
                f"{text!r} is not a kind: one of {', '.join(KINDS)}{did_you_mean(kind, KINDS)}"
            )
        return kind
    if column.cell == "number":
        return _ranged(text, number_cell)
    if column.cell == "date":
        return _ranged(text, date_cell)
    choice = text.lower()
    if column.cell == "yes_no":
        if choice not in (YES, NO):
            raise ValueError(f"{text!r} is not yes or no (blank: no)")
        return choice
    if choice in (YES, NO, UNKNOWN):
        return choice
    if _ISO_DATE.fullmatch(text[:10]):
        return _ranged(text, date_cell)
    raise ValueError(
        f"{text!r} is not yes, no, unknown, a date (YYYY-MM-DD) or a window "
        "('2026-01-05 to 2026-03-30')"
    )


def _text(text: str, column: Column) -> str:
    if column.name == "name" and len(text) > MAX_NAME:
        raise ValueError(f"longer than {MAX_NAME} characters")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
        raise ValueError("holds a control character")
    return text


def _ranged(text: str, read: Callable[[str], Any]) -> Cell:
    """Return a single value, or a range ``LOW to HIGH``, each end read by ``read``."""
    match = _RANGE.fullmatch(text)
    if match is None:
        return cast(Cell, read(text))
    low, high = read(match["low"].strip()), read(match["high"].strip())
    if low > high:
        raise ValueError(f"the range {text!r} runs backwards (low first: 'LOW to HIGH')")
    return cast(Cell, (low, high))


def number_cell(text: str) -> Number:
    """Return the number written in ``text`` (a whole number stays whole).

    Raises
    ------
    ValueError
        When ``text`` is not a plain number.
    """
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    hint = (
        " (write a range as '3 to 10')"
        if re.match(r"^\d[\d.]*\s*[-–]\s*\d", text)
        else " (write numbers without separators or units)"
        if re.search(r"\d", text)
        else ""
    )
    raise ValueError(f"{text!r} is not a number{hint}")


def date_cell(text: str) -> date:
    """Return the date written in ``text`` as ``YYYY-MM-DD``.

    Raises
    ------
    ValueError
        When ``text`` is not such a date, or no such day exists.
    """
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"{text!r} is not a date: write dates as YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date ({exc})") from None


def _check_names(rows: list[PartnerRow], problems: list[Problem]) -> None:
    """Names unique, and the input names they make (their slugs) too."""
    seen: dict[str, PartnerRow] = {}
    for row in rows:
        prefix = slug(row.name)
        where = row.where("name")
        other = seen.get(prefix)
        if not prefix:
            problem = "needs a letter or digit (it names the partner's inputs)"
        elif prefix in RESERVED_SLUGS:
            problem = f"{row.name!r} names other inputs; choose another name"
        elif other is not None:
            problem = (
                f"duplicate partner name {row.name!r} (also row {other.number})"
                if other.name == row.name
                else f"{row.name!r} and {other.name!r} (row {other.number}) make the same "
                f"input names ({prefix}.staff, ...); make them differ in letters or digits"
            )
        else:
            seen[prefix] = row
            continue
        problems.append(Problem(where, problem))
