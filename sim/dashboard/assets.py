"""Offline cache of the front-end files Solara loads from a CDN.

Solara's server answers ``/_solara/cdn/<path>`` from ``SOLARA_ASSETS_PROXY_CACHE_DIR/<path>``
and, on a miss, fetches ``<SOLARA_ASSETS_CDN><path>`` (jsDelivr by default). On machines without
internet access the page stays blank. This module fills the cache once from the npm registry with
``npm pack``, one folder per package, named exactly like the spec Solara puts in the URL (for
example ``vega@5`` or ``@widgetti/solara-vuetify-app@10.1.1``), so that every request Solara makes
is a cache hit.

Run ``python -m sim.dashboard.assets`` to fill the cache; pass the result of
:func:`configure_environment` to the environment of a ``solara run`` process to serve from it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

#: npm specs of the files Solara 1.64 requests through its CDN proxy, as written in its sources:
#: the page template (``server/templates/solara.html.j2``, Vue 2 branch since ``ipyvue<3``),
#: ``settings.assets.fontawesome_path``, ``widgets/vue/gridlayout.vue`` (``GridDraggable``, used
#: by Mesa's ``SolaraViz``), ``widgets/vue/vegalite.vue`` (``FigureAltair``) and
#: ``components/markdown.py`` (``Markdown`` loads KaTeX and Mermaid on every mount). Version
#: ranges (``vega@5``) are kept as ranges: the folder name must match the URL, and npm resolves
#: the range to the newest matching release as jsDelivr does.
PACKAGES: tuple[str, ...] = (
    "@widgetti/solara-vuetify-app@10.1.1",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "mermaid@10.8.0",
    "katex@0.16.9",
    "vega@5",
    "vega-lite@5",
    "vega-embed@6",
)

#: Files a CDN derives on the fly that the npm tarball lacks: jsDelivr minifies any ``.js`` on
#: request, and ``Markdown`` asks for ``require.min.js`` when no RequireJS is on the page yet.
#: Maps spec to {requested file: file in the package that serves as it}.
ALIASES: dict[str, dict[str, str]] = {
    "requirejs@2.3.6": {"require.min.js": "require.js"},
}

#: Environment variable that overrides :func:`default_cache_dir`.
ASSETS_DIR_ENV = "SHARESIM_ASSETS_DIR"

#: Written last into each package folder; its presence means the folder is complete.
MARKER = ".npm-pack.json"

#: ``SOLARA_ASSETS_CDN`` when serving offline. A URL scheme that ``requests`` has no adapter for
#: fails at once without touching the network, so a file missing from the cache becomes a 404
#: (and a log line naming it) instead of a silent download, or a long wait, on a cache miss.
OFFLINE_CDN = "sharesim-offline://no-cdn/"

_NPM_TIMEOUT_S = 900.0


class AssetsError(RuntimeError):
    """The asset cache could not be filled (npm missing, registry unreachable, bad package)."""


def default_cache_dir() -> Path:
    """Return the folder that holds the asset cache.

    Returns
    -------
    Path
        ``$SHARESIM_ASSETS_DIR`` if set; otherwise ``sharesim/solara-assets`` in the user's
        cache folder (``$XDG_CACHE_HOME``, default ``~/.cache``), outside any checkout, so
        that one copy serves every checkout and virtual environment. Absolute; the folder need
        not exist yet.
    """
    override = os.environ.get(ASSETS_DIR_ENV)
    if override:
        return Path(override).expanduser().resolve()
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache_home.expanduser().resolve() / "sharesim" / "solara-assets"


APPROXIMATE_SIZE = "about 125 MB"
"""What a full cache takes on disk (Vuetify, Vega, Mermaid, KaTeX, fonts)."""


def fetch_notice(cache_dir: Path) -> str:
    """Say, in one line before the cache is filled, what is fetched, once, and where it goes."""
    return (
        f"fetching the dashboard's front-end files once from the npm registry "
        f"({APPROXIMATE_SIZE}) into {cache_dir}; set {ASSETS_DIR_ENV} to keep them elsewhere"
    )


def missing_packages(cache_dir: Path) -> list[str]:
    """Return the specs of :data:`PACKAGES` whose folder is absent or incomplete.

    Parameters
    ----------
    cache_dir : Path
        Root of the asset cache.

    Returns
    -------
    list of str
        Specs in the order of :data:`PACKAGES`; empty when the cache is complete.
    """
    return [spec for spec in PACKAGES if not (cache_dir / spec / MARKER).is_file()]


def ensure_assets(cache_dir: Path | None = None) -> Path:
    """Fill the asset cache from the npm registry, fetching only what is missing.

    Idempotent: with every folder complete it returns without running npm.

    Parameters
    ----------
    cache_dir : Path, optional
        Root of the asset cache; :func:`default_cache_dir` when omitted.

    Returns
    -------
    Path
        The absolute cache folder.

    Raises
    ------
    AssetsError
        If npm is not installed, the registry cannot be reached, or a tarball is unusable.
    """
    root = (cache_dir if cache_dir is not None else default_cache_dir()).resolve()
    missing = missing_packages(root)
    if not missing:
        return root
    npm = shutil.which("npm")
    if npm is None:
        raise AssetsError(
            "npm is needed once to fetch Solara's front-end files from the npm registry, and it "
            "is not installed. Install it (Debian: apt-get install -y npm) or copy a filled "
            f"cache folder to {root}."
        )
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fill-", dir=root) as scratch:
        work = Path(scratch)
        packed = _npm_pack(npm, missing, work)
        for spec in missing:
            _install(spec, packed[_package_name(spec)], work, root)
    return root


def configure_environment(cache_dir: Path, *, cdn_fallback: bool = False) -> dict[str, str]:
    """Return the environment variables that make a Solara server run offline from the cache.

    Nothing is changed in the current process; merge the result into a subprocess environment.

    Parameters
    ----------
    cache_dir : Path
        Root of a cache filled by :func:`ensure_assets`.
    cdn_fallback : bool, default False
        Let Solara download files missing from the cache from its public CDN (and store them in
        the cache). Off by default, so that a page served from an incomplete cache fails visibly
        on every machine instead of only on offline ones.

    Returns
    -------
    dict of str to str
        ``SOLARA_ASSETS_PROXY``, ``SOLARA_ASSETS_PROXY_CACHE_DIR``,
        ``SOLARA_TELEMETRY_MIXPANEL_ENABLE`` (no usage reports, which would also look up the
        machine's public IP) and, unless ``cdn_fallback``, ``SOLARA_ASSETS_CDN``.
    """
    env = {
        "SOLARA_ASSETS_PROXY": "true",
        "SOLARA_ASSETS_PROXY_CACHE_DIR": str(Path(cache_dir).resolve()),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
    }
    if not cdn_fallback:
        env["SOLARA_ASSETS_CDN"] = OFFLINE_CDN
    return env


def _package_name(spec: str) -> str:
    """Return the package name of an npm spec (``"@scope/name@1"`` -> ``"@scope/name"``)."""
    return spec[: spec.rindex("@")] if spec.rfind("@") > 0 else spec


def _npm_pack(npm: str, specs: list[str], dest: Path) -> dict[str, dict[str, str]]:
    """Download the tarballs of ``specs`` into ``dest``; return npm's report keyed by name."""
    env = {
        **os.environ,
        "npm_config_update_notifier": "false",
        "npm_config_fund": "false",
        "npm_config_audit": "false",
    }
    command = [npm, "pack", "--json", "--pack-destination", str(dest), *specs]
    try:
        done = subprocess.run(
            command,
            cwd=dest,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_NPM_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssetsError(
            f"npm pack did not finish within {_NPM_TIMEOUT_S:.0f} s; is the npm registry "
            f"({_npm_registry(npm)}) reachable from this machine?"
        ) from exc
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if "ERR" in line] or [
            line for line in done.stderr.splitlines() if line.strip()
        ]
        detail = "\n  ".join(errors[-8:]) or "(npm printed nothing)"
        raise AssetsError(
            f"npm pack failed for {' '.join(specs)} (exit {done.returncode}); the npm registry "
            f"({_npm_registry(npm)}) must be reachable once to fill the cache.\n  {detail}"
        )
    try:
        packed = {entry["name"]: entry for entry in json.loads(done.stdout)}
    except (ValueError, KeyError, TypeError) as exc:
        raise AssetsError(f"could not read npm pack's report: {done.stdout[:500]!r}") from exc
    absent = [spec for spec in specs if _package_name(spec) not in packed]
    if absent:
        raise AssetsError(f"npm pack reported no tarball for {' '.join(absent)}")
    return packed


def _npm_registry(npm: str) -> str:
    """Return the registry npm is configured to use, for error messages."""
    try:
        done = subprocess.run(
            [npm, "config", "get", "registry"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown registry"
    return done.stdout.strip() or "unknown registry"


def _install(spec: str, entry: dict[str, str], work: Path, root: Path) -> None:
    """Unpack one tarball and move it into place as ``root / spec``, marker written last."""
    unpacked = work / f"unpacked-{entry['filename']}"
    _extract_stripped(work / entry["filename"], unpacked)
    for requested, source in ALIASES.get(spec, {}).items():
        if not (unpacked / requested).exists():
            shutil.copyfile(unpacked / source, unpacked / requested)
    marker = {
        "spec": spec,
        "resolved": entry["id"],
        "integrity": entry.get("integrity", ""),
    }
    (unpacked / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    target = root / spec  # a scoped spec gives a scope folder with the package in it
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        # Incomplete: an interrupted fill, or files Solara's proxy cached one by one.
        shutil.rmtree(target)
    os.replace(unpacked, target)


def _extract_stripped(tarball: Path, dest: Path) -> None:
    """Extract an npm tarball without its top folder (``package/`` in all but old packages)."""
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            members = []
            for member in archive.getmembers():
                _, _, inner = member.name.removeprefix("./").partition("/")
                if inner:
                    member.name = inner
                    members.append(member)
            archive.extractall(dest, members=members, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise AssetsError(f"could not unpack {tarball.name}: {exc}") from exc


def main() -> int:
    """Fill the default cache, saying so first if anything is missing; return an exit code."""
    root = default_cache_dir()
    if missing_packages(root):
        print(f"sharesim: {fetch_notice(root)}", file=sys.stderr)
    try:
        root = ensure_assets(root)
    except AssetsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Solara assets ready in {root} ({len(PACKAGES)} packages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
