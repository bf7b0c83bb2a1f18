"""The point estimate is the posterior set that meets every target most often.

Successive halving picks the truly best candidate on a toy problem with known rates (and a
selection blind to fit does not); the same seed gives the same choice on a process pool of
one worker and of two; the point estimate's runs are on seeds the selection never used.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.calibration import SHIPPED, CalibrationSettings, calibrate, prepare
from sim.calibration.abc import Sample
from sim.calibration.best_fit import BEST_FIT_STAGE, best_fit, distinct_sets, round_seed
from sim.calibration.fit import DEFAULTS_STAGE, POINT_STAGE, PREDICTIVE_STAGE
from sim.calibration.halving import Schedule, successive_halving
from sim.calibration.settings import SettingsError, settings_from_mapping
from sim.calibration.stages import StageRunner
from sim.execution import Execution
from sim.seeds import stage_seed
from sim.sweep.executors import Executors

STANDARD = Schedule(first=20, keep=0.25, growth=2, finalists=3)


def _toy_rates(seed: int) -> tuple[np.ndarray, int]:
    """Known joint pass rates of 200 candidates: most poor, a few good, one best (0.6)."""
    rng = np.random.default_rng(seed)
    rates = rng.uniform(0.0, 0.3, 200)
    rates[rng.choice(200, 8, replace=False)] = 0.45
    best = int(rng.integers(1, 200))
    rates[best] = 0.6
    return rates, best


def _binomial(rates: np.ndarray, seed: int):
    """A simulator of the toy: each round's passes drawn from the candidates' true rates."""

    def simulate(number: int, alive: np.ndarray, replicates: int) -> np.ndarray:
        rng = np.random.default_rng([seed, number])
        return rng.binomial(replicates, rates[alive])

    return simulate


@pytest.mark.parametrize("seed", range(10))
def test_successive_halving_picks_the_truly_best_candidate(seed):
    rates, best = _toy_rates(seed)
    table = successive_halving(len(rates), _binomial(rates, seed), STANDARD)
    assert table["chosen"].sum() == 1
    assert int(np.flatnonzero(table["chosen"])[0]) == best
    # the finalists have several hundred runs each, the rest far fewer
    finalists = table[table["round"] == table["round"].max()]
    assert len(finalists) == 3 and (finalists["runs"] >= 600).all()
    assert table["runs"].sum() == STANDARD.runs(len(rates))


def test_a_selection_blind_to_fit_misses_the_best():
    """Negative control: with counts that say nothing of the candidates, the choice misses."""
    rates, best = _toy_rates(0)

    def blind(number: int, alive: np.ndarray, replicates: int) -> np.ndarray:
        return np.zeros(len(alive), dtype=np.int64)

    table = successive_halving(len(rates), blind, STANDARD)
    assert int(np.flatnonzero(table["chosen"])[0]) != best


def test_the_schedule_narrows_to_the_finalists():
    assert STANDARD.rounds(534) == [(534, 20), (134, 40), (34, 80), (9, 160), (3, 320)]
    assert STANDARD.runs(534) == 21_160
    assert STANDARD.rounds(2) == [(2, 20)]
    assert STANDARD.rounds(0) == []
    # a keep near 1 still ends: one candidate fewer each round at least
    assert Schedule(first=1, keep=0.99, growth=1, finalists=1).rounds(4) == [
        (4, 1),
        (3, 1),
        (2, 1),
        (1, 1),
    ]
    table = successive_halving(0, _binomial(np.empty(0), 0), STANDARD)
    assert table.empty


def _sample(particles: np.ndarray, weights: np.ndarray) -> Sample:
    n = len(particles)
    return Sample(
        1.0,
        particles,
        weights / weights.sum(),
        np.ones(n, dtype=np.int64),
        np.ones(n),
        np.arange(n, dtype=np.int64),
    )


def test_candidates_are_the_distinct_sets_heaviest_first_when_capped():
    particles = np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0], [5.0, 6.0], [7.0, 8.0]])
    sample = _sample(particles, np.array([1.0, 1.0, 1.0, 3.0, 2.0]))
    assert list(distinct_sets(sample, 10)) == [0, 1, 3, 4]
    assert list(distinct_sets(sample, 2)) == [3, 4]


SMALL = CalibrationSettings(best_fit_replicates=2, best_fit_keep=0.5, best_fit_finalists=2, seed=3)


def _choose(workers: int, folder) -> pd.DataFrame:
    problem = prepare(SHIPPED, SMALL)
    rng = np.random.default_rng(11)
    low = np.array([problem.prior[n][0] for n in problem.inputs])
    high = np.array([problem.prior[n][1] for n in problem.inputs])
    particles = low + (high - low) * rng.random((10, len(low)))
    execution = Execution("process", workers, chunk_size=3)
    # One pool for every round, as a calibration keeps one for all its stages.
    with Executors(execution) as pool:
        runner = StageRunner(problem, folder, execution, None, pool=pool)
        return best_fit(problem, runner, _sample(particles, np.ones(10)))


def test_the_same_seed_gives_the_same_choice_on_one_worker_or_two(tmp_path):
    one = _choose(1, tmp_path / "one")
    two = _choose(2, tmp_path / "two")
    pd.testing.assert_frame_equal(one, two)
    assert one["chosen"].sum() == 1
    assert list(one["runs"].value_counts().sort_index().index) == [2, 6, 14, 30]


def test_the_point_estimate_runs_on_seeds_the_selection_never_used(tmp_path):
    settings = CalibrationSettings(
        screening=60,
        particles=40,
        generations=2,
        predictive=4,
        predictive_replicates=1,
        point_replicates=20,
        defaults_replicates=2,
        best_fit_replicates=2,
        best_fit_finalists=2,
        bootstrap=20,
        quantile=0.5,
        min_ess=0.05,
        seed=5,
    )
    out = tmp_path / "calibration"
    result = calibrate(SHIPPED, settings, out=out, executor="serial")
    seeds = json.loads((out / "manifest.json").read_text())["seeds"]
    rounds = {int(r): s for r, s in seeds["best_fit"].items()}
    assert rounds == {r: round_seed(5, r) for r in range(len(rounds))} and len(rounds) >= 2
    others = {seeds[k] for k in ("screening", "predictive", "point_estimate", "defaults")}
    others |= set(seeds["generations"].values())
    assert not others & set(rounds.values())
    assert max(PREDICTIVE_STAGE, POINT_STAGE, DEFAULTS_STAGE) < BEST_FIT_STAGE
    assert seeds["point_estimate"] == stage_seed(5, POINT_STAGE)
    # the chosen set is the one the point estimate ran at, and the scenario's defaults
    selection = result.selection
    chosen = selection.loc[selection["chosen"]].iloc[0]
    estimate = result.point_estimate()
    assert estimate == {n: float(chosen[n]) for n in result.problem.inputs}
    assert (
        chosen["rate"]
        == selection.loc[selection["round"] == selection["round"].max(), "rate"].max()
    )
    assert len(result.point) == 20
    assert (out / "best_fit.parquet").is_file()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("best_fit_keep", 1.0),
        ("best_fit_keep", 0.0),
        ("best_fit_growth", 0),
        ("best_fit_finalists", 0),
        ("best_fit_replicates", 0),
        ("best_fit_candidates", 0),
    ],
)
def test_bad_selection_settings_are_one_line(field, value):
    with pytest.raises(SettingsError, match=field) as caught:
        settings_from_mapping({field: value}, "exp.toml")
    assert "\n" not in str(caught.value)
