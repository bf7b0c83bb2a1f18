"""The engine: model state in arrays, a compiled weekly step, many runs at once.

The engine knows no Mesa, no files and no screen. A batch of ``B`` runs shares one
:class:`Partnership` (agencies and the staff positions in them); each run has its own
parameter values, its own :class:`Schedule` row (or a shared one) and its own random stream.
Draws for run ``b`` come only from run ``b``'s generator, in an order fixed by that run's own
inputs and state, so a run gives the same result whether it is advanced alone or inside any
batch, in any order, on any worker.

The rules live in one place, :func:`sim.kernel.advance` (compiled with numba); this module
holds the state, prepares a batch's inputs and hosts the kernel: :func:`step` advances a
batch one week (the Mesa model steps this way), :func:`simulate` advances whole runs.
:func:`decision_terms` recomputes the decision term by term, for explanations.

Each week every member of staff at a live agency handles a Poisson number of ASB cases and
records each with probability ``logistic(decision_gain * (motivation - cost))``, where
motivation = baseline + buy-in + attitude + colleagues' share (norm) + partners' share
(reciprocity) + external pressure + management mandate + habit, and
cost = double keying (no live interface) + poor functionality + perceived legal risk net of
documentary assurance + bureaucratic burden + workload - training - co-location
(``shared/DOMAIN.md``, finding 3; ``docs/ODD.md``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from sim.kernel import advance
from sim.params import PARAMETERS

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


class InterfaceState(IntEnum):
    """Stage of an agency's automated link from its own system into the shared one."""

    NONE = 0
    CONSIDERING = 1
    BUILDING = 2
    LIVE = 3


INTERFACE_NAMES: tuple[str, ...] = tuple(stage.name.lower() for stage in InterfaceState)
"""Interface stages by code, as they appear in tables: none, considering, building, live."""


AgencyKind = (
    str  # one of "police", "district", "county", "unitary" (checked by the scenario schema)
)


@dataclass(frozen=True)
class Partnership:
    """The agencies and staff positions a batch of runs shares.

    Staff are stored contiguously by agency (all of agency 0, then agency 1, ...), so
    per-agency sums are a single ``np.add.reduceat``.

    Attributes
    ----------
    names : tuple of str
        Agency names, in array order.
    kinds : tuple of str
        Agency kind per agency (police, district, county, unitary).
    staff : int array (A,)
        Staff positions per agency using the system (at least 1).
    caseload : float array (A,)
        Mean ASB cases handled per week by the whole agency.
    involvement : float array (A,)
        Involvement in the project, 0..1 (roles such as chair, project manager, funder).
    bureaucracy : float array (A,)
        Formal procedure and documentation, 0..1 (acts through burden and assurance).
    initial_buy_in : float array (A,)
        Buy-in at week 0, 0..1.
    initial_interface : int array (A,)
        :class:`InterfaceState` at week 0.
    interface_allowed : bool array (A,)
        Whether the agency can build an interface at all.
    prior_use : bool array (A,)
        Whether the agency used the system before the project (staff start trained, with habit).
    """

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    staff: IntArray
    caseload: FloatArray
    involvement: FloatArray
    bureaucracy: FloatArray
    initial_buy_in: FloatArray
    initial_interface: IntArray
    interface_allowed: BoolArray
    prior_use: BoolArray
    staff_agency: IntArray = field(init=False)
    starts: IntArray = field(init=False)

    def __post_init__(self) -> None:
        n = len(self.names)
        for attr in (
            "staff",
            "caseload",
            "involvement",
            "bureaucracy",
            "initial_buy_in",
            "initial_interface",
            "interface_allowed",
            "prior_use",
        ):
            shape = np.shape(getattr(self, attr))
            if shape != (n,):
                raise ValueError(f"Partnership.{attr} has shape {shape}, expected ({n},)")
        if len(self.kinds) != n:
            raise ValueError("Partnership.kinds must name one kind per agency")
        if np.any(np.asarray(self.staff) < 1):
            raise ValueError("Partnership.staff must be at least 1 for every agency")
        staff = np.asarray(self.staff, dtype=np.int64)
        object.__setattr__(self, "staff_agency", np.repeat(np.arange(n), staff))
        object.__setattr__(self, "starts", np.concatenate(([0], np.cumsum(staff)[:-1])))

    @property
    def n_agencies(self) -> int:
        """Number of agencies ``A``."""
        return len(self.names)

    @property
    def n_staff(self) -> int:
        """Number of staff positions ``N``."""
        return int(self.staff_agency.shape[0])


