"""What a notebook shows for each object a user holds: one line saying what it is.

A result's repr must name it (scenario, seed, size) and state its headline, never dump the
arrays and tables it holds (tens of kilobytes for a scenario or a run).
"""

from __future__ import annotations

import pytest
from fake_results import fake_result

from sim import SharingModel, run
from sim.comparison import compare_results
from sim.headline import spread
from sim.metrics import summary_metrics
from sim.scenarios import Scenario
from sim.scenarios.locate import examples_folder
from sim.scenarios.new_partnership import from_partner_table

LONGEST = 260
"""The longest line a repr may be (a posterior's source, say, is a sentence)."""


def one_line(text: str) -> str:
    assert "\n" not in text and len(text) <= LONGEST, text
    assert text.startswith("<") and text.endswith(">"), text
    return text


@pytest.fixture(scope="module")
def runs():
    return run("sentinel_replay", seed=2, replicates=3), run("no_interfaces", seed=2, replicates=3)


def test_a_scenario_names_itself_and_its_size() -> None:
    scenario = Scenario.load("sentinel_calibrated")
    text = one_line(repr(scenario))
    assert text.startswith("<Scenario 'sentinel_calibrated' from ")
    assert f"{len(scenario.partner_names)} partners, {scenario.weeks} weeks from 2011-04-04" in text
    assert f"{len(scenario.uncertain_inputs())} uncertain inputs" in text
    posterior = scenario.posterior
    assert posterior is not None
    assert f"a posterior of {len(posterior)} sets over {len(posterior.inputs)} of them" in text
    assert one_line(repr(posterior)).startswith(
        f"<Posterior: {len(posterior)} weighted sets over {len(posterior.inputs)} inputs, from "
    )
    compiled = scenario.compile()
    assert one_line(repr(compiled)) == (
        f"<CompiledScenario 'sentinel_calibrated': 11 partners, 156 weeks from 2011-04-04; "
        f"{len(compiled.parameters)} parameters, {len(compiled.inputs)} inputs>"
    )
    assert "posterior" not in repr(Scenario.load("sentinel_replay"))


def test_a_run_states_its_headline(runs) -> None:
    replay, _ = runs
    share = spread(summary_metrics(replay.trajectory)["share_final_year"]).text("share")
    assert "(90% of runs: " in share
    assert one_line(repr(replay)) == (
        "<RunResult 'sentinel_replay', seed 2: 3 replicates x 156 weeks x 11 partners; "
        f"final-year share {share}>"
    )
    assert one_line(repr(replay.trajectory)) == "<Trajectory: 3 runs x 156 weeks x 11 partners>"
    alone = run("sentinel_replay", seed=2, replicates=1)
    assert "1 replicate x 156 weeks" in repr(alone) and repr(alone).endswith("(one run)>")


def test_a_comparison_states_the_difference(runs) -> None:
    replay, other = runs
    comparison = compare_results(
        replay, other, summary_metrics(replay.trajectory), summary_metrics(other.trajectory)
    )
    row = comparison.table.loc["share_final_year"]
    text = one_line(repr(comparison))
    assert text.startswith("<Comparison 'sentinel_replay' -> 'no_interfaces': 3 pairs; ")
    assert f"final-year share {100 * row['difference']:+.0f} points (90% of runs: " in text


def test_a_sensitivity_result_names_method_subject_and_size() -> None:
    result = fake_result("morris", "category")
    assert one_line(repr(result)) == (
        f"<SensitivityResult morris of 'sentinel_replay', seed 4: {len(result.factors)} inputs "
        f"by category, {len(result.runs):,} runs; outputs {', '.join(result.outputs)}>"
    )


def test_a_new_partnership_does_not_print_its_file() -> None:
    new = from_partner_table(examples_folder() / "harrowdale.partners.csv", "harrowdale")
    text = one_line(repr(new))
    assert text.startswith("<NewPartnership 'harrowdale': ")
    assert text.endswith(f"; {new.stated} values stated, {new.assumed} assumed>")


def test_the_mesa_model_and_its_agents_say_where_they_stand() -> None:
    model = SharingModel("sentinel_replay", rng=5)
    assert one_line(repr(model)).endswith("week 0 of 156, 11 partners, 229 staff; not stepped>")
    for _ in range(3):
        model.step()
    share = f"{model.partnership_share:.0%}"
    assert repr(model) == (
        f"<SharingModel 'sentinel_replay', seed 5: week 3 of 156, 11 partners, 229 staff; "
        f"last week's share {share}>"
    )
    partner = model.partners[1]
    assert one_line(repr(partner)) == (
        f"<Partner 'Blaby' (district), week 3: buy-in {partner.buy_in:.2f}, interface "
        f"{partner.interface_stage}, recorded {partner.recorded} of {partner.handled} cases>"
    )
    person = partner.staff[0]
    assert one_line(repr(person)).startswith(f"<Staff {person.index} of 'Blaby', week 3: ")
    assert f"{person.tenure} weeks in post>" in repr(person)
