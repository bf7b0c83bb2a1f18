"""``sharesim sensitivity``: a small experiment writes tables, figures and the brief; a bad
experiment file gets one line naming the file, the field and the problem, and exit 2.

The run uses n = 16 and 2 replicates (256 runs) on the serial executor: it checks what is
written, not the answer.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.sensitivity.experiment_file import load_sensitivity_experiment
from sim.sweep import read_results

EXPERIMENTS = sorted(
    Path(__file__).resolve().parents[1].joinpath("experiments").glob("sensitivity_*.toml")
)

SMALL = """\
name = "small_grouped"
description = "A tiny grouped Sobol of the replay."
scenarios = ["sentinel_replay"]
replicates = 2
seed = 5

[sensitivity]
method = "sobol"
level = "category"
n = 16
bootstrap = 200
outputs = ["share_final_year", "share_mean", "buy_in_final", "share_final_year.*"]
"""

TOP = """\
name = "bad"
scenarios = ["sentinel_replay"]
replicates = 2
seed = 5
"""

# (file text, words the one-line message must contain)
BAD = {
    "section_typo": (
        TOP + '[sensitivity]\nmethod = "morris"\ntrajectores = 10\n',
        ["sensitivity.trajectores", "unknown field", "did you mean 'trajectories'"],
    ),
    "n_not_power_of_two": (
        TOP + '[sensitivity]\nmethod = "sobol"\nn = 100\n',
        ["sensitivity", "n must be a power of two", "100"],
    ),
    "unknown_method": (
        TOP + '[sensitivity]\nmethod = "fast"\nn = 64\n',
        ["sensitivity.method", "'sobol', 'morris' or 'shapley'", "got the text 'fast'"],
    ),
    "unknown_output": (
        TOP + '[sensitivity]\nmethod = "sobol"\nn = 64\noutputs = ["share_finale_year"]\n',
        ["sensitivity.outputs", "share_finale_year", "did you mean 'share_final_year'"],
    ),
    "unknown_input": (
        TOP + '[sensitivity]\nmethod = "sobol"\nn = 64\ninputs = ["double_keying_cots"]\n',
        ["sensitivity.inputs", "double_keying_cots", "did you mean 'double_keying_cost'"],
    ),
    "input_set_by_the_scenario": (
        TOP + '[sensitivity]\nmethod = "morris"\ntrajectories = 10\n'
        'inputs = ["legal_risk", "pressure_weight"]\n',
        [
            "sensitivity.inputs",
            "'pressure_weight' is not uncertain in scenario 'sentinel_replay' (it sets one value)",
        ],
    ),
    "bounds_outside_range": (
        TOP + '[sensitivity]\nmethod = "sobol"\nn = 64\n'
        "bounds = { double_keying_cost = [0.0, 1.0] }\n",
        ["sensitivity.bounds", "double_keying_cost", "inside its range"],
    ),
    "design_given": (
        TOP + '[design]\nkind = "sobol"\nn = 64\nseed = 1\n',
        ["design", "builds its own design"],
    ),
    "no_section": (TOP, ["sensitivity", "required table is missing"]),
    "two_scenarios": (
        TOP.replace('["sentinel_replay"]', '["sentinel_replay", "no_interfaces"]')
        + '[sensitivity]\nmethod = "sobol"\nn = 64\n',
        ["scenarios", "exactly one scenario"],
    ),
    "negative_seed": (
        TOP.replace("seed = 5", "seed = -1") + '[sensitivity]\nmethod = "sobol"\nn = 64\n',
        ["seed", "must be at least 0"],
    ),
    "not_toml": ("name = \n", ["not valid TOML"]),
    "confidence_too_high": (
        TOP + '[sensitivity]\nmethod = "sobol"\nn = 64\nconfidence = 1.5\n',
        ["sensitivity.confidence", "less than 1"],
    ),
    "shapley_option_typo": (
        TOP + '[sensitivity]\nmethod = "shapley"\nn_outter = 64\n',
        ["sensitivity.n_outter", "unknown field", "did you mean 'n_outer'"],
    ),
    "shapley_too_few_outer_draws": (
        TOP + '[sensitivity]\nmethod = "shapley"\nn_outer = 8\n',
        ["sensitivity.n_outer", "at least 16", "8"],
    ),
    "shapley_unknown_assignment": (
        TOP + '[sensitivity]\nmethod = "shapley"\nassignments = ["registy"]\n',
        ["sensitivity.assignments", "unknown assignment 'registy'", "did you mean 'registry'"],
    ),
    "shapley_has_no_level": (
        TOP + '[sensitivity]\nmethod = "shapley"\nlevel = "parameter"\n',
        ["sensitivity.level", "unknown field"],
    ),
}


def _cli(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0


@pytest.mark.parametrize("path", EXPERIMENTS, ids=[p.stem for p in EXPERIMENTS])
def test_shipped_experiments_load(path):
    experiment = load_sensitivity_experiment(path)
    assert experiment.name == path.stem
    assert experiment.runs > 0
    assert experiment.settings.replicates >= 2  # noise is measured in every standard analysis


def test_the_standard_analyses_are_shipped():
    names = {p.stem for p in EXPERIMENTS}
    assert {
        "sensitivity_morris",
        "sensitivity_sobol_grouped",
        "sensitivity_sobol_parameters",
    } <= names
    grouped = load_sensitivity_experiment(
        EXPERIMENTS[[p.stem for p in EXPERIMENTS].index("sensitivity_sobol_grouped")]
    )
    assert grouped.settings.n == 1024 and grouped.settings.replicates == 5
    assert grouped.runs == 1024 * (6 + 2) * 5


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_experiment_gets_one_line_and_exit_2(case, tmp_path, capfd):
    text, words = BAD[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(text)
    out = tmp_path / "out"
    status = _cli(["sensitivity", str(path), "--out", str(out), "--executor", "serial"])
    captured = capfd.readouterr()
    lines = captured.err.strip().splitlines()
    assert status == 2
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"sharesim: error: {path}")
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert "Traceback" not in captured.err
    assert not out.exists()


def run_printed(tmp_path, text: str, capfd) -> tuple[Path, Path, str]:
    """Run the experiment ``text`` in this process into ``tmp_path/out``.

    Return its file, the folder and what the command printed.
    """
    path = tmp_path / "experiment.toml"
    path.write_text(text)
    out = tmp_path / "out"
    assert _cli(["sensitivity", str(path), "--out", str(out), "--executor", "serial"]) == 0
    return path, out, capfd.readouterr().out


def ranking_line(printed: str, rank: int, factor: str) -> str:
    """Return the line of the printed ranking that ranks ``factor``; the table fits 80 columns."""
    table = printed.split("\ndistinguishable: ")[0].splitlines()
    assert max(map(len, table)) <= 80
    return next(line for line in table if line.split("  ")[:2] == [str(rank), factor])


def test_a_small_experiment_writes_tables_figures_and_brief(tmp_path, capfd):
    path, out, printed = run_printed(tmp_path, SMALL, capfd)
    assert "brief:" in printed and "Organisation" in printed
    for name in (
        "indices.csv",
        "noise.csv",
        "convergence.csv",
        "factors.csv",
        "result.json",
        "design.parquet",
        "runs.parquet",
        "brief.md",
        "brief.html",
    ):
        assert (out / name).stat().st_size > 0, name
    for stem in ("sobol_category", "sobol_category_all_outputs", "convergence"):
        assert (out / "figures" / f"{stem}.png").stat().st_size > 10_000, stem
    indices = pd.read_csv(out / "indices.csv")
    assert set(indices["level"]) == {"category"}
    # The printed ranking: both indices with their intervals, within 80 columns, each
    # category's verdict as its row in indices.csv has it.
    assert "S1 [interval]" in printed and "ST [interval]" in printed
    for _, row in indices[indices["output"] == "share_final_year"].iterrows():
        line = ranking_line(printed, row["rank"], row["factor"])
        assert line.split()[-1] == ("yes" if row["distinguishable"] else "no"), line
    assert len(indices) == 6 * (3 + 11)  # six categories, three outputs and 11 partners
    assert (indices[["S1", "ST", "S1_low", "ST_low"]] >= 0).all().all()
    assert len(pd.read_parquet(out / "runs.parquet")) == 16 * 8 * 2
    summary = json.loads((out / "result.json").read_text())
    assert summary["seed"] == 5 and summary["provenance"]["scenario"] == "sentinel_replay"
    assert summary["provenance"]["experiment_file_sha256"]
    assert summary["provenance"]["experiment_file"] == str(path.resolve())
    brief = (out / "brief.md").read_text()
    assert brief.startswith("# Which framework categories change sharing most")
    assert "figures/sobol_category.png" in brief and "Run-to-run noise" in brief
    assert "Per partner" in brief
    assert "<table>" in (out / "brief.html").read_text()
    # The runs are stored: the same command again resumes and computes nothing new.
    before = sorted(p.name for p in (out / "runs").rglob("*.parquet"))
    assert _cli(["sensitivity", str(path), "--out", str(out), "--executor", "serial", "-q"]) == 0
    assert sorted(p.name for p in (out / "runs").rglob("*.parquet")) == before
    pd.testing.assert_frame_equal(indices, pd.read_csv(out / "indices.csv"))


SHAPLEY = """\
name = "small_shapley"
scenarios = ["sentinel_calibrated"]
replicates = 1
seed = 5

