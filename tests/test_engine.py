"""The array engine: determinism, batch independence, invariants and the rules' directions."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toy import eventful_schedule, toy_partnership, toy_setup

from sim.engine import (
    InterfaceState,
    Schedule,
    decision_terms,
    generators,
    initial_state,
    prepare,
    simulate,
    stack_parameters,
)
from sim.params import PARAMETERS, defaults


def _simulate(setup, seeds, parameters=None):
    params = stack_parameters([parameters or setup.parameters] * len(seeds))
    return simulate(setup.partnership, setup.schedule, params, seeds)


def _arrays(trajectory):
    return [
        trajectory.handled,
        trajectory.recorded,
        trajectory.buy_in,
        trajectory.interface,
        trajectory.attitude,
        trajectory.pressure,
        trajectory.views,
    ]


def test_same_seed_same_result_bit_for_bit():
    setup = toy_setup()
    first, second = _simulate(setup, [11, 12]), _simulate(setup, [11, 12])
    for a, b in zip(_arrays(first), _arrays(second), strict=True):
        assert np.array_equal(a, b)


def test_different_seeds_differ():
    setup = toy_setup()
    result = _simulate(setup, [1, 2])
    assert not np.array_equal(result.recorded[0], result.recorded[1])


def test_a_run_does_not_depend_on_its_batch():
    setup = toy_setup()
    seeds = [np.random.SeedSequence(5, spawn_key=(0, r)) for r in range(4)]
    varied = [dict(setup.parameters, double_keying_cost=c) for c in (0.3, 1.0, 2.0, 3.0)]
    together = simulate(setup.partnership, setup.schedule, stack_parameters(varied), seeds)
    for b in range(4):
        alone = simulate(
            setup.partnership, setup.schedule, stack_parameters([varied[b]]), [seeds[b]]
        )
        for x, y in zip(_arrays(together.select([b])), _arrays(alone), strict=True):
            assert np.array_equal(x, y)


def test_a_batched_schedule_gives_each_run_its_own_timeline():
    setup = toy_setup(n_weeks=40)
    late = eventful_schedule(40, setup.partnership.n_partners)
    late.live[:30] = False
    stacked = Schedule(
        *[
            np.stack([getattr(setup.schedule, f), getattr(late, f)])
            for f in Schedule.__dataclass_fields__
        ]
    )
    both = simulate(setup.partnership, stacked, stack_parameters([setup.parameters] * 2), [3, 3])
    early_only = _simulate(setup, [3])
    assert np.array_equal(both.recorded[0], early_only.recorded[0])
    assert both.recorded[1, :30].sum() == 0


def test_schedules_given_per_run_equal_a_batched_schedule_bit_for_bit():
    setup = toy_setup(n_weeks=40)
    late = eventful_schedule(40, setup.partnership.n_partners)
    late.live[:30] = False
    timelines = [late, setup.schedule, late]
    stacked = Schedule(
        *[np.stack([getattr(t, f) for t in timelines]) for f in Schedule.__dataclass_fields__]
    )
    params = stack_parameters([setup.parameters] * 3)
    each = simulate(setup.partnership, timelines, params, [4, 5, 6])
    batched = simulate(setup.partnership, stacked, params, [4, 5, 6])
    for x, y in zip(_all_arrays(each), _all_arrays(batched), strict=True):
        assert np.array_equal(x, y, equal_nan=True)
    alone = simulate(setup.partnership, late, stack_parameters([setup.parameters]), [6])
    assert np.array_equal(each.select([2]).recorded, alone.recorded)
    # Negative control: the run on the early timeline records before week 30.
    assert each.recorded[1, :30].sum() > 0 and each.recorded[0, :30].sum() == 0


def _all_arrays(trajectory):
    return [*_arrays(trajectory), trajectory.latency_days, trajectory.saved_hours]


def test_runs_with_their_own_partnerships_share_a_batch_bit_for_bit():
    setup = toy_setup(n_weeks=40)
    small, large = toy_partnership((3, 2, 4, 2, 5)), toy_partnership((40, 9, 8, 6, 20))
    partnerships = [large, setup.partnership, small, large]
    seeds = [np.random.SeedSequence(9, spawn_key=(0, r)) for r in range(4)]
    params = stack_parameters([setup.parameters] * 4)
    together = simulate(partnerships, setup.schedule, params, seeds)
    for b, partnership in enumerate(partnerships):
        one = stack_parameters([setup.parameters])
        alone = simulate(partnership, setup.schedule, one, [seeds[b]])
        for x, y in zip(_all_arrays(together.select([b])), _all_arrays(alone), strict=True):
            # Latency is NaN in a week without cases, alone and in the batch alike.
            assert np.array_equal(x, y, equal_nan=True)
    # Negative control: another partnership is another run.
    moved = simulate(small, setup.schedule, stack_parameters([setup.parameters]), [seeds[0]])
    assert not np.array_equal(together.select([0]).handled, moved.handled)


def test_bad_batch_inputs_are_rejected():
    setup = toy_setup(n_weeks=10)
    params = stack_parameters([setup.parameters] * 2)
    params["decision_gain"] = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="one shape"):
        prepare(setup.partnership, setup.schedule, params)
    with pytest.raises(ValueError, match="missing"):
        stack_parameters([{"decision_gain": 1.0}])
    two = stack_parameters([setup.parameters] * 2)
    with pytest.raises(ValueError, match="partnerships for a batch"):
        simulate([setup.partnership], setup.schedule, two, [1, 2])
    with pytest.raises(ValueError, match="same partners"):
        simulate([setup.partnership, toy_partnership((3, 2))], setup.schedule, two, [1, 2])
    with pytest.raises(ValueError, match="schedules for a batch"):
        simulate(setup.partnership, [setup.schedule], two, [1, 2])
    short = toy_setup(n_weeks=9).schedule
    with pytest.raises(ValueError, match="same number of weeks"):
        simulate(setup.partnership, [setup.schedule, short], two, [1, 2])
    with pytest.raises(ValueError, match="parameters for 2 runs, seeds for 3"):
        simulate(setup.partnership, setup.schedule, two, [1, 2, 3])


unit_interval = st.floats(0.0, 1.0)

_S = InterfaceState
_FORWARD = {(stage, stage) for stage in _S} | {
    (_S.NONE, _S.CONSIDERING),
    (_S.NONE, _S.BUILDING),  # asked at the evaluation, decided at once
    (_S.NONE, _S.DECLINED),
    (_S.CONSIDERING, _S.BUILDING),
    (_S.CONSIDERING, _S.DECLINED),
    (_S.BUILDING, _S.WORKAROUND),
    (_S.BUILDING, _S.LIVE),
    (_S.WORKAROUND, _S.LIVE),
    *((stage, _S.LIVE) for stage in _S),  # a scenario event makes an interface live
}
"""Week-to-week moves of a partner's interface: it stays, or moves on (a workaround's code is
above the live code, so the codes alone do not order the stages)."""


@st.composite
def parameter_sets(draw):
    return {name: draw(st.floats(p.low, p.high)) for name, p in PARAMETERS.items()}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parameters=parameter_sets(),
    staff=st.lists(st.integers(1, 12), min_size=2, max_size=6),
    seed=st.integers(0, 2**32 - 1),
)
def test_invariants_hold_for_any_valid_parameters(parameters, staff, seed):
    partnership = toy_partnership(tuple(staff) + (1,) * max(0, 5 - len(staff)))
    schedule = eventful_schedule(30, partnership.n_partners)
    out = simulate(partnership, schedule, stack_parameters([parameters]), [seed])
    assert (out.recorded >= 0).all() and (out.recorded <= out.handled).all()
    for values in (out.share, out.partnership_share, out.buy_in, out.attitude, out.pressure):
        assert np.isfinite(values).all()
        assert (values >= 0).all() and (values <= 1).all()
    assert np.isfinite(out.views).all() and (out.views >= 0).all()
    moves = {
        (int(a), int(b))
        for a, b in zip(out.interface[0, :-1].ravel(), out.interface[0, 1:].ravel(), strict=True)
    }
    assert moves <= _FORWARD, f"an interface never goes backwards: {moves - _FORWARD}"
    assert (out.recorded[:, ~schedule.live] == 0).all(), "nothing is recorded before go-live"


def _balance(setup, **changes):
    parameters = dict(setup.parameters, **changes)
    batch = prepare(setup.partnership, setup.schedule, stack_parameters([parameters]))
    state = initial_state(batch, generators([0]))
    terms = decision_terms(state, batch, state.interface, state.pressure)
    return terms, terms.balance(setup.partnership.staff_partner)[0]


def test_bureaucracy_can_help_or_hinder():
    """DOMAIN.md finding 1: burden raises cost, assurance lowers perceived legal risk."""
    setup = toy_setup()
    p = setup.partnership
    more = type(setup)(
        type(p)(
            p.names,
            p.kinds,
            p.staff,
            p.caseload,
            p.involvement,
            p.bureaucracy + 0.2,
            p.initial_buy_in,
            p.initial_interface,
            p.interface_allowed,
            p.prior_use,
            p.priority,
        ),
        setup.schedule,
    )
    risky = {
        "legal_risk": 2.0,
        "assurance_relief": 1.0,
        "bureaucracy_assurance": 1.0,
        "bureaucracy_burden": 0.2,
    }
    safe = {"legal_risk": 0.0, "bureaucracy_burden": 1.5}
    assert (_balance(more, **risky)[1] > _balance(setup, **risky)[1]).all()
    assert (_balance(more, **safe)[1] < _balance(setup, **safe)[1]).all()


def test_decision_terms_cover_motivation_and_cost_from_the_design():
    terms, balance = _balance(toy_setup())
    assert set(terms.partner_motivation) == {
        "baseline",
        "buy_in",
        "norm",
        "reciprocity",
        "chasing",
        "pressure",
        "mandate",
    }
    assert set(terms.partner_cost) == {
        "double_keying",
        "functionality",
        "bureaucratic_burden",
        "workload",
    }
    assert set(terms.staff_motivation) == {"attitude", "habit"}
    assert set(terms.staff_cost) == {"legal_risk", "training"}
    assert balance.shape == (toy_setup().partnership.n_staff,)


def test_a_live_interface_raises_recording():
    """DOMAIN.md P2 and finding 3: an interface removes double keying, the cost falls and
    the partner records more. Two identical partners; only one has a live interface."""
    from sim.engine import Partnership

    twins = Partnership(
        names=("with_interface", "without"),
        kinds=("district", "district"),
        staff=np.array([10, 10]),
        caseload=np.array([15.0, 15.0]),
        involvement=np.array([0.5, 0.5]),
        bureaucracy=np.array([0.4, 0.4]),
        initial_buy_in=np.array([0.5, 0.5]),
        initial_interface=np.array([InterfaceState.LIVE, InterfaceState.NONE]),
        interface_allowed=np.array([True, True]),
        prior_use=np.array([False, False]),
        priority=np.array([False, False]),
    )
    params = dict(defaults(), interface_consider_rate=0.0, interface_success_pull=0.0)
    schedule = Schedule.quiet(104, 2)
    schedule.training[0] = 1.0  # both trained at go-live, both under a signed agreement
    schedule.assurance[:] = 0.5
    out = simulate(twins, schedule, stack_parameters([params] * 20), range(20))
    share = out.recorded[:, 52:].sum(axis=1) / out.handled[:, 52:].sum(axis=1)
    assert (out.interface[:, :, 1] == InterfaceState.NONE).all()
    assert share[:, 0].mean() > 0.85
    assert (share[:, 0] > share[:, 1]).all()


def test_a_forced_interface_goes_live_that_week():
    out = _simulate(toy_setup(n_weeks=104), list(range(5)))
    forced_week, forced_partner = 52, 1
    assert (out.interface[:, forced_week:, forced_partner] == InterfaceState.LIVE).all()


def test_a_partner_not_allowed_an_interface_never_gets_one():
    setup = toy_setup(n_weeks=104)
    p = setup.partnership
    blocked = type(p)(
        p.names,
        p.kinds,
        p.staff,
        p.caseload,
        p.involvement,
        p.bureaucracy,
        p.initial_buy_in,
        p.initial_interface,
        np.zeros(5, dtype=bool),
        p.prior_use,
        p.priority,
    )
    params = dict(defaults(), interface_consider_rate=0.05, interface_success_pull=0.005)
    out = simulate(blocked, setup.schedule, stack_parameters([params] * 5), range(5))
    assert (out.interface == InterfaceState.NONE).all()


def test_summary_metrics_one_row_per_run_with_consistent_values():
    from scipy.stats import spearmanr

    from sim.metrics import slug, summary_metrics

    setup = toy_setup(n_weeks=60)
    out = _simulate(setup, [1, 2, 3])
    frame = summary_metrics(out)
    assert len(frame) == 3
    assert slug("Hinckley & Bosworth") == "hinckley_bosworth"
    final = out.recorded[:, -52:].sum(axis=(1, 2)) / out.handled[:, -52:].sum(axis=(1, 2))
    assert np.allclose(frame["share_final_year"], final)
    share = out.recorded[:, -52:].sum(axis=1) / out.handled[:, -52:].sum(axis=1)
    for b in range(3):
        rho = spearmanr(out.buy_in[b, -1], share[b]).statistic
        assert frame["buy_in_share_correlation"][b] == pytest.approx(rho)
    assert np.allclose(frame["share_final_year.partner_2"], share[:, 2])


def test_decision_terms_explain_the_compiled_decision():
    """The term-by-term decision (used to explain a partner's recording) gives the same
    probability as the compiled kernel. A schedule with no events, turnover or interface
    changes keeps the state the kernel decides on equal to the state given."""
    from scipy.special import expit

    from sim.engine import step

    setup = toy_setup(n_weeks=3)
    quiet = Schedule.quiet(3, setup.partnership.n_partners)
    params = dict(
        setup.parameters,
        turnover_rate=0.0,
        interface_consider_rate=0.0,
        interface_success_pull=0.0,
    )
    batch = prepare(setup.partnership, quiet, stack_parameters([params, params]))
    rngs = generators([1, 2])
    state, _ = step(initial_state(batch, rngs), batch, rngs)  # week 0: shares now non-zero
    terms = decision_terms(state, batch, state.interface, state.pressure)
    expected = expit(params["decision_gain"] * terms.balance(setup.partnership.staff_partner))
    _, out = step(state, batch, rngs)
    assert np.allclose(out.probability, expected, rtol=1e-12, atol=1e-15)
    assert state.share.any() and terms.partner_motivation["norm"].any()


def test_average_ranks_match_scipy_with_ties():
    from scipy.stats import rankdata

    from sim.metrics import average_ranks

    values = np.array([[3.0, 1.0, 3.0, 2.0, 3.0], [0.5, 0.5, 0.1, 0.9, 0.9]])
    assert np.array_equal(average_ranks(values), rankdata(values, axis=1))


def _ranks_row_by_row(values):
    """Average ranks as ``numpy.unique`` counts ties, one row at a time (the reference)."""
    ranks = np.empty(values.shape)
    for row, x in enumerate(values):
        _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
        ranks[row] = (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]
    return ranks


def test_average_ranks_equal_row_by_row_ranking_bit_for_bit():
    from sim.metrics import average_ranks

    rng = np.random.default_rng(7)
    values = rng.integers(0, 4, size=(300, 9)).astype(float) / 4
    values[rng.random(values.shape) < 0.1] = np.nan
    values[rng.random(values.shape) < 0.05] = -0.0
    values[::7] = rng.random((len(values[::7]), 9))  # rows without ties
    expected = _ranks_row_by_row(values)
    assert average_ranks(values).tobytes() == expected.tobytes()
    # Negative control: ranks that ignore ties differ wherever a row has a tie.
    plain = np.argsort(np.argsort(values, axis=1, kind="stable"), axis=1) + 1.0
    assert plain.tobytes() != expected.tobytes()
    assert average_ranks(np.zeros((3, 0))).shape == (3, 0)
