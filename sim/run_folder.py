"""The folder of a run.

What ``sharesim run`` writes, written here so that a notebook writes exactly the same folder.

A run folder::

    manifest.json        scenario (origin, content hash), seeds, parameters, posterior,
                         environment; "kind": "run" and the files written
    partners.parquet     per replicate, week and partner   (RunResult.partners)
    partnership.parquet  per replicate and week             (RunResult.partnership)
    views.parquet        who viewed whose records           (RunResult.views)
    metrics.parquet      summary metrics per replicate      (sim.metrics.summary_metrics)
    summary.csv          per partner, final year            (RunResult.summary())
    draws.parquet        the posterior set each replicate drew (scenarios with a posterior)
    report.md, report.html, figures/*.png                   (sim.run_report)

It is written through :func:`sim.output_folder.staged`: into a new or empty folder or one of the
same kind, whole or not at all, replacing only files an earlier output of the kind wrote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim import durable, output_folder
from sim.metrics import summary_metrics
from sim.provenance import environment, scenario_reference
from sim.run import RunResult
from sim.run_report import FIGURES, write_report

if TYPE_CHECKING:
    from sim.scenarios import Scenario

RUN = "run"
"""The kind of a run folder, in its manifest."""

TABLES = ("partners.parquet", "partnership.parquet", "views.parquet", "metrics.parquet")

RUN_FILES = (
    durable.MANIFEST,
    *TABLES,
    "summary.csv",
    "draws.parquet",
    "report.md",
    "report.html",
    *(f"figures/{name}.png" for name in FIGURES),
)
"""Every file a run folder can hold (``draws.parquet`` only for a scenario with a posterior)."""


def _earlier_run(folder: Path, manifest: Mapping[str, Any] | None) -> tuple[str, ...] | None:
    """Recognise a run folder written before manifests named their kind.

    Its manifest has the scenario's content hash and the command that wrote it.
    """
    if manifest is not None and {"scenario_hash", "command"} <= set(manifest):
        return RUN_FILES
    return None


def check_run_folder(out: Path | str) -> None:
    """Refuse, before anything runs, a folder a run may not be written into.

    Anything but a new or empty folder or an earlier run's is refused (one line, nothing
    written).
    """
    output_folder.owned(out, RUN, _earlier_run)


def write_run_folder(
    result: RunResult,
    scenario: Scenario,
    out: Path | str,
    *,
    seconds: float | None = None,
    command: Sequence[str] | None = None,
) -> dict[str, Path]:
    """Write the folder of a run: tables, manifest, figures and report.

    >>> result = run(scenario, seed=1, replicates=20)
    >>> write_run_folder(result, scenario, "results/replay")

    Parameters
    ----------
    result : RunResult
        What :func:`sim.run.run` returned for ``scenario``.
    scenario : Scenario
        The scenario that was run (its description, origin, content hash and posterior go
        into the manifest and the report).
    out : Path or str
        The folder: new, empty or an earlier run's. Files of anyone else there are left as
        they are; an earlier run's files that this one does not write are removed.
    seconds : float, optional
        How long the run took, for the manifest.
    command : sequence of str, optional
        The command line that asked for it, for the manifest.

    Returns
    -------
    dict
        The path of every file written, by its name in the folder.

    Raises
    ------
    OutputError
        A folder that is not a run's to write, or an error of the file system (one line
        naming the path and the cause); the folder's earlier output is then untouched.
    """
    drawn = result.draws is not None
    metrics = summary_metrics(result.trajectory)
    summary = result.summary()
    with output_folder.staged(out, RUN, recognise=_earlier_run) as staging:
        folder = staging.folder
        result.partners.to_parquet(folder / "partners.parquet", index=False)
        result.partnership.to_parquet(folder / "partnership.parquet", index=False)
        result.views.to_parquet(folder / "views.parquet", index=False)
        metrics.assign(replicate=range(result.replicates)).to_parquet(
            folder / "metrics.parquet", index=False
        )
        summary.to_csv(folder / "summary.csv")
        if result.draws is not None:
            result.draws.to_parquet(folder / "draws.parquet")
        meta = {
            "replicates": result.replicates,
            "seed": result.seed,
            "scenario hash": scenario.content_hash()[:12],
            **_posterior_line(scenario, drawn),
        }
        write_report(result, folder, scenario.description, metrics, meta)
        written = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        staging.manifest.update(_run_manifest(result, scenario, seconds, command))
    return {name: Path(out) / name for name in [*written, durable.MANIFEST]}


def _run_manifest(
    result: RunResult,
    scenario: Scenario,
    seconds: float | None,
    command: Sequence[str] | None,
) -> dict[str, object]:
    """Return what a run folder's manifest says about the run.

    It gives the scenario, seeds, parameters, posterior, timing and the environment it ran in.
    """
    return {
        "scenario": scenario.name,
        "scenario_origin": scenario_reference(scenario),
        "scenario_hash": scenario.content_hash(),
        "seed": result.seed,
        "replicates": result.replicates,
        "seeds": [{"entropy": result.seed, "spawn_key": [0, r]} for r in range(result.replicates)],
        "weeks": result.weeks,
        "parameters": dict(result.parameters),
        "posterior": _posterior_note(scenario, result.draws is not None),
        "run_seconds": None if seconds is None else round(seconds, 3),
        "command": list(command) if command is not None else None,
        **environment(),
    }


def _posterior_note(scenario: Scenario, used: bool) -> dict[str, object] | None:
    """Describe the posterior for the manifest: what was drawn and with which seeds."""
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
    """Return the report's line on the posterior, when the scenario has one."""
    posterior = scenario.posterior
    if posterior is None:
        return {}
    if not used:
        return {"posterior": "not drawn: every replicate at the scenario's defaults"}
    return {
        "posterior": f"each replicate drew one of {len(posterior)} weighted sets of "
        f"{len(posterior.inputs)} inputs (draws.parquet)"
    }
