"""The HTTP layer of the index client: requests sessions as tagpip configures them, and what a
failed request means in words.

Part of the index stage (:mod:`tagpip.index.client` is its only user). It is a module of its own so
that requests, urllib3 and CacheControl are imported only by a run that sends a request: a repeat
run whose pages are still fresh in the page cache and whose metadata is in the metadata cache makes
none, and importing that stack is a large part of such a run (docs/performance.md).
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
import urllib3.connection
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from tagpip import compat, sealed
from tagpip.index import inflight
from tagpip.index.tls import SharedContextMixin
from tagpip.urls import netloc_key, redact_url

__all__ = [
    "TRANSPORT_ERRORS",
    "HostAuth",
    "InsecureRedirect",
    "describe_error",
    "forget",
    "make_session",
    "silence_trusted_hosts",
]

# What a request, or reading its body, raises when the transport fails.
TRANSPORT_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)
_RETRY_STATUSES = (500, 502, 503, 504, 520, 527)


class HostAuth(requests.auth.AuthBase):
    """Basic auth for the hosts whose configured URLs carried credentials, and no others; a
    host without them gets its ``~/.netrc`` (or ``$NETRC``) entry, as pip's requests would
    give it (requests reads netrc only for a session without auth of its own)."""

    def __init__(self, credentials: Mapping[str, tuple[str, str]]):
        """``credentials``: by :func:`tagpip.urls.netloc_key`."""
        self._credentials = dict(credentials)
        self._netrc: dict[str, tuple[str, str] | None] = {}

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if request.url and "Authorization" not in request.headers:
            key = netloc_key(request.url)
            found = self._credentials.get(key)
            if found is None:
                if key not in self._netrc:  # read once per host, not per request
                    self._netrc[key] = requests.utils.get_netrc_auth(request.url)
                found = self._netrc[key]
            if found is not None:
                authorized: requests.PreparedRequest = requests.auth.HTTPBasicAuth(*found)(request)
                return authorized
        return request


class InsecureRedirect(Exception):
    """A redirect that would take a request to plain http where that is refused (see
    :meth:`_Session.rebuild_auth`); ``source`` and ``location`` are redacted."""

    def __init__(self, source: str, location: str, reason: str):
        super().__init__(f"redirected from {source} to {location}: {reason}")
        self.source = source
        self.location = location
        self.reason = reason


RedirectCheck = Callable[[str, str], "str | None"]


class _Session(requests.Session):
    """requests' Session, reading the environment's proxy and CA-bundle settings once per host
    and set of arguments rather than once per request; every redirect is checked by
    ``redirect_check`` (``(from_url, to_url) -> reason to refuse, or None``) before it is
    followed, and carries the credentials of its new host (:class:`HostAuth`), never those of
    the old one.

    requests looks them up again for every request (``getproxies`` walks the whole environment,
    ``no_proxy`` is parsed again), a visible part of a large lock (docs/performance.md). The
    environment does not change during a run, so the answer for a host does not either.
    """

    def __init__(self) -> None:
        super().__init__()
        self._settings: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.redirect_check: RedirectCheck | None = None

    def rebuild_auth(
        self, prepared_request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        """Called by requests for every redirect, before it is sent: the place to refuse it
        (an https request must never continue over plain http), and to give the new request
        its own host's credentials (requests strips the old ones when the host changes)."""
        source, location = response.url or "", prepared_request.url or ""
        if self.redirect_check is not None:
            reason = self.redirect_check(source, location)
            if reason is not None:
                raise InsecureRedirect(redact_url(source), redact_url(location), reason)
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]
        if isinstance(self.auth, HostAuth):
            self.auth(prepared_request)

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        key: tuple[Any, ...] | None = None
        if isinstance(url, str):
            parts = urlsplit(url)
            key = (parts.scheme, parts.netloc, stream, verify, cert, self.trust_env)
            key += tuple(sorted((proxies or {}).items()))
            try:
                hash(key)
            except TypeError:  # an argument that cannot be a key: ask requests every time
                key = None
        if key is None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        found: dict[str, Any] | None = self._settings.get(key)
        if found is None:
            found = dict(super().merge_environment_settings(url, proxies, stream, verify, cert))
            self._settings[key] = found
        # A copy: requests may change the proxies it is given.
        return {**found, "proxies": dict(found["proxies"])}


