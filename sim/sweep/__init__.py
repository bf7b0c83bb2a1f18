"""Sweeps: many runs of scenarios over a design, in chunks on an executor, stored durably.

A sweep runs every scenario at every design row, ``replicates`` times. Replicate ``r`` of row
``i`` is seeded ``SeedSequence(seed, spawn_key=(i, r))`` (:func:`sim.seeds.run_seed`), never
from workers, order or time, and every scenario uses the same seeds at the same row (common
random numbers, so differences between scenarios are not blurred by different draws). Row 0
with no design reproduces :func:`sim.run.run` with the same seed.

Runs are grouped into chunks; a worker runs a chunk as one batch of the array engine (runs
whose uncertain inputs change the partnership go in their own batches), reduces it to summary
metrics (or tidy trajectories on request) and sends back one Parquet file's bytes. The
coordinator writes each chunk atomically into the sweep folder (:mod:`sim.store`), so:

* re-running the same sweep resumes: finished runs are never recomputed or duplicated;
* extending the design (rows appended, more replicates, more scenarios) reuses what is done;
* a run that raises is recorded with its error; the sweep goes on;
* a killed worker costs no committed result: the process pool is rebuilt and the chunks
  that had no file yet are resubmitted.

Results depend only on each run's scenario, values and seed, not on the executor, the
number of workers or the chunk size (``tests/test_sweep.py`` checks the result hashes).

Executors: ``"process"`` (default; a supervised standard-library process pool started with
"spawn", so it works from notebooks without a ``__main__`` guard), ``"dask-local"`` (a Dask
``LocalCluster`` on 127.0.0.1), ``"dask"`` (any Dask cluster, by scheduler address),
``"serial"`` (in this process), or any :class:`concurrent.futures.Executor`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib.metadata
import importlib.resources
import logging
import math
import multiprocessing
import os
import platform
import signal
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, get_args

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import store
from sim.design import check_design, input_ranges
from sim.engine import Trajectory
from sim.errors import InputError, SweepError
from sim.metrics import summary_metrics
from sim.provenance import environment
from sim.run import Prepared, RunInputs, batch_groups, simulate_prepared

if TYPE_CHECKING:
    from sim.scenarios import Scenario

Keep = Literal["summary", "trajectories"]
"""What a sweep keeps of each run: summary metrics, or those plus agency x week rows."""

ExecutorName = Literal["process", "dask-local", "dask", "serial"]
"""The executors a sweep can start by name."""

KEEPS: tuple[str, ...] = get_args(Keep)
EXECUTORS: tuple[str, ...] = get_args(ExecutorName)

MAX_CHUNK = 64
"""Largest default chunk: beyond ~64 runs a batch gains little speed (engine benchmark)."""

MAX_ATTEMPTS = 3
"""Times a chunk is tried when its worker dies or the executor fails before giving up."""

_NOT_MODEL = frozenset(
    {
        "__init__.py",
        "design.py",
        "errors.py",
        "experiment.py",
        "model.py",
        "provenance.py",
        "reference.py",
        "report.py",
        "store.py",
        "sweep.py",
    }
)
"""Top-level modules of ``sim`` that cannot change a run's result (hosts, files, reports).
Every other top-level module counts as model code, so a new one is included by default."""


@functools.cache
def model_version() -> str:
    """The version of the model code: package version plus a digest of the modules that
    decide results (engine and its compiled kernel, parameters, metrics, seeds, timeline,
    scenario compilation: every top-level module but those in ``_NOT_MODEL``), and the
    numpy and numba versions (random streams, compiled code).

    Part of every run key, so results of different model code never mix in one folder, and
    checked on every worker, so a cluster running other code is refused. Computed once per
    process: it describes the code this process imported, not files edited since.
    """
    from sim import __version__

    package = importlib.resources.files("sim")
    digest = hashlib.sha256()
    sources = [
        (f"{folder}{p.name}", p)
        for folder, where in (("", package), ("scenarios/", package / "scenarios"))
        for p in where.iterdir()
        if p.name.endswith(".py") and not (folder == "" and p.name in _NOT_MODEL)
    ]
    for name, source in sorted(sources, key=lambda item: item[0]):
        digest.update(name.encode() + b"\0" + source.read_bytes() + b"\0")
    # The random streams and the compiled kernel also depend on these two.
    for library in ("numpy", "numba"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            digest.update(f"{library} {importlib.metadata.version(library)}".encode())
    return f"{__version__}+{digest.hexdigest()[:12]}"


# --- what to run ----------------------------------------------------------------------------


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
    """

    scenarios: tuple[Scenario, ...]
    design: pd.DataFrame
    replicates: int
    seed: int
    keep: Keep = "summary"
    name: str = "sweep"
    about: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
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
        """What the experiment is: the part of the manifest that must match to resume."""
        return {
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
                "rows": [[float(v) for v in row] for row in self.design.to_numpy(dtype=float)],
            },
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
    replicates, seed, keep, name, about
        As in :class:`Plan`.

    Raises
    ------
    InputError
        A bad seed, replicate count or ``keep``, the same scenario twice, or a design with an
        unknown input or a value outside the input's range (one line naming it).
    """
    from sim.scenarios import Scenario

    def load(s: Scenario | str) -> Scenario:
        return s if isinstance(s, Scenario) else Scenario.load(s)

    if isinstance(scenarios, Mapping):
        labels = [str(label) for label in scenarios]
        loaded = tuple(load(s) for s in scenarios.values())
    else:
        loaded = tuple(load(s) for s in scenarios)
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


def expected_runs(identity: Mapping[str, Any]) -> Iterator[RunId]:
    """Every run of an experiment, in order (scenario, row, replicate), from its identity.

    Works from the manifest alone, so the status of a folder needs no scenario files.
    """
    columns = identity["design"]["columns"]
    for s, scenario in enumerate(identity["scenarios"]):
        for row, values in enumerate(identity["design"]["rows"]):
            named = dict(zip(columns, values, strict=True))
            for replicate in range(identity["replicates"]):
                key = store.run_key(
                    identity["model_version"],
                    scenario["name"],
                    scenario["content_hash"],
                    named,
                    identity["seed"],
                    row,
                    replicate,
                )
                yield RunId(s, row, replicate, key)


# --- the worker side ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ChunkTask:
    """A chunk of runs of one scenario, as sent to a worker (plain, picklable data).

    The scenario travels as its TOML text (:meth:`Scenario.to_toml`), which loads back to
    the same content hash on any machine with the same model code.
    """

    scenario_name: str
    scenario_toml: str
    scenario_hash: str
    model_version: str
    seed: int
    keep: Keep
    columns: tuple[str, ...]
    values: tuple[tuple[int, tuple[float, ...]], ...]
    runs: tuple[tuple[int, int, str], ...]

    @property
    def name(self) -> str:
        """The chunk's file name (a hash of its run keys)."""
        return store.chunk_name([key for _, _, key in self.runs])


