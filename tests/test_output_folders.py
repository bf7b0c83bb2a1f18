"""Output folders are owned: a command writes only into a folder that is new, empty or one it
wrote before (its manifest says so), replaces only files it wrote itself, and leaves the
user's files alone; anything else, and every error of the file system on output (no
permission, a read-only or full disk, /proc, a name too long, a file where a folder goes),
gets one line naming the path and the cause, exit status 2, and nothing touched.

Every command that writes a folder is covered: run, compare, sweep, sensitivity, calibrate.
The read-only and full disks are small tmpfs mounts (root is needed to mount them; the
tests say so and skip where mounting is not permitted).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import support

from sim.calibration import SHIPPED
from sim.cli import main
from sim.store import result_hash
from sim.sweep import read_results, run_plan, status
from sim.sweep.experiment import load_experiment

SWEEP = """\
name = "owned"
scenarios = ["sentinel_replay"]
replicates = 10
seed = 3

[design]
kind = "list"
rows = [
    { double_keying_cost = 0.5 },
    { double_keying_cost = 1.0 },
    { double_keying_cost = 2.0 },
    { double_keying_cost = 3.0 },
]
"""

SENSITIVITY = """\
name = "owned_morris"
scenarios = ["sentinel_replay"]
replicates = 2
seed = 5

[sensitivity]
method = "morris"
level = "parameter"
trajectories = 4
levels = 4
inputs = ["double_keying_cost", "legal_risk"]
outputs = ["share_final_year"]
"""

CALIBRATION = support.SMALL_CALIBRATION


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """The input files of the commands, in a folder of their own."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    written = {}
    for name, text in (
        ("sweep", SWEEP),
        ("sensitivity", SENSITIVITY),
        ("calibration", CALIBRATION),
    ):
        written[name] = folder / f"{name}.toml"
        written[name].write_text(text)
    return written


def command(name: str, out: str, files: dict[str, Path]) -> list[str]:
    """The command line of ``name`` writing into ``out``, at its smallest budget."""
    return {
        "run": ["run", "sentinel_replay", "--replicates", "1", "--out", out],
        "compare": ["compare", "sentinel_replay", "no_interfaces", "--replicates", "2",
                    "--out", out],
        "sweep": ["sweep", str(files["sweep"]), "--out", out, "--executor", "serial", "-q"],
        "sensitivity": ["sensitivity", str(files["sensitivity"]), "--out", out, "--executor",
                        "serial", "-q"],
        "calibrate": ["calibrate", str(SHIPPED), "--out", out, "--experiment",
                      str(files["calibration"]), "--executor", "serial"],
    }[name]  # fmt: skip


COMMANDS = ("run", "compare", "sweep", "sensitivity", "calibrate")


def call(argv: list[str], capfd: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the command in this process; return its exit status and standard error."""
    try:
        main(argv)
        code = 0
    except SystemExit as stop:
        code = int(stop.code or 0)
    return code, capfd.readouterr().err


def one_line(err: str) -> str:
    """The one error line of a refused command (and check that it is one, without trace)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sharesim: error: "), err
    assert "Traceback" not in err
    return lines[0]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a digest of its content."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Mount small tmpfs file systems (``tmpfs("name", "size=300k")``); all unmounted at the
    end. Skips, saying why, where mounting is not permitted (it needs root)."""
    points: list[Path] = []

    def mount(name: str, *options: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(point)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
        points.append(point)
        return point

    yield mount
    for point in reversed(points):
        subprocess.run(["umount", "-l", str(point)], check=False)


def resize(point: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(point)], check=True)


# --- whose folder it is ---------------------------------------------------------------------


def test_a_users_file_in_a_run_folders_figures_survives_a_new_run(tmp_path, capfd):
    """The reproduction: a file of the user's inside ``figures/`` of a run folder survives the
    next run into it; the run's own files are replaced, and the user's other files kept."""
    out = tmp_path / "p"
    assert call(["run", "sentinel_replay", "--replicates", "1", "--out", str(out)], capfd)[0] == 0
    (out / "figures" / "notes.svg").write_text("mine")
    (out / "notes.md").write_text("mine too")
    before = snapshot(out)
    assert call(["run", "sentinel_replay", "--replicates", "2", "--out", str(out)], capfd)[0] == 0
    assert (out / "figures" / "notes.svg").read_text() == "mine"
    assert (out / "notes.md").read_text() == "mine too"
    after = snapshot(out)
    assert after["report.md"] != before["report.md"]
    assert set(after) == set(before)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "run" and manifest["replicates"] == 2
    assert "figures/share.png" in manifest["files"]
    assert "figures/notes.svg" not in manifest["files"] and "notes.md" not in manifest["files"]


def test_a_run_into_a_users_folder_is_refused_and_touches_nothing(tmp_path, capfd):
    """The issue's reproduction as it was typed: ``p/figures/notes.svg`` in a folder no run
    wrote. The run refuses the folder; the user's file is where it was."""
    out = tmp_path / "p"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "notes.svg").write_text("mine")
    code, err = call(["run", "sentinel_replay", "--replicates", "2", "--out", str(out)], capfd)
    assert code == 2
    assert str(out) in one_line(err) and "did not write" in err
    assert snapshot(out) == {"figures/notes.svg": hashlib.sha256(b"mine").hexdigest()}
    assert sorted(p.name for p in out.rglob("*")) == ["figures", "notes.svg"]


