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
import pandas as pd
import pytest
import solara
from scipy.special import expit
from solara.widgets import VegaLite

from sim.agents import Partner
from sim.dashboard import (
    app,
    charts,
    ensemble,
    explain,
    help,
    network,
    player,
    sidebar,
    tipping,
)
from sim.dashboard.choices import (
    EXTRA_SCENARIOS_ENV,
    MAX_SEED,
    Catalog,
    DashboardInputError,
    Settings,
    lever_moved,
    parse_seed,
    slider_step,
)
from sim.dashboard.levers import LEVERS, lever_label, lever_table
from sim.dashboard.live import LiveRun
from sim.dashboard.state import PageState
from sim.engine import InterfaceState
from sim.metrics import summary_metrics
from sim.params import PARAMETERS
from sim.run import run
from sim.scenarios import list_scenarios
from sim.tipping import largest_jump, tipping_points

TOY = Path(__file__).parent / "apps" / "three_partners.toml"
SHIPPED = [name for name, _ in list_scenarios()]
PANELS = ("ensemble", "explain", "share", "buy-in", "interface", "network")
HELP_PANELS = (*PANELS, "tipping")
"""Panels with a help note: every panel, and the tipping panel (no chart until asked)."""


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.discover([TOY])


def run_of(catalog: Catalog, scenario: str, seed: int = 1, **levers: float) -> LiveRun:
    values = {**catalog.lever_values(scenario, LEVERS), **levers}
    return LiveRun.start(catalog, Settings.checked(catalog, scenario, seed, values))


def rendered(component: Any) -> Any:
    """The widgets of ``component``, rendered without a browser (close it after use)."""
    _, rc = solara.render(component, handle_error=False)
    return rc


# --- inputs -------------------------------------------------------------------------------------


def test_sliders_are_the_registry_levers_with_their_ranges_and_units(catalog: Catalog) -> None:
    state = PageState.create(catalog)
    rc = rendered(sidebar.LeverCard(state))
    try:
        sliders = rc.find(v.Slider).widgets
        assert [s.label for s in sliders] == [lever_label(PARAMETERS[n]) for n in LEVERS]
        categories = {PARAMETERS[name].category for name in LEVERS}
        assert len(categories) == 6, "one lever or more from each framework category"
        for name, slider in zip(LEVERS, sliders, strict=True):
            param = PARAMETERS[name]
            assert (slider.min, slider.max) == (param.low, param.high)
            assert f"({param.unit})" in slider.label
            assert slider.v_model == state.levers[name].value
            positions = (param.high - param.low) / slider.step
            assert 10 <= positions <= 400
            # The scenario's value and the registry default are slider positions.
            for value in (param.default, state.levers[name].value):
                assert (value - param.low) / slider.step == pytest.approx(
                    round((value - param.low) / slider.step), abs=1e-6
                )
        # Moving a slider moves the page's lever.
        sliders[0].v_model = 2.0
        assert state.levers[LEVERS[0]].value == 2.0
    finally:
        rc.close()
    rc = rendered(sidebar.ScenarioCard(state))
    try:
        picker = rc.find(sidebar.ScenarioPicker).widget
        assert [item["name"] for item in picker.items] == [*SHIPPED, "three_partners"]
        described = {item["name"]: item["description"] for item in picker.items}
        assert described == {c.name: c.description for c in catalog.choices}
        assert all(described.values())
    finally:
        rc.close()


def test_the_play_speed_sliders_say_their_values(catalog: Catalog) -> None:
    state = PageState.create(catalog)
    rc = rendered(player.Speed(state))
    try:
        pause, every = rc.find(v.Slider).widgets
        assert pause.label == f"Pause between weeks: {state.play_interval.value} ms"
        assert (pause.min, pause.max) == (player.MIN_PAUSE_MS, player.MAX_PAUSE_MS)
        assert (state.play_interval.value - pause.min) % pause.step == 0, "the start is on a step"
        assert every.label == "Redraw every 1 week"
        state.play_interval.value, state.render_every.value = 250, 4
        pause, every = rc.find(v.Slider).widgets
        assert (pause.label, every.label) == ("Pause between weeks: 250 ms", "Redraw every 4 weeks")
    finally:
        rc.close()


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
    with pytest.raises(DashboardInputError, match="seed"):
        parse_seed(text)


