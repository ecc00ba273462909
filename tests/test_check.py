"""`tagpip check`: reports, exit codes, JSON, and a light start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tagpip.cli import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        status = main(["check", *args])
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("good.txt").write_text("requests==2.32.3[manylinux_2_28,cp312,x86_64]\nsix\n")
    Path("bad.txt").write_text(
        "cryptography==3.2[manylinux3,cp36,x86_64]\n-r inc.txt\nnumpy[manylinux2014,cp39]\n"
    )
    Path("inc.txt").write_text("attrs==1.0[cp36,cp37]\n")
    Path("warn.txt").write_text("numpy[manylinux2014,cp39]\n")
    return tmp_path


def test_good_file(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["good.txt"], capsys) == (0, "1 file checked: no problems\n", "")


def test_quiet_good_file(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["-q", "good.txt"], capsys) == (0, "", "")


def test_warnings_alone_pass(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["warn.txt"], capsys)
    assert status == 0
    assert out.endswith("1 file checked: 1 warning\n")


def test_bad_file_reports_everything(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["good.txt", "bad.txt"], capsys)
    assert status == 1
    assert err == ""
    assert out == (
        "bad.txt:1:19: unknown tag 'manylinux3'\n"
        "    cryptography==3.2[manylinux3,cp36,x86_64]\n"
        "                      ^^^^^^^^^^\n"
        "hint: did you mean 'manylinux2014'?\n"
        "inc.txt:1:17: two python tags in one block: 'cp36' and 'cp37'\n"
        "    attrs==1.0[cp36,cp37]\n"
        "                    ^^^^\n"
        "hint: a block describes one interpreter; use one python tag\n"
        "bad.txt:3:6: warning: [manylinux2014,cp39] is read as extras (PEP 508), but it looks "
        "like a tag block\n"
        "    numpy[manylinux2014,cp39]\n"
        "         ^^^^^^^^^^^^^^^^^^^^\n"
        "hint: for tags write 'numpy[][manylinux2014,cp39]'\n"
        "3 files checked (good.txt, bad.txt; included: inc.txt): 2 errors, 1 warning\n"
    )


def test_the_summary_counts_and_names_the_files_read(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An error in an included file: the summary counts it and names it (issue 32.5)."""
    Path("top.txt").write_text("-r inc.txt\nsix\n")
    status, out, _ = run(["top.txt"], capsys)
    assert status == 1
    assert out.startswith("inc.txt:1:17: ")
    assert out.endswith("2 files checked (top.txt; included: inc.txt): 1 error\n")
    status, out, _ = run(["top.txt", "inc.txt"], capsys)
    assert out.endswith("2 files checked: 1 error\n")


