"""Scenario discovery: PRIM finds a box it is known to be there, reads it as a sentence, and
rejects bad input with one line.

The known box: inputs uniform on [0, 1], the outcome holds where ``0.2 <= x1 <= 0.5`` and
``x2 > 0.7`` (9% of the runs), two further inputs do nothing. The negative control is an
outcome drawn at random, unrelated to any input: no box can be dense in it.
"""

from __future__ import annotations

import math
import warnings
from datetime import date

import numpy as np
import pandas as pd
import pytest

from sim.discovery import Box, discover
from sim.errors import InputError

SEED = 20240611
TOLERANCE = 0.03
"""How far a found bound may be from the true one (a box edge moves by a peel of 5% of the
runs in it, and 1,000 uniform points leave gaps of about 0.01 between neighbours)."""


def _sample(seed: int = SEED, n: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.uniform(size=(n, 4)), columns=["x1", "x2", "x3", "x4"])


def _truth(frame: pd.DataFrame) -> pd.Series:
    inside = frame["x1"].between(0.2, 0.5) & (frame["x2"] > 0.7)
    return inside.rename("the event")


@pytest.fixture(scope="module")
def known() -> tuple[pd.DataFrame, list[Box], list[warnings.WarningMessage]]:
    frame = _sample()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        boxes = discover(frame, ["x1", "x2", "x3", "x4"], _truth(frame))
    return frame, boxes, caught


def test_prim_recovers_a_known_box(known):
    _, boxes, _ = known
    assert len(boxes) == 1
    box = boxes[0]
    assert set(box.ranges) == {"x1", "x2"}
    (x1_low, x1_high), (x2_low, x2_high) = box.ranges["x1"], box.ranges["x2"]
    assert abs(x1_low - 0.2) < TOLERANCE and abs(x1_high - 0.5) < TOLERANCE
    assert abs(x2_low - 0.7) < TOLERANCE and x2_high == math.inf
    assert box.coverage >= 0.9 and box.density >= 0.9
    assert box.mass == pytest.approx(0.09, abs=0.03)


def test_a_box_holds_the_runs_its_statistics_count(known):
    frame, (box, *_), _ = known
    inside = box.contains(frame)
    holds = _truth(frame)
    assert inside.mean() == pytest.approx(box.mass)
    assert holds[inside].mean() == pytest.approx(box.density)
    assert inside[holds].mean() == pytest.approx(box.coverage)


def test_discovery_warns_of_nothing(known):
    _, _, caught = known
    assert [str(w.message) for w in caught] == []


def test_an_outcome_unrelated_to_the_inputs_gives_no_box():
    frame = _sample()
    rng = np.random.default_rng(SEED + 1)
    unrelated = pd.Series(rng.uniform(size=len(frame)) < 0.09, index=frame.index)
    assert discover(frame, ["x1", "x2", "x3", "x4"], unrelated) == []


def test_restrictions_that_are_not_significant_are_dropped():
    frame = _sample(SEED + 6)
    rng = np.random.default_rng(SEED + 106)
    # One run in twenty has its outcome flipped: noise that, with these seeds, tempts PRIM
    # into peeling x3 as well.
    noisy = _truth(frame) ^ (rng.uniform(size=len(frame)) < 0.05)
    kept = discover(frame, ["x1", "x2", "x3", "x4"], noisy)
    everything = discover(frame, ["x1", "x2", "x3", "x4"], noisy, significance=1.0)
    assert set(kept[0].ranges) == {"x1", "x2"}
    assert set(everything[0].ranges) > {"x1", "x2"}
    assert kept[0].density >= 0.8


def test_a_column_named_scenario_is_an_input_like_any_other():
    frame = _sample(n=600).rename(columns={"x1": "scenario"})
    holds = frame["scenario"].between(0.2, 0.5) & (frame["x2"] > 0.7)
    (box,) = discover(frame, ["scenario", "x2"], holds, max_boxes=1)
    assert set(box.ranges) == {"scenario", "x2"}


def test_describe_reads_as_one_sentence():
    box = Box(
        {"double_keying_cost": (-math.inf, 0.9), "functionality_cost": (0.2, 0.5)},
        coverage=0.85,
        density=0.92,
        mass=0.1,
        outcome="share above 80%",
    )
    assert box.describe() == (
        "double_keying_cost at most 0.9 and functionality_cost from 0.2 to 0.5: 85% of the runs "
        "with share above 80% fall here (coverage) and 92% of the runs here have it (density); "
        "10% of all runs are here"
    )
    assert (
        Box({"legal_risk": (0.25, math.inf)}, 1.0, 0.8, 0.2)
        .describe()
        .startswith("legal_risk at least 0.25: 100% of the runs with the outcome fall here")
    )
    assert Box({}, 1.0, 0.5, 1.0).conditions() == "anywhere in the ranges sampled"