def silence_trusted_hosts(hosts: Iterable[str]) -> None:
    """--trusted-host means "do not verify": urllib3 need not warn about it on every request
    (pip does not either). Only these hosts' warnings are silenced."""
    for host in sorted(hosts):
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        warnings.filterwarnings(
            "ignore",
            message=f"Unverified HTTPS request is being made to host '{re.escape(name)}'",
            category=urllib3.exceptions.InsecureRequestWarning,
        )


def make_session(
    *,
    user_agent: str,
    retries: int,
    pool_size: int,
    proxy: str | None,
    auth: HostAuth,
    http_cache: Path | None,
    redirect_check: RedirectCheck | None = None,
) -> requests.Session:
    """A session that retries transient failures (as pip: 5xx statuses and connection errors,
    with back-off, honouring Retry-After) and, with ``http_cache``, caches responses there as
    HTTP allows (CacheControl; a cache that cannot be written is warned about once and then
    done without, and what it stores never holds a request's credentials)."""
    session = _Session()
    session.redirect_check = redirect_check
    session.headers["User-Agent"] = user_agent
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=0.25,
        status_forcelist=_RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    adapter: HTTPAdapter
    if http_cache is not None:
        from cachecontrol import CacheControlAdapter
        from cachecontrol.caches.file_cache import FileCache

        class _CachingAdapter(_TimedPoolsMixin, SharedContextMixin, CacheControlAdapter):
            pass

        adapter = _CachingAdapter(
            cache=_safe_file_cache(FileCache)(str(http_cache)),
            controller_class=_controller_class(),
            serializer=_scrubbing_serializer()(),
            max_retries=retry,
            pool_connections=16,
            pool_maxsize=pool_size,
        )
    else:
        adapter = _Adapter(max_retries=retry, pool_connections=16, pool_maxsize=pool_size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    if proxy:
        session.proxies = {"http": proxy, "https": proxy}
    session.auth = auth
    return session


def forget(session: requests.Session, url: str) -> None:
    """Drop ``url`` from the session's HTTP cache, if it has one; raises what the cache raises."""
    adapter = session.get_adapter(url)
    controller = getattr(adapter, "controller", None)
    cache = getattr(adapter, "cache", None)
    if controller is not None and cache is not None:
        cache.delete(controller.cache_url(url))


def describe_error(error: BaseException, timeout: float) -> tuple[str, str | None]:
    """What went wrong with a request, in words (credentials in URLs scrubbed by the caller),
    and a hint for the user, if there is one."""
    if _is_timeout(error):
        return f"timed out after {timeout:g}s", "try again, or raise --timeout"
    if isinstance(error, requests.exceptions.SSLError):
        return (
            f"TLS error: {error.args[0] if error.args else error}",
            "pass --cert with your CA bundle, or --trusted-host for a host you trust",
        )
    if isinstance(error, requests.ConnectionError):
        cause = "could not connect"
        reason = _root_cause(error)
        if reason:
            cause += f" ({reason})"
        return cause, "check the URL and your network, proxy (--proxy) and --retries"
    return str(error) or type(error).__name__, None


@functools.cache
def _safe_file_cache(base: type[Any]) -> type[Any]:
    """CacheControl's FileCache, except that a cache that cannot be read or written (read-only,
    full, gone) is a miss and a warning (once, :func:`tagpip.sealed.unwritable`), never an
    error: CacheControl writes while the body is being read, so an OSError there would
    otherwise fail the request."""

    class _SafeFileCache(base):  # type: ignore[misc]
        def get(self, key: str) -> bytes | None:
            try:
                found: bytes | None = super().get(key)
            except OSError:
                return None
            return found

        def set(self, key: str, value: bytes, expires: Any = None) -> None:
            try:
                super().set(key, value, expires)
            except OSError as error:
                sealed.unwritable(Path(compat.file_cache_folder(self)), error)

        def delete(self, key: str) -> None:
            try:
                super().delete(key)
            except OSError as error:
                sealed.unwritable(Path(compat.file_cache_folder(self)), error)

    return _SafeFileCache


_REDACTED = "<redacted by tagpip>"


@functools.cache
def _scrubbing_serializer() -> type[Any]:
    """CacheControl's serializer, except that the request headers it keeps for a response's
    ``Vary`` never hold credentials (``Authorization``, ``Proxy-Authorization``, ``Cookie``):
    they are stored as a placeholder that matches no request, so such an entry is only ever a
    miss, as if it had not been stored. (The cache key is the URL, which tagpip never sends
    with credentials in it: they are taken out before the request, :mod:`tagpip.urls`.)"""
    from cachecontrol.serialize import Serializer

    class _Serializer(Serializer):
        def dumps(self, request: Any, response: Any, body: bytes | None = None) -> bytes:
            secret = [h for h in _SECRET_HEADERS if h in request.headers]
            if secret:
                request = request.copy()
                for header in secret:
                    request.headers[header] = _REDACTED
            data: bytes = super().dumps(request, response, body)
            return data

    return _Serializer


_SECRET_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")


@functools.cache
def _controller_class() -> type[Any]:
    """CacheControl's controller, except that a 304 leaves the cached entry as it is.

    CacheControl answers each 304 by serializing and writing the whole entry again to record a
    few new headers, which no later run reads: the ETag is the same by definition. (Bodies in
    files of their own would avoid the rewrite too, but CacheControl writes such an entry's
    headers before its body, and a second tagpip sharing the cache could read headers whose
    body is not there yet.)
    """
    from cachecontrol.controller import CacheController

    class _Controller(CacheController):
        def update_cached_response(self, request: Any, response: Any) -> Any:
            cached = compat.cached_response(self, request)
            if not cached:
                return response
            cached.headers.update(
                {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
            )
            cached.status = 200
            return cached

    return _Controller


class _TimedHTTPConnection(urllib3.connection.HTTPConnection):
    """urllib3's connection, telling :mod:`tagpip.index.inflight` which socket carries the request
    being sent: when it connects, and before each request on a kept-alive connection."""

    def _new_conn(self) -> Any:
        sock = super()._new_conn()
        inflight.attach(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self.sock is not None:
            inflight.attach(self.sock)
        super().request(*args, **kwargs)


class _TimedHTTPSConnection(urllib3.connection.HTTPSConnection):
    """:class:`_TimedHTTPConnection` for https (the TLS socket shares the TCP socket's
    descriptor, so attaching the TCP one covers the handshake too)."""

    def _new_conn(self) -> Any:
        sock = super()._new_conn()
        inflight.attach(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self.sock is not None:
            inflight.attach(self.sock)
        super().request(*args, **kwargs)


class _TimedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _TimedHTTPConnection


class _TimedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _TimedHTTPSConnection


_TIMED_POOLS = {"http": _TimedHTTPPool, "https": _TimedHTTPSPool}


class _TimedPoolsMixin:
    """For a :class:`requests.adapters.HTTPAdapter` subclass (listed before it): its pools, a
    proxy's included, make :class:`_TimedHTTPConnection` connections, so every request's
    sockets are known to its deadline and to Ctrl-C (:mod:`tagpip.index.inflight`)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)  # type: ignore[misc]
        self.poolmanager.pool_classes_by_scheme = dict(_TIMED_POOLS)  # type: ignore[attr-defined]

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(*args, **kwargs)  # type: ignore[misc]
        manager.pool_classes_by_scheme = dict(_TIMED_POOLS)
        return manager


class _Adapter(_TimedPoolsMixin, SharedContextMixin, HTTPAdapter):
    """requests' adapter, with one TLS context per CA bundle (see :mod:`tagpip.index.tls`) and
    connections known to :mod:`tagpip.index.inflight`."""


def _is_timeout(error: BaseException) -> bool:
    """Whether a timeout is what went wrong (requests wraps read timeouts after retries in a
    ConnectionError)."""
    seen: BaseException | None = error
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, urllib3.exceptions.NewConnectionError):
            return False  # a subclass of ConnectTimeoutError, for history's sake
        if isinstance(seen, (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError)):
            return True
        reason = getattr(seen, "reason", None)
        if not isinstance(reason, BaseException) and seen.args:
            reason = seen.args[0]
        seen = reason if isinstance(reason, BaseException) else seen.__cause__ or seen.__context__
    return False


def _root_cause(error: BaseException) -> str:
    """The innermost reason of a connection error, without urllib3's pool details."""
    seen = error
    while True:
        reason = getattr(seen, "reason", None) or seen.__cause__ or seen.__context__
        if not isinstance(reason, BaseException) or reason is seen:
            break
        seen = reason
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror
    text = str(seen)
    return text.split(": ", 1)[-1] if "Connection" in type(seen).__name__ else text