@dataclass(frozen=True)
class Schedule:
    """Exogenous weekly inputs, compiled from a scenario's dated events.

    Agency arrays have shape (T, A) or (B, T, A); partnership arrays (T,) or (B, T). A leading
    batch axis lets runs in one batch differ (e.g. an uncertain go-live week).

    Attributes
    ----------
    live : bool
        The agency records on the shared system this week (has gone live).
    project_active : bool
        The county-wide project has started (waiting to go live erodes buy-in after this).
    assurance : float
        Documentary assurance, 0..1 (information sharing agreement signed, decisions minuted).
    mandate : float
        Management mandate to record, 0..1.
    colocated : bool
        The agency's staff are co-located with partners.
    training : float
        Share of untrained staff trained this week, 0..1 (training waves).
    turnover_shock : float
        Extra probability of leaving this week, 0..1 (restructures).
    interface_forced : bool
        The agency's interface goes live this week by a scenario event.
    functionality : float
        Multiplier on ``functionality_cost`` (below 1 after upgrades), >= 0.
    pressure_impulse : float
        External pressure added this week (high-profile failures, inquests, reports), >= 0.
    """

    live: BoolArray
    project_active: BoolArray
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

    @classmethod
    def quiet(cls, n_weeks: int, n_agencies: int) -> Schedule:
        """Return a schedule with every agency live from week 0 and no events."""
        shape = (n_weeks, n_agencies)
        return cls(
            live=np.ones(shape, dtype=bool),
            project_active=np.ones(n_weeks, dtype=bool),
            assurance=np.zeros(shape),
            mandate=np.zeros(shape),
            colocated=np.zeros(shape, dtype=bool),
            training=np.zeros(shape),
            turnover_shock=np.zeros(shape),
            interface_forced=np.zeros(shape, dtype=bool),
            functionality=np.ones(n_weeks),
            pressure_impulse=np.zeros(n_weeks),
        )


ParameterArrays = Mapping[str, FloatArray]
"""Parameter values by registry name, each an array of shape (B,): one value per run."""


@dataclass(frozen=True)
class State:
    """Everything that changes during a batch of runs, at the end of a week.

    Staff arrays have shape (B, N), agency arrays (B, A), partnership arrays (B,).
    ``handled``, ``recorded``, ``share`` (own recording share) and ``partner_share`` (the
    recording share of the other agencies that were live) are last week's: the only memory
    of last week that the decision reads (colleagues' norm, partners' reciprocity).
    """

    week: int
    attitude: FloatArray
    habit: FloatArray
    risk: FloatArray
    trained: BoolArray
    tenure: IntArray
    buy_in: FloatArray
    interface: IntArray
    build_left: IntArray
    pressure: FloatArray
    handled: IntArray
    recorded: IntArray
    share: FloatArray
    partner_share: FloatArray
    views: FloatArray


@dataclass(frozen=True)
class WeekOutput:
    """What one week produced, per run and agency (B, A) unless noted.

    ``staff_handled``, ``staff_recorded`` and ``probability`` (B, N) are per member of staff.
    """

    handled: IntArray
    recorded: IntArray
    buy_in: FloatArray
    interface: IntArray
    attitude: FloatArray
    pressure: FloatArray
    probability: FloatArray
    staff_handled: IntArray
    staff_recorded: IntArray


