"""The durable result store of a sweep: a folder that survives crashes and resumes.

Layout of a sweep folder::

    manifest.json            what the experiment is (frozen), where and how it ran; its
                             "kind" ("sweep") and "files" claim the folder (sim.output_folder.owned)
    runs/chunk-<hash>.parquet           one file per finished chunk: one row per run
    trajectories/chunk-<hash>.parquet   with ``keep = "trajectories"``: partner x week rows
    .lock                    held (``flock``) while a sweep writes here

A sweep writes only into a new or empty folder or one holding a sweep (:func:`check_folder`),
and only these files.

A chunk file appears all at once or not at all (:func:`sim.durable.write_atomic`): it is
written to a temporary file in the same folder, flushed, fsynced, renamed over its final name
with :func:`os.replace` (atomic on POSIX) and the folder is fsynced so the rename itself is
durable. A crash at any moment leaves either the whole chunk or no chunk; the next run of
the same sweep finds which runs have a file and computes only the others. The runs file is
the commit record of a chunk: its trajectories file is written first, so a runs file never
points at missing trajectories.

Chunk files are named by a hash of the run keys they hold (:mod:`sim.keys`), so the same run
always has the same key wherever and whenever it is computed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import durable, output_folder
from sim.errors import InputError
from sim.keys import canonical_json

FORMAT = "sharesim-sweep/1"
"""Version of the folder layout and manifest, written into every manifest."""

MANIFEST = durable.MANIFEST
RUNS = "runs"
TRAJECTORIES = "trajectories"
LOCK = durable.LOCK

KIND = "sweep"
"""The kind of a sweep folder, in its manifest (:func:`sim.output_folder.owned`)."""

FILES = (MANIFEST, f"{RUNS}/", f"{TRAJECTORIES}/")
"""What a sweep writes into its folder (a name ending in ``/`` is a folder it owns whole)."""

RUN_COLUMNS = ("scenario", "row", "replicate", "run_key")
"""Columns that identify a run, first in every result table; ``error`` comes last."""


class StoreError(InputError):
    """A sweep folder that cannot be used as asked (another experiment, busy, unreadable)."""


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """Read the manifest of the sweep in ``folder``, or None when there is none yet."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path}: not a readable sweep manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise StoreError(f"{path}: not a sweep manifest of format {FORMAT!r}")
    return manifest


def earlier_sweep(folder: Path, manifest: Mapping[str, Any] | None) -> tuple[str, ...] | None:
    """Recognise a sweep folder written before manifests named their kind.

    It is known by its manifest's format.
    """
    return FILES if manifest is not None and manifest.get("format") == FORMAT else None


def check_folder(folder: Path) -> None:
    """Refuse, writing nothing, a folder a sweep may not write into.

    Anything but a new or empty folder or a sweep's is refused (:func:`sim.output_folder.owned`; one
    line, an :class:`sim.durable.OutputError`).
    """
    output_folder.owned(folder, KIND, earlier_sweep)


_ROWS = "\u0000design rows\u0000"
"""Stands in for the design's rows while the rest of a manifest or identity is encoded."""


def rows_json(identity: Mapping[str, Any]) -> str:
    """Return :func:`sim.keys.canonical_json` of an experiment's design rows.

    Most of the text of a big experiment's identity: a session encodes it once for the
    experiment's hash and each manifest it writes (:func:`experiment_hash`,
    :func:`write_manifest`).
    """
    return canonical_json(identity["design"]["rows"])


def write_manifest(folder: Path, manifest: Mapping[str, Any], rows: str | None = None) -> None:
    """Write the manifest atomically: indented for people reading it, a design row a line.

    Indenting a design of thousands of rows a number a line doubled the time to write it
    (the encoder written in C does not indent) and made it a million lines long. ``rows``
    is :func:`rows_json` of the manifest's experiment, when the caller has it.
    """
    experiment = manifest.get("experiment")
    if not isinstance(experiment, Mapping) or not experiment.get("design", {}).get("rows"):
        durable.write_json(Path(folder) / MANIFEST, manifest, indent=1, allow_nan=False)
        return
    design = {**experiment["design"], "rows": _ROWS}
    shown = {**manifest, "experiment": {**experiment, "design": design}}
    text = json.dumps(shown, indent=1, allow_nan=False)
    encoded = rows_json(experiment) if rows is None else rows
    lines = encoded[1:-1].replace("],[", "],\n[")
    text = text.replace(json.dumps(_ROWS), f"[\n{lines}\n]", 1)
    durable.write_atomic(Path(folder) / MANIFEST, (text + "\n").encode("utf-8"))


