"""The words of wheel tags and targets that several stages read: one definition of each.

``tagpip check`` (syntax, tokens) and the fetching commands (target) must never disagree about a
value, so each concept is defined here once: a ``--python-version`` value, an implementation
code, and every table of architectures (what each platform family was built for, the synonyms
users write, the machine names the markers report). The module imports
nothing but the error base class, so that the fast path of ``tagpip check`` can use it at no cost
(tests/test_check_speed.py).
"""

from __future__ import annotations

from tagpip.errors import Span, TagpipError

__all__ = [
    "ALL_ARCHS",
    "ALSO_RUNS",
    "ANDROID_ARCHS",
    "ANDROID_MACHINES",
    "ARCH_SYNONYMS",
    "EMSCRIPTEN_ARCHS",
    "IMPLEMENTATION_CODES",
    "IOS_ARCHS",
    "LINUX_ARCHS",
    "MACOS_ARCHS",
    "MACOS_ARM_ARCHS",
    "MACOS_MACHINES",
    "MANYLINUX1_ARCHS",
    "MANYLINUX2014_ARCHS",
    "MANYLINUX_ARCHS",
    "MUSLLINUX_ARCHS",
    "WINDOWS_ARCHS",
    "WINDOWS_MACHINES",
    "VocabularyError",
    "archs_of",
    "canonical_arch",
    "parse_implementation_code",
    "parse_python_version",
]

# pip's --implementation codes tagpip knows (packaging's INTERPRETER_SHORT_NAMES plus 'py', and
# 'graalpy': packaging has no short name for GraalPy, so its interpreter name is the code).
IMPLEMENTATION_CODES = ("cp", "pp", "py", "ip", "jy", "graalpy")

# --- architectures ---------------------------------------------------------------------------
# Every table of architectures tagpip has: what each platform family was built for, the synonyms
# users write, what a 32-bit ARM userland also runs, and the machine names the markers report.

# Linux architectures packaging's _manylinux.platform_tags builds manylinux tags for. x86 goes
# back to glibc 2.5 (manylinux1), the PEP 599 (manylinux2014) ones start at glibc 2.17, and the
# PEP 600 names add what glibc-based builds exist for. armv8l is a 32-bit ARM userland on a
# 64-bit kernel: packaging gives it manylinux and musllinux tags of its own (then armv7l's),
# legacy manylinux2014 included.
MANYLINUX1_ARCHS = ("x86_64", "i686")
MANYLINUX2014_ARCHS = ("x86_64", "i686", "aarch64", "armv7l", "armv8l", "ppc64", "ppc64le", "s390x")
MANYLINUX_ARCHS = (*MANYLINUX2014_ARCHS, "riscv64", "loongarch64")
# packaging's _musllinux.platform_tags puts no limit on the architecture; musllinux takes every
# architecture packaging builds Linux tags for (its _manylinux._ALLOWED_ARCHS plus i686 and the
# 32-bit ARMs).
MUSLLINUX_ARCHS = MANYLINUX_ARCHS
LINUX_ARCHS = (*MANYLINUX_ARCHS, "armv6l")
# PEP 730: sys.implementation._multiarch of the iOS builds, as ios_platforms spells them.
IOS_ARCHS = ("arm64_iphoneos", "arm64_iphonesimulator", "x86_64_iphonesimulator")
# PEP 738: the Android ABIs CPython is built for, as android_platforms spells them.
ANDROID_ARCHS = ("arm64_v8a", "x86_64", "armeabi_v7a", "x86")
EMSCRIPTEN_ARCHS = ("wasm32",)
MACOS_ARCHS = (
    "x86_64",
    "arm64",
    "universal2",
    "intel",
    "fat",
    "fat3",
    "fat64",
    "universal",
    "i386",
    "ppc",
    "ppc64",
)
# arm64 starts at macOS 11; universal2 holds an x86_64 part that may go back to 10.x
# (macosx_10_9_universal2 is a common wheel tag), as packaging's mac_platforms lists it.
MACOS_ARM_ARCHS = frozenset({"arm64"})
WINDOWS_ARCHS = ("amd64", "arm64", "win32")

# Each family's own spelling of the architecture synonyms users write.
ARCH_SYNONYMS: dict[str, dict[str, str]] = {
    "linux": {"amd64": "x86_64", "arm64": "aarch64", "x86": "i686"},
    "macosx": {"amd64": "x86_64", "aarch64": "arm64"},
    "win": {"x86_64": "amd64", "aarch64": "arm64", "x86": "win32", "i686": "win32"},
    "android": {"aarch64": "arm64_v8a", "arm64": "arm64_v8a", "amd64": "x86_64", "i686": "x86"},
}

