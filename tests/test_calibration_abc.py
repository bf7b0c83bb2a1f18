"""The ABC-SMC core on problems with known answers.

Toy: the mean ``mu`` of a normal sample of 100 draws with unit variance, observed mean 1.0,
uniform prior on [-5, 5], distance ``|sample mean - 1| / 0.01``. Accepting at epsilon ``e``
means ``|mu + Z / 10 - 1| <= e / 100`` (Z standard normal), so the exact ABC posterior at
that epsilon is the normal posterior N(1, 0.1**2) convolved with a uniform of half-width
``e / 100``: mean 1, variance ``0.01 + (e / 100)**2 / 3``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.special import logsumexp

from sim.calibration import abc, kernels
from sim.calibration.abc import Box, Population, Settings, abc_smc, ess, pool
from sim.calibration.kernels import Kernel, LocalCovarianceKernel, _log_normal_mass

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


def _check_density(kernel, box, rng, corner, integral_tolerance=0.01):
    """The kernel's density integrates to one over the box, its draws stay in the box, and
    the share of draws in the sub-box below ``corner`` (upper bounds; None: the box's) is
    the integral of the density over it."""
    uniform = box.sample(rng, 400_000)
    volume = float(np.prod(box.high - box.low))
    integral = np.exp(kernel.log_density(uniform)).mean() * volume
    assert integral == pytest.approx(1.0, abs=integral_tolerance)
    draws = kernel.sample(rng, 200_000)
    assert box.contains(draws).all()
    bound = np.array([box.high[i] if c is None else c for i, c in enumerate(corner)])
    inside = np.all(draws <= bound, axis=1)
    sub = np.all(uniform <= bound, axis=1)
    by_density = np.exp(kernel.log_density(uniform[sub])).sum() * volume / len(uniform)
    assert inside.mean() == pytest.approx(by_density, abs=0.01)


@pytest.mark.parametrize("kernel", ["diagonal", "local"])
def test_normal_mean_matches_the_exact_abc_posterior(kernel):
    settings = Settings(
        particles=2000, generations=8, ess_fraction=0.3, epsilon_floor=1.0, seed=3, kernel=kernel
    )
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

    settings = Settings(particles=2000, generations=8, ess_fraction=0.3, epsilon_floor=1.0, seed=3)
    _, sd, epsilon = _moments(abc_smc(noisier, BOX, settings))
    exact_sd = np.sqrt(0.01 + (epsilon / 100) ** 2 / 3)
    assert abs(sd - exact_sd) > 0.25 * exact_sd


@pytest.mark.parametrize("kernel", ["diagonal", "local"])
def test_same_seed_same_posterior_and_resume_is_exact(kernel):
    settings = Settings(
        particles=300, generations=4, ess_fraction=0.3, epsilon_floor=1.0, seed=8, kernel=kernel
    )
    first = abc_smc(toy_model, BOX, settings)
    again = abc_smc(toy_model, BOX, settings)
    # a resumed run has the stored generations only, without the kernels they came from
    stored = [replace(p, proposal=None) for p in first[:2]]
    resumed = abc_smc(toy_model, BOX, settings, done=stored)
    for a, b, c in zip(first, again, resumed, strict=True):
        np.testing.assert_array_equal(a.particles, b.particles)
        np.testing.assert_array_equal(a.weights, c.weights)
        assert a.epsilon == b.epsilon == c.epsilon
    np.testing.assert_array_equal(pool(first).weights, pool(resumed).weights)
    other = abc_smc(toy_model, BOX, Settings(300, 4, 0.3, 1.0, seed=9, kernel=kernel))
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
    monkeypatch.setattr(kernels, "BLOCK_ELEMENTS", block)
    rng = np.random.default_rng(3)
    box = Box(tuple("abcdefghijklmnop"), np.zeros(16), np.linspace(1.0, 4.0, 16))
    centres = box.sample(rng, 40)
    weights = rng.random(40)
    kernel = Kernel(box, centres, weights / weights.sum(), np.linspace(0.05, 0.8, 16), 0.2)
    points = np.concatenate([box.sample(rng, 97), centres[:3]])
    np.testing.assert_array_equal(
        kernel.log_density(points), _whole_array_log_density(kernel, points)
    )
    # Again, with the box masses the first call worked out and kept.
    np.testing.assert_array_equal(
        kernel.log_density(points[::-1]), _whole_array_log_density(kernel, points[::-1])
    )


def test_local_covariance_kernel_density_integrates_to_one_and_matches_its_samples():
    box = Box(("a", "b", "c"), np.array([0.0, -1.0, 2.0]), np.array([1.0, 2.0, 5.0]))
    rng = np.random.default_rng(4)
    # accepted particles along a tilted ridge, one of them near an edge of the box
    t = rng.random(200)
    particles = np.column_stack(
        [0.1 + 0.8 * t, -0.5 + 2.0 * t + 0.1 * rng.standard_normal(200), 2.5 + 2 * rng.random(200)]
    )
    particles = np.clip(particles, box.low + 0.01, box.high - 0.01)
    kernel = LocalCovarianceKernel.fit(box.low, box.high, particles, rng.random(200), 0.2)
    _check_density(kernel, box, rng, [0.4, 0.5, None], integral_tolerance=0.02)


def test_mixture_weights_recover_a_posterior_at_the_edge_of_the_box():
    """A posterior pressed against an edge of the prior (the mean of a normal sample
    observed at 0, the prior [0, 5]): the exact ABC posterior is the normal posterior
    N(0, 0.1**2) blurred by the tolerance and cut at 0, a half-normal whose mean is
    sd * sqrt(2 / pi)."""
    box = Box(("mu",), np.array([0.0]), np.array([5.0]))

    def model(generation: int, particles: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng(np.random.SeedSequence(5, spawn_key=(generation,)))
        return np.abs(particles[:, :1] + rng.normal(size=(len(particles), 1)) / 10.0) / 0.01

    settings = Settings(
        particles=2000, generations=8, ess_fraction=0.3, epsilon_floor=1.0, seed=2, kernel="local"
    )
    populations = abc_smc(model, box, settings)
    sample = pool(populations)
    sd = np.sqrt(0.01 + (sample.epsilon / 100) ** 2 / 3)
    mean = float(sample.weights @ sample.particles[:, 0])
    assert sample.ess > 300
    assert mean == pytest.approx(sd * np.sqrt(2 / np.pi), abs=4 * sd / np.sqrt(sample.ess))


def test_coordinate_shares_keep_the_kernel_a_density_that_matches_its_samples():
    box = Box(("a", "b", "c"), np.array([0.0, -1.0, 2.0]), np.array([1.0, 2.0, 5.0]))
    centres = np.array([[0.05, 1.9, 2.5], [0.5, 0.0, 4.0], [0.95, -0.9, 3.0]])
    kernel = Kernel(
        box,
        centres,
        np.array([0.5, 0.3, 0.2]),
        np.array([0.2, 0.6, 0.5]),
        0.2,
        np.array([0.0, 0.5, 0.9]),
    )
    _check_density(kernel, box, np.random.default_rng(1), [0.3, None, 3.0])


def test_a_parameter_spread_over_its_range_is_proposed_from_its_range():
    box = Box(("pinned", "free"), np.zeros(2), np.ones(2))
    rng = np.random.default_rng(2)
    particles = np.column_stack([0.5 + 0.01 * rng.standard_normal(500), rng.random(500)])
    sample = abc.Sample(
        1.0, particles, np.full(500, 1 / 500), np.ones(500, np.int64), np.ones(500), np.arange(500)
    )
    kernel = Kernel.around(sample, box, 0.0, 0.9)
    share = np.asarray(kernel.coordinate)
    assert share[0] < 0.01
    assert share[1] == pytest.approx(0.9, abs=0.1)


@pytest.mark.parametrize("kernel", ["diagonal", "local"])
def test_mixture_pool_weighs_every_generation_against_every_proposal(kernel):
    """The pooled weights are prior / (mixture of the generations' proposals), recomputed
    here from the kernels directly."""
    settings = Settings(
        particles=400,
        generations=4,
        ess_fraction=1.0,
        epsilon_floor=1.0,
        seed=5,
        kernel=kernel,
        coordinate=0.5,
    )
    populations = abc_smc(toy_model, BOX, settings)
    sample = pool(populations)
    drawn = populations[1:]
    counts = np.array([len(p.particles) for p in drawn], float)
    log_q = logsumexp(
        [
            np.log(n / counts.sum()) + p.proposal.log_density(sample.particles)
            for n, p in zip(counts, drawn, strict=True)
        ],
        axis=0,
    )
    expected = sample.acceptance * np.exp(-(log_q - log_q.min()))
    np.testing.assert_allclose(sample.weights, expected / expected.sum(), rtol=1e-9)
    assert set(sample.generation) > {populations[-1].generation}


def test_pooled_weights_from_the_density_cache_equal_those_worked_out_afresh():
    """A pool asks each proposal for its density at every generation's accepted rows; the
    answers kept from earlier pools (the same rows, or fewer at a smaller epsilon) give the
    weights, to the bit, that densities worked out anew give."""
    settings = Settings(particles=300, generations=5, ess_fraction=1.0, epsilon_floor=0.5, seed=4)
    populations = abc_smc(toy_model, BOX, settings)

    def fresh(epsilon: float) -> np.ndarray:
        emptied = [replace(p, densities={}, epsilon=epsilon) for p in populations]
        return pool(emptied).weights

    last = populations[-1].epsilon
    np.testing.assert_array_equal(pool(populations).weights, fresh(last))
    np.testing.assert_array_equal(pool(populations).weights, fresh(last))  # all from the cache
    smaller = [replace(p, epsilon=last / 2) for p in populations]  # caches shared, fewer rows
    np.testing.assert_array_equal(pool(smaller).weights, fresh(last / 2))
    # The control: the weights do come from the cache, so a wrong entry in it shows.
    proposer = populations[1]
    rows, values = proposer.densities[populations[2].generation]
    proposer.densities[populations[2].generation] = (rows, values + 1.0)
    assert not np.array_equal(pool(populations).weights, fresh(last))


def test_densities_only_where_a_particle_can_be_accepted_change_nothing(monkeypatch):
    """A generation works out its proposal density only at particles with a replicate
    within the previous epsilon; its epsilon and weights are those of the density at every
    particle, to the bit."""
    settings = Settings(particles=300, generations=5, ess_fraction=1.0, epsilon_floor=0.5, seed=6)
    asked: list[float] = []
    reachable = abc._reachable

    def counted(distances, upper):
        needed = reachable(distances, upper)
        asked.append(float(needed.mean()))
        return needed

    monkeypatch.setattr(abc, "_reachable", counted)
    lean = abc_smc(toy_model, BOX, settings)
    assert min(asked) < 1.0, "some particles were left out"
    monkeypatch.setattr(abc, "_reachable", lambda d, upper: np.ones(len(d), dtype=bool))
    full = abc_smc(toy_model, BOX, settings)
    for a, b in zip(lean, full, strict=True):
        assert a.epsilon == b.epsilon
        np.testing.assert_array_equal(a.weights, b.weights)
    # The control: leaving out particles that can be accepted does show.
    monkeypatch.setattr(abc, "_reachable", lambda d, upper: np.arange(len(d)) % 2 == 0)
    with np.errstate(invalid="ignore"):
        broken = abc_smc(toy_model, BOX, settings)
    assert any(not np.array_equal(a.weights, b.weights) for a, b in zip(broken, full, strict=False))


def test_a_generation_that_met_nothing_leaves_epsilon_where_it_was():
    settings = Settings(particles=50, generations=3, ess_fraction=1.0, epsilon_floor=1.0, seed=1)
    rng = np.random.default_rng(0)
    particles = BOX.sample(rng, 50)
    previous = Population(4, 2.0, particles, np.full((50, 1), 9.0), np.zeros(50))
    distances = np.where(np.arange(50)[:, None] < 10, 1.5, 9.0)
    epsilon = abc.choose_epsilon(particles, distances, np.zeros(50), BOX, previous, settings)
    assert epsilon == 2.0
