"""The benchmark harness itself runs (its numbers are read by people, not asserted: the machines
are shared and noisy). The PyPI and mirror sections are exercised only when run by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