def test_bounds_read_to_three_figures():
    # A bound halfway between Morris levels; a count; a go-live week keeps its week and date.
    box = Box(
        {"leicester_city.bureaucracy": (0.4666667, math.inf), "police.caseload": (1500.0, 4166.67)},
        1.0,
        0.8,
        0.3,
    )
    assert box.conditions() == (
        "leicester_city.bureaucracy at least 0.467 and police.caseload from 1500 to 4170"
    )
    week = Box({"melton.go_live_week": (52.5, math.inf)}, 1.0, 0.8, 0.3)
    assert (
        week.conditions(date(2011, 4, 4)) == "melton.go_live_week at least week 52.5 (2 Apr 2012)"
    )


def test_a_box_names_first_the_ranges_that_cut_most_and_can_count_the_rest():
    frame = _sample()
    # Holds where x1 < 0.15 (cuts 85% of x1's range) and x2 < 0.6 (cuts 40% of x2's).
    holds = pd.Series((frame["x1"] < 0.15) & (frame["x2"] < 0.6), name="low x1, lowish x2")
    (box,) = discover(frame, ["x2", "x1", "x3", "x4"], holds, max_boxes=1)
    assert list(box.ranges) == ["x1", "x2"]
    five = Box({f"x{i}": (0.1 * i, 0.5 + 0.1 * i) for i in range(5)}, 0.9, 0.9, 0.1)
    assert five.conditions(at_most=2) == (
        "x0 from 0 to 0.5 and x1 from 0.1 to 0.6 (and 3 more inputs narrowed less)"
    )
    assert five.conditions(at_most=5) == five.conditions() and "more" not in five.conditions()


def test_a_week_input_reads_with_its_dates_on_either_open_side():
    box = Box({"blaby.go_live_week": (-math.inf, 40.0), "launch.week": (10.0, math.inf)}, 1, 1, 1)
    assert box.conditions(date(2011, 4, 4)) == (
        "blaby.go_live_week at most week 40 (9 Jan 2012) and launch.week at least week 10 "
        "(13 Jun 2011)"
    )
    closed = Box({"blaby.go_live_week": (26.0, 52.0)}, 1, 1, 1)
    assert closed.conditions() == "blaby.go_live_week from week 26 to week 52"


def _bad_cases() -> dict[str, tuple[dict, str]]:
    frame = _sample(n=50)
    holds = _truth(frame)
    text = frame.assign(name=["a"] * len(frame))
    gap = frame.copy()
    gap.loc[3, "x2"] = np.nan
    return {
        "unknown input": (dict(frame=frame, inputs=["x1", "x22"], outcome=holds), "'x22'"),
        "no input": (dict(frame=frame, inputs=[], outcome=holds), "at least one input"),
        "input twice": (dict(frame=frame, inputs=["x1", "x1"], outcome=holds), "twice"),
        "text input": (dict(frame=text, inputs=["name"], outcome=holds), "'name'"),
        "missing value": (dict(frame=gap, inputs=["x1", "x2"], outcome=holds), "'x2'"),
        "never holds": (
            dict(frame=frame, inputs=["x1"], outcome=holds & False),
            "holds in none of the 50 runs",
        ),
        "always holds": (
            dict(frame=frame, inputs=["x1"], outcome=holds | True),
            "holds in all of the 50 runs",
        ),
        "numbers for an outcome": (
            dict(frame=frame, inputs=["x1"], outcome=frame["x2"]),
            "True or False",
        ),
        "another index": (
            dict(frame=frame, inputs=["x1"], outcome=holds.reset_index(drop=True)[:40]),
            "one per row",
        ),
        "threshold": (dict(frame=frame, inputs=["x1"], outcome=holds, threshold=0), "threshold"),
        "peel": (dict(frame=frame, inputs=["x1"], outcome=holds, peel_alpha=0.5), "peel_alpha"),
        "boxes": (dict(frame=frame, inputs=["x1"], outcome=holds, max_boxes=0), "max_boxes"),
    }


BAD = _bad_cases()


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line(case):
    arguments, words = BAD[case]
    with pytest.raises(InputError) as raised:
        discover(**arguments)
    message = str(raised.value)
    assert message.startswith("discover: ")
    assert "\n" not in message
    assert words in message
