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

from tagpip.errors import Span, TagpipError
from tagpip.index import DistFile, HttpIndex, IndexError_, parse_metadata
from tagpip.lock import LockError, parse_pylock, parse_tagged
from tagpip.pages import ProjectFiles
from tagpip.pipconfig import IndexOptions
from tagpip.syntax import parse_line
from tagpip.tokens import TokenError, parse_tag_block

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
