"""Finding a real interpreter of the target's Python version to build sources on.

A pure-Python sdist's ``setup.py`` may compute its dependencies from the running Python, so a
build on an interpreter of the target's version gives the target's answer. Looked for, first to
last: the interpreter the user named with ``--from-python``, pyenv's versions, ``uv python
find`` (when uv is on PATH) and ``pythonX.Y`` on PATH. None found: the host's interpreter builds,
and the caller says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Interpreter", "find_interpreter", "host_interpreter"]

_VERSION_SCRIPT = "import sys; print('%d.%d.%d' % sys.version_info[:3])"


@dataclass(frozen=True)
class Interpreter:
    """An interpreter that can run a build: its path and full version."""

    path: str
    version: tuple[int, int, int]

    @property
    def short(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    def describe(self) -> str:
        return f"Python {'.'.join(str(p) for p in self.version)} ({self.path})"


def host_interpreter() -> Interpreter:
    """The interpreter tagpip runs on."""
    major, minor, micro = sys.version_info[:3]
    return Interpreter(sys.executable, (major, minor, micro))


def _probe(path: str) -> Interpreter | None:
    try:
        done = subprocess.run(
            [path, "-c", _VERSION_SCRIPT], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    try:
        major, minor, micro = (int(p) for p in done.stdout.strip().split("."))
    except ValueError:
        return None
    return Interpreter(path, (major, minor, micro))


def _pyenv_candidates(major: int, minor: int) -> list[str]:
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    if shutil.which("pyenv") and not os.environ.get("PYENV_ROOT"):
        try:
            done = subprocess.run(
                ["pyenv", "root"], capture_output=True, text=True, timeout=20, check=False
            )
            if done.returncode == 0 and done.stdout.strip():
                root = done.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    versions = Path(root) / "versions"
    if not versions.is_dir():
        return []
    found = []
    for entry in sorted(versions.iterdir(), key=lambda p: p.name, reverse=True):
        parts = entry.name.split(".")
        if parts[:2] == [str(major), str(minor)] and all(p.isdigit() for p in parts):
            python = entry / "bin" / "python"
            if python.exists():
                found.append(str(python))
    return found


def _uv_candidate(major: int, minor: int) -> list[str]:
    uv = shutil.which("uv")
    if uv is None:
        return []
    try:
        done = subprocess.run(
            [uv, "python", "find", "--no-python-downloads", f"{major}.{minor}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    path = done.stdout.strip()
    return [path] if done.returncode == 0 and path else []


def find_interpreter(major: int, minor: int, *, preferred: str | None = None) -> Interpreter | None:
    """A working interpreter of Python ``major.minor``, or None when none is found.

    ``preferred`` (the ``--from-python`` of the run) is taken first when its version is right.
    The host's interpreter counts when it is of that version.
    """
    host = host_interpreter()
    if preferred:
        found = _probe(preferred)
        if found is not None and found.version[:2] == (major, minor):
            return found
    if host.version[:2] == (major, minor):
        return host
    on_path = shutil.which(f"python{major}.{minor}")
    for path in [
        *_pyenv_candidates(major, minor),
        *_uv_candidate(major, minor),
        *([on_path] if on_path else []),
    ]:
        found = _probe(path)
        if found is not None and found.version[:2] == (major, minor):
            return found
    return None
