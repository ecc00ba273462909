"""The entry point of the command line: the parser built from each command module's own
definitions, the run of one command, exit codes, and errors turned into words.

Each command lives in its own module (:mod:`tagpip.cli.commands.check`, ...) exposing
``register(subparsers)``; a command module imports the pipeline inside its ``run`` so that
``tagpip check`` does not pay for the HTTP stack at start-up.

Exit status: 0 success, 1 a failure the user can act on (bad input, no wheel, network), 2 a
usage error, 130 interrupted.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING

from tagpip import __version__
from tagpip.cli.render import render_error
from tagpip.errors import TagpipError

# argparse is imported where a parser is built: `tagpip check` reads its usual command lines
# without one (see main).
if TYPE_CHECKING:
    import argparse
    from typing import NoReturn

__all__ = ["build_parser", "console", "main"]

# Commands in the order `tagpip --help` lists them; each is its module's `register`, but for
# `matrix`, which lives with `why` (`register_matrix` in tagpip.cli.commands.why).
_COMMANDS = (
    "download",
    "install",
    "bundle",
    "verify",
    "lock",
    "check",
    "tags",
    "why",
    "matrix",
    "cache",
    "sam",
)
_MODULE_OF = {"matrix": "why"}


@functools.cache
def _parser_class() -> type[argparse.ArgumentParser]:
    """argparse with pip's usage-error status (2) and message shape, without the usage dump."""
    import argparse

    class _ArgumentParser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # type: ignore[override]
            hint = _did_you_mean(self, message)
            self.exit(2, f"{self.prog}: error: {message}\n{hint}(see '{self.prog} --help')\n")

    return _ArgumentParser


def _did_you_mean(parser: argparse.ArgumentParser, message: str) -> str:
    """``did you mean '--platform'?`` for each unknown option of an ``unrecognized arguments``
    error that is close to one of this command's options (difflib, as argparse 3.12+ does for
    choices), as a line to print before the pointer to the help."""
    import difflib

    prefix = "unrecognized arguments: "
    if not message.startswith(prefix):
        return ""
    known = [o for action in parser._actions for o in action.option_strings]
    lines = []
    for word in message[len(prefix) :].split():
        option = word.split("=", 1)[0]
        if not option.startswith("--"):
            continue
        close = difflib.get_close_matches(option, known, n=1, cutoff=0.75)
        if close:
            lines.append(f"hint: {option}: did you mean {close[0]}?\n")
    return "".join(lines)


def _parse(parser: argparse.ArgumentParser, words: Sequence[str]) -> argparse.Namespace:
    """``parse_args``, except that options no command knows are reported by the command's own
    parser: its name in the message, its options in the did-you-mean, its help pointed at."""
    import argparse

    args, extra = parser.parse_known_args(words)
    if extra:
        command = getattr(args, "command", None)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction) and command in action.choices:
                parser = action.choices[command]
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, built from each command module's own definitions.

    With ``only`` (a command name), just that command is registered: its module alone is
    imported, which is what keeps ``tagpip check`` quick to start.
    """
    parser_class = _parser_class()
    parser = parser_class(
        prog="tagpip",
        description="Get the right wheels for a machine that is not the one you are on.",
    )
    parser.add_argument("--version", action="version", version=f"tagpip {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=parser_class)
    subparsers.required = True
    for name in _COMMANDS if only is None else (only,):
        module = importlib.import_module(f"tagpip.cli.commands.{_MODULE_OF.get(name, name)}")
        getattr(module, f"register_{name}", module.register)(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run tagpip with ``argv`` (default: ``sys.argv[1:]``) and return the exit status."""
    with _fewer_collections():
        return _main(argv)


def console() -> NoReturn:
    """The ``tagpip`` command and ``python -m tagpip``: :func:`main` in a process of its own,
    which it leaves when done, so the collector's thresholds stay raised and what the run
    built is frozen (``gc.freeze``) rather than walked once more by the collections Python
    makes while it shuts down (docs/performance.md, "Start-up")."""
    gc.set_threshold(*_THRESHOLDS)
    if _command_in(sys.argv[1:]) != "check":  # check starts quickly, and starts no threads
        _fewer_malloc_arenas()
    status = _main(None)
    gc.freeze()
    sys.exit(status)


# glibc's mallopt parameter for the number of arenas (M_ARENA_MAX in malloc.h).
_M_ARENA_MAX = -8


