"""Tagged requirement lines and pip-format requirement files: values, spans, every problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tagpip.cli.render import render_diagnostic
from tagpip.errors import Diagnostic, Span, ValidationError
from tagpip.requirements.syntax import (
    OptionValue,
    RequirementSyntaxError,
    TaggedRequirement,
    check_requirements_file,
    check_requirements_text,
    format_requirement,
    parse_line,
    parse_requirements_file,
    parse_requirements_text,
    validate_requirements_file,
)
from tagpip.tags import VocabularyError, parse_python_version
from tagpip.tags.tokens import PlatformSpec, TagSpec, TokenError


def rendered(text: str, source: str = "r.txt") -> str:
    """Every diagnostic of ``text`` as `tagpip check` prints it."""
    result = check_requirements_text(text, source=source)
    return "\n".join(render_diagnostic(d) for d in result.diagnostics)


# --- lines ------------------------------------------------------------------------------------


def test_tag_block_after_version() -> None:
    req = parse_line("requests[socks]==2.25.1[manylinux1,cp36,x86_64]")
    assert str(req.requirement) == "requests[socks]==2.25.1"
    assert req.name == "requests"
    assert req.tags is not None
    assert req.tags.interpreter == "cp36"
    assert req.tags.platform == PlatformSpec("manylinux", (2, 5), "x86_64")
    assert req.tags.span == Span(
        "<string>", 1, 23, 47, "requests[socks]==2.25.1[manylinux1,cp36,x86_64]"
    )
    assert req.span.start == 0
    assert req.span.end == 47


def test_second_group_is_the_tag_block() -> None:
    req = parse_line("attrs[][manylinux2014,cp39,x86_64]")
    assert str(req.requirement) == "attrs"
    assert req.tags is not None
    assert req.tags.tokens == ("manylinux2014", "cp39", "x86_64")


def test_extras_then_tags_without_version() -> None:
    req = parse_line("Flask_Login[a,b][win_amd64] ; python_version >= '3.8'")
    assert str(req.requirement) == 'Flask_Login[a,b]; python_version >= "3.8"'
    assert req.name == "flask-login"
    assert req.tags is not None
    assert req.tags.platform == PlatformSpec("win", None, "amd64")


def test_tags_then_marker() -> None:
    req = parse_line('importlib-metadata>=1.0[cp36];python_version<"3.8"')
    assert str(req.requirement) == 'importlib-metadata>=1.0; python_version < "3.8"'
    assert req.tags is not None


def test_parenthesised_specifier() -> None:
    req = parse_line("foo (>=1.0,<2)[cp39]")
    assert req.requirement.specifier == Requirement("foo<2,>=1.0").specifier
    assert req.tags is not None


def test_plain_requirement_has_no_tags() -> None:
    req = parse_line("numpy>=1.20")
    assert req.tags is None
    assert req.hashes == ()


def test_url_requirement_has_no_tag_block() -> None:
    req = parse_line("pkg @ https://example.com/pkg-1.0-py3-none-any.whl#sha256=abc")
    assert req.requirement.url == "https://example.com/pkg-1.0-py3-none-any.whl#sha256=abc"
    assert req.tags is None


def test_hashes_and_comment() -> None:
    digest = "a" * 64
    req = parse_line(f"six==1.16.0[py3] --hash=sha256:{digest} --hash sha256:{'B' * 64}  # ok")
    assert req.hashes == (f"sha256:{digest}", f"sha256:{'b' * 64}")


def test_continuation_in_a_line() -> None:
    req = parse_line("six==1.16.0 \\\n    [cp39,win]", line=10)
    assert req.tags is not None
    assert req.tags.span == Span("<string>", 11, 4, 14, "    [cp39,win]")


def test_equality_ignores_where_it_was_written() -> None:
    a = parse_line("six==1.16.0[cp39]", line=1)
    b = parse_line("  six == 1.16.0 [CP39]", source="other", line=7)
    assert a.tags is not None
    assert b.tags is not None
    assert a.tags.tokens == b.tags.tokens
    assert a == b
    assert hash(a) == hash(b)
    assert a != parse_line("six==1.16.0[cp38]")


@pytest.mark.parametrize(
    ("line", "formatted"),
    [
        ("requests[socks]==2.25.1[manylinux1,cp36,x86_64]", None),
        ("attrs[][manylinux2014,cp39,x86_64]", None),
        ("attrs[a][cp39]", None),
        ("foo>=1,<2[cp39]; python_version < '3.8'", 'foo<2,>=1[cp39]; python_version < "3.8"'),
        ("p @ https://x.org/p.whl ; os_name=='nt'", 'p @ https://x.org/p.whl ; os_name == "nt"'),
        ("six[][py3] --hash=SHA256:" + "A" * 64, "six[][py3] --hash=sha256:" + "a" * 64),
        ("numpy", None),
    ],
)  # fmt: skip
def test_format_requirement(line: str, formatted: str | None) -> None:
    req = parse_line(line)
    text = format_requirement(req)
    assert text == (formatted or line)
    assert parse_line(text) == req
    assert str(req) == text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "cryptography==3.2[manylinux3,cp36,x86_64]",
            "<string>:1:19: unknown tag 'manylinux3'\n"
            "    cryptography==3.2[manylinux3,cp36,x86_64]\n"
            "                      ^^^^^^^^^^\n"
            "hint: did you mean 'manylinux2014'?",
        ),
        (
            "cryptography==3.2[manylinux1,cp36,aarch64]",
            "<string>:1:35: manylinux1 has no architecture 'aarch64'\n"
            "    cryptography==3.2[manylinux1,cp36,aarch64]\n"
            "                                      ^^^^^^^\n"
            "hint: it has x86_64, i686; manylinux2014 and later add aarch64, ppc64le, s390x",
        ),
        (
            "foo[bar",
            "<string>:1:4: invalid requirement: expected matching ']' for '[', after extras\n"
            "    foo[bar\n"
            "       ^^^^",
        ),
        (
            "foo==1.0[cp39",
            "<string>:1:9: this tag block has no closing ']'\n"
            "    foo==1.0[cp39\n"
            "            ^^^^^\n"
            "hint: close it, e.g. [manylinux2014,cp39,x86_64]",
        ),
        (
            "foo==1.0[cp39] bar",
            "<string>:1:4: invalid requirement: expected comma (within version specifier), "
            "semicolon (after version specifier) or end\n"
            "    foo==1.0[cp39] bar\n"
            "       ^^^^^^^^^^^^",
        ),
        (
            "./dist/foo",
            "<string>:1:1: expected a project name, not a path or URL\n"
            "    ./dist/foo\n"
            "    ^^^^^^^^^^\n"
            "hint: name the project: 'name @ https://...' (tagpip fetches wheels by name)",
        ),
        (
            "foo --hash=sha256:abc",
            "<string>:1:12: a sha256 digest has 64 hex digits, this one has 3\n"
            "    foo --hash=sha256:abc\n"
            "               ^^^^^^^^^^",
        ),
        (
            "foo --global-option=x",
            "<string>:1:5: --global-option is not supported: tagpip builds pure-Python sources "
            "only in isolated PEP 517 environments of its own, so build options do not apply\n"
            "    foo --global-option=x\n"
            "        ^^^^^^^^^^^^^^^^^",
        ),
        (
            "--pre",
            "<string>:1:1: expected a requirement, found an option line\n"
            "    --pre\n"
            "    ^^^^^\n"
            "hint: option lines belong in a requirements file",
        ),
    ],
)  # fmt: skip
def test_line_errors(line: str, expected: str) -> None:
    with pytest.raises((RequirementSyntaxError, TokenError)) as info:
        parse_line(line)
    error = info.value
    assert render_diagnostic(Diagnostic("error", error.message, error.span, error.hint)) == expected


# --- files ------------------------------------------------------------------------------------


def test_whole_file_reports_every_problem() -> None:
    text = (
        "# a comment\n"
        "requests==2.25.1[manylinux3,cp36,x86_64]\n"
        "numpy[manylinux2014,cp39]\n"
        "six==1.16 \\\n"
        "   [win, cp39, linuxx]  # trailing comment\n"
        "--platform manylinux_2_28_x86_64\n"
        "--frobnicate\n"
    )
    assert rendered(text) == (
        "r.txt:2:18: unknown tag 'manylinux3'\n"
        "    requests==2.25.1[manylinux3,cp36,x86_64]\n"
        "                     ^^^^^^^^^^\n"
        "hint: did you mean 'manylinux2014'?\n"
        "r.txt:3:6: warning: [manylinux2014,cp39] is read as extras (PEP 508), but it looks like "
        "a tag block\n"
        "    numpy[manylinux2014,cp39]\n"
        "         ^^^^^^^^^^^^^^^^^^^^\n"
        "hint: for tags write 'numpy[][manylinux2014,cp39]'\n"
        "r.txt:5:16: unknown tag 'linuxx'\n"
        "       [win, cp39, linuxx]  # trailing comment\n"
        "                   ^^^^^^\n"
        "hint: did you mean 'linux'?\n"
        "r.txt:7:1: unknown option '--frobnicate' in a requirements file\n"
        "    --frobnicate\n"
        "    ^^^^^^^^^^^^"
    )
    with pytest.raises(ValidationError) as info:
        parse_requirements_text(text, source="r.txt")
    assert len(info.value.diagnostics) == 4
    assert info.value.message == "3 problems found"


def test_lone_group_warning_with_version() -> None:
    result = check_requirements_text("numpy[cp39]==1.0\nrequests[socks]\npkg[win]\n")
    assert [(d.severity, d.hint) for d in result.diagnostics] == [
        ("warning", "for tags write 'numpy==1.0[cp39]'")
    ]
    # Warnings alone do not fail parsing; the extras are still extras.
    parsed = parse_requirements_text("numpy[cp39]==1.0\n")
    assert parsed.requirements[0].requirement.extras == {"cp39"}
    assert len(parsed.diagnostics) == 1


def test_comments_and_urls() -> None:
    text = "pkg @ https://x.org/p.whl#sha256=abc # comment\n  # indented comment\n\n"
    result = parse_requirements_text(text)
    assert result.requirements[0].requirement.url == "https://x.org/p.whl#sha256=abc"
    assert len(result.requirements) == 1


def test_comment_line_ends_a_continuation() -> None:
    result = parse_requirements_text("six==1.0 \\\n# comment \\\nattrs\n")
    assert [str(r.requirement) for r in result.requirements] == ["six==1.0", "attrs"]


def test_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIX_VERSION", "1.16.0")
    monkeypatch.setenv("TAGS", "[cp39,bogus]")
    monkeypatch.delenv("UNSET_VAR", raising=False)
    result = check_requirements_text(
        "six==${SIX_VERSION}[cp39]\nattrs==1.0${TAGS}\n-i https://x.org/${UNSET_VAR}/simple\n"
    )
    assert str(result.requirements[0].requirement) == "six==1.16.0"
    # The caret covers the variable the user wrote.
    assert [render_diagnostic(d) for d in result.diagnostics] == [
        "<string>:2:11: unknown tag 'bogus'\n"
        "    attrs==1.0${TAGS}\n"
        "              ^^^^^^^\n"
        "hint: expected a platform (manylinux2014, win_amd64, ...), an architecture (x86_64, ...), "
        "a python tag (cp39, py3), an ABI (cp36m, abi3, none) or a tag triple"
    ]
    assert result.options.index_url is not None
    assert result.options.index_url.value == "https://x.org/${UNSET_VAR}/simple"


def test_lowercase_variables_are_not_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("lower", "1.0")
    result = check_requirements_text("six==${lower}\n")
    assert result.errors


def test_options() -> None:
    text = (
        "-i https://a.example/simple\n"
        "--index-url=https://b.example/simple\n"
        "--extra-index-url https://c.example/simple\n"
        "-f ./wheels\n"
        "--find-links=./more\n"
        "--no-index\n"
        "--pre --prefer-binary\n"
        "--require-hashes\n"
        "--only-binary :all:\n"
        "--no-binary=foo,bar\n"
        "--trusted-host a.example\n"
        "--platform manylinux_2_28_x86_64\n"
        "--platform manylinux2014_x86_64\n"
        "--python-version 37\n"
        "--implementation cp\n"
        "--abi cp37m\n"
        "--abi abi3\n"
        "--extra-index https://d.example/simple\n"
    )
    options = parse_requirements_text(text, source="r.txt").options
    assert options.index_url == OptionValue(
        "https://b.example/simple",
        Span("r.txt", 2, 12, 36, "--index-url=https://b.example/simple"),
    )
    assert [o.value for o in options.extra_index_urls] == [
        "https://c.example/simple",
        "https://d.example/simple",
    ]
    assert [o.value for o in options.find_links] == ["./wheels", "./more"]
    assert options.no_index == Span("r.txt", 6, 0, 10, "--no-index")
    assert options.pre is not None
    assert options.prefer_binary == Span("r.txt", 7, 6, 21, "--pre --prefer-binary")
    assert options.require_hashes is not None
    assert [o.value for o in options.only_binary] == [":all:"]
    assert [o.value for o in options.no_binary] == ["foo,bar"]
    assert [o.value for o in options.trusted_hosts] == ["a.example"]
    assert [o.value for o in options.platforms] == ["manylinux_2_28_x86_64", "manylinux2014_x86_64"]
    assert options.python_version is not None
    assert options.python_version.value == "37"
    assert options.implementation is not None
    assert options.implementation.value == "cp"
    assert [o.value for o in options.abis] == ["cp37m", "abi3"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--platform manylinux3_x86_64", "unknown platform 'manylinux3_x86_64'"),
        ("--python-version three", "invalid Python version 'three'"),
        ("--implementation cpython", "unknown implementation 'cpython'"),
        ("--abi cp39m", "the ABI 'cp39m' does not exist: CPython dropped the 'm' flag in 3.8"),
        ("--index-url", "--index-url needs a value"),
        ("--pre=yes", "--pre takes no value"),
        (
            "-e .",
            "-e/--editable is not supported: an editable install links to a source folder on "
            "this machine, which a folder for another machine cannot use",
        ),
        (
            "--hash=sha256:" + "a" * 64,
            "--hash on a line of its own is refused: it belongs to no requirement (pip ignores "
            "it with a warning, which would drop a hash check)",
        ),
        ("--no-binry :all:", "unknown option '--no-binry' in a requirements file"),
        ("--p", "unknown option '--p' in a requirements file"),
        ("--pr", "ambiguous option '--pr': it could be --pre, --prefer-binary"),
        ("-r https://x.org/r.txt", "requirement files from URLs are not supported"),
        ("--pre six", "expected an option, not 'six'"),
        ("-i 'unterminated", "unterminated quote"),
    ],
)
def test_option_errors(line: str, message: str) -> None:
    result = check_requirements_text(line + "\n")
    assert [d.message for d in result.errors] == [message]


def test_conflicting_python_versions() -> None:
    result = check_requirements_text("--python-version 3.6\n--python-version 3.7\n", source="r")
    assert [render_diagnostic(d) for d in result.errors] == [
        "r:2:18: --python-version '3.7' contradicts --python-version '3.6' given at r:1\n"
        "    --python-version 3.7\n"
        "                     ^^^\n"
        "hint: a file describes one target"
    ]


def test_parse_python_version() -> None:
    """check reads --python-version with the fetching commands' one parser."""
    assert parse_python_version("37") == (3, 7)
    assert parse_python_version("310") == (3, 10)
    assert parse_python_version("3.12.1") == (3, 12, 1)
    for text in ("3", "3.x"):  # the fetching commands refuse a bare major
        with pytest.raises(VocabularyError):
            parse_python_version(text)


