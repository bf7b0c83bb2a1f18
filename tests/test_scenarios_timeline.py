"""Dated events to weekly schedule arrays: what each event type does (sim/timeline.py)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from sim.timeline import TimedEvent, build_schedule, project_start_week, week_of, week_start

T, A = 20, 3


def test_weeks_and_dates() -> None:
    start = date(2011, 4, 4)
    assert week_of(start, start) == 0
    assert week_of(date(2011, 4, 10), start) == 0
    assert week_of(date(2011, 4, 11), start) == 1
    assert week_of(date(2011, 4, 3), start) == -1
    assert week_start(start, 156) == date(2014, 3, 31)


def test_no_events_gives_a_quiet_schedule() -> None:
    schedule = build_schedule(T, A, [])
    assert not schedule.live.any() and schedule.project_active.all()
    assert (schedule.functionality == 1).all() and not schedule.pressure_impulse.any()


def test_go_live_colocation_interface() -> None:
    schedule = build_schedule(
        T,
        A,
        [
            TimedEvent(5, "go_live", (1,)),
            TimedEvent(7, "colocation", (0, 2)),
            TimedEvent(9, "interface_live", (2,)),
        ],
    )
    assert schedule.live[:, 1].tolist() == [False] * 5 + [True] * 15
    assert not schedule.live[:, [0, 2]].any()
    assert schedule.colocated[7:, [0, 2]].all() and not schedule.colocated[:7].any()
    assert schedule.interface_forced.sum() == 1 and schedule.interface_forced[9, 2]


def test_training_and_restructure_combine_within_a_week() -> None:
    schedule = build_schedule(
        T,
        A,
        [
            TimedEvent(3, "training", (0,), 0.5),
            TimedEvent(3, "training", (0, 1), 0.5),
            TimedEvent(4, "restructure", (2,), 0.1),
        ],
    )
    assert schedule.training[3].tolist() == [0.75, 0.5, 0.0]
    assert schedule.training.sum() == pytest.approx(1.25)
    assert schedule.turnover_shock[4, 2] == pytest.approx(0.1)
    assert schedule.turnover_shock.sum() == pytest.approx(0.1)


def test_agreement_raises_assurance_and_never_lowers_it() -> None:
    schedule = build_schedule(
        T,
        A,
        [
            TimedEvent(4, "agreement", (0, 1, 2), 0.5),
            TimedEvent(8, "agreement", (1,), 0.2),
        ],
        initial_assurance=[0.1, 0.6, 0.0],
    )
    assert schedule.assurance[0].tolist() == [0.1, 0.6, 0.0]
    assert schedule.assurance[-1].tolist() == [0.5, 0.6, 0.5]


def test_mandate_is_replaced_by_a_later_one() -> None:
    schedule = build_schedule(
        T,
        A,
        [
            TimedEvent(10, "mandate", (0,), 0.2),
            TimedEvent(2, "mandate", (0,), 0.9),
        ],
    )
    assert schedule.mandate[:2, 0].sum() == 0
    assert (schedule.mandate[2:10, 0] == 0.9).all() and (schedule.mandate[10:, 0] == 0.2).all()


def test_upgrades_compound_and_pressure_adds() -> None:
    schedule = build_schedule(
        T,
        A,
        [
            TimedEvent(5, "functionality_upgrade", (), 0.5),
            TimedEvent(10, "functionality_upgrade", (), 0.5),
            TimedEvent(0, "pressure", (), 1.0),
            TimedEvent(0, "pressure", (), 0.5),
        ],
    )
    assert schedule.functionality[[0, 5, 10]].tolist() == [1.0, 0.5, 0.25]
    assert schedule.pressure_impulse[0] == 1.5 and schedule.pressure_impulse[1:].sum() == 0


def test_project_starts_with_implementation() -> None:
    events = [
        TimedEvent(0, "phase", phase="briefing_scoping"),
        TimedEvent(6, "phase", phase="implementation"),
    ]
    assert project_start_week(events) == 6
    schedule = build_schedule(T, A, events)
    assert not schedule.project_active[:6].any() and schedule.project_active[6:].all()


def test_events_after_the_run_do_nothing() -> None:
    schedule = build_schedule(
        T, A, [TimedEvent(T, "go_live", (0,)), TimedEvent(T + 5, "pressure", (), 1.0)]
    )
    assert not schedule.live.any() and not schedule.pressure_impulse.any()


@pytest.mark.parametrize(
    "event",
    [
        TimedEvent(-1, "go_live", (0,)),
        TimedEvent(1, "go_live", ()),
        TimedEvent(1, "go_live", (A,)),
        TimedEvent(1, "pressure", (0,), 1.0),
        TimedEvent(1, "training", (0,), 1.5),
        TimedEvent(1, "functionality_upgrade", (), -0.5),
        TimedEvent(1, "pressure", (), float("nan")),
        TimedEvent(1, "phase"),
    ],
)
def test_bad_events_are_refused(event: TimedEvent) -> None:
    with pytest.raises(ValueError):
        build_schedule(T, A, [event])


def test_bad_initial_assurance_is_refused() -> None:
    with pytest.raises(ValueError):
        build_schedule(T, A, [], initial_assurance=np.ones(A + 1))
    with pytest.raises(ValueError):
        build_schedule(T, A, [], initial_assurance=[0.0, 2.0, 0.0])