@dataclass(frozen=True)
class Batch:
    """The fixed inputs of a batch of runs, prepared once for the weekly step.

    Attributes
    ----------
    partnership, schedule
        As given.
    size : int
        Number of runs ``B``.
    p : dict of str to array (B, 1)
        Every parameter as a column that broadcasts over agencies or staff.
    staff_rate : array (N,)
        Mean cases per week handled by each staff position (before ``caseload_scale``).
    relative_load : array (A,)
        Cases per staff of each agency over the partnership's cases per staff.
    burden, workload : array (B, A)
        The cost terms that do not change during a run: ``bureaucracy_burden`` times the
        agency's bureaucracy, and ``workload_cost`` times its relative load.
    records : structured array (B,)
        The parameters again, one record per run, as the compiled kernel reads them.
    """

    partnership: Partnership
    schedule: Schedule
    size: int
    p: dict[str, FloatArray]
    staff_rate: FloatArray
    relative_load: FloatArray
    burden: FloatArray
    workload: FloatArray
    records: np.ndarray

    @property
    def batched_schedule(self) -> bool:
        """Whether the schedule has its own row per run."""
        return self.schedule.functionality.ndim == 2

    def scheduled(self, name: str, week: int) -> NDArray:
        """Week ``week`` of schedule array ``name``, shaped to broadcast against (B, ...)."""
        values = getattr(self.schedule, name)
        return values[:, week] if self.batched_schedule else values[week][None]


def stack_parameters(runs: Sequence[Mapping[str, float]]) -> dict[str, FloatArray]:
    """Turn one full parameter mapping per run into arrays of shape (B,) per name."""
    missing = set(PARAMETERS).difference(*[set(r) for r in runs]) if runs else set(PARAMETERS)
    if missing:
        raise ValueError(f"parameter values missing: {sorted(missing)}")
    return {name: np.array([float(r[name]) for r in runs]) for name in PARAMETERS}


def prepare(partnership: Partnership, schedule: Schedule, params: ParameterArrays) -> Batch:
    """Check the inputs of a batch and compute what every week reuses."""
    sizes = {np.shape(v) for v in params.values()}
    if len(sizes) != 1 or len(next(iter(sizes))) != 1:
        raise ValueError(f"parameter arrays must all have one shape (B,), got {sorted(sizes)}")
    unknown = set(params) - set(PARAMETERS)
    if unknown or set(PARAMETERS) - set(params):
        raise ValueError(f"parameters do not match the registry: {sorted(unknown) or 'missing'}")
    size = next(iter(sizes))[0]
    if schedule.functionality.ndim == 2 and schedule.functionality.shape[0] != size:
        raise ValueError("a batched schedule needs one row per run")
    if schedule.live.shape[-1] != partnership.n_agencies:
        raise ValueError("schedule and partnership disagree on the number of agencies")
    per_staff = np.asarray(partnership.caseload, float) / np.asarray(partnership.staff)
    mean_per_staff = float(np.sum(partnership.caseload)) / partnership.n_staff
    relative_load = per_staff / mean_per_staff if mean_per_staff > 0 else per_staff * 0.0
    p = {name: np.asarray(v, float)[:, None] for name, v in params.items()}
    return Batch(
        partnership=partnership,
        schedule=schedule,
        size=size,
        p=p,
        staff_rate=per_staff[partnership.staff_agency],
        relative_load=relative_load,
        burden=p["bureaucracy_burden"] * np.asarray(partnership.bureaucracy, float)[None],
        workload=p["workload_cost"] * relative_load[None],
        records=_records(params, size),
    )


def _records(params: ParameterArrays, size: int) -> np.ndarray:
    """Parameters as a structured array, one record per run: the kernel reads fields by name."""
    records = np.zeros(size, dtype=[(name, np.float64) for name in PARAMETERS])
    for name in PARAMETERS:
        records[name] = params[name]
    return records


