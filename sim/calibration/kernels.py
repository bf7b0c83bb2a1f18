"""Perturbation kernels of ABC-SMC: box-truncated diagonal Gaussians, locally optimal covariances.

:class:`Kernel` is a mixture of box-truncated Gaussians with a diagonal covariance, twice the
population's weighted variance (Beaumont et al. 2009), exactly normalised per dimension. In
a broad posterior (most parameters spread over most of their range, as here) a Gaussian
concentrates its mass in the middle of each range, and in 17 dimensions the corners of the
box, where most of the volume is, get almost none: particles accepted there carry huge
weights. So each coordinate is drawn from the parameter's whole range with a share that
grows with the population's variance relative to the prior's (close to its cap for a
parameter the targets do not narrow, near 0 for one they pin down).

The diagonal kernel spreads each proposal over the whole posterior's width in every
parameter separately. When the accepted region is a thin,
tilted slab of the prior (a few parameters traded off against each other, at the edge of
their ranges), most of its proposals land outside it. The *optimal local covariance matrix*
kernel of Filippi et al. (2013) gives each centre ``theta_i`` its own Gaussian covariance

    Sigma_i = sum_k w_k (theta_k - theta_i)(theta_k - theta_i)^T = C + v_i v_i^T,

over the accepted particles ``theta_k`` (weights ``w_k``), with ``C`` their weighted
covariance and ``v_i = mean - theta_i``. It follows the posterior's correlations, is tight
along the directions the targets pin down, and reaches further for centres far from the
bulk. Filippi et al. derive it as the Gaussian covariance that maximises the expected
acceptance while keeping the proposal close to the target in Kullback-Leibler divergence.

The prior is uniform on a box, and a full covariance truncated to a box has no closed
normaliser. The mixture is therefore restricted to the box as a whole, by rejection:
proposals outside it are drawn again. Its density on the box is the mixture's density over
the mixture's mass inside the box, ``q(theta) / Z``; ``Z`` is estimated once per kernel from
:data:`MASS_DRAWS` draws of a fixed stream (relative error below 1% even when two thirds of
the draws fall outside), so the same kernel always has the same density, and proposals of
different generations can be mixed in one importance weight
(:func:`sim.calibration.abc.pool`).

The density is computed with the Sherman-Morrison and matrix-determinant identities over the
shared ``C``, so every centre's quadratic form costs two matrix products and memory grows
with points x centres in blocks, never with the dimension squared per centre.

References
----------
Filippi, S., Barnes, C. P., Cornebise, J. & Stumpf, M. P. H. (2013). On optimality of
kernels for approximate Bayesian computation using sequential Monte Carlo. Statistical
Applications in Genetics and Molecular Biology 12(1), 87-107. doi:10.1515/sagmb-2012-0069
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import solve_triangular
from scipy.special import log_ndtr, logsumexp, ndtr, ndtri

if TYPE_CHECKING:
    from sim.calibration.abc import Box, Sample

FloatArray = NDArray[np.float64]

PAIR_BLOCK = 1 << 22
"""Most values (points x centres) held in one temporary array by
:meth:`LocalCovarianceKernel.log_density`: 32 MiB of float64."""

RIDGE = 1e-6
"""Variance added to ``C`` on its diagonal, as a share of each parameter's squared box width,
so that a population collapsed in some direction still has a proper covariance."""

MASS_DRAWS = 1 << 17
"""Draws from which a kernel's mass inside the box is estimated."""

MASS_SEED = 20130101
"""Seed of the fixed stream those draws come from (any fixed value would do)."""

MAX_ROUNDS = 10_000
"""Most rounds of rejection at the box before the kernel gives up (it never should: the
defensive prior share alone accepts every draw)."""


class Proposal(Protocol):
    """What a generation is proposed from: draws, and their log density up to a constant."""

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        """Draw ``n`` points (n, d) inside the box."""
        ...

    def log_density(self, points: FloatArray) -> FloatArray:
        """Log density at each row of ``points``, up to one constant per kernel."""
        ...


