"""A brief finds the scenario a result was computed from, from any working directory.

A result folder records its scenario so that it loads again wherever the brief is written: a
shipped scenario by name, a file by its absolute path. When the file has moved or changed, the
brief says it does not know what the file held, rather than what it would say of an empty one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import SMALL_CALIBRATION, sharesim

from sim.scenarios import Scenario

HIGHER_COST = """\
name = "higher_cost"
description = "The replay with double keying dearer."
extends = "sentinel_replay"

[parameters]
double_keying_cost = { value = 2.5, provenance = "assumed", source = "Keying twice dearer" }
"""


def _cli(argv: list[str]) -> int:
    return sharesim(argv)[0]


def _limits(brief: Path) -> str:
    return brief.read_text().split("## How far this holds")[1]


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Where the user ran the command (holding their scenario file), and somewhere else."""
    here, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    here.mkdir()
    elsewhere.mkdir()
    (here / "higher_cost.toml").write_text(HIGHER_COST)
    monkeypatch.chdir(here)
    return here, elsewhere


def test_a_run_of_a_file_is_briefed_from_elsewhere_and_says_when_the_file_is_gone(
    places, monkeypatch, capfd
):
    here, elsewhere = places
    out = here / "run"
    assert _cli(["run", "higher_cost.toml", "--replicates", "2", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario_origin"] == str(here / "higher_cost.toml")
    monkeypatch.chdir(elsewhere)
    assert _cli(["brief", str(out)]) == 0
    assert "The scenario has " in _limits(out / "brief" / "brief.md")

    (here / "higher_cost.toml").rename(here / "moved.toml")
    assert _cli(["brief", str(out)]) == 0
    capfd.readouterr()
    brief = (out / "brief" / "brief.md").read_text()
    assert "not counted here: the scenario file is no longer where the run found it" in brief
    assert "The scenario has" not in brief
    # The registry parameters the run used still carry their sources.
    assert "decision_gain (assumed" in brief


def test_a_run_of_a_shipped_scenario_records_its_name(places, monkeypatch):
    here, elsewhere = places
    out = here / "run"
    assert _cli(["run", "no_colocation", "--replicates", "2", "--out", str(out)]) == 0
    assert json.loads((out / "manifest.json").read_text())["scenario_origin"] == "no_colocation"
    monkeypatch.chdir(elsewhere)
    assert _cli(["brief", str(out)]) == 0
    assert "The scenario has " in _limits(out / "brief" / "brief.md")


def test_a_comparison_names_what_differs_only_while_it_can_see_both_files(
    places, monkeypatch, capfd
):
    here, elsewhere = places
    out = here / "compare"
    argv = ["compare", "sentinel_replay", "higher_cost.toml", "--replicates", "2"]
    assert _cli([*argv, "--out", str(out)]) == 0
    monkeypatch.chdir(elsewhere)
    assert _cli(["brief", str(out)]) == 0
    assert "The two scenarios differ in double_keying_cost;" in _limits(out / "brief" / "brief.md")

    (here / "higher_cost.toml").write_text(HIGHER_COST.replace("2.5", "2.6"))
    assert _cli(["brief", str(out)]) == 0
    capfd.readouterr()
    limits = _limits(out / "brief" / "brief.md")
    assert "differ in ways this brief cannot tell: a scenario file is no longer where" in limits
    assert "events or partners" not in limits


def test_a_sweep_of_files_is_briefed_from_elsewhere(places, monkeypatch):
    here, elsewhere = places
    experiment = 'name = "dearer"\nscenarios = ["sentinel_replay", "higher_cost.toml"]\n'
    (here / "dearer.toml").write_text(experiment + "replicates = 2\nseed = 3\n")
    out = here / "sweep"
    argv = ["sweep", "dearer.toml", "--out", str(out), "--executor", "serial", "-q"]
    assert _cli(argv) == 0
    references = json.loads((out / "manifest.json").read_text())["references"]
    assert references == {
        "sentinel_replay": "sentinel_replay",
        "higher_cost": str(here / "higher_cost.toml"),
    }
    monkeypatch.chdir(elsewhere)
    assert _cli(["brief", str(out)]) == 0
    assert "the scenarios differ only as their files say (double_keying_cost)" in _limits(
        out / "brief" / "brief.md"
    )


def test_a_calibrated_scenario_file_of_ones_own_loads_wherever_it_is_written(places, monkeypatch):
    here, elsewhere = places
    # In a folder called "scenarios", as the shipped ones are: a file of one's own all the same.
    (here / "scenarios").mkdir()
    ranged = HIGHER_COST.replace("value = 2.5,", "low = 1.5, high = 3.0, default = 2.5,")
    (here / "scenarios" / "higher_cost.toml").write_text(ranged)
    shipped = (Path(__file__).parents[1] / "sim/calibration/sentinel_targets.toml").read_text()
    targets = shipped.replace(
        'scenario = "sentinel_replay"', 'scenario = "scenarios/higher_cost.toml"'
    )
    assert targets != shipped
    (here / "targets.toml").write_text(targets)
    (here / "settings.toml").write_text(SMALL_CALIBRATION)
    copy = here / "plans" / "higher_cost_calibrated.toml"
    copy.parent.mkdir()
    argv = ["calibrate", "targets.toml", "--experiment", "settings.toml", "--out", "out"]
    assert _cli([*argv, "--executor", "serial", "--write-scenario", str(copy)]) == 0
    monkeypatch.chdir(elsewhere)
    original = Scenario.load(here / "scenarios" / "higher_cost.toml")
    for path in (here / "out" / "higher_cost_calibrated.toml", copy):
        calibrated = Scenario.load(path)
        assert calibrated.posterior is not None
        assert calibrated.partner_names == original.partner_names
        assert calibrated.spec.events == original.spec.events
        # Its own value of a parameter the calibration did not fit, and a fitted one's range.
        fitted, written = calibrated.compile().parameters, original.compile().parameters
        assert fitted["assurance_relief"] == written["assurance_relief"]
        assert calibrated.spec.parameters["double_keying_cost"].provenance == "inferred"


def test_a_result_of_a_file_inside_the_package_names_it_by_its_place_there(tmp_path, monkeypatch):
    """The worked examples' folders are committed: they name their scenario files inside the
    package, not by the absolute path of the checkout that wrote them, and load in any other."""
    from sim.provenance import IN_PACKAGE, PACKAGE_ROOT

    example = PACKAGE_ROOT / "scenarios" / "examples" / "harrowdale.toml"
    monkeypatch.chdir(PACKAGE_ROOT.parent)
    out = tmp_path / "run"
    typed = str(example.relative_to(PACKAGE_ROOT.parent))
    assert _cli(["run", typed, "--replicates", "2", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario_origin"] == IN_PACKAGE + "scenarios/examples/harrowdale.toml"
    monkeypatch.chdir(tmp_path)
    assert _cli(["brief", str(out)]) == 0
    assert "no longer where" not in _limits(out / "brief" / "brief.md")


def test_the_committed_example_folders_name_no_path_of_the_machine_that_wrote_them():
    examples = Path(__file__).resolve().parents[1] / "docs" / "examples"
    manifests = sorted(examples.rglob("manifest.json"))
    assert manifests
    for manifest in manifests:
        text = manifest.read_text()
        references = [
            *json.loads(text).get("last", {}).get("scenarios", []),
            {"reference": json.loads(text).get("scenario_origin", "")},
        ]
        for entry in references:
            assert not Path(entry["reference"]).is_absolute(), (manifest, entry)


def test_a_file_is_named_by_its_place_in_the_package_or_else_absolutely(tmp_path, monkeypatch):
    from sim.provenance import PACKAGE_ROOT, file_reference, reference_path

    shipped = PACKAGE_ROOT / "experiments" / "sensitivity_morris.toml"
    assert file_reference(shipped) == "package:experiments/sensitivity_morris.toml"
    assert Path(reference_path(file_reference(shipped))) == shipped
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.toml").write_text("")
    assert file_reference(Path("mine.toml")) == str(tmp_path.resolve() / "mine.toml")
    assert reference_path("sentinel_replay") == "sentinel_replay"