def test_out_of_range_levers_never_reach_the_model(catalog: Catalog) -> None:
    values = catalog.lever_values("sentinel_replay", LEVERS)
    for bad in (5.0, -1.0, float("nan"), float("inf"), "1.0", True):
        with pytest.raises(DashboardInputError, match="double_keying_cost"):
            Settings.checked(catalog, "sentinel_replay", 1, {**values, "double_keying_cost": bad})
    with pytest.raises(DashboardInputError, match="unknown scenario"):
        Settings.checked(catalog, "sentinel", 1, values)
    with pytest.raises(DashboardInputError, match="seed"):
        Settings.checked(catalog, "sentinel_replay", -3, values)


def test_reset_builds_the_live_run_from_the_page_s_state(catalog: Catalog) -> None:
    """The page's live run is the notebooks' SharingModel, built from the page's levers and
    seed on Reset; until then it keeps its own and says that the page's differ."""
    state = PageState.create(catalog)
    first = state.live.value
    assert first.model.parameters["double_keying_cost"] == 1.0
    state.levers["double_keying_cost"].set(2.5)
    assert first.differs_from(state.lever_values(), state.seed.value)
    assert first.moved_levers(state.lever_values()) == {"double_keying_cost": 2.5}
    state.step(3)
    assert first.model.week == 3 and state.live.value is first
    state.reset()
    rebuilt = state.live.value
    assert rebuilt is not first and rebuilt.model.week == 0
    assert rebuilt.model.parameters["double_keying_cost"] == 2.5
    assert rebuilt.settings.scenario == "sentinel_replay"
    assert not rebuilt.differs_from(state.lever_values(), state.seed.value)
    assert rebuilt.differs_from(state.lever_values(), 2)
    # The same run a notebook gets with the same keywords.
    from sim.model import SharingModel

    alone = SharingModel("sentinel_replay", rng=1, double_keying_cost=2.5)
    for _ in range(5):
        alone.step()
    state.step(5)
    assert np.array_equal(alone.trajectory().recorded, rebuilt.model.trajectory().recorded)


def test_extra_scenario_files_are_offered_and_checked(tmp_path: Path) -> None:
    catalog = Catalog.from_environment({EXTRA_SCENARIOS_ENV: str(TOY)})
    assert catalog.names[-1] == "three_partners"
    assert catalog.get("three_partners").reference == str(TOY.resolve())
    clash = tmp_path / "clash.toml"
    clash.write_text(TOY.read_text().replace('"three_partners"', '"sentinel_replay"'))
    with pytest.raises(DashboardInputError, match="already offered"):
        Catalog.discover([clash])
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\n')
    with pytest.raises(DashboardInputError, match=r"broken\.toml"):
        Catalog.discover([broken])


# --- parts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", [*SHIPPED, "three_partners"])
def test_every_chart_is_valid_and_names_every_partner(catalog: Catalog, scenario: str) -> None:
    live = run_of(catalog, scenario)
    model = live.model
    names = list(model.partnership.names)
    live.step(3)
    specs = {
        "share": charts.share_spec(live),
        "buy-in": charts.buy_in_spec(live, names[0]),
        "interface": charts.interface_spec(live),
        "network": network.network_spec(model),
        "explain": explain.explanation_spec(explain.explain(model, names[-1])),
    }
    for name, spec in specs.items():
        alt.Root.from_dict(spec)  # raises on a spec Vega-Lite would reject
        assert spec["$schema"].endswith("/v5.json"), "the page draws with Vega-Lite 5"
        if name != "explain":
            text = str(spec["datasets"])
            assert all(partner.split(" ")[0] in text for partner in names), name
    rows = live.history()
    assert len(rows) == 3 * len(names)
    assert set(rows["partner"]) == set(names)
    assert rows["rolling_share"].between(0, 1).all()


def test_history_matches_the_engine_arrays(catalog: Catalog) -> None:
    live = run_of(catalog, "sentinel_replay")
    model = live.model
    recorded = []
    for _ in range(8):
        live.step()
        recorded.append(model.state.recorded[0].copy())
    rows = live.history()
    assert list(rows["week"].unique()) == list(range(1, 9)), "weeks counted as Mesa's steps"
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
    # The same numbers as Mesa's data collector (whose step 0 is the starting state).
    collected = model.datacollector.get_agenttype_vars_dataframe(Partner).loc[1:].reset_index()
    for column in ("buy_in", "handled", "share"):
        mine = rows.pivot(index="week", columns="partner", values=column)
        theirs = collected.pivot(index="Step", columns="partner", values=column)
        assert list(theirs.index) == list(mine.index)
        assert np.allclose(
            mine[list(model.partnership.names)], theirs[list(model.partnership.names)]
        )


