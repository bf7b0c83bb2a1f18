"""The folder of a brief.

``brief.md``, ``brief.html`` (one A4 sheet printed), the result's figure and the full tables as CSV,
written whole into a folder of its own.

By default the brief goes into ``brief/`` inside the (first) result folder; a brief is a
kind of output of its own (``"brief"`` in its manifest), so the command that wrote the result
leaves it alone, and a new brief replaces only an earlier brief's files.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from sim import durable, output_folder
from sim.brief.evidence import Evidence
from sim.brief.page import brief_html, brief_markdown
from sim.brief.readers import BriefError, folder_kind, outputs_of, read_evidence
from sim.outcomes import DEFAULT_OUTCOME, Outcome, parse_outcome
from sim.provenance import environment

KIND = "brief"
"""The kind of a brief's folder, in its manifest."""

DEFAULT_FOLDER = "brief"
"""The brief's folder inside the result folder when none is given."""

MOST = 2
"""Result folders one brief reads: one, or a screening beside a sweep (or any two kinds)."""


def brief_folder(results: Sequence[Path | str], out: Path | str | None = None) -> Path:
    """Where the brief of ``results`` goes: ``out``, or ``brief/`` inside the first result."""
    return Path(out) if out is not None else Path(results[0]) / DEFAULT_FOLDER


def check_brief(
    results: Sequence[Path | str], out: Path | str | None = None, outcome: str = DEFAULT_OUTCOME
) -> tuple[list[Path], Outcome, Path]:
    """Check, writing nothing, that a brief can be written from ``results`` into ``out``.

    Returns
    -------
    list of Path, Outcome, Path
        The result folders, the outcome read, and the brief's folder.

    Raises
    ------
    InputError
        No folder or too many, a folder that is not a result of run, compare, sweep,
        sensitivity or calibrate, two of the same kind, an outcome that cannot be read or
        names no output of the results (a calibration is asked none), or an output folder
        that is not a brief's (one line each).
    """
    folders = [Path(r) for r in results]
    if not 1 <= len(folders) <= MOST:
        raise BriefError(
            f"brief: give one result folder, or a sensitivity and a sweep folder "
            f"(got {len(folders)})"
        )
    kinds = {}
    outputs: set[str] | None = None
    for folder in folders:
        kind, manifest = folder_kind(folder)
        if kind in kinds:
            raise BriefError(
                f"{durable.shown(folder)}: a second {kind} folder; a brief reads one of each kind"
            )
        kinds[kind] = folder
        found = outputs_of(folder, kind, manifest)
        if found is not None:
            outputs = (outputs or set()) | set(found)
    # A result asked no outcome (a calibration's) leaves the outcome checked for form alone.
    wanted = parse_outcome(outcome, None if outputs is None else sorted(outputs))
    target = brief_folder(folders, out)
    output_folder.owned(target, KIND)
    return folders, wanted, target


def write_brief(
    results: Sequence[Path | str],
    out: Path | str | None = None,
    outcome: str = DEFAULT_OUTCOME,
    *,
    command: Sequence[str] | None = None,
) -> dict[str, Path]:
    """Write the one-page brief of ``results`` into ``out``.

    One result folder, or two of different kinds: a sensitivity analysis and a sweep are
    reconciled.

    >>> write_brief(["results/sweeps/interface_sweep"])          # doctest: +SKIP
    >>> write_brief(["results/sensitivity/sensitivity_morris", "results/sweeps/interface_sweep"])

    Parameters
    ----------
    results : sequence of Path or str
        The result folders; the first one's question and answer lead the page.
    out : Path or str, optional
        The brief's folder (default ``brief/`` inside the first result folder).
    outcome : str
        The outcome of interest, ``OUTPUT>=VALUE`` (or ``>``, ``<=``, ``<``): where it holds
        is looked for in the runs (scenario discovery).
    command : sequence of str, optional
        The command line that asked for it, for the manifest.

    Returns
    -------
    dict
        Every file written, by its name in the folder.

    Raises
    ------
    InputError
        As :func:`check_brief`; nothing is written then.
    OutputError
        A folder that cannot be written (one line); an earlier brief there is untouched.
    """
    folders, wanted, target = check_brief(results, out, outcome)
    evidences = [read_evidence(folder, wanted) for folder in folders]
    tables = _tables(evidences)
    with output_folder.staged(target, KIND) as staging:
        for name, frame in tables.items():
            frame.to_csv(staging.folder / name, index=False)
        figure = evidences[0].figure
        if figure is not None:
            shutil.copyfile(figure, staging.folder / "figure.png")
        text = brief_markdown(evidences, wanted, list(tables))
        (staging.folder / "brief.md").write_text(text, encoding="utf-8")
        html = brief_html(text, f"Brief: {evidences[0].subject}")
        (staging.folder / "brief.html").write_text(html, encoding="utf-8")
        written = sorted(p.name for p in staging.folder.iterdir())
        staging.manifest.update(
            {
                "results": [{"kind": e.kind, "folder": str(e.folder)} for e in evidences],
                "question": evidences[0].question,
                "answer": evidences[0].answer,
                "outcome": str(wanted),
                "command": list(command) if command is not None else None,
                **environment(),
            }
        )
    return {name: target / name for name in [*written, durable.MANIFEST]}


def _tables(evidences: Sequence[Evidence]) -> dict:
    """Every evidence's tables by file name; with two results, each name says whose."""
    tables = {}
    for evidence in evidences:
        prefix = f"{evidence.kind}_" if len(evidences) > 1 else ""
        for name, frame in evidence.tables.items():
            tables[f"{prefix}{name}"] = frame
    return tables
