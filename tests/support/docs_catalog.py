"""The projects the documentation's examples use, as small real wheels on the test index.

The docs are written with real project names (``requests``, ``cryptography``, ``numpy``...).
For the hermetic run of their examples (tests/test_docs.py), the test index serves wheels of
those names whose versions, tags and dependencies have the shape the real ones have on PyPI
(the platforms and Python versions they were built for, ``Requires-Python``, markers), so a
command in the docs resolves to the same set of projects and the same kind of files it would
from PyPI. The wheels hold a one-line module; only their names and metadata matter.

``app``, ``helper``, ``backport`` and ``native`` are the examples of docs/pip-backend.md,
docs/lock.md and docs/install.md, built exactly as tests/test_lock.py and tests/test_install.py
build them, so hashes shown in those pages are the real hashes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from support.server import IndexServer

__all__ = ["CATALOG", "Release", "populate"]

# Platform tags as real wheels spell them (PEP 600 names with the legacy alias, compressed).
_ML2014 = "manylinux_2_17_{arch}.manylinux2014_{arch}"
_ML228 = "manylinux_2_28_{arch}"


def _linux(arch: str, *levels: str) -> str:
    return ".".join(level.format(arch=arch) for level in levels)


@dataclass(frozen=True)
class Release:
    """One version of a project: its wheels' tags and its metadata."""

    name: str
    version: str
    tags: Sequence[str]
    requires: Sequence[str] = ()
    requires_python: str | None = None
    extras: Sequence[str] = ()
    extra_files: dict[str, str] = field(default_factory=dict)
    spelled: str | None = None  # the name as PyPI's file names spell it, when not normalised


def _cp_wheels(
    versions: Sequence[str], platforms: Sequence[str], abi: str | None = None
) -> list[str]:
    """``cpXY-cpXY-PLATFORM`` for each version and platform (``m`` ABIs before 3.8)."""
    tags = []
    for v in versions:
        own = abi or (f"cp{v}m" if int(v[1:]) < 8 else f"cp{v}")
        tags += [f"cp{v}-{own}-{p}" for p in platforms]
    return tags


_PY312_PLATFORMS = [
    _linux("x86_64", _ML2014),
    _linux("aarch64", _ML2014),
    "musllinux_1_1_x86_64",
    "win_amd64",
    "macosx_11_0_arm64",
]

