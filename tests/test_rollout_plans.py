"""The worked example's three rollout plans move recording, latency and staff time the ways
docs/new-partnership.md explains, judged by paired 95% intervals over 40 replicates (common
random numbers and the same behaviour drawn per replicate), with a negative control that shows
the check can fail.

Directions asserted (not values): every plan raises the partnership's recording and buy-in,
shortens the wait to learn of a case and cuts staff time on sharing (DOMAIN.md finding 3, P5,
P13); interfaces first spends less staff time on sharing than either other plan (it alone
removes double keying, P2, P5). On recording the plans are not ranked: under the calibrated
behaviour a replicate either tips into near-full recording or fades, each plan tips most of
the fading ones, and the differences between plans are small and their intervals cover or
barely clear zero depending on the seeds (so no direction is asserted); interfaces first
leaves every partner's interface live; the plans that raise recording without building
interfaces bring more interfaces live than no plan (working interfaces seen through one's
own use, P12, and buy-in to decide to build, P4); the partner already recording gains less
than the partnership.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sim.comparison import compare_results
from sim.metrics import summary_metrics
from sim.run import RunResult, run
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


@pytest.mark.parametrize("plan", PLANS)
def test_every_plan_shortens_the_wait_and_saves_staff_time(runs, plan: str) -> None:
    """More cases on the system reach partners the same day, and fewer go by e-mail (P5, P13)."""
    table = paired(runs, "harrowdale", f"harrowdale_{plan}")
    for metric in ("latency_final_year", "sharing_hours_final_year"):
        assert table.loc[metric, "ci_high"] < 0, (plan, metric, table.loc[metric].to_dict())
    assert table.loc["saved_hours_final_year", "ci_low"] > 0, plan


@pytest.mark.parametrize("other", ["colocation_first", "training_mandate_first"])
def test_interfaces_first_spends_least_staff_time_on_sharing(runs, other: str) -> None:
    """Only interfaces remove double keying: every recorded case of a partner without one costs
    minutes twice (DOMAIN.md P2, P5), however much the other plans raise recording."""
    table = paired(runs, f"harrowdale_{other}", "harrowdale_interfaces_first")
    metric = "sharing_hours_final_year"
    assert table.loc[metric, "ci_high"] < 0, (other, table.loc[metric].to_dict())


def test_interfaces_first_leaves_every_interface_live(runs) -> None:
    result, metrics = runs["harrowdale_interfaces_first"]
    assert (metrics["interfaces_live"] == len(result.trajectory.names)).all()


@pytest.mark.parametrize("plan", ["colocation_first", "training_mandate_first"])
def test_raising_recording_brings_more_interfaces_live(runs, plan: str) -> None:
    """A partner scopes and decides with the working interfaces it has seen through its own use
    (P12) and builds only with enough buy-in (P4): plans that raise recording speed both."""
    table = paired(runs, "harrowdale", f"harrowdale_{plan}")
    assert table.loc["interfaces_live", "ci_low"] > 0, (plan, table.loc["interfaces_live"])


def _lag_behind_the_early_adopter(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per replicate: the partnership's final-year share minus the early adopter's."""
    own = metrics[f"share_final_year.{EARLY_ADOPTER}"]
    return pd.DataFrame({"lag": metrics["share_final_year"] - own})


@pytest.mark.parametrize("plan", PLANS)
def test_the_partner_already_recording_gains_least(runs, plan: str) -> None:
    """Brackenford, near its ceiling, gains less than the partnership: the plan narrows the
    partnership's lag behind it. Tested on the paired difference of the two gains, replicate by
    replicate: both gains move with whether a replicate tips, so comparing their two intervals
    would count that shared spread twice."""
    (base, base_metrics), (result, metrics) = runs["harrowdale"], runs[f"harrowdale_{plan}"]
    lag = compare_results(
        base,
        result,
        _lag_behind_the_early_adopter(base_metrics),
        _lag_behind_the_early_adopter(metrics),
    ).table.loc["lag"]
    assert lag["ci_low"] > 0, (plan, lag.to_dict())


def test_negative_control_the_same_rollout_under_another_seed_moves_nothing(runs) -> None:
    """Not paired, so the interval is wide; it covers zero: the checks above can fail."""
    other = {"again": _run("harrowdale", seed=SEED + 1), "harrowdale": runs["harrowdale"]}
    table = paired(other, "harrowdale", "again")
    for metric in (
        "share_mean",
        "share_final_year",
        "buy_in_final",
        "latency_final_year",
        "sharing_hours_final_year",
    ):
        assert table.loc[metric, "ci_low"] < 0 < table.loc[metric, "ci_high"], metric
