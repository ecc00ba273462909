"""Writing files safely: the one place tagpip puts a file in place atomically, and makes an
independent copy of a cached file (:func:`clone_or_copy`).

Every file tagpip writes for another run or the user to read (a downloaded wheel, a cache entry,
a sealed page, the install journal, a lock, a bundle's zip) is written under a temporary name
in the folder it will live in and renamed over its place in one ``os.replace``: a reader sees
the old file or the new one, never half of one, and a failed or interrupted run leaves no
partial file (its temporary one is removed). The steps, in order:

1. :func:`temp_file`: a new, private (0600) file in the folder, named ``PREFIX<random>SUFFIX``.
   The prefixes the callers use are the ones :mod:`tagpip.workflow.cachedir` (``.tmp-``,
   ``.tagpip-``, ``tmp*`` in ``sdists``) and the download leftovers cleanup recognise, so an entry a
   killed run left behind is swept.
2. the caller's bytes, then (``fsync=True``) the file's bytes made durable before the rename, so
   a crash cannot leave the new name pointing at empty blocks;
3. :func:`commit`: its mode set, renamed over the place, and (``fsync_folder=True``) the folder
   made durable, where a later run must find the new name after a power loss (the journal).

:func:`atomic_write` (a context manager yielding the open binary file) and
:func:`write_bytes_atomically` do all three; :func:`temp_file` / :func:`commit` /
:func:`discard` are for the few writers whose bytes come from elsewhere (a clone, a zip
written by another module, a file whose final name depends on its hash).

:func:`write_text_atomically` is for files the user names: anything other than a regular
file there, a character device such as ``/dev/null``, a FIFO or ``/dev/stdout``, is written in
place, since renaming over it would replace the device itself with a regular file (and, as
root, break the machine's ``/dev/null``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "atomic_write",
    "clone_or_copy",
    "commit",
    "copy_contents",
    "copy_into",
    "discard",
    "locked_temp",
    "sweep_leftovers",
    "sync_folder",
    "temp_file",
    "why_unwritable",
    "writable",
    "write_bytes_atomically",
    "write_text_atomically",
]

# Linux's FICLONE ioctl (_IOW(0x94, 9, int)): a copy-on-write clone on btrfs, XFS, bcachefs.
_FICLONE = 0x40049409
# A clone refused with one of these is refused for every file here: copy instead.
_NO_CLONE = frozenset(
    {errno.EXDEV, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOTTY, errno.ENOSYS}
)
_CHUNK = 1024 * 1024


def clone_or_copy(source: str | Path, target: str | Path, *, clone: bool = True) -> bool:
    """Make ``target`` (which must not exist) an independent file with ``source``'s bytes: a
    copy-on-write clone where the file system can (``clone``), else a plain copy; never a hard
    link, so writing one file can never change the other. Whether it was a clone; raises
    OSError as ``open`` does."""
    with open(source, "rb") as src, open(target, "xb") as dst:
        if clone and sys.platform == "linux":
            import fcntl

            try:
                fcntl.ioctl(dst.fileno(), _FICLONE, src.fileno())
                return True
            except OSError as error:
                if error.errno not in _NO_CLONE:
                    raise
        copy_contents(src, dst)
    return False


def copy_into(source: str | Path, target: BinaryIO, *, clone: bool = True) -> bool:
    """:func:`clone_or_copy` into an open, empty file (one held locked by
    :func:`locked_temp`); whether it was a clone."""
    with open(source, "rb") as src:
        if clone and sys.platform == "linux":
            import fcntl

            try:
                fcntl.ioctl(target.fileno(), _FICLONE, src.fileno())
                return True
            except OSError as error:
                if error.errno not in _NO_CLONE:
                    raise
        copy_contents(src, target)
    return False


# copy_file_range refused with one of these is refused for the file: copy through Python.
_NO_KERNEL_COPY = frozenset(
    {errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF}
)


def copy_contents(source: BinaryIO, target: BinaryIO) -> None:
    """Copy the rest of the open file ``source`` to the open file ``target``: inside the
    kernel where it can (``copy_file_range``: one copy of each page, none through Python's
    buffers; on a file system that shares extents, such as XFS or btrfs, none at all), else
    in chunks through Python. Stops at ``source``'s size as it was when the copy began."""
    copy = getattr(os, "copy_file_range", None)
    if copy is not None:
        target.flush()
        src, dst = source.fileno(), target.fileno()
        left = os.fstat(src).st_size - source.tell()
        try:
            while left > 0:
                done = copy(src, dst, min(left, 1 << 30))
                if done == 0:
                    break  # some file systems stop early: the rest through Python
                left -= done
        except OSError as error:
            if error.errno not in _NO_KERNEL_COPY:
                raise
        if left <= 0:
            return
        # Both positions are where the kernel left them.
        source.seek(os.lseek(src, 0, os.SEEK_CUR))
        target.seek(os.lseek(dst, 0, os.SEEK_CUR))
    shutil.copyfileobj(source, target, _CHUNK)


