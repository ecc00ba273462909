"""The package index client: simple-repository pages (PEP 691 JSON / PEP 503 HTML), find-links, PEP
658 metadata files, HTTP caching.

:class:`HttpIndex` is the one real :class:`Index`. Which index serves a project is uv's rule
(:mod:`tagpip.config.indexrules`): the named indexes, the extra index URLs, then the index URL, and
the first of them that knows the project serves all its versions (or each one's versions, under an
unsafe strategy, or only its pinned index's), with the find-links locations (folders, ``file://``
and HTTP pages) beside it; a project on several indexes is said in one note. Project pages are asked
for by content negotiation (JSON preferred) and kept parsed (:mod:`tagpip.index.pagecache`): used
without a request while the server's ``max-age`` says they are fresh, as uv does, else revalidated
(an ETag turns a repeat into a 304); ``--refresh`` revalidates every page, as pip always does. A
wheel's metadata comes from its PEP 658/714 metadata file when the index has one (checked against
the hash the page gave, and then kept under that hash: :mod:`tagpip.index.metacache`), else out of
the wheel itself: the zip's central directory and the METADATA member are read with HTTP range
requests when the server takes them, else the wheel is downloaded to a temporary file. requests and
urllib3 are imported only once a request is made (:mod:`tagpip.index.http`).

Credentials in configured URLs (``https://user:token@host/simple/``) are taken out of the URLs,
sent only to their own host, and never appear in a message: :func:`redact_url`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import functools
import hashlib
import io
import logging
import os
import re
import stat
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

from packaging.metadata import InvalidMetadata, Metadata, RawMetadata, parse_email
from packaging.utils import (
    NormalizedName,
    canonicalize_name,
)
from packaging.version import Version

from tagpip import cache
from tagpip.config import IndexOptions
from tagpip.index import metacache, pagecache
from tagpip.index.api import FilesReady, Index, MetadataReady
from tagpip.index.pages import (
    DistFile,
    Entry,
    Link,
    Ordered,
    Page,
    ProjectFiles,
    ProjectStatus,
    Source,
    most_severe,
    parse_html_page,
    parse_json_page,
    status_of,
)
from tagpip.index.transport import (
    BODY_PIECE,
    MAX_METADATA,
    FetchError,
    IndexError_,
    Transport,
    over_cap,
    request_of,
    transport_errors,
)
from tagpip.index.transport import what as _what
from tagpip.urls import redact_url

if TYPE_CHECKING:
    import requests


__all__ = [
    "ACCEPT",
    "DistFile",
    "FetchError",
    "HttpIndex",
    "Index",
    "IndexError_",
    "MetadataError",
    "PageError",
    "check_wheel_metadata",
    "parse_metadata",
    "redact_url",
]

logger = logging.getLogger(__name__)

# PEP 691 content negotiation, JSON preferred (pip sends the same).
ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.2, "
    "text/html; q=0.01"
)
_JSON_TYPES = ("application/vnd.pypi.simple.v1+json", "application/json")
_HTML_TYPES = ("application/vnd.pypi.simple.v1+html", "text/html")
_CHUNK = 64 * 1024
_TAIL = 64 * 1024  # first range request: the end of a wheel, where the central directory is


class PageError(IndexError_):
    """A project page or find-links page is not a valid simple-repository page."""


class MetadataError(IndexError_):
    """A file's metadata is unreadable, invalid, fails its hash, or disagrees with the file
    name."""

    def __init__(self, message: str, *, project: str, filename: str, hint: str | None = None):
        super().__init__(message, project=project, hint=hint)
        self.filename = filename


# -- URLs -------------------------------------------------------------------------------------


def _is_file_url(url: str) -> bool:
    return url.lower().startswith("file:")


def _open_regular(path: Path) -> IO[bytes]:
    """``path`` opened for reading, refused unless it is a regular file: a lock's ``path`` or
    a ``file:`` URL naming ``/dev/zero``, a FIFO or a terminal would otherwise be read
    forever (or block). Raises OSError."""
    # O_NONBLOCK: opening a FIFO must not wait for a writer (no effect on regular files).
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _url_to_path(url: str) -> Path:
    from urllib.request import url2pathname  # imports http.client: only for file: URLs

    return Path(url2pathname(urlsplit(url).path))


# -- metadata ------------------------------------------------------------------------------------

# Fields a resolver cannot do without: invalid values there are errors, elsewhere they are dropped.
_ESSENTIAL = ("name", "version", "requires_dist")


def parse_metadata(file: DistFile, data: bytes) -> Metadata:
    """Core metadata for ``file``, validated leniently (as pip is with real-world metadata):
    invalid optional fields are dropped, invalid essential ones (Name, Version, Requires-Dist)
    are errors; Name and Version must agree with the file name."""
    return _metadata_of(file, _lenient_raw(file, data))


def _metadata_error(file: DistFile, reason: str) -> MetadataError:
    return MetadataError(
        f"{file.project}: the metadata of {file.filename} {reason}",
        project=file.project,
        filename=file.filename,
    )


def _lenient_raw(file: DistFile, data: bytes) -> RawMetadata:
    """``data`` parsed, without the optional fields that do not validate: a pure function of
    ``data``, so :mod:`tagpip.index.metacache` keeps it beside the bytes."""
    try:
        raw, _unparsed = parse_email(data)
    except (ValueError, UnicodeError, LookupError) as error:
        raise _metadata_error(file, f"cannot be parsed: {error}") from None
    metadata = Metadata.from_raw(raw, validate=False)
    for key in sorted(set(raw) | {"name", "version"}):
        if key == "metadata_version":
            continue  # versions pip accepts (2.0, 3.x) packaging refuses; nothing depends on it
        try:
            getattr(metadata, key)
        except InvalidMetadata as error:
            if key in _ESSENTIAL:
                raise _metadata_error(file, f"is invalid: {error}") from None
            logger.debug("%s: ignoring invalid %s: %s", file.filename, key, error)
            raw.pop(key, None)  # type: ignore[misc]
    return raw


def _metadata_of(file: DistFile, raw: RawMetadata) -> Metadata:
    """Metadata out of what :func:`_lenient_raw` gave, checked to be ``file``'s."""
    metadata = Metadata.from_raw(raw, validate=False)
    fail = functools.partial(_metadata_error, file)
    if canonicalize_name(metadata.name) != file.project:
        raise fail(f"names the project {metadata.name!r}, but the file name says {file.project!r}")
    if metadata.version != file.version:
        raise fail(
            f"says version {str(metadata.version)!r}, but the file name says {str(file.version)!r}"
        )
    return metadata


