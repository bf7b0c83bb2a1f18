"""Where a result came from.

Package versions, the code's git commit, the interpreter, and the scenario it was computed from.
"""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from sim.errors import InputError
from sim.shipped import SCENARIOS

if TYPE_CHECKING:
    from sim.scenarios import Scenario

PACKAGE_ROOT = Path(__file__).resolve().parent
"""The ``sim`` package's folder, wherever it is installed."""

IN_PACKAGE = "package:"
"""Prefix of a reference to a file inside the package (``package:scenarios/examples/x.toml``)."""

PACKAGES = (
    "sharesim",
    "mesa",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "SALib",
    "dask",
    "distributed",
    "pydantic",
)


def package_versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Installed version of each package ("not installed" when absent)."""
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit() -> str:
    """Return the commit of the checkout this package runs from, ``+dirty`` for local changes.

    ``unknown`` outside a git checkout.
    """
    try:
        commit = _git("rev-parse", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def _git(*arguments: str) -> str:
    """Run a git command in the folder of this package; return what it printed, stripped."""
    return subprocess.run(
        ["git", *arguments],
        cwd=Path(__file__).resolve().parent,
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout.strip()


def environment() -> dict[str, object]:
    """Everything a manifest records about the software that produced a result."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "git_commit": git_commit(),
    }


def scenario_reference(scenario: Scenario) -> str:
    """Return how a result folder names its scenario so that it loads again from anywhere.

    A shipped scenario by its name, a file inside the package (the worked examples) by its
    place in it (:data:`IN_PACKAGE`), any other scenario file by its absolute path (a path as
    typed is relative to a working directory the folder does not remember), anything else
    (text, a scenario built in code) by the label it was made with. So a result folder
    written from the package's own files loads them again in any checkout or installation.
    """
    if scenario.origin == SCENARIOS.label(scenario.name):
        return scenario.name
    path = Path(scenario.origin)
    return file_reference(path) if path.is_file() else scenario.origin


def file_reference(path: Path) -> str:
    """Return how a result names a file it read: by its place in the package, else absolutely."""
    resolved = path.resolve()
    if resolved.is_relative_to(PACKAGE_ROOT):
        return IN_PACKAGE + resolved.relative_to(PACKAGE_ROOT).as_posix()
    return str(resolved)


def reference_path(reference: str) -> str:
    """Return a reference :func:`scenario_reference` wrote as a name or path to load."""
    if reference.startswith(IN_PACKAGE):
        return str(PACKAGE_ROOT / reference.removeprefix(IN_PACKAGE))
    return reference


def recorded_scenario(reference: str, content_hash: str | None = None) -> Scenario | None:
    """Return the scenario a result folder names, as it was when the result was computed.

    A shipped name or a path; None when it can no longer be loaded, or when ``content_hash`` is
    given and the scenario has changed since (its provenance would then not be the result's).
    """
    # Not imported above: sweeps and their workers import this module, and the scenario
    # machinery (pydantic schemas) loads only where a scenario is read.
    from sim.scenarios import Scenario

    try:
        scenario = Scenario.load(reference_path(reference))
    except (InputError, OSError):
        return None
    if content_hash is not None and scenario.content_hash() != content_hash:
        return None
    return scenario


def scenario_of_record(record: Mapping[str, object]) -> Scenario | None:
    """Return the scenario a run's manifest or an analysis's provenance records, as it was.

    The record holds ``scenario`` (its name), ``scenario_origin`` (:func:`scenario_reference`)
    and ``scenario_hash``. A record written before origins were recorded to load from anywhere
    has none, or names a shipped scenario by its path in a checkout: its name then finds it,
    and the content hash checks it either way.
    """
    name, content = record.get("scenario"), record.get("scenario_hash")
    if not name:
        return None
    content = None if content is None else str(content)
    origin = record.get("scenario_origin")
    found = recorded_scenario(str(origin), content) if origin else None
    return found or recorded_scenario(str(name), content)
