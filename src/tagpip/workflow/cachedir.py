"""The cache folder as a whole: what is in it, and the one place that sweeps what is stale.

Each kind of entry is owned by its own module, which reads and writes it and knows its format:
``pages`` (:mod:`tagpip.index.pagecache`), ``metadata`` (:mod:`tagpip.index.metacache`), ``http``
(CacheControl's file cache), ``wheels`` (the wheel cache of :mod:`tagpip.download.downloader`),
``unpacked`` (:mod:`tagpip.install.unpacked`), ``sdists`` and ``built``
(:mod:`tagpip.build.builder`). Those modules never delete what an older tagpip left: a file in an
older format is only a miss. This module finds such files and the leftovers of interrupted runs, for
``tagpip cache info`` and ``tagpip cache prune``:

* **stale**: a page or a metadata copy of an older format or a damaged one (its seal does not
  match), a whole ``unpacked/vN`` layout other than the current one;
* **leftover**: a temporary file or folder (``.tmp-*``, ``.tagpip-*``, ``tmp*`` in ``sdists``)
  older than an hour (a younger one may be a concurrent run's, still being written), and a
  ``tagpip-*`` folder in the system's temporary folder older than a day (an interrupted
  install's or bundle's private folder).

Nothing else is ever removed by ``prune``: entries in the current format stay, and names this
module does not know (another tool's files under the same folder) are counted as "other" and
left alone. ``purge`` removes the whole cache folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tagpip.cache import KINDS, METADATA, PAGES, SDISTS, UNPACKED
from tagpip.errors import TagpipError
from tagpip.index import is_current_metadata, is_current_page
from tagpip.install import UNPACKED_LAYOUT

__all__ = ["CacheError", "Removed", "Usage", "prune", "purge", "stale", "usage"]

_TEMP_PREFIXES = (".tmp-", ".tagpip-")
_LEFTOVER_AGE = 3600.0  # seconds: a younger temporary file may be a running tagpip's
_TEMP_FOLDER_AGE = 86400.0  # tagpip-* folders in the system's temporary folder


@dataclass(frozen=True)
class Usage:
    """One kind of entry: how many files and bytes, and how many of them ``prune`` removes."""

    kind: str
    files: int
    size: int
    stale_files: int = 0
    stale_size: int = 0


@dataclass(frozen=True)
class Removed:
    """One path ``prune`` removes (or removed), with its size and why."""

    path: Path
    size: int
    why: str


def _size(path: Path) -> tuple[int, int]:
    """Files and bytes under ``path`` (or of the file), not following symbolic links."""
    try:
        if not path.is_dir() or path.is_symlink():
            return 1, path.lstat().st_size
    except OSError:
        return 0, 0
    files = size = 0
    for folder, _dirs, names in os.walk(path):
        for name in names:
            try:
                size += os.lstat(os.path.join(folder, name)).st_size
                files += 1
            except OSError:
                continue
    return files, size


def _old(path: Path, age: float, now: float) -> bool:
    try:
        return now - path.lstat().st_mtime > age
    except OSError:
        return False


def _walk(folder: Path) -> Iterator[Path]:
    """Every file and folder under ``folder``, parents before their contents."""
    for root, dirs, names in os.walk(folder):
        for name in [*dirs, *names]:
            yield Path(root, name)


def _stale_in(kind: str, folder: Path, now: float) -> Iterator[Removed]:
    """What ``prune`` removes from one kind's folder."""
    if not folder.is_dir():
        return
    if kind == UNPACKED:
        try:
            entries = sorted(folder.iterdir())
        except OSError:  # removed meanwhile (a purge), or unreadable
            entries = []
        for entry in entries:
            if (
                entry.name != f"v{UNPACKED_LAYOUT}"
                and entry.name[:1] == "v"
                and entry.name[1:].isdigit()
            ):
                yield Removed(entry, _size(entry)[1], f"unpacked wheels of layout {entry.name}")
    skip: list[Path] = []
    for path in _walk(folder):
        if any(parent in skip for parent in path.parents):
            continue
        name = path.name
        temporary = name.startswith(_TEMP_PREFIXES) or (
            kind == SDISTS and name.startswith("tmp") and path.parent == folder
        )
        if temporary:
            if _old(path, _LEFTOVER_AGE, now):
                skip.append(path)
                yield Removed(path, _size(path)[1], "left by an interrupted run")
            continue
        if kind == UNPACKED and path.parent == folder and name != f"v{UNPACKED_LAYOUT}":
            skip.append(path)
            continue  # an older layout: the whole folder was listed above
        if not path.is_file() or path.is_symlink():
            continue
        if kind == PAGES and name.endswith(".page") and not is_current_page(path):
            yield Removed(path, _size(path)[1], "a project page of an older format, or damaged")
        elif kind == METADATA and not is_current_metadata(path):
            yield Removed(path, _size(path)[1], "a metadata copy of an older format, or damaged")


