"""What a calibration found, for analysts.

Figures, a Markdown/HTML report and the calibrated scenario file.

Every function returns a figure or text; :func:`sim.calibration.folder.write_outputs` writes
them into the calibration's folder (the command line and notebooks call it).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim import palette
from sim.calibration.result import WEAKLY_BELOW, Calibration
from sim.names import slug
from sim.params import PARAMETERS
from sim.scenarios.toml import extension_toml

# Okabe & Ito (2008) colour-blind-safe colours, as in the project's other figures.
POSTERIOR = palette.BLUE
POINT = palette.VERMILLION
TARGET = palette.BLUISH_GREEN
PRIOR = palette.GREY
SCREENING = palette.ORANGE
RELIABLE_ESS = 100
"""Posterior effective sample size below which the report warns that intervals are rough."""
PAIRWISE_MOST = 6
"""Inputs shown in the pairwise figure: the most narrowed ones (a 15 x 15 grid is unreadable)."""


def _subplots(
    rows: int,
    cols: int,
    figsize: tuple[float, float],
    sharex: bool = False,
    sharey: bool = False,
) -> tuple[Figure, np.ndarray]:
    """Make a figure and its (rows, cols) axes without pyplot.

    No backend is chosen or changed, so importing this module leaves a notebook's inline
    plotting alone, and nothing needs closing.
    """
    fig = Figure(figsize=figsize)
    axes = fig.subplots(rows, cols, sharex=sharex, sharey=sharey, squeeze=False)
    return fig, axes


def _grid(n: int, cols: int = 4) -> tuple[int, int]:
    cols = min(cols, n)
    return math.ceil(n / cols), cols


def marginals_figure(result: Calibration) -> Figure:
    """Posterior marginal of each calibrated input over its prior range, with the verdict.

    With the screening's support and the posterior median and 90% interval.
    """
    table = result.identification()
    post = result.posterior
    w = post["weight"].to_numpy()
    rows, cols = _grid(len(table))
    fig, axes = _subplots(rows, cols, figsize=(3.3 * cols, 2.4 * rows))
    for ax, (name, row) in zip(axes.flat, table.iterrows(), strict=False):
        low, high = row["prior_low"], row["prior_high"]
        bins = np.linspace(low, high, 25)
        ax.axvspan(row["support_low"], row["support_high"], color=PRIOR, alpha=0.15, lw=0)
        ax.hist(post[name], bins=bins, weights=w, density=True, color=POSTERIOR, alpha=0.8)
        ax.axhline(1.0 / (high - low), color=PRIOR, lw=1, ls="--")
        for q in (row["posterior_q05"], row["posterior_q95"]):
            ax.axvline(q, color="black", lw=0.8, ls=":")
        ax.axvline(row["posterior_median"], color="black", lw=1.2)
        ax.set_xlim(low, high)
        ax.set_yticks([])
        ax.set_title(f"{name}\n{row['verdict']} (ratio {row['interval_ratio']:.2f})", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(table) :]:
        ax.set_visible(False)
    fig.suptitle(
        "Posterior marginals (bars) against the uniform prior (dashed); grey: screening "
        "support; lines: median and 90% interval",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def pairwise_figure(result: Calibration) -> Figure:
    """Pairwise posterior of the most narrowed inputs (weighted 2-D histograms)."""
    table = result.identification().sort_values("interval_ratio")
    names = list(table.index[:PAIRWISE_MOST])
    post = result.posterior
    w = post["weight"].to_numpy()
    n = len(names)
    fig, axes = _subplots(n, n, figsize=(2.0 * n + 1, 2.0 * n + 1))
    for i, yi in enumerate(names):
        for j, xj in enumerate(names):
            ax = axes[i, j]
            xl = result.problem.prior[xj]
            yl = result.problem.prior[yi]
            if i == j:
                ax.hist(post[xj], bins=20, range=xl, weights=w, color=POSTERIOR)
                ax.set_yticks([])
                ax.set_xlim(*xl)
            elif i > j:
                ax.hist2d(post[xj], post[yi], bins=18, range=[xl, yl], weights=w, cmap="Blues")
            else:
                ax.set_visible(False)
                continue
            ax.tick_params(labelsize=6)
            if i == n - 1:
                ax.set_xlabel(xj, fontsize=7)
            if j == 0 and i > 0:
                ax.set_ylabel(yi, fontsize=7)
    fig.suptitle("Pairwise posterior of the most narrowed inputs", fontsize=9)
    fig.tight_layout()
    return fig


def _shade_target(ax: Axes, low: float, high: float, tolerance: float, span: tuple) -> None:
    lo = max(low, span[0]) if math.isfinite(low) else span[0]
    hi = min(high, span[1]) if math.isfinite(high) else span[1]
    lo_tol = (low - tolerance) if math.isfinite(low) else span[0]
    hi_tol = (high + tolerance) if math.isfinite(high) else span[1]
    ax.axvspan(lo_tol, hi_tol, color=TARGET, alpha=0.12, lw=0, label="within tolerance")
    ax.axvspan(lo, hi, color=TARGET, alpha=0.3, lw=0, label="target")


def predictive_targets_figure(result: Calibration) -> Figure:
    """Each target statistic's runs against the target and its tolerance (shaded).

    Histograms of the posterior-predictive replay and of the point estimate's runs.
    """
    targets = result.problem.targets
    components = [(t, c) for t in targets.targets for c in t.components()]
    rows, cols = _grid(len(components), 3)
    fig, axes = _subplots(rows, cols, figsize=(3.8 * cols, 2.6 * rows))
    for ax, (target, column) in zip(axes.flat, components, strict=False):
        pred = result.predictive[column].dropna().to_numpy()
        point = result.point[column].dropna().to_numpy()
        both = np.concatenate([pred, point]) if pred.size + point.size else np.zeros(1)
        low, high = target.interval
        ends = [v for v in (low, high) if math.isfinite(v)]
        span = (
            min([*ends, float(both.min())]) - target.tolerance,
            max([*ends, float(both.max())]) + target.tolerance,
        )
        _shade_target(ax, low, high, target.tolerance, span)
        bins = np.linspace(*span, 30)
        ax.hist(pred, bins=bins, density=True, color=POSTERIOR, alpha=0.7, label="posterior")
        ax.hist(
            point,
            bins=bins,
            density=True,
            histtype="step",
            color=POINT,
            lw=1.5,
            label="point estimate",
        )
        ax.set_xlim(*span)
        ax.set_yticks([])
        ax.set_title(f"{column} ({target.source})", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(components) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=6, loc="upper left")
    fig.suptitle("Posterior-predictive check against each target", fontsize=9)
    fig.tight_layout()
    return fig


def predictive_partners_figure(result: Calibration) -> Figure:
    """Per partner: quarterly recording share of the posterior-predictive replay.

    Median and 5-95% band, with the share targets that name the partner.
    """
    names = result.problem.scenario.partner_names
    quarterly = result.predictive_quarterly
    rows, cols = _grid(len(names))
    fig, axes = _subplots(rows, cols, figsize=(3.2 * cols, 2.3 * rows), sharex=True, sharey=True)
    quarters = np.arange(quarterly.shape[1]) + 1 if quarterly.size else np.zeros(0)
    named = {
        p: t
        for t in result.problem.targets.targets
        if t.statistic == "share_after_interface_live"
        for p in (t.partners or [])
    }
    for a, ax in enumerate(axes.flat):
        if a >= len(names):
            ax.set_visible(False)
            continue
        if quarterly.size:
            values = quarterly[:, :, a]
            defined = ~np.isnan(values)
            ok = defined.sum(axis=0) > 0
            lo = np.full(len(quarters), np.nan)
            mid, hi = lo.copy(), lo.copy()
            for q in np.flatnonzero(ok):
                col = values[defined[:, q], q]
                lo[q], mid[q], hi[q] = np.quantile(col, [0.05, 0.5, 0.95])
            ax.fill_between(
                quarters, lo, hi, color=POSTERIOR, alpha=0.25, lw=0, label="5-95% of posterior runs"
            )
            ax.plot(quarters, mid, color=POSTERIOR, lw=1.5, label="median")
        if names[a] in named:
            low, high = named[names[a]].interval
            ax.axhspan(
                low,
                min(high, 1.02),
                color=TARGET,
                alpha=0.3,
                lw=0,
                label=f"target ({named[names[a]].source})",
            )
        ax.set_title(names[a], fontsize=9)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("quarter")
    for ax in axes[:, 0]:
        ax.set_ylabel("share recorded")
    axes.flat[0].legend(fontsize=6, loc="lower right")
    fig.suptitle("Posterior-predictive replay: recording share per partner and quarter", fontsize=9)
    fig.tight_layout()
    return fig


def partner_bands_figure(result: Calibration) -> Figure:
    """Per partner: final-year share and share while its interface is live.

    Posterior-predictive median and 5-95% band, and the point estimate's median.
    """
    names = result.problem.scenario.partner_names
    fig, grid = _subplots(1, 2, figsize=(11, 0.45 * len(names) + 1.5), sharey=True)
    axes = grid[0]
    y = np.arange(len(names))
    for ax, stat, title in (
        (axes[0], "share_final_year", "final-year share"),
        (axes[1], "share_after_interface_live", "share while its interface is live"),
    ):
        for frame, colour, offset, label in (
            (result.predictive, POSTERIOR, -0.15, "posterior (5-95%, median)"),
            (result.point, POINT, 0.15, "point estimate (5-95%, median)"),
        ):
            for k, name in enumerate(names):
                values = frame[f"{stat}.{slug(name)}"].dropna().to_numpy()
                if values.size == 0:
                    continue
                lo, mid, hi = np.quantile(values, [0.05, 0.5, 0.95])
                ax.plot(
                    [lo, hi], [k + offset] * 2, color=colour, lw=2, label=label if k == 0 else None
                )
                ax.plot([mid], [k + offset], "o", color=colour, ms=4)
        ax.set_xlim(0, 1.02)
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    axes[0].set_yticks(y, names, fontsize=8)
    axes[0].invert_yaxis()
    axes[0].legend(fontsize=7, loc="lower left")
    fig.suptitle("Per partner: posterior-predictive bands", fontsize=9)
    fig.tight_layout()
    return fig


def progress_figure(result: Calibration) -> Figure:
    """Epsilon and effective sample size per generation; what the screening rules out.

    The right panel is the share of the screening wave each target rules out.
    """
    gens = result.generations()
    fig, grid = _subplots(1, 2, figsize=(10, 3))
    axes = grid[0]
    ax = axes[0]
    ax.plot(gens.index, gens["epsilon"], "o-", color=POSTERIOR, label="epsilon (tolerances)")
    ax.axhline(result.problem.settings.epsilon_floor, color="black", lw=0.8, ls=":")
    ax.set_xlabel("generation")
    ax.set_ylabel("epsilon")
    twin = ax.twinx()
    twin.plot(gens.index, gens["ess"], "s--", color=POINT, label="effective sample size")
    twin.set_ylabel("ESS")
    ax.set_title("ABC-SMC generations", fontsize=9)
    by = result.screening.ruled_out_by()
    axes[1].barh(list(by.index), by.to_numpy(), color=SCREENING)
    axes[1].set_xlim(0, 1)
    axes[1].set_xlabel("share of screening points ruled out")
    axes[1].set_title(
        f"Screening: {result.screening.ruled_out:.0%} of the prior ruled out overall", fontsize=9
    )
    axes[1].tick_params(labelsize=7)
    fig.tight_layout()
    return fig


FIGURES = {
    "marginals": marginals_figure,
    "pairwise": pairwise_figure,
    "predictive_targets": predictive_targets_figure,
    "predictive_partners": predictive_partners_figure,
    "partner_bands": partner_bands_figure,
    "progress": progress_figure,
}


# --- the calibrated scenario ----------------------------------------------------------------


def calibrated_name(scenario_name: str) -> str:
    """``sentinel_replay`` -> ``sentinel_calibrated``; other names get ``_calibrated``."""
    if scenario_name.endswith("_replay"):
        return scenario_name[: -len("_replay")] + "_calibrated"
    return f"{scenario_name}_calibrated"


SIGNIFICANT = 6
"""Significant digits of the values in a calibrated scenario's posterior table."""


