"""Project pages kept between runs, already split by version.

Why not only the HTTP cache: an unchanged page came back out of CacheControl's cache whole and was
decoded again, the largest part of a warm ``tagpip lock`` of a large set (docs/performance.md). Here
a page is stored as its groups of files, each group's entries marshalled on their own, with its
versions already in order (:class:`tagpip.index.pages.Ordered`), so a run reads only the small outer
record, parses versions only as far as the resolver looks, and decodes the few groups it asks for.

When a stored page may be used follows HTTP caching (RFC 9111) as uv does, not pip's "always
revalidate": while the page is fresh (younger than the ``max-age`` the server gave it, minus the
``Age`` a proxy reported) it is used without asking the server; after that, or always with
``--refresh``, it is used only once the server answers ``304 Not Modified`` to its validators
(``ETag``, ``Last-Modified``), and that answer makes it fresh again. A page the server marked
``no-store`` is not stored; ``no-cache`` (or no ``max-age``) means revalidate every time. A
stored page's modification time is the moment its freshness is counted from.

A page is also recognised by its content: each stored page records the sha256 of the body it
was parsed from, and a full response with the very same bytes (a server that gives no validators,
as PyPI's answers arrive on this project's machines) is not parsed again.

Files are written to a temporary name and renamed, so concurrent runs never see half of one, and
carry the sha256 of their contents, so a damaged one is a miss as a whole (its groups are decoded
later, when it is too late to refetch).

A file is its record (:func:`pack`: validators, versions, the size and sha256 of each group) and
then its groups' bytes. A run keeps only the record: a group is read again from the file when its
version's files are first built (:class:`tagpip.index.pages.StoredChunks`), and one that does
not read back as it was written is a copy that does not decode (the page is read anew).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import marshal
import os
import re
import struct
import time
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName

from tagpip import sealed
from tagpip.index.pages import ACTIVE, Entry, Ordered, ProjectStatus, StoredChunks

__all__ = [
    "Freshness",
    "StoredPage",
    "freshness",
    "is_current",
    "load",
    "pack",
    "store",
    "touch",
    "unpack",
]

logger = logging.getLogger("tagpip.index.client")

# Bump when the layout changes; older files are then misses (and replaced when next stored).
# 5: an HTML page's links keep every digest of their URL fragment (#md5=...&sha256=...), not
# only the first. 6: the page's PEP 792 project status (marker and reason) is kept. 7: the
# groups follow the record, which gives their sizes and digests (:func:`pack`).
FORMAT = 7

# The length of the marshalled record at the start of a file's contents.
_RECORD_LENGTH = struct.Struct(">I")

# A Cache-Control list element (a directive, its value possibly quoted and holding commas).
_ELEMENT = re.compile(r'(?:[^,"]|"[^"]*")+')
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


@dataclass(frozen=True)
class StoredPage:
    """A page as stored: its files ordered by version (``source``: where the page was, its
    groups), its validators, and whether it was still fresh when loaded."""

    source: Ordered
    etag: str | None
    last_modified: str | None
    fresh: bool = False
    body: str = ""  # the sha256 of the response body the page was parsed from

    def same_body(self, page_url: str, body_sha256: str, *, html: bool) -> bool:
        """Whether a full response for this page (from ``page_url``, of the kind ``html``, its
        body's hex sha256 ``body_sha256``) carries exactly the body this copy was parsed from."""
        source = self.source
        return source.page_url == page_url and source.html == html and body_sha256 == self.body

    def validators(self) -> dict[str, str]:
        """The conditional request headers that ask the server whether this copy is current."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class Freshness:
    """What a response's caching headers say: fresh for ``max_age`` seconds (0: revalidate
    before any use) from ``age`` seconds ago (a proxy's ``Age``)."""

    max_age: float
    age: float = 0.0


def freshness(cache_control: str | None, age: str | None) -> Freshness | None:
    """The freshness of a response with these ``Cache-Control`` and ``Age`` headers; None when
    it must not be stored (``no-store``). A header that does not parse means revalidate."""
    directives: dict[str, str] = {}
    for element in _ELEMENT.findall(cache_control or ""):
        name, _, value = element.partition("=")
        name = name.strip()
        if not name:
            continue
        if not _TOKEN.fullmatch(name):
            return Freshness(0.0)
        directives[name.lower()] = value.strip().strip('"')
    if "no-store" in directives:
        return None
    if "no-cache" in directives or "max-age" not in directives:
        return Freshness(0.0)
    try:
        return Freshness(float(max(0, int(directives["max-age"]))), float(max(0, int(age or 0))))
    except ValueError:
        return Freshness(0.0)


def _path(folder: Path, url: str) -> Path:
    digest = hashlib.sha256(url.encode()).hexdigest()
    return folder / digest[:2] / f"{digest}.page"


def pack(record: dict[str, object]) -> bytes:
    """A page's ``record`` (its ``chunks`` a list of bytes) as a file's contents: the length of
    the marshalled record, the record with each chunk's size (``sizes``) and sha256 (``digests``,
    one after the other) in place of the chunks, then the chunks."""
    chunks = record["chunks"]
    if not isinstance(chunks, list):
        raise TypeError("a page's chunks are a list of bytes")
    return _packed(record, chunks, b"".join(hashlib.sha256(c).digest() for c in chunks))[0]


def _packed(
    record: dict[str, object], chunks: Sequence[bytes], digests: bytes
) -> tuple[bytes, int]:
    """:func:`pack`, given the chunks' digests; and where the chunks start in what it gives."""
    header = {key: value for key, value in record.items() if key != "chunks"}
    header["sizes"] = [len(chunk) for chunk in chunks]
    header["digests"] = digests
    head = marshal.dumps(header)
    start = _RECORD_LENGTH.size + len(head)
    return b"".join([_RECORD_LENGTH.pack(len(head)), head, *chunks]), start


def _header(payload: bytes) -> tuple[dict[str, Any], int, list[int], bytes] | None:
    """The record at the start of a file's contents, where its chunks start (in the contents),
    their sizes and digests; None when it is not a record of :data:`FORMAT` whose chunks fill
    the rest."""
    try:
        (length,) = _RECORD_LENGTH.unpack_from(payload)
        start = _RECORD_LENGTH.size + length
        record = marshal.loads(memoryview(payload)[_RECORD_LENGTH.size : start])
    except (struct.error, EOFError, ValueError, TypeError):
        return None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        return None
    sizes, digests = record.get("sizes"), record.get("digests")
    if not (
        isinstance(sizes, list)
        and all(isinstance(n, int) and n >= 0 for n in sizes)
        and isinstance(digests, bytes)
        and len(digests) == 32 * len(sizes)
        and start + sum(sizes) == len(payload)
    ):
        return None
    return record, start, sizes, digests


def unpack(payload: bytes) -> dict[str, object] | None:
    """A file's contents as the record :func:`pack` was given (its ``chunks`` back in it), or
    None when they are not a page of :data:`FORMAT`."""
    found = _header(payload)
    if found is None:
        return None
    record, start, sizes, _digests = found
    chunks = []
    for size in sizes:
        chunks.append(payload[start : start + size])
        start += size
    del record["sizes"], record["digests"]
    record["chunks"] = chunks
    return record


def is_current(path: Path) -> bool:
    """Whether the file at ``path`` is a stored page this version of tagpip reads: intact and
    of :data:`FORMAT` (for :mod:`tagpip.workflow.cachedir`, which sweeps the others)."""
    found = sealed.read(path)
    return found is not None and _header(found[0]) is not None


def _stored_chunks(path: Path, start: int, sizes: Sequence[int], digests: bytes) -> StoredChunks:
    """The chunks of the file at ``path``, whose contents' chunks start at ``start``."""
    starts = array("q")
    offset = sealed.SEAL + start
    for size in sizes:
        starts.append(offset)
        offset += size
    return StoredChunks(path, starts, array("q", sizes), digests)


def load(folder: Path, url: str) -> StoredPage | None:
    """The stored copy of the page at ``url``, or None (none, or not readable as one)."""
    path = _path(folder, url)
    found = sealed.read(path)
    if found is None:
        return None
    payload, counted_from = found
    try:
        header = _header(payload)
        if header is None:
            return None
        record, start, sizes, digests = header
        if record["url"] != url:
            return None
        # Intact (the digest), but perhaps not what this module wrote (another version of
        # tagpip, a bug): the shape is checked here, cheaply, so that a copy that would decode
        # wrongly later is a miss now, refetched; a chunk's entries are checked when decoded.
        order = record["order"]
        count = len(sizes)
        if not isinstance(order, list) or not all(
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], str)
            and isinstance(item[1], list)
            and all(isinstance(n, int) and 0 <= n < count for n in item[1])
            for item in order
        ):
            raise TypeError("the order of versions is malformed")
        kept_status = record["status"]
        if kept_status is None:
            status = ACTIVE
        elif isinstance(kept_status, list) and len(kept_status) == 2:
            status = ProjectStatus.of(kept_status[0], kept_status[1])
        else:
            raise TypeError("the project status is malformed")
        # The chunks stay in the file (read again when asked for): only the record is kept.
        chunks = _stored_chunks(path, start, sizes, digests)
        source = Ordered(
            str(record["page_url"]), bool(record["html"]), chunks, order, status=status
        )
        etag, modified = record["etag"], record["last_modified"]
        age = time.time() - counted_from
        return StoredPage(
            source,
            str(etag) if etag else None,
            str(modified) if modified else None,
            fresh=0 <= age < float(record["max_age"]),
            body=str(record["body"]),
        )
    except (ValueError, TypeError, KeyError, EOFError) as error:
        logger.debug("ignoring the stored page of %s: %s", url, error)
        return None


