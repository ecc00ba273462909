"""``tagpip download`` end to end, against a real index on 127.0.0.1 serving wheels built here.

The oracle for "the right set for the target" is the target interpreter itself where this machine
has it: CPython 3.6's own pip installs the downloaded folder with ``--no-index`` and evaluates
the markers for itself, so a dependency tagpip missed (or added) shows up there.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main

PY36 = sorted(Path(os.path.expanduser("~/.pyenv/versions")).glob("3.6.*/bin/python"))


def seed(server: IndexServer) -> None:
    """A small world: an app whose dependency only older Pythons need, and a native project."""
    server.add_wheel(
        "app",
        "1.0",
        requires_dist=["helper>=1", 'backport>=1; python_version < "3.8"'],
    )
    server.add_wheel("helper", "1.0")
    server.add_wheel("helper", "2.0", requires_python=">=3.8")
    server.add_wheel("backport", "1.5")
    server.add_wheel("native", "3.2", tags="cp36-cp36m-manylinux1_x86_64")
    server.add_wheel("native", "3.2", tags="cp36-cp36m-manylinux2014_x86_64")
    server.add_wheel("native", "3.2", tags="cp312-cp312-manylinux_2_17_x86_64")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_markers_are_evaluated_for_the_target(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    req = tmp_path / "requirements.txt"
    req.write_text("app==1.0[manylinux1,cp36,x86_64]\nnative==3.2[manylinux1,cp36,x86_64]\n")
    dest = tmp_path / "wheels"
    status, out, err = run(
        ["download", "-r", str(req), "-d", str(dest), "-i", index_server.url, "--no-cache-dir"],
        capsys,
    )
    # The cp36 target cannot have helper 2.0 (Python >=3.8): said in one line.
    assert (status, err) == (0, "note: helper 1.0, not 2.0: 2.0 requires Python >=3.8\n")
    assert files(dest) == [
        "app-1.0-py3-none-any.whl",
        "backport-1.5-py3-none-any.whl",
        "helper-1.0-py3-none-any.whl",
        "native-3.2-cp36-cp36m-manylinux1_x86_64.whl",
    ]
    assert out.splitlines()[-1] == "Successfully downloaded app backport helper native"


def test_a_newer_target_skips_the_backport(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    dest = tmp_path / "wheels"
    status, _, err = run(
        [
            "download",
            "app==1.0",
            "native",
            "-d",
            str(dest),
            "-i",
            index_server.url,
            "--platform",
            "manylinux_2_28_x86_64",
            "--python-version",
            "3.12",
            "--no-cache-dir",
            "-q",
        ],
        capsys,
    )
    assert (status, err) == (0, "")
    assert files(dest) == [
        "app-1.0-py3-none-any.whl",
        "helper-2.0-py3-none-any.whl",
        "native-3.2-cp312-cp312-manylinux_2_17_x86_64.whl",
    ]


def test_wrong_hash_fails_and_leaves_nothing(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    req = tmp_path / "requirements.txt"
    req.write_text(f"helper==1.0[py3] --hash=sha256:{'0' * 64}\n")
    dest = tmp_path / "wheels"
    status, _, err = run(
        [
            "download",
            "-r",
            str(req),
            "-d",
            str(dest),
            "-i",
            index_server.url,
            "--python-version",
            "3.6",
            "--platform",
            "manylinux1_x86_64",
            "--no-cache-dir",
        ],
        capsys,
    )
    assert status == 1
    assert err.startswith(
        "error: helper: hash of helper-1.0-py3-none-any.whl does not match --hash: "
        f"expected sha256:{'0' * 64}, got sha256:"
    )
    assert "Traceback" not in err
    assert files(dest) == []


def test_require_hashes_lists_what_is_missing(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    wheel = index_server.root / "helper-2.0-py3-none-any.whl"
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    req = tmp_path / "requirements.txt"
    req.write_text(f"app==1.0[py3] --hash=sha256:{'1' * 64}\n")
    status, _, err = run(
        [
            "download",
            "-r",
            str(req),
            "-d",
            str(tmp_path / "w"),
            "-i",
            index_server.url,
            "--python-version",
            "3.9",
            "--platform",
            "manylinux2014_x86_64",
            "--no-cache-dir",
        ],
        capsys,
    )
    assert status == 1
    assert f"    helper==2.0 --hash=sha256:{digest}" in err.splitlines()
    assert files(tmp_path / "w") == []


def test_report(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    report = tmp_path / "report.json"
    status, _, _ = run(
        [
            "download",
            "app",
            "-d",
            str(tmp_path / "w"),
            "-i",
            index_server.url,
            "-q",
            "--python-version",
            "3.7",
            "--platform",
            "manylinux2014_x86_64",
            "--no-cache-dir",
            "--report",
            str(report),
        ],
        capsys,
    )
    assert status == 0
    data = json.loads(report.read_text())
    assert data["version"] == "1"
    assert [(i["metadata"]["name"], i["requested"]) for i in data["install"]] == [
        ("app", True),
        ("backport", False),
        ("helper", False),
    ]
    assert data["environment"]["python_version"] == "3.7"
    assert data["install"][0]["download_info"]["archive_info"]["hashes"]["sha256"]
    # helper 2.0 needs Python 3.8: the report says so beside the pin, as the note line does.
    assert [i.get("tagpip_downgrade") for i in data["install"]] == [
        None,
        None,
        {"newest": "2.0", "reason": "2.0 requires Python >=3.8"},
    ]


@pytest.mark.parametrize(
    ("option", "reason"),
    [
        (["--no-build-isolation"], "isolated PEP 517 environments of its own"),
        (["--src", "x"], "editable"),
        (["--group", "dev"], "dependency groups"),
    ],
)
def test_refused_options_are_named(
    option: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["download", "x", *option])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"{option[0]} is not supported" in err
    assert reason in err


def test_syntax_errors_of_every_file_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("requests==2.25.1[manylinux3,cp36]\n")
    b.write_text("ok==1\nbad>=\n")
    status, _, err = run(
        ["download", "-r", str(a), "-r", str(b), "-d", str(tmp_path / "w")], capsys
    )
    assert status == 1
    assert f"{a}:1:" in err
    assert f"{b}:2:" in err
    assert not (tmp_path / "w").exists()


def test_no_wheel_for_target_names_project_and_target(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, _, err = run(
        [
            "download",
            "native",
            "-d",
            str(tmp_path / "w"),
            "-i",
            index_server.url,
            "--python-version",
            "3.9",
            "--platform",
            "manylinux2014_aarch64",
            "--no-cache-dir",
        ],
        capsys,
    )
    assert status == 1
    assert "native" in err
    assert "aarch64" in err
    assert "  native 3.2 ships cp36, cp312 for manylinux1, manylinux2014\n" in err


@pytest.mark.skipif(not PY36, reason="CPython 3.6 is not installed with pyenv")
def test_cpython36_installs_what_tagpip_downloaded(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    dest = tmp_path / "wheels"
    status, _, err = run(
        [
            "download",
            "app==1.0[manylinux1,cp36,x86_64]",
            "native==3.2[manylinux1,cp36,x86_64]",
            "-d",
            str(dest),
            "-i",
            index_server.url,
            "--no-cache-dir",
            "-q",
        ],
        capsys,
    )
    assert (status, err) == (0, "")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    result = subprocess.run(
        [
            str(PY36[-1]),
            "-m",
            "pip",
            "install",
            "--no-index",
            "--find-links",
            str(dest),
            "--target",
            str(tmp_path / "site"),
            "--disable-pip-version-check",
            "app",
            "native",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    installed = sorted(p.name for p in (tmp_path / "site").glob("*.dist-info"))
    assert installed == [
        "app-1.0.dist-info",
        "backport-1.5.dist-info",
        "helper-1.0.dist-info",
        "native-3.2.dist-info",
    ]


@pytest.mark.parametrize(("quiet", "warned"), [((), True), (("-q",), True), (("-qq",), False)])
def test_warnings_survive_one_q_as_in_pip(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    quiet: tuple[str, ...],
    warned: bool,
) -> None:
    # pip: -q drops information and progress, -qq warnings too; a warning is what must be seen.
    index_server.add_wheel("six", "1.0")
    path = tmp_path / "r.txt"
    path.write_text("--use-feature fast-deps\nsix\n")
    dest = tmp_path / "w"
    args = ["download", "-r", str(path), "-d", str(dest), "-i", index_server.url, *quiet]
    status, out, err = run([*args, "--no-cache-dir"], capsys)
    assert status == 0
    assert ("warning: --use-feature fast-deps" in err) is warned
    assert ("Saved" in out + err) is (quiet == ())
