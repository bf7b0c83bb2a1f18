"""A small, batch-friendly ABC-SMC (population Monte Carlo) on a box-shaped uniform prior.

Each generation proposes a fixed number of parameter sets at once, simulates each one a fixed
number of times (replicates) and weighs it by importance sampling::

    w(theta) ~ prior(theta) / q(theta) * (share of its replicates with distance <= epsilon)

where ``q`` is the density the generation was proposed from: the prior (uniform on the box) in
generation 0, then a mixture of Gaussian kernels centred on the previous population, each
truncated to the box, with a diagonal covariance twice the population's weighted variance
(Beaumont et al. 2009). The share of replicates within epsilon is an unbiased estimate of the
probability of acceptance, so several replicates per particle keep the algorithm exact for
the ABC posterior (Del Moral, Doucet & Jasra 2012) while averaging out the model's noise.
Truncated kernels have an exact normalising constant per dimension, so ``q`` is the true
proposal density even near the edges of the box.

Epsilon adapts: each generation aims at a quantile of the previous generation's accepted
distances (Beaumont et al. 2009), never above the previous epsilon and never below a floor,
and is raised when the aim would leave too small an effective sample size, a guard that a
noisy agent-based model needs (in the spirit of Del Moral et al. 2012).
With distances measured in target tolerances (:mod:`sim.calibration.statistics`), a floor of
1 stops at "meets every target within its tolerance": the posterior is then the prior
restricted to the parameter sets that reproduce the evidence, weighted by how often they do,
and no narrower than the evidence allows.

Because a whole generation is proposed before any of it is simulated, a generation is one
batch for the sweep runner. All of the algorithm's randomness comes from one generator per
generation, derived from the calibration seed and the generation number, so a calibration
resumed after generation ``g`` proposes exactly what an uninterrupted one would.

References
----------
Beaumont, M. A., Cornuet, J.-M., Marin, J.-M. & Robert, C. P. (2009). Adaptive approximate
Bayesian computation. Biometrika 96(4), 983-990. doi:10.1093/biomet/asp052
Toni, T., Welch, D., Strelkowa, N., Ipsen, A. & Stumpf, M. P. H. (2009). Approximate Bayesian
computation scheme for parameter inference and model selection in dynamical systems.
J. R. Soc. Interface 6, 187-202. doi:10.1098/rsif.2008.0172
Del Moral, P., Doucet, A. & Jasra, A. (2012). An adaptive sequential Monte Carlo method for
approximate Bayesian computation. Statistics and Computing 22, 1009-1020.
doi:10.1007/s11222-011-9271-y
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import log_ndtr, logsumexp, ndtr, ndtri

from sim.seeds import abc_generation_rng

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Box:
    """A uniform prior: independent uniform ranges, one per parameter.

    Attributes
    ----------
    names : tuple of str
        Parameter names, in column order.
    low, high : float arrays (d,)
        Range ends; ``low < high`` everywhere.
    """

    names: tuple[str, ...]
    low: FloatArray
    high: FloatArray

    def __post_init__(self) -> None:
        """Check one bound of each side per name, each low below its high."""
        low, high = np.asarray(self.low, float), np.asarray(self.high, float)
        if low.shape != (len(self.names),) or high.shape != low.shape:
            raise ValueError("Box needs one low and one high per name")
        if not np.all(low < high):
            raise ValueError("Box needs low < high for every parameter")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    @property
    def dimension(self) -> int:
        """Number of parameters ``d``."""
        return len(self.names)

    def contains(self, points: FloatArray) -> NDArray[np.bool_]:
        """Whether each row of ``points`` (n, d) lies in the box."""
        return np.all((points >= self.low) & (points <= self.high), axis=1)

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``n`` independent uniform draws (n, d)."""
        return self.low + (self.high - self.low) * rng.random((n, self.dimension))


@dataclass(frozen=True)
class Population:
    """One generation of ABC-SMC.

    Attributes
    ----------
    generation : int
        0 for the first.
    epsilon : float
        Acceptance threshold on the distance used for the weights.
    particles : float array (n, d)
        Every proposed parameter set, accepted or not.
    distances : float array (n, R)
        Distance of each replicate run of each particle.
    weights : float array (n,)
        Normalised importance weights (0 for particles with no replicate within epsilon).
    """

    generation: int
    epsilon: float
    particles: FloatArray
    distances: FloatArray
    weights: FloatArray

    @property
    def accepted(self) -> NDArray[np.bool_]:
        """Particles with positive weight."""
        return self.weights > 0

    @property
    def ess(self) -> float:
        """Effective sample size of the weights (Kish)."""
        return ess(self.weights)

    @property
    def runs(self) -> int:
        """Number of model runs in this generation."""
        return int(self.distances.size)


