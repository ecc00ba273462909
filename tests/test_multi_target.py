"""``tagpip download`` with several targets (``--preset``/``--target-file`` repeated): each is
resolved, the union of their wheels is downloaded once, against a real index on 127.0.0.1."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main

OLD = ["--platform", "manylinux1_x86_64", "--python-version", "3.6"]
NEW = ["--platform", "manylinux2014_x86_64", "--python-version", "3.12"]


def seed(server: IndexServer) -> None:
    server.add_wheel(
        "app", "1.0", requires_dist=["helper>=1", 'backport>=1; python_version < "3.8"']
    )
    server.add_wheel("helper", "1.0")
    server.add_wheel("helper", "2.0", requires_python=">=3.8")
    server.add_wheel("backport", "1.5")
    server.add_wheel("native", "3.2", tags="cp36-cp36m-manylinux1_x86_64")
    server.add_wheel("native", "3.2", tags="cp312-cp312-manylinux_2_17_x86_64")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Path]:
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    for name, args in (("old", OLD), ("new", NEW)):
        status, out, _ = run(["tags", *args, "--json"], capsys)
        assert status == 0
        (folder / f"{name}.json").write_text(out)
    yield folder
    for handler in list(logging.getLogger("tagpip").handlers):
        logging.getLogger("tagpip").removeHandler(handler)


def download(server: IndexServer, *args: str) -> list[str]:
    return ["download", "-d", "wheels", "-i", server.url, "--no-cache-dir", *args]


TWO = ["--target-file", "old.json", "--target-file", "new.json"]


def test_the_union_of_the_targets_wheels_each_once(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, out, err = run(download(index_server, *TWO, "app==1.0", "native"), capsys)
    # The old target cannot have helper 2.0 (Python >=3.8): said once, for the whole run.
    assert (status, err) == (
        0,
        "note: helper 1.0, not 2.0: 2.0 requires Python >=3.8 "
        "(for CPython 3.6 on manylinux1 x86_64)\n",
    )
    wheels = work / "wheels"
    assert out.splitlines() == [
        f"Saved {Path('wheels') / name}"
        for name in (
            "app-1.0-py3-none-any.whl",
            "backport-1.5-py3-none-any.whl",
            "helper-1.0-py3-none-any.whl",
            "native-3.2-cp36-cp36m-manylinux1_x86_64.whl",
            "helper-2.0-py3-none-any.whl",
            "native-3.2-cp312-cp312-manylinux_2_17_x86_64.whl",
        )
    ] + ["Successfully downloaded app backport helper native"]
    assert sorted(p.name for p in wheels.iterdir()) == [
        "app-1.0-py3-none-any.whl",
        "backport-1.5-py3-none-any.whl",
        "helper-1.0-py3-none-any.whl",
        "helper-2.0-py3-none-any.whl",
        "native-3.2-cp312-cp312-manylinux_2_17_x86_64.whl",
        "native-3.2-cp36-cp36m-manylinux1_x86_64.whl",
    ]


def test_verbose_says_which_target_each_file_is_for(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, _, err = run(download(index_server, *TWO, "-v", "app==1.0"), capsys)
    assert status == 0
    lines = err.splitlines()
    both = "CPython 3.6 on manylinux1 x86_64; CPython 3.12 on manylinux2014 x86_64"
    assert f"app-1.0-py3-none-any.whl: for {both}" in lines
    assert "helper-1.0-py3-none-any.whl: for CPython 3.6 on manylinux1 x86_64" in lines
    assert "helper-2.0-py3-none-any.whl: for CPython 3.12 on manylinux2014 x86_64" in lines
    assert "target: CPython 3.12 on manylinux2014 x86_64" in lines


def test_one_target_given_once_is_unchanged(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, out, err = run(download(index_server, "--target-file", "new.json", "app"), capsys)
    assert (status, err) == (0, "")
    assert out.splitlines()[-1] == "Successfully downloaded app helper"
    assert sorted(p.name for p in (work / "wheels").iterdir()) == [
        "app-1.0-py3-none-any.whl",
        "helper-2.0-py3-none-any.whl",
    ]


def test_the_same_target_twice_is_one_target(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    args = ["--target-file", "new.json", "--target-file", "new.json", "--report", "-", "-q"]
    status, out, err = run(download(index_server, *args, "helper"), capsys)
    assert (status, err) == (0, "")
    assert '"install"' in out


def test_several_targets_refuse_report_and_single_target_flags(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, _, err = run(download(index_server, *TWO, "--report", "r.json", "app"), capsys)
    assert status == 2
    assert err.splitlines() == [
        "error: --report describes one resolution: it cannot be used with several targets",
        "hint: run tagpip download once per target, each with its own --report FILE",
    ]
    status, _, err = run(download(index_server, *TWO, "--python-version", "3.8", "app"), capsys)
    assert status == 2
    assert "describe one target; with several targets, name each" in err
    assert not (work / "wheels").exists()


def test_presets_repeat(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    from tagpip.target.presets import preset_names

    names = [n for n in preset_names() if "x86_64" in n][:2]
    assert len(names) == 2
    args = [word for name in names for word in ("--preset", name)]
    status, _, err = run(download(index_server, *args, "-q", "helper"), capsys)
    assert (status, err) == (0, "")
    assert list((work / "wheels").iterdir())


def test_a_lock_for_several_targets_downloads_the_named_ones(
    index_server: IndexServer, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(index_server)
    status, _, _ = run(
        ["lock", "-o", "lock.txt", "-q", "-i", index_server.url, "--no-cache-dir", *TWO, "app"],
        capsys,
    )
    assert status == 0
    status, _, err = run(
        download(index_server, "-r", "lock.txt", "-q", "--target-file", "new.json"), capsys
    )
    assert (status, err) == (0, "")
    assert sorted(p.name for p in (work / "wheels").iterdir()) == [
        "app-1.0-py3-none-any.whl",
        "helper-2.0-py3-none-any.whl",
    ]
