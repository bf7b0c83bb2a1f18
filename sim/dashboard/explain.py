"""Why a partner records: its staff's decision, term by term, on the live run's state.

The terms come from :func:`sim.engine.decision_terms`, the function the engine's weekly step
uses, so the panel cannot drift from the model. Partner terms are shared by the partner's
staff; staff terms (attitude, habit, legal risk, training) are averaged over them.

When a lever moves, the live run keeps the values it was built with until Reset; the panel
then also recomputes the terms with the page's levers on the same state, and marks the terms
that change (outlined bars), so no value on it is stale without saying so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import altair as alt
import numpy as np
import pandas as pd
import solara
from scipy.special import expit

from sim import palette
from sim.dashboard.help import PanelHeading
from sim.dashboard.levers import lever_label
from sim.dashboard.state import PageState
from sim.dashboard.vega import FONT_SIZE, Figure, Spec, fill, named_data, styled
from sim.engine import decision_terms, prepare, stack_parameters
from sim.model import SharingModel
from sim.params import PARAMETERS

Group = Literal["motivation", "cost"]

TERM_LABELS: dict[str, str] = {
    "baseline": "Baseline motivation",
    "buy_in": "Partner buy-in",
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
        The week the terms apply to, counted from 1 as the live run's steps are (the last
        week once the run is over).
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


def explain(
    model: SharingModel, partner: str, levers: Mapping[str, float] | None = None
) -> Explanation:
    """Return partner ``partner``'s decision terms for the coming week of ``model``.

    Uses the state as it stands: this week's interface stages and external pressure, last
    week's recording (norm, reciprocity). The step itself first advances interfaces and decays
    pressure by one week, so a term can differ from the one the step uses by that much.

    Parameters
    ----------
    model : SharingModel
        The live run.
    partner : str
        One of its partners.
    levers : mapping of str to float, optional
        Parameter values to use instead of the run's own: the terms recomputed with them on
        the same state (what the coming week would be with them).
    """
    names = list(model.partnership.names)
    if partner not in names:
        raise KeyError(f"no partner {partner!r} in this scenario")
    index = names.index(partner)
    week = min(model.state.week, model.n_weeks - 1)
    state = dataclasses.replace(model.state, week=week)
    parameters = {**model.parameters, **(levers or {})}
    batch = (
        prepare(model.partnership, model.schedule, stack_parameters([parameters]))
        if levers
        else model.batch
    )
    terms = decision_terms(state, batch, state.interface, state.pressure)
    start = int(model.partnership.starts[index])
    staff = slice(start, start + int(model.partnership.staff[index]))

    sides: tuple[tuple[dict[str, np.ndarray], Group, bool], ...] = (
        (terms.partner_motivation, "motivation", True),
        (terms.staff_motivation, "motivation", False),
        (terms.partner_cost, "cost", True),
        (terms.staff_cost, "cost", False),
    )
    listed: list[Term] = []
    for source, group, per_partner in sides:
        for name, values in source.items():
            # Some terms are one number for every partner (B, 1); run 0 is the hosted run.
            width = model.partnership.n_partners if per_partner else model.partnership.n_staff
            row = np.broadcast_to(np.asarray(values, dtype=float), (batch.size, width))[0]
            value = row[index] if per_partner else row[staff].mean()
            listed.append(Term(name, group, float(value)))

    balance = terms.balance(model.partnership.staff_partner)[0, staff]
    gain = parameters["decision_gain"]
    live = bool(model.schedule.live[week, index])
    probability = float(expit(gain * balance).mean()) if live else 0.0
    return Explanation(
        partner=partner,
        week=week + 1,
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
"""Height in pixels of the explanation's bars."""

SIDES = ("Favours recording", "Deters recording")
"""Legend entries: a term's contribution is positive (a motivation, or a relief of cost) or
negative (a cost)."""


def changed_terms(run: Explanation, mine: Explanation) -> dict[str, float]:
    """Return the contributions of ``mine`` that differ from ``run``'s, by term name.

    ``mine`` holds the terms recomputed with the page's levers.
    """
    own = {t.name: t.contribution for t in run.terms}
    return {t.name: t.contribution for t in mine.terms if abs(t.contribution - own[t.name]) > ZERO}


def explanation_template() -> Spec:
    """Horizontal bars: what each term adds to motivation minus cost (right favours recording).

    Data sources: ``terms`` (one row per drawn term, ``rank`` orders them; ``recomputed`` is
    the term with the page's levers where that differs, drawn as an outlined bar) and
    ``extent`` (two invisible points at plus and minus the longest bar and a margin, so the
    axis is symmetric about zero and the value labels fit).
    """
    terms = named_data("terms", ("rank", "contribution", "recomputed", "again", "reach"))
    y = alt.Y(
        "term:N",
        sort=alt.EncodingSortField(field="rank", op="min", order="ascending"),
        title=None,
        axis=alt.Axis(labelLimit=240),
    )
    x = alt.X("contribution:Q", title="Contribution (utility)")
    tooltip = [
        alt.Tooltip("term:N", title="Term"),
        alt.Tooltip("group:N", title="Term of"),
        alt.Tooltip("contribution:Q", title="Adds in the live run (utility)", format="+.3f"),
        alt.Tooltip("recomputed:Q", title="With your levers (utility)", format="+.3f"),
    ]
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
            tooltip=tooltip,
        )
    )
    # Drawn for every term (equal to the live value where unchanged) but only visible where
    # the levers change it: a layer with no rows would leave its axis extent undefined.
    recomputed = (
        alt.Chart(terms)
        .mark_bar(height={"band": 0.75}, filled=False, strokeDash=[4, 2], strokeWidth=1.5)
        .encode(
            x=alt.X("again:Q"),
            y=y,
            stroke=alt.value(palette.BLACK),
            strokeOpacity=alt.condition("isValid(datum.recomputed)", alt.value(1), alt.value(0)),
            tooltip=tooltip,
        )
    )
    labels = [
        alt.Chart(terms)
        .transform_filter(f"datum.anchor == '{anchor}'")
        .mark_text(align=anchor, dx=4 if anchor == "left" else -4, fontSize=FONT_SIZE - 1)
        .encode(x=alt.X("reach:Q"), y=y, text="text:N")
        for anchor in ("left", "right")
    ]
    extent = alt.Chart(named_data("extent", ("contribution",))).mark_point(opacity=0).encode(x=x)
    zero = alt.Chart().mark_rule(color=palette.BLACK).encode(x=alt.datum(0))
    chart = alt.layer(bars, recomputed, *labels, extent, zero).properties(
        width="container", height=EXPLAIN_HEIGHT
    )
    return styled(chart)


