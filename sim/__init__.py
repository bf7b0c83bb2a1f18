"""sharesim: agent-based simulation of multi-agency information sharing.

The notebook API::

    from sim import Scenario, run, sweep, sobol
    base = Scenario.load("sentinel_replay")
    result = run(base, seed=1, replicates=20)
    better = base.replace(double_keying_cost=0.3)
    frame = sweep([base, better], replicates=20, seed=7)
    indices = sobol(base, n=1024, seed=3)

Every public name is loaded on first use, so that importing any part of the package (the
command line answering ``--help``, say) does not load pandas, numba and the engine.

``run`` and ``sweep`` are functions with the same names as the modules that define them
(``sim.run``, ``sim.sweep``): ``sim.run`` and ``sim.sweep`` are always the functions, whatever
was imported first, and the modules stay reachable with ``importlib.import_module``.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.calibration import calibrate as calibrate
    from sim.model import SharingModel as SharingModel
    from sim.params import PARAMETERS as PARAMETERS
    from sim.run import RunResult as RunResult
    from sim.run import run as run
    from sim.scenarios import Scenario as Scenario
    from sim.sensitivity import morris as morris
    from sim.sensitivity import sobol as sobol
    from sim.sweep import sweep as sweep

_EXPORTS = {
    "Scenario": "sim.scenarios",
    "SharingModel": "sim.model",
    "PARAMETERS": "sim.params",
    "RunResult": "sim.run",
    "run": "sim.run",
    "sweep": "sim.sweep",
    "morris": "sim.sensitivity",
    "sobol": "sim.sensitivity",
    "calibrate": "sim.calibration",
}

_SHADOWED = frozenset({"run", "sweep"})
"""Functions named like the submodule that defines them: the function wins."""

__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


class _Package(types.ModuleType):
    """The package's module type, keeping ``sim.run`` and ``sim.sweep`` the functions.

    Importing the submodule ``sim.run`` or ``sim.sweep`` binds it on its parent; here it must
    not hide the function of the same name.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
