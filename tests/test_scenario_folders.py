"""A scenario in a folder the user lists in SHARESIM_SCENARIOS loads by name, like a shipped
one, in Python, on the command line and in the dashboard; what it names stays in its folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support import sharesim

from sim.dashboard.choices import Catalog
from sim.scenarios import SCENARIOS_ENV, Scenario, ScenarioError, examples_folder, list_scenarios
from sim.scenarios.locate import search_folders
from sim.shipped import SCENARIOS

EXAMPLES = Path(str(examples_folder()))


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the worked example, listed (after an empty folder) in SHARESIM_SCENARIOS."""
    mine = tmp_path / "mine"
    shutil.copytree(EXAMPLES, mine)
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv(SCENARIOS_ENV, os.pathsep.join([str(tmp_path / "empty"), str(mine)]))
    return mine


def test_a_scenario_in_a_listed_folder_loads_by_name(folder: Path) -> None:
    by_name = Scenario.load("harrowdale_colocation_first")
    assert by_name == Scenario.load(folder / "harrowdale_colocation_first.toml")
    assert by_name.origin == str(folder / "harrowdale_colocation_first.toml")
    assert Scenario.load("sentinel_replay").origin == "sim/scenarios/sentinel_replay.toml"


def test_listing_adds_the_folders_after_the_shipped_scenarios(folder: Path) -> None:
    names = [name for name, _ in list_scenarios()]
    assert names[: len(SCENARIOS.names())] == SCENARIOS.names()
    assert names[len(SCENARIOS.names()) :] == sorted(p.stem for p in folder.glob("*.toml"))
    code, out, _ = sharesim(["scenarios"])
    assert code == 0 and "harrowdale_training_mandate_first" in out


def test_a_name_or_description_is_printed_as_written(folder: Path, tmp_path: Path) -> None:
    """Square brackets in a user's text are shown, not read as terminal markup."""
    path = folder / "harrowdale.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('description = "', 'description = "[draft] [bold]'), "utf-8")
    code, out, err = sharesim(["scenarios"])
    assert code == 0 and "[draft] [bold]Fictional example" in " ".join(out.split()), err


def test_a_shipped_name_wins_over_a_file_of_the_same_name(folder: Path) -> None:
    (folder / "sentinel_replay.toml").write_text(
        (folder / "harrowdale.toml").read_text(encoding="utf-8")
    )
    assert Scenario.load("sentinel_replay").name == "sentinel_replay"
    assert [n for n, _ in list_scenarios()].count("sentinel_replay") == 1


def test_every_command_takes_the_name(folder: Path, tmp_path: Path) -> None:
    code, out, err = sharesim(["validate", "harrowdale"])
    assert code == 0 and "valid scenario 'harrowdale'" in out, err
    out_folder = str(tmp_path / "run")
    code, _, err = sharesim(["run", "harrowdale", "--replicates", "2", "--out", out_folder])
    assert code == 0 and (tmp_path / "run" / "report.md").is_file(), err
    code, out, err = sharesim(
        ["compare", "harrowdale", "harrowdale_interfaces_first", "--replicates", "3"]
    )
    assert code == 0 and "harrowdale_interfaces_first vs harrowdale" in out, err


def test_the_dashboard_offers_the_folders_scenarios(folder: Path) -> None:
    catalog = Catalog.from_environment()
    assert "harrowdale" in catalog.names and "sentinel_replay" in catalog.names
    assert catalog.load("harrowdale").partner_names[0] == "Harrowdale Constabulary"


def test_an_unknown_name_says_where_it_looked(folder: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        Scenario.load("harrowdal")
    message = str(caught.value)
    assert "did you mean 'harrowdale'?" in message and SCENARIOS_ENV in message


def test_a_listed_folder_that_is_not_there_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SCENARIOS_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(ScenarioError, match=rf"^{SCENARIOS_ENV}: .*nowhere' is not a folder"):
        search_folders()
    code, _, err = sharesim(["validate", "not_shipped"])
    assert code == 2 and err.count("\n") == 1 and "is not a folder" in err


def test_what_a_found_scenario_names_stays_in_its_folder(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.toml").write_text((folder / "harrowdale.toml").read_text(encoding="utf-8"))
    (folder / "climbs.toml").write_text(
        'name = "climbs"\ndescription = "d"\nextends = "../outside.toml"\n', encoding="utf-8"
    )
    with pytest.raises(ScenarioError, match=r"'\.\./outside\.toml' leads outside the scenario's"):
        Scenario.load("climbs")
    # A name is not a path: it may name any scenario a bare name loads.
    (folder / "named.toml").write_text(
        'name = "named"\ndescription = "d"\nextends = "harrowdale"\n', encoding="utf-8"
    )
    assert Scenario.load("named").partner_names == Scenario.load("harrowdale").partner_names


def test_the_package_gives_every_public_name_from_its_module():
    import importlib

    import sim.scenarios as package

    homes = package._HOMES
    assert set(package.__all__) == {*homes, "slug"}
    for name, home in homes.items():
        module = importlib.import_module(f"sim.scenarios.{home}")
        assert getattr(package, name) is getattr(module, name), name
    assert package.ScenarioError is importlib.import_module("sim.scenarios.problems").ScenarioError
    with pytest.raises(AttributeError, match="no attribute 'Scenaro'"):
        package.Scenaro  # noqa: B018
