"""Calibration targets as data: the evidence of ``shared/DOMAIN.md`` as summary statistics.

A targets file (TOML) names the scenario it describes and lists

* ``[[targets]]``: a statistic of a run (one of a small closed set of kinds, computed in
  :mod:`sim.calibration.statistics`), the value or interval the evidence supports, a tolerance
  (how far outside it a run may fall and still count as meeting it), the evidence line it comes
  from (``source``) and how sure that evidence is (``strength``);
* ``[[constraints]]``: statements about a parameter itself (e.g. DOMAIN.md P6: functionality
  cost is above zero for every partner). They are not fitted: they are checked against the
  prior range the calibration samples, and a calibration whose prior breaks one is refused.

Adding a target is adding a table to the file. Every problem with a file is one
:class:`TargetsError` naming the file, the field and the problem.

References
----------
Grimm, V. et al. (2005). Pattern-oriented modeling of agent-based complex systems: lessons
from ecology. Science 310, 987-991. doi:10.1126/science.1116681
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from sim.inputs import (
    FileError,
    FileFormat,
    model_tables,
    parse_toml,
    read_toml,
    validation_problems,
)
from sim.names import slug
from sim.params import PARAMETERS
from sim.scenarios.values import OneLine

StatisticKind = Literal[
    "share_after_interface_live",
    "share_final_year",
    "share_final_year_gap",
    "buy_in_share_rank_correlation",
    "interfaces_considering_or_beyond",
    "interface_positions_off",
]
"""The statistics a target can name.

``share_after_interface_live``
    Per named partner: recorded over handled cases in the weeks its interface is live
    (undefined, so a miss, in a run where it never goes live).
``share_final_year``
    Recorded over handled cases of the named partners (all when none are named), pooled over
    the last 52 weeks; or, with ``group``, the mean final-year share of the partners in that
    group (partners weigh equally; undefined, so a miss, when the group is empty).
``share_final_year_gap``
    Mean final-year share of the partners in ``group`` minus that of the partners in
    ``versus`` (partners weigh equally; undefined, so a miss, when a group is empty).
``buy_in_share_rank_correlation``
    Spearman rank correlation across partners of final buy-in and final-year share.
``interfaces_considering_or_beyond``
    Number of partners whose interface is considering, building or live in the week
    containing ``at``.
``interface_positions_off``
    Partners out of the stated interface positions on two dates, jointly
    (:func:`sim.metrics.positions_off`): at ``at`` (P3: 4 engaged) and at ``then`` (P10,
    P11: at most one undecided, two decided to build but not live, both working around).
    0 when both positions hold; each partner too many or too few counts 1.
