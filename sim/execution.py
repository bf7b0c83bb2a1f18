"""How runs are executed: which executor, how many workers, where, how many runs per chunk.

One frozen value, checked when made, passed whole to every function that runs work (sweeps,
sensitivity analysis, calibration, the command line).

None of these options changes a result: a run depends only on its scenario, its inputs and its
seed (``tests/test_sweep.py`` checks it for every executor, worker count and chunk size).
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from numbers import Integral
from typing import Literal, TypedDict, Unpack, get_args

from sim.errors import InputError

ExecutorName = Literal["process", "dask-local", "dask", "serial"]
"""The executors a sweep starts by name: a supervised local process pool, a Dask
``LocalCluster`` on 127.0.0.1, a running Dask cluster (by scheduler address), or this process."""

EXECUTORS: tuple[str, ...] = get_args(ExecutorName)


@dataclass(frozen=True)
class Execution:
    """Where and how the runs of a sweep are executed.

    Attributes
    ----------
    executor : {"process", "dask-local", "dask", "serial"} or Executor
        An executor by name (see :data:`ExecutorName`), or any
        :class:`concurrent.futures.Executor` you created (you also shut it down).
    workers : int, optional
        Worker processes (at least 1). By default this machine's CPUs (``"process"``,
        ``"dask-local"``) or the cluster's threads (``"dask"``).
    scheduler : str, optional
        The Dask scheduler's address (``tcp://host:8786``); needed by ``"dask"`` and only
        meaningful with it.
    chunk_size : int, optional
        Runs per chunk (at least 1); by default about a quarter of each worker's share, at
        most :data:`sim.sweep.session.MAX_CHUNK`.

    Raises
    ------
    InputError
        An unknown executor, a count below 1, or a scheduler address missing or misplaced.
    """

    executor: ExecutorName | Executor = "process"
    workers: int | None = None
    scheduler: str | None = None
    chunk_size: int | None = None

    def __post_init__(self) -> None:
        """Check every option, so a bad one fails before any run starts."""
        executor = self.executor
        if not isinstance(executor, Executor) and executor not in EXECUTORS:
            raise InputError(f"executor must be one of {list(EXECUTORS)}, got {executor!r}")
        _check_count("workers", self.workers)
        _check_count("chunk_size", self.chunk_size)
        if executor == "dask" and not self.scheduler:
            raise InputError("executor 'dask' needs a scheduler address (--scheduler)")
        if self.scheduler is not None and executor != "dask":
            raise InputError(
                f"a scheduler address only goes with executor 'dask', not {executor!r}"
            )

    @property
    def label(self) -> str:
        """The executor's name, or the class name of an executor object."""
        executor = self.executor
        return type(executor).__name__ if isinstance(executor, Executor) else executor


class ExecutionFields(TypedDict, total=False):
    """The fields of an :class:`Execution` given one by one, as keywords (None: the default)."""

    executor: ExecutorName | Executor | None
    workers: int | None
    scheduler: str | None
    chunk_size: int | None


def execution_of(
    execution: Execution | None = None, **fields: Unpack[ExecutionFields]
) -> Execution:
    """Return the one :class:`Execution` of a call that accepts it whole or as separate keywords.

    The keywords are a convenience (``sweep(..., executor="serial")``); giving both forms in
    one call is refused, so no option is silently dropped.
    """
    unknown = sorted(set(fields) - set(ExecutionFields.__annotations__))
    if unknown:
        raise TypeError(f"unexpected keyword argument {unknown[0]!r}")
    loose = {name: value for name, value in fields.items() if value is not None}
    if execution is None:
        executor = fields.get("executor")
        return Execution(
            "process" if executor is None else executor,
            fields.get("workers"),
            fields.get("scheduler"),
            fields.get("chunk_size"),
        )
    if loose:
        named = ", ".join(f"{name}=" for name in loose)
        raise InputError(f"give either execution= or {named}, not both")
    if not isinstance(execution, Execution):
        raise InputError(f"execution must be an Execution, got {type(execution).__name__}")
    return execution


def _check_count(name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise InputError(f"{name} must be an integer of at least 1, got {value!r}")
