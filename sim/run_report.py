"""Figures and a short report of a scenario's replicates, for analysts.

Every function takes results and returns a figure or text; writing files is left to
:func:`write_report`, which :func:`sim.run_folder.write_run_folder` calls to write a run's
folder.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never a window

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.benefit import weekly_latency
from sim.engine import INTERFACE_NAMES, InterfaceState, share_of
from sim.pages import html_page
from sim.palette import BLUE, INTERFACE_COLOURS, ORANGE
from sim.run import RunResult


def _grid(n: int) -> tuple[int, int]:
    cols = min(4, n)
    return math.ceil(n / cols), cols


def _band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and 5-95% band across replicates (axis 0)."""
    return (
        np.median(values, axis=0),
        np.quantile(values, 0.05, axis=0),
        np.quantile(values, 0.95, axis=0),
    )


def _smoothed_share(result: RunResult, window: int = 4) -> np.ndarray:
    """Return the recording share per replicate, week and partner over trailing weeks.

    Over a trailing ``window`` weeks, because weekly shares of small councils are too noisy
    to read (a handful of cases a week).
    """
    kernel = np.ones(window)
    traj = result.trajectory

    def roll(x: np.ndarray) -> np.ndarray:
        padded = np.concatenate([np.zeros_like(x[:, : window - 1]), x], axis=1)
        return np.apply_along_axis(lambda v: np.convolve(v, kernel, "valid"), 1, padded)

    return share_of(roll(traj.recorded.astype(float)), roll(traj.handled.astype(float)))


def _per_partner_panels(result: RunResult, values: np.ndarray, ylabel: str, title: str) -> Figure:
    names = result.trajectory.names
    rows, cols = _grid(len(names))
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.2 * cols, 2.3 * rows), sharex=True, sharey=True, squeeze=False
    )
    weeks = np.arange(values.shape[1])
    for a, ax in enumerate(axes.flat):
        if a >= len(names):
            ax.set_visible(False)
            continue
        mid, low, high = _band(values[:, :, a])
        colour = BLUE
        ax.fill_between(
            weeks, low, high, color=colour, alpha=0.25, linewidth=0, label="5-95% of replicates"
        )
        ax.plot(weeks, mid, color=colour, linewidth=1.5, label="median")
        ax.set_title(names[a], fontsize=9)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("week")
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
    axes.flat[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"{title} — {result.scenario}, {result.replicates} replicates")
    fig.tight_layout()
    return fig


def share_figure(result: RunResult) -> Figure:
    """Draw the recording share per partner over time (4-week trailing), median and 5-95% band."""
    return _per_partner_panels(
        result, _smoothed_share(result), "share recorded (0-1)", "Recording share per partner"
    )


def buy_in_figure(result: RunResult) -> Figure:
    """Partner buy-in per partner over time, median and 5-95% band."""
    return _per_partner_panels(
        result, result.trajectory.buy_in, "buy-in (0-1)", "Partner buy-in per partner"
    )


def interface_figure(result: RunResult) -> Figure:
    """Interface timeline: per partner and week, the stage most replicates are in."""
    stages = result.trajectory.interface
    counts = np.stack([(stages == s).sum(axis=0) for s in InterfaceState])  # (S, T, A)
    modal = counts.argmax(axis=0).T  # (A, T)
    names = result.trajectory.names
    fig, ax = plt.subplots(figsize=(10, 0.35 * len(names) + 1.5))
    cmap = matplotlib.colors.ListedColormap([INTERFACE_COLOURS[n] for n in INTERFACE_NAMES])
    ax.imshow(
        modal,
        aspect="auto",
        cmap=cmap,
        vmin=-0.5,
        vmax=len(INTERFACE_NAMES) - 0.5,
        interpolation="nearest",
    )
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xlabel("week")
    handles = [
        matplotlib.patches.Patch(color=INTERFACE_COLOURS[n], label=n) for n in INTERFACE_NAMES
    ]
    ax.legend(
        handles=handles,
        ncols=4,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18),
        fontsize=8,
        frameon=False,
    )
    ax.set_title(
        f"Interface stage per partner (most common across {result.replicates} "
        f"replicates) — {result.scenario}"
    )
    fig.tight_layout()
    return fig


def network_positions(n: int) -> np.ndarray:
    """Place ``n`` points on a fixed circle (no random layout: figures must be reproducible)."""
    angle = np.pi / 2 - 2 * np.pi * np.arange(n) / n
    return np.column_stack([np.cos(angle), np.sin(angle)])


