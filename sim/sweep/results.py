"""What a sweep folder holds: its status (runs done, failed, left) and its result table.

Both read the folder only, from its manifest and committed chunk files, so they need no
scenario files and work while a sweep is writing to the folder.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim import durable, store
from sim.sweep.plan import RunId, expected_runs


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
        Each session's start, finish, state, executor and timings, as the session recorded
        them (a session killed too hard to say how it ended still says ``running``).
    errors : tuple of (str, int)
        The most frequent error messages of failed runs (at most five) with their counts.
    state : str
        How the folder's last session stands: ``running`` (a sweep holds the folder now),
        ``finished``, ``failed``, ``interrupted`` (Ctrl-C, a termination signal, an output
        error, or killed: a session recorded ``running`` whose folder nobody holds), or
        ``new`` (no session yet).
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
    state: str = "new"

    @property
    def complete(self) -> bool:
        """Whether every run has a result (an error counts as a result)."""
        return self.left == 0


def status(
    out: Path | str,
    *,
    expected: Sequence[RunId] | None = None,
    committed: pd.DataFrame | None = None,
) -> SweepStatus:
    """Return the status of the sweep in folder ``out`` (read only; works while a sweep runs).

    ``expected`` is every run of the folder's experiment (:func:`expected_runs`), and
    ``committed`` the run key and error of every committed run (:func:`store.committed_runs`),
    when the caller has them already (the session that ran it); they are read from the
    folder otherwise.

    Raises
    ------
    StoreError
        When ``out`` holds no sweep.
    """
    folder = Path(out)
    manifest = sweep_manifest(folder)
    identity = manifest["experiment"]
    runs = expected_runs(identity) if expected is None else expected
    if committed is None:
        committed = store.committed_runs(folder)
    total, done, messages = _tally(runs, committed)
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
        state=_state(folder, manifest.get("sessions", [])),
    )


def _state(folder: Path, sessions: list[Mapping[str, Any]]) -> str:
    """Return how the last session stands.

    It stands as it recorded, except that a session recorded as running whose folder nobody
    holds locked was killed before it could say so.
    """
    if not sessions:
        return "new"
    state = str(sessions[-1].get("state", "running"))
    if state == "running" and not durable.held(folder / store.LOCK):
        return "interrupted"
    return state


def sweep_manifest(folder: Path) -> dict[str, Any]:
    """Return the manifest of the sweep in ``folder``.

    Raises
    ------
    StoreError
        When the folder does not exist, or holds no sweep.
    """
    manifest = store.read_manifest(folder)
    if manifest is None:
        what = f"no sweep here (no {store.MANIFEST})" if folder.exists() else "no such folder"
        raise store.StoreError(f"{folder}: {what}")
    return manifest


def _tally(runs: Iterable[RunId], committed: pd.DataFrame) -> tuple[int, int, Counter[str]]:
    """Count runs of the experiment, runs done without error, and how often each error occurred."""
    errors = dict(zip(committed["run_key"], committed["error"], strict=True))
    done = total = 0
    messages: Counter[str] = Counter()
    for run in runs:
        total += 1
        if run.key in errors:
            error = errors[run.key]
            if isinstance(error, str):
                messages[error] += 1
            else:
                done += 1
    return total, done, messages


def read_results(out: Path | str) -> pd.DataFrame:
    """Read the result table of the sweep in ``out``: one row per committed run of its experiment.

    Columns: ``scenario``, ``row``, ``replicate``, ``run_key``, the design inputs, the
    summary metrics (:func:`sim.metrics.summary_metrics`; empty for failed runs) and
    ``error`` (None when the run was fine). Sorted by scenario (in experiment order), row
    and replicate.
    """
    folder = Path(out)
    identity = sweep_manifest(folder)["experiment"]
    keys = [run.key for run in expected_runs(identity)]
    return results_frame(identity, store.read_runs(folder, keys))


def results_frame(identity: Mapping[str, Any], runs: pd.DataFrame) -> pd.DataFrame:
    """Return the result table of an experiment (:func:`read_results`) from its committed runs.

    ``runs`` is :func:`sim.store.read_runs` of the folder, or :func:`sim.store.runs_frame`
    of its chunk tables held in memory, for the experiment's run keys.
    """
    frame = runs
    order = {s["name"]: i for i, s in enumerate(identity["scenarios"])}
    position = frame["scenario"].map(order).astype("int64")
    frame = frame.assign(_order=position).sort_values(["_order", "row", "replicate"], kind="stable")
    frame = frame.drop(columns="_order").reset_index(drop=True)
    for column in identity["design"]["columns"]:
        if column not in frame:
            frame.insert(4, column, pd.Series(dtype=float))
    return frame
