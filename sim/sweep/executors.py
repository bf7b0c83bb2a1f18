"""Where a sweep's chunks run: starting, supervising and stopping the executor of a session.

``"process"`` is a standard-library process pool started with "spawn" (so it works from
notebooks without a ``__main__`` guard) and rebuilt when a worker dies; ``"dask-local"`` a
Dask ``LocalCluster`` on 127.0.0.1; ``"dask"`` any Dask cluster, by scheduler address;
``"serial"`` this process. Any :class:`concurrent.futures.Executor` is used as given.

Local workers leave Ctrl-C to the coordinator. A pool's workers die with the coordinator
(:mod:`sim.sweep.lifeline`), and when a session stops early (Ctrl-C, a termination signal,
an error) they are ended at once: what they were computing would be thrown away.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future
from concurrent.futures.process import ProcessPoolExecutor
from types import MappingProxyType
from typing import Any, Self

from sim.errors import InputError
from sim.execution import Execution
from sim.sweep.lifeline import bind_to_parent

STOP_SECONDS = 10.0
"""How long a stopped sweep waits for each terminated worker to exit."""

WATCH_SECONDS = 1.0
"""How long a session waits for a chunk to finish before it looks at the pool's workers."""

LOCAL_CLUSTER: Mapping[str, Any] = MappingProxyType(
    {
        "threads_per_worker": 1,
        "processes": True,
        "host": "127.0.0.1",
        "dashboard_address": None,
        # With no dashboard the scheduler still serves its HTTP routes (health, metrics), on
        # Dask's dashboard port 8787 unless told otherwise, with a warning when another cluster
        # on the machine holds it: a free port instead.
        "scheduler_kwargs": {"dashboard_address": "127.0.0.1:0"},
    }
)
"""How a Dask ``LocalCluster`` on this machine is started (besides its workers and logs): a
worker process with one thread each, on the loopback address, no dashboard."""

