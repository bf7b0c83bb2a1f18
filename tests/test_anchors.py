"""The benchmark's anchors against the engine: equal in distribution, under the same rules.

The engine's speed is quoted against three anchors (``benchmarks/speed.py``); the two written
for speed, an agency-level Mesa model with numpy arrays of staff and a whole-array numpy
model, must implement the same rules or the comparison means nothing: the interface
decisions (scoping, deciding to build or decline, also when the evaluation asks, waiting,
working around, delivery), co-location through contact (trust and chasing) and the
recording decision, with what sharing bought computed from their counts. Each runs the
eventful toy (with an evaluation phase in its last quarter) on its own fixed list of seeds,
the engine on another, at the registry defaults and at a parameter set on which every
interface transition happens within the year; for each main output (recording shares,
interface-stage occupancy, latency and staff hours saved, cross-partner views; see
``toy.trajectory_outputs``) a two-sample Kolmogorov-Smirnov test must not reject equality at
alpha = 0.001. Negative controls show the same test rejects an anchor whose recording or
interface parameter really differs, so the check has power and can fail.
"""

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
from toy import ACTIVE, ks_pvalues, toy_setup, trajectory_outputs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from anchors import agency_mesa, whole_array

from sim.engine import simulate, stack_parameters
from sim.params import defaults

ALPHA = 0.001
WEEKS = 52
REPLICATES = 60
ENGINE_SEEDS = list(range(1000, 1000 + REPLICATES))
ANCHOR_SEEDS = list(range(REPLICATES))
ANCHORS = {"agency_mesa": agency_mesa.simulate, "whole_array": whole_array.simulate}


SETS = {"defaults": defaults(), "active": dict(defaults(), **ACTIVE)}


@pytest.fixture(scope="module")
def setup():
    base = toy_setup(n_weeks=WEEKS, staff=(40, 6, 10, 5, 15))
    phase = np.full(WEEKS, 2, dtype=np.int64)
    phase[3 * WEEKS // 4 :] = 3
    return dataclasses.replace(base, schedule=dataclasses.replace(base.schedule, phase=phase))


@pytest.fixture(scope="module")
def engine(setup):
    def outputs(params):
        stacked = stack_parameters([params] * REPLICATES)
        return trajectory_outputs(
            simulate(setup.partnership, setup.schedule, stacked, ENGINE_SEEDS)
        )

    return {name: outputs(params) for name, params in SETS.items()}


def _anchor_outputs(name, setup, parameters):
    model = ANCHORS[name]
    return [
        outputs
        for seed in ANCHOR_SEEDS
        for outputs in trajectory_outputs(
            model(setup.partnership, setup.schedule, parameters, seed)
        )
    ]


@pytest.mark.parametrize("parameters", SETS)
@pytest.mark.parametrize("name", ANCHORS)
def test_anchor_equals_the_engine_in_distribution(setup, engine, name, parameters):
    pvalues = ks_pvalues(_anchor_outputs(name, setup, SETS[parameters]), engine[parameters])
    assert min(pvalues.values()) > ALPHA, pvalues


@pytest.mark.parametrize("name", ANCHORS)
def test_the_comparison_detects_a_changed_recording_rule(setup, engine, name):
    changed = dict(SETS["defaults"], double_keying_cost=2.5, training_relief=0.0)
    pvalues = ks_pvalues(_anchor_outputs(name, setup, changed), engine["defaults"])
    assert pvalues["share_weeks_13_26"] < ALPHA, pvalues


INTERFACE_CONTROLS = [
    ({"interface_build_weeks": 24.0}, "occupancy_live"),
    ({"interface_buy_in_threshold": 0.5}, "occupancy_declined"),
]
"""Interface rules changed in the anchor only, and the output each change must show in."""


@pytest.mark.parametrize(("change", "output"), INTERFACE_CONTROLS)
@pytest.mark.parametrize("name", ANCHORS)
def test_the_comparison_detects_a_changed_interface_rule(setup, engine, name, change, output):
    changed = dict(SETS["active"], **change)
    pvalues = ks_pvalues(_anchor_outputs(name, setup, changed), engine["active"])
    assert pvalues[output] < ALPHA, pvalues
