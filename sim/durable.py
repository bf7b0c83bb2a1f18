"""Durable folders: whole files, one writer at a time, recorded sessions, owned outputs.

Files are whole or absent; every session of work is recorded; an output error is one line;
and an output folder is owned by the command that wrote it and published whole.

What sweeps (:mod:`sim.store`), sensitivity analysis, calibration and the run folder share to
survive a crash and to leave the user's files alone:

* :func:`write_atomic` (:func:`write_json`, :func:`write_parquet`): temporary file, fsync,
  :func:`os.replace`, fsync of the folder: a crash leaves the old file or the new one;
* :func:`writing`: an :class:`OSError` of an output becomes an :class:`OutputError`, one line
  naming the path and the cause;
* :func:`locked`: an ``flock`` held while one process writes to a folder (released by the
  operating system when the holder dies);
* :class:`SessionLog`: a session's entry in a folder's manifest, written when work starts
  and again when it ends, however it ends;
* :func:`owned`: whether a folder may receive an output of a kind: new, empty, or written
  by that kind before (its manifest's ``"kind"``, with the ``"files"`` it wrote);
* :func:`staged`: an output written into a staging folder inside its folder and published
  file by file once complete, replacing only files of the same kind's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import fnmatch
import functools
import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from types import TracebackType
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

STAGING = ".staging-"
"""Prefix of the staging folder an output is written into before it is published."""

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


# --- folders owned by the command that wrote them -------------------------------------------

Recognise = Callable[[Path, Mapping[str, Any] | None], Iterable[str] | None]
"""How a kind knows its folders written before manifests named their writer: given the folder
and its manifest (None when it has none), the files that kind wrote there, or None."""


@dataclasses.dataclass(frozen=True)
class Owned:
    """A folder that an output of ``kind`` may be written into, and what it holds of it.

    Attributes
    ----------
    folder : Path
        The output folder (it may not exist yet).
    kind : str
        The command that writes such outputs (``"run"``, ``"sweep"``...), named in their
        manifests.
    manifest : dict or None
        The manifest found there; None when the folder is new or empty.
    files : frozenset of str
        What outputs of this kind wrote there before, as paths relative to the folder with
        ``/`` separators; an entry ending in ``/`` is a folder owned whole. The only files a
        new output may replace.
    """

    folder: Path
    kind: str
    manifest: Mapping[str, Any] | None
    files: frozenset[str]

    def wrote(self, relative: str) -> bool:
        """Whether an output of this kind wrote ``relative`` (a path inside the folder)."""
        return relative in self.files or any(
            entry.endswith("/") and relative.startswith(entry) for entry in self.files
        )


def owned(folder: Path | str, kind: str, recognise: Recognise | None = None) -> Owned:
    """Check, writing nothing, that ``folder`` may receive an output of ``kind``.

    It may when it does not exist yet (it will be created with its parents), when it holds
    no file (a lock file, what a killed writer left and empty folders do not count), or when
    its manifest
    says ``kind`` wrote it (``"kind"``, with the ``"files"`` it wrote); ``recognise`` knows
    folders of the kind written before manifests said so.

    Raises
    ------
    OutputError
        Anything else, in one line naming the folder: a file in its place, a folder holding
        another command's output or files of the user's, a folder that cannot be written.
    """
    folder = Path(folder)
    with writing(folder):
        if not folder.exists():
            _check_creatable(folder)
            return Owned(folder, kind, None, frozenset())
        if not folder.is_dir():
            raise OutputError(f"{shown(folder)}: the output must be a folder, and this is a file")
        entries = [name for name in os.listdir(folder) if not _leftover(name)]
        check_writable(folder)
    manifest = _manifest_of(folder) if MANIFEST in entries else None
    writer = manifest.get("kind") if manifest is not None else None
    if writer == kind and manifest is not None:
        return Owned(folder, kind, manifest, _listed(manifest.get("files")))
    if isinstance(writer, str):
        raise OutputError(
            f"{shown(folder)}: holds the output of sharesim {writer}, and sharesim {kind} "
            "writes only into a new or empty folder or one of its own: choose another folder"
        )
    empty = not _holds_files(folder, entries)
    earlier = recognise(folder, manifest) if recognise is not None and not empty else None
    if earlier is not None:
        return Owned(folder, kind, manifest, _listed(earlier))
    if not empty:
        raise OutputError(
            f"{shown(folder)}: holds files sharesim {kind} did not write (no {MANIFEST} of "
            "its own), which it will not touch: choose a new or empty folder"
        )
    return Owned(folder, kind, None, frozenset())


def _leftover(name: str) -> bool:
    """Whether ``name`` is a lock file, a staging folder or a temporary file.

    None of these is anything a user put there.
    """
    return name == LOCK or _staging(name) or fnmatch.fnmatch(name, TEMPORARY)


def _staging(name: str) -> bool:
    """Whether ``name`` is a staging folder's (``.staging-<pid>``)."""
    return name.startswith(STAGING) and name.removeprefix(STAGING).isdigit()


