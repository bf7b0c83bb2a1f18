"""Every command that computes leaves a report an analyst can read, and ``sharesim brief``
turns a result into one page: each report and brief opens in headless Chromium with its
headline, the brief prints on one A4 sheet, the sweep's report lives in the sweep's folder
(rewritten when the sweep resumes), and bad input to ``brief`` is one line, exit 2, nothing
written."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import support

import sim.outcomes as outcomes
from sim.brief import Evidence, brief_markdown, reconcile
from sim.brief.calibration import joint_answer, learnt_lines, share_interval
from sim.brief.readers import read_evidence, recorded_start
from sim.calibration import SHIPPED
from sim.cli import main
from sim.design import input_ranges, latin_hypercube
from sim.discovery import Box
from sim.names import header
from sim.outcomes import parse_outcome
from sim.scenarios import Scenario
from sim.sweep import run_design
from sim.sweep.report import (
    TIPPING_SAID,
    SweepFindings,
    report_markdown,
    sweep_findings,
    what_it_shows,
    write_report,
)

SWEEP = """\
name = "small_sweep"
description = "Double keying cost with and without interfaces."
scenarios = ["sentinel_replay", "no_interfaces"]
replicates = {replicates}
seed = 3

[design]
kind = "grid"
levels = {{ double_keying_cost = [0.3, 0.75, 1.0, 2.0] }}
"""

SCENARIO_SET = """\
name = "small_set"
description = "The replay against three counterfactuals, no input varied."
scenarios = ["sentinel_replay", "all_integrated", "no_interfaces", "colocation_everywhere"]
replicates = 5
seed = 3
"""

HYPERCUBE = """\
name = "small_hypercube"
description = "Every uncertain input of the replay at once, a small Latin hypercube."
scenarios = ["sentinel_replay"]
replicates = 1
seed = 3

[design]
kind = "latin_hypercube"
samples = 64
seed = 4
inputs = "all"
"""

SENSITIVITY = """\
name = "small_morris"
scenarios = ["sentinel_replay"]
replicates = 2
seed = 5

[sensitivity]
method = "morris"
level = "parameter"
trajectories = 4
levels = 4
inputs = ["double_keying_cost", "legal_risk", "buy_in_weight"]
outputs = ["share_final_year", "share_mean", "buy_in_final"]
"""

CALIBRATION = support.SMALL_CALIBRATION

A4_PRINTABLE_PX = ((210 - 2 * 12) / 25.4 * 96, (297 - 2 * 11) / 25.4 * 96)
"""Width and height one A4 sheet prints, in CSS pixels, within the brief's page margins."""