def test_included_file_named_too_is_reported_once(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(["-q", "bad.txt", "inc.txt"], capsys)
    assert out.count("inc.txt:1:17") == 1


def test_json(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["--format", "json", "bad.txt", "missing.txt"], capsys)
    assert status == 1
    assert json.loads(out) == [
        {
            "file": "bad.txt",
            "line": 1,
            "column": 19,
            "end_column": 29,
            "severity": "error",
            "message": "unknown tag 'manylinux3'",
            "hint": "did you mean 'manylinux2014'?",
        },
        {
            "file": "inc.txt",
            "line": 1,
            "column": 17,
            "end_column": 21,
            "severity": "error",
            "message": "two python tags in one block: 'cp36' and 'cp37'",
            "hint": "a block describes one interpreter; use one python tag",
        },
        {
            "file": "bad.txt",
            "line": 3,
            "column": 6,
            "end_column": 26,
            "severity": "warning",
            "message": "[manylinux2014,cp39] is read as extras (PEP 508), but it looks like a "
            "tag block",
            "hint": "for tags write 'numpy[][manylinux2014,cp39]'",
        },
        {
            "file": "missing.txt",
            "line": None,
            "column": None,
            "end_column": None,
            "severity": "error",
            "message": "cannot read requirements file 'missing.txt': No such file or directory",
            "hint": None,
        },
    ]


def test_missing_file_is_exit_1(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["missing.txt"], capsys) == (
        1,
        "cannot read requirements file 'missing.txt': No such file or directory\n"
        "1 file checked: 1 error\n",
        "",
    )


def test_no_files_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run([], capsys)
    assert (status, out) == (2, "")
    assert err == "error: no files to check\nhint: name one or more requirement files\n"


def test_bad_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(["--format", "xml", "x.txt"], capsys)
    assert status == 2
    assert "invalid choice: 'xml'" in err


def test_examples_pass(capsys: pytest.CaptureFixture[str]) -> None:
    examples = sorted(str(p) for p in (Path(__file__).parent.parent / "examples").glob("*.txt"))
    status, out, _ = run(["-q", *examples], capsys)
    assert (status, out) == (0, "")


def test_check_does_not_import_the_network_stack(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("six==1.0[cp39]\n")
    code = (
        "import sys\n"
        "from tagpip.cli import main\n"
        f"status = main(['check', '-q', {str(path)!r}])\n"
        "heavy = sorted(m for m in ('requests', 'resolvelib', 'urllib3', 'http.client', "
        "'cachecontrol', 'ssl', 'socket') if m in sys.modules)\n"
        "print(status, heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout == "0 []\n"


def _fenced(path: Path, language: str) -> list[str]:
    """The fenced code blocks of one language in a Markdown file."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in path.read_text().splitlines():
        if current is None and line.strip() == f"```{language}":
            current = []
        elif current is not None and line.strip() == "```":
            blocks.append("\n".join(current) + "\n")
            current = None
        elif current is not None:
            current.append(line)
    return blocks


DOCS = Path(__file__).parent.parent / "docs"


def test_docs_requirement_examples_are_valid() -> None:
    from tagpip.requirements.syntax import parse_requirements_text

    blocks = _fenced(DOCS / "syntax.md", "requirements")
    assert len(blocks) == 2
    for block in blocks:
        parse_requirements_text(block, source="docs/syntax.md")


def test_docs_invalid_examples_are_each_an_error() -> None:
    from tagpip.requirements.syntax import check_requirements_text

    (block,) = _fenced(DOCS / "syntax.md", "requirements-invalid")
    result = check_requirements_text(block)
    assert [d.span.line for d in result.errors if d.span] == list(
        range(1, len(block.splitlines()) + 1)
    )


def test_docs_python_example_runs() -> None:
    (code,) = _fenced(DOCS / "syntax.md", "python")
    exec(compile(code, "docs/syntax.md", "exec"), {})


def test_docs_check_transcript(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (DOCS / "check.md").read_text()
    start = text.index("$ tagpip check requirements.txt\n")
    transcript = text[start : text.index("\n```", start)].splitlines()
    expected = "".join(line + "\n" for line in transcript[1:])
    (tmp_path / "requirements.txt").write_text(
        "cryptography==3.2[manylinux3,cp36,x86_64]\nsix\nnumpy[manylinux2014,cp39]\n"
    )
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        status, out, _ = run(["requirements.txt"], capsys)
    finally:
        os.chdir(cwd)
    assert (status, out) == (1, expected)


def test_docs_pre_commit_config_names_the_hook() -> None:
    import yaml  # type: ignore[import-untyped]

    hooks = yaml.safe_load((Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["tagpip-check"]
    for block in _fenced(DOCS / "check.md", "yaml"):
        config = yaml.safe_load(block)
        assert config["repos"][0]["hooks"][0]["id"] == "tagpip-check"
    pattern = hooks[0]["files"]
    import re

    matched = [
        name
        for name in (
            "requirements.txt",
            "requirements-dev.in",
            "sub/requirements.lock",
            "dev/base.in",
            "lambda.lock.txt",
            "MANIFEST.in",
            "notes.txt",
            "setup.py",
        )
        if re.search(pattern, name) and not re.search(hooks[0]["exclude"], name)
    ]
    assert matched == [
        "requirements.txt",
        "requirements-dev.in",
        "sub/requirements.lock",
        "dev/base.in",
        "lambda.lock.txt",
    ]


_PYLOCK = """\
lock-version = "1.0"
created-by = "hand"
requires-python = ">=3.12"

[[packages]]
name = "six"
version = "{version}"
[[packages.wheels]]
url = "https://files.example/six-1.16.0-py2.py3-none-any.whl"
hashes = {{sha256 = "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"}}
"""


def test_a_pylock_file_is_checked_as_a_lock_not_as_requirement_lines(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """PEP 751 names (pylock.toml, pylock.NAME.toml) are read with the lock reader that
    ``install -r`` uses: a good one passes, a bad one gets that reader's message naming the
    package, once, instead of one 'invalid requirement' per TOML line."""
    Path("pylock.toml").write_text(_PYLOCK.format(version="1.16.0"))
    Path("pylock.prod.toml").write_text(_PYLOCK.format(version="one"))
    assert run(["pylock.toml", "good.txt"], capsys) == (0, "2 files checked: no problems\n", "")
    status, out, err = run(["pylock.prod.toml"], capsys)
    assert (status, err) == (1, "")
    assert out.splitlines() == [
        "pylock.prod.toml: package six has no valid version",
        "1 file checked: 1 error",
    ]
    status, out, _ = run(["--format", "json", "pylock.prod.toml"], capsys)
    (entry,) = json.loads(out)
    assert (entry["file"], entry["severity"]) == ("pylock.prod.toml", "error")


def test_a_file_merely_named_like_toml_is_still_a_requirement_file(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only PEP 751's names are locks; pip reads any other name as requirements, and so does
    check."""
    Path("pylock.a.b.toml").write_text("six\n")
    assert run(["pylock.a.b.toml"], capsys) == (0, "1 file checked: no problems\n", "")
