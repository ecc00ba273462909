"""`tagpip check`'s fast paths give exactly the answers of the full path, and check starts lean.

`check` skips a line that :data:`tagpip.requirements.checkfast._PLAIN_LINE_RE` matches and whose tag
block is valid, splits ordinary wheel tag triples without packaging.tags, and reads its usual
command lines without building the argparse parser. Each shortcut is held here to the path it stands
in for: the full parse through packaging (``check_requirements_text`` builds every value) and
argparse.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from packaging.markers import Marker
from packaging.tags import parse_tag

from tagpip.cli import build_parser
from tagpip.cli.commands.check import quick_args
from tagpip.errors import Diagnostic, Span
from tagpip.requirements.checkfast import _PLAIN_LINE_RE, plainly_valid
from tagpip.requirements.syntax import (
    _logical_lines,
    _Reader,
    check_requirements_text,
    parse_line,
    validate_requirements_file,
)
from tagpip.tags.tokens import (
    _split_triple,
    check_tag_block,
    parse_tag_block,
    tag_block_is_valid,
    tag_block_problems,
)


def validate(text: str) -> tuple[Diagnostic, ...]:
    """What `tagpip check` reports for a file holding ``text`` (fast paths on)."""
    reader = _Reader(build=False)
    reader.read_text(text, "r.txt", False, ".")
    return tuple(reader.diagnostics)


def full(text: str) -> tuple[Diagnostic, ...]:
    """What the full path reports: every line through packaging, every value built."""
    return check_requirements_text(text, source="r.txt", base_dir=".").diagnostics


def fast(line: str) -> bool:
    """Whether `check` takes the fast path for a one-line file."""
    logicals = list(_logical_lines(line, "r.txt"))
    return len(logicals) == 1 and plainly_valid(logicals[0].text)


# --- lines that come near the fast path's edges from every side -------------------------------

_WS = st.sampled_from(["", "", " ", "\t", "  "])
_NAMES = st.one_of(
    st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,6}[A-Za-z0-9])?", fullmatch=True),
    st.sampled_from(["-bad", "bad-", "bad.", "ba d", "näme", "x_", "Django", "zope.interface"]),
)
_EXTRA_NAMES = st.one_of(
    _NAMES,
    st.sampled_from(["cp39", "x86_64", "win", "linux", "none", "manylinux2014", "cp39-", "a-"]),
)
_VERSIONS = st.one_of(
    st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,2}){0,3}", fullmatch=True),
    st.sampled_from(
        [
            "1.0a1", "1.0b2", "1.0rc1", "1.0RC1", "1.0c1", "1.0alpha1", "1.0.post1", "1.0.dev0",
            "1.0a1.post2.dev3", "1.0-1", "1.0_dev", "1.0-post1", "1.*", "1.0.*", "1.0a1.*",
            "1.0.*.1", "1.0+local", "1.0+Local.1", "1.0+lo_cal-2", "1.0+", "1!2.0", "v1.0",
            "1.0.", ".1", "1..0", "a.b", "foo", "1.0a", "", "01.02", "1.0 1",
        ]
    ),
)  # fmt: skip
_OPERATORS = st.sampled_from(["==", "!=", ">=", "<=", "<", ">", "~=", "===", "=", "=>", "<>"])
_TAG_TOKENS = st.sampled_from(
    [
        "manylinux1", "manylinux2014", "manylinux_2_28", "musllinux_1_2", "macosx_11_0",
        "macosx_10_9", "win", "linux", "any", "x86_64", "aarch64", "amd64", "arm64", "i686",
        "cp36", "cp39", "cp312", "py3", "pp39", "cp36m", "cp313t", "abi3", "none",
        "cp36-cp36m-manylinux1_x86_64", "py2.py3-none-any", "cp39-none-manylinux_2_28_x86_64",
        "cp39.cp310-abi3-manylinux2014_x86_64", "win_amd64", "manylinux2014_aarch64",
        "Manylinux2014", "CP39", "X86_64", "manylinux3", "cp39m", "cp39--any", "3x-none-any",
        "cp39-", "", " ", "cp 39",
    ]
)  # fmt: skip
_MARKER_VARIABLES = st.sampled_from(
    [
        "python_version", "python_full_version", "os_name", "sys_platform", "platform_machine",
        "platform_python_implementation", "implementation_name", "extra", "os.name",
        "python_versions", "'3.8'",
    ]
)  # fmt: skip
_MARKER_OPERATORS = st.sampled_from(
    ["==", ">=", "<", "~=", "===", "!=", " in ", " not in ", "in", "=", " not  in ", " In "]
)
_MARKER_VALUES = st.sampled_from(
    ['"3.8"', "'linux'", '"x86-64"', '"a b"', '"3.8', '""', '"#"', '"-x"', "3.8", '"3.*"']
)
_HEX = st.sampled_from(["0123456789abcdef", "ABCDEF0123456789"])


@st.composite
def _specifiers(draw: st.DrawFn) -> str:
    clauses = draw(st.lists(st.tuples(_OPERATORS, _WS, _VERSIONS), max_size=3))
    text = ""
    for index, (operator, space, version) in enumerate(clauses):
        if index:
            text += draw(_WS) + draw(st.sampled_from([",", ",", ",,", ""])) + draw(_WS)
        text += operator + space + version
    if clauses and draw(st.integers(0, 9)) == 0:
        text += ","
    return text


@st.composite
def _markers(draw: st.DrawFn) -> str:
    items = [
        draw(_MARKER_VARIABLES) + draw(_WS) + draw(_MARKER_OPERATORS) + draw(_WS)
        for _ in range(draw(st.integers(1, 3)))
    ]
    items = [item + draw(_MARKER_VALUES) for item in items]
    joiners = st.sampled_from([" and ", " or ", "\tand\t", " and", " AND "])
    return "".join(item if not i else draw(joiners) + item for i, item in enumerate(items))


@st.composite
def _hashes(draw: st.DrawFn) -> str:
    text = ""
    for _ in range(draw(st.integers(0, 2))):
        algo = draw(st.sampled_from(["sha256", "sha256", "sha384", "sha512", "SHA256", "md5"]))
        length = {"sha256": 64, "sha384": 96, "sha512": 128}.get(algo.lower(), 64)
        length += draw(st.sampled_from([0, 0, 0, -1, 1]))
        digest = (draw(_HEX) * 9)[:length]
        separator = draw(st.sampled_from([" ", " ", "\t", "  "]))
        text += separator + "--hash" + draw(st.sampled_from(["=", " "])) + f"{algo}:{digest}"
    return text


@st.composite
def _lines(draw: st.DrawFn) -> str:
    line = draw(_WS) + draw(_NAMES) + draw(_WS)
    if draw(st.booleans()):
        items = draw(st.lists(_EXTRA_NAMES, max_size=3))
        line += "[" + draw(_WS) + ",".join(items) + draw(_WS) + "]" + draw(_WS)
    line += draw(_specifiers()) + draw(_WS)
    if draw(st.booleans()):
        tokens = draw(st.lists(_TAG_TOKENS, min_size=1, max_size=4))
        separator = draw(st.sampled_from([",", ",", ", ", " ,", ",,"]))
        line += "[" + draw(_WS) + separator.join(tokens) + draw(_WS) + "]" + draw(_WS)
    if draw(st.booleans()):
        line += ";" + draw(_WS) + draw(_markers())
    line += draw(_hashes())
    if draw(st.booleans()):
        comment = draw(st.sampled_from(["", " pinned", " trailing \\", " ${HOME}", "#", "x"]))
        line += draw(st.sampled_from([" ", "\t", "", "  "])) + "#" + comment
    return line


_LINES = st.one_of(_lines(), st.from_regex(_PLAIN_LINE_RE, fullmatch=True))


# --- the fast line path -----------------------------------------------------------------------


@pytest.mark.slow
@given(_LINES)
@example('project-1>=1.0,<3.0[manylinux2014]; python_version >= "3.8"')
@example("project-2[][cp311-none-manylinux_2_28_x86_64]  # pinned for the target")
def test_check_reports_what_the_full_path_reports(line: str) -> None:
    assert validate(line + "\n") == full(line + "\n")


@pytest.mark.slow
@given(st.lists(_LINES, max_size=6), st.lists(st.sampled_from([" \\", "", ""]), max_size=6))
def test_files_report_what_the_full_path_reports(lines: list[str], ends: list[str]) -> None:
    # Continuations join lines into logical lines that reach the fast path too.
    text = "".join(line + (ends[i] if i < len(ends) else "") + "\n" for i, line in enumerate(lines))
    assert validate(text) == full(text)


_CLAUSE_RE = re.compile(r"[ \t]*(===|==|!=|<=|>=|~=|<|>)[ \t]*(\S+?)[ \t]*")


@given(_LINES)
def test_fast_lines_parse_as_the_pattern_reads_them(line: str) -> None:
    """Where the fast path says a line is fine, packaging (through parse_line) finds no problem
    and reads the same name, extras, clauses, marker, tag block and hashes as the pattern."""
    logicals = list(_logical_lines(line, "r.txt"))
    if len(logicals) != 1 or not plainly_valid(logicals[0].text):
        return
    assert full(line) == ()
    match = _PLAIN_LINE_RE.fullmatch(logicals[0].text)
    assert match is not None
    parsed = parse_line(line)
    requirement = parsed.requirement
    assert requirement.name == match["name"]
    extras = match["extras"]
    items = [e.strip() for e in extras[1:-1].split(",")] if extras else []
    assert requirement.extras == {e for e in items if e}
    clauses = [_CLAUSE_RE.fullmatch(c) for c in match["spec"].split(",")] if match["spec"] else []
    assert all(clauses)
    written = {clause.groups() for clause in clauses if clause}
    assert {(s.operator, s.version) for s in requirement.specifier} == written
    if match["marker"] is None:
        assert requirement.marker is None
    else:
        assert str(requirement.marker) == str(Marker(match["marker"]))
    block = match["block"]
    if block is None:
        assert parsed.tags is None
    else:
        assert parsed.tags == parse_tag_block(block, Span("b", 1, 0, len(block), block))
    written_hashes = re.findall(r"--hash[= ](\S+)", match["hashes"])
    assert parsed.hashes == tuple(h.lower() for h in written_hashes)


def test_the_benchmark_file_takes_the_fast_path(tmp_path: Path) -> None:
    bench = Path(__file__).parent.parent / "bench" / "bench_check.py"
    spec = importlib.util.spec_from_file_location("bench_check", bench)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    make_file = module.make_file
    path = make_file(str(tmp_path))
    text = Path(path).read_text()
    requirements = [line for line in text.splitlines() if not line.startswith(("#", "-"))]
    assert requirements
    assert all(fast(line) for line in requirements)
    assert validate_requirements_file(path) == full(text) == ()


# (line, takes the fast path, has problems (None: up to packaging's version)): each edge of the
# fast path, from both sides.
EDGES = [
    ("six", True, False),
    ("six==1.16.0", True, False),
    ("Six==1.16.0[CP39,X86_64]", True, False),  # tag tokens are case-free
    ("six == 1.16.0 , < 2 [ cp39 , x86_64 ] ; python_version >= '3.8'", True, False),
    ("six\t==\t1.0\t[cp39]\t;\tos_name\t==\t'nt'", True, False),
    ("six===1.0-weird+x", False, False),  # ===: packaging decides (26.3 and 26.4 differ)
    ("six==1.*", True, False),
    ("six!=1.0.*", True, False),
    ("six>=1.*", False, True),  # a wildcard only after == and !=
    ("six==1.0a1.*", False, True),
    ("six==1.0+local.7", True, False),
    ("six>=1.0+local", False, True),  # a local label only after == and !=
    ("six~=1.0", True, False),
    ("six~=1", False, True),  # ~= needs two release numbers
    ("six==1.0rc1.post2.dev3", True, False),
    ("six==1.0RC1", False, False),  # valid, but upper case is left to packaging
    ("six==v1.0", False, False),
    ("six==1!2.0", False, False),
    ("six==1.0.", False, True),
    ("six==a.b", False, True),
    ("six>=1,", False, None),  # packaging 26 takes a trailing comma; older ones did not
    ("six>=1,,<2", False, True),
    ("-six==1.0", False, True),  # an option line, not a name
    ("six-==1.0", False, True),  # PEP 508 names end with a letter or digit
    ("näme==1.0", False, True),
    ("six[cp39-]==1.0", False, True),
    ("six[cp39]", False, True),  # a warning: it reads as tags but PEP 508 makes it extras
    ("six[cp39]>=1.0", False, True),
    ("six[win]", True, False),  # a plausible extra: no warning
    ("six[socks][cp39]", True, False),
    ("six[][cp39]", True, False),
    ("six[][manylinux3]", False, True),
    ("six==1.0[manylinux1,aarch64]", False, True),  # manylinux1 had no aarch64
    ("six==1.0[cp39,cp310]", False, True),
    ("six==1.0[cp39-none-any]", True, False),
    ("six==1.0[cp39--any]", False, True),
    ("six==1.0[cp39] [cp39]", False, True),
    ("six==1.0; python_version in '3.8 3.9'", False, False),
    ("six==1.0; python_version not in '3.8'", True, False),
    ("six==1.0; os.name == 'nt'", False, False),  # valid, left to packaging
    ("six==1.0; python_versions == '3.8'", False, True),
    ("six==1.0; python_version >= '3.8' and", False, True),
    ("six==1.0; python_version >= '3.8'and os_name == 'nt'", False, False),
    (f"six==1.0 --hash=sha256:{'a' * 64}", True, False),
    (f"six==1.0 --hash sha256:{'A' * 64} --hash=sha512:{'b' * 128}", True, False),
    (f"six==1.0\t--hash=sha256:{'a' * 64}", False, True),  # pip splits options at spaces
    (f"six==1.0 --hash=SHA256:{'a' * 64}", False, False),
    (f"six==1.0 --hash=sha256:{'a' * 63}", False, True),
    (f"six==1.0 --hash=md5:{'a' * 32}", False, True),
    ("six==1.0 # a comment", True, False),
    ("six==1.0#no-space", False, True),
    ("six==1.0 -e .", False, True),
    ("six==1.0 ${NOT_SET_IN_TESTS}", False, True),
    ("six @ https://example.org/six-1.0-py3-none-any.whl", False, False),
]


@pytest.mark.parametrize(("line", "takes_fast_path", "has_problems"), EDGES)
def test_edges(line: str, takes_fast_path: bool, has_problems: bool | None) -> None:
    assert fast(line) == takes_fast_path
    if has_problems is not None:
        assert bool(full(line)) == has_problems
    assert validate(line) == full(line)


def test_a_long_run_of_blanks_fails_fast() -> None:
    # Each optional part of the pattern takes the blanks before it, so a run of them is shared
    # out one way only: with five parts each free to take some, this took minutes. A match
    # cannot be interrupted, so it runs in a child process, whose timeout only stops a hang (a
    # healthy answer takes milliseconds): nothing here is a measure of speed.
    code = textwrap.dedent(
        """
        from tagpip.requirements.checkfast import plainly_valid
        for line in ("six" + " \\t" * 5000 + "x", "six[" + " " * 5000 + "x", "six==1" + " " * 5000):
            assert not plainly_valid(line + "!")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr


