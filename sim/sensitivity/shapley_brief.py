"""The Shapley parts of a sensitivity brief: the answer, its conclusions and how far they hold.

Written from the result's ``shapley`` and ``comparisons`` tables only. Every headline
conclusion carries the share of bootstrap resamples in which it holds
(:class:`sim.conclusion.Headline`); one holding in fewer than 80% is worded as open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from sim.conclusion import Headline
from sim.sensitivity.factors import ASSIGNMENTS
from sim.sensitivity.figures import output_label
from sim.sensitivity.wording import interval, pct

if TYPE_CHECKING:
    from sim.sensitivity.result import SensitivityResult

PAIRS: tuple[tuple[str, str], ...] = (
    ("Technology", "Process"),
    ("Organisation", "Technology"),
)
"""Pairs of categories whose order the brief always states, where both are present: where
the interface effect sits (Technology against Process), and the largest category by size
against Technology."""


def _effects(result: SensitivityResult, output: str, assignment: str) -> pd.DataFrame:
    table = result.shapley
    chosen = table[(table["output"] == output) & (table["assignment"] == assignment)]
    return chosen.sort_values("rank")


def dependent_inputs(result: SensitivityResult) -> list[str]:
    """Return the inputs drawn jointly from a posterior, as the result's settings list them."""
    listed = result.settings.get("dependent_inputs")
    return [str(name) for name in listed] if isinstance(listed, list | tuple) else []


def assignments(result: SensitivityResult) -> list[str]:
    """Return the assignments analysed, in the order asked for."""
    return list(dict.fromkeys(result.shapley["assignment"]))


def headlines(result: SensitivityResult, output: str) -> list[Headline]:
    """Return the headline conclusions on ``output``, each with the share it holds in.

    Per assignment, which category has the largest Shapley effect and the order of each pair
    in :data:`PAIRS`; across assignments, whether the same category leads under every one
    (read off the same resamples of every assignment).
    """
    label = output_label(result, output).lower()
    found: list[Headline] = []
    leaders: list[str] = []  # each assignment's leading category
    comparisons = result.comparisons
    for assignment in assignments(result):
        effects = _effects(result, output, assignment)
        if effects["Sh"].isna().all():
            continue
        top = effects.iloc[0]
        leaders.append(str(top["factor"]))
        found.append(
            Headline(
                f"{top['factor']} has the largest Shapley effect on {label} under the "
                f"{assignment} assignment, {pct(top['Sh'])} "
                f"[{interval(top['Sh_low'], top['Sh_high'])}]",
                float(top["leads"]),
            )
        )
        for first, second in PAIRS:
            share = comparisons[
                (comparisons["output"] == output)
                & (comparisons["assignment"] == assignment)
                & (comparisons["factor"] == first)
                & (comparisons["other"] == second)
            ]["share"]
            if len(share):
                found.append(
                    Headline(
                        f"{first}'s Shapley effect on {label} exceeds {second}'s under the "
                        f"{assignment} assignment",
                        float(share.iloc[0]),
                    )
                )
    if len(leaders) > 1:
        found.append(_same_leader(result, output, label, leaders))
    return found


def _same_leader(
    result: SensitivityResult, output: str, label: str, leaders: list[str]
) -> Headline:
    """Whether one category leads under every assignment, and the share in which it does.

    The share is read off the same resamples of every assignment (``leads_everywhere``:
    the designs share blocks, resampled alike). A table written before that column existed
    came from designs drawn and resampled independently, so there the share is the product
    of the assignments' ``leads`` shares. When the point estimates name different leaders,
    the claim is that *some* category leads under every one (the sum over the categories).
    """
    table = result.shapley[result.shapley["output"] == output]
    if "leads_everywhere" in table.columns:
        every = table.groupby("factor", sort=False)["leads_everywhere"].first().fillna(0.0)
    else:
        shares = table.pivot_table(index="factor", columns="assignment", values="leads")
        every = shares.fillna(0.0).prod(axis=1)
    if len(set(leaders)) == 1:
        return Headline(
            f"{leaders[0]} leads on {label} under every assignment", float(every[leaders[0]])
        )
    return Headline(
        f"the same category leads on {label} under every assignment", float(every.sum())
    )


def table(result: SensitivityResult, output: str) -> pd.DataFrame:
    """Return every category's effects on ``output``, columns per assignment, with sizes.

    Categories are in the order of the first assignment's ranking; one an assignment leaves
    empty shows 0 inputs and no effect.
    """
    per = {a: _effects(result, output, a).set_index("factor") for a in assignments(result)}
    order = list(dict.fromkeys(g for effects in per.values() for g in effects.index))
    columns: dict[str, list[str]] = {}
    for assignment, effects in per.items():
        cells: list[tuple[str, str, str]] = []
        for g in order:
            if g not in effects.index:
                cells.append(("0 (0)", "-", "-"))
                continue
            row = effects.loc[g]
            cells.append(
                (
                    f"{row['inputs']} ({row['dependent_inputs']})",
                    f"{pct(row['Sh'])} [{interval(row['Sh_low'], row['Sh_high'])}]",
                    f"{pct(row['S1'])} / {pct(row['ST'])}",
                )
            )
        columns[f"{assignment}: inputs (calibrated)"] = [c[0] for c in cells]
        columns[f"{assignment}: Shapley [interval]"] = [c[1] for c in cells]
        columns[f"{assignment}: S1 full / ST independent"] = [c[2] for c in cells]
    return pd.DataFrame({"category": order, **columns})


def caveats(result: SensitivityResult) -> list[str]:
    """Return what a reader of a Shapley brief must keep in mind."""
    dependent = dependent_inputs(result)
    moved = [
        f"{name}: " + ", ".join(f"{k} -> {v}" for k, v in ASSIGNMENTS[name].items())
        for name in assignments(result)
        if ASSIGNMENTS.get(name)
    ]
    items = [
        f"{len(dependent)} calibrated inputs are drawn jointly: a Gaussian copula fitted to the "
        "posterior's weighted sets, with smoothed marginals on the posterior's support. It "
        "keeps their correlations, not every feature of the posterior's shape."
        if dependent
        else "Every input is independent (the scenario has no posterior among the factors).",
        "The other inputs are varied uniformly and independently over their documented ranges.",
        "Categories hold very different numbers of inputs (the table gives them); a category's "
        "effect counts everything its inputs do, so its size and ranges are part of the answer.",
    ]
    if moved:
        items.append("Assignments differ only in where these inputs sit: " + "; ".join(moved) + ".")
    items.append(
        "Shares of resamples come from a bootstrap over the design's outer draws; a "
        "conclusion holding in fewer than 80% of them is worded as open."
    )
    if len(assignments(result)) > 1:
        items.append(
            "Draws that fix the same inputs under several assignments are run once and "
            "resampled alike, so the assignments' answers are not independent; a conclusion "
            "over every assignment at once is read off the same resamples."
        )
    return items


def how_to_read() -> str:
    """Return what a Shapley effect is, and how it differs from the Sobol indices beside it."""
    return (
        "A category's Shapley effect is its share of the variance of the expected outcome, "
        "averaged over every order in which the categories could be fixed: it is never "
        "negative and the effects add up to 100% even when inputs are dependent, so it is the "
        "one split to rank by. S1 full is what knowing the category alone explains, "
        "including what it carries of the inputs it is correlated with; ST independent is "
        "what it does beyond everything it is correlated with. With independent inputs, a "
        "category's Shapley effect lies between its S1 and ST. Method: docs/sensitivity.md."
    )
