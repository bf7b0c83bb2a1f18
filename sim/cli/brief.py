"""``sharesim brief``: turn a result folder into the one page an analyst hands on.

::

    sharesim brief RESULT [RESULT] [--out DIR] [--outcome OUTPUT>=VALUE]

RESULT is the folder of ``sharesim run``, ``compare``, ``sweep``, ``sensitivity`` or
``calibrate``; a sensitivity folder and a sweep folder given together are reconciled on one
page. The brief (``brief.html``, ``brief.md``, the figure and the tables as CSV) goes into
DIR (default ``RESULT/brief``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.app import PlainCommand, app, stdout
from sim.cli.options import out_option

DEFAULT_OUTCOME = "share_final_year>=0.8"
"""The outcome looked for when none is given (:data:`sim.outcomes.DEFAULT_OUTCOME`)."""

_HELP = """One page to hand on: the question, the answer with its interval, the levers, the
tipping points, what is assumed and how far it holds.

\b
  sharesim brief results/sweep
  sharesim brief results/sensitivity results/sweep

RESULT is a folder written by sharesim run, compare, sweep, sensitivity or calibrate; a
sensitivity folder and a sweep folder given together are reconciled. The page (brief.html
prints on one A4 sheet), its figure and the full tables as CSV go to --out (default
RESULT/brief).
"""


@app.command(
    "brief",
    cls=PlainCommand,
    help=_HELP,
    short_help="One page to hand on: answer, levers, how far it holds.",
    no_args_is_help=True,
)
def brief_command(
    results: Annotated[
        list[Path],
        typer.Argument(
            metavar="RESULT...", help="Result folder(s): one, or sensitivity and sweep."
        ),
    ],
    out: Annotated[Path | None, out_option("Folder of the brief (default RESULT/brief).")] = None,
    outcome: Annotated[
        str,
        typer.Option(
            metavar="OUTPUT>=VALUE",
            help="The outcome whose conditions are looked for (also >, <=, <).",
        ),
    ] = DEFAULT_OUTCOME,
) -> None:
    """Write the one-page brief of a result folder."""
    # Start-up time: imported only when the command runs; loads pandas, scipy and the engine.
    from sim.brief import write_brief

    written = write_brief(results, out, outcome, command=["sharesim", *sys.argv[1:]])
    manifest = json.loads(written["manifest.json"].read_text(encoding="utf-8"))
    stdout.print(f"Question. {manifest['question']}")
    stdout.print(f"Answer. {manifest['answer']}")
    stdout.print(f"brief: {written['brief.html']}")
