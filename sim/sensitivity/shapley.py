"""Shapley effects of groups of inputs, valid when the inputs are dependent.

Sobol indices split a model's variance among independent inputs; when inputs are dependent
(the calibrated parameters of a posterior move together) the split is no longer unique.
The Shapley effect of a group (Owen 2014, doi:10.1137/130936233; Song, Nelson and Staum 2016,
doi:10.1137/15M1048070) gives it the average, over every order in which the groups could be
revealed, of the variance its revealing explains. The effects are never negative and add up
to the variance, whatever the dependence (Owen and Prieur 2017, doi:10.1137/16M1097717).

With ``k`` groups the effect of group ``j`` is::

    Sh_j = sum over u not holding j of  |u|! (k - |u| - 1)! / k!  (c(u + j) - c(u))

over the cost ``c(u) = E[Var(Y | X_-u)]``, the variance left when every group but those in
``u`` is known. This module estimates every ``c(u)`` (all ``2^k - 2`` proper subsets; with
the six framework categories that is 62) by Song et al.'s double loop: ``n_outer`` draws of
the other groups' inputs, and for each ``n_inner`` draws of ``u``'s inputs given them. A
separate sample of ``n_variance`` draws gives the variance ``c(all)``.

Everything here is pure numpy on arrays in design order: :func:`draw_design` lays out a
design from a :class:`sim.sensitivity.dependence.JointInputs`, :func:`shapley_estimate`
turns the outputs of its runs into effects with bootstrap intervals (or
:func:`resampled_estimate`, on resamples drawn beforehand by :func:`draw_resampling`, so that
designs sharing blocks are resampled together).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.sensitivity.dependence import JointInputs
from sim.sensitivity.estimators import FloatArray, IntArray, Interval

_TINY = float(np.finfo(float).eps)


@dataclass(frozen=True)
class ShapleyLayout:
    """Where each cost's runs sit in a Shapley design.

    The design's blocks are numbered as the subsets are: block 0 is the variance block,
    block ``u`` (1 to ``2^k - 2``) subset ``u``'s.

    Attributes
    ----------
    membership : int array (inputs,)
        Group number of every input (0 .. groups - 1).
    groups : int
        Number of groups ``k`` (2 to 12).
    n_variance : int
        Rows of the first block: independent draws of every input, for the variance.
    n_outer, n_inner : int
        Then, for each proper subset ``u`` of the groups in increasing bitmask order,
        ``n_outer`` blocks of ``n_inner`` rows: the inputs outside ``u`` fixed within a block,
        those in ``u`` drawn given them.
    """

    membership: IntArray
    groups: int
    n_variance: int
    n_outer: int
    n_inner: int

    @property
    def subsets(self) -> range:
        """The proper, non-empty subsets of the groups as bitmasks (bit ``j`` = group ``j``)."""
        return range(1, (1 << self.groups) - 1)

    @property
    def rows(self) -> int:
        """Rows of the whole design."""
        return self.n_variance + len(self.subsets) * self.n_outer * self.n_inner

    def in_subset(self, mask: int) -> np.ndarray:
        """Return which inputs belong to the groups of subset ``mask``."""
        return ((mask >> self.membership) & 1).astype(bool)

    def fixed(self, block: int) -> np.ndarray:
        """Return which inputs block ``block`` fixes within each outer draw.

        None in the variance block (0); those outside subset ``block`` in its block. Two
        blocks fixing the same inputs are draws from the same distribution, whatever the
        groups are called.
        """
        if block == 0:
            return np.zeros(len(self.membership), dtype=bool)
        return ~self.in_subset(block)

    def block_rows(self, block: int) -> int:
        """Rows of block ``block``: the variance block (0) or subset ``block``'s."""
        return self.n_variance if block == 0 else self.n_outer * self.n_inner

    @cached_property
    def weights(self) -> tuple[IntArray, IntArray, FloatArray]:
        """The Shapley sum as arrays: for each group, each subset without it and its weight.

        Returns ``(with_j, without_j, weight)``, each of shape (groups, 2^(k-1)):
        ``Sh_j = sum(weight[j] * (c[with_j[j]] - c[without_j[j]]))``.
        """
        k = self.groups
        with_j = np.zeros((k, 1 << (k - 1)), dtype=np.int64)
        without_j = np.zeros_like(with_j)
        weight = np.zeros(with_j.shape)
        for j in range(k):
            others = [mask for mask in range(1 << k) if not mask >> j & 1]
            for position, mask in enumerate(others):
                size = bin(mask).count("1")
                with_j[j, position] = mask | (1 << j)
                without_j[j, position] = mask
                weight[j, position] = (
                    math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
                )
        return with_j, without_j, weight


