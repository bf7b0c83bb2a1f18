"""The benchmark's anchors against the engine: equal in distribution.

The engine's speed is quoted against three anchors (``benchmarks/speed.py``); the two written
for speed, an agency-level Mesa model with numpy arrays of staff and a whole-array numpy
model, must implement the same rules or the comparison means nothing. Each runs the eventful
toy setup on its own fixed list of seeds, the engine on another; for each main output (and
the cross-partner views) a two-sample Kolmogorov-Smirnov test must not reject equality at
alpha = 0.001. A negative control shows the same test rejects an anchor whose parameter
really differs, so the check has power and can fail.
"""

import sys
from pathlib import Path

import pytest
from toy import ks_pvalues, toy_setup, trajectory_outputs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from anchors import agency_mesa, whole_array

from sim.engine import simulate, stack_parameters

ALPHA = 0.001
WEEKS = 52
REPLICATES = 40
ENGINE_SEEDS = list(range(1000, 1000 + REPLICATES))
ANCHOR_SEEDS = list(range(REPLICATES))
ANCHORS = {"agency_mesa": agency_mesa.simulate, "whole_array": whole_array.simulate}


@pytest.fixture(scope="module")
def setup():
    return toy_setup(n_weeks=WEEKS, staff=(40, 6, 10, 5, 15))


@pytest.fixture(scope="module")
def engine(setup):
    params = stack_parameters([setup.parameters] * REPLICATES)
    return trajectory_outputs(simulate(setup.partnership, setup.schedule, params, ENGINE_SEEDS))


def _anchor_outputs(name, setup, parameters):
    model = ANCHORS[name]
    return [
        outputs
        for seed in ANCHOR_SEEDS
        for outputs in trajectory_outputs(
            model(setup.partnership, setup.schedule, parameters, seed)
        )
    ]


@pytest.mark.parametrize("name", ANCHORS)
def test_anchor_equals_the_engine_in_distribution(setup, engine, name):
    pvalues = ks_pvalues(_anchor_outputs(name, setup, setup.parameters), engine)
    assert min(pvalues.values()) > ALPHA, pvalues


@pytest.mark.parametrize("name", ANCHORS)
def test_the_comparison_detects_a_real_difference(setup, engine, name):
    changed = dict(setup.parameters, double_keying_cost=2.5, training_relief=0.0)
    pvalues = ks_pvalues(_anchor_outputs(name, setup, changed), engine)
    assert pvalues["share_weeks_13_26"] < ALPHA, pvalues
