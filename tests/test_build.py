"""Pure-Python sdists built into wheels for the target: real sdists on the local test index,
real builds (pypa/build, setuptools served only by that index), real imports."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support.server import IndexServer
from support.wheels import build_source_sdist
from tagpip.cli import main
from tagpip.target import target_from_sources

pytestmark = pytest.mark.slow

TARGET = ["--platform", "manylinux2014_x86_64"]


def _setuptools_wheels() -> list[Path]:
    """Every setuptools wheel virtualenv embeds (82 for Python 3.9, 84 for 3.10 and later):
    tagpip picks, for each build interpreter, the one whose Requires-Python it meets."""
    try:
        import virtualenv.seed.wheels.embed as embed
    except ImportError:  # pragma: no cover - virtualenv is a test dependency
        return []
    return sorted(Path(embed.__file__).parent.glob("setuptools-*.whl"))


def serve_setuptools(server: IndexServer) -> None:
    """Put every embedded setuptools wheel on ``server`` (skip the test without one)."""
    wheels = _setuptools_wheels()
    if not wheels:
        pytest.skip("no setuptools wheel to serve")
    for wheel in wheels:
        shutil.copy(wheel, server.root / wheel.name)


def _pyenv_python(short: str) -> Path | None:
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    if shutil.which("pyenv"):
        done = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        root = done.stdout.strip() or root
    found = sorted((Path(root) / "versions").glob(f"{short}.*/bin/python"))
    return found[-1] if found else None


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    """The test index, serving setuptools (the only build backend the builds can get)."""
    serve_setuptools(index_server)
    return index_server


def run(index: IndexServer, tmp_path: Path, *args: str, version: str = "3.11") -> int:
    return main(
        [
            *args,
            "-i",
            index.url,
            "--python-version",
            version,
            *TARGET,
            "--cache-dir",
            str(tmp_path / "cache"),
            "--retries",
            "0",
        ]
    )


def test_a_pure_sdist_is_built_once_and_delivered_as_a_wheel(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_source_sdist(index.root, "sgmlpure", "1.0", dependencies=["helper>=1"])
    index.add_wheel("helper", "1.0")
    dest = tmp_path / "w"
    assert run(index, tmp_path, "download", "sgmlpure", "-d", str(dest)) == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("building sgmlpure 1.0 from its sdist on Python ")
    # "pure Python" only once the wheel was checked, with what built it.
    assert lines[1].startswith(
        "built sgmlpure-1.0-py3-none-any.whl: pure Python (build requirements: setuptools "
    )
    assert sorted(p.name for p in dest.iterdir()) == [
        "helper-1.0-py3-none-any.whl",
        "sgmlpure-1.0-py3-none-any.whl",
    ]
    # The next run takes the built wheel from the cache.
    shutil.rmtree(dest)
    assert run(index, tmp_path, "download", "sgmlpure", "-d", str(dest)) == 0
    assert "building" not in capsys.readouterr().err
    assert (dest / "sgmlpure-1.0-py3-none-any.whl").exists()


def test_an_older_wheel_comes_before_a_newer_sdist_and_prefer_source_builds_it(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Wheels first: the target has no compiler, so the newest version with a wheel is taken
    and the newer sdist-only version is named in one line; --prefer-source (or a pin) builds."""
    index.add_wheel("sgmlpure", "0.9")
    build_source_sdist(index.root, "sgmlpure", "1.0")
    dest = tmp_path / "w"
    assert run(index, tmp_path, "download", "sgmlpure", "-d", str(dest)) == 0
    assert [p.name for p in dest.iterdir()] == ["sgmlpure-0.9-py3-none-any.whl"]
    err = capsys.readouterr().err
    assert "building" not in err
    assert (
        "note: sgmlpure 0.9, not 1.0: 1.0 ships only an sdist for CPython 3.11 on "
        "manylinux2014 x86_64, and wheels come first (require sgmlpure==1.0 or pass "
        "--prefer-source sgmlpure to build it instead)"
    ) in err.splitlines()
    for choice in (["--prefer-source", "sgmlpure"], ["--prefer-source", ":all:"], ["==1.0"]):
        dest = tmp_path / "-".join(choice)
        named = "sgmlpure" + (choice[0] if choice[0] == "==1.0" else "")
        flags = [] if choice[0] == "==1.0" else choice
        assert run(index, tmp_path, "download", named, "-d", str(dest), "-q", *flags) == 0
        assert [p.name for p in dest.iterdir()] == ["sgmlpure-1.0-py3-none-any.whl"]


