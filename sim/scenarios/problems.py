"""Problems in a scenario: the collector that reports the first one found, as a ScenarioError.

A scenario file is checked table by table, and every problem found is kept, so the message
can say how many more there are: ``<file>: <field path>: <problem> (and N more problems)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from sim.inputs import FileFormat, Problem, validation_problems
from sim.params import PARAMETERS
from sim.scenarios.error import ScenarioError
from sim.scenarios.schema import (
    EVENT_AMOUNT_FIELDS,
    EVENT_FIELDS,
    POSTERIOR_FILE_FIELDS,
    PartnerSpec,
    ScenarioFile,
)
from sim.scenarios.values import VALUE_TAGS
from sim.timeline import EVENT_TYPES

FIELD_NAMES: frozenset[str] = frozenset(
    {
        *ScenarioFile.model_fields,
        *PartnerSpec.model_fields,
        "value",
        "low",
        "high",
        "default",
        "id",
        "type",
        "note",
        "when",
        "offset_weeks",
        "partner",
        "phase",
        *EVENT_AMOUNT_FIELDS,
        *POSTERIOR_FILE_FIELDS,
    }
)
"""Every field name a scenario file uses anywhere (a misspelt key is matched against them)."""


_PLACES = {
    "parameters": (frozenset(PARAMETERS), "a parameter: write it under [parameters]"),
    "partner": (
        frozenset(PartnerSpec.model_fields),
        "a partner's field: write it in that partner's [[partners]] table, or in [all_partners] "
        "for every partner",
    ),
    "top": (frozenset(ScenarioFile.model_fields), "a top-level field: move it above {table}"),
}
"""Where each kind of key belongs, and how a hint says so."""


def home_hint(path: str) -> str:
    """Return where the unknown key at ``path`` belongs when it is a key of another table.

    `` (a parameter: write it under [parameters])`` for ``legal_risk`` at the top level,
    `` (a top-level field: move it above [parameters])`` for ``weeks`` there; empty when the key
    belongs nowhere else (a plain misspelling) or here.
    """
    table, _, key = path.rpartition(".")
    here = (
        "top"
        if not table
        else "parameters"
        if table == "parameters"
        else "partner"
        if table == "all_partners" or table.startswith("partners[")
        else ""
    )
    first = table.split(".", 1)[0]
    header = f"[[{first.split('[', 1)[0]}]]" if "[" in first else f"[{first}]"
    for place, (names, hint) in _PLACES.items():
        if place != here and key in names:
            return f" ({hint.format(table=header)})"
    return ""


FORMAT = FileFormat(
    # An event's unknown key is matched against its own type's fields: pydantic names the
    # event's table by its type.
    fields=EVENT_FIELDS,
    anywhere=FIELD_NAMES,
    tags=frozenset(VALUE_TAGS),
    # The loader writes a plain value as `{ value = ... }`: `staff` reads better than
    # `staff.value`, whichever way it was written.
    unwrap=frozenset({"value"}),
    choices={"type": EVENT_TYPES},
    home=home_hint,
)
"""How a scenario file's validation errors read."""


@dataclass
class Problems:
    """Problems found in one scenario, in the order found."""

    file: str
    found: list[Problem] = field(default_factory=list)

    def add(self, path: str, problem: str) -> None:
        """Record ``problem`` at ``path``."""
        self.found.append(Problem(path, problem))

    def add_validation(self, error: ValidationError, prefix: str, event: bool = False) -> None:
        """Record each error of a pydantic validation of the table at ``prefix``.

        ``event``: the table is an event, whose type pydantic puts first in error locations.
        """
        self.found += validation_problems(error, FORMAT, prefix, tagged_root=event)

    def raise_first(self) -> None:
        """Raise the first problem as a :class:`ScenarioError`, if there is one."""
        ScenarioError.raise_any(self.file, self.found)
