"""The sharesim dashboard page.

Serve it with ``sharesim dashboard`` (offline, from the asset cache), or ``solara run
sim.dashboard.app``. The sidebar holds what to run (scenario, seed, levers); the page shows what
the levers do (the ensemble), then the live Mesa run with its controls and panels. The page's
documentation is served at ``docs``.
"""

from __future__ import annotations

from collections.abc import Callable

import solara

from sim.dashboard.charts import BuyInPanel, InterfacePanel, SharePanel
from sim.dashboard.choices import Catalog, DashboardInputError
from sim.dashboard.ensemble import BandCache, EnsemblePanel
from sim.dashboard.explain import ExplainPanel
from sim.dashboard.help import DOCS_ROUTE, DocsPage
from sim.dashboard.network import NetworkPanel
from sim.dashboard.player import LiveRunBar
from sim.dashboard.sidebar import LeverCard, ScenarioCard
from sim.dashboard.state import PageState
from sim.dashboard.style import PAGE_CSS

TITLE = "sharesim: recording on the shared ASB system"

LIVE_PANELS: tuple[Callable[[PageState, int], solara.Element], ...] = (
    ExplainPanel,
    SharePanel,
    InterfacePanel,
    BuyInPanel,
    NetworkPanel,
)
"""The live run's panels, in page order: the explanation and the two partner-by-week charts
take a whole row, the others two to a row. Further views of the run join here."""


@solara.component
def DashboardPage() -> None:
    """Show the page: the dashboard, or why it cannot start (a scenario file it cannot read)."""
    catalog, problem = solara.use_memo(_catalog, [])
    solara.Title("sharesim dashboard")
    if catalog is None:
        solara.Error(f"The dashboard cannot start: {problem}")
    else:
        Dashboard(catalog)


@solara.component
def Dashboard(catalog: Catalog) -> None:
    """Show the dashboard: one page state (inputs and live run) per browser session."""
    state = solara.use_memo(lambda: PageState.create(catalog), [])
    cache = solara.use_memo(lambda: BandCache(catalog), [])
    solara.Style(PAGE_CSS)
    with solara.AppBarTitle():
        solara.Text(TITLE)
    with solara.Sidebar():
        ScenarioCard(state)
        LeverCard(state)
    with solara.Column(gap="12px", classes=["sharesim-main"]):
        EnsemblePanel(state, cache)
        LiveSection(state)


@solara.component
def LiveSection(state: PageState) -> None:
    """Show the live run: its bar and its panels, redrawn together after each step.

    Only this component follows the step counter and hands it down, so a step redraws every
    part of the live run in one pass (each part following it would be a pass of its own).
    """
    tick = state.tick.value
    with solara.Column(gap="8px", classes=["sharesim-live"]):
        LiveRunBar(state, tick)
        with solara.Div(classes=["sharesim-grid"]):
            for panel in LIVE_PANELS:
                panel(state, tick)


@solara.component
def Layout(children: list[solara.Element]) -> solara.Element:
    """Frame the page: Solara's app layout without navigation tabs.

    The documentation opens from the panels' help notes.
    """
    return solara.AppLayout(children=children, navigation=False)


def _catalog() -> tuple[Catalog | None, str]:
    """Return the scenarios on offer, or why there are none."""
    try:
        return Catalog.from_environment(), ""
    except DashboardInputError as error:
        return None, str(error)


routes = [
    solara.Route(path="/", component=DashboardPage, label="Dashboard", layout=Layout),
    solara.Route(path=DOCS_ROUTE, component=DocsPage, label="Documentation"),
]
"""What ``solara run sim.dashboard.app`` serves: the dashboard and its documentation."""
