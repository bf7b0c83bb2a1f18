"""Inputs that are not independent: a joint distribution to draw from, and to condition on.

Shapley effects (:mod:`sim.sensitivity.shapley`) need two things of the inputs' distribution:
draws from it, and draws of some inputs given the values of the others. Here the inputs are
split in two: inputs a scenario's posterior gives values to (calibrated together, so
dependent) and every other input (independent, uniform over its range, as Sobol and Morris
vary them).

The dependent inputs follow a Gaussian copula with smoothed marginals, fitted to the
posterior's weighted sets (:func:`fit_posterior`): each marginal is a weighted Gaussian kernel
density truncated to the input's range, and the copula's correlation is the weighted
correlation of the sets' normal scores. Conditioning a Gaussian copula is closed-form
(the normal scores are jointly normal), which is what makes the thousands of conditional
draws of a Shapley design cheap. A copula keeps the posterior's rank correlations but not
every feature of its shape (a ridge that bends, several modes); see docs/sensitivity.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray
from scipy import special

from sim.sensitivity.estimators import FloatArray
from sim.sensitivity.factors import Factor

if TYPE_CHECKING:
    from sim.posterior import Posterior

BoolArray = NDArray[np.bool_]

_GRID = 2049
"""Points of the table on which a smoothed marginal's distribution function is kept."""

_EDGE = 1e-9
"""Probabilities kept this far from 0 and 1, so normal scores stay finite."""


class Marginal(Protocol):
    """One input's distribution: its distribution function and its quantile function."""

    def cdf(self, x: FloatArray) -> FloatArray:
        """Return P(X <= x), elementwise."""
        ...

    def ppf(self, p: FloatArray) -> FloatArray:
        """Return the quantile at probability ``p`` (in [0, 1]), elementwise."""
        ...


@dataclass(frozen=True)
class Uniform:
    """The uniform distribution on ``[low, high]``."""

    low: float
    high: float

    def cdf(self, x: FloatArray) -> FloatArray:
        """Return P(X <= x), elementwise."""
        return np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)

    def ppf(self, p: FloatArray) -> FloatArray:
        """Return the quantile at probability ``p``, elementwise."""
        return self.low + np.asarray(p) * (self.high - self.low)


@dataclass(frozen=True, eq=False)
class Tabulated:
    """A continuous distribution kept as its distribution function on a grid of values.

    Attributes
    ----------
    x : float array
        Increasing values, from the lowest to the highest the input can take.
    p : float array
        The distribution function at ``x``, non-decreasing from 0 to 1.
    """

    x: FloatArray
    p: FloatArray

    def cdf(self, x: FloatArray) -> FloatArray:
        """Return P(X <= x), elementwise (by linear interpolation on the grid)."""
        return np.interp(x, self.x, self.p)

    def ppf(self, p: FloatArray) -> FloatArray:
        """Return the quantile at probability ``p``, elementwise."""
        return np.interp(p, self.p, self.x)


def kernel_marginal(values: FloatArray, weights: FloatArray, low: float, high: float) -> Tabulated:
    """Return a weighted Gaussian kernel density of ``values`` truncated to ``[low, high]``.

    The bandwidth is Silverman's rule of thumb with the weights' effective sample size
    (Silverman 1986, eq. 3.31), so a posterior whose weight sits on few sets is smoothed more.
    """
    weights = weights / weights.sum()
    ess = 1.0 / float(np.sum(weights**2))
    mean = float(np.sum(weights * values))
    sd = float(np.sqrt(np.sum(weights * (values - mean) ** 2)))
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    q25, q75 = np.interp([0.25, 0.75], cumulative, values[order])
    spread = min(sd, (q75 - q25) / 1.34) if q75 > q25 else sd
    bandwidth = max(0.9 * spread * ess ** (-0.2), 1e-6 * (high - low))
    grid = np.linspace(low, high, _GRID)
    scores = (grid[:, None] - values[None, :]) / (bandwidth * np.sqrt(2.0))
    mass = (0.5 * (1.0 + special.erf(scores))) @ weights
    # Truncation: what the kernels put outside the range is given back in proportion.
    mass = (mass - mass[0]) / (mass[-1] - mass[0])
    return Tabulated(grid, np.maximum.accumulate(mass))


def _scores(p: FloatArray) -> FloatArray:
    """Return the normal scores of probabilities (the standard normal quantile)."""
    return np.sqrt(2.0) * special.erfinv(2.0 * np.clip(p, _EDGE, 1.0 - _EDGE) - 1.0)


def _probabilities(z: FloatArray) -> FloatArray:
    return 0.5 * (1.0 + special.erf(z / np.sqrt(2.0)))


