"""Fuzzing the parsers that read what others wrote: whatever the input, only tagpip's own errors.

Hypothesis drives every parser with arbitrary text and with text built from the pieces its
format is made of (so the fuzzing reaches past the first check): requirement lines and tag blocks,
index pages (PEP 691 JSON and PEP 503 HTML, through the same code that reads a server's answer),
wheel metadata (``index.parse_metadata``) and lock files (``lock.parse_tagged``,
``lock.parse_pylock``). test_syntax_properties.py covers whole requirement files.

With atheris installed, ``python tests/test_fuzz.py -atheris_runs=N`` (or the test below) runs
coverage-guided fuzzing of the same entry points; without it that test is skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.tags import parse_tag
from packaging.utils import canonicalize_name
from packaging.version import Version

from tagpip.config.pip import IndexOptions
from tagpip.errors import Span, TagpipError
from tagpip.index.client import DistFile, HttpIndex, IndexError_, parse_metadata
from tagpip.index.pages import ProjectFiles
from tagpip.lock.files import LockError, parse_pylock, parse_tagged
from tagpip.requirements.syntax import parse_line
from tagpip.tags.tokens import TokenError, parse_tag_block
from tagpip.target import target_from_flags

# TAGPIP_FUZZ_EXAMPLES=20000 for a long run; the default keeps the suite fast.
FUZZ = settings(
    max_examples=int(os.environ.get("TAGPIP_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _joined(pieces: list[str], max_size: int = 25) -> st.SearchStrategy[str]:
    return st.one_of(st.text(), st.lists(st.sampled_from(pieces), max_size=max_size).map("".join))


# -- requirement lines and tag blocks --------------------------------------------------------------

_REQUIREMENT_PIECES = [
    "app", "[", "]", "[]", ",", "==", ">=", "1.0", ";", " ", "@", "manylinux1", "manylinux_2_28",
    "manylinux2014_aarch64", "musllinux_1_2", "macosx_11_0", "win_amd64", "win", "linux", "any",
    "x86_64", "arm64", "cp36", "cp313t", "py3", "pp39", "abi3", "none", "cp36m",
    "cp36-cp36m-manylinux1_x86_64", "python_version < '3.8'", "--hash=sha256:" + "0" * 64, "#",
    "extra == 'x'", "\\", "\t", "é", "\x00",
]  # fmt: skip


@FUZZ
@given(_joined(_REQUIREMENT_PIECES))
def test_requirement_lines(text: str) -> None:
    with contextlib.suppress(TagpipError):
        parse_line(text, source="fuzz")


@FUZZ
@given(_joined(_REQUIREMENT_PIECES))
def test_tag_blocks(text: str) -> None:
    with contextlib.suppress(TokenError):
        parse_tag_block(text, Span("fuzz", 1, 0, len(text), text))


# -- index pages ---------------------------------------------------------------------------------

_PAGE_URL = "https://index.invalid/simple/demo/"
_JSON_KEYS = [
    "meta", "api-version", "name", "files", "filename", "url", "hashes", "sha256", "md5",
    "requires-python", "yanked", "core-metadata", "dist-info-metadata", "size", "upload-time",
    "versions",
]  # fmt: skip
_JSON_STRINGS = [
    "1.0", "1.1", "2.0", "demo-1.0-py3-none-any.whl", "demo-1.0.tar.gz", "demo-1.0-1-cp36-cp36m"
    "-manylinux1_x86_64.whl", "../../files/demo-1.0-py3-none-any.whl#sha256=00", ">=3.6", ">=3.6,",
    "2024-01-02T03:04:05Z", "2024-13-45T99:99:99", "https://x.invalid/a.whl", "", "demo", "ab"
]  # fmt: skip

_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.sampled_from(_JSON_STRINGS),
    st.text(max_size=20),
)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(_JSON_KEYS), inner, max_size=6),
    ),
    max_leaves=30,
)
_file_entry = st.dictionaries(st.sampled_from(_JSON_KEYS), _json_values, max_size=8)
_json_pages = st.fixed_dictionaries(
    {
        "meta": st.one_of(
            st.fixed_dictionaries({"api-version": st.sampled_from(["1.0", "1.1", "2.0"])}),
            _json_values,
        ),
        "files": st.one_of(st.lists(_file_entry, max_size=5), _json_values),
    }
).map(json.dumps)

_HTML_PIECES = [
    "<a ", "href=", '"', "'", ">", "</a>", "<base href=", "../../files/",
    "demo-1.0-py3-none-any.whl", "demo-1.0.tar.gz", "#sha256=", "0" * 64,
    " data-requires-python=", "&gt;=3.6", " data-yanked",
    " data-core-metadata=", "sha256=ab", "true", "<!--", "-->", "<![CDATA[", "]]>", "<!", "<?",
    "&#", "&#x110000;", "<script>", "</script>", "<", "\x00", " ",
]  # fmt: skip


@pytest.fixture(scope="module")
def offline_index() -> Iterator[HttpIndex]:
    """An index client that never connects: only its page reader is used."""
    with HttpIndex(IndexOptions(index_url=_PAGE_URL, no_cache=True, retries=0)) as index:
        yield index


def _read_page(index: HttpIndex, body: bytes, content_type: str) -> None:
    response = requests.Response()
    response.status_code = 200
    response._content = body
    response.headers["Content-Type"] = content_type
    response.url = _PAGE_URL
    try:
        entries = index._parse_response(response, body, project="demo")
    except IndexError_:
        return
    # Building every record (not only the versions a resolver asks for) must not raise either.
    list(ProjectFiles(canonicalize_name("demo"), [entries]))


@pytest.mark.slow
@FUZZ
@given(st.one_of(_json_pages, st.text()), st.sampled_from(["", "; charset=utf-8"]))
def test_json_pages(offline_index: HttpIndex, text: str, params: str) -> None:
    _read_page(offline_index, text.encode(), "application/vnd.pypi.simple.v1+json" + params)


@FUZZ
@given(st.binary(max_size=200), st.sampled_from(["application/json", "text/html; charset=x"]))
def test_pages_of_random_bytes(offline_index: HttpIndex, body: bytes, content_type: str) -> None:
    _read_page(offline_index, body, content_type)


@FUZZ
@given(_joined(_HTML_PIECES, max_size=40))
def test_html_pages(offline_index: HttpIndex, text: str) -> None:
    _read_page(offline_index, text.encode("utf-8", "surrogatepass"), "text/html")


# -- wheel metadata ------------------------------------------------------------------------------

_WHEEL = DistFile(
    project=canonicalize_name("demo"),
    filename="demo-1.0-py3-none-any.whl",
    url="https://index.invalid/files/demo-1.0-py3-none-any.whl",
    version=Version("1.0"),
    build=(),
    tags=frozenset(parse_tag("py3-none-any")),
    is_wheel=True,
)
_METADATA_PIECES = [
    "Metadata-Version: 2.1\n", "Metadata-Version: 9\n", "Name: demo\n", "Name: other\n", "Name:\n",
    "Version: 1.0\n", "Version: one\n", "Requires-Dist: helper>=1\n", "Requires-Dist: ???\n",
    "Requires-Dist: x; python_version < '3.8'\n", "Requires-Python: >=3.6\n",
    "Requires-Python: >=>3\n", "Provides-Extra: a b\n", "Dynamic: Name\n", "Summary: é\n", "\n",
    " continued\n", ": no name\n", "\x00", "\r\n", "Description-Content-Type: text/x-weird\n",
]  # fmt: skip


@FUZZ
@given(st.one_of(_joined(_METADATA_PIECES, max_size=15).map(str.encode), st.binary(max_size=300)))
def test_wheel_metadata(data: bytes) -> None:
    with contextlib.suppress(TagpipError):
        metadata = parse_metadata(_WHEEL, data)
        assert canonicalize_name(metadata.name) == "demo"
        assert metadata.version == Version("1.0")


# -- lock files ----------------------------------------------------------------------------------

_TAGGED_PIECES = [
    "# tagpip lock 1\n", "# tagpip lock 2\n", "# target: linux\n", "app==1.0", "app>=1.0", " ",
    "[manylinux1,cp36,x86_64]", " --hash=sha256:" + "0" * 64, " --hash=md5:00", "\n", "\\\n",
    "# via x\n", "; python_version < '3.8'", "-r other.txt\n", "--index-url x\n",
]  # fmt: skip


@FUZZ
@given(_joined(_TAGGED_PIECES))
def test_tagged_locks(text: str) -> None:
    with contextlib.suppress(TagpipError):
        parse_tagged(text, source="fuzz.txt")


_PYLOCK_STRINGS = [
    "1.0", "2.0", "demo", "1.0", "one", "demo-1.0-py3-none-any.whl", "demo-1.0.tar.gz",
    "https://x.invalid/demo-1.0-py3-none-any.whl", "../escape.whl", "/abs.whl", "0" * 64,
    "python_version < '3.8'", "invalid marker ((", ">=3.6",
]  # fmt: skip
_PYLOCK_KEYS = [
    "lock-version", "created-by", "packages", "name", "version", "wheels", "sdist", "url", "path",
    "hashes", "sha256", "md5", "marker", "environments", "requires-python", "index", "vcs",
    "directory", "archive", "dependencies", "upload-time", "size",
]  # fmt: skip
_toml_scalars = st.one_of(st.booleans(), st.integers(), st.sampled_from(_PYLOCK_STRINGS))
_toml_values = st.recursive(
    _toml_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(_PYLOCK_KEYS), inner, max_size=5),
    ),
    max_leaves=25,
)


def _pylock_doc(packages: Any, version: str, extra: dict[str, Any]) -> str:
    return tomli_w.dumps({"lock-version": version, "packages": packages, **extra})


_pylocks = st.builds(
    _pylock_doc,
    st.one_of(
        st.lists(
            st.dictionaries(st.sampled_from(_PYLOCK_KEYS), _toml_values, max_size=6), max_size=3
        ),
        _toml_values,
    ),
    st.sampled_from(["1.0", "2.0", "x"]),
    st.dictionaries(st.sampled_from(_PYLOCK_KEYS), _toml_values, max_size=3),
)


@FUZZ
@given(st.one_of(_pylocks, st.text()))
def test_pylock_files(text: str) -> None:
    with contextlib.suppress(LockError, TagpipError):
        parse_pylock(text, source="/nonexistent/pylock.toml")


_PACKAGE_VALUES = st.one_of(
    _toml_values,
    st.lists(st.dictionaries(st.sampled_from(_PYLOCK_KEYS), _toml_values, max_size=5), max_size=3),
)


def _pylock_with_package(package: dict[str, Any], head: dict[str, Any]) -> str:
    document = {"lock-version": "1.0", "created-by": "fuzz", **head, "packages": [package]}
    return tomli_w.dumps(document)


# A package that passes the first checks (a name and a version), with anything in the keys
# that hold its files and conditions: the fuzzing reaches the wheel and sdist tables.
_pylock_packages = st.builds(
    _pylock_with_package,
    st.fixed_dictionaries(
        {"name": st.just("demo"), "version": st.just("1.0")},
        optional=dict.fromkeys(
            ("wheels", "sdist", "marker", "requires-python", "index", "vcs"), _PACKAGE_VALUES
        ),
    ),
    st.dictionaries(st.sampled_from(_PYLOCK_KEYS), _toml_values, max_size=2),
)


@FUZZ
@given(_pylock_packages)
def test_pylock_packages(text: str) -> None:
    """Only a LockError, and one whose message starts with the file's name."""
    source = "/nonexistent/pylock.toml"
    try:
        parse_pylock(text, source=source)
    except LockError as error:
        message = str(error)
    else:
        return
    assert message.startswith(source), message


