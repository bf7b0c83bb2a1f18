"""The dashboard in headless Chromium, served offline as ``sharesim dashboard`` serves it.

One server for the module; every test opens its own page (its own session, its own state).
Every request the page makes must stay on this machine. Screenshots go to each test's
``tmp_path``; timings are printed and written there as JSON.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import support

from sim.cli.dashboard import APP_MODULE, SERVER_SETTINGS
from sim.dashboard.choices import EXTRA_SCENARIOS_ENV
from sim.dashboard.levers import LEVERS, lever_label
from sim.params import PARAMETERS

pytestmark = pytest.mark.browser

TOY = Path(__file__).parent / "apps" / "three_partners.toml"
LEVER_LABELS = tuple(lever_label(PARAMETERS[name]) for name in LEVERS)
PANELS = ("ensemble", "explain", "share", "buy-in", "interface", "network")
VIEWPORT = {"width": 1280, "height": 800}
LOAD_TIMEOUT_MS = 60_000
ACTION_TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def dashboard(
    asset_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[support.SolaraServer]:
    log_dir = tmp_path_factory.mktemp("dashboard-server")
    env = {**SERVER_SETTINGS, EXTRA_SCENARIOS_ENV: str(TOY)}
    with support.solara_server(APP_MODULE, asset_cache, log_dir, extra_env=env) as server:
        yield server


@dataclass
class Traffic:
    """Every URL the page asked for (websockets included) and every failed response."""

    urls: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def record(self, page: Any) -> None:
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("websocket", lambda socket: self.urls.append(socket.url))
        page.on("requestfailed", lambda request: self.failures.append(f"failed {request.url}"))
        page.on("response", self._response)
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.failures.append(f"{response.status} {response.url}")

    def assert_stayed_local(self) -> None:
        """Every request stayed on this machine and was answered; the console shows no error."""
        hosts = {urlsplit(url).hostname for url in self.urls} - {None}
        assert hosts <= support.LOOPBACK_HOSTS, f"requests left the machine: {sorted(hosts)}"
        assert self.failures == [], self.failures
        errors = [line for line in self.console if line.startswith("error")]
        assert errors == [], errors


@contextmanager
def dashboard_page(
    browser: Any, server: support.SolaraServer, tmp_path: Path
) -> Iterator[tuple[Any, Traffic]]:
    """A fresh page at 1280x800 with the dashboard loaded; on failure, a screenshot and the
    server log."""
    traffic = Traffic()
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(ACTION_TIMEOUT_MS)
    traffic.record(page)
    try:
        page.goto(server.url, wait_until="domcontentloaded")
        page.locator(".sharesim-ensemble-ready").wait_for(timeout=LOAD_TIMEOUT_MS)
        for panel in PANELS:
            page.locator(f".sharesim-{panel} .vega-embed svg.marks").first.wait_for(
                state="attached", timeout=LOAD_TIMEOUT_MS
            )
        yield page, traffic
    except Exception as error:
        failure = tmp_path / "failure.png"
        page.screenshot(path=str(failure))
        log = server.log.read_text(errors="replace")[-3000:]
        pytest.fail(
            f"{error}\nscreenshot: {failure}\nfailed responses: {traffic.failures}\n"
            f"console: {traffic.console[-10:]}\nserver log:\n{log}",
            pytrace=False,
        )
    finally:
        context.close()


def week_shown(page: Any) -> int:
    text = page.locator(".sharesim-week").inner_text()
    return int(text.split(" week ")[1].split(" ")[0])


def svg_text(page: Any, panel: str) -> str:
    return str(page.locator(f".sharesim-{panel} .vega-embed svg.marks").first.inner_html())


def save_timings(tmp_path: Path, name: str, values: dict[str, Any]) -> None:
    (tmp_path / f"{name}.json").write_text(json.dumps(values, indent=2))
    print(f"{name}: {json.dumps(values)}")


def in_view(page: Any, locator: Any) -> bool:
    """Whether ``locator`` lies wholly inside the window, as it stands (no scrolling)."""
    box = locator.bounding_box()
    size = page.viewport_size
    return bool(
        box
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"] + 0.5
        and box["y"] + box["height"] <= size["height"] + 0.5
    )


SCROLLERS = """() => [...document.querySelectorAll('*')].filter(el => {
    const style = getComputedStyle(el);
    return ['auto', 'scroll'].includes(style.overflowY) && el.scrollHeight > el.clientHeight + 1;
}).map(el => el.className.toString())"""
"""Elements that scroll their content at the window's size."""