def _holds_files(folder: Path, entries: Iterable[str]) -> bool:
    """Whether ``entries`` of ``folder`` hold a file, at any depth.

    Empty folders do not count: nothing in them could be lost.
    """
    for name in entries:
        path = folder / name
        if path.is_symlink() or not path.is_dir():
            return True
        for _, _, files in os.walk(path):
            if files:
                return True
    return False


def _check_creatable(folder: Path) -> None:
    """Check that a new folder can be made.

    It can when its nearest existing ancestor is a folder we may write.
    """
    ancestor = next(parent for parent in folder.absolute().parents if parent.exists())
    if not ancestor.is_dir():
        raise OutputError(f"{shown(ancestor)}: is a file, so {shown(folder)} cannot be made")
    check_writable(ancestor)


def check_writable(folder: Path) -> None:
    """Refuse (an :class:`OutputError`) a folder this process may not write into."""
    if os.access(folder, os.W_OK | os.X_OK):
        return
    code = errno.EROFS if os.statvfs(folder).f_flag & os.ST_RDONLY else errno.EACCES
    raise cannot_write(folder, os.strerror(code))


def _manifest_of(folder: Path) -> dict[str, Any] | None:
    """Return the manifest of ``folder`` when it is a JSON object.

    Return None when it is something else.
    """
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise OutputError(f"{shown(path)}: not a readable manifest ({error})") from None
    return manifest if isinstance(manifest, dict) else None


def _listed(files: object) -> frozenset[str]:
    """Return the entries of a manifest's file list that name a place inside the folder.

    An entry that points outside, as ``../x`` or ``/x`` would, is never acted on.
    """
    if not isinstance(files, list | tuple | frozenset | set):
        return frozenset()
    inside = set()
    for entry in files:
        if isinstance(entry, str) and entry:
            path = PurePosixPath(entry)
            if not path.is_absolute() and ".." not in path.parts:
                inside.add(entry)
    return frozenset(inside)


# --- outputs published whole ----------------------------------------------------------------


@dataclasses.dataclass
class Staging:
    """An output being written: its folder, and the manifest to publish with it.

    ``kind`` and ``files`` are added to the manifest when it is published.
    """

    folder: Path
    manifest: dict[str, Any] = dataclasses.field(default_factory=dict)


