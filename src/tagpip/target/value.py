"""The target value: one interpreter on one platform, its ordered compatible tags and its
marker environment.

A :class:`Target` is pure data: it holds facts and answers questions about them (which wheel
tags fit, in which order; what a marker says; whether a Requires-Python holds), and nothing here
runs a process or reads a file. The tags come from packaging's own generators
(``cpython_tags``, ``generic_tags``, ``compatible_tags``, ``mac_platforms``, ``ios_platforms``,
``android_platforms``) called with every argument explicit, so the list is the one a real
interpreter of that kind computes for itself with ``sys_tags()``; the platform list is expanded
as a real interpreter on that system would (docs/targets.md, "Target families"). Marker
evaluation never falls back to the host's values (packaging's ``Marker.evaluate`` would).

What a platform tag says and expands to is :mod:`tagpip.tags`' job, and the marker values and
their three-valued evaluation :mod:`tagpip.target.markers`'. The ways a target is made live
beside this module, which imports none of them: :mod:`tagpip.target.layers` (a run's flags,
files and tag blocks, and one block's narrower target), :mod:`tagpip.target.facts` (a real
interpreter, the host, target files) and :mod:`tagpip.target.presets` (named targets).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.tags import (
    Tag,
    compatible_tags,
    cpython_tags,
    generic_tags,
)
from packaging.version import InvalidVersion, Version

from tagpip import compat
from tagpip.errors import Span, TagpipError
from tagpip.tags import (
    LEGACY_MANYLINUX,
    VocabularyError,
    classify,
    expand_platforms,
    parse_implementation_code,
    parse_python_version,
    python_version_of,
)
from tagpip.target.markers import (
    IMPLEMENTATIONS,
    MARKER_NAMES,
    NEWEST_PATCH,
    SENTINEL,
    PatchDependent,
    Undefined,
    evaluate_over_patches,
    platform_markers,
    version_markers,
)

__all__ = [
    "JSON_VERSION",
    "MARKER_NAMES",
    "Sourced",
    "Target",
    "TargetError",
    "TargetOptions",
    "UndefinedMarkerValue",
    "expand_platforms",
    "interpreter_command",
    "parse_word",
]

JSON_VERSION = 1

# What a user gives to define a marker value the target leaves open (for UndefinedMarkerValue).
_FULL_VERSION_OPTION = "--python-version {example}, the exact release of the target"
_REAL_OPTION = "--from-python PATH or --target-file FILE (a value only a real system has)"
_MARKER_OPTIONS = {
    "implementation_name": "--implementation",
    "platform_python_implementation": "--implementation",
    "python_version": "--python-version",
    "sys_platform": "--platform",
    "platform_system": "--platform",
    "os_name": "--platform",
    "platform_machine": "--platform with one architecture (e.g. macosx_11_0_arm64)",
    "platform_release": _REAL_OPTION,
    "platform_version": _REAL_OPTION,
}


class TargetError(TagpipError):
    """The target cannot be built from what was given, or a block cannot run on it."""


class UndefinedMarkerValue(TargetError):
    """A marker needs a value the target does not define (never guessed from the host)."""

    def __init__(self, variable: str, option: str, marker: str):
        super().__init__(
            f"the marker '{marker}' needs '{variable}', which the target does not define",
            hint=f"give it with {option}",
        )
        self.variable = variable
        self.option = option
        self.marker = marker


@dataclass(frozen=True)
class Sourced:
    """An option value and where the user wrote it (None: the command line)."""

    value: str
    span: Span | None = None


@dataclass(frozen=True)
class TargetOptions:
    """pip's four target options from one layer (the command line, or a file's option lines)."""

    platforms: tuple[Sourced, ...] = ()
    python_version: Sourced | None = None
    implementation: Sourced | None = None
    abis: tuple[Sourced, ...] = ()

    @classmethod
    def from_strings(
        cls,
        platforms: Sequence[str] = (),
        python_version: str | None = None,
        implementation: str | None = None,
        abis: Sequence[str] = (),
    ) -> TargetOptions:
        """Options typed on the command line (no spans)."""
        return cls(
            platforms=tuple(Sourced(p) for p in platforms),
            python_version=Sourced(python_version) if python_version else None,
            implementation=Sourced(implementation) if implementation else None,
            abis=tuple(Sourced(a) for a in abis),
        )

    def is_empty(self) -> bool:
        """Whether this layer says nothing about the target."""
        return not (self.platforms or self.python_version or self.implementation or self.abis)


# --- parsing pip's flags ------------------------------------------------------------------------


_Word = TypeVar("_Word")


def parse_word(parse: Callable[..., _Word], text: str, *, span: Span | None = None) -> _Word:
    """``text`` read by one of :mod:`tagpip.tags`' parsers
    (:func:`~tagpip.tags.parse_python_version`, :func:`~tagpip.tags.parse_implementation_code`:
    the one parser of each word, which ``check`` uses too), its refusal told as the target's
    error."""
    try:
        return parse(text, span=span)
    except VocabularyError as error:
        raise TargetError(error.message, hint=error.hint, span=span) from None


def _derived_abis(implementation: str, version: tuple[int, ...]) -> tuple[str, ...]:
    """The ABIs pip derives when ``--abi`` is omitted, for a release build of the interpreter.

    CPython: ``cpXY`` plus pymalloc's ``m`` before 3.8 and wide-unicode ``u`` before 3.3, which
    is what pip's ``_cpython_abis`` gives on a normal (non-debug, GIL) build. PyPy: pip would read
    the *host's* EXT_SUFFIX here (giving ``cp311`` on a CPython host); tagpip instead gives the ABI
    every PyPy 7.3 release of that version uses, ``pypyXY_pp73``. Others: none (only ``none``);
    GraalPy's ABI names its own release (``graalpy242_311_native``), which the Python version
    does not tell, so a GraalPy target without ``--abi`` says so in a note.
    """
    nodot = f"{version[0]}{version[1]}"
    if implementation == "cp":
        flags = ("m" if version[:2] < (3, 8) else "") + ("u" if version[:2] < (3, 3) else "")
        return (f"cp{nodot}{flags}",)
    if implementation == "pp" and version[:2] >= (3, 6):
        return (f"pypy{nodot}_pp73",)
    return ()


def compute_tags(
    implementation: str, version: tuple[int, ...], abis: Sequence[str], platforms: Sequence[str]
) -> tuple[Tag, ...]:
    """The ordered tags of an interpreter, as its own ``sys_tags()`` builds them, every argument
    given so packaging never reads the host."""
    nodot = f"{version[0]}{version[1]}"
    python = (version[0], version[1])
    tags: list[Tag]
    if implementation == "cp":
        tags = list(cpython_tags(python, list(abis), list(platforms)))
        interpreter: str | None = f"cp{nodot}"
    else:
        tags = list(generic_tags(f"{implementation}{nodot}", list(abis), list(platforms)))
        # sys_tags gives PyPy the version-less "pp3-none-any" (packaging >= 21.3).
        interpreter = "pp3" if implementation == "pp" else None
    tags.extend(compatible_tags(python, interpreter, list(platforms)))
    # The same tag can come twice (e.g. an explicit ABI equal to a derived one); keep the first.
    return tuple(dict.fromkeys(tags))


def specific_abi(abi: str) -> bool:
    """Whether an ABI belongs to one interpreter build (``cp313t``, ``cp38d``, ``pypy39_pp73``),
    not to many (``abi3``, ``abi3t``, ``none``): only those become the target's ABIs."""
    return python_version_of(abi) is not None


