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

from sim.engine import InterfaceState, Partnership, Schedule, Trajectory

NONE, CONSIDERING, BUILDING, LIVE = (int(s) for s in InterfaceState)


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

    prior = partnership.prior_use[partner]
    attitude = clip01(p["attitude_mean"] + p["attitude_spread"] * rng.standard_normal(n))
    risk = 0.5 + rng.random(n)
    habit = np.where(prior, p["prior_use_habit"], 0.0)
    trained = prior.copy()
    tenure = np.zeros(n, dtype=np.int64)
    buy_in = partnership.initial_buy_in.astype(float)
    interface = np.where(allowed, partnership.initial_interface, NONE)
    build_left = np.zeros(a, dtype=np.int64)
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

        # Interfaces: considered on buy-in or by imitating partners with live interfaces.
        u_consider, u_build, u_weeks = rng.random((3, a))
        peers = partner_shares(recorded, handled, interface == LIVE)
        hazard = p["imitation_weight"] * np.maximum(peers - own_share, 0.0)
        hazard += np.where(
            buy_in >= p["interface_buy_in_threshold"], p["interface_consider_rate"], 0
        )
        stage = interface.copy()
        stage[allowed & live & (interface == NONE) & (u_consider < hazard)] = CONSIDERING
        start = (interface == CONSIDERING) & (u_build < p["interface_build_rate"])
        stage[start] = BUILDING
        weeks_to_build = np.rint((0.5 + u_weeks) * p["interface_build_weeks"]).astype(np.int64)
        build_left = np.where(start, np.maximum(weeks_to_build, 1), build_left)
        build_left = np.where(interface == BUILDING, build_left - 1, build_left)
        finished = (interface == BUILDING) & (build_left <= 0)
        stage[finished | (allowed & schedule.interface_forced[t])] = LIVE
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
        assurance = clip01(schedule.assurance[t] + p["bureaucracy_assurance"] * bureaucracy)
        legal = p["legal_risk"] * (1.0 - p["assurance_relief"] * assurance)
        motivation = (
            p["baseline_motivation"]
            + p["buy_in_weight"] * buy_in
            + p["norm_weight"] * own_share
            + p["reciprocity_weight"] * partners_share
            + p["pressure_weight"] * pressure
            + p["mandate_weight"] * schedule.mandate[t]
        )
        cost = (
            p["double_keying_cost"] * (interface != LIVE)
            + p["functionality_cost"] * schedule.functionality[t]
            + p["bureaucracy_burden"] * bureaucracy
            + p["workload_cost"] * relative_load
            - p["colocation_relief"] * schedule.colocated[t]
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

    return Trajectory(
        names=partnership.names,
        handled=out["handled"][None].astype(np.int64),
        recorded=out["recorded"][None].astype(np.int64),
        buy_in=out["buy_in"][None],
        interface=out["interface"][None].astype(np.int64),
        attitude=out["attitude"][None],
        pressure=out_pressure[None],
        views=views[None],
    )
