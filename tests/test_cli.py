"""The ``sharesim`` command: runs write complete, reproducible outputs; bad input gets one
line on stderr, exit status 2, no traceback and nothing written; every help screen is plain
text that fits 80 columns."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import support
import typer

import sim
from sim.cli import app, main
from sim.cli.app import SECTIONS
from sim.scenarios import list_scenarios

CORPUS = sorted((Path(__file__).parent / "bad_scenarios").glob("*.toml"))


def call(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the command in-process; return exit status, stdout and stderr."""
    try:
        main(argv)
        code = 0
    except SystemExit as stop:
        code = int(stop.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def replay_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "replay"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "sim.cli",
            "run",
            "sentinel_replay",
            "--replicates",
            "4",
            "--seed",
            "3",
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    return out


def test_run_writes_tables_manifest_figures_and_report(replay_run: Path) -> None:
    partners = pd.read_parquet(replay_run / "partners.parquet")
    assert len(partners) == 4 * 156 * 11
    assert set(partners.columns) >= {
        "replicate",
        "week",
        "partner",
        "handled",
        "recorded",
        "share",
        "buy_in",
        "interface",
        "attitude",
    }
    assert (partners["recorded"] <= partners["handled"]).all()
    manifest = json.loads((replay_run / "manifest.json").read_text())
    assert manifest["scenario"] == "sentinel_replay" and manifest["replicates"] == 4
    assert len(manifest["scenario_hash"]) == 64 and manifest["git_commit"]
    assert manifest["seeds"][2] == {"entropy": 3, "spawn_key": [0, 2]}
    assert manifest["packages"]["mesa"] == "3.5.1"
    for name in ("share", "buy_in", "interfaces", "network"):
        assert (replay_run / "figures" / f"{name}.png").stat().st_size > 10_000
    report = (replay_run / "report.md").read_text()
    assert "Charnwood" in report and "figures/share.png" in report
    assert "<table" in (replay_run / "report.html").read_text()


def test_run_of_the_calibrated_scenario_draws_from_its_posterior(tmp_path: Path, capsys) -> None:
    drawn, fixed = tmp_path / "drawn", tmp_path / "fixed"
    base = ["run", "sentinel_calibrated", "--replicates", "6", "--seed", "2", "--out"]
    assert call([*base, str(drawn)], capsys)[0] == 0
    draws = pd.read_parquet(drawn / "draws.parquet")
    assert len(draws) == 6 and draws["draw"].nunique() > 1
    manifest = json.loads((drawn / "manifest.json").read_text())
    assert manifest["posterior"]["used"] and manifest["posterior"]["sets"] > 1
    assert "drew one of" in (drawn / "report.md").read_text()
    assert call([*base, str(fixed), "--no-posterior"], capsys)[0] == 0
    assert not (fixed / "draws.parquet").exists()
    assert json.loads((fixed / "manifest.json").read_text())["posterior"]["used"] is False
    assert not pd.read_parquet(fixed / "metrics.parquet").equals(
        pd.read_parquet(drawn / "metrics.parquet")
    )
    code, out, _ = call(["validate", "sentinel_calibrated"], capsys)
    assert code == 0 and "a posterior of" in out


def test_same_seed_same_tables(replay_run: Path, tmp_path: Path, capsys) -> None:
    again = tmp_path / "again"
    code, _, _ = call(
        ["run", "sentinel_replay", "--replicates", "4", "--seed", "3", "--out", str(again)], capsys
    )
    assert code == 0
    for table in ("partners.parquet", "partnership.parquet", "views.parquet", "metrics.parquet"):
        assert pd.read_parquet(again / table).equals(pd.read_parquet(replay_run / table))
    other = tmp_path / "other"
    call(
        ["run", "sentinel_replay", "--replicates", "4", "--seed", "4", "--out", str(other)], capsys
    )
    assert not pd.read_parquet(other / "partners.parquet").equals(
        pd.read_parquet(replay_run / "partners.parquet")
    )


def test_scenarios_lists_every_shipped_scenario(capsys) -> None:
    code, out, _ = call(["scenarios"], capsys)
    assert code == 0
    for name, _ in list_scenarios():
        assert name in out


def test_validate_accepts_a_good_file(capsys) -> None:
    path = Path(__file__).resolve().parents[1] / "sim" / "scenarios" / "no_interfaces.toml"
    code, out, err = call(["validate", str(path)], capsys)
    assert code == 0 and "valid scenario 'no_interfaces'" in out and not err


def test_validate_lists_every_problem_a_line_each(tmp_path: Path, capsys) -> None:
    path = tmp_path / "three.toml"
    path.write_text(
        'name = "three"\ndescription = "x"\nextends = "sentinel_replay"\ncolour = 1\n'
        "flavour = 2\nweekz = 3\n"
    )
    code, out, err = call(["validate", str(path)], capsys)
    assert code == 2 and not out
    assert err.splitlines() == [
        f"sharesim: error: {path}: colour: unknown field",
        f"sharesim: error: {path}: flavour: unknown field",
        f"sharesim: error: {path}: weekz: unknown field (did you mean 'weeks'?)",
    ]
    # Other commands still answer with the first problem and a count, and say where the rest are.
    code, _, err = call(["run", str(path), "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    assert err.splitlines() == [
        f"sharesim: error: {path}: colour: unknown field (and 2 more problems); "
        f"sharesim validate {path} lists them all"
    ]


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_bad_scenario_file_one_line_exit_2_nothing_written(
    path: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "out"
    code, _stdout, err = call(["run", str(path), "--replicates", "2", "--out", str(out)], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sharesim: error: ")
    assert path.name in lines[0] and "Traceback" not in err
    assert not out.exists()
    assert not list(tmp_path.glob(".out.staging-*"))


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["run", "no_such_scenario"], "no_such_scenario"),
        (["run", "missing/file.toml"], "missing/file.toml"),
        (["validate", "missing.toml"], "missing.toml"),
        (["run", "sentinel_replay", "--replicates", "0"], "replicates"),
        (["run", "sentinel_replay", "--seed", "-1"], "seed"),
        (["run", "sentinel_replay", "--replicates", "many"], "replicates"),
        (["compare", "sentinel_replay", "missing.toml"], "missing.toml"),
        (["nonsense-command"], "nonsense-command"),
    ],
)
def test_bad_arguments_one_line_exit_2(argv, fragment, tmp_path: Path, capsys) -> None:
    code, _, err = call(
        [*argv, *(["--out", str(tmp_path / "o")] if argv[0] == "run" else [])], capsys
    )
    assert code == 2, err
    assert fragment in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["run", "sentinel_replay", "--replicates", "0"],
            "--replicates: must be at least 1, got 0",
        ),
        (
            ["run", "sentinel_replay", "--replicates", "1.5"],
            "--replicates: must be a whole number, got the text '1.5'",
        ),
        (["run", "sentinel_replay", "--seed", "-1"], "--seed: must be from 0 to 2**63-1, got -1"),
        (["run", "sentinel_replay", "--seed", "x"], "--seed: must be a whole number, got 'x'"),
        (
            ["sweep", "interface_sweep", "--executor", "proc"],
            "--executor: must be one of 'process', 'dask-local', 'dask' or 'serial', got 'proc' "
            "(did you mean 'process'?)",
        ),
        (["sweep", "interface_sweep", "--workers", "0"], "--workers: must be at least 1, got 0"),
        (["dashboard", "--port", "99999"], "--port: must be at most 65535, got 99999"),
        (["run"], "Missing argument 'SCENARIO'."),
    ],
)
def test_a_refused_value_is_told_as_a_file_s_problems_are(argv, line, capsys) -> None:
    """Option names stand where a file's field paths do: ``--workers: must be at least 1``."""
    code, out, err = call(argv, capsys)
    assert (code, out, err.splitlines()) == (2, "", [f"sharesim: error: {line}"])


