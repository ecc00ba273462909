"""Platform tags as a real system reads them: what one tag says and what it expands to.

A platform tag (``manylinux_2_28_x86_64``, ``macosx_11_0_arm64``, ``android_24_arm64_v8a``) names
an OS family, a level and an architecture; a real interpreter on such a system accepts a whole
list of tags, not just its own (docs/targets.md, "Target families"). Kept apart from
:mod:`tagpip.target` so that the target value, its marker environment and its makers all read a
tag the same way, and kept free of any tagpip import above :mod:`tagpip.vocabulary` so that
importing it can never form a cycle.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tagpip.vocabulary import MANYLINUX1_ARCHS, MANYLINUX_ARCHS

__all__ = [
    "ALSO_RUNS",
    "FAMILY_LEVEL_RE",
    "LEGACY_LEVEL",
    "LEGACY_MANYLINUX",
    "WINDOWS_MACHINES",
    "Platform",
    "classify",
    "expand_platforms",
    "family_and_level",
    "manylinux_tags",
    "musllinux_tags",
]

LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}
LEGACY_LEVEL = {name: level for level, name in LEGACY_MANYLINUX.items()}
_MANYLINUX_OLD_ARCHS = frozenset(MANYLINUX1_ARCHS)
_MANYLINUX_ARCHS = frozenset(MANYLINUX_ARCHS)
# A 32-bit ARM userland on a 64-bit kernel also runs armv7l code: packaging's _linux_platforms
# lists every armv8l tag, then the same for armv7l.
ALSO_RUNS = {"armv8l": ("armv7l",)}
_LAST_GLIBC_MINOR = 50  # packaging's guess for the last minor of an older glibc major

# The one spelling of a platform family with its level (``manylinux2014``, ``manylinux_2_28``,
# ``macosx_11_0``, ``android_24``): a family alone, or followed by ``_ARCH`` in a full tag. Both
# this module and the tag-block words (:mod:`tagpip.tokens`) read platforms with it.
_FAMILY_LEVEL = (
    r"(?:(?P<legacy>manylinux1|manylinux2010|manylinux2014)"
    r"|(?P<family>manylinux|musllinux|macosx|ios|pyemscripten)_(?P<major>\d+)_(?P<minor>\d+)"
    r"|android_(?P<api>\d+))"
)
FAMILY_LEVEL_RE = re.compile(_FAMILY_LEVEL)
PLATFORM_RE = re.compile(rf"{_FAMILY_LEVEL}_(?P<arch>.+)|linux_(?P<linux_arch>.+)")
WINDOWS_MACHINES = {"win32": "x86", "win_amd64": "AMD64", "win_arm64": "ARM64", "win_ia64": "IA64"}


@dataclass(frozen=True)
class Platform:
    """What one platform tag says: OS family, level, architecture."""

    family: str  # manylinux, musllinux, macosx, ios, android, pyemscripten, linux, win, any, other
    level: tuple[int, int] | None
    arch: str | None


def classify(tag: str) -> Platform:
    if tag == "any":
        return Platform("any", None, None)
    if tag in WINDOWS_MACHINES:
        return Platform("win", None, tag)
    match = PLATFORM_RE.fullmatch(tag)
    if match is None:
        return Platform("other", None, None)
    if match["linux_arch"]:
        return Platform("linux", None, match["linux_arch"])
    family, level = family_and_level(match)
    return Platform(family, level, match["arch"])


def family_and_level(match: re.Match[str]) -> tuple[str, tuple[int, int]]:
    """The family and level a match of :data:`FAMILY_LEVEL_RE` (or of a full tag) names: a
    legacy manylinux name is its glibc level, an Android API level is ``(api, 0)``."""
    if match["legacy"]:
        return "manylinux", LEGACY_LEVEL[match["legacy"]]
    if match["api"]:
        return "android", (int(match["api"]), 0)
    return match["family"], (int(match["major"]), int(match["minor"]))


def manylinux_tags(glibc: tuple[int, int], arch: str) -> Iterator[str]:
    """packaging's ``_manylinux.platform_tags`` for one arch and a given glibc, legacy aliases
    right after their level; nothing for an arch manylinux was never built for."""
    if arch not in _MANYLINUX_ARCHS:
        return
    too_old = (2, 4) if arch in _MANYLINUX_OLD_ARCHS else (2, 16)
    maxima = [glibc] + [(major, _LAST_GLIBC_MINOR) for major in range(glibc[0] - 1, 1, -1)]
    for major, top in maxima:
        lowest = too_old[1] if major == too_old[0] else -1
        for minor in range(top, lowest, -1):
            yield f"manylinux_{major}_{minor}_{arch}"
            legacy = LEGACY_MANYLINUX.get((major, minor))
            if legacy:
                yield f"{legacy}_{arch}"


def musllinux_tags(musl: tuple[int, int], arch: str) -> Iterator[str]:
    for minor in range(musl[1], -1, -1):
        yield f"musllinux_{musl[0]}_{minor}_{arch}"


def _expand_one(tag: str) -> list[str]:
    # Imported here: tag blocks read platforms through this module at `tagpip check`'s start,
    # which packaging.tags (and the typing it imports) would slow by a fifth.
    from packaging.tags import android_platforms, ios_platforms, mac_platforms

    info = classify(tag)
    if not (info.level and info.arch):
        return [tag]
    archs = (info.arch, *ALSO_RUNS.get(info.arch, ()))
    if info.family == "manylinux":
        expanded = [t for arch in archs for t in manylinux_tags(info.level, arch)]
        return expanded or [tag]
    if info.family == "musllinux":
        return [t for arch in archs for t in musllinux_tags(info.level, arch)]
    if info.family == "macosx":
        return list(mac_platforms(info.level, info.arch)) or [tag]
    if info.family == "ios":
        return list(ios_platforms(info.level, info.arch)) or [tag]
    if info.family == "android":
        return list(android_platforms(info.level[0], info.arch)) or [tag]
    return [tag]  # pyemscripten: packaging's _emscripten_platforms gives the one version


def expand_platforms(platforms: Iterable[str]) -> tuple[str, ...]:
    """Each platform expanded in place to what a real system of that kind accepts, keeping the given
    order and dropping repeats (docs/targets.md, "Target families"): ``manylinux_2_N_arch`` down to
    2_5 (2_17 off x86) with the legacy aliases after their level, ``musllinux_1_N`` down to 1_0
    (armv8l then also armv7l, for both), macOS, iOS and Android through packaging's
    ``mac_platforms``, ``ios_platforms`` and ``android_platforms``; Windows, ``linux_*``,
    ``pyemscripten_*`` and ``any`` stand alone."""
    seen: dict[str, None] = {}
    for platform in platforms:
        for tag in _expand_one(platform.lower()):
            seen.setdefault(tag, None)
    return tuple(seen)
