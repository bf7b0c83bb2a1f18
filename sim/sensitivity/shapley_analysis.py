"""The Shapley pipeline: joint inputs, a design per assignment, runs, effects and comparisons.

As :func:`sim.sensitivity.analysis.sobol_analysis` does for independent inputs, one path
serves every model: the inputs' joint distribution (:mod:`sim.sensitivity.dependence`:
a posterior's inputs dependent, the rest independent), a Shapley design drawn from it for
each assignment of inputs to categories (:data:`sim.sensitivity.factors.ASSIGNMENTS`), all
designs run by one :class:`~sim.sensitivity.analysis.Evaluator` call, and the effects
estimated with seeded bootstrap intervals (:mod:`sim.sensitivity.shapley`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import permutations
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.parameter import CATEGORIES
from sim.seeds import bootstrap_rng, shapley_design_rng
from sim.sensitivity.analysis import (
    Evaluator,
    common_fields,
    interval_table,
    noise_frame,
    rank_by,
    run_matrices,
    select_outputs,
)
from sim.sensitivity.dependence import JointInputs, fit_posterior, independent
from sim.sensitivity.estimators import leading_share, replicate_noise
from sim.sensitivity.factors import Factor, assign
from sim.sensitivity.methods import SensitivityError, ShapleySettings
from sim.sensitivity.result import COMPARISON_COLUMNS, SHAPLEY_COLUMNS, SensitivityResult
from sim.sensitivity.shapley import ShapleyEstimate, ShapleyLayout, draw_design, shapley_estimate

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
    """Rows of the designs of every assignment ``settings`` names, together."""
    return sum(layout_of(assign(factors, name), settings).rows for name in settings.assignments)


def joint_inputs(factors: Sequence[Factor], posterior: Posterior | None) -> JointInputs:
    """Return the factors' joint distribution: a posterior's inputs dependent."""
    return independent(factors) if posterior is None else fit_posterior(factors, posterior)


def _effects_table(
    output: str,
    assignment: str,
    factors: Sequence[Factor],
    joint: JointInputs,
    estimate: ShapleyEstimate,
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
            "distinguishable": estimate.shapley.low > 0,
            "leads": (
                leading_share(estimate.resamples)
                if len(estimate.resamples)
                else np.full(len(groups), np.nan)
            ),
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
    subject: str = "model",
    available_outputs: Sequence[str] | None = None,
    provenance: Mapping[str, object] | None = None,
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
    subject, available_outputs, provenance
        As for :func:`sim.sensitivity.analysis.sobol_analysis`.
    """
    outputs = (
        tuple(settings.outputs)
        if available_outputs is None
        else select_outputs(settings.outputs, available_outputs)
    )
    factors = tuple(factors)
    joint = joint_inputs(factors, posterior)
    assigned = {name: assign(factors, name) for name in settings.assignments}
    layouts = {name: layout_of(found, settings) for name, found in assigned.items()}
    names = [f.name for f in factors]
    lows = np.array([f.low for f in factors])
    highs = np.array([f.high for f in factors])
    blocks = [
        draw_design(joint, layouts[name], shapley_design_rng(seed, name))
        for name in settings.assignments
    ]
    design = pd.DataFrame(np.clip(np.vstack(blocks), lows, highs), columns=names)
    runs = evaluate(design, replicates=settings.replicates, seed=seed)
    matrices = run_matrices(runs, len(design), settings.replicates, outputs)
    starts = np.cumsum([0, *(layouts[name].rows for name in settings.assignments)])
    effects, comparisons, flags = [], [], {}
    for output, values in matrices.items():
        for position, name in enumerate(settings.assignments):
            part = values[starts[position] : starts[position + 1]]
            estimate = shapley_estimate(
                part,
                layouts[name],
                resamples=settings.bootstrap,
                confidence=settings.confidence,
                rng=bootstrap_rng(seed, output, "shapley", name),
            )
            effects.append(_effects_table(output, name, assigned[name], joint, estimate))
            comparisons.append(_comparisons(output, name, groups_of(assigned[name]), estimate))
            if position == 0:
                flags[output] = (estimate.constant, estimate.noise_dominated)
    noise = {output: replicate_noise(values) for output, values in matrices.items()}
    kept = runs.sort_values(["row", "replicate"], kind="stable")[["row", "replicate", *outputs]]
    fields = common_fields(
        subject, settings, seed, outputs, factors, design, kept.reset_index(drop=True), provenance
    )
    fields["settings"] = {
        **fields["settings"],
        "assignment_rows": {
            name: [int(starts[i]), int(starts[i + 1])]
            for i, name in enumerate(settings.assignments)
        },
        "dependent_inputs": [joint.names[j] for j in joint.dependent],
    }
    return SensitivityResult(
        method="shapley",
        **fields,
        noise=noise_frame(noise, flags),
        shapley=pd.concat(effects, ignore_index=True),
        comparisons=pd.concat(comparisons, ignore_index=True),
    )