def test_a_folder_holding_only_empty_folders_counts_as_empty(tmp_path, capfd):
    out = tmp_path / "p"
    (out / "figures").mkdir(parents=True)
    assert call(["run", "sentinel_replay", "--replicates", "1", "--out", str(out)], capfd)[0] == 0
    assert (out / "figures" / "share.png").is_file()


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_refuses_a_folder_it_did_not_write(name, files, tmp_path, capfd):
    out = tmp_path / "theirs"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    (out / "manifest.json").write_text('{"what": "the user\'s own manifest"}')
    before = snapshot(out)
    code, err = call(command(name, str(out), files), capfd)
    assert code == 2
    line = one_line(err)
    assert str(out) in line and f"sharesim {name} did not write" in line
    assert snapshot(out) == before and sorted(p.name for p in out.iterdir()) == sorted(before)


@pytest.mark.parametrize("name", COMMANDS)
def test_a_path_climbing_out_of_a_new_folder_is_refused_and_nothing_is_written(
    name, files, tmp_path, capfd
):
    # "theirs/new/.." is "theirs" once "new" is made: checked as a new folder, it would have
    # let the command lock and write in the user's folder.
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "thesis.tex").write_text("years of work")
    code, err = call(command(name, f"{theirs}/new/..", files), capfd)
    assert code == 2 and "climbs (..) out of a folder that does not exist" in one_line(err)
    assert sorted(p.name for p in theirs.iterdir()) == ["thesis.tex"]
    # A path that climbs out of a folder that is there is an ordinary path.
    (tmp_path / "here").mkdir()
    assert call(command("run", f"{tmp_path}/here/../mine", files), capfd)[0] == 0
    assert (tmp_path / "mine" / "manifest.json").is_file()


@pytest.mark.parametrize(("name", "other"), [("run", "sweep"), ("sweep", "run")])
def test_a_folder_of_another_command_is_refused(name, other, files, tmp_path, capfd):
    out = tmp_path / "other"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"kind": other, "files": ["manifest.json"]}))
    code, err = call(command(name, str(out), files), capfd)
    assert code == 2 and f"holds the output of sharesim {other}" in one_line(err)
    assert [p.name for p in out.iterdir()] == ["manifest.json"]


def test_comparisons_collect_in_their_folder(tmp_path, capfd):
    out = tmp_path / "comparisons"
    base = ["--replicates", "2", "--out", str(out)]
    assert call(["compare", "sentinel_replay", "no_interfaces", *base], capfd)[0] == 0
    assert call(["compare", "sentinel_replay", "lean_bureaucracy", *base], capfd)[0] == 0
    tables = sorted(p.name for p in out.glob("*.csv"))
    assert tables == [
        "compare_sentinel_replay_lean_bureaucracy.csv",
        "compare_sentinel_replay_no_interfaces.csv",
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "compare" and set(tables) < set(manifest["files"])


def test_a_folder_written_before_manifests_named_their_kind_is_still_its_own(tmp_path, capfd):
    """Folders of earlier versions (no "kind" in their manifest) are recognised: a run folder
    by its manifest, a sweep folder by its format; both are reused, not refused."""
    run_folder = tmp_path / "run"
    assert (
        call(["run", "sentinel_replay", "--replicates", "1", "--out", str(run_folder)], capfd)[0]
        == 0
    )
    manifest = json.loads((run_folder / "manifest.json").read_text())
    for key in ("kind", "files"):
        del manifest[key]
    (run_folder / "manifest.json").write_text(json.dumps(manifest))
    assert (
        call(["run", "sentinel_replay", "--replicates", "1", "--out", str(run_folder)], capfd)[0]
        == 0
    )
    assert json.loads((run_folder / "manifest.json").read_text())["kind"] == "run"


def test_an_analysis_folder_of_an_earlier_version_is_reused(files, tmp_path, capfd):
    out = tmp_path / "analysis"
    argv = command("sensitivity", str(out), files)
    assert call(argv, capfd)[0] == 0
    (out / "manifest.json").unlink()  # as written before analysis folders had one
    (out / "figures" / "notes.svg").write_text("mine")
    assert call(argv, capfd)[0] == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "sensitivity" and "morris.csv" in manifest["files"]
    assert (out / "figures" / "notes.svg").read_text() == "mine"


def test_a_calibration_folder_of_an_earlier_version_is_reused(files, tmp_path, capfd):
    out = tmp_path / "calibration"
    argv = command("calibrate", str(out), files)
    assert call(argv, capfd)[0] == 0
    manifest = json.loads((out / "manifest.json").read_text())
    for key in ("kind", "files"):
        del manifest[key]  # as written before calibration manifests named their kind
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "figures" / "notes.svg").write_text("mine")
    assert call(argv, capfd)[0] == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "calibrate" and "report.md" in manifest["files"]
    assert "posterior.parquet" in manifest["files"] and "runs/" in manifest["files"]
    assert (out / "figures" / "notes.svg").read_text() == "mine"


