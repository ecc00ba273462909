"""Progress on a terminal, in phases, silent when not wanted.

Progress shows only when stderr is a terminal (or ``--progress-bar on``), and never under ``-q``
or ``--progress-bar off``, so logs and CI output stay clean. ``raw`` prints one line per event,
for tools that read progress.

On a terminal the display is drawn by rich (imported only then, so a run whose stderr is a log
file never pays for it), one phase at a time, each erased when the next begins:

* resolving and installing: a spinner with what is being done (``resolving: requests``,
  ``installing numpy (3/12)``), from the status texts the resolver and installer report;
* downloading: files done of total, bytes of the total known so far, speed and time left.

rich fits every line to the terminal's width (narrow terminals get shorter lines, never wrapped
ones). Without rich, one plain status line is redrawn in place.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING, Any, TextIO

from tagpip.download import ProgressEvent

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

__all__ = ["Progress"]


class Progress:
    """Draws resolution, download and install progress on stderr."""

    def __init__(self, mode: str, quiet: int, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        is_tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.raw = mode == "raw" and not quiet
        self.enabled = not quiet and (mode == "on" or (mode == "auto" and is_tty))
        self._files_done = 0
        self._files_total = 0
        self._sizes: dict[str, tuple[int, int | None]] = {}
        self._bytes_done = 0  # of finished files
        self._lock = threading.Lock()  # download events come from the download threads
        self._view: _RichView | _LineView | None = None

    def status(self, text: str) -> None:
        """Show what is being done (``resolving: requests``), replacing the last status."""
        if self.raw:
            self.stream.write(f"status {text}\n")
        elif self.enabled:
            with self._lock:
                self._drawer().phase(text)

    def expect(self, count: int) -> None:
        """Say how many files the download phase will handle."""
        self._files_total = count

    def __call__(self, event: ProgressEvent) -> None:
        """Take one download event."""
        if self.raw:
            self.stream.write(f"{event.kind} {event.filename} {event.done} {event.total or ''}\n")
            return
        if not self.enabled:
            return
        with self._lock:
            if event.kind == "done":
                self._files_done += 1
                self._sizes.pop(event.filename, None)
                self._bytes_done += event.done
            else:
                self._sizes[event.filename] = (event.done, event.total)
            in_flight = sum(done for done, _ in self._sizes.values())
            known = sum(total or done for done, total in self._sizes.values())
            self._drawer().downloading(
                self._files_done,
                max(self._files_total, self._files_done),
                self._bytes_done + in_flight,
                self._bytes_done + known,
                final=event.kind == "done",
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


class _RichView:
    """rich's live display: one phase (spinner) or download (bar) line at a time."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console

        # The decision to draw was made already (a terminal, or --progress-bar on).
        self.console = Console(file=stream, force_terminal=True, highlight=False)
        self._progress: RichProgress | None = None
        self._kind = ""
        self._task: TaskID | None = None

    def _start(self, kind: str, description: str) -> tuple[RichProgress, TaskID]:
        if self._kind != kind or self._progress is None or self._task is None:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )
            from rich.table import Column

            self.stop()
            text = TextColumn(
                "{task.description}",
                markup=False,
                table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1),
            )
            columns: list[Any] = [SpinnerColumn(), text]
            if kind == "download":
                # Fewer columns on a narrow terminal, so the line never wraps.
                width = self.console.width
                if width >= 80:
                    columns.append(BarColumn(bar_width=16))
                columns.append(DownloadColumn())
                if width >= 60:
                    columns.append(TransferSpeedColumn())
                if width >= 80:
                    columns.append(TimeRemainingColumn())
            self._progress = Progress(*columns, console=self.console, transient=True, expand=True)
            self._task = self._progress.add_task(description, total=None)
            self._progress.start()
            self._kind = kind
        return self._progress, self._task

    def phase(self, text: str) -> None:
        progress, task = self._start("phase", text)
        # Drawn at once (a phase changes a few times a run), not at rich's next refresh tick,
        # which a busy machine may not reach before the phase is over.
        progress.update(task, description=text, refresh=True)

    def downloading(self, done: int, total: int, got: int, size: int, *, final: bool) -> None:
        description = f"downloading {done}/{total} files"
        progress, task = self._start("download", description)
        progress.update(
            task, description=description, completed=got, total=size or None, refresh=final
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

    def downloading(self, done: int, total: int, got: int, size: int, *, final: bool) -> None:
        mib = got / (1024 * 1024)
        self._draw(f"downloading {done}/{total} files, {mib:.1f} MiB", force=final)

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
