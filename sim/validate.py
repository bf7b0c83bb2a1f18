"""Checking any input file without running it: which kind of file it is, and what it holds.

``sharesim validate`` reads a scenario, a sweep or sensitivity experiment, a calibration
experiment, a targets file or a partner table (``.csv``, for ``sharesim new``) through the
loader its own command uses, so what passes here is what that command accepts; a targets file
is checked against its scenario as ``sharesim calibrate`` checks it with the standard
settings, and a calibration experiment that names a scenario against that scenario (one that
does not is checked against a targets file's when ``calibrate`` pairs them). Nothing runs. A
problem is the loader's :class:`~sim.inputs.FileError`, every problem found kept. An
experiment of more runs than the commands start unasked is valid, and said to need ``--yes``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from sim.errors import InputError
from sim.inputs import did_you_mean, read_toml
from sim.limits import CONFIRM_RUNS_ABOVE
from sim.shipped import EXPERIMENTS, SCENARIOS, find, is_path

Kind = Literal["scenario", "sweep", "sensitivity", "calibration", "targets", "partners"]
"""The kinds of input file, by the command that reads them (a partner table: ``new``)."""


def kind_of(document: Mapping[str, Any]) -> Kind:
    """Return the kind of input file ``document`` (a TOML document) is, by its tables.

    A ``[sensitivity]`` table makes a sensitivity experiment, ``[[targets]]`` a targets file,
    a ``[design]`` or a list of ``scenarios`` a sweep experiment; a file with no key of a
    scenario file's (misspelt settings included) is a calibration experiment, and anything
    else a scenario.
    """
    # Start-up time: the schemas (pydantic) load only when a file is checked.
    from sim.scenarios.schema import ScenarioFile

    if "sensitivity" in document:
        return "sensitivity"
    if "targets" in document:
        return "targets"
    if "design" in document or "scenarios" in document:
        return "sweep"
    if document and not set(document) & set(ScenarioFile.model_fields):
        return "calibration"
    return "scenario"


def check(reference: str) -> str:
    """Check the input file ``reference`` names and return what it holds, in one line.

    Parameters
    ----------
    reference : str
        A shipped scenario's or experiment's name, or a file's path.

    Raises
    ------
    InputError
        A :class:`~sim.inputs.FileError` naming the file, the field and the problem (with
        every problem found), or a missing file or unknown name.
    """
    kind = _kind(reference)
    return f"{reference}: valid {_DESCRIBE[kind](reference)}"


def _kind(reference: str) -> Kind:
    # Start-up time: what a scenario needs loads only when one is checked.
    from sim.scenarios.error import ScenarioError
    from sim.scenarios.locate import locate

    if Path(reference).suffix.lower() == ".csv":  # the one input file that is no TOML
        return "partners"
    if is_path(reference):
        return kind_of(read_toml(Path(reference), what="input file")[0])
    try:
        locate(reference)
    except ScenarioError as error:
        if error.file != reference:
            raise  # not the name: where scenarios are looked for (a folder listed that is not)
        if EXPERIMENTS.unknown(reference) is not None:
            names = [*SCENARIOS.names(), *EXPERIMENTS.names()]
            raise InputError(
                f"{reference}: no shipped scenario or experiment named {reference!r}"
                f"{did_you_mean(reference, names)}; a file is named by its path"
            ) from None
        source, label = find(reference, EXPERIMENTS, ScenarioError)
        return kind_of(read_toml(source, label)[0])
    return "scenario"


def _scenario(reference: str) -> str:
    # Start-up time: each kind's loader is imported when a file of that kind is checked.
    from sim.scenarios import Scenario

    scenario = Scenario.load(reference)
    scenario.compile()
    return f"scenario {scenario.name!r}: {scenario.outline()}"


def _sweep(reference: str) -> str:
    # Start-up time: each kind's loader is imported when a file of that kind is checked.
    from sim.sweep.experiment import load_experiment

    experiment = load_experiment(reference, force=True)
    plan = experiment.plan()
    return (
        f"sweep experiment {experiment.name!r}: {_count(len(plan.scenarios), 'scenario')} x "
        f"{_count(max(len(plan.design), 1), 'design row')} x "
        f"{_count(plan.replicates, 'replicate')} = {_runs(plan.total)}"
    )


def _sensitivity(reference: str) -> str:
    # Start-up time: each kind's loader is imported when a file of that kind is checked.
    from sim.sensitivity.experiment_file import load_sensitivity_experiment

    experiment = load_sensitivity_experiment(reference, force=True)
    settings = experiment.settings
    return (
        f"sensitivity experiment {experiment.name!r}: {experiment.method.capitalize()} of "
        f"{experiment.scenario.name!r} over {_count(len(experiment.factors), 'input')}, "
        f"{_count(experiment.design_rows, 'design row')} x "
        f"{_count(settings.replicates, 'replicate')} = {_runs(experiment.runs)}"
    )


def _calibration(reference: str) -> str:
    # Start-up time: each kind's loader is imported when a file of that kind is checked.
    from sim.calibration.problem import prior_of, settings_scenario
    from sim.calibration.settings import load_settings

    settings = load_settings(reference, force=True)
    scenario = settings_scenario(settings, where=reference)
    of = ""
    if scenario is not None:
        prior_of(settings, scenario, where=reference)
        of = f" of scenario {scenario.name!r}"
    return (
        f"calibration experiment: {_count(len(settings.inputs), 'input')}{of} calibrated, at "
        f"most {_runs(settings.planned_runs)} ({settings.runs_counted()})"
    )


def _targets(reference: str) -> str:
    # Start-up time: each kind's loader is imported when a file of that kind is checked.
    from sim.calibration.problem import prepare

    problem = prepare(reference)
    targets = problem.targets
    return (
        f"targets file {targets.name!r}: {_count(len(targets.targets), 'target')}, "
        f"{_count(len(targets.constraints), 'constraint')}, for scenario "
        f"{problem.scenario.name!r}"
    )


def _partners(reference: str) -> str:
    # Start-up time: each kind's loader is imported when a file of that kind is checked.
    from sim.scenarios.partner_table import read_partner_table

    table = read_partner_table(reference)
    kinds = Counter(str(row.cells["kind"]) for row in table.rows)  # in the table's order
    counted = ", ".join(_count(n, kind) for kind, n in kinds.items())
    return f"partner table: {_count(len(table.rows), 'partner')} ({counted})"


_DESCRIBE: Mapping[Kind, Callable[[str], str]] = {
    "scenario": _scenario,
    "sweep": _sweep,
    "sensitivity": _sensitivity,
    "calibration": _calibration,
    "targets": _targets,
    "partners": _partners,
}


def _runs(n: int) -> str:
    """``180 runs``; beyond what the commands start unasked, with the option that starts it."""
    note = f" (more than {CONFIRM_RUNS_ABOVE:,}: the command needs --yes)"
    return _count(n, "run") + (note if n > CONFIRM_RUNS_ABOVE else "")


def _count(n: int, thing: str) -> str:
    """``1 run``, ``2,048 runs``."""
    return f"{n:,} {thing}{'' if n == 1 else 's'}"
