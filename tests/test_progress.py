"""Progress on a terminal (issue 18, item 5): phases drawn by rich, lines that fit the terminal's
width, and nothing at all under ``-q``, ``--progress-bar off`` or when stderr is not a terminal."""

from __future__ import annotations

import io
import random
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


# -- issue 36: a total never shrinks what was done, and a time left only when it is honest ------

GB = 1_000_000_000


class _Terminal(io.StringIO):
    """A stream that says it is a terminal, as a user's stderr does."""

    def isatty(self) -> bool:
        return True


class _Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


_SHOWN_FRACTION = re.compile(r"downloading \d+/\d+ files, ([\d.]+)/([\d.]+) (GB|MB|kB|B)\b")


def shown_fractions(text: str) -> list[float]:
    """The fraction done of each drawn download line that shows one (``1.2/3.2 GB``)."""
    found = []
    for line in drawn_lines(text):
        match = _SHOWN_FRACTION.search(line)
        if match:
            found.append(float(match.group(1)) / float(match.group(2)))
    return found


def a_growing_download(progress: Progress, clock: _Clock) -> list[float | None]:
    """The new user's run: 2.4 GB of sizes known up front, two files whose size the index did
    not give (0.8 GB between them, found as they finish), some bytes from a cache; each
    state's fraction done, as the bar draws it (None: pulsing, no fraction)."""
    sizes: dict[str, int | None] = {"a.whl": int(1.4 * GB), "b.whl": GB, "c.whl": None}
    sizes["d.whl"] = None
    progress.expect(4, sizes)
    fractions = [progress.downloading().fraction]

    def event(kind: str, name: str, total: int | None, done: int, reused: bool = False) -> None:
        progress(ProgressEvent(kind, name, total, done, reused))  # type: ignore[arg-type]
        fractions.append(progress.downloading().fraction)

    event("done", "b.whl", GB, GB, reused=True)  # from the wheel cache, at once
    event("start", "a.whl", int(1.4 * GB), 0)
    event("start", "c.whl", None, 0)
    for step in range(1, 8):
        clock.now += 1
        event("advance", "a.whl", int(1.4 * GB), step * 200_000_000)
        event("advance", "c.whl", None, step * 50_000_000)
    event("done", "a.whl", int(1.4 * GB), int(1.4 * GB))
    event("done", "c.whl", None, 350_000_000)
    event("start", "d.whl", None, 0)
    clock.now += 1
    event("advance", "d.whl", None, 450_000_000)
    event("done", "d.whl", None, 450_000_000)
    return fractions


def test_the_fraction_done_never_falls_when_the_total_grows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    clock = _Clock()
    stream = _Terminal()
    progress = Progress("auto", 0, stream, clock=clock)
    fractions = a_growing_download(progress, clock)
    progress.close()
    # No fraction at all while a size is unknown: the total only grew (2.4 -> 3.2 GB).
    assert fractions[:-1] == [None] * (len(fractions) - 1)
    assert fractions[-1] == 1.0
    state = progress.downloading()
    assert (state.files_done, state.files_total, state.done, state.total) == (
        4,
        4,
        3.2 * GB,
        3.2 * GB,
    )
    # What the terminal showed: "of at least" while growing, a real total once known, and
    # never a drawn fraction that is smaller than one drawn before it.
    text = drawn_lines(stream.getvalue())
    assert any("of at least" in line for line in text)
    drawn = shown_fractions(stream.getvalue())
    assert drawn
    assert drawn == sorted(drawn)


