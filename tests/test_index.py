"""The index client against a real simple-repository server on 127.0.0.1 (tests/support)."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
import random
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.tags import Tag
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from support.server import FIXED_UPLOAD_TIME, LoggedRequest, Reply, wheel_metadata
from support.wheels import build_wheel, core_metadata
from tagpip.config.pip import IndexOptions
from tagpip.index.client import (
    ACCEPT,
    DistFile,
    FetchError,
    HttpIndex,
    IndexError_,
    MetadataError,
    PageError,
    redact_url,
)

from support.server import IndexServer  # isort: skip

UPLOADED = datetime.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.timezone.utc)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _name(project: str) -> NormalizedName:
    return canonicalize_name(project)


@pytest.fixture
def make_index(cache_dir: Path) -> Iterator[type[HttpIndex]]:
    """HttpIndex with a per-test cache, no retries (fast failures), closed after the test."""
    made: list[HttpIndex] = []

    class _Index(HttpIndex):
        def __init__(self, options: IndexOptions, *, workers: int = 4) -> None:
            super().__init__(options, workers=workers)
            made.append(self)

    yield _Index
    for index in made:
        index.close()


def _options(server: IndexServer, cache_dir: Path, **kwargs: object) -> IndexOptions:
    values: dict[str, object] = {"index_url": server.url, "cache_dir": cache_dir, "retries": 0}
    values.update(kwargs)
    return IndexOptions(**values)  # type: ignore[arg-type]


def _wheel_paths(server: IndexServer, filename: str) -> list[LoggedRequest]:
    return [r for r in server.requests if r.path == f"/files/{filename}"]


# -- pages ---------------------------------------------------------------------------------------


def _expected_files(server: IndexServer, *, json: bool) -> list[DistFile]:
    root = server.root
    sdist = root / "demo_pkg-0.9.tar.gz"
    pure = root / "demo_pkg-1.0-py2.py3-none-any.whl"
    binary = root / "demo_pkg-1.0-1-cp36-cp36m-manylinux1_x86_64.whl"

    def meta_hash(path: Path) -> tuple[tuple[str, str], ...]:
        data = wheel_metadata(path)
        assert data is not None
        return (("sha256", hashlib.sha256(data).hexdigest()),)

    def extra(path: Path) -> dict[str, object]:
        if not json:
            return {}
        return {"upload_time": UPLOADED, "size": path.stat().st_size}

    return [
        DistFile(
            project=_name("demo-pkg"),
            filename=sdist.name,
            url=server.file_url(sdist.name),
            version=Version("0.9"),
            build=(),
            tags=frozenset(),
            is_wheel=False,
            hashes=(("sha256", _sha256(sdist)),),
            **extra(sdist),  # type: ignore[arg-type]
        ),
        DistFile(
            project=_name("demo-pkg"),
            filename=binary.name,
            url=server.file_url(binary.name),
            version=Version("1.0"),
            build=(1, ""),
            tags=frozenset({Tag("cp36", "cp36m", "manylinux1_x86_64")}),
            is_wheel=True,
            hashes=(("sha256", _sha256(binary)),),
            metadata_hashes=meta_hash(binary),
            **extra(binary),  # type: ignore[arg-type]
        ),
        DistFile(
            project=_name("demo-pkg"),
            filename=pure.name,
            url=server.file_url(pure.name),
            version=Version("1.0"),
            build=(),
            tags=frozenset({Tag("py2", "none", "any"), Tag("py3", "none", "any")}),
            is_wheel=True,
            hashes=(("sha256", _sha256(pure)),),
            requires_python=">=3.6",
            metadata_hashes=meta_hash(pure),
            **extra(pure),  # type: ignore[arg-type]
        ),
    ]


def _demo(server: IndexServer) -> None:
    server.add_wheel("Demo.Pkg", "1.0", tags="py2.py3-none-any", requires_python=">=3.6")
    server.add_wheel("demo-pkg", "1.0", tags="cp36-cp36m-manylinux1_x86_64", build_tag="1")
    server.add_sdist("demo_pkg", "0.9")
    server.add_wheel("other", "1.0")


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_project_page_lists_every_file_in_filename_order(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path, fmt: str
) -> None:
    _demo(index_server)
    index_server.format = fmt  # type: ignore[assignment]
    index = make_index(_options(index_server, cache_dir))
    assert list(index.files(_name("Demo_Pkg"))) == _expected_files(index_server, json=fmt == "json")


def test_content_negotiation_prefers_json(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    _demo(index_server)
    index = make_index(_options(index_server, cache_dir))
    files = index.files(_name("demo-pkg"))
    [page] = index_server.requests
    assert page.headers["accept"] == ACCEPT
    assert page.headers["cache-control"] == "max-age=0"
    # Only the JSON form carries PEP 700's upload-time: the server chose JSON.
    assert {f.upload_time for f in files} == {UPLOADED}
    assert FIXED_UPLOAD_TIME.startswith("2024-01-02T03:04:05")


def test_files_are_cached_in_memory_per_project(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    _demo(index_server)
    index = make_index(_options(index_server, cache_dir))
    first = index.files(_name("demo-pkg"))
    assert index.files(_name("Demo.Pkg")) is first
    assert index_server.paths() == ["/simple/demo-pkg/"]


def test_unknown_project_is_empty(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    index = make_index(_options(index_server, cache_dir))
    assert not index.files(_name("nothing-here"))
    assert tuple(index.files(_name("nothing-here"))) == ()
    assert [(r.path, r.status) for r in index_server.requests] == [("/simple/nothing-here/", 404)]


def test_files_of_other_projects_and_unparsable_names_are_skipped(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    page = (
        "<html><body>"
        '<a href="/files/demo-1.0-py3-none-any.whl">ok</a>'
        '<a href="/files/demo_extras-1.0-py3-none-any.whl">other project</a>'
        '<a href="/files/demo-1.0-py3-none.whl">bad wheel name</a>'
        '<a href="/files/demo-notaversion!.tar.gz">bad version</a>'
        '<a href="/files/demo-1.0.exe">installer</a>'
        '<a href="/files/demo-0.1.tar.bz2">old sdist</a>'
        "<a>no href</a>"
        "</body></html>"
    )
    index_server.overrides["/simple/demo/"] = lambda _: Reply(
        200, page.encode(), {"Content-Type": "text/html"}
    )
    index = make_index(_options(index_server, cache_dir))
    assert [f.filename for f in index.files(_name("demo"))] == [
        "demo-0.1.tar.bz2",
        "demo-1.0-py3-none-any.whl",
    ]


def test_html_base_href_and_entities(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    page = (
        '<html><head><base href="/elsewhere/"></head><body>'
        '<a href="demo-1.0-py3-none-any.whl#sha256=ABCD" data-requires-python="&gt;=3.7"'
        ' data-yanked data-dist-info-metadata="true">x</a>'
        "</body></html>"
    )
    index_server.overrides["/simple/demo/"] = lambda _: Reply(
        200, page.encode(), {"Content-Type": "text/html; charset=utf-8"}
    )
    index = make_index(_options(index_server, cache_dir))
    [file] = index.files(_name("demo"))
    assert file.url == index_server.base_url + "/elsewhere/demo-1.0-py3-none-any.whl"
    assert (file.hashes, file.requires_python, file.yanked, file.metadata_hashes) == (
        (("sha256", "abcd"),),
        ">=3.7",
        "",
        (),
    )


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_yanked_files_are_kept_with_their_reason(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path, fmt: str
) -> None:
    bad = index_server.add_wheel("demo", "1.0")
    quiet = index_server.add_wheel("demo", "1.1")
    index_server.add_wheel("demo", "1.2")
    index_server.yanked = {bad.name: "broken build", quiet.name: ""}
    index_server.format = fmt  # type: ignore[assignment]
    index = make_index(_options(index_server, cache_dir))
    assert [(f.version, f.yanked) for f in index.files(_name("demo"))] == [
        (Version("1.0"), "broken build"),
        (Version("1.1"), ""),
        (Version("1.2"), None),
    ]


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"{not json", "application/vnd.pypi.simple.v1+json", "invalid JSON page: Expecting"),
        (b'{"meta": {"api-version": "2.0"}, "files": []}', "application/vnd.pypi.simple.v1+json",
         "invalid JSON page: unsupported or missing meta.api-version '2.0' (expected 1.x)"),
        (b'{"meta": {"api-version": "1.0"}, "files": [{"url": 1}]}',
         "application/vnd.pypi.simple.v1+json",
         "invalid JSON page: a file has no 'filename' or 'url' string"),
        (b"<html>\xff\xfe</html>", "text/html", "invalid HTML page: 'utf-8' codec can't decode"),
        (b"PK\x03\x04", "application/zip", "the server sent application/zip, not a simple-"),
    ],
)  # fmt: skip
def test_broken_pages_are_errors_naming_the_project(
    index_server: IndexServer,
    make_index: type[HttpIndex],
    cache_dir: Path,
    body: bytes,
    content_type: str,
    reason: str,
) -> None:
    index_server.overrides["/simple/demo/"] = lambda _: Reply(
        200, body, {"Content-Type": content_type}
    )
    index = make_index(_options(index_server, cache_dir))
    with pytest.raises(PageError) as caught:
        index.files(_name("demo"))
    assert caught.value.message.startswith(f"demo: {reason}")
    assert caught.value.project == "demo"
    assert caught.value.url == index_server.url + "demo/"


# -- sources -------------------------------------------------------------------------------------


def test_extra_indexes_come_first_and_the_first_that_knows_a_project_serves_it(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path, tmp_path: Path
) -> None:
    """uv's order and its first-index rule (tests/test_index_strategy.py has the rest)."""
    index_server.add_wheel("demo", "2.0")
    index_server.add_wheel("other", "1.0")
    with IndexServer(tmp_path / "extra") as extra:
        extra.add_wheel("demo", "1.0")
        extra.add_wheel("demo", "3.0")
        notes: list[str] = []
        options = _options(index_server, cache_dir, extra_index_urls=(extra.url,))
        index = HttpIndex(options, on_note=notes.append)
        assert [f.url for f in index.files(_name("demo"))] == [
            extra.file_url("demo-1.0-py3-none-any.whl"),
            extra.file_url("demo-3.0-py3-none-any.whl"),
        ]
        assert [f.url for f in index.files(_name("other"))] == [
            index_server.file_url("other-1.0-py3-none-any.whl")
        ]
        assert notes == [
            f"demo: taking every version from {extra.url}, the first index that has it; also "
            f"on {index_server.url} (2.0), left out by the first-index rule (to choose among "
            "all: --index-strategy unsafe-best-match; to pin it: --index-for)"
        ]
        # The note is said once, when the project is first asked for.
        index.files(_name("demo"))
        assert len(notes) == 1
        index.close()


