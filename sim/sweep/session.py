"""The coordinator of a sweep: one session of computing what a folder does not hold yet.

A session reads which runs the folder already holds, cuts the others into chunks, keeps the
executor's workers busy with them, commits each finished chunk atomically (:mod:`sim.store`)
and records itself in the manifest (:class:`sim.durable.SessionLog`). So:

* re-running the same sweep resumes: finished runs are never recomputed or duplicated;
* extending the design (rows appended, more replicates, more scenarios) reuses what is done;
* a run that raises is recorded with its error; the sweep goes on;
* a killed worker costs no committed result: the process pool is rebuilt and the chunks
  that had no file yet are resubmitted; a run that kills its worker every time is recorded
  as failed, so it cannot stall the sweep.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Unpack

import pandas as pd
import pyarrow as pa

from sim import durable, keys, store
from sim.errors import InputError, SweepError
from sim.execution import Execution, ExecutionFields, execution_of
from sim.provenance import environment
from sim.sweep.executors import WATCH_SECONDS, Executors
from sim.sweep.plan import Plan, RunId, expected_runs
from sim.sweep.progress import ProgressCallback, ProgressLine, SweepProgress
from sim.sweep.results import SweepStatus, read_results, results_frame, status
from sim.sweep.worker import ChunkOutput, ChunkTask, describe_error, failed_chunk, run_chunk

MAX_CHUNK = 256
"""Largest default chunk.

A chunk is one engine batch and one file; beyond ~64 runs a batch gains little speed, but
each chunk costs the coordinator a commit and a read of a file as wide as the design, so
fewer, larger chunks keep a long analysis's coordinator off the critical path.
"""

MAX_ATTEMPTS = 3
"""Times a chunk is tried when its worker dies or the executor fails before giving up."""

SEED_RULE = (
    "numpy.random.SeedSequence(seed, spawn_key=(row, replicate)); the same seeds for every "
    "scenario at a row"
)
"""How the manifest describes the seeds of a sweep's runs (:func:`sim.seeds.run_seed`)."""


def run_plan(
    plan: Plan,
    out: Path | str,
    *,
    execution: Execution | None = None,
    progress: ProgressCallback | bool | None = None,
    retry_failed: bool = False,
    **fields: Unpack[ExecutionFields],
) -> SweepStatus:
    """Run (or resume, or extend) ``plan`` into the folder ``out``; return its status.

    Parameters
    ----------
    plan : Plan
        What to run (:func:`sim.sweep.make_plan`).
    out : Path or str
        The sweep folder; created if needed. A folder holding a different experiment is
        refused (:class:`sim.store.StoreError`) before anything is written.
    execution : Execution, optional
        Executor, workers, scheduler, chunk size (:class:`sim.execution.Execution`); a local
        process pool on every CPU by default. None of them changes the results.
    progress : callable or bool, optional
        Called with a :class:`SweepProgress` after each chunk; True writes a line of text
        to standard error (:class:`ProgressLine`).
    retry_failed : bool
        Compute again the runs recorded with an error (a success then replaces the error).
    executor, workers, scheduler, chunk_size
        The fields of ``execution`` given one by one instead (not with ``execution``).
    """
    chosen = execution_of(execution, **fields)
    return execute(plan, out, chosen, progress_callback(progress, plan.name), retry_failed)


def progress_callback(
    progress: ProgressCallback | bool | None, label: str
) -> ProgressCallback | None:
    """Return the callable a ``progress=`` argument stands for (True: a :class:`ProgressLine`)."""
    if progress is True:
        return ProgressLine(label)
    if progress is None or progress is False:
        return None
    if not callable(progress):
        raise InputError(f"progress must be a callable or True/False, got {progress!r}")
    return progress


def execute(
    plan: Plan,
    out: Path | str,
    execution: Execution,
    progress: ProgressCallback | None = None,
    retry_failed: bool = False,
    pool: Executors | None = None,
) -> SweepStatus:
    """Run ``plan`` into ``out`` as :func:`run_plan` does, with its options already checked.

    ``pool`` is an executor already started (and left running) by a caller that runs several
    sweeps or prepares its design meanwhile; without it the session starts its own from
    ``execution``.
    """
    folder = Path(out)
    session = _execute(plan, folder, execution, progress, retry_failed, pool, hold=False)
    return status(folder, expected=session.expected.all(), committed=session.committed())


