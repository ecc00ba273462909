"""`tagpip cache` (issue 15, item 4): one place that sweeps older formats and the leftovers of
interrupted runs, and never anything else."""

from __future__ import annotations

import marshal
import os
import tempfile
import time
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip import sealed
from tagpip.cli import main
from tagpip.install.unpacked import LAYOUT

LINUX = ("--python-version", "3.11", "--platform", "manylinux2014_x86_64")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def aged(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


@pytest.fixture
def filled(index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A cache filled by a real download and install; its root (``--cache-dir`` + tagpip)."""
    index_server.add_wheel("app", "1.0", requires_dist=["helper"])
    index_server.add_wheel("helper", "1.0")
    common = ["-i", index_server.url, "--cache-dir", str(tmp_path / "c"), *LINUX]
    assert run(["download", "app", "-d", str(tmp_path / "d"), *common], capsys)[0] == 0
    assert run(["install", "app", "--target", str(tmp_path / "t"), *common], capsys)[0] == 0
    return tmp_path / "c" / "tagpip"


def test_dir_and_info(filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["cache", "dir", "--cache-dir", str(tmp_path / "c")], capsys) == (
        0,
        f"{filled}\n",
        "",
    )
    status, out, _ = run(["cache", "info", "--cache-dir", str(tmp_path / "c")], capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"Cache: {filled}"
    kinds = [line.split()[0] for line in lines[1:-1]]
    assert kinds == ["pages", "metadata", "http", "wheels", "unpacked", "sdists", "built"]
    wheels = next(line for line in lines if line.split()[0] == "wheels")
    assert wheels.split()[1:3] == ["2", "files"]
    assert lines[-1].endswith("tagpip cache prune would free 0 B")


def test_prune_removes_exactly_what_is_stale_and_left_over(
    filled: Path,
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kept_before = sorted(p for p in filled.rglob("*") if p.is_file())
    old_layout = filled / "unpacked" / f"v{LAYOUT - 1}" / "ab" / "entry.json"
    old_layout.parent.mkdir(parents=True)
    old_layout.write_text("{}")
    old_page = filled / "pages" / "00" / ("0" * 64 + ".page")
    sealed.write(old_page, marshal.dumps({"format": -1, "url": "x"}))
    damaged = filled / "metadata" / "00" / ("wheel-" + "0" * 64)
    damaged.parent.mkdir(parents=True, exist_ok=True)
    damaged.write_bytes(b"not sealed")
    # A copy an older tagpip kept: sealed, readable, the unnumbered (bytes, parsed) pair.
    unnumbered = filled / "metadata" / "00" / ("wheel-" + "0" * 63 + "1")
    sealed.write(unnumbered, marshal.dumps((b"Metadata-Version: 2.1\n", {})))
    (filled / "wheels" / ".tagpip-x.part").write_bytes(b"half")
    leftover = aged(filled / "wheels" / ".tagpip-x.part", 7200)
    running = filled / "wheels" / ".tagpip-y.part"  # a run still writing it: too young
    running.write_bytes(b"half")
    sdist_temp = filled / "sdists" / "tmpabc"
    sdist_temp.parent.mkdir()
    sdist_temp.write_bytes(b"half")
    aged(sdist_temp, 7200)
    mine = filled / "mine" / "notes.txt"  # not tagpip's: never removed
    mine.parent.mkdir()
    mine.write_text("keep me")
    temp = tmp_path / "systemp"
    (temp / "tagpip-old").mkdir(parents=True)
    (temp / "tagpip-old" / "x").write_text("x")
    aged(temp / "tagpip-old", 2 * 86400)
    (temp / "tagpip-new").mkdir()
    (temp / "other-old").mkdir()
    aged(temp / "other-old", 2 * 86400)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))

    args = ["cache", "prune", "--cache-dir", str(tmp_path / "c")]
    status, out, _ = run([*args, "--dry-run"], capsys)
    assert status == 0
    assert old_layout.exists()
    expected = [
        f"{filled / 'metadata' / '00' / damaged.name}: a metadata copy of an older format, "
        "or damaged",
        f"{unnumbered}: a metadata copy of an older format, or damaged",
        f"{filled / 'pages' / '00' / old_page.name}: a project page of an older format, or damaged",
        f"{filled / 'sdists' / 'tmpabc'}: left by an interrupted run",
        f"{filled / 'unpacked' / f'v{LAYOUT - 1}'}: unpacked wheels of layout v{LAYOUT - 1}",
        f"{leftover}: left by an interrupted run",
        f"{temp / 'tagpip-old'}: left in the temporary folder by a run",
    ]
    assert sorted(out.splitlines()[:-1]) == sorted(f"would remove {line}" for line in expected)
    assert out.splitlines()[-1].startswith("Would remove 7 stale entries (")

    status, out, _ = run(args, capsys)
    assert status == 0
    assert sorted(out.splitlines()[:-1]) == sorted(f"removed {line}" for line in expected)
    for path in (old_layout.parent.parent, old_page, damaged, unnumbered, leftover, sdist_temp):
        assert not path.exists()
    assert not (temp / "tagpip-old").exists()
    for path in (running, mine, temp / "tagpip-new", temp / "other-old", *kept_before):
        assert path.exists(), path
    assert run(args, capsys)[1] == f"Nothing to prune in {filled}\n"

    # The cache still serves: a second install is placed from it.
    common = ["-i", index_server.url, "--cache-dir", str(tmp_path / "c"), *LINUX]
    assert run(["install", "app", "--target", str(tmp_path / "t2"), *common], capsys)[0] == 0


def test_purge_removes_the_folder(
    filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(["cache", "purge", "--cache-dir", str(tmp_path / "c")], capsys)
    assert status == 0
    assert out.startswith(f"Removed {filled} (")
    assert not filled.exists()
    assert (tmp_path / "c").exists()  # the parent is the user's
