"""Faults to inject into the test index (tests/support/server.py), each bounded in time.

Two kinds, matching the server's two hooks:

- *overrides* answer instead of the server (``server.overrides[path] = failing(503, times=2)``):
  :func:`failing`, :func:`hanging`, :func:`garbage`;
- *manglers* change the server's own reply on its way out (``server.mangle[path] =
  truncated()``): :func:`truncated`, :func:`reset`, :func:`slow`, :func:`corrupted`.

:func:`first` limits any of them to the first ``n`` requests, so a test can say "fails twice,
then works". Paths: :func:`file_path`, :func:`page_path`. Every fault that waits ends as soon as
the server stops, so no test's teardown waits on it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar, Union
from urllib.parse import quote

from support.server import LoggedRequest, Mangle, Override, Reply

__all__ = [
    "corrupted",
    "failing",
    "file_path",
    "first",
    "garbage",
    "hanging",
    "page_path",
    "reset",
    "slow",
    "start_tagpip",
    "truncated",
    "wait_until",
]

F = TypeVar("F", bound=Union[Override, Mangle])


def file_path(filename: str) -> str:
    """The server path of a file (as the request log and the hooks see it)."""
    return f"/files/{quote(filename)}"


def page_path(project: str) -> str:
    """The server path of a project page (normalised name)."""
    return f"/simple/{project}/"


def _cut(size: int, keep: float) -> int:
    """``keep`` as a byte count: a fraction of ``size`` when below 1, else a count."""
    return int(size * keep) if keep < 1 else min(size, int(keep))


def truncated(keep: float = 0.5) -> Mangle:
    """Send only part of the body (``keep``: a fraction, or a byte count) while the
    Content-Length promises all of it, then close the connection."""

    def mangle(request: LoggedRequest, reply: Reply) -> Reply | None:
        if reply.status not in (200, 206) or request.method != "GET":
            return None
        kept = reply.body[: _cut(len(reply.body), keep)]
        return replace(reply, body=kept, content_length=len(reply.body))

    return mangle


def reset(after: float = 0.5) -> Mangle:
    """Send part of the body (``after``: a fraction, or a byte count), then reset the TCP
    connection (RST, not a clean close)."""

    def mangle(request: LoggedRequest, reply: Reply) -> Reply | None:
        if reply.status not in (200, 206) or request.method != "GET":
            return None
        return replace(reply, reset_after=_cut(len(reply.body), after))

    return mangle


def slow(
    chunk: int = 16 * 1024, pause: float = 0.05, *, sent: threading.Event | None = None
) -> Mangle:
    """Send the body in ``chunk``-byte pieces with ``pause`` seconds between them; ``sent`` is
    set once the first piece is out (part of the body is on its way)."""

    def mangle(request: LoggedRequest, reply: Reply) -> Reply | None:
        return replace(reply, chunk=chunk, pause=pause, sent=sent)

    return mangle


def corrupted() -> Mangle:
    """Flip one byte in the middle of the body: same length, different digest."""

    def mangle(request: LoggedRequest, reply: Reply) -> Reply | None:
        if reply.status != 200 or not reply.body:
            return None
        middle = len(reply.body) // 2
        body = bytearray(reply.body)
        body[middle] ^= 0xFF
        return replace(reply, body=bytes(body))

    return mangle


def failing(status: int = 503, *, retry_after: str | None = None) -> Override:
    """Answer every request with ``status`` (wrap in :func:`first` to fail only a few times)."""

    def override(request: LoggedRequest) -> Reply | None:
        headers = {"Content-Type": "text/plain"}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        return Reply(status, f"injected {status}".encode(), headers)

    return override


def hanging(seconds: float = 20.0, *, answered: threading.Event | None = None) -> Override:
    """Accept the request and say nothing for ``seconds`` (or until the server stops);
    ``answered`` is set if the answer does go out (the client waited it out)."""

    def override(request: LoggedRequest) -> Reply | None:
        headers = {"Content-Type": "text/plain"}
        return Reply(200, b"too late", headers, delay=seconds, answered=answered)

    return override


def garbage(content_type: str, body: bytes) -> Override:
    """Answer 200 with ``body`` as ``content_type`` (a broken page), never cacheable."""

    def override(request: LoggedRequest) -> Reply | None:
        return Reply(200, body, {"Content-Type": content_type, "Cache-Control": "no-store"})

    return override


def first(n: int, fault: F) -> F:
    """``fault`` for the first ``n`` requests that reach it, then the server's own answer."""
    lock = threading.Lock()
    seen = [0]

    def limited(*args: object) -> Reply | None:
        with lock:
            seen[0] += 1
            if seen[0] > n:
                return None
        return fault(*args)  # type: ignore[arg-type]

    return limited  # type: ignore[return-value]


def start_tagpip(*args: str) -> subprocess.Popen[str]:
    """``python -m tagpip ARGS`` in a child process (the environment as the test set it), with
    stdout and stderr captured as text: for signals, and for runs that must overlap."""
    return subprocess.Popen(
        [sys.executable, "-m", "tagpip", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
        preexec_fn=_default_signals if sys.platform != "win32" else None,
    )


def _default_signals() -> None:
    """In the child, before it runs Python: Ctrl-C and SIGTERM back to their defaults. A shell
    that starts the suite as a background job ignores SIGINT, the ignoring is inherited, and a
    Python started so never installs its KeyboardInterrupt handler: the signal tests would then
    signal a process that does not listen."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def wait_until(condition: Callable[[], bool], *, timeout: float = 15.0) -> bool:
    """Poll ``condition`` every 20 ms until it holds (True) or ``timeout`` passes (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()
