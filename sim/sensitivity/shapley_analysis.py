"""The Shapley pipeline: joint inputs, a design per assignment, runs, effects and comparisons.

As :func:`sim.sensitivity.analysis.sobol_analysis` does for independent inputs, one path
serves every model: the inputs' joint distribution (:mod:`sim.sensitivity.dependence`:
a posterior's inputs dependent, the rest independent), a Shapley design drawn from it for
each assignment of inputs to categories (:data:`sim.sensitivity.factors.ASSIGNMENTS`), the
blocks the designs share run once (:mod:`sim.sensitivity.shapley_design`), all of it by one
:class:`~sim.sensitivity.analysis.Evaluator` call, and the effects estimated with seeded
bootstrap intervals (:mod:`sim.sensitivity.shapley`), shared blocks resampled alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import permutations
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.parameter import CATEGORIES
from sim.seeds import bootstrap_rng
from sim.sensitivity.analysis import (
    Evaluator,
    Subject,
    common_fields,
    evaluated,
    interval_table,
    noise_frame,
    rank_by,
)
from sim.sensitivity.dependence import JointInputs, fit_posterior, independent
from sim.sensitivity.estimators import leading_share, surely_above
from sim.sensitivity.factors import Factor, assign
from sim.sensitivity.methods import SensitivityError, ShapleySettings
from sim.sensitivity.result import COMPARISON_COLUMNS, SHAPLEY_COLUMNS, SensitivityResult
from sim.sensitivity.shapley import ShapleyEstimate, ShapleyLayout, resampled_estimate
from sim.sensitivity.shapley_design import distinct_rows, draw_shared_design, joint_resampling

if TYPE_CHECKING:
    from sim.posterior import Posterior

MAX_GROUPS = 12
"""Most groups a Shapley design may have (it holds ``2^k - 2`` subsets)."""


def groups_of(factors: Sequence[Factor]) -> tuple[str, ...]:
    """Return the factors' categories: the framework's in its order, then any others."""
    present = dict.fromkeys(f.category for f in factors)
    return (*(c for c in CATEGORIES if c in present), *(c for c in present if c not in CATEGORIES))


def layout_of(factors: Sequence[Factor], settings: ShapleySettings) -> ShapleyLayout:
    """Return the Shapley layout of ``factors`` grouped by their categories.

    Raises
    ------
    SensitivityError
        Fewer than two categories, or more than :data:`MAX_GROUPS`.
    """
    groups = groups_of(factors)
    if not 2 <= len(groups) <= MAX_GROUPS:
        raise SensitivityError(
            f"Shapley effects need 2 to {MAX_GROUPS} categories, got {len(groups)}: {groups}"
        )
    membership = np.array([groups.index(f.category) for f in factors], dtype=np.int64)
    return ShapleyLayout(
        membership, len(groups), settings.n_variance, settings.n_outer, settings.n_inner
    )


def design_rows(factors: Sequence[Factor], settings: ShapleySettings) -> int:
    """Rows run for the designs of every assignment ``settings`` names, shared blocks once."""
    layouts = {name: layout_of(assign(factors, name), settings) for name in settings.assignments}
    return distinct_rows(layouts, [f.name for f in factors])


def joint_inputs(factors: Sequence[Factor], posterior: Posterior | None) -> JointInputs:
    """Return the factors' joint distribution: a posterior's inputs dependent."""
    return independent(factors) if posterior is None else fit_posterior(factors, posterior)


def _effects_table(
    output: str,
    assignment: str,
    factors: Sequence[Factor],
    joint: JointInputs,
    estimate: ShapleyEstimate,
    everywhere: Mapping[str, float],
    confidence: float,
) -> pd.DataFrame:
    groups = groups_of(factors)
    dependent = {joint.names[j] for j in joint.dependent}
    frame = pd.DataFrame(
        {
            "output": output,
            "assignment": assignment,
            "factor": groups,
            "inputs": [sum(f.category == g for f in factors) for g in groups],
            "dependent_inputs": [
                sum(f.category == g and f.name in dependent for f in factors) for g in groups
            ],
            **interval_table("Sh", estimate.shapley),
            **interval_table("S1", estimate.first),
            **interval_table("ST", estimate.total),
            "distinguishable": surely_above(
                estimate.shapley.value, estimate.shapley.low, 0.0, confidence
            ),
            "leads": (
                leading_share(estimate.resamples)
                if len(estimate.resamples)
                else np.full(len(groups), np.nan)
            ),
            "leads_everywhere": [everywhere.get(g, 0.0) for g in groups],
            "Sh_estimate": estimate.shapley.value,
        }
    )
    frame["rank"] = rank_by(frame, "Sh")
    return frame[list(SHAPLEY_COLUMNS)]


def _comparisons(
    output: str, assignment: str, groups: Sequence[str], estimate: ShapleyEstimate
) -> pd.DataFrame:
    """Share of resamples in which each category's Shapley effect exceeds each other's."""
    draws = estimate.resamples
    rows = [
        {
            "output": output,
            "assignment": assignment,
            "factor": groups[a],
            "other": groups[b],
            "share": float(np.mean(draws[:, a] > draws[:, b])) if len(draws) else float("nan"),
        }
        for a, b in permutations(range(len(groups)), 2)
    ]
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def shapley_analysis(
    factors: Sequence[Factor],
    evaluate: Evaluator,
    settings: ShapleySettings,
    *,
    seed: int,
    posterior: Posterior | None = None,
    subject: Subject | None = None,
) -> SensitivityResult:
    """Shapley effects of the factors' categories, under each assignment, of any model.

    Parameters
    ----------
    factors : sequence of Factor
        Inputs to vary over their ranges; ``category`` groups them (as each assignment in
        ``settings.assignments`` moves them).
    evaluate : Evaluator
        Runs a design (the sweep runner for a scenario; a plain function in tests).
    settings : ShapleySettings
        Sizes, replicates, assignments, outputs, bootstrap.
    seed : int
        Seeds the designs' draws, every run (through the evaluator) and the bootstrap.
    posterior : Posterior, optional
        Its inputs among the factors are drawn jointly from a copula fitted to it
        (:func:`sim.sensitivity.dependence.fit_posterior`); the others independently.
    subject : Subject, optional
        As for :func:`sim.sensitivity.analysis.sobol_analysis`.
    """
    subject = subject or Subject()
    outputs = subject.chosen(settings.outputs)
    factors = tuple(factors)
    joint = joint_inputs(factors, posterior)
    assigned = {name: assign(factors, name) for name in settings.assignments}
    layouts = {name: layout_of(found, settings) for name, found in assigned.items()}
    shared = draw_shared_design(joint, layouts, seed)
    lows = np.array([f.low for f in factors])
    highs = np.array([f.high for f in factors])
    design = pd.DataFrame(np.clip(shared.values, lows, highs), columns=list(joint.names))
    runs, matrices, noise = evaluated(design, evaluate, settings.replicates, seed, outputs)
    effects, comparisons, flags = [], [], {}
    for output, values in matrices.items():
        resampling = joint_resampling(
            layouts,
            shared.sources,
            settings.bootstrap,
            {name: bootstrap_rng(seed, output, "shapley", name) for name in layouts},
        )
        estimates = {
            name: resampled_estimate(
                values[shared.rows[name]],
                layout,
                resampling[name],
                confidence=settings.confidence,
            )
            for name, layout in layouts.items()
        }
        everywhere = leads_everywhere(
            {name: (groups_of(assigned[name]), estimates[name]) for name in layouts}
        )
        for name, estimate in estimates.items():
            effects.append(
                _effects_table(
                    output, name, assigned[name], joint, estimate, everywhere, settings.confidence
                )
            )
            comparisons.append(_comparisons(output, name, groups_of(assigned[name]), estimate))
        first = estimates[settings.assignments[0]]
        flags[output] = (first.constant, first.noise_dominated)
    fields = common_fields(subject, settings, seed, outputs, factors, design, runs)
    fields["settings"] = {
        **fields["settings"],
        "assignment_rows": {name: layout.rows for name, layout in layouts.items()},
        "shared_rows": {
            name: int(
                sum(
                    layout.block_rows(block)
                    for block, source in enumerate(shared.sources[name])
                    if source is not None
                )
            )
            for name, layout in layouts.items()
        },
        "dependent_inputs": [joint.names[j] for j in joint.dependent],
    }
    return SensitivityResult(
        method=settings.method,
        **fields,
        noise=noise_frame(noise, flags),
        shapley=pd.concat(effects, ignore_index=True),
        comparisons=pd.concat(comparisons, ignore_index=True),
    )


def leads_everywhere(
    estimates: Mapping[str, tuple[Sequence[str], ShapleyEstimate]],
) -> dict[str, float]:
    """Share of resamples in which each category has the largest effect under every assignment.

    ``estimates`` maps each assignment to its categories and its estimate. Resample ``r`` of
    every assignment uses the same draws of the blocks they share
    (:func:`sim.sensitivity.shapley_design.joint_resampling`), so the resamples are read
    together, not as independent. An assignment with no resamples (nothing to split) leaves
    every share at 0.
    """
    names = list(dict.fromkeys(g for groups, _ in estimates.values() for g in groups))
    leaders = []  # per assignment and resample, the leader's place in ``names`` (-1: none)
    for groups, estimate in estimates.values():
        draws = estimate.resamples
        if not len(draws):
            return dict.fromkeys(names, 0.0)
        places = np.array([names.index(g) for g in groups])
        top = places[np.argmax(np.nan_to_num(draws, nan=-np.inf), axis=1)]
        leaders.append(np.where(np.isnan(draws).all(axis=1), -1, top))
    stacked = np.vstack(leaders)
    same = (stacked == stacked[0]).all(axis=0)
    return {g: float(np.mean(same & (stacked[0] == place))) for place, g in enumerate(names)}