def _kept_metadata(file: DistFile, raw: Any) -> Metadata:
    """Metadata from what :mod:`tagpip.index.metacache` kept for ``file``, with every field the
    resolver reads parsed now: a copy that is intact on disk but not what this tagpip keeps
    (another tagpip's, or damaged with its seal made again) must fail here, where it is a
    miss and fetched again, not later inside the resolver. Raises whatever parsing raises."""
    metadata = _metadata_of(file, raw)
    for field in ("requires_dist", "requires_python", "provides_extra", "dynamic"):
        getattr(metadata, field)
    return metadata


def _metadata_from_zip(file: DistFile, fileobj: IO[bytes]) -> bytes:
    """The ``*.dist-info/METADATA`` member of a wheel (the one matching its name if several)."""
    try:
        with zipfile.ZipFile(fileobj) as archive:
            candidates = []
            for info in archive.infolist():
                parts = info.filename.split("/")
                if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                    candidates.append(info)
            if not candidates:
                raise MetadataError(
                    f"{file.project}: {file.filename} has no .dist-info/METADATA",
                    project=file.project,
                    filename=file.filename,
                )
            wanted = [
                c
                for c in candidates
                if canonicalize_name(
                    c.filename.split("/")[0][: -len(".dist-info")].rpartition("-")[0]
                )
                == file.project
            ]
            member = (wanted or candidates)[0]
            if member.file_size > MAX_METADATA:
                raise MetadataError(
                    f"{file.project}: the METADATA of {file.filename} is {member.file_size} "
                    f"bytes uncompressed, larger than {over_cap('metadata', MAX_METADATA)}; "
                    "refusing it",
                    project=file.project,
                    filename=file.filename,
                )
            return archive.read(member)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as error:
        raise MetadataError(
            f"{file.project}: {file.filename} is not a valid wheel: {error}",
            project=file.project,
            filename=file.filename,
        ) from None


def _field_values(metadata: Metadata) -> dict[str, tuple[object, str]]:
    """The fields the index's metadata file and the wheel must agree on: per field, a value
    compared as pip compares it (names normalised, versions and specifiers by meaning,
    requirements as a set) and the text that shows it."""
    requires_dist = sorted({str(r) for r in metadata.requires_dist or ()})
    requires_python = metadata.requires_python
    return {
        "Name": (canonicalize_name(metadata.name), metadata.name),
        "Version": (metadata.version, str(metadata.version)),
        "Requires-Dist": (tuple(requires_dist), ", ".join(requires_dist) or "(none)"),
        "Requires-Python": (
            requires_python,
            str(requires_python) if requires_python is not None else "(none)",
        ),
    }


