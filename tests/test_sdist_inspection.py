"""Know before building: an sdist that clearly needs compiling is passed over without a build
(no process of a build is ever started: asserted with an audit hook over every process the run
starts), for each family of compiled builds; a build that comes out impure or fails rejects
that version, not the run; a build that outlives its budget is ended with everything it
started. Real sdists on a real index on 127.0.0.1; real builds where a build is the point."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.server import IndexServer
from support.wheels import build_source_sdist, write_sdist
from tagpip.build.sdistcheck import needs_compiling
from tagpip.cli import main
from tagpip.target import target_from_flags

TARGET = ["--platform", "manylinux2014_x86_64", "--python-version", "3.11"]
CP311 = "cp311-cp311-manylinux2014_x86_64"


# Every process the test process starts, by argv (see the `started` fixture).


def builds_started(argvs: list[list[str]]) -> list[list[str]]:
    """The processes that belong to a build: a build environment, a backend's hooks, a
    compiler or a build tool."""
    tools = {"gcc", "cc", "c++", "g++", "clang", "cargo", "rustc", "cmake", "meson", "ninja"}
    return [
        argv
        for argv in argvs
        if "venv" in argv
        or any("_in_process" in word for word in argv)
        or any(Path(word).name in tools for word in argv[:1])
    ]


def run(index: IndexServer, tmp_path: Path, *args: str) -> int:
    return main(
        [
            *args,
            "-i",
            index.url,
            *TARGET,
            "--cache-dir",
            str(tmp_path / "cache"),
            "--retries",
            "0",
        ]
    )


# Each family of compiled builds, as an sdist declares it: (what the message names, members).
FAMILIES = {
    "maturin": (
        "its build backend is maturin (Rust)",
        {
            "pyproject.toml": '[build-system]\nrequires = ["maturin>=1,<2"]\n'
            'build-backend = "maturin"\n',
            "Cargo.toml": '[package]\nname = "fast"\n',
            "src/lib.rs": "fn main() {}\n",
        },
    ),
    "scikit-build-core": (
        "its build backend is scikit-build-core (CMake)",
        {
            "pyproject.toml": '[build-system]\nrequires = ["scikit-build-core"]\n'
            'build-backend = "scikit_build_core.build"\n',
            "CMakeLists.txt": "project(fast)\n",
            "src/fast.cpp": "int main() {}\n",
        },
    ),
    "meson-python": (
        "its build backend is meson-python",
        {
            "pyproject.toml": '[build-system]\nrequires = ["meson-python"]\n'
            'build-backend = "mesonpy"\n',
            "meson.build": "project('fast', 'c')\n",
            "src/fast.c": "int main(void) { return 0; }\n",
        },
    ),
    "py-build-cmake": (
        "its build backend is py-build-cmake (CMake)",
        {
            "pyproject.toml": '[build-system]\nrequires = ["py-build-cmake"]\n'
            'build-backend = "py_build_cmake.build"\n',
        },
    ),
    "setuptools-rust": (
        "it needs setuptools-rust to build",
        {
            "pyproject.toml": '[build-system]\nrequires = ["setuptools", "setuptools-rust"]\n'
            'build-backend = "setuptools.build_meta"\n',
            "setup.py": "from setuptools import setup\nfrom setuptools_rust import RustExtension\n"
            "setup(rust_extensions=[RustExtension('fast._fast')])\n",
            "src/lib.rs": "fn main() {}\n",
        },
    ),
    "cython": (
        "it needs Cython to build",
        {
            "pyproject.toml": '[build-system]\nrequires = ["setuptools", "Cython>=3"]\n'
            'build-backend = "setuptools.build_meta"\n',
            "fast/_speedups.pyx": "def f(): pass\n",
        },
    ),
    "pybind11": (
        "it needs pybind11 to build",
        {
            "pyproject.toml": '[build-system]\nrequires = ["setuptools", "pybind11"]\n'
            'build-backend = "setuptools.build_meta"\n',
        },
    ),
    "cffi": (
        "setup.py declares cffi or Rust extension modules",
        {
            "setup.py": "from setuptools import setup\nsetup(cffi_modules=['fast/build.py:ffi'])\n",
        },
    ),
    "setuptools-extension": (
        "setup.py declares extension modules, built from src/fast.c and 1 more",
        {
            "setup.py": "from setuptools import Extension, setup\n"
            "setup(ext_modules=[Extension('fast._fast', ['src/fast.c', 'src/more.c'])])\n",
            "src/fast.c": "int f(void) { return 0; }\n",
            "src/more.c": "int g(void) { return 0; }\n",
            "tests/fixture.c": "int h(void) { return 0; }\n",
        },
    ),
    "pyproject-ext-modules": (
        "pyproject.toml declares ext-modules",
        {
            "pyproject.toml": '[build-system]\nrequires = ["setuptools>=74"]\n'
            'build-backend = "setuptools.build_meta"\n\n[project]\nname = "fast"\n'
            'version = "2.0"\n\n[[tool.setuptools.ext-modules]]\nname = "fast._fast"\n'
            'sources = ["src/fast.c"]\n',
            "src/fast.c": "int f(void) { return 0; }\n",
        },
    ),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_sdist_says_it_needs_compiling(tmp_path: Path, family: str) -> None:
    why, members = FAMILIES[family]
    assert needs_compiling(write_sdist(tmp_path, "fast", "2.0", members)) == why


@pytest.mark.parametrize(
    "members",
    [
        # A plain pure project: setuptools, hatchling, flit, no build file at all.
        {"pyproject.toml": '[build-system]\nrequires = ["setuptools"]\n'},
        {
            "pyproject.toml": '[build-system]\nrequires = ["hatchling"]\n'
            'build-backend = "hatchling.build"\n'
        },
        {"setup.py": "from distutils.core import setup\nsetup(name='old', py_modules=['old'])\n"},
        {},
        # C files only among the tests, or an extension list left empty: nothing to compile.
        {"setup.py": "from setuptools import setup\nsetup()\n", "tests/data/sample.c": "int x;\n"},
        {"setup.py": "from setuptools import setup\nsetup(ext_modules=[])\n", "x.c": "int x;\n"},
        # A compiler requirement whose marker is false for the target is not needed there.
        {"pyproject.toml": "[build-system]\nrequires = [\"cython; sys_platform == 'win32'\"]\n"},
        # A broken pyproject.toml is the build's to report, not evidence.
        {"pyproject.toml": "[build-system\n"},
    ],
)
def test_a_pure_looking_sdist_is_not_judged(tmp_path: Path, members: dict[str, str]) -> None:

    target = target_from_flags(["manylinux2014_x86_64"], "3.11", None, [])
    sdist = write_sdist(tmp_path, "plain", "1.0", members)
    assert needs_compiling(sdist, lambda r: r.marker is None or target.evaluate(r.marker)) is None


def test_an_unreadable_sdist_says_so(tmp_path: Path) -> None:
    from tagpip.build.sdistcheck import SdistUnreadable

    broken = tmp_path / "broken-1.0.tar.gz"
    broken.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(SdistUnreadable):
        needs_compiling(broken)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_newer_compiled_sdist_never_costs_a_build(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    started: list[list[str]],
    family: str,
) -> None:
    """The newest version ships only an sdist that compiles; the older ones ship wheels. By
    default the older wheel comes first; with --prefer-source the sdist is reached, read and
    passed over without a build, and the resolver moves on to the wheel; pinned, it fails at
    once naming why. No process of a build is started in any of the three."""
    why, members = FAMILIES[family]
    index_server.add_wheel("fast", "1.0", tags=CP311)
    index_server.add_wheel("fast", "1.5", tags=CP311)
    write_sdist(index_server.root, "fast", "2.0", members)

    dest = tmp_path / "default"
    assert run(index_server, tmp_path, "download", "fast", "-d", str(dest)) == 0
    assert [p.name for p in dest.iterdir()] == [f"fast-1.5-{CP311}.whl"]
    assert "note: fast 1.5, not 2.0: 2.0 ships only an sdist" in capsys.readouterr().err

    dest = tmp_path / "prefer-source"
    assert (
        run(index_server, tmp_path, "download", "fast", "-d", str(dest), "--prefer-source", "fast")
        == 0
    )
    assert [p.name for p in dest.iterdir()] == [f"fast-1.5-{CP311}.whl"]
    err = capsys.readouterr().err
    said = f"passed over fast 2.0: its sdist needs compiling ({why}); nothing was built"
    assert said in err.splitlines()

    assert run(index_server, tmp_path, "download", "fast==2.0", "-d", str(tmp_path / "pinned")) == 1
    err = capsys.readouterr().err
    assert f"  fast 2.0: its sdist needs compiling ({why}); nothing was built" in err.splitlines()
    assert "hint: fast 1.5 is the newest version with a wheel for this target" in err
    assert "Traceback" not in err
    assert builds_started(started) == []


def test_a_verdict_is_kept_and_the_sdist_not_fetched_again(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    started: list[list[str]],
) -> None:
    _, members = FAMILIES["meson-python"]
    write_sdist(index_server.root, "fast", "2.0", members)
    for _ in range(2):
        index_server.clear_log()
        assert run(index_server, tmp_path, "download", "fast==2.0", "-d", str(tmp_path / "w")) == 1
        assert "fast 2.0: its sdist needs compiling" in capsys.readouterr().err
    # The second run knew the sdist's sha256 from the page and its verdict from the cache.
    assert not [path for path in index_server.paths() if path.endswith(".tar.gz")]
    assert builds_started(started) == []


# -- builds that rule a version out ----------------------------------------------------------

NOT_PURE = """\
from setuptools import setup
from setuptools.dist import Distribution

