"""A calibration problem, checked whole before any run, and the designs drawn from it.

The targets, the scenario, the calibrated inputs with their priors and the nuisance inputs,
all checked against each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.settings import CalibrationSettings, SettingsError
from sim.calibration.statistics import TargetStatistics
from sim.calibration.targets import SHIPPED, TargetsError, TargetSet, load_targets
from sim.errors import InputError
from sim.inputs import Problem as FileProblem  # this module's Problem is a calibration's
from sim.scenarios import Scenario
from sim.seeds import stage_draws_rng
from sim.sweep.version import model_version

FORMAT = "sharesim-calibration/2"
"""Version of a calibration folder's layout, part of its identity."""


@dataclass(frozen=True)
class Problem:
    """A calibration problem, checked: targets, scenario, inputs and their priors.

    Attributes
    ----------
    targets : TargetSet
        The targets.
    targets_label : str
        Where they came from (for messages).
    settings : CalibrationSettings
        Budget, inputs, seed.
    scenario : Scenario
        The scenario calibrated.
    prior : dict of str to (low, high)
        Uniform prior range of each calibrated input.
    nuisance : dict of str to (low, high)
        Ranges of the scenario's other uncertain inputs (drawn when ``nuisance == "prior"``).
    statistics : TargetStatistics
        The target statistics of this scenario's runs.
    """

    targets: TargetSet
    targets_label: str
    settings: CalibrationSettings
    scenario: Scenario
    prior: dict[str, tuple[float, float]]
    nuisance: dict[str, tuple[float, float]]
    statistics: TargetStatistics

    @property
    def inputs(self) -> tuple[str, ...]:
        """Calibrated inputs, in order."""
        return tuple(self.prior)

    def identity(self) -> dict[str, Any]:
        """Return what must match for a folder to be resumed."""
        return {
            "format": FORMAT,
            "targets_hash": self.targets.content_hash(),
            "scenario": self.scenario.name,
            "scenario_hash": self.scenario.content_hash(),
            "settings": self.settings.model_dump(mode="json"),
            "model_version": model_version(),
        }


def prepare(
    targets: TargetSet | str | Path = SHIPPED, settings: CalibrationSettings | None = None
) -> Problem:
    """Check targets and settings against the scenario; return the calibration problem.

    Raises
    ------
    InputError
        A bad targets file, an unknown input, a partner or date the scenario does not have,
        or a prior that breaks a constraint of the targets file.
    """
    settings = settings or CalibrationSettings()
    if isinstance(targets, TargetSet):
        target_set, label = targets, "<targets>"
    else:
        target_set, label = load_targets(targets), str(targets)
    scenario = _scenario(settings, target_set, label)
    ranges = scenario.uncertain_inputs()
    prior = prior_of(settings, scenario)
    nuisance = {
        name: (float(lo), float(hi))
        for name, (lo, hi) in ranges.items()
        if name not in prior and lo < hi
    }
    _check_constraints(target_set, label, settings, scenario, prior, nuisance)
    statistics = TargetStatistics.for_scenario(
        target_set, scenario.partner_names, scenario.start_date, scenario.weeks, label
    )
    return Problem(target_set, label, settings, scenario, prior, nuisance, statistics)


def _scenario(settings: CalibrationSettings, targets: TargetSet, label: str) -> Scenario:
    """Return the scenario calibrated: the settings' choice, else the targets file's."""
    named = settings_scenario(settings)
    if named is not None:
        return named
    try:
        return Scenario.load(targets.scenario)
    except InputError as error:
        raise TargetsError(f"{label}: scenario: {error}") from None


def settings_scenario(settings: CalibrationSettings, where: str = "settings") -> Scenario | None:
    """Return the scenario ``settings`` name, or None (the targets file's is then calibrated).

    Raises
    ------
    SettingsError
        At ``where`` (the settings' file, or ``settings``): a scenario that cannot be loaded.
    """
    if settings.scenario is None:
        return None
    try:
        return Scenario.load(settings.scenario)
    except InputError as error:
        raise SettingsError.at(where, "scenario", str(error)) from None


def prior_of(
    settings: CalibrationSettings, scenario: Scenario, where: str = "settings"
) -> dict[str, tuple[float, float]]:
    """Return the uniform prior of each calibrated input: its range in ``scenario``.

    Raises
    ------
    SettingsError
        At ``where`` (the settings' file, or ``settings``): every input the scenario sets to
        one value or gives an empty range.
    """
    ranges = scenario.uncertain_inputs()
    prior: dict[str, tuple[float, float]] = {}
    problems: list[FileProblem] = []
    for i, name in enumerate(settings.inputs):
        if name not in ranges:
            problems.append(FileProblem(f"inputs[{i}]", scenario.fixed_input(name, "calibrate")))
            continue
        low, high = float(ranges[name][0]), float(ranges[name][1])
        if low >= high:
            problems.append(FileProblem(f"inputs[{i}]", f"{name!r} has an empty range {low, high}"))
        prior[name] = (low, high)
    SettingsError.raise_any(where, problems)
    return prior


def _check_constraints(
    targets: TargetSet,
    label: str,
    settings: CalibrationSettings,
    scenario: Scenario,
    prior: Mapping[str, tuple[float, float]],
    nuisance: Mapping[str, tuple[float, float]],
) -> None:
    """Refuse a calibration whose inputs may take values a constraint of the targets rules out."""
    defaults = scenario.input_defaults()
    compiled = scenario.compile()
    for i, constraint in enumerate(targets.constraints):
        name = constraint.parameter
        if name in prior:
            low, high = prior[name]
        elif name in nuisance and settings.nuisance == "prior":
            low, high = nuisance[name]
        else:
            low = high = float(defaults.get(name, compiled.parameters[name]))
        if not constraint.holds(low, high):
            raise TargetsError(
                f"{label}: constraints[{i}] ({constraint.id}): {name} may take values in "
                f"[{low:g}, {high:g}] in this calibration, which breaks the constraint"
            )


def generation_design(problem: Problem, generation: int, particles: np.ndarray) -> pd.DataFrame:
    """Return the design ABC generation ``generation`` runs: its particles and nuisance draws.

    The draws come from the generation's own generator, so the same particles always get the
    same draws.
    """
    return with_nuisance(problem, particles, stage_draws_rng(problem.settings.seed, generation))


def with_nuisance(
    problem: Problem, particles: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Return a design of calibrated values plus the nuisance inputs' prior draws.

    With ``nuisance = "prior"``, a prior draw of every other uncertain input is added.
    """
    design = pd.DataFrame(particles, columns=list(problem.inputs))
    if problem.settings.nuisance == "prior" and problem.nuisance:
        low = np.array([lo for lo, _ in problem.nuisance.values()])
        high = np.array([hi for _, hi in problem.nuisance.values()])
        draws = low + (high - low) * rng.random((len(particles), len(low)))
        design = pd.concat([design, pd.DataFrame(draws, columns=list(problem.nuisance))], axis=1)
    return design
