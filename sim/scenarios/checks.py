"""The checks a resolved scenario must pass that no single table can make.

Total staff within ``sim.limits``, partner names and their input prefixes unique, go-lives
and other dates inside the run, events naming partners that exist, one go-live and one
co-location per partner, phases once each and in order, interfaces only where allowed, ranged
events having an id, the delivery delay shorter than the run, the ``[colocation]`` table's
councils being councils of the scenario that have no co-location of their own. Each check is
a small function adding what it finds to one :class:`~sim.scenarios.problems.Problems`;
:func:`check_resolved` runs them in turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from itertools import pairwise
from typing import Any

from sim.inputs import did_you_mean
from sim.limits import MAX_TOTAL_STAFF
from sim.names import slug
from sim.scenarios.origins import Origin, Resolved
from sim.scenarios.problems import Problems
from sim.scenarios.schema import (
    ALL,
    EVENT_AMOUNT_FIELDS,
    ONE_PARTNER_TYPES,
    PARTNER_DATE_FIELDS,
    PartnerSpec,
    ScenarioSpec,
    pair_count,
)
from sim.scenarios.values import GO_LIVE_ANCHOR, Given, Span
from sim.timeline import PHASES, week_of, week_start

RESERVED_SLUGS = frozenset({"events", "colocation"})
"""Slugs a partner cannot have (they name other kinds of input)."""


def week_bounds(value: Given[Any] | Span[Any], start: date) -> tuple[int, int]:
    """Return the earliest and latest week a date-or-week value can take."""
    ends = [value.value] if isinstance(value, Given) else [value.low, value.high]
    weeks = [week_of(v, start) if isinstance(v, date) else int(v) for v in ends]
    return min(weeks), max(weeks)


def is_anchored(event: Any) -> bool:
    """Whether ``event`` happens at its partner's go-live (``when = "go_live"``)."""
    return isinstance(event.when, Given) and event.when.value == GO_LIVE_ANCHOR


@dataclass
class _Check:
    """A resolved scenario being checked, where its pieces were written, and what is found."""

    resolved: Resolved
    top: str
    problems: Problems
    go_live_at: dict[str, list[str]] = field(default_factory=dict)
    colocation_at: dict[str, list[str]] = field(default_factory=dict)
    phases: list[tuple[int, str, tuple[int, int]]] = field(default_factory=list)

    @property
    def spec(self) -> ScenarioSpec:
        """The resolved content."""
        return self.resolved.spec

    @cached_property
    def go_live_weeks(self) -> dict[str, tuple[int, int]]:
        """Each partner's earliest and latest go-live week (:func:`go_live_bounds`)."""
        return go_live_bounds(self.spec)

    def partner_at(self, name: str, field_name: str = "") -> str:
        """Where partner ``name`` (or its ``field_name``) was written."""
        origin = self.resolved.partners.get(name, Origin(self.top, "partners"))
        path = origin.path + (f".{field_name}" if field_name else "")
        return Origin(origin.file, path).render(self.top)

    def event_at(self, index: int, field_name: str = "") -> str:
        """Where event ``index`` (or its ``field_name``) was written."""
        origin = self.resolved.events[index]
        path = origin.path + (f".{field_name}" if field_name else "")
        return Origin(origin.file, path).render(self.top)

    def in_run(self, value: Given[Any] | Span[Any], where: str, what: str) -> None:
        """Record a problem if a date or week of ``value`` falls outside the run."""
        start, weeks = self.spec.start, self.spec.n_weeks
        ends = [value.value] if isinstance(value, Given) else [value.low, value.high]
        for v in ends:
            if isinstance(v, date) and v < start:
                self.problems.add(where, f"{what} {v} is before the start date {start}")
                return
            week = week_of(v, start) if isinstance(v, date) else int(v)
            if week >= weeks:
                shown = v if isinstance(v, date) else f"week {v}"
                end = week_start(start, weeks)
                self.problems.add(
                    where,
                    f"{what} {shown} is after the end of the run "
                    f"(weeks 0 to {weeks - 1}, ending {end})",
                )
                return


