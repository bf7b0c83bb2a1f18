"""sharesim validate: any input file is told apart by its tables and checked by its own loader."""

from __future__ import annotations

from pathlib import Path

import pytest
import support

from sim.calibration.settings import load_settings
from sim.calibration.targets import load_targets
from sim.errors import InputError
from sim.sensitivity.experiment_file import load_sensitivity_experiment
from sim.sweep.experiment import load_experiment
from sim.validate import check, kind_of

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ROOT / "sim" / "calibration" / "sentinel_targets.toml"


@pytest.mark.parametrize(
    ("document", "kind"),
    [
        ({"name": "x", "partners": []}, "scenario"),
        ({"extends": "sentinel_replay", "name": "x", "description": "y"}, "scenario"),
        ({"scenarios": ["a"], "seed": 1}, "sweep"),
        ({"scenarios": ["a"], "seed": 1, "design": {"kind": "grid"}}, "sweep"),
        ({"scenarios": ["a"], "seed": 1, "sensitivity": {"method": "morris"}}, "sensitivity"),
        ({"scenario": "a", "targets": [{}]}, "targets"),
        ({"screening": 8, "seed": 5}, "calibration"),
        ({}, "scenario"),
    ],
)
def test_a_file_is_told_apart_by_its_tables(document, kind) -> None:
    assert kind_of(document) == kind


def test_every_kind_of_shipped_file_is_described_by_what_its_loader_reads() -> None:
    sweep = load_experiment("interface_sweep", force=True).plan()
    assert check("interface_sweep") == (
        f"interface_sweep: valid sweep experiment 'interface_sweep': {len(sweep.scenarios)} "
        f"scenarios x {len(sweep.design)} design rows x {sweep.replicates} replicates = "
        f"{sweep.total:,} runs"
    )
    morris = load_sensitivity_experiment("sensitivity_morris", force=True)
    assert check("sensitivity_morris").endswith(
        f"Morris of 'sentinel_replay' over {len(morris.factors)} inputs, "
        f"{morris.design_rows:,} design rows x {morris.settings.replicates} replicates = "
        f"{morris.runs:,} runs"
    )
    settings = load_settings("calibration_sentinel")
    assert check("calibration_sentinel") == (
        f"calibration_sentinel: valid calibration experiment: {len(settings.inputs)} inputs "
        f"calibrated, at most {settings.planned_runs:,} runs ({settings.runs_counted()})"
    )
    targets = load_targets(TARGETS)
    assert check(str(TARGETS)) == (
        f"{TARGETS}: valid targets file 'sentinel_targets': {len(targets.targets)} targets, "
        f"{len(targets.constraints)} constraint{'s' if len(targets.constraints) != 1 else ''}, "
        "for scenario 'sentinel_replay'"
    )
    assert check("no_interfaces").startswith(
        "no_interfaces: valid scenario 'no_interfaces': 11 partners, 156 weeks"
    )
    table = ROOT / "sim" / "scenarios" / "examples" / "harrowdale.partners.csv"
    assert check(str(table)) == (
        f"{table}: valid partner table: 7 partners (1 police, 1 county, 1 unitary, 4 districts)"
    )


def test_a_file_given_by_its_path_is_checked_as_its_kind(tmp_path: Path) -> None:
    copy = tmp_path / "mine.toml"
    copy.write_text((ROOT / "experiments" / "sensitivity_morris.toml").read_text())
    assert check(str(copy)).startswith(
        f"{copy}: valid sensitivity experiment 'sensitivity_morris': Morris"
    )


def test_a_partner_table_is_checked_as_sharesim_new_reads_it(tmp_path: Path) -> None:
    table = tmp_path / "partners.csv"
    table.write_text("name,kind,staff,caseload\nPolice,police,ninety,200\nBlaby,countie,5,10\n")
    code, out, err = support.sharesim(["validate", str(table), str(tmp_path / "absent.csv")])
    assert code == 2 and not out
    assert err.splitlines() == [
        f"sharesim: error: {table}: row 2 (Police), column staff: 'ninety' is not a number",
        f"sharesim: error: {table}: row 3 (Blaby), column kind: 'countie' is not a kind: one of "
        "police, district, county, unitary (did you mean 'county'?)",
        f"sharesim: error: {tmp_path / 'absent.csv'}: no such partner table",
    ]


def test_a_name_that_is_neither_suggests_from_both(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"did you mean 'interface_sweep'\?"):
        check("interface_swep")
    with pytest.raises(InputError, match=r"did you mean 'sentinel_replay'\?"):
        check("sentinel_replai")


