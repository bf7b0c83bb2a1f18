"""The calibrated scenario a calibration writes: a TOML extension carrying the joint posterior.

:func:`calibrated_scenario` writes the text and :func:`posterior_table` the table beside it
(``<name>_calibrated.posterior.csv``); :func:`sim.calibration.folder.write_outputs` saves both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import pandas as pd

from sim.calibration.joint import ALL_TARGETS, joint_gain, pass_rates
from sim.calibration.result import Calibration
from sim.calibration.text import fmt, percent
from sim.params import PARAMETERS
from sim.provenance import scenario_reference
from sim.scenarios.toml import dump_toml, extension_toml, posterior_file_lines
from sim.scenarios.values import Span

if TYPE_CHECKING:
    from sim.scenarios import Scenario


def calibrated_name(scenario_name: str) -> str:
    """``sentinel_replay`` -> ``sentinel_calibrated``; other names get ``_calibrated``."""
    if scenario_name.endswith("_replay"):
        return scenario_name[: -len("_replay")] + "_calibrated"
    return f"{scenario_name}_calibrated"


SIGNIFICANT = 6
"""Significant digits of the values in a calibrated scenario's posterior table."""


def _round(value: float, digits: int = 4) -> float:
    return float(f"{value:.{digits}g}")


def _outward(value: float, up: bool, digits: int = 4) -> float:
    """Round ``value`` to ``digits`` significant digits away from the inside of a range.

    Up for an upper end, down for a lower end, so the rounded range still holds the value.
    """
    if value == 0 or not math.isfinite(value):
        return value
    step = 10.0 ** (math.floor(math.log10(abs(value))) - digits + 1)
    rounded = _round((math.ceil if up else math.floor)(value / step) * step, digits)
    if (up and rounded < value) or (not up and rounded > value):
        rounded = _round(rounded + (step if up else -step), digits)
    return rounded


def _joint_rates(result: Calibration) -> dict[str, str]:
    """Return the point estimate's and the defaults' joint rates, with errors, as text.

    The numbers of the report's joint fit (:func:`sim.calibration.joint.joint_gain`).
    """
    rates = pass_rates(result).loc[ALL_TARGETS]
    gain = joint_gain(result)
    runs = {"point": len(result.point), "defaults": len(result.defaults)}
    return {
        source: f"{percent(rates[source])} +/- {percent(gain[f'error_{source}'])} of {count:,} runs"
        if count
        else "no runs"
        for source, count in runs.items()
    }


def posterior_file_name(result: Calibration) -> str:
    """Name the calibrated scenario's posterior table after the scenario."""
    return f"{calibrated_name(result.problem.scenario.name)}.posterior.csv"


def posterior_table(result: Calibration) -> pd.DataFrame:
    """Return the joint posterior as the calibrated scenario ships it.

    :meth:`Calibration.joint_posterior`: ``weight``, the calibrated inputs and the nuisance
    inputs each accepted set was simulated with; values to :data:`SIGNIFICANT` digits (kept
    inside each input's range).
    """
    joint = result.joint_posterior()
    ranges = result.problem.prior | result.problem.nuisance
    columns = {"weight": joint["weight"].map(lambda w: _round(w, SIGNIFICANT))}
    for name in joint.columns.drop("weight"):
        low, high = ranges[str(name)]
        columns[name] = joint[name].map(lambda v: _round(v, SIGNIFICANT)).clip(low, high)
    table = pd.DataFrame(columns)
    return table[table["weight"] > 0].reset_index(drop=True)


