"""Tag-block tokens: classification, validation and the TagSpec a block describes.

A tag block is the bracket group ``[manylinux1,cp36,x86_64]`` of a tagged requirement. Its tokens
are case-insensitive and order-free; each is one of (docs/syntax.md, "Tokens"):

- a platform family (``manylinux2014``, ``manylinux_2_28``, ``musllinux_1_2``, ``macosx_11_0``,
  ``ios_13_0``, ``android_24``, ``pyemscripten_2026_0``, ``win``, ``linux``, ``any``) or a full
  platform tag (``manylinux2014_x86_64``, ``win_amd64``, ``ios_13_0_arm64_iphoneos``,
  ``android_24_arm64_v8a``, ``pyemscripten_2026_0_wasm32``);
- an architecture (``x86_64``, ``aarch64``, ``arm64``, ...), with the synonyms ``amd64``~``x86_64``
  and ``arm64``~``aarch64`` mapped to the family's own spelling;
- a python tag (``cp36``, ``py3``, ``pp39``, ``graalpy311``);
- an ABI tag (``cp36m``, ``cp313t``, ``cp38d``, ``cp313td``, ``abi3``, ``abi3t``, ``none``,
  ``pypy39_pp73``, ``graalpy242_311_native``);
- a whole wheel tag triple (``cp36-cp36m-manylinux1_x86_64``).

Every problem is a :class:`TokenError` carrying the span of the bad token, and
:func:`tag_block_problems` returns all of a block's problems at once so that ``tagpip check`` can
report them together.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from tagpip.errors import Diagnostic, Span, TagpipError
from tagpip.tags.platforms import (
    FAMILY_LEVEL_RE,
    LEGACY_LEVEL,
    LEGACY_MANYLINUX,
    PLATFORM_RE,
    family_and_level,
)
from tagpip.tags.vocabulary import (
    ALL_ARCHS,
    ANDROID_ARCHS,
    IOS_ARCHS,
    MACOS_ARM_ARCHS,
    MANYLINUX1_ARCHS,
    MANYLINUX2014_ARCHS,
    MUSLLINUX_ARCHS,
    archs_of,
    canonical_arch,
)

if TYPE_CHECKING:
    from packaging.tags import Tag

OsFamily = Literal[
    "manylinux",
    "musllinux",
    "macosx",
    "win",
    "linux",
    "any",
    "ios",
    "android",
    "pyemscripten",
    "emscripten",
]
_Kind = Literal["platform", "arch", "python", "abi", "triple"]


__all__ = [
    "ImpossiblePlatform",
    "OsFamily",
    "PlatformSpec",
    "TagSpec",
    "TokenError",
    "check_tag_block",
    "family_archs",
    "format_tag_block",
    "implementation_of",
    "looks_like_tag_token",
    "parse_abi",
    "parse_platform",
    "parse_tag_block",
    "python_version_of",
    "tag_block_is_valid",
    "tag_block_problems",
]


class TokenError(TagpipError):
    """A token of a tag block (or a ``--platform`` value) is unknown or does not fit the others.

    ``span`` points at the bad token on the user's own line when it is known; ``token`` is the
    token as written.
    """

    def __init__(
        self, message: str, *, token: str = "", hint: str | None = None, span: Span | None = None
    ):
        super().__init__(message, hint=hint, span=span)
        self.token = token

    def diagnostic(self) -> Diagnostic:
        """This error as a diagnostic, for reports that collect many problems."""
        return Diagnostic("error", self.message, self.span, self.hint)


class ImpossiblePlatform(TokenError):
    """A platform tag of a known family whose level and architecture never existed together
    (``manylinux_2_16_aarch64``: aarch64 manylinux starts at 2_17). Tag blocks and ``check``
    refuse it; pip's ``--platform`` on the command line skips it with a warning, as pip accepts
    such lists (issue 16.14)."""


def family_archs(platform: PlatformSpec) -> tuple[str, ...]:
    """The architectures ``platform``'s family had at its level, in its own spelling (one for
    ``pyemscripten`` and ``emscripten``: ``wasm32``)."""
    return archs_of(platform.os, platform.level)


# --- platforms --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformSpec:
    """A platform family with an optional level and architecture.

    ``level`` is the glibc version for manylinux (``manylinux1`` -> ``(2, 5)``), the musl version
    for musllinux, the macOS version for macosx, the iOS version for ios, ``(api_level, 0)`` for
    android, the PEP 783 platform version for pyemscripten (``(2026, 0)``), the Emscripten
    release for emscripten (``(5, 0, 3)``: ``emscripten_5_0_3_wasm32``, the platform a Pyodide's
    sysconfig names), and None for win/linux/any. ``arch`` is in the
    family's own spelling (``x86_64``/``aarch64`` on Linux, ``arm64``/``x86_64``/``universal2`` on
    macOS, ``amd64``/``arm64``/``win32`` on Windows), or None when the block leaves it open.

    The legacy manylinux names are the same values as their PEP 600 levels: ``manylinux2014``
    and ``manylinux_2_17`` give equal specs.
    """

    os: OsFamily
    level: tuple[int, ...] | None = None
    arch: str | None = None

    def family(self, *, legacy: bool = False) -> str:
        """The family token without architecture: ``manylinux_2_17`` (``manylinux2014`` with
        ``legacy=True`` where a legacy name exists), ``musllinux_1_2``, ``macosx_11_0``, ``win``,
        ``linux``, ``any``."""
        if self.level is None:
            return self.os
        if self.os == "android":
            return f"android_{self.level[0]}"
        if legacy and self.os == "manylinux" and self.level in LEGACY_MANYLINUX:
            return LEGACY_MANYLINUX[(self.level[0], self.level[1])]
        return f"{self.os}_{'_'.join(map(str, self.level))}"

    def tag(self, *, legacy: bool = False) -> str:
        """The platform tag of this spec, as it appears in wheel file names.

        ``manylinux (2, 17) aarch64`` gives ``manylinux_2_17_aarch64`` (``manylinux2014_aarch64``
        with ``legacy=True``); ``win amd64`` gives ``win_amd64``, ``win win32`` gives ``win32``;
        ``any`` gives ``any``. Raises ValueError when the spec has no architecture, since a
        platform tag without one does not exist (a programming error, not a user's).
        """
        if self.os == "any":
            return "any"
        if self.arch is None:
            raise ValueError(f"platform {self.family()!r} has no architecture")
        if self.os == "win":
            return "win32" if self.arch == "win32" else f"win_{self.arch}"
        return f"{self.family(legacy=legacy)}_{self.arch}"

    def with_arch(self, arch: str) -> PlatformSpec:
        """This family with ``arch`` (a synonym is mapped to the family's spelling).

        Raises TokenError when the family never had that architecture.
        """
        own = canonical_arch(self.os, arch)
        legacy = self.os == "manylinux" and self.level == (2, 17)
        if own not in archs_of(self.os, self.level, legacy=False):
            raise TokenError(
                _arch_message(self, arch),
                token=arch,
                hint=_arch_hint(self, legacy),
            )
        return PlatformSpec(self.os, self.level, own)


def _arch_message(platform: PlatformSpec, arch: str) -> str:
    if platform.os == "any":
        return f"'any' is for pure-Python wheels and takes no architecture, not {arch!r}"
    if platform.os == "macosx" and canonical_arch("macosx", arch) in MACOS_ARM_ARCHS:
        return f"{arch!r} needs macOS 11 or later, not {platform.family()}"
    return f"{platform.family(legacy=True)} has no architecture {arch!r}"


def _arch_hint(platform: PlatformSpec, legacy: bool) -> str | None:
    archs = archs_of(platform.os, platform.level, legacy=legacy)
    if not archs:
        return None
    if platform.os == "manylinux" and platform.level is not None and platform.level < (2, 17):
        return f"it has {', '.join(archs)}; manylinux2014 and later add aarch64, ppc64le, s390x"
    if platform.os == "macosx" and platform.level is not None and platform.level < (11, 0):
        return "use macosx_11_0 for arm64, or x86_64 for this version"
    return f"expected one of: {', '.join(archs)}"


# A full tag's architecture as a tag block may spell it; anything else is not a platform.
_ARCH_WORD_RE = re.compile(r"[a-z][a-z0-9_]*")
_WIN_FULL = {"win32": "win32", "win_amd64": "amd64", "win_arm64": "arm64"}


def _family_of(match: re.Match[str]) -> tuple[OsFamily, tuple[int, ...]]:
    """:func:`platforms.family_and_level`, typed as the tag-block families."""
    family, level = family_and_level(match)
    return _FAMILIES[family], level


_FAMILIES: dict[str, OsFamily] = {
    "manylinux": "manylinux",
    "musllinux": "musllinux",
    "macosx": "macosx",
    "ios": "ios",
    "android": "android",
    "pyemscripten": "pyemscripten",
    "emscripten": "emscripten",
}


def _check_level(os: OsFamily, level: tuple[int, ...], token: str) -> str | None:
    """A message when a level cannot exist, else None."""
    if os == "manylinux" and (level[0] != 2 or level[1] < 5):
        return f"{token!r} is not a glibc level: manylinux levels start at manylinux_2_5"
    if os == "musllinux" and level[0] != 1:
        return f"{token!r} is not a musl level: musllinux levels are musllinux_1_N"
    if os == "macosx" and level[0] < 10:
        return f"{token!r} is not a macOS version: macOS tags start at macosx_10_0"
    # The floors of packaging's ios_platforms (12.0) and android_platforms (API level 16).
    if os == "ios" and level[0] < 12:
        return f"{token!r} is not an iOS version CPython runs on: iOS tags start at ios_12_0"
    if os == "android" and level[0] < 16:
        return f"{token!r} is not an Android API level CPython runs on: they start at android_16"
    return None


# Why a token that looks like a platform is none: message, hint, and whether it is a real family
# with a level or architecture it never had (ImpossiblePlatform) rather than a misspelling.
_Problem = tuple[str, "str | None", bool]


def _classify_platform(token: str) -> PlatformSpec | _Problem | None:
    """A PlatformSpec when ``token`` (lower-case) is a platform family or full platform tag, a
    problem when it looks like one but cannot be, None when it is not a platform at all."""
    if token in ("win", "linux", "any"):
        return PlatformSpec(token)  # type: ignore[arg-type]
    if token in _WIN_FULL:
        return PlatformSpec("win", None, _WIN_FULL[token])
    match = FAMILY_LEVEL_RE.fullmatch(token)
    if match:
        os, level = _family_of(match)
        problem = _check_level(os, level, token)
        return (problem, None, True) if problem else PlatformSpec(os, level)
    arch: str | None = None
    base: PlatformSpec | None = None
    legacy = False
    match = PLATFORM_RE.fullmatch(token)
    if match and match["arch"] and _ARCH_WORD_RE.fullmatch(match["arch"]):
        os, level = _family_of(match)
        problem = _check_level(os, level, token)
        if problem:
            return problem, None, True
        base, arch, legacy = PlatformSpec(os, level), match.group("arch"), bool(match["legacy"])
    elif token.startswith("linux_"):
        base, arch = PlatformSpec("linux"), token[len("linux_") :]
    elif token.startswith("win_"):
        base, arch = PlatformSpec("win"), token[len("win_") :]
    if base is None or arch is None:
        return None
    # A full tag is a file-name tag: its architecture must be spelled as wheels spell it.
    allowed = archs_of(base.os, base.level, legacy=legacy)
    if arch not in allowed:
        own = canonical_arch(base.os, arch)
        if own in allowed and own != arch:
            spelled = replace(base, arch=own).tag(legacy=legacy)
            return f"{token!r} is not a platform tag", f"wheels spell it {spelled!r}", False
        return _arch_message(base, arch), _arch_hint(base, legacy), arch in ALL_ARCHS
    return replace(base, arch=arch)


def parse_platform(text: str, *, span: Span | None = None) -> PlatformSpec:
    """The platform a ``--platform`` value names: a full platform tag (``manylinux_2_28_x86_64``,
    ``manylinux1_x86_64``, ``macosx_10_9_x86_64``, ``win_amd64``, ``linux_x86_64``,
    ``musllinux_1_2_aarch64``) or a family (``manylinux2014``, ``any``). Case-insensitive.

    ``span``, when given, is where the value is on the user's line, for the error. Raises
    TokenError for anything else, with the nearest valid spelling as a hint.
    """
    token = text.strip().lower()
    result = _classify_platform(token)
    if isinstance(result, PlatformSpec):
        return result
    if result is not None:
        error = ImpossiblePlatform if result[2] else TokenError
        raise error(result[0], token=text, span=span, hint=result[1])
    suggestion = _suggest(token, _PLATFORM_VOCABULARY)
    raise TokenError(
        f"unknown platform {text!r}",
        token=text,
        hint=f"did you mean {suggestion!r}?" if suggestion else _PLATFORM_EXPECTED,
        span=span,
    )


_PLATFORM_EXPECTED = (
    "expected a platform such as manylinux2014_x86_64, manylinux_2_28_aarch64, "
    "musllinux_1_2_x86_64, macosx_11_0_arm64, win_amd64 or any"
)

# --- python tags and ABIs ---------------------------------------------------------------------

_PYTHON_RE = re.compile(r"(?P<impl>cp|pp|py|graalpy)(?P<major>\d)(?P<minor>\d+)?")
_CP_ABI_RE = re.compile(r"cp(?P<major>\d)(?P<minor>\d+)(?P<flags>[dmut]+)")
_PYPY_ABI_RE = re.compile(r"pypy(?P<major>\d)(?P<minor>\d+)_pp(?P<pp>\d+)")
# GraalPy's ABI, as packaging's _generic_abi reads EXT_SUFFIX '.graalpy242-311-native-...':
# the GraalPy release, then the Python version it implements.
_GRAALPY_ABI_RE = re.compile(r"graalpy(?P<release>\d+)_(?P<major>\d)(?P<minor>\d+)_native")
_GENERIC_ABIS = ("abi3", "abi3t", "none")


def python_version_of(tag: str) -> tuple[int, ...] | None:
    """The Python version a python or ABI tag names: ``cp36`` and ``cp36m`` give ``(3, 6)``,
    ``py3`` gives ``(3,)``, ``pypy39_pp73`` gives ``(3, 9)``; None for ``abi3``/``none`` and for
    anything else."""
    tag = tag.lower()
    match = (
        _PYTHON_RE.fullmatch(tag)
        or _CP_ABI_RE.fullmatch(tag)
        or _PYPY_ABI_RE.fullmatch(tag)
        or _GRAALPY_ABI_RE.fullmatch(tag)
    )
    if not match:
        return None
    if match["minor"] is None:
        return (int(match["major"]),)
    return (int(match["major"]), int(match["minor"]))


def implementation_of(tag: str) -> str:
    """The implementation code of a python or ABI tag: ``cp39``/``cp39d`` give ``cp``,
    ``pp39``/``pypy39_pp73`` give ``pp``, ``graalpy311``/``graalpy242_311_native`` give
    ``graalpy``, ``py3`` gives ``py``; the tag's letters for anything else."""
    tag = tag.lower()
    if tag.startswith("graalpy"):
        return "graalpy"
    if tag.startswith("pypy"):
        return "pp"
    return tag[:2]


def _python_tag_problem(token: str) -> str | None:
    """Why a token shaped like a python tag cannot be one, or None."""
    match = _PYTHON_RE.fullmatch(token)
    assert match is not None
    if match["impl"] != "py" and match["minor"] is None:
        return f"the python tag {token!r} needs a minor version, e.g. '{token}9'"
    return None


def _abi_problem(token: str) -> str | None:
    """Why a token shaped like a CPython ABI cannot exist, or None."""
    match = _CP_ABI_RE.fullmatch(token)
    assert match is not None
    version = (int(match["major"]), int(match["minor"]))
    flags = match["flags"]
    # CPython writes them threading, debug, pymalloc, wide unicode: 'cp313td' (packaging's
    # _cpython_abis builds f"cp{version}{threading}{debug}{pymalloc}{ucs4}").
    if len(set(flags)) != len(flags) or "".join(sorted(flags, key="tdmu".index)) != flags:
        return f"{token!r} is not an ABI tag: its flags should read in the order t, d, m, u"
    if "m" in flags and version >= (3, 8):
        return f"the ABI {token!r} does not exist: CPython dropped the 'm' flag in 3.8"
    if "u" in flags and version >= (3, 3):
        return f"the ABI {token!r} does not exist: the 'u' flag is Python 2 only"
    if "t" in flags and version < (3, 13):
        return f"the ABI {token!r} does not exist: free-threaded builds start at CPython 3.13"
    return None


# --- classification ---------------------------------------------------------------------------

# A wheel tag as (interpreter, abi, platform), lower-cased: what packaging's Tag holds. Checking a
# block needs only these strings; Tag objects are made when a TagSpec is built.
_Triple = tuple[str, str, str]


class _Token:
    """One classified token of a block (one is made for every token of every line read)."""

    __slots__ = ("kind", "platform", "span", "tags", "text")

    def __init__(
        self,
        text: str,  # lower-cased
        span: Span,
        kind: _Kind,
        platform: PlatformSpec | None = None,
        tags: frozenset[_Triple] = frozenset(),
    ) -> None:
        self.text = text
        self.span = span
        self.kind = kind
        self.platform = platform
        self.tags = tags


def _build_vocabulary() -> tuple[str, ...]:
    words: list[str] = ["win", "linux", "any", "manylinux1", "manylinux2010", "manylinux2014"]
    words += [f"manylinux_2_{n}" for n in (17, 24, 28, 31, 34, 35, 39)]
    words += [f"musllinux_1_{n}" for n in (1, 2)]
    words += [f"macosx_10_{n}" for n in (9, 13, 15)] + [f"macosx_{n}_0" for n in range(11, 16)]
    words += ["win32", "win_amd64", "win_arm64"]
    for legacy in sorted(LEGACY_LEVEL):
        words += [f"{legacy}_{a}" for a in MANYLINUX1_ARCHS]
    words += [f"manylinux2014_{a}" for a in MANYLINUX2014_ARCHS]
    words += [f"musllinux_1_2_{a}" for a in MUSLLINUX_ARCHS]
    words += [f"macosx_11_0_{a}" for a in ("arm64", "x86_64", "universal2")]
    words += [f"linux_{a}" for a in ("x86_64", "aarch64", "i686", "armv7l", "armv8l")]
    words += [f"ios_13_0_{a}" for a in IOS_ARCHS] + ["ios_13_0"]
    words += [f"android_24_{a}" for a in ANDROID_ARCHS] + ["android_24"]
    words += ["pyemscripten_2026_0_wasm32", "pyemscripten_2026_0", "emscripten_5_0_3_wasm32"]
    return tuple(dict.fromkeys(words))


_PLATFORM_VOCABULARY = _build_vocabulary()
_VOCABULARY = (
    *_PLATFORM_VOCABULARY,
    *sorted(ALL_ARCHS),
    *[f"cp3{n}" for n in range(6, 15)],
    *[f"py3{n}" for n in range(6, 15)],
    "py3",
    "py2",
    *[f"pp3{n}" for n in range(7, 12)],
    "cp36m",
    "cp37m",
    "cp313t",
    "cp314t",
    *_GENERIC_ABIS,
    *[f"pypy3{n}_pp73" for n in range(7, 12)],
)


def _suggest(token: str, vocabulary: Iterable[str] = _VOCABULARY) -> str | None:
    """The nearest valid token to a typo, or None when nothing is near."""
    # 'manylinux3' reads as "the third manylinux", 'manylinux2016' as a wrong year: difflib alone
    # would say 'manylinux1', which is the one they least likely meant.
    match = re.fullmatch(r"manylinux(\d+)(_.*)?", token)
    if match and not token.startswith("manylinux_"):
        number = int(match.group(1))
        legacy = {1: "manylinux1", 2: "manylinux2010", 3: "manylinux2014"}.get(number)
        if legacy is None:
            legacy = "manylinux2010" if 2000 <= number <= 2011 else "manylinux2014"
        guess = legacy + (match.group(2) or "")
        if guess in vocabulary or match.group(2) is None:
            return guess
    # A Python version written as a version ('3.12', 'python3.12', 'py3.12', 'cpython312'): the
    # python tag of CPython, whose wheels most projects ship (a py tag would take only generic
    # wheels, the opposite of what a version next to a platform usually means).
    version = re.fullmatch(r"(c?python|py|cp)?\s*(\d)\.?(\d{1,2})", token)
    if version:
        prefix = "py" if version.group(1) == "py" else "cp"  # 'py3.12' meant the py tag
        guess = f"{prefix}{version.group(2)}{version.group(3)}"
        if guess in vocabulary or re.fullmatch(r"(cp|py)3\d{1,2}", guess):
            return guess
    import difflib  # only a typo needs it

    close = difflib.get_close_matches(token, list(vocabulary), n=1, cutoff=0.6)
    return close[0] if close else None


_CACHE: dict[str, _Token | tuple[str, str | None]] = {}
_NOWHERE = Span("<token>", 1, 0, 0, "")


def _classify(token: str, span: Span) -> _Token | TokenError:
    """One token (already lower-cased and stripped) as a classified token or the error it is.

    Files repeat the same few tokens on every line, so classifications are memoised (without
    their span, which is put back here).
    """
    hit = _CACHE.get(token)
    if hit is None:
        result = _classify_uncached(token, _NOWHERE)
        hit = result if isinstance(result, _Token) else (result.message, result.hint)
        if len(_CACHE) < 4096:
            _CACHE[token] = hit
    if isinstance(hit, _Token):
        return _Token(hit.text, span, hit.kind, hit.platform, hit.tags)
    return TokenError(hit[0], token=token, span=span, hint=hit[1])


def _classify_uncached(token: str, span: Span, *, suggest: bool = True) -> _Token | TokenError:
    platform = _classify_platform(token)
    if isinstance(platform, PlatformSpec):
        return _Token(token, span, "platform", platform=platform)
    if platform is not None:
        return TokenError(platform[0], token=token, span=span, hint=platform[1])
    if token in ALL_ARCHS:
        return _Token(token, span, "arch")
    if _PYTHON_RE.fullmatch(token):
        problem = _python_tag_problem(token)
        if problem:
            return TokenError(problem, token=token, span=span)
        return _Token(token, span, "python")
    if _CP_ABI_RE.fullmatch(token):
        problem = _abi_problem(token)
        if problem:
            return TokenError(problem, token=token, span=span)
        return _Token(token, span, "abi")
    if token in _GENERIC_ABIS or _PYPY_ABI_RE.fullmatch(token) or _GRAALPY_ABI_RE.fullmatch(token):
        return _Token(token, span, "abi")
    if token.count("-") == 2:
        return _classify_triple(token, span)
    suggestion = _suggest(token.replace("-", "_")) if suggest else None
    if suggestion:
        hint = f"did you mean {suggestion!r}?"
    else:
        hint = (
            "expected a platform (manylinux2014, win_amd64, ...), an architecture (x86_64, ...), "
            "a python tag (cp39, py3), an ABI (cp36m, abi3, none) or a tag triple"
        )
    return TokenError(f"unknown tag {token!r}", token=token, span=span, hint=hint)


def _classify_triple(token: str, span: Span) -> _Token | TokenError:
    """A whole wheel tag ``py-abi-plat`` (each part may be a ``.``-joined set)."""
    tags = _split_triple(token)
    if tags is None:
        return TokenError(f"{token!r} is not a wheel tag triple", token=token, span=span)
    for tag in sorted(tags, key="-".join):
        for part, kind in ((tag[0], "python"), (tag[1], "abi"), (tag[2], "plat")):
            if kind == "plat":
                result = _classify_platform(part)
                if not isinstance(result, PlatformSpec) or (
                    result.arch is None and result.os != "any"
                ):
                    message = result[0] if isinstance(result, tuple) else None
                    return TokenError(
                        message or f"{part!r} in {token!r} is not a full platform tag",
                        token=token,
                        span=span,
                        hint="a triple reads python-abi-platform, e.g. "
                        "'cp36-cp36m-manylinux1_x86_64'",
                    )
                continue
            inner = _classify(part, span)
            if isinstance(inner, TokenError):
                inner.message = f"{inner.message} (in the triple {token!r})"
                inner.args = (inner.message,)
                return inner
            if inner.kind != kind and not (kind == "abi" and inner.kind == "python"):
                return TokenError(
                    f"{part!r} in {token!r} is not a{'n ABI' if kind == 'abi' else ' python'} tag",
                    token=token,
                    span=span,
                    hint="a triple reads python-abi-platform, e.g. 'cp36-cp36m-manylinux1_x86_64'",
                )
    return _Token(token, span, "triple", tags=tags)


def _split_triple(token: str) -> frozenset[_Triple] | None:
    """The tags of ``py-abi-plat`` (a compressed set such as ``py2.py3-none-any`` is several), as
    :func:`packaging.tags.parse_tag` reads it; None when packaging rejects it.

    The usual shape (three parts, no empty member, identifiers for interpreters) is split here:
    importing packaging.tags costs more than `tagpip check` spends on a whole file. Anything else
    goes to packaging, whose rules for odd shapes differ between its versions.
    """
    parts = [component.split(".") for component in token.split("-")]
    usual = len(parts) == 3 and all(all(members) for members in parts)
    if usual and all(interpreter.isidentifier() for interpreter in parts[0]):
        return frozenset((i, a, p) for i in parts[0] for a in parts[1] for p in parts[2])
    # packaging.tags pulls in subprocess and sysconfig: only pay for it when it must decide.
    from packaging.tags import parse_tag

    try:
        tags = parse_tag(token)
    except ValueError:
        return None
    return frozenset((t.interpreter, t.abi, t.platform) for t in tags)


# --- the block --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TagSpec:
    """What one tag block says about its target; what it leaves out is filled from the target.

    ``interpreter`` is a python tag (``cp36``, ``py3``, ``pp39``); ``abis`` are ABI tags in the
    order given; ``triples`` are whole wheel tags given as ``py-abi-plat`` (their parts are also
    reflected in the other fields); ``tokens`` are the block's tokens, lower-cased, as written,
    for formatting the block back; ``span`` covers the block including its brackets.

    ``arch`` is the architecture the block names: in the platform family's spelling when the
    block also names a family (then it equals ``platform.arch``), else lower-cased as written
    (``amd64`` stays ``amd64`` until a target says which family it is for). A CPython ABI with
    no python tag (``[cp36m]``) leaves ``interpreter`` None: the target fills it.

    Equality ignores ``span``: two blocks are equal when they say the same thing the same way.
    """

    interpreter: str | None = None
    abis: tuple[str, ...] = ()
    platform: PlatformSpec | None = None
    triples: tuple[Tag, ...] = ()
    tokens: tuple[str, ...] = ()
    span: Span | None = field(default=None, compare=False)
    arch: str | None = None


Locate = Callable[[int, int], Span]


def _inside(text: str) -> tuple[str, int]:
    """A block's inside (brackets removed when both are there) and where it starts in ``text``."""
    if text.startswith("[") and text.endswith("]") and len(text) >= 2:
        return text[1:-1], 1
    return text, 0


def _locator(text: str, span: Span) -> Locate:
    """A function from offsets in the block's inside to spans on the user's line.

    Offsets map column for column when ``text`` is what ``span`` covers; otherwise (the block came
    out of a ``${VAR}`` expansion) every token points at the whole block.
    """
    inner_start = _inside(text)[1]
    exact = span.end - span.start == len(text) and span.text[span.start : span.end] == text

    base = span.start + inner_start

    def locate(start: int, end: int) -> Span:
        if not exact:
            return span
        return Span(span.source, span.line, base + start, base + end, span.text)

    return locate


def _scan(
    inner: str, locate: Locate, block_span: Span, *, build: bool = True
) -> tuple[TagSpec | None, list[TokenError]]:
    """Classify every token of a block's inside and check they fit together; with ``build``
    False only the problems are wanted (the spec is None)."""
    problems: list[TokenError] = []
    tokens: list[_Token] = []
    if not inner.strip():
        problems.append(
            TokenError(
                "empty tag block",
                span=block_span,
                hint="give at least one token, e.g. [manylinux2014,cp39,x86_64], or remove it",
            )
        )
        return None, problems
    position = 0
    for raw in inner.split(","):
        start = position + len(raw) - len(raw.lstrip())
        end = position + len(raw.rstrip())
        position += len(raw) + 1
        word = raw.strip().lower()
        span = locate(start, max(end, start))
        if not word:
            problems.append(
                TokenError(
                    "empty token in tag block",
                    span=locate(start, start + 1) if start < len(inner) else span,
                    hint="tokens are separated by single commas",
                )
            )
            continue
        if len(word.split()) > 1:
            problems.append(
                TokenError(
                    f"{raw.strip()!r} is not one token",
                    token=word,
                    span=span,
                    hint="separate tokens with commas",
                )
            )
            continue
        result = _classify(word, span)
        if isinstance(result, TokenError):
            problems.append(result)
        else:
            tokens.append(result)
    spec = _combine(tokens, problems, build=build)
    if problems:
        return None, problems
    return spec, problems


def _combine(tokens: list[_Token], problems: list[TokenError], *, build: bool) -> TagSpec | None:
    """Merge classified tokens into one TagSpec, adding a problem for every clash; None when there
    are problems or ``build`` is False (checking a block makes no packaging Tag)."""
    interpreter: _Token | None = None
    interpreter_tag: str | None = None
    abis: list[tuple[str, _Token]] = []
    platform: PlatformSpec | None = None
    platform_token: _Token | None = None
    arch: tuple[str, _Token] | None = None
    triples: list[_Triple] = []

    def set_interpreter(tag: str, token: _Token) -> None:
        nonlocal interpreter, interpreter_tag
        if interpreter_tag is None:
            interpreter, interpreter_tag = token, tag
        elif interpreter_tag != tag:
            assert interpreter is not None
            problems.append(
                TokenError(
                    f"two python tags in one block: {interpreter_tag!r} and {tag!r}",
                    token=token.text,
                    span=token.span,
                    hint="a block describes one interpreter; use one python tag",
                )
            )

    def set_platform(spec: PlatformSpec, token: _Token) -> None:
        nonlocal platform, platform_token
        family = PlatformSpec(spec.os, spec.level) if spec.arch is not None else spec
        if spec.arch is not None:
            set_arch(spec.arch, token)
        if platform is None:
            platform, platform_token = family, token
            return
        assert platform_token is not None
        if platform.os != family.os:
            problems.append(
                TokenError(
                    f"two operating systems in one block: {platform_token.text!r} and "
                    f"{token.text!r}",
                    token=token.text,
                    span=token.span,
                    hint="a block describes one platform; write one line per target",
                )
            )
        elif platform != family:
            problems.append(
                TokenError(
                    f"two platform levels in one block: {platform_token.text!r} and {token.text!r}",
                    token=token.text,
                    span=token.span,
                    hint="name one level: a glibc level implies every lower one",
                )
            )

    def set_arch(value: str, token: _Token) -> None:
        nonlocal arch
        if arch is None:
            arch = (value, token)
        elif arch[0] != value and not _same_arch(arch[0], value):
            problems.append(
                TokenError(
                    f"two architectures in one block: {arch[1].text!r} and {token.text!r}",
                    token=token.text,
                    span=token.span,
                    hint="a block describes one architecture",
                )
            )

    for token in tokens:
        if token.kind == "platform":
            assert token.platform is not None
            set_platform(token.platform, token)
        elif token.kind == "arch":
            set_arch(token.text, token)
        elif token.kind == "python":
            if (
                interpreter_tag == token.text
                and token.text.startswith("cp")
                and token is not interpreter
            ):
                # 'cp39,cp39' reads as python tag then ABI, as in the triple cp39-cp39-...
                abis.append((token.text, token))
            else:
                set_interpreter(token.text, token)
        elif token.kind == "abi":
            abis.append((token.text, token))
        else:
            triples.extend(sorted(token.tags, key="-".join))  # str(Tag) order
            interpreters = {t[0] for t in token.tags}
            abi_set = {t[1] for t in token.tags}
            platforms = {t[2] for t in token.tags}
            if len(interpreters) == 1:
                set_interpreter(next(iter(interpreters)), token)
            if len(abi_set) == 1:
                abis.append((next(iter(abi_set)), token))
            if len(platforms) == 1:
                spec = _classify_platform(next(iter(platforms)))
                if isinstance(spec, PlatformSpec):
                    set_platform(spec, token)

    final_arch: str | None = None
    if arch is not None:
        value, token = arch
        if platform is not None:
            try:
                platform = platform.with_arch(value)
            except TokenError as error:
                problems.append(
                    TokenError(error.message, token=token.text, span=token.span, hint=error.hint)
                )
            final_arch = platform.arch
        else:
            final_arch = value

    abi_names = tuple(dict.fromkeys(name for name, _ in abis))
    for name, token in abis:
        problem = _abi_fit(name, interpreter_tag)
        if problem:
            problems.append(TokenError(problem, token=token.text, span=token.span))

    if problems or not build:
        return None
    tags: tuple[Tag, ...] = ()
    if triples:
        from packaging.tags import Tag

        tags = tuple(dict.fromkeys(Tag(*triple) for triple in triples))
    return TagSpec(
        interpreter=interpreter_tag,
        abis=abi_names,
        platform=platform,
        triples=tags,
        tokens=tuple(t.text for t in tokens),
        arch=final_arch,
    )


def _same_arch(a: str, b: str) -> bool:
    """Whether two architecture spellings are synonyms in some family."""
    return any(canonical_arch(os, a) == canonical_arch(os, b) for os in ("linux", "macosx", "win"))


def _abi_fit(abi: str, interpreter: str | None) -> str | None:
    """Why ``abi`` cannot go with the python tag ``interpreter``, or None when it can."""
    if interpreter is None or abi == "none":
        return None
    impl = implementation_of(interpreter)
    version = python_version_of(interpreter)
    if abi in ("abi3", "abi3t"):
        if impl in ("pp", "graalpy"):
            return f"the ABI {abi!r} is CPython's stable ABI; {interpreter!r} cannot use it"
        return None
    abi_version = python_version_of(abi)
    abi_impl = implementation_of(abi)
    if impl != "py" and abi_impl != impl:
        return f"the ABI {abi!r} does not fit the python tag {interpreter!r}"
    assert version is not None
    assert abi_version is not None
    if abi_version[: len(version)] != version:
        return f"the ABI {abi!r} does not fit the python tag {interpreter!r}"
    return None


def looks_like_tag_token(text: str) -> bool:
    """Whether ``text`` is a valid tag-block token (for warning about tags written as extras)."""
    word = text.strip().lower()
    if not word or any(c.isspace() for c in word) or "," in word:
        return False
    hit = _CACHE.get(word)
    if hit is not None:
        return isinstance(hit, _Token)
    # Not through _classify: an error would be memoised without the typo suggestion, which is
    # not needed here and costs more (difflib) than the rest of the check of a whole line.
    result = _classify_uncached(word, _NOWHERE, suggest=False)
    if isinstance(result, _Token) and len(_CACHE) < 4096:
        _CACHE[word] = result
    return isinstance(result, _Token)


def parse_abi(text: str, *, span: Span | None = None) -> str:
    """An ABI tag as given to ``--abi`` (``cp36m``, ``cp39``, ``abi3``, ``none``,
    ``pypy39_pp73``), lower-cased; raises TokenError for anything else."""
    word = text.strip().lower()
    where = span or Span("<command line>", 1, 0, len(text), text)
    result = _classify(word, where)
    if isinstance(result, TokenError):
        raise TokenError(result.message, token=text, span=span, hint=result.hint)
    if result.kind == "abi" or (result.kind == "python" and word.startswith("cp")):
        return word
    raise TokenError(
        f"{text!r} is not an ABI tag",
        token=text,
        span=span,
        hint="expected an ABI such as cp36m, cp39, cp313t, cp38d, abi3, abi3t, none, pypy39_pp73 "
        "or graalpy242_311_native",
    )


def check_tag_block(text: str, span: Span) -> tuple[TagSpec | None, tuple[TokenError, ...]]:
    """The TagSpec of a block and every problem of it, in the order of its tokens: the spec is
    None exactly when there are problems. Takes the arguments of :func:`parse_tag_block`."""
    inner = _inside(text)[0]
    cached = _BLOCK_CACHE.get(inner)
    if cached is not None:
        return replace(cached, span=span), ()
    spec, problems = _scan(inner, _locator(text, span), span)
    if spec is not None:
        if len(_BLOCK_CACHE) < 1024:
            # Files repeat the same block on many lines; only valid blocks are kept (errors carry
            # their tokens' spans).
            _BLOCK_CACHE[inner] = spec
        spec = replace(spec, span=span)
    return spec, tuple(problems)


_BLOCK_CACHE: dict[str, TagSpec] = {}
# Whether a block (as written: with or without brackets) has no problem, for checks that want no
# TagSpec (see tag_block_is_valid).
_VALID_BLOCKS: dict[str, bool] = {}


def tag_block_problems(text: str, span: Span) -> tuple[TokenError, ...]:
    """Every problem of a tag block, in the order of its tokens; empty when the block is valid.

    Takes the same arguments as :func:`parse_tag_block`. Nothing is built for a valid block (no
    TagSpec, no packaging Tag), which keeps `tagpip check` fast.
    """
    if _VALID_BLOCKS.get(text):
        return ()
    inner = _inside(text)[0]
    if inner in _BLOCK_CACHE:
        return ()
    problems = _scan(inner, _locator(text, span), span, build=False)[1]
    _remember_validity(text, not problems)
    return tuple(problems)


def tag_block_is_valid(text: str) -> bool:
    """Whether a tag block (brackets optional) has no problem: what :func:`tag_block_problems`
    says, without spans. Memoised per block, since a file repeats the same few blocks."""
    valid = _VALID_BLOCKS.get(text)
    if valid is None:
        inner = _inside(text)[0]
        valid = inner in _BLOCK_CACHE or not _scan(inner, _nowhere, _NOWHERE, build=False)[1]
        _remember_validity(text, valid)
    return valid


def _nowhere(start: int, end: int) -> Span:
    return _NOWHERE


def _remember_validity(text: str, valid: bool) -> None:
    if len(_VALID_BLOCKS) < 4096:
        _VALID_BLOCKS[text] = valid


def parse_tag_block(text: str, span: Span) -> TagSpec:
    """The TagSpec a tag block describes.

    ``text`` is the whole group as written, brackets included (``[manylinux1,cp36,x86_64]``; the
    inside alone is accepted too); ``span`` is where the group is on the user's own line. When
    ``span`` covers exactly ``text``, each error points at its own token; otherwise at the block.
    Raises the first TokenError; :func:`tag_block_problems` gives them all.
    """
    spec, problems = check_tag_block(text, span)
    if problems:
        raise problems[0]
    assert spec is not None
    return spec


def format_tag_block(spec: TagSpec) -> str:
    """The block as ``[token,...]``, its tokens as written (lower-cased); parsing it again gives
    an equal TagSpec."""
    if spec.tokens:
        return "[" + ",".join(spec.tokens) + "]"
    # A spec built in code rather than parsed: write what it says.
    words: list[str] = []
    if spec.platform is not None:
        if spec.platform.arch is not None:
            words.append(spec.platform.tag())
        else:
            words.append(spec.platform.family())
    elif spec.arch is not None:
        words.append(spec.arch)
    if spec.interpreter:
        words.append(spec.interpreter)
    words.extend(spec.abis)
    words.extend(str(t) for t in spec.triples)
    return "[" + ",".join(words) + "]"
