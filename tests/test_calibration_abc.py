"""The ABC-SMC core on problems with known answers.

Toy: the mean ``mu`` of a normal sample of 100 draws with unit variance, observed mean 1.0,
uniform prior on [-5, 5], distance ``|sample mean - 1| / 0.01``. Accepting at epsilon ``e``
means ``|mu + Z / 10 - 1| <= e / 100`` (Z standard normal), so the exact ABC posterior at
that epsilon is the normal posterior N(1, 0.1**2) convolved with a uniform of half-width
``e / 100``: mean 1, variance ``0.01 + (e / 100)**2 / 3``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp

from sim.calibration import abc
from sim.calibration.abc import (
    Box,
    Kernel,
    Population,
    Settings,
    _log_normal_mass,
    abc_smc,
    ess,
    pool,
)

BOX = Box(("mu",), np.array([-5.0]), np.array([5.0]))


def toy_model(generation: int, particles: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(np.random.SeedSequence(11, spawn_key=(generation,)))
    sample_mean = particles[:, :1] + rng.normal(size=(len(particles), 2)) / 10.0
    return np.abs(sample_mean - 1.0) / 0.01


def _moments(populations: list[Population]) -> tuple[float, float, float]:
    sample = pool(populations)
    x, w = sample.particles[:, 0], sample.weights
    mean = float(np.sum(w * x))
    return mean, float(np.sqrt(np.sum(w * (x - mean) ** 2))), sample.epsilon


def test_normal_mean_matches_the_exact_abc_posterior():
    settings = Settings(particles=2000, generations=8, ess_fraction=0.3, floor=1.0, seed=3)
    populations = abc_smc(toy_model, BOX, settings)
    mean, sd, epsilon = _moments(populations)
    assert populations[-1].epsilon < populations[0].epsilon / 10  # epsilon came down
    exact_sd = np.sqrt(0.01 + (epsilon / 100) ** 2 / 3)
    ess_final = pool(populations).ess
    # Monte Carlo error of a weighted mean and sd with this ESS, times a generous 4
    assert mean == pytest.approx(1.0, abs=4 * exact_sd / np.sqrt(ess_final))
    assert sd == pytest.approx(exact_sd, rel=4 / np.sqrt(2 * ess_final))


def test_a_wrong_posterior_is_caught():
    """The same check fails when the model's noise is twice what the formula assumes (the
    test can fail)."""

    def noisier(generation: int, particles: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng(np.random.SeedSequence(11, spawn_key=(generation,)))
        sample_mean = particles[:, :1] + rng.normal(size=(len(particles), 2)) / 5.0
        return np.abs(sample_mean - 1.0) / 0.01

    settings = Settings(particles=2000, generations=8, ess_fraction=0.3, floor=1.0, seed=3)
    _, sd, epsilon = _moments(abc_smc(noisier, BOX, settings))
    exact_sd = np.sqrt(0.01 + (epsilon / 100) ** 2 / 3)
    assert abs(sd - exact_sd) > 0.25 * exact_sd


def test_same_seed_same_posterior_and_resume_is_exact():
    settings = Settings(particles=300, generations=4, ess_fraction=0.3, floor=1.0, seed=8)
    first = abc_smc(toy_model, BOX, settings)
    again = abc_smc(toy_model, BOX, settings)
    resumed = abc_smc(toy_model, BOX, settings, done=first[:2])
    for a, b, c in zip(first, again, resumed, strict=True):
        np.testing.assert_array_equal(a.particles, b.particles)
        np.testing.assert_array_equal(a.weights, c.weights)
        assert a.epsilon == b.epsilon == c.epsilon
    other = abc_smc(toy_model, BOX, Settings(300, 4, 0.3, 1.0, seed=9))
    assert not np.array_equal(other[-1].particles, first[-1].particles)


def test_truncated_kernel_density_integrates_to_one_and_matches_its_samples():
    box = Box(("a", "b"), np.array([0.0, -1.0]), np.array([1.0, 2.0]))
    centres = np.array([[0.05, 1.9], [0.5, 0.0], [0.95, -0.9]])
    kernel = Kernel(box, centres, np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.6]), 0.2)
    rng = np.random.default_rng(0)
    uniform = box.sample(rng, 200_000)
    volume = float(np.prod(box.high - box.low))
    integral = np.exp(kernel.log_density(uniform)).mean() * volume
    assert integral == pytest.approx(1.0, abs=0.01)
    draws = kernel.sample(rng, 200_000)
    assert box.contains(draws).all()
    # Probability of a sub-box: share of draws vs integral of the density
    inside = (draws[:, 0] < 0.3) & (draws[:, 1] > 1.0)
    sub = (uniform[:, 0] < 0.3) & (uniform[:, 1] > 1.0)
    by_density = np.exp(kernel.log_density(uniform[sub])).sum() * volume / len(uniform)
    assert inside.mean() == pytest.approx(by_density, abs=0.01)


def test_effective_sample_size():
    assert ess(np.ones(10)) == pytest.approx(10)
    assert ess(np.array([1.0, 0.0, 0.0])) == pytest.approx(1)
    assert ess(np.zeros(3)) == 0.0


def _whole_array_log_density(kernel, points):
    """The kernel density computed in one (points, centres, dimensions) array, as it was
    before it was computed in blocks."""
    a, b = kernel._limits()
    log_mass = _log_normal_mass(a, b)
    z = (points[:, None, :] - kernel.centres[None]) / kernel.scale
    log_pdf = -0.5 * z**2 - np.log(kernel.scale) - 0.5 * np.log(2 * np.pi) - log_mass[None]
    mixture = logsumexp(log_pdf.sum(axis=2) + np.log(kernel.weights)[None], axis=1)
    log_prior = -float(np.sum(np.log(kernel.box.high - kernel.box.low)))
    return np.logaddexp(np.log(kernel.defensive) + log_prior, np.log1p(-kernel.defensive) + mixture)


@pytest.mark.parametrize("block", [1, 7, 16 * 40, 1 << 21])
def test_blockwise_kernel_density_is_identical_to_the_whole_array(monkeypatch, block):
    monkeypatch.setattr(abc, "BLOCK_ELEMENTS", block)
    rng = np.random.default_rng(3)
    box = Box(tuple("abcdefghijklmnop"), np.zeros(16), np.linspace(1.0, 4.0, 16))
    centres = box.sample(rng, 40)
    weights = rng.random(40)
    kernel = Kernel(box, centres, weights / weights.sum(), np.linspace(0.05, 0.8, 16), 0.2)
    points = np.concatenate([box.sample(rng, 97), centres[:3]])
    np.testing.assert_array_equal(
        kernel.log_density(points), _whole_array_log_density(kernel, points)
    )
