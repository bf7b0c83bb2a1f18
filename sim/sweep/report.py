"""The report of a sweep folder.

Response curves of its outputs over each varied input, per scenario, with intervals across
replicates; the tipping points in them; and the conditions under which the headline outcome holds
(scenario discovery).

Written from the folder alone (:func:`sim.sweep.read_results`), beside the runs::

    report.md, report.html        what the sweep shows, in words, tables and figures
    figures/response_<output>.png one panel per varied input, one line per scenario
    response.csv                  every curve: median and 90% interval per level
    tipping_points.csv            every curve's largest jump, and whether it is a tipping point
    conditions.csv                boxes of input ranges where the outcome holds (PRIM)

A sweep that varies no input sets its scenarios side by side instead
(:mod:`sim.sweep.scenario_set`): each scenario's runs and its paired differences from the first,
in ``scenarios.csv`` and ``figures/scenarios.png``.

The sweep owns these files (:func:`sim.output_folder.staged` into its own folder): a resumed or
extended sweep writes them again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from matplotlib.figure import Figure

from sim import output_folder, store
from sim.headline import difference_text, range_text, value_text
from sim.names import HEADLINE, benefit_outputs, capitalised, header, unit
from sim.outcomes import DEFAULT_OUTCOME, Discovery, Outcome, conditions, conditions_table
from sim.outcomes import parse_outcome as read_outcome
from sim.pages import html_page, markdown_table
from sim.palette import cycle
from sim.params import PARAMETERS
from sim.provenance import recorded_scenario
from sim.sweep import scenario_set
from sim.sweep.results import read_results, sweep_manifest
from sim.tipping import chance_curves, confounded_curves, response, tipping_points
from sim.weeks import input_text, is_week_input

if TYPE_CHECKING:
    from sim.scenarios import Scenario

PANELS_AT_MOST = 6
"""Inputs drawn per figure: those whose curves move most (the tables hold every input)."""

TIPPING_SAID = 5
"""Tipping points of an output said in words, the surest first (the table holds every one)."""

REPORT_FILES = ("report.md", "report.html", "response.csv", "tipping_points.csv", "conditions.csv")
"""The report's files besides its figures (a sweep with no input varied writes ``scenarios.csv``
in place of the last three)."""


@dataclass(frozen=True)
class SweepFindings:
    """What a sweep folder shows, computed from its runs.

    Attributes
    ----------
    name, description : str
        The experiment's.
    runs : DataFrame
        The runs with a result (one row each): scenario, inputs, outputs.
    inputs, outputs : tuple of str
        The design's inputs, and the outputs the report follows (the headline, then the
        benefit outputs the runs have).
    curves : DataFrame
        :func:`sim.tipping.response` of every output over every input, per scenario.
    jumps : DataFrame
        :func:`sim.tipping.tipping_points` of the same curves.
    outcome : Outcome
        The outcome scenario discovery looks for.
    conditions : dict
        Per scenario, the boxes where the outcome holds (or why none were looked for).
    start : date or None
        The scenarios' start date, when they share one (dates beside week inputs).
    manifest : dict
        The folder's manifest.
    scenario_table : DataFrame
        With no input varied, :func:`sim.sweep.scenario_set.scenario_table` of the runs;
        otherwise empty.
    """

    name: str
    description: str
    runs: pd.DataFrame
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    curves: pd.DataFrame
    jumps: pd.DataFrame
    outcome: Outcome
    conditions: Mapping[str, Discovery]
    start: date | None
    manifest: Mapping[str, Any]
    scenario_table: pd.DataFrame

    @property
    def scenarios(self) -> list[str]:
        """Scenario names in the experiment's order."""
        return [s["name"] for s in self.manifest["experiment"]["scenarios"]]


def output_columns(frame: pd.DataFrame, inputs: Sequence[str]) -> list[str]:
    """Return the output columns of a result table: everything but identity, inputs and errors."""
    skip = {*store.RUN_COLUMNS, *inputs, "error", "posterior_draw"}
    return [c for c in frame.columns if c not in skip]


def followed_outputs(frame: pd.DataFrame, inputs: Sequence[str]) -> tuple[str, ...]:
    """Return the outputs a report follows: the headline, then every benefit output present."""
    outputs = output_columns(frame, inputs)
    return tuple(o for o in (HEADLINE, *benefit_outputs(outputs)) if o in outputs)


