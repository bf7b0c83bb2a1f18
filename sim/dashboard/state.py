"""The page's state: one reactive variable per input, and the live run, per browser session.

Every input (scenario, seed, levers, partner picked, the posterior switch) is a Solara reactive
variable here; the ensemble, the live run and the explanation all read them, so the page has
one state. The live run is rebuilt from it on Reset or a change of scenario.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass

import solara

from sim.dashboard.choices import Catalog, DashboardInputError, Settings, parse_seed
from sim.dashboard.levers import LEVERS
from sim.dashboard.live import LiveRun

PLAY_INTERVAL_MS = 100
"""Pause between weeks while playing, to start with (Mesa's default)."""


@dataclass(frozen=True)
class PageState:
    """The page's state, created once per browser session.

    Attributes
    ----------
    catalog : Catalog
        The scenarios on offer.
    scenario : Reactive[str]
        Name of the chosen scenario.
    seed : Reactive[int]
        The last valid seed typed (invalid text never gets here).
    seed_text : Reactive[str]
        What is typed in the seed box, valid or not.
    levers : mapping of str to Reactive[float]
        The value of each lever in :data:`LEVERS`.
    posterior : Reactive[bool]
        Whether the ensemble draws each run's inputs from the scenario's posterior (for a
        scenario that has one).
    partner : Reactive[str]
        The partner the explanation panel and the buy-in chart pick out.
    live : Reactive[LiveRun]
        The live run.
    tick : Reactive[int]
        Bumped after the live run steps, so that its panels redraw together.
    playing : Reactive[bool]
        Whether Play is on.
    play_interval : Reactive[int]
        Pause between weeks while playing, in milliseconds.
    render_every : Reactive[int]
        While playing, weeks run between redraws.
    """

    catalog: Catalog
    scenario: solara.Reactive[str]
    seed: solara.Reactive[int]
    seed_text: solara.Reactive[str]
    levers: Mapping[str, solara.Reactive[float]]
    posterior: solara.Reactive[bool]
    partner: solara.Reactive[str]
    live: solara.Reactive[LiveRun]
    tick: solara.Reactive[int]
    playing: solara.Reactive[bool]
    play_interval: solara.Reactive[int]
    render_every: solara.Reactive[int]

    @classmethod
    def create(cls, catalog: Catalog, seed: int = 1) -> PageState:
        """Return the state of a new page: the default scenario and a live run of it at week 0.

        The catalogue's default scenario, with its own lever values.
        """
        scenario = catalog.default
        values = catalog.lever_values(scenario, LEVERS)
        partners = catalog.load(scenario).partner_names
        settings = Settings.checked(catalog, scenario, seed, values)
        return cls(
            catalog=catalog,
            scenario=solara.reactive(scenario),
            seed=solara.reactive(seed),
            seed_text=solara.reactive(str(seed)),
            levers={name: solara.reactive(values[name]) for name in LEVERS},
            posterior=solara.reactive(True),
            partner=solara.reactive(partners[0]),
            live=solara.reactive(LiveRun.start(catalog, settings)),
            tick=solara.reactive(0),
            playing=solara.reactive(False),
            play_interval=solara.reactive(PLAY_INTERVAL_MS),
            render_every=solara.reactive(1),
        )

    def lever_values(self) -> dict[str, float]:
        """Return the levers' current values by name (read in a component, it subscribes)."""
        return {name: value.value for name, value in self.levers.items()}

    def settings(self) -> Settings:
        """Return the current choice, checked (read inside a component, it subscribes to it).

        Raises
        ------
        DashboardInputError
            If a value cannot be run (only possible for input that bypassed the widgets).
        """
        return Settings.checked(
            self.catalog,
            self.scenario.value,
            self.seed.value,
            self.lever_values(),
            self.posterior.value,
        )

    def scenario_values(self, scenario: str | None = None) -> dict[str, float]:
        """Return the lever values scenario ``scenario`` (default: the chosen one) gives."""
        return self.catalog.lever_values(scenario or self.scenario.value, LEVERS)

    def adopt_scenario(self, scenario: str) -> None:
        """Set every lever to the value ``scenario`` gives it; keep the partner if it has it.

        Pick the scenario's first partner unless the chosen partner is also in it.
        """
        for name, value in self.scenario_values(scenario).items():
            self.levers[name].set(value)
        partners = self.catalog.load(scenario).partner_names
        if self.partner.value not in partners:
            self.partner.set(partners[0])

    def choose_scenario(self, scenario: str) -> None:
        """Switch to ``scenario``: its own lever values, and a new live run of it at week 0.

        Still playing if Play was on.
        """
        if scenario == self.scenario.value:
            return
        self.catalog.get(scenario)
        self.adopt_scenario(scenario)
        self.scenario.set(scenario)
        self.reset()

    def reset(self) -> None:
        """Start the live run again at week 0 with the page's current settings.

        Raises
        ------
        DashboardInputError
            If the current settings cannot be run.
        """
        self.live.set(LiveRun.start(self.catalog, self.settings()))
        self.tick.set(self.tick.value + 1)

    def step(self, weeks: int = 1) -> None:
        """Run the live run ``weeks`` more weeks and redraw its panels."""
        self.live.value.step(weeks)
        if not self.live.value.running:
            self.playing.set(False)
        self.tick.set(self.tick.value + 1)

    def type_seed(self, text: str) -> None:
        """Take typed seed text: keep it for display; adopt it only if it is a valid seed."""
        self.seed_text.set(text)
        # An invalid seed is shown with its message in the seed box; the last valid one stays.
        with contextlib.suppress(DashboardInputError):
            self.seed.set(parse_seed(text))

    def seed_problem(self) -> str:
        """Why the typed seed cannot be used, or an empty string when it can."""
        try:
            parse_seed(self.seed_text.value)
        except DashboardInputError as error:
            return str(error)
        return ""
