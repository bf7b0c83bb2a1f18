"""Estimators: replicate noise, Sobol indices and Morris effects, with bootstrap intervals.

Replicate means and noise, Sobol indices and Morris elementary effects, with seeded
bootstrap intervals. Arrays only (numpy, and the compiled sums of :mod:`sim.sensitivity.resampled`
for the Sobol bootstrap); no files, no model.

Everything here works on arrays already in design order:

* ``runs`` of shape ``(rows, replicates)``: one output of every run of a design;
* Sobol designs in SALib's block layout, one block of ``k + 2`` rows per base point
  (``2k + 2`` with second order): ``A``, ``AB_1 .. AB_k`` (``BA_1 .. BA_k``), ``B``
  (Saltelli 2002, doi:10.1016/S0010-4655(02)00280-1);
* Morris designs as ``trajectories`` consecutive paths of ``k + 1`` rows, on the unit cube
  (Morris 1991, doi:10.1080/00401706.1991.10484804).

Indices are computed on replicate means (one value per design row). Intervals are percentile
bootstrap intervals over base points (Sobol) or trajectories (Morris), from a generator the
caller seeds, so the same inputs always give the same intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.stats import false_discovery_control, norm

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_TINY = float(np.finfo(float).eps)
_BOOTSTRAP_CHUNK_ELEMENTS = 4_000_000
"""Upper bound on elements of one block of bootstrap resamples (about 32 MB of floats), so
the bootstrap of a many-factor design never holds every resample at once."""


@dataclass(frozen=True)
class Noise:
    """How much of an output's variance is run-to-run noise.

    Attributes
    ----------
    total_variance : float
        Variance of the output over every run (all rows and replicates).
    within_variance : float
        Mean over design rows of the variance between a row's replicates (NaN with one
        replicate): the variance that remains when every input is held fixed.
    noise_share : float
        ``within_variance / total_variance``, in [0, 1] (NaN when not measurable): the share
        of the output's variance across runs that is noise rather than the inputs.
    noise_share_of_means : float
        ``(within_variance / replicates) / var(row means)``, in [0, 1]: the share of the
        variance that the indices are computed on (row means) that is still noise. Total
        indices are inflated by up to this amount; first-order indices are deflated by it.
    replicates : int
        Replicates per design row.
    """

    total_variance: float
    within_variance: float
    noise_share: float
    noise_share_of_means: float
    replicates: int


def replicate_noise(runs: FloatArray) -> Noise:
    """Split the variance of ``runs`` (rows, replicates) into within-row noise and the rest.

    Parameters
    ----------
    runs : array (rows, replicates)
        One output of every run, in design order.
    """
    rows, replicates = runs.shape
    total = float(np.var(runs, ddof=1)) if runs.size > 1 else 0.0
    if replicates < 2:
        nan = float("nan")
        return Noise(total, nan, nan, nan, replicates)
    within = float(np.mean(np.var(runs, axis=1, ddof=1)))
    means_variance = float(np.var(runs.mean(axis=1), ddof=1)) if rows > 1 else 0.0
    share = min(within / total, 1.0) if total > _TINY else 0.0
    share_of_means = (
        min(within / replicates / means_variance, 1.0) if means_variance > _TINY else 0.0
    )
    return Noise(total, within, share, share_of_means, replicates)


# --- Sobol -----------------------------------------------------------------------------


def surely_above(
    value: FloatArray, low: FloatArray, floor: FloatArray | float, confidence: float
) -> NDArray[np.bool_]:
    """Return which estimates are surely above ``floor``, however many are tested at once.

    Alone, an estimate is above its floor when its interval's lower end is. Each tested at
    ``confidence``, a family of many estimates that are all at the floor would still have a
    few so by chance (one in forty each), so a screening of a hundred inputs would call two
    or three of those that do nothing distinguishable. Here the lower end is read as the
    estimate less ``z`` standard errors (``z`` of the interval's confidence), which gives each
    estimate the one-sided p-value of lying at the floor, and the Benjamini-Hochberg rule
    holds the false discovery rate over the family at the interval's one-sided level
    (2.5% for 95% intervals). For one estimate it is the lower end's own test.
    """
    value, low = np.asarray(value, dtype=float), np.asarray(low, dtype=float)
    if value.size == 0:
        return np.zeros(value.shape, dtype=bool)
    level = (1.0 - confidence) / 2.0
    z = float(norm.isf(level))
    error = value - low
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(error > 0, (value - floor) / error * z, np.inf)
    exact = np.where(low > floor, 0.0, 1.0)  # an interval of no width, or the estimate below it
    p = np.where(error > 0, norm.sf(scores), exact)
    p = np.nan_to_num(p, nan=1.0)
    q = false_discovery_control(p.ravel(), method="bh").reshape(p.shape)
    return (low > floor) & (q <= level)


@dataclass(frozen=True)
class Interval:
    """Point estimates with the bounds of their bootstrap interval, three arrays of one shape."""

    value: FloatArray
    low: FloatArray
    high: FloatArray

    @classmethod
    def exact(cls, value: FloatArray) -> Interval:
        """Return estimates known exactly: the interval is the value itself."""
        return cls(value, value, value)

    def at(self, rows: IntArray, columns: IntArray) -> Interval:
        """Return the estimates of a (k, k) array at the positions ``(rows, columns)``."""
        where = (rows, columns)
        return Interval(self.value[where], self.low[where], self.high[where])


@dataclass(frozen=True)
class SobolEstimate:
    """Sobol indices of one output with bootstrap intervals.

    ``first`` and ``total`` have one entry per factor (or group) ``k``; ``second`` holds
    (k, k) arrays with NaN on and below the diagonal, or is None when the design has no
    second-order blocks.
    ``total_leads`` is the share of bootstrap resamples in which each factor's total index is
    the largest (None for a constant output).
    ``constant`` marks an output that did not vary at all (every index is then 0);
    ``noise_dominated`` one whose row means vary no more than their noise (indices NaN).
    """

    first: Interval
    total: Interval
    second: Interval | None
    constant: bool
    noise_dominated: bool
    total_leads: FloatArray | None = None


def leading_share(resamples: FloatArray) -> FloatArray:
    """Return the share of resamples (rows) in which each factor (column) is the largest.

    A resample whose values are all undefined (NaN) counts for no factor.
    """
    known = ~np.isnan(resamples).all(axis=1)
    shares = np.zeros(resamples.shape[1])
    if known.any():
        leader = np.argmax(np.nan_to_num(resamples[known], nan=-np.inf), axis=1)
        shares = np.bincount(leader, minlength=resamples.shape[1]) / len(resamples)
    return shares


@dataclass(frozen=True)
class _Blocks:
    """A Saltelli design's row values split by matrix; leading axes are bootstrap resamples.

    ``*_noise`` hold the noise variance of each row mean (0 for a deterministic model).
    """

    a: FloatArray
    ab: FloatArray
    b: FloatArray
    ba: FloatArray | None
    a_noise: FloatArray
    ab_noise: FloatArray
    b_noise: FloatArray

    def take(self, pick: IntArray) -> _Blocks:
        """Return the blocks of the base points ``pick`` (any shape ending in that axis)."""
        return _Blocks(
            self.a[pick],
            self.ab[pick],
            self.b[pick],
            None if self.ba is None else self.ba[pick],
            self.a_noise[pick],
            self.ab_noise[pick],
            self.b_noise[pick],
        )


def _split(values: FloatArray, k: int, second_order: bool) -> list[FloatArray]:
    step = 2 * k + 2 if second_order else k + 2
    if values.shape[0] % step:
        raise ValueError(f"{values.shape[0]} rows are not whole blocks of {step}")
    blocks = values.reshape(-1, step)
    parts = [blocks[:, 0], blocks[:, 1 : k + 1], blocks[:, -1]]
    if second_order:
        parts.append(blocks[:, k + 1 : 2 * k + 1])
    return parts


def _signal_variance(
    a: FloatArray, b: FloatArray, a_noise: FloatArray, b_noise: FloatArray
) -> FloatArray:
    """Variance of the noise-free row means.

    The variance of ``A`` and ``B`` together minus the mean noise variance of those rows; the
    last axis is base points.
    """
    both = np.concatenate([a, b], axis=-1)
    noise = np.concatenate([a_noise, b_noise], axis=-1).mean(axis=-1)
    spread = np.var(both, axis=-1)
    variance = spread - noise
    return np.where(variance > _TINY * np.maximum(spread, 1.0), variance, np.nan)


def _first_total(blocks: _Blocks) -> tuple[FloatArray, FloatArray]:
    """First-order and total indices along the last axis of ``ab``, corrected for noise.

    First-order as Saltelli et al. (2010), total as Jansen (1999), corrected for replicate
    noise; leading axes are bootstrap resamples.
    """
    a, ab, b = blocks.a, blocks.ab, blocks.b
    return _indices(
        np.mean(b[..., None] * (ab - a[..., None]), axis=-2),
        np.mean((a[..., None] - ab) ** 2, axis=-2),
        np.mean(blocks.a_noise[..., None] + blocks.ab_noise, axis=-2),
        _signal_variance(a, b, blocks.a_noise, blocks.b_noise)[..., None],
    )


def _indices(
    product: FloatArray, square: FloatArray, noise: FloatArray, scale: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """First-order and total indices from their means over base points.

    ``product``, ``square`` and ``noise`` are the means of ``b (ab_j - a)``, ``(a - ab_j)^2``
    and ``a_noise + ab_noise_j``; ``scale`` the signal variance.
    """
    # Rows have independent noise, so the first-order numerator is unbiased as it stands; the
    # total numerator picks up half the noise variance of each of the two rows it compares.
    return product / scale, (0.5 * square - 0.5 * noise) / scale


def _resampled_first_total(blocks: _Blocks, pick: IntArray) -> tuple[FloatArray, FloatArray]:
    """First-order and total indices of the resamples ``pick`` (resamples, n) of base points.

    The same floats as ``_first_total(blocks.take(pick))``: the sums over base points come
    from :func:`sim.sensitivity.resampled.saltelli_sums`, which adds them in numpy's order
    without making the (resamples, n, k) arrays that taking every resample's rows would.
    """
    if blocks.ab.shape[-1] == 1:
        # With one factor numpy adds along the base points pairwise, not one after another.
        return _first_total(blocks.take(pick))
    # Compiled code, loaded only by an analysis that bootstraps Sobol indices.
    from sim.sensitivity.resampled import saltelli_sums

    n = pick.shape[-1]
    product, square, noise = saltelli_sums(
        pick, blocks.a, blocks.ab, blocks.b, blocks.a_noise, blocks.ab_noise
    )
    scale = _signal_variance(
        blocks.a[pick], blocks.b[pick], blocks.a_noise[pick], blocks.b_noise[pick]
    )[..., None]
    return _indices(product / n, square / n, noise / n, scale)


def _second(blocks: _Blocks, ba: FloatArray, first: FloatArray) -> FloatArray:
    """Second-order indices (Saltelli 2002), upper triangle; leading axes are resamples."""
    a, ab, b = blocks.a, blocks.ab, blocks.b
    k = ab.shape[-1]
    scale = _signal_variance(a, b, blocks.a_noise, blocks.b_noise)[..., None, None]
    # V_jk ~ mean(BA_j * AB_k - A * B): the closed index of the pair.
    closed = (
        np.einsum("...nj,...nk->...jk", ba, ab) / a.shape[-1]
        - np.mean(a * b, axis=-1)[..., None, None]
    ) / scale
    second = closed - first[..., :, None] - first[..., None, :]
    upper = np.triu(np.ones((k, k), dtype=bool), 1)
    return np.where(upper, second, np.nan)


def _percentiles(samples: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray]:
    """Percentile interval over the first axis.

    A resample whose index is undefined (NaN: its means varied no more than their noise)
    counts as unknown; if more than one tail's worth of resamples are unknown the interval is
    NaN, which no test of distinguishability passes.
    """
    tail = (1.0 - confidence) / 2.0
    low = np.full(samples.shape[1:], np.nan)
    high = np.full(samples.shape[1:], np.nan)
    known = np.mean(np.isnan(samples), axis=0) <= tail
    if known.any():
        low[known], high[known] = np.nanquantile(samples[:, known], [tail, 1.0 - tail], axis=0)
    return low, high


def sobol_indices(
    means: FloatArray,
    k: int,
    *,
    second_order: bool,
    resamples: int,
    confidence: float,
    rng: np.random.Generator,
    mean_noise: FloatArray | None = None,
) -> SobolEstimate:
    """Sobol indices of one output from the row means of a Saltelli design.

    Parameters
    ----------
    means : array (rows,)
        Replicate mean of the output for every design row, in design order.
    k : int
        Number of factors, or of groups for a grouped design.
    second_order : bool
        Whether the design has the ``BA`` blocks second-order indices need.
    resamples : int
        Bootstrap resamples of the base points (at least 2).
    confidence : float
        Coverage of the percentile intervals, in (0, 1).
    rng : numpy.random.Generator
        Source of the bootstrap indices (seed it for reproducible intervals).
    mean_noise : array (rows,), optional
        Noise variance of each row mean (the replicates' variance divided by their number);
        omit for a deterministic model.

    Notes
    -----
    First order ``S_i = mean(f_B (f_ABi - f_A)) / V`` (Saltelli et al. 2010,
    doi:10.1016/j.cpc.2009.09.018); total ``ST_i = mean((f_A - f_ABi)^2) / 2V`` (Jansen 1999,
    doi:10.1016/S0010-4655(98)00154-4); ``V`` is the variance of ``f_A`` and ``f_B``
    together; the output is centred first, as SALib does.

    For a stochastic model the row means still carry noise of variance ``s^2 / R``. It adds
    to ``V`` and to the total-order numerator but not to the first-order one (different rows
    have independent streams), so a factor with no effect would show a total index equal to
    the noise share of the means. Both are removed here, which makes these the indices of the
    expected output ``E[Y | X]`` (compare Hart, Alexanderian and Gremaud 2017,
    doi:10.1137/16M106193X). When the means vary no more than their noise, the indices are
    NaN and the output is marked ``noise_dominated``.
    """
    noise = np.zeros_like(means) if mean_noise is None else np.asarray(mean_noise, dtype=float)
    # Centre first: the first-order numerator is shift-invariant only in expectation, and a
    # large mean (shares sit near 0.5) adds needless estimator variance.
    value_parts = _split(means - means.mean(), k, second_order)
    noise_parts = _split(noise, k, second_order)
    blocks = _Blocks(
        value_parts[0],
        value_parts[1],
        value_parts[2],
        value_parts[3] if second_order else None,
        noise_parts[0],
        noise_parts[1],
        noise_parts[2],
    )
    n = blocks.a.shape[0]
    constant = bool(np.ptp(np.concatenate([blocks.a, blocks.b])) <= _TINY)
    if constant:
        zeros = Interval.exact(np.zeros(k))
        pair = np.where(np.triu(np.ones((k, k), dtype=bool), 1), 0.0, np.nan)
        pairs = Interval.exact(pair) if second_order else None
        return SobolEstimate(zeros, zeros, pairs, True, False)
    first, total = _first_total(blocks)
    noise_dominated = bool(np.isnan(first).all())

    per_resample = n * k * (k if second_order else 1)
    chunk = max(1, min(resamples, _BOOTSTRAP_CHUNK_ELEMENTS // max(per_resample, 1)))
    boot_first: list[FloatArray] = []
    boot_total: list[FloatArray] = []
    boot_second: list[FloatArray] = []
    drawn = 0
    while drawn < resamples:
        size = min(chunk, resamples - drawn)
        pick = rng.integers(0, n, size=(size, n))
        if blocks.ba is None:
            f, t = _resampled_first_total(blocks, pick)
        else:
            # Second-order indices need every resample's rows anyway.
            resampled = blocks.take(pick)
            f, t = _first_total(resampled)
            if resampled.ba is not None:
                boot_second.append(_second(resampled, resampled.ba, f))
        boot_first.append(f)
        boot_total.append(t)
        drawn += size
    pairs = None
    if blocks.ba is not None:
        pairs = Interval(
            _second(blocks, blocks.ba, first),
            *_percentiles(np.concatenate(boot_second), confidence),
        )
    return SobolEstimate(
        Interval(first, *_percentiles(np.concatenate(boot_first), confidence)),
        Interval(total, *_percentiles(np.concatenate(boot_total), confidence)),
        pairs,
        False,
        noise_dominated,
        leading_share(np.concatenate(boot_total)),
    )


# --- Morris ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MorrisEstimate:
    """Elementary-effect statistics of one output, one entry per factor (or group).

    ``mu`` is NaN for groups (the members of a group may move in opposite directions, so
    only the mean absolute effect is meaningful; Campolongo et al. 2007,
    doi:10.1016/j.envsoft.2006.10.004). ``leads`` is the share of bootstrap resamples in
    which each factor's mu* is the largest.
    """

    mu: FloatArray
    mu_star: FloatArray
    mu_star_low: FloatArray
    mu_star_high: FloatArray
    sigma: FloatArray
    noise_floor: float
    leads: FloatArray | None = None


def elementary_effects(
    unit_design: FloatArray, means: FloatArray, membership: IntArray, k: int
) -> tuple[FloatArray, bool]:
    """Elementary effects (trajectories, k) of one output on a Morris design.

    Parameters
    ----------
    unit_design : array (rows, inputs)
        The design on the unit cube, ``trajectories * (k + 1)`` rows.
    means : array (rows,)
        Replicate mean of the output per design row.
    membership : int array (inputs,)
        Group (or factor) number of every input, 0..k-1.
    k : int
        Number of factors or groups.

    Returns
    -------
    effects : array (trajectories, k)
        ``(y_after - y_before) / delta`` per step, where ``delta`` is the signed move of the
        factor on the unit scale (the absolute move for groups): the change in the output
        for moving the factor across its whole range, to first order.
    grouped : bool
        True when some group holds more than one input.
    """
    steps = k + 1
    if unit_design.shape[0] % steps:
        raise ValueError(f"{unit_design.shape[0]} rows are not whole trajectories of {steps}")
    paths = unit_design.reshape(-1, steps, unit_design.shape[1])
    outputs = means.reshape(-1, steps)
    moves = np.diff(paths, axis=1)  # (r, k, inputs)
    moved = np.abs(moves) > 1e-12
    # The first input that moves at each step names the factor (or group) of that step.
    which = membership[np.argmax(moved, axis=2)]  # (r, k)
    grouped = bool(np.bincount(membership, minlength=k).max() > 1)
    first_input = np.take_along_axis(moves, np.argmax(moved, axis=2)[..., None], axis=2)[..., 0]
    delta = np.abs(first_input) if grouped else first_input
    change = np.diff(outputs, axis=1) / delta  # (r, k)
    effects = np.empty_like(change)
    np.put_along_axis(effects, which, change, axis=1)
    return effects, grouped


def morris_statistics(
    effects: FloatArray,
    *,
    grouped: bool,
    within_variance: float,
    replicates: int,
    delta: float,
    resamples: int,
    confidence: float,
    rng: np.random.Generator,
) -> MorrisEstimate:
    """mu, mu* and sigma of elementary effects (Morris 1991; Campolongo et al. 2007).

    Parameters
    ----------
    effects : array (trajectories, k)
        Elementary effects from :func:`elementary_effects`.
    grouped : bool
        Whether factors are groups (``mu`` is then NaN).
    within_variance : float
        Run-to-run variance of the output with inputs fixed (NaN if unknown).
    replicates : int
        Replicates averaged in every design row.
    delta : float
        Size of one Morris step on the unit scale, ``levels / (2 (levels - 1))``.
    resamples, confidence, rng
        Bootstrap over trajectories for the interval of mu*.

    Notes
    -----
    ``noise_floor`` is the mu* a factor with no effect at all would show from noise alone:
    the difference of two row means has standard deviation ``sqrt(2 s^2 / R)``, so its
    absolute value divided by ``delta`` has mean ``sqrt(2 s^2 / R) sqrt(2 / pi) / delta``.
    """
    r = effects.shape[0]
    mu = np.full(effects.shape[1], np.nan) if grouped else effects.mean(axis=0)
    mu_star = np.abs(effects).mean(axis=0)
    sigma = effects.std(axis=0, ddof=1) if r > 1 else np.full(effects.shape[1], np.nan)
    pick = rng.integers(0, r, size=(resamples, r))
    boot = np.abs(effects)[pick].mean(axis=1)
    low, high = _percentiles(boot, confidence)
    floor = (
        float(np.sqrt(2.0 * within_variance / replicates) * np.sqrt(2.0 / np.pi) / delta)
        if np.isfinite(within_variance)
        else float("nan")
    )
    return MorrisEstimate(mu, mu_star, low, high, sigma, floor, leading_share(boot))
