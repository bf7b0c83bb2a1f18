"""Shipped files by name: one rule for scenarios and experiment files, the same file by name as
by path, and an unknown name as one line with the closest name."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.calibration import load_settings
from sim.cli import main
from sim.errors import InputError
from sim.sensitivity.experiment_file import load_sensitivity_experiment
from sim.shipped import EXPERIMENTS, SCENARIOS, is_path
from sim.sweep.experiment import load_experiment

ROOT = Path(__file__).resolve().parents[1]
NAMES = EXPERIMENTS.names()


def _loader(name: str):
    if name.startswith("calibration"):
        return load_settings
    if name.startswith("sensitivity"):
        return load_sensitivity_experiment
    return load_experiment


@pytest.mark.parametrize(
    ("reference", "path"),
    [
        ("interface_sweep", False),
        ("interface_sweep.toml", True),
        ("experiments/interface_sweep", True),
        ("experiments\\interface_sweep", True),
        ("./x.toml", True),
    ],
)
def test_a_name_is_shipped_and_anything_else_is_a_path(reference, path):
    assert is_path(reference) is path


def test_the_checkout_folder_is_the_shipped_one():
    assert sorted(p.stem for p in (ROOT / "experiments").glob("*.toml")) == NAMES
    assert (ROOT / "experiments").resolve() == (ROOT / "sim" / "experiments").resolve()
    assert {"interface_sweep", "sensitivity_morris", "calibration_sentinel"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_a_shipped_experiment_by_name_is_the_file_by_path(name):
    load = _loader(name)
    by_name, by_path = load(name), load(ROOT / "experiments" / f"{name}.toml")
    if load is load_settings:
        assert by_name == by_path
    else:
        assert by_name.name == by_path.name == name
        assert by_name.text_sha256 == by_path.text_sha256
        assert str(by_name.path).endswith(EXPERIMENTS.label(name))


@pytest.mark.parametrize("load", [load_experiment, load_sensitivity_experiment, load_settings])
def test_an_unknown_name_is_one_line_with_the_closest(load):
    with pytest.raises(InputError) as raised:
        load("interface_swep")
    message = str(raised.value)
    assert message.startswith("interface_swep: no shipped experiment file named 'interface_swep'")
    assert "(did you mean 'interface_sweep'?)" in message and "\n" not in message


def test_scenarios_and_experiments_are_listed_apart():
    assert "sentinel_replay" in SCENARIOS.names() and "sentinel_replay" not in NAMES
    assert SCENARIOS.label("no_interfaces") == "sim/scenarios/no_interfaces.toml"


@pytest.mark.parametrize(
    "argv",
    [
        ["sweep", "interface_swep", "--out", "out"],
        ["sensitivity", "sensitivity_moris", "--out", "out"],
    ],
)
def test_an_unknown_name_on_the_command_line_writes_nothing(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and len(err.splitlines()) == 1 and "did you mean" in err
    assert list(tmp_path.iterdir()) == []
