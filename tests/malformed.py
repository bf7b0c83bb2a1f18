"""Malformed input files, generated from valid ones one mistake at a time (for the fuzz tests).

Each kind of input (scenario, experiment, sensitivity experiment, calibration targets) has
valid base documents, written to a work folder by :func:`lay_out`, and a map from each field
of the bases to the kind of value it takes. :func:`malformed` draws a base and one mutation
that is certain to make it invalid whatever else the file says:

* a field given a value it can never take: a wrong type, a number out of range, NaN or an
  infinity, a whole number of thousands of digits, a date outside the run;
* a table or array replaced by a plain value; an unknown key; a key given twice;
* tables or arrays nested 2 to 5,000 deep in place of a value;
* sizes beyond ``sim.limits``: too many partners, events, staff, design rows or runs, a file
  over 16 MiB;
* bytes that are not UTF-8, or not TOML;
* a path that leads outside the scenario's folder, or at a folder, a link loop, a device or
  nothing at all.

Documents are written as TOML by :func:`toml_text`, one ``key = value`` line per top-level
key, so a mutation can write anything TOML can hold (and some things it cannot).
"""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from sim.limits import (
    CONFIRM_RUNS_ABOVE,
    MAX_CASELOAD,
    MAX_DESIGN_ROWS,
    MAX_EVENTS,
    MAX_FILE_BYTES,
    MAX_GRID_POINTS,
    MAX_PARTNERS,
    MAX_REPLICATES,
    MAX_SEED,
    MAX_STAFF,
    MAX_WEEKS,
)
from sim.params import PARAMETERS
from sim.timeline import EVENT_TYPES, PHASES

KINDS = ("scenario", "experiment", "sensitivity", "targets")

START = date(2011, 4, 4)
WEEKS = 52
END = START + timedelta(weeks=WEEKS)
RISK_LOW, RISK_HIGH = 0.5, 1.5
"""The range ``legal_risk`` has in the base scenario (and so in designs over it)."""


class Raw(str):
    """Text written into the TOML file as it is (digits too many for ``str(int)``)."""


class Twice(dict[str, Any]):
    """A table whose key ``twice`` is written two times."""

    twice: str = ""


# --- the valid bases ------------------------------------------------------------------------

_WHO = {"provenance": "assumed", "source": "fuzz base"}

SCENARIO: dict[str, Any] = {
    "name": "small",
    "description": "Two partners for input checks.",
    **_WHO,
    "start_date": START,
    "weeks": WEEKS,
    "delivery_delay_weeks": 2,
    "parameters": {
        **_WHO,
        "double_keying_cost": 1.0,
        "legal_risk": {"low": RISK_LOW, "high": RISK_HIGH, "default": 1.0},
    },
    "partners": [
        {
            "name": "North",
            "kind": "district",
            **_WHO,
            "staff": 5,
            "caseload": 10.0,
            "involvement": 0.5,
            "initial_buy_in": 0.4,
            "bureaucracy": 0.3,
            "assurance": 0.2,
            "interface": "none",
            "interface_allowed": True,
            "prior_use": False,
            "go_live": date(2011, 6, 6),
        },
        {
            "name": "South",
            "kind": "police",
            **_WHO,
            "staff": {"low": 3, "high": 8, "default": 5},
            "caseload": {"low": 5.0, "high": 20.0},
            "involvement": 0.6,
            "initial_buy_in": 0.5,
            "bureaucracy": 0.7,
            "assurance": 0.1,
            "interface": "considering",
            "interface_allowed": True,
            "prior_use": False,
            "go_live": 10,
            "colocation": {"low": date(2011, 7, 4), "high": date(2011, 9, 5)},
        },
    ],
    "events": [
        {"type": "phase", "phase": "implementation", "when": date(2011, 5, 2), **_WHO},
        {
            "id": "wave",
            "type": "training",
            "partner": "North",
            "coverage": {"low": 0.2, "high": 0.6},
            "when": 12,
            **_WHO,
        },
        {
            "id": "inquest",
            "type": "pressure",
            "magnitude": 2.0,
            "when": {"low": 20, "high": 30},
            **_WHO,
        },
    ],
}

