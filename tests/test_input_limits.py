"""Every input is bounded and checked before work starts, and stays inside its place.

The limits live in ``sim.limits``; these tests check that each loader applies them (the fuzz
tests in ``test_fuzz_inputs.py`` try thousands of files; the corpora hold one file per
reproduction).
"""

from __future__ import annotations

import importlib
import os
import tomllib
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from sim import design as designs
from sim import limits
from sim.calibration import SettingsError, load_settings
from sim.calibration.settings import CalibrationSettings, settings_from_mapping
from sim.errors import InputError
from sim.inputs import (
    FileError,
    bracket_depth,
    nesting_depth,
    number_text,
    parse_toml,
    read_text,
)
from sim.scenarios import Scenario, ScenarioError
from sim.scenarios.locate import Location, place_problem
from sim.sensitivity.experiment_file import SensitivityExperimentError, load_sensitivity_experiment
from sim.sweep.experiment import ExperimentError, load_experiment

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "experiments"
CHILD = 'name = "child"\ndescription = "A change to the replay."\n'


# --- the limits themselves -----------------------------------------------------------------


def test_runs_above_the_confirmation_limit_need_force_and_never_pass_the_most() -> None:
    assert limits.runs_problem(limits.CONFIRM_RUNS_ABOVE, force=False) is None
    refused = limits.runs_problem(limits.CONFIRM_RUNS_ABOVE + 1, force=False, counted="2 x 3")
    assert refused is not None and refused.startswith("2 x 3 = 1,000,001 runs")
    assert "--yes" in refused and "force=True" in refused
    assert limits.runs_problem(limits.CONFIRM_RUNS_ABOVE + 1, force=True) is None
    assert "split it" in str(limits.runs_problem(limits.MAX_RUNS + 1, force=True))


def test_a_design_is_bounded_in_rows_and_values() -> None:
    assert limits.design_problem(limits.MAX_DESIGN_ROWS, 1) is None
    assert "design rows" in str(limits.design_problem(limits.MAX_DESIGN_ROWS + 1, 1))
    assert "values" in str(limits.design_problem(limits.MAX_DESIGN_ROWS, 21))


def test_the_guarantees_page_states_every_limit() -> None:
    page = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    for name in (n for n in dir(limits) if n.isupper()):
        value = getattr(limits, name)
        row = next((line for line in rows if f"`{name}`" in line.split("|")[1]), None)
        assert row is not None, f"docs/reliability.md does not state {name}"
        if isinstance(value, date):
            shown = value.isoformat()
        elif name == "MAX_FILE_BYTES":
            shown = f"{value // 2**20} MiB"
        else:
            shown = f"{int(value):,}"
        assert shown in row, f"docs/reliability.md gives {name} a value other than {shown}"


def test_the_shipped_experiments_are_well_inside_the_limits() -> None:
    for path in EXPERIMENTS.glob("*.toml"):
        if path.name.startswith("calibration"):
            assert load_settings(path).planned_runs < limits.CONFIRM_RUNS_ABOVE
        elif path.name.startswith("sensitivity"):
            assert load_sensitivity_experiment(path).runs < limits.CONFIRM_RUNS_ABOVE / 10
        else:
            loaded = load_experiment(path)
            assert loaded.plan().total < limits.CONFIRM_RUNS_ABOVE / 10


# --- designs and runs --------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda b: designs.latin_hypercube(b, 10**12, seed=1),
        lambda b: designs.sobol_sample(b, 2**30, seed=1),
        lambda b: designs.morris_sample(b, 10**9, seed=1),
        lambda b: designs.grid({name: range(2_000) for name in b}),
        lambda b: designs.linear_levels(0.0, 1.0, 10**9),
    ],
    ids=["latin_hypercube", "sobol", "morris", "grid", "points"],
)
def test_a_design_too_big_is_refused_before_it_is_built(make) -> None:
    bounds = {"double_keying_cost": (0.3, 3.0), "legal_risk": (0.0, 2.0)}
    with pytest.raises(designs.DesignError, match=r"more than|2 to 10,000 points"):
        make(bounds)


