"""Crashes cost no committed result: SIGKILL a worker mid-sweep, or SIGKILL the coordinator
and run the same command again; the results are complete, never duplicated, and hash to the
same value as a sweep that was never interrupted. A pool whose worker died writing its result
(it would wait for the rest for ever) is found and rebuilt.

Budgets: the kills need a sweep that is still running when they land, so chunks hold one run
each (many commits, each a chance to kill); 24 runs for the worker kill and 160 for the
coordinator kill (the command's start-up takes seconds, the kill waits for five committed
chunks). One worker process is enough: with two chunks in flight per worker, a kill still
lands on running and queued chunks, and each pool start costs seconds of imports. The
reference is the same experiment run serially in this process.
"""

import contextlib
import gc
import importlib
import multiprocessing.queues
import os
import signal
import struct
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pandas as pd
import psutil
import pytest

from sim import store
from sim.execution import Execution
from sim.store import result_hash
from sim.sweep import make_plan, read_results, run_plan, status
from sim.sweep.executors import Executors
from sim.sweep.experiment import load_experiment

SHARESIM = Path(sys.executable).with_name("sharesim")

EXPERIMENT = """\
name = "crash"
scenarios = ["sentinel_replay"]
replicates = 40
seed = 99

[design]
kind = "list"
rows = [
    { double_keying_cost = 0.5, "melton.staff" = 3.0 },
    { double_keying_cost = 1.0, "melton.staff" = 5.0 },
    { double_keying_cost = 2.0, "melton.staff" = 5.0 },
    { double_keying_cost = 3.0, "melton.staff" = 7.0 },
]
"""


def _pool_workers(before: set[int]) -> list[psutil.Process]:
    """Process-pool workers this process started since ``before`` (not the resource tracker)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.pid not in before and "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def test_a_killed_worker_loses_no_result(tmp_path):
    design = pd.DataFrame({"double_keying_cost": [0.5, 1.0, 2.0, 3.0]})
    plan = make_plan(["sentinel_replay"], design, replicates=6, seed=4)
    run_plan(plan, tmp_path / "reference", executor="serial")
    expected = result_hash(read_results(tmp_path / "reference"))

    before = {p.pid for p in psutil.Process().children(recursive=True)}
    killed: list[int] = []

    def kill_a_worker(progress):
        if progress.done >= 2 and not killed:
            victim = _pool_workers(before)[0]
            os.kill(victim.pid, signal.SIGKILL)
            killed.append(victim.pid)

    folder = tmp_path / "sweep"
    state = run_plan(
        plan, folder, executor="process", workers=1, chunk_size=1, progress=kill_a_worker
    )
    assert killed, "no worker was killed: the test did not test anything"
    assert state.complete and state.failed == 0 and state.done == plan.total
    assert result_hash(read_results(folder)) == expected
    session = status(folder).sessions[-1]
    assert session["pool_rebuilds"] >= 1 and session["state"] == "finished"


def _committed_rows(folder: Path) -> int:
    """Rows in all committed chunk files (duplicates included)."""
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(p).num_rows for p in store.chunk_files(folder))


def test_a_killed_coordinator_resumes_complete_without_duplicates(tmp_path):
    experiment = tmp_path / "crash.toml"
    experiment.write_text(EXPERIMENT)
    plan = load_experiment(experiment).plan()
    run_plan(plan, tmp_path / "reference", executor="serial")
    expected = result_hash(read_results(tmp_path / "reference"))

    out = tmp_path / "out"
    command = [str(SHARESIM), "sweep", str(experiment), "--out", str(out), "--workers", "1",
               "--chunk-size", "1", "--quiet"]  # fmt: skip
    coordinator = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 120
        while len(store.chunk_files(out)) < 5 if out.exists() else True:
            assert coordinator.poll() is None, coordinator.communicate()
            assert time.monotonic() < deadline, "the sweep never committed five chunks"
            time.sleep(0.02)
        children = psutil.Process(coordinator.pid).children(recursive=True)
        os.kill(coordinator.pid, signal.SIGKILL)
        coordinator.wait(timeout=30)
    finally:
        # Its pool workers lose their parent; end them by pid (they would exit on their own).
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        if coordinator.poll() is None:
            coordinator.kill()
    assert coordinator.returncode == -signal.SIGKILL
    interrupted = status(out)
    if interrupted.left == 0:
        pytest.fail("the sweep finished before the kill landed: raise the experiment's budget")
    assert interrupted.done + interrupted.failed == _committed_rows(out)

    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    final = status(out)
    assert final.complete and final.failed == 0 and final.done == plan.total
    assert _committed_rows(out) == plan.total  # no run written twice
    assert result_hash(read_results(out)) == expected
    states = [s["state"] for s in final.sessions]
    assert states == ["running", "finished"]  # the killed session never got to say so


def _die_writing_its_result() -> None:
    """Stand in for a worker killed while writing its result: half a message, then gone."""
    (results,) = [o for o in gc.get_objects() if isinstance(o, multiprocessing.queues.SimpleQueue)]
    # A message's header announcing 1 MiB, and four bytes of it.
    os.write(results._writer.fileno(), struct.pack("!i", 1 << 20) + b"half")
    os._exit(1)


def test_a_pool_stuck_on_a_half_written_result_is_rebuilt():
    with Executors(Execution(executor="process", workers=1)) as pool:
        lost = pool.executor.submit(_die_writing_its_result)
        deadline = time.monotonic() + 120
        while not pool.stuck():
            assert not lost.done(), "the pool noticed by itself: the test tests nothing"
            assert time.monotonic() < deadline, "a dead worker was never found"
            time.sleep(0.2)
        pool.rebuild()
        assert pool.executor.submit(pow, 2, 10).result(timeout=120) == 1024
        # The old pool lets go of its future: it counts itself broken.
        with pytest.raises(BrokenProcessPool):
            lost.result(timeout=30)


def _run_chunk_dying_once(task):  # type: ignore[no-untyped-def]
    """``run_chunk``, except that the first call of all dies writing its result."""
    try:
        os.close(os.open(os.environ["SHARESIM_TEST_DIED"], os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        from sim.sweep.worker import run_chunk

        return run_chunk(task)
    _die_writing_its_result()


def test_a_sweep_whose_worker_dies_writing_its_result_finishes(tmp_path, monkeypatch):
    # ``sim.sweep`` is also the name of a function of ``sim``: the module by its full name.
    session = importlib.import_module("sim.sweep.session")
    design = pd.DataFrame({"double_keying_cost": [0.5, 1.0, 2.0]})
    plan = make_plan(["sentinel_replay"], design, replicates=2, seed=4)
    run_plan(plan, tmp_path / "reference", executor="serial")
    monkeypatch.setenv("SHARESIM_TEST_DIED", str(tmp_path / "died"))
    monkeypatch.setattr(session, "run_chunk", _run_chunk_dying_once)
    state = run_plan(plan, tmp_path / "sweep", executor="process", workers=1, chunk_size=1)
    assert (tmp_path / "died").exists(), "no worker died: the test did not test anything"
    assert state.complete and state.failed == 0 and state.done == plan.total
    assert result_hash(read_results(tmp_path / "sweep")) == result_hash(
        read_results(tmp_path / "reference")
    )
    assert status(tmp_path / "sweep").sessions[-1]["pool_rebuilds"] >= 1
