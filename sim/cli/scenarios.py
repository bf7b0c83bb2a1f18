"""``sharesim scenarios | validate | run | compare | demo``: scenarios from the command line."""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sim.cli.app import PlainCommand, app, names_table, print_error, stdout
from sim.cli.options import Quiet, out_option, seed
from sim.cli.progress import counter_bar
from sim.errors import InputError
from sim.inputs import FileError
from sim.names import HEADLINE, STATE_ORDER, benefit_outputs, header, is_share

if TYPE_CHECKING:
    import pandas as pd

    from sim.comparison import Comparison
    from sim.scenarios import Scenario

console = stdout

Replicates = Annotated[
    int, typer.Option(min=1, max=100_000, metavar="N", help="Independent replicates.")
]
Seed = Annotated[
    int,
    typer.Option(
        parser=seed,
        metavar="SEED",
        help="Seed, 0 to 2**63-1; replicate r uses SeedSequence(seed, (0, r)).",
    ),
]
UsePosterior = Annotated[
    bool,
    typer.Option(
        "--posterior/--no-posterior",
        help="For a scenario with a posterior (sentinel_calibrated): draw each replicate's "
        "parameter set from it, or run every replicate at the scenario's defaults.",
    ),
]


def _find(*references: str) -> None:
    """Check that each scenario named exists, before a command imports what it runs with.

    Finding a file loads nothing heavy, so a misspelled name is answered at once.
    """
    # Start-up time: every command module loads for `sharesim --help`; this, only when one runs.
    from sim.scenarios.locate import locate

    for reference in references:
        locate(reference)


def _load(reference: str) -> Scenario:
    # Start-up time: imported only when the command runs; loads pydantic, pandas and the engine.
    from sim.scenarios import Scenario

    return Scenario.load(reference)


@app.command("scenarios", cls=PlainCommand)
def list_command() -> None:
    """List the shipped scenarios with one-line descriptions."""
    # Start-up time: imported only when the command runs (the lookup alone: nothing heavy).
    from sim.scenarios import list_scenarios

    table = Table("scenario", "description", box=None)
    for name, description in list_scenarios():
        table.add_row(name, description)
    console.print(table)


_INPUT_FILE = (
    "A scenario, sweep, sensitivity or calibration experiment, targets file or partner table "
    "(.csv), or a shipped scenario's or experiment's name."
)


@app.command("validate", cls=PlainCommand)
def validate_command(
    files: Annotated[list[str], typer.Argument(metavar="FILE...", help=_INPUT_FILE)],
) -> None:
    """Check input files: what each holds, or what is wrong."""
    # Start-up time: imported only when the command runs (each kind's loader, when needed).
    from sim.validate import check

    valid = True
    for file in files:
        try:
            said = check(file)
        except InputError as error:
            valid = False
            lines = error.lines() if isinstance(error, FileError) else [str(error)]
            for line in lines:  # a line each, as the one problem of other commands reads
                print_error(line)
            continue
        console.print(said)
    if not valid:
        raise typer.Exit(2)


def _keep_to_the_end() -> None:
    """Leave every object alive now out of garbage collection for the rest of the command.

    A command is one short process, and what it has loaded by then (modules, the engine's
    compiled code, the run's result) lives until it ends anyway. Left in, all of it is walked
    again by every full collection while the report's figures are drawn and once more at
    exit: about 0.5 s of the 3 s of CPU of a one-replicate run. Garbage is collected first
    (about 0.04 s), so that none is kept for good when the command runs inside a longer
    process (a test, a notebook calling :func:`sim.cli.main`).
    """
    gc.collect()
    gc.freeze()


def run_to_folder(
    reference: str,
    replicates: int,
    seed: int,
    out: Path,
    posterior: bool = True,
    quiet: bool = False,
) -> None:
    """Run a scenario, write its folder into ``out`` and print the per-partner summary.

    The folder is written by :func:`sim.run_folder.write_run_folder`; ``quiet``: no progress
    bar and no summary.
    """
    _find(reference)
    # Start-up time: imported only when the command runs; loads pandas, numba and matplotlib.
    from sim.metrics import summary_metrics
    from sim.run import run
    from sim.run_folder import check_run_folder, write_run_folder

    _keep_to_the_end()
    # The folder and the scenario are checked before anything runs or is written.
    check_run_folder(out)
    scenario = _load(reference)
    started = time.perf_counter()
    with counter_bar(replicates, f"{scenario.name}: replicates", quiet) as advance:
        result = run(
            scenario, seed=seed, replicates=replicates, posterior=posterior, progress=advance
        )
    elapsed = time.perf_counter() - started
    _keep_to_the_end()  # the run's result and the engine's loaded code, too
    write_run_folder(result, scenario, out, seconds=elapsed, command=["sharesim", *sys.argv[1:]])
    if not quiet:
        _print_summary(scenario.name, result.summary(), summary_metrics(result.trajectory), out)


def _print_summary(name: str, summary: pd.DataFrame, metrics: pd.DataFrame, out: Path) -> None:
    # Start-up time: imported only when the command runs; loads numpy.
    from sim.headline import range_text, spread, value_text

    table = names_table(
        "partner",
        "final-year\nshare",
        "90% of\nruns",
        "final\nbuy-in",
        "runs with a live\ninterface at end",
        title=f"{name}: per partner (medians over runs)",
    )
    for partner, row in summary.iterrows():
        table.add_row(
            str(partner),
            value_text(row["share"], "share"),
            range_text(row["share_p05"], row["share_p95"], "share"),
            f"{row['buy_in']:.2f}",
            f"{row['interface_live']:.0%}",
        )
    console.print(table)
    share = spread(metrics[HEADLINE])
    rho = spread(metrics["buy_in_share_correlation"])
    console.print(
        f"partnership final-year share {share.text(HEADLINE)}; buy-in/share rank correlation "
        f"{rho.median:.2f}",
    )
    console.print(f"wrote {out}/report.md, report.html, figures/, *.parquet, manifest.json")