def check_resolved(resolved: Resolved, top: str) -> None:
    """Raise :class:`~sim.scenarios.problems.ScenarioError` if the resolved scenario is wrong.

    Wrong means inconsistent; the error names the first problem (in file ``top`` unless it is
    written in a parent).
    """
    check = _Check(resolved, top, Problems(top))
    _check_total_staff(check)
    _check_partners(check)
    for index, event in enumerate(check.spec.events):
        _check_event(check, index, event)
    _check_given_once(check)
    _check_prior_use(check)
    _check_anchored_offsets(check)
    _check_phases(check)
    _check_delivery_delay(check)
    _check_colocation(check)
    check.problems.raise_first()


def _check_total_staff(check: _Check) -> None:
    """All partners' staff, each at the top of its range, within what a run can hold."""
    total = sum(
        p.staff.value if isinstance(p.staff, Given) else p.staff.high for p in check.spec.partners
    )
    if total > MAX_TOTAL_STAFF:
        check.problems.add(
            "partners",
            f"{total:,} staff positions in all (each partner's range at its top), more than "
            f"the {MAX_TOTAL_STAFF:,} a scenario may have",
        )


def _check_partners(check: _Check) -> None:
    """Names giving usable, distinct prefixes; dates inside the run; interfaces allowed."""
    prefixes: dict[str, str] = {}
    for partner in check.spec.partners:
        _check_prefix(check, partner, prefixes)
        for field_name in PARTNER_DATE_FIELDS:
            value = getattr(partner, field_name)
            if value is not None:
                where = check.partner_at(partner.name, field_name)
                check.in_run(value, where, field_name.replace("_", "-"))
        if not partner.interface_allowed.value and partner.interface.value != "none":
            check.problems.add(
                check.partner_at(partner.name, "interface"),
                f"is {partner.interface.value!r} but interface_allowed is false",
            )
    for partner in check.spec.partners:
        check.go_live_at[partner.name] = []
        check.colocation_at[partner.name] = []
        if partner.go_live is not None:
            check.go_live_at[partner.name].append(check.partner_at(partner.name, "go_live"))
        if partner.colocation is not None:
            check.colocation_at[partner.name].append(check.partner_at(partner.name, "colocation"))


def _check_prefix(check: _Check, partner: PartnerSpec, prefixes: dict[str, str]) -> None:
    """Check that the partner's input prefix (its slug) is usable and no other partner's."""
    prefix = slug(partner.name)
    if not prefix or prefix in RESERVED_SLUGS:
        check.problems.add(
            check.partner_at(partner.name, "name"),
            f"partner name {partner.name!r} gives the unusable input prefix {prefix!r}",
        )
    elif prefix in prefixes:
        check.problems.add(
            check.partner_at(partner.name, "name"),
            f"partner names {prefixes[prefix]!r} and {partner.name!r} both give the input "
            f"prefix {prefix!r}; rename one",
        )
    prefixes[prefix] = partner.name


def _check_event(check: _Check, index: int, event: Any) -> None:
    """One event: its id, its partner, its date; note its go-live, co-location or phase."""
    _check_event_id(check, index, event)
    if not _partner_exists(check, index, event):
        return
    partner_name: str | None = getattr(event, "partner", None)
    if is_anchored(event):
        if partner_name is None or event.type == "go_live":
            check.problems.add(
                check.event_at(index, "when"),
                f"when = {GO_LIVE_ANCHOR!r} needs an event with a partner "
                "(and not a go_live event)",
            )
            return
    else:
        check.in_run(event.when, check.event_at(index, "when"), "date")
    if event.type == "go_live":
        check.go_live_at[event.partner].append(check.event_at(index))
    elif event.type == "colocation":
        check.colocation_at[event.partner].append(check.event_at(index))
    elif event.type == "interface_live":
        if not check.spec.partners[_partner_index(check, event.partner)].interface_allowed.value:
            check.problems.add(
                check.event_at(index, "partner"), f"{event.partner!r} has interface_allowed = false"
            )
    elif event.type == "phase" and not is_anchored(event):
        check.phases.append((index, event.phase, week_bounds(event.when, check.spec.start)))