class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return True

setup(distclass=BinaryDistribution)
"""


@pytest.mark.slow
def test_a_build_that_comes_out_impure_rejects_that_version_not_the_run(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_build import serve_setuptools

    serve_setuptools(index_server)
    build_source_sdist(index_server.root, "speedy", "1.0")
    build_source_sdist(index_server.root, "speedy", "2.0", setup_py=NOT_PURE)
    dest = tmp_path / "w"
    assert run(index_server, tmp_path, "download", "speedy", "-d", str(dest)) == 0
    assert [p.name for p in dest.iterdir()] == ["speedy-1.0-py3-none-any.whl"]
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("building speedy 2.0 from its sdist on Python ")
    assert lines[1].startswith("passed over speedy 2.0: its sdist built a wheel that is not pure")
    assert lines[2].startswith("building speedy 1.0 from its sdist on Python ")
    assert lines[3].startswith("built speedy-1.0-py3-none-any.whl: pure Python")
    assert "note: speedy 1.0, not 2.0: 2.0 ships only an sdist" in lines[4]
    # The verdict is kept: the next run neither builds 2.0 again nor fetches its sdist.
    index_server.clear_log()
    assert run(index_server, tmp_path, "download", "speedy", "-d", str(tmp_path / "again")) == 0
    err = capsys.readouterr().err
    assert "building" not in err
    assert "passed over speedy 2.0: its sdist built a wheel that is not pure Python" in err
    assert "speedy-2.0.tar.gz" not in " ".join(index_server.paths())


HANGS = """\
import os, subprocess, sys, time
from pathlib import Path
from setuptools import setup

