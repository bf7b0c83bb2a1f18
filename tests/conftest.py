"""Shared fixtures: offline Solara assets, headless Chromium, Solara servers; the files' order.

Notebook tests use ``support.run_notebook``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
import support

from sim.dashboard.assets import AssetsError, ensure_assets
from sim.scenarios import SCENARIOS_ENV

LONGEST_FILES = (
    "test_reference.py",
    "test_reports.py",
    "test_calibration.py",
    "test_shutdown.py",
    "test_dashboard_render.py",
    "test_dashboard_browser.py",
    "test_output_folders.py",
    "test_calibration_recovery.py",
    "test_sweep_crash.py",
    "test_installed.py",
    "test_cli.py",
    "test_fuzz_inputs.py",
    "test_shapley_executors.py",
)
"""The test files that take longest, longest first (20 to 100 s each on CI, 2026-12-07).

``make test`` hands whole files to its test processes in collection order
(``--dist loadfile --no-loadscope-reorder``); starting with these, so that the short files
fill in around them, keeps one process from being left with a long file at the end while the
other waits. Only the order changes, never which tests run.
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the tests of :data:`LONGEST_FILES` first, in its order; the rest keep theirs."""
    rank = {name: i for i, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(autouse=True)
def no_user_scenario_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scenario names mean the shipped ones only, whatever folders the person running the
    tests lists in their environment (tests that want folders set them)."""
    monkeypatch.delenv(SCENARIOS_ENV, raising=False)


@pytest.fixture(scope="session")
def asset_cache() -> Path:
    """The filled Solara asset cache (``make assets`` fills it; this only checks or tops up)."""
    try:
        return ensure_assets()
    except AssetsError as exc:
        pytest.fail(f"Solara asset cache unavailable: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    """A headless system Chromium driven by Playwright (never a downloaded browser)."""
    if not support.CHROMIUM.exists():
        reason = f"{support.CHROMIUM} is missing; `make browser` installs it"
        if support.in_ci():
            pytest.fail(f"{reason} (CI must not skip browser tests)", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(support.CHROMIUM), args=list(support.CHROMIUM_ARGS), headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def solara_server(
    asset_cache: Path, tmp_path: Path
) -> Callable[..., AbstractContextManager[support.SolaraServer]]:
    """Factory: ``with solara_server(app) as server: page.goto(server.url)``.

    Serves offline from the asset cache on a free loopback port; the log goes to ``tmp_path``.
    """

    def start(app: Path | str, **kwargs: Any) -> AbstractContextManager[support.SolaraServer]:
        return support.solara_server(app, asset_cache, tmp_path, **kwargs)

    return start