@dataclass(frozen=True, eq=False)
class JointInputs:
    """The inputs of an analysis as one joint distribution: independent ones and a copula block.

    Attributes
    ----------
    names : tuple of str
        Every input, in design column order.
    marginals : tuple of Marginal
        One per input.
    dependent : tuple of int
        Positions (in ``names``) of the inputs joined by the Gaussian copula; every other
        input is independent of all the rest.
    correlation : float array (m, m)
        The copula's correlation matrix over ``dependent`` (the identity when none are).
    """

    names: tuple[str, ...]
    marginals: tuple[Marginal, ...]
    dependent: tuple[int, ...] = ()
    correlation: FloatArray = field(default_factory=lambda: np.eye(0))

    def sample(self, n: int, rng: np.random.Generator) -> FloatArray:
        """Return ``n`` independent draws of every input, shape (n, inputs)."""
        given = np.zeros(len(self.names), dtype=bool)
        return self.conditional(given, np.zeros((n, len(self.names))), rng)

    def conditional(
        self, given: BoolArray, values: FloatArray, rng: np.random.Generator
    ) -> FloatArray:
        """Draw the inputs not ``given`` from their distribution given the ones that are.

        Parameters
        ----------
        given : bool array (inputs,)
            Which inputs keep their values.
        values : float array (n, inputs)
            One row per draw; the ``given`` columns are conditioned on, the others replaced.
        rng : numpy Generator
            The stream the draws come from.

        Returns
        -------
        float array (n, inputs)
            ``values`` with every input not given drawn anew.
        """
        n, width = values.shape
        out = np.array(values, dtype=float, copy=True)
        uniforms = rng.random((n, width))
        dependent = np.zeros(width, dtype=bool)
        dependent[list(self.dependent)] = True
        for j in np.flatnonzero(~given & ~dependent):
            out[:, j] = self.marginals[j].ppf(uniforms[:, j])
        block = np.array(self.dependent, dtype=np.int64)
        free = ~given[block]
        if block.size and free.any():
            known = [_scores(self.marginals[j].cdf(out[:, j])) for j in block[~free]]
            scores = np.column_stack(known) if known else np.zeros((n, 0))
            drawn = _conditional_normal(self.correlation, free, scores, rng)
            for column, j in enumerate(block[free]):
                out[:, j] = self.marginals[j].ppf(_probabilities(drawn[:, column]))
        return out


def _conditional_normal(
    correlation: FloatArray, free: BoolArray, known: FloatArray, rng: np.random.Generator
) -> FloatArray:
    """Draw the ``free`` coordinates of N(0, correlation) given the others equal ``known``."""
    r_ff = correlation[np.ix_(free, free)]
    if known.shape[1] == 0:
        mean = np.zeros((known.shape[0], int(free.sum())))
        covariance = r_ff
    else:
        r_fg = correlation[np.ix_(free, ~free)]
        r_gg = correlation[np.ix_(~free, ~free)]
        solved = np.linalg.solve(r_gg, r_fg.T)  # R_gg^-1 R_gf
        mean = known @ solved
        covariance = r_ff - r_fg @ solved
    factor = _cholesky(covariance)
    return mean + rng.standard_normal(mean.shape) @ factor.T


def _cholesky(covariance: FloatArray) -> FloatArray:
    """Cholesky factor of a covariance matrix that may be singular to rounding."""
    symmetric = (covariance + covariance.T) / 2.0
    values, vectors = np.linalg.eigh(symmetric)
    return vectors * np.sqrt(np.clip(values, 0.0, None))


def weighted_correlation(scores: FloatArray, weights: FloatArray) -> FloatArray:
    """Return the weighted correlation matrix of the columns of ``scores`` (n, m).

    A matrix that is not positive definite (more inputs than well-weighted sets) has its
    eigenvalues raised to a small floor and is rescaled to a unit diagonal.
    """
    weights = weights / weights.sum()
    centred = scores - weights @ scores
    covariance = (centred * weights[:, None]).T @ centred
    sd = np.sqrt(np.diag(covariance))
    correlation = covariance / np.outer(sd, sd)
    values, vectors = np.linalg.eigh((correlation + correlation.T) / 2.0)
    floored = (vectors * np.clip(values, 1e-6, None)) @ vectors.T
    scale = np.sqrt(np.diag(floored))
    result: FloatArray = floored / np.outer(scale, scale)
    return result


def independent(factors: Sequence[Factor]) -> JointInputs:
    """Return the factors as independent uniform inputs over their ranges."""
    return JointInputs(
        tuple(f.name for f in factors), tuple(Uniform(f.low, f.high) for f in factors)
    )


def fit_posterior(factors: Sequence[Factor], posterior: Posterior) -> JointInputs:
    """Return the factors' joint distribution with the posterior's inputs dependent.

    Factors the posterior gives values to get a weighted kernel marginal of its sets,
    truncated to the factor's range, and are joined by a Gaussian copula whose correlation
    is the weighted correlation of the sets' normal scores. Every other factor stays
    uniform and independent. A posterior input that is not a factor is not conditioned on
    (each run draws it from the posterior, as run-to-run variation).
    """
    names = tuple(f.name for f in factors)
    columns: Mapping[str, int] = {name: j for j, name in enumerate(posterior.inputs)}
    marginals: list[Marginal] = []
    dependent: list[int] = []
    for position, factor in enumerate(factors):
        if factor.name in columns:
            values = np.clip(posterior.sets[:, columns[factor.name]], factor.low, factor.high)
            marginals.append(kernel_marginal(values, posterior.weights, factor.low, factor.high))
            dependent.append(position)
        else:
            marginals.append(Uniform(factor.low, factor.high))
    if len(dependent) < 2:
        return JointInputs(names, tuple(marginals))
    scores = np.column_stack(
        [_scores(marginals[j].cdf(posterior.sets[:, columns[names[j]]])) for j in dependent]
    )
    correlation = weighted_correlation(scores, posterior.weights)
    return JointInputs(names, tuple(marginals), tuple(dependent), correlation)
