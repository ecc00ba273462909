"""Build small, real, valid distributions for tests.

``build_wheel`` writes a wheel a real installer accepts: the package module, ``METADATA``,
``WHEEL`` and a ``RECORD`` with sha256 lines. The bytes depend only on the arguments (fixed zip
timestamps, fixed member order), so a test can assert hashes. ``metadata_name`` and
``metadata_version`` forge a METADATA that disagrees with the file name, to test that the index
refuses it.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import tarfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from packaging.utils import canonicalize_name

__all__ = ["build_sdist", "build_wheel", "core_metadata", "wheel_filename"]

# 1980-01-01, the earliest time a zip can hold: every member gets it, so the bytes are stable.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _escaped(name: str) -> str:
    """A project name as it appears in file names (PEP 427 / binary distribution format)."""
    return canonicalize_name(name).replace("-", "_")


def wheel_filename(
    name: str,
    version: str,
    tags: str | Iterable[str] = "py3-none-any",
    build_tag: str | None = None,
) -> str:
    """The file name of a wheel; ``tags`` is one (possibly compressed) tag string or several
    tag triples, which are compressed the way wheel builders do (``py2.py3-none-any``)."""
    return (
        f"{_escaped(name)}-{version}{'-' + build_tag if build_tag else ''}-{_tag_string(tags)}.whl"
    )


def _tag_string(tags: str | Iterable[str]) -> str:
    if isinstance(tags, str):
        return tags
    triples = [t.split("-") for t in tags]
    if not triples:
        raise ValueError("a wheel needs at least one tag")
    parts: list[list[str]] = [[], [], []]
    for triple in triples:
        if len(triple) != 3:
            raise ValueError(f"not a tag triple: {'-'.join(triple)!r}")
        for i, part in enumerate(triple):
            if part not in parts[i]:
                parts[i].append(part)
    return "-".join(".".join(p) for p in parts)


def core_metadata(
    name: str,
    version: str,
    *,
    requires_dist: Iterable[str] = (),
    requires_python: str | None = None,
    provides_extra: Iterable[str] = (),
    metadata_version: str = "2.1",
    license_expression: str | None = None,
    license: str | None = None,
    classifiers: Iterable[str] = (),
) -> str:
    """The text of a core metadata file (``METADATA`` / ``PKG-INFO``); a licence in any of its
    three forms (PEP 639's ``License-Expression`` makes it metadata 2.4)."""
    if license_expression is not None:
        metadata_version = "2.4"
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}"]
    if license_expression is not None:
        lines.append(f"License-Expression: {license_expression}")
    if license is not None:
        lines.append("License: " + "\n        ".join(license.splitlines()))
    lines += [f"Classifier: {classifier}" for classifier in classifiers]
    if requires_python is not None:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Provides-Extra: {extra}" for extra in provides_extra]
    lines += [f"Requires-Dist: {req}" for req in requires_dist]
    return "\n".join(lines) + "\n\n"


