"""``sharesim sweep``: bad experiment files get one line and exit 2 with nothing written; a
good one runs, reports its status and resumes.

The corpus in ``tests/bad_experiments/`` holds one problem per file; its first line says
which words the error must contain (``# expect: ...``), so each message is checked to name
the field and the problem, not just to exist.
"""

import contextlib
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sim import store
from sim.cli import main
from sim.sweep import read_results
from sim.sweep.experiment import load_experiment

BAD = sorted((Path(__file__).parent / "bad_experiments").glob("*.toml"))
SHARESIM = Path(sys.executable).with_name("sharesim")
EXAMPLES = Path(__file__).resolve().parents[1] / "experiments"

GOOD = """\
name = "tiny"
description = "Two design points of the replay, three replicates each."
scenarios = ["sentinel_replay"]
replicates = 3
seed = 5

[design]
kind = "list"
rows = [ { double_keying_cost = 0.5 }, { double_keying_cost = 2.5 } ]
"""


def _expected(path: Path) -> str:
    first = path.read_bytes().split(b"\n", 1)[0].decode()
    assert first.startswith("# expect: "), f"{path.name} does not say what it expects"
    return first.removeprefix("# expect: ")


def _cli(argv):
    """Run the command in this process; return the exit status (0 when it returns)."""
    try:
        main(argv)
    except SystemExit as stop:
        return stop.code
    return 0


def test_the_corpus_is_big_enough():
    assert len(BAD) >= 10


@pytest.mark.parametrize(
    ("name", "runs"),
    [("interface_sweep", 180), ("replay_uncertainty", 1024), ("counterfactuals", 400)],
)
def test_the_example_experiments_are_valid(name, runs):
    plan = load_experiment(EXAMPLES / f"{name}.toml").plan()
    assert plan.name == name and plan.total == runs


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_a_bad_experiment_file_gets_one_line_exit_2_and_nothing_written(path, tmp_path, capfd):
    out = tmp_path / "out"
    status = _cli(["sweep", str(path), "--out", str(out), "--executor", "serial"])
    captured = capfd.readouterr()
    lines = captured.err.strip().splitlines()
    assert status == 2
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"sharesim: error: {path}: ")
    assert _expected(path) in lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert not out.exists()


def test_a_bad_experiment_file_in_a_real_process_prints_no_traceback(tmp_path):
    path = next(p for p in BAD if p.stem == "level_out_of_range")
    out = tmp_path / "out"
    done = subprocess.run(
        [str(SHARESIM), "sweep", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and _expected(path) in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_a_sweep_runs_reports_its_status_and_resumes(tmp_path, capfd):
    """Run on a Dask LocalCluster started by the command (one worker), then resume."""
    experiment = tmp_path / "tiny.toml"
    experiment.write_text(GOOD)
    out = tmp_path / "out"
    argv = ["sweep", str(experiment), "--out", str(out), "--executor", "dask-local",
            "--workers", "1"]  # fmt: skip
    assert _cli(argv) == 0
    assert "6 runs, 6 done, 0 failed, 0 left" in capfd.readouterr().out

    assert _cli(["sweep", "status", str(out)]) == 0
    report = capfd.readouterr().out
    assert "sweep tiny" in report
    assert "6 total, 6 done, 0 failed, 0 left" in report
    assert "complete" in report

    files = sorted(p.name for p in store.chunk_files(out))
    assert _cli([*argv, "--quiet"]) == 0
    assert capfd.readouterr().out == ""
    assert sorted(p.name for p in store.chunk_files(out)) == files  # nothing recomputed
    manifest = json.loads((out / store.MANIFEST).read_text())
    assert manifest["sessions"][-1]["runs_computed"] == 0
    assert manifest["about"]["experiment_file"] == str(experiment)
    assert manifest["environment"]["packages"]["numpy"]
    assert manifest["sessions"][0]["executor"] == "dask-local x1"
    assert len(read_results(out)) == 6


def test_a_local_cluster_leaves_the_dask_dashboard_port_to_others(tmp_path, capfd, recwarn):
    """Another Dask cluster on the machine holds port 8787: the sweep's cluster takes a free
    port for its scheduler's HTTP routes, with no warning about it."""
    experiment = tmp_path / "tiny.toml"
    experiment.write_text(GOOD)
    argv = ["sweep", str(experiment), "--out", str(tmp_path / "out"), "--executor",
            "dask-local", "--workers", "1", "-q"]  # fmt: skip
    with socket.socket() as other:
        with contextlib.suppress(OSError):  # already held: the same situation
            other.bind(("127.0.0.1", 8787))
            other.listen()
        assert _cli(argv) == 0
    said = [str(w.message) for w in recwarn] + [capfd.readouterr().err]
    assert not [text for text in said if "8787" in text or "already in use" in text], said


def test_another_experiment_into_a_used_folder_is_one_line_and_changes_nothing(tmp_path, capfd):
    experiment = tmp_path / "tiny.toml"
    experiment.write_text(GOOD)
    out = tmp_path / "out"
    assert _cli(["sweep", str(experiment), "--out", str(out), "--executor", "serial", "-q"]) == 0
    before = (out / store.MANIFEST).read_bytes()
    experiment.write_text(GOOD.replace("seed = 5", "seed = 6"))
    status = _cli(["sweep", str(experiment), "--out", str(out), "--executor", "serial"])
    err = capfd.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "seed" in err and "another --out folder" in err
    assert (out / store.MANIFEST).read_bytes() == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sweep", "status"], "give the sweep folder"),
        (["sweep", "status", "nowhere"], "nowhere: no such folder"),
        (["sweep", "status", "."], ".: no sweep here (no manifest.json)"),
        (["sweep", "x.toml"], "--out"),
    ],
)
def test_command_line_mistakes_are_one_line(argv, message, tmp_path, capfd, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _cli(argv) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and message in err
