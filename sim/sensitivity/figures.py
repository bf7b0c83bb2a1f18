"""Figures of a sensitivity analysis: indices with intervals, Morris mu*-sigma, convergence.

Figures are built as :class:`matplotlib.figure.Figure` objects without pyplot, so making
them changes no global plotting state (a notebook's backend stays as it was). Colours are
the Okabe-Ito colour-blind-safe palette (Okabe and Ito 2008), one per framework category.
Factors whose interval does not lie above zero (Sobol) or above the noise floor (Morris) are
drawn hollow and labelled "not distinguishable from zero".
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.labels import label_points
from sim.names import capitalised, header
from sim.names import unit as output_unit
from sim.palette import CATEGORY_COLOURS, cycle

if TYPE_CHECKING:
    from sim.sensitivity.result import SensitivityResult


_OTHER_COLOURS = ("#000000", "#999999", "#F0E442")
NOT_DISTINGUISHABLE = "not distinguishable from zero"
LABELLED = 6
"""Factors named beside their points in the Morris figure (those with the largest mu*)."""


def output_label(result: SensitivityResult, name: str) -> str:
    """Return the header of output ``name`` (:func:`sim.names.header`), partners named in full."""
    return capitalised(header(name, result.partners))


def colour_of(category: str, categories: list[str]) -> str:
    """Return the category's colour (a framework category's own, else a neutral one)."""
    if category in CATEGORY_COLOURS:
        return CATEGORY_COLOURS[category]
    others = [c for c in categories if c not in CATEGORY_COLOURS]
    return _OTHER_COLOURS[others.index(category) % len(_OTHER_COLOURS)]


def _faces(colours: list[str], filled: np.ndarray, alpha: float) -> list[tuple[float, ...]]:
    """Fill colours: the category's colour where ``filled``, transparent (hollow) elsewhere."""
    return [
        to_rgba(colour, alpha) if full else (1.0, 1.0, 1.0, 0.0)
        for colour, full in zip(colours, filled, strict=True)
    ]


def _grid(n: int, cols: int = 3) -> tuple[int, int]:
    cols = min(cols, n)
    return math.ceil(n / cols), cols