def build_wheel(
    dest_dir: Path,
    name: str,
    version: str,
    *,
    tags: str | Iterable[str] = ("py3-none-any",),
    requires_dist: Iterable[str] = (),
    requires_python: str | None = None,
    provides_extra: Iterable[str] = (),
    build_tag: str | None = None,
    extra_files: Mapping[str, bytes | str] | None = None,
    metadata_name: str | None = None,
    metadata_version: str | None = None,
    metadata_text: str | None = None,
    spelled: str | None = None,
    license_expression: str | None = None,
    license: str | None = None,
    classifiers: Iterable[str] = (),
    sboms: Mapping[str, str] | None = None,
) -> Path:
    """Write a valid wheel into ``dest_dir`` and return its path.

    ``tags`` is a tag string (``cp36-cp36m-manylinux1_x86_64``, ``py2.py3-none-any``) or tag
    triples. ``requires_dist`` lines may carry markers. ``extra_files`` adds members (path in the
    wheel -> content; the package's ``__init__.py`` among them replaces the default one); RECORD
    lists them too. ``metadata_name`` / ``metadata_version`` put a
    different Name / Version in METADATA than in the file name; ``metadata_text`` replaces the
    METADATA file outright. ``spelled`` is the distribution name as the file name and the
    dist-info folder write it, for projects whose real files keep their capitals
    (``PyYAML-6.0.2-...whl``); by default the normalised name. ``license_expression``,
    ``license`` and ``classifiers`` declare a licence (:func:`core_metadata`); ``sboms`` adds
    files (name -> text) under ``.dist-info/sboms/``, as PEP 770 has a wheel carry its SBOMs.
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    tag_string = _tag_string(tags)
    filename = wheel_filename(name, version, tag_string, build_tag)
    module = _escaped(name)
    dist_info = f"{module}-{version}.dist-info"
    if spelled is not None:
        filename = f"{spelled}{filename[len(module) :]}"
        dist_info = f"{spelled}-{version}.dist-info"
    metadata = metadata_text or core_metadata(
        metadata_name or name,
        metadata_version or version,
        requires_dist=requires_dist,
        requires_python=requires_python,
        provides_extra=provides_extra,
        license_expression=license_expression,
        license=license,
        classifiers=classifiers,
    )
    pure = tag_string.endswith("-none-any")
    wheel_lines = [
        "Wheel-Version: 1.0",
        "Generator: tagpip-tests",
        f"Root-Is-Purelib: {'true' if pure else 'false'}",
    ]
    if build_tag:
        wheel_lines.append(f"Build: {build_tag}")
    py, abi, plat = tag_string.split("-")
    for p in py.split("."):
        for a in abi.split("."):
            wheel_lines += [f"Tag: {p}-{a}-{pl}" for pl in plat.split(".")]

    # An ``extra_files`` entry for the package's own __init__.py replaces the default one.
    members: list[tuple[str, bytes]] = []
    if f"{module}/__init__.py" not in (extra_files or {}):
        members.append((f"{module}/__init__.py", f'__version__ = "{version}"\n'.encode()))
    for path, content in sorted((extra_files or {}).items()):
        members.append((path, content.encode() if isinstance(content, str) else content))
    for sbom_name, text in sorted((sboms or {}).items()):
        members.append((f"{dist_info}/sboms/{sbom_name}", text.encode()))
    members += [
        (f"{dist_info}/METADATA", metadata.encode()),
        (f"{dist_info}/WHEEL", ("\n".join(wheel_lines) + "\n").encode()),
    ]
    record = [f"{path},sha256={_record_digest(data)},{len(data)}" for path, data in members]
    record.append(f"{dist_info}/RECORD,,")
    members.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode()))

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in members:
            info = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    target = dest_dir / filename
    target.write_bytes(buffer.getvalue())
    return target


def _record_digest(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def build_sdist(dest_dir: Path, name: str, version: str) -> Path:
    """Write a minimal sdist (``.tar.gz`` with ``PKG-INFO``) into ``dest_dir``; deterministic."""
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    base = f"{_escaped(name)}-{version}"
    return _write_sdist(
        dest_dir / f"{base}.tar.gz", base, {"PKG-INFO": core_metadata(name, version)}
    )


def write_sdist(dest_dir: Path, name: str, version: str, members: Mapping[str, str]) -> Path:
    """Write an sdist ``NAME-VERSION.tar.gz`` into ``dest_dir`` holding ``members`` (path below
    the project folder -> text), with a ``PKG-INFO`` unless one is given; deterministic."""
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    base = f"{_escaped(name)}-{version}"
    files = {"PKG-INFO": core_metadata(name, version), **members}
    return _write_sdist(dest_dir / f"{base}.tar.gz", base, files)


def _write_sdist(target: Path, base: str, members: Mapping[str, str]) -> Path:
    """Write ``members`` (path under ``base/`` -> text) as a ``.tar.gz`` whose bytes depend on
    nothing else: sorted members, fixed times and modes, gzip with a fixed mtime."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for member, text in sorted(members.items()):
            data = text.encode()
            info = tarfile.TarInfo(f"{base}/{member}")
            info.size = len(data)
            info.mtime = 315532800
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0) as gz:
        gz.write(raw.getvalue())
    target.write_bytes(packed.getvalue())
    return target


def build_source_sdist(
    dest_dir: Path,
    name: str,
    version: str,
    *,
    dependencies: Sequence[str] = (),
    setup_py: str | None = None,
    static: bool = True,
) -> Path:
    """Write a real, buildable setuptools sdist (``.tar.gz``) of a one-module package into
    ``dest_dir``: ``pyproject.toml``, the module (``NAME.py`` saying ``VALUE = 'NAME VERSION'``),
    ``PKG-INFO`` (Metadata-Version 2.2 with static Requires-Dist when ``static``, else 2.1 so
    that its dependencies come from a build), and ``setup_py`` when given (for a C extension or
    dependencies computed at build time; the pyproject then declares them dynamic)."""
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    module = name.replace("-", "_")
    base = f"{_escaped(name)}-{version}"
    dynamic = "" if setup_py is None else 'dynamic = ["dependencies"]\n'
    deps = "" if setup_py is not None else f"dependencies = {list(dependencies)!r}\n"
    pyproject = (
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        f'\n[project]\nname = "{name}"\nversion = "{version}"\n{deps}{dynamic}'
        f'\n[tool.setuptools]\npy-modules = ["{module}"]\n'
    )
    lines = [
        f"Metadata-Version: {'2.2' if static and setup_py is None else '2.1'}",
        f"Name: {name}",
        f"Version: {version}",
        *(f"Requires-Dist: {d}" for d in dependencies if setup_py is None),
    ]
    members = {
        "PKG-INFO": "\n".join(lines) + "\n\n",
        "pyproject.toml": pyproject,
        f"{module}.py": f"VALUE = {f'{name} {version}'!r}\n",
    }
    if setup_py is not None:
        members["setup.py"] = setup_py
    return _write_sdist(dest_dir / f"{base}.tar.gz", base, members)
