"""The levers a person moves on the page, and the page's state behind every input.

Sliders come from the parameter registry (:data:`sim.params.PARAMETERS`): range, unit and
label are read from it, never written here. The inputs are Mesa ``SolaraViz`` ``model_params``
entries whose ``value`` is one of the page's reactive variables, so Mesa's inputs, the ensemble
and the explanation all read one state, and Mesa's Reset rebuilds the live model from it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import solara

from sim.dashboard.settings import (
    Catalog,
    Settings,
    SettingsError,
    lever_moved,
    parse_seed,
    slider_step,
)
from sim.params import PARAMETERS, Parameter

LEVERS: tuple[str, ...] = (
    "double_keying_cost",
    "functionality_cost",
    "legal_risk",
    "bureaucracy_burden",
    "bureaucracy_assurance",
    "training_relief",
    "colocation_relief",
    "buy_in_weight",
    "mandate_weight",
    "pressure_weight",
    "interface_build_weeks",
)
"""Registry names of the main levers, one or more from each framework category
(DOMAIN.md, "The information sharing framework"), in the order the sliders appear."""


def lever_label(param: Parameter) -> str:
    """Return a slider's label: the parameter's name in words and its unit."""
    words = param.name.replace("_", " ")
    return f"{words[0].upper()}{words[1:]} ({param.unit})"


def lever_table() -> str:
    """The levers as a Markdown table (``docs/dashboard.md`` embeds it; a test keeps them equal)."""
    lines = [
        "| slider | registry name | range | category | what it does |",
        "|---|---|---|---|---|",
    ]
    for name in LEVERS:
        p = PARAMETERS[name]
        lines.append(
            f"| {lever_label(p)} | `{p.name}` | {p.low:g} to {p.high:g} {p.unit} | {p.category} "
            f"| {p.description} |"
        )
    return "\n".join(lines)


def slider_spec(name: str, value: solara.Reactive[float]) -> dict[str, Any]:
    """Return the ``SolaraViz`` ``model_params`` entry of lever ``name``, bounded by its
    registry range."""
    param = PARAMETERS[name]
    return {
        "type": "SliderFloat",
        "label": lever_label(param),
        "value": value,
        "min": param.low,
        "max": param.high,
        "step": slider_step(param),
    }


@dataclass(frozen=True)
class Controls:
    """The page's state: one reactive variable per input, created once per browser session.

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
    partner : Reactive[str]
        The partner the explanation panel and the buy-in chart pick out.
    """

    catalog: Catalog
    scenario: solara.Reactive[str]
    seed: solara.Reactive[int]
    seed_text: solara.Reactive[str]
    levers: Mapping[str, solara.Reactive[float]]
    partner: solara.Reactive[str]
    tick: solara.Reactive[int]

    @classmethod
    def create(cls, catalog: Catalog, seed: int = 1) -> Controls:
        """Return controls set to the catalogue's default scenario and that scenario's values."""
        scenario = catalog.default
        values = catalog.lever_values(scenario, LEVERS)
        partners = catalog.load(scenario).partner_names
        return cls(
            catalog=catalog,
            scenario=solara.reactive(scenario),
            seed=solara.reactive(seed),
            seed_text=solara.reactive(str(seed)),
            levers={name: solara.reactive(values[name]) for name in LEVERS},
            partner=solara.reactive(partners[0]),
            tick=solara.reactive(0),
        )

    def settings(self) -> Settings:
        """Return the current choice, checked (read inside a component, it subscribes to it).

        Raises
        ------
        SettingsError
            If a value cannot be run (only possible for input that bypassed the widgets).
        """
        return Settings.checked(
            self.catalog,
            self.scenario.value,
            self.seed.value,
            {name: value.value for name, value in self.levers.items()},
        )

    def scenario_values(self, scenario: str | None = None) -> dict[str, float]:
        """Return the lever values scenario ``scenario`` (default: the chosen one) gives."""
        return self.catalog.lever_values(scenario or self.scenario.value, LEVERS)

    def adopt_scenario(self, scenario: str) -> None:
        """Set every lever to the value ``scenario`` gives it and pick its first partner
        unless the chosen partner is also in it."""
        for name, value in self.scenario_values(scenario).items():
            self.levers[name].set(value)
        partners = self.catalog.load(scenario).partner_names
        if self.partner.value not in partners:
            self.partner.set(partners[0])

    def type_seed(self, text: str) -> None:
        """Take typed seed text: keep it for display; adopt it only if it is a valid seed."""
        self.seed_text.set(text)
        # An invalid seed is shown with its message in the seed box; the last valid one stays.
        with contextlib.suppress(SettingsError):
            self.seed.set(parse_seed(text))

    def model_params(self) -> dict[str, Any]:
        """Return ``SolaraViz``'s ``model_params``: the scenario picker, a slider per lever and
        the seed (a fixed entry: it is typed in the seed box, where it is checked)."""
        params: dict[str, Any] = {
            "scenario_name": {
                "type": "Select",
                "label": "Scenario",
                "value": self.scenario,
                "values": self.catalog.names,
            }
        }
        params.update({name: slider_spec(name, self.levers[name]) for name in LEVERS})
        params["seed"] = self.seed
        params["catalog"] = self.catalog
        return params

    def seed_problem(self) -> str:
        """Why the typed seed cannot be used, or an empty string when it can."""
        try:
            parse_seed(self.seed_text.value)
        except SettingsError as error:
            return str(error)
        return ""


@solara.component
def RunSettings(controls: Controls) -> None:
    """Sidebar card: what the chosen scenario is, the seed box (checked), and the levers moved
    away from the scenario's own values."""
    scenario = controls.catalog.get(controls.scenario.value)
    problem = controls.seed_problem()
    written = controls.scenario_values()
    moved = [
        f"{lever_label(PARAMETERS[name])}: {reactive.value:g} (scenario: {written[name]:g})"
        for name, reactive in controls.levers.items()
        if lever_moved(name, reactive.value, written[name])
    ]
    with (
        solara.Card("Run settings", classes=["sharesim-run-settings"]),
        solara.Column(gap="8px"),
    ):
        solara.Text(f"{scenario.name}: {scenario.description}", style={"font-size": "13px"})
        # The message shows under the box, in red, for as long as the text is not a seed.
        solara.InputText(
            "Seed (whole number)",
            value=controls.seed_text.value,
            on_value=controls.type_seed,
            error=f"{problem} The runs keep seed {controls.seed.value}." if problem else False,
            classes=["sharesim-seed"],
        )
        solara.Text(
            "Levers moved: " + ("; ".join(moved) if moved else "none"),
            style={"font-size": "13px"},
            classes=["sharesim-moved"],
        )
        with solara.Row():
            solara.Button(
                "Put the levers back",
                on_click=lambda: controls.adopt_scenario(controls.scenario.value),
                disabled=not moved,
                outlined=True,
                color="primary",
            )
