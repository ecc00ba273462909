"""The command-line shell: entry points, help, usage errors, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from tagpip import __version__
from tagpip.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"tagpip {__version__}\n"


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


def test_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tagpip", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout == f"tagpip {__version__}\n"


def test_the_command_leaves_with_its_status(tmp_path: Path) -> None:
    # console(), the entry point of `tagpip` and `python -m tagpip`, exits by itself.
    bad = tmp_path / "bad.txt"
    bad.write_text("requests==2.0[nonsense-tag]\n")
    for argv, status in ((["check", str(bad)], 1), (["tags", "--nonsense"], 2)):
        result = subprocess.run(
            [sys.executable, "-m", "tagpip", *argv], capture_output=True, text=True, check=False
        )
        assert result.returncode == status, result.stderr
        assert "Traceback" not in result.stderr


def test_a_run_collects_garbage_less_often_and_puts_the_thresholds_back(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    import tagpip.cli.entry

    before = gc.get_threshold()
    with pytest.raises(SystemExit):
        main(["--version"])  # argparse leaves by an exception
    assert gc.get_threshold() == before
    seen: list[tuple[int, ...]] = []

    def run(argv: object) -> int:
        seen.append(gc.get_threshold())
        return 0

    monkeypatch.setattr(tagpip.cli.entry, "_main", run)
    assert main([]) == 0
    assert seen == [tagpip.cli.entry._THRESHOLDS]
    assert gc.get_threshold() == before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
@pytest.mark.parametrize(
    ("argv", "environment", "limited"),
    [
        (["lock", "x"], {}, True),
        (["check", "r.txt"], {}, False),
        (["lock"], {"MALLOC_ARENA_MAX": "8"}, False),
    ],
)
def test_tagpip_s_own_process_shares_two_malloc_arenas_between_its_threads(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], environment: dict[str, str], limited: bool
) -> None:
    """glibc's per-thread arenas kept about 40 MB freed by the fetching threads of a large
    lock (docs/performance.md); check starts no threads and stays quick to start, and a
    MALLOC_ARENA_MAX the user set is theirs."""
    import ctypes
    import gc

    import tagpip.cli.entry

    calls: list[tuple[int, int]] = []

    def mallopt(parameter: int, value: int) -> int:
        calls.append((parameter, value))
        return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda name: SimpleNamespace(mallopt=mallopt))
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(sys, "argv", ["tagpip", *argv])
    monkeypatch.setattr(tagpip.cli.entry, "_main", lambda argv: 0)
    threshold = gc.get_threshold()
    try:
        with pytest.raises(SystemExit):
            tagpip.cli.entry.console()
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
    assert calls == ([(tagpip.cli.entry._M_ARENA_MAX, 2)] if limited else [])


# --- issue 32.5: papercuts around targets and options -----------------------------------------


def _status(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        status = main(argv)
    except SystemExit as exit:
        status = int(exit.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def test_why_lists_only_options_that_do_something_there(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """why writes no file: --exists-action is accepted (scripts pass pip's general options) but
    not listed; --progress-bar is, as the resolver's status line."""
    for command in ("why", "matrix"):
        _, out, _ = _status([command, "--help"], capsys)
        assert "--exists-action" not in out
        assert "the resolver's status line" in " ".join(out.split())
    _, out, _ = _status(["download", "--help"], capsys)
    assert "--exists-action" in out


def test_editable_is_refused_saying_the_folder_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = _status(["install", "-e", "./proj", "--target", str(tmp_path)], capsys)
    assert status == 2
    assert (
        "give the folder or URL without -e (tagpip install ./proj --target DIR): tagpip builds "
        "a pure-Python project into a wheel for the target" in err
    )
    requirements = tmp_path / "r.txt"
    requirements.write_text("-e ./proj\n")
    status, out, _ = _status(["check", str(requirements)], capsys)
    assert status == 1
    assert (
        "hint: write the folder or URL alone (./proj): tagpip builds a pure-Python project "
        "into a wheel for the target\n" in out
    )