CATALOG: tuple[Release, ...] = (
    # -- the pure-Python web stack ---------------------------------------------------------------
    Release(
        "requests",
        "2.32.3",
        ["py3-none-any"],
        requires=[
            "charset-normalizer<4,>=2",
            "idna<4,>=2.5",
            "urllib3<3,>=1.21.1",
            "certifi>=2017.4.17",
            'PySocks!=1.5.7,>=1.5.6; extra == "socks"',
        ],
        requires_python=">=3.8",
        extras=["socks"],
    ),
    Release(
        "requests",
        "2.25.1",
        ["py2.py3-none-any"],
        requires=[
            "chardet<5,>=3.0.2",
            "idna<3,>=2.5",
            "urllib3<1.27,>=1.21.1",
            "certifi>=2017.4.17",
        ],
    ),
    Release("urllib3", "2.2.3", ["py3-none-any"], requires_python=">=3.8"),
    Release("urllib3", "1.26.20", ["py2.py3-none-any"]),
    Release("idna", "3.10", ["py3-none-any"], requires_python=">=3.6"),
    Release("idna", "2.10", ["py2.py3-none-any"]),
    Release("certifi", "2024.8.30", ["py3-none-any"], requires_python=">=3.6"),
    Release("chardet", "4.0.0", ["py2.py3-none-any"]),
    Release("charset-normalizer", "3.4.0", ["py3-none-any"], requires_python=">=3.7.0"),
    Release("six", "1.16.0", ["py2.py3-none-any"]),
    Release("attrs", "23.2.0", ["py3-none-any"], requires_python=">=3.7"),
    Release("attrs", "21.4.0", ["py2.py3-none-any"]),
    # -- cryptography and its C dependency -------------------------------------------------------
    Release(
        "cryptography",
        "43.0.1",
        [
            f"cp39-abi3-{_linux('x86_64', _ML2014)}",
            f"cp39-abi3-{_linux('aarch64', _ML2014)}",
            f"cp39-abi3-{_linux('x86_64', _ML228)}",
            f"cp39-abi3-{_linux('aarch64', _ML228)}",
            "cp39-abi3-musllinux_1_2_x86_64",
            "cp39-abi3-win_amd64",
            "cp39-abi3-macosx_10_9_universal2",
        ],
        requires=['cffi>=1.12; platform_python_implementation != "PyPy"'],
        requires_python=">=3.7",
    ),
    Release(
        "cryptography",
        "3.2",
        [
            "cp35-abi3-manylinux1_x86_64",
            "cp35-abi3-manylinux2010_x86_64",
            "cp35-abi3-manylinux2014_aarch64",
            "cp35-abi3-macosx_10_10_x86_64",
            "cp38-cp38-win_amd64",
        ],
        requires=["cffi!=1.11.3,>=1.8", "six>=1.4.1"],
        requires_python=">=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*",
    ),
    Release(
        "cffi",
        "1.17.1",
        _cp_wheels(["39", "311", "312", "313"], _PY312_PLATFORMS),
        requires=["pycparser"],
        requires_python=">=3.8",
    ),
    Release(
        "cffi",
        "1.15.1",
        _cp_wheels(
            ["36", "39"],
            ["manylinux1_x86_64", "manylinux1_i686", _linux("aarch64", _ML2014), "win_amd64"],
        ),
        requires=["pycparser"],
    ),
    Release("pycparser", "2.22", ["py3-none-any"], requires_python=">=3.8"),
    Release("pycparser", "2.21", ["py2.py3-none-any"]),
    # -- compiled projects with many targets -----------------------------------------------------
    Release(
        "numpy",
        "1.26.4",
        _cp_wheels(["39", "311", "312"], _PY312_PLATFORMS),
        requires_python=">=3.9",
    ),
    Release(
        "numpy",
        "1.19.5",
        _cp_wheels(
            ["36", "39"],
            ["manylinux1_x86_64", "manylinux2010_x86_64", "manylinux2014_aarch64", "win_amd64"],
        ),
        requires_python=">=3.6",
    ),
    Release(
        "PyYAML",
        "6.0.2",
        _cp_wheels(["39", "311", "312", "313"], _PY312_PLATFORMS),
        requires_python=">=3.8",
        spelled="PyYAML",
    ),
    Release(
        "PyYAML",
        "5.4.1",
        _cp_wheels(["36", "39"], ["manylinux1_x86_64", "manylinux2014_aarch64", "win_amd64"]),
        spelled="PyYAML",
    ),
    Release("pywin32", "306", _cp_wheels(["39", "312"], ["win_amd64", "win32", "win_arm64"])),
    Release(
        "psycopg2-binary",
        "2.9.9",
        _cp_wheels(["39", "311", "312"], [_linux("x86_64", _ML2014), _linux("aarch64", _ML2014)]),
        requires_python=">=3.7",
    ),
    # -- markers that depend on the target's Python ----------------------------------------------
    Release(
        "jsonschema",
        "3.2.0",
        ["py2.py3-none-any"],
        requires=[
            "attrs>=17.4.0",
            "pyrsistent>=0.14.0",
            "setuptools",
            "six>=1.11.0",
            'importlib-metadata; python_version < "3.8"',
        ],
    ),
    Release("pyrsistent", "0.18.0", _cp_wheels(["36", "39"], ["manylinux1_x86_64"])),
    Release("setuptools", "59.6.0", ["py3-none-any"], requires_python=">=3.6"),
    Release(
        "importlib-metadata",
        "4.8.3",
        ["py3-none-any"],
        requires=["zipp>=0.5", 'typing-extensions>=3.6.4; python_version < "3.8"'],
        requires_python=">=3.6",
    ),
    Release("zipp", "3.6.0", ["py3-none-any"], requires_python=">=3.6"),
    Release("typing-extensions", "4.1.1", ["py3-none-any"], requires_python=">=3.6"),
    # -- a tool with a console script, for install examples: cowsay 6.1 on PyPI is one pure wheel
    # with no dependencies, Requires-Python >=3.8, and the console script cowsay ---------------
    Release(
        "cowsay",
        "6.1",
        ["py3-none-any"],
        requires_python=">=3.8",
        extra_files={
            "cowsay-6.1.dist-info/entry_points.txt": (
                "[console_scripts]\ncowsay = cowsay.__main__:cli\n"
            )
        },
    ),
    # -- the data stack of docs/recipes/aws-sam.md, shaped as on PyPI in 2026 --------------------
    # duckdb 2.0.1's x86_64 wheel needs glibc 2.27 (one more than Amazon Linux 2's 2.26) while its
    # aarch64 wheel needs 2.26; SAM's own builder takes neither (manylinux2014 only up to 3.11).
    Release(
        "duckdb",
        "2.0.1",
        [
            f"cp{v}-cp{v}-{p}"
            for v in ("311", "312")
            for p in (
                "manylinux_2_27_x86_64.manylinux_2_28_x86_64",
                "manylinux_2_26_aarch64.manylinux_2_28_aarch64",
            )
        ],
        requires_python=">=3.10.0",
    ),
    Release(
        "duckdb",
        "1.5.6",
        [
            f"cp{v}-cp{v}-{p}"
            for v in ("311", "312")
            for p in (
                "manylinux_2_26_x86_64.manylinux_2_28_x86_64",
                "manylinux_2_26_aarch64.manylinux_2_28_aarch64",
            )
        ],
        requires_python=">=3.9.0",
    ),
    Release(
        "orjson",
        "3.13.0",
        _cp_wheels(["311", "312"], [_linux("x86_64", _ML2014), _linux("aarch64", _ML2014)]),
        requires_python=">=3.10",
    ),
    Release(
        "polars",
        "2.1.0",
        ["py3-none-any"],
        requires=["polars-runtime-32==2.1.0"],
        requires_python=">=3.11",
    ),
    Release(
        "polars-runtime-32",
        "2.1.0",
        [f"cp311-abi3-{_linux(a, _ML2014)}" for a in ("x86_64", "aarch64")],
        requires_python=">=3.11",
    ),
)