@dataclasses.dataclass(frozen=True)
class ChunkOutput:
    """What a worker sends back: the chunk's Parquet bytes and a few counts."""

    name: str
    runs: bytes
    trajectories: bytes | None
    count: int
    failed: int
    seconds: float
    model_version: str


@dataclasses.dataclass(frozen=True, slots=True)
class _Member:
    """One run inside a worker: its position in the chunk, its key and its engine inputs."""

    position: int
    key: str
    prepared: Prepared


def run_chunk(task: ChunkTask) -> ChunkOutput:
    """Run one chunk and return its results as Parquet bytes (the worker entry point).

    Runs are compiled once per distinct set of scenario inputs, grouped by partnership (a
    batch needs one), and each group is advanced as one engine batch. If a batch raises,
    its runs are retried one by one so that only the failing runs are recorded as failed,
    with their error. Results do not depend on the grouping: a run's output depends only on
    its inputs and seed (``sim.engine.simulate``).
    """
    started = time.perf_counter()
    version = model_version()
    if version != task.model_version:
        raise SweepError(
            f"worker {platform.node()} runs model version {version}, the sweep needs "
            f"{task.model_version}: install the same sharesim on every worker"
        )
    scenario, digest = _scenario(task.scenario_toml, task.scenario_name)
    if digest != task.scenario_hash:
        raise SweepError(
            f"scenario {task.scenario_name!r} reads back on worker {platform.node()} with "
            f"content {digest[:12]}, not {task.scenario_hash[:12]}"
        )
    values = dict(task.values)
    inputs = RunInputs(scenario, task.seed)
    errors: dict[int, str] = {}
    members: list[_Member] = []
    for position, (row, replicate, key) in enumerate(task.runs):
        given = dict(zip(task.columns, values[row], strict=True))
        try:
            members.append(_Member(position, key, inputs.prepare(row, replicate, given)))
        except Exception as exc:  # a bad input fails its runs, not the chunk
            errors[position] = _describe(exc)

    metrics: list[tuple[list[int], pd.DataFrame]] = []
    trajectories: list[pd.DataFrame] = []
    for group in batch_groups([m.prepared for m in members]):
        for batch, outcome in _simulate_isolating([members[i] for i in group], task.seed):
            if isinstance(outcome, str):
                errors[batch[0].position] = outcome
                continue
            metrics.append(([m.position for m in batch], summary_metrics(outcome)))
            if task.keep == "trajectories":
                trajectories.append(_trajectory_rows(task, batch, outcome))

    draws = {m.position: m.prepared.draw for m in members if m.prepared.draw is not None}
    runs = _runs_table(task, metrics, errors, draws)
    kept = None
    if task.keep == "trajectories":
        kept = _parquet_bytes(_trajectory_table(trajectories))
    return ChunkOutput(
        task.name,
        _parquet_bytes(runs),
        kept,
        len(task.runs),
        len(errors),
        time.perf_counter() - started,
        version,
    )


@functools.lru_cache(maxsize=4)
def _scenario(text: str, name: str) -> tuple[Scenario, str]:
    """The scenario written in ``text`` and its content hash, parsed once per worker process.

    A memo of a pure function (the same text always gives an equal scenario), kept because
    parsing costs about as much as simulating a few runs and a worker sees the same
    scenario in chunk after chunk.
    """
    from sim.scenarios import Scenario

    scenario = Scenario.from_toml(text, name)
    return scenario, scenario.content_hash()