def test_a_comment_ending_in_a_backslash_continues_the_line() -> None:
    text = "six==1.0 # see below \\\nnot a requirement\n"
    assert validate(text) == full(text) == ()  # pip's rule: the comment takes the next line too


def test_variables_are_expanded_before_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGPIP_TEST_SPEC", "==1.0")
    monkeypatch.setenv("TAGPIP_TEST_COMMENT", " #x")
    for text in ("six${TAGPIP_TEST_SPEC}[cp39]\n", "six==1.0${TAGPIP_TEST_COMMENT}\n"):
        assert validate(text) == full(text)
    assert not full("six${TAGPIP_TEST_SPEC}[cp39]\n")
    assert full("six==1.0${TAGPIP_TEST_COMMENT}\n")


# --- tag blocks and triples -------------------------------------------------------------------


@given(st.lists(_TAG_TOKENS, min_size=0, max_size=4), st.sampled_from([",", ", ", ",,"]))
def test_tag_block_validity_matches_its_problems(tokens: list[str], separator: str) -> None:
    text = "[" + separator.join(tokens) + "]"
    span = Span("r.txt", 1, 0, len(text), text)
    problems = tag_block_problems(text, span)
    spec, all_problems = check_tag_block(text, span)
    assert tag_block_is_valid(text) == (not problems) == (spec is not None)
    assert problems == all_problems or [p.message for p in problems] == [
        p.message for p in all_problems
    ]


