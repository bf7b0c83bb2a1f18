"""The ``sharesim`` command: one entry point, one sub-command per job.

Each sub-command lives in its own module of this package and registers itself on
:data:`sim.cli.app.app`. Bad input (:class:`sim.errors.InputError`, an output that cannot be
written included) is reported as one line on stderr with exit status 2; Ctrl-C, SIGTERM and
SIGHUP stop a command with one line and exit status 130.
"""

from __future__ import annotations

import shlex
import sys
from functools import cache, partial
from pathlib import Path

import typer

# Sub-commands register themselves on `app` when their module is imported.
import sim.cli.brief
import sim.cli.calibrate
import sim.cli.dashboard
import sim.cli.new
import sim.cli.scenarios
import sim.cli.sensitivity
import sim.cli.sweep  # noqa: F401
from sim.cli.app import app, print_error, stderr, stdout
from sim.cli.signals import INTERRUPTED, Stopped, interrupts_recorded, signal_name
from sim.durable import shown
from sim.errors import InputError, SweepError
from sim.inputs import FileError, describe

__all__ = ["app", "main", "stderr", "stdout"]


def _fail(message: str, code: int = 2) -> None:
    print_error(message)
    sys.exit(code)


def _is_help(error: Exception, message: str) -> bool:
    """Whether a usage error is the help of a command run without arguments.

    That help is kept whole, not folded onto one line as a problem is.
    """
    context = getattr(error, "ctx", None)
    return context is not None and message == context.get_help()


def _where_listed(error: InputError) -> str:
    """``; sharesim validate my.toml lists them all``, after a file's first of several problems.

    Empty for one problem, or for problems in what is not a file (settings given in code).
    """
    if not isinstance(error, FileError) or not error.more or not Path(error.file).is_file():
        return ""
    return f"; sharesim validate {shlex.quote(error.file)} lists them all"


def _bad_value(error: Exception) -> str | None:
    """``--replicates: must be at least 1, got 0``: a value the command line refused.

    In the words an input file's problems are told in (:func:`sim.inputs.describe`); None for
    any other usage error (an unknown option, a missing argument), which keeps its own words.
    """
    param = getattr(error, "param", None)
    if not isinstance(error, typer.BadParameter) or param is None or not error.message:
        return None
    details = getattr(error.__cause__, "errors", None)  # pydantic's, from Typer's own checks
    if callable(details):
        problem = "; ".join(describe(detail) for detail in details(include_url=False))
    else:
        problem = error.message
    name = param.get_error_hint().strip("'")  # '--replicates', quoted for click's sentence
    return f"{name}: {problem}"


_command = cache(partial(typer.main.get_command, app))
"""The command behind ``app``, built once: typer builds it anew on every call, which costs
more than reading most inputs when the command line runs many times in a process."""


def main(argv: list[str] | None = None) -> None:
    """Run the command line; bad input exits 2 with one line on stderr, never a traceback."""
    try:
        with interrupts_recorded() as received:
            result = _command().main(args=argv, prog_name="sharesim", standalone_mode=False)
    except Stopped as stop:  # a resumable command: what was saved, and how to resume
        stderr.print(f"sharesim: {stop}")
        sys.exit(INTERRUPTED)
    except InputError as error:
        _fail(str(error) + _where_listed(error))
    except SweepError as error:  # workers that cannot go on: the results so far are kept
        _fail(f"{error} (results so far are kept; run the command again to resume)", 1)
    except typer.TyperException as error:  # usage errors: unknown command, bad option value
        format_message = getattr(error, "format_message", None)
        message = format_message() if callable(format_message) else str(error)
        if _is_help(error, message):  # a command given no arguments answers with its help
            stderr.print(message)
            sys.exit(2)
        _fail(_bad_value(error) or message)
    except (KeyboardInterrupt, typer.Abort) as interrupt:
        _fail(f"interrupted ({signal_name(interrupt)})", INTERRUPTED)
    except OSError as error:  # a file the command could not read or write, never a traceback
        where = shown(error.filename) if error.filename is not None else "a file"
        _fail(f"{where}: {error.strerror or error}")
    if result == INTERRUPTED and received:
        # The command framework ends an interrupted command with this status and no word.
        _fail(f"interrupted ({received[0]})", INTERRUPTED)
    if isinstance(result, int) and result:
        sys.exit(result)
