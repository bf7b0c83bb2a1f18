"""Outcomes of interest and the conditions under which they hold: an outcome is read from
``OUTPUT>=VALUE`` (bad text is one line), and scenario discovery is called through the
interface of :func:`sim.discovery.discover` (here a stand-in returning a known box), or says
why it was not tried."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

import sim.outcomes as outcomes
from sim.discovery import Box
from sim.outcomes import DEFAULT_OUTCOME, OutcomeError, conditions, conditions_table, parse_outcome


@pytest.fixture
def discovery(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """A stand-in for PRIM whose ``discover`` records its call and returns the box where
    ``x <= 0.5`` (what PRIM finds on :func:`runs`)."""
    calls: list[tuple] = []

    def discover(frame, inputs, outcome, **options):  # type: ignore[no-untyped-def]
        calls.append((frame.copy(), list(inputs), outcome.copy()))
        return [Box({"x": (0.0, 0.5)}, 0.95, 0.9, 0.5, options["label"])]

    monkeypatch.setattr(outcomes, "discover", discover)
    return calls


def runs(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    x, z = rng.uniform(0, 1, n), rng.uniform(0, 1, n)
    return pd.DataFrame({"x": x, "z": z, "const": 1.0, "share_final_year": 1.0 - x})


def test_an_outcome_is_read_and_said_in_words():
    outcome = parse_outcome(DEFAULT_OUTCOME, ["share_final_year"])
    assert outcome.describe() == "final-year share at least 80%"
    assert str(parse_outcome(" staff_hours < 12.5 ")) == "staff_hours<12.5"
    held = outcome.holds(pd.DataFrame({"share_final_year": [0.9, 0.5, None]}))
    assert held.tolist() == [True, False, False]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("share_final_year=0.8", "write it as OUTPUT>=VALUE"),
        (">= 0.8", "write it as"),
        ("share_final_year >= high", "write it as"),
        ("share_final_yaer>=0.8", "did you mean 'share_final_year'"),
    ],
)
def test_a_bad_outcome_is_one_line(text, fragment):
    with pytest.raises(OutcomeError, match=fragment) as caught:
        parse_outcome(text, ["share_final_year", "share_mean"])
    assert "\n" not in str(caught.value)


def test_discovery_gets_the_varied_inputs_and_the_outcome_per_run(discovery):
    frame = runs()
    outcome = parse_outcome("share_final_year>=0.5")
    found = conditions(frame, ["x", "z", "const"], outcome)
    assert not found.note and len(found.boxes) == 1
    sent, inputs, holds = discovery[0]
    assert inputs == ["x", "z"], "an input that does not vary is not offered to PRIM"
    assert list(sent.columns) == ["x", "z"] and holds.dtype == bool
    assert holds.tolist() == (frame["share_final_year"] >= 0.5).tolist()
    line = found.lines()[0]
    assert line.startswith("x from 0 to 0.5: 95% of the runs with final-year share at least 50%")
    assert "90% of the runs here have it (density)" in line
    table = conditions_table({"s": found})
    assert table[["group", "box", "input", "low", "high"]].values.tolist() == [
        ["s", 1, "x", 0.0, 0.5]
    ]


def test_discovery_is_not_tried_where_it_cannot_say_anything(discovery):
    outcome = parse_outcome("share_final_year>=0.5")
    assert "fewer than" in conditions(runs(10), ["x"], outcome).note
    assert conditions(runs(), ["const"], outcome).note == "no input varies"
    always = parse_outcome("share_final_year>=-1")
    assert "holds in every run" in conditions(runs(), ["x"], always).note
    assert not discovery, "PRIM is not called when there is nothing to find"


def test_a_box_open_on_a_week_input_reads_with_its_date_through_real_prim():
    """PRIM leaves a side open (infinite) where the box does not restrict it; on a week input
    the sentence names the other side's week and date, as a report and a brief print it."""
    rng = np.random.default_rng(5)
    week = rng.uniform(20, 80, 300)
    frame = pd.DataFrame(
        {"police.go_live_week": week, "noise": rng.uniform(0, 1, 300), "share_mean": 1 - week / 100}
    )
    outcome = parse_outcome("share_mean>=0.5")
    found = conditions(frame, ["police.go_live_week", "noise"], outcome)
    (box,) = found.boxes
    low, high = box.ranges["police.go_live_week"]
    assert low == -np.inf and 48 < high <= 50
    (line,) = found.lines(date(2011, 4, 4))
    assert line.startswith(f"police.go_live_week at most week {high:g} (")
    assert f"of the runs with {outcome.describe()} fall here (coverage)" in line
