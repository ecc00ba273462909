"""The benchmark harness itself runs (its numbers are read by people, not asserted: the machines
are shared and noisy). The PyPI and mirror sections are exercised only when run by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support.server import IndexServer
from support.wheels import core_metadata

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"


@pytest.mark.slow
def test_the_check_section_prints_its_table() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--sections", "check", "--runs", "1"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "| check, 2000 lines | tagpip check vs python -c pass |" in result.stdout


def test_the_metadata_sizes_script_measures_a_real_index(
    index_server: IndexServer, tmp_path: Path
) -> None:
    """bench/metadata_sizes.py (the measurement behind the caps in docs/reliability.md) runs
    against a real index and prints both tables, largest first."""
    index_server.add_wheel("small", "1.0")
    index_server.add_wheel(
        "large", "2.0", metadata_text=core_metadata("large", "2.0") + "\n" + "x" * 50_000
    )
    index_server.add_sdist("sourceonly", "1.0")
    names = tmp_path / "top.txt"
    names.write_text("small\nlarge\nsourceonly\n")
    result = subprocess.run(
        [
            sys.executable,
            str(BENCH.parent / "metadata_sizes.py"),
            str(names),
            "--index",
            index_server.url,
            "--cache-dir",
            str(tmp_path / "cache"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "2 of 3 projects measured; the largest METADATA:" in result.stdout
    rows = [line for line in result.stdout.splitlines() if line.startswith("| large")]
    assert rows[0].startswith("| large | large-2.0-py3-none-any.whl | 50,")
    assert "3 project pages measured (decoded bytes); the largest:" in result.stdout
    assert "sourceonly (no wheel)" in result.stderr


def test_the_check_bench_times_another_source_tree(tmp_path: Path) -> None:
    """``bench_check.py --against DIR`` (how docs/performance.md, "Start-up", measured each
    start-up measure): a copy of ``src/`` timed against the checkout, here the same code, so the
    harness runs; its ratio is read by people."""
    import shutil

    copy = tmp_path / "src"
    shutil.copytree(BENCH.parent.parent / "src", copy, ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [sys.executable, str(BENCH.parent / "bench_check.py"), "2", "--against", str(copy)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "other / this:" in result.stdout
    assert f"{copy}:" in result.stdout


def test_the_large_set_names_its_sources_and_parses() -> None:
    """bench/large.txt (issue 36's large real set) is requirement lines under a header that
    names each source; several hundred distinct projects, so that its first 100 and 300 lines
    are the subsets the ``large`` section locks."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    text = (BENCH.parent / "large.txt").read_text()
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("github.com/getsentry/sentry" in line for line in header)
    assert any("github.com/zulip/zulip" in line for line in header)
    names = [line for line in text.splitlines() if line and not line.startswith("#")]
    projects = [canonicalize_name(Requirement(line).name) for line in names]
    assert len(projects) == len(set(projects)) >= 300


@pytest.mark.slow
def test_the_large_section_locks_a_names_file_with_both_tools(
    index_server: IndexServer, tmp_path: Path
) -> None:
    """``--sections large`` against a local index and a small names file: both tools lock it
    cold and warm, then its first 1 and 2 names, and the table says how the time grows."""
    index_server.add_wheel("alpha", "1.0", requires_dist=["gamma"])
    index_server.add_wheel("beta", "2.0")
    index_server.add_wheel("gamma", "3.0")
    names = tmp_path / "names.txt"
    names.write_text("# a header\nalpha\nbeta\n")
    result = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--sections",
            "large",
            "--runs",
            "1",
            "--large-file",
            str(names),
            "--large-index",
            index_server.url,
            "--large-sizes",
            "1,2",
            "--cache-dir",
            str(tmp_path / "cache"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "### large real set (names.txt), wheels only" in out
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if line.startswith("| ")}
    for what in ("lock 2 names (cold)", "lock 2 names (warm)", "lock first 1 names (cold)"):
        assert "tagpip lock vs uv pip compile" in rows[what]
    assert "growth 1 -> 2 names (cold)" in rows