def test_a_file_in_place_of_the_output_folder_is_refused(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("keep me")
    code, _, err = call(
        ["run", "sentinel_replay", "--replicates", "1", "--out", str(blocker)], capsys
    )
    assert code == 2 and "must be a folder" in err
    assert blocker.read_text() == "keep me"


def test_bad_input_from_a_real_process_has_no_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sim.cli", "run", str(CORPUS[0]), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_compare_reports_paired_differences_with_intervals(capsys) -> None:
    code, out, _ = call(
        ["compare", "sentinel_replay", "no_interfaces", "--replicates", "6"], capsys
    )
    assert code == 0
    line = next(row for row in out.splitlines() if row.strip().startswith("final-year share "))
    assert "[" in line and "]" in line
    difference = float(line.split("[")[0].split()[-1])
    assert difference < 0, "removing every interface lowers sharing (DOMAIN.md P2)"


def test_compare_table_is_readable_at_80_columns() -> None:
    """Every output and every partner is named in full on one line of an 80-column terminal,
    each with both medians and the paired difference with its interval."""
    done = subprocess.run(
        [sys.executable, "-m", "sim.cli", "compare", "sentinel_replay", "no_interfaces",
         "--replicates", "4"],
        capture_output=True, text=True, check=True, env={**os.environ, "COLUMNS": "80"},
    )  # fmt: skip
    lines = done.stdout.splitlines()
    table = [line for line in lines if "[" in line and " to " in line and "%" in line]
    assert all(len(line) <= 80 for line in lines if line in table)
    assert "…" not in done.stdout
    for name in ("final-year share", "share over the whole run", *list_scenario_partners()):
        assert any(line.startswith(name + " ") for line in table), name


def test_run_table_is_readable_at_80_columns(tmp_path: Path) -> None:
    """Every partner is named in full on one line of an 80-column terminal, with its figures."""
    done = subprocess.run(
        [sys.executable, "-m", "sim.cli", "run", "sentinel_replay", "--replicates", "2",
         "--out", str(tmp_path)],
        capture_output=True, text=True, check=True, env={**os.environ, "COLUMNS": "80"},
    )  # fmt: skip
    table = done.stdout.split("\npartnership final-year share")[0].splitlines()
    assert max(map(len, table)) <= 80
    assert "…" not in done.stdout
    for name in list_scenario_partners():
        assert any(line.startswith(name + " ") and "% to " in line for line in table), name


def test_a_quiet_run_prints_nothing_and_writes_its_folder(tmp_path: Path, capsys) -> None:
    argv = ["run", "sentinel_replay", "--replicates", "2", "--out", str(tmp_path), "--quiet"]
    code, out, err = call(argv, capsys)
    assert (code, out, err) == (0, "", "")
    assert (tmp_path / "report.md").is_file() and (tmp_path / "partners.parquet").is_file()


def list_scenario_partners() -> tuple[str, ...]:
    from sim.scenarios import Scenario

    return Scenario.load("sentinel_replay").partner_names


def test_messages_are_not_broken_at_the_terminal_width(tmp_path: Path, capsys) -> None:
    """A long path must not split a message over lines (logs and scripts read it whole)."""
    folder = tmp_path / ("a_folder_name_long_enough_to_push_the_line_past_eighty_columns_" * 2)
    folder.mkdir()
    source = Path(__file__).resolve().parents[1] / "sim" / "scenarios" / "no_interfaces.toml"
    copy = folder / source.name
    copy.write_text(source.read_text())
    code, out, _ = call(["validate", str(copy)], capsys)
    assert code == 0
    assert out.strip().splitlines() == [
        f"{copy}: valid scenario 'no_interfaces': 11 partners, 156 weeks from 2011-04-04, "
        "130 uncertain inputs"
    ]


# --- help: plain text within 80 columns, options that name their values ----------------

COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


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
    assert not re.search(r"[A-Z] <[a-z]+>", out), "an argument with a type label"
    assert "{" not in out.splitlines()[0], "an argument in braces on the usage line"
    assert not re.search(r"\d{10}", out), "a number spelled out digit by digit"
    assert "..." not in out.partition("Options:")[2].partition("\n\n")[2], "a cut summary"
    assert "…" not in out, "a cut summary"
    assert "[[" not in out and "\\[" not in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_the_help_lists_every_command_once_under_its_heading(capsys):
    code, out, _ = call(["--help"], capsys)
    assert code == 0
    sections = out.partition("Options:")[2].split("\n\n")[1:]
    listed = {
        block.splitlines()[0]: [line.split()[0] for line in block.splitlines()[1:]]
        for block in sections
    }
    assert listed == {f"{heading}:": list(names) for heading, names in SECTIONS.items()}
    assert sorted(name for names in SECTIONS.values() for name in names) == COMMANDS


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


def test_demo_writes_into_its_default_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make demo`'s command as a new user types it: no --out, the default folder is used."""
    monkeypatch.chdir(tmp_path)
    code, out, err = support.sharesim(["demo", "--replicates", "1"])
    assert code == 0, err
    folder = tmp_path / "results" / "sentinel_replay"
    assert (folder / "report.html").is_file() and (folder / "manifest.json").is_file(), out