def store(
    folder: Path,
    url: str,
    project: NormalizedName,
    page_url: str,
    entries: Sequence[Entry],
    *,
    html: bool,
    etag: str | None,
    last_modified: str | None,
    fresh: Freshness | None = Freshness(0.0),
    body_sha256: str = "",
    status: ProjectStatus = ACTIVE,
) -> StoredPage | None:
    """Keep the page's ``entries`` and PEP 792 ``status``, parsed from a body whose hex sha256
    is ``body_sha256``, for the next run, with the :func:`freshness` its response gave (None:
    not at all, ``no-store``); never raises: a cache that cannot be written only costs the
    next run a full page."""
    if fresh is None:
        return None
    source = Ordered.of(project, entries, page_url, html=html, status=status)
    record = {
        "format": FORMAT,
        "url": url,
        "page_url": page_url,
        "html": html,
        "etag": etag,
        "last_modified": last_modified,
        "max_age": fresh.max_age,
        "body": body_sha256,
        "status": None if status.active else [status.state, status.reason],
        "order": [[text, list(positions)] for text, positions in source.order],
    }
    path = _path(folder, url)
    chunks = source.chunks
    digests = b"".join(hashlib.sha256(chunk).digest() for chunk in chunks)
    payload, start = _packed(record, chunks, digests)
    try:
        sealed.write(path, payload, before=functools.partial(_count_from, age=fresh.age))
    except OSError as error:
        sealed.unwritable(folder, error)
        return StoredPage(source, etag, last_modified, body=body_sha256)
    # Stored: from here on its chunks are read from the file, as a stored page's are (the
    # bytes built here are let go of).
    on_disk = _stored_chunks(path, start, [len(chunk) for chunk in chunks], digests)
    return StoredPage(
        dataclasses.replace(source, chunks=on_disk), etag, last_modified, body=body_sha256
    )


def touch(folder: Path, url: str, fresh: Freshness | None) -> None:
    """The server said the stored page is current (a 304 with :func:`freshness` ``fresh``):
    count its freshness from now again, or, when the 304 says to revalidate every time, make
    it stale. Never raises."""
    try:
        if fresh is None or fresh.max_age <= 0:
            os.utime(_path(folder, url), (0, 0))
        else:
            _count_from(_path(folder, url), fresh.age)
    except FileNotFoundError:
        pass  # not stored after all (no-store, or a cache that could not take it)
    except OSError as error:
        sealed.unwritable(folder, error)


def _count_from(path: Path | str, age: float) -> None:
    """Date the file ``age`` seconds back from now: freshness is counted from its mtime."""
    now = time.time()
    os.utime(path, (now, now - age))
