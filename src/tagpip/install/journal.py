"""Committing, phase 3 of :mod:`tagpip.install.installer`: the moves planned in advance, journalled
and fsynced before the first, undone on any failure or interrupt; the folder's lock; and rolling
back what an install killed halfway left behind."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import posixpath
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from types import FrameType

from tagpip.fs import sync_folder, write_bytes_atomically
from tagpip.install.model import InstallError, InstallFailed

STAGE_PREFIX = ".tagpip-stage-"

JOURNAL = ".tagpip-journal"

LOCK_PREFIX = ".tagpip-lock-"

# Moves go through this name so tests can inject a failure into the commit phase.
_move = os.replace


@contextlib.contextmanager
def _held_signals() -> Iterator[list[int]]:
    """Hold SIGINT and SIGTERM back (the list gets each one that arrived); the commit checks the
    list between moves, so an interrupt leads to a clean undo, never to half a move."""
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous: dict[signal.Signals, signal._HANDLER] = {}
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, OSError):
                previous[number] = signal.signal(number, hold)
    try:
        yield received
    finally:
        for restored, handler in previous.items():
            # None: the handler was not set from Python, so it cannot be put back from here.
            with contextlib.suppress(TypeError, ValueError):
                signal.signal(restored, handler)


def _plan(
    target_dir: Path,
    sources: Mapping[str, Path],
    backup: Path,
    new_files: Sequence[str],
    old_files: Sequence[str],
) -> list[tuple[str, str]]:
    """The commit's steps, in order, worked out before anything moves: ``(from, to)`` for a
    rename, ``(folder, "")`` for a folder to create in the target folder.

    Old files go to ``backup`` first, then the new ones (each from its wheel's staging folder
    in ``sources``) come in. A top-level folder of a wheel that the target folder does not have
    yet moves in with one rename (it holds only that wheel's files); everything else moves file
    by file. The plan is what the journal holds, so a later run can undo any prefix of it.
    """
    steps: list[tuple[str, str]] = []
    made: set[str] = set()
    leaving = set(old_files)  # gone by the time the new files come in
    for rel in old_files:
        steps.append((os.fspath(target_dir / rel), os.fspath(backup / rel)))
    whole: dict[str, Path] = {}  # top-level folder moved in whole -> the root it came from
    for rel in new_files:
        root = sources[rel]
        top, slash, _ = rel.partition("/")
        if slash and whole.get(top) == root:
            continue
        if slash and top not in made and (top in leaving or not os.path.lexists(target_dir / top)):
            steps.append((os.fspath(root / top), os.fspath(target_dir / top)))
            whole[top] = root
            made.add(top)
            continue
        for folder in reversed(list(PurePosixPath(rel).parents)[:-1]):
            name = folder.as_posix()
            came = whole.get(name.partition("/")[0])
            if came is not None and (came / name).is_dir():
                continue  # it moved in with its top-level folder
            if name not in made and (name in leaving or not (target_dir / name).exists()):
                steps.append((os.fspath(target_dir / name), ""))
                made.add(name)
        steps.append((os.fspath(root / rel), os.fspath(target_dir / rel)))
    return steps


def _write_journal(target_dir: Path, stage: Path, created: bool, steps: Sequence[object]) -> None:
    """Put the commit's plan on disk, in the target folder, before the first move: written to
    a temporary name, the file fsynced, renamed, then the folder fsynced, so a later run finds
    either the whole journal or none (and none means nothing has moved yet)."""
    data = json.dumps(
        {"version": 1, "stage": os.fspath(stage), "created": created, "steps": steps}
    ).encode("utf-8")
    # A fixed temporary name: the folder is locked, and recovery removes exactly this one.
    write_bytes_atomically(
        target_dir / JOURNAL,
        data,
        temp_name=JOURNAL + ".tmp",
        mode=None,
        fsync=True,
        fsync_folder=True,
    )


def _forget_journal(target_dir: Path) -> None:
    """The commit point: once the journal is gone, the new version is what the folder holds."""
    (target_dir / JOURNAL).unlink()
    sync_folder(target_dir)


def _undo_steps(steps: Sequence[tuple[str, str]]) -> list[str]:
    """Undo ``steps`` in reverse, each only if it was done (its result is there and its origin
    is not): so it undoes exactly what an interrupted run did, and running it twice is safe."""
    failures: list[str] = []
    for source, moved_to in reversed(steps):
        try:
            if not moved_to:
                if os.path.isdir(source) and not os.path.islink(source):
                    with contextlib.suppress(OSError):
                        os.rmdir(source)  # not empty: something not ours is in it; keep it
            elif os.path.lexists(moved_to) and not os.path.lexists(source):
                os.makedirs(os.path.dirname(source), exist_ok=True)
                _move(moved_to, source)
        except OSError as error:
            failures.append(f"{source}: {error}")
    return failures


def commit_moves(
    target_dir: Path,
    sources: Mapping[str, Path],
    stage: Path,
    new_files: Sequence[str],
    old_files: Sequence[str],
    on_move: Callable[[int, int], None] | None = None,
) -> None:
    """Move the old files to the backup in ``stage`` and the new ones into the folder, all or
    nothing, also across a ``kill -9`` or a power cut: the plan is journalled in the target
    folder (fsynced) before the first move, and any later run undoes an unfinished journal
    before anything else (:func:`recover`). Undoing restores the folders' modification times
    too, so the folder is as it was to the last detail a backup tool or a build cache would
    look at. ``on_move`` hears the steps done of all, each time another hundredth is done.
    """
    backup = stage / "old"
    steps = _plan(target_dir, sources, backup, new_files, old_files)
    every = max(1, len(steps) // 100)
    for rel in old_files:
        (backup / rel).parent.mkdir(parents=True, exist_ok=True)
    times: dict[Path, tuple[int, int]] = {}  # folders in the target folder, before any change
    if target_dir.is_dir():
        info = target_dir.stat()  # the journal comes and goes in it
        times[target_dir] = (info.st_atime_ns, info.st_mtime_ns)
    for source, moved_to in steps:
        for path in (Path(source).parent, Path(moved_to).parent if moved_to else None):
            if path is not None and path not in times and path.is_dir():
                info = path.stat()
                times[path] = (info.st_atime_ns, info.st_mtime_ns)
    created = not target_dir.exists()
    done = 0
    journalled = False
    with _held_signals() as received:
        try:
            if received:
                raise KeyboardInterrupt
            if created:
                target_dir.mkdir()
            _write_journal(target_dir, stage, created, steps)
            journalled = True
            for source, moved_to in steps:
                if received:
                    raise KeyboardInterrupt
                if moved_to:
                    _move(source, moved_to)
                else:
                    os.mkdir(source)
                done += 1
                if on_move is not None and done % every == 0:
                    on_move(done, len(steps))
            if received:
                raise KeyboardInterrupt
            _forget_journal(target_dir)
        except BaseException as error:
            failures = _undo_steps(steps[:done])
            if journalled and not failures:
                with contextlib.suppress(OSError):
                    (target_dir / JOURNAL).unlink()
            for touched, (atime, mtime) in times.items():
                with contextlib.suppress(OSError):
                    os.utime(touched, ns=(atime, mtime))
            if failures:
                # The journal stays: the next run tries the undo again.
                raise InstallFailed(
                    f"installing into {target_dir} failed ({error!r}), and undoing it failed for "
                    + ", ".join(failures),
                    restored=False,
                    backup=backup,
                ) from error
            if created:
                with contextlib.suppress(OSError):
                    target_dir.rmdir()
            if isinstance(error, OSError):
                raise InstallFailed(
                    f"could not move files into {target_dir}: {error}", restored=True
                ) from error
            raise


def stage_tag(target_dir: Path) -> str:
    """The end of the names of the staging folders of ``target_dir`` (a digest of its real
    path), so a later run can tell its own leftovers from another folder's."""
    return hashlib.sha256(os.fsencode(os.path.realpath(target_dir))).hexdigest()[:12]


def _inside(path: str, folders: Sequence[Path]) -> bool:
    real = os.path.normpath(path)
    return any(real == os.fspath(f) or real.startswith(os.fspath(f) + os.sep) for f in folders)


def recover(target_dir: Path) -> list[str]:
    """Finish what an interrupted install into ``target_dir`` left (call it with the folder's
    lock held): undo an unfinished journal, then remove this folder's staging folders that
    no run is using any more. What it did, as one line each (nothing when there was nothing).

    A journal is only followed within the target folder and its own staging folder, so a
    tampered journal cannot move anything else."""
    notes: list[str] = []
    target_dir = Path(os.path.realpath(target_dir))
    journal = target_dir / JOURNAL
    if journal.is_file() and not journal.is_symlink():
        try:
            plan = json.loads(journal.read_bytes())
            stage = Path(plan["stage"])
            created = bool(plan["created"])
            steps = [(str(a), str(b)) for a, b in plan["steps"]]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise InstallError(
                f"{journal} is an unreadable record of an interrupted install ({error})",
                hint="tagpip cannot tell what it changed; remove it and check the folder",
            ) from error
        allowed = [target_dir, stage]
        if not stage.name.startswith(STAGE_PREFIX) or not all(
            _inside(a, allowed) and (not b or _inside(b, allowed)) for a, b in steps
        ):
            raise InstallError(
                f"{journal} names paths outside {target_dir} and its staging folder",
                hint="it was not written by tagpip; remove it and check the folder",
            )
        failures = _undo_steps(steps)
        if failures:
            raise InstallFailed(
                f"could not undo the interrupted install into {target_dir}: " + ", ".join(failures),
                restored=False,
                backup=stage / "old",
            )
        journal.unlink()
        sync_folder(target_dir)
        notes.append(f"an interrupted install into {target_dir} was rolled back")
        if created:
            with contextlib.suppress(OSError):
                target_dir.rmdir()
    with contextlib.suppress(OSError):
        (target_dir / (JOURNAL + ".tmp")).unlink()
    tag = stage_tag(target_dir)
    for folder in {target_dir.parent, target_dir}:
        with contextlib.suppress(OSError), os.scandir(folder) as found:
            for item in found:
                if item.name.startswith(STAGE_PREFIX) and item.name.endswith("-" + tag):
                    shutil.rmtree(item.path, ignore_errors=True)
    return notes


@contextlib.contextmanager
def folder_lock(
    target_dir: Path, report: Callable[[str], None], *, beside: bool = True
) -> Iterator[None]:
    """Hold the lock of ``target_dir`` (a file next to it, ``.tagpip-lock-NAME``, or with
    ``beside`` false, when only the folder itself can be written, ``.tagpip-lock`` in it),
    waiting for another run that holds it: two installs into one folder run one after the
    other, and the second sees what the first did. The lock file is removed on release; a run
    that locked a file removed meanwhile locks again. A lock file that cannot be created is an
    :class:`InstallError` naming it."""
    if beside:
        path = target_dir.parent / f"{LOCK_PREFIX}{target_dir.name}"
    else:
        path = target_dir / LOCK_PREFIX.rstrip("-")
    try:
        with _lock_file(path, target_dir, report):
            yield
    except _LockFileError as failure:
        error = failure.error
        raise InstallError(
            f"cannot create the lock file {path}: {error.strerror or error}",
            hint="install into a folder you can write (--target), or make it writable",
        ) from None


class _LockFileError(Exception):
    """The lock file could not be opened (kept apart from errors of the block it guards)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def _open_lock(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise _LockFileError(error) from None


@contextlib.contextmanager
def _lock_file(path: Path, target_dir: Path, report: Callable[[str], None]) -> Iterator[None]:
    if sys.platform == "win32":  # pragma: no cover - Windows hosts
        import msvcrt

        fd = _open_lock(path)
        try:
            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                    break
                except OSError:
                    report(f"waiting for another tagpip install into {target_dir}")
                    time.sleep(0.1)
            yield
        finally:
            os.close(fd)
        return
    import fcntl

    while True:
        fd = _open_lock(path)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                report(f"waiting for another tagpip install into {target_dir}")
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
        except BaseException:
            os.close(fd)
            raise
        if same:
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def prune_empty(target_dir: Path, removed: Collection[str]) -> None:
    """Remove the folders the replaced files leave empty (never the target folder itself)."""
    folders = {posixpath.dirname(rel) for rel in removed if posixpath.dirname(rel)}
    expanded: set[str] = set()
    for folder in folders:
        while folder:
            expanded.add(folder)
            folder = posixpath.dirname(folder)
    for folder in sorted(expanded, key=lambda f: (-f.count("/"), f)):
        path = target_dir / folder
        if path.is_dir() and not path.is_symlink():
            with contextlib.suppress(OSError):
                path.rmdir()
