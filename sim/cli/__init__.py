"""The ``sharesim`` command: one entry point, one sub-command per job.

Each sub-command lives in its own module of this package and is registered below. Bad input
(:class:`sim.errors.InputError`) is reported as one line on stderr with exit status 2.
"""

from __future__ import annotations

import sys
from functools import cache, partial

import typer
from rich.console import Console

from sim.errors import InputError, SweepError

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

# Sub-commands register themselves on `app` when their module is imported.
import sim.cli.calibrate  # noqa: E402
import sim.cli.dashboard  # noqa: E402
import sim.cli.scenarios  # noqa: E402
import sim.cli.sensitivity  # noqa: E402
import sim.cli.sweep  # noqa: E402,F401


def _fail(message: str, code: int = 2) -> None:
    stderr.print(f"sharesim: error: {' '.join(message.split())}", markup=False)
    sys.exit(code)


_command = cache(partial(typer.main.get_command, app))
"""The command behind ``app``, built once: typer builds it anew on every call, which costs
more than reading most inputs when the command line runs many times in a process."""


def main(argv: list[str] | None = None) -> None:
    """Run the command line; bad input exits 2 with one line on stderr, never a traceback."""
    try:
        result = _command().main(args=argv, prog_name="sharesim", standalone_mode=False)
    except InputError as error:
        _fail(str(error))
    except SweepError as error:  # workers that cannot go on: the results so far are kept
        _fail(f"{error} (results so far are kept; run the command again to resume)", 1)
    except typer.TyperException as error:  # usage errors: unknown command, bad option value
        format_message = getattr(error, "format_message", None)
        _fail(format_message() if callable(format_message) else str(error))
    except (KeyboardInterrupt, typer.Abort):
        _fail("interrupted", 130)
    if isinstance(result, int) and result:
        sys.exit(result)
