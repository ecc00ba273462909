"""The words of wheel tags and targets that several stages read: one definition of each.

``tagpip check`` (syntax, tokens) and the fetching commands (target) must never disagree about a
value, so each concept is parsed here once: a ``--python-version`` value and an implementation
code today, the platform vocabulary as it moves here from tokens and target. The module imports
nothing but the error base class, so that the fast path of ``tagpip check`` can use it at no cost
(tests/test_check_speed.py).
"""

from __future__ import annotations

from tagpip.errors import Span, TagpipError

__all__ = [
    "IMPLEMENTATION_CODES",
    "MANYLINUX1_ARCHS",
    "MANYLINUX2014_ARCHS",
    "MANYLINUX_ARCHS",
    "VocabularyError",
    "parse_implementation_code",
    "read_python_version",
]

# pip's --implementation codes tagpip knows (packaging's INTERPRETER_SHORT_NAMES plus 'py', and
# 'graalpy': packaging has no short name for GraalPy, so its interpreter name is the code).
IMPLEMENTATION_CODES = ("cp", "pp", "py", "ip", "jy", "graalpy")

# Linux architectures packaging's _manylinux.platform_tags builds manylinux tags for. x86 goes
# back to glibc 2.5 (manylinux1), the PEP 599 (manylinux2014) ones start at glibc 2.17, and the
# PEP 600 names add what glibc-based builds exist for. armv8l is a 32-bit ARM userland on a
# 64-bit kernel: packaging gives it manylinux and musllinux tags of its own (then armv7l's),
# legacy manylinux2014 included. Read by tokens (what a tag block may name) and target (which
# tags a target gets).
MANYLINUX1_ARCHS = ("x86_64", "i686")
MANYLINUX2014_ARCHS = ("x86_64", "i686", "aarch64", "armv7l", "armv8l", "ppc64", "ppc64le", "s390x")
MANYLINUX_ARCHS = (*MANYLINUX2014_ARCHS, "riscv64", "loongarch64")


class VocabularyError(TagpipError):
    """A value is not a word of the vocabulary; ``message`` and ``hint`` say why in the user's
    terms, and callers re-raise it as their own error with the span they know."""


def read_python_version(text: str, *, span: Span | None = None) -> tuple[int, ...]:
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