def execute_and_read(
    plan: Plan,
    out: Path | str,
    execution: Execution,
    progress: ProgressCallback | None = None,
    pool: Executors | None = None,
) -> pd.DataFrame:
    """Run ``plan`` into ``out`` as :func:`execute` does; return its result table.

    The table :func:`sim.sweep.read_results` reads from the folder. The session keeps each
    chunk's table as it commits the chunk (while the workers run the next), so when it
    computes every chunk of the folder, nothing is read back from the folder at the end.
    """
    session = _execute(plan, Path(out), execution, progress, False, pool, hold=True)
    frame = session.results()
    return read_results(out) if frame is None else frame


def _execute(
    plan: Plan,
    folder: Path,
    execution: Execution,
    progress: ProgressCallback | None,
    retry_failed: bool,
    pool: Executors | None,
    *,
    hold: bool,
) -> _Session:
    """Run ``plan`` into ``folder``; return the session (holding its chunks if asked)."""
    identity = plan.identity()
    # Everything that can refuse the sweep (a folder of someone else's, another experiment
    # in it, an unreachable scheduler) happens before the first byte is written.
    store.check_folder(folder)
    store.relation(folder, identity)
    session = _Session(plan, identity, folder, retry_failed, progress, hold)
    with contextlib.ExitStack() as stack:
        if pool is None and session.left:
            pool = stack.enter_context(Executors(execution))
        stack.enter_context(durable.made(folder))
        stack.enter_context(store.locked(folder))
        store.check_folder(folder)
        store.relation(folder, identity)
        store.remove_stale_temporaries(folder)
        session.reread()
        session.run(pool, execution.chunk_size)
    return session


def _manifest(
    plan: Plan, identity: Mapping[str, Any], old: Mapping[str, Any] | None, rows: str
) -> dict[str, Any]:
    """Make the folder's manifest for this session: the old one's history, this experiment.

    ``rows`` is :func:`store.rows_json` of ``identity``.
    """
    digest = store.experiment_hash(identity, rows)
    previous = list(old.get("extended_from", [])) if old else []
    if old and old["experiment_hash"] != digest:
        previous.append(old["experiment_hash"])
    return {
        "format": store.FORMAT,
        "kind": store.KIND,
        # A sweep's report files (sim.sweep.report) stay the sweep's from session to session.
        "files": sorted({*store.FILES, *_files(old)}),
        "name": plan.name,
        "experiment_hash": digest,
        "model_version": identity["model_version"],
        "created": old["created"] if old else durable.now(),
        "extended_from": previous,
        "seeds": {"seed": plan.seed, "rule": SEED_RULE},
        "runs": plan.total,
        "about": dict(plan.about),
        "references": plan.references(),
        "environment": environment(),
        "experiment": dict(identity),
        "sessions": list(old.get("sessions", [])) if old else [],
    }


def _files(old: Mapping[str, Any] | None) -> list[str]:
    """Return the files an earlier session's manifest lists (names only)."""
    listed = old.get("files", []) if old else []
    return [name for name in listed if isinstance(name, str)] if isinstance(listed, list) else []


# --- chunks ---------------------------------------------------------------------------------


def _chunks(
    plan: Plan,
    identity: Mapping[str, Any],
    expected: Iterable[RunId],
    done: set[str],
    size: int,
    send_table: bool = False,
) -> Iterator[ChunkTask]:
    """Return the runs not yet done, as chunks of at most ``size`` runs of one scenario.

    ``send_table``: ask the workers for each chunk's runs table in memory too (a session
    holding the results).
    """
    texts: dict[int, str] = {}
    pending: list[RunId] = []
    for run in expected:
        if run.key in done:
            continue
        if pending and (len(pending) >= size or pending[0].scenario != run.scenario):
            yield _task(plan, identity, pending, texts, send_table)
            pending = []
        pending.append(run)
    if pending:
        yield _task(plan, identity, pending, texts, send_table)