def call(argv: list[str], capfd: pytest.CaptureFixture[str] | None = None) -> tuple[int, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as stop:
        code = int(stop.code or 0)
    return code, capfd.readouterr().err if capfd is not None else ""


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small result folder of every command that computes."""
    root = tmp_path_factory.mktemp("results")
    inputs = root / "inputs"
    inputs.mkdir()
    (inputs / "sweep.toml").write_text(SWEEP.format(replicates=5))
    (inputs / "scenarios.toml").write_text(SCENARIO_SET)
    (inputs / "hypercube.toml").write_text(HYPERCUBE)
    (inputs / "morris.toml").write_text(SENSITIVITY)
    (inputs / "calibration.toml").write_text(CALIBRATION)
    folders = {
        name: root / name
        for name in (
            "run",
            "compare",
            "sweep",
            "scenarios",
            "hypercube",
            "sensitivity",
            "calibrate",
        )
    }
    serial = ["--executor", "serial"]
    commands = {
        "run": ["run", "sentinel_replay", "--replicates", "3", "--seed", "2"],
        "compare": ["compare", "sentinel_replay", "no_interfaces", "--replicates", "3"],
        "sweep": ["sweep", str(inputs / "sweep.toml"), *serial, "-q"],
        "scenarios": ["sweep", str(inputs / "scenarios.toml"), *serial, "-q"],
        "hypercube": ["sweep", str(inputs / "hypercube.toml"), *serial, "-q"],
        "sensitivity": ["sensitivity", str(inputs / "morris.toml"), *serial, "-q"],
        "calibrate": ["calibrate", str(SHIPPED), "--experiment", str(inputs / "calibration.toml"),
                      *serial],
    }  # fmt: skip
    for name, argv in commands.items():
        assert call([*argv, "--out", str(folders[name])])[0] == 0, name
    return {**folders, "inputs": inputs}


@pytest.fixture(scope="module")
def briefs(results: dict[str, Path]) -> dict[str, Path]:
    """The brief of each result, and of the screening beside the sweep."""
    made = {}
    for name in ("run", "compare", "sweep", "scenarios", "hypercube", "sensitivity", "calibrate"):
        assert call(["brief", str(results[name])])[0] == 0, name
        made[name] = results[name] / "brief" / "brief.html"
    both = results["sweep"].parent / "both"
    argv = ["brief", str(results["sensitivity"]), str(results["sweep"]), "--out", str(both)]
    assert call(argv)[0] == 0
    made["both"] = both / "brief.html"
    return made


# --- what each report holds -----------------------------------------------------------------


def test_the_sweep_report_is_written_beside_its_runs_and_is_the_sweeps(results):
    folder = results["sweep"]
    manifest = json.loads((folder / "manifest.json").read_text())
    for name in ("report.md", "report.html", "response.csv", "tipping_points.csv",
                 "conditions.csv", "figures/response_share_final_year.png"):  # fmt: skip
        assert (folder / name).is_file() and name in manifest["files"], name
    assert manifest["kind"] == "sweep" and manifest["experiment"]["replicates"] == 5
    report = (folder / "report.md").read_text()
    assert "## What the sweep shows" in report and "median [90% of runs]" in report
    curves = pd.read_csv(folder / "response.csv")
    assert set(curves["scenario"]) == {"sentinel_replay", "no_interfaces"}
    assert (curves["low"] <= curves["median"]).all() and (curves["median"] <= curves["high"]).all()
    jumps = pd.read_csv(folder / "tipping_points.csv")
    assert {"before_level", "after_level", "jump", "jump_low", "jump_high", "tipping"} <= set(jumps)


def test_an_extended_sweep_rewrites_its_report_and_leaves_the_users_files(results, tmp_path):
    folder = tmp_path / "sweep"
    experiment = tmp_path / "sweep.toml"
    experiment.write_text(SWEEP.format(replicates=2))
    argv = ["sweep", str(experiment), "--out", str(folder), "--executor", "serial", "-q"]
    assert call(argv)[0] == 0
    (folder / "figures" / "notes.md").write_text("mine")
    before = (folder / "report.md").read_text()
    experiment.write_text(SWEEP.format(replicates=3))
    assert call(argv)[0] == 0
    after = (folder / "report.md").read_text()
    assert "16 of 16 runs" in before and "24 of 24 runs" in after
    assert (folder / "figures" / "notes.md").read_text() == "mine"
    files = json.loads((folder / "manifest.json").read_text())["files"]
    assert "report.md" in files and "figures/notes.md" not in files
    assert len(json.loads((folder / "manifest.json").read_text())["sessions"]) == 2


def test_the_sweep_report_names_the_conditions_prim_finds(results, tmp_path, monkeypatch):
    """Scenario discovery through the interface of sim.discovery.discover (a stand-in here)."""

    def discover(frame, inputs, outcome, label, **_):  # type: ignore[no-untyped-def]
        return [Box({"double_keying_cost": (0.3, 0.75)}, 1.0, 0.97, 0.5, label)]

    monkeypatch.setattr(outcomes, "discover", discover)
    copy = tmp_path / "sweep"
    shutil.copytree(results["sweep"], copy)
    write_report(copy)
    report = (copy / "report.md").read_text()
    assert "double_keying_cost from 0.3 to 0.75: 100% of the runs with final-year share at " in (
        report
    )
    table = pd.read_csv(copy / "conditions.csv")
    assert set(table["input"]) == {"double_keying_cost"} and (table["density"] == 0.97).all()


def test_prim_finds_the_double_keying_cliff_in_the_sweep(results, tmp_path):
    """The real PRIM on the standard sweep: where recording stays high, double keying is cheap."""
    copy = tmp_path / "sweep"
    shutil.copytree(results["sweep"], copy)
    write_report(copy)
    table = pd.read_csv(copy / "conditions.csv")
    cliff = table[table["input"] == "double_keying_cost"]
    assert len(cliff), table
    # The box bounds double keying from above: sharing holds below a cost, not above one.
    assert (cliff["high"] < 1.5).all(), cliff
    # The report names the bound that is there and leaves the open side out.
    report = (copy / "report.md").read_text()
    assert "double_keying_cost at most " in report and not re.search(r"\binf\b", report)


def test_compare_out_writes_the_report_beside_the_table(results):
    folder = results["compare"]
    report = folder / "compare_sentinel_replay_no_interfaces"
    for name in ("report.md", "report.html", "partners.csv", "figures/differences.png"):
        assert (report / name).is_file(), name
    partners = pd.read_csv(report / "partners.csv")
    assert {"partner", "output", "difference", "low", "high"} <= set(partners.columns)
    assert "Hinckley & Bosworth" in set(partners["partner"])
    table = pd.read_csv(folder / "compare_sentinel_replay_no_interfaces.csv", index_col="metric")
    assert table.loc["share_final_year", "difference"] < 0


def test_the_run_report_speaks_in_headers_and_medians(results):
    report = (results["run"] / "report.md").read_text()
    assert "| Partner | Final-year share [90% of runs] |" in report
    assert "share_p05" not in report and "handled_per_week" not in report
    assert re.search(r"^> Partnership-wide, \d+% of ASB cases .* \(median of 3 runs; 90% of runs: ",
                     report, re.MULTILINE)  # fmt: skip
    assert "figures/partnership.png" in report


def test_the_morris_brief_explains_morris_and_keeps_full_tables_in_csv(results):
    brief = (results["sensitivity"] / "brief.md").read_text()
    assert "elementary effect" in brief and "mu*" in brief
    assert "S1 counts the factor alone" not in brief
    assert "`morris.csv`" in brief and "## The numbers" not in brief


def test_a_sweep_brief_answers_with_the_headline_outputs_tipping_point(results):
    """Tipping points of other outputs (hours a week) are not ranked against the headline's."""
    evidence = read_evidence(results["sweep"], parse_outcome("share_final_year>=0.8"))
    outputs = [
        line.split(": ", 1)[1].split(" rises")[0].split(" falls")[0] for line in evidence.tipping
    ]
    assert outputs[0] == "final-year share" and len(set(outputs)) > 1, evidence.tipping
    assert outputs == sorted(outputs, key=lambda o: o != "final-year share"), "headline first"
    assert evidence.answer == evidence.tipping[0]
    lever = evidence.levers[0]
    assert lever.startswith("double_keying_cost moves the final-year share by up to "), lever


def test_a_sweep_brief_says_when_no_input_moves_sharing_more_than_chance(results):
    """64 runs over 131 inputs: where no curve of the headline output surely differs between
    its levels, the brief says so rather than name the noisiest input as the lever; a sweep
    whose headline curves surely differ names its lever plainly."""
    seen = []
    for name, outcome in (
        ("hypercube", "share_final_year>=0.5"),
        ("sweep", "share_final_year>=0.8"),
    ):
        evidence = read_evidence(results[name], parse_outcome(outcome))
        jumps = evidence.tables["tipping_points.csv"]
        headline = jumps[jumps["output"] == "share_final_year"]
        by_chance = bool((headline["q_value"] > 0.1).all())
        said = evidence.answer.startswith("No tipping point, and no input moves the final-year")
        assert said == by_chance, (name, evidence.answer)
        seen.append(by_chance)
        if by_chance:
            assert evidence.answer.endswith(evidence.levers[0]), evidence.answer
            assert "chance" in evidence.levers[0], evidence.levers[0]
    assert seen == [True, False], "one sweep of each kind"


@pytest.mark.parametrize("name", ["sweep", "hypercube", "sensitivity", "run"])
def test_a_brief_says_whether_tipping_points_were_looked_for(name, results):
    """A sweep looks for tipping points (found or not); a screening or a run does not."""
    evidence = read_evidence(results[name], parse_outcome("share_final_year>=0.8"))
    section = brief_markdown([evidence], parse_outcome("share_final_year>=0.8"), [])
    said = section.split("## Tipping points\n\n")[1].split("\n\n")[0]
    if name in ("sweep", "hypercube"):
        flagged = bool(evidence.tables["tipping_points.csv"]["tipping"].any())
        assert said.startswith("- None found: ") != flagged, said
        assert "None looked for" not in said
    else:
        assert said.startswith("- None looked for here: "), said


def test_a_brief_of_a_sweep_of_every_input_asks_about_them_together(results):
    """131 inputs varied at once: the question and the limits count them rather than list
    them, and a box of scenario discovery names the ranges that cut most, not all of them."""
    evidence = read_evidence(results["hypercube"], parse_outcome("share_final_year>=0.5"))
    count = len(Scenario.of("sentinel_replay").uncertain_inputs())
    assert evidence.question == (
        f"How do {count} inputs, varied together, change sharing in sentinel_replay?"
    )
    assert evidence.limits[0].startswith(f"{count} inputs varied together over 64 design points")
    assert "averages over the other inputs" in evidence.limits[1]
    assert any("more inputs narrowed less)" in line for line in evidence.conditions)
    for line in evidence.conditions:
        named = line.split(": ", 2)[1].split(" (and ")[0]
        assert named.count(" and ") <= 2, line
    table = evidence.tables["conditions.csv"]
    assert {"group", "box", "input", "low", "high"} <= set(table.columns)


@pytest.fixture(scope="module")
def hypercube_findings(results: dict[str, Path]) -> SweepFindings:
    """What the small hypercube sweep shows (its tipping points take a few seconds)."""
    return sweep_findings(results["hypercube"])


def test_a_sweep_report_says_the_surest_tipping_points_of_each_output_and_counts_the_rest(
    hypercube_findings,
):
    """64 runs over every input of the replay are too few to tell a tipping point from chance
    (a test of its own); here eight curves of each output are made tipping points, as a long
    sweep with many cliffs would find, to see what the report says of them."""
    findings = hypercube_findings
    table = findings.jumps.copy()
    table["tipping"] = table.groupby("output").cumcount() < TIPPING_SAID + 3
    report = report_markdown(replace(findings, jumps=table))
    shows = report.split("## What the sweep shows")[1].split("A tipping point is")[0]
    said = [line for line in shows.splitlines() if line.startswith("- **")]
    more = re.findall(
        r"^- \.\.\. and (\d+) more tipping points of the (.+) in the tipping points table",
        shows,
        re.M,
    )
    flagged = table[table["tipping"]].groupby("output").size()
    assert len(more) == len(flagged) == len(findings.outputs), more
    for count, output in more:
        name = next(o for o in flagged.index if header(o) == output)
        assert int(count) == flagged[name] - TIPPING_SAID
    assert len(said) <= TIPPING_SAID * len(flagged) + len(flagged)


def test_the_tipping_points_table_goes_output_by_output_headline_first(results):
    """Jumps in points, days and hours a week are not ranked against each other."""
    findings = sweep_findings(results["sweep"])
    table = report_markdown(findings).split("## Tipping points")[1].split("\n## ")[0]
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| ")][1:]
    order = [header(o) for o in findings.outputs]
    said = [row[2] for row in rows]
    assert len(set(said)) > 1 and said[0] == order[0], said
    assert said == sorted(said, key=order.index), said


def test_a_curve_named_where_there_is_no_tipping_point_says_whether_chance_could_move_it(
    hypercube_findings,
):
    """With no tipping point, the report names the input whose curve moves most; where the
    runs at its levels do not surely differ, it says chance could move it as far."""
    findings = hypercube_findings
    shows = report_markdown(findings).split("## What the sweep shows")[1]
    flat = re.findall(r"no tipping point; over (\S+), the median (.+?) spans .*", shows)
    assert len(flat) == len(findings.outputs), flat
    jumps = findings.jumps.set_index(["input", "output"])
    for (name, output), line in zip(flat, re.findall(r"no tipping point.*", shows), strict=True):
        column = next(o for o in findings.outputs if header(o) == output)
        q = float(jumps.loc[(name, column), "q_value"])
        assert ("no more than chance" in line) == (q > 0.1), (line, q)
        assert "no more than chance" not in line or f"adjusted p = {q:.2g}" in line


def test_a_curve_of_two_levels_says_it_cannot_show_a_tipping_point(results, tmp_path):
    """Two levels: the one jump is the whole curve, so never steeper than it on average."""
    two = tmp_path / "two.toml"
    two.write_text(SWEEP.format(replicates=2).replace("[0.3, 0.75, 1.0, 2.0]", "[0.3, 2.0]"))
    assert (
        call(["sweep", str(two), "--executor", "serial", "-q", "--out", str(tmp_path / "o")])[0]
        == 0
    )
    findings = sweep_findings(tmp_path / "o")
    assert not findings.jumps["tipping"].any()
    flat = re.findall(r"no tipping point; over .*", report_markdown(findings))
    assert flat and all("between its two levels" in line for line in flat), flat
    curves = findings.curves.query("scenario == 'sentinel_replay' & output == 'share_final_year'")
    low, high = curves["median"].min(), curves["median"].max()
    assert f"spans {100 * (high - low):.0f} points ({low:.0%} to {high:.0%})" in flat[0], flat[0]
    # Four levels (the fixture's sweep) say nothing of the kind.
    assert "between its two levels" not in report_markdown(sweep_findings(results["sweep"]))


def test_screening_and_a_sweep_that_disagree_are_reconciled():
    """Screening calls an input noise; the sweep shows a cliff in it: both hold."""
    screening = Evidence(
        kind="sensitivity", folder=Path("s"), subject="s", question="q", answer="a",
        screening=pd.DataFrame({"factor": ["double_keying_cost"], "distinguishable": [False],
                                "statistic": [0.01], "spread": [0.3]}),
        scenarios=("sentinel_replay",),
    )  # fmt: skip
    jump = {
        "scenario": "sentinel_replay",
        "input": "double_keying_cost",
        "output": "share_final_year",
        "before_level": 0.75,
        "after_level": 1.0,
        "before": 0.97,
        "after": 0.53,
        "jump": -0.44,
        "jump_low": -0.5,
        "jump_high": -0.3,
        "tipping": True,
    }
    sweep = Evidence(kind="sweep", folder=Path("w"), subject="w", question="q", answer="a",
                     effects=pd.DataFrame([jump]))  # fmt: skip
    lines = reconcile(screening, sweep)
    assert len(lines) == 1 and "strong but local" in lines[0]
    assert "from 97% at 0.75 to 53% at 1" in lines[0]
    agreeing = Evidence(**{**screening.__dict__, "screening": screening.screening.assign(
        distinguishable=True)})  # fmt: skip
    assert "agree that double_keying_cost matters" in reconcile(agreeing, sweep)[0]
    # As large a jump on a curve whose levels do not surely differ is chance, not a local effect.
    chance = Evidence(**{**sweep.__dict__, "effects": pd.DataFrame([
        jump | {"tipping": False, "q_value": 0.5}])})  # fmt: skip
    assert not any("strong but local" in line for line in reconcile(screening, chance))
    assert (
        "cannot tell its move of 44 points between levels from chance"
        in reconcile(screening, chance)[0]
    )
    # A sweep of scenarios alone has no effects to set beside the screening: the brief says so.
    scenarios = Evidence(kind="sweep", folder=Path("c"), subject="c", question="q", answer="a")
    assert reconcile(screening, scenarios) == []
    page = brief_markdown([screening, scenarios], parse_outcome("share_final_year>=0.8"), [])
    after = page.split("## Screening and the sweep")[1].split("##")[0]
    assert "varies none of the inputs screened" in after
    # A screening of framework categories has no single input to set beside a sweep's.
    by_category = Evidence(**{**screening.__dict__, "screening": screening.screening.assign(
        factor="Technology")})  # fmt: skip
    assert reconcile(by_category, sweep) == []
    page = brief_markdown([by_category, sweep], parse_outcome("share_final_year>=0.8"), [])
    after = page.split("## Screening and the sweep")[1].split("##")[0]
    assert "ranks framework categories, the sweep single inputs" in after


# --- in the browser -------------------------------------------------------------------------

REPORTS = {
    "run": ("report.html", r"^sentinel_replay$", "blockquote", r"median of 3 runs; 90% of runs"),
    "compare": ("compare_sentinel_replay_no_interfaces/report.html",
                r"^no_interfaces against sentinel_replay$", "blockquote", r"-\d+ points"),
    "sweep": ("report.html", r"^Sweep small_sweep$", "li", r"(falls|rises) from|no tipping point"),
    "scenarios": ("report.html", r"^Sweep small_set$", "li",
                  r"^\w+: final-year share \d+% against \d+% in sentinel_replay, a paired"),
    "sensitivity": ("brief.html", r"^Which inputs change sharing most", "p strong",
                    r"(?i)final-year share"),
    "calibrate": ("report.html", r"^Calibration of sentinel_replay", "li",
                  r"Screening ruled out \d+% of the prior"),
}  # fmt: skip


@pytest.mark.browser
@pytest.mark.parametrize("name", list(REPORTS))
def test_every_report_opens_in_chromium_with_its_headline(name, results, chromium_browser):
    path, title, selector, headline = REPORTS[name]
    page = chromium_browser.new_page()
    try:
        page.goto((results[name] / path).as_uri())
        assert re.search(title, page.locator("h1").first.inner_text())
        assert re.search(headline, page.locator(selector).first.inner_text())
        images = page.locator("img")
        for i in range(images.count()):
            assert images.nth(i).evaluate("img => img.naturalWidth") > 0, "a figure is missing"
    finally:
        page.close()


def test_a_sensitivity_brief_dates_the_week_inputs_of_its_scenario():
    scenario = Scenario.of("sentinel_replay")
    provenance = {"scenario": scenario.name, "scenario_hash": scenario.content_hash()}
    weeks = ["blaby.go_live_week", "legal_risk"]
    assert recorded_start(provenance, weeks) == date(2011, 4, 4)
    assert recorded_start(provenance, ["legal_risk"]) is None, "no week input to date"
    changed = {**provenance, "scenario_hash": "0" * 64}
    assert recorded_start(changed, weeks) is None, "the scenario changed since the analysis"
    assert recorded_start({}, weeks) is None


@pytest.mark.browser
@pytest.mark.parametrize(
    "name",
    ["run", "compare", "sweep", "scenarios", "hypercube", "sensitivity", "calibrate", "both"],
)
def test_every_brief_has_its_answer_and_prints_on_one_a4_sheet(name, briefs, chromium_browser):
    width, height = A4_PRINTABLE_PX
    page = chromium_browser.new_page(viewport={"width": round(width), "height": 400})
    try:
        page.goto(briefs[name].as_uri())
        assert page.locator("h1").inner_text().startswith("Brief: ")
        answer = page.locator("blockquote").inner_text()
        assert answer.startswith("Answer.") and len(answer) > 40
        assert page.locator("img").evaluate("img => img.naturalWidth") > 0
        pdf = page.pdf(format="A4", print_background=True)
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1, "more than one A4 sheet"
        page.emulate_media(media="print")
        assert page.evaluate("document.body.getBoundingClientRect().bottom") <= height
    finally:
        page.close()


def test_a_brief_reconciles_the_screening_with_the_sweep_and_writes_its_tables(briefs):
    folder = briefs["both"].parent
    text = (folder / "brief.md").read_text()
    assert "## Screening and the sweep" in text and "## Tipping points" in text
    assert "## Assumed, not evidenced" in text and "## How far this holds" in text
    for name in ("sensitivity_levers.csv", "sweep_tipping_points.csv", "sweep_assumptions.csv"):
        assert (folder / name).is_file(), name
    assert json.loads((folder / "manifest.json").read_text())["kind"] == "brief"


def test_a_small_hypercube_says_its_runs_cannot_tell_an_input_from_the_others(tmp_path):
    """Eight design points: every level of every input is one point, whose other inputs
    differ too; the report finds no tipping point and says why, and no jump has an interval."""
    base = Scenario.load("sentinel_replay")
    ranges = input_ranges([base])
    design = latin_hypercube(
        {n: ranges[n] for n in ("double_keying_cost", "legal_risk")}, 8, seed=2
    )
    run_design(base, design, replicates=2, seed=3, out=tmp_path, executor="serial")
    findings = sweep_findings(tmp_path)
    assert not findings.jumps["tipping"].any() and findings.jumps["jump_low"].isna().all()
    said = what_it_shows(findings, "share_final_year")
    assert len(said) == 1 and said[0].endswith(
        "but some of its levels are one design point each, whose other inputs differ too: these "
        "runs cannot tell the input's effect from theirs (more design points can)"
    )
    # The brief says the same, and does not put it down to chance.
    evidence = read_evidence(tmp_path, parse_outcome("share_final_year>=0.8"))
    assert evidence.answer.startswith(
        "No tipping point, and these runs cannot tell one input's effect on the final-year "
        "share from another's: some levels of every curve are a single design point"
    )
    assert not any("chance" in lever for lever in evidence.levers), evidence.levers


@pytest.mark.parametrize("name", ["run", "sweep"])
def test_the_brief_command_prints_the_question_and_answer_of_its_page(
    name, results, tmp_path, capsys
):
    main(["brief", str(results[name]), "--out", str(tmp_path)])
    page = (tmp_path / "brief.md").read_text().splitlines()
    question = next(line for line in page if line.startswith("**Question.** "))
    answer = next(line for line in page if line.startswith("> **Answer.** "))
    assert capsys.readouterr().out.splitlines() == [
        question.replace("**", ""),
        answer.removeprefix("> ").replace("**", ""),
        f"brief: {tmp_path / 'brief.html'}",
    ]


def test_a_calibration_brief_answers_with_the_joint_fit_and_what_the_targets_teach(results, briefs):
    folder = results["calibrate"]
    text = (folder / "brief" / "brief.md").read_text()
    manifest = json.loads((folder / "manifest.json").read_text())
    joint = pd.read_csv(folder / "joint_fit.csv", index_col="target").loc["all targets"]
    per_draw = manifest["identity"]["settings"]["predictive_replicates"]
    draws = int(joint["runs_posterior"]) // per_draw
    low, high = share_interval(float(joint["posterior"]), draws)
    answer = text.split("**Answer.**")[1].splitlines()[0]
    assert (
        f"meet all 5 targets at once in {joint['posterior']:.0%} of posterior-predictive runs "
        f"({low:.0%} to {high:.0%}, the 90% interval over its {draws} draws from the "
        f"posterior), against {joint['defaults']:.0%} at the scenario's defaults and "
        f"{joint['prior']:.0%} under the prior" in answer
    )
    weights = pd.read_parquet(folder / "posterior.parquet")["weight"]
    ess = 1 / (weights**2).sum()
    assert ess < 100, "the small calibration's posterior is too small to trust"
    assert f"- The posterior's effective sample size is {ess:.0f}; below 100" in text
    assert "## What the evidence teaches" in text and "## Tipping points" not in text
    ratios = pd.read_csv(folder / "interval_ratios.csv")
    learnt = ratios[ratios["learnt"]].sort_values("interval_ratio", kind="stable")
    teaches = text.split("## What the evidence teaches")[1].split("##")[0]
    first = teaches.strip().splitlines()[0]
    expected = f"- {learnt['input'].iloc[0]}: narrowed to" if len(learnt) else "- All "
    assert first.startswith(expected), first
    assumed = pd.read_csv(folder / "brief" / "assumptions.csv")
    assert len(assumed) and not set(assumed["input"]) & set(manifest["inputs"])
    tables = ("fit.csv", "learnt.csv", "conclusions.csv", "leave_one_target_out.csv",
              "output_checks.csv")  # fmt: skip
    for name in (*tables, "figure.png"):
        assert (folder / "brief" / name).is_file(), name


def test_a_calibration_keeps_its_reports_conclusions_as_a_table(results):
    folder = results["calibrate"]
    table = pd.read_csv(folder / "conclusions.csv", index_col="number")
    report = (folder / "report.md").read_text()
    said = [line for line in report.splitlines() if "% of resamples" in line]
    assert len(table) == len(said) > 0
    assert table["about"].iloc[0] == "all targets"
    inputs = json.loads((folder / "manifest.json").read_text())["inputs"]
    assert [a for a in table["about"] if a.startswith("input:")] == [f"input:{n}" for n in inputs]
    for (_, row), line in zip(table.iterrows(), said, strict=True):
        assert f"holds in {int(100 * row['holds'])}% of resamples" in line
        assert line.startswith("- **Open**") != bool(row["firm"])


def test_the_interval_of_a_share_is_the_exact_binomial_one():
    # Clopper-Pearson at 90%: none of n runs gives [0, 1 - 0.05^(1/n)], all of them
    # [0.05^(1/n), 1].
    assert share_interval(0.0, 2) == pytest.approx((0.0, 1 - 0.05**0.5))
    assert share_interval(1.0, 10) == pytest.approx((0.05**0.1, 1.0))
    low, high = share_interval(0.5, 100)  # symmetric about one half, about +/- 8 points
    assert low == pytest.approx(1 - high) and 0.41 < low < 0.42


@pytest.mark.parametrize(
    ("posterior", "holds", "said"),
    [
        (0.6, 0.95, ": more often than both, in 95% of resamples of the posterior."),
        (0.1, 0.05, ": the defaults meet them at least as often (more often than both holds in "
                    "only 5% of resamples of the posterior)."),
        (0.35, 0.5, "; whether that is more often than both is open (it holds in 50% of "
                    "resamples, below 80%)."),
    ],
)  # fmt: skip
def test_a_calibration_brief_words_its_answer_by_how_far_it_holds(posterior, holds, said):
    joint = pd.DataFrame(
        {"posterior": [posterior], "defaults": [0.3], "prior": [0.0], "runs_posterior": [400]},
        index=pd.Index(["all targets"], name="target"),
    )
    conclusions = pd.DataFrame({"about": ["all targets"], "holds": [holds], "firm": [holds >= 0.8]})
    answer = joint_answer(joint, conclusions, 5, replicates=2)
    low, high = share_interval(posterior, 200)
    assert answer == (
        f"Calibrated runs meet all 5 targets at once in {posterior:.0%} of posterior-predictive "
        f"runs ({low:.0%} to {high:.0%}, the 90% interval over its 200 draws from the "
        f"posterior), against 30% at the scenario's defaults and 0% under the prior{said}"
    )


def test_a_calibration_brief_answers_for_its_point_estimate_too():
    joint = pd.DataFrame(
        {"posterior": [0.1], "defaults": [0.3], "prior": [0.0], "point": [0.5],
         "runs_posterior": [200], "runs_point": [1000]},
        index=pd.Index(["all targets"], name="target"),
    )  # fmt: skip
    conclusions = pd.DataFrame({"about": ["all targets", "point estimate"], "holds": [0.0, 1.0]})
    low, high = share_interval(0.5, 1000)
    assert joint_answer(joint, conclusions, 5).endswith(
        f"more often than both holds in only 0% of resamples of the posterior). The point "
        f"estimate (the best-fitting posterior set, what `sharesim run --no-posterior` runs) "
        f"meets them in 50% of its 1000 runs ({low:.0%} to {high:.0%}): more often than both, "
        f"in 100% of resamples."
    )


def test_where_the_targets_teach_nothing_the_brief_names_what_would():
    ratios = pd.DataFrame(
        {"interval_ratio": [0.9, 0.95, 0.8], "learnt": [False] * 3, "learnt_holds": [0.0] * 3,
         "q05": [0.85, 0.9, 0.75], "q95": [0.95, 1.0, 0.85]},
        index=pd.Index(["legal_risk", "norm_weight", "habit_weight"], name="input"),
    )  # fmt: skip
    information = pd.DataFrame(
        {"observation": ["share_final_year.blaby", "buy_in_final.melton"],
         "input": ["legal_risk", "norm_weight"], "now": [0.9, 0.95], "expected": [0.7, 0.4]},
    )  # fmt: skip
    assert learnt_lines(ratios, information) == [
        "All 3 calibrated inputs keep more than 0.6 of their prior interval: the targets teach "
        "little about them (`learnt.csv`).",
        "Observing buy_in_final.melton would teach most: norm_weight narrowed to 0.40 of its "
        "prior interval (now 0.95).",
    ]
    learnt = ratios.assign(
        learnt=[False, True, False], interval_ratio=[0.9, 0.5, 0.8], q05=[0.85, 0.45, 0.75],
        q95=[0.95, 0.55, 0.85], learnt_holds=[0.0, 0.7, 0.0],
    )  # fmt: skip
    assert learnt_lines(learnt, information) == [
        "norm_weight: narrowed to 0.50 of its prior interval (resamples 0.45 to 0.55); open, it "
        "holds in 70% of resamples.",
        "The other 2 calibrated inputs keep more than 0.6 of their prior interval: the targets "
        "teach little about them (`learnt.csv`).",
    ]


def test_a_calibration_run_again_into_its_folder_leaves_its_brief_alone(results, briefs, capfd):
    brief = results["calibrate"] / "brief" / "brief.md"
    before = brief.read_text()
    argv = ["calibrate", str(SHIPPED), "--experiment", str(results["inputs"] / "calibration.toml"),
            "--executor", "serial", "--out", str(results["calibrate"])]  # fmt: skip
    assert call(argv, capfd)[0] == 0
    assert brief.read_text() == before


def test_a_run_into_the_folder_leaves_its_brief_alone(results, briefs, capfd):
    brief = results["run"] / "brief" / "brief.md"
    before = brief.read_text()
    argv = ["run", "sentinel_replay", "--replicates", "2", "--out", str(results["run"])]
    assert call(argv, capfd)[0] == 0
    assert brief.read_text() == before


# --- bad input to brief ---------------------------------------------------------------------


def _user_folder(root: Path) -> Path:
    folder = root / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    return folder


def _other_kind(root: Path) -> Path:
    """A folder of a kind a brief does not read: a brief's own."""
    folder = root / "a_brief"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"kind": "brief"}))
    return folder


