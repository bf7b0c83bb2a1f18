"""Where scenario files are: the shipped ones by name, others by path.

A bare name (``"sentinel_replay"``) is a file shipped in this package; anything with a ``/``
or ending ``.toml`` is a path (the rule of :mod:`sim.shipped`, which experiment files share).
A relative ``extends`` path, and a posterior file a scenario
names, start from the folder of the file that names them, and must stay inside the scenario's
place: the folder of the file that was loaded (for a shipped scenario, the shipped folder).
An absolute path, a ``..`` that climbs out, or a symbolic link leading out is refused before
anything is opened, so a scenario cannot read (or show a line of) a file outside its place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path, PurePath

from sim.inputs import absent, file_problem, read_toml
from sim.scenarios.problems import ScenarioError
from sim.shipped import SCENARIOS, is_path


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
    place : Traversable or None
        Folder that the files it names must stay inside (None: the same as ``base``).
    """

    label: str
    key: str
    resource: Traversable | None = None
    base: Traversable | None = None
    place: Traversable | None = None


def list_scenarios() -> list[tuple[str, str]]:
    """Return ``(name, description)`` of every shipped scenario, sorted by name."""
    listed = []
    for name in SCENARIOS.names():
        document, _ = read_toml(SCENARIOS.file(name), error=ScenarioError)
        listed.append((name, str(document.get("description", ""))))
    return listed


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
    if isinstance(reference, Path) or is_path(reference):
        return _locate_path(reference, relative_to)
    return _locate_shipped(reference, relative_to)


def _locate_path(reference: str | Path, relative_to: Location | None) -> Location:
    shown = str(reference)
    if relative_to is None:
        path = Path(reference)
        problem = file_problem(path, "scenario file")
        if problem is not None:
            raise ScenarioError.at(shown, "", _missing(shown) if absent(path) else problem)
        return Location(shown, _key(path), path, path.parent, path.parent)
    outside = place_problem(relative_to, shown)
    if outside is not None:
        raise ScenarioError.at(relative_to.label, "extends", outside)
    resource = beside(relative_to, shown)
    problem = file_problem(resource, "scenario file")
    if problem is not None:
        detail = _missing(shown) if absent(resource) else f"{shown!r} {problem}"
        raise ScenarioError.at(relative_to.label, "extends", detail)
    if isinstance(resource, Path):
        return Location(
            os.path.normpath(resource),
            _key(resource),
            resource,
            resource.parent,
            _place(relative_to),
        )
    return Location(
        f"{SCENARIOS.where}/{reference}",
        f"shipped:{reference}",
        resource,
        relative_to.base,
        _place(relative_to),
    )


def _missing(shown: str) -> str:
    return f"no scenario file {shown!r} (not found)"


def _key(path: Path) -> str:
    return f"file:{os.path.realpath(path)}"


def _locate_shipped(name: str, relative_to: Location | None) -> Location:
    problem = SCENARIOS.unknown(name)
    if problem is not None:
        raise ScenarioError.at(
            relative_to.label if relative_to else name,
            "extends" if relative_to else "",
            problem,
        )
    folder = SCENARIOS.folder()
    return Location(SCENARIOS.label(name), f"shipped:{name}", SCENARIOS.file(name), folder, folder)


def beside(location: Location, name: str) -> Traversable:
    """Return the file ``name``, relative to the folder of the scenario file at ``location``.

    Check it with :func:`place_problem` first.
    """
    return (location.base if location.base is not None else Path.cwd()).joinpath(name)


def place_problem(location: Location, name: str) -> str | None:
    """Return why the file ``name``, named by the scenario at ``location``, is out of place.

    Out of place is outside the scenario's place: an absolute path, a ``..`` climbing out, a
    link leading out. None when it is in place.

    Nothing is opened: only the path, and the links along it, are looked at.
    """
    if "\0" in name:
        return f"{name!r} is not a file name (it holds a NUL character)"
    if PurePath(name).is_absolute():
        return f"{name!r} is an absolute path; give a path relative to the scenario's folder"
    base = location.base if location.base is not None else Path.cwd()
    place = _place(location)
    outside = f"{name!r} leads outside the scenario's folder {_shown(place)}"
    if isinstance(base, Path) and isinstance(place, Path):
        target = os.path.realpath(base / name)
        return None if Path(target).is_relative_to(os.path.realpath(place)) else outside
    # A folder inside an installed package: no links to follow, only the path's own steps.
    depth = 0
    for part in PurePath(name).parts:
        depth += -1 if part == ".." else 0 if part == "." else 1
        if depth < 0:
            return outside
    return None


def _place(location: Location) -> Traversable:
    """Return the folder that what ``location`` names must stay inside."""
    if location.place is not None:
        return location.place
    return location.base if location.base is not None else Path.cwd()


def _shown(folder: Traversable) -> str:
    return repr(str(folder)) if isinstance(folder, Path) else SCENARIOS.where
