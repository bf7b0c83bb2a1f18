"""Shared fixtures: offline Solara assets, headless Chromium, Solara servers.

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
