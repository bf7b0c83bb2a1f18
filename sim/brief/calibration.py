"""Read a calibration's folder into the :class:`~sim.brief.evidence.Evidence` of a brief.

Whether the calibrated runs meet the evidence's targets together, and how often against the
scenario's defaults and the prior; what the targets taught about each calibrated input; how
far that holds (the posterior's size, the targets missed, the checks out of sample); and which
of the inputs held at their defaults are assumed. Only the folder's tables and manifest are
read (:mod:`sim.calibration.folder`); nothing is run again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from scipy.stats import binomtest

from sim import durable
from sim.brief.evidence import Evidence, registry_assumptions
from sim.calibration.abc import ess
from sim.calibration.findings import JOINT, POINT
from sim.calibration.folder import TABLES
from sim.calibration.precision import LEARNT_BELOW
from sim.calibration.report import RELIABLE_ESS
from sim.conclusion import FIRM_FROM
from sim.errors import InputError
from sim.names import header
from sim.params import PARAMETERS
from sim.provenance import scenario_of_record
from sim.sensitivity.factors import scenario_factors

FIGURE = "figures/predictive_targets.png"
"""The calibration's figure a brief shows: each target statistic's runs against the target."""

INTERVAL = 0.9
"""Confidence of the interval around the share of calibrated runs meeting every target."""


class CalibrationBriefError(InputError):
    """A calibration folder whose report tables are missing or unreadable (one line)."""


def read_calibration(folder: Path, manifest: dict[str, Any], outcome: object = None) -> Evidence:
    """Read a calibration folder; ``outcome`` is not asked of a calibration.

    Raises
    ------
    CalibrationBriefError
        A report table missing (a folder of an earlier version) or unreadable.
    """
    tables = _tables(folder)
    joint = tables["joint_fit.csv"].set_index("target")
    ratios = tables["interval_ratios.csv"].set_index("input")
    scenario = str(manifest.get("scenario", "the scenario"))
    targets = str(manifest.get("targets", "its targets"))
    fitted = [str(n) for n in manifest.get("inputs", ratios.index)]
    n_targets = len(joint.index.drop(JOINT, errors="ignore"))
    assumptions = _held_assumptions(manifest, fitted)
    return Evidence(
        kind="calibrate",
        folder=folder,
        subject=f"calibration of {scenario} to {targets}",
        question=(
            f"Do calibrated runs of {scenario} meet the {n_targets} targets the evidence sets "
            f"({targets}) together, and what do the targets teach about its {len(fitted)} "
            "calibrated inputs?"
        ),
        answer=joint_answer(
            joint, tables["conclusions.csv"], n_targets, _replicates_per_draw(manifest)
        ),
        levers=learnt_lines(ratios, tables["value_of_information.csv"]),
        limits=limit_lines(posterior_ess(folder), tables),
        assumptions=assumptions,
        figure=(folder / FIGURE) if (folder / FIGURE).is_file() else None,
        tables={
            "fit.csv": tables["fit.csv"],
            "learnt.csv": tables["interval_ratios.csv"],
            "conclusions.csv": tables["conclusions.csv"],
            "leave_one_target_out.csv": tables["leave_one_target_out.csv"],
            "output_checks.csv": tables["output_checks.csv"],
            "assumptions.csv": assumptions,
        },
        scenarios=(scenario,),
    )


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Read the report tables of a calibration folder (:data:`sim.calibration.folder.TABLES`)."""
    found = {}
    for name in TABLES:
        path = folder / name
        if not path.is_file():
            raise CalibrationBriefError(
                f"{durable.shown(folder)}: no {name}, so an earlier version of sharesim "
                "wrote it; a calibration run again (sharesim calibrate) writes every table a "
                "brief reads"
            )
        try:
            found[name] = pd.read_csv(path)
        except pd.errors.EmptyDataError:
            found[name] = pd.DataFrame()
        except (OSError, ValueError) as error:
            raise CalibrationBriefError(
                f"{durable.shown(path)}: not a readable table ({error})"
            ) from None
    return found


