"""Clean shutdown: SIGTERM and SIGHUP stop a sweep, a sensitivity analysis or a calibration the
way Ctrl-C does (finished chunks saved, the folder marked interrupted, one line, exit 130);
the workers die with their coordinator even when it is killed with SIGKILL, the pool's
resource tracker too; a killed sweep's status says "interrupted"; and resuming gives exactly
the result of a sweep that was never stopped.

Processes are found through /proc (the coordinator's descendants, by parent pid) before the
signal is sent, and must all be gone within ten seconds of it. Budgets: 40 runs in chunks of
one on two workers, so the signal lands while chunks are in flight.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim import durable, store
from sim.cli import main
from sim.store import result_hash
from sim.sweep import make_plan, read_results, run_plan, status
from sim.sweep.experiment import load_experiment

SHARESIM = Path(sys.executable).with_name("sharesim")

EXPERIMENT = """\
name = "shutdown"
scenarios = ["sentinel_replay"]
replicates = 10
seed = 17

[design]
kind = "list"
rows = [
    { double_keying_cost = 0.5 },
    { double_keying_cost = 1.0 },
    { double_keying_cost = 2.0 },
    { double_keying_cost = 3.0 },
]
"""

GRACE = 10.0
"""Seconds within which every process of a stopped sweep must be gone."""


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The experiment file and the result hash of the same sweep run without a stop."""
    folder = tmp_path_factory.mktemp("shutdown")
    path = folder / "shutdown.toml"
    path.write_text(EXPERIMENT)
    run_plan(load_experiment(path).plan(), folder / "reference", executor="serial")
    return path, result_hash(read_results(folder / "reference"))


# --- processes, through /proc ---------------------------------------------------------------