@pytest.mark.parametrize(
    "flags",
    [
        ["--no-build"],
        ["--only-binary", ":all:"],
        ["--only-binary", "sgmlpure"],
        ["--no-build-package", "sgmlpure"],
    ],
)
def test_the_format_rules_forbid_a_build(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str]
) -> None:
    build_source_sdist(index.root, "sgmlpure", "1.0")
    dest = tmp_path / "w"
    assert run(index, tmp_path, "download", "sgmlpure", "-d", str(dest), *flags) == 1
    err = capsys.readouterr().err
    assert "no wheel of sgmlpure" in err
    assert "building" not in err
    assert "Traceback" not in err


# A setup.py that makes setuptools tag the wheel for this interpreter and platform, as a C
# extension would, without needing a compiler.
NOT_PURE = """\
from setuptools import setup
from setuptools.dist import Distribution

class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return True

setup(distclass=BinaryDistribution)
"""


def test_an_sdist_that_is_not_pure_is_refused(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_source_sdist(index.root, "speedy", "2.0", setup_py=NOT_PURE)
    dest = tmp_path / "w"
    assert run(index, tmp_path, "download", "speedy", "-d", str(dest)) == 1
    err = capsys.readouterr().err
    # Built, found impure, passed over; no candidate is left, and the error says why.
    assert (
        "passed over speedy 2.0: its sdist built a wheel that is not pure Python (its tags "
        "cp311-cp311-linux_x86_64 are not the target's; Root-Is-Purelib is not true)"
    ).replace("cp311", f"cp{sys.version_info[0]}{sys.version_info[1]}") in err.splitlines()
    assert "error: no wheel of speedy for CPython 3.11 on manylinux2014 x86_64" in err
    assert "hint: build speedy's wheel on the target itself" in err
    assert "pass its folder with -f" in err
    assert "Traceback" not in err
    assert not dest.exists() or list(dest.iterdir()) == []


def test_a_failing_build_shows_the_backends_last_lines(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_source_sdist(
        index.root, "broken", "1.0", setup_py="raise SystemExit('no way to build broken')\n"
    )
    assert run(index, tmp_path, "download", "broken", "-d", str(tmp_path / "w")) == 1
    err = capsys.readouterr().err
    assert "passed over broken 1.0: its build failed: the build backend failed\n" in err
    # The error names the version tried, why, and the backend's last lines.
    message = err.split("error: ", 1)[1]
    assert "  broken 1.0: its build failed: the build backend failed\n" in message
    assert "    | no way to build broken" in message
    assert "Traceback (most recent call last)" not in err.split("failed", 1)[0]


DYNAMIC = """\
import sys
from setuptools import setup

setup(install_requires=["helper"] if sys.version_info[:2] == (3, 9) else [])
"""


def test_dynamic_dependencies_come_from_a_build_on_the_targets_python(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if _pyenv_python("3.9") is None:
        pytest.skip("needs pyenv's Python 3.9")
    build_source_sdist(index.root, "dyn", "1.0", setup_py=DYNAMIC)
    index.add_wheel("helper", "1.0")
    dest = tmp_path / "w"
    assert run(index, tmp_path, "download", "dyn", "-d", str(dest), version="3.9") == 0
    err = capsys.readouterr().err
    assert "on Python 3.9." in err
    assert "warning" not in err
    assert sorted(p.name for p in dest.iterdir()) == [
        "dyn-1.0-py3-none-any.whl",
        "helper-1.0-py3-none-any.whl",
    ]


def test_dynamic_metadata_built_on_another_python_warns_by_name(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """PEP 643: an sdist without static Requires-Dist, built on an interpreter other than the
    target's (no Python 3.14 is installed, so the host builds), warns naming the project."""
    from tagpip.build.interpreters import find_interpreter, host_interpreter

    if find_interpreter(3, 14) is not None:
        pytest.skip("a Python 3.14 is installed: the build would run on the target's Python")
    build_source_sdist(index.root, "dyn", "1.0", setup_py=DYNAMIC)
    index.add_wheel("helper", "1.0")  # what the build asks for when the host is Python 3.9
    dest = tmp_path / "w"
    assert run(index, tmp_path, "download", "dyn", "-d", str(dest), version="3.14") == 0
    lines = capsys.readouterr().err.splitlines()
    host = host_interpreter().describe()
    assert (
        f"warning: dyn 1.0: its metadata is dynamic and it was built on {host}, not the "
        "target's Python: its dependencies were computed on another Python"
    ) in lines
    assert "dyn-1.0-py3-none-any.whl" in [p.name for p in dest.iterdir()]


@pytest.mark.parametrize("short", ["3.10", "3.12", "3.13"])
def test_install_target_then_import_on_the_targets_python(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], short: str
) -> None:
    python = _pyenv_python(short)
    if python is None:
        pytest.skip(f"needs pyenv's Python {short}")
    build_source_sdist(index.root, "sgmlpure", "1.0")
    deps = tmp_path / "deps"
    assert run(index, tmp_path, "install", "sgmlpure", "--target", str(deps), version=short) == 0
    assert f"on Python {short}." in capsys.readouterr().err
    done = subprocess.run(
        [str(python), "-c", "import sgmlpure; print(sgmlpure.VALUE)"],
        env={**os.environ, "PYTHONPATH": str(deps)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "sgmlpure 1.0"
    assert not list(deps.glob("*.tar.gz"))


def test_check_pure_refuses_compiled_members(tmp_path: Path) -> None:
    from tagpip.build.builder import NotPureError, check_pure
    from tagpip.target.value import TargetOptions

    wheel = tmp_path / "x-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("x/_speed.so", b"\0")
        archive.writestr("x-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n")
    target = target_from_sources(
        command_line=TargetOptions.from_strings(
            platforms=["manylinux2014_x86_64"], python_version="3.11"
        )
    )
    with pytest.raises(NotPureError) as refused:
        check_pure(wheel, "x", "1.0", target)
    assert refused.value.reasons == ("compiled members: x/_speed.so",)


def test_bundle_builds_a_pure_sdist_as_install_does(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``bundle`` resolves through install's own path, pure-source builds included."""
    build_source_sdist(index.root, "sgmlpure", "1.0", dependencies=["helper>=1"])
    index.add_wheel("helper", "1.0")
    out = tmp_path / "function.zip"
    assert run(index, tmp_path, "bundle", "sgmlpure", "-o", str(out)) == 0
    assert "building sgmlpure 1.0 from its sdist on " in capsys.readouterr().err
    with zipfile.ZipFile(out) as archive:
        listed = archive.namelist()
    assert "sgmlpure-1.0.dist-info/METADATA" in listed
    assert any(name.startswith("helper-1.0.dist-info/") for name in listed)
    assert not [name for name in listed if name.endswith(".tar.gz")]


def test_a_hash_of_the_sdist_makes_the_sdist_the_candidate_not_the_wheel(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Hash-checking mode, pip's rule: only files whose digest the user gave are candidates.
    The line hashes hashy 1.0's sdist and the index also has a 1.0 wheel nobody hashed: the
    sdist is built (pip and uv build it too), instead of a mismatch on the wheel."""
    import hashlib

    sdist = build_source_sdist(index.root, "hashy", "1.0")
    index.add_wheel("hashy", "1.0")
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    req = tmp_path / "requirements.txt"
    req.write_text(f"hashy==1.0 --hash=sha256:{digest}\n")
    dest = tmp_path / "w"
    assert run(index, tmp_path, "download", "-r", str(req), "-d", str(dest)) == 0
    err = capsys.readouterr().err
    assert "building hashy 1.0 from its sdist on " in err
    assert [p.name for p in dest.iterdir()] == ["hashy-1.0-py3-none-any.whl"]
    # A hash of the wheel takes the wheel, and builds nothing.
    wheel = index.root / "hashy-1.0-py3-none-any.whl"
    req.write_text(f"hashy==1.0 --hash=sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}\n")
    dest = tmp_path / "w2"
    assert run(index, tmp_path, "download", "-r", str(req), "-d", str(dest)) == 0
    assert "building" not in capsys.readouterr().err
    assert (dest / wheel.name).read_bytes() == wheel.read_bytes()