def _round(value: float, digits: int = 4) -> float:
    return float(f"{value:.{digits}g}")


def _outward(value: float, up: bool, digits: int = 4) -> float:
    """Round ``value`` to ``digits`` significant digits away from the inside of a range.

    Up for an upper end, down for a lower end, so the rounded range still holds the value.
    """
    if value == 0 or not math.isfinite(value):
        return value
    step = 10.0 ** (math.floor(math.log10(abs(value))) - digits + 1)
    rounded = _round((math.ceil if up else math.floor)(value / step) * step, digits)
    if (up and rounded < value) or (not up and rounded > value):
        rounded = _round(rounded + (step if up else -step), digits)
    return rounded


def posterior_file_name(result: Calibration) -> str:
    """Name the calibrated scenario's posterior table after the scenario."""
    return f"{calibrated_name(result.problem.scenario.name)}.posterior.csv"


def posterior_table(result: Calibration) -> pd.DataFrame:
    """Return the joint posterior as the calibrated scenario ships it.

    :meth:`Calibration.joint_posterior`: ``weight``, the calibrated inputs and the nuisance
    inputs each accepted set was simulated with; values to :data:`SIGNIFICANT` digits (kept
    inside each input's range).
    """
    joint = result.joint_posterior()
    ranges = result.problem.prior | result.problem.nuisance
    columns = {"weight": joint["weight"].map(lambda w: _round(w, SIGNIFICANT))}
    for name in joint.columns.drop("weight"):
        low, high = ranges[str(name)]
        columns[name] = joint[name].map(lambda v: _round(v, SIGNIFICANT)).clip(low, high)
    table = pd.DataFrame(columns)
    return table[table["weight"] > 0].reset_index(drop=True)


