"""Targets as data: the shipped file, the bad-file corpus (one line, exit 2), the statistics
on trajectories built by hand, and the standard experiment file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.calibration import (
    SHIPPED,
    CalibrationSettings,
    TargetsError,
    load_settings,
    load_targets,
    parse_targets,
)
from sim.calibration.statistics import TargetStatistics, distance, excess, trajectory_from_rows
from sim.cli import main
from sim.engine import InterfaceState, Trajectory
from sim.scenarios import Scenario

ROOT = Path(__file__).resolve().parents[1]
BAD = sorted((ROOT / "tests" / "bad_targets").glob("*.toml"))
BAD_SETTINGS = sorted((ROOT / "tests" / "bad_targets" / "experiments").glob("*.toml"))


def test_shipped_targets_name_their_evidence():
    targets = load_targets(SHIPPED)
    assert targets.scenario == "sentinel_replay"
    assert {t.source for t in targets.targets} >= {
        "DOMAIN.md P2",
        "DOMAIN.md P3, P10 and P11",
        "DOMAIN.md P4",
    }
    assert all(t.strength in ("stated", "external", "inferred", "assumed") for t in targets.targets)
    # P6 is a prior constraint, checked, not a fitted statistic
    (constraint,) = targets.constraints
    assert constraint.parameter == "functionality_cost" and constraint.above == 0.0
    assert targets.components() == (
        "integrated_share.melton",
        "integrated_share.charnwood",
        "non_integrated_lower",
        "non_integrated_use",
        "buy_in_tracks_recording",
        "interface_positions",
    )
    # patterns the scenario holds by construction are conditions, not targets
    assert {c.id for c in targets.conditions} == {
        "engaged_at_start",
        "charnwood_interface",
        "melton_interface",
    }


def test_adding_a_target_is_editing_the_file():
    text = SHIPPED.read_text(encoding="utf-8") + (
        '\n[[targets]]\nid = "partnership_share"\ndescription = "An extra target"\n'
        'statistic = "share_final_year"\nlow = 0.2\ntolerance = 0.1\n'
        'source = "a test"\nstrength = "assumed"\n'
    )
    targets = parse_targets(text, "extended.toml")
    assert targets.components()[-1] == "partnership_share"


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_targets_file_is_one_line_and_exit_2(path, tmp_path, capsys):
    expected = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")
    with pytest.raises(SystemExit) as stop:
        main(["calibrate", str(path), "--out", str(tmp_path / "out"), "--executor", "serial"])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"sharesim: error: {path}") or "no_such_scenario" in err
    assert expected in err
    assert not (tmp_path / "out").exists(), "nothing is written for a bad targets file"


@pytest.mark.parametrize("path", BAD_SETTINGS, ids=[p.stem for p in BAD_SETTINGS])
def test_bad_settings_file_is_one_line_and_exit_2(path, tmp_path, capsys):
    expected = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")
    with pytest.raises(SystemExit) as stop:
        main(
            [
                "calibrate",
                str(SHIPPED),
                "--experiment",
                str(path),
                "--out",
                str(tmp_path / "out"),
                "--executor",
                "serial",
            ]
        )
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"sharesim: error: {path}")
    assert expected in err
    assert not (tmp_path / "out").exists(), "nothing is written for a bad settings file"


def test_bad_corpus_covers_schema_and_scenario_checks():
    assert len(BAD) >= 24
    assert len(BAD_SETTINGS) >= 5


def test_missing_targets_file_is_one_line(tmp_path):
    with pytest.raises(TargetsError, match=r"no such targets file"):
        load_targets(tmp_path / "absent.toml")


def test_standard_experiment_file_equals_the_defaults():
    assert load_settings(ROOT / "experiments" / "calibration_sentinel.toml") == (
        CalibrationSettings()
    )


def _trajectory(handled, recorded, interface, buy_in) -> Trajectory:
    handled = np.asarray(handled)
    b, t, a = handled.shape
    return Trajectory(
        names=("A", "B", "C"),
        handled=handled,
        recorded=np.asarray(recorded),
        buy_in=np.asarray(buy_in, float),
        interface=np.asarray(interface),
        attitude=np.zeros((b, t, a)),
        pressure=np.zeros((b, t)),
        views=np.zeros((b, a, a)),
        latency_days=np.zeros((b, t, a)),
        sharing_hours=np.zeros((b, t, a)),
        saved_hours=np.zeros((b, t, a)),
    )


TOY_TARGETS = """
name = "toy"
description = "Every statistic kind on a three-partner toy"
scenario = "sentinel_replay"

