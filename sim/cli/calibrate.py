"""``sharesim calibrate``: fit a scenario to a targets file, with honest uncertainty."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sim.cli.app import PlainCommand, app, stdout
from sim.cli.options import (
    ChunkSize,
    Executor,
    Scheduler,
    Workers,
    Yes,
    count_option,
    out_option,
)
from sim.cli.options import seed as seed_value
from sim.cli.progress import stage_bars
from sim.cli.signals import resumable
from sim.execution import Execution

if TYPE_CHECKING:
    from sim.calibration import Calibration

console = stdout


def _summary(result: Calibration, out: Path, seconds: float) -> None:
    # Start-up time: the calibration package loads only when the command runs (it has by now).
    from sim.calibration.report import RELIABLE_ESS

    fit = result.fit()
    table = Table("target", "source", "target value", "posterior median (5-95%)", "met", box=None)
    for name, row in fit.iterrows():
        low, high = row["low"], row["high"]
        value = f"{low:g}" if low == high else f"[{low:g}, {high:g}]"
        met = "yes" if row["predictive_met"] else f"no, by {row['predictive_miss']:.3g}"
        table.add_row(
            str(name),
            str(row["source"]),
            f"{value} +/- {row['tolerance']:g}",
            f"{row['predictive_median']:.3g} ({row['predictive_q05']:.3g}-"
            f"{row['predictive_q95']:.3g})",
            met,
        )
    console.print(table)
    ident = result.identification()
    verdicts = Table(
        "input", "posterior median", "90% interval", "interval/prior", "verdict", box=None
    )
    for name, row in ident.iterrows():
        verdicts.add_row(
            str(name),
            f"{row['posterior_median']:.3g}",
            f"[{row['posterior_q05']:.3g}, {row['posterior_q95']:.3g}]",
            f"{row['interval_ratio']:.2f}",
            str(row["verdict"]),
        )
    console.print(verdicts)
    if result.final.ess < RELIABLE_ESS:
        console.print(
            f"caution: the posterior's effective sample size is {result.final.ess:.0f}; below "
            f"{RELIABLE_ESS} these intervals and verdicts are rough (more particles settle them)",
        )
    console.print(
        f"{result.runs} runs, {len(result.populations)} generations, final epsilon "
        f"{result.final.epsilon:.3g}, posterior ESS {result.final.ess:.0f}, {seconds:.0f} s; "
        f"wrote {out}/report.md, report.html, posterior.parquet, figures/, manifest.json"
    )


@app.command("calibrate", cls=PlainCommand)
def calibrate_command(
    targets: Annotated[
        Path,
        typer.Argument(
            metavar="TARGETS",
            help="Targets file (TOML), e.g. sim/calibration/sentinel_targets.toml.",
        ),
    ],
    out: Annotated[
        Path | None,
        out_option(
            "Output folder (default results/calibration/<targets name>); "
            "run again with the same folder to resume."
        ),
    ] = None,
    experiment: Annotated[
        str | None,
        typer.Option(
            metavar="EXPERIMENT",
            help="Calibration settings: a shipped experiment's name (calibration_sentinel) "
            "or a file.",
        ),
    ] = None,
    screening: Annotated[int | None, count_option("Screening points.", least=2)] = None,
    particles: Annotated[int | None, count_option("Particles per generation.", least=2)] = None,
    generations: Annotated[int | None, count_option("Most ABC generations.")] = None,
    replicates: Annotated[int | None, count_option("Runs per particle.")] = None,
    predictive: Annotated[
        int | None, count_option("Posterior draws in the predictive check.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(parser=seed_value, metavar="SEED", help="Seed of everything.")
    ] = None,
    executor: Executor = "process",
    workers: Workers = None,
    scheduler: Scheduler = None,
    chunk_size: ChunkSize = None,
    write_scenario: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Also write the calibrated scenario file here "
            "(e.g. sim/scenarios/sentinel_calibrated.toml).",
        ),
    ] = None,
    yes: Yes = False,
) -> None:
    """Fit the scenario of a targets file, with honest uncertainty.

    Screening, ABC-SMC, posterior checks and a report. Writes into --out: posterior.parquet
    (parameter sets, weights, generation), screening, predictive and point-estimate tables, the
    calibrated scenario, figures, report.md and report.html, and manifest.json (seeds, epsilons,
    runs, wall time, environment).
    """
    # Start-up time: imported only when the command runs; loads pandas, scipy and the engine.
    from sim.calibration import calibrate, load_settings, load_targets, write_outputs
    from sim.calibration.folder import check_folder, check_scenario_copy
    from sim.calibration.settings import (
        CalibrationSettings,
        SettingsError,
        settings_from_mapping,
    )

    execution = Execution(executor, workers, scheduler, chunk_size)
    target_set = load_targets(targets)
    base = load_settings(experiment, force=yes) if experiment is not None else CalibrationSettings()
    overrides = {
        name: value
        for name, value in (
            ("screening", screening),
            ("particles", particles),
            ("generations", generations),
            ("replicates", replicates),
            ("predictive", predictive),
            ("seed", seed),
        )
        if value is not None
    }
    settings = settings_from_mapping(base.model_dump() | overrides, "options", force=yes)
    folder = out or Path("results") / "calibration" / target_set.name
    # The folders written into are checked before the first run.
    check_folder(folder)
    copies = [write_scenario] if write_scenario is not None else []
    for copy in copies:
        check_scenario_copy(copy)
    started = time.perf_counter()
    with resumable("finished runs"), stage_bars() as progress:
        try:
            result = calibrate(
                targets, settings, out=folder, execution=execution, progress=progress
            )
        except SettingsError as error:
            # Found against the scenario, in what the experiment file gave: name the file.
            if experiment is None or error.file != "settings":
                raise
            raise SettingsError.moved(error, experiment) from None
    seconds = time.perf_counter() - started
    write_outputs(result, folder, result.wall_seconds or seconds, copies)
    _summary(result, folder, seconds)