def test_first_screen_shows_scenario_levers_and_the_headline_chart(
    chromium_browser: Any, dashboard: support.SolaraServer, tmp_path: Path
) -> None:
    """At 1280x800, without scrolling: the scenario picker and its description, every lever,
    the ensemble chart; one scrolling area (the page's main column), none inside a panel."""
    with dashboard_page(chromium_browser, dashboard, tmp_path) as (page, traffic):
        page.screenshot(path=str(tmp_path / "first-screen.png"))
        assert in_view(page, page.locator(".sharesim-picker"))
        assert in_view(page, page.locator(".sharesim-description"))
        assert in_view(page, page.get_by_label("Seed (whole number)"))
        for name in LEVER_LABELS:
            assert in_view(page, page.get_by_role("slider", name=name)), name
        chart = page.locator(".sharesim-ensemble .vega-embed svg.marks").first
        assert in_view(page, chart)
        assert in_view(page, page.locator(".sharesim-ensemble-caption"))
        assert "Time:" not in page.locator("body").inner_text()
        # Mesa's controls sit with the live run, below the headline chart.
        reset = page.get_by_role("button", name="Reset").bounding_box()
        assert reset is not None and reset["y"] > chart.bounding_box()["y"]
        scrollers = page.evaluate(SCROLLERS)
        assert len(scrollers) <= 1 and not any("sharesim" in c for c in scrollers), scrollers
    traffic.assert_stayed_local()


def test_page_loads_offline_with_every_panel_visible(
    chromium_browser: Any, dashboard: support.SolaraServer, tmp_path: Path
) -> None:
    with dashboard_page(chromium_browser, dashboard, tmp_path) as (page, traffic):
        page.screenshot(path=str(tmp_path / "dashboard-1280x800.png"))
        for label in ("Reset", "Step"):
            assert page.get_by_role("button", name=label).is_visible()
        assert page.get_by_role("slider", name="Double keying cost (utility)").count() == 1
        # Before the first week, the live run's charts say how to fill them.
        assert page.locator(".sharesim-prompt").count() == 4
        for panel in PANELS:
            locator = page.locator(f".sharesim-{panel}")
            locator.scroll_into_view_if_needed()
            assert locator.is_visible(), panel
            box = locator.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 150, (panel, box)
            locator.screenshot(path=str(tmp_path / f"panel-{panel}.png"))
        # Every partner of the replay is named on the share chart's axis.
        names = svg_text(page, "share")
        for partner in ("Leicestershire Police", "Charnwood", "Leicester City"):
            assert partner in names
        page.set_viewport_size({"width": 1280, "height": 1700})
        page.screenshot(path=str(tmp_path / "dashboard-tall.png"))
    traffic.assert_stayed_local()
    assert (tmp_path / "dashboard-1280x800.png").stat().st_size > 10_000


def test_step_advances_the_week(
    chromium_browser: Any, dashboard: support.SolaraServer, tmp_path: Path
) -> None:
    with dashboard_page(chromium_browser, dashboard, tmp_path) as (page, traffic):
        assert week_shown(page) == 0
        step = page.get_by_role("button", name="Step")
        round_trips = []
        for week in range(1, 11):
            started = time.perf_counter()
            step.click()
            page.locator(".sharesim-week", has_text=f"week {week} of 156").wait_for()
            round_trips.append(time.perf_counter() - started)
        assert week_shown(page) == 10
        assert "(the week from 6 Jun 2011)" in page.locator(".sharesim-week").inner_text()
        assert "Week 11, from 13 Jun 2011" in page.locator(".sharesim-explain").inner_text()
        assert page.locator(".sharesim-prompt").count() == 0
        page.screenshot(path=str(tmp_path / "after-ten-steps.png"))
    traffic.assert_stayed_local()
    save_timings(
        tmp_path,
        "step-round-trip",
        {
            "what": "click Step until the week counter shows the next week (server and browser)",
            "median_s": statistics.median(round_trips),
            "max_s": max(round_trips),
        },
    )


