"""The worker side of a sweep: a chunk of runs in, one Parquet table of results out.

A worker runs a chunk as one batch of the array engine (runs whose uncertain inputs change
partner fields or dates included: each brings its own partnership or timeline row), reduces
it to summary metrics (or tidy trajectories on request) and sends back the Parquet bytes.
Everything a worker receives and returns is plain, picklable data, so any executor (a local
pool, Dask) can carry it.
"""

from __future__ import annotations

import dataclasses
import functools
import platform
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import keys
from sim.engine import Trajectory, simulate, stack_parameters
from sim.errors import SweepError
from sim.metrics import summary_columns
from sim.run import partner_frame
from sim.run_inputs import Prepared, RunInputs, batch_groups, simulate_prepared
from sim.sweep.version import model_version

if TYPE_CHECKING:
    from sim.scenarios import Scenario
    from sim.sweep.plan import Keep, RunStatistics

Columns = dict[str, np.ndarray]
"""Named columns of one value per run of an engine batch."""


@dataclasses.dataclass(frozen=True)
class ChunkTask:
    """A chunk of runs of one scenario, as sent to a worker (plain, picklable data).

    The scenario travels as its TOML text (:meth:`Scenario.to_toml`), which loads back to
    the same content hash on any machine with the same model code; ``statistics`` (the
    plan's, if any) is computed from each batch's trajectory beside the summary metrics;
    ``send_table`` asks for the runs table as an Arrow IPC stream too (:class:`ChunkOutput`).
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
    statistics: RunStatistics | None = None
    send_table: bool = False

    @property
    def name(self) -> str:
        """The chunk's file name (a hash of its run keys)."""
        return keys.chunk_name([key for _, _, key in self.runs])


@dataclasses.dataclass(frozen=True)
class ChunkOutput:
    """What a worker sends back: the chunk's Parquet bytes and a few counts.

    ``table`` is the runs table again as an Arrow IPC stream, when the task asked for it: a
    coordinator that keeps the chunk's results in memory reads it back in a twentieth of the
    time the Parquet bytes take.
    """

    name: str
    runs: bytes
    trajectories: bytes | None
    count: int
    failed: int
    seconds: float
    model_version: str
    table: bytes | None

    def runs_table(self) -> pa.Table:
        """Return the chunk's runs table (the one its Parquet bytes hold)."""
        if self.table is None:
            return pq.read_table(pa.BufferReader(self.runs))
        with pa.ipc.open_stream(self.table) as reader:
            return reader.read_all()


@dataclasses.dataclass(frozen=True, slots=True)
class _Member:
    """One run inside a worker: its position in the chunk, its key and its engine inputs."""

    position: int
    key: str
    prepared: Prepared


@dataclasses.dataclass
class _Results:
    """What a chunk's runs gave so far.

    Summary metrics per engine batch (with the batch's positions in the chunk), partner x
    week rows, and the error of each failed run.
    """

    metrics: list[tuple[list[int], Columns]] = dataclasses.field(default_factory=list)
    trajectories: list[pd.DataFrame] = dataclasses.field(default_factory=list)
    errors: dict[int, str] = dataclasses.field(default_factory=dict)


def run_chunk(task: ChunkTask) -> ChunkOutput:
    """Run one chunk and return its results as Parquet bytes (the worker entry point).

    Runs are compiled once per distinct set of scenario inputs, grouped by partners and
    weeks (a batch needs the same), and each group is advanced as one engine batch. If a
    batch raises, its runs are retried one by one so that only the failing runs are recorded
    as failed, with their error. Results do not depend on the grouping: a run's output
    depends only on its inputs and seed (``sim.engine.simulate``).
    """
    started = time.perf_counter()
    scenario = _checked_scenario(task)
    results = _Results()
    members = _prepare(task, scenario, results.errors)
    for group in batch_groups([m.prepared for m in members]):
        _simulate_group(task, [members[i] for i in group], results)
    draws = {m.position: m.prepared.draw for m in members if m.prepared.draw is not None}
    return _output(task, results, draws, time.perf_counter() - started)


def _output(
    task: ChunkTask, results: _Results, draws: Mapping[int, int], seconds: float
) -> ChunkOutput:
    """Return what a worker sends back for ``task``: its runs (and trajectories) as Parquet."""
    runs = _runs_table(task, results.metrics, results.errors, draws)
    kept = None
    if task.keep == "trajectories":
        kept = _parquet_bytes(_trajectory_table(results.trajectories))
    return ChunkOutput(
        task.name,
        _parquet_bytes(runs, compressed=False),
        kept,
        len(task.runs),
        len(results.errors),
        seconds,
        task.model_version,
        _ipc_bytes(runs) if task.send_table else None,
    )


