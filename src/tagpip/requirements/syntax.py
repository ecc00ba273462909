"""Parsing tagged requirement lines and pip-format requirement files.

A tagged requirement is PEP 508 with one more bracket group, the tag block (docs/syntax.md)::

    name [extras] [version-specifier] [tag-block] [; marker] [options] [# comment]

This module finds where the PEP 508 part ends, cuts the tag block out and hands the rest to
:class:`packaging.requirements.Requirement`: PEP 508 is packaging's job, not ours. Files follow
pip's format (comments, ``\\`` continuations, ``${VAR}``, ``-r``/``-c``, option lines, ``--hash``),
read the way pip reads them: join continuations, strip comments, expand variables, then split a
line into its requirement and its options.

Every span points into the user's own physical line: each character of a logical line remembers
the physical line and column it came from, so a caret lands on what the user typed even after
continuation joining and variable expansion.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tagpip.errors import Diagnostic, Span, TagpipError, ValidationError
from tagpip.hashes import HEX_LENGTHS
from tagpip.requirements.checkfast import (
    NAME_PATTERN,
    group_reads_as_tags,
    plain_requirement,
    plainly_valid,
)
from tagpip.tags import (
    TagSpec,
    TokenError,
    VocabularyError,
    check_tag_block,
    format_tag_block,
    parse_abi,
    parse_implementation_code,
    parse_platform,
    parse_python_version,
    tag_block_problems,
)

if TYPE_CHECKING:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import NormalizedName

__all__ = [
    "FileOptions",
    "OptionValue",
    "RequirementSyntaxError",
    "RequirementsFile",
    "TagLikeExtras",
    "TaggedRequirement",
    "check_requirements_file",
    "check_requirements_text",
    "decode_requirements",
    "format_requirement",
    "parse_line",
    "parse_requirements_file",
    "parse_requirements_text",
    "validate_requirements_file",
    "validate_requirements_files",
]


class RequirementSyntaxError(TagpipError):
    """A line of a requirement file (or a requirement given as text) cannot be read.

    ``span`` is where on the user's line; the message says what was expected in plain words.
    """

    def diagnostic(self) -> Diagnostic:
        """This error as a diagnostic, for reports that collect many problems."""
        return Diagnostic("error", self.message, self.span, self.hint)


@dataclass(frozen=True, eq=False)
class TaggedRequirement:
    """One requirement: the PEP 508 part (packaging's value), its tag block, and where it came from.

    ``name`` is the PEP 503-normalised project name; ``tags`` is None when the line has no tag
    block; ``hashes`` are ``algo:hex`` strings from ``--hash`` options on the line (lower-cased,
    in the order given); ``span`` covers the requirement on the user's own line.
    ``config_settings`` are the line's ``-C KEY=VALUE`` values, for the build backend when the
    project is built from source. ``tag_like_extras`` is set when the line's only bracket group
    is extras that read as a tag block (``numpy[manylinux2014,cp39]``): ``check`` warns, and the
    resolver refuses the line unless the project declares those extras (only its metadata can
    say).

    Two values are equal when they say the same thing: same ``str(requirement)``, name, tag block,
    hashes and build settings; where they were written (spans) does not count.
    """

    requirement: Requirement
    name: NormalizedName
    tags: TagSpec | None
    hashes: tuple[str, ...]
    span: Span
    tag_like_extras: TagLikeExtras | None = None
    config_settings: tuple[str, ...] = ()

    def _key(self) -> tuple[object, ...]:
        return (str(self.requirement), self.name, self.tags, self.hashes, self.config_settings)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TaggedRequirement):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return format_requirement(self)


@dataclass(frozen=True)
class TagLikeExtras:
    """A lone bracket group that PEP 508 makes extras but that reads as a tag block.

    ``group`` is as written (``[manylinux2014,cp39]``), ``extras`` its names normalised,
    ``span`` where it is, ``suggestion`` the line written with a tag block
    (``numpy[][manylinux2014,cp39]``). :meth:`warning` is what ``check`` says; the fetching
    commands refuse the line with the same words unless the project declares every name.
    """

    group: str
    extras: frozenset[str]
    span: Span
    suggestion: str

    def warning(self) -> Diagnostic:
        """``check``'s warning (it cannot read the project's metadata, so it cannot decide)."""
        return Diagnostic(
            "warning",
            f"{self.group} is read as extras (PEP 508), but it looks like a tag block",
            self.span,
            f"for tags write {self.suggestion!r}",
        )


@dataclass(frozen=True)
class OptionValue:
    """One option's value from a requirement file and where it was written (the value's span)."""

    value: str
    span: Span


@dataclass(frozen=True)
class FileOptions:
    """The option lines of a requirement file and the files it includes, merged in reading order.

    Flags are the Span of where they were set, or None when not set. Single-valued options keep
    the last value, as pip does (``python_version`` and ``implementation`` must agree: they
    describe the target). ``no_binary`` is recorded so that ``download`` can refuse it by name.
    ``release_control`` is pip 26's pre-release control in the order written: ``("pre",
    value)``, ``("all_releases", value)`` and ``("only_final", value)``, each value ``:all:`` or
    ``:none:`` (per-project values are refused).
    """

    index_url: OptionValue | None = None
    extra_index_urls: tuple[OptionValue, ...] = ()
    find_links: tuple[OptionValue, ...] = ()
    no_index: Span | None = None
    pre: Span | None = None
    prefer_binary: Span | None = None
    require_hashes: Span | None = None
    no_require_hashes: Span | None = None
    release_control: tuple[tuple[str, OptionValue], ...] = ()
    only_binary: tuple[OptionValue, ...] = ()
    no_binary: tuple[OptionValue, ...] = ()
    trusted_hosts: tuple[OptionValue, ...] = ()
    platforms: tuple[OptionValue, ...] = ()
    python_version: OptionValue | None = None
    implementation: OptionValue | None = None
    abis: tuple[OptionValue, ...] = ()
    # Which index serves a project (tagpip.config.indexrules): --index NAME=URL lines (a plain
    # --index URL is pip's --index-url, kept in index_url), --index-for PROJECT=INDEX lines and
    # the last --index-strategy, each value as written (and checked).
    named_indexes: tuple[OptionValue, ...] = ()
    index_pins: tuple[OptionValue, ...] = ()
    index_strategy: OptionValue | None = None


@dataclass(frozen=True)
class RequirementsFile:
    """A requirement file with everything it includes.

    ``requirements`` come from the file and its ``-r`` files, ``constraints`` from ``-c`` files,
    both in reading order. ``diagnostics`` are warnings (and, from the ``check_*`` functions,
    errors too); ``files`` are the sources read, the top file first.
    """

    path: str
    requirements: tuple[TaggedRequirement, ...]
    constraints: tuple[TaggedRequirement, ...]
    options: FileOptions
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that are errors."""
        return tuple(d for d in self.diagnostics if d.severity == "error")


# --- logical lines ----------------------------------------------------------------------------