def sweep_findings(out: Path | str, outcome: Outcome | str = DEFAULT_OUTCOME) -> SweepFindings:
    """Read the sweep in folder ``out`` and find its curves, tipping points and conditions."""
    folder = Path(out)
    manifest = sweep_manifest(folder)
    inputs = tuple(manifest["experiment"]["design"]["columns"])
    frame = read_results(folder)
    runs = frame[frame["error"].isna()].reset_index(drop=True)
    outputs = followed_outputs(runs, inputs)
    wanted = (
        read_outcome(outcome, output_columns(runs, inputs)) if isinstance(outcome, str) else outcome
    )
    curves = pd.concat(
        [response(runs, name, output) for output in outputs for name in inputs] or [pd.DataFrame()],
        ignore_index=True,
    )
    found: dict[str, Discovery] = {}
    for scenario, group in runs.groupby("scenario", sort=False):
        found[str(scenario)] = conditions(group, inputs, wanted) if inputs else Discovery()
    scenarios = [s["name"] for s in manifest["experiment"]["scenarios"]]
    side_by_side = (
        pd.DataFrame(columns=list(scenario_set.COLUMNS))
        if inputs
        else scenario_set.scenario_table(runs, scenarios, outputs)
    )
    return SweepFindings(
        name=str(manifest.get("name", "")),
        description=str(manifest.get("about", {}).get("description", "")),
        runs=runs,
        inputs=inputs,
        outputs=outputs,
        curves=curves,
        jumps=tipping_points(runs, inputs, outputs) if len(runs) else pd.DataFrame(),
        outcome=wanted,
        conditions=found,
        start=_common_start(manifest) if any(map(is_week_input, inputs)) else None,
        manifest=manifest,
        scenario_table=side_by_side,
    )


def recorded_scenarios(manifest: Mapping[str, Any]) -> list[Scenario | None]:
    """Return the sweep's scenarios as they were when it ran, in its order.

    None for one that no longer loads with the content it had
    (:func:`sim.provenance.recorded_scenario`). A folder written before the manifest recorded
    where each loads from names them by their labels.
    """
    references = manifest.get("references", {})
    return [
        recorded_scenario(references.get(entry["name"], entry["name"]), entry.get("content_hash"))
        for entry in manifest["experiment"]["scenarios"]
    ]


def _common_start(manifest: Mapping[str, Any]) -> date | None:
    """Return the start date the sweep's scenarios share, when their files still load.

    None otherwise: week inputs are then shown as weeks only.
    """
    recorded = recorded_scenarios(manifest)
    starts = {scenario.start_date for scenario in recorded if scenario is not None}
    return starts.pop() if len(starts) == 1 and None not in recorded else None


# --- figures --------------------------------------------------------------------------------


def _moving_inputs(findings: SweepFindings, output: str) -> list[str]:
    """Return the inputs whose curves of ``output`` move most, at most :data:`PANELS_AT_MOST`."""
    curves = findings.curves[findings.curves["output"] == output]
    moved = curves.groupby("input", sort=False)["median"].agg(lambda m: m.max() - m.min())
    return list(moved.sort_values(ascending=False, kind="stable").index[:PANELS_AT_MOST])


