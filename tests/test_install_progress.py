"""Install's progress tells the truth (issue 36): a real ``tagpip install`` against the test
index, with ``--progress-bar raw``, reports each phase that can take a while as it moves (the
cache lookups, checking the wheels, staging file by file, keeping them in the cache, moving into
place), and no count it reports ever goes down. Asserted on the events, never on timings.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main

_INSTALLING = re.compile(
    r"^installing: (\d+)/(\d+) files(?:, (\d+)/(\d+) kept in the cache)? \((.+)\)$"
)
_COUNTED = re.compile(r"^([a-z ]+): (\d+)/(\d+)\b")


def statuses(err: str) -> list[str]:
    """The status texts a raw progress run printed, in order."""
    return [line[len("status ") :] for line in err.splitlines() if line.startswith("status ")]


def counts(texts: list[str], phase: str) -> list[tuple[int, int]]:
    """Each ``phase: DONE/TOTAL ...`` status's count, in order."""
    found = []
    for text in texts:
        match = _COUNTED.match(text)
        if match and match.group(1) == phase:
            found.append((int(match.group(2)), int(match.group(3))))
    return found


@pytest.fixture
def many_files(index_server: IndexServer) -> IndexServer:
    """Two projects of 300 modules each: enough for staging in parallel, small enough to be
    quick."""
    for name in ("big", "bigger"):
        files = {f"{name}/m{number}.py": f"X = {number}\n" for number in range(300)}
        index_server.add_wheel(name, "1.0", extra_files=files)
    index_server.add_wheel("app", "1.0", requires_dist=["big", "bigger"])
    return index_server


def install(
    server: IndexServer, folder: Path, cache: Path, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    status = main(
        [
            *("install", "app", "--target", str(folder), "-i", server.url),
            *("--cache-dir", str(cache), "--progress-bar", "raw"),
        ]
    )
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "Successfully installed" in out
    return statuses(err)


def test_every_install_phase_moves_and_no_count_goes_down(
    many_files: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = install(many_files, tmp_path / "cold", tmp_path / "cache", capsys)

    phases = [text.partition(":")[0] for text in texts]
    order = [
        "looking up unpacked wheels",
        "checking wheels",
        "installing",
        "moving into place",
        "removing the staging folder",
    ]
    firsts = [phases.index(phase) for phase in order]
    assert firsts == sorted(firsts), phases
    assert phases.index("resolving") < firsts[0]

    # One lookup and one check per wheel, counted as they go.
    assert counts(texts, "looking up unpacked wheels") == [(0, 3), (1, 3), (2, 3)]
    assert counts(texts, "checking wheels") == [(0, 3), (1, 3), (2, 3)]

    # Staging: the files placed and kept move in many small steps, not a wheel at a time,
    # never go down, and end at their totals (each wheel's members).
    staged = [_INSTALLING.match(text) for text in texts if text.startswith("installing: ")]
    assert all(staged), texts
    placed = [int(m.group(1)) for m in staged if m]
    kept = [int(m.group(3)) for m in staged if m and m.group(3)]
    total = {int(m.group(2)) for m in staged if m}
    assert len(total) == 1
    (files,) = total
    assert files > 600  # 2 x 300 modules, the dist-info and app's few files
    assert placed == sorted(placed)
    assert kept == sorted(kept)
    assert placed[0] == 0
    assert placed[-1] == files
    assert kept
    assert kept[-1] == files
    assert len(set(placed)) > 20
    assert len(set(kept)) > 20
    assert len(staged) <= 2 * 100 + 3 + 1  # a hundredth at a time, not once per file

    moves = counts(texts, "moving into place")
    assert moves
    assert moves == sorted(moves)
    assert moves[-1][0] == moves[-1][1]


def test_a_warm_install_counts_the_files_it_places_from_the_cache(
    many_files: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    install(many_files, tmp_path / "first", tmp_path / "cache", capsys)
    texts = install(many_files, tmp_path / "second", tmp_path / "cache", capsys)
    staged = [_INSTALLING.match(text) for text in texts if text.startswith("installing: ")]
    assert all(m and m.group(3) is None for m in staged), texts  # nothing left to keep
    placed = [int(m.group(1)) for m in staged if m]
    assert placed == sorted(placed)
    assert len(set(placed)) > 20
    first = staged[0]
    assert first is not None
    assert placed[-1] == int(first.group(2))
