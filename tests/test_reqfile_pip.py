"""Requirement files read as pip 26 reads them, held against pip's own parser.

The oracle is real pip, in a subprocess (tagpip never imports pip): ``pip._internal``'s
``parse_requirements`` and ``install_req_from_parsed_requirement``, the two steps ``pip
download -r`` takes, print what they make of a file. Cases follow pip's
tests/unit/test_req_file.py (encodings, line splitting, environment variables, URL requirements
with markers). The oracle tests skip when the environment's pip is older than 26.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tagpip.errors import UsageError
from tagpip.requirements.syntax import FileOptions, check_requirements_file, decode_requirements
from tagpip.workflow.inputs import Inputs, wants_hashes

_ORACLE = r"""
import json, sys
from pip._internal.req.req_file import parse_requirements
from pip._internal.req.constructors import install_req_from_parsed_requirement
from pip._internal.network.session import PipSession
out = []
for parsed in parse_requirements(sys.argv[1], session=PipSession()):
    ireq = install_req_from_parsed_requirement(parsed)
    out.append({
        "req": str(ireq.req) if ireq.req else None,
        "url": ireq.link.url if ireq.link else None,
        "marker": str(ireq.markers) if ireq.markers else None,
        "constraint": ireq.constraint,
        "hashes": sorted(f"{k}:{v}" for k, vs in (ireq.hash_options or {}).items() for v in vs),
    })
print(json.dumps(out))
"""


def _pip_version() -> tuple[int, ...]:
    try:
        from importlib.metadata import version

        return tuple(int(p) for p in version("pip").split(".")[:2])
    except Exception:
        return (0,)


needs_pip26 = pytest.mark.skipif(_pip_version() < (26, 0), reason="needs pip 26 as the oracle")
# pip 26.3 read --no-require-hashes in a file and honours a hashed constraint; the newest pip
# for Python 3.9 is 26.0, which does neither: these corners are 26.3's.
needs_pip263 = pytest.mark.skipif(_pip_version() < (26, 3), reason="needs pip 26.3 as the oracle")


def pip_reads(path: Path) -> list[dict[str, object]]:
    """What pip 26 makes of a requirement file."""
    done = subprocess.run(
        [sys.executable, "-c", _ORACLE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=path.parent,
    )
    result: list[dict[str, object]] = json.loads(done.stdout)
    return result


def tagpip_reads(path: Path) -> list[dict[str, object]]:
    """The same shape from tagpip's parser (no errors allowed)."""
    result = check_requirements_file(str(path))
    assert result.errors == ()
    out: list[dict[str, object]] = []
    for line in result.requirements:
        req = line.requirement
        bare = req.name + (f"[{','.join(sorted(req.extras))}]" if req.extras else "")
        out.append(
            {
                "req": f"{bare} @ {req.url}" if req.url else bare + str(req.specifier),
                "url": req.url,
                "marker": str(req.marker) if req.marker else None,
                "constraint": False,
                "hashes": sorted(line.hashes),
            }
        )
    return out


def _comparable(pip: list[dict[str, object]]) -> list[dict[str, object]]:
    # pip's ireq.req of a URL requirement is "name@ url"; tagpip writes "name @ url".
    return [{**r, "req": str(r["req"]).replace("@ ", " @ ").replace("  @", " @")} for r in pip]


WHEEL = "https://example.com/x-1.0-py3-none-any.whl"


