"""Fuzzing the input files: whatever is wrong with a file, the command says so in one line.

Thousands of malformed scenario, experiment, sensitivity and targets files (``malformed.py``:
wrong types, out-of-range and non-finite values, unknown and repeated keys, deep nesting,
sizes past the limits, bad encodings, paths leading out) go through the command line's own
entry point in this process, as ``sharesim`` would run them; each must give exit status 2,
one line on stderr naming the file, no other exception, and nothing written. A sample goes
through the real ``sharesim`` command. Hypothesis is derandomized and keeps no database, so
every run tries the same files.
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import replace
from pathlib import Path

import malformed
import malformed_tables
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.calibration import load_settings, prepare
from sim.cli import main
from sim.scenarios import Scenario
from sim.sensitivity.experiment_file import load_sensitivity_experiment
from sim.sweep.experiment import load_experiment

EXAMPLES = {"scenario": 650, "experiment": 500, "sensitivity": 350, "targets": 500}
"""Generated files per kind: 2,000 in all."""

TABLES = 300
"""Generated partner tables (the CSV ``sharesim new`` reads)."""

SAMPLE = 10
"""Generated files run through the real ``sharesim`` command."""

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

FILE_NAME = "case.toml"


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> malformed.Place:
    return malformed.lay_out(tmp_path_factory.mktemp("fuzz"))


def argv(kind: str, path: Path, out: Path) -> list[str]:
    """The command that reads a ``kind`` file (with the smallest settings, should one pass)."""
    if kind == "scenario":
        return ["run", str(path), "--replicates", "1", "--out", str(out)]
    if kind == "partners":
        return ["new", "case", "--partners", str(path), "--out", str(out)]
    if kind == "experiment":
        return ["sweep", str(path), "--out", str(out), "--executor", "serial"]
    if kind == "sensitivity":
        return ["sensitivity", str(path), "--out", str(out), "--executor", "serial"]
    settings_file = path.parent / "settings.toml"
    return ["calibrate", str(path), "--out", str(out), "--experiment", str(settings_file)]


def in_process(args: list[str]) -> tuple[int, str]:
    """Run the command line in this process; return its exit status and its stderr."""
    errors = io.StringIO()
    with redirect_stderr(errors), redirect_stdout(io.StringIO()):
        try:
            main(args)
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
    return code, errors.getvalue()


def check_refused(
    case: malformed.Case | malformed_tables.Case, place: malformed.Place, run: Callable
) -> str:
    """Write ``case``, run the command on it, check the one-line refusal, and return it."""
    path = place.inside / FILE_NAME
    out = place.outside / "out"
    path.write_bytes(case.data)
    before = sorted(p.name for p in place.inside.iterdir())
    code, err = run(argv(case.kind, path, out))
    assert code == 2, f"{case!r}: exit {code}, stderr {err!r}"
    assert err.endswith("\n") and err.count("\n") == 1, f"{case!r}: {err!r}"
    line = err.rstrip("\n")
    assert len(line.splitlines()) == 1, f"{case!r}: {err!r}"
    assert line.startswith("sharesim: error: ") and str(path) in line, f"{case!r}: {line}"
    assert "Traceback" not in err
    assert not out.exists(), f"{case!r}: wrote {out}"
    assert sorted(p.name for p in place.inside.iterdir()) == before, f"{case!r}: wrote a file"
    return line


@pytest.mark.parametrize("kind", malformed.KINDS)
def test_every_malformed_file_is_one_line_exit_2_and_nothing_written(
    kind: str, place: malformed.Place
) -> None:
    tried: list[str] = []

    @settings(FUZZ, max_examples=EXAMPLES[kind])
    @given(case=malformed.malformed(kind, place))
    def refused(case: malformed.Case) -> None:
        tried.append(case.mutation)
        check_refused(case, place, in_process)

    refused()
    assert len(tried) >= EXAMPLES[kind]
    families = {mutation.split(" ", 1)[0].rstrip(":") for mutation in tried}
    assert len(families) >= 8, f"too few kinds of mistake tried: {families}"


def test_every_malformed_partner_table_is_one_line_naming_its_row_and_column(
    place: malformed.Place,
) -> None:
    tried: list[str] = []

    @settings(FUZZ, max_examples=TABLES)
    @given(case=malformed_tables.malformed_table())
    def refused(case: malformed_tables.Case) -> None:
        tried.append(case.mutation)
        line = check_refused(case, place, in_process)
        for part in case.where:
            assert part in line, f"{case!r}: {line} does not name {part!r}"

    refused()
    assert len(tried) >= TABLES
    assert len({mutation.split(" ", 1)[0] for mutation in tried}) >= 8


def test_the_partner_table_base_is_valid(tmp_path: Path) -> None:
    """The base table generates a scenario, so each mutation's one mistake is what fails."""
    from sim.scenarios import from_partner_table

    path = tmp_path / "partners.csv"
    path.write_text(malformed_tables.csv_text(malformed_tables.base_table()), encoding="utf-8")
    assert len(from_partner_table(path, "base", folder=tmp_path).scenario.partner_names) == 3


