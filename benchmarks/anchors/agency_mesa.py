"""ANCHOR: the model's rules in Mesa, one agent per agency holding numpy arrays of its staff.

What a competent Mesa user would write for speed: agencies are ordinary Mesa agents stepped
through ``AgentSet.do``, and each applies the rules to its own staff as vectorised numpy
operations (no agent per member of staff). The rules are those of ``sim/kernel.py`` (and the
per-agent reference, ``sim/reference.py``), updated synchronously: every agency reads last
week's values of the others, kept until ``close_week``. Draws come from the model's own
generator, so runs match the engine in distribution, not draw for draw
(``tests/test_anchors.py`` checks it).

Benchmark code, not part of the product.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import mesa
import numpy as np

from anchors.whole_array import (
    BUILDING,
    CONSIDERING,
    DECLINED,
    LIVE,
    NONE,
    WORKAROUND,
    clip01,
    partner_shares,
)
from sim.engine import Partnership, Schedule, Trajectory, trajectory_of
from sim.kernel import EVALUATION


class StaffedPartner(mesa.Agent):
    """A partner agency with its staff's attitude, habit, risk, training and tenure as arrays."""

    model: PartnerModel

    def __init__(self, model: PartnerModel, index: int) -> None:
        super().__init__(model)
        p, partnership = model.p, model.partnership
        self.index = index
        self.size = int(partnership.staff[index])
        per_staff = float(partnership.caseload[index]) / self.size
        self.rate = per_staff * p["caseload_scale"]
        self.relative_load = per_staff / (float(partnership.caseload.sum()) / model.n_staff)
        self.involvement = float(partnership.involvement[index])
        self.bureaucracy = float(partnership.bureaucracy[index])
        self.allowed = bool(partnership.interface_allowed[index])
        prior = bool(partnership.prior_use[index])
        rng = model.rng
        self.attitude = clip01(
            p["attitude_mean"] + p["attitude_spread"] * rng.standard_normal(self.size)
        )
        self.risk = 0.5 + rng.random(self.size)
        self.habit = np.full(self.size, p["prior_use_habit"] if prior else 0.0)
        self.trained = np.full(self.size, prior)
        self.tenure = np.zeros(self.size, dtype=np.int64)
        self.buy_in = float(partnership.initial_buy_in[index])
        self.interface = int(partnership.initial_interface[index]) if self.allowed else NONE
        self.build_left = 0
        self.weeks_waiting = 0
        self.interfaces_seen = 0.0
        self.sooner = 1.0 - p["control_priority"] if partnership.priority[index] else 1.0
        # A partner whose interface a scenario event makes live decides nothing itself.
        self.scripted = bool(np.asarray(model.schedule.interface_forced)[:, index].any())
        # Last week's cases and shares (what the others read), and this week's.
        self.handled = self.recorded = 0.0
        self.share = self.partners_share = 0.0
        self.handled_now = self.recorded_now = self.share_now = 0.0
        self.staff_handled = self.staff_recorded = np.zeros(self.size, dtype=np.int64)

    def this_week(self, name: str) -> float:
        """This partner's entry in schedule array ``name`` this week."""
        return self.model.week_values[name][self.index]

    @property
    def live(self) -> bool:
        """Whether the partner records on the shared system this week."""
        return bool(self.this_week("live"))

    def update_interface(self) -> None:
        """Scope, decide to build or decline, wait, work around, go live (two uniforms a week).

        Reads the partnership's signals of the start of the week (``model.seen_working``,
        ``model.seen_wait``), so the order in which partners move does not matter.
        """
        p, model = self.model.p, self.model
        u_hazard, u_weeks = model.rng.random(2)
        stage = self.interface
        half_life = p["interface_value_half_life"]
        if self.live:
            own = self.share if stage == LIVE else 0.0
            self.interfaces_seen += self.share * (model.seen_working - own)
        pull = p["interface_success_pull"] * self.interfaces_seen
        can_act = self.allowed and self.live
        asked = stage == NONE and can_act and model.evaluating
        if self.scripted:
            pass
        elif stage == NONE and can_act and not asked:
            if u_hazard < p["interface_consider_rate"] + pull:
                self.interface = CONSIDERING
        elif stage == CONSIDERING or asked:
            hazard = pull + (p["evaluation_decide_rate"] if model.evaluating else 0.0)
            if u_hazard < hazard:
                worth = self.buy_in * 0.5 ** (self.sooner * model.seen_wait / half_life)
                if worth >= p["interface_buy_in_threshold"]:
                    self.interface = BUILDING
                    weeks = np.rint((0.5 + u_weeks) * p["interface_build_weeks"] * self.sooner)
                    self.build_left = max(int(weeks), 1)
                    self.weeks_waiting = 0
                else:
                    self.interface = DECLINED
        elif stage in (BUILDING, WORKAROUND):
            self.build_left -= 1
            self.weeks_waiting += 1
            if self.build_left <= 0:
                self.interface = LIVE
            elif stage == BUILDING:
                eroded = 1.0 - 0.5 ** (self.weeks_waiting / half_life)
                if u_hazard < p["workaround_rate"] * eroded:
                    self.interface = WORKAROUND
        if self.allowed and self.this_week("interface_forced"):
            self.interface = LIVE

    def turnover_and_training(self) -> None:
        """Leavers are replaced by untrained newcomers; a training wave trains staff."""
        p, rng = self.model.p, self.model.rng
        leaving = rng.random(self.size) < p["turnover_rate"] + self.this_week("turnover_shock")
        k = int(leaving.sum())
        if k:
            normals = rng.standard_normal(k)
            self.attitude[leaving] = clip01(p["attitude_mean"] + p["attitude_spread"] * normals)
            self.risk[leaving] = 0.5 + rng.random(k)
            self.habit[leaving] = 0.0
            self.trained[leaving] = False
        self.tenure = np.where(leaving, 0, self.tenure + 1)
        coverage = self.this_week("training")
        if coverage > 0:
            self.trained |= rng.random(self.size) < coverage

    def handle_cases(self) -> None:
        """Each member of staff decides (motivation minus cost) and handles a Poisson number
        of cases, recorded ones and unrecorded ones drawn apart (thinning)."""
        p, model = self.model.p, self.model
        probability = 0.0
        if self.live:
            # Co-located staff trust partners (less legal risk) and are chased by them.
            contact = float(self.this_week("colocated"))
            assurance = clip01(
                self.this_week("assurance") + p["bureaucracy_assurance"] * self.bureaucracy
            )
            legal = (
                p["legal_risk"]
                * (1.0 - p["assurance_relief"] * assurance)
                * (1.0 - p["colocation_trust"] * contact)
            )
            chasing = p["reciprocity_weight"] + p["colocation_chasing"] * contact
            motivation = (
                p["baseline_motivation"]
                + p["buy_in_weight"] * self.buy_in
                + p["norm_weight"] * self.share
                + chasing * self.partners_share
                + p["pressure_weight"] * model.pressure
                + p["mandate_weight"] * self.this_week("mandate")
            )
            keying = {LIVE: 0.0, WORKAROUND: 1.0 - p["workaround_relief"]}.get(self.interface, 1.0)
            cost = (
                p["double_keying_cost"] * keying
                + p["functionality_cost"] * model.functionality
                + p["bureaucracy_burden"] * self.bureaucracy
                + p["workload_cost"] * self.relative_load
            )
            balance = (
                motivation
                - cost
                + p["attitude_weight"] * self.attitude
                + p["habit_weight"] * self.habit
                - legal * self.risk
                + p["training_relief"] * self.trained
            )
            probability = 1.0 / (1.0 + np.exp(-p["decision_gain"] * balance))
        rng = model.rng
        recorded = rng.poisson(self.rate * probability, self.size)
        self.staff_recorded = recorded
        self.staff_handled = recorded + rng.poisson(self.rate * (1.0 - probability), self.size)
        self.recorded_now = float(recorded.sum())
        self.handled_now = float(self.staff_handled.sum())
        self.share_now = self.recorded_now / self.handled_now if self.handled_now else 0.0

    def learn(self) -> None:
        """Habit follows own recording, attitude the partners' records seen; buy-in follows
        benefit and involvement once live, and erodes while waiting."""
        p, model = self.model.p, self.model
        partners = model.partners_now[self.index]
        if self.live:
            used = self.staff_handled > 0
            own = self.staff_recorded[used] / self.staff_handled[used]
            self.habit[used] += p["habit_learning_rate"] * (own - self.habit[used])
            self.attitude += p["attitude_learning_rate"] * (partners - self.attitude)
            w = p["involvement_weight"]
            target = w * self.involvement + (1.0 - w) * 0.5 * (partners + self.share_now)
            self.buy_in += p["buy_in_adjustment_rate"] * (target - self.buy_in)
        elif model.project_active:
            self.buy_in -= p["delay_erosion"]
        self.buy_in = min(max(self.buy_in, 0.0), 1.0)

    def close_week(self) -> None:
        """This week's counts and shares become last week's; record the week's outputs."""
        self.handled, self.recorded = self.handled_now, self.recorded_now
        self.share, self.partners_share = self.share_now, self.model.partners_now[self.index]
        row, j = self.model.outputs, self.index
        t = self.model.week
        row["handled"][t, j], row["recorded"][t, j] = self.handled, self.recorded
        row["buy_in"][t, j], row["interface"][t, j] = self.buy_in, self.interface
        row["attitude"][t, j] = self.attitude.mean()


