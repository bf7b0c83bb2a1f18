"""What sharing buys, computed in one compiled pass, equals its formulas written in numpy.

The numpy statement below is the specification (the benefit outputs as ``sim/benefit.py``
computed them before the pass was compiled): the pass must give the same values to the bit,
on the replay (a shared schedule), on runs with a schedule of their own, with the constants
as one value or one per run. A negative control shows the comparison sees a changed constant.
"""

from collections.abc import Mapping

import numpy as np
import pytest

from sim.arrays import Benefit
from sim.benefit import CONSTANTS, benefit
from sim.engine import simulate, stack_parameters
from sim.kernel import InterfaceState
from sim.scenarios import Scenario


def _column(params: Mapping[str, object], name: str) -> np.ndarray:
    return np.asarray(params[name], dtype=float).reshape(-1, 1, 1)


def numpy_benefit(handled, recorded, interface, live, colocated, params) -> Benefit:
    """The benefit formulas, whole arrays at a time."""
    runs = handled.shape[0]
    live = np.broadcast_to(live, (runs, *live.shape[-2:]))
    contact = np.broadcast_to(colocated, (runs, *colocated.shape[-2:]))
    rec, han = np.where(live, recorded, 0), np.where(live, handled, 0)
    others = (rec.sum(axis=2, keepdims=True) - rec) / np.maximum(
        han.sum(axis=2, keepdims=True) - han, 1
    )
    unrecorded = handled - recorded
    chased = unrecorded * np.where(live, np.maximum(contact, others), 0.0)
    days = (
        recorded * _column(params, "system_latency_days")
        + chased * _column(params, "chase_latency_days")
        + (unrecorded - chased) * _column(params, "pre_system_latency_days")
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        latency = np.where(handled > 0, days / handled, np.nan)
    keying = np.where(
        interface == InterfaceState.LIVE,
        0.0,
        np.where(
            interface == InterfaceState.WORKAROUND,
            _column(params, "workaround_minutes"),
            _column(params, "double_keying_minutes"),
        ),
    )
    email = _column(params, "email_minutes")
    minutes = recorded * keying + unrecorded * email + chased * _column(params, "chase_minutes")
    return Benefit(
        latency_days=latency,
        sharing_hours=minutes / 60.0,
        saved_hours=(handled * email - minutes) / 60.0,
    )


def _same(a: Benefit, b: Benefit) -> bool:
    return all(
        np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True)
        for name in ("latency_days", "sharing_hours", "saved_hours")
    )


@pytest.fixture(scope="module")
def replay():
    compiled = Scenario.load("sentinel_replay").compile()
    params = stack_parameters([compiled.parameters] * 4)
    # Constants that differ between runs, so a run reading another's would show.
    for offset, name in enumerate(CONSTANTS):
        params[name] = params[name] * (1.0 + 0.1 * offset * np.arange(4))
    trajectory = simulate(compiled.partnership, compiled.schedule, params, range(4))
    return compiled, params, trajectory


def test_the_compiled_pass_gives_the_numpy_formulas_to_the_bit(replay):
    compiled, params, t = replay
    inputs = (t.handled, t.recorded, t.interface, compiled.schedule.live)
    inputs += (compiled.schedule.colocated,)
    assert _same(benefit(*inputs, params), numpy_benefit(*inputs, params))
    assert np.isnan(t.latency_days).any() and (t.interface == InterfaceState.WORKAROUND).any()
    # Negative control: another constant for one run is seen.
    other = dict(params, chase_minutes=params["chase_minutes"] * np.array([1.0, 1.0, 1.0, 2.0]))
    assert not _same(benefit(*inputs, other), numpy_benefit(*inputs, params))


def test_the_pass_reads_each_runs_own_schedule_and_one_value_for_all_runs(replay):
    compiled, params, t = replay
    schedule = compiled.schedule
    live = np.stack([schedule.live, np.roll(schedule.live, 20, axis=0)] * 2)
    colocated = np.stack([schedule.colocated, ~schedule.colocated] * 2)
    single = {name: float(params[name][0]) for name in CONSTANTS}
    inputs = (t.handled, t.recorded, t.interface, live, colocated)
    assert _same(benefit(*inputs, single), numpy_benefit(*inputs, single))


def test_a_run_of_no_weeks_has_no_benefit_rows(replay):
    compiled, params, t = replay
    gained = benefit(
        t.handled[:, :0],
        t.recorded[:, :0],
        t.interface[:, :0],
        compiled.schedule.live[:0],
        compiled.schedule.colocated[:0],
        params,
    )
    assert gained.latency_days.shape == (4, 0, compiled.partnership.n_partners)


def test_a_stacked_batch_gives_its_constants_from_its_kept_table(replay):
    compiled, changed, t = replay
    runs = [
        {**compiled.parameters, **{n: float(changed[n][b]) for n in CONSTANTS}} for b in range(4)
    ]
    stacked = stack_parameters(runs)
    assert stacked.rows is not None, "the batch keeps its table, so the fast path is taken"
    inputs = (t.handled, t.recorded, t.interface, compiled.schedule.live)
    inputs += (compiled.schedule.colocated,)
    assert _same(benefit(*inputs, stacked), numpy_benefit(*inputs, changed))
    assert _same(benefit(*inputs, stacked), benefit(*inputs, dict(stacked)))