# pip's own rules (pip/_internal/req/req_file.py): a comment starts at '#' at the line start or
# after whitespace, so a '#' inside a URL fragment is kept.
_COMMENT_RE = re.compile(r"(^|\s+)#.*$")
_ENV_VAR_RE = re.compile(r"\$\{([A-Z0-9_]+)\}")

_Origin = tuple[int, int, int]  # physical line index, start column, end column


# The private records below are plain classes, not dataclasses: making a dataclass costs a good
# fraction of a millisecond at import, which `tagpip check` pays on every commit.


class _Logical:
    """One logical line: its text and where each character was on the physical lines.

    Most lines are one physical line with nothing expanded: then ``origin`` is None and logical
    position ``i`` is column ``shift + i`` of physical line ``index``. Otherwise ``origin`` maps
    every character to (physical line index, start column, end column).
    """

    __slots__ = ("first_line", "index", "lines", "origin", "shift", "source", "text")

    def __init__(
        self,
        text: str,
        origin: list[_Origin] | None,
        lines: Sequence[str],
        source: str,
        first_line: int,  # line number of lines[0]
        index: int = 0,
        shift: int = 0,
    ) -> None:
        self.text = text
        self.origin = origin
        self.lines = lines
        self.source = source
        self.first_line = first_line
        self.index = index
        self.shift = shift

    def span(self, start: int, end: int) -> Span:
        """The span on the user's physical line of logical ``text[start:end]``.

        A stretch that crosses a continuation is cut at the end of its first physical line.
        """
        end = max(end, start)
        if self.origin is None:
            line = self.lines[self.index]
            col = min(self.shift + start, len(line))
            stop = min(self.shift + end, len(line))
            return Span(self.source, self.first_line + self.index, col, stop, line)
        if not self.origin:
            return Span(self.source, self.first_line, 0, 0, self.lines[0] if self.lines else "")
        start = min(max(start, 0), len(self.origin) - 1)
        index, col, _ = self.origin[start]
        stop = col
        for i in range(start, min(end, len(self.origin))):
            line_index, _, col_end = self.origin[i]
            if line_index != index:
                break
            stop = max(stop, col_end)
        return Span(self.source, self.first_line + index, col, stop, self.lines[index])


def _logical_lines(
    content: str, source: str, first_line: int = 1, skip: Callable[[str], bool] | None = None
) -> Iterator[_Logical]:
    """The logical lines of a file, after continuation joining, comment stripping and ``${VAR}``
    expansion (pip's order); blank results are skipped, and so are those for which ``skip`` says
    True (before their spans are worked out)."""
    # str.splitlines, as pip: a lone '\r', form feed, vertical tab, the file/group/record
    # separators, NEL and the Unicode line and paragraph separators all end a line.
    lines = content.splitlines()
    text_parts: list[str] = []
    origin: list[_Origin] = []
    for index, line in enumerate(lines):
        is_comment = line.lstrip().startswith("#")
        if line.endswith("\\") and not is_comment:
            segment = line.rstrip("\\")
            text_parts.append(segment)
            origin.extend((index, c, c + 1) for c in range(len(segment)))
            continue
        if not text_parts:
            if is_comment or not line.strip():
                continue
            if "${" not in line:
                # The common case: one physical line, nothing to expand.
                text = line
                match = _COMMENT_RE.search(text) if "#" in text else None
                if match:
                    text = text[: match.start()]
                stripped = text.lstrip()
                if stripped.strip():
                    lead = len(text) - len(stripped)
                    text = stripped.rstrip()
                    if skip is None or not skip(text):
                        yield _Logical(text, None, lines, source, first_line, index, lead)
                continue
        if is_comment and text_parts:
            # pip puts a space before a comment line that ends a continuation, so it is removed.
            text_parts.append(" ")
            origin.append((index, 0, 0))
        text_parts.append(line)
        origin.extend((index, c, c + 1) for c in range(len(line)))
        logical = _finish("".join(text_parts), origin, lines, source, first_line)
        if logical is not None and (skip is None or not skip(logical.text)):
            yield logical
        text_parts, origin = [], []
    if text_parts:
        logical = _finish("".join(text_parts), origin, lines, source, first_line)
        if logical is not None and (skip is None or not skip(logical.text)):
            yield logical


def _finish(
    text: str, origin: list[_Origin], lines: Sequence[str], source: str, first_line: int
) -> _Logical | None:
    """Strip the comment and surrounding whitespace, expand variables; None when nothing is left."""
    match = _COMMENT_RE.search(text)
    if match:
        text, origin = text[: match.start()], origin[: match.start()]
    stripped = text.lstrip()
    lead = len(text) - len(stripped)
    stripped = stripped.rstrip()
    text, origin = stripped, origin[lead : lead + len(stripped)]
    if not text:
        return None
    if "${" in text:
        text, origin = _expand(text, origin)
    return _Logical(text, origin, lines, source, first_line)


def _expand(text: str, origin: list[_Origin]) -> tuple[str, list[_Origin]]:
    """pip's ``${NAME}`` expansion from the environment (unset names stay as written); every
    character of a value maps back to the whole ``${NAME}`` the user wrote."""
    parts: list[str] = []
    new_origin: list[_Origin] = []
    position = 0
    for match in _ENV_VAR_RE.finditer(text):
        value = os.environ.get(match.group(1))
        if not value:
            continue  # unset or empty: left as written, as pip does
        parts.append(text[position : match.start()])
        new_origin.extend(origin[position : match.start()])
        first = origin[match.start()]
        last = origin[match.end() - 1]
        end = last[2] if last[0] == first[0] else first[2]
        parts.append(value)
        new_origin.extend((first[0], first[1], end) for _ in value)
        position = match.end()
    parts.append(text[position:])
    new_origin.extend(origin[position:])
    return "".join(parts), new_origin


# --- words of a line --------------------------------------------------------------------------

_WORD_RE = re.compile(r"""(?:[^\s"']+|"[^"]*"|'[^']*')+|["']""")


class _Word:
    __slots__ = ("end", "start", "text")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text = text  # quotes removed
        self.start = start
        self.end = end


def _words(text: str, offset: int) -> Iterator[_Word | str]:
    """Whitespace-separated words (shell-like quoting) with their positions in the logical line;
    a string for an unterminated quote."""
    for match in _WORD_RE.finditer(text):
        raw = match.group(0)
        if raw in ('"', "'"):
            yield "unterminated quote"
            return
        value = re.sub(r""""([^"]*)"|'([^']*)'""", lambda m: m.group(1) or m.group(2) or "", raw)
        yield _Word(value, offset + match.start(), offset + match.end())


# --- option lines -----------------------------------------------------------------------------

