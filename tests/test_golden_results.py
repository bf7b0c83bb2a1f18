"""Golden results: the standard sweep and the replay give exactly the values they gave before.

The hashes below were computed from the model as it stood before the code was reorganised
(``6515c1c``). A reorganisation must not move a single bit of any result; a model change
renews them deliberately, in its own commit, saying why.

The hash covers values only: the run key (which includes a digest of the model's source
code) is dropped, and rows are ordered by the run's identity. Column names go through
``RENAMED`` first, so a column that is renamed (not recomputed) keeps its stored hash; that
is how a rename shows the values are unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest

from sim.run import run
from sim.sweep import sweep
from sim.sweep.experiment import load_experiment

RENAMED: Mapping[str, str] = {"partner": "agency"}
"""Current column name -> the name it had when the hashes were stored."""

IDENTITY = ("scenario", "row", "replicate", "week", "agency", "viewer", "owner")
"""The columns that identify a row, under their stored names."""


def values_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of a table's values, under its columns' stored names, rows in identity order."""
    frame = frame.rename(columns=dict(RENAMED)).drop(columns=["run_key"], errors="ignore")
    order = [c for c in IDENTITY if c in frame.columns]
    frame = frame.sort_values(order, kind="stable").reset_index(drop=True)
    digest = hashlib.sha256(f"rows={len(frame)}\n".encode())
    for name in sorted(map(str, frame.columns)):
        column = frame[name]
        digest.update(f"column={name}\n".encode())
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(str)
        if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
            numbers = column.to_numpy(dtype=np.float64, na_value=np.nan)
            digest.update(np.where(np.isnan(numbers), np.nan, numbers + 0.0).tobytes())
        else:
            for value in column.astype(object):
                digest.update(b"\x01" if value is None else str(value).encode() + b"\x00")
    return digest.hexdigest()


STANDARD_SWEEP = "f31e00c6f78f5f5d48f509a134c87283ee7502c51298b93ef97a8604a218267e"
REPLAY = {
    "partners": "9bdd7f3c4f54dbd630c9af71d080020ef169cf4b6a873ada45e3ae42b6db77d7",
    "partnership": "07cb5673ce54f979fd2bf4090fa32aeafbb22748c3c6ff5b15fa63f40f39a194",
    "views": "b24428b669e7f34d57de6bb47bcb8b40900b34c02ba5f30ca8aa41bd78d6a05f",
}
CALIBRATED = {
    "partners": "4ca5f270b142acc8272168f7201a0701b7f87cd8bf8f2c2691ccd36450eede4c",
    "draws": "3d216c17bbd16ba7596714597d6d456cfaac29cece106378b8ed809792bba1a3",
}


def test_the_standard_sweep_gives_its_stored_values():
    """``experiments/interface_sweep.toml`` (3 scenarios x 6 rows x 10 replicates)."""
    experiment = load_experiment("experiments/interface_sweep.toml")
    frame = sweep(
        list(experiment.scenarios),
        design=experiment.design,
        replicates=experiment.spec.replicates,
        seed=experiment.spec.seed,
        executor="serial",
    )
    assert len(frame) == 180
    assert values_hash(frame) == STANDARD_SWEEP


@pytest.mark.parametrize("table", sorted(REPLAY))
def test_the_replay_gives_its_stored_values(table):
    result = run("sentinel_replay", seed=11, replicates=8)
    assert values_hash(getattr(result, table)) == REPLAY[table]


@pytest.mark.parametrize("table", sorted(CALIBRATED))
def test_the_calibrated_replay_draws_and_gives_its_stored_values(table):
    result = run("sentinel_calibrated", seed=5, replicates=6)
    assert values_hash(getattr(result, table)) == CALIBRATED[table]


def test_the_values_hash_sees_a_changed_value_and_ignores_a_renamed_column():
    frame = run("sentinel_replay", seed=11, replicates=2).partners
    changed = frame.assign(share=frame["share"].where(frame.index != 7, 0.5))
    assert values_hash(changed) != values_hash(frame)
    assert values_hash(frame.rename(columns={"share": "recorded_share"})) != values_hash(frame)