def _describe(exc: BaseException) -> str:
    """One line saying what went wrong in a run."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _simulate_isolating(
    members: Sequence[_Member], seed: int
) -> Iterator[tuple[Sequence[_Member], Trajectory | str]]:
    """Simulate ``members`` as one batch; if that raises, one run at a time."""
    try:
        yield members, simulate_prepared([m.prepared for m in members], seed)
        return
    except Exception as exc:
        if len(members) == 1:
            yield members, _describe(exc)
            return
    for member in members:
        try:
            yield [member], simulate_prepared([member.prepared], seed)
        except Exception as exc:
            yield [member], _describe(exc)


def _identity_columns(task: ChunkTask, positions: Iterable[int]) -> dict[str, pa.Array]:
    runs = [task.runs[p] for p in positions]
    return {
        "scenario": pa.array([task.scenario_name] * len(runs), pa.string()),
        "row": pa.array([r for r, _, _ in runs], pa.int64()),
        "replicate": pa.array([r for _, r, _ in runs], pa.int64()),
        "run_key": pa.array([k for _, _, k in runs], pa.string()),
    }


def _runs_table(
    task: ChunkTask,
    metrics: Sequence[tuple[Sequence[int], pd.DataFrame]],
    errors: Mapping[int, str],
    draws: Mapping[int, int],
) -> pa.Table:
    """One row per run in task order: identity, design values, the posterior set drawn
    (``posterior_draw``, null when the scenario has no posterior), metrics (null when the run
    failed), error (null when it did not).

    ``metrics`` holds, per engine batch, the positions of its runs in the task and their
    summary metrics. Column types come from the metrics (integers stay integers), so a
    chunk's schema does not depend on which of its runs failed.
    """
    n = len(task.runs)
    columns = _identity_columns(task, range(n))
    values = dict(task.values)
    matrix = np.array([values[row] for row, _, _ in task.runs], dtype=np.float64)
    for j, name in enumerate(task.columns):
        columns[name] = pa.array(matrix[:, j], pa.float64())
    columns["posterior_draw"] = pa.array([draws.get(p) for p in range(n)], pa.int64())
    kinds: dict[str, bool] = {}
    for _, frame in metrics:
        for name, dtype in frame.dtypes.items():
            kinds.setdefault(str(name), bool(np.issubdtype(dtype, np.integer)))
    for name, integral in kinds.items():
        filled = np.zeros(n, dtype=np.int64 if integral else np.float64)
        present = np.zeros(n, dtype=bool)
        for positions, frame in metrics:
            if name in frame.columns:
                filled[positions] = frame[name].to_numpy()
                present[positions] = True
        columns[name] = pa.array(filled, pa.int64() if integral else pa.float64(), mask=~present)
    columns["error"] = pa.array([errors.get(p) for p in range(n)], pa.string())
    return pa.table(columns)


def _trajectory_rows(
    task: ChunkTask, batch: Sequence[_Member], trajectory: Trajectory
) -> pd.DataFrame:
    from sim.run import agency_frame

    frame = agency_frame(trajectory)
    index = frame["replicate"].to_numpy()
    frame = frame.drop(columns="replicate")
    frame.insert(0, "run_key", np.array([m.key for m in batch], dtype=object)[index])
    frame.insert(
        0, "replicate", np.array([m.prepared.replicate for m in batch], dtype=np.int64)[index]
    )
    frame.insert(0, "row", np.array([m.prepared.row for m in batch], dtype=np.int64)[index])
    frame.insert(0, "scenario", task.scenario_name)
    return frame


def _trajectory_table(frames: Sequence[pd.DataFrame]) -> pa.Table:
    schema = pa.schema(
        [
            ("scenario", pa.string()),
            ("row", pa.int64()),
            ("replicate", pa.int64()),
            ("run_key", pa.string()),
            ("week", pa.int64()),
            ("agency", pa.string()),
            ("handled", pa.int64()),
            ("recorded", pa.int64()),
            ("share", pa.float64()),
            ("buy_in", pa.float64()),
            ("interface", pa.string()),
            ("attitude", pa.float64()),
        ]
    )
    if not frames:
        return schema.empty_table()
    frame = pd.concat(frames, ignore_index=True)
    arrays = []
    for field in schema:
        column = frame[field.name]
        if pa.types.is_string(field.type):
            arrays.append(pa.array(column.astype(str).to_numpy(dtype=object), field.type))
        else:
            arrays.append(pa.array(column.to_numpy(), field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def failed_chunk(task: ChunkTask, message: str) -> ChunkOutput:
    """The output of a chunk none of whose runs could be computed (each with ``message``)."""
    runs = _runs_table(task, [], dict.fromkeys(range(len(task.runs)), message), {})
    kept = _parquet_bytes(_trajectory_table([])) if task.keep == "trajectories" else None
    return ChunkOutput(
        task.name,
        _parquet_bytes(runs),
        kept,
        len(task.runs),
        len(task.runs),
        0.0,
        task.model_version,
    )


# --- executors ------------------------------------------------------------------------------


class SerialExecutor(Executor):
    """Runs each submitted call at once, in this process (for debugging and tiny sweeps)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Call ``fn(*args, **kwargs)`` now; return a finished future."""
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


def ignore_interrupts() -> None:
    """Process-pool workers leave Ctrl-C to the coordinator, which stops the sweep cleanly
    (finished chunks are kept) instead of every worker printing its own traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_workers() -> int:
    """Number of CPUs this process may use (its affinity mask where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class _Executors:
    """Starts, supervises and stops the executor of one sweep session."""

    def __init__(
        self,
        kind: ExecutorName | Executor,
        workers: int | None,
        scheduler: str | None,
    ) -> None:
        self.kind = kind
        self.workers = workers
        self.scheduler = scheduler
        self.executor: Executor = SerialExecutor()
        self.slots = 1
        self.label = "serial"
        self._closers: list[Callable[[], object]] = []

    def __enter__(self) -> Self:
        kind = self.kind
        if isinstance(kind, Executor):
            self.executor = kind
            self.slots = 2 * (self.workers or default_workers())
            self.label = type(kind).__name__
        elif kind == "serial":
            self.label = "serial"
        elif kind == "process":
            self.workers = self.workers or default_workers()
            self._start_pool()
            self.slots = 2 * self.workers
            self.label = f"process x{self.workers}"
        elif kind in ("dask", "dask-local"):
            self._start_dask(kind)
        else:
            raise InputError(f"sweep: executor must be one of {list(EXECUTORS)}, got {kind!r}")
        return self

    def _start_pool(self) -> None:
        # "spawn" starts clean interpreters that import `sim` (no copy of a notebook's state,
        # no fork of a threaded process), so no `__main__` guard is needed in a notebook.
        pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=ignore_interrupts,
        )
        self.executor = pool

    def _start_dask(self, kind: str) -> None:
        from distributed import Client, LocalCluster

        if kind == "dask-local":
            self.workers = self.workers or default_workers()
            cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self._closers.append(lambda: cluster.close())
            client = Client(cluster)
            self.label = f"dask-local x{self.workers}"
        else:
            if not self.scheduler:
                raise InputError("sweep: executor 'dask' needs a scheduler address (--scheduler)")
            try:
                client = Client(self.scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise InputError(
                    f"sweep: cannot reach the Dask scheduler at {self.scheduler} ({exc})"
                ) from None
            self.workers = self.workers or max(1, sum(client.nthreads().values()))
            self.label = f"dask {self.scheduler} x{self.workers}"
        self._closers.insert(0, client.close)
        # pure=False: a resubmitted chunk must run again, not return the failed future.
        self.executor = client.get_executor(pure=False)
        self.slots = 2 * self.workers

    @property
    def rebuildable(self) -> bool:
        """Whether a broken executor can be replaced (only a pool this sweep started)."""
        return self.kind == "process"

    def rebuild(self) -> None:
        """Replace a broken process pool with a fresh one."""
        self.executor.shutdown(wait=False, cancel_futures=True)
        self._start_pool()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.kind == "process":
            self.executor.shutdown(wait=error is None, cancel_futures=error is not None)
        elif self.kind in ("dask", "dask-local"):
            # Cancels what is still queued on an error; closing the client then lets go.
            self.executor.shutdown(wait=error is None)
        for close in self._closers:
            with contextlib.suppress(Exception):
                close()


# --- progress -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SweepProgress:
    """Where a running sweep stands (passed to a ``progress`` callable after every chunk).

    Attributes
    ----------
    total : int
        Runs in the experiment.
    done : int
        Runs with a result (including failed ones), from earlier sessions too.
    failed : int
        Runs recorded with an error.
    resumed : int
        Runs that were already done when this session started.
    elapsed : float
        Seconds since this session started computing.
    """

    total: int
    done: int
    failed: int
    resumed: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Runs per second computed in this session."""
        return (self.done - self.resumed) / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (None before the first chunk)."""
        return (self.total - self.done) / self.rate if self.rate > 0 else None


ProgressCallback = Callable[[SweepProgress], None]


class ProgressBar:
    """A rich progress bar: runs done of total, runs per second, time left.

    Usable as a ``progress`` callable inside ``with ProgressBar() as bar:``.
    """

    def __init__(self, description: str = "sweep", console: Any = None) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("runs"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA {task.fields[eta]}"),
            console=console,
        )
        self._task = self._progress.add_task(description, total=None, rate="", eta="-")

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def __call__(self, state: SweepProgress) -> None:
        """Show ``state``."""
        eta = "-" if state.eta is None else _clock(state.eta)
        rate = f"{state.rate:,.1f} runs/s" if state.rate else ""
        failed = f" ({state.failed} failed)" if state.failed else ""
        self._progress.update(
            self._task,
            total=state.total,
            completed=state.done,
            rate=rate + failed,
            eta=eta,
        )


def _clock(seconds: float) -> str:
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


# --- the coordinator ------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _manifest(
    plan: Plan, identity: Mapping[str, Any], old: Mapping[str, Any] | None
) -> dict[str, Any]:
    previous = list(old.get("extended_from", [])) if old else []
    if old and old["experiment_hash"] != store.experiment_hash(identity):
        previous.append(old["experiment_hash"])
    return {
        "format": store.FORMAT,
        "name": plan.name,
        "experiment_hash": store.experiment_hash(identity),
        "model_version": identity["model_version"],
        "created": old["created"] if old else _now(),
        "extended_from": previous,
        "seeds": {
            "seed": plan.seed,
            "rule": "numpy.random.SeedSequence(seed, spawn_key=(row, replicate)); the same "
            "seeds for every scenario at a row",
        },
        "runs": plan.total,
        "about": dict(plan.about),
        "environment": environment(),
        "experiment": dict(identity),
        "sessions": list(old.get("sessions", [])) if old else [],
    }


def _chunks(
    plan: Plan, identity: Mapping[str, Any], done: set[str], size: int
) -> Iterator[ChunkTask]:
    """The runs not yet done, as chunks of at most ``size`` runs of one scenario."""
    texts: dict[int, str] = {}
    columns = tuple(str(c) for c in plan.design.columns)
    rows = identity["design"]["rows"]
    version = identity["model_version"]
    pending: list[RunId] = []

    def task(runs: list[RunId]) -> ChunkTask:
        s = runs[0].scenario
        if s not in texts:
            texts[s] = plan.scenarios[s].to_toml()
        used = sorted({r.row for r in runs})
        return ChunkTask(
            plan.labels[s],
            texts[s],
            identity["scenarios"][s]["content_hash"],
            version,
            plan.seed,
            plan.keep,
            columns,
            tuple((row, tuple(float(v) for v in rows[row])) for row in used),
            tuple((r.row, r.replicate, r.key) for r in runs),
        )

    for run in expected_runs(identity):
        if run.key in done:
            continue
        if pending and (len(pending) >= size or pending[0].scenario != run.scenario):
            yield task(pending)
            pending = []
        pending.append(run)
    if pending:
        yield task(pending)


def _split(task: ChunkTask) -> list[ChunkTask]:
    """One task per run (to find the run that kills its worker)."""
    return [dataclasses.replace(task, runs=(run,)) for run in task.runs]


@dataclasses.dataclass(frozen=True)
class _Attempt:
    """A chunk and how many times its worker or executor has failed it."""

    task: ChunkTask
    attempts: int = 0

    @classmethod
    def of(cls, task: ChunkTask | None) -> _Attempt | None:
        return None if task is None else cls(task)

    def again(self) -> _Attempt:
        return _Attempt(self.task, self.attempts + 1)


def run_plan(
    plan: Plan,
    out: Path | str,
    *,
    executor: ExecutorName | Executor = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    progress: bool | ProgressCallback = False,
    retry_failed: bool = False,
) -> SweepStatus:
    """Run (or resume, or extend) ``plan`` into the folder ``out``; return its status.

    Parameters
    ----------
    plan : Plan
        What to run (:func:`make_plan`).
    out : Path or str
        The sweep folder; created if needed. A folder holding a different experiment is
        refused (:class:`sim.store.StoreError`) before anything is written.
    executor, workers, scheduler
        Where runs execute (see the module docstring); ``workers`` defaults to this
        machine's CPUs (``"process"``, ``"dask-local"``) or the cluster's threads
        (``"dask"``).
    chunk_size : int, optional
        Runs per chunk; by default about a quarter of each worker's share, at most 64.
    progress : bool or callable
        True shows a progress bar; a callable gets a :class:`SweepProgress` after each chunk.
    retry_failed : bool
        Compute again the runs recorded with an error (a success then replaces the error).
    """
    if workers is not None:
        _check_count("workers", workers, 1)
    if chunk_size is not None:
        _check_count("chunk_size", chunk_size, 1)
    if not isinstance(executor, Executor) and executor not in EXECUTORS:
        raise InputError(f"sweep: executor must be one of {list(EXECUTORS)}, got {executor!r}")
    if executor == "dask" and not scheduler:
        raise InputError("sweep: executor 'dask' needs a scheduler address (--scheduler)")
    if scheduler and executor != "dask":
        raise InputError(
            f"sweep: a scheduler address only goes with executor 'dask', not {executor!r}"
        )
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise store.StoreError(f"{folder}: exists and is not a folder")
    identity = plan.identity()
    # Everything that can refuse the sweep (another experiment in the folder, an unreachable
    # scheduler) happens before the first byte is written.
    store.relation(folder, identity)
    session = _Session(plan, identity, folder, retry_failed)
    with contextlib.ExitStack() as stack:
        pool = (
            stack.enter_context(_Executors(executor, workers, scheduler)) if session.left else None
        )
        (folder / store.RUNS).mkdir(parents=True, exist_ok=True)
        if plan.keep == "trajectories":
            (folder / store.TRAJECTORIES).mkdir(exist_ok=True)
        stack.enter_context(store.locked(folder))
        store.relation(folder, identity)
        store.remove_stale_temporaries(folder)
        session.reread()
        if progress is True:
            session.progress = stack.enter_context(ProgressBar(plan.name))
        elif callable(progress):
            session.progress = progress
        session.run(pool, chunk_size)
    return status(folder)


class _Session:
    """One session of a sweep: what is left, the manifest's record of it, the main loop."""

    def __init__(self, plan: Plan, identity: Mapping[str, Any], folder: Path, retry: bool) -> None:
        self.plan = plan
        self.identity = identity
        self.folder = folder
        self.retry_failed = retry
        self.progress: ProgressCallback | None = None
        self.record: dict[str, Any] = {"started": _now(), "state": "running"}
        self.worker_seconds = 0.0
        self.reread()

    def reread(self) -> None:
        """Find which runs are done (read only; again once the folder is locked)."""
        committed = store.committed_runs(self.folder) if self.folder.exists() else None
        self.done: set[str] = set()
        self.failed = 0
        if committed is not None and len(committed):
            expected = pd.Index([run.key for run in expected_runs(self.identity)])
            committed = committed[committed["run_key"].isin(expected)]
            ok = committed["error"].isna()
            chosen = committed["run_key"][ok] if self.retry_failed else committed["run_key"]
            self.done = set(chosen)
            self.failed = 0 if self.retry_failed else int((~ok).sum())
        self.resumed = len(self.done)
        self.count = self.resumed
        self.left = self.plan.total - self.resumed

    def report(self) -> None:
        if self.progress is not None:
            self.progress(
                SweepProgress(
                    self.plan.total,
                    self.count,
                    self.failed,
                    self.resumed,
                    time.perf_counter() - self.clock,
                )
            )

    def commit(self, output: ChunkOutput) -> None:
        if output.model_version != self.identity["model_version"]:
            raise SweepError(
                f"a worker computed chunk {output.name} with model version "
                f"{output.model_version}, the sweep needs {self.identity['model_version']}"
            )
        store.commit_chunk(self.folder, output.name, output.runs, output.trajectories)
        self.count += output.count
        self.failed += output.failed
        self.worker_seconds += output.seconds
        self.report()

    def run(self, pool: _Executors | None, chunk_size: int | None) -> None:
        """Compute every run not yet done, writing the manifest before and after."""
        manifest = _manifest(self.plan, self.identity, store.read_manifest(self.folder))
        manifest["sessions"].append(self.record)
        store.write_manifest(self.folder, manifest)
        self.clock = time.perf_counter()
        state = "interrupted"
        try:
            self.report()
            if pool is not None and self.left:
                self._loop(pool, chunk_size)
            state = "finished"
        except SweepError:
            state = "failed"
            raise
        finally:
            self.record.update(
                state=state,
                finished=_now(),
                runs_computed=self.count - self.resumed,
                runs_failed=self.failed,
                seconds=round(time.perf_counter() - self.clock, 3),
                worker_seconds=round(self.worker_seconds, 3),
            )
            with contextlib.suppress(OSError):
                store.write_manifest(self.folder, manifest)

    def _loop(self, pool: _Executors, chunk_size: int | None) -> None:
        # About four chunks per worker: enough to balance the load, few enough to batch well.
        workers = pool.workers or 1
        size = chunk_size or max(1, min(MAX_CHUNK, math.ceil(self.left / (4 * workers))))
        self.record.update(executor=pool.label, workers=pool.workers, chunk_size=size)
        todo = _chunks(self.plan, self.identity, self.done, size)
        retry: deque[_Attempt] = deque()
        running: dict[Future[ChunkOutput], _Attempt] = {}
        rebuilds = 0
        while True:
            broken = False
            while len(running) < pool.slots:
                attempt = retry.popleft() if retry else _Attempt.of(next(todo, None))
                if attempt is None:
                    break
                try:
                    running[pool.executor.submit(run_chunk, attempt.task)] = attempt
                except BrokenProcessPool:
                    retry.appendleft(attempt)
                    broken = True
                    break
            if not running and not broken:
                break
            finished = wait(running, return_when=FIRST_COMPLETED).done if running else set()
            for future in finished:
                attempt = running.pop(future)
                output: ChunkOutput | None
                try:
                    output = future.result()
                except BrokenProcessPool:
                    broken = True
                    retry.append(attempt.again())
                    continue
                except SweepError:
                    raise
                except Exception as exc:
                    output = _after_failure(attempt, exc, retry)
                    if output is None:
                        continue
                self.commit(output)
            if broken:
                if not pool.rebuildable:
                    raise SweepError(
                        "the executor broke; committed chunks are kept, run again to resume"
                    )
                rebuilds += 1
                self.record["pool_rebuilds"] = rebuilds
                # Every chunk still running lost its worker with the pool: resubmit it.
                retry.extend(attempt.again() for attempt in running.values())
                running.clear()
                self._isolate_repeat_offenders(retry)
                pool.rebuild()

    def _isolate_repeat_offenders(self, retry: deque[_Attempt]) -> None:
        """Chunks that were running each time the pool broke are split; a single run that
        was running every time is recorded as failed, so one run that kills its worker (out
        of memory, a crash in native code) cannot stall the sweep."""
        keep: list[_Attempt] = []
        for attempt in retry:
            if attempt.attempts < MAX_ATTEMPTS:
                keep.append(attempt)
            elif len(attempt.task.runs) > 1:
                keep.extend(_Attempt(t) for t in _split(attempt.task))
            else:
                self.commit(
                    failed_chunk(
                        attempt.task,
                        f"the worker process died {MAX_ATTEMPTS} times running this run",
                    )
                )
        retry.clear()
        retry.extend(keep)


