"""Figures and a short report of a scenario's replicates, for analysts.

Every function takes results and returns a figure or text; writing files is left to
:func:`write_report`, which :func:`sim.run_folder.write_run_folder` calls to write a run's
folder. Figures are built without pyplot, so making them changes no global plotting state
(a notebook's inline figures keep working).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.layout_engine import TightLayoutEngine
from matplotlib.patches import Patch

from sim.arrays import share_of
from sim.benefit import weekly_latency
from sim.engine import INTERFACE_NAMES, InterfaceState
from sim.headline import Spread, final_year_sentence, spread
from sim.names import HEADLINE, benefit_outputs, capitalised, header
from sim.pages import html_page, markdown_table
from sim.palette import BLUE, INTERFACE_COLOURS, ORANGE
from sim.run import RunResult
from sim.weeks import TRAILING_WEEKS, date_axis, trailing_sum

BAND_LABEL = "90% of runs"

SHARE_TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)
"""The y ticks of the per-partner panels: every quantity drawn there is a share."""


def _fit(fig: Figure, rect: tuple[float, float, float, float] | None = None) -> None:
    """Fit the margins and gaps of ``fig``'s axes and titles inside ``rect`` (the figure), once.

    As :meth:`Figure.tight_layout` does, except that it leaves no layout engine on the figure:
    ``tight_layout`` leaves a placeholder one, and ``savefig`` then lays the whole figure out
    once more before drawing it, for nothing.
    """
    # None, as Figure.tight_layout passes it (the stubs want a tuple): the whole figure, fitted
    # in one pass, where a rect (even the whole figure's) asks for a second.
    TightLayoutEngine(rect=rect).execute(fig)  # type: ignore[arg-type]


def _grid(n: int) -> tuple[int, int]:
    cols = min(4, n)
    return math.ceil(n / cols), cols


def _band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median and 90% band (5% and 95% quantiles) across runs (axis 0)."""
    return (
        np.median(values, axis=0),
        np.quantile(values, 0.05, axis=0),
        np.quantile(values, 0.95, axis=0),
    )


def _smoothed_share(result: RunResult) -> np.ndarray:
    """Return the recording share per replicate, week and partner over trailing weeks.

    Over the last :data:`sim.weeks.TRAILING_WEEKS` weeks, because weekly shares of small
    councils are too noisy to read (a handful of cases a week).
    """
    traj = result.trajectory
    return share_of(trailing_sum(traj.recorded, 1), trailing_sum(traj.handled, 1))


