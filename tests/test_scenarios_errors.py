"""Malformed scenario files: each gives one ScenarioError line naming the file, field and problem.

Every file in ``tests/bad_scenarios/`` has one problem and starts with a comment
``# expect: <fragment> | <fragment>``: each fragment must appear in the message.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import support

from sim.errors import InputError
from sim.scenarios import Scenario, ScenarioError

CORPUS = Path(__file__).parent / "bad_scenarios"
CASES = sorted(CORPUS.glob("*.toml"))


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 25


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_bad_file_gives_one_clear_line(path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        Scenario.load(path)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    assert path.name in message
    for fragment in support.expected_fragments(path):
        assert fragment in message
    assert "Traceback" not in message and "pydantic" not in message.lower()
    assert isinstance(info.value, ValueError) and isinstance(info.value, InputError)


def test_error_keeps_its_parts() -> None:
    with pytest.raises(ScenarioError) as info:
        Scenario.load(CORPUS / "partner_negative_staff.toml")
    error = info.value
    assert error.file.endswith("partner_negative_staff.toml")
    assert error.path == "partners[0].staff"
    assert "at least 1" in error.problem
    assert str(error) == f"{error.file}: {error.path}: {error.problem}"


def test_several_problems_report_the_first_and_a_count(tmp_path: Path) -> None:
    path = tmp_path / "two.toml"
    path.write_text(
        'name = "two"\ndescription = "x"\nextends = "sentinel_replay"\ncolour = 1\nflavour = 2\n'
    )
    with pytest.raises(ScenarioError) as found:
        Scenario.load(path)
    assert str(found.value) == f"{path}: colour: unknown field (and 1 more problem)"
    assert found.value.__notes__ == [f"{path}: flavour: unknown field"]


def test_text_without_a_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"^<text>: weeks: must be a whole number"):
        Scenario.from_toml(
            'name = "x"\ndescription = "y"\nextends = "sentinel_replay"\n'
            'weeks = { value = 1.5, provenance = "assumed", source = "t" }\n'
        )
