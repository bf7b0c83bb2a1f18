"""``sharesim scenarios | validate | run | compare | demo``: scenarios from the command line."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sim.cli.app import app, stdout
from sim.cli.options import out_option
from sim.cli.progress import counter_bar
from sim.errors import InputError
from sim.limits import MAX_SEED

if TYPE_CHECKING:
    import pandas as pd

    from sim.scenarios import Scenario

console = stdout

Replicates = Annotated[int, typer.Option(min=1, max=100_000, help="Independent replicates.")]
Seed = Annotated[
    int,
    typer.Option(min=0, max=MAX_SEED, help="Seed; replicate r uses SeedSequence(seed, (0, r))."),
]
UsePosterior = Annotated[
    bool,
    typer.Option(
        "--posterior/--no-posterior",
        help="For a scenario with a posterior (sentinel_calibrated): draw each replicate's "
        "parameter set from it, or run every replicate at the scenario's defaults.",
    ),
]


def _load(reference: str) -> Scenario:
    from sim.scenarios import Scenario

    return Scenario.load(reference)


@app.command("scenarios")
def list_command() -> None:
    """List the shipped scenarios with one-line descriptions."""
    from sim.scenarios import list_scenarios

    table = Table("scenario", "description", box=None)
    for name, description in list_scenarios():
        table.add_row(name, description)
    console.print(table)


@app.command("validate")
def validate_command(
    file: Annotated[str, typer.Argument(help="Scenario file (or shipped scenario name).")],
) -> None:
    """Check a scenario file; print what it contains, or one line saying what is wrong."""
    scenario = _load(file)
    scenario.compile()
    uncertain = scenario.uncertain_inputs()
    posterior = scenario.posterior
    drawn = (
        ""
        if posterior is None
        else f", a posterior of {len(posterior)} sets over {len(posterior.inputs)} of them"
    )
    console.print(
        f"{file}: valid scenario {scenario.name!r}: {len(scenario.partner_names)} partners, "
        f"{scenario.weeks} weeks, {len(uncertain)} uncertain inputs{drawn}"
    )


def run_to_folder(
    reference: str, replicates: int, seed: int, out: Path, posterior: bool = True
) -> None:
    """Run a scenario, write its folder into ``out`` and print the per-partner summary.

    The folder is written by :func:`sim.run_folder.write_run_folder`.
    """
    from sim.metrics import summary_metrics
    from sim.run import run
    from sim.run_folder import check_run_folder, write_run_folder

    # The folder and the scenario are checked before anything runs or is written.
    check_run_folder(out)
    scenario = _load(reference)
    started = time.perf_counter()
    with counter_bar(replicates, f"{scenario.name}: replicates") as advance:
        result = run(
            scenario, seed=seed, replicates=replicates, posterior=posterior, progress=advance
        )
    elapsed = time.perf_counter() - started
    write_run_folder(result, scenario, out, seconds=elapsed, command=["sharesim", *sys.argv[1:]])
    _print_summary(scenario.name, result.summary(), summary_metrics(result.trajectory), out)


def _print_summary(name: str, summary: pd.DataFrame, metrics: pd.DataFrame, out: Path) -> None:
    table = Table(
        "partner",
        "final-year share",
        "5-95%",
        "buy-in",
        "interface live",
        title=f"{name}: per partner",
        box=None,
    )
    for partner, row in summary.iterrows():
        table.add_row(
            str(partner),
            f"{row['share']:.0%}",
            f"{row['share_p05']:.0%}-{row['share_p95']:.0%}",
            f"{row['buy_in']:.2f}",
            f"{row['interface_live']:.0%}",
        )
    console.print(table)
    share = metrics["share_final_year"]
    console.print(
        f"partnership final-year share {share.mean():.1%} "
        f"(5-95%: {share.quantile(0.05):.1%}-{share.quantile(0.95):.1%}); "
        f"buy-in/share rank correlation {metrics['buy_in_share_correlation'].mean():.2f}"
    )
    console.print(f"wrote {out}/report.md, report.html, figures/, *.parquet, manifest.json")


@app.command("run")
def run_command(
    scenario: Annotated[str, typer.Argument(help="Shipped scenario name or a scenario file.")],
    replicates: Replicates = 20,
    seed: Seed = 1,
    out: Annotated[Path | None, out_option("Output folder (default results/<scenario>).")] = None,
    posterior: UsePosterior = True,
) -> None:
    """Run a scenario; write tidy Parquet, a manifest, figures and a report."""
    run_to_folder(
        scenario, replicates, seed, out or Path("results") / Path(scenario).stem, posterior
    )


@app.command("compare")
def compare_command(
    first: Annotated[str, typer.Argument(help="Baseline scenario (name or file).")],
    second: Annotated[str, typer.Argument(help="Scenario compared with it.")],
    replicates: Replicates = 20,
    seed: Seed = 1,
    out: Annotated[Path | None, out_option("Also write the table as CSV into this folder.")] = None,
    posterior: UsePosterior = True,
) -> None:
    """Difference in sharing between two scenarios, with 95% confidence intervals.

    Both run with the same seeds (common random numbers), so the intervals are of paired
    differences across replicates; two scenarios with the same posterior also draw the same
    parameter set for each replicate.
    """
    from sim.metrics import summary_metrics
    from sim.run import run
    from sim.run_folder import check_comparison_folder, write_comparison
    from sim.run_report import compare_results

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
    table = Table(
        "metric",
        a.name,
        b.name,
        "difference",
        "95% CI",
        title=f"{b.name} vs {a.name} ({replicates} paired replicates)",
        box=None,
    )
    for metric, row in comparison.table.iterrows():
        if str(metric).startswith("interface_final."):
            continue
        table.add_row(
            str(metric),
            f"{row[a.name]:.3f}",
            f"{row[b.name]:.3f}",
            f"{row['difference']:+.3f}",
            f"[{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]",
        )
    console.print(table)
    if out is not None:
        path = write_comparison(comparison, out, command=["sharesim", *sys.argv[1:]])
        console.print(f"wrote {path}", markup=False)


@app.command("demo")
def demo_command(
    replicates: Replicates = 20,
    seed: Seed = 1,
    out: Annotated[Path, out_option("Output folder.")] = Path("results/sentinel_replay"),
) -> None:
    """Replay the Sentinel implementation on embedded defaults; report under results/."""
    run_to_folder("sentinel_replay", replicates, seed, out)
