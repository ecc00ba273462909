"""The index is reached through one complete protocol, and fetching ahead never delays what the
resolver demands.

The protocol test reads the source (ast): outside the index modules nothing asks an index what
it is (``isinstance``) or whether it has a method (``getattr``). The priority test uses the real
index server with one background worker held up by a slow page, so the order of requests shows
whether a demanded page waited in the queue behind speculative ones."""

from __future__ import annotations

import ast
import dataclasses
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from support.server import IndexServer, LoggedRequest, Reply
from tagpip.index import DistFile, HttpIndex
from tagpip.pipconfig import IndexOptions

SRC = Path(__file__).resolve().parent.parent / "src" / "tagpip"
INDEX_MODULES = {"index.py", "indexapi.py", "pages.py", "transport.py"}
ALLOWED: set[str] = set()


def _probes_an_index(call: ast.Call) -> bool:
    """An ``isinstance``/``getattr`` call whose object is an index (by name) or whose class is an
    index type or the index's page type."""
    if not isinstance(call.func, ast.Name) or call.func.id not in {"isinstance", "getattr"}:
        return False
    if not call.args or not isinstance(call.args[0], (ast.Name, ast.Attribute)):
        return False  # e.g. ``raw.get("index")``: a value read from a file, not an index
    subject = ast.unparse(call.args[0]).lower()
    kinds = ast.unparse(call.args[1]) if len(call.args) > 1 else ""
    return "index" in subject or "Index" in kinds or "ProjectFiles" in kinds


def test_no_caller_probes_an_index() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.parent == SRC and path.name in INDEX_MODULES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _probes_an_index(node):
                found.append(f"{path.relative_to(SRC)}: {ast.unparse(node)}")
    assert set(found) - ALLOWED == set()


def test_the_probe_finder_sees_the_old_probes() -> None:
    for source in (
        'getattr(self.index, "prefetch_projects", None)',
        "isinstance(self.finder.index, HttpIndex)",
        "isinstance(files, ProjectFiles)",
        'getattr(index, "wheel_cache", None)',
    ):
        call = ast.parse(source, mode="eval").body
        assert isinstance(call, ast.Call)
        assert _probes_an_index(call)
    call = ast.parse('getattr(args, "verbose", None)', mode="eval").body
    assert isinstance(call, ast.Call)
    assert not _probes_an_index(call)


def _slow(delay: float) -> object:
    def mangle(request: LoggedRequest, reply: Reply) -> Reply:
        return dataclasses.replace(reply, delay=delay)

    return mangle


def test_a_demanded_page_jumps_the_speculative_queue(
    index_server: IndexServer, cache_dir: Path
) -> None:
    names = ["slow", *(f"spec{i}" for i in range(6)), "wanted"]
    for name in names:
        index_server.add_wheel(name, "1.0")
    index_server.mangle["/simple/slow/"] = _slow(1.5)  # type: ignore[assignment]
    options = IndexOptions(index_url=index_server.url, cache_dir=cache_dir, retries=0)
    ready: list[str] = []
    lock = threading.Lock()

    def then(name: NormalizedName, files: Sequence[DistFile]) -> None:
        with lock:
            ready.append(name)

    with HttpIndex(options, workers=1) as index:
        index.prefetch_projects(names, then=then)  # "wanted" is queued last
        deadline = time.monotonic() + 5
        while "/simple/slow/" not in index_server.paths() and time.monotonic() < deadline:
            time.sleep(0.01)  # the one worker is now held up by the slow page
        started = time.monotonic()
        files = index.files(canonicalize_name("wanted"))
        waited = time.monotonic() - started
        assert [f.filename for f in files] == ["wanted-1.0-py3-none-any.whl"]
        pages = [p for p in index_server.paths() if p.startswith("/simple/")]
        assert pages[:2] == ["/simple/slow/", "/simple/wanted/"]
        assert waited < 1.0  # not behind the slow page, let alone the queued ones
        # The prefetch's callback still runs for the page the demand fetched.
        assert "wanted" in ready
        # Asking again fetches nothing: the demand and the queued prefetch were one fetch.
        index.files(canonicalize_name("wanted"))
        deadline = time.monotonic() + 10
        while len(ready) < len(names) and time.monotonic() < deadline:
            time.sleep(0.01)
    pages = [p for p in index_server.paths() if p.startswith("/simple/")]
    assert pages.count("/simple/wanted/") == 1
    assert sorted(ready) == sorted(names)
