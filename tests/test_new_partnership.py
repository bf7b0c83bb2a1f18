"""A new partnership from its partner table: the generated scenario says which values are the
user's and which are assumed, round-trips through its file, takes Sentinel's behaviour and
nothing else, and any valid table gives a scenario that runs."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.names import slug
from sim.params import PARAMETERS
from sim.run import run
from sim.scenarios import (
    PartnerTableError,
    Scenario,
    ScenarioError,
    examples_folder,
    from_partner_table,
    read_partner_table,
)
from sim.scenarios.new_partnership import FIELD_COLUMNS
from sim.scenarios.partner_defaults import ASSUMED_FIELDS, assumed_table
from sim.scenarios.partner_table import COLUMNS, date_cell, number_cell, parse_partner_table
from sim.scenarios.schema import (
    KINDS,
    PARTNER_IDENTITY_FIELDS,
    PARTNER_NUMBER_FIELDS,
    PARTNER_OPTIONAL_FALSE,
    PartnerSpec,
)
from sim.scenarios.values import Span

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_CSV = examples_folder() / "harrowdale.partners.csv"
EXAMPLE_DESCRIPTION = (
    "Fictional example: Harrowdale, a made-up county of seven partners planning a shared ASB "
    "case system."
)


@pytest.fixture(scope="module")
def example() -> Scenario:
    return Scenario.load(examples_folder() / "harrowdale.toml")


# --- the generator follows the schema ----------------------------------------------------


def test_every_partner_field_has_a_column_or_a_documented_default() -> None:
    """A field added to the schema must be given a column here (and a default) before the
    generator can write it."""
    fields = set(PartnerSpec.model_fields) - set(PARTNER_IDENTITY_FIELDS)
    assert set(FIELD_COLUMNS) == fields
    assert set(FIELD_COLUMNS.values()) <= set(COLUMNS)
    assert set(PARTNER_NUMBER_FIELDS) <= set(ASSUMED_FIELDS)
    assert {*PARTNER_NUMBER_FIELDS, *PARTNER_OPTIONAL_FALSE} <= set(COLUMNS)


def test_the_docs_show_the_assumed_ranges_and_every_column() -> None:
    text = (ROOT / "docs" / "new-partnership.md").read_text(encoding="utf-8")
    start, end = "<!-- assumed-ranges:start -->\n", "\n<!-- assumed-ranges:end -->"
    assert start in text and end in text, "docs/new-partnership.md lost its markers"
    assert text.split(start)[1].split(end)[0].strip() == assumed_table().strip()
    missing = [name for name in COLUMNS if f"`{name}`" not in text]
    assert not missing, f"columns the docs never explain: {missing}"


# --- the worked example --------------------------------------------------------------------


def test_the_example_file_is_what_the_table_generates() -> None:
    new = from_partner_table(EXAMPLE_CSV, "harrowdale", description=EXAMPLE_DESCRIPTION)
    assert (examples_folder() / "harrowdale.toml").read_text(encoding="utf-8") == new.text


def test_values_from_the_table_are_the_users_and_the_rest_assumed(example: Scenario) -> None:
    table = read_partner_table(EXAMPLE_CSV)
    for row, partner in zip(table.rows, example.spec.partners, strict=True):
        assert partner.name == row.name and partner.kind == row.cells["kind"]
        for field in PARTNER_NUMBER_FIELDS:
            value = getattr(partner, field)
            if row.cells.get(field) is None:
                assert isinstance(value, Span) and value.provenance == "assumed", field
                assert value.source.startswith("Assumed (not in the partner table): ")
            else:
                assert value.provenance == "stated", field
                assert value.source == f"harrowdale.partners.csv row {row.number}"
    police = example.partner("Harrowdale Constabulary")
    assert isinstance(police.staff, Span) and (police.staff.low, police.staff.high) == (90, 140)
    assert police.funder.value and police.involvement.low == 0.6  # a role: more involved
    vale = example.partner("Saltern Vale District Council")
    assert isinstance(vale.go_live, Span) and vale.go_live.provenance == "assumed"
    assert vale.interface.provenance == "assumed" and vale.interface_allowed.value
    brackenford = example.partner("Brackenford Borough Council")
    assert brackenford.prior_use.value and brackenford.go_live.value == example.start_date
    assert example.partner("Millbeck District Council").interface.value == "live"  # no system
    assert not example.partner("Harrowdale County Council").interface_allowed.value
    assert example.partner("Kingsmere City Council").interface.value == "considering"
    assert example.start_date == date(2026, 1, 5)  # the Monday of the earliest go-live


def test_a_generated_scenario_round_trips_with_the_same_content_hash(tmp_path: Path) -> None:
    new = from_partner_table(EXAMPLE_CSV, "county", folder=tmp_path)
    path = tmp_path / "county.toml"
    path.write_text(new.text, encoding="utf-8")
    loaded = Scenario.load(path)
    again = Scenario.from_toml(loaded.to_toml())
    assert again.content_hash() == loaded.content_hash() == new.scenario.content_hash()
    assert again == loaded


# --- the behaviour carried over ------------------------------------------------------------


def test_behaviour_is_the_calibrated_posterior_over_registry_parameters(example: Scenario) -> None:
    calibrated = Scenario.load("sentinel_calibrated")
    source, taken = calibrated.posterior, example.posterior
    assert source is not None and taken is not None
    assert set(taken.inputs) <= set(PARAMETERS)
    assert not any("." in name for name in taken.inputs)  # no partner or event facts
    assert "caseload_scale" not in taken.inputs  # the table's caseloads are taken as given
    assert example.compile().parameters["caseload_scale"] == 1.0
    dropped = set(source.inputs) - set(taken.inputs)
    facts = {n for n in source.inputs if n not in PARAMETERS}
    assert dropped == facts | ({"caseload_scale"} & set(source.inputs))
    np.testing.assert_array_equal(taken.weights, source.weights)
    for j, name in enumerate(taken.inputs):
        np.testing.assert_array_equal(taken.sets[:, j], source.sets[:, source.inputs.index(name)])
    for name in calibrated.spec.parameters:
        assert example.spec.parameters[name].source.startswith("Behaviour from sentinel_calibrated")
        assert example.uncertain_inputs()[name] == calibrated.uncertain_inputs()[name]
        assert example.input_defaults()[name] == calibrated.input_defaults()[name]


def test_runs_draw_their_behaviour_like_the_calibrated_scenario(example: Scenario) -> None:
    """Same seed, same draws: replicate r of the new partnership uses the set replicate r of
    sentinel_calibrated uses, for the parameters they share."""
    ours = run(example, seed=4, replicates=3)
    theirs = run("sentinel_calibrated", seed=4, replicates=3)
    assert ours.draws is not None and theirs.draws is not None
    assert ours.draws["draw"].tolist() == theirs.draws["draw"].tolist()
    assert ours.draws.columns[1:].isin(theirs.draws.columns).all()


def test_registry_behaviour_takes_no_posterior() -> None:
    new = from_partner_table(EXAMPLE_CSV, "plain", behaviour_from=None)
    assert new.scenario.posterior is None and "behaviour_from" not in new.text
    assert "decision_gain" in new.scenario.uncertain_inputs()


def test_a_child_keeps_the_behaviour_and_what_it_restates_wins(tmp_path: Path) -> None:
    folder = examples_folder()
    plan = Scenario.load(folder / "harrowdale_training_mandate_first.toml")
    assert plan.posterior is not None and "buy_in_weight" in plan.posterior.inputs
    (tmp_path / "base.toml").write_text(
        from_partner_table(EXAMPLE_CSV, "base", folder=tmp_path).text, encoding="utf-8"
    )
    (tmp_path / "child.toml").write_text(
        'name = "child"\ndescription = "d"\nextends = "base.toml"\n[parameters]\n'
        'buy_in_weight = { value = 1.5, provenance = "assumed", source = "s" }\n',
        encoding="utf-8",
    )
    child = Scenario.load(tmp_path / "child.toml")
    assert child.posterior is not None and "buy_in_weight" not in child.posterior.inputs
    assert child.compile().parameters["buy_in_weight"] == 1.5


_POSTERIOR = (
    '\n[posterior]\nsource = "s"\ninputs = ["decision_gain"]\nweights = [1.0]\nsets = [[2.0]]\n'
)


@pytest.mark.parametrize(
    ("reference", "tail", "fragment"),
    [
        ("sentinel_replay", "", "behaviour_from: 'sentinel_replay' has no posterior"),
        ("../elsewhere.toml", "", "behaviour_from: '../elsewhere.toml' leads outside"),
        ("sentinel_calbrated", "", "did you mean 'sentinel_calibrated'"),
        ("me.toml", "", "circular behaviour_from"),
        ("sentinel_calibrated", _POSTERIOR, "give either behaviour_from or a [posterior]"),
    ],
)
def test_a_behaviour_that_cannot_be_taken_is_one_line(
    reference: str, tail: str, fragment: str, tmp_path: Path
) -> None:
    text = (ROOT / "tests" / "apps" / "three_partners.toml").read_text(encoding="utf-8")
    path = tmp_path / "me.toml"
    path.write_text(
        text.replace("weeks = 52\n", f'weeks = 52\nbehaviour_from = "{reference}"\n') + tail,
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        Scenario.load(path)
    message = str(caught.value)
    assert fragment in message and "\n" not in message and str(path) in message


# --- any valid table gives a scenario that validates and runs ------------------------------

_DAY = st.dates(date(2024, 1, 1), date(2024, 6, 30))


@st.composite
def _window(draw: st.DrawFn) -> str:
    low = draw(_DAY)
    high = draw(st.dates(low, low + timedelta(weeks=8)))
    return f"{low} to {high}" if high != low else str(low)


def _number(low: float, high: float, whole: bool = False) -> st.SearchStrategy[str]:
    value = (
        st.integers(int(low), int(high))
        if whole
        else st.floats(low, high).map(lambda x: f"{x:.3f}")
    )
    ranged = st.tuples(value, value).map(
        lambda pair: f"{min(pair, key=float)} to {max(pair, key=float)}"
    )
    return st.one_of(st.just(""), value.map(str), ranged)


_CELLS = {
    "staff": _number(1, 60, whole=True),
    "caseload": _number(0, 200),
    "involvement": _number(0, 1),
    "initial_buy_in": _number(0, 1),
    "bureaucracy": _number(0, 1),
    "assurance": _number(0, 1),
    "go_live": st.one_of(st.just(""), _window()),
    "colocated": st.one_of(st.sampled_from(["", "yes", "no", "unknown", "Unknown"]), _window()),
    "own_system": st.sampled_from(["", "none", "council CRM", 'records "system", v2']),
    "interface_planned": st.one_of(st.sampled_from(["", "yes", "no", "unknown"]), _window()),
    "prior_use": st.sampled_from(["", "no", "yes"]),
    **{flag: st.sampled_from(["", "yes", "no", "YES"]) for flag in PARTNER_OPTIONAL_FALSE},
}


@st.composite
def partner_tables(draw: st.DrawFn) -> str:
    """A valid partner table: 1 to 6 partners, some columns, any mix of blank and given."""
    optional = [c for c in _CELLS if not COLUMNS[c].required]
    columns = ["name", "kind", "staff", "caseload", *draw(st.sets(st.sampled_from(optional)))]
    count = draw(st.integers(1, 6))
    names = draw(
        st.lists(
            st.text("abcdefghij &'-", min_size=1, max_size=12).filter(lambda t: slug(t)),
            min_size=count,
            max_size=count,
            unique_by=slug,
        ).filter(lambda ns: "events" not in {slug(n) for n in ns})
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for name in names:
        row = {"name": name.strip() or "x", "kind": draw(st.sampled_from(KINDS))}
        row |= {c: draw(_CELLS[c]) for c in columns[2:]}
        if row.get("own_system") == "none" and row.get("interface_planned") not in ("no",):
            row["interface_planned"] = ""
        if row.get("prior_use") == "yes":
            row["go_live"] = ""
        writer.writerow([row[c] for c in columns])
    return buffer.getvalue()


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(text=partner_tables())
def test_any_valid_partner_table_gives_a_scenario_that_validates_and_runs(text: str) -> None:
    table = parse_partner_table(text, "partners.csv")
    new = from_partner_table(table, "drawn", start=date(2023, 12, 25), weeks=40)
    scenario = Scenario.from_toml(new.text)
    assert scenario == new.scenario
    assert new.stated + new.assumed == len(table.rows) * len(FIELD_COLUMNS) - sum(
        p.colocation is None for p in scenario.spec.partners
    )
    for end in (0, 1):
        ranges = scenario.uncertain_inputs()
        scenario.compile({k: r[end] for k, r in ranges.items() if "." in k})
    result = run(scenario, seed=2, replicates=2)
    assert result.trajectory.handled.shape == (2, 40, len(table.rows))
    assert np.all(result.trajectory.recorded <= result.trajectory.handled)


def test_every_cell_and_name_a_table_gets_wrong_is_told() -> None:
    text = (
        "name,kind,staff,caseload\n"
        "Police,police,ninety,200\n"
        "Blaby,countie,5,1O\n"
        "Police,district,5,10\n"
        "!!,district,5,10\n"
    )
    with pytest.raises(PartnerTableError) as every:
        parse_partner_table(text, "p.csv")
    assert [line.split(": ")[1] for line in every.value.lines()] == [
        "row 2 (Police), column staff",
        "row 3 (Blaby), column kind",
        "row 3 (Blaby), column caseload",
        "row 4 (Police), column name",
        "row 5 (!!), column name",
    ]
    assert "duplicate partner name 'Police' (also row 2)" in every.value.lines()[3]
    assert str(every.value).endswith("'ninety' is not a number (and 4 more problems)")


def test_a_table_without_go_live_dates_needs_a_start() -> None:
    table = parse_partner_table("name,kind,staff,caseload\nA,police,10,20\n", "p.csv")
    with pytest.raises(PartnerTableError, match=r"no go-live date .* \(--start\)"):
        from_partner_table(table, "x")
    assert from_partner_table(table, "x", start=date(2026, 1, 7)).scenario.start_date == date(
        2026, 1, 7
    )


@pytest.mark.parametrize("name", ["x\n", "two words", "", "x/y"])
def test_a_scenario_name_outside_letters_digits_and_dashes_is_refused(name: str) -> None:
    table = parse_partner_table("name,kind,staff,caseload\nA,police,10,20\n", "p.csv")
    with pytest.raises(PartnerTableError, match="may hold only letters, digits, _ and -"):
        from_partner_table(table, name, start=date(2026, 1, 7))
    assert from_partner_table(table, "x-1_y", start=date(2026, 1, 7)).scenario.name == "x-1_y"


@pytest.mark.parametrize(
    ("read", "good", "value"),
    [
        (number_cell, "12", 12),
        (number_cell, "-2.5e3", -2500.0),
        (date_cell, "2026-01-05", date(2026, 1, 5)),
    ],
)
def test_a_cell_is_read_whole_or_refused(read, good: str, value: object) -> None:
    assert read(good) == value
    for bad in (f"{good}\n", f"{good} x", f"x{good}"):
        with pytest.raises(ValueError, match="is not a"):
            read(bad)
