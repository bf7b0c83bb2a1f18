"""The folder of comparisons: what ``sharesim compare`` writes, for a notebook to write too.

A comparison folder collects comparisons, each as::

    compare_<first>_<second>.csv        every summary metric: medians and paired differences
    compare_<first>_<second>/           report.md, report.html, partners.csv,
                                        figures/differences.png (sim.comparison_report)

It is written through :func:`sim.output_folder.staged`: into a new or empty folder or one of the
same kind, whole or not at all; the comparisons already in it are kept.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim import durable, output_folder
from sim.comparison import Comparison
from sim.comparison_report import FIGURE, differences_figure, report_markdown
from sim.errors import InputError
from sim.pages import html_page
from sim.provenance import environment, scenario_reference

if TYPE_CHECKING:
    from sim.scenarios import Scenario

COMPARE = "compare"
"""The kind of a comparison folder, in its manifest."""


def comparison_file(comparison: Comparison) -> str:
    """Return the name of a comparison's table in its folder.

    Its report is in the folder of the same name without ``.csv``.
    """
    return f"compare_{comparison.first}_{comparison.second}.csv"


def check_comparison_folder(out: Path | str) -> None:
    """Refuse, before anything runs, a folder a comparison may not be written into."""
    output_folder.owned(out, COMPARE)


def write_comparison(
    comparison: Comparison,
    out: Path | str,
    *,
    seed: int | None = None,
    command: Sequence[str] | None = None,
    scenarios: tuple[Scenario, Scenario] | None = None,
) -> Path:
    """Write a comparison into ``out``.

    Its table as ``compare_<first>_<second>.csv``, and beside it the folder
    ``compare_<first>_<second>/`` with ``report.md``, ``report.html``, ``partners.csv`` (the paired
    differences per partner) and ``figures/differences.png``.

    The folder collects comparisons: new, empty or one comparisons were written into, whose
    other comparisons are kept. ``scenarios``, the two compared, are recorded so that a brief
    can load them again (:func:`sim.provenance.scenario_reference`) and check their content.
    Returns the table's path.

    Raises
    ------
    OutputError
        As :func:`sim.run_folder.write_run_folder`.
    """
    name = comparison_file(comparison)
    report = name.removesuffix(".csv")
    with output_folder.staged(out, COMPARE, replace=False) as staging:
        comparison.table.to_csv(staging.folder / name)
        folder = staging.folder / report
        (folder / "figures").mkdir(parents=True)
        comparison.partners.to_csv(folder / "partners.csv")
        figure = differences_figure(comparison)
        figure.savefig(folder / "figures" / f"{FIGURE}.png", dpi=110)
        text = report_markdown(comparison, seed if seed is not None else 0, name)
        (folder / "report.md").write_text(text, encoding="utf-8")
        title = f"{comparison.second} against {comparison.first}"
        (folder / "report.html").write_text(html_page(text, title), encoding="utf-8")
        staging.manifest.update(
            {
                "last": {
                    "first": comparison.first,
                    "second": comparison.second,
                    "table": name,
                    "report": f"{report}/report.html",
                    "seed": seed,
                    "replicates": comparison.replicates,
                    "scenarios": [
                        {"reference": scenario_reference(s), "content_hash": s.content_hash()}
                        for s in scenarios or ()
                    ],
                },
                "command": list(command) if command is not None else None,
                **environment(),
            }
        )
    return Path(out) / name


def read_comparison(out: Path | str) -> tuple[Comparison, dict[str, Any]]:
    """Return the last comparison written into folder ``out``, and the folder's manifest.

    The comparison is read back from its tables.

    Raises
    ------
    InputError
        A folder holding no comparison, or one whose tables cannot be read.
    """
    folder = Path(out)
    try:
        manifest = json.loads((folder / durable.MANIFEST).read_text(encoding="utf-8"))
        last = manifest["last"]
        table = pd.read_csv(folder / last["table"], index_col="metric")
        partners = pd.read_csv(
            folder / str(last["table"]).removesuffix(".csv") / "partners.csv",
            index_col=["partner", "output"],
        )
        comparison = Comparison(str(last["first"]), str(last["second"]), table, partners)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(f"{folder}: not a readable comparison ({error})") from None
    return comparison, manifest
