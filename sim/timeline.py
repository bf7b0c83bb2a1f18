"""Dated events to the engine's weekly :class:`~sim.engine.Schedule` arrays.

A scenario states *when* things happen (a partner goes live, an agreement is signed, a report
raises pressure). This module turns those events, already placed on a week, into the arrays the
engine reads each week. It knows nothing about files or provenance; the scenario package does
the reading and checking and hands over plain :class:`TimedEvent` records.

Time: week ``t`` covers the seven days from ``start_date + 7 t`` (one step is one week).

How each event type acts on the schedule (``w`` is the event's week, ``a`` its partners):

==========================  ============================================================
``phase``                   ``phase[w:] = PHASES.index(phase)`` (0 before the first
                            phase event); ``project_active`` is true from the start of
                            the ``implementation`` phase (from week 0 if the scenario
                            has no implementation phase)
``go_live``                 ``live[w:, a] = True``
``training``                ``training[w, a]``: share of untrained staff trained that week
                            (two waves in one week combine as independent chances)
``agreement``               ``assurance[w:, a] = max(assurance, level)``: a signed
                            agreement raises documentary assurance and never lowers it
``interface_live``          ``interface_forced[w, a] = True``
``colocation``              ``colocated[w:, a] = True``
``functionality_upgrade``   ``functionality[w:] *= multiplier`` (upgrades compound)
``pressure``                ``pressure_impulse[w] += magnitude``
``mandate``                 ``mandate[w:, a] = level`` (a later mandate replaces it)
``restructure``             ``turnover_shock[w, a]``: extra share of staff leaving that week
==========================  ============================================================

Events are applied in week order (file order within a week). An event placed at or after the
last week of the run happens after the run and has no effect (this arises only when a scenario
shifts deliveries late, e.g. ``delivery_delay_weeks``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sim.engine import Schedule

EventType = Literal[
    "phase",
    "go_live",
    "training",
    "agreement",
    "interface_live",
    "colocation",
    "functionality_upgrade",
    "pressure",
    "mandate",
    "restructure",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)

Phase = Literal["briefing_scoping", "planning", "implementation", "evaluation"]
PHASES: tuple[str, ...] = get_args(Phase)
"""Project phases in the order they happen (``shared/DOMAIN.md``, Project phases)."""


def week_of(day: date, start: date) -> int:
    """Return the week (0-based) that ``day`` falls in; negative before ``start``."""
    return (day - start).days // 7


def week_start(start: date, week: int) -> date:
    """Return the first day of ``week``."""
    return start + timedelta(weeks=week)


@dataclass(frozen=True, slots=True)
class TimedEvent:
    """One event placed on a week, ready to apply to a schedule.

    Attributes
    ----------
    week : int
        Week the event happens, 0-based (>= 0).
    type : EventType
        What happens.
    partners : tuple of int
        Indices of the partners it applies to (empty for partnership-wide events: ``phase``,
        ``functionality_upgrade``, ``pressure``).
    amount : float
        The event's size: training coverage, agreement or mandate level (0..1), upgrade
        multiplier (>= 0), pressure magnitude (>= 0) or extra leaving share (0..1). Unused by
        ``phase``, ``go_live``, ``interface_live`` and ``colocation``.
    phase : Phase or None
        The phase that starts, for ``phase`` events.
    """

    week: int
    type: EventType
    partners: tuple[int, ...] = ()
    amount: float = 0.0
    phase: Phase | None = None


def project_start_week(events: Sequence[TimedEvent]) -> int:
    """Return the week the county-wide project counts as active (waiting erodes buy-in).

    The start of the ``implementation`` phase, when partners expected to be live; week 0 if
    there is no such phase event.
    """
    weeks = [e.week for e in events if e.type == "phase" and e.phase == "implementation"]
    return min(weeks) if weeks else 0


def build_schedule(
    n_weeks: int,
    n_partners: int,
    events: Sequence[TimedEvent],
    initial_assurance: ArrayLike | None = None,
) -> Schedule:
    """Return the weekly schedule produced by ``events``.

    Parameters
    ----------
    n_weeks : int
        Length of the run ``T`` in weeks (>= 1).
    n_partners : int
        Number of partners ``A`` (>= 1).
    events : sequence of TimedEvent
        The events, in any order; applied in week order, stably.
    initial_assurance : sequence of float, optional
        Documentary assurance of each partner at week 0, 0..1 (default 0).

    Returns
    -------
    Schedule
        Partner arrays of shape (T, A), partnership arrays of shape (T,).

    Raises
    ------
    ValueError
        If an event has a negative week, names a partner out of range, or has an amount
        outside its type's range.
    """
    if n_weeks < 1 or n_partners < 1:
        raise ValueError(f"need at least one week and one partner, got {n_weeks} and {n_partners}")
    schedule = Schedule.blank(n_weeks, n_partners)
    if initial_assurance is not None:
        start = np.asarray(initial_assurance, dtype=np.float64)
        if start.shape != (n_partners,) or np.any((start < 0) | (start > 1)):
            raise ValueError("initial_assurance needs one value in [0, 1] per partner")
        schedule.assurance[:] = start
    for event in sorted(events, key=lambda e: e.week):
        _check_event(event, n_partners)
        if event.week < n_weeks:
            _apply(event, schedule)
    schedule.project_active[project_start_week(events) :] = True
    return schedule


def _apply(event: TimedEvent, s: Schedule) -> None:
    """Write ``event`` into the arrays of schedule ``s`` (checked, and within its weeks)."""
    w = event.week
    # One partner is indexed by its number: a basic index, faster than a list's.
    cols: int | list[int] = event.partners[0] if len(event.partners) == 1 else list(event.partners)
    match event.type:
        case "phase":
            s.phase[w:] = PHASES.index(str(event.phase))
        case "go_live":
            s.live[w:, cols] = True
        case "colocation":
            s.colocated[w:, cols] = True
        case "interface_live":
            s.interface_forced[w, cols] = True
        case "training":
            s.training[w, cols] = _either(s.training[w, cols], event.amount)
        case "restructure":
            s.turnover_shock[w, cols] = _either(s.turnover_shock[w, cols], event.amount)
        case "agreement":
            s.assurance[w:, cols] = np.maximum(s.assurance[w:, cols], event.amount)
        case "mandate":
            s.mandate[w:, cols] = event.amount
        case "functionality_upgrade":
            s.functionality[w:] *= event.amount
        case "pressure":
            s.pressure_impulse[w] += event.amount


def _either(p: ArrayLike, q: float) -> NDArray[np.float64]:
    """Chance of either of two independent events of chances ``p`` and ``q``."""
    return 1.0 - (1.0 - np.asarray(p, dtype=np.float64)) * (1.0 - q)


_SHARE_TYPES = frozenset({"training", "agreement", "mandate", "restructure"})
_PARTNERSHIP_TYPES = frozenset({"phase", "functionality_upgrade", "pressure"})


def _check_event(event: TimedEvent, n_partners: int) -> None:
    """Raise ValueError if ``event`` cannot be applied to a schedule of ``n_partners``."""
    if event.type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event.type!r}")
    if event.week < 0:
        raise ValueError(f"{event.type} event at week {event.week}, before the run starts")
    if event.type in _PARTNERSHIP_TYPES:
        if event.partners:
            raise ValueError(f"a {event.type} event applies to the whole partnership")
    elif not event.partners or any(not 0 <= a < n_partners for a in event.partners):
        raise ValueError(f"{event.type} event names partners {event.partners} of {n_partners}")
    if event.type == "phase" and event.phase not in PHASES:
        raise ValueError(f"phase event with unknown phase {event.phase!r}")
    if not np.isfinite(event.amount):
        raise ValueError(f"{event.type} event amount must be finite, got {event.amount}")
    if event.type in _SHARE_TYPES and not 0.0 <= event.amount <= 1.0:
        raise ValueError(f"{event.type} event amount must be in [0, 1], got {event.amount}")
    if event.amount < 0:
        raise ValueError(f"{event.type} event amount must be >= 0, got {event.amount}")