@dataclass(frozen=True)
class Sample:
    """A weighted sample of the ABC posterior at one epsilon, pooled over generations.

    Attributes
    ----------
    epsilon : float
        The threshold every pooled generation was weighed at.
    particles : float array (n, d)
        Accepted parameter sets.
    weights : float array (n,)
        Normalised weights.
    generation : int array (n,)
        The generation each particle comes from.
    acceptance : float array (n,)
        Share of each particle's runs within epsilon.
    rows : int array (n,)
        Each particle's position in its generation (a row of that generation's design).
    """

    epsilon: float
    particles: FloatArray
    weights: FloatArray
    generation: NDArray[np.int64]
    acceptance: FloatArray
    rows: NDArray[np.int64]

    @property
    def ess(self) -> float:
        """Effective sample size of the weights (Kish)."""
        return ess(self.weights)


def pool(populations: Sequence[Population]) -> Sample:
    """Pool the posterior sample: every generation weighed at the last epsilon.

    Each generation is a self-normalised importance sample of the same ABC posterior, so a
    convex combination of them is too; weighing each by its effective sample size gives the
    better generations more say (a common, simple choice; Beaumont et al. 2009 keep only the
    last). Generations at a larger epsilon target a wider posterior and are left out.
    """
    epsilon = populations[-1].epsilon
    chosen = [p for p in populations if p.epsilon == epsilon and p.ess > 0]
    parts = [(p, p.weights > 0) for p in chosen]
    weights = np.concatenate([p.weights[keep] * p.ess for p, keep in parts])
    return Sample(
        epsilon,
        np.concatenate([p.particles[keep] for p, keep in parts]),
        weights / weights.sum(),
        np.concatenate([np.full(int(keep.sum()), p.generation) for p, keep in parts]),
        np.concatenate([acceptance(p.distances[keep], epsilon) for p, keep in parts]),
        np.concatenate([np.flatnonzero(keep) for _, keep in parts]).astype(np.int64),
    )


def acceptance(distances: FloatArray, epsilon: float) -> FloatArray:
    """Share of each particle's replicates (rows) with distance at most ``epsilon``."""
    return np.mean(distances <= epsilon, axis=1)


def ess(weights: FloatArray) -> float:
    """Kish's effective sample size of (not necessarily normalised) weights."""
    total = float(np.sum(weights))
    return total**2 / float(np.sum(weights**2)) if total > 0 else 0.0


def choose_epsilon(
    particles: FloatArray,
    distances: FloatArray,
    log_proposal: FloatArray | None,
    box: Box,
    previous: Population | None,
    settings: Settings,
) -> float:
    """Epsilon of a freshly simulated generation.

    The aim is the ``settings.quantile`` of the previous generation's accepted runs'
    distances (Beaumont et al. 2009; Toni et al. 2009), so epsilon falls a step each
    generation; for generation 0 it is that quantile of its own distances. When the aim is
    the previous epsilon itself (distances that take few values), it is the largest accepted
    distance below it instead. The floor is a
    lower bound and the previous epsilon an upper one. A noisy model can make the aim
    unreachable (its best parameter sets meet it too rarely): epsilon is then raised to the
    smallest value that keeps an effective sample size of ``settings.min_ess`` of the
    generation's particles, so the population never collapses onto a handful of lucky runs.
    """
    if previous is None:
        upper = np.inf
        aim = float(np.quantile(distances.ravel(), settings.quantile, method="inverted_cdf"))
    else:
        upper = previous.epsilon
        accepted = previous.distances[previous.distances <= previous.epsilon]
        aim = float(np.quantile(accepted, settings.quantile, method="inverted_cdf"))
        if aim >= upper:
            # A distance that takes few values (partners out of place) can hold the quantile
            # on the last epsilon for ever: aim at the next smaller accepted distance instead.
            below = accepted[accepted < upper]
            if below.size:
                aim = float(below.max())
    aim = min(max(aim, settings.floor), upper)
    wanted = settings.min_ess * len(particles)
    if ess(weigh(particles, distances, aim, log_proposal, box)) >= wanted:
        return aim
    finite = np.unique(distances[np.isfinite(distances)])
    candidates = finite[(finite > aim) & (finite <= upper)]
    if candidates.size > 400:
        candidates = np.unique(np.quantile(candidates, np.linspace(0, 1, 400), method="lower"))
    for epsilon in candidates:
        if ess(weigh(particles, distances, float(epsilon), log_proposal, box)) >= wanted:
            return float(epsilon)
    if np.isfinite(upper):
        return float(upper)
    return float(candidates[-1]) if candidates.size else aim


