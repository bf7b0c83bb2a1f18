"""The front door of sweeps: run scenarios over a design and get the tidy result table back."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Unpack

import pandas as pd

from sim.errors import InputError
from sim.execution import Execution, ExecutionFields, execution_of
from sim.sweep.executors import Executors
from sim.sweep.plan import Keep, Plan, RunStatistics, make_plan
from sim.sweep.progress import ProgressCallback
from sim.sweep.session import execute_and_read, progress_callback

if TYPE_CHECKING:
    from sim.scenarios import Scenario


def sweep(
    scenarios: Scenario | str | Sequence[Scenario | str] | Mapping[str, Scenario | str],
    *,
    seed: int,
    replicates: int = 1,
    design: pd.DataFrame | None = None,
    out: Path | str | None = None,
    execution: Execution | None = None,
    keep: Keep = "summary",
    progress: ProgressCallback | bool | None = None,
    **fields: Unpack[ExecutionFields],
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
    # Not imported above: `import sim` loads this module, and the scenario machinery (pydantic
    # schemas) would slow every notebook and command start; it loads when a scenario is used.
    from sim.scenarios import Scenario

    listed: Sequence[Scenario | str] | Mapping[str, Scenario | str] = (
        [scenarios] if isinstance(scenarios, Scenario | str) else scenarios
    )
    plan = make_plan(listed, design, replicates=replicates, seed=seed, keep=keep)
    chosen = execution_of(execution, **fields)
    return _results(plan, out, chosen, progress_callback(progress, plan.name))


def run_design(
    scenario: Scenario | str,
    design: pd.DataFrame,
    *,
    replicates: int,
    seed: int,
    out: Path | str | None = None,
    execution: Execution | None = None,
    keep: Keep = "summary",
    progress: ProgressCallback | bool | None = None,
    statistics: RunStatistics | None = None,
    pool: Executors | None = None,
    **fields: Unpack[ExecutionFields],
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
    execution : Execution, optional
        Executor, workers, scheduler, chunk size (:class:`sim.execution.Execution`); none of
        them changes the results. A local process pool on every CPU by default.
    keep : {"summary", "trajectories"}
        Keep summary metrics only, or also partner x week rows (needs ``out``; read them with
        :func:`sim.store.read_trajectories`).
    progress : callable or bool, optional
        Called with a :class:`sim.sweep.SweepProgress` after each chunk; True writes a line
        of text to standard error.
    executor, workers, scheduler, chunk_size
        The fields of ``execution`` given one by one instead (not with ``execution``).
    statistics : RunStatistics, optional
        More per-run statistics, computed by the workers from each trajectory in memory
        (no trajectory is written for them); columns of the result beside the metrics.
    pool : Executors, optional
        Workers already started (``with Executors(execution) as pool``), kept by the caller
        across several calls; ``execution`` is then not used to start any.

    Returns
    -------
    DataFrame
        One row per (row, replicate), sorted so: ``scenario``, ``row``, ``replicate``,
        ``run_key``, the design values, the metric columns and ``error`` (None when fine).

    Raises
    ------
    InputError
        Unknown input names, values outside their ranges, bad counts or execution options,
        or an ``out`` folder holding another experiment.
    """
    plan = make_plan(
        [scenario], design, replicates=replicates, seed=seed, keep=keep, statistics=statistics
    )
    chosen = execution_of(execution, **fields)
    return _results(plan, out, chosen, progress_callback(progress, plan.name), pool)


def _results(
    plan: Plan,
    out: Path | str | None,
    execution: Execution,
    progress: ProgressCallback | None,
    pool: Executors | None = None,
) -> pd.DataFrame:
    """Run ``plan`` into ``out`` (or a temporary folder) and return its result table."""
    if out is not None:
        return execute_and_read(plan, out, execution, progress, pool=pool)
    if plan.keep == "trajectories":
        raise InputError(
            "sweep: keep='trajectories' stores partner x week rows on disk: give out= a folder "
            "and read them with sim.store.read_trajectories(out)"
        )
    # Without a folder the sweep still goes through the store (a temporary folder), so it
    # behaves exactly as a stored sweep does.
    with tempfile.TemporaryDirectory(prefix="sharesim-sweep-") as scratch:
        return execute_and_read(plan, Path(scratch) / "sweep", execution, progress, pool=pool)
