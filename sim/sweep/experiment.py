"""Experiment files: which scenarios, which design, how many replicates, which seed.

An experiment file is TOML (format: ``docs/sweeps.md``)::

    name = "interface_sweep"
    description = "Double keying cost against the interface counterfactuals."
    scenarios = ["sentinel_replay", "all_integrated", "no_interfaces"]
    replicates = 10
    seed = 20110404
    keep = "summary"                 # or "trajectories"

    [design]
    kind = "grid"
    levels = { double_keying_cost = [0.3, 1.0, 2.0, 3.0] }

Design kinds: ``grid`` (``levels`` and/or ``points`` per input), ``latin_hypercube``
(``samples``, ``seed``), ``sobol`` (``n`` a power of two, ``seed``, ``second_order``),
``morris`` (``trajectories``, ``levels``, ``seed``) and ``list`` (``rows``). Random designs
vary ``inputs``: a list of names, ``"parameters"`` (the uncertain registry parameters) or
``"all"`` (every uncertain input the scenarios share); ``bounds`` narrows an input's range.

Reading goes: bytes -> UTF-8 -> TOML (``tomllib``) -> the schema below (pydantic, strict, no
unknown keys, finite numbers) -> scenarios loaded -> inputs and values checked against the
registry and the scenarios' ranges -> sizes checked against ``sim.limits`` (the design before
it is built; the runs, scenarios x design rows x replicates, after). Any problem is one
:class:`ExperimentError` whose text names the file, the field and the problem on one line,
and nothing is run or written.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path, PurePath
from typing import Annotated, Any, Literal, get_args

import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from sim import design as designs
from sim.errors import InputError
from sim.inputs import (
    FileError,
    FileFormat,
    Problem,
    did_you_mean,
    model_tables,
    read_toml,
    validation_problems,
)
from sim.limits import (
    MAX_DESIGN_ROWS,
    MAX_GRID_POINTS,
    MAX_REPLICATES,
    MAX_SEED,
    runs_problem,
)
from sim.params import uncertain_parameters
from sim.scenarios import Scenario
from sim.shipped import EXPERIMENTS, find, is_path
from sim.sweep.plan import Plan, make_plan


class ExperimentError(FileError):
    """An experiment file that cannot be run: ``<file>: <field>: <problem>`` on one line."""


Finite = Annotated[float, Field(allow_inf_nan=False)]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]
Bounds = Annotated[list[Finite], Field(min_length=2, max_length=2)]
InputChoice = Literal["parameters", "all"] | Annotated[list[str], Field(min_length=1)]

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


class GridDesign(BaseModel):
    """Every combination of levels.

    ``levels`` lists values; ``points`` asks for that many evenly spaced values between the
    input's bounds (``bounds`` or its range).
    """

    model_config = _STRICT

    kind: Literal["grid"]
    levels: dict[str, Annotated[list[Finite], Field(min_length=1)]] = Field(default_factory=dict)
    points: dict[str, Annotated[int, Field(ge=2, le=MAX_GRID_POINTS)]] = Field(default_factory=dict)
    bounds: dict[str, Bounds] = Field(default_factory=dict)


class _RandomDesign(BaseModel):
    """What every random design has: its seed and the inputs it varies, within bounds."""

    model_config = _STRICT

    seed: Seed
    inputs: InputChoice = "parameters"
    bounds: dict[str, Bounds] = Field(default_factory=dict)


class LatinHypercubeDesign(_RandomDesign):
    """``samples`` points of a Latin hypercube over ``inputs``."""

    kind: Literal["latin_hypercube"]
    samples: Annotated[int, Field(ge=1, le=MAX_DESIGN_ROWS)]


class SobolDesign(_RandomDesign):
    """A Saltelli-Sobol design with ``n`` base points (a power of two) over ``inputs``."""

    kind: Literal["sobol"]
    n: Annotated[int, Field(ge=1, le=MAX_DESIGN_ROWS)]
    second_order: bool = False


class MorrisDesign(_RandomDesign):
    """``trajectories`` Morris trajectories on a ``levels``-level grid over ``inputs``."""

    kind: Literal["morris"]
    trajectories: Annotated[int, Field(ge=2, le=MAX_DESIGN_ROWS)]
    levels: Annotated[int, Field(ge=2, le=64)] = 4


class ListDesign(BaseModel):
    """Explicit design points, each naming the same inputs."""

    model_config = _STRICT

    kind: Literal["list"]
    rows: Annotated[list[dict[str, Finite]], Field(min_length=1, max_length=MAX_DESIGN_ROWS)]


DesignSpec = Annotated[
    GridDesign | LatinHypercubeDesign | SobolDesign | MorrisDesign | ListDesign,
    Field(discriminator="kind"),
]


_FOLDER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
"""Letters, digits, ``_``, ``.`` and ``-``, starting with a letter, a digit or ``_``: so
neither ``.`` nor ``..`` (which would name the folder above) nor an option-like ``-x``."""


def _folder_name(name: str) -> str:
    """Return ``name`` if it can name a results folder of its own (:data:`_FOLDER_NAME`).

    Raises
    ------
    ValueError
        Otherwise, saying so in words (pydantic's own message would show the pattern).
    """
    if not _FOLDER_NAME.fullmatch(name):
        raise ValueError(
            f"{name!r} cannot name a results folder: use letters, digits, _, . and -, "
            "starting with a letter, a digit or _"
        )
    return name


ExperimentName = Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_folder_name)]
"""An experiment's name, which its default results folder takes."""


class ExperimentFile(BaseModel):
    """The top level of an experiment file."""

    model_config = _STRICT

    name: ExperimentName | None = None
    description: str = ""
    scenarios: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    replicates: Annotated[int, Field(ge=1, le=MAX_REPLICATES)] = 1
    seed: Seed
    keep: Literal["summary", "trajectories"] = "summary"
    design: DesignSpec | None = None


_DESIGN_KINDS: tuple[str, ...] = get_args(designs.DesignKind)

FORMAT = FileFormat(
    fields=model_tables(
        {
            "": ExperimentFile,
            "grid": GridDesign,
            "latin_hypercube": LatinHypercubeDesign,
            "sobol": SobolDesign,
            "morris": MorrisDesign,
            "list": ListDesign,
        }
    ),
    tags=frozenset(_DESIGN_KINDS),
    choices={"kind": _DESIGN_KINDS},
)
"""How an experiment file's validation errors read."""


@dataclass(frozen=True)
class Experiment:
    """A checked experiment file, ready to run.

    Attributes
    ----------
    path : Path or Traversable
        The file (a shipped one is inside the installed package).
    spec : ExperimentFile
        What the file says.
    scenarios : tuple of Scenario
        Loaded scenarios, in file order.
    design : DataFrame
        The design matrix (one row per point; no columns when the file has no design).
    text_sha256 : str
        Digest of the file's bytes (recorded in the manifest).
    """

    path: Path | Traversable
    spec: ExperimentFile
    scenarios: tuple[Scenario, ...]
    design: pd.DataFrame
    text_sha256: str

    @property
    def name(self) -> str:
        """The experiment's name (the file's stem unless it gives one)."""
        return self.spec.name or PurePath(self.path.name).stem

    def plan(self) -> Plan:
        """Return the sweep this experiment describes."""
        about = {
            "experiment_file": str(self.path),
            "experiment_file_sha256": self.text_sha256,
            "description": self.spec.description,
            "design": None if self.spec.design is None else self.spec.design.model_dump(),
        }
        return make_plan(
            self.scenarios,
            self.design,
            replicates=self.spec.replicates,
            seed=self.spec.seed,
            keep=self.spec.keep,
            name=self.name,
            about=about,
        )


def load_experiment(path: Path | str, *, force: bool = False) -> Experiment:
    """Read, validate and resolve an experiment file.

    Parameters
    ----------
    path : Path or str
        A shipped experiment's name (``"interface_sweep"``) or an experiment file's path
        (:mod:`sim.shipped`).
    force : bool
        Accept more runs than ``sim.limits.CONFIRM_RUNS_ABOVE`` (the command line's
        ``--yes``); never more than ``sim.limits.MAX_RUNS``.

    Raises
    ------
    ExperimentError
        One line: the file, the field path (``design.levels.double_keying_cost[2]``) and
        the problem.
    """
    source, label = find(path, EXPERIMENTS, ExperimentError)
    document, raw = read_toml(source, label, ExperimentError)
    try:
        spec = ExperimentFile.model_validate(document)
    except ValidationError as exc:
        raise ExperimentError.first(label, validation_problems(exc, FORMAT)) from None
    scenarios = _load_scenarios(spec.scenarios, source, label)
    design = _build_design(spec, scenarios, label)
    counted = (
        f"{len(scenarios)} scenario(s) x {len(design):,} design row(s) x "
        f"{spec.replicates:,} replicate(s)"
    )
    problem = runs_problem(len(scenarios) * len(design) * spec.replicates, force, counted)
    if problem is not None:
        raise ExperimentError.at(label, "", problem)
    return Experiment(source, spec, scenarios, design, hashlib.sha256(raw).hexdigest())


def scenario_reference(entry: str, source: Path | Traversable) -> str | Path:
    """Return what an experiment file's ``scenarios`` entry names.

    A shipped scenario's name as it is; a path relative to the experiment file's folder (not
    to where it is run).
    """
    if not is_path(entry):
        return entry
    folder = source.parent if isinstance(source, Path) else Path(str(source)).parent
    return folder / entry


def _load_scenarios(
    names: Sequence[str], source: Path | Traversable, label: str
) -> tuple[Scenario, ...]:
    loaded: list[Scenario] = []
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for i, entry in enumerate(names):
        try:
            scenario = Scenario.load(scenario_reference(entry, source))
        except InputError as exc:
            problems.append(Problem(f"scenarios[{i}]", str(exc)))
            continue
        if scenario.name in seen:
            problems.append(
                Problem(
                    f"scenarios[{i}]",
                    f"scenario {scenario.name!r} is already scenarios[{seen[scenario.name]}]",
                )
            )
        seen[scenario.name] = i
        loaded.append(scenario)
    ExperimentError.raise_any(label, problems)
    return tuple(loaded)


def _build_design(spec: ExperimentFile, scenarios: Sequence[Scenario], label: str) -> pd.DataFrame:
    """Return the design's rows, once every input it names and value it gives is checked.

    Every problem of names and values is found before any is raised, so ``validate`` lists
    them all; what the design functions then refuse is one problem at ``design``.
    """
    ranges = designs.input_ranges(scenarios)
    design = spec.design
    if design is None:
        return pd.DataFrame(index=pd.RangeIndex(1))
    problems: list[Problem] = []
    try:
        if isinstance(design, GridDesign):
            frame = designs.grid(_grid(design, ranges, label, problems))
        elif isinstance(design, ListDesign):
            for i, row in enumerate(design.rows):
                _given(f"design.rows[{i}]", row, ranges, problems)
            ExperimentError.raise_any(label, problems)
            frame = designs.explicit(design.rows)
        else:
            bounds = _bounds(design.inputs, design.bounds, scenarios, ranges, label, problems)
            if isinstance(design, LatinHypercubeDesign):
                frame = designs.latin_hypercube(bounds, design.samples, seed=design.seed)
            elif isinstance(design, SobolDesign):
                frame = designs.sobol_sample(
                    bounds, design.n, seed=design.seed, calc_second_order=design.second_order
                )
            else:
                frame = designs.morris_sample(
                    bounds, design.trajectories, seed=design.seed, levels=design.levels
                )
        return designs.check_design(frame, ranges, where=f"{label}: design")
    except designs.DesignError as exc:
        message = str(exc)
        if message.startswith(label):
            raise ExperimentError(message) from None
        raise ExperimentError.at(label, "design", message) from None


def _known(where: str, name: str, ranges: Mapping[str, Any], problems: list[Problem]) -> bool:
    """Whether ``name`` is an input of the scenarios; a problem at ``where`` if not."""
    if name in ranges:
        return True
    problems.append(Problem(where, f"unknown input {name!r}{did_you_mean(name, ranges)}"))
    return False


def _given(
    where: str,
    values: Mapping[str, float],
    ranges: Mapping[str, tuple[float, float]],
    problems: list[Problem],
) -> None:
    """Check values given by name (a row of a list design): known inputs, inside their ranges."""
    for name, value in values.items():
        if _known(where, name, ranges, problems):
            _in_range(f"{where}.{name}", value, ranges[name], problems)


def _in_range(where: str, value: float, span: tuple[float, float], problems: list[Problem]) -> None:
    low, high = span
    if not low <= value <= high:
        problems.append(
            Problem(where, f"{value:g} is outside the input's range [{low:g}, {high:g}]")
        )


def _grid(
    design: GridDesign,
    ranges: Mapping[str, tuple[float, float]],
    label: str,
    problems: list[Problem],
) -> dict[str, list[float]]:
    """Return the levels of a grid: its inputs' levels as given, and evenly spaced points."""
    for name, values in design.levels.items():
        if _known("design.levels", name, ranges, problems):
            for i, value in enumerate(values):
                _in_range(f"design.levels.{name}[{i}]", value, ranges[name], problems)
    for name in design.bounds:
        if name not in design.points:
            problems.append(
                Problem(f"design.bounds.{name}", "bounds apply to inputs given by points")
            )
    for name in design.points:
        if _known("design.points", name, ranges, problems) and name in design.levels:
            problems.append(
                Problem(
                    f"design.points.{name}", "the input already has levels; give one or the other"
                )
            )
    if not design.levels and not design.points:
        problems.append(Problem("design", "a grid needs levels or points for an input"))
    ExperimentError.raise_any(label, problems)
    levels = {name: list(values) for name, values in design.levels.items()}
    bounds: dict[str, tuple[float, float]] = {}
    if design.bounds:
        given = {n: (b[0], b[1]) for n, b in design.bounds.items()}
        bounds = designs.check_bounds(given, ranges, f"{label}: design.bounds")
    for name, count in design.points.items():
        low, high = bounds.get(name, ranges[name])
        levels[name] = designs.linear_levels(low, high, count)
    return levels


def _bounds(
    inputs: str | list[str],
    given: Mapping[str, list[float]],
    scenarios: Sequence[Scenario],
    ranges: Mapping[str, tuple[float, float]],
    label: str,
    problems: list[Problem],
) -> dict[str, tuple[float, float]]:
    """Return the ranges a sampled design draws from: its inputs' own, or narrower."""
    if isinstance(inputs, list):
        names = list(inputs)
        for i, name in enumerate(names):
            if _known(f"design.inputs[{i}]", name, ranges, problems) and names.index(name) != i:
                problems.append(Problem(f"design.inputs[{i}]", f"{name!r} is listed twice"))
    else:
        shared = set.intersection(*(set(s.uncertain_inputs()) for s in scenarios))
        if inputs == "parameters":
            names = [p.name for p in uncertain_parameters() if p.name in shared]
        else:
            names = [name for name in ranges if name in shared]
        if not names:
            problems.append(
                Problem("design.inputs", f"the scenarios share no uncertain {inputs!r} inputs")
            )
    for name in given:
        if name not in names:
            problems.append(Problem(f"design.bounds.{name}", "not one of the design's inputs"))
    ExperimentError.raise_any(label, problems)
    bounds = {name: ranges[name] for name in names}
    if given:
        narrowed = {n: (b[0], b[1]) for n, b in given.items()}
        bounds.update(designs.check_bounds(narrowed, ranges, f"{label}: design.bounds"))
    return bounds
