"""The weekly rules of one run, compiled: the engine's inner loop.

One function, :func:`advance`, applies the model's rules to one run for a span of weeks,
updating that run's state arrays in place and writing its outputs. It is compiled with numba
so that a run costs microseconds a week whether it is advanced alone (the Mesa host, the
dashboard) or in a batch (sweeps, sensitivity analysis, calibration). Random numbers come
from the run's own ``numpy.random.Generator``; numba draws from it exactly as numpy would.
:func:`start` sets a batch's week-0 state from its first draws, in one compiled pass.

The rules, in order each week (see ``docs/ODD.md``; the slow per-agent reference model in
``sim/reference.py`` states the same rules one agent at a time):

1. external pressure decays with its half-life and is raised by the week's events;
2. uniforms: one per member of staff (leaving) and two per partner (interface decisions),
   then one per member of staff if a training wave runs this week;
3. interfaces: partners scope an interface as they see working interfaces elsewhere, decide
   (also when the evaluation asks them) to build or to decline, wait, settle on a manual
   workaround as the wait erodes the interface's value, and go live when delivery finishes;
4. leavers are replaced by untrained newcomers; training waves train staff;
5. every member of staff at a live partner records each case with probability
   ``logistic(decision_gain * (motivation - cost))``; cases are Poisson, recorded and
   unrecorded counts independent Poissons (thinning), drawn by :func:`poisson`;
6. habit, attitude and partner buy-in learn from the week; cross-partner views accumulate.

The kernel reads a run's arrays by name from four records declared in ``sim/arrays.py``:
``static`` (the partnership), ``schedule`` (the run's weekly events), ``state`` (what
carries over from week to week) and ``out`` (what the run reports). Parameters come as
``p``, one record with a field per registry name.
"""

from __future__ import annotations

import math
from enum import IntEnum

import numpy as np
from numba import njit

from sim.arrays import OutputRecord, ScheduleRecord, StateRecord, StaticRecord


class InterfaceState(IntEnum):
    """Stage of a partner's automated link from its own system into the shared one.

    The one declaration of the stages: the kernel compares these codes, tables and figures
    name them (``sim.engine.INTERFACE_NAMES``) and scenario files spell them in lower case.
    """

    NONE = 0
    CONSIDERING = 1
    BUILDING = 2
    LIVE = 3
    WORKAROUND = 4
    DECLINED = 5


UNDECIDED: tuple[InterfaceState, ...] = (InterfaceState.NONE, InterfaceState.CONSIDERING)
"""Stages of a partner that has not decided whether to build an interface (DOMAIN.md P10)."""

ENGAGED: tuple[InterfaceState, ...] = (
    InterfaceState.CONSIDERING,
    InterfaceState.BUILDING,
    InterfaceState.WORKAROUND,
    InterfaceState.LIVE,
)
"""Stages of a partner with an interface in view: considering, building (with or without a
manual workaround) or live (DOMAIN.md P3)."""

PENDING: tuple[InterfaceState, ...] = (InterfaceState.BUILDING, InterfaceState.WORKAROUND)
"""Stages of a partner that decided to build and whose interface is not live yet (P11)."""

EVALUATION = 3
"""The Evaluation phase's index in ``sim.timeline.PHASES`` (the schedule's ``phase``)."""


@njit(cache=True)
def _clip01(x: float) -> float:
    return min(max(x, 0.0), 1.0)


INVERSION_BELOW = 10.0
"""Poisson means below which :func:`poisson` draws by inversion (one uniform a draw)."""


@njit(cache=True)
def poisson(rng, mean):  # type: ignore[no-untyped-def]
    """Draw a Poisson count with ``mean`` (>= 0) from ``rng``.

    Small means, which every member of staff's weekly cases have, are drawn by inversion:
    one uniform, then the cumulative probabilities summed until they pass it (on average
    ``mean + 1`` steps), about a third cheaper than numpy's sampler. A mean of 0 draws
    nothing; larger means use numpy's sampler.
    """
    if mean <= 0.0:
        return 0
    if mean >= INVERSION_BELOW:
        return rng.poisson(mean)
    u = rng.random()
    count = 0
    term = math.exp(-mean)
    total = term
    # A term that underflows ends the sum: the probability left beyond it is below 1e-300.
    while u > total and term > 0.0:
        count += 1
        term *= mean / count
        total += term
    return count


