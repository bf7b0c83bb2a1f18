"""Scenario files: every shipped scenario loads, compiles and runs; the API keeps its promises."""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.engine import InterfaceState, Partnership, Schedule
from sim.parameter import CATEGORIES, PROVENANCES
from sim.params import PARAMETERS, uncertain_parameters
from sim.scenarios import (
    CompiledParts,
    CompiledScenario,
    Scenario,
    ScenarioError,
    ScenarioSpec,
    list_scenarios,
    slug,
)
from sim.scenarios.schema import (
    COLOCATION_INPUTS,
    EVENT_AMOUNT_FIELDS,
    INTERFACE_NAMES,
    PARTNER_NUMBER_FIELDS,
    PARTNER_VALUE_FIELDS,
)
from sim.scenarios.values import Given, Span
from sim.timeline import EVENT_TYPES, PHASES, week_of

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [name for name, _ in list_scenarios()]
CALIBRATED = ["sentinel_calibrated"]  # written by `sharesim calibrate`, not by hand
COUNTERFACTUALS = [name for name in SHIPPED if name not in ("sentinel_replay", *CALIBRATED)]


@pytest.fixture(scope="module")
def replay() -> Scenario:
    return Scenario.load("sentinel_replay")


# --- the contract every shipped scenario meets ------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_contract(name: str) -> None:
    scenario = Scenario.load(name)
    assert scenario.name == name
    assert scenario.description and "\n" not in scenario.description
    compiled = scenario.compile()
    assert isinstance(compiled, CompiledScenario)
    _check_compiled(scenario, compiled)

    # Every uncertain input at either end of its range still compiles.
    inputs = scenario.uncertain_inputs()
    for end in (0, 1):
        _check_compiled(scenario, scenario.compile({k: r[end] for k, r in inputs.items()}))

    run = pytest.importorskip("sim.run").run
    result = run(scenario, seed=1, replicates=2)
    handled = result.trajectory.handled
    assert handled.shape == (2, scenario.weeks, len(scenario.partner_names))
    assert np.all(result.trajectory.recorded <= handled)


def _check_compiled(scenario: Scenario, compiled: CompiledScenario) -> None:
    n_weeks, n_partners = scenario.weeks, len(scenario.partner_names)
    partnership, schedule = compiled.partnership, compiled.schedule
    assert isinstance(partnership, Partnership) and isinstance(schedule, Schedule)
    assert partnership.names == scenario.partner_names
    assert set(partnership.kinds) <= {"police", "district", "county", "unitary"}
    assert np.all(partnership.staff >= 1)
    assert np.all(np.isfinite(partnership.caseload)) and np.all(partnership.caseload >= 0)
    for unit in (partnership.involvement, partnership.bureaucracy, partnership.initial_buy_in):
        assert np.all((unit >= 0) & (unit <= 1))
    assert set(partnership.initial_interface.tolist()) <= {int(s) for s in InterfaceState}

    for name in (
        "live",
        "assurance",
        "mandate",
        "colocated",
        "training",
        "turnover_shock",
        "interface_forced",
    ):
        assert getattr(schedule, name).shape == (n_weeks, n_partners), name
    for name in ("project_active", "functionality", "pressure_impulse"):
        assert getattr(schedule, name).shape == (n_weeks,), name
    for name in ("assurance", "mandate", "training", "turnover_shock"):
        values = getattr(schedule, name)
        assert np.all((values >= 0) & (values <= 1)), name
    assert np.all(schedule.functionality >= 0) and np.all(schedule.pressure_impulse >= 0)
    # Going live, co-location and documentary assurance never go backwards.
    assert np.all(np.diff(schedule.live.astype(int), axis=0) >= 0)
    assert np.all(np.diff(schedule.colocated.astype(int), axis=0) >= 0)
    assert np.all(np.diff(schedule.assurance, axis=0) >= 0)
    assert set(compiled.parameters) == set(PARAMETERS)
    assert all(math.isfinite(v) for v in compiled.parameters.values())


