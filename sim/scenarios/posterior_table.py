"""A scenario's ``[posterior]`` table and the CSV file of weighted sets it may name.

The table gives ``source`` and either ``file`` (a CSV beside the scenario file: a ``weight``
column and one column per uncertain input, one row per set) or the ``inputs``, ``weights``
and ``sets`` arrays themselves.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from importlib.resources.abc import Traversable
from typing import Any

from pydantic import ValidationError

from sim.errors import InputError
from sim.inputs import FileError, absent, describe_value, did_you_mean, read_text
from sim.scenarios.locate import Location, beside, place_problem
from sim.scenarios.problems import Problems
from sim.scenarios.schema import POSTERIOR_FILE_FIELDS, PosteriorSpec

WEIGHT_COLUMN = "weight"
"""The column of a posterior file holding each set's weight."""

_INLINE_FIELDS = ("inputs", "weights", "sets")


def read_posterior(
    location: Location, table: Mapping[str, Any], problems: Problems
) -> PosteriorSpec | None:
    """Return the posterior the ``[posterior]`` ``table`` of the file at ``location`` gives.

    Problems (an unknown key, both a file and arrays, a file that cannot be used, values
    the schema refuses) are added to ``problems``, and None is returned.
    """
    unknown = [key for key in table if key not in POSTERIOR_FILE_FIELDS]
    for key in unknown:
        problems.add(f"posterior.{key}", f"unknown field{did_you_mean(key, POSTERIOR_FILE_FIELDS)}")
    if unknown:
        return None
    content = dict(table)
    if "file" in content:
        inline = [key for key in _INLINE_FIELDS if key in content]
        if inline:
            problems.add(
                "posterior",
                f"give either file or inputs, weights and sets, not both (found file and "
                f"{', '.join(inline)})",
            )
            return None
        name = content.pop("file")
        if not isinstance(name, str) or not name.strip():
            problems.add("posterior.file", f"must be a file name, got {describe_value(name)}")
            return None
        outside = place_problem(location, name)
        if outside is not None:
            problems.add("posterior.file", outside)
            return None
        try:
            content.update(read_posterior_table(beside(location, name), name))
        except InputError as exc:
            problems.add("posterior.file", str(exc))
            return None
    try:
        return PosteriorSpec.model_validate(content)
    except ValidationError as exc:
        problems.add_validation(exc, "posterior")
        return None


def read_posterior_table(resource: Traversable, name: str) -> dict[str, Any]:
    """Read a posterior CSV file: a ``weight`` column and one column per input.

    Returns the ``inputs``, ``weights`` and ``sets`` of a :class:`PosteriorSpec`.

    Raises
    ------
    FileError
        One line naming the file, and the line and column of the first bad value.
    """
    if absent(resource):
        raise FileError(f"no posterior file {name!r} (not found)")
    text, _ = read_text(resource, name)
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(rows[0]):
        raise FileError(f"{name} is empty (a header line of column names is needed)")
    header = [cell.strip() for cell in rows[0]]
    if WEIGHT_COLUMN not in header:
        # The header is not shown: it is the first line of a file that is not a posterior.
        raise FileError(
            f"{name} has no {WEIGHT_COLUMN!r} column in its first line"
            f"{did_you_mean(WEIGHT_COLUMN, header)}"
        )
    at = header.index(WEIGHT_COLUMN)
    weights: list[float] = []
    sets: list[tuple[float, ...]] = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise FileError(f"{name} line {number}: {len(row)} values for {len(header)} columns")
        values = [
            _number(name, number, column, cell) for column, cell in zip(header, row, strict=True)
        ]
        weights.append(values[at])
        sets.append(tuple(v for j, v in enumerate(values) if j != at))
    if not sets:
        raise FileError(f"{name} has a header but no rows of values")
    return {
        "inputs": tuple(c for j, c in enumerate(header) if j != at),
        "weights": tuple(weights),
        "sets": tuple(sets),
    }


def _number(name: str, line: int, column: str, cell: str) -> float:
    """Read the finite number in one cell of a posterior file."""
    try:
        value = float(cell)
    except ValueError:
        raise FileError(
            f"{name} line {line}, column {column}: {cell.strip()!r} is not a number"
        ) from None
    if not math.isfinite(value):
        raise FileError(f"{name} line {line}, column {column}: {cell.strip()} is not finite")
    return value