def _after_failure(attempt: _Attempt, exc: Exception, retry: deque[_Attempt]) -> ChunkOutput | None:
    """Decide what to do with a chunk whose future raised instead of returning.

    A run's own errors never get here (:func:`run_chunk` records them), so this is the
    executor failing. Dask's ``KilledWorker`` means workers died running the chunk: it is
    split, and a single run that kills its workers is recorded as failed. Anything else
    (a lost connection, workers that cannot import ``sim``) is retried, then stops the
    sweep: recording it against the runs would blame them for the infrastructure.
    """
    from distributed import KilledWorker

    if isinstance(exc, KilledWorker):
        if len(attempt.task.runs) > 1:
            retry.extend(_Attempt(t) for t in _split(attempt.task))
            return None
        return failed_chunk(attempt.task, f"the worker process died running this run ({exc})")
    if attempt.attempts + 1 < MAX_ATTEMPTS:
        retry.append(attempt.again())
        return None
    raise SweepError(
        f"chunk {attempt.task.name} failed {MAX_ATTEMPTS} times on the executor "
        f"({_describe(exc)}); finished chunks are kept, run the sweep again to resume"
    )


# --- the public API -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SweepStatus:
    """What a sweep folder holds: runs done, failed and left.

    Attributes
    ----------
    folder : Path
        The sweep folder.
    name : str
        Experiment name.
    experiment_hash : str
        Hash of the experiment's identity.
    total, done, failed, left : int
        Runs in the experiment; with a result; with an error; not computed yet
        (``done`` counts successes only: ``total == done + failed + left``).
    chunks : int
        Committed chunk files.
    scenarios : tuple of str
        Scenario names.
    design_rows, replicates : int
        Size of the design.
    sessions : tuple of dict
        Each session's start, finish, state, executor and timings.
    errors : tuple of (str, int)
        The most frequent error messages of failed runs (at most five) with their counts.
    """

    folder: Path
    name: str
    experiment_hash: str
    total: int
    done: int
    failed: int
    left: int
    chunks: int
    scenarios: tuple[str, ...]
    design_rows: int
    replicates: int
    sessions: tuple[Mapping[str, Any], ...]
    errors: tuple[tuple[str, int], ...] = ()

    @property
    def complete(self) -> bool:
        """Whether every run has a result (an error counts as a result)."""
        return self.left == 0