def _partner_index(check: _Check, name: str) -> int:
    return [p.name for p in check.spec.partners].index(name)


def _check_event_id(check: _Check, index: int, event: Any) -> None:
    """Ids unique; an event with a range has one (its inputs are named by it)."""
    if event.id is not None:
        earlier = [e.id for e in check.spec.events[:index]]
        if event.id in earlier:
            check.problems.add(check.event_at(index, "id"), f"duplicate event id {event.id!r}")
    elif any(isinstance(getattr(event, n, None), Span) for n in ("when", *EVENT_AMOUNT_FIELDS)):
        check.problems.add(
            check.event_at(index, "id"),
            "missing: an event with a range needs an id (its inputs are named events.<id>.<field>)",
        )


def _partner_exists(check: _Check, index: int, event: Any) -> bool:
    """Whether the partner ``event`` names (if any) is one it may name, recording why not."""
    partner_name: str | None = getattr(event, "partner", None)
    if partner_name is None:
        return True
    if partner_name == ALL and event.type in ONE_PARTNER_TYPES:
        check.problems.add(
            check.event_at(index, "partner"),
            f"a {event.type} event needs one partner, not {ALL!r}",
        )
        return False
    names = [p.name for p in check.spec.partners]
    if partner_name != ALL and partner_name not in names:
        check.problems.add(
            check.event_at(index, "partner"),
            f"unknown partner {partner_name!r}{did_you_mean(partner_name, names)}",
        )
        return False
    return True


def _check_given_once(check: _Check) -> None:
    """Every partner goes live once (on the partner or by an event); co-location at most once."""
    for name, places in check.go_live_at.items():
        if not places:
            check.problems.add(
                check.partner_at(name, "go_live"),
                "missing: give go_live on the partner or a go_live event",
            )
        elif len(places) > 1:
            check.problems.add(places[1], f"go-live of {name!r} is already given at {places[0]}")
    for name, places in check.colocation_at.items():
        if len(places) > 1:
            check.problems.add(
                places[1], f"co-location of {name!r} is already given at {places[0]}"
            )


def _check_prior_use(check: _Check) -> None:
    """Check that a partner already using the system is live from week 0."""
    for partner in check.spec.partners:
        bounds = check.go_live_weeks.get(partner.name)
        if partner.prior_use.value and bounds is not None and bounds != (0, 0):
            check.problems.add(
                check.partner_at(partner.name, "go_live"),
                "a partner with prior_use is live from week 0 (the start date)",
            )


def _check_anchored_offsets(check: _Check) -> None:
    """Check that an event placed at its partner's go-live stays inside the run after its offset."""
    names = [p.name for p in check.spec.partners]
    for index, event in enumerate(check.spec.events):
        if not is_anchored(event):
            continue
        partner_name: str | None = getattr(event, "partner", None)
        for target in names if partner_name == ALL else [partner_name]:
            bounds = None if target is None else check.go_live_weeks.get(target)
            if bounds is None:
                continue
            low, high = bounds[0] + event.offset_weeks, bounds[1] + event.offset_weeks
            if low < 0 or high >= check.spec.n_weeks:
                check.problems.add(
                    check.event_at(index, "offset_weeks"),
                    f"puts the event for {target!r} at week {low if low < 0 else high}, "
                    f"outside the run (weeks 0 to {check.spec.n_weeks - 1})",
                )
                break