def test_with_every_size_known_the_bar_fills_and_never_falls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    clock = _Clock()
    stream = _Terminal()
    progress = Progress("auto", 0, stream, clock=clock)
    progress.expect(3, {"a.whl": 2 * GB, "b.whl": GB, "c.whl": 200_000_000})
    seen = [progress.downloading().fraction]
    progress(ProgressEvent("done", "c.whl", 200_000_000, 200_000_000, reused=True))
    seen.append(progress.downloading().fraction)
    for name, size in (("a.whl", 2 * GB), ("b.whl", GB)):
        progress(ProgressEvent("start", name, size, 0))
        for part in range(1, 11):
            clock.now += 0.5
            progress(ProgressEvent("advance", name, size, size * part // 10))
            seen.append(progress.downloading().fraction)
        progress(ProgressEvent("done", name, size, size))
        seen.append(progress.downloading().fraction)
    progress.close()
    fractions = [fraction for fraction in seen if fraction is not None]
    assert fractions == seen  # known from the start: the index gave every size
    assert fractions == sorted(fractions)
    assert seen[0] == 0.0
    assert seen[-1] == 1.0
    drawn = shown_fractions(stream.getvalue())
    assert drawn
    assert drawn == sorted(drawn)
    assert any("3.2/3.2 GB" in line for line in drawn_lines(stream.getvalue()))


def test_a_time_left_appears_only_once_it_is_honest() -> None:
    clock = _Clock()
    progress = Progress("on", 0, _Terminal(), clock=clock)
    progress.expect(2, {"a.whl": GB, "b.whl": None})
    # Long enough and many bytes, but b's size is unknown: no time left, no fraction.
    progress(ProgressEvent("start", "a.whl", GB, 0))
    progress(ProgressEvent("start", "b.whl", None, 0))
    for part in range(1, 6):
        clock.now += 2
        progress(ProgressEvent("advance", "a.whl", GB, part * 100_000_000))
        state = progress.downloading()
        assert state.left is None
        assert state.total is None
        assert "left" not in state.text()
        assert "of at least" in state.text()
    # b finishes: every size is known, the speed was measured long enough: a time left.
    progress(ProgressEvent("done", "b.whl", None, 10_000_000))
    state = progress.downloading()
    assert state.total == GB + 10_000_000
    assert state.left is not None
    assert state.speed is not None
    assert state.left == pytest.approx((state.total - state.done) / state.speed)
    assert state.text().endswith(" left")
    progress.close()


def test_no_time_left_from_a_first_burst_or_from_a_cache() -> None:
    clock = _Clock()
    progress = Progress("on", 0, _Terminal(), clock=clock)
    progress.expect(2, {"a.whl": GB, "b.whl": GB})
    # A gigabyte from the cache moves no bytes over the network: no speed, no time left.
    progress(ProgressEvent("done", "b.whl", GB, GB, reused=True))
    clock.now += 10
    assert progress.downloading().speed is None
    assert progress.downloading().left is None
    progress(ProgressEvent("start", "a.whl", GB, 0))
    clock.now += 0.5
    progress(ProgressEvent("advance", "a.whl", GB, 100_000_000))
    state = progress.downloading()
    assert (state.speed, state.left) == (None, None)  # half a second: too soon to say
    clock.now += 1.5
    progress(ProgressEvent("advance", "a.whl", GB, 150_000_000))
    state = progress.downloading()
    assert state.speed == pytest.approx(75_000_000)  # the network's bytes only
    assert state.left is None  # two seconds: a speed, not yet a promise
    clock.now += 2
    progress(ProgressEvent("advance", "a.whl", GB, 400_000_000))
    state = progress.downloading()
    assert state.speed is not None
    assert state.left == pytest.approx((2 * GB - state.done) / state.speed)
    assert state.text() == "downloading 1/2 files, 1.4/2.0 GB, 100.0 MB/s, 0:06 left"
    progress.close()


@pytest.mark.parametrize("seed", range(20))
def test_in_any_order_of_events_the_fraction_never_falls_and_the_sums_are_right(seed: int) -> None:
    """Random runs of up to eight files, some sizes given up front and some not, downloads
    interleaved, some files from a cache: the running sums agree with sums made from scratch,
    and the fraction done, once there is one, only grows."""
    rng = random.Random(seed)
    sizes = {f"f{n}.whl": rng.randrange(1, 50_000_000) for n in range(rng.randrange(1, 9))}
    given = {name: size if rng.random() < 0.6 else None for name, size in sizes.items()}
    progress = Progress("on", 0, _Terminal(), clock=_Clock())
    progress.expect(len(sizes), given)
    got = dict.fromkeys(sizes, 0)
    seen: dict[str, int | None] = dict(given)
    pending = list(sizes)
    rng.shuffle(pending)
    active: list[str] = []
    fractions: list[float] = []
    while pending or active:
        if pending and (not active or rng.random() < 0.3):
            name = pending.pop()
            if rng.random() < 0.2:  # from a cache: done at once
                progress(ProgressEvent("done", name, given[name], sizes[name], reused=True))
                got[name], seen[name] = sizes[name], sizes[name]
            else:
                progress(ProgressEvent("start", name, given[name], 0))
                active.append(name)
        else:
            name = rng.choice(active)
            got[name] = min(sizes[name], got[name] + rng.randrange(1, 20_000_000))
            if got[name] == sizes[name]:
                progress(ProgressEvent("done", name, given[name], got[name]))
                seen[name] = got[name]
                active.remove(name)
            else:
                progress(ProgressEvent("advance", name, given[name], got[name]))
        state = progress.downloading()
        known = None not in seen.values()
        assert state.done == sum(got.values())
        assert state.at_least == sum(s if s is not None else got[n] for n, s in seen.items())
        assert state.total == (sum(sizes.values()) if known else None)
        if state.fraction is not None:
            fractions.append(state.fraction)
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    progress.close()