# name -> (destination, takes a value)
_FILE_OPTIONS: dict[str, tuple[str, bool]] = {
    "-r": ("requirement", True),
    "--requirement": ("requirement", True),
    "-c": ("constraint", True),
    "--constraint": ("constraint", True),
    "-i": ("index_url", True),
    "--index-url": ("index_url", True),
    "--extra-index-url": ("extra_index_urls", True),
    "-f": ("find_links", True),
    "--find-links": ("find_links", True),
    "--no-index": ("no_index", False),
    "--pre": ("pre", False),
    "--prefer-binary": ("prefer_binary", False),
    "--require-hashes": ("require_hashes", False),
    "--no-require-hashes": ("no_require_hashes", False),
    "--pypi-url": ("index_url", True),
    "--all-releases": ("all_releases", True),
    "--only-final": ("only_final", True),
    "--use-feature": ("ignored", True),
    "--only-binary": ("only_binary", True),
    "--no-binary": ("no_binary", True),
    "--trusted-host": ("trusted_hosts", True),
    "--platform": ("platforms", True),
    "--python-version": ("python_version", True),
    "--implementation": ("implementation", True),
    "--abi": ("abis", True),
    "--index": ("named_indexes", True),
    "--index-for": ("index_pins", True),
    "--index-strategy": ("index_strategy", True),
}
_LINE_OPTIONS: dict[str, tuple[str, bool]] = {
    "--hash": ("hash", True),
    # pip's per-requirement build settings: passed to the PEP 517 backend when tagpip builds
    # this project from source (tagpip.build.builder), as pip passes them.
    "--config-settings": ("config_settings", True),
    "-C": ("config_settings", True),
}
# pip 26.3's --use-feature choices (cmdoptions.use_new_feature); pip refuses any other.
_PIP_FEATURES = ("fast-deps", "inprocess-build-deps", "venv-isolation")
# Options pip takes in a file that tagpip refuses on purpose, each with the reason by name.
# (pip 26 takes -e and -C/--config-settings; --global-option and --install-option are gone from
# pip 26 but still in old files.) The table in docs/syntax.md and tests/test_reqfile_options.py,
# which reads pip's own list, hold every option of pip to one documented behaviour.
_EDITABLE = (
    "-e/--editable is not supported: an editable install links to a source folder on this "
    "machine, which a folder for another machine cannot use"
)
_BUILD_OPTION = (
    "is not supported: tagpip builds pure-Python sources only in isolated PEP 517 "
    "environments of its own, so build options do not apply"
)
_REFUSED = {
    "-e": _EDITABLE,
    "--editable": _EDITABLE,
    "--global-option": f"--global-option {_BUILD_OPTION}",
    "--install-option": f"--install-option {_BUILD_OPTION}",
}


def _find_option(
    name: str, table: dict[str, tuple[str, bool]]
) -> tuple[str, str, bool] | str | None:
    """(canonical name, destination, takes value) for ``name`` or a unique long-option prefix of
    it, as optparse (and so pip) accepts; a message for an ambiguous prefix; None if unknown."""
    if name in table:
        return (name, *table[name])
    if name.startswith("--") and len(name) > 3:
        matches = sorted(n for n in table if n.startswith(name))
        if len(matches) == 1:
            return (matches[0], *table[matches[0]])
        if len(matches) > 1:
            return f"ambiguous option {name!r}: it could be {', '.join(matches)}"
    return None


_OptionHit = tuple[str, str, _Word]  # canonical name, destination, value word (flag: the option)


def _parse_options(
    logical: _Logical, start: int, table: dict[str, tuple[str, bool]], where: str
) -> tuple[list[_OptionHit], list[Diagnostic]]:
    """The options in ``logical.text[start:]``, each with its value, or the problems found."""
    hits: list[_OptionHit] = []
    problems: list[Diagnostic] = []
    words = list(_words(logical.text[start:], start))
    if words and isinstance(words[-1], str):
        # An unterminated quote swallows the rest of the line: say only that.
        end = len(logical.text)
        return hits, [_error(words[-1], logical.span(end - 1, end), hint="close the quote")]
    position = 0
    while position < len(words):
        word = words[position]
        position += 1
        if isinstance(word, str):
            problems.append(_error(word, logical.span(len(logical.text) - 1, len(logical.text))))
            break
        span = logical.span(word.start, word.end)
        if not word.text.startswith("-") or word.text == "-":
            problems.append(
                _error(
                    f"expected an option, not {word.text!r}",
                    span,
                    hint="write one requirement per line; options start with '-'",
                )
            )
            continue
        name, value, has_value = word.text, "", False
        if word.text.startswith("--") and "=" in word.text:
            name, value = word.text.split("=", 1)
            has_value = True
        elif not word.text.startswith("--") and len(word.text) > 2:
            name, value, has_value = word.text[:2], word.text[2:], True
        refused = _REFUSED.get(name)
        if refused:
            hint = None
            if name in ("-e", "--editable"):
                following = words[position] if position < len(words) else None
                folder = value if has_value else getattr(following, "text", None)
                if folder:
                    hint = (
                        f"write the folder or URL alone ({folder}): tagpip builds a pure-Python "
                        "project into a wheel for the target"
                    )
            problems.append(_error(refused, span, hint=hint))
            if not has_value and position < len(words):
                position += 1  # every refused option takes a value: skip it too
            continue
        found = _find_option(name, table)
        if isinstance(found, str):
            problems.append(_error(found, span))
            continue
        if found is None:
            problems.append(_unknown_option(name, span, table, where))
            next_word = words[position] if position < len(words) else None
            if (
                not has_value
                and isinstance(next_word, _Word)
                and not next_word.text.startswith("-")
            ):
                position += 1  # most likely its value: one report per mistake
            continue
        canonical, destination, takes_value = found
        if not takes_value:
            if has_value:
                problems.append(_error(f"{canonical} takes no value", span))
                continue
            hits.append((canonical, destination, word))
            continue
        if has_value:
            value_start = word.end - len(value) if word.text.endswith(value) else word.start
            value_word = _Word(value, value_start, word.end)
        elif position < len(words) and not isinstance(words[position], str):
            next_word = words[position]
            assert isinstance(next_word, _Word)
            value_word = next_word
            position += 1
        else:
            problems.append(_error(f"{canonical} needs a value", span))
            continue
        if not value_word.text:
            problems.append(_error(f"{canonical} needs a value", span))
            continue
        hits.append((canonical, destination, value_word))
    return hits, problems


def _unknown_option(
    name: str, span: Span, table: dict[str, tuple[str, bool]], where: str
) -> Diagnostic:
    import difflib

    if table is _LINE_OPTIONS and name in _FILE_OPTIONS:
        # pip parses it and then drops it without a word (req_file.handle_line): refused, so
        # that what the user asked for is not silently lost.
        return _error(
            f"{name} after a requirement is refused: pip ignores it there without a word",
            span,
            hint=f"put {name} on a line of its own: it applies to the whole file",
        )
    if table is _FILE_OPTIONS and name in _LINE_OPTIONS:
        # pip warns and drops the hash; a hash is a safety check, so tagpip refuses instead.
        dropped = ", which would drop a hash check" if name == "--hash" else ""
        return _error(
            f"{name} on a line of its own is refused: it belongs to no requirement (pip "
            f"ignores it with a warning{dropped})",
            span,
            hint="end the requirement's line with '\\' to continue it onto this one",
        )
    # Never the opposite option: '--no-foo' is not a typo of '--foo'.
    negative = name.startswith("--no-")
    candidates = [n for n in table if n.startswith("--no-") == negative]
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else None
    return _error(f"unknown option {name!r} {where}", span, hint=hint)


