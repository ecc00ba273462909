"""A damaged cache entry, of any kind, is a miss that is replaced: never an error, and not
again on the next run (issue 30: a sealed page that did not decode failed every run after).

Each test fills a real cache with a real run (``tagpip install --target`` against a real index
on 127.0.0.1), damages entries of one kind in one way, then runs the same command twice: both
succeed, the first puts a good entry in the damaged one's place, and the second is served from
it. Damage comes in two sorts: bytes cut or changed (what a crash or a bad disk does) and
entries that are intact on disk, their seal or hash made again, but hold what this tagpip would
never write (another tagpip's, another Python's marshal, or a hand edit).
"""

from __future__ import annotations

import hashlib
import json
import marshal
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from support.server import IndexServer
from support.wheels import build_source_sdist
from tagpip import sealed
from tagpip.cli import main
from tagpip.config.pip import IndexOptions
from tagpip.index import metacache, pagecache
from tagpip.index.client import HttpIndex
from tagpip.install.unpacked import LAYOUT

TARGET = ("--platform", "manylinux2014_x86_64", "--python-version", "3.12")


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add_wheel("app", "1.0", requires_dist=["helper>=1"])
    index_server.add_wheel("app", "0.9", requires_dist=["helper>=1"])
    index_server.add_wheel("helper", "1.0", extra_files={"helper/data.txt": "x" * 5000})
    return index_server


def _install(
    index: IndexServer,
    cache: Path,
    target: Path,
    capsys: pytest.CaptureFixture[str],
    *,
    requirement: str = "app",
    command: str = "install",
) -> None:
    """``install --target`` (or ``download -d``) of ``requirement`` with ``cache``; it works."""
    where = ["--target", str(target)] if command == "install" else ["-d", str(target)]
    status = main(
        [command, requirement, "-i", index.url, *where, "--cache-dir", str(cache), *TARGET]
    )
    err = capsys.readouterr().err
    assert status == 0, err
    assert "internal error" not in err
    version = "0.9" if requirement == "app<1" else "1.0"
    if command == "install":
        assert (target / f"app-{version}.dist-info").is_dir()
        assert (target / "helper" / "data.txt").read_text() == "x" * 5000
    else:
        assert (target / f"app-{version}-py3-none-any.whl").is_file()


def _reseal(path: Path, payload: bytes) -> None:
    """Write ``payload`` with a seal that holds: intact on disk, whatever it says."""
    sealed.write(path, payload)


def _page_record(path: Path) -> dict[str, object]:
    found = sealed.read(path)
    assert found is not None
    record = pagecache.unpack(found[0])
    assert record is not None
    return record


# -- how each kind is damaged ----------------------------------------------------------------


def _pages(cache: Path) -> list[Path]:
    return sorted((cache / "pages").rglob("*.page"))


def _damage_page(how: str) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        if how == "cut":
            path.write_bytes(path.read_bytes()[:-7])
            return
        if how == "garbage":
            _reseal(path, b"\xff\xfe not marshal at all")
            return
        record = _page_record(path)
        chunks = record["chunks"]
        order = record["order"]
        assert isinstance(chunks, list)
        assert isinstance(order, list)
        if how == "bad-marshal":
            record["chunks"] = [b"\xffbad marshal data" for _ in chunks]
        elif how == "bad-rows":
            record["chunks"] = [marshal.dumps([{"filename": 3, "url": None}]) for _ in chunks]
        elif how == "bad-link-fields":
            record["chunks"] = [marshal.dumps([["only", "two"]]) for _ in chunks]
            record["html"] = True
        elif how == "bad-version":
            record["order"] = [["not a version!", positions] for _text, positions in order]
        elif how == "bad-later-version":
            record["order"] = [order[0], *(["nope", p] for _t, p in order[1:])]
        elif how == "wrong-types":
            record["etag"] = {"not": "a string"}
            record["max_age"] = "forever"
        _reseal(path, pagecache.pack(record))

    return damage


def _metadata(cache: Path) -> list[Path]:
    return sorted(p for p in (cache / "metadata").rglob("*") if p.is_file())


def _damage_metadata(how: str) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        found = sealed.read(path)
        assert found is not None
        fmt, data, parsed = marshal.loads(found[0])
        if how == "cut":
            path.write_bytes(path.read_bytes()[:-3])
        elif how == "garbage":
            _reseal(path, b"\x00garbage")
        elif how == "other-bytes":  # the bytes no longer have the hash the name pins
            _reseal(path, marshal.dumps((fmt, data + b"\n", parsed)))
        elif how == "bad-parsed":
            _reseal(path, marshal.dumps((fmt, data, {"name": 5, "requires_dist": [1, 2]})))
        elif how == "bad-requirement":
            broken = dict(parsed, requires_dist=["helper>=1 ; python_version >>> '3'"])
            _reseal(path, marshal.dumps((fmt, data, broken)))
        elif how == "not-a-mapping":
            _reseal(path, marshal.dumps((fmt, data, ["a", "list"])))

    return damage


