"""The durable store: de-duplication, the result hash, the manifest check, the lock."""

import copy

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim import keys, store


def _identity(**changes):
    identity = {
        "model_version": "0.1.0+abc",
        "seed": 7,
        "replicates": 2,
        "keep": "summary",
        "scenarios": [{"name": "sentinel_replay", "content_hash": "f" * 64}],
        "design": {"columns": ["double_keying_cost"], "rows": [[0.3], [1.0]]},
    }
    identity.update(changes)
    return identity


def _chunk(folder, rows):
    """Commit a chunk holding ``rows`` (run_key, error, metric)."""
    table = pa.table(
        {
            "scenario": ["s"] * len(rows),
            "row": list(range(len(rows))),
            "replicate": [0] * len(rows),
            "run_key": [r[0] for r in rows],
            "share_final_year": pa.array([r[2] for r in rows], pa.float64()),
            "error": pa.array([r[1] for r in rows], pa.string()),
        }
    )
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    (folder / store.RUNS).mkdir(parents=True, exist_ok=True)
    name = keys.chunk_name([r[0] for r in rows])
    store.commit_chunk(folder, name, sink.getvalue().to_pybytes(), None)


def test_a_success_wins_over_an_earlier_failure_of_the_same_run(tmp_path):
    _chunk(tmp_path, [("k1", "ValueError: boom", None), ("k2", None, 0.5)])
    _chunk(tmp_path, [("k1", None, 0.7)])
    runs = store.read_runs(tmp_path)
    assert sorted(runs["run_key"]) == ["k1", "k2"]
    k1 = runs.set_index("run_key").loc["k1"]
    assert k1["error"] is None and k1["share_final_year"] == 0.7


def test_result_hash_ignores_order_and_storage_types_but_not_values():
    frame = pd.DataFrame(
        {"run_key": ["b", "a"], "n": [1, 2], "x": [0.5, np.nan], "error": [None, "E"]}
    )
    shuffled = frame.iloc[::-1][["error", "x", "n", "run_key"]].astype({"n": float})
    assert store.result_hash(frame) == store.result_hash(shuffled)
    changed = frame.assign(x=[0.5000001, np.nan])
    assert store.result_hash(frame) != store.result_hash(changed)
    no_error = frame.assign(error=[None, None])
    assert store.result_hash(frame) != store.result_hash(no_error)


def test_the_same_experiment_resumes_and_a_longer_one_extends(tmp_path):
    old = _identity()
    store.write_manifest(
        tmp_path,
        {"format": store.FORMAT, "name": "x", "experiment_hash": store.experiment_hash(old),
         "experiment": old},
    )  # fmt: skip
    assert store.relation(tmp_path, copy.deepcopy(old)) == "same"
    longer = _identity(design={"columns": ["double_keying_cost"], "rows": [[0.3], [1.0], [2.0]]})
    assert store.relation(tmp_path, longer) == "extends"
    assert store.relation(tmp_path, _identity(replicates=5)) == "extends"
    more = _identity(scenarios=[*old["scenarios"], {"name": "all_integrated", "content_hash": "e"}])
    assert store.relation(tmp_path, more) == "extends"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seed": 8}, "seed"),
        ({"model_version": "0.2.0+abc"}, "model_version"),
        ({"replicates": 1}, "replicates"),
        ({"design": {"columns": ["double_keying_cost"], "rows": [[0.3], [1.5]]}}, "row 1"),
        ({"design": {"columns": ["double_keying_cost"], "rows": [[0.3]]}}, "only 1"),
        ({"design": {"columns": ["legal_risk"], "rows": [[0.3], [1.0]]}}, "inputs"),
        ({"scenarios": [{"name": "sentinel_replay", "content_hash": "0" * 64}]}, "scenario"),
    ],
)
def test_a_different_experiment_is_refused_with_the_difference_named(tmp_path, changes, message):
    old = _identity()
    manifest = {"format": store.FORMAT, "name": "x", "experiment_hash": store.experiment_hash(old),
                "experiment": old}  # fmt: skip
    store.write_manifest(tmp_path, manifest)
    before = (tmp_path / store.MANIFEST).read_bytes()
    with pytest.raises(store.StoreError, match=message) as error:
        store.relation(tmp_path, _identity(**changes))
    assert "\n" not in str(error.value)
    assert (tmp_path / store.MANIFEST).read_bytes() == before


def test_one_writer_at_a_time(tmp_path):
    with (
        store.locked(tmp_path),
        pytest.raises(store.StoreError, match="another sweep"),
        store.locked(tmp_path),
    ):
        pass
    with store.locked(tmp_path):  # released on exit
        pass


def test_trajectory_rows_of_an_uncommitted_chunk_are_ignored(tmp_path):
    _chunk(tmp_path, [("k1", None, 0.5)])
    (tmp_path / store.TRAJECTORIES).mkdir()
    for key in ("k1", "k9"):  # k9 has trajectories but its runs file never landed
        table = pa.table(
            {"scenario": ["s"], "row": [0], "replicate": [0], "run_key": [key], "week": [0],
             "partner": ["Blaby"], "handled": [3]}
        )  # fmt: skip
        pq.write_table(table, tmp_path / store.TRAJECTORIES / keys.chunk_name([key]))
    assert store.read_trajectories(tmp_path)["run_key"].tolist() == ["k1"]


@pytest.mark.parametrize(
    "design",
    [
        {"columns": ["double_keying_cost", "a%b"], "rows": [[0.3, -0.0], [1e-300, 1.5e15]]},
        {"columns": ["only"], "rows": [[1.0]]},
        {"columns": [], "rows": [[], []]},
    ],
)
def test_the_hash_and_manifest_from_encoded_rows_are_those_from_the_rows(tmp_path, design):
    identity = _identity(design=design)
    rows = store.rows_json(identity)
    assert keys.EncodedRows(design["rows"]).json() == rows
    assert store.experiment_hash(identity, rows) == store.experiment_hash(identity)
    manifest = {"format": store.FORMAT, "name": "x", "experiment": identity, "sessions": []}
    (tmp_path / "a").mkdir()
    store.write_manifest(tmp_path / "a", manifest)
    (tmp_path / "b").mkdir()
    store.write_manifest(tmp_path / "b", manifest, rows)
    written = (tmp_path / "b" / store.MANIFEST).read_bytes()
    assert written == (tmp_path / "a" / store.MANIFEST).read_bytes()
    # Negative control: other rows give another hash and another manifest.
    other = store.rows_json(_identity(design={**design, "rows": [[2.0] * len(design["columns"])]}))
    assert store.experiment_hash(identity, other) != store.experiment_hash(identity)
    store.write_manifest(tmp_path / "b", manifest, other)
    assert (tmp_path / "b" / store.MANIFEST).read_bytes() != written
