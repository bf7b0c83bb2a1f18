"""The calibration workflow end to end on a tiny budget: same seed, same posterior whatever
the executor and worker count; a folder resumes without recomputing; the command line writes
every output; the notebook runs."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import shutil
import tomllib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import support

from sim.calibration import SHIPPED, CalibrationSettings, calibrate, write_outputs
from sim.calibration.calibrated import calibrated_scenario, posterior_table
from sim.calibration.report import RELIABLE_ESS
from sim.cli import main
from sim.errors import InputError
from sim.run import run
from sim.scenarios import Scenario
from sim.sweep import read_results

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "05_calibration.ipynb"

TINY = CalibrationSettings(
    screening=60,
    particles=40,
    generations=2,
    replicates=1,
    predictive=12,
    predictive_replicates=1,
    point_replicates=3,
    defaults_replicates=4,
    bootstrap=20,
    nuisance="prior",
    quantile=0.5,
    min_ess=0.05,
    seed=5,
)
TINY_TOML = """
screening = 60
particles = 40
generations = 2
replicates = 1
predictive = 12
predictive_replicates = 1
point_replicates = 3
defaults_replicates = 4
bootstrap = 20
nuisance = "prior"
quantile = 0.5
min_ess = 0.05
seed = 5
"""


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.posterior, b.posterior)
    pd.testing.assert_frame_equal(a.population_table(), b.population_table())
    pd.testing.assert_frame_equal(a.predictive, b.predictive)
    pd.testing.assert_frame_equal(a.point, b.point)


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "calibration"
    return calibrate(SHIPPED, TINY, out=out, executor="serial"), out


def test_same_seed_same_posterior_whatever_the_executor(serial, tmp_path):
    reference, _ = serial
    assert len(reference.populations) == 2 and reference.runs > 0
    on_pool = calibrate(SHIPPED, TINY, out=tmp_path / "pool", executor="process", workers=2)
    _same(reference, on_pool)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as one_worker:
        alone = calibrate(SHIPPED, TINY, out=tmp_path / "one", executor=one_worker)
    _same(reference, alone)


def test_a_calibration_shows_itself_as_one_line(serial):
    reference, _ = serial
    problem = reference.problem
    assert repr(reference) == (
        f"<Calibration of 'sentinel_replay' to {len(problem.targets.targets)} targets: "
        f"{len(problem.prior)} inputs, 2 generations, {reference.runs:,} runs>"
    )


def test_another_seed_gives_another_posterior(serial):
    reference, _ = serial
    other = calibrate(SHIPPED, TINY.model_copy(update={"seed": 6}), executor="serial")
    assert not reference.posterior.equals(other.posterior)


def test_a_folder_resumes_without_recomputing(serial, tmp_path):
    reference, folder = serial
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    # An interruption after the screening: the last generation's record is gone, the runs
    # in the sweep folders are not.
    (copy / "abc" / "generation_01.parquet").unlink()
    resumed = calibrate(SHIPPED, TINY, out=copy, executor="serial")
    _same(reference, resumed)
    for stage in ("screening", "generation_01", "predictive", "point_estimate", "defaults"):
        manifest = json.loads((copy / "runs" / stage / "manifest.json").read_text())
        assert manifest["sessions"][-1]["runs_computed"] == 0, stage
    sessions = json.loads((copy / "manifest.json").read_text())["sessions"]
    assert [s["state"] for s in sessions] == ["finished", "finished"]


def test_a_folder_of_another_calibration_is_refused(serial):
    _, folder = serial
    with pytest.raises(InputError, match="holds a different calibration"):
        calibrate(SHIPPED, TINY.model_copy(update={"seed": 9}), out=folder, executor="serial")


def test_report_flags_and_scenario(serial, tmp_path):
    result, _ = serial
    written = write_outputs(result, tmp_path)
    text = written["report.md"].read_text()
    ident = result.identification()
    assert set(ident["verdict"]) <= {"identified", "weakly identified", "not identified"}
    for name in ident.index[ident["verdict"] == "not identified"]:
        assert f"`{name}` is not identified" in text
    # every headline says how far it holds; below 80% it is worded as open
    for line in text.split("## Targets")[0].splitlines():
        if "holds in" in line:
            share = int(line.split("holds in ")[1].split("%")[0])
            assert line.startswith("- **Open**") == (share < 80), line
    assert "## Joint fit" in text and "all targets" in text
    assert "## Out-of-sample checks" in text and "Leave one target out" in text
    fit = result.fit()
    assert list(fit.index) == list(result.problem.targets.components())
    for column, row in fit.iterrows():
        assert column in text
        if not row["predictive_met"]:
            assert "misses it by" in text
    scenario = Scenario.load(written["scenario"])
    defaults = scenario.input_defaults()
    estimate = result.point_estimate()
    for name, value in estimate.items():
        assert defaults[name] == pytest.approx(value, rel=1e-3, abs=1e-6)


def test_the_joint_posterior_holds_the_nuisance_values_each_set_was_run_with(serial):
    """The nuisance columns are drawn again, not stored: they must equal the design values of
    the very runs that accepted each set (read back from the calibration's sweep folders)."""
    result, folder = serial
    joint = result.joint_posterior()
    inputs, nuisance = list(result.problem.inputs), list(result.problem.nuisance)
    assert nuisance and list(joint.columns) == ["weight", *inputs, *nuisance]
    pd.testing.assert_frame_equal(
        joint[["weight", *inputs]], result.posterior.drop(columns=["generation", "epsilon"])
    )
    sample = result.final
    plausible = np.flatnonzero(result.screening.plausible)
    for i in range(len(joint)):
        generation = int(sample.generation[i])
        stage = "screening" if generation == 0 else f"generation_{generation:02d}"
        row = plausible[sample.rows[i]] if generation == 0 else sample.rows[i]
        runs = read_results(folder / "runs" / stage)
        ran = runs[(runs["row"] == row) & (runs["replicate"] == 0)].iloc[0]
        assert joint.loc[i, inputs].tolist() == ran[inputs].tolist()
        assert joint.loc[i, nuisance].tolist() == ran[nuisance].tolist()


def test_the_calibrated_scenario_draws_the_joint_posterior(serial, tmp_path):
    result, _ = serial
    written = write_outputs(result, tmp_path)
    scenario = Scenario.load(written["scenario"])
    posterior = scenario.posterior
    assert posterior is not None
    table = posterior_table(result)
    assert list(posterior.inputs) == list(table.columns.drop("weight"))
    assert np.allclose(posterior.weights, table["weight"] / table["weight"].sum())
    drawn = run(scenario, seed=4, replicates=6).draws
    assert drawn is not None and set(drawn.columns) == {"draw", *posterior.inputs}


def test_the_calibrated_scenario_escapes_the_text_it_quotes(serial):
    result, _ = serial
    odd = 'targets "quoted" in C:\\calibration\nand on a second line'
    targets = result.problem.targets.model_copy(update={"name": odd})
    problem = dataclasses.replace(result.problem, targets=targets, targets_label=odd)
    text = calibrated_scenario(
        dataclasses.replace(result, problem=problem), posterior_table(result)
    )
    document = tomllib.loads(text)
    assert document["description"].endswith(f"calibration to {odd}.")
    assert document["posterior"]["source"].startswith(f"ABC-SMC calibration to {odd} (seed 5")
    for table in document["parameters"].values():
        assert table["source"].startswith(f"Calibration to {odd} (seed 5)")
    first, second = odd.splitlines()
    assert text.startswith(
        f"# sentinel_calibrated: sentinel_replay calibrated to the targets in {first}\n"
        f"# {second}.\n"
    )


def test_command_line_writes_every_output(tmp_path, capsys):
    experiment = tmp_path / "tiny.toml"
    experiment.write_text(TINY_TOML)
    out = tmp_path / "out"
    copy = tmp_path / "copy_of_scenario.toml"
    argv = [
        "calibrate",
        str(SHIPPED),
        "--out",
        str(out),
        "--experiment",
        str(experiment),
        "--executor",
        "serial",
        "--write-scenario",
        str(copy),
    ]
    main(argv)
    for name in (
        "posterior.parquet",
        "screening.parquet",
        "populations.parquet",
        "predictive.parquet",
        "point_estimate.parquet",
        "manifest.json",
        "report.md",
        "report.html",
        "defaults.parquet",
        "fit.csv",
        "identification.csv",
        "joint_fit.csv",
        "interval_ratios.csv",
        "value_of_information.csv",
        "leave_one_target_out.csv",
        "output_checks.csv",
        "conclusions.csv",
        "sentinel_calibrated.toml",
    ):
        assert (out / name).is_file(), name
    for figure in (
        "marginals",
        "pairwise",
        "predictive_targets",
        "predictive_partners",
        "partner_bands",
        "progress",
    ):
        assert (out / "figures" / f"{figure}.png").stat().st_size > 1000, figure
    posterior = pd.read_parquet(out / "posterior.parquet")
    assert {"generation", "epsilon", "weight"} <= set(posterior.columns)
    assert posterior["weight"].sum() == pytest.approx(1.0)
    manifest = json.loads((out / "manifest.json").read_text())
    for key in (
        "identity",
        "seeds",
        "populations",
        "epsilons",
        "runs",
        "wall_seconds",
        "environment",
        "screening",
    ):
        assert key in manifest, key
    assert copy.read_text() == (out / "sentinel_calibrated.toml").read_text()
    said = capsys.readouterr().out
    assert "wrote" in said
    # A tiny calibration's posterior has few effective particles: the summary says so.
    ess = manifest["populations"][-1]["ess"]
    assert ess < RELIABLE_ESS
    assert f"caution: the posterior's effective sample size is {ess:.0f}; below" in said
    # Each target and input named whole, with its verdict, on a line of 80 columns at most.
    lines = said.splitlines()
    fit = pd.read_csv(out / "fit.csv", index_col="target")
    ident = pd.read_csv(out / "identification.csv", index_col="input")
    verdicts = {
        **{name: "yes" if met else "no" for name, met in fit["predictive_met"].items()},
        **{name: {"identified": "yes", "not identified": "no"}.get(v, "weakly")
           for name, v in ident["verdict"].items()},
    }  # fmt: skip
    for name, verdict in verdicts.items():
        row = next(line for line in lines if line.split(" ")[0] == name)
        assert len(row) <= 80 and row.split()[-1] == verdict, row
    # Run again into its folder, quietly: it resumes, prints nothing, and leaves the same files.
    posterior = (out / "posterior.parquet").read_bytes()
    main([*argv, "--quiet"])
    assert capsys.readouterr().out == ""
    assert (out / "posterior.parquet").read_bytes() == posterior
    # the calibrated scenario runs like any other
    main(["run", str(copy), "--replicates", "2", "--out", str(tmp_path / "run")])
    assert (tmp_path / "run" / "report.md").is_file()


def test_notebook_runs_a_small_calibration(tmp_path):
    executed = support.run_notebook(NOTEBOOK, cwd=tmp_path, timeout_s=300)
    outputs = [o for cell in executed.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "not identified" in text
    assert any(o.output_type == "display_data" and "image/png" in o.data for o in outputs)


def test_findings_agree_with_the_result_they_come_from(serial):
    from sim.calibration.findings import FIRM_FROM, Findings
    from sim.calibration.joint import ALL_TARGETS

    result, _ = serial
    findings = Findings.of(result)
    rates = findings.rates
    sources = ["prior", "defaults", "posterior", "point"]
    assert ((rates[sources] >= 0) & (rates[sources] <= 1)).all().all()
    # every target at once is never met more often than the least met target
    assert (rates.loc[ALL_TARGETS, sources] <= rates[sources].drop(ALL_TARGETS).min()).all()
    assert rates.loc[ALL_TARGETS, "prior"] == pytest.approx(result.prior_acceptance)
    ratios = findings.ratios
    np.testing.assert_allclose(
        ratios["interval_ratio"], result.identification()["interval_ratio"], rtol=1e-12
    )
    assert (ratios["mc_error"] >= 0).all() and ratios["verdict_holds"].between(0, 1).all()
    assert list(findings.left_out.index) == list(result.problem.targets.components())
    for headline in findings.headlines():
        assert headline.line().startswith("- **Open**") == (headline.holds < FIRM_FROM)


def test_value_of_information_finds_the_parameter_an_observation_pins_down(serial):
    """A made-up observation that is one parameter read off exactly narrows that parameter
    and no other; random subsets of the same size (the control) narrow none."""
    from sim.calibration.precision import value_of_information
    from sim.names import slug

    result, _ = serial
    rng = np.random.default_rng(0)
    n = 600
    columns = {}
    for name in result.problem.inputs:
        low, high = result.problem.prior[name]
        columns[name] = rng.uniform(low, high, n)
    low, high = result.problem.prior["baseline_motivation"]
    told = (columns["baseline_motivation"] - low) / (high - low)
    for k, partner in enumerate(result.problem.scenario.partner_names):
        key = slug(partner)
        columns[f"share_final_year.{key}"] = told if k == 0 else rng.uniform(0, 1, n)
        columns[f"buy_in_final.{key}"] = rng.uniform(0, 1, n)
        columns[f"interface_live_final.{key}"] = rng.integers(0, 2, n).astype(float)
    made_up = dataclasses.replace(result, predictive=pd.DataFrame(columns))
    table = value_of_information(made_up)
    first = result.problem.scenario.partner_names[0]
    told_row = table[
        (table["observation"] == f"final-year share of {first}")
        & (table["input"] == "baseline_motivation")
    ].iloc[0]
    assert told_row["expected"] < 0.2 < 0.8 < told_row["control"]
    others = table[table["input"] != "baseline_motivation"]
    assert (others["expected"] > 0.7).all()