def test_shipped_files_are_the_listed_ones() -> None:
    files = sorted(p.stem for p in (ROOT / "sim" / "scenarios").glob("*.toml"))
    assert files == SHIPPED
    assert len(COUNTERFACTUALS) >= 6
    assert all(desc for _, desc in list_scenarios())


@pytest.mark.parametrize("name", COUNTERFACTUALS)
def test_counterfactuals_extend_the_replay(name: str) -> None:
    text = (ROOT / "sim" / "scenarios" / f"{name}.toml").read_text()
    assert re.search(r'^extends = "sentinel_replay"$', text, re.MULTILINE)
    assert text.startswith("# Counterfactual:")
    assert "Probes DOMAIN.md" in text
    assert Scenario.load(name).partner_names == Scenario.load("sentinel_replay").partner_names


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_round_trips(name: str) -> None:
    scenario = Scenario.load(name)
    again = Scenario.from_toml(scenario.to_toml())
    assert again == scenario
    assert again.content_hash() == scenario.content_hash()


# --- the replay says what the evidence says ---------------------------------------------


def test_replay_partners_and_roles(replay: Scenario) -> None:
    assert len(replay.partner_names) == 11  # DOMAIN.md P1
    kinds = [replay.partner(n).kind for n in replay.partner_names]
    assert kinds.count("district") == 7 and kinds.count("unitary") == 2
    assert kinds.count("police") == 1 and kinds.count("county") == 1
    charnwood = replay.partner("Charnwood")
    assert charnwood.contract_holder.value and charnwood.prior_use.value
    assert replay.partner("Leicestershire Police").funder.value
    others = [n for n in replay.partner_names if n != "Charnwood"]
    assert not any(replay.partner(n).prior_use.value for n in others)


def test_replay_interface_position_in_2012(replay: Scenario) -> None:
    """DOMAIN.md P2 and P3: four partners with an interface in view, Charnwood and Melton."""
    compiled = replay.compile()
    states = dict(zip(replay.partner_names, compiled.partnership.initial_interface, strict=True))
    in_view = {n for n, s in states.items() if s != InterfaceState.NONE}
    assert len(in_view) == 4 and {"Charnwood", "Melton"} <= in_view
    assert states["Charnwood"] == InterfaceState.LIVE
    melton = replay.partner_names.index("Melton")
    assert compiled.schedule.interface_forced[:, melton].sum() == 1


def test_replay_timeline(replay: Scenario) -> None:
    compiled = replay.compile()
    schedule = compiled.schedule
    assert replay.start_date == date(2011, 4, 4) and replay.weeks == 156
    charnwood = replay.partner_names.index("Charnwood")
    assert schedule.live[0, charnwood] and schedule.live[:, charnwood].all()
    first_live = schedule.live.argmax(axis=0)
    assert len(set(first_live.tolist())) > 5  # staggered go-lives
    assert schedule.colocated[-1].sum() == 2  # DOMAIN.md P7: two councils
    assert schedule.pressure_impulse[0] > 0  # the 2009 inquest, entered at week 0
    may_2011 = week_of(date(2011, 5, 16), replay.start_date)
    assert schedule.pressure_impulse[may_2011] > 0  # the May 2011 report
    assert schedule.functionality[-1] < 1  # upgrades arrived
    phases = [e for e in replay.spec.events if e.type == "phase"]
    assert [e.phase for e in phases] == list(PHASES)
    assert not schedule.project_active[0] and schedule.project_active[-1]


def test_replay_staff_and_provenance(replay: Scenario) -> None:
    staff = replay.compile().partnership.staff
    assert 200 <= staff.sum() <= 500
    for partner in replay.spec.partners:
        for name in PARTNER_VALUE_FIELDS:
            value = getattr(partner, name)
            if value is not None:
                assert value.provenance in PROVENANCES and value.source.strip()
        # Numbers with no evidence are uncertain inputs, not invented precision.
        assert isinstance(partner.staff, Span) and partner.staff.provenance == "assumed"
        assert isinstance(partner.caseload, Span) and partner.caseload.provenance == "assumed"
    for event in replay.spec.events:
        assert event.provenance in PROVENANCES and event.source.strip()


