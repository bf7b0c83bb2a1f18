"""What each chart shows, said on the page: a help panel per chart, and the documentation page.

Every panel's heading has a help button that opens a short note: what the chart shows, what
its band or colours include and leave out, and where the numbers come from, with a link to the
section of ``docs/dashboard.md`` that says more. The page serves that file itself (route
``docs``), so the link works on a machine without internet access.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import reacton.ipyvuetify as v
import solara

DOCS_FILE = Path(__file__).resolve().parents[2] / "docs" / "dashboard.md"
"""The dashboard's documentation, in the source checkout."""

DOCS_ROUTE = "docs"
"""Where the page serves :data:`DOCS_FILE`."""


@dataclass(frozen=True)
class Help:
    """The note behind a panel's help button.

    Attributes
    ----------
    title : str
        The panel's heading.
    shows : str
        What the chart shows.
    scope : str
        What its band, colours or bars include and leave out.
    source : str
        Where the numbers come from.
    anchor : str
        The section of ``docs/dashboard.md`` that says more (its heading's anchor).
    """

    title: str
    shows: str
    scope: str
    source: str
    anchor: str


HELP: dict[str, Help] = {
    "ensemble": Help(
        title="What the levers do: recording share across all partners",
        shows=(
            "The share of all partners' ASB cases recorded on the shared system, week by week. "
            "Blue: your setting (the scenario, your levers, your seed). Grey outline and dashed "
            "line: the reference, the Sentinel replay as written (drawn on top, so you see it "
            "even where it equals yours). Lines are medians, bands hold 90% of the runs."
        ),
        scope=(
            "The band is chance alone: which cases arrive, which are recorded, who leaves, when "
            "interfaces get built. It leaves out uncertainty about the model's inputs (go-live "
            "dates, staff numbers, every parameter not on a slider), so the real uncertainty is "
            "wider, except for a scenario with a posterior when its switch is on: then each run "
            "also draws its parameters from it. Run r of both settings uses the same seed, so a "
            "gap between the lines comes from the setting. Not a forecast of Sentinel."
        ),
        source="64 runs of the array engine per setting, recomputed when a lever, the seed or "
        "the scenario changes.",
        anchor="what-the-levers-do-the-ensemble",
    ),
    "tipping": Help(
        title="Where does it tip?",
        shows=(
            "One lever swept across its whole range (9 values): the output over the last year "
            "at each, median (line) and 90% of runs (band), and where a small change of the "
            "lever moves it most (orange: the largest jump between two adjacent values, with "
            "its size and 90% interval). The dashed line is your lever's value."
        ),
        scope=(
            "The band is chance alone at your other settings (and the posterior's draws, for a "
            "scenario with one and its switch on); other inputs stay at their values, so it "
            "does not say how the curve moves with them. A jump is a tipping point when its "
            "interval excludes zero, the runs at the different values surely differ, even the "
            "end of its interval nearest zero is at least twice as steep as the curve on "
            "average, and it is material. Run r at every value uses the same seed."
        ),
        source="16 runs of the array engine at each value, on request; sim.tipping's response "
        "curve and largest jump, as in the sweep reports.",
        anchor="where-does-it-tip",
    ),
    "explain": Help(
        title="Why does this partner record?",
        shows=(
            "The picked partner's decision in the coming week of the live run, term by term: "
            "to the right what favours recording, to the left what deters it, in utility."
        ),
        scope=(
            "Staff terms are averaged over the partner's staff. A partner not yet live records "
            "nothing whatever the balance. When you move a lever, the terms it changes are "
            "recomputed with your value (outlined bars): the live run keeps its own until Reset."
        ),
        source="sim.engine.decision_terms, the function the weekly step itself uses, on the "
        "live run's current state.",
        anchor="why-does-this-partner-record",
    ),
    "share": Help(
        title="Recording share by partner",
        shows=(
            "Each row a partner, each column a week of the live run: the share of its cases "
            "recorded over the last 4 weeks (viridis: dark is low, yellow high). Grey: not live."
        ),
        scope="One run, one history: its ups and downs include chance. The ensemble chart "
        "shows how much chance alone moves the partnership's share.",
        source="The live Mesa model (SharingModel), week by week.",
        anchor="recording-share-by-partner",
    ),
    "buy-in": Help(
        title="Partner buy-in",
        shows="Each partner's buy-in (0 to 1) over the live run; the partner picked in the "
        "explanation panel is the thick blue line.",
        scope="Buy-in follows the benefit a partner sees and its involvement; one run.",
        source="The live Mesa model (SharingModel), week by week.",
        anchor="partner-buy-in",
    ),
    "interface": Help(
        title="Interface into the shared system",
        shows="Each partner's interface stage week by week: none (grey), considering "
        "(yellow), building (orange), live (blue).",
        scope="Once live, its staff no longer key cases twice. Build times are random: "
        "another seed builds at other weeks.",
        source="The live Mesa model (SharingModel), week by week.",
        anchor="interface-into-the-shared-system",
    ),
    "network": Help(
        title="Who looks at whose records",
        shows="The partners on a fixed circle, coloured by interface stage, sized by cases a "
        "week; a line's width is how many of each other's records two partners have viewed.",
        scope="Views so far in the live run, both ways added together.",
        source="The live Mesa model (SharingModel): its cumulative views matrix.",
        anchor="who-looks-at-whose-records",
    ),
}
"""Each panel's note, by panel key (the panel's CSS class is ``sharesim-<key>``)."""


def docs_link(anchor: str) -> str:
    """Return the page's address of a section of the documentation (relative to the dashboard)."""
    return f"{DOCS_ROUTE}#{anchor}"


@solara.component
def PanelHeading(key: str, detail: str = "") -> None:
    """Show a panel's heading (and ``detail`` after it) with a help button opening its note."""
    note = HELP[key]
    open_, set_open = solara.use_state(False)
    with solara.Row(gap="4px", style={"align-items": "center"}, classes=["sharesim-heading"]):
        solara.Text(note.title + (f" {detail}" if detail else ""), classes=["sharesim-title"])
        solara.Button(
            icon_name="mdi-help-circle-outline",
            icon=True,
            small=True,
            on_click=lambda: set_open(not open_),
            classes=["sharesim-help-button"],
            attributes={"aria-label": f"About: {note.title}", "title": "What is this?"},
        )
    if open_:
        with solara.Column(gap="2px", classes=["sharesim-help"]):
            solara.Text(note.shows)
            solara.Text(note.scope)
            solara.Text(f"Numbers from: {note.source}")
            v.Html(
                tag="a",
                attributes={"href": docs_link(note.anchor), "target": "_blank", "rel": "noopener"},
                children=["More in the documentation"],
            )


@solara.component
def DocsPage() -> None:
    """Show the dashboard's documentation (``docs/dashboard.md``), served by the page itself."""
    solara.Title("sharesim dashboard: documentation")
    if DOCS_FILE.is_file():
        solara.Markdown(DOCS_FILE.read_text(encoding="utf-8"), style={"max-width": "960px"})
    else:
        solara.Markdown(
            "The documentation is `docs/dashboard.md` in the sharesim source; this "
            "installation does not include it."
        )