def test_a_sample_through_the_real_command(tmp_path: Path) -> None:
    """A dozen generated files through ``sharesim`` itself, three at a time, each in a work
    folder of its own (the files' paths moved there)."""
    command = Path(sys.executable).with_name("sharesim")
    places = [malformed.lay_out(tmp_path / str(i)) for i in range(SAMPLE)]
    template = str(tmp_path / "0").encode()
    cases: list[malformed.Case] = []

    @settings(FUZZ, max_examples=SAMPLE)
    @given(data=st.data())
    def draw(data: st.DataObject) -> None:
        kind = data.draw(st.sampled_from(malformed.KINDS))
        cases.append(data.draw(malformed.malformed(kind, places[0])))

    def real(args: list[str]) -> tuple[int, str]:
        result = subprocess.run(
            [str(command), *args], capture_output=True, text=True, check=False, timeout=300
        )
        return result.returncode, result.stderr

    def refused(i: int) -> None:
        case = cases[i]
        moved = replace(case, data=case.data.replace(template, str(tmp_path / str(i)).encode()))
        check_refused(moved, places[i], real)

    draw()
    assert len(cases) >= SAMPLE and len({case.kind for case in cases}) >= 3
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(refused, range(SAMPLE)))


# --- the generator's own checks ------------------------------------------------------------


def test_the_bases_are_valid(place: malformed.Place) -> None:
    """Every base loads, so what makes a generated file invalid is its one mistake."""
    for kind in malformed.KINDS:
        for index, base in enumerate(malformed.bases(kind, place)):
            path = place.inside / f"base_{kind}_{index}.toml"
            path.write_text(malformed.toml_text(base), encoding="utf-8")
            try:
                if kind == "scenario":
                    Scenario.load(path)
                elif kind == "experiment":
                    load_experiment(path)
                elif kind == "sensitivity":
                    load_sensitivity_experiment(path)
                else:
                    prepare(path, load_settings(place.inside / "settings.toml"))
            finally:
                path.unlink()


def test_every_field_of_the_bases_has_its_bad_values(place: malformed.Place) -> None:
    for kind in malformed.KINDS:
        for base in malformed.bases(kind, place):
            for at in malformed.leaves(base):
                assert malformed.field_of(kind, at) is not None


def test_the_traps_would_load_but_for_their_place(place: malformed.Place) -> None:
    """The files outside are valid: a path reaching them is refused for leaving, nothing else."""
    assert Scenario.load(place.outside / "valid.toml").name == "small"
    child = place.inside / "child_base.toml"
    child.write_text(malformed.toml_text(malformed.CHILD), encoding="utf-8")
    try:
        assert Scenario.load(child).posterior is not None
    finally:
        child.unlink()
