"""How fast the dashboard answers: a live step, a lever change, and both seen in a browser.

Run: ``.venv/bin/python benchmarks/bench_dashboard.py`` (or ``make bench``). Prints a table
and writes ``results/benchmarks/dashboard.json``. The browser part needs ``/usr/bin/chromium``
and the asset cache (``make browser assets``); without them it is skipped and says so.

Measured:

- ``live_step``: one week of the live run (``LiveRun.step``, i.e. ``SharingModel.step``), every
  week of the replay; the first step in a process also loads the engine's compiled kernel,
  reported on its own.
- ``page_step``: a click on Step handled by the page without a browser: the step and every
  panel's new chart (what the server does before the browser redraws).
- ``ensemble_new_setting``: a lever value not seen before: 64 engine runs (the reference band
  is already cached, as it is once the page is open) and the chart.
- ``browser_*``: the same from a real headless Chromium, from key press or click until the
  page shows the result.

``limits`` says whether the page keeps its promises: a lever moved until the ensemble is
redrawn within :data:`LEVER_LIMIT_S` (median, in the browser), a live step within
:data:`STEP_LIMIT_S` (95th percentile); the script exits 1 if not.
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from record import record

from sim.dashboard.choices import Catalog, Settings
from sim.dashboard.ensemble import BandCache, compute_ensemble, ensemble_chart
from sim.dashboard.levers import LEVERS
from sim.dashboard.live import LiveRun

SCENARIO = "sentinel_replay"
CHROMIUM = Path("/usr/bin/chromium")
LEVER = "double_keying_cost"
LEVER_LABEL = "Double keying cost (utility)"

LEVER_LIMIT_S = 1.0
"""A lever moved until the ensemble is redrawn, in the browser (median): at most this."""

STEP_LIMIT_S = 0.05
"""One week of the live run (95th percentile, after the process's first): under this."""


def summary(seconds: list[float]) -> dict[str, float]:
    """Median, 95th percentile and maximum, in milliseconds."""
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median_ms": round(1e3 * statistics.median(ordered), 3),
        "p95_ms": round(1e3 * p95, 3),
        "max_ms": round(1e3 * ordered[-1], 3),
        "n": len(ordered),
    }


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def live_step(catalog: Catalog) -> dict[str, Any]:
    """Every week of three runs; the process's very first step is reported on its own (the
    engine's compiled kernel is loaded then, once per server process)."""
    values = catalog.lever_values(SCENARIO, LEVERS)
    first = LiveRun.start(catalog, Settings.checked(catalog, SCENARIO, 0, values))
    cold = timed(first.step)
    times: list[float] = []
    for seed in (1, 2, 3):
        run = LiveRun.start(catalog, Settings.checked(catalog, SCENARIO, seed, values))
        while run.running:
            times.append(timed(run.step))
    return {**summary(times), "first_step_in_process_ms": round(1e3 * cold, 1)}


def _widgets(root: Any) -> list[Any]:
    """Every widget under ``root``."""
    import ipywidgets

    found, stack = [], [root]
    while stack:
        widget = stack.pop()
        found.append(widget)
        for name in widget.keys:
            value = getattr(widget, name, None)
            for item in value if isinstance(value, list | tuple) else [value]:
                if isinstance(item, ipywidgets.Widget):
                    stack.append(item)
    return found


def _text_with_class(root: Any, name: str) -> str:
    return " ".join(
        str(w.children[0])
        for w in _widgets(root)
        if name in str(getattr(w, "class_", "") or "").split() and w.children
    )


def page_step() -> dict[str, float]:
    import ipyvuetify as v
    import ipywidgets
    import solara

    from sim.dashboard import app

    _, rc = solara.render(solara.AppLayout(children=[app.DashboardPage()]), handle_error=False)
    try:
        (root,) = rc.find(ipywidgets.Widget).widgets
        # Time steps only once the page has settled (the first ensemble drawn).
        deadline = time.monotonic() + 120
        while not _text_with_class(root, "sharesim-ensemble-ready"):
            if time.monotonic() > deadline:
                raise RuntimeError("the page's first ensemble did not arrive")
            time.sleep(0.1)
        step = rc.find(v.Btn, children=["Step"]).widget
        for _ in range(3):
            step.click()  # warm up
        times = [timed(step.click) for _ in range(40)]
        shown = _text_with_class(root, "sharesim-week")
        if "week 43 of" not in shown:
            raise RuntimeError(f"the page did not step as clicked: {shown!r}")
        return summary(times)
    finally:
        rc.close()


