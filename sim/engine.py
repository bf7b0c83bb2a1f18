"""The engine: model state in arrays, a compiled weekly step, many runs at once.

The engine knows no Mesa, no files and no screen. A batch of ``B`` runs shares its partners;
each run has its own parameter values, its own :class:`Partnership` and :class:`Schedule` (or
shared ones) and its own random stream.
Draws for run ``b`` come only from run ``b``'s generator, in an order fixed by that run's own
inputs and state, so a run gives the same result whether it is advanced alone or inside any
batch, in any order, on any worker.

The rules live in one place, :func:`sim.kernel.advance` (compiled with numba); the arrays it
reads and writes are declared once, in ``sim/arrays.py``. This module prepares a batch's
inputs and hosts the kernel: :func:`step` advances a batch one week (the Mesa model steps
this way), :func:`simulate` advances whole runs. :func:`decision_terms` recomputes the
decision term by term, for explanations.

Each week every member of staff at a live partner handles a Poisson number of ASB cases and
records each with probability ``logistic(decision_gain * (motivation - cost))``, where
motivation = baseline + buy-in + attitude + colleagues' share (norm) + partners' share
(reciprocity, and chasing by partners when co-located) + external pressure + management
mandate + habit, and cost = double keying (no live interface; less with a manual workaround)
+ poor functionality + perceived legal risk net of documentary assurance and of the trust
co-location builds + bureaucratic burden + workload - training (``shared/DOMAIN.md``,
finding 3, P7, P13; ``docs/ODD.md``). After the kernel, :func:`simulate` adds what sharing
bought (``sim/benefit.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sim.arrays import (
    Benefit,
    BoolArray,
    FloatArray,
    IntArray,
    OutputRecord,
    Outputs,
    Partnership,
    Schedule,
    ScheduleRecord,
    State,
    StateRecord,
    Static,
    StaticRecord,
    Trajectory,
    WeekOutput,
    allocate,
    concatenate,
    layouts,
    share_of,
)
from sim.batch_parameters import (
    COLUMNS,
    ParameterArrays,
    StackedParameters,
    as_records,
    parameter_table,
    stack_parameters,
)
from sim.benefit import benefit
from sim.kernel import ENGAGED, PENDING, UNDECIDED, InterfaceState, advance, start
from sim.params import PARAMETERS

__all__ = [
    "ENGAGED",
    "INTERFACE_NAMES",
    "PENDING",
    "UNDECIDED",
    "Batch",
    "BoolArray",
    "DecisionTerms",
    "FloatArray",
    "IntArray",
    "InterfaceState",
    "ParameterArrays",
    "Partnership",
    "Schedule",
    "StackedParameters",
    "State",
    "Trajectory",
    "WeekOutput",
    "concatenate",
    "decision_terms",
    "generators",
    "initial_state",
    "partner_attitude",
    "prepare",
    "share_of",
    "simulate",
    "stack_parameters",
    "step",
    "trajectory_of",
]

INTERFACE_NAMES: tuple[str, ...] = tuple(stage.name.lower() for stage in InterfaceState)
"""Interface stages by code, as they appear in tables and scenario files: none, considering,
building, live, workaround, declined."""

_WEEKLY = frozenset(layouts(Outputs))
_OUTPUTS = tuple((name, name in _WEEKLY) for name in OutputRecord._fields)
"""The kernel's outputs, in record order, and whether each is weekly (else per staff)."""


# The kernel takes each record as a plain tuple in its fields' order (see sim.arrays); these
# build them, with list comprehensions because step calls them every week.
def _kernel_schedules(schedule: Schedule, size: int) -> tuple[tuple[NDArray, ...], ...]:
    """Each run's schedule as the kernel reads it.

    Its own row of a batched schedule, or the shared one.
    """
    arrays = [getattr(schedule, name) for name in ScheduleRecord._fields]
    if not schedule.batched:
        return (tuple(arrays),) * size
    return tuple(tuple([x[run] for x in arrays]) for run in range(size))


def _kernel_state(state: State, run: int) -> tuple[NDArray, ...]:
    """Run ``run``'s rows of every state array, as views the kernel updates in place.

    A run's single value stays a one-element array.
    """
    arrays = [getattr(state, name) for name in StateRecord._fields]
    return tuple([x[run] if x.ndim > 1 else x[run : run + 1] for x in arrays])


