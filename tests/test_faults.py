"""Faults at the index, end to end through the real CLI (``tagpip.cli.main``).

Every scenario injects one fault into the test index on 127.0.0.1 (tests/support/faults.py) and
checks the same promises: exit status 1, one message that names the project and the cause, no
traceback, nothing unverified or partial in ``-d``, and nothing bad kept in the cache: once the
fault is gone, a second run with the same cache succeeds. The table in docs/reliability.md lists
each fault, what tagpip does, and the test here that shows it.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import random
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from urllib3.util.retry import Retry

from support.faults import (
    corrupted,
    failing,
    file_path,
    first,
    garbage,
    hanging,
    page_path,
    reset,
    slow,
    start_tagpip,
    truncated,
    wait_until,
)
from support.server import JSON_TYPE, IndexServer, Reply
from support.wheels import build_wheel, core_metadata
from tagpip.cli import main
from tagpip.target import target_from_flags

TARGET = ["--python-version", "3.12", "--platform", "manylinux2014_x86_64"]
APP = "app-1.0-py3-none-any.whl"
HELPER = "helper-1.0-py3-none-any.whl"
# Incompressible (the wheel is deflated), so a fault placed "half way" lands in real bytes.
PAYLOAD = random.Random(7).randbytes(256 * 1024)


def seed(server: IndexServer) -> None:
    server.add_wheel("app", "1.0", requires_dist=["helper>=1"])
    server.add_wheel("helper", "1.0", extra_files={"helper/blob.bin": PAYLOAD})


def fetch(
    server: IndexServer,
    dest: Path,
    capsys: pytest.CaptureFixture[str],
    *extra: str,
    cache: Path | None = None,
    requirements: tuple[str, ...] = ("app",),
) -> tuple[int, str]:
    """One ``tagpip download`` run; returns (status, stderr)."""
    caching = ["--cache-dir", str(cache)] if cache is not None else ["--no-cache-dir"]
    args = ["download", *requirements, "-d", str(dest), "-i", server.url, "-q"]
    status = main([*args, *TARGET, *caching, "--retries", "0", *extra])
    return status, capsys.readouterr().err


def assert_clean_failure(status: int, err: str, *needles: str) -> None:
    """Exit 1 with one ``error:`` message containing every needle, and no traceback."""
    assert status == 1, err
    assert err.startswith("error: "), err
    assert "Traceback" not in err
    assert "internal error" not in err
    for needle in needles:
        assert needle in err, (needle, err)


def assert_only_verified(server: IndexServer, dest: Path) -> None:
    """Every file in ``dest`` is a complete copy of what the index holds; no temporary files."""
    if not dest.exists():
        return
    for path in dest.iterdir():
        assert not path.name.startswith("."), f"temporary file left: {path.name}"
        assert path.read_bytes() == (server.root / path.name).read_bytes(), path.name


def assert_recovers(
    server: IndexServer, dest: Path, capsys: pytest.CaptureFixture[str], cache: Path
) -> None:
    """With every fault gone, the same command and cache succeed and fetch the full set."""
    server.overrides.clear()
    server.mangle.clear()
    status, err = fetch(server, dest, capsys, cache=cache)
    assert (status, err) == (0, "")
    assert sorted(p.name for p in dest.iterdir()) == [APP, HELPER]
    assert_only_verified(server, dest)


# -- bodies that are wrong, short or cut off ---------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        (corrupted(), "does not match its link"),
        (truncated(), "Connection broken"),
        (reset(), "Connection broken"),
    ],
    ids=["wrong-hash", "truncated", "reset"],
)
def test_a_broken_wheel_body_fails_and_leaves_nothing(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fault: Callable[..., object],
    cause: str,
) -> None:
    seed(index_server)
    index_server.mangle[file_path(HELPER)] = fault  # type: ignore[assignment]
    dest, cache = tmp_path / "wheels", tmp_path / "cache"
    status, err = fetch(index_server, dest, capsys, cache=cache)
    assert_clean_failure(status, err, "helper", HELPER, cause)
    assert HELPER not in (p.name for p in dest.iterdir())
    assert_only_verified(index_server, dest)
    assert_recovers(index_server, dest, capsys, cache)


@pytest.mark.parametrize(
    ("fault", "cause"),
    [(truncated(), "Connection broken"), (reset(), "Connection broken")],
    ids=["truncated", "reset"],
)
def test_a_broken_project_page_fails(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fault: Callable[..., object],
    cause: str,
) -> None:
    seed(index_server)
    index_server.mangle[page_path("helper")] = fault  # type: ignore[assignment]
    dest, cache = tmp_path / "wheels", tmp_path / "cache"
    status, err = fetch(index_server, dest, capsys, cache=cache)
    assert_clean_failure(status, err, "helper", cause)
    assert not dest.exists() or list(dest.iterdir()) == []
    assert_recovers(index_server, dest, capsys, cache)


@pytest.mark.parametrize("fault", [corrupted(), truncated()], ids=["wrong-hash", "truncated"])
def test_a_broken_metadata_file_fails_and_is_not_kept(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fault: Callable[..., object],
) -> None:
    seed(index_server)
    index_server.mangle[file_path(HELPER) + ".metadata"] = fault  # type: ignore[assignment]
    dest, cache = tmp_path / "wheels", tmp_path / "cache"
    status, err = fetch(index_server, dest, capsys, cache=cache)
    assert_clean_failure(status, err, "helper")
    assert not dest.exists() or list(dest.iterdir()) == []
    assert_recovers(index_server, dest, capsys, cache)


# -- 5xx answers and retries --------------------------------------------------------------------


def test_5xx_then_ok_is_retried_with_backoff(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(index_server)
    page, wheel = page_path("app"), file_path(HELPER)
    index_server.overrides[page] = first(2, failing(503))
    index_server.overrides[wheel] = first(2, failing(502))
    dest = tmp_path / "wheels"
    waits: list[float] = []
    sleep = Retry.sleep

    def recorded(self: Retry, response: Any = None) -> None:
        waits.append(self.get_backoff_time())  # what the sleep below waits (no Retry-After)
        sleep(self, response)

    monkeypatch.setattr(Retry, "sleep", recorded)
    status, err = fetch(index_server, dest, capsys, "--retries", "2")
    assert (status, err) == (0, "")
    assert index_server.paths().count(page) == 3
    assert [r.status for r in index_server.requests if r.path == wheel] == [502, 502, 200]
    assert_only_verified(index_server, dest)
    # urllib3's backoff: none before the first retry, then 0.25 * 2 s; for the page, then the
    # wheel.
    assert waits == [0, 0.5, 0, 0.5]


@pytest.mark.parametrize("retries", [0, 1, 3])
def test_retries_counts_requests_and_then_fails(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], retries: int
) -> None:
    seed(index_server)
    index_server.overrides[page_path("app")] = failing(503)
    dest = tmp_path / "wheels"
    status, err = fetch(index_server, dest, capsys, "--retries", str(retries))
    assert_clean_failure(status, err, "app: HTTP 503", page_path("app"))
    assert index_server.paths().count(page_path("app")) == retries + 1
    assert not dest.exists() or list(dest.iterdir()) == []


def test_5xx_on_the_wheel_after_retries_fails_cleanly(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    index_server.overrides[file_path(HELPER)] = failing(500)
    dest, cache = tmp_path / "wheels", tmp_path / "cache"
    status, err = fetch(index_server, dest, capsys, "--retries", "1", cache=cache)
    assert_clean_failure(status, err, "helper: HTTP 500", HELPER)
    assert index_server.paths().count(file_path(HELPER)) == 2
    assert_only_verified(index_server, dest)
    assert_recovers(index_server, dest, capsys, cache)


# -- servers that hang --------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["page", "wheel"])
def test_a_hanging_server_times_out(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    seed(index_server)
    path = page_path("helper") if where == "page" else file_path(HELPER)
    answered = threading.Event()
    index_server.overrides[path] = hanging(30, answered=answered)
    dest = tmp_path / "wheels"
    status, err = fetch(index_server, dest, capsys, "--timeout", "1")
    # tagpip gave up on the one request while the server was still holding its answer back.
    assert not answered.is_set()
    assert index_server.paths().count(path) == 1
    assert_clean_failure(status, err, "helper: timed out after 1s")
    assert_only_verified(index_server, dest)


@pytest.mark.parametrize("where", ["page", "metadata", "wheel"])
def test_a_server_that_trickles_is_cut_off_by_the_whole_request_deadline(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    """One byte every 0.1 s: no read waits as long as --timeout (0.5 s), so only the deadline
    of the whole request ends it (10 x --timeout; 2 x here, to keep the test short). Before,
    the run went on for as long as the server liked (the page alone: 3 minutes)."""
    import tagpip.index.inflight

    monkeypatch.setattr(tagpip.index.inflight, "FACTOR", 2)
    seed(index_server)
    path = {
        "page": page_path("helper"),
        "metadata": file_path(HELPER) + ".metadata",
        "wheel": file_path(HELPER),
    }[where]
    index_server.mangle[path] = slow(chunk=1, pause=0.1)
    dest = tmp_path / "wheels"
    # No clock here: without the deadline the run would take minutes and then succeed, so the
    # message below is what proves the deadline cut it off.
    status, err = fetch(index_server, dest, capsys, "--timeout", "0.5")
    assert_clean_failure(
        status,
        err,
        f"helper: gave up on {index_server.base_url}{path} after 1s: the server kept the request "
        "going too slowly to finish",
        "hint: a request may take 2 times --timeout (0.5s), plus a second for every 8 KB it "
        "receives; raise --timeout for a slow link",
    )
    assert_only_verified(index_server, dest)


def test_a_server_that_trickles_its_headers_is_cut_off_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The status line and headers one byte at a time: the request has no body yet, and its
    reads block inside requests itself; the deadline's watchdog ends them."""
    import socket
    import threading

    import tagpip.index.inflight

    monkeypatch.setattr(tagpip.index.inflight, "FACTOR", 2)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            listener.settimeout(0.2)
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" * 100:
                    if stop.wait(0.1):
                        break
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        status = main(
            ["download", "app", "-d", str(tmp_path / "w"), "-i", f"http://127.0.0.1:{port}/simple/",
             *TARGET, "--no-cache-dir", "--timeout", "0.5", "--retries", "0"]
        )  # fmt: skip
    finally:
        stop.set()
        thread.join()
        listener.close()
    err = capsys.readouterr().err
    assert_clean_failure(status, err, "app: gave up on http://127.0.0.1:", "/simple/app/ after 1s")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("where", ["page", "wheel"])