def test_network_edges_are_the_views_matrix(catalog: Catalog) -> None:
    live = run_of(catalog, "sentinel_replay")
    live.step(80)
    model = live.model
    nodes, edges = network.network_tables(model)
    views = model.views_network()
    assert edges["views"].sum() == pytest.approx(views.sum())
    assert nodes["viewed"].to_numpy() == pytest.approx(views.sum(axis=1))
    assert np.hypot(nodes["x"], nodes["y"]).to_numpy() == pytest.approx(np.ones(len(nodes)))
    # Fixed layout: the same positions for another run.
    again, _ = network.network_tables(run_of(catalog, "sentinel_replay", seed=9).model)
    assert again[["x", "y"]].equals(nodes[["x", "y"]])


def test_explanation_adds_up_to_the_engine_decision(catalog: Catalog) -> None:
    live = run_of(catalog, "sentinel_replay", double_keying_cost=2.0)
    live.step(60)
    model = live.model
    gain = model.parameters["decision_gain"]
    for index, partner in enumerate(model.partnership.names):
        e = explain.explain(model, partner)
        assert sum(t.contribution for t in e.terms) == pytest.approx(e.balance)
        keying = next(t for t in e.terms if t.name == "double_keying")
        interface = model.state.interface[0, index]
        relief = model.parameters["workaround_relief"]
        expected = {InterfaceState.LIVE: 0.0, InterfaceState.WORKAROUND: 2.0 * (1.0 - relief)}
        assert keying.value == pytest.approx(expected.get(interface, 2.0))
        assert 0.0 <= e.probability <= 1.0
        if e.live:
            # The mean of the staff's probabilities, not the probability of the mean balance.
            assert e.probability != pytest.approx(float(expit(gain * e.balance)), abs=1e-12)
        else:
            assert e.probability == 0.0
    assert explain.explain(model, "Charnwood").live


def test_explanation_predicts_the_week_it_explains(catalog: Catalog) -> None:
    # With no pressure decay and interfaces frozen, the step uses exactly the explained terms.
    live = run_of(catalog, "sentinel_replay", pressure_weight=0.0)
    live.step(70)
    model = live.model
    for name in (
        "interface_consider_rate",
        "interface_success_pull",
        "evaluation_decide_rate",
        "workaround_rate",
        "turnover_rate",
    ):
        model.batch.p[name][:] = 0.0
    predicted = {p: explain.explain(model, p).probability for p in model.partnership.names}
    model.step()
    starts, staff = model.partnership.starts, model.partnership.staff
    for index, partner in enumerate(model.partnership.names):
        chance = model.last_week.probability[0, starts[index] : starts[index] + staff[index]]
        assert predicted[partner] == pytest.approx(float(chance.mean()), rel=1e-9), partner


def test_ensemble_band_orders_quantiles_and_reacts_to_a_lever(catalog: Catalog) -> None:
    cache = ensemble.BandCache(catalog)
    written = catalog.lever_values("sentinel_replay", LEVERS)
    base = Settings.checked(catalog, "sentinel_replay", 3, written)
    easier = Settings.checked(catalog, "sentinel_replay", 3, {**written, "double_keying_cost": 0.3})
    same = ensemble.compute_ensemble(catalog, base, cache)
    assert same.setting_band is same.reference_band and same.changed == ()
    moved = ensemble.compute_ensemble(catalog, easier, cache)
    assert moved.changed == (("double_keying_cost", 0.3, 1.0),)
    band = moved.setting_band
    assert band.replicates == ensemble.REPLICATES
    share = band[ensemble.RECORDING_SHARE]
    assert np.all(share.low <= share.median) and np.all(share.median <= share.high)
    reference = moved.reference_band[ensemble.RECORDING_SHARE]
    assert share.final[1] > reference.final[1], "cheaper keying records more"
    assert cache.band(easier) is band, "cached"
    alt.Root.from_dict(ensemble.ensemble_chart(moved))


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
    assert ensemble.compute_ensemble(catalog, settings, ensemble.BandCache(catalog)).changed == ()
    own = settings.with_levers(catalog).posterior
    assert own is not None and own.inputs == catalog.load("sentinel_calibrated").posterior.inputs
    one_step = {
        **snapped,
        "legal_risk": snapped["legal_risk"] + slider_step(PARAMETERS["legal_risk"]),
    }
    moved = Settings.checked(catalog, "sentinel_calibrated", 1, one_step).with_levers(catalog)
    assert moved.posterior is not None and "legal_risk" not in moved.posterior.inputs


