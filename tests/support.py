"""Helpers shared by the browser, dashboard, notebook, command-line and executor tests (fixtures
live in conftest.py)."""

from __future__ import annotations

import io
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.dashboard.assets import configure_environment

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

SMALL_CALIBRATION = """\
screening = 8
particles = 4
generations = 1
replicates = 1
predictive = 2
predictive_replicates = 1
point_replicates = 1
defaults_replicates = 2
seed = 5
"""
"""Calibration settings of a few seconds: they check what is written, not the fit."""


@contextmanager
def local_cluster(workers: int = 2) -> Iterator[Any]:
    """A real Dask ``LocalCluster`` on 127.0.0.1 (worker processes, one thread each), to be
    reached by its ``scheduler_address`` exactly as a remote cluster is."""
    from distributed import LocalCluster

    from sim.sweep.executors import LOCAL_CLUSTER

    with LocalCluster(n_workers=workers, **LOCAL_CLUSTER, silence_logs=logging.ERROR) as cluster:
        yield cluster


def in_ci() -> bool:
    """Return True when running under CI (``CI`` set to a true value), where nothing may skip."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class SolaraServer:
    """A running ``solara run`` process serving one app on loopback."""

    url: str
    log: Path
    process: subprocess.Popen[bytes]


@contextmanager
def solara_server(
    app: Path | str,
    asset_cache: Path,
    log_dir: Path,
    *,
    ready_timeout_s: float = 90.0,
    extra_env: dict[str, str] | None = None,
) -> Iterator[SolaraServer]:
    """Serve a Solara app offline from ``asset_cache`` on a free loopback port.

    Parameters
    ----------
    app : Path or str
        What ``solara run`` accepts: a file, or a module such as ``sim.dashboard.app``.
    asset_cache : Path
        A filled asset cache (see ``sim.dashboard.assets.ensure_assets``).
    log_dir : Path
        Where the server's output goes (``solara-<port>.log``); quoted when start-up fails.
    ready_timeout_s : float
        Seconds to wait for ``/readyz`` to answer 200 before giving up.
    extra_env : dict, optional
        More environment variables for the server.

    Yields
    ------
    SolaraServer
        With ``url`` ending in ``/``; the process is stopped on exit.
    """
    port = free_port()
    log = log_dir / f"solara-{port}.log"
    env = {**os.environ, **configure_environment(asset_cache), **(extra_env or {})}
    command = [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(app),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
    ]
    url = f"http://127.0.0.1:{port}/"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT, env=env
        )
    try:
        _wait_ready(url, process, log, ready_timeout_s)
        yield SolaraServer(url=url, log=log, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"solara exited with code {process.returncode} before serving {url}:\n"
                + log.read_text(errors="replace")[-4000:]
            )
        try:
            with urllib.request.urlopen(url + "readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise RuntimeError(
        f"solara did not answer {url}readyz within {timeout_s:.0f} s:\n"
        + log.read_text(errors="replace")[-4000:]
    )


def run_notebook(path: Path | str, *, timeout_s: int = 600, cwd: Path | str | None = None) -> Any:
    """Execute a notebook top to bottom with this interpreter as kernel; return it executed.

    Parameters
    ----------
    path : Path or str
        The ``.ipynb`` file; it is not modified.
    timeout_s : int
        Seconds allowed per cell.
    cwd : Path or str, optional
        Working directory of the kernel; the notebook's folder when omitted.

    Returns
    -------
    nbformat.NotebookNode
        The executed notebook (outputs filled in).

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        If a cell raises; the message names the cell and the error.
    """
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    notebook_path = Path(path)
    notebook = nbformat.read(notebook_path, as_version=4)
    # Only this environment's kernel dirs: a user-level "python3" kernelspec pointing at some
    # other interpreter must not be picked up. The native spec's "python" becomes sys.executable.
    specs = KernelSpecManager(kernel_dirs=[str(Path(sys.prefix) / "share" / "jupyter" / "kernels")])
    manager = KernelManager(kernel_name="python3", kernel_spec_manager=specs)
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=timeout_s,
        resources={"metadata": {"path": str(cwd if cwd is not None else notebook_path.parent)}},
    )
    # The client shuts down a kernel it did not start only when asked (cleanup_kc): without
    # it every notebook test would leave its kernel process and sockets to the garbage collector.
    client.execute(cleanup_kc=True)
    return notebook


def sharesim(args: list[str]) -> tuple[int, str, str]:
    """Run the ``sharesim`` command line in this process; return exit status, stdout, stderr."""
    from sim.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(args)
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def expected_fragments(path: Path) -> list[str]:
    """Return the fragments the first line of a malformed-input file promises its message holds.

    The line reads ``# expect: <fragment> | <fragment>`` (read as bytes: some files are not
    text).
    """
    first = path.read_bytes().split(b"\n", 1)[0].decode("latin-1")
    assert first.startswith("# expect: "), f"{path.name} has no '# expect:' line"
    return [part.strip() for part in first.removeprefix("# expect: ").split("|")]
