"""Named targets for the places people deploy to, built from the facts in :mod:`tagpip.presetfacts`.

A preset is a short name for pip's flags (``--python-version`` and ``--platform``): its platform
is the place's own C library level (``manylinux_2_36_aarch64`` on Debian 12 arm64) so that the
target takes exactly the wheels that load there, led on an OS people install wheels on by the
plain ``linux_<arch>`` tag a real interpreter lists first. A place that packages several Pythons
names its default; ``--python-version`` picks another and changes nothing else (the glibc stays
the place's). Where each fact comes from is written next to it in :mod:`tagpip.presetfacts` and
printed by ``tagpip tags --list-presets``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace

from tagpip.presetfacts import RELEASES, Release, help_summary
from tagpip.tags import parse_python_version
from tagpip.target.layers import target_from_flags
from tagpip.target.value import Target, TargetError, parse_word

__all__ = ["PRESETS", "Preset", "preset", "preset_names"]


@dataclass(frozen=True)
class Preset:
    """A named target: what it stands for, the flags it means, and where the facts come from.

    ``python_version`` is the place's default Python (X.Y.Z where the place pins its patch
    level); ``pythons`` are the others it packages. ``one_python``: the place runs exactly this
    Python (a service's runtime, a Pyodide build), so ``--python-version`` may only add a patch
    level to it.
    """

    name: str
    description: str
    python_version: str
    platforms: tuple[str, ...]
    implementation: str = "cp"
    sources: tuple[str, ...] = ()
    pythons: tuple[str, ...] = ()
    one_python: bool = False
    release: Release | None = field(default=None, compare=False, repr=False)

    def target(self, python_version: str | None = None) -> Target:
        """The target this preset names, with ``python_version`` (``--python-version``) in place
        of the default: one the place packages keeps its known patch level; another is taken as
        given, said in a note (the interpreter is then one the user installs there)."""
        version, notes = self._version(python_version)
        target = target_from_flags(self.platforms, version, self.implementation, ())
        return replace(target, source=f"the preset {self.name}", notes=tuple(notes))

    def _version(self, given: str | None) -> tuple[str, list[str]]:
        if given is None:
            return self.python_version, []
        wanted = parse_word(parse_python_version, given)
        offered = (self.python_version, *self.pythons)
        for version in offered:
            if parse_python_version(version)[:2] == wanted[:2]:
                return (given.strip() if len(wanted) > 2 else version), []
        packaged = ", ".join(offered)
        if self.one_python:
            own = ".".join(map(str, parse_python_version(self.python_version)[:2]))
            siblings = [name for name, other in PRESETS.items() if self._sibling(other, wanted)]
            raise TargetError(
                f"the preset {self.name} runs Python {self.python_version} only, not {given}",
                hint=f"use the preset {siblings[0]}"
                if siblings
                else f"--python-version may only give its patch level (e.g. {own}.1)",
            )
        glibc = self.release.glibc if self.release else None
        libc = f" and glibc {glibc[0]}.{glibc[1]}" if glibc else ""
        note = (
            f"the preset {self.name} packages Python {packaged}; {given} there is a Python you "
            f"install yourself, so the target keeps {self.name}'s platform{libc} and takes "
            f"CPython {given}"
        )
        return given.strip(), [note]

    def _sibling(self, other: Preset, version: tuple[int, ...]) -> bool:
        """Whether ``other`` is this service's preset for ``version`` on the same machine."""
        return (
            other.name.split("-")[0] == self.name.split("-")[0]
            and parse_python_version(other.python_version)[:2] == version[:2]
            and other.platforms[-1].rsplit("_", 1)[-1] == self.platforms[-1].rsplit("_", 1)[-1]
        )


def _platforms(release: Release, machine: str) -> tuple[str, ...]:
    if release.platform is not None:
        return (release.platform,)
    assert release.glibc is not None
    manylinux = f"manylinux_{release.glibc[0]}_{release.glibc[1]}_{machine}"
    return (f"linux_{machine}", manylinux) if release.plain_linux else (manylinux,)


def _presets() -> dict[str, Preset]:
    presets: dict[str, Preset] = {}
    one_python = ("aws-lambda-", "azure-functions-", "pyodide-", "cloudflare-")
    for release in RELEASES:
        for name, word, machine in release.names():
            where = f"{release.title}, {word}" if word else release.title
            presets[name] = Preset(
                name=name,
                description=where,
                python_version=release.python,
                platforms=_platforms(release, machine),
                sources=(release.source,),
                pythons=release.pythons,
                one_python=release.key.startswith(one_python),
                release=release,
            )
    return presets


PRESETS: dict[str, Preset] = _presets()


def preset_names() -> list[str]:
    """Every preset name, in a stable order."""
    return sorted(PRESETS)


def preset(name: str, python_version: str | None = None) -> Target:
    """The target of the preset ``name`` (with ``python_version`` in place of its default);
    TargetError with the nearest name and the list when there is none."""
    key = name.strip().lower()
    found = PRESETS.get(key)
    if found is None:
        machines = [n for n in preset_names() if n.startswith(key + "-")]
        close = difflib.get_close_matches(key, preset_names(), n=1)
        if machines:  # the place without its machine: name them all
            near = f"did you mean one of {', '.join(repr(n) for n in machines)}? "
        else:
            near = f"did you mean {close[0]!r}? " if close else ""
        raise TargetError(
            f"unknown preset {name!r}",
            hint=f"{near}the presets are {help_summary()} (tagpip tags --list-presets shows "
            "each one's facts)",
        )
    return found.target(python_version)
