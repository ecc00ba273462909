"""The root of tagpip's error hierarchy and the source spans errors point at.

Every failure a user can cause is a :class:`TagpipError`. Errors carry data (a span, the causes,
the project), not only text: only :mod:`tagpip.cli` turns them into words and exit codes. Each
pipeline stage defines its own subclasses in its own module; the few shared by every stage live
here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


__all__ = [
    "Diagnostic",
    "Span",
    "TagpipError",
    "UsageError",
    "ValidationError",
]


@dataclass(frozen=True)
class Span:
    """A stretch of one physical line of the user's input.

    ``source`` names where the line came from (a file path as the user gave it, or a label such
    as ``<command line>``); ``line`` is 1-based; ``start`` and ``end`` are 0-based columns into
    ``text``, the user's own line exactly as written (no continuation joining, no variable
    expansion), so a caret drawn under ``text[start:end]`` lands on what the user typed.
    """

    source: str
    line: int
    start: int
    end: int
    text: str

    @property
    def column(self) -> int:
        """The 1-based column of the start, as editors and compilers print it."""
        return self.start + 1


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the user's input, with where it is and what would fix it."""

    severity: Severity
    message: str
    span: Span | None = None
    hint: str | None = None


class TagpipError(Exception):
    """Base class of every error tagpip reports to a user (exit status 1 unless said otherwise).

    ``message`` says what went wrong in plain words; ``hint`` says what to do about it; ``span``,
    when set, is where in the user's input the problem is.
    """

    exit_status: int = 1

    def __init__(self, message: str, *, hint: str | None = None, span: Span | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.span = span

    def __str__(self) -> str:
        return self.message


class UsageError(TagpipError):
    """The command line itself is wrong (exit status 2, as argparse and pip use)."""

    exit_status = 2


class ValidationError(TagpipError):
    """Several problems found at once, so the user can fix them in one go."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        errors = [d for d in diagnostics if d.severity == "error"]
        count = len(errors)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} found")
        self.diagnostics = tuple(diagnostics)
