"""Every benchmark script still imports against the library as it is now.

The benchmarks run only under ``make bench``, not in the test suite: a script whose imports
name something that moved would otherwise fail only when someone next measures. Importing
each one (without running its ``main``) catches that.
"""

import importlib
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(path.stem for path in BENCHMARKS.glob("*.py"))


def test_the_benchmarks_folder_has_its_scripts():
    assert {"bench_engine", "bench_sensitivity", "bench_calibration"} <= set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_benchmark_script_imports(name, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    monkeypatch.delitem(sys.modules, name, raising=False)
    module = importlib.import_module(name)
    assert module.__file__ is not None and Path(module.__file__).parent == BENCHMARKS