[[targets]]
id = "after"
description = "share while live"
statistic = "share_after_interface_live"
partners = ["A", "B"]
low = 0.9
high = 1.0
tolerance = 0.1
source = "test"
strength = "assumed"

[[targets]]
id = "final"
description = "pooled final-year share of A and C"
statistic = "share_final_year"
partners = ["A", "C"]
value = 0.5
tolerance = 0.25
source = "test"
strength = "assumed"

[[targets]]
id = "gap"
description = "live minus not live"
statistic = "share_final_year_gap"
group = "interface_live"
versus = "no_interface_live"
low = 0.1
tolerance = 0.1
source = "test"
strength = "assumed"

[[targets]]
id = "rho"
description = "buy-in tracks share"
statistic = "buy_in_share_rank_correlation"
low = 0.3
tolerance = 0.2
source = "test"
strength = "assumed"

[[targets]]
id = "count"
description = "considering or beyond at week 1"
statistic = "interfaces_considering_or_beyond"
at = 2011-04-11
value = 2
tolerance = 0.5
source = "test"
strength = "assumed"
"""


def test_every_statistic_kind_on_a_hand_built_trajectory():
    targets = parse_targets(TOY_TARGETS)
    stats = TargetStatistics(targets, ("A", "B", "C"), {"count": 1}, final_weeks=2)
    none, considering, live = (
        InterfaceState.NONE,
        InterfaceState.CONSIDERING,
        InterfaceState.LIVE,
    )
    # One run, three weeks, three partners. A goes live in week 1; B never; C considers.
    handled = [[[10, 10, 10], [10, 10, 10], [10, 10, 0]]]
    recorded = [[[2, 5, 1], [9, 5, 1], [10, 6, 0]]]
    interface = [[[none, none, none], [live, none, considering], [live, none, considering]]]
    buy_in = [[[0, 0, 0], [0, 0, 0], [0.9, 0.5, 0.1]]]
    row = stats(_trajectory(handled, recorded, interface, buy_in)).iloc[0]
    assert row["after.a"] == pytest.approx(19 / 20)  # weeks 1 and 2, while live
    assert np.isnan(row["after.b"])  # never live: undefined
    assert row["final"] == pytest.approx((9 + 10 + 1) / (10 + 10 + 10))  # A and C, last 2 weeks
    # live at the end: A (19/20); not live: B (11/20) and C (1/10) -> mean 0.325
    assert row["gap"] == pytest.approx(0.95 - (0.55 + 0.1) / 2)
    assert row["rho"] == pytest.approx(1.0)  # buy-in order A > B > C matches share order
    assert row["count"] == 2.0  # week 1: A live, C considering
    gaps = excess(stats(_trajectory(handled, recorded, interface, buy_in)), targets).iloc[0]
    assert gaps["after.a"] == 0.0
    assert gaps["after.b"] == np.inf  # an undefined statistic is infinitely far
    assert gaps["final"] == pytest.approx((20 / 30 - 0.5) / 0.25)
    assert gaps["count"] == 0.0


def test_distance_is_the_worst_target_in_tolerances():
    targets = parse_targets(TOY_TARGETS)
    import pandas as pd

    values = pd.DataFrame(
        {
            "after.a": [0.95, 0.7],
            "after.b": [1.0, 1.0],
            "final": [0.5, 0.5],
            "gap": [0.2, 0.2],
            "rho": [0.5, 0.5],
            "count": [2.0, 3.0],
        }
    )
    np.testing.assert_allclose(distance(values, targets), [0.0, 2.0])


def test_trajectory_round_trips_through_tidy_rows():
    from sim.run import partner_frame, run

    scenario = Scenario.load("sentinel_replay")
    result = run(scenario, seed=3, replicates=2)
    rows = partner_frame(result.trajectory)
    rows["run_key"] = np.where(rows["replicate"] == 0, "k0", "k1")
    rows = rows.sample(frac=1.0, random_state=0)  # order must not matter
    import pandas as pd

    rebuilt = trajectory_from_rows(
        rows, pd.DataFrame({"run_key": ["k0", "k1"]}), scenario.partner_names
    )
    for name in ("handled", "recorded", "buy_in", "interface", "attitude"):
        np.testing.assert_array_equal(getattr(rebuilt, name), getattr(result.trajectory, name))


def test_targets_check_against_the_scenario():
    scenario = Scenario.load("sentinel_replay")
    targets = load_targets()
    bad = targets.model_copy(
        update={"targets": [targets.targets[0].model_copy(update={"partners": ["Nowhere"]})]}
    )
    with pytest.raises(TargetsError, match="no partner named 'Nowhere'"):
        TargetStatistics.for_scenario(
            bad, scenario.partner_names, scenario.start_date, scenario.weeks, "t.toml"
        )


def test_shipped_calibrated_scenario_is_a_scenario():
    calibrated = Scenario.load("sentinel_calibrated")
    replay = Scenario.load("sentinel_replay")
    assert calibrated.partner_names == replay.partner_names
    settings = CalibrationSettings()
    ranges = calibrated.uncertain_inputs()
    defaults = calibrated.input_defaults()
    for name in settings.inputs:
        low, high = ranges[name]
        assert low <= defaults[name] <= high
        span = calibrated.spec.parameters[name]
        assert span.provenance == "inferred" and "Calibration to sentinel_targets" in span.source


def test_positions_off_counts_partners_out_of_place_on_both_dates():
    import pandas as pd

    from sim.metrics import interface_positions, positions_off

    none, considering, building, live, workaround, declined = (
        InterfaceState.NONE,
        InterfaceState.CONSIDERING,
        InterfaceState.BUILDING,
        InterfaceState.LIVE,
        InterfaceState.WORKAROUND,
        InterfaceState.DECLINED,
    )
    # week 0 = "2012", week 1 = "2014"; six partners, three runs
    met = [
        [considering] * 3 + [live, none, none],
        [considering, live, declined] + [workaround] * 2 + [declined],
    ]
    one_building = [met[0], [considering, live, declined, workaround, building, declined]]
    five_engaged = [
        [considering] * 4 + [live, none],
        [none, none, declined] + [workaround] * 2 + [declined],
    ]
    positions = interface_positions(np.array([met, one_building, five_engaged]), 0, 1)
    assert list(positions["both"]) == [True, False, False]
    # run 2: one of the two pending partners builds instead of working around (1 off);
    # run 3: five engaged in 2012 (1 off) and two undecided in 2014 (1 beyond one)
    np.testing.assert_array_equal(positions_off(positions), [0, 1, 2])
    assert positions_off(pd.DataFrame(positions.iloc[:0])).size == 0


def test_worker_statistics_equal_those_rebuilt_from_stored_trajectories(tmp_path):
    """The workers' in-memory statistics are exactly those the stored trajectories give."""
    import pandas as pd

    from sim.calibration import CalibrationSettings, prepare
    from sim.calibration.statistics import STATISTIC_PREFIX, StageStatistics, partner_statistics
    from sim.design import latin_hypercube
    from sim.store import read_trajectories
    from sim.sweep import run_design

    problem = prepare(SHIPPED, CalibrationSettings(nuisance="prior"))
    bounds = dict(problem.prior) | problem.nuisance
    design = latin_hypercube(bounds, 4, seed=2)
    statistics = StageStatistics(problem.statistics, quarterly=True)
    frame = run_design(
        problem.scenario,
        design,
        replicates=2,
        seed=9,
        out=tmp_path / "sweep",
        executor="serial",
        keep="trajectories",
        statistics=statistics,
    )
    rows = read_trajectories(tmp_path / "sweep", list(frame["run_key"]))
    rebuilt = trajectory_from_rows(rows, frame, problem.scenario.partner_names)
    expected = pd.concat([problem.statistics(rebuilt), partner_statistics(rebuilt)], axis=1)
    got = frame[[STATISTIC_PREFIX + c for c in expected.columns]]
    np.testing.assert_array_equal(got.to_numpy(dtype=float), expected.to_numpy(dtype=float))
    table, quarterly = statistics.unpack(frame, problem.inputs)
    assert quarterly is not None and quarterly.shape[0] == len(frame)
    assert list(table.columns[:3]) == ["row", "replicate", "run_key"]
    assert statistics.key() != StageStatistics(problem.statistics).key()


def test_calibrated_inputs_must_be_uncertain_registry_parameters_of_the_scenario():
    """A registry name is checked with the settings; being uncertain, against the scenario."""
    from sim.calibration import prepare
    from sim.calibration.settings import SettingsError

    with pytest.raises(SettingsError, match=r"^settings: inputs: .*did you mean 'norm_weight'\?"):
        CalibrationSettings(inputs=("norm_wieght",))
    pinned = CalibrationSettings(inputs=("legal_risk", "pressure_weight"))
    with pytest.raises(SettingsError) as error:
        prepare(SHIPPED, pinned)
    assert str(error.value).startswith(
        "settings: inputs[1]: 'pressure_weight' is not uncertain in scenario 'sentinel_replay'"
    )