CHILD: dict[str, Any] = {
    "name": "child",
    "description": "The small scenario drawing from a posterior.",
    "extends": "small.toml",
    "partners": [{"name": "North", "staff": {"value": 6, **_WHO}}],
    "posterior": {"source": "fuzz base", "file": "small.posterior.csv"},
}

POSTERIOR_CSV = "weight,legal_risk,south.staff\n1.0,0.75,4\n2.0,1.25,6\n"

_SCENARIOS = {"scenarios": ["small.toml"], "replicates": 1, "seed": 1}

EXPERIMENTS: list[dict[str, Any]] = [
    {
        "name": "fuzz_grid",
        "description": "A grid over the small scenario.",
        **_SCENARIOS,
        "keep": "summary",
        "design": {
            "kind": "grid",
            "levels": {"legal_risk": [0.6, 1.2]},
            "points": {"decision_gain": 3},
        },
    },
    {
        **_SCENARIOS,
        "design": {
            "kind": "latin_hypercube",
            "samples": 4,
            "seed": 2,
            "inputs": ["legal_risk", "south.staff"],
            "bounds": {"legal_risk": [0.6, 1.0]},
        },
    },
    {**_SCENARIOS, "design": {"kind": "sobol", "n": 4, "seed": 3, "inputs": "parameters"}},
    {
        **_SCENARIOS,
        "design": {
            "kind": "morris",
            "trajectories": 2,
            "levels": 4,
            "seed": 4,
            "inputs": ["legal_risk", "south.staff"],
        },
    },
    {
        **_SCENARIOS,
        "design": {"kind": "list", "rows": [{"legal_risk": 0.7}, {"legal_risk": 1.1}]},
    },
]

SENSITIVITY: list[dict[str, Any]] = [
    {
        "name": "fuzz_morris",
        **_SCENARIOS,
        "sensitivity": {
            "method": "morris",
            "level": "parameter",
            "trajectories": 4,
            "levels": 4,
            "inputs": ["legal_risk", "south.staff"],
            "outputs": ["share_final_year"],
            "bootstrap": 100,
            "confidence": 0.9,
        },
    },
    {
        **_SCENARIOS,
        "sensitivity": {
            "method": "sobol",
            "level": "category",
            "n": 16,
            "inputs": "parameters",
            "outputs": ["share_mean"],
            "second_order": False,
            "convergence_from": 8,
        },
    },
]

_TARGET = {"source": "fuzz base", "strength": "assumed"}


def targets_base(folder: Path) -> dict[str, Any]:
    """The valid targets file (its scenario is the base scenario in ``folder``)."""
    return {
        "name": "fuzz_targets",
        "description": "Targets of the small scenario.",
        "scenario": str(folder / "small.toml"),
        "targets": [
            {
                "id": "final",
                "description": "Final-year share.",
                "statistic": "share_final_year",
                "value": 0.5,
                "tolerance": 0.1,
                **_TARGET,
            },
            {
                "id": "gap",
                "description": "North against South.",
                "statistic": "share_final_year_gap",
                "group": ["North"],
                "versus": ["South"],
                "low": -0.5,
                "high": 0.5,
                "tolerance": 0.2,
                **_TARGET,
            },
            {
                "id": "considering",
                "description": "Interfaces in view.",
                "statistic": "interfaces_considering_or_beyond",
                "at": date(2011, 10, 3),
                "high": 2.0,
                "tolerance": 1.0,
                **_TARGET,
            },
            {
                "id": "after",
                "description": "Share once live.",
                "statistic": "share_after_interface_live",
                "partners": ["North"],
                "low": 0.5,
                "tolerance": 0.1,
                **_TARGET,
            },
        ],
        "constraints": [
            {
                "id": "keying",
                "description": "Double keying costs something.",
                "parameter": "double_keying_cost",
                "above": 0.0,
                **_TARGET,
            }
        ],
    }