BLOCK_ELEMENTS = 1 << 21
"""Most values (points x centres x dimensions) that :meth:`Kernel.log_density` holds in one
temporary array: 16 MiB of float64, so that 5,000 points around 2,500 centres in 16
dimensions need tens of MiB rather than several GiB."""


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

    @classmethod
    def around(cls, sample: Sample, box: Box, defensive: float = 0.0) -> Kernel:
        """Fit the kernel of the next generation to a weighted sample's accepted particles."""
        keep = sample.weights > 0
        if not np.any(keep):
            raise ValueError("no particle was accepted: the population cannot be perturbed")
        centres = sample.particles[keep]
        weights = sample.weights[keep] / sample.weights[keep].sum()
        mean = weights @ centres
        variance = weights @ (centres - mean) ** 2
        floor = (1e-3 * (box.high - box.low)) ** 2
        scale = np.sqrt(2.0 * np.maximum(variance, floor))
        return cls(box, centres, weights, scale, defensive)

    def _limits(self) -> tuple[FloatArray, FloatArray]:
        """Standardised box ends (m, d) for every centre."""
        a = (self.box.low - self.centres) / self.scale
        b = (self.box.high - self.centres) / self.scale
        return a, b

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
        points = np.where(from_prior[:, None], uniform, points)
        # Rounding at the far tails can land a hair outside the box.
        return np.clip(points, self.box.low, self.box.high)

    def log_density(self, points: FloatArray) -> FloatArray:
        """Log of the mixture density at each row of ``points`` (n, d).

        Computed a block of points at a time, so that memory stays near
        :data:`BLOCK_ELEMENTS` float64 values per temporary array, whatever the number of
        points and centres; every point's value is computed exactly as it would be alone.
        """
        a, b = self._limits()
        # log of each truncated normal's mass inside the box, per centre and dimension
        log_mass = _log_normal_mass(a, b)  # (m, d)
        log_weights = np.log(self.weights)
        rows = max(1, BLOCK_ELEMENTS // max(1, self.centres.size))
        mixture = np.empty(len(points))
        for start in range(0, len(points), rows):
            block = points[start : start + rows]
            z = (block[:, None, :] - self.centres[None]) / self.scale  # (rows, m, d)
            log_pdf = -0.5 * z**2 - np.log(self.scale) - 0.5 * np.log(2 * np.pi) - log_mass[None]
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


def weigh(
    particles: FloatArray,
    distances: FloatArray,
    epsilon: float,
    log_proposal: FloatArray | None,
    box: Box,
) -> FloatArray:
    """Normalised importance weights of a generation at ``epsilon``.

    ``log_proposal`` is the log density the particles were drawn from (None: the prior). The
    prior is uniform on ``box``, so its density is a constant that cancels on normalising.
    """
    accept = acceptance(distances, epsilon) * box.contains(particles)
    if log_proposal is None:
        raw = accept
    else:
        log_w = np.full(len(accept), -np.inf)
        positive = accept > 0
        log_w[positive] = np.log(accept[positive]) - log_proposal[positive]
        raw = np.exp(log_w - np.max(log_w)) if np.any(positive) else accept
    total = raw.sum()
    return raw / total if total > 0 else raw


Simulate = Callable[[int, FloatArray], FloatArray]
"""``simulate(generation, particles (n, d)) -> distances (n, R)``: the model, batched."""


@dataclass(frozen=True)
class Settings:
    """How an ABC-SMC run proceeds.

    Attributes
    ----------
    particles : int
        Parameter sets proposed per generation after the first.
    generations : int
        Most generations, the first included.
    quantile : float
        Each generation aims its epsilon at this quantile of the previous generation's
        accepted distances (0 < q <= 1).
    min_ess : float
        Share of a generation's particles its effective sample size may not fall below
        (epsilon is raised instead).
    ess_fraction : float
        The run stops once the pooled posterior at the floor has an effective sample size of
        this share of a generation's particles.
    floor : float
        Smallest epsilon.
    seed : int
        Seed of the algorithm's generators.
    defensive : float
        Share of each generation's proposals drawn from the prior (0 <= share < 1).
    """

    particles: int
    generations: int
    ess_fraction: float
    floor: float
    seed: int
    defensive: float = 0.2
    quantile: float = 0.5
    min_ess: float = 0.05


def first_population(
    particles: FloatArray, distances: FloatArray, settings: Settings, box: Box
) -> Population:
    """Make generation 0 from prior draws (e.g. a screening wave's non-implausible points).

    The points must be draws from the uniform prior on ``box``, or a space-filling design
    standing in for one (a Latin hypercube restricted to the box).
    """
    epsilon = choose_epsilon(particles, distances, None, box, None, settings)
    weights = weigh(particles, distances, epsilon, None, box)
    return Population(0, epsilon, particles, distances, weights)


def next_population(
    done: Sequence[Population], simulate: Simulate, settings: Settings, box: Box
) -> Population:
    """Propose (around the pooled posterior so far), simulate and weigh one generation."""
    previous = done[-1]
    generation = previous.generation + 1
    rng = abc_generation_rng(settings.seed, generation)
    kernel = Kernel.around(pool(done), box, settings.defensive)
    particles = kernel.sample(rng, settings.particles)
    distances = np.asarray(simulate(generation, particles), dtype=float)
    if distances.ndim != 2 or distances.shape[0] != len(particles):
        raise ValueError(
            f"simulate returned shape {distances.shape} for {len(particles)} particles"
        )
    # In blocks of points: the density of a point does not depend on the others, and a
    # whole generation at once would hold points x centres x dimensions floats.
    log_proposal = np.concatenate(
        [kernel.log_density(block) for block in np.array_split(particles, _blocks(particles))]
    )
    epsilon = choose_epsilon(particles, distances, log_proposal, box, previous, settings)
    weights = weigh(particles, distances, epsilon, log_proposal, box)
    return Population(generation, epsilon, particles, distances, weights)


DENSITY_BLOCK = 256
"""Points per call of :meth:`Kernel.log_density` when weighing a generation."""


def _blocks(points: FloatArray) -> int:
    """Return how many blocks of at most :data:`DENSITY_BLOCK` points ``points`` makes."""
    return max(1, -(-len(points) // DENSITY_BLOCK))


def finished(populations: Sequence[Population], settings: Settings) -> bool:
    """Whether to stop.

    Stop when the generation budget is spent, or when at least one generation was proposed
    around a previous one (generation 0 is prior draws) and the pooled sample at the floor
    has an effective sample size of at least ``ess_fraction`` of a generation's particles.
    """
    if len(populations) >= settings.generations:
        return True
    last = populations[-1]
    return (
        last.generation > 0
        and last.epsilon <= settings.floor
        and pool(populations).ess >= settings.ess_fraction * settings.particles
    )


def abc_smc(
    simulate: Simulate,
    box: Box,
    settings: Settings,
    first: Population | None = None,
    done: Sequence[Population] = (),
    on_population: Callable[[Population], None] | None = None,
) -> list[Population]:
    """Run ABC-SMC to the end; return every population (:func:`pool` gives the posterior).

    Parameters
    ----------
    simulate : callable
        ``simulate(generation, particles) -> distances (n, R)``.
    box : Box
        The uniform prior.
    settings : Settings
        Budget, epsilon schedule and seed.
    first : Population, optional
        Generation 0 (e.g. from a screening wave); drawn from the prior with
        ``settings.particles`` particles when omitted.
    done : sequence of Population
        Populations already computed (resume): the run continues after the last one.
    on_population : callable, optional
        Called with each new population as soon as it is weighed (to store it).
    """
    populations = list(done)
    if not populations:
        if first is None:
            rng = abc_generation_rng(settings.seed, 0)
            particles = box.sample(rng, settings.particles)
            first = first_population(particles, simulate(0, particles), settings, box)
        populations.append(first)
        if on_population is not None:
            on_population(first)
    while not finished(populations, settings):
        population = next_population(populations, simulate, settings, box)
        populations.append(population)
        if on_population is not None:
            on_population(population)
    return populations