def test_a_design_frame_too_big_is_refused_by_the_sweep_check() -> None:
    frame = pd.DataFrame({"legal_risk": [1.0] * (limits.MAX_DESIGN_ROWS + 1)})
    with pytest.raises(designs.DesignError, match="1,000,001 design rows"):
        designs.check_design(frame, {"legal_risk": (0.0, 2.0)})


def _experiment(tmp_path: Path, replicates: int, points: int = 3) -> Path:
    path = tmp_path / "big.toml"
    path.write_text(
        f'scenarios = ["sentinel_replay"]\nseed = 1\nreplicates = {replicates}\n[design]\n'
        f'kind = "grid"\npoints = {{ double_keying_cost = {points} }}\n'
    )
    return path


def test_an_experiment_of_many_runs_loads_only_when_forced(tmp_path: Path) -> None:
    path = _experiment(tmp_path, 400_000)
    with pytest.raises(ExperimentError, match=r"= 1,200,000 runs, more than 1,000,000; .*--yes"):
        load_experiment(path)
    assert load_experiment(path, force=True).plan().total == 1_200_000
    with pytest.raises(ExperimentError, match="more than the 10,000,000 one study may run"):
        load_experiment(_experiment(tmp_path, 1_000_000, points=11), force=True)


def test_a_sensitivity_analysis_of_many_runs_loads_only_when_forced(tmp_path: Path) -> None:
    text = (EXPERIMENTS / "sensitivity_sobol_grouped.toml").read_text()
    path = tmp_path / "many.toml"
    path.write_text(text.replace("replicates = 5", "replicates = 200"))
    with pytest.raises(SensitivityExperimentError, match=r"1,638,400 runs, more than"):
        load_sensitivity_experiment(path)
    assert load_sensitivity_experiment(path, force=True).runs == 1_638_400
    path.write_text(text.replace("n = 1024", "n = 1048576"))
    with pytest.raises(SensitivityExperimentError, match=r"sensitivity: 8,388,608 design rows"):
        load_sensitivity_experiment(path, force=True)


def test_a_calibration_counts_its_runs_and_loads_big_only_when_forced(tmp_path: Path) -> None:
    # the point estimate's selection over at most 1,000 sets: 1,000 x 20, 250 x 40, 63 x 80,
    # 16 x 160, 4 x 320 and 3 x 640 runs
    selection = 20_000 + 10_000 + 5_040 + 2_560 + 1_280 + 1_920
    assert CalibrationSettings().planned_runs == (
        1500 * 2 + 2500 * 149 * 1 + 1000 * 2 + selection + 1000 + 1000
    )
    big = {"screening": 1_000_000, "screening_replicates": 2}
    with pytest.raises(SettingsError, match=r"^x: screening 1,000,000 x 2 \+ ABC .*--yes"):
        settings_from_mapping(big, "x")
    assert settings_from_mapping(big, "x", force=True).planned_runs > limits.CONFIRM_RUNS_ABOVE
    path = tmp_path / "big.toml"
    path.write_text("screening = 1000000\n")
    with pytest.raises(SettingsError, match="--yes"):
        load_settings(path)
    assert load_settings(path, force=True).screening == 1_000_000


# --- reading any file --------------------------------------------------------------------


def test_nesting_depth_counts_tables_and_arrays() -> None:
    assert nesting_depth(1) == 0
    assert nesting_depth({"a": [[1], 2]}) == 3
    assert nesting_depth({"posterior": {"sets": [[1.0]]}}) == 4


@pytest.mark.parametrize("depth", [limits.MAX_NESTING, 10_000])
def test_deep_nesting_is_one_line_for_every_kind_of_file(depth: int) -> None:
    text = "a = " + "[" * depth + "]" * depth
    with pytest.raises(FileError, match=r"^f\.toml: tables and arrays nested more than 32 deep"):
        parse_toml(text, "f.toml")
    assert nesting_depth(parse_toml("a = " + "[" * 31 + "]" * 31, "f.toml")) == 32


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("a = [[1], {b = [2]}]", 3),
        ("[[items]]\nv = 1", 2),
        ("x = \"[[[[\" # {{{{\n[t]\ny = '{{{'", 1),
        ('s = """a\n\\"""[[[ """\nz = [1]', 1),
        ("s = '''[[[\n]]'''", 0),
        ('e = "a\\"[" \nz = [1]', 1),
    ],
)
def test_bracket_depth_skips_strings_and_comments(text: str, depth: int) -> None:
    assert bracket_depth(text) == depth


