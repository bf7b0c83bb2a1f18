"""The engine's arrays, each declared once: a batch's inputs, its state and its outputs.

A batch of ``B`` runs shares one :class:`Partnership` (partners and the staff positions in
them); each run has its own :class:`Schedule` row (or a shared one), its own :class:`State`
and its own outputs (:class:`WeekOutput` for one week, :class:`Trajectory` for a whole run).

Every array that the engine allocates is a field of one of these containers, annotated with
its layout for one run: one value per member of staff (``Staff...``, length ``N``), per partner
(``Partner...``, length ``A``), per pair of partners (``PairFloats``, ``A x A``) or one value
(``RunFloat``), and its element type. The engine reads these declarations to allocate, copy
and hand the compiled kernel (:func:`sim.kernel.advance`) each run's rows by name, so a new
state array or output is one field here plus its rule in the kernel; a new schedule array is
one field of :class:`Schedule` (with its value in :meth:`Schedule.blank`) plus the event that
sets it (``sim/timeline.py``) and its rule in the kernel.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import namedtuple
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeAliasType, get_type_hints

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

Axis = Literal["staff", "partner"]
"""An axis of a run's array: ``staff`` has one entry per member of staff, ``partner`` one per
partner."""


@dataclass(frozen=True)
class Layout:
    """How a declared array is laid out for one run: its axes and its element type."""

    axes: tuple[Axis, ...]
    dtype: type[np.generic]

    def shape(self, sizes: Mapping[Axis, int]) -> tuple[int, ...]:
        """Return the array's shape for one run, given the length of each axis."""
        return tuple(map(sizes.__getitem__, self.axes))


type StaffFloats = Annotated[FloatArray, Layout(("staff",), np.float64)]
type StaffInts = Annotated[IntArray, Layout(("staff",), np.int64)]
type StaffBools = Annotated[BoolArray, Layout(("staff",), np.bool_)]
type PartnerFloats = Annotated[FloatArray, Layout(("partner",), np.float64)]
type PartnerInts = Annotated[IntArray, Layout(("partner",), np.int64)]
type PartnerBools = Annotated[BoolArray, Layout(("partner",), np.bool_)]
type PairFloats = Annotated[FloatArray, Layout(("partner", "partner"), np.float64)]
type RunFloat = Annotated[FloatArray, Layout((), np.float64)]


@functools.cache
def layouts(container: type) -> Mapping[str, Layout]:
    """Every array ``container`` declares, by field name in field order, with its layout."""
    hints = get_type_hints(container, include_extras=True)
    found: dict[str, Layout] = {}
    for item in dataclasses.fields(container):
        hint = hints[item.name]
        if isinstance(hint, TypeAliasType):
            hint = hint.__value__
        for meta in getattr(hint, "__metadata__", ()):
            if isinstance(meta, Layout):
                found[item.name] = meta
    return found


def allocate(
    container: type, leading: tuple[int, ...], sizes: Mapping[Axis, int]
) -> dict[str, np.ndarray]:
    """Zeros for every array ``container`` declares, each shaped ``leading`` + its layout."""
    return {
        name: np.zeros(shape, dtype)
        for name, shape, dtype in _shapes(container, leading, tuple(sizes.items()))
    }


@functools.lru_cache(maxsize=256)
def _shapes(
    container: type, leading: tuple[int, ...], sizes: tuple[tuple[Axis, int], ...]
) -> tuple[tuple[str, tuple[int, ...], type[np.generic]], ...]:
    lengths = dict(sizes)
    return tuple(
        (name, leading + layout.shape(lengths), layout.dtype)
        for name, layout in layouts(container).items()
    )


def share_of(recorded: NDArray, handled: NDArray) -> FloatArray:
    """Return recorded over handled, 0 where nothing was handled (recorded is then 0 too)."""
    return recorded / np.maximum(handled, 1)