SETTINGS = (
    'inputs = ["legal_risk"]\nscreening = 2\nscreening_replicates = 2\nparticles = 2\n'
    "generations = 1\nreplicates = 1\npredictive = 1\npredictive_replicates = 1\n"
    "point_replicates = 1\n"
)
"""The smallest calibration: what a targets file that slipped through would cost."""


@dataclass(frozen=True)
class Place:
    """The work folder of the fuzz tests: the bases' neighbours, and traps around them.

    ``inside`` holds the base scenario, its posterior table, a folder, a link loop and a link
    leading out; ``outside`` (its sibling) holds a valid scenario and posterior table, so a
    path that reaches them is refused only for leaving its place.
    """

    inside: Path
    outside: Path


def lay_out(root: Path) -> Place:
    """Write the base scenario and the traps under ``root``; return the folders."""
    inside, outside = root / "inside", root / "outside"
    inside.mkdir(parents=True)
    outside.mkdir()
    (inside / "small.toml").write_text(toml_text(SCENARIO), encoding="utf-8")
    (inside / "small.posterior.csv").write_text(POSTERIOR_CSV, encoding="utf-8")
    (inside / "settings.toml").write_text(SETTINGS, encoding="utf-8")
    (inside / "afolder.toml").mkdir()
    (inside / "loop_a.toml").symlink_to("loop_b.toml")
    (inside / "loop_b.toml").symlink_to("loop_a.toml")
    (outside / "valid.toml").write_text(toml_text(SCENARIO), encoding="utf-8")
    (outside / "valid.posterior.csv").write_text(POSTERIOR_CSV, encoding="utf-8")
    (outside / "garbage.toml").write_bytes(b"not = [toml\n")
    (inside / "link_out.toml").symlink_to(outside / "valid.toml")
    (inside / "link_out.csv").symlink_to(outside / "valid.posterior.csv")
    return Place(inside, outside)


# --- writing TOML -------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    """``value`` as inline TOML (NaN and the infinities included)."""
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(_pairs(value)) + "}"
    raise TypeError(f"no TOML for {type(value).__name__}")


def _pairs(table: Mapping[str, Any]) -> Iterator[str]:
    for key, value in table.items():
        yield f"{json.dumps(key)} = {toml_value(value)}"
    if isinstance(table, Twice):
        yield f"{json.dumps(table.twice)} = {toml_value(table[table.twice])}"


def toml_text(document: Mapping[str, Any]) -> str:
    """A TOML file of ``document``: one ``key = inline value`` line per top-level key."""
    return "".join(f"{pair}\n" for pair in _pairs(document))


# --- values a field can never take ----------------------------------------------------------

_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_HUGE = st.integers(13, 6000).map(lambda digits: Raw("9" * digits))
"""Whole numbers of 13 to 6,000 digits (past 4,300, more than Python reads by default)."""
_NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
_LIST = st.lists(st.integers(-3, 3), max_size=3)
_TABLE = st.fixed_dictionaries({"zz": st.integers(0, 3)})
_TIME = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1))

Strategy = st.SearchStrategy[Any]


def _others(*allowed: type) -> Strategy:
    """Values of every TOML type but ``allowed`` (a float field takes whole numbers too)."""
    pools: dict[type, Strategy] = {
        str: _TEXT,
        bool: st.booleans(),
        int: st.integers(-(10**6), 10**6) | _HUGE,
        float: st.floats(allow_nan=True, allow_infinity=True),
        list: _LIST,
        dict: _TABLE,
        date: st.dates() | _TIME,
    }
    return st.one_of(*(pool for kind, pool in pools.items() if kind not in allowed))


def count(low: int, high: int) -> Strategy:
    """Not a whole number in ``[low, high]``."""
    return st.one_of(
        st.integers(max_value=low - 1),
        st.integers(min_value=high + 1),
        _HUGE,
        _HUGE.map(lambda digits: Raw("-" + digits)),
        _others(int),
    )


