"""The sensitivity pipeline against functions with known indices.

Every check runs the same code a scenario analysis runs (SALib design from ``sim.design`` ->
evaluator -> replicate means -> noise -> indices with seeded bootstrap intervals ->
distinguishability), with only the evaluator swapped for an analytic function, as SALib's
own tests do. Seeds are fixed, so every statistical check is deterministic and fails only on
a real change.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from sim.sensitivity import (
    Factor,
    MorrisSettings,
    RunsError,
    SensitivityError,
    SobolSettings,
    morris_analysis,
    sobol_analysis,
)
from sim.sensitivity.brief import brief_markdown
from sim.sensitivity.estimators import surely_above

# Ishigami and Homma (1990), a = 7, b = 0.1, inputs uniform on [-pi, pi].
ISHIGAMI_S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ISHIGAMI_ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
ISHIGAMI_S13 = 0.2437
ISHIGAMI_VARIANCE = 7**2 / 8 + 0.1 * math.pi**4 / 5 + 0.1**2 * math.pi**8 / 18 + 0.5

# Sobol' G function (Saltelli and Sobol' 1995): importance falls as a_i grows.
G_A = (0.0, 1.0, 4.5, 9.0, 99.0, 99.0)


def _ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def _g_function(x: np.ndarray) -> np.ndarray:
    a = np.asarray(G_A)
    return np.prod((np.abs(4 * x - 2) + a) / (1 + a), axis=1)


def _g_indices() -> tuple[dict[str, float], dict[str, float]]:
    partial = [1 / (3 * (1 + a) ** 2) for a in G_A]
    total_variance = math.prod(1 + v for v in partial) - 1
    first = {f"x{i + 1}": v / total_variance for i, v in enumerate(partial)}
    total = {
        f"x{i + 1}": v * math.prod(1 + w for j, w in enumerate(partial) if j != i) / total_variance
        for i, v in enumerate(partial)
    }
    return first, total


def evaluator(function, noise_sd: float = 0.0, names: tuple[str, ...] = ("x1", "x2", "x3")):
    """An Evaluator computing ``function`` of the named columns, plus Gaussian noise drawn
    from each run's own seed (as a stochastic model would)."""

    def evaluate(design: pd.DataFrame, *, replicates: int, seed: int) -> pd.DataFrame:
        rows = len(design)
        values = np.repeat(function(design[list(names)].to_numpy()), replicates)
        if noise_sd:
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
            values = values + rng.normal(0.0, noise_sd, size=values.shape)
        return pd.DataFrame(
            {
                "row": np.repeat(np.arange(rows), replicates),
                "replicate": np.tile(np.arange(replicates), rows),
                "y": values,
            }
        )

    return evaluate


def ishigami_factors(groups: tuple[str, str, str] = ("a", "b", "c")) -> list[Factor]:
    return [Factor(f"x{i + 1}", -math.pi, math.pi, g) for i, g in enumerate(groups)]


def by_factor(result, column: str) -> dict[str, float]:
    return dict(zip(result.indices["factor"], result.indices[column], strict=True))


def test_ishigami_first_and_total_within_002_at_n_1024():
    """Analytic S1 and ST recovered within 0.02 at n = 1024 (2 replicates of a deterministic
    function: the replicate-mean and noise path runs, with zero noise).

    Over 100 design seeds the largest of the six errors exceeded 0.02 for about 8% of seeds
    (Saltelli 2010 first-order estimator); seed 1 is the suite's usual seed, not a pick. The
    analytic values must also lie inside the 95% intervals, which holds for any seed.
    """
    result = sobol_analysis(
        ishigami_factors(),
        evaluator(_ishigami),
        SobolSettings(n=1024, replicates=2, level="parameter", outputs=("y",)),
        seed=1,
    )
    first, total = by_factor(result, "S1_estimate"), by_factor(result, "ST_estimate")
    for name in ISHIGAMI_S1:
        assert abs(first[name] - ISHIGAMI_S1[name]) <= 0.02, (name, first[name])
        assert abs(total[name] - ISHIGAMI_ST[name]) <= 0.02, (name, total[name])
    table = result.indices.set_index("factor")
    for name in ISHIGAMI_S1:
        assert table.loc[name, "S1_low"] <= ISHIGAMI_S1[name] <= table.loc[name, "S1_high"]
        assert table.loc[name, "ST_low"] <= ISHIGAMI_ST[name] <= table.loc[name, "ST_high"]
    assert not table.loc["x3", "S1_distinguishable"]  # S1 of x3 is exactly zero
    assert table["ST_distinguishable"].all()
    assert result.noise.loc[0, "noise_share"] == 0.0
    assert list(result.ranking("y")["factor"]) == ["x1", "x2", "x3"]


