"""Build environments made by tagpip: the build requirements are resolved for the build
interpreter (its tags, markers and Requires-Python), installed by tagpip from the run's index,
and no index URL or password reaches any command line. The backend is one the test writes (a
few lines of PEP 517, runnable on Python 3.6), served as wheels on a real index on 127.0.0.1:
its newest release needs Python 3.10, its older one runs on 3.6."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from support.server import IndexServer
from support.wheels import build_wheel, write_sdist
from tagpip.cli import main
from test_build import _pyenv_python as pyenv_python

pytestmark = pytest.mark.slow

# A PEP 517 backend in one module: builds a pure wheel of the one module its project names in
# tiny.cfg ("name version" on one line). Written for every Python 3 from 3.6 on.
TINY_BACKEND = textwrap.dedent(
    """\
    import base64, hashlib, os, zipfile

    BUILT_BY = "tinybackend {version}"

    def _project():
        with open("tiny.cfg") as handle:
            name, version = handle.read().split()
        return name, version

    def get_requires_for_build_wheel(config_settings=None):
        return []

    def _record(data):
        digest = hashlib.sha256(data).digest()
        return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
        name, version = _project()
        info = "{{}}-{{}}.dist-info".format(name, version)
        with open(name + ".py", "rb") as handle:
            module = handle.read()
        files = [
            (name + ".py", module),
            (info + "/METADATA", "Metadata-Version: 2.1\\nName: {{}}\\nVersion: {{}}\\n".format(
                name, version).encode()),
            (info + "/WHEEL", b"Wheel-Version: 1.0\\nGenerator: " + BUILT_BY.encode()
                + b"\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"),
        ]
        record = "".join("{{}},{{}},{{}}\\n".format(p, _record(d), len(d)) for p, d in files)
        record += info + "/RECORD,,\\n"
        filename = "{{}}-{{}}-py3-none-any.whl".format(name, version)
        with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as archive:
            for path, data in files:
                archive.writestr(path, data)
            archive.writestr(info + "/RECORD", record)
        return filename
    """
)


def serve_tiny_backend(server: IndexServer) -> None:
    """tinybackend 1.0 (Python >= 3.6) and 2.0 (Python >= 3.10, and a syntax 3.6 cannot read)."""
    build_wheel(
        server.root,
        "tinybackend",
        "1.0",
        requires_python=">=3.6",
        extra_files={"tinybackend/api.py": TINY_BACKEND.format(version="1.0")},
    )
    newer = TINY_BACKEND.format(version="2.0") + "\nmatch = 1\nmatch match:\n    case 1: pass\n"
    build_wheel(
        server.root,
        "tinybackend",
        "2.0",
        requires_python=">=3.10",
        extra_files={"tinybackend/api.py": newer},
    )


def tiny_sdist(server: IndexServer, name: str, version: str) -> Path:
    return write_sdist(
        server.root,
        name,
        version,
        {
            "pyproject.toml": '[build-system]\nrequires = ["tinybackend"]\n'
            'build-backend = "tinybackend.api"\n',
            "tiny.cfg": f"{name} {version}\n",
            f"{name}.py": f"VALUE = {name + ' ' + version!r}\n",
        },
    )


@pytest.mark.parametrize("short", ["3.6", "3.8", "3.12"])
def test_build_requirements_are_resolved_for_the_build_interpreter(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    started: list[list[str]],
    short: str,
) -> None:
    python = pyenv_python(short)
    if python is None:
        pytest.skip(f"needs pyenv's Python {short}")
    serve_tiny_backend(index_server)
    tiny_sdist(index_server, "oldpkg", "1.0")
    # The index wants a password, given only in the URL, as PIP_INDEX_URL often carries it.
    index_server.auth = ("builder", "s3cr3t-t0ken")
    url = index_server.url.replace("http://", "http://builder:s3cr3t-t0ken@")
    dest = tmp_path / "w"
    status = main(
        [
            "download",
            f"oldpkg==1.0[manylinux1,cp{short.replace('.', '')},x86_64]",
            "-d",
            str(dest),
            "-i",
            url,
            "--cache-dir",
            str(tmp_path / "cache"),
        ]
    )
    err = capsys.readouterr().err
    assert status == 0, err
    assert [p.name for p in dest.iterdir()] == ["oldpkg-1.0-py3-none-any.whl"]
    backend = "1.0" if short in ("3.6", "3.8") else "2.0"
    lines = err.splitlines()
    assert (
        lines[0]
        == f"building oldpkg 1.0 from its sdist on Python {python_version(python)} ({python})"
    )
    assert lines[1] == (
        "built oldpkg-1.0-py3-none-any.whl: pure Python (build requirements: "
        f"tinybackend {backend})"
    )
    # The build ran: its processes were started, and none of them was given the password.
    assert any("venv" in argv for argv in started)
    assert not [argv for argv in started if any("s3cr3t" in word for word in argv)]


def python_version(python: Path) -> str:
    done = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_a_build_requirement_with_no_wheel_for_the_interpreter_is_said(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the 3.10-and-later backend is served: the build on 3.6 cannot have it, and the
    message says which requirement, for which interpreter, and why."""
    python = pyenv_python("3.6")
    if python is None:
        pytest.skip("needs pyenv's Python 3.6")
    serve_tiny_backend(index_server)
    for old in index_server.root.glob("tinybackend-1.0-*.whl"):
        old.unlink()
    tiny_sdist(index_server, "oldpkg", "1.0")
    status = main(
        [
            "download",
            "oldpkg==1.0[manylinux1,cp36,x86_64]",
            "-d",
            str(tmp_path / "w"),
            "-i",
            index_server.url,
            "--cache-dir",
            str(tmp_path / "cache"),
        ]
    )
    err = capsys.readouterr().err
    assert status == 1
    assert (
        "passed over oldpkg 1.0: its build failed: installing the build requirements "
        f"(tinybackend) for Python {python_version(python)} ({python}) failed: "
    ) in err
    assert "2.0 requires Python >=3.10" in err
    assert "Traceback" not in err


def test_a_build_requirement_that_needs_itself_is_a_cycle(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A project whose build requires itself, with no wheel of it anywhere: refused as a cycle,
    never built forever."""
    write_sdist(
        index_server.root,
        "selfish",
        "1.0",
        {
            "pyproject.toml": '[build-system]\nrequires = ["selfish"]\nbuild-backend = "selfish"\n',
        },
    )
    status = main(
        [
            "download",
            "selfish",
            "-d",
            str(tmp_path / "w"),
            "-i",
            index_server.url,
            "--platform",
            "manylinux2014_x86_64",
            "--python-version",
            f"{sys.version_info[0]}.{sys.version_info[1]}",
            "--cache-dir",
            str(tmp_path / "cache"),
        ]
    )
    err = capsys.readouterr().err
    assert status == 1
    assert "it is a build requirement of its own build (a cycle); nothing was built" in err
    assert "Traceback" not in err
