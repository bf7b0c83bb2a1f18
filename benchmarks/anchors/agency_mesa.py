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

from anchors.whole_array import BUILDING, CONSIDERING, LIVE, NONE, clip01, partner_shares
from sim.engine import Partnership, Schedule, Trajectory


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
        """Move along ``none -> considering -> building -> live`` (three uniforms a week)."""
        p = self.model.p
        u_consider, u_build, u_weeks = self.model.rng.random(3)
        hazard = p["imitation_weight"] * max(self.model.peers[self.index] - self.share, 0.0)
        if self.buy_in >= p["interface_buy_in_threshold"]:
            hazard += p["interface_consider_rate"]
        stage = self.interface
        if self.allowed and self.live and stage == NONE and u_consider < hazard:
            self.interface = CONSIDERING
        if stage == CONSIDERING and u_build < p["interface_build_rate"]:
            self.interface = BUILDING
            self.build_left = max(int(np.rint((0.5 + u_weeks) * p["interface_build_weeks"])), 1)
        elif stage == BUILDING:
            self.build_left -= 1
        finished = stage == BUILDING and self.build_left <= 0
        if finished or (self.allowed and self.this_week("interface_forced")):
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
            assurance = clip01(
                self.this_week("assurance") + p["bureaucracy_assurance"] * self.bureaucracy
            )
            legal = p["legal_risk"] * (1.0 - p["assurance_relief"] * assurance)
            motivation = (
                p["baseline_motivation"]
                + p["buy_in_weight"] * self.buy_in
                + p["norm_weight"] * self.share
                + p["reciprocity_weight"] * self.partners_share
                + p["pressure_weight"] * model.pressure
                + p["mandate_weight"] * self.this_week("mandate")
            )
            cost = (
                p["double_keying_cost"] * (self.interface != LIVE)
                + p["functionality_cost"] * model.functionality
                + p["bureaucracy_burden"] * self.bureaucracy
                + p["workload_cost"] * self.relative_load
                - p["colocation_relief"] * self.this_week("colocated")
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
        # The schedule's per-partner arrays (T, A) by name; each week reads one row of each.
        self.partner_schedule = {
            f.name: getattr(schedule, f.name)
            for f in dataclasses.fields(schedule)
            if getattr(schedule, f.name).ndim == 2
        }
        self.week_values: dict[str, np.ndarray] = {}
        a = partnership.n_partners
        self.peers = self.partners_now = np.zeros(a)
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
        live_interface = self._gather("interface") == LIVE
        self.peers = partner_shares(
            self._gather("recorded"), self._gather("handled"), live_interface
        )

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
        """The outputs so far, as a one-run trajectory."""
        out = self.outputs
        return Trajectory(
            names=self.partnership.names,
            handled=out["handled"][None].astype(np.int64),
            recorded=out["recorded"][None].astype(np.int64),
            buy_in=out["buy_in"][None],
            interface=out["interface"][None].astype(np.int64),
            attitude=out["attitude"][None],
            pressure=self.pressures[None],
            views=self.views[None],
        )


def simulate(
    partnership: Partnership, schedule: Schedule, p: Mapping[str, float], seed: int
) -> Trajectory:
    """One run for the schedule's weeks; the outputs as a one-run trajectory."""
    model = PartnerModel(partnership, schedule, p, rng=seed)
    while model.running:
        model.step()
    return model.trajectory()
