"""Content keys: a run's key follows every part of its identity, a chunk's name its runs."""

import numpy as np
import pytest

from sim import keys


def test_run_keys_change_with_every_part_of_a_runs_identity():
    base = ("0.1.0+abc", "s", "h", {"x": 1.0}, 7, 3, 1)
    key = keys.run_key(*base)
    assert key == keys.run_key(*base)
    variants = [
        ("0.1.0+abd", "s", "h", {"x": 1.0}, 7, 3, 1),
        ("0.1.0+abc", "t", "h", {"x": 1.0}, 7, 3, 1),
        ("0.1.0+abc", "s", "i", {"x": 1.0}, 7, 3, 1),
        ("0.1.0+abc", "s", "h", {"x": 1.0000000001}, 7, 3, 1),
        ("0.1.0+abc", "s", "h", {"x": 1.0}, 8, 3, 1),
        ("0.1.0+abc", "s", "h", {"x": 1.0}, 7, 4, 1),
        ("0.1.0+abc", "s", "h", {"x": 1.0}, 7, 3, 2),
    ]
    assert len({keys.run_key(*v) for v in variants} | {key}) == len(variants) + 1


@pytest.mark.parametrize(
    "columns",
    [["zeta", "blaby.staff", "a%b", "events.x.week"], ["only"], []],
)
def test_run_keys_of_a_design_are_each_runs_run_key(columns):
    rng = np.random.default_rng(4)
    rows = rng.random((6, len(columns))) * 10.0 ** rng.integers(-300, 15, (6, len(columns)))
    rows = rows.tolist()
    if columns:
        rows[1][0], rows[2][-1] = -0.0, 123456789012345.67
    design_keys = keys.run_keys("0.1.0+abc", "s", "h", columns, keys.EncodedRows(rows), 7, 3)
    one_by_one = [
        keys.run_key("0.1.0+abc", "s", "h", dict(zip(columns, values, strict=True)), 7, row, r)
        for row, values in enumerate(rows)
        for r in range(3)
    ]
    assert design_keys == one_by_one
    # A design's keys worked out a block of rows at a time, the blocks taken in any order, are
    # the same keys; and the encoded rows are the rows' JSON.
    encoded = keys.EncodedRows(rows)
    late = keys.run_keys("0.1.0+abc", "s", "h", columns, encoded, 7, 3, 4)
    early = keys.run_keys("0.1.0+abc", "s", "h", columns, encoded, 7, 3, 0, 4)
    assert early + late == design_keys
    assert encoded.json() == keys.canonical_json(rows)
    # Negative control: the same rows numbered from 0 are other runs.
    moved = keys.EncodedRows(rows[4:])
    assert keys.run_keys("0.1.0+abc", "s", "h", columns, moved, 7, 3) != design_keys[12:]


def test_chunk_names_do_not_depend_on_run_order():
    assert keys.chunk_name(["a", "b", "c"]) == keys.chunk_name(["c", "a", "b"])
    assert keys.chunk_name(["a", "b"]) != keys.chunk_name(["a", "c"])