# --- extends, remove_events, all_partners -----------------------------------------------


def _child(tmp_path: Path, text: str, name: str = "child.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_child_changes_only_what_differs(tmp_path: Path, replay: Scenario) -> None:
    path = _child(
        tmp_path,
        """
name = "child"
description = "Blaby larger; no second upgrade; a restructure."
extends = "sentinel_replay"
remove_events = ["upgrade_2"]

[[partners]]
name = "Blaby"
staff = { low = 8, high = 20, default = 12, provenance = "assumed", source = "test" }

[[events]]
id = "upgrade_1"
type = "functionality_upgrade"
when = 2012-06-04
multiplier = 0.5
provenance = "assumed"
source = "test"

[[events]]
type = "restructure"
partner = "Leicester City"
when = 2013-04-01
extra_leaving_share = 0.2
provenance = "assumed"
source = "test"

[parameters]
decision_gain = { value = 4.0, provenance = "assumed", source = "test" }
""",
    )
    child = Scenario.load(path)
    assert child.partner_names == replay.partner_names
    blaby, old = child.partner("Blaby"), replay.partner("Blaby")
    assert isinstance(blaby.staff, Span) and blaby.staff.default == 12
    assert blaby.caseload == old.caseload and blaby.go_live == old.go_live
    ids = [e.id for e in child.spec.events]
    assert "upgrade_2" not in ids and ids.count("upgrade_1") == 1
    assert ids.index("upgrade_1") == [e.id for e in replay.spec.events].index("upgrade_1")
    assert child.spec.events[-1].type == "restructure"
    inputs = child.uncertain_inputs()
    assert inputs["blaby.staff"] == (8, 20)
    assert "events.upgrade_2.week" not in inputs and "events.upgrade_1.week" not in inputs
    assert "decision_gain" not in inputs  # pinned by the child
    compiled = child.compile()
    assert compiled.parameters["decision_gain"] == 4.0
    assert compiled.partnership.staff[child.partner_names.index("Blaby")] == 12
    city = child.partner_names.index("Leicester City")
    assert compiled.schedule.turnover_shock[:, city].max() == pytest.approx(0.2)
    assert compiled.schedule.functionality[-1] == pytest.approx(0.5)
    # The parent is untouched.
    assert Scenario.load("sentinel_replay") == replay


def test_extends_chain_and_relative_paths(tmp_path: Path) -> None:
    _child(
        tmp_path,
        """
name = "middle"
description = "No interfaces."
extends = "no_interfaces"
delivery_delay_weeks = { value = 10, provenance = "assumed", source = "test" }
""",
        "middle.toml",
    )
    path = _child(
        tmp_path,
        """
name = "leaf"
description = "A new partner on top."
extends = "./middle.toml"

[[partners]]
name = "Leicestershire Fire"
kind = "county"
provenance = "assumed"
source = "test: a twelfth partner"
staff = 4
caseload = 2.0
involvement = 0.2
initial_buy_in = 0.3
bureaucracy = 0.5
assurance = 0.1
interface = "none"
interface_allowed = false
prior_use = false
go_live = 2012-04-02
""",
    )
    leaf = Scenario.load(path)
    assert len(leaf.partner_names) == 12 and leaf.partner_names[-1] == "Leicestershire Fire"
    fire = leaf.partner("Leicestershire Fire")
    assert fire.funder == Given[bool](
        value=False, provenance="assumed", source="test: a twelfth partner"
    )
    assert leaf.spec.delivery_delay_weeks is not None
    compiled = leaf.compile()
    assert compiled.partnership.n_partners == 12
    assert (compiled.partnership.initial_interface == InterfaceState.NONE).all()
    week = week_of(date(2012, 4, 2), leaf.start_date) + 10
    assert not compiled.schedule.live[week - 1, 11] and compiled.schedule.live[week, 11]


def test_all_partners_patch_applies_to_every_partner() -> None:
    everywhere = Scenario.load("colocation_everywhere")
    assert everywhere.compile().schedule.colocated[0].all()
    integrated = Scenario.load("all_integrated")
    assert (integrated.compile().partnership.initial_interface == InterfaceState.LIVE).all()
    assert all(p.interface.provenance == "assumed" for p in integrated.spec.partners)


def test_delayed_delivery_shifts_go_lives_and_upgrades(replay: Scenario) -> None:
    delayed = Scenario.load("delayed_delivery")
    base, late = replay.compile().schedule, delayed.compile().schedule
    first = base.live.argmax(axis=0)
    first_late = np.where(late.live.any(axis=0), late.live.argmax(axis=0), 10_000)
    charnwood = replay.partner_names.index("Charnwood")
    for a in range(len(first)):
        expected = first[a] if a == charnwood else first[a] + 52
        assert first_late[a] == (expected if expected < replay.weeks else 10_000)
    assert np.argmax(late.functionality < 1) == np.argmax(base.functionality < 1) + 52
    melton = replay.partner_names.index("Melton")
    assert (
        late.interface_forced[:, melton].argmax() == base.interface_forced[:, melton].argmax() + 52
    )
    # Training at go-live follows the go-live.
    assert late.training[first_late[0], 0] > 0


# --- replace, hashing, immutability -----------------------------------------------------


def test_replace_returns_new_scenario(replay: Scenario) -> None:
    before = replay.content_hash()
    better = replay.replace(double_keying_cost=0.5, decision_gain=4)
    assert replay.content_hash() == before and "double_keying_cost" not in replay.spec.parameters
    assert better.spec.parameters["double_keying_cost"].value == 0.5
    assert better.spec.parameters["double_keying_cost"].provenance == "assumed"
    assert better.content_hash() != before
    assert better.compile().parameters["double_keying_cost"] == 0.5
    assert "double_keying_cost" not in better.uncertain_inputs()
    assert "double_keying_cost" in replay.uncertain_inputs()
    ranged = replay.replace(
        decision_gain={"low": 2.0, "high": 4.0, "provenance": "assumed", "source": "test"}
    )
    assert ranged.uncertain_inputs()["decision_gain"] == (2.0, 4.0)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"double_keyng_cost": 1.0}, "did you mean 'double_keying_cost'"),
        ({"decision_gain": 20.0}, "parameters.decision_gain: parameter 'decision_gain' = 20"),
        ({"decision_gain": float("nan")}, "must be finite"),
        ({"decision_gain": True}, "must be a number"),
        (
            {"decision_gain": {"low": 2.0, "high": 30.0, "provenance": "assumed", "source": "t"}},
            "parameters.decision_gain: parameter 'decision_gain' = 30",
        ),
    ],
)
def test_replace_rejects_bad_values(
    replay: Scenario, overrides: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        replay.replace(**overrides)
    assert fragment in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("given", [42, 1.5, None, ["sentinel_replay"]])
def test_what_is_not_a_scenario_is_named_before_anything_runs(given: object) -> None:
    with pytest.raises(TypeError) as info:
        Scenario.of(given)  # type: ignore[arg-type]
    assert str(info.value) == (
        "a scenario is a Scenario, or the name or path of a scenario file; got "
        f"{type(given).__name__}"
    )
    with pytest.raises(TypeError, match="a scenario is a Scenario"):
        Scenario.of(Scenario.load("sentinel_replay").compile())  # type: ignore[arg-type]


def test_scenario_is_immutable(replay: Scenario) -> None:
    with pytest.raises(AttributeError):
        replay.spec = replay.spec  # type: ignore[misc]
    with pytest.raises(ValueError, match="frozen"):
        replay.spec.partners[0].staff = replay.spec.partners[1].staff  # type: ignore[misc]
    with pytest.raises(TypeError):
        replay.spec.parameters["decision_gain"] = None  # type: ignore[index]
    assert isinstance(replay.spec.partners, tuple) and isinstance(replay.spec.events, tuple)


def test_content_hash_is_stable(replay: Scenario) -> None:
    again = Scenario.load(ROOT / "sim" / "scenarios" / "sentinel_replay.toml")
    assert again == replay and again.content_hash() == replay.content_hash()
    assert re.fullmatch(r"[0-9a-f]{64}", replay.content_hash())
    hashes = {Scenario.load(name).content_hash() for name in SHIPPED}
    assert len(hashes) == len(SHIPPED)


# --- uncertain inputs and compile --------------------------------------------------------


def test_uncertain_inputs_are_named_and_valid(replay: Scenario) -> None:
    inputs = replay.uncertain_inputs()
    defaults = replay.input_defaults()
    assert inputs.keys() == defaults.keys()
    for name, (low, high) in inputs.items():
        assert math.isfinite(low) and math.isfinite(high) and low < high, name
        assert low <= defaults[name] <= high, name
    for param in uncertain_parameters():
        assert inputs[param.name] == (param.low, param.high)
    assert "pressure_weight" not in inputs  # external evidence: not an uncertain input
    assert inputs["blaby.staff"] == (3, 10)
    assert "blaby.go_live_week" in inputs and "charnwood.go_live_week" not in inputs
    assert inputs["colocation.pair"] == (0, 44)  # DOMAIN.md P7: any two of ten councils
    assert inputs["colocation.first_week"][0] >= 0 and "colocation.second_week" in inputs
    assert "events.upgrade_1.multiplier" in inputs and "events.upgrade_1.week" in inputs
    pattern = re.compile(r"^([a-z_]+|[a-z0-9_]+\.[a-z_]+|events\.[A-Za-z0-9_-]+\.[a-z_]+)$")
    assert all(pattern.match(name) for name in inputs)
    for name in inputs:
        if name.startswith("colocation."):
            assert name.split(".")[1] in COLOCATION_INPUTS
        elif "." in name and not name.startswith("events."):
            prefix, field = name.split(".")
            assert prefix in {slug(n) for n in replay.partner_names}
            assert field in PARTNER_NUMBER_FIELDS or field in ("go_live_week", "colocation_week")
        elif name.startswith("events."):
            assert name.split(".")[2] in ("week", *EVENT_AMOUNT_FIELDS)
        else:
            assert name in PARAMETERS or name == "delivery_delay_weeks"


def test_slugs_match_output_names(replay: Scenario) -> None:
    metrics = pytest.importorskip("sim.metrics")
    for name in [*replay.partner_names, "A--b  c!", "Ünïcode Council"]:
        assert slug(name) == metrics.slug(name)
    assert slug("Hinckley & Bosworth") == "hinckley_bosworth"


def test_uncertain_inputs_have_categories(replay: Scenario) -> None:
    categories = replay.input_categories()
    assert categories.keys() == replay.uncertain_inputs().keys()
    assert set(categories.values()) <= set(CATEGORIES)
    assert categories["decision_gain"] == PARAMETERS["decision_gain"].category
    assert categories["blaby.go_live_week"] == "Project"
    assert categories["events.ipcc_report.magnitude"] == "External Environment"


def test_compile_uses_given_values(replay: Scenario) -> None:
    compiled = replay.compile(
        {
            "blaby.staff": 9.6,
            "blaby.go_live_week": 40,
            "decision_gain": 5.0,
            "events.upgrade_1.multiplier": 0.7,
            "pressure_weight": 1.0,
        }
    )
    blaby = replay.partner_names.index("Blaby")
    assert compiled.partnership.staff[blaby] == 10
    assert compiled.schedule.live[:, blaby].argmax() == 40
    assert compiled.schedule.training[40, blaby] > 0
    assert compiled.parameters["decision_gain"] == 5.0
    assert compiled.parameters["pressure_weight"] == 1.0  # any registry parameter sweeps
    assert compiled.inputs["blaby.staff"] == 9.6
    assert compiled.inputs["harborough.staff"] == replay.input_defaults()["harborough.staff"]
    default = replay.compile()
    assert default.inputs == replay.input_defaults()


def _same_arrays(a: object, b: object) -> bool:
    return all(
        np.array_equal(getattr(a, name), getattr(b, name))
        for name in a.__dataclass_fields__  # type: ignore[attr-defined]
        if isinstance(getattr(a, name), np.ndarray)
    )


def test_compiled_parts_are_reused_only_where_their_inputs_are_equal(replay: Scenario) -> None:
    parts = CompiledParts()
    variants = [
        {"blaby.staff": 7.0, "decision_gain": 3.0},
        {"blaby.staff": 7.0, "events.upgrade_1.week": 60.0},  # a date: same partnership
        {"blaby.staff": 9.0, "events.upgrade_1.week": 60.0},  # staff: same timeline
        {"blaby.assurance": 0.2, "events.upgrade_1.week": 60.0},  # assurance is timeline
    ]
    memo = [replay.compile(values, parts) for values in variants]
    alone = [replay.compile(values) for values in variants]
    for kept, fresh in zip(memo, alone, strict=True):
        assert _same_arrays(kept.partnership, fresh.partnership)
        assert _same_arrays(kept.schedule, fresh.schedule)
        assert kept.parameters == fresh.parameters
    assert memo[1].partnership is memo[0].partnership
    assert memo[2].schedule is memo[1].schedule
    assert memo[1].schedule is not memo[0].schedule
    assert memo[2].partnership is not memo[1].partnership
    assert memo[3].schedule is not memo[1].schedule
    assert len(parts.partnerships) == 3 and len(parts.schedules) == 3


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"blaby.staff": 11}, "values['blaby.staff']: 11 is outside its range [3, 10]"),
        ({"blaby.go_live_week": -1}, "outside its range"),
        ({"decision_gain": 0.5}, "outside its range [1, 8]"),
        ({"pressure_weight": 9.0}, "outside its range"),
        ({"blaby.staf": 5}, "unknown input (did you mean 'blaby.staff'?)"),
        ({"nonsense": 1.0}, "unknown input"),
        ({"blaby.staff": float("nan")}, "outside its range"),
        ({"blaby.staff": float("inf")}, "inf is outside its range [3, 10]"),
        ({"blaby.staff": 10.5}, "10.5 is outside its range [3, 10]"),
        ({"blaby.staff": 2.999}, "2.999 is outside its range [3, 10]"),
        ({"blaby.staff": True}, "must be a number"),
    ],
)
def test_compile_rejects_bad_values(
    replay: Scenario, values: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        replay.compile(values)
    message = str(info.value)
    assert fragment in message and "sentinel_replay" in message and "\n" not in message


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    number=st.one_of(
        st.floats(min_value=2.0, max_value=11.0), st.sampled_from([3.0, 10.0, -0.0, math.inf])
    ),
    kind=st.sampled_from([float, int, np.float64]),
)
def test_compile_takes_a_number_exactly_when_it_is_finite_and_in_range(
    replay: Scenario, number: float, kind: type
) -> None:
    """Floats, integers and numpy floats alike: in range, the value is used as given."""
    value = kind(number) if math.isfinite(number) or kind is not int else number
    low, high = replay.uncertain_inputs()["blaby.staff"]
    if math.isfinite(value) and low <= value <= high:
        compiled = replay.compile({"blaby.staff": value})
        assert compiled.inputs["blaby.staff"] == float(value)
        assert compiled.partnership.staff[1] == np.rint(float(value))
    else:
        with pytest.raises(ScenarioError, match="outside its range"):
            replay.compile({"blaby.staff": value})