def _kernel_week(out: WeekOutput, run: int) -> tuple[NDArray, ...]:
    """Where the kernel writes run ``run``'s outputs for one week.

    A one-week stretch of its rows of the weekly outputs, and its rows of the per-staff ones.
    """
    return tuple(
        [
            getattr(out, name)[run : run + 1] if weekly else getattr(out, name)[run]
            for name, weekly in _OUTPUTS
        ]
    )


def _kernel_run(
    weekly: Mapping[str, NDArray], per_staff: Mapping[str, NDArray], run: int
) -> tuple[NDArray, ...]:
    """Where the kernel writes run ``run``'s outputs for a whole run.

    Its rows of the ``weekly`` arrays (one row per week) and the ``per_staff`` arrays (the
    last week's).
    """
    return tuple(
        [weekly[name][run] if is_weekly else per_staff[name] for name, is_weekly in _OUTPUTS]
    )


@dataclass(frozen=True)
class Batch:
    """The fixed inputs of a batch of runs, prepared once for the weekly step.

    Attributes
    ----------
    partnership, schedule
        As given.
    size : int
        Number of runs ``B``.
    table : float array (B, P)
        Every parameter of every run, one row per run, in registry order.
    static : Static
        What the runs read of the partnership, including the derived staff rates and
        relative loads.
    records : structured array (B,)
        The rows of ``table`` as the compiled kernel reads them: one record per run.
    kernel_static, kernel_schedules
        ``static`` and each run's schedule, as the compiled kernel reads them.
    """

    partnership: Partnership
    schedule: Schedule
    size: int
    table: FloatArray
    static: Static
    records: np.ndarray
    kernel_static: tuple[NDArray, ...]
    kernel_schedules: tuple[tuple[NDArray, ...], ...]

    def parameter(self, name: str) -> FloatArray:
        """Parameter ``name`` of every run, a column (B, 1) of ``table``.

        It broadcasts over partners or staff.
        """
        column = COLUMNS[name]
        return self.table[:, column : column + 1]

    @functools.cached_property
    def p(self) -> dict[str, FloatArray]:
        """Every parameter by name, each as :meth:`parameter` gives it."""
        return {name: self.parameter(name) for name in PARAMETERS}

    @functools.cached_property
    def burden(self) -> FloatArray:
        """``bureaucracy_burden`` times each partner's bureaucracy (B, A).

        A cost term that does not change during a run.
        """
        return self.parameter("bureaucracy_burden") * self.static.bureaucracy[None]

    @functools.cached_property
    def workload(self) -> FloatArray:
        """``workload_cost`` times each partner's relative load (B, A).

        A cost term that does not change during a run.
        """
        return self.parameter("workload_cost") * self.static.relative_load[None]

    @property
    def batched_schedule(self) -> bool:
        """Whether the schedule has its own row per run."""
        return self.schedule.batched

    def scheduled(self, name: str, week: int) -> NDArray:
        """Week ``week`` of schedule array ``name``, shaped to broadcast against (B, ...)."""
        values = getattr(self.schedule, name)
        return values[:, week] if self.batched_schedule else values[week][None]


def prepare(partnership: Partnership, schedule: Schedule, params: ParameterArrays) -> Batch:
    """Check the inputs of a batch and compute what every week reuses."""
    table = parameter_table(params)
    size = table.shape[0]
    return Batch(
        partnership=partnership,
        schedule=schedule,
        size=size,
        table=table,
        static=partnership.static,
        records=as_records(table),
        kernel_static=_kernel_static(partnership),
        kernel_schedules=tuple(_run_schedules(schedule, size, partnership.n_partners)),
    )


def _kernel_static(partnership: Partnership) -> tuple[NDArray, ...]:
    """Return what the kernel reads of ``partnership``, in :class:`StaticRecord` order."""
    static = partnership.static
    return tuple(getattr(static, name) for name in StaticRecord._fields)


def generators(seeds: Sequence[np.random.SeedSequence | int]) -> list[np.random.Generator]:
    """Return one independent generator per run, from that run's seed alone."""
    return [np.random.default_rng(s) for s in seeds]