def test_ctrl_c_is_prompt_while_a_request_hangs(
    index_server: IndexServer, tmp_path: Path, signum: signal.Signals, where: str
) -> None:
    """A real tagpip process, a server that accepts and says nothing (for 2 minutes), a
    --timeout of a minute, and a real signal once the request is waiting: the run ends at once
    (exit 130) instead of when the fetching thread's read times out (it was joined first)."""
    seed(index_server)
    path = page_path("helper") if where == "page" else file_path(HELPER)
    index_server.overrides[path] = hanging(120)
    dest = tmp_path / "wheels"
    child = start_tagpip(
        "download", "app", "-d", str(dest), "-i", index_server.url, *TARGET,
        "--no-cache-dir", "--timeout", "60", "--progress-bar", "off",
    )  # fmt: skip
    try:
        assert wait_until(lambda: path in index_server.paths()), "the request was never made"
        child.send_signal(signum)
        _, err = child.communicate(timeout=20)  # the read would take 60 s to time out
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 130, err
    assert err == "tagpip: interrupted; nothing partial was left behind\n"
    assert_only_verified(index_server, dest)  # app's wheel may be there, complete


# -- pages that are not pages -------------------------------------------------------------------

JSON = "application/vnd.pypi.simple.v1+json"
HTML = "application/vnd.pypi.simple.v1+html"


