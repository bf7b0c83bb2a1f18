"""``sharesim calibrate``: fit a scenario to a targets file, with honest uncertainty."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sim.cli.app import PlainCommand, app, names_table, stdout
from sim.cli.options import (
    ChunkSize,
    Executor,
    Quiet,
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
    """Print whether each target is met and how well each input is identified, in 80 columns.

    The misses, sources and the rest are in the report.
    """
    # Start-up time: the calibration package loads only when the command runs (it has by now).
    from sim.calibration.report import RELIABLE_ESS
    from sim.calibration.text import fmt, interval

    targets = names_table("target", "wanted", "predictive\nmedian [90%]", "met")
    for name, row in result.fit().iterrows():
        targets.add_row(
            str(name),
            f"{interval(row['low'], row['high'])} ± {fmt(row['tolerance'])}",
            f"{fmt(row['predictive_median'])} "
            f"[{fmt(row['predictive_q05'])}, {fmt(row['predictive_q95'])}]",
            "yes" if row["predictive_met"] else "no",
        )
    console.print(targets)
    console.print()
    inputs = names_table(
        "input", "posterior\nmedian", "90% interval", "interval\n/prior", "identified"
    )
    for name, row in result.identification().iterrows():
        inputs.add_row(
            str(name),
            fmt(row["posterior_median"]),
            f"[{fmt(row['posterior_q05'])}, {fmt(row['posterior_q95'])}]",
            f"{row['interval_ratio']:.2f}",
            _IDENTIFIED[str(row["verdict"])],
        )
    console.print(inputs)
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


_IDENTIFIED = {"identified": "yes", "weakly identified": "weakly", "not identified": "no"}
"""An input's identification verdict, as the summary's column says it."""


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
    quiet: Quiet = False,
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
    with resumable("finished runs"), stage_bars(quiet) as progress:
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
    if not quiet:
        _summary(result, folder, seconds)
