"""Command-line options shared by the commands that run many simulations.

The sweep, sensitivity and calibrate commands share one spelling, one help text and one set
of bounds. Each command builds one :class:`sim.execution.Execution` from them and passes it
on whole. Every command that writes a folder takes it as ``--out`` (:func:`out_option`),
which refuses an empty name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from sim.execution import ExecutorName
from sim.limits import CONFIRM_RUNS_ABOVE, MAX_RUNS

Executor = Annotated[
    ExecutorName,
    typer.Option(help="process pool, Dask LocalCluster, Dask cluster, or in this process."),
]
Workers = Annotated[
    int | None, typer.Option(min=1, help="Worker processes (default: this machine's CPUs).")
]
Scheduler = Annotated[
    str | None, typer.Option(help="Dask scheduler address, with --executor dask.")
]
ChunkSize = Annotated[
    int | None, typer.Option(min=1, help="Runs per chunk (does not change results).")
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary.")]
Yes = Annotated[
    bool,
    typer.Option(
        "--yes",
        help=f"Start even if the runs are more than {CONFIRM_RUNS_ABOVE:,} "
        f"(never more than {MAX_RUNS:,}; docs/reliability.md).",
    ),
]


def folder(value: str) -> Path:
    """Parse an output folder named on the command line.

    An empty name is refused (it would silently mean the current folder).
    """
    if not value.strip():
        raise typer.BadParameter("give a folder name (an empty one would mean this folder)")
    return Path(value)


def out_option(help: str) -> Any:
    """Return the ``--out DIR`` option of a command that writes a folder, with ``help``."""
    return typer.Option("--out", parser=folder, metavar="DIR", help=help)