def _error(message: str, span: Span | None, hint: str | None = None) -> Diagnostic:
    return Diagnostic("error", message, span, hint)


# --- requirement lines ------------------------------------------------------------------------

_NAME_RE = re.compile(NAME_PATTERN)
_PACKAGING_WORDS = (
    ("RIGHT_BRACKET", "']'"),
    ("LEFT_BRACKET", "'['"),
    ("RIGHT_PARENTHESIS", "')'"),
    ("LEFT_PARENTHESIS", "'('"),
    ("SEMICOLON", "';'"),
    ("COMMA", "','"),
)


def _split_args_options(text: str) -> int:
    """Where the options of a requirement line start (pip's rule: the first space-separated
    word starting with '-'); ``len(text)`` when there are none."""
    position = 0
    for word in text.split(" "):
        if word.startswith("-"):
            return position
        position += len(word) + 1
    return len(text)


def _match_bracket(text: str, start: int) -> int:
    """The index of the ']' closing the '[' at ``start``, or -1."""
    return text.find("]", start + 1)


class _Cut:
    """A requirement with its tag block cut out: positions map back to the original text."""

    __slots__ = ("block_end", "block_start", "inserted", "inserted_at", "text")

    def __init__(self, text: str, block_start: int, block_end: int) -> None:
        self.text = text  # what packaging gets
        self.block_start = block_start  # position of '[' in the original, or -1
        self.block_end = block_end  # position after ']' in the original
        self.inserted_at = -1  # where text was widened (a URL's ';' made ' ; '), or -1
        self.inserted = 0  # by how many characters

    def original(self, position: int) -> int:
        if self.inserted_at >= 0 and position > self.inserted_at:
            return max(position - self.inserted, self.inserted_at)
        if self.block_start < 0 or position < self.block_start:
            return position
        return position + (self.block_end - self.block_start)


def _url_marker_cut(text: str) -> _Cut:
    """A URL requirement split at its first ';' as pip splits it (``req_file`` hands
    ``name @ URL;marker`` to ``parse_req_from_line``, which cuts at the first ';' whatever
    surrounds it); packaging, which wants whitespace between a URL and ';', gets ``' ; '``."""
    semi = text.find(";")
    if semi < 0:
        return _Cut(text, -1, -1)
    head = text[:semi].rstrip()
    widened = f"{head} ; {text[semi + 1 :].lstrip()}"
    cut = _Cut(widened, -1, -1)
    cut.inserted_at = len(head)
    cut.inserted = len(widened) - len(text)
    return cut


def _find_tag_block(text: str) -> tuple[_Cut, tuple[int, int] | None, int]:
    """Cut the tag block out of a requirement; also return the extras group's position when it
    is the only group (it might be meant as tags), and where an unclosed tag block opens (-1)."""
    match = _NAME_RE.match(text)
    no_cut = _Cut(text, -1, -1)
    if not match:
        return no_cut, None, -1
    position = match.end()
    while position < len(text) and text[position].isspace():
        position += 1
    extras: tuple[int, int] | None = None
    if position < len(text) and text[position] == "[":
        close = _match_bracket(text, position)
        if close < 0:
            return no_cut, None, -1  # packaging says what is wrong
        extras = (position, close + 1)
        position = close + 1
    rest = text[position:].lstrip()
    if rest.startswith("@"):
        return _url_marker_cut(text), None, -1  # a URL requirement has no tag block
    while position < len(text) and text[position] not in "[;":
        position += 1
    if position >= len(text) or text[position] == ";":
        return no_cut, extras, -1
    close = _match_bracket(text, position)
    if close < 0:
        return no_cut, None, position
    cut = _Cut(text[:position] + text[close + 1 :], position, close + 1)
    return cut, None, -1


def _parse_requirement(
    logical: _Logical, diagnostics: list[Diagnostic], *, build: bool = True
) -> TaggedRequirement | None:
    """One requirement line; problems go to ``diagnostics``; None when the line is unusable.

    With ``build`` False the line is only validated and None is returned: no TagSpec is built,
    and a requirement in the subset of PEP 508 that :data:`_PLAIN_PATTERN` matches skips
    packaging's parser, which is most of the cost of ``tagpip check`` on a large file.
    """
    text = logical.text
    options_at = _split_args_options(text)
    req_text = text[:options_at].rstrip()
    req_span = logical.span(0, len(req_text))
    first_new = len(diagnostics)
    hashes: list[str] = []
    settings: list[str] = []
    if options_at < len(text):
        hits, problems = _parse_options(logical, options_at, _LINE_OPTIONS, "after a requirement")
        diagnostics.extend(problems)
        for _, destination, word in hits:
            if destination == "config_settings":
                if "=" not in word.text:
                    diagnostics.append(
                        _error(
                            f"-C/--config-settings takes KEY=VALUE, not {word.text!r}",
                            logical.span(word.start, word.end),
                        )
                    )
                else:
                    settings.append(word.text)
                continue
            problem = _check_hash(word.text)
            if problem:
                diagnostics.append(_error(problem, logical.span(word.start, word.end)))
            else:
                hashes.append(word.text.lower())

    local = _bare_url(req_text, logical, req_span, diagnostics, build)
    if local is None:
        local = _local_path(req_text, logical, req_span, diagnostics, build)
    if local is not None:
        if not local:
            return None
        req_text = local
    if not _NAME_RE.match(req_text):
        looks_like_path = req_text.startswith((".", "/", "~")) or "://" in req_text
        if looks_like_path or "/" in req_text or "\\" in req_text:
            diagnostics.append(
                _error(
                    "expected a project name, not a path or URL",
                    req_span,
                    hint="name the project: 'name @ https://...' (tagpip fetches wheels by name)",
                )
            )
            return None

    cut, lone_extras, unclosed_at = _find_tag_block(req_text)
    tags: TagSpec | None = None
    if unclosed_at >= 0:
        diagnostics.append(
            _error(
                "this tag block has no closing ']'",
                logical.span(unclosed_at, len(req_text)),
                hint="close it, e.g. [manylinux2014,cp39,x86_64]",
            )
        )
        return None
    if cut.block_start >= 0:
        block_text = req_text[cut.block_start : cut.block_end]
        block_span = logical.span(cut.block_start, cut.block_end)
        if build:
            tags, token_errors = check_tag_block(block_text, block_span)
        else:
            token_errors = tag_block_problems(block_text, block_span)
        diagnostics.extend(e.diagnostic() for e in token_errors)

    requirement: Requirement | None = None
    if build or not plain_requirement(cut.text):
        # Imported here: `tagpip check` on a file of plain pins never needs packaging's parser.
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            requirement = Requirement(cut.text)
        except InvalidRequirement as error:
            diagnostics.append(_packaging_error(error, cut, logical, len(req_text)))
            return None
        if requirement.url is not None and not _URL_SCHEME_RE.match(requirement.url):
            # PEP 508 wants a URL after '@'; pip parses a path there, then fails to fetch it
            # ("Invalid URL ...: No scheme supplied").
            diagnostics.append(
                _error(
                    f"'{requirement.name} @ {requirement.url}': a path after '@' is not a URL "
                    "(pip fails on it too)",
                    req_span,
                    hint=f"write the path alone ({requirement.url}), which pip and tagpip read "
                    "as a local wheel, archive or folder, or a file: URL",
                )
            )
            return None

    tag_like: TagLikeExtras | None = None
    if lone_extras is not None and (requirement is None or requirement.url is None):
        tag_like = _tag_like_extras(req_text, lone_extras, logical)
        if tag_like is not None:
            diagnostics.append(tag_like.warning())

    if not build or requirement is None:
        return None
    if any(d.severity == "error" for d in diagnostics[first_new:]):
        return None
    from packaging.utils import canonicalize_name

    return TaggedRequirement(
        requirement=requirement,
        name=canonicalize_name(requirement.name),
        tags=tags,
        hashes=tuple(hashes),
        span=req_span,
        tag_like_extras=tag_like,
        config_settings=tuple(settings),
    )


