"""Calibration of the replay to the evidence: targets as data, screening, then ABC-SMC.

>>> from sim import calibrate
>>> from sim.calibration import CalibrationSettings, write_outputs
>>> result = calibrate(settings=CalibrationSettings(screening=300, particles=200), out="cal")
>>> result.identification()    # which parameters the targets pin down, and which they do not
>>> result.fit()               # each target: met or missed, and by how much
>>> write_outputs(result, "cal")   # report.md/.html, figures, sentinel_calibrated.toml

See ``docs/calibration.md`` for the targets, the method and how to read the report.
"""

from __future__ import annotations

from sim.calibration.abc import Box, Population, Settings, abc_smc
from sim.calibration.fit import calibrate
from sim.calibration.folder import write_outputs
from sim.calibration.problem import prepare
from sim.calibration.result import Calibration
from sim.calibration.settings import (
    STANDARD_INPUTS,
    CalibrationSettings,
    SettingsError,
    load_settings,
)
from sim.calibration.stages import CalibrationProgress
from sim.calibration.targets import (
    SHIPPED,
    Constraint,
    Target,
    TargetsError,
    TargetSet,
    load_targets,
    parse_targets,
)

__all__ = [
    "SHIPPED",
    "STANDARD_INPUTS",
    "Box",
    "Calibration",
    "CalibrationProgress",
    "CalibrationSettings",
    "Constraint",
    "Population",
    "Settings",
    "SettingsError",
    "Target",
    "TargetSet",
    "TargetsError",
    "abc_smc",
    "calibrate",
    "load_settings",
    "load_targets",
    "parse_targets",
    "prepare",
    "write_outputs",
]