def generators(seeds: Sequence[np.random.SeedSequence | int]) -> list[np.random.Generator]:
    """Return one independent generator per run, from that run's seed alone."""
    return [np.random.default_rng(s) for s in seeds]


def agency_attitude(attitude: FloatArray, partnership: Partnership) -> FloatArray:
    """Mean staff attitude per agency (B, A), summed in staff order as the kernel does."""
    a = partnership.n_agencies
    sums = np.stack(
        [
            np.bincount(partnership.staff_agency, weights=row, minlength=a)
            for row in np.atleast_2d(attitude)
        ]
    )
    return sums / partnership.staff[None]


def share_of(recorded: NDArray, handled: NDArray) -> FloatArray:
    """Recorded over handled, 0 where nothing was handled (recorded is then 0 too)."""
    return recorded / np.maximum(handled, 1)


def _clip01(values: NDArray) -> FloatArray:
    return np.minimum(np.maximum(values, 0.0), 1.0)


def initial_state(batch: Batch, rngs: Sequence[np.random.Generator]) -> State:
    """Draw the week-0 state of every run: staff attitudes and legal-risk perceptions.

    Staff at agencies with prior use of the system start trained, with habit
    ``prior_use_habit`` (DOMAIN.md P9).
    """
    partnership, p = batch.partnership, batch.p
    b, n, a = batch.size, partnership.n_staff, partnership.n_agencies
    if len(rngs) != b:
        raise ValueError(f"{len(rngs)} generators for a batch of {b} runs")
    normals = np.stack([rng.standard_normal(n) for rng in rngs])
    uniforms = np.stack([rng.random(n) for rng in rngs])
    prior = partnership.prior_use[partnership.staff_agency]
    interface = np.where(partnership.interface_allowed, partnership.initial_interface, 0)
    return State(
        week=0,
        attitude=_clip01(p["attitude_mean"] + p["attitude_spread"] * normals),
        habit=np.where(prior[None], p["prior_use_habit"], 0.0),
        risk=0.5 + uniforms,
        trained=np.broadcast_to(prior, (b, n)).copy(),
        tenure=np.zeros((b, n), dtype=np.int64),
        buy_in=np.broadcast_to(np.asarray(partnership.initial_buy_in, float), (b, a)).copy(),
        interface=np.broadcast_to(interface.astype(np.int64), (b, a)).copy(),
        build_left=np.zeros((b, a), dtype=np.int64),
        pressure=np.zeros(b),
        handled=np.zeros((b, a), dtype=np.int64),
        recorded=np.zeros((b, a), dtype=np.int64),
        share=np.zeros((b, a)),
        partner_share=np.zeros((b, a)),
        views=np.zeros((b, a, a)),
    )