@app.command("run", cls=PlainCommand)
def run_command(
    scenario: Annotated[
        str, typer.Argument(metavar="SCENARIO", help="Shipped scenario name or scenario file.")
    ],
    replicates: Replicates = 20,
    seed: Seed = 1,
    out: Annotated[Path | None, out_option("Output folder (default results/<scenario>).")] = None,
    posterior: UsePosterior = True,
    quiet: Quiet = False,
) -> None:
    """Run a scenario; write its tables, figures and report.

    Writes tidy Parquet tables, a manifest, figures, report.md and report.html.
    """
    folder = out or Path("results") / Path(scenario).stem
    run_to_folder(scenario, replicates, seed, folder, posterior, quiet)


@app.command("compare", cls=PlainCommand)
def compare_command(
    first: Annotated[
        str, typer.Argument(metavar="BASELINE", help="Baseline scenario (name or file).")
    ],
    second: Annotated[str, typer.Argument(metavar="OTHER", help="Scenario compared with it.")],
    replicates: Replicates = 20,
    seed: Seed = 1,
    out: Annotated[
        Path | None,
        out_option("Also write the comparison (table, report, figure) into this folder."),
    ] = None,
    posterior: UsePosterior = True,
) -> None:
    """Difference in sharing between two scenarios.

    Median paired difference and the interval holding 90% of the paired runs, partnership-wide and
    per partner.

    Both run with the same seeds (common random numbers), so each pair of runs differs by
    the scenarios, not by chance; two scenarios with the same posterior also draw the same
    parameter set for each replicate.
    """
    _find(first, second)
    # Start-up time: imported only when the command runs; loads pandas, numba and matplotlib.
    from sim.comparison import compare_results
    from sim.comparison_folder import check_comparison_folder, write_comparison
    from sim.metrics import summary_metrics
    from sim.run import run

    if out is not None:
        check_comparison_folder(out)
    a, b = _load(first), _load(second)
    if a.partner_names != b.partner_names:
        raise InputError(f"{second}: compares only scenarios with the same partners")
    with counter_bar(2 * replicates, "comparing") as advance:
        ra = run(a, seed=seed, replicates=replicates, posterior=posterior, progress=advance)
        rb = run(
            b,
            seed=seed,
            replicates=replicates,
            posterior=posterior,
            progress=lambda done: advance(replicates + done),
        )
    comparison = compare_results(
        ra, rb, summary_metrics(ra.trajectory), summary_metrics(rb.trajectory)
    )
    _print_comparison(comparison)
    if out is not None:
        command = ["sharesim", *sys.argv[1:]]
        path = write_comparison(comparison, out, seed=seed, command=command, scenarios=(a, b))
        report = path.with_suffix("") / "report.html"
        console.print(f"wrote {path} and {report}")


def _print_comparison(comparison: Comparison) -> None:
    """Return the comparison as two tables that fit 80 columns.

    Partnership-wide outputs, and the final-year share per partner (shares in %, their differences
    in points).
    """
    # Start-up time: imported only when the command runs; loads pandas, matplotlib and the engine.
    from sim.comparison import scenario_columns
    from sim.comparison_report import answer

    first, second = scenario_columns(comparison)
    table = comparison.table
    wanted = [c for c in table.index if "." not in c]
    outputs = [c for c in (*STATE_ORDER, *benefit_outputs(wanted)) if c in wanted]

    def number(value: float, column: str, signed: bool = False) -> str:
        sign = "+" if signed else ""
        if is_share(column):
            return f"{100 * value:{sign}.0f}"
        decimals = 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0
        return f"{value:{sign}.{decimals}f}"

    def rows(title: str, label: str, entries: list[tuple[str, str, pd.Series]]) -> Table:
        shown = names_table(
            label,
            comparison.first,
            comparison.second,
            "difference [90%]",
            title=title,
            justify="right",
        )
        for name, column, row in entries:
            low, high = number(row["low"], column, True), number(row["high"], column, True)
            shown.add_row(
                name,
                number(row[first], column) + ("%" if is_share(column) else ""),
                number(row[second], column) + ("%" if is_share(column) else ""),
                f"{number(row['difference'], column, True)} [{low} to {high}]",
            )
        return shown

    console.print(
        rows(
            f"{comparison.second} vs {comparison.first}: medians of {comparison.replicates} "
            "paired runs, [90% of runs]; differences of shares in points",
            "output",
            [(header(c), c, table.loc[c]) for c in outputs],
        )
    )
    partners = comparison.partners.xs(HEADLINE, level="output")
    console.print(
        rows(
            f"{header(HEADLINE)} by partner",
            "partner",
            [(str(p), HEADLINE, row) for p, row in partners.iterrows()],
        )
    )
    console.print(answer(comparison))


@app.command("demo", cls=PlainCommand)
def demo_command(
    replicates: Replicates = 20,
    seed: Seed = 1,
    out: Annotated[Path, out_option("Output folder.")] = Path("results/sentinel_replay"),
) -> None:
    """Replay Sentinel on the shipped defaults; report in results/."""
    run_to_folder("sentinel_replay", replicates, seed, out)
