"""Which index serves a project: the words of the rule, read in one place.

Several indexes are searched in uv's order (named ``--index NAME=URL`` indexes, then extra
indexes, then the default ``--index-url``), and by default the first index that knows a project
serves all its versions (uv's ``first-index`` strategy), so that a public index cannot shadow an
internal project of the same name (dependency confusion). ``--index-strategy`` takes uv's names
for the other rules, pip's among them (``unsafe-best-match``). ``--index-for PROJECT=INDEX`` pins
a project to one index, named or given by URL. docs/package-indexes.md has the whole rule.

Standard library only at import (packaging's names only once a pin is read): ``tagpip check``
reads these options on its fast path, and the command line, pip's configuration and the index
client all read them here, so they cannot disagree.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

__all__ = [
    "DEFAULT_STRATEGY",
    "STRATEGIES",
    "STRATEGY_ALIASES",
    "IndexRuleError",
    "is_url",
    "parse_index",
    "parse_pin",
    "parse_strategy",
    "same_index",
]

# uv's names (``IndexStrategy``), the safe one first; uv's CLI also takes the aliases.
STRATEGIES: tuple[str, ...] = ("first-index", "unsafe-first-match", "unsafe-best-match")
STRATEGY_ALIASES = {"first-match": "first-index", "unsafe-any-match": "unsafe-first-match"}
DEFAULT_STRATEGY = "first-index"

# An index's name, as uv allows it: letters, digits, '-', '_' and '.'.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_PROJECT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")


class IndexRuleError(ValueError):
    """A value of ``--index``, ``--index-for`` or ``--index-strategy`` that does not read;
    ``message`` says why and ``hint`` what would."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def parse_strategy(text: str) -> str:
    """The strategy ``text`` names (uv's name or alias, any case), as its canonical name."""
    word = text.strip().lower()
    word = STRATEGY_ALIASES.get(word, word)
    if word not in STRATEGIES:
        raise IndexRuleError(
            f"{text.strip()!r} is not an index strategy",
            hint="one of " + ", ".join(STRATEGIES) + " (uv's names)",
        )
    return word


def is_url(text: str) -> bool:
    """Whether an index reference is a URL (else it is an index's name)."""
    return "://" in text or text.lower().startswith("file:")


def parse_index(text: str) -> tuple[str | None, str]:
    """``--index`` as ``(name, url)``: ``NAME=URL`` names an index (uv's form); a plain URL is
    pip's abbreviation of ``--index-url`` (name None), which replaces the default index. (uv
    reads a plain ``--index URL`` as an index searched before the default one; tagpip follows
    pip, the reading under which nothing falls back to another index.)"""
    value = text.strip()
    name, sep, url = value.partition("=")
    if sep and _NAME.fullmatch(name) and not is_url(name):
        if not url.strip():
            raise IndexRuleError(f"--index {value!r} names no URL", hint="write --index NAME=URL")
        return name.lower(), url.strip()
    if not value:
        raise IndexRuleError("--index needs a URL or NAME=URL")
    return None, value


def parse_pin(text: str) -> tuple[NormalizedName, str]:
    """``--index-for PROJECT=INDEX`` as ``(project, index)``: the index is a name given with
    ``--index NAME=URL`` (lower-cased) or a URL."""
    project, sep, index = text.strip().partition("=")
    project, index = project.strip(), index.strip()
    if not sep or not project or not index:
        raise IndexRuleError(
            f"--index-for takes PROJECT=INDEX, not {text.strip()!r}",
            hint="for example --index-for corp-internal=corp, with --index corp=URL",
        )
    if not _PROJECT.fullmatch(project):
        raise IndexRuleError(f"--index-for {text.strip()!r}: {project!r} is not a project name")
    if not is_url(index) and not _NAME.fullmatch(index):
        raise IndexRuleError(
            f"--index-for {text.strip()!r}: {index!r} is neither an index name nor a URL",
            hint="name the index with --index NAME=URL, or give its URL",
        )
    from packaging.utils import canonicalize_name

    return canonicalize_name(project), index if is_url(index) else index.lower()


def same_index(first: str, second: str) -> bool:
    """Whether two index URLs name the same index: credentials, a trailing slash and the case of
    the scheme and host aside."""
    return _comparable(first) == _comparable(second)


def _comparable(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    host = parts.netloc.rpartition("@")[2].lower()
    path = parts.path.rstrip("/") + "/"
    return urlunsplit((parts.scheme.lower(), host, path, parts.query, ""))
