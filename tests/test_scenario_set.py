"""A sweep of scenarios alone (no input varied): each scenario's runs and its paired differences
from the first, in the report, its table, its figure and the brief. The shipped
``counterfactuals`` experiment is such a sweep; it runs end to end here."""

import math

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.sweep.scenario_set import COLUMNS, as_much, scenario_table, sentences


def _runs() -> pd.DataFrame:
    """Two scenarios, 20 runs each, paired by row and replicate: ``b`` is ``a`` plus 0.1 plus
    a known offset per run, so every paired difference is known."""
    keys = pd.DataFrame({"row": np.repeat([0, 1], 10), "replicate": np.tile(range(10), 2)})
    base = np.linspace(0.2, 0.6, 20)
    offset = np.linspace(-0.02, 0.02, 20)
    a = keys.assign(scenario="a", share_final_year=base)
    b = keys.assign(scenario="b", share_final_year=base + 0.1 + offset)
    return pd.concat([a, b], ignore_index=True)


def test_each_scenario_is_paired_with_the_first_by_row_and_replicate():
    runs = _runs()
    table = scenario_table(runs.sample(frac=1, random_state=3), ["a", "b"], ["share_final_year"])
    assert list(table.columns) == list(COLUMNS)
    first, second = table.iloc[0], table.iloc[1]
    assert first["scenario"] == "a" and math.isnan(first["difference"])
    assert first["median"] == pytest.approx(np.median(np.linspace(0.2, 0.6, 20)))
    differences = 0.1 + np.linspace(-0.02, 0.02, 20)
    assert second["difference"] == pytest.approx(np.median(differences))
    assert second["difference_low"] == pytest.approx(np.quantile(differences, 0.05))
    assert second["difference_high"] == pytest.approx(np.quantile(differences, 0.95))
    assert second["mean_difference"] == pytest.approx(0.1)
    assert second["ci_low"] < 0.1 < second["ci_high"]
    assert second["pairs"] == 20 and second["runs"] == 20


def test_a_run_missing_from_either_scenario_leaves_its_pair_out():
    runs = _runs()
    failed = (runs["scenario"] == "b") & (runs["row"] == 1) & (runs["replicate"] == 4)
    table = scenario_table(runs[~failed], ["a", "b"], ["share_final_year"])
    assert table.loc[1, "runs"] == 19 and table.loc[1, "pairs"] == 19


def test_the_sentences_put_the_largest_difference_first():
    runs = _runs()
    c = runs[runs["scenario"] == "a"].assign(scenario="c", share_final_year=0.0)
    table = scenario_table(pd.concat([runs, c]), ["a", "b", "c"], ["share_final_year"])
    said = sentences(table, "share_final_year")
    assert [line.split(":")[0] for line in said] == ["c", "b"]
    assert said[1].startswith(
        "b: final-year share 50% against 40% in a, a paired difference of +10"
    )
    one = runs[(runs["row"] == 0) & (runs["replicate"] == 0)]
    (single,) = sentences(scenario_table(one, ["a", "b"], ["share_final_year"]), "share_final_year")
    assert single.endswith("(one pair of runs, so no interval)") and "n/a" not in single
    (alone,) = sentences(scenario_table(runs, ["a"], ["share_final_year"]), "share_final_year")
    assert alone.startswith("a: final-year share 40% (90% of 20 runs: ")


def test_scenarios_that_change_an_output_as_much_as_the_leader_are_named():
    runs = _runs()
    a = runs[runs["scenario"] == "a"]
    b = runs[runs["scenario"] == "b"]
    # d changes the share by a thousandth more than b: the leader, with b level with it;
    # e changes it by half as much.
    d = b.assign(scenario="d", share_final_year=b["share_final_year"] + 0.001)
    e = a.assign(scenario="e", share_final_year=a["share_final_year"] + 0.05)
    every = pd.concat([runs, d, e])
    table = scenario_table(every, ["a", "b", "d", "e"], ["share_final_year"])
    assert sentences(table, "share_final_year")[0].startswith("d:")
    assert as_much(every, table, "share_final_year") == (
        "b changes the final-year share as much as d: set against its runs pair by pair, the "
        "95% interval of the mean difference lies within 5% of its change"
    )
    without_b = scenario_table(every, ["a", "d", "e"], ["share_final_year"])
    assert as_much(every, without_b, "share_final_year") is None
    one = every[(every["row"] == 0) & (every["replicate"] == 0)]
    assert as_much(one, scenario_table(one, ["a", "b", "d"], ["share_final_year"]),
                   "share_final_year") is None  # fmt: skip


def test_the_shipped_counterfactuals_sweep_reports_and_briefs_its_scenarios(tmp_path, capsys):
    out = tmp_path / "counterfactuals"
    main(["sweep", "counterfactuals", "--out", str(out), "--executor", "serial"])
    report = (out / "report.md").read_text()
    # The command says what the report says of the final-year share, in plain text.
    printed = capsys.readouterr().out.split("What the sweep shows of the final-year share:\n")[1]
    said = [line.replace("**", "") for line in report.splitlines() if "final-year share" in line]
    assert printed.splitlines()[:-1] == [line for line in said if line.startswith("- ")]
    assert printed.splitlines()[-1] == f"report: {out / 'report.html'}"
    assert "Inputs varied: none." in report
    table = pd.read_csv(out / "scenarios.csv")
    share = table[table["output"] == "share_final_year"].set_index("scenario")
    assert len(share) == 8 and (share["runs"] == 50).all()
    # The directions the evidence expects (DOMAIN.md P2): interfaces everywhere raise
    # recording, none lower it.
    assert share.loc["all_integrated", "ci_low"] > 0 > share.loc["no_interfaces", "ci_high"]
    lines = [line for line in report.splitlines() if "a paired difference of" in line]
    assert len(lines) == 7 * 4 and all(
        "in sentinel_replay, a paired difference" in x for x in lines
    )
    # Each of the three that lift recording most takes the final-year share to about 100%.
    level = "buy_in_programme and all_integrated change the final-year share as much as "
    assert f"- {level}colocation_everywhere" in report
    assert (out / "figures" / "scenarios.png").stat().st_size > 0
    assert not (out / "response.csv").exists()
    main(["brief", str(out)])
    brief = (out / "brief" / "brief.md").read_text()
    assert "How does sharing in all_integrated" in brief
    answer = brief.split("**Answer.**")[1].splitlines()[0]
    assert "a paired difference of" in answer and level in answer
    assert (out / "brief" / "figure.png").is_file() and (out / "brief" / "scenarios.csv").is_file()