def network_figure(result: RunResult) -> Figure:
    """Cross-partner views: edge width is the median number of a partner's records viewed."""
    views = np.median(result.trajectory.views, axis=0)
    names = result.trajectory.names
    pos = network_positions(len(names))
    fig, ax = plt.subplots(figsize=(7, 7))
    strength = views + views.T
    top = strength.max() if strength.max() > 0 else 1.0
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            if strength[i, j] > 0:
                ax.plot(
                    *zip(pos[i], pos[j], strict=True),
                    color=BLUE,
                    linewidth=0.3 + 6 * strength[i, j] / top,
                    alpha=0.6,
                    zorder=1,
                )
    recorded = result.trajectory.recorded.sum(axis=1).mean(axis=0)
    size = 100 + 900 * recorded / max(recorded.max(), 1)
    ax.scatter(pos[:, 0], pos[:, 1], s=size, color=ORANGE, edgecolor="black", zorder=2)
    for (x, y), name in zip(pos, names, strict=True):
        ax.annotate(name, (x * 1.18, y * 1.18), ha="center", va="center", fontsize=8)
    ax.set_xlim(-1.5, 1.5)
    ax.set_ylim(-1.4, 1.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(
        f"Who looks at whose records — {result.scenario}\n(edge width: records "
        "viewed both ways, median over replicates; node size: cases recorded)"
    )
    fig.tight_layout()
    return fig


def benefit_figure(result: RunResult) -> Figure:
    """Draw what sharing bought, partnership-wide, week by week.

    The days until partners learned of a case (DOMAIN.md P13), and staff hours a week spent on
    sharing and saved against e-mailing every case (P5); median and 5-95% band across
    replicates.
    """
    traj = result.trajectory
    weeks = np.arange(traj.handled.shape[1])
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.4))
    series = (
        (left, weekly_latency(traj), BLUE, "latency"),
        (right, traj.sharing_hours.sum(axis=2), ORANGE, "hours spent on sharing"),
        (right, traj.saved_hours.sum(axis=2), BLUE, "hours saved"),
    )
    for ax, values, colour, label in series:
        mid, low, high = (
            np.nanmedian(values, axis=0),
            np.nanquantile(values, 0.05, axis=0),
            np.nanquantile(values, 0.95, axis=0),
        )
        ax.fill_between(weeks, low, high, color=colour, alpha=0.25, linewidth=0)
        ax.plot(weeks, mid, color=colour, linewidth=1.5, label=label)
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
    left.set_ylabel("days until partners learn of a case")
    left.set_ylim(bottom=0)
    right.set_ylabel("staff hours a week, all partners")
    right.axhline(0, color="black", linewidth=0.6)
    right.legend(fontsize=8)
    fig.suptitle(
        f"What sharing bought (median, 5-95% band) — {result.scenario}, "
        f"{result.replicates} replicates"
    )
    fig.tight_layout()
    return fig


FIGURES = {
    "share": share_figure,
    "benefit": benefit_figure,
    "buy_in": buy_in_figure,
    "interfaces": interface_figure,
    "network": network_figure,
}
"""Figure name -> function; the report embeds each as ``figures/<name>.png``."""


@dataclass(frozen=True)
class Comparison:
    """Paired difference of two scenarios run with the same seeds (common random numbers)."""

    first: str
    second: str
    table: pd.DataFrame
    """Per metric: mean of each, mean difference (second - first), 95% CI of the difference."""