def share_interval(share: float, count: int, confidence: float = INTERVAL) -> tuple[float, float]:
    """Return the exact (Clopper-Pearson) interval of a share of ``count`` trials."""
    hits = round(share * count)
    found = binomtest(hits, count).proportion_ci(confidence_level=confidence, method="exact")
    return float(found.low), float(found.high)


def posterior_ess(folder: Path) -> float:
    """Return the effective sample size of the posterior's weights (``posterior.parquet``)."""
    try:
        weights = pd.read_parquet(folder / "posterior.parquet", columns=["weight"])["weight"]
    except (OSError, ValueError, KeyError) as error:
        raise CalibrationBriefError(
            f"{durable.shown(folder / 'posterior.parquet')}: not a readable posterior ({error})"
        ) from None
    return ess(weights.to_numpy(dtype=float))


def _replicates_per_draw(manifest: dict[str, Any]) -> int:
    settings = manifest.get("identity", {}).get("settings", {})
    return max(1, int(settings.get("predictive_replicates", 1)))


def joint_answer(
    joint: pd.DataFrame, conclusions: pd.DataFrame, n_targets: int, replicates: int = 1
) -> str:
    """Say how often calibrated runs meet every target, against the defaults and the prior.

    With the interval of the posterior-predictive share and whether meeting them more often
    than both holds in at least :data:`~sim.conclusion.FIRM_FROM` of the resamples; then the
    same of the point estimate, where the calibration ran it. The runs of one posterior draw
    (``replicates`` of them) share its parameters, so the interval counts draws, not runs:
    exact when a draw's runs agree, wider than needed when not.
    """
    row = joint.loc[JOINT]
    draws = int(row["runs_posterior"]) // replicates
    interval = ""
    if draws > 0:
        low, high = share_interval(float(row["posterior"]), draws)
        interval = (
            f" ({low:.0%} to {high:.0%}, the {INTERVAL:.0%} interval over its {draws} draws "
            "from the posterior)"
        )
    said = (
        f"Calibrated runs meet all {n_targets} targets at once in {row['posterior']:.0%} of "
        f"posterior-predictive runs{interval}, against {row['defaults']:.0%} at the "
        f"scenario's defaults and {row['prior']:.0%} under the prior"
    )
    said += _against_both(row, "posterior", _holds(conclusions, JOINT), " of the posterior")
    runs = int(row.get("runs_point", 0) or 0)
    if runs > 0 and pd.notna(row.get("point")):
        low, high = share_interval(float(row["point"]), runs)
        said += (
            f" The point estimate (the best-fitting posterior set, what `sharesim run "
            f"--no-posterior` runs) meets them in {row['point']:.0%} of its {runs} runs "
            f"({low:.0%} to {high:.0%})"
        ) + _against_both(row, "point", _holds(conclusions, POINT), "")
    return said


def _holds(conclusions: pd.DataFrame, about: str) -> float | None:
    """Return the share of resamples in which the conclusion ``about`` holds, if there is one."""
    found = conclusions[conclusions["about"] == about] if "about" in conclusions else conclusions
    return float(found["holds"].iloc[0]) if len(found) else None


def _against_both(row: pd.Series, source: str, holds: float | None, of: str) -> str:
    """End a sentence on ``source``'s rate with whether it beats the defaults and the prior."""
    if holds is None:
        return "."
    if holds >= FIRM_FROM:
        return f": more often than both, in {holds:.0%} of resamples{of}."
    rates = {"the defaults": row["defaults"], "the prior": row["prior"]}
    beaten_by = [name for name, rate in rates.items() if rate >= row[source]]
    if holds <= 1 - FIRM_FROM and beaten_by:
        return (
            f": {' and '.join(beaten_by)} meet them at least as often (more often than both "
            f"holds in only {holds:.0%} of resamples{of})."
        )
    return (
        f"; whether that is more often than both is open (it holds in {holds:.0%} of "
        f"resamples, below {FIRM_FROM:.0%})."
    )


