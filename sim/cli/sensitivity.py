"""``sharesim sensitivity``: run a sensitivity experiment file and write what it found.

::

    sharesim sensitivity EXPERIMENT [--out DIR] [--executor process|dask-local|dask|serial]
                         [--workers N] [--scheduler ADDRESS] [--chunk-size K] [--quiet] [--yes]

Writes into ``DIR`` (default ``results/sensitivity/<experiment name>``): ``brief.md`` and
``brief.html`` (the answer in plain words), ``indices.csv`` or ``morris.csv``, ``noise.csv``,
``convergence.csv``, ``factors.csv``, ``design.parquet``, ``runs.parquet``, ``result.json``
and ``figures/``. The model runs are stored in ``DIR/runs``: run the same command again after
an interruption and only the missing runs are computed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from sim.cli.app import PlainCommand, app, print_error, stderr, stdout
from sim.cli.options import ChunkSize, Executor, Quiet, Scheduler, Workers, Yes, out_option
from sim.cli.progress import sweep_bar
from sim.cli.signals import resumable
from sim.errors import SweepError
from sim.execution import Execution

if TYPE_CHECKING:
    import pandas as pd

    from sim.sensitivity.result import SensitivityResult

DEFAULT_ROOT = Path("results") / "sensitivity"
"""Where results go when ``--out`` is not given (one folder per experiment name)."""

_HELP = """Which factors change sharing most: a sensitivity analysis.

\b
  sharesim sensitivity sensitivity_morris
  sharesim sensitivity sensitivity_sobol_grouped --out DIR
  sharesim sensitivity sensitivity_shapley_calibrated
  sharesim sensitivity my_analysis.toml

EXPERIMENT is a shipped experiment's name or the path of an experiment file with a
[sensitivity] table (method = "sobol", "shapley" or "morris"; docs/sensitivity.md). Results, figures
and brief.md/brief.html go to --out (default results/sensitivity/<name>); the runs are
stored in DIR/runs, so running the same command again resumes an interrupted analysis.
"""


@app.command("sensitivity", cls=PlainCommand, help=_HELP, no_args_is_help=True)
def sensitivity_command(
    experiment: Annotated[
        str,
        typer.Argument(
            metavar="EXPERIMENT", help="Shipped sensitivity experiment name, or its file."
        ),
    ],
    out: Annotated[
        Path | None, out_option("Results folder (default results/sensitivity/<name>).")
    ] = None,
    executor: Executor = "process",
    workers: Workers = None,
    scheduler: Scheduler = None,
    chunk_size: ChunkSize = None,
    quiet: Quiet = False,
    yes: Yes = False,
) -> None:
    """Run a sensitivity experiment and write tables, figures and the brief."""
    # Start-up time: imported only when the command runs; loads SALib, pandas and the engine.
    from sim.sensitivity.experiment_file import load_sensitivity_experiment
    from sim.sensitivity.folder import check_folder, run_to_folder
    from sim.sensitivity.methods import RunsError

    # Everything is checked (options, file, scenario, inputs, outputs, sizes, the folder)
    # before anything runs or is written.
    execution = Execution(executor, workers, scheduler, chunk_size)
    loaded = load_sensitivity_experiment(experiment, force=yes)
    folder = out if out is not None else DEFAULT_ROOT / loaded.name
    check_folder(folder)
    errors = stderr
    if not quiet:
        errors.print(
            f"{loaded.name}: {loaded.method.capitalize()} over "
            f"{len(loaded.factors)} inputs, {loaded.runs} runs -> {folder}",
        )
    try:
        with resumable("finished runs"), sweep_bar(loaded.name, quiet) as bar:
            result, written = run_to_folder(loaded, folder, execution=execution, progress=bar)
    except (RunsError, SweepError) as error:
        print_error(error)
        errors.print(f"the finished runs are kept: sharesim sweep status {folder / 'runs'}")
        raise typer.Exit(1) from None
    if not quiet:
        _summary(stdout, result, written["brief.md"])


def _summary(console: Console, result: SensitivityResult, brief: Path) -> None:
    """Summarise the ranking of the first output, and say where the brief is.

    A table within 80 columns: each factor's estimates with their intervals, and whether it
    stands out from the run-to-run noise (Morris) or from zero (Sobol, Shapley).
    """
    output = result.outputs[0]
    ranking = result.ranking(output)
    title = f"{result.subject}: {output}"
    if result.method == "shapley":
        ranking = ranking.assign(
            factor=[
                f"{f} ({n} inputs)"
                for f, n in zip(ranking["factor"], ranking["inputs"], strict=True)
            ]
        )
        title = f"{title}, {ranking['assignment'].iloc[0]} assignment"
    estimates = _ESTIMATES[result.method]
    shown = ranking.head(12)
    decimals = 2 if result.method != "morris" else _decimals(shown["mu_star_high"])
    table = Table(title=title, title_justify="left", box=None, pad_edge=False)
    table.add_column("#", justify="right")
    table.add_column("factor", overflow="fold")
    for heading in estimates:
        table.add_column(f"{heading} [interval]", justify="right", no_wrap=True)
    baseline = "noise" if result.method == "morris" else "zero"
    table.add_column(f"distinguishable\nfrom {baseline}", no_wrap=True)
    for _, row in shown.iterrows():
        cells = [
            f"{row[column]:.{decimals}f} "
            f"[{row[f'{column}_low']:.{decimals}f}, {row[f'{column}_high']:.{decimals}f}]"
            for column in estimates.values()
        ]
        verdict = "yes" if row["distinguishable"] else "no"
        table.add_row(str(row["rank"]), str(row["factor"]), *cells, verdict)
    console.print(table)
    console.print(
        f"distinguishable: the interval clears {baseline} with the false discovery rate held at "
        f"{(1 - result.confidence) / 2:.1%} over the {len(ranking)} factors",
    )
    noise = result.noise_share.get(output)
    if noise is not None and noise == noise:
        console.print(f"run-to-run noise: {noise:.0%} of the variance of single runs")
    console.print(f"brief: {brief}")


_ESTIMATES = {
    "morris": {"mu*": "mu_star"},
    "sobol": {"S1": "S1", "ST": "ST"},
    "shapley": {"Shapley": "Sh"},
}
"""Per method, the estimates the summary shows: heading -> column of the ranking."""


def _decimals(values: pd.Series) -> int:
    """Decimals that give the largest of ``values`` three significant digits (at most 4)."""
    largest = float(values.abs().max())
    if not largest > 0:
        return 3
    return int(min(4, max(0, 2 - math.floor(math.log10(largest)))))
