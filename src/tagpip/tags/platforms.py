"""Platform tags as a real system reads them: what one tag says and what it expands to.

A platform tag (``manylinux_2_28_x86_64``, ``macosx_11_0_arm64``, ``android_24_arm64_v8a``) names an
OS family, a level and an architecture; a real interpreter on such a system accepts a whole list of
tags, not just its own (docs/targets.md, "Target families"). Kept apart from
:mod:`tagpip.target.value` so that the target value, its marker environment and its makers all read
a tag the same way, and kept free of any tagpip import above :mod:`tagpip.tags.vocabulary` so that
importing it can never form a cycle.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tagpip.tags.vocabulary import ALSO_RUNS, MANYLINUX1_ARCHS, MANYLINUX_ARCHS, WINDOWS_MACHINES

__all__ = [
    "FAMILY_LEVEL_RE",
    "LEGACY_LEVEL",
    "LEGACY_MANYLINUX",
    "PYEMSCRIPTEN_EMSCRIPTEN",
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
_LAST_GLIBC_MINOR = 50  # packaging's guess for the last minor of an older glibc major
# The Emscripten release of each PEP 783 platform: a Pyodide of that platform reports it as
# sysconfig.get_platform() ("emscripten-5.0.3-wasm32"), which packaging's _emscripten_platforms
# lists right after the pyemscripten tag. Source: Pyodide's Makefile.envs at the 314.0.x tags
# (PYODIDE_ABI_VERSION 2026_0, PYODIDE_EMSCRIPTEN_VERSION 5.0.3, PYVERSION 3.14.2), and the
# compatibility table of pyodide-build's docs (reference/platform: pyemscripten_2026_0 is
# Python 3.14 with Emscripten 5.0.3).
PYEMSCRIPTEN_EMSCRIPTEN: dict[tuple[int, int], tuple[int, int, int]] = {(2026, 0): (5, 0, 3)}

# The one spelling of a platform family with its level (``manylinux2014``, ``manylinux_2_28``,
# ``macosx_11_0``, ``android_24``): a family alone, or followed by ``_ARCH`` in a full tag. Both
# this module and the tag-block words (:mod:`tagpip.tags.tokens`) read platforms with it.
_FAMILY_LEVEL = (
    r"(?:(?P<legacy>manylinux1|manylinux2010|manylinux2014)"
    r"|(?P<family>manylinux|musllinux|macosx|ios|pyemscripten)_(?P<major>\d+)_(?P<minor>\d+)"
    r"|android_(?P<api>\d+)"
    r"|emscripten_(?P<em_major>\d+)_(?P<em_minor>\d+)_(?P<em_patch>\d+))"
)
FAMILY_LEVEL_RE = re.compile(_FAMILY_LEVEL)
PLATFORM_RE = re.compile(rf"{_FAMILY_LEVEL}_(?P<arch>.+)|linux_(?P<linux_arch>.+)")


@dataclass(frozen=True)
class Platform:
    """What one platform tag says: OS family, level, architecture."""

    # manylinux, musllinux, macosx, ios, android, pyemscripten, emscripten, linux, win, any, other
    family: str
    # Two numbers (a glibc, musl, macOS, iOS or PEP 783 version; an Android API level with 0),
    # three for emscripten (the Emscripten release that sysconfig.get_platform() names).
    level: tuple[int, ...] | None
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


def family_and_level(match: re.Match[str]) -> tuple[str, tuple[int, ...]]:
    """The family and level a match of :data:`FAMILY_LEVEL_RE` (or of a full tag) names: a
    legacy manylinux name is its glibc level, an Android API level is ``(api, 0)``, an
    ``emscripten_X_Y_Z`` platform its Emscripten release ``(X, Y, Z)``."""
    if match["legacy"]:
        return "manylinux", LEGACY_LEVEL[match["legacy"]]
    if match["api"]:
        return "android", (int(match["api"]), 0)
    if match["em_major"]:
        release = (match["em_major"], match["em_minor"], match["em_patch"])
        return "emscripten", tuple(int(n) for n in release)
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
    level = (info.level[0], info.level[1])
    if info.family == "manylinux":
        expanded = [t for arch in archs for t in manylinux_tags(level, arch)]
        return expanded or [tag]
    if info.family == "musllinux":
        return [t for arch in archs for t in musllinux_tags(level, arch)]
    if info.family == "macosx":
        return list(mac_platforms(level, info.arch)) or [tag]
    if info.family == "ios":
        return list(ios_platforms(level, info.arch)) or [tag]
    if info.family == "android":
        return list(android_platforms(level[0], info.arch)) or [tag]
    if info.family == "pyemscripten":
        # packaging's _emscripten_platforms: the PEP 783 platform, then sysconfig's own
        # platform (``emscripten_5_0_3_wasm32``), which names the Emscripten release.
        emscripten = PYEMSCRIPTEN_EMSCRIPTEN.get(level)
        if emscripten is not None:
            return [tag, "emscripten_{}_{}_{}_{}".format(*emscripten, info.arch)]
    return [tag]  # emscripten_X_Y_Z, or a PEP 783 platform whose Emscripten is not known yet


def expand_platforms(platforms: Iterable[str]) -> tuple[str, ...]:
    """Each platform expanded in place to what a real system of that kind accepts, keeping the given
    order and dropping repeats (docs/targets.md, "Target families"): ``manylinux_2_N_arch`` down to
    2_5 (2_17 off x86) with the legacy aliases after their level, ``musllinux_1_N`` down to 1_0
    (armv8l then also armv7l, for both), macOS, iOS and Android through packaging's
    ``mac_platforms``, ``ios_platforms`` and ``android_platforms``; ``pyemscripten_Y_P`` then
    the ``emscripten_X_Y_Z`` platform of its Emscripten release, as packaging's
    ``_emscripten_platforms`` lists them on a real Pyodide; Windows, ``linux_*``,
    ``emscripten_*`` and ``any`` stand alone."""
    seen: dict[str, None] = {}
    for platform in platforms:
        for tag in _expand_one(platform.lower()):
            seen.setdefault(tag, None)
    return tuple(seen)
