"""``sharesim scenarios | validate | run | compare | demo``: scenarios from the command line."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sim.cli import app, stdout
from sim.cli.progress import counter_bar
from sim.durable import staged
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
    # Start-up time: imported only when the command runs; loads pydantic, pandas and the engine.
    from sim.scenarios import Scenario

    return Scenario.load(reference)


@app.command("scenarios")
def list_command() -> None:
    """List the shipped scenarios with one-line descriptions."""
    # Start-up time: imported only when the command runs; loads pydantic, pandas and the engine.
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


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: --out must be a folder, and this is a file")


def run_to_folder(
    reference: str, replicates: int, seed: int, out: Path, posterior: bool = True
) -> None:
    """Run a scenario and write tables, manifest, figures and report into ``out``."""
    # Start-up time: imported only when the command runs; loads pandas, numba and matplotlib.
    from sim.metrics import summary_metrics
    from sim.provenance import environment
    from sim.run import run
    from sim.run_report import write_report

    _check_out(out)
    scenario = _load(reference)
    started = time.perf_counter()
    with counter_bar(replicates, f"{scenario.name}: replicates") as advance:
        result = run(
            scenario, seed=seed, replicates=replicates, posterior=posterior, progress=advance
        )
    elapsed = time.perf_counter() - started
    metrics = summary_metrics(result.trajectory)
    with staged(out) as staging:
        result.partners.to_parquet(staging / "partners.parquet", index=False)
        result.partnership.to_parquet(staging / "partnership.parquet", index=False)
        result.views.to_parquet(staging / "views.parquet", index=False)
        metrics.assign(replicate=range(replicates)).to_parquet(
            staging / "metrics.parquet", index=False
        )
        summary = result.summary()
        summary.to_csv(staging / "summary.csv")
        if result.draws is not None:
            result.draws.to_parquet(staging / "draws.parquet")
        manifest = {
            "scenario": scenario.name,
            "scenario_origin": scenario.origin,
            "scenario_hash": scenario.content_hash(),
            "seed": seed,
            "replicates": replicates,
            "seeds": [{"entropy": seed, "spawn_key": [0, r]} for r in range(replicates)],
            "weeks": result.weeks,
            "parameters": dict(result.parameters),
            "posterior": _posterior_note(scenario, result.draws is not None),
            "run_seconds": round(elapsed, 3),
            "command": ["sharesim", *sys.argv[1:]],
            **environment(),
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        write_report(
            result,
            staging,
            scenario.description,
            metrics,
            {
                "replicates": replicates,
                "seed": seed,
                "scenario hash": scenario.content_hash()[:12],
                **_posterior_line(scenario, result.draws is not None),
            },
        )
    _print_summary(scenario.name, summary, metrics, out)


def _posterior_note(scenario: Scenario, used: bool) -> dict[str, object] | None:
    """The manifest's account of the posterior: what was drawn and with which seeds."""
    posterior = scenario.posterior
    if posterior is None:
        return None
    return {
        "used": used,
        "sets": len(posterior),
        "inputs": list(posterior.inputs),
        "source": posterior.source,
        "draw_seeds": "SeedSequence(seed, (0, r, 1)) per replicate r; draws.parquet"
        if used
        else "not drawn (--no-posterior): the scenario's defaults",
    }


def _posterior_line(scenario: Scenario, used: bool) -> dict[str, str]:
    """The report's line on the posterior, when the scenario has one."""
    posterior = scenario.posterior
    if posterior is None:
        return {}
    if not used:
        return {"posterior": "not drawn: every replicate at the scenario's defaults"}
    return {
        "posterior": f"each replicate drew one of {len(posterior)} weighted sets of "
        f"{len(posterior.inputs)} inputs (draws.parquet)"
    }


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
    out: Annotated[Path | None, typer.Option(help="Output folder.")] = None,
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
    out: Annotated[Path | None, typer.Option(help="Also write the table as CSV here.")] = None,
    posterior: UsePosterior = True,
) -> None:
    """Difference in sharing between two scenarios, with 95% confidence intervals.

    Both run with the same seeds (common random numbers), so the intervals are of paired
    differences across replicates; two scenarios with the same posterior also draw the same
    parameter set for each replicate.
    """
    # Start-up time: imported only when the command runs; loads pandas, numba and matplotlib.
    from sim.metrics import summary_metrics
    from sim.run import run
    from sim.run_report import compare_results

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
        _check_out(out)
        out.mkdir(parents=True, exist_ok=True)
        comparison.table.to_csv(out / f"compare_{a.name}_{b.name}.csv")


@app.command("demo")
def demo_command(
    replicates: Replicates = 20,
    seed: Seed = 1,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("results/sentinel_replay"),
) -> None:
    """Replay the Sentinel implementation on embedded defaults; report under results/."""
    run_to_folder("sentinel_replay", replicates, seed, out)
