"""How much a calibration learnt, and how sure that figure is; what would teach it more.

:func:`interval_ratios`: each parameter's posterior 90% interval as a share of its prior's,
with its Monte Carlo error from a bootstrap over the posterior's particles, and the share of
resamples agreeing with the verdict.

:func:`value_of_information`: when the targets narrow nothing much, which observation would.
A candidate observation (a partner's final-year share known to within 0.05, say) is
simulated from the posterior-predictive runs: each of a set of runs in turn plays the
observed world, the runs whose statistic lies within the observation's tolerance of it are
kept, and the kept runs' parameter values give the interval that observation would leave.
The mean over pseudo-observations is the expected interval ratio (preposterior analysis;
Raiffa & Schlaifer 1961). A random subset of the runs of the same size is the control: its
intervals show how much of the narrowing is only the smaller sample.

References
----------
Raiffa, H. & Schlaifer, R. (1961). Applied Statistical Decision Theory. Harvard University.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.result import Calibration, prior_width, verdict, weighted_quantile
from sim.names import slug
from sim.seeds import bootstrap_rng

LEARNT_BELOW = 0.6
"""Interval ratio at or below which a parameter counts as learnt."""

PSEUDO_OBSERVATIONS = 200
"""Runs that play the observed world in turn, per candidate observation."""

FEWEST_KEPT = 30
"""Fewest runs a pseudo-observation must keep for its interval to count."""


def _ratio(values: np.ndarray, weights: np.ndarray, width: float) -> float:
    """Weighted 90% interval of ``values`` over the prior's 90% width ``width``."""
    low = weighted_quantile(values, weights, 0.05)
    high = weighted_quantile(values, weights, 0.95)
    return (high - low) / width


def interval_ratios(result: Calibration, resamples: int | None = None) -> pd.DataFrame:
    """Each calibrated input's interval ratio with its Monte Carlo error.

    The posterior's particles are resampled with replacement (each keeps its weight) and the
    ratio recomputed; the standard deviation over resamples is the Monte Carlo error.

    Returns
    -------
    DataFrame
        Index: input. ``interval_ratio`` (the posterior's), ``mc_error``, ``q05`` and
        ``q95`` of the resampled ratios, ``verdict`` and ``verdict_holds`` (share of
        resamples with the same verdict), ``learnt`` (ratio at most :data:`LEARNT_BELOW`)
        and ``learnt_holds`` (share of resamples with a ratio at most that).
    """
    settings = result.problem.settings
    count = resamples or settings.bootstrap
    sample = result.final
    rng = bootstrap_rng(settings.seed, "calibration", "interval ratios")
    picks = rng.integers(0, len(sample.weights), size=(count, len(sample.weights)))
    limit = settings.not_identified_above
    rows = []
    for k, name in enumerate(result.problem.inputs):
        low, high = result.problem.prior[name]
        width = prior_width(low, high)
        x = sample.particles[:, k]
        ratio = _ratio(x, sample.weights, width)
        again = np.array([_ratio(x[p], sample.weights[p], width) for p in picks])
        said = verdict(ratio, limit)
        rows.append(
            {
                "input": name,
                "interval_ratio": ratio,
                "mc_error": float(again.std(ddof=1)),
                "q05": float(np.quantile(again, 0.05)),
                "q95": float(np.quantile(again, 0.95)),
                "verdict": said,
                "verdict_holds": float(np.mean([verdict(r, limit) == said for r in again])),
                "learnt": ratio <= LEARNT_BELOW,
                "learnt_holds": float(np.mean(again <= LEARNT_BELOW)),
            }
        )
    return pd.DataFrame(rows).set_index("input")


def candidate_observations(result: Calibration) -> dict[str, tuple[pd.Series, float]]:
    """Observations the evidence does not hold but could: per-run values and a tolerance.

    Each partner's final-year recording share and final buy-in, known to within 0.05 (what
    a partner's case records or a survey could give, DOMAIN.md "Missing"), and the number
    of partners with a live interface at the end of the run, known exactly.
    """
    runs = result.predictive
    out: dict[str, tuple[pd.Series, float]] = {}
    names = result.problem.scenario.partner_names
    for name in names:
        key = slug(name)
        out[f"final-year share of {name}"] = (runs[f"share_final_year.{key}"], 0.05)
    for name in names:
        key = slug(name)
        out[f"final buy-in of {name}"] = (runs[f"buy_in_final.{key}"], 0.05)
    live = runs[[f"interface_live_final.{slug(n)}" for n in names]].sum(axis=1)
    out["partners with a live interface at the end"] = (live, 0.5)
    return out


def value_of_information(result: Calibration) -> pd.DataFrame:
    """Return the expected interval ratio of every calibrated input after each observation.

    Returns
    -------
    DataFrame
        One row per (observation, input): ``now`` (the interval ratio of the
        posterior-predictive runs' parameters), ``expected`` (mean over pseudo-observations
        of the ratio the kept runs leave), ``mc_error`` (its standard error), ``control``
        (the same for random subsets of the same sizes), ``kept`` (mean runs kept) and
        ``pseudo`` (pseudo-observations that kept at least :data:`FEWEST_KEPT` runs).
        Sorted by ``expected``.
    """
    runs = result.predictive
    inputs = [n for n in result.problem.inputs if n in runs.columns]
    theta = runs[inputs].to_numpy(dtype=float)
    width = np.array([prior_width(*result.problem.prior[n]) for n in inputs])
    rng = bootstrap_rng(result.problem.settings.seed, "calibration", "value of information")
    now = _widths(theta) / width
    rows = []
    for label, (values, tolerance) in candidate_observations(result).items():
        s = values.to_numpy(dtype=float)
        defined = np.flatnonzero(~np.isnan(s))
        if defined.size < FEWEST_KEPT:
            continue
        chosen = rng.choice(defined, size=min(PSEUDO_OBSERVATIONS, defined.size), replace=False)
        narrowed, control, kept = [], [], []
        for j in chosen:
            near = defined[np.abs(s[defined] - s[j]) <= tolerance]
            if near.size < FEWEST_KEPT:
                continue
            narrowed.append(_widths(theta[near]) / width)
            random = rng.choice(len(theta), size=near.size, replace=False)
            control.append(_widths(theta[random]) / width)
            kept.append(near.size)
        if not narrowed:
            continue
        cond, ctrl = np.array(narrowed), np.array(control)
        for k, name in enumerate(inputs):
            rows.append(
                {
                    "observation": label,
                    "input": name,
                    "now": now[k],
                    "expected": float(cond[:, k].mean()),
                    "mc_error": float(cond[:, k].std(ddof=1) / np.sqrt(len(cond)))
                    if len(cond) > 1
                    else float("nan"),
                    "control": float(ctrl[:, k].mean()),
                    "kept": float(np.mean(kept)),
                    "pseudo": len(cond),
                }
            )
    return pd.DataFrame(rows).sort_values("expected").reset_index(drop=True)


def _widths(theta: np.ndarray) -> np.ndarray:
    """Width of the 5-95% interval of each column (equally weighted runs)."""
    q05, q95 = np.quantile(theta, [0.05, 0.95], axis=0)
    return np.asarray(q95 - q05, dtype=float)
