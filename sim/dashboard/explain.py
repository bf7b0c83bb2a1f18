"""Why a partner records: its staff's decision, term by term, on the live run's state.

The terms come from :func:`sim.engine.decision_terms`, the function the engine's weekly step
uses, so the panel cannot drift from the model. Agency terms are shared by the partner's
staff; staff terms (attitude, habit, legal risk, training) are averaged over them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import altair as alt
import numpy as np
import pandas as pd
import solara
from scipy.special import expit

from sim.dashboard import palette
from sim.dashboard.charts import FONT_SIZE, Figure, Spec, fill, named_data, styled
from sim.dashboard.levers import Controls
from sim.dashboard.live import DashboardModel
from sim.engine import decision_terms

Group = Literal["motivation", "cost"]

TERM_LABELS: dict[str, str] = {
    "baseline": "Baseline motivation",
    "buy_in": "Agency buy-in",
    "norm": "Colleagues recording (norm)",
    "reciprocity": "Partners recording (reciprocity)",
    "pressure": "External pressure",
    "mandate": "Management mandate",
    "attitude": "Own attitude to sharing",
    "habit": "Habit of recording",
    "double_keying": "Double keying (no live interface)",
    "functionality": "Poor functionality",
    "bureaucratic_burden": "Bureaucratic burden",
    "workload": "Workload",
    "colocation": "Co-location (relief)",
    "legal_risk": "Perceived legal risk",
    "training": "Training (relief)",
}
"""Plain words for each term the engine reports; a term not listed shows its own name."""


@dataclass(frozen=True)
class Term:
    """One term of the decision, in utility units.

    Attributes
    ----------
    name : str
        The engine's name of the term.
    group : {"motivation", "cost"}
        Which side of ``motivation - cost`` it is on.
    value : float
        The term as the engine reports it (a relief is a negative cost).
    """

    name: str
    group: Group
    value: float

    @property
    def label(self) -> str:
        """The term in plain words."""
        return TERM_LABELS.get(self.name, self.name.replace("_", " "))

    @property
    def contribution(self) -> float:
        """What the term adds to ``motivation - cost``: positive favours recording."""
        return self.value if self.group == "motivation" else -self.value


@dataclass(frozen=True)
class Explanation:
    """One partner's decision in the coming week of the live run.

    Attributes
    ----------
    partner : str
        The partner.
    week : int
        The week the terms apply to (0-based; the last week once the run is over).
    live : bool
        Whether the partner records on the shared system that week (if not, it records
        nothing whatever the terms say).
    terms : tuple of Term
        Every term, motivation first, in the engine's order.
    balance : float
        ``motivation - cost`` averaged over the partner's staff (utility).
    probability : float
        Chance a case is recorded, averaged over the partner's staff (0 when not live).
    staff : int
        Staff positions the averages are over.
    last_handled, last_recorded : int
        Cases the partner handled and recorded in the week just run.
    """

    partner: str
    week: int
    live: bool
    terms: tuple[Term, ...]
    balance: float
    probability: float
    staff: int
    last_handled: int
    last_recorded: int


def explain(model: DashboardModel, partner: str) -> Explanation:
    """Return partner ``partner``'s decision terms for the coming week of ``model``.

    Uses the state as it stands: this week's interface stages and external pressure, last
    week's recording (norm, reciprocity). The step itself first advances interfaces and decays
    pressure by one week, so a term can differ from the one the step uses by that much.
    """
    names = list(model.partnership.names)
    if partner not in names:
        raise KeyError(f"no partner {partner!r} in this scenario")
    index = names.index(partner)
    week = min(model.state.week, model.n_weeks - 1)
    state = dataclasses.replace(model.state, week=week)
    terms = decision_terms(state, model.batch, state.interface, state.pressure)
    start = int(model.partnership.starts[index])
    staff = slice(start, start + int(model.partnership.staff[index]))

    sides: tuple[tuple[dict[str, np.ndarray], Group, bool], ...] = (
        (terms.agency_motivation, "motivation", True),
        (terms.staff_motivation, "motivation", False),
        (terms.agency_cost, "cost", True),
        (terms.staff_cost, "cost", False),
    )
    listed: list[Term] = []
    for source, group, per_agency in sides:
        for name, values in source.items():
            # Some terms are one number for every agency (B, 1); run 0 is the hosted run.
            width = model.partnership.n_agencies if per_agency else model.partnership.n_staff
            row = np.broadcast_to(np.asarray(values, dtype=float), (model.batch.size, width))[0]
            value = row[index] if per_agency else row[staff].mean()
            listed.append(Term(name, group, float(value)))

    balance = terms.balance(model.partnership.staff_agency)[0, staff]
    gain = float(model.parameters["decision_gain"][0])
    live = bool(model.schedule.live[week, index])
    probability = float(expit(gain * balance).mean()) if live else 0.0
    return Explanation(
        partner=partner,
        week=week,
        live=live,
        terms=tuple(listed),
        balance=float(balance.mean()),
        probability=probability,
        staff=int(model.partnership.staff[index]),
        last_handled=int(model.state.handled[0, index]),
        last_recorded=int(model.state.recorded[0, index]),
    )


ZERO = 1e-9
"""Terms smaller than this (utility) are listed under the chart instead of drawn."""

EXPLAIN_HEIGHT = 190

SIDES = ("Favours recording", "Deters recording")
"""Legend entries: a term's contribution is positive (a motivation, or a relief of cost) or
negative (a cost)."""
"""Height in pixels of the explanation's bars."""