def test_a_calibration_experiment_naming_its_scenario_is_checked_against_it(
    tmp_path: Path,
) -> None:
    """Its inputs must be uncertain there, as calibrate finds once it pairs it with targets."""
    path = tmp_path / "mine.toml"
    path.write_text('scenario = "sentinel_replay"\ninputs = ["legal_risk"]\n')
    assert f"{path}: valid calibration experiment: 1 input of scenario 'sentinel_replay'" in (
        check(str(path))
    )
    path.write_text('scenario = "sentinel_replay"\ninputs = ["legal_risk", "pressure_weight"]\n')
    with pytest.raises(InputError) as pinned:
        check(str(path))
    assert str(pinned.value).startswith(
        f"{path}: inputs[1]: 'pressure_weight' is not uncertain in scenario 'sentinel_replay'"
    )
    path.write_text('scenario = "sentinel_replai"\ninputs = ["legal_risk"]\n')
    with pytest.raises(InputError, match=r"mine.toml: scenario: .*did you mean 'sentinel_replay'"):
        check(str(path))


def test_validate_lists_every_problem_of_an_experiment(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'scenarios = ["sentinel_replay"]\nseed = 1\nreplicates = 0\n'
        '[design]\nkind = "grid"\nreplicates = 2\nlevels = { legal_risk = [1.0] }\n'
    )
    code, out, err = support.sharesim(["validate", str(path)])
    assert code == 2 and not out
    lines = err.splitlines()
    assert len(lines) == 2 and all(line.startswith(f"sharesim: error: {path}: ") for line in lines)
    assert "design.replicates: unknown field (a top-level field: move it above [design])" in err
    assert "replicates: must be at least 1, got 0" in err


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            'scenarios = ["sentinel_replay"]\nseed = 1\n'
            '[sensitivity]\nmethod = "morris"\ntrajectories = 10\n'
            'inputs = ["pressure_weight", "legal_risk", "legal_risc", "Individual", '
            '"training_relief"]\noutputs = ["buy_in_final", "share_finl_year", "x*"]\n',
            [
                "sensitivity.inputs[0]: 'pressure_weight' is not uncertain in scenario "
                "'sentinel_replay' (it sets one value), so there is nothing to vary",
                "sensitivity.inputs[2]: 'legal_risc' is not an uncertain input of scenario "
                "'sentinel_replay' (did you mean 'legal_risk'?)",
                "sensitivity.inputs[4]: input 'training_relief' is named more than once",
                "sensitivity.outputs[1]: unknown output 'share_finl_year' (did you mean "
                "'share_final_year'?)",
                "sensitivity.outputs[2]: unknown output 'x*'",
            ],
        ),
        (
            'scenarios = ["sentinel_replay"]\nseed = 1\n'
            '[sensitivity]\nmethod = "morris"\ntrajectories = 10\n'
            'inputs = ["legal_risk", "training_relief"]\n'
            "bounds = { legal_risk = [0.9, 0.8], legal_risc = [0.5, 1.0], "
            "training_relief = [0.1, 0.2] }\n",
            [
                "sensitivity.bounds.legal_risk: [0.9, 0.8] must be ordered and inside its "
                "range [0, 2]",
                "sensitivity.bounds.legal_risc: 'legal_risc' is not one of the inputs varied "
                "(did you mean 'legal_risk'?)",
            ],
        ),
        (
            'scenario = "sentinel_replay"\n'
            'inputs = ["pressure_weight", "legal_risk", "prior_use_habit"]\n',
            [
                "inputs[0]: 'pressure_weight' is not uncertain in scenario 'sentinel_replay' "
                "(it sets one value), so there is nothing to calibrate",
                "inputs[2]: 'prior_use_habit' is not uncertain in scenario 'sentinel_replay' "
                "(it sets one value), so there is nothing to calibrate",
            ],
        ),
        (
            'scenarios = ["sentinel_replay"]\nseed = 1\nreplicates = 2\n[design]\nkind = "grid"\n'
            "levels = { legal_rsk = [0.5], legal_risk = [0.5, 9.0], training_relief = [1.0] }\n"
            "points = { training_relief = 3, double_keying_cots = 2 }\n",
            [
                "design.levels: unknown input 'legal_rsk' (did you mean 'legal_risk'?)",
                "design.levels.legal_risk[1]: 9 is outside the input's range [0, 2]",
                "design.points.training_relief: the input already has levels; give one or the "
                "other",
                "design.points: unknown input 'double_keying_cots' (did you mean "
                "'double_keying_cost'?)",
            ],
        ),
        (
            'scenarios = ["sentinel_replai", "no_interfaces", "no_interfaces"]\nseed = 1\n',
            [
                "scenarios[0]: sentinel_replai: no shipped scenario named 'sentinel_replai' (did "
                "you mean 'sentinel_replay'?) ...",
                "scenarios[2]: scenario 'no_interfaces' is already scenarios[1]",
            ],
        ),
        (
            'scenarios = ["sentinel_replay"]\nseed = 1\nreplicates = 2\n[design]\n'
            'kind = "latin_hypercube"\nsamples = 8\nseed = 2\n'
            'inputs = ["legal_risk", "legal_rsk", "legal_risk"]\n'
            "bounds = { training_relief = [0.1, 0.2] }\n",
            [
                "design.inputs[1]: unknown input 'legal_rsk' (did you mean 'legal_risk'?)",
                "design.inputs[2]: 'legal_risk' is listed twice",
                "design.bounds.training_relief: not one of the design's inputs",
            ],
        ),
        (
            'name = "t"\ndescription = "d"\nscenario = "sentinel_replay"\n'
            '[[targets]]\nid = "integrated"\ndescription = "d"\n'
            'statistic = "share_after_interface_live"\npartners = ["Meltonn", "Charnwod"]\n'
            'low = 0.95\nhigh = 1.0\ntolerance = 0.03\nsource = "s"\nstrength = "stated"\n'
            '[[targets]]\nid = "considering"\ndescription = "d"\n'
            'statistic = "interfaces_considering_or_beyond"\nat = 2019-07-02\nvalue = 4\n'
            'tolerance = 0.5\nsource = "s"\nstrength = "stated"\n',
            [
                "targets[0] (integrated).partners: no partner named 'Meltonn' in the scenario "
                "(did you mean 'Melton'?)",
                "targets[0] (integrated).partners: no partner named 'Charnwod' in the scenario "
                "(did you mean 'Charnwood'?)",
                "targets[1] (considering).at: 2019-07-02 is outside the run (2011-04-04 plus "
                "156 weeks)",
            ],
        ),
        (
            'scenarios = ["sentinel_calibrated"]\nseed = 1\n[sensitivity]\nmethod = "shapley"\n'
            'assignments = ["registri", "interfaces_as_technology", "x"]\n',
            [
                "sensitivity.assignments[0]: unknown assignment 'registri' (did you mean "
                "'registry'?)",
                "sensitivity.assignments[2]: unknown assignment 'x'",
            ],
        ),
    ],
    ids=[
        "sensitivity",
        "sensitivity-bounds",
        "calibration",
        "sweep-grid",
        "sweep-scenarios",
        "sweep-hypercube",
        "targets",
        "shapley-assignments",
    ],
)
def test_validate_lists_every_problem_found_beyond_the_schema(
    tmp_path: Path, document: str, expected: list[str]
) -> None:
    """Names and values are checked against the scenarios and the registry, every problem told."""
    path = tmp_path / "inputs.toml"
    path.write_text(document)
    code, out, err = support.sharesim(["validate", str(path)])
    assert code == 2 and not out
    lines = err.splitlines()
    assert len(lines) == len(expected), lines
    for line, wanted in zip(lines, expected, strict=True):  # "..." ends a line's beginning
        head = f"sharesim: error: {path}: {wanted.removesuffix('...')}"
        assert line == head or (wanted.endswith("...") and line.startswith(head)), line


