"""The network side of the index: sessions, credentials, trusted hosts, one GET with its checks,
bounded bodies, and the errors a request ends in.

:class:`tagpip.index.client.HttpIndex` knows what to fetch (pages, metadata files, wheels) and what
it means; :class:`Transport` only knows how to fetch safely, the way pip splits ``network/`` from
``index/``. The HTTP stack (requests, urllib3, the HTTP cache) lives in :mod:`tagpip.index.http` and
is imported only once a request is made, so a run that reads only local files never loads it.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tagpip import __version__, cache
from tagpip.config import IndexOptions
from tagpip.errors import TagpipError
from tagpip.urls import netloc_key, redact_url, scrub, strip_credentials

if TYPE_CHECKING:
    import requests

    from tagpip.index import http, inflight

__all__ = [
    "MAX_METADATA",
    "MAX_PAGE",
    "FetchError",
    "IndexError_",
    "Transport",
    "is_loopback",
    "over_cap",
    "request_of",
    "transport_errors",
    "what",
]

# Bodies (pages, wheels) are read a megabyte at a time: see Transport.body.
BODY_PIECE = 1024 * 1024
# The most tagpip reads whole into memory from one response, once decoded (gzip): a body past
# it is an error that names the cap, never a truncated page. Each is set from what real
# projects need, measured with bench/metadata_sizes.py over the 300 most downloaded projects on
# PyPI and a few known for long descriptions (docs/reliability.md has the run): the largest
# JSON page was 6.9 MB (pydantic-core; median 66 KB), the largest METADATA 161 KB (types-boto3;
# median 6.4 KB). The caps leave room for pages 35 times and METADATA 400 times larger than
# that, and still stop a compressed bomb long before memory runs out: at most 16 fetches at a
# time each hold one body (4 GB at worst for pages, 1 GB for metadata). pip has no such caps
# (a bomb exhausts its memory); these refuse nothing a real index serves.
MAX_PAGE = 256 * 1024 * 1024
MAX_METADATA = 64 * 1024 * 1024
# What each cap is on, and the largest real one measured, for the message that names it.
_CAPS = {
    "page": ("an index page", "6.9 MB"),
    "metadata": ("a METADATA file", "161 KB"),
}

_DOWNGRADE = "the original request was https, the redirect is plain http"


class IndexError_(TagpipError):
    """The index could not be read, or what it served is invalid; names the project and cause."""

    def __init__(
        self,
        message: str,
        *,
        project: str | None = None,
        url: str | None = None,
        hint: str | None = None,
    ):
        super().__init__(message, hint=hint)
        self.project = project
        self.url = redact_url(url) if url is not None else None


class FetchError(IndexError_):
    """A request failed: an HTTP error status (``status``), a timeout, no connection, TLS."""

    def __init__(
        self,
        message: str,
        *,
        project: str | None = None,
        url: str | None = None,
        status: int | None = None,
        hint: str | None = None,
    ):
        super().__init__(message, project=project, url=url, hint=hint)
        self.status = status


def over_cap(kind: str, limit: int) -> str:
    """The cap that was hit, in words: ``64 MB once decoded, tagpip's cap on a METADATA file
    (the largest measured on PyPI: 161 KB)``; ``kind`` is ``page`` or ``metadata``."""
    thing, largest = _CAPS[kind]
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
    return (
        f"{size} once decoded, tagpip's cap on {thing} (the largest on PyPI's most "
        f"downloaded projects is {largest})"
    )


_REQUEST = "_tagpip_request"


def _track(response: requests.Response, request: inflight.Request) -> None:
    """Tie the request in flight to its response: it ends (no deadline, no sockets) when the
    response is closed, as every caller does (``with response:``)."""
    from tagpip.index import inflight

    setattr(response, _REQUEST, request)
    close = response.close

    def closing() -> None:
        inflight.end(request)
        close()

    response.close = closing  # type: ignore[method-assign]


def request_of(response: requests.Response) -> inflight.Request | None:
    """The request in flight a response of :meth:`Transport.get` belongs to: its body's
    readers report progress to it (see :mod:`tagpip.index.inflight`)."""
    found = getattr(response, _REQUEST, None)
    from tagpip.index import inflight

    return found if isinstance(found, inflight.Request) else None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (plain http to it needs no ``--trusted-host``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def what(project: str | None, url: str) -> str:
    """How a message names what was being fetched: the project, else the find-links page."""
    return project if project is not None else f"find-links {redact_url(url)}"


def transport_errors() -> tuple[type[BaseException], ...]:
    """What a request or reading its body raises when the transport fails (evaluated only once
    an exception is being matched, so the HTTP stack stays unimported until a request is
    made)."""
    from tagpip.index import http

    return http.TRANSPORT_ERRORS


class Transport:
    """The sessions of one index configuration and the checked GET every fetch goes through.

    Credentials given in index and find-links URLs are kept here (by host), out of every URL
    that requests, the HTTP cache and messages see. Thread-safe: the index's workers share it.
    """

    def __init__(self, options: IndexOptions, *, workers: int) -> None:
        self.options = options
        self._workers = workers
        self._credentials: dict[str, tuple[str, str]] = {}
        self._trusted = {h.lower() for h in options.trusted_hosts}
        # The sessions are made on first use (see tagpip.index.http for why).
        self._sessions: dict[bool, requests.Session] = {}
        self._auth: http.HostAuth | None = None
        self._lock = threading.Lock()

    def bare(self, url: str) -> str:
        """``url`` without its credentials, which are kept for its host."""
        bare, found = strip_credentials(url)
        if found is not None:
            self._credentials[netloc_key(bare)] = found
        return bare

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()

    def cache_folder(self, name: str) -> Path | None:
        """The cache's folder ``name``; None without a cache."""
        options = self.options
        if options.no_cache or options.cache_dir is None:
            return None
        return Path(options.cache_dir, name)

    @property
    def pages(self) -> requests.Session:
        """The session for metadata files and find-links pages: HTTP-cached when the cache is
        on."""
        return self._session(cached=True)

    @property
    def files(self) -> requests.Session:
        """The session for files and project pages: never HTTP-cached (files are kept by hash
        by the downloader, pages by :mod:`tagpip.index.pagecache`)."""
        return self._session(cached=False)

    def _session(self, *, cached: bool) -> requests.Session:
        with self._lock:
            session = self._sessions.get(cached)
            if session is None:
                from tagpip.index import http

                if self._auth is None:  # the first session: what both share
                    http.silence_trusted_hosts(self._trusted)
                    self._auth = http.HostAuth(self._credentials)
                session = http.make_session(
                    user_agent=f"tagpip/{__version__}",
                    retries=self.options.retries,
                    pool_size=max(10, self._workers * 2),
                    proxy=self.options.proxy,
                    auth=self._auth,
                    http_cache=self.cache_folder(cache.HTTP) if cached else None,
                    redirect_check=self.redirect_problem,
                )
                self._sessions[cached] = session
            return session

    def host_trusted(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        return host in self._trusted or (
            parts.port is not None and f"{host}:{parts.port}" in self._trusted
        )

    def get(
        self,
        session: requests.Session,
        url: str,
        *,
        project: str | None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        parts = urlsplit(url)
        trusted = self.host_trusted(url)
        if parts.scheme == "http" and not trusted and not is_loopback(parts.hostname or ""):
            raise FetchError(
                f"{what(project, url)}: {parts.hostname} is not a trusted or secure host "
                "(plain http)",
                project=project,
                url=url,
                hint=f"use https, or pass --trusted-host {parts.hostname} if you trust it",
            )
        if parts.scheme not in ("http", "https"):
            raise FetchError(
                f"{what(project, url)}: unsupported URL scheme {parts.scheme!r}",
                project=project,
                url=url,
            )
        options = self.options
        verify: bool | str = False if trusted else (options.cert or True)
        # Credentials in the URL itself (a direct link, ``name @ https://user:token@host/...``):
        # sent as Basic auth to that host for this request, and kept out of the URL that
        # requests, the HTTP cache and any message see.
        bare, found = strip_credentials(url)
        from tagpip.index import inflight

        try:
            request = inflight.begin(options.timeout)
        except inflight.Interrupted:
            raise self._interrupted(url, project) from None
        try:
            with inflight.current(request):
                response = session.get(
                    bare,
                    headers=dict(headers or {}),
                    stream=stream,
                    timeout=options.timeout,
                    verify=verify,
                    cert=options.client_cert,
                    auth=found,
                )
        except BaseException as error:
            inflight.end(request)
            raise self._request_error(error, url, project, request) from None
        _track(response, request)
        return response

    def _request_error(
        self, error: BaseException, url: str, project: str | None, request: inflight.Request
    ) -> BaseException:
        """What a failed ``session.get`` raises, in tagpip's words where it has them."""
        from tagpip.index import http, inflight

        if isinstance(error, http.InsecureRedirect):
            return self._insecure_redirect(error, url, project)
        if isinstance(error, (inflight.DeadlinePassed, inflight.Interrupted, *transport_errors())):
            return self.fetch_error(error, url, project, request=request)
        return error

    def _insecure_redirect(
        self, error: http.InsecureRedirect, url: str, project: str | None
    ) -> FetchError:
        return FetchError(
            f"{what(project, url)}: refusing a redirect from {error.source} to "
            f"{error.location}: {error.reason}",
            project=project,
            url=url,
            hint=(
                "a request made over https never continues over plain http"
                if error.reason.startswith(_DOWNGRADE)
                else f"pass --trusted-host {urlsplit(error.location).hostname} if you trust it"
            ),
        )

    def redirect_problem(self, source: str, location: str) -> str | None:
        """Why a redirect from ``source`` to ``location`` must not be followed (None: it may).

        The rule of ``-i http://``, for every hop: plain http only to a loopback or
        ``--trusted-host`` host, and never once the request was made over https (a downgrade
        would expose what https protects: the credentials, the bytes). Other schemes are
        refused by requests itself."""
        target = urlsplit(location)
        if target.scheme != "http":
            return None
        if urlsplit(source).scheme == "https":
            return _DOWNGRADE
        host = target.hostname or ""
        if not self.host_trusted(location) and not is_loopback(host):
            return f"{host} is not a trusted or secure host (plain http)"
        return None

    def body(
        self,
        response: requests.Response,
        url: str,
        project: str | None,
        *,
        metadata: bool = False,
    ) -> bytes:
        """The whole body, decoded, refused as soon as it grows past :data:`MAX_PAGE` bytes
        (:data:`MAX_METADATA` for a ``metadata`` file): a gzip bomb ends here, not when memory
        runs out. One that was not read
        yet (``stream=True``) is read a megabyte at a time: requests reads 10 KB at a time, and
        between two reads the fetching thread waits its turn for the GIL behind the threads
        that parse other pages, so in a cold lock the big pages (2-7 MB) took several times as
        long to read as alone."""
        limit = MAX_METADATA if metadata else MAX_PAGE
        pieces: list[bytes] = []
        total = 0
        request = request_of(response)
        try:
            for piece in response.iter_content(BODY_PIECE):
                total += len(piece)
                if request is not None:
                    request.progress(len(piece))
                if total > limit:
                    raise FetchError(
                        f"{what(project, url)}: the response from {redact_url(url)} is "
                        f"larger than {over_cap('metadata' if metadata else 'page', limit)}; "
                        "refusing it",
                        project=project,
                        url=url,
                        hint="the server sent far more than any real index page or metadata "
                        "file holds (a compressed bomb, or the wrong URL)",
                    )
                pieces.append(piece)
        except transport_errors() as error:
            raise self.fetch_error(error, url, project, request=request) from None
        return b"".join(pieces)

    def _deadline_error(
        self, request: inflight.Request, url: str, project: str | None
    ) -> FetchError:
        from tagpip.index import inflight

        timeout = self.options.timeout
        return FetchError(
            f"{what(project, url)}: gave up on {redact_url(url)} after {request.allowed:.0f}s: "
            "the server kept the request going too slowly to finish",
            project=project,
            url=url,
            hint=f"a request may take {inflight.FACTOR} times --timeout ({timeout:g}s), plus "
            f"a second for every {inflight.FLOOR // 1024} KB it receives; raise --timeout "
            "for a slow link",
        )

    def _interrupted(self, url: str, project: str | None) -> FetchError:
        return FetchError(f"{what(project, url)}: interrupted", project=project, url=url)

    def raise_for_status(
        self, response: requests.Response, url: str, *, project: str | None
    ) -> None:
        status = response.status_code
        if status < 400:
            return
        reason = response.reason or ""
        hint = None
        if status in (401, 403):
            hint = "check the credentials for this index (user:token@ in the URL, or ~/.netrc)"
        raise FetchError(
            f"{what(project, url)}: HTTP {status} {reason}".rstrip() + f" from {redact_url(url)}",
            project=project,
            url=url,
            status=status,
            hint=hint,
        )

    def fetch_error(
        self,
        error: BaseException,
        url: str,
        project: str | None,
        *,
        request: inflight.Request | None = None,
    ) -> FetchError:
        """A failed request or body in words. ``request`` (the request in flight, from
        :func:`request_of`) tells a read that failed because its deadline passed, or because
        the run was interrupted, from the transport's own failures."""
        from tagpip.index import http, inflight

        if request is not None and (request.expired or isinstance(error, inflight.DeadlinePassed)):
            return self._deadline_error(request, url, project)
        if isinstance(error, inflight.Interrupted) or inflight.aborted():
            return self._interrupted(url, project)
        cause, hint = http.describe_error(error, self.options.timeout)
        return FetchError(
            f"{what(project, url)}: {scrub(cause)}: {redact_url(url)}",
            project=project,
            url=url,
            hint=hint,
        )