@pytest.mark.parametrize("name", ["interface_build_weeks", "legal_risk"])
def test_a_value_half_a_step_off_the_grid_snapped_either_way_is_not_moved(name: str) -> None:
    """A written value halfway between two slider positions (118.5 weeks) may be snapped
    down (Python rounds halves to even) or up (the browser): neither is a moved lever, a
    whole step is."""
    step = slider_step(PARAMETERS[name])
    written = PARAMETERS[name].low + 40.5 * step
    assert not lever_moved(name, written - step / 2, written)
    assert not lever_moved(name, written + step / 2, written)
    assert lever_moved(name, written + step, written)
    assert lever_moved(name, written - 0.51 * step, written)


def test_ensemble_of_a_posterior_scenario_draws_what_the_levers_leave(catalog: Catalog) -> None:
    """On sentinel_calibrated the band's runs draw from the posterior; a lever moved away from
    the scenario's value is set for every run and no longer drawn."""
    written = catalog.lever_values("sentinel_calibrated", LEVERS)
    untouched = Settings.checked(catalog, "sentinel_calibrated", 3, written)
    scenario = untouched.with_levers(catalog)
    assert scenario.posterior is not None
    assert "double_keying_cost" in scenario.posterior.inputs
    band = ensemble.run_band(catalog, untouched, replicates=16)
    expected = run(scenario, seed=3, replicates=16)
    share = 100.0 * expected.trajectory.partnership_share
    assert np.array_equal(band[ensemble.RECORDING_SHARE].median, np.quantile(share, 0.5, axis=0))
    moved = Settings.checked(
        catalog, "sentinel_calibrated", 3, {**written, "double_keying_cost": 0.6}
    )
    pinned = moved.with_levers(catalog)
    assert pinned.posterior is not None
    assert "double_keying_cost" not in pinned.posterior.inputs
    assert set(pinned.posterior.inputs) == set(scenario.posterior.inputs) - {"double_keying_cost"}
    shown = ensemble.compute_ensemble(catalog, moved, ensemble.BandCache(catalog))
    assert shown.setting_band.drawn == len(pinned.posterior.inputs)
    assert shown.reference_band.drawn == 0  # the replay as written draws nothing
    assert f"draws {len(pinned.posterior.inputs)} uncertain inputs" in ensemble.caption(shown)


# --- where does it tip ------------------------------------------------------------------------


def test_the_tipping_sweep_finds_the_double_keying_cliff_as_sim_tipping_does(
    catalog: Catalog,
) -> None:
    """Swept along double keying cost on no_interfaces, the panel reports the largest jump
    between adjacent levels, with its interval, exactly as sim.tipping finds it in the same
    runs made through sim.run, and calls it a tipping point (the cliff)."""
    lever = "double_keying_cost"
    written = catalog.lever_values("no_interfaces", LEVERS)
    at_scenario = Settings.checked(catalog, "no_interfaces", 1, written)
    slid = Settings.checked(catalog, "no_interfaces", 1, {**written, lever: 2.9})
    cache = tipping.SweepCache(catalog)
    assert cache.peek(slid, lever) is None
    sweep = cache.sweep(slid, lever)
    assert cache.peek(at_scenario, lever) is sweep, "where the swept slider stands is irrelevant"
    levels = tipping.sweep_levels(lever)
    param = PARAMETERS[lever]
    assert sweep.levels == levels and len(levels) == tipping.LEVELS
    assert (levels[0], levels[-1]) == (param.low, param.high)
    assert sweep.runs == tipping.LEVELS * tipping.REPLICATES

    scenario = at_scenario.with_levers(catalog)
    frame = pd.concat(
        pd.DataFrame(
            {
                lever: level,
                "share": 100.0
                * summary_metrics(
                    run(
                        scenario, seed=1, replicates=tipping.REPLICATES, values={lever: level}
                    ).trajectory
                )["share_final_year"].to_numpy(),
            }
        )
        for level in levels
    )
    medians = frame.groupby(lever)["share"].median().sort_index()
    steps = medians.diff().iloc[1:]
    k = int(np.argmax(steps.abs().to_numpy()))
    expected = tipping_points(frame, [lever], ["share"], by=()).iloc[0]

    found = sweep.jump(ensemble.RECORDING_SHARE)
    assert found is not None
    assert (found.before_level, found.after_level) == pytest.approx(
        (medians.index[k], medians.index[k + 1])
    )
    assert found.jump == pytest.approx(steps.iloc[k]) and found.jump < 0, "recording collapses"
    assert (found.jump_low, found.jump_high) == pytest.approx(
        (expected["jump_low"], expected["jump_high"])
    )
    assert found.jump_low <= found.jump <= found.jump_high < 0
    assert found.tipping and bool(expected["tipping"]), "the cliff is a tipping point"
    curve = sweep.curve(ensemble.RECORDING_SHARE)
    assert curve["median"].to_numpy() == pytest.approx(medians.to_numpy())
    assert np.all(curve["low"] <= curve["median"]) and np.all(curve["median"] <= curve["high"])

    said = tipping.describe(sweep, ensemble.RECORDING_SHARE)
    assert f"between {found.before_level:g} and {found.after_level:g} utility" in said
    assert "A tipping point" in said
    spec = tipping.curve_chart(sweep, ensemble.RECORDING_SHARE, 2.9)
    alt.Root.from_dict(spec)
    assert spec["layer"][1]["encoding"]["x"]["title"] == lever_label(param)
    # The benefit outputs are swept too, each with its own curve and largest jump.
    for measure in ensemble.MEASURES:
        assert sweep.outputs[measure.key].shape == (tipping.LEVELS, tipping.REPLICATES)
        assert tipping.describe(sweep, measure).startswith("Largest jump between")
        alt.Root.from_dict(tipping.curve_chart(sweep, measure, 1.0))


