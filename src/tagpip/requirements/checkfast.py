"""The fast path of ``tagpip check``: deciding that a plain line has no problem without
parsing it.

Most lines of a real file are plain: a name, maybe extras, simple version clauses, a tag block, a
simple marker, hashes, a comment. `check` only has to know that such a line has no problem, so a
line matching :data:`_PLAIN_LINE_RE` whose tag block is valid is skipped without building spans,
packaging values or TagSpecs. The patterns accept a strict subset of what the full path
(:mod:`tagpip.requirements.syntax`) accepts: every version form, operator and marker variable below
is one that packaging (every version tagpip supports) takes without a word, whitespace is only
spaces and tabs, and nothing can start a word with '-' before the options (pip's split). Anything
else takes the full path, which says what is wrong. tests/test_check_speed.py holds the two paths to
the same answers, on generated lines as well as real files.

This is the one place that knows the shortcut; the full parser asks it only whether a
requirement may go to packaging as it is (:func:`plain_requirement`) and whether an extras group
reads as tags (:func:`group_reads_as_tags`, a rule both paths share).
"""

from __future__ import annotations

import functools
import re

from tagpip.tags import looks_like_tag_token, tag_block_is_valid

# Whitespace is written so that a run of it can be matched one way only (each optional part
# takes the whitespace before it): a line of many blanks that does not match must fail fast, not
# try every way of sharing them out.

_WS = r"[ \t]*"
# A project or extra name (PEP 508); the full path matches names with it too.
NAME_PATTERN = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_NAME = NAME_PATTERN
_EXTRAS = rf"\[{_WS}(?:{_NAME}(?:{_WS},{_WS}{_NAME})*{_WS})?\]"
_RELEASE = r"[0-9]+(?:\.[0-9]+)*"
_SUFFIXES = r"(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?"
# PEP 440: a wildcard or a local label only after == and !=; ~= needs two release numbers.
# Arbitrary equality (===) takes the full path: packaging 26.3 (the newest on Python 3.9) reads
# "===0, ==0" as an error that 26.4 accepts, and the fast path must agree with every version.
_CLAUSE = (
    rf"(?:(?:==|!=){_WS}{_RELEASE}(?:\.\*|{_SUFFIXES}(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?)"
    rf"|~={_WS}[0-9]+(?:\.[0-9]+)+{_SUFFIXES}"
    rf"|(?:<=|>=|<|>){_WS}{_RELEASE}{_SUFFIXES})"
)


def _separated(item: str, separator: str, first: str) -> str:
    """``item (separator item)*``, with ``item`` written once: compiling costs time in proportion
    to a pattern's length, and `check` compiles this one at every start. ``first`` matches the
    first character of every item and never what may follow the list. After each item comes
    either the separator and (looking ahead) another item, or neither a separator nor an item."""
    return rf"(?:{item}(?:{separator}(?={first})|(?!{separator}|{first})))+"


_SPECIFIER = _separated(_CLAUSE, rf"{_WS},{_WS}", "[<>=!~]")
_MARKER_VARIABLE = (
    r"(?:python_(?:full_)?version|os_name|sys_platform"
    r"|platform_(?:release|system|version|machine|python_implementation)"
    r"|implementation_(?:name|version)|extra)"
)
_MARKER_VALUE = r"""(?:"[A-Za-z0-9._+*-]*"|'[A-Za-z0-9._+*-]*')"""
_MARKER_ITEM = (
    rf"{_MARKER_VARIABLE}"
    rf"(?:{_WS}(?:===|==|~=|!=|<=|>=|<|>){_WS}|[ \t]+(?:not[ \t]+)?in[ \t]+){_MARKER_VALUE}"
)
_MARKER = _separated(_MARKER_ITEM, r"[ \t]+(?:and|or)[ \t]+", "[a-z]")
_TAG_TOKEN = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
_HASH = r"(?:sha256:[0-9a-fA-F]{64}|sha384:[0-9a-fA-F]{96}|sha512:[0-9a-fA-F]{128})"

# The requirement part alone: a requirement (tag block cut out) that packaging accepts as it is
# (tests/test_syntax_properties.py generates requirements from it).
_PLAIN_PATTERN = rf"{_NAME}(?:{_WS}{_EXTRAS})?(?:{_WS}{_SPECIFIER})?(?:{_WS};{_WS}{_MARKER})?{_WS}"
# A whole logical line (comment and surrounding blanks already stripped): the requirement with its
# tag block and hashes.
_PLAIN_LINE_RE = re.compile(
    rf"(?P<name>{_NAME})(?:{_WS}(?P<extras>{_EXTRAS}))?(?:{_WS}(?P<spec>{_SPECIFIER}))?"
    rf"(?:{_WS}(?P<block>\[{_WS}{_TAG_TOKEN}(?:{_WS},{_WS}{_TAG_TOKEN})*{_WS}\]))?"
    rf"(?:{_WS};{_WS}(?P<marker>{_MARKER}))?(?P<hashes>(?:{_WS} --hash[= ]{_HASH})*)"
)


def plainly_valid(text: str) -> bool:
    """Whether a logical line is a requirement in which the full path finds no problem at all
    (no error, no warning), decided from :data:`_PLAIN_LINE_RE` and the tag block alone."""
    match = _PLAIN_LINE_RE.fullmatch(text)
    if match is None:
        return False
    extras, spec, block = match.group("extras", "spec", "block")
    if block is None:
        # A lone group is extras; the full path warns when it reads as tags.
        return extras is None or not group_reads_as_tags(extras)
    if extras is None and spec is None:
        return False  # the first group is extras, whatever it holds: the full path decides
    return tag_block_is_valid(block)


def plain_requirement(text: str) -> bool:
    """Whether packaging accepts a requirement (tag block cut out, no options) as it is."""
    match = _PLAIN_LINE_RE.fullmatch(text.rstrip(" \t"))
    return match is not None and match["block"] is None and not match["hashes"]


@functools.lru_cache(maxsize=1024)  # a file repeats a few groups (docs/performance.md)
def group_reads_as_tags(group: str) -> bool:
    """Whether an extras group ``[...]`` reads as a tag block: every item is a valid tag token
    and not all are plausible extra names (``win``, ``linux``, ``any``, ``none``)."""
    items = [item.strip() for item in group[1:-1].split(",")]
    reads = bool(items) and all(items) and all(looks_like_tag_token(i) for i in items)
    return reads and not all(i.lower() in ("win", "linux", "any", "none") for i in items)