def explanation_template() -> Spec:
    """Horizontal bars: what each term adds to motivation minus cost (right favours recording).

    Data sources: ``terms`` (one row per drawn term, ``rank`` orders them) and ``extent`` (two
    invisible points at plus and minus the longest bar and a margin, so the axis is symmetric
    about zero and the value labels fit).
    """
    terms = named_data("terms", ("rank", "contribution"))
    y = alt.Y(
        "term:N",
        sort=alt.EncodingSortField(field="rank", op="min", order="ascending"),
        title=None,
        axis=alt.Axis(labelLimit=240),
    )
    x = alt.X(
        "contribution:Q",
        title="Contribution (utility)",
    )
    bars = (
        alt.Chart(terms)
        .mark_bar(height={"band": 0.75})
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "side:N",
                title=None,
                scale=alt.Scale(domain=list(SIDES), range=[palette.MOTIVATION, palette.COST]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("term:N", title="Term"),
                alt.Tooltip("group:N", title="Term of"),
                alt.Tooltip("contribution:Q", title="Adds (utility)", format="+.3f"),
            ],
        )
    )
    labels = [
        alt.Chart(terms)
        .transform_filter(f"datum.anchor == '{anchor}'")
        .mark_text(align=anchor, dx=4 if anchor == "left" else -4, fontSize=FONT_SIZE - 1)
        .encode(x=x, y=y, text="text:N")
        for anchor in ("left", "right")
    ]
    extent = alt.Chart(named_data("extent", ("contribution",))).mark_point(opacity=0).encode(x=x)
    zero = alt.Chart().mark_rule(color=palette.BLACK).encode(x=alt.datum(0))
    chart = alt.layer(bars, *labels, extent, zero).properties(
        width="container", height=EXPLAIN_HEIGHT
    )
    return styled(chart)


def explanation_spec(explanation: Explanation, template: Spec | None = None) -> Spec:
    """The explanation chart of ``explanation``."""
    drawn = [t for t in explanation.terms if abs(t.value) > ZERO]
    contribution = np.array([t.contribution for t in drawn])
    terms = pd.DataFrame(
        {
            "rank": np.arange(len(drawn)),
            "term": [t.label for t in drawn],
            "side": np.where(contribution >= 0, SIDES[0], SIDES[1]),
            "group": [t.group.capitalize() for t in drawn],
            "contribution": contribution,
            "text": [f"{c:+.2f}" for c in contribution],
            "anchor": np.where(contribution >= 0, "left", "right"),
        },
        columns=["rank", "term", "side", "group", "contribution", "text", "anchor"],
    )
    reach = 1.6 * max(0.5, float(np.abs(contribution).max()) if len(drawn) else 0.5)
    extent = pd.DataFrame({"contribution": [-reach, reach]})
    return fill(template or explanation_template(), {"terms": terms, "extent": extent})


def summary(explanation: Explanation) -> str:
    """One or two sentences a non-specialist can read under the panel's title."""
    e = explanation
    last = (
        f"Last week it recorded {e.last_recorded} of {e.last_handled} cases handled."
        if e.last_handled
        else "No cases handled in the week just run."
    )
    if not e.live:
        return (
            f"Not live on the shared system in week {e.week}: it records nothing, whatever the "
            f"balance. Motivation \u2212 cost would be {e.balance:+.2f} utility. {last}"
        )
    return (
        f"Motivation \u2212 cost averages {e.balance:+.2f} utility over its {e.staff} staff, "
        f"so a case is recorded with probability {e.probability:.0%}. {last}"
    )


@solara.component
def ExplainPanel(model: DashboardModel, controls: Controls) -> None:
    """Pick a partner; see its recording decision as motivation against cost, term by term."""
    controls.tick.get()
    template = solara.use_memo(explanation_template, [])
    names = list(model.partnership.names)
    partner = controls.partner.value if controls.partner.value in names else names[0]
    explanation = explain(model, partner)
    hidden = [t.label for t in explanation.terms if abs(t.value) <= ZERO]
    with solara.Column(gap="4px", classes=["sharesim-panel", "sharesim-explain"]):
        with solara.Row(style={"align-items": "center"}):
            solara.Text(
                f"Why does this partner record? Week {explanation.week}",
                style={"font-size": "16px", "font-weight": "bold"},
            )
        solara.Select(
            label="Partner",
            value=partner,
            values=names,
            on_value=controls.partner.set,
            dense=True,
        )
        solara.Text(
            summary(explanation), classes=["sharesim-probability"], style={"font-size": "13px"}
        )
        Figure(explanation_spec(explanation, template), classes=["sharesim-chart"])
        if hidden:
            solara.Text(
                "At zero this week: " + ", ".join(hidden) + ".",
                style={"font-size": "12px", "color": "#444"},
            )