@dataclass(frozen=True)
class Partnership:
    """The partners and staff positions a batch of runs shares.

    Staff are stored contiguously by partner (all of partner 0, then partner 1, ...), so
    per-partner sums are a single ``np.add.reduceat``.

    Attributes
    ----------
    names : tuple of str
        Partner names, in array order.
    kinds : tuple of str
        Partner kind per partner (police, district, county, unitary).
    staff : int array (A,)
        Staff positions per partner using the system (at least 1).
    caseload : float array (A,)
        Mean ASB cases handled per week by the whole partner.
    involvement : float array (A,)
        Involvement in the project, 0..1 (roles such as chair and project manager act through
        it).
    bureaucracy : float array (A,)
        Formal procedure and documentation, 0..1 (acts through burden and assurance).
    initial_buy_in : float array (A,)
        Buy-in at week 0, 0..1.
    initial_interface : int array (A,)
        :class:`~sim.kernel.InterfaceState` at week 0.
    interface_allowed : bool array (A,)
        Whether the partner can build an interface at all.
    prior_use : bool array (A,)
        Whether the partner used the system before the project (staff start trained, with habit).
    priority : bool array (A,)
        Whether the partner controls the funds or the supplier contract (funder or contract
        holder, DOMAIN.md P15), so that the supplier serves it first.
    staff_partner : int array (N,)
        The partner of each staff position (derived).
    starts : int array (A,)
        The first staff position of each partner (derived).
    """

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    staff: PartnerInts
    caseload: PartnerFloats
    involvement: PartnerFloats
    bureaucracy: PartnerFloats
    initial_buy_in: PartnerFloats
    initial_interface: PartnerInts
    interface_allowed: PartnerBools
    prior_use: PartnerBools
    priority: PartnerBools
    staff_partner: StaffInts = field(init=False)
    starts: PartnerInts = field(init=False)

    def __post_init__(self) -> None:
        """Check one value per partner in every array; derive where each partner's staff sit."""
        n = len(self.names)
        arrays = layouts(Partnership)
        for attr in [f.name for f in dataclasses.fields(self) if f.init and f.name in arrays]:
            shape = np.shape(getattr(self, attr))
            if shape != (n,):
                raise ValueError(f"Partnership.{attr} has shape {shape}, expected ({n},)")
        if len(self.kinds) != n:
            raise ValueError("Partnership.kinds must name one kind per partner")
        if np.any(np.asarray(self.staff) < 1):
            raise ValueError("Partnership.staff must be at least 1 for every partner")
        staff = np.asarray(self.staff, dtype=np.int64)
        object.__setattr__(self, "staff_partner", np.repeat(np.arange(n), staff))
        object.__setattr__(self, "starts", np.concatenate(([0], np.cumsum(staff)[:-1])))

    @property
    def n_partners(self) -> int:
        """Number of partners ``A``."""
        return len(self.names)

    @property
    def n_staff(self) -> int:
        """Number of staff positions ``N``."""
        return int(self.staff_partner.shape[0])

    @property
    def sizes(self) -> dict[Axis, int]:
        """The length of each per-run axis: staff ``N`` and partners ``A``."""
        return {"staff": self.n_staff, "partner": self.n_partners}

    @functools.cached_property
    def static(self) -> Static:
        """What a run reads of this partnership, derived once (its arrays are never changed)."""
        per_staff = np.asarray(self.caseload, float) / np.asarray(self.staff)
        mean_per_staff = float(np.sum(self.caseload)) / self.n_staff
        relative_load = per_staff / mean_per_staff if mean_per_staff > 0 else per_staff * 0.0
        return Static(
            staff_partner=self.staff_partner,
            staff=np.asarray(self.staff, np.int64),
            involvement=np.asarray(self.involvement, float),
            bureaucracy=np.asarray(self.bureaucracy, float),
            interface_allowed=np.asarray(self.interface_allowed, bool),
            priority=np.asarray(self.priority, bool),
            staff_rate=per_staff[self.staff_partner],
            relative_load=relative_load,
        )


@dataclass(frozen=True)
class Static:
    """What a run reads of its partnership (the kernel's ``static``).

    Fixed for the run and the same for every run of a batch.

    Attributes
    ----------
    staff_partner : int array (N,)
        The partner of each staff position.
    staff : int array (A,)
        Staff positions per partner.
    involvement, bureaucracy : float array (A,)
        As in :class:`Partnership`.
    interface_allowed, priority : bool array (A,)
        As in :class:`Partnership`.
    staff_rate : float array (N,)
        Mean cases per week handled by each staff position (before ``caseload_scale``).
    relative_load : float array (A,)
        Cases per staff of each partner over the partnership's cases per staff.
    """

    staff_partner: IntArray
    staff: IntArray
    involvement: FloatArray
    bureaucracy: FloatArray
    interface_allowed: BoolArray
    priority: BoolArray
    staff_rate: FloatArray
    relative_load: FloatArray