@contextlib.contextmanager
def staged(
    out: Path | str, kind: str, *, replace: bool = True, recognise: Recognise | None = None
) -> Iterator[Staging]:
    """Write an output of ``kind`` into a staging folder; publish it into ``out`` when done.

    It is published when the block ends without an error.

    ``out`` must be new, empty or a folder of ``kind``'s (:func:`owned`; checked before
    anything is written, and again under the folder's lock). The staging folder lies inside
    ``out`` (same file system, nothing written beside it) and is removed either way. If the
    block raises, ``out`` keeps its previous output untouched (and a folder made for this
    output is removed again).

    Parameters
    ----------
    out : Path or str
        The output folder.
    kind : str
        The command writing it, recorded in the manifest.
    replace : bool
        The new output replaces the previous one: files the previous one wrote that this one
        does not are removed. False keeps them (an output that adds to a folder, as a
        comparison does, or the report beside a calibration's record) and keeps the previous
        manifest's fields the new one does not set.
    recognise : callable, optional
        Recognises folders of ``kind`` written before manifests named their writer.

    Raises
    ------
    OutputError
        A folder that is not ``out``'s to write, a file of someone else's in the way, or an
        :class:`OSError` while writing (one line naming the path and the cause).
    """
    out = Path(out)
    owned(out, kind, recognise)
    with made(out), locked(out / LOCK, kind):
        previous = owned(out, kind, recognise)
        staging = Staging(out / f"{STAGING}{os.getpid()}")
        try:
            with writing(out):
                # Under the lock, a staging folder is a killed writer's.
                for leftover in out.glob(f"{STAGING}*"):
                    if _staging(leftover.name):
                        shutil.rmtree(leftover, ignore_errors=True)
                staging.folder.mkdir()
                yield staging
            publish(staging, previous, replace)
        finally:
            shutil.rmtree(staging.folder, ignore_errors=True)


def publish(staging: Staging, previous: Owned, replace: bool = True) -> list[str]:
    """Move every file of ``staging`` into ``previous.folder``, then write the manifest.

    Each file replaces its namesake, and the manifest is the last file written, so it names a
    complete output. Return the files published, relative to the folder.

    Only files an output of the same kind wrote may be replaced: anything else in the way is
    refused before a single file moves. Files are synced first, so what is published is on
    disk, and each move is an atomic rename.
    """
    out, kind = previous.folder, previous.kind
    with writing(out):
        written = sorted(_relative_files(staging.folder) - {MANIFEST})
        for relative in written:
            _check_not_in_the_way(previous, relative)
        _sync_files(staging.folder)
        for relative in written:
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging.folder / relative, target)
    kept = {entry for entry in previous.files if entry.endswith("/") or not replace}
    files = sorted({*written, MANIFEST, *kept})
    manifest = dict(previous.manifest or {}) if not replace else {}
    manifest |= staging.manifest | {"kind": kind, "files": files}
    write_json(out / MANIFEST, manifest, default=str)
    if replace:
        for stale in sorted(previous.files - set(files)):
            if not stale.endswith("/"):
                _remove_stale(out, stale)
    for folder in sorted({(out / relative).parent for relative in written}):
        fsync_folder(folder)
    return written


def _relative_files(folder: Path) -> set[str]:
    return {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() or path.is_symlink()
    }


def _check_not_in_the_way(previous: Owned, relative: str) -> None:
    """Refuse to publish ``relative`` over something the output's kind did not write.

    It refuses a user's file of the same name, a folder, or a file or link where a folder goes.
    """
    out, kind = previous.folder, previous.kind
    for part in reversed(PurePosixPath(relative).parents[:-1]):
        path = out / part
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            raise OutputError(
                f"{shown(path)}: in the way of sharesim {kind}'s output (a folder goes "
                "there): move it or choose another folder"
            )
    target = out / relative
    there = target.exists() or target.is_symlink()
    if there and (target.is_dir() or not previous.wrote(relative)):
        raise OutputError(
            f"{shown(target)}: not written by sharesim {kind}, whose output has a file of "
            "that name: move it or choose another folder"
        )


def _remove_stale(out: Path, relative: str) -> None:
    """Remove a file an earlier output wrote in ``out`` and this one does not.

    Never a folder, and never through a link (which could lead outside the folder).
    """
    path = out / relative
    through = [out / part for part in PurePosixPath(relative).parents[:-1]]
    if any(part.is_symlink() or not part.is_dir() for part in through):
        return
    if path.is_symlink() or path.is_file():
        with writing(path):
            path.unlink(missing_ok=True)


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


def _sync_files(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with open(path, "rb") as stream:
                os.fsync(stream.fileno())