def test_the_tipping_verdict_names_each_rule_a_jump_fails() -> None:
    """Not a tipping point: the panel says which rule fails (interval, steepness, or runs that
    may not differ at all), each as sim.tipping judges it."""
    at = np.linspace(0.0, 1.0, 8)
    rng = np.random.default_rng(2)
    line = largest_jump(at, [a + rng.normal(0, 0.05, 16) for a in at])
    assert line is not None and not line.tipping
    assert "not surely twice as steep" in tipping.verdict(line)
    noise = largest_jump(at, [rng.normal(0, 1, 16) for _ in at])
    assert noise is not None and noise.q_value > 0.1
    assert "may not differ at all" in tipping.verdict(noise)
    step = largest_jump(
        at, [np.full(16, 0.9 if a < 0.5 else 0.1) + rng.normal(0, 0.01, 16) for a in at]
    )
    assert step is not None and tipping.verdict(step).startswith("A tipping point")


def test_sweep_levels_span_the_registry_range_on_the_slider_grid() -> None:
    for name in LEVERS:
        param, step = PARAMETERS[name], slider_step(PARAMETERS[name])
        levels = tipping.sweep_levels(name)
        assert levels[0] == param.low and levels[-1] == param.high
        assert np.all(np.diff(levels) > 0) and len(levels) == tipping.LEVELS
        for value in levels:
            assert (value - param.low) / step == pytest.approx(
                round((value - param.low) / step), abs=1e-6
            )


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
    children = getattr(widget, "children", None) or []
    return "".join(str(child) for child in children if isinstance(child, str))


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
    _, rc = solara.render(solara.AppLayout(children=[app.DashboardPage()]), handle_error=False)
    try:
        wait_until("the first ensemble", lambda: ensemble_ready(rc))
        yield rc
    finally:
        rc.close()


def test_page_shows_every_panel_and_mesa_controls(page: Any) -> None:
    for panel in PANELS:
        assert panel_figure(page, panel).spec["datasets"], panel
    for label in ("Reset", "\u25b6", "Step"):
        page.find(v.Btn, children=[label]).assert_single()
    sliders = page.find(v.Slider).widgets
    labels = {s.label for s in sliders}
    assert {lever_label(PARAMETERS[name]) for name in LEVERS} <= labels
    (week,) = with_class(page, "sharesim-week")
    assert "week 0 of 156 (starts 4 Apr 2011)" in text(week)
    assert "Time:" not in str([text(w) for w in with_class(page, "sharesim-live-bar")])


def test_the_tipping_panel_sweeps_the_lever_last_moved_on_request(page: Any) -> None:
    """Nothing runs until asked; the panel then draws the curve of the lever last moved and
    names its largest jump. Recording, latency and hours saved can be shown, as in the
    ensemble; a sweep asked before is shown at once."""
    for panel in ("ensemble", "tipping"):
        (toggle,) = with_class(page, f"sharesim-{'tipping-' if panel == 'tipping' else ''}measures")
        labels = {text(b) for b in descendants(toggle) if isinstance(b, v.Btn)}
        assert labels == {"Recording", "Latency", "Hours saved"}, panel
    assert panel_figure(page, "tipping") is None
    assert any("Press" in text(w) for w in with_class(page, "sharesim-tipping-prompt"))
    slider = page.find(v.Slider, label="Legal risk (utility)").widget
    slider.v_model = 0.5
    (button,) = with_class(page, "sharesim-tipping-run")
    button.click()
    result = wait_until(
        "the tipping point", lambda: with_class(page, "sharesim-tipping-result"), 60
    )
    assert "Largest jump between" in text(result[0])
    spec = panel_figure(page, "tipping").spec
    assert spec["layer"][1]["encoding"]["x"]["title"] == "Legal risk (utility)"
    assert not with_class(page, "sharesim-tipping-run"), "nothing more to run"
    # Another output is the same sweep, redrawn.
    (toggle,) = with_class(page, "sharesim-tipping-measures")
    toggle.v_model = 1  # the second button: Latency
    # The sweep's thread may still be rendering its own finish; the redraw follows it.
    wait_until(
        "the latency curve",
        lambda: "Days until partners learn" in str(panel_figure(page, "tipping").spec),
        5,
    )
    # Another seed: the curve stays, marked, with the button offered again.
    box = page.find(v.TextField, label="Seed (whole number)").widget
    box.v_model = "2"
    box.fire_event("keyup.enter", None)
    wait_until("the stale mark", lambda: with_class(page, "sharesim-tipping-run"), 5)
    assert any("other settings" in text(w) for w in with_class(page, "sharesim-tipping-stale"))


