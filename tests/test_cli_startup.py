"""The command line answers help and usage errors before loading any heavy library.

Each case runs the command in a fresh interpreter and reports which modules it imported:
``--help``, a subcommand's ``--help`` and a rejected option value must not load pandas, numpy,
numba, matplotlib, the scenario models or any other library that a command needs only once it
runs (start-up time; checked by what is imported, never by a wall time). Typer brings pydantic
itself for its own option checks; the project's pydantic models of scenarios must still wait.
A scenario name or file that is not there is answered by its lookup alone, before any of them.
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


SCENARIO_MODELS = ("sim.scenarios.schema", "sim.scenarios.scenario", "sim.scenarios.compile")
"""The scenario modules that bring pydantic's models, the engine and pandas with them."""


@pytest.mark.parametrize(
    "argv",
    [
        ("run", "sentinl_replay"),
        ("validate", "no_such_scenario"),
        ("compare", "sentinel_replay", "no_such_scenario"),
        ("run", "no/such/file.toml"),
    ],
)
def test_a_scenario_that_is_not_there_is_answered_before_any_heavy_library(argv):
    status, modules = _imports(*argv)
    assert status == 2
    # Finding a scenario imports the package and its lookup, nothing more.
    assert "sim.scenarios.locate" in modules
    heavy = [m for m in _heavy(modules) if not m.startswith("sim.scenarios")]
    assert heavy == [] and not modules & set(SCENARIO_MODELS), heavy


def test_the_check_sees_a_heavy_import():
    """Negative control: a command that runs does load them, so the check can fail."""
    status, modules = _imports("validate", "sentinel_replay")
    assert status in (0, None)
    assert "pandas" in _heavy(modules)
    assert set(SCENARIO_MODELS) <= modules
