"""Blocks of Shapley designs that several assignments share are drawn, run and resampled once.

* Blocks are shared exactly when they fix the same inputs, whatever the categories are
  called; the first assignment's design, runs and effects are those it has alone, and a
  later one keeps its own draws of every block it does not share.
* Shared blocks are resampled alike, so the share of resamples in which a category leads
  under every assignment is read off the same resamples.
* A known answer through shared runs only: the linear Gaussian model, whose second
  assignment merges two correlated inputs into one group, is estimated entirely from the
  first assignment's blocks and still gives its analytic effects.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sim.posterior import Posterior
from sim.seeds import bootstrap_rng, shapley_design_rng
from sim.sensitivity import Factor
from sim.sensitivity.dependence import independent
from sim.sensitivity.estimators import Interval
from sim.sensitivity.factors import assign
from sim.sensitivity.methods import ShapleySettings
from sim.sensitivity.shapley import ShapleyEstimate, draw_blocks, draw_design, draw_resampling
from sim.sensitivity.shapley_analysis import layout_of, leads_everywhere, shapley_analysis
from sim.sensitivity.shapley_brief import headlines
from sim.sensitivity.shapley_design import (
    block_sources,
    distinct_rows,
    draw_shared_design,
    joint_resampling,
)
from tests.test_shapley import RHO, SD, _two_assignment_result

BOTH = ("registry", "interfaces_as_technology")

# Double keying is Process and interface delivery Project under the registry; both move to
# Technology under the other assignment, while p and j stay where they are.
FACTORS = (
    Factor("i", 0.0, 1.0, "Individual"),
    Factor("t", 0.0, 1.0, "Technology"),
    Factor("double_keying_cost", 0.0, 1.0, "Process"),
    Factor("p", 0.0, 1.0, "Process"),
    Factor("interface_build_weeks", 0.0, 1.0, "Project"),
    Factor("j", 0.0, 1.0, "Project"),
)
SETTINGS = ShapleySettings(
    n_outer=16,
    n_inner=2,
    n_variance=64,
    replicates=2,
    outputs=("y",),
    bootstrap=100,
    assignments=BOTH,
)
NAMES = [f.name for f in FACTORS]


def _layouts(settings: ShapleySettings = SETTINGS):
    return {name: layout_of(assign(FACTORS, name), settings) for name in settings.assignments}


def _fixed(layout, block: int) -> frozenset[str]:
    return frozenset(np.asarray(NAMES)[layout.fixed(block)].tolist())


def test_blocks_fixing_the_same_inputs_are_shared_and_no_others():
    layouts = _layouts()
    sources = block_sources(layouts, NAMES)
    assert all(source is None for source in sources["registry"])
    later = layouts["interfaces_as_technology"]
    shared = {b: s for b, s in enumerate(sources["interfaces_as_technology"]) if s is not None}
    # The variance block (fixing nothing), {Individual} and {Technology, Process, Project}:
    # the only subsets holding double keying and interface delivery together or neither.
    assert sorted((_fixed(later, b) for b in shared), key=len) == [
        frozenset(),
        frozenset({"i"}),
        frozenset(NAMES) - {"i"},
    ]
    for block, (assignment, theirs) in shared.items():
        assert _fixed(later, block) == _fixed(layouts[assignment], theirs)
    first = {_fixed(layouts["registry"], b) for b in range(len(layouts["registry"].subsets) + 1)}
    for block, source in enumerate(sources["interfaces_as_technology"]):
        assert (source is None) == (_fixed(later, block) not in first)
    block = 16 * 2
    assert distinct_rows(layouts, NAMES) == 2 * (64 + 14 * block) - (64 + 2 * block)


def test_each_design_is_its_own_draw_with_the_shared_blocks_read_from_the_first():
    layouts = _layouts()
    joint = independent(FACTORS)
    shared = draw_shared_design(joint, layouts, seed=11)
    assert len(shared.values) == distinct_rows(layouts, NAMES)
    alone = draw_design(joint, layouts["registry"], shapley_design_rng(11, "registry"))
    np.testing.assert_array_equal(shared.values[: len(alone)], alone)
    np.testing.assert_array_equal(shared.values[shared.rows["registry"]], alone)
    later = layouts["interfaces_as_technology"]
    own = draw_blocks(joint, later, shapley_design_rng(11, "interfaces_as_technology"))
    design = shared.values[shared.rows["interfaces_as_technology"]]
    start = 0
    for block, source in enumerate(shared.sources["interfaces_as_technology"]):
        part = design[start : start + later.block_rows(block)]
        start += later.block_rows(block)
        if source is None:
            np.testing.assert_array_equal(part, own[block])
        else:
            first = layouts["registry"]
            begin = 0 if source[1] == 0 else 64 + (source[1] - 1) * first.block_rows(1)
            np.testing.assert_array_equal(part, alone[begin : begin + len(part)])


def test_shared_blocks_are_resampled_alike_and_own_blocks_as_alone():
    layouts = _layouts()
    sources = block_sources(layouts, NAMES)
    rngs = {name: bootstrap_rng(5, "y", "shapley", name) for name in layouts}
    drawn = joint_resampling(layouts, sources, 50, rngs)
    for name, layout in layouts.items():
        alone = draw_resampling(layout, 50, bootstrap_rng(5, "y", "shapley", name))
        if name == "registry":
            np.testing.assert_array_equal(drawn[name].variance, alone.variance)
            np.testing.assert_array_equal(drawn[name].outer, alone.outer)
            continue
        for block, source in enumerate(sources[name]):
            if block == 0:
                expected = drawn["registry"].variance if source else alone.variance
                np.testing.assert_array_equal(drawn[name].variance, expected)
            elif source is None:
                np.testing.assert_array_equal(
                    drawn[name].outer[:, block - 1], alone.outer[:, block - 1]
                )
            else:
                np.testing.assert_array_equal(
                    drawn[name].outer[:, block - 1], drawn["registry"].outer[:, source[1] - 1]
                )


def _model(x: np.ndarray) -> np.ndarray:
    return x[:, 0] + 2 * x[:, 1] * x[:, 2] + np.sin(3 * x[:, 3]) + x[:, 4] ** 2 - x[:, 5]


def _evaluate(design: pd.DataFrame, *, replicates: int, seed: int) -> pd.DataFrame:
    """The model of the design's six columns, plus noise that depends only on (seed, row,
    replicate)."""
    rows = np.repeat(np.arange(len(design)), replicates)
    reps = np.tile(np.arange(replicates), len(design))
    noise = 0.05 * np.sin(12.9898 * rows + 78.233 * reps + seed) % 0.1
    values = np.repeat(_model(design.to_numpy()), replicates) + noise
    return pd.DataFrame({"row": rows, "replicate": reps, "y": values})


def test_the_first_assignment_is_as_it_is_alone_to_the_last_bit():
    alone = shapley_analysis(
        FACTORS, _evaluate, replace(SETTINGS, assignments=("registry",)), seed=2
    )
    both = shapley_analysis(FACTORS, _evaluate, SETTINGS, seed=2)
    first = both.shapley[both.shapley["assignment"] == "registry"].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        first.drop(columns="leads_everywhere"),
        alone.shapley.drop(columns="leads_everywhere"),
        check_exact=True,
    )
    pd.testing.assert_frame_equal(
        both.comparisons[both.comparisons["assignment"] == "registry"],
        alone.comparisons,
        check_exact=True,
    )
    pd.testing.assert_frame_equal(both.design.iloc[: len(alone.design)], alone.design)
    assert len(both.design) == distinct_rows(_layouts(), NAMES)
    # Alone, leading under every assignment is leading.
    np.testing.assert_array_equal(alone.shapley["leads_everywhere"], alone.shapley["leads"])


def test_an_assignment_that_moves_no_input_runs_nothing_more():
    factors = [Factor(f"x{i}", 0.0, 1.0, g) for i, g in enumerate("abcdef")]
    result = shapley_analysis(factors, _evaluate, SETTINGS, seed=4)
    assert len(result.design) == 64 + 62 * 16 * 2
    by = {
        name: part.drop(columns="assignment").reset_index(drop=True)
        for name, part in result.shapley.groupby("assignment")
    }
    pd.testing.assert_frame_equal(by["registry"], by["interfaces_as_technology"], check_exact=True)
    np.testing.assert_array_equal(result.shapley["leads_everywhere"], result.shapley["leads"])


def test_a_known_answer_from_shared_runs_only():
    """Y = X1 + X2 + X3 with corr(X2, X3) = 0.5; X2 is named as an input the second
    assignment moves into X3's group. The groups {X1} and {X2, X3} are independent, so their
    effects are their variances' shares, 1/8 and 7/8; every block of that design fixes the
    same inputs as one of the first's, so it runs nothing of its own."""
    sets = 3000
    covariance = np.array([[SD[1] ** 2, RHO * SD[1] * SD[2]], [RHO * SD[1] * SD[2], SD[2] ** 2]])
    values = np.random.default_rng(4).multivariate_normal(np.zeros(2), covariance, size=sets)
    posterior = Posterior(("double_keying_cost", "x3"), values, np.full(sets, 1 / sets), "test")
    factors = [
        Factor("x1", -math.sqrt(3.0), math.sqrt(3.0), "a"),
        Factor("double_keying_cost", -6.0, 6.0, "Process"),
        Factor("x3", -12.0, 12.0, "Technology"),
    ]
    settings = ShapleySettings(
        n_outer=600,
        n_inner=3,
        n_variance=4000,
        replicates=2,
        outputs=("y",),
        bootstrap=300,
        assignments=BOTH,
    )

    def linear(design: pd.DataFrame, *, replicates: int, seed: int) -> pd.DataFrame:
        rows = np.repeat(np.arange(len(design)), replicates)
        total = np.repeat(design.to_numpy().sum(axis=1), replicates)
        return pd.DataFrame({"row": rows, "replicate": np.tile([0, 1], len(design)), "y": total})

    result = shapley_analysis(factors, linear, settings, seed=5, posterior=posterior)
    assert (
        result.settings["shared_rows"]["interfaces_as_technology"]
        == (result.settings["assignment_rows"]["interfaces_as_technology"])
    )
    table = result.shapley.set_index(["assignment", "factor"])["Sh"]
    np.testing.assert_allclose(
        table["interfaces_as_technology"][["a", "Technology"]], [1 / 8, 7 / 8], atol=0.04
    )
    np.testing.assert_allclose(
        table["registry"][["a", "Process", "Technology"]],
        [0.125, 0.297, 0.578],
        atol=0.04,
    )


