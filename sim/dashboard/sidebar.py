"""The sidebar: what to run (scenario, seed, the posterior switch), then the levers.

Compact enough that the scenario, its description and every lever fit a 1280x800 screen.
"""

from __future__ import annotations

import ipyvuetify
import reacton.ipyvuetify as v
import solara
import traitlets

from sim.dashboard.choices import lever_moved, slider_step
from sim.dashboard.levers import LEVERS, lever_label
from sim.dashboard.state import PageState
from sim.params import PARAMETERS


class ScenarioPicker(ipyvuetify.VuetifyTemplate):
    """A select whose options show each scenario's name and, under it, its description."""

    template = traitlets.Unicode(
        """
<template>
  <v-select v-model="value" :items="items" item-text="name" item-value="name" label="Scenario"
            dense hide-details class="sharesim-picker" :menu-props="{ maxHeight: 560 }">
    <template v-slot:item="{ item }">
      <v-list-item-content>
        <v-list-item-title>{{ item.name }}</v-list-item-title>
        <v-list-item-subtitle class="sharesim-option-text">{{ item.description }}
        </v-list-item-subtitle>
      </v-list-item-content>
    </template>
  </v-select>
</template>
<script>
module.exports = {};
</script>
"""
    ).tag(sync=True)
    value = traitlets.Unicode().tag(sync=True)
    items = traitlets.List(traitlets.Dict()).tag(sync=True)


@solara.component
def ScenarioCard(state: PageState) -> None:
    """Show the scenario picker with the chosen scenario's description and the seed box.

    For a scenario with a posterior, also whether the ensemble draws from it.
    """
    catalog = state.catalog
    chosen = catalog.get(state.scenario.value)
    problem = state.seed_problem()
    items = [{"name": c.name, "description": c.description} for c in catalog.choices]
    with solara.Column(gap="6px", classes=["sharesim-scenario"]):
        ScenarioPicker.element(value=chosen.name, items=items, on_value=state.choose_scenario)
        solara.Text(chosen.description, classes=["sharesim-description"])
        # The message shows under the box, in red, for as long as the text is not a seed.
        solara.InputText(
            "Seed (whole number)",
            value=state.seed_text.value,
            on_value=state.type_seed,
            error=f"{problem} The runs keep seed {state.seed.value}." if problem else False,
            classes=["sharesim-seed"],
        )
        if catalog.has_posterior(chosen.name):
            solara.Switch(
                label="Ensemble draws parameters from the posterior",
                value=state.posterior,
                classes=["sharesim-posterior"],
            )


@solara.component
def LeverCard(state: PageState) -> None:
    """Show one compact slider per lever, and a button putting them all back.

    Each shows its value, marked when moved away from the scenario's own value.
    """
    written = state.scenario_values()
    values = state.lever_values()
    moved = [name for name in LEVERS if lever_moved(name, values[name], written[name])]
    with solara.Column(gap="0px", classes=["sharesim-levers"]):
        with solara.Row(justify="space-between", style={"align-items": "center"}):
            solara.Text("Levers", classes=["sharesim-sidebar-heading"])
            solara.Button(
                "Put back" + (f" ({len(moved)})" if moved else ""),
                on_click=lambda: state.adopt_scenario(state.scenario.value),
                disabled=not moved,
                text=True,
                small=True,
                color="primary",
                classes=["sharesim-put-back"],
            )
        for name in LEVERS:
            LeverSlider(name, state.levers[name], written[name])


@solara.component
def LeverSlider(name: str, value: solara.Reactive[float], written: float) -> None:
    """Show one lever: its label and value on a line, the slider under them.

    The scenario's value is shown too when the lever is moved; the slider is bounded by the
    registry's range.
    """
    param = PARAMETERS[name]
    moved = lever_moved(name, value.value, written)
    shown = f"{value.value:g}" + (f" (scenario {written:g})" if moved else "")
    classes = ["sharesim-lever", *(["sharesim-lever-moved"] if moved else [])]
    with solara.Column(gap="0px", classes=classes):
        with solara.Row(justify="space-between", classes=["sharesim-lever-label"]):
            v.Html(
                tag="span", attributes={"title": param.description}, children=[lever_label(param)]
            )
            solara.Text(shown, classes=["sharesim-lever-value"])
        v.Slider(
            # The label is the slider's accessible name; the line above shows it on screen.
            label=lever_label(param),
            v_model=value.value,
            on_v_model=lambda new: value.set(float(new)),
            min=param.low,
            max=param.high,
            step=slider_step(param),
            dense=True,
            hide_details=True,
            class_="sharesim-slider",
        )
