"""Requests in flight: a deadline for each whole request, and stopping them all at once.

Part of the index stage (:mod:`tagpip.index.transport` starts and ends requests,
:mod:`tagpip.index.http` tells this module about every socket a request uses). Standard library
only, and nothing is started before the first request, so the command line can import it cheaply to
stop requests when interrupted.

``--timeout`` bounds each read and connect, as in pip (``socket`` timeouts): a server that sends
one byte a second never trips it, and kept a run alive for as long as it liked. So each request
also gets a deadline for the whole of it, retries and their waits included: :data:`FACTOR` times
``--timeout``, extended by one second for every :data:`FLOOR` bytes of body received. A transfer
that keeps arriving at ``FLOOR`` bytes a second or faster never reaches it, however large; one
that trickles is cut off after about ``FACTOR`` times ``--timeout``. A watchdog thread shuts
down the sockets of a request whose deadline passed, which ends a read blocked on them at once;
the request then fails with :class:`DeadlinePassed` instead of being retried.

:func:`abort_all` shuts down the sockets of every request in flight and refuses new ones: the
command line calls it on Ctrl-C or SIGTERM, so that fetching threads stuck in a read end at once
instead of when their read times out (they are waited for before the process exits).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

__all__ = [
    "FACTOR",
    "FLOOR",
    "DeadlinePassed",
    "Interrupted",
    "Request",
    "abort_all",
    "aborted",
    "attach",
    "begin",
    "current",
    "end",
    "reset",
]

# A request's deadline: FACTOR x --timeout, plus one second per FLOOR bytes received. 150 s at
# pip's default --timeout of 15 s: more than pip's own worst case for a server that sends nothing
# (--retries 5 read timeouts, 6 x 15 s, and its back-off), far less than "forever".
FACTOR = 10
FLOOR = 8 * 1024


class Interrupted(Exception):
    """The run was interrupted (:func:`abort_all`): no request may start or go on. Not an
    OSError, so that urllib3 does not retry it."""


class DeadlinePassed(Exception):
    """The request's deadline passed (see the module's docstring). Not an OSError, so that
    urllib3 does not retry it."""

    def __init__(self, request: Request) -> None:
        super().__init__(f"did not finish within {request.allowed:g}s")
        self.request = request


class Request:
    """One request in flight: when it started, what it may take, what it received, and the
    sockets it uses (shut down if its deadline passes or the run is interrupted)."""

    __slots__ = ("allowed", "base", "expired", "received", "sockets", "start")

    def __init__(self, base: float) -> None:
        self.base = base
        self.start = time.monotonic()
        self.received = 0
        self.expired = False
        self.allowed = base  # the deadline, in seconds from the start, once it passed
        self.sockets: list[socket.socket] = []

    def deadline(self) -> float:
        return self.start + self.base + self.received / FLOOR

    def progress(self, count: int) -> None:
        """``count`` more bytes of the body arrived: the deadline moves on."""
        self.received += count


_lock = threading.RLock()  # re-entrant: abort_all runs in a signal handler
_wake = threading.Condition(_lock)
_live: set[Request] = set()
_local = threading.local()
_aborted = False
_watchdog: threading.Thread | None = None
_next_wake = float("inf")  # when the watchdog wakes next (monotonic)


def begin(timeout: float | None) -> Request:
    """A new request of a run whose ``--timeout`` is ``timeout`` (None or 0: no deadline).
    Raises :class:`Interrupted` once the run was interrupted."""
    global _watchdog
    base = FACTOR * timeout if timeout else float("inf")
    request = Request(base)
    with _lock:
        if _aborted:
            raise Interrupted("interrupted")
        _live.add(request)
        if _watchdog is None or not _watchdog.is_alive():
            _watchdog = threading.Thread(target=_watch, name="tagpip-deadlines", daemon=True)
            _watchdog.start()
        elif request.deadline() < _next_wake:
            # Only a deadline before the one the watchdog sleeps until needs waking it: most
            # requests start later than those in flight, so their deadlines come later too.
            _wake.notify()
    return request


def end(request: Request) -> None:
    """The request is over (its response closed): its sockets are no longer its."""
    with _lock:
        _live.discard(request)
        request.sockets = []


@contextlib.contextmanager
def current(request: Request) -> Iterator[None]:
    """While sending ``request`` from this thread, the sockets :func:`attach` sees are its."""
    before = getattr(_local, "request", None)
    _local.request = request
    try:
        yield
    finally:
        _local.request = before


def attach(sock: socket.socket) -> None:
    """``sock`` carries the request this thread is sending (if any; called by the connection
    classes of :mod:`tagpip.index.http` when they connect and before each request). Raises
    :class:`Interrupted` or :class:`DeadlinePassed` (the socket shut down) when the request
    must not go on: an attempt after the deadline passed is not made."""
    request: Request | None = getattr(_local, "request", None)
    if request is None:
        return
    with _lock:
        if _aborted or request.expired:
            _shutdown(sock)
            if _aborted:
                raise Interrupted("interrupted")
            raise DeadlinePassed(request)
        if request in _live:
            request.sockets.append(sock)


def abort_all() -> None:
    """Stop every request in flight (their sockets shut down, so blocked reads end now) and
    refuse new ones, for the rest of the run (until :func:`reset`)."""
    global _aborted
    with _lock:
        _aborted = True
        for request in _live:
            for sock in request.sockets:
                _shutdown(sock)


def reset() -> None:
    """A new run in this process (tests and programs call the command line in one): requests
    may start again."""
    global _aborted
    with _lock:
        _aborted = False


def aborted() -> bool:
    return _aborted


def _shutdown(sock: socket.socket) -> None:
    # socket.socket's own shutdown, also for an SSL socket: it acts on the descriptor (a read
    # blocked in another thread returns at once) and leaves the TLS object to its thread.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch() -> None:
    """The watchdog: sleeps until the nearest deadline, then shuts down the sockets of every
    request whose deadline passed (deadlines only move later, so waking early is harmless)."""
    global _next_wake
    with _lock:
        while True:
            now = time.monotonic()
            nearest: float | None = None
            for request in list(_live):
                deadline = request.deadline()
                if deadline == float("inf"):
                    continue
                if deadline <= now:
                    request.expired = True
                    request.allowed = deadline - request.start
                    for sock in request.sockets:
                        _shutdown(sock)
                    _live.discard(request)
                elif nearest is None or deadline < nearest:
                    nearest = deadline
            _next_wake = float("inf") if nearest is None else max(now + 0.05, nearest)
            _wake.wait(None if nearest is None else _next_wake - now)
