"""Where scenario files are: the shipped ones and the user's by name, others by path.

A bare name (``"sentinel_replay"``) is a file shipped in this package or, failing that, a
``<name>.toml`` in one of the folders the user lists in the environment variable
``SHARESIM_SCENARIOS`` (separated by ``os.pathsep``, searched in order, like ``PATH``);
anything with a ``/`` or ending ``.toml`` is a path (the rule of :mod:`sim.shipped`, which
experiment files share). A relative ``extends`` or ``behaviour_from`` path, and a posterior
file a scenario names, start from the folder of the file that names them, and must stay inside
the scenario's place: the folder of the file that was loaded (for a shipped scenario, the
shipped folder; for one found in a user's folder, that folder). An absolute path, a ``..``
that climbs out, or a symbolic link leading out is refused before anything is opened, so a
scenario cannot read (or show a line of) a file outside its place.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path, PurePath

from sim.inputs import absent, did_you_mean, file_problem, read_toml
from sim.scenarios.error import ScenarioError
from sim.shipped import SCENARIOS, is_path

SCENARIOS_ENV = "SHARESIM_SCENARIOS"
"""Environment variable listing the user's scenario folders (separated by ``os.pathsep``):
a ``<name>.toml`` in one of them loads by its bare name, like a shipped scenario."""

EXAMPLES = "examples"
"""Folder of the shipped package holding the worked examples (fictional partnerships), kept
apart from the shipped scenarios, which are Leicestershire's."""


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


def examples_folder() -> Traversable:
    """Return the folder of the shipped worked examples (``docs/new-partnership.md``)."""
    return SCENARIOS.folder().joinpath(EXAMPLES)


def search_folders(environ: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """Return the user's scenario folders named in :data:`SCENARIOS_ENV`, in order.

    Parameters
    ----------
    environ : mapping, optional
        The environment to read (default: this process's).

    Raises
    ------
    ScenarioError
        If a listed folder does not exist or is not a folder.
    """
    value = (os.environ if environ is None else environ).get(SCENARIOS_ENV, "")
    folders = []
    for part in value.split(os.pathsep):
        if not part.strip():
            continue
        folder = Path(part).expanduser()
        if not folder.is_dir():
            raise ScenarioError.at(
                SCENARIOS_ENV, "", f"{part!r} is not a folder (it lists scenario folders)"
            )
        folders.append(folder)
    return tuple(folders)


def _folder_names(folder: Path) -> list[str]:
    return sorted(
        entry.stem for entry in folder.iterdir() if entry.suffix == ".toml" and entry.is_file()
    )


def list_scenarios(environ: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """Return ``(name, description)`` of every scenario a bare name loads.

    The shipped ones sorted by name, then those in each folder of :data:`SCENARIOS_ENV` (a name
    already listed is not listed again: the first one found is the one a name loads).
    """
    listed = _described(SCENARIOS.folder(), SCENARIOS.names(), set())
    for folder in search_folders(environ):
        listed += _described(folder, _folder_names(folder), {name for name, _ in listed})
    return listed


def _described(folder: Traversable, names: list[str], taken: set[str]) -> list[tuple[str, str]]:
    described = []
    for name in names:
        if name in taken:
            continue
        document, _ = read_toml(folder.joinpath(f"{name}.toml"), error=ScenarioError)
        described.append((name, str(document.get("description", ""))))
    return described


def locate(
    reference: str | Path, relative_to: Location | None = None, field: str = "extends"
) -> Location:
    """Return where the scenario ``reference`` is: a name or a file path.

    Parameters
    ----------
    reference : str or Path
        A bare name (``"sentinel_replay"``) looks among the shipped scenarios, then in the
        folders of :data:`SCENARIOS_ENV`; anything with a ``/`` or ending ``.toml`` is a path.
    relative_to : Location, optional
        The file that names it (in ``extends`` or ``behaviour_from``); a relative path starts
        from its folder and must stay inside its place.
    field : str
        The field of ``relative_to`` that names it, for messages.

    Raises
    ------
    ScenarioError
        If there is no such scenario or file.
    """
    if isinstance(reference, Path) or is_path(reference):
        return _locate_path(reference, relative_to, field)
    return _locate_shipped(reference, relative_to, field)


def _locate_path(reference: str | Path, relative_to: Location | None, field: str) -> Location:
    shown = str(reference)
    if relative_to is None:
        path = Path(reference)
        problem = file_problem(path, "scenario file")
        if problem is not None:
            raise ScenarioError.at(shown, "", _missing(shown) if absent(path) else problem)
        return Location(shown, _key(path), path, path.parent, path.parent)
    outside = place_problem(relative_to, shown)
    if outside is not None:
        raise ScenarioError.at(relative_to.label, field, outside)
    resource = beside(relative_to, shown)
    problem = file_problem(resource, "scenario file")
    if problem is not None:
        detail = _missing(shown) if absent(resource) else f"{shown!r} {problem}"
        raise ScenarioError.at(relative_to.label, field, detail)
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


def _locate_shipped(name: str, relative_to: Location | None, field: str) -> Location:
    names = SCENARIOS.names()
    if name in names:
        folder = SCENARIOS.folder()
        return Location(
            SCENARIOS.label(name), f"shipped:{name}", SCENARIOS.file(name), folder, folder
        )
    folders = search_folders()
    for folder in folders:
        path = folder / f"{name}.toml"
        if file_problem(path) is None:
            # The user's folder is the scenario's place, as the shipped folder is a shipped one's.
            return Location(str(path), _key(path), path, folder, folder)
    known = [*names, *(n for folder in folders for n in _folder_names(folder))]
    elsewhere = (
        f", nor one in the folders of {SCENARIOS_ENV}"
        if folders
        else f" (a folder of your own scenarios can be listed in {SCENARIOS_ENV})"
    )
    raise ScenarioError.at(
        relative_to.label if relative_to else name,
        field if relative_to else "",
        f"no shipped scenario named {name!r}{did_you_mean(name, known)}{elsewhere}; "
        f"shipped: {', '.join(names)}",
    )


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