_ARCHIVES = (
    *(".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz", ".txz"),
    *(".tlz", ".tar.lz", ".tar.lzma"),
)  # pip's ARCHIVE_EXTENSIONS


# The schemes pip's is_url() reads a line as a URL for: http, https, file, ftp and the VCS ones.
_URL_SCHEME_RE = re.compile(r"(?i)(?:https?|ftp|file|(?:git|hg|svn|bzr)(?:\+[a-z]+)?):")


def _bare_url(
    text: str, logical: _Logical, span: Span, diagnostics: list[Diagnostic], build: bool
) -> str | None:
    """A line that is a URL alone, read as pip reads it (``parse_req_from_line``): the text
    ``name @ URL ; marker`` for it, "" when it has been reported, None when it is no URL.

    As pip: after a URL the marker starts at ``"; "`` (a ``;`` inside a URL is the URL's); a
    wheel's name is its file name's, a source's (an sdist, a VCS URL) its ``#egg=`` fragment's; a
    ``file:`` URL is the local path it names (relative to the working directory when it is
    relative, ``file:./dist/x.whl``), read as such a path is. Any other URL alone names no
    project that tagpip can read without building it (pip builds it to find out), so that is
    refused, saying how to name it.
    """
    head = text.strip()
    if not _URL_SCHEME_RE.match(head) or " @ " in head:
        return None
    url, sep, marker = head.partition("; ")
    url, marker = url.strip(), marker.strip()
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme.lower() == "file":
        if parts.netloc not in ("", "localhost"):
            diagnostics.append(
                _error(f"the file: URL {url} names another host ({parts.netloc})", span)
            )
            return ""
        from urllib.request import url2pathname

        path = url2pathname(parts.path)
        if url[len("file:") :].startswith("//"):
            path = os.path.normpath(path)
        local = _local_path(
            path + (f";{marker}" if marker else ""), logical, span, diagnostics, build
        )
        if local is None:
            diagnostics.append(
                _error(
                    f"{url} names no wheel, archive or folder",
                    span,
                    hint="a file: URL alone must name a local wheel, source archive or folder",
                )
            )
            return ""
        return local
    suffix = f" ; {marker}" if sep and marker else ""
    egg = re.search(r"[#&]egg=([^&]*)", url)
    if egg and _NAME_RE.fullmatch(egg.group(1)):
        # pip's Link.egg_fragment: a source (an sdist, a VCS URL) named in its fragment.
        return f"{egg.group(1)} @ {url}{suffix}"
    filename = unquote(parts.path.rsplit("/", 1)[-1])
    if not filename.lower().endswith(".whl") or "+" in parts.scheme:
        diagnostics.append(
            _error(
                f"{url} names no project: pip reads the name of a wheel from its file name, "
                "of a source from its #egg= fragment, and builds anything else to find it out",
                span,
                hint=f"name the project: NAME @ {url}",
            )
        )
        return ""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        name = parse_wheel_filename(filename)[0]
    except InvalidWheelFilename as error:
        diagnostics.append(_error(f"not a valid wheel file name: {error}", span))
        return ""
    return f"{name} @ {url}{suffix}"


def _local_path(
    text: str, logical: _Logical, span: Span, diagnostics: list[Diagnostic], build: bool
) -> str | None:
    """A requirement line that pip reads as a local path (``parse_req_from_line``): the
    equivalent ``name @ file:///abs...whl`` text for a wheel, "" when the line is a local
    source (folder or archive) that has been reported, None when it is not a path.

    As pip: the marker is cut at the first ';', extras ``[...]`` end the path, a relative path
    is relative to the working directory (pip's ``os.path.abspath``), and an archive is named
    by its extension; a folder counts when the text looks like a path. Where pip would find
    nothing but the path exists relative to the file, tagpip reads that one and says so: a
    file that works with pip means the same, and one written relative to itself works too.
    """
    head, semi, marker = text.partition(";")
    head = head.strip()
    if "://" in head or (" @ " in head) or "@" in head.split("/", 1)[0]:
        return None
    path, extras = head, ""
    match = re.match(r"^(.+)(\[[^\]]+\])$", head)
    if match:
        path, extras = match.group(1).rstrip(), match.group(2)
    lower = path.lower()
    looks_like_path = "/" in path or os.sep in path or path.startswith(".")
    is_archive = lower.endswith(_ARCHIVES)
    absolute = os.path.normpath(os.path.abspath(os.path.expanduser(path)))
    if is_archive or (looks_like_path and not os.path.isdir(absolute)):
        absolute = _pick_local(path, absolute, logical.source, span, diagnostics, is_archive)
    if not is_archive and not (looks_like_path and os.path.isdir(absolute)):
        return None
    if lower.endswith(".whl"):
        from packaging.utils import InvalidWheelFilename, parse_wheel_filename

        try:
            name = parse_wheel_filename(os.path.basename(path))[0]
        except InvalidWheelFilename as error:
            diagnostics.append(_error(f"not a valid wheel file name: {error}", span))
            return ""
        if not os.path.isfile(absolute):
            diagnostics.append(
                Diagnostic("warning", f"no wheel file at {absolute} (yet)", span, None)
            )
        from pathlib import Path

        url = Path(absolute).as_uri()
        return f"{name}{extras} @ {url}" + (f" ; {marker.strip()}" if semi and marker else "")
    # A folder or a source archive: built by tagpip.build.builder as pip would build it, checked
    # pure for the target. `check` reads its name as the fetching commands do (no build), so that
    # both give the same answer.
    from pathlib import Path

    source_name = _source_name(absolute)
    if source_name is None:
        kind = "folder" if os.path.isdir(absolute) else "source archive"
        diagnostics.append(
            _error(
                f"cannot tell the project name of the local {kind} {path} (no [project] name "
                "in its pyproject.toml or setup.cfg, or no NAME-VERSION archive name)",
                span,
                hint=f"name it: NAME @ {Path(absolute).as_uri()}",
            )
        )
        return ""
    if not build:
        return ""
    url = Path(absolute).as_uri()
    return f"{source_name}{extras} @ {url}" + (f" ; {marker.strip()}" if semi and marker else "")


