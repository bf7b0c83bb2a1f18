"""The command line answers help and usage errors before loading any heavy library.

Each case runs the command in a fresh interpreter and reports which modules it imported:
``--help``, a subcommand's ``--help`` and a rejected option value must not load pandas, numpy,
numba, matplotlib, the scenario models or any other library that a command needs only once it
runs (start-up time; checked by what is imported, never by a wall time). Typer brings pydantic
itself for its own option checks; the project's pydantic models of scenarios must still wait.
"""

import json
import subprocess
import sys

import pytest

HEAVY = (
    "pandas",
    "numpy",
    "numba",
    "matplotlib",
    "scipy",
    "pyarrow",
    "dask",
    "SALib",
    "mesa",
    "solara",
    "sim.engine",
    "sim.scenarios",
)

_PROBE = """
import json, sys
from sim.cli import main
try:
    main(sys.argv[1:])
    code = 0
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _imports(*argv: str) -> tuple[int, set[str]]:
    """Exit status of ``sharesim ARGV`` and the modules it imported."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, check=True
    )
    found = json.loads(done.stdout.splitlines()[-1])
    return found["code"], set(found["modules"])


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(f"{h}.") for h in HEAVY))


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (("--help",), 0),
        (("run", "--help"), 0),
        (("sensitivity", "--help"), 0),
        (("new", "--help"), 0),
        (("brief", "--help"), 0),
        (("run", "sentinel_replay", "--replicates", "0"), 2),
        (("no-such-command",), 2),
    ],
)
def test_help_and_usage_errors_load_no_heavy_library(argv, code):
    status, modules = _imports(*argv)
    assert status == code
    assert _heavy(modules) == []


def test_the_check_sees_a_heavy_import():
    """Negative control: a command that runs does load them, so the check can fail."""
    status, modules = _imports("scenarios")
    assert status in (0, None)
    assert "pandas" in _heavy(modules)
