"""The version of the model code: what a run's key says about the code that computed it."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import importlib.resources
from collections.abc import Iterator
from importlib.resources.abc import Traversable

NOT_MODEL = frozenset(
    {
        "__init__.py",
        "comparison.py",
        "comparison_folder.py",
        "comparison_report.py",
        "conclusion.py",
        "design.py",
        "discovery.py",
        "durable.py",
        "errors.py",
        "execution.py",
        "headline.py",
        "labels.py",
        "model.py",
        "outcomes.py",
        "output_folder.py",
        "pages.py",
        "palette.py",
        "provenance.py",
        "reference.py",
        "run_report.py",
        "run_folder.py",
        "shipped.py",
        "store.py",
        "tipping.py",
        "validate.py",
        "weeks.py",
        "agents",
        "brief",
        "calibration",
        "cli",
        "dashboard",
        "sensitivity",
        "sweep",
    }
)
"""Modules and subpackages of ``sim`` (paths inside the package) that cannot change a run's
result: hosts, files, reports, and the machinery that runs and stores the model. Every other
module, in the package or in any subpackage (``scenarios/``), counts as model code, so a new
one is included by default."""


@functools.cache
def model_version() -> str:
    """Return the version of the model code: package version and a digest of model modules.

    The digest covers the modules that decide results (engine and its compiled kernel,
    parameters, metrics, seeds, timeline, scenario compilation: every module but those in
    :data:`NOT_MODEL`), and the numpy and numba versions (random streams, compiled code).

    Part of every run key, so results of different model code never mix in one folder, and
    checked on every worker, so a cluster running other code is refused. Computed once per
    process: it describes the code this process imported, not files edited since.
    """
    digest = hashlib.sha256()
    for name, source in sorted(model_sources(), key=lambda item: item[0]):
        digest.update(name.encode() + b"\0" + source.read_bytes() + b"\0")
    # The random streams and the compiled kernel also depend on these two.
    for library in ("numpy", "numba"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            digest.update(f"{library} {importlib.metadata.version(library)}".encode())
    return f"{package_version()}+{digest.hexdigest()[:12]}"


def package_version() -> str:
    """Return the installed version of sharesim; ``unknown`` when not installed.

    It is read from the package's metadata rather than from ``sim.__version__``, whose package
    imports this one.
    """
    try:
        return importlib.metadata.version("sharesim")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def model_sources() -> Iterator[tuple[str, Traversable]]:
    """Every module of the model code, with its path inside the package (``scenarios/x.py``)."""
    return _sources(importlib.resources.files("sim"), "")


def _sources(folder: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for entry in folder.iterdir():
        name = f"{prefix}{entry.name}"
        if name in NOT_MODEL or entry.name == "__pycache__":
            continue
        if entry.is_dir():
            yield from _sources(entry, f"{name}/")
        elif entry.name.endswith(".py"):
            yield name, entry
