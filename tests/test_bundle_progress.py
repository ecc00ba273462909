"""``tagpip bundle``'s own long phases move as they go (issue 36): compiling bytecode counts the
files the target's interpreter has compiled, and writing the zip counts the files written. A
real bundle against the test index with ``--progress-bar raw``; asserted on the events."""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.bundle import compile_tree, write_zip, zip_time
from tagpip.cli import main

_COUNT = re.compile(r"^status (compiling|zipping): (\d+)/(\d+) files$")
HOST = f"{sys.version_info[0]}.{sys.version_info[1]}"


def counts(err: str, phase: str) -> list[tuple[int, int]]:
    found = []
    for line in err.splitlines():
        match = _COUNT.match(line)
        if match and match.group(1) == phase:
            found.append((int(match.group(2)), int(match.group(3))))
    return found


def moved(seen: list[tuple[int, int]], total: int) -> None:
    """A phase that moved: a fixed total, counts that only grow, in many steps, from the
    start, never past the total."""
    assert {all_ for _, all_ in seen} == {total}
    done = [count for count, _ in seen]
    assert done == sorted(done)
    assert done[0] == 0
    assert len(set(done)) > 20
    assert done[-1] <= total


def test_compiling_counts_the_files_the_interpreter_compiled(tmp_path: Path) -> None:
    for number in range(250):
        (tmp_path / f"m{number}.py").write_text(f"X = {number}\n")
    (tmp_path / "broken.py").write_text("def (:\n")
    texts: list[str] = []
    compiled = compile_tree(tmp_path, sys.executable, "cp", sys.version_info[:2], texts.append)
    assert len(compiled.pycs) == 250
    assert [rel for rel, _ in compiled.failed] == ["broken.py"]
    seen = [
        (int(m.group(2)), int(m.group(3)))
        for m in (_COUNT.match(f"status {text}") for text in texts)
        if m
    ]
    assert len(seen) == len(texts)
    moved(seen, 251)
    assert seen[-1] == (250, 251)  # a hundredth at a time: 2 files a step, the last one left


def test_zipping_counts_the_files_written(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for number in range(300):
        (tree / f"f{number}.txt").write_text("x" * number)
    texts: list[str] = []
    write_zip(tree, tmp_path / "out.zip", zip_time({}), "", texts.append)
    assert len(zipfile.ZipFile(tmp_path / "out.zip").namelist()) == 300
    seen = [(int(m.group(2)), int(m.group(3))) for t in texts if (m := _COUNT.match(f"status {t}"))]
    moved(seen, 300)


def test_a_real_bundle_reports_compiling_and_zipping(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    modules = {f"big/m{number}.py": f"X = {number}\n" for number in range(300)}
    index_server.add_wheel("big", "1.0", extra_files=modules)
    status = main(
        [
            *("bundle", "big", "-o", str(tmp_path / "function.zip"), "-i", index_server.url),
            *("--preset", f"aws-lambda-python{HOST}-x86_64", "--no-cache-dir"),
            *("--compile-python", sys.executable, "--progress-bar", "raw"),
        ]
    )
    _, err = capsys.readouterr()
    assert status == 0, err
    compiling, zipping = counts(err, "compiling"), counts(err, "zipping")
    moved(compiling, 301)  # the 300 modules and big/__init__.py
    moved(zipping, zipping[0][1])
    assert zipping[0][1] > 600  # the sources and their pycs
    lines = err.splitlines()
    assert lines.index("status compiling: 0/301 files") < lines.index(
        f"status zipping: 0/{zipping[0][1]} files"
    )