@dataclass(frozen=True)
class Schedule:
    """Exogenous weekly inputs, compiled from a scenario's dated events.

    Partner arrays have shape (T, A) or (B, T, A); partnership arrays (T,) or (B, T). A leading
    batch axis lets runs in one batch differ (e.g. an uncertain go-live week). The kernel
    reads every field by name (its ``schedule``).

    Attributes
    ----------
    live : bool
        The partner records on the shared system this week (has gone live).
    project_active : bool
        The county-wide project has started (waiting to go live erodes buy-in after this).
    phase : int
        Project phase this week, index in ``sim.timeline.PHASES`` (0 briefing & scoping,
        1 planning, 2 implementation, 3 evaluation).
    assurance : float
        Documentary assurance, 0..1 (information sharing agreement signed, decisions minuted).
    mandate : float
        Management mandate to record, 0..1.
    colocated : bool
        The partner's staff are co-located with partners.
    training : float
        Share of untrained staff trained this week, 0..1 (training waves).
    turnover_shock : float
        Extra probability of leaving this week, 0..1 (restructures).
    interface_forced : bool
        The partner's interface goes live this week by a scenario event.
    functionality : float
        Multiplier on ``functionality_cost`` (below 1 after upgrades), >= 0.
    pressure_impulse : float
        External pressure added this week (high-profile failures, inquests, reports), >= 0.
    """

    live: BoolArray
    project_active: BoolArray
    phase: IntArray
    assurance: FloatArray
    mandate: FloatArray
    colocated: BoolArray
    training: FloatArray
    turnover_shock: FloatArray
    interface_forced: BoolArray
    functionality: FloatArray
    pressure_impulse: FloatArray

    @property
    def n_weeks(self) -> int:
        """Number of weeks ``T``."""
        return int(self.functionality.shape[-1])

    @property
    def batched(self) -> bool:
        """Whether the schedule has its own row per run (a leading batch axis)."""
        return self.functionality.ndim == 2

    @classmethod
    def blank(cls, n_weeks: int, n_partners: int) -> Schedule:
        """Return the schedule of no events: what every array holds until an event sets it.

        No partner live, no project started, the first phase, nothing signed, mandated,
        trained or forced, functionality 1 and no pressure. Its arrays are new and writable:
        :func:`sim.timeline.build_schedule` writes the events into them.
        """
        shape = (n_weeks, n_partners)
        return cls(
            live=np.zeros(shape, dtype=bool),
            project_active=np.zeros(n_weeks, dtype=bool),
            phase=np.zeros(n_weeks, dtype=np.int64),
            assurance=np.zeros(shape),
            mandate=np.zeros(shape),
            colocated=np.zeros(shape, dtype=bool),
            training=np.zeros(shape),
            turnover_shock=np.zeros(shape),
            interface_forced=np.zeros(shape, dtype=bool),
            functionality=np.ones(n_weeks),
            pressure_impulse=np.zeros(n_weeks),
        )

    @classmethod
    def quiet(cls, n_weeks: int, n_partners: int) -> Schedule:
        """Return a schedule with every partner live from week 0 and no events.

        The project in its implementation phase throughout.
        """
        schedule = cls.blank(n_weeks, n_partners)
        schedule.live[:] = True
        schedule.project_active[:] = True
        schedule.phase[:] = 2
        return schedule


@dataclass(frozen=True)
class State:
    """Everything that changes during a batch of runs, at the end of a week (kernel ``state``).

    Every array has a leading batch axis: staff arrays are (B, N), partner arrays (B, A),
    ``pressure`` (B,) and ``views`` (B, A, A). ``handled``, ``recorded``, ``share`` (own
    recording share) and ``partner_share`` (the recording share of the other partners that
    were live) are last week's: the only memory of last week that the decision reads
    (colleagues' norm, partners' reciprocity). ``views`` is the cumulative number of partner
    ``j``'s records looked at by partner ``i`` (row ``i``, column ``j``). ``interfaces_seen``
    is the working interfaces an partner has seen elsewhere through its own use of the system,
    in interface-weeks (DOMAIN.md P12); ``weeks_waiting`` the weeks since it decided to build
    its interface (P8, P11).
    """

    week: int
    attitude: StaffFloats
    habit: StaffFloats
    risk: StaffFloats
    trained: StaffBools
    tenure: StaffInts
    buy_in: PartnerFloats
    interface: PartnerInts
    build_left: PartnerInts
    weeks_waiting: PartnerInts
    interfaces_seen: PartnerFloats
    pressure: RunFloat
    handled: PartnerInts
    recorded: PartnerInts
    share: PartnerFloats
    partner_share: PartnerFloats
    views: PairFloats


@dataclass(frozen=True)
class Outputs:
    """What every run reports each week, per partner, and the external pressure.

    Cases handled and recorded, buy-in, interface stage and mean staff attitude per partner.

    :class:`WeekOutput` holds one week of these (B, A) or (B,); :class:`Trajectory` every week
    of a run (B, T, A) or (B, T). The kernel writes them (its ``out``), one row per week.
    """

    handled: PartnerInts
    recorded: PartnerInts
    buy_in: PartnerFloats
    interface: PartnerInts
    attitude: PartnerFloats
    pressure: RunFloat