def test_ishigami_grouped_gives_closed_indices_of_groups():
    """Grouping {x1, x3} and {x2}: the group's first-order index is S1 + S3 + S13 = 0.5576
    and, with only two groups, its total index is 1 - S2 = 0.5576 (SALib groups)."""
    result = sobol_analysis(
        ishigami_factors(("odd", "even", "odd")),
        evaluator(_ishigami),
        SobolSettings(n=1024, replicates=1, level="category", outputs=("y",)),
        seed=1,
    )
    assert list(result.indices["factor"]) == ["odd", "even"]
    assert len(result.design) == 1024 * 4
    first, total = by_factor(result, "S1"), by_factor(result, "ST")
    expected_odd = ISHIGAMI_S1["x1"] + ISHIGAMI_S13
    assert abs(first["odd"] - expected_odd) <= 0.02
    assert abs(total["odd"] - expected_odd) <= 0.02
    assert abs(first["even"] - ISHIGAMI_S1["x2"]) <= 0.02
    assert abs(total["even"] - ISHIGAMI_ST["x2"]) <= 0.02


def test_second_order_on_request_recovers_the_x1_x3_interaction():
    result = sobol_analysis(
        ishigami_factors(),
        evaluator(_ishigami),
        SobolSettings(n=1024, replicates=1, level="parameter", outputs=("y",), second_order=True),
        seed=1,
    )
    pairs = result.second_order.set_index(["factor", "other"])
    assert len(result.design) == 1024 * 8
    assert abs(pairs.loc[("x1", "x3"), "S2_estimate"] - ISHIGAMI_S13) <= 0.05
    assert pairs.loc[("x1", "x3"), "distinguishable"]
    assert not pairs.loc[("x1", "x2"), "distinguishable"]
    assert not pairs.loc[("x2", "x3"), "distinguishable"]


def test_noise_share_is_measured_and_removed_from_the_indices():
    """Noisy Ishigami: noise with the function's own variance (noise share 0.5), 4
    replicates, and a fourth input with no effect at all.

    The noise share is recovered, and the no-effect input is not distinguishable from zero:
    without removing the noise left in the row means its total index would sit near their
    noise share (about 0.2) with an interval well clear of zero.
    """
    result = sobol_analysis(
        [*ishigami_factors(), Factor("x4", 0.0, 1.0, "d")],
        evaluator(_ishigami, noise_sd=math.sqrt(ISHIGAMI_VARIANCE)),
        SobolSettings(n=512, replicates=4, level="parameter", outputs=("y",)),
        seed=3,
    )
    noise = result.noise.iloc[0]
    assert abs(noise["noise_share"] - 0.5) <= 0.03
    assert 0.15 <= noise["noise_share_of_means"] <= 0.25
    table = result.indices.set_index("factor")
    assert not table.loc["x4", "distinguishable"]
    assert abs(table.loc["x4", "ST_estimate"]) <= 0.05
    for name in ("x1", "x2", "x3"):
        assert table.loc[name, "distinguishable"]
        assert abs(table.loc[name, "ST_estimate"] - ISHIGAMI_ST[name]) <= 0.08