def _fewer_malloc_arenas() -> None:
    """Let the process's threads share two of glibc's malloc arenas instead of one each.

    glibc gives every thread that allocates while another holds an arena one of its own (up
    to eight per CPU) and keeps what is freed in it for that thread's later use. The index's
    fetching threads each read and parse pages and metadata of a few hundred KB, so a lock
    of a large set ended with about 40 MB of freed memory held in their arenas: 170 MB at
    its peak against 130 MB with two (docs/performance.md, "the pages held in memory"). The
    threads run Python code under the GIL, so they seldom allocate at the same moment and
    sharing costs no time. Only in tagpip's own process (:func:`console`), only on Linux
    with glibc, and not when the user set ``MALLOC_ARENA_MAX``, which glibc read already."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (ImportError, OSError, AttributeError):
        return  # not glibc (musl's mallopt does nothing), or no ctypes
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    mallopt(_M_ARENA_MAX, 2)


# CPython's cyclic garbage collector runs every 700 new container objects by default. A lock
# builds hundreds of thousands of them (the realistic set's pages hold 58,000 file entries) and
# frees them by reference counting, so most of those collections find nothing, and together
# they are a visible part of a lock (docs/performance.md, "Start-up"). Like mypy, tagpip runs
# them far less often while it works.
_THRESHOLDS = (200_000, 30, 30)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Raise the collector's thresholds for one run, and put the caller's back after it
    (tests and other programs call :func:`main` in their own process)."""
    before = gc.get_threshold()
    gc.set_threshold(*_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _main(argv: Sequence[str] | None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = _command_in(words)
    args: argparse.Namespace | SimpleNamespace | None = None
    if command == "check":
        # A pre-commit hook: its usual command lines are read without building the parser.
        from tagpip.cli.commands.check import quick_args

        args = quick_args(words[1:])
    if args is None:
        if not words:
            # Bare `tagpip`: the help, as git and pip print it, with the usage-error status.
            build_parser().print_help(sys.stderr)
            return 2
        args = _parse(build_parser(command), words)
    _terminate_as_interrupt()
    logging_on = False
    try:
        # Quick `check` arguments (a SimpleNamespace) have no logging options.
        if not isinstance(args, SimpleNamespace) and (
            getattr(args, "verbose", None) or getattr(args, "log", None)
        ):
            from tagpip.cli.logs import configure_logging

            configure_logging(args)
            logging_on = True
        status: int = args.run(args)
    except TagpipError as error:
        _print_err(render_error(error))
        details: tuple[str, ...] = getattr(error, "details", None) or ()
        if details and getattr(args, "verbose", None):
            _print_err("\n".join(details))
        return error.exit_status
    except KeyboardInterrupt:
        _print_err("tagpip: interrupted; nothing partial was left behind")
        return 130
    except BrokenPipeError:
        # `tagpip tags | head`: the reader left; that is not an error worth a message.
        return 0
    except Exception as error:
        if getattr(args, "debug", False):
            raise
        _print_err(
            f"tagpip: internal error: {type(error).__name__}: {error}\n"
            "This is a bug in tagpip; please report it (run with --debug to see where it happened)."
        )
        return 1
    finally:
        _default_int_handler_back()
        if logging_on:
            from tagpip.cli.logs import reset_logging

            reset_logging()
    return status


def _command_in(words: Sequence[str]) -> str | None:
    """The command the words name, when it is their first word (the top-level parser has no
    options that take a value, so anything else needs every command: help, a typo, options)."""
    if words and words[0] in _COMMANDS:
        return words[0]
    return None


def _terminate_as_interrupt() -> None:
    """SIGTERM unwinds like Ctrl-C, so the same clean-up (temporary files, staging) runs; and
    both first stop every request in flight (:mod:`tagpip.index.inflight`), so that a fetching
    thread stuck in a read of a server that hangs ends now, not when its read times out: the
    run waits for its threads before it exits."""
    inflight = sys.modules.get("tagpip.index.inflight")
    if inflight is not None:
        inflight.reset()  # an earlier run in this process may have been interrupted

    def handler(signum: int, frame: object) -> None:
        # Imported only by a run that made a request: none made, none to stop.
        started = sys.modules.get("tagpip.index.inflight")
        if started is not None:
            started.abort_all()
        raise KeyboardInterrupt

    # Not possible outside the main thread (tests calling main() from a worker): skip it there.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, handler)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, handler)


def _default_int_handler_back() -> None:
    """Ctrl-C as it was before :func:`_terminate_as_interrupt` (for programs and tests that
    call :func:`main` in their own process): Python's own handler again."""
    current = signal.getsignal(signal.SIGINT)
    if getattr(current, "__qualname__", "") == "_terminate_as_interrupt.<locals>.handler":
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGINT, signal.default_int_handler)


def _print_err(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
    sys.stderr.flush()