@given(
    st.lists(
        st.sampled_from(["cp39", "py2", "py3", "3x", "", "pp310", "CP39", "cp_39"]), min_size=1
    ),
    st.lists(st.sampled_from(["none", "abi3", "cp39", "", "cp36m"]), min_size=1),
    st.lists(st.sampled_from(["any", "manylinux1_x86_64", "", "win_amd64"]), min_size=1),
)
def test_triples_split_as_packaging_reads_them(
    pythons: list[str], abis: list[str], platforms: list[str]
) -> None:
    token = "-".join(".".join(part) for part in (pythons, abis, platforms)).lower()
    try:
        expected = frozenset((t.interpreter, t.abi, t.platform) for t in parse_tag(token))
    except ValueError:
        assert _split_triple(token) is None
    else:
        assert _split_triple(token) == expected


# --- the command line -------------------------------------------------------------------------

_WORDS = st.lists(
    st.sampled_from(
        [
            "-q", "--quiet", "--format", "--format=json", "--format=text", "--format=xml",
            "json", "text", "a.txt", "b.txt", "-h", "--", "--form=json", "--qui", "-qq", "-x",
            "", "-", "@args",
        ]
    ),
    max_size=6,
)  # fmt: skip


@given(_WORDS)
def test_quick_args_are_what_argparse_makes_of_the_words(words: list[str]) -> None:
    quick = quick_args(words)
    if quick is None:
        return
    parsed = build_parser("check").parse_args(["check", *words])
    assert vars(quick) == vars(parsed)