def learnt_lines(ratios: pd.DataFrame, information: pd.DataFrame) -> list[str]:
    """Say what the targets taught: each input narrowed, narrowest first, then the rest.

    Where no input is learnt, the observations expected to teach most come next.
    """
    learnt = ratios[ratios["learnt"].astype(bool)].sort_values("interval_ratio")
    lines = []
    for name, row in learnt.iterrows():
        open_ = (
            f"; open, it holds in {row['learnt_holds']:.0%} of resamples"
            if row["learnt_holds"] < FIRM_FROM
            else ""
        )
        lines.append(
            f"{name}: narrowed to {row['interval_ratio']:.2f} of its prior interval "
            f"(resamples {row['q05']:.2f} to {row['q95']:.2f}){open_}."
        )
    rest = len(ratios) - len(learnt)
    if rest:
        some = "The other" if len(learnt) else "All"
        lines.append(
            f"{some} {rest} calibrated inputs keep more than {LEARNT_BELOW} of their prior "
            "interval: the targets teach little about them (`learnt.csv`)."
            if rest > 1
            else f"{'The other' if len(learnt) else 'The'} calibrated input keeps more than "
            f"{LEARNT_BELOW} of its prior interval: the targets teach little about it."
        )
    if not information.empty and len(learnt) == 0:
        best = information.sort_values("expected").iloc[0]
        lines.append(
            f"Observing {best['observation']} would teach most: {best['input']} narrowed to "
            f"{best['expected']:.2f} of its prior interval (now {best['now']:.2f})."
        )
    return lines


def limit_lines(ess: float, tables: dict[str, pd.DataFrame]) -> list[str]:
    """Say how far the calibration's conclusions hold, the gravest first.

    ``ess`` is the posterior's effective sample size.
    """
    lines = []
    if ess < RELIABLE_ESS:
        lines.append(
            f"The posterior's effective sample size is {ess:.0f}; below {RELIABLE_ESS} its "
            "intervals and verdicts are rough: a larger calibration settles them."
        )
    fit = tables["fit.csv"]
    missed = list(fit.loc[~fit["predictive_met"].astype(bool), "target"])
    lines.append(
        f"The median posterior-predictive run misses {_names(missed)} (`fit.csv`)."
        if missed
        else "The median posterior-predictive run meets every target within its tolerance."
    )
    left_out = tables["leave_one_target_out.csv"]
    if len(left_out):
        covered = int(left_out["covers"].astype(bool).sum())
        lines.append(
            f"Out of sample: fitted to the other targets, the runs reach {covered} of "
            f"{len(left_out)} target statistics left out in turn."
        )
    checks = tables["output_checks.csv"]
    posterior = checks[checks["source"] == "posterior"] if len(checks) else checks
    for _, row in posterior.iterrows():
        lines.append(
            f"Not fitted: the {header(row['check'])} is within the evidence, {row['evidence']}, "
            f"in {row['within']:.0%} of posterior-predictive runs."
        )
    conclusions = tables["conclusions.csv"]
    open_ = int((~conclusions["firm"].astype(bool)).sum()) if len(conclusions) else 0
    if open_:
        lines.append(
            f"{open_} of {len(conclusions)} conclusions hold in fewer than {FIRM_FROM:.0%} of "
            "resamples and are open (`conclusions.csv`)."
        )
    return lines


def _names(names: list[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def _held_assumptions(manifest: dict[str, Any], fitted: list[str]) -> pd.DataFrame:
    """Return the inputs held at the scenario's defaults that no evidence pins."""
    fitted_or_nuisance = {*fitted, *map(str, manifest.get("nuisance_inputs", []))}
    identity = manifest.get("identity", {})
    scenario = scenario_of_record(
        {"scenario": manifest.get("scenario"), "scenario_hash": identity.get("scenario_hash")}
    )
    names = (
        [factor.name for factor in scenario_factors(scenario, scenario_inputs=False)]
        if scenario is not None
        else list(PARAMETERS)
    )
    return registry_assumptions(n for n in names if n not in fitted_or_nuisance)