def ensemble_new_setting(catalog: Catalog) -> dict[str, float]:
    written = catalog.lever_values(SCENARIO, LEVERS)
    cache = BandCache(catalog)
    compute_ensemble(catalog, Settings.checked(catalog, SCENARIO, 1, written), cache)
    times = []
    for value in (0.5, 0.8, 1.5, 2.0, 2.5):
        settings = Settings.checked(catalog, SCENARIO, 1, {**written, LEVER: value})
        times.append(timed(lambda s=settings: ensemble_chart(compute_ensemble(catalog, s, cache))))
    return summary(times)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def browser(log: Path) -> dict[str, Any]:
    """Serve the dashboard as ``sharesim dashboard`` does and time it in headless Chromium."""
    if not CHROMIUM.exists():
        return {"skipped": f"{CHROMIUM} is missing (make browser)"}
    from sim.cli.dashboard import dashboard_environment, solara_command
    from sim.dashboard.assets import AssetsError, ensure_assets

    try:
        cache = ensure_assets()
    except AssetsError as error:
        return {"skipped": f"no asset cache: {error}"}
    from playwright.sync_api import sync_playwright

    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            solara_command("127.0.0.1", port),
            env=dashboard_environment(cache, []),
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url + "readyz", timeout=2):
                    break
            except OSError:
                time.sleep(0.25)
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
            )
            page = chromium.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(30_000)
            started = time.perf_counter()
            page.goto(url)
            page.locator(".sharesim-ensemble-ready").wait_for(timeout=90_000)
            load = time.perf_counter() - started

            slider = page.get_by_role("slider", name=LEVER_LABEL)
            redraws = []
            for key in ("Home", "End", "PageDown", "PageDown", "Home"):
                before = page.locator(".sharesim-ensemble .vega-embed svg.marks").inner_html()
                started = time.perf_counter()
                slider.press(key)
                page.wait_for_function(
                    """([before]) => {
                        const svg = document.querySelector(
                            '.sharesim-ensemble .vega-embed svg.marks');
                        const ready = document.querySelector('.sharesim-ensemble-ready');
                        return ready && svg && svg.innerHTML !== before;
                    }""",
                    arg=[before],
                )
                redraws.append(time.perf_counter() - started)

            step = page.get_by_role("button", name="Step")
            steps = []
            for week in range(1, 21):
                started = time.perf_counter()
                step.click()
                page.locator(".sharesim-week", has_text=f"week {week} of").wait_for()
                steps.append(time.perf_counter() - started)
            chromium.close()
        return {
            "page_load_ms": round(1e3 * load, 1),
            "lever_to_redrawn_ensemble": summary(redraws),
            "step_to_redrawn_page": summary(steps),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def limits(figures: dict[str, Any]) -> dict[str, Any]:
    """Whether the measured figures keep :data:`LEVER_LIMIT_S` and :data:`STEP_LIMIT_S`."""
    step_s = figures["live_step"]["p95_ms"] / 1e3
    lever = figures["browser"].get("lever_to_redrawn_ensemble")
    lever_s = None if lever is None else lever["median_ms"] / 1e3
    return {
        "live_step_p95_s": step_s,
        "live_step_ok": step_s < STEP_LIMIT_S,
        "lever_to_redrawn_ensemble_median_s": lever_s,
        "lever_ok": None if lever_s is None else lever_s <= LEVER_LIMIT_S,
    }


def main() -> int:
    out = Path("results/benchmarks")
    out.mkdir(parents=True, exist_ok=True)
    catalog = Catalog.discover()
    figures: dict[str, Any] = {
        "scenario": SCENARIO,
        "live_step": live_step(catalog),
        "page_step": page_step(),
        "ensemble_new_setting": ensemble_new_setting(catalog),
        "browser": browser(out / "dashboard-server.log"),
    }
    figures["limits"] = limits(figures)
    record("dashboard", figures, out)
    kept = figures["limits"]["live_step_ok"] and figures["limits"]["lever_ok"] is not False
    return 0 if kept else 1


if __name__ == "__main__":
    sys.exit(main())
