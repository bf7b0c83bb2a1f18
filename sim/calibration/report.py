"""The calibration report: what a calibration found, for analysts, as Markdown.

:func:`sim.calibration.folder.write_outputs` writes it (and its HTML page) into the
calibration's folder beside the figures (:mod:`sim.calibration.figures`) and the calibrated
scenario (:mod:`sim.calibration.calibrated`).
"""

from __future__ import annotations

import pandas as pd

from sim.calibration.checks import OUTPUT_CHECKS
from sim.calibration.findings import FIRM_FROM, Findings
from sim.calibration.joint import ALL_TARGETS, UNINFORMATIVE_ABOVE
from sim.calibration.precision import FEWEST_KEPT, LEARNT_BELOW
from sim.calibration.result import WEAKLY_BELOW, Calibration
from sim.calibration.text import fmt, interval, percent, table

RELIABLE_ESS = 100
"""Posterior effective sample size below which the report warns that intervals are rough."""


def fit_lines(result: Calibration) -> list[str]:
    """Plain sentences: each target met or missed, and by how much."""
    lines = []
    for column, row in result.fit().iterrows():
        band = f"{fmt(row['predictive_q05'])} to {fmt(row['predictive_q95'])}"
        verdict = (
            "meets it"
            if row["predictive_met"]
            else f"misses it by {fmt(row['predictive_miss'])} "
            f"({fmt(row['predictive_miss'] / row['tolerance'])} tolerances)"
        )
        lines.append(
            f"`{column}` (target {interval(row['low'], row['high'])} +/- "
            f"{fmt(row['tolerance'])}, {row['source']}, {row['strength']}): posterior-predictive "
            f"median {fmt(row['predictive_median'])} (5-95%: {band}), {verdict}; "
            f"{row['predictive_meets']:.0%} of runs within tolerance. Point estimate: median "
            f"{fmt(row['point_median'])}, "
            + ("meets it." if row["point_met"] else f"misses by {fmt(row['point_miss'])}.")
        )
    return lines


