"""``tagpip bundle``: a deployable zip (or folder) for a target, byte-identical from the same
inputs, laid out as Lambda expects, checked against the target's size limits.

The wheels come from a real index on 127.0.0.1; the zip is read back with ``zipfile`` and, where
pyenv has CPython 3.12, imported by that interpreter from the unzipped folder.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip import limits
from tagpip.cli import main

PRESET = ["--preset", "aws-lambda-python3.12-x86_64"]
PYENV = Path(os.path.expanduser("~/.pyenv/versions"))


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def seed(server: IndexServer) -> None:
    server.add_wheel(
        "app-lib",
        "1.0",
        requires_dist=["helper>=1"],
        extra_files={
            "app_lib/core.py": "from helper.value import VALUE\n",
            "app_lib/tests/__init__.py": "",
            "app_lib/tests/test_it.py": "def test(): pass\n",
            "app_lib/core.pyi": "VALUE: int\n",
        },
    )
    server.add_wheel("helper", "2.0", extra_files={"helper/value.py": "VALUE = 42\n"})


def bundle(
    server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *extra: str,
    output: str = "function.zip",
) -> tuple[int, str, str]:
    return run(
        [
            "bundle",
            "app-lib",
            "-o",
            str(tmp_path / output),
            *PRESET,
            "-i",
            server.url,
            "--cache-dir",
            str(tmp_path / "cache"),
            *extra,
        ],
        capsys,
    )


def names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def test_the_same_inputs_give_the_same_bytes(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(index_server)
    src = tmp_path / "src"
    src.mkdir()
    (src / "handler.py").write_text("import app_lib\n\ndef handler(e, c):\n    return 1\n")
    status, _, err = bundle(index_server, tmp_path, capsys, "--add", f"{src}/")
    assert status == 0, err
    first = (tmp_path / "function.zip").read_bytes()
    (tmp_path / "function.zip").unlink()
    status, _, err = bundle(index_server, tmp_path, capsys, "--add", f"{src}/")
    assert status == 0, err
    assert (tmp_path / "function.zip").read_bytes() == first
    listed = names(tmp_path / "function.zip")
    assert listed == sorted(listed)
    assert "handler.py" in listed
    assert "app_lib/__init__.py" in listed
    assert "helper/__init__.py" in listed
    with zipfile.ZipFile(tmp_path / "function.zip") as archive:
        stamps = {info.date_time for info in archive.infolist()}
    assert stamps == {(1980, 1, 1, 0, 0, 0)}
    # SOURCE_DATE_EPOCH sets the one timestamp (2021-01-01T00:00:00Z).
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1609459200")
    status, _, err = bundle(index_server, tmp_path, capsys, output="dated.zip")
    assert status == 0, err
    with zipfile.ZipFile(tmp_path / "dated.zip") as archive:
        stamps = {info.date_time for info in archive.infolist()}
    assert stamps == {(2021, 1, 1, 0, 0, 0)}


def test_a_layer_puts_everything_under_python(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, _, err = bundle(index_server, tmp_path, capsys, "--layer")
    assert status == 0, err
    assert all(name.startswith("python/") for name in names(tmp_path / "function.zip"))


def test_slim_drops_tests_and_stubs_but_never_metadata(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, _, err = bundle(index_server, tmp_path, capsys, "--slim")
    assert status == 0, err
    listed = names(tmp_path / "function.zip")
    assert "app_lib/__init__.py" in listed
    assert not [n for n in listed if "/tests/" in n or n.endswith(".pyi")]
    assert any(n.startswith("app_lib-1.0.dist-info/") for n in listed)
    assert any(n.endswith(".dist-info/METADATA") for n in listed)


def test_over_the_targets_limit_is_an_error_unless_told(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(index_server)
    tiny = {
        key: dataclasses.replace(value, unzipped=10, zipped=10)
        for key, value in limits.LIMITS.items()
    }
    monkeypatch.setattr(limits, "LIMITS", tiny)
    status, _, err = bundle(index_server, tmp_path, capsys)
    assert status == 1
    assert "error:" in err
    assert "Traceback" not in err
    assert not (tmp_path / "function.zip").exists()
    status, _, err = bundle(index_server, tmp_path, capsys, "--no-size-check")
    assert status == 0, err
    assert (tmp_path / "function.zip").exists()


def test_a_folder_that_is_not_empty_is_refused_by_name(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    out = tmp_path / "site"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    status, _, err = bundle(index_server, tmp_path, capsys, "--dir", output="site")
    assert status == 1
    assert str(out) in err
    assert (out / "keep.txt").read_text() == "mine"
    status, _, err = bundle(index_server, tmp_path, capsys, "--dir", output="fresh")
    assert status == 0, err
    assert (tmp_path / "fresh" / "helper" / "__init__.py").is_file()


def test_a_pth_file_is_warned_about(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("app-lib", "1.0", extra_files={"app_lib.pth": "import os\n"})
    status, _, err = bundle(index_server, tmp_path, capsys)
    assert status == 0, err
    assert "app_lib.pth" in err


@pytest.mark.skipif(not sorted(PYENV.glob("3.12.*/bin/python")), reason="no pyenv CPython 3.12")
def test_the_unzipped_bundle_imports_in_the_targets_python(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, _, err = bundle(index_server, tmp_path, capsys)
    assert status == 0, err
    task = tmp_path / "task"
    with zipfile.ZipFile(tmp_path / "function.zip") as archive:
        archive.extractall(task)
    python = sorted(PYENV.glob("3.12.*/bin/python"))[-1]
    result = subprocess.run(
        [
            str(python),
            "-I",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "import app_lib.core; print(app_lib.core.VALUE)",
            str(task),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "42"), result.stderr
