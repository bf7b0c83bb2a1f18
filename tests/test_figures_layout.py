"""Every figure the project ships is drawn and checked for what matplotlib can tell about its
text: nothing cut by the edge of the canvas, no label over another label, no legend over
text, no annotation over a marker (``figure_layout.layout_problems``). The checker itself is
shown to find each kind of defect on a figure made to have them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import support
from fake_results import fake_result
from figure_layout import layout_problems
from matplotlib.figure import Figure

from sim import calibration
from sim.calibration import calibrate
from sim.calibration import figures as calibration_figures
from sim.calibration.settings import settings_from_mapping
from sim.comparison import compare_results
from sim.comparison_report import differences_figure
from sim.design import grid
from sim.metrics import summary_metrics
from sim.run import run
from sim.run_report import FIGURES
from sim.sensitivity.figures import result_figures
from sim.sweep import make_plan, run_plan
from sim.sweep.report import response_figure, sweep_findings
from sim.sweep.scenario_set import scenario_table, scenarios_figure

TINY = settings_from_mapping(tomllib.loads(support.SMALL_CALIBRATION), "small calibration")


def test_the_checker_finds_clipped_and_overlapping_text_and_labels_over_markers():
    """Negative control: a figure with every defect the check looks for."""
    fig = Figure(figsize=(3, 2))
    ax = fig.subplots()
    ax.scatter([0.5], [0.5], s=400)
    ax.annotate("over the marker", (0.5, 0.5), ha="center", va="center")
    ax.text(0.1, 0.1, "first")
    ax.text(0.1, 0.1, "second")
    ax.plot([0, 1], [0, 1], label="a legend over text")
    ax.legend(loc="lower left")
    fig.suptitle("a title far too long to fit inside a figure only three inches wide")
    problems = "\n".join(layout_problems(fig))
    assert "cut by the edge" in problems
    assert "'first' overlaps text 'second'" in problems
    assert "a legend covers text" in problems
    assert "'over the marker' is drawn over a marker" in problems


def test_a_clean_figure_has_no_problems():
    fig = Figure(figsize=(4, 3), layout="constrained")
    ax = fig.subplots()
    ax.plot(np.arange(5), np.arange(5))
    ax.set(xlabel="x", ylabel="y", title="clean")
    assert layout_problems(fig) == []


@pytest.fixture(scope="module")
def replay():
    return run("sentinel_replay", seed=3, replicates=4)


@pytest.mark.parametrize("name", list(FIGURES))
def test_run_report_figures(replay, name):
    assert layout_problems(FIGURES[name](replay)) == []


def test_comparison_figure(replay):
    other = run("no_interfaces", seed=3, replicates=4)
    comparison = compare_results(
        replay, other, summary_metrics(replay.trajectory), summary_metrics(other.trajectory)
    )
    assert layout_problems(differences_figure(comparison)) == []


def test_sweep_response_figures(tmp_path: Path):
    scenarios = ["sentinel_replay", "no_interfaces"]
    for inputs in (["double_keying_cost"], ["double_keying_cost", "legal_risk"]):
        design = grid({name: [0.3, 1.0, 2.0] for name in inputs})
        plan = make_plan(scenarios, design, replicates=2, seed=4, name="layout")
        out = tmp_path / "-".join(inputs)
        run_plan(plan, out, executor="serial")
        findings = sweep_findings(out)
        for output in findings.outputs:
            assert layout_problems(response_figure(findings, output)) == [], inputs


def test_scenario_set_figure():
    """The shipped counterfactuals' eight scenarios and the four outputs a sweep follows."""
    names = [
        "sentinel_replay",
        "all_integrated",
        "no_interfaces",
        "colocation_everywhere",
        "lean_bureaucracy",
        "documented_assurance",
        "buy_in_programme",
        "delayed_delivery",
    ]
    outputs = [
        "share_final_year",
        "latency_final_year",
        "sharing_hours_final_year",
        "saved_hours_final_year",
    ]
    rng = np.random.default_rng(2)
    runs = pd.DataFrame(
        [
            {"scenario": s, "row": 0, "replicate": r, **{o: rng.uniform(0, 200) for o in outputs}}
            for s in names
            for r in range(10)
        ]
    )
    table = scenario_table(runs, names, outputs)
    assert layout_problems(scenarios_figure(table, outputs, "Sweep counterfactuals")) == []


@pytest.mark.parametrize(
    ("method", "level", "partners"),
    [
        ("morris", "parameter", False),
        ("morris", "category", False),
        ("sobol", "category", True),
        ("sobol", "parameter", False),
    ],
)
def test_sensitivity_figures(method, level, partners):
    """On the replay's real inputs (names, categories and their number): Morris labels,
    Sobol panels, the all-outputs heatmap with partners' full names, convergence."""
    result = fake_result(method, level, partners=partners)
    for stem, figure in result_figures(result):
        assert layout_problems(figure) == [], stem


@pytest.fixture(scope="module")
def tiny_calibration(tmp_path_factory: pytest.TempPathFactory):
    return calibrate(calibration.SHIPPED, TINY, out=tmp_path_factory.mktemp("cal") / "c",
                     executor="serial")  # fmt: skip


@pytest.mark.parametrize("name", list(calibration_figures.FIGURES))
def test_calibration_figures(tiny_calibration, name):
    assert layout_problems(calibration_figures.FIGURES[name](tiny_calibration)) == []
