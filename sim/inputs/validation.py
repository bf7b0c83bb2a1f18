"""A pydantic validation's errors as field paths and plain words.

``design.levels.double_keying_cost[2]``: "must be at least 0, got -3". A :class:`FileFormat`
says what a kind of file's tables are, for paths and for suggesting the field meant.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sim.inputs.error import Problem, did_you_mean, one_of

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError
    from pydantic_core import ErrorDetails


_NO_TABLES: Mapping[str, Collection[str]] = MappingProxyType({})
_NO_CHOICES: Mapping[str, Sequence[str]] = MappingProxyType({})
_UNION_TAG_ERRORS = ("union_tag_invalid", "union_tag_not_found")
_MEMBER_NAME = re.compile(r"[a-z_-]+\[.*\]")
"""How pydantic names a member of a plain union in error locations (``list[...]``,
``literal['a','b']``, ``function-after[...]``): not a field of the file."""


@dataclass(frozen=True)
class FileFormat:
    """What turning a kind of file's validation errors into plain words needs to know.

    Attributes
    ----------
    fields : mapping of str to collection of str
        Field names of each table, for suggestions: ``""`` is the top level; a table is named
        by the last name before the unknown key in pydantic's location (a union tag, such as
        a design kind, names its member). A table not listed suggests from every name given
        here and in ``anywhere``. A top-level field written inside a table is pointed back.
    anywhere : collection of str
        More names to suggest from where the table is not listed (for a file whose tables are
        validated one by one, so that locations do not name them).
    tags : collection of str
        Names pydantic puts in error locations that are not fields of the file (the tags of a
        tagged union's members, such as design kinds); field paths leave them out, as they
        leave out the names pydantic gives the members of a plain union (``list[...]``).
    unwrap : collection of str
        Fields that stand for their table in paths: ``staff.value`` reads ``staff``.
    item_key : str, optional
        Name list items in paths by this key of theirs: ``targets[0] (integrated_share)``.
    choices : mapping of str to sequence of str
        The values each union's tag field (``kind``, ``type``) may take, for when it is missing.
    home : callable, optional
        ``home(path) -> hint``: where an unknown key at a field path belongs, for a file whose
        tables are validated one by one (a scenario's), where the hint needs the whole path;
        in its place, a top-level field written inside a table is pointed back.
    """

    fields: Mapping[str, Collection[str]] = field(default=_NO_TABLES)
    anywhere: Collection[str] = frozenset()
    tags: Collection[str] = frozenset()
    unwrap: Collection[str] = frozenset()
    item_key: str | None = None
    choices: Mapping[str, Sequence[str]] = field(default=_NO_CHOICES)
    home: Callable[[str], str] | None = None

    def known(self, loc: Sequence[int | str]) -> list[str]:
        """Return the field names the key at the end of ``loc`` could have meant."""
        names = self.fields.get(_table(loc))
        if names is None:
            every = {name for table_names in self.fields.values() for name in table_names}
            return sorted(every | set(self.anywhere))
        return list(names)

    def misplaced(self, loc: Sequence[int | str], path: str) -> str:
        """Return where the unknown key at the end of ``loc`` (at field ``path``) belongs.

        :attr:`home`'s hint when given; else `` (a top-level field: move it above
        [design])`` for a top-level field in a table (``[[targets]]`` for a list of tables).
        """
        if self.home is not None:
            return self.home(path)
        if _table(loc) == "" or loc[-1] not in self.fields.get("", ()):
            return ""
        first = loc[0]
        header = f"[[{first}]]" if len(loc) > 2 and isinstance(loc[1], int) else f"[{first}]"
        return f" (a top-level field: move it above {header})"


def _table(loc: Sequence[int | str]) -> str:
    """Return the name of the table holding the key at the end of ``loc`` (``""``: the top)."""
    return next((part for part in reversed(loc[:-1]) if isinstance(part, str)), "")


def model_tables(models: Mapping[str, type[BaseModel]]) -> dict[str, tuple[str, ...]]:
    """Return each table's field names, those of the model it is read into.

    For :attr:`FileFormat.fields`: ``models`` maps each table's name (``""`` for the top
    level) to its pydantic model.
    """
    return {table: tuple(model.model_fields) for table, model in models.items()}


PLAIN = FileFormat()
"""A format with no tables named: paths as pydantic gives them, suggestions from nothing."""


def field_path(
    prefix: str,
    loc: Iterable[int | str],
    data: object = None,
    item_key: str | None = None,
) -> str:
    """Return ``prefix`` followed by ``loc`` as ``a.b[3].c``.

    With ``data`` (what was validated) and ``item_key``, a list item that is a table naming
    itself by ``item_key`` is shown with that name: ``targets[0] (integrated_share)``.
    """
    text = prefix
    node = data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            name = item.get(item_key) if item_key and isinstance(item, dict) else None
            text += f"[{part}]" + (f" ({name})" if name else "")
            node = item
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text


def validation_problems(
    error: ValidationError,
    form: FileFormat = PLAIN,
    prefix: str = "",
    data: object = None,
    tagged_root: bool = False,
) -> list[Problem]:
    """Return each problem of a pydantic validation as a field path and plain words.

    An unknown field comes first: a misspelt key also makes the real one "missing", and the
    misspelling is the mistake to show.

    Parameters
    ----------
    error : ValidationError
        What pydantic found.
    form : FileFormat
        The kind of file, for field paths and suggestions.
    prefix : str
        Path of what was validated inside the file (``partners[3]``).
    data : object, optional
        What was validated, to name list items by ``form.item_key``.
    tagged_root : bool
        What was validated is itself a tagged union (an event): the first name of each
        location is its tag, not a field.
    """
    details = sorted(
        error.errors(include_url=False), key=lambda detail: detail["type"] != "extra_forbidden"
    )
    return [_problem(detail, form, prefix, data, tagged_root) for detail in details]


def _problem(
    detail: ErrorDetails, form: FileFormat, prefix: str, data: object, tagged_root: bool
) -> Problem:
    kind = detail["type"]
    raw = tuple(detail["loc"])
    loc = [
        part
        for part in raw[1 if tagged_root else 0 :]
        if part not in form.tags and not (isinstance(part, str) and _MEMBER_NAME.fullmatch(part))
    ]
    if kind in _UNION_TAG_ERRORS:
        discriminator = _discriminator(detail)
        loc += [discriminator] if discriminator else []
    elif loc and loc[-1] in form.unwrap and kind != "missing":
        loc.pop()
    path = field_path(prefix, loc, data, form.item_key)
    if kind == "extra_forbidden":
        hint = did_you_mean(str(raw[-1]), form.known(raw)) or form.misplaced(raw, path)
        return Problem(path, "unknown field" + hint)
    return Problem(path, describe(detail, form.choices))


def _discriminator(detail: ErrorDetails) -> str:
    """Return the tag field of a union from its error (``'kind'`` -> ``kind``).

    Empty when the union is told apart by a function rather than a field.
    """
    name = str((detail.get("ctx") or {}).get("discriminator", ""))
    return name[1:-1] if re.fullmatch(r"'\w+'", name) else ""


def number_text(value: object) -> str:
    """Return a value as a message shows it.

    A whole number of more than 15 digits is shortened to its first digits and its length (a
    file may hold one of thousands).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        digits = str(abs(value))
        if len(digits) > 15:
            return f"{'-' if value < 0 else ''}{digits[:6]}... ({len(digits)} digits)"
    return str(value)


