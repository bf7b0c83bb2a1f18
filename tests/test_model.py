"""The Mesa host: agents are views over the engine's arrays; outputs equal the engine's."""

import mesa
import numpy as np
import pytest
from toy import toy_setup

from sim.agents import Agency, Staff
from sim.engine import InterfaceState, simulate, stack_parameters
from sim.model import SharingModel
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
    frame = model.datacollector.get_agenttype_vars_dataframe(Agency)
    shape = (60, setup.partnership.n_agencies)
    for column, expected in [
        ("handled", engine.handled),
        ("recorded", engine.recorded),
        ("buy_in", engine.buy_in),
        ("interface", engine.interface),
        ("attitude", engine.attitude),
    ]:
        assert np.array_equal(frame[column].to_numpy().reshape(shape), expected[0]), column
    partnership = model.datacollector.get_model_vars_dataframe()
    assert np.array_equal(partnership["partnership_share"].to_numpy(), engine.partnership_share[0])
    assert np.array_equal(model.views_network(), engine.views[0])
    assert model.week == 60 and not model.running


def test_agents_read_and_write_the_engine_arrays():
    setup = toy_setup(n_weeks=10)
    model = SharingModel(setup, rng=1)
    agency = model.agencies[3]
    agency.buy_in = 0.95
    assert model.state.buy_in[0, 3] == 0.95
    person = agency.staff[0]
    person.attitude = 0.1
    assert model.state.attitude[0, person.index] == 0.1
    with pytest.raises(ValueError, match="buy_in"):
        agency.buy_in = 1.5
    model.step()
    assert agency.handled == int(model.state.handled[0, 3])
    assert sum(s.handled for s in agency.staff) == agency.handled


def test_changing_an_agent_changes_the_run():
    setup = toy_setup(n_weeks=30)
    baseline = _run_model(setup, 4)
    nudged = SharingModel(setup, rng=4)
    for agency in nudged.agencies:
        agency.buy_in = 0.0
    while nudged.running:
        nudged.step()
    assert not np.array_equal(baseline.state.buy_in, nudged.state.buy_in)


AGENT_PROPERTIES = {
    Agency: {
        "name": str,
        "kind": str,
        "bureaucracy": float,
        "involvement": float,
        "caseload": float,
        "buy_in": float,
        "interface": InterfaceState,
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


@pytest.mark.parametrize("agent_type", [Agency, Staff])
def test_every_agent_class_honours_the_contract(agent_type):
    """One contract over every agent class: a Mesa agent, registered with the model, every
    documented attribute readable with its type and range, before and after a step."""
    setup = toy_setup(n_weeks=5)
    model = SharingModel(setup, rng=2)
    agents = model.agents_by_type[agent_type]
    assert len(agents) == (
        setup.partnership.n_agencies if agent_type is Agency else setup.partnership.n_staff
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
        model.step()
