"""Shapley effects against cases with known answers, and on the calibrated scenario.

* The linear Gaussian model with correlated inputs, whose Shapley effects are analytic
  (Owen and Prieur 2017; Iooss and Prieur 2019, section 3.1): the aggregation is exact on
  exact costs, and the Monte Carlo estimate lies within its error of the analytic values,
  from a hand-made joint distribution and from a copula fitted to posterior sets.
* Negative controls: ignoring the dependence gives the independent answer, not the
  dependent one; with independent inputs (Ishigami) the Shapley effect of each input is its
  first-order index plus half its pairwise interaction, between its first and total indices.
* A small analysis of ``sentinel_calibrated`` through the sweep runner: the calibrated inputs
  are the dependent ones, both assignments are analysed with their group sizes, and the
  brief states how far each conclusion holds.

Seeds are fixed, so every statistical check is deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.brief.readers import read_evidence
from sim.execution import Execution
from sim.outcomes import parse_outcome
from sim.posterior import Posterior
from sim.sensitivity import Factor, SensitivityError
from sim.sensitivity.brief import brief_markdown
from sim.sensitivity.dependence import JointInputs, fit_posterior
from sim.sensitivity.factors import FactorError, assign
from sim.sensitivity.folder import read_result_folder, write_result_folder
from sim.sensitivity.methods import ShapleySettings
from sim.sensitivity.result import SensitivityResult
from sim.sensitivity.scenario import shapley
from sim.sensitivity.shapley import (
    ShapleyLayout,
    draw_design,
    effects_from_costs,
    shapley_estimate,
)
from sim.sensitivity.shapley_analysis import shapley_analysis
from sim.sensitivity.shapley_brief import headlines
from tests.test_sensitivity import ISHIGAMI_S1, ISHIGAMI_S13, ISHIGAMI_ST, _ishigami, evaluator

# Y = X1 + X2 + X3; X1 independent of (X2, X3), corr(X2, X3) = RHO.
SD = (1.0, 1.0, 2.0)
RHO = 0.5


def linear_gaussian_shapley(sd: tuple[float, float, float], rho: float) -> np.ndarray:
    """Iooss and Prieur (2019), eq. (19): the analytic Shapley effects, as shares."""
    s1, s2, s3 = sd
    variance = s1**2 + s2**2 + s3**2 + 2 * rho * s2 * s3
    return (
        np.array(
            [
                s1**2,
                s2**2 + rho * s2 * s3 + rho**2 * (s3**2 - s2**2) / 2,
                s3**2 + rho * s2 * s3 + rho**2 * (s2**2 - s3**2) / 2,
            ]
        )
        / variance
    )


def linear_gaussian_costs(sd: tuple[float, float, float], rho: float) -> np.ndarray:
    """Exact ``E[Var(Y | X_-u)]`` of every subset ``u`` (bitmask), Gaussian conditioning."""
    covariance = np.diag(np.square(sd))
    covariance[1, 2] = covariance[2, 1] = rho * sd[1] * sd[2]
    beta = np.ones(3)
    costs = np.zeros(8)
    for mask in range(1, 8):
        u = [j for j in range(3) if mask >> j & 1]
        rest = [j for j in range(3) if not mask >> j & 1]
        conditional = covariance[np.ix_(u, u)]
        if rest:
            cross = covariance[np.ix_(u, rest)]
            conditional = conditional - cross @ np.linalg.solve(
                covariance[np.ix_(rest, rest)], cross.T
            )
        costs[mask] = beta[u] @ conditional @ beta[u]
    return costs


@dataclass(frozen=True)
class Normal:
    """A centred normal marginal."""

    sd: float

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return stats.norm.cdf(x, scale=self.sd)

    def ppf(self, p: np.ndarray) -> np.ndarray:
        return stats.norm.ppf(p, scale=self.sd)


def _one_group_each(inputs: int, **sizes: int) -> ShapleyLayout:
    return ShapleyLayout(np.arange(inputs, dtype=np.int64), inputs, **sizes)


def test_the_aggregation_of_exact_costs_gives_the_analytic_effects():
    layout = _one_group_each(3, n_variance=64, n_outer=16, n_inner=2)
    costs = linear_gaussian_costs(SD, RHO)[None, :]
    shapley, first, total = effects_from_costs(costs, layout)
    np.testing.assert_allclose(shapley[0], linear_gaussian_shapley(SD, RHO), atol=1e-12)
    assert shapley.sum() == pytest.approx(1.0)
    # X1 is independent of the others: its first and total indices equal its Shapley effect.
    assert first[0, 0] == pytest.approx(shapley[0, 0]) == pytest.approx(total[0, 0])


def test_linear_gaussian_estimate_within_its_monte_carlo_error():
    """Over 20 design seeds the errors had mean below 0.002 and sd about 0.01 per effect, and
    the 95% intervals held the analytic value in 95-100% of them; 0.03 is three sd, and no
    error may exceed the interval's full width."""
    joint = JointInputs(
        ("x1", "x2", "x3"),
        tuple(Normal(s) for s in SD),
        (1, 2),
        np.array([[1.0, RHO], [RHO, 1.0]]),
    )
    layout = _one_group_each(3, n_variance=4000, n_outer=1000, n_inner=3)
    design = draw_design(joint, layout, np.random.default_rng(100))
    noise = np.random.default_rng(200).normal(0, 0.3, (layout.rows, 2))
    runs = design.sum(axis=1)[:, None] + noise
    estimate = shapley_estimate(
        runs, layout, resamples=500, confidence=0.95, rng=np.random.default_rng(3)
    )
    exact = linear_gaussian_shapley(SD, RHO)
    assert np.all(np.abs(estimate.shapley.value - exact) < 0.03), (estimate.shapley.value, exact)
    width = estimate.shapley.high - estimate.shapley.low
    assert np.all(np.abs(estimate.shapley.value - exact) <= width)
    assert estimate.shapley.value.sum() == pytest.approx(1.0)


