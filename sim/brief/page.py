"""The one-page brief: a result as the page an analyst hands to a manager.

A result, or a screening beside a sweep. At most one A4 sheet printed: each section names its few
strongest points and leaves the rest to the CSV tables beside it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from sim.brief.evidence import Evidence
from sim.headline import difference_text, value_text
from sim.names import HEADLINE, header
from sim.outcomes import Outcome
from sim.pages import html_page
from sim.parameter import CATEGORIES
from sim.tipping import chance_curves

SHOWN = {"levers": 4, "tipping": 3, "conditions": 3, "limits": 3, "assumed": 4}
"""How many points each section shows at most (one A4 sheet)."""

SHOWN_BESIDE = {"levers": 3, "tipping": 2, "conditions": 1, "limits": 4, "assumed": 3}
"""The same for a brief of two results (a screening beside a sweep, say): room for the second
answer, both results' limits and the section setting the two side by side."""

STRONG = 0.1
"""A sweep's jump this large (in the output's unit; 10 points of share) counts as strong."""

LEVERS_HEADING = {
    "run": "What the runs show",
    "compare": "What else changes",
    "sweep": "Which levers move sharing most",
    "sensitivity": "Which levers move sharing most",
    "calibrate": "What the evidence teaches",
}

ASKS_OF_LEVERS = ("run", "compare", "sweep", "sensitivity")
"""Results that ask what moves sharing, so their page says where tipping points were looked
for; a calibration asks what the evidence teaches, and its page has no such section."""


def _bullets(items: Sequence[str], at_most: int) -> list[str]:
    shown = [f"- {item}" for item in items[:at_most]]
    if len(items) > at_most:
        shown.append(f"- ... and {len(items) - at_most} more (tables beside this page).")
    return shown


def reconcile(screening: Evidence, sweep: Evidence) -> list[str]:
    """Put a screening's verdict on each input beside what a sweep of the same input showed.

    One sentence an input, saying why both can hold when they disagree.
    """
    verdicts = screening.screening.set_index("factor") if len(screening.screening) else None
    effects = sweep.effects
    if verdicts is None or effects.empty:
        return []
    subject = screening.scenarios[0] if screening.scenarios else ""
    here = effects[effects["scenario"] == subject]
    rows = here if len(here) else effects
    chance = chance_curves(rows)
    lines = []
    for name, part in rows.groupby("input", sort=False):
        if name not in verdicts.index:
            continue
        row = part.loc[part["jump"].abs().idxmax()]
        seen = bool(verdicts.loc[name, "distinguishable"])
        # A large jump on a curve whose levels do not surely differ is chance, not a local effect.
        sure = not chance[row.name]
        strong = bool(row["tipping"]) or (abs(float(row["jump"])) >= STRONG and sure)
        where = (
            f"the {header(HEADLINE)} of {row['scenario']} moves from "
            f"{value_text(row['before'], HEADLINE)} at {row['before_level']:g} to "
            f"{value_text(row['after'], HEADLINE)} at {row['after_level']:g}"
        )
        if strong and not seen:
            lines.append(
                f"Screening found {name} not distinguishable from noise, yet in the sweep "
                f"{where} ({difference_text(row['jump'], HEADLINE)}). Both hold: the effect is "
                "strong but local to that part of the range, and small once averaged over the "
                "whole range with every other input varying at once. Near those values, rely "
                "on the sweep."
            )
        elif strong:
            lines.append(
                f"Screening and the sweep agree that {name} matters: in the sweep {where}."
            )
        elif seen:
            lines.append(
                f"Screening ranks {name} as an effect, but in the sweep of {row['scenario']} it "
                f"moves the {header(HEADLINE)} by at most "
                f"{difference_text(abs(row['jump']), HEADLINE).lstrip('+')} between levels: "
                "its effect depends on where the other inputs sit."
            )
        elif not sure:
            lines.append(
                f"Screening found {name} not distinguishable from noise, and the sweep cannot "
                f"tell its move of {difference_text(abs(row['jump']), HEADLINE).lstrip('+')} "
                "between levels from chance either: more runs would tell."
            )
        else:
            lines.append(f"Screening and the sweep agree that {name} does little here.")
    return lines


