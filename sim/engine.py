"""The array engine: model state in arrays, one pure weekly step, many runs at once.

The engine knows no Mesa, no files and no screen. A batch of ``B`` runs shares one
:class:`Partnership` (agencies and the staff positions in them); each run has its own
parameter values, its own :class:`Schedule` row (or a shared one) and its own random stream.
Draws for run ``b`` come only from run ``b``'s generator, in an order fixed by that run's own
state, so a run gives the same result whether it is advanced alone or inside any batch.

Rules (see ``docs/ODD.md``): each week every member of staff at a live agency handles a
Poisson number of ASB cases and records each with probability

    P = logistic(decision_gain * (motivation - cost))

motivation = baseline + buy-in + attitude + colleagues' share (norm) + partners' share
(reciprocity) + external pressure + management mandate + habit;
cost = double keying (no live interface) + poor functionality + perceived legal risk net of
documentary assurance + bureaucratic burden + workload - training - co-location.
Updates are synchronous: every quantity read in week ``t`` was written in week ``t - 1``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

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


AgencyKind = str  # one of "police", "district", "county", "unitary" (checked by the scenario schema)


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
        for attr in ("staff", "caseload", "involvement", "bureaucracy", "initial_buy_in",
                     "initial_interface", "interface_allowed", "prior_use"):
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
