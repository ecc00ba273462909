"""What ``tagpip verify`` checks: the folder (an ``install --target`` folder, a bundle's folder or
zip, a layer with its ``python/`` prefix), the distributions in it and the modules each one
provides.

A zip is unpacked into a private temporary folder first (an extension module cannot be loaded
from inside a zip), next to the zip where it can be, refusing any member that would land outside
it. The folder's packages are at
its top, or under ``python/`` (a Lambda layer, as ``tagpip bundle --layer`` writes it) or
``python/lib/pythonX.Y/site-packages`` (the other layout Lambda reads).

The modules of a distribution come from its RECORD: each top-level module, each package
(inside a namespace package, the regular packages under it), and each extension module, which
is where a wheel for another glibc, machine or Python fails; ``top_level.txt`` adds the names it
lists that exist in the folder. Test folders are left out (``tests``, ``test``, and top-level
``conftest`` and ``setup`` modules, which are not meant to be imported).
"""

from __future__ import annotations

import contextlib
import mmap
import os
import shutil
import struct
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from packaging.metadata import parse_email
from packaging.tags import Tag
from packaging.utils import NormalizedName

from tagpip.errors import TagpipError
from tagpip.install import find_installed

__all__ = [
    "Distribution",
    "FolderError",
    "Opened",
    "elf_machine",
    "modules_of",
    "open_folder",
]

_TESTS = frozenset({"tests", "test"})
_NOT_IMPORTED = frozenset({"conftest", "setup", "__init__", "__main__"})
_LAYOUTS = ("", "python")


class FolderError(TagpipError):
    """The thing to verify is not a folder or zip of installed distributions."""


@dataclass(frozen=True)
class Distribution:
    """One installed distribution and what to import of it: ``modules`` (top-level modules and
    packages, importable names) and ``extensions`` (extension module files, relative to the
    folder: which module each is depends on the interpreter's suffixes)."""

    name: NormalizedName
    display: str
    version: str
    dist_info: str
    modules: tuple[str, ...]
    extensions: tuple[str, ...]
    requires: tuple[str, ...]
    tags: frozenset[Tag] | None


@dataclass(frozen=True)
class Opened:
    """A folder ready to verify: ``root`` is the folder (a zip's unpacked copy) that a
    ``{dir}`` in the command stands for, ``site`` the part of it that goes on ``sys.path``
    (``""`` or ``python`` or ``python/lib/python3.12/site-packages``), ``kind`` says what was
    given, for the report."""

    given: Path
    root: Path
    site: str
    kind: str
    distributions: tuple[Distribution, ...]

    @property
    def site_path(self) -> Path:
        return self.root / self.site if self.site else self.root


@contextlib.contextmanager
def open_folder(path: Path) -> Iterator[Opened]:
    """Open ``path`` (a folder or a zip) for verifying; a zip's unpacked copy is removed when
    the block ends."""
    if path.is_dir():
        root = Path(os.path.abspath(path))
        site = _find_site(root, path)
        kind = "folder" if not site else "layer folder"
        yield Opened(path, root, site, kind, read_distributions(root / site if site else root))
        return
    if not path.exists():
        raise FolderError(f"{path}: no such folder or zip")
    if not zipfile.is_zipfile(path):
        raise FolderError(
            f"{path} is neither a folder nor a zip",
            hint="give an install --target folder, a bundle's zip or folder, or a layer",
        )
    with _unpack_folder(path) as temp:
        root = Path(temp) / "dir"
        root.mkdir()
        _unzip(path, root)
        site = _find_site(root, path)
        kind = "zip" if not site else "layer zip"
        yield Opened(path, root, site, kind, read_distributions(root / site if site else root))


@contextlib.contextmanager
def _unpack_folder(path: Path) -> Iterator[str]:
    """A private temporary folder for a zip's contents: next to the zip (hidden, named as
    tagpip's transient files are), so that a container mounting the zip's folder at its own
    path (``docker run -v "$PWD:$PWD"``) sees it too; in the system's temporary folder where the
    zip's folder cannot be written. Removed when the block ends."""
    try:
        folder = tempfile.TemporaryDirectory(prefix=".tagpip-verify-", dir=path.parent)
    except OSError:
        folder = tempfile.TemporaryDirectory(prefix="tagpip-verify-")
    with folder as temp:
        yield os.path.abspath(temp)


