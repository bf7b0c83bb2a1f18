"""Read a result folder into the :class:`~sim.brief.evidence.Evidence` a brief is written from.

A run, a comparison, a sweep or a sensitivity analysis (a calibration:
:mod:`sim.brief.calibration`).

Every reader uses only the folder's files, and the scenario it names when that still loads as
it was (for the provenance of its inputs); nothing is run again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim import durable
from sim.brief.calibration import read_calibration
from sim.brief.evidence import KINDS, Evidence, provenance_counts, registry_assumptions
from sim.comparison_folder import read_comparison as read_comparison_folder
from sim.comparison_report import answer, partner_changes
from sim.errors import InputError
from sim.headline import difference_text, range_text
from sim.names import HEADLINE, STATE_ORDER, benefit_outputs, capitalised, header
from sim.outcomes import Outcome, conditions, conditions_table
from sim.provenance import recorded_scenario, scenario_of_record
from sim.run_report import headline, headline_facts
from sim.sensitivity.factors import scenario_factors
from sim.sensitivity.folder import read_result_folder
from sim.sensitivity.shapley_brief import dependent_inputs
from sim.sweep import scenario_set
from sim.sweep.report import (
    SweepFindings,
    listed_tipping_points,
    output_columns,
    recorded_scenarios,
    sweep_findings,
    tipping_sentence,
)
from sim.sweep.results import read_results
from sim.tipping import BINS, chance_curves, confounded_curves
from sim.weeks import is_week_input

if TYPE_CHECKING:
    from sim.scenarios import Scenario

INPUTS_NAMED = 3
"""A sweep of more inputs is asked about as so many inputs varied together, not by name."""

BOX_INPUTS_NAMED = 3
"""Ranges a brief names of one box of scenario discovery (the ones that cut most; every one is
in the brief's ``conditions.csv``)."""


class BriefError(InputError):
    """A folder a brief cannot be written from: one line naming it and why."""


def folder_kind(folder: Path) -> tuple[str, dict[str, Any]]:
    """Return the kind of result ``folder`` holds and its manifest.

    Raises
    ------
    BriefError
        No such folder, no readable manifest, or a kind a brief does not read.
    """
    if not folder.is_dir():
        raise BriefError(f"{durable.shown(folder)}: no such result folder")
    path = folder / durable.MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BriefError(
            f"{durable.shown(folder)}: no {durable.MANIFEST}, so not a result folder of sharesim"
        ) from None
    except (OSError, ValueError) as error:
        raise BriefError(f"{durable.shown(path)}: not a readable manifest ({error})") from None
    kind = manifest.get("kind") if isinstance(manifest, dict) else None
    if kind not in KINDS:
        what = f"holds the output of sharesim {kind}" if isinstance(kind, str) else "is not"
        raise BriefError(
            f"{durable.shown(folder)}: {what}; a brief reads the folder of sharesim "
            f"{', '.join(KINDS[:-1])} or {KINDS[-1]}"
        )
    return str(kind), manifest


def outputs_of(folder: Path, kind: str, manifest: dict[str, Any]) -> list[str] | None:
    """Return the outputs the folder's runs have (what an outcome may name).

    None for a calibration, which is asked no outcome.
    """
    if kind == "calibrate":
        return None
    if kind == "run":
        return list(pd.read_parquet(folder / "metrics.parquet").columns)
    if kind == "compare":
        return [str(m) for m in pd.read_csv(folder / manifest["last"]["table"])["metric"]]
    if kind == "sweep":
        inputs = manifest["experiment"]["design"]["columns"]
        return output_columns(read_results(folder), inputs)
    summary = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    return list(summary["settings"]["outputs"])


def read_evidence(folder: Path, outcome: Outcome) -> Evidence:
    """Return what ``folder`` tells a brief (:func:`folder_kind` checks it first)."""
    kind, manifest = folder_kind(folder)
    reader = {
        "run": read_run,
        "compare": read_comparison,
        "sweep": read_sweep,
        "sensitivity": read_sensitivity,
        "calibrate": read_calibration,
    }[kind]
    return reader(folder, manifest, outcome)


def _figure(folder: Path, *names: str) -> Path | None:
    return next((folder / n for n in names if (folder / n).is_file()), None)


# --- a run ----------------------------------------------------------------------------------


def read_run(folder: Path, manifest: dict[str, Any], outcome: Outcome) -> Evidence:
    """Read a run folder: its answer, what its partners show, and its scenario's assumptions."""
    metrics = pd.read_parquet(folder / "metrics.parquet")
    summary = pd.read_csv(folder / "summary.csv", index_col="partner")
    name = str(manifest.get("scenario", folder.name))
    scenario = scenario_of_record(manifest)
    holds = outcome.holds(metrics)
    if scenario is not None:
        factors = pd.DataFrame(scenario_factors(scenario, scenario_inputs=False))
        assumptions = registry_assumptions(factors["name"])
        inputs = f"The scenario has {provenance_counts(factors)}."
    else:
        # The parameters the run used are in its manifest; which are uncertain is the file's.
        assumptions = registry_assumptions(list(manifest.get("parameters", {})))
        inputs = (
            "Its uncertain inputs are not counted here: the scenario file is no longer where "
            "the run found it, or has changed since."
        )
    drawn = bool((manifest.get("posterior") or {}).get("used"))
    return Evidence(
        kind="run",
        folder=folder,
        subject=f"the {name} scenario",
        question=f"How much of their ASB caseload do the partners of {name} record on the "
        "shared system?",
        answer=headline(metrics),
        levers=headline_facts(summary, metrics),
        conditions=[
            f"{capitalised(outcome.describe())} in {holds.mean():.0%} of the {len(holds)} runs."
        ],
        limits=[
            f"Holds for {name} as written (its partners, events, staff and caseloads), over "
            f"{len(metrics)} runs.",
            (
                "Each run drew its inputs from the calibration's posterior, so the interval "
                "includes what the evidence leaves open about them."
                if drawn
                else "The interval is run-to-run chance only: it leaves out what the assumed "
                "inputs leave open (a sensitivity analysis or a sweep measures that)."
            ),
            inputs,
        ],
        assumptions=assumptions,
        figure=_figure(folder, "figures/partnership.png"),
        tables={"partners.csv": summary.reset_index(), "assumptions.csv": assumptions},
        scenarios=(name,),
    )


# --- a comparison ---------------------------------------------------------------------------


def _changed_parameters(first: Scenario | None, second: Scenario | None) -> list[str] | None:
    """Registry parameters whose values differ between two recorded scenarios.

    None when either no longer loads as it was (:func:`sim.provenance.recorded_scenario`).
    """
    if first is None or second is None:
        return None
    pa, pb = first.compile().parameters, second.compile().parameters
    return [k for k in pa if pb.get(k) != pa[k]]


def _difference_words(changed: list[str] | None) -> str:
    """Return what recorded scenarios differ in, as :func:`_changed_parameters` found it."""
    if changed is None:
        return (
            "ways this brief cannot tell: a scenario file is no longer where the result found "
            "it, or has changed since"
        )
    return ", ".join(changed) or "events or partners, not registry parameters"


def read_comparison(folder: Path, manifest: dict[str, Any], outcome: Outcome) -> Evidence:
    """Read a comparison folder (its last comparison): the answer and what else it changes."""
    comparison, manifest = read_comparison_folder(folder)
    table = comparison.table
    outputs = [c for c in (*STATE_ORDER, *benefit_outputs(list(table.index))) if c in table.index]
    levers = [
        f"{capitalised(header(c))}: {difference_text(table.loc[c, 'difference'], c)} (90% of "
        f"runs: {range_text(table.loc[c, 'low'], table.loc[c, 'high'], c, difference=True)})."
        for c in outputs
        if c != HEADLINE
    ]
    levers.insert(
        0, f"Per partner, the {header(HEADLINE)} is " + "; ".join(partner_changes(comparison)) + "."
    )
    # A folder written before the scenarios were recorded names them only.
    first, second = manifest["last"].get("scenarios") or [
        {"reference": comparison.first},
        {"reference": comparison.second},
    ]
    changed = _changed_parameters(
        recorded_scenario(first["reference"], first.get("content_hash")),
        recorded_scenario(second["reference"], second.get("content_hash")),
    )
    assumptions = registry_assumptions(changed or [])
    what = f"The two scenarios differ in {_difference_words(changed)}"
    report = str(manifest["last"].get("report", ""))
    return Evidence(
        kind="compare",
        folder=folder,
        subject=f"{comparison.second} against {comparison.first}",
        question=f"What does {comparison.second} change against {comparison.first}?",
        answer=answer(comparison),
        levers=levers,
        limits=[
            f"{what}; the difference is what that change does in the model, other inputs at "
            "each scenario's values.",
            f"Each of the {comparison.replicates} pairs of runs shares its seeds, so the interval "
            "is the spread of paired differences, not uncertainty in assumed inputs.",
        ],
        assumptions=assumptions,
        figure=_figure(folder, report.replace("report.html", "figures/differences.png")),
        tables={
            "differences.csv": table.reset_index(),
            "partners.csv": comparison.partners.reset_index(),
            "assumptions.csv": assumptions,
        },
        scenarios=(comparison.first, comparison.second),
    )


# --- a sweep --------------------------------------------------------------------------------


def _lever_sentence(
    name: str, moved: pd.DataFrame, where: bool, by_chance: set[tuple[str, str, str]]
) -> str:
    """Return how far input ``name`` moves each output (``moved``: one row an output).

    ``where`` names the scenario of each; moves of curves in ``by_chance`` (scenario, input,
    output) are no more than chance makes with the sweep's runs, and are said to be.
    """
    chance = [(row["scenario"], name, row["output"]) in by_chance for _, row in moved.iterrows()]
    parts = [
        f"{header(row['output'])} by up to "
        f"{difference_text(row['moved'], row['output']).lstrip('+')}"
        + (f" ({row['scenario']})" if where else "")
        + (" (no more than chance)" if flag and not all(chance) else "")
        for (_, row), flag in zip(moved.iterrows(), chance, strict=True)
    ]
    sentence = f"{name} moves the {'; '.join(parts)}."
    return sentence + (" No more than chance moves them, with these runs." if all(chance) else "")


def read_sweep(folder: Path, manifest: dict[str, Any], outcome: Outcome) -> Evidence:
    """Read a sweep folder.

    Tipping points, which inputs move the outputs most, and where the outcome holds.
    """
    found = sweep_findings(folder, outcome)
    if not found.inputs:
        return _scenario_set(folder, found)
    curves, jumps = found.curves, found.jumps
    headline_jumps = jumps[jumps["output"] == HEADLINE] if len(jumps) else jumps
    sentences = [
        tipping_sentence(row, found.start).replace("**", "") + "."
        for _, row in listed_tipping_points(found).iterrows()
    ]
    ranges = (
        curves.groupby(["output", "input", "scenario"], sort=False)["median"]
        .agg(lambda m: m.max() - m.min())
        .rename("moved")
        .reset_index()
        .sort_values("moved", ascending=False, kind="stable")
    )
    # Curves whose levels do not surely differ move no more than chance does with these runs;
    # those whose levels are single design points cannot tell their input from the others.
    unclear = chance_curves(jumps) & ~confounded_curves(jumps)
    by_chance = {(r.scenario, r.input, r.output) for r in jumps[unclear].itertuples()}
    levers = []
    for name in dict.fromkeys(ranges[ranges["output"] == HEADLINE]["input"]):
        mine = ranges[(ranges["input"] == name)].drop_duplicates("output")
        mine = mine.sort_values("output", key=lambda o: o.map(found.outputs.index), kind="stable")
        levers.append(_lever_sentence(name, mine, len(found.scenarios) > 1, by_chance))
    if len(headline_jumps) and headline_jumps["tipping"].any():
        answer = sentences[0]
    elif levers and len(headline_jumps) and confounded_curves(headline_jumps).all():
        answer = (
            f"No tipping point, and these runs cannot tell one input's effect on the "
            f"{header(HEADLINE)} from another's: some levels of every curve are a single "
            f"design point, whose other inputs differ too (more design points would tell). "
            f"The most: {levers[0]}"
        )
    elif levers and len(headline_jumps) and chance_curves(headline_jumps).all():
        answer = (
            f"No tipping point, and no input moves the {header(HEADLINE)} more than chance "
            f"does with these runs (more runs would tell). The most: {levers[0]}"
        )
    elif levers:
        answer = f"No tipping point: {levers[0]}"
    else:
        answer = "The sweep has no runs with a result yet."
    assumptions = registry_assumptions(found.inputs)
    few = len(found.inputs) <= INPUTS_NAMED
    varied = ", ".join(found.inputs) if few else f"{len(found.inputs)} inputs, varied together,"
    return Evidence(
        kind="sweep",
        folder=folder,
        subject=f"sweep {found.name}",
        question=f"How {'does' if len(found.inputs) == 1 else 'do'} {varied} "
        f"change sharing in {', '.join(found.scenarios)}?",
        answer=answer,
        levers=levers,
        tipping=sentences,
        conditions=[
            f"{scenario}: {line}."
            for scenario, discovery in found.conditions.items()
            for line in discovery.lines(found.start, BOX_INPUTS_NAMED)
        ],
        limits=[
            _measured(found) if few else _sampled(found),
            "Every other input stays at each scenario's value: a lever's effect can differ "
            "where other inputs differ."
            if few
            else "Each curve averages over the other inputs' ranges: a lever's effect can be "
            "larger or smaller where the others sit elsewhere.",
        ],
        assumptions=assumptions,
        figure=_figure(folder, f"figures/response_{HEADLINE}.png"),
        tables={
            "levers.csv": ranges,
            "tipping_points.csv": jumps,
            "conditions.csv": conditions_table(found.conditions),
            "assumptions.csv": assumptions,
        },
        effects=headline_jumps,
        scenarios=tuple(found.scenarios),
    )


def _measured(found: SweepFindings) -> str:
    """Return where a sweep of a few inputs measured each, and how often."""
    levels = ", ".join(
        f"{name} at {found.runs[name].nunique()} values from {found.runs[name].min():g} to "
        f"{found.runs[name].max():g}"
        for name in found.inputs
        if len(found.runs)
    )
    return (
        f"Measured at {levels}, {found.manifest['experiment']['replicates']} runs each; a "
        "tipping point lies somewhere between its two levels."
    )


def _sampled(found: SweepFindings) -> str:
    """Return how a sweep of many inputs sampled them (``levers.csv`` has each one's range)."""
    experiment = found.manifest["experiment"]
    return (
        f"{len(found.inputs)} inputs varied together over {len(experiment['design']['rows'])} "
        f"design points, {experiment['replicates']} runs each; each input's values are cut into "
        f"{BINS} bins of as many runs, and a tipping point lies somewhere between two of them."
    )


def _scenario_set(folder: Path, found: SweepFindings) -> Evidence:
    """Read a sweep that varies no input: how each scenario differs from the first, pair by pair."""
    table = found.scenario_table
    said = scenario_set.sentences(table, HEADLINE)
    level = scenario_set.as_much(found.runs, table, HEADLINE)
    others_said = [o for o in found.outputs if o != HEADLINE]
    benefits = [line for o in others_said for line in scenario_set.sentences(table, o)[:1]]
    first, others = found.scenarios[0], found.scenarios[1:]
    replicates = found.manifest["experiment"]["replicates"]
    recorded = recorded_scenarios(found.manifest)
    pairs = [_changed_parameters(recorded[0], other) for other in recorded[1:]]
    changed = (
        None if None in pairs else list(dict.fromkeys(p for pair in pairs for p in pair or []))
    )
    assumptions = registry_assumptions(changed or [])
    return Evidence(
        kind="sweep",
        folder=folder,
        subject=f"sweep {found.name}",
        question=(
            f"How does sharing in {', '.join(others)} differ from {first}?"
            if others
            else f"How much of their ASB caseload do the partners of {first} record on the "
            "shared system?"
        ),
        answer=(
            " ".join(f"{s}." for s in [said[0], *([level] if level else [])])
            if said
            else "The sweep has no runs with a result yet."
        ),
        levers=[f"{line}." for line in [*said[1:], *benefits]],
        limits=[
            f"{replicates} runs per scenario; run r of every scenario shares its seeds, so the "
            "90% interval is the spread of paired differences, not uncertainty in assumed inputs.",
            "Every input stays at each scenario's value: the scenarios differ only as their "
            f"files say ({_difference_words(changed)}).",
        ],
        assumptions=assumptions,
        figure=_figure(folder, scenario_set.FIGURE),
        tables={"scenarios.csv": table, "assumptions.csv": assumptions},
        scenarios=tuple(found.scenarios),
    )


# --- a sensitivity analysis -----------------------------------------------------------------


def recorded_start(provenance: Mapping[str, object], inputs: Sequence[str]) -> date | None:
    """Return the first day of week 0 of an analysis's scenario, to date its week inputs by.

    None when no input is a week input, or when the scenario its ``provenance`` names no
    longer loads as it was.
    """
    if not any(map(is_week_input, inputs)) or not provenance.get("scenario_hash"):
        return None
    scenario = scenario_of_record(provenance)
    return scenario.start_date if scenario is not None else None


METHOD_NAMES = {
    "morris": "Morris screening",
    "sobol": "Sobol indices",
    "shapley": "Shapley effects",
}
"""What a brief calls each sensitivity method's result."""


def read_sensitivity(folder: Path, manifest: dict[str, Any], outcome: Outcome) -> Evidence:
    """Read a sensitivity folder.

    The leading factors, their assumptions and where the outcome holds over the sample.
    """
    result = read_result_folder(folder)
    morris = result.method == "morris"
    table = result.morris if morris else result.indices
    stat, low, high = (
        ("mu_star", "mu_star_low", "mu_star_high") if morris else ("ST", "ST_low", "ST_high")
    )
    if result.method == "shapley":
        # The first assignment analysed (the registry's in the shipped experiment) speaks.
        shapley = result.shapley
        table = shapley[shapley["assignment"] == shapley["assignment"].iloc[0]]
        stat, low, high = "Sh", "Sh_low", "Sh_high"
    part = table[table["output"] == HEADLINE].sort_values("rank")
    shown = part[part["distinguishable"].astype(bool)]
    what = "input" if result.level == "parameter" else "framework category"
    whats = "inputs" if result.level == "parameter" else "framework categories"

    def effect(row: pd.Series) -> str:
        interval = (
            f"{row[low]:.2g} to {row[high]:.2g}" if morris else f"{row[low]:.0%} to {row[high]:.0%}"
        )
        if morris:
            return f"mu* {row[stat]:.2g} (interval {interval}; sigma {row['sigma']:.2g})"
        if result.method == "shapley":
            return f"a Shapley effect of {row[stat]:.0%} of the variance (interval {interval})"
        return f"{row[stat]:.0%} of the variance with its interactions (interval {interval})"

    # Every distinguishable one: the page shows the first few and counts the rest.
    levers = [f"{row['factor']}: {effect(row)}." for _, row in shown.iterrows()]
    for output in benefit_outputs([o for o in result.outputs if "." not in o]):
        lead = table[(table["output"] == output) & table["distinguishable"].astype(bool)]
        if len(lead):
            top = lead.sort_values("rank").iloc[0]
            levers.append(f"On {header(output)}, {top['factor']} leads: {effect(top)}.")
    if len(shown):
        top = shown.iloc[0]
        answer = (
            f"{top['factor']} moves the {header(HEADLINE)} most: {effect(top)}; {len(shown)} "
            f"of {len(part)} {whats} {'is' if len(shown) == 1 else 'are'} distinguishable from "
            f"{'noise' if morris else 'zero'}."
        )
    else:
        answer = (
            f"No {what} moves the {header(HEADLINE)} more than "
            f"{'noise' if morris else 'chance'} does at this sample size."
        )
    factors = result.factors
    leading = list(shown["factor"])
    assumptions = (
        registry_assumptions(leading)
        if result.level == "parameter"
        else registry_assumptions(factors["name"] if "name" in factors else factors["factor"])
    )
    names = list(result.design.columns)
    runs = result.runs.merge(result.design.assign(row=range(len(result.design))), on="row")
    found = conditions(runs, names, outcome) if outcome.output in runs else None
    method = METHOD_NAMES[result.method]
    joint = dependent_inputs(result)
    rest = len(result.factors) - len(joint)
    drawn = (
        f"Every input varied at once: {len(joint)} calibrated ones drawn jointly from the posterior"
        + (f", the other {rest} uniformly and independently over their ranges" if rest else "")
        if joint
        else "Every input varied at once, uniformly and independently over its documented range"
    )
    return Evidence(
        kind="sensitivity",
        folder=folder,
        subject=f"{method} of {result.subject}",
        question=f"Which {whats} change sharing most in {result.subject}?",
        answer=answer,
        levers=levers,
        conditions=(
            [
                f"Over the runs of the {result.method.capitalize()} design: {line}."
                for line in found.lines(recorded_start(result.provenance, names), BOX_INPUTS_NAMED)
            ]
            if found is not None
            else []
        ),
        limits=[
            f"{drawn} ({provenance_counts(factors)}); a wider range makes an input look more "
            "important.",
            (
                "Screening averages an input's effect over its whole range and over the other "
                "inputs: an effect strong in part of the range can rank low here."
                if morris
                else "Indices split the variance of the expected outcome over these ranges; they "
                "are not effects of a change from today's values."
            ),
        ],
        assumptions=assumptions,
        figure=_figure(folder, f"figures/{result.method}_{result.level}.png"),
        tables={
            "levers.csv": part,
            "assumptions.csv": assumptions,
            **({"conditions.csv": conditions_table({result.subject: found})} if found else {}),
        },
        screening=pd.DataFrame(
            {
                "factor": part["factor"],
                "distinguishable": part["distinguishable"].astype(bool),
                "statistic": part[stat],
                "spread": part["sigma"] if morris else part["ST"] - part["S1"],
            }
        ),
        scenarios=(result.subject,),
    )


__all__ = ["BriefError", "folder_kind", "outputs_of", "read_evidence"]
