"""Python-tag words that mean what they say (issue 18, item 6): a version written as a version
suggests CPython's tag, and a ``py312`` block is a Python 3.12 of no particular implementation
that either gets its wheels or says what else it needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(
    ("written", "suggested"),
    [
        ("3.12", "cp312"),
        ("python3.12", "cp312"),
        ("cpython3.9", "cp39"),
        ("cp3.12", "cp312"),
        ("py3.12", "py312"),
        ("3.9", "cp39"),
    ],
)
def test_a_version_written_as_a_version_suggests_its_python_tag(
    tmp_path: Path, written: str, suggested: str, capsys: pytest.CaptureFixture[str]
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"numpy==2.0[manylinux2014,{written},x86_64]\n")
    status, out, _ = run(["check", str(requirements)], capsys)
    assert status == 1
    column = len("numpy==2.0[manylinux2014,") + 1
    assert out.splitlines()[0] == f"{requirements}:1:{column}: unknown tag {written!r}"
    assert f"hint: did you mean {suggested!r}?" in out.splitlines()


def test_a_py312_block_takes_generic_wheels_and_says_what_binary_ones_need(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel(
        "pure",
        "1.0",
        requires_dist=['older; python_version < "3.13"', 'newer; python_version >= "3.13"'],
    )
    index_server.add_wheel("older", "1.0")
    index_server.add_wheel("newer", "1.0")
    index_server.add_wheel("native", "1.0", tags="cp312-cp312-manylinux_2_17_x86_64")
    common = ["download", "-d", str(tmp_path / "d"), "-i", index_server.url, "--no-cache-dir"]

    status, out, err = run([*common, "pure==1.0[py312,manylinux2014,x86_64]"], capsys)
    assert (status, err) == (0, "")
    # Markers see Python 3.12.
    assert out.splitlines()[-1] == "Successfully downloaded older pure"

    status, _, err = run([*common, "native==1.0[py312,manylinux2014,x86_64]"], capsys)
    assert status == 1
    assert err == (
        "error: no wheel of native matching ==1.0 for Python 3.12 on manylinux2014 x86_64 "
        "(required by <command line>:1)\n"
        "  native 1.0 ships cp312 for manylinux2014\n"
        "hint: native's wheels are built for one implementation (cp312), and the target names "
        "none (a py tag or --implementation py): name cp312 instead (-v lists every tag)\n"
    )
    status, _, _ = run([*common, "native==1.0[cp312,manylinux2014,x86_64]"], capsys)
    assert status == 0
