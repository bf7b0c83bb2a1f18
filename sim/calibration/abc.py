"""A small, batch-friendly ABC-SMC (population Monte Carlo) on a box-shaped uniform prior.

Each generation proposes a fixed number of parameter sets at once, simulates each one a fixed
number of times (replicates) and weighs it by importance sampling::

    w(theta) ~ prior(theta) / q(theta) * (share of its replicates with distance <= epsilon)

where ``q`` is the density the generation was proposed from: the prior (uniform on the box) in
generation 0, then a mixture of kernels centred on the posterior so far, with a defensive
share of the prior (:mod:`sim.calibration.kernels`: box-truncated diagonal Gaussians, twice
the population's weighted variance (Beaumont et al. 2009), each coordinate drawn from its
whole range with a share that grows with how far the population spreads over it; or the
locally optimal covariance kernel of Filippi et al. 2013). The share of replicates within
epsilon is an unbiased estimate of the probability of acceptance, so several replicates per
particle keep the algorithm exact for the ABC posterior (Del Moral, Doucet & Jasra 2012)
while averaging out the model's noise. Every kernel's density is exact on the box, so the
posterior pools every generation's accepted particles with deterministic-mixture weights,
prior over the mixture of all the proposals (:func:`pool`).

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
Veach, E. & Guibas, L. J. (1995). Optimally combining sampling techniques for Monte Carlo
rendering. Proceedings of SIGGRAPH '95, 419-428. doi:10.1145/218380.218498
Cornuet, J.-M., Marin, J.-M., Mira, A. & Robert, C. P. (2012). Adaptive multiple importance
sampling. Scandinavian Journal of Statistics 39(4), 798-812.
doi:10.1111/j.1467-9469.2011.00756.x
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import logsumexp

from sim.calibration.kernels import Kernel, LocalCovarianceKernel, Proposal
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
    proposal : Proposal or None
        The density the particles were drawn from (None for generation 0, drawn from the
        prior or a design standing in for it).
    densities : dict
        Cache of that density at other generations' particles: generation -> (rows, log
        density), filled by :func:`pool`.
    """

    generation: int
    epsilon: float
    particles: FloatArray
    distances: FloatArray
    weights: FloatArray
    proposal: Proposal | None = field(default=None, compare=False, repr=False)
    densities: dict[int, tuple[NDArray[np.int64], FloatArray]] = field(
        default_factory=dict, compare=False, repr=False
    )

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

    When every generation after the first knows the density it was drawn from, each
    particle of those generations that meets the last epsilon is weighed against the mixture
    of all of them, the *deterministic mixture* weight (Veach & Guibas 1995; Cornuet et al.
    2012)::

        w ~ prior(theta) * acceptance / sum_t (n_t / n) q_t(theta)

    The generations together are ``n`` draws from that mixture, so the weights are an exact
    importance sample of the ABC posterior at the last epsilon, and a particle that one
    narrow proposal reached by luck is weighed by every proposal that could have drawn it,
    which keeps the weights even. Particles of generations proposed at a larger epsilon
    count too: they were drawn from their proposal whatever epsilon they were weighed at.

    Otherwise each generation at the last epsilon is a self-normalised importance sample of
    the same posterior, and they are combined weighted by their effective sample sizes
    (Beaumont et al. 2009 keep only the last).
    """
    epsilon = populations[-1].epsilon
    drawn = populations[1:]
    if drawn and all(p.proposal is not None for p in drawn):
        mixed = _mixture_pool(drawn, epsilon)
        if mixed is not None:
            return mixed
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


def _mixture_pool(drawn: Sequence[Population], epsilon: float) -> Sample | None:
    """Deterministic-mixture weights at ``epsilon`` (see :func:`pool`); None if none meets it."""
    rates = [acceptance(p.distances, epsilon) for p in drawn]
    keeps = [rate > 0 for rate in rates]
    if not any(keep.any() for keep in keeps):
        return None
    points = np.concatenate([p.particles[keep] for p, keep in zip(drawn, keeps, strict=True)])
    counts = np.array([len(p.particles) for p in drawn], dtype=float)
    log_mixture = logsumexp(
        [
            np.log(n / counts.sum())
            + np.concatenate(
                [
                    _cached_density(t, s, np.flatnonzero(k))
                    for s, k in zip(drawn, keeps, strict=True)
                ]
            )
            for n, t in zip(counts, drawn, strict=True)
        ],
        axis=0,
    )
    accept = np.concatenate([rate[keep] for rate, keep in zip(rates, keeps, strict=True)])
    # the prior is uniform, a constant that cancels on normalising
    log_w = np.log(accept) - log_mixture
    weights = np.exp(log_w - log_w.max())
    return Sample(
        epsilon,
        points,
        weights / weights.sum(),
        np.concatenate(
            [np.full(int(k.sum()), p.generation) for p, k in zip(drawn, keeps, strict=True)]
        ),
        accept,
        np.concatenate([np.flatnonzero(keep) for keep in keeps]).astype(np.int64),
    )


def _cached_density(proposer: Population, drawn: Population, rows: NDArray[np.int64]) -> FloatArray:
    """Log density of ``proposer``'s proposal at rows of ``drawn``'s particles, cached.

    Epsilon only falls, so the rows asked for later are among those asked for before.
    """
    assert proposer.proposal is not None
    cached = proposer.densities.get(drawn.generation)
    if cached is not None:
        known, values = cached
        # Once epsilon stays at its floor the same rows are asked for every generation: a
        # pool of g generations asks g * g times, so the common case must be cheap.
        if len(known) == len(rows) and np.array_equal(known, rows):
            return values
        if np.isin(rows, known).all():
            return values[np.searchsorted(known, rows)]
    values = _log_density(proposer.proposal, drawn.particles[rows])
    proposer.densities[drawn.generation] = (rows, values)
    return values


def _log_density(proposal: Proposal, points: FloatArray) -> FloatArray:
    """Return a proposal's log density at ``points``, a block of points at a time."""
    return np.concatenate(
        [proposal.log_density(block) for block in np.array_split(points, _blocks(points))]
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
        # a generation that met nothing (rare at the floor) leaves the aim where it was
        aim = (
            float(np.quantile(accepted, settings.quantile, method="inverted_cdf"))
            if accepted.size
            else upper
        )
        if aim >= upper:
            # A distance that takes few values (partners out of place) can hold the quantile
            # on the last epsilon for ever: aim at the next smaller accepted distance instead.
            below = accepted[accepted < upper]
            if below.size:
                aim = float(below.max())
    aim = min(max(aim, settings.epsilon_floor), upper)
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


KernelKind = Literal["diagonal", "local"]
"""Perturbation kernels: box-truncated diagonal Gaussians, or locally optimal covariances."""

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
    epsilon_floor : float
        Smallest epsilon.
    seed : int
        Seed of the algorithm's generators.
    defensive : float
        Share of each generation's proposals drawn from the prior (0 <= share < 1).
    kernel : KernelKind
        The perturbation kernel: ``diagonal`` (:class:`Kernel`) or ``local``
        (:class:`sim.calibration.kernels.LocalCovarianceKernel`).
    coordinate : float
        Most share of a coordinate the diagonal kernel draws from the parameter's range
        (scaled by the population's variance over the prior's; :meth:`Kernel.around`).
    """

    particles: int
    generations: int
    ess_fraction: float
    epsilon_floor: float
    seed: int
    defensive: float = 0.2
    quantile: float = 0.5
    min_ess: float = 0.05
    kernel: KernelKind = "diagonal"
    coordinate: float = 0.0


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
    done: Sequence[Population],
    simulate: Simulate,
    settings: Settings,
    box: Box,
    pooled: Sample | None = None,
) -> Population:
    """Propose (around the pooled posterior so far), simulate and weigh one generation.

    ``pooled`` is ``pool(done)`` when the caller has it already.
    """
    previous = done[-1]
    generation = previous.generation + 1
    rng = abc_generation_rng(settings.seed, generation)
    kernel = perturbation(pooled if pooled is not None else pool(done), box, settings)
    particles = kernel.sample(rng, settings.particles)
    distances = np.asarray(simulate(generation, particles), dtype=float)
    if distances.ndim != 2 or distances.shape[0] != len(particles):
        raise ValueError(
            f"simulate returned shape {distances.shape} for {len(particles)} particles"
        )
    log_proposal = _proposal_density(kernel, particles, _reachable(distances, previous.epsilon))
    epsilon = choose_epsilon(particles, distances, log_proposal, box, previous, settings)
    weights = weigh(particles, distances, epsilon, log_proposal, box)
    return Population(generation, epsilon, particles, distances, weights, kernel)


def _reachable(distances: FloatArray, upper: float) -> NDArray[np.bool_]:
    """Return the particles a generation can accept: a replicate within ``upper``.

    ``upper`` is the largest epsilon the generation may choose, the previous generation's.
    """
    return np.any(distances <= upper, axis=1)


def _proposal_density(
    kernel: Proposal, particles: FloatArray, needed: NDArray[np.bool_]
) -> FloatArray:
    """Return the kernel's log density at the ``needed`` particles, NaN at the others.

    Only a particle with positive acceptance is ever weighed, and at the tolerance floor
    that is a few in thousands: the rest would cost points x centres x dimensions for
    nothing. In blocks of points: the density of a point does not depend on the others, and
    a whole generation at once would hold points x centres x dimensions floats.
    """
    log_proposal = np.full(len(particles), np.nan)
    if np.any(needed):
        log_proposal[needed] = _log_density(kernel, particles[needed])
    return log_proposal


def with_proposals(
    populations: Sequence[Population], box: Box, settings: Settings
) -> list[Population]:
    """Attach to each generation after the first the kernel it was proposed from.

    The kernel of generation ``t`` is a function of generations ``0 .. t-1`` alone, so a
    calibration resumed from stored generations weighs them exactly as the run that drew them.
    """
    rebuilt: list[Population] = []
    for population in populations:
        if rebuilt and population.proposal is None:
            population = replace(population, proposal=perturbation(pool(rebuilt), box, settings))
        rebuilt.append(population)
    return rebuilt


def perturbation(sample: Sample, box: Box, settings: Settings) -> Proposal:
    """Fit the kernel the next generation is proposed from to the pooled sample."""
    if settings.kernel == "local":
        return LocalCovarianceKernel.fit(
            box.low, box.high, sample.particles, sample.weights, settings.defensive, temper=0.0
        )
    return Kernel.around(sample, box, settings.defensive, settings.coordinate)


DENSITY_BLOCK = 256
"""Points per call of :meth:`Kernel.log_density` when weighing a generation."""


def _blocks(points: FloatArray) -> int:
    """Return how many blocks of at most :data:`DENSITY_BLOCK` points ``points`` makes."""
    return max(1, -(-len(points) // DENSITY_BLOCK))


def finished(
    populations: Sequence[Population], settings: Settings, pooled: Sample | None = None
) -> bool:
    """Whether to stop.

    Stop when the generation budget is spent, or when at least one generation was proposed
    around a previous one (generation 0 is prior draws) and the pooled sample at the floor
    has an effective sample size of at least ``ess_fraction`` of a generation's particles.
    ``pooled`` is ``pool(populations)`` when the caller has it already.
    """
    if len(populations) >= settings.generations:
        return True
    last = populations[-1]
    return (
        last.generation > 0
        and last.epsilon <= settings.epsilon_floor
        and (pooled if pooled is not None else pool(populations)).ess
        >= settings.ess_fraction * settings.particles
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
    populations = with_proposals(done, box, settings)
    if not populations:
        if first is None:
            rng = abc_generation_rng(settings.seed, 0)
            particles = box.sample(rng, settings.particles)
            first = first_population(particles, simulate(0, particles), settings, box)
        populations.append(first)
        if on_population is not None:
            on_population(first)
    while len(populations) < settings.generations:
        # One pool a generation: whether to stop and, if not, what to propose around.
        pooled = pool(populations)
        if finished(populations, settings, pooled):
            break
        population = next_population(populations, simulate, settings, box, pooled)
        populations.append(population)
        if on_population is not None:
            on_population(population)
    return populations