def _nothing_shared(screening: Evidence) -> str:
    """Say why a screening and a sweep have no input in common to set side by side."""
    factors = set(screening.screening.get("factor", ()))
    if factors and factors <= set(CATEGORIES):
        return (
            "The screening ranks framework categories, the sweep single inputs: nothing to set "
            "side by side input by input (screen per input to compare them)."
        )
    return "The sweep varies none of the inputs screened: nothing to set side by side."


def brief_markdown(evidences: Sequence[Evidence], outcome: Outcome, tables: Sequence[str]) -> str:
    """Return the brief as Markdown.

    The first result's question and answer, then what every result adds; ``tables`` are the CSV
    files written beside it.
    """
    main = evidences[0]
    extra = [e for e in evidences[1:]]
    shown = SHOWN_BESIDE if extra else SHOWN
    lines = [
        f"# Brief: {main.subject}",
        "",
        f"**Question.** {main.question}",
        "",
        f"> **Answer.** {main.answer}",
        "",
    ]
    for other in extra:
        lines += [f"**Also, {other.subject}.** {other.answer}", ""]
    if main.figure is not None:
        lines += ["![The result's figure](figure.png)", ""]
    levers = [item for e in evidences for item in e.levers]
    lines += [
        f"## {LEVERS_HEADING[main.kind]}",
        "",
        *_bullets(levers, shown["levers"]),
        "",
    ]
    tipping = [item for e in evidences for item in e.tipping]
    if tipping or any(e.kind in ASKS_OF_LEVERS for e in evidences):
        lines += ["## Tipping points", ""]
        if tipping:
            lines += _bullets(tipping, shown["tipping"])
        elif any(e.kind == "sweep" for e in evidences):
            lines.append(
                "- None found: no curve of the sweep jumps between two adjacent levels surely, "
                "steeply and by much (the sweep's report says how each is tested)."
            )
        else:
            lines.append(
                "- None looked for here: a sweep of the leading lever finds where a small "
                "change moves sharing most (`sharesim sweep`)."
            )
        lines.append("")
    screenings = [e for e in evidences if e.kind == "sensitivity"]
    sweeps = [e for e in evidences if e.kind == "sweep"]
    if screenings and sweeps:
        together = reconcile(screenings[0], sweeps[0])
        lines += [
            "## Screening and the sweep",
            "",
            *(_bullets(together, 2) if together else [f"- {_nothing_shared(screenings[0])}"]),
            "",
        ]
    found = [item for e in evidences for item in e.conditions]
    if found:
        lines += [
            f"## Where {outcome.describe()} holds",
            "",
            *_bullets(found, shown["conditions"]),
            "",
        ]
    lines += ["## Assumed, not evidenced", "", _assumed(evidences, shown["assumed"]), ""]
    limits = [item for e in evidences for item in e.limits]
    lines += ["## How far this holds", "", *_bullets(limits, shown["limits"]), ""]
    sources = "; ".join(f"sharesim {e.kind} in `{e.folder}`" for e in evidences)
    lines += [f"*Sources: {sources}. Full tables: {', '.join(f'`{t}`' for t in tables)}.*", ""]
    return "\n".join(lines)


def _assumed(evidences: Sequence[Evidence], at_most: int) -> str:
    """Return the assumed inputs that matter here, with their sources, in one paragraph."""
    table = pd.concat([e.assumptions for e in evidences], ignore_index=True).drop_duplicates(
        "input"
    )
    if table.empty:
        return (
            "None of the inputs this result turns on is assumed: each has a stated or external "
            "source in the parameter registry."
        )
    named = [
        f"{row['input']} ({row['provenance']}: {row['source']})"
        for _, row in table.head(at_most).iterrows()
    ]
    more = len(table) - len(named)
    rest = f"; and {more} more in `assumptions.csv`" if more > 0 else ""
    return (
        "Not pinned by evidence (assumed, or inferred from a pattern); their values are "
        f"modelling choices: {'; '.join(named)}{rest}."
    )


def brief_html(markdown: str, title: str) -> str:
    """Return the brief as one HTML page that prints on one A4 sheet."""
    return html_page(markdown, title, one_page=True)
