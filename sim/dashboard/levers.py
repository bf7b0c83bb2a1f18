"""The levers a person moves on the page: which registry parameters, in what order, labelled how.

Sliders come from the parameter registry (:data:`sim.params.PARAMETERS`): range, unit and
label are read from it, never written here.
"""

from __future__ import annotations

from sim.parameter import Parameter
from sim.params import PARAMETERS

LEVERS: tuple[str, ...] = (
    "double_keying_cost",
    "functionality_cost",
    "legal_risk",
    "bureaucracy_burden",
    "bureaucracy_assurance",
    "training_relief",
    "colocation_chasing",
    "buy_in_weight",
    "mandate_weight",
    "pressure_weight",
    "interface_build_weeks",
)
"""Registry names of the main levers, one or more from each framework category
(DOMAIN.md, "The information sharing framework"), in the order the sliders appear."""


def lever_label(param: Parameter) -> str:
    """Return a slider's label: the parameter's name in words and its unit."""
    words = param.name.replace("buy_in", "buy-in").replace("_", " ")
    return f"{words[0].upper()}{words[1:]} ({param.unit})"


def lever_table() -> str:
    """Write the levers as a Markdown table (``docs/dashboard.md`` embeds it; a test checks it)."""
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
