"""``sharesim dashboard``: offline set-up, loopback by default, one-line errors, a real server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import support

import sim.dashboard.assets as assets
from sim.cli import main
from sim.cli.dashboard import APP_MODULE, DEFAULT_HOST, SERVER_SETTINGS
from sim.dashboard.choices import EXTRA_SCENARIOS_ENV

TOY = Path(__file__).parent / "apps" / "three_partners.toml"


class Served(Exception):
    """Raised by the stand-in for ``os.execve``: what would have been run."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        super().__init__(command)
        self.command = command
        self.env = env


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        main(argv)
    except SystemExit as stop:
        return int(stop.code or 0), capsys.readouterr().err
    return 0, capsys.readouterr().err


@pytest.fixture
def no_exec(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Stand-ins for the asset cache and for replacing this process with the server."""

    def execve(path: str, command: list[str], env: dict[str, str]) -> None:
        raise Served(command, env)

    monkeypatch.setattr(os, "execve", execve)
    monkeypatch.setattr(assets, "ensure_assets", lambda cache_dir=None: tmp_path)
    return tmp_path


def test_serves_the_app_on_loopback_offline_with_telemetry_off(
    no_exec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(Served) as served:
        main(["dashboard", "--port", "8901", "--scenario", str(TOY)])
    command, env = served.value.command, served.value.env
    assert command[:5] == [sys.executable, "-m", "solara", "run", APP_MODULE]
    assert command[command.index("--host") + 1] == DEFAULT_HOST == "127.0.0.1"
    assert command[command.index("--port") + 1] == "8901"
    assert "--production" in command and "--no-check-version" in command
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"
    assert env["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str(no_exec.resolve())
    assert env["SOLARA_ASSETS_CDN"] == assets.OFFLINE_CDN
    assert env[EXTRA_SCENARIOS_ENV] == str(TOY.resolve())
    for name, value in SERVER_SETTINGS.items():
        assert env[name] == value
    err = capsys.readouterr().err
    assert "http://127.0.0.1:8901/" in err and "warning" not in err


def test_another_host_is_served_with_a_warning(
    no_exec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(Served) as served:
        main(["dashboard", "--host", "0.0.0.0"])
    assert served.value.command[served.value.command.index("--host") + 1] == "0.0.0.0"
    assert EXTRA_SCENARIOS_ENV not in served.value.env
    assert "warning: serving on 0.0.0.0" in capsys.readouterr().err


def test_the_first_start_says_once_what_it_fetches_and_where(
    no_exec: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    empty = tmp_path / "assets"
    monkeypatch.setenv(assets.ASSETS_DIR_ENV, str(empty))
    with pytest.raises(Served):
        main(["dashboard"])
    lines = [line for line in capsys.readouterr().err.splitlines() if "fetching" in line]
    assert len(lines) == 1
    assert "front-end files once" in lines[0] and str(empty) in lines[0]
    assert assets.ASSETS_DIR_ENV in lines[0]
    # A filled cache is used as it is, without a word.
    monkeypatch.setenv(assets.ASSETS_DIR_ENV, str(no_exec))
    monkeypatch.setattr(assets, "missing_packages", lambda cache_dir: [])
    with pytest.raises(Served):
        main(["dashboard"])
    assert "fetching" not in capsys.readouterr().err


def test_unfillable_asset_cache_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(cache_dir: Any = None) -> Path:
        raise assets.AssetsError("npm is needed once to fetch Solara's front-end files")

    def execve(*args: Any) -> None:
        raise AssertionError("no server may start without the asset cache")

    monkeypatch.setattr(assets, "ensure_assets", fail)
    monkeypatch.setattr(os, "execve", execve)
    code, err = run(["dashboard"], capsys)
    assert code == 2
    assert err.startswith("sharesim: error: the dashboard's front-end files are not available")
    assert "npm is needed" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["dashboard", "--port", "0"], "--port"),
        (["dashboard", "--port", "70000"], "--port"),
        (["dashboard", "--scenario", "/no/such/file.toml"], "no such scenario file"),
    ],
)
def test_bad_arguments_exit_2(
    argv: list[str], fragment: str, no_exec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(argv, capsys)
    assert code == 2 and fragment in err and "Traceback" not in err


def test_a_bad_scenario_file_is_reported_before_serving(
    no_exec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n')
    code, err = run(["dashboard", "--scenario", str(bad)], capsys)
    assert code == 2 and "bad.toml" in err


def test_the_command_serves_the_page(asset_cache: Path, tmp_path: Path) -> None:
    port = support.free_port()
    log = tmp_path / "dashboard.log"
    command = [sys.executable, "-m", "sim.cli", "dashboard", "--port", str(port)]
    with log.open("wb") as sink:
        server = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(url + "readyz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.25)
        with urllib.request.urlopen(url, timeout=10) as response:
            page = response.read().decode()
        assert "<title>sharesim dashboard</title>" in page
    finally:
        # The command replaced itself with the server: one signal stops it.
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=20)
    assert server.returncode is not None


@pytest.mark.parametrize(
    ("host", "fragment"),
    [
        ("", "give an address"),
        (" 127.0.0.1", "give an address"),
        ("no-such-host.invalid", "nor a name this machine can resolve"),
        ("192.0.2.1", "not an address of this machine"),
    ],
)
def test_an_address_the_server_cannot_listen_on_is_one_line(
    host: str, fragment: str, no_exec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(["dashboard", "--host", host], capsys)
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("sharesim: error: --host")
    assert fragment in err and "Traceback" not in err


def test_a_port_in_use_is_one_line_before_any_server_starts(
    no_exec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, err = run(["dashboard", "--port", str(port)], capsys)
    assert code == 2, err
    expected = f"--port {port}: already in use on 127.0.0.1; give another with --port"
    assert err == f"sharesim: error: {expected}\n"
    # Once the port is free again, the same command serves.
    with pytest.raises(Served):
        main(["dashboard", "--port", str(port)])


def test_every_address_is_served_with_a_warning_that_says_so(
    no_exec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(Served):
        main(["dashboard", "--host", "::", "--port", "8902"])
    err = capsys.readouterr().err
    assert "warning: serving on :: (every address of this machine)" in err
    assert "http://[::]:8902/" in err
