"""Sensitivity experiment files: an experiment file with a ``[sensitivity]`` section.

The top level is the experiment-file format of :mod:`sim.sweep.experiment` (``name``,
``description``, ``scenarios``, ``replicates``, ``seed``), checked by the same schema, so an
analyst writes one kind of file. Instead of a ``[design]`` table, the ``[sensitivity]`` table
says which analysis to run; the design follows from it::

    name = "sensitivity_sobol_grouped"
    description = "Which framework categories change sharing most."
    scenarios = ["sentinel_replay"]
    replicates = 5
    seed = 20110404

    [sensitivity]
    method = "sobol"                 # or "morris"
    level = "category"               # or "parameter"
    n = 1024                         # sobol: base points, a power of two
    inputs = "all"                   # "all", "parameters" or a list of names / categories
    outputs = ["share_final_year", "share_mean", "buy_in_final"]

Morris takes ``trajectories`` (and ``levels``) instead of ``n``; Shapley (``method =
"shapley"``, by category only) takes ``n_outer``, ``n_inner``, ``n_variance`` and
``assignments``. Optional for all: ``bounds`` (narrower ranges), ``bootstrap``,
``confidence``; for Sobol also ``second_order`` and ``convergence_from``. Reading goes
bytes -> UTF-8 -> TOML -> pydantic (strict, no unknown keys) -> scenario, inputs, outputs
checked -> the design's size and the runs checked against ``sim.limits``; any problem is
one :class:`SensitivityExperimentError` line naming the file, the field and the problem.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib.resources.abc import Traversable
from pathlib import Path, PurePath
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.design import morris_rows, sobol_rows
from sim.errors import InputError
from sim.execution import Execution
from sim.inputs import (
    FileError,
    FileFormat,
    Problem,
    model_tables,
    problems_below,
    read_toml,
    validation_problems,
)
from sim.limits import design_problem, runs_problem
from sim.provenance import file_reference
from sim.scenarios import Scenario
from sim.sensitivity.analysis import select_outputs
from sim.sensitivity.factors import Factor, FactorError, narrow, unknown_assignment
from sim.sensitivity.methods import (
    DEFAULT_OUTPUTS,
    Method,
    MorrisSettings,
    SensitivityError,
    ShapleySettings,
    SobolSettings,
)
from sim.sensitivity.result import SensitivityResult
from sim.sensitivity.scenario import analyse, factors_of, scenario_outputs
from sim.sensitivity.shapley_analysis import design_rows
from sim.shipped import EXPERIMENTS, find
from sim.sweep import ProgressCallback
from sim.sweep.experiment import ExperimentFile, scenario_reference

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)
Finite = Annotated[float, Field(allow_inf_nan=False)]
Bounds = Annotated[list[Finite], Field(min_length=2, max_length=2)]
Inputs = Literal["all", "parameters"] | Annotated[list[str], Field(min_length=1)]
Outputs = Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]


class SensitivityExperimentError(FileError):
    """A sensitivity experiment file that cannot be run: ``<file>: <field>: <problem>``."""


class _Section(BaseModel):
    model_config = _STRICT

    inputs: Inputs = "all"
    bounds: dict[str, Bounds] = Field(default_factory=dict)
    outputs: Outputs = Field(default_factory=lambda: list(DEFAULT_OUTPUTS))
    bootstrap: Annotated[int, Field(ge=100, le=100_000)] = 1000
    confidence: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.95


class SobolSection(_Section):
    """``[sensitivity]`` of a Sobol analysis (see :class:`SobolSettings`)."""

    method: Literal["sobol"]
    level: Literal["category", "parameter"] = "category"
    n: Annotated[int, Field(ge=16, le=1 << 20)]
    second_order: bool = False
    convergence_from: Annotated[int, Field(ge=8, le=1 << 20)] = 64


class MorrisSection(_Section):
    """``[sensitivity]`` of a Morris screening (see :class:`MorrisSettings`)."""

    method: Literal["morris"]
    level: Literal["category", "parameter"] = "parameter"
    trajectories: Annotated[int, Field(ge=4, le=10_000)]
    levels: Annotated[int, Field(ge=4, le=64)] = 4


class ShapleySection(_Section):
    """``[sensitivity]`` of a Shapley analysis (see :class:`ShapleySettings`)."""

    method: Literal["shapley"]
    n_outer: Annotated[int, Field(ge=16, le=100_000)] = 128
    n_inner: Annotated[int, Field(ge=2, le=100)] = 3
    n_variance: Annotated[int, Field(ge=64, le=1_000_000)] = 1024
    assignments: Annotated[list[str], Field(min_length=1)] = Field(
        default_factory=lambda: ["registry"]
    )


Section = Annotated[SobolSection | MorrisSection | ShapleySection, Field(discriminator="method")]
_METHODS: tuple[Method, ...] = get_args(Method)


class _File(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    sensitivity: Section


@dataclass(frozen=True)
class SensitivityExperiment:
    """A checked sensitivity experiment file, ready to run.

    Attributes
    ----------
    path, text_sha256
        The file and its text's digest, as for :class:`sim.sweep.experiment.Experiment`.
    name : str
        The experiment's name (the file's stem unless it gives one).
    description : str
        One line on what it is for.
    scenario : Scenario
        The scenario analysed.
    factors : tuple of Factor
        The inputs varied, with their ranges and categories.
    settings : SobolSettings, MorrisSettings or ShapleySettings
        The analysis and its sizes.
    seed : int
        Seed of the design, the runs and the bootstrap.
    """

    path: Path | Traversable
    name: str
    description: str
    scenario: Scenario
    factors: tuple[Factor, ...]
    settings: SobolSettings | MorrisSettings | ShapleySettings
    seed: int
    text_sha256: str

    @property
    def design_rows(self) -> int:
        """Rows of the analysis's design (one block per Sobol base point or Morris path)."""
        return _design_rows(self.settings, self.factors)

    @property
    def method(self) -> Method:
        """The analysis: ``sobol``, ``morris`` or ``shapley``."""
        return self.settings.method

    @property
    def runs(self) -> int:
        """Model runs the analysis needs (design rows times replicates)."""
        return self.design_rows * self.settings.replicates

    def run(
        self,
        execution: Execution | None = None,
        *,
        out: Path | None = None,
        progress: ProgressCallback | None = None,
    ) -> SensitivityResult:
        """Run the analysis on the sweep runner; ``out`` (the runs' folder) makes it resumable."""
        result = analyse(
            self.scenario,
            self.factors,
            self.settings,
            seed=self.seed,
            execution=execution,
            out=out,
            progress=progress,
        )
        provenance = {
            **result.provenance,
            "experiment": self.name,
            "experiment_file": file_reference(Path(str(self.path))),
            "experiment_file_sha256": self.text_sha256,
        }
        return replace(result, provenance=provenance)