def real(low: float | None, high: float | None) -> Strategy:
    """Not a finite number in ``[low, high]`` (an end of None is open)."""
    options = [_NON_FINITE, _others(int, float)]
    if low is not None:
        options += [
            st.floats(max_value=low, exclude_max=True, allow_nan=False),
            st.integers(max_value=math.ceil(low) - 1),
        ]
    if high is not None:
        options += [
            st.floats(min_value=high, exclude_min=True, allow_nan=False),
            st.integers(min_value=math.floor(high) + 1),
            _HUGE,
        ]
    return st.one_of(*options)


def power_of_two(low: int, high: int) -> Strategy:
    """Not a power of two in ``[low, high]``."""
    return count(low, high) | st.integers(low, high).filter(lambda n: n & (n - 1))


def even(low: int, high: int) -> Strategy:
    """Not an even number in ``[low, high]``."""
    return count(low, high) | st.integers(low, high).filter(lambda n: n % 2)


def one_line() -> Strategy:
    """Not non-empty text on one line without surrounding spaces."""
    return st.one_of(
        st.just(""),
        st.tuples(_TEXT, st.sampled_from(["\n", "\r"]), _TEXT).map("".join),
        _TEXT.map(lambda text: f" {text}"),
        _TEXT.map(lambda text: f"{text}\t"),
        _others(str),
    )


def text() -> Strategy:
    """Not text."""
    return _others(str)


def pattern(regex: str, longest: int) -> Strategy:
    """Not text matching ``regex`` of at most ``longest`` characters."""
    bad = _TEXT.filter(lambda t: not re.fullmatch(regex, t))
    return bad | st.just("a" * (longest + 1)) | _others(str)


_NAME = st.text(string.ascii_lowercase + string.digits + "_", max_size=10).map(lambda t: f"zz_{t}")
"""A name nothing in any file is called (and no pattern of names matches)."""


def choice(options: tuple[str, ...]) -> Strategy:
    """Not one of ``options``."""
    return _TEXT.filter(lambda t: t not in options) | _NAME | _others(str)


def name() -> Strategy:
    """Not the name of anything there is (an input, output, partner or parameter)."""
    return _NAME | _others(str)


def flag() -> Strategy:
    """Not true or false."""
    return _others(bool)


def day(low: date, high: date) -> Strategy:
    """Not a date in ``[low, high]``."""
    return st.one_of(
        st.dates(max_value=low - timedelta(days=1)),
        st.dates(min_value=high + timedelta(days=1)),
        _TIME,
        _others(date),
    )


def when() -> Strategy:
    """Not a date or week of the base scenario's run (nor ``"go_live"``)."""
    return st.one_of(
        day(START, END - timedelta(days=1)),
        st.integers(max_value=-1),
        st.integers(min_value=WEEKS),
        _others(int, date).filter(lambda v: v != "go_live"),
    )


_PROVENANCE = ("stated", "external", "inferred", "assumed")
_STRENGTH = _PROVENANCE
_RISK = PARAMETERS["legal_risk"]
_GAIN = PARAMETERS["decision_gain"]
_KEYING = PARAMETERS["double_keying_cost"]


def _value_fields(prefix: tuple[Any, ...]) -> dict[tuple[Any, ...], Strategy]:
    return {(*prefix, "provenance"): choice(_PROVENANCE), (*prefix, "source"): one_line()}


