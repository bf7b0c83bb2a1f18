"""The ``sharesim`` Typer application and its two consoles.

Every sub-command module registers itself on the application and prints to the consoles.
They are kept apart from :mod:`sim.cli`, which imports those modules, so that no import goes
round in a circle.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperCommand, TyperGroup

import sim

SECTIONS: dict[str, tuple[str, ...]] = {
    "Run scenarios": ("demo", "run", "compare"),
    "Scenarios and input files": ("scenarios", "validate", "new"),
    "Experiments": ("sweep", "sensitivity", "calibrate"),
    "Hand on and explore": ("brief", "dashboard"),
}
"""The commands as ``sharesim --help`` lists them: under a heading each, in the order of work."""


class SectionedGroup(TyperGroup):
    """The ``sharesim`` group: its help lists the commands under :data:`SECTIONS`' headings.

    A command no section names is listed last, under "Other commands".
    """

    def list_commands(self, ctx: Any) -> list[str]:
        """Return the command names in the order of :data:`SECTIONS`, then any other."""
        return [name for _, names in self.sections() for name in names]

    def sections(self) -> list[tuple[str, tuple[str, ...]]]:
        """Return each heading with the registered commands under it, in order."""
        placed = {name for names in SECTIONS.values() for name in names}
        others = tuple(name for name in self.commands if name not in placed)
        listed = [*SECTIONS.items(), ("Other commands", others)]
        return [
            (heading, kept)
            for heading, names in listed
            if (kept := tuple(name for name in names if name in self.commands))
        ]

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """Write one section of the help per heading, each command with its summary."""
        shown = [name for name in self.list_commands(ctx) if not self.commands[name].hidden]
        if not shown:
            return
        width = max(map(len, shown))  # one column of names across the sections
        limit = formatter.width - 6 - width
        for heading, names in self.sections():
            rows = [
                (name.ljust(width), self.commands[name].get_short_help_str(limit))
                for name in names
                if name in shown
            ]
            if rows:
                with formatter.section(heading):
                    formatter.write_dl(rows)


app = typer.Typer(
    name="sharesim",
    cls=SectionedGroup,
    help="Simulate multi-agency information sharing: replay Sentinel, run counterfactuals, "
    "sweeps, sensitivity analysis and calibration.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help, as a terminal, a pipe or a log shows it alike: Rich's panels label every
    # flag `<bool>` and break long lines inside boxes.
    rich_markup_mode=None,
)


class PlainCommand(TyperCommand):
    """A command whose help names its arguments as a Unix usage line does.

    ``SCENARIO`` or ``[DIR]``, where Typer writes ``{SCENARIO}`` in the usage line and
    ``SCENARIO <str>`` in the list of arguments.

    Typer ships its own copy of Click, whose classes are private, hence the parameters are
    told apart by ``param_type_name`` and the Click objects are typed ``Any``.
    """

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """Return the usage line after the command's name: options, then each argument's name."""
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = _argument_name(param)
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """Return the Arguments and Options sections, each argument under its name alone."""
        sections: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                sections["Arguments"].append((_argument_name(param), record[1]))
            else:
                sections["Options"].append(record)
        for title, records in sections.items():
            if records:
                with formatter.section(title):
                    formatter.write_dl(records)


def _argument_name(param: Any) -> str:
    return str(param.metavar or param.name.upper())


stdout = Console(markup=False, highlight=False, soft_wrap=True)
"""Where commands print results: as written (a ``[`` in a name or a heading is no Rich markup),
no syntax colouring, and a long line (a path, a message) is never broken at the terminal's
width, so logs and scripts read it whole."""

stderr = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)
"""Where commands print warnings and errors, likewise."""


def names_table(
    *headings: str, title: str | None = None, justify: Literal["left", "right"] = "left"
) -> Table:
    """Return a plain table whose first column holds names and the others figures.

    No borders; a name wraps only when the figures would not fit beside it, and a figure
    never wraps, so that a row reads whole in 80 columns (a heading may take two lines).
    ``justify`` places the figures in their columns.
    """
    table = Table(title=title, title_justify="left", box=None, pad_edge=False)
    table.add_column(headings[0], overflow="fold")
    for heading in headings[1:]:
        table.add_column(heading, justify=justify, no_wrap=True)
    return table


def print_error(message: object) -> None:
    """Print ``sharesim: error: <message>`` on stderr, on one line (whitespace folded)."""
    stderr.print(f"sharesim: error: {' '.join(str(message).split())}")


def _print_version(wanted: bool) -> None:
    if wanted:
        stdout.print(f"sharesim {sim.__version__}")
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
    """Simulate multi-agency information sharing.

    Replay Sentinel, run counterfactuals, sweeps, sensitivity analysis and calibration.
    """
