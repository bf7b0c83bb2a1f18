r"""Files shipped inside the package and found by name: scenarios and experiment files.

One rule for every command and function that takes such a file: a bare name
(``sentinel_replay``, ``interface_sweep``) is a file shipped in the package; anything holding a
``/`` (or ``\``) or ending ``.toml`` is a path, and so is any :class:`~pathlib.Path`. A name
works the same from a checkout and from an installed wheel, since the files are package data
(``experiments/`` in a checkout is a link to ``sim/experiments/``).
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from sim.inputs import FileError, did_you_mean

SUFFIX = ".toml"


def is_path(reference: str) -> bool:
    """Whether ``reference`` names a file by path rather than a shipped file by name."""
    return "/" in reference or "\\" in reference or reference.endswith(SUFFIX)


@dataclass(frozen=True)
class ShippedFolder:
    """A folder of TOML files shipped in the package, each found by its name (the file's stem).

    Attributes
    ----------
    package : str
        The package holding the folder (``sim.scenarios``).
    subfolder : str
        The folder inside the package (empty: the package's own folder).
    kind : str
        What the files are, as messages name them (``scenario``).
    """

    package: str
    subfolder: str
    kind: str

    def folder(self) -> Traversable:
        """Return the folder holding the files."""
        root = importlib.resources.files(self.package)
        return root.joinpath(self.subfolder) if self.subfolder else root

    def names(self) -> list[str]:
        """Return the names of the shipped files, sorted."""
        return sorted(
            entry.name.removesuffix(SUFFIX)
            for entry in self.folder().iterdir()
            if entry.name.endswith(SUFFIX) and entry.is_file()
        )

    def file(self, name: str) -> Traversable:
        """Return the shipped file called ``name`` (check it is one with :meth:`unknown`)."""
        return self.folder().joinpath(f"{name}{SUFFIX}")

    @property
    def where(self) -> str:
        """How messages name the folder (``sim/scenarios``)."""
        return "/".join([*self.package.split("."), *([self.subfolder] if self.subfolder else [])])

    def label(self, name: str) -> str:
        """How messages name the shipped file ``name`` (``sim/scenarios/x.toml``)."""
        return f"{self.where}/{name}{SUFFIX}"

    def unknown(self, name: str) -> str | None:
        """Return why ``name`` is not a shipped file, or None when it is one.

        The reason gives the closest name and the list.
        """
        names = self.names()
        if name in names:
            return None
        return (
            f"no shipped {self.kind} named {name!r}{did_you_mean(name, names)}; "
            f"shipped: {', '.join(names)}"
        )


SCENARIOS = ShippedFolder("sim.scenarios", "", "scenario")
"""The shipped scenarios (``sharesim scenarios`` lists them)."""

EXPERIMENTS = ShippedFolder("sim", "experiments", "experiment file")
"""The shipped experiment files: sweeps, sensitivity analyses and calibration settings."""


def find(
    reference: str | Path, shipped: ShippedFolder, error: type[FileError]
) -> tuple[Path | Traversable, str]:
    """Return the file ``reference`` names and how messages name it.

    Parameters
    ----------
    reference : str or Path
        A shipped file's name, or a path (see :func:`is_path`).
    shipped : ShippedFolder
        Where a name is looked up.
    error : type of FileError
        Raised for a name that is not shipped.

    Raises
    ------
    FileError
        Of type ``error``: no shipped file has that name (one line with the closest name).
    """
    if isinstance(reference, Path) or is_path(reference):
        return Path(reference), str(reference)
    problem = shipped.unknown(reference)
    if problem is not None:
        raise error.at(reference, "", problem)
    return shipped.file(reference), shipped.label(reference)