# --- the target ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One interpreter on one platform. Pure data: making one never reads the host (only
    :mod:`tagpip.target.facts` does, when asked to).

    ``markers`` holds the PEP 508 values the target determines, as sorted ``(name, value)``
    pairs; a name that is absent is undefined, and a marker that needs it is an error.
    ``source`` says where the target came from, for messages; ``notes`` what the CLI warns of.
    """

    implementation: str  # "cp", "pp", ...
    python_version: tuple[int, ...]  # (3, 6) or (3, 6, 15)
    abis: tuple[str, ...]
    platforms: tuple[str, ...]  # ordered, expanded
    # Ordered, most preferred first. Left out of the hash (equality still compares it): hashing
    # hundreds of tags made every cache keyed by a target slow, and the other fields tell
    # targets apart well enough for hashing.
    tags: tuple[Tag, ...] = field(hash=False)
    markers: tuple[tuple[str, str], ...] = ()
    source: str = field(default="", compare=False)
    # One line each for what building the target did that a user might not expect (a skipped
    # --platform, a GraalPy without its ABI); the CLI prints them as warnings.
    notes: tuple[str, ...] = field(default=(), compare=False, hash=False)
    _ranks: dict[Tag, int] = field(init=False, repr=False, compare=False, hash=False)
    # Each marker's outcome by (its text, the extra): see _evaluate_with.
    _outcomes: dict[tuple[str, str], bool | Undefined | PatchDependent] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        # Built once: ranking a wheel is then one dict lookup per tag of the wheel.
        ranks: dict[Tag, int] = {}
        for rank, tag in enumerate(self.tags):
            ranks.setdefault(tag, rank)
        object.__setattr__(self, "_ranks", ranks)
        object.__setattr__(self, "_outcomes", {})

    # --- constructors ---------------------------------------------------------------------------

    @classmethod
    def of(
        cls,
        implementation: str,
        python_version: tuple[int, ...],
        abis: Sequence[str] | None,
        platforms: Sequence[str],
        *,
        markers: Mapping[str, str] | None = None,
        source: str = "",
        expand: bool = True,
    ) -> Target:
        """A target from its facts; ``platforms`` are expanded here unless they already are
        (``expand=False``: expanding twice is not a no-op for macOS), ``abis`` derived if None."""
        if abis is None or not abis:
            abis = _derived_abis(implementation, python_version)
        abis = tuple(dict.fromkeys(a.lower() for a in abis))
        expanded = expand_platforms(platforms) if expand else tuple(dict.fromkeys(platforms))
        if markers is None:
            # From the platforms as given: an expanded macOS list also holds universal2 forms,
            # which would hide the one machine the user named.
            values = platform_markers([p.lower() for p in platforms])
            values.update(version_markers(implementation, python_version))
        else:
            values = dict(markers)
        return cls(
            implementation=implementation,
            python_version=tuple(python_version),
            abis=abis,
            platforms=expanded,
            tags=compute_tags(implementation, python_version, abis, expanded),
            markers=tuple(sorted(values.items())),
            source=source,
        )

    def to_json(self) -> dict[str, Any]:
        """The target as ``tagpip tags --json`` writes it and ``--target-file`` reads it."""
        markers: dict[str, str | None] = dict.fromkeys(MARKER_NAMES)
        markers.update(self.markers)
        return {
            "version": JSON_VERSION,
            "description": self.describe(),
            "implementation": self.implementation,
            "python_version": ".".join(map(str, self.python_version)),
            "abis": list(self.abis),
            "platforms": list(self.platforms),
            "markers": markers,
            "tags": [str(t) for t in self.tags],
        }

    @classmethod
    def from_json(cls, data: Any, *, source: str = "a target file") -> Target:
        """Read what :meth:`to_json` wrote. The file's ``tags`` are kept as they are, so a
        target captured on the real machine (``tagpip tags --from-python ... --json``) keeps that
        machine's exact list; without ``tags`` they are computed from the other fields."""

        def bad(why: str) -> TargetError:
            return TargetError(f"{source} is not a tagpip target: {why}")

        if not isinstance(data, dict):
            raise bad("expected a JSON object")
        if data.get("version") != JSON_VERSION:
            raise bad(f"unsupported version {data.get('version')!r} (this tagpip reads 1)")
        impl = data.get("implementation")
        if not isinstance(impl, str):
            raise bad("'implementation' must be a string")
        impl = parse_word(parse_implementation_code, impl)
        version_text = data.get("python_version")
        if not isinstance(version_text, str):
            raise bad("'python_version' must be a string such as '3.12'")
        version = parse_word(parse_python_version, version_text)
        lists: dict[str, list[str]] = {}
        for key in ("abis", "platforms", "tags"):
            value = data.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise bad(f"{key!r} must be a list of strings")
            lists[key] = value
        if not lists["platforms"]:
            raise bad("'platforms' is empty")
        raw_markers = data.get("markers", {})
        if not isinstance(raw_markers, dict):
            raise bad("'markers' must be an object")
        markers: dict[str, str] = {}
        for name, value in raw_markers.items():
            if name not in MARKER_NAMES:
                raise bad(f"unknown marker {name!r}")
            if value is not None and not isinstance(value, str):
                raise bad(f"marker {name!r} must be a string or null")
            if value is not None:
                markers[name] = value
        target = cls.of(
            impl, version, lists["abis"], lists["platforms"], markers=markers, expand=False
        )
        if lists["tags"]:
            tags: list[Tag] = []
            for text in lists["tags"]:
                parts = text.lower().split("-")
                if len(parts) != 3 or not all(parts):
                    raise bad(f"invalid tag {text!r}")
                tags.append(Tag(*parts))
            target = replace(target, tags=tuple(dict.fromkeys(tags)))
        return replace(target, source=source)

    # --- queries --------------------------------------------------------------------------------

    @property
    def marker_environment(self) -> dict[str, str]:
        """The defined PEP 508 values (a copy); undefined names are absent."""
        return dict(self.markers)

    def wheel_rank(self, tags: Iterable[Tag]) -> int | None:
        """The rank (0 = most preferred) of the best of a wheel's tags, or None if none fits."""
        ranks = self._ranks
        best: int | None = None
        for tag in tags:
            rank = ranks.get(tag)
            if rank is not None and (best is None or rank < best):
                best = rank
        return best

    def evaluate(self, marker: Marker, extras: Collection[str] = ()) -> bool:
        """Evaluate ``marker`` with the target's values (and each of ``extras`` as ``extra``).

        Raises UndefinedMarkerValue when the marker needs a value the target does not define.
        A comparison on an undefined value only matters when the result depends on it:
        ``python_version < "3.8" or platform_release >= "5"`` is true on a 3.6 target whatever
        the release. An X.Y target stands for "some X.Y.Z": a ``python_full_version`` marker
        that holds for some patch levels and not for others is true (the dependency is
        included, a harmless superset); :meth:`assumes_patch_level` tells when that happened,
        so the caller can say so.
        """
        outcomes = [self._evaluate_with(marker, extra) for extra in (list(extras) or [""])]
        if any(o is True or isinstance(o, PatchDependent) for o in outcomes):
            return True
        for outcome in outcomes:
            if isinstance(outcome, Undefined):
                raise UndefinedMarkerValue(
                    outcome.variable, self._option_for(outcome.variable), str(marker)
                )
        return False

    def assumes_patch_level(self, marker: Marker, extras: Collection[str] = ()) -> bool:
        """Whether :meth:`evaluate` took ``marker`` as true only because the target gives no
        patch level (true for some X.Y.Z, false for others), rather than because it holds."""
        outcomes = [self._evaluate_with(marker, extra) for extra in (list(extras) or [""])]
        return not any(o is True for o in outcomes) and any(
            isinstance(o, PatchDependent) for o in outcomes
        )

    def allows_requires_python(self, requires_python: SpecifierSet) -> bool:
        """Whether the target's Python satisfies a distribution's Requires-Python.

        With X.Y.Z known, that version is checked. With only X.Y, the check must hold for every
        X.Y.z the target may run, so ``>=3.11.5`` is refused for a ``3.11`` target, as pip and uv
        refuse it (an interpreter 3.11.0-3.11.4 would not install it; see docs/targets.md).
        """
        if len(self.python_version) >= 3:
            version = ".".join(map(str, self.python_version[:3]))
            return requires_python.contains(version, prereleases=True)
        major, minor = self.python_version[0], self.python_version[1]
        patches = {0, NEWEST_PATCH}
        for spec in requires_python:
            try:
                release = Version(spec.version.rstrip(".*")).release
            except InvalidVersion:
                continue
            if release[:2] == (major, minor) and len(release) >= 3:
                patches.update(p for p in (release[2] - 1, release[2], release[2] + 1) if p >= 0)
        return all(
            requires_python.contains(f"{major}.{minor}.{patch}", prereleases=True)
            for patch in sorted(patches)
        )

    def describe(self) -> str:
        """A short human description for messages, e.g. ``CPython 3.6 on manylinux1 x86_64``."""
        name = IMPLEMENTATIONS[self.implementation][2]
        version = ".".join(map(str, self.python_version))
        abi = ""
        if self.abis and self.abis != _derived_abis(self.implementation, self.python_version):
            abi = f" ({', '.join(self.abis)})"
        return f"{name} {version}{abi} on {_describe_platforms(self.platforms)}"

    def _option_for(self, variable: str) -> str:
        if variable in ("python_full_version", "implementation_version"):
            if variable == "implementation_version" and self.implementation != "cp":
                return _REAL_OPTION
            example = f"{self.python_version[0]}.{self.python_version[1]}.Z"
            return _FULL_VERSION_OPTION.format(example=example)
        return _MARKER_OPTIONS.get(variable, _REAL_OPTION)

    def _evaluate_with(self, marker: Marker, extra: str) -> bool | Undefined | PatchDependent:
        # The same few markers (``python_version >= "3.8"``, ``sys_platform == "win32"``) stand
        # in the metadata of most projects, and a resolution evaluates each dependency's marker
        # for every candidate it reads, in the resolver and in the fetching threads: an outcome
        # is kept by the marker's text, which names its parsed tree (packaging prints it in one
        # canonical form), and the extra: evaluating costs many lookups (docs/performance.md).
        key = (str(marker), extra)
        known = self._outcomes.get(key)
        if known is None:
            known = self._outcomes[key] = self._evaluate_now(marker, extra)
        return known

    def _evaluate_now(self, marker: Marker, extra: str) -> bool | Undefined | PatchDependent:
        environment = self.marker_environment
        full_env: dict[str, str] = dict.fromkeys(MARKER_NAMES, SENTINEL)
        full_env.update(environment)
        full_env["extra"] = extra
        return evaluate_over_patches(
            compat.marker_atoms(marker), environment, full_env, self.python_version
        )