def locked(folder: Path) -> contextlib.AbstractContextManager[None]:
    """Hold the folder's lock: one sweep writes to a folder at a time.

    The lock is an ``flock`` on ``.lock`` (:func:`sim.durable.locked`); the operating system
    releases it when the holder exits, so a killed sweep never leaves the folder locked.
    """
    return durable.locked(Path(folder) / LOCK, "sweep", StoreError)


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporary files a killed writer left behind; return how many."""
    folder = Path(folder)
    with durable.writing(folder):
        manifests = durable.remove_temporaries(folder, f".{MANIFEST}.*.tmp")
        return manifests + sum(
            durable.remove_temporaries(folder / sub) for sub in (RUNS, TRAJECTORIES)
        )


def make_folders(folder: Path, trajectories: bool) -> None:
    """Make the chunk folders (``runs/``, and ``trajectories/`` when they are kept)."""
    for sub in (RUNS, TRAJECTORIES) if trajectories else (RUNS,):
        with durable.writing(Path(folder) / sub):
            (Path(folder) / sub).mkdir(parents=True, exist_ok=True)


def chunk_files(folder: Path, kind: str = RUNS) -> list[Path]:
    """Return the committed chunk files of one kind, sorted by name."""
    return sorted((Path(folder) / kind).glob("chunk-*.parquet"))


def commit_chunk(folder: Path, name: str, runs: bytes, trajectories: bytes | None) -> None:
    """Durably add one finished chunk (trajectories first, then the runs file that commits it)."""
    if trajectories is not None:
        durable.write_atomic(Path(folder) / TRAJECTORIES / name, trajectories)
    durable.write_atomic(Path(folder) / RUNS / name, runs)


# --- reading --------------------------------------------------------------------------------


def _read_tables(files: Sequence[Path], columns: Sequence[str] | None) -> pa.Table | None:
    tables = []
    for path in files:
        try:
            schema_names = pq.read_schema(path).names
            wanted = None if columns is None else [c for c in columns if c in schema_names]
            tables.append(pq.read_table(path, columns=wanted))
        except (OSError, pa.ArrowException) as exc:
            raise StoreError(f"{path}: unreadable chunk file ({exc})") from None
    return concatenated(tables)


def concatenated(tables: Sequence[pa.Table]) -> pa.Table | None:
    """Chunk tables (in file order) as one table; None for none."""
    if not tables:
        return None
    # Chunks of different scenarios can hold different per-partner columns, and a chunk where
    # every run failed holds no metric columns: missing columns become nulls.
    return pa.concat_tables(tables, promote_options="permissive")


def committed_runs(folder: Path) -> pd.DataFrame:
    """Run key and error of every committed run (one row per key; a success wins a key)."""
    return committed_frame(_read_tables(chunk_files(folder), ["run_key", "error"]))


def committed_frame(table: pa.Table | None) -> pd.DataFrame:
    """Run key and error of every run of chunk tables concatenated in file order.

    What :func:`committed_runs` gives for a folder whose chunks are ``table`` (None for no
    chunk); one row per key, a success winning a key.
    """
    if table is not None:
        table = table.select([c for c in ("run_key", "error") if c in table.column_names])
    if table is None:
        return pd.DataFrame({"run_key": pd.Series([], dtype=object), "error": []})
    frame = table.to_pandas()
    if "error" not in frame:
        frame["error"] = None
    return _deduplicate(frame)


def _deduplicate(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep one row per run key.

    Keys repeat only if a run was retried after failing (the success is kept) or a chunk was
    written twice under different chunkings (the rows are equal).
    """
    failed = frame["error"].notna().to_numpy()
    order = np.lexsort((np.arange(len(frame)), failed))
    ordered = frame.iloc[order]
    return ordered[~ordered["run_key"].duplicated(keep="first")].reset_index(drop=True)


