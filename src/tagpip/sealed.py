"""Cache files that carry the sha256 of their own contents, written whole or not at all.

Part of the index stage, shared by :mod:`tagpip.index.pagecache` and :mod:`tagpip.index.metacache`.
A file is written to a temporary name beside its place and renamed, so a concurrent run never reads
half of one; its first 32 bytes are the sha256 of the rest, so a damaged or truncated file reads as
no file rather than as wrong contents.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from tagpip import fs

__all__ = ["SEAL", "read", "unwritable", "write"]

logger = logging.getLogger("tagpip.index.client")

# The length of the seal before a file's contents: a place in the contents is this much further
# into the file (tagpip.index.pagecache reads parts of a file again).
SEAL = 32

_warned: set[str] = set()
_warned_lock = threading.Lock()


def unwritable(folder: Path, error: OSError) -> None:
    """Say, once per cache and process, that the cache holding ``folder`` (one of its
    ``pages``, ``metadata``, ``http``, ``wheels`` folders) cannot be written, and that the run
    goes on without it; later failures there are logged at debug level only. A cache never
    fails a run (docs/reliability.md)."""
    root = str(folder.parent)
    with _warned_lock:
        first = root not in _warned
        _warned.add(root)
    cause = error.strerror or str(error) or type(error).__name__
    if first:
        logger.warning(
            "warning: the cache %s cannot be written (%s); going on without storing in it",
            root,
            cause,
        )
    else:
        logger.debug("cache %s: %s", folder, cause)


def read(path: Path) -> tuple[bytes, float] | None:
    """The contents of the sealed file at ``path`` and its modification time (read from the
    file that was opened, so a rename meanwhile cannot mix two files); None when there is no
    such file, or it is empty, damaged or cut short."""
    try:
        with path.open("rb") as stream:
            modified = os.fstat(stream.fileno()).st_mtime
            data = stream.read()
    except OSError:
        return None
    digest, payload = data[:SEAL], data[SEAL:]
    if len(digest) < SEAL or hashlib.sha256(payload).digest() != digest:
        if data:
            logger.debug("ignoring a damaged cache file: %s", path)
        return None
    return payload, modified


def write(path: Path, payload: bytes, *, before: Callable[[str], None] | None = None) -> None:
    """Write ``payload`` sealed to ``path``; ``before`` is called with the finished temporary
    file's name just before it is renamed into place. Raises OSError (and nothing is left)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # ``.tmp-``: the prefix the cache sweep (tagpip.workflow.cachedir) removes when a run left one.
    with fs.atomic_write(
        path,
        prefix=".tmp-",
        suffix="",
        mode=None,
        before=None if before is None else (lambda temp: before(os.fspath(temp))),
    ) as stream:
        stream.write(hashlib.sha256(payload).digest())
        stream.write(payload)