# A compiler that never ends, started by the backend: both must go when the build is stopped.
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
Path(os.environ["TAGPIP_TEST_PIDS"]).write_text(f"{os.getpid()} {child.pid}")
time.sleep(600)
setup()
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie whose parent has not reaped it yet is gone for our purposes.
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return True
    return status != "Z"


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="process groups are POSIX's")
def test_a_build_past_its_budget_is_ended_with_all_it_started(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from test_build import serve_setuptools

    serve_setuptools(index_server)
    pids = tmp_path / "pids"
    monkeypatch.setenv("TAGPIP_TEST_PIDS", str(pids))
    build_source_sdist(index_server.root, "slowpoke", "1.0", setup_py=HANGS)
    dest = tmp_path / "w"
    args = ["download", "slowpoke", "-d", str(dest), "--build-timeout", "5"]
    assert run(index_server, tmp_path, *args, "--progress-bar", "raw") == 1
    err = capsys.readouterr().err
    assert "passed over slowpoke 1.0: its build failed: it did not finish within 5 s" in err
    # While it ran, the progress said so, with the time it took.
    assert re.search(r"^status building slowpoke 1\.0: \d+ s$", err, re.M), err
    backend, compiler = (int(p) for p in pids.read_text().split())
    assert not _alive(backend)
    assert not _alive(compiler)


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="process groups are POSIX's")
def test_sigterm_during_a_build_leaves_no_process_behind(
    index_server: IndexServer, tmp_path: Path
) -> None:
    from test_build import serve_setuptools

    serve_setuptools(index_server)
    pids = tmp_path / "pids"
    build_source_sdist(index_server.root, "slowpoke", "1.0", setup_py=HANGS)
    command = [
        sys.executable,
        "-m",
        "tagpip",
        "download",
        "slowpoke",
        "-d",
        str(tmp_path / "w"),
        "-i",
        index_server.url,
        *TARGET,
        "--cache-dir",
        str(tmp_path / "cache"),
    ]
    env = {**os.environ, "TAGPIP_TEST_PIDS": str(pids)}
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (pids.exists() and pids.read_text().strip()) and time.monotonic() < deadline:
        if process.poll() is not None:
            break
        time.sleep(0.1)
    assert pids.exists(), process.communicate()[1]
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    backend, compiler = (int(p) for p in pids.read_text().split())
    assert not _alive(backend)
    assert not _alive(compiler)