def test_full_first_order_agrees_with_a_given_data_estimator():
    """The full first-order indices ``Var(E[Y | X_j]) / V`` come from the Shapley design's
    costs; OpenTURNS' rank-based given-data estimator (Gamboa, Klein and Lagnoux 2018) reads
    them from a plain sample. Both agree with the analytic values (1/8, 1/2, 25/32)."""
    ot = pytest.importorskip("openturns")
    joint = JointInputs(
        ("x1", "x2", "x3"), tuple(Normal(s) for s in SD), (1, 2), np.array([[1, RHO], [RHO, 1]])
    )
    exact = np.array([1.0, 4.0, 6.25]) / 8.0
    layout = _one_group_each(3, n_variance=4000, n_outer=1000, n_inner=3)
    design = draw_design(joint, layout, np.random.default_rng(100))
    runs = np.repeat(design.sum(axis=1)[:, None], 2, axis=1)
    estimate = shapley_estimate(
        runs, layout, resamples=200, confidence=0.95, rng=np.random.default_rng(3)
    )
    sample = design[: layout.n_variance]
    given = ot.RankSobolSensitivityAlgorithm(
        ot.Sample(sample), ot.Sample(sample.sum(axis=1)[:, None])
    ).getFirstOrderIndices()
    # A full first-order index is one minus a ratio of two estimates: noisier than the
    # Shapley effects, so it is held to its own interval's width.
    width = estimate.first.high - estimate.first.low
    assert np.all(np.abs(estimate.first.value - exact) <= width), (estimate.first.value, width)
    np.testing.assert_allclose(np.array(given), exact, atol=0.04)
    assert np.all(np.abs(estimate.first.value - np.array(given)) <= width)


