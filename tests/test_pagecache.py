"""Project pages kept parsed between runs: a fresh copy or a 304 serves the stored copy, which
must give exactly the files the page gave; anything wrong with a stored copy makes it a miss,
never an error; freshness follows the server's Cache-Control and Age."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from support.server import IndexServer, LoggedRequest, Reply
from tagpip.config.pip import IndexOptions
from tagpip.index import pagecache
from tagpip.index.client import HttpIndex
from tagpip.index.pagecache import Freshness
from tagpip.index.pages import DistFile, Entry, ProjectFiles, parse_json_page

NAME = canonicalize_name("demo")


@pytest.fixture
def server(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel("demo", "1.0", requires_python=">=3.8")
    index_server.add_wheel("demo", "1.0", tags="cp311-cp311-manylinux2014_x86_64", build_tag="2")
    index_server.add_wheel("demo", "2.0b1")
    index_server.add_sdist("demo", "0.9")
    # Revalidate on every run (the freshness tests below set their own Cache-Control).
    index_server.cache_control = "no-cache"
    return index_server


def _files(server: IndexServer, cache_dir: Path, **options: object) -> list[DistFile]:
    values: dict[str, object] = {"index_url": server.url, "cache_dir": cache_dir, "retries": 0}
    values.update(options)
    with HttpIndex(IndexOptions(**values)) as index:  # type: ignore[arg-type]
        return list(index.files(NAME))


def _page_requests(server: IndexServer) -> list[tuple[int, str | None]]:
    return [
        (r.status, r.headers.get("if-none-match"))
        for r in server.requests
        if r.path == "/simple/demo/"
    ]


def _stored(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "pages").rglob("*.page"))


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_an_unchanged_page_is_served_from_the_stored_copy(
    server: IndexServer, cache_dir: Path, fmt: str
) -> None:
    server.format = fmt  # type: ignore[assignment]
    first = _files(server, cache_dir)
    assert len(first) == 4
    assert len(_stored(cache_dir)) == 1
    second = _files(server, cache_dir)
    assert second == first
    [(status1, sent1), (status2, sent2)] = _page_requests(server)
    assert (status1, sent1) == (200, None)
    assert status2 == 304
    assert sent2 is not None


def test_a_changed_page_replaces_the_stored_copy(server: IndexServer, cache_dir: Path) -> None:
    _files(server, cache_dir)
    server.add_wheel("demo", "3.0")
    files = _files(server, cache_dir)
    assert "demo-3.0-py3-none-any.whl" in {f.filename for f in files}
    assert [s for s, _ in _page_requests(server)] == [200, 200]
    assert _files(server, cache_dir) == files
    assert [s for s, _ in _page_requests(server)] == [200, 200, 304]


def test_a_page_without_validators_is_recognised_by_its_content(
    server: IndexServer, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.etag = False
    first = _files(server, cache_dir)
    parsed: list[str] = []
    real = parse_json_page

    def counting(text: str, url: str) -> list[Entry]:
        parsed.append(url)
        return real(text, url)

    monkeypatch.setattr("tagpip.index.client.parse_json_page", counting)
    assert _files(server, cache_dir) == first  # the same bytes again: not parsed
    assert parsed == []
    server.add_wheel("demo", "3.0")
    assert len(_files(server, cache_dir)) == len(first) + 1  # other bytes: parsed, stored
    assert len(parsed) == 1
    assert _files(server, cache_dir) == _files(server, cache_dir, no_cache=True)
    assert len(parsed) == 2  # the run without a cache parsed it, the one with it did not
    assert _page_requests(server) == [(200, None)] * 5


def test_no_cache_dir_stores_nothing(server: IndexServer, cache_dir: Path) -> None:
    _files(server, cache_dir, no_cache=True)
    assert not (cache_dir / "pages").exists()


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage"])
def test_a_damaged_copy_is_a_miss(server: IndexServer, cache_dir: Path, damage: str) -> None:
    first = _files(server, cache_dir)
    [path] = _stored(cache_dir)
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        path.write_bytes(data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        path.write_bytes(b"\x00" * 32 + b"not marshal data")
    assert _files(server, cache_dir) == first
    # No validators sent (the copy was unreadable), the page fetched whole and stored again.
    assert _page_requests(server)[-1] == (200, None)
    assert pagecache.load(cache_dir / "pages", server.url + "demo/") is not None


def test_a_copy_for_another_url_or_format_is_a_miss(server: IndexServer, cache_dir: Path) -> None:
    _files(server, cache_dir)
    [path] = _stored(cache_dir)
    folder, url = cache_dir / "pages", server.url + "demo/"
    assert pagecache.load(folder, url) is not None
    assert pagecache.load(folder, url + "other/") is None
    original = pagecache.FORMAT
    try:
        pagecache.FORMAT = original + 1
        assert pagecache.load(folder, url) is None
    finally:
        pagecache.FORMAT = original
    assert path.is_file()


def test_an_unwritable_cache_only_costs_a_full_page(
    server: IndexServer, cache_dir: Path, tmp_path: Path
) -> None:
    (cache_dir).mkdir(parents=True)
    (cache_dir / "pages").write_text("a file where the folder should be")
    first = _files(server, cache_dir)
    assert _files(server, cache_dir) == first
    assert [s for s, _ in _page_requests(server)] == [200, 200]


def test_stored_copies_keep_only_the_groups_asked_for_undecoded(
    server: IndexServer, cache_dir: Path
) -> None:
    for n in range(3, 40):
        server.add_wheel("demo", f"{n}.0")
    _files(server, cache_dir)
    with HttpIndex(IndexOptions(index_url=server.url, cache_dir=cache_dir, retries=0)) as index:
        files = index.files(NAME)
        assert isinstance(files, ProjectFiles)
        newest = files.versions()[0]
        assert [f.filename for f in files.of_version(newest)] == ["demo-39.0-py3-none-any.whl"]
        assert len(files._by_version) == 1


# -- freshness -----------------------------------------------------------------------------------


def _age_stored_copy(cache_dir: Path, seconds: float) -> None:
    [path] = _stored(cache_dir)
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_fresh_copy_is_used_without_asking(server: IndexServer, cache_dir: Path) -> None:
    server.cache_control = "max-age=600, public"  # PyPI's
    first = _files(server, cache_dir)
    assert _files(server, cache_dir) == first
    assert _page_requests(server) == [(200, None)]


def test_refresh_revalidates_a_fresh_copy(server: IndexServer, cache_dir: Path) -> None:
    server.cache_control = "max-age=600, public"
    first = _files(server, cache_dir)
    assert _files(server, cache_dir, refresh=True) == first
    [_, (status, sent)] = _page_requests(server)
    assert status == 304
    assert sent is not None


def test_a_stale_copy_is_revalidated_and_the_304_makes_it_fresh(
    server: IndexServer, cache_dir: Path
) -> None:
    server.cache_control = "max-age=600"
    first = _files(server, cache_dir)
    _age_stored_copy(cache_dir, 601)
    assert _files(server, cache_dir) == first
    assert [s for s, _ in _page_requests(server)] == [200, 304]
    assert _files(server, cache_dir) == first  # counted from the 304: fresh again
    assert [s for s, _ in _page_requests(server)] == [200, 304]


def test_a_stale_copy_of_a_changed_page_is_replaced(server: IndexServer, cache_dir: Path) -> None:
    server.cache_control = "max-age=600"
    _files(server, cache_dir)
    server.add_wheel("demo", "3.0")
    # Still fresh: the new file is not seen (as with uv; --refresh sees it).
    assert "demo-3.0-py3-none-any.whl" not in {f.filename for f in _files(server, cache_dir)}
    _age_stored_copy(cache_dir, 601)
    assert "demo-3.0-py3-none-any.whl" in {f.filename for f in _files(server, cache_dir)}
    assert [s for s, _ in _page_requests(server)] == [200, 200]


def test_age_counts_against_freshness(server: IndexServer, cache_dir: Path) -> None:
    server.cache_control = "max-age=600"

    def aged(_request: LoggedRequest, reply: Reply) -> Reply:
        reply.headers["Age"] = "600"  # a proxy held it for the whole lifetime already
        return reply

    server.mangle["/simple/demo/"] = aged
    _files(server, cache_dir)
    _files(server, cache_dir)
    assert [s for s, _ in _page_requests(server)] == [200, 304]


def test_a_copy_dated_in_the_future_is_not_fresh(server: IndexServer, cache_dir: Path) -> None:
    server.cache_control = "max-age=600"
    _files(server, cache_dir)
    _age_stored_copy(cache_dir, -3600)  # the clock went back an hour
    _files(server, cache_dir)
    assert [s for s, _ in _page_requests(server)] == [200, 304]


def test_no_store_is_not_stored(server: IndexServer, cache_dir: Path) -> None:
    server.cache_control = "no-store"
    _files(server, cache_dir)
    assert _stored(cache_dir) == []


def test_a_lifetime_without_validators_is_stored_and_used_while_fresh(
    server: IndexServer, cache_dir: Path
) -> None:
    server.etag = False
    server.cache_control = "max-age=600"
    first = _files(server, cache_dir)
    assert _files(server, cache_dir) == first
    assert _page_requests(server) == [(200, None)]
    _age_stored_copy(cache_dir, 601)
    assert _files(server, cache_dir) == first
    assert _page_requests(server) == [(200, None), (200, None)]


@pytest.mark.parametrize(
    ("cache_control", "age", "expected"),
    [
        ("max-age=600, public", None, Freshness(600.0)),
        ("public,max-age=600", "12", Freshness(600.0, 12.0)),
        ('max-age="600"', None, Freshness(600.0)),
        ("Max-Age=60", None, Freshness(60.0)),
        ("max-age=600, no-cache", None, Freshness(0.0)),
        ('no-cache="Set-Cookie", max-age=600', None, Freshness(0.0)),
        ("no-store, max-age=600", None, None),
        ("public", None, Freshness(0.0)),
        (None, None, Freshness(0.0)),
        ("", None, Freshness(0.0)),
        ("max-age=soon", None, Freshness(0.0)),
        ("max-age=600", "yesterday", Freshness(0.0)),
        ("max-age=-5", None, Freshness(0.0)),
        ("max-age=600 garbage", None, Freshness(0.0)),
        ("max-age=600,,", None, Freshness(600.0)),
    ],
)
def test_freshness_of_headers(
    cache_control: str | None, age: str | None, expected: Freshness | None
) -> None:
    assert pagecache.freshness(cache_control, age) == expected


def test_a_run_with_everything_fresh_imports_no_http_stack(
    server: IndexServer, cache_dir: Path
) -> None:
    server.cache_control = "max-age=600"
    [wheel] = [f for f in _files(server, cache_dir) if f.filename == "demo-1.0-py3-none-any.whl"]
    with HttpIndex(IndexOptions(index_url=server.url, cache_dir=cache_dir, retries=0)) as index:
        index.metadata(wheel)
    requests_before = len(server.requests)
    script = (
        "import sys\n"
        "from packaging.utils import canonicalize_name\n"
        "from tagpip.index.client import HttpIndex\n"
        "from tagpip.config.pip import IndexOptions\n"
        f"options = IndexOptions(index_url={server.url!r}, cache_dir={str(cache_dir)!r})\n"
        "with HttpIndex(options) as index:\n"
        "    files = index.files(canonicalize_name('demo'))\n"
        "    [wheel] = [f for f in files if f.filename == 'demo-1.0-py3-none-any.whl']\n"
        "    print(index.metadata(wheel).version)\n"
        "print(sorted(m for m in ('requests', 'urllib3', 'cachecontrol') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines() == ["1.0", "[]"]
    assert len(server.requests) == requests_before


@pytest.mark.parametrize("wrong", ["chunks", "order", "position", "record"])
def test_a_sealed_copy_that_decodes_wrongly_is_discarded_and_refetched(
    server: IndexServer, cache_dir: Path, wrong: str
) -> None:
    """Intact on disk (its digest matches) but not a page as this tagpip writes one."""
    import marshal

    from tagpip import sealed

    first = _files(server, cache_dir)
    [path] = _stored(cache_dir)
    found = sealed.read(path)
    assert found is not None
    record = pagecache.unpack(found[0])
    assert record is not None
    payload = b""
    if wrong == "chunks":
        # The record's sizes do not account for what follows it.
        payload = pagecache.pack(record) + b"more"
    elif wrong == "order":
        record["order"] = {"1.0": [0]}
    elif wrong == "position":
        record["order"] = [["1.0", [99]]]
    else:
        payload = marshal.dumps(["not", "a", "record"])
    sealed.write(path, payload or pagecache.pack(record))
    assert pagecache.load(cache_dir / "pages", server.url + "demo/") is None
    assert _files(server, cache_dir) == first
    assert _page_requests(server)[-1] == (200, None)
    assert pagecache.load(cache_dir / "pages", server.url + "demo/") is not None


def test_a_stored_page_keeps_its_groups_on_disk_and_reads_them_again(
    server: IndexServer, cache_dir: Path
) -> None:
    """Only a stored page's record stays in memory: each group is read back from the file
    when its version's files are built, and gives the very files the page gave."""
    from tagpip.index.pages import StoredChunks

    first = _files(server, cache_dir)
    stored = pagecache.load(cache_dir / "pages", server.url + "demo/")
    assert stored is not None
    assert isinstance(stored.source.chunks, StoredChunks)
    files = ProjectFiles(NAME, [stored.source])
    by_version = [f for v in files.versions() for f in files.of_version(v)]
    assert sorted(by_version, key=lambda f: f.url) == sorted(first, key=lambda f: f.url)
    assert list(ProjectFiles(NAME, [stored.source])) == first