def _unzip(path: Path, root: Path) -> None:
    """Unpack ``path`` into ``root``, refusing members that name a place outside it."""
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = info.filename
                parts = PurePosixPath(name.replace("\\", "/")).parts
                if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
                    raise FolderError(
                        f"{path}: the member {name!r} would land outside the folder; "
                        "tagpip refuses to unpack it"
                    )
                if info.is_dir():
                    (root / Path(*parts)).mkdir(parents=True, exist_ok=True)
                    continue
                target = root / Path(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, open(target, "wb") as sink:
                    shutil.copyfileobj(source, sink, 1024 * 1024)
                mode = (info.external_attr >> 16) & 0o777
                if mode & 0o100:
                    os.chmod(target, 0o755)
    except (zipfile.BadZipFile, OSError) as error:
        raise FolderError(f"{path}: cannot unpack the zip: {error}") from None


def _find_site(root: Path, given: Path) -> str:
    """Where the packages are: the top, ``python/`` or ``python/lib/python*/site-packages``."""
    for layout in _LAYOUTS:
        folder = root / layout if layout else root
        if any(folder.glob("*.dist-info")):
            return layout
    found = sorted(root.glob("python/lib/python*/site-packages"))
    found = [folder for folder in found if any(folder.glob("*.dist-info"))]
    if len(found) == 1:
        return found[0].relative_to(root).as_posix()
    if len(found) > 1:
        names = ", ".join(folder.relative_to(root).as_posix() for folder in found)
        raise FolderError(
            f"{given} holds packages for several Pythons ({names}); tagpip verifies one at a time",
            hint="verify a layer made for one Python version",
        )
    raise FolderError(
        f"{given} holds no installed distributions (no *.dist-info at its top, under python/ "
        "or python/lib/pythonX.Y/site-packages)",
        hint="give the folder tagpip install --target wrote, or a bundle's zip or folder",
    )


def read_distributions(site: Path) -> tuple[Distribution, ...]:
    """The distributions in ``site``, sorted by name, each with what to import of it."""
    found: list[Distribution] = []
    for name, installs in sorted(find_installed(site).items()):
        for installed in installs:
            info = site / installed.dist_info
            files = sorted({*(installed.files or ()), *(path for path, _ in installed.hashes)})
            top_level: list[str] = []
            with contextlib.suppress(OSError):
                text = (info / "top_level.txt").read_text(encoding="utf-8", errors="replace")
                top_level = [line.strip() for line in text.splitlines() if line.strip()]
            modules, extensions = modules_of(site, files, top_level)
            requires: tuple[str, ...] = ()
            with contextlib.suppress(OSError):
                raw, _ = parse_email((info / "METADATA").read_bytes())
                requires = tuple(raw.get("requires_dist") or ())
            found.append(
                Distribution(
                    name,
                    installed.project.display_name,
                    str(installed.project.version),
                    installed.dist_info,
                    modules,
                    extensions,
                    requires,
                    installed.tags,
                )
            )
    return tuple(found)


def modules_of(
    site: Path, files: Sequence[str], top_level: Sequence[str] = ()
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The modules to import of a distribution whose RECORD lists ``files`` (paths relative to
    ``site``), and its extension module files; see the module's docstring for the rules."""
    listed = set(files)
    roots: dict[str, None] = {}
    extensions: list[str] = []
    for rel in sorted(files):
        parts = rel.split("/")
        if parts[0].endswith((".dist-info", ".data")) or "__pycache__" in parts:
            continue
        if any(part in _TESTS for part in parts[:-1]):
            continue
        name = parts[-1]
        source = name.endswith(".py")
        extension = _is_extension(site / rel, name)
        if not source and not extension:
            continue
        stem = name.split(".", 1)[0]
        if not all(part.isidentifier() for part in parts[:-1]):
            continue
        if extension:
            extensions.append(rel)
        if not stem.isidentifier():
            continue
        root = _root_module(parts, stem, listed)
        if extension and root == ".".join([*parts[:-1], stem]):
            continue  # the extension module itself: loaded by its file, below
        if root is not None:
            roots.setdefault(root, None)
    for name in top_level:
        if (
            name.isidentifier()
            and name not in _NOT_IMPORTED
            and name not in _TESTS
            and not any(root == name or root.startswith(name + ".") for root in roots)
            and ((site / name / "__init__.py").is_file() or (site / f"{name}.py").is_file())
        ):
            roots.setdefault(name, None)
    ordered = sorted(roots, key=lambda module: (module.count("."), module))
    return tuple(ordered), tuple(extensions)


def _root_module(parts: Sequence[str], stem: str, listed: set[str]) -> str | None:
    """The first importable thing a file belongs to: the outermost regular package above it
    (a folder with ``__init__.py``), else the module itself (in a namespace package)."""
    for depth in range(1, len(parts)):
        folder = "/".join(parts[:depth])
        if f"{folder}/__init__.py" in listed:
            module = ".".join(parts[:depth])
            return None if depth == 1 and module in _NOT_IMPORTED else module
    if len(parts) == 1 and stem in _NOT_IMPORTED:
        return None
    return ".".join([*parts[:-1], stem])


def _is_extension(path: Path, name: str) -> bool:
    """Whether a file is an extension module: a ``.so`` or ``.pyd`` named with an interpreter
    tag (``m.cpython-312-x86_64-linux-gnu.so``, ``m.abi3.so``, ``m.cp312-win_amd64.pyd``), or
    a plain ``m.so``/``m.pyd`` that exports ``PyInit_m`` (a shared library such as
    ``libfoo.so`` next to the modules does not, and is not imported)."""
    if not name.endswith((".so", ".pyd")):
        return False
    if name.count(".") >= 2:
        return True
    stem = name.rsplit(".", 1)[0]
    if not stem.isidentifier():
        return False
    return _contains(path, f"PyInit_{stem}\0".encode("ascii", "replace"))


def _contains(path: Path, needle: bytes) -> bool:
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size == 0:
                return False
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return data.find(needle) >= 0
    except (OSError, ValueError):
        return False


# e_machine values of the ELF header (the System V ABI's list), as platform.machine() says them.
_ELF_MACHINES = {
    3: "i686",
    8: "mips",
    20: "ppc",
    21: "ppc64",
    22: "s390x",
    40: "armv7l",
    62: "x86_64",
    183: "aarch64",
    243: "riscv64",
    258: "loongarch64",
}


def elf_machine(path: Path) -> str | None:
    """The machine an ELF file is built for (``aarch64``, ``x86_64``, ...), None when the file
    is not ELF or the machine is not one tagpip names: glibc reports a shared object built for
    another machine as 'cannot open shared object file: No such file or directory', which the
    report puts right."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(20)
    except OSError:
        return None
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    order = "<" if header[5] == 1 else ">"
    (machine,) = struct.unpack(order + "H", header[18:20])
    if machine == 21 and order == "<":
        return "ppc64le"
    return _ELF_MACHINES.get(machine, f"ELF machine {machine}")