# -- whole requirement and constraint files, pip's configuration files ---------------------------

_FILE_PIECES = [
    *_REQUIREMENT_PIECES, "\n", "-r ", "-c ", "--constraint ", "-e ", "--index-url ", "-i ",
    "--extra-index-url ", "-f ", "--find-links ", "--no-index", "--pre", "--only-binary ",
    ":all:", "--platform ", "--python-version ", "3.6", "--implementation ", "cp", "--abi ",
    "--require-hashes", "${VAR}", "${HOME}", "./missing.txt", "app @ file:///nonexistent.whl",
    "git+https://x.invalid/r.git", " #egg=app", "\ufeff", "\r\n",
]  # fmt: skip


@FUZZ
@given(_joined(_FILE_PIECES, max_size=30), st.booleans())
def test_requirement_and_constraint_files(text: str, constraint: bool) -> None:
    """A whole file, as ``-r`` or as ``-c``: parsed, or refused with tagpip's errors, which
    name the file (in the message, or in each diagnostic's span)."""
    from tagpip.requirements.syntax import parse_requirements_file

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "reqs.txt")
        with open(path, "w", encoding="utf-8", errors="surrogatepass") as handle:
            handle.write(text)
        try:
            parse_requirements_file(path, constraint=constraint)
        except TagpipError as error:
            spans = [d.span for d in getattr(error, "diagnostics", ())] + [error.span]
            message = str(error)
            named = path in message or any(span and path in span.source for span in spans)
        else:
            return
    assert named or "reqs.txt" in message, message


