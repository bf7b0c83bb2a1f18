"""The sweep package's own promises: the model version covers the model code and nothing
else, ``sim.sweep`` is both the function and the package, and progress reaches a callable
(or a line of text for ``progress=True``) after every chunk."""

import importlib
import importlib.resources
import io

import pytest

import sim
from sim.errors import InputError
from sim.sweep import ProgressLine, SweepProgress, make_plan, run_plan
from sim.sweep.session import progress_callback
from sim.sweep.version import NOT_MODEL, model_sources, model_version


def test_the_model_version_covers_model_code_in_subpackages_and_not_the_machinery():
    sources = {name for name, _ in model_sources()}
    assert {"engine.py", "kernel.py", "params.py", "run.py", "seeds.py"} <= sources
    assert any(name.startswith("scenarios/") for name in sources)
    assert "scenarios/__init__.py" in sources and "__init__.py" not in sources
    for machinery in ("sweep/", "cli/", "dashboard/", "sensitivity/", "calibration/"):
        assert not any(name.startswith(machinery) for name in sources), machinery
    assert not {"execution.py", "durable.py", "store.py", "conclusion.py"} & sources
    assert all(name.endswith(".py") for name in sources)
    assert model_version().startswith(f"{sim.__version__}+")


def test_every_excluded_name_exists_so_the_list_cannot_rot():
    root = importlib.resources.files("sim")
    missing = [
        name for name in NOT_MODEL if not (root / name).is_file() and not (root / name).is_dir()
    ]
    assert missing == []


def test_sim_sweep_is_the_function_and_the_package():
    from sim import sweep

    assert callable(sweep) and sweep.__module__ == "sim.sweep.front"
    package = importlib.import_module("sim.sweep")
    assert hasattr(package, "__path__") and package.run_plan is run_plan


def test_progress_is_reported_after_every_chunk_and_as_a_line_on_request(tmp_path):
    plan = make_plan(["sentinel_replay"], None, replicates=3, seed=1)
    seen: list[SweepProgress] = []
    run_plan(plan, tmp_path / "a", executor="serial", chunk_size=1, progress=seen.append)
    assert [s.done for s in seen] == [0, 1, 2, 3]
    assert seen[-1].total == 3 and seen[-1].eta == 0.0
    stream = io.StringIO()
    line = ProgressLine("replay", stream)
    for state in seen:
        line(state)
    text = stream.getvalue()
    assert text.startswith("\rreplay: 0/3 runs") and text.endswith("\n") and text.count("\n") == 1
    assert "\rreplay: 3/3 runs" in text


def test_progress_true_means_a_line_of_text_and_anything_else_is_refused():
    assert isinstance(progress_callback(True, "x"), ProgressLine)
    assert progress_callback(False, "x") is None and progress_callback(None, "x") is None
    assert progress_callback(print, "x") is print
    with pytest.raises(InputError, match="progress"):
        progress_callback("bar", "x")  # type: ignore[arg-type]
