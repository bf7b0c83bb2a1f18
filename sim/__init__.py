"""sharesim: agent-based simulation of multi-agency information sharing.

The notebook API::

    from sim import Scenario, run, sweep, sobol
    base = Scenario.load("sentinel_replay")
    result = run(base, seed=1, replicates=20)
    better = base.replace(double_keying_cost=0.3)
    frame = sweep([base, better], replicates=20, seed=7)
    indices = sobol(base, n=1024, seed=3)

``run`` and ``sweep`` are functions with the same names as the modules that define them
(``sim.run``, ``sim.sweep``): the functions are bound here first, so ``from sim import run``
always gives the function.
"""

from __future__ import annotations

import importlib
from typing import Any

from sim.run import RunResult as RunResult
from sim.run import run as run
from sim.sweep import sweep as sweep

_EXPORTS = {
    "Scenario": "sim.scenarios",
    "SharingModel": "sim.model",
    "PARAMETERS": "sim.params",
    "morris": "sim.sensitivity",
    "sobol": "sim.sensitivity",
    "calibrate": "sim.calibration",
}

__all__ = sorted([*_EXPORTS, "RunResult", "run", "sweep"])
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # shadow a submodule of the same name (sim.sweep)
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