def test_the_build_timeout_option_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["download", "x", "--build-timeout", "soon"])
    assert exited.value.code == 2
    assert "--build-timeout: not a number of seconds: 'soon'" in capsys.readouterr().err


def test_compiled_backends_are_named_in_the_docs() -> None:
    page = (Path(__file__).resolve().parent.parent / "docs" / "sources.md").read_text()
    from tagpip.build.sdistcheck import COMPILED_BACKENDS, COMPILING_REQUIREMENTS

    for module in COMPILED_BACKENDS:
        assert f"`{module}`" in page, module
    for name in COMPILING_REQUIREMENTS:
        assert f"`{name}`" in page, name


@pytest.mark.slow
def test_failed_builds_stop_after_two_and_the_error_names_every_version(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failure that is not the version's own repeats: after two failed builds of a project
    its older sdists are passed over unbuilt, and the error names each version and why."""
    from test_build import serve_setuptools

    serve_setuptools(index_server)
    for version in ("1.0", "2.0", "3.0"):
        failing = f"raise SystemExit('cannot build {version}')\n"
        build_source_sdist(index_server.root, "brittle", version, setup_py=failing)
    assert run(index_server, tmp_path, "download", "brittle", "-d", str(tmp_path / "w")) == 1
    err = capsys.readouterr().err
    assert err.count("building brittle") == 2
    message = err.split("error: ", 1)[1]
    assert "  brittle 3.0: its build failed: the build backend failed\n" in message
    assert "    | cannot build 3.0" in message
    assert "  brittle 2.0: its build failed: the build backend failed\n" in message
    assert (
        "  brittle 1.0: not built, after the builds of 2 newer versions of brittle failed"
    ) in message