def test_moving_a_slider_redraws_the_ensemble(
    chromium_browser: Any, dashboard: support.SolaraServer, tmp_path: Path
) -> None:
    with dashboard_page(chromium_browser, dashboard, tmp_path) as (page, traffic):
        before = svg_text(page, "ensemble")
        assert "levers as written" in before
        slider = page.get_by_role("slider", name="Double keying cost (utility)")
        redraws = []
        for key, value in (("Home", "0.3"), ("End", "3")):
            started = time.perf_counter()
            slider.press(key)
            # The caption names the setting drawn; the chart is redrawn from the same spec.
            page.locator(
                ".sharesim-ensemble-ready",
                has_text=f"Double keying cost (utility) 1 \u2192 {value}.",
            ).wait_for()
            page.wait_for_function(
                """([before]) => {
                    const svg = document.querySelector('.sharesim-ensemble .vega-embed svg.marks');
                    return svg && svg.innerHTML !== before;
                }""",
                arg=[before],
            )
            redraws.append(time.perf_counter() - started)
            after = svg_text(page, "ensemble")
            assert "1 lever moved" in after
            before = after
            # The live run keeps its value until Reset: the explanation says which terms the
            # lever changes, with their values recomputed.
            note = page.locator(".sharesim-explain-stale")
            note.wait_for()
            assert f"Double keying cost (utility) 1 \u2192 {value}" in note.inner_text()
        page.locator(".sharesim-ensemble").screenshot(path=str(tmp_path / "ensemble-moved.png"))
        page.screenshot(path=str(tmp_path / "slider-moved.png"))
    traffic.assert_stayed_local()
    save_timings(
        tmp_path,
        "ensemble-redraw",
        {
            "what": "slider key press until the ensemble chart shows the new setting "
            "(64 engine runs of a value not seen before, the reference cached; drawing "
            "included)",
            "seconds": redraws,
        },
    )


def test_every_time_axis_is_in_calendar_dates(
    chromium_browser: Any, dashboard: support.SolaraServer, tmp_path: Path
) -> None:
    with dashboard_page(chromium_browser, dashboard, tmp_path) as (page, traffic):
        for _ in range(3):
            page.get_by_role("button", name="Step").click()
        page.locator(".sharesim-week", has_text="week 3 of 156").wait_for()
        for panel in ("ensemble", "share", "buy-in", "interface"):
            page.wait_for_function(
                """([panel]) => {
                    const svg = document.querySelector(`.sharesim-${panel} .vega-embed svg.marks`);
                    return svg && /(Jan|Jul) 201[1-4]/.test(svg.textContent);
                }""",
                arg=[panel],
            )
            assert "Weeks since" not in svg_text(page, panel), panel
        # Hovering a week of the ensemble names the week and its first day.
        chart = page.locator(".sharesim-ensemble .vega-embed svg.marks").first
        box = chart.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.45)
        tooltip = page.locator("#vg-tooltip-element")
        tooltip.wait_for(state="visible")
        assert re.search(r"Week \d+, from \d+ \w{3} 201\d", tooltip.inner_text())
    traffic.assert_stayed_local()


def test_help_panels_open_and_link_to_the_documentation(
    chromium_browser: Any, dashboard: support.SolaraServer, tmp_path: Path
) -> None:
    with dashboard_page(chromium_browser, dashboard, tmp_path) as (page, traffic):
        buttons = page.locator(".sharesim-help-button")
        assert buttons.count() == len(PANELS)
        buttons.first.click()
        note = page.locator(".sharesim-ensemble .sharesim-help")
        note.wait_for()
        assert "chance alone" in note.inner_text()
        page.locator(".sharesim-explain .sharesim-help-button").click()
        page.locator(".sharesim-explain .sharesim-help").wait_for()
        page.screenshot(path=str(tmp_path / "help-open.png"))
        with page.context.expect_page() as opened:
            note.get_by_text("More in the documentation").click()
        docs = opened.value
        traffic.record(docs)
        docs.wait_for_load_state()
        heading = docs.locator("#what-the-levers-do-the-ensemble")
        heading.wait_for(timeout=LOAD_TIMEOUT_MS)
        assert "What the levers do" in heading.inner_text()
        docs.screenshot(path=str(tmp_path / "docs.png"))
    traffic.assert_stayed_local()