def compare_results(
    first: RunResult, second: RunResult, metrics: pd.DataFrame, other: pd.DataFrame
) -> Comparison:
    """Compare per-replicate summary metrics of two scenarios.

    95% t-intervals of the paired differences (replicate r of both used the same seed).
    """
    # scipy.stats takes longer to import than a report takes to draw; only comparisons use it.
    from scipy import stats

    rows = []
    for column in metrics.columns:
        a = metrics[column].to_numpy(float)
        b = other[column].to_numpy(float)
        diff = b - a
        n = len(diff)
        half = (stats.t.ppf(0.975, n - 1) * diff.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        rows.append(
            {
                "metric": column,
                first.scenario: a.mean(),
                second.scenario: b.mean(),
                "difference": diff.mean(),
                "ci_low": diff.mean() - half,
                "ci_high": diff.mean() + half,
            }
        )
    return Comparison(first.scenario, second.scenario, pd.DataFrame(rows).set_index("metric"))


def _markdown_table(frame: pd.DataFrame, digits: int = 2) -> str:
    cols = [frame.index.name or "", *map(str, frame.columns)]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for index, row in frame.iterrows():
        cells = [f"{v:.{digits}f}" if isinstance(v, float | np.floating) else str(v) for v in row]
        lines.append("| " + " | ".join([str(index), *cells]) + " |")
    return "\n".join(lines)


def report_markdown(
    result: RunResult,
    description: str,
    summary: pd.DataFrame,
    facts: Sequence[str],
    meta: Mapping[str, object] | None = None,
) -> str:
    """Write the report as Markdown: what was run, the per-partner summary, the figures."""
    parts = [
        f"# {result.scenario}",
        "",
        description,
        "",
        f"{result.replicates} replicates of {result.weeks} weeks (one step = one week), "
        f"seed {result.seed}.",
        "",
        *([", ".join(f"{k}: {v}" for k, v in meta.items()) + ".", ""] if meta else []),
        "## What the replay shows",
        "",
        *[f"- {fact}" for fact in facts],
        "",
        "## Per partner, final year",
        "",
        "Share of ASB cases recorded on the shared system in the last 52 weeks (mean and 5-95% "
        "range across replicates), buy-in at the end, the share of replicates in which the "
        "partner's interface was live at the end, and what sharing bought it: days until "
        "partners learned of its cases, and staff hours a week spent on sharing and saved "
        "against e-mailing every case (means over replicates).",
        "",
        _markdown_table(summary),
        "",
        "## Figures",
        "",
        *[f"![{name}](figures/{name}.png)\n" for name in FIGURES],
        "Every parameter and event in the scenario carries its provenance (stated, external, "
        "inferred or assumed); values marked assumed are uncertain inputs, not findings.",
    ]
    return "\n".join(parts) + "\n"


def headline_facts(summary: pd.DataFrame, metrics: pd.DataFrame) -> list[str]:
    """Plain-language findings an analyst checks against the evidence (DOMAIN.md P2, P4)."""
    live = summary[summary["interface_live"] >= 0.5]
    other = summary[summary["interface_live"] < 0.5]
    facts = []
    if len(live):
        facts.append(
            f"Partners with a live interface at the end ({', '.join(live.index)}) recorded "
            f"{live['share'].mean():.0%} of their cases in the final year on average."
        )
    if len(other):
        facts.append(
            f"Partners without one recorded {other['share'].mean():.0%} on average "
            f"(range {other['share'].min():.0%} to {other['share'].max():.0%})."
        )
    rho = metrics["buy_in_share_correlation"]
    facts.append(
        f"Across partners, buy-in and recording share have a Spearman rank correlation of "
        f"{rho.mean():.2f} on average over replicates (5-95%: {rho.quantile(0.05):.2f} to "
        f"{rho.quantile(0.95):.2f})."
    )
    share = metrics["share_final_year"]
    facts.append(
        f"Partnership-wide, {share.mean():.0%} of ASB cases reached the shared system in the "
        f"final year (5-95%: {share.quantile(0.05):.0%} to {share.quantile(0.95):.0%})."
    )
    latency = metrics["latency_final_year"]
    spent, saved = metrics["sharing_hours_final_year"], metrics["saved_hours_final_year"]
    facts.append(
        f"In the final year partners learned of a case after {latency.mean():.1f} days on "
        f"average (5-95%: {latency.quantile(0.05):.1f} to {latency.quantile(0.95):.1f}; about "
        f"a month before the system, DOMAIN.md P13); staff spent {spent.mean():.0f} hours a "
        f"week on sharing and saved {saved.mean():.0f} (5-95%: {saved.quantile(0.05):.0f} to "
        f"{saved.quantile(0.95):.0f}) against e-mailing every case (P5)."
    )
    return facts


def write_figures(result: RunResult, folder: Path) -> dict[str, Path]:
    """Write every figure as PNG into ``folder``; return name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, make in FIGURES.items():
        fig = make(result)
        path = folder / f"{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths[name] = path
    return paths


def write_report(
    result: RunResult,
    folder: Path,
    description: str,
    metrics: pd.DataFrame,
    meta: Mapping[str, object],
) -> Path:
    """Write figures, ``report.md`` and ``report.html`` into ``folder``; return the Markdown."""
    summary = result.summary()
    facts = headline_facts(summary, metrics)
    write_figures(result, folder / "figures")
    text = report_markdown(result, description, summary, facts, meta)
    markdown = folder / "report.md"
    markdown.write_text(text, encoding="utf-8")
    (folder / "report.html").write_text(html_page(text, result.scenario), encoding="utf-8")
    return markdown