def _checked_scenario(task: ChunkTask) -> Scenario:
    """Return the task's scenario, after checking the worker and the scenario's content.

    Checks that this worker runs the sweep's model code and reads the scenario back with the
    content the coordinator sent.
    """
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
    return scenario


def _prepare(task: ChunkTask, scenario: Scenario, errors: dict[int, str]) -> list[_Member]:
    """Prepare the engine inputs of every run of the task.

    A run whose inputs cannot be compiled is recorded in ``errors`` instead (a bad input fails
    its runs, not the chunk).
    """
    given = {row: dict(zip(task.columns, values, strict=True)) for row, values in task.values}
    inputs = RunInputs(scenario, task.seed)
    members: list[_Member] = []
    for position, (row, replicate, key) in enumerate(task.runs):
        try:
            members.append(_Member(position, key, inputs.prepare(row, replicate, given[row])))
        except Exception as exc:
            errors[position] = describe_error(exc)
    return members


def _simulate_group(task: ChunkTask, group: Sequence[_Member], results: _Results) -> None:
    """Simulate runs that share a partnership and add what they gave to ``results``."""
    for batch, outcome in _simulate_isolating(group, task.seed):
        if isinstance(outcome, str):
            results.errors[batch[0].position] = outcome
            continue
        results.metrics.append(([m.position for m in batch], _metrics(task, outcome)))
        if task.keep == "trajectories":
            results.trajectories.append(_trajectory_rows(task, batch, outcome))


def _metrics(task: ChunkTask, trajectory: Trajectory) -> Columns:
    """Summary metrics of a batch, with the task's statistics beside them."""
    metrics = summary_columns(trajectory)
    if task.statistics is None:
        return metrics
    extra = task.statistics(trajectory)
    clash = [str(name) for name in extra.columns if name in metrics]
    if clash:
        raise SweepError(f"statistics {clash} clash with the summary metrics")
    return metrics | {str(name): extra[name].to_numpy() for name in extra.columns}


@functools.lru_cache(maxsize=4)
def _scenario(text: str, name: str) -> tuple[Scenario, str]:
    """Parse the scenario written in ``text`` and its content hash, once per worker process.

    A memo of a pure function (the same text always gives an equal scenario), kept because
    parsing costs about as much as simulating a few runs and a worker sees the same
    scenario in chunk after chunk.
    """
    # Not imported above: `import sim` loads this module, and the scenario machinery (pydantic
    # schemas) would slow every notebook and command start; it loads when a scenario is used.
    from sim.scenarios import Scenario

    scenario = Scenario.from_toml(text, name)
    return scenario, scenario.content_hash()


def warm_engine() -> None:
    """Run the shipped replay twice, on its timeline and on a batched one, and forget it.

    A new worker loads the engine's compiled code (numba's cache) at its first batch of each
    kind, about a third of a second; done as the pool starts, while the coordinator still
    plans, the first chunks do not wait for it. Results never depend on it.
    """
    from sim.scenarios import Scenario  # as in _scenario: pydantic loads when it is used

    compiled = Scenario.load("sentinel_replay").compile()
    params = stack_parameters([compiled.parameters] * 2)
    schedule = compiled.schedule
    batched = type(schedule)(
        **{f.name: np.stack([getattr(schedule, f.name)] * 2) for f in dataclasses.fields(schedule)}
    )
    for timeline in (schedule, batched):
        summary_columns(simulate(compiled.partnership, timeline, params, [0, 1]))


def describe_error(exc: BaseException) -> str:
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
            yield members, describe_error(exc)
            return
    for member in members:
        try:
            yield [member], simulate_prepared([member.prepared], seed)
        except Exception as exc:
            yield [member], describe_error(exc)


def _identity_columns(task: ChunkTask, positions: Iterable[int]) -> dict[str, pa.Array]:
    """Return the columns naming each run at ``positions`` of the task."""
    runs = [task.runs[p] for p in positions]
    return {
        "scenario": pa.array([task.scenario_name] * len(runs), pa.string()),
        "row": pa.array([r for r, _, _ in runs], pa.int64()),
        "replicate": pa.array([r for _, r, _ in runs], pa.int64()),
        "run_key": pa.array([k for _, _, k in runs], pa.string()),
    }