@pytest.mark.parametrize(
    "words",
    [
        ["requirements.txt", "dev/requirements.in"],  # what the pre-commit hook runs
        ["-q", "requirements.txt"],  # the benchmark
        ["--format", "json", "r.txt"],
        ["--format=json", "--quiet", "r.txt"],
        [],
    ],
)
def test_quick_args_cover_the_usual_command_lines(words: list[str]) -> None:
    quick = quick_args(words)
    assert quick is not None
    assert vars(quick) == vars(build_parser("check").parse_args(["check", *words]))


# --- start-up ---------------------------------------------------------------------------------


def test_check_imports_neither_packaging_nor_argparse(tmp_path: Path) -> None:
    """What pays at start-up (docs/performance.md, "Start-up"): `check` reads its usual lines
    without packaging and its usual command lines without argparse."""
    path = tmp_path / "requirements.txt"
    path.write_text(
        textwrap.dedent(
            """\
            --platform manylinux_2_28_x86_64
            six==1.16.0[manylinux2014,cp39,x86_64]
            requests[socks]>=2.25,<3; python_version >= "3.8"
            attrs[][cp39-none-manylinux_2_28_x86_64]  # pinned
            idna~=3.4 --hash=sha256:"""
            + "0" * 64
            + "\n"
        )
    )
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "from tagpip.cli import main\n"
        f"status = main(['check', '-q', {str(path)!r}])\n"
        "new = set(sys.modules) - before\n"
        "print(status, sorted(m for m in new if m.split('.')[0] in "
        "('packaging', 'difflib', 'argparse', 'shutil')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout == "0 []\n"
