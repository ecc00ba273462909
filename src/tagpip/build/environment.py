"""Build environments made by tagpip, and the processes a build runs, bounded and reaped.

A PEP 517 build runs the project's backend in an isolated environment that holds its build
requirements. pip and pypa/build fill it with a pip: tagpip used to run the environment's own
pip, which on an old interpreter is an old pip (CPython 3.6's bundled pip 18.1), read
configuration the run had set aside, took index URLs with passwords on its command line, and
picked build requirements for the host's Python rather than the interpreter's (a setuptools that
needs Python 3.10 for a build on 3.6). Here the environment is a venv made without pip by the
build interpreter, and tagpip itself resolves the build requirements *for that interpreter*
(its own tags and markers, Requires-Python from metadata), with the run's index, options,
credentials and caches, and installs the wheels into the venv's site-packages with its own
installer: no secret on any command line, and what was used is known, so the build line can
name it.

Every process of a build (venv creation, the backend's hooks) runs through :class:`Runner`: in
a process group of its own, within the build's time budget, reporting elapsed time while it
runs, and the whole group is ended on every way out (the budget spent, Ctrl-C, SIGTERM, an
error), so no compiler process outlives tagpip.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

__all__ = ["DEFAULT_BUILD_TIMEOUT", "BuildTimedOut", "ProcessFailed", "Runner", "VenvEnvironment"]

# Seconds one build may take, its build requirements included (``--build-timeout``): a
# pure-Python build takes seconds; one still running after this is compiling, or hangs.
DEFAULT_BUILD_TIMEOUT = 600.0

# How long a process group has to end after SIGTERM before it is killed.
_GRACE = 5.0
# How often a running process is polled (and progress reported).
_POLL = 0.2
# Prints the venv's install scheme as JSON (runs on every Python 3).
_SCHEME_SCRIPT = "import json, sysconfig; print(json.dumps(sysconfig.get_paths()))"


class BuildTimedOut(Exception):
    """The build's time budget ran out; its processes were ended."""

    def __init__(self, seconds: float, lines: Sequence[str]) -> None:
        super().__init__(f"it did not finish within {seconds:g} s")
        self.seconds = seconds
        self.lines = list(lines)


class ProcessFailed(Exception):
    """A build process exited with a failure: its command and its output's lines."""

    def __init__(self, command: Sequence[str], returncode: int, lines: Sequence[str]) -> None:
        super().__init__(f"{command[0]} exited with status {returncode}")
        self.command = list(command)
        self.returncode = returncode
        self.lines = list(lines)


class Runner:
    """Runs a build's processes: each in a process group of its own, all within one deadline
    (``budget`` seconds from when the runner is made; None for none), reporting ``elapsed
    seconds`` to ``on_tick`` about once a second while one runs. ``lines`` holds the last
    process's output (stdout and stderr, in order), for error messages."""

    def __init__(
        self, budget: float | None, on_tick: Callable[[float], None] | None = None
    ) -> None:
        self.budget = budget
        self.started = time.monotonic()
        self.deadline = self.started + budget if budget else None
        self.on_tick = on_tick
        self.lines: list[str] = []

    def check(self) -> None:
        """Raise :class:`BuildTimedOut` when the budget is spent (between steps)."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            assert self.budget is not None
            raise BuildTimedOut(self.budget, self.lines)

    def run(
        self,
        command: Sequence[str],
        *,
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> str:
        """Run ``command`` to its end and return its output; raise :class:`ProcessFailed` when
        it fails and :class:`BuildTimedOut` when the budget runs out first (the process group
        is ended either way, as on any exception, KeyboardInterrupt included)."""
        self.check()
        environ = dict(os.environ)
        environ.update(extra_environ or {})
        with tempfile.TemporaryFile() as output:
            # A process group of its own (a new session; on Windows a new process group), so
            # that the group (the backend, its compiler, anything they start) ends as one.
            process = subprocess.Popen(
                list(command),
                cwd=cwd,
                env=environ,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=os.name != "nt",
                creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
            )
            try:
                returncode = self._wait(process)
            finally:
                _end_group(process)
            output.seek(0)
            text = output.read().decode("utf-8", "replace")
        self.lines = text.splitlines()
        if returncode is None:
            assert self.budget is not None
            raise BuildTimedOut(self.budget, self.lines)
        if returncode != 0:
            raise ProcessFailed(command, returncode, self.lines)
        return text

    def _wait(self, process: subprocess.Popen[bytes]) -> int | None:
        """The exit status, or None when the deadline passed first."""
        next_tick = time.monotonic() + 1.0
        while True:
            with contextlib.suppress(subprocess.TimeoutExpired):
                return process.wait(timeout=_POLL)
            now = time.monotonic()
            if self.deadline is not None and now > self.deadline:
                return None
            if self.on_tick is not None and now >= next_tick:
                self.on_tick(now - self.started)
                next_tick = now + 1.0


def _end_group(process: subprocess.Popen[bytes]) -> None:
    """End ``process`` and everything in its group: SIGTERM, a grace period, then SIGKILL.
    Also when the process itself has exited, since a backend may leave children running."""
    if os.name == "nt":  # pragma: no cover - Windows
        if process.poll() is None:
            process.kill()
            process.wait()
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        process.wait()
        return
    deadline = time.monotonic() + _GRACE
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except (ProcessLookupError, PermissionError):
            break
        if process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=_POLL)
        else:
            time.sleep(_POLL / 4)
    else:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()


class VenvEnvironment:
    """pypa/build's ``IsolatedEnv`` over a venv made without pip by the build interpreter;
    ``install`` is given the requirements and the environment (its interpreter, its install
    ``scheme``, what is ``installed``) and puts the wheels there (tagpip's resolver and
    installer, see :mod:`tagpip.build.builder`)."""

    def __init__(
        self,
        interpreter: str,
        folder: Path,
        runner: Runner,
        install: Callable[[Collection[str], VenvEnvironment], None],
    ) -> None:
        self.folder = folder
        self.runner = runner
        self._install = install
        runner.run([interpreter, "-m", "venv", "--without-pip", str(folder)])
        scripts = "Scripts" if os.name == "nt" else "bin"
        self._python = str(folder / scripts / ("python.exe" if os.name == "nt" else "python"))
        # The venv's own install scheme, as its interpreter reports it (purelib, platlib,
        # scripts, data, headers), so wheels land where that Python looks.
        paths = runner.run([self._python, "-I", "-c", _SCHEME_SCRIPT])
        reported = json.loads(paths.strip().splitlines()[-1])
        self.scheme = {key: str(value) for key, value in reported.items()}
        # Project name -> the version installed, and the requirements asked for so far.
        self.installed: dict[str, str] = {}
        self.requirements: list[str] = []

    @property
    def python_executable(self) -> str:
        return self._python

    def make_extra_environ(self) -> Mapping[str, str] | None:
        scripts = self.scheme.get("scripts") or str(Path(self._python).parent)
        return {"PATH": scripts + os.pathsep + os.environ.get("PATH", "")}

    def install(self, requirements: Collection[str]) -> None:
        if requirements:
            self.runner.check()
            self._install(requirements, self)
