"""The folder of a calibration: its durable record and its report.

The record is written by :func:`sim.calibration.calibrate` as it works, and the report by
:func:`write_outputs` from the finished result; one folder of one kind (``"calibrate"`` in its
manifest), whoever writes it.

Layout::

    manifest.json              identity, sessions, seeds, epsilons, runs, environment; its
                               "kind" and the "files" written
    runs/<stage>/              each stage's runs (sweep folders: a calibration resumes)
    abc/generation_NN.parquet  each ABC generation, kept as soon as it is weighed
    posterior.parquet, populations.parquet, screening.parquet, predictive.parquet,
    best_fit.parquet, point_estimate.parquet, defaults.parquet   the record of the result
    report.md, report.html, fit.csv, identification.csv, figures/*.png
    <name>_calibrated.toml, <name>_calibrated.posterior.csv   the calibrated scenario

A calibration writes only into a new or empty folder or a calibration's (:func:`check_folder`);
its report is published whole (:func:`sim.output_folder.staged`) beside the record, replacing only
files a calibration wrote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim import durable, output_folder
from sim.calibration.calibrated import (
    SIGNIFICANT,
    calibrated_name,
    calibrated_scenario,
    posterior_file_name,
    posterior_table,
)
from sim.calibration.figures import FIGURES
from sim.calibration.findings import Findings
from sim.calibration.report import report_markdown
from sim.calibration.result import Calibration
from sim.pages import html_page

KIND = "calibrate"
"""The kind of a calibration folder, in its manifest (:func:`sim.output_folder.owned`)."""

RECORD_FILES = (
    durable.MANIFEST,
    "runs/",
    "abc/",
    "posterior.parquet",
    "populations.parquet",
    "screening.parquet",
    "predictive.parquet",
    "best_fit.parquet",
    "point_estimate.parquet",
    "defaults.parquet",
)
"""What :func:`sim.calibration.calibrate` writes (a name ending in ``/`` is a folder it owns)."""

TABLES = (
    "fit.csv",
    "identification.csv",
    "joint_fit.csv",
    "interval_ratios.csv",
    "value_of_information.csv",
    "leave_one_target_out.csv",
    "output_checks.csv",
    "conclusions.csv",
)
"""The report's tables, as CSV."""

REPORT_FILES = (
    "report.md",
    "report.html",
    *TABLES,
    *(f"figures/{name}.png" for name in FIGURES),
)
"""What :func:`write_outputs` writes, besides the calibrated scenario and its table."""


def _earlier_calibration(
    folder: Path, manifest: Mapping[str, Any] | None
) -> tuple[str, ...] | None:
    """Recognise a calibration folder written before manifests named their kind.

    Its manifest holds the calibration's identity (and names the scenario calibrated).
    """
    if manifest is None or "identity" not in manifest:
        return None
    scenario = calibrated_name(str(manifest.get("scenario", "")))
    return (*RECORD_FILES, *REPORT_FILES, f"{scenario}.toml", f"{scenario}.posterior.csv")


def check_folder(out: Path | str) -> output_folder.Owned:
    """Refuse, writing nothing, a folder a calibration may not write into.

    Return what the folder holds of a calibration's (its manifest, when there is one).

    Raises
    ------
    OutputError
        Anything but a new or empty folder or a calibration's (one line naming it).
    """
    return output_folder.owned(out, KIND, _earlier_calibration)


def check_scenario_copy(path: Path | str) -> None:
    """Refuse, before a calibration starts, a place its calibrated scenario cannot be copied to.

    Such a place is a folder, or a file in a folder that does not exist or cannot be written.
    """
    path = Path(path)
    with durable.writing(path):
        if path.is_dir():
            raise durable.OutputError(f"{durable.shown(path)}: a folder, not a scenario file")
        if not path.absolute().parent.is_dir():
            raise durable.cannot_write(path, "its folder does not exist")
        durable.check_writable(path.absolute().parent)


def write_outputs(
    result: Calibration,
    out: Path | str,
    seconds: float | None = None,
    scenario_copies: Sequence[Path] = (),
) -> dict[str, Path]:
    """Write a calibration's report and calibrated scenario into ``out``.

    The report is the figures, ``report.md``, ``report.html`` and its tables
    (:data:`TABLES`); the calibrated scenario is written with its posterior table (and
    copies of the two to ``scenario_copies``, the table beside each copy).

    ``out`` is the calibration's folder, or any new or empty one; the report is published
    whole beside the calibration's record, replacing only files a calibration wrote.

    Returns
    -------
    dict
        What was written, by name.

    Raises
    ------
    OutputError
        A folder that is not a calibration's, or an error of the file system (one line
        naming the path and the cause).
    """
    folder = Path(out)
    table = posterior_table(result)
    scenario_text = calibrated_scenario(result, table)
    table_text = table.to_csv(index=False, float_format=f"%.{SIGNIFICANT}g")
    scenario_name = f"{calibrated_name(result.problem.scenario.name)}.toml"
    with output_folder.staged(
        folder, KIND, replace=False, recognise=_earlier_calibration
    ) as staging:
        figures = staging.folder / "figures"
        figures.mkdir()
        written: dict[str, Path] = {}
        for name, make in FIGURES.items():
            make(result).savefig(figures / f"{name}.png", dpi=100)
            written[name] = folder / "figures" / f"{name}.png"
        findings = Findings.of(result)
        tables = {
            "fit.csv": result.fit(),
            "identification.csv": result.identification(),
            "joint_fit.csv": findings.rates,
            "interval_ratios.csv": findings.ratios,
            "value_of_information.csv": findings.information,
            "leave_one_target_out.csv": findings.left_out,
            "output_checks.csv": findings.outputs,
            "conclusions.csv": findings.conclusions(),
        }
        for name, frame in tables.items():
            frame.to_csv(staging.folder / name)
        markdown = report_markdown(result, seconds, findings)
        (staging.folder / "report.md").write_text(markdown, encoding="utf-8")
        title = f"Calibration of {result.problem.scenario.name}"
        (staging.folder / "report.html").write_text(html_page(markdown, title), encoding="utf-8")
        (staging.folder / scenario_name).write_text(scenario_text, encoding="utf-8")
        (staging.folder / posterior_file_name(result)).write_text(table_text, encoding="utf-8")
    for copy in map(Path, scenario_copies):
        durable.write_atomic(copy, scenario_text.encode("utf-8"))
        durable.write_atomic(copy.with_name(posterior_file_name(result)), table_text.encode())
    return (
        written
        | {name: folder / name for name in ("report.md", "report.html", *TABLES)}
        | {"scenario": folder / scenario_name}
    )
