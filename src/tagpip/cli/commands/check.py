"""`tagpip check`: validate the syntax and tags of requirement files, for people and pre-commit.

Every problem of every file (and of the ``-r``/``-c`` files they include) is reported at once,
as ``FILE:LINE:COL: message`` with the line, a caret and a hint, or as JSON for tools. Exit
status: 0 when there is no error (warnings alone pass), 1 when there is one, 2 for usage errors.

Start-up matters here (a pre-commit hook runs on every commit): this module imports only the
standard library at the top; the parser is imported inside :func:`run`, and nothing here reaches
the HTTP stack.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace
from typing import TYPE_CHECKING

# argparse is only needed for types here.
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any

    from tagpip.errors import Diagnostic

__all__ = ["quick_args", "register", "run"]

_FORMATS = ("text", "json")


def register(subparsers: Any) -> None:
    """Add the `check` command to the top-level parser."""
    parser = subparsers.add_parser(
        "check",
        help="validate tagged requirement files (syntax and tags)",
        description=(
            "Validate tagged requirement files and the files they include with -r/-c. "
            "Reports every problem as FILE:LINE:COL with the line and a caret. "
            "Exit status 0 when no errors (warnings alone pass), 1 otherwise."
        ),
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="requirement files to check")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="'text' (default) for people, 'json' for tools",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print only problems, no summary"
    )
    parser.set_defaults(run=run)


def quick_args(words: Sequence[str]) -> SimpleNamespace | None:
    """What the `check` parser makes of ``words`` (the words after ``check``) when they have the
    usual shape, options first then file names: ``-q``/``--quiet``, ``--format[=]text|json``,
    ``FILE...``. None for anything else (help, abbreviations, ``--``, a name starting with '-'),
    which argparse then parses and reports on.

    Importing argparse and building the parser (its help formatter pulls in shutil and locale)
    cost a pre-commit hook more start-up than checking a long file does. The attributes are the
    ones argparse would set.
    """
    quiet = False
    output = "text"
    position = 0
    while position < len(words) and words[position].startswith("-"):
        word = words[position]
        if word in ("-q", "--quiet"):
            quiet = True
        elif word.startswith("--format=") and word[len("--format=") :] in _FORMATS:
            output = word[len("--format=") :]
        elif word == "--format" and position + 1 < len(words) and words[position + 1] in _FORMATS:
            position += 1
            output = words[position]
        else:
            return None
        position += 1
    files = list(words[position:])
    if not all(name and not name.startswith("-") for name in files):
        return None
    return SimpleNamespace(command="check", files=files, format=output, quiet=quiet, run=run)


def run(args: argparse.Namespace | SimpleNamespace) -> int:
    """Check every file named on the command line; print the problems; return the exit status."""
    from tagpip.cli.render import render_diagnostic
    from tagpip.errors import UsageError
    from tagpip.requirements import validate_requirements_files

    files: list[str] = list(args.files)
    if not files:
        raise UsageError("no files to check", hint="name one or more requirement files")

    diagnostics: list[Diagnostic] = []
    seen: set[tuple[object, ...]] = set()
    read: dict[str, None] = {}
    for path in files:
        if _named_as_pylock(path):
            diagnostics.extend(_check_pylock(path))
            read[path] = None
            continue
        found, included = validate_requirements_files(path)
        read.update(dict.fromkeys(included))
        for diagnostic in found:
            # A file included by two of the files named is reported once.
            span = diagnostic.span
            key = (
                (span.source, span.line, span.start, span.end) if span else (path,),
                diagnostic.severity,
                diagnostic.message,
            )
            if key not in seen:
                seen.add(key)
                diagnostics.append(diagnostic)

    errors = sum(1 for d in diagnostics if d.severity == "error")
    warnings = len(diagnostics) - errors
    out = sys.stdout
    if args.format == "json":
        import json

        out.write(json.dumps([_as_json(d, files) for d in diagnostics], indent=2) + "\n")
    else:
        for diagnostic in diagnostics:
            out.write(render_diagnostic(diagnostic) + "\n")
        if not args.quiet:
            out.write(_summary(files, list(read), errors, warnings) + "\n")
    out.flush()
    return 1 if errors else 0


def _named_as_pylock(path: str) -> bool:
    """Whether ``path`` has a PEP 751 lock file's name (``pylock.toml``, ``pylock.NAME.toml``).

    A cheap look at the name first, so that an ordinary requirement file never imports the lock
    stage (start-up); :func:`tagpip.lock.is_pylock_name` has the last word."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    if not (name.startswith("pylock.") and name.endswith(".toml")):
        return False
    from tagpip.lock import is_pylock_name

    return is_pylock_name(path)


def _check_pylock(path: str) -> list[Diagnostic]:
    """A PEP 751 lock file is checked as what it is, with the same reader ``install -r`` and
    ``lock`` use (every key and package), not parsed line by line as requirements: the message
    names the package and key at fault."""
    from tagpip.errors import Diagnostic
    from tagpip.lock import LockError, read_lock

    try:
        read_lock(path)
    except LockError as error:
        return [Diagnostic("error", error.message, hint=error.hint)]
    return []


def _summary(named: list[str], read: list[str], errors: int, warnings: int) -> str:
    """``1 file checked: no problems``; with files read through ``-r``/``-c``, each is counted
    and the included ones named (a problem may be in one of them)."""
    included = [path for path in read if path not in named]
    count = len(dict.fromkeys([*named, *included]))
    checked = f"{count} file{'s' if count != 1 else ''} checked"
    if included:
        checked += f" ({', '.join(named)}; included: {', '.join(included)})"
    if not errors and not warnings:
        return f"{checked}: no problems"
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return f"{checked}: {', '.join(parts)}"


def _as_json(diagnostic: Diagnostic, files: list[str]) -> dict[str, object]:
    span = diagnostic.span
    return {
        "file": span.source if span else _file_of(diagnostic.message, files),
        "line": span.line if span else None,
        "column": span.column if span else None,
        "end_column": (max(span.end, span.start + 1) + 1) if span else None,
        "severity": diagnostic.severity,
        "message": diagnostic.message,
        "hint": diagnostic.hint,
    }


def _file_of(message: str, files: list[str]) -> str | None:
    """The file a spanless diagnostic is about (an unreadable top-level file names itself)."""
    for path in files:
        if repr(path) in message or message.startswith(f"{path}: "):
            return path
    return None