"""

STATISTIC_KINDS: tuple[str, ...] = get_args(StatisticKind)

Strength = Literal["stated", "external", "inferred", "assumed"]
"""How sure the evidence behind a target is (``shared/DOMAIN.md``)."""

DynamicGroup = Literal["interface_live", "no_interface_live", "all"]
"""Partner groups decided per run: a live interface in the last week, none, or everyone."""

PER_PARTNER_KINDS = frozenset({"share_after_interface_live"})
"""Kinds that give one statistic per named partner rather than one per run."""


class TargetsError(FileError):
    """A targets file that cannot be used: ``<file>: <field>: <problem>`` on one line."""


Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


def _strict_date(value: object) -> object:
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise ValueError(f"must be a date (YYYY-MM-DD), got {value!r}")
    return value


StrictDate = Annotated[date, BeforeValidator(_strict_date)]
Group = list[OneLine] | DynamicGroup

_STRICT = ConfigDict(frozen=True, extra="forbid", strict=True)


class Target(BaseModel):
    """One pattern from the evidence as a statistic with a target value or interval.

    Attributes
    ----------
    id : str
        Short identifier (lower case, digits, ``_``); names the statistic's columns.
    description : str
        What the pattern says, in plain words.
    statistic : StatisticKind
        Which statistic of a run is compared.
    partners : list of str, optional
        Partner names, for the kinds that need them.
    group, versus : list of str or DynamicGroup, optional
        The two partner groups of ``share_final_year_gap``.
    at : date, optional
        The date of ``interfaces_considering_or_beyond``; the first date of
        ``interface_positions_off``.
    then : date, optional
        The second date of ``interface_positions_off`` (after ``at``).
    value : float, optional
        A point target. Give either ``value`` or an interval (``low`` and/or ``high``).
    low, high : float, optional
        An interval target; an open end is unbounded.
    tolerance : float
        How far outside the target a statistic may be and still meet it; distances are in
        units of tolerance, so it also weighs the targets against each other.
    source : str
        The evidence line (e.g. ``"DOMAIN.md P2"``).
    strength : Strength
        How sure that evidence is.
    note : str, optional
        How the evidence was turned into this number, where that took a choice.
    """

    model_config = _STRICT

    id: Identifier
    description: OneLine
    statistic: StatisticKind
    partners: list[OneLine] | None = None
    group: Group | None = None
    versus: Group | None = None
    at: StrictDate | None = None
    then: StrictDate | None = None
    value: Finite | None = None
    low: Finite | None = None
    high: Finite | None = None
    tolerance: Positive
    source: OneLine
    strength: Strength
    note: OneLine | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.value is not None and (self.low is not None or self.high is not None):
            raise ValueError("give either value or an interval (low, high), not both")
        if self.value is None and self.low is None and self.high is None:
            raise ValueError("give a target: value, or an interval with low and/or high")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        needs: dict[str, tuple[str, ...]] = {
            "share_after_interface_live": ("partners",),
            "share_final_year": (),
            "share_final_year_gap": ("group", "versus"),
            "buy_in_share_rank_correlation": (),
            "interfaces_considering_or_beyond": ("at",),
            "interface_positions_off": ("at", "then"),
        }
        allowed = set(needs[self.statistic]) | (
            {"partners", "group"} if self.statistic == "share_final_year" else set()
        )
        if self.partners is not None and self.group is not None:
            raise ValueError("give either partners or a group, not both")
        for name in ("partners", "group", "versus", "at", "then"):
            given = getattr(self, name) is not None
            if name in needs[self.statistic] and not given:
                raise ValueError(f"statistic {self.statistic!r} needs {name!r}")
            if given and name not in allowed:
                raise ValueError(f"statistic {self.statistic!r} takes no {name!r}")
        if self.partners is not None and not self.partners:
            raise ValueError("partners must name at least one partner")
        if self.at is not None and self.then is not None and self.then <= self.at:
            raise ValueError(f"then {self.then} is not after at {self.at}")
        return self

    @property
    def interval(self) -> tuple[float, float]:
        """The target as ``(low, high)``; a point target has ``low == high``."""
        if self.value is not None:
            return (self.value, self.value)
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        return (low, high)

    def components(self) -> tuple[str, ...]:
        """Names of the statistic's columns: ``<id>.<partner slug>`` per partner, else ``<id>``."""
        if self.statistic in PER_PARTNER_KINDS and self.partners:
            return tuple(f"{self.id}.{slug(p)}" for p in self.partners)
        return (self.id,)


class Constraint(BaseModel):
    """A statement about a parameter itself, checked against the prior (never fitted).

    Attributes
    ----------
    id, description, source, strength, note
        As for :class:`Target`.
    parameter : str
        A registry parameter.
    above, below : float, optional
        The parameter's whole prior range must lie strictly above ``above`` and strictly below
        ``below``.
    """

    model_config = _STRICT

    id: Identifier
    description: OneLine
    parameter: OneLine
    above: Finite | None = None
    below: Finite | None = None
    source: OneLine
    strength: Strength
    note: OneLine | None = None

    @model_validator(mode="after")
    def _bounded(self) -> Self:
        if self.parameter not in PARAMETERS:
            raise ValueError(f"unknown parameter {self.parameter!r}")
        if self.above is None and self.below is None:
            raise ValueError("give above and/or below")
        return self

    def holds(self, low: float, high: float) -> bool:
        """Whether a prior range ``[low, high]`` satisfies the constraint everywhere."""
        return (self.above is None or low > self.above) and (
            self.below is None or high < self.below
        )


