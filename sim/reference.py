"""REFERENCE MODEL: the executable specification of the rules, one agent at a time.

Slow on purpose. Every partner and every member of staff is an ordinary Mesa agent with plain
Python attributes; each case is decided by its own coin flip. It is not slower than it needs
to be, though: each partner reads its week's schedule once and works out the other partners'
share once a week, as a careful per-agent model would, so that the benchmark's ratio against
it flatters nobody. It exists so that the fast array engine (``sim/engine.py``) can be checked
against a version of the rules that reads like their description in ``docs/ODD.md``: tests
compare the two in distribution, and the benchmark reports the engine's speed as a ratio
against this model.

Do not use it for experiments; use :func:`sim.run.run` or :func:`sim.engine.simulate`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from statistics import NormalDist

import mesa
import numpy as np

from sim.engine import PENDING, InterfaceState, Partnership, Schedule
from sim.timeline import PHASES

EVALUATION = PHASES.index("evaluation")

_STANDARD_NORMAL = NormalDist()


class ReferencePartner(mesa.Agent):
    """A partner agency with its buy-in, interface stage and last week's case counts."""

    model: ReferenceModel

    def __init__(self, model: ReferenceModel, index: int) -> None:
        super().__init__(model)
        p = model.partnership
        self.index = index
        self.name = p.names[index]
        self.involvement = float(p.involvement[index])
        self.bureaucracy = float(p.bureaucracy[index])
        self.interface_allowed = bool(p.interface_allowed[index])
        self.buy_in = float(p.initial_buy_in[index])
        initial = int(p.initial_interface[index]) if self.interface_allowed else 0
        self.interface = InterfaceState(initial)
        self.build_left = 0
        self.weeks_waiting = 0
        self.interfaces_seen = 0.0
        self.priority = bool(p.priority[index])
        self.scripted = bool(np.any(np.asarray(model.schedule.interface_forced)[..., index]))
        self.rate_per_staff = float(p.caseload[index]) / int(p.staff[index])
        self.staff: list[ReferenceStaff] = []
        self.handled = 0  # last week
        self.recorded = 0
        self.handled_now = 0  # this week, being tallied
        self.recorded_now = 0
        self.partners_share_now = 0.0  # partners live this week, their share this week
        self.last_partners_share = 0.0  # partners live last week, their share last week
        self.this_week: dict[str, float] = {}  # this partner's schedule entries this week

    # --- this week's schedule --------------------------------------------------------------
    def read_schedule(self) -> None:
        """Read this partner's entries of every schedule array for the current week."""
        week = self.model.week
        self.this_week = {
            name: float(values[week, self.index])
            for name, values in self.model.partner_schedule.items()
        }

    def scheduled(self, name: str) -> float:
        """Return the partner's entry in schedule array ``name`` for the current week."""
        return self.this_week[name]

    @property
    def live(self) -> bool:
        """Whether the partner records on the shared system this week."""
        return bool(self.scheduled("live"))

    @staticmethod
    def share_of(recorded: int, handled: int) -> float:
        """Return recorded over handled, 0 when nothing was handled."""
        return recorded / handled if handled else 0.0

    @property
    def last_share(self) -> float:
        """The partner's recording share last week."""
        return self.share_of(self.recorded, self.handled)

    def partners_share(self, *, now: bool) -> float:
        """Return the recording share of the other (live) partners, last week or this week."""
        rec = han = 0
        for other in self.model.partners:
            if other is self or not other.live:
                continue
            rec += other.recorded_now if now else other.recorded
            han += other.handled_now if now else other.handled
        return self.share_of(rec, han)

    # --- weekly rules ------------------------------------------------------------------------
    def update_interface(self) -> None:
        """Scope, decide to build or decline, wait, work around, go live (two uniforms a week).

        Reads the partnership's signals at the start of the week (``model.seen_working``,
        ``model.seen_wait``), so the order in which partners are visited does not matter.
        """
        prm, model = self.model.params, self.model
        u_hazard, u_weeks = model.partner_uniforms[self.index]
        stage = self.interface
        if self.live:
            own = self.last_share if stage is InterfaceState.LIVE else 0.0
            self.interfaces_seen += self.last_share * (model.seen_working - own)
        sooner = 1.0 - prm["control_priority"] if self.priority else 1.0
        evaluating = model.phase == EVALUATION
        can_act = self.interface_allowed and self.live
        if self.scripted:
            pass
        elif stage is InterfaceState.NONE and can_act and not evaluating:
            hazard = (
                prm["interface_consider_rate"]
                + prm["interface_success_pull"] * self.interfaces_seen
            )
            if u_hazard < hazard:
                self.interface = InterfaceState.CONSIDERING
        elif stage is InterfaceState.CONSIDERING or (
            stage is InterfaceState.NONE and can_act and evaluating
        ):
            hazard = prm["interface_success_pull"] * self.interfaces_seen
            if evaluating:
                hazard += prm["evaluation_decide_rate"]
            if u_hazard < hazard:
                worth = self.buy_in * 0.5 ** (
                    sooner * model.seen_wait / prm["interface_value_half_life"]
                )
                if worth >= prm["interface_buy_in_threshold"]:
                    self.interface = InterfaceState.BUILDING
                    weeks = (0.5 + u_weeks) * prm["interface_build_weeks"] * sooner
                    self.build_left = max(round(weeks), 1)
                    self.weeks_waiting = 0
                else:
                    self.interface = InterfaceState.DECLINED
        elif stage in PENDING:
            self.build_left -= 1
            self.weeks_waiting += 1
            if self.build_left <= 0:
                self.interface = InterfaceState.LIVE
            elif stage is InterfaceState.BUILDING:
                eroded = 1.0 - 0.5 ** (self.weeks_waiting / prm["interface_value_half_life"])
                if u_hazard < prm["workaround_rate"] * eroded:
                    self.interface = InterfaceState.WORKAROUND
        if self.interface_allowed and self.scheduled("interface_forced"):
            self.interface = InterfaceState.LIVE

    def tally(self) -> None:
        """Sum this week's cases over the partner's staff."""
        self.handled_now = sum(s.handled for s in self.staff)
        self.recorded_now = sum(s.recorded for s in self.staff)

    def see_partners(self) -> None:
        """Work out the live partners' recording share this week, once every partner tallied."""
        self.partners_share_now = self.partners_share(now=True)

    def update_buy_in(self) -> None:
        """Buy-in moves toward involvement and benefit once live; waiting erodes it."""
        prm = self.model.params
        if self.live:
            benefit = 0.5 * (
                self.partners_share_now + self.share_of(self.recorded_now, self.handled_now)
            )
            w = prm["involvement_weight"]
            target = w * self.involvement + (1 - w) * benefit
            self.buy_in += prm["buy_in_adjustment_rate"] * (target - self.buy_in)
        elif self.model.scheduled("project_active"):
            self.buy_in -= prm["delay_erosion"]
        self.buy_in = min(max(self.buy_in, 0.0), 1.0)

    def close_week(self) -> None:
        """Make this week's counts last week's."""
        self.last_partners_share = self.partners_share_now
        self.handled, self.recorded = self.handled_now, self.recorded_now


