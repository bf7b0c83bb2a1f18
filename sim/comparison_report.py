"""The report of a comparison.

The answer in a sentence, partnership-wide differences, and the paired difference per partner with
its interval, as a figure and a table.

Every function returns a figure or text; :func:`sim.comparison_folder.write_comparison` writes them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.comparison import PARTNER_OUTPUTS, Comparison, scenario_columns
from sim.headline import Spread, difference_text, range_text, value_text
from sim.names import HEADLINE, STATE_ORDER, benefit_outputs, capitalised, header
from sim.pages import markdown_table
from sim.palette import BLUE, GREY, VERMILLION

FIGURE = "differences"
"""The file stem of the comparison's figure."""


def _spread(row: pd.Series) -> Spread:
    return Spread(row["difference"], row["low"], row["high"], int(row["replicates"]))


def answer(comparison: Comparison) -> str:
    """Return the answer in one sentence: what the second scenario does to the headline output."""
    first, second = scenario_columns(comparison)
    row = comparison.table.loc[HEADLINE]
    return (
        f"Against {comparison.first}, {comparison.second} changes the {header(HEADLINE)} by "
        f"{difference_text(row['difference'], HEADLINE)} (median of {comparison.replicates} "
        f"paired runs; 90% of runs: "
        f"{range_text(row['low'], row['high'], HEADLINE, difference=True)}), from "
        f"{value_text(row[first], HEADLINE)} to {value_text(row[second], HEADLINE)}."
    )


def differences_figure(comparison: Comparison) -> Figure:
    """Draw the paired differences of :data:`PARTNER_OUTPUTS` per partner and partnership-wide.

    Median (dot) and 90% of paired runs (bar); zero dashed.
    """
    outputs = [o for o in PARTNER_OUTPUTS if o in comparison.partners.index.get_level_values(1)]
    partners = list(dict.fromkeys(comparison.partners.index.get_level_values(0)))
    labels = ["All partners", *partners]
    height = 0.32 * len(labels) + 1.6
    fig = Figure(figsize=(4.1 * len(outputs) + 1.6, height), layout="constrained")
    axes = fig.subplots(1, len(outputs), sharey=True, squeeze=False)[0]
    y = np.arange(len(labels))
    for ax, output in zip(axes, outputs, strict=True):
        rows = [
            comparison.table.loc[output],
            *(comparison.partners.loc[(p, output)] for p in partners),
        ]
        scale = 100.0 if output.startswith("share") else 1.0
        mid = np.array([r["difference"] for r in rows]) * scale
        low = np.array([r["low"] for r in rows]) * scale
        high = np.array([r["high"] for r in rows]) * scale
        colours = [
            BLUE if h < 0 else VERMILLION if lo > 0 else GREY
            for lo, h in zip(low, high, strict=True)
        ]
        ax.hlines(y, low, high, color=colours, lw=2.2)
        ax.scatter(mid, y, color=colours, s=22, zorder=3)
        ax.axvline(0, color="black", lw=0.8, ls="--")
        ax.axhline(0.5, color=GREY, lw=0.6)
        unit = "percentage points" if scale == 100.0 else "0-1"
        ax.set_xlabel(
            f"{capitalised(header(output))}\n{comparison.second} minus {comparison.first} ({unit})",
            fontsize=8,
        )
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, labels, fontsize=8)
    axes[0].invert_yaxis()
    fig.suptitle(
        f"Paired differences over {comparison.replicates} runs: median (dot), 90% of runs (bar)",
        fontsize=9,
    )
    return fig


def partnership_table(comparison: Comparison) -> pd.DataFrame:
    """Partnership-wide outputs: each scenario's median and the paired difference."""
    first, second = scenario_columns(comparison)
    wanted = [c for c in comparison.table.index if "." not in c]
    order = [c for c in (*STATE_ORDER, *benefit_outputs(wanted)) if c in wanted]
    rows = comparison.table.loc[order]
    return pd.DataFrame(
        {
            "Output": [capitalised(header(c)) for c in order],
            f"{comparison.first} (median)": [
                value_text(v, c) for v, c in zip(rows[first], order, strict=True)
            ],
            f"{comparison.second} (median)": [
                value_text(v, c) for v, c in zip(rows[second], order, strict=True)
            ],
            "Difference [90% of runs]": [
                _spread(r).cell(c, difference=True)
                for c, (_, r) in zip(order, rows.iterrows(), strict=True)
            ],
        }
    )


def partner_table(comparison: Comparison, output: str = HEADLINE) -> pd.DataFrame:
    """Per partner: each scenario's median of ``output`` and the paired difference."""
    first, second = scenario_columns(comparison)
    part = comparison.partners.xs(output, level="output")
    return pd.DataFrame(
        {
            "Partner": part.index,
            f"{comparison.first}": [value_text(v, output) for v in part[first]],
            f"{comparison.second}": [value_text(v, output) for v in part[second]],
            "Difference [90% of runs]": [
                _spread(r).cell(output, difference=True) for _, r in part.iterrows()
            ],
        }
    )


def partner_changes(comparison: Comparison) -> list[str]:
    """Partners whose 90% interval of the headline difference lies wholly on one side of 0."""
    part = comparison.partners.xs(HEADLINE, level="output")
    down = list(part.index[part["high"] < 0])
    up = list(part.index[part["low"] > 0])
    lines = []
    if down:
        lines.append(f"lower in 90% of paired runs for {', '.join(down)}")
    if up:
        lines.append(f"higher in 90% of paired runs for {', '.join(up)}")
    still = len(part) - len(down) - len(up)
    if still:
        lines.append(
            f"not clearly changed for the other {still} partners (their interval includes 0)"
        )
    return lines


def report_markdown(comparison: Comparison, seed: int, csv_name: str) -> str:
    """Return the comparison report as Markdown (its figure at ``figures/differences.png``)."""
    lines = [
        f"# {comparison.second} against {comparison.first}",
        "",
        f"> {answer(comparison)}",
        "",
        f"Both scenarios ran {comparison.replicates} replicates with the same seeds (seed {seed}; "
        "common random numbers), so each pair of runs differs by the scenario, not by chance. "
        "Every number is a median over the runs, with the interval holding 90% of the paired "
        "differences (their 5% and 95% quantiles).",
        "",
        "## Partnership-wide",
        "",
        markdown_table(partnership_table(comparison)),
        "",
        "## Per partner",
        "",
        f"The {header(HEADLINE)} is " + "; ".join(partner_changes(comparison)) + ".",
        "",
        f"![Paired differences per partner](figures/{FIGURE}.png)",
        "",
        markdown_table(partner_table(comparison)),
        "",
        "## Files",
        "",
        f"`../{csv_name}` (every summary metric, per partner too), `partners.csv` (the paired "
        "differences per partner).",
        "",
    ]
    return "\n".join(lines)
