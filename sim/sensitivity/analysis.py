"""The sensitivity pipeline: design, evaluate, analyse.

One path serves every model: build a SALib design over :class:`Factor` ranges
(``sim.design``), hand it to an :class:`Evaluator` that returns one row per run (for a
scenario, the sweep runner :func:`sim.sweep.run_design`, resumable and local or on Dask:
``sim.sensitivity.scenario``), average replicates per design row, and estimate indices with
seeded bootstrap intervals (``sim.sensitivity.estimators``). Only the evaluator differs
between the model and the analytic test functions that check the pipeline.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from sim.design import morris_sample, sobol_sample
from sim.inputs import Problem, did_you_mean
from sim.seeds import bootstrap_rng
from sim.sensitivity.estimators import (
    FloatArray,
    IntArray,
    Interval,
    Noise,
    SobolEstimate,
    elementary_effects,
    morris_statistics,
    replicate_noise,
    sobol_indices,
    surely_above,
)
from sim.sensitivity.factors import Factor, Level
from sim.sensitivity.methods import (
    MorrisSettings,
    RunsError,
    SensitivityError,
    ShapleySettings,
    SobolSettings,
)
from sim.sensitivity.result import (
    INDEX_COLUMNS,
    MORRIS_COLUMNS,
    NOISE_COLUMNS,
    SECOND_ORDER_COLUMNS,
    SensitivityResult,
    empty,
    interval_columns,
)


class Evaluator(Protocol):
    """Runs a design: one row per (design row, replicate) with the outputs as columns.

    The returned frame has columns ``row`` (0..len(design)-1), ``replicate``
    (0..replicates-1), one column per output and optionally ``error`` (missing or empty for
    runs that succeeded). Replicate ``r`` of row ``i`` must depend only on the row's values
    and ``(seed, i, r)``.
    """

    def __call__(self, design: pd.DataFrame, *, replicates: int, seed: int) -> pd.DataFrame:
        """Run every row of ``design`` ``replicates`` times."""
        ...


class Mapper(Protocol):
    """Maps a function over arguments, perhaps in other processes: an Executor, say."""

    def map(self, fn: Callable[..., Any], /, *iterables: Iterable[Any]) -> Iterator[Any]:
        """Return ``fn`` applied to each tuple of arguments, in order."""
        ...


@dataclass(frozen=True)
class Subject:
    """What an analysis is of: its name, the outputs it has and where it comes from.

    Attributes
    ----------
    name : str
        Names it in tables and the brief.
    outputs : tuple of str, optional
        The outputs it has, to check an analysis's outputs before anything runs; when
        omitted, the outputs asked for are taken as they are.
    provenance : mapping
        Stored with the result (scenario hash, ...).
    """

    name: str = "model"
    outputs: tuple[str, ...] | None = None
    provenance: Mapping[str, object] = field(default_factory=dict)

    def chosen(self, patterns: Sequence[str]) -> tuple[str, ...]:
        """Return the outputs ``patterns`` name (:func:`select_outputs`, when they are known)."""
        if self.outputs is None:
            return tuple(patterns)
        return select_outputs(patterns, self.outputs)


# --- factors, outputs, design ------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """Factors, their grouping and the design, before anything runs."""

    factors: tuple[Factor, ...]
    labels: tuple[str, ...]  # factor (or group) names, in the design's block order
    label_category: tuple[str, ...]
    membership: IntArray  # label number of every input
    design: pd.DataFrame
    unit: FloatArray  # the design on the unit cube

    @property
    def k(self) -> int:
        return len(self.labels)


def _plan(factors: Sequence[Factor], level: Level, make: Callable[..., pd.DataFrame]) -> _Plan:
    factors = tuple(factors)
    if not factors:
        raise SensitivityError("a sensitivity analysis needs at least one factor")
    names = [f.name for f in factors]
    if len(set(names)) != len(names):
        raise SensitivityError(f"factor names repeat: {names}")
    if level == "category":
        labels = tuple(dict.fromkeys(f.category for f in factors))
        label_category = labels
        membership = np.array([labels.index(f.category) for f in factors], dtype=np.int64)
        groups: dict[str, str] | None = {f.name: f.category for f in factors}
        if len(labels) < 2:
            raise SensitivityError(
                f"grouped indices need factors in at least two categories, got {labels}"
            )
    else:
        labels = tuple(names)
        label_category = tuple(f.category for f in factors)
        membership = np.arange(len(factors), dtype=np.int64)
        groups = None
    bounds = {f.name: (f.low, f.high) for f in factors}
    lows = np.array([f.low for f in factors])
    highs = np.array([f.high for f in factors])
    spans = highs - lows
    made = make(bounds, groups).reset_index(drop=True)[names]
    # Scaling by SALib can land one rounding step outside a bound; the range is a hard limit.
    design = pd.DataFrame(np.clip(made.to_numpy(dtype=float), lows, highs), columns=names)
    unit = (design[names].to_numpy(dtype=float) - lows) / spans
    return _Plan(factors, labels, label_category, membership, design, unit)


def _check_sobol_layout(plan: _Plan, second_order: bool) -> None:
    """Check that cross block ``g`` of every base point moves exactly factor ``g``'s inputs.

    A factor may be a group. The estimators read blocks by position, so a different order in
    SALib would otherwise attach indices to the wrong names without any error.
    """
    step = 2 * plan.k + 2 if second_order else plan.k + 2
    blocks = plan.unit.reshape(-1, step, plan.unit.shape[1])
    for g in range(plan.k):
        moved = np.any(blocks[:, 1 + g] != blocks[:, 0], axis=0)
        if not np.array_equal(moved, plan.membership == g):
            raise RuntimeError(
                f"the Sobol design's block {1 + g} does not vary exactly {plan.labels[g]!r}; "
                "the SALib sampler's layout is not the one the estimators expect"
            )


def _method_plan(
    factors: Sequence[Factor], settings: SobolSettings | MorrisSettings, seed: int
) -> _Plan:
    """Return the plan of a Sobol analysis or a Morris screening: its SALib design, checked."""
    if isinstance(settings, SobolSettings):
        plan = _plan(
            factors,
            settings.level,
            lambda bounds, groups: sobol_sample(
                bounds,
                settings.n,
                seed=seed,
                calc_second_order=settings.second_order,
                groups=groups,
            ),
        )
        _check_sobol_layout(plan, settings.second_order)
        return plan
    return _plan(
        factors,
        settings.level,
        lambda bounds, groups: morris_sample(
            bounds, settings.trajectories, seed=seed, levels=settings.levels, groups=groups
        ),
    )


def select_outputs(patterns: Sequence[str], available: Sequence[str]) -> tuple[str, ...]:
    """Expand output names and ``fnmatch`` patterns against the outputs a model has.

    Raises
    ------
    SensitivityError
        Every name or pattern that matches nothing (with a suggestion), at ``outputs[i]``.
    """
    chosen: list[str] = []
    problems: list[Problem] = []
    for i, pattern in enumerate(patterns):
        matches = [name for name in available if fnmatch.fnmatchcase(name, pattern)]
        if not matches:
            suggestion = did_you_mean(pattern, available)
            problems.append(Problem(f"outputs[{i}]", f"unknown output {pattern!r}{suggestion}"))
        chosen += [name for name in matches if name not in chosen]
    SensitivityError.raise_any("", problems)
    return tuple(chosen)


def run_matrices(
    runs: pd.DataFrame, rows: int, replicates: int, outputs: Sequence[str]
) -> dict[str, FloatArray]:
    """Each output as an array (rows, replicates), after checking every run is there."""
    if "error" in runs.columns:
        failed = runs["error"].notna() & (runs["error"].astype(str) != "")
        if failed.any():
            first = runs.loc[failed].iloc[0]
            raise RunsError(
                f"{int(failed.sum())} of {len(runs)} runs failed (first: row {first['row']}, "
                f"replicate {first['replicate']}: {first['error']}); indices need every run"
            )
    ordered = runs.sort_values(["row", "replicate"], kind="stable")
    expected_rows = np.repeat(np.arange(rows), replicates)
    expected_reps = np.tile(np.arange(replicates), rows)
    if len(ordered) != rows * replicates or not (
        np.array_equal(ordered["row"].to_numpy(), expected_rows)
        and np.array_equal(ordered["replicate"].to_numpy(), expected_reps)
    ):
        raise RunsError(
            f"expected {rows} rows x {replicates} replicates = {rows * replicates} runs, "
            f"got {len(runs)} (some missing or repeated)"
        )
    matrices: dict[str, FloatArray] = {}
    for name in outputs:
        if name not in ordered.columns:
            raise RunsError(f"the runs have no output {name!r}")
        values = ordered[name].to_numpy(dtype=float).reshape(rows, replicates)
        if not np.isfinite(values).all():
            raise RunsError(f"output {name!r} has values that are not finite numbers")
        matrices[name] = values
    return matrices


def noise_frame(noise: Mapping[str, Noise], flags: Mapping[str, tuple[bool, bool]]) -> pd.DataFrame:
    """Return the noise table: each output's noise shares and its constant/noise flags."""
    records = [
        {
            "output": name,
            "replicates": n.replicates,
            "total_variance": n.total_variance,
            "within_variance": n.within_variance,
            "noise_share": n.noise_share,
            "noise_share_of_means": n.noise_share_of_means,
            "constant": flags[name][0],
            "noise_dominated": flags[name][1],
        }
        for name, n in noise.items()
    ]
    return pd.DataFrame.from_records(records, columns=list(NOISE_COLUMNS))