def partner_attitude(attitude: FloatArray, partnership: Partnership) -> FloatArray:
    """Mean staff attitude per partner (B, A), summed in staff order as the kernel does."""
    a = partnership.n_partners
    sums = np.stack(
        [
            np.bincount(partnership.staff_partner, weights=row, minlength=a)
            for row in np.atleast_2d(attitude)
        ]
    )
    return sums / partnership.staff[None]


def _clip01(values: NDArray) -> FloatArray:
    return np.minimum(np.maximum(values, 0.0), 1.0)


def initial_state(batch: Batch, rngs: Sequence[np.random.Generator]) -> State:
    """Draw the week-0 state of every run: staff attitudes and legal-risk perceptions.

    Staff at partners with prior use of the system start trained, with habit
    ``prior_use_habit`` (DOMAIN.md P9); partners start at their initial buy-in and interface
    stage. Every other state array starts at zero.
    """
    return _initial_state(batch.partnership, batch.records, rngs)


def _initial_state(
    partnership: Partnership, records: np.ndarray, rngs: Sequence[np.random.Generator]
) -> State:
    """:func:`initial_state` of runs at ``partnership`` with the parameter ``records``."""
    b = records.shape[0]
    if len(rngs) != b:
        raise ValueError(f"{len(rngs)} generators for a batch of {b} runs")
    state = allocate(State, (b,), partnership.sizes)
    attitude, risk = state["attitude"], state["risk"]
    for run, rng in enumerate(rngs):
        rng.standard_normal(out=attitude[run])
        rng.random(out=risk[run])
    start(
        records,
        partnership.staff_partner,
        partnership.prior_use,
        partnership.initial_buy_in,
        partnership.interface_allowed,
        partnership.initial_interface,
        tuple(state[name] for name in StateRecord._fields),
    )
    return State(week=0, **state)


@dataclass(frozen=True)
class DecisionTerms:
    """The decision of every member of staff, term by term (utility units).

    ``partner_motivation`` and ``partner_cost`` hold (B, A) terms shared by a partner's staff;
    ``staff_motivation`` and ``staff_cost`` hold (B, N) terms of each member of staff.
    Costs are positive when they deter recording; reliefs (training) are negative costs.
    """

    partner_motivation: dict[str, FloatArray]
    partner_cost: dict[str, FloatArray]
    staff_motivation: dict[str, FloatArray]
    staff_cost: dict[str, FloatArray]

    def balance(self, staff_partner: IntArray) -> FloatArray:
        """Motivation minus cost (B, N) for every member of staff."""
        partner = sum(self.partner_motivation.values()) - sum(self.partner_cost.values())
        staff = sum(self.staff_motivation.values()) - sum(self.staff_cost.values())
        return np.asarray(partner)[:, staff_partner] + staff


def decision_terms(
    state: State, batch: Batch, interface: IntArray, pressure: FloatArray
) -> DecisionTerms:
    """Every term of motivation and cost for this week's decisions (DOMAIN.md finding 3).

    Reads last week's recording (norm, reciprocity), this week's interface stage, pressure
    and schedule. Bureaucracy enters twice: as procedural burden (a cost) and as documentary
    assurance that lowers perceived legal risk (DOMAIN.md finding 1), so its net effect can
    take either sign.
    """
    p, t, partnership = batch.p, state.week, batch.partnership
    sa = partnership.staff_partner
    bureaucracy = partnership.bureaucracy[None]
    assurance = _clip01(batch.scheduled("assurance", t) + p["bureaucracy_assurance"] * bureaucracy)
    functionality = batch.scheduled("functionality", t)[:, None]
    contact = batch.scheduled("colocated", t).astype(float)
    legal = (
        p["legal_risk"]
        * (1.0 - p["assurance_relief"] * assurance)
        * (1.0 - p["colocation_trust"] * contact)
    )
    keying = np.where(
        interface == InterfaceState.LIVE,
        0.0,
        np.where(interface == InterfaceState.WORKAROUND, 1.0 - p["workaround_relief"], 1.0),
    )
    shape = state.buy_in.shape
    return DecisionTerms(
        partner_motivation={
            "baseline": np.broadcast_to(p["baseline_motivation"], shape),
            "buy_in": p["buy_in_weight"] * state.buy_in,
            "norm": p["norm_weight"] * state.share,
            "reciprocity": p["reciprocity_weight"] * state.partner_share,
            "chasing": p["colocation_chasing"] * contact * state.partner_share,
            "pressure": p["pressure_weight"] * pressure[:, None],
            "mandate": p["mandate_weight"] * batch.scheduled("mandate", t),
        },
        partner_cost={
            "double_keying": p["double_keying_cost"] * keying,
            "functionality": p["functionality_cost"] * functionality,
            "bureaucratic_burden": batch.burden,
            "workload": batch.workload,
        },
        staff_motivation={
            "attitude": p["attitude_weight"] * state.attitude,
            "habit": p["habit_weight"] * state.habit,
        },
        staff_cost={
            "legal_risk": legal[:, sa] * state.risk,
            "training": -p["training_relief"] * state.trained,
        },
    )


