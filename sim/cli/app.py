"""The ``sharesim`` Typer application and its two consoles.

Every sub-command module registers itself on the application and prints to the consoles.
They are kept apart from :mod:`sim.cli`, which imports those modules, so that no import goes
round in a circle.
"""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(
    name="sharesim",
    help="Simulate multi-agency information sharing: replay Sentinel, run counterfactuals, "
    "sweeps, sensitivity analysis and calibration.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

stdout = Console(highlight=False, soft_wrap=True)
"""Where commands print results: no syntax colouring, and a long line (a path, a message)
is never broken at the terminal's width, so logs and scripts read it whole."""

stderr = Console(stderr=True, highlight=False, soft_wrap=True)
"""Where commands print warnings and errors, likewise."""