def report_markdown(
    result: Calibration, seconds: float | None = None, findings: Findings | None = None
) -> str:
    """Write the calibration report as Markdown (``findings`` computed when not given)."""
    findings = findings or Findings.of(result)
    problem = result.problem
    settings = problem.settings
    screening = result.screening
    identification = result.identification()
    fit = result.fit()
    gens = result.generations()
    targets_rows = pd.DataFrame(
        [
            {
                "target": t.id,
                "statistic": t.statistic
                + (f" ({', '.join(t.partners)})" if t.partners else "")
                + (f" at {t.at}" if t.at else "")
                + (f" and {t.then}" if t.then else ""),
                "value": interval(*t.interval),
                "tolerance": t.tolerance,
                "source": t.source,
                "strength": t.strength,
                "prior_meets": findings.rates.loc[t.id, "prior"],
                "uninformative": findings.rates.loc[t.id, "uninformative"],
            }
            for t in problem.targets.targets
        ]
    ).set_index("target")
    fit_view = fit[
        [
            "low",
            "high",
            "tolerance",
            "predictive_median",
            "predictive_q05",
            "predictive_q95",
            "predictive_meets",
            "predictive_met",
            "predictive_miss",
            "point_median",
            "point_met",
            "point_miss",
        ]
    ].rename(columns={"predictive_meets": "share_runs_within"})
    ident_view = identification[
        [
            "prior_low",
            "prior_high",
            "posterior_median",
            "posterior_q05",
            "posterior_q95",
            "interval_ratio",
            "verdict",
        ]
    ]
    top = result.influence.head(15)
    influence_view = top[["strongest"]].assign(
        calibrated=[name in problem.prior for name in top.index]
    )
    seconds = result.wall_seconds if seconds is None else seconds
    time_text = f"{seconds:.0f} s"
    constraints = [
        f"- `{c.id}` ({c.source}, {c.strength}): {c.description}. Checked: `{c.parameter}` is "
        + (
            f"sampled on [{fmt(problem.prior[c.parameter][0])}, "
            f"{fmt(problem.prior[c.parameter][1])}]"
            if c.parameter in problem.prior
            else "held inside its range"
        )
        + (f", above {c.above:g}" if c.above is not None else "")
        + (f", below {c.below:g}" if c.below is not None else "")
        + " everywhere: a prior constraint, not a fitted statistic."
        for c in problem.targets.constraints
    ]
    parts = [
        f"# Calibration of {problem.scenario.name} to {problem.targets.name}",
        "",
        problem.targets.description + ".",
        "",
        f"Targets file `{problem.targets_label}`; scenario `{problem.scenario.name}` "
        f"(hash {problem.scenario.content_hash()[:12]}); seed {settings.seed}; "
        f"{result.runs} model runs; wall time {time_text}.",
        f"Calibrated inputs ({len(problem.inputs)}): {', '.join(problem.inputs)}. "
        + (
            f"The other {len(problem.nuisance)} uncertain inputs of the scenario are drawn from "
            "their ranges for every parameter set (marginalised, not fitted)."
            if settings.nuisance == "prior"
            else "The other uncertain inputs are held at the scenario's defaults."
        ),
        "",
        "## In short",
        "",
        f"- Screening ruled out {screening.ruled_out:.0%} of the prior "
        f"({len(screening.design)} Latin-hypercube points, implausibility cut-off "
        f"{settings.cutoff:g}).",
        f"- ABC-SMC: {len(gens)} generations, final epsilon {result.final.epsilon:.3g} "
        f"tolerances (floor {settings.epsilon_floor:g}), {len(result.final.weights)} "
        f"accepted parameter sets, effective sample size {result.final.ess:.0f}.",
        *(
            [
                f"- **Caution**: the posterior's effective sample size is {result.final.ess:.0f}; "
                f"below {RELIABLE_ESS} the intervals and verdicts below are rough (too few "
                "particles)."
            ]
            if result.final.ess < RELIABLE_ESS
            else []
        ),
        *_uninformative_lines(findings),
        "",
        "Each conclusion below states the share of bootstrap resamples of the posterior (its "
        "particles for intervals, its posterior-predictive draws for fit) in which it holds; "
        f"one holding in fewer than {FIRM_FROM:.0%} is worded as open.",
        "",
        *(h.line() for h in findings.headlines()),
        "",
        "## Targets",
        "",
        table(targets_rows),
        "",
        *[f"- `{t.id}`: {t.note}" for t in problem.targets.targets if t.note],
        "",
        "Prior constraints:",
        "",
        *constraints,
        "",
        *_condition_lines(result),
        *_joint_lines(result, findings),
        "## Fit per target",
        "",
        *[f"- {line}" for line in fit_lines(result)],
        "",
        "Posterior predictive: whole sets drawn from the joint posterior by weight (the "
        "calibrated inputs with the other inputs they were accepted with). Point estimate: "
        "the calibrated scenario at its defaults (the accepted posterior parameter set that "
        "met every target at once most often, other inputs at their defaults; see the joint "
        "fit above), which is what `sharesim run --no-posterior` shows. A target is met when "
        "the median run is within one tolerance of it.",
        "",
        table(fit_view),
        "",
        "![predictive_targets](figures/predictive_targets.png)",
        "",
        "![partner_bands](figures/partner_bands.png)",
        "",
        "![predictive_partners](figures/predictive_partners.png)",
        "",
        *_out_of_sample_lines(result, findings),
        "## What the evidence identifies",
        "",
        "Interval ratio: width of the posterior 90% interval over the width of the prior's 90% "
        f"interval. Below {WEAKLY_BELOW:.1f}: identified; up to {settings.not_identified_above:g}: "
        "weakly identified; above: not identified by these targets.",
        "",
        table(ident_view),
        "",
        *_ratio_lines(findings),
        *_information_lines(findings),
        "![marginals](figures/marginals.png)",
        "",
        "![pairwise](figures/pairwise.png)",
        "",
        "## Screening and generations",
        "",
        "Share of the screening wave each target rules out: "
        + ", ".join(f"`{k}` {v:.0%}" for k, v in screening.ruled_out_by().items())
        + ".",
        "",
        "Inputs that move the target statistics most over the screening wave (largest absolute "
        "Spearman correlation with any target statistic):",
        "",
        table(influence_view, 2),
        "",
        table(gens),
        "",
        "![progress](figures/progress.png)",
        "",
        "## Caveats",
        "",
        "- The evidence is a handful of qualitative patterns from one thesis; each target's "
        "number and tolerance is a reading of a sentence (see the notes above). A different "
        "reading moves the posterior.",
        "- The posterior is conditional on the model's structure: a parameter that is "
        "identified here is identified *given the rules of the model*, not proven in the world.",
        "- Parameters marked not identified should be treated as unknown: scenario comparisons "
        "that depend on them need a sensitivity analysis, not the calibrated default.",
        "- The calibrated scenario draws whole parameter sets from the posterior, so it keeps "
        "the correlations (pairwise figure); its parameter ranges, the posterior's support, "
        "are independent, so a sweep or sensitivity analysis that sets a parameter itself "
        "explores that range without them.",
        "",
    ]
    return "\n".join(parts)


