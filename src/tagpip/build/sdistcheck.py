"""Deciding from an sdist itself, before any build, that it needs compiling.

tagpip builds an sdist only to get a pure-Python wheel for a target that has no compiler, so a
build of a project that compiles code is wasted minutes ending in a refusal (numpy's meson and
C++ run for ten minutes; a Rust project fails in cargo). The sdist says so itself, in the files
its build reads first:

* a build backend that exists to compile (maturin, meson-python, scikit-build-core,
  py-build-cmake, sip, ...);
* a build requirement that is a compiler driver or binding generator (Cython, setuptools-rust,
  pybind11, nanobind, cffi, numpy's headers, CMake, ...), unless its marker is false for the
  target;
* a ``setup.py`` that declares extension modules (``Extension(...)``, ``ext_modules=``,
  ``cythonize(...)``) next to C, C++, Cython, Rust or Fortran sources in the archive, or one
  that declares cffi or Rust modules (their sources need not be files of their own);
* ``[tool.setuptools] ext-modules`` in ``pyproject.toml``.

Only clear evidence counts: a project that merely ships a ``.c`` file among its tests, or
whose ``setup.py`` builds an optional extension in a way these patterns miss, is built, and the
built wheel is checked as always (:func:`tagpip.build.builder.check_pure`): a wheel that comes out
impure rejects that version, never the run. The decision reads only names and the three small
files, never runs anything from the sdist.
"""

from __future__ import annotations

import io
import re
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from tagpip.compat import load_toml

__all__ = ["COMPILED_BACKENDS", "COMPILING_REQUIREMENTS", "SdistUnreadable", "needs_compiling"]

# Build backends (by their module, as ``build-backend`` names it) that compile code.
COMPILED_BACKENDS = {
    "maturin": "maturin (Rust)",
    "mesonpy": "meson-python",
    "mesonpep517": "mesonpep517 (Meson)",
    "scikit_build_core": "scikit-build-core (CMake)",
    "py_build_cmake": "py-build-cmake (CMake)",
    "sipbuild": "sip (C++ bindings)",
    "cmeel": "cmeel (CMake)",
    "pymsbuild": "pymsbuild (MSBuild)",
}

# Build requirements that drive a compiler or generate code for one.
COMPILING_REQUIREMENTS = frozenset(
    canonicalize_name(name)
    for name in (
        "cython",
        "setuptools-rust",
        "pybind11",
        "nanobind",
        "scikit-build",
        "scikit-build-core",
        "cmake",
        "cmake-build-extension",
        "maturin",
        "meson",
        "meson-python",
        "cffi",
        "numpy",
        "oldest-supported-numpy",
        "pythran",
        "hatch-cython",
        "hatch-mypyc",
        "setuptools-golang",
        "milksnake",
        "py-build-cmake",
        "sip",
        "swig",
    )
)

# Source files a compiler reads: C, C++, Cython, Rust, Fortran, CUDA, Go.
_COMPILED_SOURCES = (
    ".c", ".cc", ".cpp", ".cxx", ".c++", ".pyx", ".rs",
    ".f", ".f90", ".f95", ".f03", ".for", ".cu", ".go",
)  # fmt: skip
# Folders whose sources are not part of the build (a test's C file, a doc's example).
_NOT_BUILT = frozenset(
    {"test", "tests", "testing", "doc", "docs", "example", "examples", "benchmark",
     "benchmarks", "bench", "demo", "demos"}
)  # fmt: skip
# setup.py declaring extension modules built from source files in the archive...
_EXTENSIONS = re.compile(
    r"\b(?:Extension|Pybind11Extension|CMakeExtension|CppExtension|CUDAExtension)\s*\("
    r"|\bext_modules\s*=\s*(?!\[\s*\])|\bcythonize\s*\("
)
# ...or modules whose sources need not be files of their own.
_GENERATED_EXTENSIONS = re.compile(r"\bcffi_modules\s*=|\brust_extensions\s*=|\bRustExtension\s*\(")
# The most of each build file that is read: real ones are a few kB.
_READ_LIMIT = 4 * 1024 * 1024


class SdistUnreadable(Exception):
    """The archive cannot be read (not a tar or zip file, or damaged): carries why."""


@dataclass(frozen=True)
class _Contents:
    """What the decision reads from an sdist: every member's path below the project folder,
    and the text of its build files (absent ones are None)."""

    members: tuple[PurePosixPath, ...]
    pyproject: str | None
    setup_py: str | None