@pytest.mark.parametrize(
    ("strategy", "versions"),
    [
        ("first-index", ["3.0", "2.0", "1.0"]),
        ("unsafe-best-match", ["4.0", "3.0", "2.0", "1.0"]),
        ("unsafe-first-match", ["3.0", "2.0", "1.0", "4.0"]),
    ],
)
def test_each_strategy_orders_the_versions_of_several_indexes(
    index_server: IndexServer,
    make_index: type[HttpIndex],
    cache_dir: Path,
    tmp_path: Path,
    strategy: str,
    versions: list[str],
) -> None:
    """``unsafe-best-match``: every index's versions, newest first, a version on several from
    the first that has it; ``unsafe-first-match``: the first index's versions (and find-links')
    first; ``first-index``: the first index's alone, with find-links' beside them."""
    index_server.add_wheel("demo", "1.0")  # the default index, searched last
    index_server.add_wheel("demo", "4.0")
    links = tmp_path / "links"
    build_wheel(links, "demo", "2.0")
    with IndexServer(tmp_path / "extra") as extra:
        extra.add_wheel("demo", "1.0", build_tag="7")  # the same version: the extra's serves
        extra.add_wheel("demo", "3.0")
        options = dataclasses.replace(
            _options(index_server, cache_dir, extra_index_urls=(extra.url,)),
            find_links=(str(links),),
            index_strategy=strategy,
        )
        index = make_index(options)
        releases = index.releases(_name("demo"))
        assert [str(v) for v in releases.versions()] == versions
        assert [f.url for f in releases.of_version(Version("1.0"))] == [
            extra.file_url("demo-1.0-7-py3-none-any.whl")
        ]


