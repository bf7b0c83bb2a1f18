"""What a sweep runs, and the identity of every run in it.

The plan: scenarios x design rows x replicates, the seed, what to keep.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args

import numpy as np
import pandas as pd

from sim import keys
from sim.design import check_design, input_ranges
from sim.errors import InputError
from sim.provenance import scenario_reference
from sim.sweep.version import model_version

if TYPE_CHECKING:
    from sim.engine import Trajectory
    from sim.scenarios import Scenario

Keep = Literal["summary", "trajectories"]
"""What a sweep keeps of each run: summary metrics, or those plus partner x week rows."""


class RunStatistics(Protocol):
    """Statistics a worker computes from each batch's trajectory in memory, beside the metrics.

    Picklable (it travels to the workers with every chunk). ``key`` names what it computes
    and joins the sweep's identity, so a folder made with other statistics is not resumed
    as if it held these. Its columns must not clash with the summary metrics'.
    """

    def __call__(self, trajectory: Trajectory) -> pd.DataFrame:
        """One row per run of ``trajectory``."""
        ...

    def key(self) -> str:
        """Return what the statistics are (a content hash, say)."""
        ...


KEEPS: tuple[str, ...] = get_args(Keep)


@dataclasses.dataclass(frozen=True)
class Plan:
    """A sweep, fully specified: which runs, not how they are executed.

    Attributes
    ----------
    scenarios : tuple of Scenario
        Distinct names; every scenario runs at every design row.
    design : DataFrame
        Checked design (:func:`sim.design.check_design`): float columns, rows ``0..n-1``.
    replicates : int
        Runs per scenario and design row (at least 1).
    seed : int
        Sweep seed (non-negative).
    keep : Keep
        What to store of each run.
    name : str
        Label for the manifest and the status report.
    about : mapping
        Extra description kept in the manifest (the experiment file, how the design was
        made); not part of the experiment's identity.
    labels : tuple of str
        The ``scenario`` value of each scenario's runs (distinct); its names by default.
    statistics : RunStatistics, optional
        Extra per-run statistics the workers compute from the trajectories in memory; they
        are columns of the results like the summary metrics.
    """

    scenarios: tuple[Scenario, ...]
    design: pd.DataFrame
    replicates: int
    seed: int
    keep: Keep = "summary"
    name: str = "sweep"
    about: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    labels: tuple[str, ...] = ()
    statistics: RunStatistics | None = None

    def __post_init__(self) -> None:
        """Label the scenarios by name unless labels are given; one label per scenario."""
        if not self.labels:
            object.__setattr__(self, "labels", tuple(s.name for s in self.scenarios))
        if len(self.labels) != len(self.scenarios):
            raise InputError("sweep: give one label per scenario")
        if len(set(self.labels)) != len(self.labels):
            raise InputError(f"sweep: scenario labels repeat: {list(self.labels)}")

    @property
    def total(self) -> int:
        """Number of runs."""
        return len(self.scenarios) * len(self.design) * self.replicates

    def identity(self) -> dict[str, Any]:
        """Return what the experiment is: the part of the manifest that must match to resume."""
        extra = {} if self.statistics is None else {"statistics": self.statistics.key()}
        return extra | {
            "model_version": model_version(),
            "seed": int(self.seed),
            "replicates": int(self.replicates),
            "keep": self.keep,
            "scenarios": [
                {"name": label, "content_hash": s.content_hash()}
                for label, s in zip(self.labels, self.scenarios, strict=True)
            ],
            "design": {
                "columns": [str(c) for c in self.design.columns],
                "rows": self.design.to_numpy(dtype=float).tolist(),
            },
        }

    def references(self) -> dict[str, str]:
        """Return where each scenario loads again from, by label, for reports written anywhere.

        Not part of the identity: the same scenario moved to another folder is the same
        experiment (:func:`sim.provenance.scenario_reference`).
        """
        return {
            label: scenario_reference(s)
            for label, s in zip(self.labels, self.scenarios, strict=True)
        }


def make_plan(
    scenarios: Sequence[Scenario | str] | Mapping[str, Scenario | str],
    design: pd.DataFrame | None,
    *,
    replicates: int,
    seed: int,
    keep: Keep = "summary",
    name: str | None = None,
    about: Mapping[str, Any] | None = None,
    statistics: RunStatistics | None = None,
) -> Plan:
    """Check a sweep's inputs and return its :class:`Plan`.

    Parameters
    ----------
    scenarios : sequence or mapping
        Scenarios (or names or paths of scenario files). In a sequence each is labelled by
        its name, and a name that repeats with other content (``base`` and
        ``base.replace(...)``) is labelled ``name#2``, ``name#3``...; a mapping gives the
        labels. Labels are the ``scenario`` column of the results.
    design : DataFrame or None
        Checked with :func:`sim.design.check_design`; None is one row at the scenarios' own
        values.
    replicates, seed, keep, name, about, statistics
        As in :class:`Plan`.

    Raises
    ------
    InputError
        A bad seed, replicate count or ``keep``, the same scenario twice, or a design with an
        unknown input or a value outside the input's range (one line naming it).
    """
    # Not imported above: `import sim` loads this module, and the scenario machinery (pydantic
    # schemas) would slow every notebook and command start; it loads when a scenario is used.
    from sim.scenarios import Scenario

    if isinstance(scenarios, Mapping):
        labels = [str(label) for label in scenarios]
        loaded = tuple(Scenario.of(s) for s in scenarios.values())
    else:
        loaded = tuple(Scenario.of(s) for s in scenarios)
        labels = _labels(loaded)
    if not loaded:
        raise InputError("sweep: give at least one scenario")
    _check_count("replicates", replicates, 1)
    _check_count("seed", seed, 0)
    if keep not in KEEPS:
        raise InputError(f"sweep: keep must be one of {list(KEEPS)}, got {keep!r}")
    if design is None:
        design = pd.DataFrame(index=pd.RangeIndex(1))
    checked = check_design(design, input_ranges(loaded))
    return Plan(
        loaded,
        checked,
        int(replicates),
        int(seed),
        keep,
        name or "+".join(dict.fromkeys(s.name for s in loaded)),
        dict(about or {}),
        tuple(labels),
        statistics,
    )


def _labels(scenarios: Sequence[Scenario]) -> list[str]:
    """Each scenario's name; a name that repeats with other content gets ``#2``, ``#3``..."""
    labels: list[str] = []
    seen: dict[str, list[str]] = {}
    for scenario in scenarios:
        digest = scenario.content_hash()
        versions = seen.setdefault(scenario.name, [])
        if digest in versions:
            raise InputError(f"sweep: scenario {scenario.name!r} appears more than once")
        versions.append(digest)
        labels.append(scenario.name if len(versions) == 1 else f"{scenario.name}#{len(versions)}")
    return labels


