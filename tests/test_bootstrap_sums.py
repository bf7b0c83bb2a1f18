"""The compiled bootstrap sums of Sobol indices give the numpy path's floats, bit for bit.

``sim.sensitivity.estimators`` bootstraps first and total indices through
:func:`sim.sensitivity.resampled.saltelli_sums` instead of taking every resample's rows and
reducing them with numpy. The intervals must not move by a single bit, so each check compares
the bytes of both paths; the negative control shows that such a comparison catches the same
sums added in another order.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.sensitivity import estimators
from sim.sensitivity.estimators import _Blocks, _first_total, _resampled_first_total, _split


def _blocks(n: int, k: int, seed: int) -> _Blocks:
    """A Saltelli design's centred row means and noise variances, drawn at random."""
    rng = np.random.default_rng(seed)
    means = rng.normal(size=n * (k + 2)) * 10.0 ** rng.integers(-3, 3)
    noise = rng.random(n * (k + 2)) * means.var() * 0.05
    values = _split(means - means.mean(), k, False)
    noises = _split(noise, k, False)
    return _Blocks(values[0], values[1], values[2], None, noises[0], noises[1], noises[2])


def _same_bits(left: np.ndarray, right: np.ndarray) -> bool:
    return left.shape == right.shape and left.tobytes() == right.tobytes()


@pytest.mark.parametrize(
    ("n", "k", "resamples"),
    [(1024, 6, 651), (1024, 6, 349), (64, 121, 516), (300, 2, 1000), (8, 3, 7), (97, 1, 200)],
)
def test_compiled_sums_give_the_numpy_indices_bit_for_bit(n, k, resamples):
    blocks = _blocks(n, k, seed=n * k)
    pick = np.random.default_rng(resamples).integers(0, n, size=(resamples, n))
    slow_first, slow_total = _first_total(blocks.take(pick))
    fast_first, fast_total = _resampled_first_total(blocks, pick)
    assert _same_bits(fast_first, slow_first)
    assert _same_bits(fast_total, slow_total)


def test_the_comparison_catches_the_same_sums_added_in_another_order():
    # Negative control: numpy adds a contiguous axis pairwise; the total's numerator added
    # that way differs in its last bits from the numpy path's one-after-another sum.
    blocks = _blocks(1024, 6, seed=1)
    pick = np.random.default_rng(2).integers(0, 1024, size=(200, 1024))
    _, total = _first_total(blocks.take(pick))
    resampled = blocks.take(pick)
    gaps = np.ascontiguousarray(np.moveaxis(resampled.a[..., None] - resampled.ab, -2, -1))
    noise = np.ascontiguousarray(
        np.moveaxis(resampled.a_noise[..., None] + resampled.ab_noise, -2, -1)
    )
    scale = estimators._signal_variance(
        resampled.a, resampled.b, resampled.a_noise, resampled.b_noise
    )[..., None]
    pairwise = (0.5 * np.mean(gaps**2, axis=-1) - 0.5 * np.mean(noise, axis=-1)) / scale
    assert np.allclose(pairwise, total, rtol=1e-12, atol=0.0)
    assert not _same_bits(pairwise, total)


def test_sobol_indices_are_the_same_through_either_path(monkeypatch):
    rng = np.random.default_rng(11)
    k, n = 6, 256
    means = rng.normal(size=n * (k + 2)) + np.repeat(rng.normal(size=n), k + 2)
    noise = rng.random(n * (k + 2)) * 0.05

    def estimate() -> estimators.SobolEstimate:
        return estimators.sobol_indices(
            means,
            k,
            second_order=False,
            resamples=1000,
            confidence=0.95,
            rng=np.random.default_rng(3),
            mean_noise=noise,
        )

    fast = estimate()
    monkeypatch.setattr(
        estimators, "_resampled_first_total", lambda blocks, pick: _first_total(blocks.take(pick))
    )
    slow = estimate()
    for interval in ("first", "total"):
        for bound in ("value", "low", "high"):
            assert _same_bits(
                getattr(getattr(fast, interval), bound), getattr(getattr(slow, interval), bound)
            )
    assert fast.total_leads is not None and slow.total_leads is not None
    assert _same_bits(fast.total_leads, slow.total_leads)
