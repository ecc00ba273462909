"""A target's marker environment: the PEP 508 values a real interpreter of it reports.

The values come from the target alone (its platforms, implementation and version), never from
the host, and a value the target does not determine is left undefined rather than guessed.
:func:`evaluate_three_valued` evaluates a marker over such a partial environment: an undefined
operand only matters when the answer depends on it. Kept apart from :mod:`tagpip.target.value` (the
value and its tags) because these are the rules of markers, not of tags.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.version import InvalidVersion, Version

from tagpip import compat
from tagpip.tags import ANDROID_MACHINES, MACOS_MACHINES, WINDOWS_MACHINES, classify

__all__ = [
    "IMPLEMENTATIONS",
    "MARKER_NAMES",
    "NEWEST_PATCH",
    "PATCH_DEPENDENT",
    "PLATFORM_MARKERS",
    "SENTINEL",
    "PatchDependent",
    "Undefined",
    "evaluate_over_patches",
    "evaluate_three_valued",
    "platform_markers",
    "version_markers",
]

# Every PEP 508 environment marker variable, in the order packaging's default_environment lists
# them; ``extra`` is handled separately (it belongs to the requirement, not the target).
MARKER_NAMES = (
    "implementation_name",
    "implementation_version",
    "os_name",
    "platform_machine",
    "platform_release",
    "platform_system",
    "platform_version",
    "python_full_version",
    "platform_python_implementation",
    "python_version",
    "sys_platform",
)

IMPLEMENTATIONS = {
    # short code: (implementation_name, platform_python_implementation, long name)
    "cp": ("cpython", "CPython", "CPython"),
    "pp": ("pypy", "PyPy", "PyPy"),
    "ip": ("ironpython", "IronPython", "IronPython"),
    "jy": ("jython", "Jython", "Jython"),
    # GraalPy reports sys.implementation.name 'graalpy' and platform.python_implementation()
    # 'GraalVM'; packaging has no short code for it, so its python tag is 'graalpy311'.
    "graalpy": ("graalpy", "GraalVM", "GraalPy"),
    "py": ("", "", "Python"),  # any implementation: none of its markers is determined
}


def platform_markers(platforms: Sequence[str]) -> dict[str, str]:
    """The marker values every one of the platforms agrees on (a value they disagree on, or
    that a platform does not determine, is left out: it is undefined)."""
    values: dict[str, str] | None = None
    for tag in platforms:
        if tag == "any":
            continue
        info = classify(tag)
        own: dict[str, str] = {}
        if info.family in ("manylinux", "musllinux", "linux") and info.arch:
            own = {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"}
            own["platform_machine"] = info.arch
        elif info.family == "macosx" and info.arch:
            own = {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"}
            if info.arch in MACOS_MACHINES:
                own["platform_machine"] = info.arch
        elif info.family == "win" and info.arch:
            own = {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"}
            own["platform_machine"] = WINDOWS_MACHINES[info.arch]
        elif info.family == "ios":
            # PEP 730: platform.machine() is the device model ("iPhone13,2"), so it stays
            # undefined. platform.system() is "iOS" (an iPad reports "iPadOS"), and "iOS" is the
            # system packaging's platform_tags() builds ios_* tags for: on any other name it
            # falls back to the generic platform, so an interpreter that takes ios_* wheels is
            # one that reports "iOS".
            own = {"sys_platform": "ios", "platform_system": "iOS", "os_name": "posix"}
        elif info.family == "android" and info.arch:
            # PEP 738: platform.machine() is the Linux machine name of the ABI; a 32-bit ARM
            # process reports armv7l or armv8l by kernel, so that one is left undefined.
            own = {"sys_platform": "android", "platform_system": "Android", "os_name": "posix"}
            machine = ANDROID_MACHINES.get(info.arch)
            if machine:
                own["platform_machine"] = machine
        elif info.family in ("pyemscripten", "emscripten"):
            # PEP 776/783: Emscripten reports sys.platform "emscripten", machine "wasm32".
            own = {
                "sys_platform": "emscripten",
                "platform_system": "Emscripten",
                "os_name": "posix",
                "platform_machine": "wasm32",
            }
        if values is None:
            values = own
        else:
            values = {k: v for k, v in values.items() if own.get(k) == v}
    return values or {}


PLATFORM_MARKERS = ("sys_platform", "platform_system", "os_name", "platform_machine")


def version_markers(implementation: str, version: tuple[int, ...]) -> dict[str, str]:
    markers = {"python_version": f"{version[0]}.{version[1]}"}
    name, python_implementation, _ = IMPLEMENTATIONS[implementation]
    if name:
        markers["implementation_name"] = name
        markers["platform_python_implementation"] = python_implementation
    if len(version) >= 3:
        full = ".".join(map(str, version[:3]))
        markers["python_full_version"] = full
        if implementation == "cp":
            markers["implementation_version"] = full
    return markers


# The marker evaluation without the host.

NEWEST_PATCH = 999999
# Never compared: an atom that reads an undefined value is decided without packaging. It fills
# every name packaging would otherwise take from the host, so no host value can ever leak in.
SENTINEL = "0.0.0+tagpip.undefined"


@dataclass(frozen=True)
class Undefined:
    variable: str


def _atom_variables(atom: tuple[Any, Any, Any]) -> list[str]:
    return [side.value for side in (atom[0], atom[2]) if compat.is_marker_variable(side)]


def _evaluate_atom(atom: tuple[Any, Any, Any], env: Mapping[str, str]) -> bool:
    return compat.marker_of_atom(atom).evaluate(dict(env))


def _patch_candidates(atom: tuple[Any, Any, Any], version: tuple[int, ...]) -> list[int]:
    """Patch levels where a comparison with a literal can change its answer: 0, the literal's
    patch and its neighbours, and a very new patch."""
    candidates = {0, NEWEST_PATCH}
    for side in (atom[0], atom[2]):
        if compat.is_marker_value(side):
            try:
                release = Version(side.value.rstrip(".*")).release
            except InvalidVersion:
                continue
            if release[:2] == tuple(version[:2]) and len(release) >= 3:
                candidates.update(p for p in (release[2] - 1, release[2], release[2] + 1) if p >= 0)
    return sorted(candidates)


def _atom(
    atom: tuple[Any, Any, Any],
    defined: Mapping[str, str],
    full_env: Mapping[str, str],
) -> bool | Undefined:
    names = [n for n in _atom_variables(atom) if n != "extra"]
    missing = [n for n in names if n not in defined]
    if not missing:
        return _evaluate_atom(atom, full_env)
    return Undefined(missing[0])


def evaluate_three_valued(
    markers: Sequence[Any],
    defined: Mapping[str, str],
    full_env: Mapping[str, str],
) -> bool | Undefined:
    """packaging's ``_evaluate_markers`` (``or`` of ``and`` groups) in three-valued logic: an
    undefined operand only matters when the answer depends on it."""
    groups: list[list[bool | Undefined]] = [[]]
    for item in markers:
        if isinstance(item, list):
            groups[-1].append(evaluate_three_valued(item, defined, full_env))
        elif isinstance(item, tuple):
            groups[-1].append(_atom(item, defined, full_env))
        elif item == "or":
            groups.append([])
    results: list[bool | Undefined] = []
    for group in groups:
        if any(v is False for v in group):
            results.append(False)
        else:
            undefined = [v for v in group if isinstance(v, Undefined)]
            results.append(undefined[0] if undefined else True)
    if any(v is True for v in results):
        return True
    undefined = [v for v in results if isinstance(v, Undefined)]
    return undefined[0] if undefined else False


@dataclass(frozen=True)
class PatchDependent:
    """A marker that holds for some patch levels of an X.Y target and not for others."""


PATCH_DEPENDENT = PatchDependent()

# The values an X.Y target leaves open only by its patch level: ``python_full_version``, and
# ``implementation_version``, which CPython reports as the same X.Y.Z.
_PATCH_VARIABLES = ("python_full_version", "implementation_version")


def _atoms(markers: Sequence[Any]) -> list[tuple[Any, Any, Any]]:
    found: list[tuple[Any, Any, Any]] = []
    for item in markers:
        if isinstance(item, list):
            found.extend(_atoms(item))
        elif isinstance(item, tuple):
            found.append(item)
    return found


def evaluate_over_patches(
    markers: Sequence[Any],
    defined: Mapping[str, str],
    full_env: Mapping[str, str],
    version: tuple[int, ...],
) -> bool | Undefined | PatchDependent:
    """:func:`evaluate_three_valued`, where an X.Y target stands for "some X.Y.Z".

    With only X.Y known, the marker is evaluated at every patch level where one of its
    ``python_full_version`` (or CPython's ``implementation_version``) comparisons can change
    its answer: the same answer at all of them is the answer; true at some and false at others
    is :data:`PATCH_DEPENDENT`, which callers take as true (the dependency is included: a
    superset that installs harmlessly) and say so; a value still undefined at some patch level
    stays undefined."""
    open_names = [n for n in _PATCH_VARIABLES if n not in defined]
    if len(version) >= 3 or "python_full_version" not in open_names:
        return evaluate_three_valued(markers, defined, full_env)
    atoms = [
        atom
        for atom in _atoms(markers)
        if any(name in open_names for name in _atom_variables(atom))
    ]
    if not atoms:
        return evaluate_three_valued(markers, defined, full_env)
    patches: set[int] = set()
    for atom in atoms:
        patches.update(_patch_candidates(atom, version))
    cpython = defined.get("implementation_name") == "cpython"
    answers: list[bool | Undefined] = []
    for patch in sorted(patches):
        full = f"{version[0]}.{version[1]}.{patch}"
        values = {"python_full_version": full}
        if cpython and "implementation_version" in open_names:
            values["implementation_version"] = full
        answers.append(
            evaluate_three_valued(markers, {**defined, **values}, {**full_env, **values})
        )
    undefined = [a for a in answers if isinstance(a, Undefined)]
    if undefined:
        return undefined[0]
    if all(answers):
        return True
    if not any(answers):
        return False
    return PATCH_DEPENDENT