def locked_temp(folder: str | Path, *, prefix: str, suffix: str) -> tuple[Path, BinaryIO]:
    """A new temporary file in ``folder``, open for binary writing and held under an exclusive
    lock (``flock``) until it is closed: the mark of a file a live run is writing, which
    :func:`sweep_leftovers` never removes. The lock is taken after the file is made, so a sweep
    may remove it in between; such a file is seen unlinked once locked, and another is made.
    Where there is no ``flock`` (Windows) the open file itself cannot be removed. Raises
    OSError as ``open`` does."""
    while True:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
        try:
            if _lock(fd, wait=True) and os.fstat(fd).st_nlink == 0:
                os.close(fd)  # swept between mkstemp and the lock: make another
                continue
            stream = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(name)
            raise
        with contextlib.suppress(AttributeError):
            setattr(stream.raw, "name", name)  # noqa: B010 (not in the typeshed stubs)
        return Path(name), stream


def sweep_leftovers(folder: str | Path, *, prefix: str, suffix: str) -> list[Path]:
    """Remove the temporary files named ``PREFIX*SUFFIX`` in ``folder`` that no live run
    holds (see :func:`locked_temp`): what a killed run (``kill -9``, a power cut) left. A file
    another run is writing is locked and stays. The paths removed; never raises."""
    removed: list[Path] = []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(prefix) and name.endswith(suffix)):
            continue
        path = os.path.join(folder, name)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue  # gone, a link, or not ours to open
        try:
            # Not held by a live run, and still this name's file: remove it.
            if _lock(fd, wait=False) is not False and os.path.samestat(
                os.fstat(fd), os.lstat(path)
            ):
                os.unlink(path)
                removed.append(Path(path))
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def _lock(fd: int, *, wait: bool) -> bool | None:
    """Take an exclusive ``flock`` on ``fd``: True, or False when another process holds it
    (``wait`` false); None where there is no ``flock`` (Windows)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows hosts
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def temp_file(folder: str | Path, *, prefix: str = ".tmp-", suffix: str = "") -> Path:
    """A new empty file, readable by its owner only, with a fresh name in ``folder`` (the
    folder of the file it will become: a rename within one file system is atomic). Raises
    OSError as ``open`` does."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    os.close(fd)
    return Path(name)


def discard(temp: str | Path) -> None:
    """Remove a temporary file that will not be committed; one already gone is no error,
    nor is one that cannot be removed (the cache sweep finds it later)."""
    with contextlib.suppress(OSError):
        os.unlink(temp)