def test_load_unknown_name_is_a_clear_error() -> None:
    with pytest.raises(ScenarioError, match="did you mean 'sentinel_replay'"):
        Scenario.load("sentinel_replays")
    with pytest.raises(ScenarioError, match="not found"):
        Scenario.load("no/such/file.toml")


def test_of_keeps_a_scenario_and_loads_a_name_or_path(replay: Scenario) -> None:
    assert Scenario.of(replay) is replay
    assert Scenario.of("sentinel_replay") == replay
    path = Path(__file__).resolve().parents[1] / "sim" / "scenarios" / "sentinel_replay.toml"
    assert Scenario.of(path).content_hash() == replay.content_hash()
    with pytest.raises(ScenarioError, match="did you mean 'sentinel_replay'"):
        Scenario.of("sentinel_replays")


# --- docs stay in step with the replay ----------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, Span):
        return f"{value.low} to {value.high}, default {value.midpoint()} ({value.provenance})"
    shown = str(value.value).lower() if isinstance(value.value, bool) else value.value
    return f"{shown} ({value.provenance})"


def replay_partner_table(scenario: Scenario) -> str:
    """The partner table of docs/scenarios.md, rendered from the replay file."""
    fields = [
        "staff",
        "caseload",
        "involvement",
        "initial_buy_in",
        "bureaucracy",
        "assurance",
        "interface",
        "go_live",
        "colocation",
    ]
    rows = [
        "| partner | kind | roles | " + " | ".join(fields) + " |",
        "|" + "---|" * (3 + len(fields)),
    ]
    for p in scenario.spec.partners:
        roles = [r for r in ("funder", "contract_holder") if getattr(p, r).value]
        if p.prior_use.value:
            roles.append("prior use")
        cells = [p.name, f"{p.kind} ({p.provenance})", ", ".join(roles) or "—"]
        cells += [_cell(getattr(p, f)) for f in fields]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def test_docs_partner_table_matches_the_replay(replay: Scenario) -> None:
    docs = (ROOT / "docs" / "scenarios.md").read_text()
    block = re.search(
        r"<!-- replay-partners:start -->\n(.*?)\n<!-- replay-partners:end -->", docs, re.DOTALL
    )
    assert block, "docs/scenarios.md lost its replay partner table markers"
    assert block.group(1).strip() == replay_partner_table(replay)