def test_validate_checks_every_file_it_is_given(tmp_path: Path) -> None:
    """Each file is checked whatever the others hold; any bad one makes the exit status 2."""
    bad = tmp_path / "bad.toml"
    bad.write_text('scenarios = ["sentinel_replay"]\nseed = 1\nreplicates = 0\n')
    code, out, err = support.sharesim(
        ["validate", "sentinel_replay", str(bad), "no_such_thing", "interface_sweep"]
    )
    assert code == 2
    assert [line.split(": valid ")[0] for line in out.splitlines()] == [
        "sentinel_replay",
        "interface_sweep",
    ]
    assert err.splitlines() == [
        f"sharesim: error: {bad}: replicates: must be at least 1, got 0",
        "sharesim: error: no_such_thing: no shipped scenario or experiment named "
        "'no_such_thing'; a file is named by its path",
    ]
    code, out, err = support.sharesim(["validate", "sentinel_replay", "interface_sweep"])
    assert (code, len(out.splitlines()), err) == (0, 2, "")


TESTS = Path(__file__).parent
CORPUS = sorted(
    [
        *(TESTS / "bad_scenarios").glob("*.toml"),
        *(TESTS / "bad_experiments").glob("*.toml"),
        *(TESTS / "bad_targets").glob("*.toml"),
        *(TESTS / "bad_targets" / "experiments").glob("*.toml"),
    ]
)
ASKS_FOR_YES = {"runs_need_confirming.toml"}
"""Files that are valid, but ask for more runs than a command starts unasked."""


@pytest.mark.parametrize("path", CORPUS, ids=[f"{p.parent.name}/{p.stem}" for p in CORPUS])
def test_validate_refuses_every_malformed_file_as_its_command_does(path: Path) -> None:
    """The corpora of the scenario, sweep, targets and calibration experiment commands."""
    code, out, err = support.sharesim(["validate", str(path)])
    if path.name in ASKS_FOR_YES:
        assert code == 0 and out.rstrip().endswith("the command needs --yes)"), out
        return
    assert code == 2 and not out, (code, out, err)
    assert err.startswith("sharesim: error: ") and "Traceback" not in err
    first = err.splitlines()[0]
    for fragment in support.expected_fragments(path):
        assert fragment in first or fragment in err, (fragment, err)