class PartnerModel(mesa.Model):
    """The sharing model with one Mesa agent per partner, staff as arrays inside it."""

    def __init__(
        self, partnership: Partnership, schedule: Schedule, p: Mapping[str, float], *, rng: int
    ) -> None:
        super().__init__(rng=rng)
        self.partnership, self.schedule, self.p = partnership, schedule, dict(p)
        self.n_staff = partnership.n_staff
        self.week = 0
        self.pressure = 0.0
        self.functionality = 1.0
        self.project_active = False
        self.evaluating = False
        self.seen_working = self.seen_wait = 0.0
        # The schedule's per-partner arrays (T, A) by name; each week reads one row of each.
        self.partner_schedule = {
            f.name: getattr(schedule, f.name)
            for f in dataclasses.fields(schedule)
            if getattr(schedule, f.name).ndim == 2
        }
        self.week_values: dict[str, np.ndarray] = {}
        a = partnership.n_partners
        self.partners_now = np.zeros(a)
        self.views = np.zeros((a, a))
        self.outputs = {
            name: np.zeros((schedule.n_weeks, a))
            for name in ("handled", "recorded", "buy_in", "interface", "attitude")
        }
        self.pressures = np.zeros(schedule.n_weeks)
        self.partners = [StaffedPartner(self, j) for j in range(a)]

    def _gather(self, name: str) -> np.ndarray:
        return np.array([getattr(partner, name) for partner in self.partners])

    def step(self) -> None:
        """One week, every rule reading the end of last week."""
        t, schedule, partners = self.week, self.schedule, self.agents_by_type[StaffedPartner]
        self.week_values = {name: values[t] for name, values in self.partner_schedule.items()}
        self.functionality = float(schedule.functionality[t])
        self.project_active = bool(schedule.project_active[t])
        decay = 0.5 ** (1.0 / self.p["pressure_half_life"])
        self.pressure = min(max(self.pressure * decay + schedule.pressure_impulse[t], 0.0), 1.0)
        self.evaluating = bool(schedule.phase[t] == EVALUATION)
        # The partnership's signals, read before anyone moves: working interfaces seen and
        # the longest wait of a partner still waiting for its interface.
        stages, live_now = self._gather("interface"), self.week_values["live"]
        self.seen_working = float(self._gather("share")[(stages == LIVE) & live_now].sum())
        pending = (stages == BUILDING) | (stages == WORKAROUND)
        self.seen_wait = float(self._gather("weeks_waiting")[pending].max(initial=0.0))

        partners.do("update_interface")
        partners.do("turnover_and_training")
        partners.do("handle_cases")
        live = self.week_values["live"]
        recorded_now = self._gather("recorded_now")
        self.partners_now = partner_shares(recorded_now, self._gather("handled_now"), live)
        partners.do("learn")
        both_live = np.outer(live, live) & ~np.eye(len(live), dtype=bool)
        self.views += np.where(both_live, np.outer(self._gather("share_now"), recorded_now), 0.0)
        partners.do("close_week")
        self.pressures[t] = self.pressure
        self.week += 1
        self.running = self.week < schedule.n_weeks

    def trajectory(self) -> Trajectory:
        """The outputs so far, as a one-run trajectory (with what sharing bought)."""
        weekly = {name: values[None] for name, values in self.outputs.items()}
        for name in ("handled", "recorded", "interface"):
            weekly[name] = weekly[name].astype(np.int64)
        weekly["pressure"] = self.pressures[None]
        return trajectory_of(
            self.partnership.names, weekly, self.views[None], self.schedule, self.p
        )


def simulate(
    partnership: Partnership, schedule: Schedule, p: Mapping[str, float], seed: int
) -> Trajectory:
    """One run for the schedule's weeks; the outputs as a one-run trajectory."""
    model = PartnerModel(partnership, schedule, p, rng=seed)
    while model.running:
        model.step()
    return model.trajectory()
