"""The notebook helper runs notebooks in this interpreter and reports failing cells."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import nbformat
import psutil
import pytest
from nbclient.exceptions import CellExecutionError
from support import run_notebook


def _write(path: Path, *sources: str) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(notebook, path)
    return path


def test_kernel_is_this_interpreter(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "ok.ipynb", "import sys, os\nprint(sys.executable)\nprint(os.getcwd())"
    )
    executed = run_notebook(path, timeout_s=120)
    lines = executed.cells[0].outputs[0]["text"].splitlines()
    assert lines == [sys.executable, str(tmp_path)]
    assert nbformat.read(path, as_version=4).cells[0].outputs == [], "the file must not change"


def test_failing_cell_raises(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.ipynb", "x = 1", "raise ValueError('broken on purpose')")
    with pytest.raises(CellExecutionError, match="broken on purpose"):
        run_notebook(path, timeout_s=120)


def _kernels() -> list[psutil.Process]:
    """This process's descendants that are notebook kernels."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "ipykernel_launcher" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


@pytest.mark.parametrize("last_cell", ["x = 2", "raise ValueError('broken on purpose')"])
def test_the_kernel_is_gone_when_the_helper_returns(tmp_path: Path, last_cell: str) -> None:
    before = {kernel.pid for kernel in _kernels()}
    path = _write(tmp_path / "one.ipynb", "x = 1", last_cell)
    with contextlib.suppress(CellExecutionError):
        run_notebook(path, timeout_s=120)
    left = [kernel for kernel in _kernels() if kernel.pid not in before and kernel.is_running()]
    assert not left, f"kernel processes left running: {[k.pid for k in left]}"
