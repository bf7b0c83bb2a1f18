"""The methods' settings: a Sobol analysis's, a Shapley analysis's or a Morris screening's sizes.

How the runs are executed is one :class:`sim.execution.Execution`, as for every sweep.

Every choice is checked when the settings are made, so a bad experiment fails before any
run starts, with one line naming the problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from sim.inputs import FileError
from sim.sensitivity.factors import Level

DEFAULT_OUTPUTS: tuple[str, ...] = ("share_final_year", "share_mean", "buy_in_final")
"""Partnership recording share in the final year, time-averaged share, final buy-in."""

Method = Literal["sobol", "morris", "shapley"]
"""The analyses, by the name an experiment file's ``method`` gives them: variance-based indices
of independent inputs, elementary-effects screening, or Shapley effects of categories whose
inputs may be dependent. Each settings class names its own (``SobolSettings.method``)."""

InputSet = Literal["all", "parameters"]
"""Every uncertain input of the scenario, or only the registry's uncertain parameters."""


class SensitivityError(FileError):
    """Settings a sensitivity analysis cannot use (sizes, outputs, inputs)."""


class RunsError(RuntimeError):
    """Runs of a design failed or are missing, so indices cannot be computed."""


@dataclass(frozen=True)
class SobolSettings:
    """Sizes and choices of a Sobol analysis.

    Attributes
    ----------
    n : int
        Base points, a power of two (>= 16). The design has ``n (k + 2)`` rows for ``k``
        factors or groups (``n (2k + 2)`` with second order).
    replicates : int
        Runs per design row (>= 1); indices use their mean, noise uses their spread.
    level : {"category", "parameter"}
        Grouped by framework category (SALib groups) or one index per input.
    outputs : tuple of str
        Output names or patterns (``"share_final_year.*"`` for every partner).
    second_order : bool
        Also estimate second-order indices (doubles the cross blocks of the design).
    bootstrap : int
        Bootstrap resamples for the intervals (>= 100).
    confidence : float
        Coverage of the intervals, in (0.5, 1).
    convergence_from : int
        Smallest ``n`` of the convergence view (a power of two, at least 8).
    """

    method: ClassVar[Method] = "sobol"
    n: int = 1024
    replicates: int = 5
    level: Level = "category"
    outputs: tuple[str, ...] = DEFAULT_OUTPUTS
    second_order: bool = False
    bootstrap: int = 1000
    confidence: float = 0.95
    convergence_from: int = 64

    def __post_init__(self) -> None:
        """Check every setting, so a bad analysis fails before any run starts."""
        _power_of_two("n", self.n, 16)
        _power_of_two("convergence_from", self.convergence_from, 8)
        _common_checks(self)


@dataclass(frozen=True)
class MorrisSettings:
    """Sizes and choices of a Morris screening.

    Attributes
    ----------
    trajectories : int
        One-at-a-time paths through the input space (>= 4); each has ``k + 1`` rows.
    levels : int
        Grid levels per input, even (>= 4).
    replicates, level, outputs, bootstrap, confidence
        As for :class:`SobolSettings` (the interval is on ``mu_star``).
    """

    method: ClassVar[Method] = "morris"
    trajectories: int = 20
    levels: int = 4
    replicates: int = 5
    level: Level = "parameter"
    outputs: tuple[str, ...] = DEFAULT_OUTPUTS
    bootstrap: int = 1000
    confidence: float = 0.95

    def __post_init__(self) -> None:
        """Check every setting, so a bad screening fails before any run starts."""
        if self.trajectories < 4:
            raise SensitivityError(f"trajectories must be at least 4, got {self.trajectories}")
        if self.levels < 4 or self.levels % 2:
            raise SensitivityError(f"levels must be an even number >= 4, got {self.levels}")
        _common_checks(self)


@dataclass(frozen=True)
class ShapleySettings:
    """Sizes and choices of a Shapley analysis over the framework categories.

    A design has ``n_variance + (2^k - 2) n_outer n_inner`` rows per assignment for ``k``
    categories (62 subsets for the six).

    Attributes
    ----------
    n_outer : int
        Draws of the other categories' inputs per subset of categories (>= 16).
    n_inner : int
        Draws of a subset's inputs given each outer draw (>= 2).
    n_variance : int
        Independent draws of every input for the variance (>= 64).
    replicates : int
        Runs per design row (>= 1); at least 2 to take the noise out of the effects.
    assignments : tuple of str
        Names of :data:`sim.sensitivity.factors.ASSIGNMENTS`: each is analysed, with its own
        design, so the answer can be compared across them.
    outputs, bootstrap, confidence
        As for :class:`SobolSettings`.
    """

    method: ClassVar[Method] = "shapley"
    n_outer: int = 128
    n_inner: int = 3
    n_variance: int = 1024
    replicates: int = 2
    assignments: tuple[str, ...] = ("registry",)
    outputs: tuple[str, ...] = DEFAULT_OUTPUTS
    bootstrap: int = 1000
    confidence: float = 0.95

    @property
    def level(self) -> Level:
        """Shapley effects are of framework categories (the groups)."""
        return "category"

    def __post_init__(self) -> None:
        """Check every setting, so a bad analysis fails before any run starts."""
        for name, value, smallest in (
            ("n_outer", self.n_outer, 16),
            ("n_inner", self.n_inner, 2),
            ("n_variance", self.n_variance, 64),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < smallest:
                raise SensitivityError(
                    f"{name} must be a whole number >= {smallest}, got {value!r}"
                )
        if not self.assignments or len(set(self.assignments)) != len(self.assignments):
            raise SensitivityError(
                f"assignments must be a non-empty list of distinct names, got {self.assignments}"
            )
        _common_checks(self)


def _power_of_two(name: str, value: int, smallest: int) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < smallest
        or (value & (value - 1))
    ):
        raise SensitivityError(f"{name} must be a power of two >= {smallest}, got {value!r}")


def _common_checks(settings: SobolSettings | MorrisSettings | ShapleySettings) -> None:
    """Check the settings every method has: replicates, level, outputs and the intervals."""
    if settings.replicates < 1:
        raise SensitivityError(f"replicates must be at least 1, got {settings.replicates}")
    if settings.level not in ("category", "parameter"):
        raise SensitivityError(f"level must be 'category' or 'parameter', got {settings.level!r}")
    if not settings.outputs or isinstance(settings.outputs, str):
        raise SensitivityError("outputs must be a non-empty list of output names")
    if settings.bootstrap < 100:
        raise SensitivityError(
            f"bootstrap must be at least 100 resamples, got {settings.bootstrap}"
        )
    if not 0.5 < settings.confidence < 1.0:
        raise SensitivityError(f"confidence must be in (0.5, 1), got {settings.confidence}")
