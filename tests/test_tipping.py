"""Tipping points: the detector reports a curve's largest jump between adjacent levels with
its size and bootstrap interval, calls it a tipping point only when it is real, sharp and
material, and finds the double-keying cliff of the interface sweep wherever the model puts it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sim.errors import InputError
from sim.sweep import read_results, run_plan
from sim.sweep.experiment import load_experiment
from sim.tipping import (
    BINS,
    FALSE_DISCOVERY,
    MATERIAL,
    SHARP,
    largest_jump,
    levels,
    levels_differ,
    response,
    sure_size,
    tipping_points,
)

ROOT = Path(__file__).resolve().parents[1]
SEED = 20110404


def curve(function, at: np.ndarray, runs: int = 12, noise: float = 0.02, seed: int = 1):
    """Runs of a known response ``function`` at the levels ``at``, with Gaussian noise."""
    rng = np.random.default_rng(seed)
    x = np.repeat(at, runs)
    return pd.DataFrame(
        {"scenario": "s", "x": x, "y": function(x) + rng.normal(0.0, noise, size=x.size)}
    )


def test_a_known_step_is_found_with_its_size_and_interval():
    at = np.linspace(0.0, 3.0, 10)
    frame = curve(lambda x: np.where(x < 1.5, 0.9, 0.3), at)
    row = tipping_points(frame, ["x"], ["y"]).iloc[0]
    assert (row["before_level"], row["after_level"]) == (at[4], at[5])
    assert row["jump"] == pytest.approx(-0.6, abs=0.03)
    assert row["jump_low"] < row["jump"] < row["jump_high"] < 0
    assert row["jump_low"] <= -0.6 + 0.05 and row["jump_high"] >= -0.6 - 0.05
    assert row["sharpness"] > SHARP and bool(row["tipping"])


def test_a_straight_line_or_a_flat_curve_has_no_tipping_point():
    """Negative controls: a steady slope moves the output as much at every step (sharpness
    about 1), and noise around a constant has no real jump."""
    at = np.linspace(0.0, 3.0, 8)
    line = tipping_points(curve(lambda x: 0.9 - 0.25 * x, at), ["x"], ["y"]).iloc[0]
    assert line["sharpness"] < SHARP and not line["tipping"]
    flat = curve(lambda x: np.full_like(x, 0.5), at, noise=0.05)
    step = curve(lambda x: np.where(x < 1.5, 0.9, 0.1), at).assign(scenario="t")
    both = tipping_points(pd.concat([flat, step]), ["x"], ["y"]).set_index("scenario")
    assert not both.loc["s", "tipping"], "noise is not a tipping point"
    assert abs(both.loc["s", "jump"]) < MATERIAL * 0.8
    assert both.loc["t", "tipping"]


def test_tipping_points_are_listed_by_the_size_their_interval_is_sure_of():
    """A 60-point step whose runs spread widely at each level is sure of less than a tight
    45-point step, and is listed after it (as a median flipping between two modes would be)."""
    at = np.linspace(0.0, 3.0, 8)

    def step(name: str, before: float, after: float, half: float) -> pd.DataFrame:
        x = np.repeat(at, 12)
        spread = np.tile(np.linspace(-half, half, 12), len(at))
        return pd.DataFrame(
            {"scenario": name, "x": x, "y": np.where(x < 1.5, before, after) + spread}
        )

    table = tipping_points(
        pd.concat([step("wide", 1.0, 0.4, 0.45), step("tight", 0.8, 0.35, 0.01)]), ["x"], ["y"]
    )
    assert table["tipping"].all() and list(table["scenario"]) == ["tight", "wide"], table
    assert table.loc[1, "jump"] == pytest.approx(-0.6) and table.loc[0, "jump"] == pytest.approx(
        -0.45
    )
    sure = sure_size(table)
    assert list(sure) == [-table.loc[0, "jump_high"], -table.loc[1, "jump_high"]]
    assert sure[0] > sure[1] > 0
    assert sure_size(pd.DataFrame({"jump_low": [-0.1], "jump_high": [0.2]}))[0] == 0


def sampled_sweep(inputs: int, runs: int, step: float, rng: np.random.Generator) -> pd.DataFrame:
    """A Latin-hypercube-like sweep of ``inputs`` uniform inputs: only ``x0`` moves the output,
    by ``step`` standard deviations of its noise where it passes 0.5."""
    x = rng.uniform(size=(runs, inputs))
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(inputs)])
    return frame.assign(scenario="s", y=rng.normal(size=runs) + step * (x[:, 0] > 0.5))


def test_inputs_that_do_nothing_seldom_give_a_tipping_point_however_many_are_swept():
    """A sweep of many inputs compares many curves, and each curve's largest jump is picked
    from several: noise alone once gave some tipping point in nearly every sweep of eight
    inputs that did nothing (2 on average). Holding the false discovery rate over the curves
    keeps it to about one sweep in ten at most, while a real step among them (1.5 standard
    deviations of the runs' noise, 100 runs a bin) is still found."""
    rng = np.random.default_rng(11)
    inputs = [f"x{i}" for i in range(8)]
    null = [
        tipping_points(sampled_sweep(8, 800, 0.0, rng), inputs, ["y"], resamples=200)
        for _ in range(40)
    ]
    with_any = sum(bool(table["tipping"].any()) for table in null)
    assert with_any <= 2 * FALSE_DISCOVERY * len(null), with_any
    stepped = [
        tipping_points(sampled_sweep(8, 800, 1.5, rng), inputs, ["y"], resamples=200)
        for _ in range(10)
    ]
    found = [set(table.loc[table["tipping"], "input"]) for table in stepped]
    assert sum(f == {"x0"} for f in found) >= 9, found


def hypercube_runs(points: int, replicates: int, rng: np.random.Generator) -> pd.DataFrame:
    """Runs of a Latin hypercube of two inputs: ``x0`` steps the output from 0 to 1 where it
    passes 0.5, ``x1`` does nothing; each design point runs ``replicates`` times."""
    strata = np.column_stack([rng.permutation(points) for _ in range(2)])
    x = np.repeat((strata + rng.uniform(size=(points, 2))) / points, replicates, axis=0)
    y = np.where(x[:, 0] > 0.5, 1.0, 0.0) + rng.normal(0.0, 0.02, size=len(x))
    return pd.DataFrame({"scenario": "s", "x0": x[:, 0], "x1": x[:, 1], "y": y})


def test_in_a_hypercube_the_design_point_is_the_observation():
    """The replicates of a design point share its other inputs. Counted as observations, they
    make an input that does nothing look as if its levels differ surely in a small hypercube,
    whose adjacent levels are points that differ in the input that matters too; counted by
    design point, such a curve is never a tipping point, and a large hypercube still finds
    the real step and only it."""
    rng = np.random.default_rng(4)
    small = hypercube_runs(8, 5, rng)
    by_run = [runs.to_numpy() for _, runs in small.groupby("x1")["y"]]
    assert levels_differ(by_run) < FALSE_DISCOVERY / 100
    table = tipping_points(small, ["x0", "x1"], ["y"]).set_index("input")
    assert not table["tipping"].any() and (table["p_value"] == 1.0).all()
    assert table["jump_low"].isna().all() and table["jump_high"].isna().all()
    large = tipping_points(hypercube_runs(400, 2, rng), ["x0", "x1"], ["y"]).set_index("input")
    assert large.loc["x0", "tipping"] and not large.loc["x1", "tipping"], large
    assert large.loc["x0", "jump_low"] > 0.5 and large.loc["x1", "p_value"] > FALSE_DISCOVERY


def test_a_full_grid_counts_its_runs_as_the_observations():
    """Every level of x0 meets every level of x1: the runs are the observations, as for one
    input alone, and the same runs give the same table whether x1 is named or not."""
    rng = np.random.default_rng(6)
    x0, x1 = (a.ravel() for a in np.meshgrid(np.linspace(0, 1, 6), [0.2, 0.8]))
    x0, x1 = np.repeat(x0, 10), np.repeat(x1, 10)
    y = np.where(x0 > 0.5, 1.0, 0.0) + rng.normal(0.0, 0.05, size=len(x0))
    frame = pd.DataFrame({"scenario": "s", "x0": x0, "x1": x1, "y": y})
    both = tipping_points(frame, ["x0", "x1"], ["y"]).set_index("input").loc[["x0"]]
    alone = tipping_points(frame, ["x0"], ["y"]).set_index("input")
    pd.testing.assert_frame_equal(both.drop(columns="q_value"), alone.drop(columns="q_value"))


def test_a_noisy_straight_line_seldom_has_a_tipping_point():
    """The largest of seven noisy steps of a straight line is often twice their mean (a third
    of such curves were once called tipping points); it is seldom surely so, and sharpness is
    judged by the end of the jump's interval nearest zero."""
    rng = np.random.default_rng(8)
    at = np.linspace(0.0, 1.0, 8)
    called = 0
    for _ in range(40):
        x = np.repeat(at, 50)
        frame = pd.DataFrame({"scenario": "s", "x": x, "y": x + rng.normal(size=x.size)})
        called += bool(tipping_points(frame, ["x"], ["y"], resamples=200)["tipping"].iloc[0])
    assert called <= 2, called


def test_q_values_are_the_p_values_adjusted_over_every_curve_of_the_table():
    rng = np.random.default_rng(5)
    table = tipping_points(sampled_sweep(6, 600, 0.8, rng), [f"x{i}" for i in range(6)], ["y"])
    p, q = table["p_value"].to_numpy(), table["q_value"].to_numpy()
    order = np.argsort(p)
    expected = np.minimum.accumulate((p[order] * len(p) / np.arange(1, len(p) + 1))[::-1])[::-1]
    assert q[order] == pytest.approx(np.minimum(expected, 1.0))
    assert (q >= p).all() and not table.loc[q > FALSE_DISCOVERY, "tipping"].any()
    alone = largest_jump([0.0, 1.0], [np.array([0.0, 0.1, 0.2]), np.array([1.0, 1.1, 1.2])])
    assert alone is not None and alone.q_value == alone.p_value < FALSE_DISCOVERY
    flat = largest_jump([0.0, 1.0], [np.ones(4), np.ones(4)])
    assert flat is not None and flat.p_value == 1.0 and not flat.tipping


def test_a_step_between_unevenly_spaced_levels_is_reported_between_them():
    at = np.array([0.3, 0.75, 1.0, 1.5, 2.0, 3.0])
    frame = curve(lambda x: np.where(x <= 0.8, 0.95, 0.05), at, runs=10)
    jump = largest_jump(at, [frame.loc[frame["x"] == a, "y"].to_numpy() for a in at])
    assert jump is not None and (jump.before_level, jump.after_level) == (0.75, 1.0)
    assert jump.rate == pytest.approx(jump.jump / 0.25)


def test_the_same_data_give_the_same_interval():
    frame = curve(lambda x: np.where(x < 1, 1.0, 0.0), np.linspace(0, 2, 5))
    first = tipping_points(frame, ["x"], ["y"])
    pd.testing.assert_frame_equal(first, tipping_points(frame, ["x"], ["y"]))


def test_a_sampled_input_is_binned_and_its_curve_has_medians_and_90_percent_of_runs():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, 800)
    frame = pd.DataFrame({"scenario": "s", "x": x, "y": np.where(x < 0.5, 1.0, 0.0)})
    assert levels(frame["x"]).nunique() == 8
    points = response(frame, "x", "y")
    assert len(points) == 8 and (points["runs"] == 100).all()
    assert (points["low"] <= points["median"]).all() and (points["median"] <= points["high"]).all()
    assert bool(tipping_points(frame, ["x"], ["y"]).iloc[0]["tipping"])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(-5, 5).map(lambda v: round(v, 4)),
            st.sampled_from([0.0, 1.0, 2.5]),
        ),
        min_size=13,
        max_size=200,
    )
)
def test_binned_levels_are_those_of_pandas_quantile_cut(values):
    """The bins are pd.qcut's (ties at an edge, repeated values, edges dropped as duplicates),
    each run counted at its bin's median. (Values are rounded: pd.qcut itself fails to label
    bins whose edges are as small as 1e-308.)"""
    x = pd.Series(values, name="x")
    assume(x.nunique() > 12)
    cut = pd.qcut(x, BINS, duplicates="drop")
    expected = x.groupby(cut, observed=True).transform("median").astype(float)
    pd.testing.assert_series_equal(levels(x), expected)