def _source_name(path: str) -> str | None:
    """The project name of a local source: a folder's static ``[project] name`` (or setup.cfg's
    ``[metadata] name``), an archive's ``NAME-VERSION`` file name; None when neither says."""
    if os.path.isdir(path):
        from tagpip.compat import load_toml

        try:
            with open(os.path.join(path, "pyproject.toml"), encoding="utf-8") as handle:
                table = load_toml(handle.read()).get("project", {})
            name = table.get("name") if isinstance(table, dict) else None
            if isinstance(name, str) and name:
                return name
        except (OSError, ValueError):
            pass
        import configparser

        parser = configparser.ConfigParser()
        try:
            parser.read(os.path.join(path, "setup.cfg"), encoding="utf-8")
            found = parser.get("metadata", "name", fallback=None)
        except configparser.Error:
            found = None
        return found or None
    base = os.path.basename(path)
    for ext in sorted(_ARCHIVES, key=len, reverse=True):
        if base.lower().endswith(ext):
            base = base[: -len(ext)]
            break
    name, sep, _ = base.rpartition("-")
    return name if sep and _NAME_RE.fullmatch(name) else None


def _beside_the_file(path: str, source: str) -> str | None:
    """``path`` read relative to the requirement file ``source`` (None for absolute paths and
    for text that is not a file, such as ``<command line>``)."""
    expanded = os.path.expanduser(path)
    if os.path.isabs(expanded) or source.startswith("<"):
        return None
    return os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(source)), expanded))


def _pick_local(
    path: str,
    from_cwd: str,
    source: str,
    span: Span,
    diagnostics: list[Diagnostic],
    is_archive: bool,
) -> str:
    """The file (an archive) or folder a relative local path names: pip's and uv's reading
    (the working directory) when something is there, else the one next to the requirement
    file, with a warning either way when the two readings name different things."""
    exists = os.path.exists if is_archive else os.path.isdir
    beside = _beside_the_file(path, source)
    if beside is None or beside == from_cwd or not exists(beside):
        return from_cwd
    if exists(from_cwd):
        diagnostics.append(
            Diagnostic(
                "warning",
                f"{path} is read from the working directory ({from_cwd}), as pip reads it; "
                f"{beside}, next to the file, is not used",
                span,
                None,
            )
        )
        return from_cwd
    diagnostics.append(
        Diagnostic(
            "warning",
            f"{path} is read relative to the file ({beside}): pip and uv read it from the "
            f"working directory, where there is no {os.path.basename(from_cwd) or path}",
            span,
            None,
        )
    )
    return beside


def _check_hash(value: str) -> str | None:
    """Why a ``--hash`` value is not one pip accepts, or None."""
    algo, sep, digest = value.partition(":")
    if not sep:
        return f"expected --hash=ALGORITHM:HEX, e.g. --hash=sha256:..., not {value!r}"
    algo = algo.lower()
    if algo not in HEX_LENGTHS:
        return f"unsupported hash algorithm {algo!r}: use sha256, sha384 or sha512"
    if not re.fullmatch(r"[0-9a-fA-F]*", digest):
        return f"the {algo} digest must be hexadecimal"
    if len(digest) != HEX_LENGTHS[algo]:
        return f"a {algo} digest has {HEX_LENGTHS[algo]} hex digits, this one has {len(digest)}"
    return None


def _packaging_error(
    error: InvalidRequirement, cut: _Cut, logical: _Logical, length: int
) -> Diagnostic:
    """packaging's InvalidRequirement as a diagnostic pointing into the user's line."""
    cause = error.__cause__
    message = getattr(cause, "message", None)
    span = getattr(cause, "span", None)
    if isinstance(message, str) and isinstance(span, tuple) and len(span) == 2:
        for word, human in _PACKAGING_WORDS:
            message = message.replace(word, human)
        message = message[:1].lower() + message[1:]
        start = cut.original(int(span[0]))
        end = cut.original(max(int(span[1]), int(span[0]) + 1))
        if start >= length:
            start = max(length - 1, 0)
        return _error(
            f"invalid requirement: {message}", logical.span(start, min(max(end, start + 1), length))
        )
    text = str(error).splitlines()[0] if str(error) else "invalid requirement"
    return _error(f"invalid requirement: {text}", logical.span(0, length))


def _tag_like_extras(text: str, extras: tuple[int, int], logical: _Logical) -> TagLikeExtras | None:
    """The only bracket group, when it reads as tags although PEP 508 makes it extras."""
    group = text[extras[0] : extras[1]]
    if not group_reads_as_tags(group):
        return None
    name = text[: extras[0]].rstrip()
    after = text[extras[1] :].strip()
    spec, _, marker = after.partition(";")
    spec = spec.strip()
    if spec:
        suggestion = f"{name}{spec}{group}"
    else:
        suggestion = f"{name}[]{group}"
    if marker:
        suggestion += f"; {marker.strip()}"
    from packaging.utils import canonicalize_name

    names = frozenset(canonicalize_name(item.strip()) for item in group[1:-1].split(","))
    return TagLikeExtras(group, names, logical.span(extras[0], extras[1]), suggestion)


# --- files ------------------------------------------------------------------------------------

# pip's auto-decoding (req_file._decode_req_file): a BOM first (UTF-32 before UTF-16, whose
# little-endian BOM is a prefix of UTF-32's), then a PEP 263 coding comment on line 1 or 2,
# then UTF-8. PowerShell's `pip freeze > requirements.txt` writes UTF-16 with a BOM.
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_CODING_RE = re.compile(rb"coding[:=]\s*([-\w.]+)")