FIELDS: dict[str, dict[tuple[Any, ...], Strategy]] = {
    "scenario": {
        ("name",): one_line(),
        ("description",): one_line(),
        **_value_fields(()),
        ("start_date",): day(date(1900, 1, 1), date(2200, 1, 1)),
        ("weeks",): count(1, MAX_WEEKS),
        ("delivery_delay_weeks",): count(0, WEEKS),
        **_value_fields(("parameters",)),
        ("parameters", "double_keying_cost"): real(_KEYING.low, _KEYING.high),
        ("parameters", "legal_risk", "low"): real(_RISK.low, 1.0),
        ("parameters", "legal_risk", "high"): real(1.0, _RISK.high),
        ("parameters", "legal_risk", "default"): real(RISK_LOW, RISK_HIGH),
        ("partners", "*", "name"): one_line(),
        ("partners", "*", "kind"): choice(("police", "district", "county", "unitary")),
        **_value_fields(("partners", "*")),
        ("partners", "*", "staff"): count(1, MAX_STAFF),
        ("partners", "*", "staff", "low"): count(1, 5),
        ("partners", "*", "staff", "high"): count(5, MAX_STAFF),
        ("partners", "*", "staff", "default"): count(3, 8),
        ("partners", "*", "staff", "value"): count(1, MAX_STAFF),
        **_value_fields(("partners", "*", "staff")),
        ("partners", "*", "caseload"): real(0, MAX_CASELOAD),
        ("partners", "*", "caseload", "low"): real(0, 20.0),
        ("partners", "*", "caseload", "high"): real(5.0, MAX_CASELOAD),
        **{
            ("partners", "*", share): real(0, 1)
            for share in ("involvement", "initial_buy_in", "bureaucracy", "assurance")
        },
        ("partners", "*", "interface"): choice(("none", "considering", "building", "live")),
        ("partners", "*", "interface_allowed"): flag(),
        ("partners", "*", "prior_use"): flag(),
        ("partners", "*", "go_live"): when(),
        ("partners", "*", "colocation", "low"): when(),
        ("partners", "*", "colocation", "high"): when(),
        ("events", "*", "type"): choice(EVENT_TYPES),
        ("events", "*", "phase"): choice(PHASES),
        ("events", "*", "id"): pattern(r"[A-Za-z0-9_-]+", 80),
        ("events", "*", "partner"): name(),
        ("events", "*", "when"): when(),
        ("events", "*", "when", "low"): when(),
        ("events", "*", "when", "high"): when(),
        ("events", "*", "coverage", "low"): real(0, 0.6),
        ("events", "*", "coverage", "high"): real(0.2, 1),
        ("events", "*", "magnitude"): real(0, 10),
        **_value_fields(("events", "*")),
        ("extends",): text(),
        ("posterior", "source"): one_line(),
        ("posterior", "file"): text(),
    },
    "experiment": {
        ("name",): pattern(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", 120),
        ("description",): text(),
        ("scenarios", "*"): text(),
        ("replicates",): count(1, MAX_REPLICATES),
        ("seed",): count(0, MAX_SEED),
        ("keep",): choice(("summary", "trajectories")),
        ("design", "kind"): choice(("grid", "latin_hypercube", "sobol", "morris", "list")),
        ("design", "levels", "legal_risk", "*"): real(RISK_LOW, RISK_HIGH),
        ("design", "points", "decision_gain"): count(2, MAX_GRID_POINTS),
        ("design", "samples"): count(1, MAX_DESIGN_ROWS),
        ("design", "seed"): count(0, MAX_SEED),
        ("design", "inputs"): choice(("parameters", "all")),
        ("design", "inputs", "*"): name(),
        ("design", "bounds", "legal_risk", 0): real(RISK_LOW, 1.0),
        ("design", "bounds", "legal_risk", 1): real(0.6, RISK_HIGH),
        ("design", "n"): power_of_two(1, MAX_DESIGN_ROWS),
        ("design", "trajectories"): count(2, MAX_DESIGN_ROWS),
        ("design", "levels"): even(2, 64),
        ("design", "rows", "*", "legal_risk"): real(RISK_LOW, RISK_HIGH),
    },
    "sensitivity": {
        ("name",): pattern(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", 120),
        ("scenarios", "*"): text(),
        ("replicates",): count(1, MAX_REPLICATES),
        ("seed",): count(0, MAX_SEED),
        ("sensitivity", "method"): choice(("sobol", "morris")),
        ("sensitivity", "level"): choice(("category", "parameter")),
        ("sensitivity", "trajectories"): count(4, 10_000),
        ("sensitivity", "levels"): even(4, 64),
        ("sensitivity", "inputs"): choice(("all", "parameters")),
        ("sensitivity", "inputs", "*"): name(),
        ("sensitivity", "outputs", "*"): name(),
        ("sensitivity", "bootstrap"): count(100, 100_000),
        ("sensitivity", "confidence"): real(0.5, 1.0),
        ("sensitivity", "n"): power_of_two(16, 1 << 20),
        ("sensitivity", "second_order"): flag(),
        ("sensitivity", "convergence_from"): power_of_two(8, 1 << 20),
    },
    "targets": {
        ("name",): pattern(r"[a-z][a-z0-9_]*", 60),
        ("description",): one_line(),
        ("scenario",): text(),
        ("targets", "*", "id"): pattern(r"[a-z][a-z0-9_]*", 60),
        ("targets", "*", "description"): one_line(),
        ("targets", "*", "statistic"): choice(
            (
                "share_after_interface_live",
                "share_final_year",
                "share_final_year_gap",
                "buy_in_share_rank_correlation",
                "interfaces_considering_or_beyond",
            )
        ),
        ("targets", "*", "value"): real(None, None),
        ("targets", 1, "low"): real(None, 0.5),
        ("targets", 1, "high"): real(-0.5, None),
        ("targets", "*", "low"): real(None, None),
        ("targets", "*", "high"): real(None, None),
        ("targets", "*", "tolerance"): real(0, None) | st.sampled_from([0, 0.0]),
        ("targets", "*", "group", "*"): name(),
        ("targets", "*", "versus", "*"): name(),
        ("targets", "*", "partners", "*"): name(),
        ("targets", "*", "at"): day(START, END - timedelta(days=1)),
        ("targets", "*", "source"): one_line(),
        ("targets", "*", "strength"): choice(_STRENGTH),
        ("constraints", "*", "id"): pattern(r"[a-z][a-z0-9_]*", 60),
        ("constraints", "*", "description"): one_line(),
        ("constraints", "*", "parameter"): name(),
        ("constraints", "*", "above"): real(None, 1.0),
        ("constraints", "*", "source"): one_line(),
        ("constraints", "*", "strength"): choice(_STRENGTH),
    },
}
"""Per kind of file: what each field of the bases can never be (``"*"`` is any list item)."""


# --- walking documents ---------------------------------------------------------------------

Where = tuple[Any, ...]


def nodes(document: Any, at: Where = ()) -> Iterator[tuple[Where, Any]]:
    """Every table, array and value in ``document`` with its path (the root first)."""
    yield at, document
    if isinstance(document, dict):
        for key, value in document.items():
            yield from nodes(value, (*at, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from nodes(value, (*at, index))


def leaves(document: Any) -> list[Where]:
    """Paths of the plain values in ``document``."""
    return [at for at, value in nodes(document) if not isinstance(value, dict | list)]


def field_of(kind: str, at: Where) -> Strategy:
    """What the field at ``at`` of a ``kind`` file can never be."""
    fields = FIELDS[kind]
    if at in fields:
        return fields[at]
    return fields[tuple("*" if isinstance(part, int) else part for part in at)]


def replaced(document: Any, at: Where, value: Any) -> Any:
    """A copy of ``document`` with the node at ``at`` replaced by ``value``."""
    if not at:
        return value
    head, rest = at[0], at[1:]
    if isinstance(document, list):
        return [replaced(v, rest, value) if i == head else v for i, v in enumerate(document)]
    copy = type(document)(
        {k: replaced(v, rest, value) if k == head else v for k, v in document.items()}
    )
    if isinstance(document, Twice):
        copy.twice = document.twice
    return copy


def node(document: Any, at: Where) -> Any:
    """The node at ``at``."""
    for part in at:
        document = document[part]
    return document


# --- mutations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One malformed file: its bytes, and the mutation that made it (for failure reports)."""

    kind: str
    data: bytes
    mutation: str

    def __repr__(self) -> str:
        shown = self.data[:300] + (b"..." if len(self.data) > 300 else b"")
        return f"Case({self.kind}, {self.mutation}, {shown!r})"


Draw = Callable[[Strategy], Any]


def _bad_value(draw: Draw, kind: str, base: Any) -> tuple[Any, str]:
    at = draw(st.sampled_from(leaves(base)))
    value = draw(field_of(kind, at))
    return replaced(base, at, value), f"value {at} = {value!r:.80}"


_NOT_A_CONTAINER = ("zz_not_a_value", True, math.nan, date(1800, 1, 1))


def _container_as_value(draw: Draw, kind: str, base: Any) -> tuple[Any, str]:
    containers = [at for at, v in nodes(base) if at and isinstance(v, dict | list)]
    at = draw(st.sampled_from(containers))
    value = draw(st.sampled_from(_NOT_A_CONTAINER))
    return replaced(base, at, value), f"container {at} = {value!r}"


def _unknown_key(draw: Draw, kind: str, base: Any) -> tuple[Any, str]:
    tables = [at for at, v in nodes(base) if isinstance(v, dict)]
    at = draw(st.sampled_from(tables))
    key = draw(_NAME)
    table = {**node(base, at), key: draw(st.integers(0, 9) | _TEXT)}
    return replaced(base, at, table), f"unknown key {key!r} in {at}"


def _key_twice(draw: Draw, kind: str, base: Any) -> tuple[Any, str]:
    tables = [at for at, v in nodes(base) if isinstance(v, dict) and v]
    at = draw(st.sampled_from(tables))
    table = Twice(node(base, at))
    table.twice = draw(st.sampled_from(sorted(table)))
    return replaced(base, at, table), f"key {table.twice!r} twice in {at}"


def _nested(draw: Draw, kind: str, base: Any) -> tuple[Any, str]:
    at = draw(st.sampled_from(leaves(base)))
    depth = draw(st.integers(2, 5000))
    opening, closing = draw(st.sampled_from([("[", "]"), ('{"z" = ', "}")]))
    value = Raw(opening * depth + "1" + closing * depth)
    return replaced(base, at, value), f"nesting: {at} {depth} deep"


def _huge(draw: Draw, kind: str, base: Any) -> tuple[Any, str]:
    options = _HUGE_SIZES.get(kind, []) + _HUGE_SIZES["any"]
    name, grow = draw(st.sampled_from(options))
    return grow(base), f"huge: {name}"


def _more_partners(base: Any) -> Any:
    first = base["partners"][0]
    copies = [{**first, "name": f"P{i}"} for i in range(MAX_PARTNERS + 1)]
    return {**base, "partners": copies}


def _more_events(base: Any) -> Any:
    phase = {"type": "pressure", "magnitude": 1.0, "when": 5, **_WHO}
    return {**base, "events": [phase] * (MAX_EVENTS + 1)}


def _more_staff(base: Any) -> Any:
    big = {**SCENARIO["partners"][0], "staff": MAX_STAFF}
    east = {**big, "name": "East"}
    return {**base, "partners": [big, east, {**big, "name": "West"}]}


def _padded(base: Any) -> bytes:
    return toml_text(base).encode() + b"#" + b"x" * MAX_FILE_BYTES + b"\n"


def _replicates(count_: int) -> Callable[[Any], Any]:
    return lambda base: {**base, "replicates": count_}


def _design(**changes: Any) -> Callable[[Any], Any]:
    return lambda base: {**base, "design": {**base["design"], **changes}}


def _section(**changes: Any) -> Callable[[Any], Any]:
    return lambda base: {**base, "sensitivity": {**base["sensitivity"], **changes}}


_HUGE_SIZES: dict[str, list[tuple[str, Callable[[Any], Any]]]] = {
    "scenario": [
        ("partners", _more_partners),
        ("events", _more_events),
        ("staff", _more_staff),
    ],
    "experiment": [
        ("runs to confirm", _replicates(CONFIRM_RUNS_ABOVE)),
        ("replicates", _replicates(MAX_REPLICATES + 1)),
        (
            "grid rows",
            lambda base: {
                **base,
                "design": {
                    "kind": "grid",
                    "points": {"decision_gain": MAX_GRID_POINTS, "legal_risk": 101},
                },
            },
        ),
        ("sobol rows", _design(kind="sobol", n=1 << 19, seed=1, inputs="all")),
    ],
    "sensitivity": [
        ("runs to confirm", _replicates(CONFIRM_RUNS_ABOVE)),
        (
            "design rows",
            _section(method="sobol", level="parameter", n=1 << 20, inputs="all"),
        ),
    ],
    "any": [("file over the limit", lambda base: Raw(_padded(base).decode()))],
}


def _encoding(draw: Draw, kind: str, base: Any) -> bytes:
    data = toml_text(base).encode()
    how = draw(st.sampled_from(["byte", "utf-16", "nul", "junk"]))
    at = draw(st.integers(0, len(data)))
    if how == "byte":
        return data[:at] + bytes([draw(st.integers(0x80, 0xFF))]) + data[at:]
    if how == "utf-16":
        return data.decode().encode(draw(st.sampled_from(["utf-16", "utf-16-be", "utf-32"])))
    if how == "nul":
        return data[:at] + b"\x00" + data[at:]
    junk = draw(st.sampled_from([b"not toml at all", b"[[", b"a = ", b'a = "open', b"= 1"]))
    return data + b"\n" + junk + b"\n"


_ESCAPES = {
    "scenario": [
        "../outside/valid.toml",
        "sub/../../outside/valid.toml",
        "link_out.toml",
        "loop_a.toml",
        "afolder.toml",
        "nowhere.toml",
        "bad\x00name.toml",
        "zz_not_shipped",
    ],
    "posterior": [
        "../outside/valid.posterior.csv",
        "link_out.csv",
        "loop_a.toml",
        "afolder.toml",
        "nowhere.csv",
        "small.toml",
        "",
        "nul\x00.csv",
    ],
    "experiment": [
        "nowhere.toml",
        "afolder.toml",
        "loop_a.toml",
        "/dev/null",
        "zz_not_shipped",
        "",
        "../outside/garbage.toml",
        "bad\x00name.toml",
    ],
}


def _escape(draw: Draw, kind: str, base: Any, place: Place) -> tuple[Any, str]:
    if kind == "scenario":
        field = draw(st.sampled_from(["extends", "posterior"]))
        if field == "posterior":
            path = draw(st.sampled_from([*_ESCAPES["posterior"], str(place.outside)]))
            posterior = {"source": "fuzz base", "file": path}
            return {**base, "posterior": posterior}, f"posterior.file = {path!r}"
        absolute = str(place.inside / "small.toml")
        path = draw(st.sampled_from([*_ESCAPES["scenario"], absolute, "child.toml"]))
        return {**base, "extends": path}, f"extends = {path!r}"
    path = draw(st.sampled_from(_ESCAPES["experiment"]))
    if kind == "targets":
        path = path if path.startswith("/") or not path else str(place.inside / path)
        return {**base, "scenario": path}, f"scenario = {path!r}"
    return {**base, "scenarios": [path]}, f"scenarios = [{path!r}]"


_MUTATIONS = {
    "value": _bad_value,
    "container": _container_as_value,
    "unknown key": _unknown_key,
    "key twice": _key_twice,
    "nesting": _nested,
    "size": _huge,
}


def bases(kind: str, place: Place) -> list[dict[str, Any]]:
    """The valid documents of ``kind`` that mutations start from."""
    return {
        "scenario": [SCENARIO, CHILD],
        "experiment": EXPERIMENTS,
        "sensitivity": SENSITIVITY,
        "targets": [targets_base(place.inside)],
    }[kind]


@st.composite
def malformed(draw: Draw, kind: str, place: Place) -> Case:
    """A ``kind`` file with one mistake (see the module docstring)."""
    base = draw(st.sampled_from(bases(kind, place)))
    how = draw(st.sampled_from([*_MUTATIONS, "encoding", "path"]))
    if how == "encoding":
        return Case(kind, _encoding(draw, kind, base), "encoding")
    if how == "path":
        document, note = _escape(draw, kind, base, place)
    else:
        document, note = _MUTATIONS[how](draw, kind, base)
    if isinstance(document, Raw):
        return Case(kind, str(document).encode(), note)
    return Case(kind, toml_text(document).encode("utf-8", "surrogatepass"), note)