def test_bad_input_is_one_line():
    frame = curve(lambda x: x, np.linspace(0, 1, 3))
    with pytest.raises(InputError, match=r"no column 'yy' \(did you mean 'y'\?\)"):
        tipping_points(frame, ["x"], ["yy"])
    with pytest.raises(InputError, match="must increase"):
        largest_jump([1.0, 0.5], [np.ones(2), np.ones(2)])
    assert largest_jump([1.0], [np.ones(3)]) is None


@pytest.fixture(scope="module")
def interface_sweep(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The shipped interface sweep, as the model computes it today."""
    plan = load_experiment(ROOT / "experiments" / "interface_sweep.toml").plan()
    out = tmp_path_factory.mktemp("interface_sweep")
    run_plan(plan, out, executor="serial")
    return read_results(out)


def test_the_double_keying_cliff_of_the_interface_sweep_is_found(interface_sweep):
    """Without interfaces, the final-year share collapses somewhere along double keying cost.
    The detector reports exactly the largest jump between adjacent levels of the design (as
    computed here from the runs), with its size and an interval that contains it and
    excludes zero, and calls it a tipping point."""
    runs = interface_sweep[interface_sweep["scenario"] == "no_interfaces"]
    medians = runs.groupby("double_keying_cost")["share_final_year"].median().sort_index()
    steps = medians.diff().iloc[1:]
    k = int(np.argmax(steps.abs().to_numpy()))
    expected = (medians.index[k], medians.index[k + 1], steps.iloc[k])
    found = tipping_points(interface_sweep, ["double_keying_cost"], ["share_final_year"])
    row = found.set_index("scenario").loc["no_interfaces"]
    assert (row["before_level"], row["after_level"]) == pytest.approx(expected[:2])
    assert row["jump"] == pytest.approx(expected[2])
    assert row["jump_low"] <= row["jump"] <= row["jump_high"]
    assert row["jump_high"] < 0 or row["jump_low"] > 0
    assert bool(row["tipping"]), "the cliff is a tipping point"
