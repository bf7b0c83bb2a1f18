"""The same Shapley analysis and seed give the same answer on any executor.

A small analysis of ``sentinel_calibrated`` that still takes the whole path: seven
calibrated inputs drawn from the copula fitted to the posterior (the others drawn run by
run), both assignments of the interface inputs with the blocks they share run once, the
double loop over every subset of categories, and the bootstrap. Run on a local process pool
of 1 worker (the reference), of 2 workers in smaller chunks, in this process with the chunks
run in reverse order of submission, and on a real Dask ``LocalCluster`` reached by its
address, its effects, intervals, shares of resamples, written tables and brief are
identical to the last bit. A different seed gives different effects (negative control).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import support

from sim.execution import Execution
from sim.sensitivity.brief import brief_markdown
from sim.sensitivity.folder import write_tables
from sim.sensitivity.result import SensitivityResult
from sim.sensitivity.scenario import shapley
from tests.test_shapley import CALIBRATED_FEW

SIZES: dict[str, Any] = {
    "n_outer": 16,
    "n_inner": 2,
    "n_variance": 64,
    "replicates": 2,
    "inputs": CALIBRATED_FEW,
    "assignments": ("registry", "interfaces_as_technology"),
    "outputs": ("share_final_year", "share_mean", "buy_in_final"),
    "bootstrap": 200,
}
SEED = 3


def _analysis(execution: Execution, seed: int = SEED) -> SensitivityResult:
    return shapley("sentinel_calibrated", seed=seed, execution=execution, **SIZES)


class LastFirst(Executor):
    """Runs submitted calls in this process on one thread, the latest submitted first.

    It waits until ``depth`` calls are queued (or a moment has passed) before taking one,
    so the chunks the sweep keeps in flight run in reverse order; ``order`` records the
    position in submission order of each call as it ran.
    """

    def __init__(self, depth: int = 4) -> None:
        self.depth = depth
        self.order: list[int] = []
        self._queue: list[tuple[int, Future[Any], Callable[[], Any]]] = []
        self._submitted = 0
        self._ready = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._work, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._ready:
            self._queue.append((self._submitted, future, lambda: fn(*args, **kwargs)))
            self._submitted += 1
            self._ready.notify()
        return future

    def _work(self) -> None:
        while True:
            with self._ready:
                self._ready.wait_for(lambda: len(self._queue) >= self.depth, timeout=0.05)
                if not self._queue:
                    if self._closed:
                        return
                    continue
                position, future, call = self._queue.pop()
            self.order.append(position)
            try:
                future.set_result(call())
            except Exception as exc:  # handed to the sweep, as a pool's worker would
                future.set_exception(exc)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify()
        if wait:
            self._thread.join()


@pytest.fixture(scope="module")
def reference() -> SensitivityResult:
    return _analysis(Execution(executor="process", workers=1))


def _local_cluster_result() -> SensitivityResult:
    with support.local_cluster() as cluster:
        return _analysis(
            Execution(executor="dask", scheduler=cluster.scheduler_address, chunk_size=40)
        )


def _reversed_chunks_result() -> SensitivityResult:
    executor = LastFirst()
    try:
        result = _analysis(Execution(executor=executor, workers=2, chunk_size=64))
    finally:
        executor.shutdown()
    # The chunks really ran out of the order they were submitted in.
    assert sorted(executor.order) == list(range(len(executor.order)))
    assert executor.order != sorted(executor.order)
    return result


def _written(result: SensitivityResult, folder: Path) -> dict[str, bytes]:
    paths = write_tables(result, folder)
    return {name: path.read_bytes() for name, path in paths.items() if name.endswith(".csv")}


def _assert_identical(
    result: SensitivityResult, reference: SensitivityResult, tmp_path: Path
) -> None:
    for name in ("design", "runs", "shapley", "comparisons", "noise"):
        pd.testing.assert_frame_equal(
            getattr(result, name), getattr(reference, name), check_exact=True, obj=name
        )
    assert result.settings == reference.settings
    assert _written(result, tmp_path / "other") == _written(reference, tmp_path / "reference")
    assert brief_markdown(result) == brief_markdown(reference)


@pytest.mark.parametrize(
    "run",
    [
        pytest.param(
            lambda: _analysis(Execution(executor="process", workers=2, chunk_size=24)),
            id="process-2-workers",
        ),
        pytest.param(_reversed_chunks_result, id="chunks-reversed"),
        pytest.param(_local_cluster_result, id="dask-local-cluster"),
    ],
)
def test_same_seed_same_shapley_answer_on_any_executor(reference, run, tmp_path):
    _assert_identical(run(), reference, tmp_path)


def test_the_reference_analysis_has_an_answer_to_compare(reference):
    """The comparison above is not between two empty tables: every assignment has finite
    effects with intervals on every output, and the shares of resamples vary."""
    table = reference.shapley
    assert table["Sh"].notna().all() and (table["Sh_high"] > table["Sh_low"]).any()
    assert set(table["assignment"]) == set(SIZES["assignments"])
    assert reference.settings["shared_rows"]["interfaces_as_technology"] > 0
    assert reference.comparisons["share"].between(0, 1).all()
    assert reference.comparisons["share"].nunique() > 2


def test_negative_control_another_seed_gives_other_effects(reference):
    other = _analysis(Execution(executor="serial"), seed=SEED + 1)
    assert not np.array_equal(other.design.to_numpy(), reference.design.to_numpy())
    assert not np.allclose(other.shapley["Sh_estimate"], reference.shapley["Sh_estimate"])
    assert not other.comparisons["share"].equals(reference.comparisons["share"])