def test_a_deep_file_never_reaches_the_recursive_toml_reader(monkeypatch) -> None:
    """Refused before Python's TOML reader could recurse a thousand frames deep."""

    def recursive_reader(text: str) -> None:
        raise AssertionError("the TOML reader was called")

    monkeypatch.setattr(tomllib, "loads", recursive_reader)
    with pytest.raises(FileError, match="nested more than 32 deep"):
        parse_toml("a = " + "{b = " * 5_000 + "1" + "}" * 5_000, "f.toml")


def test_a_number_too_long_to_read_is_one_line() -> None:
    with pytest.raises(FileError, match=r"^f\.toml: not valid TOML: a number has too many digits$"):
        parse_toml("seed = 1" + "0" * 5000, "f.toml")


def test_long_numbers_are_shortened_in_messages() -> None:
    assert number_text(12) == "12" and number_text(True) == "True"
    assert number_text(-(2**70)) == "-118059... (22 digits)"


def test_a_file_over_the_limit_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    with path.open("wb") as stream:
        stream.truncate(limits.MAX_FILE_BYTES + 1)
    with pytest.raises(FileError, match=r"is bigger than 16 MiB"):
        read_text(path)
    with pytest.raises(FileError, match=r"is bigger than 16 MiB"):
        parse_toml("#" * (limits.MAX_FILE_BYTES + 1), "text")


def test_devices_and_link_loops_are_named_not_read(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"^/dev/zero: is not a regular file"):
        Scenario.load("/dev/zero")
    (tmp_path / "a.toml").symlink_to("b.toml")
    (tmp_path / "b.toml").symlink_to("a.toml")
    with pytest.raises(ExperimentError, match=r"a\.toml: is a symbolic link loop"):
        load_experiment(tmp_path / "a.toml")


# --- inputs stay inside their place ------------------------------------------------------


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_extends_reaches_files_below_its_folder_but_not_above(tmp_path: Path) -> None:
    place = tmp_path / "place"
    _write(place, "base/parent.toml", f'{CHILD}extends = "sentinel_replay"\n')
    _write(place, "base/middle.toml", f'{CHILD}extends = "parent.toml"\n')
    leaf = _write(place, "leaf.toml", f'{CHILD}extends = "./base/middle.toml"\n')
    assert Scenario.load(leaf).name == "child"
    _write(tmp_path, "outside.toml", f'{CHILD}extends = "sentinel_replay"\n')
    _write(place, "base/up.toml", f'{CHILD}extends = "../../outside.toml"\n')
    climbing = _write(place, "climbing.toml", f'{CHILD}extends = "base/up.toml"\n')
    with pytest.raises(ScenarioError, match=r"up\.toml: extends: '\.\./\.\./outside\.toml' leads"):
        Scenario.load(climbing)


def test_a_link_leading_out_is_refused_and_one_staying_in_is_followed(tmp_path: Path) -> None:
    place = tmp_path / "place"
    _write(place, "parent.toml", f'{CHILD}extends = "sentinel_replay"\n')
    outside = _write(tmp_path, "outside.toml", f'{CHILD}extends = "sentinel_replay"\n')
    (place / "in.toml").symlink_to(place / "parent.toml")
    (place / "out.toml").symlink_to(outside)
    assert Scenario.load(_write(place, "a.toml", f'{CHILD}extends = "in.toml"\n')).name == "child"
    with pytest.raises(ScenarioError, match=r"extends: 'out\.toml' leads outside"):
        Scenario.load(_write(place, "b.toml", f'{CHILD}extends = "out.toml"\n'))


