"""What a new partnership's scenario assumes where its partner table is silent.

Each fact a partner table leaves blank (or never asks) becomes an uncertain input: a range
with a default, ``provenance = "assumed"``, and a source saying why. The ranges are the ones
the Sentinel replay (``sim/scenarios/sentinel_replay.toml``) assumes for a partner of the same
kind, for the same reasons (``shared/DOMAIN.md``, Missing numbers: sizes are orders of
magnitude, attitudes have no measure), so a new partnership starts no surer than the replay
did. ``docs/new-partnership.md`` shows :func:`assumed_table`; a test keeps them equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from sim.scenarios.schema import KINDS


@dataclass(frozen=True)
class Assumed:
    """An assumed range for one value.

    Attributes
    ----------
    low, high, default : float
        The range and the value used when none is chosen.
    why : str
        The reason, quoted as the value's source.
    """

    low: float
    high: float
    default: float
    why: str


type Ends = tuple[float, float, float]

_REPLAY = "the range sentinel_replay assumes for"


def _per_kind(ends: tuple[Ends, ...], evidence: str) -> tuple[Mapping[str, Ends], str]:
    """Return ranges given in ``KINDS`` order, and the replay's reason, citing ``evidence``."""
    by_kind = dict(zip(KINDS, ends, strict=True))
    return by_kind, f"{_REPLAY} a {{kind}} partner (DOMAIN.md {evidence})"


# Ranges per kind are (low, high, default) for a police, district, county and unitary partner.
_BY_KIND: Mapping[str, tuple[Mapping[str, Ends], str]] = MappingProxyType(
    {
        "staff": _per_kind(
            ((60, 200, 150), (3, 10, 6), (5, 20, 10), (2, 40, 10)),
            "Missing numbers: a handful of ASB officers per council, police neighbourhood "
            "teams across a county",
        ),
        "caseload": _per_kind(
            ((80.0, 600.0, 200.0), (5.0, 40.0, 15.0), (3.0, 30.0, 8.0), (2.0, 150.0, 30.0)),
            "Missing numbers: orders of magnitude only",
        ),
        "initial_buy_in": (
            dict.fromkeys(KINDS, (0.2, 0.6, 0.4)),
            f"{_REPLAY} partners with no evidence of their buy-in (DOMAIN.md P4: buy-in varied, "
            "no measure)",
        ),
        "bureaucracy": _per_kind(
            ((0.5, 0.9, 0.7), (0.2, 0.6, 0.4), (0.4, 0.8, 0.6), (0.4, 0.8, 0.6)),
            "finding 1: a police force or a county more formal than a district",
        ),
        "assurance": (
            dict.fromkeys(KINDS, (0.0, 0.3, 0.1)),
            f"{_REPLAY} documentary assurance before any sharing agreement is signed",
        ),
    }
)

_INVOLVEMENT: Mapping[bool, tuple[Ends, str]] = MappingProxyType(
    {
        False: (
            (0.2, 0.6, 0.4),
            f"{_REPLAY} partners without a project role (DOMAIN.md finding 2: involvement "
            "varied, no measure)",
        ),
        True: (
            (0.6, 1.0, 0.8),
            "a project role ({roles}): as involved as Sentinel's role holders (0.7 to 0.9 in "
            "sentinel_replay; DOMAIN.md Roles)",
        ),
    }
)

ASSUMED_FIELDS: tuple[str, ...] = (*_BY_KIND, "involvement")
"""Partner numbers with an assumed range (every number field of the schema; tested)."""

GO_LIVE_WINDOW_WEEKS = 52
"""A partner whose go-live the table does not give goes live within this many weeks."""

GO_LIVE_WHY = (
    f"go-live not given: some time in the first {GO_LIVE_WINDOW_WEEKS} weeks, the middle by "
    "default (Sentinel's partners went live over about a year; DOMAIN.md Setting: staggered, "
    "uncertain)"
)
COLOCATION_WHY = (
    "co-location unknown: from any week of the run (the first: co-located throughout) to the "
    "last (in effect never, the default)"
)
OWN_SYSTEM_WHY = (
    "own system not given: assumed to keep its own case system, so cases are keyed twice "
    "until an interface is live (as at most Sentinel partners; DOMAIN.md P2)"
)
INTERFACE_UNKNOWN_WHY = (
    "interface plan not given: the partner may come to consider and build one (the model's "
    "interface rules decide whether and when)"
)
TRAINING = Assumed(
    0.4,
    0.9,
    0.7,
    "a training wave at each go-live, as sentinel_replay assumes (DOMAIN.md Missing numbers: "
    "training dates unknown)",
)
"""The share of staff trained at each partner's go-live."""


def assumed_number(field: str, kind: str, roles: Sequence[str] = ()) -> Assumed:
    """Return the assumed range of partner number ``field`` for a partner of ``kind``.

    Parameters
    ----------
    field : str
        A partner number field (``ASSUMED_FIELDS``).
    kind : str
        The partner's kind.
    roles : sequence of str
        The project roles it holds (they raise the assumed involvement).
    """
    if field == "involvement":
        ends, why = _INVOLVEMENT[bool(roles)]
        return Assumed(*ends, why.format(roles=", ".join(roles)))
    by_kind, why = _BY_KIND[field]
    return Assumed(*by_kind[kind], why.format(kind=kind))


def go_live_window(weeks: int) -> Assumed:
    """Return the assumed go-live week of a partner whose go-live a run of ``weeks`` lacks."""
    high = min(GO_LIVE_WINDOW_WEEKS, weeks - 1)
    return Assumed(0, high, high // 2, GO_LIVE_WHY)


def colocation_window(weeks: int) -> Assumed:
    """Return the assumed co-location week of a partner whose co-location is unknown."""
    return Assumed(0, weeks - 1, weeks - 1, COLOCATION_WHY)


def assumed_table() -> str:
    """Return the assumed ranges as a Markdown table (``docs/new-partnership.md`` embeds it)."""

    def shown(ends: Ends) -> str:
        low, high, default = ends
        return f"{low:g} to {high:g} ({default:g})"

    lines = [f"| value | {' | '.join(KINDS)} |", "|---|" + "---|" * len(KINDS)]
    for field, (by_kind, _) in _BY_KIND.items():
        lines.append(f"| `{field}` | {' | '.join(shown(by_kind[k]) for k in KINDS)} |")
    for role, label in ((False, "no role"), (True, "a role")):
        ends, _ = _INVOLVEMENT[role]
        lines.append(f"| `involvement`, {label} | {' | '.join([shown(ends)] * len(KINDS))} |")
    return "\n".join(lines)
