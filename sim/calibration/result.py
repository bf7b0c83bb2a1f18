"""A finished calibration as data: the posterior, how it was reached and how well it fits.

Writing its report, figures and calibrated scenario is :mod:`sim.calibration.report`'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.calibration.abc import Population, Sample, pool
from sim.calibration.best_fit import chosen_set
from sim.calibration.problem import Problem, generation_design
from sim.calibration.screening import Screening
from sim.calibration.statistics import excess
from sim.calibration.targets import TargetSet

Verdict = Literal["identified", "weakly identified", "not identified"]
"""What the targets say about a parameter, from its posterior-to-prior interval ratio."""

WEAKLY_BELOW = 0.5
"""Interval ratio below which a parameter counts as identified (weakly up to the threshold
of :attr:`CalibrationSettings.not_identified_above`)."""


@dataclass(frozen=True)
class Calibration:
    """A finished calibration: the posterior, how it was reached and how well it fits.

    Attributes
    ----------
    problem : Problem
        Targets, scenario, settings, priors.
    screening : Screening
        The screening wave.
    influence : DataFrame
        Spearman correlation of every screened input with every target statistic.
    support : dict of str to (low, high)
        The prior support ABC used (the screening's non-implausible box).
    populations : tuple of Population
        Every ABC generation; the last is the posterior.
    predictive : DataFrame
        Posterior-predictive runs: ``draw``, ``replicate``, target statistics, per-partner
        statistics.
    predictive_quarterly : array (runs, quarters, partners)
        Quarterly recording share of every posterior-predictive run.
    point : DataFrame
        Runs of the calibrated scenario at its point estimate, on seeds of their own.
    runs : int
        Model runs in the whole calibration (resumed ones included).
    seconds : dict of str to float
        Wall time per stage in this session.
    wall_seconds : float
        Wall time of the whole calibration, over every session that worked on its folder.
    defaults : DataFrame
        Runs of the scenario at its own defaults (the uncalibrated replay), same columns.
    selection : DataFrame
        How the point estimate was chosen (:func:`sim.calibration.best_fit.best_fit`): per
        candidate set, its values, the last round it ran in, its runs, how many met every
        target, the rate and whether it was chosen.
    """

    problem: Problem
    screening: Screening
    influence: pd.DataFrame
    support: dict[str, tuple[float, float]]
    populations: tuple[Population, ...]
    predictive: pd.DataFrame
    predictive_quarterly: np.ndarray
    point: pd.DataFrame
    runs: int
    seconds: dict[str, float]
    wall_seconds: float = 0.0
    defaults: pd.DataFrame = field(default_factory=pd.DataFrame)
    selection: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __repr__(self) -> str:
        """One line: scenario, targets, inputs and the work done (the tables are its fields)."""
        problem = self.problem
        return (
            f"<Calibration of {problem.scenario.name!r} to {len(problem.targets.targets)} "
            f"targets: {len(problem.prior)} inputs, {len(self.populations)} generations, "
            f"{self.runs:,} runs>"
        )

    @property
    def final(self) -> Sample:
        """The posterior sample: the generations at the final epsilon, pooled."""
        return pool(self.populations)

    @property
    def posterior(self) -> pd.DataFrame:
        """The posterior as a table: parameter sets with weights (summing to 1).

        With the generation each comes from and the epsilon it was accepted at.
        """
        sample = self.final
        frame = pd.DataFrame(sample.particles, columns=list(self.problem.inputs))
        frame.insert(0, "weight", sample.weights)
        frame.insert(0, "epsilon", sample.epsilon)
        frame.insert(0, "generation", sample.generation)
        return frame

    def nuisance_values(self, generation: int) -> pd.DataFrame:
        """Return the nuisance inputs every particle of ``generation`` was simulated with.

        See :func:`nuisance_values`.
        """
        return nuisance_values(self.problem, self.screening, self.populations, generation)

    def joint_posterior(self) -> pd.DataFrame:
        """Return the posterior over every input the calibration varied.

        See :func:`joint_sample`; what the calibrated scenario draws from.
        """
        return joint_sample(self.problem, self.screening, self.populations)

    @property
    def prior_acceptance(self) -> float:
        """Share of the screening wave's runs that meet every target within tolerance.

        The wave's parameter sets come from the whole prior, so this is how much of the
        prior the evidence leaves, jointly.
        """
        return self.prior_share_within(self.problem.settings.epsilon_floor)

    def prior_share_within(self, epsilon: float) -> float:
        """Share of the screening wave's runs within ``epsilon`` of every target."""
        cube = self.screening.statistics
        runs = pd.DataFrame(
            cube.reshape(-1, cube.shape[2]), columns=list(self.problem.targets.components())
        )
        distance = excess(runs, self.problem.targets).to_numpy().max(axis=1)
        return float(np.mean(distance <= epsilon))

    def population_table(self) -> pd.DataFrame:
        """Every generation's particles (accepted or not) with weights and distances."""
        frames = []
        for pop in self.populations:
            frame = pd.DataFrame(pop.particles, columns=list(self.problem.inputs))
            for r in range(pop.distances.shape[1]):
                frame[f"distance_{r}"] = pop.distances[:, r]
            frame.insert(0, "weight", pop.weights)
            frame.insert(0, "epsilon", pop.epsilon)
            frame.insert(0, "generation", pop.generation)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def generations(self) -> pd.DataFrame:
        """One row per generation: epsilon, particles, accepted, effective sample size, runs."""
        return pd.DataFrame(
            {
                "generation": [p.generation for p in self.populations],
                "epsilon": [p.epsilon for p in self.populations],
                "particles": [len(p.weights) for p in self.populations],
                "accepted": [int(p.accepted.sum()) for p in self.populations],
                "ess": [round(p.ess, 1) for p in self.populations],
                "runs": [p.runs for p in self.populations],
            }
        ).set_index("generation")

    def point_estimate(self) -> dict[str, float]:
        """Return the calibrated scenario's defaults: the best-fitting accepted parameter set.

        The posterior's set that met every target at once most often
        (:mod:`sim.calibration.best_fit`).
        """
        return chosen_set(self.selection, self.problem.inputs)

    def identification(self) -> pd.DataFrame:
        """Per calibrated input: prior, support, posterior and verdict.

        The prior, the screening support, the posterior median and 90% interval, the
        interval's width over the prior's 90% width, the verdict, and the point estimate the
        calibrated scenario uses as default.
        """
        post = self.posterior
        w = post["weight"].to_numpy()
        rows = []
        limit = self.problem.settings.not_identified_above
        estimate = self.point_estimate()
        for name in self.problem.inputs:
            low, high = self.problem.prior[name]
            x = post[name].to_numpy()
            q05, q50, q95 = (weighted_quantile(x, w, q) for q in (0.05, 0.5, 0.95))
            ratio = (q95 - q05) / prior_width(low, high)
            rows.append(
                {
                    "input": name,
                    "prior_low": low,
                    "prior_high": high,
                    "support_low": self.support[name][0],
                    "support_high": self.support[name][1],
                    "posterior_median": q50,
                    "posterior_q05": q05,
                    "posterior_q95": q95,
                    "interval_ratio": ratio,
                    "verdict": verdict(ratio, limit),
                    "point_estimate": estimate[name],
                }
            )
        return pd.DataFrame(rows).set_index("input")

    def fit(self) -> pd.DataFrame:
        """Fit per target component, for the posterior-predictive replay and point estimate.

        Median and 5-95% of the statistic, share of runs meeting the target, and whether the
        median run meets it (else by how much it misses, in the statistic's units).
        """
        return fit_table(self.problem.targets, self.predictive, self.point)


def nuisance_values(
    problem: Problem, screening: Screening, populations: Sequence[Population], generation: int
) -> pd.DataFrame:
    """Return the nuisance inputs every particle of ``generation`` was simulated with.

    One row per particle (no columns when ``nuisance = "defaults"``).

    Generation 0 is the screening wave's plausible points; a later generation's values
    are drawn again exactly as its design drew them (the same generator, the same
    particles), so they need no stored runs.
    """
    names = list(problem.nuisance) if problem.settings.nuisance == "prior" else []
    if generation == 0:
        design = screening.design.loc[screening.plausible]
        return design[names].reset_index(drop=True)
    population = next(p for p in populations if p.generation == generation)
    return generation_design(problem, generation, population.particles)[names]


def joint_sample(
    problem: Problem, screening: Screening, populations: Sequence[Population]
) -> pd.DataFrame:
    """Return the posterior over every input the calibration varied, as weighted rows.

    ``weight``, the calibrated inputs, then the nuisance inputs each accepted set was
    simulated with. Each accepted particle was weighed by runs at exactly these nuisance
    values, so the rows are a weighted sample of the joint ABC posterior of calibrated and
    nuisance inputs (whose marginal for the calibrated inputs is the pooled sample).
    """
    sample = pool(populations)
    frame = pd.DataFrame(sample.particles, columns=list(problem.inputs))
    frame.insert(0, "weight", sample.weights)
    parts = []
    for generation in np.unique(sample.generation):
        mine = np.flatnonzero(sample.generation == generation)
        values = nuisance_values(problem, screening, populations, int(generation))
        parts.append(values.iloc[sample.rows[mine]].set_axis(mine))
    if parts and len(parts[0].columns):
        frame = pd.concat([frame, pd.concat(parts).sort_index()], axis=1)
    return frame


def prior_width(low: float, high: float) -> float:
    """Return the 90% width of a uniform prior on ``[low, high]``: what intervals are over."""
    return 0.9 * (high - low)


def verdict(ratio: float, limit: float) -> Verdict:
    """Return what an interval ratio says of a parameter.

    Not identified above ``limit`` (the settings' ``not_identified_above``), weakly identified
    from :data:`WEAKLY_BELOW` up to it, identified below.
    """
    if ratio > limit:
        return "not identified"
    return "weakly identified" if ratio >= WEAKLY_BELOW else "identified"


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Return the ``q`` quantile of ``values`` with ``weights`` (inverse of the weighted CDF)."""
    order = np.argsort(values, kind="stable")
    x, w = values[order], weights[order]
    cumulative = np.cumsum(w) / np.sum(w)
    index = int(np.searchsorted(cumulative, q, side="left"))
    return float(x[min(index, len(x) - 1)])


def fit_table(targets: TargetSet, predictive: pd.DataFrame, point: pd.DataFrame) -> pd.DataFrame:
    """How each target component is met by two sets of runs (see :meth:`Calibration.fit`)."""
    gaps = {"predictive": excess(predictive, targets), "point": excess(point, targets)}
    frames = {"predictive": predictive, "point": point}
    rows = []
    for target in targets.targets:
        low, high = target.interval
        for column in target.components():
            row: dict[str, Any] = {
                "target": column,
                "source": target.source,
                "strength": target.strength,
                "low": low,
                "high": high,
                "tolerance": target.tolerance,
            }
            for prefix, frame in frames.items():
                x = frame[column].to_numpy(dtype=float)
                defined = x[~np.isnan(x)]
                gap = gaps[prefix][column].to_numpy()
                if defined.size:
                    median = float(np.median(defined))
                    q05, q95 = (float(v) for v in np.quantile(defined, [0.05, 0.95]))
                    miss = max(low - median, median - high, 0.0)
                else:
                    median = q05 = q95 = miss = float("nan")
                row |= {
                    f"{prefix}_median": median,
                    f"{prefix}_q05": q05,
                    f"{prefix}_q95": q95,
                    f"{prefix}_meets": float(np.mean(gap <= 1.0)),
                    f"{prefix}_miss": miss,
                    f"{prefix}_met": bool(defined.size and miss <= target.tolerance),
                }
            rows.append(row)
    return pd.DataFrame(rows).set_index("target")