class ReferenceStaff(mesa.Agent):
    """A member of staff: attitude, habit, training, perceived legal risk, tenure."""

    model: ReferenceModel

    def __init__(
        self, model: ReferenceModel, partner: ReferencePartner, u: float, v: float
    ) -> None:
        super().__init__(model)
        self.partner = partner
        partner.staff.append(self)
        prior = bool(model.partnership.prior_use[partner.index])
        self.attitude = self.draw_attitude(u)
        self.risk = 0.5 + v
        self.trained = prior
        self.habit = model.params["prior_use_habit"] if prior else 0.0
        self.tenure = 0
        self.handled = 0
        self.recorded = 0

    def draw_attitude(self, u: float) -> float:
        """Newcomer attitude: Normal(attitude_mean, attitude_spread) clipped to [0, 1]."""
        prm = self.model.params
        value = prm["attitude_mean"] + prm["attitude_spread"] * _STANDARD_NORMAL.inv_cdf(u)
        return min(max(value, 0.0), 1.0)

    def turnover_and_training(self) -> None:
        """Leave (replaced by an untrained newcomer) or get trained in a training wave."""
        rng = self.model.rng
        leave = rng.random() < (
            self.model.params["turnover_rate"] + self.partner.scheduled("turnover_shock")
        )
        if leave:
            self.attitude = self.draw_attitude(rng.random())
            self.risk = 0.5 + rng.random()
            self.habit = 0.0
            self.trained = False
            self.tenure = 0
        else:
            self.tenure += 1
        coverage = self.partner.scheduled("training")
        if coverage > 0 and rng.random() < coverage:
            self.trained = True

    def motivation(self) -> float:
        """Why this person would record a case this week (utility units)."""
        prm, partner = self.model.params, self.partner
        return (
            prm["baseline_motivation"]
            + prm["buy_in_weight"] * partner.buy_in
            + prm["norm_weight"] * partner.last_share
            + prm["reciprocity_weight"] * partner.last_partners_share
            + prm["colocation_chasing"]
            * partner.scheduled("colocated")
            * partner.last_partners_share
            + prm["pressure_weight"] * self.model.pressure
            + prm["mandate_weight"] * partner.scheduled("mandate")
            + prm["attitude_weight"] * self.attitude
            + prm["habit_weight"] * self.habit
        )

    def cost(self) -> float:
        """Return what recording a case costs this person this week (utility units)."""
        prm, partner = self.model.params, self.partner
        assurance = min(
            max(
                partner.scheduled("assurance") + prm["bureaucracy_assurance"] * partner.bureaucracy,
                0.0,
            ),
            1.0,
        )
        double_keying = {
            InterfaceState.LIVE: 0.0,
            InterfaceState.WORKAROUND: 1.0 - prm["workaround_relief"],
        }.get(partner.interface, 1.0)
        trust = 1.0 - prm["colocation_trust"] * partner.scheduled("colocated")
        return (
            prm["double_keying_cost"] * double_keying
            + prm["functionality_cost"] * self.model.scheduled("functionality")
            + prm["bureaucracy_burden"] * partner.bureaucracy
            + prm["workload_cost"] * partner.rate_per_staff / self.model.mean_rate_per_staff
            + prm["legal_risk"] * (1.0 - prm["assurance_relief"] * assurance) * trust * self.risk
            - prm["training_relief"] * self.trained
        )

    def handle_cases(self) -> None:
        """Handle this week's cases and decide, one by one, whether to record each."""
        prm = self.model.params
        rng = self.model.rng
        cases = int(rng.poisson(self.partner.rate_per_staff * prm["caseload_scale"]))
        p = 0.0
        if self.partner.live:
            utility = prm["decision_gain"] * (self.motivation() - self.cost())
            p = 1.0 / (1.0 + math.exp(-utility))
        self.handled = cases
        self.recorded = sum(1 for _ in range(cases) if rng.random() < p)

    def learn(self) -> None:
        """Habit follows own recording; attitude follows the partners' recording seen."""
        prm = self.model.params
        if not self.partner.live:
            return
        if self.handled > 0:
            own = self.recorded / self.handled
            self.habit += prm["habit_learning_rate"] * (own - self.habit)
        seen = self.partner.partners_share_now
        self.attitude += prm["attitude_learning_rate"] * (seen - self.attitude)