@pytest.mark.parametrize(
    ("content_type", "body", "cause"),
    [
        (JSON, b"{this is not json", "invalid JSON page"),
        (JSON, b"[1, 2, 3]", "invalid JSON page: the JSON is not an object"),
        (JSON, b'{"meta": {"api-version": "2.0"}, "files": []}', "api-version '2.0'"),
        (JSON, b'{"meta": {"api-version": "1.0"}, "files": {}}', "'files' is not a list"),
        (JSON, b'{"meta": {"api-version": "1.0"}, "files": [{"url": 3}]}', "no 'filename'"),
        (JSON, b"[" * 100_000, "invalid JSON page"),
        (JSON, b"\xff\xfe\x00garbage", "invalid JSON page"),
        (HTML, b"<html>\xff\xfe\x00</html>", "invalid HTML page"),
        ("text/plain", b"hello", "the server sent text/plain"),
        ("", b"", "no Content-Type"),
    ],
    ids=[
        "json-syntax",
        "json-array",
        "json-api-2",
        "json-files-dict",
        "json-entry",
        "json-deep",
        "json-binary",
        "html-binary",
        "text-plain",
        "no-type",
    ],
)
def test_a_garbage_page_fails(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content_type: str,
    body: bytes,
    cause: str,
) -> None:
    seed(index_server)
    index_server.overrides[page_path("helper")] = garbage(content_type, body)
    dest, cache = tmp_path / "wheels", tmp_path / "cache"
    status, err = fetch(index_server, dest, capsys, cache=cache)
    assert_clean_failure(status, err, "helper", cause)
    assert not dest.exists() or list(dest.iterdir()) == []
    assert_recovers(index_server, dest, capsys, cache)


