"""The values a scenario file states, and the checked types they are written in.

A value a scenario states is either :class:`Given` (one value) or :class:`Span` (an uncertain
value: a range with an optional default). Both carry ``provenance`` (one of ``stated``,
``external``, ``inferred``, ``assumed``; ``shared/DOMAIN.md``) and ``source``. The types
beside them (dates, week numbers, staff counts, shares...) check a value's range as pydantic
reads it. The models of the file built from them are :mod:`sim.scenarios.schema`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from sim.limits import EARLIEST_START, LATEST_START, MAX_CASELOAD, MAX_STAFF, MAX_WEEKS
from sim.parameter import Provenance

GO_LIVE_ANCHOR = "go_live"
"""An event ``when`` that places it at its partner's go-live week."""


def _one_line(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    if "\n" in text or "\r" in text:
        raise ValueError("must be one line")
    if text != text.strip():
        raise ValueError("must not start or end with spaces")
    return text


OneLine = Annotated[str, AfterValidator(_one_line)]
"""Non-empty text on one line, without surrounding spaces."""

EventId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$", max_length=80)]
"""An event identifier: letters, digits, ``_`` and ``-``."""


def _as_date(value: object) -> object:
    if isinstance(value, datetime):
        raise ValueError(f"must be a date without a time (YYYY-MM-DD), got {value.isoformat()}")
    return value


def _date_or_week(value: object) -> object:
    value = _as_date(value)
    if isinstance(value, bool) or not isinstance(value, date | int):
        raise ValueError(
            f"must be a date (YYYY-MM-DD) or a week number, got {type(value).__name__} {value!r}"
        )
    if isinstance(value, int) and value < 0:
        raise ValueError(f"a week number must be 0 or more, got {value}")
    return value


def _event_when(value: object) -> object:
    if value == GO_LIVE_ANCHOR:
        return value
    if isinstance(value, str):
        raise ValueError(f"must be a date, a week number or {GO_LIVE_ANCHOR!r}, got {value!r}")
    return _date_or_week(value)


When = Annotated[date | int, BeforeValidator(_date_or_week)]
"""A calendar date or a week number counted from the start date (week 0)."""

EventWhen = Annotated[date | int | Literal["go_live"], BeforeValidator(_event_when)]
"""When an event happens: a date, a week number, or ``"go_live"`` (its partner's go-live)."""


def _in_calendar(value: date) -> date:
    if not EARLIEST_START <= value <= LATEST_START:
        raise ValueError(f"must be from {EARLIEST_START} to {LATEST_START}, got {value}")
    return value


StartDate = Annotated[date, BeforeValidator(_as_date), AfterValidator(_in_calendar)]
Weeks = Annotated[int, Field(ge=1, le=MAX_WEEKS)]
DelayWeeks = Annotated[int, Field(ge=0, le=MAX_WEEKS)]
StaffCount = Annotated[int, Field(ge=1, le=MAX_STAFF)]
Caseload = Annotated[float, Field(ge=0, le=MAX_CASELOAD, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Multiplier = Annotated[float, Field(ge=0, le=4, allow_inf_nan=False)]
Magnitude = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]
Number = Annotated[float, Field(allow_inf_nan=False)]

STRICT = ConfigDict(frozen=True, extra="forbid", strict=True)
"""Every model of a scenario file: frozen, no unknown fields, no silent conversion."""


class Given[T](BaseModel):
    """One stated value with its provenance and source."""

    model_config = STRICT

    value: T
    provenance: Provenance
    source: OneLine


class Span[T](BaseModel):
    """An uncertain value: a range ``[low, high]`` with an optional default.

    Without a default the midpoint is used (rounded down to a whole number or day where the
    value is one).
    """

    model_config = STRICT

    low: T
    high: T
    default: T | None = None
    provenance: Provenance
    source: OneLine

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        ends = [self.low, self.high] + ([] if self.default is None else [self.default])
        if len({type(v) is date for v in ends}) > 1:
            raise ValueError("low, high and default must all be dates or all week numbers")
        if self.low > self.high:  # type: ignore[operator]
            raise ValueError(f"low {self.low} is above high {self.high}")
        if self.default is not None and not self.low <= self.default <= self.high:  # type: ignore[operator]
            raise ValueError(
                f"default {self.default} is outside the range [{self.low}, {self.high}]"
            )
        return self

    def midpoint(self) -> T:
        """Return the default, or the midpoint of the range when none is given."""
        if self.default is not None:
            return self.default
        low: Any = self.low
        high: Any = self.high
        if isinstance(low, date):
            return low + (high - low) // 2
        if isinstance(low, int):
            return (low + high) // 2
        return (low + high) / 2


def _value_tag(value: object) -> str:
    if isinstance(value, Span):
        return "range"
    if isinstance(value, dict) and ("low" in value or "high" in value):
        return "range"
    return "fixed"


VALUE_TAGS = ("fixed", "range")
"""Names pydantic puts in error locations for the two kinds of value (the loader drops them)."""

type Value[T] = Annotated[
    Annotated[Given[T], Tag("fixed")] | Annotated[Span[T], Tag("range")],
    Discriminator(_value_tag),
]
"""A value that may be uncertain: :class:`Given` or :class:`Span`."""
