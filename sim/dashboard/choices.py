"""What the dashboard runs: the scenarios on offer and one checked choice of scenario, seed, levers.

Everything a person sets on the page passes through :meth:`Settings.checked` before it reaches
the model or the engine, so a value outside the parameter registry's range, an unknown
scenario or a malformed seed becomes a message on the page, never a run.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from sim.errors import InputError
from sim.parameter import Parameter, ParameterError
from sim.params import PARAMETERS, check_value
from sim.scenarios import Scenario, ScenarioError, list_scenarios

DEFAULT_SCENARIO = "sentinel_replay"
"""Scenario shown when the page opens."""

REPLAY = "sentinel_replay"
"""The replay of what happened: the reference band of the ensemble chart."""

EXTRA_SCENARIOS_ENV = "SHARESIM_DASHBOARD_SCENARIOS"
"""Environment variable listing scenario files to offer besides the shipped ones
(separated by ``os.pathsep``); ``sharesim dashboard --scenario FILE`` sets it."""

MAX_SEED = 2**32 - 1
"""Largest seed the page accepts (seeds are non-negative whole numbers)."""


class DashboardInputError(InputError):
    """A scenario, seed or lever value the dashboard cannot run (a message fit for the page)."""


@dataclass(frozen=True)
class ScenarioChoice:
    """One scenario on offer.

    Attributes
    ----------
    name : str
        The scenario's name: what the picker shows.
    description : str
        One line saying what the scenario is.
    reference : str
        What :meth:`Scenario.load` takes: the shipped name, or the file's absolute path.
    """

    name: str
    description: str
    reference: str


@dataclass(frozen=True)
class Catalog:
    """The scenarios the picker offers, by name, in the order shown.

    Each scenario is read from its file and compiled once (the page asks for them on every
    redraw; scenarios are immutable, so sharing them is safe).
    """

    choices: tuple[ScenarioChoice, ...]
    _loaded: dict[str, Scenario] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    _parameters: dict[str, Mapping[str, float]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def discover(cls, extra_files: Sequence[str | Path] = ()) -> Catalog:
        """Return every shipped scenario, then the scenarios in ``extra_files``.

        Raises
        ------
        DashboardInputError
            If a file cannot be read as a scenario, or its name is already taken.
        """
        choices = [ScenarioChoice(name, text, name) for name, text in list_scenarios()]
        for file in extra_files:
            path = Path(file).expanduser().resolve()
            try:
                scenario = Scenario.load(str(path))
            except ScenarioError as error:
                raise DashboardInputError(str(error)) from error
            if any(choice.name == scenario.name for choice in choices):
                raise DashboardInputError(
                    f"{path}: a scenario named {scenario.name!r} is already offered; "
                    "give the file's scenario another name"
                )
            choices.append(ScenarioChoice(scenario.name, scenario.description, str(path)))
        if not choices:
            raise DashboardInputError("no scenarios to offer: the package ships none")
        return cls(tuple(choices))

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Catalog:
        """Return :meth:`discover` with the extra files named in :data:`EXTRA_SCENARIOS_ENV`."""
        value = (os.environ if environ is None else environ).get(EXTRA_SCENARIOS_ENV, "")
        return cls.discover([part for part in value.split(os.pathsep) if part.strip()])

    @property
    def names(self) -> list[str]:
        """Scenario names in the order the picker shows them."""
        return [choice.name for choice in self.choices]

    @property
    def default(self) -> str:
        """The scenario the page opens with: the replay when offered, else the first."""
        return DEFAULT_SCENARIO if DEFAULT_SCENARIO in self.names else self.choices[0].name

    def get(self, name: str) -> ScenarioChoice:
        """Return the scenario called ``name``.

        Raises
        ------
        DashboardInputError
            If no scenario of that name is on offer.
        """
        for choice in self.choices:
            if choice.name == name:
                return choice
        raise DashboardInputError(f"unknown scenario {name!r}; offered: {', '.join(self.names)}")

    def load(self, name: str) -> Scenario:
        """Return the scenario called ``name``, read from its file the first time."""
        if name not in self._loaded:
            try:
                self._loaded[name] = Scenario.load(self.get(name).reference)
            except ScenarioError as error:
                raise DashboardInputError(str(error)) from error
        return self._loaded[name]

    def has_posterior(self, name: str) -> bool:
        """Whether scenario ``name``'s runs can draw their inputs from a posterior."""
        return self.load(name).posterior is not None

    def parameters(self, name: str) -> Mapping[str, float]:
        """Return every parameter's value in scenario ``name`` (its own or the registry's)."""
        if name not in self._parameters:
            try:
                self._parameters[name] = MappingProxyType(self.load(name).compile().parameters)
            except ScenarioError as error:
                raise DashboardInputError(str(error)) from error
        return self._parameters[name]

    def lever_values(self, name: str, levers: Sequence[str]) -> dict[str, float]:
        """Return the value scenario ``name`` gives each lever (its own value or the registry's)."""
        parameters = self.parameters(name)
        return {lever: float(parameters[lever]) for lever in levers}


