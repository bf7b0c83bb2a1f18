"""Reading the project's input files, with every problem as one line naming the file and field.

Every kind of input file (scenarios, experiments, sensitivity experiments, calibration targets
and settings, posterior tables) is read through here, so each kind reports the same problem in
the same words:

* :func:`read_text`, :func:`read_toml` and :func:`parse_toml` read a file: missing, a folder,
  a symbolic link loop, unreadable, bigger than ``sim.limits.MAX_FILE_BYTES``, not UTF-8 (a
  UTF-8 byte-order mark is allowed), not valid TOML (with TOML's line and column) or nested
  deeper than ``sim.limits.MAX_NESTING``;
* :func:`validation_problems` turns a pydantic ``ValidationError`` into ``(field path,
  problem)`` pairs in plain words (``design.levels.double_keying_cost[2]``, "must be at least
  0, got -3"), guided by a :class:`FileFormat` that says what the file's tables are;
* :func:`did_you_mean` suggests the closest known name for a misspelt one.

A problem is raised as a :class:`FileError` (an :class:`~sim.errors.InputError`) whose text is
``<file>: <field path>: <problem>``, plus "(and N more problems)" when there are further problems.
"""

from __future__ import annotations

import difflib
import errno
import os
import re
import stat
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, Self

from sim.errors import InputError
from sim.limits import MAX_FILE_BYTES, MAX_NESTING

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from pydantic import BaseModel, ValidationError
    from pydantic_core import ErrorDetails


class Problem(NamedTuple):
    """One problem in a file: where (a field path, or a line and column) and what."""

    path: str
    text: str


def problem_line(file: str, path: str, problem: str, more: int = 0) -> str:
    """Return ``<file>: <path>: <problem>`` on one line (empty parts left out).

    With "(and N more problems)" when ``more`` further problems were found.
    """
    line = ": ".join(part for part in (file, path, problem) if part)
    line += f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return re.sub(r"[\r\n]+", " ", line)


class FileError(InputError):
    """An input file the model cannot use: ``<file>: <field path>: <problem>`` on one line.

    Create one with :meth:`at` (or :meth:`first`) to keep the parts; a plain message, as any
    :class:`~sim.errors.InputError` takes, leaves them empty.

    Attributes
    ----------
    file : str
        The file (or other input) the problem is in.
    path : str
        Field path such as ``partners[3].staff``; empty when the problem is the whole file.
    problem : str
        What is wrong, in plain words.
    more : int
        How many further problems were found.
    problems : tuple of Problem
        Every problem found, this one first, when it was created by :meth:`first` (one
        when created by :meth:`at`, none from a plain message).
    """

    file: str = ""
    path: str = ""
    problem: str = ""
    more: int = 0
    problems: tuple[Problem, ...] = ()

    @classmethod
    def at(cls, file: str, path: str, problem: str, more: int = 0) -> Self:
        """Return the error for ``problem`` at ``path`` in ``file``."""
        error = cls(problem_line(file, path, problem, more))
        error.file, error.path, error.problem, error.more = file, path, problem, more
        error.problems = (Problem(path, problem),)
        return error

    @classmethod
    def first(cls, file: str, problems: Sequence[Problem]) -> Self:
        """Return the error for the first of ``problems`` (at least one), keeping them all.

        The others are the error's notes, so that a traceback (in a notebook, say) shows every
        problem, a line each, while the error's own text stays one line.
        """
        path, problem = problems[0]
        error = cls.at(file, path, problem, len(problems) - 1)
        error.problems = tuple(Problem(*found) for found in problems)
        for line in error.lines()[1:]:
            error.add_note(line)
        return error

    @classmethod
    def moved(cls, error: FileError, file: str, under: str = "") -> Self:
        """Return ``error``'s problems as found in ``file``, each field path below ``under``.

        For problems found in what a file gave (a scenario's inputs, an experiment's
        settings) by code that does not know the file.
        """
        return cls.first(file, problems_below(error, under))

    def lines(self) -> list[str]:
        """Return one ``<file>: <field path>: <problem>`` line for every problem found.

        The error's own text when it holds no parts (a plain message).
        """
        if not self.problems:
            return [str(self)]
        return [problem_line(self.file, path, text) for path, text in self.problems]


def problems_below(error: FileError, under: str) -> list[Problem]:
    """Return ``error``'s problems with each field path below ``under`` (its text, if plain)."""
    if not error.problems:
        return [Problem(under, str(error))]
    return [Problem(_below(under, p.path), p.text) for p in error.problems]


