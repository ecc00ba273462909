"""Progress on a terminal, in phases, silent when not wanted.

Progress shows only when stderr is a terminal (or ``--progress-bar on``), and never under ``-q``
or ``--progress-bar off``, so logs and CI output stay clean. ``raw`` prints one line per event,
for tools that read progress.

On a terminal the display is drawn by rich (imported only then, so a run whose stderr is a log
file never pays for it), one phase at a time, each erased when the next begins:

* resolving, building, installing, compiling: a spinner with what is being done and how far it
  is (``resolving: requests``, ``installing: 412/1630 files (numpy)``), from the status texts
  the library reports; the spinner turns on its own, so a long step still shows it is alive;
* downloading: files done of total, bytes done of the total, speed and time left.

The download line tells the truth (docs/download.md, "Progress"):

* **A total is a total only once every size is known.** Sizes come from the index (PEP 700's
  ``size``, given to :meth:`Progress.expect`) or from a file's own download. While any file's
  size is unknown the line says ``1.2 GB of at least 2.4 GB`` and the bar pulses instead of
  filling: a fraction of a total that is still growing would move backwards when it grows.
  Once every size is known the total is fixed, and the bar's fraction done never falls.
* **A time left only when it means something**: every size known, and the network's speed
  measured over at least :data:`ETA_AFTER_SECONDS` and :data:`ETA_AFTER_BYTES` (files taken
  from a cache or the destination move no bytes over the network and are not counted in the
  speed).

rich fits every line to the terminal's width (narrow terminals get shorter lines, never wrapped
ones). Without rich, one plain status line is redrawn in place.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from tagpip.download import ProgressEvent

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

__all__ = ["ETA_AFTER_BYTES", "ETA_AFTER_SECONDS", "Downloading", "Progress"]

# The least a speed must be measured over before a time left is shown: a few seconds and a few
# megabytes, so that the first burst (a TCP window, a file from a cache) does not promise a
# time the run will not keep.
ETA_AFTER_SECONDS = 3.0
ETA_AFTER_BYTES = 4_000_000
# The least a speed is measured over before it is shown at all.
_SPEED_AFTER_SECONDS = 1.0


@dataclass(frozen=True)
class Downloading:
    """What the download line says at one moment: files done of total; bytes done; the total
    (None while some size is unknown) or the least it can be; the network's speed in bytes per
    second and the time left in seconds (None when not honest yet)."""

    files_done: int
    files_total: int
    done: int
    total: int | None
    at_least: int
    speed: float | None
    left: float | None

    @property
    def fraction(self) -> float | None:
        """The bar's fraction done; None (a pulsing bar) while the total is not known."""
        if self.total is None:
            return None
        return 1.0 if self.total == 0 else min(1.0, self.done / self.total)

    def text(self) -> str:
        """The line, most important first, so a narrow terminal cuts the least useful end."""
        line = f"downloading {self.files_done}/{self.files_total} files, "
        if self.total is not None:
            line += _pair(self.done, self.total)
        else:
            line += f"{_size(self.done)} of at least {_size(self.at_least)}"
        if self.speed is not None:
            line += f", {_size(int(self.speed))}/s"
        if self.left is not None:
            line += f", {_duration(self.left)} left"
        return line