def _check_count(what: str, value: object, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise InputError(f"sweep: {what} must be an integer of at least {least}, got {value!r}")


@dataclasses.dataclass(frozen=True, slots=True)
class RunId:
    """One run of a sweep: scenario (index into the plan), design row, replicate, key."""

    scenario: int
    row: int
    replicate: int
    key: str


KEY_BLOCK = 256
"""Design rows whose run keys :func:`expected_runs` works out at a time."""


def expected_runs(
    identity: Mapping[str, Any], encoded: keys.EncodedRows | None = None
) -> Iterator[RunId]:
    """Every run of an experiment, in order (scenario, row, replicate), from its identity.

    Works from the manifest alone, so the status of a folder needs no scenario files. Keys
    are worked out a block of rows at a time, as the runs are taken. ``encoded`` is the
    identity's design rows, encoded, when the caller keeps them for the manifest too.
    """
    columns = identity["design"]["columns"]
    rows = keys.EncodedRows(identity["design"]["rows"]) if encoded is None else encoded
    replicates = int(identity["replicates"])
    for s, scenario in enumerate(identity["scenarios"]):
        for first in range(0, rows.count, KEY_BLOCK):
            block = keys.run_keys(
                identity["model_version"],
                scenario["name"],
                scenario["content_hash"],
                columns,
                rows,
                identity["seed"],
                replicates,
                first_row=first,
                stop_row=min(first + KEY_BLOCK, rows.count),
            )
            for position, key in enumerate(block):
                yield RunId(s, first + position // replicates, position % replicates, key)