def decode_requirements(data: bytes) -> str:
    """A requirement file's bytes as text, decoded as pip decodes them.

    Where pip falls back to the locale's encoding for bytes that are not UTF-8, tagpip raises
    UnicodeDecodeError instead: a file that means different things on different machines is
    refused, with the hint to declare its encoding.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding)
    for line in data.split(b"\n")[:2]:
        if line[:1] == b"#":
            match = _CODING_RE.search(line)
            if match is not None:
                return data.decode(match.group(1).decode("ascii"))
    return data.decode("utf-8")


class _Reader:
    """Reads a requirement file and what it includes, collecting every problem."""

    def __init__(self, *, build: bool = True) -> None:
        self.build = build
        self.diagnostics: list[Diagnostic] = []
        self.requirements: list[TaggedRequirement] = []
        self.constraints: list[TaggedRequirement] = []
        self.options: dict[str, object] = {}
        self.files: list[str] = []
        self.stack: list[tuple[str, str]] = []  # (real path, label)
        self.seen: set[tuple[str, bool]] = set()

    def read_file(self, label: str, constraint: bool, where: Span | None) -> None:
        kind = "constraints" if constraint else "requirements"
        if "\0" in label:
            # No file system has such a name; os.path refuses it with a ValueError.
            message = f"cannot read {kind} file {label!r}: a path cannot hold a NUL character"
            self.diagnostics.append(_error(message, where))
            return
        real = os.path.realpath(label)
        for index, (path, _) in enumerate(self.stack):
            if path == real:
                chain = [name for _, name in self.stack[index:]] + [label]
                self.diagnostics.append(
                    _error(f"requirement files include each other: {' -> '.join(chain)}", where)
                )
                return
        if (real, constraint) in self.seen:
            return
        self.seen.add((real, constraint))
        try:
            with open(label, "rb") as stream:
                data = stream.read()
        except OSError as error:
            reason = error.strerror or str(error)
            self.diagnostics.append(_error(f"cannot read {kind} file {label!r}: {reason}", where))
            return
        try:
            content = decode_requirements(data)
        except UnicodeDecodeError as error:
            encoding = "UTF-8" if error.encoding in ("utf-8", "utf8") else error.encoding
            self.diagnostics.append(
                _error(
                    f"{label!r} is not {encoding} text (byte {error.start})",
                    where,
                    hint="save it as UTF-8, or declare its encoding on line 1 as pip reads "
                    "it: # -*- coding: latin-1 -*-",
                )
            )
            return
        except LookupError as error:  # a coding comment naming no codec Python has
            self.diagnostics.append(_error(f"{label!r}: {error}", where))
            return
        self.stack.append((real, label))
        try:
            self.read_text(content, label, constraint, base_dir=os.path.dirname(label))
        finally:
            self.stack.pop()

    def read_text(
        self, content: str, source: str, constraint: bool, base_dir: str, first_line: int = 1
    ) -> None:
        self.files.append(source)
        # Only checking: lines plainly valid are skipped (see _PLAIN_LINE_RE). Constraint
        # files always take the full path: whether a line has extras needs packaging's value.
        build = self.build or constraint
        skip = None if build else plainly_valid
        for logical in _logical_lines(content, source, first_line, skip):
            if logical.text.startswith("-"):
                self._option_line(logical, base_dir)
                continue
            requirement = _parse_requirement(logical, self.diagnostics, build=build)
            if requirement is None:
                continue
            if constraint and requirement.requirement.extras:
                # pip: "Constraints cannot have extras"; check says so as download does.
                self.diagnostics.append(
                    _error(
                        "a constraint cannot have extras (pip refuses them too)",
                        requirement.span,
                        hint=f"constrain the project itself: {requirement.name}"
                        + str(requirement.requirement.specifier),
                    )
                )
                continue
            if self.build:
                (self.constraints if constraint else self.requirements).append(requirement)

    def _option_line(self, logical: _Logical, base_dir: str) -> None:
        hits, problems = _parse_options(logical, 0, _FILE_OPTIONS, "in a requirements file")
        self.diagnostics.extend(problems)
        for name, destination, word in hits:
            span = logical.span(word.start, word.end)
            if destination in ("requirement", "constraint"):
                self._include(word.text, destination == "constraint", span, base_dir)
            else:
                self._set_option(name, destination, word.text, span)

    def _include(self, target: str, constraint: bool, span: Span, base_dir: str) -> None:
        if target[:5].lower() == "file:":
            # pip reads a file: URL as a local path (its LocalFSAdapter). The URL is absolute
            # whatever it looks like: pip 26 reads file:rel as /rel (file:///rel), so do we.
            from urllib.parse import urlsplit
            from urllib.request import url2pathname

            parts = urlsplit(target)
            if parts.netloc not in ("", "localhost"):
                self.diagnostics.append(
                    _error(
                        f"{target!r} names a file on another host ({parts.netloc})",
                        span,
                        hint="write file:///path for a local file",
                    )
                )
                return
            path = url2pathname(parts.path)
            if not os.path.isabs(path):
                path = os.path.abspath(os.sep + path)
            self.read_file(os.path.normpath(path), constraint, span)
            return
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", target):
            self.diagnostics.append(
                _error(
                    "requirement files from URLs are not supported",
                    span,
                    hint="download the file and include it by path",
                )
            )
            return
        path = target if os.path.isabs(target) else os.path.join(base_dir, target)
        self.read_file(os.path.normpath(path), constraint, span)

    def _set_option(self, name: str, destination: str, value: str, span: Span) -> None:
        problem: str | None = None
        hint: str | None = None
        if destination == "platforms":
            try:
                parse_platform(value)
            except TokenError as error:
                problem, hint = error.message, error.hint
        elif destination == "python_version":
            try:
                parse_python_version(value)
            except VocabularyError as error:
                problem, hint = error.message, error.hint
        elif destination == "implementation":
            try:
                parse_implementation_code(value)
            except VocabularyError as error:
                problem, hint = error.message, error.hint
        elif destination == "abis":
            try:
                parse_abi(value)
            except TokenError as error:
                problem, hint = error.message, error.hint
        elif destination in ("named_indexes", "index_pins", "index_strategy"):
            from tagpip import config

            try:
                if destination == "index_strategy":
                    config.parse_strategy(value)
                elif destination == "index_pins":
                    config.parse_pin(value)
                elif config.parse_index(value)[0] is None:
                    # A plain URL: pip reads --index as its abbreviation of --index-url.
                    destination = "index_url"
            except config.IndexRuleError as error:
                problem, hint = error.message, error.hint
        if problem is not None:
            self.diagnostics.append(_error(problem, span, hint=hint))
            return
        if name in ("--all-releases", "--only-final"):
            items = [item.strip() for item in value.split(",")]
            wrong = [i for i in items if i not in (":all:", ":none:") and not _NAME_RE.fullmatch(i)]
            if wrong:
                self.diagnostics.append(
                    _error(
                        f"{name} takes project names, ':all:' or ':none:', not {wrong[0]!r}",
                        span,
                        hint=f"for example: {name} :all:, or {name} name1,name2",
                    )
                )
                return
        if name == "--pre":
            self._release(("pre", OptionValue(":all:", span)))
        if name in ("--no-index", "--pre", "--prefer-binary", "--require-hashes"):
            self.options[destination] = span
            return
        if destination == "ignored":
            if value not in _PIP_FEATURES:
                self.diagnostics.append(
                    _error(
                        f"{name} {value}: pip has no such feature (pip refuses it too)",
                        span,
                        hint=f"pip 26.3's features: {', '.join(_PIP_FEATURES)}",
                    )
                )
                return
            self.diagnostics.append(
                Diagnostic(
                    "warning",
                    f"{name} {value} is one of pip's own feature flags: tagpip ignores it",
                    span,
                    None,
                )
            )
            return
        if name == "--no-require-hashes":
            self.options[destination] = span
            return
        option = OptionValue(value, span)
        if destination in ("all_releases", "only_final"):
            self._release((destination, option))
            return
        if destination == "index_url":
            # pip's handle_option_line: an --index-url line replaces the index list, extra
            # indexes given before it included (those after it add to it).
            earlier = self.options.get("extra_index_urls", ())
            assert isinstance(earlier, tuple)
            if earlier:
                dropped = ", ".join(f"{e.value} ({e.span.source}:{e.span.line})" for e in earlier)
                self.diagnostics.append(
                    Diagnostic(
                        "warning",
                        f"{name} replaces the indexes given before it, as pip does: {dropped} "
                        "is not used",
                        span,
                        "to keep an extra index, give --extra-index-url after --index-url",
                    )
                )
                self.options["extra_index_urls"] = ()
            self.options[destination] = option
        elif destination == "index_strategy":
            self.options[destination] = option
        elif destination in ("python_version", "implementation"):
            previous = self.options.get(destination)
            if isinstance(previous, OptionValue) and previous.value != value:
                where = f"{previous.span.source}:{previous.span.line}"
                self.diagnostics.append(
                    _error(
                        f"{name} {value!r} contradicts {name} {previous.value!r} given at {where}",
                        span,
                        hint="a file describes one target",
                    )
                )
                return
            self.options[destination] = option
        else:
            existing = self.options.get(destination, ())
            assert isinstance(existing, tuple)
            self.options[destination] = (*existing, option)

    def _release(self, event: tuple[str, OptionValue]) -> None:
        existing = self.options.get("release_control", ())
        assert isinstance(existing, tuple)
        self.options["release_control"] = (*existing, event)

    def result(self, path: str) -> RequirementsFile:
        options = FileOptions(**self.options)  # type: ignore[arg-type]
        return RequirementsFile(
            path=path,
            requirements=tuple(self.requirements),
            constraints=tuple(self.constraints),
            options=options,
            diagnostics=tuple(self.diagnostics),
            files=tuple(self.files),
        )


def check_requirements_file(path: str, *, constraint: bool = False) -> RequirementsFile:
    """Read a requirement file and everything it includes, never raising for what is in them:
    every problem (errors and warnings) is in ``diagnostics``. For ``tagpip check``."""
    reader = _Reader()
    reader.read_file(os.fspath(path), constraint, None)
    return reader.result(os.fspath(path))


def validate_requirements_file(path: str, *, constraint: bool = False) -> tuple[Diagnostic, ...]:
    """Every problem of a requirement file and what it includes, and nothing else: the fast path
    ``tagpip check`` uses (plainly valid lines skip building packaging values)."""
    return validate_requirements_files(path, constraint=constraint)[0]


def validate_requirements_files(
    path: str, *, constraint: bool = False
) -> tuple[tuple[Diagnostic, ...], tuple[str, ...]]:
    """:func:`validate_requirements_file`, with every file read (the file, then those it
    includes with ``-r``/``-c``, in reading order), for ``check`` to count and name them."""
    reader = _Reader(build=False)
    reader.read_file(os.fspath(path), constraint, None)
    return tuple(reader.diagnostics), tuple(reader.files)


def check_requirements_text(
    text: str, *, source: str = "<string>", base_dir: str | None = None, constraint: bool = False
) -> RequirementsFile:
    """:func:`check_requirements_file` for text in hand; ``-r``/``-c`` paths are relative to
    ``base_dir`` (default: the directory of ``source``)."""
    reader = _Reader()
    if base_dir is None:
        base_dir = os.path.dirname(source) if not source.startswith("<") else "."
    reader.read_text(text, source, constraint, base_dir)
    return reader.result(source)


def _raise_if_errors(result: RequirementsFile) -> RequirementsFile:
    if result.errors:
        raise ValidationError(result.diagnostics)
    return result


def parse_requirements_file(path: str, *, constraint: bool = False) -> RequirementsFile:
    """Read a requirement file and everything it includes.

    Raises ValidationError carrying every problem of every file read (warnings too, so the
    report is complete); on success ``diagnostics`` holds the warnings.
    """
    return _raise_if_errors(check_requirements_file(path, constraint=constraint))


def parse_requirements_text(
    text: str, *, source: str = "<string>", base_dir: str | None = None, constraint: bool = False
) -> RequirementsFile:
    """:func:`parse_requirements_file` for text in hand (raises ValidationError)."""
    return _raise_if_errors(
        check_requirements_text(text, source=source, base_dir=base_dir, constraint=constraint)
    )


def parse_line(text: str, *, source: str = "<string>", line: int = 1) -> TaggedRequirement:
    """One tagged requirement, with optional ``--hash`` options and comment.

    ``text`` may hold ``\\`` continuations over several lines, numbered from ``line``; ``${VAR}``
    is expanded. Raises the first problem as RequirementSyntaxError (TokenError for a bad tag
    token), pointing into ``text``.
    """
    diagnostics: list[Diagnostic] = []
    result: TaggedRequirement | None = None
    logicals = list(_logical_lines(text, source, line))
    if not logicals:
        first = text.split("\n", 1)[0].rstrip("\r")
        raise RequirementSyntaxError(
            "expected a requirement, found nothing", span=Span(source, line, 0, 0, first)
        )
    if len(logicals) > 1:
        second = logicals[1]
        raise RequirementSyntaxError(
            "expected one requirement, found more than one line",
            span=second.span(0, len(second.text)),
        )
    logical = logicals[0]
    if logical.text.startswith("-"):
        raise RequirementSyntaxError(
            "expected a requirement, found an option line",
            span=logical.span(0, len(logical.text)),
            hint="option lines belong in a requirements file",
        )
    result = _parse_requirement(logical, diagnostics)
    for diagnostic in diagnostics:
        if diagnostic.severity == "error":
            raise RequirementSyntaxError(
                diagnostic.message, hint=diagnostic.hint, span=diagnostic.span
            )
    assert result is not None
    return result


def format_requirement(req: TaggedRequirement) -> str:
    """The requirement as one line of a requirement file; parsing it again gives an equal value.

    Extras are sorted (as packaging writes them); a tag block without a version specifier gets
    the empty extras group ``[]`` that makes it a tag block.
    """
    requirement = req.requirement
    extras = sorted(requirement.extras)
    out = requirement.name
    specifier = str(requirement.specifier)
    if requirement.url:
        if extras:
            out += "[" + ",".join(extras) + "]"
        out += f" @ {requirement.url}"
        if requirement.marker is not None:
            out += f" ; {requirement.marker}"
    else:
        if extras or (req.tags is not None and not specifier):
            out += "[" + ",".join(extras) + "]"
        out += specifier
        if req.tags is not None:
            out += format_tag_block(req.tags)
        if requirement.marker is not None:
            out += f"; {requirement.marker}"
    for digest in req.hashes:
        out += f" --hash={digest}"
    return out