def _processes() -> dict[int, tuple[int, str, str]]:
    """Every process: pid -> (parent pid, start time, state)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name, in parentheses, may hold spaces: the fields follow the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[1]), fields[19], fields[0])
    return found


def descendants(pid: int) -> dict[int, str]:
    """The living descendants of ``pid``, with their start times (to tell a reused pid)."""
    table = _processes()
    children: dict[int, list[int]] = {}
    for child, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(child)
    found, todo = {}, [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found[child] = table[child][1]
            todo.append(child)
    return found


def command_line(pid: int) -> str:
    with contextlib.suppress(OSError):
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    return ""


def alive(processes: dict[int, str]) -> list[int]:
    """Those of ``processes`` still running (a zombie waiting to be reaped is not)."""
    table = _processes()
    return [
        pid
        for pid, started in processes.items()
        if pid in table and table[pid][1] == started and table[pid][2] != "Z"
    ]


def gone_within(processes: dict[int, str], seconds: float) -> list[int]:
    """Wait up to ``seconds`` for ``processes`` to end; return those still alive."""
    deadline = time.monotonic() + seconds
    while (left := alive(processes)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def chunks(out: Path) -> int:
    return len(store.chunk_files(out)) if (out / store.RUNS).is_dir() else 0


@contextlib.contextmanager
def running_sweep(experiment: Path, out: Path, executor: str) -> Iterator[subprocess.Popen]:
    """A ``sharesim sweep`` of two workers, once it has committed three chunks; whatever of it
    is left at the end is killed by pid."""
    argv = [str(SHARESIM), "sweep", str(experiment), "--out", str(out), "--executor", executor,
            "--workers", "2", "--chunk-size", "1", "--quiet"]  # fmt: skip
    coordinator = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    family: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 180
        while chunks(out) < 3:
            assert coordinator.poll() is None, coordinator.communicate()
            assert time.monotonic() < deadline, "the sweep never committed three chunks"
            time.sleep(0.02)
        family.update(descendants(coordinator.pid))
        coordinator.family = family  # type: ignore[attr-defined]
        yield coordinator
    finally:
        for pid in alive(family):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if coordinator.poll() is None:
            coordinator.kill()
            coordinator.wait()


def resume(experiment: Path, out: Path, expected: str) -> None:
    """Run the same sweep again (serially): it completes, and hashes as one never stopped."""
    done = subprocess.run(
        [str(SHARESIM), "sweep", str(experiment), "--out", str(out), "--executor", "serial",
         "--quiet"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    final = status(out)
    assert final.complete and final.failed == 0 and final.state == "finished"
    assert result_hash(read_results(out)) == expected


# --- a real sweep, stopped ------------------------------------------------------------------


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_termination_signal_stops_a_sweep_as_ctrl_c_does(number, experiment, tmp_path):
    path, expected = experiment
    out = tmp_path / "out"
    with running_sweep(path, out, "process") as coordinator:
        family = coordinator.family  # type: ignore[attr-defined]
        workers = [pid for pid in family if "spawn_main" in command_line(pid)]
        assert len(workers) == 2, {pid: command_line(pid) for pid in family}
        coordinator.send_signal(number)
        _, err = coordinator.communicate(timeout=60)
        assert coordinator.returncode == 130
        assert err.strip().splitlines() == [
            f"sharesim: interrupted ({signal.Signals(number).name}); finished chunks are "
            "saved, run the same command to resume"
        ]
        assert gone_within(family, GRACE) == []
    stopped = status(out)
    assert stopped.state == "interrupted" and stopped.sessions[-1]["state"] == "interrupted"
    assert 0 < stopped.done < stopped.total
    assert stopped.sessions[-1]["runs_computed"] == stopped.done
    resume(path, out, expected)


def test_no_process_of_a_killed_sweep_survives_it(experiment, tmp_path):
    """SIGKILL of the coordinator: its pool workers and the resource tracker are gone within
    ten seconds, the status says interrupted, and the sweep resumes to the exact result."""
    path, expected = experiment
    out = tmp_path / "out"
    with running_sweep(path, out, "process") as coordinator:
        family = coordinator.family  # type: ignore[attr-defined]
        kinds = [command_line(pid) for pid in family]
        assert sum("spawn_main" in line for line in kinds) == 2, kinds
        assert any("resource_tracker" in line for line in kinds), kinds
        coordinator.send_signal(signal.SIGKILL)
        coordinator.wait(timeout=30)
        assert coordinator.returncode == -signal.SIGKILL
        survivors = gone_within(family, GRACE)
        assert survivors == [], {pid: command_line(pid) for pid in survivors}
    killed = status(out)
    assert killed.sessions[-1]["state"] == "running"  # it never got to say so
    assert killed.state == "interrupted" and 0 < killed.done < killed.total
    resume(path, out, expected)


def test_no_process_of_a_killed_dask_local_sweep_survives_it(experiment, tmp_path):
    path, expected = experiment
    out = tmp_path / "out"
    with running_sweep(path, out, "dask-local") as coordinator:
        family = coordinator.family  # type: ignore[attr-defined]
        assert len(family) >= 2, {pid: command_line(pid) for pid in family}
        coordinator.send_signal(signal.SIGKILL)
        coordinator.wait(timeout=30)
        survivors = gone_within(family, GRACE)
        assert survivors == [], {pid: command_line(pid) for pid in survivors}
    assert status(out).state == "interrupted"
    resume(path, out, expected)


# --- in this process: the session's record --------------------------------------------------


def test_a_chunk_committed_as_the_interrupt_lands_is_counted(tmp_path, monkeypatch):
    """Ctrl-C right after a chunk's runs file was renamed into place (while its folder is
    synced): the chunk is on disk, and the session record counts it."""
    plan = make_plan(["sentinel_replay"], None, replicates=4, seed=2)
    folder = tmp_path / "sweep"
    synced = durable.fsync_folder
    calls: list[Path] = []

    def interrupt_after_the_third_chunk(path: Path) -> None:
        synced(path)
        if path.name == store.RUNS:
            calls.append(path)
            if len(calls) == 3:
                raise KeyboardInterrupt

    monkeypatch.setattr(durable, "fsync_folder", interrupt_after_the_third_chunk)
    with pytest.raises(KeyboardInterrupt):
        run_plan(plan, folder, executor="serial", chunk_size=1)
    monkeypatch.undo()
    record = json.loads((folder / store.MANIFEST).read_text())["sessions"][-1]
    assert chunks(folder) == 3
    assert record["state"] == "interrupted" and record["runs_computed"] == 3


def test_the_status_of_a_session_nobody_holds_is_interrupted(tmp_path):
    plan = make_plan(["sentinel_replay"], None, replicates=2, seed=2)
    folder = tmp_path / "sweep"
    run_plan(plan, folder, executor="serial")
    manifest = json.loads((folder / store.MANIFEST).read_text())
    manifest["sessions"].append({"started": durable.now(), "state": "running"})
    store.write_manifest(folder, manifest)
    assert status(folder).state == "interrupted"
    with store.locked(folder):
        assert status(folder).state == "running"


# --- in this process: the other long commands ----------------------------------------------

SENSITIVITY = """\
name = "stopped_morris"
scenarios = ["sentinel_replay"]
replicates = 2
seed = 5