class Condition(BaseModel):
    """A pattern the scenario holds by construction: a condition of the scenario, not a target.

    A pattern every run meets because of an initial state or a forced event carries no
    information about the parameters, so it is not fitted; it is documented here, with the
    scenario input that holds it, and the report lists it.

    Attributes
    ----------
    id, description, source, strength, note
        As for :class:`Target`.
    held_by : str
        The scenario input that makes every run meet the pattern (a partner's initial
        state, a dated event).
    """

    model_config = _STRICT

    id: Identifier
    description: OneLine
    held_by: OneLine
    source: OneLine
    strength: Strength
    note: OneLine | None = None


class TargetSet(BaseModel):
    """A whole targets file.

    Attributes
    ----------
    name : str
        Short name (names the default output folder).
    description : str
        What the targets are.
    scenario : str
        The scenario the targets describe (shipped name or path).
    targets : list of Target
        At least one; identifiers unique.
    constraints : list of Constraint
        Prior constraints.
    conditions : list of Condition
        Patterns the scenario holds by construction (documented, not fitted).
    """

    model_config = _STRICT

    name: Identifier
    description: OneLine
    scenario: OneLine
    targets: list[Target] = Field(min_length=1)
    constraints: list[Constraint] = Field(default_factory=list)
    conditions: list[Condition] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        seen: set[str] = set()
        idents = [t.id for t in self.targets] + [c.id for c in self.constraints]
        for ident in idents + [c.id for c in self.conditions]:
            if ident in seen:
                raise ValueError(f"identifier {ident!r} is used twice")
            seen.add(ident)
        return self

    def components(self) -> tuple[str, ...]:
        """Every statistic column, in file order."""
        return tuple(c for t in self.targets for c in t.components())

    def without(self, ident: str) -> TargetSet:
        """Return the same targets without target ``ident`` (for leave-one-target-out)."""
        kept = [t for t in self.targets if t.id != ident]
        if len(kept) == len(self.targets):
            raise KeyError(ident)
        return self.model_copy(update={"targets": kept})

    def content_hash(self) -> str:
        """Return a SHA-256 of the content (for manifests and resume checks)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def with_observed(self, observed: Mapping[str, float]) -> TargetSet:
        """Return the same targets with each statistic's value replaced by ``observed[id]``.

        Used for parameter recovery: statistics simulated from known parameter values become
        point targets with the same tolerances. Per-partner targets are split into one target
        per partner (``<id>_<slug>``) so each can carry its own observed value.
        """
        targets: list[Target] = []
        for target in self.targets:
            columns = target.components()
            for column in columns:
                value = float(observed[column])
                update: dict[str, Any] = {"value": value, "low": None, "high": None}
                if len(columns) > 1:
                    partner = next(p for p in target.partners or () if column.endswith(slug(p)))
                    update |= {"id": f"{target.id}_{slug(partner)}", "partners": [partner]}
                targets.append(target.model_copy(update=update))
        return self.model_copy(update={"targets": targets})


FORMAT = FileFormat(
    fields=model_tables(
        {"": TargetSet, "targets": Target, "constraints": Constraint, "conditions": Condition}
    ),
    item_key="id",
)
"""How a targets file's validation errors read: list items named by their id."""


def _target_set(data: Mapping[str, Any], label: str) -> TargetSet:
    try:
        return TargetSet.model_validate(data)
    except ValidationError as error:
        raise TargetsError.first(label, validation_problems(error, FORMAT, data=data)) from None


def parse_targets(text: str, label: str = "<targets>") -> TargetSet:
    """Return the targets written in ``text``.

    Raises
    ------
    TargetsError
        One line: ``<label>: <field>: <problem>``.
    """
    return _target_set(parse_toml(text, label, TargetsError), label)


SHIPPED = Path(__file__).with_name("sentinel_targets.toml")
"""The targets shipped with the package (DOMAIN.md P2, P3, P4, P6)."""


def load_targets(path: str | Path = SHIPPED) -> TargetSet:
    """Read and check a targets file (default: the shipped ``sentinel_targets.toml``).

    Raises
    ------
    TargetsError
        The file is missing, unreadable, not TOML or not a valid targets file.
    """
    label = str(path)
    document, _ = read_toml(Path(path), label, TargetsError, what="targets file")
    return _target_set(document, label)
