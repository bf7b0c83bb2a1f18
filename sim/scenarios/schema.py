"""The scenario file format: pydantic models of a resolved scenario.

A scenario file is TOML (see ``docs/scenarios.md``). The loader turns each file into these
models after filling in provenance, merging a parent chain (``extends``) and checking what a
model alone cannot check (dates inside the run, partner names that exist). The models here are
the *resolved* form: every value carries its provenance and source, and nothing refers to a
parent file.

Every model is frozen, forbids unknown fields and validates strictly (no silent conversion of
text to numbers, no booleans for numbers, finite numbers only).

The values the models hold (one value or a range, each with its provenance and source, and
the checked types of dates, weeks and shares) are :mod:`sim.scenarios.values`'.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    WrapSerializer,
    model_validator,
)

from sim.limits import (
    MAX_EVENTS,
    MAX_PARTNERS,
    MAX_WEEKS,
)
from sim.parameter import Category, Provenance
from sim.scenarios.values import (
    GO_LIVE_ANCHOR,
    STRICT,
    Caseload,
    DelayWeeks,
    EventId,
    EventWhen,
    Given,
    Magnitude,
    Multiplier,
    Number,
    OneLine,
    Share,
    Span,
    StaffCount,
    StartDate,
    Value,
    Weeks,
    When,
)
from sim.timeline import Phase

Kind = Literal["police", "district", "county", "unitary"]
KINDS: tuple[str, ...] = get_args(Kind)

InterfaceName = Literal[  # as InterfaceState (tested)
    "none", "considering", "building", "live", "workaround", "declined"
]
INTERFACE_NAMES: tuple[str, ...] = get_args(InterfaceName)
"""Interface states as written in files, in the order of :class:`sim.engine.InterfaceState`."""

ALL = "all"
"""The partner name that means every partner (for event types that allow it)."""


def _as_tuple(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


def _plain_mapping(value: Mapping[str, Any], handler: SerializerFunctionWrapHandler) -> Any:
    return handler(dict(value))


class PartnerSpec(BaseModel):
    """One partner agency.

    Attributes
    ----------
    name : str
        The partner's name (unique in a scenario); its slug names its uncertain inputs.
    kind : Kind
        police, district, county or unitary.
    provenance, source
        The evidence that the partner exists and is of this kind; in a file, also the default
        provenance of the partner's plain values.
    staff : int in [1, MAX_STAFF]
        Staff positions using the system (``sim.limits``).
    caseload : float in [0, MAX_CASELOAD]
        Mean ASB cases the whole partner handles per week.
    involvement, initial_buy_in, bureaucracy : float in [0, 1]
        Project involvement, buy-in at week 0, formal procedure and documentation.
    assurance : float in [0, 1]
        Documentary assurance at week 0 (agreements signed, decisions minuted).
    interface : InterfaceName
        State of the partner's interface into the shared system at week 0.
    interface_allowed : bool
        Whether the partner can build an interface at all.
    prior_use : bool
        The partner used the system before the project (live from week 0, trained staff).
    funder, contract_holder : bool
        Control of the funds or of the supplier contract (``shared/DOMAIN.md`` Roles, P15):
        the supplier serves such a partner first (``control_priority``). Chairing and
        managing the project act through ``involvement``.
    go_live : date or week, optional
        When the partner starts recording on the shared system (or give a ``go_live`` event).
    colocation : date or week, optional
        When the partner's staff are co-located with partners (or a ``colocation`` event).
    """

    model_config = STRICT

    name: OneLine
    kind: Kind
    provenance: Provenance
    source: OneLine
    staff: Value[StaffCount]
    caseload: Value[Caseload]
    involvement: Value[Share]
    initial_buy_in: Value[Share]
    bureaucracy: Value[Share]
    assurance: Value[Share]
    interface: Given[InterfaceName]
    interface_allowed: Given[bool]
    prior_use: Given[bool]
    funder: Given[bool]
    contract_holder: Given[bool]
    go_live: Value[When] | None = None
    colocation: Value[When] | None = None


PARTNER_IDENTITY_FIELDS = ("name", "kind", "provenance", "source")
"""Partner fields that are not annotated values."""

PARTNER_VALUE_FIELDS = tuple(
    f for f in PartnerSpec.model_fields if f not in PARTNER_IDENTITY_FIELDS
)
"""Partner fields that carry their own provenance (plain in a file: the partner's)."""

PARTNER_FIXED_FIELDS = tuple(
    name
    for name, info in PartnerSpec.model_fields.items()
    if isinstance(info.annotation, type) and issubclass(info.annotation, Given)
)
"""Partner fields that cannot be ranges (those the schema types as :class:`Given`)."""

PARTNER_DATE_FIELDS = ("go_live", "colocation")
"""Partner dates that may be uncertain inputs (named ``<slug>.<field>_week``)."""

PARTNER_NUMBER_FIELDS = tuple(
    f for f in PARTNER_VALUE_FIELDS if f not in (*PARTNER_FIXED_FIELDS, *PARTNER_DATE_FIELDS)
)
"""Partner numbers that may be uncertain inputs (named ``<slug>.<field>``): every other
value field."""

PARTNER_OPTIONAL_FALSE = ("funder", "contract_holder")
"""Role flags that default to false when a partner does not give them."""

PARTNER_REMOVED_FIELDS: Mapping[str, str] = MappingProxyType(
    {
        "chair": "no longer a partner field; control positions act through involvement "
        "(DOMAIN.md P15), remove it",
        "project_manager": "no longer a partner field; control positions act through "
        "involvement (DOMAIN.md P15), remove it",
    }
)
"""Partner fields older files may still give, with what to do about each."""

PARTNER_INPUT_CATEGORY: Mapping[str, Category] = MappingProxyType(
    {
        "staff": "Organisation",
        "caseload": "Organisation",
        "involvement": "Organisation",
        "initial_buy_in": "Organisation",
        "bureaucracy": "Organisation",
        "assurance": "Organisation",
        "go_live_week": "Project",
        "colocation_week": "Organisation",
    }
)
"""Framework category of each partner input (``shared/DOMAIN.md`` six categories)."""

EVENT_INPUT_CATEGORY: Mapping[str, Category] = MappingProxyType(
    {
        "phase": "Project",
        "go_live": "Project",
        "training": "Individual",
        "agreement": "Organisation",
        "interface_live": "Technology",
        "colocation": "Organisation",
        "functionality_upgrade": "Technology",
        "pressure": "External Environment",
        "mandate": "Organisation",
        "restructure": "Organisation",
    }
)
"""Framework category of each event type's inputs (its week and its size)."""


class _Event(BaseModel):
    """Fields every event has."""

    model_config = STRICT

    id: EventId | None = None
    provenance: Provenance
    source: OneLine
    note: str = ""
    when: Value[EventWhen]
    offset_weeks: Annotated[int, Field(ge=-MAX_WEEKS, le=MAX_WEEKS)] = 0

    @model_validator(mode="after")
    def _offset_needs_anchor(self) -> Self:
        if self.offset_weeks and not (
            isinstance(self.when, Given) and self.when.value == GO_LIVE_ANCHOR
        ):
            raise ValueError(f"offset_weeks is only used with when = {GO_LIVE_ANCHOR!r}")
        if isinstance(self.when, Span) and GO_LIVE_ANCHOR in (
            self.when.low,
            self.when.high,
            self.when.default,
        ):
            raise ValueError(f"a range of dates cannot use {GO_LIVE_ANCHOR!r}")
        return self


class PhaseEvent(_Event):
    """A project phase starts (``shared/DOMAIN.md``, Project phases)."""

    type: Literal["phase"]
    phase: Phase


class GoLiveEvent(_Event):
    """A partner starts recording on the shared system."""

    type: Literal["go_live"]
    partner: OneLine


class TrainingEvent(_Event):
    """A training wave: ``coverage`` of the partner's untrained staff are trained."""

    type: Literal["training"]
    partner: OneLine
    coverage: Value[Share]


class AgreementEvent(_Event):
    """An information sharing agreement is signed: documentary assurance rises to ``level``."""

    type: Literal["agreement"]
    partner: OneLine = ALL
    level: Value[Share]


class InterfaceLiveEvent(_Event):
    """A partner's interface into the shared system goes live."""

    type: Literal["interface_live"]
    partner: OneLine


class ColocationEvent(_Event):
    """A partner's staff move into premises shared with partners."""

    type: Literal["colocation"]
    partner: OneLine


class FunctionalityUpgradeEvent(_Event):
    """A supplier release multiplies the functionality cost by ``multiplier`` (below 1 helps)."""

    type: Literal["functionality_upgrade"]
    multiplier: Value[Multiplier]


class PressureEvent(_Event):
    """A high-profile failure, inquest or report adds ``magnitude`` of external pressure."""

    type: Literal["pressure"]
    magnitude: Value[Magnitude]


class MandateEvent(_Event):
    """Management tells staff to record: mandate set to ``level`` from this week."""

    type: Literal["mandate"]
    partner: OneLine
    level: Value[Share]


class RestructureEvent(_Event):
    """A restructure: an ``extra_leaving_share`` of staff leave this week (turnover shock)."""

    type: Literal["restructure"]
    partner: OneLine
    extra_leaving_share: Value[Share]


Event = Annotated[
    PhaseEvent
    | GoLiveEvent
    | TrainingEvent
    | AgreementEvent
    | InterfaceLiveEvent
    | ColocationEvent
    | FunctionalityUpgradeEvent
    | PressureEvent
    | MandateEvent
    | RestructureEvent,
    Field(discriminator="type"),
]
"""Any event, chosen by its ``type``."""


EVENT_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        get_args(model.model_fields["type"].annotation)[0]: tuple(model.model_fields)
        for model in get_args(get_args(Event)[0])
    }
)
"""The fields of each event type, by type."""