def check_wheel_metadata(file: DistFile, served: Metadata, wheel: Path) -> None:
    """Raise :class:`MetadataError` when the downloaded ``wheel``'s own METADATA disagrees with
    ``served``, the metadata the resolver used (the index's PEP 658 file): Name, Version,
    Requires-Dist or Requires-Python, as pip checks them. The resolution was made from the
    served copy, so a wheel that says otherwise would install something that was not
    resolved."""
    try:
        with wheel.open("rb") as handle:
            data = _metadata_from_zip(file, handle)
    except OSError as error:
        raise _metadata_error(file, f"cannot be read from {wheel}: {error}") from None
    own = _metadata_of(file, _lenient_raw(file, data))
    theirs, ours = _field_values(served), _field_values(own)
    for field in theirs:
        if theirs[field][0] != ours[field][0]:
            raise MetadataError(
                f"{file.project}: the metadata file the index serves for {file.filename} "
                f"disagrees with the wheel's own METADATA on {field}: the index says "
                f"{theirs[field][1]!r}, the wheel says {ours[field][1]!r}",
                project=file.project,
                filename=file.filename,
                hint="the index is inconsistent; nothing was written for this file (report it "
                "to the index's maintainers)",
            )


class _NoRanges(Exception):
    """The server stopped honouring range requests: read the whole file instead."""


class _RangeReader(io.RawIOBase):
    """A read-only, seekable view of a remote file that fetches only what is read, by HTTP
    range requests (pip's "lazy wheel"): enough for :mod:`zipfile` to read one member."""

    def __init__(self, fetch: Callable[[int, int], bytes], size: int, start: int, tail: bytes):
        super().__init__()
        self._fetch = fetch  # (first, last) inclusive -> exactly those bytes, or _NoRanges
        self._size = size
        self._pos = 0
        self._chunks: list[tuple[int, bytes]] = [(start, tail)]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        want = min(len(view), self._size - self._pos)
        if want <= 0:
            return 0
        data = self._read(self._pos, want)
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def _read(self, pos: int, length: int) -> bytes:
        for start, chunk in self._chunks:
            if start <= pos and pos + length <= start + len(chunk):
                return chunk[pos - start : pos - start + length]
        first = pos
        last = min(self._size, pos + max(length, _CHUNK)) - 1
        chunk = self._fetch(first, last)
        self._chunks.append((first, chunk))
        return chunk[:length]


_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


# -- the client ----------------------------------------------------------------------------------

T = TypeVar("T")