def describe_value(value: object) -> str:
    """Describe a value as a file's author would see it (``the whole number 5``)."""
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int):
        return f"the whole number {number_text(value)}"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, str):
        text = repr(value)
        return f"the text {text if len(text) <= 60 else text[:56] + '...' + text[0]}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "an array"
    return type(value).__name__


_TYPE_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "int_type": "a whole number",
        "int_from_float": "a whole number",
        "int_parsing": "a whole number",
        "float_parsing": "a number",
        "float_type": "a number",
        "bool_type": "true or false",
        "string_type": "text in quotes",
        "date_type": "a date (YYYY-MM-DD)",
        "dict_type": "a table",
        "model_type": "a table",
        "model_attributes_type": "a table",
        "list_type": "an array",
        "tuple_type": "an array",
    }
)

_BOUND_WORDS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "greater_than_equal": ("at least", "ge"),
        "less_than_equal": ("at most", "le"),
        "greater_than": ("more than", "gt"),
        "less_than": ("less than", "lt"),
    }
)


def describe(detail: ErrorDetails, choices: Mapping[str, Sequence[str]] = _NO_CHOICES) -> str:
    """Return one pydantic error as a problem in plain words (no field path).

    ``choices`` gives the values of a union's tag field, named when the tag is missing.
    """
    kind = detail["type"]
    ctx: Mapping[str, Any] = detail.get("ctx") or {}
    got = detail.get("input")
    if kind == "missing":
        return "missing (required)"
    if kind in _TYPE_WORDS:
        return f"must be {_TYPE_WORDS[kind]}, got {describe_value(got)}"
    if kind in _BOUND_WORDS:
        words, key = _BOUND_WORDS[kind]
        return f"must be {words} {ctx[key]}, got {number_text(got)}"
    if kind == "finite_number":
        return f"must be a finite number, got {number_text(got)}"
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = did_you_mean(got, options) if isinstance(got, str) else ""
        return f"must be one of {ctx.get('expected')}, got {describe_value(got)}{hint}"
    if kind == "union_tag_invalid":
        tags = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
        tag = str(ctx.get("tag"))
        return f"must be one of {one_of(tags)}, got {describe_value(tag)}" + did_you_mean(tag, tags)
    if kind == "union_tag_not_found":
        allowed = choices.get(_discriminator(detail), ())
        return "missing (required)" + (f": one of {one_of(allowed)}" if allowed else "")
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        limit = ctx.get("min_length" if kind == "too_short" else "max_length")
        return (
            f"needs {bound} {limit} item{'' if limit == 1 else 's'}, got {ctx.get('actual_length')}"
        )
    if kind == "string_too_short":
        return f"is too short (at least {ctx.get('min_length')} characters)"
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)"
    if kind == "string_pattern_mismatch":
        return f"must match the pattern {ctx.get('pattern')}, got {describe_value(got)}"
    message = str(detail["msg"])
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if message.startswith("Input should be "):
        return f"must be {message.removeprefix('Input should be ')}, got {describe_value(got)}"
    return message[:1].lower() + message[1:]
