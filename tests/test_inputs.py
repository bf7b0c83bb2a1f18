"""Reading input files: every kind of file reports the same problem the same way, as one line
naming the file, the field and the problem."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.calibration import SHIPPED, SettingsError, TargetsError, load_settings, load_targets
from sim.inputs import (
    FileError,
    FileFormat,
    Problem,
    describe_value,
    did_you_mean,
    field_path,
    model_tables,
    parse_toml,
    read_toml,
    validation_problems,
)
from sim.scenarios import Scenario, ScenarioError
from sim.sensitivity.experiment_file import SensitivityExperimentError, load_sensitivity_experiment
from sim.sweep.experiment import ExperimentError, load_experiment

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "experiments"

# kind of file: (loader, its error, a good file of that kind)
KINDS: dict[str, tuple[Callable[[Path], Any], type[FileError], Path]] = {
    "scenario": (Scenario.load, ScenarioError, ROOT / "sim" / "scenarios" / "no_interfaces.toml"),
    "experiment": (load_experiment, ExperimentError, EXPERIMENTS / "interface_sweep.toml"),
    "sensitivity": (
        load_sensitivity_experiment,
        SensitivityExperimentError,
        EXPERIMENTS / "sensitivity_morris.toml",
    ),
    "targets": (load_targets, TargetsError, SHIPPED),
    "settings": (load_settings, SettingsError, EXPERIMENTS / "calibration_sentinel.toml"),
}


def _content(loaded: Any) -> Any:
    """What a loaded file says, leaving out where it was read from."""
    if isinstance(loaded, Scenario):
        return loaded.content_hash()
    return getattr(loaded, "spec", getattr(loaded, "settings", loaded))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_byte_order_mark_is_read_like_any_utf8_file(kind: str, tmp_path: Path) -> None:
    load, _, good = KINDS[kind]
    plain = tmp_path / good.name
    plain.write_bytes(good.read_bytes())
    marked = tmp_path / "marked" / good.name
    marked.parent.mkdir()
    marked.write_bytes(b"\xef\xbb\xbf" + good.read_bytes())
    assert _content(load(marked)) == _content(load(plain))


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'name = "x"\n\xff\xfe\n', ": byte 11: not UTF-8 text"),
        (b'name = "x"\nseed = \n', ": line 2, column 8: not valid TOML: Invalid value"),
    ],
    ids=["not_utf8", "not_toml"],
)
def test_unreadable_content_is_one_line_whatever_the_file(
    kind: str, content: bytes, expected: str, tmp_path: Path
) -> None:
    load, error, _ = KINDS[kind]
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    with pytest.raises(error) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(f"{path}{expected}")
    assert "\n" not in message and "Traceback" not in message


@pytest.mark.parametrize("kind", sorted(set(KINDS) - {"scenario"}))
def test_a_missing_file_or_a_folder_is_named(kind: str, tmp_path: Path) -> None:
    load, error, _ = KINDS[kind]
    with pytest.raises(error, match=r"absent\.toml: no such .*file$"):
        load(tmp_path / "absent.toml")
    with pytest.raises(error, match=r": is a folder, not a file$"):
        load(tmp_path)


def test_an_error_keeps_its_parts() -> None:
    error = FileError.first("f.toml", [("a.b[2]", "must be at least 0, got -1"), ("c", "x")])
    assert (error.file, error.path, error.problem, error.more) == (
        "f.toml",
        "a.b[2]",
        "must be at least 0, got -1",
        1,
    )
    assert str(error) == "f.toml: a.b[2]: must be at least 0, got -1 (and 1 more problem)"
    assert str(FileError.at("f.toml", "", "two\nlines")) == "f.toml: two lines"
    assert str(FileError("a plain message")) == "a plain message"
    assert error.lines() == ["f.toml: a.b[2]: must be at least 0, got -1", "f.toml: c: x"]
    assert error.__notes__ == ["f.toml: c: x"]  # a traceback shows every problem
    assert not hasattr(FileError.at("f.toml", "c", "x"), "__notes__")
    assert FileError.at("f.toml", "c", "x").lines() == ["f.toml: c: x"]
    assert FileError("a plain message").lines() == ["a plain message"]


class _Elsewhere(FileError):
    """An error of another kind of file, to move problems into."""


def test_problems_found_without_their_file_are_moved_into_it() -> None:
    found = FileError.first("", [("inputs[0]", "x"), ("inputs[3]", "y"), ("", "z")])
    moved = _Elsewhere.moved(found, "exp.toml", "sensitivity")
    assert isinstance(moved, _Elsewhere)
    assert moved.lines() == [
        "exp.toml: sensitivity.inputs[0]: x",
        "exp.toml: sensitivity.inputs[3]: y",
        "exp.toml: sensitivity: z",
    ]
    assert str(moved) == "exp.toml: sensitivity.inputs[0]: x (and 2 more problems)"
    assert _Elsewhere.moved(FileError.at("settings", "[2]", "x"), "e.toml", "inputs").lines() == [
        "e.toml: inputs[2]: x"
    ]
    assert _Elsewhere.moved(FileError.at("settings", "a", "x"), "e.toml").lines() == [
        "e.toml: a: x"
    ]
    plain = _Elsewhere.moved(FileError("a plain message"), "e.toml", "inputs")
    assert str(plain) == "e.toml: inputs: a plain message"


def test_a_check_that_found_nothing_raises_nothing() -> None:
    assert _Elsewhere.raise_any("f.toml", []) is None
    with pytest.raises(_Elsewhere) as found:
        _Elsewhere.raise_any("f.toml", [Problem("a", "x"), Problem("b", "y")])
    assert found.value.lines() == ["f.toml: a: x", "f.toml: b: y"]


def test_reading_returns_the_bytes_it_read(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_bytes(b"\xef\xbb\xbfa = 1\n")
    assert read_toml(path) == ({"a": 1}, b"\xef\xbb\xbfa = 1\n")
    assert parse_toml("\ufeffa = 1", "text") == {"a": 1}


def test_did_you_mean_names_the_closest_or_nothing() -> None:
    assert did_you_mean("replicate", ["replicates", "seed"]) == " (did you mean 'replicates'?)"
    assert did_you_mean("colour", ["replicates", "seed"]) == ""
    # A name known somewhere but not where it was written is no suggestion for itself.
    assert did_you_mean("seeds", ["seeds", "seed"]) == " (did you mean 'seed'?)"
    assert did_you_mean("seed", ["seed"]) == ""


class _Grid(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    kind: str = "grid"
    levels: dict[str, list[float]] = Field(default_factory=dict)


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: str
    tolerance: float = Field(gt=0)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    seed: int = Field(ge=0)
    design: _Grid | None = None
    items: list[_Item] = Field(default_factory=list)


FORMAT = FileFormat(
    fields={"": tuple(_File.model_fields), "design": tuple(_Grid.model_fields)},
    item_key="id",
)


def test_model_tables_name_each_tables_fields_from_its_model() -> None:
    assert model_tables({"": _File, "design": _Grid}) == dict(FORMAT.fields)
    assert model_tables({"": _File})[""] == ("seed", "design", "items")


def _problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        _File.model_validate(data)
    return [tuple(p) for p in validation_problems(info.value, FORMAT, data=data)]


def test_problems_name_the_field_path_and_say_what_is_wrong() -> None:
    assert _problems({"seed": -3}) == [("seed", "must be at least 0, got -3")]
    assert _problems({"seed": "seven"}) == [
        ("seed", "must be a whole number, got the text 'seven'")
    ]
    assert _problems({}) == [("seed", "missing (required)")]
    levels = {"x": [0.5, 1.0, "two"]}
    assert _problems({"seed": 1, "design": {"levels": levels}}) == [
        ("design.levels.x[2]", "must be a number, got the text 'two'")
    ]


def test_an_unknown_field_comes_first_with_a_suggestion_from_its_own_table() -> None:
    assert _problems({"sed": 1}) == [
        ("sed", "unknown field (did you mean 'seed'?)"),
        ("seed", "missing (required)"),
    ]
    assert _problems({"seed": 1, "design": {"level": {}}})[0] == (
        "design.level",
        "unknown field (did you mean 'levels'?)",
    )


def test_a_top_level_field_written_in_a_table_is_pointed_back() -> None:
    assert _problems({"seed": 1, "design": {"seed": 2}}) == [
        ("design.seed", "unknown field (a top-level field: move it above [design])")
    ]
    data = {"seed": 1, "items": [{"id": "a", "tolerance": 1.0, "seed": 2}]}
    assert _problems(data) == [
        ("items[0] (a).seed", "unknown field (a top-level field: move it above [[items]])")
    ]
    # A close name in the table itself is the likelier meaning; nothing is said at the top.
    assert _problems({"seed": 1, "design": {"levels": {}, "levelz": 1}})[0][1].endswith(
        "(did you mean 'levels'?)"
    )
    assert _problems({"seed": 1, "colour": 2}) == [("colour", "unknown field")]


def test_list_items_are_named_by_their_key() -> None:
    data = {"seed": 1, "items": [{"id": "share", "tolerance": -1.0}]}
    assert _problems(data) == [("items[0] (share).tolerance", "must be more than 0.0, got -1.0")]
    assert field_path("", ["items", 0, "id"]) == "items[0].id"


def test_values_are_described_as_a_file_shows_them() -> None:
    assert describe_value(True) == "true/false (true)"
    assert describe_value(3) == "the whole number 3"
    assert describe_value(2.5) == "the number 2.5"
    assert describe_value([1]) == "an array"
    assert describe_value({"a": 1}) == "a table"
    long = describe_value("x" * 200)
    assert long.startswith("the text 'xxx") and long.endswith("...'") and len(long) < 80