def test_sobol_g_function_and_zero_covering_indices_never_negative():
    """G function: important inputs recovered; the two nearly inert inputs (a = 99, true
    indices about 3e-5) are flagged not distinguishable, and no reported value is negative
    anywhere, in the table, the ranking or the brief."""
    names = tuple(f"x{i + 1}" for i in range(len(G_A)))
    factors = [Factor(name, 0.0, 1.0, "g") for name in names]
    result = sobol_analysis(
        factors,
        evaluator(_g_function, names=names),
        SobolSettings(n=1024, replicates=1, level="parameter", outputs=("y",)),
        seed=1,
    )
    first, total = _g_indices()
    table = result.indices.set_index("factor")
    for name in ("x1", "x2", "x3"):
        assert abs(table.loc[name, "S1_estimate"] - first[name]) <= 0.03
        assert abs(table.loc[name, "ST_estimate"] - total[name]) <= 0.03
    for name in ("x5", "x6"):
        # Their first-order intervals reach zero. Their total indices are tiny but, with no
        # noise at all, still measurably above zero (the Jansen estimator is a mean of
        # squares), which is the truth: the effect is real, only negligible.
        assert not table.loc[name, "S1_distinguishable"]
        assert table.loc[name, "ST_high"] < 0.005
    reported = ["S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]
    assert (result.indices[reported] >= 0).all().all()
    assert (result.indices[reported] <= 1).all().all()
    ranking = result.ranking()
    assert set(ranking.tail(2)["factor"]) == {"x5", "x6"}
    brief = brief_markdown(result)
    assert not re.search(r"-\d+(\.\d+)?%", brief)
    assert "negligible" in brief and "x5" in brief.split("negligible")[1].split("\n")[0]


def test_negative_estimates_are_reported_as_zero_and_not_distinguishable():
    """A noisy model with one input that does nothing: its raw estimates scatter around
    zero, half of them below. Over a fixed list of seeds some are negative; every one of
    those is reported as 0 with the flag down, and the brief shows no negative number."""
    factors = [Factor("x1", -math.pi, math.pi, "a"), Factor("idle", 0.0, 1.0, "b")]
    settings = SobolSettings(n=64, replicates=2, level="parameter", outputs=("y",), bootstrap=200)
    rows = []
    for seed in range(1, 7):
        result = sobol_analysis(
            factors, evaluator(lambda x: np.sin(x[:, 0]), 0.5, ("x1",)), settings, seed=seed
        )
        rows.append(result.indices)
        assert not re.search(r"-\d+(\.\d+)?%", brief_markdown(result))
    table = pd.concat(rows)
    idle = table[table["factor"] == "idle"]
    negative = pd.concat(
        [
            idle.loc[idle["S1_estimate"] < 0, ["S1", "S1_distinguishable"]].set_axis(
                ["v", "d"], axis=1
            ),
            idle.loc[idle["ST_estimate"] < 0, ["ST", "ST_distinguishable"]].set_axis(
                ["v", "d"], axis=1
            ),
        ]
    )
    assert len(negative) >= 2
    assert (negative["v"] == 0).all() and not negative["d"].any()
    assert not idle["distinguishable"].any()
    assert table[table["factor"] == "x1"]["distinguishable"].all()


def test_morris_ranks_the_g_function_and_flags_the_inert_inputs():
    names = tuple(f"x{i + 1}" for i in range(len(G_A)))
    factors = [
        Factor(name, 0.0, 1.0, "important" if i < 3 else "minor") for i, name in enumerate(names)
    ]
    result = morris_analysis(
        factors,
        evaluator(_g_function, noise_sd=0.1, names=names),
        MorrisSettings(trajectories=40, replicates=2, outputs=("y",)),
        seed=2,
    )
    table = result.morris.set_index("factor")
    mu_star = table["mu_star"]
    assert mu_star["x1"] > mu_star["x2"] > mu_star["x3"] > mu_star["x5"]
    assert table.loc[["x1", "x2", "x3"], "distinguishable"].all()
    assert not table.loc[["x5", "x6"], "distinguishable"].any()
    floor = table["noise_floor"].iloc[0]
    assert 0 < floor < mu_star["x3"]
    # The inputs with (almost) no effect sit at the floor: the floor formula is right.
    assert np.allclose(mu_star[["x5", "x6"]], floor, rtol=0.3)
    assert (table["mu_star_low"] <= mu_star).all() and (mu_star <= table["mu_star_high"]).all()
    assert len(result.design) == 40 * (len(names) + 1)


def test_a_screening_of_many_idle_inputs_seldom_calls_one_distinguishable():
    """One input moves the output, 29 do nothing and the runs are noisy. Each idle input's
    interval clears the noise floor now and then by chance (one in forty), so five Morris and
    five Sobol analyses once called eight idle inputs distinguishable between them; held to
    the false discovery rate over the inputs, they call none or almost none, and the input
    that matters every time."""
    names = ("x1", *(f"idle{i}" for i in range(29)))
    factors = [Factor(name, 0.0, 1.0, "a") for name in names]
    model = evaluator(lambda x: 3 * x[:, 0], noise_sd=0.5, names=names)
    idle, found = 0, 0
    for seed in range(1, 6):
        morris = morris_analysis(
            factors, model, MorrisSettings(trajectories=30, replicates=2, outputs=("y",),
                                           bootstrap=500), seed=seed
        ).morris.set_index("factor")["distinguishable"]  # fmt: skip
        sobol = sobol_analysis(
            factors, model, SobolSettings(n=128, replicates=2, level="parameter",
                                          outputs=("y",), bootstrap=300), seed=seed
        ).indices.set_index("factor")["distinguishable"]  # fmt: skip
        for called in (morris, sobol):
            idle += int(called.drop("x1").sum())
            found += bool(called["x1"])
    assert idle <= 2 and found == 10, (idle, found)


def test_one_estimate_is_surely_above_its_floor_exactly_when_its_interval_is():
    rng = np.random.default_rng(4)
    value = rng.normal(size=400)
    low = value - rng.uniform(0.0, 2.0, size=400)
    for one in range(400):
        alone = surely_above(value[one : one + 1], low[one : one + 1], 0.0, 0.95)
        assert bool(alone[0]) == bool(low[one] > 0), (value[one], low[one])
    # Together, the weakest of them are held back: fewer pass than each alone.
    together = surely_above(value, low, 0.0, 0.95)
    assert together.sum() < (low > 0).sum() and not (together & ~(low > 0)).any()
    assert not surely_above(np.array([0.2]), np.array([0.2]), 0.3, 0.95)[0]
    assert surely_above(np.array([0.5]), np.array([0.5]), 0.3, 0.95)[0]


def test_same_seed_same_indices_other_seed_other_intervals():
    settings = SobolSettings(n=128, replicates=2, level="parameter", outputs=("y",))
    noisy = evaluator(_ishigami, noise_sd=1.0)
    first = sobol_analysis(ishigami_factors(), noisy, settings, seed=11)
    again = sobol_analysis(ishigami_factors(), noisy, settings, seed=11)
    other = sobol_analysis(ishigami_factors(), noisy, settings, seed=12)
    pd.testing.assert_frame_equal(first.indices, again.indices, check_exact=True)
    pd.testing.assert_frame_equal(first.convergence, again.convergence, check_exact=True)
    pd.testing.assert_frame_equal(first.design, again.design, check_exact=True)
    assert not np.array_equal(first.indices["S1_low"], other.indices["S1_low"])


def test_convergence_view_doubles_n_and_intervals_narrow():
    result = sobol_analysis(
        ishigami_factors(),
        evaluator(_ishigami),
        SobolSettings(n=1024, replicates=1, level="parameter", outputs=("y",)),
        seed=1,
    )
    conv = result.convergence
    assert sorted(conv["n"].unique()) == [64, 128, 256, 512, 1024]
    widths = conv[conv["index"] == "ST"].pivot(index="factor", columns="n", values="width")
    assert (widths[1024] < widths[64] / 2).all()
    last = conv[(conv["n"] == 1024) & (conv["index"] == "ST")].set_index("factor")["value"]
    assert np.allclose(last, result.indices.set_index("factor")["ST_estimate"])


def test_failed_or_missing_runs_stop_the_analysis():
    def broken(design: pd.DataFrame, *, replicates: int, seed: int) -> pd.DataFrame:
        frame = evaluator(_ishigami)(design, replicates=replicates, seed=seed)
        frame["error"] = None
        frame.loc[3, "error"] = "ValueError: boom"
        return frame

    def short(design: pd.DataFrame, *, replicates: int, seed: int) -> pd.DataFrame:
        return evaluator(_ishigami)(design, replicates=replicates, seed=seed).iloc[1:]

    settings = SobolSettings(n=16, replicates=1, level="parameter", outputs=("y",))
    with pytest.raises(RunsError, match="1 of 80 runs failed"):
        sobol_analysis(ishigami_factors(), broken, settings, seed=1)
    with pytest.raises(RunsError, match="missing or repeated"):
        sobol_analysis(ishigami_factors(), short, settings, seed=1)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SobolSettings(n=100), "power of two"),
        (lambda: SobolSettings(n=64, replicates=0), "replicates"),
        (lambda: SobolSettings(n=64, confidence=1.5), "confidence"),
        (lambda: SobolSettings(n=64, bootstrap=10), "bootstrap"),
        (lambda: MorrisSettings(trajectories=2), "trajectories"),
        (lambda: MorrisSettings(levels=5), "levels"),
    ],
)
def test_bad_settings_are_input_errors(make, message):
    with pytest.raises(SensitivityError, match=message):
        make()


