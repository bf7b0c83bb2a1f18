"""The Mesa host: agents are views over the engine's arrays; outputs equal the engine's; the
model takes what a Mesa user passes (a scenario name, levers as keywords, ``rng``)."""

import multiprocessing
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest
from toy import toy_setup

from sim.agents import Partner, Staff
from sim.engine import INTERFACE_NAMES, InterfaceState, simulate, stack_parameters
from sim.errors import InputError
from sim.model import SharingModel
from sim.run import run
from sim.scenarios import Scenario
from sim.seeds import run_seed


def _run_model(setup, seed):
    model = SharingModel(setup, rng=seed)
    while model.running:
        model.step()
    return model


@pytest.mark.parametrize("seed", [0, 7, run_seed(3, 0, 2)])
def test_mesa_host_matches_the_engine_exactly(seed):
    setup = toy_setup(n_weeks=60)
    model = _run_model(setup, seed)
    engine = simulate(
        setup.partnership, setup.schedule, stack_parameters([setup.parameters]), [seed]
    )
    # Step 0 is the starting state; step w holds what week w produced (the engine's w - 1).
    frame = model.datacollector.get_agenttype_vars_dataframe(Partner).loc[1:]
    shape = (60, setup.partnership.n_partners)
    for column, expected in [
        ("handled", engine.handled),
        ("recorded", engine.recorded),
        ("buy_in", engine.buy_in),
        ("interface", np.asarray(INTERFACE_NAMES)[engine.interface]),
        ("attitude", engine.attitude),
    ]:
        assert np.array_equal(frame[column].to_numpy().reshape(shape), expected[0]), column
    partnership = model.datacollector.get_model_vars_dataframe().loc[1:]
    assert np.array_equal(partnership["partnership_share"].to_numpy(), engine.partnership_share[0])
    assert np.array_equal(model.views_network(), engine.views[0])
    assert model.week == 60 and not model.running
    hosted = model.trajectory()
    for name in ("handled", "recorded", "buy_in", "interface", "attitude", "pressure", "views"):
        assert np.array_equal(getattr(hosted, name), getattr(engine, name)), name


def test_agents_read_and_write_the_engine_arrays():
    setup = toy_setup(n_weeks=10)
    model = SharingModel(setup, rng=1)
    partner = model.partners[3]
    partner.buy_in = 0.95
    assert model.state.buy_in[0, 3] == 0.95
    person = partner.staff[0]
    person.attitude = 0.1
    assert model.state.attitude[0, person.index] == 0.1
    with pytest.raises(ValueError, match="buy_in"):
        partner.buy_in = 1.5
    model.step()
    assert partner.handled == int(model.state.handled[0, 3])
    assert sum(s.handled for s in partner.staff) == partner.handled


def test_changing_an_agent_changes_the_run():
    setup = toy_setup(n_weeks=30)
    baseline = _run_model(setup, 4)
    nudged = SharingModel(setup, rng=4)
    for partner in nudged.partners:
        partner.buy_in = 0.0
    while nudged.running:
        nudged.step()
    assert not np.array_equal(baseline.state.buy_in, nudged.state.buy_in)


AGENT_PROPERTIES = {
    Partner: {
        "name": str,
        "kind": str,
        "bureaucracy": float,
        "involvement": float,
        "caseload": float,
        "buy_in": float,
        "interface": InterfaceState,
        "interface_stage": str,
        "double_keying_cost": float,
        "live": bool,
        "handled": int,
        "recorded": int,
        "share": float,
        "mean_attitude": float,
    },
    Staff: {
        "attitude": float,
        "habit": float,
        "perceived_legal_risk": float,
        "trained": bool,
        "tenure": int,
        "handled": int,
        "recorded": int,
        "probability": float,
    },
}


@pytest.mark.parametrize("agent_type", [Partner, Staff])
def test_every_agent_class_honours_the_contract(agent_type):
    """One contract over every agent class: a Mesa agent, registered with the model, every
    documented attribute readable with its type and range, before and after a step."""
    setup = toy_setup(n_weeks=5)
    model = SharingModel(setup, rng=2)
    agents = model.agents_by_type[agent_type]
    assert len(agents) == (
        setup.partnership.n_partners if agent_type is Partner else setup.partnership.n_staff
    )
    for _ in range(2):
        for agent in agents:
            assert isinstance(agent, mesa.Agent) and agent.model is model
            for name, kind in AGENT_PROPERTIES[agent_type].items():
                value = getattr(agent, name)
                assert isinstance(value, kind), (name, type(value))
                if kind is float and name not in (
                    "caseload",
                    "double_keying_cost",
                    "perceived_legal_risk",
                ):
                    assert 0.0 <= value <= 1.0, (name, value)
            # A week is one synchronous update of every agent: an agent's own step says so.
            with pytest.raises(RuntimeError, match=r"model\.step\(\)"):
                agent.step()
        model.step()