def test_includes_are_relative_to_the_including_file(tmp_path: Path) -> None:
    (tmp_path / "reqs").mkdir()
    (tmp_path / "reqs" / "base.txt").write_text("six==1.16.0[cp39]\n-c constraints.txt\n")
    (tmp_path / "reqs" / "constraints.txt").write_text("attrs<23\n")
    (tmp_path / "requirements.txt").write_text(
        "-r reqs/base.txt\n--requirement=reqs/extra.txt\nrequests\n"
    )
    (tmp_path / "reqs" / "extra.txt").write_text("--pre\nidna\n")
    top = str(tmp_path / "requirements.txt")
    result = parse_requirements_file(top)
    assert [r.name for r in result.requirements] == ["six", "idna", "requests"]
    assert [r.name for r in result.constraints] == ["attrs"]
    assert result.options.pre is not None
    assert result.files == (
        top,
        str(tmp_path / "reqs" / "base.txt"),
        str(tmp_path / "reqs" / "constraints.txt"),
        str(tmp_path / "reqs" / "extra.txt"),
    )
    assert result.requirements[0].span.source == str(tmp_path / "reqs" / "base.txt")


def test_constraint_file_at_top(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text("attrs<23\n")
    result = parse_requirements_file(str(path), constraint=True)
    assert result.requirements == ()
    assert [r.name for r in result.constraints] == ["attrs"]


def test_include_cycle_names_the_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.txt").write_text("six\n-r b.txt\n")
    Path("b.txt").write_text("-r a.txt\n")
    with pytest.raises(ValidationError) as info:
        parse_requirements_file("a.txt")
    assert [render_diagnostic(d) for d in info.value.diagnostics] == [
        "b.txt:1:4: requirement files include each other: a.txt -> b.txt -> a.txt\n"
        "    -r a.txt\n"
        "       ^^^^^"
    ]


def test_errors_from_all_included_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.txt").write_text("six==1[cp99m]\n-r b.txt\n-r missing.txt\n")
    Path("b.txt").write_text("attrs==1[bogus]\n")
    result = check_requirements_file("a.txt")
    assert [(d.span.source if d.span else None, d.message) for d in result.diagnostics] == [
        ("a.txt", "the ABI 'cp99m' does not exist: CPython dropped the 'm' flag in 3.8"),
        ("b.txt", "unknown tag 'bogus'"),
        ("a.txt", "cannot read requirements file 'missing.txt': No such file or directory"),
    ]
    assert validate_requirements_file("a.txt") == result.diagnostics


def test_missing_top_file(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.txt")
    result = check_requirements_file(missing)
    assert [(d.span, d.message) for d in result.diagnostics] == [
        (None, f"cannot read requirements file {missing!r}: No such file or directory")
    ]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_bytes(b"six\xff\n")
    assert [d.message for d in check_requirements_file(str(path)).errors] == [
        f"{str(path)!r} is not UTF-8 text (byte 3)"
    ]


def test_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_bytes(b"\xef\xbb\xbfsix==1.0[cp39]\r\nattrs\r\n")
    result = parse_requirements_file(str(path))
    assert [r.name for r in result.requirements] == ["six", "attrs"]


def test_tagged_requirement_contract() -> None:
    req = parse_line("six==1.0[cp39] --hash=sha256:" + "0" * 64)
    assert isinstance(req, TaggedRequirement)
    assert isinstance(req.requirement, Requirement)
    assert isinstance(req.tags, TagSpec)
    assert req.hashes == ("sha256:" + "0" * 64,)


def test_examples_are_valid() -> None:
    examples = sorted((Path(__file__).parent.parent / "examples").glob("*.txt"))
    assert examples
    for path in examples:
        result = check_requirements_file(str(path))
        assert result.diagnostics == (), path


def test_an_included_path_with_a_nul_is_a_clean_error(tmp_path: Path) -> None:
    """Found by the fuzzer (``-r\\x00``): os.path refuses a NUL with a ValueError, which reached
    the user as an internal error."""
    req = tmp_path / "requirements.txt"
    req.write_bytes(b"-r \x00\n-c a\x00b\n")
    result = check_requirements_file(str(req))
    nul, named = str(tmp_path / "\x00"), str(tmp_path / "a\x00b")
    assert [d.message for d in result.diagnostics] == [
        f"cannot read requirements file {nul!r}: a path cannot hold a NUL character",
        f"cannot read constraints file {named!r}: a path cannot hold a NUL character",
    ]
