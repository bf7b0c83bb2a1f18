"""The worked example's three rollout plans move recording the ways docs/new-partnership.md
explains, judged by paired 95% intervals over 40 replicates (common random numbers and the
same behaviour drawn per replicate), with a negative control that shows the check can fail.

Directions asserted (not values): every plan raises the partnership's recording over the
plan-less rollout; interfaces first raises it more than training and a mandate first (double
keying is a cost on every case of every partner without an interface, DOMAIN.md P2 and
finding 3); interfaces first leaves every partner's interface live; the partner already
recording (prior use and an interface under way) gains less than the partnership.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sim.metrics import summary_metrics
from sim.run import RunResult, run
from sim.run_report import compare_results
from sim.scenarios import Scenario, examples_folder

REPLICATES = 40
SEED = 1
PLANS = ("interfaces_first", "colocation_first", "training_mandate_first")
EARLY_ADOPTER = "brackenford_borough_council"


def _run(name: str, seed: int = SEED) -> tuple[RunResult, pd.DataFrame]:
    result = run(
        Scenario.load(examples_folder() / f"{name}.toml"), seed=seed, replicates=REPLICATES
    )
    return result, summary_metrics(result.trajectory)


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[RunResult, pd.DataFrame]]:
    return {name: _run(name) for name in ("harrowdale", *(f"harrowdale_{p}" for p in PLANS))}


def paired(
    runs: dict[str, tuple[RunResult, pd.DataFrame]], first: str, second: str
) -> pd.DataFrame:
    """Per metric: the mean difference second - first and its 95% interval."""
    a, b = runs[first], runs[second]
    return compare_results(a[0], b[0], a[1], b[1]).table


@pytest.mark.parametrize("plan", PLANS)
def test_every_plan_raises_the_partnerships_recording(runs, plan: str) -> None:
    table = paired(runs, "harrowdale", f"harrowdale_{plan}")
    for metric in ("share_mean", "share_final_year", "buy_in_final"):
        assert table.loc[metric, "ci_low"] > 0, (plan, metric, table.loc[metric].to_dict())


def test_interfaces_first_beats_training_and_a_mandate_first(runs) -> None:
    table = paired(runs, "harrowdale_training_mandate_first", "harrowdale_interfaces_first")
    for metric in ("share_mean", "share_final_year"):
        assert table.loc[metric, "ci_low"] > 0, (metric, table.loc[metric].to_dict())


def test_interfaces_first_leaves_every_interface_live(runs) -> None:
    result, metrics = runs["harrowdale_interfaces_first"]
    assert (metrics["interfaces_live"] == len(result.trajectory.names)).all()


@pytest.mark.parametrize("plan", PLANS)
def test_the_partner_already_recording_gains_least(runs, plan: str) -> None:
    table = paired(runs, "harrowdale", f"harrowdale_{plan}")
    own = table.loc[f"share_final_year.{EARLY_ADOPTER}"]
    assert own["ci_high"] < table.loc["share_final_year", "ci_low"], (plan, own.to_dict())


def test_negative_control_the_same_rollout_under_another_seed_moves_nothing(runs) -> None:
    """Not paired, so the interval is wide; it covers zero: the checks above can fail."""
    other = {"again": _run("harrowdale", seed=SEED + 1), "harrowdale": runs["harrowdale"]}
    table = paired(other, "harrowdale", "again")
    for metric in ("share_mean", "share_final_year", "buy_in_final"):
        assert table.loc[metric, "ci_low"] < 0 < table.loc[metric, "ci_high"], metric