[sensitivity]
method = "morris"
level = "parameter"
trajectories = 8
levels = 4
inputs = ["double_keying_cost", "legal_risk"]
outputs = ["share_final_year"]
"""

CALIBRATION = """\
screening = 40
particles = 8
generations = 1
replicates = 1
predictive = 4
predictive_replicates = 1
point_replicates = 1
defaults_replicates = 2
seed = 5
"""


def _terminate_once(runs: Path, chunks_first: int) -> threading.Thread:
    """Send this process SIGTERM once ``runs`` (a sweep folder) holds ``chunks_first``
    chunks."""

    def watch() -> None:
        deadline = time.monotonic() + 120
        while chunks(runs) < chunks_first and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _call(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


@pytest.mark.parametrize("name", ["sensitivity", "calibrate"])
def test_sigterm_stops_an_analysis_and_a_calibration_as_ctrl_c_does(name, tmp_path, capfd):
    from sim.calibration import SHIPPED

    out = tmp_path / "out"
    if name == "sensitivity":
        path = tmp_path / "morris.toml"
        path.write_text(SENSITIVITY)
        argv = ["sensitivity", str(path), "--out", str(out), "--executor", "serial",
                "--chunk-size", "1", "-q"]  # fmt: skip
        runs = out / "runs"
    else:
        path = tmp_path / "calibration.toml"
        path.write_text(CALIBRATION)
        argv = ["calibrate", str(SHIPPED), "--out", str(out), "--experiment", str(path),
                "--executor", "serial", "--chunk-size", "1"]  # fmt: skip
        runs = out / "runs" / "screening"
    watcher = _terminate_once(runs, 3)
    assert _call(argv) == 130
    watcher.join()
    err = capfd.readouterr().err
    assert err.strip().splitlines()[-1] == (
        "sharesim: interrupted (SIGTERM); finished runs are saved, run the same command to resume"
    )
    assert "Traceback" not in err
    stopped = status(runs)
    assert stopped.state == "interrupted" and 3 <= stopped.done < stopped.total
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is put back
    assert _call(argv) == 0
    assert status(runs).complete


@pytest.mark.parametrize(
    "number", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=["SIGTERM", "SIGHUP", "SIGINT"]
)
def test_any_interrupted_command_says_so_in_one_line(number, tmp_path, capfd, monkeypatch):
    """A command with nothing to resume (here a run, stopped while it simulates) ends with
    one line naming what stopped it, status 130, and nothing written."""

    def stopped_while_running(*args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), number)
        time.sleep(30)

    # ``sim.run`` is the function; the module it comes from is patched.
    monkeypatch.setattr(sys.modules["sim.run"], "run", stopped_while_running)
    before = signal.getsignal(number)
    out = tmp_path / "run"
    assert _call(["run", "sentinel_replay", "--replicates", "2", "--out", str(out)]) == 130
    name = "Ctrl-C" if number == signal.SIGINT else signal.Signals(number).name
    assert capfd.readouterr().err.strip().splitlines() == [f"sharesim: error: interrupted ({name})"]
    assert not out.exists()
    assert signal.getsignal(number) is before  # the handler is put back
