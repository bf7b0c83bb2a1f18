"""The offline dashboard recipe, end to end: npm-filled asset cache, Solara, headless Chromium.

If these pass, a Solara page renders and responds on a machine with no route to any CDN.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import sys
import tarfile
import textwrap
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import support

from sim.dashboard import assets

HELLO_APP = Path(__file__).parent / "apps" / "hello_app.py"
CDN_PREFIX = "/_solara/cdn/"

# Solara sources that put CDN paths into the pages the dashboard serves (see assets.PACKAGES).
SOLARA_SOURCES_WITH_CDN_PATHS = (
    "server/templates/solara.html.j2",
    "widgets/vue/gridlayout.vue",
    "widgets/vue/vegalite.vue",
    "components/markdown.py",
)
CDN_PATH = re.compile(r"(?:\{\{\s*cdn\s*\}\}|\$\{this\.getCdn\(\)\})/([^\"'`\s)]+)")


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


MESA_EXAMPLE_APP = _package_dir("mesa") / "examples/basic/boltzmann_wealth_model/app.py"


def _paths_solara_requests() -> set[str]:
    """CDN paths named in the installed Solara's sources, as a Vue 2 page requests them."""
    ipywidgets_major = importlib.metadata.version("ipywidgets").split(".")[0]
    root = _package_dir("solara")
    paths: set[str] = set()
    for relative in SOLARA_SOURCES_WITH_CDN_PATHS:
        for line in (root / relative).read_text(encoding="utf-8").splitlines():
            if "vuetify3" in line:
                continue  # the Vue 3 template branch; ipyvue<3 is pinned
            for path in CDN_PATH.findall(line):
                paths.add(path.replace("{{ipywidget_major_version}}", ipywidgets_major))
    settings = (root / "server" / "settings.py").read_text(encoding="utf-8")
    fontawesome = re.search(r'fontawesome_path: str = "/([^"]+)"', settings)
    assert fontawesome is not None, "solara.server.settings no longer defines fontawesome_path"
    paths.add(fontawesome.group(1))
    return paths


def _spec_of(path: str) -> str:
    parts = path.split("/")
    return "/".join(parts[:2] if path.startswith("@") else parts[:1])


def test_ipyvue_is_vue2() -> None:
    # The asset list follows Solara's Vue 2 page; ipyvue 3 switches to other packages.
    assert int(importlib.metadata.version("ipyvue").split(".")[0]) < 3


def test_asset_cache_holds_every_required_folder(asset_cache: Path) -> None:
    assert assets.missing_packages(asset_cache) == []
    for spec in assets.PACKAGES:
        folder = asset_cache / spec
        assert folder.is_dir(), spec
        marker = json.loads((folder / assets.MARKER).read_text(encoding="utf-8"))
        assert marker["spec"] == spec
        assert (folder / "package.json").is_file(), spec


def test_asset_cache_holds_every_file_solara_requests(asset_cache: Path) -> None:
    requested = _paths_solara_requests()
    assert len(requested) >= 10, requested
    assert {_spec_of(path) for path in requested} == set(assets.PACKAGES)
    missing = sorted(path for path in requested if not (asset_cache / path).is_file())
    assert missing == [], f"not in the asset cache: {missing}"