def test_the_sidebar_puts_the_scenario_and_levers_first(page: Any) -> None:
    """Scenario (with its description), seed, then the levers; Mesa's controls are with the
    live run, not in the sidebar."""
    (root,) = page.find(ipywidgets.Widget).widgets
    order = [w for w in descendants(root) if isinstance(w, sidebar.ScenarioPicker | v.Slider)]
    assert isinstance(order[0], sidebar.ScenarioPicker)
    (description,) = with_class(page, "sharesim-description")
    assert text(description) == Catalog.discover().get("sentinel_replay").description
    (bar,) = with_class(page, "sharesim-live-bar")
    assert {"Reset", "Step"} <= {
        str(b.children[0]) for b in descendants(bar) if isinstance(b, v.Btn) and b.children
    }


def test_step_advances_the_week(page: Any) -> None:
    step = page.find(v.Btn, children=["Step"]).widget
    step.click()
    step.click()
    (week,) = with_class(page, "sharesim-week")
    assert "week 2 of 156 (the week from 11 Apr 2011)" in text(week)
    share = panel_figure(page, "share")
    assert "\n1," in share.spec["datasets"]["live"], "week 1 is in the chart's data"


def test_empty_charts_prompt_to_step_until_a_week_is_run(page: Any) -> None:
    prompts = with_class(page, "sharesim-prompt")
    assert len(prompts) == 4 and all("press Step" in text(p) for p in prompts)
    page.find(v.Btn, children=["Step"]).widget.click()
    assert with_class(page, "sharesim-prompt") == []


def test_every_time_axis_is_in_calendar_dates_with_the_week_on_hover(page: Any) -> None:
    page.find(v.Btn, children=["Step"]).widget.click()
    for panel in ("ensemble", "share", "buy-in", "interface"):
        spec = panel_figure(page, panel).spec
        encodings = [spec.get("encoding", {})] + [
            layer.get("encoding", {}) for layer in spec.get("layer", [])
        ]
        xs = [e["x"] for e in encodings if "x" in e]
        assert xs and all(x["field"] == "date" and x["type"] == "temporal" for x in xs), panel
        assert any(x.get("axis", {}).get("format") == "%b %Y" for x in xs), panel
        assert "week" not in str([x.get("title") for x in xs]).lower(), panel
        assert "'Week ' + datum.week" in str(spec), panel
        tooltips = str([e.get("tooltip") for e in encodings])
        assert "'when'" in tooltips, panel


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
    (moved,) = with_class(page, "sharesim-lever-moved")
    (value,) = [w for w in descendants(moved) if "sharesim-lever-value" in classes(w)]
    assert text(value) == "0.3 (scenario 1)"
    # The live run still uses the old value until Reset; the run's bar and the explanation
    # say so, the explanation with the terms recomputed.
    assert with_class(page, "sharesim-stale")
    (note,) = with_class(page, "sharesim-explain-stale")
    assert "Double keying cost (utility) 1 \u2192 0.3" in text(note)
    page.find(v.Btn, children=["Reset"]).widget.click()
    wait_until("the stale note to go", lambda: not with_class(page, "sharesim-stale"), 5)
    assert not with_class(page, "sharesim-explain-stale")
    # Putting the levers back restores the scenario's values.
    (put_back,) = with_class(page, "sharesim-put-back")
    put_back.click()
    assert slider.v_model == 1.0