def _factors_frame(factors: Sequence[Factor]) -> pd.DataFrame:
    return pd.DataFrame([asdict(f) for f in factors]).rename(columns={"name": "factor"})


def reported(estimate: FloatArray) -> FloatArray:
    """Return an index as reported: within [0, 1], the only values an index can take.

    A negative estimate is noise around zero, never negative importance.
    """
    return np.clip(estimate, 0.0, 1.0)


def interval_table(name: str, estimate: Interval) -> dict[str, FloatArray]:
    """Return the columns of ``estimate`` and its interval as reported (:func:`reported`).

    Named by :func:`sim.sensitivity.result.interval_columns`.
    """
    values = (estimate.value, estimate.low, estimate.high)
    return dict(zip(interval_columns(name), map(reported, values), strict=True))


def rank_by(frame: pd.DataFrame, by: str) -> pd.Series:
    """Return each factor's rank by ``by``: 1 = most influential, indistinguishable ones last."""
    order = frame.assign(_value=frame[by].fillna(-np.inf)).sort_values(
        ["distinguishable", "_value"], ascending=False, kind="stable"
    )
    return pd.Series(np.arange(1, len(frame) + 1), index=order.index).reindex(frame.index)


# --- Sobol -----------------------------------------------------------------------------


def _sobol_tables(
    output: str,
    labels: tuple[str, ...],
    label_category: tuple[str, ...],
    means: FloatArray,
    mean_noise: FloatArray | None,
    settings: SobolSettings,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, tuple[bool, bool]]:
    """Return the indices, second-order indices, convergence and flags of one output.

    A pure function of its arguments (the bootstrap is seeded by output), so the outputs of
    an analysis can be estimated in any order, in any process.
    """
    k = len(labels)
    step = 2 * k + 2 if settings.second_order else k + 2

    def estimate(n: int) -> SobolEstimate:
        # The first n base points of a scrambled Sobol design are themselves a Sobol design
        # (the sequence is extensible), so every smaller n costs no extra runs.
        rows = n * step
        return sobol_indices(
            means[:rows],
            k,
            second_order=settings.second_order,
            resamples=settings.bootstrap,
            confidence=settings.confidence,
            rng=bootstrap_rng(seed, output, settings.level, n),
            mean_noise=None if mean_noise is None else mean_noise[:rows],
        )

    main = estimate(settings.n)
    sizes = [settings.n]
    while sizes[-1] // 2 >= settings.convergence_from:
        sizes.append(sizes[-1] // 2)
    convergence: list[pd.DataFrame] = []
    for n in sorted(sizes):
        at_n = main if n == settings.n else estimate(n)
        for index, interval in (("S1", at_n.first), ("ST", at_n.total)):
            value, low, high = interval.value, interval.low, interval.high
            convergence.append(
                pd.DataFrame(
                    {
                        "output": output,
                        "level": settings.level,
                        "factor": labels,
                        "n": n,
                        "index": index,
                        "value": value,
                        "low": low,
                        "high": high,
                        "width": high - low,
                    }
                )
            )
    s1_ok = surely_above(main.first.value, main.first.low, 0.0, settings.confidence)
    st_ok = surely_above(main.total.value, main.total.low, 0.0, settings.confidence)
    indices = pd.DataFrame(
        {
            "output": output,
            "level": settings.level,
            "factor": labels,
            "category": label_category,
            **interval_table("S1", main.first),
            **interval_table("ST", main.total),
            "S1_distinguishable": s1_ok,
            "ST_distinguishable": st_ok,
            "distinguishable": st_ok,
            "S1_estimate": main.first.value,
            "ST_estimate": main.total.value,
        }
    )
    indices["rank"] = rank_by(indices, "ST")
    indices["leads"] = np.nan if main.total_leads is None else main.total_leads
    second = empty(SECOND_ORDER_COLUMNS)
    if main.second is not None:
        j, i = np.triu_indices(k, 1)
        pairs = main.second.at(j, i)
        second = pd.DataFrame(
            {
                "output": output,
                "level": settings.level,
                "factor": [labels[a] for a in j],
                "other": [labels[b] for b in i],
                **interval_table("S2", pairs),
                "distinguishable": surely_above(pairs.value, pairs.low, 0.0, settings.confidence),
                "S2_estimate": pairs.value,
            }
        )
    return (
        indices[list(INDEX_COLUMNS)],
        second,
        pd.concat(convergence, ignore_index=True),
        (main.constant, main.noise_dominated),
    )


def evaluated(
    design: pd.DataFrame,
    evaluate: Evaluator,
    replicates: int,
    seed: int,
    outputs: Sequence[str],
) -> tuple[pd.DataFrame, dict[str, FloatArray], dict[str, Noise]]:
    """Run ``design``; return its runs (by row and replicate), output matrices and noise."""
    runs = evaluate(design, replicates=replicates, seed=seed)
    matrices = run_matrices(runs, len(design), replicates, outputs)
    noise = {name: replicate_noise(values) for name, values in matrices.items()}
    kept = runs.sort_values(["row", "replicate"], kind="stable")[["row", "replicate", *outputs]]
    return kept.reset_index(drop=True), matrices, noise


def sobol_analysis(
    factors: Sequence[Factor],
    evaluate: Evaluator,
    settings: SobolSettings,
    *,
    seed: int,
    subject: Subject | None = None,
    executor: Mapper | None = None,
) -> SensitivityResult:
    """Sobol indices of any model given as an :class:`Evaluator`.

    Parameters
    ----------
    factors : sequence of Factor
        Inputs to vary, uniformly over their ranges; ``category`` groups them when
        ``settings.level == "category"``.
    evaluate : Evaluator
        Runs a design (the sweep runner for a scenario; a plain function in tests).
    settings : SobolSettings
        Sample size, replicates, level, outputs, bootstrap.
    seed : int
        Seeds the design's scrambling, every run (through the evaluator) and the bootstrap.
    subject : Subject, optional
        What is analysed: its name, the outputs it has (``settings.outputs`` are checked
        against them before anything runs) and its provenance; a ``"model"`` with any
        outputs when omitted.
    executor : Mapper, optional
        Where the outputs' bootstrap estimates run, one output a call (an Executor, or the
        workers that ran the model); in this process when omitted. The result is the same.
    """
    subject = subject or Subject()
    outputs = subject.chosen(settings.outputs)
    plan = _method_plan(factors, settings, seed)
    runs, matrices, noise = evaluated(plan.design, evaluate, settings.replicates, seed, outputs)
    names = list(matrices)
    means = [matrices[name].mean(axis=1) for name in names]
    noises = [_mean_noise(matrices[name]) for name in names]
    each = len(names)
    # Lists, not iterators: a Dask executor needs the arguments' lengths.
    estimated = (executor.map if executor is not None else map)(
        _sobol_tables,
        names,
        [plan.labels] * each,
        [plan.label_category] * each,
        means,
        noises,
        [settings] * each,
        [seed] * each,
    )
    indices, second, convergence, flags = [], [], [], {}
    for output, (ind, sec, conv, flag) in zip(names, estimated, strict=True):
        flags[output] = flag
        indices.append(ind)
        second.append(sec)
        convergence.append(conv)
    return SensitivityResult(
        method=settings.method,
        **common_fields(subject, settings, seed, outputs, plan.factors, plan.design, runs),
        noise=noise_frame(noise, flags),
        indices=pd.concat(indices, ignore_index=True),
        second_order=(
            pd.concat(second, ignore_index=True)
            if settings.second_order
            else empty(SECOND_ORDER_COLUMNS)
        ),
        convergence=pd.concat(convergence, ignore_index=True),
    )


def _mean_noise(values: FloatArray) -> FloatArray | None:
    """Noise variance of each row's mean over its replicates (rows, replicates); None for one."""
    return values.var(axis=1, ddof=1) / values.shape[1] if values.shape[1] > 1 else None


def common_fields(
    subject: Subject,
    settings: SobolSettings | MorrisSettings | ShapleySettings,
    seed: int,
    outputs: Sequence[str],
    factors: Sequence[Factor],
    design: pd.DataFrame,
    runs: pd.DataFrame,
) -> dict[str, Any]:
    """Return the fields every analysis result has, whatever its method."""
    return {
        "subject": subject.name,
        "level": settings.level,
        "seed": seed,
        "settings": {**asdict(settings), "outputs": list(outputs)},
        "factors": _factors_frame(factors),
        "design": design,
        "runs": runs,
        "provenance": dict(subject.provenance),
    }


# --- Morris ----------------------------------------------------------------------------


def morris_analysis(
    factors: Sequence[Factor],
    evaluate: Evaluator,
    settings: MorrisSettings,
    *,
    seed: int,
    subject: Subject | None = None,
) -> SensitivityResult:
    """Morris elementary-effects screening of any model given as an :class:`Evaluator`.

    Parameters are as for :func:`sobol_analysis`. Effects are measured on the unit scale:
    ``mu_star`` is the mean absolute change in the output for moving a factor across its
    whole range (to first order), in the output's own units (Morris 1991; Campolongo, Cariboni
    and Saltelli 2007, doi:10.1016/j.envsoft.2006.10.004).
    """
    subject = subject or Subject()
    outputs = subject.chosen(settings.outputs)
    plan = _method_plan(factors, settings, seed)
    runs, matrices, noise = evaluated(plan.design, evaluate, settings.replicates, seed, outputs)
    delta = settings.levels / (2.0 * (settings.levels - 1))
    tables: list[pd.DataFrame] = []
    flags: dict[str, tuple[bool, bool]] = {}
    for name, values in matrices.items():
        effects, grouped = elementary_effects(
            plan.unit, values.mean(axis=1), plan.membership, plan.k
        )
        stats = morris_statistics(
            effects,
            grouped=grouped,
            within_variance=noise[name].within_variance,
            replicates=settings.replicates,
            delta=delta,
            resamples=settings.bootstrap,
            confidence=settings.confidence,
            rng=bootstrap_rng(seed, name, settings.level, "morris"),
        )
        floor = stats.noise_floor if math.isfinite(stats.noise_floor) else 0.0
        frame = pd.DataFrame(
            {
                "output": name,
                "level": settings.level,
                "factor": plan.labels,
                "category": plan.label_category,
                "mu": stats.mu,
                "mu_star": stats.mu_star,
                "mu_star_low": stats.mu_star_low,
                "mu_star_high": stats.mu_star_high,
                "mu_star_conf": (stats.mu_star_high - stats.mu_star_low) / 2.0,
                "sigma": stats.sigma,
                "noise_floor": stats.noise_floor,
                "distinguishable": surely_above(
                    stats.mu_star, stats.mu_star_low, floor, settings.confidence
                ),
            }
        )
        frame["rank"] = rank_by(frame, "mu_star")
        frame["leads"] = np.nan if stats.leads is None else stats.leads
        tables.append(frame[list(MORRIS_COLUMNS)])
        constant = bool(np.ptp(values) == 0.0)
        flags[name] = (constant, bool(not frame["distinguishable"].any()) and not constant)
    return SensitivityResult(
        method=settings.method,
        **common_fields(subject, settings, seed, outputs, plan.factors, plan.design, runs),
        noise=noise_frame(noise, flags),
        morris=pd.concat(tables, ignore_index=True),
    )