EVENT_AMOUNT_FIELDS = ("coverage", "level", "multiplier", "magnitude", "extra_leaving_share")
"""Event fields holding the event's size (at most one per type)."""


ONE_PARTNER_TYPES = frozenset({"go_live", "interface_live", "colocation"})
"""Event types that need one named partner."""


Weight = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class PosteriorSpec(BaseModel):
    """A joint distribution of some uncertain inputs: weighted sets of values.

    Runs of the scenario draw one set per run (``sim.posterior``); a set gives a value to
    each input in ``inputs``. Written by ``sharesim calibrate`` from an ABC posterior.

    Attributes
    ----------
    source : str
        Where the sets come from (the calibration, its targets and seed).
    inputs : tuple of str
        Names of uncertain inputs (``Scenario.uncertain_inputs()``), one per column.
    weights : tuple of float
        Non-negative weight of each set; they need not sum to 1 but must not all be 0.
    sets : tuple of tuple of float
        One row of values per set, in the order of ``inputs``.
    """

    model_config = STRICT

    source: OneLine
    inputs: Annotated[tuple[str, ...], BeforeValidator(_as_tuple), Field(min_length=1)]
    weights: Annotated[tuple[Weight, ...], BeforeValidator(_as_tuple), Field(min_length=1)]
    sets: Annotated[
        tuple[Annotated[tuple[Number, ...], BeforeValidator(_as_tuple)], ...],
        BeforeValidator(_as_tuple),
    ]

    @model_validator(mode="after")
    def _shaped(self) -> Self:
        if len(set(self.inputs)) != len(self.inputs):
            repeated = sorted({n for n in self.inputs if self.inputs.count(n) > 1})
            raise ValueError(f"inputs repeat: {', '.join(repeated)}")
        if len(self.sets) != len(self.weights):
            raise ValueError(f"{len(self.weights)} weights but {len(self.sets)} sets")
        width = len(self.inputs)
        for i, row in enumerate(self.sets):
            if len(row) != width:
                raise ValueError(f"set {i} has {len(row)} values for {width} inputs")
        if not sum(self.weights) > 0:
            raise ValueError("the weights are all zero")
        return self

    def without(self, names: Iterable[str]) -> PosteriorSpec | None:
        """Return the posterior with the columns of ``names`` dropped (None if none remain)."""
        drop = set(names)
        keep = [j for j, name in enumerate(self.inputs) if name not in drop]
        if len(keep) == len(self.inputs):
            return self
        if not keep:
            return None
        return PosteriorSpec(
            source=self.source,
            inputs=tuple(self.inputs[j] for j in keep),
            weights=self.weights,
            sets=tuple(tuple(row[j] for j in keep) for row in self.sets),
        )