def _panels(n: int, width: float, height: float, cols: int = 3) -> tuple[Figure, list[Axes]]:
    rows, columns = _grid(n, cols)
    fig = Figure(figsize=(width * columns, height * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _headline_outputs(result: SensitivityResult) -> list[str]:
    """Choose the outputs drawn one panel each: partnership-wide ones, else the first six."""
    outputs = list(result.outputs)
    whole = [o for o in outputs if "." not in o]
    return whole or outputs[:6]


def _category_legend(categories: list[str]) -> list[Patch]:
    return [Patch(facecolor=colour_of(c, categories), label=c) for c in categories]


def sobol_figure(result: SensitivityResult) -> Figure:
    """First-order and total indices with intervals, one panel per headline output.

    Bars: first order (solid) and total (light) per factor, sorted by total; whiskers: the
    bootstrap interval. Hollow bars are not distinguishable from zero.
    """
    outputs = _headline_outputs(result)
    frame = result.indices
    k = int(frame["factor"].nunique())
    fig, axes = _panels(len(outputs), 5.2, 0.9 + 0.32 * k + 0.3)
    categories = list(dict.fromkeys(result.factors["category"]))
    for ax, output in zip(axes, outputs, strict=True):
        part = frame[frame["output"] == output].sort_values("ST")
        y = np.arange(len(part))
        for offset, index, alpha in ((0.2, "ST", 0.45), (-0.2, "S1", 1.0)):
            ok = part[f"{index}_distinguishable"].to_numpy()
            colours = [colour_of(c, categories) for c in part["category"]]
            values = part[index].to_numpy()
            lows = values - part[f"{index}_low"].to_numpy()
            highs = part[f"{index}_high"].to_numpy() - values
            ax.barh(
                y + offset,
                values,
                height=0.38,
                color=_faces(colours, ok, alpha),
                edgecolor=colours,
                linewidth=1.0,
            )
            ax.errorbar(
                values,
                y + offset,
                xerr=[lows, highs],
                fmt="none",
                ecolor="#333333",
                elinewidth=0.8,
                capsize=2,
            )
        labels = [
            f"{f}" if d else f"{f} (n.d.)"
            for f, d in zip(part["factor"], part["distinguishable"], strict=True)
        ]
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_xlabel("Sobol index, 0-1\n(share of the variance of the expected output)")
        ax.set_title(output_label(result, output), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    handles = [
        Patch(facecolor="#777777", label="first order S1"),
        Patch(facecolor="#777777", alpha=0.45, label="total ST"),
        Patch(facecolor="none", edgecolor="#777777", label=f"hollow / n.d.: {NOT_DISTINGUISHABLE}"),
        *_category_legend(categories),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8)
    level = "framework category" if result.level == "category" else "input"
    fig.suptitle(
        f"Sobol indices by {level} — {result.subject} (n = {result.settings['n']}, "
        f"{result.settings['replicates']} replicates, "
        f"{result.confidence:.0%} intervals)"
    )
    return fig


def shapley_figure(result: SensitivityResult) -> Figure:
    """Shapley effects per category, one bar per assignment, one panel per headline output.

    Whiskers: the bootstrap interval; hollow bars are not distinguishable from zero. Each
    category's label gives its number of inputs under each assignment (registry first).
    """
    outputs = _headline_outputs(result)
    frame = result.shapley
    assignments = list(dict.fromkeys(frame["assignment"]))
    categories = list(dict.fromkeys(frame["factor"]))
    k, m = len(categories), len(assignments)
    fig, axes = _panels(len(outputs), 5.6, 1.0 + 0.22 * k * m + 0.3)
    height = 0.8 / m
    for ax, output in zip(axes, outputs, strict=True):
        part = frame[frame["output"] == output]
        y = np.arange(k)
        sizes: dict[str, list[str]] = {c: [] for c in categories}
        for position, assignment in enumerate(assignments):
            rows = part[part["assignment"] == assignment].set_index("factor").reindex(categories)
            values = rows["Sh"].to_numpy(dtype=float)
            colours = [colour_of(c, categories) for c in categories]
            offset = (position - (m - 1) / 2) * height
            ok = rows["distinguishable"].eq(True).to_numpy()
            ax.barh(
                y + offset,
                values,
                height=height * 0.9,
                color=_faces(colours, ok, 1.0 - 0.5 * position / max(m - 1, 1)),
                edgecolor=colours,
                hatch="//" if position else None,
                linewidth=1.0,
            )
            ax.errorbar(
                values,
                y + offset,
                xerr=[values - rows["Sh_low"].to_numpy(), rows["Sh_high"].to_numpy() - values],
                fmt="none",
                ecolor="#333333",
                elinewidth=0.8,
                capsize=2,
            )
            for category in categories:
                sizes[category].append(str(rows.at[category, "inputs"]))
        ax.set_yticks(y, [f"{c} ({' / '.join(sizes[c])})" for c in categories], fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_xlabel("Shapley effect, 0-1\n(share of the variance of the expected output)")
        ax.set_title(output_label(result, output), fontsize=10)
        ax.grid(axis="x", alpha=0.3)
    handles = [
        Patch(
            facecolor="#777777",
            alpha=1.0 - 0.5 * i / max(m - 1, 1),
            hatch="//" if i else None,
            label=name,
        )
        for i, name in enumerate(assignments)
    ]
    handles.append(
        Patch(facecolor="none", edgecolor="#777777", label=f"hollow: {NOT_DISTINGUISHABLE}")
    )
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8)
    fig.suptitle(
        f"Shapley effects by framework category — {result.subject}\n(inputs per category: "
        f"{' / '.join(assignments)}; {result.confidence:.0%} intervals)"
    )
    return fig


def heatmap_figure(result: SensitivityResult) -> Figure:
    """Total index of every factor on every output (per-partner outputs included).

    Cells not distinguishable from zero are left blank rather than coloured by a noisy value.
    """
    frame = result.indices
    outputs = list(result.outputs)
    order = (
        frame[frame["output"] == outputs[0]].sort_values("ST", ascending=False)["factor"].tolist()
    )
    table = frame.pivot(index="factor", columns="output", values="ST").loc[order, outputs]
    shown = frame.pivot(index="factor", columns="output", values="distinguishable").loc[
        order, outputs
    ]
    values = np.where(shown.to_numpy(dtype=bool), table.to_numpy(dtype=float), np.nan)
    width = 2.8 + 0.55 * len(outputs) + 0.06 * max(len(str(f)) for f in order)
    fig = Figure(figsize=(width, 2.6 + 0.38 * len(order)), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(values, vmin=0, vmax=1, cmap="viridis", aspect="auto")
    for (row, column), value in np.ndenumerate(values):
        if np.isfinite(value):
            ax.text(
                column,
                row,
                f"{value:.2f}",
                ha="center",
                va="center",
                fontsize=6,
                color="white" if value < 0.6 else "black",
            )
    ax.set_xticks(
        np.arange(len(outputs)),
        [_short_output(o, result.partners) for o in outputs],
        rotation=90,
        fontsize=7,
    )
    ax.set_yticks(np.arange(len(order)), order, fontsize=8)
    ax.set_xlabel("output (partner name: that partner's final-year recording share)")
    ax.set_ylabel("factor")
    fig.colorbar(image, ax=ax, label="total Sobol index ST (0-1)", shrink=0.8)
    ax.set_title(
        f"Total indices per output — {result.subject} (blank: {NOT_DISTINGUISHABLE})", fontsize=9
    )
    return fig


def _short_output(name: str, partners: Mapping[str, str]) -> str:
    """Column label: the partner for per-partner outputs, else the output's readable name."""
    base, _, partner = name.partition(".")
    if partner:
        return partners.get(partner, partner.replace("_", " "))
    return capitalised(header(base))


def convergence_figure(result: SensitivityResult) -> Figure:
    """Total (and first-order) indices and interval widths as the base sample doubles.

    Top row: ``ST`` per factor with its interval band against ``n`` (log scale); bottom row:
    the width of every interval, with an ``n^-1/2`` guide (Monte Carlo rate).
    """
    outputs = _headline_outputs(result)
    frame = result.convergence
    categories = list(dict.fromkeys(result.factors["category"]))
    factor_category = dict(zip(result.indices["factor"], result.indices["category"], strict=False))
    fig = Figure(figsize=(5.0 * len(outputs), 7.0), layout="constrained")
    axes = fig.subplots(2, len(outputs), squeeze=False)
    for column, output in enumerate(outputs):
        part = frame[frame["output"] == output]
        top, bottom = axes[0, column], axes[1, column]
        for position, (factor, rows) in enumerate(part.groupby("factor", sort=False)):
            colour = colour_of(factor_category.get(str(factor), ""), categories)
            if result.level == "parameter":
                colour = cycle(position)
            total = rows[rows["index"] == "ST"].sort_values("n")
            first = rows[rows["index"] == "S1"].sort_values("n")
            top.plot(total["n"], total["value"], marker="o", color=colour, label=str(factor))
            top.fill_between(total["n"], total["low"], total["high"], color=colour, alpha=0.15)
            top.plot(first["n"], first["value"], linestyle="--", color=colour, linewidth=0.8)
            bottom.plot(total["n"], total["width"], marker="o", color=colour)
            bottom.plot(first["n"], first["width"], linestyle="--", color=colour, linewidth=0.8)
        sizes = np.sort(part["n"].unique())
        if len(sizes):
            widest = float(part[part["n"] == sizes[0]]["width"].max())
            bottom.plot(
                sizes,
                widest * np.sqrt(sizes[0] / sizes),
                color="#999999",
                linestyle=":",
                label="n^-1/2 guide",
            )
            bottom.legend(fontsize=7)
        for ax in (top, bottom):
            ax.set_xscale("log", base=2)
            ax.grid(alpha=0.3)
        top.set_ylim(-0.05, 1.05)
        top.set_title(output_label(result, output), fontsize=10)
        top.set_ylabel("index (0-1): ST solid, S1 dashed")
        bottom.set_yscale("log")
        bottom.set_xlabel("base sample size n (model runs = n x (k + 2) x replicates)")
        bottom.set_ylabel("interval width (index units)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(6, len(labels)), fontsize=8)
    fig.suptitle(f"Convergence of the Sobol indices — {result.subject}")
    return fig


def morris_figure(result: SensitivityResult) -> Figure:
    """Morris mu* against sigma per headline output, with mu* intervals and the noise floor.

    Factors right of the dashed line (the mu* of a factor with no effect, from replicate
    noise alone) and whose interval clears it are distinguishable; others are hollow. The
    factors with the largest mu* are named beside their points where there is room.
    """
    outputs = _headline_outputs(result)
    frame = result.morris
    categories = list(dict.fromkeys(result.factors["category"]))
    fig, axes = _panels(len(outputs), 5.2, 4.6)
    floors = []
    for ax, output in zip(axes, outputs, strict=True):
        part = frame[frame["output"] == output].sort_values("mu_star", ascending=False)
        colours = [colour_of(c, categories) for c in part["category"]]
        ok = part["distinguishable"].to_numpy()
        ax.errorbar(
            part["mu_star"],
            part["sigma"],
            xerr=[part["mu_star"] - part["mu_star_low"], part["mu_star_high"] - part["mu_star"]],
            fmt="none",
            ecolor="#bbbbbb",
            elinewidth=0.8,
        )
        ax.scatter(
            part["mu_star"],
            part["sigma"],
            s=36,
            c=_faces(colours, ok, 1.0),
            edgecolors=colours,
            linewidths=1.2,
            zorder=3,
        )
        floor = float(part["noise_floor"].iloc[0]) if len(part) else float("nan")
        if math.isfinite(floor):
            ax.axvline(floor, color="#555555", linestyle="--", linewidth=0.9)
            floors.append(floor)
        unit = output_unit(output)
        ax.set_xlabel(f"mu*: mean |effect| of a full-range move\n({unit})")
        ax.set_ylabel(f"sigma: spread of effects ({unit})")
        ax.set_title(output_label(result, output), fontsize=10)
        ax.grid(alpha=0.3)
        ax.margins(0.08)
    handles: list[Artist] = [
        *_category_legend(categories),
        Patch(
            facecolor="none", edgecolor="#777777", label="hollow: not distinguishable from noise"
        ),
    ]
    if floors:
        handles.append(
            Line2D([], [], color="#555555", linestyle="--", label="noise floor (no effect)")
        )
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8)
    fig.suptitle(
        f"Morris screening — {result.subject} ({result.settings['trajectories']} trajectories, "
        f"{result.settings['replicates']} replicates)"
    )
    # Labels last: they are placed once the layout (legend and title included) is final.
    for ax, output in zip(axes, outputs, strict=True):
        part = frame[frame["output"] == output].sort_values("mu_star", ascending=False)
        named = [str(f) if i < LABELLED else "" for i, f in enumerate(part["factor"])]
        label_points(ax, part["mu_star"].tolist(), part["sigma"].tolist(), named)
    return fig


def result_figures(result: SensitivityResult) -> Iterator[tuple[str, Figure]]:
    """Every figure the result supports, as ``(file stem, figure)``."""
    if result.method == "sobol":
        yield f"sobol_{result.level}", sobol_figure(result)
        if len(result.outputs) > 3:
            yield f"sobol_{result.level}_all_outputs", heatmap_figure(result)
        if len(result.convergence):
            yield "convergence", convergence_figure(result)
    elif result.method == "shapley":
        yield "shapley_category", shapley_figure(result)
    else:
        yield f"morris_{result.level}", morris_figure(result)


def write_figures(result: SensitivityResult, folder: Path | str, dpi: int = 120) -> dict[str, Path]:
    """Write every figure as PNG into ``folder``; return the paths by file stem."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for stem, figure in result_figures(result):
        path = folder / f"{stem}.png"
        figure.savefig(path, dpi=dpi)
        paths[stem] = path
    return paths
