"""``sharesim sweep``: run an experiment file into a resumable folder, or report its status.

::

    sharesim sweep EXPERIMENT.toml --out DIR [--executor process|dask-local|dask]
                   [--workers N] [--scheduler ADDRESS] [--chunk-size K] [--quiet] [--yes]
    sharesim sweep status DIR

Running the same command again resumes (finished runs are kept, never recomputed); an
extended experiment (rows appended, more replicates, more scenarios) reuses what is done.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from sim.cli import app, stderr, stdout
from sim.cli.options import ChunkSize, Executor, Quiet, Scheduler, Workers, Yes
from sim.cli.progress import sweep_bar
from sim.errors import InputError, SweepError
from sim.execution import Execution

if TYPE_CHECKING:
    from sim.sweep import SweepStatus


STATUS = "status"

_HELP = """Run an experiment file, or report on a sweep folder.

\b
  sharesim sweep EXPERIMENT.toml --out DIR   run (or resume, or extend) the experiment
  sharesim sweep status DIR                  what is done, failed and left in DIR

Run the same command again after an interruption to resume: finished runs are never
recomputed. On a cluster: start Dask there and pass --executor dask --scheduler tcp://HOST:8786
(docs/cluster.md); the results are the same as on one machine.
"""


@app.command("sweep", help=_HELP, no_args_is_help=True)
def sweep_command(
    target: Annotated[
        str,
        typer.Argument(metavar="EXPERIMENT.toml|status", help="Experiment file, or 'status'."),
    ],
    folder: Annotated[
        Path | None, typer.Argument(metavar="[DIR]", help="With 'status': the sweep folder.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Sweep folder (created; reused to resume).")
    ] = None,
    executor: Executor = "process",
    workers: Workers = None,
    scheduler: Scheduler = None,
    chunk_size: ChunkSize = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Run again the runs that failed.")
    ] = False,
    quiet: Quiet = False,
    yes: Yes = False,
) -> None:
    """Run an experiment file into DIR, or report the status of DIR."""
    if target == STATUS and folder is not None:
        _print_status(folder)
        return
    if target == STATUS:
        raise InputError("sweep status: give the sweep folder (sharesim sweep status DIR)")
    if folder is not None:
        raise InputError(f"sweep: unexpected argument {str(folder)!r}; the folder goes after --out")
    if out is None:
        raise InputError(f"sweep: give the output folder: sharesim sweep {target} --out DIR")
    execution = Execution(executor, workers, scheduler, chunk_size)
    try:
        state = _run(Path(target), out, execution, retry_failed, quiet, yes)
    except SweepError as error:
        stderr.print(f"sharesim: error: {error}", markup=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        stderr.print(
            "sharesim: interrupted; finished chunks are saved, run the same command to resume",
            markup=False,
        )
        raise typer.Exit(130) from None
    if not quiet:
        _summary(stdout, state)
    if state.failed:
        raise typer.Exit(1)


def _run(
    experiment_path: Path,
    out: Path,
    execution: Execution,
    retry_failed: bool,
    quiet: bool,
    yes: bool,
) -> SweepStatus:
    # Start-up time: imported only when the command runs; loads pandas, pyarrow and the engine.
    from sim.sweep import run_plan
    from sim.sweep.experiment import load_experiment

    # Everything is checked (file, scenarios, design, folder) before anything is written.
    plan = load_experiment(experiment_path, force=yes).plan()
    with sweep_bar(plan.name, quiet) as bar:
        return run_plan(plan, out, execution=execution, progress=bar, retry_failed=retry_failed)


def _summary(console: Console, state: SweepStatus) -> None:
    console.print(
        f"sweep {state.name}: {state.total} runs, {state.done} done, {state.failed} failed, "
        f"{state.left} left -> {state.folder}",
        markup=False,
    )
    if state.failed:
        console.print(
            f"failed runs are listed by: sharesim sweep status {state.folder}", markup=False
        )


def _print_status(folder: Path) -> None:
    # Start-up time: imported only when the command runs; loads pandas and pyarrow.
    from sim.sweep import status

    state = status(folder)
    console = stdout
    share = 100.0 * (state.done + state.failed) / state.total if state.total else 100.0
    console.print(
        f"sweep {state.name} (experiment {state.experiment_hash[:12]}) in {state.folder}",
        markup=False,
    )
    console.print(
        f"  design: {', '.join(state.scenarios)} x {state.design_rows} design rows x "
        f"{state.replicates} replicates",
        markup=False,
    )
    console.print(
        f"  runs: {state.total} total, {state.done} done, {state.failed} failed, "
        f"{state.left} left ({share:.0f}% finished); {state.chunks} chunk files",
        markup=False,
    )
    for message, count in state.errors:
        console.print(f"  failed x{count}: {message}", markup=False)
    if state.sessions:
        last = state.sessions[-1]
        rate = ""
        if last.get("seconds") and last.get("runs_computed"):
            rate = f", {last['runs_computed'] / last['seconds']:.1f} runs/s"
        console.print(
            f"  last session: {last.get('state', '?')} at {last.get('finished', '-')} "
            f"({last.get('executor', '-')}, {last.get('runs_computed', 0)} runs computed{rate})",
            markup=False,
        )
    console.print(
        "  complete"
        if state.complete
        else "  to finish: run the same sharesim sweep command again",
        markup=False,
    )