def draw_blocks(
    joint: JointInputs, layout: ShapleyLayout, rng: np.random.Generator
) -> list[FloatArray]:
    """Draw a Shapley design block by block: the variance block, then every subset's.

    Returns
    -------
    list of float arrays (layout.block_rows(b), inputs)
        Block ``b`` of the design (see :class:`ShapleyLayout`), in input units.
    """
    blocks = [joint.sample(layout.n_variance, rng)]
    for mask in layout.subsets:
        outer = joint.sample(layout.n_outer, rng)
        fixed = np.repeat(outer, layout.n_inner, axis=0)
        blocks.append(joint.conditional(~layout.in_subset(mask), fixed, rng))
    return blocks


def draw_design(joint: JointInputs, layout: ShapleyLayout, rng: np.random.Generator) -> FloatArray:
    """Draw a Shapley design: the variance block, then every subset's outer and inner draws.

    Returns
    -------
    float array (layout.rows, inputs)
        One row per model run (before replicates), in input units.
    """
    return np.vstack(draw_blocks(joint, layout, rng))


@dataclass(frozen=True)
class Resampling:
    """The rows of each block of a Shapley design that every bootstrap resample uses.

    Attributes
    ----------
    variance : int array (resamples, n_variance)
        Rows of the variance block, drawn with replacement.
    outer : int array (resamples, subsets, n_outer)
        Outer draws of each subset's block, drawn with replacement.
    """

    variance: IntArray
    outer: IntArray


def draw_resampling(layout: ShapleyLayout, resamples: int, rng: np.random.Generator) -> Resampling:
    """Draw the rows of ``resamples`` bootstrap resamples of a design laid out as ``layout``."""
    variance = rng.integers(0, layout.n_variance, size=(resamples, layout.n_variance))
    outer = rng.integers(0, layout.n_outer, size=(resamples, len(layout.subsets), layout.n_outer))
    return Resampling(variance, outer)


@dataclass(frozen=True)
class ShapleyEstimate:
    """Shapley effects of one output, with first and total indices, and their resamples.

    Each of ``shapley``, ``first`` and ``total`` holds one point estimate per group with
    its percentile bootstrap interval. ``first`` is the full first-order index
    ``Var(E[Y | X_j]) / V`` (counting what group ``j`` carries of the groups it depends on)
    and ``total`` the independent total index ``E[Var(Y | X_-j)] / V`` (what ``j`` does
    beyond everything it depends on); ``resamples`` holds the Shapley effects of every
    bootstrap resample, shape (resamples, groups), for the share of resamples in which a
    conclusion holds. ``noise_dominated`` marks an output whose expected value varied no
    more than the noise left in the replicate means (effects NaN).
    """

    shapley: Interval
    first: Interval
    total: Interval
    resamples: FloatArray
    constant: bool
    noise_dominated: bool


def _costs(
    means: FloatArray,
    layout: ShapleyLayout,
    noise: float,
    variance_rows: IntArray,
    outer_rows: IntArray,
) -> FloatArray:
    """Return every subset's cost, shape (resamples, 2^k), from resampled rows.

    ``variance_rows`` (resamples, n_variance) and ``outer_rows`` (resamples, subsets,
    n_outer) index the rows of each block that a resample uses. The noise left in the
    replicate means (``noise``) is taken out of every cost but the empty subset's, so the
    costs are those of the expected outcome.
    """
    k, resamples = layout.groups, variance_rows.shape[0]
    costs = np.zeros((resamples, 1 << k))
    costs[:, -1] = np.var(means[: layout.n_variance][variance_rows], axis=1, ddof=1) - noise
    inner = means[layout.n_variance :].reshape(len(layout.subsets), layout.n_outer, layout.n_inner)
    within = np.var(inner, axis=2, ddof=1)  # (subsets, n_outer)
    for position, mask in enumerate(layout.subsets):
        costs[:, mask] = within[position][outer_rows[:, position]].mean(axis=1) - noise
    return costs