def test_html_without_links_is_a_project_without_files(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    index_server.overrides[page_path("helper")] = garbage(HTML, b"<html><p>hello <a>x</a></p>")
    status, err = fetch(index_server, tmp_path / "w", capsys)
    assert_clean_failure(status, err, "no project named 'helper' on the index (required by app")


# -- what the index does not have ---------------------------------------------------------------


def test_unknown_project(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, err = fetch(index_server, tmp_path / "w", capsys, requirements=("ghost",))
    assert_clean_failure(status, err, "no project named 'ghost' on the index")
    assert not (tmp_path / "w").exists() or list((tmp_path / "w").iterdir()) == []


def test_missing_dependency_names_who_needs_it(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("app", "1.0", requires_dist=["ghost>=2"])
    status, err = fetch(index_server, tmp_path / "w", capsys)
    assert_clean_failure(status, err, "no project named 'ghost' on the index", "app")
    assert not (tmp_path / "w").exists() or list((tmp_path / "w").iterdir()) == []


def test_a_project_with_only_sdists(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("app", "1.0", requires_dist=["sdonly"])
    index_server.add_sdist("sdonly", "1.0")
    status, err = fetch(index_server, tmp_path / "w", capsys, "--no-build")
    assert_clean_failure(
        status, err, "no wheel of sdonly", "publishes only sdists, and this run does not build them"
    )
    assert not (tmp_path / "w").exists() or list((tmp_path / "w").iterdir()) == []


# -- metadata that lies about the file ----------------------------------------------------------


@pytest.mark.parametrize("metadata_files", [True, False], ids=["pep658", "in-wheel"])
@pytest.mark.parametrize(
    ("forged", "cause"),
    [
        ({"metadata_name": "other"}, "names the project 'other', but the file name says 'helper'"),
        ({"metadata_version": "9.9"}, "says version '9.9', but the file name says '1.0'"),
    ],
    ids=["name", "version"],
)
def test_metadata_that_disagrees_with_the_file_name_is_refused(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    metadata_files: bool,
    forged: dict[str, str],
    cause: str,
) -> None:
    index_server.metadata_files = metadata_files
    index_server.add_wheel("app", "1.0", requires_dist=["helper"])
    index_server.add_wheel("helper", "1.0", **forged)
    dest = tmp_path / "w"
    status, err = fetch(index_server, dest, capsys)
    assert_clean_failure(status, err, f"helper: the metadata of {HELPER} {cause}")
    assert not dest.exists() or list(dest.iterdir()) == []


# -- Ctrl-C and SIGTERM in the middle of a download ---------------------------------------------

BIG = "big-1.0-py3-none-any.whl"


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_download_leaves_nothing(
    index_server: IndexServer, tmp_path: Path, signum: signal.Signals
) -> None:
    """tagpip in a child process fetches a wheel the server sends slowly (about 3 s); the signal
    comes once part of it is on disk. Exit 130, a short message, nothing left in -d."""
    index_server.add_wheel("big", "1.0", extra_files={"big/blob.bin": PAYLOAD * 8})
    index_server.mangle[file_path(BIG)] = slow(chunk=32 * 1024, pause=0.05)
    dest = tmp_path / "wheels"
    child = start_tagpip(
        "download", "big", "-d", str(dest), "-i", index_server.url, *TARGET,
        "--no-cache-dir", "--progress-bar", "off",
    )  # fmt: skip
    try:
        assert wait_until(
            lambda: any(p.name.endswith(".part") and p.stat().st_size > 0 for p in dest.glob(".*"))
        ), "the download never started"
        child.send_signal(signum)
        _, err = child.communicate(timeout=15)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 130, err
    assert err == "tagpip: interrupted; nothing partial was left behind\n"
    assert list(dest.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_rerun_after_kill_9_removes_what_the_killed_run_left(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``kill -9`` leaves the killed run's ``.tagpip-*.part`` in -d (nothing can run then);
    the next run into -d removes it, and succeeds (issue 30: a successful rerun left it)."""
    index_server.add_wheel("big", "1.0", extra_files={"big/blob.bin": PAYLOAD * 8})
    index_server.mangle[file_path(BIG)] = slow(chunk=32 * 1024, pause=0.05)
    dest = tmp_path / "wheels"
    child = start_tagpip(
        "download", "big", "-d", str(dest), "-i", index_server.url, *TARGET,
        "--no-cache-dir", "--progress-bar", "off",
    )  # fmt: skip
    try:
        assert wait_until(
            lambda: any(p.name.endswith(".part") and p.stat().st_size > 0 for p in dest.glob(".*"))
        ), "the download never started"
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=15)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    [left] = [p.name for p in dest.iterdir()]
    assert left.startswith(".tagpip-")
    assert left.endswith(".part")
    index_server.mangle.clear()
    status = main(["download", "big", "-d", str(dest), "-i", index_server.url, *TARGET, "-q"])
    assert (status, capsys.readouterr().err) == (0, "")
    assert [p.name for p in dest.iterdir()] == [BIG]


@pytest.mark.skipif(sys.platform == "win32", reason="flock")
def test_the_rerun_leaves_a_part_file_another_live_run_is_writing(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ``.tagpip-*.part`` file a live run holds (locked while written, as every download
    writes one) is not a leftover: only abandoned ones, and only tagpip's names, are removed."""
    from tagpip import fs

    seed(index_server)
    dest = tmp_path / "wheels"
    dest.mkdir()
    live, held = fs.locked_temp(dest, prefix=".tagpip-", suffix=".part")
    held.write(b"being written")
    held.flush()
    abandoned = dest / ".tagpip-abandoned.part"
    abandoned.write_bytes(b"left by a killed run")
    others = [dest / ".tagpip-notes.txt", dest / "mine.part", dest / ".other-tool.part"]
    for path in others:
        path.write_bytes(b"not tagpip's leftover")
    try:
        status, err = fetch(index_server, dest, capsys, cache=tmp_path / "cache")
        assert (status, err) == (0, "")
        assert live.read_bytes() == b"being written"
    finally:
        held.close()
    assert not abandoned.exists()
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        [APP, HELPER, live.name, *(p.name for p in others)]
    )


# -- the same faults under `tagpip install --target` ----------------------------------------------


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes), hidden ones included."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("fault", [corrupted(), reset()], ids=["wrong-hash", "reset"])
def test_install_with_a_broken_wheel_leaves_the_target_as_it_was(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fault: Callable[..., object],
) -> None:
    seed(index_server)
    index_server.mangle[file_path(HELPER)] = fault  # type: ignore[assignment]
    target = tmp_path / "deps"
    target.mkdir()
    (target / "keep.txt").write_text("mine\n")
    before = snapshot(target)
    args = ["install", "app", "--target", str(target), "-i", index_server.url, *TARGET, "-q"]
    status = main([*args, "--no-cache-dir", "--retries", "0"])
    assert_clean_failure(status, capsys.readouterr().err, "helper", HELPER)
    assert snapshot(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deps", "index-root"]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_install_leaves_the_target_as_it_was(
    index_server: IndexServer, tmp_path: Path, signum: signal.Signals
) -> None:
    index_server.add_wheel("big", "1.0", extra_files={"big/blob.bin": PAYLOAD * 8})
    on_its_way = threading.Event()
    index_server.mangle[file_path(BIG)] = slow(chunk=32 * 1024, pause=0.05, sent=on_its_way)
    target = tmp_path / "deps"
    target.mkdir()
    (target / "keep.txt").write_text("mine\n")
    before = snapshot(target)
    child = start_tagpip(
        "install", "big", "--target", str(target), "-i", index_server.url, *TARGET,
        "--no-cache-dir", "--progress-bar", "off",
    )  # fmt: skip
    try:
        # Part of the wheel is on its way (the first of its 64 pieces is sent).
        assert on_its_way.wait(15), "the download never started"
        child.send_signal(signum)
        _, err = child.communicate(timeout=15)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 130, err
    assert "interrupted" in err
    assert "Traceback" not in err
    assert snapshot(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deps", "index-root"]


# -- an index whose metadata files disagree with its wheels (PEP 658) ---------------------------


@pytest.mark.parametrize(
    ("served", "field", "index_says", "wheel_says"),
    [
        ({"requires_dist": ["app>=1"]}, "Requires-Dist", "app>=1", "(none)"),
        ({"requires_python": ">=3.13"}, "Requires-Python", ">=3.13", "(none)"),
    ],
    ids=["requires-dist", "requires-python"],
)
def test_a_metadata_file_that_disagrees_with_its_wheel_is_refused(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    served: dict[str, Any],
    field: str,
    index_says: str,
    wheel_says: str,
) -> None:
    seed(index_server)
    if field == "Requires-Python":
        served = {**served, "requires_python": ">=3"}  # still fits the 3.12 target
        index_says = ">=3"
    index_server.served_metadata[HELPER] = core_metadata("helper", "1.0", **served).encode()
    dest, cache = tmp_path / "wheels", tmp_path / "cache"
    status, err = fetch(index_server, dest, capsys, cache=cache)
    assert_clean_failure(
        status,
        err,
        f"helper: the metadata file the index serves for {HELPER} disagrees with the wheel's "
        f"own METADATA on {field}: the index says '{index_says}', the wheel says '{wheel_says}'",
    )
    assert HELPER not in (p.name for p in dest.iterdir())
    assert_only_verified(index_server, dest)
    # Once the index is consistent (and its page, fresh for 10 minutes, is asked for again),
    # the same cache serves a good run.
    index_server.served_metadata.clear()
    assert fetch(index_server, dest, capsys, "--refresh", cache=cache) == (0, "")
    assert_only_verified(index_server, dest)


def test_metadata_read_from_the_wheel_itself_needs_no_second_check(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.metadata_files = False
    seed(index_server)
    status, err = fetch(index_server, tmp_path / "w", capsys)
    assert (status, err) == (0, "")


# -- bounded sizes: files, pages, decompression -------------------------------------------------


def grown(extra: int) -> Callable[..., object]:
    """A wheel body ``extra`` bytes longer than the file (and than the size its page lists)."""

    def mangle(request: Any, reply: Any) -> Any:
        if reply.status != 200 or request.method != "GET":
            return None
        return replace(reply, body=reply.body + b"\0" * extra)

    return mangle


def test_a_file_longer_than_its_listed_size_is_stopped(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    size = (index_server.root / HELPER).stat().st_size
    index_server.mangle[file_path(HELPER)] = grown(10 * 1024 * 1024)  # type: ignore[assignment]
    dest, cache = tmp_path / "wheels", tmp_path / "cache"
    status, err = fetch(index_server, dest, capsys, cache=cache)
    assert_clean_failure(
        status, err, "helper: ", f"more than the {size} the index lists; the transfer was stopped"
    )
    assert_only_verified(index_server, dest)
    assert_recovers(index_server, dest, capsys, cache)


def test_the_listed_size_is_enforced_while_streaming(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source with no Content-Length (a local file here) is stopped at the listed size too,
    the moment it passes it: no more than the listed size is ever written."""
    from tagpip.download.downloader import DownloadError, download

    index_root = tmp_path / "files"
    index_root.mkdir()
    wheel = build_wheel(index_root, "helper", "1.0", extra_files={"helper/blob.bin": PAYLOAD})
    written: list[int] = []

    class Source:
        def open(self, file: Any) -> Any:
            @contextlib.contextmanager
            def chunks() -> Iterator[Iterator[bytes]]:
                def pieces() -> Iterator[bytes]:
                    data = wheel.read_bytes()
                    for _ in range(100):  # endless, as a hostile server would be
                        written.append(len(data))
                        yield data

                yield pieces()

            return chunks()

    file = dist_file_of(wheel, size=wheel.stat().st_size)
    with pytest.raises(DownloadError, match=r"longer than the .* bytes the index lists"):
        download([file], tmp_path / "dest", Source(), cache=False)  # type: ignore[arg-type]
    assert len(written) == 2  # stopped at the first piece past the size
    assert list((tmp_path / "dest").iterdir()) == []


def dist_file_of(wheel: Path, *, size: int | None) -> Any:
    from packaging.utils import parse_wheel_filename

    from tagpip.index.client import DistFile

    name, version, build, tags = parse_wheel_filename(wheel.name)
    return DistFile(
        project=name,
        filename=wheel.name,
        url=wheel.as_uri(),
        version=version,
        build=build,
        tags=tags,
        hashes=(("sha256", hashlib.sha256(wheel.read_bytes()).hexdigest()),),
        size=size,
        is_wheel=True,
    )


def gzip_bomb(content_type: str, size: int) -> Callable[..., object]:
    """A page of ``size`` bytes of spaces, gzip-compressed (about 1000:1)."""
    body = gzip.compress(b" " * size, compresslevel=9)

    def override(request: Any) -> Any:
        return Reply(200, body, {"Content-Type": content_type, "Content-Encoding": "gzip"})

    return override


@pytest.mark.parametrize("where", ["page", "metadata"])
def test_a_gzip_bomb_ends_with_a_clear_error(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    import tagpip.index.client
    import tagpip.index.transport

    # The body limits live in the transport; the index reads MAX_METADATA for zip members.
    monkeypatch.setattr(tagpip.index.transport, "MAX_PAGE", 2 * 1024 * 1024)
    monkeypatch.setattr(tagpip.index.transport, "MAX_METADATA", 1024 * 1024)
    monkeypatch.setattr(tagpip.index.client, "MAX_METADATA", 1024 * 1024)
    seed(index_server)
    if where == "page":
        path, bomb = page_path("helper"), gzip_bomb(JSON_TYPE, 8 * 1024 * 1024)
        limit = "2 MB"
    else:
        path, bomb = file_path(HELPER) + ".metadata", gzip_bomb("text/plain", 8 * 1024 * 1024)
        limit = "1 MB"
    index_server.overrides[path] = bomb  # type: ignore[assignment]
    dest, cache = tmp_path / "wheels", tmp_path / "cache"
    status, err = fetch(index_server, dest, capsys, cache=cache)
    assert_clean_failure(status, err, "helper: ", f"is larger than {limit} once decoded")
    assert_recovers(index_server, dest, capsys, cache)


def wheel_metadata_size(wheel: Path) -> int:
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        return archive.getinfo(f"{wheel.name.split('-')[0]}-1.0.dist-info/METADATA").file_size


def _long_description(megabytes: int) -> str:
    """A METADATA whose long description is ``megabytes`` MB of readable text."""
    line = "A real project's changelog, pasted into its long description. " * 2 + "\n"
    return "\n" + line * (megabytes * 1024 * 1024 // len(line) + 1)


@pytest.mark.parametrize(
    "how",
    [pytest.param("metadata-file", marks=pytest.mark.slow), "range-requests", "whole-wheel"],
)
def test_a_large_real_metadata_is_read_as_pip_reads_it(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    """20 MB of METADATA (a hundred times PyPI's largest, 161 KB, and more than the 16 MB cap
    tagpip once had): pip reads it, and so does tagpip, from a PEP 658 file, through range
    requests and from the whole wheel."""
    index_server.metadata_files = how == "metadata-file"
    index_server.range_requests = how == "range-requests"
    index_server.add_wheel(
        "big", "1.0", metadata_text=core_metadata("big", "1.0") + _long_description(20)
    )
    dest = tmp_path / "wheels"
    status, err = fetch(index_server, dest, capsys, requirements=("big",))
    assert (status, err) == (0, "")
    assert status == main(
        ["install", "big", "-i", index_server.url, "--target", str(tmp_path / "deps"), *TARGET]
    )
    assert (tmp_path / "deps" / "big-1.0.dist-info" / "METADATA").stat().st_size > 20 * 10**6


@pytest.mark.parametrize("how", ["metadata-file", "in-the-wheel", "install"])
def test_metadata_past_its_cap_is_refused_naming_the_cap(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    """The cap is lowered to 1 MB so the test stays small; the message says which cap it is
    and what real ones measure."""
    import tagpip.index.client
    import tagpip.index.transport
    import tagpip.install.wheelcheck

    for module in (tagpip.index.transport, tagpip.index.client, tagpip.install.wheelcheck):
        monkeypatch.setattr(module, "MAX_METADATA", 1024 * 1024)
    index_server.metadata_files = how == "metadata-file"
    wheel = index_server.add_wheel(
        "big", "1.0", metadata_text=core_metadata("big", "1.0") + _long_description(2)
    )
    cap = (
        "1 MB once decoded, tagpip's cap on a METADATA file (the largest on PyPI's most "
        "downloaded projects is 161 KB)"
    )
    if how == "install":
        status = main(
            ["install", "--no-index", "--target", str(tmp_path / "deps"), str(wheel), *TARGET]
        )
        err = capsys.readouterr().err
        assert_clean_failure(status, err, f"bytes uncompressed, larger than {cap}")
        assert not (tmp_path / "deps").exists()
        # The installer's own inspection, which a wheel from the cache of unpacked wheels or
        # a program calling install() reaches without the index, holds to the same cap.
        from tagpip.install.installer import InvalidWheel, install

        target = target_from_flags(["manylinux2014_x86_64"], "3.12", None, [])
        with pytest.raises(InvalidWheel) as caught:
            install([wheel], tmp_path / "deps", target)
        assert [p.describe() for p in caught.value.problems] == [
            f"big-1.0-py3-none-any.whl: 'big-1.0.dist-info/METADATA' is "
            f"{wheel_metadata_size(wheel)} bytes uncompressed, larger than {cap}"
        ]
        return
    status, err = fetch(index_server, tmp_path / "wheels", capsys, requirements=("big",))
    expected = "is larger than" if how == "metadata-file" else "bytes uncompressed, larger than"
    assert_clean_failure(status, err, "big: ", f"{expected} {cap}")


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_a_remote_page_may_not_link_local_files(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    seed(index_server)
    local = build_wheel(tmp_path / "local", "helper", "2.0")
    if fmt == "json":
        doc = {
            "meta": {"api-version": "1.1"},
            "name": "helper",
            "files": [{"filename": local.name, "url": local.as_uri(), "hashes": {}}],
        }
        page = garbage(JSON_TYPE, json.dumps(doc).encode())
    else:
        page = garbage("text/html", f'<a href="{local.as_uri()}">{local.name}</a>'.encode())
    index_server.overrides[page_path("helper")] = page
    dest = tmp_path / "wheels"
    status, err = fetch(index_server, dest, capsys)
    assert_clean_failure(
        status, err, f"helper: refusing the file: link '{local.as_uri()}'", "may not name files"
    )
    assert not dest.exists() or list(dest.iterdir()) == []


# -- redirects ----------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["page", "wheel"])
def test_a_redirect_to_a_remote_plain_http_host_is_refused(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    seed(index_server)
    path = page_path("helper") if where == "page" else file_path(HELPER)
    index_server.redirects[path] = (302, "http://index.example.invalid/elsewhere")
    dest = tmp_path / "wheels"
    status, err = fetch(index_server, dest, capsys)
    assert_clean_failure(
        status,
        err,
        "helper: refusing a redirect from http://127.0.0.1:",
        "to http://index.example.invalid/elsewhere: index.example.invalid is not a trusted or "
        "secure host (plain http)",
        "hint: pass --trusted-host index.example.invalid if you trust it",
    )
    assert_only_verified(index_server, dest)


# -- a full disk, a cache that cannot be written --------------------------------------------------


def test_a_full_disk_is_a_clear_error_naming_the_path(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An injected ENOSPC on the write (for machines where no small file system can be
    mounted; the tmpfs test below shows the real thing)."""
    import errno
    import os

    seed(index_server)
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, stream: Any) -> None:
            self._stream = stream

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self._stream.close()

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name: str) -> Any:
            return getattr(self._stream, name)

    def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
        return Full(real_fdopen(fd, *args, **kwargs))

    monkeypatch.setattr(os, "fdopen", fdopen)
    dest = tmp_path / "wheels"
    status, err = fetch(index_server, dest, capsys)
    assert_clean_failure(status, err, f"cannot write {dest}/", "No space left on device")
    assert "free some space" in err
    assert_only_verified(index_server, dest)


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 256 KB tmpfs (as root, where mounting is allowed); skips elsewhere."""
    import os
    import subprocess

    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode(errors='replace')}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


@pytest.mark.skipif(sys.platform != "linux", reason="tmpfs")
def test_a_really_full_disk_ends_with_exit_1(
    index_server: IndexServer,
    small_tmpfs: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed(index_server)  # helper's wheel is 256 KB of random bytes: it cannot fit
    dest = small_tmpfs / "wheels"
    status, err = fetch(index_server, dest, capsys)
    assert_clean_failure(status, err, f"cannot write {dest}/", "No space left on device")
    assert_only_verified(index_server, dest)


@pytest.mark.skipif(sys.platform != "linux", reason="tmpfs")
def test_a_full_cache_warns_once_and_the_run_goes_on(
    index_server: IndexServer,
    small_tmpfs: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """In a process of its own, so that stderr is what a user sees."""
    seed(index_server)
    cache = small_tmpfs / "cache"
    (small_tmpfs / "filler").write_bytes(b"\0" * (250 * 1024))
    dest = tmp_path / "wheels"
    child = start_tagpip(
        "download", "app", "-d", str(dest), "-i", index_server.url, *TARGET,
        "--cache-dir", str(cache), "--retries", "0", "-q",
    )  # fmt: skip
    _, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert err == (
        f"warning: the cache {cache}/tagpip cannot be written (No space left on device); "
        "going on without storing in it\n"
    )
    assert sorted(p.name for p in dest.iterdir()) == [APP, HELPER]
    assert_only_verified(index_server, dest)


def test_a_cache_that_cannot_be_written_warns_once_and_the_run_goes_on(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every part of the cache (pages, metadata, HTTP, wheels) under a path that is a file:
    nothing can be written there, even by root."""
    seed(index_server)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache's folders would be")
    cache = blocked / "cache"
    dest = tmp_path / "wheels"
    status, err = fetch(index_server, dest, capsys, cache=cache)
    assert status == 0, err
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        f"warning: the cache {cache}/tagpip cannot be written (Not a directory); "
        "going on without storing in it"
    ]
    assert sorted(p.name for p in dest.iterdir()) == [APP, HELPER]
    assert_only_verified(index_server, dest)