def _temp_leftovers(now: float) -> Iterator[Removed]:
    """Private ``tagpip-*`` folders an interrupted run left in the system's temporary folder
    (only this user's, only those older than a day)."""
    temp = Path(tempfile.gettempdir())
    try:
        entries = sorted(temp.iterdir())
    except OSError:
        return
    uid = os.getuid() if hasattr(os, "getuid") else None
    for entry in entries:
        if not entry.name.startswith("tagpip-") or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            owner = entry.lstat().st_uid
        except OSError:
            continue
        if (uid is None or owner == uid) and _old(entry, _TEMP_FOLDER_AGE, now):
            yield Removed(entry, _size(entry)[1], "left in the temporary folder by a run")


def stale(root: Path, *, now: float | None = None) -> list[Removed]:
    """Everything ``prune`` would remove from the cache folder ``root`` (nothing is removed)."""
    when = time.time() if now is None else now
    found = [r for kind in KINDS for r in _stale_in(kind, root / kind, when)]
    return found + list(_temp_leftovers(when))


def usage(root: Path, *, now: float | None = None) -> list[Usage]:
    """Files and bytes of each kind (in :data:`KINDS` order, then ``other`` for names this
    module does not know), with what ``prune`` would remove of each."""
    when = time.time() if now is None else now
    rows: list[Usage] = []
    for kind in KINDS:
        folder = root / kind
        files, size = _size(folder) if folder.exists() else (0, 0)
        removed = list(_stale_in(kind, folder, when))
        stale_files = sum(_size(r.path)[0] for r in removed)
        rows.append(Usage(kind, files, size, stale_files, sum(r.size for r in removed)))
    try:
        others = [p for p in sorted(root.iterdir()) if p.name not in KINDS]
    except OSError:  # no cache yet, or removed meanwhile
        others = []
    if others:
        counted = [_size(p) for p in others]
        rows.append(Usage("other", sum(c[0] for c in counted), sum(c[1] for c in counted)))
    return rows


def prune(root: Path, *, now: float | None = None) -> list[Removed]:
    """Remove what is stale and left over (see the module's docstring); return what was
    removed. A path that cannot be removed (in use, no permission) is skipped."""
    removed = []
    for item in stale(root, now=now):
        try:
            if item.path.is_dir() and not item.path.is_symlink():
                shutil.rmtree(item.path)
            else:
                item.path.unlink()
        except FileNotFoundError:
            continue  # another run removed it first
        except OSError:
            continue
        removed.append(item)
    return removed


def purge(root: Path) -> int:
    """Remove the whole cache folder; the bytes it held. Raises :class:`CacheError` when it
    cannot be removed (no permission).

    Other runs may be writing to the cache meanwhile, and that is no error for either: the
    folder is first renamed aside (one rename: a run that writes after it starts a new,
    empty cache, and one that was writing finds its folder gone and goes on without the cache,
    as with any cache that cannot be written), then removed, files that appear or vanish while
    it goes included. A folder a purge killed half-way left aside is removed by the next."""
    size = _size(root)[1] if root.exists() else 0
    doomed = list(_purge_leftovers(root))
    if root.exists():
        aside = root.with_name(f".{root.name}.purge-{os.getpid()}-{time.monotonic_ns()}")
        try:
            os.rename(root, aside)
        except FileNotFoundError:
            pass  # another purge got there first
        except OSError:
            doomed.append(root)  # cannot rename (a mount point, no permission): in place
        else:
            doomed.append(aside)
    for path in doomed:
        try:
            _remove_tree(path)
        except OSError as error:
            raise CacheError(
                f"cannot remove {error.filename or path}: {error.strerror or error}",
                hint="check who owns the cache folder, or remove it by hand",
            ) from None
    return size


class CacheError(TagpipError):
    """The cache folder could not be changed as asked (``tagpip cache purge``)."""


def _purge_leftovers(root: Path) -> list[Path]:
    """Folders an interrupted purge of ``root`` left beside it."""
    try:
        siblings = list(root.parent.iterdir())
    except OSError:
        return []
    prefix = f".{root.name}.purge-"
    return sorted(p for p in siblings if p.name.startswith(prefix) and not p.is_symlink())


def _remove_tree(path: Path, *, rounds: int = 50) -> None:
    """Remove ``path`` and everything under it, files and folders that vanish meanwhile being
    no error and a folder a concurrent writer filled again being emptied again (up to
    ``rounds`` times). Raises OSError for anything else (no permission)."""
    for _round in range(rounds):
        if not os.path.lexists(path):
            return
        if not path.is_dir() or path.is_symlink():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            continue
        for folder, dirs, names in os.walk(path, topdown=False):
            for name in names:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(folder, name))
            for name in dirs:
                _remove_folder(os.path.join(folder, name))
        _remove_folder(os.fspath(path))
    if os.path.lexists(path):
        raise OSError(errno.ENOTEMPTY, "files keep appearing in it", os.fspath(path))


def _remove_folder(folder: str) -> None:
    """``rmdir``, or ``unlink`` for a link to a folder; gone or refilled meanwhile is no error
    (the next round of :func:`_remove_tree` empties it again)."""
    try:
        if os.path.islink(folder):
            os.unlink(folder)
        else:
            os.rmdir(folder)
    except FileNotFoundError:
        pass
    except OSError as error:
        if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