def effects_from_costs(
    costs: FloatArray, layout: ShapleyLayout
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return Shapley effects, full first-order and independent total indices from costs.

    ``costs`` has shape (resamples, 2^k): ``c(u)`` for every subset bitmask ``u``, with
    ``c(empty) = 0`` and ``c(all)`` the variance. Each result has shape (resamples, k).
    """
    with_j, without_j, weight = layout.weights
    variance = costs[:, -1:]
    safe = np.where(np.abs(variance) > _TINY, variance, np.nan)
    differences = costs[:, with_j] - costs[:, without_j]  # (resamples, k, 2^(k-1))
    shapley = np.einsum("rkm,km->rk", differences, weight) / safe
    full = (1 << layout.groups) - 1
    singles = 1 << np.arange(layout.groups)
    first = 1.0 - costs[:, full ^ singles] / safe
    total = costs[:, singles] / safe
    return shapley, first, total


def _flat(groups: int, constant: bool) -> ShapleyEstimate:
    """Return the estimate of an output with nothing to split: zeros if constant, else NaN."""
    value = Interval.exact(np.full(groups, 0.0 if constant else float("nan")))
    return ShapleyEstimate(
        shapley=value,
        first=value,
        total=value,
        resamples=np.zeros((0, groups)),
        constant=constant,
        noise_dominated=not constant,
    )


def shapley_estimate(
    runs: FloatArray,
    layout: ShapleyLayout,
    *,
    resamples: int,
    confidence: float,
    rng: np.random.Generator,
) -> ShapleyEstimate:
    """Estimate Shapley effects, full first-order and total indices of one output.

    Parameters
    ----------
    runs : float array (rows, replicates)
        The output of every run, in design order (:func:`draw_design`).
    layout : ShapleyLayout
        The design's blocks.
    resamples : int
        Bootstrap resamples: the variance block's rows and each subset's outer draws are
        resampled with replacement.
    confidence : float
        Coverage of the percentile intervals.
    rng : numpy Generator
        The bootstrap stream.
    """
    return resampled_estimate(
        runs, layout, draw_resampling(layout, resamples, rng), confidence=confidence
    )


def resampled_estimate(
    runs: FloatArray, layout: ShapleyLayout, resampling: Resampling, *, confidence: float
) -> ShapleyEstimate:
    """Estimate as :func:`shapley_estimate` does, on bootstrap resamples drawn beforehand.

    Designs that share blocks are resampled jointly when they are given the same rows for
    the blocks they share.
    """
    rows, replicates = runs.shape
    if rows != layout.rows:
        raise ValueError(f"the runs have {rows} rows, the Shapley design {layout.rows}")
    means = runs.mean(axis=1)
    noise = float(np.mean(np.var(runs, axis=1, ddof=1)) / replicates) if replicates > 1 else 0.0
    everything = np.arange(layout.n_variance)[None, :]
    each_outer = np.broadcast_to(
        np.arange(layout.n_outer), (1, len(layout.subsets), layout.n_outer)
    )
    point_costs = _costs(means, layout, noise, everything, each_outer)
    constant = bool(np.ptp(runs) == 0.0)
    # The row means vary no more than the noise left in them: nothing to split.
    noise_dominated = not constant and float(point_costs[0, -1]) <= 0.0
    if constant or noise_dominated:
        return _flat(layout.groups, constant)
    point = [effect[0] for effect in effects_from_costs(point_costs, layout)]
    shapley, first, total = effects_from_costs(
        _costs(means, layout, noise, resampling.variance, resampling.outer), layout
    )
    tail = (1.0 - confidence) / 2.0 * 100.0
    bounds = [np.nanpercentile(b, [tail, 100.0 - tail], axis=0) for b in (shapley, first, total)]
    return ShapleyEstimate(
        Interval(point[0], *bounds[0]),
        Interval(point[1], *bounds[1]),
        Interval(point[2], *bounds[2]),
        shapley,
        constant,
        noise_dominated,
    )