class ReferenceModel(mesa.Model):
    """Per-agent reference implementation of the sharing model (slow; the specification)."""

    def __init__(
        self,
        partnership: Partnership,
        schedule: Schedule,
        params: Mapping[str, float],
        *,
        rng: int,
    ) -> None:
        super().__init__(rng=rng)
        self.partnership, self.schedule, self.params = partnership, schedule, dict(params)
        # Schedule arrays by name, per partner (T, A) and partnership-wide (T,): read once a
        # week into plain numbers (ReferencePartner.read_schedule, ReferenceModel.scheduled).
        arrays = {f.name: getattr(schedule, f.name) for f in dataclasses.fields(schedule)}
        self.partner_schedule = {name: a for name, a in arrays.items() if a.ndim == 2}
        self.partnership_schedule = {name: a for name, a in arrays.items() if a.ndim == 1}
        self.this_week: dict[str, float] = {}
        self.week = 0
        self.pressure = 0.0
        self.partners = [ReferencePartner(self, i) for i in range(partnership.n_partners)]
        self.mean_rate_per_staff = float(np.sum(partnership.caseload)) / partnership.n_staff
        for i, partner in enumerate(self.partners):
            for _ in range(int(partnership.staff[i])):
                ReferenceStaff(self, partner, self.rng.random(), self.rng.random())
        self.partner_uniforms: list[tuple[float, float]] = []
        self.phase = 0
        self.seen_working = 0.0
        self.seen_wait = 0.0
        n = partnership.n_partners
        self.views = np.zeros((n, n))
        self.history: list[dict[str, object]] = []

    def scheduled(self, name: str) -> float:
        """Return the partnership-wide schedule array ``name`` for the current week."""
        return self.this_week[name]

    def step(self) -> None:
        """One week, in the same synchronous order as the engine."""
        prm = self.params
        staff = self.agents_by_type[ReferenceStaff]
        partners = self.agents_by_type[ReferencePartner]
        self.this_week = {
            name: float(values[self.week]) for name, values in self.partnership_schedule.items()
        }
        partners.do("read_schedule")
        decay = 0.5 ** (1.0 / prm["pressure_half_life"])
        impulse = self.scheduled("pressure_impulse")
        self.pressure = min(max(self.pressure * decay + impulse, 0.0), 1.0)

        self.partner_uniforms = [(self.rng.random(), self.rng.random()) for _ in self.partners]
        self.phase = int(self.schedule.phase[self.week])
        self.seen_working = sum(
            a.last_share for a in self.partners if a.interface is InterfaceState.LIVE and a.live
        )
        self.seen_wait = max(
            (float(a.weeks_waiting) for a in self.partners if a.interface in PENDING), default=0.0
        )
        partners.do("update_interface")
        staff.do("turnover_and_training")
        staff.do("handle_cases")
        partners.do("tally")
        partners.do("see_partners")
        staff.do("learn")
        partners.do("update_buy_in")
        for i, viewer in enumerate(self.partners):
            if not viewer.live:
                continue
            use = viewer.share_of(viewer.recorded_now, viewer.handled_now)
            for j, owner in enumerate(self.partners):
                if i != j and owner.live:
                    self.views[i, j] += use * owner.recorded_now
        partners.do("close_week")
        for partner in self.partners:
            self.history.append(
                {
                    "week": self.week,
                    "partner": partner.name,
                    "handled": partner.handled,
                    "recorded": partner.recorded,
                    "buy_in": partner.buy_in,
                    "interface": int(partner.interface),
                    "attitude": sum(s.attitude for s in partner.staff) / len(partner.staff),
                }
            )
        self.week += 1
        self.running = self.week < self.schedule.n_weeks