def calibrated_scenario(
    result: Calibration, table: pd.DataFrame, targets_file: str | None = None
) -> str:
    """Write the calibrated scenario as TOML text.

    It ``extends`` the calibrated scenario and names the joint posterior ``table``
    (:func:`posterior_table`, written beside it as :func:`posterior_file_name`): every run of
    the scenario draws one whole accepted set from it, calibrated and nuisance inputs
    together, so the posterior's correlations are kept. Each calibrated parameter is also
    restated as a range, the support of its posterior (what sweeps and sensitivity analysis
    vary it over when they set it), with
    the point estimate (the posterior's central accepted parameter set) as default (what a
    run uses with ``--no-posterior``, and the dashboard's live run), provenance ``inferred``
    and the calibration as source.
    """
    problem = result.problem
    identification = result.identification()
    gens = result.generations()
    origin = problem.scenario.origin
    extends = problem.scenario.name if not origin.endswith(".toml") else origin
    if origin.endswith(".toml") and Path(origin).parent.name == "scenarios":
        # A shipped scenario (its origin is the package file): extend it by name.
        extends = problem.scenario.name
    label = targets_file or problem.targets_label
    settings = problem.settings
    fit = result.fit()
    missed = [t for t, r in fit.iterrows() if not r["predictive_met"]]
    point_missed = [
        f"{t} (by {r['point_miss']:.3g})" for t, r in fit.iterrows() if not r["point_met"]
    ]
    summary = (
        f"seed {settings.seed}, {result.runs} runs, {len(gens)} generations, "
        f"final epsilon {result.final.epsilon:.3g} (tolerances), {len(table)} sets, "
        f"ESS {result.final.ess:.0f}"
    )
    not_identified = identification.index[identification["verdict"] == "not identified"]
    comment = "\n".join(
        [
            f"{calibrated_name(problem.scenario.name)}: {problem.scenario.name} calibrated to "
            f"the targets in {label}.",
            "",
            "Written by `sharesim calibrate` (docs/calibration.md); to change it, re-run the",
            "calibration rather than editing the numbers. Every run draws one weighted set from",
            f"the joint posterior in {posterior_file_name(result)}: the calibrated parameters",
            "with the nuisance inputs the set was accepted with, correlations kept. Each",
            "calibrated parameter is also a range (its posterior's support, what sweeps vary it",
            "over) whose default is one accepted posterior parameter set (the one nearest the",
            "marginal medians): what a run uses with --no-posterior.",
            f"Targets hash {problem.targets.content_hash()[:12]}, scenario hash "
            f"{problem.scenario.content_hash()[:12]},",
            f"{summary}.",
            "Not identified by the targets (posterior close to the prior): "
            f"{', '.join(not_identified) or 'none'}.",
            f"Targets the posterior-predictive replay misses: {', '.join(missed) or 'none'}.",
            f"Targets a replay at these defaults misses: {', '.join(point_missed) or 'none'}.",
        ]
    )
    parameters: dict[str, dict[str, object]] = {}
    for name, row in identification.iterrows():
        param = PARAMETERS[str(name)]  # the calibrated inputs are registry parameters
        column = table[str(name)]
        low = max(param.low, _outward(float(column.min()), up=False))
        high = min(param.high, _outward(float(column.max()), up=True))
        parameters[str(name)] = {
            "low": low,
            "high": high,
            "default": min(max(_round(row["point_estimate"]), low), high),
            "provenance": "inferred",
            "source": (
                f"Calibration to {problem.targets.name} (seed {settings.seed}): range the "
                f"posterior's support, default the central accepted parameter set; "
                f"{row['verdict']} (90% interval {_fmt(row['posterior_q05'])} to "
                f"{_fmt(row['posterior_q95'])}, interval ratio {row['interval_ratio']:.2f})"
            ),
        }
    return extension_toml(
        name=calibrated_name(problem.scenario.name),
        description=f"{problem.scenario.name} with parameters drawn from the posterior of a "
        f"calibration to {problem.targets.name}.",
        extends=extends,
        parameters=parameters,
        posterior={
            "file": posterior_file_name(result),
            "source": f"ABC-SMC calibration to {problem.targets.name} ({summary})",
        },
        comment=comment,
    )


