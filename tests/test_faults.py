"""Faults at the index, end to end through the real CLI (``tagpip.cli.main``).

Every scenario injects one fault into the test index on 127.0.0.1 (tests/support/faults.py) and
checks the same promises: exit status 1, one message that names the project and the cause, no
traceback, nothing unverified or partial in ``-d``, and nothing bad kept in the cache: once the
fault is gone, a second run with the same cache succeeds. The table in docs/reliability.md lists
each fault, what tagpip does, and the test here that shows it.
"""

from __future__ import annotations

import random
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

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
from support.server import IndexServer
from tagpip.cli import main

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
        (corrupted(), "does not match the index"),
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
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    page, wheel = page_path("app"), file_path(HELPER)
    index_server.overrides[page] = first(2, failing(503))
    index_server.overrides[wheel] = first(2, failing(502))
    dest = tmp_path / "wheels"
    started = time.monotonic()
    status, err = fetch(index_server, dest, capsys, "--retries", "2")
    elapsed = time.monotonic() - started
    assert (status, err) == (0, "")
    assert index_server.paths().count(page) == 3
    assert [r.status for r in index_server.requests if r.path == wheel] == [502, 502, 200]
    assert_only_verified(index_server, dest)
    # urllib3's backoff: none before the first retry, then 0.25 * 2 s; twice over.
    assert 0.9 <= elapsed < 5


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
    index_server.overrides[path] = hanging(30)
    dest = tmp_path / "wheels"
    started = time.monotonic()
    status, err = fetch(index_server, dest, capsys, "--timeout", "1")
    assert time.monotonic() - started < 6
    assert_clean_failure(status, err, "helper: timed out after 1s")
    assert_only_verified(index_server, dest)


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
        status, err, "no wheel of sdonly", "publishes only sdists, and tagpip never builds them"
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


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_install_leaves_the_target_as_it_was(
    index_server: IndexServer, tmp_path: Path, signum: signal.Signals
) -> None:
    index_server.add_wheel("big", "1.0", extra_files={"big/blob.bin": PAYLOAD * 8})
    index_server.mangle[file_path(BIG)] = slow(chunk=32 * 1024, pause=0.05)
    target = tmp_path / "deps"
    target.mkdir()
    (target / "keep.txt").write_text("mine\n")
    before = snapshot(target)
    child = start_tagpip(
        "install", "big", "--target", str(target), "-i", index_server.url, *TARGET,
        "--no-cache-dir", "--progress-bar", "off",
    )  # fmt: skip
    try:
        assert wait_until(
            lambda: any(r.path == file_path(BIG) and "range" not in r.headers
                        for r in index_server.requests)
        ), "the download never started"  # fmt: skip
        time.sleep(0.3)  # part of the wheel is on its way
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
