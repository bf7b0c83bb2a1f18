"""The ``sharesim`` Typer application and its two consoles, which every sub-command module
registers itself on and prints to (kept apart from :mod:`sim.cli`, which imports those
modules, so that no import goes round in a circle)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

import sim

app = typer.Typer(
    name="sharesim",
    help="Simulate multi-agency information sharing: replay Sentinel, run counterfactuals, "
    "sweeps, sensitivity analysis and calibration.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help, as a terminal, a pipe or a log shows it alike: Rich's panels label every
    # flag `<bool>` and break long lines inside boxes.
    rich_markup_mode=None,
)

stdout = Console(highlight=False, soft_wrap=True)
"""Where commands print results: no syntax colouring, and a long line (a path, a message)
is never broken at the terminal's width, so logs and scripts read it whole."""

stderr = Console(stderr=True, highlight=False, soft_wrap=True)
"""Where commands print warnings and errors, likewise."""


def _print_version(wanted: bool) -> None:
    if wanted:
        stdout.print(f"sharesim {sim.__version__}", markup=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Simulate multi-agency information sharing: replay Sentinel, run counterfactuals,
    sweeps, sensitivity analysis and calibration."""
