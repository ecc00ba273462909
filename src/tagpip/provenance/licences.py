"""What licence each delivered project declares, at a glance: read from its core metadata,
summed up by licence for ``bundle``'s summary, and held against ``--deny-license``.

A project declares its licence in one of three ways, best first: a PEP 639
``License-Expression`` (an SPDX expression, ``MIT OR Apache-2.0``); ``License ::`` trove
classifiers (``License :: OSI Approved :: MIT License``); the free-text ``License`` field (often
an SPDX identifier, sometimes the whole licence text). tagpip reports what is declared and says
which of the three it came from; it concludes nothing from the files themselves.

``--deny-license`` takes SPDX identifiers, with ``*`` as a wildcard (``GPL-*``). An expression is
denied when every way to comply with it uses a denied licence: ``MIT OR GPL-3.0-only`` is not
denied by ``GPL-*`` (MIT is a choice), ``MIT AND GPL-3.0-only`` is. A classifier names a family
rather than one licence (``GNU General Public License v3 (GPLv3)`` is GPL-3.0-only or
GPL-3.0-or-later): it is denied when any licence of the family is, so a deny list errs on the
side of stopping. A project whose licence cannot be read as SPDX (no licence at all, a free-text
field, a classifier tagpip has no family for) is named in a warning, never passed silently.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression

from tagpip.errors import TagpipError, UsageError

__all__ = [
    "Licence",
    "LicenceDenied",
    "Verdict",
    "check_licences",
    "judge",
    "licence_of",
    "parse_deny",
    "summary",
]

# The licence classifiers (after "License :: ") and the SPDX licences each may stand for:
# several where the classifier names a family or leaves the version or "or later" open.
_CLASSIFIERS: Mapping[str, tuple[str, ...]] = {
    "OSI Approved :: MIT License": ("MIT",),
    "OSI Approved :: MIT No Attribution License (MIT-0)": ("MIT-0",),
    "OSI Approved :: BSD License": ("BSD-2-Clause", "BSD-3-Clause", "0BSD"),
    "OSI Approved :: Apache Software License": ("Apache-2.0", "Apache-1.1"),
    "OSI Approved :: ISC License (ISCL)": ("ISC",),
    "OSI Approved :: Python Software Foundation License": ("PSF-2.0",),
    "OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": ("MPL-2.0",),
    "OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)": ("MPL-1.1",),
    "OSI Approved :: The Unlicense (Unlicense)": ("Unlicense",),
    "OSI Approved :: Boost Software License 1.0 (BSL-1.0)": ("BSL-1.0",),
    "OSI Approved :: zlib/libpng License": ("Zlib",),
    "OSI Approved :: Historical Permission Notice and Disclaimer (HPND)": ("HPND",),
    "OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)": ("EPL-2.0",),
    "OSI Approved :: Academic Free License (AFL)": ("AFL-3.0",),
    "OSI Approved :: Artistic License": ("Artistic-2.0", "Artistic-1.0"),
    "OSI Approved :: GNU General Public License (GPL)": (
        "GPL-1.0-or-later",
        "GPL-2.0-only",
        "GPL-2.0-or-later",
        "GPL-3.0-only",
        "GPL-3.0-or-later",
    ),
    "OSI Approved :: GNU General Public License v2 (GPLv2)": ("GPL-2.0-only", "GPL-2.0-or-later"),
    "OSI Approved :: GNU General Public License v2 or later (GPLv2+)": ("GPL-2.0-or-later",),
    "OSI Approved :: GNU General Public License v3 (GPLv3)": ("GPL-3.0-only", "GPL-3.0-or-later"),
    "OSI Approved :: GNU General Public License v3 or later (GPLv3+)": ("GPL-3.0-or-later",),
    "OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)": (
        "LGPL-2.0-only",
        "LGPL-2.0-or-later",
        "LGPL-2.1-only",
        "LGPL-2.1-or-later",
    ),
    "OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": (
        "LGPL-2.0-or-later",
        "LGPL-2.1-or-later",
    ),
    "OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": (
        "LGPL-3.0-only",
        "LGPL-3.0-or-later",
    ),
    "OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": (
        "LGPL-3.0-or-later",
    ),
    "OSI Approved :: GNU Library or Lesser General Public License (LGPL)": (
        "LGPL-2.0-only",
        "LGPL-2.0-or-later",
        "LGPL-2.1-only",
        "LGPL-2.1-or-later",
        "LGPL-3.0-only",
        "LGPL-3.0-or-later",
    ),
    "OSI Approved :: GNU Affero General Public License v3": ("AGPL-3.0-only", "AGPL-3.0-or-later"),
    "OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)": (
        "AGPL-3.0-or-later",
    ),
    "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": ("CC0-1.0",),
}

_TEXT_LIMIT = 60


@dataclass(frozen=True)
class Licence:
    """A project's declared licence. ``source`` says where it was read: ``License-Expression``
    (``expression`` is the canonical SPDX expression), ``classifier`` (``names`` are the
    classifiers after ``License ::``), ``License`` (the free-text field: ``expression`` when it
    reads as an SPDX expression, else ``names`` holds its first line), or ``""`` when the
    project declares none."""

    source: str = ""
    expression: str | None = None
    names: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return bool(self.source)

    def label(self) -> str:
        """The licence as the summary and messages show it."""
        if self.expression is not None:
            suffix = " (License field)" if self.source == "License" else ""
            return self.expression + suffix
        if self.source == "classifier":
            return ", ".join(self.names) + " (classifier)"
        if self.source == "License":
            return f"{self.names[0]!r} (License field)"
        return "unknown"


def licence_of(expression: str | None, license: str | None, classifiers: Iterable[str]) -> Licence:
    """The licence a project declares in its core metadata: ``License-Expression``, else its
    ``License ::`` classifiers, else the ``License`` field."""
    if expression and expression.strip():
        try:
            return Licence("License-Expression", canonicalize_license_expression(expression))
        except InvalidLicenseExpression:
            # Metadata that does not validate: shown as written (the expression it declares).
            return Licence("License-Expression", " ".join(expression.split()))
    found = tuple(
        dict.fromkeys(
            c.strip()[len("License :: ") :].strip()
            for c in classifiers
            if c.strip().startswith("License :: ")
        )
    )
    if found:
        return Licence("classifier", None, found)
    text = (license or "").strip()
    if not text or text.upper() == "UNKNOWN":
        return Licence()
    first = text.splitlines()[0].strip()
    if first == text:
        try:
            return Licence("License", canonicalize_license_expression(text))
        except InvalidLicenseExpression:
            pass
    if len(first) > _TEXT_LIMIT or first != text:
        first = first[: _TEXT_LIMIT - 3].rstrip() + "..."
    return Licence("License", None, (first,))


def summary(licences: Iterable[tuple[str, Licence]]) -> list[tuple[str, tuple[str, ...]]]:
    """``(project, licence)`` pairs as one ``(label, projects)`` pair per licence, the projects
    sorted, the licences by label with the unknown last."""
    grouped: dict[str, list[str]] = {}
    for project, licence in licences:
        grouped.setdefault(licence.label(), []).append(project)
    order = sorted(grouped, key=lambda label: (label == "unknown", label.lower()))
    return [(label, tuple(sorted(set(grouped[label])))) for label in order]


# -- --deny-license ------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


@dataclass(frozen=True)
class Verdict:
    """What ``--deny-license`` makes of one project: ``denied`` names the denied licence that
    decided it (None when allowed); ``unknown`` says the licence could not be read as SPDX."""

    denied: str | None = None
    unknown: bool = False


def parse_deny(values: Iterable[str]) -> tuple[str, ...]:
    """``--deny-license`` values (repeatable, comma-separated): SPDX identifiers, ``*``
    wildcards allowed; anything else (an operator, a parenthesis) is a usage error."""
    found: list[str] = []
    for value in values:
        for word in value.split(","):
            pattern = word.strip()
            if not pattern:
                continue
            if not re.fullmatch(r"[A-Za-z0-9.+*-]+(?::[A-Za-z0-9.+*-]+)?", pattern) or (
                pattern.upper() in ("AND", "OR", "WITH")
            ):
                raise UsageError(
                    f"--deny-license: {pattern!r} is not an SPDX licence identifier",
                    hint="give identifiers such as GPL-3.0-only or AGPL-*, comma-separated or "
                    "repeated; an expression's parts are checked one by one",
                )
            found.append(pattern)
    return tuple(dict.fromkeys(found))


def _matches(identifier: str, patterns: Sequence[str]) -> str | None:
    for pattern in patterns:
        if fnmatch.fnmatchcase(identifier.lower(), pattern.lower()):
            return identifier
    return None


def _denied_expression(expression: str, patterns: Sequence[str]) -> str | None:
    """The denied licence every way to comply with ``expression`` uses (the first one met),
    or None. Precedence as in SPDX: WITH, then AND, then OR."""
    tokens: list[str] = _TOKEN.findall(expression)
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def either() -> str | None:
        verdicts = [both()]
        while (peek() or "").upper() == "OR":
            take()
            verdicts.append(both())
        return verdicts[0] if all(verdicts) else None

    def both() -> str | None:
        verdicts = [single()]
        while (peek() or "").upper() == "AND":
            take()
            verdicts.append(single())
        return next((v for v in verdicts if v), None)

    def single() -> str | None:
        if peek() == "(":
            take()
            inner = either()
            if peek() == ")":
                take()
            return inner
        identifier = take() if peek() is not None else ""
        verdict = _matches(identifier, patterns)
        if (peek() or "").upper() == "WITH":
            take()
            exception = take() if peek() is not None else ""
            verdict = verdict or _matches(f"{identifier} WITH {exception}", patterns)
        return verdict

    return either()


def judge(licence: Licence, patterns: Sequence[str]) -> Verdict:
    """Whether ``--deny-license patterns`` denies a project declaring ``licence``."""
    if licence.expression is not None:
        return Verdict(_denied_expression(licence.expression, patterns))
    if licence.source == "classifier":
        unknown = False
        for name in licence.names:
            family = _CLASSIFIERS.get(name)
            if family is None:
                unknown = True
                continue
            for identifier in family:
                if _matches(identifier, patterns):
                    return Verdict(identifier)
        return Verdict(unknown=unknown)
    return Verdict(unknown=True)


class LicenceDenied(TagpipError):
    """``--deny-license`` denies the licence of some delivered projects: ``denied`` are
    ``(project, licence, the denied licence that decided it)``."""

    def __init__(self, denied: Sequence[tuple[str, Licence, str]], patterns: Sequence[str]):
        self.denied = tuple(denied)
        lines = [f"--deny-license {','.join(patterns)}: these projects' licences are denied:"]
        for project, licence, identifier in self.denied:
            label = licence.label()
            if licence.source == "classifier":
                why = f", which may be {identifier}"
            elif label.split(" ")[0] != identifier:
                why = f", which requires {identifier}"
            else:
                why = ""
            lines.append(f"  {project}: {label}{why}")
        super().__init__(
            "\n".join(lines),
            hint="replace them, or take their licence off --deny-license; nothing was written",
        )


def check_licences(licences: Iterable[tuple[str, Licence]], patterns: Sequence[str]) -> list[str]:
    """Hold each ``(project, licence)`` against ``--deny-license patterns``: raise
    :class:`LicenceDenied` naming every denied project, else return one warning text per
    project whose licence could not be judged."""
    if not patterns:
        return []
    denied: list[tuple[str, Licence, str]] = []
    unsure: list[str] = []
    for project, licence in sorted(licences, key=lambda pair: pair[0]):
        verdict = judge(licence, patterns)
        if verdict.denied is not None:
            denied.append((project, licence, verdict.denied))
        elif verdict.unknown:
            what = "declares no licence" if not licence.known else f"declares {licence.label()}"
            unsure.append(
                f"{project} {what}, which tagpip cannot read as SPDX licences: "
                "--deny-license cannot tell whether it is denied"
            )
    if denied:
        raise LicenceDenied(denied, patterns)
    return unsure