def read_runs(folder: Path, keys: Sequence[str] | None = None) -> pd.DataFrame:
    """Every committed run of the sweep in ``folder``: identity, inputs, metrics, ``error``.

    Parameters
    ----------
    folder : Path
        A sweep folder.
    keys : sequence of str, optional
        Keep only these run keys (the manifest's runs); all committed runs when omitted.

    Returns
    -------
    DataFrame
        One row per run key, in file order; :func:`sim.sweep.read_results` sorts it.
    """
    return runs_frame(_read_tables(chunk_files(folder), None), keys)


def runs_frame(table: pa.Table | None, keys: Sequence[str] | None = None) -> pd.DataFrame:
    """Return the runs of chunk tables concatenated in file order (None for none) as a frame.

    What :func:`read_runs` gives for a folder whose chunks are ``table``.
    """
    if table is None:
        return pd.DataFrame({c: [] for c in (*RUN_COLUMNS, "error")})
    frame = table.to_pandas()
    if "error" not in frame:
        frame["error"] = None
    frame = _deduplicate(frame)
    if keys is not None:
        frame = frame[frame["run_key"].isin(pd.Index(keys))].reset_index(drop=True)
    # A failed run has no metrics; None (not NaN) marks "no error" in the error column.
    frame["error"] = frame["error"].astype(object).where(frame["error"].notna(), None)
    ordered = [*RUN_COLUMNS, *(c for c in frame.columns if c not in (*RUN_COLUMNS, "error"))]
    return frame[[*ordered, "error"]]


def read_trajectories(folder: Path, keys: Sequence[str] | None = None) -> pd.DataFrame:
    """Tidy partner x week rows of every committed run kept with ``keep = "trajectories"``.

    Columns: ``scenario``, ``row``, ``replicate``, ``run_key``, ``week``, ``partner``,
    ``handled``, ``recorded``, ``share``, ``buy_in``, ``interface``, ``attitude``,
    ``latency_days``, ``sharing_hours``, ``saved_hours``. Rows of a
    trajectories file whose runs file is missing (a chunk cut short by a crash) are ignored.
    """
    committed = set(committed_runs(folder)["run_key"])
    if keys is not None:
        committed &= set(keys)
    table = _read_tables(chunk_files(folder, TRAJECTORIES), None)
    if table is None:
        return pd.DataFrame()
    frame = table.to_pandas()
    frame = frame[frame["run_key"].isin(pd.Index(sorted(committed)))]
    frame = frame.drop_duplicates(subset=["run_key", "week", "partner"], keep="first")
    # Scenarios in experiment order; partners keep the partnership's order (a stable sort
    # on everything else), as in sim.run.partner_frame.
    manifest = read_manifest(folder)
    labels = [s["name"] for s in manifest["experiment"]["scenarios"]] if manifest else []
    order = frame["scenario"].map({label: i for i, label in enumerate(labels)})
    frame = frame.assign(_order=order.fillna(len(labels)).astype("int64"))
    frame = frame.sort_values(["_order", "row", "replicate", "week"], kind="stable")
    return frame.drop(columns="_order").reset_index(drop=True)


# --- the result hash ------------------------------------------------------------------------