def _estimate(resamples: list[list[float]]) -> ShapleyEstimate:
    value = Interval.exact(np.zeros(2))
    return ShapleyEstimate(
        *([value] * 3), resamples=np.array(resamples), constant=False, noise_dominated=False
    )


def test_leading_everywhere_is_read_off_the_same_resamples():
    one = _estimate([[0.6, 0.4], [0.7, 0.3], [0.2, 0.8], [np.nan, np.nan]])
    two = _estimate([[0.9, 0.1], [0.3, 0.7], [0.1, 0.9], [0.5, 0.4]])
    shares = leads_everywhere({"one": (("X", "Y"), one), "two": (("X", "Y"), two)})
    # X leads in both in resample 0 only; Y in resample 2 only; resample 3 has no leader.
    assert shares == {"X": 0.25, "Y": 0.25}
    # Independent resamples would give the product of the single shares instead.
    assert shares["X"] != pytest.approx(0.5 * 0.5 * 0.75)


def test_the_brief_states_the_joint_share_when_the_table_has_it():
    result = _two_assignment_result((0.7, 0.3), "X")
    shapley = result.shapley.assign(leads_everywhere=[0.68, 0.1, 0.68, 0.1])
    same = headlines(replace(result, shapley=shapley), "share_final_year")[-1]
    assert same.text.startswith("X leads on final-year share under every assignment")
    assert same.holds == pytest.approx(0.68)
