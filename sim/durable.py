"""Durable folders: whole files, one writer at a time, recorded sessions.

Files are whole or absent; every session of work is recorded; an output error is one line.

What sweeps (:mod:`sim.store`), sensitivity analysis, calibration and the run folder share to
survive a crash:

* :func:`write_atomic` (:func:`write_json`, :func:`write_parquet`): temporary file, fsync,
  :func:`os.replace`, fsync of the folder: a crash leaves the old file or the new one;
* :func:`writing`: an :class:`OSError` of an output becomes an :class:`OutputError`, one line
  naming the path and the cause;
* :func:`locked`: an ``flock`` held while one process writes to a folder (released by the
  operating system when the holder dies);
* :class:`SessionLog`: a session's entry in a folder's manifest, written when work starts
  and again when it ends, however it ends;
* :func:`made`: a folder made for a block, and removed again if the block fails.

Which folder an output may be written into, and how it is published whole, is
:mod:`sim.output_folder`'s.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import io
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

from sim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

TEMPORARY = ".*.tmp"
"""Glob of the temporary files :func:`write_atomic` leaves when its process is killed."""

MANIFEST = "manifest.json"
"""The manifest of every output folder: what was written, by which command, from what."""

LOCK = ".lock"
"""The lock file of every output folder (:func:`locked`)."""

LONGEST_SHOWN = 160
"""Paths longer than this are shortened in messages (their two ends are kept)."""

SessionState = Literal["running", "finished", "interrupted", "failed"]
"""What a session record says: still at work (or killed too hard to say), done, stopped
(Ctrl-C, a termination signal, an error of the caller's) or failed (an error that stops the
work for good)."""


class FolderBusy(InputError):
    """Another process holds the lock of a folder."""


class OutputError(InputError, OSError):
    """An output that cannot be written where it was asked for.

    Its message is one line naming the path and the cause (no permission, a read-only or full
    disk, a name too long, a folder holding files the command did not write).

    An :class:`InputError`, so the command line reports it as it reports bad input (one line,
    exit status 2), and an :class:`OSError`, so code that handles failed writes still does.
    """


def now() -> str:
    """Return the current time in UTC, to the second, in ISO 8601 (how every record is stamped)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- errors on output -----------------------------------------------------------------------


def shown(path: object) -> str:
    """``path`` for a one-line message; a very long one keeps its two ends and its length."""
    text = str(path)
    if len(text) <= LONGEST_SHOWN:
        return text
    return f"{text[:70]}...{text[-70:]} ({len(text)} characters)"


def cannot_write(path: Path, cause: str) -> OutputError:
    """Return the one-line error of an output ``path`` that cannot be written, and why."""
    return OutputError(f"{shown(path)}: cannot write ({cause})")


@contextlib.contextmanager
def writing(path: Path) -> Iterator[None]:
    """Report an :class:`OSError` raised in the block as an :class:`OutputError`.

    The error names ``path`` (the file or folder being written: the operating system's own
    file name is often a temporary one, or missing, as with a full disk) and the cause.
    """
    try:
        yield
    except OutputError:
        raise
    except OSError as error:
        raise cannot_write(path, error.strerror or str(error) or type(error).__name__) from error


# --- files ----------------------------------------------------------------------------------


def fsync_folder(folder: Path) -> None:
    """Make the entries of ``folder`` (renames, new files) durable."""
    with writing(folder):
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` holds either all of it or its old state.

    Temporary file in the same folder (so the rename cannot cross file systems), flush,
    fsync, :func:`os.replace`, fsync of the folder. The folder must exist.

    Raises
    ------
    OutputError
        When it cannot be written (a full disk, no permission...): ``path`` keeps its old
        content and no temporary file is left.
    """
    path = Path(path)
    with writing(path):
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        temporary = Path(name)
        try:
            # mkstemp makes the file private; give it the mode any new file gets here.
            os.fchmod(handle, 0o666 & ~_umask())
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
    fsync_folder(path.parent)


@functools.cache
def _umask() -> int:
    """Return this process's file mode creation mask (read once; it is set before work starts)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    # Elsewhere the mask can only be read by setting it, and set back at once.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_json(path: Path, value: object, *, indent: int = 2, **options: Any) -> None:
    """Write ``value`` as indented JSON (and a final newline) atomically.

    ``options`` go to :func:`json.dumps` (``allow_nan=False``, ``default=str``...).
    """
    text = json.dumps(value, indent=indent, **options)
    write_atomic(path, (text + "\n").encode("utf-8"))


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    """Write ``frame`` (without its index) as a Parquet file atomically, creating its folder."""
    path = Path(path)
    with writing(path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    write_atomic(path, buffer.getvalue())


def remove_temporaries(folder: Path, pattern: str = TEMPORARY) -> int:
    """Delete the temporary files a killed writer left in ``folder``; return how many.

    A narrower ``pattern`` deletes only those of one file.
    """
    removed = 0
    for path in Path(folder).glob(pattern):
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
    with writing(path):
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
        with writing(path):
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
        yield
    finally:
        handle.close()


def held(path: Path) -> bool:
    """Whether a process holds the lock file ``path`` now.

    The lock file is only read: a missing lock file is not held, and one that cannot be
    opened counts as held, since nobody can tell.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)  # releases the shared lock when it was taken
    return False


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

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
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


# --- folders --------------------------------------------------------------------------------


def check_writable(folder: Path) -> None:
    """Refuse (an :class:`OutputError`) a folder this process may not write into."""
    if os.access(folder, os.W_OK | os.X_OK):
        return
    code = errno.EROFS if os.statvfs(folder).f_flag & os.ST_RDONLY else errno.EACCES
    raise cannot_write(folder, os.strerror(code))


@contextlib.contextmanager
def made(folder: Path) -> Iterator[None]:
    """Make ``folder`` and its missing parents for the block.

    If the block raises, remove the folders it made again, as long as nothing but a lock file
    is in them (an output that failed leaves no empty folder behind; one that saved something
    keeps it).
    """
    folder = Path(folder)
    missing = [path for path in (folder, *folder.parents) if not path.exists()]
    with writing(folder):
        folder.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except BaseException:
        for path in missing:
            with contextlib.suppress(OSError):
                if os.listdir(path) == [LOCK]:
                    (path / LOCK).unlink()
                path.rmdir()
        raise
