"""The engine against the per-agent reference model: equal in distribution.

Each model runs the eventful toy setup on its own fixed list of seeds; for each main output a
two-sample Kolmogorov-Smirnov test must not reject equality at alpha = 0.001. A negative
control shows the same test rejects when a rule's parameter really differs, so the check
has power and can fail.
"""

import hashlib
import json

import numpy as np
import pytest
from toy import ks_pvalues, main_outputs, toy_setup

from sim.engine import simulate, stack_parameters
from sim.reference import ReferenceModel

ALPHA = 0.001
WEEKS = 52
REPLICATES = 40
ENGINE_SEEDS = list(range(1000, 1000 + REPLICATES))
REFERENCE_SEEDS = list(range(REPLICATES))


def _reference_outputs(setup, parameters, seed):
    model = ReferenceModel(setup.partnership, setup.schedule, parameters, rng=seed)
    while model.running:
        model.step()
    a = setup.partnership.n_partners
    rows = model.history
    arrays = {
        k: np.array([r[k] for r in rows], dtype=float).reshape(WEEKS, a)
        for k in ("handled", "recorded", "buy_in", "interface", "attitude")
    }
    return main_outputs(**arrays)


def _engine_outputs(setup, parameters, seeds):
    out = simulate(
        setup.partnership, setup.schedule, stack_parameters([parameters] * len(seeds)), seeds
    )
    return [
        main_outputs(
            out.handled[b], out.recorded[b], out.buy_in[b], out.interface[b], out.attitude[b]
        )
        for b in range(len(seeds))
    ]


@pytest.fixture(scope="module")
def setup():
    return toy_setup(n_weeks=WEEKS, staff=(40, 6, 10, 5, 15))


@pytest.fixture(scope="module")
def reference(setup):
    return [_reference_outputs(setup, setup.parameters, s) for s in REFERENCE_SEEDS]


def test_engine_equals_reference_in_distribution(setup, reference):
    engine = _engine_outputs(setup, setup.parameters, ENGINE_SEEDS)
    pvalues = ks_pvalues(engine, reference)
    assert min(pvalues.values()) > ALPHA, pvalues


def test_the_comparison_detects_a_real_difference(setup, reference):
    changed = dict(setup.parameters, double_keying_cost=2.5, training_relief=0.0)
    engine = _engine_outputs(setup, changed, ENGINE_SEEDS)
    pvalues = ks_pvalues(engine, reference)
    assert pvalues["share_weeks_13_26"] < ALPHA, pvalues


REFERENCE_DIGEST = "100c159e7fc47d5385533ef31516aa2822e44b797c9572b86c48a7fef97ff3d3"
"""The reference's weekly history and views on the toy setup, seed 0, as the reference gave
them when it still read the schedule and recomputed the partners' share on every call: a
faster reference must give exactly the same numbers (renewed only by a model change)."""


def test_the_reference_gives_exactly_its_recorded_output(setup):
    model = ReferenceModel(setup.partnership, setup.schedule, setup.parameters, rng=0)
    while model.running:
        model.step()
    text = json.dumps(model.history, sort_keys=True).encode()
    digest = hashlib.sha256(text + np.ascontiguousarray(model.views).tobytes()).hexdigest()
    assert digest == REFERENCE_DIGEST