BLOCK_ELEMENTS = 1 << 21
"""Most values (points x centres x dimensions) that :meth:`Kernel.log_density` holds in one
temporary array: 16 MiB of float64, so that 5,000 points around 2,500 centres in 16
dimensions need tens of MiB rather than several GiB."""


def accepted(particles: FloatArray, weights: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return the particles with a positive weight, and their weights.

    Raises
    ------
    ValueError
        When no particle has one: there is nothing to perturb.
    """
    keep = weights > 0
    if not np.any(keep):
        raise ValueError("no particle was accepted: the population cannot be perturbed")
    return particles[keep], weights[keep]


@dataclass(frozen=True)
class Kernel:
    """Mixture of box-truncated Gaussian kernels around a weighted population.

    Plus a defensive share of the prior.

    ``scale`` holds the per-parameter standard deviation: ``sqrt(2 * weighted variance)``
    (Beaumont et al. 2009), with a small floor relative to the box so a collapsed dimension
    can still move. A share ``defensive`` of the draws comes from the prior itself (defensive
    importance sampling, Hesterberg 1995): it bounds every importance weight by
    ``1 / defensive`` times the prior's, which keeps the effective sample size up when the
    posterior is broad in many dimensions (a parameter the targets do not identify), and
    lets the sampler find parts of the posterior the previous population missed.

    Hesterberg, T. (1995). Weighted average importance sampling and defensive mixture
    distributions. Technometrics 37(2), 185-194. doi:10.1080/00401706.1995.10484303
    """

    box: Box
    centres: FloatArray
    weights: FloatArray
    scale: FloatArray
    defensive: float = 0.0
    coordinate: FloatArray | float = 0.0

    @classmethod
    def around(
        cls, sample: Sample, box: Box, defensive: float = 0.0, coordinate: float = 0.0
    ) -> Kernel:
        """Fit the kernel of the next generation to a weighted sample's accepted particles."""
        centres, kept = accepted(sample.particles, sample.weights)
        weights = kept / kept.sum()
        mean = weights @ centres
        variance = weights @ (centres - mean) ** 2
        floor = (1e-3 * (box.high - box.low)) ** 2
        scale = np.sqrt(2.0 * np.maximum(variance, floor))
        # A parameter the population spreads over its whole range is drawn from its range
        # (share near ``coordinate``); one the population pins down, from around its centre.
        spread = np.minimum(1.0, 12.0 * variance / (box.high - box.low) ** 2)
        return cls(box, centres, weights, scale, defensive, coordinate * spread)

    def _limits(self) -> tuple[FloatArray, FloatArray]:
        """Standardised box ends (m, d) for every centre."""
        a = (self.box.low - self.centres) / self.scale
        b = (self.box.high - self.centres) / self.scale
        return a, b

    @cached_property
    def _log_mass(self) -> FloatArray:
        """Log of each truncated normal's mass inside the box (m, d), per centre and dimension.

        Worked out once per kernel: a calibration asks each generation's kernel for its
        density at the points of every later generation.
        """
        a, b = self._limits()
        return _log_normal_mass(a, b)

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        """Draw ``n`` points (n, d) from the kernel.

        A centre by weight, then each coordinate from its truncated normal by inverting the
        CDF (exactly inside the box, no rejection loop).
        """
        from_prior = rng.random(n) < self.defensive
        pick = rng.choice(len(self.weights), size=n, p=self.weights)
        u = rng.random((n, self.box.dimension))
        a, b = self._limits()
        fa, fb = ndtr(a[pick]), ndtr(b[pick])
        z = ndtri(fa + u * (fb - fa))
        points = self.centres[pick] + self.scale * z
        uniform = self.box.low + (self.box.high - self.box.low) * u
        if np.any(np.asarray(self.coordinate) > 0):
            from_prior = from_prior[:, None] | (rng.random(points.shape) < self.coordinate)
            points = np.where(from_prior, uniform, points)
        else:
            points = np.where(from_prior[:, None], uniform, points)
        # Rounding at the far tails can land a hair outside the box.
        return np.clip(points, self.box.low, self.box.high)

    def log_density(self, points: FloatArray) -> FloatArray:
        """Log of the mixture density at each row of ``points`` (n, d).

        Computed a block of points at a time, so that memory stays near
        :data:`BLOCK_ELEMENTS` float64 values per temporary array, whatever the number of
        points and centres; every point's value is computed exactly as it would be alone.
        """
        log_mass = self._log_mass
        log_weights = np.log(self.weights)
        coordinate = np.broadcast_to(np.asarray(self.coordinate, float), self.scale.shape)
        log_alone = np.log(np.where(coordinate > 0, coordinate, 1.0)) - np.log(
            self.box.high - self.box.low
        )
        log_kept = np.log1p(-coordinate)
        rows = max(1, BLOCK_ELEMENTS // max(1, self.centres.size))
        mixture = np.empty(len(points))
        for start in range(0, len(points), rows):
            block = points[start : start + rows]
            z = (block[:, None, :] - self.centres[None]) / self.scale  # (rows, m, d)
            log_pdf = -0.5 * z**2 - np.log(self.scale) - 0.5 * np.log(2 * np.pi) - log_mass[None]
            if np.any(coordinate > 0):
                log_pdf = np.where(
                    coordinate > 0, np.logaddexp(log_alone, log_kept + log_pdf), log_pdf
                )
            mixture[start : start + rows] = logsumexp(
                log_pdf.sum(axis=2) + log_weights[None], axis=1
            )
        if self.defensive <= 0:
            return mixture
        log_prior = -float(np.sum(np.log(self.box.high - self.box.low)))
        return np.logaddexp(np.log(self.defensive) + log_prior, np.log1p(-self.defensive) + mixture)


def _log_normal_mass(a: FloatArray, b: FloatArray) -> FloatArray:
    """log(Phi(b) - Phi(a)) for a <= b, accurate in either tail."""
    # In the upper tail use the symmetry Phi(b) - Phi(a) = Phi(-a) - Phi(-b).
    upper = a > 0
    lo = np.where(upper, -b, a)
    hi = np.where(upper, -a, b)
    log_hi, log_lo = log_ndtr(hi), log_ndtr(lo)
    with np.errstate(divide="ignore"):
        return log_hi + np.log1p(-np.exp(np.minimum(log_lo - log_hi, 0.0)))


@dataclass(frozen=True)
class LocalCovarianceKernel:
    """A mixture of Gaussians, centre ``i`` with covariance ``C + v_i v_i^T``, on a box.

    Plus a defensive share of the uniform prior (Hesterberg 1995), the whole restricted to
    the box.

    Attributes
    ----------
    low, high : float arrays (d,)
        The box (the uniform prior's support).
    centres : float array (m, d)
        The accepted particles.
    weights : float array (m,)
        Their normalised weights.
    cholesky : float array (d, d)
        Lower Cholesky factor of the shared covariance ``C``.
    defensive : float
        Share of the draws taken from the prior.
    log_mass : float
        Log of the mixture's mass inside the box (0 until :meth:`fit` estimates it).
    """

    low: FloatArray
    high: FloatArray
    centres: FloatArray
    weights: FloatArray
    cholesky: FloatArray
    defensive: float = 0.0
    log_mass: float = 0.0

    @classmethod
    def fit(
        cls,
        low: FloatArray,
        high: FloatArray,
        particles: FloatArray,
        weights: FloatArray,
        defensive: float = 0.0,
        temper: float = 1.0,
    ) -> LocalCovarianceKernel:
        """Fit the kernel to a weighted sample's particles with positive weight.

        ``temper`` raises the weights to a power before fitting (0: every accepted particle
        counts alike), which keeps the kernel spread over every accepted particle when a few
        weights dominate; the kernel is only a proposal, so any choice leaves the posterior
        exact.
        """
        centres, kept = accepted(particles, weights)
        w = kept**temper
        w = w / w.sum()
        deviations = centres - w @ centres
        covariance = (deviations * w[:, None]).T @ deviations + np.diag(RIDGE * (high - low) ** 2)
        kernel = cls(low, high, centres, w, np.linalg.cholesky(covariance), defensive)
        draws = kernel._draw(np.random.default_rng(MASS_SEED), MASS_DRAWS)
        return replace(kernel, log_mass=float(np.log(np.mean(kernel._inside(draws)))))

    @property
    def dimension(self) -> int:
        """Number of parameters ``d``."""
        return int(self.centres.shape[1])

    def _inside(self, points: FloatArray) -> NDArray[np.bool_]:
        """Whether each row of ``points`` lies in the box."""
        return np.all((points >= self.low) & (points <= self.high), axis=1)

    def _whiten(self, points: FloatArray) -> FloatArray:
        """``L^{-1} x`` for each row ``x`` of ``points``."""
        return np.asarray(solve_triangular(self.cholesky, points.T, lower=True).T)

    def _draw(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``n`` draws from the mixture, not yet restricted to the box."""
        from_prior = rng.random(n) < self.defensive
        pick = rng.choice(len(self.weights), size=n, p=self.weights)
        z = rng.standard_normal((n, self.dimension))
        g = rng.standard_normal(n)
        offsets = self.weights @ self.centres - self.centres[pick]
        points = self.centres[pick] + z @ self.cholesky.T + g[:, None] * offsets
        uniform = self.low + (self.high - self.low) * rng.random((n, self.dimension))
        return np.where(from_prior[:, None], uniform, points)

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        """Draw ``n`` points (n, d) from the mixture restricted to the box (by rejection)."""
        kept: list[FloatArray] = []
        wanted = n
        for _ in range(MAX_ROUNDS):
            draws = self._draw(rng, max(wanted, 64))
            kept.append(draws[self._inside(draws)][:wanted])
            wanted -= len(kept[-1])
            if wanted == 0:
                return np.concatenate(kept)
        raise RuntimeError("the kernel's draws keep falling outside the box")

    def log_density(self, points: FloatArray) -> FloatArray:
        """Log of the kernel's density on the box at each row of ``points`` (n, d)."""
        mixture = self._log_mixture(points)
        if self.defensive > 0:
            log_prior = -float(np.sum(np.log(self.high - self.low)))
            mixture = np.logaddexp(
                np.log(self.defensive) + log_prior, np.log1p(-self.defensive) + mixture
            )
        return mixture - self.log_mass

    def _log_mixture(self, points: FloatArray) -> FloatArray:
        """Log density of the Gaussian mixture (not restricted to the box) at ``points``."""
        d = self.dimension
        centres = self._whiten(self.centres)
        offsets = self.weights @ centres - centres
        y = self._whiten(points)
        spread = 1.0 + np.sum(offsets**2, axis=1)  # det(I + u u^T) = 1 + |u|^2
        log_det = 2.0 * float(np.sum(np.log(np.diag(self.cholesky)))) + np.log(spread)
        base = np.log(self.weights) - 0.5 * (d * np.log(2 * np.pi) + log_det)
        centre_sq = np.sum(centres**2, axis=1)
        centre_dot = np.sum(centres * offsets, axis=1)
        rows = max(1, PAIR_BLOCK // max(1, len(centres)))
        mixture = np.empty(len(points))
        for start in range(0, len(points), rows):
            block = y[start : start + rows]
            # |y - c_i|^2 and (y - c_i) . u_i, then Sherman-Morrison for (I + u u^T)^{-1}
            distance = np.sum(block**2, axis=1)[:, None] - 2.0 * block @ centres.T + centre_sq
            along = block @ offsets.T - centre_dot
            quadratic = np.maximum(distance - along**2 / spread, 0.0)
            mixture[start : start + rows] = logsumexp(base - 0.5 * quadratic, axis=1)
        return mixture