def test_a_refused_posterior_file_is_never_opened_nor_shown(tmp_path: Path) -> None:
    secret = _write(tmp_path, "secret.csv", "root:x:0:0:secret line\n")
    place = tmp_path / "place"
    for name, expected in [
        (str(secret), "is an absolute path"),
        ("../secret.csv", "leads outside"),
        ("link.csv", "leads outside"),
    ]:
        if name == "link.csv":
            place.mkdir(exist_ok=True)
            (place / name).symlink_to(secret)
        scenario = _write(
            place,
            "child.toml",
            f'{CHILD}extends = "sentinel_replay"\n[posterior]\nsource = "t"\nfile = "{name}"\n',
        )
        with pytest.raises(ScenarioError) as info:
            Scenario.load(scenario)
        assert expected in str(info.value) and "secret line" not in str(info.value)


def test_a_file_that_is_not_a_posterior_table_is_not_quoted(tmp_path: Path) -> None:
    _write(tmp_path, "notes.csv", "root:x:0:0:secret line\n")
    scenario = _write(
        tmp_path,
        "child.toml",
        f'{CHILD}extends = "sentinel_replay"\n[posterior]\nsource = "t"\nfile = "notes.csv"\n',
    )
    with pytest.raises(ScenarioError, match=r"has no 'weight' column in its first line$") as info:
        Scenario.load(scenario)
    assert "secret" not in str(info.value)


def test_text_extends_from_the_working_folder_and_stays_inside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, "parent.toml", f'{CHILD}extends = "sentinel_replay"\n')
    monkeypatch.chdir(tmp_path)
    assert Scenario.from_toml(f'{CHILD}extends = "parent.toml"\n').name == "child"
    with pytest.raises(ScenarioError, match=r"^<text>: extends: '\.\./x\.toml' leads outside"):
        Scenario.from_toml(f'{CHILD}extends = "../x.toml"\n')


def test_a_place_that_is_not_a_folder_on_disk_is_checked_by_its_steps() -> None:
    class Packaged:
        """A folder inside an installed package (not a Path)."""

        def joinpath(self, name: str) -> Packaged:
            return self

    location = Location("packaged.toml", "shipped:packaged", None, Packaged(), Packaged())
    assert place_problem(location, "sub/x.toml") is None
    assert place_problem(location, "sub/../x.toml") is None
    assert "leads outside" in str(place_problem(location, "sub/../../x.toml"))
    assert "absolute" in str(place_problem(location, os.sep + "x.toml"))


def test_every_limit_error_is_an_input_error() -> None:
    for error in (FileError, ScenarioError, ExperimentError, SettingsError, designs.DesignError):
        assert issubclass(error, InputError)


# --- the command line's --yes ------------------------------------------------------------


def _stop(*args: object, **kwargs: object) -> None:
    raise InputError("stopped where the runs would start")


@pytest.mark.parametrize("command", ["sweep", "sensitivity", "calibrate"])
def test_yes_on_the_command_line_lets_many_runs_start(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from sim.cli import main

    # `sim.sweep` and `sim.calibration.calibrate` are also names of functions `sim` exports.
    monkeypatch.setattr(importlib.import_module("sim.sweep"), "run_plan", _stop)
    # The command claims an analysis folder (so an interrupted one resumes) where runs start.
    monkeypatch.setattr(importlib.import_module("sim.sensitivity.folder"), "run_to_folder", _stop)
    monkeypatch.setattr(importlib.import_module("sim.calibration"), "calibrate", _stop)
    if command == "sweep":
        args = ["sweep", str(_experiment(tmp_path, 400_000)), "--out", str(tmp_path / "out")]
    elif command == "sensitivity":
        path = tmp_path / "many.toml"
        text = (EXPERIMENTS / "sensitivity_sobol_grouped.toml").read_text()
        path.write_text(text.replace("replicates = 5", "replicates = 200"))
        args = ["sensitivity", str(path), "--out", str(tmp_path / "out")]
    else:
        path = tmp_path / "budget.toml"
        path.write_text("screening = 1000000\n")
        targets = str(ROOT / "sim" / "calibration" / "sentinel_targets.toml")
        args = ["calibrate", targets, "--experiment", str(path), "--out", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as stop:
        main(args)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and len(err.splitlines()) == 1 and "run again with --yes" in err
    with pytest.raises(SystemExit) as stop:
        main([*args, "--yes"])
    last = capsys.readouterr().err.splitlines()[-1]
    assert stop.value.code == 2 and last.endswith("stopped where the runs would start")
    assert not (tmp_path / "out").exists()