# --- the report -----------------------------------------------------------------------------


def _fmt(value: object, digits: int = 3) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        if not math.isfinite(float(value)):
            return "-" if math.isnan(float(value)) else ("inf" if value > 0 else "-inf")
        return f"{float(value):.{digits}g}"
    return str(value)


def _table(frame: pd.DataFrame, digits: int = 3) -> str:
    cols = [frame.index.name or "", *map(str, frame.columns)]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for index, row in frame.iterrows():
        lines.append("| " + " | ".join([str(index), *(_fmt(v, digits) for v in row)]) + " |")
    return "\n".join(lines)


def _interval(low: float, high: float) -> str:
    if low == high:
        return _fmt(low)
    left = "-inf" if not math.isfinite(low) else _fmt(low)
    right = "inf" if not math.isfinite(high) else _fmt(high)
    return f"[{left}, {right}]"


def fit_lines(result: Calibration) -> list[str]:
    """Plain sentences: each target met or missed, and by how much."""
    lines = []
    for column, row in result.fit().iterrows():
        band = f"{_fmt(row['predictive_q05'])} to {_fmt(row['predictive_q95'])}"
        verdict = (
            "meets it"
            if row["predictive_met"]
            else f"misses it by {_fmt(row['predictive_miss'])} "
            f"({_fmt(row['predictive_miss'] / row['tolerance'])} tolerances)"
        )
        lines.append(
            f"`{column}` (target {_interval(row['low'], row['high'])} +/- "
            f"{_fmt(row['tolerance'])}, {row['source']}, {row['strength']}): posterior-predictive "
            f"median {_fmt(row['predictive_median'])} (5-95%: {band}), {verdict}; "
            f"{row['predictive_meets']:.0%} of runs within tolerance. Point estimate: median "
            f"{_fmt(row['point_median'])}, "
            + ("meets it." if row["point_met"] else f"misses by {_fmt(row['point_miss'])}.")
        )
    return lines


