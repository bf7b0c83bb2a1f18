"""The package as a user installs it: a wheel built from the repository, installed in a fresh
virtual environment outside it, runs the shipped scenarios and experiment files by name from a
folder outside it.

The fresh environment gets the wheel itself with ``pip install --no-deps``; its dependencies
come from this environment's site-packages through a ``.pth`` file, written after the install
so that pip sees nothing but the new environment. Installing the dependencies from the package
index instead takes about four minutes on the 2-core machine (numba, pyarrow, dask, solara,
ema-workbench: a gigabyte unpacked), against a minute for everything here; ``pip check`` in the
new environment still checks that the wheel's declared dependencies are all there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

import sim
from sim.shipped import EXPERIMENTS, SCENARIOS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]

BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "sim")
"""What building the wheel reads: the metadata, the files it names and the package (copied
out, so that building leaves nothing in the checkout)."""


def _run(argv: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", str(source), "-w", str(dist), "--no-deps", "-q"],
        cwd=dist,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (found,) = dist.glob("sharesim-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh virtual environment holding the wheel."""
    home = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(home)
    python = home / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    done = _run([*pip, "install", "--no-deps", "-q", str(wheel)], cwd=home)
    assert done.returncode == 0, done.stderr[-2000:]
    ours = Path(sysconfig.get_paths()["purelib"])
    theirs = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=home
    ).stdout.strip()
    (Path(theirs) / "sharesim_dependencies.pth").write_text(f"{ours}\n", encoding="utf-8")
    return home / "bin"


def test_the_wheel_holds_every_shipped_file_and_the_licence(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for shipped in (SCENARIOS, EXPERIMENTS):
        for name in shipped.names():
            assert shipped.label(name) in names
    assert {"sim/calibration/sentinel_targets.toml", "sim/discovery.py"} <= names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith(("tests/", "experiments/", "benchmarks/")) for n in names)


def test_the_installed_package_runs_shipped_files_by_name(installed: Path, tmp_path: Path):
    python, sharesim = str(installed / "python"), str(installed / "sharesim")
    where = _run([python, "-c", "import sim; print(sim.__file__)"], cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(installed.parent), where.stderr
    checked = _run([python, "-m", "pip", "check"], cwd=tmp_path)
    assert "sharesim" not in checked.stdout, checked.stdout

    version = _run([sharesim, "--version"], cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.strip() == f"sharesim {sim.__version__}"

    commands = {
        "run": ["run", "sentinel_replay", "--replicates", "2", "--out", "run"],
        "sweep": ["sweep", "interface_sweep", "--out", "sweep", "--executor", "serial", "-q"],
        "sensitivity": [
            "sensitivity",
            "sensitivity_morris_categories",
            "--out",
            "sensitivity",
            "--executor",
            "serial",
            "-q",
        ],
    }
    for name, argv in commands.items():
        done = _run([sharesim, *argv], cwd=tmp_path)
        assert done.returncode == 0, f"{name}: {done.stderr[-2000:]}"
    assert (tmp_path / "run" / "report.html").is_file()
    assert (tmp_path / "sweep" / "manifest.json").is_file()
    assert (tmp_path / "sensitivity" / "brief.html").is_file()

    unknown = _run([sharesim, "sensitivity", "sensitivity_moris", "--out", "x"], cwd=tmp_path)
    assert unknown.returncode == 2 and len(unknown.stderr.strip().splitlines()) == 1
    assert "did you mean 'sensitivity_morris'?" in unknown.stderr
    assert not (tmp_path / "x").exists()