@dataclass(frozen=True)
class WeekOutput(Outputs):
    """What one week produced: per run and partner, per run, and per member of staff.

    Cases handled and recorded, buy-in, interface stage and attitude per run and partner
    (B, A), pressure per run (B,), and per member of staff (B, N) cases handled and recorded
    and the chance of recording a case.
    """

    probability: StaffFloats
    staff_handled: StaffInts
    staff_recorded: StaffInts


@dataclass(frozen=True)
class Benefit:
    """What sharing buys, per run, week and partner (B, T, A).

    Computed after a run from its counts (``sim/benefit.py``; DOMAIN.md P5, P13), never by
    the kernel.

    Attributes
    ----------
    latency_days : float
        Mean days until the other partners learn of a case the partner handled that week
        (NaN in a week it handled none).
    sharing_hours : float
        Staff hours the partner spent that week on sharing: double keying (or a manual
        workaround), e-mail and telephone for cases not on the system, and chasing.
    saved_hours : float
        Staff hours saved that week against sharing every case by e-mail (negative when
        double keying and chasing cost more than the e-mails they replace).
    """

    latency_days: PartnerFloats
    sharing_hours: PartnerFloats
    saved_hours: PartnerFloats


@dataclass(frozen=True)
class _Named:
    """A trajectory's partner names, in a base of their own.

    So that ``names`` stays a trajectory's first field: ``Trajectory(names, handled, ...)``.
    """

    names: tuple[str, ...]


@dataclass(frozen=True)
class Trajectory(Benefit, Outputs, _Named):
    """Per-week outputs of a batch, with the partner names, benefit and the views network.

    Arrays (B, T, A), ``pressure`` (B, T), what sharing bought (:class:`Benefit`) and
    ``views`` (B, A, A): the cumulative number of partner ``j``'s records looked at by
    partner ``i`` (row ``i``, column ``j``) over the run.
    """

    views: PairFloats

    def __repr__(self) -> str:
        """One line: runs, weeks and partners (the arrays are its fields)."""
        runs, weeks, partners = self.handled.shape
        return f"<Trajectory: {runs} runs x {weeks} weeks x {partners} partners>"

    @property
    def share(self) -> FloatArray:
        """Recording share per run, week and partner (0 where no case was handled)."""
        return share_of(self.recorded, self.handled)

    def last_weeks(self, weeks: int) -> tuple[IntArray, IntArray]:
        """Return cases handled and recorded per run and partner (B, A) over the last weeks.

        Summed over the last ``weeks`` weeks (all of them if the run is shorter).
        """
        start = max(self.handled.shape[1] - weeks, 0)
        return self.handled[:, start:].sum(axis=1), self.recorded[:, start:].sum(axis=1)

    @property
    def partnership_share(self) -> FloatArray:
        """Partnership-wide recording share per run and week (B, T)."""
        return share_of(self.recorded.sum(axis=2), self.handled.sum(axis=2))

    def select(self, runs: slice | Sequence[int] | IntArray) -> Trajectory:
        """Return the same outputs for a subset of runs."""
        index = np.arange(self.handled.shape[0])[runs]
        arrays = {name: getattr(self, name)[index] for name in layouts(Trajectory)}
        return Trajectory(names=self.names, **arrays)


def concatenate(parts: Sequence[Trajectory]) -> Trajectory:
    """Join the runs of several batches of the same partnership into one trajectory."""
    if len({p.names for p in parts}) != 1:
        raise ValueError("trajectories of different partnerships cannot be joined")
    arrays = {
        name: np.concatenate([getattr(p, name) for p in parts]) for name in layouts(Trajectory)
    }
    return Trajectory(names=parts[0].names, **arrays)


# The kernel's records: one run's arrays, a field per declared array, sorted by name. The
# engine passes each as a plain tuple in this field order (numba types a plain tuple
# argument faster than a namedtuple) and the kernel names it again to read it. The sorting
# means that reordering a declaration changes nothing compiled; renaming an array changes the
# kernel, which reads every field by name (tested), and so refreshes its numba cache.
def _record(name: str, arrays: Iterable[str]) -> Any:
    """Make a namedtuple class with a field per name in ``arrays``, sorted."""
    return namedtuple(name, sorted(arrays), module=__name__)


StaticRecord = _record("StaticRecord", (f.name for f in dataclasses.fields(Static)))
ScheduleRecord = _record("ScheduleRecord", (f.name for f in dataclasses.fields(Schedule)))
StateRecord = _record("StateRecord", layouts(State))
OutputRecord = _record("OutputRecord", layouts(WeekOutput))