def test_docs_example_loads() -> None:
    docs = (ROOT / "docs" / "scenarios.md").read_text()
    example = re.search(r"```toml\n(.*?)```", docs, re.DOTALL)
    assert example
    scenario = Scenario.from_toml(example.group(1), "docs example")
    assert scenario.name == "early_blaby" and "blaby.staff" in scenario.uncertain_inputs()
    assert "upgrade_2" not in [e.id for e in scenario.spec.events]


def test_docs_list_every_event_type() -> None:
    docs = (ROOT / "docs" / "scenarios.md").read_text()
    for event_type in EVENT_TYPES:
        assert f"`{event_type}`" in docs, event_type
    for name in SHIPPED:
        assert f"`{name}`" in docs, name
    for event in Scenario.load("sentinel_replay").spec.events:
        assert f"`{event.id}`" in docs, event.id


# --- the file format round-trips (property) ----------------------------------------------

_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=1, max_size=24).filter(
    lambda s: s == s.strip() and s.strip() and "\n" not in s and "\r" not in s
)


@st.composite
def _annotated(draw: st.DrawFn, values: st.SearchStrategy[Any], ranged: bool = True) -> dict:
    note = {"provenance": draw(st.sampled_from(PROVENANCES)), "source": draw(_TEXT)}
    if ranged and draw(st.booleans()):
        low, high = sorted([draw(values), draw(values)])
        span = {"low": low, "high": high, **note}
        if draw(st.booleans()):
            span["default"] = draw(st.sampled_from([low, high]))
        return span
    return {"value": draw(values), **note}