def explanation_spec(
    explanation: Explanation,
    template: Spec | None = None,
    recomputed: Mapping[str, float] | None = None,
) -> Spec:
    """Make the explanation chart of ``explanation``.

    ``recomputed`` (from :func:`changed_terms`) adds the terms the page's levers change, as
    outlined bars.
    """
    changed = dict(recomputed or {})
    drawn = [t for t in explanation.terms if abs(t.value) > ZERO or t.name in changed]
    contribution = np.array([t.contribution for t in drawn])
    again = np.array([changed.get(t.name, np.nan) for t in drawn])
    # A value label sits past the longer of the two bars, on the live bar's side.
    reach = np.copysign(np.fmax(np.abs(contribution), np.abs(again)), contribution)
    terms = pd.DataFrame(
        {
            "rank": np.arange(len(drawn)),
            "term": [t.label for t in drawn],
            "side": np.where(contribution >= 0, SIDES[0], SIDES[1]),
            "group": [t.group.capitalize() for t in drawn],
            "contribution": contribution,
            "recomputed": again,
            "again": np.where(np.isnan(again), contribution, again),
            "reach": reach,
            "text": [
                f"{c:+.2f}" + ("" if np.isnan(r) else f" \u2192 {r:+.2f}")
                for c, r in zip(contribution, again, strict=True)
            ],
            "anchor": np.where(contribution >= 0, "left", "right"),
        },
        columns=[
            "rank", "term", "side", "group", "contribution", "recomputed", "again", "reach",
            "text", "anchor",
        ],
    )  # fmt: skip
    longest = float(np.abs(reach).max()) if len(drawn) else 0.5
    extent = pd.DataFrame({"contribution": [-2.0 * max(0.5, longest), 2.0 * max(0.5, longest)]})
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


def stale_note(moved: Mapping[str, float], own: Mapping[str, float], mine: Explanation,
               changed: Mapping[str, float]) -> str:  # fmt: skip
    """Say what the outlined bars are.

    The levers moved since the live run started, what they change in this week's decision,
    and that Reset runs them.
    """
    levers = "; ".join(
        f"{lever_label(PARAMETERS[name])} {own[name]:g} \u2192 {value:g}"
        for name, value in moved.items()
    )
    if not changed:
        effect = "They change no term of this partner's decision this week"
    else:
        chance = f", and a case would be recorded with probability {mine.probability:.0%}"
        effect = "Outlined bars: the terms recomputed with your levers" + (
            chance if mine.live else ""
        )
    return (
        f"Moved since this run started: {levers}. {effect}. The live run keeps its own values "
        "until you press Reset."
    )


@solara.component
def ExplainPanel(state: PageState, tick: int) -> None:
    """Pick a partner; see its recording decision as motivation against cost, term by term.

    The terms a moved lever changes are recomputed and marked.
    """
    del tick  # a new value (the live run stepped) redraws the panel
    run = state.live.value
    model = run.model
    template = solara.use_memo(explanation_template, [])
    names = list(model.partnership.names)
    partner = state.partner.value if state.partner.value in names else names[0]
    explanation = explain(model, partner)
    moved = run.moved_levers(state.lever_values())
    mine = explain(model, partner, moved) if moved else explanation
    changed = changed_terms(explanation, mine)
    hidden = [t.label for t in explanation.terms if abs(t.value) <= ZERO and t.name not in changed]
    start = model.week_start(explanation.week - 1)
    with solara.Column(gap="4px", classes=["sharesim-panel", "sharesim-explain"]):
        PanelHeading("explain", f"Week {explanation.week}, from {start:%-d %b %Y}")
        with solara.Row(gap="16px", classes=["sharesim-explain-body"]):
            with solara.Column(gap="6px", classes=["sharesim-explain-text"]):
                PartnerPicker(state, tuple(names))
                solara.Text(summary(explanation), classes=["sharesim-probability"])
                if moved:
                    solara.Text(
                        stale_note(moved, model.parameters, mine, changed),
                        classes=["sharesim-explain-stale"],
                    )
                if hidden:
                    solara.Text(
                        "At zero this week: " + ", ".join(hidden) + ".",
                        classes=["sharesim-caption"],
                    )
            with solara.Column(classes=["sharesim-explain-chart"]):
                Figure(explanation_spec(explanation, template, changed), classes=["sharesim-chart"])


@solara.component
def PartnerPicker(state: PageState, names: tuple[str, ...]) -> None:
    """Which partner the explanation (and the buy-in chart) picks out, among ``names``."""
    partner = state.partner.value if state.partner.value in names else names[0]
    solara.Select(
        label="Partner", value=partner, values=list(names), on_value=state.partner.set, dense=True
    )