def test_week_zero_is_collected_and_weeks_are_whole_numbers():
    setup = toy_setup(n_weeks=4)
    model = _run_model(setup, 5)
    frame = model.datacollector.get_agenttype_vars_dataframe(Partner)
    steps = frame.index.get_level_values("Step")
    assert steps.dtype == np.int64 and sorted(set(steps)) == [0, 1, 2, 3, 4]
    start = frame.loc[0]
    assert (start["handled"] == 0).all() and (start["recorded"] == 0).all()
    assert np.array_equal(start["buy_in"].to_numpy(), setup.partnership.initial_buy_in)
    assert list(start["interface"]) == [
        INTERFACE_NAMES[s] for s in setup.partnership.initial_interface
    ]
    assert len(model.datacollector.get_model_vars_dataframe()) == 5
    assert model.datacollector._collection_steps == [0, 1, 2, 3, 4]


def test_agents_cannot_be_stepped_one_by_one():
    model = SharingModel(toy_setup(n_weeks=3), rng=1)
    with pytest.raises(RuntimeError, match=r"model\.step\(\)"):
        model.agents.shuffle_do("step")
    assert model.week == 0


def test_a_scenario_by_name_path_or_object_runs_as_run_does(tmp_path: Path):
    """The same run whichever way the scenario is given; levers as keywords equal
    ``Scenario.replace``; the seed as ``run`` seeds its replicate 0."""
    base = Scenario.load("sentinel_replay")
    file = tmp_path / "copy.toml"
    file.write_text(base.to_toml())
    expected = run(base.replace(double_keying_cost=0.5), seed=3).trajectory
    for given in ("sentinel_replay", file, str(file), base, base.compile()):
        model = SharingModel(given, rng=run_seed(3, 0, 0), double_keying_cost=0.5)
        assert model.parameters["double_keying_cost"] == 0.5
        model.run_model()
        hosted = model.trajectory()
        for name in ("handled", "recorded", "buy_in", "interface", "views"):
            assert np.array_equal(getattr(hosted, name), getattr(expected, name)), (given, name)
    default = SharingModel(rng=1)
    assert default.scenario_name == "sentinel_replay" and default.week_start(0) == base.start_date


def test_rng_none_draws_a_seed_that_repeats_the_run():
    first = SharingModel(toy_setup(n_weeks=8), rng=None)
    again = SharingModel(toy_setup(n_weeks=8), rng=first.seed)
    first.run_model()
    again.run_model()
    assert np.array_equal(first.trajectory().recorded, again.trajectory().recorded)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"double_keyng_cost": 1.0}, "unknown parameter 'double_keyng_cost' (did you mean "),
        ({"double_keying_cost": 9.0}, "'double_keying_cost' = 9 is outside its range"),
        ({"double_keying_cost": "high"}, "'double_keying_cost' must be a number"),
        ({"seed": 3}, "rng="),
        ({"scenario": "sentinel_replai"}, "did you mean 'sentinel_replay'"),
        ({"scenario": "missing/nowhere.toml"}, "nowhere.toml"),
    ],
)
def test_bad_input_is_one_line_naming_it(kwargs, message):
    with pytest.raises(InputError) as raised:
        SharingModel(rng=1, **kwargs)
    assert message in str(raised.value) and "\n" not in str(raised.value)


@pytest.fixture
def restore_start_method():
    """``mesa.batch_run`` sets the process start method for the whole process; put it back."""
    method = multiprocessing.get_start_method(allow_none=True)
    yield
    multiprocessing.set_start_method(method, force=True)


def test_batch_run_grids_over_two_levers_with_readable_columns(restore_start_method):
    rows = mesa.batch_run(
        SharingModel,
        parameters={
            "scenario": "sentinel_replay",
            "double_keying_cost": [0.3, 3.0],
            "legal_risk": [0.0, 2.0],
        },
        rng=[11],
        display_progress=False,
    )
    frame = pd.DataFrame(rows)
    assert frame["RunId"].nunique() == 4
    assert frame["Step"].dtype == np.int64 and set(frame["Step"]) == {156}
    assert set(frame["scenario"]) == {"sentinel_replay"}
    assert set(frame["interface"]) <= set(INTERFACE_NAMES)
    assert frame["partner"].str.len().max() < 40  # names, not objects
    share = frame.groupby(["double_keying_cost", "legal_risk"])["partnership_share"].first()
    assert share[(0.3, 0.0)] > share[(3.0, 2.0)], "cheap sharing records more"
    # Each row is the model a notebook would build with the same keywords.
    one = SharingModel("sentinel_replay", rng=11, double_keying_cost=3.0, legal_risk=2.0)
    one.run_model()
    assert share[(3.0, 2.0)] == one.partnership_share


def test_the_old_names_of_the_partners_still_answer_with_a_deprecation_warning():
    """``agencies`` was the name of ``partners`` on the model and on run results."""
    model = SharingModel(toy_setup(n_weeks=2), rng=1)
    with pytest.warns(DeprecationWarning, match="SharingModel.partners"):
        assert model.agencies is model.partners
    result = run("sentinel_replay", seed=1)
    with pytest.warns(DeprecationWarning, match="RunResult.partners"):
        assert result.agencies is result.partners
