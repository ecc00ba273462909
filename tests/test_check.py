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
        "2 files checked: 2 errors, 1 warning\n"
    )


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