def _format() -> FileFormat:
    """How a sensitivity experiment file's validation errors read."""
    return FileFormat(
        fields={
            "": (*ExperimentFile.model_fields, "sensitivity"),
            **model_tables(
                {"sobol": SobolSection, "morris": MorrisSection, "shapley": ShapleySection}
            ),
        },
        tags=frozenset(_METHODS),
        choices={"method": _METHODS},
    )


def _design_rows(
    settings: SobolSettings | MorrisSettings | ShapleySettings, factors: tuple[Factor, ...]
) -> int:
    """Rows of the design ``settings`` asks for over ``factors`` (or over their categories)."""
    if isinstance(settings, ShapleySettings):
        return design_rows(factors, settings)
    k = len({f.category for f in factors}) if settings.level == "category" else len(factors)
    if isinstance(settings, SobolSettings):
        return sobol_rows(settings.n, k, settings.second_order)
    return morris_rows(settings.trajectories, k)


def load_sensitivity_experiment(path: Path | str, *, force: bool = False) -> SensitivityExperiment:
    """Read and check a sensitivity experiment file; nothing runs.

    ``path`` and ``force`` are as for :func:`sim.sweep.experiment.load_experiment` (a shipped
    sensitivity experiment is named as ``"sensitivity_morris"`` is).

    Raises
    ------
    SensitivityExperimentError
        One line: the file, the field (``sensitivity.n``) and the problem.
    """
    source, label = find(path, EXPERIMENTS, SensitivityExperimentError)
    document, raw = read_toml(source, label, SensitivityExperimentError)
    if "design" in document:
        raise SensitivityExperimentError.at(
            label,
            "design",
            "a sensitivity experiment builds its own design from [sensitivity]; remove "
            "[design] (or run it with sharesim sweep)",
        )
    if "sensitivity" not in document:
        raise SensitivityExperimentError.at(
            label,
            "sensitivity",
            "required table is missing (method = 'sobol', 'shapley' or 'morris')",
        )
    try:
        top = ExperimentFile.model_validate(
            {k: v for k, v in document.items() if k != "sensitivity"}
        )
        section = _File.model_validate({"sensitivity": document["sensitivity"]}).sensitivity
    except ValidationError as exc:
        raise SensitivityExperimentError.first(label, validation_problems(exc, _format())) from None
    if top.keep != "summary":
        raise SensitivityExperimentError.at(
            label, "keep", f"a sensitivity analysis keeps summary metrics only, got {top.keep!r}"
        )
    if len(top.scenarios) != 1:
        raise SensitivityExperimentError.at(
            label,
            "scenarios",
            f"a sensitivity analysis takes exactly one scenario, got {len(top.scenarios)}",
        )
    reference = scenario_reference(top.scenarios[0], source)

    def checked[T](field: str, make: Callable[[], T]) -> T:
        try:
            return make()
        except InputError as exc:
            raise SensitivityExperimentError(f"{label}: {field}{exc}") from None

    scenario = checked("scenarios[0]: ", lambda: Scenario.load(reference))
    bounds = {name: (pair[0], pair[1]) for name, pair in section.bounds.items()}
    problems: list[Problem] = []  # of inputs and outputs, every one told
    try:
        factors = narrow(factors_of(scenario, section.inputs), bounds)
    except FactorError as exc:
        factors, problems = (), problems_below(exc, "sensitivity")
    try:
        select_outputs(section.outputs, scenario_outputs(scenario))
    except SensitivityError as exc:
        problems += problems_below(exc, "sensitivity")
    SensitivityExperimentError.raise_any(label, problems)
    settings = checked("sensitivity: ", lambda: _settings(section, top.replicates))
    if isinstance(settings, ShapleySettings):
        unknown = [
            Problem(f"sensitivity.assignments[{i}]", problem)
            for i, name in enumerate(settings.assignments)
            if (problem := unknown_assignment(name))
        ]
        SensitivityExperimentError.raise_any(label, unknown)
    rows = checked("sensitivity: ", lambda: _design_rows(settings, factors))
    too_big = design_problem(rows, len(factors))
    if too_big is not None:
        raise SensitivityExperimentError.at(label, "sensitivity", too_big)
    counted = f"{rows:,} design rows x {top.replicates:,} replicate(s)"
    too_many = runs_problem(rows * top.replicates, force, counted)
    if too_many is not None:
        raise SensitivityExperimentError.at(label, "", too_many)
    return SensitivityExperiment(
        path=source,
        name=top.name or PurePath(source.name).stem,
        description=top.description,
        scenario=scenario,
        factors=factors,
        settings=settings,
        seed=top.seed,
        text_sha256=hashlib.sha256(raw).hexdigest(),
    )


def _settings(
    section: SobolSection | MorrisSection | ShapleySection, replicates: int
) -> SobolSettings | MorrisSettings | ShapleySettings:
    """Turn a ``[sensitivity]`` section and the file's replicates into the method's settings."""
    common: dict[str, Any] = {
        "replicates": replicates,
        "outputs": tuple(section.outputs),
        "bootstrap": section.bootstrap,
        "confidence": section.confidence,
    }
    if isinstance(section, ShapleySection):
        return ShapleySettings(
            n_outer=section.n_outer,
            n_inner=section.n_inner,
            n_variance=section.n_variance,
            assignments=tuple(section.assignments),
            **common,
        )
    common["level"] = section.level
    if isinstance(section, SobolSection):
        return SobolSettings(
            n=section.n,
            second_order=section.second_order,
            convergence_from=section.convergence_from,
            **common,
        )
    return MorrisSettings(trajectories=section.trajectories, levels=section.levels, **common)