def _uninformative_lines(findings: Findings) -> list[str]:
    flagged = [str(t) for t, row in findings.rates.iterrows() if row["uninformative"]]
    if not flagged:
        return [
            f"- No target is met by more than {UNINFORMATIVE_ABOVE:.0%} of the prior's runs: "
            "each carries information."
        ]
    return [
        f"- **Uninformative** (met by more than {UNINFORMATIVE_ABOVE:.0%} of the prior's runs, "
        f"so it constrains little): {', '.join(f'`{t}`' for t in flagged)}."
    ]


def _condition_lines(result: Calibration) -> list[str]:
    conditions = result.problem.targets.conditions
    if not conditions:
        return []
    return [
        "Conditions of the scenario (patterns every run meets by construction: documented, "
        "not fitted):",
        "",
        *(
            f"- `{c.id}` ({c.source}, {c.strength}): {c.description}. Held by: {c.held_by}."
            + (f" {c.note}." if c.note else "")
            for c in conditions
        ),
        "",
    ]


def _joint_lines(result: Calibration, findings: Findings) -> list[str]:
    rates = findings.rates
    view = rates[[c for c in ("prior", "defaults", "posterior", "point") if c in rates]]
    counts = ", ".join(
        f"{c.removeprefix('runs_')} {int(rates[c].iloc[0])}" for c in rates if c.startswith("runs_")
    )
    joint = rates.loc[ALL_TARGETS]
    gain = findings.gain
    rated = ", ".join(
        f"{source} {percent(joint[source])} +/- {percent(gain[f'error_{source}'])}"
        for source in ("prior", "defaults", "posterior", "point")
        if source in joint
    )
    return [
        "## Joint fit",
        "",
        "Share of runs meeting each target within tolerance, and all of them at once "
        f"(`{ALL_TARGETS}`): under the prior (the screening wave), at the scenario's own "
        "defaults, under the posterior (posterior-predictive replay) and at the point "
        f"estimate. Runs: {counts}.",
        "",
        table(view),
        "",
        f"Jointly, with Monte Carlo errors: {rated}. The posterior's joint rate exceeds "
        f"the defaults' in {gain['over_defaults']:.0%} and the prior's in "
        f"{gain['over_prior']:.0%} of bootstrap resamples; the point estimate's exceeds the "
        f"defaults' in {gain['point_over_defaults']:.0%} and the prior's in "
        f"{gain['point_over_prior']:.0%}.",
        "",
        *_selection_lines(result),
    ]