_CONFIG_PIECES = [
    "[global]\n", "[download]\n", "[install]\n", "[other]\n", "index-url = ",
    "extra-index-url = ", "find-links = ", "trusted-host = ", "timeout = ", "retries = ",
    "cache-dir = ", "no-cache-dir = ",
    "proxy = ", "cert = ", "pre = ", "no-index = ", "https://x.invalid/simple", "yes", "no", "1",
    "-3", "abc", "\n", "  continued\n", "%(here)s", "%", "=", ":", ";", "#", "\x00", "é",
]  # fmt: skip


@FUZZ
@given(st.one_of(_joined(_CONFIG_PIECES, max_size=30), st.binary(max_size=200).map(repr)))
def test_pip_config_files(text: str) -> None:
    """pip.conf as pip reads it (every section, every option tagpip applies): applied, or a
    TagpipError."""
    from tagpip.config.pip import load_index_options

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "pip.conf")
        with open(path, "w", encoding="utf-8", errors="surrogatepass") as handle:
            handle.write(text)
        environ = {"PIP_CONFIG_FILE": path}
        with contextlib.suppress(TagpipError):
            load_index_options("download", {}, environ)


# -- the cache's own formats ---------------------------------------------------------------------

_PAGE_RECORD_KEYS = [
    "format", "url", "page_url", "html", "etag", "last_modified", "max_age", "body", "chunks",
    "order",
]  # fmt: skip
_marshal_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10),
    st.binary(max_size=20), st.sampled_from(["1.0", "0.9", "nope", _PAGE_URL]),
)  # fmt: skip
_marshal_values = st.recursive(
    _marshal_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from([*_JSON_KEYS, *_PAGE_RECORD_KEYS]), inner, max_size=5),
        st.lists(inner, max_size=3).map(tuple),
    ),
    max_leaves=20,
)