def response_figure(findings: SweepFindings, output: str) -> Figure:
    """Median and 90% band of ``output`` over each varied input, one line per scenario.

    A dotted line marks each tipping point (between the two levels of its jump).
    """
    inputs = _moving_inputs(findings, output)
    cols = min(3, len(inputs))
    rows = -(-len(inputs) // cols)
    fig = Figure(figsize=(max(6.4, 4.2 * cols), 3.1 * rows + 1.0), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    tipping = findings.jumps[(findings.jumps["output"] == output) & findings.jumps["tipping"]]
    for ax, name in zip(axes, inputs, strict=False):
        for position, scenario in enumerate(findings.scenarios):
            curve = findings.curves[
                (findings.curves["output"] == output)
                & (findings.curves["input"] == name)
                & (findings.curves["scenario"] == scenario)
            ]
            if curve.empty:
                continue
            colour = cycle(position)
            ax.fill_between(
                curve["level"], curve["low"], curve["high"], color=colour, alpha=0.15, lw=0
            )
            ax.plot(
                curve["level"], curve["median"], "o-", color=colour, ms=3.5, lw=1.6, label=scenario
            )
            for _, jump in tipping[
                (tipping["input"] == name) & (tipping["scenario"] == scenario)
            ].iterrows():
                middle = (jump["before_level"] + jump["after_level"]) / 2
                ax.axvline(middle, color=colour, ls=":", lw=1.3)
        ax.set_xlabel(f"{name} ({_input_unit(name)})", fontsize=9)
        ax.set_ylabel(f"{capitalised(header(output))} ({unit(output)})", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[len(inputs) :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    handles.append(axes[0].plot([], [], color="#555555", ls=":")[0])
    labels.append("tipping point")
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=min(4, len(labels)),
        fontsize=8,
        frameon=False,
    )
    fig.suptitle(
        f"{capitalised(header(output))} in sweep {findings.name}\n"
        "lines: median of the runs at each level; bands: 90% of runs",
        fontsize=10,
    )
    return fig


def _input_unit(name: str) -> str:
    if name in PARAMETERS:
        return PARAMETERS[name].unit
    return "weeks" if name.endswith("week") or name.endswith("weeks") else "value"


# --- text -----------------------------------------------------------------------------------


def tipping_sentence(row: Mapping[str, Any], start: date | None = None) -> str:
    """Return a tipping point in words: where, how far the output falls or rises, its interval."""
    output, name = str(row["output"]), str(row["input"])
    moves = "falls" if row["jump"] < 0 else "rises"
    return (
        f"**{row['scenario']}**: {header(output)} {moves} from {value_text(row['before'], output)} "
        f"at {name} {input_text(name, row['before_level'], start)} to "
        f"{value_text(row['after'], output)} at {input_text(name, row['after_level'], start)} "
        f"(a jump of {difference_text(row['jump'], output)}; 90% interval "
        f"{range_text(row['jump_low'], row['jump_high'], output, difference=True)})"
    )


def _flat_sentence(findings: SweepFindings, scenario: str, output: str) -> str | None:
    """Return the change of ``output`` over the inputs of a scenario with no tipping point."""
    curves = findings.curves[
        (findings.curves["scenario"] == scenario) & (findings.curves["output"] == output)
    ]
    if curves.empty:
        return None
    moved = curves.groupby("input", sort=False)["median"].agg(lambda m: m.max() - m.min())
    name = str(moved.idxmax())
    medians = curves.loc[curves["input"] == name, "median"]
    sentence = (
        f"**{scenario}**: no tipping point; over {name}, the median {header(output)} spans "
        f"{difference_text(float(moved.max()), output).lstrip('+')} "
        f"({range_text(float(medians.min()), float(medians.max()), output)})"
    )
    if len(medians) == 2:
        sentence += (
            " between its two levels, where no jump can be steeper than the curve (a tipping point "
            "needs three levels or more)"
        )
    jumps = findings.jumps
    curve = jumps[
        (jumps["scenario"] == scenario) & (jumps["input"] == name) & (jumps["output"] == output)
    ]
    if len(curve) and confounded_curves(curve).iloc[0]:
        sentence += (
            ", but some of its levels are one design point each, whose other inputs differ "
            "too: these runs cannot tell the input's effect from theirs (more design points can)"
        )
    elif len(curve) and chance_curves(curve).iloc[0]:
        q = float(curve["q_value"].iloc[0])
        sentence += f", no more than chance moves it with these runs (adjusted p = {q:.2g})"
    return sentence


def listed_tipping_points(findings: SweepFindings) -> pd.DataFrame:
    """Return the sweep's tipping points output by output, headline first, surest first.

    Jumps of different outputs are in different units, so are not ranked against each other.
    """
    jumps = findings.jumps
    if not len(jumps):
        return jumps
    tipping = jumps[jumps["tipping"]]
    at = tipping["output"].map({o: i for i, o in enumerate(findings.outputs)})
    return tipping.assign(_at=at).sort_values("_at", kind="stable").drop(columns="_at")


def _curve_table(findings: SweepFindings, name: str, output: str) -> pd.DataFrame:
    """Levels down, scenarios across: each cell the median and 90% interval."""
    curves = findings.curves[
        (findings.curves["output"] == output) & (findings.curves["input"] == name)
    ]
    cells = curves.assign(
        cell=[
            f"{value_text(m, output)} [{value_text(lo, output)} to {value_text(hi, output)}]"
            for m, lo, hi in zip(curves["median"], curves["low"], curves["high"], strict=True)
        ],
        at=[input_text(name, v, findings.start) for v in curves["level"]],
    )
    table = cells.pivot(index="level", columns="scenario", values="cell")
    table = table[[s for s in findings.scenarios if s in table.columns]]
    table.index = [input_text(name, v, findings.start) for v in table.index]
    table.index.name = name
    return table.reset_index()


def _jumps_table(findings: SweepFindings) -> pd.DataFrame:
    """Return the tipping points as a table (:func:`listed_tipping_points`)."""
    shown = listed_tipping_points(findings)
    return pd.DataFrame(
        {
            "Scenario": shown["scenario"],
            "Input": shown["input"],
            "Output": [header(o) for o in shown["output"]],
            "Between": [
                f"{input_text(n, a, findings.start)} and {input_text(n, b, findings.start)}"
                for n, a, b in zip(
                    shown["input"], shown["before_level"], shown["after_level"], strict=True
                )
            ],
            "Jump [90% interval]": [
                f"{difference_text(j, o)} [{range_text(lo, hi, o, difference=True)}]"
                for j, lo, hi, o in zip(
                    shown["jump"],
                    shown["jump_low"],
                    shown["jump_high"],
                    shown["output"],
                    strict=True,
                )
            ],
            "Sure slope / mean slope": [f"{s:.1f}x" for s in shown["sharpness"]],
        }
    )


def _conditions_lines(findings: SweepFindings) -> list[str]:
    return [
        f"- **{scenario}**: {line}."
        for scenario, found in findings.conditions.items()
        for line in found.lines(findings.start)
    ]


def report_markdown(findings: SweepFindings, figures: Sequence[str] = ()) -> str:
    """Return the sweep report as Markdown; ``figures`` are the outputs whose figure was written.

    With no input varied, the scenarios side by side (one figure holds every output).
    """
    body = (
        _curves_body(findings, figures) if findings.inputs else _scenarios_body(findings, figures)
    )
    return "\n".join([*_opening(findings), *body])


def _opening(findings: SweepFindings) -> list[str]:
    """Return the title, the experiment's description and what ran."""
    experiment = findings.manifest["experiment"]
    done = len(findings.runs)
    total = int(findings.manifest.get("runs", done))
    design = "; ".join(
        f"{name} ({input_text(name, findings.runs[name].min(), findings.start)} to "
        f"{input_text(name, findings.runs[name].max(), findings.start)}, "
        f"{findings.runs[name].nunique()} values)"
        for name in findings.inputs
        if name in findings.runs and len(findings.runs)
    )
    return [
        f"# Sweep {findings.name}",
        "",
        *([findings.description, ""] if findings.description else []),
        f"{len(findings.scenarios)} scenarios ({', '.join(findings.scenarios)}) x "
        f"{len(experiment['design']['rows'])} design rows x {experiment['replicates']} replicates: "
        f"{done} of {total} runs with a result; seed {experiment['seed']}. Inputs varied: "
        f"{design or 'none'}.",
        "",
    ]


def _scenarios_body(findings: SweepFindings, figures: Sequence[str]) -> list[str]:
    """Return what a sweep of scenarios alone shows: each one's runs, paired with the first's."""
    table = findings.scenario_table
    lines = [
        "Every number is the median of a scenario's runs, with the interval holding 90% of them "
        "(the 5% and 95% quantiles). Run r of every scenario uses the same seeds, so each "
        f"scenario is set against {findings.scenarios[0]} pair by pair: the paired difference's "
        "90% interval is the spread of what the scenario changes, the 95% interval how sure its "
        "mean is.",
        "",
        "## What the sweep shows",
        "",
    ]
    for output in findings.outputs:
        lines += [f"- {sentence}." for sentence in what_it_shows(findings, output)]
    lines += ["", scenario_set.markdown(table, findings.outputs), ""]
    if figures:
        lines += [f"![Each scenario's runs]({scenario_set.FIGURE})", ""]
    lines += [
        "## Files",
        "",
        "`scenarios.csv` (each scenario's outputs, and its paired differences from the first), "
        "`runs/` (one row per run; `sharesim sweep status`).",
        "",
    ]
    return lines


def what_it_shows(findings: SweepFindings, output: str) -> list[str]:
    """Return what the sweep shows of ``output``, a sentence each (Markdown, no full stop).

    Over inputs: each scenario's surest tipping points (the count of the others), and the span
    of the curves that have none. Of scenarios alone: each one's paired difference from the
    first, largest first, and which change it as much as the one that changes it most.
    """
    if not findings.inputs:
        said = scenario_set.sentences(findings.scenario_table, output)
        level = scenario_set.as_much(findings.runs, findings.scenario_table, output)
        return [*said[:1], *([level] if level else []), *said[1:]]
    tipping = listed_tipping_points(findings)
    found = tipping[tipping["output"] == output] if len(tipping) else tipping
    listed = found.head(TIPPING_SAID)
    lines = [tipping_sentence(row, findings.start) for _, row in listed.iterrows()]
    if len(found) > len(listed):
        lines.append(
            f"... and {len(found) - len(listed)} more tipping points of the {header(output)} "
            "in the tipping points table"
        )
    for scenario in findings.scenarios:
        if not len(found) or scenario not in set(found["scenario"]):
            flat = _flat_sentence(findings, scenario, output)
            if flat:
                lines.append(flat)
    return lines


def _curves_body(findings: SweepFindings, figures: Sequence[str]) -> list[str]:
    """Return what a sweep over inputs shows: response curves, tipping points, conditions."""
    lines = [
        "Every number is the median of the runs at a level, with the interval holding 90% of "
        "them (the 5% and 95% quantiles of the replicates).",
        "",
        "## What the sweep shows",
        "",
    ]
    tipping = listed_tipping_points(findings)
    for output in findings.outputs:
        lines += [f"- {sentence}." for sentence in what_it_shows(findings, output)]
    lines += [
        "",
        "A tipping point is the largest jump of a curve between adjacent levels, when its 90% "
        "interval excludes zero, the runs at the curve's levels surely differ (a Kruskal-Wallis "
        "test, held to a false discovery rate of 10% over every curve of the sweep, so that "
        "however many inputs are swept, about one listed tipping point in ten at most comes "
        "from an input that does nothing), even the end of its interval nearest zero is at "
        "least twice as steep as the curve on average, and it is at least a tenth of the "
        "output's range: where a small change of the input moves the output most. Between two "
        "levels the sweep cannot say where exactly it lies.",
        "",
        "## Response curves",
        "",
    ]
    for output in figures:
        lines += [f"![{header(output)}](figures/response_{output}.png)", ""]
    for name in findings.inputs:
        lines += [
            f"{capitalised(header(HEADLINE))} by {name} (median [90% of runs]):",
            "",
            markdown_table(_curve_table(findings, name, HEADLINE)),
            "",
        ]
    if len(tipping):
        lines += ["## Tipping points", "", markdown_table(_jumps_table(findings)), ""]
    lines += [
        f"## Where {findings.outcome.describe()} holds",
        "",
        "Boxes of input ranges found by PRIM (scenario discovery) in each scenario's runs:",
        "",
        *_conditions_lines(findings),
        "",
        "## Files",
        "",
        "`response.csv` (every curve), `tipping_points.csv` (every curve's largest jump), "
        "`conditions.csv` (the boxes), `runs/` (one row per run; `sharesim sweep status`).",
        "",
    ]
    return lines


def _write_figures(findings: SweepFindings, target: Path, dpi: int) -> list[str]:
    """Draw the report's figures into ``target``; return the outputs drawn."""
    if not len(findings.runs) or (findings.inputs and not len(findings.curves)):
        return []
    (target / "figures").mkdir()
    if not findings.inputs:
        title = f"Sweep {findings.name}"
        figure = scenario_set.scenarios_figure(findings.scenario_table, findings.outputs, title)
        figure.savefig(target / scenario_set.FIGURE, dpi=dpi)
        return list(findings.outputs)
    for output in findings.outputs:
        figure = response_figure(findings, output)
        figure.savefig(target / "figures" / f"response_{output}.png", dpi=dpi)
    return list(findings.outputs)


def write_report(
    out: Path | str, outcome: Outcome | str = DEFAULT_OUTCOME, dpi: int = 110
) -> dict[str, Path]:
    """Write the report of the sweep in folder ``out`` beside its runs; return the files.

    Raises
    ------
    OutputError
        When the folder cannot be written (one line); its earlier report is then untouched.
    """
    return write_findings(sweep_findings(Path(out), outcome), out, dpi)


def write_findings(findings: SweepFindings, out: Path | str, dpi: int = 110) -> dict[str, Path]:
    """Write the report of ``findings``, read from the sweep in ``out`` (:func:`sweep_findings`).

    As :func:`write_report`, for a caller that also says the findings in other words.
    """
    folder = Path(out)
    with output_folder.staged(
        folder, store.KIND, replace=False, recognise=store.earlier_sweep
    ) as staging:
        target = staging.folder
        drawn = _write_figures(findings, target, dpi)
        if findings.inputs:
            findings.curves.to_csv(target / "response.csv", index=False)
            findings.jumps.to_csv(target / "tipping_points.csv", index=False)
            conditions_table(findings.conditions).rename(columns={"group": "scenario"}).to_csv(
                target / "conditions.csv", index=False
            )
        else:
            findings.scenario_table.to_csv(target / "scenarios.csv", index=False)
        text = report_markdown(findings, drawn)
        (target / "report.md").write_text(text, encoding="utf-8")
        (target / "report.html").write_text(
            html_page(text, f"Sweep {findings.name}"), encoding="utf-8"
        )
        written = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    return {name: folder / name for name in written}


__all__ = [
    "REPORT_FILES",
    "SweepFindings",
    "listed_tipping_points",
    "report_markdown",
    "response_figure",
    "sweep_findings",
    "tipping_sentence",
    "what_it_shows",
    "write_findings",
    "write_report",
]