def test_a_page_just_stored_is_read_back_from_its_file(
    server: IndexServer, cache_dir: Path
) -> None:
    """The copy a run stores is the one it goes on with: its groups are let go of once
    written, and read again from the file, giving what the page gave."""
    from tagpip.index.pages import StoredChunks

    folder = cache_dir / "pages"
    entries = parse_json_page(
        '{"meta": {"api-version": "1.0"}, "files": ['
        '{"filename": "demo-1.0-py3-none-any.whl", "url": "https://x.test/demo-1.0-py3-none-any.whl",'
        ' "hashes": {"sha256": "aa"}},'
        '{"filename": "demo-2.0.tar.gz", "url": "https://x.test/demo-2.0.tar.gz", "hashes": {}}]}',
        "https://x.test/simple/demo/",
    )
    kept = pagecache.store(
        folder, "https://x.test/simple/demo/", NAME, "https://x.test/simple/demo/", entries,
        html=False, etag=None, last_modified=None,
    )  # fmt: skip
    assert kept is not None
    assert isinstance(kept.source.chunks, StoredChunks)
    assert list(ProjectFiles(NAME, [kept.source])) == list(ProjectFiles(NAME, [entries]))


def test_a_page_that_cannot_be_stored_keeps_its_groups_in_memory(
    server: IndexServer, cache_dir: Path
) -> None:
    """No file to read them back from: the groups stay where they are."""
    from tagpip.index.pages import StoredChunks

    blocker = cache_dir / "pages"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the folder should be")
    entries = parse_json_page(
        '{"meta": {"api-version": "1.0"}, "files": [{"filename": "demo-1.0-py3-none-any.whl",'
        ' "url": "https://x.test/demo-1.0-py3-none-any.whl"}]}',
        "https://x.test/simple/demo/",
    )
    kept = pagecache.store(
        blocker, "https://x.test/simple/demo/", NAME, "https://x.test/simple/demo/", entries,
        html=False, etag=None, last_modified=None,
    )  # fmt: skip
    assert kept is not None
    assert not isinstance(kept.source.chunks, StoredChunks)
    assert [f.filename for f in ProjectFiles(NAME, [kept.source])] == ["demo-1.0-py3-none-any.whl"]