def _stored_page(chunks: list[Any], order: list[Any], extra: dict[str, Any]) -> bytes:
    import marshal

    from tagpip.index import pagecache

    record = {
        "format": pagecache.FORMAT, "url": _PAGE_URL, "page_url": _PAGE_URL, "html": False,
        "etag": None, "last_modified": None, "max_age": 600.0, "body": "",
        "chunks": chunks, "order": order, **extra,
    }  # fmt: skip
    if isinstance(record["chunks"], list) and all(isinstance(c, bytes) for c in record["chunks"]):
        return pagecache.pack(record)
    return marshal.dumps(record)


_chunk_rows = st.lists(_file_entry, max_size=3).map(lambda rows: __import__("marshal").dumps(rows))
_stored_pages = st.one_of(
    st.builds(
        _stored_page,
        st.lists(st.one_of(_chunk_rows, st.binary(max_size=30)), min_size=1, max_size=3),
        st.lists(
            st.tuples(
                st.sampled_from(["1.0", "0.9", "nope", ""]), st.lists(st.integers(0, 2), max_size=2)
            ).map(list),
            max_size=3,
        ),
        st.dictionaries(st.sampled_from(_PAGE_RECORD_KEYS), _marshal_values, max_size=2),
    ),
    _marshal_values.map(lambda value: __import__("marshal").dumps(value)),
    st.binary(max_size=100),
)