def _wheels(cache: Path) -> list[Path]:
    return sorted((cache / "wheels").rglob("*.whl"))


def _damage_wheel(how: str) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        data = path.read_bytes()
        if how == "cut":
            path.write_bytes(data[: len(data) // 2])
        elif how == "flipped":
            path.write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
        elif how == "empty":
            path.write_bytes(b"")
        elif how == "a-folder":
            path.unlink()
            path.mkdir()

    return damage


def _unpacked(cache: Path) -> list[Path]:
    return sorted((cache / "unpacked" / f"v{LAYOUT}").glob("*/*"))


def _damage_unpacked(how: str) -> Callable[[Path], None]:
    def damage(entry: Path) -> None:
        manifest = entry / "entry.json"
        files = entry / "files"
        if how == "manifest-garbage":
            manifest.write_bytes(b"{not json")
        elif how == "manifest-nested":
            manifest.write_text("[" * 100_000 + "]" * 100_000)
        elif how == "manifest-types":
            data = json.loads(manifest.read_text())
            data["files"] = [[5, "x", None, [], {}]]
            manifest.write_text(json.dumps(data))
        elif how == "inspection-types":
            data = json.loads(manifest.read_text())
            data["wheel"] = {"display_name": 5, "tags": "x", "members": "many", "notes": None}
            manifest.write_text(json.dumps(data))
        elif how == "file-gone":
            victim = next(p for p in sorted(files.rglob("*")) if p.is_file())
            victim.unlink()
        elif how == "file-changed":
            victim = next(p for p in sorted(files.rglob("*.py")) if p.is_file())
            victim.write_text(victim.read_text() + "# edited\n")
        elif how == "no-manifest":
            manifest.unlink()

    return damage


KINDS: dict[str, tuple[Callable[[Path], list[Path]], Callable[[str], Callable[[Path], None]], list[str]]] = {  # noqa: E501
    "pages": (
        _pages,
        _damage_page,
        ["cut", "garbage", "bad-marshal", "bad-rows", "bad-link-fields", "bad-version",
         "bad-later-version", "wrong-types"],
    ),
    "metadata": (
        _metadata,
        _damage_metadata,
        ["cut", "garbage", "other-bytes", "bad-parsed", "bad-requirement", "not-a-mapping"],
    ),
    "wheels": (_wheels, _damage_wheel, ["cut", "flipped", "empty", "a-folder"]),
    "unpacked": (
        _unpacked,
        _damage_unpacked,
        ["manifest-garbage", "manifest-nested", "manifest-types", "inspection-types",
         "file-gone", "file-changed", "no-manifest"],
    ),
}  # fmt: skip
CASES = [(kind, how) for kind, (_, _, hows) in KINDS.items() for how in hows]


@pytest.mark.parametrize(("kind", "how"), CASES, ids=[f"{k}-{h}" for k, h in CASES])
def test_a_damaged_cache_entry_is_a_miss_that_is_replaced(
    index: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    how: str,
) -> None:
    cache = tmp_path / "cache"
    # install --target reads the wheel cache only for wheels the unpacked cache lacks.
    command = "download" if kind == "wheels" else "install"
    _install(index, cache, tmp_path / "first", capsys, command=command)
    if how == "bad-later-version":
        _install(index, cache, tmp_path / "older", capsys, requirement="app<1")
    entries_of, damage_of, _ = KINDS[kind]
    entries = entries_of(cache / "tagpip")
    assert entries, f"the first run kept no {kind}"
    good = {path: _fingerprint(path) for path in entries}
    for path in entries:
        damage_of(how)(path)
    # Twice: the first run replaces what it cannot use, the second is served from the cache.
    # (A version past the one a run needs is never decoded: the older one is asked for.)
    requirement = "app<1" if how == "bad-later-version" else "app"
    _install(index, cache, tmp_path / "second", capsys, requirement=requirement, command=command)
    index.clear_log()
    _install(index, cache, tmp_path / "third", capsys, requirement=requirement, command=command)
    assert {path: _fingerprint(path) for path in entries_of(cache / "tagpip")} == good
    if kind in ("pages", "metadata"):
        # Replaced, so the third run asked the index for nothing (pages are fresh for 600 s).
        assert index.paths() == []


def _fingerprint(path: Path) -> str:
    """What an entry holds, as this tagpip reads it (a page: its decoded record less the
    counting of its freshness; a metadata copy: its decoded tuple; a file: its bytes; an
    unpacked entry: its files and stored inspection)."""
    if path.suffix == ".page":
        record = _page_record(path)
        return repr(sorted(record.items()))
    if "metadata" in path.parts:
        found = metacache.load(path.parent.parent, path.name)
        return repr(found)
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    manifest = json.loads((path / "entry.json").read_text())
    rows = sorted((row[0], row[1], row[4]) for row in manifest["files"])
    return repr((rows, manifest["wheel"]))


def test_a_damaged_page_is_replaced_while_a_resolution_uses_it(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The damage is found only when the resolver reaches a version's files (groups decode
    lazily): by then the run is underway, and the page is read anew in the middle of it."""
    cache = tmp_path / "cache"
    _install(index, cache, tmp_path / "first", capsys)
    for path in _pages(cache / "tagpip"):
        record = _page_record(path)
        chunks, order = record["chunks"], record["order"]
        assert isinstance(chunks, list)
        assert isinstance(order, list)
        # The versions read well; the newest one's files do not decode.
        newest = order[0][1]
        record["chunks"] = [b"\x00" if n in newest else c for n, c in enumerate(chunks)]
        _reseal(path, pagecache.pack(record))
    status = main(
        ["lock", "app", "-i", index.url, "-o", str(tmp_path / "lock.txt"), "--cache-dir",
         str(cache), *TARGET]
    )  # fmt: skip
    assert status == 0, capsys.readouterr().err
    assert "app==1.0" in (tmp_path / "lock.txt").read_text()
    assert all(pagecache.is_current(path) for path in _pages(cache / "tagpip"))


@pytest.mark.parametrize("how", ["removed", "replaced", "flipped"])
def test_a_page_that_changes_on_disk_while_a_resolution_uses_it_is_read_anew(
    index: IndexServer, tmp_path: Path, how: str
) -> None:
    """A stored page's groups stay in its file until their version's files are built (only
    its record is kept in memory): the file removed, replaced by another run's copy or
    damaged in between is a copy that does not decode, and the page is read anew then."""
    app = canonicalize_name("app")
    options = IndexOptions(index_url=index.url, cache_dir=tmp_path / "cache", retries=0)
    with HttpIndex(options) as http:
        first = list(http.files(app))
    [path] = [
        p for p in _pages(tmp_path / "cache") if pagecache.load(p.parent.parent, index.url + "app/")
    ]
    with HttpIndex(options) as http:
        files = http.releases(app)
        versions = list(files.versions())  # the record is read, not yet any group
        if how == "removed":
            path.unlink()
        elif how == "replaced":
            record = _page_record(path)
            chunks = record["chunks"]
            assert isinstance(chunks, list)
            record["chunks"] = [c + b"\x00" for c in chunks]  # other sizes and offsets
            _reseal(path, pagecache.pack(record))
        else:
            data = bytearray(path.read_bytes())
            data[-3] ^= 0xFF  # in a group's bytes, the seal left as it was
            path.write_bytes(bytes(data))
        before = len([r for r in index.requests if r.path == "/simple/app/"])
        built = [f for v in versions for f in files.of_version(v)]
    assert sorted(built, key=lambda f: f.url) == sorted(first, key=lambda f: f.url)
    assert len([r for r in index.requests if r.path == "/simple/app/"]) == before + 1
    assert pagecache.is_current(path)


def test_an_http_cache_entry_that_does_not_load_is_a_miss(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The HTTP cache (CacheControl) keeps remote find-links pages."""
    cache = tmp_path / "cache"
    args = ["download", "app", "--no-index", "-f", index.links_url, "-d", str(tmp_path / "d"),
            "--cache-dir", str(cache), *TARGET]  # fmt: skip
    assert main(args) == 0, capsys.readouterr().err
    entries = [p for p in (cache / "tagpip" / "http").rglob("*") if p.is_file()]
    assert entries
    for number, path in enumerate(entries):
        path.write_bytes([b"", b"\xff\x00garbage", path.read_bytes()[:10]][number % 3])
    shutil.rmtree(tmp_path / "d")
    assert main(args) == 0, capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [
        "app-1.0-py3-none-any.whl",
        "helper-1.0-py3-none-any.whl",
    ]


@pytest.mark.slow
@pytest.mark.parametrize("how", ["cut", "not-a-zip", "empty"])
def test_a_damaged_built_wheel_is_a_miss_that_is_rebuilt(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    """Wheels built from sdists are kept by the sdist's sha256 (``built/``)."""
    from test_build import serve_setuptools

    serve_setuptools(index)
    build_source_sdist(index.root, "sgmlpure", "1.0")
    cache = tmp_path / "cache"
    args = ["download", "sgmlpure", "-i", index.url, "--cache-dir", str(cache), *TARGET]
    assert main([*args, "-d", str(tmp_path / "one")]) == 0, capsys.readouterr().err
    [built] = sorted((cache / "tagpip" / "built").rglob("*.whl"))
    good = built.read_bytes()
    damaged = {"cut": good[: len(good) // 2], "not-a-zip": b"PK\x03\x04 no", "empty": b""}[how]
    built.write_bytes(damaged)
    for attempt in ("two", "three"):
        status = main([*args, "-d", str(tmp_path / attempt)])
        err = capsys.readouterr().err
        assert status == 0, err
        assert "internal error" not in err
        wheel = tmp_path / attempt / "sgmlpure-1.0-py3-none-any.whl"
        assert zipfile.ZipFile(wheel).testzip() is None
    assert zipfile.is_zipfile(built)