@njit(cache=True)
def _share(recorded: float, handled: float) -> float:
    return recorded / handled if handled > 0 else 0.0


@njit(cache=True)
def _partner_shares(recorded, handled, among, out):  # type: ignore[no-untyped-def]
    """``out[a]``: recording share of the partners in ``among`` other than ``a``."""
    rec_total = 0.0
    han_total = 0.0
    for j in range(recorded.shape[0]):
        if among[j]:
            rec_total += recorded[j]
            han_total += handled[j]
    for j in range(recorded.shape[0]):
        rec = rec_total - recorded[j] if among[j] else rec_total
        han = han_total - handled[j] if among[j] else han_total
        out[j] = _share(rec, han)


@njit(cache=True)
def start(p, staff_partner, prior_use, initial_buy_in, allowed, initial_interface, state):  # type: ignore[no-untyped-def]
    """Set the week-0 state of every run of a batch, in place, from its first draws.

    On entry each run's ``attitude`` row holds its standard normals and its ``risk`` row its
    uniforms. Attitude becomes ``attitude_mean + attitude_spread * normal`` within [0, 1] and
    legal risk ``0.5 + uniform``; staff at partners with prior use of the system start
    trained, with habit ``prior_use_habit`` (DOMAIN.md P9); partners start at their initial
    buy-in, and at their initial interface stage where an interface is allowed.

    Parameters
    ----------
    p : record array (B,)
        Each run's parameters.
    staff_partner : int array (N,)
        Each member of staff's partner.
    prior_use, initial_buy_in, allowed, initial_interface : arrays (A,)
        The partnership's starting point.
    state : tuple of arrays
        Every state array of the batch, (B, ...), in :class:`StateRecord` order (as
        :func:`advance` takes one run's); ``attitude``, ``risk``, ``habit``, ``trained``,
        ``buy_in`` and ``interface`` are filled in place.
    """
    state = StateRecord(*state)
    attitude, risk, habit, trained = state.attitude, state.risk, state.habit, state.trained
    buy_in, interface = state.buy_in, state.interface
    for b in range(attitude.shape[0]):
        spread, mean, prior_habit = p[b].attitude_spread, p[b].attitude_mean, p[b].prior_use_habit
        for i in range(attitude.shape[1]):
            attitude[b, i] = _clip01(attitude[b, i] * spread + mean)
            risk[b, i] += 0.5
            prior = prior_use[staff_partner[i]]
            habit[b, i] = prior_habit if prior else 0.0
            trained[b, i] = prior
        for j in range(buy_in.shape[1]):
            buy_in[b, j] = initial_buy_in[j]
            interface[b, j] = initial_interface[j] if allowed[j] else InterfaceState.NONE