def status(out: Path | str) -> SweepStatus:
    """The status of the sweep in folder ``out`` (read only; works while a sweep runs).

    Raises
    ------
    StoreError
        When ``out`` holds no sweep.
    """
    folder = Path(out)
    manifest = store.read_manifest(folder)
    if manifest is None:
        raise store.StoreError(f"{folder}: no sweep here (no {store.MANIFEST})")
    identity = manifest["experiment"]
    runs = store.committed_runs(folder)
    errors = dict(zip(runs["run_key"], runs["error"], strict=True))
    done = total = 0
    messages: Counter[str] = Counter()
    for run in expected_runs(identity):
        total += 1
        if run.key in errors:
            error = errors[run.key]
            if isinstance(error, str):
                messages[error] += 1
            else:
                done += 1
    failed = sum(messages.values())
    return SweepStatus(
        folder=folder,
        name=str(manifest.get("name", "")),
        experiment_hash=str(manifest["experiment_hash"]),
        total=total,
        done=done,
        failed=failed,
        left=total - done - failed,
        chunks=len(store.chunk_files(folder)),
        scenarios=tuple(s["name"] for s in identity["scenarios"]),
        design_rows=len(identity["design"]["rows"]),
        replicates=int(identity["replicates"]),
        sessions=tuple(manifest.get("sessions", [])),
        errors=tuple(messages.most_common(5)),
    )


