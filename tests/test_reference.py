"""The engine against the per-agent reference model: equivalent in distribution (docking).

Each model runs on its own fixed list of seeds. For each docked statistic of a run (recording
shares, buy-in and attitude at the end, and the interface-state path: mean number of partners
in each stage over the run's weeks, and the share of weeks the funder's interface is live), a
Welch two one-sided test (TOST) at alpha = 0.05 on each side shows equivalence when the 90%
interval of the difference of means (engine minus reference) lies inside the margin:
``MARGIN_SD`` = 0.4 pooled standard deviations of that statistic (a small standardised
effect), and never less than ``FLOOR`` = 0.005 (for statistics that hardly vary).

Equivalence is shown at six parameter sets on the eventful toy (the registry defaults, three
sets on which every interface transition happens within a year, and two draws from the
calibrated scenario's posterior) and at the full replay. Negative controls change one
interface or recording parameter in the engine only; each must break equivalence on at least
one statistic, so the check has power and can fail.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from functools import partial
from multiprocessing import get_context

import numpy as np
import pytest
from reference_runs import STATISTICS, docked_statistics, reference_run
from scipy import stats
from toy import ACTIVE, toy_setup

from sim.arrays import Partnership, Schedule
from sim.engine import simulate, stack_parameters
from sim.params import PARAMETERS, defaults
from sim.posterior import Posterior
from sim.reference import ReferenceModel
from sim.scenarios import Scenario

ALPHA = 0.05
"""Size of each one-sided test: equivalence when the 90% interval lies inside the margin."""
MARGIN_SD = 0.4
"""Equivalence margin in pooled standard deviations of the statistic."""
FLOOR = 0.005
"""Smallest margin, for statistics that hardly vary between runs."""

WEEKS = 52
ENGINE_RUNS = 1000
REFERENCE_RUNS = 300
REPLAY_REFERENCE_RUNS = 200
"""Reference runs of the replay (half a second each). With 1,000 engine runs the 90% interval
of a difference is then about 0.13 pooled SD wide on each side, so a statistic with no real
difference fails the 0.4 SD margin with probability about 0.001 (100 runs would make it about
0.03, too often over ten statistics)."""
ENGINE_SEEDS = list(range(1000, 1000 + ENGINE_RUNS))
REFERENCE_SEEDS = list(range(REFERENCE_RUNS))
WORKERS = 2
"""Processes the reference runs are spread over (one a core of the machine the suite runs on);
each run depends only on its seed, so the statistics do not depend on how they are spread."""


EVALUATION_DRIVEN = dict(ACTIVE, interface_success_pull=0.0, interface_consider_rate=0.05)
"""Partners scope at a base rate and decide only when the evaluation asks them."""


@dataclasses.dataclass(frozen=True)
class Setup:
    """What both models run: a partnership and its schedule."""

    partnership: Partnership
    schedule: Schedule


def _engine(setup: Setup, params: dict[str, float]) -> dict[str, np.ndarray]:
    out = simulate(
        setup.partnership,
        setup.schedule,
        stack_parameters([params] * len(ENGINE_SEEDS)),
        ENGINE_SEEDS,
    )
    rows = [
        docked_statistics(
            out.handled[b], out.recorded[b], out.buy_in[b], out.interface[b], out.attitude[b]
        )
        for b in range(len(ENGINE_SEEDS))
    ]
    return {k: np.array([r[k] for r in rows]) for k in STATISTICS}


def _reference(
    setup: Setup, params: dict[str, float], seeds: list[int], pool: Executor
) -> dict[str, np.ndarray]:
    """The reference's docked statistics at each of ``seeds``, in seed order."""
    run = partial(reference_run, setup.partnership, setup.schedule, params)
    rows = list(pool.map(run, seeds, chunksize=max(1, len(seeds) // (4 * WORKERS))))
    return {k: np.array([r[k] for r in rows]) for k in STATISTICS}


def _tost(x: np.ndarray, y: np.ndarray) -> tuple[bool, float, float]:
    """Welch TOST of the means of ``x`` and ``y``: (equivalent, 90% interval low, high)."""
    margin = max(MARGIN_SD * np.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2), FLOOR)
    d = x.mean() - y.mean()
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    if vx + vy == 0:
        return abs(d) < margin, d, d
    df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    half = stats.t.ppf(1 - ALPHA, df) * np.sqrt(vx + vy)
    return bool(-margin < d - half and d + half < margin), d - half, d + half


def _not_equivalent(engine: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> dict:
    """The statistics on which equivalence is not shown, with their 90% intervals."""
    out = {}
    for k in STATISTICS:
        equivalent, low, high = _tost(engine[k], reference[k])
        if not equivalent:
            out[k] = (round(low, 4), round(high, 4))
    return out


def _toy() -> Setup:
    """The eventful toy (partner 0 the funder) with an Evaluation phase in its last quarter."""
    base = toy_setup(n_weeks=WEEKS, staff=(40, 6, 10, 5, 15))
    phase = np.full(WEEKS, 2, dtype=np.int64)
    phase[3 * WEEKS // 4 :] = 3
    return Setup(base.partnership, dataclasses.replace(base.schedule, phase=phase))


def _posterior_draws(count: int) -> list[dict[str, float]]:
    """Parameter sets drawn from the calibrated scenario's posterior (registry parameters
    only: the toy has no partners of the replay's), with the active toy's build time so
    that deliveries fall inside the toy's year."""
    calibrated = Scenario.load("sentinel_calibrated")
    posterior = calibrated.posterior
    assert isinstance(posterior, Posterior)
    rng = np.random.default_rng(5)
    rows = rng.choice(len(posterior), size=count, p=posterior.weights)
    draws = []
    for row in rows:
        values = dict(zip(posterior.inputs, posterior.sets[row], strict=True))
        point = {k: float(v) for k, v in values.items() if k in PARAMETERS}
        point["interface_build_weeks"] = ACTIVE["interface_build_weeks"]
        draws.append(dict(defaults(), **point))
    return draws


TOY_SETS = {
    "defaults": defaults(),
    "active": dict(defaults(), **ACTIVE),
    "active_low_threshold": dict(defaults(), **dict(ACTIVE, interface_buy_in_threshold=0.25)),
    "evaluation_driven": dict(defaults(), **EVALUATION_DRIVEN),
}

CONTROLS = [
    ("active", "interface_consider_rate", 2.0),
    ("active", "interface_success_pull", 2.0),
    ("active", "interface_build_weeks", 1.5),
    ("active", "workaround_rate", 0.5),
    ("active", "interface_buy_in_threshold", 1.25),
    ("active", "interface_value_half_life", 2.0),
    ("active", "control_priority", 0.5),
    ("evaluation_driven", "evaluation_decide_rate", 0.5),
]
"""Negative controls: (set, parameter, factor applied in the engine only). The evaluation rate
is inert at ``active`` (the pull of interfaces seen decides first) and the success pull at
``evaluation_driven`` (it is 0 there), so those pairs are not controls."""


@pytest.fixture(scope="module")
def toy() -> Setup:
    return _toy()


@pytest.fixture(scope="module")
def toy_sets() -> dict[str, dict[str, float]]:
    draws = _posterior_draws(2)
    return {**TOY_SETS, "posterior_0": draws[0], "posterior_1": draws[1]}


@pytest.fixture(scope="module")
def pool() -> Iterator[Executor]:
    with ProcessPoolExecutor(WORKERS, mp_context=get_context("spawn")) as executor:
        yield executor


@pytest.fixture(scope="module")
def reference_runs(toy, toy_sets, pool) -> dict[str, dict[str, np.ndarray]]:
    return {
        name: _reference(toy, params, REFERENCE_SEEDS, pool) for name, params in toy_sets.items()
    }


@pytest.mark.parametrize(
    "name",
    [
        "defaults",
        "active",
        "active_low_threshold",
        "evaluation_driven",
        "posterior_0",
        "posterior_1",
    ],
)
def test_engine_is_equivalent_to_the_reference(name, toy, toy_sets, reference_runs):
    engine = _engine(toy, toy_sets[name])
    assert not _not_equivalent(engine, reference_runs[name])


@pytest.mark.parametrize(("name", "parameter", "factor"), CONTROLS)
def test_a_changed_interface_parameter_is_detected(
    name, parameter, factor, toy, toy_sets, reference_runs
):
    params = toy_sets[name]
    changed = dict(params, **{parameter: params[parameter] * factor})
    assert _not_equivalent(_engine(toy, changed), reference_runs[name])


def test_a_changed_recording_parameter_is_detected(toy, toy_sets, reference_runs):
    params = toy_sets["defaults"]
    changed = dict(params, double_keying_cost=2.5, training_relief=0.0)
    missed = _not_equivalent(_engine(toy, changed), reference_runs["defaults"])
    assert "share_weeks_13_26" in missed, missed


@pytest.mark.slow
def test_engine_is_equivalent_to_the_reference_on_the_replay(pool):
    compiled = Scenario.load("sentinel_replay").compile()
    replay = Setup(compiled.partnership, compiled.schedule)
    seeds = REFERENCE_SEEDS[:REPLAY_REFERENCE_RUNS]
    reference = _reference(replay, compiled.parameters, seeds, pool)
    assert not _not_equivalent(_engine(replay, compiled.parameters), reference)


REFERENCE_DIGEST = "a1b3324fede2ddcf056d42bceaad6e24cfb314664a3383b4cbb6863f4e3da859"
"""The reference's weekly history and views on the toy, one run at each of three parameter
sets, as the reference gave them when it still read the schedule through ``getattr`` and
recomputed the partners' share on every call: a faster reference must give exactly the same
numbers (renewed only by a change of the rules)."""


def test_the_reference_gives_exactly_its_recorded_output(toy):
    digest = hashlib.sha256()
    for seed, name in enumerate(["defaults", "active", "evaluation_driven"]):
        model = ReferenceModel(toy.partnership, toy.schedule, TOY_SETS[name], rng=seed)
        while model.running:
            model.step()
        digest.update(json.dumps(model.history, sort_keys=True).encode())
        digest.update(np.ascontiguousarray(model.views).tobytes())
    assert digest.hexdigest() == REFERENCE_DIGEST