ALL_ARCHS = frozenset(
    (
        *LINUX_ARCHS,
        *MUSLLINUX_ARCHS,
        *MACOS_ARCHS,
        *WINDOWS_ARCHS,
        *IOS_ARCHS,
        *ANDROID_ARCHS,
        *EMSCRIPTEN_ARCHS,
        "amd64",
        "x86",
    )
)

# A 32-bit ARM userland on a 64-bit kernel also runs armv7l code: packaging's _linux_platforms
# lists every armv8l tag, then the same for armv7l.
ALSO_RUNS = {"armv8l": ("armv7l",)}

# What platform.machine() says on each (marker values): a Windows platform tag's, a macOS
# architecture that is one machine (universal2, intel... are several), an Android ABI's (a
# 32-bit ARM process reports armv7l or armv8l by kernel, so that one says nothing).
WINDOWS_MACHINES = {"win32": "x86", "win_amd64": "AMD64", "win_arm64": "ARM64", "win_ia64": "IA64"}
MACOS_MACHINES = ("arm64", "x86_64", "i386", "ppc", "ppc64")
ANDROID_MACHINES = {"arm64_v8a": "aarch64", "x86_64": "x86_64", "x86": "i686"}


def archs_of(os: str, level: tuple[int, ...] | None, legacy: bool = False) -> tuple[str, ...]:
    """The architectures a platform family was ever built for, in its own spelling."""
    if os == "manylinux":
        if level is not None and level < (2, 17):
            return MANYLINUX1_ARCHS
        return MANYLINUX2014_ARCHS if legacy else MANYLINUX_ARCHS
    if os == "musllinux":
        return MUSLLINUX_ARCHS
    if os == "linux":
        return LINUX_ARCHS
    if os == "macosx":
        if level is not None and level < (11, 0):
            return tuple(a for a in MACOS_ARCHS if a not in MACOS_ARM_ARCHS)
        return MACOS_ARCHS
    if os == "win":
        return WINDOWS_ARCHS
    if os == "ios":
        return IOS_ARCHS
    if os == "android":
        return ANDROID_ARCHS
    if os in ("pyemscripten", "emscripten"):
        return EMSCRIPTEN_ARCHS
    return ()


def canonical_arch(os: str, arch: str) -> str:
    """``arch`` in the family's own spelling (``amd64`` on Linux is ``x86_64``, ``x86_64`` on
    Windows is ``amd64``); lower-cased; unchanged when the family has no synonym for it."""
    arch = arch.lower()
    table = ARCH_SYNONYMS.get("linux" if os in ("manylinux", "musllinux", "linux") else os, {})
    return table.get(arch, arch)


# --- words of a target ------------------------------------------------------------------------


class VocabularyError(TagpipError):
    """A value is not a word of the vocabulary; ``message`` and ``hint`` say why in the user's
    terms, and callers re-raise it as their own error with the span they know."""


def parse_python_version(text: str, *, span: Span | None = None) -> tuple[int, ...]:
    """``--python-version`` as pip reads it: ``3.6``, ``3.6.15``, or ``36``/``310`` (pip's
    "no dot" form: first digit major, the rest minor).

    pip also takes a bare major (``3``) and then builds only ``cp3-none-*`` tags; a target needs
    a minor version for its ABI and its markers, so tagpip refuses it, in ``check`` as in
    ``download`` (the fetching commands' rule).
    """
    value = text.strip()
    parts = value.split(".")
    if len(parts) == 1 and len(value) > 1 and value.isdigit():
        parts = [value[0], value[1:]]
    if not all(p.isdigit() and p.isascii() for p in parts) or len(parts) > 3:
        raise VocabularyError(
            f"invalid Python version {text!r}",
            hint="expected X.Y, X.Y.Z or pip's XY form (3.12, 3.6.15, 36)",
            span=span,
        )
    if len(parts) < 2:
        raise VocabularyError(
            f"the Python version {text!r} has no minor version",
            hint=f"give major and minor, e.g. --python-version {value}.12",
            span=span,
        )
    return tuple(int(p) for p in parts)


def parse_implementation_code(text: str, *, span: Span | None = None) -> str:
    """An ``--implementation`` value (``cp``, ``pp``, ``py``, ``ip``, ``jy``, ``graalpy``),
    lower-cased."""
    impl = text.strip().lower()
    if impl in IMPLEMENTATION_CODES:
        return impl
    long_names = {
        "python": "py",
        "cpython": "cp",
        "pypy": "pp",
        "ironpython": "ip",
        "jython": "jy",
        "graalvm": "graalpy",
        "gp": "graalpy",
    }
    short = long_names.get(impl)
    hint = f"did you mean '{short}'?" if short else "expected one of cp, pp, py, ip, jy, graalpy"
    raise VocabularyError(f"unknown implementation {text!r}", hint=hint, span=span)