@FUZZ
@given(_stored_pages)
def test_stored_pages(payload: bytes) -> None:
    """A sealed page of any content (intact on disk, whatever it holds): loaded or a miss, and
    once loaded, every version and file read from it, a group that does not decode falling
    back to the page read anew (here: an empty page). Nothing may raise."""
    import dataclasses

    from tagpip import sealed
    from tagpip.index import pagecache

    with tempfile.TemporaryDirectory() as folder:
        pages = Path(folder)
        sealed.write(pagecache._path(pages, _PAGE_URL), payload)
        stored = pagecache.load(pages, _PAGE_URL)
        if stored is None:
            return
        source = dataclasses.replace(stored.source, refetch=list)
        files = ProjectFiles(canonicalize_name("demo"), [source])
        for version in files.versions():
            files.of_version(version)
        list(files)


_kept = st.one_of(
    st.tuples(st.just(2), st.binary(max_size=60), _marshal_values),
    st.tuples(st.integers(0, 3), _marshal_values, _marshal_values),
    _marshal_values,
)


@FUZZ
@given(_kept)
def test_kept_metadata(record: Any) -> None:
    """A sealed metadata copy of any content: a miss, or bytes and fields that the index then
    reads with every field the resolver uses parsed (where any failure is a miss too)."""
    import marshal

    from tagpip import sealed
    from tagpip.index import metacache
    from tagpip.index.client import _kept_metadata

    name = "sha256-" + "0" * 64
    with tempfile.TemporaryDirectory() as folder:
        kept = Path(folder)
        try:
            payload = marshal.dumps(record)
        except ValueError:
            return
        sealed.write(metacache._path(kept, name), payload)
        found = metacache.load(kept, name)
        if found is None:
            return
        with contextlib.suppress(Exception):  # the index's rule: anything here is a miss
            _kept_metadata(_WHEEL, found[1])


_MANIFEST_KEYS = ["layout", "key", "wheel", "files", "display_name", "tags", "members", "notes"]
_json_manifests = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8), st.just(4)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.sampled_from(_MANIFEST_KEYS), inner, max_size=6),
    ),
    max_leaves=25,
)


@FUZZ
@given(st.one_of(_json_manifests.map(json.dumps), st.text(max_size=80)))
def test_unpacked_entries(manifest: str) -> None:
    """An unpacked wheel's ``entry.json`` of any content: a miss, or an entry whose stored
    inspection reads back or is a miss. Nothing may raise."""
    from tagpip.install.unpacked import LAYOUT, UnpackedCache
    from tagpip.install.wheelcheck import _recalled

    with tempfile.TemporaryDirectory() as folder:
        cache = UnpackedCache(Path(folder))
        key = "ab" * 32
        entry = cache.entry(key)
        (entry / "files").mkdir(parents=True)
        text = manifest.replace('"key": 4', f'"key": "{key}"').replace("LAYOUT", str(LAYOUT))
        (entry / "entry.json").write_text(text, encoding="utf-8", errors="surrogatepass")
        found = cache.lookup(key)
        if found is not None:
            _recalled(Path("demo-1.0-py3-none-any.whl"), found)


