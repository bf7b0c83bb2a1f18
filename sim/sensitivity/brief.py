"""The analyst's brief: which factors change sharing most, in plain words, with caveats.

The brief is written from the result's tables only, so every number in it can be found in
``indices.csv``, ``morris.csv`` or ``noise.csv``. It never reports an index whose interval
reaches zero as an effect, and never a negative one: such factors are listed as "not
distinguishable from zero". How to read it: ``docs/sensitivity.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sim.conclusion import Headline
from sim.pages import html_page, markdown_table
from sim.sensitivity import shapley_brief
from sim.sensitivity.figures import NOT_DISTINGUISHABLE, output_label, output_unit
from sim.sensitivity.wording import interval, number, pct

if TYPE_CHECKING:
    from sim.sensitivity.result import SensitivityResult

NEGLIGIBLE = 0.01
"""A total index whose whole interval lies below this share of variance is negligible."""

TOP = 8
"""Factors shown per headline output in the brief (every factor is in the CSV tables)."""

FIGURE_CAPTIONS: dict[str, str] = {
    "sobol_category": "Sobol indices per framework category, with intervals.",
    "sobol_parameter": "Sobol indices per input, with intervals.",
    "sobol_category_all_outputs": "Total index per category on every output analysed.",
    "sobol_parameter_all_outputs": "Total index per input on every output analysed.",
    "convergence": "Indices and interval widths as the base sample doubles.",
    "morris_parameter": "Morris screening: mu* against sigma per input.",
    "morris_category": "Morris screening: mu* against sigma per category.",
    "shapley_category": "Shapley effects per framework category under each assignment of "
    "inputs, with intervals and the number of inputs in each category.",
}
"""The caption of every figure an analysis can draw, by file stem."""


def _what(result: SensitivityResult) -> str:
    return "framework category" if result.level == "category" else "input"


def _named(result: SensitivityResult, factor: str) -> str:
    """Return a factor's name, marked "(assumed)" when it is a single input no evidence fixes.

    An analyst should know when the top lever is a modelling choice.
    """
    if result.level != "parameter":
        return factor
    known = result.factors.set_index("factor")["provenance"]
    return f"{factor} (assumed)" if known.get(factor) == "assumed" else factor


def _plural(result: SensitivityResult) -> str:
    return "framework categories" if result.level == "category" else "inputs"


def _noise_sentence(result: SensitivityResult, output: str) -> str:
    row = result.noise.set_index("output").loc[output]
    replicates = int(row["replicates"])
    if bool(row["constant"]):
        return "This output did not vary at all over the design, so no factor changes it."
    if replicates < 2 or not math.isfinite(float(row["noise_share"])):
        return (
            "Run-to-run noise was not measured (one run per design point), so the indices "
            "mix the inputs' effect with random variation; treat small ones with care."
        )
    measured = (
        f"Run-to-run noise: {pct(float(row['noise_share']))} of the variance between single "
        f"runs comes from the random stream, not from the inputs."
    )
    if result.method == "morris":
        return (
            f"{measured} Effects are measured on the mean of {replicates} runs per design "
            f"point, and the noise floor above accounts for the noise left in those means."
        )
    return (
        f"{measured} Indices are for the expected outcome (each design point run "
        f"{replicates} times and averaged, with the noise left in those averages, "
        f"{pct(float(row['noise_share_of_means']))} of their variance, taken out)."
    )


def _leader_holds(result: SensitivityResult, top: pd.Series, label: str, what: str) -> list[str]:
    """Return the leader's conclusion with the share of resamples in which it leads.

    Nothing for a table written before the ``leads`` column existed.
    """
    leads = float(top["leads"]) if "leads" in top.index else float("nan")
    if not math.isfinite(leads):
        return []
    claim = f"{_named(result, top['factor'])} {what} on {label.lower()}"
    return ["", Headline(claim, leads).line(), ""]


def _too_noisy(label: str, what: str) -> str:
    """Say that no ``what`` stands out of the noise on the output labelled ``label``."""
    return (
        f"**{label}:** the averaged runs varied no more than their noise, so no {what} can be "
        "told apart from chance at this sample size."
    )


def _runs_and_intervals(result: SensitivityResult) -> str:
    """Return ``2 replicates per design point, 95% bootstrap intervals.`` of an analysis."""
    return (
        f"{result.settings['replicates']} replicates per design point, "
        f"{result.confidence:.0%} bootstrap intervals."
    )


def _sobol_answer(result: SensitivityResult, output: str) -> list[str]:
    part = result.indices[result.indices["output"] == output].sort_values("rank")
    noise = result.noise.set_index("output").loc[output]
    what = _what(result)
    label = output_label(result, output)
    lines: list[str] = []
    if bool(noise["noise_dominated"]):
        return [_too_noisy(label, what), "", _noise_sentence(result, output)]
    distinguishable = part[part["distinguishable"]]
    hidden = part[~part["distinguishable"]]
    # Measurably above zero yet too small to matter to an analyst: named, not ranked.
    negligible = distinguishable[distinguishable["ST_high"] < NEGLIGIBLE]
    shown = distinguishable[distinguishable["ST_high"] >= NEGLIGIBLE]
    if len(shown):
        top = shown.iloc[0]
        lines.append(
            f"**{label}:** the {what} that changes it most is "
            f"**{_named(result, top['factor'])}**. Varied "
            f"alone it accounts for about {pct(top['S1'])} of the variance of the expected "
            f"outcome ({interval(top['S1_low'], top['S1_high'])}); counting its interactions "
            f"with the others, {pct(top['ST'])} ({interval(top['ST_low'], top['ST_high'])})."
        )
        rest = [
            f"{_named(result, row['factor'])} ({pct(row['ST'])}, "
            f"{interval(row['ST_low'], row['ST_high'])})"
            for _, row in shown.iloc[1:].iterrows()
        ]
        if rest:
            lines.append(f"Then, by total effect: {'; '.join(rest)}.")
        lines += _leader_holds(result, top, label, "has the largest total effect")
        overlap = shown.iloc[1:][shown.iloc[1:]["ST_high"] >= top["ST_low"]]
        if len(overlap):
            lines.append(
                f"The intervals of {', '.join(overlap['factor'])} overlap the leader's, so "
                f"their order against {top['factor']} is not settled at this sample size."
            )
    else:
        lines.append(f"**{label}:** no {what} is distinguishable from zero at this sample size.")
    if len(negligible):
        lines.append(
            f"Measurably above zero but negligible (total effect below {pct(NEGLIGIBLE)}): "
            f"{', '.join(negligible['factor'])}."
        )
    if len(hidden):
        lines.append(
            f"{NOT_DISTINGUISHABLE.capitalize()}: {', '.join(hidden['factor'])} (their "
            f"intervals reach zero; this does not show they have no effect, only that this "
            f"analysis cannot tell)."
        )
    first_sum = float(part["S1"].sum())
    if math.isfinite(first_sum) and first_sum < 0.85:
        lines.append(
            f"First-order indices add up to {pct(first_sum)}: the rest of the variance comes "
            f"from {_plural(result)} acting together (interactions), so changing one lever at a "
            f"time understates what combinations do."
        )
    lines += ["", _noise_sentence(result, output)]
    return lines


def _morris_answer(result: SensitivityResult, output: str) -> list[str]:
    part = result.morris[result.morris["output"] == output].sort_values("rank")
    label = output_label(result, output)
    unit = output_unit(output)
    shown = part[part["distinguishable"]]
    hidden = part[~part["distinguishable"]]
    lines: list[str] = []
    if len(shown):
        top = shown.head(5)
        details = [
            f"mu* {number(row['mu_star'], 2)}, interval {number(row['mu_star_low'], 2)} to "
            f"{number(row['mu_star_high'], 2)}"
            for _, row in top.iterrows()
        ]
        lines.append(
            f"**{label}:** of the {_plural(result)} moved one at a time across their whole "
            f"ranges, **{_named(result, top.iloc[0]['factor'])}** moves it most ({details[0]}; "
            f"mu* is the mean "
            f"absolute change, in {unit}, to first order)."
        )
        lines += _leader_holds(result, top.iloc[0], label, "has the largest mu*")
        rest = [
            f"{_named(result, factor)} ({detail})"
            for factor, detail in zip(top["factor"].iloc[1:], details[1:], strict=True)
        ]
        if rest:
            lines.append(f"Next: {'; '.join(rest)}.")
    else:
        lines.append(f"**{label}:** no {_what(result)} moves it more than noise does.")
    if len(hidden):
        names = list(hidden["factor"])
        listed = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
        lines.append(f"Not distinguishable from noise ({len(names)}): {listed}.")
    floor = float(part["noise_floor"].iloc[0]) if len(part) else float("nan")
    if math.isfinite(floor):
        lines.append(
            f"A factor with no effect at all would still show mu* of about {number(floor, 2)} "
            f"from run-to-run noise; only factors whose interval clears that are listed above."
        )
    lines += ["", _noise_sentence(result, output)]
    return lines


def _table(result: SensitivityResult, output: str) -> pd.DataFrame:
    if result.method == "sobol":
        part = result.indices[result.indices["output"] == output].sort_values("rank")
        return pd.DataFrame(
            {
                "factor": part["factor"],
                "S1 (alone)": [
                    f"{pct(v)} [{interval(lo, hi)}]"
                    for v, lo, hi in zip(part["S1"], part["S1_low"], part["S1_high"], strict=True)
                ],
                "ST (with interactions)": [
                    f"{pct(v)} [{interval(lo, hi)}]"
                    for v, lo, hi in zip(part["ST"], part["ST_low"], part["ST_high"], strict=True)
                ],
                "verdict": [
                    "distinguishable" if d else NOT_DISTINGUISHABLE for d in part["distinguishable"]
                ],
            }
        )
    part = result.morris[result.morris["output"] == output].sort_values("rank")
    return pd.DataFrame(
        {
            "factor": part["factor"],
            "category": part["category"],
            "mu*": [
                f"{number(v, 2)} [{number(lo, 2)} to {number(hi, 2)}]"
                for v, lo, hi in zip(
                    part["mu_star"], part["mu_star_low"], part["mu_star_high"], strict=True
                )
            ],
            "sigma": [number(v, 2) for v in part["sigma"]],
            "verdict": [
                "distinguishable" if d else "not distinguishable from noise"
                for d in part["distinguishable"]
            ],
        }
    )


def _leaders(result: SensitivityResult, outputs: list[str]) -> pd.DataFrame:
    """Per output: the top-ranked factor and runner-up, with intervals, and the noise."""
    frame = result.indices if result.method == "sobol" else result.morris
    noise = result.noise.set_index("output")["noise_share"]
    rows = []
    for output in outputs:
        part = frame[(frame["output"] == output) & frame["distinguishable"]].sort_values("rank")

        def cell(position: int, part: pd.DataFrame = part) -> str:
            if len(part) <= position:
                return "none distinguishable" if position == 0 else "-"
            row = part.iloc[position]
            if result.method == "sobol":
                bounds = interval(row["ST_low"], row["ST_high"])
                return f"{row['factor']}: {pct(row['ST'])} [{bounds}]"
            return f"{row['factor']}: mu* {number(row['mu_star'], 2)}"

        rows.append(
            {
                "output": output_label(result, output),
                "leading factor": cell(0),
                "next": cell(1),
                "noise share": pct(float(noise[output])),
            }
        )
    return pd.DataFrame(rows)


def _caveats(result: SensitivityResult) -> list[str]:
    factors = result.factors
    assumed = factors[factors["provenance"] == "assumed"]
    runs = len(result.runs)
    items = [
        f"{len(assumed)} of the {len(factors)} inputs varied are assumed (no evidence fixes "
        f"them; DOMAIN.md). Their ranges are modelling choices, and an index measures a "
        f"factor's effect over its range: a wider range would make it look more important.",
        "Every input is varied uniformly and independently over its documented range; real "
        "inputs may be correlated (for example staff numbers and caseload).",
        "The model is a simplification of the Sentinel implementation (docs/ODD.md); the "
        "indices rank the model's levers, which is evidence about the real partnership only "
        "as far as the model is.",
        "Intervals are percentile bootstrap intervals over design points with a fixed seed; "
        "on quasi-random designs they tend to be wider than the true error (conservative). "
        "A factor is distinguishable when its interval clears zero (Morris: the noise floor) "
        "with the false discovery rate held at 2.5% over the factors of an output, so that "
        "testing many inputs at once does not make some that do nothing look like effects.",
        f"{runs} model runs in total; seed {result.seed}.",
    ]
    if result.level == "category":
        items.append(_composition(result))
    if result.method == "sobol" and len(result.convergence):
        items.append(_stability(result))
    return items


def _composition(result: SensitivityResult) -> str:
    """How many inputs (and assumed ones) each category holds.

    A category's index sums all of them, so its size and its ranges are part of the answer.
    """
    factors = result.factors
    counts = factors.groupby("category", sort=False).agg(
        inputs=("factor", "size"), assumed=("provenance", lambda p: int((p == "assumed").sum()))
    )
    listed = "; ".join(
        f"{name} {row['inputs']} ({row['assumed']} assumed)" for name, row in counts.iterrows()
    )
    return (
        f"Categories hold different numbers of inputs: {listed}. A category's index counts "
        "everything its inputs do together, so more inputs or wider ranges can make a category "
        "look more important; the per-input analyses (Morris screening, per-parameter Sobol) "
        "show which inputs inside a category carry its effect."
    )


def _stability(result: SensitivityResult) -> str:
    """Whether the total indices of the headline outputs settled in the last doubling of n."""
    conv = result.convergence[result.convergence["index"] == "ST"]
    sizes = sorted(conv["n"].unique())
    if len(sizes) < 2:
        return (
            f"Convergence not checked: n = {sizes[0] if sizes else '?'} is the smallest size "
            "the convergence view uses."
        )
    last, before = sizes[-1], sizes[-2]
    moving = []
    for (output, factor), rows in conv.groupby(["output", "factor"], sort=False):
        if "." in str(output):
            continue
        now = rows[rows["n"] == last].iloc[0]
        then = rows[rows["n"] == before].iloc[0]
        if abs(now["value"] - then["value"]) > (now["high"] - now["low"]) / 2:
            moving.append(f"{factor} on {output_label(result, str(output))}")
    widest = conv[conv["n"] == last]["width"].max()
    widest_before = conv[conv["n"] == before]["width"].max()
    settled = (
        f"Still moving by more than half its interval between n = {before} and n = {last}: "
        f"{'; '.join(moving)}; more base points would sharpen these."
        if moving
        else f"Every total index moved by less than half its interval between n = {before} "
        f"and n = {last}."
    )
    return (
        f"Convergence (figure): the widest interval shrank from {number(widest_before, 2)} "
        f"to {number(widest, 2)} as n doubled to {last}. {settled}"
    )


def _how_to_read(result: SensitivityResult) -> str:
    """Return what the numbers mean, for the method that produced them."""
    if result.method == "morris":
        return (
            "Morris screening moves one input at a time by a fixed step, from many random "
            "starting points (trajectories), and records how much the output changes: an "
            "elementary effect. mu* is the mean absolute effect of moving an input across its "
            "range (in the output's unit); sigma is the spread of its effects. A sigma as "
            "large as mu* or larger means the effect depends on where in the range it is "
            "measured and on the other inputs (non-linear or interacting): an input whose "
            "effect is strong in only part of its range can have a modest mu* with a large "
            "sigma, and a sweep over that input shows where. Screening ranks inputs; it does "
            "not split the variance among them (Sobol indices do). An input is listed only "
            "when its mu* interval clears the noise floor, the mu* an input with no effect "
            "would show from run-to-run noise. Method and rules: docs/sensitivity.md."
        )
    return (
        "An index is the share of the variance of the expected outcome that a factor "
        "accounts for, over the ranges given (0 = none, 1 = all). S1 counts the factor alone; "
        "ST adds everything it does together with other factors. A factor whose interval "
        f"reaches zero is reported as {NOT_DISTINGUISHABLE}, never as a negative effect. "
        "Method and rules: docs/sensitivity.md."
    )


def _shapley_answer(result: SensitivityResult, output: str) -> list[str]:
    """Return the Shapley answer on one output: its conclusions, each with how far it holds."""
    label = output_label(result, output)
    noise = result.noise.set_index("output").loc[output]
    if bool(noise["noise_dominated"]):
        return [_too_noisy(label, "framework category")]
    conclusions = shapley_brief.headlines(result, output)
    return [
        f"**{label}:**",
        "",
        *[headline.line() for headline in conclusions],
        "",
        _noise_sentence(result, output),
    ]


def _shapley_markdown(result: SensitivityResult, figures: Mapping[str, Path]) -> list[str]:
    """Return the body of a Shapley brief: answer, effects with sizes, figures, caveats."""
    settings = result.settings
    dependent = shapley_brief.dependent_inputs(result)
    named = ", ".join(shapley_brief.assignments(result))
    lines = [
        "# Which framework categories change sharing most — " + result.subject,
        "",
        f"Shapley effects over {len(result.factors)} uncertain inputs ({len(dependent)} of them "
        f"calibrated and drawn jointly from the posterior), under the assignments {named}; "
        f"{settings['n_outer']} outer x {settings['n_inner']} inner draws per subset of "
        f"categories and {settings['n_variance']} draws for the variance, "
        f"{_runs_and_intervals(result)}",
        "",
        "## The answer",
        "",
        "Each conclusion states the share of bootstrap resamples in which it holds; one "
        "holding in fewer than 80% is worded as open.",
        "",
    ]
    headline = [o for o in result.outputs if "." not in o] or list(result.outputs)
    for output in headline:
        lines += [*_shapley_answer(result, output), ""]
    lines += [
        "## Effects and category sizes",
        "",
        "Every category under each assignment: how many inputs it holds (how many of them "
        "calibrated), its Shapley effect with interval, and its full first-order and "
        "independent total indices. Every number is in `shapley.csv`; pairwise shares of "
        "resamples in `comparisons.csv`.",
        "",
    ]
    for output in headline:
        lines += [
            f"### {output_label(result, output)} (`{output}`)",
            "",
            markdown_table(shapley_brief.table(result, output)),
            "",
        ]
    lines += _figure_lines(figures)
    lines += ["## Caveats", "", *[f"- {item}" for item in shapley_brief.caveats(result)]]
    lines += [f"- {len(result.runs)} model runs in total; seed {result.seed}.", ""]
    lines += ["## How to read this", "", shapley_brief.how_to_read(), ""]
    return lines


def _figure_lines(figures: Mapping[str, Path]) -> list[str]:
    if not figures:
        return []
    lines = ["## Figures", ""]
    for stem in figures:
        caption = FIGURE_CAPTIONS.get(stem, stem)
        lines += [f"![{caption}](figures/{stem}.png)", "", f"*{caption}*", ""]
    return lines


def _provenance_lines(result: SensitivityResult) -> list[str]:
    facts = {
        k: v for k, v in result.provenance.items() if not isinstance(v, Mapping | list | tuple)
    }
    software = result.provenance.get("environment")
    if isinstance(software, Mapping) and "git_commit" in software:
        facts["code commit"] = software["git_commit"]
    provenance = ", ".join(f"{k}: {v}" for k, v in facts.items())
    return [f"Provenance: {provenance}.", ""] if provenance else []


def brief_markdown(result: SensitivityResult, figures: Mapping[str, Path] | None = None) -> str:
    """Write the brief as Markdown; ``figures`` maps file stems to paths.

    Figures are linked relative to the folder the brief is written into
    (``figures/<stem>.png``; none by default).
    """
    figures = figures or {}
    if result.method == "shapley":
        return "\n".join([*_shapley_markdown(result, figures), *_provenance_lines(result)])
    what = "framework categories" if result.level == "category" else "inputs"
    method = (
        "Sobol variance-based indices"
        if result.method == "sobol"
        else "Morris elementary-effects screening"
    )
    settings = result.settings
    size = (
        f"n = {settings['n']} base points"
        if result.method == "sobol"
        else f"{settings['trajectories']} trajectories"
    )
    lines = [
        f"# Which {what} change sharing most — {result.subject}",
        "",
        f"{method} over {len(result.factors)} uncertain inputs, {size}, "
        f"{_runs_and_intervals(result)}",
        "",
        "## The answer",
        "",
    ]
    headline = [o for o in result.outputs if "." not in o] or list(result.outputs)
    for output in headline:
        answer = (
            _sobol_answer(result, output)
            if result.method == "sobol"
            else _morris_answer(result, output)
        )
        lines += [*answer, ""]
    partners = [o for o in result.outputs if o not in headline]
    if partners:
        lines += [
            "### Per partner",
            "",
            "The leading factor for each partner's own output (every factor in the CSV tables).",
            "",
            markdown_table(_leaders(result, partners)),
            "",
        ]
    table_file = "indices.csv" if result.method == "sobol" else "morris.csv"
    lines += [
        "## The leading factors",
        "",
        f"The {TOP} leading {_plural(result)} of each headline output; every factor of every "
        f"output, with its interval, is in `{table_file}`.",
        "",
    ]
    for output in headline:
        table = _table(result, output)
        lines += [
            f"### {output_label(result, output)} (`{output}`)",
            "",
            markdown_table(table.head(TOP)),
            "",
        ]
    lines += _figure_lines(figures)
    lines += ["## Caveats", "", *[f"- {item}" for item in _caveats(result)], ""]
    lines += ["## How to read this", "", _how_to_read(result), ""]
    return "\n".join([*lines, *_provenance_lines(result)])


def write_brief(
    result: SensitivityResult, folder: Path | str, figures: Mapping[str, Path] | None = None
) -> tuple[Path, Path]:
    """Write ``brief.md`` and ``brief.html`` into ``folder``; return both paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    markdown = brief_markdown(result, figures)
    md_path, html_path = folder / "brief.md", folder / "brief.html"
    md_path.write_text(markdown, encoding="utf-8")
    html_path.write_text(html_page(markdown, f"Sensitivity — {result.subject}"), encoding="utf-8")
    return md_path, html_path
