"""The index is reached through one complete protocol, and fetching ahead never delays what the
resolver demands.

The protocol test reads the source (ast): outside the index modules nothing asks an index what
it is (``isinstance``) or whether it has a method (``getattr``). The priority test uses the real
index server with one background worker held up by a page the test holds back, so a demanded
page answered while it is still held did not wait in the queue behind speculative ones."""

from __future__ import annotations

import ast
import threading
from collections.abc import Sequence
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from support.server import IndexServer, LoggedRequest, Reply
from tagpip.config.pip import IndexOptions
from tagpip.index.client import DistFile, HttpIndex

SRC = Path(__file__).resolve().parent.parent / "src" / "tagpip"
INDEX_MODULES = {"index/client.py", "index/api.py", "index/pages.py", "index/transport.py"}
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
        if path.relative_to(SRC).as_posix() in INDEX_MODULES:
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


def test_a_demanded_page_jumps_the_speculative_queue(
    index_server: IndexServer, cache_dir: Path
) -> None:
    names = ["slow", *(f"spec{i}" for i in range(6)), "wanted"]
    for name in names:
        index_server.add_wheel(name, "1.0")
    arrived, release, answered = threading.Event(), threading.Event(), threading.Event()

    def hold(request: LoggedRequest, reply: Reply) -> None:
        arrived.set()
        release.wait(30)  # bounded: a demand stuck behind this page fails the test, not hangs it
        answered.set()

    index_server.mangle["/simple/slow/"] = hold
    options = IndexOptions(index_url=index_server.url, cache_dir=cache_dir, retries=0)
    ready: list[str] = []
    all_ready = threading.Event()
    lock = threading.Lock()

    def then(name: NormalizedName, files: Sequence[DistFile]) -> None:
        with lock:
            ready.append(name)
            if len(ready) == len(names):
                all_ready.set()

    with HttpIndex(options, workers=1) as index:
        try:
            index.prefetch_projects(names, then=then)  # "wanted" is queued last
            assert arrived.wait(10), "the slow page was never asked for"
            # The one worker is now held up by the slow page, and holds it until the demand is
            # answered: not behind the slow page, let alone the queued ones.
            files = index.files(canonicalize_name("wanted"))
            assert not answered.is_set()
            # The server logs a request once it answers it: the demanded page is the only one.
            assert [p for p in index_server.paths() if p.startswith("/simple/")] == [
                "/simple/wanted/"
            ]
        finally:
            release.set()
        assert [f.filename for f in files] == ["wanted-1.0-py3-none-any.whl"]
        # The prefetch's callback still runs for the page the demand fetched.
        assert "wanted" in ready
        # Asking again fetches nothing: the demand and the queued prefetch were one fetch.
        index.files(canonicalize_name("wanted"))
        assert all_ready.wait(10), f"only {sorted(ready)} were fetched"
    pages = [p for p in index_server.paths() if p.startswith("/simple/")]
    assert pages.count("/simple/wanted/") == 1
    assert sorted(ready) == sorted(names)