def _below(under: str, path: str) -> str:
    """``sensitivity`` and ``inputs[2]`` make ``sensitivity.inputs[2]``."""
    if not under or not path:
        return under or path
    return f"{under}{'' if path.startswith('[') else '.'}{path}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` naming the choice closest to ``word``, or ``""``.

    Nothing is named when no choice is close (``difflib``'s ratio of at least 0.6), nor
    ``word`` itself: a name known elsewhere but not here is no suggestion.
    """
    hint = difflib.get_close_matches(word, [c for c in choices if c != word], n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


# --- reading files ----------------------------------------------------------------------

_TOML_POSITION = re.compile(r"(?P<msg>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)")


def read_text(
    source: Path | Traversable,
    label: str | None = None,
    error: type[FileError] = FileError,
    what: str = "file",
) -> tuple[str, bytes]:
    """Return the text of a UTF-8 file (a leading byte-order mark dropped) and its bytes.

    Parameters
    ----------
    source : Path or Traversable
        The file (a path, or a file shipped inside the package).
    label : str, optional
        How messages name it (default: ``str(source)``).
    error : type of FileError
        The error raised.
    what : str
        What the file is, for "no such <what>".

    Raises
    ------
    FileError
        Of type ``error``: the file is missing, a folder, a symbolic link loop, not a regular
        file, unreadable, bigger than ``MAX_FILE_BYTES`` or not UTF-8 text.
    """
    label = str(source) if label is None else label
    problem = file_problem(source, what)
    if problem is not None:
        raise error.at(label, "", problem)
    try:
        with source.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise error.at(label, "", _os_problem(exc, what)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise error.at(label, "", _too_big())
    try:
        return raw.decode("utf-8-sig"), raw
    except UnicodeDecodeError as exc:
        raise error.at(
            label, f"byte {exc.start}", "not UTF-8 text (binary data or another encoding?)"
        ) from None


def file_problem(source: Path | Traversable, what: str = "file") -> str | None:
    """Return why ``source`` cannot be read as an input file, or None, without opening it.

    The problems: missing ("no such <what>"), a folder, a symbolic link loop, not a regular
    file (a device or a pipe, which can block or never end) or not reachable.
    """
    if not isinstance(source, Path):
        if source.is_dir():
            return "is a folder, not a file"
        return None if source.is_file() else f"no such {what}"
    try:
        mode = os.stat(source).st_mode
    except OSError as exc:
        return _os_problem(exc, what)
    except ValueError:
        return "is not a file name (it holds a NUL character)"
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a device, pipe or socket)"
    return None


def absent(source: Path | Traversable) -> bool:
    """Whether nothing at all is at ``source`` (not even a broken or looping link)."""
    if isinstance(source, Path):
        return not os.path.lexists(source)
    return not (source.is_file() or source.is_dir())


def _os_problem(exc: OSError, what: str) -> str:
    """Say what an ``OSError`` reaching an input means, in plain words (never file content)."""
    if exc.errno == errno.ENOENT:
        return f"no such {what}"
    if exc.errno == errno.EISDIR:
        return "is a folder, not a file"
    if exc.errno == errno.ELOOP:
        return "is a symbolic link loop (or a chain of links too long to follow)"
    return f"cannot be read ({exc.strerror or exc})"


def _too_big() -> str:
    return f"is bigger than {MAX_FILE_BYTES // 2**20} MiB, the most an input file may be"


def nesting_depth(value: object) -> int:
    """Return how deeply tables and arrays nest in ``value`` (0 for a plain value)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Iterable[object] = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


_TOML_TOKEN = re.compile(
    r'"""(?:\\.|[^\\])*?"""|\'\'\'.*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]',
    re.DOTALL,
)
"""A TOML string, comment or bracket: brackets are counted, strings and comments skipped."""


def bracket_depth(text: str) -> int:
    """Return how deeply ``[`` and ``{`` nest in TOML text (strings and comments skipped).

    Looked at before Python's TOML reader, which recurses once per level: a file nested a
    thousand deep is refused at once, rather than by running that reader out of stack, where
    whatever else needs the stack then (a finalizer the garbage collector calls) fails too and
    writes its own error.
    """
    depth = deepest = 0
    for match in _TOML_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth = max(depth - 1, 0)
    return deepest


def parse_toml(text: str, label: str, error: type[FileError] = FileError) -> dict[str, Any]:
    """Return the TOML document in ``text``.

    Raises
    ------
    FileError
        Of type ``error``: longer than ``MAX_FILE_BYTES``, not valid TOML (naming TOML's line
        and column), a number too long to read, or nested deeper than ``MAX_NESTING``.
    """
    if len(text) > MAX_FILE_BYTES:
        raise error.at(label, "", _too_big())
    deep = f"tables and arrays nested more than {MAX_NESTING} deep"
    if bracket_depth(text) > MAX_NESTING:
        raise error.at(label, "", deep)
    try:
        document = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        message = " ".join(str(exc).split())
        match = _TOML_POSITION.fullmatch(message)
        where = f"line {match['line']}, column {match['col']}" if match else ""
        problem = match["msg"] if match else message
        raise error.at(label, where, f"not valid TOML: {problem}") from None
    except RecursionError:
        raise error.at(label, "", deep) from None
    except ValueError:
        # tomllib hands digits to int() unchecked, and Python refuses more than 4,300 of them.
        raise error.at(label, "", "not valid TOML: a number has too many digits") from None
    if nesting_depth(document) > MAX_NESTING:
        raise error.at(label, "", deep)
    return document


def read_toml(
    source: Path | Traversable,
    label: str | None = None,
    error: type[FileError] = FileError,
    what: str = "file",
) -> tuple[dict[str, Any], bytes]:
    """Return the TOML document in a file and the file's bytes (for content hashes).

    Parameters are those of :func:`read_text`.

    Raises
    ------
    FileError
        Of type ``error``, one line naming the file and what is wrong: missing, a folder,
        unreadable, not UTF-8 text, or not valid TOML (with TOML's line and column).
    """
    label = str(source) if label is None else label
    text, raw = read_text(source, label, error, what)
    return parse_toml(text, label, error), raw


# --- validation errors in plain words ----------------------------------------------------

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


def one_of(options: Sequence[str]) -> str:
    """Join choices as ``'a', 'b' or 'c'``."""
    quoted = [repr(option) for option in options]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


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
