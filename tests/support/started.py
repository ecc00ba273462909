"""Every process a test's run starts, by argv: an audit hook on ``subprocess.Popen`` sees each
one tagpip or a library it calls starts in the test process, so nothing can hide. Installed once
(audit hooks cannot be removed); it records only between :func:`recording`'s start and end."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

_STARTED: list[list[str]] = []
_RECORDING = [False]


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event != "subprocess.Popen" or not _RECORDING[0]:
        return
    argv = args[1]
    if isinstance(argv, (list, tuple)):
        _STARTED.append([os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in argv])
    else:
        _STARTED.append([os.fsdecode(argv) if isinstance(argv, bytes) else str(argv)])


sys.addaudithook(_audit)


@contextlib.contextmanager
def recording() -> Iterator[list[list[str]]]:
    """The argv of every process started inside the block (the list grows as they start)."""
    _STARTED.clear()
    _RECORDING[0] = True
    try:
        yield _STARTED
    finally:
        _RECORDING[0] = False