def test_no_index_uses_only_find_links(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path, tmp_path: Path
) -> None:
    index_server.add_wheel("demo", "2.0")
    folder = tmp_path / "wheels"
    local = build_wheel(folder, "demo", "1.0", requires_dist=["dep>=1"])
    build_wheel(folder, "unrelated", "1.0")
    (folder / "notes.txt").write_text("not a distribution")
    index = make_index(_options(index_server, cache_dir, no_index=True, find_links=(str(folder),)))
    [file] = index.files(_name("demo"))
    assert (file.filename, file.url, file.hashes) == (local.name, local.resolve().as_uri(), ())
    assert [str(r) for r in index.metadata(file).requires_dist or ()] == ["dep>=1"]
    with index.open(file) as chunks:
        assert b"".join(chunks) == local.read_bytes()
    assert index_server.requests == []


def test_find_links_file_url_and_missing_folder(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path, tmp_path: Path
) -> None:
    local = build_wheel(tmp_path / "wheels", "demo", "1.0")
    missing = tmp_path / "no-such-folder"
    options = _options(
        index_server,
        cache_dir,
        no_index=True,
        find_links=(str(missing), (tmp_path / "wheels").as_uri()),
    )
    index = make_index(options)
    assert [f.filename for f in index.files(_name("demo"))] == [local.name]