def step(
    state: State, batch: Batch, rngs: Sequence[np.random.Generator]
) -> tuple[State, WeekOutput]:
    """Advance every run of the batch by one week; return the new state and the week's output.

    Pure apart from the generators: ``state`` is not changed. Synchronous: every rule reads
    the end of last week. ``rngs[b]`` is consumed only by run ``b``. The rules are in
    :func:`sim.kernel.advance`.
    """
    if state.week >= batch.schedule.n_weeks:
        raise ValueError(f"the schedule has {batch.schedule.n_weeks} weeks; nothing to step")
    copies = [getattr(state, name).copy() for name in layouts(State)]
    new = State(state.week + 1, *copies)
    out = WeekOutput(**allocate(WeekOutput, (batch.size,), batch.partnership.sizes))
    for run, rng in enumerate(rngs):
        advance(
            rng,
            state.week,
            state.week + 1,
            batch.records[run],
            batch.kernel_static,
            batch.kernel_schedules[run],
            _kernel_state(new, run),
            _kernel_week(out, run),
        )
    return new, out


def simulate(
    partnership: Partnership | Sequence[Partnership],
    schedule: Schedule | Sequence[Schedule],
    params: ParameterArrays,
    seeds: Sequence[np.random.SeedSequence | int],
) -> Trajectory:
    """Run a batch of ``len(seeds)`` runs for the schedule's weeks; return their outputs.

    Run ``b`` has parameters ``params[name][b]`` and random stream ``default_rng(seeds[b])``;
    its outputs do not depend on the other runs in the batch. What sharing bought is computed
    from the counts after the kernel (:func:`sim.benefit.benefit`).

    Parameters
    ----------
    partnership : Partnership or sequence of Partnership
        One partnership for every run, or one per run. Per-run partnerships may differ in
        everything but their partners' names (staff, caseloads, buy-in...): runs of a design
        that varies partner fields then still go through one call. Runs given the same
        partnership object share its preparation.
    schedule : Schedule or sequence of Schedule
        Shared, batched with one row per run, or one per run (all with the same weeks):
        runs of a design that moves dates need not be stacked into one batched schedule.
    params : mapping of str to array (B,)
        Every registry parameter, one value per run.
    seeds : sequence
        One seed per run.
    """
    size = len(seeds)
    each = _one_each(partnership, Partnership, size, "partnerships")
    names = each[0].names
    if any(p.names != names for p in each):
        raise ValueError("every run of a batch needs the same partners")
    timelines = _run_schedules(schedule, size, len(names))
    table = parameter_table(params)
    if table.shape[0] != size:
        raise ValueError(f"parameters for {table.shape[0]} runs, seeds for {size}")
    records = as_records(table)
    n_weeks = schedule.n_weeks if isinstance(schedule, Schedule) else schedule[0].n_weeks
    rngs = generators(seeds)
    weekly = allocate(Outputs, (size, n_weeks), each[0].sizes)
    groups = _partnership_groups(each)
    views: list[tuple[list[int], FloatArray]] = []
    for group, shared in groups:
        own = [rngs[run] for run in group]
        state = _initial_state(shared, records if len(groups) == 1 else records[group], own)
        kernel_static = _kernel_static(shared)
        # The last week's per-staff outputs: scratch space, shared by the runs.
        per_staff = allocate(WeekOutput, (), shared.sizes)
        for place, (run, rng) in enumerate(zip(group, own, strict=True)):
            advance(
                rng,
                0,
                n_weeks,
                records[run],
                kernel_static,
                timelines[run],
                _kernel_state(state, place),
                _kernel_run(weekly, per_staff, run),
            )
        views.append((group, state.views))
    live, colocated = _benefit_schedule(schedule)
    return _trajectory(names, weekly, _batch_views(views, size), live, colocated, params)


