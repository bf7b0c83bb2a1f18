"""The parameter registry: every model parameter by name, its defaults, and checked values.

The entries, each with a default, a plausible range, a unit, a framework category, its
provenance and source, are :data:`sim.registry.ENTRIES`. Sensitivity analysis, calibration,
scenario validation, the dashboard sliders and the ODD parameter table all read the registry
through this module; no other module lists parameter names. What an entry holds is
:class:`sim.parameter.Parameter`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

from sim.inputs import did_you_mean
from sim.parameter import Parameter, ParameterError
from sim.registry import ENTRIES

PARAMETERS: Mapping[str, Parameter] = MappingProxyType({p.name: p for p in ENTRIES})
"""Every parameter by name, in registry order."""


def defaults() -> dict[str, float]:
    """Return the default value of every parameter."""
    return {name: p.default for name, p in PARAMETERS.items()}


def uncertain_parameters() -> tuple[Parameter, ...]:
    """Return the parameters that sensitivity analysis and calibration treat as uncertain."""
    return tuple(p for p in PARAMETERS.values() if p.uncertain)


def unknown_parameter(name: str) -> str | None:
    """Return ``unknown parameter 'x'`` with the closest name, or None if ``name`` is one."""
    if name in PARAMETERS:
        return None
    return f"unknown parameter {name!r}{did_you_mean(name, PARAMETERS)}"


def check_value(name: str, value: object, where: str = "") -> float:
    """Return ``value`` as a float if it is a valid value of parameter ``name``.

    Raises
    ------
    ParameterError
        With one message naming the parameter, the value and the problem.
    """
    prefix = f"{where}: " if where else ""
    unknown = unknown_parameter(name)
    if unknown is not None:
        raise ParameterError(prefix + unknown)
    param = PARAMETERS[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParameterError(
            f"{prefix}parameter {name!r} must be a number, got {type(value).__name__} {value!r}"
        )
    number = float(value)
    if not math.isfinite(number):
        raise ParameterError(f"{prefix}parameter {name!r} must be finite, got {number}")
    if not param.low <= number <= param.high:
        raise ParameterError(
            f"{prefix}parameter {name!r} = {number:g} is outside its range "
            f"[{param.low:g}, {param.high:g}] {param.unit}"
        )
    return number


def resolve(overrides: Mapping[str, object] | None = None, where: str = "") -> dict[str, float]:
    """Return a full parameter set: defaults with ``overrides`` checked and applied."""
    values = defaults()
    for name, value in (overrides or {}).items():
        values[name] = check_value(name, value, where)
    return values


def parameter_table() -> str:
    """Write the registry as a Markdown table (``docs/ODD.md`` embeds it; a test checks it)."""
    lines = [
        "| name | default | range | unit | category | provenance | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in PARAMETERS.values():
        lines.append(
            f"| `{p.name}` | {p.default:g} | {p.low:g} – {p.high:g} | {p.unit} | {p.category} "
            f"| {p.provenance} | {p.source} |"
        )
    return "\n".join(lines)
