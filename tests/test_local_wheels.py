"""Local wheel paths on a requirement line, end to end (issue 16.6).

``./dist/x-1.0-py3-none-any.whl`` (relative: the working directory as pip and uv read it, else
the file's own folder, said in one line) and ``x @ file:///abs/x.whl`` are direct references:
checked against the target with a message naming the line and the target, fetched by
``download -d`` with any ``--hash`` checked, installed by ``install --target``, and recorded by
``lock``: the tagged lock keeps the file's URL in a ``# wheel:`` comment under the line (no
index has it), pylock.toml as the wheel's ``path``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from support.wheels import build_wheel
from tagpip.cli import main
from tagpip.requirements.syntax import check_requirements_file


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with dist/x-1.0-py3-none-any.whl and a native wheel; the working
    directory is the project."""
    root = tmp_path / "proj"
    (root / "dist").mkdir(parents=True)
    build_wheel(root / "dist", "x", "1.0")
    build_wheel(root / "dist", "y", "1.0", tags="cp39-cp39-manylinux2014_x86_64")
    monkeypatch.chdir(root)
    return root


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


WHEEL = "dist/x-1.0-py3-none-any.whl"
TARGET = ["--platform", "manylinux2014_x86_64", "--python-version", "3.9"]


@pytest.mark.parametrize("spelling", ["./" + WHEEL, "x @ {uri}"])
def test_download_gets_the_local_wheel(
    project: Path, spelling: str, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("requirements.txt").write_text(
        spelling.format(uri=(project / WHEEL).as_uri()) + "\n", encoding="utf-8"
    )
    status = main(["download", "-r", "requirements.txt", "-d", "out", "--no-index", *TARGET])
    assert status == 0, capsys.readouterr().err
    assert (project / "out" / "x-1.0-py3-none-any.whl").read_bytes() == (
        project / WHEEL
    ).read_bytes()


def test_download_checks_the_hash(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _sha256(project / WHEEL)
    Path("requirements.txt").write_text(f"./{WHEEL} --hash=sha256:{good}\n")
    assert main(["download", "-r", "requirements.txt", "-d", "out", "--no-index"]) == 0
    capsys.readouterr()
    Path("requirements.txt").write_text(f"./{WHEEL} --hash=sha256:{'0' * 64}\n")
    assert main(["download", "-r", "requirements.txt", "-d", "out2", "--no-index"]) == 1
    err = capsys.readouterr().err
    assert (
        "error: x: hash of x-1.0-py3-none-any.whl does not match --hash: "
        f"expected sha256:{'0' * 64}, got sha256:{good}" in err
    )
    assert not (project / "out2" / "x-1.0-py3-none-any.whl").exists()


def test_a_wheel_the_target_cannot_run_is_refused_naming_line_and_target(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("requirements.txt").write_text(
        f"./{WHEEL}\n./dist/y-1.0-cp39-cp39-manylinux2014_x86_64.whl\n"
    )
    status = main(
        [
            *("download", "-r", "requirements.txt", "-d", "out", "--no-index"),
            *("--platform", "win_amd64", "--python-version", "3.9"),
        ]
    )
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith(
        "requirements.txt:2:1: the wheel y-1.0-cp39-cp39-manylinux2014_x86_64.whl is for "
        "cp39-cp39-manylinux2014_x86_64, which CPython 3.9 on win_amd64 cannot run\n"
    ), err
    assert "hint: name a wheel built for this target" in err
    assert not (project / "out").exists()


def test_install_target(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("requirements.txt").write_text(f"./{WHEEL}\n")
    status = main(["install", "-r", "requirements.txt", "--target", "deps", "--no-index", *TARGET])
    assert status == 0, capsys.readouterr().err
    assert (project / "deps" / "x-1.0.dist-info" / "METADATA").is_file()


def test_tagged_lock_records_the_file_and_installs_from_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("requirements.txt").write_text(f"./{WHEEL}\n")
    assert main(["lock", "-r", "requirements.txt", "-o", "lock.txt", "--no-index", *TARGET]) == 0
    digest = _sha256(project / WHEEL)
    uri = (project / WHEEL).as_uri()
    body = Path("lock.txt").read_text().split("# tagpip-lock: 1\n", 1)[1]
    assert body == (
        "\n"
        "# target: CPython 3.9 on manylinux2014 x86_64\n"
        f"x==1.0[manylinux_2_17_x86_64,cp39] --hash=sha256:{digest}\n"
        f"    # wheel: x-1.0-py3-none-any.whl {uri}\n"
        "    # via requirements.txt:1\n"
    )
    capsys.readouterr()
    # The lock alone, with no index, installs the recorded file, checked against its hash.
    assert main(["install", "-r", "lock.txt", "--target", "deps", "--no-index"]) == 0
    assert (project / "deps" / "x-1.0.dist-info").is_dir()
    (project / WHEEL).write_bytes((project / WHEEL).read_bytes() + b"changed")
    status = main(
        ["install", "-r", "lock.txt", "--target", "deps2", "--no-index", "--no-cache-dir"]
    )
    assert status == 1
    assert "does not match --hash" in capsys.readouterr().err
    assert not (project / "deps2" / "x-1.0.dist-info").exists()


def test_pylock_records_the_path(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("requirements.txt").write_text(f"./{WHEEL}\n")
    assert main(["lock", "-r", "requirements.txt", "-o", "pylock.toml", "--no-index", *TARGET]) == 0
    text = Path("pylock.toml").read_text()
    assert f'path = "{project / WHEEL}"' in text
    assert f'sha256 = "{_sha256(project / WHEEL)}"' in text
    capsys.readouterr()
    status = main(["install", "-r", "pylock.toml", "--target", "deps", "--no-index", *TARGET])
    assert status == 0, capsys.readouterr().err
    assert (project / "deps" / "x-1.0.dist-info").is_dir()


def test_a_lock_wheel_comment_must_name_the_pinned_wheel(project: Path) -> None:
    from tagpip.lock.files import LockError, parse_tagged

    text = (
        "# tagpip-lock: 1\n# target: CPython 3.9 on manylinux2014_x86_64\n"
        f"x==2.0[manylinux2014_x86_64,cp39] --hash=sha256:{'a' * 64}\n"
        f"    # wheel: x-1.0-py3-none-any.whl {(project / WHEEL).as_uri()}\n"
    )
    with pytest.raises(LockError, match=r"the wheel x-1\.0-py3-none-any\.whl is not x 2\.0"):
        parse_tagged(text, source="lock.txt")


def test_relative_to_the_file_when_the_working_directory_has_none(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "requirements.txt").write_text(f"./{WHEEL}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = check_requirements_file(str(project / "requirements.txt"))
    assert [r.requirement.url for r in result.requirements] == [(project / WHEEL).as_uri()]
    assert [(d.severity, d.message) for d in result.diagnostics] == [
        (
            "warning",
            f"./{WHEEL} is read relative to the file ({project / WHEEL}): pip and uv read it "
            "from the working directory, where there is no x-1.0-py3-none-any.whl",
        )
    ]


def test_the_working_directory_wins_as_in_pip(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "requirements.txt").write_text(f"./{WHEEL}\n")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "dist").mkdir(parents=True)
    build_wheel(elsewhere / "dist", "x", "1.0")
    monkeypatch.chdir(elsewhere)
    result = check_requirements_file(str(project / "requirements.txt"))
    assert [r.requirement.url for r in result.requirements] == [(elsewhere / WHEEL).as_uri()]
    [warning] = result.diagnostics
    assert warning.message == (
        f"./{WHEEL} is read from the working directory ({elsewhere / WHEEL}), as pip reads "
        f"it; {project / WHEEL}, next to the file, is not used"
    )


def test_same_place_says_nothing(project: Path) -> None:
    Path("requirements.txt").write_text(f"./{WHEEL}\n{project / WHEEL}\n")
    result = check_requirements_file("requirements.txt")
    assert result.diagnostics == ()
    assert len(result.requirements) == 2
