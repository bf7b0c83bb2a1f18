"""Output folders: owned by the command that wrote them, and published whole.

An output folder may receive an output of a kind when it is new, empty, or written by that kind
before (its manifest's ``"kind"``, with the ``"files"`` it wrote: :func:`owned`). An output is
written into a staging folder inside its folder and published file by file once complete,
replacing only files of the same kind's (:func:`staged`). The files themselves are written
through :mod:`sim.durable`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import json
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from sim.durable import (
    LOCK,
    MANIFEST,
    TEMPORARY,
    OutputError,
    check_writable,
    fsync_folder,
    locked,
    made,
    shown,
    write_json,
    writing,
)

STAGING = ".staging-"
"""Prefix of the staging folder an output is written into before it is published."""

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

    It can when its nearest existing ancestor is a folder we may write, and its path does not
    climb (``..``) out of a folder that is not there yet: making that folder would put the
    output somewhere other than where this check looked (``results/new/..`` is ``results``).
    """
    if _climbs_out_of_a_new_folder(folder):
        raise OutputError(
            f"{shown(folder)}: climbs (..) out of a folder that does not exist; give the "
            "output folder's path without it"
        )
    ancestor = next(parent for parent in folder.absolute().parents if parent.exists())
    if not ancestor.is_dir():
        raise OutputError(f"{shown(ancestor)}: is a file, so {shown(folder)} cannot be made")
    check_writable(ancestor)


def _climbs_out_of_a_new_folder(folder: Path) -> bool:
    """Whether a ``..`` in ``folder``'s path follows a folder that does not exist."""
    reached = Path(folder.anchor or ".")
    for part in folder.parts[1 if folder.anchor else 0 :]:
        if part == ".." and not reached.exists():
            return True
        reached /= part
    return False


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


def _sync_files(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with open(path, "rb") as stream:
                os.fsync(stream.fileno())