def _posterior_of_correlated_normals(sets: int = 3000) -> Posterior:
    covariance = np.array([[SD[1] ** 2, RHO * SD[1] * SD[2]], [RHO * SD[1] * SD[2], SD[2] ** 2]])
    values = np.random.default_rng(4).multivariate_normal(np.zeros(2), covariance, size=sets)
    return Posterior(("x2", "x3"), values, np.full(sets, 1.0 / sets), "test")


LINEAR_FACTORS = [
    Factor("x1", -math.sqrt(3.0), math.sqrt(3.0), "a"),  # uniform: variance 1, as SD[0]
    Factor("x2", -6.0, 6.0, "b"),
    Factor("x3", -12.0, 12.0, "c"),
]
LINEAR_SETTINGS = ShapleySettings(
    n_outer=600, n_inner=3, n_variance=4000, replicates=2, outputs=("y",), bootstrap=300
)


def _linear(x: np.ndarray) -> np.ndarray:
    return x.sum(axis=1)


def test_a_copula_fitted_to_posterior_sets_recovers_the_dependent_answer():
    """Through the whole pipeline: x2 and x3 come from weighted posterior sets, x1 is not."""
    result = shapley_analysis(
        LINEAR_FACTORS,
        evaluator(_linear, noise_sd=0.2),
        LINEAR_SETTINGS,
        seed=5,
        posterior=_posterior_of_correlated_normals(),
    )
    table = result.shapley.set_index("factor")
    exact = linear_gaussian_shapley(SD, RHO)
    np.testing.assert_allclose(table.loc[["a", "b", "c"], "Sh"], exact, atol=0.04)
    assert list(table.loc[["a", "b", "c"], "dependent_inputs"]) == [0, 1, 1]
    assert result.settings["dependent_inputs"] == ["x2", "x3"]


def test_negative_control_ignoring_the_dependence_gives_the_independent_answer():
    """Without the posterior the inputs are independent uniforms: effects are shares of
    variance of each input alone, not the dependent ones (so the check above can fail)."""
    result = shapley_analysis(
        LINEAR_FACTORS, evaluator(_linear), LINEAR_SETTINGS, seed=5, posterior=None
    )
    table = result.shapley.set_index("factor")
    variances = np.array([1.0, 12.0**2 / 3, 24.0**2 / 3])
    independent = variances / variances.sum()
    # x1's share of a variance of 241 is estimated to about +-0.03 (two standard errors).
    np.testing.assert_allclose(table.loc[["a", "b", "c"], "Sh"], independent, atol=0.05)
    assert abs(table.at["c", "Sh"] - linear_gaussian_shapley(SD, RHO)[2]) > 0.15


def test_independent_ishigami_shapley_is_first_order_plus_half_the_interaction():
    """Negative control for dependence: with independent inputs the Shapley effect of x1 is
    S1 + S13 / 2, of x3 S13 / 2, and each lies between the first and total indices, which
    equal Sobol's."""
    factors = [Factor(f"x{i + 1}", -math.pi, math.pi, g) for i, g in enumerate("abc")]
    settings = ShapleySettings(
        n_outer=1000, n_inner=3, n_variance=5000, replicates=2, outputs=("y",), bootstrap=300
    )
    result = shapley_analysis(factors, evaluator(_ishigami), settings, seed=1)
    table = result.shapley.set_index("factor")
    expected = {
        "a": ISHIGAMI_S1["x1"] + ISHIGAMI_S13 / 2,
        "b": ISHIGAMI_S1["x2"],
        "c": ISHIGAMI_S13 / 2,
    }
    for group, name in zip("abc", ("x1", "x2", "x3"), strict=True):
        row = table.loc[group]
        assert row["Sh"] == pytest.approx(expected[group], abs=0.04)
        assert row["S1"] == pytest.approx(ISHIGAMI_S1[name], abs=0.05)
        assert row["ST"] == pytest.approx(ISHIGAMI_ST[name], abs=0.05)
        assert row["S1_low"] <= row["Sh"] + 0.02 and row["Sh"] <= row["ST_high"] + 0.02