def test_environment_serves_from_cache_only(tmp_path: Path) -> None:
    env = assets.configure_environment(tmp_path)
    assert env["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str(tmp_path.resolve())
    assert env["SOLARA_ASSETS_PROXY"] == "true"
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "false"
    assert env["SOLARA_ASSETS_CDN"] == assets.OFFLINE_CDN
    assert "SOLARA_ASSETS_CDN" not in assets.configure_environment(tmp_path, cdn_fallback=True)


def test_default_cache_dir_follows_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(assets.ASSETS_DIR_ENV, str(tmp_path / "elsewhere"))
    assert assets.default_cache_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv(assets.ASSETS_DIR_ENV)
    # By default in the user's cache folder, never inside the checkout.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert assets.default_cache_dir() == tmp_path / "xdg" / "sharesim" / "solara-assets"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    default = assets.default_cache_dir()
    assert default == tmp_path / "home" / ".cache" / "sharesim" / "solara-assets"
    checkout = Path(assets.__file__).resolve().parents[2]
    assert checkout not in default.parents


def _fake_npm(bin_dir: Path, log: Path, *, fail: bool = False) -> None:
    """Install an ``npm`` on ``bin_dir`` that packs tiny tarballs and logs its calls."""
    script = bin_dir / "npm"
    script.write_text(
        f"#!{sys.executable}\n"
        + textwrap.dedent(
            f"""
            import io, json, sys, tarfile
            from pathlib import Path
            with open({str(log)!r}, "a") as log:
                log.write(" ".join(sys.argv[1:]) + "\\n")
            if {fail!r}:
                print("npm error code ENOTFOUND", file=sys.stderr)
                sys.exit(1)
            args = sys.argv[1:]
            dest = Path(args[args.index("--pack-destination") + 1])
            specs = [a for a in args[args.index("--pack-destination") + 2:]]
            report = []
            for spec in specs:
                name = spec[: spec.rindex("@")]
                filename = name.lstrip("@").replace("/", "-") + "-1.0.0.tgz"
                with tarfile.open(dest / filename, "w:gz") as tar:
                    for member in ("package/package.json", "package/require.js"):
                        data = json.dumps({{"name": name}}).encode()
                        info = tarfile.TarInfo(member)
                        info.size = len(data)
                        tar.addfile(info, io.BytesIO(data))
                report.append({{"id": name + "@1.0.0", "name": name, "filename": filename}})
            print(json.dumps(report))
            """
        ),
        encoding="utf-8",
    )
    script.chmod(0o755)


def test_fill_names_folders_by_spec_and_is_idempotent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "npm.log"
    _fake_npm(bin_dir, log)
    monkeypatch.setenv("PATH", str(bin_dir))
    cache = tmp_path / "cache"

    assert assets.ensure_assets(cache) == cache.resolve()
    filled = {marker.parent.relative_to(cache).as_posix() for marker in cache.rglob(assets.MARKER)}
    assert filled == set(assets.PACKAGES)
    assert (cache / "@widgetti" / "vue-grid-layout@2.3.13-alpha.2" / "package.json").is_file()
    assert (cache / "requirejs@2.3.6" / "require.min.js").is_file()
    assert assets.missing_packages(cache) == []

    assets.ensure_assets(cache)
    assert len(log.read_text().splitlines()) == 1, "a filled cache must not run npm again"

    # A half-filled folder (no marker) is replaced, and only it is fetched.
    (cache / "vega@5" / assets.MARKER).unlink()
    assets.ensure_assets(cache)
    assert log.read_text().splitlines()[-1].endswith(" vega@5")


def test_missing_npm_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(assets.AssetsError, match="npm is needed"):
        assets.ensure_assets(tmp_path / "cache")


def test_unreachable_registry_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_npm(tmp_path, tmp_path / "npm.log", fail=True)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(assets.AssetsError, match=r"registry .* must be reachable(.|\n)*ENOTFOUND"):
        assets.ensure_assets(tmp_path / "cache")


def test_unpacking_strips_the_top_folder(tmp_path: Path) -> None:
    tarball = tmp_path / "old.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        for name in ("./node-pkg/css/x.css", "node-pkg/package.json"):
            info = tarfile.TarInfo(name)
            info.size = 2
            tar.addfile(info, BytesIO(b"{}"))
    assets._extract_stripped(tarball, tmp_path / "out")
    assert sorted(
        p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*")
    ) == [
        "css",
        "css/x.css",
        "package.json",
    ]


@dataclass
class Traffic:
    """What a page asked for: every URL (websockets included), failures, console lines."""

    urls: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def record(self, page: Any) -> None:
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("websocket", lambda socket: self.urls.append(socket.url))
        page.on("response", self._note_response)
        page.on("requestfailed", lambda request: self.failures.append(f"failed {request.url}"))
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))

    def _note_response(self, response: Any) -> None:
        if response.status >= 400:
            self.failures.append(f"{response.status} {response.url}")

    def assert_stayed_local(self) -> None:
        hosts = {urlsplit(url).hostname for url in self.urls}
        hosts -= {None}  # data: and blob: URLs
        assert hosts <= support.LOOPBACK_HOSTS, f"requests left the machine: {sorted(hosts)}"
        assert self.failures == [], self.failures

    def packages_served(self) -> set[str]:
        paths = {urlsplit(url).path for url in self.urls}
        return {_spec_of(path.removeprefix(CDN_PREFIX)) for path in paths if CDN_PREFIX in path}


@contextmanager
def offline_page(
    browser: Any, server: support.SolaraServer, screenshot: Path
) -> Iterator[tuple[Any, Traffic]]:
    """Open ``server`` in a fresh context; on success save ``screenshot``, on failure say why."""
    traffic = Traffic()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    traffic.record(page)
    try:
        page.goto(server.url, wait_until="domcontentloaded")
        yield page, traffic
        page.screenshot(path=str(screenshot), full_page=True)
    except Exception as exc:
        failure = screenshot.with_name(f"failure-{screenshot.name}")
        page.screenshot(path=str(failure), full_page=True)
        log = server.log.read_text(errors="replace")[-3000:]
        pytest.fail(
            f"page did not render offline ({exc}); see {failure}\n"
            f"failed responses: {traffic.failures}\nconsole: {traffic.console[-20:]}\n"
            f"server log:\n{log}",
            pytrace=False,
        )
    finally:
        context.close()


@pytest.mark.browser
def test_page_renders_and_responds_offline(
    chromium_browser: Any,
    solara_server: Callable[..., AbstractContextManager[support.SolaraServer]],
    tmp_path: Path,
) -> None:
    screenshot = tmp_path / "hello.png"
    with (
        solara_server(HELLO_APP) as server,
        offline_page(chromium_browser, server, screenshot) as (page, traffic),
    ):
        button = page.get_by_role("button", name="Clicked 0 times")
        button.wait_for(timeout=60_000)
        button.click()
        page.get_by_role("button", name="Clicked 1 times").wait_for(timeout=15_000)
        page.locator(".vega-embed .marks").first.wait_for(timeout=60_000)
        page.locator(".vue-grid-layout").first.wait_for(timeout=30_000)
        page.locator(".katex").first.wait_for(timeout=30_000)

    assert screenshot.stat().st_size > 0
    traffic.assert_stayed_local()
    assert traffic.packages_served() == set(assets.PACKAGES)


@pytest.mark.browser
def test_mesa_solaraviz_renders_and_steps_offline(
    chromium_browser: Any,
    solara_server: Callable[..., AbstractContextManager[support.SolaraServer]],
    tmp_path: Path,
) -> None:
    # Mesa's own example: SolaraViz's grid layout, Altair space renderer, matplotlib plot.
    screenshot = tmp_path / "mesa.png"
    with (
        solara_server(MESA_EXAMPLE_APP) as server,
        offline_page(chromium_browser, server, screenshot) as (page, traffic),
    ):
        page.locator(".vega-embed .marks").first.wait_for(timeout=90_000)
        page.get_by_text("Time: 0.0").wait_for(timeout=30_000)
        page.get_by_role("button", name="Step").click()
        page.get_by_text("Time: 1.0").wait_for(timeout=30_000)

    traffic.assert_stayed_local()
