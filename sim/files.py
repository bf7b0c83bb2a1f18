"""Reading the project's input files (scenarios, experiments, targets) with one-line errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sim.errors import InputError


def one_line(text: str) -> str:
    """``text`` with every run of white space (newlines included) as one space."""
    return " ".join(text.split())


def read_toml(path: Path, error: type[InputError] = InputError) -> tuple[dict[str, Any], bytes]:
    """Parse a TOML file; return the document and the file's bytes (for content hashes).

    Raises
    ------
    InputError
        Of type ``error``, one line naming the file and what is wrong: missing, a folder,
        unreadable, not UTF-8 text, or not valid TOML (with TOML's line and column).
    """
    label = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{label}: no such file") from None
    except IsADirectoryError:
        raise error(f"{label}: is a folder, not a file") from None
    except OSError as exc:
        raise error(f"{label}: cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{label}: not UTF-8 text (byte {exc.start})") from None
    try:
        return tomllib.loads(text), raw
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{label}: not valid TOML: {one_line(str(exc))}") from None