@needs_pip26
@pytest.mark.parametrize(
    "content",
    [
        pytest.param(f'x @ {WHEEL} ; python_version < "4"\n', id="url-space-marker"),
        pytest.param(f'x @ {WHEEL};python_version < "4"\n', id="url-semicolon-marker"),
        pytest.param(f'x @ {WHEEL}; python_version < "4"\n', id="url-semicolon-space"),
        pytest.param("six==1.16\rattrs>=22\n", id="lone-cr"),
        pytest.param("six==1.16\x0cattrs>=22\x0bidna\x1cpip\u2028wheel\x85tomli\n", id="seps"),
        pytest.param("six==1.16 \\\n  --hash=sha256:" + "a" * 64 + "\n", id="continuation"),
        pytest.param("six==1.16 # comment\n# whole line\n\nattrs\n", id="comments"),
        pytest.param('six; python_version >= "3"\n', id="plain-marker"),
        # more of pip's tests/unit/test_req_file.py: joining, comments, option spellings
        pytest.param("# comment \\\nsix\n", id="comment-ending-in-backslash"),
        pytest.param("six \\\n# comment\nattrs\n", id="continuation-into-comment"),
        pytest.param(f"x @ {WHEEL}#sha256={'a' * 64}\n", id="url-fragment-is-no-comment"),
        pytest.param(
            "-i https://a.example/simple --extra-index-url https://b.example/simple\nsix\n",
            id="two-options-on-a-line",
        ),
        pytest.param("--index-url=https://a.example/simple\nsix\n", id="option-equals"),
        pytest.param("-ihttps://a.example/simple\nsix\n", id="short-option-glued"),
        pytest.param("--index https://a.example/simple\nsix\n", id="option-prefix"),
        pytest.param(
            f"six==1.16 --hash sha256:{'a' * 64} --hash=sha512:{'b' * 128}\n", id="hash-spellings"
        ),
        pytest.param("six[socks] >= 1.0 , < 2 ; python_version >= '3'\n", id="spaced-pep508"),
    ],
)
def test_lines_read_as_pip_reads_them(tmp_path: Path, content: str) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes(content.encode("utf-8"))  # as written: no newline translation
    assert tagpip_reads(path) == _comparable(pip_reads(path))


@needs_pip26
@pytest.mark.parametrize(
    ("data", "label"),
    [
        ("six==1.16\nattrs\n".encode("utf-16"), "utf-16-bom"),
        ("six==1.16\nattrs\n".encode("utf-32"), "utf-32-bom"),
        (b"\xef\xbb\xbfsix==1.16\n", "utf-8-bom"),
        (b"# -*- coding: latin-1 -*-\nsix==1.16 # caf\xe9\n", "coding-line-1"),
        (b"\n# vim: set fileencoding=latin-1 :\nsix==1.16 # \xe9\n", "coding-line-2"),
    ],
)
def test_encodings_as_pip(tmp_path: Path, data: bytes, label: str) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes(data)
    assert tagpip_reads(path) == _comparable(pip_reads(path)), label


def test_decode_orders_utf32_before_utf16() -> None:
    assert decode_requirements("six\n".encode("utf-32-le")[0:0] + b"\xff\xfe\x00\x00") == ""
    assert decode_requirements("a".encode("utf-16")) == "a"
    assert decode_requirements(b"\x00\x00\xfe\xff" + "a".encode("utf-32-be")) == "a"


def test_unknown_coding_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_bytes(b"# coding: no-such-codec\nsix\n")
    [error] = check_requirements_file(str(path)).errors
    assert error.message == f"{str(path)!r}: unknown encoding: no-such-codec"


@needs_pip26
def test_empty_variable_left_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMPTY", "")
    monkeypatch.setenv("VERSION", "1.16")
    path = tmp_path / "requirements.txt"
    path.write_text("six==${VERSION}\nattrs${EMPTY}\n")
    result = check_requirements_file(str(path))
    # pip keeps '${EMPTY}' and then fails on it; so does tagpip, pointing at it.
    assert [str(r.requirement) for r in result.requirements] == ["six==1.16"]
    assert len(result.errors) == 1
    assert result.errors[0].span is not None
    assert result.errors[0].span.line == 2
    with pytest.raises(subprocess.CalledProcessError):
        pip_reads(path)