def result_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of a result table's content, independent of its row and column order.

    Independent too of how the table was chunked, stored or typed.

    Rows are sorted by ``run_key`` (and ``week``, ``partner`` when present); numbers are
    compared as float64 bit patterns (NaN canonicalised), everything else as text with None
    distinct from any string. Two sweeps of the same experiment give the same hash exactly
    when they give the same results.
    """
    sort_by = [c for c in ("run_key", "week", "partner") if c in frame.columns]
    ordered = frame.sort_values(sort_by, kind="stable") if sort_by else frame
    ordered = ordered.reset_index(drop=True)
    digest = hashlib.sha256(f"rows={len(ordered)}\n".encode())
    for name in sorted(map(str, ordered.columns)):
        column = ordered[name]
        digest.update(f"column={name}\n".encode())
        if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
            numbers = column.to_numpy(dtype=np.float64, na_value=np.nan)
            numbers = np.where(np.isnan(numbers), np.nan, numbers + 0.0)  # -0.0 -> 0.0
            digest.update(numbers.tobytes())
        else:
            for value in column.astype(object):
                missing = value is None or (isinstance(value, float) and math.isnan(value))
                digest.update(b"\x01" if missing else str(value).encode() + b"\x00")
    return digest.hexdigest()


# --- the experiment a folder holds ----------------------------------------------------------


def experiment_hash(identity: Mapping[str, Any], rows: str | None = None) -> str:
    """SHA-256 of an experiment's identity (model version, scenarios, design, seed, ...).

    ``rows`` is :func:`rows_json` of the identity, when the caller has it: the hash is the
    same, without encoding the design's rows again.
    """
    if rows is None:
        text = canonical_json(identity)
    else:
        shown = {**identity, "design": {**identity["design"], "rows": _ROWS}}
        text = canonical_json(shown).replace(canonical_json(_ROWS), rows, 1)
    return hashlib.sha256(text.encode()).hexdigest()


def _scenario_ids(identity: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(s["name"], s["content_hash"]) for s in identity["scenarios"]]


def relation(folder: Path, identity: Mapping[str, Any]) -> str:
    """How the experiment ``identity`` relates to the one already in ``folder``.

    Returns
    -------
    str
        ``"new"`` (no sweep there yet), ``"same"`` (resume), or ``"extends"`` (the same
        experiment with more: design rows appended, more replicates, more scenarios; every
        finished run is reused).

    Raises
    ------
    StoreError
        When ``folder`` holds a different experiment: one line naming the first difference.
    """
    manifest = read_manifest(folder)
    if manifest is None:
        if (Path(folder) / RUNS).exists() and chunk_files(folder):
            raise StoreError(f"{folder}: chunk files but no {MANIFEST}; not a usable sweep folder")
        return "new"
    old = manifest["experiment"]
    if experiment_hash(old) == experiment_hash(identity):
        return "same"
    name = manifest.get("name", "?")
    held = f"{folder} holds sweep {name!r} (experiment {manifest['experiment_hash'][:12]})"
    advice = "use another --out folder"
    if old["model_version"] != identity["model_version"]:
        return _refuse(
            f"{held} computed by model_version {old['model_version']}; this is "
            f"{identity['model_version']}, whose results must not mix with them: {advice}"
        )
    for field in ("seed", "keep"):
        if old[field] != identity[field]:
            return _refuse(
                f"{held} with {field} {old[field]!r}; this experiment has "
                f"{identity[field]!r}: {advice}"
            )
    if old["design"]["columns"] != identity["design"]["columns"]:
        return _refuse(
            f"{held} over inputs {old['design']['columns']}; this design varies "
            f"{identity['design']['columns']}: {advice}"
        )
    old_rows, new_rows = old["design"]["rows"], identity["design"]["rows"]
    for i, row in enumerate(old_rows):
        if i >= len(new_rows):
            return _refuse(
                f"{held} with {len(old_rows)} design rows; this design has only {len(new_rows)}: "
                f"{advice}"
            )
        if [float(v) for v in row] != [float(v) for v in new_rows[i]]:
            return _refuse(f"{held}; design row {i} differs from this design's row {i}: {advice}")
    if identity["replicates"] < old["replicates"]:
        return _refuse(
            f"{held} with {old['replicates']} replicates; this one asks for "
            f"{identity['replicates']}: {advice}"
        )
    new_scenarios = set(_scenario_ids(identity))
    for scenario, digest in _scenario_ids(old):
        if (scenario, digest) not in new_scenarios:
            return _refuse(
                f"{held} including scenario {scenario!r} (content {digest[:12]}), which this "
                f"experiment does not have in that form: {advice}"
            )
    return "extends"


def _refuse(message: str) -> str:
    raise StoreError(message)
