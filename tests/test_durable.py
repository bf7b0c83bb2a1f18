"""Durable folders: whole-or-absent files, one writer at a time, session records that say how
each session ended, and outputs published only once complete."""

import json
import os

import pandas as pd
import pytest

from sim import durable
from sim.errors import InputError


def test_write_atomic_replaces_the_whole_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "a.bin"
    durable.write_atomic(path, b"first")
    durable.write_atomic(path, b"second")
    assert path.read_bytes() == b"second"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_a_write_that_fails_before_the_rename_keeps_the_old_content(tmp_path, monkeypatch):
    path = tmp_path / "a.bin"
    durable.write_atomic(path, b"committed")

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        durable.write_atomic(path, b"half")
    assert path.read_bytes() == b"committed"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_json_and_parquet_are_written_whole(tmp_path):
    durable.write_json(tmp_path / "m.json", {"b": 1, "a": [1.5, None]}, indent=1)
    assert (tmp_path / "m.json").read_text() == json.dumps(
        {"b": 1, "a": [1.5, None]}, indent=1
    ) + "\n"
    frame = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    durable.write_parquet(tmp_path / "deep" / "f.parquet", frame)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "deep" / "f.parquet"), frame)
    with pytest.raises(ValueError):
        durable.write_json(tmp_path / "m.json", {"x": float("nan")}, allow_nan=False)
    assert json.loads((tmp_path / "m.json").read_text()) == {"b": 1, "a": [1.5, None]}


def test_temporaries_of_a_killed_writer_are_removed(tmp_path):
    (tmp_path / ".chunk.parquet.abc.tmp").write_bytes(b"half")
    (tmp_path / "chunk.parquet").write_bytes(b"whole")
    assert durable.remove_temporaries(tmp_path) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["chunk.parquet"]


def test_one_writer_at_a_time(tmp_path):
    lock = tmp_path / ".lock"
    with durable.locked(lock, "calibration"):
        with (
            pytest.raises(durable.FolderBusy, match="another calibration") as busy,
            durable.locked(lock, "calibration"),
        ):
            pass
        assert f"pid {os.getpid()}" in str(busy.value) and "\n" not in str(busy.value)
        assert isinstance(busy.value, InputError)
    with durable.locked(lock):  # released on exit
        pass


def _log(manifest, saved, **options):
    return durable.SessionLog(
        manifest, lambda m: saved.append(json.loads(json.dumps(m))), **options
    )


def test_a_session_is_recorded_running_then_finished_with_its_counts(tmp_path):
    manifest: dict = {"name": "x"}
    saved: list = []
    with _log(manifest, saved, closing=lambda: {"runs": 3}) as log:
        assert saved[-1]["sessions"] == [{"started": log.record["started"], "state": "running"}]
        log.record["executor"] = "serial"
    record = manifest["sessions"][-1]
    assert saved[-1] == manifest
    assert record["state"] == "finished" and record["runs"] == 3 and record["executor"] == "serial"
    assert record["seconds"] >= 0 and record["finished"] >= record["started"]


@pytest.mark.parametrize(
    ("error", "state"),
    [(KeyboardInterrupt, "interrupted"), (RuntimeError, "interrupted"), (LookupError, "failed")],
)
def test_a_session_that_raises_says_how_it_ended(error, state):
    manifest = {"sessions": [{"state": "finished"}]}
    saved: list = []
    with pytest.raises(error), _log(manifest, saved, failures=(LookupError,)):
        raise error
    assert [s["state"] for s in saved[-1]["sessions"]] == ["finished", state]


def test_a_record_that_cannot_be_saved_does_not_hide_the_error():
    calls = []

    def save(manifest):
        calls.append(1)
        if len(calls) > 1:
            raise OSError("disk full")

    with pytest.raises(KeyboardInterrupt), durable.SessionLog({}, save):
        raise KeyboardInterrupt
    with pytest.raises(OSError, match="disk full"), durable.SessionLog({}, save):
        pass


def test_a_staged_output_is_published_whole_and_keeps_other_files(tmp_path):
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "old.svg").write_text("old")
    (out / "notes.txt").write_text("mine")
    with durable.staged(out) as staging:
        (staging / "figures").mkdir()
        (staging / "figures" / "new.svg").write_text("new")
        (staging / "report.md").write_text("report")
        assert not (out / "report.md").exists()
    assert sorted(p.name for p in out.iterdir()) == ["figures", "notes.txt", "report.md"]
    assert [p.name for p in (out / "figures").iterdir()] == ["new.svg"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failed_output_leaves_the_previous_one_untouched(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("good")
    with pytest.raises(RuntimeError), durable.staged(out) as staging:
        (staging / "report.md").write_text("half")
        raise RuntimeError("failed while writing")
    assert (out / "report.md").read_text() == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_timestamps_are_utc_seconds():
    stamp = durable.now()
    assert stamp.endswith("+00:00") and len(stamp) == len("2024-01-01T00:00:00+00:00")
