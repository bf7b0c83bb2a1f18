"""Sensitivity analysis of the Sentinel replay, through the sweep runner.

Budgets are small (a Sobol with n = 16 and a Morris with 4 trajectories): these tests check
plumbing, grouping and determinism, not the answer, which the analytic tests and the
benchmark cover.
"""

from __future__ import annotations

import typing

import pandas as pd
import pytest

from sim.parameter import CATEGORIES
from sim.params import PARAMETERS
from sim.scenarios import Scenario
from sim.scenarios.schema import PARTNER_DATE_FIELDS, PARTNER_NUMBER_FIELDS, Event
from sim.sensitivity import (
    SCENARIO_INPUT_CATEGORY,
    Execution,
    FactorError,
    SensitivityError,
    input_category,
    morris,
    scenario_factors,
    sobol,
)
from sim.sensitivity.folder import write_result_folder
from sim.sensitivity.scenario import factors_of


@pytest.fixture(scope="module")
def replay() -> Scenario:
    return Scenario.load("sentinel_replay")


def test_every_kind_of_scenario_input_has_a_framework_category():
    """The one mapping covers every partner field and every event type the schema knows."""
    event_types = [
        typing.get_args(model.model_fields["type"].annotation)[0]
        for model in typing.get_args(typing.get_args(Event)[0])
    ]
    kinds = [*PARTNER_NUMBER_FIELDS, *(f"{f}_week" for f in PARTNER_DATE_FIELDS), *event_types]
    for kind in [*kinds, "delivery_delay_weeks"]:
        assert SCENARIO_INPUT_CATEGORY[kind] in CATEGORIES, kind


def test_grouping_matches_registry_categories(replay):
    factors = scenario_factors(replay)
    # Constants that reach only the benefit outputs are left out unless named.
    output_only = {
        n for n in replay.uncertain_inputs() if n in PARAMETERS and PARAMETERS[n].output_only
    }
    assert output_only and {f.name for f in factors} == set(replay.uncertain_inputs()) - output_only
    for factor in factors:
        assert factor.category in CATEGORIES
        if factor.name in PARAMETERS:
            assert factor.category == PARAMETERS[factor.name].category
    categories = {f.name: f.category for f in factors}
    assert categories["blaby.go_live_week"] == "Project"
    assert categories["blaby.staff"] == "Organisation"
    assert categories["events.pilkington_inquest.magnitude"] == "External Environment"
    assert categories["events.upgrade_1.multiplier"] == "Technology"
    assert input_category(replay, "double_keying_cost") == "Process"
    registry_only = factors_of(replay, "parameters")
    assert {f.name for f in registry_only} <= set(PARAMETERS)
    organisation = factors_of(replay, ["Organisation"])
    assert {f.category for f in organisation} == {"Organisation"}


def test_unknown_inputs_and_bad_bounds_name_the_problem(replay):
    with pytest.raises(FactorError, match="did you mean 'double_keying_cost'"):
        factors_of(replay, ["double_keying_cots"])
    with pytest.raises(FactorError) as every:
        factors_of(replay, ["legal_risk", "pressure_weight", "legal_risk", "legal_risc"])
    assert [line.split(":")[0] for line in every.value.lines()] == [
        "inputs[1]",
        "inputs[2]",
        "inputs[3]",
    ]
    assert str(every.value).endswith("nothing to vary (and 2 more problems)")
    with pytest.raises(FactorError, match=r"inside its range"):
        factors_of(replay, "all", {"double_keying_cost": (0.0, 1.0)})
    with pytest.raises(SensitivityError, match="unknown output"):
        sobol(replay, n=16, seed=1, outputs=["share_finale_year"])


OUTPUTS = ["share_final_year", "share_mean", "buy_in_final", "share_final_year.melton"]


@pytest.fixture(scope="module")
def serial_sobol(replay):
    """Grouped Sobol (6 categories, n = 16, 2 replicates: 256 runs) in this process."""
    return sobol(
        replay,
        n=16,
        replicates=2,
        seed=4,
        outputs=OUTPUTS,
        bootstrap=200,
        execution=Execution(executor="serial"),
    )


def test_small_grouped_sobol_on_the_replay(serial_sobol):
    assert set(serial_sobol.indices["factor"]) == set(CATEGORIES)
    assert len(serial_sobol.design) == 16 * (len(CATEGORIES) + 2)
    assert len(serial_sobol.runs) == len(serial_sobol.design) * 2
    assert set(serial_sobol.indices["output"]) == set(OUTPUTS)
    assert serial_sobol.noise["noise_share"].between(0, 1).all()
    assert (serial_sobol.noise["noise_share"] > 0).all()  # the model is stochastic


@pytest.mark.parametrize("executor", ["process", "dask-local"])
def test_same_seed_same_indices_on_any_executor(replay, serial_sobol, executor, tmp_path):
    """Through run_design on 2 workers (a process pool, a Dask LocalCluster), the same seed
    gives bit-identical runs and indices; run again on the stored folder, it resumes."""
    other = sobol(
        replay,
        n=16,
        replicates=2,
        seed=4,
        outputs=OUTPUTS,
        bootstrap=200,
        execution=Execution(executor=executor, workers=2),
        out=tmp_path / "runs",
    )
    pd.testing.assert_frame_equal(serial_sobol.runs, other.runs, check_exact=True)
    pd.testing.assert_frame_equal(serial_sobol.indices, other.indices, check_exact=True)
    pd.testing.assert_frame_equal(serial_sobol.convergence, other.convergence, check_exact=True)
    resumed = sobol(
        replay,
        n=16,
        replicates=2,
        seed=4,
        outputs=OUTPUTS,
        bootstrap=200,
        execution=Execution(executor="serial"),
        out=tmp_path / "runs",
    )
    pd.testing.assert_frame_equal(serial_sobol.indices, resumed.indices, check_exact=True)


def test_small_morris_on_the_replay(replay, tmp_path):
    result = morris(
        replay,
        trajectories=4,
        replicates=2,
        seed=2,
        inputs="parameters",
        bootstrap=200,
        execution=Execution(executor="serial"),
    )
    k = len(factors_of(replay, "parameters"))
    assert len(result.design) == 4 * (k + 1)
    assert set(result.morris["factor"]) == {f.name for f in factors_of(replay, "parameters")}
    assert (result.morris["mu_star"] >= 0).all()
    assert (result.morris["noise_floor"] > 0).all()
    assert (
        result.morris.groupby("output")["rank"]
        .apply(lambda r: sorted(r) == list(range(1, k + 1)))
        .all()
    )
    written = write_result_folder(result, tmp_path / "morris")
    assert written["figure:morris_parameter"].stat().st_size > 10_000
    assert "noise" in written["brief.md"].read_text()