@dataclass(frozen=True)
class Panels:
    """A quantity per partner over time, drawn as one panel per partner.

    Each panel shows the median across runs and the band holding 90% of them.
    """

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
    """Yield one panel figure per entry of ``panels``, in turn, all drawn on one figure.

    The grid of panels (a panel per partner, with its grid, title, ticks and limits) costs
    most of the drawing, and it is the same for every quantity: it is made once, and each
    quantity's lines, labels and title replace the previous one's when the next figure is asked
    for. So a figure is only good until then: save it first.

    The layout (margins and gaps) is computed once, for the first quantity, and kept: it
    depends on the panel titles, the tick labels (fixed: every quantity is a share from 0 to 1)
    and the heights of the y label and the title, which every quantity shares (a y label is
    drawn upright, so its length does not move the margins).
    """
    names = result.trajectory.names
    rows, cols = _grid(len(names))
    weeks = np.arange(result.trajectory.handled.shape[1])
    yearly = 52  # small panels: a date tick a year
    fig = Figure(figsize=(3.2 * cols, 2.3 * rows + 0.3))
    # The panels do not share axes: each is given the same ticks and limits instead, and only
    # the outer ones label them, as shared axes would. Shared, every look at a panel's limits
    # asks all the others whether theirs changed, over and over as the figure is drawn. Cells
    # of the grid left over after the last partner get no axes.
    grid = fig.add_gridspec(rows, cols)
    shown = [fig.add_subplot(grid[a // cols, a % cols]) for a in range(len(names))]
    for a, ax in enumerate(shown):
        ax.set_title(names[a], fontsize=9)
        ax.grid(alpha=0.3)
        # Fixed ticks spare every panel's locator a search on every draw.
        ax.set_yticks(SHARE_TICKS)
        ax.set_ylim(0, 1.02)
        ax.tick_params(axis="y", labelleft=a % cols == 0)
        # A panel with no panel under it carries the dates, as the bottom row does.
        if a + cols >= len(names):
            date_axis(ax, result.start, len(weeks), every=yearly)
            ax.tick_params(axis="x", labelsize=7)
        else:
            ax.set_xticks(range(0, len(weeks) + 1, yearly))
            ax.tick_params(axis="x", labelbottom=False)
    laid_out = False
    for panel in panels:
        values = panel.values(result)
        drawn: list[Artist] = []
        for a, ax in enumerate(shown):
            mid, low, high = _band(values[:, :, a])
            band = ax.fill_between(
                weeks, low, high, color=BLUE, alpha=0.25, linewidth=0, label=BAND_LABEL
            )
            drawn.append(band)
            drawn.extend(ax.plot(weeks, mid, color=BLUE, linewidth=1.5, label="median"))
        for ax in shown[::cols]:
            ax.set_ylabel(panel.ylabel)
        drawn.append(shown[0].legend(fontsize=7, loc="lower right"))
        fig.suptitle(f"{panel.title} — {result.scenario}, {result.replicates} runs")
        if not laid_out:
            _fit(fig)
            laid_out = True
        yield fig
        for artist in drawn:
            artist.remove()
        for ax in shown:
            ax.relim()


def share_figure(result: RunResult) -> Figure:
    """Draw the recording share per partner over time (4-week trailing), median and 90% band."""
    return next(_panel_figures(result, [PANELS["share"]]))


def buy_in_figure(result: RunResult) -> Figure:
    """Partner buy-in per partner over time, median and 90% band."""
    return next(_panel_figures(result, [PANELS["buy_in"]]))


def partnership_figure(result: RunResult, window: int = TRAILING_WEEKS) -> Figure:
    """Return the headline over time.

    The partnership-wide share of ASB cases recorded on the shared system (``window``-week
    trailing), median and 90% band across runs.
    """
    traj = result.trajectory
    share = share_of(
        trailing_sum(traj.recorded.sum(axis=2), 1, window),
        trailing_sum(traj.handled.sum(axis=2), 1, window),
    )
    mid, low, high = _band(share)
    weeks = np.arange(share.shape[1])
    fig = Figure(figsize=(8, 3.6))
    ax = fig.subplots()
    ax.fill_between(weeks, low, high, color=BLUE, alpha=0.25, linewidth=0, label=BAND_LABEL)
    ax.plot(weeks, mid, color=BLUE, linewidth=2, label="median")
    ax.set_ylim(0, 1.02)
    ax.set_ylabel(f"share recorded, all partners\n({window}-week trailing, 0-1)")
    date_axis(ax, result.start, len(weeks))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(
        f"Share of ASB cases recorded on the shared system — {result.scenario}, "
        f"{result.replicates} runs",
        fontsize=10,
    )
    _fit(fig)
    return fig


def interface_figure(result: RunResult) -> Figure:
    """Interface timeline: per partner and week, the stage most replicates are in."""
    stages = result.trajectory.interface
    counts = np.stack([(stages == s).sum(axis=0) for s in InterfaceState])  # (S, T, A)
    modal = counts.argmax(axis=0).T  # (A, T)
    names = result.trajectory.names
    fig = Figure(figsize=(10, 0.35 * len(names) + 2.0))
    ax = fig.subplots()
    cmap = ListedColormap([INTERFACE_COLOURS[n] for n in INTERFACE_NAMES])
    ax.imshow(
        modal,
        aspect="auto",
        cmap=cmap,
        vmin=-0.5,
        vmax=len(INTERFACE_NAMES) - 0.5,
        interpolation="nearest",
    )
    ax.set_yticks(range(len(names)), names, fontsize=8)
    date_axis(ax, result.start, modal.shape[1])
    handles = [Patch(color=INTERFACE_COLOURS[n], label=n) for n in INTERFACE_NAMES]
    fig.legend(handles=handles, ncols=4, loc="lower center", fontsize=8, frameon=False)
    ax.set_title(
        f"Interface stage per partner (most common across {result.replicates} runs) — "
        f"{result.scenario}",
        fontsize=10,
    )
    _fit(fig, rect=(0, 0.06, 1, 1))
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
    fig = Figure(figsize=(8.4, 6.6))
    ax = fig.subplots()
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
    for (x, y), name, area in zip(pos, names, size, strict=True):
        # Outward from the node, clear of its marker: left of the circle to the left, right of
        # it to the right, above the top and below the bottom.
        away = np.sqrt(area) / 2 + 4
        ax.annotate(
            name,
            (x, y),
            xytext=(x * away, y * away),
            textcoords="offset points",
            ha="left" if x > 0.25 else "right" if x < -0.25 else "center",
            va="bottom" if y > 0.25 else "top" if y < -0.25 else "center",
            fontsize=8,
        )
    # Room for the longest names beside the circle.
    ax.set_xlim(-1.75, 1.75)
    ax.set_ylim(-1.22, 1.22)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"Who looks at whose records — {result.scenario}\n", fontsize=11, loc="center")
    fig.text(
        0.5,
        0.015,
        "Edge width: records viewed both ways (median over runs); node size: cases recorded",
        ha="center",
        fontsize=8,
    )
    _fit(fig, rect=(0, 0.04, 1, 1))
    return fig


def benefit_figure(result: RunResult) -> Figure:
    """Draw what sharing bought, partnership-wide, week by week.

    The days until partners learned of a case (DOMAIN.md P13), and staff hours a week spent on
    sharing and saved against e-mailing every case (P5); median and the band of 90% of runs.
    """
    traj = result.trajectory
    weeks = np.arange(traj.handled.shape[1])
    fig = Figure(figsize=(11, 3.8))
    left, right = fig.subplots(1, 2)
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
        date_axis(ax, result.start, len(weeks), every=52)
        ax.grid(alpha=0.3)
    left.set_ylabel("days until partners learn of a case")
    left.set_ylim(bottom=0)
    right.set_ylabel("staff hours a week, all partners")
    right.axhline(0, color="black", linewidth=0.6)
    right.legend(fontsize=8)
    fig.suptitle(
        f"What sharing bought (median, {BAND_LABEL}) — {result.scenario}, {result.replicates} runs",
        fontsize=10,
    )
    _fit(fig)
    return fig


DPI = 110
"""Resolution of the report's figures (dots per inch)."""

PNG = MappingProxyType({"compress_level": 3})
"""How the figures' PNG files are compressed: zlib level 3 instead of Pillow's 6 encodes them
in about 30% less time, for files 0.3% larger (the same pixels)."""

FIGURES = {
    "partnership": partnership_figure,
    "share": share_figure,
    "benefit": benefit_figure,
    "buy_in": buy_in_figure,
    "interfaces": interface_figure,
    "network": network_figure,
}
"""Figure name -> function; the report embeds each as ``figures/<name>.png``."""


def headline(metrics: pd.DataFrame) -> str:
    """Return the report's answer: the partnership-wide final-year share, median and 90% of runs."""
    return final_year_sentence(metrics[HEADLINE])


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Return the per-partner summary (:meth:`RunResult.summary`) with readable headers."""
    share = [
        Spread(m, lo, hi, 0).cell("share")
        for m, lo, hi in zip(
            summary["share"], summary["share_p05"], summary["share_p95"], strict=True
        )
    ]
    return pd.DataFrame(
        {
            "Partner": summary.index,
            "Final-year share [90% of runs]": share,
            capitalised(header("buy_in")): [f"{v:.2f}" for v in summary["buy_in"]],
            capitalised(header("interface_live")): [f"{v:.0%}" for v in summary["interface_live"]],
            capitalised(header("handled_per_week")): [
                f"{v:.1f}" for v in summary["handled_per_week"]
            ],
            **{
                capitalised(header(column)): [f"{v:.1f}" for v in summary[column]]
                for column in ("latency_days", "sharing_hours", "saved_hours")
                if column in summary
            },
        }
    )


def report_markdown(
    result: RunResult,
    description: str,
    summary: pd.DataFrame,
    facts: Sequence[str],
    meta: Mapping[str, object] | None = None,
    answer: str = "",
) -> str:
    """Write the report as Markdown: the answer, what was run, the per-partner summary, figures."""
    start = f", from {result.start:%-d %B %Y}" if result.start else ""
    parts = [
        f"# {result.scenario}",
        "",
        *([f"> {answer}", ""] if answer else []),
        description,
        "",
        f"{result.replicates} runs of {result.weeks} weeks{start} (one step = one week), "
        f"seed {result.seed}. Every number over runs is their median, with the interval "
        "holding 90% of them (the 5% and 95% quantiles).",
        "",
        *([", ".join(f"{k}: {v}" for k, v in meta.items()) + ".", ""] if meta else []),
        "![partnership](figures/partnership.png)",
        "",
        "## What the runs show",
        "",
        *[f"- {fact}" for fact in facts],
        "",
        "## Per partner, final year",
        "",
        "Share of ASB cases recorded on the shared system in the last 52 weeks, buy-in at the "
        "end (median over runs), the share of runs in which the partner's interface was live "
        "at the end, cases handled a week, and what sharing bought it: days until partners "
        "learned of its cases, and staff hours a week spent on sharing and saved against "
        "e-mailing every case (medians over runs).",
        "",
        markdown_table(summary_table(summary)),
        "",
        "## Figures",
        "",
        *[f"![{name}](figures/{name}.png)\n" for name in FIGURES if name != "partnership"],
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
            f"{live['share'].mean():.0%} of their cases in the final year (the mean of their "
            "medians)."
        )
    if len(other):
        facts.append(
            f"Partners without one recorded {other['share'].mean():.0%} (from "
            f"{other['share'].min():.0%} to {other['share'].max():.0%} across them)."
        )
    rho = spread(metrics["buy_in_share_correlation"])
    facts.append(
        "Across partners, buy-in and recording share have a Spearman rank correlation of "
        f"{rho.text('buy_in_share_correlation')}."
    )
    for output in benefit_outputs(metrics.columns):
        facts.append(f"{capitalised(header(output))}: {spread(metrics[output]).text(output)}.")
    if "latency_final_year" in metrics:
        facts.append(
            "Before the system partners waited about a month to learn of a case (DOMAIN.md "
            "P13); hours saved are counted against e-mailing every case (P5)."
        )
    return facts


def write_figures(result: RunResult, folder: Path) -> dict[str, Path]:
    """Write every figure as PNG into ``folder``; return name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.png" for name in FIGURES}
    panels = [name for name in FIGURES if name in PANELS]
    for name, fig in zip(panels, _panel_figures(result, [PANELS[n] for n in panels]), strict=True):
        fig.savefig(paths[name], dpi=DPI, pil_kwargs=PNG)
    for name, make in FIGURES.items():
        if name not in PANELS:
            make(result).savefig(paths[name], dpi=DPI, pil_kwargs=PNG)
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
    text = report_markdown(result, description, summary, facts, meta, headline(metrics))
    markdown = folder / "report.md"
    markdown.write_text(text, encoding="utf-8")
    (folder / "report.html").write_text(html_page(text, result.scenario), encoding="utf-8")
    return markdown