class HttpIndex(Index):
    """The real :class:`Index`: indexes, extra indexes and find-links as ``options`` says.

    ``workers`` bounds the background fetches (and sizes the connection pools). 16 by default: the
    fetches mostly wait for the network, so more of them in flight shorten a cold lock from a
    distant index (docs/performance.md); on 127.0.0.1 more threads only share the GIL. Use as a
    context manager, or call :meth:`close`, to stop the workers and close connections.
    """

    def __init__(
        self,
        options: IndexOptions,
        *,
        workers: int = 16,
        on_note: Callable[[str], None] | None = None,
    ) -> None:
        self.options = options
        self._workers = max(1, workers)
        self._transport = Transport(options, workers=self._workers)
        # uv's order (options.index_urls): named indexes, extra indexes, the default index.
        self._index_urls = [self._index_base(url) for url in options.index_urls]
        self._pinned = {
            NormalizedName(project): self._index_base(url)
            for project, url in options.pinned.items()
        }
        self._strategy = options.index_strategy
        self._find_links = [self._transport.bare(link) for link in options.find_links]
        self._on_note = on_note
        self._notes: dict[NormalizedName, str] = {}
        self._lock = threading.Lock()
        self._files: dict[NormalizedName, Future[ProjectFiles]] = {}
        self._metadata: dict[str, Future[Metadata]] = {}
        self._find_links_cache: dict[str, Future[list[Entry]]] = {}
        self._executor: ThreadPoolExecutor | None = None

    # -- life cycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop background fetches and close connections; the index is unusable afterwards."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        self._transport.close()

    def __enter__(self) -> HttpIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _cache_folder(self, name: str) -> Path | None:
        """The cache's folder ``name`` (``pages``: :mod:`tagpip.index.pagecache`, ``metadata``:
        :mod:`tagpip.index.metacache`); None without a cache."""
        return self._transport.cache_folder(name)

    @property
    def wheel_cache(self) -> Path | None:
        """The folder of the content-addressed wheel cache (see :mod:`tagpip.download.downloader`):
        the ``wheels`` folder in the cache folder; None with ``--no-cache-dir``."""
        options = self.options
        if options.no_cache or options.cache_dir is None:
            return None
        return Path(options.cache_dir, cache.WHEELS)

    # -- the Index protocol --------------------------------------------------------------------

    def files(self, project: NormalizedName) -> Sequence[DistFile]:
        return self.releases(project)

    def releases(self, project: NormalizedName) -> ProjectFiles:
        name = canonicalize_name(project)
        files = self._memo(self._files, name, lambda: self._collect(name)).result()
        if self._on_note is not None:
            # Said once, when the project is first demanded (not when only prefetched), and on
            # the caller's thread.
            with self._lock:
                note = self._notes.pop(name, None)
            if note is not None:
                self._on_note(note)
        return files

    def metadata(self, file: DistFile) -> Metadata:
        return self._memo(self._metadata, file.url, lambda: self._fetch_metadata(file)).result()

    def known_metadata(self, file: DistFile) -> Metadata | None:
        """The metadata this run already has for ``file`` from the index's own metadata file
        (PEP 658), if it has fetched it; None otherwise (nothing is fetched)."""
        if file.metadata_hashes is None or _is_file_url(file.url):
            return None
        with self._lock:
            future = self._metadata.get(file.url)
        if future is None or not future.done() or future.cancelled():
            return None
        if future.exception() is not None:
            return None
        return future.result()

    def prefetch(
        self,
        files: Sequence[DistFile],
        then: MetadataReady | None = None,
    ) -> None:
        """:meth:`Index.prefetch`: queued behind nothing the resolver demands (see :meth:`_memo`).
        ``then`` must not raise; if it does, the error is logged and dropped."""
        try:
            for file in files:
                if not file.is_wheel:
                    continue
                future = self._speculate(
                    self._metadata, file.url, functools.partial(self._fetch_metadata, file)
                )
                if then is not None:
                    future.add_done_callback(functools.partial(_call_then, then, file))
        except Exception:  # a failed prefetch only means metadata() fetches it itself
            logger.debug("prefetch failed", exc_info=True)

    def prefetch_projects(
        self,
        projects: Iterable[str],
        then: FilesReady | None = None,
    ) -> None:
        """:meth:`Index.prefetch_projects` (their pages on every source). An error is kept for
        :meth:`files` to raise; ``then`` is called as in :meth:`prefetch`."""
        try:
            for project in projects:
                name = canonicalize_name(project)
                future = self._speculate(self._files, name, functools.partial(self._collect, name))
                if then is not None:
                    future.add_done_callback(functools.partial(_call_then, then, name))
        except Exception:  # a failed prefetch only means files() fetches it itself
            logger.debug("prefetch failed", exc_info=True)

    def open(self, file: DistFile) -> AbstractContextManager[Iterator[bytes]]:
        return self._open(file)

    # -- collecting files ----------------------------------------------------------------------

    def _index_base(self, url: str) -> str:
        bare = self._transport.bare(url)
        return bare if bare.endswith("/") else bare + "/"

    def _collect(self, project: NormalizedName) -> ProjectFiles:
        """The project's files under the index rule (:mod:`tagpip.config.indexrules`): from its
        pinned index alone (no find-links, as uv), else from the indexes the strategy takes, with
        the find-links locations beside them. Every index is asked (as pip asks), so that a project
        on several can be said to be (:meth:`_note`)."""
        pinned = self._pinned.get(project)
        if pinned is not None:
            page = self._project_page(pinned, project)
            logger.debug("%s: from %s, the index it is pinned to", project, redact_url(pinned))
            if page is None:
                return ProjectFiles(project, [])
            return ProjectFiles(project, [page], status=self._status(pinned, page))
        found: list[tuple[str, Source]] = []
        for index_url in self._index_urls:
            page = self._project_page(index_url, project)
            if page is not None:
                found.append((index_url, page))
        links = [
            self._memo(
                self._find_links_cache, location, functools.partial(self._find_links_page, location)
            ).result()
            for location in self._find_links
        ]
        used = found[:1] if self._strategy == "first-index" else found
        files = ProjectFiles(
            project,
            [*(page for _, page in used), *links],
            indexes=len(used),
            index_order=self._strategy == "unsafe-first-match",
            # The serving index's word; under a strategy that mixes indexes, the gravest of
            # theirs (a quarantine on any of them is not outvoted by another's silence).
            status=most_severe(self._status(url, page) for url, page in used),
        )
        if len(found) > 1:
            note = self._note(project, found)
            if note is not None:
                with self._lock:
                    self._notes[project] = note
        return files

    @staticmethod
    def _status(index_url: str, page: Source) -> ProjectStatus:
        """The PEP 792 status ``page`` gives, said to come from ``index_url`` (redacted)."""
        status = status_of(page)
        return dataclasses.replace(status, index=redact_url(index_url))

    def _note(self, project: NormalizedName, found: Sequence[tuple[str, Source]]) -> str | None:
        """The one line that says a project is on several indexes and which serves it, when
        the others list versions the serving one does not (a mirror that lists the same ones
        changes nothing, and is only logged)."""
        versions = [set(ProjectFiles(project, [page]).versions()) for _, page in found]
        urls = [redact_url(url) for url, _ in found]
        first = versions[0]
        others = [
            f"{url} ({_some(sorted(vs - first, reverse=True))})"
            for url, vs in zip(urls[1:], versions[1:])
            if vs - first
        ]
        if not others:
            logger.debug("%s: on %s, with the same versions", project, ", ".join(urls))
            return None
        if self._strategy == "first-index":
            return (
                f"{project}: taking every version from {urls[0]}, the first index that has it; "
                f"also on {', '.join(others)}, left out by the first-index rule (to choose "
                "among all: --index-strategy unsafe-best-match; to pin it: --index-for)"
            )
        return (
            f"{project} is on several indexes: {urls[0]}, and {', '.join(others)}; "
            f"--index-strategy {self._strategy} takes versions from each (a version on several "
            "from the first), so a public index can shadow an internal project"
        )

    def _project_page(
        self, index_url: str, project: NormalizedName, *, stored_copy: bool = True
    ) -> Source | None:
        """The page of ``project`` on ``index_url``: a stored copy (with what fetches it
        anew should it not decode, :attr:`Ordered.refetch`) or the entries fetched now; with
        ``stored_copy`` false, fetched whole whatever is stored, and stored anew. None when
        the index does not know the project (HTTP 404, or no page in a ``file:`` index)."""
        url = urljoin(index_url, quote(project) + "/")
        if _is_file_url(url):
            page = _url_to_path(url) / "index.html"
            if not page.is_file():
                return None
            return self._parse_local_html(page, page.as_uri(), project=project)
        folder = self._cache_folder(cache.PAGES)
        stored = pagecache.load(folder, url) if folder is not None and stored_copy else None
        if stored is not None:
            anew = functools.partial(self._page_anew, index_url, project)
            stored = dataclasses.replace(
                stored, source=dataclasses.replace(stored.source, refetch=anew)
            )
        if stored is not None and stored.fresh and not self.options.refresh:
            return stored.source
        # Asked for, a page is current as of now: no proxy may answer with an older copy.
        headers = {"Accept": ACCEPT, "Cache-Control": "max-age=0"}
        if stored is not None:
            headers.update(stored.validators())
        # Pages skip the HTTP cache: the page cache keeps them, parsed.
        response = self._transport.get(
            self._transport.files, url, project=project, headers=headers, stream=True
        )
        with response:
            if response.status_code == 404:
                return None  # the index does not know the project
            fresh = pagecache.freshness(
                response.headers.get("Cache-Control"), response.headers.get("Age")
            )
            if response.status_code == 304 and stored is not None and folder is not None:
                pagecache.touch(folder, url, fresh)
                return stored.source
            self._transport.raise_for_status(response, url, project=project)
            html = _content_type(response) not in _JSON_TYPES
            body = self._transport.body(response, url, project)
            if folder is None:
                return self._parse_response(response, body, project=project)
            # Hashed once: to recognise the stored copy, or else to store this one.
            body_sha256 = hashlib.sha256(body).hexdigest()
            if stored is not None and stored.same_body(response.url, body_sha256, html=html):
                pagecache.touch(folder, url, fresh)
                return stored.source
            entries = self._parse_response(response, body, project=project)
            kept = pagecache.store(
                folder,
                url,
                project,
                response.url,
                entries,
                html=html,
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                fresh=fresh,
                body_sha256=body_sha256,
                status=entries.status,
            )
            # The kept copy is already grouped by version: handing it on spares grouping twice.
            if kept is None or not stored_copy:
                return entries
            anew = functools.partial(self._page_anew, index_url, project)
            return dataclasses.replace(kept.source, refetch=anew)

    def _page_anew(self, index_url: str, project: NormalizedName) -> Sequence[Entry]:
        """The page's entries fetched whole, for a stored copy that did not decode (it is
        stored anew, replacing that copy)."""
        logger.debug(
            "the stored page of %s on %s did not decode; fetching it anew", project, index_url
        )
        fresh = self._project_page(index_url, project, stored_copy=False)
        if fresh is None:
            return []  # gone from the index since it was stored
        assert not isinstance(fresh, Ordered)
        return fresh

    def _find_links_page(self, location: str) -> list[Entry]:
        what = f"find-links location {redact_url(location)}"
        if "://" not in location or _is_file_url(location):
            path = _url_to_path(location) if _is_file_url(location) else Path(location)
            path = path.expanduser()
            if path.is_dir():
                return [
                    Link(filename=p.name, url=p.resolve().as_uri())
                    for p in sorted(path.iterdir())
                    if p.is_file()
                ]
            if path.is_file():
                return self._parse_local_html(path, path.resolve().as_uri(), project=None)
            logger.debug("ignoring %s: no such file or folder", what)  # as pip does
            return []
        response = self._transport.get(
            self._transport.pages, location, project=None, headers={"Accept": "text/html"}
        )
        with response:
            self._transport.raise_for_status(response, location, project=None)
            return self._parse_response(
                response, self._transport.body(response, location, None), project=None
            )

    def _parse_local_html(self, path: Path, url: str, *, project: str | None) -> Page:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise PageError(
                f"{_what(project, url)}: cannot read {path}: {error}", project=project, url=url
            ) from None
        try:
            return parse_html_page(text, url)
        except ValueError as error:
            raise PageError(
                f"{_what(project, url)}: invalid HTML page {path}: {error}",
                project=project,
                url=url,
            ) from None

    def _parse_response(
        self, response: requests.Response, body: bytes, *, project: str | None
    ) -> Page:
        """The entries of a page ``response`` whose ``body`` was read (:meth:`_body`)."""
        url = response.url
        content_type = _content_type(response)
        what = _what(project, url)
        if content_type in _JSON_TYPES:
            kind = "JSON"
        elif content_type in _HTML_TYPES:
            kind = "HTML"
        else:
            raise PageError(
                f"{what}: the server sent {content_type or 'no Content-Type'}, "
                "not a simple-repository page (JSON or HTML)",
                project=project,
                url=url,
            )
        try:
            text = body.decode(_charset(response.headers.get("Content-Type", "")))
        except (UnicodeDecodeError, LookupError) as error:
            raise PageError(
                f"{what}: invalid {kind} page: {error}", project=project, url=url
            ) from None
        try:
            if kind == "JSON":
                entries = parse_json_page(text, url)
            else:
                entries = parse_html_page(text, url)
        except ValueError as error:
            raise PageError(
                f"{what}: invalid {kind} page: {error}", project=project, url=url
            ) from None
        # Rare: only then is every link looked at. The scheme in any case, as the pattern it
        # replaced ([Ff][Ii][Ll][Ee]:): lowering a copy and searching it is about five times
        # faster over a large page than that pattern (docs/performance.md, round 7).
        if b"file:" in body.lower():
            _refuse_local_links(entries, url, what, project)
        return entries

    # -- metadata ------------------------------------------------------------------------------

    def _fetch_metadata(self, file: DistFile) -> Metadata:
        if not file.is_wheel:
            raise MetadataError(
                f"{file.project}: {file.filename} is not a wheel; tagpip reads metadata only "
                "from wheels",
                project=file.project,
                filename=file.filename,
            )
        folder = None if _is_file_url(file.url) else self._cache_folder(cache.METADATA)
        kept = None
        if folder is not None:
            kept = metacache.key(file.url, file.metadata_hashes, file.hashes)
        if folder is not None and kept is not None:
            found = metacache.load(folder, kept)
            if found is not None and self._metadata_hash_problem(file, found[0]) is None:
                try:
                    return _kept_metadata(file, found[1])
                except Exception as error:  # not what this tagpip keeps: a miss, replaced below
                    logger.debug("ignoring the kept metadata of %s: %s", file.filename, error)
        # What the metadata cache keeps skips the HTTP cache: a second copy, slower to write.
        data = self._metadata_bytes(file, http_cache=kept is None)
        try:
            raw = _lenient_raw(file, data)
            metadata = _metadata_of(file, raw)
        except MetadataError:
            # A metadata file that does not parse must not be served again from the cache.
            if file.metadata_hashes is not None and not _is_file_url(file.url):
                self._forget(file.url + ".metadata")
            raise
        if folder is not None and kept is not None:
            metacache.store(folder, kept, data, raw)
        return metadata

    def _metadata_bytes(self, file: DistFile, *, http_cache: bool = True) -> bytes:
        if _is_file_url(file.url):
            path = _url_to_path(file.url)
            try:
                with _open_regular(path) as handle:
                    return _metadata_from_zip(file, handle)
            except OSError as error:
                raise MetadataError(
                    f"{file.project}: cannot read {path}: {error.strerror or error}",
                    project=file.project,
                    filename=file.filename,
                ) from None
        if file.metadata_hashes is not None:
            data = self._metadata_file(file, http_cache=http_cache)
            if data is not None:
                return data
        return self._metadata_from_remote_wheel(file)

    def _metadata_file(self, file: DistFile, *, http_cache: bool = True) -> bytes | None:
        """The PEP 658 metadata file, hash-checked; None when the index does not have it after
        all (a 404), so that the wheel itself is read instead.

        A copy that fails its hash is dropped from the HTTP cache and fetched once more from the
        server (the cached one may be stale, the page newer); a second failure is an error, and
        the bad copy is not kept.
        """
        url = file.url + ".metadata"
        session = self._transport.pages if http_cache else self._transport.files
        response = self._transport.get(session, url, project=file.project)
        with response:
            if response.status_code == 404:
                return None
            self._transport.raise_for_status(response, url, project=file.project)
            data = self._transport.body(response, url, file.project, metadata=True)
        if self._metadata_hash_problem(file, data) is None:
            return data
        self._forget(url)
        response = self._transport.get(
            session, url, project=file.project, headers={"Cache-Control": "no-cache"}
        )
        with response:
            if response.status_code == 404:
                return None
            self._transport.raise_for_status(response, url, project=file.project)
            data = self._transport.body(response, url, file.project, metadata=True)
        problem = self._metadata_hash_problem(file, data)
        if problem is not None:
            self._forget(url)
            raise problem
        return data

    def _forget(self, url: str) -> None:
        """Drop ``url`` from the HTTP cache, if there is one (a bad answer must not be reused)."""
        from tagpip.index import http

        try:
            http.forget(self._transport.pages, url)
        except Exception:  # a cache that cannot forget only costs a refetch next time
            logger.debug("could not drop %s from the cache", redact_url(url), exc_info=True)

    @staticmethod
    def _metadata_hash_problem(file: DistFile, data: bytes) -> MetadataError | None:
        for algo, expected in file.metadata_hashes or ():
            if algo not in hashlib.algorithms_guaranteed:
                continue
            got = hashlib.new(algo, data).hexdigest()
            if got != expected.lower():
                return MetadataError(
                    f"{file.project}: the metadata file of {file.filename} does not match the "
                    f"hash the index gave: expected {algo}:{expected}, got {algo}:{got}",
                    project=file.project,
                    filename=file.filename,
                    hint="the index is inconsistent or the response was tampered with",
                )
        return None

    def _metadata_from_remote_wheel(self, file: DistFile) -> bytes:
        headers = {"Range": f"bytes=-{_TAIL}", "Accept-Encoding": "identity"}
        response = self._transport.get(
            self._transport.files, file.url, project=file.project, headers=headers, stream=True
        )
        with response:
            if response.status_code == 206:
                match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
                if match is not None:
                    tail = self._transport.body(response, file.url, file.project, metadata=True)
                    size = int(match.group(3))
                    if len(tail) == int(match.group(2)) - int(match.group(1)) + 1:
                        reader = _RangeReader(
                            lambda first, last: self._range(file, first, last),
                            size,
                            int(match.group(1)),
                            tail,
                        )
                        try:
                            return _metadata_from_zip(file, reader)  # type: ignore[arg-type]
                        except _NoRanges:
                            pass
            elif response.status_code == 200:
                return self._metadata_from_download(file, response)
            elif response.status_code != 416:
                self._transport.raise_for_status(response, file.url, project=file.project)
        # Ranges refused or inconsistent: read the whole wheel.
        full = self._transport.get(
            self._transport.files,
            file.url,
            project=file.project,
            headers={"Accept-Encoding": "identity"},
            stream=True,
        )
        with full:
            self._transport.raise_for_status(full, file.url, project=file.project)
            return self._metadata_from_download(file, full)

    def _range(self, file: DistFile, first: int, last: int) -> bytes:
        headers = {"Range": f"bytes={first}-{last}", "Accept-Encoding": "identity"}
        response = self._transport.get(
            self._transport.files, file.url, project=file.project, headers=headers
        )
        with response:
            match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
            if response.status_code != 206 or match is None or int(match.group(1)) != first:
                raise _NoRanges
            data = self._transport.body(response, file.url, file.project, metadata=True)
        if len(data) != last - first + 1:
            raise _NoRanges
        return data

    def _metadata_from_download(self, file: DistFile, response: requests.Response) -> bytes:
        with tempfile.TemporaryFile() as temp:
            for chunk in self._chunks(response, file.url, file.project, size=file.size):
                temp.write(chunk)
            temp.seek(0)
            return _metadata_from_zip(file, temp)

    # -- downloading ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _open(self, file: DistFile) -> Iterator[Iterator[bytes]]:
        if _is_file_url(file.url):
            path = _url_to_path(file.url)
            try:
                handle = _open_regular(path)
            except OSError as error:
                raise FetchError(
                    f"{file.project}: cannot read {path}: {error.strerror or error}",
                    project=file.project,
                    url=file.url,
                ) from None
            with handle:
                yield iter(lambda: handle.read(_CHUNK), b"")
            return
        response = self._transport.get(
            self._transport.files,
            file.url,
            project=file.project,
            headers={"Accept-Encoding": "identity"},
            stream=True,
        )
        with response:
            self._transport.raise_for_status(response, file.url, project=file.project)
            yield self._chunks(response, file.url, file.project, size=file.size)

    def _chunks(
        self, response: requests.Response, url: str, project: str, *, size: int | None = None
    ) -> Iterator[bytes]:
        """The body as served, in pieces; stopped with an error the moment it is longer than
        the Content-Length or the ``size`` the index listed (checked before a byte is read
        when the Content-Length already says so), so no more than that is ever written."""
        limits = [(size, "the index lists")] if size is not None else []
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isdigit():
            limits.append((int(declared), "its Content-Length says"))
        for limit, who in limits:
            if declared.isdigit() and int(declared) > limit:
                raise self._too_long(url, project, int(declared), limit, who)
        done = 0
        request = request_of(response)  # its deadline moves on with every piece
        # decode_content=False: the bytes as served are the bytes the hashes are of (as pip).
        # Pieces of a megabyte, as in Transport.body (docs/performance.md).
        try:
            for piece in response.raw.stream(BODY_PIECE, decode_content=False):
                done += len(piece)
                if request is not None:
                    request.progress(len(piece))
                for limit, who in limits:
                    if done > limit:
                        raise self._too_long(url, project, done, limit, who)
                yield piece
        except transport_errors() as error:
            raise self._transport.fetch_error(error, url, project, request=request) from None

    def _too_long(self, url: str, project: str, got: int, limit: int, who: str) -> FetchError:
        return FetchError(
            f"{project}: {redact_url(url)} sends at least {got} bytes, more than the {limit} "
            f"{who}; the transfer was stopped",
            project=project,
            url=url,
            hint="the file on the server is not the one its index describes; nothing was kept",
        )

    def _speculate(
        self, cache: dict[Any, Future[T]], key: Any, compute: Callable[[], T]
    ) -> Future[T]:
        """The one future for ``key``, queued on the background workers (started on first use)
        when there is none yet. Until a worker takes it, it stays pending: a caller that demands
        it (:meth:`_memo`) claims it and computes it at once instead of waiting in the queue."""
        with self._lock:
            future = cache.get(key)
            if future is not None:
                return future
            future = Future()
            cache[key] = future
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    self._workers, thread_name_prefix="tagpip-index"
                )
            self._executor.submit(self._run_queued, future, compute)
        return future

    def _run_queued(self, future: Future[T], compute: Callable[[], T]) -> None:
        """A worker's turn at a queued future: nothing to do when a demand got there first."""
        with self._lock:
            claimed = _claim(future)
        if claimed:
            _settle(future, compute)

    def _memo(self, cache: dict[Any, Future[T]], key: Any, compute: Callable[[], T]) -> Future[T]:
        """The one future for ``key``, demanded now: computed here by the first caller (also when
        it is only queued as a prefetch, which then jumps the queue), awaited by the rest."""
        with self._lock:
            future = cache.get(key)
            if future is None:
                future = Future()
                cache[key] = future
            claimed = _claim(future)
        if claimed:
            _settle(future, compute)
        return future


