"""The kernel's Poisson sampler draws the Poisson distribution (sim.kernel.poisson).

For each mean, 200,000 draws from a fixed seed are compared with the Poisson probabilities by
a chi-square goodness-of-fit test (counts pooled so that every expected count is at least 20)
at alpha = 0.001; mean and variance must match too. A negative control: the same test rejects
draws of a mean 3% off.
"""

import numpy as np
import pytest
from numba import njit
from scipy import stats

from sim.kernel import INVERSION_BELOW, poisson

ALPHA = 0.001
DRAWS = 200_000


@njit(cache=True)
def _sample(rng, mean, size):  # type: ignore[no-untyped-def]
    out = np.empty(size, dtype=np.int64)
    for i in range(size):
        out[i] = poisson(rng, mean)
    return out


def _pvalue(draws: np.ndarray, mean: float) -> float:
    """Chi-square goodness of fit of ``draws`` to Poisson(``mean``), tail cells pooled."""
    top = int(stats.poisson.ppf(1 - 1e-4, mean)) + 1
    edges = np.arange(top + 1)
    observed = np.bincount(np.minimum(draws, top), minlength=top + 1).astype(float)
    expected = stats.poisson.pmf(edges, mean) * len(draws)
    expected[-1] = stats.poisson.sf(top - 1, mean) * len(draws)
    keep = expected >= 20
    pooled_obs = np.append(observed[keep], observed[~keep].sum())
    pooled_exp = np.append(expected[keep], expected[~keep].sum())
    if pooled_exp[-1] < 20:
        pooled_obs[-2] += pooled_obs[-1]
        pooled_exp[-2] += pooled_exp[-1]
        pooled_obs, pooled_exp = pooled_obs[:-1], pooled_exp[:-1]
    return float(stats.chisquare(pooled_obs, pooled_exp).pvalue)


@pytest.mark.parametrize("mean", [0.05, 0.4, 1.33, 3.0, 7.5, 9.99, 10.0, 25.0])
def test_draws_follow_the_poisson_distribution(mean):
    draws = _sample(np.random.default_rng(20140127), mean, DRAWS)
    assert _pvalue(draws, mean) > ALPHA
    assert draws.mean() == pytest.approx(mean, rel=0.02, abs=0.002)
    assert draws.var() == pytest.approx(mean, rel=0.03, abs=0.003)


def test_a_mean_of_zero_draws_nothing():
    rng = np.random.default_rng(3)
    state = rng.bit_generator.state
    assert (_sample(rng, 0.0, 100) == 0).all()
    assert rng.bit_generator.state == state


def test_small_means_take_one_uniform_each():
    rng, twin = np.random.default_rng(4), np.random.default_rng(4)
    _sample(rng, INVERSION_BELOW / 2, 1000)
    twin.random(1000)
    assert rng.bit_generator.state == twin.bit_generator.state


def test_the_check_detects_a_wrong_mean():
    draws = _sample(np.random.default_rng(20140127), 1.33 * 1.03, DRAWS)
    assert _pvalue(draws, 1.33) < ALPHA
