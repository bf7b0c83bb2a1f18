"""Figures and a short report of a scenario's replicates, for analysts.

Every function takes results and returns a figure or text; writing files is left to
:func:`write_report` (called by the command line).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never a window

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure

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
    """Recording share per replicate, week and partner over a trailing ``window`` weeks:
    weekly shares of small councils are too noisy to read (a handful of cases a week)."""
    kernel = np.ones(window)
    traj = result.trajectory

    def roll(x: np.ndarray) -> np.ndarray:
        padded = np.concatenate([np.zeros_like(x[:, : window - 1]), x], axis=1)
        return np.apply_along_axis(lambda v: np.convolve(v, kernel, "valid"), 1, padded)

    return share_of(roll(traj.recorded.astype(float)), roll(traj.handled.astype(float)))


@dataclass(frozen=True)
class Panels:
    """A quantity per partner over time, drawn as one panel per partner: the median across
    replicates and the 5-95% band."""

    values: Callable[[RunResult], np.ndarray]
    """The quantity per replicate, week and partner (R, T, A), in 0..1."""
    ylabel: str
    title: str


PANELS: dict[str, Panels] = {
    "share": Panels(_smoothed_share, "share recorded (0-1)", "Recording share per partner"),
    "buy_in": Panels(
        lambda result: result.trajectory.buy_in, "buy-in (0-1)", "Partner buy-in per partner"
    ),
}
"""The report's per-partner panel figures, by figure name."""


def _panel_figures(result: RunResult, panels: Sequence[Panels]) -> Iterator[Figure]:
    """One panel figure per entry of ``panels``, in turn, all drawn on one figure.

    The grid of panels (a panel per partner, with its ticks, grid and titles) costs most of
    the drawing, and it is the same for every quantity: it is made once, and each quantity's
    lines, labels and title replace the previous one's when the next figure is asked for. So
    a figure is only good until then: save it first. The layout is computed again for each,
    so every figure is exactly what it would be if drawn on its own. The figure is closed
    once every quantity has been drawn.
    """
    names = result.trajectory.names
    rows, cols = _grid(len(names))
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.2 * cols, 2.3 * rows), sharex=True, sharey=True, squeeze=False
    )
    shown = axes.flat[: len(names)]
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    for ax, name in zip(shown, names, strict=True):
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("week")
    for panel in panels:
        values = panel.values(result)
        weeks = np.arange(values.shape[1])
        drawn: list[Artist] = []
        for a, ax in enumerate(shown):
            mid, low, high = _band(values[:, :, a])
            band = ax.fill_between(
                weeks, low, high, color=BLUE, alpha=0.25, linewidth=0, label="5-95% of replicates"
            )
            drawn.append(band)
            drawn.extend(ax.plot(weeks, mid, color=BLUE, linewidth=1.5, label="median"))
            ax.set_ylim(0, 1.02)
        for ax in axes[:, 0]:
            ax.set_ylabel(panel.ylabel)
        drawn.append(axes.flat[0].legend(fontsize=7, loc="lower right"))
        fig.suptitle(f"{panel.title} — {result.scenario}, {result.replicates} replicates")
        fig.tight_layout()
        yield fig
        for artist in drawn:
            artist.remove()
        for ax in shown:
            ax.relim()
    plt.close(fig)


def share_figure(result: RunResult) -> Figure:
    """Recording share per partner over time (4-week trailing), median and 5-95% band."""
    return next(_panel_figures(result, [PANELS["share"]]))


def buy_in_figure(result: RunResult) -> Figure:
    """Partner buy-in per partner over time, median and 5-95% band."""
    return next(_panel_figures(result, [PANELS["buy_in"]]))


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
    """Fixed circular layout (no random layout: figures must be reproducible)."""
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


DPI = 110
"""Resolution of the report's figures (dots per inch)."""

FIGURES = {
    "share": share_figure,
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
    """Compare per-replicate summary metrics of two scenarios; 95% t-intervals of the paired
    differences (replicate r of both used the same seed)."""
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
    """The report as Markdown: what was run, the per-partner summary, the figures."""
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
        "range across replicates), buy-in at the end, and the share of replicates in which the "
        "partner's interface was live at the end.",
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
    return facts


def write_figures(result: RunResult, folder: Path) -> dict[str, Path]:
    """Write every figure as PNG into ``folder``; return name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.png" for name in FIGURES}
    panels = [name for name in FIGURES if name in PANELS]
    for name, fig in zip(panels, _panel_figures(result, [PANELS[n] for n in panels]), strict=True):
        fig.savefig(paths[name], dpi=DPI)
    for name, make in FIGURES.items():
        if name not in PANELS:
            fig = make(result)
            fig.savefig(paths[name], dpi=DPI)
            plt.close(fig)
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