def needs_compiling(
    sdist: Path, marker_holds: Callable[[Requirement], bool] | None = None
) -> str | None:
    """Why the sdist at ``sdist`` clearly needs compiling, in words that read after "its sdist
    needs compiling" (``build backend maturin (Rust)``), or None when nothing says so.

    ``marker_holds`` decides a build requirement's marker for the target (None: every marker
    holds). Raises :class:`SdistUnreadable` for an archive that cannot be read.
    """
    contents = _read(sdist)
    # The first piece of evidence, the most telling (a backend before a requirement before
    # setup.py): the rest would say the same thing again.
    return next(_evidence(contents, marker_holds or (lambda _: True)), None)


def _evidence(contents: _Contents, marker_holds: Callable[[Requirement], bool]) -> Iterator[str]:
    build_system: dict[str, Any] = {}
    setuptools_table: dict[str, Any] = {}
    if contents.pyproject is not None:
        try:
            data = load_toml(contents.pyproject)
        except ValueError:
            data = {}  # the build reports a broken pyproject.toml, if it matters
        table = data.get("build-system")
        build_system = table if isinstance(table, dict) else {}
        tool = data.get("tool")
        found = tool.get("setuptools") if isinstance(tool, dict) else None
        setuptools_table = found if isinstance(found, dict) else {}
    backend = build_system.get("build-backend")
    if isinstance(backend, str):
        root = backend.strip().split(".", 1)[0].split(":", 1)[0]
        if root in COMPILED_BACKENDS:
            yield f"its build backend is {COMPILED_BACKENDS[root]}"
    requires = build_system.get("requires")
    for name in _compiling_requirements(
        requires if isinstance(requires, list) else [], marker_holds
    ):
        yield f"it needs {name} to build"
    if setuptools_table.get("ext-modules"):
        yield "pyproject.toml declares ext-modules"
    sources = [path for path in contents.members if _is_built_source(path)]
    setup_py = contents.setup_py or ""
    if _GENERATED_EXTENSIONS.search(setup_py):
        yield "setup.py declares cffi or Rust extension modules"
    elif sources and _EXTENSIONS.search(setup_py):
        shown = str(sources[0])
        more = f" and {len(sources) - 1} more" if len(sources) > 1 else ""
        yield f"setup.py declares extension modules, built from {shown}{more}"


def _compiling_requirements(
    requires: Iterable[object], marker_holds: Callable[[Requirement], bool]
) -> Iterator[str]:
    for text in requires:
        if not isinstance(text, str):
            continue
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue  # the build reports it, if it matters
        if canonicalize_name(requirement.name) not in COMPILING_REQUIREMENTS:
            continue
        if requirement.marker is not None and not marker_holds(requirement):
            continue
        yield requirement.name


def _is_built_source(path: PurePosixPath) -> bool:
    if not path.name.lower().endswith(_COMPILED_SOURCES):
        return False
    return not any(part.lower() in _NOT_BUILT for part in path.parts[:-1])


def _read(sdist: Path) -> _Contents:
    """The member paths (below the one top folder an sdist has) and the build files' text."""
    try:
        if sdist.name.lower().endswith(".zip"):
            return _read_zip(sdist)
        return _read_tar(sdist)
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, ValueError) as exc:
        raise SdistUnreadable(str(exc) or type(exc).__name__) from None


def _below_top(name: str) -> PurePosixPath | None:
    parts = PurePosixPath(name).parts
    return PurePosixPath(*parts[1:]) if len(parts) > 1 else None


def _read_tar(sdist: Path) -> _Contents:
    members: list[PurePosixPath] = []
    texts: dict[str, str] = {}
    with tarfile.open(sdist) as archive:
        for member in archive:
            path = _below_top(member.name)
            if path is None or not member.isfile():
                continue
            members.append(path)
            if str(path) in ("pyproject.toml", "setup.py") and member.size <= _READ_LIMIT:
                handle = archive.extractfile(member)
                if handle is not None:
                    texts[str(path)] = handle.read().decode("utf-8", "replace")
    return _Contents(tuple(members), texts.get("pyproject.toml"), texts.get("setup.py"))


def _read_zip(sdist: Path) -> _Contents:
    members: list[PurePosixPath] = []
    texts: dict[str, str] = {}
    with zipfile.ZipFile(sdist) as archive:
        for info in archive.infolist():
            path = _below_top(info.filename)
            if path is None or info.is_dir():
                continue
            members.append(path)
            if str(path) in ("pyproject.toml", "setup.py") and info.file_size <= _READ_LIMIT:
                with archive.open(info) as handle:
                    texts[str(path)] = io.TextIOWrapper(handle, "utf-8", "replace").read()
    return _Contents(tuple(members), texts.get("pyproject.toml"), texts.get("setup.py"))