def test_conditional_draws_keep_the_given_inputs_and_the_correlation():
    joint = JointInputs(
        ("x1", "x2", "x3"), tuple(Normal(s) for s in SD), (1, 2), np.array([[1, RHO], [RHO, 1]])
    )
    rng = np.random.default_rng(6)
    values = joint.sample(20_000, rng)
    assert np.corrcoef(values[:, 1], values[:, 2])[0, 1] == pytest.approx(RHO, abs=0.02)
    given = np.array([False, True, False])
    fixed = np.tile([[0.0, 1.5, 0.0]], (20_000, 1))
    drawn = joint.conditional(given, fixed, rng)
    assert np.all(drawn[:, 1] == 1.5)
    # X3 | X2 = 1.5 is normal with mean rho s3 / s2 * 1.5 and sd s3 sqrt(1 - rho^2).
    assert drawn[:, 2].mean() == pytest.approx(RHO * SD[2] / SD[1] * 1.5, abs=0.05)
    assert drawn[:, 2].std() == pytest.approx(SD[2] * math.sqrt(1 - RHO**2), abs=0.05)


def test_a_fitted_copula_keeps_the_posterior_inside_its_support():
    posterior = _posterior_of_correlated_normals(500)
    factors = [Factor("x2", -2.0, 2.0, "b"), Factor("x3", -3.0, 3.0, "c")]
    joint = fit_posterior(factors, posterior)
    values = joint.sample(5000, np.random.default_rng(7))
    assert values[:, 0].min() >= -2.0 and values[:, 0].max() <= 2.0
    assert values[:, 1].min() >= -3.0 and values[:, 1].max() <= 3.0
    assert joint.correlation[0, 1] > 0.3


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("n_outer", 8, "n_outer must be a whole number >= 16"),
        ("n_inner", 1, "n_inner must be a whole number >= 2"),
        ("n_variance", 10, "n_variance must be a whole number >= 64"),
        ("assignments", (), "assignments must be a non-empty list"),
        ("assignments", ("registry", "registry"), "distinct"),
    ],
)
def test_bad_settings_name_the_problem(field, value, words):
    with pytest.raises(SensitivityError, match=words):
        ShapleySettings(**{field: value})


def test_an_unknown_assignment_is_named_with_a_suggestion():
    with pytest.raises(FactorError, match="did you mean 'registry'"):
        assign([Factor("x", 0, 1, "a")], "registy")


CALIBRATED_FEW = [
    "reciprocity_weight",
    "double_keying_cost",
    "functionality_cost",
    "legal_risk",
    "interface_consider_rate",
    "interface_buy_in_threshold",
    "interface_build_weeks",
]
"""Calibrated inputs of four categories (Process, Technology, External Environment,
Project); the other calibrated inputs are drawn from the posterior run by run."""