class Progress:
    """Draws resolution, download and install progress on stderr. ``clock`` (seconds, only
    differences matter) is for tests, which drive it instead of waiting."""

    def __init__(
        self,
        mode: str,
        quiet: int,
        stream: TextIO | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        is_tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.raw = mode == "raw" and not quiet
        self.enabled = not quiet and (mode == "on" or (mode == "auto" and is_tty))
        self._clock = clock
        self._files_total = 0
        self._sizes: dict[str, int | None] = {}  # each file announced or seen: its size if known
        # Kept up to date with each event (a download reports every chunk): the sum of the
        # sizes known, how many are not, and the bytes so far of those.
        self._sized = 0
        self._unknown = 0
        self._unknown_got = 0
        self._got: dict[str, int] = {}  # bytes so far of each file, in flight or done
        self._finished: set[str] = set()
        self._reused: set[str] = set()  # files that moved no bytes over the network
        self._done = 0  # bytes of every file so far
        self._network = 0  # of which fetched over the network
        self._network_since: float | None = None  # when the first network download started
        self._lock = threading.Lock()  # download events come from the download threads
        self._view: _RichView | _LineView | None = None

    def status(self, text: str) -> None:
        """Show what is being done (``resolving: requests``), replacing the last status."""
        if self.raw:
            self.stream.write(f"status {text}\n")
        elif self.enabled:
            with self._lock:
                self._drawer().phase(text)

    def expect(self, count: int, sizes: Mapping[str, int | None] | None = None) -> None:
        """Say how many files the download phase will handle and, by file name, the size of
        each that the index gave (None where it gave none): the byte total is known, and the
        bar fills, only when every file's size is."""
        self._files_total = count
        for name, size in (sizes or {}).items():
            if size is not None or name not in self._sizes:
                self._size(name, size)

    def _size(self, name: str, size: int | None) -> None:
        """Record what is known of a file's size (None: nothing yet)."""
        if name in self._sizes:
            old = self._sizes[name]
            if old is None:
                self._unknown -= 1
                self._unknown_got -= self._got.get(name, 0)
            else:
                self._sized -= old
        self._sizes[name] = size
        if size is None:
            self._unknown += 1
            self._unknown_got += self._got.get(name, 0)
        else:
            self._sized += size

    def __call__(self, event: ProgressEvent) -> None:
        """Take one download event."""
        if self.raw:
            self.stream.write(f"{event.kind} {event.filename} {event.done} {event.total or ''}\n")
            return
        if not self.enabled:
            return
        with self._lock:
            state = self._take(event)
            self._drawer().downloading(state, final=event.kind == "done")

    def _take(self, event: ProgressEvent) -> Downloading:
        name = event.filename
        now = self._clock()
        if event.kind == "done":
            # The bytes a finished file has are its size, whatever was announced.
            self._size(name, event.done)
            self._finished.add(name)
            if event.reused:
                self._reused.add(name)
        elif event.total is not None:
            if self._sizes.get(name) != event.total:
                self._size(name, event.total)
        elif name not in self._sizes:
            self._size(name, None)
        if event.kind == "start" and not event.reused and self._network_since is None:
            self._network_since = now
        grown = max(0, event.done - self._got.get(name, 0))
        self._got[name] = self._got.get(name, 0) + grown
        self._done += grown
        if self._sizes[name] is None:
            self._unknown_got += grown
        if name not in self._reused:
            self._network += grown
        return self.downloading(now)

    def downloading(self, now: float | None = None) -> Downloading:
        """What the download line says now (from the events taken so far)."""
        now = self._clock() if now is None else now
        files_total = max(self._files_total, len(self._sizes))
        known = len(self._sizes) >= files_total and not self._unknown
        at_least = self._sized + self._unknown_got
        total = max(at_least, self._done) if known else None
        speed = left = None
        if self._network_since is not None:
            elapsed = now - self._network_since
            if elapsed >= _SPEED_AFTER_SECONDS and self._network > 0:
                speed = self._network / elapsed
                if (
                    total is not None
                    and elapsed >= ETA_AFTER_SECONDS
                    and self._network >= ETA_AFTER_BYTES
                ):
                    left = (total - self._done) / speed
        return Downloading(
            len(self._finished), files_total, self._done, total, at_least, speed, left
        )

    def close(self) -> None:
        """Erase the display so the next output starts clean (drawing again starts anew)."""
        with self._lock:
            if self._view is not None:
                self._view.stop()
                self._view = None

    def _drawer(self) -> _RichView | _LineView:
        if self._view is None:
            try:
                self._view = _RichView(self.stream)
            except ImportError:
                self._view = _LineView(self.stream)
        return self._view


def _phase_of(text: str) -> str:
    """The phase a status text is about (``installing`` of ``installing: 3/9 files (a)``)."""
    return text.partition(":")[0]


class _RichView:
    """rich's live display: one phase (spinner) or download (bar) line at a time."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console

        # The decision to draw was made already (a terminal, or --progress-bar on).
        self.console = Console(file=stream, force_terminal=True, highlight=False)
        self._progress: RichProgress | None = None
        self._kind = ""
        self._task: TaskID | None = None
        self._shown = ""
        self._known = False

    def _start(self, kind: str, description: str) -> tuple[RichProgress, TaskID]:
        if self._kind != kind or self._progress is None or self._task is None:
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
            from rich.table import Column

            self.stop()
            text = TextColumn(
                "{task.description}",
                markup=False,
                table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1),
            )
            columns: list[Any] = [SpinnerColumn(), text]
            if kind == "download" and self.console.width >= 80:
                # Only on a wide terminal, so the line never wraps. It pulses while the total
                # is not known (total None) and fills once it is.
                columns.append(BarColumn(bar_width=16))
            self._progress = Progress(*columns, console=self.console, transient=True, expand=True)
            self._task = self._progress.add_task(description, total=None)
            self._progress.start()
            self._kind = kind
            self._shown = ""
            self._known = False
        return self._progress, self._task

    def phase(self, text: str) -> None:
        progress, task = self._start("phase", text)
        # A new phase is drawn at once (it changes a few times a run), not at rich's next
        # refresh tick, which a busy machine may not reach before the phase is over; a count
        # within a phase is drawn at the tick (ten a second), so reporting often costs little.
        fresh = _phase_of(text) != _phase_of(self._shown)
        self._shown = text
        progress.update(task, description=text, refresh=fresh)

    def downloading(self, state: Downloading, *, final: bool) -> None:
        description = state.text()
        progress, task = self._start("download", description)
        known = state.total is not None
        # A finished file, and the moment the total becomes known, are drawn at once.
        refresh = final or known != self._known
        self._known = known
        progress.update(
            task, description=description, completed=state.done, total=state.total, refresh=refresh
        )

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
        self._progress, self._task, self._kind = None, None, ""


class _LineView:
    """One status line of plain text redrawn in place (when rich is not installed)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._last_draw = 0.0
        self._width = 0

    def phase(self, text: str) -> None:
        self._draw(text, force=False)

    def downloading(self, state: Downloading, *, final: bool) -> None:
        self._draw(state.text(), force=final)

    def stop(self) -> None:
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    def _draw(self, text: str, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < 0.05:
            return
        self._last_draw = now
        text = text[:79]
        pad = max(0, self._width - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)


def _size(count: int) -> str:
    """Bytes in decimal units, as rich and pip show them (``512 kB``, ``1.2 MB``)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"


def _pair(done: int, total: int) -> str:
    """``1.2/3.2 GB``: both in the total's unit, so the two read as one fraction."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if total >= scale:
            return f"{done / scale:.1f}/{total / scale:.1f} {unit}"
    return f"{done}/{total} B"


def _duration(seconds: float) -> str:
    """``0:42``, ``12:05``, ``1:02:03``."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
