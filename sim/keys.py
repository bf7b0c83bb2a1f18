"""Content keys: the names that identify runs and chunks wherever they are computed.

A run key is a content hash of the model version, the scenario, the run's input values and
its seed, so the same run always has the same key; a chunk file is named by a hash of the
run keys it holds. A sweep's coordinator works out the keys, its workers name the chunks they
return (:mod:`sim.sweep.worker`), and the store (:mod:`sim.store`) files them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence


def canonical_json(value: object) -> str:
    """JSON with sorted keys and no spaces: the same bytes for the same content.

    Floats are written with Python's shortest round-trip repr, so a value read back from the
    manifest hashes exactly as it did when it was written.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def run_key(
    model_version: str,
    scenario: str,
    scenario_hash: str,
    values: Mapping[str, float],
    seed: int,
    row: int,
    replicate: int,
) -> str:
    """Return the content hash that identifies one run.

    Parameters
    ----------
    model_version : str
        :func:`sim.sweep.version.model_version` of the code that computes the run.
    scenario, scenario_hash : str
        Scenario name and :meth:`Scenario.content_hash`.
    values : mapping
        The run's design values (input name to value).
    seed, row, replicate : int
        The sweep seed and the run's place in the design; the run's random stream is
        ``SeedSequence(seed, spawn_key=(row, replicate))``.

    Returns
    -------
    str
        32 hex digits (128 bits of SHA-256).
    """
    identity = {
        "model": model_version,
        "scenario": [scenario, scenario_hash],
        "values": {name: float(v) for name, v in values.items()},
        "seed": [int(seed), int(row), int(replicate)],
    }
    return hashlib.sha256(canonical_json(identity).encode()).hexdigest()[:32]


def run_keys(
    model_version: str,
    scenario: str,
    scenario_hash: str,
    columns: Sequence[str],
    rows: EncodedRows,
    seed: int,
    replicates: int,
    first_row: int = 0,
    stop_row: int | None = None,
) -> list[str]:
    """Return the :func:`run_key` of every replicate of design rows, row by row.

    The same keys as :func:`run_key` gives one at a time, written without re-encoding a row's
    values for each of its replicates: a design of 8,192 rows of 131 inputs has 40,960 runs
    at five replicates, and encoding each run's values alone took longer than running it.

    Parameters
    ----------
    columns : sequence of str
        The design's input names.
    rows : EncodedRows
        The whole design's rows, each encoded once for the keys and the manifest.
    first_row, stop_row : int
        The rows keyed: from ``first_row`` up to ``stop_row`` (default: the last row).

    The other parameters are as for :func:`run_key`; ``replicates`` runs per row.
    """
    texts = rows.texts(first_row, rows.count if stop_row is None else stop_row)
    # canonical_json sorts the keys: "model", "scenario", "seed", then "values" last.
    head = canonical_json({"model": model_version, "scenario": [scenario, scenario_hash]})
    start = hashlib.sha256(f"{head[:-1]},".encode())
    order = sorted(range(len(columns)), key=lambda j: columns[j])
    # One "name:%s" slot per input in key order, filled with the row's numbers as json wrote
    # them (in C, as floats' shortest round-trip repr).
    slots = ",".join(f"{canonical_json(columns[j]).replace('%', '%%')}:%s" for j in order)
    keys: list[str] = []
    for row, text in enumerate(texts, start=first_row):
        numbers = text.split(",")
        filled = slots % tuple(numbers[j] for j in order) if order else ""
        tail = f'],"values":{{{filled}}}}}'.encode()
        for replicate in range(replicates):
            digest = start.copy()
            digest.update(f'"seed":[{int(seed)},{row},{replicate}'.encode())
            digest.update(tail)
            keys.append(digest.hexdigest()[:32])
    return keys


def row_texts(rows: Sequence[Sequence[float]]) -> list[str]:
    """Return each row's numbers as :func:`canonical_json` writes them in a list: ``1.5,0.25``."""
    if not rows:
        return []
    return canonical_json(rows)[2:-2].split("],[")


class EncodedRows:
    """A design's rows (floats) as JSON text, each row encoded once, in blocks as needed.

    Run keys (:func:`run_keys`) and the manifest (:func:`sim.store.rows_json`) both write
    every design value as its shortest round-trip repr, most of what a big experiment's
    bookkeeping costs; a session that keeps one of these for its design encodes each value
    once for both, and the keys of its first chunks before the rest.
    """

    def __init__(self, rows: Sequence[Sequence[float]]) -> None:
        self.rows = rows
        self._texts: list[str] = []

    @property
    def count(self) -> int:
        """Number of rows."""
        return len(self.rows)

    def texts(self, start: int, stop: int) -> list[str]:
        """Return the encoded numbers (:func:`row_texts`) of rows ``start`` to ``stop``."""
        done = len(self._texts)
        if stop > done:
            self._texts.extend(row_texts(self.rows[done:stop]))
        return self._texts[start:stop]

    def json(self) -> str:
        """Return :func:`canonical_json` of the rows (what :func:`sim.store.rows_json` gives)."""
        texts = self.texts(0, self.count)
        return "[" + ",".join(f"[{text}]" for text in texts) + "]"


def chunk_name(run_keys: Sequence[str]) -> str:
    """File name of the chunk holding exactly these runs (order does not matter)."""
    digest = hashlib.sha256("\n".join(sorted(run_keys)).encode()).hexdigest()[:24]
    return f"chunk-{digest}.parquet"


# --- the folder -----------------------------------------------------------------------------
