"""Preparing runs: the replicates of a design row share the work of splitting and compiling
their inputs, and get exactly the engine inputs (and outputs) each would get alone."""

import dataclasses
import struct

import numpy as np

from sim.engine import Partnership, Schedule
from sim.run_inputs import Prepared, RunInputs, simulate_in_order
from sim.scenarios import Scenario

SEED = 11
REPLICATES = 3


def _rows(scenario: Scenario, count: int) -> list[dict[str, float]]:
    """``count`` design rows moving every uncertain input (parameters, partners, dates)."""
    rng = np.random.default_rng(5)
    ranges = scenario.uncertain_inputs()
    return [
        {name: low + (high - low) * float(rng.random()) for name, (low, high) in ranges.items()}
        for _ in range(count)
    ]


def _bits(prepared: Prepared) -> tuple:
    """Everything the engine gets from a prepared run, as exact bytes and bit patterns."""
    parameters = sorted((k, struct.pack("<d", v)) for k, v in prepared.parameters.items())
    compiled = prepared.compiled

    def arrays(record: Partnership | Schedule) -> list:
        return [
            (f.name, np.asarray(getattr(record, f.name)).tobytes())
            for f in dataclasses.fields(record)
        ]

    return (
        parameters,
        arrays(compiled.partnership),
        arrays(compiled.schedule),
        sorted(prepared.values.items()),
    )


def test_replicates_sharing_a_row_get_the_inputs_and_outputs_each_gets_alone():
    scenario = Scenario.load("sentinel_replay")
    rows = _rows(scenario, 4)
    shared = RunInputs(scenario, SEED)
    fast = [
        shared.prepare(row, replicate, given)
        for row, given in enumerate(rows)
        for replicate in range(REPLICATES)
    ]
    # Each run alone: its own RunInputs (nothing remembered) and its own copy of the row.
    alone = [
        RunInputs(scenario, SEED).prepare(row, replicate, dict(given))
        for row, given in enumerate(rows)
        for replicate in range(REPLICATES)
    ]
    assert [_bits(p) for p in fast] == [_bits(p) for p in alone]
    ours, theirs = simulate_in_order(fast, SEED), simulate_in_order(alone, SEED)
    for field in ("handled", "recorded", "buy_in", "attitude", "interface"):
        assert getattr(ours, field).tobytes() == getattr(theirs, field).tobytes()
    # Negative control: the rows differ, so equal inputs above are not vacuous.
    assert _bits(fast[0]) != _bits(fast[REPLICATES])


def test_a_row_changed_in_place_is_split_again():
    scenario = Scenario.load("sentinel_replay")
    [given] = _rows(scenario, 1)
    inputs = RunInputs(scenario, SEED)
    first = inputs.prepare(0, 0, given)
    given["decision_gain"] = first.parameters["decision_gain"] / 2
    given["blaby.staff"] = 3.0
    second = inputs.prepare(0, 1, given)
    assert second.parameters["decision_gain"] == first.parameters["decision_gain"] / 2
    assert second.compiled is not first.compiled
    assert _bits(second) == _bits(RunInputs(scenario, SEED).prepare(0, 1, dict(given)))