def _some(versions: Sequence[Version]) -> str:
    """Up to three versions, then how many more."""
    shown = ", ".join(str(v) for v in versions[:3])
    return shown + (f" and {len(versions) - 3} more" if len(versions) > 3 else "")


def _claim(future: Future[Any]) -> bool:
    """Mark a pending future as being computed by the caller; False when someone already is (or
    it is done). Call with the index's lock held, so exactly one thread claims each future."""
    if future.running() or future.done():
        return False
    return future.set_running_or_notify_cancel()


def _settle(future: Future[T], compute: Callable[[], T]) -> None:
    try:
        future.set_result(compute())
    except BaseException as error:
        future.set_exception(error)


def _call_then(then: Callable[[Any, Any], None], key: Any, future: Future[Any]) -> None:
    if future.cancelled() or future.exception() is not None:
        return  # metadata() or files() raises it when the resolver asks
    try:
        then(key, future.result())
    except Exception:
        logger.debug("after prefetching %s", key, exc_info=True)


def _refuse_local_links(
    entries: Sequence[Entry], page_url: str, what: str, project: str | None
) -> None:
    """A page served over the network may not point at this machine's own files (``file:``
    links): tagpip would read, hash and copy a local path that the index chose."""
    for entry in entries:
        if isinstance(entry, Link):
            link = entry.url
        else:
            raw, base = entry
            link = urljoin(base, str(raw.get("url", "")).strip())
        if _is_file_url(link.strip()):
            raise PageError(
                f"{what}: refusing the file: link {link!r} on {redact_url(page_url)}: a remote "
                "page may not name files on this machine",
                project=project,
                url=page_url,
                hint="use --find-links with a local folder to install local files",
            )


def _content_type(response: requests.Response) -> str:
    """The media type of a response, lower-cased, without parameters."""
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _charset(content_type: str) -> str:
    """The charset a Content-Type names, else UTF-8 (not HTTP/1.1's ISO-8859-1 for text/*)."""
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"