def _earlier_calibration(root: Path, calibration: Path) -> Path:
    """A calibration folder as an earlier version wrote it: no conclusions.csv."""
    folder = root / "earlier_calibration"
    folder.mkdir()
    for path in calibration.iterdir():
        if path.is_file() and path.name != "conclusions.csv":
            shutil.copyfile(path, folder / path.name)
    return folder


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["{missing}"], "no such result folder"),
        (["{mine}"], "no manifest.json"),
        (
            ["{other}"],
            "holds the output of sharesim brief; a brief reads the folder of "
            "sharesim run, compare, sweep, sensitivity or calibrate",
        ),
        (
            ["{earlier}"],
            "no conclusions.csv, so an earlier version of sharesim wrote it; a calibration "
            "run again (sharesim calibrate) writes every table a brief reads",
        ),
        (["{calibrate}", "--outcome", "share_final_year=0.8"], "write it as OUTPUT>=VALUE"),
        (["{run}", "{run}"], "a second run folder"),
        (["{run}", "{sweep}", "{compare}"], "give one result folder"),
        (["{sweep}", "--outcome", "share_final_year=0.8"], "write it as OUTPUT>=VALUE"),
        (["{sweep}", "--outcome", "share_final_yaer>=0.8"], "did you mean 'share_final_year'"),
        (["{sweep}", "--out", "{mine}"], "did not write"),
        (["{sweep}", "--out", ""], "give a folder name"),
    ],
)
def test_bad_input_to_brief_is_one_line_exit_2_and_nothing_written(
    argv, fragment, results, tmp_path, capfd
):
    places = {name: str(results[name]) for name in ("run", "sweep", "compare", "calibrate")}
    places |= {"missing": str(tmp_path / "missing"), "mine": str(_user_folder(tmp_path))}
    places |= {
        "other": str(_other_kind(tmp_path)),
        "earlier": str(_earlier_calibration(tmp_path, results["calibrate"])),
    }
    before = {p for p in tmp_path.rglob("*")}
    briefs_before = {name: (results[name] / "brief").exists() for name in places if name in results}
    code, err = call(["brief", *(a.format(**places) for a in argv)], capfd)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sharesim: error: ") and fragment in lines[0]
    assert {p for p in tmp_path.rglob("*")} == before
    assert {n: (results[n] / "brief").exists() for n in briefs_before} == briefs_before


def test_compare_out_into_someone_elses_folder_is_one_line_exit_2_and_nothing_written(
    tmp_path, capfd
):
    mine = _user_folder(tmp_path)
    argv = ["compare", "sentinel_replay", "no_interfaces", "--replicates", "2", "--out", str(mine)]
    code, err = call(argv, capfd)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "did not write" in err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