def _runs_table(
    task: ChunkTask,
    metrics: Sequence[tuple[Sequence[int], Columns]],
    errors: Mapping[int, str],
    draws: Mapping[int, int],
) -> pa.Table:
    """One row per run in task order: identity, design values, posterior set, metrics, error.

    The posterior set drawn is ``posterior_draw`` (null when the scenario has no posterior),
    metrics are null when the run failed, and error is null when it did not.

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
    columns.update(_metric_columns(n, metrics))
    columns["error"] = pa.array([errors.get(p) for p in range(n)], pa.string())
    return pa.table(columns)


def _metric_columns(
    n: int, metrics: Sequence[tuple[Sequence[int], Columns]]
) -> dict[str, pa.Array]:
    """Each metric as a column of ``n`` runs, null where no batch gave it a value."""
    kinds: dict[str, bool] = {}
    for _, given in metrics:
        for name, values in given.items():
            kinds.setdefault(name, bool(np.issubdtype(values.dtype, np.integer)))
    batches = [(np.asarray(positions, dtype=np.intp), given) for positions, given in metrics]
    # The usual chunk: one batch of all its runs, in order, every metric given.
    whole = len(batches) == 1 and np.array_equal(batches[0][0], np.arange(n))
    columns = {}
    for name, integral in kinds.items():
        dtype = np.int64 if integral else np.float64
        kind = pa.int64() if integral else pa.float64()
        if whole:
            columns[name] = pa.array(np.asarray(batches[0][1][name], dtype=dtype), kind)
            continue
        filled = np.zeros(n, dtype=dtype)
        present = np.zeros(n, dtype=bool)
        for positions, given in batches:
            if name in given:
                filled[positions] = given[name]
                present[positions] = True
        columns[name] = pa.array(filled, kind, mask=~present)
    return columns


def _trajectory_rows(
    task: ChunkTask, batch: Sequence[_Member], trajectory: Trajectory
) -> pd.DataFrame:
    """Tidy partner x week rows of one engine batch, each with its run's identity."""
    frame = partner_frame(trajectory)
    index = frame["replicate"].to_numpy()
    frame = frame.drop(columns="replicate")
    frame.insert(0, "run_key", np.array([m.key for m in batch], dtype=object)[index])
    frame.insert(
        0, "replicate", np.array([m.prepared.replicate for m in batch], dtype=np.int64)[index]
    )
    frame.insert(0, "row", np.array([m.prepared.row for m in batch], dtype=np.int64)[index])
    frame.insert(0, "scenario", task.scenario_name)
    return frame


TRAJECTORY_SCHEMA = pa.schema(
    [
        ("scenario", pa.string()),
        ("row", pa.int64()),
        ("replicate", pa.int64()),
        ("run_key", pa.string()),
        ("week", pa.int64()),
        ("partner", pa.string()),
        ("handled", pa.int64()),
        ("recorded", pa.int64()),
        ("share", pa.float64()),
        ("buy_in", pa.float64()),
        ("interface", pa.string()),
        ("attitude", pa.float64()),
        ("latency_days", pa.float64()),
        ("sharing_hours", pa.float64()),
        ("saved_hours", pa.float64()),
    ]
)
"""Columns of a chunk's trajectories file (``keep = "trajectories"``)."""


def _trajectory_table(frames: Sequence[pd.DataFrame]) -> pa.Table:
    """Tabulate the partner x week rows of a chunk as one table of :data:`TRAJECTORY_SCHEMA`."""
    schema = TRAJECTORY_SCHEMA
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


def _parquet_bytes(table: pa.Table, compressed: bool = True) -> bytes:
    """Write the table as the bytes of a Parquet file, zstd-compressed unless asked not to.

    A chunk's runs table is narrow in rows and wide in columns (every design input and metric
    of a few hundred runs, mostly distinct floats): compressing it, with dictionaries and
    statistics, saves little space and costs, per column, about what a run costs to write
    and as much again to read.
    """
    sink = pa.BufferOutputStream()
    if compressed:
        pq.write_table(table, sink, compression="zstd")
    else:
        pq.write_table(
            table, sink, compression="none", use_dictionary=False, write_statistics=False
        )
    return bytes(sink.getvalue().to_pybytes())


def _ipc_bytes(table: pa.Table) -> bytes:
    """Write the table as the bytes of an Arrow IPC stream."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def failed_chunk(task: ChunkTask, message: str) -> ChunkOutput:
    """Return the output of a chunk none of whose runs could be computed (each with ``message``)."""
    return _output(task, _Results(errors=dict.fromkeys(range(len(task.runs)), message)), {}, 0.0)