def test_the_brief_states_how_often_the_leading_factor_leads():
    """The share of bootstrap resamples in which each factor's total index is the largest is
    in ``leads``; the brief states it beside the leader, worded as open below 80% (at
    n = 256, Ishigami's x1 and x2 have total indices 0.56 and 0.44, close enough to be)."""
    result = sobol_analysis(
        ishigami_factors(),
        evaluator(_ishigami),
        SobolSettings(n=256, replicates=2, outputs=("y",), bootstrap=200),
        seed=1,
    )
    leads = by_factor(result, "leads")
    assert sum(leads.values()) == pytest.approx(1.0)
    assert leads["c"] == 0.0
    brief = brief_markdown(result)
    share = math.floor(100 * leads["a"])
    line = f"a has the largest total effect on y (holds in {share}% of resamples"
    assert line in brief
    assert ("**Open**: whether " + line in brief) == (leads["a"] < 0.8)


def test_a_morris_brief_states_how_often_the_leading_input_leads():
    result = morris_analysis(
        ishigami_factors(),
        evaluator(_ishigami, noise_sd=0.1),
        MorrisSettings(
            trajectories=20, replicates=2, outputs=("y",), bootstrap=200, level="parameter"
        ),
        seed=1,
    )
    leads = dict(zip(result.morris["factor"], result.morris["leads"], strict=True))
    assert sum(leads.values()) == pytest.approx(1.0)
    top = result.ranking("y").iloc[0]["factor"]
    share = math.floor(100 * leads[top])
    assert f"{top} has the largest mu* on y (holds in {share}% of resamples" in brief_markdown(
        result
    )
