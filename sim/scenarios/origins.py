"""Where each piece of a resolved scenario was written, so a problem can name its file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sim.scenarios.schema import TOP_VALUE_FIELDS, ScenarioSpec


@dataclass(frozen=True)
class Origin:
    """Where a resolved piece of a scenario was written: a file and a path in it."""

    file: str
    path: str

    def render(self, top: str) -> str:
        """Return the path, naming the file too when it is not ``top``."""
        return self.path if self.file == top else f"{self.path} (in {self.file})"


@dataclass(frozen=True)
class Resolved:
    """A resolved scenario with where each partner, event and top-level value came from."""

    spec: ScenarioSpec
    partners: Mapping[str, Origin]
    events: tuple[Origin, ...]
    top: Mapping[str, Origin]


def spec_origins(spec: ScenarioSpec, label: str) -> Resolved:
    """Return ``spec`` with origins pointing at its own positions (for specs built in code)."""
    return Resolved(
        spec,
        {p.name: Origin(label, f"partners[{i}]") for i, p in enumerate(spec.partners)},
        tuple(Origin(label, f"events[{i}]") for i in range(len(spec.events))),
        {name: Origin(label, name) for name in TOP_VALUE_FIELDS},
    )