[sensitivity]
method = "shapley"
n_outer = 16
n_inner = 2
n_variance = 64
outputs = ["share_final_year"]
assignments = ["registry"]
"""


def test_a_shapley_analysis_prints_each_category_with_its_effect_and_verdict(tmp_path, capfd):
    _, out, printed = run_printed(tmp_path, SHAPLEY, capfd)
    assert printed.startswith("sentinel_calibrated: share_final_year, registry assignment\n")
    assert "Shapley [interval]" in printed
    effects = pd.read_csv(out / "shapley.csv")
    assert len(effects) == 6
    for _, row in effects.iterrows():
        line = ranking_line(printed, row["rank"], f"{row['factor']} ({row['inputs']} inputs)")
        shown = f"{row['Sh']:.2f} [{row['Sh_low']:.2f}, {row['Sh_high']:.2f}]"
        assert shown in line and line.split()[-1] == ("yes" if row["distinguishable"] else "no")


CALIBRATED = """\
name = "small_calibrated_morris"
description = "Morris on two parameters of the calibrated replay, the rest drawn."
scenarios = ["sentinel_calibrated"]
replicates = 2
seed = 5

[sensitivity]
method = "morris"
level = "parameter"
trajectories = 8
levels = 4
inputs = ["double_keying_cost", "legal_risk"]
outputs = ["share_final_year"]
"""


def test_on_the_calibrated_scenario_the_other_inputs_are_drawn_from_its_posterior(tmp_path):
    """The design sets two inputs; every run draws the others from the joint posterior, and
    that spread is counted as run-to-run noise."""
    path = tmp_path / "calibrated.toml"
    path.write_text(CALIBRATED)
    out = tmp_path / "out"
    assert _cli(["sensitivity", str(path), "--out", str(out), "--executor", "serial", "-q"]) == 0
    runs = read_results(out / "runs")
    assert len(runs) == 8 * 3 * 2 and runs["error"].isna().all()
    assert runs["posterior_draw"].notna().all() and runs["posterior_draw"].nunique() > 10
    noise = pd.read_csv(out / "noise.csv").set_index("output")
    assert noise.loc["share_final_year", "within_variance"] > 0


SEVEN = (
    TOP.replace('"bad"', '"seven"')
    + """
