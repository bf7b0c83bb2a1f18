"""Durable folders: whole-or-absent files, one writer at a time, session records that say how
each session ended, and outputs published only once complete."""

import json
import os

import pandas as pd
import pytest

from sim import durable, output_folder
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


def _previous_output(out, files):
    """A folder holding an output of kind "report" that wrote ``files`` (name -> text)."""
    for name, text in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text)
    manifest = {"kind": "report", "files": sorted([*files, "manifest.json"])}
    (out / "manifest.json").write_text(json.dumps(manifest))


def _entries(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_a_staged_output_is_published_whole_and_keeps_other_files(tmp_path):
    out = tmp_path / "out"
    _previous_output(out, {"figures/old.svg": "old", "report.md": "old report"})
    (out / "notes.txt").write_text("mine")
    (out / "figures" / "mine.svg").write_text("mine too")
    with output_folder.staged(out, "report") as staging:
        (staging.folder / "figures").mkdir()
        (staging.folder / "figures" / "new.svg").write_text("new")
        (staging.folder / "report.md").write_text("report")
        staging.manifest["seed"] = 3
        assert (out / "report.md").read_text() == "old report"
    assert _entries(out) == [
        ".lock",
        "figures",
        "figures/mine.svg",
        "figures/new.svg",
        "manifest.json",
        "notes.txt",
        "report.md",
    ]
    assert (out / "report.md").read_text() == "report"
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "figures" / "mine.svg").read_text() == "mine too"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest == {
        "seed": 3,
        "kind": "report",
        "files": ["figures/new.svg", "manifest.json", "report.md"],
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failed_output_leaves_the_previous_one_untouched(tmp_path):
    out = tmp_path / "out"
    _previous_output(out, {"report.md": "good"})
    before = {name: (out / name).read_bytes() for name in ("report.md", "manifest.json")}
    with pytest.raises(RuntimeError), output_folder.staged(out, "report") as staging:
        (staging.folder / "report.md").write_text("half")
        raise RuntimeError("failed while writing")
    assert {name: (out / name).read_bytes() for name in before} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert _entries(out) == [".lock", "manifest.json", "report.md"]


def test_a_failed_output_into_a_new_folder_leaves_no_folder(tmp_path):
    with (
        pytest.raises(RuntimeError),
        output_folder.staged(tmp_path / "a" / "b", "report") as staging,
    ):
        (staging.folder / "report.md").write_text("half")
        raise RuntimeError("failed while writing")
    assert list(tmp_path.iterdir()) == []


def test_an_output_adding_to_its_folder_keeps_what_it_wrote_before(tmp_path):
    out = tmp_path / "out"
    _previous_output(out, {"a.csv": "a"})
    with output_folder.staged(out, "report", replace=False) as staging:
        (staging.folder / "b.csv").write_text("b")
        staging.manifest["last"] = "b"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["files"] == ["a.csv", "b.csv", "manifest.json"] and manifest["last"] == "b"
    assert (out / "a.csv").read_text() == "a"


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda out: (out / "notes.txt").write_text("mine"), "did not write"),
        (
            lambda out: (out / "manifest.json").write_text('{"kind": "sweep", "files": []}'),
            "holds the output of sharesim sweep",
        ),
        (lambda out: (out / "manifest.json").write_text("{not json"), "not a readable manifest"),
    ],
    ids=["a user's folder", "another command's folder", "a garbled manifest"],
)
def test_a_folder_that_is_not_the_outputs_own_is_refused_untouched(tmp_path, prepare, message):
    out = tmp_path / "out"
    out.mkdir()
    prepare(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with (
        pytest.raises(durable.OutputError, match=message) as refused,
        output_folder.staged(out, "report") as staging,
    ):
        (staging.folder / "report.md").write_text("report")
    assert "\n" not in str(refused.value) and str(out) in str(refused.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_users_file_where_the_output_writes_one_is_refused_before_anything_moves(tmp_path):
    out = tmp_path / "out"
    _previous_output(out, {"report.md": "old"})
    (out / "figures").write_text("a file where the output puts a folder")
    with (
        pytest.raises(durable.OutputError, match="in the way"),
        output_folder.staged(out, "report") as staging,
    ):
        (staging.folder / "report.md").write_text("new")
        (staging.folder / "figures").mkdir()
        (staging.folder / "figures" / "a.png").write_text("png")
    assert (out / "report.md").read_text() == "old"


def test_a_manifest_listing_paths_outside_its_folder_never_removes_them(tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    listed = ["../precious.txt", str(outside), "manifest.json"]
    (out / "manifest.json").write_text(json.dumps({"kind": "report", "files": listed}))
    with output_folder.staged(out, "report") as staging:
        (staging.folder / "report.md").write_text("new")
    assert outside.read_text() == "keep"


def test_an_earlier_outputs_file_behind_a_link_is_never_removed(tmp_path):
    """A folder the user swapped for a link may lead anywhere: nothing is removed through it,
    and nothing of the user's that merely looks like a leftover is removed either."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "old.svg").write_text("precious")
    out = tmp_path / "out"
    _previous_output(out, {"figures/old.svg": "old", "report.md": "old"})
    (out / "figures" / "old.svg").unlink()
    (out / "figures").rmdir()
    (out / "figures").symlink_to(elsewhere)
    (out / ".staging-notes").mkdir()
    (out / ".staging-notes" / "plan.txt").write_text("mine")
    with output_folder.staged(out, "report") as staging:
        (staging.folder / "report.md").write_text("new")
    assert (elsewhere / "old.svg").read_text() == "precious"
    assert (out / ".staging-notes" / "plan.txt").read_text() == "mine"


def test_os_errors_of_an_output_become_one_line_naming_the_path(tmp_path, monkeypatch):
    path = tmp_path / "a.bin"

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(durable.OutputError) as failed:
        durable.write_atomic(path, b"data")
    assert str(failed.value) == f"{path}: cannot write (No space left on device)"
    assert isinstance(failed.value, InputError) and isinstance(failed.value, OSError)
    assert list(tmp_path.iterdir()) == []
    long = tmp_path / ("x" * 5000)
    with pytest.raises(durable.OutputError, match="File name too long") as failed:
        output_folder.owned(long, "report")
    assert len(str(failed.value)) < 300 and "characters)" in str(failed.value)


def test_a_lock_nobody_holds_is_seen_as_free(tmp_path):
    lock = tmp_path / ".lock"
    assert not durable.held(lock)
    with durable.locked(lock):
        assert durable.held(lock)
    assert not durable.held(lock)


def test_timestamps_are_utc_seconds():
    stamp = durable.now()
    assert stamp.endswith("+00:00") and len(stamp) == len("2024-01-01T00:00:00+00:00")