def read_results(out: Path | str) -> pd.DataFrame:
    """The result table of the sweep in ``out``: one row per committed run of its experiment.

    Columns: ``scenario``, ``row``, ``replicate``, ``run_key``, the design inputs, the
    summary metrics (:func:`sim.metrics.summary_metrics`; empty for failed runs) and
    ``error`` (None when the run was fine). Sorted by scenario (in experiment order), row
    and replicate.
    """
    folder = Path(out)
    manifest = store.read_manifest(folder)
    if manifest is None:
        raise store.StoreError(f"{folder}: no sweep here (no {store.MANIFEST})")
    identity = manifest["experiment"]
    keys = [run.key for run in expected_runs(identity)]
    frame = store.read_runs(folder, keys)
    order = {s["name"]: i for i, s in enumerate(identity["scenarios"])}
    position = frame["scenario"].map(order).astype("int64")
    frame = frame.assign(_order=position).sort_values(["_order", "row", "replicate"], kind="stable")
    frame = frame.drop(columns="_order").reset_index(drop=True)
    for column in identity["design"]["columns"]:
        if column not in frame:
            frame.insert(4, column, pd.Series(dtype=float))
    return frame


def _execute_into(
    plan: Plan,
    out: Path | str | None,
    executor: ExecutorName | Executor,
    workers: int | None,
    scheduler: str | None,
    chunk_size: int | None,
    progress: bool | ProgressCallback,
) -> pd.DataFrame:
    if out is not None:
        run_plan(
            plan,
            out,
            executor=executor,
            workers=workers,
            scheduler=scheduler,
            chunk_size=chunk_size,
            progress=progress,
        )
        return read_results(out)
    if plan.keep == "trajectories":
        raise InputError(
            "sweep: keep='trajectories' stores agency x week rows on disk: give out= a folder "
            "and read them with sim.store.read_trajectories(out)"
        )
    # Without a folder the sweep still goes through the store (a temporary folder), so it
    # behaves exactly as a stored sweep does.
    with tempfile.TemporaryDirectory(prefix="sharesim-sweep-") as scratch:
        run_plan(
            plan,
            Path(scratch) / "sweep",
            executor=executor,
            workers=workers,
            scheduler=scheduler,
            chunk_size=chunk_size,
            progress=progress,
        )
        return read_results(Path(scratch) / "sweep")


