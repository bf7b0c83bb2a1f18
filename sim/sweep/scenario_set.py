"""A sweep of scenarios alone: each scenario's runs, and how each differs from the first.

A sweep with no input varied (the shipped ``counterfactuals``) sets scenarios side by side.
Run ``r`` of every scenario uses the same seeds (:func:`sim.seeds.run_seed` depends on the row
and the replicate, not on the scenario), so each scenario is set against the first pair by
pair (common random numbers), as :mod:`sim.comparison` does for two: the spread of the paired
differences is what the scenarios change, not luck.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.comparison import paired_differences
from sim.headline import difference_text, range_text, spread, value_text
from sim.names import capitalised, header, unit
from sim.pages import markdown_table
from sim.palette import BLUE, GREY

PAIRED_BY = ("row", "replicate")
"""The columns that pair a run of one scenario with a run of another (they share its seeds)."""

COLUMNS = (
    "scenario",
    "output",
    "median",
    "low",
    "high",
    "runs",
    "difference",
    "difference_low",
    "difference_high",
    "mean_difference",
    "ci_low",
    "ci_high",
    "pairs",
)
"""The table of a scenario set: each scenario's runs (median, 5% and 95% quantiles), then its
paired differences from the first scenario (NaN for the first itself)."""

AS_MUCH = 0.05
"""Two scenarios change an output as much when, set against each other pair by pair, the 95%
interval of their mean difference lies within this share of the larger one's change."""

FIGURE = "figures/scenarios.png"
"""Where a scenario set's figure goes in the sweep folder."""


def scenario_table(
    runs: pd.DataFrame, scenarios: Sequence[str], outputs: Sequence[str]
) -> pd.DataFrame:
    """Return each scenario's ``outputs`` over its runs and paired with the first scenario's.

    ``runs`` holds the runs with a result (``scenario``, ``row``, ``replicate`` and the outputs);
    a run is paired only with the first scenario's run of the same row and replicate.
    """
    rows = []
    first = runs[runs["scenario"] == scenarios[0]] if scenarios else runs.iloc[:0]
    for scenario in scenarios:
        mine = runs[runs["scenario"] == scenario]
        pairs = first.merge(mine, on=list(PAIRED_BY), suffixes=("_first", ""))
        for output in outputs:
            over = spread(mine[output].to_numpy(float))
            row = {"scenario": scenario, "output": output, "runs": over.runs}
            row |= {"median": over.median, "low": over.low, "high": over.high}
            if scenario != scenarios[0] and len(pairs):
                paired = paired_differences(
                    pairs[f"{output}_first"].to_numpy(float), pairs[output].to_numpy(float)
                )
                row |= {
                    "difference": paired["difference"],
                    "difference_low": paired["low"],
                    "difference_high": paired["high"],
                    "mean_difference": paired["mean_difference"],
                    "ci_low": paired["ci_low"],
                    "ci_high": paired["ci_high"],
                    "pairs": paired["replicates"],
                }
            rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def sentences(table: pd.DataFrame, output: str) -> list[str]:
    """Return every scenario's paired difference from the first on ``output``, largest first.

    With one scenario, its runs instead: ``final-year share 46% (90% of 50 runs: 30% to 60%)``.
    """
    part = table[table["output"] == output]
    if part.empty:
        return []
    first = part.iloc[0]
    if len(part) == 1:
        return [
            f"{first['scenario']}: {header(output)} {value_text(first['median'], output)} (90% of "
            f"{int(first['runs'])} runs: {range_text(first['low'], first['high'], output)})"
        ]
    others = part.iloc[1:]
    others = others[others["pairs"].notna()]
    order = others["difference"].abs().sort_values(ascending=False, kind="stable").index
    return [_difference_sentence(others.loc[i], first) for i in order]


