"""ProjectFiles builds records lazily, version by version; whatever is asked, the answer must be
the one an eager build of every file gives (the order, the skipped files, the duplicates)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from tagpip.index.pages import (
    DistFile,
    Entry,
    Ordered,
    ProjectFiles,
    Source,
    dist_file,
    files_of_version,
    link_of,
    parse_html_page,
    parse_json_page,
)

PROJECT = canonicalize_name("demo-pkg")
PAGE = "https://index.example/simple/demo-pkg/"


def _eager(project: NormalizedName, sources: Sequence[list[Entry]]) -> list[DistFile]:
    """Every file, built one by one: what the index did before pages were read lazily."""
    found: list[DistFile] = []
    seen: set[str] = set()
    for entries in sources:
        batch = []
        for entry in entries:
            file = dist_file(project, link_of(entry))
            if file is not None and file.url not in seen:
                seen.add(file.url)
                batch.append(file)
        found += sorted(batch, key=lambda f: (f.filename, f.url))
    return found


_names = st.sampled_from(["demo_pkg", "Demo.Pkg", "demo-pkg", "other", "demo_pkg_extra", "d!mo"])
_versions = st.sampled_from(
    ["1.0", "1.0.0", "1.0.post1", "2.0rc1", "2!1.0", "1.0+local", "0.9", "not.a.version", "1_0"]
)
_tags = st.sampled_from(
    ["py3-none-any", "cp36-cp36m-manylinux1_x86_64", "cp312-abi3-win_amd64", "py3-none", "x-y-z"]
)
_builds = st.sampled_from(["", "1-", "2x-", "x-"])
_suffixes = st.sampled_from([".tar.gz", ".zip", ".tar.bz2", ".tgz", ".exe", ".egg", ".TAR.GZ"])


@st.composite
def _filenames(draw: st.DrawFn) -> str:
    name, version = draw(_names), draw(_versions)
    if draw(st.booleans()):
        return f"{name}-{version}-{draw(_builds)}{draw(_tags)}.whl"
    if draw(st.integers(0, 9)) == 0:
        return f"{name}{draw(_suffixes)}"  # no version at all
    return f"{name}-{version}{draw(_suffixes)}"


@st.composite
def _json_entries(draw: st.DrawFn) -> dict[str, Any]:
    filename = draw(_filenames())
    # A few URLs repeat on purpose (within and across sources): the first one listed wins.
    url = f"https://files.example/{draw(st.integers(0, 3))}/{filename}"
    entry: dict[str, Any] = {"filename": filename, "url": url}
    if draw(st.booleans()):
        entry["hashes"] = {"sha256": draw(st.sampled_from(["AA" * 32, "bb" * 32]))}
    if draw(st.booleans()):
        entry["requires-python"] = draw(st.sampled_from([">=3.8", "bad spec", ""]))
    if draw(st.booleans()):
        entry["yanked"] = draw(st.sampled_from([True, False, "broken"]))
    if draw(st.booleans()):
        entry["core-metadata"] = draw(st.sampled_from([True, {"sha256": "cc" * 32}]))
    return entry


def _json_page(entries: list[dict[str, Any]]) -> str:
    return json.dumps({"meta": {"api-version": "1.1"}, "name": "demo-pkg", "files": entries})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_json_entries(), max_size=12), min_size=1, max_size=3))
def test_lazy_files_equal_an_eager_build(pages: list[list[dict[str, Any]]]) -> None:
    sources = [parse_json_page(_json_page(page), PAGE) for page in pages]
    expected = _eager(PROJECT, sources)

    everything = ProjectFiles(PROJECT, sources)
    assert list(everything) == expected
    assert len(everything) == len(expected)
    assert bool(everything) == bool(expected)

    by_version = ProjectFiles(PROJECT, sources)
    versions = by_version.versions()
    assert list(versions) == sorted(set(versions), reverse=True)
    assert [v for v in versions if by_version.of_version(v)] == sorted(
        {f.version for f in expected}, reverse=True
    )
    for version in versions:
        # Within a version, the order of the whole sequence; no file of another version.
        assert list(by_version.of_version(version)) == [f for f in expected if f.version == version]
        assert files_of_version(expected, version) == [f for f in expected if f.version == version]
    assert bool(by_version) == bool(expected)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(_json_entries(), max_size=12), min_size=1, max_size=3),
    st.data(),
)
def test_a_stored_page_gives_the_same_files(
    pages: list[list[dict[str, Any]]], data: st.DataObject
) -> None:
    """A page kept by the page cache (:class:`Ordered`: grouped and ordered once, versions
    parsed as reached) answers as the page itself: alone, or beside other sources."""
    sources = [parse_json_page(_json_page(page), PAGE) for page in pages]
    expected = _eager(PROJECT, sources)
    stored: list[Source] = [Ordered.of(PROJECT, entries, PAGE, html=False) for entries in sources]
    mixed: list[Source] = [
        kept if data.draw(st.booleans()) else entries for kept, entries in zip(stored, sources)
    ]
    for given_sources in (stored[:1], mixed):
        files = ProjectFiles(PROJECT, given_sources)
        want = expected if given_sources is mixed else _eager(PROJECT, sources[:1])
        versions = list(files.versions())
        assert versions == sorted({*versions}, reverse=True)
        assert len(files.versions()) == len(versions)
        assert [v for v in versions if files.of_version(v)] == sorted(
            {f.version for f in want}, reverse=True
        )
        for version in versions:
            assert list(files.of_version(version)) == [f for f in want if f.version == version]
        assert files.of_version(Version("999")) == ()
        assert list(files) == want
        assert bool(files) == bool(want)
    # Asking for a version first, before any iteration, parses what it takes.
    fresh = ProjectFiles(PROJECT, stored[:1])
    for file in _eager(PROJECT, sources[:1]):
        assert file in fresh.of_version(file.version)


def test_html_entries_are_grouped_like_json_ones() -> None:
    html = (
        "<html><body>"
        '<a href="../../f/demo_pkg-1.0-py3-none-any.whl#sha256=' + "ab" * 32 + '">x</a>'
        '<a href="../../f/demo_pkg-1.0.tar.gz" data-requires-python="&gt;=3.8">x</a>'
        '<a href="../../f/demo_pkg-2.0b1-py3-none-any.whl" data-yanked="">x</a>'
        '<a href="../../f/other-3.0-py3-none-any.whl">x</a>'
        "</body></html>"
    )
    files = ProjectFiles(PROJECT, [parse_html_page(html, PAGE)])
    assert tuple(files.versions()) == (Version("2.0b1"), Version("1.0"))
    assert [f.filename for f in files.of_version(Version("1.0"))] == [
        "demo_pkg-1.0-py3-none-any.whl",
        "demo_pkg-1.0.tar.gz",
    ]
    (beta,) = files.of_version(Version("2.0b1"))
    assert beta.yanked == ""
    assert beta.url == "https://index.example/f/demo_pkg-2.0b1-py3-none-any.whl"
    assert files.of_version(Version("3.0")) == ()


def test_only_the_versions_asked_for_are_built() -> None:
    entries = [
        {"filename": f"demo_pkg-{n}.0-cp312-cp312-manylinux_2_28_x86_64.whl", "url": f"/f/{n}"}
        for n in range(1, 500)
    ]
    files = ProjectFiles(PROJECT, [parse_json_page(_json_page(entries), PAGE)])
    newest = files.versions()[0]
    assert newest == Version("499.0")
    (file,) = files.of_version(newest)
    assert file.url == "https://index.example/f/499"
    assert len(files._by_version) == 1  # the other 498 versions are still raw entries


def test_records_made_elsewhere_keep_their_order() -> None:
    made = list(_eager(PROJECT, [parse_json_page(_json_page([]), PAGE)]))
    assert list(ProjectFiles.from_files(PROJECT, made)) == []
    entries = [
        {"filename": "demo_pkg-1.0-py3-none-any.whl", "url": "/a"},
        {"filename": "demo_pkg-2.0-py3-none-any.whl", "url": "/b"},
        {"filename": "demo_pkg-1.0.tar.gz", "url": "/c"},
    ]
    built = list(reversed(_eager(PROJECT, [parse_json_page(_json_page(entries), PAGE)])))
    grouped = ProjectFiles.from_files(PROJECT, built)
    assert list(grouped) == built
    assert tuple(grouped.versions()) == (Version("2.0"), Version("1.0"))
    assert [f.url for f in grouped.of_version(Version("1.0"))] == [
        "https://index.example/c",
        "https://index.example/a",
    ]


def test_a_stored_page_parses_only_the_versions_reached() -> None:
    entries = [
        {"filename": f"demo_pkg-{n}.0-py3-none-any.whl", "url": f"/f/{n}"} for n in range(1, 500)
    ]
    ordered = Ordered.of(PROJECT, parse_json_page(_json_page(entries), PAGE), PAGE, html=False)
    files = ProjectFiles(PROJECT, [ordered])
    assert next(iter(files.versions())) == Version("499.0")
    assert files._lazy is not None
    assert len(files._lazy._parsed) == 1
    assert [f.url for f in files.of_version(Version("499.0"))] == ["https://index.example/f/499"]
    assert len(files._lazy._parsed) == 1


def test_sdist_names_split_at_the_project_name_as_pip_reads_them() -> None:
    # cffi-1.0.2-2.tar.gz is cffi 1.0.2-2 (1.0.2.post2), as pip reads it; split at the last dash
    # it read as version 2, and its group took in the 2.0.0 files (2 == 2.0.0).
    project = canonicalize_name("cffi")
    names = [
        "cffi-1.0.2-2.tar.gz",
        "cffi-2.0.0.tar.gz",
        "cffi-2.0.0-cp312-cp312-manylinux_2_17_x86_64.whl",
        "cffi-1.0.2.tar.gz",
        "cffi-extra-3.0.tar.gz",  # another project's sdist
        "cffi.tar.gz",  # no version
    ]
    page = json.dumps(
        {
            "meta": {"api-version": "1.1"},
            "name": "cffi",
            "files": [{"filename": n, "url": f"https://files.example/{n}"} for n in names],
        }
    )
    files = ProjectFiles(project, [parse_json_page(page, "https://index.example/simple/cffi/")])
    assert [str(v) for v in files.versions()] == ["2.0.0", "1.0.2.post2", "1.0.2"]
    assert [(f.filename, str(f.version)) for f in files.of_version(Version("2"))] == [
        ("cffi-2.0.0-cp312-cp312-manylinux_2_17_x86_64.whl", "2.0.0"),
        ("cffi-2.0.0.tar.gz", "2.0.0"),
    ]
    assert [f.filename for f in files.of_version(Version("1.0.2.post2"))] == ["cffi-1.0.2-2.tar.gz"]
    assert sorted(f.filename for f in files) == sorted(names[:4])