def run_design(
    scenario: Scenario | str,
    design: pd.DataFrame,
    *,
    replicates: int,
    seed: int,
    out: Path | str | None = None,
    executor: ExecutorName | Executor = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    keep: Keep = "summary",
    progress: bool | ProgressCallback = False,
) -> pd.DataFrame:
    """Run a scenario at every row of a design, ``replicates`` times each.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or the name or path of a scenario file.
    design : DataFrame
        One column per input (registry parameters or the scenario's uncertain inputs,
        :meth:`Scenario.uncertain_inputs`), one row per design point.
    replicates : int
        Runs per design row (at least 1).
    seed : int
        Sweep seed; replicate ``r`` of row ``i`` uses ``run_seed(seed, i, r)``.
    out : Path or str, optional
        Sweep folder: durable and resumable (run the same call again to resume or extend).
        Without it the sweep runs through a temporary folder.
    executor, workers, scheduler, chunk_size, progress
        How to run (see :func:`run_plan`); none of them changes the results.
    keep : {"summary", "trajectories"}
        Keep summary metrics only, or also agency x week rows (needs ``out``; read them with
        :func:`sim.store.read_trajectories`).

    Returns
    -------
    DataFrame
        One row per (row, replicate), sorted so: ``scenario``, ``row``, ``replicate``,
        ``run_key``, the design values, the metric columns and ``error`` (None when fine).

    Raises
    ------
    InputError
        Unknown input names, values outside their ranges, bad counts, or an ``out`` folder
        holding another experiment.
    """
    plan = make_plan([scenario], design, replicates=replicates, seed=seed, keep=keep)
    return _execute_into(plan, out, executor, workers, scheduler, chunk_size, progress)


