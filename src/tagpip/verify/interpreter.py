"""Running ``tagpip verify``'s check in the target's interpreter and reading what it says.

The interpreter is a command (a path, or a command line such as ``docker run --rm -i IMAGE
python3`` or a chroot wrapper) to which ``-B -s -`` is added (``-S`` too without its
site-packages): no bytecode is written into the folder, the user's own site-packages of this
machine stays out, and the program is read from standard input, where the check
(:data:`tagpip.verify.script.CHECK_SOURCE`) and its payload are written. It runs in a process
group of its own with the environment's ``PYTHON*`` variables removed.

Its events come one a line on its standard output behind a marker made for the run; any other
line (a wrapper's chatter) is kept apart and ignored. The interpreter must report itself within
``start_timeout`` seconds (a container image may be pulled first), and then say something at
least every ``timeout`` seconds plus a grace (the check stops an import itself at ``timeout``):
past that, or on any way out of :func:`run_check` (an error, Ctrl-C, SIGTERM), the process group
is ended, SIGTERM first, then SIGKILL.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from tagpip.errors import TagpipError

__all__ = ["GRACE", "InterpreterError", "Ran", "run_check"]

# How much later than the check's own time limit the next event may come: a fork, the kill of a
# hung child and a new child's start, under emulation (qemu-user) too.
GRACE = 30.0
_STDERR_KEPT = 256 * 1024
_NOISE_KEPT = 200


class InterpreterError(TagpipError):
    """The interpreter could not be run, or stopped or went silent before the check ended;
    ``stderr`` is the end of what it wrote there."""

    def __init__(self, message: str, *, hint: str | None = None, stderr: str = ""):
        super().__init__(message, hint=hint)
        self.stderr = stderr
        # Printed under -v by the CLI: the end of what the interpreter said.
        self.details = tuple(
            ["the interpreter's standard error:", *stderr.rstrip().splitlines()[-40:]]
            if stderr.strip()
            else []
        )


@dataclass(frozen=True)
class Ran:
    """How the run ended: the exit status (None if it had to be killed), whether the check sent
    its ``end``, the end of the interpreter's standard error, and the lines of its standard
    output that were not events."""

    returncode: int | None
    ended: bool
    stderr: str
    noise: tuple[str, ...]


def run_check(
    argv: Sequence[str],
    script: str,
    *,
    mark: str,
    env: Mapping[str, str],
    timeout: float,
    start_timeout: float,
    on_event: Callable[[dict[str, Any]], None],
) -> Ran:
    """Run ``argv`` with ``script`` on its standard input and hand each event to ``on_event``
    (which may raise to stop the run); see the module's docstring for the time limits."""
    try:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env),
            start_new_session=os.name == "posix",
        )
    except OSError as error:
        raise _not_started(argv, error) from None
    lines: queue.Queue[bytes | None] = queue.Queue()
    errors: deque[bytes] = deque()
    noise: deque[str] = deque(maxlen=_NOISE_KEPT)
    assert process.stdin is not None
    assert process.stdout is not None
    assert process.stderr is not None
    threads = [
        threading.Thread(target=_feed, args=(process.stdin, script.encode("utf-8")), daemon=True),
        threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True),
        threading.Thread(target=_tail, args=(process.stderr, errors), daemon=True),
    ]
    for thread in threads:
        thread.start()
    ended = False
    heard = False
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                _end(process)
                waited = start_timeout if not heard else timeout + GRACE
                raise InterpreterError(
                    f"the interpreter said nothing for {waited:g} s "
                    + ("after it started" if heard else "and did not report itself")
                    + "; tagpip stopped it",
                    hint="a container image may need pulling first (docker pull IMAGE), or "
                    "allow more time with --start-timeout"
                    if not heard
                    else "allow more time per import with --timeout",
                    stderr=_text(errors),
                ) from None
            if line is None:
                break
            text = line.decode("utf-8", "replace")
            if not text.startswith(mark):
                noise.append(text.rstrip("\r"))
                continue
            try:
                event = json.loads(text[len(mark) :])
            except ValueError:
                raise InterpreterError(
                    "the interpreter sent an event tagpip cannot read: "
                    f"{text[len(mark) : len(mark) + 80]!r}",
                    stderr=_text(errors),
                ) from None
            heard = True
            deadline = time.monotonic() + timeout + GRACE
            on_event(event)
            if event.get("kind") == "end":
                ended = True
        try:
            returncode: int | None = process.wait(timeout=GRACE)
        except subprocess.TimeoutExpired:
            returncode = None
    finally:
        _end(process)
        for thread in threads:
            thread.join(timeout=1)
    return Ran(returncode, ended, _text(errors), tuple(noise))


def _not_started(argv: Sequence[str], error: OSError) -> InterpreterError:
    import errno

    command = argv[0]
    if error.errno == errno.ENOEXEC:
        return InterpreterError(
            f"cannot run {command}: it is not a program this machine can run (exec format error)",
            hint="an interpreter for another machine runs under qemu-user "
            "(docs/recipes/verify-arm.md)",
        )
    if isinstance(error, FileNotFoundError):
        return InterpreterError(
            f"cannot run {command}: no such file or command",
            hint="--python takes the interpreter's path or a command line that runs it",
        )
    return InterpreterError(f"cannot run {command}: {error.strerror or error}")


def _feed(stream: IO[bytes], data: bytes) -> None:
    # An interpreter that exits without reading (a container started without -i) closes the pipe.
    with contextlib.suppress(OSError, ValueError):
        stream.write(data)
    with contextlib.suppress(OSError, ValueError):
        stream.close()


def _lines(stream: IO[bytes], into: queue.Queue[bytes | None]) -> None:
    with contextlib.suppress(OSError, ValueError):
        for line in iter(stream.readline, b""):
            into.put(line.rstrip(b"\r\n"))
    into.put(None)


def _tail(stream: IO[bytes], into: deque[bytes]) -> None:
    kept = 0
    with contextlib.suppress(OSError, ValueError):
        for chunk in iter(lambda: stream.read1(65536) if hasattr(stream, "read1") else b"", b""):
            into.append(chunk)
            kept += len(chunk)
            while kept > _STDERR_KEPT and len(into) > 1:
                kept -= len(into.popleft())


def _text(chunks: deque[bytes]) -> str:
    return b"".join(list(chunks)).decode("utf-8", "replace")


def _end(process: subprocess.Popen[bytes]) -> None:
    """End the interpreter's process group (the interpreter, a container client, a wrapper's
    children): SIGTERM, a few seconds, SIGKILL."""
    if os.name != "posix":
        if process.poll() is None:
            with contextlib.suppress(OSError):
                process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        return
    for number in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(OSError):
            os.killpg(process.pid, number)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            continue
        if number == signal.SIGTERM:
            # The leader is gone; what it started in its group goes too.
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
        break
