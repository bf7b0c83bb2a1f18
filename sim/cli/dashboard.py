"""``sharesim dashboard``: serve the Solara dashboard, offline, on this machine only by default."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.cli.app import PlainCommand, app, stderr
from sim.errors import InputError

APP_MODULE = "sim.dashboard.app"
"""What ``solara run`` serves."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765

console = stderr


def solara_command(host: str, port: int) -> list[str]:
    """Return the ``solara run`` command line serving the dashboard in production mode."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP_MODULE,
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        # The version check asks PyPI for Solara's latest release: a request off the machine.
        "--no-check-version",
    ]


SERVER_SETTINGS: dict[str, str] = {
    # Solara's "this website runs on Solara" badge covers part of the page.
    "SOLARA_THEME_SHOW_BANNER": "false",
    "SOLARA_THEME_TITLE": "sharesim dashboard",
}
"""Solara settings of the dashboard's server (besides the offline ones)."""


def dashboard_environment(cache: Path, scenarios: list[Path]) -> dict[str, str]:
    """Return the server's environment: front-end files from ``cache``, telemetry off.

    Extra scenarios given on the command line are named in it too.
    """
    # Start-up time: imported only when the command runs; loads Solara and the engine.
    from sim.dashboard.assets import configure_environment
    from sim.dashboard.choices import EXTRA_SCENARIOS_ENV

    env = {**os.environ, **configure_environment(cache), **SERVER_SETTINGS}
    env.pop(EXTRA_SCENARIOS_ENV, None)
    if scenarios:
        env[EXTRA_SCENARIOS_ENV] = os.pathsep.join(str(p.resolve()) for p in scenarios)
    return env


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_every_address(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def check_address(host: str, port: int) -> None:
    """Refuse, as one line, an address the server could not listen on.

    The address must be this machine's (a name that resolves to one, or a literal address)
    and the port free on it, checked by binding to it as the server will. Another program
    could still take the port in the moment before the server starts; then the server says so.
    """
    if not host.strip() or host != host.strip():
        raise InputError(f"--host {host!r}: give an address, such as {DEFAULT_HOST} or localhost")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        raise InputError(
            f"--host {host!r}: not an address, nor a name this machine can resolve"
        ) from None
    for family, kind, proto, _, address in found:
        with socket.socket(family, kind, proto) as probe:
            # As the server sets it: a port whose last connections are closing counts as free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    raise InputError(
                        f"--port {port}: already in use on {host}; give another with --port"
                    ) from None
                if error.errno == errno.EADDRNOTAVAIL:
                    raise InputError(f"--host {host!r}: not an address of this machine") from None
                raise InputError(
                    f"--host {host} --port {port}: cannot listen there ({error.strerror})"
                ) from None


@app.command("dashboard", cls=PlainCommand)
def dashboard_command(
    port: Annotated[
        int, typer.Option(min=1, max=65535, metavar="PORT", help="Port to serve on.")
    ] = DEFAULT_PORT,
    host: Annotated[
        str,
        typer.Option(
            metavar="HOST",
            help="Address to listen on. The default serves this machine only; anything else "
            "lets other machines on the network open the dashboard.",
        ),
    ] = DEFAULT_HOST,
    scenario: Annotated[
        list[Path] | None,
        typer.Option(
            "--scenario",
            metavar="FILE",
            help="A scenario file to offer besides the shipped ones (repeat for several).",
        ),
    ] = None,
) -> None:
    """Serve the dashboard: move levers, see what they do.

    Each lever's effect is shown with its uncertainty. Works without internet access: Solara's front-end files come from a local cache, filled once from the npm registry or copied from another machine (docs/dashboard.md).
    """  # noqa: E501
    # Start-up time: imported only when the command runs; loads Solara and the engine.
    from sim.dashboard.assets import (
        AssetsError,
        default_cache_dir,
        ensure_assets,
        fetch_notice,
        missing_packages,
    )
    from sim.dashboard.choices import Catalog

    check_address(host, port)
    extra = list(scenario or [])
    for path in extra:
        if not path.is_file():
            raise InputError(f"{path}: no such scenario file")
    Catalog.discover(extra)  # a bad file is reported here, not as a blank page later
    cache = default_cache_dir()
    if missing_packages(cache):
        console.print(f"sharesim: {fetch_notice(cache)}")
    try:
        cache = ensure_assets(cache)
    except AssetsError as error:
        raise InputError(f"the dashboard's front-end files are not available: {error}") from error
    if not _is_loopback(host):
        where = f"{host} (every address of this machine)" if _is_every_address(host) else host
        console.print(
            f"sharesim: warning: serving on {where}: other machines on the network can open "
            "the dashboard.",
        )
    shown = f"[{host}]" if ":" in host else host
    console.print(f"sharesim: dashboard at http://{shown}:{port}/ (Ctrl-C stops it)")
    sys.stderr.flush()
    command = solara_command(host, port)
    # The server replaces this process: Ctrl-C and termination signals reach it directly.
    os.execve(command[0], command, dashboard_environment(cache, extra))
