"""Turning errors and diagnostics into the text users read.

The shape follows compilers and linters so editors can jump to the spot::

    requirements.txt:3:28: unknown platform 'manylinux3'
        cryptography==3.2[manylinux3,cp36,x86_64]
                          ^^^^^^^^^^
    hint: did you mean 'manylinux2014'?
"""

from __future__ import annotations

from tagpip.errors import Diagnostic, Span, TagpipError, ValidationError

__all__ = ["render_diagnostic", "render_error", "render_span"]


def render_span(span: Span) -> str:
    """The user's line, indented, with carets under the span (at least one caret); credentials
    in a URL on it are shown as ``****``, as everywhere else (a terminal or a CI log is no place
    for the token the line holds)."""
    text, start, end = _without_credentials(span.text.rstrip("\r\n"), span.start, span.end)
    # Tabs would misalign the caret; expand them the same way in both lines.
    prefix = text[:start].expandtabs()
    marked = text[start : max(end, start + 1)].expandtabs()
    caret = " " * len(prefix) + "^" * max(1, len(marked))
    return f"    {text.expandtabs()}\n    {caret}"


def _without_credentials(text: str, start: int, end: int) -> tuple[str, int, int]:
    """``text`` with each URL's credentials shown as :func:`tagpip.urls.redact_url` shows them
    (``user:****@``, a lone user part as ``****@``), and the span's ``start`` and ``end`` moved
    with it: a position inside the credentials goes to where they begin."""
    if "@" not in text:
        return text, start, end
    from tagpip.urls import USERINFO, redact_text

    pieces: list[str] = []
    done = 0
    moved = [start, end]
    for match in USERINFO.finditer(text):
        shown = redact_text("//" + match.group())[2:]
        pieces += [text[done : match.start()], shown]
        shift = len(shown) - (match.end() - match.start())
        for i, position in enumerate((start, end)):
            if position >= match.end():
                moved[i] += shift
            elif position > match.start():
                moved[i] -= position - match.start()
        done = match.end()
    pieces.append(text[done:])
    return "".join(pieces), moved[0], moved[1]


def render_diagnostic(diagnostic: Diagnostic) -> str:
    """``FILE:LINE:COL: message`` (warnings say so), the line, the caret, and a hint. A URL's
    credentials in the message or hint are shown redacted, whoever wrote the message (the last
    guard: :func:`tagpip.urls.redact_text`)."""
    from tagpip.urls import redact_text

    label = "warning: " if diagnostic.severity == "warning" else ""
    message = redact_text(diagnostic.message)
    if diagnostic.span is None:
        lines = [f"{label}{message}"]
    else:
        span = diagnostic.span
        lines = [f"{span.source}:{span.line}:{span.column}: {label}{message}"]
        lines.append(render_span(span))
    if diagnostic.hint:
        lines.append(f"hint: {redact_text(diagnostic.hint)}")
    return "\n".join(lines)


def render_error(error: TagpipError) -> str:
    """The full text for an error: every diagnostic of a validation error, or the one message."""
    if isinstance(error, ValidationError):
        parts = [render_diagnostic(d) for d in error.diagnostics]
        return "\n".join(parts)
    diagnostic = Diagnostic("error", error.message, error.span, error.hint)
    text = render_diagnostic(diagnostic)
    if error.span is None:
        text = f"error: {text}"
    return text
