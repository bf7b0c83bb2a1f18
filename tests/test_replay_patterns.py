"""The replay shows the patterns of the evidence, and counterfactuals move sharing the way
the evidence expects (shared/DOMAIN.md P2, P4, P7, P8 and the framework's directions).

Each comparison runs both scenarios on the same seeds (common random numbers) and tests the
paired differences of the final-year partnership share with a one-sided Wilcoxon signed-rank
test at alpha = 0.001.
"""

import numpy as np
import pytest
from scipy.stats import wilcoxon

from sim.metrics import interface_positions, slug, summary_metrics
from sim.run import run

SEED = 11
REPLICATES = 24
ALPHA = 0.001
INTEGRATED = ("Charnwood", "Melton")


@pytest.fixture(scope="module")
def replay():
    return run("sentinel_replay", seed=SEED, replicates=REPLICATES)


@pytest.fixture(scope="module")
def replay_metrics(replay):
    return summary_metrics(replay.trajectory)


def test_integrated_partners_record_close_to_all_their_cases(replay):
    summary = replay.summary()
    integrated = summary.loc[list(INTEGRATED), "share"]
    assert (integrated > 0.95).all(), integrated
    assert (summary.loc[list(INTEGRATED), "interface_live"] == 1).all()


def test_partners_without_an_interface_record_less(replay):
    summary = replay.summary()
    without = summary[summary["interface_live"] < 0.5]
    assert len(without) >= 5
    assert without["share"].max() < summary.loc[list(INTEGRATED), "share"].min()


def test_buy_in_and_recording_are_positively_rank_correlated(replay_metrics):
    rho = replay_metrics["buy_in_share_correlation"]
    assert rho.mean() > 0.3
    assert wilcoxon(rho, alternative="greater").pvalue < ALPHA


def test_the_2012_interface_position(replay):
    """P3: in 2012 only 4 of the 11 partners were considering an interface (or had one),
    read on 2012-07-02 (week 65), the date the calibration target uses."""
    positions = interface_positions(replay.trajectory.interface, week_2012=65, week_2014=147)
    assert np.median(positions["engaged_2012"]) == 4


@pytest.mark.parametrize(
    ("scenario", "direction"),
    [
        ("all_integrated", "greater"),
        ("colocation_everywhere", "greater"),
        ("buy_in_programme", "greater"),
        ("no_interfaces", "less"),
        ("delayed_delivery", "less"),
    ],
)
def test_counterfactuals_move_sharing_as_the_evidence_expects(scenario, direction, replay_metrics):
    other = summary_metrics(run(scenario, seed=SEED, replicates=REPLICATES).trajectory)
    difference = other["share_final_year"] - replay_metrics["share_final_year"]
    assert wilcoxon(difference, alternative=direction).pvalue < ALPHA, difference.describe()


def test_integrated_partners_keep_their_lead_per_partner(replay):
    frame = summary_metrics(replay.trajectory)
    for name in INTEGRATED:
        assert frame[f"interface_final.{slug(name)}"].eq(3).all()
