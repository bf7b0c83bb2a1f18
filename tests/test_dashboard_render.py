"""The dashboard without a browser: its parts, its inputs and its page rendered as widgets."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import altair as alt
import ipyvuetify as v
import ipywidgets
import numpy as np
import pytest
import solara
from scipy.special import expit
from solara.widgets import VegaLite

from sim.agents import Agency
from sim.dashboard import app, charts, ensemble, explain
from sim.dashboard.levers import LEVERS, Controls, lever_label, lever_table, slider_step
from sim.dashboard.live import DashboardModel
from sim.dashboard.settings import (
    EXTRA_SCENARIOS_ENV,
    MAX_SEED,
    Catalog,
    Settings,
    SettingsError,
    parse_seed,
)
from sim.engine import InterfaceState
from sim.params import PARAMETERS
from sim.run import run
from sim.scenarios import list_scenarios

TOY = Path(__file__).parent / "apps" / "three_partners.toml"
SHIPPED = [name for name, _ in list_scenarios()]
PANELS = ("ensemble", "explain", "share", "buy-in", "interface", "network")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.discover([TOY])


def model_of(catalog: Catalog, scenario: str, seed: int = 1, **levers: float) -> DashboardModel:
    values = {**catalog.lever_values(scenario, LEVERS), **levers}
    return DashboardModel(catalog=catalog, scenario_name=scenario, seed=seed, **values)


# --- inputs -------------------------------------------------------------------------------------


def test_sliders_are_the_registry_levers_with_their_ranges_and_units(catalog: Catalog) -> None:
    controls = Controls.create(catalog)
    params = controls.model_params()
    sliders = {name: spec for name, spec in params.items() if name in PARAMETERS}
    assert list(sliders) == list(LEVERS)
    categories = {PARAMETERS[name].category for name in LEVERS}
    assert len(categories) == 6, "one lever or more from each framework category"
    for name, spec in sliders.items():
        param = PARAMETERS[name]
        assert spec["type"] == "SliderFloat"
        assert (spec["min"], spec["max"]) == (param.low, param.high)
        assert f"({param.unit})" in spec["label"]
        assert spec["value"] is controls.levers[name]
        positions = (param.high - param.low) / spec["step"]
        assert 10 <= positions <= 400
        # The scenario's value and the registry default are slider positions.
        for value in (param.default, controls.levers[name].value):
            assert (value - param.low) / spec["step"] == pytest.approx(
                round((value - param.low) / spec["step"]), abs=1e-6
            )
    picker = params["scenario_name"]
    assert picker["type"] == "Select"
    assert picker["values"] == [*SHIPPED, "three_partners"]


def test_docs_lever_table_is_the_registry_s() -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "dashboard.md").read_text()
    match = re.search(r"<!-- lever-table:start -->\n(.*?)\n<!-- lever-table:end -->", docs, re.S)
    assert match, "docs/dashboard.md lost its lever-table markers"
    assert match.group(1).strip() == lever_table().strip()


def test_slider_steps_are_round() -> None:
    for name in LEVERS:
        step = slider_step(PARAMETERS[name])
        mantissa = step / 10 ** np.floor(np.log10(step))
        assert round(mantissa, 9) in (1.0, 2.0, 5.0), name
    assert lever_label(PARAMETERS["double_keying_cost"]) == "Double keying cost (utility)"


@pytest.mark.parametrize(
    ("text", "seed"), [("0", 0), (" 42 ", 42), ("1_000", 1000), (str(MAX_SEED), MAX_SEED)]
)
def test_seed_text_is_parsed(text: str, seed: int) -> None:
    assert parse_seed(text) == seed


@pytest.mark.parametrize("text", ["", "abc", "-1", "1.5", "1e3", str(MAX_SEED + 1), "٣"])
def test_bad_seed_text_is_refused_with_a_message(text: str) -> None:
    with pytest.raises(SettingsError, match="seed"):
        parse_seed(text)


def test_out_of_range_levers_never_reach_the_model(catalog: Catalog) -> None:
    values = catalog.lever_values("sentinel_replay", LEVERS)
    for bad in (5.0, -1.0, float("nan"), float("inf"), "1.0", True):
        with pytest.raises(SettingsError, match="double_keying_cost"):
            DashboardModel(
                catalog=catalog,
                scenario_name="sentinel_replay",
                seed=1,
                **{**values, "double_keying_cost": bad},  # type: ignore[arg-type]
            )
    with pytest.raises(SettingsError, match="unknown scenario"):
        DashboardModel(catalog=catalog, scenario_name="sentinel", seed=1, **values)
    with pytest.raises(SettingsError, match="seed"):
        DashboardModel(catalog=catalog, scenario_name="sentinel_replay", seed=-3, **values)


def test_model_takes_reactive_inputs_as_mesa_passes_them_on_reset(catalog: Catalog) -> None:
    # What SolaraViz's ModelCreator and Reset do with model_params (mesa 3.5.1): until an
    # input is moved, each keyword argument is still the page's reactive variable.
    from mesa.visualization import solara_viz

    controls = Controls.create(catalog)
    inputs, fixed = solara_viz.split_model_params(controls.model_params())
    assert set(fixed) == {"seed", "catalog"}
    current = {**fixed, **{k: spec.get("value") for k, spec in inputs.items()}}
    controls.levers["double_keying_cost"].set(2.5)
    first = model_of(catalog, "sentinel_replay")
    solara_viz._check_model_params(first, controls.model_params())
    kwargs = solara_viz._build_model_init_kwargs(
        first, current, add_scenario_when_empty=True, require_model_accepts_scenario=True
    )
    model = type(first)(**kwargs)
    assert model.parameters["double_keying_cost"][0] == 2.5
    assert model.settings.scenario == "sentinel_replay"
    assert not model.differs_from({"double_keying_cost": 2.5}, controls.seed.value)
    assert model.differs_from({"double_keying_cost": 1.0}, controls.seed.value)


def test_extra_scenario_files_are_offered_and_checked(tmp_path: Path) -> None:
    catalog = Catalog.from_environment({EXTRA_SCENARIOS_ENV: str(TOY)})
    assert catalog.names[-1] == "three_partners"
    assert catalog.get("three_partners").reference == str(TOY.resolve())
    clash = tmp_path / "clash.toml"
    clash.write_text(TOY.read_text().replace('"three_partners"', '"sentinel_replay"'))
    with pytest.raises(SettingsError, match="already offered"):
        Catalog.discover([clash])
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\n')
    with pytest.raises(SettingsError, match=r"broken\.toml"):
        Catalog.discover([broken])


# --- parts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", [*SHIPPED, "three_partners"])
def test_every_chart_is_valid_and_names_every_partner(catalog: Catalog, scenario: str) -> None:
    model = model_of(catalog, scenario)
    names = list(model.partnership.names)
    for _ in range(3):
        model.step()
    specs = {
        "share": charts.share_spec(model),
        "buy-in": charts.buy_in_spec(model, names[0]),
        "interface": charts.interface_spec(model),
        "network": charts.network_spec(model),
        "explain": explain.explanation_spec(explain.explain(model, names[-1])),
    }
    for name, spec in specs.items():
        alt.Root.from_dict(spec)  # raises on a spec Vega-Lite would reject
        if name != "explain":
            text = str(spec["datasets"])
            assert all(partner.split(" ")[0] in text for partner in names), name
    rows = model.history()
    assert len(rows) == 3 * len(names)
    assert set(rows["partner"]) == set(names)
    assert rows["rolling_share"].between(0, 1).all()


def test_history_matches_the_engine_arrays(catalog: Catalog) -> None:
    model = model_of(catalog, "sentinel_replay")
    recorded = []
    for _ in range(8):
        model.step()
        recorded.append(model.state.recorded[0].copy())
    rows = model.history()
    table = rows.pivot(index="week", columns="partner", values="recorded")
    table = table[list(model.partnership.names)]
    assert np.array_equal(table.to_numpy(), np.array(recorded))
    share = rows.pivot(index="week", columns="partner", values="rolling_share")
    handled = rows.pivot(index="week", columns="partner", values="handled")
    blaby = rows[rows["partner"] == "Blaby"]
    last4 = blaby.tail(4)
    expected = last4["recorded"].sum() / max(last4["handled"].sum(), 1)
    assert share["Blaby"].iloc[-1] == pytest.approx(expected)
    assert handled.shape == (8, 11)
    # The same numbers as Mesa's data collector.
    collected = model.datacollector.get_agenttype_vars_dataframe(Agency).reset_index()
    for column in ("buy_in", "handled", "share"):
        mine = rows.pivot(index="week", columns="partner", values=column)
        theirs = collected.pivot(index="Step", columns="agency", values=column)
        assert np.allclose(
            mine[list(model.partnership.names)], theirs[list(model.partnership.names)]
        )


def test_network_edges_are_the_views_matrix(catalog: Catalog) -> None:
    model = model_of(catalog, "sentinel_replay")
    for _ in range(80):
        model.step()
    nodes, edges = charts.network_tables(model)
    views = model.views_network()
    assert edges["views"].sum() == pytest.approx(views.sum())
    assert nodes["viewed"].to_numpy() == pytest.approx(views.sum(axis=1))
    assert np.hypot(nodes["x"], nodes["y"]).to_numpy() == pytest.approx(np.ones(len(nodes)))
    # Fixed layout: the same positions for another run.
    again, _ = charts.network_tables(model_of(catalog, "sentinel_replay", seed=9))
    assert again[["x", "y"]].equals(nodes[["x", "y"]])


def test_explanation_adds_up_to_the_engine_decision(catalog: Catalog) -> None:
    model = model_of(catalog, "sentinel_replay", double_keying_cost=2.0)
    for _ in range(60):
        model.step()
    gain = model.parameters["decision_gain"][0]
    for index, partner in enumerate(model.partnership.names):
        e = explain.explain(model, partner)
        assert sum(t.contribution for t in e.terms) == pytest.approx(e.balance)
        keying = next(t for t in e.terms if t.name == "double_keying")
        interface = model.state.interface[0, index]
        assert keying.value == (0.0 if interface == InterfaceState.LIVE else 2.0)
        assert 0.0 <= e.probability <= 1.0
        if e.live:
            # The mean of the staff's probabilities, not the probability of the mean balance.
            assert e.probability != pytest.approx(float(expit(gain * e.balance)), abs=1e-12)
        else:
            assert e.probability == 0.0
    assert explain.explain(model, "Charnwood").live


def test_explanation_predicts_the_week_it_explains(catalog: Catalog) -> None:
    # With no pressure decay and interfaces frozen, the step uses exactly the explained terms.
    model = model_of(catalog, "sentinel_replay", pressure_weight=0.0)
    for _ in range(70):
        model.step()
    for name in ("interface_consider_rate", "imitation_weight", "turnover_rate"):
        model.batch.p[name][:] = 0.0
    predicted = {p: explain.explain(model, p).probability for p in model.partnership.names}
    model.step()
    starts, staff = model.partnership.starts, model.partnership.staff
    for index, partner in enumerate(model.partnership.names):
        chance = model.last_week.probability[0, starts[index] : starts[index] + staff[index]]
        assert predicted[partner] == pytest.approx(float(chance.mean()), rel=1e-9), partner


def test_ensemble_band_orders_quantiles_and_reacts_to_a_lever(catalog: Catalog) -> None:
    cache = ensemble.BandCache()
    written = catalog.lever_values("sentinel_replay", LEVERS)
    base = Settings.checked(catalog, "sentinel_replay", 3, written)
    easier = Settings.checked(catalog, "sentinel_replay", 3, {**written, "double_keying_cost": 0.3})
    same = ensemble.compute_ensemble(catalog, base, cache)
    assert same.setting_band is same.reference_band and same.changed == ()
    moved = ensemble.compute_ensemble(catalog, easier, cache)
    assert moved.changed == (("double_keying_cost", 0.3, 1.0),)
    band = moved.setting_band
    assert band.replicates == ensemble.REPLICATES
    assert np.all(band.low <= band.median) and np.all(band.median <= band.high)
    assert band.final[1] > moved.reference_band.final[1], "cheaper keying records more"
    assert cache.band(easier) is band, "cached"
    alt.Root.from_dict(ensemble.ensemble_chart(moved).to_dict())


def test_a_lever_snapped_to_its_slider_grid_is_still_the_scenario_s_value(
    catalog: Catalog,
) -> None:
    """The page's sliders snap sentinel_calibrated's values (0.4195) to their step (0.42):
    that is not a moved lever, so nothing is pinned and the posterior still draws it."""
    written = catalog.lever_values("sentinel_calibrated", LEVERS)
    snapped = {}
    for name, value in written.items():
        param, step = PARAMETERS[name], slider_step(PARAMETERS[name])
        snapped[name] = min(param.low + round((value - param.low) / step) * step, param.high)
    assert snapped != written
    settings = Settings.checked(catalog, "sentinel_calibrated", 1, snapped)
    assert ensemble.compute_ensemble(catalog, settings, ensemble.BandCache()).changed == ()
    own = settings.with_levers().posterior
    assert own is not None and own.inputs == catalog.load("sentinel_calibrated").posterior.inputs
    one_step = {
        **snapped,
        "legal_risk": snapped["legal_risk"] + slider_step(PARAMETERS["legal_risk"]),
    }
    moved = Settings.checked(catalog, "sentinel_calibrated", 1, one_step).with_levers()
    assert moved.posterior is not None and "legal_risk" not in moved.posterior.inputs


def test_ensemble_of_a_posterior_scenario_draws_what_the_levers_leave(catalog: Catalog) -> None:
    """On sentinel_calibrated the band's runs draw from the posterior; a lever moved away from
    the scenario's value is set for every run and no longer drawn."""
    written = catalog.lever_values("sentinel_calibrated", LEVERS)
    untouched = Settings.checked(catalog, "sentinel_calibrated", 3, written)
    scenario = untouched.with_levers()
    assert scenario.posterior is not None
    assert "double_keying_cost" in scenario.posterior.inputs
    band = ensemble.run_band(untouched, replicates=16)
    expected = run(scenario, seed=3, replicates=16)
    share = expected.trajectory.partnership_share
    assert np.array_equal(band.median, np.quantile(share, 0.5, axis=0))
    moved = Settings.checked(
        catalog, "sentinel_calibrated", 3, {**written, "double_keying_cost": 0.6}
    )
    pinned = moved.with_levers()
    assert pinned.posterior is not None
    assert "double_keying_cost" not in pinned.posterior.inputs
    assert set(pinned.posterior.inputs) == set(scenario.posterior.inputs) - {"double_keying_cost"}
    shown = ensemble.compute_ensemble(catalog, moved, ensemble.BandCache())
    assert shown.setting_band.drawn == len(pinned.posterior.inputs)
    assert shown.reference_band.drawn == 0  # the replay as written draws nothing
    assert f"draws {len(pinned.posterior.inputs)} uncertain inputs" in ensemble.caption(shown)