def populate(server: IndexServer) -> None:
    """Put every release of the catalogue, and the small projects of the older docs pages, on
    ``server``."""
    for release in CATALOG:
        for tag in release.tags:
            server.add_wheel(
                release.name,
                release.version,
                tags=tag,
                requires_dist=release.requires,
                requires_python=release.requires_python,
                provides_extra=release.extras,
                extra_files=release.extra_files or None,
                spelled=release.spelled,
            )
    # docs/pip-backend.md, docs/lock.md, docs/install.md (as tests/test_lock.py builds them)
    server.add_wheel(
        "app", "1.0", requires_dist=["helper>=1", 'backport>=1; python_version < "3.8"']
    )
    server.add_wheel("helper", "1.0")
    server.add_wheel("helper", "2.0", requires_python=">=3.8")
    server.add_wheel("backport", "1.5")
    server.add_wheel("native", "3.2", tags="cp36-cp36m-manylinux1_x86_64")
    server.add_wheel("native", "3.2", tags="cp36-cp36m-manylinux2014_x86_64")
    server.add_wheel("native", "3.2", tags="cp312-cp312-manylinux_2_17_x86_64")
    server.add_wheel("native", "3.2", tags="cp39-cp39-manylinux2014_x86_64")
    # docs/provenance.md: a project status (PEP 792) and a licence form each, one wheel that
    # carries an SBOM (PEP 770), and a quarantined project the index lists no files for.
    server.add_wheel(
        "webapp",
        "1.0",
        license_expression="MIT",
        requires_dist=["oldjson>=2", "retired-util", "tinycache"],
    )
    server.add_wheel(
        "oldjson",
        "2.0",
        classifiers=["License :: OSI Approved :: BSD License"],
        sboms={"auditwheel.cdx.json": '{"bomFormat": "CycloneDX", "specVersion": "1.6"}\n'},
    )
    server.add_wheel("retired-util", "1.4", license_expression="Apache-2.0")
    server.add_wheel("tinycache", "0.3")
    server.project_status["oldjson"] = ("archived", None)
    server.project_status["retired-util"] = ("deprecated", "use newutil instead")
    server.project_status["evilpkg"] = ("quarantined", "malware")