def test_switching_scenario_changes_the_partners_shown(
    chromium_browser: Any, dashboard: support.SolaraServer, tmp_path: Path
) -> None:
    with dashboard_page(chromium_browser, dashboard, tmp_path) as (page, traffic):
        assert "Leicestershire Police" in svg_text(page, "share")
        page.locator(".v-select", has_text="Scenario").first.click()
        page.get_by_role("option", name="three_partners").click()
        page.locator(".sharesim-week", has_text="three_partners: week 0 of 52").wait_for()
        page.wait_for_function(
            """() => {
                const svg = document.querySelector('.sharesim-share .vega-embed svg.marks');
                return svg && svg.textContent.includes('Northshire Constabulary')
                    && !svg.textContent.includes('Leicestershire Police');
            }""",
            timeout=ACTION_TIMEOUT_MS,
        )
        for panel in ("interface", "network"):
            page.wait_for_function(
                """([panel]) => {
                    const svg = document.querySelector(`.sharesim-${panel} .vega-embed svg.marks`);
                    return svg && svg.textContent.includes('Westmoor');
                }""",
                arg=[panel],
                timeout=ACTION_TIMEOUT_MS,
            )
        assert "Northshire Constabulary" in page.locator(".sharesim-explain").inner_text()
        page.screenshot(path=str(tmp_path / "three-partners.png"))
    traffic.assert_stayed_local()


def test_the_calibrated_scenario_s_ensemble_draws_from_its_posterior(
    chromium_browser: Any, dashboard: support.SolaraServer, tmp_path: Path
) -> None:
    with dashboard_page(chromium_browser, dashboard, tmp_path) as (page, traffic):
        page.locator(".v-select", has_text="Scenario").first.click()
        page.get_by_role("option", name="sentinel_calibrated").click()
        page.locator(".sharesim-ensemble-ready", has_text="from the scenario's posterior").wait_for(
            timeout=LOAD_TIMEOUT_MS
        )
        caption = page.locator(".sharesim-ensemble-caption").inner_text()
        assert "draws 131 uncertain inputs" in caption
        page.locator(".sharesim-ensemble").screenshot(path=str(tmp_path / "calibrated.png"))
        # Switched off, every run is at the point estimate: chance alone.
        page.get_by_text("Ensemble draws parameters from the posterior").click()
        page.locator(".sharesim-posterior-note", has_text="Posterior off").wait_for(
            timeout=LOAD_TIMEOUT_MS
        )
        ready = page.locator(".sharesim-ensemble-ready")
        ready.wait_for()
        assert "uncertain inputs" not in ready.inner_text()
    traffic.assert_stayed_local()


def test_typed_seed_is_checked_with_a_visible_message(
    chromium_browser: Any, dashboard: support.SolaraServer, tmp_path: Path
) -> None:
    with dashboard_page(chromium_browser, dashboard, tmp_path) as (page, traffic):
        box = page.get_by_label("Seed (whole number)")
        box.fill("twelve")
        box.press("Enter")
        message = page.get_by_text("The seed must be a whole number")
        message.wait_for()
        assert message.is_visible()
        assert "keep seed 1" in message.inner_text()
        assert "(seed 1)" in page.locator(".sharesim-ensemble-ready").inner_text()
        page.screenshot(path=str(tmp_path / "bad-seed.png"))
        box.fill("7")
        box.press("Enter")
        message.wait_for(state="detached")
        page.locator(".sharesim-ensemble-ready", has_text="(seed 7)").wait_for()
    traffic.assert_stayed_local()