def _task(
    plan: Plan,
    identity: Mapping[str, Any],
    runs: list[RunId],
    texts: dict[int, str],
    send_table: bool = False,
) -> ChunkTask:
    """Make the task of a chunk of runs of one scenario (its TOML text kept in ``texts``)."""
    s = runs[0].scenario
    if s not in texts:
        texts[s] = plan.scenarios[s].to_toml()
    rows = identity["design"]["rows"]
    used = sorted({r.row for r in runs})
    return ChunkTask(
        plan.labels[s],
        texts[s],
        identity["scenarios"][s]["content_hash"],
        identity["model_version"],
        plan.seed,
        plan.keep,
        tuple(str(c) for c in plan.design.columns),
        tuple((row, tuple(map(float, rows[row]))) for row in used),
        tuple((r.row, r.replicate, r.key) for r in runs),
        plan.statistics,
        send_table,
    )


def _split(task: ChunkTask) -> list[ChunkTask]:
    """One task per run (to find the run that kills its worker)."""
    return [dataclasses.replace(task, runs=(run,)) for run in task.runs]


def _chunk_size(chunk_size: int | None, workers: int, left: int) -> int:
    """Return the given chunk size, or about four chunks per worker, at most :data:`MAX_CHUNK`.

    Four chunks per worker are enough to balance the load and few enough to batch well.
    """
    return chunk_size or max(1, min(MAX_CHUNK, math.ceil(left / (4 * workers))))


@dataclasses.dataclass(frozen=True)
class _Tally:
    """What a sweep's chunks have counted so far.

    Runs with a result (from earlier sessions too), failed runs, worker time, and the last
    chunk counted.
    """

    count: int
    failed: int
    worker_seconds: float = 0.0
    last: str | None = None

    def plus(self, output: ChunkOutput) -> _Tally:
        """Return the tally with ``output``'s chunk counted."""
        return _Tally(
            self.count + output.count,
            self.failed + output.failed,
            self.worker_seconds + output.seconds,
            output.name,
        )


@dataclasses.dataclass(frozen=True)
class _Attempt:
    """A chunk and how many times its worker or executor has failed it."""

    task: ChunkTask
    attempts: int = 0

    def again(self) -> _Attempt:
        return _Attempt(self.task, self.attempts + 1)


@dataclasses.dataclass
class _Queue:
    """The chunks of a session not committed yet: fresh, to try again, and running."""

    todo: Iterator[ChunkTask]
    retry: deque[_Attempt] = dataclasses.field(default_factory=deque)
    running: dict[Future[ChunkOutput], _Attempt] = dataclasses.field(default_factory=dict)

    def next(self) -> _Attempt | None:
        """Return the chunk to submit next (retries first), or None when there is none left."""
        if self.retry:
            return self.retry.popleft()
        task = next(self.todo, None)
        return None if task is None else _Attempt(task)


class _Expected:
    """Every run of the experiment, in order, each worked out when first needed.

    A fresh folder's session cuts its first chunks from the first runs and works out the
    rest as it goes, instead of every run's key before the first chunk (about a second for
    40,960 runs); :meth:`all` finishes the list.
    """

    def __init__(self, identity: Mapping[str, Any], rows: keys.EncodedRows) -> None:
        self._source = expected_runs(identity, rows)
        self.known: list[RunId] = []

    def __iter__(self) -> Iterator[RunId]:
        """Yield every run, working out more as the known ones run out."""
        taken = 0
        while True:
            while taken < len(self.known):
                yield self.known[taken]
                taken += 1
            run = next(self._source, None)
            if run is None:
                return
            self.known.append(run)

    def all(self) -> list[RunId]:
        """Return every run."""
        self.known.extend(self._source)
        return self.known


# --- the session ----------------------------------------------------------------------------


