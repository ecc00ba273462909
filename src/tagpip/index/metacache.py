"""Wheels' core metadata kept between runs, under names that pin what the metadata is of.

Why not only the HTTP cache: how long a response may be cached is the server's say, and many
answers say nothing (this project's own machines reach PyPI through a proxy that drops every
caching header), while the metadata of a wheel whose hash the page states never changes. A run
that finds here the metadata it needs asks the server for nothing, and with the page cache's
fresh pages a repeat run sends no request at all.

What names a kept copy (:func:`key`):

* a PEP 658 metadata file's own strong hash from the page (sha256, sha384, sha512): the copy is
  the file the index means, and is checked against that hash when read;
* else the wheel's strong hash together with the URL it was read from: metadata read out of the
  wheel (range requests, which cannot check the wheel's hash) or from a metadata file the page
  gave no hash for. Keyed by the URL too, it is trusted exactly as an HTTP cache entry for that
  URL would be, and a wheel whose bytes do not match its hash still fails when it is downloaded.

Beside the bytes, a copy keeps what they parsed into (the fields tagpip keeps, see
:func:`tagpip.index.client.parse_metadata`), so a repeat run does not parse the same e-mail headers
again. A page that gives neither hash gets nothing kept. A digest that is not plain hex of its
algorithm's length never becomes part of a path (a hostile page must not pick where we write). Files
carry the sha256 of their contents and are written to a temporary name and renamed, so a damaged or
half-written copy is a miss, never wrong metadata. Each copy carries :data:`FORMAT`, the version of
what it parsed into: a copy another tagpip kept in another format is a miss, and
:mod:`tagpip.workflow.cachedir` sweeps it (as it sweeps pages of another format).
"""

from __future__ import annotations

import hashlib
import logging
import marshal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tagpip import sealed
from tagpip.hashes import HEX_LENGTHS, is_hex_digest
from tagpip.urls import strip_credentials

__all__ = ["FORMAT", "is_current", "key", "load", "store"]

# The version of a copy's parsed fields: raise it whenever index.parse_metadata keeps other
# fields or other shapes (1 was the unnumbered (bytes, parsed) pair).
FORMAT = 2

logger = logging.getLogger("tagpip.index.client")


def _strong(hashes: Sequence[tuple[str, str]] | None) -> tuple[str, str] | None:
    """The (algorithm, lower-case hex digest) of the first strong, well-formed hash."""
    found = {algo.lower(): digest.lower() for algo, digest in hashes or ()}
    for algo, length in HEX_LENGTHS.items():
        digest = found.get(algo)
        if digest is not None and is_hex_digest(digest, length):
            return algo, digest
    return None


def key(
    url: str,
    metadata_hashes: Sequence[tuple[str, str]] | None,
    hashes: Sequence[tuple[str, str]],
) -> str | None:
    """The name the metadata of the wheel at ``url`` is kept under (see the module's
    docstring), from the hashes its page gave; None when it must not be kept."""
    own = _strong(metadata_hashes)
    if own is not None:
        return f"{own[0]}-{own[1]}"
    wheel = _strong(hashes)
    if wheel is not None:
        # The URL without credentials (a direct link's user:token@): they are no part of what
        # the file is, and not even their digest belongs on disk.
        bare = strip_credentials(url)[0]
        pinned = hashlib.sha256(f"{bare}\0{wheel[0]}:{wheel[1]}".encode()).hexdigest()
        return f"wheel-{pinned}"
    return None


def _path(folder: Path, name: str) -> Path:
    digest = name.rpartition("-")[2]
    return folder / digest[:2] / name


def load(folder: Path, name: str) -> tuple[bytes, Any] | None:
    """The copy kept under ``name``: its bytes and what they parsed into; None when there is
    none, or it is damaged, or not what its name says."""
    found = sealed.read(_path(folder, name))
    if found is None:
        return None
    unpacked = _unpack(found[0])
    if isinstance(unpacked, str):
        logger.debug("ignoring the kept metadata %s: %s", name, unpacked)
        return None
    data, parsed = unpacked
    algo, _, expected = name.partition("-")
    if algo in HEX_LENGTHS and hashlib.new(algo, data).hexdigest() != expected:
        logger.debug("ignoring the kept metadata %s: not the file its hash names", name)
        return None
    return data, parsed


def _unpack(payload: bytes) -> tuple[bytes, Any] | str:
    """A sealed copy's bytes and parsed fields, or why it cannot be used."""
    try:
        record = marshal.loads(payload)
    except (EOFError, ValueError, TypeError) as error:
        return str(error)
    if not (isinstance(record, tuple) and len(record) == 3 and record[0] == FORMAT):
        return "kept in another format"
    if not isinstance(record[1], bytes):
        return "not bytes"
    return record[1], record[2]


def is_current(path: Path) -> bool:
    """Whether the file at ``path`` is an intact copy of :data:`FORMAT` (for
    :mod:`tagpip.workflow.cachedir`, which sweeps the others)."""
    found = sealed.read(path)
    return found is not None and not isinstance(_unpack(found[0]), str)


def store(folder: Path, name: str, data: bytes, parsed: Any) -> None:
    """Keep ``data`` (checked by the caller) and what it ``parsed`` into (plain values that
    :mod:`marshal` takes) under ``name``; never raises: a cache that cannot be written only
    costs the next run a request."""
    try:
        sealed.write(_path(folder, name), marshal.dumps((FORMAT, data, parsed)))
    except OSError as error:
        sealed.unwritable(folder, error)
    except ValueError as error:  # not marshallable
        logger.debug("could not keep the metadata %s: %s", name, error)
