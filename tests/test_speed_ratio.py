"""Speed regressions are caught by ratios measured side by side, never by wall times.

The engine must stay at least 15x faster than the per-agent reference model for a single
run and 25x for a batch (the project's floors; measured here about 100-170x). Both models
run the Sentinel replay in this process, best of several repeats, so load on the machine
slows both alike.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from speed import measure

from sim.scenarios import Scenario

SINGLE_FLOOR = 15.0
BATCHED_FLOOR = 25.0


def test_engine_beats_the_reference_by_the_floors():
    ratios = measure(
        Scenario.load("sentinel_replay").compile(),
        reference_repeats=2,
        single_repeats=10,
        batch_size=32,
        batch_repeats=2,
    )
    assert ratios.single_ratio >= SINGLE_FLOOR, ratios
    assert ratios.batched_ratio >= BATCHED_FLOOR, ratios
