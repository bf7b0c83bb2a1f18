"""Where scenario files are: the shipped ones by name, others by path.

A bare name (``"sentinel_replay"``) is a file shipped in this package; anything with a ``/``
or ending ``.toml`` is a path. A relative ``extends`` path, and a posterior file a scenario
names, start from the folder of the file that names them.
"""

from __future__ import annotations

import importlib.resources
import os
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from sim.inputs import did_you_mean, read_toml
from sim.scenarios.problems import ScenarioError

PACKAGE = "sim.scenarios"
"""Package whose ``*.toml`` files are the shipped scenarios."""


@dataclass(frozen=True)
class Location:
    """A scenario file: on disk, shipped with the package, or text with no file.

    Attributes
    ----------
    label : str
        How messages name it.
    key : str
        Identity used to detect an ``extends`` cycle.
    resource : Traversable or None
        The file to read (None for text given directly).
    base : Traversable or None
        Folder that a relative ``extends`` path starts from (None: the working directory).
    """

    label: str
    key: str
    resource: Traversable | None = None
    base: Traversable | None = None


def shipped_folder() -> Traversable:
    """Return the folder holding the shipped scenario files."""
    return importlib.resources.files(PACKAGE)


def shipped_names() -> list[str]:
    """Return the names of the shipped scenarios, sorted."""
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in shipped_folder().iterdir()
        if entry.name.endswith(".toml") and entry.is_file()
    )


def list_scenarios() -> list[tuple[str, str]]:
    """Return ``(name, description)`` of every shipped scenario, sorted by name."""
    folder = shipped_folder()
    listed = []
    for name in shipped_names():
        document, _ = read_toml(folder.joinpath(f"{name}.toml"), error=ScenarioError)
        listed.append((name, str(document.get("description", ""))))
    return listed


def _looks_like_path(reference: str) -> bool:
    return "/" in reference or "\\" in reference or reference.endswith(".toml")


def locate(reference: str | Path, relative_to: Location | None = None) -> Location:
    """Return where the scenario ``reference`` is: a shipped name or a file path.

    Parameters
    ----------
    reference : str or Path
        A bare name (``"sentinel_replay"``) looks among the shipped scenarios; anything with a
        ``/`` or ending ``.toml`` is a path.
    relative_to : Location, optional
        The file whose ``extends`` this is; a relative path starts from its folder.

    Raises
    ------
    ScenarioError
        If there is no such shipped scenario or file.
    """
    if isinstance(reference, Path) or _looks_like_path(reference):
        return _locate_path(reference, relative_to)
    return _locate_shipped(reference, relative_to)


def _locate_path(reference: str | Path, relative_to: Location | None) -> Location:
    label = relative_to.label if relative_to else str(reference)
    base = relative_to.base if relative_to else None
    if base is not None and not Path(reference).is_absolute():
        resource: Traversable = base.joinpath(str(reference))
    else:
        resource = Path(reference)
    if not resource.is_file():
        where = "extends" if relative_to else ""
        raise ScenarioError.at(label, where, f"no scenario file {str(reference)!r} (not found)")
    if isinstance(resource, Path):
        return Location(
            str(reference) if relative_to is None else os.path.normpath(resource),
            f"file:{resource.resolve()}",
            resource,
            resource.parent,
        )
    return Location(
        f"{PACKAGE.replace('.', '/')}/{reference}", f"shipped:{reference}", resource, base
    )


def _locate_shipped(name: str, relative_to: Location | None) -> Location:
    names = shipped_names()
    if name not in names:
        raise ScenarioError.at(
            relative_to.label if relative_to else name,
            "extends" if relative_to else "",
            f"no shipped scenario named {name!r}{did_you_mean(name, names)}; "
            f"shipped: {', '.join(names)}",
        )
    folder = shipped_folder()
    return Location(
        f"{PACKAGE.replace('.', '/')}/{name}.toml",
        f"shipped:{name}",
        folder.joinpath(f"{name}.toml"),
        folder,
    )


def beside(location: Location, name: str) -> Traversable:
    """Return the file ``name``, relative to the folder of the scenario file at ``location``."""
    if Path(name).is_absolute():
        return Path(name)
    if location.base is not None:
        return location.base.joinpath(name)
    return Path(name)
