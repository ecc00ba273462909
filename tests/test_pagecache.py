"""Project pages kept parsed between runs: a 304 serves the stored copy, which must give exactly
the files the page gave; anything wrong with a stored copy makes it a miss, never an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from support.server import IndexServer
from tagpip import pagecache
from tagpip.index import HttpIndex
from tagpip.pages import DistFile, ProjectFiles
from tagpip.pipconfig import IndexOptions

NAME = canonicalize_name("demo")


@pytest.fixture
def server(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel("demo", "1.0", requires_python=">=3.8")
    index_server.add_wheel("demo", "1.0", tags="cp311-cp311-manylinux2014_x86_64", build_tag="2")
    index_server.add_wheel("demo", "2.0b1")
    index_server.add_sdist("demo", "0.9")
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


def test_a_page_without_validators_is_not_stored(server: IndexServer, cache_dir: Path) -> None:
    server.etag = False
    _files(server, cache_dir)
    _files(server, cache_dir)
    assert _stored(cache_dir) == []
    assert _page_requests(server) == [(200, None), (200, None)]


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
