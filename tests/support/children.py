"""Every process a run starts, with its command line: what a test checks holds no secret.

A command line is readable by every local user (``ps``, ``/proc/PID/cmdline``), so no argv of
any process tagpip starts, or that those start, may hold a password. :class:`ChildRecorder`
records them two ways at once:

* in this process, an audit hook (:func:`sys.addaudithook`) sees every ``subprocess.Popen``,
  ``os.exec*``, ``os.posix_spawn``, ``os.spawn*`` and ``os.system`` with its argv before the
  process starts, whatever API tagpip used;
* in every Python process started while recording (pip, a build backend, an interpreter probe
  without ``-I``), a ``sitecustomize`` put first on ``PYTHONPATH`` installs the same hook and
  appends what it sees, and the process's own argv, to a log file; so a grandchild that pip or a
  build starts (``git``, a compiler, another Python) is recorded too.

An audit hook cannot be removed: the in-process one is installed once per session and does
nothing while no recorder is active. Processes that are not Python and start others (``git``
running ``git-remote-https``) pass the same URL on, so their own argv already shows it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

__all__ = ["ChildRecorder", "Started"]

# The audit events that start a process, and which argument holds its argv.
_EVENTS = {
    "subprocess.Popen": 1,  # (executable, args, cwd, env)
    "os.exec": 1,  # (path, args, env)
    "os.posix_spawn": 1,  # (path, argv, env)
    "os.spawn": 2,  # (mode, path, args, env)
    "os.system": 0,  # (command,)
}

_SITECUSTOMIZE = """
import json, os, sys

_LOG = os.environ.get("TAGPIP_TEST_CHILDREN_LOG")
_EVENTS = {events!r}


def _write(kind, argv):
    try:
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps({{"pid": os.getpid(), "kind": kind, "argv": argv}}) + "\\n")
    except Exception:
        pass


def _argv(value):
    if isinstance(value, (str, bytes, os.PathLike)):
        return [os.fsdecode(value)]
    try:
        return [os.fsdecode(part) for part in value]
    except TypeError:
        return [repr(value)]


def _hook(event, args):
    position = _EVENTS.get(event)
    if position is not None:
        _write(event, _argv(args[position]))


if _LOG:
    _write("python", list(getattr(sys, "orig_argv", sys.argv)))
    sys.addaudithook(_hook)
"""


@dataclass(frozen=True)
class Started:
    """One process start seen: by whom (``pid`` of the starting process, 0 for the test's own),
    how (the audit event, or ``python`` for a Python process's own argv) and its argv."""

    pid: int
    kind: str
    argv: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.argv)


_active: list[ChildRecorder] = []
_installed = False
_lock = threading.Lock()


def _as_argv(value: Any) -> tuple[str, ...]:
    if isinstance(value, (str, bytes, os.PathLike)):
        return (os.fsdecode(value),)
    try:
        return tuple(os.fsdecode(part) for part in value)
    except TypeError:
        return (repr(value),)


def _hook(event: str, args: tuple[Any, ...]) -> None:
    position = _EVENTS.get(event)
    if position is None or not _active:
        return
    started = Started(0, event, _as_argv(args[position]))
    with _lock:
        for recorder in _active:
            recorder._own.append(started)


class ChildRecorder:
    """Records every process started while it is active (see the module's docstring); use
    :meth:`recording` as a context manager inside a test that has ``monkeypatch``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.log = folder / "children.jsonl"
        self._own: list[Started] = []

    def recording(self, monkeypatch: pytest.MonkeyPatch) -> _Recording:
        """Start recording: this process's hook, and the ``sitecustomize`` for Python children
        (their ``PYTHONPATH`` and log variable, set in this process's environment, which
        tagpip passes on)."""
        global _installed
        self.folder.mkdir(parents=True, exist_ok=True)
        site = self.folder / "site"
        site.mkdir(exist_ok=True)
        (site / "sitecustomize.py").write_text(_SITECUSTOMIZE.format(events=_EVENTS))
        path = os.environ.get("PYTHONPATH")
        monkeypatch.setenv("PYTHONPATH", str(site) + (os.pathsep + path if path else ""))
        monkeypatch.setenv("TAGPIP_TEST_CHILDREN_LOG", str(self.log))
        with _lock:
            if not _installed:
                sys.addaudithook(_hook)
                _installed = True
        return _Recording(self)

    @property
    def started(self) -> list[Started]:
        """Every process start seen so far: this process's first, then its children's."""
        found = list(self._own)
        if self.log.exists():
            for line in self.log.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                found.append(Started(record["pid"], record["kind"], tuple(record["argv"])))
        return found

    def holding(self, secrets: Sequence[str]) -> list[Started]:
        """The recorded starts whose argv holds any of ``secrets``."""
        return [s for s in self.started if any(secret in s.text for secret in secrets)]

    def commands(self) -> Iterator[str]:
        """Each recorded argv as one line (for an assertion's message)."""
        for started in self.started:
            yield f"[{started.pid or 'tagpip'} {started.kind}] {started.text}"


class _Recording:
    def __init__(self, recorder: ChildRecorder) -> None:
        self.recorder = recorder

    def __enter__(self) -> ChildRecorder:
        with _lock:
            _active.append(self.recorder)
        return self.recorder

    def __exit__(self, *exc: object) -> None:
        with _lock:
            _active.remove(self.recorder)