class _Session:
    """One session of a sweep: what is left, the manifest's record of it, the main loop."""

    def __init__(
        self,
        plan: Plan,
        identity: Mapping[str, Any],
        folder: Path,
        retry: bool,
        progress: ProgressCallback | None,
        hold: bool = False,
    ) -> None:
        self.plan = plan
        self.hold = hold
        self.identity = identity
        # Every run's key, computed once: the session needs them to read what is done and to
        # name its chunks. The design's rows are encoded once, for the keys and the manifest.
        self.rows = keys.EncodedRows(identity["design"]["rows"])
        self.expected = _Expected(identity, self.rows)
        self.folder = folder
        self.retry_failed = retry
        self.progress = progress
        self.rebuilds = 0
        self.committing: ChunkOutput | None = None
        self.reread()

    def reread(self) -> None:
        """Find which runs are done (read only; again once the folder is locked)."""
        committed = store.committed_runs(self.folder) if self.folder.exists() else None
        self.done: set[str] = set()
        self.failed = 0
        if committed is not None and len(committed):
            expected = pd.Index([run.key for run in self.expected.all()])
            committed = committed[committed["run_key"].isin(expected)]
            ok = committed["error"].isna()
            chosen = committed["run_key"][ok] if self.retry_failed else committed["run_key"]
            self.done = set(chosen)
            self.failed = 0 if self.retry_failed else int((~ok).sum())
        self.resumed = len(self.done)
        self.tally = _Tally(self.resumed, self.failed)
        self.left = self.plan.total - self.resumed
        # The chunks' tables, by file name, when asked to hold them and the folder has no
        # chunk yet: then the session's chunks are all the folder's.
        empty = committed is None or not len(committed)
        self.held: dict[str, pa.Table] | None = {} if self.hold and empty else None

    def committed(self) -> pd.DataFrame | None:
        """Run key and error of every committed run, when the session holds every chunk."""
        return None if self.held is None else store.committed_frame(_in_file_order(self.held))

    def results(self) -> pd.DataFrame | None:
        """Return the folder's result table (:func:`read_results`) if it holds every chunk."""
        if self.held is None:
            return None
        # Every held chunk was cut from this experiment's runs, so there is no other run to
        # leave out by key (a folder read back may hold an earlier experiment's).
        return results_frame(self.identity, store.runs_frame(_in_file_order(self.held)))

    def run(self, pool: Executors | None, chunk_size: int | None) -> None:
        """Compute every run not yet done, recording the session in the manifest."""
        # The first chunks compute while the manifest is encoded and written (about a second
        # for a big design); none is committed before it is.
        started = self._start(pool, chunk_size) if pool is not None and self.left else None
        # The design's rows are most of the manifest: encoded once for its hash and writes.
        rows = self.rows.json()
        manifest = _manifest(self.plan, self.identity, store.read_manifest(self.folder), rows)
        self.log = durable.SessionLog(
            manifest,
            lambda saved: store.write_manifest(self.folder, saved, rows),
            failures=(SweepError,),
            closing=self._counts,
        )
        with self.log:
            store.make_folders(self.folder, self.plan.keep == "trajectories")
            self._report()
            if pool is not None and started is not None:
                queue, size, broken = started
                self.log.record.update(executor=pool.label, workers=pool.workers, chunk_size=size)
                self._loop(pool, queue, broken)

    def _start(self, pool: Executors, chunk_size: int | None) -> tuple[_Queue, int, bool]:
        """Cut the chunks and fill the executor's slots.

        Returns the queue, the chunk size and whether the executor broke meanwhile.
        """
        size = _chunk_size(chunk_size, pool.workers or 1, self.left)
        held = self.held is not None
        queue = _Queue(_chunks(self.plan, self.identity, self.expected, self.done, size, held))
        return queue, size, self._submit(pool, queue)

    def _counts(self) -> dict[str, Any]:
        """Return the session's counts for its record, however it ended."""
        tally, committing = self.tally, self.committing
        # A chunk whose commit an interrupt cut short after its runs file was renamed into
        # place is on disk; the record counts every chunk that is.
        if (
            committing is not None
            and tally.last != committing.name
            and (self.folder / store.RUNS / committing.name).exists()
        ):
            tally = tally.plus(committing)
        return {
            "runs_computed": tally.count - self.resumed,
            "runs_failed": tally.failed,
            "worker_seconds": round(tally.worker_seconds, 3),
        }

    def _report(self) -> None:
        if self.progress is not None:
            tally = self.tally
            self.progress(
                SweepProgress(
                    self.plan.total, tally.count, tally.failed, self.resumed, self.log.elapsed()
                )
            )

    def _commit(self, output: ChunkOutput) -> None:
        if output.model_version != self.identity["model_version"]:
            raise SweepError(
                f"a worker computed chunk {output.name} with model version "
                f"{output.model_version}, the sweep needs {self.identity['model_version']}"
            )
        self.committing = output
        try:
            store.commit_chunk(self.folder, output.name, output.runs, output.trajectories)
        except durable.OutputError as error:
            raise durable.OutputError(
                f"{error}; finished chunks are saved: once it can be written, run again to resume"
            ) from error
        if self.held is not None:
            self.held[output.name] = output.runs_table()
        # One assignment, so an interrupt cannot leave the counts half updated.
        self.tally = self.tally.plus(output)
        self.committing = None
        self._report()

    def _loop(self, pool: Executors, queue: _Queue, broken: bool) -> None:
        """Keep every slot of the executor busy until each chunk is committed.

        The slots have just been filled; ``broken`` says whether the executor broke then.
        """
        while queue.running or broken:
            if queue.running:
                broken = self._collect(pool, queue) or broken
            if broken:
                self._recover(pool, queue)
            broken = self._submit(pool, queue)

    def _submit(self, pool: Executors, queue: _Queue) -> bool:
        """Fill the executor's slots; return whether the executor broke meanwhile."""
        while len(queue.running) < pool.slots:
            attempt = queue.next()
            if attempt is None:
                return False
            try:
                queue.running[pool.executor.submit(run_chunk, attempt.task)] = attempt
            except BrokenProcessPool:
                queue.retry.appendleft(attempt)
                return True
        return False

    def _collect(self, pool: Executors, queue: _Queue) -> bool:
        """Commit the chunks that finish next; return whether the executor broke or is stuck."""
        finished = wait(queue.running, timeout=WATCH_SECONDS, return_when=FIRST_COMPLETED).done
        if not finished:
            return pool.stuck()
        broken = False
        for future in finished:
            attempt = queue.running.pop(future)
            output: ChunkOutput | None
            try:
                output = future.result()
            except BrokenProcessPool:
                broken = True
                queue.retry.append(attempt.again())
                continue
            except SweepError:
                raise
            except Exception as exc:
                output = _after_failure(attempt, exc, queue.retry)
            if output is not None:
                self._commit(output)
        return broken

    def _recover(self, pool: Executors, queue: _Queue) -> None:
        """Replace a broken process pool and resubmit what it was running."""
        if not pool.rebuildable:
            raise SweepError("the executor broke; committed chunks are kept, run again to resume")
        self.rebuilds += 1
        self.log.record["pool_rebuilds"] = self.rebuilds
        # Every chunk still running lost its worker with the pool: resubmit it.
        queue.retry.extend(attempt.again() for attempt in queue.running.values())
        queue.running.clear()
        self._isolate_repeat_offenders(queue.retry)
        pool.rebuild()

    def _isolate_repeat_offenders(self, retry: deque[_Attempt]) -> None:
        """Split the chunks that were running each time the pool broke.

        A single run that was running every time is recorded as failed, so one run that kills
        its worker (out of memory, a crash in native code) cannot stall the sweep.
        """
        keep: list[_Attempt] = []
        for attempt in retry:
            if attempt.attempts < MAX_ATTEMPTS:
                keep.append(attempt)
            elif len(attempt.task.runs) > 1:
                keep.extend(_Attempt(t) for t in _split(attempt.task))
            else:
                message = f"the worker process died {MAX_ATTEMPTS} times running this run"
                self._commit(failed_chunk(attempt.task, message))
        retry.clear()
        retry.extend(keep)


def _in_file_order(held: Mapping[str, pa.Table]) -> pa.Table | None:
    """Chunk tables by file name, concatenated as :mod:`sim.store` reads the files."""
    return store.concatenated([held[name] for name in sorted(held)])


def _after_failure(attempt: _Attempt, exc: Exception, retry: deque[_Attempt]) -> ChunkOutput | None:
    """Decide what to do with a chunk whose future raised instead of returning.

    A run's own errors never get here (:func:`run_chunk` records them), so this is the
    executor failing. Dask's ``KilledWorker`` means workers died running the chunk: it is
    split, and a single run that kills its workers is recorded as failed. Anything else
    (a lost connection, workers that cannot import ``sim``) is retried, then stops the
    sweep: recording it against the runs would blame them for the infrastructure.
    """
    # Only a Dask executor raises it, and a session on Dask has imported Dask already.
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
        f"({describe_error(exc)}); finished chunks are kept, run the sweep again to resume"
    )
