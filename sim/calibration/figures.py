"""Figures of a finished calibration: marginals, pairs, predictive checks, progress.

Every function returns a :class:`matplotlib.figure.Figure` made without pyplot;
:func:`sim.calibration.folder.write_outputs` saves them under ``figures/``.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim import palette
from sim.calibration.result import Calibration
from sim.names import slug

# Okabe & Ito (2008) colour-blind-safe colours, as in the project's other figures.
POSTERIOR = palette.BLUE
POINT = palette.VERMILLION
TARGET = palette.BLUISH_GREEN
PRIOR = palette.GREY
SCREENING = palette.ORANGE
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