PairIndex = Annotated[int, Field(ge=0, le=MAX_PARTNERS * MAX_PARTNERS)]


def pair_count(councils: int) -> int:
    """Return the number of unordered pairs of ``councils`` councils: ``C(councils, 2)``."""
    return councils * (councils - 1) // 2


class ColocationSpec(BaseModel):
    """Which two councils co-located partner staff: an uncertain choice of a pair.

    The evidence does not say which (DOMAIN.md P7).

    Pairs are the ``itertools.combinations(councils, 2)`` in list order, numbered from 0;
    pair ``k``'s first council is co-located from ``when[0]``, its second from ``when[1]``.

    Attributes
    ----------
    provenance, source
        The evidence that two councils co-located; in a file, also the default provenance
        of the table's plain values.
    councils : tuple of str
        The councils that may have co-located (partner names, at least two, no police).
    pair : Value[int]
        The pair's number, 0 to ``C(k, 2) - 1`` for ``k`` councils; a range must span all
        of them. An uncertain input ``colocation.pair`` (rounded to a whole number).
    when : tuple of two Value[date or week]
        When the pair's first and second council co-locate (inputs
        ``colocation.first_week`` and ``colocation.second_week``).

    The councils, the pair's range and the two dates are checked against the scenario by
    ``sim.scenarios.checks``.
    """

    model_config = STRICT

    provenance: Provenance
    source: OneLine
    councils: Annotated[tuple[OneLine, ...], BeforeValidator(_as_tuple)]
    pair: Value[PairIndex]
    when: Annotated[tuple[Value[When], ...], BeforeValidator(_as_tuple)]