def test_the_explanation_marks_terms_a_moved_lever_changes(catalog: Catalog) -> None:
    live = run_of(catalog, "sentinel_replay")
    live.step(30)
    partner = "Leicestershire Police"
    own = explain.explain(live.model, partner)
    moved = live.moved_levers({**live.settings.lever_values, "double_keying_cost": 2.5})
    assert moved == {"double_keying_cost": 2.5}
    mine = explain.explain(live.model, partner, moved)
    changed = explain.changed_terms(own, mine)
    assert changed == {"double_keying": pytest.approx(-2.5)}
    spec = explain.explanation_spec(own, None, changed)
    terms = spec["datasets"]["terms"]
    assert "-1.00 \u2192 -2.50" in terms
    note = explain.stale_note(moved, live.model.parameters, mine, changed)
    assert "Double keying cost (utility) 1 \u2192 2.5" in note and "Reset" in note
    # A lever that changes no term this week says so.
    build = live.moved_levers({**live.settings.lever_values, "interface_build_weeks": 60.0})
    later = explain.explain(live.model, partner, build)
    assert explain.changed_terms(own, later) == {}
    assert "change no term" in explain.stale_note(build, live.model.parameters, later, {})


def test_the_reference_band_shows_when_it_equals_the_setting(catalog: Catalog) -> None:
    """The reference is drawn after (over) the setting's filled band, as an outline and a
    dashed median, so it shows where the two coincide."""
    written = catalog.lever_values("sentinel_replay", LEVERS)
    same = ensemble.compute_ensemble(
        catalog,
        Settings.checked(catalog, "sentinel_replay", 3, written),
        ensemble.BandCache(catalog),
    )
    assert same.same
    spec = ensemble.ensemble_chart(same)
    layers = spec["layer"]
    roles = ["reference" if "'reference'" in str(layer) else "setting" for layer in layers]
    assert roles[0] == "setting" and roles[-3:] == ["reference"] * 3
    marks = [layer["mark"]["type"] for layer in layers]
    assert marks[0] == "area" and marks[-3:] == ["line"] * 3
    assert all("strokeDash" in layer["mark"] for layer in layers[-3:])
    assert "outline lies on your band" in ensemble.caption(same)


def test_the_posterior_can_be_switched_out_of_the_ensemble(catalog: Catalog) -> None:
    written = catalog.lever_values("sentinel_calibrated", LEVERS)
    on = Settings.checked(catalog, "sentinel_calibrated", 3, written)
    off = Settings.checked(catalog, "sentinel_calibrated", 3, written, posterior=False)
    assert on.posterior and not off.posterior and on != off
    assert not Settings.checked(catalog, "sentinel_replay", 3, {}, posterior=True).posterior
    drawn = ensemble.run_band(catalog, on, replicates=8)
    point = ensemble.run_band(catalog, off, replicates=8)
    posterior = catalog.load("sentinel_calibrated").posterior
    assert posterior is not None
    assert drawn.drawn == len(posterior.inputs) == 17 and point.drawn == 0
    expected = run(catalog.load("sentinel_calibrated"), seed=3, replicates=8, posterior=False)
    share = 100.0 * expected.trajectory.partnership_share
    assert np.array_equal(point[ensemble.RECORDING_SHARE].median, np.quantile(share, 0.5, axis=0))
    assert "Posterior off" in ensemble.posterior_note(catalog, off)
    assert (
        ensemble.posterior_note(catalog, Settings.checked(catalog, "sentinel_replay", 3, {})) == ""
    )


def test_the_posterior_switch_is_offered_only_where_there_is_one(page: Any) -> None:
    assert not with_class(page, "sharesim-posterior")
    page.find(sidebar.ScenarioPicker).widget.value = "sentinel_calibrated"
    (switch,) = wait_until("the switch", lambda: with_class(page, "sharesim-posterior"), 10)
    wait_until(
        "the ensemble from the posterior",
        lambda: "draws 17 uncertain inputs" in text(ensemble_ready(page) or switch),
    )
    switch.v_model = False
    wait_until(
        "the ensemble at the point estimate",
        lambda: (
            (ready := ensemble_ready(page)) is not None
            and "uncertain inputs" not in text(ready)
            and "Posterior off"
            in str([text(w) for w in with_class(page, "sharesim-posterior-note")])
        ),
    )


def test_help_panels_open_with_a_link_to_the_docs(page: Any) -> None:
    buttons = with_class(page, "sharesim-help-button")
    assert len(buttons) == len(HELP_PANELS)
    for button in buttons:
        button.click()
    notes = with_class(page, "sharesim-help")
    assert len(notes) == len(HELP_PANELS)
    links = [w for note in notes for w in descendants(note) if getattr(w, "tag", "") == "a"]
    assert {w.attributes["href"] for w in links} == {
        help.docs_link(note.anchor) for note in help.HELP.values()
    }
    ensemble_note = str([text(w) for w in descendants(notes[0])])
    assert "chance alone" in ensemble_note and "leaves out" in ensemble_note