def report_markdown(result: Calibration, seconds: float | None = None) -> str:
    """Write the calibration report as Markdown."""
    problem = result.problem
    settings = problem.settings
    screening = result.screening
    table = result.identification()
    fit = result.fit()
    gens = result.generations()
    verdicts = table["verdict"]
    identified = list(table.index[verdicts == "identified"])
    weak = list(table.index[verdicts == "weakly identified"])
    not_identified = list(table.index[verdicts == "not identified"])
    met = int(fit["predictive_met"].sum())
    targets_rows = pd.DataFrame(
        [
            {
                "target": t.id,
                "statistic": t.statistic
                + (f" ({', '.join(t.partners)})" if t.partners else "")
                + (f" at {t.at}" if t.at else ""),
                "value": _interval(*t.interval),
                "tolerance": t.tolerance,
                "source": t.source,
                "strength": t.strength,
            }
            for t in problem.targets.targets
        ]
    ).set_index("target")
    fit_view = fit[
        [
            "low",
            "high",
            "tolerance",
            "predictive_median",
            "predictive_q05",
            "predictive_q95",
            "predictive_meets",
            "predictive_met",
            "predictive_miss",
            "point_median",
            "point_met",
            "point_miss",
        ]
    ].rename(columns={"predictive_meets": "share_runs_within"})
    ident_view = table[
        [
            "prior_low",
            "prior_high",
            "posterior_median",
            "posterior_q05",
            "posterior_q95",
            "interval_ratio",
            "verdict",
        ]
    ]
    top = result.influence.head(15)
    influence_view = top[["strongest"]].assign(
        calibrated=[name in problem.prior for name in top.index]
    )
    seconds = result.wall_seconds if seconds is None else seconds
    time_text = f"{seconds:.0f} s"
    constraints = [
        f"- `{c.id}` ({c.source}, {c.strength}): {c.description}. Checked: `{c.parameter}` is "
        + (
            f"sampled on [{_fmt(problem.prior[c.parameter][0])}, "
            f"{_fmt(problem.prior[c.parameter][1])}]"
            if c.parameter in problem.prior
            else "held inside its range"
        )
        + (f", above {c.above:g}" if c.above is not None else "")
        + (f", below {c.below:g}" if c.below is not None else "")
        + " everywhere: a prior constraint, not a fitted statistic."
        for c in problem.targets.constraints
    ]
    parts = [
        f"# Calibration of {problem.scenario.name} to {problem.targets.name}",
        "",
        problem.targets.description + ".",
        "",
        f"Targets file `{problem.targets_label}`; scenario `{problem.scenario.name}` "
        f"(hash {problem.scenario.content_hash()[:12]}); seed {settings.seed}; "
        f"{result.runs} model runs; wall time {time_text}.",
        f"Calibrated inputs ({len(problem.inputs)}): {', '.join(problem.inputs)}. "
        + (
            f"The other {len(problem.nuisance)} uncertain inputs of the scenario are drawn from "
            "their ranges for every parameter set (marginalised, not fitted)."
            if settings.nuisance == "prior"
            else "The other uncertain inputs are held at the scenario's defaults."
        ),
        "",
        "## In short",
        "",
        f"- The posterior-predictive replay meets {met} of {len(fit)} target statistics within "
        "tolerance"
        + (
            "."
            if met == len(fit)
            else "; missed: " + ", ".join(f"`{t}`" for t in fit.index[~fit["predictive_met"]]) + "."
        ),
        f"- Screening ruled out {screening.ruled_out:.0%} of the prior "
        f"({len(screening.design)} Latin-hypercube points, implausibility cut-off "
        f"{settings.cutoff:g}).",
        f"- ABC-SMC: {len(gens)} generations, final epsilon {result.final.epsilon:.3g} "
        f"tolerances (floor {settings.epsilon_floor:g}), {len(result.final.weights)} "
        f"accepted parameter sets, effective sample size {result.final.ess:.0f}.",
        f"- Jointly, {result.prior_acceptance:.0%} of the runs drawn from the whole prior meet "
        "every target within tolerance: the targets rule out combinations of parameters more "
        "than any single parameter's range.",
        *(
            [
                f"- **Caution**: the posterior's effective sample size is {result.final.ess:.0f}; "
                f"below {RELIABLE_ESS} the intervals and verdicts below are rough (too few "
                "particles)."
            ]
            if result.final.ess < RELIABLE_ESS
            else []
        ),
        f"- Identified by the targets: {', '.join(identified) or 'none'}.",
        f"- Weakly identified: {', '.join(weak) or 'none'}.",
        f"- **Not identified** (posterior 90% interval wider than "
        f"{settings.not_identified_above:.0%} of the prior's): "
        f"{', '.join(not_identified) or 'none'}. For these the evidence says little: their "
        "calibrated ranges are close to the priors.",
        "",
        "## Targets",
        "",
        _table(targets_rows),
        "",
        *[f"- `{t.id}`: {t.note}" for t in problem.targets.targets if t.note],
        "",
        "Prior constraints:",
        "",
        *constraints,
        "",
        "## Fit per target",
        "",
        *[f"- {line}" for line in fit_lines(result)],
        "",
        "Posterior predictive: parameter sets drawn from the posterior by weight, the other "
        "inputs from their priors. Point estimate: the calibrated scenario at its defaults "
        "(the accepted posterior parameter set nearest the marginal medians, other inputs at "
        "their defaults), which is what `sharesim run` shows. A target is met when the median "
        "run is within one tolerance of it.",
        "",
        _table(fit_view),
        "",
        "![predictive_targets](figures/predictive_targets.png)",
        "",
        "![partner_bands](figures/partner_bands.png)",
        "",
        "![predictive_partners](figures/predictive_partners.png)",
        "",
        "## What the evidence identifies",
        "",
        "Interval ratio: width of the posterior 90% interval over the width of the prior's 90% "
        f"interval. Below {WEAKLY_BELOW:.1f}: identified; up to {settings.not_identified_above:g}: "
        "weakly identified; above: not identified by these targets.",
        "",
        _table(ident_view),
        "",
        "![marginals](figures/marginals.png)",
        "",
        "![pairwise](figures/pairwise.png)",
        "",
        "## Screening and generations",
        "",
        "Share of the screening wave each target rules out: "
        + ", ".join(f"`{k}` {v:.0%}" for k, v in screening.ruled_out_by().items())
        + ".",
        "",
        "Inputs that move the target statistics most over the screening wave (largest absolute "
        "Spearman correlation with any target statistic):",
        "",
        _table(influence_view, 2),
        "",
        _table(gens),
        "",
        "![progress](figures/progress.png)",
        "",
        "## Caveats",
        "",
        "- The evidence is a handful of qualitative patterns from one thesis; each target's "
        "number and tolerance is a reading of a sentence (see the notes above). A different "
        "reading moves the posterior.",
        "- The posterior is conditional on the model's structure: a parameter that is "
        "identified here is identified *given the rules of the model*, not proven in the world.",
        "- Parameters marked not identified should be treated as unknown: scenario comparisons "
        "that depend on them need a sensitivity analysis, not the calibrated default.",
        "- The calibrated scenario draws whole parameter sets from the posterior, so it keeps "
        "the correlations (pairwise figure); its parameter ranges, the posterior's support, "
        "are independent, so a sweep or sensitivity analysis that sets a parameter itself "
        "explores that range without them.",
        "",
    ]
    return "\n".join(parts)


__all__ = [
    "FIGURES",
    "calibrated_name",
    "calibrated_scenario",
    "fit_lines",
    "posterior_file_name",
    "posterior_table",
    "report_markdown",
]
