"""``sharesim new``: a partner table becomes a scenario file that every command accepts; a bad
table is one line naming its row and column, exit 2, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import sharesim

from sim.scenarios import Scenario, examples_folder

EXAMPLE_CSV = Path(str(examples_folder())) / "harrowdale.partners.csv"
HEADER = "name,kind,staff,caseload,go_live,colocated,own_system,interface_planned,funder\n"
GOOD = "Northshire Police,police,40,90,2026-01-05,no,records system,unknown,yes\n"

BAD_TABLES = {
    "unknown column": (
        "name,kind,staff,caseload,colour\nA,police,3,4,red\n",
        "row 1, column colour: unknown column",
    ),
    "misspelt column": (
        "name,kind,staff,caseload,go_lve\nA,police,3,4,2026-01-05\n",
        "row 1, column go_lve: unknown column (did you mean 'go_live'?)",
    ),
    "missing required column": (
        "name,kind,staff\nA,police,3\n",
        "row 1: missing required column 'caseload'",
    ),
    "column twice": (
        "name,kind,staff,caseload,staff\nA,police,3,4,5\n",
        "row 1, column staff: the column is there twice",
    ),
    "duplicate names": (
        HEADER + GOOD + GOOD,
        "row 3 (Northshire Police), column name: duplicate partner name 'Northshire Police' "
        "(also row 2)",
    ),
    "names with one slug": (
        HEADER + GOOD + GOOD.replace("Northshire Police", "northshire-police"),
        "row 3 (northshire-police), column name: 'northshire-police' and 'Northshire Police'",
    ),
    "impossible date": (
        HEADER + GOOD.replace("2026-01-05", "2026-02-30"),
        "row 2 (Northshire Police), column go_live: '2026-02-30' is not a date",
    ),
    "date written the local way": (
        HEADER + GOOD.replace("2026-01-05", "05/01/2026"),
        "column go_live: '05/01/2026' is not a date: write dates as YYYY-MM-DD",
    ),
    "window backwards": (
        HEADER + GOOD.replace("2026-01-05", "2026-06-01 to 2026-01-05"),
        "column go_live: the range '2026-06-01 to 2026-01-05' runs backwards",
    ),
    "go-live after the forecast": (
        HEADER + GOOD + GOOD.replace("Northshire Police", "B").replace("2026-01-05", "2031-01-06"),
        "row 3 (B), column go_live: go-live 2031-01-06 is after the end of the run",
    ),
    "staff not whole": (
        HEADER + GOOD.replace(",40,", ",40.5,"),
        "column staff: must be a whole number, got the number 40.5",
    ),
    "staff zero": (
        HEADER + GOOD.replace(",40,", ",0,"),
        "column staff: must be at least 1, got 0",
    ),
    "staff range with a dash": (
        HEADER + GOOD.replace(",40,", ",30-50,"),
        "column staff: '30-50' is not a number (write a range as '3 to 10')",
    ),
    "caseload too big": (
        HEADER + GOOD.replace(",90,", ",1e9,"),
        "column caseload: must be at most 100000",
    ),
    "share above one": (
        "name,kind,staff,caseload,go_live,bureaucracy\nA,police,3,4,2026-01-05,1.5\n",
        "row 2 (A), column bureaucracy: must be at most 1",
    ),
    "bad yes/no/unknown": (
        HEADER + GOOD.replace(",no,", ",maybe,"),
        "column colocated: 'maybe' is not yes, no, unknown, a date",
    ),
    "bad yes/no": (
        HEADER + GOOD.replace(",yes\n", ",perhaps\n"),
        "column funder: 'perhaps' is not yes or no",
    ),
    "bad kind": (
        HEADER + GOOD.replace(",police,", ",constabulary,"),
        "column kind: 'constabulary' is not a kind",
    ),
    "blank name": (HEADER + "," + GOOD.split(",", 1)[1], "row 2, column name: blank (required)"),
    "interface with no system": (
        HEADER + GOOD.replace("records system,unknown", "none,yes"),
        "column interface_planned: own_system is 'none'",
    ),
    "too many cells": (
        HEADER + GOOD.replace("\n", ",extra\n"),
        "row 2: 10 cells for 9 columns",
    ),
    "semicolons": ("name;kind;staff;caseload\nA;police;3;4\n", "columns are separated by ';'"),
    "header only": (HEADER, "row 2: no partners"),
    "empty": ("", "the file is empty"),
    "open quote": (HEADER + '"' + GOOD, "row 2: not a CSV row"),
}


@pytest.mark.parametrize("case", BAD_TABLES, ids=list(BAD_TABLES))
def test_a_bad_table_is_one_line_with_row_and_column_exit_2_nothing_written(
    case: str, tmp_path: Path
) -> None:
    text, fragment = BAD_TABLES[case]
    table = tmp_path / "partners.csv"
    table.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    code, _, err = sharesim(["new", "county", "--partners", str(table), "--out", str(out)])
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith(f"sharesim: error: {table}: ")
    assert fragment in err, err
    assert "Traceback" not in err
    assert not out.exists()


def test_new_writes_a_scenario_every_command_accepts(tmp_path: Path) -> None:
    code, out, err = sharesim(
        ["new", "harrowdale", "--partners", str(EXAMPLE_CSV), "--out", str(tmp_path)]
    )
    assert code == 0, err
    path = tmp_path / "harrowdale.toml"
    assert f"wrote {path}: 7 partners" in out and "behaviour from sentinel_calibrated" in out
    assert Scenario.load(path).name == "harrowdale"
    code, out, err = sharesim(["validate", str(path)])
    sets = len(Scenario.load("sentinel_calibrated").posterior)
    assert code == 0 and f"a posterior of {sets} sets" in out, err
    code, _, err = sharesim(
        ["run", str(path), "--replicates", "2", "--out", str(tmp_path / "run"), "--seed", "3"]
    )
    assert code == 0, err
    assert (tmp_path / "run" / "report.md").is_file()
    assert (tmp_path / "run" / "draws.parquet").is_file()


def test_new_refuses_to_replace_a_file_unless_forced(tmp_path: Path) -> None:
    args = ["new", "county", "--partners", str(EXAMPLE_CSV), "--out", str(tmp_path)]
    assert sharesim(args)[0] == 0
    before = (tmp_path / "county.toml").read_bytes()
    code, _, err = sharesim(args)
    assert code == 2 and "the file exists; give --force" in err
    assert sharesim([*args, "--force", "--weeks", "60"])[0] == 0
    assert (tmp_path / "county.toml").read_bytes() != before


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--start", "2026-13-01"], "--start: '2026-13-01' is not a date"),
        (["--behaviour-from", "sentinel_replay"], "has no posterior to take behaviour from"),
        (["--weeks", "2000"], "the forecast must be 1 to 1040 weeks"),
        (["--start", "2026-06-01"], "is before the start date 2026-06-01"),
        (["--description", " two\nlines"], "description: must be one line"),
    ],
)
def test_bad_options_are_one_line_and_write_nothing(
    extra: list[str], fragment: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, _, err = sharesim(
        ["new", "county", "--partners", str(EXAMPLE_CSV), "--out", str(out), *extra]
    )
    assert code == 2 and fragment in err and err.count("\n") == 1, err
    assert not out.exists()


def test_registry_behaviour_writes_no_behaviour_from(tmp_path: Path) -> None:
    args = ["new", "plain", "--partners", str(EXAMPLE_CSV), "--out", str(tmp_path)]
    code, out, _ = sharesim([*args, "--registry-behaviour"])
    assert code == 0 and "the registry's defaults and ranges" in out
    assert "behaviour_from" not in (tmp_path / "plain.toml").read_text(encoding="utf-8")