def calibrated_scenario(
    result: Calibration, table: pd.DataFrame, targets_file: str | None = None
) -> str:
    """Write the calibrated scenario as TOML text.

    It ``extends`` the calibrated scenario and names the joint posterior ``table``
    (:func:`posterior_table`, written beside it as :func:`posterior_file_name`): every run of
    the scenario draws one whole accepted set from it, calibrated and nuisance inputs
    together, so the posterior's correlations are kept. Each calibrated parameter is also
    restated as a range, the support of its posterior (what sweeps and sensitivity analysis
    vary it over when they set it), with
    the point estimate (the posterior's best-fitting accepted set,
    :mod:`sim.calibration.best_fit`) as default (what a run uses with ``--no-posterior``,
    and the dashboard's live run), provenance ``inferred`` and the calibration as source.
    """
    problem = result.problem
    identification = result.identification()
    gens = result.generations()
    label = targets_file or problem.targets_label
    settings = problem.settings
    fit = result.fit()
    missed = [t for t, r in fit.iterrows() if not r["predictive_met"]]
    point_missed = [
        f"{t} (by {r['point_miss']:.3g})" for t, r in fit.iterrows() if not r["point_met"]
    ]
    summary = (
        f"seed {settings.seed}, {result.runs} runs, {len(gens)} generations, "
        f"final epsilon {result.final.epsilon:.3g} (tolerances), {len(table)} sets, "
        f"ESS {result.final.ess:.0f}"
    )
    not_identified = identification.index[identification["verdict"] == "not identified"]
    joint = _joint_rates(result)
    point_fit, default_fit = joint["point"], joint["defaults"]
    comment = "\n".join(
        [
            f"{calibrated_name(problem.scenario.name)}: {problem.scenario.name} calibrated to "
            f"the targets in {label}.",
            "",
            "Written by `sharesim calibrate` (docs/calibration.md); to change it, re-run the",
            "calibration rather than editing the numbers. Every run draws one weighted set from",
            f"the joint posterior in {posterior_file_name(result)}: the calibrated parameters",
            "with the nuisance inputs the set was accepted with, correlations kept. Each",
            "calibrated parameter is also a range (its posterior's support, what sweeps vary it",
            "over) whose default is the best-fitting accepted posterior set (the one that met",
            "every target at once most often, chosen by successive halving over replicates):",
            "what a run uses with --no-posterior. On fresh seeds it meets every target at once",
            f"in {point_fit}, against {default_fit} at the defaults of",
            f"{problem.scenario.name}.",
            f"Targets hash {problem.targets.content_hash()[:12]}, scenario hash "
            f"{problem.scenario.content_hash()[:12]},",
            f"{summary}.",
            "Not identified by the targets (posterior close to the prior): "
            f"{', '.join(not_identified) or 'none'}.",
            f"Targets the posterior-predictive replay misses: {', '.join(missed) or 'none'}.",
            f"Targets a replay at these defaults misses: {', '.join(point_missed) or 'none'}.",
        ]
    )
    parameters: dict[str, dict[str, object]] = {}
    for name, row in identification.iterrows():
        param = PARAMETERS[str(name)]  # the calibrated inputs are registry parameters
        column = table[str(name)]
        low = max(param.low, _outward(float(column.min()), up=False))
        high = min(param.high, _outward(float(column.max()), up=True))
        parameters[str(name)] = {
            "low": low,
            "high": high,
            "default": min(max(_round(row["point_estimate"]), low), high),
            "provenance": "inferred",
            "source": (
                f"Calibration to {problem.targets.name} (seed {settings.seed}): range the "
                f"posterior's support, default the best-fitting posterior set (every target "
                f"met at once in {point_fit}); "
                f"{row['verdict']} (90% interval {fmt(row['posterior_q05'])} to "
                f"{fmt(row['posterior_q95'])}, interval ratio {row['interval_ratio']:.2f})"
            ),
        }
    name = calibrated_name(problem.scenario.name)
    description = (
        f"{problem.scenario.name} with parameters drawn from the posterior of a calibration "
        f"to {problem.targets.name}."
    )
    posterior = {
        "file": posterior_file_name(result),
        "source": f"ABC-SMC calibration to {problem.targets.name} ({summary})",
    }
    if scenario_reference(problem.scenario) == problem.scenario.name:
        # A shipped scenario: extended by name, it loads wherever the file is put.
        return extension_toml(
            name, description, problem.scenario.name, parameters, posterior, comment
        )
    return _whole_scenario(problem.scenario, name, description, parameters, posterior, comment)


def _whole_scenario(
    scenario: Scenario,
    name: str,
    description: str,
    parameters: Mapping[str, Mapping[str, object]],
    posterior: Mapping[str, str],
    comment: str,
) -> str:
    """Return the calibrated version of a scenario file as a file that stands alone.

    A file may extend only files in its own folder, and the calibrated scenario is written
    into the calibration's folder (and wherever ``--write-scenario`` says): it holds the
    scenario as it was calibrated, resolved, with the calibrated parameters set over it.
    """
    spans = {key: Span[float].model_validate(dict(value)) for key, value in parameters.items()}
    spec = scenario.spec.model_copy(
        update={
            "name": name,
            "description": description,
            "parameters": MappingProxyType({**scenario.spec.parameters, **spans}),
            "posterior": None,
        }
    )
    table = ["", *posterior_file_lines(posterior)]
    whole = (
        f"It holds {scenario.name} whole, resolved as it was calibrated, with the calibrated "
        "parameters set over it: a scenario file extends only files in its own folder."
    )
    return dump_toml(spec, f"{comment}\n{whole}") + "\n".join(table) + "\n"
