"""Progress on a terminal: one status line redrawn in place, silent when not wanted.

Progress shows only when stderr is a terminal (or ``--progress-bar on``), and never under ``-q``
or ``--progress-bar off``, so logs and CI output stay clean. ``raw`` prints one line per event,
for tools that read progress.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tagpip.download import ProgressEvent

__all__ = ["Progress"]


class Progress:
    """Draws resolution and download progress on one line of stderr."""

    def __init__(self, mode: str, quiet: int, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        is_tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.raw = mode == "raw" and not quiet
        self.enabled = not quiet and (mode == "on" or (mode == "auto" and is_tty))
        self._sizes: dict[str, tuple[int, int | None]] = {}
        self._files_done = 0
        self._files_total = 0
        self._last_draw = 0.0
        self._width = 0

    def status(self, text: str) -> None:
        """Show a short status (``resolving: requests``), replacing the last one."""
        if self.raw:
            self.stream.write(f"status {text}\n")
        elif self.enabled:
            self._draw(text, force=False)

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
        if event.kind == "done":
            self._files_done += 1
            self._sizes.pop(event.filename, None)
        else:
            self._sizes[event.filename] = (event.done, event.total)
        done = sum(d for d, _ in self._sizes.values())
        mib = done / (1024 * 1024)
        self._draw(
            f"downloading {self._files_done}/{self._files_total} files, {mib:.1f} MiB in flight",
            force=event.kind == "done",
        )

    def close(self) -> None:
        """Clear the status line so the next output starts clean."""
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    def _draw(self, text: str, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < 0.05:
            return
        self._last_draw = now
        text = text[:100]
        pad = max(0, self._width - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)