def _check_phases(check: _Check) -> None:
    """Each phase starts once, and the phases start in their order."""
    seen: dict[str, int] = {}
    for index, phase, _ in check.phases:
        if phase in seen:
            check.problems.add(
                check.event_at(index, "phase"),
                f"phase {phase!r} already starts at {check.event_at(seen[phase])}",
            )
        seen[phase] = index
    ordered = sorted(check.phases, key=lambda item: PHASES.index(item[1]))
    for (_, phase_a, (_, latest_a)), (index_b, phase_b, (earliest_b, _)) in pairwise(ordered):
        if phase_a != phase_b and earliest_b <= latest_a:
            check.problems.add(
                check.event_at(index_b, "when"),
                f"phase {phase_b!r} can start at week {earliest_b}, not after "
                f"phase {phase_a!r} (week {latest_a}); phases run in the order "
                f"{', '.join(PHASES)}",
            )


def _check_delivery_delay(check: _Check) -> None:
    """Check that the delivery delay is no longer than the run."""
    delay = check.spec.delivery_delay_weeks
    if delay is None:
        return
    _, latest = week_bounds(delay, check.spec.start)
    if latest > check.spec.n_weeks:
        origin = check.resolved.top.get(
            "delivery_delay_weeks", Origin(check.top, "delivery_delay_weeks")
        )
        shown = (
            str(delay.value) if isinstance(delay, Given) else f"range {delay.low} to {delay.high}"
        )
        check.problems.add(
            origin.render(check.top),
            f"{shown} weeks is longer than the run ({check.spec.n_weeks} weeks)",
        )


def go_live_bounds(spec: ScenarioSpec) -> dict[str, tuple[int, int]]:
    """Return each partner's earliest and latest go-live week as written (before any delay)."""
    start = spec.start
    names = {p.name for p in spec.partners}
    out: dict[str, tuple[int, int]] = {}
    for partner in spec.partners:
        if partner.go_live is not None:
            out[partner.name] = week_bounds(partner.go_live, start)
    for event in spec.events:
        if event.type == "go_live" and event.partner in names and not is_anchored(event):
            out.setdefault(event.partner, week_bounds(event.when, start))
    return out


def _check_colocation(check: _Check) -> None:
    """Check the ``[colocation]`` table against the scenario.

    Its councils are councils of the scenario, none co-located by other means; its dates fall
    inside the run.
    """
    table = check.spec.colocation
    if table is None:
        return
    origin = check.resolved.top.get("colocation", Origin(check.top, "colocation"))

    def at(field_name: str) -> str:
        return Origin(origin.file, f"{origin.path}.{field_name}").render(check.top)

    councils, pair = table.councils, table.pair
    if len(councils) < 2:
        check.problems.add(at("councils"), f"names {len(councils)}; a pair needs at least 2")
    if len(set(councils)) != len(councils):
        repeated = sorted({c for c in councils if councils.count(c) > 1})
        check.problems.add(at("councils"), f"councils repeat: {', '.join(repeated)}")
    last = pair_count(len(councils)) - 1
    if isinstance(pair, Given) and pair.value > last:
        check.problems.add(at("pair"), f"pair {pair.value} is not one of the pairs 0 to {last}")
    if isinstance(pair, Span) and (pair.low != 0 or pair.high != last):
        check.problems.add(
            at("pair"),
            f"ranges over {pair.low} to {pair.high}; a range must span every pair of the "
            f"{len(councils)} councils, 0 to {last}",
        )
    if len(table.when) != 2:
        check.problems.add(
            at("when"), f"has {len(table.when)} entries; give 2 (the first and the second council)"
        )
    kinds = {p.name: p.kind for p in check.spec.partners}
    for i, council in enumerate(councils):
        if council not in kinds:
            hint = did_you_mean(council, list(kinds))
            check.problems.add(at(f"councils[{i}]"), f"unknown partner {council!r}{hint}")
        elif kinds[council] == "police":
            check.problems.add(
                at(f"councils[{i}]"),
                f"{council!r} is a police partner; the co-located pair are councils (DOMAIN.md P7)",
            )
        elif check.colocation_at.get(council):
            check.problems.add(
                check.colocation_at[council][0],
                f"{council!r} is also one of colocation.councils (the uncertain pair); "
                "remove it there, or the table with remove_colocation = true",
            )
    for i, when in enumerate(table.when):
        check.in_run(when, at(f"when[{i}]"), "co-location")
