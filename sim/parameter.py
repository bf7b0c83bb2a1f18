"""What a model parameter is: its value, range, unit, category, provenance and source.

The registry of every parameter is :mod:`sim.registry` (looked up through :mod:`sim.params`);
this module holds the type its entries share and the error a bad name or value raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from sim.errors import InputError

Category = Literal[
    "External Environment", "Organisation", "Process", "Project", "Technology", "Individual"
]
Provenance = Literal["stated", "external", "inferred", "assumed"]

CATEGORIES: tuple[str, ...] = get_args(Category)
PROVENANCES: tuple[str, ...] = get_args(Provenance)


class ParameterError(InputError):
    """A parameter name or value that the model cannot accept."""


@dataclass(frozen=True, slots=True)
class Parameter:
    """One model parameter and the evidence behind it.

    Attributes
    ----------
    name : str
        The one name used everywhere: scenario key, slider, SALib factor, output column.
    default : float
        Value used when a scenario does not set it.
    low, high : float
        Plausible range; values outside it are rejected. Sensitivity analysis and
        calibration sample within it.
    unit : str
        Unit of the value ("utility" is the common scale of motivation and cost).
    category : Category
        Framework category (DOMAIN.md, "The information sharing framework").
    provenance : Provenance
        How sure we are of the value.
    source : str
        Where the value or its direction comes from.
    description : str
        One sentence on what the parameter does in the model.
    output_only : bool
        True for a constant that only reaches the benefit outputs (``sim/benefit.py``): it
        changes no decision, so analyses of recording leave it out.
    """

    name: str
    default: float
    low: float
    high: float
    unit: str
    category: Category
    provenance: Provenance
    source: str
    description: str
    output_only: bool = False

    def __post_init__(self) -> None:
        """Check that the default lies inside the range."""
        if not self.low <= self.default <= self.high:
            raise ParameterError(
                f"{self.name}: default {self.default} outside [{self.low}, {self.high}]"
            )
        if self.category not in CATEGORIES:
            raise ParameterError(f"{self.name}: unknown category {self.category!r}")
        if self.provenance not in PROVENANCES:
            raise ParameterError(f"{self.name}: unknown provenance {self.provenance!r}")

    @property
    def uncertain(self) -> bool:
        """True when the value is not pinned by evidence (a sensitivity-analysis input)."""
        return self.provenance in ("inferred", "assumed") and self.low < self.high