def sweep(
    scenarios: Scenario | str | Sequence[Scenario | str] | Mapping[str, Scenario | str],
    *,
    seed: int,
    replicates: int = 1,
    design: pd.DataFrame | None = None,
    out: Path | str | None = None,
    executor: ExecutorName | Executor = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    keep: Keep = "summary",
    progress: bool | ProgressCallback = False,
) -> pd.DataFrame:
    """Run several scenarios (optionally crossed with a design) and return tidy results.

    >>> base = Scenario.load("sentinel_replay")
    >>> frame = sweep([base, base.replace(double_keying_cost=0.3)], replicates=20, seed=7)

    Every scenario runs at every design row (one row at the scenario's own values when no
    design is given) with the same seeds, so row 0 of each scenario reproduces
    ``run(scenario, seed=seed, replicates=replicates)``. Works in a notebook as is: workers
    are fresh processes that import ``sim``.

    Parameters and result are as in :func:`run_design`, with a ``scenario`` column naming
    each run's scenario: its name, ``name#2`` for a second scenario of the same name (as
    ``base.replace(...)`` above), or the keys when ``scenarios`` is a mapping
    (``{"replay": base, "cheap keying": better}``).
    """
    from sim.scenarios import Scenario

    listed: Sequence[Scenario | str] | Mapping[str, Scenario | str] = (
        [scenarios] if isinstance(scenarios, Scenario | str) else scenarios
    )
    plan = make_plan(listed, design, replicates=replicates, seed=seed, keep=keep)
    return _execute_into(plan, out, executor, workers, scheduler, chunk_size, progress)


__all__ = [
    "ChunkOutput",
    "ChunkTask",
    "Keep",
    "Plan",
    "ProgressBar",
    "SerialExecutor",
    "SweepError",
    "SweepProgress",
    "SweepStatus",
    "make_plan",
    "model_version",
    "read_results",
    "run_chunk",
    "run_design",
    "run_plan",
    "status",
    "sweep",
]