def test_find_links_page(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    wheel = index_server.add_wheel("demo", "1.0")
    index_server.add_wheel("other", "1.0")
    index = make_index(
        _options(index_server, cache_dir, no_index=True, find_links=(index_server.links_url,))
    )
    [file] = index.files(_name("demo"))
    assert (file.filename, file.url) == (wheel.name, index_server.file_url(wheel.name))
    assert index.files(_name("other"))[0].filename == "other-1.0-py3-none-any.whl"
    assert index.metadata(file).version == Version("1.0")
    # The page is read once for every project; no metadata file was announced, so ranges.
    assert index_server.paths().count("/links/") == 1


def test_file_url_index(make_index: type[HttpIndex], cache_dir: Path, tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "repo" / "files", "demo", "1.0")
    page = tmp_path / "repo" / "simple" / "demo" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(f'<a href="../../files/{wheel.name}#sha256={_sha256(wheel)}">x</a>')
    index = make_index(IndexOptions(index_url=(tmp_path / "repo" / "simple").as_uri()))
    [file] = index.files(_name("demo"))
    assert (file.url, file.hashes) == (wheel.as_uri(), (("sha256", _sha256(wheel)),))
    assert index.metadata(file).name == "demo"
    assert tuple(index.files(_name("absent"))) == ()


# -- metadata ------------------------------------------------------------------------------------


def test_metadata_comes_from_the_pep658_file_not_the_wheel(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    wheel = index_server.add_wheel(
        "demo", "1.0", requires_dist=['dep; python_version < "3.8"'], requires_python=">=3.6"
    )
    index = make_index(_options(index_server, cache_dir))
    [file] = index.files(_name("demo"))
    metadata = index.metadata(file)
    assert [str(r) for r in metadata.requires_dist or ()] == ['dep; python_version < "3.8"']
    assert str(metadata.requires_python) == ">=3.6"
    assert index_server.paths() == ["/simple/demo/", f"/files/{wheel.name}.metadata"]
    assert index.metadata(file) is metadata


@pytest.mark.parametrize("attribute", ["core", "dist-info"])
def test_pep714_both_attribute_names(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path, attribute: str
) -> None:
    index_server.add_wheel("demo", "1.0")
    index_server.metadata_attribute = attribute  # type: ignore[assignment]
    for fmt in ("json", "html"):
        index_server.format = fmt
        index = make_index(_options(index_server, cache_dir, no_cache=True))
        [file] = index.files(_name("demo"))
        assert file.metadata_hashes is not None
        assert file.metadata_hashes[0][0] == "sha256"


def test_metadata_file_hash_mismatch_is_an_error(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    wheel = index_server.add_wheel("demo", "1.0")
    forged = core_metadata("demo", "1.0", requires_dist=["evil"]).encode()
    index_server.overrides[f"/files/{wheel.name}.metadata"] = lambda _: Reply(200, forged)
    index = make_index(_options(index_server, cache_dir))
    [file] = index.files(_name("demo"))
    assert file.metadata_hashes is not None
    expected = file.metadata_hashes[0][1]
    got = hashlib.sha256(forged).hexdigest()
    with pytest.raises(MetadataError) as caught:
        index.metadata(file)
    assert caught.value.message == (
        f"demo: the metadata file of {wheel.name} does not match the hash the index gave: "
        f"expected sha256:{expected}, got sha256:{got}"
    )
    assert (caught.value.project, caught.value.filename) == ("demo", wheel.name)


def test_missing_metadata_file_falls_back_to_the_wheel(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    wheel = index_server.add_wheel("demo", "1.0")
    index_server.overrides[f"/files/{wheel.name}.metadata"] = lambda _: Reply(404)
    index = make_index(_options(index_server, cache_dir))
    [file] = index.files(_name("demo"))
    assert index.metadata(file).version == Version("1.0")
    assert [r.status for r in _wheel_paths(index_server, wheel.name)] == [206]


def test_metadata_by_range_requests_without_fetching_the_wheel(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    # A big incompressible member makes the wheel far larger than the first range request.
    blob = random.Random(0).randbytes(256 * 1024)
    wheel = index_server.add_wheel(
        "demo", "1.0", requires_dist=["dep"], extra_files={"demo/blob.bin": blob}
    )
    size = wheel.stat().st_size
    assert size > 256 * 1024
    index_server.metadata_files = False
    index = make_index(_options(index_server, cache_dir))
    [file] = index.files(_name("demo"))
    assert file.metadata_hashes is None
    assert [str(r) for r in index.metadata(file).requires_dist or ()] == ["dep"]
    fetched = _wheel_paths(index_server, wheel.name)
    assert fetched, "the wheel was not read at all"
    assert all(r.headers.get("range", "").startswith("bytes=") for r in fetched)
    assert {r.status for r in fetched} == {206}


def test_range_reader_fetches_more_when_the_tail_is_not_enough(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    # METADATA first in the archive, then 256 KiB: the first 64 KiB tail does not hold it.
    blob = random.Random(0).randbytes(256 * 1024)
    wheel = index_server.root / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("demo-1.0.dist-info/METADATA", core_metadata("demo", "1.0"))
        archive.writestr("demo/blob.bin", blob)
    index_server.metadata_files = False
    index = make_index(_options(index_server, cache_dir))
    [file] = index.files(_name("demo"))
    assert index.metadata(file).name == "demo"
    fetched = _wheel_paths(index_server, wheel.name)
    assert [r.headers["range"] for r in fetched] == ["bytes=-65536", "bytes=0-65535"]
    assert {r.status for r in fetched} == {206}


def test_metadata_without_range_support_downloads_the_wheel(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    wheel = index_server.add_wheel("demo", "1.0", requires_dist=["dep"])
    index_server.metadata_files = False
    index_server.range_requests = False
    index = make_index(_options(index_server, cache_dir))
    [file] = index.files(_name("demo"))
    assert [str(r) for r in index.metadata(file).requires_dist or ()] == ["dep"]
    assert [r.status for r in _wheel_paths(index_server, wheel.name)] == [200]


def test_metadata_when_the_server_refuses_the_suffix_range(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    wheel = index_server.add_wheel("demo", "1.0")
    index_server.metadata_files = False
    index_server.overrides[f"/files/{wheel.name}"] = lambda request: (
        Reply(416) if "range" in request.headers else None
    )
    index = make_index(_options(index_server, cache_dir))
    [file] = index.files(_name("demo"))
    assert index.metadata(file).version == Version("1.0")
    assert [r.status for r in _wheel_paths(index_server, wheel.name)] == [416, 200]


@pytest.mark.parametrize(
    ("forge", "message"),
    [
        ({"metadata_name": "Someone-Else"},
         "demo: the metadata of demo-1.0-py3-none-any.whl names the project 'Someone-Else', "
         "but the file name says 'demo'"),
        ({"metadata_version": "1.0.post1"},
         "demo: the metadata of demo-1.0-py3-none-any.whl says version '1.0.post1', "
         "but the file name says '1.0'"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("pep658", [True, False])
def test_metadata_must_agree_with_the_file_name(
    index_server: IndexServer,
    make_index: type[HttpIndex],
    cache_dir: Path,
    forge: dict[str, str],
    message: str,
    pep658: bool,
) -> None:
    index_server.add_wheel("demo", "1.0", **forge)
    index_server.metadata_files = pep658
    index = make_index(_options(index_server, cache_dir))
    [file] = index.files(_name("demo"))
    with pytest.raises(MetadataError) as caught:
        index.metadata(file)
    assert caught.value.message == message


def test_metadata_name_and_version_compare_normalised(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    index_server.add_wheel("demo-pkg", "1.0", metadata_name="Demo_Pkg", metadata_version="1.0.0")
    index = make_index(_options(index_server, cache_dir))
    [file] = index.files(_name("demo-pkg"))
    assert index.metadata(file).name == "Demo_Pkg"


def test_lenient_metadata_drops_invalid_optional_fields(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    text = (
        "Metadata-Version: 2.0\nName: demo\nVersion: 1.0\nRequires-Python: >=3.6.*\n"
        "Provides-Extra: Not A Name!\nLicense-Expression: nonsense ((\nRequires-Dist: dep\n\n"
    )
    index_server.add_wheel("demo", "1.0", metadata_text=text)
    index = make_index(_options(index_server, cache_dir))
    [file] = index.files(_name("demo"))
    metadata = index.metadata(file)
    assert (metadata.requires_python, metadata.provides_extra) == (None, None)
    assert [str(r) for r in metadata.requires_dist or ()] == ["dep"]


def test_invalid_requires_dist_is_an_error(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    text = "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: dep >= = 1\n\n"
    index_server.add_wheel("demo", "1.0", metadata_text=text)
    index = make_index(_options(index_server, cache_dir))
    [file] = index.files(_name("demo"))
    with pytest.raises(MetadataError, match=r"^demo: the metadata of demo-1.0-py3-none-any.whl "):
        index.metadata(file)


def test_sdists_have_no_metadata(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    index_server.add_sdist("demo", "1.0")
    index = make_index(_options(index_server, cache_dir))
    [file] = index.files(_name("demo"))
    with pytest.raises(MetadataError, match="is not a wheel; tagpip reads metadata only"):
        index.metadata(file)


def test_a_file_that_is_not_a_zip(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    (index_server.root / "demo-1.0-py3-none-any.whl").write_bytes(b"not a zip at all" * 10)
    index = make_index(_options(index_server, cache_dir))
    [file] = index.files(_name("demo"))
    with pytest.raises(
        MetadataError, match=r"^demo: demo-1.0-py3-none-any.whl is not a valid wheel"
    ):
        index.metadata(file)


def test_prefetch_runs_in_the_background_and_never_raises(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    for version in ("1.0", "2.0", "3.0"):
        index_server.add_wheel("demo", version)
    broken = index_server.add_wheel("demo", "4.0", metadata_version="5.0")
    index_server.add_sdist("demo", "0.1")
    index = make_index(_options(index_server, cache_dir))
    files = index.files(_name("demo"))
    index.prefetch(files)
    index.prefetch(files)  # twice: no second fetch
    wheels = [f for f in files if f.is_wheel and f.filename != broken.name]
    assert [str(index.metadata(f).version) for f in wheels] == ["1.0", "2.0", "3.0"]
    [bad] = [f for f in files if f.filename == broken.name]
    with pytest.raises(MetadataError, match=r"says version '5\.0'"):
        index.metadata(bad)
    metadata_requests = [p for p in index_server.paths() if p.endswith(".metadata")]
    assert sorted(metadata_requests) == sorted(set(metadata_requests))
    assert len(metadata_requests) == 4


# -- HTTP: caching, errors, credentials ----------------------------------------------------------


def test_second_run_uses_the_caches(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    wheel = index_server.add_wheel("demo", "1.0")
    for _ in range(2):
        index = make_index(_options(index_server, cache_dir))
        [file] = index.files(_name("demo"))
        index.metadata(file)
    # The page is still fresh (max-age=600); the metadata file is kept by its hash.
    assert [(r.path, r.status) for r in index_server.requests] == [
        ("/simple/demo/", 200),
        (f"/files/{wheel.name}.metadata", 200),
    ]
    assert (cache_dir / "pages").is_dir()
    assert (cache_dir / "metadata").is_dir()


def test_second_run_revalidates_a_page_that_says_no_cache(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    index_server.add_wheel("demo", "1.0")
    index_server.cache_control = "no-cache"
    for _ in range(2):
        index = make_index(_options(index_server, cache_dir))
        [file] = index.files(_name("demo"))
        index.metadata(file)
    # The page is revalidated (ETag -> 304); the metadata file is still kept by its hash.
    assert [(r.path.split("/")[1], r.status) for r in index_server.requests] == [
        ("simple", 200),
        ("files", 200),
        ("simple", 304),
    ]
    assert index_server.requests[2].headers.get("if-none-match")


def test_no_cache_fetches_everything_again(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    index_server.add_wheel("demo", "1.0")
    for _ in range(2):
        index = make_index(_options(index_server, cache_dir, no_cache=True))
        index.metadata(index.files(_name("demo"))[0])
    assert [r.status for r in index_server.requests] == [200, 200, 200, 200]
    assert not cache_dir.exists()


def test_http_404_and_500(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    index_server.overrides["/simple/demo/"] = lambda _: Reply(500, b"oops")
    index = make_index(_options(index_server, cache_dir, retries=1))
    with pytest.raises(FetchError) as caught:
        index.files(_name("demo"))
    assert caught.value.message == (
        f"demo: HTTP 500 Internal Server Error from {index_server.url}demo/"
    )
    assert caught.value.status == 500
    assert index_server.paths() == ["/simple/demo/", "/simple/demo/"]  # retried once


def test_a_transient_503_is_retried(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    index_server.add_wheel("demo", "1.0")
    failures = iter([Reply(503)])
    index_server.overrides["/simple/demo/"] = lambda _: next(failures, None)
    index = make_index(_options(index_server, cache_dir, retries=2))
    assert len(index.files(_name("demo"))) == 1
    assert [r.status for r in index_server.requests] == [503, 200]


def test_timeout_is_an_error(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    release, answered = threading.Event(), threading.Event()

    def slow(_: LoggedRequest) -> Reply:
        release.wait(5)
        answered.set()
        return Reply(404)

    index_server.overrides["/simple/demo/"] = slow
    index = make_index(_options(index_server, cache_dir, timeout=0.2))
    try:
        with pytest.raises(FetchError) as caught:
            index.files(_name("demo"))
        gave_up_first = not answered.is_set()  # the server was still holding its answer back
    finally:
        release.set()
    assert gave_up_first
    assert caught.value.message == f"demo: timed out after 0.2s: {index_server.url}demo/"


def test_connection_refused(make_index: type[HttpIndex], cache_dir: Path) -> None:
    index = make_index(IndexOptions(index_url="http://127.0.0.1:9/simple/", retries=0))
    with pytest.raises(
        FetchError, match=r"^demo: could not connect .*: http://127.0.0.1:9/simple/demo/$"
    ):
        index.files(_name("demo"))


def test_plain_http_needs_a_trusted_host(make_index: type[HttpIndex], cache_dir: Path) -> None:
    index = make_index(IndexOptions(index_url="http://mirror.example/simple/"))
    with pytest.raises(FetchError) as caught:
        index.files(_name("demo"))
    assert caught.value.message == (
        "demo: mirror.example is not a trusted or secure host (plain http)"
    )
    assert caught.value.hint == "use https, or pass --trusted-host mirror.example if you trust it"


def test_credentials_are_sent_to_their_host_and_never_shown(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    index_server.add_wheel("demo", "1.0")
    secret_url = index_server.url.replace("http://", "http://alice:s3cret@")
    index = make_index(_options(index_server, cache_dir, index_url=secret_url))
    [file] = index.files(_name("demo"))
    assert "s3cret" not in file.url
    expected = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert index_server.requests[0].headers["authorization"] == expected

    index_server.overrides["/simple/broken/"] = lambda _: Reply(401)
    with pytest.raises(IndexError_) as caught:
        index.files(_name("broken"))
    text = f"{caught.value.message} {caught.value.hint} {caught.value.url}"
    assert "s3cret" not in text
    assert caught.value.url == index_server.url + "broken/"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pass@host/simple/", "https://user:****@host/simple/"),
        ("https://token@host:8443/x", "https://****@host:8443/x"),
        ("https://host/simple/", "https://host/simple/"),
        ("file:///tmp/x", "file:///tmp/x"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


# -- downloading ---------------------------------------------------------------------------------


def test_open_streams_the_file(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    blob = hashlib.sha256(b"x").digest() * 10000
    wheel = index_server.add_wheel("demo", "1.0", extra_files={"demo/blob.bin": blob})
    index = make_index(_options(index_server, cache_dir))
    [file] = index.files(_name("demo"))
    with index.open(file) as chunks:
        data = b"".join(chunks)
    assert data == wheel.read_bytes()
    assert hashlib.sha256(data).hexdigest() == dict(file.hashes)["sha256"]
    assert [r.headers.get("range") for r in _wheel_paths(index_server, wheel.name)] == [None]


def test_open_a_missing_file(
    index_server: IndexServer, make_index: type[HttpIndex], cache_dir: Path
) -> None:
    wheel = index_server.add_wheel("demo", "1.0")
    index = make_index(_options(index_server, cache_dir))
    [file] = index.files(_name("demo"))
    wheel.unlink()
    with pytest.raises(FetchError, match=r"^demo: HTTP 404 Not Found from "), index.open(file):
        pass
