"""The command line's help: plain text that fits 80 columns, options that name their values,
nothing cut, and a version to ask for."""

from __future__ import annotations

import re

import pytest
import typer

import sim
from sim.cli import app, main

COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def call(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as stop:
        code = int(stop.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_every_command_is_checked():
    assert {"run", "compare", "sweep", "sensitivity", "calibrate", "dashboard"} <= set(COMMANDS)


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_every_help_screen_is_clean(command, capsys):
    code, out, err = call([command, "--help"] if command else ["--help"], capsys)
    assert code == 0 and err == ""
    assert "Usage: sharesim" in out
    assert "<bool>" not in out
    # An option names its value (N, SEED, DIR); a type label in angle brackets is typer's.
    assert not re.search(r"--[a-z-]+ <", out), out
    assert not re.search(r"\d{10}", out), "a number spelled out digit by digit"
    assert "..." not in out.partition("Commands:")[2] and "…" not in out, "a cut summary"
    assert "[[" not in out and "\\[" not in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_a_command_given_nothing_shows_its_whole_help(capsys):
    code, out, err = call(["sweep"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("Usage: sharesim sweep") and len(err.splitlines()) > 10


def test_version(capsys):
    code, out, _ = call(["--version"], capsys)
    assert code == 0 and out == f"sharesim {sim.__version__}\n"


@pytest.mark.parametrize("seed", ["-1", str(2**63), "seven"])
def test_a_seed_out_of_range_is_one_line(seed, capsys):
    code, _, err = call(["run", "sentinel_replay", "--seed", seed], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "--seed" in err
