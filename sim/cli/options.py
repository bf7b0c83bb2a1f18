"""Command-line options shared by the commands that run many simulations (sweep,
sensitivity, calibrate): one spelling, one help text, one set of bounds. Each command builds
one :class:`sim.execution.Execution` from them and passes it on whole."""

from __future__ import annotations

from typing import Annotated

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