@njit(cache=True)
def advance(rng, first_week, last_week, p, static, schedule, state, out):  # type: ignore[no-untyped-def]
    """Advance one run from week ``first_week`` to ``last_week`` (exclusive), in place.

    Parameters
    ----------
    rng : numpy.random.Generator
        The run's own stream.
    first_week, last_week : int
        The weeks to advance, as indices into the schedule.
    p : record
        The run's parameters, one field per registry name.
    static, schedule, state, out : tuple of arrays
        The run's arrays, each record as a plain tuple in its fields' order (numba types a
        plain tuple argument faster than a namedtuple), named again on entry:
        ``StaticRecord``, the partnership, fixed during the run; ``ScheduleRecord``, the
        run's schedule, (T, A) or (T,); ``StateRecord``, updated in place (``pressure`` has
        one element); ``OutputRecord``, whose weekly arrays receive one row per week advanced
        and whose per-staff arrays the last week's values.
    """
    static, schedule = StaticRecord(*static), ScheduleRecord(*schedule)
    state, out = StateRecord(*state), OutputRecord(*out)
    # Every array once, by name: reading a record's field inside a loop would count a
    # reference each time. Schedule arrays end in ``_s``, weekly outputs start with ``out_``.
    staff_partner, staff_count, staff_rate = static.staff_partner, static.staff, static.staff_rate
    involvement, bureaucracy = static.involvement, static.bureaucracy
    allowed, relative_load, priority = (
        static.interface_allowed,
        static.relative_load,
        static.priority,
    )
    live_s, project_active_s, phase_s = schedule.live, schedule.project_active, schedule.phase
    assurance_s, mandate_s, colocated_s = schedule.assurance, schedule.mandate, schedule.colocated
    training_s, turnover_shock_s = schedule.training, schedule.turnover_shock
    forced_s, functionality_s = schedule.interface_forced, schedule.functionality
    impulse_s = schedule.pressure_impulse
    attitude, habit, risk = state.attitude, state.habit, state.risk
    trained, tenure, buy_in = state.trained, state.tenure, state.buy_in
    interface, build_left, pressure = state.interface, state.build_left, state.pressure
    interfaces_seen, weeks_waiting = state.interfaces_seen, state.weeks_waiting
    handled, recorded, views = state.handled, state.recorded, state.views
    share, partner_share = state.share, state.partner_share
    out_handled, out_recorded, out_buy_in = out.handled, out.recorded, out.buy_in
    out_interface, out_attitude, out_pressure = out.interface, out.attitude, out.pressure
    staff_handled, staff_recorded = out.staff_handled, out.staff_recorded
    probability = out.probability
    n = staff_partner.shape[0]
    a = staff_count.shape[0]
    u = np.empty(n + 2 * a)
    u_train = np.empty(n)
    leavers = np.empty(n, dtype=np.int64)
    partner_motivation = np.empty(a)
    partner_cost = np.empty(a)
    legal = np.empty(a)
    stage = np.empty(a, dtype=np.int64)
    rec_now = np.empty(a)
    han_now = np.empty(a)
    own_now = np.empty(a)
    partners_now = np.empty(a)
    rec_seen = np.empty(a)
    # Staff sit contiguously by partner (``sim.arrays.Partnership``): partner j's are
    # ``first[j]`` to ``first[j + 1]``, so the rules for staff go partner by partner and read
    # each partner's terms once, not once per member of staff.
    first = np.zeros(a + 1, dtype=np.int64)
    for j in range(a):
        first[j + 1] = first[j] + staff_count[j]
    # The parameters the loops over staff read, once: a record's field is a load from memory
    # that the compiler cannot keep in a register across the loops' stores.
    rate_scale, turnover_rate = p.caseload_scale, p.turnover_rate
    attitude_weight, habit_weight, training_relief = (
        p.attitude_weight,
        p.habit_weight,
        p.training_relief,
    )
    gain, habit_rate, attitude_rate = (
        p.decision_gain,
        p.habit_learning_rate,
        p.attitude_learning_rate,
    )
    decay = 0.5 ** (1.0 / p.pressure_half_life)
    # Each member of staff's weekly cases, scaled once for the run.
    rate = np.empty(n)
    for i in range(n):
        rate[i] = staff_rate[i] * rate_scale
    # A partner whose interface a scenario event makes live decides nothing itself. Read from
    # this run's whole schedule, so that a run never depends on the batch it is in.
    scripted = np.zeros(a, dtype=np.bool_)
    for t in range(forced_s.shape[0]):
        for j in range(a):
            if forced_s[t, j]:
                scripted[j] = True

    for t in range(first_week, last_week):
        row = t - first_week
        live = live_s[t]

        # 1. External pressure.
        pressure[0] = _clip01(pressure[0] * decay + impulse_s[t])

        # 2. Uniforms, in a fixed order.
        for i in range(n + 2 * a):
            u[i] = rng.random()
        any_training = False
        for j in range(a):
            if training_s[t, j] > 0.0:
                any_training = True
        if any_training:
            for i in range(n):
                u_train[i] = rng.random()

        # 3. Interfaces. The partnership's signals are read before anyone moves: working
        # interfaces seen (P12) and the longest wait of a partner still waiting (P8).
        seen_total = 0.0
        seen_wait = 0.0
        for j in range(a):
            if interface[j] == InterfaceState.LIVE and live[j]:
                seen_total += share[j]
            if interface[j] == InterfaceState.BUILDING or interface[j] == InterfaceState.WORKAROUND:
                seen_wait = max(seen_wait, float(weeks_waiting[j]))
        evaluating = phase_s[t] == EVALUATION
        for j in range(a):
            current = interface[j]
            stage[j] = current
            u_hazard = u[n + j]
            if live[j]:
                own = share[j] if current == InterfaceState.LIVE else 0.0
                interfaces_seen[j] += share[j] * (seen_total - own)
            # Control of funds or of the supplier contract gets a partner served sooner (P15).
            sooner = 1.0 - p.control_priority if priority[j] else 1.0
            can_act = allowed[j] and live[j]
            # The evaluation puts the question to every live partner still without a view.
            asked = current == InterfaceState.NONE and can_act and evaluating
            if scripted[j]:
                pass
            elif current == InterfaceState.NONE and can_act and not asked:
                hazard = p.interface_consider_rate + p.interface_success_pull * interfaces_seen[j]
                if u_hazard < hazard:
                    stage[j] = InterfaceState.CONSIDERING
            elif current == InterfaceState.CONSIDERING or asked:
                hazard = p.interface_success_pull * interfaces_seen[j]
                if evaluating:
                    hazard += p.evaluation_decide_rate
                if u_hazard < hazard:
                    worth = buy_in[j] * 0.5 ** (sooner * seen_wait / p.interface_value_half_life)
                    if worth >= p.interface_buy_in_threshold:
                        stage[j] = InterfaceState.BUILDING
                        weeks = np.rint((0.5 + u[n + a + j]) * p.interface_build_weeks * sooner)
                        build_left[j] = max(int(weeks), 1)
                        weeks_waiting[j] = 0
                    else:
                        stage[j] = InterfaceState.DECLINED
            elif current == InterfaceState.BUILDING or current == InterfaceState.WORKAROUND:
                build_left[j] -= 1
                weeks_waiting[j] += 1
                if build_left[j] <= 0:
                    stage[j] = InterfaceState.LIVE
                elif current == InterfaceState.BUILDING:
                    eroded = 1.0 - 0.5 ** (weeks_waiting[j] / p.interface_value_half_life)
                    if u_hazard < p.workaround_rate * eroded:
                        stage[j] = InterfaceState.WORKAROUND
            if allowed[j] and forced_s[t, j]:
                stage[j] = InterfaceState.LIVE
        for j in range(a):
            interface[j] = stage[j]

        # 4. Turnover and training. A leaver's normal (attitude) and uniform (risk) are drawn
        # after every member of staff's leaving is known: all the normals, then the uniforms,
        # leavers in staff order.
        left = 0
        for j in range(a):
            leave_chance = turnover_rate + turnover_shock_s[t, j]
            train_chance = training_s[t, j]
            for i in range(first[j], first[j + 1]):
                if u[i] < leave_chance:
                    leavers[left] = i
                    left += 1
                    habit[i] = 0.0
                    tenure[i] = 0
                    trained[i] = False
                else:
                    tenure[i] += 1
                if any_training and u_train[i] < train_chance:
                    trained[i] = True
        for k in range(left):
            normal = rng.standard_normal()
            attitude[leavers[k]] = _clip01(p.attitude_mean + p.attitude_spread * normal)
        for k in range(left):
            risk[leavers[k]] = 0.5 + rng.random()

        # 5. The decision: motivation minus cost (partner terms once, then per staff).
        functionality = p.functionality_cost * functionality_s[t]
        for j in range(a):
            # Co-located staff meet partner staff: trust lowers the legal risk they perceive,
            # and partners who record chase them face to face (DOMAIN.md P7, P13).
            contact = 1.0 if colocated_s[t, j] else 0.0
            assurance = _clip01(assurance_s[t, j] + p.bureaucracy_assurance * bureaucracy[j])
            legal[j] = (
                p.legal_risk
                * (1.0 - p.assurance_relief * assurance)
                * (1.0 - p.colocation_trust * contact)
            )
            partner_motivation[j] = (
                p.baseline_motivation
                + p.buy_in_weight * buy_in[j]
                + p.norm_weight * share[j]
                + (p.reciprocity_weight + p.colocation_chasing * contact) * partner_share[j]
                + p.pressure_weight * pressure[0]
                + p.mandate_weight * mandate_s[t, j]
            )
            if interface[j] == InterfaceState.LIVE:
                keying = 0.0
            elif interface[j] == InterfaceState.WORKAROUND:
                keying = p.double_keying_cost * (1.0 - p.workaround_relief)
            else:
                keying = p.double_keying_cost
            partner_cost[j] = (
                keying
                + functionality
                + p.bureaucracy_burden * bureaucracy[j]
                + p.workload_cost * relative_load[j]
            )
        # Each partner's staff: their chances, then their recorded cases; after every recorded
        # count, the unrecorded ones. Poisson thinning gives independent counts. The chances
        # have a loop of their own: without the sampler's branches between them, the
        # exponentials overlap in the processor. Habit learns (step 6) in the loop that
        # completes each member of staff's week, while their counts are at hand.
        for j in range(a):
            if not live[j]:
                for i in range(first[j], first[j + 1]):
                    probability[i] = 0.0
                    staff_recorded[i] = 0
                continue
            motivation, cost, risk_weight = partner_motivation[j], partner_cost[j], legal[j]
            for i in range(first[j], first[j + 1]):
                balance = (
                    motivation
                    + attitude_weight * attitude[i]
                    + habit_weight * habit[i]
                    - cost
                    - risk_weight * risk[i]
                    + (training_relief if trained[i] else 0.0)
                )
                probability[i] = 1.0 / (1.0 + math.exp(-gain * balance))
            for i in range(first[j], first[j + 1]):
                staff_recorded[i] = poisson(rng, rate[i] * probability[i])
        for j in range(a):
            rec_total = 0.0
            han_total = 0.0
            learns = live[j]
            for i in range(first[j], first[j + 1]):
                unrecorded = poisson(rng, rate[i] * (1.0 - probability[i]))
                staff_handled[i] = staff_recorded[i] + unrecorded
                rec_total += staff_recorded[i]
                han_total += staff_handled[i]
                if learns and staff_handled[i] > 0:
                    own_staff = staff_recorded[i] / staff_handled[i]
                    habit[i] += habit_rate * (own_staff - habit[i])
            rec_now[j] = rec_total
            han_now[j] = han_total
            own_now[j] = _share(rec_total, han_total)
        _partner_shares(rec_now, han_now, live, partners_now)

        # 6. Learning: habit from own use (above), attitude from partners' records seen; the
        # week's mean attitude per partner, summed in staff order as each one learns.
        for j in range(a):
            total = 0.0
            if live[j]:
                seen = partners_now[j]
                for i in range(first[j], first[j + 1]):
                    attitude[i] += attitude_rate * (seen - attitude[i])
                    total += attitude[i]
            else:
                for i in range(first[j], first[j + 1]):
                    total += attitude[i]
            out_attitude[row, j] = total / staff_count[j]

        # Partner buy-in: toward involvement and benefit once live; eroded while waiting.
        w = p.involvement_weight
        for j in range(a):
            if live[j]:
                target = w * involvement[j] + (1.0 - w) * 0.5 * (partners_now[j] + own_now[j])
                buy_in[j] = _clip01(buy_in[j] + p.buy_in_adjustment_rate * (target - buy_in[j]))
            elif project_active_s[t]:
                buy_in[j] = _clip01(buy_in[j] - p.delay_erosion)

        # Cross-partner views: i looks at j's records in proportion to its own use.
        # A partner not live adds nothing (0.0), so the rows run without a test per pair.
        for j in range(a):
            rec_seen[j] = rec_now[j] if live[j] else 0.0
        for i in range(a):
            if not live[i]:
                continue
            own = own_now[i]
            for j in range(i):
                views[i, j] += own * rec_seen[j]
            for j in range(i + 1, a):
                views[i, j] += own * rec_seen[j]

        for j in range(a):
            handled[j] = han_now[j]
            recorded[j] = rec_now[j]
            share[j] = own_now[j]
            partner_share[j] = partners_now[j]
            out_handled[row, j] = han_now[j]
            out_recorded[row, j] = rec_now[j]
            out_buy_in[row, j] = buy_in[j]
            out_interface[row, j] = interface[j]
        out_pressure[row] = pressure[0]