SLIDER_POSITIONS = 100
"""Roughly how many positions a slider has between its ends."""


def slider_step(param: Parameter) -> float:
    """Return a round step giving about :data:`SLIDER_POSITIONS` positions.

    1, 2 or 5 times a power of ten; whole weeks for parameters measured in weeks.
    """
    if param.unit == "weeks":
        return 1.0
    raw = (param.high - param.low) / SLIDER_POSITIONS
    power = 10.0 ** math.floor(math.log10(raw))
    return next(f * power for f in (1.0, 2.0, 5.0, 10.0) if raw <= f * power * (1 + 1e-9))


def lever_moved(name: str, value: float, written: float) -> bool:
    """Whether a lever at ``value`` is away from the scenario's ``written`` value.

    Away means by more than half a slider step: a slider cannot show a value more finely than
    its step, so a value it has snapped to its grid is still the scenario's. A value exactly
    half a step off the grid lies between two positions, and a slider may snap it to either
    (Python rounds halves to even, the browser up).
    """
    half = slider_step(PARAMETERS[name]) / 2
    return abs(value - written) > half * (1 + 1e-9)


def parse_seed(text: str) -> int:
    """Return the seed written in ``text``.

    Raises
    ------
    DashboardInputError
        With a message fit to show on the page, when ``text`` is not a whole number in
        ``[0, MAX_SEED]``.
    """
    cleaned = text.strip().replace("_", "")
    if not (cleaned.isascii() and cleaned.isdigit()):
        raise DashboardInputError(
            f"The seed must be a whole number from 0 to {MAX_SEED}; {text.strip()!r} is not."
        )
    seed = int(cleaned)
    if seed > MAX_SEED:
        raise DashboardInputError(f"The seed must be at most {MAX_SEED}; {seed} is too large.")
    return seed


@dataclass(frozen=True)
class Settings:
    """One checked choice of scenario, seed and lever values.

    Create with :meth:`checked`; the fields are then known to be runnable.

    Attributes
    ----------
    scenario : str
        Name of a scenario in the catalogue.
    seed : int
        Seed of the live run, and base seed of the ensemble's replicates.
    levers : tuple of (str, float)
        Lever values by registry name, sorted by name (so equal settings hash equal).
    posterior : bool
        Whether the ensemble's runs draw their inputs from the scenario's posterior (False
        when it has none; the live run is always at the point estimate).
    """

    scenario: str
    seed: int
    levers: tuple[tuple[str, float], ...]
    posterior: bool = True

    @classmethod
    def checked(
        cls,
        catalog: Catalog,
        scenario: str,
        seed: object,
        levers: Mapping[str, object],
        posterior: bool = True,
    ) -> Settings:
        """Return settings after checking every value.

        Raises
        ------
        DashboardInputError
            Naming the first value that cannot be run, fit to show on the page.
        """
        catalog.get(scenario)
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise DashboardInputError(f"The seed must be a whole number from 0 to {MAX_SEED}.")
        values: dict[str, float] = {}
        for name, value in levers.items():
            try:
                values[name] = check_value(name, value)
            except ParameterError as error:
                raise DashboardInputError(str(error)) from error
        drawn = posterior and catalog.has_posterior(scenario)
        return cls(scenario, int(seed), tuple(sorted(values.items())), drawn)

    @property
    def lever_values(self) -> dict[str, float]:
        """Lever values by name."""
        return dict(self.levers)

    def moved(self, written: Mapping[str, float]) -> dict[str, float]:
        """Return the levers moved away from the ``written`` values (:func:`lever_moved`)."""
        return {k: v for k, v in self.levers if lever_moved(k, v, written[k])}

    def with_levers(self, catalog: Catalog) -> Scenario:
        """Return the scenario with the levers moved away from its own values set.

        A lever left at the scenario's value is not restated, so when the scenario has a
        posterior that parameter is still drawn from it (``Scenario.replace``).
        """
        scenario = catalog.load(self.scenario)
        written = catalog.parameters(self.scenario)
        try:
            return scenario.replace(**self.moved(written))
        except ScenarioError as error:
            raise DashboardInputError(str(error)) from error
