"""The sharesim dashboard page.

Serve it with ``sharesim dashboard`` (offline, from the asset cache), or ``solara run
sim.dashboard.app``. Mesa's ``SolaraViz`` hosts the live model (Reset, Step, Play), the scenario
picker and the lever sliders; the panels come from this package's other modules.
"""

from __future__ import annotations

from collections.abc import Callable

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim.dashboard.charts import BuyInPanel, InterfacePanel, NetworkPanel, SharePanel
from sim.dashboard.ensemble import BandCache, EnsemblePanel
from sim.dashboard.explain import ExplainPanel
from sim.dashboard.levers import Controls, RunSettings
from sim.dashboard.live import DashboardModel
from sim.dashboard.palette import PAGE_CSS
from sim.dashboard.settings import Catalog, SettingsError

Element = solara.Element

TITLE = "sharesim: recording on the shared ASB system"


def panels(controls: Controls, cache: BandCache) -> list[Callable[[DashboardModel], Element]]:
    """The page's panels as ``SolaraViz`` components, each called with the live model."""

    @solara.component
    def Ensemble(model: DashboardModel) -> None:
        EnsemblePanel(controls=controls, cache=cache)

    @solara.component
    def Explanation(model: DashboardModel) -> None:
        ExplainPanel(model=model, controls=controls)

    @solara.component
    def Share(model: DashboardModel) -> None:
        SharePanel(model=model, controls=controls)

    @solara.component
    def BuyIn(model: DashboardModel) -> None:
        BuyInPanel(model=model, controls=controls)

    @solara.component
    def Interfaces(model: DashboardModel) -> None:
        InterfacePanel(model=model, controls=controls)

    @solara.component
    def Network(model: DashboardModel) -> None:
        NetworkPanel(model=model, controls=controls)

    return [Ensemble, Explanation, Share, BuyIn, Interfaces, Network]


@solara.component
def Page() -> None:
    """The page: the dashboard, or why it cannot start (a scenario file that cannot be read)."""
    catalog, problem = solara.use_memo(_catalog, [])
    solara.Title("sharesim dashboard")
    if catalog is None:
        solara.Error(f"The dashboard cannot start: {problem}")
    else:
        Dashboard(catalog)


@solara.component
def Dashboard(catalog: Catalog) -> None:
    """The dashboard: one set of controls and one live model per browser session."""
    controls = solara.use_memo(lambda: Controls.create(catalog), [])
    cache = solara.use_memo(BandCache, [])
    components = solara.use_memo(lambda: panels(controls, cache), [])
    # The live model, shared with SolaraViz: Mesa's Reset puts its new model here too.
    live = solara.use_memo(lambda: solara.reactive(new_model(controls)), [])
    scenario = controls.scenario.value

    # Mesa's Step bumps its step counter once; relaying it to one reactive value of this
    # session lets all six panels redraw in one pass instead of one pass each.
    solara.use_effect(lambda: update_counter.subscribe(controls.tick.set), [])

    def switch_scenario() -> None:
        if live.value.settings.scenario == scenario:
            return
        # A new scenario starts a new live run with that scenario's own lever values. Mesa's
        # controls keep playing (or not) with it; after a finished run they stay off until
        # Reset, and the model says so.
        finished = not live.value.running
        controls.adopt_scenario(scenario)
        replacement = new_model(controls)
        replacement.needs_reset = finished
        live.set(replacement)

    solara.use_effect(switch_scenario, [scenario])

    solara.Style(PAGE_CSS)
    SolaraViz(
        live,
        components=components,
        model_params=controls.model_params(),
        name=TITLE,
    )
    SidebarBelowMesa(controls)


def new_model(controls: Controls) -> DashboardModel:
    """A live model of the chosen scenario with the current levers and seed."""
    return DashboardModel(
        catalog=controls.catalog,
        scenario_name=controls.scenario.value,
        seed=controls.seed.value,
        **{name: value.value for name, value in controls.levers.items()},
    )


@solara.component
def SidebarBelowMesa(controls: Controls) -> None:
    """Puts the run settings card in the sidebar, below Mesa's cards.

    Solara's sidebar orders its parts by how deeply the page declares them (then by when they
    were added); declared two component levels deeper than ``SolaraViz``'s, the card comes
    after Mesa's whatever order they are added in.
    """
    Deeper(controls)


@solara.component
def Deeper(controls: Controls) -> None:
    """One more component level (see :func:`SidebarBelowMesa`)."""
    SidebarSettings(controls)


@solara.component
def SidebarSettings(controls: Controls) -> None:
    """The run settings card, placed in the sidebar."""
    with solara.Sidebar():
        RunSettings(controls)


def _catalog() -> tuple[Catalog | None, str]:
    """The scenarios on offer, or why there are none."""
    try:
        return Catalog.from_environment(), ""
    except SettingsError as error:
        return None, str(error)


page = Page()
