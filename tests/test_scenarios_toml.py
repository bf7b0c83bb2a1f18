"""The scenario TOML writer: every string it writes reads back as it was; the calibrated
scenario it writes is the file the calibration shipped, byte for byte."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from sim.scenarios import Scenario
from sim.scenarios.toml import extension_toml, inline_table, toml_comment, toml_key, toml_string

ROOT = Path(__file__).resolve().parents[1]
CALIBRATED = ROOT / "sim" / "scenarios" / "sentinel_calibrated.toml"
AWKWARD = 'He said "no" \\ C:\\scenarios\\x.toml\nsecond line\ttab \x7f end'

TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)))


@given(TEXT)
@example("0\n")  # a bare-key pattern anchored with "$" let a trailing line break through
def test_any_text_reads_back_as_it_was(text: str) -> None:
    assert tomllib.loads(f"x = {toml_string(text)}")["x"] == text
    assert tomllib.loads(f"{toml_key(text or 'k')} = 1") == {text or "k": 1}


@given(TEXT)
def test_a_comment_stays_a_comment(text: str) -> None:
    assert tomllib.loads("\n".join([*toml_comment(text), "x = 1"])) == {"x": 1}


def test_an_extension_with_awkward_text_reads_back(tmp_path: Path) -> None:
    text = extension_toml(
        name=AWKWARD,
        description=AWKWARD,
        extends=AWKWARD,
        parameters={"legal_risk": {"low": 0.1, "high": 0.9, "source": AWKWARD}},
        posterior={"file": AWKWARD, "source": AWKWARD},
        comment=AWKWARD,
    )
    document = tomllib.loads(text)
    assert document["name"] == document["description"] == document["extends"] == AWKWARD
    assert document["parameters"]["legal_risk"] == {"low": 0.1, "high": 0.9, "source": AWKWARD}
    assert document["posterior"] == {"file": AWKWARD, "source": AWKWARD}
    assert inline_table([("a b", 1)]) == '{ "a b" = 1 }'


def test_the_shipped_calibrated_scenario_is_what_the_writer_writes(tmp_path: Path) -> None:
    text = CALIBRATED.read_text(encoding="utf-8")
    document = tomllib.loads(text)
    header = text.split("\n\n", 1)[0].splitlines()
    comment = "\n".join(line.removeprefix("#").removeprefix(" ") for line in header)
    written = extension_toml(
        name=document["name"],
        description=document["description"],
        extends=document["extends"],
        parameters=document["parameters"],
        posterior=document["posterior"],
        comment=comment,
    )
    assert written == text
    copy = tmp_path / CALIBRATED.name
    copy.write_text(written, encoding="utf-8")
    shutil.copy(CALIBRATED.with_name(document["posterior"]["file"]), tmp_path)
    assert Scenario.load(copy).content_hash() == Scenario.load(CALIBRATED).content_hash()
