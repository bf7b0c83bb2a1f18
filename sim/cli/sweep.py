"""``sharesim sweep``: run an experiment file into a resumable folder, or report its status.

::

    sharesim sweep EXPERIMENT --out DIR [--executor process|dask-local|dask]
                   [--workers N] [--scheduler ADDRESS] [--chunk-size K] [--quiet] [--yes]
    sharesim sweep status DIR

Running the same command again resumes (finished runs are kept, never recomputed); an
extended experiment (rows appended, more replicates, more scenarios) reuses what is done.
Every session ends by writing the report beside the runs (:mod:`sim.sweep.report`: response
curves, tipping points, conditions), so a resumed or extended sweep's report is up to date.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from sim.cli.app import PlainCommand, app, print_error, stdout
from sim.cli.options import ChunkSize, Executor, Quiet, Scheduler, Workers, Yes, out_option
from sim.cli.progress import sweep_bar
from sim.cli.signals import resumable
from sim.errors import InputError, SweepError
from sim.execution import Execution

if TYPE_CHECKING:
    from sim.sweep import SweepStatus


STATUS = "status"

_HELP = """Run an experiment file, or report on a sweep folder.

\b
  sharesim sweep EXPERIMENT --out DIR   run, resume or extend the experiment
  sharesim sweep status DIR             what is done, failed and left in DIR

EXPERIMENT is a shipped experiment's name (interface_sweep, counterfactuals,
replay_uncertainty) or an experiment file's path.

Run the same command again after an interruption to resume: finished runs are never
recomputed. DIR also gets report.md and report.html: response curves of the outputs over
each varied input, the tipping points in them, and where the final-year share stays high.
On a cluster: start Dask there and pass --executor dask --scheduler tcp://HOST:8786
(docs/cluster.md); the results are the same as on one machine.
"""


@app.command("sweep", cls=PlainCommand, help=_HELP, no_args_is_help=True)
def sweep_command(
    target: Annotated[
        str,
        typer.Argument(
            metavar="EXPERIMENT|status", help="Shipped experiment name or file, or 'status'."
        ),
    ],
    folder: Annotated[
        Path | None, typer.Argument(metavar="DIR", help="With 'status': the sweep folder.")
    ] = None,
    out: Annotated[Path | None, out_option("Sweep folder (created; reused to resume).")] = None,
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
        with resumable("finished chunks"):
            state = _run(target, out, execution, retry_failed, quiet, yes)
    except SweepError as error:
        print_error(error)
        raise typer.Exit(1) from None
    report, said = _report(out) if state.done else (None, [])
    if not quiet:
        _summary(stdout, state)
        for line in said:
            stdout.print(line)
        if report is not None:
            stdout.print(f"report: {report}")
    if state.failed:
        raise typer.Exit(1)


def _report(out: Path) -> tuple[Path, list[str]]:
    """Write the sweep's report beside its runs (again after every session).

    Return the report and what it says of the headline output, a line each, for the terminal.
    """
    # Start-up time: imported only when the command runs; loads pandas, matplotlib and the engine.
    from sim.names import HEADLINE, header
    from sim.sweep.report import sweep_findings, what_it_shows, write_findings

    findings = sweep_findings(out)
    report = write_findings(findings, out)["report.html"]
    if HEADLINE not in findings.outputs:
        return report, []
    said = [f"- {line.replace('**', '')}." for line in what_it_shows(findings, HEADLINE)]
    return report, [f"What the sweep shows of the {header(HEADLINE)}:", *said]


def _run(
    experiment: str,
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
    plan = load_experiment(experiment, force=yes).plan()
    with sweep_bar(plan.name, quiet) as bar:
        return run_plan(plan, out, execution=execution, progress=bar, retry_failed=retry_failed)


def _summary(console: Console, state: SweepStatus) -> None:
    console.print(
        f"sweep {state.name}: {state.total} runs, {state.done} done, {state.failed} failed, "
        f"{state.left} left -> {state.folder}",
    )
    if state.failed:
        console.print(f"failed runs are listed by: sharesim sweep status {state.folder}")


def _print_status(folder: Path) -> None:
    # Start-up time: imported only when the command runs; loads pandas and pyarrow.
    from sim.sweep import status

    state = status(folder)
    console = stdout
    share = 100.0 * (state.done + state.failed) / state.total if state.total else 100.0
    console.print(
        f"sweep {state.name} (experiment {state.experiment_hash[:12]}) in {state.folder}",
    )
    console.print(
        f"  design: {', '.join(state.scenarios)} x {state.design_rows} design rows x "
        f"{state.replicates} replicates",
    )
    console.print(
        f"  runs: {state.total} total, {state.done} done, {state.failed} failed, "
        f"{state.left} left ({share:.0f}% finished); {state.chunks} chunk files",
    )
    for message, count in state.errors:
        console.print(f"  failed x{count}: {message}")
    if state.sessions:
        last = state.sessions[-1]
        rate = ""
        if last.get("seconds") and last.get("runs_computed"):
            rate = f", {last['runs_computed'] / last['seconds']:.1f} runs/s"
        console.print(
            f"  last session: {state.state} at {last.get('finished', '-')} "
            f"({last.get('executor', '-')}, {last.get('runs_computed', 0)} runs computed{rate})",
        )
    console.print(
        "  complete"
        if state.complete
        else "  to finish: run the same sharesim sweep command again",
    )
