"""Sweeps: many runs of scenarios over a design, in chunks on an executor, stored durably.

A sweep runs every scenario at every design row, ``replicates`` times. Replicate ``r`` of row
``i`` is seeded ``SeedSequence(seed, spawn_key=(i, r))`` (:func:`sim.seeds.run_seed`), never
from workers, order or time, and every scenario uses the same seeds at the same row (common
random numbers, so differences between scenarios are not blurred by different draws). Row 0
with no design reproduces :func:`sim.run.run` with the same seed.

Results depend only on each run's scenario, values and seed, not on the executor, the
number of workers or the chunk size (``tests/test_sweep.py`` checks the result hashes).

The package, by job:

``plan``
    :class:`Plan` and :func:`make_plan` (what to run), :class:`RunId` and
    :func:`expected_runs` (the identity of every run).
``worker``
    :class:`ChunkTask` in, :class:`ChunkOutput` out: :func:`run_chunk` runs a chunk as engine
    batches and returns its result tables as Parquet bytes.
``executors``
    Starting, supervising and stopping the executor (process pool, Dask, serial); the options
    themselves are one :class:`sim.execution.Execution`.
``session``
    The coordinator: :func:`run_plan` computes what the folder does not hold yet, commits
    each chunk atomically (:mod:`sim.store`) and records the session in the manifest.
``progress``
    :class:`SweepProgress`, what a ``progress`` callable receives after every chunk.
``results``
    :func:`status` and :func:`read_results`: what a folder holds, read from disk only.
``version``
    :func:`model_version`, the digest of the model code in every run key.
``front``
    :func:`sweep` and :func:`run_design`: run and return the tidy result table.
``experiment``
    Experiment files: :func:`~sim.sweep.experiment.load_experiment` reads one into an
    :class:`~sim.sweep.experiment.Experiment` (scenarios, design, replicates, seed).
"""

from sim.errors import SweepError
from sim.execution import Execution
from sim.sweep.front import run_design, sweep
from sim.sweep.plan import Keep, Plan, RunId, expected_runs, make_plan
from sim.sweep.progress import ProgressCallback, ProgressLine, SweepProgress
from sim.sweep.results import SweepStatus, read_results, status
from sim.sweep.session import run_plan
from sim.sweep.version import model_version
from sim.sweep.worker import ChunkOutput, ChunkTask, run_chunk

__all__ = [
    "ChunkOutput",
    "ChunkTask",
    "Execution",
    "Keep",
    "Plan",
    "ProgressCallback",
    "ProgressLine",
    "RunId",
    "SweepError",
    "SweepProgress",
    "SweepStatus",
    "expected_runs",
    "make_plan",
    "model_version",
    "read_results",
    "run_chunk",
    "run_design",
    "run_plan",
    "status",
    "sweep",
]
