"""Durable folders: files whole or absent, one writer at a time, sessions recorded.

Every session of work is recorded, and outputs are published only once complete.

What sweeps (:mod:`sim.store`), calibration and the command line share to survive a crash:

* :func:`write_atomic` (and :func:`write_json`, :func:`write_parquet`): a file is written to
  a temporary file in the same folder, flushed, fsynced, renamed over its name with
  :func:`os.replace` (atomic on POSIX) and the folder is fsynced, so a crash at any moment
  leaves the old file or the new one, never a part;
* :func:`locked`: an ``flock`` held while one process writes to a folder (released by the
  operating system when the holder dies, so a killed writer never leaves it locked);
* :class:`SessionLog`: a session's entry in a folder's manifest (``started``, ``state``,
  ``finished``, ``seconds`` and the caller's counts), written when work starts and again
  when it ends, however it ends;
* :func:`staged`: an output folder written in a staging folder beside it and published only
  when everything in it was written.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

from sim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

TEMPORARY = ".*.tmp"
"""Glob of the temporary files :func:`write_atomic` leaves when its process is killed."""

SessionState = Literal["running", "finished", "interrupted", "failed"]
"""What a session record says: still at work (or killed too hard to say), done, stopped
(Ctrl-C, an error of the caller's) or failed (an error that stops the work for good)."""


class FolderBusy(InputError):
    """Another process holds the lock of a folder."""


def now() -> str:
    """Return the current time in UTC, to the second, in ISO 8601 (how every record is stamped)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- files ----------------------------------------------------------------------------------


def fsync_folder(folder: Path) -> None:
    """Make the entries of ``folder`` (renames, new files) durable."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` holds either all of it or its old state.

    Temporary file in the same folder (so the rename cannot cross file systems), flush,
    fsync, :func:`os.replace`, fsync of the folder. The folder must exist.
    """
    path = Path(path)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    fsync_folder(path.parent)


def write_json(path: Path, value: object, *, indent: int = 2, **options: Any) -> None:
    """Write ``value`` as indented JSON (and a final newline) atomically.

    ``options`` go to :func:`json.dumps` (``allow_nan=False``, ``default=str``...).
    """
    text = json.dumps(value, indent=indent, **options)
    write_atomic(path, (text + "\n").encode("utf-8"))


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Write ``frame`` (without its index) as a Parquet file atomically, creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    write_atomic(path, buffer.getvalue())


def remove_temporaries(folder: Path) -> int:
    """Delete the temporary files a killed writer left in ``folder``; return how many."""
    removed = 0
    for path in Path(folder).glob(TEMPORARY):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
    return removed


# --- one writer at a time -------------------------------------------------------------------


@contextlib.contextmanager
def locked(
    path: Path, what: str = "process", busy: type[InputError] = FolderBusy
) -> Iterator[None]:
    """Hold the lock file ``path`` (created if needed) for the duration of the block.

    Parameters
    ----------
    path : Path
        The lock file, inside the folder it guards.
    what : str
        What holds such locks, for the message (``"sweep"``).
    busy : type of InputError
        What to raise when another process holds the lock.

    Raises
    ------
    FolderBusy
        (or ``busy``) When another process holds it: one line naming the folder and the
        holder's pid.
    """
    path = Path(path)
    handle = open(path, "a+")  # noqa: SIM115 - held for the whole block
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise busy(
                f"{path.parent}: another {what} is writing to this folder ({holder}); wait "
                "for it to finish or use another --out folder"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()


# --- the record of a session ----------------------------------------------------------------


class SessionLog:
    """One session of work on a folder, recorded in its manifest's ``sessions`` list.

    On entry the record ``{"started", "state": "running"}`` is appended to
    ``manifest["sessions"]`` and the manifest saved; the caller may add fields to
    :attr:`record` while it works. On exit the record gets its ``state`` (``finished``;
    ``failed`` for an exception in ``failures``; ``interrupted`` for any other, Ctrl-C
    included), ``finished``, ``seconds`` and the fields ``closing()`` returns, and the
    manifest is saved again. A session whose process is killed keeps ``running``.

    Parameters
    ----------
    manifest : dict
        The folder's manifest, changed in place.
    save : callable
        Writes the manifest (atomically).
    failures : tuple of exception types
        Exceptions that mean the work failed rather than was interrupted.
    closing : callable, optional
        The counts to record at the end (runs computed, seconds per stage...).
    """

    def __init__(
        self,
        manifest: dict[str, Any],
        save: Callable[[Mapping[str, Any]], None],
        *,
        failures: tuple[type[BaseException], ...] = (),
        closing: Callable[[], Mapping[str, Any]] = dict,
    ) -> None:
        self.manifest = manifest
        self.save = save
        self.failures = failures
        self.closing = closing
        self.record: dict[str, Any] = {"started": now(), "state": "running"}
        self.clock = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds since the session was entered."""
        return time.perf_counter() - self.clock

    def __enter__(self) -> Self:
        """Record the session as running in the manifest, and start its clock."""
        self.manifest.setdefault("sessions", []).append(self.record)
        self.save(self.manifest)
        self.clock = time.perf_counter()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Record how the session ended (finished, failed or interrupted) and what it did."""
        state: SessionState = "finished"
        if error is not None:
            state = "failed" if isinstance(error, self.failures) else "interrupted"
        self.record.update(state=state, finished=now(), seconds=round(self.elapsed(), 3))
        self.record.update(self.closing())
        if error is None:
            self.save(self.manifest)
            return
        # The error that ended the session matters more than a record that cannot be saved.
        with contextlib.suppress(OSError):
            self.save(self.manifest)


# --- outputs published whole ----------------------------------------------------------------


@contextlib.contextmanager
def staged(out: Path) -> Iterator[Path]:
    """Give a staging folder beside ``out`` to write an output into; publish it when done.

    It is published into ``out`` when the block ends without an error, and removed either way.

    Each file and folder written in the staging folder replaces the one of the same name in
    ``out`` (created if needed); what else ``out`` holds is left as it is. If the block
    raises, ``out`` is untouched.
    """
    out = Path(out)
    staging = out.parent / f".{out.name}.staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        yield staging
        publish(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def publish(staging: Path, out: Path) -> None:
    """Move every entry of ``staging`` into ``out``, each replacing its namesake.

    Files are synced first, so what is published is on disk; a folder being replaced is
    moved aside and removed only after its successor is in place.
    """
    _sync_files(staging)
    out.mkdir(parents=True, exist_ok=True)
    for item in sorted(staging.iterdir()):
        target = out / item.name
        if target.is_dir() and not target.is_symlink():
            aside = out / f".{item.name}.replaced-{os.getpid()}"
            os.replace(target, aside)
            os.replace(item, target)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(item, target)
    fsync_folder(out)


def _sync_files(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with open(path, "rb") as stream:
                os.fsync(stream.fileno())
