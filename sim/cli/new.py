"""``sharesim new NAME --partners partners.csv``: a new partnership's scenario from its table."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.app import PlainCommand, app, stdout
from sim.durable import write_atomic
from sim.errors import InputError


def _start_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--start: {text!r} is not a date (YYYY-MM-DD)") from None


@app.command("new", cls=PlainCommand)
def new_command(
    name: Annotated[str, typer.Argument(help="The scenario's name; writes <out>/<name>.toml.")],
    partners: Annotated[
        Path,
        typer.Option(metavar="CSV", help="The partner table: a CSV file, one row per partner."),
    ],
    start: Annotated[
        str | None,
        typer.Option(
            metavar="DATE",
            help="First day of the forecast (YYYY-MM-DD); default: the Monday of "
            "the table's earliest go-live.",
        ),
    ] = None,
    weeks: Annotated[
        int, typer.Option(min=1, metavar="WEEKS", help="Length of the forecast in weeks.")
    ] = 156,
    behaviour_from: Annotated[
        str,
        typer.Option(
            metavar="SCENARIO",
            help="Calibrated scenario whose behaviour (registry parameters and their "
            "posterior) the new one takes.",
        ),
    ] = "sentinel_calibrated",
    registry_behaviour: Annotated[
        bool,
        typer.Option(
            "--registry-behaviour",
            help="Take no calibrated behaviour: the registry's defaults and ranges.",
        ),
    ] = False,
    description: Annotated[
        str | None, typer.Option(metavar="TEXT", help="One line saying what the scenario is.")
    ] = None,
    out: Annotated[
        Path, typer.Option(metavar="DIR", help="Folder to write the scenario file in.")
    ] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a new partnership's scenario from its partner table.

    See docs/new-partnership.md. Values the table gives are marked as the user's (stated, the table as source); values it does not give become uncertain inputs with documented ranges (assumed). Behaviour comes from the Sentinel calibration unless told otherwise.
    """  # noqa: E501
    # Start-up time: imported only when the command runs; loads pydantic, pandas and the engine.
    from sim.scenarios import from_partner_table

    target = out / f"{name}.toml"
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: --out must be a folder, and this is a file")
    if target.exists() and not force:
        raise InputError(f"{target}: the file exists; give --force to replace it")
    new = from_partner_table(
        partners,
        name,
        start=_start_date(start),
        weeks=weeks,
        behaviour_from=None if registry_behaviour else behaviour_from,
        description=description,
        folder=out,
    )
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(target, new.text.encode("utf-8"))
    scenario = new.scenario
    posterior = scenario.posterior
    drawn = (
        "behaviour: the registry's defaults and ranges"
        if posterior is None
        else f"behaviour from {behaviour_from}: {len(posterior)} weighted sets of "
        f"{len(posterior.inputs)} parameters"
    )
    stdout.print(
        f"wrote {target}: {len(scenario.partner_names)} partners, {new.stated} values from "
        f"{partners.name}, {new.assumed} assumed; {len(scenario.uncertain_inputs())} uncertain "
        f"inputs; {drawn}",
    )
    stdout.print(f"next: sharesim run {target}")