LEVELLED_FAMILIES = (
    "manylinux",
    "musllinux",
    "macosx",
    "ios",
    "android",
    "pyemscripten",
    "emscripten",
)


def interpreter_command(text: str, *, option: str = "--from-python") -> list[str]:
    """An interpreter named by ``option`` (``--from-python``, verify's ``--python``) as an argv:
    a path that exists is one word, spaces and all; a value with a space that is no file is a
    command line that runs an interpreter elsewhere (``docker run --rm -i IMAGE python3``,
    ``ssh HOST python3``), split as a POSIX shell splits it (and never run by a shell); anything
    else is the one word, to be found on PATH. The one reading of such a value."""
    if Path(text).exists() or len(text.split()) < 2:
        return [text]
    import shlex

    try:
        return shlex.split(text)
    except ValueError as error:
        raise TargetError(f"{option} {text!r} is not a command line: {error}") from None


def _describe_platforms(platforms: Sequence[str]) -> str:
    """The platforms in a few words: the highest level of each family, in order."""
    shown: list[str] = []
    families: set[tuple[str, str | None]] = set()
    for tag in platforms:
        info = classify(tag)
        key = (info.family, info.arch)
        if info.family in LEVELLED_FAMILIES and key in families:
            continue
        families.add(key)
        if info.family == "manylinux" and info.level in LEGACY_MANYLINUX:
            assert info.level is not None
            tag = f"{LEGACY_MANYLINUX[(info.level[0], info.level[1])]} {info.arch}"
        elif info.family == "android" and info.level:
            tag = f"android_{info.level[0]} {info.arch}"
        elif info.family in LEVELLED_FAMILIES and info.level:
            tag = f"{info.family}_{'_'.join(map(str, info.level))} {info.arch}"
        if tag not in shown:
            shown.append(tag)
    return ", ".join(shown) or "no platform"