def test_url_marker_error_points_into_the_marker(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text(f'x @ {WHEEL}; python_verson < "4"\n')
    [error] = check_requirements_file(str(path)).errors
    assert error.span is not None
    assert error.span.start == len(f"x @ {WHEEL}; ")


# -- file options -----------------------------------------------------------------------------


def _options(tmp_path: Path, content: str) -> FileOptions:
    path = tmp_path / "r.txt"
    path.write_text(content)
    result = check_requirements_file(str(path))
    assert result.errors == ()
    return result.options


def test_use_feature_is_accepted_and_said_to_be_ignored(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("--use-feature fast-deps\nsix\n")
    result = check_requirements_file(str(path))
    assert [(d.severity, d.message) for d in result.diagnostics] == [
        ("warning", "--use-feature fast-deps is one of pip's own feature flags: tagpip ignores it")
    ]


def test_pypi_url_is_index_url(tmp_path: Path) -> None:
    options = _options(tmp_path, "--pypi-url https://h/simple\n")
    assert options.index_url is not None
    assert options.index_url.value == "https://h/simple"


def test_no_opposite_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("--no-require-hashs\n--require-hashs\n")
    hints = [d.hint for d in check_requirements_file(str(path)).errors]
    assert hints == ["did you mean '--no-require-hashes'?", "did you mean '--require-hashes'?"]


def test_no_require_hashes_in_a_file(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("--no-require-hashes\nsix==1.16 --hash=sha256:" + "a" * 64 + "\n")
    result = check_requirements_file(str(path))
    inputs = Inputs(result.requirements, (), (result.options,))
    assert wants_hashes(inputs, require_hashes=False, no_require_hashes=False) is False
    with pytest.raises(UsageError, match="mutually exclusive"):
        wants_hashes(inputs, require_hashes=True, no_require_hashes=False)


def test_a_hash_in_a_constraints_file_turns_hash_checking_on(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text("six==1.16 --hash=sha256:" + "a" * 64 + "\n")
    result = check_requirements_file(str(path), constraint=True)
    assert (
        wants_hashes(
            Inputs((), result.constraints, (result.options,)),
            require_hashes=False,
            no_require_hashes=False,
        )
        is True
    )


def test_check_refuses_a_constraint_with_extras(tmp_path: Path) -> None:
    (tmp_path / "c.txt").write_text("requests[socks]==2.31\n")
    (tmp_path / "r.txt").write_text("-c c.txt\nrequests\n")
    from tagpip.requirements.syntax import validate_requirements_file

    for errors in (
        [d for d in validate_requirements_file(str(tmp_path / "r.txt")) if d.severity == "error"],
        list(check_requirements_file(str(tmp_path / "r.txt")).errors),
    ):
        assert [d.message for d in errors] == [
            "a constraint cannot have extras (pip refuses them too)"
        ]


@needs_pip26
def test_include_by_file_url(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("six==1.16\n-r b.txt\n")
    (tmp_path / "sub" / "b.txt").write_text("attrs\n")
    top = tmp_path / "requirements.txt"
    top.write_text(f"-r file://{tmp_path}/sub/a.txt\n")
    assert tagpip_reads(top) == _comparable(pip_reads(top))
    assert [r["req"] for r in tagpip_reads(top)] == ["six==1.16", "attrs"]


def test_include_by_relative_file_url_is_from_the_root(tmp_path: Path) -> None:
    # pip 26 reads -r file:c.txt as /c.txt (requests makes it file:///c.txt); so does tagpip.
    top = tmp_path / "requirements.txt"
    top.write_text("-r file:no-such-dir-xyz/c.txt\n")
    [error] = check_requirements_file(str(top)).errors
    assert error.message.startswith("cannot read requirements file '/no-such-dir-xyz/c.txt'")


@needs_pip26
def test_local_wheel_paths_as_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "x-1.0-py3-none-any.whl").write_bytes(b"")
    top = tmp_path / "requirements.txt"
    top.write_text(
        f"./dist/x-1.0-py3-none-any.whl\n{tmp_path}/dist/x-1.0-py3-none-any.whl\n"
        'dist/x-1.0-py3-none-any.whl; python_version > "3"\n'
    )
    monkeypatch.chdir(tmp_path)  # pip reads a relative path from the working directory
    ours = tagpip_reads(top)
    url = (tmp_path / "dist" / "x-1.0-py3-none-any.whl").as_uri()
    assert [(r["url"], r["marker"]) for r in ours] == [
        (url, None),
        (url, None),
        (url, 'python_version > "3"'),
    ]
    theirs = pip_reads(top)
    assert [(r["url"], r["marker"]) for r in theirs] == [(r["url"], r["marker"]) for r in ours]


def test_check_agrees_with_the_full_parser_on_local_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder or sdist archive is built by the fetching commands (tests/test_sources.py); to
    build it, tagpip needs its name: an archive's NAME-VERSION, a folder's static name. `check`
    reads the name the same way (issue 32.3), so both give the same answer."""
    from tagpip.requirements.syntax import validate_requirements_file

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "pyproject.toml").write_text("")
    (tmp_path / "named").mkdir()
    (tmp_path / "named" / "pyproject.toml").write_text('[project]\nname = "named"\n')
    top = tmp_path / "requirements.txt"
    top.write_text("./pkg\n./y-1.0.tar.gz\n./named\n")
    monkeypatch.chdir(tmp_path)
    checked = check_requirements_file(str(top))
    assert [d.message for d in checked.errors] == [
        "cannot tell the project name of the local folder ./pkg (no [project] name in its "
        "pyproject.toml or setup.cfg, or no NAME-VERSION archive name)",
    ]
    assert validate_requirements_file(str(top)) == checked.diagnostics
    assert [str(r.requirement) for r in checked.requirements] == [
        f"y @ {(tmp_path / 'y-1.0.tar.gz').as_uri()}",
        f"named @ {(tmp_path / 'named').as_uri()}",
    ]


# -- issue 32.3: the remaining corners of pip 26.3's file format ------------------------------


def _pip_accepts_as(path: Path) -> list[tuple[str | None, object, object, object]]:
    """pip's reading, as (project name, URL, marker, hashes) per line."""
    from packaging.requirements import Requirement

    out = []
    for line in pip_reads(path):
        name = Requirement(str(line["req"])).name if line["req"] else None
        out.append((name, line["url"], line["marker"], line["hashes"]))
    return out


def _tagpip_accepts_as(
    path: Path, *, constraint: bool = False
) -> list[tuple[str | None, object, object, object]]:
    result = check_requirements_file(str(path), constraint=constraint)
    assert result.errors == ()
    lines = result.constraints if constraint else result.requirements
    return [
        (line.requirement.name, line.requirement.url, str(line.requirement.marker or "") or None,
         sorted(line.hashes))
        for line in lines
    ]  # fmt: skip


@needs_pip263
@pytest.mark.parametrize(
    "content",
    [
        pytest.param(f"{WHEEL}\n", id="bare-wheel-url"),
        pytest.param(f'{WHEEL} ; python_version > "3"\n', id="bare-url-space-marker"),
        pytest.param(f'{WHEEL}; python_version > "3"\n', id="bare-url-marker"),
        pytest.param("FILE_URL\n", id="absolute-file-url"),
        pytest.param("https://example.com/x-1.0.tar.gz#egg=x\n", id="sdist-egg"),
        pytest.param("git+https://example.com/x.git#egg=x\n", id="vcs-egg"),
        pytest.param(f"{WHEEL}#sha256={'a' * 64}\n", id="bare-wheel-url-digest"),
        pytest.param('./dist/x-1.0-py3-none-any.whl ; python_version > "3"\n', id="path-marker"),
        pytest.param("--all-releases :all:\nsix\n", id="all-releases"),
        pytest.param(f"--no-require-hashes\nsix==1.16 --hash=sha256:{'a' * 64}\n", id="no-rh"),
    ],
)
def test_unnamed_urls_and_paths_as_pip(
    tmp_path: Path, content: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wheel's URL or path alone, with or without a marker: pip names it from the file name."""
    (tmp_path / "dist").mkdir()
    wheel = tmp_path / "dist" / "x-1.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    path = tmp_path / "requirements.txt"
    path.write_text(content.replace("FILE_URL", wheel.as_uri()))
    monkeypatch.chdir(tmp_path)
    assert _tagpip_accepts_as(path) == _pip_accepts_as(path)


@needs_pip26
def test_a_relative_file_url_is_the_path_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``file:./dist/x.whl`` alone: pip keeps the relative URL and opens it from the working
    directory; tagpip reads the same file (as an absolute file URL)."""
    (tmp_path / "dist").mkdir()
    wheel = tmp_path / "dist" / "x-1.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    path = tmp_path / "requirements.txt"
    path.write_text("file:./dist/x-1.0-py3-none-any.whl\n")
    monkeypatch.chdir(tmp_path)
    [(name, url, marker, _)] = _pip_accepts_as(path)
    assert (name, url, marker) == ("x", "file:./dist/x-1.0-py3-none-any.whl", None)
    assert _tagpip_accepts_as(path) == [("x", wheel.as_uri(), None, [])]


@needs_pip26
def test_an_unnamed_constraint_as_pip(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text(f"{WHEEL}\nsix==1.16 --hash=sha256:{'a' * 64}\n")
    done = subprocess.run(
        [sys.executable, "-c", _ORACLE.replace("sys.argv[1], ", "sys.argv[1], constraint=True, "),
         str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    pip = json.loads(done.stdout)
    assert [(r["url"], r["constraint"], r["hashes"]) for r in pip] == [
        (WHEEL, True, []),
        (None, True, [f"sha256:{'a' * 64}"]),
    ]
    assert _tagpip_accepts_as(path, constraint=True) == [
        ("x", WHEEL, None, []),
        ("six", None, None, [f"sha256:{'a' * 64}"]),
    ]


def _pip_fails(path: Path, *, download: bool = False) -> str:
    """pip's own failure on the file: its parser's, or (``download``) its download's."""
    if download:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--isolated", "--no-index", "--no-deps",
             "-r", str(path), "-d", str(path.parent / "out")],
            capture_output=True, text=True, check=False, cwd=path.parent,
        )  # fmt: skip
    else:
        done = subprocess.run(
            [sys.executable, "-c", _ORACLE, str(path)],
            capture_output=True, text=True, check=False, cwd=path.parent,
        )  # fmt: skip
    assert done.returncode != 0
    return done.stderr


@needs_pip26
def test_an_unknown_feature_is_refused_as_pip_refuses_it(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("--use-feature no-such-feature\nsix\n")
    assert "invalid choice: 'no-such-feature'" in _pip_fails(path)
    [error] = check_requirements_file(str(path)).errors
    assert (
        error.message
        == "--use-feature no-such-feature: pip has no such feature (pip refuses it too)"
    )
    assert error.hint == "pip 26.3's features: fast-deps, inprocess-build-deps, venv-isolation"
    path.write_text("--use-feature fast-deps\nsix\n")
    assert check_requirements_file(str(path)).errors == ()


@needs_pip26
@pytest.mark.parametrize(
    "line", ["x @ ./dist/x-1.0-py3-none-any.whl", "proj @ ./proj", "x @ dist/x-1.0.tar.gz"]
)
def test_a_name_at_a_relative_path_is_refused_as_pip_fails_on_it(tmp_path: Path, line: str) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "x-1.0-py3-none-any.whl").write_bytes(b"")
    (tmp_path / "proj").mkdir()
    path = tmp_path / "r.txt"
    path.write_text(line + "\n")
    assert "No scheme supplied" in _pip_fails(path, download=True)
    [error] = check_requirements_file(str(path)).errors
    where = line.partition(" @ ")[2]
    assert error.message == f"'{line}': a path after '@' is not a URL (pip fails on it too)"
    assert error.hint == (
        f"write the path alone ({where}), which pip and tagpip read as a local wheel, archive "
        "or folder, or a file: URL"
    )


def test_a_url_alone_that_names_no_wheel_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("https://example.com/x-1.0.tar.gz\n")
    [error] = check_requirements_file(str(path)).errors
    assert error.message == (
        "https://example.com/x-1.0.tar.gz names no project: pip reads the name of a wheel from "
        "its file name, of a source from its #egg= fragment, and builds anything else to find "
        "it out"
    )
    assert error.hint == "name the project: NAME @ https://example.com/x-1.0.tar.gz"


@needs_pip26
@pytest.mark.parametrize(
    ("lines", "cli_extra"),
    [
        (["--extra-index-url http://127.0.0.1:9/b", "--index-url http://127.0.0.1:9/a"], True),
        (["--index-url http://127.0.0.1:9/a", "--extra-index-url http://127.0.0.1:9/b"], True),
        (["--extra-index-url http://127.0.0.1:9/b"], True),
        (
            [
                "--extra-index-url http://127.0.0.1:9/b",
                "-i http://127.0.0.1:9/a",
                "--extra-index-url http://127.0.0.1:9/c",
            ],
            False,
        ),
    ],
)
def test_the_indexes_of_a_file_as_pip_orders_them(
    tmp_path: Path, lines: list[str], cli_extra: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """An --index-url line replaces the index list, extra indexes written before it (and the
    command line's) included, as pip's handle_option_line does; tagpip says so."""
    import re

    from tagpip.cli import main

    path = tmp_path / "r.txt"
    path.write_text("\n".join(lines) + "\nsix\n")
    extra = ["--extra-index-url", "http://127.0.0.1:9/cli"] if cli_extra else []
    common = ["--isolated", "-i", "http://127.0.0.1:9/cli-index", "-r", str(path), *extra]
    common += ["--retries", "0", "--timeout", "1"]
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", *common, "-d", str(tmp_path / "pip")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    found = re.search(r"Looking in indexes: (.*)", done.stdout + done.stderr)
    assert found is not None
    theirs = set(found.group(1).split(", "))
    main(["download", *common, "-v", "-d", str(tmp_path / "tagpip")])
    err = capsys.readouterr().err
    ours = set(re.findall(r"^index: (\S+)$", err, re.MULTILINE))
    assert ours == theirs
