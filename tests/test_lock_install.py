"""``tagpip install -r LOCK --target DIR``: exactly the locked files, hash-checked, without
resolving, for the target the lock records (or the one the command line names), against a real
index on 127.0.0.1."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from support.server import IndexServer, Reply
from tagpip.cli import main

CP36 = ["--platform", "manylinux2014_x86_64", "--python-version", "3.6"]
WIN = ["--platform", "win_amd64", "--python-version", "3.11"]


def seed(server: IndexServer) -> None:
    server.add_wheel(
        "app", "1.0", requires_dist=["helper>=1", 'backport>=1; python_version < "3.8"']
    )
    server.add_wheel("helper", "1.0")
    server.add_wheel("helper", "2.0", requires_python=">=3.8")
    server.add_wheel("backport", "1.5")
    server.add_wheel("native", "3.2", tags="cp36-cp36m-manylinux1_x86_64")
    server.add_wheel("native", "3.2", tags="cp311-cp311-win_amd64")
    server.add_wheel(
        "tool",
        "2.0",
        extra_files={
            "tool-2.0.dist-info/entry_points.txt": "[console_scripts]\ntool = tool:main\n"
        },
    )


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def index(server: IndexServer) -> list[str]:
    return ["-i", server.url, "--no-cache-dir"]


def lock(server: IndexServer, capsys: pytest.CaptureFixture[str], output: str, *args: str) -> None:
    status, _, err = run(["lock", "-o", output, "-q", *index(server), *args], capsys)
    assert (status, err) == (0, "")


def tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_a_tagged_lock_installs_for_the_target_it_records(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    lock(index_server, capsys, "lock.txt", *CP36, "app==1.0", "native==3.2", "tool")
    index_server.clear_log()
    status, out, err = run(
        ["install", "-r", "lock.txt", "--target", "deps", *index(index_server)], capsys
    )
    assert (status, err) == (0, "")
    assert out == "Successfully installed app-1.0 backport-1.5 helper-1.0 native-3.2 tool-2.0\n"
    assert "native-3.2.dist-info/WHEEL" in tree(work / "deps")
    wheel = (work / "deps" / "native-3.2.dist-info" / "WHEEL").read_text()
    assert "Tag: cp36-cp36m-manylinux1_x86_64" in wheel
    # The lock's target is Linux CPython 3.6: a POSIX script for python3.
    script = (work / "deps" / "bin" / "tool").read_text()
    assert script.startswith("#!/usr/bin/env python3\n")
    # Nothing was resolved: no metadata was read, only the project pages and the files.
    assert not any(path.endswith(".metadata") for path in index_server.paths())
    # Twice: nothing changes.
    status, out, _ = run(
        ["install", "-r", "lock.txt", "--target", "deps", *index(index_server)], capsys
    )
    assert (status, out) == (
        0,
        "Already installed in deps: app-1.0 backport-1.5 helper-1.0 native-3.2 tool-2.0\n",
    )


def test_a_windows_lock_gets_windows_launchers(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    lock(index_server, capsys, "lock.txt", *WIN, "tool", "native")
    status, _, err = run(
        ["install", "-r", "lock.txt", "--target", "deps", "-q", *index(index_server)], capsys
    )
    assert (status, err) == (0, "")
    assert (work / "deps" / "bin" / "tool.exe").read_bytes()[:2] == b"MZ"
    assert (work / "deps" / "native-3.2.dist-info").is_dir()


def test_a_changed_file_fails_and_leaves_the_folder_alone(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    lock(index_server, capsys, "lock.txt", *CP36, "app==1.0")
    helper = "helper-1.0-py3-none-any.whl"
    index_server.overrides[f"/files/{helper}"] = lambda r: Reply(
        200, b"not the wheel", {"Content-Type": "application/octet-stream"}
    )
    status, out, err = run(
        ["install", "-r", "lock.txt", "--target", "deps", *index(index_server)], capsys
    )
    assert (status, out) == (1, "")
    assert f"helper: hash of {helper} does not match" in err
    assert not (work / "deps").exists()


def test_several_sections_need_the_target(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    for name, args in (("old", ["--platform", "manylinux1_x86_64", "--python-version", "3.6"]),
                       ("win", WIN)):  # fmt: skip
        status, out, _ = run(["tags", *args, "--json"], capsys)
        assert status == 0
        (work / f"{name}.json").write_text(out)
    lock(
        index_server,
        capsys,
        "lock.txt",
        "--target-file",
        "old.json",
        "--target-file",
        "win.json",
        "native",
        "tool",
    )
    status, _, err = run(
        ["install", "-r", "lock.txt", "--target", "deps", *index(index_server)], capsys
    )
    assert status == 1
    assert err.splitlines() == [
        "error: lock.txt locks several targets (CPython 3.6 on manylinux1 x86_64; CPython 3.11 "
        "on win_amd64): say which one",
        "hint: give the target with --preset, --target-file, --from-python, or --platform and "
        "--python-version",
    ]
    assert not (work / "deps").exists()
    status, _, err = run(
        [
            "install",
            "-r",
            "lock.txt",
            "--target",
            "deps",
            "-q",
            "--target-file",
            "win.json",
            *index(index_server),
        ],
        capsys,
    )
    assert (status, err) == (0, "")
    assert (work / "deps" / "bin" / "tool.exe").exists()
    assert (
        "Tag: cp311-cp311-win_amd64"
        in (work / "deps" / "native-3.2.dist-info" / "WHEEL").read_text()
    )


def test_a_lock_without_tag_blocks_needs_the_target(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    digest = hashlib.sha256((index_server.root / "helper-1.0-py3-none-any.whl").read_bytes())
    (work / "lock.txt").write_text(
        "# tagpip-lock: 1\n\n# target: hand-written\n"
        f"helper==1.0 --hash=sha256:{digest.hexdigest()}\n"
    )
    status, _, err = run(
        ["install", "-r", "lock.txt", "--target", "deps", *index(index_server)], capsys
    )
    assert status == 1
    assert err.startswith("error: the tag blocks of lock.txt do not describe a whole target\n")
    status, out, err = run(
        ["install", "-r", "lock.txt", "--target", "deps", *CP36, *index(index_server)], capsys
    )
    assert (status, out, err) == (0, "Successfully installed helper-1.0\n", "")


def test_a_pylock_installs_for_the_given_target(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    lock(index_server, capsys, "pylock.toml", *CP36, "app==1.0", "native")
    status, _, err = run(
        ["install", "-r", "pylock.toml", "--target", "deps", *index(index_server)], capsys
    )
    assert status == 1
    assert err.startswith(
        "error: pylock.toml does not record its target's platform tags (a pylock.toml has "
        "markers only)\n"
    )
    status, out, err = run(
        ["install", "-r", "pylock.toml", "--target", "deps", *CP36, *index(index_server)], capsys
    )
    assert (status, err) == (0, "")
    assert out == "Successfully installed app-1.0 backport-1.5 helper-1.0 native-3.2\n"


def test_download_and_install_read_a_lock_the_same_way(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    lock(index_server, capsys, "lock.txt", *CP36, "app==1.0", "native")
    status, _, _ = run(
        ["download", "-r", "lock.txt", "-d", "wheels", "-q", *index(index_server)], capsys
    )
    assert status == 0
    status, _, _ = run(
        ["install", "-r", "lock.txt", "--target", "deps", "-q", *index(index_server)], capsys
    )
    assert status == 0
    installed = sorted(p.name for p in (work / "deps").glob("*.dist-info"))
    downloaded = sorted(p.name for p in (work / "wheels").iterdir())
    assert [name.split("-")[0] for name in downloaded] == [name.split("-")[0] for name in installed]


def test_a_lock_takes_no_other_inputs(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    lock(index_server, capsys, "lock.txt", *CP36, "helper")
    for extra in (["app"], ["--no-deps"], ["--report", "r.json"]):
        status, _, err = run(
            ["install", "-r", "lock.txt", "--target", "deps", *extra, *index(index_server)],
            capsys,
        )
        assert status == 2, err
    assert not (work / "deps").exists()