[sensitivity]
method = "morris"
level = "parameter"
trajectories = 60
levels = 4
inputs = ["double_keying_cost", "baseline_motivation", "workload_cost", "buy_in_weight",
          "functionality_cost", "reciprocity_weight", "bureaucracy_burden"]
outputs = ["share_final_year", "share_mean", "buy_in_final"]
"""
)


def test_the_brief_counts_every_distinguishable_input_among_its_levers(tmp_path, capfd):
    # More inputs stand out than the page has room for: those it does not show are counted.
    (tmp_path / "seven.toml").write_text(SEVEN)
    folder = tmp_path / "out"
    argv = ["sensitivity", str(tmp_path / "seven.toml"), "--out", str(folder)]
    assert _cli([*argv, "--executor", "serial", "-q"]) == 0
    assert _cli(["brief", str(folder)]) == 0
    capfd.readouterr()
    brief = (folder / "brief" / "brief.md").read_text()
    said = re.search(r"(\d+) of 7 inputs (is|are) distinguishable from noise", brief)
    assert said is not None
    levers = brief.split("## Which levers move sharing most")[1].split("## ")[0]
    named = [line for line in levers.splitlines() if re.match(r"- \w+: mu\* ", line)]
    more = re.search(r"- \.\.\. and (\d+) more", levers)
    counted = len(named) + (int(more.group(1)) if more else 0)
    assert counted == int(said.group(1)) > len(named)
