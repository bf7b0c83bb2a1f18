"""Golden results: the standard sweep and the replay give exactly the values they gave before.

The hashes below were renewed when the model changed on purpose: interface decisions,
co-location through contact, supplier priority, what sharing buys (the benefit outputs), the
Poisson sampler by inversion, and the calibrated scenario regenerated for them (and again
for the calibration's 2014 interface-position target, and for the standard calibration run
until its posterior's effective sample size reaches 500). A
reorganisation must not move a single bit of any result; a model change renews them
deliberately, in its own commit, saying why.

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


STANDARD_SWEEP = "7ae62661a11712fcaaba31ba6b92354c253946ccfb18a9045fbb9985e50dccf8"
REPLAY = {
    "partners": "4dcd799cab6ebd25a2a7eaaba519b105968ff53895d506e16739be8263ac5f18",
    "partnership": "d119d8aca025ec917b57bddf667030b36d5d0eb37971e2755db6f43bccf61382",
    "views": "7e3c344a7af4538263f24479e332140262006b039481d83dc1e5913afaca5ab2",
}
CALIBRATED = {
    "partners": "597fa0dde12ca404642ec44f5368c6a62a920ffdf45084c6f090443e089b6a9b",
    "draws": "31c7f0037dd0b5478432b4fadbb1bc89129292278bb4bccf62fe47ad41335fc0",
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
