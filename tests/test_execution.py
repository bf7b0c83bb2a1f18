"""One execution-options type: checked when made, the same names on the command line, and
given whole or as the old keywords."""

import typing
from concurrent.futures import ThreadPoolExecutor

import pytest

from sim.cli import main
from sim.errors import InputError
from sim.execution import EXECUTORS, Execution, ExecutorName, execution_of


def test_the_executor_names_are_declared_once():
    assert EXECUTORS == typing.get_args(ExecutorName) == ("process", "dask-local", "dask", "serial")


@pytest.mark.parametrize("command", ["sweep", "sensitivity", "calibrate"])
def test_every_command_offers_exactly_those_executors(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, "x.toml", "--out", "x", "--executor", "threads", "--chunk-size", "2"])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        "sharesim: error: --executor: must be one of 'process', 'dask-local', 'dask' or "
        "'serial', got 'threads'\n"
    )


def test_the_command_line_checks_the_options_before_reading_anything(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["sweep", "missing.toml", "--out", str(tmp_path / "x"), "--executor", "dask"])
    assert stop.value.code == 2
    assert "needs a scheduler address" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"executor": "threads"}, "executor must be one of"),
        ({"executor": "dask"}, "scheduler"),
        ({"executor": "process", "scheduler": "tcp://x:1"}, "scheduler"),
        ({"workers": 0}, "workers"),
        ({"workers": True}, "workers"),
        ({"workers": 2.0}, "workers"),
        ({"chunk_size": 0}, "chunk_size"),
    ],
)
def test_bad_options_are_one_line(options, message):
    with pytest.raises(InputError, match=message) as error:
        Execution(**options)
    assert "\n" not in str(error.value)


def test_good_options_and_labels():
    assert Execution() == Execution("process", None, None, None)
    assert Execution("dask", 4, "tcp://127.0.0.1:8786", 8).label == "dask"
    with ThreadPoolExecutor(1) as pool:
        assert Execution(pool, workers=1).label == "ThreadPoolExecutor"


def test_the_options_come_whole_or_one_by_one_never_both():
    assert execution_of() == Execution()
    assert execution_of(executor="serial", chunk_size=3) == Execution("serial", chunk_size=3)
    given = Execution("serial")
    assert execution_of(given) is given
    with pytest.raises(InputError, match="either execution= or workers="):
        execution_of(given, workers=2)
    with pytest.raises(InputError, match="must be an Execution"):
        execution_of("serial")  # type: ignore[arg-type]
