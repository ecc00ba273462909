"""Words for what a target gets and why: short summaries of the tags a release ships, and the
known binary twins of source-only projects.

Errors carry the data (every tag, every version); this module turns it into the one or two lines
a user reads, so that a "no wheel" error says what would work instead of printing kilobytes of
tags (the full lists stay on the error, shown under ``-v``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.version import Version

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tagpip.index import Index
    from tagpip.resolve import NoWheelForTarget, Resolution

__all__ = ["BINARY_TWINS", "Downgrade", "downgrades", "no_wheel_text", "summarise_tags"]

# Projects that publish sources only (or sources first) and a twin that publishes wheels of the
# same code. Sources: psycopg2's docs, "psycopg2 vs psycopg2-binary"
# (https://www.psycopg.org/docs/install.html#psycopg-vs-psycopg-binary); psycopg 3's docs
# (https://www.psycopg.org/psycopg3/docs/basic/install.html#binary-installation); mysqlclient has
# no twin, PyMySQL is pure Python but a different API, so it is not listed.
BINARY_TWINS: dict[str, str] = {
    "psycopg2": "psycopg2-binary",
    "psycopg": "psycopg[binary]",
}


def _natural(text: str) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


# The legacy names of glibc levels, which a wheel usually carries next to the new name.
_LEGACY = {
    "manylinux_2_5": "manylinux1",
    "manylinux_2_12": "manylinux2010",
    "manylinux_2_17": "manylinux2014",
}
_LAST = {"macOS": 1, "Windows": 2, "any platform": 3}


def _family(platform: str) -> str:
    """A platform tag without its architecture, in words where the level does not matter."""
    if platform == "any":
        return "any platform"
    if platform.startswith("macosx_"):
        return "macOS"
    if platform.startswith("win"):
        return "Windows"
    for prefix in ("manylinux_", "musllinux_"):
        if platform.startswith(prefix):
            family = "_".join(platform.split("_")[:3])
            return _LEGACY.get(family, family)
    for legacy in ("manylinux1", "manylinux2010", "manylinux2014"):
        if platform.startswith(legacy):
            return legacy
    return platform.rsplit("_", 1)[0] if "_" in platform else platform


def summarise_tags(tags: Iterable[str]) -> str:
    """``cp39-cp313 for manylinux_2_28, macOS, Windows`` for a release's wheel tags
    (``python-abi-platform`` strings); ``no wheels`` when there are none."""
    pythons: set[str] = set()
    families: dict[str, None] = {}
    for tag in tags:
        python, _, rest = tag.partition("-")
        _, _, platform = rest.partition("-")
        pythons.add(python)
        families.setdefault(_family(platform), None)
    if not pythons:
        return "no wheels (sources only)"
    ordered = sorted(pythons, key=_natural)
    python_text = ordered[0] if len(ordered) == 1 else f"{ordered[0]}-{ordered[-1]}"
    if len(ordered) == 2:
        python_text = f"{ordered[0]}, {ordered[1]}"
    order = sorted(families, key=lambda f: (_LAST.get(f, 0), _natural(f)))
    return f"{python_text} for {', '.join(order)}"


def no_wheel_text(error: NoWheelForTarget) -> tuple[str, str, tuple[str, ...]]:
    """The message, the hint and the full tag lists (for ``-v``) of a "no wheel" error: one
    summary line per release, what would work instead, never a dangling reference."""
    project = error.project
    matching = f" matching {error.specifier}" if error.specifier else ""
    who = ", ".join(error.required_by)
    lines = [f"no wheel of {project}{matching} for {error.target} (required by {who})"]
    details = []
    if error.only_sdists:
        lines.append(f"  {project} publishes only sdists, and this run does not build them")
    else:
        for version, tags in error.shipped:
            lines.append(f"  {project} {version} ships {summarise_tags(tags)}")
            details.append(f"{project} {version} ships: {', '.join(tags) or 'no wheels'}")
    twin = BINARY_TWINS.get(project)
    if twin is not None:
        hint = f"{twin} publishes wheels of the same code: require it instead of {project}"
    elif error.fits_elsewhere is not None:
        newest = error.fits_elsewhere
        hint = (
            f"{project} {newest} is the newest version with a wheel for this target: "
            f"require {project}=={newest}, or choose a target the newer releases support"
        )
    elif error.only_sdists:
        hint = "build the wheel for the target yourself, or choose another project"
    else:
        hint = f"no version of {project} has a wheel for this target: choose a target it supports"
    if details:
        hint += " (-v lists every tag)"
    return "\n".join(lines), hint, tuple(details)


@dataclass(frozen=True)
class Downgrade:
    """A project pinned below the newest release its requirements allow, because of the target:
    ``newest`` ships no wheel for it or needs a newer Python (``reason``)."""

    name: str
    chosen: Version
    newest: Version
    reason: str

    def describe(self) -> str:
        return f"{self.name} {self.chosen}, not {self.newest}: {self.newest} {self.reason}"


def downgrades(resolution: Resolution, index: Index) -> list[Downgrade]:
    """The pins the target forced below the newest final release the user's own lines on the
    project allow (a dependency's pins and other projects' demands are not the target's doing:
    only a newer release that has no wheel for the target, or needs a newer Python, counts)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    found = []
    for pin in resolution.pins:
        if any(line.requirement.url for line in pin.lines):
            continue
        files = [f for f in index.files(pin.name) if f.yanked is None]
        allowed = sorted(
            {
                f.version
                for f in files
                if not f.version.is_prerelease
                and all(line.requirement.specifier.contains(f.version) for line in pin.lines)
            },
            reverse=True,
        )
        if not allowed or allowed[0] <= pin.version:
            continue
        newest = allowed[0]
        wheels = [
            f
            for f in files
            if f.version == newest and f.is_wheel and pin.target.wheel_rank(f.tags) is not None
        ]
        if not wheels:
            reason = f"ships no wheel for {pin.target.describe()}"
        else:
            needs = []
            for f in wheels:
                try:
                    spec = SpecifierSet(f.requires_python or "")
                except InvalidSpecifier:
                    spec = SpecifierSet()
                if pin.target.allows_requires_python(spec):
                    break
                needs.append(str(spec))
            else:
                reason = f"requires Python {needs[0]}"
                found.append(Downgrade(pin.name, pin.version, newest, reason))
            continue
        found.append(Downgrade(pin.name, pin.version, newest, reason))
    return found
