"""Wheel metadata kept between runs (tagpip.index.metacache): a repeat run reads it without a
request, whether it came from a PEP 658 file or out of the wheel; a kept copy that is damaged, or
not what its name says, is a miss and never wrong metadata; a hostile page never picks a path."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from support.server import IndexServer, LoggedRequest
from tagpip import sealed
from tagpip.config.pip import IndexOptions
from tagpip.index import metacache
from tagpip.index.client import HttpIndex, MetadataError

NAME = canonicalize_name("demo")
SHA = "a" * 64


def _options(server: IndexServer, cache_dir: Path, **options: object) -> IndexOptions:
    values: dict[str, object] = {
        "index_url": server.url,
        "cache_dir": cache_dir,
        "retries": 0,
        "refresh": True,  # every run asks about the page: only metadata requests are spared
    }
    values.update(options)
    return IndexOptions(**values)  # type: ignore[arg-type]


def _requirements(server: IndexServer, cache_dir: Path, **options: object) -> list[str]:
    with HttpIndex(_options(server, cache_dir, **options)) as index:
        [wheel] = index.files(NAME)
        return [str(r) for r in index.metadata(wheel).requires_dist or ()]


def _file_requests(server: IndexServer) -> list[LoggedRequest]:
    return [r for r in server.requests if r.path.startswith("/files/")]


@pytest.fixture
def server(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel("demo", "1.0", requires_dist=["idna>=2"])
    index_server.cache_control = None  # no caching header: the HTTP cache could not help
    index_server.etag = False
    return index_server


def test_a_pep_658_file_is_read_once(server: IndexServer, cache_dir: Path) -> None:
    assert _requirements(server, cache_dir) == ["idna>=2"]
    assert [r.path.endswith(".metadata") for r in _file_requests(server)] == [True]
    assert _requirements(server, cache_dir) == ["idna>=2"]
    assert len(_file_requests(server)) == 1


def test_metadata_read_out_of_the_wheel_is_read_once(server: IndexServer, cache_dir: Path) -> None:
    server.metadata_files = False
    assert _requirements(server, cache_dir) == ["idna>=2"]
    first = len(_file_requests(server))
    assert first >= 1  # range requests into the wheel
    assert _requirements(server, cache_dir) == ["idna>=2"]
    assert len(_file_requests(server)) == first


def test_no_cache_dir_keeps_nothing(server: IndexServer, cache_dir: Path) -> None:
    _requirements(server, cache_dir, no_cache=True)
    _requirements(server, cache_dir, no_cache=True)
    assert len(_file_requests(server)) == 2
    assert not (cache_dir / "metadata").exists()


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty"])
def test_a_damaged_copy_is_a_miss(server: IndexServer, cache_dir: Path, damage: str) -> None:
    _requirements(server, cache_dir)
    [path] = (cache_dir / "metadata").rglob("sha256-*")
    data = path.read_bytes()
    if damage == "flip":
        path.write_bytes(data[:-3] + bytes([data[-3] ^ 0x20]) + data[-2:])
    elif damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(b"")
    assert _requirements(server, cache_dir) == ["idna>=2"]
    assert len(_file_requests(server)) == 2
    assert metacache.load(path.parent.parent, path.name) is not None  # kept again


def test_a_copy_that_is_not_the_named_file_is_a_miss(server: IndexServer, cache_dir: Path) -> None:
    _requirements(server, cache_dir)
    [path] = (cache_dir / "metadata").rglob("sha256-*")
    # Intact as a file (its own checksum is right), but not the file its name's hash names.
    metacache.store(path.parent.parent, path.name, b"Metadata-Version: 2.1\nName: demo\n", {})
    assert _requirements(server, cache_dir) == ["idna>=2"]
    assert len(_file_requests(server)) == 2


def test_kept_metadata_that_does_not_fit_the_file_is_fetched_again(
    server: IndexServer, cache_dir: Path
) -> None:
    server.metadata_files = False
    _requirements(server, cache_dir)
    [path] = (cache_dir / "metadata").rglob("wheel-*")
    metacache.store(
        path.parent.parent,
        path.name,
        b"Metadata-Version: 2.1\nName: other\n",
        {"metadata_version": "2.1", "name": "other", "version": "1.0"},
    )
    before = len(_file_requests(server))
    assert _requirements(server, cache_dir) == ["idna>=2"]
    assert len(_file_requests(server)) > before


@pytest.mark.parametrize("files", [True, False])
def test_metadata_that_fails_is_not_kept(
    index_server: IndexServer, cache_dir: Path, files: bool
) -> None:
    index_server.add_wheel("demo", "1.0", metadata_version="9.0")
    index_server.metadata_files = files
    with pytest.raises(MetadataError, match=r"says version '9\.0'"):
        _requirements(index_server, cache_dir)
    assert not [p for p in (cache_dir / "metadata").rglob("*") if p.is_file()]


def test_keys() -> None:
    url = "https://example.org/demo-1.0-py3-none-any.whl"
    assert metacache.key(url, (("sha256", "B" * 64),), ()) == "sha256-" + "b" * 64
    assert metacache.key(url, (("md5", "b" * 32), ("sha512", "c" * 128)), ()) == (
        "sha512-" + "c" * 128
    )
    # No usable metadata hash: the wheel's hash and URL name it, so another server's (or
    # another URL's) answer for the same hash is never taken for this one.
    by_wheel = metacache.key(url, (), (("sha256", SHA),))
    assert by_wheel is not None
    assert by_wheel.startswith("wheel-")
    assert metacache.key(url + "?other", None, (("sha256", SHA),)) != by_wheel
    assert metacache.key(url, None, (("md5", "b" * 32),)) is None
    assert metacache.key(url, None, ()) is None


@pytest.mark.parametrize(
    "digest", ["../../../../tmp/x", "a" * 63, "a" * 65, "g" * 64, "a" * 62 + "/.", ""]
)
def test_a_hostile_digest_never_becomes_a_path(digest: str, tmp_path: Path) -> None:
    url = "https://example.org/demo-1.0-py3-none-any.whl"
    assert metacache.key(url, (("sha256", digest),), (("sha256", digest),)) is None
    name = metacache.key(url, (("sha256", digest),), (("sha256", SHA),))
    assert name is not None
    assert name.startswith("wheel-")
    metacache.store(tmp_path / "metadata", name, b"data", {})
    [kept] = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert kept.parent.parent == tmp_path / "metadata"


def test_credentials_in_a_url_are_no_part_of_the_key() -> None:
    from tagpip.index import metacache

    wheel = (("sha256", "b" * 64),)
    bare = metacache.key("https://host.invalid/a-1-py3-none-any.whl", None, wheel)
    secret = metacache.key("https://user:s3cr3t@host.invalid/a-1-py3-none-any.whl", None, wheel)
    assert bare == secret
    assert bare is not None
    assert bare.startswith("wheel-")


def test_a_copy_of_another_format_is_a_miss(server: IndexServer, cache_dir: Path) -> None:
    """An older tagpip's copy (the unnumbered pair) is intact, but its parsed fields may not be
    today's: it is fetched again and kept in the current format."""
    _requirements(server, cache_dir)
    [path] = (cache_dir / "metadata").rglob("sha256-*")
    data, parsed = metacache.load(path.parent.parent, path.name) or (b"", None)
    sealed.write(path, marshal.dumps((data, parsed)))
    assert not metacache.is_current(path)
    assert _requirements(server, cache_dir) == ["idna>=2"]
    assert len(_file_requests(server)) == 2
    assert metacache.is_current(path)