# --- --out "" -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*COMMANDS, "demo"])
def test_an_empty_out_is_refused_and_nothing_is_written(name, files, tmp_path, capfd, monkeypatch):
    """``--out ""`` would mean the current folder: refused, and nothing written there."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    argv = (
        ["demo", "--replicates", "1", "--out", ""] if name == "demo" else command(name, "", files)
    )
    code, err = call(argv, capfd)
    assert code == 2 and "--out" in one_line(err) and "empty" in err
    assert list(here.iterdir()) == []


# --- errors of the file system --------------------------------------------------------------


def _proc(tmp_path: Path) -> str:
    return "/proc/sharesim-output"


def _long(tmp_path: Path) -> str:
    return str(tmp_path / ("n" * 5000))


def _under_a_file(tmp_path: Path) -> str:
    (tmp_path / "a_file").write_text("not a folder")
    return str(tmp_path / "a_file" / "out")


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize(
    ("where", "cause"),
    [
        (_proc, "No such file or directory"),
        (_long, "File name too long"),
        (_under_a_file, "is a file"),
    ],
    ids=["under /proc", "a name too long", "under a file"],
)
def test_an_output_that_cannot_be_written_is_one_line(name, where, cause, files, tmp_path, capfd):
    out = where(tmp_path)
    before = snapshot(tmp_path)
    code, err = call(command(name, out, files), capfd)
    assert code == 2
    line = one_line(err)
    assert cause in line and (out in line or out[:60] in line)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("name", COMMANDS)
def test_a_read_only_disk_is_one_line(name, files, tmpfs, capfd):
    disk = tmpfs("read_only", "ro", "size=1m")
    out = disk / "out"
    code, err = call(command(name, str(out), files), capfd)
    assert code == 2 and "Read-only file system" in one_line(err) and str(disk) in err
    assert list(disk.iterdir()) == []


def test_a_full_disk_leaves_the_previous_run_intact(tmpfs, capfd):
    """A run fits the disk; the next one does not. It fails with one line, and the first run's
    folder is exactly as it was (the new output was staged, never half published)."""
    disk = tmpfs("full", "size=1m")
    out = disk / "run"
    assert call(["run", "sentinel_replay", "--replicates", "1", "--out", str(out)], capfd)[0] == 0
    before = snapshot(out)
    code, err = call(["run", "sentinel_replay", "--replicates", "3", "--out", str(out)], capfd)
    assert code == 2
    line = one_line(err)
    assert "No space left on device" in line and str(out) in line
    assert snapshot(out) == before
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".lock"]


def test_a_run_that_fills_a_new_folder_leaves_no_folder(tmpfs, capfd):
    disk = tmpfs("tiny", "size=200k")
    code, err = call(
        ["run", "sentinel_replay", "--replicates", "1", "--out", str(disk / "a")], capfd
    )
    assert code == 2 and "No space left on device" in one_line(err)
    assert list(disk.iterdir()) == []


def test_a_sweep_stopped_by_a_full_disk_resumes_to_the_exact_result(files, tmp_path, tmpfs, capfd):
    """The disk fills after a few chunks: one line, exit 2, the chunks before it kept and the
    folder marked interrupted; with room made, the same command resumes and the result hashes
    as an uninterrupted sweep's."""
    plan = load_experiment(files["sweep"]).plan()
    run_plan(plan, tmp_path / "reference", executor="serial")
    expected = result_hash(read_results(tmp_path / "reference"))

    disk = tmpfs("sweep", "size=160k")
    out = disk / "sweep"
    argv = ["sweep", str(files["sweep"]), "--out", str(out), "--executor", "serial",
            "--chunk-size", "1", "-q"]  # fmt: skip
    code, err = call(argv, capfd)
    assert code == 2
    line = one_line(err)
    assert "No space left on device" in line and str(out) in line and "resume" in line
    stopped = status(out)
    assert 0 < stopped.done < plan.total and stopped.state == "interrupted"

    resize(disk, "8m")
    assert call(argv, capfd)[0] == 0
    final = status(out)
    assert final.complete and final.failed == 0 and final.state == "finished"
    assert result_hash(read_results(out)) == expected
