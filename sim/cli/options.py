"""Command-line options shared by the commands that run many simulations.

The sweep, sensitivity and calibrate commands share one spelling, one help text, one set of
bounds and one metavar (a whole number is ``N``, :func:`count_option`). Each command builds
one :class:`sim.execution.Execution` from them and passes it on whole. Every command that
writes a folder takes it as ``--out`` (:func:`out_option`), which refuses an empty name; every
command that takes a seed reads it with :func:`seed`. A refused value is told as an input
file's problem is: ``--seed: must be from 0 to 2**63-1, got -1``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, cast

import typer

from sim.execution import EXECUTORS, ExecutorName
from sim.inputs import did_you_mean, one_of
from sim.limits import CONFIRM_RUNS_ABOVE, MAX_RUNS, MAX_SEED


def count_option(help: str, least: int = 1) -> Any:
    """Return an option taking a whole number ``N`` of at least ``least``, with ``help``."""
    return typer.Option(min=least, metavar="N", help=help)


def executor(value: str) -> ExecutorName:
    """Read an executor named on the command line: one of :data:`sim.execution.EXECUTORS`."""
    if value not in EXECUTORS:
        raise typer.BadParameter(
            f"must be one of {one_of(EXECUTORS)}, got {value!r}{did_you_mean(value, EXECUTORS)}"
        )
    return cast(ExecutorName, value)


Executor = Annotated[
    ExecutorName,
    typer.Option(
        parser=executor,
        metavar="[process|dask-local|dask|serial]",
        help="A process pool, a Dask LocalCluster, a Dask cluster, or this process.",
    ),
]
Workers = Annotated[int | None, count_option("Worker processes (default: this machine's CPUs).")]
Scheduler = Annotated[
    str | None,
    typer.Option(metavar="ADDRESS", help="Dask scheduler address, with --executor dask."),
]
ChunkSize = Annotated[int | None, count_option("Runs per chunk (does not change results).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")]
Yes = Annotated[
    bool,
    typer.Option(
        "--yes",
        help=f"Start even if the runs are more than {CONFIRM_RUNS_ABOVE:,} "
        f"(never more than {MAX_RUNS:,}; docs/reliability.md).",
    ),
]


def seed(value: str) -> int:
    """Read a seed named on the command line: a whole number from 0 to ``MAX_SEED``.

    Checked here rather than as an option range, which the help would spell out digit by digit.
    """
    try:
        number = int(value)
    except ValueError:
        raise typer.BadParameter(f"must be a whole number, got {value!r}") from None
    if not 0 <= number <= MAX_SEED:
        raise typer.BadParameter(f"must be from 0 to 2**63-1, got {number}")
    return number


def folder(value: str | Path) -> Path:
    """Parse an output folder named on the command line (or a command's default folder).

    An empty name is refused (it would silently mean the current folder).
    """
    if isinstance(value, Path):
        return value
    if not value.strip():
        raise typer.BadParameter("give a folder name (an empty one would mean this folder)")
    return Path(value)


def out_option(help: str) -> Any:
    """Return the ``--out DIR`` option of a command that writes a folder, with ``help``."""
    return typer.Option("--out", parser=folder, metavar="DIR", help=help)