# -- wheels as install reads them: METADATA, WHEEL, entry_points.txt, RECORD ---------------------

_ENTRY_POINT_PIECES = [
    "[console_scripts]\n", "[gui_scripts]\n", "[DEFAULT]\n", "[demo.plugins]\n", "demo = ",
    "demo.cli:main", "demo:", ":main", "-x", "[extra]", "%(x)s", "%", "=", "\n", " ", "\t",
    "a/b = demo:main\n", ".. = demo:main\n", "é", "\x00",
]  # fmt: skip
_WHEEL_FILE_PIECES = [
    "Wheel-Version: 1.0\n", "Wheel-Version: 2.0\n", "Generator: fuzz\n",
    "Root-Is-Purelib: true\n", "Root-Is-Purelib: false\n", "Tag: py3-none-any\n", "Tag: x\n",
    "Build: 1\n", "\n", ":", "\x00",
]  # fmt: skip


@settings(FUZZ, max_examples=max(20, FUZZ.max_examples // 4))
@given(
    _joined(_METADATA_PIECES, max_size=10),
    _joined(_WHEEL_FILE_PIECES, max_size=8),
    st.one_of(st.none(), _joined(_ENTRY_POINT_PIECES, max_size=12)),
    st.one_of(st.none(), st.text(max_size=60)),
)
def test_wheels_to_install(
    metadata: str, wheel_file: str, entry_points: str | None, record: str | None
) -> None:
    """A wheel whose dist-info files say anything: installed, or refused with tagpip's errors
    naming the wheel; never an error of installer's (issue 30: entry_points.txt)."""
    import zipfile

    from tagpip.install.installer import install

    with tempfile.TemporaryDirectory() as folder:
        wheel = Path(folder, "demo-1.0-py3-none-any.whl")
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr("demo/__init__.py", "")
            archive.writestr("demo-1.0.dist-info/METADATA", metadata)
            archive.writestr("demo-1.0.dist-info/WHEEL", wheel_file)
            if entry_points is not None:
                archive.writestr("demo-1.0.dist-info/entry_points.txt", entry_points)
            if record is not None:
                archive.writestr("demo-1.0.dist-info/RECORD", record)
        target = target_from_flags(["manylinux2014_x86_64"], "3.12", None, [])
        try:
            install([wheel], Path(folder, "deps"), target)
        except TagpipError as error:
            message = str(error)
        else:
            return
    assert "demo-1.0-py3-none-any.whl" in message or folder in message, message


# -- atheris (coverage-guided), when installed ----------------------------------------------------


def _atheris_entry(data: bytes) -> None:
    """One atheris input, fed to every parser; only TagpipError may come out."""
    text = data.decode("utf-8", "replace")
    for call in (
        lambda: parse_line(text, source="fuzz"),
        lambda: parse_tag_block(text, Span("fuzz", 1, 0, len(text), text)),
        lambda: parse_metadata(_WHEEL, data),
        lambda: parse_tagged(text, source="fuzz.txt"),
        lambda: parse_pylock(text, source="/nonexistent/pylock.toml"),
    ):
        with contextlib.suppress(TagpipError):
            call()
    with HttpIndex(IndexOptions(index_url=_PAGE_URL, no_cache=True, retries=0)) as index:
        for content_type in ("application/vnd.pypi.simple.v1+json", "text/html"):
            _read_page(index, data, content_type)


def test_atheris(tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    result = subprocess.run(
        [sys.executable, __file__, "-atheris_runs=3000", f"-artifact_prefix={tmp_path}/"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def _main() -> None:  # pragma: no cover - run by test_atheris in a child process
    import atheris  # type: ignore[import-not-found, import-untyped, unused-ignore]

    setup: Callable[..., Any] = atheris.Setup
    setup(sys.argv, _atheris_entry)
    atheris.Fuzz()


if __name__ == "__main__":
    _main()
