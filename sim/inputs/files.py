"""Reading an input file: its bytes, its text and its TOML, every way it can fail one line.

Missing, a folder, a symbolic link loop, unreadable, bigger than ``sim.limits.MAX_FILE_BYTES``,
not UTF-8 (a UTF-8 byte-order mark is allowed), not valid TOML (with TOML's line and column)
or nested deeper than ``sim.limits.MAX_NESTING``: each is a :class:`~sim.inputs.error.FileError`
of the caller's type naming the file.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.inputs.error import FileError
from sim.limits import MAX_FILE_BYTES, MAX_NESTING

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable


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
