"""Parser properties: any text raises only tagpip's errors; format then parse is the identity."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement

from tagpip.errors import Span, TagpipError, ValidationError
from tagpip.requirements.checkfast import _PLAIN_PATTERN
from tagpip.requirements.syntax import (
    check_requirements_text,
    format_requirement,
    parse_line,
    parse_requirements_text,
)
from tagpip.tags.tokens import TokenError, format_tag_block, parse_tag_block

_PLAIN_RE = re.compile(_PLAIN_PATTERN)

# Text that looks enough like requirement files to reach deep into the parser.
_PIECES = st.sampled_from(
    [
        "six", "==", "1.0", "[", "]", ",", ";", " ", "\\", "\n", "#", "@", "${HOME}", "${X}",
        "manylinux2014", "cp39", "x86_64", "win", "abi3", "cp36m", "--hash=sha256:", "-r ",
        "--platform ", "-i ", "'", '"', "python_version < '3.8'", "https://x.org/a.whl",
        "cp36-cp36m-manylinux1_x86_64", "--pre", "(", ")", "aarch64", "macosx_10_9",
    ]
)  # fmt: skip
_TEXT = st.one_of(st.text(), st.lists(_PIECES, max_size=20).map("".join))


@given(_TEXT)
def test_parse_line_raises_only_tagpip_errors(text: str) -> None:
    span = None
    try:
        parse_line(text)
    except TagpipError as error:
        span = error.span
    if span is not None:
        assert 0 <= span.start <= span.end <= len(span.text)


@given(_TEXT)
def test_parse_tag_block_raises_only_token_errors(text: str) -> None:
    with contextlib.suppress(TokenError):
        parse_tag_block(text, Span("s", 1, 0, len(text), text))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_TEXT)
def test_files_raise_only_validation_errors(tmp_path: Path, text: str) -> None:
    result = check_requirements_text(text, source="r.txt", base_dir=str(tmp_path))
    for diagnostic in result.diagnostics:
        assert diagnostic.message
    try:
        parse_requirements_text(text, source="r.txt", base_dir=str(tmp_path))
    except ValidationError:
        assert result.errors


@pytest.mark.slow
@given(st.from_regex(_PLAIN_RE, fullmatch=True))
def test_plain_lines_are_valid_pep_508(text: str) -> None:
    # check skips packaging for these; packaging must agree they are valid.
    Requirement(text)


# --- format then parse ------------------------------------------------------------------------

_NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,5}([-_.][A-Za-z0-9]{1,4}){0,2}", fullmatch=True)
_EXTRAS = st.lists(st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True), max_size=3)
_VERSIONS = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}", fullmatch=True)
_SPECIFIERS = st.lists(
    st.tuples(st.sampled_from(["==", "!=", ">=", "<=", "<", ">"]), _VERSIONS), max_size=3
).map(lambda clauses: ",".join(op + v for op, v in clauses))
_MARKERS = st.sampled_from(
    [
        "",
        'python_version < "3.8"',
        'sys_platform == "win32"',
        'platform_machine == "x86_64" and python_version >= "3.6"',
        'extra == "socks" or os_name == "nt"',
    ]
)
_PLATFORMS = st.sampled_from(
    ["manylinux1", "manylinux2014", "manylinux_2_28", "musllinux_1_2", "macosx_11_0", "win",
     "linux", "win_amd64", "manylinux2014_aarch64", "macosx_10_9_x86_64", ""]
)  # fmt: skip
_PYTHONS = st.sampled_from(["cp36", "cp39", "cp313", "py3", "pp39", ""])
_TRIPLES = st.sampled_from(["", "cp36-cp36m-manylinux1_x86_64", "py2.py3-none-any"])


@st.composite
def _blocks(draw: st.DrawFn) -> str | None:
    if draw(st.booleans()):
        return None
    triple = draw(_TRIPLES)
    if triple:
        return f"[{triple}]"
    words = [w for w in (draw(_PLATFORMS), draw(_PYTHONS)) if w]
    if words and words[0] in ("manylinux2014", "manylinux_2_28", "linux") and draw(st.booleans()):
        words.append("x86_64")
    if "cp36" in words and draw(st.booleans()):
        words.append("cp36m")
    if not words:
        words = ["cp39"]
    return "[" + ",".join(draw(st.permutations(words))) + "]"


@st.composite
def _lines(draw: st.DrawFn) -> str:
    name = draw(_NAMES)
    extras = draw(_EXTRAS)
    specifier = draw(_SPECIFIERS)
    block = draw(_blocks())
    marker = draw(_MARKERS)
    hashes = draw(st.lists(st.from_regex(r"[0-9a-f]{64}", fullmatch=True), max_size=2))
    line = name
    if extras or (block and not specifier):
        line += "[" + ",".join(extras) + "]"
    line += specifier + (block or "")
    if marker:
        line += "; " + marker
    for digest in hashes:
        line += f" --hash=sha256:{digest}"
    return line


@given(_lines())
def test_format_then_parse_gives_an_equal_value(line: str) -> None:
    req = parse_line(line)
    text = format_requirement(req)
    again = parse_line(text)
    assert again == req
    assert format_requirement(again) == text
    if req.tags is not None:
        assert format_tag_block(req.tags) == format_tag_block(again.tags)  # type: ignore[arg-type]


@pytest.mark.slow
@given(st.lists(_lines(), max_size=8))
def test_files_of_valid_lines_parse(lines: list[str]) -> None:
    result = parse_requirements_text("\n".join(lines) + "\n")
    assert len(result.requirements) == len(lines)
    assert [format_requirement(r) for r in result.requirements] == [
        format_requirement(parse_line(line)) for line in lines
    ]
