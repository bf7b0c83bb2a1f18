"""The ``sharesim`` command: one entry point, one sub-command per job.

Each sub-command lives in its own module of this package and is registered below. Bad input
(:class:`sim.errors.InputError`) is reported as one line on stderr with exit status 2.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from sim.errors import InputError

app = typer.Typer(
    name="sharesim",
    help="Simulate multi-agency information sharing: replay Sentinel, run counterfactuals, "
    "sweeps, sensitivity analysis and calibration.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Sub-commands register themselves on `app` when their module is imported.
import sim.cli.scenarios  # noqa: E402,F401


def main(argv: list[str] | None = None) -> None:
    """Run the command line; bad input exits 2 with one line on stderr, never a traceback."""
    try:
        result = app(args=argv, prog_name="sharesim", standalone_mode=False)
    except InputError as error:
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"sharesim: error: {error}", markup=False
        )
        sys.exit(2)
    except (typer.Exit, SystemExit) as stop:
        code = getattr(stop, "exit_code", getattr(stop, "code", 0))
        sys.exit(code)
    except typer.Abort:
        sys.exit(130)
    except Exception as error:  # click usage errors arrive as ClickException
        import click

        if isinstance(error, click.ClickException):
            error.show()
            sys.exit(2)
        raise
    if isinstance(result, int) and result:
        sys.exit(result)
