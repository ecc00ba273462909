"""Downloading pinned wheels into a folder: in parallel, hash-checked, written atomically.

A file reaches its final name in the destination only after every hash that applies to it has
been checked: every digest its link gives (an index page's or a direct URL's, in any algorithm pip
checks, md5 included: :func:`tagpip.hashes.link_mismatch`) and every ``--hash`` the user gave for
the project (strong algorithms only, as pip's ``--hash``). Until then
it lives under a hidden temporary name in the same folder (so the final ``os.replace`` is atomic)
and is removed on any failure, including Ctrl-C. A file already present under its final name is
kept when it passes the same checks, and replaced otherwise.

Verified wheels are also kept in a content-addressed cache (``wheels/<sha256[:2]>/<sha256>/<file
name>`` under the cache folder, the index's :attr:`~tagpip.index.client.HttpIndex.wheel_cache`), so
a later run that is told the same sha256 by the index takes the file from there instead of the
network. A cached file is never trusted by its name: it is cloned (or copied) into the destination
under a temporary name and hashed there like a download, and an entry that fails is deleted. Entries
are written under a temporary name and renamed into place, so runs sharing the cache never see half
a file.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from packaging.utils import NormalizedName

from tagpip import fs
from tagpip.errors import TagpipError
from tagpip.fs import clone_or_copy
from tagpip.hashes import (
    STRONG,
    HashMismatch,
    file_digests,
    is_hex_digest,
    is_strong,
    link_algorithms,
    link_mismatch,
    new_hasher,
    parse_hash,
)
from tagpip.index import DistFile, Index

__all__ = [
    "DownloadError",
    "Downloaded",
    "ProgressEvent",
    "download",
    "known_sha256",
    "parse_hash",
]

_TEMP_PREFIX = ".tagpip-"
_TEMP_SUFFIX = ".part"
# A hard link refused with one of these is refused for every file there: copy instead.
_NO_LINKS = frozenset(
    {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}
)

logger = logging.getLogger(__name__)


class DownloadError(TagpipError):
    """A file could not be fetched or written; names the project and file."""


class _Cancelled(DownloadError):
    """A download stopped because another one failed: never the error to report."""


@dataclass(frozen=True)
class Downloaded:
    """A verified file in the destination folder. ``reused``: no bytes were fetched;
    ``from_cache``: they came from the wheel cache (so the file was not in the folder before,
    and the CLI says "Saved", not "already downloaded")."""

    file: DistFile
    path: Path
    sha256: str
    reused: bool
    from_cache: bool = False


@dataclass(frozen=True)
class ProgressEvent:
    """What the downloader reports so the CLI can draw progress (the downloader never prints)."""

    kind: Literal["start", "advance", "done"]
    filename: str
    total: int | None
    done: int
    reused: bool = False


def known_sha256(file: DistFile, user_hashes: Sequence[str]) -> str | None:
    """The sha256 a download of ``file`` must have, when that one value decides, before
    anything is fetched, whether :func:`download` would accept the bytes; None otherwise.

    That is so for a wheel with a safe name whose strong hashes (the index's, and the
    ``user_hashes`` of its project, a lock's included) are all sha256: the index's one value
    when it gives one and the user's allow it, else the user's only one. A file with another
    strong algorithm, several candidates or none is left to the downloader's checks. (The
    index's size and weak digests (md5, sha1) are not compared: the sha256 fixes the bytes, so
    one that disagrees with the sha256 could only be the index contradicting itself, or the
    user's --hash overruling a weak claim.)
    """
    if not file.is_wheel or not _is_safe(file):
        return None
    # The very digests download() checks the bytes against (_expected_digests, _problem).
    expected = _expected_digests(file, user_hashes)
    if {algo for algo in expected if is_strong(algo)} != {"sha256"}:
        return None  # none at all, or another strong algorithm
    from_index = {digest.lower() for algo, digest in file.hashes if algo.lower() == "sha256"}
    from_user = {digest for digest, who in expected["sha256"].items() if who == "--hash"}
    candidates = from_index or from_user
    if len(candidates) != 1:
        return None
    (digest,) = candidates
    if (from_user and digest not in from_user) or not is_hex_digest(digest):
        return None
    return digest


def download(
    files: Sequence[DistFile],
    dest: Path,
    index: Index,
    *,
    user_hashes: Mapping[NormalizedName, Sequence[str]] | None = None,
    workers: int = 8,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    cache: Path | bool = True,
    scratch: bool = False,
) -> list[Downloaded]:
    """Fetch ``files`` into ``dest`` and return them, in the order given, once all are verified.

    ``user_hashes`` maps a project to the ``algo:hex`` values its ``--hash`` options allow; when a
    project has any for an algorithm, the file must match one of them. The first failure stops
    the remaining downloads; files already verified stay (they are complete and correct).
    ``cache`` is the wheel cache folder: True (the default) for the index's ``wheel_cache``
    when it has one (``--no-cache-dir`` gives it none), False for none, or a folder.

    ``scratch`` says that ``dest`` is a private folder of this run that it removes when it ends
    (``install``'s and ``bundle``'s temporary folder, which only tagpip reads): a download
    there is not fsynced (no later run looks for it, and the wheel cache hashes an entry every
    time it is used) and is hard-linked into the wheel cache instead of copied, where the file
    system allows (a copy otherwise). Files the user can reach (``-d``) are never linked to
    the cache (docs/reliability.md); for a 3 GB set the link saves writing 3 GB
    (docs/performance.md, round 7).
    """
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise DownloadError(f"{dest} exists and is not a folder", hint="name a folder") from None
    except OSError as failure:
        raise DownloadError(f"cannot create the folder {dest}: {failure.strerror}") from None
    # What a killed run (kill -9, a power cut) left in the folder under tagpip's own temporary
    # names; a file another run is writing now is locked, and stays.
    for leftover in fs.sweep_leftovers(dest, prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX):
        logger.debug("removed %s, left by an interrupted run", leftover)
    wheels: Path | None
    if cache is True:
        wheels = index.wheel_cache
    else:
        wheels = cache or None
    user_hashes = user_hashes or {}
    cancel = threading.Event()
    lock = threading.Lock()

    def report(event: ProgressEvent) -> None:
        if on_progress is not None:
            with lock:
                on_progress(event)

    def one(file: DistFile) -> Downloaded:
        return _download_one(
            file, dest, index, user_hashes.get(file.project, ()), cancel, report, wheels, scratch
        )

    if not files:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(files)))) as pool:
        futures: list[Future[Downloaded]] = [pool.submit(one, f) for f in files]
        try:
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            if any(f.exception() is not None for f in done):
                cancel.set()
                for future in futures:
                    future.cancel()
                wait(futures)
                # The cause, not a download that stopped because of it (whichever ended first).
                errors = [
                    f.exception()
                    for f in futures
                    if not f.cancelled() and f.exception() is not None
                ]
                error = next((e for e in errors if not isinstance(e, _Cancelled)), errors[0])
                assert error is not None
                raise error
        except BaseException:
            # Ctrl-C lands here in the main thread: tell the workers to stop and remove their
            # temporary files before the interrupt goes on up.
            cancel.set()
            for future in futures:
                future.cancel()
            wait(futures)
            raise
    return [f.result() for f in futures]


def _download_one(
    file: DistFile,
    dest: Path,
    index: Index,
    user_hashes: Sequence[str],
    cancel: threading.Event,
    report: Callable[[ProgressEvent], None],
    cache: Path | None = None,
    scratch: bool = False,
) -> Downloaded:
    if cancel.is_set():
        raise _Cancelled(f"{file.project}: download of {file.filename} cancelled")
    final = dest / _safe_filename(file)
    expected = _expected_digests(file, user_hashes)
    if final.is_file():
        digests = _hash_file(final, expected)
        if _problem(file, expected, digests) is None:
            size = final.stat().st_size
            report(ProgressEvent("done", file.filename, size, size, reused=True))
            return Downloaded(file, final, digests["sha256"], reused=True)
    entry = _cache_entry(cache, file)
    if entry is not None:
        found = _from_cache(entry, file, final, expected)
        if found is not None:
            size = final.stat().st_size
            report(ProgressEvent("done", file.filename, size, size, reused=True))
            return Downloaded(file, final, found, reused=True, from_cache=True)

    opened = False
    try:
        with fs.atomic_write(
            final,
            prefix=_TEMP_PREFIX,
            suffix=_TEMP_SUFFIX,
            mode=0o644,
            fsync=not scratch,
            locked=True,
        ) as out:
            opened = True
            temp = Path(out.name)
            hashers = {algo: new_hasher(algo) for algo in set(expected) | {"sha256"}}
            done = 0
            report(ProgressEvent("start", file.filename, file.size, 0))
            with index.open(file) as chunks:
                for chunk in chunks:
                    if cancel.is_set():
                        raise _Cancelled(f"{file.project}: download of {file.filename} cancelled")
                    out.write(chunk)
                    for hasher in hashers.values():
                        hasher.update(chunk)
                    done += len(chunk)
                    if file.size is not None and done > file.size:
                        # Never more than the index listed: stop now, not at the end (a local
                        # file, or a server without Content-Length, is checked here).
                        raise DownloadError(
                            f"{file.project}: {file.filename} is longer than the {file.size} "
                            "bytes the index lists; the transfer was stopped",
                            hint="the file is not the one the index describes; nothing was kept",
                        )
                    report(ProgressEvent("advance", file.filename, file.size, done))
            out.flush()
            digests = {algo: h.hexdigest() for algo, h in hashers.items()}
            problem = _problem(file, expected, digests)
            if problem is not None:
                raise problem
            if file.size is not None and done != file.size:
                raise DownloadError(
                    f"{file.project}: {file.filename} is {done} bytes, the index says {file.size}",
                    hint="the download was cut short or the file changed; try again",
                )
            _check_metadata(index, file, temp)
            if entry is not None and digests["sha256"] == entry.parent.name:
                _into_cache(temp, entry, link=scratch)
    except OSError as error:
        # Writing failed (transport errors arrive as the index's FetchError): a full disk, a
        # read-only or vanished folder. A message naming the place, not a traceback. (The
        # temporary file is already gone.)
        cancel.set()
        raise _write_error(file, final if opened else dest, error) from None
    except BaseException:
        # Stop the other workers' queued downloads too: the run has failed.
        cancel.set()
        raise
    report(ProgressEvent("done", file.filename, done, done))
    return Downloaded(file, final, digests["sha256"], reused=False)


def _check_metadata(index: Index, file: DistFile, wheel: Path) -> None:
    """Raise when the wheel's own METADATA disagrees with the index's metadata file that the
    resolution used (pip's check); nothing to do when the metadata came from the wheel."""
    served = index.known_metadata(file) if file.is_wheel else None
    if served is not None:
        from tagpip.index import check_wheel_metadata

        check_wheel_metadata(file, served, wheel)


def _write_error(file: DistFile, path: Path, error: OSError) -> DownloadError:
    """A local write that failed, in words that name the path (``ENOSPC``: a full disk)."""
    cause = error.strerror or str(error) or type(error).__name__
    hint = None
    if error.errno == errno.ENOSPC:
        hint = f"free some space on the file system of {path.parent}, or download elsewhere (-d)"
    return DownloadError(f"{file.project}: cannot write {path}: {cause}", hint=hint)


def _cache_entry(cache: Path | None, file: DistFile) -> Path | None:
    """Where the wheel cache keeps ``file``: by the sha256 the index gave (None without one)."""
    if cache is None or not file.is_wheel:
        return None
    digest = next((d.lower() for a, d in file.hashes if a.lower() == "sha256"), None)
    if digest is None or not is_hex_digest(digest):
        return None
    return cache / digest[:2] / digest / _safe_filename(file)


def _from_cache(
    entry: Path, file: DistFile, final: Path, expected: Mapping[str, Mapping[str, str]]
) -> str | None:
    """Put the cached copy of ``file`` at ``final`` once its bytes there pass every check;
    its sha256, or None (a missing entry, or a bad one, which is deleted)."""
    if not entry.is_file():
        return None
    try:
        # Held locked until it is renamed: a sweep of leftovers by another run leaves it.
        temp, held = fs.locked_temp(final.parent, prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX)
    except OSError:
        return None
    try:
        # An independent file (a clone or a copy), never a hard link: see _link_or_copy.
        fs.copy_into(entry, held)
        held.flush()
        # The bytes that will be in the destination are hashed, not the cache's word for them.
        digests = _hash_file(temp, expected)
        if (
            _problem(file, expected, digests) is not None
            or digests["sha256"] != entry.parent.name
            or (file.size is not None and temp.stat().st_size != file.size)
        ):
            logger.debug("dropping a bad wheel cache entry: %s", entry)
            with contextlib.suppress(OSError):
                entry.unlink()
            fs.discard(temp)
            return None
        fs.commit(temp, final, mode=0o644)
    except OSError:
        logger.debug("could not use the wheel cache entry %s", entry, exc_info=True)
        fs.discard(temp)
        return None
    except BaseException:
        fs.discard(temp)
        raise
    finally:
        held.close()
    return digests["sha256"]


def _into_cache(verified: Path, entry: Path, *, link: bool = False) -> None:
    """Keep a verified file in the wheel cache; a cache that cannot take it is no error.
    ``link``: ``verified`` is in a scratch folder (see :func:`download`), so the entry may be
    a hard link to it."""
    temp: Path | None = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        if entry.is_dir() and not entry.is_symlink():
            # Not a file (a damaged cache): out of the way, or the rename below cannot land.
            shutil.rmtree(entry)
        temp = fs.temp_file(entry.parent, prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX)
        if link:
            _link(verified, temp)
        else:
            _link_or_copy(verified, temp)
        # Atomic: another run sees the old entry or the new, never half.
        fs.commit(temp, entry, mode=None)
    except OSError as error:
        from tagpip import sealed

        sealed.unwritable(entry.parent.parent.parent, error)
        if temp is not None:
            fs.discard(temp)


def _link_or_copy(source: Path, target: Path) -> None:
    """``target`` (an existing placeholder) becomes an independent file with ``source``'s
    bytes: a copy-on-write clone where the file system can, else a copy. Never a hard link:
    a file in ``-d`` and its cache entry (and every other ``-d`` it went to) must not be one
    file, or editing one would change them all and a damaged entry would spread."""
    target.unlink()
    clone_or_copy(source, target)


def _link(source: Path, target: Path) -> None:
    """``target`` (an existing placeholder) becomes a hard link to ``source``, a file of a
    scratch folder no one else reads or edits (see :func:`download`); a copy where the file
    system refuses links (another file system, a policy such as protected_hardlinks)."""
    target.unlink()
    try:
        os.link(source, target)
    except OSError as error:
        if error.errno not in _NO_LINKS:
            raise
        clone_or_copy(source, target)


def _safe_filename(file: DistFile) -> str:
    """The file's name, refused if it could escape the destination folder."""
    name = file.filename
    if not name or name in {".", ".."} or "/" in name or "\\" in name or "\0" in name:
        raise DownloadError(f"{file.project}: refusing to write a file named {name!r}")
    return name


def _is_safe(file: DistFile) -> bool:
    try:
        _safe_filename(file)
    except DownloadError:
        return False
    return True


def _expected_digests(file: DistFile, user_hashes: Sequence[str]) -> dict[str, dict[str, str]]:
    """Per algorithm, the allowed digests and who says so (``its link`` or ``--hash``): the
    link's in every algorithm pip checks, the user's in the strong ones (pip's ``--hash``)."""
    expected: dict[str, dict[str, str]] = {}
    for algo in link_algorithms(file.hashes):
        expected.setdefault(algo, {})
    for algo, digest in file.hashes:
        if algo.lower() in expected:
            expected[algo.lower()][digest.lower()] = "its link"
    for text in user_hashes:
        algo, digest = parse_hash(text)
        if algo in STRONG:
            expected.setdefault(algo, {})[digest] = "--hash"
    return expected


def _problem(
    file: DistFile, expected: Mapping[str, Mapping[str, str]], digests: Mapping[str, str]
) -> HashMismatch | None:
    """The first disagreement between what was received and what is allowed, if any.

    Every digest the link gives must match exactly (:func:`tagpip.hashes.link_mismatch`);
    ``--hash`` values for an algorithm form an allowed set (pip's rule), so the file must match
    one of them.
    """
    wrong = link_mismatch(file.hashes, digests)
    if wrong is not None:
        algo, digest, got = wrong
        return HashMismatch.of_bytes(
            file.project, file.filename, "its link", [f"{algo}:{digest}"], f"{algo}:{got}"
        )
    for algo, allowed in sorted(expected.items()):
        user_allowed = sorted(d for d, who in allowed.items() if who == "--hash")
        if user_allowed and digests[algo] not in user_allowed:
            return HashMismatch.of_bytes(
                file.project,
                file.filename,
                "--hash",
                [f"{algo}:{d}" for d in user_allowed],
                f"{algo}:{digests[algo]}",
            )
    return None


def _hash_file(path: Path, expected: Mapping[str, object]) -> dict[str, str]:
    return file_digests(path, {*expected, "sha256"})