def sync_folder(folder: str | Path) -> None:
    """Make a folder's entries (a new or removed name) durable; a no-op where folders cannot
    be opened (Windows) or synced."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def commit(
    temp: str | Path,
    path: str | Path,
    *,
    mode: int | None = 0o644,
    fsync_folder: bool = False,
) -> None:
    """Put the finished file ``temp`` at ``path`` in one rename: with ``mode`` (None keeps the
    temporary file's 0600, for cache entries only tagpip reads), and the folder synced when
    ``fsync_folder``. Raises OSError; ``temp`` is then still there for the caller to
    :func:`discard`."""
    if mode is not None:
        os.chmod(temp, mode)
    os.replace(temp, path)
    if fsync_folder:
        sync_folder(Path(path).parent)


@contextlib.contextmanager
def atomic_write(
    path: str | Path,
    *,
    prefix: str | None = None,
    suffix: str = ".tmp",
    temp_name: str | None = None,
    mode: int | None = 0o644,
    fsync: bool = False,
    fsync_folder: bool = False,
    before: Callable[[Path], None] | None = None,
    locked: bool = False,
) -> Iterator[BinaryIO]:
    """Write ``path`` atomically: yields the temporary file, open for binary writing (its
    ``name`` is the temporary path), and commits it when the block ends without an exception;
    on any exception, KeyboardInterrupt included, the temporary file is removed and ``path``
    is left as it was.

    ``prefix`` and ``suffix`` name the temporary file (``.NAME.`` and ``.tmp`` by default);
    ``temp_name`` instead gives a fixed name in the same folder, for a writer that holds a lock
    on the folder and whose recovery removes that one name (the install journal). ``fsync``
    makes the bytes durable before the rename, ``fsync_folder`` the rename itself; ``mode`` is
    as for :func:`commit`; ``before`` is called with the closed, finished temporary file just
    before the rename; ``locked`` holds the temporary file locked while it is written
    (:func:`locked_temp`), so that :func:`sweep_leftovers` leaves it alone. Raises OSError as
    ``open``, ``write`` and ``os.replace`` do."""
    target = Path(path)
    stream: BinaryIO
    keeper: int | None = None  # holds a locked temporary file's lock past closing it
    if temp_name is not None:
        temp = target.parent / temp_name
        stream = open(temp, "wb")  # noqa: SIM115 (closed below, before the rename)
    elif locked:
        temp, stream = locked_temp(
            target.parent, prefix=f".{target.name}." if prefix is None else prefix, suffix=suffix
        )
        # The lock belongs to the open file, which a duplicate keeps open until the rename:
        # closed and not yet renamed, the file must not look abandoned to a sweep.
        keeper = os.dup(stream.fileno())
    else:
        fd, name = tempfile.mkstemp(
            prefix=f".{target.name}." if prefix is None else prefix,
            suffix=suffix,
            dir=target.parent,
        )
        temp = Path(name)
        stream = os.fdopen(fd, "wb")
        # A file object made from a descriptor is named by its number: name it by its path,
        # which callers that check or clone the finished file need.
        with contextlib.suppress(AttributeError):
            setattr(stream.raw, "name", name)  # noqa: B010 (not in the typeshed stubs)
    try:
        with stream:
            yield stream
            stream.flush()
            if fsync:
                os.fsync(stream.fileno())
        if before is not None:
            before(temp)
        commit(temp, target, mode=mode, fsync_folder=fsync_folder)
    except BaseException:
        discard(temp)
        raise
    finally:
        if keeper is not None:
            os.close(keeper)


def write_bytes_atomically(
    path: str | Path,
    data: bytes,
    *,
    prefix: str | None = None,
    suffix: str = ".tmp",
    temp_name: str | None = None,
    mode: int | None = 0o644,
    fsync: bool = False,
    fsync_folder: bool = False,
) -> None:
    """Write ``data`` to ``path`` as :func:`atomic_write` does (the same options)."""
    with atomic_write(
        path,
        prefix=prefix,
        suffix=suffix,
        temp_name=temp_name,
        mode=mode,
        fsync=fsync,
        fsync_folder=fsync_folder,
    ) as stream:
        stream.write(data)


def write_text_atomically(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path``; raises OSError as ``open`` does."""
    target = Path(path)
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(target, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        return
    write_bytes_atomically(
        target,
        text.encode("utf-8"),
        mode=stat.S_IMODE(mode) if mode is not None else 0o644,
    )


def writable(folder: str | Path) -> bool:
    """Whether this process may create and remove entries in ``folder``: its permission bits,
    ACLs and a read-only mount all count (``access`` answers for the three, for root too).
    For the commands that write where the user says, to refuse before the work, not after."""
    return os.access(folder, os.W_OK | os.X_OK)


def why_unwritable(folder: str | Path) -> str:
    """Why :func:`writable` says no, in ``strerror``'s words: a read-only file system, or
    no permission."""
    try:
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # no statvfs on Windows
        read_only = False
    return os.strerror(errno.EROFS if read_only else errno.EACCES)