# --- the page ---------------------------------------------------------------------------------


def classes(widget: Any) -> list[str]:
    return str(getattr(widget, "class_", None) or "").split()


def descendants(widget: ipywidgets.Widget) -> Iterator[ipywidgets.Widget]:
    """Every widget under ``widget`` (itself included) in page order (depth first), through
    any trait holding widgets."""
    seen: set[int] = set()
    stack = [widget]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        below: list[ipywidgets.Widget] = []
        for name in current.keys:
            value = getattr(current, name, None)
            items = value if isinstance(value, list | tuple) else [value]
            below.extend(item for item in items if isinstance(item, ipywidgets.Widget))
        stack.extend(reversed(below))


def with_class(rc: Any, name: str) -> list[Any]:
    (root,) = rc.find(ipywidgets.Widget).widgets
    return [w for w in descendants(root) if name in classes(w)]


def text(widget: Any) -> str:
    return "".join(str(child) for child in widget.children if isinstance(child, str))


def wait_until(what: str, check: Callable[[], Any], timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def ensemble_ready(rc: Any) -> Any:
    ready = with_class(rc, "sharesim-ensemble-ready")
    return ready[0] if ready else None


def panel_figure(rc: Any, panel: str) -> Any:
    (sheet,) = with_class(rc, f"sharesim-{panel}")
    figures = [w for w in descendants(sheet) if isinstance(w, VegaLite)]
    assert len(figures) <= 1
    return figures[0] if figures else None


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv(EXTRA_SCENARIOS_ENV, str(TOY))
    _, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    try:
        wait_until("the first ensemble", lambda: ensemble_ready(rc))
        yield rc
    finally:
        rc.close()


def test_page_shows_every_panel_and_mesa_controls(page: Any) -> None:
    for panel in PANELS:
        assert panel_figure(page, panel).spec["datasets"], panel
    for label in ("Reset", "Step"):
        page.find(v.Btn, children=[label]).assert_single()
    sliders = page.find(v.Slider).widgets
    labels = {s.label for s in sliders}
    assert {lever_label(PARAMETERS[name]) for name in LEVERS} <= labels
    (week,) = with_class(page, "sharesim-week")
    assert "week 0 of 156" in text(week)


def test_step_advances_the_week(page: Any) -> None:
    step = page.find(v.Btn, children=["Step"]).widget
    step.click()
    step.click()
    (week,) = with_class(page, "sharesim-week")
    assert "week 2 of 156" in text(week)
    share = panel_figure(page, "share")
    assert "\n1," in share.spec["datasets"]["live"], "week 1 is in the chart's data"


def test_moving_a_lever_redraws_the_ensemble_and_reset_applies_it(page: Any) -> None:
    before = panel_figure(page, "ensemble").spec
    slider = page.find(v.Slider, label="Double keying cost (utility)").widget
    slider.v_model = 0.3
    caption = wait_until(
        "the ensemble of the new setting",
        lambda: (
            (c := ensemble_ready(page)) is not None
            and "1 lever moved" in str(panel_figure(page, "ensemble").spec)
            and c
        ),
    )
    after = panel_figure(page, "ensemble").spec
    assert after["datasets"] != before["datasets"]
    assert "Computed in" in text(caption)
    (moved,) = with_class(page, "sharesim-moved")
    assert "Double keying cost (utility): 0.3 (scenario: 1)" in text(moved)
    # The live run still uses the old value until Reset; the share panel says so.
    assert with_class(page, "sharesim-stale")
    page.find(v.Btn, children=["Reset"]).widget.click()
    wait_until("the stale note to go", lambda: not with_class(page, "sharesim-stale"), 5)
    # Putting the levers back restores the scenario's values.
    page.find(v.Btn, children=["Put the levers back"]).widget.click()
    assert slider.v_model == 1.0


def card_titles(rc: Any) -> list[str]:
    (root,) = rc.find(ipywidgets.Widget).widgets
    return [text(w) for w in descendants(root) if isinstance(w, v.CardTitle)]


def test_switching_scenario_changes_the_partners_shown(page: Any) -> None:
    titles = card_titles(page)
    assert titles.index("Model Parameters") < titles.index("Run settings")
    page.find(v.Btn, children=["Step"]).widget.click()
    assert "Leicestershire Police" in panel_figure(page, "share").spec["datasets"]["live"]
    picker = page.find(v.Select, label="Scenario").widget
    picker.v_model = "three_partners"

    def switched() -> bool:
        weeks = with_class(page, "sharesim-week")
        return bool(weeks) and "three_partners: week 0 of 52" in text(weeks[0])

    wait_until("the new scenario's live run", switched, 10)
    page.find(v.Btn, children=["Step"]).widget.click()
    live = panel_figure(page, "share").spec["datasets"]["live"]
    assert "Northshire Constabulary" in live and "Leicestershire Police" not in live
    partner = page.find(v.Select, label="Partner").widget
    assert partner.items == ["Northshire Constabulary", "Eastvale District", "Westmoor Borough"]
    assert partner.v_model == "Northshire Constabulary"
    wait_until(
        "the ensemble of the new scenario",
        lambda: (
            "three_partners as written" in str(getattr(panel_figure(page, "ensemble"), "spec", ""))
        ),
    )
    # Mesa's cards were rebuilt; the run settings still come after them.
    titles = card_titles(page)
    assert titles.index("Model Parameters") < titles.index("Run settings")


def test_invalid_seed_shows_a_message_and_is_not_used(page: Any) -> None:
    box = page.find(v.TextField, label="Seed (whole number)").widget
    box.v_model = "twelve"
    box.fire_event("keyup.enter", None)
    box = page.find(v.TextField, label="Seed (whole number)").widget
    assert box.error
    assert any("whole number" in m and "keep seed 1" in m for m in box.messages)
    assert "seed 1)" in text(ensemble_ready(page))
    box.v_model = "7"
    box.fire_event("keyup.enter", None)
    box = page.find(v.TextField, label="Seed (whole number)").widget
    assert not box.error and not box.messages
    wait_until("the ensemble with seed 7", lambda: "seed 7)" in text(ensemble_ready(page) or box))


def test_an_out_of_range_value_from_the_page_is_refused_visibly(page: Any) -> None:
    # A slider cannot go past its ends, but the value arrives from the browser: check it.
    page.find(v.Slider, label="Double keying cost (utility)").widget.v_model = 99.0
    (error,) = wait_until("the message", lambda: with_class(page, "sharesim-input-error"), 5)
    message = str([getattr(w, "children", "") for w in descendants(error)])
    assert "double_keying_cost" in message and "99" in message
    # The chart on screen is still the last valid setting's; the live model is untouched
    # (building one from the value raises: test_out_of_range_levers_never_reach_the_model).
    assert "levers as written" in str(panel_figure(page, "ensemble").spec)


def test_picking_a_partner_changes_the_explanation(page: Any) -> None:
    for _ in range(50):
        page.find(v.Btn, children=["Step"]).widget.click()
    partner = page.find(v.Select, label="Partner").widget
    partner.v_model = "Charnwood"
    (summary,) = with_class(page, "sharesim-probability")
    assert "probability" in text(summary)
    terms = panel_figure(page, "explain").spec["datasets"]["terms"]
    assert "Double keying" not in terms, "Charnwood's interface is live: no double keying"
    buy_in = panel_figure(page, "buy-in").spec
    assert "Charnwood" in str(buy_in["encoding"]["color"]["scale"]["domain"])


def test_switching_after_a_finished_run_asks_for_reset(page: Any) -> None:
    step = page.find(v.Btn, children=["Step"]).widget
    while not step.disabled:
        step.click()
    (week,) = with_class(page, "sharesim-week")
    assert "week 156 of 156" in text(week)
    page.find(v.Select, label="Scenario").widget.v_model = "no_interfaces"
    (note,) = with_class(page, "sharesim-needs-reset")
    assert "press Reset" in text(note)
    page.find(v.Btn, children=["Reset"]).widget.click()
    assert not with_class(page, "sharesim-needs-reset")
    assert not page.find(v.Btn, children=["Step"]).widget.disabled
    (week,) = with_class(page, "sharesim-week")
    assert "no_interfaces: week 0 of 156" in text(week)


def test_switching_while_playing_keeps_playing_the_new_scenario(page: Any) -> None:
    page.find(v.Btn, children=["\u25b6"]).widget.click()
    wait_until("a few weeks", lambda: "week 0 " not in text(with_class(page, "sharesim-week")[0]))
    page.find(v.Select, label="Scenario").widget.v_model = "all_integrated"
    wait_until(
        "the new scenario to play",
        lambda: (
            "all_integrated: week " in (t := text(with_class(page, "sharesim-week")[0]))
            and "week 0 " not in t
        ),
        10,
    )
    page.find(v.Btn, children=["\u275a\u275a"]).widget.click()
