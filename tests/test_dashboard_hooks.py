"""Every component of the dashboard keeps Solara's rules of hooks (no hook after an early return).

Solara checks each component when it is defined and warns; the check runs in a fresh
interpreter so that every dashboard module is defined anew.
"""

import subprocess
import sys

IMPORT_ALL = (
    "import importlib, pkgutil, sim.dashboard\n"
    "for m in pkgutil.iter_modules(sim.dashboard.__path__):\n"
    "    importlib.import_module(f'sim.dashboard.{m.name}')\n"
)


def test_no_dashboard_component_breaks_the_rules_of_hooks() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", IMPORT_ALL],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "rules-of-hooks" not in done.stderr, done.stderr
