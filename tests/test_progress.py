"""Progress on a terminal (issue 18, item 5): phases drawn by rich, lines that fit the terminal's
width, and nothing at all under ``-q``, ``--progress-bar off`` or when stderr is not a terminal."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

from support.server import IndexServer
from tagpip.cli import main
from tagpip.cli.progress import Progress
from tagpip.download.downloader import ProgressEvent

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def drawn_lines(text: str) -> list[str]:
    """The lines a terminal showed, one per redraw, without escape codes."""
    plain = _ANSI.sub("", text)
    return [line for line in re.split(r"[\r\n]", plain) if line.strip()]


def a_run(progress: Progress) -> None:
    """What a download run reports: resolving, two files (one of unknown size), installing.
    Back to back: a phase and a finished file are drawn when they are reported, not at a
    refresh tick, so what the tests below see does not depend on timing."""
    progress.status("resolving: requests[socks]")
    progress.expect(2)
    progress(ProgressEvent("start", "a-1.0-py3-none-any.whl", 4_000_000, 0))
    progress(ProgressEvent("advance", "a-1.0-py3-none-any.whl", 4_000_000, 2_000_000))
    progress(ProgressEvent("done", "a-1.0-py3-none-any.whl", 4_000_000, 4_000_000))
    progress(ProgressEvent("start", "b-1.0-py3-none-any.whl", None, 0))
    progress(ProgressEvent("done", "b-1.0-py3-none-any.whl", 100, 100))
    progress.status("installing a (1/2)")
    progress.close()


@pytest.mark.parametrize("width", [24, 40, 80])
def test_every_line_fits_the_terminal_and_shows_each_phase(
    width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    stream = io.StringIO()
    a_run(Progress("on", 0, stream))
    lines = drawn_lines(stream.getvalue())
    assert lines
    assert max(len(line) for line in lines) <= width
    shown = "\n".join(lines)
    assert "resolving: req" in shown
    assert "downloadi" in shown
    assert "installing a" in shown
    if width >= 40:
        assert "downloading 1/2 files" in shown  # a finished file is drawn at once
        assert "MB" in shown
    # Erased at the end: the last thing written clears the line.
    assert stream.getvalue().endswith("\x1b[2K")


@pytest.mark.parametrize(("mode", "quiet"), [("auto", 0), ("on", 1), ("off", 0), ("raw", 1)])
def test_nothing_is_drawn_unless_wanted(mode: str, quiet: int) -> None:
    stream = io.StringIO()  # not a terminal
    a_run(Progress(mode, quiet, stream))
    assert stream.getvalue() == ""


def test_raw_progress_is_one_line_per_event() -> None:
    stream = io.StringIO()
    a_run(Progress("raw", 0, stream))
    assert stream.getvalue().splitlines() == [
        "status resolving: requests[socks]",
        "start a-1.0-py3-none-any.whl 0 4000000",
        "advance a-1.0-py3-none-any.whl 2000000 4000000",
        "done a-1.0-py3-none-any.whl 4000000 4000000",
        "start b-1.0-py3-none-any.whl 0 ",
        "done b-1.0-py3-none-any.whl 100 100",
        "status installing a (1/2)",
    ]


def test_without_rich_one_plain_line_is_redrawn(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "rich" or m.startswith("rich.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "rich", None)  # import rich raises ImportError
    stream = io.StringIO()
    a_run(Progress("on", 0, stream))
    text = stream.getvalue()
    assert "\x1b" not in text
    assert "resolving: requests[socks]" in text
    assert text.endswith("\r")


def test_a_real_download_with_progress_on(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add_wheel("app", "1.0", requires_dist=["helper"])
    index_server.add_wheel("helper", "1.0")
    status = main(
        [
            *("download", "app", "-d", str(tmp_path / "d"), "-i", index_server.url),
            *("--no-cache-dir", "--progress-bar", "on"),
        ]
    )
    out, err = capsys.readouterr()
    assert status == 0
    assert out.splitlines() == [
        f"Saved {tmp_path / 'd' / 'app-1.0-py3-none-any.whl'}",
        f"Saved {tmp_path / 'd' / 'helper-1.0-py3-none-any.whl'}",
        "Successfully downloaded app helper",
    ]
    shown = "\n".join(drawn_lines(err))
    assert "downloading" in shown
    assert err.endswith("\x1b[2K")  # nothing left on the line