COLOCATION_INPUTS = ("pair", "first_week", "second_week")
"""The uncertain inputs the ``[colocation]`` table can give (named ``colocation.<input>``)."""

POSTERIOR_FILE_FIELDS = ("file", "source", "inputs", "weights", "sets")
"""Keys of a file's ``[posterior]`` table: ``source`` with either ``file`` or the three arrays."""


class ScenarioSpec(BaseModel):
    """A resolved scenario: everything needed to compile it, nothing inherited.

    Attributes
    ----------
    name : str
        Short name (the shipped file's stem).
    description : str
        One line saying what the scenario is.
    start_date : Given[date]
        First day of week 0.
    weeks : Given[int]
        Length of the run in weeks.
    delivery_delay_weeks : Value[int] or None
        Weeks by which deliveries slip: go-lives of partners without prior use, go-live,
        interface and functionality-upgrade events all move this much later.
    parameters : mapping of str to Value[float]
        Registry parameters the scenario sets (others keep their registry defaults).
    partners : tuple of PartnerSpec
        The partner agencies, in array order (at least one; sizes are bounded by
        ``sim.limits``).
    events : tuple of Event
        The dated timeline.
    posterior : PosteriorSpec or None
        A joint distribution that runs draw their uncertain inputs from.
    colocation : ColocationSpec or None
        Which two councils co-located, as an uncertain choice (P7).
    """

    model_config = STRICT

    name: OneLine
    description: OneLine
    start_date: Given[StartDate]
    weeks: Given[Weeks]
    delivery_delay_weeks: Value[DelayWeeks] | None = None
    parameters: Annotated[
        Mapping[str, Value[Number]],
        AfterValidator(_frozen_mapping),
        WrapSerializer(_plain_mapping),
    ] = Field(default_factory=lambda: MappingProxyType({}))
    partners: Annotated[
        tuple[PartnerSpec, ...],
        BeforeValidator(_as_tuple),
        Field(min_length=1, max_length=MAX_PARTNERS),
    ]
    events: Annotated[
        tuple[Event, ...], BeforeValidator(_as_tuple), Field(max_length=MAX_EVENTS)
    ] = ()
    posterior: PosteriorSpec | None = None
    colocation: ColocationSpec | None = None

    @property
    def start(self) -> date:
        """First day of week 0 (the value ``start_date`` gives)."""
        return self.start_date.value

    @property
    def n_weeks(self) -> int:
        """Length of the run in weeks (the value ``weeks`` gives)."""
        return self.weeks.value


class ScenarioFile(BaseModel):
    """The top level of one scenario file, before partners, events and parameters are read.

    Partner, event and parameter tables are validated one by one by the loader (so an error
    can name ``partners[3]`` of the file it is in); here they are only required to be tables.
    ``start_date``, ``weeks`` and ``delivery_delay_weeks`` may be plain when the file gives a
    top-level ``provenance`` and ``source``; ``extends``, ``all_partners``, ``remove_events``
    and ``remove_colocation`` (drop the parent's ``[colocation]`` table) only make sense in a
    file that extends another. ``behaviour_from`` names a calibrated scenario whose behavioural
    parameters and posterior the file takes (:mod:`sim.scenarios.behaviour`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    name: OneLine
    description: OneLine
    extends: OneLine | None = None
    behaviour_from: OneLine | None = None
    provenance: Provenance | None = None
    source: OneLine | None = None
    start_date: Any = None
    weeks: Any = None
    delivery_delay_weeks: Any = None
    remove_events: list[EventId] = Field(default_factory=list)
    remove_colocation: bool = False
    all_partners: dict[str, Any] | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    partners: Annotated[list[dict[str, Any]], Field(max_length=MAX_PARTNERS)] = Field(
        default_factory=list
    )
    events: Annotated[list[dict[str, Any]], Field(max_length=MAX_EVENTS)] = Field(
        default_factory=list
    )
    posterior: dict[str, Any] | None = None
    colocation: dict[str, Any] | None = None


TOP_VALUE_FIELDS = ("start_date", "weeks", "delivery_delay_weeks")
"""Top-level fields holding a value with provenance (plain when the file gives ``provenance``
and ``source``)."""

TOP_FIXED_FIELDS = ("start_date", "weeks")
"""Top-level value fields that cannot be ranges."""
