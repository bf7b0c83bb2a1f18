"""The folder of a sensitivity analysis: its runs, tables, figures and brief.

Written here so that a notebook and ``sharesim sensitivity`` write the same folder.

Layout::

    manifest.json        "kind": "sensitivity", the files written, the experiment
    runs/                the model runs: a sweep folder, so an interrupted analysis resumes
    indices.csv | morris.csv | shapley.csv, noise.csv, convergence.csv, factors.csv,
    second_order.csv, comparisons.csv
    design.parquet, runs.parquet, result.json (settings, noise shares, provenance)
    brief.md, brief.html, figures/*.png

The folder is claimed before the first run (:func:`claim_folder`): it must be new, empty or an
analysis's. The tables, figures and brief are published whole once every run is done
(:func:`sim.output_folder.staged`), replacing only files an analysis wrote; anything else in the
folder is left as it is.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim import durable, output_folder
from sim.errors import InputError
from sim.execution import Execution
from sim.provenance import environment
from sim.sensitivity.brief import FIGURE_CAPTIONS, write_brief
from sim.sensitivity.figures import write_figures
from sim.sensitivity.result import SensitivityResult

if TYPE_CHECKING:
    from sim.sensitivity.experiment_file import SensitivityExperiment
    from sim.sweep import ProgressCallback

KIND = "sensitivity"
"""The kind of an analysis folder, in its manifest (:func:`sim.output_folder.owned`)."""

RUNS = "runs"
"""The sub-folder holding the analysis's runs (a sweep folder)."""

TABLE_NAMES = (
    "factors",
    "noise",
    "indices",
    "second_order",
    "morris",
    "convergence",
    "shapley",
    "comparisons",
)

OUTPUT_FILES = (
    *(f"{name}.csv" for name in TABLE_NAMES),
    "design.parquet",
    "runs.parquet",
    "result.json",
    "brief.md",
    "brief.html",
    *(f"figures/{stem}.png" for stem in FIGURE_CAPTIONS),
)
"""Every file an analysis can write beside its runs."""


def _earlier_analysis(folder: Path, manifest: Mapping[str, Any] | None) -> tuple[str, ...] | None:
    """Recognise an analysis folder written before manifests named their kind.

    It has no manifest of its own, but its ``result.json`` or its runs' sweep manifest.
    """
    if manifest is None and ((folder / "result.json").is_file() or (folder / RUNS).is_dir()):
        return (durable.MANIFEST, f"{RUNS}/", *OUTPUT_FILES)
    return None


def check_folder(out: Path | str) -> None:
    """Refuse, writing nothing, a folder an analysis may not be written into.

    Anything but a new or empty folder or an analysis's is refused (one line, an
    :class:`sim.durable.OutputError`).
    """
    output_folder.owned(out, KIND, _earlier_analysis)


def claim_folder(out: Path | str) -> Path:
    """Claim ``out`` for an analysis before its first run; return the folder of its runs.

    A new or empty folder (or one an earlier version wrote) gets a manifest naming it an
    analysis's, with its ``runs/``, so a run interrupted before the outputs are written
    resumes into it; a folder that has one is left as it is.
    """
    folder = Path(out)
    if output_folder.owned(folder, KIND, _earlier_analysis).manifest is None:
        with durable.made(folder), durable.locked(folder / durable.LOCK, KIND):
            found = output_folder.owned(folder, KIND, _earlier_analysis)
            if found.manifest is None:
                files = sorted({*found.files, durable.MANIFEST, f"{RUNS}/"})
                durable.write_json(folder / durable.MANIFEST, {"kind": KIND, "files": files})
    return folder / RUNS


def write_tables(result: SensitivityResult, folder: Path | str) -> dict[str, Path]:
    """Write the tables and data of ``result`` into ``folder``; return the paths by file name.

    Every table is written as CSV, the design and runs as Parquet, and the settings, noise
    shares and provenance as ``result.json``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, frame in result.tables().items():
        written[f"{name}.csv"] = folder / f"{name}.csv"
        frame.to_csv(written[f"{name}.csv"], index=False)
    for name, frame in (("design", result.design), ("runs", result.runs)):
        written[f"{name}.parquet"] = folder / f"{name}.parquet"
        frame.to_parquet(written[f"{name}.parquet"], index=False)
    summary = {
        "method": result.method,
        "subject": result.subject,
        "level": result.level,
        "seed": result.seed,
        "settings": dict(result.settings),
        "noise_share": {k: _finite_or_none(v) for k, v in result.noise_share.items()},
        "provenance": dict(result.provenance),
    }
    written["result.json"] = folder / "result.json"
    written["result.json"].write_text(
        json.dumps(summary, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )
    return written


def read_result_folder(out: Path | str) -> SensitivityResult:
    """Return the result an analysis folder holds, read back from its tables.

    As :func:`write_tables` wrote them.

    Raises
    ------
    InputError
        A folder with no ``result.json`` of an analysis, or one that cannot be read.
    """
    folder = Path(out)
    try:
        summary = json.loads((folder / "result.json").read_text(encoding="utf-8"))
        tables = {
            name: pd.read_csv(folder / f"{name}.csv")
            for name in TABLE_NAMES
            if (folder / f"{name}.csv").is_file()
        }
        design = pd.read_parquet(folder / "design.parquet")
        runs = pd.read_parquet(folder / "runs.parquet")
        factors, noise = tables.pop("factors"), tables.pop("noise")
        return SensitivityResult(
            method=summary["method"],
            subject=summary["subject"],
            level=summary["level"],
            seed=int(summary["seed"]),
            settings=summary["settings"],
            factors=factors,
            design=design,
            runs=runs,
            noise=noise,
            provenance=summary.get("provenance", {}),
            **tables,
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(f"{folder}: not a readable sensitivity analysis ({error})") from None


def _finite_or_none(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def write_result_folder(result: SensitivityResult, out: Path | str) -> dict[str, Path]:
    """Write an analysis's tables, figures and brief into ``out``, whole or not at all.

    ``out`` must be new, empty or an analysis's; files an earlier analysis wrote there and
    this one does not are removed, anything else is left as it is.

    Returns
    -------
    dict
        Every file written, by a short name (``"brief.md"``, ``"figure:<stem>"``, ...), at
        its place in ``out``.

    Raises
    ------
    OutputError
        A folder that is not an analysis's, or an error of the file system (one line naming
        the path and the cause); the folder's earlier output is then untouched.
    """
    folder = Path(out)
    with output_folder.staged(folder, KIND, recognise=_earlier_analysis) as staging:
        written = write_tables(result, staging.folder)
        figures = write_figures(result, staging.folder / "figures")
        written |= {f"figure:{stem}": path for stem, path in figures.items()}
        written["brief.md"], written["brief.html"] = write_brief(result, staging.folder, figures)
        staging.manifest.update(
            {"subject": result.subject, "method": result.method, "seed": result.seed}
        )
    return {name: folder / path.relative_to(staging.folder) for name, path in written.items()}


def run_to_folder(
    experiment: SensitivityExperiment,
    out: Path | str,
    *,
    execution: Execution | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[SensitivityResult, dict[str, Path]]:
    """Run a sensitivity experiment into ``out``.

    Claim the folder, run (or resume) the runs in ``out/runs``, write the tables, figures and
    brief.

    Returns
    -------
    SensitivityResult, dict
        The result (its provenance names the environment it ran in) and every file written
        (as :func:`write_result_folder`).
    """
    runs = claim_folder(out)
    result = experiment.run(execution, out=runs, progress=progress)
    result = replace(result, provenance={**result.provenance, "environment": environment()})
    return result, write_result_folder(result, out)