def as_much(runs: pd.DataFrame, table: pd.DataFrame, output: str) -> str | None:
    """Return which scenarios change ``output`` as much as the one that changes it most.

    The leader is the first of :func:`sentences`. Another scenario's runs are set against the
    leader's pair by pair (they share seeds, as with the first): it changes the output as much
    when the 95% interval of their mean paired difference lies within :data:`AS_MUCH` of the
    leader's mean change (an equivalence test). None when none does, or when there are too few
    pairs for an interval.
    """
    part = table[(table["output"] == output) & table["pairs"].notna()]
    if len(part) < 2:
        return None
    order = part["difference"].abs().sort_values(ascending=False, kind="stable").index
    leader, *others = [str(part.loc[i, "scenario"]) for i in order]
    margin = AS_MUCH * abs(float(part.loc[order[0], "mean_difference"]))
    mine = runs.loc[runs["scenario"] == leader, [*PAIRED_BY, output]]
    level = []
    for other in others:
        theirs = runs.loc[runs["scenario"] == other, [*PAIRED_BY, output]]
        pairs = mine.merge(theirs, on=list(PAIRED_BY), suffixes=("_leader", ""))
        if len(pairs) < 2:
            continue
        paired = paired_differences(
            pairs[f"{output}_leader"].to_numpy(float), pairs[output].to_numpy(float)
        )
        if -margin <= paired["ci_low"] and paired["ci_high"] <= margin:
            level.append(other)
    if not level:
        return None
    names = level[0] if len(level) == 1 else f"{', '.join(level[:-1])} and {level[-1]}"
    return (
        f"{names} {'changes' if len(level) == 1 else 'change'} the {header(output)} as much as "
        f"{leader}: set against its runs pair by pair, the 95% interval of the mean difference "
        f"lies within {AS_MUCH:.0%} of its change"
    )


def _difference_sentence(row: pd.Series, first: pd.Series) -> str:
    """Return one scenario's paired difference from the ``first`` scenario's runs, in words."""
    output, pairs = str(row["output"]), int(row["pairs"])
    spread = (
        f"90% of {pairs} paired runs: "
        f"{range_text(row['difference_low'], row['difference_high'], output, difference=True)}; "
        f"mean {difference_text(row['mean_difference'], output)}, 95% interval "
        f"{range_text(row['ci_low'], row['ci_high'], output, difference=True)}"
        if pairs > 1
        else "one pair of runs, so no interval"
    )
    return (
        f"{row['scenario']}: {header(output)} {value_text(row['median'], output)} against "
        f"{value_text(first['median'], output)} in {first['scenario']}, a paired difference of "
        f"{difference_text(row['difference'], output)} ({spread})"
    )


def markdown(table: pd.DataFrame, outputs: Sequence[str]) -> str:
    """Return scenarios down, outputs across: each cell the median and the 90% of runs."""
    cells = {
        capitalised(header(output)): [
            f"{value_text(m, output)} [{range_text(lo, hi, output)}]"
            for m, lo, hi in table.loc[
                table["output"] == output, ["median", "low", "high"]
            ].to_numpy()
        ]
        for output in outputs
    }
    scenarios = list(dict.fromkeys(table["scenario"]))
    return markdown_table(pd.DataFrame({"Scenario": scenarios, **cells}))


def scenarios_figure(table: pd.DataFrame, outputs: Sequence[str], title: str) -> Figure:
    """Draw each scenario's runs per output: median (dot) and 90% of runs (bar)."""
    scenarios = list(dict.fromkeys(table["scenario"]))
    y = np.arange(len(scenarios))
    cols = min(2, len(outputs))
    rows = -(-len(outputs) // cols)
    fig = Figure(
        figsize=(4.4 * cols + 1.6, (0.3 * len(scenarios) + 1.1) * rows + 0.6),
        layout="constrained",
    )
    axes = fig.subplots(rows, cols, sharey=True, squeeze=False)
    for ax, output in zip(axes.ravel(), outputs, strict=False):
        part = table[table["output"] == output]
        ax.hlines(y, part["low"], part["high"], color=BLUE, lw=2.2)
        ax.scatter(part["median"], y, color=BLUE, s=22, zorder=3)
        ax.axvline(float(part["median"].iloc[0]), color=GREY, lw=0.8, ls="--")
        ax.set_xlabel(f"{capitalised(header(output))} ({unit(output)})", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes.ravel()[len(outputs) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_yticks(y, scenarios, fontsize=8)
    axes[0, 0].invert_yaxis()
    fig.suptitle(
        f"{title}: median (dot) and 90% of runs (bar); dashed, the first scenario's median",
        fontsize=9,
    )
    return fig