def _batch_views(parts: Sequence[tuple[list[int], FloatArray]], size: int) -> FloatArray:
    """Return the batch's views (B, A, A) from each partnership group's, placed run by run.

    A batch with one partnership (the usual case) has its group's own.
    """
    if len(parts) == 1:
        return parts[0][1]
    a = parts[0][1].shape[-1]
    views = np.zeros((size, a, a))
    for group, part in parts:
        views[group] = part
    return views


def _one_each[T](given: T | Sequence[T], kind: type[T], size: int, what: str) -> list[T]:
    """Return ``given`` for each of ``size`` runs: one shared object, or one per run."""
    each = [given] * size if isinstance(given, kind) else list(given)  # type: ignore[arg-type]
    if len(each) != size:
        raise ValueError(f"{len(each)} {what} for a batch of {size} runs")
    return each


def _run_schedules(
    schedule: Schedule | Sequence[Schedule], size: int, n_partners: int
) -> list[tuple[NDArray, ...]]:
    """Each run's schedule as the kernel reads it; runs given one object share its tuple."""
    if isinstance(schedule, Schedule):
        if schedule.batched and schedule.functionality.shape[0] != size:
            raise ValueError("a batched schedule needs one row per run")
        timelines = [schedule]
        rows = list(_kernel_schedules(schedule, size))
    else:
        timelines = _one_each(schedule, Schedule, size, "schedules")
        made: dict[int, tuple[NDArray, ...]] = {}
        for timeline in timelines:
            if timeline.batched:
                raise ValueError("a schedule given per run has no batch axis")
            if id(timeline) not in made:
                made[id(timeline)] = _kernel_schedules(timeline, 1)[0]
        rows = [made[id(timeline)] for timeline in timelines]
    if any(t.n_weeks != timelines[0].n_weeks for t in timelines):
        raise ValueError("every run of a batch needs the same number of weeks")
    if any(t.live.shape[-1] != n_partners for t in timelines):
        raise ValueError("schedule and partnership disagree on the number of partners")
    return rows


def _benefit_schedule(schedule: Schedule | Sequence[Schedule]) -> tuple[NDArray, NDArray]:
    """Return the live and co-located weeks of every run: (T, A) shared, else (B, T, A)."""
    if isinstance(schedule, Schedule):
        return schedule.live, schedule.colocated
    if all(timeline is schedule[0] for timeline in schedule):
        return schedule[0].live, schedule[0].colocated
    return np.stack([t.live for t in schedule]), np.stack([t.colocated for t in schedule])


def _partnership_groups(each: Sequence[Partnership]) -> list[tuple[list[int], Partnership]]:
    """Return the runs of each distinct partnership object, in order of first appearance."""
    groups: dict[int, tuple[list[int], Partnership]] = {}
    for run, partnership in enumerate(each):
        groups.setdefault(id(partnership), ([], partnership))[0].append(run)
    return list(groups.values())


def trajectory_of(
    names: tuple[str, ...],
    weekly: Mapping[str, NDArray],
    views: FloatArray,
    schedule: Schedule,
    params: Mapping[str, ArrayLike],
) -> Trajectory:
    """Return the :class:`Trajectory` of the kernel's ``weekly`` outputs and ``views``.

    Outputs are (B, T, A); what sharing bought (:func:`sim.benefit.benefit`) is computed on the
    weeks of ``schedule`` they cover, with the parameters ``params`` (one value, or one per run).
    """
    return _trajectory(names, weekly, views, schedule.live, schedule.colocated, params)


def _trajectory(
    names: tuple[str, ...],
    weekly: Mapping[str, NDArray],
    views: FloatArray,
    live: NDArray,
    colocated: NDArray,
    params: Mapping[str, ArrayLike],
) -> Trajectory:
    """:func:`trajectory_of`, given the schedule's live and co-located weeks."""
    weeks = weekly["handled"].shape[1]
    gained = benefit(
        weekly["handled"],
        weekly["recorded"],
        weekly["interface"],
        live[..., :weeks, :],
        colocated[..., :weeks, :],
        params,
    )
    bought = {name: getattr(gained, name) for name in layouts(Benefit)}
    return Trajectory(names=names, views=views, **weekly, **bought)