def test_small_analysis_of_the_calibrated_scenario(tmp_path):
    """Through the sweep runner: the calibrated inputs are drawn jointly, both assignments are
    analysed with their sizes, the brief says how far each conclusion holds, and the folder
    reads back as it was written."""
    result = shapley(
        "sentinel_calibrated",
        seed=3,
        n_outer=16,
        n_inner=2,
        n_variance=64,
        replicates=2,
        inputs=CALIBRATED_FEW,
        assignments=("registry", "interfaces_as_technology"),
        outputs=("share_final_year",),
        bootstrap=200,
        execution=Execution(executor="serial"),
    )
    # Four categories under the registry's assignment, three once interfaces are Technology.
    # The second design shares the variance block and the two subsets that fix the same
    # inputs under both ({External Environment}; {Process, Technology, Project}, which is
    # {Process, Technology} once interfaces are Technology): those run once.
    assert result.settings["assignment_rows"] == {
        "registry": 64 + 14 * 16 * 2,
        "interfaces_as_technology": 64 + 6 * 16 * 2,
    }
    assert result.settings["shared_rows"] == {
        "registry": 0,
        "interfaces_as_technology": 64 + 2 * 16 * 2,
    }
    assert len(result.runs) == 2 * ((64 + 14 * 16 * 2) + (6 - 2) * 16 * 2)
    assert result.settings["dependent_inputs"] == CALIBRATED_FEW
    table = result.shapley
    # The other calibrated inputs, drawn run by run, are most of the variance here: at this
    # size a design may be noise-dominated (effects NaN), but effects never half-add up.
    added = []
    for assignment, part in table.groupby("assignment"):
        assert part["inputs"].sum() == len(result.factors), assignment
        if part["Sh_estimate"].notna().all():
            added.append(assignment)
            assert part["Sh_estimate"].sum() == pytest.approx(1.0)
        else:
            assert part["Sh_estimate"].isna().all()
    assert added
    sizes = table.set_index(["assignment", "factor"])["inputs"]
    # Double keying and the workarounds move from Process to Technology.
    assert sizes["interfaces_as_technology", "Process"] < sizes["registry", "Process"]
    assert sizes["interfaces_as_technology", "Technology"] > sizes["registry", "Technology"]
    brief = brief_markdown(result)
    assert "of resamples" in brief and "inputs (calibrated)" in brief
    written = write_result_folder(result, tmp_path / "out")
    assert "figure:shapley_category" in written
    again = read_result_folder(tmp_path / "out")
    assert again.method == "shapley"
    assert np.allclose(again.shapley["Sh"], result.shapley["Sh"])
    # The one-page brief names the method and how the inputs were drawn.
    evidence = read_evidence(tmp_path / "out", parse_outcome("share_final_year>=0.8"))
    assert evidence.subject == "Shapley effects of sentinel_calibrated"
    assert evidence.limits[0].startswith(
        "Every input varied at once: 7 calibrated ones drawn jointly from the posterior (7 "
    )


def _two_assignment_result(leads_b: tuple[float, float], leader_b: str) -> SensitivityResult:
    """A Shapley result with categories X and Y under assignments one (X leads in 90% of
    resamples) and two (``leads_b``; ``leader_b`` ranked first)."""
    rows = []
    for assignment, leads, leader in (("one", (0.9, 0.1), "X"), ("two", leads_b, leader_b)):
        for factor, share in zip(("X", "Y"), leads, strict=True):
            first = factor == leader
            rows.append(
                {
                    "output": "share_final_year",
                    "assignment": assignment,
                    "factor": factor,
                    "inputs": 1,
                    "dependent_inputs": 0,
                    "Sh": 0.6 if first else 0.4,
                    "Sh_low": 0.5 if first else 0.3,
                    "Sh_high": 0.7 if first else 0.5,
                    "leads": share,
                    "rank": 1 if first else 2,
                }
            )
    empty = pd.DataFrame()
    return SensitivityResult(
        method="shapley",
        subject="test",
        level="category",
        seed=1,
        settings={},
        factors=empty,
        design=empty,
        runs=empty,
        noise=empty,
        shapley=pd.DataFrame(rows),
        comparisons=pd.DataFrame(columns=["output", "assignment", "factor", "other", "share"]),
    )


def test_one_leader_under_every_assignment_holds_in_the_product_of_its_shares():
    same = headlines(_two_assignment_result((0.7, 0.3), "X"), "share_final_year")[-1]
    assert same.text.startswith("X leads on final-year share under every assignment")
    assert same.holds == pytest.approx(0.9 * 0.7) and not same.firm
    differ = headlines(_two_assignment_result((0.3, 0.7), "Y"), "share_final_year")[-1]
    assert differ.text.startswith("the same category leads")
    assert differ.holds == pytest.approx(0.9 * 0.3 + 0.1 * 0.7)
    assert differ.line().startswith("- **Open**: whether the same category leads")