@dataclass(frozen=True)
class DecisionTerms:
    """The decision of every member of staff, term by term (utility units).

    ``agency_motivation`` and ``agency_cost`` hold (B, A) terms shared by an agency's staff;
    ``staff_motivation`` and ``staff_cost`` hold (B, N) terms of each member of staff.
    Costs are positive when they deter recording; reliefs (training, co-location) are
    negative costs.
    """

    agency_motivation: dict[str, FloatArray]
    agency_cost: dict[str, FloatArray]
    staff_motivation: dict[str, FloatArray]
    staff_cost: dict[str, FloatArray]

    def balance(self, staff_agency: IntArray) -> FloatArray:
        """Motivation minus cost (B, N) for every member of staff."""
        agency = sum(self.agency_motivation.values()) - sum(self.agency_cost.values())
        staff = sum(self.staff_motivation.values()) - sum(self.staff_cost.values())
        return np.asarray(agency)[:, staff_agency] + staff


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
    sa = partnership.staff_agency
    bureaucracy = partnership.bureaucracy[None]
    assurance = _clip01(batch.scheduled("assurance", t) + p["bureaucracy_assurance"] * bureaucracy)
    functionality = batch.scheduled("functionality", t)[:, None]
    legal = p["legal_risk"] * (1.0 - p["assurance_relief"] * assurance)
    shape = state.buy_in.shape
    return DecisionTerms(
        agency_motivation={
            "baseline": np.broadcast_to(p["baseline_motivation"], shape),
            "buy_in": p["buy_in_weight"] * state.buy_in,
            "norm": p["norm_weight"] * state.share,
            "reciprocity": p["reciprocity_weight"] * state.partner_share,
            "pressure": p["pressure_weight"] * pressure[:, None],
            "mandate": p["mandate_weight"] * batch.scheduled("mandate", t),
        },
        agency_cost={
            "double_keying": p["double_keying_cost"] * (interface != InterfaceState.LIVE),
            "functionality": p["functionality_cost"] * functionality,
            "bureaucratic_burden": batch.burden,
            "workload": batch.workload,
            "colocation": -p["colocation_relief"] * batch.scheduled("colocated", t),
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


_STATE_ARRAYS = (
    "attitude",
    "habit",
    "risk",
    "trained",
    "tenure",
    "buy_in",
    "interface",
    "build_left",
    "pressure",
    "handled",
    "recorded",
    "share",
    "partner_share",
    "views",
)
_SCHEDULE_ARRAYS = (
    "live",
    "project_active",
    "assurance",
    "mandate",
    "colocated",
    "training",
    "turnover_shock",
    "interface_forced",
    "functionality",
    "pressure_impulse",
)


def _schedule_rows(batch: Batch, b: int) -> list[NDArray]:
    """Run ``b``'s schedule arrays, in the kernel's argument order."""
    arrays = [getattr(batch.schedule, name) for name in _SCHEDULE_ARRAYS]
    return [x[b] for x in arrays] if batch.batched_schedule else arrays


def _static_rows(batch: Batch) -> list[NDArray]:
    """The partnership's arrays, in the kernel's argument order."""
    p = batch.partnership
    return [
        p.staff_agency,
        p.starts,
        np.asarray(p.staff, np.int64),
        np.asarray(p.involvement, float),
        np.asarray(p.bureaucracy, float),
        np.asarray(p.interface_allowed, bool),
        batch.staff_rate,
        batch.relative_load,
    ]


def _state_rows(state: State, b: int) -> list[NDArray]:
    """Run ``b``'s rows of every state array (views, updated in place by the kernel)."""
    return [
        getattr(state, name)[b : b + 1] if name == "pressure" else getattr(state, name)[b]
        for name in _STATE_ARRAYS
    ]


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
    new = State(state.week + 1, *[np.array(getattr(state, f)) for f in _STATE_ARRAYS])
    b, n, a = batch.size, batch.partnership.n_staff, batch.partnership.n_agencies
    out = WeekOutput(
        handled=np.zeros((b, a), np.int64),
        recorded=np.zeros((b, a), np.int64),
        buy_in=np.zeros((b, a)),
        interface=np.zeros((b, a), np.int64),
        attitude=np.zeros((b, a)),
        pressure=np.zeros(b),
        probability=np.zeros((b, n)),
        staff_handled=np.zeros((b, n), np.int64),
        staff_recorded=np.zeros((b, n), np.int64),
    )
    static = _static_rows(batch)
    for run, rng in enumerate(rngs):
        advance(  # type: ignore[call-arg]  # numba dispatcher: signature from the kernel
            rng,
            state.week,
            state.week + 1,
            batch.records[run],
            *static,
            *_schedule_rows(batch, run),
            *_state_rows(new, run),
            out.handled[run : run + 1],
            out.recorded[run : run + 1],
            out.buy_in[run : run + 1],
            out.interface[run : run + 1],
            out.attitude[run : run + 1],
            out.pressure[run : run + 1],
            out.staff_handled[run],
            out.staff_recorded[run],
            out.probability[run],
        )
    return new, out


@dataclass(frozen=True)
class Trajectory:
    """Per-week outputs of a batch: arrays (B, T, A) unless noted.

    ``pressure`` is (B, T); ``views`` (B, A, A) is the cumulative number of agency ``j``'s
    records looked at by agency ``i`` (row ``i``, column ``j``) over the run.
    """

    names: tuple[str, ...]
    handled: IntArray
    recorded: IntArray
    buy_in: FloatArray
    interface: IntArray
    attitude: FloatArray
    pressure: FloatArray
    views: FloatArray

    @property
    def share(self) -> FloatArray:
        """Recording share per run, week and agency (0 where no case was handled)."""
        return share_of(self.recorded, self.handled)

    def last_weeks(self, weeks: int) -> tuple[IntArray, IntArray]:
        """Cases handled and recorded per run and agency (B, A), summed over the last
        ``weeks`` weeks (all of them if the run is shorter)."""
        start = max(self.handled.shape[1] - weeks, 0)
        return self.handled[:, start:].sum(axis=1), self.recorded[:, start:].sum(axis=1)

    @property
    def partnership_share(self) -> FloatArray:
        """Partnership-wide recording share per run and week (B, T)."""
        return share_of(self.recorded.sum(axis=2), self.handled.sum(axis=2))

    def select(self, runs: slice | Sequence[int] | IntArray) -> Trajectory:
        """The same outputs for a subset of runs."""
        index = np.arange(self.handled.shape[0])[runs]
        return Trajectory(
            self.names,
            self.handled[index],
            self.recorded[index],
            self.buy_in[index],
            self.interface[index],
            self.attitude[index],
            self.pressure[index],
            self.views[index],
        )


def concatenate(parts: Sequence[Trajectory]) -> Trajectory:
    """Join the runs of several batches of the same partnership into one trajectory."""
    if len({p.names for p in parts}) != 1:
        raise ValueError("trajectories of different partnerships cannot be joined")
    fields = ("handled", "recorded", "buy_in", "interface", "attitude", "pressure", "views")
    return Trajectory(
        parts[0].names, *[np.concatenate([getattr(p, f) for p in parts]) for f in fields]
    )


def simulate(
    partnership: Partnership,
    schedule: Schedule,
    params: ParameterArrays,
    seeds: Sequence[np.random.SeedSequence | int],
) -> Trajectory:
    """Run a batch of ``len(seeds)`` runs for the schedule's weeks; return their outputs.

    Run ``b`` has parameters ``params[name][b]`` and random stream ``default_rng(seeds[b])``;
    its outputs do not depend on the other runs in the batch.
    """
    batch = prepare(partnership, schedule, params)
    rngs = generators(seeds)
    state = initial_state(batch, rngs)
    b, weeks, a, n = batch.size, schedule.n_weeks, partnership.n_agencies, partnership.n_staff
    handled = np.zeros((b, weeks, a), dtype=np.int64)
    recorded = np.zeros_like(handled)
    interface = np.zeros_like(handled)
    buy_in = np.zeros((b, weeks, a))
    attitude = np.zeros_like(buy_in)
    pressure = np.zeros((b, weeks))
    staff_handled, staff_recorded = np.zeros(n, np.int64), np.zeros(n, np.int64)
    probability = np.zeros(n)
    static = _static_rows(batch)
    for run, rng in enumerate(rngs):
        advance(  # type: ignore[call-arg]  # numba dispatcher: signature from the kernel
            rng,
            0,
            weeks,
            batch.records[run],
            *static,
            *_schedule_rows(batch, run),
            *_state_rows(state, run),
            handled[run],
            recorded[run],
            buy_in[run],
            interface[run],
            attitude[run],
            pressure[run],
            staff_handled,
            staff_recorded,
            probability,
        )
    return Trajectory(
        partnership.names, handled, recorded, buy_in, interface, attitude, pressure, state.views
    )