@st.composite
def _when(draw: st.DrawFn, start: date, n_weeks: int, ranged: bool = True) -> dict:
    week = st.integers(0, n_weeks - 1)
    if draw(st.booleans()):
        day = week.flatmap(
            lambda w: st.integers(0, 6).map(lambda d: start + timedelta(weeks=w, days=d))
        )
        day = day.filter(lambda d: week_of(d, start) < n_weeks)
        return draw(_annotated(day, ranged))
    return draw(_annotated(week, ranged))


@st.composite
def scenario_specs(draw: st.DrawFn) -> ScenarioSpec:
    start = draw(st.dates(date(2000, 1, 1), date(2030, 12, 31)))
    n_weeks = draw(st.integers(8, 120))
    note = {"provenance": draw(st.sampled_from(PROVENANCES)), "source": draw(_TEXT)}
    names = draw(
        st.lists(
            _TEXT.filter(lambda s: slug(s) not in ("", "events", "colocation")),
            min_size=1,
            max_size=4,
            unique_by=slug,
        )
    )
    share = st.floats(0, 1, allow_nan=False)
    partners, allowed = [], []
    for name in names:
        prior = draw(st.booleans())
        interface = draw(st.sampled_from(INTERFACE_NAMES))
        can_build = interface != "none" or draw(st.booleans())
        partner = {
            "name": name,
            "kind": draw(st.sampled_from(["police", "district", "county", "unitary"])),
            **{k: v for k, v in note.items()},
            "staff": draw(_annotated(st.integers(1, 300))),
            "caseload": draw(_annotated(st.floats(0, 1e4, allow_nan=False))),
            **{
                f: draw(_annotated(share))
                for f in ("involvement", "initial_buy_in", "bureaucracy", "assurance")
            },
            "interface": {"value": interface, **note},
            "interface_allowed": {"value": can_build, **note},
            "prior_use": {"value": prior, **note},
            **{
                f: draw(_annotated(st.booleans(), ranged=False))
                for f in ("funder", "contract_holder")
            },
            "go_live": ({"value": 0, **note} if prior else draw(_when(start, n_weeks))),
        }
        if draw(st.booleans()):
            partner["colocation"] = draw(_when(start, n_weeks))
        partners.append(partner)
        if can_build:
            allowed.append(name)

    events: list[dict[str, Any]] = []
    phase_weeks = sorted(draw(st.sets(st.integers(0, n_weeks - 1), max_size=len(PHASES))))
    for phase, week in zip(PHASES, phase_weeks, strict=False):
        events.append({"type": "phase", "phase": phase, "when": {"value": week, **note}, **note})
    amounts = {
        "training": ("coverage", share),
        "agreement": ("level", share),
        "mandate": ("level", share),
        "restructure": ("extra_leaving_share", share),
        "functionality_upgrade": ("multiplier", st.floats(0, 4, allow_nan=False)),
        "pressure": ("magnitude", st.floats(0, 10, allow_nan=False)),
    }
    for index, kind in enumerate(draw(st.lists(st.sampled_from(sorted(amounts)), max_size=6))):
        field, values = amounts[kind]
        event: dict[str, Any] = {
            "id": f"e{index}",
            "type": kind,
            **note,
            field: draw(_annotated(values)),
        }
        if kind in ("functionality_upgrade", "pressure"):
            event["when"] = draw(_when(start, n_weeks))
        else:
            event["partner"] = draw(st.sampled_from([*names, "all"]))
            anchored = draw(st.booleans())
            event["when"] = (
                {"value": "go_live", **note} if anchored else draw(_when(start, n_weeks))
            )
        if draw(st.booleans()):
            event["note"] = draw(_TEXT)
        events.append(event)
    if allowed and draw(st.booleans()):
        events.append(
            {
                "type": "interface_live",
                "partner": draw(st.sampled_from(allowed)),
                "when": {"value": draw(st.integers(0, n_weeks - 1)), **note},
                **note,
            }
        )

    params = draw(st.lists(st.sampled_from(sorted(PARAMETERS)), unique=True, max_size=4))
    parameters = {
        name: draw(
            _annotated(st.floats(PARAMETERS[name].low, PARAMETERS[name].high, allow_nan=False))
        )
        for name in params
    }
    delay = draw(st.none() | _annotated(st.integers(0, n_weeks)))
    return ScenarioSpec.model_validate(
        {
            "name": draw(_TEXT),
            "description": draw(_TEXT),
            "start_date": {"value": start, **note},
            "weeks": {"value": n_weeks, **note},
            "delivery_delay_weeks": delay,
            "parameters": parameters,
            "partners": partners,
            "events": events,
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_specs())
def test_file_format_round_trips(spec: ScenarioSpec) -> None:
    scenario = Scenario.from_spec(spec)
    text = scenario.to_toml()
    again = Scenario.from_toml(text)
    assert again == scenario
    assert again.content_hash() == scenario.content_hash()
    body = text.split("\n", 1)[1]  # after the comment naming where it was read from
    assert again.to_toml().split("\n", 1)[1] == body
    compiled = again.compile()
    assert compiled.schedule.live.shape == (spec.weeks.value, len(spec.partners))