def _selection_lines(result: Calibration) -> list[str]:
    """How the point estimate was chosen, and what its own runs say of it."""
    selection = result.selection
    if selection.empty:
        return []
    chosen = selection.loc[selection["chosen"]].iloc[0]
    schedule = result.problem.settings.best_fit_schedule
    per_round = ", ".join(
        f"{alive} x {replicates}" for alive, replicates in schedule.rounds(len(selection))
    )
    return [
        "**The point estimate** is the posterior's accepted set that met every target at "
        f"once most often: of its {len(selection)} distinct sets, each ran "
        f"{schedule.first} times, the best {schedule.keep:.0%} went on with "
        f"{schedule.growth} times the runs, and so on until {schedule.finalists} or fewer "
        f"remained (candidates x runs per round: {per_round}; "
        f"{int(selection['runs'].sum()):,} runs). The chosen set met every target in "
        f"{percent(chosen['rate'])} of its {int(chosen['runs'])} selection runs, a rate biased "
        "upward by the choice; the rate reported above is from "
        f"{len(result.point)} runs on seeds of their own.",
        "",
    ]


def _ratio_lines(findings: Findings) -> list[str]:
    view = findings.ratios[
        ["interval_ratio", "mc_error", "q05", "q95", "verdict", "verdict_holds", "learnt_holds"]
    ]
    return [
        "Monte Carlo error of each interval ratio: the standard deviation over bootstrap "
        "resamples of the posterior's particles (q05, q95: the resampled ratios' 90% range; "
        "`verdict_holds`: share of resamples giving the same verdict; `learnt_holds`: share "
        f"with a ratio at most {LEARNT_BELOW}).",
        "",
        table(view),
        "",
    ]


def _information_lines(findings: Findings) -> list[str]:
    information = findings.information
    if information.empty:
        return []
    best = information.sort_values("expected").groupby("input", sort=False).head(1)
    best = best[best["expected"] < best["control"]].head(8)
    view = best.set_index("input")[
        ["observation", "now", "expected", "mc_error", "control", "kept"]
    ]
    return [
        "## Value of information",
        "",
        f"No parameter is narrowed to {LEARNT_BELOW} of its prior interval. Which additional "
        "observation would narrow which parameter? Each candidate observation is simulated "
        "from the posterior-predictive runs: each of up to 200 runs in turn plays the observed "
        "world, the runs within the observation's tolerance of it are kept (at least "
        f"{FEWEST_KEPT}), and their parameters' 90% interval is set against the prior's. "
        "`expected`: mean ratio after the observation (with its standard error); `now`: the "
        "ratio of the same runs before it; `control`: random subsets of the same size (the "
        "narrowing a smaller sample alone would show). Per parameter, the most informative "
        "observation that beats its control:",
        "",
        table(view),
        "",
        "All candidates and parameters are in `value_of_information.csv`.",
        "",
    ]


def _out_of_sample_lines(result: Calibration, findings: Findings) -> list[str]:
    left = findings.left_out[
        ["low", "high", "tolerance", "accepted", "median", "q05", "q95", "meets", "prior_meets"]
    ]
    covered = findings.left_out["covers"]
    outputs = findings.outputs.reset_index()
    outputs.index = outputs["check"] + " / " + outputs["source"]
    outputs = outputs[["evidence", "median", "q05", "q95", "within"]]
    return [
        "## Out-of-sample checks",
        "",
        "**Leave one target out.** For each target, the calibration without it (rejection "
        "over the screening wave: prior runs meeting every other target within tolerance, "
        f"`accepted`) predicts its statistic (median and 5-95%), against the evidence (`low`, "
        "`high`, `tolerance`); `meets`: share of those runs meeting the left-out target, "
        "`prior_meets`: the same over all prior runs. The predictive interval reaches the "
        f"evidence for {int(covered.sum())} of {len(covered)} statistics"
        + (
            "; not for " + ", ".join(f"`{c}`" for c in covered.index[~covered]) + "."
            if not covered.all()
            else "."
        ),
        "",
        table(left),
        "",
        "**Outputs not used as targets.** Posterior-predictive runs, the point estimate and "
        "the scenario's defaults against what the evidence says of outputs the calibration "
        "never saw (`within`: share of runs inside the evidence's range):",
        "",
        table(outputs),
        "",
        *(f"- `{c.id}` ({c.source}): {c.reading}." for c in OUTPUT_CHECKS),
        "",
        f"Per-partner trajectories of the posterior-predictive runs: the figures above "
        f"(partner bands and quarterly shares, {len(result.predictive)} runs).",
        "",
    ]


__all__ = ["fit_lines", "report_markdown"]