def test_every_help_link_leads_to_a_section_of_the_docs() -> None:
    import markdown

    html = markdown.markdown(help.DOCS_FILE.read_text(encoding="utf-8"), extensions=["toc"])
    for key, note in help.HELP.items():
        assert f'id="{note.anchor}"' in html, key
    # The page serves the document itself, anchors and all.
    rc = rendered(help.DocsPage())
    try:
        widgets = rc.find(v.VuetifyTemplate).widgets
        templates = [w.template for w in widgets if isinstance(w.template, str)]
        for note in help.HELP.values():
            assert any(f'id="{note.anchor}"' in t for t in templates), note.anchor
    finally:
        rc.close()


def test_switching_scenario_changes_the_partners_shown(page: Any) -> None:
    page.find(v.Btn, children=["Step"]).widget.click()
    assert "Leicestershire Police" in panel_figure(page, "share").spec["datasets"]["live"]
    page.find(sidebar.ScenarioPicker).widget.value = "three_partners"

    def switched() -> bool:
        weeks = with_class(page, "sharesim-week")
        return bool(weeks) and "three_partners: week 0 of 52" in text(weeks[0])

    wait_until("the new scenario's live run", switched, 10)
    (description,) = with_class(page, "sharesim-description")
    assert "made-up police force" in text(description)
    page.find(v.Btn, children=["Step"]).widget.click()

    def stepped() -> str:
        # The new scenario's ensemble is still being computed: the redraw it triggers when
        # done may be the one that lands last, so the chart is read until it shows the week.
        live: str = panel_figure(page, "share").spec["datasets"]["live"]
        return live if "Northshire Constabulary" in live else ""

    live = wait_until("the new scenario's first week in the share chart", stepped, 10)
    assert "Leicestershire Police" not in live
    partner = page.find(v.Select, label="Partner").widget
    assert partner.items == ["Northshire Constabulary", "Eastvale District", "Westmoor Borough"]
    assert partner.v_model == "Northshire Constabulary"
    wait_until(
        "the ensemble of the new scenario",
        lambda: (
            "three_partners as written" in str(getattr(panel_figure(page, "ensemble"), "spec", ""))
        ),
    )


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
    # The chart on screen is still the last valid setting's; Reset refuses to build a run.
    assert "levers as written" in str(panel_figure(page, "ensemble").spec)
    before = with_class(page, "sharesim-week")[0]
    page.find(v.Btn, children=["Reset"]).widget.click()
    errors = with_class(page, "sharesim-input-error")
    assert len(errors) == 2, "the live run's bar says why it cannot reset"
    assert text(with_class(page, "sharesim-week")[0]) == text(before)


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


def test_switching_after_a_finished_run_starts_the_new_one_at_once(page: Any) -> None:
    step = page.find(v.Btn, children=["Step"]).widget
    while not step.disabled:
        step.click()
    (week,) = with_class(page, "sharesim-week")
    assert "week 156 of 156" in text(week)
    page.find(sidebar.ScenarioPicker).widget.value = "no_interfaces"

    def week_shown(label: str) -> Callable[[], bool]:
        # The new scenario's ensemble is computed on its own thread, and the redraw it triggers
        # can hold back the one a click asks for: the label is read until it shows the week.
        return lambda: label in text(with_class(page, "sharesim-week")[0])

    wait_until("the new run at week 0", week_shown("no_interfaces: week 0 of 156"), 10)
    step = page.find(v.Btn, children=["Step"]).widget
    assert not step.disabled
    step.click()
    wait_until("the new run's first week", week_shown("no_interfaces: week 1 of 156"), 10)


def test_switching_while_playing_keeps_playing_the_new_scenario(page: Any) -> None:
    page.find(v.Btn, children=["\u25b6"]).widget.click()
    wait_until("a few weeks", lambda: "week 0 " not in text(with_class(page, "sharesim-week")[0]))
    page.find(sidebar.ScenarioPicker).widget.value = "all_integrated"
    wait_until(
        "the new scenario to play",
        lambda: (
            "all_integrated: week " in (t := text(with_class(page, "sharesim-week")[0]))
            and "week 0 " not in t
        ),
        10,
    )
    page.find(v.Btn, children=["\u275a\u275a"]).widget.click()
    time.sleep(0.3)  # a week already under way when Pause was pressed still lands
    stopped = text(with_class(page, "sharesim-week")[0])
    time.sleep(0.5)
    assert text(with_class(page, "sharesim-week")[0]) == stopped, "paused"
