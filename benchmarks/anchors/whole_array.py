"""ANCHOR: the model's rules as whole-array numpy, without Mesa: what a numpy user would write.

One run at a time; every rule is a handful of vectorised operations over all staff (length
``N``) or all partners (length ``A``), the way a competent numpy programmer writes an
agent-based model without a framework. The rules are those of ``sim/kernel.py`` (and the
per-agent reference, ``sim/reference.py``); the random draws are numpy's vectorised ones, so
runs match the engine in distribution, not draw for draw (``tests/test_anchors.py`` checks it).

Benchmark code, not part of the product.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sim.engine import InterfaceState, Partnership, Schedule, Trajectory, trajectory_of
from sim.kernel import EVALUATION

NONE, CONSIDERING, BUILDING, LIVE, WORKAROUND, DECLINED = (int(s) for s in InterfaceState)


def clip01(x: np.ndarray | float) -> np.ndarray:
    """``x`` limited to [0, 1]."""
    return np.minimum(np.maximum(x, 0.0), 1.0)


def share(recorded: np.ndarray, handled: np.ndarray) -> np.ndarray:
    """Recorded over handled, 0 where nothing was handled."""
    return np.where(handled > 0, recorded / np.maximum(handled, 1), 0.0)


def partner_shares(recorded: np.ndarray, handled: np.ndarray, among: np.ndarray) -> np.ndarray:
    """For each partner, the recording share of the partners in ``among`` other than itself."""
    rec = (recorded * among).sum() - recorded * among
    han = (handled * among).sum() - handled * among
    return share(rec, han)


def simulate(
    partnership: Partnership, schedule: Schedule, p: Mapping[str, float], seed: int
) -> Trajectory:
    """One run of the rules for the schedule's weeks; the outputs as a one-run trajectory."""
    rng = np.random.default_rng(seed)
    n, a, weeks = partnership.n_staff, partnership.n_partners, schedule.n_weeks
    partner = partnership.staff_partner
    rate = (partnership.caseload / partnership.staff)[partner] * p["caseload_scale"]
    relative_load = (partnership.caseload / partnership.staff) / (partnership.caseload.sum() / n)
    allowed, bureaucracy = partnership.interface_allowed, partnership.bureaucracy
    sooner = np.where(partnership.priority, 1.0 - p["control_priority"], 1.0)
    # A partner whose interface a scenario event makes live decides nothing itself.
    scripted = np.asarray(schedule.interface_forced).any(axis=0)
    half_life = p["interface_value_half_life"]

    prior = partnership.prior_use[partner]
    attitude = clip01(p["attitude_mean"] + p["attitude_spread"] * rng.standard_normal(n))
    risk = 0.5 + rng.random(n)
    habit = np.where(prior, p["prior_use_habit"], 0.0)
    trained = prior.copy()
    tenure = np.zeros(n, dtype=np.int64)
    buy_in = partnership.initial_buy_in.astype(float)
    interface = np.where(allowed, partnership.initial_interface, NONE)
    build_left = np.zeros(a, dtype=np.int64)
    weeks_waiting = np.zeros(a)
    interfaces_seen = np.zeros(a)
    handled, recorded = np.zeros(a), np.zeros(a)
    own_share, partners_share = np.zeros(a), np.zeros(a)
    pressure = 0.0
    views = np.zeros((a, a))
    out = {k: np.zeros((weeks, a)) for k in ("handled", "recorded", "buy_in", "interface")}
    out["attitude"] = np.zeros((weeks, a))
    out_pressure = np.zeros(weeks)
    decay = 0.5 ** (1.0 / p["pressure_half_life"])

    for t in range(weeks):
        live = schedule.live[t]
        pressure = float(clip01(pressure * decay + schedule.pressure_impulse[t]))

        # Interfaces: scope as working interfaces are seen, decide (also when the evaluation
        # asks) to build or decline on buy-in discounted by the longest wait, wait, work
        # around as the wait erodes the value, go live on delivery.
        u_hazard, u_weeks = rng.random((2, a))
        pending = (interface == BUILDING) | (interface == WORKAROUND)
        seen_total = own_share[(interface == LIVE) & live].sum()
        seen_wait = weeks_waiting[pending].max(initial=0.0)
        evaluating = schedule.phase[t] == EVALUATION
        own = np.where(interface == LIVE, own_share, 0.0)
        interfaces_seen += np.where(live, own_share * (seen_total - own), 0.0)
        pull = p["interface_success_pull"] * interfaces_seen
        can_act = allowed & live & ~scripted
        asked = (interface == NONE) & can_act & evaluating
        consider = (interface == NONE) & can_act & ~asked
        consider &= u_hazard < p["interface_consider_rate"] + pull
        decide_hazard = pull + (p["evaluation_decide_rate"] if evaluating else 0.0)
        deciding = (((interface == CONSIDERING) & ~scripted) | asked) & (u_hazard < decide_hazard)
        worth = buy_in * 0.5 ** (sooner * seen_wait / half_life)
        build = deciding & (worth >= p["interface_buy_in_threshold"])
        waiting = pending & ~scripted
        build_left = np.where(waiting, build_left - 1, build_left)
        weeks_waiting = np.where(waiting, weeks_waiting + 1, weeks_waiting)
        delivered = waiting & (build_left <= 0)
        eroded = 1.0 - 0.5 ** (weeks_waiting / half_life)
        work_around = waiting & ~delivered & (interface == BUILDING)
        work_around &= u_hazard < p["workaround_rate"] * eroded
        weeks_to_build = np.rint((0.5 + u_weeks) * p["interface_build_weeks"] * sooner)
        build_left = np.where(build, np.maximum(weeks_to_build.astype(np.int64), 1), build_left)
        weeks_waiting = np.where(build, 0.0, weeks_waiting)
        stage = interface.copy()
        stage[consider] = CONSIDERING
        stage[build] = BUILDING
        stage[deciding & ~build] = DECLINED
        stage[work_around] = WORKAROUND
        stage[delivered | (allowed & schedule.interface_forced[t])] = LIVE
        interface = stage

        # Turnover: leavers are replaced by untrained newcomers; training waves train staff.
        leaving = rng.random(n) < p["turnover_rate"] + schedule.turnover_shock[t, partner]
        k = int(leaving.sum())
        attitude[leaving] = clip01(
            p["attitude_mean"] + p["attitude_spread"] * rng.standard_normal(k)
        )
        risk[leaving] = 0.5 + rng.random(k)
        habit[leaving] = 0.0
        trained[leaving] = False
        tenure = np.where(leaving, 0, tenure + 1)
        coverage = schedule.training[t, partner]
        if coverage.any():
            trained |= rng.random(n) < coverage

        # The decision: motivation minus cost, then Poisson thinning of the week's cases.
        # Co-located staff trust partners (less legal risk) and are chased by them.
        contact = schedule.colocated[t].astype(float)
        assurance = clip01(schedule.assurance[t] + p["bureaucracy_assurance"] * bureaucracy)
        legal = (
            p["legal_risk"]
            * (1.0 - p["assurance_relief"] * assurance)
            * (1.0 - p["colocation_trust"] * contact)
        )
        motivation = (
            p["baseline_motivation"]
            + p["buy_in_weight"] * buy_in
            + p["norm_weight"] * own_share
            + (p["reciprocity_weight"] + p["colocation_chasing"] * contact) * partners_share
            + p["pressure_weight"] * pressure
            + p["mandate_weight"] * schedule.mandate[t]
        )
        keying = np.where(
            interface == LIVE,
            0.0,
            np.where(interface == WORKAROUND, 1.0 - p["workaround_relief"], 1.0),
        )
        cost = (
            p["double_keying_cost"] * keying
            + p["functionality_cost"] * schedule.functionality[t]
            + p["bureaucracy_burden"] * bureaucracy
            + p["workload_cost"] * relative_load
        )
        balance = (
            (motivation - cost)[partner]
            + p["attitude_weight"] * attitude
            + p["habit_weight"] * habit
            - legal[partner] * risk
            + p["training_relief"] * trained
        )
        probability = np.where(
            live[partner], 1.0 / (1.0 + np.exp(-p["decision_gain"] * balance)), 0
        )
        staff_recorded = rng.poisson(rate * probability)
        staff_handled = staff_recorded + rng.poisson(rate * (1.0 - probability))
        recorded = np.bincount(partner, staff_recorded, a)
        handled = np.bincount(partner, staff_handled, a)
        own_share = share(recorded, handled)
        partners_share = partner_shares(recorded, handled, live)

        # Learning: habit from own use, attitude from partners' records, buy-in from benefit.
        learning = live[partner]
        used = learning & (staff_handled > 0)
        habit[used] += p["habit_learning_rate"] * (
            staff_recorded[used] / staff_handled[used] - habit[used]
        )
        attitude[learning] += p["attitude_learning_rate"] * (
            partners_share[partner][learning] - attitude[learning]
        )
        w = p["involvement_weight"]
        target = w * partnership.involvement + (1.0 - w) * 0.5 * (partners_share + own_share)
        erosion = p["delay_erosion"] if schedule.project_active[t] else 0.0
        waiting = clip01(buy_in - erosion)
        buy_in = np.where(
            live, clip01(buy_in + p["buy_in_adjustment_rate"] * (target - buy_in)), waiting
        )
        both_live = np.outer(live, live) & ~np.eye(a, dtype=bool)
        views += np.where(both_live, np.outer(own_share, recorded), 0.0)

        out["handled"][t], out["recorded"][t] = handled, recorded
        out["buy_in"][t], out["interface"][t] = buy_in, interface
        out["attitude"][t] = np.bincount(partner, attitude, a) / partnership.staff
        out_pressure[t] = pressure

    weekly = {name: values[None] for name, values in out.items()}
    for name in ("handled", "recorded", "interface"):
        weekly[name] = weekly[name].astype(np.int64)
    # What sharing bought: the engine's own after-run arithmetic on the run's counts.
    return trajectory_of(
        partnership.names, weekly | {"pressure": out_pressure[None]}, views[None], schedule, p
    )