STUCK_SECONDS = 5.0
"""How long a process pool may go on with a dead worker before it counts as broken.

A pool notices a dead worker within milliseconds, unless the worker died writing its result:
the pool then waits for the rest of the message, and no chunk in flight would ever finish."""


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
    """Leave Ctrl-C in local workers to the coordinator, which stops the sweep cleanly.

    Ctrl-C reaches the terminal's whole process group; finished chunks are kept, instead of
    every worker printing its own traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def start_worker(coordinator: int) -> None:
    """Set up a process-pool worker.

    It ignores Ctrl-C (:func:`ignore_interrupts`) and dies with the coordinator
    (:func:`sim.sweep.lifeline.bind_to_parent`).
    """
    ignore_interrupts()
    bind_to_parent(coordinator)


def warm_up(extra: Sequence[str] = ()) -> None:
    """Import what a chunk needs, so that a new worker is ready when the first chunk comes.

    Submitted to every worker as its pool starts: the workers import the model (pandas,
    pyarrow, numba, the scenario schemas; about a second) while the coordinator still writes
    the manifest and cuts the first chunks; then the modules ``extra`` names (what the pool
    will run after the chunks), and they load the engine's compiled code
    (:func:`sim.sweep.worker.warm_engine`).
    """
    for module in ("sim.scenarios", "sim.sweep.worker", *extra):
        importlib.import_module(module)
    from sim.sweep.worker import warm_engine  # imported just above

    warm_engine()


def default_workers() -> int:
    """Count the CPUs this process may use (its affinity mask where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class Executors:
    """Starts, supervises and stops the executor of one sweep session.

    Attributes
    ----------
    executor : Executor
        Where chunks are submitted (valid inside the ``with`` block).
    workers : int or None
        Workers the executor has (None only for ``"serial"``).
    slots : int
        Chunks kept in flight: two per worker, so none waits for the next submission.
    label : str
        What the session record calls the executor (``"process x2"``).
    imports : tuple of str
        Modules a process pool's workers import as they start, beside the model's (what the
        caller will run on them besides chunks).
    """

    def __init__(self, execution: Execution, imports: Sequence[str] = ()) -> None:
        self.execution = execution
        self.imports = tuple(imports)
        self.workers = execution.workers
        self.executor: Executor = SerialExecutor()
        self.slots = 1
        self.label = "serial"
        self._closers: list[Callable[[], object]] = []
        self._dead_since: float | None = None

    def __enter__(self) -> Self:
        """Start the executor the options name (or take the one given)."""
        kind = self.execution.executor
        if isinstance(kind, Executor):
            self.executor = kind
            self.slots = 2 * (self.workers or default_workers())
            self.label = type(kind).__name__
        elif kind == "process":
            self.workers = self.workers or default_workers()
            self._start_pool()
            self.slots = 2 * self.workers
            self.label = f"process x{self.workers}"
        elif kind in ("dask", "dask-local"):
            self._start_dask(kind)
        return self

    def _start_pool(self) -> None:
        # "spawn" starts clean interpreters that import `sim` (no copy of a notebook's state,
        # no fork of a threaded process), so no `__main__` guard is needed in a notebook.
        self.executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_worker,
            initargs=(os.getpid(),),
        )
        # A spawning pool starts a worker for each call submitted while none is idle.
        for _ in range(self.workers or 1):
            self.executor.submit(warm_up, self.imports)

    def _start_dask(self, kind: str) -> None:
        client = self._local_cluster() if kind == "dask-local" else self._remote_cluster()
        self._closers.insert(0, client.close)
        # pure=False: a resubmitted chunk must run again, not return the failed future.
        self.executor = client.get_executor(pure=False)
        self.slots = 2 * (self.workers or 1)

    def _local_cluster(self) -> Any:
        # Dask is imported only by the sessions that use it: it takes seconds to import.
        from distributed import Client, LocalCluster

        self.workers = self.workers or default_workers()
        cluster = LocalCluster(
            n_workers=self.workers,
            **LOCAL_CLUSTER,
            # A worker losing its scheduler as the cluster closes logs a traceback; what goes
            # wrong with a run reaches the sweep through its future.
            silence_logs=logging.CRITICAL,
        )
        self._closers.append(lambda: cluster.close())
        self.label = f"dask-local x{self.workers}"
        client = Client(cluster)
        client.run(ignore_interrupts)
        return client

    def _remote_cluster(self) -> Any:
        # Dask is imported only by the sessions that use it (see _local_cluster).
        from distributed import Client

        scheduler = self.execution.scheduler
        if not scheduler:
            raise InputError("executor 'dask' needs a scheduler address (--scheduler)")
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
        self.workers = self.workers or max(1, sum(client.nthreads().values()))
        self.label = f"dask {scheduler} x{self.workers}"
        return client

    def _stop_pool(self) -> None:
        """End the pool's workers now.

        The sweep stopped (Ctrl-C, a signal, an error), and what they are computing would be
        thrown away. Waiting would keep the coordinator alive for as long as the longest chunk
        in flight.
        """
        # The pool offers no public way to end its workers before Python 3.14
        # (terminate_workers); its table of worker processes is the only handle.
        workers = list((getattr(self.executor, "_processes", None) or {}).values())
        # Its result pipe is the other (shutdown forgets both).
        results = getattr(self.executor, "_result_queue", None)
        # A chunk being written to the workers' call pipe when they end is never read: the
        # thread writing it must not be waited for, by the pool or at the interpreter's exit.
        calls = getattr(self.executor, "_call_queue", None)
        if calls is not None:
            calls.cancel_join_thread()
        self.executor.shutdown(wait=False, cancel_futures=True)
        for worker in workers:
            with contextlib.suppress(OSError, ValueError):
                worker.terminate()
        for worker in workers:
            with contextlib.suppress(OSError, ValueError, AssertionError):
                worker.join(timeout=STOP_SECONDS)
        # A worker ended while writing its result leaves the pool's manager thread waiting
        # for the rest of the message, and the interpreter waits for that thread at exit.
        # The workers are gone, so this process holds the result pipe's only writing end:
        # closing it ends the wait (end of file; the pool counts itself broken and stops).
        writer = getattr(results, "_writer", None)
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.close()

    def map(self, fn: Callable[..., Any], /, *iterables: Iterable[Any]) -> Iterator[Any]:
        """Map ``fn`` over the arguments on the executor (the new one after a rebuild)."""
        return self.executor.map(fn, *iterables)

    @property
    def rebuildable(self) -> bool:
        """Whether a broken executor can be replaced (only a pool this sweep started)."""
        return self.execution.executor == "process"

    def stuck(self) -> bool:
        """Whether the process pool has had a dead worker for :data:`STUCK_SECONDS` unnoticed.

        Called while no chunk finishes. Such a pool would wait for ever: it is to be rebuilt
        (:meth:`rebuild`) and every chunk in flight run again.
        """
        # The pool's table of worker processes is the only handle on them (see _stop_pool).
        workers = list((getattr(self.executor, "_processes", None) or {}).values())
        if not self.rebuildable or all(w.exitcode is None for w in workers):
            self._dead_since = None
            return False
        now = time.monotonic()
        self._dead_since = self._dead_since if self._dead_since is not None else now
        return now - self._dead_since >= STUCK_SECONDS

    def rebuild(self) -> None:
        """Replace a broken or stuck process pool with a fresh one.

        What is left of the old one is ended first: its workers, and the wait of a pool stuck
        on a dead worker's half-written result (:meth:`_stop_pool`).
        """
        self._stop_pool()
        self._dead_since = None
        self._start_pool()

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        """Stop the executor: work finishes after success; what is queued is dropped on error."""
        name = self.execution.executor
        if name == "process" and error is None:
            # Every chunk is done and the workers are idle. Each takes a few tenths of a
            # second to exit (unloading the model); that overlaps what the caller does next,
            # and the interpreter still waits for them before it exits.
            self.executor.shutdown(wait=False)
        elif name == "process":
            self._stop_pool()
        elif name in ("dask", "dask-local"):
            # Cancels what is still queued on an error; closing the client then lets go.
            self.executor.shutdown(wait=error is None)
        for close in self._closers:
            with contextlib.suppress(Exception):
                close()
